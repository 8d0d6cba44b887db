/* test_host_core.c - the host backend on graphs built in code: element-wise
 * broadcasting, MatMul/Gemm/Conv against naive C references, the memory plan,
 * error reporting, and object emission for x86-64 and AArch64. */
#include "dla_test.h"
#include "backend/host/host.h"
#include "backend/host/host_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int32_t val(IrGraph *g, const char *name, IrDtype dt, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    int32_t v = ir_value_add(g, name, dt, &s);
    CU_ASSERT_FATAL(v >= 0);
    return v;
}

static int32_t node(IrGraph *g, const char *op, const int32_t *in, int nin, int32_t out)
{
    return ir_node_add(g, op, op, "", in, nin, &out, 1);
}

static void set_ints(IrGraph *g, int32_t n, const char *name, int cnt, const int64_t *v)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
    a->n = cnt;
    a->ints = dla_arena_memdup(&g->arena, v, (size_t)cnt * sizeof *v);
}

static HostModel *compile(IrGraph *g)
{
    DlaError err = {0};
    HostModel *m = NULL;
    DlaStatus st = host_jit_compile(g, NULL, &m, &err);
    if (st)
        fprintf(stderr, "compile failed: %s\n", err.msg);
    CU_ASSERT_FATAL(st == DLA_OK);
    return m;
}

static void test_broadcast_add_relu(void)
{
    IrGraph *g = ir_graph_new();
    int32_t a = val(g, "a", DT_FLOAT, 2, (int64_t[]){2, 3});
    int32_t b = val(g, "b", DT_FLOAT, 1, (int64_t[]){3});
    int32_t s = val(g, "s", DT_FLOAT, 2, (int64_t[]){2, 3});
    int32_t y = val(g, "y", DT_FLOAT, 2, (int64_t[]){2, 3});
    ir_graph_add_input(g, a);
    ir_graph_add_input(g, b);
    node(g, "Add", (int32_t[]){a, b}, 2, s);
    node(g, "Relu", &s, 1, y);
    ir_graph_add_output(g, y);
    HostModel *m = compile(g);
    float av[6] = {1, -2, 3, -4, 5, -6}, bv[3] = {0.5f, 1, -10}, yv[6];
    void *in[2] = {av, bv}, *out[1] = {yv};
    host_model_run(m, in, out);
    for (int i = 0; i < 6; i++) {
        float e = av[i] + bv[i % 3];
        CU_ASSERT_DOUBLE_EQUAL(yv[i], e > 0 ? e : 0, 1e-6);
    }
    host_model_free(m);
    ir_graph_free(g);
}

static void test_int_and_compare(void)
{
    IrGraph *g = ir_graph_new();
    int32_t a = val(g, "a", DT_INT32, 1, (int64_t[]){4});
    int32_t b = val(g, "b", DT_INT32, 1, (int64_t[]){4});
    int32_t q = val(g, "q", DT_INT32, 1, (int64_t[]){4});
    int32_t r = val(g, "r", DT_INT32, 1, (int64_t[]){4});
    int32_t lt = val(g, "lt", DT_BOOL, 1, (int64_t[]){4});
    ir_graph_add_input(g, a);
    ir_graph_add_input(g, b);
    node(g, "Div", (int32_t[]){a, b}, 2, q);
    node(g, "Mod", (int32_t[]){a, b}, 2, r);
    node(g, "Less", (int32_t[]){a, b}, 2, lt);
    ir_graph_add_output(g, q);
    ir_graph_add_output(g, r);
    ir_graph_add_output(g, lt);
    HostModel *m = compile(g);
    int32_t av[4] = {7, -7, 7, 5}, bv[4] = {2, 2, -2, 0}, qv[4], rv[4];
    uint8_t lv[4];
    void *in[2] = {av, bv}, *out[3] = {qv, rv, lv};
    host_model_run(m, in, out);
    CU_ASSERT(qv[0] == 3 && qv[1] == -3 && qv[2] == -3 && qv[3] == 0); /* x/0 yields 0, never traps */
    CU_ASSERT(rv[0] == 1 && rv[1] == 1 && rv[2] == -1);               /* Python-style modulo */
    CU_ASSERT(lv[0] == 0 && lv[1] == 1 && lv[2] == 0 && lv[3] == 0);
    host_model_free(m);
    ir_graph_free(g);
}

