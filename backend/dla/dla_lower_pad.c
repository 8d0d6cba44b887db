/* dla_lower_pad.c - QPad as data movement through acc, and the per-region
 * requantization of QAvgPool with per-count divisors (docs/quant.md,
 * "Padding and pooling"; docs/lowering.md has the figures).
 *
 * QPad: per (image, channel block of Cb, output column tile, output row
 * tile) the output tile [hn][wn][Cb] is built in one acc half and stored
 * with one DMA:
 *  - each output row (column) of the tile maps to a source row (column) or
 *    to the constant (qref_pad.c's src_index); consecutive outputs form
 *    runs whose source index steps by +1 (the interior), by 0 (edge pads) or
 *    is a single position (reflect pads step by -1 and the loop-nest strides
 *    are unsigned, so each reflected row/column is its own run);
 *  - a tile that maps straight onto a source box (no pad in it), or whose
 *    constant pads fit the DMA's on-the-fly padding (<= DLA_MAX_PAD per
 *    side, any int8 value), is one load with padding: no ALU work;
 *  - a tile with at most DLA_MAX_PAD edge/reflect pads per side whose
 *    sources lie in the tile's own interior (the common case: small pads,
 *    a tile with the border) is the padded load of the interior, then one
 *    `alu mov` per pad column run (interior rows) and per pad row run
 *    (whole rows, corners included) copied from inside the tile;
 *  - otherwise the source box the tile needs (at most hn x wn positions) is
 *    loaded densely into a second buffer, and every (row run x column run)
 *    is one `alu mov`: of the constant (imm) when either run is constant
 *    padding, else a strided nest from the source box (stride 0 repeats an
 *    edge row/column); a tile of constant padding only is one fill.
 * acc: two halves alternate between tiles (store/compute overlap); a half
 * holds the tile and the source box. */
#include "dla_lower_int.h"

#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "ops.h"

/* ------------------------------------------------------------ runs */

enum { PAD_CONST, PAD_EDGE, PAD_REFLECT };

typedef struct PadRun {
    int64_t o0, len; /* tile-relative outputs [o0, o0+len) */
    int64_t s0;      /* first source index, -1: the constant */
    int step;        /* 0 or 1 */
    int pad;         /* padding positions (a run never mixes them with real ones) */
} PadRun;

static int64_t src_index(int64_t i, int64_t n, int mode)
{
    if (i >= 0 && i < n)
        return i;
    if (mode == PAD_CONST)
        return -1;
    if (mode == PAD_EDGE)
        return i < 0 ? 0 : n - 1;
    return i < 0 ? -i : 2 * (n - 1) - i;
}

/* Runs of outputs [o0, o0+on) of one axis (leading pad pb, source size n),
 * at most `cap` of them (the caller's array is at least on long). */
static int pad_runs(int64_t o0, int64_t on, int64_t pb, int64_t n, int mode, PadRun *r)
{
    int k = 0;
    for (int64_t o = 0; o < on; o++) {
        int64_t i = o0 + o - pb, s = src_index(i, n, mode);
        int pad = i < 0 || i >= n;
        if (k > 0 && r[k - 1].pad == pad) {
            PadRun *p = &r[k - 1];
            int64_t last = p->s0 < 0 ? -1 : p->s0 + (p->len - 1) * p->step;
            int ok = 0;
            if (p->s0 < 0)
                ok = s < 0;
            else if (s >= 0 && p->len == 1)
                ok = s == last || s == last + 1, p->step = s == last ? 0 : 1;
            else if (s >= 0)
                ok = s == last + p->step;
            if (ok) {
                p->len++;
                continue;
            }
        }
        r[k++] = (PadRun){o, 1, s, 1, pad};
    }
    return k;
}

/* Source range [lo, hi] the runs read; 0 if none. */
static int run_span(const PadRun *r, int k, int64_t *lo, int64_t *hi)
{
    int any = 0;
    for (int i = 0; i < k; i++) {
        if (r[i].s0 < 0)
            continue;
        int64_t a = r[i].s0, b = r[i].s0 + (r[i].len - 1) * r[i].step;
        if (!any || a < *lo)
            *lo = a;
        if (!any || b > *hi)
            *hi = b;
        any = 1;
    }
    return any;
}

