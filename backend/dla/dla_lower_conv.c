/* dla_lower_conv.c - QConv and QGemm as implicit GEMM on the DLA array.
 *
 * Data: activations in DRAM are NHWC int8. A QGemm [M,K] x [N,K] is the 1x1
 * convolution of an image of M rows, 1 pixel each, K channels.
 *
 * Units: a grouped convolution is one sub-convolution per group (a "unit":
 * input channels [cin0, cin0+ncin), output channels [cout0, cout0+ncout)). A
 * depthwise one (group == IC == OC > 1) uses the array's `dw` mode instead,
 * one unit per block of C channels (C lanes, one channel each).
 *
 * Per unit (non-depthwise), with R = gemm rows, C = gemm cols:
 *   ICp   = ncin rounded up to R (channel padding: pad value in the input
 *           tile, zero weights, so it contributes nothing);
 *   chunks of the reduction: ICc input channels (a multiple of R) at a time,
 *           all taps, when the weights or the input tile of all ICp channels
 *           would not fit; partial sums accumulate in acc across chunks;
 *   blocks of C output channels (ob);
 *   tiles of OHt output rows x OWt output columns (all columns when they fit).
 * Weights in the constants image: per (unit, ob, chunk) one block
 * [C][KH][KW][ICk] (ICk = that chunk's padded channels), so that column c of
 * the array reads its R weights at c*Wp + (kh*KW + kw)*ICk + icb*R with
 * Wp = KH*KW*ICk (docs/isa.md GEMM). Bias (int32) and scales (fp32) per unit
 * padded to NOB*C entries.
 *
 * SRAM: inp and wgt are used as two halves (double buffering: the load of the
 * next tile or weight block goes to the other half, dla_emit adds the
 * tokens); when all weights fit in wgt they are loaded once at the start.
 * acc: biases (preloaded if they fit in a quarter, else a slot of C reloaded
 * per block), then two output-tile buffers [OHt][OWt][C] int32 alternating so
 * that the store of one overlaps the GEMMs of the next. param: all scales if
 * they fit, else a slot of C.
 *
 * Per (tile, ob): acc <- bias (alu mov, broadcast over pixels); per chunk:
 * load the input tile (rows with halo, padded on the fly with the input
 * zero point), one GEMM instruction over (kh; rows; pixels; kw*ICk/R)
 * (dilation > 1: one per kh, over (kw; rows; pixels; ICk/R)); then requant
 * fp32 (relu when lo == zy), clip when [lo, hi] is narrower, store int8. */
#include "dla_lower_int.h"

#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"
#include "ops.h"

/* One output tile: rows [oh0, oh0+ohn) x columns [ow0, ow0+own). */
typedef struct DlaTile {
    int64_t oh0, ohn, ow0, own;
    int fold;
} DlaTile;

typedef struct Conv {
    int64_t N, IC, H, W, OC, OH, OW, group;
    DlaWin k;
    int32_t zx, zy, lo, hi;
    const int8_t *w;
    const int32_t *b;
    const float *scale;
    int dwm;                  /* depthwise mode */
    int64_t nunits, icg, ocg; /* per group (non-dw) */
    int64_t ICp, NOB;         /* per unit (non-dw); dw: C, 1 */
    int64_t ICc, nch;         /* reduction chunk (padded channels), number of chunks */
    int64_t Wp;               /* input tile width (incl. padding) of a full column tile */
    int64_t OHt, ntiles;      /* output rows per tile, row tiles */
    int64_t OWt, ncols;       /* output columns per tile, column tiles */
    /* folded modes (small input channel counts, see conv_tiles): */
    int fold;                 /* 0 none, 1 whole window, 2 window rows */
    int64_t PP, F;            /* mode 1: window KH*KW*IC bytes, reduction F = PP rounded up to R */
    int64_t Fr;               /* mode 2: window row KW*IC bytes rounded up to R */
    DlaTile *tiles;           /* every (row, column) tile of one image, malloc'd */
    int64_t ntl;
} Conv;

static int64_t chunk_width(const Conv *cv, int64_t k) { return cv->ICc < cv->ICp - k * cv->ICc ? cv->ICc : cv->ICp - k * cv->ICc; }