static void test_matmul_batched(void)
{
    enum { B = 3, M = 7, K = 13, N = 37 }; /* N > 16 and M % 4 != 0: full and edge tiles */
    IrGraph *g = ir_graph_new();
    int32_t a = val(g, "a", DT_FLOAT, 3, (int64_t[]){B, M, K});
    int32_t w = val(g, "w", DT_FLOAT, 2, (int64_t[]){K, N});
    int32_t y = val(g, "y", DT_FLOAT, 3, (int64_t[]){B, M, N});
    static float av[B * M * K], wv[K * N], yv[B * M * N];
    for (int i = 0; i < B * M * K; i++)
        av[i] = frand();
    for (int i = 0; i < K * N; i++)
        wv[i] = frand();
    ir_value_set_data(g, w, wv, sizeof wv); /* a constant weight */
    ir_graph_add_input(g, a);
    node(g, "MatMul", (int32_t[]){a, w}, 2, y);
    ir_graph_add_output(g, y);
    HostModel *m = compile(g);
    void *in[1] = {av}, *out[1] = {yv};
    host_model_run(m, in, out);
    double maxerr = 0;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < K; k++)
                    s += (double)av[(b * M + i) * K + k] * wv[k * N + j];
                maxerr = fmax(maxerr, fabs(s - yv[(b * M + i) * N + j]));
            }
    CU_ASSERT(maxerr < 1e-5);
    host_model_free(m);
    ir_graph_free(g);
}

/* Gemm of a (MxK, or KxM with transA) and b (NxK, transB) plus c[N], checked
 * against a double-precision reference. The transA, alpha and beta
 * attributes are written only when they differ from ONNX's defaults (0, 1,
 * 1), so the defaults are exercised too. */
static void gemm_case(int M, int K, int N, int transA, float alpha, float beta)
{
    IrGraph *g = ir_graph_new();
    int32_t a = val(g, "a", DT_FLOAT, 2, transA ? (int64_t[]){K, M} : (int64_t[]){M, K});
    int32_t b = val(g, "b", DT_FLOAT, 2, (int64_t[]){N, K});
    int32_t cc = val(g, "c", DT_FLOAT, 1, (int64_t[]){N});
    int32_t y = val(g, "y", DT_FLOAT, 2, (int64_t[]){M, N});
    ir_graph_add_input(g, a);
    ir_graph_add_input(g, b);
    ir_graph_add_input(g, cc);
    int32_t n = node(g, "Gemm", (int32_t[]){a, b, cc}, 3, y);
    if (transA)
        ir_node_add_attr(g, n, "transA", IR_ATTR_INT)->i = 1;
    ir_node_add_attr(g, n, "transB", IR_ATTR_INT)->i = 1;
    if (alpha != 1.0f)
        ir_node_add_attr(g, n, "alpha", IR_ATTR_FLOAT)->f = alpha;
    if (beta != 1.0f)
        ir_node_add_attr(g, n, "beta", IR_ATTR_FLOAT)->f = beta;
    ir_graph_add_output(g, y);
    HostModel *m = compile(g);
    float av[K * M], bv[N * K], cv[N], yv[M * N];
    for (int i = 0; i < K * M; i++)
        av[i] = frand();
    for (int i = 0; i < N * K; i++)
        bv[i] = frand();
    for (int i = 0; i < N; i++)
        cv[i] = frand();
    void *in[3] = {av, bv, cv}, *out[1] = {yv};
    host_model_run(m, in, out);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)av[transA ? k * M + i : i * K + k] * bv[j * K + k];
            CU_ASSERT_DOUBLE_EQUAL(yv[i * N + j], alpha * s + beta * cv[j], 1e-5);
        }
    host_model_free(m);
    ir_graph_free(g);
}