/* Leading/trailing constant outputs of a run list whose middle is one
 * straight (+1) run, else -1: then one padded load builds the tile. */
static int straight(const PadRun *r, int k, int64_t *pad0, int64_t *pad1)
{
    int i = 0;
    *pad0 = *pad1 = 0;
    if (i < k && r[i].s0 < 0)
        *pad0 = r[i++].len;
    if (i >= k || r[i].s0 < 0 || (r[i].len > 1 && r[i].step != 1))
        return 0;
    i++;
    if (i < k && r[i].s0 < 0)
        *pad1 = r[i++].len;
    return i == k;
}

/* The in-place shape of a run list: leading pads (at most DLA_MAX_PAD), one
 * interior +1 run, trailing pads (at most DLA_MAX_PAD), every pad run
 * reading inside the interior run (edge, reflect) or constant. Then one
 * padded load puts the interior (and constant pads) in place and the edge or
 * reflected pads are copied from inside the tile. Sets the interior run's
 * index and the pad counts. */
static int in_place(const PadRun *r, int k, int *mid, int64_t *pad0, int64_t *pad1)
{
    int m = -1;
    for (int i = 0; i < k; i++)
        if (!r[i].pad && (m < 0 || r[i].len > r[m].len))
            m = i;
    if (m < 0)
        return 0;
    int64_t lo = r[m].s0, hi = r[m].s0 + r[m].len - 1;
    *pad0 = r[m].o0;
    *pad1 = 0;
    for (int i = 0; i < k; i++) {
        if (i > m)
            *pad1 += r[i].len;
        if (i == m || r[i].s0 < 0)
            continue;
        int64_t a = r[i].s0, b = r[i].s0 + (r[i].len - 1) * r[i].step;
        if (a < lo || b > hi)
            return 0;
    }
    *mid = m;
    return *pad0 <= DLA_MAX_PAD && *pad1 <= DLA_MAX_PAD;
}

