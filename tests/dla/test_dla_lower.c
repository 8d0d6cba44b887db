/* test_dla_lower.c - the DLA lowering against the integer reference: every
 * Q-op (docs/quant.md) on random data with fixed seeds, odd sizes, strides,
 * pads, dilations, depthwise, grouped, many channels, images that force
 * tiling and reduction chunking on dla-edge, and a small multi-layer graph;
 * each lowered for dla-edge and dla-server, run on the simulator and compared
 * bit for bit with qref. Also checks the program's structure (descriptors,
 * layer map, tokens balanced: the simulator rejects imbalance and deadlock). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/dla/dla_lower.h"
#include "backend/qref/qref.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "isa/dla_format.h"
#include "isa/sim.h"
#include "ops.h"
#include "quant/quant.h"

#include "dla_qgraph.h"

#include "dla_simcheck.h"

static void conv_case(const ConvSpec *c, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {c->n, c->ic, c->h, c->w};
    int32_t x = act(g, "x", 4, xd, 0.1f, rnd_i8() / 2);
    int32_t y = add_conv(g, x, c, "y");
    int32_t n = g->values[y].producer >= 0 ? g->values[y].producer : g->nnodes - 1;
    both_targets(g, &n, 1);
    ir_graph_free(g);
}

#define CONV(...) (ConvSpec){__VA_ARGS__}
/* n ic h w oc kh kw sh sw dh dw pt pl pb pr group relu clip */

static void test_conv_basic(void)
{
    conv_case(&CONV(1, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0), 1);
    conv_case(&CONV(1, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0), 2);
    conv_case(&CONV(2, 5, 6, 7, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0), 3); /* batch as one tall image */
    conv_case(&CONV(3, 8, 6, 6, 12, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0, 0), 29);
    conv_case(&CONV(2, 8, 7, 6, 12, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0, 0), 30); /* odd height: per image */
}

static void test_conv_stride_pad(void)
{
    conv_case(&CONV(1, 3, 23, 23, 20, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, 0, 0), 4);
    conv_case(&CONV(1, 7, 10, 13, 11, 3, 3, 2, 2, 1, 1, 0, 1, 2, 0, 1, 0, 0), 5);
    conv_case(&CONV(1, 4, 12, 9, 6, 5, 3, 3, 1, 1, 1, 2, 1, 2, 1, 1, 0, 0), 6);
    conv_case(&CONV(1, 17, 11, 11, 5, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 0, 0), 7); /* dilation */
    conv_case(&CONV(1, 8, 14, 15, 9, 3, 2, 2, 1, 3, 2, 3, 1, 0, 2, 1, 0, 0), 8);
}

static void test_conv_channels(void)
{
    conv_case(&CONV(1, 70, 5, 7, 130, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0), 9);
    conv_case(&CONV(1, 33, 6, 6, 65, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0), 10);
}

static void test_conv_act(void)
{
    conv_case(&CONV(1, 12, 7, 7, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0), 11); /* relu */
    conv_case(&CONV(1, 12, 7, 7, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1), 12); /* clip */
}

static void test_conv_depthwise(void)
{
    conv_case(&CONV(1, 40, 13, 13, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 40, 1, 0), 13);
    conv_case(&CONV(1, 19, 15, 14, 19, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 19, 0, 0), 14);
    conv_case(&CONV(2, 70, 9, 9, 70, 5, 5, 1, 1, 2, 2, 4, 4, 4, 4, 70, 0, 0), 15);
}

static void test_conv_grouped(void)
{
    conv_case(&CONV(1, 16, 9, 9, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 0, 0), 16);
    conv_case(&CONV(1, 6, 8, 8, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 0, 0), 17);
    /* edge: weights of the groups stream per block */
    conv_case(&CONV(1, 512, 5, 5, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0), 18);
    /* edge: depthwise weights beyond the weight SRAM */
    conv_case(&CONV(1, 2700, 4, 4, 2700, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 2700, 0, 0), 19);
}