static void test_gemm_trans(void) { gemm_case(4, 6, 3, 1, 0.5f, 2.0f); }

/* transB only, alpha 1: the dot-product kernel (K and N not multiples of the vector/tile sizes) */
static void test_gemm_nt(void) { gemm_case(3, 19, 7, 0, 1.0f, 1.0f); }

/* Naive NCHW grouped convolution with padding, stride, dilation. */
static void ref_conv(const float *x, const float *w, const float *bias, float *y, int N, int C, int H, int W,
                     int M, int G, int KH, int KW, int s, int d, int p, int OH, int OW)
{
    int Cg = C / G, Mg = M / G;
    for (int n = 0; n < N; n++)
        for (int m = 0; m < M; m++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    double acc = bias[m];
                    int gi = m / Mg;
                    for (int c = 0; c < Cg; c++)
                        for (int kh = 0; kh < KH; kh++)
                            for (int kw = 0; kw < KW; kw++) {
                                int ih = oh * s + kh * d - p, iw = ow * s + kw * d - p;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                    continue;
                                acc += (double)x[((n * C + gi * Cg + c) * H + ih) * W + iw] *
                                       w[((m * Cg + c) * KH + kh) * KW + kw];
                            }
                    y[((n * M + m) * OH + oh) * OW + ow] = (float)acc;
                }
}

static void conv_case(int N, int C, int H, int W, int M, int G, int K, int s, int d, int p)
{
    int OH = (H + 2 * p - d * (K - 1) - 1) / s + 1, OW = (W + 2 * p - d * (K - 1) - 1) / s + 1;
    IrGraph *g = ir_graph_new();
    int32_t x = val(g, "x", DT_FLOAT, 4, (int64_t[]){N, C, H, W});
    int32_t w = val(g, "w", DT_FLOAT, 4, (int64_t[]){M, C / G, K, K});
    int32_t b = val(g, "b", DT_FLOAT, 1, (int64_t[]){M});
    int32_t y = val(g, "y", DT_FLOAT, 4, (int64_t[]){N, M, OH, OW});
    size_t nx = (size_t)N * C * H * W, nw = (size_t)M * (C / G) * K * K, ny = (size_t)N * M * OH * OW;
    float *xv = malloc(nx * 4), *wv = malloc(nw * 4), *bv = malloc((size_t)M * 4), *yv = malloc(ny * 4),
          *rv = malloc(ny * 4);
    for (size_t i = 0; i < nx; i++)
        xv[i] = frand();
    for (size_t i = 0; i < nw; i++)
        wv[i] = frand();
    for (int i = 0; i < M; i++)
        bv[i] = frand();
    ir_value_set_data(g, w, wv, nw * 4);
    ir_value_set_data(g, b, bv, (size_t)M * 4);
    ir_graph_add_input(g, x);
    int32_t n = node(g, "Conv", (int32_t[]){x, w, b}, 3, y);
    set_ints(g, n, "strides", 2, (int64_t[]){s, s});
    set_ints(g, n, "dilations", 2, (int64_t[]){d, d});
    set_ints(g, n, "pads", 4, (int64_t[]){p, p, p, p});
    ir_node_add_attr(g, n, "group", IR_ATTR_INT)->i = G;
    ir_graph_add_output(g, y);
    HostModel *m = compile(g);
    void *in[1] = {xv}, *out[1] = {yv};
    host_model_run(m, in, out);
    ref_conv(xv, wv, bv, rv, N, C, H, W, M, G, K, K, s, d, p, OH, OW);
    double maxerr = 0;
    for (size_t i = 0; i < ny; i++)
        maxerr = fmax(maxerr, fabs(rv[i] - yv[i]));
    if (maxerr > 1e-4)
        fprintf(stderr, "conv N%d C%d H%d W%d M%d G%d K%d s%d d%d p%d: max error %g\n", N, C, H, W, M, G, K, s, d,
                p, maxerr);
    CU_ASSERT(maxerr <= 1e-4);
    host_model_free(m);
    ir_graph_free(g);
    free(xv);
    free(wv);
    free(bv);
    free(yv);
    free(rv);
}

