/* dla_pass_sram.c - the sram-alloc pass: where each layer's buffers live in
 * the on-chip memories (inp, wgt, acc, param, lut).
 *
 * Requires: tile (per CONV layer: residency, nbias, tb, acc_tile, weight
 * sizes). Establishes, per layer: bufs[] (every buffer: memory, offset, size
 * in elements of that memory) and, for CONV layers, the offsets codegen
 * uses: inp_at[2], wgt_at[2] (the halves of inp and wgt that alternate
 * between tiles / weight blocks: double buffering), acc_at[2] (the two
 * output-tile buffers after the biases), bias_at, param_at and wres_at.
 *
 * Weight ring: resident weights of consecutive layers are placed one after
 * the other in wgt (64-byte aligned) and wrap to 0 when the next layer's do
 * not fit, so that a layer's weights load while the previous layer still
 * computes; a layer that streams its weights (through the halves) resets the
 * ring. Which half of a pair a tile uses is decided at codegen by the
 * rotation state carried across layers (so that the next layer's first load
 * goes to the half the current one is not using); the schedule pass orders
 * every reuse with tokens either way.
 *
 * POOL and VEC layers use acc only (int8 inputs are loaded sign-extended into acc):
 * two halves alternating between tiles (QAdd: two (A, B) pairs of quarters;
 * QGlobalAvgPool: output slots then one chunk buffer), their param words and
 * LUT tables at 0. Every offset + size stays within the target's memory
 * (checked here; a violation is an internal error). */
#include <string.h>

#include "dla_lower_int.h"
#include "ops.h"

static void buf(DlaPlanLayer *l, const char *what, int mem, uint64_t off, uint64_t size)
{
    if (l->nbufs < DLA_PLAN_MAX_BUFS)
        l->bufs[l->nbufs++] = (DlaSramBuf){what, mem, off, size};
}

static void conv_bufs(const DlaEmit *e, DlaPlanLayer *l, uint64_t *ring)
{
    const DlaConv *cv = &l->conv;
    uint64_t INPh = (uint64_t)e->msize[DLA_MEM_INP] / 2, WGTh = (uint64_t)e->msize[DLA_MEM_WGT] / 2;
    uint64_t C = (uint64_t)e->C;
    l->inp_at[0] = 0, l->inp_at[1] = INPh;
    l->wgt_at[0] = 0, l->wgt_at[1] = WGTh;
    l->bias_at = 0, l->param_at = 0;
    l->acc_at[0] = (uint64_t)cv->tb, l->acc_at[1] = (uint64_t)(cv->tb + cv->acc_tile);
    buf(l, "input tile, half 0", DLA_MEM_INP, 0, INPh);
    buf(l, "input tile, half 1", DLA_MEM_INP, INPh, INPh);
    if (cv->wres) {
        uint64_t n = (uint64_t)(cv->wtotal + cv->wextra), at = (uint64_t)dla_round_up((int64_t)*ring, 64);
        if (at + n > (uint64_t)e->msize[DLA_MEM_WGT])
            at = 0;
        *ring = at + n;
        l->wres_at = at;
        buf(l, "weights, resident", DLA_MEM_WGT, at, (uint64_t)cv->wtotal);
        if (cv->wextra)
            buf(l, "folded weights, resident", DLA_MEM_WGT, at + (uint64_t)cv->wtotal, (uint64_t)cv->wextra);
    } else {
        *ring = 0;
        l->wres_at = 0;
        buf(l, "weight block, half 0", DLA_MEM_WGT, 0, WGTh);
        buf(l, "weight block, half 1", DLA_MEM_WGT, WGTh, WGTh);
    }
    buf(l, cv->bres ? "biases, resident" : "bias slot", DLA_MEM_ACC, 0, cv->bres ? (uint64_t)cv->nbias : C);
    buf(l, "output tile 0", DLA_MEM_ACC, l->acc_at[0], (uint64_t)cv->acc_tile);
    buf(l, "output tile 1", DLA_MEM_ACC, l->acc_at[1], (uint64_t)cv->acc_tile);
    buf(l, cv->pres ? "scales, resident" : "scale slot", DLA_MEM_PARAM, 0, cv->pres ? (uint64_t)cv->nbias : C);
}

