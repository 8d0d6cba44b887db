/* test_e2e_resnet18.c - resnet18 end to end on dla-edge and dla-server (e2e_common.h):
 * bit-exact with qref per DLA segment, top-1 agreement and SQNR against ONNX
 * Runtime's reference output, the .dla file round trip. */
#define DLA_E2E_HEAVY 1
#include "e2e_common.h"

#if defined(DLA_SANITIZE) && DLA_E2E_HEAVY
/* Under ASan+UBSan the suite runs digits_cnn and squeezenet1_1 only (time). */
static void skip(void)
{
    dla_test_skip("resnet18 end to end is left out of the sanitizer build (time; digits_cnn and squeezenet1_1 run there)");
}
static void test_edge(void) { skip(); }
static void test_server(void) { skip(); }
#else
static void test_edge(void) { e2e_model("resnet18", "dla-edge"); }
static void test_server(void) { e2e_model("resnet18", "dla-server"); }
#endif

void dla_register_tests(void)
{
    DLA_SUITE("e2e resnet18", {"dla-edge", test_edge}, {"dla-server", test_server});
}
