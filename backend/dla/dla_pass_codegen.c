/* dla_pass_codegen.c - the codegen pass: instruction selection, layer by
 * layer, into the list without tokens.
 *
 * Requires: tile (conv tilings), sram-alloc (buffer offsets), dram-alloc
 * (addr of every activation). Establishes: em.pend (the instructions of every
 * layer in program order, then `end`; each tracked instruction with the
 * ranges it reads and writes), em.consts (weights rearranged for the array,
 * int32 biases, fp32 scales, lookup tables), em.layers (one DlaLayerMap per
 * layer: name and op of its anchor, useful MACs, its range of em.pend), and
 * per plan layer first_pend / npend.
 *
 * The per-op selection lives in dla_lower_conv.c (QConv, QGemm: follows the
 * layer's tiling and offsets) and dla_lower_vec.c (pools, QAdd, QLut,
 * QConcat: choose their tiles there, within the acc halves). Layers are not
 * separated by a sync: the schedule pass lets them overlap where the data
 * allow. */
#include "dla_lower_int.h"
#include "dla_lower_upsample.h"
#include "ops.h"

DlaStatus dla_pass_codegen(DlaLowerPlan *p)
{
    const IrGraph *g = p->g;
    DlaEmit *em = &p->em;
    DlaLowerCtx ctx = {g, em, p->addr, p->err, NULL, p->pitch};
    for (int32_t i = 0; i < p->nlayers; i++) {
        DlaPlanLayer *l = &p->layers[i];
        int32_t n = l->node;
        const IrNode *nd = &g->nodes[n];
        ctx.layer = l;
        dla_em_layer_begin(em, nd->name, nd->op_type, 0);
        uint64_t macs = 0;
        DlaStatus st;
        switch (nd->op) {
        case OP_QCONV:
        case OP_QGEMM: st = dla_lower_conv(&ctx, n, &macs); break;
        case OP_QMAX_POOL:
        case OP_QAVG_POOL: st = dla_lower_pool(&ctx, n, &macs); break;
        case OP_QGLOBAL_AVG_POOL:
        case OP_QGLOBAL_MAX_POOL: st = dla_lower_gpool(&ctx, n, &macs); break;
        case OP_QPAD: st = dla_lower_pad(&ctx, n, &macs); break;
        case OP_QADD:
        case OP_QSUB:
        case OP_QMUL:
        case OP_QMAX:
        case OP_QMIN: st = dla_lower_binary(&ctx, n, &macs); break;
        case OP_QLUT: st = dla_lower_lut(&ctx, n, &macs); break;
        case OP_QCONCAT: st = dla_lower_concat(&ctx, n, &macs); break;
        case OP_QRESIZE: st = dla_lower_resize(&ctx, n, &macs); break;
        case OP_QZERO_INSERT: st = dla_lower_zero_insert(&ctx, n, &macs); break;
        case OP_QINTERLEAVE: st = dla_lower_interleave(&ctx, n, &macs); break;
        case OP_QSLICE:
        case OP_QTRANSPOSE:
        case OP_QRESHAPE:
        case OP_QCHANNEL_SHUFFLE: st = dla_lower_move(&ctx, n, &macs); break;
        default: st = DLA_ERR_UNSUPPORTED; break;
        }
        if (st)
            return st;
        if (em->overflow)
            return dla_errorf(p->err, DLA_ERR_LIMIT, "lowering: node '%s' (%s): the program exceeds %u instructions",
                              nd->name, nd->op_type, DLA_EM_MAX_INSNS);
        em->layers[em->nlayers - 1].macs = macs;
        l->macs = macs;
        dla_em_layer_end(em);
        l->first_pend = em->layers[em->nlayers - 1].first_insn;
        l->npend = em->layers[em->nlayers - 1].ninsns;
    }
    dla_em_end(em);
    return DLA_OK;
}
