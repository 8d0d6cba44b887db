/* test_quant.c - partition, calibrate and quantize (passes/quant.h).
 *
 *  - a tiny Conv(+Relu/Clip) graph with power-of-two numbers, so that the
 *    int8 weights, int32 bias with zero-point correction, fp32 scales and the
 *    lo/hi bounds are checked against values computed by hand;
 *  - Gemm with transB/alpha/beta, Add, pools and a standalone Relu (QLut);
 *  - partition decisions on the zoo models (printed per model);
 *  - calibration of digits_cnn over its calib/ folder: sane parameters, the
 *    input's range equal to the files' own min/max, the graph unchanged;
 *  - the error when a float model gets no calibration data;
 *  - digits_cnn end to end: quantized graph verifies, runs through the integer
 *    reference (backend/qref.h) on the 397 test images, per calibration
 *    method; SQNR of the logits against the float graph on the host JIT and
 *    top-1 accuracy are printed and bounded (SQNR >= 18 dB, accuracy within 2
 *    points of float), every method included;
 *  - squeezenet1_1, resnet18, mobilenet_v2, tiny_encoder quantized;
 *    resnet18 and mobilenet_v2 run in
 *    int8 through qref against ONNX Runtime's output (SQNR >= 10 dB, top-1). */
#include "dla_test.h"
#include "dla_test_zoo.h"
#include "backend/host/host.h"
#include "backend/qref/qref.h"
#include "frontend/onnx.h"
#include "ir.h"
#include "ir/text.h"
#include "ir/verify.h"
#include "passes/passes.h"
#include "pass_test.h"
#include "passes/quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int32_t val(IrGraph *g, const char *name, IrDtype dt, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    return ir_value_add(g, name, dt, &s);
}

static int32_t cst(IrGraph *g, const char *name, int rank, const int64_t *dims, const float *data)
{
    int32_t v = val(g, name, DT_FLOAT, rank, dims);
    ir_value_set_data(g, v, data, (size_t)ir_shape_numel(&g->values[v].shape) * sizeof(float));
    g->values[v].flags |= IR_VAL_CONST;
    return v;
}

static void ints_attr(IrGraph *g, int32_t n, const char *name, const int64_t *v, int k)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
    a->n = k;
    a->ints = dla_arena_memdup(&g->arena, v, (size_t)k * sizeof *v);
}

static void set_q(IrGraph *g, const char *name, float s, int32_t zp)
{
    int32_t v = ir_value_find(g, name);
    CU_ASSERT_FATAL(v >= 0);
    IrQuant *q = &g->values[v].quant;
    q->count = 1;
    q->axis = -1;
    q->scale = dla_arena_memdup(&g->arena, &s, sizeof s);
    q->zero_point = dla_arena_memdup(&g->arena, &zp, sizeof zp);
}

static DlaStatus run_passes(IrGraph *g, const char *passes, const char *calib, DlaError *err)
{
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.passes = passes;
    ctx.quantize = 1;
    ctx.executor = host_executor();
    ctx.calib_dir = calib;
    return pipeline(g, &ctx, err);
}

/* x[1,1,3,3] -> Conv(W[2,1,2,2], B[2], pads 1) -> act -> y.
 * act: 0 none, 1 Relu, 2 Clip(0, 6), 3 Clip(-1, 2). */
static IrGraph *tiny_conv(int act)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    int64_t xd[] = {1, 1, 3, 3}, wd[] = {2, 1, 2, 2}, two = 2, yd[] = {1, 2, 4, 4};
    /* channel 0: max|w| = 127 -> sw = 1; channel 1: max|w| = 15.875 -> sw = 0.125 */
    const float w[] = {127, -63.5f, 0, 1, 15.875f, 8.0f, -4.0625f, 0.0625f};
    const float b[] = {1.0f, -0.75f};
    int32_t x = val(g, "x", DT_FLOAT, 4, xd);
    ir_graph_add_input(g, x);
    int32_t in[3] = {x, cst(g, "W", 4, wd, w), cst(g, "B", 1, &two, b)};
    int32_t c = val(g, "c", DT_FLOAT, 4, yd);
    int32_t n = ir_node_add(g, "conv", "Conv", "", in, 3, &c, 1);
    const int64_t pads[] = {1, 1, 1, 1};
    ints_attr(g, n, "pads", pads, 4);
    int32_t y = c;
    if (act) {
        y = val(g, "y", DT_FLOAT, 4, yd);
        if (act == 1) {
            ir_node_add(g, "relu", "Relu", "", &c, 1, &y, 1);
        } else {
            float lo = act == 2 ? 0.0f : -1.0f, hi = act == 2 ? 6.0f : 2.0f;
            int32_t cin[3] = {c, cst(g, "lo", 0, NULL, &lo), cst(g, "hi", 0, NULL, &hi)};
            ir_node_add(g, "clip", "Clip", "", cin, 3, &y, 1);
        }
    }
    ir_graph_add_output(g, y);
    return g;
}