/* Sizes that force tiling of rows (edge: acc 16 Ki int32) and chunking of the reduction (edge: wgt 128 KiB). */
static void test_conv_tiled(void)
{
    RunStats a, b;
    rng_state = 18;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 64, 56, 56};
    int32_t x = act(g, "x", 4, xd, 0.1f, 3);
    ConvSpec c = CONV(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
    add_conv(g, x, &c, "y");
    int32_t n = g->nnodes - 1;
    run_check(g, &n, 1, "dla-edge", &a);
    run_check(g, &n, 1, "dla-server", &b);
    fprintf(stderr, "\n  conv 3x3 64->64 56x56: edge %llu cycles, util %.3f (%llu insns); server %llu cycles, util %.3f\n",
            (unsigned long long)a.cycles, a.util, (unsigned long long)a.ninsns, (unsigned long long)b.cycles, b.util);
    CU_ASSERT_EQUAL(a.macs, 56ull * 56 * 64 * 64 * 9);
    ir_graph_free(g);

    rng_state = 19;
    g = ir_graph_new();
    int64_t xd2[4] = {1, 512, 7, 7};
    x = act(g, "x", 4, xd2, 0.1f, -5);
    c = CONV(1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
    add_conv(g, x, &c, "y");
    n = g->nnodes - 1;
    run_check(g, &n, 1, "dla-edge", &a);
    run_check(g, &n, 1, "dla-server", &b);
    fprintf(stderr, "  conv 3x3 512->512 7x7: edge %llu cycles, util %.3f; server %llu cycles, util %.3f\n",
            (unsigned long long)a.cycles, a.util, (unsigned long long)b.cycles, b.util);
    ir_graph_free(g);

    /* the first layer of resnet: 7x7/2 on 224x224x3 */
    rng_state = 20;
    g = ir_graph_new();
    int64_t xd3[4] = {1, 3, 224, 224};
    x = act(g, "x", 4, xd3, 0.1f, 0);
    c = CONV(1, 3, 224, 224, 64, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, 1, 0);
    add_conv(g, x, &c, "y");
    n = g->nnodes - 1;
    run_check(g, &n, 1, "dla-edge", &a);
    run_check(g, &n, 1, "dla-server", &b);
    fprintf(stderr, "  conv 7x7/2 3->64 224x224: edge %llu cycles, util %.3f; server %llu cycles, util %.3f\n",
            (unsigned long long)a.cycles, a.util, (unsigned long long)b.cycles, b.util);
    /* folded mode (the window as one reduction): without it, 3 of R rows of the array would work */
    CU_ASSERT(a.util > 0.5);
    CU_ASSERT(b.util > 0.25);
    ir_graph_free(g);
}

/* Few input channels: the folded mode (window gathered as one reduction,
 * regular path for the border columns), with row dilation, asymmetric pads,
 * batches, several output-channel blocks. */
static void fold_case(const ConvSpec *c, uint64_t seed, double min_util_edge)
{
    RunStats a, b;
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {c->n, c->ic, c->h, c->w};
    int32_t x = act(g, "x", 4, xd, 0.1f, rnd_i8() / 2);
    add_conv(g, x, c, "y");
    int32_t n = g->nnodes - 1;
    run_check(g, &n, 1, "dla-edge", &a);
    run_check(g, &n, 1, "dla-server", &b);
    fprintf(stderr, "  conv %lldx%lld %lld->%lld %lldx%lld: edge %llu cycles, util %.3f; server %llu cycles, util %.3f\n",
            (long long)c->kh, (long long)c->kw, (long long)c->ic, (long long)c->oc, (long long)c->h, (long long)c->w,
            (unsigned long long)a.cycles, a.util, (unsigned long long)b.cycles, b.util);
    CU_ASSERT(a.util > min_util_edge);
    ir_graph_free(g);
}

static void test_conv_folded(void)
{
    fprintf(stderr, "\n");
    /* 3 input channels without folding use at most 3/16 of the edge array */
    fold_case(&CONV(1, 3, 64, 64, 40, 5, 5, 1, 1, 2, 1, 2, 2, 2, 2, 1, 0, 0), 91, 0.3);
    fold_case(&CONV(2, 2, 40, 50, 16, 3, 3, 2, 2, 1, 1, 1, 0, 0, 1, 1, 0, 1), 92, 0); /* window rows (mode 2) */
    fold_case(&CONV(1, 1, 96, 96, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, 1, 0), 93, 0);
    fold_case(&CONV(1, 3, 57, 57, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0), 94, 0);
}

/* Wide images: column tiles (edge: a 600-pixel row of 16 channels exceeds an
 * acc buffer; beyond 1024 pixels the DMA needs them on every target). */
static void test_conv_wide(void)
{
    conv_case(&CONV(1, 16, 6, 600, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0), 25);
    conv_case(&CONV(1, 5, 3, 1500, 7, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0), 26);
    conv_case(&CONV(1, 24, 4, 1100, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 24, 0, 0), 27); /* depthwise */
    conv_case(&CONV(1, 128, 14, 14, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0), 28); /* edge: weights per block */
}

static void gemm_case(int64_t m, int64_t k, int64_t nn, int relu, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int64_t xd[2] = {m, k}, wd[2] = {nn, k};
    int32_t x = act(g, "x", 2, xd, 0.1f, rnd_i8() / 2);
    int32_t w = const_i8(g, "w", 2, wd);
    int32_t b = const_i32(g, "b", nn, (int32_t)(3000 * sqrt((double)k)));
    int32_t in[3] = {x, w, b};
    int32_t n = node(g, "QGemm", in, 3, "y");
    float *sc = dla_malloc((size_t)nn * sizeof *sc);
    for (int64_t i = 0; i < nn; i++)
        sc[i] = (float)((0.5 + rnd_unit()) * 0.012 / sqrt((double)k));
    attr_floats(g, n, "scale", (int)nn, sc);
    free(sc);
    int zy = rnd_i8() / 4;
    if (relu)
        attr_int(g, n, "lo", zy);
    finish(g, n, 0.05f, zy);
    both_targets(g, &n, 1);
    ir_graph_free(g);
}

static void test_gemm(void)
{
    gemm_case(5, 100, 70, 0, 21);
    gemm_case(1, 2048, 10, 0, 22);
    gemm_case(300, 64, 33, 1, 23);
    gemm_case(3, 7, 1, 0, 24);
    gemm_case(2, 16, 5000, 0, 25); /* more biases/scales than acc/param preload */
    gemm_case(3, 5000, 20, 0, 26);  /* reduction beyond one DMA row: chunks */
}

static void add_case(const int64_t *dims, int rank, int lo, int hi, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t a = act(g, "a", rank, dims, 0.07f, rnd_i8() / 2);
    int32_t b = act(g, "b", rank, dims, 0.03f, rnd_i8() / 2);
    int32_t in[2] = {a, b};
    int32_t n = node(g, "QAdd", in, 2, "y");
    attr_float(g, n, "sa", 0.07f);
    attr_float(g, n, "sb", 0.03f);
    attr_float(g, n, "sy", 0.061f);
    attr_int(g, n, "lo", lo);
    attr_int(g, n, "hi", hi);
    finish(g, n, 0.061f, 5);
    both_targets(g, &n, 1);
    ir_graph_free(g);
}

static void test_add(void)
{
    int64_t d1[4] = {1, 20, 9, 9}, d2[4] = {1, 64, 56, 56}, d3[2] = {3, 5};
    add_case(d1, 4, -128, 127, 31);
    add_case(d2, 4, 5, 127, 32);   /* relu-fused: lo = zy */
    add_case(d3, 2, -20, 60, 33);
}

static void pool_case(const char *op, const int64_t *xd, int64_t k, int64_t s, int64_t p, int ceil_mode, uint64_t seed,
                      RunStats *rs)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int zx = rnd_i8() / 2;
    int32_t x = act(g, "x", 4, xd, 0.1f, zx);
    int32_t n = node(g, op, &x, 1, "y");
    int avg = !strcmp(op, "QAvgPool");
    int64_t ks[2] = {k, k}, st[2] = {s, s}, pd[4] = {p, p, p, p};
    attr_ints(g, n, "kernel_shape", 2, ks);
    attr_ints(g, n, "strides", 2, st);
    attr_ints(g, n, "pads", 4, pd);
    attr_int(g, n, "ceil_mode", ceil_mode);
    float sy = avg ? 0.05f : 0.1f;
    if (avg) {
        float sc = 0.1f / (sy * (float)(k * k));
        attr_floats(g, n, "scale", 1, &sc);
    }
    finish(g, n, sy, avg ? -3 : zx);
    if (rs) {
        run_check(g, &n, 1, "dla-edge", rs);
        run_check(g, &n, 1, "dla-server", NULL);
    } else {
        both_targets(g, &n, 1);
    }
    ir_graph_free(g);
}

