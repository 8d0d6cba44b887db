/* fuzz_onnx.c - harness 1: the ONNX loader (protobuf, opsets, functions,
 * initializers; external data refused: no base folder), then shape inference
 * and the verifier, as `dlacc check` runs them on a model file. */
#include "fuzz.h"

#include "frontend/onnx.h"
#include "ir/infer.h"
#include "ir/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    IrGraph *g = NULL;
    DlaError err = {0};
    if (onnx_load_buffer(data, size, "fuzz.onnx", NULL, NULL, &g, &err) == DLA_OK) {
        if (ir_infer_shapes(g, NULL, &err) == DLA_OK)
            (void)ir_verify(g, &err);
        ir_graph_free(g);
    }
    return 0;
}