static DlaStatus conv_read(DlaLowerCtx *c, int32_t node, Conv *cv)
{
    const IrGraph *g = c->g;
    int gemm = g->nodes[node].op == OP_QGEMM;
    int32_t xv = ir_in(g, node, 0), wv = ir_in(g, node, 1), bv = ir_in(g, node, 2), yv = g->nodes[node].outputs[0];
    DlaDims xd, yd;
    DlaStatus st;
    float s;
    if ((st = dla_lower_dims(c, node, xv, &xd)) || (st = dla_lower_dims(c, node, yv, &yd)) ||
        (st = dla_lower_quant(c, node, xv, &s, &cv->zx)) || (st = dla_lower_quant(c, node, yv, &s, &cv->zy)))
        return st;
    const IrValue *w = wv >= 0 ? &g->values[wv] : NULL, *b = bv >= 0 ? &g->values[bv] : NULL;
    if (!w || !b || !(w->flags & IR_VAL_CONST) || !(b->flags & IR_VAL_CONST) || !w->data || !b->data ||
        w->dtype != DT_INT8 || b->dtype != DT_INT32)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "weights must be constant int8 and the bias constant int32");
    if (!gemm && (g->values[xv].shape.rank != 4 || g->values[yv].shape.rank != 4))
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "only 2-D convolutions (rank-4 tensors) are supported");
    cv->N = xd.n, cv->IC = xd.c, cv->H = xd.h, cv->W = xd.w;
    cv->OC = yd.c, cv->OH = yd.h, cv->OW = yd.w;
    if (gemm) { /* M pixels as M rows of one pixel; X may be [M,K] or [M,K,1,1] */
        cv->N = 1, cv->H = xd.n * xd.h * xd.w, cv->W = 1;
        if (xd.h != 1 && xd.n != 1)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "QGemm input must be [M,K] or [M,K,1,1]");
        xd.n = 1;
    }
    cv->group = gemm ? 1 : ir_node_attr_i(g, node, "group");
    int64_t kh = gemm ? 1 : (w->shape.rank == 4 ? w->shape.dims[2] : -1);
    int64_t kw = gemm ? 1 : (w->shape.rank == 4 ? w->shape.dims[3] : -1);
    if (gemm) {
        memset(&cv->k, 0, sizeof cv->k);
        cv->k.kh = cv->k.kw = cv->k.sh = cv->k.sw = cv->k.dh = cv->k.dw = 1;
    } else if ((st = dla_lower_win(c, node, kh, kw, &cv->k))) {
        return st;
    }
    if (cv->group <= 0 || cv->IC % cv->group || cv->OC % cv->group || yd.n != xd.n || w->shape.dims[0] != cv->OC ||
        (uint64_t)ir_shape_numel(&w->shape) != (uint64_t)(cv->OC * (cv->IC / cv->group) * cv->k.kh * cv->k.kw) ||
        ir_shape_numel(&b->shape) != cv->OC || w->nbytes != (size_t)ir_shape_numel(&w->shape) ||
        b->nbytes != (size_t)cv->OC * 4 || (w->shape.rank == 4 && (w->shape.dims[2] != cv->k.kh || w->shape.dims[3] != cv->k.kw)))
        return dla_lower_err(c, node, DLA_ERR_INVALID, "inconsistent shapes of input, weights, bias and output");
    const IrAttr *sc = ir_attr_find(g, node, "scale");
    if (!sc || sc->type != IR_ATTR_FLOATS || sc->n != cv->OC)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "attribute 'scale' must have %lld floats", (long long)cv->OC);
    cv->scale = sc->floats;
    cv->w = w->data;
    cv->b = b->data;
    /* A batch whose windows never cross an image's rows (no vertical padding,
     * each window within one stride, the stride tiling the height: 1x1 convs,
     * strided 1x1 downsampling) is one tall image, NHWC [N][H][W][C] being
     * [N*H][W][C]: fewer, larger tiles. */
    if (cv->N > 1 && cv->k.pt == 0 && cv->k.pb == 0 && (cv->k.kh - 1) * cv->k.dh < cv->k.sh &&
        cv->OH * cv->k.sh == cv->H) {
        cv->H *= cv->N;
        cv->OH *= cv->N;
        cv->N = 1;
    }
    cv->lo = (int32_t)ir_node_attr_i(g, node, "lo");
    cv->hi = (int32_t)ir_node_attr_i(g, node, "hi");
    if (cv->lo < -128 || cv->hi > 127 || cv->lo > cv->hi)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "bad bounds lo=%d hi=%d", cv->lo, cv->hi);
    return DLA_OK;
}

