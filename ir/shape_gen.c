/* shape_gen.c - shape functions of ops that create tensors: Constant,
 * ConstantOfShape, Range, OneHot, the random generators, and the "like" ops
 * (EyeLike, Bernoulli, Random*Like) whose shape is the input's and whose dtype
 * is the `dtype` attribute when present. */
#include "shape_util.h"

#include <math.h>
#include <string.h>

DlaStatus ir_shape_constant(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *y = shp_out(g, node, 0);
    const IrNode *nd = &g->nodes[node];
    if (nd->nattrs != 1)
        return shp_err(err, "exactly one value attribute is required, the node has %d attributes", nd->nattrs);
    const IrAttr *a = &nd->attrs[0];
    IrShape s = shp_rank(0);
    if (!strcmp(a->name, "value") && a->type == IR_ATTR_TENSOR && a->t) {
        shp_set(y, a->t->dtype, &a->t->shape);
        return DLA_OK;
    }
    if (!strcmp(a->name, "value_float") && a->type == IR_ATTR_FLOAT) {
        shp_set(y, DT_FLOAT, &s);
    } else if (!strcmp(a->name, "value_int") && a->type == IR_ATTR_INT) {
        shp_set(y, DT_INT64, &s);
    } else if (!strcmp(a->name, "value_string") && a->type == IR_ATTR_STRING) {
        shp_set(y, DT_STRING, &s);
    } else if (!strcmp(a->name, "value_floats") && a->type == IR_ATTR_FLOATS) {
        s = shp_rank(1);
        shp_dim(&s, 0, a->n);
        shp_set(y, DT_FLOAT, &s);
    } else if (!strcmp(a->name, "value_ints") && a->type == IR_ATTR_INTS) {
        s = shp_rank(1);
        shp_dim(&s, 0, a->n);
        shp_set(y, DT_INT64, &s);
    } else if (!strcmp(a->name, "value_strings") && a->type == IR_ATTR_STRINGS) {
        s = shp_rank(1);
        shp_dim(&s, 0, a->n);
        shp_set(y, DT_STRING, &s);
    } else {
        return shp_err(err, "attribute '%s' is not a supported constant value", a->name);
    }
    return DLA_OK;
}

DlaStatus ir_shape_constant_of_shape(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    const IrAttr *va = ir_attr_find(g, node, "value");
    IrDtype dt = DT_FLOAT;
    if (va && va->type == IR_ATTR_TENSOR && va->t) {
        if (ir_shape_numel(&va->t->shape) != 1)
            return shp_err(err, "attribute 'value' must hold exactly one element");
        dt = va->t->dtype;
    }
    int64_t sh[IR_MAX_RANK + 1];
    int64_t n = shp_const_ints(x, sh, IR_MAX_RANK + 1);
    IrShape s;
    if (n > IR_MAX_RANK)
        return shp_err(err, "shape %s has more than %d values", shp_desc(g, node, 0), IR_MAX_RANK);
    if (n >= 0) {
        for (int64_t i = 0; i < n; i++)
            if (sh[i] < 0)
                return shp_err(err, "shape %s has negative dim %lld", shp_desc(g, node, 0), (long long)sh[i]);
        s = ir_shape_make((int)n, sh);
    } else {
        s = x->shape.rank == 1 && x->shape.dims[0] >= 0 && x->shape.dims[0] <= IR_MAX_RANK
                ? shp_rank((int)x->shape.dims[0])
                : shp_unknown();
    }
    shp_set(shp_out(g, node, 0), dt, &s);
    return DLA_OK;
}

/* EyeLike, Bernoulli, RandomNormalLike, RandomUniformLike. */
DlaStatus ir_shape_like(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrDtype dt = x->dtype;
    if (ir_attr_find(g, node, "dtype")) {
        int64_t c = ir_node_attr_i(g, node, "dtype");
        if (!ir_dtype_valid((int)c) || c == DT_UNDEFINED)
            return shp_err(err, "attribute 'dtype' = %lld is not a tensor element type", (long long)c);
        dt = (IrDtype)c;
    }
    if (g->nodes[node].op == OP_EYE_LIKE && x->shape.rank >= 0 && x->shape.rank != 2)
        return shp_err(err, "%s has rank %d, expected 2", shp_desc(g, node, 0), x->shape.rank);
    shp_set(shp_out(g, node, 0), dt, &x->shape);
    return DLA_OK;
}

