/* dla_lower_conv.c - instruction selection for QConv and QGemm (the codegen
 * pass, dla_pass_codegen.c, calls it per layer): implicit GEMM on the DLA
 * array, following the layer's tiling (dla_pass_tile.c: units, chunks,
 * blocks, tiles, residency) and SRAM offsets (dla_pass_sram.c).
 *
 * Data: activations in DRAM are NHWC int8. Weights in the constants image:
 * per (unit, ob, chunk) one block [C][KH][KW][ICk] (ICk = that chunk's padded
 * channels), so that column c of the array reads its R weights at
 * c*Wp + (kh*KW + kw)*ICk + icb*R with Wp = KH*KW*ICk (docs/isa.md GEMM).
 * Bias (int32) and scales (fp32) per unit padded to NOB*C entries.
 *
 * SRAM: inp and wgt are used as two halves (double buffering: the load of the
 * next tile or weight block goes to the other half; the schedule pass adds
 * the tokens); when all weights fit in wgt they are loaded once at the start
 * (at the layer's place in the weight ring). acc: biases (preloaded if they
 * fit in a quarter, else a slot of C reloaded per block), then two
 * output-tile buffers [OHt][OWt][C] int32 alternating so that the store of
 * one overlaps the GEMMs of the next. param: all scales if they fit, else a
 * slot of C.
 *
 * Per (tile, ob): acc <- bias (alu mov, broadcast over pixels); per chunk:
 * load the input tile (rows with halo, padded on the fly with the input
 * zero point), one GEMM instruction over (kh; rows; pixels; kw*ICk/R)
 * (dilation > 1: one per kh, over (kw; rows; pixels; ICk/R)); then requant
 * fp32 (relu when lo == zy), clip when [lo, hi] is narrower, store int8.
 * Folded modes (fold 1: whole window, fold 2: window rows, dla_pass_tile.c)
 * gather the window straight from NHWC DRAM. */
#include "dla_lower_int.h"

#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"
#include "isa/isa.h"
#include "ops.h"

typedef DlaConv Conv;

static int64_t chunk_width(const Conv *cv, int64_t k) { return cv->ICc < cv->ICp - k * cv->ICc ? cv->ICc : cv->ICp - k * cv->ICc; }

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
    const Conv cv = c->layer->conv; /* the tile pass's choice (tiles owned by the plan) */
    DlaStatus st;
    int64_t R = e->R, C = e->C;
    *macs = c->layer->macs;
    uint64_t xa = c->addr[ir_in(g, node, 0)], ya = c->addr[g->nodes[node].outputs[0]];
    /* pixel pitch: OC, or wider when Y is a slice of a concatenation (dla_lower_move.c) */
    int64_t P = c->pitch && c->pitch[g->nodes[node].outputs[0]] ? c->pitch[g->nodes[node].outputs[0]] : cv.OC;
    int64_t KK = cv.k.kh * cv.k.kw;
    int wres = cv.wres, bres = cv.bres, pres = cv.pres;
    const DlaPlanLayer *l = c->layer; /* SRAM offsets: sram-alloc */

    uint64_t wofs, wbytes, bofs, sofs, fofs = 0;
    int64_t nb;
    conv_consts(e, &cv, &wofs, &wbytes, &bofs, &sofs, &nb);
    uint64_t wres_at = l->wres_at; /* resident weights: regular [wres_at, +wbytes), folded after them */
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
        dla_em_load_flat(e, DLA_MEM_ACC, bofs, 0, l->bias_at, nb, 0);
    if (pres)
        dla_em_load_flat(e, DLA_MEM_PARAM, sofs, 0, l->param_at, nb, 0);

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
                    (st = dla_lower_span(c, node, cv.W, k->kw, k->sw, k->dw, k->pl, ow0, own, &cl)))
                    return st;
                uint64_t inp_base = 0;
                int64_t loaded_chunk = -1; /* chunk of this tile resident in inp */
                for (int64_t ob = 0; ob < cv.NOB; ob++) {
                    int64_t nvalid = ncout - ob * C < C ? ncout - ob * C : C;
                    uint64_t abase = l->acc_at[e->acc_half];
                    e->acc_half ^= 1;
                    uint64_t bias_at = l->bias_at, param_at = l->param_at;
                    int64_t bidx = (u * cv.NOB + ob) * C;
                    if (bres)
                        bias_at += (uint64_t)bidx;
                    else
                        dla_em_load_flat(e, DLA_MEM_ACC, bofs + (uint64_t)bidx * 4, 0, bias_at, C, 0);
                    if (pres)
                        param_at += (uint64_t)bidx;
                    else
                        dla_em_load_flat(e, DLA_MEM_PARAM, sofs + (uint64_t)bidx * 4, 0, param_at, C, 0);
                    /* acc <- bias over every pixel of the tile */
                    DlaNest bn = {{1, ohn, own, C}, {0, own * C, C, 1}, {0, own * C, C, 1}, {0, 0, 0, 1}};
                    dla_em_alu(e, &bn, DLA_ALU_MOV, abase, abase, (uint32_t)bias_at, 0);
                    if (tl->fold == 2) {
                        if (loaded_chunk != 0) { /* one gather of window rows per tile */
                            inp_base = l->inp_at[e->inp_half];
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
                            inp_base = l->inp_at[e->inp_half];
                            e->inp_half ^= 1;
                            for (int64_t r = 0; r < ohn; r++) {
                                int64_t ih = (oh0 + r) * k->sh - k->pt, p0 = 0, p1 = 0;
                                while (p0 < k->kh && ih + p0 * k->dh < 0)
                                    p0++;
                                while (p1 < k->kh - p0 && ih + (k->kh - 1 - p1) * k->dh >= cv.H)
                                    p1++;
                                if (p0 > DLA_MAX_PAD || p1 > DLA_MAX_PAD || p0 + p1 >= k->kh)
                                    return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "padding rows beyond %d",
                                                         (int)DLA_MAX_PAD);
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
                            inp_base = l->inp_at[e->inp_half];
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
                            wbase = l->wgt_at[e->wgt_half];
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
                    DlaDma s = {.dram = ya + (uint64_t)(((n * cv.OH + oh0) * cv.OW + ow0) * P + cout0 + ob * C),
                                .act = 1, .sram = abase, .x = nvalid, .xpitch = C, .y = own, .ys = P,
                                .z = ohn, .zs = cv.OW * P};
                    dla_em_store(e, &s);
                }
            }
    }
    return DLA_OK;
}
