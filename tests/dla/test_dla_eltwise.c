/* test_dla_eltwise.c - the element-wise op family (docs/quant.md
 * "Element-wise ops"): QAdd, QSub, QMul, QMax, QMin with broadcasting,
 * lowered for dla-edge and dla-server, run on the simulator and compared bit
 * for bit with qref (same shape, [N,C,1,1], [N,1,H,W], [N,1,1,1], batch
 * broadcast, both operands broadcast, rank 2, odd sizes, batch 2, tensors
 * larger than one tile, channel counts beyond one loop extent); and a small
 * ONNX model with a squeeze-and-excitation block, a lone BatchNormalization,
 * constant scale/shift ops, Max and Sub, compiled through the driver: one DLA
 * segment, bit-exact with qref, int8 SQNR >= 30 dB against the float host
 * path. Per-op figures (cycles, instructions) are printed for
 * docs/lowering.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dla_mem.h"
#include "dla_test.h"
#include "driver/compile.h"
#include "passes/quant.h"
#include "dlart.h"
#include "ops.h"
#include "quant/quant.h"

#include "dla_qgraph.h"
#include "dla_simcheck.h"

#include "../frontend/onnx_build.h"

static const char *const ops[] = {"QAdd", "QSub", "QMul", "QMax", "QMin"};

/* Y = op(A, B) with A of dims ad, B of dims bd (same rank); bounds lo/hi
 * (the relu case: lo = zy). same_q: A, B and Y share scale and zero point
 * (QMax/QMin skip the requantization). */
static void bin_case(const char *op, int rank, const int64_t *ad, const int64_t *bd, int relu, int same_q,
                     uint64_t seed, RunStats *rs)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    float sa = 0.07f, sb = same_q ? 0.07f : 0.03f, sy = same_q ? 0.07f : !strcmp(op, "QMul") ? 0.02f : 0.061f;
    int za = rnd_i8() / 2, zb = same_q ? za : rnd_i8() / 2, zy = same_q ? za : rnd_i8() / 4;
    int32_t a = act(g, "a", rank, ad, sa, za);
    int32_t b = act(g, "b", rank, bd, sb, zb);
    int32_t in[2] = {a, b};
    int32_t n = node(g, op, in, 2, "y");
    attr_float(g, n, "sa", sa);
    attr_float(g, n, "sb", sb);
    attr_float(g, n, "sy", sy);
    if (relu)
        attr_int(g, n, "lo", zy);
    if (relu == 2)
        attr_int(g, n, "hi", zy + 40);
    finish(g, n, sy, zy);
    run_check(g, &n, 1, "dla-edge", rs);
    run_check(g, &n, 1, "dla-server", rs ? rs + 1 : NULL);
    ir_graph_free(g);
}

typedef struct Shape2 {
    int rank;
    int64_t a[4], b[4];
    const char *what;
} Shape2;

static const Shape2 shapes[] = {
    {4, {2, 20, 9, 9}, {2, 20, 9, 9}, "same shape, batch 2"},
    {4, {2, 37, 13, 11}, {2, 37, 1, 1}, "[N,C,H,W] x [N,C,1,1] (SE scaling)"},
    {4, {1, 16, 1, 1}, {1, 16, 7, 5}, "[N,C,1,1] x [N,C,H,W] (A broadcast)"},
    {4, {2, 24, 10, 10}, {2, 1, 10, 10}, "[N,C,H,W] x [N,1,H,W]"},
    {4, {2, 8, 5, 7}, {2, 1, 1, 1}, "[N,C,H,W] x [N,1,1,1]"},
    {4, {3, 16, 6, 6}, {1, 16, 6, 6}, "batch broadcast"},
    {4, {2, 16, 1, 1}, {2, 1, 9, 9}, "both broadcast"},
    {4, {1, 64, 56, 56}, {1, 64, 1, 1}, "SE, larger than one tile"},
    {4, {1, 32, 40, 40}, {1, 1, 40, 40}, "[N,1,H,W], larger than one tile"},
    {4, {1, 2000, 3, 3}, {1, 2000, 1, 1}, "more channels than a loop extent"},
    {4, {1, 3, 1100, 1}, {1, 3, 1, 1}, "more pixels than a loop extent"},
    {4, {1, 64, 40, 40}, {1, 64, 40, 40}, "same shape, larger than one tile"},
    {2, {5, 300}, {5, 1}, "rank 2, column broadcast"},
    {2, {5, 300}, {1, 300}, "rank 2, row broadcast"},
};

