/* test_semantics.c - canonicalization preserves what a graph computes: the
 * original and the canonicalized graph, both compiled by the host backend
 * (LLVM JIT), give the same outputs on the same inputs. Hand-built graphs cover
 * Conv+BatchNormalization (with and without bias), Identity, Dropout and a
 * Shape->Gather->Unsqueeze->Concat->Reshape chain; zoo models (all but
 * resnet50, whose compile time is not worth it here) run on their
 * test_data_set_0 input. Tolerance: |a-b| <= 1e-4 * max|a| + 1e-5 per output
 * (BN folding changes one rounding per weight and the summation order). */
#include "dla_test.h"
#include "backend/host/host.h"
#include "frontend/onnx.h"
#include "ir.h"
#include "passes/passes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int32_t val(IrGraph *g, const char *name, IrDtype dt, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    return ir_value_add(g, name, dt, rank >= 0 ? &s : NULL);
}

static int32_t cst(IrGraph *g, const char *name, IrDtype dt, int rank, const int64_t *dims, const void *data)
{
    int32_t v = val(g, name, dt, rank, dims);
    ir_value_set_data(g, v, data, (size_t)ir_shape_numel(&g->values[v].shape) * ir_dtype_size(dt));
    return v;
}

static float frand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* x[1,3,6,6] -> Conv(3x3, pad 1, bias?) -> BN -> Identity -> Dropout -> Relu
 *   -> Reshape(., Concat(Unsqueeze(Gather(Shape(.), 0)), [-1])) -> y[1, 4*36] */
static IrGraph *build(int with_bias)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    uint32_t seed = 7;
    int64_t xd[] = {1, 3, 6, 6}, wd[] = {4, 3, 3, 3}, c4 = 4, one = 1;
    float w[108], b[4], sc[4], be[4], mu[4], var[4];
    for (int i = 0; i < 108; i++)
        w[i] = frand(&seed);
    for (int i = 0; i < 4; i++) {
        b[i] = frand(&seed);
        sc[i] = 1.5f + frand(&seed);
        be[i] = frand(&seed);
        mu[i] = 0.3f * frand(&seed);
        var[i] = 0.5f + 0.4f * frand(&seed);
    }
    int32_t x = val(g, "x", DT_FLOAT, 4, xd);
    ir_graph_add_input(g, x);
    int64_t cd[] = {1, 4, 6, 6};
    int32_t cin[3] = {x, cst(g, "W", DT_FLOAT, 4, wd, w), with_bias ? cst(g, "b", DT_FLOAT, 1, &c4, b) : -1};
    int32_t c = val(g, "c", DT_FLOAT, 4, cd);
    int32_t n = ir_node_add(g, "conv", "Conv", "", cin, with_bias ? 3 : 2, &c, 1);
    int64_t pads[] = {1, 1, 1, 1};
    IrAttr *a = ir_node_add_attr(g, n, "pads", IR_ATTR_INTS);
    a->n = 4;
    a->ints = dla_arena_memdup(&g->arena, pads, sizeof pads);
    int32_t bin[5] = {c, cst(g, "sc", DT_FLOAT, 1, &c4, sc), cst(g, "be", DT_FLOAT, 1, &c4, be),
                      cst(g, "mu", DT_FLOAT, 1, &c4, mu), cst(g, "var", DT_FLOAT, 1, &c4, var)};
    int32_t bn = val(g, "bn", DT_FLOAT, 4, cd), id = val(g, "id", DT_FLOAT, 4, cd);
    int32_t dr = val(g, "dr", DT_FLOAT, 4, cd), r = val(g, "r", DT_FLOAT, 4, cd);
    n = ir_node_add(g, "bn", "BatchNormalization", "", bin, 5, &bn, 1);
    ir_node_add_attr(g, n, "epsilon", IR_ATTR_FLOAT)->f = 1e-3f;
    ir_node_add(g, "id", "Identity", "", &bn, 1, &id, 1);
    ir_node_add(g, "drop", "Dropout", "", &id, 1, &dr, 1);
    ir_node_add(g, "relu", "Relu", "", &dr, 1, &r, 1);
    int64_t four = 4, zero = 0, m1 = -1;
    int32_t s = val(g, "s", DT_INT64, 1, &four), g0 = val(g, "g0", DT_INT64, 0, NULL);
    int32_t u = val(g, "u", DT_INT64, 1, &one), two_v = val(g, "shp", DT_INT64, 1, (int64_t[]){2});
    ir_node_add(g, "shape", "Shape", "", &r, 1, &s, 1);
    int32_t gi[2] = {s, cst(g, "zero", DT_INT64, 0, NULL, &zero)};
    ir_node_add(g, "gather", "Gather", "", gi, 2, &g0, 1);
    int32_t ui[2] = {g0, cst(g, "ax", DT_INT64, 1, &one, &zero)};
    ir_node_add(g, "unsq", "Unsqueeze", "", ui, 2, &u, 1);
    int32_t ci[2] = {u, cst(g, "m1", DT_INT64, 1, &one, &m1)};
    n = ir_node_add(g, "concat", "Concat", "", ci, 2, &two_v, 1);
    ir_node_add_attr(g, n, "axis", IR_ATTR_INT)->i = 0;
    int64_t yd[] = {1, 144};
    int32_t y = val(g, "y", DT_FLOAT, 2, yd);
    int32_t ri[2] = {r, two_v};
    ir_node_add(g, "reshape", "Reshape", "", ri, 2, &y, 1);
    ir_graph_add_output(g, y);
    return g;
}

