/* dla_pass_tile.c - the tile pass: per layer, the tiling the target's SRAMs
 * allow and the cost model's prediction of its cycles.
 *
 * Requires: fuse (layers). Establishes: per CONV layer (QConv, QGemm) its
 * DlaConv: units, chunks of the reduction, blocks of output channels, the
 * tile list (rows x columns, each in a mode), what stays resident (weights in
 * wgt, biases in acc, scales in param) and the size of an acc tile buffer;
 * per POOL layer its DlaPool (row, column and channel tiles in an acc half);
 * per layer macs and predicted cycles (pred_*). The other vector layers
 * (QGlobalAvgPool, QAdd, QLut, QConcat: streaming, one pass over the data)
 * choose their chunks in their instruction selection (dla_lower_vec.c) within
 * the acc space sram-alloc records; here they get an estimate only.
 *
 * Convolutions (QGemm [M,K] x [N,K] is the 1x1 convolution of an image of M
 * rows, 1 pixel each, K channels). Units: a grouped convolution is one
 * sub-convolution per group (input channels [cin0, cin0+ncin), output
 * channels [cout0, cout0+ncout)); a depthwise one (group == IC == OC > 1)
 * uses the array's `dw` mode instead, one unit per block of C channels.
 * Per unit (non-depthwise), with R = gemm rows, C = gemm cols:
 *   ICp   = ncin rounded up to R (channel padding: pad value in the input
 *           tile, zero weights, so it contributes nothing);
 *   chunks of the reduction: ICc input channels (a multiple of R) at a time,
 *           all taps, when the weights or the input tile of all ICp channels
 *           would not fit; partial sums accumulate in acc across chunks;
 *   blocks of C output channels (ob);
 *   tiles of OHt output rows x OWt output columns (all columns when they fit).
 * Every bound that comes from the instruction encoding (DMA box sizes, loop
 * extents, weight pitch, padding) is a DLA_MAX_* of isa/isa.h, derived from
 * the field widths of isa/isa.def.
 *
 * Cost model (predicted cycles of a layer alone, docs/lowering.md): the
 * compute engine's busy cycles (GEMM: one cycle per loop iteration; vector
 * instructions: outer iterations x ceil(inner / lanes); loads into acc and
 * param, which run on the compute engine), the load engine's (per DMA:
 * latency + bytes / bandwidth), the store engine's; the layer takes the
 * larger of compute and DRAM traffic (load + store share the DRAM channel)
 * plus one latency to fill the pipeline. */
#include "dla_lower_int.h"
#include "dla_lower_upsample.h"

#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"
#include "isa/isa.h"
#include "ops.h"