static void test_pool(void)
{
    int64_t a[4] = {1, 64, 56, 56}, b[4] = {2, 7, 9, 11}, c[4] = {1, 130, 8, 8};
    RunStats rs;
    pool_case("QMaxPool", a, 3, 2, 1, 0, 41, &rs);
    fprintf(stderr, "\n  maxpool 3x3/2 64x56x56: edge %llu cycles\n", (unsigned long long)rs.cycles);
    pool_case("QMaxPool", b, 2, 2, 0, 0, 42, NULL);
    pool_case("QMaxPool", b, 3, 2, 1, 1, 43, NULL);
    pool_case("QMaxPool", c, 3, 1, 1, 0, 44, NULL);
    pool_case("QAvgPool", b, 3, 1, 1, 0, 45, NULL);
    pool_case("QAvgPool", b, 2, 2, 0, 0, 46, NULL);
    pool_case("QAvgPool", a, 3, 2, 1, 0, 47, NULL);
    int64_t t[4] = {3, 5, 8, 6};
    pool_case("QMaxPool", t, 2, 2, 0, 0, 50, NULL); /* batch as one tall image */
    pool_case("QAvgPool", t, 2, 2, 0, 0, 51, NULL);
    int64_t w[4] = {1, 20, 5, 1300};
    pool_case("QMaxPool", w, 3, 1, 1, 0, 48, NULL);
    pool_case("QAvgPool", w, 2, 2, 0, 1, 49, NULL);
}

