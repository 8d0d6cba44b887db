/* shape_basic.c - shape functions of element-wise ops: the output mirrors an
 * input (unary), or is the numpy broadcast of the inputs (binary, variadic,
 * Where); plus Cast, Identity and Dropout. */
#include "shape_util.h"

DlaStatus ir_shape_unknown(IrGraph *g, int32_t node, DlaError *err)
{
    IrNode *nd = &g->nodes[node];
    return dla_errorf(err, DLA_ERR_UNSUPPORTED, "op type '%s' (domain '%s') is not supported", nd->op_type,
                      nd->domain[0] ? nd->domain : "ai.onnx");
}

DlaStatus ir_shape_unary(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    shp_set(shp_out(g, node, 0), x->dtype, &x->shape);
    return DLA_OK;
}

DlaStatus ir_shape_unary_bool(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    shp_set(shp_out(g, node, 0), DT_BOOL, &x->shape);
    return DLA_OK;
}

/* Identity also passes sequences and optionals through. */
DlaStatus ir_shape_identity(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    shp_set(y, x->dtype, &x->shape);
    if (y)
        y->flags |= x->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP);
    return DLA_OK;
}

DlaStatus ir_shape_cast(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrDtype to;
    if (g->nodes[node].op == OP_CAST_LIKE) {
        IrValue *t = shp_in(g, node, 1);
        if (!t)
            return shp_missing(err, 1);
        to = t->dtype;
    } else {
        int64_t code = ir_node_attr_i(g, node, "to");
        if (!ir_dtype_valid((int)code) || code == DT_UNDEFINED)
            return shp_err(err, "attribute 'to' = %lld is not a tensor element type", (long long)code);
        to = (IrDtype)code;
    }
    shp_set(shp_out(g, node, 0), to, &x->shape);
    return DLA_OK;
}

DlaStatus ir_shape_dropout(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    shp_set(shp_out(g, node, 0), x->dtype, &x->shape);
    /* the mask is bool since Dropout-10, of the input's type before */
    shp_set(shp_out(g, node, 1), ir_graph_opset(g, "") >= 10 ? DT_BOOL : x->dtype, &x->shape);
    return DLA_OK;
}

/* Broadcast inputs [first, ninputs) into *out. */
static DlaStatus broadcast_inputs(IrGraph *g, int32_t node, int first, int last, IrShape *out, DlaError *err)
{
    IrValue *a = shp_in(g, node, first);
    if (!a)
        return shp_missing(err, first);
    IrShape s = a->shape;
    for (int i = first + 1; i < last; i++) {
        IrValue *b = shp_in(g, node, i);
        if (!b)
            return shp_missing(err, i);
        IrShape r;
        if (!shp_broadcast(&s, &b->shape, &r)) {
            if (i == first + 1)
                return shp_err(err, "%s and %s cannot be broadcast together", shp_desc(g, node, first),
                               shp_desc(g, node, i));
            return shp_err(err, "%s cannot be broadcast with %s (the broadcast of the inputs before it)",
                           shp_desc(g, node, i), shp_sstr(&s));
        }
        s = r;
    }
    *out = s;
    return DLA_OK;
}

static DlaStatus binary(IrGraph *g, int32_t node, int is_bool, DlaError *err)
{
    IrValue *a = shp_in(g, node, 0), *b = shp_in(g, node, 1);
    if (!a || !b)
        return shp_missing(err, a ? 1 : 0);
    IrDtype dt = is_bool ? DT_BOOL : a->dtype;
    /* opset < 7: broadcasting only with broadcast=1, and B then matches a
     * contiguous run of A's dims, so the output is A's shape */
    const IrAttrSpec *bs = ir_op_attr_spec(g->nodes[node].op, "broadcast");
    if (bs && ir_graph_opset(g, "") < 7 && ir_node_attr_i(g, node, "broadcast")) {
        shp_set(shp_out(g, node, 0), dt, &a->shape);
        return DLA_OK;
    }
    IrShape s;
    DlaStatus st = broadcast_inputs(g, node, 0, 2, &s, err);
    if (st)
        return st;
    shp_set(shp_out(g, node, 0), dt, &s);
    return DLA_OK;
}

DlaStatus ir_shape_binary(IrGraph *g, int32_t node, DlaError *err) { return binary(g, node, 0, err); }
DlaStatus ir_shape_binary_bool(IrGraph *g, int32_t node, DlaError *err) { return binary(g, node, 1, err); }

DlaStatus ir_shape_variadic(IrGraph *g, int32_t node, DlaError *err)
{
    IrShape s;
    DlaStatus st = broadcast_inputs(g, node, 0, g->nodes[node].ninputs, &s, err);
    if (st)
        return st;
    shp_set(shp_out(g, node, 0), shp_in(g, node, 0)->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_where(IrGraph *g, int32_t node, DlaError *err)
{
    IrShape s;
    DlaStatus st = broadcast_inputs(g, node, 0, 3, &s, err);
    if (st)
        return st;
    shp_set(shp_out(g, node, 0), shp_in(g, node, 1)->dtype, &s);
    return DLA_OK;
}
