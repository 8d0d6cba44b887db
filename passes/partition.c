/* partition.c - pass_partition: which nodes run on the accelerator.
 *
 * Requires: a canonicalized float graph with shapes inferred (the batch dim
 *   may stay symbolic; every other dim of an accelerator tensor must be known).
 * Establishes: IrNode.device of every live node is IR_DEVICE_DLA if the
 *   accelerator runs it after quantization, IR_DEVICE_HOST otherwise. Runs only
 *   when PassContext.quantize is set.
 *
 * The accelerator takes (docs/quant.md has the integer semantics):
 *  - Conv over NCHW (strided, padded, dilated, grouped, depthwise) with
 *    constant weights and bias -> QConv;
 *  - Gemm (transA = 0, constant B, C absent or a constant per-column vector)
 *    and MatMul with a constant 2-D B -> QGemm (an A of rank > 2 is reshaped
 *    to 2-D and the result back by QReshape views);
 *  - Add, Sub, Mul, Max, Min of two activations of rank 2 or 4 whose dims
 *    are the output's or 1 (residual add, squeeze-and-excitation scaling
 *    [N,C,1,1] x [N,C,H,W], [N,1,H,W], [N,1,1,1]) -> QAdd/QSub/QMul/QMax/QMin;
 *    constant operands were rewritten before (pass_affine: depthwise 1x1 Conv);
 *  - Pad, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool and
 *    ReduceMean/ReduceMax over the spatial axes: partition_padpool.c;
 *  - Relu and Clip whose input an accelerator node produces: fused into that
 *    producer when it is a Conv/Gemm/MatMul/Add used only by the activation
 *    (lo/hi bounds of the requantization), otherwise a QLut; any other
 *    one-input element-wise function (Sigmoid, Tanh, Gelu, Mish, Erf, ...,
 *    act_unary_op) of an accelerator result: a QLut;
 *  - an element-wise group y = f(x) (act_group.h: x * Sigmoid(x), hard-swish,
 *    Gelu written out...) whose input x an accelerator node produces: all its
 *    nodes, which quantization turns into one QLut;
 *  - data movement of accelerator results (Concat, Split, Slice, Transpose,
 *    Reshape/Flatten/Squeeze/Unsqueeze, channel shuffle): partition_move.c;
 *  - Resize/Upsample by integer factors and ConvTranspose: the rules (and
 *    reasons) are passes/quantize_upsample.c's quant_upsample_supported.
 * Everything else stays on the host, in float. The padding and width limits
 * are those of the DLA lowering (backend/dla/dla_lower.h; the values are the
 * DLA_MAX_* of isa/isa.h), checked here so that a node the lowering would
 * refuse runs on the host instead; padding beyond the DMA's fields becomes an
 * explicit QPad (quant_pads_ok). */
#include "passes/passes.h"
#include "passes/pass_util.h"
#include "passes/partition_int.h"
#include "passes/quant.h"
#include "passes/quantize_int.h"
#include "passes/act_group.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h" /* DLA_MAX_EXTENT: the widest row the lowering tiles */

/* Widest image row the lowering tiles: one loop extent (isa.def e0..e3). */
#define DLA_MAX_WIDTH DLA_MAX_EXTENT

/* A float activation: not constant, float32, rank known, every dim but the
 * batch dim (0) known and positive. */