/* Choose the unit structure, chunks and tiles. */
static DlaStatus conv_plan(DlaLowerCtx *c, int32_t node, Conv *cv, int wres, int64_t acc_tile_words)
{
    DlaEmit *e = c->em;
    int64_t R = e->R, C = e->C, INPh = e->msize[DLA_MEM_INP] / 2, WGTh = e->msize[DLA_MEM_WGT] / 2;
    const DlaWin *k = &cv->k;
    int64_t ihmin = dla_span_len(1, k->kh, k->sh, k->dh), icmin = cv->dwm ? C : R;
    /* Output columns per tile: the acc tile, one row of the input tile with
     * the fewest channels, and the DMA's 1024 pixels per row bound them. */
    int64_t iw_max = INPh / (ihmin * icmin);
    if (iw_max > 1024)
        iw_max = 1024;
    int64_t owt = iw_max < dla_span_len(1, k->kw, k->sw, k->dw) ? 0 : (iw_max - dla_span_len(1, k->kw, k->sw, k->dw)) / k->sw + 1;
    if (acc_tile_words / C < owt)
        owt = acc_tile_words / C;
    if (owt > 1024)
        owt = 1024;
    if (owt > cv->OW)
        owt = cv->OW;
    if (owt < 1)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "kernel %lldx%lld does not fit the target's SRAMs",
                             (long long)k->kh, (long long)k->kw);
    cv->ncols = dla_ceil_div(cv->OW, owt);
    cv->OWt = dla_ceil_div(cv->OW, cv->ncols);
    cv->Wp = dla_span_len(cv->OWt, k->kw, k->sw, k->dw);
    if (cv->dwm) {
        cv->ICp = cv->ICc = C;
        cv->nch = cv->NOB = 1;
    } else {
        cv->ICp = dla_round_up(cv->icg, R);
        cv->NOB = dla_ceil_div(cv->ocg, C);
        int64_t lim = 4096;
        if (!wres && WGTh / (C * k->kh * k->kw) < lim)
            lim = WGTh / (C * k->kh * k->kw);
        if (1024 * R / (k->kh * k->kw) < lim)
            lim = 1024 * R / (k->kh * k->kw); /* wpitch <= 1024 */
        int64_t l3 = k->dw == 1 ? 1024 * R / k->kw : 1024 * R; /* e3 <= 1024 */
        if (l3 < lim)
            lim = l3;
        if (INPh / (ihmin * cv->Wp) < lim)
            lim = INPh / (ihmin * cv->Wp);
        lim = lim / R * R;
        if (lim < R)
            return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED,
                                 "kernel %lldx%lld does not fit the target's SRAMs even for %lld channels",
                                 (long long)k->kh, (long long)k->kw, (long long)R);
        cv->nch = dla_ceil_div(cv->ICp, lim);
        cv->ICc = dla_round_up(dla_ceil_div(cv->ICp, cv->nch), R);
        cv->nch = dla_ceil_div(cv->ICp, cv->ICc);
    }
    return DLA_OK;
}

/* Output rows per tile of a regular column tile of `own` columns: the input
 * rows (with halo) in half of inp, the output tile in one acc buffer. */
static int64_t reg_rows(const DlaEmit *e, const Conv *cv, int64_t own, int64_t acc_tile_words)
{
    const DlaWin *k = &cv->k;
    int64_t ihmin = dla_span_len(1, k->kh, k->sh, k->dh);
    int64_t rows_inp = e->msize[DLA_MEM_INP] / 2 / (dla_span_len(own, k->kw, k->sw, k->dw) * cv->ICc);
    if (rows_inp > 1024)
        rows_inp = 1024;
    int64_t oht = rows_inp < ihmin ? 0 : (rows_inp - ihmin) / k->sh + 1;
    int64_t oht_acc = acc_tile_words / (own * e->C);
    if (oht_acc < oht)
        oht = oht_acc;
    return oht < cv->OH ? oht : cv->OH;
}

static void add_tiles(Conv *cv, size_t *cap, int64_t ow0, int64_t own, int64_t oht, int fold)
{
    int64_t nr = dla_ceil_div(cv->OH, oht);
    oht = dla_ceil_div(cv->OH, nr);
    for (int64_t oh0 = 0; oh0 < cv->OH; oh0 += oht) {
        cv->tiles = dla_grow(cv->tiles, sizeof *cv->tiles, (size_t)cv->ntl + 1, cap);
        cv->tiles[cv->ntl++] = (DlaTile){oh0, cv->OH - oh0 < oht ? cv->OH - oh0 : oht, ow0, own, fold};
    }
}

/* The tile list. Folded modes, for convs with few input channels (e.g. the
 * RGB first layer) where padding IC to R would waste most of the array:
 *  1 (whole window): an output pixel's KH*KW*IC bytes are one contiguous
 *    reduction, gathered by one DMA per output row straight from NHWC DRAM:
 *    x = KW*IC bytes (a window row, contiguous when the column dilation is
 *    1), y = KH kernel rows (ys = dh*W*IC, rows outside the image padded with
 *    the zero point), z = pixels (zs = sw*IC, overlapping reads);
 *  2 (window rows): one DMA per tile gathers [input rows][pixels][KW*IC
 *    padded to R] (x = KW*IC, y = pixels with zs = sw*IC, z = rows), and the
 *    GEMM loops over kernel rows: less padding than the regular path, fewer
 *    DMAs than mode 1 (small images).
 * A window that crosses the left or right image border cannot be padded
 * inside x, so those few edge columns use the regular path. The mode is
 * chosen by rough per-image estimates of max(compute, DMA) cycles. */
