/* shape_basic.c - shape functions for ops whose output mirrors an input. */
#include "ops.h"

DlaStatus ir_shape_unknown(IrGraph *g, int32_t node, DlaError *err)
{
    IrNode *nd = &g->nodes[node];
    return dla_errorf(err, DLA_ERR_UNSUPPORTED, "node '%s': op type '%s' is not supported",
                      nd->name, nd->op_type);
}

DlaStatus ir_shape_unary(IrGraph *g, int32_t node, DlaError *err)
{
    (void)err;
    IrNode *nd = &g->nodes[node];
    const IrValue *x = &g->values[nd->inputs[0]];
    IrValue *y = &g->values[nd->outputs[0]];
    y->dtype = x->dtype;
    y->shape = x->shape;
    return DLA_OK;
}

DlaStatus ir_shape_conv(IrGraph *g, int32_t node, DlaError *err)
{
    IrNode *nd = &g->nodes[node];
    return dla_errorf(err, DLA_ERR_UNSUPPORTED, "node '%s': Conv shape inference not written yet", nd->name);
}
