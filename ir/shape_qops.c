/* shape_qops.c - shape functions of the dlacc-domain quantized ops
 * (docs/quant.md): QConv, QGemm, QAdd (and QSub, QMul, QMax, QMin), QMaxPool, QAvgPool, QGlobalAvgPool,
 * QLut, QConcat (backend/qref.h). They check the integer dtypes the contract fixes (int8 activations and
 * weights, int32 bias), the lengths of the per-channel attributes, and then
 * reuse the ONNX shape formulas of Conv / pooling (shape_conv.c). */
#include "shape_util.h"

#include <string.h>

/* A known dtype that is not `want` is an error (undefined dtypes pass: unknown). */
static DlaStatus want_dtype(IrGraph *g, int32_t node, int i, IrDtype want, DlaError *err)
{
    IrValue *v = shp_in(g, node, i);
    if (v && v->dtype != DT_UNDEFINED && v->dtype != want)
        return shp_err(err, "%s must be %s", shp_desc(g, node, i), ir_dtype_name(want));
    return DLA_OK;
}

static DlaStatus want_floats(IrGraph *g, int32_t node, const char *name, int64_t n, DlaError *err)
{
    const IrAttr *a = ir_attr_find(g, node, name);
    if (!a || a->type != IR_ATTR_FLOATS)
        return shp_err(err, "attribute '%s' (floats) is required", name);
    if (n >= 0 && a->n != n)
        return shp_err(err, "attribute '%s' has %d values, expected %lld", name, a->n, (long long)n);
    return DLA_OK;
}

static DlaStatus want_bounds(IrGraph *g, int32_t node, DlaError *err)
{
    int64_t lo = ir_node_attr_i(g, node, "lo"), hi = ir_node_attr_i(g, node, "hi");
    if (lo < -128 || hi > 127 || lo > hi)
        return shp_err(err, "attributes lo=%lld, hi=%lld must satisfy -128 <= lo <= hi <= 127", (long long)lo,
                       (long long)hi);
    return DLA_OK;
}

/* QConv(X int8 [N,C,H,W], W int8 [OC,C/group,KH,KW], B int32 [OC]) -> int8. */
DlaStatus ir_shape_qconv(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st;
    if ((st = want_dtype(g, node, 0, DT_INT8, err)) || (st = want_dtype(g, node, 1, DT_INT8, err)) ||
        (st = want_dtype(g, node, 2, DT_INT32, err)) || (st = want_bounds(g, node, err)))
        return st;
    IrValue *w = shp_in(g, node, 1), *b = shp_in(g, node, 2);
    if (!b)
        return shp_missing(err, 2);
    int64_t oc = w && w->shape.rank >= 1 ? w->shape.dims[0] : -1;
    if (b->shape.rank >= 0 && oc >= 0 && (b->shape.rank != 1 || (b->shape.dims[0] >= 0 && b->shape.dims[0] != oc)))
        return shp_err(err, "bias %s does not match %s", shp_desc(g, node, 2), shp_desc(g, node, 1));
    if ((st = want_floats(g, node, "scale", oc, err)) || (st = ir_shape_conv(g, node, err)))
        return st;
    IrValue *y = shp_out(g, node, 0);
    if (y)
        y->dtype = DT_INT8;
    return DLA_OK;
}