static void test_ops_shapes(void)
{
    uint64_t seed = 100;
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            bin_case(ops[o], shapes[s].rank, shapes[s].a, shapes[s].b, (int)(s % 3 == 1), 0, seed++, NULL);
}

static void test_bounds_and_same_quant(void)
{
    uint64_t seed = 500;
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        bin_case(ops[o], 4, shapes[1].a, shapes[1].b, 2, 0, seed++, NULL); /* relu + clip */
        bin_case(ops[o], 4, shapes[0].a, shapes[0].b, 0, 1, seed++, NULL); /* shared parameters */
        bin_case(ops[o], 4, shapes[3].a, shapes[3].b, 1, 1, seed++, NULL);
    }
}

/* Cycles of each op on representative shapes, both targets (docs/lowering.md). */
static void test_figures(void)
{
    static const Shape2 rep[] = {
        {4, {1, 64, 56, 56}, {1, 64, 56, 56}, "same shape 1x64x56x56"},
        {4, {1, 64, 56, 56}, {1, 64, 1, 1}, "SE 1x64x56x56 x 1x64x1x1"},
        {4, {1, 64, 56, 56}, {1, 1, 56, 56}, "1x64x56x56 x 1x1x56x56"},
    };
    for (size_t s = 0; s < sizeof rep / sizeof rep[0]; s++)
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            RunStats rs[2];
            bin_case(ops[o], 4, rep[s].a, rep[s].b, 0, 0, 900 + o, rs);
            int64_t n = 1;
            for (int i = 0; i < 4; i++)
                n *= rep[s].a[i] > rep[s].b[i] ? rep[s].a[i] : rep[s].b[i];
            fprintf(stderr, "  eltwise %-5s %-28s dla-edge cycles %8llu (%.2f elements/cycle)  dla-server cycles %8llu (%.2f)\n",
                    ops[o], rep[s].what, (unsigned long long)rs[0].cycles, (double)n / (double)rs[0].cycles,
                    (unsigned long long)rs[1].cycles, (double)n / (double)rs[1].cycles);
        }
}

/* ------------------------------------------------------------ partition */

/* A float activation of the given dims (batch symbolic when dims[0] < 0). */
static int32_t fact(IrGraph *g, const char *name, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    if (rank && dims[0] < 0)
        s.sym[0] = "N";
    return ir_value_add(g, name, DT_FLOAT, &s);
}

static int32_t fnode(IrGraph *g, const char *op, const int32_t *in, int nin, int rank, const int64_t *yd)
{
    static int k;
    char nm[32];
    snprintf(nm, sizeof nm, "y%d", k++);
    int32_t y = fact(g, nm, rank, yd);
    return ir_node_add(g, nm, op, "", in, nin, &y, 1);
}