static DlaStatus conv_read(DlaLowerCtx *c, int32_t node, DlaConv *cv)
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
static DlaStatus conv_plan(DlaLowerCtx *c, int32_t node, DlaConv *cv, int wres, int64_t acc_tile_words)
{
    DlaEmit *e = c->em;
    int64_t R = e->R, C = e->C, INPh = e->msize[DLA_MEM_INP] / 2, WGTh = e->msize[DLA_MEM_WGT] / 2;
    const DlaWin *k = &cv->k;
    int64_t ihmin = dla_span_len(1, k->kh, k->sh, k->dh), icmin = cv->dwm ? C : R;
    /* Output columns per tile: the acc tile, one row of the input tile with
     * the fewest channels, and the DMA's rows per box (the input pixels of a
     * tile row are the y of its load) bound them. */
    int64_t iw_max = INPh / (ihmin * icmin);
    if (iw_max > DLA_MAX_DMA_Y)
        iw_max = DLA_MAX_DMA_Y;
    int64_t owt = iw_max < dla_span_len(1, k->kw, k->sw, k->dw) ? 0 : (iw_max - dla_span_len(1, k->kw, k->sw, k->dw)) / k->sw + 1;
    if (acc_tile_words / C < owt)
        owt = acc_tile_words / C;
    if (owt > DLA_MAX_EXTENT)
        owt = DLA_MAX_EXTENT; /* pixels are one loop level of the GEMM */
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
        int64_t lim = DLA_MAX_DMA_X; /* a chunk's channels are the x of its load */
        if (!wres && WGTh / (C * k->kh * k->kw) < lim)
            lim = WGTh / (C * k->kh * k->kw);
        if (DLA_MAX_WPITCH * R / (k->kh * k->kw) < lim)
            lim = DLA_MAX_WPITCH * R / (k->kh * k->kw); /* wpitch field */
        int64_t l3 = k->dw == 1 ? DLA_MAX_EXTENT * R / k->kw : DLA_MAX_EXTENT * R; /* e3 field */
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
static int64_t reg_rows(const DlaEmit *e, const DlaConv *cv, int64_t own, int64_t acc_tile_words)
{
    const DlaWin *k = &cv->k;
    int64_t ihmin = dla_span_len(1, k->kh, k->sh, k->dh);
    int64_t rows_inp = e->msize[DLA_MEM_INP] / 2 / (dla_span_len(own, k->kw, k->sw, k->dw) * cv->ICc);
    if (rows_inp > DLA_MAX_DMA_Z)
        rows_inp = DLA_MAX_DMA_Z; /* input rows are the z of the tile's load */
    int64_t oht = rows_inp < ihmin ? 0 : (rows_inp - ihmin) / k->sh + 1;
    int64_t oht_acc = acc_tile_words / (own * e->C);
    if (oht_acc < oht)
        oht = oht_acc;
    return oht < cv->OH ? oht : cv->OH;
}

static void add_tiles(DlaConv *cv, size_t *cap, int64_t ow0, int64_t own, int64_t oht, int fold)
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
static DlaStatus conv_tiles(DlaLowerCtx *c, int32_t node, DlaConv *cv, int64_t acc_tile_words, int64_t wgt_total)
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
    int any = !cv->dwm && cv->group == 1 && k->dw == 1 && k->kw * cv->IC <= DLA_MAX_DMA_X && cv->nch == 1 && rstart > lc;
    int ok1 = any && cv->F < KK * cv->ICp && cv->F / R <= DLA_MAX_EXTENT &&
              wgt_total + cv->NOB * C * cv->F <= e->msize[DLA_MEM_WGT] && 2 * cv->F + cv->PP <= INPh && k->kh <= DLA_MAX_DMA_Y;
    int ok2 = any && cv->Fr < k->kw * cv->ICp && k->kh * cv->Fr / R <= DLA_MAX_WPITCH &&
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
        int64_t owt = iw < DLA_MAX_EXTENT ? iw : DLA_MAX_EXTENT;
        if (acc_tile_words / C < owt)
            owt = acc_tile_words / C;
        if (INPh / (ihmin * cv->Fr) < owt)
            owt = INPh / (ihmin * cv->Fr);
        int64_t ncol = dla_ceil_div(iw, owt);
        owt = dla_ceil_div(iw, ncol);
        int64_t rows_inp = INPh / (owt * cv->Fr);
        if (rows_inp > DLA_MAX_DMA_Z)
            rows_inp = DLA_MAX_DMA_Z;
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
    int64_t owt = iw < DLA_MAX_EXTENT ? iw : DLA_MAX_EXTENT;
    if (acc_tile_words / C < owt)
        owt = acc_tile_words / C;
    if (room / cv->PP < owt)
        owt = room / cv->PP;
    int64_t ncol = dla_ceil_div(iw, owt);
    owt = dla_ceil_div(iw, ncol);
    int64_t oht = acc_tile_words / (owt * C);
    if (room / (owt * cv->PP) < oht)
        oht = room / (owt * cv->PP);
    if (oht > DLA_MAX_EXTENT)
        oht = DLA_MAX_EXTENT;
    if (oht > cv->OH)
        oht = cv->OH;
    for (int64_t ow0 = lc; ow0 < rstart; ow0 += owt)
        add_tiles(cv, &cap, ow0, rstart - ow0 < owt ? rstart - ow0 : owt, oht, 1);
    return DLA_OK;
}

