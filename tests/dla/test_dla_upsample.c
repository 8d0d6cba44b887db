/* test_dla_upsample.c - the upsampling Q-ops (QResize nearest/bilinear,
 * QZeroInsert; docs/quant.md "Upsampling") lowered for dla-edge and
 * dla-server, run on the simulator and compared bit for bit with qref, on
 * odd sizes, batch 2, factors that differ per axis, every coordinate mode,
 * and images that need many tiles and channel blocks; plus qref's bilinear
 * against a float (double) bilinear of the same int8 input: at most half a
 * step plus the fixed-point weight rounding (docs/quant.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/dla/dla_lower.h"
#include "backend/qref/qref.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "isa/sim.h"
#include "ops.h"
#include "quant/quant_resize.h"

#include "dla_qgraph.h"
#include "dla_simcheck.h"

/* Lower `nodes`, run on the simulator with random inputs, compare with qref
 * (dla_simcheck.h's run_check); returns the simulated cycles. */
static uint64_t sim_vs_qref(IrGraph *g, const int32_t *nodes, int nn, const char *tname)
{
    RunStats rs;
    memset(&rs, 0, sizeof rs);
    run_check(g, nodes, nn, tname, &rs);
    return rs.cycles;
}

static int32_t add_resize(IrGraph *g, int32_t x, const char *mode, const char *ctm, const char *nm, int64_t fh,
                          int64_t fw, const char *out)
{
    int32_t n = node(g, "QResize", &x, 1, out);
    ir_node_add_attr(g, n, "mode", IR_ATTR_STRING)->s = dla_arena_strdup(&g->arena, mode);
    ir_node_add_attr(g, n, "coordinate_transformation_mode", IR_ATTR_STRING)->s = dla_arena_strdup(&g->arena, ctm);
    if (nm)
        ir_node_add_attr(g, n, "nearest_mode", IR_ATTR_STRING)->s = dla_arena_strdup(&g->arena, nm);
    int64_t f[2] = {fh, fw};
    attr_ints(g, n, "factors", 2, f);
    const IrQuant *q = &g->values[x].quant;
    finish(g, n, q->scale[0], q->zero_point[0]);
    return n;
}

/* Cycles on dla-edge and dla-server (printed for docs/lowering.md). */
static void resize_case(const int64_t *xd, const char *mode, const char *ctm, const char *nm, int64_t fh, int64_t fw,
                        uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t x = act(g, "x", 4, xd, 0.05f, rnd_i8() / 8);
    int32_t n = add_resize(g, x, mode, ctm, nm, fh, fw, "y");
    uint64_t ce = sim_vs_qref(g, &n, 1, "dla-edge"), cs = sim_vs_qref(g, &n, 1, "dla-server");
    int64_t out = xd[0] * xd[1] * xd[2] * xd[3] * fh * fw;
    fprintf(stderr, "    QResize %-7s %-20s %-18s [%lld,%lld,%lld,%lld] x%lldx%lld: edge %llu cycles (%.2f out B/cycle), "
                    "server %llu (%.2f)\n",
            mode, ctm, nm ? nm : "-", (long long)xd[0], (long long)xd[1], (long long)xd[2], (long long)xd[3],
            (long long)fh, (long long)fw, (unsigned long long)ce, (double)out / (double)ce, (unsigned long long)cs,
            (double)out / (double)cs);
    ir_graph_free(g);
}

