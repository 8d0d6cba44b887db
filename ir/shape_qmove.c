/* shape_qmove.c - shape functions of the dlacc data-movement Q-ops
 * (docs/quant.md, "Data movement"): QSlice, QTranspose, QReshape,
 * QChannelShuffle. int8 in, int8 out; the ONNX formulas with the attributes
 * the quantizer normalizes (full-rank starts/ends/steps, an explicit perm, a
 * shape whose 0 entries copy the input's dim). */
#include "shape_util.h"

static DlaStatus want_int8(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *v = shp_in(g, node, 0);
    if (!v)
        return shp_missing(err, 0);
    if (v->dtype != DT_UNDEFINED && v->dtype != DT_INT8)
        return shp_err(err, "%s must be int8", shp_desc(g, node, 0));
    return DLA_OK;
}

/* QSlice(X) starts, ends, steps: one per axis, 0 <= start, step >= 1. */
DlaStatus ir_shape_qslice(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st = want_int8(g, node, err);
    if (st)
        return st;
    IrValue *x = shp_in(g, node, 0);
    const int64_t *s, *e, *p;
    int r = x->shape.rank;
    if (r < 0 || ir_attr_ints(g, node, "starts", &s) != r || ir_attr_ints(g, node, "ends", &e) != r ||
        ir_attr_ints(g, node, "steps", &p) != r)
        return shp_err(err, "attributes starts, ends, steps need one value per axis of %s", shp_desc(g, node, 0));
    IrShape out = x->shape;
    for (int i = 0; i < r; i++) {
        if (s[i] < 0 || p[i] < 1 || e[i] < s[i])
            return shp_err(err, "axis %d: start %lld, end %lld, step %lld (needs 0 <= start <= end, step >= 1)", i,
                           (long long)s[i], (long long)e[i], (long long)p[i]);
        int64_t d = x->shape.dims[i];
        if (d < 0) {
            if (s[i] != 0 || p[i] != 1)
                return shp_err(err, "axis %d of unknown size can only be taken whole", i);
            continue;
        }
        int64_t end = e[i] < d ? e[i] : d;
        if (s[i] >= end)
            return shp_err(err, "axis %d: empty slice", i);
        shp_dim(&out, i, (end - s[i] - 1) / p[i] + 1);
    }
    shp_set(shp_out(g, node, 0), DT_INT8, &out);
    return DLA_OK;
}

DlaStatus ir_shape_qtranspose(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st = want_int8(g, node, err);
    return st ? st : ir_shape_transpose(g, node, err);
}

/* QReshape(X) shape: the output dims, 0 = the input's dim at that index. */
DlaStatus ir_shape_qreshape(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st = want_int8(g, node, err);
    if (st)
        return st;
    IrValue *x = shp_in(g, node, 0);
    const int64_t *d;
    int32_t r = ir_attr_ints(g, node, "shape", &d);
    if (r < 1 || r > IR_MAX_RANK)
        return shp_err(err, "attribute 'shape' must have 1..%d values", IR_MAX_RANK);
    IrShape out = shp_rank(r);
    for (int i = 0; i < r; i++) {
        if (d[i] < 0 || (d[i] == 0 && i >= x->shape.rank))
            return shp_err(err, "attribute 'shape'[%d] = %lld is invalid", i, (long long)d[i]);
        if (d[i] == 0)
            shp_copy_dim(&out, i, &x->shape, i);
        else
            shp_dim(&out, i, d[i]);
    }
    if (ir_shape_known(&x->shape) && ir_shape_known(&out) && ir_shape_numel(&x->shape) != ir_shape_numel(&out))
        return shp_err(err, "%s has %lld elements, the shape %lld", shp_desc(g, node, 0),
                       (long long)ir_shape_numel(&x->shape), (long long)ir_shape_numel(&out));
    shp_set(shp_out(g, node, 0), DT_INT8, &out);
    return DLA_OK;
}

/* QChannelShuffle(X [N,C,H,W]) group: C a multiple of group. */
DlaStatus ir_shape_qshuffle(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st = want_int8(g, node, err);
    if (st)
        return st;
    IrValue *x = shp_in(g, node, 0);
    int64_t grp = ir_node_attr_i(g, node, "group");
    if (x->shape.rank != 4 || grp < 1 || (x->shape.dims[1] >= 0 && x->shape.dims[1] % grp))
        return shp_err(err, "%s must be [N,C,H,W] with C a multiple of group %lld", shp_desc(g, node, 0),
                       (long long)grp);
    return ir_shape_unary(g, node, err);
}