DlaStatus dla_conv_tile(DlaLowerCtx *c, int32_t node, DlaConv *cv)
{
    DlaEmit *e = c->em;
    memset(cv, 0, sizeof *cv);
    DlaStatus st = conv_read(c, node, cv);
    if (st)
        return st;
    int64_t R = e->R, C = e->C;
    cv->dwm = cv->group > 1 && cv->group == cv->IC && cv->group == cv->OC;
    cv->icg = cv->IC / cv->group;
    cv->ocg = cv->OC / cv->group;
    cv->nunits = cv->dwm ? dla_ceil_div(cv->IC, C) : cv->group;
    /* Residency: all weights in wgt, all biases in a quarter of acc, all
     * scales in param when they fit; else streamed per block. */
    int64_t KK = cv->k.kh * cv->k.kw;
    int64_t ICp_all = cv->dwm ? C : dla_round_up(cv->icg, R);
    cv->wtotal = cv->dwm ? cv->nunits * KK * C : cv->nunits * dla_ceil_div(cv->ocg, C) * C * KK * ICp_all;
    cv->wres = cv->wtotal <= e->msize[DLA_MEM_WGT];
    cv->nbias = cv->nunits * (cv->dwm ? 1 : dla_ceil_div(cv->ocg, C)) * C;
    cv->bres = cv->nbias <= e->msize[DLA_MEM_ACC] / 4;
    cv->pres = cv->nbias <= e->msize[DLA_MEM_PARAM];
    if (!cv->pres && e->msize[DLA_MEM_PARAM] < C)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "the target's param memory cannot hold %lld scales", (long long)C);
    cv->tb = dla_round_up(cv->bres ? cv->nbias : C, 64);
    cv->acc_tile = (e->msize[DLA_MEM_ACC] - cv->tb) / 2;
    if ((st = conv_plan(c, node, cv, cv->wres, cv->acc_tile)) || (st = conv_tiles(c, node, cv, cv->acc_tile, cv->wtotal))) {
        free(cv->tiles);
        cv->tiles = NULL;
        return st;
    }
    cv->wextra = cv->fold == 1 ? cv->NOB * C * cv->F : cv->fold == 2 ? cv->NOB * C * cv->k.kh * cv->Fr : 0;
    cv->OHt = 0;
    for (int64_t t = 0; t < cv->ntl; t++)
        if (cv->tiles[t].ohn > cv->OHt)
            cv->OHt = cv->tiles[t].ohn;
    cv->ntiles = cv->ntl;
    return DLA_OK;
}

/* Pools: per (image, row tile, column tile, channel block of Cb) the input
 * rows with halo [IHt][IWt][Cb] and the output tile [OHt][OWt][Cb] in one
 * half of acc: the widest column tile (halving from the whole row) whose
 * input row fits, the channel block that fits, then as many rows as fit. */
