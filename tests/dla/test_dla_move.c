/* test_dla_move.c - the data-movement Q-ops (docs/quant.md, "Data
 * movement") lowered for dla-edge and dla-server, run on the simulator and
 * compared bit for bit with qref: QSlice (Split is one QSlice per output),
 * QTranspose, QReshape (copies, and views inside a program), QChannelShuffle,
 * and QConcat written in place by its QConv producers. Odd sizes, batch 2,
 * tensors larger than one acc half (several boxes) on both targets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"
#include "dla_test.h"
#include "ops.h"

#include "dla_qgraph.h"
#include "dla_simcheck.h"

#define CONV(...) (ConvSpec){__VA_ARGS__}

#define both both_targets

static void slice_case(int rank, const int64_t *xd, const int64_t *st, const int64_t *en, const int64_t *sp,
                       uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int zp = rnd_i8() / 2;
    int32_t x = act(g, "x", rank, xd, 0.04f, zp);
    int32_t n = node(g, "QSlice", &x, 1, "y");
    attr_ints(g, n, "starts", rank, st);
    attr_ints(g, n, "ends", rank, en);
    attr_ints(g, n, "steps", rank, sp);
    finish(g, n, 0.04f, zp);
    both(g, &n, 1);
    ir_graph_free(g);
}

static void test_slice(void)
{
    const int64_t BIG = INT64_MAX;
    { /* channels 3..10 of an odd NHWC tensor, batch 2 */
        int64_t xd[4] = {2, 13, 9, 11}, st[4] = {0, 3, 0, 0}, en[4] = {BIG, 10, BIG, BIG}, sp[4] = {1, 1, 1, 1};
        slice_case(4, xd, st, en, sp, 201);
    }
    { /* rows and columns with steps 2 and 3, all channels */
        int64_t xd[4] = {2, 5, 17, 19}, st[4] = {0, 0, 1, 2}, en[4] = {BIG, BIG, 16, 19}, sp[4] = {1, 1, 2, 3};
        slice_case(4, xd, st, en, sp, 202);
    }
    { /* every other channel (a gather on the innermost DRAM dim) */
        int64_t xd[4] = {1, 33, 7, 5}, st[4] = {0, 1, 0, 0}, en[4] = {BIG, BIG, BIG, BIG}, sp[4] = {1, 2, 1, 1};
        slice_case(4, xd, st, en, sp, 203);
    }
    { /* the batch dim, and a large tensor: several boxes on both targets */
        int64_t xd[4] = {3, 96, 40, 40}, st[4] = {1, 0, 0, 0}, en[4] = {3, BIG, BIG, BIG}, sp[4] = {1, 1, 1, 1};
        slice_case(4, xd, st, en, sp, 204);
    }
    { /* rank 3 and rank 2, row-major */
        int64_t xd[3] = {2, 31, 45}, st[3] = {0, 4, 5}, en[3] = {2, 29, 45}, sp[3] = {1, 1, 4};
        slice_case(3, xd, st, en, sp, 205);
        int64_t md[2] = {7, 5000}, ms[2] = {2, 100}, me[2] = {7, 4900}, mp[2] = {1, 1};
        slice_case(2, md, ms, me, mp, 206);
    }
}

/* Split: one QSlice per output, in one program (the input read thrice). */
static void test_split(void)
{
    rng_state = 211;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {2, 24, 11, 13};
    int32_t x = act(g, "x", 4, xd, 0.05f, 7);
    const int64_t BIG = INT64_MAX, cut[4] = {0, 5, 16, 24};
    int32_t nodes[3];
    for (int k = 0; k < 3; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "y%d", k);
        nodes[k] = node(g, "QSlice", &x, 1, nm);
        int64_t st[4] = {0, cut[k], 0, 0}, en[4] = {BIG, cut[k + 1], BIG, BIG}, sp[4] = {1, 1, 1, 1};
        attr_ints(g, nodes[k], "starts", 4, st);
        attr_ints(g, nodes[k], "ends", 4, en);
        attr_ints(g, nodes[k], "steps", 4, sp);
        finish(g, nodes[k], 0.05f, 7);
    }
    both(g, nodes, 3);
    ir_graph_free(g);
}