static void test_conv_numbers(void)
{
    for (int act = 0; act < 4; act++) {
        IrGraph *g = tiny_conv(act);
        DlaError err = {0};
        CU_ASSERT_EQUAL_FATAL(run_passes(g, "shapes,partition", NULL, &err), DLA_OK);
        CU_ASSERT_EQUAL(g->nodes[0].device, IR_DEVICE_DLA);
        if (act)
            CU_ASSERT_EQUAL(g->nodes[1].device, IR_DEVICE_DLA);
        /* calibration by hand: sx = 0.5, zx = -10; sy = 0.25, zy = -128 (or 0 for the
         * Clip(-1, 2) case, whose range straddles 0) */
        set_q(g, "x", 0.5f, -10);
        int32_t zy = act == 3 ? 0 : -128;
        set_q(g, act ? "y" : "c", 0.25f, zy);
        DlaStatus st = run_passes(g, "quantize,qdce", NULL, &err);
        if (st != DLA_OK)
            fprintf(stderr, "quantize: %s\n", err.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        CU_ASSERT_EQUAL(ir_verify(g, &err), DLA_OK);
        CU_ASSERT_EQUAL(g->nnodes, 3);
        CU_ASSERT_EQUAL(count_op(g, "QuantizeLinear"), 1);
        CU_ASSERT_EQUAL(count_op(g, "DequantizeLinear"), 1);
        CU_ASSERT_EQUAL(count_op(g, "Relu") + count_op(g, "Clip"), 0);
        int32_t n = find_node(g, "QConv");
        CU_ASSERT_FATAL(n >= 0);
        CU_ASSERT_EQUAL(g->nodes[n].device, IR_DEVICE_DLA);
        const IrValue *W = &g->values[g->nodes[n].inputs[1]], *B = &g->values[g->nodes[n].inputs[2]];
        CU_ASSERT_EQUAL(W->dtype, DT_INT8);
        CU_ASSERT_EQUAL(B->dtype, DT_INT32);
        /* w / sw rounded half to even: -63.5 -> -64, -32.5 -> -32, 0.5 -> 0 */
        const int8_t wq[] = {127, -64, 0, 1, 127, 64, -32, 0};
        CU_ASSERT_EQUAL(memcmp(W->data, wq, 8), 0);
        CU_ASSERT_EQUAL(W->quant.count, 2);
        CU_ASSERT_EQUAL(W->quant.axis, 0);
        CU_ASSERT_EQUAL(W->quant.scale[0], 1.0f);
        CU_ASSERT_EQUAL(W->quant.scale[1], 0.125f);
        /* B = rne(b / (sx*sw)) - zx * sum(wq):  2 + 10*64 = 642;  -12 + 10*159 = 1578 */
        const int32_t *bq = B->data;
        CU_ASSERT_EQUAL(bq[0], 642);
        CU_ASSERT_EQUAL(bq[1], 1578);
        const IrAttr *sc = ir_attr_find(g, n, "scale");
        CU_ASSERT_FATAL(sc && sc->n == 2);
        CU_ASSERT_EQUAL(sc->floats[0], 2.0f);  /* (0.5 * 1) / 0.25 */
        CU_ASSERT_EQUAL(sc->floats[1], 0.25f); /* (0.5 * 0.125) / 0.25 */
        int64_t lo = ir_attr_int(g, n, "lo", 999), hi = ir_attr_int(g, n, "hi", 999);
        /* none: full range; Relu: lo = zy; Clip(0,6): hi = -128 + 6/0.25; Clip(-1,2): -4..8 */
        const int64_t want_lo[] = {-128, -128, -128, -4}, want_hi[] = {127, 127, -104, 8};
        CU_ASSERT_EQUAL(lo, want_lo[act]);
        CU_ASSERT_EQUAL(hi, want_hi[act]);
        const int64_t *p;
        CU_ASSERT_EQUAL(ir_attr_ints(g, n, "pads", &p), 4);
        CU_ASSERT_EQUAL(p[0], 1);
        /* the int8 activations carry their parameters; the float output keeps its name */
        const IrValue *xq = &g->values[g->nodes[n].inputs[0]], *yq = &g->values[g->nodes[n].outputs[0]];
        CU_ASSERT(xq->quant.count == 1 && xq->quant.scale[0] == 0.5f && xq->quant.zero_point[0] == -10);
        CU_ASSERT(yq->quant.count == 1 && yq->quant.scale[0] == 0.25f && yq->quant.zero_point[0] == zy);
        CU_ASSERT_STRING_EQUAL(g->values[g->outputs[0]].name, act ? "y" : "c");
        CU_ASSERT_EQUAL(g->values[g->outputs[0]].dtype, DT_FLOAT);
        CU_ASSERT_EQUAL(g->values[g->outputs[0]].quant.count, 0);
        ir_graph_free(g);
    }
}

/* x[2,4] -> Gemm(W[3,4] transB, alpha 2, beta 0.5, C[3]) -> Add(., Relu(MaxPool..)) is
 * not expressible in 2-D; instead: x -> Gemm -> g1; x -> MatMul(W2[4,3]) -> m1;
 * Add(g1, m1) -> a; Relu(a) fused; also a standalone Relu after a MaxPool. */
static void test_gemm_add(void)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    int64_t xd[] = {2, 4}, wd[] = {3, 4}, w2d[] = {4, 3}, three = 3, yd[] = {2, 3};
    const float w[] = {1, 2, 3, 4, -1, -2, -3, -4, 0.5f, 0, 0, 0};
    const float w2[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1};
    const float c[] = {4, -4, 2};
    int32_t x = val(g, "x", DT_FLOAT, 2, xd);
    ir_graph_add_input(g, x);
    int32_t gin[3] = {x, cst(g, "W", 2, wd, w), cst(g, "C", 1, &three, c)};
    int32_t g1 = val(g, "g1", DT_FLOAT, 2, yd), m1 = val(g, "m1", DT_FLOAT, 2, yd);
    int32_t a = val(g, "a", DT_FLOAT, 2, yd), r = val(g, "r", DT_FLOAT, 2, yd);
    int32_t n = ir_node_add(g, "gemm", "Gemm", "", gin, 3, &g1, 1);
    ir_node_add_attr(g, n, "transB", IR_ATTR_INT)->i = 1;
    ir_node_add_attr(g, n, "alpha", IR_ATTR_FLOAT)->f = 2.0f;
    ir_node_add_attr(g, n, "beta", IR_ATTR_FLOAT)->f = 0.5f;
    int32_t min[2] = {x, cst(g, "W2", 2, w2d, w2)};
    ir_node_add(g, "mm", "MatMul", "", min, 2, &m1, 1);
    int32_t ain[2] = {g1, m1};
    ir_node_add(g, "add", "Add", "", ain, 2, &a, 1);
    ir_node_add(g, "relu", "Relu", "", &a, 1, &r, 1);
    int32_t sm = val(g, "sm", DT_FLOAT, 2, yd);
    ir_node_add(g, "softmax", "Softmax", "", &r, 1, &sm, 1);
    ir_graph_add_output(g, sm);
    ir_graph_add_output(g, g1); /* g1 is also a graph output: dequantized, and feeds the Add */
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(run_passes(g, "shapes,partition", NULL, &err), DLA_OK);
    const int want_dev[] = {1, 1, 1, 1, 0};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(g->nodes[i].device, want_dev[i]);
    set_q(g, "x", 0.125f, 0);
    set_q(g, "g1", 0.5f, 3);
    set_q(g, "m1", 0.25f, -2);
    set_q(g, "r", 0.0625f, -128);
    DlaStatus st = run_passes(g, "quantize,qdce", NULL, &err);
    if (st != DLA_OK)
        fprintf(stderr, "quantize: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(ir_verify(g, &err), DLA_OK);
    CU_ASSERT_EQUAL(count_op(g, "QGemm"), 2);
    CU_ASSERT_EQUAL(count_op(g, "QAdd"), 1);
    CU_ASSERT_EQUAL(count_op(g, "QuantizeLinear"), 1);   /* x once, for both consumers */
    CU_ASSERT_EQUAL(count_op(g, "DequantizeLinear"), 2); /* g1 (graph output), r (Softmax) */
    CU_ASSERT_EQUAL(count_op(g, "Relu"), 0);
    int32_t gm = find_node(g, "QGemm");
    CU_ASSERT_FATAL(gm >= 0);
    /* W' = 2 * W (transB: rows already [N,K]); channel 0 max 8 -> sw = 8/127 */
    const IrValue *W = &g->values[g->nodes[gm].inputs[1]];
    CU_ASSERT_EQUAL(W->shape.rank, 2);
    CU_ASSERT_EQUAL(W->shape.dims[0], 3);
    CU_ASSERT_EQUAL(W->shape.dims[1], 4);
    const int8_t *wq = W->data;
    CU_ASSERT_EQUAL(wq[3], 127);
    CU_ASSERT_EQUAL(wq[7], -127);
    CU_ASSERT_EQUAL(wq[8], 127);
    CU_ASSERT_EQUAL(wq[9], 0);
    CU_ASSERT_EQUAL(W->quant.scale[2], 1.0f / 127.0f);
    /* bias = rne(0.5*C / (sx*sw)), zx = 0: channel 2: 1 / (0.125/127) = 1016 */
    CU_ASSERT_EQUAL(((const int32_t *)g->values[g->nodes[gm].inputs[2]].data)[2], 1016);
    int32_t ad = find_node(g, "QAdd");
    CU_ASSERT_EQUAL(ir_attr_float(g, ad, "sa", 0), 0.5f);
    CU_ASSERT_EQUAL(ir_attr_float(g, ad, "sb", 0), 0.25f);
    CU_ASSERT_EQUAL(ir_attr_float(g, ad, "sy", 0), 0.0625f);
    CU_ASSERT_EQUAL(ir_attr_int(g, ad, "lo", 0), -128); /* fused Relu: lo = zy */
    /* the MatMul's W2 [K,N] is transposed to [N,K] */
    int32_t mm = -1;
    for (int32_t i = 0; i < g->nnodes; i++)
        if (strcmp(g->nodes[i].op_type, "QGemm") == 0 && strcmp(g->nodes[i].name, "mm") == 0)
            mm = i;
    CU_ASSERT_FATAL(mm >= 0);
    const int8_t *w2q = g->values[g->nodes[mm].inputs[1]].data;
    const int8_t want2[] = {127, 0, 0, 127, 0, 127, 0, 127, 0, 0, 127, 127};
    CU_ASSERT_EQUAL(memcmp(w2q, want2, 12), 0);
    ir_graph_free(g);
}

/* x -> MaxPool(2x2) -> Relu (standalone: a QLut) -> AveragePool(2x2) ->
 * GlobalAveragePool: parameters of pooled values and the table. */
static void test_pools_lut(void)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    int64_t xd[] = {1, 2, 8, 8}, pd[] = {1, 2, 4, 4}, ad[] = {1, 2, 2, 2}, gd[] = {1, 2, 1, 1};
    int32_t x = val(g, "x", DT_FLOAT, 4, xd), mp = val(g, "mp", DT_FLOAT, 4, pd), r = val(g, "r", DT_FLOAT, 4, pd);
    int32_t ap = val(g, "ap", DT_FLOAT, 4, ad), gp = val(g, "gp", DT_FLOAT, 4, gd);
    ir_graph_add_input(g, x);
    const int64_t k2[] = {2, 2};
    int32_t n = ir_node_add(g, "mp", "MaxPool", "", &x, 1, &mp, 1);
    ints_attr(g, n, "kernel_shape", k2, 2);
    ints_attr(g, n, "strides", k2, 2);
    ir_node_add(g, "relu", "Relu", "", &mp, 1, &r, 1);
    n = ir_node_add(g, "ap", "AveragePool", "", &r, 1, &ap, 1);
    ints_attr(g, n, "kernel_shape", k2, 2);
    ints_attr(g, n, "strides", k2, 2);
    ir_node_add(g, "gap", "GlobalAveragePool", "", &ap, 1, &gp, 1);
    ir_graph_add_output(g, gp);
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(run_passes(g, "shapes,partition", NULL, &err), DLA_OK);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(g->nodes[i].device, IR_DEVICE_DLA);
    set_q(g, "x", 0.5f, 10);
    set_q(g, "mp", 0.25f, 0); /* ignored: MaxPool keeps x's parameters */
    set_q(g, "r", 0.25f, -128);
    set_q(g, "ap", 0.125f, -128);
    set_q(g, "gp", 0.5f, -128);
    CU_ASSERT_EQUAL_FATAL(run_passes(g, "quantize,qdce", NULL, &err), DLA_OK);
    CU_ASSERT_EQUAL(ir_verify(g, &err), DLA_OK);
    int32_t m = find_node(g, "QMaxPool"), l = find_node(g, "QLut"), a = find_node(g, "QAvgPool"),
            gg = find_node(g, "QGlobalAvgPool");
    CU_ASSERT_FATAL(m >= 0 && l >= 0 && a >= 0 && gg >= 0);
    const IrQuant *mq = &g->values[g->nodes[m].outputs[0]].quant;
    CU_ASSERT(mq->scale[0] == 0.5f && mq->zero_point[0] == 10);
    /* table[i] = sat8(rne(relu(0.5*(i-128-10)) / 0.25) - 128) */
    const int64_t *t;
    CU_ASSERT_EQUAL_FATAL(ir_attr_ints(g, l, "table", &t), 256);
    CU_ASSERT_EQUAL(t[0], -128);
    CU_ASSERT_EQUAL(t[138], -128);  /* x = 0 */
    CU_ASSERT_EQUAL(t[139], -126);  /* x = 0.5 -> 2 steps */
    CU_ASSERT_EQUAL(t[200], -4);    /* x = 31 -> 124 steps */
    CU_ASSERT_EQUAL(t[255], 106);   /* x = 58.5 -> 234 steps */
    CU_ASSERT_EQUAL(ir_attr_find(g, a, "scale")->floats[0], 0.25f / (0.125f * 4.0f));
    CU_ASSERT_EQUAL(ir_attr_find(g, gg, "scale")->floats[0], 0.125f / (0.5f * 4.0f));
    ir_graph_free(g);
}

