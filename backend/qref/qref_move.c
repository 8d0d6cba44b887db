/* qref_move.c - the integer reference of the data-movement Q-ops
 * (docs/quant.md, "Data movement"): QSlice, QTranspose, QReshape,
 * QChannelShuffle. Each output element is one input element, unchanged (the
 * output has the input's scale and zero point); tensors are in the IR's
 * logical row-major order. (QConcat, which may requantize, is in qref.c.) */
#include "qref_int.h"

#include <string.h>

#include "ops.h"

static DlaStatus bad(const IrGraph *g, int32_t node, const char *what, DlaError *err)
{
    return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): %s", g->nodes[node].name, g->nodes[node].op_type,
                      what);
}

/* Row-major strides of shape s (elements). */
static void strides_of(const IrShape *s, int64_t *st)
{
    int64_t p = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        st[i] = p;
        p *= s->dims[i];
    }
}

/* Y[i_0..i_{r-1}] = X[base + sum i_k * xs[k]] over Y's dims, row-major. */
static void gather(const IrShape *ys, const int64_t *xs, int64_t base, const int8_t *x, int8_t *y)
{
    int64_t idx[IR_MAX_RANK] = {0}, n = ir_shape_numel(ys);
    for (int64_t o = 0; o < n; o++) {
        int64_t off = base;
        for (int k = 0; k < ys->rank; k++)
            off += idx[k] * xs[k];
        y[o] = x[off];
        for (int k = ys->rank - 1; k >= 0; k--) {
            if (++idx[k] < ys->dims[k])
                break;
            idx[k] = 0;
        }
    }
}

DlaStatus qref_move(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    int32_t xv = nd->inputs[0], yv = nd->outputs[0];
    const IrValue *X = &g->values[xv], *Y = &g->values[yv];
    if (X->dtype != DT_INT8 || Y->dtype != DT_INT8 || !ir_shape_known(&X->shape) || !ir_shape_known(&Y->shape))
        return bad(g, node, "input and output must be int8 of known shapes", err);
    if (X->quant.count != 1 || Y->quant.count != 1 || X->quant.scale[0] != Y->quant.scale[0] ||
        X->quant.zero_point[0] != Y->quant.zero_point[0])
        return bad(g, node, "input and output must have the same per-tensor scale and zero point", err);
    const IrShape *xs = &X->shape, *ys = &Y->shape;
    const int8_t *x = vals[xv];
    int8_t *y = vals[yv];
    int64_t st[IR_MAX_RANK], gs[IR_MAX_RANK], base = 0;
    strides_of(xs, st);
    switch (nd->op) {
    case OP_QRESHAPE:
        if (ir_shape_numel(xs) != ir_shape_numel(ys))
            return bad(g, node, "element counts differ", err);
        memcpy(y, x, (size_t)ir_shape_numel(xs)); /* row-major order is kept */
        return DLA_OK;
    case OP_QSLICE: {
        const int64_t *s, *p;
        if (ir_attr_ints(g, node, "starts", &s) != xs->rank || ir_attr_ints(g, node, "steps", &p) != xs->rank ||
            ys->rank != xs->rank)
            return bad(g, node, "starts/steps need one value per axis", err);
        for (int k = 0; k < xs->rank; k++) {
            if (s[k] < 0 || p[k] < 1 || s[k] + (ys->dims[k] - 1) * p[k] >= xs->dims[k])
                return bad(g, node, "slice out of range", err);
            base += s[k] * st[k];
            gs[k] = st[k] * p[k];
        }
        break;
    }
    case OP_QTRANSPOSE: {
        const int64_t *perm;
        if (ir_attr_ints(g, node, "perm", &perm) != xs->rank || ys->rank != xs->rank)
            return bad(g, node, "perm needs one value per axis", err);
        for (int k = 0; k < xs->rank; k++) {
            if (perm[k] < 0 || perm[k] >= xs->rank || ys->dims[k] != xs->dims[perm[k]])
                return bad(g, node, "bad perm", err);
            gs[k] = st[perm[k]];
        }
        break;
    }
    case OP_QCHANNEL_SHUFFLE: {
        /* Y[n, j*G + i, h, w] = X[n, i*(C/G) + j, h, w]: as the 5-D gather
         * over Y viewed as [N, C/G, G, H, W] */
        int64_t G = ir_node_attr_i(g, node, "group"), C = xs->dims[1];
        if (xs->rank != 4 || G < 1 || C % G || ys->rank != 4)
            return bad(g, node, "needs [N,C,H,W] with C a multiple of group", err);
        int64_t d5[5] = {xs->dims[0], C / G, G, xs->dims[2], xs->dims[3]};
        IrShape y5 = ir_shape_make(5, d5);
        int64_t g5[5] = {st[0], st[1], (C / G) * st[1], st[2], st[3]};
        gather(&y5, g5, 0, x, y);
        return DLA_OK;
    }
    default:
        return bad(g, node, "not a data-movement op", err);
    }
    gather(ys, gs, base, x, y);
    return DLA_OK;
}
