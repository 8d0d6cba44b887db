/* dla_lower_upsample.c - QResize (nearest and bilinear by integer factors),
 * QZeroInsert (a ConvTranspose's zero-inserted input) on the vector unit,
 * and QInterleave (a ConvTranspose's stride phases merged, DMA only)
 * (docs/quant.md "Upsampling", docs/lowering.md "Upsampling").
 *
 * Both work per (image, channel block of Cb, tile of output rows) in one acc
 * half: the input rows the tile reads are loaded sign-extended into acc as
 * [rows][W][Cb], the output tile [rows][OW][Cb] is built with strided ALU
 * instructions, then stored into the NHWC output with one DMA.
 *
 * The taps come from quant/quant_resize.h (the same function qref uses).
 * Along one axis of factor f = out / in, the taps of the outputs o, o + f,
 * o + 2f, ... usually read consecutive inputs with the same weight: a "run"
 * (outputs o0 + k*f, inputs i0 + k and i1 + k, weight w, k < n) is one loop
 * level of an ALU instruction (dst stride f pixels, src stride 1 pixel).
 * Integer factors with half_pixel or asymmetric coordinates give one run per
 * phase plus the clamped edge pixels; align_corners gives more, shorter runs.
 *
 * Nearest: the tile's input rows widened by one `alu mov` per column run,
 * then one store per row run (its output rows repeat input rows: a DMA row
 * stride of f rows, no copy): pure copies, exact.
 * Bilinear, vertical pass then horizontal pass, each exact in int32:
 *   V[o] = A[i0] * 2^K + (A[i1] - A[i0]) * w     (= (2^K - w) A[i0] + w A[i1])
 * as `alu sub` (A[i1] - A[i0] into V), `alu mul imm w`, then, after one
 * `alu shl imm K` of the whole A, `alu add` of A[i0] (runs with w = 0: one
 * `alu mov` of the shifted A[i0]); the same along x from V into the output
 * O; finally `alu rshr imm 2K` (round half to even) and the int8 store. With
 * |A| <= 128 and K = 10 every intermediate stays below 2^29. */
#include "dla_lower_upsample.h"

#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "ops.h"
#include "quant/quant_resize.h"

/* A run of one axis: outputs o0 + k*step, inputs i0 + k and i1 + k, weight w, k < n. */
typedef struct UpRun {
    int64_t o0, n, i0, i1;
    int32_t w;
} UpRun;

typedef struct UpAxis {
    int64_t in, out, step;
    QuantResizeTap *tap; /* [out] */
    UpRun *run;
    int64_t nrun;
} UpAxis;

static void axis_free(UpAxis *a)
{
    free(a->tap);
    free(a->run);
}

/* Taps and runs of one axis. Runs follow one phase (o mod step) and stop where
 * the inputs stop advancing by one (clamped edges) or the weight changes. */
static void axis_make(UpAxis *a, int coord, int nearest, int64_t in, int64_t out)
{
    a->in = in, a->out = out;
    a->step = out >= in ? out / in : 1;
    a->tap = dla_malloc((size_t)out * sizeof *a->tap);
    a->run = dla_malloc((size_t)out * sizeof *a->run);
    a->nrun = 0;
    for (int64_t o = 0; o < out; o++)
        a->tap[o] = quant_resize_tap(coord, nearest, o, in, out, QUANT_RESIZE_SHIFT);
    uint8_t *done = dla_calloc((size_t)out, 1);
    for (int64_t o = 0; o < out; o++) {
        if (done[o])
            continue;
        UpRun r = {o, 1, a->tap[o].i0, a->tap[o].i1, a->tap[o].w};
        done[o] = 1;
        for (int64_t p = o + a->step; p < out && r.n < DLA_MAX_EXTENT; p += a->step) {
            const QuantResizeTap *t = &a->tap[p];
            if (done[p] || t->i0 != r.i0 + r.n || t->i1 != r.i1 + r.n || t->w != r.w)
                break;
            done[p] = 1;
            r.n++;
        }
        a->run[a->nrun++] = r;
    }
    free(done);
}