/* Conv -> Sigmoid / HardSwish: a QLut whose table is the function over the
 * 256 int8 inputs. */
static void test_lut_functions(void)
{
    for (int k = 0; k < 2; k++) {
        IrGraph *g = tiny_conv(0);
        int32_t c = ir_value_find(g, "c");
        int32_t y = ir_value_add(g, "y", DT_FLOAT, &g->values[c].shape);
        ir_node_add(g, "f", k ? "HardSwish" : "Sigmoid", "", &c, 1, &y, 1);
        g->values[c].flags &= ~(uint32_t)IR_VAL_OUTPUT;
        g->outputs[0] = y;
        g->values[y].flags |= IR_VAL_OUTPUT;
        DlaError err = {0};
        CU_ASSERT_EQUAL_FATAL(run_passes(g, "shapes,partition", NULL, &err), DLA_OK);
        CU_ASSERT_EQUAL(g->nodes[1].device, IR_DEVICE_DLA);
        set_q(g, "x", 0.5f, -10);
        set_q(g, "c", 0.5f, 10);
        set_q(g, "y", k ? 0.25f : 1.0f / 256.0f, -128);
        CU_ASSERT_EQUAL_FATAL(run_passes(g, "quantize,qdce", NULL, &err), DLA_OK);
        int32_t l = find_node(g, "QLut");
        CU_ASSERT_FATAL(l >= 0);
        const int64_t *t;
        CU_ASSERT_EQUAL_FATAL(ir_attr_ints(g, l, "table", &t), 256);
        /* input value at index i: 0.5 * (i - 128 - 10) */
        if (k == 0) {
            CU_ASSERT_EQUAL(t[0], -128);  /* sigmoid(-69) * 256 rounds to 0 */
            CU_ASSERT_EQUAL(t[138], 0);   /* sigmoid(0) = 0.5 -> 128 steps */
            CU_ASSERT_EQUAL(t[140], 59);  /* sigmoid(1) * 256 = 187.15 */
            CU_ASSERT_EQUAL(t[255], 127); /* 256 steps: saturated */
        } else {
            CU_ASSERT_EQUAL(t[132], -128); /* x = -3: 0 */
            CU_ASSERT_EQUAL(t[138], -128); /* x = 0 */
            CU_ASSERT_EQUAL(t[140], -125); /* x = 1: 1 * 4/6 = 0.667 -> 2.67 steps -> 3 */
            CU_ASSERT_EQUAL(t[146], -112); /* x = 4: 4 -> 16 steps */
        }
        ir_graph_free(g);
    }
}