DlaStatus dla_lower_pad(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    int32_t xv = ir_in(g, node, 0), yv = g->nodes[node].outputs[0];
    DlaDims xd, yd;
    float sx, sy;
    int32_t zx, zy;
    DlaStatus st;
    if (g->values[xv].shape.rank != 4 || g->values[yv].shape.rank != 4)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "only NCHW (rank-4) padding is supported");
    if ((st = dla_lower_dims(c, node, xv, &xd)) || (st = dla_lower_dims(c, node, yv, &yd)) ||
        (st = dla_lower_quant(c, node, xv, &sx, &zx)) || (st = dla_lower_quant(c, node, yv, &sy, &zy)))
        return st;
    const int64_t *p;
    const char *ms = ir_node_attr_s(g, node, "mode");
    int mode = !strcmp(ms, "constant") ? PAD_CONST : !strcmp(ms, "edge") ? PAD_EDGE : !strcmp(ms, "reflect") ? PAD_REFLECT : -1;
    if (ir_attr_ints(g, node, "pads", &p) != 4 || mode < 0)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "needs 4 pads and mode constant, edge or reflect");
    int64_t N = xd.n, Cc = xd.c, H = xd.h, W = xd.w, OH = yd.h, OW = yd.w;
    if (yd.n != N || yd.c != Cc || OH != H + p[0] + p[2] || OW != W + p[1] + p[3])
        return dla_lower_err(c, node, DLA_ERR_INVALID, "output shape does not match the pads");
    if (zx != zy || sx != sy)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "output must have the input's scale and zero point");
    int32_t value = (int32_t)ir_node_attr_i(g, node, "value");
    *macs = 0;
    /* Tiles in one acc half: the tile [hn][wn][Cb] and a source box of at
     * most as many positions. */
    int64_t half = e->msize[DLA_MEM_ACC] / 2;
    int64_t Cb = Cc < DLA_MAX_EXTENT ? Cc : DLA_MAX_EXTENT;
    int64_t wn = OW < DLA_MAX_EXTENT ? OW : DLA_MAX_EXTENT;
    if (wn > DLA_MAX_DMA_Y)
        wn = DLA_MAX_DMA_Y;
    while (Cb > 1 && 2 * wn * Cb > half)
        Cb = (Cb + 1) / 2;
    while (wn > 1 && 2 * wn * Cb > half)
        wn = (wn + 1) / 2;
    if (2 * wn * Cb > half)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "one padded row does not fit the accumulator SRAM");
    int64_t hn = half / (2 * wn * Cb);
    if (hn > DLA_MAX_EXTENT)
        hn = DLA_MAX_EXTENT;
    if (hn > DLA_MAX_DMA_Z)
        hn = DLA_MAX_DMA_Z;
    if (hn > OH)
        hn = OH;
    int64_t ncols = dla_ceil_div(OW, wn), nrows = dla_ceil_div(OH, hn), ncb = dla_ceil_div(Cc, Cb);
    wn = dla_ceil_div(OW, ncols);
    hn = dla_ceil_div(OH, nrows);
    PadRun *rr = dla_malloc((size_t)hn * sizeof *rr), *cr = dla_malloc((size_t)wn * sizeof *cr);
    uint64_t xa = c->addr[xv], ya = c->addr[yv];
    for (int64_t n = 0; n < N; n++)
        for (int64_t cb = 0; cb < ncb; cb++)
            for (int64_t tc = 0; tc < ncols; tc++)
                for (int64_t tr = 0; tr < nrows; tr++) {
                    int64_t c0 = cb * Cb, cn = Cc - c0 < Cb ? Cc - c0 : Cb;
                    int64_t w0 = tc * wn, wl = OW - w0 < wn ? OW - w0 : wn;
                    int64_t h0 = tr * hn, hl = OH - h0 < hn ? OH - h0 : hn;
                    int nr = pad_runs(h0, hl, p[0], H, mode, rr), nc = pad_runs(w0, wl, p[1], W, mode, cr);
                    int64_t rlo = 0, rhi = -1, clo = 0, chi = -1;
                    int anyr = run_span(rr, nr, &rlo, &rhi), anyc = run_span(cr, nc, &clo, &chi);
                    uint64_t tile = (uint64_t)(e->acc_half * half), src = tile + (uint64_t)(hn * wn * Cb);
                    e->acc_half ^= 1;
                    int64_t rp0, rp1, cp0, cp1;
                    int rm, cm;
                    uint64_t xbase = xa + (uint64_t)(((n * H + rlo) * W + clo) * Cc + c0);
                    if (anyr && anyc && straight(rr, nr, &rp0, &rp1) && straight(cr, nc, &cp0, &cp1) &&
                        rp0 <= DLA_MAX_PAD && rp1 <= DLA_MAX_PAD && cp0 <= DLA_MAX_PAD && cp1 <= DLA_MAX_PAD) {
                        /* one load, constant pads added on the fly */
                        DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1, .dram = xbase, .act = 1, .sram = tile, .x = cn,
                                    .xpitch = Cb, .y = chi - clo + 1, .ys = Cc, .ypad0 = cp0, .ypad1 = cp1,
                                    .z = rhi - rlo + 1, .zs = W * Cc, .zpad0 = rp0, .zpad1 = rp1, .pad = value};
                        dla_em_load(e, &d);
                    } else if (in_place(rr, nr, &rm, &rp0, &rp1) && in_place(cr, nc, &cm, &cp0, &cp1)) {
                        /* the interior with its pads around it, then the edge/reflected
                         * columns of the interior rows, then whole pad rows, each copied
                         * from inside the tile */
                        const PadRun *ri = &rr[rm], *ci = &cr[cm];
                        DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1,
                                    .dram = xa + (uint64_t)(((n * H + ri->s0) * W + ci->s0) * Cc + c0), .act = 1,
                                    .sram = tile, .x = cn, .xpitch = Cb, .y = ci->len, .ys = Cc, .ypad0 = cp0,
                                    .ypad1 = cp1, .z = ri->len, .zs = W * Cc, .zpad0 = rp0, .zpad1 = rp1, .pad = value};
                        dla_em_load(e, &d);
                        for (int j = 0; j < nc; j++) {
                            const PadRun *b = &cr[j];
                            if (j == cm || b->s0 < 0)
                                continue;
                            uint64_t dst = tile + (uint64_t)((ri->o0 * wl + b->o0) * Cb);
                            uint64_t s2 = tile + (uint64_t)((ri->o0 * wl + ci->o0 + (b->s0 - ci->s0)) * Cb);
                            DlaNest mv = {{1, ri->len, b->len, Cb},
                                          {0, wl * Cb, Cb, 1},
                                          {0, wl * Cb, Cb, 1},
                                          {0, wl * Cb, b->step * Cb, 1}};
                            dla_em_alu(e, &mv, DLA_ALU_MOV, dst, dst, (uint32_t)s2, 0);
                        }
                        for (int i = 0; i < nr; i++) {
                            const PadRun *a = &rr[i];
                            if (i == rm || a->s0 < 0)
                                continue;
                            uint64_t dst = tile + (uint64_t)(a->o0 * wl * Cb);
                            uint64_t s2 = tile + (uint64_t)((ri->o0 + (a->s0 - ri->s0)) * wl * Cb);
                            DlaNest mv = {{1, a->len, wl, Cb},
                                          {0, wl * Cb, Cb, 1},
                                          {0, wl * Cb, Cb, 1},
                                          {0, a->step * wl * Cb, Cb, 1}};
                            if (wl * Cb <= DLA_MAX_EXTENT) /* a whole row: one vector row */
                                mv = (DlaNest){{1, 1, a->len, wl * Cb},
                                               {0, 0, wl * Cb, 1},
                                               {0, 0, wl * Cb, 1},
                                               {0, 0, a->step * wl * Cb, 1}};
                            dla_em_alu(e, &mv, DLA_ALU_MOV, dst, dst, (uint32_t)s2, 0);
                        }
                    } else {
                        int64_t sw = chi - clo + 1;
                        int fill = !anyr || !anyc;
                        for (int i = 0; i < nr; i++)
                            fill |= rr[i].s0 < 0;
                        for (int i = 0; i < nc; i++)
                            fill |= cr[i].s0 < 0;
                        if (anyr && anyc) {
                            DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1, .dram = xbase, .act = 1, .sram = src, .x = cn,
                                        .xpitch = Cb, .y = sw, .ys = Cc, .z = rhi - rlo + 1, .zs = W * Cc};
                            dla_em_load(e, &d);
                        }
                        if (fill && (!anyr || !anyc))
                            dla_em_alu_flat(e, DLA_ALU_MOV, tile, hl * wl * Cb, (uint32_t)value);
                        for (int i = 0; i < nr; i++)
                            for (int j = 0; j < nc; j++) {
                                const PadRun *a = &rr[i], *b = &cr[j];
                                uint64_t dst = tile + (uint64_t)((a->o0 * wl + b->o0) * Cb);
                                if (!anyr || !anyc)
                                    continue; /* all constant: filled above */
                                if (a->s0 < 0 || b->s0 < 0) { /* a constant block only */
                                    DlaNest fl = {{1, a->len, b->len, Cb}, {0, wl * Cb, Cb, 1}, {0, wl * Cb, Cb, 1}, {0, 0, 0, 0}};
                                    if (b->len * Cb <= DLA_MAX_EXTENT)
                                        fl = (DlaNest){{1, 1, a->len, b->len * Cb}, {0, 0, wl * Cb, 1}, {0, 0, wl * Cb, 1},
                                                       {0, 0, 0, 0}};
                                    dla_em_alu(e, &fl, DLA_ALU_MOV, dst, dst, (uint32_t)value, 1);
                                    continue;
                                }
                                uint64_t s2 = src + (uint64_t)(((a->s0 - rlo) * sw + (b->s0 - clo)) * Cb);
                                DlaNest mv = {{1, a->len, b->len, Cb},
                                              {0, wl * Cb, Cb, 1},
                                              {0, wl * Cb, Cb, 1},
                                              {0, a->step * sw * Cb, b->step * Cb, 1}};
                                if (b->step == 1 && b->len * Cb <= DLA_MAX_EXTENT) /* contiguous pixels: one vector row */
                                    mv = (DlaNest){{1, 1, a->len, b->len * Cb},
                                                   {0, 0, wl * Cb, 1},
                                                   {0, 0, wl * Cb, 1},
                                                   {0, 0, a->step * sw * Cb, 1}};
                                dla_em_alu(e, &mv, DLA_ALU_MOV, dst, dst, (uint32_t)s2, 0);
                            }
                    }
                    DlaDma s = {.dram = ya + (uint64_t)(((n * OH + h0) * OW + w0) * Cc + c0), .act = 1, .sram = tile,
                                .x = cn, .xpitch = Cb, .y = wl, .ys = Cc, .z = hl, .zs = OW * Cc};
                    dla_em_store(e, &s);
                }
    free(rr);
    free(cr);
    return DLA_OK;
}