/* The part of run r whose outputs fall in [a, b): k in [*k0, *k1). */
static int run_clip(const UpRun *r, int64_t step, int64_t a, int64_t b, int64_t *k0, int64_t *k1)
{
    int64_t lo = a > r->o0 ? (a - r->o0 + step - 1) / step : 0;
    int64_t hi = b > r->o0 ? (b - r->o0 + step - 1) / step : 0;
    if (hi > r->n)
        hi = r->n;
    *k0 = lo, *k1 = hi;
    return lo < hi;
}

/* Store `rows` packed acc rows O [rows][OW][Cb] (channels c0..c0+cn) to output
 * rows oh0, oh0 + step, ... of image n. */
static void store_rows(DlaEmit *e, uint64_t ya, int64_t n, int64_t OH, int64_t OW, int64_t Cc, int64_t c0, int64_t cn,
                       int64_t Cb, int64_t oh0, int64_t rows, int64_t step, uint64_t O)
{
    uint64_t base = ya + (uint64_t)(((n * OH + oh0) * OW) * Cc + c0);
    if (OW <= DLA_MAX_DMA_Y) {
        DlaDma s = {.dram = base, .act = 1, .sram = O, .x = cn, .xpitch = Cb, .y = OW, .ys = Cc, .z = rows,
                    .zs = step * OW * Cc};
        dla_em_store(e, &s);
        return;
    }
    for (int64_t r = 0; r < rows; r++) /* rows wider than a DMA box: pieces of one row (acc rows are packed) */
        for (int64_t x0 = 0; x0 < OW; x0 += DLA_MAX_DMA_Y) {
            int64_t xn = OW - x0 < DLA_MAX_DMA_Y ? OW - x0 : DLA_MAX_DMA_Y;
            DlaDma s = {.dram = base + (uint64_t)((r * step * OW + x0) * Cc), .act = 1,
                        .sram = O + (uint64_t)((r * OW + x0) * Cb), .x = cn, .xpitch = Cb, .y = xn, .ys = Cc,
                        .z = 1, .zs = 0};
            dla_em_store(e, &s);
        }
}

/* Load input rows [r0, r0+rin) of image n, channels c0..c0+cn, into A [rin][W][Cb]. */
static void load_rows(DlaEmit *e, uint64_t xa, int64_t n, int64_t H, int64_t W, int64_t Cc, int64_t c0, int64_t cn,
                      int64_t Cb, int64_t r0, int64_t rin, uint64_t A)
{
    DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1, .dram = xa + (uint64_t)(((n * H + r0) * W) * Cc + c0), .act = 1,
                .sram = A, .x = cn, .xpitch = Cb, .y = W, .ys = Cc, .z = rin, .zs = W * Cc};
    dla_em_load(e, &d);
}

/* Input rows the output-row tile [oh0, oh0+rows) reads: [*r0, *r0 + return). */
static int64_t tile_rows(const UpAxis *ay, int64_t oh0, int64_t rows, int64_t *r0)
{
    int64_t lo = ay->tap[oh0].i0, hi = ay->tap[oh0].i1;
    for (int64_t o = oh0; o < oh0 + rows; o++) {
        if (ay->tap[o].i0 < lo)
            lo = ay->tap[o].i0;
        if (ay->tap[o].i1 > hi)
            hi = ay->tap[o].i1;
    }
    *r0 = lo;
    return hi - lo + 1;
}

/* acc elements of a tile of `rows` output rows (the worst tile of the grid). */
static int64_t resize_need(const UpAxis *ay, int64_t W, int64_t OW, int linear, int64_t rows, int64_t Cb,
                           int64_t *rinmax)
{
    int64_t worst = 0, r0;
    for (int64_t oh0 = 0; oh0 < ay->out; oh0 += rows) {
        int64_t rn = ay->out - oh0 < rows ? ay->out - oh0 : rows;
        int64_t rin = tile_rows(ay, oh0, rn, &r0);
        if (rin > worst)
            worst = rin;
    }
    *rinmax = worst;
    return (linear ? worst * W + rows * W + rows * OW : worst * (W + OW)) * Cb;
}