/* ---- model zoo ---- */

static IrGraph *load(const char *model, const char *input_shape) { return dla_test_zoo_load(model, input_shape); }

#define CANON "shapes,identity,fold,bn-fold,dce,reshapes"

static void test_partition_zoo(void)
{
    static const struct {
        const char *model;
        int dla, host; /* expected live nodes after partitioning */
    } zoo[] = {
        {"digits_cnn", 10, 0},    /* Flatten is a view in front of the Gemm */
        {"squeezenet1_1", 65, 0}, /* 8 Concat and the output Flatten on the DLA too */
        {"resnet18", 49, 0},
        {"mobilenet_v2", 100, 0},
        {"tiny_encoder", -1, -1}, /* printed only */
    };
    for (size_t i = 0; i < sizeof zoo / sizeof zoo[0]; i++) {
        IrGraph *g = load(zoo[i].model, NULL);
        if (!g)
            return;
        DlaError err = {0};
        CU_ASSERT_EQUAL_FATAL(run_passes(g, CANON ",partition", NULL, &err), DLA_OK);
        int dla = 0, host = 0;
        char hostops[512] = "";
        for (int32_t n = 0; n < g->nnodes; n++) {
            if (g->nodes[n].dead)
                continue;
            if (g->nodes[n].device == IR_DEVICE_DLA) {
                dla++;
            } else {
                host++;
                if (!strstr(hostops, g->nodes[n].op_type) && strlen(hostops) < 400) {
                    strcat(hostops, " ");
                    strcat(hostops, g->nodes[n].op_type);
                }
            }
        }
        fprintf(stderr, "  partition %-14s accelerator %3d, host %3d nodes (host ops:%s)\n", zoo[i].model, dla,
                host, hostops);
        if (zoo[i].dla >= 0) {
            CU_ASSERT_EQUAL(dla, zoo[i].dla);
            CU_ASSERT_EQUAL(host, zoo[i].host);
        }
        ir_graph_free(g);
    }
}

static const char *digits_calib(char *buf, size_t n)
{
    const char *dir = dla_test_models_dir();
    if (!dir)
        return NULL;
    snprintf(buf, n, "%s/digits_cnn/calib", dir);
    return buf;
}