static DlaStatus conv_tiles(DlaLowerCtx *c, int32_t node, Conv *cv, int64_t acc_tile_words, int64_t wgt_total)
{
    DlaEmit *e = c->em;
    const DlaWin *k = &cv->k;
    int64_t R = e->R, C = e->C, KK = k->kh * k->kw, INPh = e->msize[DLA_MEM_INP] / 2;
    int64_t ihmin = dla_span_len(1, k->kh, k->sh, k->dh);
    size_t cap = 0;
    cv->PP = KK * cv->IC;
    cv->F = dla_round_up(cv->PP, R);
    cv->Fr = dla_round_up(k->kw * cv->IC, R);
    int64_t lc = dla_ceil_div(k->pl, k->sw), last_in = cv->W - k->kw + k->pl; /* windows of ow <= last_in/sw fit */
    int64_t rstart = last_in < 0 ? 0 : last_in / k->sw + 1;
    if (lc > cv->OW)
        lc = cv->OW;
    if (rstart > cv->OW)
        rstart = cv->OW;
    int any = !cv->dwm && cv->group == 1 && k->dw == 1 && k->kw * cv->IC <= 4096 && cv->nch == 1 && rstart > lc;
    int ok1 = any && cv->F < KK * cv->ICp && cv->F / R <= 1024 &&
              wgt_total + cv->NOB * C * cv->F <= e->msize[DLA_MEM_WGT] && 2 * cv->F + cv->PP <= INPh && k->kh <= 1024;
    int ok2 = any && cv->Fr < k->kw * cv->ICp && k->kh * cv->Fr / R <= 1024 &&
              wgt_total + cv->NOB * C * k->kh * cv->Fr <= e->msize[DLA_MEM_WGT] && ihmin * cv->Fr <= INPh;
    cv->fold = 0;
    if (ok1 || ok2) {
        double lat = e->t->dram_latency_cycles, bw = e->t->dram_bytes_per_cycle;
        double rows = (double)cv->OH, edge = (double)(lc + cv->OW - rstart), mid = (double)(rstart - lc);
        double per_px_reg = (double)(KK * (cv->ICp / R) * cv->NOB);
        double comp_r = rows * (double)cv->OW * per_px_reg, load_r = (double)(cv->H * cv->W * cv->IC) / bw;
        double cost_r = comp_r > load_r ? comp_r : load_r, best = cost_r * 0.8;
        if (ok1) {
            double comp = rows * mid * (double)(cv->F / R * cv->NOB) + rows * edge * per_px_reg;
            double load = rows * (lat + mid * (double)cv->PP / bw);
            double cost = comp > load ? comp : load;
            if (cost < best)
                best = cost, cv->fold = 1;
        }
        if (ok2) {
            double comp = rows * mid * (double)(k->kh * cv->Fr / R * cv->NOB) + rows * edge * per_px_reg;
            double load = load_r * (double)k->kw / (double)k->sw;
            double cost = comp > load ? comp : load;
            if (cost < best)
                best = cost, cv->fold = 2;
        }
    }
    if (!cv->fold) {
        for (int64_t ow0 = 0; ow0 < cv->OW; ow0 += cv->OWt) {
            int64_t own = cv->OW - ow0 < cv->OWt ? cv->OW - ow0 : cv->OWt;
            int64_t oht = reg_rows(e, cv, own, acc_tile_words);
            if (oht < 1)
                return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "one output row tile (%lld pixels) does not fit the SRAMs",
                                     (long long)own);
            add_tiles(cv, &cap, ow0, own, oht, 0);
        }
        return DLA_OK;
    }
    int64_t edges[2][2] = {{0, lc}, {rstart, cv->OW - rstart}};
    for (int i = 0; i < 2; i++) {
        if (edges[i][1] <= 0)
            continue;
        int64_t oht = reg_rows(e, cv, edges[i][1], acc_tile_words);
        if (oht < 1)
            return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "one output row does not fit the SRAMs");
        add_tiles(cv, &cap, edges[i][0], edges[i][1], oht, 0);
    }
    int64_t iw = rstart - lc;
    if (cv->fold == 2) { /* interior: [input rows][pixels][Fr] in half of inp */
        int64_t owt = iw < 1024 ? iw : 1024;
        if (acc_tile_words / C < owt)
            owt = acc_tile_words / C;
        if (INPh / (ihmin * cv->Fr) < owt)
            owt = INPh / (ihmin * cv->Fr);
        int64_t ncol = dla_ceil_div(iw, owt);
        owt = dla_ceil_div(iw, ncol);
        int64_t rows_inp = INPh / (owt * cv->Fr);
        if (rows_inp > 1024)
            rows_inp = 1024;
        int64_t oht = (rows_inp - ihmin) / k->sh + 1;
        if (acc_tile_words / (owt * C) < oht)
            oht = acc_tile_words / (owt * C);
        if (oht > cv->OH)
            oht = cv->OH;
        for (int64_t ow0 = lc; ow0 < rstart; ow0 += owt)
            add_tiles(cv, &cap, ow0, rstart - ow0 < owt ? rstart - ow0 : owt, oht, 2);
        return DLA_OK;
    }
    /* interior: the folded tile [rows][pixels][PP] plus F bytes of slack (the
     * last pixel's reduction reads past PP, against zero weights) in half of inp */
    int64_t room = INPh - cv->F;
    int64_t owt = iw < 1024 ? iw : 1024;
    if (acc_tile_words / C < owt)
        owt = acc_tile_words / C;
    if (room / cv->PP < owt)
        owt = room / cv->PP;
    int64_t ncol = dla_ceil_div(iw, owt);
    owt = dla_ceil_div(iw, ncol);
    int64_t oht = acc_tile_words / (owt * C);
    if (room / (owt * cv->PP) < oht)
        oht = room / (owt * cv->PP);
    if (oht > 1024)
        oht = 1024;
    if (oht > cv->OH)
        oht = cv->OH;
    for (int64_t ow0 = lc; ow0 < rstart; ow0 += owt)
        add_tiles(cv, &cap, ow0, rstart - ow0 < owt ? rstart - ow0 : owt, oht, 1);
    return DLA_OK;
}