DlaStatus dla_lower_resize(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    int32_t xv = ir_in(g, node, 0), yv = g->nodes[node].outputs[0];
    DlaDims xd, yd;
    float sx, sy;
    int32_t zx, zy;
    DlaStatus st;
    if ((st = dla_lower_dims(c, node, xv, &xd)) || (st = dla_lower_dims(c, node, yv, &yd)) ||
        (st = dla_lower_quant(c, node, xv, &sx, &zx)) || (st = dla_lower_quant(c, node, yv, &sy, &zy)))
        return st;
    if (g->values[xv].shape.rank != 4 || yd.n != xd.n || yd.c != xd.c || zx != zy || sx != sy)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "needs NCHW tensors and the input's quantization on the output");
    int coord = quant_resize_coord_parse(ir_attr_string(g, node, "coordinate_transformation_mode", "half_pixel"));
    const char *mode = ir_attr_string(g, node, "mode", "nearest");
    int linear = !strcmp(mode, "linear");
    int nearest = linear ? QUANT_RN_LINEAR
                         : quant_resize_nearest_parse(ir_attr_string(g, node, "nearest_mode", "round_prefer_floor"));
    if (coord < 0 || (!linear && nearest < 0))
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "unknown mode or coordinate transformation");
    int64_t Cc = xd.c, H = xd.h, W = xd.w, OH = yd.h, OW = yd.w;
    if (W > DLA_MAX_DMA_Y || W > DLA_MAX_EXTENT)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "image width %lld -> %lld beyond the DMA/loop limits",
                             (long long)W, (long long)OW);
    *macs = 0;
    UpAxis ay, ax;
    axis_make(&ay, coord, nearest, H, OH);
    axis_make(&ax, coord, nearest, W, OW);
    /* channel block and rows per tile within one acc half */
    int64_t half = e->msize[DLA_MEM_ACC] / 2, Cb = Cc < DLA_MAX_EXTENT ? Cc : DLA_MAX_EXTENT, rinmax, rows = 1;
    while (Cb > 1 && resize_need(&ay, W, OW, linear, 1, Cb, &rinmax) > half)
        Cb = (Cb + 1) / 2;
    if (resize_need(&ay, W, OW, linear, 1, Cb, &rinmax) > half || rinmax > DLA_MAX_DMA_Z) {
        axis_free(&ay);
        axis_free(&ax);
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "one output row (%lld -> %lld pixels) does not fit half the accumulator",
                             (long long)W, (long long)OW);
    }
    for (int64_t r = 2; r <= OH && r <= DLA_MAX_DMA_Z; r++) {
        if (resize_need(&ay, W, OW, linear, r, Cb, &rinmax) > half || rinmax > DLA_MAX_DMA_Z)
            break;
        rows = r;
    }
    const uint32_t K = QUANT_RESIZE_SHIFT;
    uint64_t xa = c->addr[xv], ya = c->addr[yv];
    int64_t ncb = dla_ceil_div(Cc, Cb);
    for (int64_t n = 0; n < xd.n; n++)
        for (int64_t cb = 0; cb < ncb; cb++)
            for (int64_t oh0 = 0; oh0 < OH; oh0 += rows) {
                int64_t c0 = cb * Cb, cn = Cc - c0 < Cb ? Cc - c0 : Cb, rn = OH - oh0 < rows ? OH - oh0 : rows, r0;
                int64_t rin = tile_rows(&ay, oh0, rn, &r0);
                uint64_t A = c->layer->acc_at[e->acc_half];
                e->acc_half ^= 1;
                uint64_t V = A + (uint64_t)(rin * W * Cb), O = linear ? V + (uint64_t)(rn * W * Cb) : V;
                load_rows(e, xa, n, H, W, Cc, c0, cn, Cb, r0, rin, A);
                if (!linear) {
                    /* H [rin][OW][Cb]: every input row of the tile widened (one mov
                     * per column run), then each row run stored from its rows of H
                     * to every step-th output row: output rows that repeat an
                     * input row cost a store, not a copy. */
                    for (int64_t j = 0; j < ax.nrun; j++) {
                        const UpRun *rx = &ax.run[j];
                        uint64_t dst = O + (uint64_t)(rx->o0 * Cb), src = A + (uint64_t)(rx->i0 * Cb);
                        DlaNest mv = {{1, rin, rx->n, Cb}, {0, OW * Cb, ax.step * Cb, 1}, {0, 0, 0, 0}, {0, W * Cb, Cb, 1}};
                        dla_em_alu(e, &mv, DLA_ALU_MOV, dst, dst, (uint32_t)src, 0);
                    }
                    for (int64_t i = 0; i < ay.nrun; i++) {
                        const UpRun *ry = &ay.run[i];
                        int64_t k0, k1;
                        if (!run_clip(ry, ay.step, oh0, oh0 + rn, &k0, &k1))
                            continue;
                        store_rows(e, ya, n, OH, OW, Cc, c0, cn, Cb, ry->o0 + k0 * ay.step, k1 - k0, ay.step,
                                   O + (uint64_t)((ry->i0 + k0 - r0) * OW * Cb));
                    }
                    continue;
                } else {
                    /* vertical: V [rn][W][Cb] from A [rin][W][Cb] */
                    for (int pass = 0; pass < 2; pass++) {
                        if (pass == 1)
                            dla_em_alu_flat(e, DLA_ALU_SHL, A, rin * W * Cb, K);
                        for (int64_t i = 0; i < ay.nrun; i++) {
                            const UpRun *ry = &ay.run[i];
                            int64_t k0, k1;
                            if (!run_clip(ry, ay.step, oh0, oh0 + rn, &k0, &k1) || (pass == 0 && ry->w == 0))
                                continue;
                            uint64_t dst = V + (uint64_t)((ry->o0 + k0 * ay.step - oh0) * W * Cb);
                            uint64_t s0 = A + (uint64_t)((ry->i0 + k0 - r0) * W * Cb);
                            uint64_t s1 = A + (uint64_t)((ry->i1 + k0 - r0) * W * Cb);
                            DlaNest nt = {{1, k1 - k0, W, Cb},
                                          {0, ay.step * W * Cb, Cb, 1},
                                          {0, W * Cb, Cb, 1},
                                          {0, W * Cb, Cb, 1}};
                            if (pass == 0) {
                                dla_em_alu(e, &nt, DLA_ALU_SUB, dst, s1, (uint32_t)s0, 0);
                                DlaNest in = nt;
                                memcpy(in.ss, nt.sd, sizeof in.ss);
                                dla_em_alu(e, &in, DLA_ALU_MUL, dst, dst, (uint32_t)ry->w, 1);
                            } else if (ry->w) {
                                DlaNest in = nt;
                                memcpy(in.ss, nt.sd, sizeof in.ss);
                                dla_em_alu(e, &in, DLA_ALU_ADD, dst, dst, (uint32_t)s0, 0);
                            } else {
                                dla_em_alu(e, &nt, DLA_ALU_MOV, dst, dst, (uint32_t)s0, 0);
                            }
                        }
                    }
                    /* horizontal: O [rn][OW][Cb] from V */
                    for (int pass = 0; pass < 2; pass++) {
                        if (pass == 1)
                            dla_em_alu_flat(e, DLA_ALU_SHL, V, rn * W * Cb, K);
                        for (int64_t j = 0; j < ax.nrun; j++) {
                            const UpRun *rx = &ax.run[j];
                            if (pass == 0 && rx->w == 0)
                                continue;
                            uint64_t dst = O + (uint64_t)(rx->o0 * Cb);
                            uint64_t s0 = V + (uint64_t)(rx->i0 * Cb), s1 = V + (uint64_t)(rx->i1 * Cb);
                            DlaNest nt = {{1, rn, rx->n, Cb},
                                          {0, OW * Cb, ax.step * Cb, 1},
                                          {0, W * Cb, Cb, 1},
                                          {0, W * Cb, Cb, 1}};
                            if (pass == 0) {
                                dla_em_alu(e, &nt, DLA_ALU_SUB, dst, s1, (uint32_t)s0, 0);
                                DlaNest in = nt;
                                memcpy(in.ss, nt.sd, sizeof in.ss);
                                dla_em_alu(e, &in, DLA_ALU_MUL, dst, dst, (uint32_t)rx->w, 1);
                            } else if (rx->w) {
                                DlaNest in = nt;
                                memcpy(in.ss, nt.sd, sizeof in.ss);
                                dla_em_alu(e, &in, DLA_ALU_ADD, dst, dst, (uint32_t)s0, 0);
                            } else {
                                dla_em_alu(e, &nt, DLA_ALU_MOV, dst, dst, (uint32_t)s0, 0);
                            }
                        }
                    }
                    dla_em_alu_flat(e, DLA_ALU_RSHR, O, rn * OW * Cb, 2 * K);
                }
                store_rows(e, ya, n, OH, OW, Cc, c0, cn, Cb, oh0, rn, 1, O);
            }
    axis_free(&ay);
    axis_free(&ax);
    return DLA_OK;
}