static void test_calibrate_digits(void)
{
    char calib[8192];
    if (!digits_calib(calib, sizeof calib))
        return;
    IrGraph *g = load("digits_cnn", NULL);
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(run_passes(g, CANON ",partition", NULL, &err), DLA_OK);
    int32_t nout = g->noutputs, in = g->inputs[0];
    IrShape ins = g->values[in].shape;
    CalibResult res;
    DlaStatus st = calib_collect(g, host_executor(), calib, CALIB_MINMAX, &res, &err);
    if (st != DLA_OK)
        fprintf(stderr, "calib_collect: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(res.ninputs, 8);
    CU_ASSERT_EQUAL(res.ncompiles, 1); /* batch bound to 1 once, all files alike */
    /* input, 3 conv+relu outputs, maxpool, global pool, its flattened view, gemm output */
    CU_ASSERT_EQUAL(res.n, 8);
    /* the graph is given back unchanged */
    CU_ASSERT_EQUAL(g->noutputs, nout);
    CU_ASSERT(g->values[in].shape.sym[0] != NULL && ir_shape_equal(&g->values[in].shape, &ins));
    /* the input's range equals the files' own extremes */
    double fmin = INFINITY, fmax = -INFINITY;
    for (int f = 0; f < 8; f++) {
        char path[8400];
        snprintf(path, sizeof path, "%s/input_%d.pb", calib, f);
        OnnxTensorFile t;
        CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(path, &t, &err), DLA_OK);
        for (size_t i = 0; i < t.nbytes / 4; i++) {
            fmin = fmin < ((float *)t.data)[i] ? fmin : ((float *)t.data)[i];
            fmax = fmax > ((float *)t.data)[i] ? fmax : ((float *)t.data)[i];
        }
        onnx_tensor_file_free(&t);
    }
    for (int32_t j = 0; j < res.n; j++) {
        const CalibEntry *e = &res.entries[j];
        const IrValue *v = &g->values[e->value];
        fprintf(stderr, "  calib %-32s [%9.4f, %9.4f] scale %.6g zp %4d\n", v->name, e->lo, e->hi, e->qp.scale,
                (int)e->qp.zero_point);
        CU_ASSERT(isfinite(e->qp.scale) && e->qp.scale > 0 && e->qp.scale < 1.0f);
        CU_ASSERT(e->qp.zero_point >= -128 && e->qp.zero_point <= 127);
        CU_ASSERT(e->lo == e->min && e->hi == e->max); /* minmax */
        CU_ASSERT(e->max > e->min);
        if (e->value == in) {
            CU_ASSERT_EQUAL(e->min, fmin);
            CU_ASSERT_EQUAL(e->max, fmax);
        }
        if (strstr(v->name, "Relu") || strstr(v->name, "Pool")) {
            CU_ASSERT(e->min >= 0);
            CU_ASSERT_EQUAL(e->qp.zero_point, -128);
        }
    }
    calib_result_free(&res);
    /* other methods give ranges inside min/max */
    for (int m = CALIB_PERCENTILE; m <= CALIB_MSE; m++) {
        st = calib_collect(g, host_executor(), calib, (CalibMethod)m, &res, &err);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        for (int32_t j = 0; j < res.n; j++)
            CU_ASSERT(res.entries[j].lo >= res.entries[j].min - 1e-9 && res.entries[j].hi <= res.entries[j].max + 1e-9);
        calib_result_free(&res);
    }
    ir_graph_free(g);
}

static void test_calib_errors(void)
{
    IrGraph *g = tiny_conv(1);
    DlaError err = {0};
    /* pipeline with quantization and no --calib */
    DlaStatus st = run_passes(g, "shapes,partition,calibrate,quantize", NULL, &err);
    CU_ASSERT_NOT_EQUAL(st, DLA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "pass --calib DIR"));
    fprintf(stderr, "  no calib: %s\n", err.msg);
    /* a folder without *.pb, and one that does not exist */
    dla_error_clear(&err);
    st = run_passes(g, "calibrate", DLA_SOURCE_DIR "/passes", &err);
    CU_ASSERT_NOT_EQUAL(st, DLA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no *.pb"));
    dla_error_clear(&err);
    st = run_passes(g, "calibrate", DLA_SOURCE_DIR "/no/such/dir", &err);
    CU_ASSERT_NOT_EQUAL(st, DLA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--calib DIR"));
    /* files of the wrong shape */
    char calib[8192];
    if (digits_calib(calib, sizeof calib)) {
        dla_error_clear(&err);
        st = run_passes(g, "calibrate", calib, &err);
        CU_ASSERT_NOT_EQUAL(st, DLA_OK);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "has shape [1,1,8,8]"));
        fprintf(stderr, "  wrong shape: %s\n", err.msg);
    }
    /* quantize without calibration parameters */
    dla_error_clear(&err);
    st = run_passes(g, "quantize", NULL, &err);
    CU_ASSERT_NOT_EQUAL(st, DLA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "calibration parameters"));
    ir_graph_free(g);
    /* without the quantize flag the passes do nothing */
    g = tiny_conv(1);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    CU_ASSERT_EQUAL(pipeline(g, &ctx, &err), DLA_OK);
    CU_ASSERT_EQUAL(count_op(g, "Conv"), 1);
    CU_ASSERT_EQUAL(g->nodes[0].device, IR_DEVICE_HOST);
    ir_graph_free(g);
}

/* Non-finite weights keep a node on the host instead of producing an
 * int8 image with infinite scales. */
static void test_nonfinite_weights(void)
{
    const float bad[] = {NAN, INFINITY};
    for (int k = 0; k < 2; k++) {
        IrGraph *g = tiny_conv(1);
        ((float *)g->values[ir_value_find(g, k ? "B" : "W")].data)[1] = bad[k];
        DlaError err = {0};
        CU_ASSERT_EQUAL_FATAL(run_passes(g, "shapes,partition", NULL, &err), DLA_OK);
        const char *why = NULL;
        CU_ASSERT_FALSE(quant_dla_supported(g, 0, &why));
        CU_ASSERT_PTR_NOT_NULL(why);
        CU_ASSERT_EQUAL(g->nodes[0].device, IR_DEVICE_HOST);
        CU_ASSERT_EQUAL(g->nodes[1].device, IR_DEVICE_HOST); /* its Relu follows it */
        ir_graph_free(g);
    }
}

/* ---- digits_cnn end to end through the integer reference ---- */