static void gpool_case(const int64_t *xd, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t x = act(g, "x", 4, xd, 0.1f, rnd_i8() / 2);
    int32_t n = node(g, "QGlobalAvgPool", &x, 1, "y");
    float sc = 0.1f / (0.02f * (float)(xd[2] * xd[3]));
    attr_floats(g, n, "scale", 1, &sc);
    finish(g, n, 0.02f, 7);
    both_targets(g, &n, 1);
    ir_graph_free(g);
}

static void test_gpool(void)
{
    int64_t a[4] = {1, 100, 7, 7}, b[4] = {1, 64, 56, 56}, c[4] = {3, 2050, 3, 3};
    gpool_case(a, 51);
    gpool_case(b, 52);
    gpool_case(c, 53);
    int64_t bt[4] = {5, 30, 4, 4}, bt2[4] = {397, 32, 2, 2};
    gpool_case(bt, 55); /* several images per step */
    gpool_case(bt2, 56);
    int64_t d[4] = {2, 40, 3, 1100};
    gpool_case(d, 54);
}

static void test_lut(void)
{
    rng_state = 61;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 30, 40, 50};
    int32_t x = act(g, "x", 4, xd, 0.1f, 0);
    int32_t n = node(g, "QLut", &x, 1, "y");
    int64_t t[256];
    for (int i = 0; i < 256; i++)
        t[i] = rnd_i8();
    attr_ints(g, n, "table", 256, t);
    finish(g, n, 0.1f, 0);
    both_targets(g, &n, 1);
    ir_graph_free(g);
}

/* QConcat along every axis; inputs with the output's quantization are copied,
 * others requantized. */
static void concat_case(int rank, const int64_t (*dims)[4], int nin, int axis, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t in[4];
    float sc[4];
    for (int i = 0; i < nin; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "x%d", i);
        float s = i == 0 ? 0.05f : 0.02f + 0.03f * (float)i;
        int zp = i == 0 ? 4 : rnd_i8() / 2;
        in[i] = act(g, nm, rank, dims[i], s, zp);
        sc[i] = s / 0.05f;
    }
    int32_t n = node(g, "QConcat", in, nin, "y");
    attr_int(g, n, "axis", axis);
    attr_floats(g, n, "scale", nin, sc);
    finish(g, n, 0.05f, 4);
    both_targets(g, &n, 1);
    ir_graph_free(g);
}

static void test_concat(void)
{
    const int64_t a[3][4] = {{1, 5, 7, 9}, {1, 20, 7, 9}, {1, 3, 7, 9}};
    concat_case(4, a, 3, 1, 101);
    const int64_t b[2][4] = {{2, 6, 4, 5}, {2, 6, 3, 5}};
    concat_case(4, b, 2, 2, 102);
    const int64_t c[2][4] = {{2, 6, 4, 5}, {2, 6, 4, 2}};
    concat_case(4, c, 2, 3, 103);
    const int64_t d[2][4] = {{1, 6, 4, 5}, {2, 6, 4, 5}};
    concat_case(4, d, 2, 0, 104);
    const int64_t e[2][4] = {{7, 30}, {7, 1100}};
    concat_case(2, e, 2, 1, 105);
    const int64_t f[2][4] = {{1, 64, 55, 55}, {1, 64, 55, 55}};
    concat_case(4, f, 2, 1, 106);
}