/* QZeroInsert: per output-row tile, the tile filled with zx (`alu mov imm`),
 * the input rows that land in it copied to every stride-th pixel of every
 * stride-th row (one `alu mov` with strides), one store. */
DlaStatus dla_lower_zero_insert(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    int32_t xv = ir_in(g, node, 0), yv = g->nodes[node].outputs[0];
    DlaDims xd, yd;
    float sx, sy;
    int32_t zx, zy;
    DlaStatus st;
    if ((st = dla_lower_dims(c, node, xv, &xd)) || (st = dla_lower_dims(c, node, yv, &yd)) ||
        (st = dla_lower_quant(c, node, xv, &sx, &zx)) || (st = dla_lower_quant(c, node, yv, &sy, &zy)))
        return st;
    const int64_t *s;
    if (ir_attr_ints(g, node, "strides", &s) != 2 || s[0] < 1 || s[1] < 1 || g->values[xv].shape.rank != 4 ||
        yd.n != xd.n || yd.c != xd.c || yd.h != (xd.h - 1) * s[0] + 1 || yd.w != (xd.w - 1) * s[1] + 1 || zx != zy)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "bad strides, output shape or quantization");
    int64_t Cc = xd.c, H = xd.h, W = xd.w, OH = yd.h, OW = yd.w, sh = s[0], sw = s[1];
    if (W > DLA_MAX_DMA_Y || W > DLA_MAX_EXTENT)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "image width %lld beyond the DMA/loop limits", (long long)W);
    *macs = 0;
    /* rows: a multiple of sh, so that every tile starts on an input row */
    int64_t half = e->msize[DLA_MEM_ACC] / 2, Cb = Cc < DLA_MAX_EXTENT ? Cc : DLA_MAX_EXTENT;