static float *read_floats(const char *path, IrShape *shape)
{
    OnnxTensorFile t;
    DlaError err = {0};
    if (onnx_tensor_read(path, &t, &err) != DLA_OK) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        return NULL;
    }
    *shape = t.shape;
    float *p = t.data;
    t.data = NULL;
    onnx_tensor_file_free(&t);
    return p;
}

/* A tiny executor for fully quantized graphs (QuantizeLinear of the one input,
 * Q-ops, DequantizeLinear of the one output): the boundaries in plain C with
 * the ONNX formulas, the Q-ops through the integer reference. Writes the
 * float output (numel of the graph output) to y; returns the status. */
static DlaStatus run_int8(const IrGraph *g, const float *x, float *y, DlaError *err)
{
    int8_t **vals = dla_calloc((size_t)g->nvalues, sizeof *vals);
    int32_t *qn = dla_malloc((size_t)g->nnodes * sizeof *qn), nq = 0;
    DlaStatus st = DLA_OK;
    for (int32_t n = 0; n < g->nnodes && st == DLA_OK; n++) {
        const IrNode *nd = &g->nodes[n];
        if (strcmp(nd->domain, "dlacc") == 0) {
            qn[nq++] = n;
            continue;
        }
        /* a boundary: run the pending Q-ops first */
        if (nq && (st = qref_run(g, qn, nq, vals, err)) != DLA_OK)
            break;
        nq = 0;
        const IrValue *q = &g->values[strcmp(nd->op_type, "QuantizeLinear") == 0 ? nd->outputs[0] : nd->inputs[0]];
        float s = q->quant.scale[0];
        int32_t zp = q->quant.zero_point[0];
        int64_t numel = ir_shape_numel(&q->shape);
        if (strcmp(nd->op_type, "QuantizeLinear") == 0 && g->values[nd->inputs[0]].flags & IR_VAL_INPUT) {
            vals[nd->outputs[0]] = dla_malloc((size_t)numel);
            for (int64_t i = 0; i < numel; i++)
                vals[nd->outputs[0]][i] = quant_quantize_int8(x[i], s, zp);
        } else if (strcmp(nd->op_type, "DequantizeLinear") == 0 && g->values[nd->outputs[0]].flags & IR_VAL_OUTPUT) {
            for (int64_t i = 0; i < numel; i++)
                y[i] = (float)(vals[nd->inputs[0]][i] - zp) * s;
        } else {
            st = dla_errorf(err, DLA_ERR_UNSUPPORTED, "run_int8: node '%s' (%s) is not a boundary at the graph's "
                            "input or output", nd->name, nd->op_type);
        }
    }
    if (st == DLA_OK && nq)
        st = qref_run(g, qn, nq, vals, err);
    for (int32_t v = 0; v < g->nvalues; v++)
        free(vals[v]);
    free(vals);
    free(qn);
    return st;
}

static double sqnr_db(const float *ref, const float *y, int64_t n)
{
    double sig = 0, noise = 0;
    for (int64_t i = 0; i < n; i++) {
        sig += (double)ref[i] * ref[i];
        noise += (double)(ref[i] - y[i]) * (ref[i] - y[i]);
    }
    return 10 * log10(sig / (noise > 0 ? noise : 1e-30));
}

static int argmax(const float *v, int n)
{
    int a = 0;
    for (int k = 1; k < n; k++)
        if (v[k] > v[a])
            a = k;
    return a;
}

static IrGraph *quantized(const char *model, const char *input_shape, const char *calib, CalibMethod m)
{
    IrGraph *g = load(model, input_shape);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.quantize = 1;
    ctx.executor = host_executor();
    ctx.calib_dir = calib;
    ctx.calib_method = (int)m;
    DlaError err = {0};
    DlaStatus st = pipeline(g, &ctx, &err);
    if (st != DLA_OK)
        fprintf(stderr, "%s pipeline: %s\n", model, err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(ir_verify(g, &err), DLA_OK);
    return g;
}

/* Each Q-op alone: its inputs are the float graph's values (fv, one per
 * output of gf, found by name: NAME_q is the int8 version of NAME), quantized;
 * its dequantized output is compared with the float value. This isolates the
 * op's own error (int8 rounding of its output and weights) from what earlier
 * layers accumulate. digits_cnn's convs and pools reach 37-45 dB; the Gemm
 * 21.8 dB: its 16 inputs (the global pool) share one int8 step set by the
 * largest channel (range [0, 26.8]), coarse for the small ones. Bound: 20 dB. */
static void local_sqnr(const IrGraph *g, const IrGraph *gf, float **fv, const float *x)
{
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        if (strcmp(nd->domain, "dlacc") != 0)
            continue;
        int8_t **lv = dla_calloc((size_t)g->nvalues, sizeof *lv);
        const float *ref = NULL;
        for (int32_t i = -1; i < nd->ninputs; i++) {
            int32_t v = i < 0 ? nd->outputs[0] : nd->inputs[i];
            if (g->values[v].flags & IR_VAL_CONST)
                continue;
            char name[512];
            snprintf(name, sizeof name, "%s", g->values[v].name);
            name[strlen(name) - 2] = 0; /* drop "_q" */
            const float *src = x;       /* the graph input's int8 version */
            for (int32_t k = 0; k < gf->noutputs; k++)
                if (strcmp(gf->values[gf->outputs[k]].name, name) == 0)
                    src = fv[k];
            if (i < 0) {
                ref = src;
                continue;
            }
            int64_t c = ir_shape_numel(&g->values[v].shape);
            lv[v] = dla_malloc((size_t)c);
            for (int64_t j = 0; j < c; j++)
                lv[v][j] = quant_quantize_int8(src[j], g->values[v].quant.scale[0], g->values[v].quant.zero_point[0]);
        }
        DlaError err = {0};
        CU_ASSERT_EQUAL_FATAL(qref_run(g, &n, 1, lv, &err), DLA_OK);
        const IrValue *y = &g->values[nd->outputs[0]];
        int64_t c = ir_shape_numel(&y->shape);
        float *yd = dla_malloc((size_t)c * sizeof *yd);
        for (int64_t j = 0; j < c; j++)
            yd[j] = (float)(lv[nd->outputs[0]][j] - y->quant.zero_point[0]) * y->quant.scale[0];
        double db = sqnr_db(ref, yd, c);
        fprintf(stderr, "  digits_cnn %-15s %-34s local SQNR %.2f dB\n", nd->op_type, y->name, db);
        CU_ASSERT(db >= 20.0);
        free(yd);
        for (int32_t v = 0; v < g->nvalues; v++)
            free(lv[v]);
        free(lv);
    }
}