static void vec_bufs(const DlaEmit *e, const IrGraph *g, DlaPlanLayer *l)
{
    uint64_t acc = (uint64_t)e->msize[DLA_MEM_ACC], half = acc / 2, q = acc / 4;
    switch (g->nodes[l->node].op) {
    case OP_QADD:
    case OP_QSUB:
    case OP_QMUL:
    case OP_QMAX:
    case OP_QMIN: /* same shape; with broadcasting the halves hold (A, B[, Y]) ranges */
        l->acc_at[0] = 0, l->acc_at[1] = half;
        buf(l, "A, pair 0", DLA_MEM_ACC, 0, q);
        buf(l, "B, pair 0", DLA_MEM_ACC, q, q);
        buf(l, "A, pair 1", DLA_MEM_ACC, 2 * q, q);
        buf(l, "B, pair 1", DLA_MEM_ACC, 3 * q, q);
        if (g->nodes[l->node].op == OP_QMUL || g->nodes[l->node].op == OP_QMAX || g->nodes[l->node].op == OP_QMIN)
            buf(l, "scales", DLA_MEM_PARAM, 0, g->nodes[l->node].op == OP_QMUL ? 1 : 2);
        break;
    case OP_QGLOBAL_AVG_POOL:
    case OP_QGLOBAL_MAX_POOL:
        l->acc_at[0] = l->acc_at[1] = 0;
        buf(l, "output slots, then the chunk buffer", DLA_MEM_ACC, 0, acc);
        buf(l, "scale", DLA_MEM_PARAM, 0, 1);
        break;
    default:
        l->acc_at[0] = 0, l->acc_at[1] = half;
        buf(l, "tile, half 0", DLA_MEM_ACC, 0, half);
        buf(l, "tile, half 1", DLA_MEM_ACC, half, half);
        if (g->nodes[l->node].op == OP_QAVG_POOL) /* one scale, or one per window count */
            buf(l, "scale", DLA_MEM_PARAM, 0, (uint64_t)ir_attr_find(g, l->node, "scale")->n);
        if (g->nodes[l->node].op == OP_QLUT)
            buf(l, "table", DLA_MEM_LUT, 0, 256);
        if (g->nodes[l->node].op == OP_QCONCAT)
            buf(l, "scales", DLA_MEM_PARAM, 0, (uint64_t)g->nodes[l->node].ninputs);
        break;
    }
}

DlaStatus dla_pass_sram_alloc(DlaLowerPlan *p)
{
    const DlaEmit *e = &p->em;
    uint64_t ring = 0; /* next free byte of the weight ring */
    for (int32_t i = 0; i < p->nlayers; i++) {
        DlaPlanLayer *l = &p->layers[i];
        l->nbufs = 0;
        if (l->kind == DLA_LAYER_CONV)
            conv_bufs(e, l, &ring);
        else
            vec_bufs(e, p->g, l);
        for (int b = 0; b < l->nbufs; b++)
            if (l->bufs[b].off + l->bufs[b].size > (uint64_t)e->msize[l->bufs[b].mem])
                return dla_errorf(p->err, DLA_ERR_LIMIT, "lowering: layer %d: %s [%llu, +%llu) beyond %s (%lld)",
                                  (int)i, l->bufs[b].what, (unsigned long long)l->bufs[b].off,
                                  (unsigned long long)l->bufs[b].size, dla_mem_name((DlaMem)l->bufs[b].mem),
                                  (long long)e->msize[l->bufs[b].mem]);
    }
    return DLA_OK;
}