#define ZI_NEED(rows, cb) (((rows + sh - 1) / sh * W + (rows) * OW) * (cb))
    while (Cb > 1 && ZI_NEED(1, Cb) > half)
        Cb = (Cb + 1) / 2;
    if (ZI_NEED(1, Cb) > half)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "one output row of %lld pixels does not fit half the accumulator",
                             (long long)OW);
    int64_t rows = 1;
    for (int64_t r = sh; r <= OH + sh - 1 && r <= DLA_MAX_DMA_Z && ZI_NEED(r, Cb) <= half; r += sh)
        rows = r;
#undef ZI_NEED
    uint64_t xa = c->addr[xv], ya = c->addr[yv];
    int64_t ncb = dla_ceil_div(Cc, Cb);
    for (int64_t n = 0; n < xd.n; n++)
        for (int64_t cb = 0; cb < ncb; cb++)
            for (int64_t oh0 = 0; oh0 < OH; oh0 += rows) {
                int64_t c0 = cb * Cb, cn = Cc - c0 < Cb ? Cc - c0 : Cb, rn = OH - oh0 < rows ? OH - oh0 : rows;
                int64_t r0 = (oh0 + sh - 1) / sh, r1 = (oh0 + rn + sh - 1) / sh; /* input rows [r0, r1) */
                if (r1 > H)
                    r1 = H;
                uint64_t A = c->layer->acc_at[e->acc_half];
                e->acc_half ^= 1;
                uint64_t O = A + (uint64_t)((r1 - r0) * W * Cb);
                dla_em_alu_flat(e, DLA_ALU_MOV, O, rn * OW * Cb, (uint32_t)zx);
                if (r1 > r0) {
                    load_rows(e, xa, n, H, W, Cc, c0, cn, Cb, r0, r1 - r0, A);
                    DlaNest mv = {{1, r1 - r0, W, Cb}, {0, sh * OW * Cb, sw * Cb, 1}, {0, 0, 0, 0}, {0, W * Cb, Cb, 1}};
                    uint64_t dst = O + (uint64_t)((r0 * sh - oh0) * OW * Cb);
                    dla_em_alu(e, &mv, DLA_ALU_MOV, dst, dst, (uint32_t)A, 0);
                }
                store_rows(e, ya, n, OH, OW, Cc, c0, cn, Cb, oh0, rn, 1, O);
            }
    return DLA_OK;
}