static int is_act(const IrGraph *g, int32_t v)
{
    if (v < 0 || v >= g->nvalues)
        return 0;
    const IrValue *x = &g->values[v];
    if (x->dtype != DT_FLOAT || (x->flags & (IR_VAL_CONST | IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) ||
        x->shape.rank < 1)
        return 0;
    for (int i = 1; i < x->shape.rank; i++)
        if (x->shape.dims[i] <= 0)
            return 0;
    return 1;
}

static int is_const_float(const IrGraph *g, int32_t v)
{
    return v >= 0 && pu_is_const(g, v) && g->values[v].dtype == DT_FLOAT && ir_shape_known(&g->values[v].shape);
}

static int rank_of(const IrGraph *g, int32_t v) { return g->values[v].shape.rank; }

/* Weights and biases must be finite: their int8/int32 images would not be. */
static int all_finite(const IrGraph *g, int32_t v)
{
    const float *p = g->values[v].data;
    size_t n = g->values[v].nbytes / sizeof *p;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            return 0;
    return 1;
}

/* Dim i the same in both: known and equal, or unknown with the same symbol. */
static int same_dim(const IrShape *a, const IrShape *b, int i)
{
    if (a->dims[i] >= 0 || b->dims[i] >= 0)
        return a->dims[i] == b->dims[i];
    return a->sym[i] && b->sym[i] && strcmp(a->sym[i], b->sym[i]) == 0;
}

static int width_ok(const IrGraph *g, int32_t v)
{
    const IrShape *s = &g->values[v].shape;
    return s->rank != 4 || s->dims[3] <= DLA_MAX_WIDTH;
}

/* The Clip bounds are constant (attributes before opset 11, inputs since). */
static int clip_ok(const IrGraph *g, int32_t n)
{
    for (int32_t i = 1; i < 3; i++) {
        int32_t v = ir_in(g, n, i);
        if (v >= 0 && !(is_const_float(g, v) && ir_shape_numel(&g->values[v].shape) == 1))
            return 0;
    }
    return 1;
}

#define WHY(s) (*why = (s), 0)

int quant_dla_supported(const IrGraph *g, int32_t n, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    const IrNode *nd = &g->nodes[n];
    if (nd->dead)
        return WHY("dead node");
    int mv = quant_move_supported(g, n, why); /* partition_move.c */
    if (mv >= 0)
        return mv;
    int32_t x = ir_in(g, n, 0);
    ActGroup ag;
    if (act_group_get(g, n, &ag)) {
        /* an element-wise group (act_group.h) is one QLut: decided by its input */
        x = ag.input;
        act_group_free(&ag);
        if (!is_act(g, x))
            return WHY("element-wise group: input is not a float activation");
        int32_t p = g->values[x].producer;
        if (p < 0 || g->nodes[p].device != IR_DEVICE_DLA)
            return WHY("element-wise group: input comes from the host (not worth a round trip)");
        return 1;
    }
    int fam = quant_padpool_supported(g, n, why); /* Pad, pools, spatial reductions */
    if (fam >= 0)
        return fam;
    if (nd->op == OP_CONV) {
        int32_t w = ir_in(g, n, 1), b = ir_in(g, n, 2);
        if (!is_act(g, x) || rank_of(g, x) != 4)
            return WHY("input is not a float NCHW activation");
        if (!is_const_float(g, w) || rank_of(g, w) != 4)
            return WHY("weights are not a constant 4-D float tensor");
        if (b >= 0 && !(is_const_float(g, b) && ir_shape_numel(&g->values[b].shape) == g->values[w].shape.dims[0]))
            return WHY("bias is not a constant per-channel vector");
        if (!all_finite(g, w) || (b >= 0 && !all_finite(g, b)))
            return WHY("weights or bias not finite");
        if (!quant_pads_ok(g, n, why))
            return 0;
        if (!width_ok(g, x))
            return WHY("image wider than the lowering tiles");
        return 1;
    }
    if (nd->op == OP_GEMM) {
        int32_t w = ir_in(g, n, 1), c = ir_in(g, n, 2);
        if (!is_act(g, x) || rank_of(g, x) != 2)
            return WHY("A is not a 2-D float activation");
        if (ir_attr_int(g, n, "transA", 0))
            return WHY("transA");
        if (!isfinite(ir_attr_float(g, n, "alpha", 1.0f)) || !isfinite(ir_attr_float(g, n, "beta", 1.0f)))
            return WHY("alpha or beta not finite");
        if (!is_const_float(g, w) || rank_of(g, w) != 2)
            return WHY("B is not a constant 2-D float matrix");
        int64_t cols = g->values[w].shape.dims[ir_attr_int(g, n, "transB", 0) ? 0 : 1];
        if (c >= 0) {
            if (!is_const_float(g, c))
                return WHY("C is not constant");
            const IrShape *cs = &g->values[c].shape;
            int64_t cn = ir_shape_numel(cs);
            int rowvec = cs->rank <= 1 || (cs->rank == 2 && cs->dims[0] == 1);
            if (!rowvec || (cn != 1 && cn != cols))
                return WHY("C is not a per-column vector");
            if (!all_finite(g, c))
                return WHY("C not finite");
        }
        if (!all_finite(g, w))
            return WHY("B not finite");
        return 1;
    }
    if (nd->op == OP_MAT_MUL) {
        int32_t w = ir_in(g, n, 1);
        /* [..., M, K] x [K, N]: the leading dims fold into M (QReshape views) */
        if (!is_act(g, x) || rank_of(g, x) < 2 || (rank_of(g, x) > 2 && !ir_shape_known(&g->values[x].shape)))
            return WHY("A is not a float activation of rank 2 (or of a known shape)");
        if (!is_const_float(g, w) || rank_of(g, w) != 2)
            return WHY("B is not a constant 2-D float matrix");
        if (!all_finite(g, w))
            return WHY("B not finite");
        return 1;
    }
    if (quant_binary_op(nd->op)) {
        int32_t y = ir_in(g, n, 1), out = nd->noutputs == 1 ? nd->outputs[0] : -1;
        if (nd->ninputs != 2)
            return WHY("not exactly two operands");
        if (!is_act(g, x) || !is_act(g, y) || out < 0)
            return WHY("an operand is constant or not a float activation");
        const IrShape *ys = &g->values[out].shape;
        if (ys->rank != 2 && ys->rank != 4)
            return WHY("rank other than 2 or 4");
        /* each operand dim is the output's or 1 (a stride-0 loop in the lowering) */
        for (int k = 0; k < 2; k++) {
            const IrShape *s = &g->values[nd->inputs[k]].shape;
            if (s->rank != ys->rank)
                return WHY("operands of different ranks (broadcasting over missing dims)");
            for (int i = 0; i < s->rank; i++)
                if (s->dims[i] != 1 && !same_dim(s, ys, i))
                    return WHY("operand does not broadcast to the output dim by dim");
        }
        return 1;
    }
    if (quant_is_lut_op(nd)) {
        if (!is_act(g, x))
            return WHY("input is not a float activation");
        if (nd->op == OP_CLIP && !clip_ok(g, n))
            return WHY("Clip bounds are not constant");
        if (!act_lut_evaluable(g, n))
            return WHY("the function cannot be evaluated for a lookup table (attributes)");
        int32_t p = g->values[x].producer;
        if (p < 0 || g->nodes[p].device != IR_DEVICE_DLA)
            return WHY("input comes from the host (not worth a round trip)");
        return 1;
    }
    if (nd->op == OP_RESIZE || nd->op == OP_UPSAMPLE || nd->op == OP_CONV_TRANSPOSE)
        return quant_upsample_supported(g, n, why);
    return WHY("op not supported by the accelerator");
}

int quant_binary_op(IrOp op)
{
    return op == OP_ADD || op == OP_SUB || op == OP_MUL || op == OP_MAX || op == OP_MIN;
}

int quant_is_lut_op(const IrNode *nd)
{
    return nd->noutputs == 1 && (nd->op == OP_CLIP || act_unary_op(nd));
}

int32_t quant_fused_act(const IrGraph *g, int32_t n, const int32_t *uses)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->dead || nd->device != IR_DEVICE_DLA || nd->noutputs < 1 ||
        !(nd->op == OP_CONV || nd->op == OP_GEMM || nd->op == OP_MAT_MUL || quant_binary_op(nd->op) ||
          nd->op == OP_CONV_TRANSPOSE))
        return -1;
    int32_t y = nd->outputs[0];
    if (y < 0 || uses[y] != 1 || (g->values[y].flags & IR_VAL_OUTPUT))
        return -1;
    for (int32_t c = n + 1; c < g->nnodes; c++) {
        const IrNode *cn = &g->nodes[c];
        if (cn->dead || cn->ninputs < 1 || cn->inputs[0] != y)
            continue;
        /* a Relu/Clip inside an element-wise group is part of its QLut */
        if (cn->device == IR_DEVICE_DLA && (cn->op == OP_RELU || cn->op == OP_CLIP) && act_group_role(g, c) == ACT_NONE)
            return c;
        return -1;
    }
    return -1;
}