static void test_conv(void)
{
    conv_case(1, 3, 9, 9, 4, 1, 3, 1, 1, 1);   /* plain 3x3, same padding */
    conv_case(2, 4, 8, 7, 6, 2, 3, 2, 1, 1);   /* grouped, strided, batch 2 */
    conv_case(1, 8, 10, 10, 8, 8, 3, 1, 2, 2); /* depthwise, dilated */
    conv_case(1, 16, 5, 5, 8, 1, 1, 1, 1, 0);  /* pointwise */
}

/* A chain a -> r1 -> r2 -> r3 -> y: with liveness only two intermediates are live at once. */
static void test_plan_reuse(void)
{
    IrGraph *g = ir_graph_new();
    int64_t dims[1] = {1000};
    int32_t v[5];
    const char *names[5] = {"a", "r1", "r2", "r3", "y"};
    for (int i = 0; i < 5; i++)
        v[i] = val(g, names[i], DT_FLOAT, 1, dims);
    ir_graph_add_input(g, v[0]);
    for (int i = 0; i < 4; i++)
        node(g, i % 2 ? "Neg" : "Relu", &v[i], 1, v[i + 1]);
    ir_graph_add_output(g, v[4]);
    HostPlan p;
    DlaError err = {0};
    CU_ASSERT_FATAL(host_plan_build(g, &p, &err) == DLA_OK);
    CU_ASSERT(p.offset[v[0]] == -1 && p.offset[v[4]] == -1);
    CU_ASSERT(p.offset[v[1]] >= 0 && p.offset[v[2]] >= 0 && p.offset[v[3]] >= 0);
    CU_ASSERT(p.offset[v[1]] != p.offset[v[2]]);
    CU_ASSERT(p.offset[v[1]] == p.offset[v[3]]); /* r1 is dead when r3 is made */
    CU_ASSERT(p.arena_size == 2 * 4032);         /* 4000 bytes rounded to 64, twice */
    host_plan_free(&p);
    HostModel *m = compile(g);
    float av[1000], yv[1000];
    for (int i = 0; i < 1000; i++)
        av[i] = frand();
    void *in[1] = {av}, *out[1] = {yv};
    host_model_run(m, in, out);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_DOUBLE_EQUAL(yv[i], av[i] > 0 ? 0 : 0, 0); /* -relu(-relu(x)) is 0 for all x */
    host_model_free(m);
    ir_graph_free(g);
}

static void test_unsupported_listed(void)
{
    IrGraph *g = ir_graph_new();
    int32_t a = val(g, "a", DT_FLOAT, 1, (int64_t[]){4});
    int32_t b = val(g, "b", DT_FLOAT, 1, (int64_t[]){4});
    int32_t c = val(g, "c", DT_FLOAT, 1, (int64_t[]){4});
    ir_graph_add_input(g, a);
    ir_node_add(g, "n1", "FancyOp", "", &a, 1, &b, 1);
    ir_node_add(g, "n2", "OtherOp", "com.example", &b, 1, &c, 1);
    ir_graph_add_output(g, c);
    DlaError err = {0};
    HostModel *m = NULL;
    CU_ASSERT(host_jit_compile(g, NULL, &m, &err) == DLA_ERR_UNSUPPORTED);
    CU_ASSERT(m == NULL);
    CU_ASSERT(strstr(err.msg, "FancyOp") != NULL && strstr(err.msg, "OtherOp") != NULL);
    ir_graph_free(g);
}

static int elf_machine(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char h[20];
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    if (n < 20 || memcmp(h, "\177ELF", 4))
        return -1;
    return h[18] | h[19] << 8; /* e_machine, little-endian */
}