/* QInterleave: no vector work. Per phase, tiles of its rows go through acc
 * (one load) and out with one store whose DRAM strides are the interleave
 * (pixel stride sw, row stride sh output rows). */
DlaStatus dla_lower_interleave(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    const IrNode *nd = &g->nodes[node];
    int32_t yv = nd->outputs[0];
    DlaDims yd, pd;
    float sy, sp;
    int32_t zy, zp;
    DlaStatus st;
    if ((st = dla_lower_dims(c, node, yv, &yd)) || (st = dla_lower_quant(c, node, yv, &sy, &zy)))
        return st;
    const int64_t *s;
    if (ir_attr_ints(g, node, "strides", &s) != 2 || s[0] < 1 || s[1] < 1 || nd->ninputs != s[0] * s[1] ||
        g->values[yv].shape.rank != 4)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "bad strides or inputs");
    *macs = 0;
    int64_t Cc = yd.c, OH = yd.h, OW = yd.w, half = e->msize[DLA_MEM_ACC] / 2;
    uint64_t ya = c->addr[yv];
    for (int32_t i = 0; i < nd->ninputs; i++) {
        int32_t xv = nd->inputs[i];
        if ((st = dla_lower_dims(c, node, xv, &pd)) || (st = dla_lower_quant(c, node, xv, &sp, &zp)))
            return st;
        int64_t ph = i / s[1], pw = i % s[1], Mh = (OH - ph + s[0] - 1) / s[0], Mw = (OW - pw + s[1] - 1) / s[1];
        if (zp != zy || sp != sy || pd.n != yd.n || pd.c != Cc || pd.h < Mh || pd.w < Mw)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "input %d does not fit the output or its quantization", (int)i);
        if (Mw > DLA_MAX_DMA_Y)
            return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "phase width %lld beyond a DMA box", (long long)Mw);
        int64_t Cb = Cc < DLA_MAX_DMA_X ? Cc : DLA_MAX_DMA_X;
        while (Cb > 1 && Mw * Cb > half)
            Cb = (Cb + 1) / 2;
        int64_t rows = half / (Mw * Cb);
        if (rows > DLA_MAX_DMA_Z)
            rows = DLA_MAX_DMA_Z;
        if (rows < 1)
            return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "one phase row does not fit half the accumulator");
        uint64_t xa = c->addr[xv];
        for (int64_t n = 0; n < yd.n; n++)
            for (int64_t c0 = 0; c0 < Cc; c0 += Cb)
                for (int64_t r0 = 0; r0 < Mh; r0 += rows) {
                    int64_t cn = Cc - c0 < Cb ? Cc - c0 : Cb, rn = Mh - r0 < rows ? Mh - r0 : rows;
                    uint64_t A = c->layer->acc_at[e->acc_half];
                    e->acc_half ^= 1;
                    DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1, .dram = xa + (uint64_t)(((n * pd.h + r0) * pd.w) * Cc + c0),
                                .act = 1, .sram = A, .x = cn, .xpitch = Cb, .y = Mw, .ys = Cc, .z = rn, .zs = pd.w * Cc};
                    dla_em_load(e, &d);
                    DlaDma w = {.dram = ya + (uint64_t)(((n * OH + ph + r0 * s[0]) * OW + pw) * Cc + c0), .act = 1,
                                .sram = A, .x = cn, .xpitch = Cb, .y = Mw, .ys = s[1] * Cc, .z = rn,
                                .zs = s[0] * OW * Cc};
                    dla_em_store(e, &w);
                }
    }
    return DLA_OK;
}

double dla_upsample_vec_ops(const IrGraph *g, int32_t node)
{
    if (g->nodes[node].op == OP_QINTERLEAVE)
        return 0;
    if (g->nodes[node].op == OP_QZERO_INSERT)
        return 1.5;
    return strcmp(ir_attr_string(g, node, "mode", "nearest"), "linear") ? 1 : 6;
}