static void transpose_case(int rank, const int64_t *xd, const int64_t *perm, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t x = act(g, "x", rank, xd, 0.03f, -5);
    int32_t n = node(g, "QTranspose", &x, 1, "y");
    attr_ints(g, n, "perm", rank, perm);
    finish(g, n, 0.03f, -5);
    both(g, &n, 1);
    ir_graph_free(g);
}

static void test_transpose(void)
{
    int64_t a[4] = {2, 7, 5, 3}, p0[4] = {0, 2, 3, 1}, p1[4] = {0, 1, 3, 2}, p2[4] = {1, 0, 2, 3}, p3[4] = {3, 2, 1, 0};
    transpose_case(4, a, p0, 221); /* NCHW -> NHWC: rank 4 to rank 4 NHWC layouts */
    transpose_case(4, a, p1, 222); /* swap H and W */
    transpose_case(4, a, p2, 223); /* batch and channels */
    transpose_case(4, a, p3, 224);
    int64_t b[3] = {2, 37, 19}, q[3] = {0, 2, 1};
    transpose_case(3, b, q, 225);
    int64_t c[2] = {300, 129}, r[2] = {1, 0};
    transpose_case(2, c, r, 226); /* more than one acc half on dla-edge */
    int64_t d[4] = {1, 64, 48, 40};
    transpose_case(4, d, p1, 227);
}

static void reshape_case(int xr, const int64_t *xd, int yr, const int64_t *yd, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t x = act(g, "x", xr, xd, 0.05f, 9);
    int32_t n = node(g, "QReshape", &x, 1, "y");
    attr_ints(g, n, "shape", yr, yd);
    finish(g, n, 0.05f, 9);
    both(g, &n, 1);
    ir_graph_free(g);
}

static void test_reshape(void)
{
    int64_t a[4] = {2, 12, 5, 7}, fa[2] = {2, 420};
    reshape_case(4, a, 2, fa, 231); /* Flatten of NHWC: a channel-major copy */
    int64_t b[2] = {2, 420}, ub[4] = {2, 12, 5, 7};
    reshape_case(2, b, 4, ub, 232); /* and back */
    int64_t c[4] = {2, 6, 4, 4}, rc[4] = {2, 3, 2, 16};
    reshape_case(4, c, 4, rc, 233); /* channels regroup with pixels */
    int64_t d[4] = {1, 8, 6, 4}, rd[4] = {1, 8, 24, 1};
    reshape_case(4, d, 4, rd, 234); /* same bytes, but both program tensors: a copy */
    int64_t e[4] = {2, 40, 1, 1}, re[3] = {2, 5, 8};
    reshape_case(4, e, 3, re, 235);
    int64_t f[4] = {1, 128, 20, 20}, rf[2] = {128, 400};
    reshape_case(4, f, 2, rf, 236); /* large */
}

/* Views inside a program: x -> QReshape (same bytes) -> QTranspose ->
 * QReshape (same bytes, a program output): no code for the two reshapes. */
static void test_reshape_views(void)
{
    rng_state = 241;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {2, 10, 6, 4};
    int32_t x = act(g, "x", 4, xd, 0.05f, 2);
    int32_t n0 = node(g, "QTranspose", &x, 1, "t0");
    int64_t p[4] = {0, 1, 3, 2};
    attr_ints(g, n0, "perm", 4, p);
    int32_t t0 = finish(g, n0, 0.05f, 2);
    int32_t n1 = node(g, "QReshape", &t0, 1, "v1");
    int64_t s1[4] = {2, 10, 24, 1};
    attr_ints(g, n1, "shape", 4, s1);
    int32_t v1 = finish(g, n1, 0.05f, 2);
    int32_t n2 = node(g, "QTranspose", &v1, 1, "t2");
    int64_t p2[4] = {0, 2, 1, 3};
    attr_ints(g, n2, "perm", 4, p2);
    int32_t t2 = finish(g, n2, 0.05f, 2);
    int32_t n3 = node(g, "QReshape", &t2, 1, "v3");
    int64_t s3[2] = {2, 240};
    attr_ints(g, n3, "shape", 2, s3);
    finish(g, n3, 0.05f, 2);
    int32_t nodes[4] = {n0, n1, n2, n3};
    both(g, nodes, 4);
    ir_graph_free(g);
}

