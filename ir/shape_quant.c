/* shape_quant.c - shape functions of QuantizeLinear, DequantizeLinear and
 * DynamicQuantizeLinear (QLinearConv/QLinearMatMul/ConvInteger/MatMulInteger
 * share the conv and matmul functions). */
#include "shape_util.h"

/* scale/zero point: a scalar / 1-element tensor (per tensor), or 1-D along
 * axis; blocked quantization (opset 21 block_size > 0) has them of x's rank. */
static DlaStatus check_qparams(IrGraph *g, int32_t node, const IrValue *x, DlaError *err)
{
    if (ir_node_attr_i(g, node, "block_size") != 0)
        return DLA_OK;
    for (int i = 1; i <= 2; i++) {
        IrValue *p = shp_in(g, node, i);
        if (!p || p->shape.rank < 0)
            continue;
        if (p->shape.rank == 0 || (p->shape.rank == 1 && p->shape.dims[0] == 1))
            continue;
        if (p->shape.rank != 1)
            return shp_err(err, "%s must be a scalar or 1-D", shp_desc(g, node, i));
        if (x->shape.rank >= 0) {
            int a;
            if (!shp_axis(ir_node_attr_i(g, node, "axis"), x->shape.rank, &a))
                return shp_err(err, "axis %lld is out of range for %s", (long long)ir_node_attr_i(g, node, "axis"),
                               shp_desc(g, node, 0));
            if (x->shape.dims[a] >= 0 && p->shape.dims[0] >= 0 && x->shape.dims[a] != p->shape.dims[0])
                return shp_err(err, "%s does not match axis %d of %s", shp_desc(g, node, i), a, shp_desc(g, node, 0));
        }
    }
    return DLA_OK;
}

DlaStatus ir_shape_quantize(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *zp = shp_in(g, node, 2);
    if (!x || !shp_in(g, node, 1))
        return shp_missing(err, x ? 1 : 0);
    DlaStatus st = check_qparams(g, node, x, err);
    if (st)
        return st;
    /* output_dtype (opset 21), else the zero point's type, else uint8 */
    IrDtype dt = zp && zp->dtype != DT_UNDEFINED ? zp->dtype : DT_UINT8;
    int64_t od = ir_node_attr_i(g, node, "output_dtype");
    if (od != 0) {
        if (!ir_dtype_valid((int)od))
            return shp_err(err, "attribute 'output_dtype' = %lld is not a tensor element type", (long long)od);
        if (zp && zp->dtype != DT_UNDEFINED && zp->dtype != (IrDtype)od)
            return shp_err(err, "attribute 'output_dtype' (%s) disagrees with %s", ir_dtype_name((IrDtype)od),
                           shp_desc(g, node, 2));
        dt = (IrDtype)od;
    }
    shp_set(shp_out(g, node, 0), dt, &x->shape);
    return DLA_OK;
}

DlaStatus ir_shape_dequantize(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *sc = shp_in(g, node, 1);
    if (!x || !sc)
        return shp_missing(err, x ? 1 : 0);
    DlaStatus st = check_qparams(g, node, x, err);
    if (st)
        return st;
    /* float32 before opset 19, the scale's type since (float32 in practice) */
    shp_set(shp_out(g, node, 0), shp_dtype_is_float(sc->dtype) ? sc->dtype : DT_FLOAT, &x->shape);
    return DLA_OK;
}

DlaStatus ir_shape_dyn_quantize(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrShape sc = shp_rank(0);
    shp_set(shp_out(g, node, 0), DT_UINT8, &x->shape);
    shp_set(shp_out(g, node, 1), DT_FLOAT, &sc);
    shp_set(shp_out(g, node, 2), DT_UINT8, &sc);
    return DLA_OK;
}
