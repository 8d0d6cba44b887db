/* shape_reduce.c - shape functions of reductions (Reduce*, ArgMax/ArgMin,
 * TopK). Reduce* take their axes as an attribute (opset < 18, ReduceSum < 13)
 * or as an optional second input (constant, or the output dims are unknown). */
#include "shape_util.h"

DlaStatus ir_shape_reduce(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *ax_in = shp_in(g, node, 1), *y = shp_out(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int keep = ir_node_attr_i(g, node, "keepdims") != 0;
    int noop = ir_node_attr_i(g, node, "noop_with_empty_axes") != 0;
    int64_t axes[IR_MAX_RANK * 2];
    int64_t nax = 0;
    if (ax_in) {
        nax = shp_const_ints(ax_in, axes, IR_MAX_RANK * 2);
        if (nax < 0) { /* axes known only at run time */
            if (ax_in->shape.rank == 1 && ax_in->shape.dims[0] == 0)
                nax = 0;
            else {
                IrShape s = keep && x->shape.rank >= 0 ? shp_rank(x->shape.rank) : shp_unknown();
                shp_set(y, x->dtype, &s);
                return DLA_OK;
            }
        }
        if (nax > IR_MAX_RANK * 2)
            return shp_err(err, "axes %s has too many values", shp_desc(g, node, 1));
    } else {
        const int64_t *a;
        int32_t n = ir_attr_ints(g, node, "axes", &a);
        for (int32_t i = 0; i < n && i < IR_MAX_RANK * 2; i++)
            axes[i] = a[i];
        nax = n < 0 ? 0 : n;
        if (n > IR_MAX_RANK * 2)
            return shp_err(err, "attribute 'axes' has too many values");
    }
    if (x->shape.rank < 0) {
        shp_set(y, x->dtype, NULL);
        return DLA_OK;
    }
    int r = x->shape.rank;
    if (nax == 0 && noop) {
        shp_set(y, x->dtype, &x->shape);
        return DLA_OK;
    }
    int red[IR_MAX_RANK] = {0};
    for (int64_t i = 0; i < nax; i++) {
        int a;
        if (!shp_axis(axes[i], r, &a))
            return shp_err(err, "axis %lld is out of range for %s", (long long)axes[i], shp_desc(g, node, 0));
        red[a] = 1;
    }
    IrShape s = shp_rank(0);
    for (int i = 0; i < r; i++) {
        if (nax == 0 || red[i]) {
            if (keep)
                shp_dim(&s, s.rank++, 1);
        } else {
            shp_copy_dim(&s, s.rank++, &x->shape, i);
        }
    }
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_argmax(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrShape s = x->shape;
    if (s.rank >= 0) {
        int a;
        DlaStatus st = shp_attr_axis(g, node, s.rank, &a, err);
        if (st)
            return st;
        if (ir_node_attr_i(g, node, "keepdims")) {
            shp_dim(&s, a, 1);
        } else {
            for (int i = a; i + 1 < s.rank; i++)
                shp_copy_dim(&s, i, &x->shape, i + 1);
            s.rank--;
        }
    }
    shp_set(shp_out(g, node, 0), DT_INT64, &s);
    return DLA_OK;
}

DlaStatus ir_shape_topk(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *kv = shp_in(g, node, 1);
    if (!x)
        return shp_missing(err, 0);
    int64_t k = -1;
    if (kv) {
        if (kv->shape.rank > 1 || (kv->shape.rank == 1 && kv->shape.dims[0] >= 0 && kv->shape.dims[0] != 1))
            return shp_err(err, "k %s must hold one value", shp_desc(g, node, 1));
        if (!shp_const_int1(kv, &k))
            k = -1;
    } else if (ir_attr_find(g, node, "k")) {
        k = ir_node_attr_i(g, node, "k");
    } else {
        return shp_err(err, "k is neither an input nor an attribute");
    }
    IrShape s = x->shape;
    if (s.rank >= 0) {
        int a;
        DlaStatus st = shp_attr_axis(g, node, s.rank, &a, err);
        if (st)
            return st;
        if (k < -1 || (k >= 0 && s.dims[a] >= 0 && k > s.dims[a]))
            return shp_err(err, "k = %lld is out of range for axis %d of %s", (long long)k, a, shp_desc(g, node, 0));
        shp_dim(&s, a, k);
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    shp_set(shp_out(g, node, 1), DT_INT64, &s);
    return DLA_OK;
}