/* What partition takes and what it refuses, with the reason. */
static void test_partition_rules(void)
{
    IrGraph *g = ir_graph_new();
    int64_t full[4] = {-1, 8, 5, 5}, se[4] = {-1, 8, 1, 1}, one[4] = {1, 1, 5, 5}, r3[3] = {8, 5, 5}, odd[4] = {-1, 4, 5, 5};
    int32_t x = fact(g, "x", 4, full), s = fact(g, "s", 4, se), o = fact(g, "o", 4, one), t = fact(g, "t", 3, r3);
    int32_t w = fact(g, "w", 4, odd);
    const char *why;
    int32_t n = fnode(g, "Mul", (int32_t[]){x, s}, 2, 4, full);
    CU_ASSERT(quant_dla_supported(g, n, &why));
    n = fnode(g, "Max", (int32_t[]){o, x}, 2, 4, full);
    CU_ASSERT(quant_dla_supported(g, n, &why));
    n = fnode(g, "Sub", (int32_t[]){x, t}, 2, 4, full);
    CU_ASSERT(!quant_dla_supported(g, n, &why) && why && strstr(why, "ranks"));
    n = fnode(g, "Min", (int32_t[]){x, s, x}, 3, 4, full);
    CU_ASSERT(!quant_dla_supported(g, n, &why) && why && strstr(why, "two"));
    n = fnode(g, "Add", (int32_t[]){x, w}, 2, 4, full); /* 8 vs 4 channels: not a broadcast */
    CU_ASSERT(!quant_dla_supported(g, n, &why) && why && strstr(why, "broadcast"));
    ir_graph_free(g);
}

/* ------------------------------------------------------------ an ONNX SE block */

static float gauss(void)
{
    double u = (rnd() % 1000000 + 1) / 1000001.0, v = (rnd() % 1000000) / 1000000.0;
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static void add_init(Onnx__GraphProto *g, const char *name, int rank, const int64_t *dims, float scale, float bias)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *d = malloc((size_t)n * sizeof *d);
    for (int64_t i = 0; i < n; i++)
        d[i] = bias + scale * gauss();
    Onnx__TensorProto *t = ob_tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims);
    ob_raw(t, d, (size_t)n * sizeof *d);
    free(d);
    OB_PUSH(g->initializer, g->n_initializer, t);
}