DlaStatus dla_pool_tile(DlaLowerCtx *c, int32_t node, DlaPool *pl)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    int avg = g->nodes[node].op == OP_QAVG_POOL;
    int32_t xv = ir_in(g, node, 0), yv = g->nodes[node].outputs[0];
    DlaDims xd, yd;
    float sx, sy;
    int32_t zx, zy;
    DlaWin k;
    DlaStatus st;
    if (g->values[xv].shape.rank != 4 || g->values[yv].shape.rank != 4)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "only 2-D pooling (rank-4 tensors) is supported");
    if ((st = dla_lower_dims(c, node, xv, &xd)) || (st = dla_lower_dims(c, node, yv, &yd)) ||
        (st = dla_lower_quant(c, node, xv, &sx, &zx)) || (st = dla_lower_quant(c, node, yv, &sy, &zy)) ||
        (st = dla_lower_win(c, node, 0, 0, &k)))
        return st;
    if (yd.n != xd.n || yd.c != xd.c)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "output shape does not match the input");
    if (!avg && (zx != zy || sx != sy))
        return dla_lower_err(c, node, DLA_ERR_INVALID, "QMaxPool output must have the input's scale and zero point");
    const IrAttr *sc = avg ? ir_attr_find(g, node, "scale") : NULL;
    if (avg && (!sc || sc->type != IR_ATTR_FLOATS || (sc->n != 1 && sc->n != k.kh * k.kw)))
        return dla_lower_err(c, node, DLA_ERR_INVALID, "attribute 'scale' must have 1 float or one per window count");
    int64_t Cc = xd.c, H = xd.h, W = xd.w, OH = yd.h, OW = yd.w;
    if (xd.n > 1 && k.pt == 0 && k.pb == 0 && (k.kh - 1) * k.dh < k.sh && OH * k.sh == H) {
        H *= xd.n; /* one tall image: windows never cross an image's rows (see conv_read) */
        OH *= xd.n;
        xd.n = 1;
    }
    /* Output columns, channel block and rows per tile within half of acc:
     * input tile [IHt][IWt][Cb] + output tile [OHt][OWt][Cb]. */
    int64_t half = e->msize[DLA_MEM_ACC] / 2, ihmin = dla_span_len(1, k.kh, k.sh, k.dh);
    int64_t owt = OW < DLA_MAX_EXTENT ? OW : DLA_MAX_EXTENT;
    while (owt > 1 && (dla_span_len(owt, k.kw, k.sw, k.dw) > DLA_MAX_DMA_Y || ihmin * dla_span_len(owt, k.kw, k.sw, k.dw) + owt > half))
        owt = owt / 2;
    int64_t ncols = dla_ceil_div(OW, owt);
    owt = dla_ceil_div(OW, ncols);
    int64_t iwt = dla_span_len(owt, k.kw, k.sw, k.dw);
    int64_t Cb = Cc < DLA_MAX_EXTENT ? Cc : DLA_MAX_EXTENT;
    if (Cb * (ihmin * iwt + owt) > half)
        Cb = half / (ihmin * iwt + owt);
    if (Cb < 1)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "kernel %lldx%lld does not fit the accumulator SRAM",
                             (long long)k.kh, (long long)k.kw);
    int64_t oht = 1;
    while (oht < OH && dla_span_len(oht + 1, k.kh, k.sh, k.dh) * iwt * Cb + (oht + 1) * owt * Cb <= half &&
           dla_span_len(oht + 1, k.kh, k.sh, k.dh) <= DLA_MAX_DMA_Z)
        oht++;
    int64_t nrows = dla_ceil_div(OH, oht);
    oht = dla_ceil_div(OH, nrows);
    int64_t ncb = dla_ceil_div(Cc, Cb);
    *pl = (DlaPool){avg, xd.n, Cc, H, W, OH, OW, k, zx, zy, avg ? sc->floats : NULL,
                    owt, ncols, iwt, Cb, ncb, oht, nrows, half};
    return DLA_OK;
}

/* ------------------------------------------------------------ cost model */

static double dma(const DlaTarget *t, double bytes) { return (double)t->dram_latency_cycles + bytes / (double)t->dram_bytes_per_cycle; }
static double vec(int64_t outer, int64_t inner, int64_t L) { return (double)outer * (double)dla_ceil_div(inner, L); }

