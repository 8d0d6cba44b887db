/* test_e2e_squeezenet.c - squeezenet1_1 end to end on dla-edge and dla-server (e2e_common.h):
 * one DLA segment, bit-exact with qref, top-1 agreement and SQNR against ONNX
 * Runtime's reference output, the .dla file round trip. */
#include "e2e_common.h"

/* Concat on the DLA (in place) and the final Flatten a view: one DLA segment
 * between the input's QuantizeLinear and the output's DequantizeLinear */
static void test_edge(void) { e2e_model_segs("squeezenet1_1", "dla-edge", 1); }
static void test_server(void) { e2e_model_segs("squeezenet1_1", "dla-server", 1); }

void dla_register_tests(void)
{
    DLA_SUITE("e2e squeezenet1_1", {"dla-edge", test_edge}, {"dla-server", test_server});
}
