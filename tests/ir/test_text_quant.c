/* test_text_quant.c - the text form of quantized graphs as the pass pipeline
 * makes them (partition + calibrate + quantize on zoo models): the result
 * verifies, and print -> parse -> print round-trips byte for byte with the
 * structure (quantization parameters, devices, constant data) intact. */
#include "dla_test.h"
#include "backend/host/host.h"
#include "frontend/onnx.h"
#include "ir.h"
#include "passes/passes.h"
#include "test_text_equal.h"
#include "text.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>

static void quantized_round_trip(const char *name)
{
    const char *dir = dla_test_models_dir();
    if (!dir)
        return;
    char path[4096], calib[4096];
    snprintf(path, sizeof path, "%.3000s/%s/model.onnx", dir, name);
    snprintf(calib, sizeof calib, "%.3000s/%s/calib", dir, name);
    IrGraph *g = NULL;
    DlaError err = {0};
    OnnxInputShape sh = {.name = "input", .rank = 4, .dims = {1, 1, 8, 8}};
    OnnxLoadOptions lo = {&sh, strcmp(name, "digits_cnn") == 0};
    CU_ASSERT_EQUAL_FATAL(onnx_load(path, &lo, &g, &err), DLA_OK);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.quantize = 1;
    ctx.executor = host_executor();
    ctx.calib_dir = calib;
    DlaStatus st = pipeline(g, &ctx, &err);
    if (st != DLA_OK)
        fprintf(stderr, "%s: pipeline: %s\n", name, err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    int quantized = 0, on_dla = 0;
    for (int32_t v = 0; v < g->nvalues; v++)
        quantized += g->values[v].quant.count > 0;
    for (int32_t n = 0; n < g->nnodes; n++)
        on_dla += g->nodes[n].device == 1;
    fprintf(stderr, "%s: %d quantized values, %d nodes on the accelerator\n", name, quantized, on_dla);
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(ir_verify(g, &err), DLA_OK);
    char *t1, *t2;
    size_t n1, n2;
    ir_print_string(g, NULL, &t1, &n1, NULL);
    IrGraph *p = NULL;
    st = ir_parse(t1, n1, name, &p, &err);
    if (st != DLA_OK)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(ir_verify(p, &err), DLA_OK);
    char why[512];
    int eq = ir_test_graph_equal(g, p, 0, why, sizeof why);
    if (!eq)
        fprintf(stderr, "%s: %s\n", name, why);
    CU_ASSERT(eq);
    ir_print_string(p, NULL, &t2, &n2, NULL);
    CU_ASSERT(n1 == n2 && memcmp(t1, t2, n1) == 0);
    free(t1);
    free(t2);
    ir_graph_free(p);
    ir_graph_free(g);
}

static void test_digits(void) { quantized_round_trip("digits_cnn"); }
static void test_mobilenet(void) { quantized_round_trip("mobilenet_v2"); }

void dla_register_tests(void)
{
    DLA_SUITE("ir_text_quant", {"digits_cnn", test_digits}, {"mobilenet_v2", test_mobilenet});
}