/* A SqueezeNet fire module: squeeze 1x1 -> expand 1x1 and 3x3 -> QConcat. */
static void test_fire(void)
{
    rng_state = 111;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 64, 27, 27};
    int32_t x = act(g, "x", 4, xd, 0.05f, -3);
    ConvSpec sq = CONV(1, 64, 27, 27, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0);
    int32_t s = add_conv(g, x, &sq, "squeeze");
    ConvSpec e1 = CONV(1, 16, 27, 27, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0);
    int32_t y1 = add_conv(g, s, &e1, "expand1");
    ConvSpec e3 = CONV(1, 16, 27, 27, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
    int32_t y3 = add_conv(g, s, &e3, "expand3");
    int32_t in[2] = {y1, y3};
    int32_t n = node(g, "QConcat", in, 2, "fire");
    attr_int(g, n, "axis", 1);
    float sc[2] = {1.0f, g->values[y3].quant.scale[0] / g->values[y1].quant.scale[0]};
    attr_floats(g, n, "scale", 2, sc);
    finish(g, n, g->values[y1].quant.scale[0], g->values[y1].quant.zero_point[0]);
    int32_t nodes[4] = {0, 1, 2, 3};
    both_targets(g, nodes, 4);
    ir_graph_free(g);
}

/* A MobileNetV2 inverted residual: 1x1 expand + ReLU6 (clip), 3x3 depthwise +
 * ReLU6, 1x1 project, residual QAdd; then a strided depthwise block. */
static void test_inverted_residual(void)
{
    rng_state = 121;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 24, 28, 28};
    int32_t x = act(g, "x", 4, xd, 0.05f, 3);
    ConvSpec ex = CONV(1, 24, 28, 28, 144, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1);
    int32_t y1 = add_conv(g, x, &ex, "expand");
    ConvSpec dw = CONV(1, 144, 28, 28, 144, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 144, 0, 1);
    int32_t y2 = add_conv(g, y1, &dw, "dw");
    ConvSpec pr = CONV(1, 144, 28, 28, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0);
    int32_t y3 = add_conv(g, y2, &pr, "project");
    int32_t ai[2] = {x, y3};
    int32_t ad = node(g, "QAdd", ai, 2, "res");
    attr_float(g, ad, "sa", 0.05f);
    attr_float(g, ad, "sb", g->values[y3].quant.scale[0]);
    attr_float(g, ad, "sy", 0.07f);
    int32_t y4 = finish(g, ad, 0.07f, -2);
    ConvSpec dw2 = CONV(1, 24, 28, 28, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 24, 0, 1);
    add_conv(g, y4, &dw2, "dw2");
    int32_t nodes[8], nn = 0;
    for (int32_t i = 0; i < g->nnodes; i++)
        nodes[nn++] = i;
    fprintf(stderr, "\n");
    print_layers = 1;
    both_targets(g, nodes, nn);
    print_layers = 0;
    ir_graph_free(g);
}

/* conv -> relu-fused conv -> maxpool -> conv; residual QAdd(maxpool, conv)
 * -> global average pool -> QGemm; plus a side output. */