static void test_nearest(void)
{
    int64_t a[4] = {1, 16, 7, 9}, b[4] = {2, 5, 13, 11}, c[4] = {1, 3, 5, 6}, d[4] = {1, 8, 6, 7};
    int64_t big[4] = {1, 64, 40, 60}, wide[4] = {2, 24, 9, 600};
    resize_case(a, "nearest", "asymmetric", "floor", 2, 2, 1);
    resize_case(b, "nearest", "half_pixel", "round_prefer_floor", 3, 2, 2);
    resize_case(c, "nearest", "tf_half_pixel_for_nn", "ceil", 4, 1, 3);
    resize_case(d, "nearest", "align_corners", "round_prefer_ceil", 2, 3, 4);
    resize_case(b, "nearest", "asymmetric", "round_prefer_floor", 4, 4, 5);
    resize_case(a, "nearest", "pytorch_half_pixel", "round_prefer_ceil", 1, 3, 6);
    resize_case(big, "nearest", "asymmetric", "floor", 2, 2, 7);
    resize_case(wide, "nearest", "half_pixel", "round_prefer_floor", 2, 2, 8);
}

static void test_bilinear(void)
{
    int64_t a[4] = {2, 16, 9, 13}, b[4] = {1, 8, 7, 5}, c[4] = {1, 16, 12, 10}, d[4] = {1, 5, 6, 7};
    int64_t big[4] = {1, 96, 30, 40}, wide[4] = {1, 20, 5, 700};
    resize_case(a, "linear", "half_pixel", NULL, 2, 2, 11);
    resize_case(b, "linear", "half_pixel", NULL, 4, 4, 12);
    resize_case(c, "linear", "align_corners", NULL, 2, 2, 13);
    resize_case(d, "linear", "pytorch_half_pixel", NULL, 3, 2, 14);
    resize_case(a, "linear", "asymmetric", NULL, 2, 4, 15);
    resize_case(d, "linear", "align_corners", NULL, 4, 3, 16);
    resize_case(big, "linear", "half_pixel", NULL, 2, 2, 17);
    resize_case(wide, "linear", "half_pixel", NULL, 2, 2, 18);
}

static void zero_insert_case(const int64_t *xd, int64_t sh, int64_t sw, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t x = act(g, "x", 4, xd, 0.05f, rnd_i8() / 8);
    int32_t n = node(g, "QZeroInsert", &x, 1, "y");
    int64_t s[2] = {sh, sw};
    attr_ints(g, n, "strides", 2, s);
    finish(g, n, 0.05f, g->values[x].quant.zero_point[0]);
    sim_vs_qref(g, &n, 1, "dla-edge");
    sim_vs_qref(g, &n, 1, "dla-server");
    ir_graph_free(g);
}

static void test_zero_insert(void)
{
    int64_t a[4] = {2, 16, 9, 11}, b[4] = {1, 5, 6, 7}, big[4] = {1, 64, 32, 40}, one[4] = {1, 3, 1, 1};
    zero_insert_case(a, 2, 2, 21);
    zero_insert_case(b, 3, 2, 22);
    zero_insert_case(big, 2, 2, 23);
    zero_insert_case(one, 2, 2, 24);
}

/* QInterleave of sh*sw phase tensors (some with extra rows/columns, as the
 * phase convolutions may produce) into odd output sizes, batch 2. */
static void interleave_case(int64_t n, int64_t c, int64_t oh, int64_t ow, int64_t sh, int64_t sw, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t in[16];
    for (int64_t i = 0; i < sh * sw; i++) {
        int64_t ph = i / sw, pw = i % sw;
        int64_t d[4] = {n, c, (oh - ph + sh - 1) / sh + (int64_t)(rnd() % 2), (ow - pw + sw - 1) / sw + (int64_t)(rnd() % 2)};
        char nm[16];
        snprintf(nm, sizeof nm, "p%d", (int)i);
        in[i] = act(g, nm, 4, d, 0.05f, -7);
    }
    int32_t nd = node(g, "QInterleave", in, (int)(sh * sw), "y");
    int64_t sz[2] = {oh, ow}, st[2] = {sh, sw};
    attr_ints(g, nd, "sizes", 2, sz);
    attr_ints(g, nd, "strides", 2, st);
    finish(g, nd, 0.05f, -7);
    sim_vs_qref(g, &nd, 1, "dla-edge");
    sim_vs_qref(g, &nd, 1, "dla-server");
    ir_graph_free(g);
}