/* digits_cnn on its 397 labelled test images, per calibration method. */
static void test_digits_int8(void)
{
    const char *dir = dla_test_models_dir();
    if (!dir)
        return;
    char calib[8192], path[8400];
    digits_calib(calib, sizeof calib);
    snprintf(path, sizeof path, "%s/digits_cnn/dataset/test_images.pb", dir);
    IrShape xs = {0};
    float *x = read_floats(path, &xs);
    CU_ASSERT_FATAL(x != NULL);
    snprintf(path, sizeof path, "%s/digits_cnn/dataset/test_labels.pb", dir);
    OnnxTensorFile lab;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(path, &lab, &err), DLA_OK);
    const int64_t *labels = lab.data;
    int64_t N = xs.dims[0];

    /* float reference on the host JIT */
    IrGraph *gf = load("digits_cnn", "input=397,1,8,8");
    CU_ASSERT_EQUAL_FATAL(run_passes(gf, CANON, NULL, &err), DLA_OK);
    /* every computed value becomes an output, for the per-layer check below */
    for (int32_t n = 0, n0 = gf->nnodes; n < n0; n++)
        if (!(gf->values[gf->nodes[n].outputs[0]].flags & IR_VAL_OUTPUT))
            ir_graph_add_output(gf, gf->nodes[n].outputs[0]);
    HostModel *hm;
    CU_ASSERT_EQUAL_FATAL(host_jit_compile(gf, NULL, &hm, &err), DLA_OK);
    float **fv = dla_calloc((size_t)gf->noutputs, sizeof *fv);
    for (int32_t k = 0; k < gf->noutputs; k++)
        fv[k] = dla_malloc((size_t)ir_shape_numel(&gf->values[gf->outputs[k]].shape) * sizeof(float));
    float *yf = fv[0], *yq = dla_malloc((size_t)N * 10 * sizeof *yq);
    void *ins[1] = {x};
    host_model_run(hm, ins, (void **)fv);
    host_model_free(hm);
    int ok_f = 0;
    for (int64_t i = 0; i < N; i++)
        ok_f += argmax(yf + i * 10, 10) == labels[i];

    for (int m = 0; m < CALIB__COUNT; m++) {
        IrGraph *g = quantized("digits_cnn", "input=397,1,8,8", calib, (CalibMethod)m);
        if (m == CALIB_MINMAX) {
            CU_ASSERT_EQUAL(count_op(g, "QConv"), 3);
            CU_ASSERT_EQUAL(count_op(g, "QMaxPool"), 1);
            CU_ASSERT_EQUAL(count_op(g, "QGlobalAvgPool"), 1);
            CU_ASSERT_EQUAL(count_op(g, "QGemm"), 1);
            CU_ASSERT_EQUAL(count_op(g, "QuantizeLinear"), 1);
            CU_ASSERT_EQUAL(count_op(g, "DequantizeLinear"), 1);
            CU_ASSERT_EQUAL(count_op(g, "QReshape"), 1); /* the Flatten, a view */
            CU_ASSERT_EQUAL(g->nnodes, 9);
            /* the quantized IR (Q-ops, int8 parameters, device marks) round-trips through its text */
            char *t1, *t2;
            size_t l1, l2;
            IrGraph *h = NULL;
            CU_ASSERT_EQUAL_FATAL(ir_print_string(g, NULL, &t1, &l1, &err), DLA_OK);
            CU_ASSERT_EQUAL_FATAL(ir_parse(t1, l1, "quantized", &h, &err), DLA_OK);
            CU_ASSERT_EQUAL(ir_verify(h, &err), DLA_OK);
            CU_ASSERT_EQUAL_FATAL(ir_print_string(h, NULL, &t2, &l2, &err), DLA_OK);
            CU_ASSERT(l1 == l2 && memcmp(t1, t2, l1) == 0);
            for (int32_t n = 0; n < h->nnodes; n++)
                CU_ASSERT_EQUAL(h->nodes[n].device, g->nodes[n].device);
            free(t1);
            free(t2);
            ir_graph_free(h);
            local_sqnr(g, gf, fv, x);
        }
        DlaStatus st = run_int8(g, x, yq, &err);
        if (st != DLA_OK)
            fprintf(stderr, "run_int8: %s\n", err.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        int ok_q = 0, agree = 0;
        for (int64_t i = 0; i < N; i++) {
            ok_q += argmax(yq + i * 10, 10) == labels[i];
            agree += argmax(yq + i * 10, 10) == argmax(yf + i * 10, 10);
        }
        double sqnr = sqnr_db(yf, yq, N * 10);
        fprintf(stderr, "  digits_cnn int8 (qref, %-10s) vs float (host JIT), %lld images: SQNR %.2f dB, "
                        "top-1 float %.4f int8 %.4f, agreement %.4f\n",
                calib_method_name((CalibMethod)m), (long long)N, sqnr, (double)ok_f / (double)N,
                (double)ok_q / (double)N, (double)agree / (double)N);
        CU_ASSERT(sqnr >= 18.0);
        CU_ASSERT(ok_q >= ok_f - (int)(0.02 * (double)N));
        ir_graph_free(g);
    }
    for (int32_t k = 0; k < gf->noutputs; k++)
        free(fv[k]);
    free(fv);
    free(yq);
    free(x);
    onnx_tensor_file_free(&lab);
    ir_graph_free(gf);
}

/* squeezenet1_1, resnet18, mobilenet_v2, tiny_encoder quantize to graphs that verify, with
 * known shapes and int8 parameters everywhere; resnet18 and mobilenet_v2
 * quantize completely and run in int8 through qref, compared with ONNX
 * Runtime's reference output of test_data_set_0 (SQNR, top-1). */