static void test_graph(void)
{
    rng_state = 71;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 3, 32, 32};
    int32_t x = act(g, "x", 4, xd, 0.05f, -10);
    ConvSpec c1 = CONV(1, 3, 32, 32, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
    int32_t y1 = add_conv(g, x, &c1, "c1");
    ConvSpec c2 = CONV(1, 24, 32, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
    int32_t y2 = add_conv(g, y1, &c2, "c2");
    int32_t mp = node(g, "QMaxPool", &y2, 1, "mp");
    int64_t ks[2] = {2, 2};
    attr_ints(g, mp, "kernel_shape", 2, ks);
    attr_ints(g, mp, "strides", 2, ks);
    int32_t y3 = finish(g, mp, g->values[y2].quant.scale[0], g->values[y2].quant.zero_point[0]);
    ConvSpec c3 = CONV(1, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
    int32_t y4 = add_conv(g, y3, &c3, "c3");
    int32_t ai[2] = {y3, y4};
    int32_t ad = node(g, "QAdd", ai, 2, "res");
    attr_float(g, ad, "sa", g->values[y3].quant.scale[0]);
    attr_float(g, ad, "sb", g->values[y4].quant.scale[0]);
    attr_float(g, ad, "sy", 0.08f);
    attr_int(g, ad, "lo", 2);
    int32_t y5 = finish(g, ad, 0.08f, 2);
    int32_t gp = node(g, "QGlobalAvgPool", &y5, 1, "gap");
    float gsc = 0.08f / (0.03f * 256.0f);
    attr_floats(g, gp, "scale", 1, &gsc);
    int32_t y6 = finish(g, gp, 0.03f, -1);
    int64_t wd[2] = {10, 32};
    int32_t w = const_i8(g, "fc_w", 2, wd);
    int32_t b = const_i32(g, "fc_b", 10, 20000);
    int32_t gi[3] = {y6, w, b};
    int32_t fc = node(g, "QGemm", gi, 3, "logits");
    float fsc[10];
    for (int i = 0; i < 10; i++)
        fsc[i] = 0.002f;
    attr_floats(g, fc, "scale", 10, fsc);
    finish(g, fc, 0.2f, 0);
    ir_graph_add_output(g, g->nodes[fc].outputs[0]);
    ir_graph_add_output(g, y2); /* also visible outside: an extra output */
    int32_t nodes[16], nn = 0;
    for (int32_t i = 0; i < g->nnodes; i++)
        nodes[nn++] = i;
    RunStats a, s;
    fprintf(stderr, "\n");
    print_layers = 1;
    run_check(g, nodes, nn, "dla-edge", &a);
    run_check(g, nodes, nn, "dla-server", &s);
    print_layers = 0;
    fprintf(stderr, "\n  7-layer graph: edge %llu cycles, util %.3f; server %llu cycles, util %.3f\n",
            (unsigned long long)a.cycles, a.util, (unsigned long long)s.cycles, s.util);
    /* Two outputs (logits and c2), one input. */
    DlaTarget t;
    DlaError e = {0};
    DlaProgram p;
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &t, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_lower(g, nodes, nn, &t, &p, &e), DLA_OK);
    CU_ASSERT_EQUAL(p.ntensors, 3);
    CU_ASSERT_EQUAL(p.tensors[0].role, DLA_TENSOR_INPUT);
    CU_ASSERT_STRING_EQUAL(p.tensors[0].name, "x");
    CU_ASSERT_EQUAL(p.nlayers, (uint32_t)nn);
    CU_ASSERT_STRING_EQUAL(p.layers[0].op_type, "QConv");
    CU_ASSERT_EQUAL(p.layers[0].macs, 32ull * 32 * 24 * 3 * 9);
    dla_program_free(&p);
    ir_graph_free(g);
}

static void test_errors(void)
{
    DlaTarget t;
    DlaError e = {0};
    DlaProgram p;
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &t, &e), DLA_OK);
    rng_state = 81;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 3, 8, 8};
    int32_t x = act(g, "x", 4, xd, 0.1f, 0);
    ConvSpec c = CONV(1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
    add_conv(g, x, &c, "y");
    int32_t n = 0;
    CU_ASSERT_EQUAL(dla_lower(g, &n, 0, &t, &p, &e), DLA_ERR_INVALID);
    n = 5;
    CU_ASSERT_EQUAL(dla_lower(g, &n, 1, &t, &p, &e), DLA_ERR_INVALID);
    /* a non-Q-op */
    int32_t y2 = ir_value_add(g, "r", DT_INT8, &g->values[x].shape);
    n = ir_node_add(g, "relu", "Relu", "", &x, 1, &y2, 1);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dla_lower(g, &n, 1, &t, &p, &e), DLA_ERR_UNSUPPORTED);
    CU_ASSERT(strstr(e.msg, "not a dlacc quantized op") != NULL);
    /* padding beyond the DMA's 3-bit fields */
    int32_t xb = act(g, "xb", 4, xd, 0.1f, 0);
    ConvSpec cb = CONV(1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 9, 9, 9, 9, 1, 0, 0);
    add_conv(g, xb, &cb, "yb");
    n = g->nnodes - 1;
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dla_lower(g, &n, 1, &t, &p, &e), DLA_ERR_UNSUPPORTED);
    CU_ASSERT(strstr(e.msg, "padding") != NULL);
    /* an activation without quantization parameters */
    int32_t xq = ir_value_add(g, "xq", DT_INT8, &g->values[x].shape);
    int32_t yq = ir_value_add(g, "yq", DT_INT8, &g->values[x].shape);
    n = ir_node_add(g, "mp", "QMaxPool", "dlacc", &xq, 1, &yq, 1);
    int64_t ks[2] = {1, 1};
    attr_ints(g, n, "kernel_shape", 2, ks);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dla_lower(g, &n, 1, &t, &p, &e), DLA_ERR_INVALID);
    CU_ASSERT(strstr(e.msg, "quantization") != NULL);
    /* weights whose data does not match their shape */
    int32_t wbad = ir_value_add(g, "wbad", DT_INT8, &(IrShape){.rank = 4, .dims = {4, 3, 3, 3}});
    int8_t few[10] = {0};
    ir_value_set_data(g, wbad, few, sizeof few);
    int32_t bb = const_i32(g, "bb", 4, 10);
    int32_t ci[3] = {x, wbad, bb};
    int32_t yb = act(g, "ybad", 4, (int64_t[]){1, 4, 8, 8}, 0.1f, 0);
    n = ir_node_add(g, "convbad", "QConv", "dlacc", ci, 3, &yb, 1);
    float sc4[4] = {1, 1, 1, 1};
    attr_floats(g, n, "scale", 4, sc4);
    int64_t pd[4] = {1, 1, 1, 1};
    attr_ints(g, n, "pads", 4, pd);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dla_lower(g, &n, 1, &t, &p, &e), DLA_ERR_INVALID);
    int8_t **vals = dla_calloc((size_t)g->nvalues, sizeof *vals);
    vals[x] = dla_calloc(3 * 64, 1);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(qref_run(g, &n, 1, vals, &e), DLA_ERR_INVALID);
    for (int32_t v = 0; v < g->nvalues; v++)
        free(vals[v]);
    free(vals);
    ir_graph_free(g);
}