uint8_t *quant_int8_values(const IrGraph *g, int32_t *count)
{
    uint8_t *mark = dla_calloc((size_t)(g->nvalues ? g->nvalues : 1), 1);
    int any = 0;
    for (int32_t n = 0; n < g->nnodes; n++)
        any |= !g->nodes[n].dead && g->nodes[n].device == IR_DEVICE_DLA;
    if (!any) {
        for (int32_t i = 0; i < g->ninputs; i++)
            if (is_act(g, g->inputs[i]))
                mark[g->inputs[i]] = 1;
        for (int32_t n = 0; n < g->nnodes; n++)
            for (int32_t k = 0; !g->nodes[n].dead && k < g->nodes[n].noutputs; k++)
                if (is_act(g, g->nodes[n].outputs[k]))
                    mark[g->nodes[n].outputs[k]] = 1;
    } else {
        int32_t *uses = pu_use_counts(g);
        uint8_t *hidden = dla_calloc((size_t)(g->nvalues ? g->nvalues : 1), 1);
        for (int32_t n = 0; n < g->nnodes; n++) {
            const IrNode *nd = &g->nodes[n];
            if (nd->dead || nd->device != IR_DEVICE_DLA)
                continue;
            if (quant_shuffle_tail(g, n) >= 0 || (nd->op == OP_TRANSPOSE && quant_shuffle_part(g, n)))
                hidden[nd->outputs[0]] = 1; /* no int8 value: inside a channel shuffle */
            if (quant_fused_act(g, n, uses) >= 0)
                hidden[nd->outputs[0]] = 1;
            if (act_group_role(g, n) == ACT_INNER) /* inside one QLut */
                hidden[nd->outputs[0]] = 1;
        }
        for (int32_t n = 0; n < g->nnodes; n++) {
            const IrNode *nd = &g->nodes[n];
            if (nd->dead || nd->device != IR_DEVICE_DLA)
                continue;
            /* activations only: Conv/Gemm weights and Clip bounds are constants */
            for (int32_t i = 0; i < nd->ninputs; i++)
                if (nd->inputs[i] >= 0 && !hidden[nd->inputs[i]] && is_act(g, nd->inputs[i]))
                    mark[nd->inputs[i]] = 1;
            for (int32_t k = 0; k < nd->noutputs; k++)
                if (nd->outputs[k] >= 0 && !hidden[nd->outputs[k]])
                    mark[nd->outputs[k]] = 1;
        }
        free(hidden);
        free(uses);
    }
    if (count) {
        int32_t c = 0;
        for (int32_t v = 0; v < g->nvalues; v++)
            c += mark[v];
        *count = c;
    }
    return mark;
}

DlaStatus pass_partition(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    (void)err;
    if (!ctx->quantize)
        return DLA_OK;
    for (int32_t n = 0; n < g->nnodes; n++)
        g->nodes[n].device = IR_DEVICE_HOST;
    /* Forward: a Relu/Clip's (or a data-movement node's) decision reads its
     * producer's, made before it; copies that only feed the host go back
     * afterwards (quant_move_demote). */
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        g->nodes[n].device = quant_dla_supported(g, n, NULL) ? IR_DEVICE_DLA : IR_DEVICE_HOST;
    }
    quant_move_demote(g); /* partition_move.c */
    return DLA_OK;
}