static void conv_cost(const DlaEmit *e, DlaPlanLayer *l)
{
    const DlaConv *cv = &l->conv;
    const DlaWin *k = &cv->k;
    const DlaTarget *t = e->t;
    int64_t R = e->R, C = e->C, L = e->L, KK = k->kh * k->kw;
    int need_clip = (cv->lo != cv->zy && cv->lo > -128) || cv->hi < 127;
    double comp = 0, load = 0, store = 0;
    if (cv->wres)
        load += dma(t, (double)(cv->wtotal + cv->wextra));
    if (cv->bres)
        comp += dma(t, 4.0 * (double)cv->nbias);
    if (cv->pres)
        comp += dma(t, 4.0 * (double)cv->nbias);
    for (int64_t u = 0; u < cv->nunits; u++) {
        int64_t ncin = cv->dwm ? (cv->IC - u * C < C ? cv->IC - u * C : C) : cv->icg;
        int64_t ncout = cv->dwm ? ncin : cv->ocg;
        for (int64_t ti = 0; ti < cv->ntl; ti++) {
            const DlaTile *tl = &cv->tiles[ti];
            double rows = (double)dla_span_len(tl->ohn, k->kh, k->sh, k->dh);
            double cols = (double)dla_span_len(tl->own, k->kw, k->sw, k->dw);
            double per_img = 0, ld = 0, st = 0;
            if (tl->fold == 2)
                ld += dma(t, rows * (double)(tl->own * k->kw * cv->IC));
            else if (tl->fold == 1)
                ld += (double)tl->ohn * dma(t, (double)(tl->own * cv->PP));
            else if (cv->nch == 1)
                ld += dma(t, rows * cols * (double)(ncin < cv->ICc ? ncin : cv->ICc));
            for (int64_t ob = 0; ob < cv->NOB; ob++) {
                int64_t nvalid = ncout - ob * C < C ? ncout - ob * C : C;
                int64_t px = tl->ohn * tl->own;
                per_img += vec(px, C, L) * (need_clip ? 3 : 2); /* bias mov, requant, clip */
                if (!cv->bres)
                    per_img += dma(t, 4.0 * (double)C);
                if (!cv->pres)
                    per_img += dma(t, 4.0 * (double)C);
                if (tl->fold == 2)
                    per_img += (double)(k->kh * px * (cv->Fr / R));
                else if (tl->fold == 1)
                    per_img += (double)(px * (cv->F / R));
                else if (cv->dwm)
                    per_img += (double)(KK * tl->ohn * dla_ceil_div(tl->own, R));
                else
                    per_img += (double)(KK * px * (cv->ICp / R));
                for (int64_t kc = 0; kc < cv->nch && !tl->fold; kc++) {
                    int64_t ick = cv->ICc < cv->ICp - kc * cv->ICc ? cv->ICc : cv->ICp - kc * cv->ICc;
                    if (cv->nch > 1)
                        ld += dma(t, rows * cols * (double)ick);
                    if (!cv->wres)
                        ld += dma(t, (double)(cv->dwm ? KK * C : C * KK * ick));
                }
                st += dma(t, (double)(px * nvalid));
            }
            comp += per_img * (double)cv->N;
            load += ld * (double)cv->N;
            store += st * (double)cv->N;
        }
    }
    l->pred_compute = comp, l->pred_load = load, l->pred_store = store;
    double dram = load + store;
    l->pred_cycles = (comp > dram ? comp : dram) + (double)t->dram_latency_cycles;
}

/* Pools, from the tiling: per (tile, block) the sign-extending load (on the
 * compute engine), initialising the output, one vector pass per kernel tap
 * (alu max/add over kw x rows x pixels x Cb), avg: subtract zx and
 * requantize; the store. */
static void pool_cost(const DlaEmit *e, DlaPlanLayer *l)
{
    const DlaPool *pl = &l->pool;
    const DlaWin *k = &pl->k;
    const DlaTarget *t = e->t;
    int64_t L = e->L;
    double comp = 0, store = 0;
    for (int64_t r = 0; r < pl->nrows; r++)
        for (int64_t cc = 0; cc < pl->ncols; cc++) {
            int64_t ohn = pl->OH - r * pl->oht < pl->oht ? pl->OH - r * pl->oht : pl->oht;
            int64_t own = pl->OW - cc * pl->owt < pl->owt ? pl->OW - cc * pl->owt : pl->owt;
            int64_t ih = dla_span_len(ohn, k->kh, k->sh, k->dh), iw = dla_span_len(own, k->kw, k->sw, k->dw);
            for (int64_t b = 0; b < pl->ncb; b++) {
                int64_t cn = pl->C - b * pl->Cb < pl->Cb ? pl->C - b * pl->Cb : pl->Cb;
                comp += dma(t, (double)(ih * iw * cn));
                if (pl->avg && pl->zx)
                    comp += vec(1, ih * iw * pl->Cb, L);
                comp += vec(1, ohn * own * pl->Cb, L) * (pl->avg ? 2 : 1);
                comp += (double)k->kh * vec(k->kw * ohn * own, pl->Cb, L);
                store += dma(t, (double)(ohn * own * cn));
            }
        }
    l->pred_compute = comp * (double)pl->N;
    l->pred_load = 0;
    l->pred_store = store * (double)pl->N;
    l->pred_cycles = (l->pred_compute > l->pred_store ? l->pred_compute : l->pred_store) + (double)t->dram_latency_cycles;
}