static void test_object_emission(void)
{
    IrGraph *g = ir_graph_new();
    int32_t a = val(g, "a", DT_FLOAT, 2, (int64_t[]){8, 16});
    int32_t w = val(g, "w", DT_FLOAT, 2, (int64_t[]){16, 4});
    int32_t y = val(g, "y", DT_FLOAT, 2, (int64_t[]){8, 4});
    float wv[64];
    for (int i = 0; i < 64; i++)
        wv[i] = frand();
    ir_value_set_data(g, w, wv, sizeof wv);
    ir_graph_add_input(g, a);
    node(g, "MatMul", (int32_t[]){a, w}, 2, y);
    ir_graph_add_output(g, y);
    const struct { const char *triple; int em; } t[] = {{"aarch64-linux-gnu", 183}, {"x86_64-linux-gnu", 62}};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/host_test_%d.o", DLA_BINARY_DIR, i);
        HostOptions o = {2, t[i].triple, NULL, NULL, "mm_model", 1};
        DlaError err = {0};
        DlaStatus st = host_emit_object(g, &o, path, NULL, &err);
        if (st)
            fprintf(stderr, "%s: %s\n", t[i].triple, err.msg);
        CU_ASSERT(st == DLA_OK);
        CU_ASSERT(elf_machine(path) == t[i].em);
        remove(path);
    }
    HostOptions bad = {2, "nonsense-unknown-triple", NULL, NULL, NULL, 0};
    DlaError err = {0};
    CU_ASSERT(host_emit_object(g, &bad, "/nonexistent/x.o", NULL, &err) == DLA_ERR_UNSUPPORTED);
    ir_graph_free(g);
}

/* The lowering table is keyed by IrOp: every host_ops.def entry is a real op of
 * ir/ops.def (it would not compile otherwise), each appears once, and lookup
 * respects the domain the enum carries. */
static void test_dispatch_table(void)
{
    static const IrOp listed[] = {
#define HOST_OP(op, fn) OP_##op,
#include "backend/host/host_ops.def"
#undef HOST_OP
    };
    int nlisted = (int)(sizeof listed / sizeof listed[0]), nsupported = 0;
    for (int i = 0; i < nlisted; i++) {
        CU_ASSERT(listed[i] != OP_UNKNOWN && listed[i] < OP__COUNT);
        CU_ASSERT(host_supports_op(listed[i]));
        CU_ASSERT(host_find_lowering(listed[i]) != NULL);
    }
    for (int op = 0; op < OP__COUNT; op++)
        nsupported += host_supports_op((IrOp)op);
    CU_ASSERT_EQUAL(nsupported, nlisted); /* no entry twice, nothing supported that is not listed */
    CU_ASSERT(!host_supports_op(OP_UNKNOWN));
    CU_ASSERT(!host_supports_op(OP__COUNT));
    /* domains: ai.onnx Conv yes, the accelerator's dlacc QConv no; the training
     * optimizers only in their own domain */
    CU_ASSERT(host_supports_op(ir_op_lookup("Conv", "")));
    CU_ASSERT(host_supports_op(ir_op_lookup("Conv", "ai.onnx")));
    CU_ASSERT(!host_supports_op(ir_op_lookup("QConv", "dlacc")));
    CU_ASSERT(host_supports_op(ir_op_lookup("Adagrad", "ai.onnx.preview.training")));
    CU_ASSERT(!host_supports_op(ir_op_lookup("Adagrad", "")));
    CU_ASSERT(!host_supports_op(ir_op_lookup("Conv", "com.microsoft")));
}

void dla_register_tests(void)
{
    DLA_SUITE("host_core", {"broadcast add + relu", test_broadcast_add_relu},
              {"int div/mod/compare", test_int_and_compare}, {"batched matmul", test_matmul_batched},
              {"gemm transposed", test_gemm_trans}, {"gemm transB dot kernel", test_gemm_nt},
              {"conv vs reference", test_conv},
              {"memory plan reuse", test_plan_reuse}, {"unsupported ops listed", test_unsupported_listed},
              {"object files x86-64 + aarch64", test_object_emission},
              {"dispatch table keyed by IrOp", test_dispatch_table});
}