/* QGemm(X int8 [M,K], W int8 [N,K], B int32 [N]) -> int8 [M,N]. */
DlaStatus ir_shape_qgemm(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st;
    if ((st = want_dtype(g, node, 0, DT_INT8, err)) || (st = want_dtype(g, node, 1, DT_INT8, err)) ||
        (st = want_dtype(g, node, 2, DT_INT32, err)) || (st = want_bounds(g, node, err)))
        return st;
    IrValue *x = shp_in(g, node, 0), *w = shp_in(g, node, 1), *b = shp_in(g, node, 2);
    if (!x || !w || !b)
        return shp_missing(err, !x ? 0 : !w ? 1 : 2);
    /* [M,K,1,1] (a global pool's result) is accepted as [M,K]: same bytes in NHWC. */
    IrShape xs = x->shape;
    if (xs.rank == 4 && xs.dims[2] == 1 && xs.dims[3] == 1)
        xs.rank = 2;
    if (xs.rank >= 0 && xs.rank != 2)
        return shp_err(err, "%s must have rank 2 [M,K] (or [M,K,1,1])", shp_desc(g, node, 0));
    if (w->shape.rank >= 0 && w->shape.rank != 2)
        return shp_err(err, "%s must have rank 2 [N,K]", shp_desc(g, node, 1));
    if (b->shape.rank >= 0 && b->shape.rank != 1)
        return shp_err(err, "%s must have rank 1 [N]", shp_desc(g, node, 2));
    int64_t k = xs.rank == 2 ? xs.dims[1] : -1;
    int64_t n = w->shape.rank == 2 ? w->shape.dims[0] : -1, wk = w->shape.rank == 2 ? w->shape.dims[1] : -1;
    if (k >= 0 && wk >= 0 && k != wk)
        return shp_err(err, "%s and %s disagree on K", shp_desc(g, node, 0), shp_desc(g, node, 1));
    if (n >= 0 && b->shape.rank == 1 && b->shape.dims[0] >= 0 && b->shape.dims[0] != n)
        return shp_err(err, "bias %s does not match %s", shp_desc(g, node, 2), shp_desc(g, node, 1));
    if ((st = want_floats(g, node, "scale", n, err)))
        return st;
    IrShape s = shp_rank(2);
    if (xs.rank == 2)
        shp_copy_dim(&s, 0, &xs, 0);
    shp_dim(&s, 1, n);
    shp_set(shp_out(g, node, 0), DT_INT8, &s);
    return DLA_OK;
}

/* QAdd, QSub, QMul, QMax, QMin (A int8, B int8) -> int8: ONNX
 * (multidirectional) broadcasting of A and B. */
DlaStatus ir_shape_qbinary(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st;
    if ((st = want_dtype(g, node, 0, DT_INT8, err)) || (st = want_dtype(g, node, 1, DT_INT8, err)) ||
        (st = want_bounds(g, node, err)))
        return st;
    IrValue *a = shp_in(g, node, 0), *b = shp_in(g, node, 1);
    if (!a || !b)
        return shp_missing(err, a ? 1 : 0);
    IrShape s;
    if (!shp_broadcast(&a->shape, &b->shape, &s))
        return shp_err(err, "%s and %s cannot be broadcast together", shp_desc(g, node, 0), shp_desc(g, node, 1));
    shp_set(shp_out(g, node, 0), DT_INT8, &s);
    return DLA_OK;
}

/* QMaxPool, QAvgPool: ONNX pooling output sizes. */
DlaStatus ir_shape_qpool(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st;
    if ((st = want_dtype(g, node, 0, DT_INT8, err)))
        return st;
    if (g->nodes[node].op == OP_QAVG_POOL) {
        /* one scale, or one per window count 1..kh*kw (docs/quant.md) */
        const int64_t *k;
        int64_t kk = ir_attr_ints(g, node, "kernel_shape", &k) == 2 ? k[0] * k[1] : 1;
        const IrAttr *a = ir_attr_find(g, node, "scale");
        if ((st = want_floats(g, node, "scale", -1, err)))
            return st;
        if (a->n != 1 && a->n != kk)
            return shp_err(err, "attribute 'scale' has %d values, expected 1 or %lld (one per window count)", a->n,
                           (long long)kk);
    }
    return ir_shape_pool(g, node, err);
}

