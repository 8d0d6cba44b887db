/* shape_qupsample.c - shape functions of the dlacc upsampling Q-ops
 * (docs/quant.md, "Upsampling"): QResize (nearest / bilinear by integer
 * factors), QZeroInsert (the zero-inserted input of a ConvTranspose) and
 * QInterleave (the stride phases of a ConvTranspose merged into its output). */
#include "shape_util.h"

#include <string.h>

/* The int8 NCHW input and the 2 spatial ints of attribute `name` (>= 1). */
static DlaStatus qup_args(IrGraph *g, int32_t node, const char *name, IrValue **x, int64_t f[2], DlaError *err)
{
    *x = shp_in(g, node, 0);
    if (!*x)
        return shp_missing(err, 0);
    if ((*x)->dtype != DT_UNDEFINED && (*x)->dtype != DT_INT8)
        return shp_err(err, "%s must be int8", shp_desc(g, node, 0));
    if ((*x)->shape.rank >= 0 && (*x)->shape.rank != 4)
        return shp_err(err, "%s must be NCHW (rank 4)", shp_desc(g, node, 0));
    const int64_t *v;
    if (ir_attr_ints(g, node, name, &v) != 2 || v[0] < 1 || v[1] < 1)
        return shp_err(err, "attribute '%s' must be 2 positive ints (H, W)", name);
    f[0] = v[0], f[1] = v[1];
    return DLA_OK;
}

/* QResize(X int8 [N,C,H,W]) -> int8 [N,C,H*fh,W*fw], factors = [fh, fw]. */
DlaStatus ir_shape_qresize(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x;
    int64_t f[2];
    DlaStatus st = qup_args(g, node, "factors", &x, f, err);
    if (st)
        return st;
    const char *mode = ir_attr_string(g, node, "mode", "nearest");
    if (strcmp(mode, "nearest") && strcmp(mode, "linear"))
        return shp_err(err, "attribute 'mode' is '%s', expected nearest or linear", mode);
    IrShape s = x->shape;
    for (int i = 0; s.rank == 4 && i < 2; i++) {
        int64_t d = s.dims[2 + i];
        if (d >= 0 && !shp_mul(d, f[i], &d))
            return shp_err(err, "output size overflows");
        if (f[i] != 1)
            shp_dim(&s, 2 + i, d);
    }
    shp_set(shp_out(g, node, 0), DT_INT8, &s);
    return DLA_OK;
}

/* QZeroInsert(X int8 [N,C,H,W]) -> int8 [N,C,(H-1)*sh+1,(W-1)*sw+1]. */
DlaStatus ir_shape_qzero_insert(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x;
    int64_t s2[2];
    DlaStatus st = qup_args(g, node, "strides", &x, s2, err);
    if (st)
        return st;
    IrShape s = x->shape;
    for (int i = 0; s.rank == 4 && i < 2; i++) {
        int64_t d = s.dims[2 + i];
        if (d == 0)
            return shp_err(err, "%s has an empty spatial dim", shp_desc(g, node, 0));
        if (d > 0 && (!shp_mul(d - 1, s2[i], &d) || !shp_add(d, 1, &d)))
            return shp_err(err, "output size overflows");
        if (s2[i] != 1)
            shp_dim(&s, 2 + i, d);
    }
    shp_set(shp_out(g, node, 0), DT_INT8, &s);
    return DLA_OK;
}

/* QInterleave(P_0 .. P_{sh*sw-1} int8 [N,C,>=Mh,>=Mw]) -> int8 [N,C,OH,OW] with
 * sizes = [OH, OW], strides = [sh, sw]: phase (ph, pw) = input ph*sw + pw
 * fills rows ph + sh*m and columns pw + sw*w; Mh = ceil((OH-ph)/sh). */
DlaStatus ir_shape_qinterleave(IrGraph *g, int32_t node, DlaError *err)
{
    const int64_t *sz, *st;
    if (ir_attr_ints(g, node, "sizes", &sz) != 2 || sz[0] < 1 || sz[1] < 1)
        return shp_err(err, "attribute 'sizes' must be 2 positive ints (OH, OW)");
    if (ir_attr_ints(g, node, "strides", &st) != 2 || st[0] < 1 || st[1] < 1 || st[0] > sz[0] || st[1] > sz[1])
        return shp_err(err, "attribute 'strides' must be 2 positive ints no larger than 'sizes'");
    if (g->nodes[node].ninputs != st[0] * st[1])
        return shp_err(err, "needs strides[0] * strides[1] = %lld inputs, has %d", (long long)(st[0] * st[1]),
                       (int)g->nodes[node].ninputs);
    IrValue *x0 = NULL;
    for (int i = 0; i < g->nodes[node].ninputs; i++) {
        IrValue *x = shp_in(g, node, i);
        if (!x)
            return shp_missing(err, i);
        if (x->dtype != DT_UNDEFINED && x->dtype != DT_INT8)
            return shp_err(err, "%s must be int8", shp_desc(g, node, i));
        if (x->shape.rank >= 0 && x->shape.rank != 4)
            return shp_err(err, "%s must be NCHW (rank 4)", shp_desc(g, node, i));
        int64_t ph = i / st[1], pw = i % st[1], need[2] = {(sz[0] - ph + st[0] - 1) / st[0], (sz[1] - pw + st[1] - 1) / st[1]};
        for (int d = 0; x->shape.rank == 4 && d < 2; d++)
            if (x->shape.dims[2 + d] >= 0 && x->shape.dims[2 + d] < need[d])
                return shp_err(err, "%s is %s, phase (%lld, %lld) needs %lld x %lld", shp_desc(g, node, i),
                               shp_sstr(&x->shape), (long long)ph, (long long)pw, (long long)need[0], (long long)need[1]);
        if (!x0)
            x0 = x;
    }
    IrShape s = x0->shape.rank == 4 ? x0->shape : shp_rank(4);
    shp_dim(&s, 2, sz[0]);
    shp_dim(&s, 3, sz[1]);
    shp_set(shp_out(g, node, 0), DT_INT8, &s);
    return DLA_OK;
}