/* Vector layers: every input byte loaded into acc on the compute engine,
 * `ops` vector passes over the output, the output stored. A rough figure: the
 * tiles are chosen at instruction selection. */
static void vec_cost(const DlaEmit *e, const IrGraph *g, DlaPlanLayer *l)
{
    const IrNode *nd = &g->nodes[l->node];
    const DlaTarget *t = e->t;
    double in = 0, out = (double)ir_shape_numel(&g->values[nd->outputs[0]].shape);
    int nin = dla_act_inputs(nd);
    for (int i = 0; i < nin; i++)
        if (nd->inputs[i] >= 0)
            in += (double)ir_shape_numel(&g->values[nd->inputs[i]].shape);
    double ops = 2;
    const int64_t *ks;
    if ((nd->op == OP_QMAX_POOL || nd->op == OP_QAVG_POOL) && ir_attr_ints(g, l->node, "kernel_shape", &ks) == 2)
        ops = (double)(ks[0] * ks[1]) + 2;
    else if (ir_op_is_qbinary(nd->op)) { /* QAdd: per operand (sub z), itof, fmul; fadd, fdiv, ftoi, clip, (add zy) */
        ops = nd->op == OP_QADD || nd->op == OP_QSUB ? 8 : 3; /* QMul: mul, requant, clip; QMax: 2 requants, max */
        for (int i = 0; i < 3; i++) {
            const IrValue *v = &g->values[i < 2 ? nd->inputs[i] : nd->outputs[0]];
            ops += v->quant.count == 1 && v->quant.zero_point[0] != 0;
        }
    }
    else if (nd->op == OP_QGLOBAL_AVG_POOL || nd->op == OP_QGLOBAL_MAX_POOL || nd->op == OP_QPAD)
        ops = 1;
    else if (nd->op == OP_QRESIZE || nd->op == OP_QZERO_INSERT || nd->op == OP_QINTERLEAVE)
        ops = dla_upsample_vec_ops(g, l->node);
    else if (dla_is_move_op(nd->op))
        ops = 0; /* DMA only (dla_lower_move.c); a view nothing at all */
    if (l->view)
        in = out = 0;
    int gp = nd->op == OP_QGLOBAL_AVG_POOL || nd->op == OP_QGLOBAL_MAX_POOL;
    double comp = dma(t, in) + (gp ? in : ops * out) / (double)e->L;
    l->pred_compute = comp;
    l->pred_load = 0;
    l->pred_store = dma(t, out);
    l->pred_cycles = comp + l->pred_store;
}

DlaStatus dla_pass_tile(DlaLowerPlan *p)
{
    DlaLowerCtx ctx = {p->g, &p->em, p->addr, p->err, NULL, p->pitch};
    for (int32_t i = 0; i < p->nlayers; i++) {
        DlaPlanLayer *l = &p->layers[i];
        ctx.layer = l;
        if (l->kind == DLA_LAYER_CONV) {
            DlaStatus st = dla_conv_tile(&ctx, l->node, &l->conv);
            if (st)
                return st;
            const DlaConv *cv = &l->conv;
            l->macs = (uint64_t)(cv->N * cv->OC * cv->OH * cv->OW * cv->icg * cv->k.kh * cv->k.kw);
            conv_cost(&p->em, l);
        } else if (l->kind == DLA_LAYER_POOL) {
            DlaStatus st = dla_pool_tile(&ctx, l->node, &l->pool);
            if (st)
                return st;
            pool_cost(&p->em, l);
        } else {
            vec_cost(&p->em, p->g, l);
        }
    }
    return DLA_OK;
}