/* Build the weight, bias and scale images; return their DRAM offsets. */
static void conv_consts(DlaEmit *e, const Conv *cv, uint64_t *wofs, uint64_t *wbytes, uint64_t *bofs, uint64_t *sofs,
                        int64_t *nbias)
{
    int64_t C = e->C, KK = cv->k.kh * cv->k.kw;
    int64_t unit_w = cv->dwm ? KK * C : cv->NOB * C * KK * cv->ICp;
    uint64_t wn = (uint64_t)(cv->nunits * unit_w);
    int8_t *wi = dla_calloc(wn ? wn : 1, 1);
    int64_t nb = cv->nunits * cv->NOB * C;
    int32_t *bi = dla_calloc((size_t)nb, sizeof *bi);
    float *si = dla_calloc((size_t)nb, sizeof *si);
    for (int64_t u = 0; u < cv->nunits; u++) {
        int8_t *wu = wi + u * unit_w;
        if (cv->dwm) {
            for (int64_t t = 0; t < KK; t++)
                for (int64_t ch = 0; ch < C && u * C + ch < cv->IC; ch++)
                    wu[t * C + ch] = cv->w[(u * C + ch) * KK + t];
        } else {
            for (int64_t ob = 0; ob < cv->NOB; ob++)
                for (int64_t kc = 0; kc < cv->nch; kc++) {
                    int64_t ick = chunk_width(cv, kc);
                    int8_t *blk = wu + ob * C * KK * cv->ICp + C * KK * kc * cv->ICc;
                    for (int64_t col = 0; col < C; col++) {
                        int64_t oc = ob * C + col;
                        if (oc >= cv->ocg)
                            continue;
                        int64_t ocabs = u * cv->ocg + oc;
                        for (int64_t t = 0; t < KK; t++)
                            for (int64_t i = 0; i < ick; i++) {
                                int64_t ic = kc * cv->ICc + i;
                                if (ic < cv->icg)
                                    blk[(col * KK + t) * ick + i] = cv->w[(ocabs * cv->icg + ic) * KK + t];
                            }
                    }
                }
        }
        int64_t ncout = cv->dwm ? (cv->IC - u * C < C ? cv->IC - u * C : C) : cv->ocg;
        int64_t cout0 = cv->dwm ? u * C : u * cv->ocg;
        for (int64_t j = 0; j < ncout; j++) {
            bi[u * cv->NOB * C + j] = cv->b[cout0 + j];
            si[u * cv->NOB * C + j] = cv->scale[cout0 + j];
        }
    }
    *wofs = dla_em_const(e, wi, wn, 64);
    *wbytes = wn;
    *bofs = dla_em_const(e, bi, (uint64_t)nb * 4, 64);
    *sofs = dla_em_const(e, si, (uint64_t)nb * 4, 64);
    *nbias = nb;
    free(wi);
    free(bi);
    free(si);
}