/* Run g on the given inputs through the JIT; outputs malloc'd into out[]. */
static int run_host(IrGraph *g, void **in, void **out)
{
    HostModel *m = NULL;
    DlaError err = {0};
    HostOptions ho = {.opt_level = 1};
    if (host_jit_compile(g, &ho, &m, &err) != DLA_OK) {
        fprintf(stderr, "host_jit_compile: %s\n", err.msg);
        return 0;
    }
    for (int32_t i = 0; i < g->noutputs; i++) {
        const IrValue *v = &g->values[g->outputs[i]];
        out[i] = calloc(1, (size_t)ir_shape_numel(&v->shape) * ir_dtype_size(v->dtype) + 1);
    }
    host_model_run(m, in, out);
    host_model_free(m);
    return 1;
}

static void compare(const IrGraph *g, void **a, void **b, const char *what)
{
    for (int32_t i = 0; i < g->noutputs; i++) {
        const IrValue *v = &g->values[g->outputs[i]];
        if (v->dtype != DT_FLOAT)
            continue;
        int64_t n = ir_shape_numel(&v->shape);
        const float *x = a[i], *y = b[i];
        double amax = 0, dmax = 0;
        for (int64_t k = 0; k < n; k++) {
            amax = fmax(amax, fabs(x[k]));
            dmax = fmax(dmax, fabs((double)x[k] - y[k]));
        }
        fprintf(stderr, "  %s output %d: %lld values, max|ref| %.4g, max|diff| %.3g\n", what, i,
                (long long)n, amax, dmax);
        CU_ASSERT(dmax <= 1e-4 * amax + 1e-5);
        CU_ASSERT(amax > 0); /* a graph computing zeros would prove nothing */
    }
}

static void check_hand(int with_bias)
{
    IrGraph *ref = build(with_bias), *opt = build(with_bias);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(pipeline(opt, &ctx, &err), DLA_OK);
    CU_ASSERT_EQUAL(opt->nnodes, 3); /* Conv, Relu, Reshape */
    /* the reference needs its shapes too, without any rewriting */
    ctx.passes = "shapes";
    CU_ASSERT_EQUAL_FATAL(pipeline(ref, &ctx, &err), DLA_OK);
    float x[108];
    uint32_t seed = 99;
    for (int i = 0; i < 108; i++)
        x[i] = frand(&seed);
    void *in[1] = {x}, *oa[1] = {0}, *ob[1] = {0};
    if (run_host(ref, in, oa) && run_host(opt, in, ob))
        compare(ref, oa, ob, with_bias ? "conv+bias+bn" : "conv+bn");
    else
        CU_FAIL("host backend could not compile the graphs");
    free(oa[0]);
    free(ob[0]);
    ir_graph_free(ref);
    ir_graph_free(opt);
}

static void test_hand_bias(void) { check_hand(1); }
static void test_hand_nobias(void) { check_hand(0); }

static void check_zoo(const char *model)
{
    const char *dir = dla_test_models_dir();
    if (!dir)
        return;
    char path[8192], ipath[8192];
    snprintf(path, sizeof path, "%s/%s/model.onnx", dir, model);
    snprintf(ipath, sizeof ipath, "%s/%s/test_data_set_0/input_0.pb", dir, model);
    OnnxTensorFile t;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(ipath, &t, &err), DLA_OK);
    /* bind the input's actual shape (digits_cnn has a symbolic batch) */
    IrGraph *ref = NULL, *opt = NULL;
    OnnxInputShape shp;
    char arg[256];
    int k = snprintf(arg, sizeof arg, "%s=", t.name[0] ? t.name : "input");
    for (int i = 0; i < t.shape.rank; i++)
        k += snprintf(arg + k, sizeof arg - (size_t)k, "%s%lld", i ? "," : "", (long long)t.shape.dims[i]);
    CU_ASSERT_EQUAL_FATAL(onnx_parse_input_shape(arg, &shp, &err), DLA_OK);
    OnnxLoadOptions lo = {&shp, 1};
    if (onnx_load(path, &lo, &ref, &err) != DLA_OK || onnx_load(path, &lo, &opt, &err) != DLA_OK) {
        /* the input may carry no name matching the graph's: retry unbound */
        fprintf(stderr, "%s: %s\n", model, err.msg);
        CU_FAIL("load");
        ir_graph_free(ref);
        onnx_tensor_file_free(&t);
        return;
    }
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    CU_ASSERT_EQUAL_FATAL(pipeline(opt, &ctx, &err), DLA_OK);
    ctx.passes = "shapes";
    CU_ASSERT_EQUAL_FATAL(pipeline(ref, &ctx, &err), DLA_OK);
    void *in[1] = {t.data}, *oa[8] = {0}, *ob[8] = {0};
    CU_ASSERT_FATAL(ref->noutputs <= 8 && ref->ninputs == 1);
    if (run_host(ref, in, oa) && run_host(opt, in, ob))
        compare(ref, oa, ob, model);
    else
        CU_FAIL("host backend could not compile the graphs");
    for (int i = 0; i < 8; i++) {
        free(oa[i]);
        free(ob[i]);
    }
    ir_graph_free(ref);
    ir_graph_free(opt);
    onnx_tensor_file_free(&t);
}

static void test_digits(void) { check_zoo("digits_cnn"); }
static void test_tiny_encoder(void) { check_zoo("tiny_encoder"); }
static void test_mobilenet(void) { check_zoo("mobilenet_v2"); }
static void test_resnet18(void) { check_zoo("resnet18"); }
static void test_squeezenet(void) { check_zoo("squeezenet1_1"); }

void dla_register_tests(void)
{
    DLA_SUITE("passes_semantics", {"conv_bias_bn", test_hand_bias}, {"conv_bn", test_hand_nobias},
              {"digits_cnn", test_digits}, {"tiny_encoder", test_tiny_encoder},
              {"mobilenet_v2", test_mobilenet}, {"resnet18", test_resnet18},
              {"squeezenet1_1", test_squeezenet});
}