DlaStatus ir_shape_random(IrGraph *g, int32_t node, DlaError *err)
{
    const int64_t *sh;
    int32_t n = ir_attr_ints(g, node, "shape", &sh);
    if (n < 0 || n > IR_MAX_RANK)
        return shp_err(err, "attribute 'shape' is required (at most %d dims)", IR_MAX_RANK);
    int64_t c = ir_node_attr_i(g, node, "dtype");
    if (!ir_dtype_valid((int)c) || c == DT_UNDEFINED)
        return shp_err(err, "attribute 'dtype' = %lld is not a tensor element type", (long long)c);
    IrShape s = ir_shape_make(n, sh);
    shp_set(shp_out(g, node, 0), (IrDtype)c, &s);
    return DLA_OK;
}

DlaStatus ir_shape_multinomial(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    if (x->shape.rank >= 0 && x->shape.rank != 2)
        return shp_err(err, "%s has rank %d, expected 2 [batch, classes]", shp_desc(g, node, 0), x->shape.rank);
    int64_t c = ir_node_attr_i(g, node, "dtype");
    if (c != DT_INT32 && c != DT_INT64)
        return shp_err(err, "attribute 'dtype' = %lld is not int32 or int64", (long long)c);
    IrShape s = shp_rank(2);
    if (x->shape.rank == 2)
        shp_copy_dim(&s, 0, &x->shape, 0);
    shp_dim(&s, 1, ir_node_attr_i(g, node, "sample_size"));
    shp_set(shp_out(g, node, 0), (IrDtype)c, &s);
    return DLA_OK;
}

DlaStatus ir_shape_onehot(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *idx = shp_in(g, node, 0), *depth = shp_in(g, node, 1), *vals = shp_in(g, node, 2);
    if (!idx || !depth || !vals)
        return shp_missing(err, !idx ? 0 : !depth ? 1 : 2);
    if (idx->shape.rank < 0) {
        shp_set(shp_out(g, node, 0), vals->dtype, NULL);
        return DLA_OK;
    }
    int r = idx->shape.rank + 1, a;
    if (r > IR_MAX_RANK)
        return shp_err(err, "result rank exceeds %d", IR_MAX_RANK);
    if (!shp_axis(ir_node_attr_i(g, node, "axis"), r, &a))
        return shp_err(err, "axis %lld is out of range for output rank %d", (long long)ir_node_attr_i(g, node, "axis"), r);
    double d;
    int64_t dd = -1;
    if (shp_const_doubles(depth, &d, 1) == 1) {
        if (!(d >= 1 && d < 9e18))
            return shp_err(err, "depth %g is not a valid size", d);
        dd = (int64_t)d;
    }
    IrShape s = shp_rank(r);
    for (int i = 0, k = 0; i < r; i++) {
        if (i == a)
            shp_dim(&s, i, dd);
        else
            shp_copy_dim(&s, i, &idx->shape, k++);
    }
    shp_set(shp_out(g, node, 0), vals->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_range(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *st = shp_in(g, node, 0), *li = shp_in(g, node, 1), *de = shp_in(g, node, 2);
    if (!st || !li || !de)
        return shp_missing(err, !st ? 0 : !li ? 1 : 2);
    for (int i = 0; i < 3; i++) {
        IrValue *v = shp_in(g, node, i);
        if (v->shape.rank > 0 && ir_shape_numel(&v->shape) != 1)
            return shp_err(err, "%s must be a scalar", shp_desc(g, node, i));
    }
    IrShape s = shp_rank(1);
    if (shp_dtype_is_int(st->dtype)) {
        int64_t a, b, c;
        if (shp_const_int1(st, &a) && shp_const_int1(li, &b) && shp_const_int1(de, &c)) {
            if (c == 0)
                return shp_err(err, "delta is 0");
            int64_t num;
            if (__builtin_sub_overflow(b, a, &num) || c == INT64_MIN)
                return shp_err(err, "range bounds overflow");
            int64_t n = c > 0 ? (num > 0 ? (num - 1) / c + 1 : 0) : (num < 0 ? (-(num + 1)) / (-c) + 1 : 0);
            shp_dim(&s, 0, n);
        }
    } else {
        double a, b, c;
        if (shp_const_doubles(st, &a, 1) == 1 && shp_const_doubles(li, &b, 1) == 1 &&
            shp_const_doubles(de, &c, 1) == 1) {
            if (c == 0)
                return shp_err(err, "delta is 0");
            double n = ceil((b - a) / c);
            if (!(n < 1e15))
                return shp_err(err, "range has too many elements");
            shp_dim(&s, 0, n > 0 ? (int64_t)n : 0);
        }
    }
    shp_set(shp_out(g, node, 0), st->dtype, &s);
    return DLA_OK;
}