/* QGlobalAvgPool, QGlobalMaxPool: [N,C,1,1], or [N,C] with keepdims = 0. */
DlaStatus ir_shape_qglobal_pool(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st;
    if ((st = want_dtype(g, node, 0, DT_INT8, err)) ||
        (g->nodes[node].op == OP_QGLOBAL_AVG_POOL && (st = want_floats(g, node, "scale", 1, err))) ||
        (st = ir_shape_global_pool(g, node, err)))
        return st;
    IrValue *y = shp_out(g, node, 0);
    if (!ir_node_attr_i(g, node, "keepdims") && y->shape.rank == 4) {
        IrShape s = y->shape;
        s.rank = 2;
        shp_set(y, y->dtype, &s);
    }
    return DLA_OK;
}

/* QPad(X int8 [N,C,H,W]) -> [N, C, H+top+bottom, W+left+right]; pads =
 * [top, left, bottom, right] >= 0; mode constant, reflect (pads < the
 * padded dim) or edge. */
DlaStatus ir_shape_qpad(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st;
    if ((st = want_dtype(g, node, 0, DT_INT8, err)))
        return st;
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    const int64_t *p;
    if (ir_attr_ints(g, node, "pads", &p) != 4)
        return shp_err(err, "attribute 'pads' must have 4 values [top, left, bottom, right]");
    const char *mode = ir_node_attr_s(g, node, "mode");
    int reflect = !strcmp(mode, "reflect");
    if (!reflect && strcmp(mode, "constant") && strcmp(mode, "edge"))
        return shp_err(err, "mode '%s' is not constant, reflect or edge", mode);
    int64_t v = ir_node_attr_i(g, node, "value");
    if (v < -128 || v > 127)
        return shp_err(err, "attribute 'value' = %lld is not an int8", (long long)v);
    for (int i = 0; i < 4; i++)
        if (p[i] < 0 || p[i] > ((int64_t)1 << 30))
            return shp_err(err, "pads[%d] = %lld is out of range", i, (long long)p[i]);
    IrShape s = x->shape;
    if (s.rank >= 0) {
        if (s.rank != 4)
            return shp_err(err, "%s must have rank 4 (NCHW)", shp_desc(g, node, 0));
        for (int i = 0; i < 2; i++) {
            int64_t d = s.dims[2 + i];
            if (d >= 0 && reflect && (p[i] >= d || p[i + 2] >= d))
                return shp_err(err, "reflect pads %lld/%lld must be smaller than dim %lld", (long long)p[i],
                               (long long)p[i + 2], (long long)d);
            shp_dim(&s, 2 + i, d < 0 ? -1 : d + p[i] + p[i + 2]);
        }
    }
    shp_set(shp_out(g, node, 0), DT_INT8, &s);
    return DLA_OK;
}

/* QLut(X int8) -> int8 through table[256] of int8 values. */
DlaStatus ir_shape_qlut(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st;
    if ((st = want_dtype(g, node, 0, DT_INT8, err)))
        return st;
    const int64_t *t;
    int32_t n = ir_attr_ints(g, node, "table", &t);
    if (n != 256)
        return shp_err(err, "attribute 'table' has %d values, expected 256", n);
    for (int i = 0; i < 256; i++)
        if (t[i] < -128 || t[i] > 127)
            return shp_err(err, "attribute 'table'[%d] = %lld is not an int8", i, (long long)t[i]);
    return ir_shape_unary(g, node, err);
}

/* QConcat(X1..Xn int8) -> int8: ONNX Concat shapes; scale[i] per input. */
DlaStatus ir_shape_qconcat(IrGraph *g, int32_t node, DlaError *err)
{
    DlaStatus st;
    for (int i = 0; i < g->nodes[node].ninputs; i++)
        if ((st = want_dtype(g, node, i, DT_INT8, err)))
            return st;
    if ((st = want_floats(g, node, "scale", g->nodes[node].ninputs, err)) || (st = ir_shape_concat(g, node, err)))
        return st;
    IrValue *y = shp_out(g, node, 0);
    if (y)
        y->dtype = DT_INT8;
    return DLA_OK;
}