/* ------------------------------------------------------------ QAvgPool regions */

/* Window positions of output o inside [lo, hi) along one axis. */
static int64_t win_count(int64_t o, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t lo, int64_t hi)
{
    int64_t c = 0;
    for (int64_t i = 0; i < k; i++) {
        int64_t pos = o * s + i * d - pb;
        c += pos >= lo && pos < hi;
    }
    return c;
}

/* Outputs with equal counts form runs along each axis (few: the border rows
 * and columns differ, the interior is one run); each (row run x column run)
 * is one requant with the param word of its count. */
void dla_pool_requant_regions(DlaEmit *e, const DlaPool *pl, int incl, uint64_t out, int64_t oh0, int64_t ohn,
                              int64_t ow0, int64_t own)
{
    const DlaWin *k = &pl->k;
    int64_t Cb = pl->Cb;
    for (int64_t r = 0; r < ohn;) {
        int64_t ch = incl ? win_count(oh0 + r, k->kh, k->sh, k->dh, k->pt, -k->pt, pl->H + k->pb)
                          : win_count(oh0 + r, k->kh, k->sh, k->dh, k->pt, 0, pl->H);
        int64_t rn = 1;
        while (r + rn < ohn && rn < DLA_MAX_EXTENT &&
               (incl ? win_count(oh0 + r + rn, k->kh, k->sh, k->dh, k->pt, -k->pt, pl->H + k->pb)
                     : win_count(oh0 + r + rn, k->kh, k->sh, k->dh, k->pt, 0, pl->H)) == ch)
            rn++;
        for (int64_t q = 0; q < own;) {
            int64_t cw = incl ? win_count(ow0 + q, k->kw, k->sw, k->dw, k->pl, -k->pl, pl->W + k->pr)
                              : win_count(ow0 + q, k->kw, k->sw, k->dw, k->pl, 0, pl->W);
            int64_t qn = 1;
            while (q + qn < own &&
                   (incl ? win_count(ow0 + q + qn, k->kw, k->sw, k->dw, k->pl, -k->pl, pl->W + k->pr)
                         : win_count(ow0 + q + qn, k->kw, k->sw, k->dw, k->pl, 0, pl->W)) == cw)
                qn++;
            int64_t cnt = ch * cw;
            uint64_t a = out + (uint64_t)((r * own + q) * Cb);
            DlaNest rq = {{1, rn, qn, Cb}, {0, own * Cb, Cb, 1}, {0, own * Cb, Cb, 1}, {0, 0, 0, 0}};
            dla_em_requant(e, &rq, a, a, (uint64_t)(cnt > 0 ? cnt - 1 : 0), pl->zy, 0);
            q += qn;
        }
        r += rn;
    }
}