static void conv(Onnx__GraphProto *g, const char *name, const char *x, const char *y, int64_t oc, int64_t ic, int64_t k)
{
    char w[64], b[64];
    snprintf(w, sizeof w, "%s_w", name);
    snprintf(b, sizeof b, "%s_b", name);
    int64_t wd[4] = {oc, ic, k, k};
    add_init(g, w, 4, wd, (float)(1.0 / sqrt((double)(ic * k * k))), 0.0f);
    add_init(g, b, 1, &oc, 0.05f, 0.0f);
    Onnx__NodeProto *n = ob_node(g, name, "Conv", (const char *[]){x, w, b, NULL}, (const char *[]){y, NULL});
    if (k > 1) {
        Onnx__AttributeProto *a = ob_attr(n, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
        a->n_ints = 4;
        a->ints = ob_alloc(4 * sizeof *a->ints);
        for (int i = 0; i < 4; i++)
            a->ints[i] = k / 2;
    }
}

#define N1(g, op, x, y) ob_node(g, y "_node", op, (const char *[]){x, NULL}, (const char *[]){y, NULL})
#define N2(g, op, x, z, y) ob_node(g, y "_node", op, (const char *[]){x, z, NULL}, (const char *[]){y, NULL})

/* x [2,16,12,12] -> conv3x3 32 + relu = r -> SE: gap, conv1x1 8 + relu,
 * conv1x1 32, * 0.5 (folds into that conv), sigmoid = s; m = r * s (QMul [N,C,H,W] x [N,C,1,1]);
 * bn = BatchNormalization(m) (lone: a depthwise 1x1 conv); c = conv1x1 16;
 * cp = PRelu(c, slope[16,1,1]) (Max(c, c * slope)); t = cp * gamma[16] + 0.1
 * (depthwise convs: one, the shift folds into the scale's); u = t / 6;
 * v = u - x (QSub); y = Max(v, t) (QMax). */
static const char *write_se_model(const char *dir)
{
    static char path[512];
    Onnx__ModelProto *m = ob_model(13);
    Onnx__GraphProto *g = m->graph;
    int64_t xd[4] = {2, 16, 12, 12}, yd[4] = {2, 16, 12, 12};
    OB_PUSH(g->input, g->n_input, ob_vinfo("x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd, NULL));
    OB_PUSH(g->output, g->n_output, ob_vinfo("y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, yd, NULL));
    conv(g, "c1", "x", "c1o", 32, 16, 3);
    N1(g, "Relu", "c1o", "r");
    N1(g, "GlobalAveragePool", "r", "gap");
    conv(g, "fc1", "gap", "fc1o", 8, 32, 1);
    N1(g, "Relu", "fc1o", "fc1r");
    conv(g, "fc2", "fc1r", "fc2o", 32, 8, 1);
    add_init(g, "half", 1, (int64_t[]){1}, 0.0f, 0.5f);
    N2(g, "Mul", "fc2o", "half", "fc2h"); /* folds into fc2 */
    N1(g, "Sigmoid", "fc2h", "s");
    N2(g, "Mul", "r", "s", "m");
    int64_t c32 = 32, c16[4] = {1, 16, 1, 1}, one = 1;
    add_init(g, "bn_scale", 1, &c32, 0.2f, 1.0f);
    add_init(g, "bn_bias", 1, &c32, 0.1f, 0.0f);
    add_init(g, "bn_mean", 1, &c32, 0.1f, 0.3f);
    add_init(g, "bn_var", 1, &c32, 0.1f, 1.0f);
    ob_node(g, "bn", "BatchNormalization", (const char *[]){"m", "bn_scale", "bn_bias", "bn_mean", "bn_var", NULL},
            (const char *[]){"bn", NULL});
    conv(g, "c2", "bn", "c", 16, 32, 1);
    add_init(g, "gamma", 4, c16, 0.3f, 1.0f);
    add_init(g, "shift", 1, &one, 0.0f, 0.1f);
    add_init(g, "six", 1, &one, 0.0f, 6.0f);
    int64_t c16s[3] = {16, 1, 1};
    add_init(g, "slope", 3, c16s, 0.1f, 0.25f);
    N2(g, "PRelu", "c", "slope", "cp");
    N2(g, "Mul", "cp", "gamma", "tg");
    N2(g, "Add", "tg", "shift", "t");
    N2(g, "Div", "t", "six", "u");
    N2(g, "Sub", "u", "x", "v");
    ob_node(g, "max", "Max", (const char *[]){"v", "t", NULL}, (const char *[]){"y", NULL});
    size_t len;
    uint8_t *buf = ob_pack_model(m, &len);
    snprintf(path, sizeof path, "%s/se.onnx", dir);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
    fclose(f);
    ob_free_all();
    return path;
}

static void write_input(const char *path, float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = gauss();
    int64_t d[4] = {2, 16, 12, 12};
    IrShape s = ir_shape_make(4, d);
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_write(path, "x", DT_FLOAT, &s, x, (size_t)n * 4, &e), DLA_OK);
}

static void test_se_model(void)
{
    rng_state = 4242;
    char dir[] = "/tmp/dlacc_eltwise_XXXXXX", p[600];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    const char *model = write_se_model(dir);
    snprintf(p, sizeof p, "%s/calib", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0755), 0);
    enum { NX = 2 * 16 * 12 * 12 };
    static float x[NX];
    for (int i = 0; i < 8; i++) {
        snprintf(p, sizeof p, "%s/calib/%d.pb", dir, i);
        write_input(p, x, NX);
    }
    snprintf(p, sizeof p, "%s/calib", dir);
    for (int t = 0; t < 2; t++) {
        DlaCompileOptions o = {0};
        o.target = t ? "dla-server" : "dla-edge";
        o.calib_dir = p;
        DlaPlan *plan;
        DlaError e = {0};
        DlaStatus st = dla_compile(model, &o, &plan, &e);
        if (st)
            fprintf(stderr, "compile: %s\n", e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        /* one DLA segment between the input's quantize and the output's dequantize */
        int host = 0;
        for (int32_t i = 0; i < plan->nsegs; i++)
            host += plan->segs[i].kind == DLA_SEG_HOST;
        if (plan->ndla != 1 || host)
            dla_plan_print(plan, stderr);
        CU_ASSERT_EQUAL(plan->ndla, 1);
        CU_ASSERT_EQUAL(host, 0);
        CU_ASSERT_EQUAL(plan->nsegs, 3);
        int nmul = 0, nsub = 0, nmax = 0, ndw = 0, nconv = 0;
        for (int32_t n = 0; n < plan->g->nnodes; n++) {
            IrOp op = plan->g->nodes[n].op;
            nmul += op == OP_QMUL, nsub += op == OP_QSUB, nmax += op == OP_QMAX;
            ndw += op == OP_QCONV && ir_attr_int(plan->g, n, "group", 1) > 1;
            nconv += op == OP_QCONV;
            CU_ASSERT(op != OP_BATCH_NORMALIZATION && op != OP_DIV);
        }
        CU_ASSERT_EQUAL(nmul, 1);
        CU_ASSERT_EQUAL(nsub, 1);
        CU_ASSERT_EQUAL(nmax, 2);
        /* bn, * slope, * gamma + 0.1 (folded into one), / 6; the per-channel
         * ones (bn, slope, gamma) are depthwise convs whatever else runs
         * first (a fusion of scalar chains into one table may take / 6) */
        CU_ASSERT(ndw >= 3 && ndw <= 4);
        CU_ASSERT_EQUAL(nconv - ndw, 4); /* c1, fc1, fc2 (* 0.5 folded into it), c2 */
        /* run a fresh input: qref bit-exact, SQNR against the float host path */
        char xin[600];
        snprintf(xin, sizeof xin, "%s/x.pb", dir);
        rng_state = 777;
        write_input(xin, x, NX);
        OnnxTensorFile in;
        CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(xin, &in, &e), DLA_OK);
        DlartDevice *dev;
        DlartProgram *rp;
        CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&plan->target, 0, &dev, &e), DLA_OK);
        CU_ASSERT_EQUAL_FATAL(dlart_program_load(dev, &plan->prog, &rp, &e), DLA_OK);
        DlaRunOptions ro = {0};
        ro.verify_qref = 1;
        DlaRunResult r;
        st = dla_plan_run(plan, rp, &in, 1, &ro, &r, &e);
        if (st)
            fprintf(stderr, "run: %s\n", e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        CU_ASSERT_EQUAL(r.qref_mismatches, 0);
        CU_ASSERT(r.qref_bytes > 0);
        IrGraph *fg;
        void **fv;
        CU_ASSERT_EQUAL_FATAL(dla_float_reference(model, &o, &in, 1, &fg, &fv, &e), DLA_OK);
        int32_t yv = ir_value_find(fg, "y");
        CU_ASSERT_FATAL(yv >= 0 && fv[yv]);
        const float *ref = fv[yv], *got = r.outputs[0];
        double se = 0, sn = 0;
        for (int i = 0; i < NX; i++) {
            sn += (double)ref[i] * ref[i];
            se += ((double)ref[i] - got[i]) * ((double)ref[i] - got[i]);
        }
        double db = 10.0 * log10(sn / (se > 0 ? se : 1e-30));
        fprintf(stderr, "  SE block on %s: 1 DLA segment, qref bit-exact (%llu bytes), SQNR %.2f dB vs float host\n",
                o.target, (unsigned long long)r.qref_bytes, db);
        CU_ASSERT(db >= 30.0);
        dla_float_reference_free(fg, fv);
        dla_run_result_free(&r);
        free(in.name);
        free(in.data);
        dlart_program_free(rp);
        dlart_device_free(dev);
        dla_plan_free(plan);
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

void dla_register_tests(void)
{
    DLA_SUITE("eltwise",
              {"ops x shapes vs qref", test_ops_shapes},
              {"bounds, shared parameters", test_bounds_and_same_quant},
              {"figures", test_figures},
              {"partition rules", test_partition_rules},
              {"SE block model: one segment, SQNR", test_se_model});
}