static void test_quantize_zoo(void)
{
    static const char *models[] = {"squeezenet1_1", "resnet18", "mobilenet_v2", "tiny_encoder"};
    const char *dir = dla_test_models_dir();
    if (!dir)
        return;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char calib[8192], path[8400];
        snprintf(calib, sizeof calib, "%s/%s/calib", dir, models[i]);
        IrGraph *g = quantized(models[i], NULL, calib, CALIB_MINMAX);
        const char *names[64];
        int32_t counts[64];
        int k = pass_count_ops(g, names, counts, 64);
        fprintf(stderr, "  quantized %-14s %3d nodes:", models[i], g->nnodes);
        for (int j = 0; j < k && j < 64; j++)
            fprintf(stderr, " %s=%d", names[j], counts[j]);
        fprintf(stderr, "\n");
        for (int32_t n = 0; n < g->nnodes; n++) {
            const IrNode *nd = &g->nodes[n];
            CU_ASSERT(strcmp(nd->domain, "dlacc") == 0 || nd->device == IR_DEVICE_HOST);
            /* what is not a Q-op (boundaries, int8 Concat, float ops) is the host's */
            CU_ASSERT(strcmp(nd->domain, "dlacc") == 0 || host_supports_op(nd->op));
            for (int32_t o = 0; o < nd->noutputs; o++) {
                const IrValue *v = &g->values[nd->outputs[o]];
                CU_ASSERT(ir_shape_known(&v->shape));
                if (v->dtype == DT_INT8)
                    CU_ASSERT(v->quant.count == 1);
            }
        }
        /* nothing stays in float on the host */
        if (i < 3)
            CU_ASSERT_EQUAL(count_op(g, "Conv") + count_op(g, "Relu") + count_op(g, "Add") + count_op(g, "Gemm"), 0);
        if (i == 0) { /* squeezenet: QConcat whose inputs (fresh Conv results) take its parameters:
                       * plain copies (scale 1), and the output Flatten a QReshape */
            CU_ASSERT_EQUAL(count_op(g, "Concat"), 0);
            CU_ASSERT_EQUAL(count_op(g, "QConcat"), 8);
            CU_ASSERT_EQUAL(count_op(g, "QReshape"), 1);
            CU_ASSERT_EQUAL(count_op(g, "Flatten"), 0);
            CU_ASSERT_EQUAL(count_op(g, "QuantizeLinear"), 1);
            CU_ASSERT_EQUAL(count_op(g, "DequantizeLinear"), 1);
            for (int32_t n = 0; n < g->nnodes; n++) {
                if (strcmp(g->nodes[n].op_type, "QConcat") != 0)
                    continue;
                const IrQuant *yq = &g->values[g->nodes[n].outputs[0]].quant;
                const IrAttr *sc = ir_attr_find(g, n, "scale");
                CU_ASSERT_EQUAL(g->values[g->nodes[n].outputs[0]].dtype, DT_INT8);
                for (int32_t k = 0; k < g->nodes[n].ninputs; k++) {
                    const IrQuant *xq = &g->values[g->nodes[n].inputs[k]].quant;
                    CU_ASSERT(xq->count == 1 && xq->scale[0] == yq->scale[0] && xq->zero_point[0] == yq->zero_point[0]);
                    CU_ASSERT(sc && sc->floats[k] == 1.0f);
                }
            }
        }
        if (i == 3) { /* int64 token ids calibrate too; 3 Gemms and 6 MatMuls with constant
                       * weights over [1,32,K] (reshaped to [32,K] and back, in int8) */
            CU_ASSERT_EQUAL(count_op(g, "QGemm"), 9);
            CU_ASSERT_EQUAL(count_op(g, "MatMul"), 4); /* attention: both operands computed */
            for (int32_t n = 0; n < g->nnodes; n++)
                if (strcmp(g->nodes[n].op_type, "QGemm") == 0)
                    CU_ASSERT_EQUAL(g->values[g->nodes[n].inputs[0]].shape.rank, 2);
        }
        int run = i == 1 || i == 2; /* fully quantized: the executor below runs them */
#ifdef DLA_SANITIZE
        /* the ImageNet-sized int8 runs measure numerics, not memory safety
         * (qref's own tests cover that); they would double this test's time */
        run = 0;
#endif
        if (!run) {
            ir_graph_free(g);
            continue;
        }
        IrShape xs = {0}, ys = {0};
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/input_0.pb", dir, models[i]);
        float *x = read_floats(path, &xs);
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/output_0.pb", dir, models[i]);
        float *ref = read_floats(path, &ys);
        CU_ASSERT_FATAL(x && ref);
        int64_t n = ir_shape_numel(&ys);
        float *y = dla_malloc((size_t)n * sizeof *y);
        DlaError err = {0};
        DlaStatus st = run_int8(g, x, y, &err);
        if (st != DLA_OK)
            fprintf(stderr, "%s run_int8: %s\n", models[i], err.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        double sqnr = sqnr_db(ref, y, n);
        int top_ref = argmax(ref, (int)n), top_q = argmax(y, (int)n);
        fprintf(stderr, "  %-14s int8 (qref, minmax) vs ONNX Runtime: SQNR %.2f dB, top-1 %d vs %d\n", models[i],
                sqnr, top_q, top_ref);
        CU_ASSERT(sqnr >= 10.0);
        CU_ASSERT_EQUAL(top_q, top_ref);
        free(x);
        free(ref);
        free(y);
        ir_graph_free(g);
    }
}

void dla_register_tests(void)
{
    DLA_SUITE("quant", {"conv weights, bias, scales, bounds by hand", test_conv_numbers},
              {"gemm/matmul/add", test_gemm_add}, {"pools and lut", test_pools_lut},
              {"lut functions", test_lut_functions},
              {"partition on the zoo", test_partition_zoo}, {"calibrate digits_cnn", test_calibrate_digits},
              {"calibration errors", test_calib_errors}, {"non-finite weights", test_nonfinite_weights}, {"digits_cnn int8 through qref", test_digits_int8},
              {"zoo models quantized; resnet18, mobilenet_v2 int8 through qref", test_quantize_zoo});
}