static void shuffle_case(const int64_t *xd, int64_t grp, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int32_t x = act(g, "x", 4, xd, 0.05f, -1);
    int32_t n = node(g, "QChannelShuffle", &x, 1, "y");
    attr_int(g, n, "group", grp);
    finish(g, n, 0.05f, -1);
    both(g, &n, 1);
    ir_graph_free(g);
}

static void test_shuffle(void)
{
    int64_t a[4] = {2, 12, 5, 7};
    shuffle_case(a, 3, 251);
    shuffle_case(a, 2, 252);
    int64_t b[4] = {1, 15, 9, 3};
    shuffle_case(b, 5, 253);
    int64_t c[4] = {2, 6, 1, 1};
    shuffle_case(c, 2, 254);
    int64_t d[4] = {1, 116, 28, 28}; /* ShuffleNetV2 stage 2: several boxes */
    shuffle_case(d, 2, 255);
}

/* In-place concatenation: two QConvs store straight into their channel
 * slices of the QConcat output (same parameters), a third input (a program
 * input with other parameters) is requantized into its slice; a consumer
 * reads the result. */
static void test_concat_in_place(void)
{
    rng_state = 261;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {2, 16, 13, 11}, zd[4] = {2, 5, 13, 11};
    int32_t x = act(g, "x", 4, xd, 0.05f, -3);
    int32_t z = act(g, "z", 4, zd, 0.07f, 11);
    ConvSpec e1 = CONV(2, 16, 13, 11, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0);
    ConvSpec e3 = CONV(2, 16, 13, 11, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
    int32_t y1 = add_conv(g, x, &e1, "b1");
    int32_t y3 = add_conv(g, x, &e3, "b3");
    set_quant(g, y1, 0.05f, -20);
    set_quant(g, y3, 0.05f, -20);
    int32_t in[3] = {y1, z, y3};
    int32_t n = node(g, "QConcat", in, 3, "cat");
    attr_int(g, n, "axis", 1);
    float sc[3] = {1.0f, 0.07f / 0.05f, 1.0f};
    attr_floats(g, n, "scale", 3, sc);
    int32_t cat = finish(g, n, 0.05f, -20);
    ConvSpec nx = CONV(2, 48, 13, 11, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0);
    add_conv(g, cat, &nx, "next");
    int32_t nodes[4] = {g->values[y1].producer, g->values[y3].producer, n, g->nnodes - 1};
    both(g, nodes, 4);
    ir_graph_free(g);
}

/* The same over the columns of two QGemm results [M,N1], [M,N2] (rank 2,
 * axis 1: the row pitch), with a consumer QGemm. */
static int32_t gemm(IrGraph *g, int32_t x, int64_t k, int64_t nn, const char *name)
{
    char nm[32];
    int64_t wd[2] = {nn, k};
    snprintf(nm, sizeof nm, "%s_w", name);
    int32_t w = const_i8(g, nm, 2, wd);
    snprintf(nm, sizeof nm, "%s_b", name);
    int32_t b = const_i32(g, nm, nn, (int32_t)(3000 * sqrt((double)k)));
    int32_t in[3] = {x, w, b};
    int32_t n = node(g, "QGemm", in, 3, name);
    float *sc = dla_malloc((size_t)nn * sizeof *sc);
    for (int64_t i = 0; i < nn; i++)
        sc[i] = (float)((0.5 + rnd_unit()) * 0.012 / sqrt((double)k));
    attr_floats(g, n, "scale", (int)nn, sc);
    free(sc);
    return finish(g, n, 0.05f, 6);
}

static void test_concat_in_place_gemm(void)
{
    rng_state = 265;
    IrGraph *g = ir_graph_new();
    int64_t xd[2] = {37, 70};
    int32_t x = act(g, "x", 2, xd, 0.1f, 3);
    int32_t a = gemm(g, x, 70, 24, "ga"), b = gemm(g, x, 70, 41, "gb");
    int32_t in[2] = {a, b};
    int32_t n = node(g, "QConcat", in, 2, "cat");
    attr_int(g, n, "axis", 1);
    float sc[2] = {1.0f, 1.0f};
    attr_floats(g, n, "scale", 2, sc);
    int32_t cat = finish(g, n, 0.05f, 6);
    gemm(g, cat, 65, 9, "gc");
    int32_t nodes[4] = {g->values[a].producer, g->values[b].producer, n, g->nnodes - 1};
    both(g, nodes, 4);
    ir_graph_free(g);
}

/* Cycles of the data-movement ops on representative shapes (docs/lowering.md,
 * "Data movement"); printed, not asserted. */
static void test_report(void)
{
    static const struct {
        const char *what;
        int64_t d[4];
    } cases[] = {{"slice C/2 [1,128,28,28]", {1, 128, 28, 28}},
                 {"transpose NCHW->NHWC [1,64,56,56]", {1, 64, 56, 56}},
                 {"shuffle g=2 [1,116,28,28]", {1, 116, 28, 28}},
                 {"flatten [1,256,6,6]", {1, 256, 6, 6}}};
    for (int i = 0; i < 4; i++) {
        rng_state = 270 + (uint64_t)i;
        IrGraph *g = ir_graph_new();
        const int64_t *d = cases[i].d;
        int32_t x = act(g, "x", 4, d, 0.05f, 0), n;
        if (i == 0) {
            n = node(g, "QSlice", &x, 1, "y");
            int64_t st[4] = {0, 0, 0, 0}, en[4] = {1, d[1] / 2, d[2], d[3]}, sp[4] = {1, 1, 1, 1};
            attr_ints(g, n, "starts", 4, st);
            attr_ints(g, n, "ends", 4, en);
            attr_ints(g, n, "steps", 4, sp);
        } else if (i == 1) {
            n = node(g, "QTranspose", &x, 1, "y");
            int64_t p[4] = {0, 2, 3, 1};
            attr_ints(g, n, "perm", 4, p);
        } else if (i == 2) {
            n = node(g, "QChannelShuffle", &x, 1, "y");
            attr_int(g, n, "group", 2);
        } else {
            n = node(g, "QReshape", &x, 1, "y");
            int64_t s[2] = {1, d[1] * d[2] * d[3]};
            attr_ints(g, n, "shape", 2, s);
        }
        finish(g, n, 0.05f, 0);
        for (int t = 0; t < 2; t++) {
            RunStats rs;
            const char *tn = t ? "dla-server" : "dla-edge";
            run_check(g, &n, 1, tn, &rs);
            int64_t bytes = ir_shape_numel(&g->values[g->nodes[n].outputs[0]].shape);
            fprintf(stderr, "  MOVE %-36s %-10s cycles %8llu  bytes moved %8lld  insns %6llu\n", cases[i].what, tn,
                    (unsigned long long)rs.cycles, (long long)bytes, (unsigned long long)rs.ninsns);
        }
        ir_graph_free(g);
    }
}

void dla_register_tests(void)
{
    (void)print_layers;
    DLA_SUITE("lower data movement",
              {"slice", test_slice},
              {"split", test_split},
              {"transpose", test_transpose},
              {"reshape copies", test_reshape},
              {"reshape views", test_reshape_views},
              {"channel shuffle", test_shuffle},
              {"concat in place", test_concat_in_place},
              {"concat in place (gemm columns)", test_concat_in_place_gemm},
              {"cycles report", test_report});
}