static void test_interleave(void)
{
    interleave_case(2, 12, 17, 13, 2, 2, 71);
    interleave_case(1, 64, 64, 64, 2, 2, 72);
    interleave_case(1, 5, 10, 11, 3, 2, 73);
    interleave_case(1, 40, 90, 300, 2, 2, 74);
}

/* A ConvTranspose head as the quantizer builds it: QZeroInsert then a QConv
 * (stride 1, pads k-1-p, k-1-p+output_padding), in one program. */
static void test_conv_transpose_chain(void)
{
    const int64_t ks[3] = {2, 3, 4}, pads[3] = {0, 1, 1}, opad[3] = {0, 1, 0};
    for (int i = 0; i < 3; i++) {
        rng_state = 31 + (uint64_t)i;
        IrGraph *g = ir_graph_new();
        int64_t xd[4] = {2, 12, 9, 7};
        int32_t x = act(g, "x", 4, xd, 0.05f, 3);
        int32_t z = node(g, "QZeroInsert", &x, 1, "z");
        int64_t s[2] = {2, 2};
        attr_ints(g, z, "strides", 2, s);
        int32_t zv = finish(g, z, 0.05f, 3);
        int64_t k = ks[i], p0 = k - 1 - pads[i], p1 = k - 1 - pads[i] + opad[i];
        ConvSpec cs = {2, 12, 17, 13, 20, k, k, 1, 1, 1, 1, p0, p0, p1, p1, 1, 1, 0};
        int32_t yv = add_conv(g, zv, &cs, "y");
        int32_t nodes[2] = {z, g->values[yv].producer};
        sim_vs_qref(g, nodes, 2, "dla-edge");
        sim_vs_qref(g, nodes, 2, "dla-server");
        ir_graph_free(g);
    }
}

/* qref's bilinear against the float bilinear of the same int8 values (the
 * ONNX formula in double): |error| <= 1/2 step when the weights are exact in
 * 1/2^10 (half_pixel / asymmetric with power-of-two factors), plus the weight
 * rounding otherwise (<= 2 * 255 * 2^-11 steps). */
static void bilinear_error_case(const char *ctm, int64_t f, double bound)
{
    rng_state = 41;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 3, 11, 9};
    int32_t x = act(g, "x", 4, xd, 0.05f, 0);
    int32_t n = add_resize(g, x, "linear", ctm, NULL, f, f, "y");
    int8_t **vals = dla_calloc((size_t)g->nvalues, sizeof *vals);
    int64_t nx = ir_shape_numel(&g->values[x].shape);
    vals[x] = dla_malloc((size_t)nx);
    for (int64_t i = 0; i < nx; i++)
        vals[x][i] = (int8_t)rnd_i8();
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(qref_run(g, &n, 1, vals, &e), DLA_OK);
    int64_t H = xd[2], W = xd[3], OH = H * f, OW = W * f;
    const int8_t *y = vals[g->nodes[n].outputs[0]];
    double worst = 0;
    for (int64_t c = 0; c < xd[1]; c++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double cy, cx;
                if (!strcmp(ctm, "align_corners")) {
                    cy = (double)oh * (double)(H - 1) / (double)(OH - 1);
                    cx = (double)ow * (double)(W - 1) / (double)(OW - 1);
                } else if (!strcmp(ctm, "asymmetric")) {
                    cy = (double)oh / (double)f, cx = (double)ow / (double)f;
                } else {
                    cy = ((double)oh + 0.5) / (double)f - 0.5, cx = ((double)ow + 0.5) / (double)f - 0.5;
                }
                cy = cy < 0 ? 0 : cy > (double)(H - 1) ? (double)(H - 1) : cy;
                cx = cx < 0 ? 0 : cx > (double)(W - 1) ? (double)(W - 1) : cx;
                int64_t y0 = (int64_t)floor(cy), x0 = (int64_t)floor(cx);
                int64_t y1 = y0 + 1 < H ? y0 + 1 : H - 1, x1 = x0 + 1 < W ? x0 + 1 : W - 1;
                double wy = cy - (double)y0, wx = cx - (double)x0;
                const int8_t *p = vals[x] + c * H * W;
                double v = (1 - wy) * ((1 - wx) * p[y0 * W + x0] + wx * p[y0 * W + x1]) +
                           wy * ((1 - wx) * p[y1 * W + x0] + wx * p[y1 * W + x1]);
                double err = fabs(v - (double)y[(c * OH + oh) * OW + ow]);
                if (err > worst)
                    worst = err;
            }
    fprintf(stderr, "    bilinear %s x%lld: max |int8 - float| = %.4f steps\n", ctm, (long long)f, worst);
    CU_ASSERT(worst <= bound);
    for (int32_t v = 0; v < g->nvalues; v++)
        free(vals[v]);
    free(vals);
    ir_graph_free(g);
}