/* qref's scalar steps are quant/quant.h's (tests/quant tests them in depth). */
static void test_qref_scalar(void)
{
    CU_ASSERT_EQUAL(quant_rne(2.5f), 2);
    CU_ASSERT_EQUAL(quant_rne(3.5f), 4);
    CU_ASSERT_EQUAL(quant_rne(-2.5f), -2);
    CU_ASSERT_EQUAL(quant_rne(-0.5f), 0);
    CU_ASSERT_EQUAL(quant_rne(-1.5f), -2);
    CU_ASSERT_EQUAL(quant_rne(NAN), 0);
    CU_ASSERT_EQUAL(quant_requant(1000, 0.01f, 3, -128, 127), 13);
    CU_ASSERT_EQUAL(quant_requant(-100000, 0.01f, 3, -128, 127), -128);
    CU_ASSERT_EQUAL(quant_requant(-1000, 0.01f, 3, 3, 127), 3);
    CU_ASSERT_EQUAL(quant_requant(2147483647, 1e30f, 100, -128, 127), 127);
}

void dla_register_tests(void)
{
    DLA_SUITE("qref", {"scalar steps", test_qref_scalar});
    DLA_SUITE("lower",
              {"conv basic", test_conv_basic},
              {"conv stride/pad/dilation", test_conv_stride_pad},
              {"conv many channels", test_conv_channels},
              {"conv relu/clip", test_conv_act},
              {"conv depthwise", test_conv_depthwise},
              {"conv grouped", test_conv_grouped},
              {"conv tiled/chunked", test_conv_tiled},
              {"conv wide images", test_conv_wide},
              {"conv folded (few input channels)", test_conv_folded},
              {"gemm", test_gemm},
              {"add", test_add},
              {"max/avg pool", test_pool},
              {"global avg pool", test_gpool},
              {"lut", test_lut},
              {"concat", test_concat},
              {"fire module", test_fire},
              {"inverted residual", test_inverted_residual},
              {"multi-layer graph", test_graph},
              {"errors", test_errors});
}