DlaStatus dla_lower_conv(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    DlaEmit *e = c->em;
    const IrGraph *g = c->g;
    Conv cv;
    memset(&cv, 0, sizeof cv);
    DlaStatus st = conv_read(c, node, &cv);
    if (st)
        return st;
    int64_t R = e->R, C = e->C;
    cv.dwm = cv.group > 1 && cv.group == cv.IC && cv.group == cv.OC;
    cv.icg = cv.IC / cv.group;
    cv.ocg = cv.OC / cv.group;
    cv.nunits = cv.dwm ? dla_ceil_div(cv.IC, C) : cv.group;
    *macs = (uint64_t)(cv.N * cv.OC * cv.OH * cv.OW * cv.icg * cv.k.kh * cv.k.kw);
    uint64_t xa = c->addr[ir_in(g, node, 0)], ya = c->addr[g->nodes[node].outputs[0]];

    /* Memory plan. */
    int64_t KK = cv.k.kh * cv.k.kw;
    int64_t ICp_all = cv.dwm ? C : dla_round_up(cv.icg, R);
    int64_t wtotal = cv.dwm ? cv.nunits * KK * C : cv.nunits * dla_ceil_div(cv.ocg, C) * C * KK * ICp_all;
    int wres = wtotal <= e->msize[DLA_MEM_WGT];
    int64_t nbias = cv.nunits * (cv.dwm ? 1 : dla_ceil_div(cv.ocg, C)) * C;
    int bres = nbias <= e->msize[DLA_MEM_ACC] / 4;
    int pres = nbias <= e->msize[DLA_MEM_PARAM];
    if (!pres && e->msize[DLA_MEM_PARAM] < C)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "the target's param memory cannot hold %lld scales", (long long)C);
    int64_t tb = dla_round_up(bres ? nbias : C, 64);
    int64_t acc_tile = (e->msize[DLA_MEM_ACC] - tb) / 2;
    if ((st = conv_plan(c, node, &cv, wres, acc_tile)) || (st = conv_tiles(c, node, &cv, acc_tile, wtotal))) {
        free(cv.tiles);
        return st;
    }
    uint64_t wofs, wbytes, bofs, sofs, fofs = 0;
    int64_t nb;
    conv_consts(e, &cv, &wofs, &wbytes, &bofs, &sofs, &nb);
    uint64_t wres_at = 0; /* resident weights: regular [wres_at, +wbytes), folded after them */
    if (wres)
        wres_at = dla_em_wgt_alloc(e, wbytes + (uint64_t)(cv.fold == 1   ? cv.NOB * C * cv.F
                                                          : cv.fold == 2 ? cv.NOB * C * cv.k.kh * cv.Fr
                                                                         : 0));
    else
        e->wgt_ring = 0;
    if (wres && wbytes)
        dla_em_load_flat(e, DLA_MEM_WGT, wofs, 0, wres_at, (int64_t)wbytes, 0);
    if (cv.fold == 2) { /* window-row weights [NOB][C][KH][Fr] after the regular ones */
        int64_t fn = cv.NOB * C * cv.k.kh * cv.Fr;
        int8_t *fw = dla_calloc((size_t)fn, 1);
        for (int64_t oc = 0; oc < cv.OC; oc++)
            for (int64_t kh = 0; kh < cv.k.kh; kh++)
                for (int64_t kw = 0; kw < cv.k.kw; kw++)
                    for (int64_t ic = 0; ic < cv.IC; ic++)
                        fw[(oc * cv.k.kh + kh) * cv.Fr + kw * cv.IC + ic] =
                            cv.w[((oc * cv.IC + ic) * cv.k.kh + kh) * cv.k.kw + kw];
        fofs = dla_em_const(e, fw, (uint64_t)fn, 64);
        free(fw);
        dla_em_load_flat(e, DLA_MEM_WGT, fofs, 0, wres_at + wbytes, fn, 0);
    }
    if (cv.fold == 1) { /* folded weights [NOB][C][F] after the regular ones */
        int64_t fn = cv.NOB * C * cv.F;
        int8_t *fw = dla_calloc((size_t)fn, 1);
        for (int64_t oc = 0; oc < cv.OC; oc++)
            for (int64_t t = 0; t < KK; t++)
                for (int64_t ic = 0; ic < cv.IC; ic++)
                    fw[oc * cv.F + t * cv.IC + ic] = cv.w[(oc * cv.IC + ic) * KK + t];
        fofs = dla_em_const(e, fw, (uint64_t)fn, 64);
        free(fw);
        dla_em_load_flat(e, DLA_MEM_WGT, fofs, 0, wres_at + wbytes, fn, 0);
    }
    if (bres)
        dla_em_load_flat(e, DLA_MEM_ACC, bofs, 0, 0, nb, 0);
    if (pres)
        dla_em_load_flat(e, DLA_MEM_PARAM, sofs, 0, 0, nb, 0);

    int64_t INPh = e->msize[DLA_MEM_INP] / 2, WGTh = e->msize[DLA_MEM_WGT] / 2;
    int relu = cv.lo == cv.zy;
    int need_clip = (!relu && cv.lo > -128) || cv.hi < 127;
    const DlaWin *k = &cv.k;
    int64_t unit_w = cv.dwm ? KK * C : cv.NOB * C * KK * cv.ICp;

    for (int64_t u = 0; u < cv.nunits; u++) {
        int64_t cin0 = cv.dwm ? u * C : u * cv.icg, ncin = cv.dwm ? (cv.IC - cin0 < C ? cv.IC - cin0 : C) : cv.icg;
        int64_t cout0 = cv.dwm ? cin0 : u * cv.ocg, ncout = cv.dwm ? ncin : cv.ocg;
        for (int64_t n = 0; n < cv.N; n++)
            for (int64_t t = 0; t < cv.ntl; t++) {
                const DlaTile *tl = &cv.tiles[t];
                int64_t oh0 = tl->oh0, ohn = tl->ohn, ow0 = tl->ow0, own = tl->own;
                DlaSpan rw, cl;
                if ((st = dla_lower_span(c, node, cv.H, k->kh, k->sh, k->dh, k->pt, oh0, ohn, &rw)) ||
                    (st = dla_lower_span(c, node, cv.W, k->kw, k->sw, k->dw, k->pl, ow0, own, &cl))) {
                    free(cv.tiles);
                    return st;
                }
                uint64_t inp_base = 0;
                int64_t loaded_chunk = -1; /* chunk of this tile resident in inp */
                for (int64_t ob = 0; ob < cv.NOB; ob++) {
                    int64_t nvalid = ncout - ob * C < C ? ncout - ob * C : C;
                    uint64_t abase = (uint64_t)(tb + e->acc_half * acc_tile);
                    e->acc_half ^= 1;
                    uint64_t bias_at = 0, param_at = 0;
                    int64_t bidx = (u * cv.NOB + ob) * C;
                    if (bres)
                        bias_at = (uint64_t)bidx;
                    else
                        dla_em_load_flat(e, DLA_MEM_ACC, bofs + (uint64_t)bidx * 4, 0, 0, C, 0);
                    if (pres)
                        param_at = (uint64_t)bidx;
                    else
                        dla_em_load_flat(e, DLA_MEM_PARAM, sofs + (uint64_t)bidx * 4, 0, 0, C, 0);
                    /* acc <- bias over every pixel of the tile */
                    DlaNest bn = {{1, ohn, own, C}, {0, own * C, C, 1}, {0, own * C, C, 1}, {0, 0, 0, 1}};
                    dla_em_alu(e, &bn, DLA_ALU_MOV, abase, abase, (uint32_t)bias_at, 0);
                    if (tl->fold == 2) {
                        if (loaded_chunk != 0) { /* one gather of window rows per tile */
                            inp_base = (uint64_t)(e->inp_half * INPh);
                            e->inp_half ^= 1;
                            DlaDma d = {.mem = DLA_MEM_INP,
                                        .dram = xa + (uint64_t)(((n * cv.H + rw.i0) * cv.W + ow0 * k->sw - k->pl) * cv.IC),
                                        .act = 1, .sram = inp_base, .x = k->kw * cv.IC, .xpitch = cv.Fr,
                                        .y = own, .ys = k->sw * cv.IC, .z = rw.n, .zs = cv.W * cv.IC,
                                        .zpad0 = rw.pad0, .zpad1 = rw.pad1, .pad = cv.zx};
                            dla_em_load(e, &d);
                            loaded_chunk = 0;
                        }
                        int64_t rowp = own * cv.Fr;
                        DlaNest gn = {{k->kh, ohn, own, cv.Fr / R},
                                      {0, own * C, C, 0},
                                      {k->dh * rowp, k->sh * rowp, cv.Fr, R},
                                      {cv.Fr, 0, 0, R}};
                        dla_em_gemm(e, &gn, abase, inp_base, wres_at + wbytes + (uint64_t)(ob * C * k->kh * cv.Fr),
                                    k->kh * cv.Fr / R, 0);
                    }
                    if (tl->fold == 1) {
                        if (loaded_chunk != 0) { /* one gather per output row */
                            inp_base = (uint64_t)(e->inp_half * INPh);
                            e->inp_half ^= 1;
                            for (int64_t r = 0; r < ohn; r++) {
                                int64_t ih = (oh0 + r) * k->sh - k->pt, p0 = 0, p1 = 0;
                                while (p0 < k->kh && ih + p0 * k->dh < 0)
                                    p0++;
                                while (p1 < k->kh - p0 && ih + (k->kh - 1 - p1) * k->dh >= cv.H)
                                    p1++;
                                if (p0 > 7 || p1 > 7 || p0 + p1 >= k->kh) {
                                    free(cv.tiles);
                                    return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "padding rows beyond 7");
                                }
                                DlaDma d = {.mem = DLA_MEM_INP,
                                            .dram = xa + (uint64_t)(((n * cv.H + ih + p0 * k->dh) * cv.W + ow0 * k->sw - k->pl) *
                                                                    cv.IC),
                                            .act = 1, .sram = inp_base + (uint64_t)(r * own * cv.PP),
                                            .x = k->kw * cv.IC, .y = k->kh - p0 - p1, .ys = k->dh * cv.W * cv.IC,
                                            .ypad0 = p0, .ypad1 = p1, .z = own, .zs = k->sw * cv.IC, .pad = cv.zx};
                                dla_em_load(e, &d);
                            }
                            loaded_chunk = 0;
                        }
                        DlaNest gn = {{1, ohn, own, cv.F / R}, {0, own * C, C, 0}, {0, own * cv.PP, cv.PP, R}, {0, 0, 0, R}};
                        dla_em_gemm(e, &gn, abase, inp_base, wres_at + wbytes + (uint64_t)(ob * C * cv.F), cv.F / R, 0);
                    }
                    for (int64_t kc = 0; kc < cv.nch && !tl->fold; kc++) {
                        int64_t ick = chunk_width(&cv, kc);
                        if (loaded_chunk != kc) {
                            inp_base = (uint64_t)(e->inp_half * INPh);
                            e->inp_half ^= 1;
                            int64_t creal = ncin - kc * cv.ICc < ick ? ncin - kc * cv.ICc : ick;
                            DlaDma d = {.mem = DLA_MEM_INP,
                                        .dram = xa + (uint64_t)(((n * cv.H + rw.i0) * cv.W + cl.i0) * cv.IC + cin0 +
                                                                kc * cv.ICc),
                                        .act = 1, .sram = inp_base, .x = creal, .xpitch = ick,
                                        .y = cl.n, .ys = cv.IC, .ypad0 = cl.pad0, .ypad1 = cl.pad1,
                                        .z = rw.n, .zs = cv.W * cv.IC, .zpad0 = rw.pad0, .zpad1 = rw.pad1,
                                        .pad = cv.zx};
                            dla_em_load(e, &d);
                            loaded_chunk = kc;
                        }
                        uint64_t wbase;
                        uint64_t boff = cv.dwm ? 0 : (uint64_t)(ob * C * KK * cv.ICp + C * KK * kc * cv.ICc);
                        uint64_t bsize = (uint64_t)(cv.dwm ? KK * C : C * KK * ick);
                        if (wres) {
                            wbase = wres_at + (uint64_t)(u * unit_w) + boff;
                        } else {
                            wbase = (uint64_t)(e->wgt_half * WGTh);
                            e->wgt_half ^= 1;
                            dla_em_load_flat(e, DLA_MEM_WGT, wofs + (uint64_t)(u * unit_w) + boff, 0, wbase,
                                             (int64_t)bsize, 0);
                        }
                        int64_t rowp = cl.total * ick; /* inp elements per tile row */
                        if (cv.dwm) {
                            DlaNest gn = {{k->kh, k->kw, ohn, own},
                                          {0, 0, own * C, C},
                                          {k->dh * rowp, k->dw * C, k->sh * rowp, k->sw * C},
                                          {k->kw * C, C, 0, 0}};
                            dla_em_gemm(e, &gn, abase, inp_base, wbase, 1, 1);
                        } else if (k->dw == 1) {
                            DlaNest gn = {{k->kh, ohn, own, k->kw * ick / R},
                                          {0, own * C, C, 0},
                                          {k->dh * rowp, k->sh * rowp, k->sw * ick, R},
                                          {k->kw * ick, 0, 0, R}};
                            dla_em_gemm(e, &gn, abase, inp_base, wbase, KK * ick / R, 0);
                        } else {
                            for (int64_t kh = 0; kh < k->kh; kh++) {
                                DlaNest gn = {{k->kw, ohn, own, ick / R},
                                              {0, own * C, C, 0},
                                              {k->dw * ick, k->sh * rowp, k->sw * ick, R},
                                              {ick, 0, 0, R}};
                                dla_em_gemm(e, &gn, abase, inp_base + (uint64_t)(kh * k->dh * rowp),
                                            wbase + (uint64_t)(kh * k->kw * ick), KK * ick / R, 0);
                            }
                        }
                    }
                    DlaNest rn = {{1, ohn, own, C}, {0, own * C, C, 1}, {0, own * C, C, 1}, {0, 0, 0, 1}};
                    dla_em_requant(e, &rn, abase, abase, param_at, cv.zy, relu);
                    if (need_clip)
                        dla_em_clip(e, &rn, abase, abase, cv.lo, cv.hi);
                    DlaDma s = {.dram = ya + (uint64_t)(((n * cv.OH + oh0) * cv.OW + ow0) * cv.OC + cout0 + ob * C),
                                .act = 1, .sram = abase, .x = nvalid, .xpitch = C, .y = own, .ys = cv.OC,
                                .z = ohn, .zs = cv.OW * cv.OC};
                    dla_em_store(e, &s);
                }
            }
    }
    free(cv.tiles);
    return DLA_OK;
}