static void test_bilinear_error(void)
{
    bilinear_error_case("half_pixel", 2, 0.5);
    bilinear_error_case("half_pixel", 4, 0.5);
    bilinear_error_case("asymmetric", 2, 0.5);
    bilinear_error_case("pytorch_half_pixel", 4, 0.5);
    bilinear_error_case("align_corners", 2, 0.5 + 255.0 / 1024);
    bilinear_error_case("half_pixel", 3, 0.5 + 255.0 / 1024);
}

/* The taps of quant/quant_resize.h on hand-checked cases (ONNX semantics). */
static void test_taps(void)
{
    /* nearest, asymmetric, round_prefer_floor, x2: 0,0,1,1,... (o/2 = 0.5 -> floor) */
    QuantResizeTap t = quant_resize_tap(QUANT_RC_ASYMMETRIC, QUANT_RN_ROUND_PREFER_FLOOR, 1, 4, 8, 10);
    CU_ASSERT_EQUAL(t.i0, 0);
    t = quant_resize_tap(QUANT_RC_ASYMMETRIC, QUANT_RN_ROUND_PREFER_CEIL, 1, 4, 8, 10);
    CU_ASSERT_EQUAL(t.i0, 1);
    /* x3 asymmetric round_prefer_floor: o=2 -> 0.667 -> 1; the last output clamps */
    t = quant_resize_tap(QUANT_RC_ASYMMETRIC, QUANT_RN_ROUND_PREFER_FLOOR, 2, 4, 12, 10);
    CU_ASSERT_EQUAL(t.i0, 1);
    t = quant_resize_tap(QUANT_RC_ASYMMETRIC, QUANT_RN_ROUND_PREFER_FLOOR, 11, 4, 12, 10);
    CU_ASSERT_EQUAL(t.i0, 3);
    /* linear half_pixel x2: o=0 clamps to input 0; o=1 -> x = 0.25 */
    t = quant_resize_tap(QUANT_RC_HALF_PIXEL, QUANT_RN_LINEAR, 0, 4, 8, 10);
    CU_ASSERT(t.i0 == 0 && t.i1 == 0 && t.w == 0);
    t = quant_resize_tap(QUANT_RC_HALF_PIXEL, QUANT_RN_LINEAR, 1, 4, 8, 10);
    CU_ASSERT(t.i0 == 0 && t.i1 == 1 && t.w == 256);
    t = quant_resize_tap(QUANT_RC_HALF_PIXEL, QUANT_RN_LINEAR, 7, 4, 8, 10);
    CU_ASSERT(t.i0 == 3 && t.i1 == 3 && t.w == 0);
    /* align_corners 3 -> 6: o=1 -> x = 0.4 -> w = rne(409.6) = 410 */
    t = quant_resize_tap(QUANT_RC_ALIGN_CORNERS, QUANT_RN_LINEAR, 1, 3, 6, 10);
    CU_ASSERT(t.i0 == 0 && t.i1 == 1 && t.w == 410);
    CU_ASSERT_EQUAL(quant_rshift_rne(6, 2), 2);  /* 1.5 -> 2 */
    CU_ASSERT_EQUAL(quant_rshift_rne(10, 2), 2); /* 2.5 -> 2 */
    CU_ASSERT_EQUAL(quant_rshift_rne(-6, 2), -2);
    CU_ASSERT_EQUAL(quant_rshift_rne(-10, 2), -2);
    CU_ASSERT_EQUAL(quant_rshift_rne(-7, 2), -2);
}

