/* test_e2e_squeezenet.c - squeezenet1_1 end to end on dla-edge and dla-server (e2e_common.h):
 * bit-exact with qref per DLA segment, top-1 agreement and SQNR against ONNX
 * Runtime's reference output, the .dla file round trip. */
#include "e2e_common.h"

static void test_edge(void) { e2e_model("squeezenet1_1", "dla-edge"); }
static void test_server(void) { e2e_model("squeezenet1_1", "dla-server"); }

void dla_register_tests(void)
{
    DLA_SUITE("e2e squeezenet1_1", {"dla-edge", test_edge}, {"dla-server", test_server});
}
