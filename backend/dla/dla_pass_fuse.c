/* dla_pass_fuse.c - the fuse pass: which Q-ops form one accelerator layer.
 *
 * Requires: the plan's partition (nodes: dlacc-domain Q-ops in topological
 * order). Establishes: the partition is checked (every node a Q-op with one
 * output and its activation inputs, none repeated); layers[]: one per
 * accelerator layer, with its anchor Q-op, the nodes fused into it (anchor
 * first), its kind (CONV: QConv, QGemm on the GEMM array; POOL: QMaxPool,
 * QAvgPool; VEC: the rest on the vector unit) and the activation folded into
 * its drain.
 *
 * What is fused today: the quantizer (passes/quantize.c) already folds a
 * Conv/Gemm's bias, its requantization and a following Relu or Clip into the
 * one QConv / QGemm (attributes scale, lo, hi), so every Q-op is one layer
 * and the conv drain (requant, relu or clip, store) carries the activation;
 * the layer records which ("relu" when lo is the output zero point, "clip"
 * when [lo, hi] is narrower than int8). The grouping is data (nodes[]), so a
 * later fusion (a QLut or residual QAdd into the conv drain) only has to
 * append to it and teach codegen the drain. */
#include <stdlib.h>
#include <string.h>

#include "dla_lower_int.h"
#include "ops.h"

/* Number of leading inputs of a Q-op that are activations (the rest constant). */
int dla_act_inputs(const IrNode *nd)
{
    return ir_op_is_qbinary(nd->op) ? 2 : nd->op == OP_QCONCAT || nd->op == OP_QINTERLEAVE ? nd->ninputs : 1;
}

static int is_qop(IrOp op)
{
    return op == OP_QCONV || op == OP_QGEMM || ir_op_is_qbinary(op) || op == OP_QMAX_POOL || op == OP_QAVG_POOL ||
           op == OP_QGLOBAL_AVG_POOL || op == OP_QLUT || op == OP_QCONCAT || op == OP_QGLOBAL_MAX_POOL || op == OP_QPAD ||
           op == OP_QRESIZE || op == OP_QZERO_INSERT || op == OP_QINTERLEAVE || dla_is_move_op(op);
}

/* The activation a conv drain applies: relu when the low bound is the output
 * zero point, clip when the bounds are narrower than int8 otherwise. */
static const char *drain_act(const IrGraph *g, int32_t n)
{
    int32_t y = g->nodes[n].outputs[0];
    if (g->values[y].quant.count != 1)
        return "none";
    int64_t lo = ir_node_attr_i(g, n, "lo"), hi = ir_node_attr_i(g, n, "hi");
    int64_t zy = g->values[y].quant.zero_point[0];
    if (lo == zy)
        return hi < 127 ? "relu+clip" : "relu";
    return lo > -128 || hi < 127 ? "clip" : "none";
}

DlaStatus dla_pass_fuse(DlaLowerPlan *p)
{
    const IrGraph *g = p->g;
    if (p->nnodes < 1)
        return dla_errorf(p->err, DLA_ERR_INVALID, "lowering: empty partition");
    uint8_t *mark = dla_calloc((size_t)g->nnodes + 1, 1);
    DlaStatus st = DLA_OK;
    for (int32_t i = 0; i < p->nnodes && !st; i++) {
        int32_t n = p->nodes[i];
        if (n < 0 || n >= g->nnodes || mark[n]) {
            st = dla_errorf(p->err, DLA_ERR_INVALID, "lowering: node index %d is invalid or repeated", n);
            break;
        }
        const IrNode *nd = &g->nodes[n];
        if (!is_qop(nd->op) || strcmp(nd->domain, "dlacc") != 0)
            st = dla_errorf(p->err, DLA_ERR_UNSUPPORTED, "lowering: node '%s' (%s) is not a dlacc quantized op",
                            nd->name, nd->op_type);
        else if (nd->noutputs != 1 || nd->outputs[0] < 0 || nd->ninputs < dla_act_inputs(nd))
            st = dla_errorf(p->err, DLA_ERR_INVALID, "lowering: node '%s' (%s) has wrong inputs/outputs", nd->name,
                            nd->op_type);
        mark[n] = 1;
    }
    free(mark);
    if (st)
        return st;
    p->layers = dla_calloc((size_t)p->nnodes, sizeof *p->layers);
    p->nlayers = p->nnodes;
    for (int32_t i = 0; i < p->nnodes; i++) {
        DlaPlanLayer *l = &p->layers[i];
        int32_t n = p->nodes[i];
        IrOp op = g->nodes[n].op;
        l->node = n;
        l->nodes[0] = n;
        l->nnodes = 1;
        l->kind = op == OP_QCONV || op == OP_QGEMM                ? DLA_LAYER_CONV
                  : op == OP_QMAX_POOL || op == OP_QAVG_POOL ? DLA_LAYER_POOL
                                                             : DLA_LAYER_VEC;
        l->act = l->kind == DLA_LAYER_CONV ? drain_act(g, n) : "none";
    }
    return DLA_OK;
}