/* Representative shapes of detection / segmentation necks and heads, for the
 * table in docs/lowering.md ("Upsampling"): cycles on both targets, output
 * bytes per cycle, and for ConvTranspose in its zero-insertion (fallback)
 * form the MAC utilization of its own MACs (N*C_in*C_out*H*W*k*k) over the
 * zero-insert + conv program (the stride-phase form is measured end to end
 * in docs/lowering.md). */
static void test_representative(void)
{
    int64_t p4[4] = {1, 128, 20, 20}, p3[4] = {1, 64, 40, 40}, p2[4] = {1, 32, 40, 40};
    resize_case(p4, "nearest", "asymmetric", "floor", 2, 2, 51);
    resize_case(p3, "nearest", "asymmetric", "floor", 2, 2, 52);
    resize_case(p4, "linear", "half_pixel", NULL, 2, 2, 53);
    resize_case(p3, "linear", "align_corners", NULL, 2, 2, 54);
    resize_case(p2, "linear", "half_pixel", NULL, 4, 4, 55);
    const int64_t ks[3] = {2, 3, 4}, pads[3] = {0, 1, 1}, opad[3] = {0, 1, 0};
    for (int i = 0; i < 3; i++) {
        rng_state = 61 + (uint64_t)i;
        IrGraph *g = ir_graph_new();
        int64_t xd[4] = {1, 64, 32, 32};
        int32_t x = act(g, "x", 4, xd, 0.05f, 3);
        int32_t z = node(g, "QZeroInsert", &x, 1, "z");
        int64_t s[2] = {2, 2};
        attr_ints(g, z, "strides", 2, s);
        int32_t zv = finish(g, z, 0.05f, 3);
        int64_t k = ks[i], p0 = k - 1 - pads[i], p1 = k - 1 - pads[i] + opad[i];
        ConvSpec cs = {1, 64, 63, 63, 64, k, k, 1, 1, 1, 1, p0, p0, p1, p1, 1, 1, 0};
        int32_t yv = add_conv(g, zv, &cs, "y");
        int32_t nodes[2] = {z, g->values[yv].producer};
        double macs = 64.0 * 64 * 32 * 32 * (double)(k * k);
        uint64_t ce = sim_vs_qref(g, nodes, 2, "dla-edge"), cs2 = sim_vs_qref(g, nodes, 2, "dla-server");
        const IrShape *ys = &g->values[yv].shape;
        fprintf(stderr, "    ConvTranspose k%lld s2 p%lld op%lld [1,64,32,32] -> [1,64,%lld,%lld]: edge %llu cycles "
                        "(util %.3f), server %llu (util %.3f)\n",
                (long long)k, (long long)pads[i], (long long)opad[i], (long long)ys->dims[2], (long long)ys->dims[3],
                (unsigned long long)ce, macs / ((double)ce * 256.0), (unsigned long long)cs2,
                macs / ((double)cs2 * 4096.0));
        ir_graph_free(g);
    }
}

void dla_register_tests(void)
{
    DLA_SUITE("upsample",
              {"resize taps", test_taps},
              {"resize nearest", test_nearest},
              {"resize bilinear", test_bilinear},
              {"bilinear error vs float", test_bilinear_error},
              {"zero insert", test_zero_insert},
              {"zero insert + conv (ConvTranspose)", test_conv_transpose_chain},
              {"interleave (ConvTranspose phases)", test_interleave},
              {"representative shapes (docs/lowering.md)", test_representative});
}
