/* shape_conv.c - shape functions of convolutions and pooling, following the
 * output-size formulas of the ONNX spec (Conv, ConvTranspose, MaxPool):
 *   NOTSET:     out = floor((in + pad_begin + pad_end - ((k-1)*d + 1)) / s) + 1
 *               (ceil instead of floor with ceil_mode=1, dropping a last window
 *               that would start inside the end padding)
 *   SAME_*:     out = ceil(in / s)
 *   VALID:      out = floor((in - ((k-1)*d + 1)) / s) + 1
 *   transposed: out = s*(in-1) + output_padding + ((k-1)*d + 1) - pad_begin - pad_end */
#include "shape_util.h"

#include <string.h>

/* Spatial attributes of a conv/pool node, checked against the spatial rank. */
typedef struct ConvAttrs {
    int nsp;
    int64_t k[IR_MAX_RANK], s[IR_MAX_RANK], d[IR_MAX_RANK], pads[2 * IR_MAX_RANK];
    const char *auto_pad;
} ConvAttrs;

static DlaStatus ints_attr(IrGraph *g, int32_t node, const char *name, int want, int64_t dflt, int64_t *out,
                           DlaError *err)
{
    const int64_t *v;
    int32_t n = ir_op_attr_spec(g->nodes[node].op, name) ? ir_attr_ints(g, node, name, &v) : -1;
    if (n < 0) {
        for (int i = 0; i < want; i++)
            out[i] = dflt;
        return DLA_OK;
    }
    if (n != want)
        return shp_err(err, "attribute '%s' has %d values, expected %d", name, n, want);
    for (int i = 0; i < want; i++)
        out[i] = v[i];
    return DLA_OK;
}

/* kernel_from: the weight tensor whose dims [2:] give the kernel when the
 * kernel_shape attribute is absent (NULL for pooling: then it is required). */
static DlaStatus conv_attrs(IrGraph *g, int32_t node, int nsp, const IrValue *kernel_from, ConvAttrs *a,
                            DlaError *err)
{
    DlaStatus st;
    a->nsp = nsp;
    const int64_t *ks;
    int32_t nk = ir_attr_ints(g, node, "kernel_shape", &ks);
    if (nk >= 0) {
        if (nk != nsp)
            return shp_err(err, "attribute 'kernel_shape' has %d values, expected %d (spatial rank)", nk, nsp);
        for (int i = 0; i < nsp; i++)
            a->k[i] = ks[i];
    } else if (kernel_from && kernel_from->shape.rank == nsp + 2) {
        for (int i = 0; i < nsp; i++)
            a->k[i] = kernel_from->shape.dims[i + 2];
    } else if (kernel_from) {
        for (int i = 0; i < nsp; i++)
            a->k[i] = -1;
    } else {
        return shp_err(err, "attribute 'kernel_shape' is required");
    }
    for (int i = 0; i < nsp; i++)
        if (a->k[i] == 0 || a->k[i] < -1)
            return shp_err(err, "kernel dim %d is %lld", i, (long long)a->k[i]);
    if ((st = ints_attr(g, node, "strides", nsp, 1, a->s, err)) ||
        (st = ints_attr(g, node, "dilations", nsp, 1, a->d, err)) ||
        (st = ints_attr(g, node, "pads", 2 * nsp, 0, a->pads, err)))
        return st;
    /* beyond 2^40 no tensor fits in memory: rejecting such values keeps all
     * the size arithmetic below free of overflow */
    const int64_t lim = (int64_t)1 << 40;
    for (int i = 0; i < nsp; i++) {
        if (a->s[i] <= 0 || a->s[i] > lim)
            return shp_err(err, "attribute 'strides' has invalid value %lld", (long long)a->s[i]);
        if (a->d[i] <= 0 || a->d[i] > lim)
            return shp_err(err, "attribute 'dilations' has invalid value %lld", (long long)a->d[i]);
        if (a->k[i] > lim)
            return shp_err(err, "kernel dim %d is %lld", i, (long long)a->k[i]);
    }
    for (int i = 0; i < 2 * nsp; i++)
        if (a->pads[i] < 0 || a->pads[i] > lim)
            return shp_err(err, "attribute 'pads' has invalid value %lld", (long long)a->pads[i]);
    a->auto_pad = ir_op_attr_spec(g->nodes[node].op, "auto_pad") ? ir_node_attr_s(g, node, "auto_pad") : "NOTSET";
    if (strcmp(a->auto_pad, "NOTSET") && strcmp(a->auto_pad, "SAME_UPPER") && strcmp(a->auto_pad, "SAME_LOWER") &&
        strcmp(a->auto_pad, "VALID"))
        return shp_err(err, "attribute 'auto_pad' = '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", a->auto_pad);
    return DLA_OK;
}

/* Output size of one spatial dim (-1 if unknown); -2 if the window does not fit. */
static int64_t window_out(const ConvAttrs *a, int i, int64_t in, int ceil_mode)
{
    if (in < 0 || a->k[i] < 0)
        return -1;
    int64_t dk, s = a->s[i];
    if (!shp_mul(a->k[i] - 1, a->d[i], &dk) || dk > (int64_t)1 << 40)
        return -2; /* an absurd kernel never fits */
    dk += 1;
    if (!strcmp(a->auto_pad, "SAME_UPPER") || !strcmp(a->auto_pad, "SAME_LOWER"))
        return in / s + (in % s != 0);
    int64_t pb = 0, pe = 0;
    if (!strcmp(a->auto_pad, "NOTSET")) {
        pb = a->pads[i];
        pe = a->pads[i + a->nsp];
    }
    if (pb > (int64_t)1 << 40 || pe > (int64_t)1 << 40)
        return -2;
    int64_t num = in + pb + pe - dk;
    if (num < 0)
        return -2;
    int64_t out = num / s + (ceil_mode && num % s != 0) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb)
        out--;
    return out;
}

static DlaStatus spatial_out(IrGraph *g, int32_t node, const ConvAttrs *a, const IrShape *x, int ceil_mode,
                             IrShape *y, DlaError *err)
{
    for (int i = 0; i < a->nsp; i++) {
        int64_t o = window_out(a, i, x->dims[i + 2], ceil_mode);
        if (o == -2)
            return shp_err(err, "%s: spatial dim %d (%lld) is smaller than the (dilated, padded) kernel %lld",
                           shp_desc(g, node, 0), i, (long long)x->dims[i + 2], (long long)a->k[i]);
        shp_dim(y, i + 2, o);
    }
    return DLA_OK;
}

/* Conv, ConvInteger, QLinearConv. */
DlaStatus ir_shape_conv(IrGraph *g, int32_t node, DlaError *err)
{
    IrOp op = g->nodes[node].op;
    int wi = op == OP_QLINEAR_CONV ? 3 : 1;
    IrValue *x = shp_in(g, node, 0), *w = shp_in(g, node, wi), *y = shp_out(g, node, 0);
    if (!x || !w)
        return shp_missing(err, x ? wi : 0);
    IrDtype dt = x->dtype;
    if (op == OP_CONV_INTEGER)
        dt = DT_INT32;
    else if (op == OP_QLINEAR_CONV)
        dt = shp_in(g, node, 7) ? shp_in(g, node, 7)->dtype : DT_UINT8;
    int r = x->shape.rank >= 0 ? x->shape.rank : w->shape.rank;
    if (r < 0) {
        shp_set(y, dt, NULL);
        return DLA_OK;
    }
    if (r < 3)
        return shp_err(err, "%s has rank %d, expected at least 3 (N, C, spatial...)", shp_desc(g, node, 0), r);
    if (x->shape.rank >= 0 && w->shape.rank >= 0 && w->shape.rank != x->shape.rank)
        return shp_err(err, "%s and %s differ in rank", shp_desc(g, node, 0), shp_desc(g, node, wi));
    int64_t group = ir_node_attr_i(g, node, "group");
    if (group <= 0)
        return shp_err(err, "attribute 'group' = %lld is not positive", (long long)group);
    ConvAttrs a;
    DlaStatus st = conv_attrs(g, node, r - 2, w, &a, err);
    if (st)
        return st;
    if (x->shape.rank >= 0 && w->shape.rank >= 0) {
        int64_t c = x->shape.dims[1], wc = w->shape.dims[1];
        if (c >= 0 && wc >= 0 && c != wc * group)
            return shp_err(err, "%s has %lld channels but %s with group=%lld expects %lld", shp_desc(g, node, 0),
                           (long long)c, shp_desc(g, node, wi), (long long)group, (long long)(wc * group));
        if (w->shape.dims[0] >= 0 && w->shape.dims[0] % group)
            return shp_err(err, "%s: output channels %lld not divisible by group %lld", shp_desc(g, node, wi),
                           (long long)w->shape.dims[0], (long long)group);
        for (int i = 0; i < r - 2; i++)
            if (w->shape.dims[i + 2] >= 0 && a.k[i] >= 0 && w->shape.dims[i + 2] != a.k[i])
                return shp_err(err, "attribute 'kernel_shape' disagrees with %s", shp_desc(g, node, wi));
    }
    IrValue *b = op == OP_CONV ? shp_in(g, node, 2) : NULL;
    if (b && b->shape.rank >= 0 && w->shape.rank >= 0) {
        if (b->shape.rank != 1 || (b->shape.dims[0] >= 0 && w->shape.dims[0] >= 0 && b->shape.dims[0] != w->shape.dims[0]))
            return shp_err(err, "bias %s does not match %s", shp_desc(g, node, 2), shp_desc(g, node, 1));
    }
    IrShape s = shp_rank(r);
    if (x->shape.rank >= 0)
        shp_copy_dim(&s, 0, &x->shape, 0);
    if (w->shape.rank >= 0)
        shp_copy_dim(&s, 1, &w->shape, 0);
    if (x->shape.rank >= 0 && (st = spatial_out(g, node, &a, &x->shape, 0, &s, err)))
        return st;
    shp_set(y, dt, &s);
    return DLA_OK;
}

DlaStatus ir_shape_conv_transpose(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *w = shp_in(g, node, 1), *y = shp_out(g, node, 0);
    if (!x || !w)
        return shp_missing(err, x ? 1 : 0);
    int r = x->shape.rank >= 0 ? x->shape.rank : w->shape.rank;
    if (r < 0) {
        shp_set(y, x->dtype, NULL);
        return DLA_OK;
    }
    if (r < 3)
        return shp_err(err, "%s has rank %d, expected at least 3 (N, C, spatial...)", shp_desc(g, node, 0), r);
    if (x->shape.rank >= 0 && w->shape.rank >= 0 && w->shape.rank != x->shape.rank)
        return shp_err(err, "%s and %s differ in rank", shp_desc(g, node, 0), shp_desc(g, node, 1));
    int64_t group = ir_node_attr_i(g, node, "group");
    if (group <= 0)
        return shp_err(err, "attribute 'group' = %lld is not positive", (long long)group);
    int nsp = r - 2;
    ConvAttrs a;
    int64_t opad[IR_MAX_RANK];
    DlaStatus st = conv_attrs(g, node, nsp, w, &a, err);
    if (!st)
        st = ints_attr(g, node, "output_padding", nsp, 0, opad, err);
    if (st)
        return st;
    if (x->shape.rank >= 0 && w->shape.rank >= 0 && x->shape.dims[1] >= 0 && w->shape.dims[0] >= 0 &&
        x->shape.dims[1] != w->shape.dims[0])
        return shp_err(err, "%s has %lld channels but %s expects %lld", shp_desc(g, node, 0),
                       (long long)x->shape.dims[1], shp_desc(g, node, 1), (long long)w->shape.dims[0]);
    IrShape s = shp_rank(r);
    if (x->shape.rank >= 0)
        shp_copy_dim(&s, 0, &x->shape, 0);
    if (w->shape.rank >= 0 && w->shape.dims[1] >= 0)
        shp_dim(&s, 1, w->shape.dims[1] * group);
    const int64_t *os;
    int32_t nos = ir_attr_ints(g, node, "output_shape", &os);
    if (nos >= 0 && nos != nsp && nos != r)
        return shp_err(err, "attribute 'output_shape' has %d values, expected %d", nos, nsp);
    for (int i = 0; i < nsp; i++) {
        if (nos >= 0) {
            shp_dim(&s, i + 2, os[nos - nsp + i]);
            continue;
        }
        int64_t in = x->shape.rank >= 0 ? x->shape.dims[i + 2] : -1;
        if (in < 0 || a.k[i] < 0) {
            shp_dim(&s, i + 2, -1);
            continue;
        }
        int64_t o;
        if (!strcmp(a.auto_pad, "SAME_UPPER") || !strcmp(a.auto_pad, "SAME_LOWER")) {
            if (!shp_mul(in, a.s[i], &o))
                return shp_err(err, "output size of spatial dim %d overflows", i);
        }
        else {
            int64_t pads = strcmp(a.auto_pad, "VALID") ? a.pads[i] + a.pads[i + nsp] : 0;
            int64_t t1, t2;
            if (!shp_mul(a.s[i], in - 1, &t1) || !shp_mul(a.k[i] - 1, a.d[i], &t2) || !shp_add(t1, t2, &o) ||
                !shp_add(o, opad[i], &o) || opad[i] < 0 || pads > (int64_t)1 << 40)
                return shp_err(err, "output size of spatial dim %d overflows", i);
            o = o + 1 - pads;
        }
        if (o < 0)
            return shp_err(err, "%s: output spatial dim %d would be negative (%lld)", shp_desc(g, node, 0), i,
                           (long long)o);
        shp_dim(&s, i + 2, o);
    }
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

/* AveragePool, MaxPool (+ int64 Indices), LpPool. */
DlaStatus ir_shape_pool(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrOp op = g->nodes[node].op;
    IrShape s = shp_unknown();
    if (x->shape.rank >= 0) {
        int r = x->shape.rank;
        if (r < 3)
            return shp_err(err, "%s has rank %d, expected at least 3 (N, C, spatial...)", shp_desc(g, node, 0), r);
        ConvAttrs a;
        DlaStatus st = conv_attrs(g, node, r - 2, NULL, &a, err);
        if (st)
            return st;
        s = x->shape;
        if ((st = spatial_out(g, node, &a, &x->shape, (int)ir_node_attr_i(g, node, "ceil_mode"), &s, err)))
            return st;
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    if (op == OP_MAX_POOL)
        shp_set(shp_out(g, node, 1), DT_INT64, &s);
    return DLA_OK;
}

DlaStatus ir_shape_global_pool(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrShape s = x->shape;
    if (s.rank >= 0 && s.rank < 3)
        return shp_err(err, "%s has rank %d, expected at least 3 (N, C, spatial...)", shp_desc(g, node, 0), s.rank);
    for (int i = 2; i < s.rank; i++)
        shp_dim(&s, i, 1);
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_max_unpool(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *os = shp_in(g, node, 2);
    if (!x || !shp_in(g, node, 1))
        return shp_missing(err, x ? 1 : 0);
    IrShape s = x->shape;
    int64_t v[IR_MAX_RANK];
    int64_t n = shp_const_ints(os, v, IR_MAX_RANK);
    if (n > IR_MAX_RANK)
        return shp_err(err, "output_shape %s has more than %d values", shp_desc(g, node, 2), IR_MAX_RANK);
    if (n >= 0) {
        s = ir_shape_make((int)n, v);
    } else if (os) {
        s = os->shape.rank == 1 && os->shape.dims[0] >= 0 ? shp_rank((int)os->shape.dims[0]) : shp_unknown();
    } else if (s.rank >= 0) {
        if (s.rank < 3)
            return shp_err(err, "%s has rank %d, expected at least 3", shp_desc(g, node, 0), s.rank);
        ConvAttrs a;
        DlaStatus st = conv_attrs(g, node, s.rank - 2, NULL, &a, err);
        if (st)
            return st;
        for (int i = 0; i < a.nsp; i++) {
            int64_t in = x->shape.dims[i + 2];
            int64_t o = -1;
            if (in >= 0 && (!shp_mul(in - 1, a.s[i], &o) || !shp_add(o, a.k[i], &o) ||
                            a.pads[i] + a.pads[i + a.nsp] > (int64_t)1 << 40 || o - a.pads[i] - a.pads[i + a.nsp] < 0))
                return shp_err(err, "output size of spatial dim %d is invalid", i);
            if (in >= 0)
                o -= a.pads[i] + a.pads[i + a.nsp];
            shp_dim(&s, i + 2, o);
        }
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

/* RoiAlign [R, C, oh, ow] and MaxRoiPool [R, C, ph, pw]; R = rois.dims[0]. */
DlaStatus ir_shape_roi(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *rois = shp_in(g, node, 1);
    if (!x || !rois)
        return shp_missing(err, x ? 1 : 0);
    if (x->shape.rank >= 0 && x->shape.rank != 4)
        return shp_err(err, "%s has rank %d, expected 4", shp_desc(g, node, 0), x->shape.rank);
    if (rois->shape.rank >= 0 && rois->shape.rank != 2)
        return shp_err(err, "rois %s has rank %d, expected 2", shp_desc(g, node, 1), rois->shape.rank);
    IrShape s = shp_rank(4);
    if (rois->shape.rank == 2)
        shp_copy_dim(&s, 0, &rois->shape, 0);
    if (x->shape.rank == 4)
        shp_copy_dim(&s, 1, &x->shape, 1);
    if (g->nodes[node].op == OP_ROI_ALIGN) {
        shp_dim(&s, 2, ir_node_attr_i(g, node, "output_height"));
        shp_dim(&s, 3, ir_node_attr_i(g, node, "output_width"));
    } else {
        const int64_t *ps;
        if (ir_attr_ints(g, node, "pooled_shape", &ps) != 2)
            return shp_err(err, "attribute 'pooled_shape' must have 2 values");
        shp_dim(&s, 2, ps[0]);
        shp_dim(&s, 3, ps[1]);
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

/* DepthToSpace [N, C/b^2, H*b, W*b], SpaceToDepth [N, C*b^2, H/b, W/b]. */
DlaStatus ir_shape_depth_space(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int64_t b = ir_node_attr_i(g, node, "blocksize");
    if (b <= 0 || b > (int64_t)1 << 20)
        return shp_err(err, "attribute 'blocksize' = %lld is not a valid block size", (long long)b);
    IrShape s = x->shape;
    if (s.rank >= 0) {
        if (s.rank != 4)
            return shp_err(err, "%s has rank %d, expected 4", shp_desc(g, node, 0), s.rank);
        int d2s = g->nodes[node].op == OP_DEPTH_TO_SPACE;
        const int64_t *d = x->shape.dims;
        if (d2s && d[1] >= 0 && d[1] % (b * b))
            return shp_err(err, "%s: channels not divisible by blocksize^2 = %lld", shp_desc(g, node, 0),
                           (long long)(b * b));
        if (!d2s && ((d[2] >= 0 && d[2] % b) || (d[3] >= 0 && d[3] % b)))
            return shp_err(err, "%s: spatial dims not divisible by blocksize %lld", shp_desc(g, node, 0),
                           (long long)b);
        int64_t o[4] = {-1, -1, -1, -1};
        if ((d[1] >= 0 && !d2s && !shp_mul(d[1], b * b, &o[1])) ||
            (d2s && ((d[2] >= 0 && !shp_mul(d[2], b, &o[2])) || (d[3] >= 0 && !shp_mul(d[3], b, &o[3])))))
            return shp_err(err, "%s: output dims overflow", shp_desc(g, node, 0));
        if (d2s && d[1] >= 0)
            o[1] = d[1] / (b * b);
        for (int i = 2; i < 4 && !d2s; i++)
            o[i] = d[i] < 0 ? -1 : d[i] / b;
        for (int i = 1; i < 4; i++)
            shp_dim(&s, i, o[i]);
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

/* GridSample: [N, C, grid spatial...] from X [N, C, ...] and grid [N, ..., r-2]. */
DlaStatus ir_shape_grid_sample(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *grid = shp_in(g, node, 1);
    if (!x || !grid)
        return shp_missing(err, x ? 1 : 0);
    int r = x->shape.rank >= 0 ? x->shape.rank : grid->shape.rank;
    if (r < 0) {
        shp_set(shp_out(g, node, 0), x->dtype, NULL);
        return DLA_OK;
    }
    if (r < 3 || (x->shape.rank >= 0 && grid->shape.rank >= 0 && x->shape.rank != grid->shape.rank))
        return shp_err(err, "%s and grid %s do not have the same rank >= 3", shp_desc(g, node, 0),
                       shp_desc(g, node, 1));
    IrShape s = shp_rank(r);
    if (x->shape.rank >= 0) {
        shp_copy_dim(&s, 0, &x->shape, 0);
        shp_copy_dim(&s, 1, &x->shape, 1);
    }
    if (grid->shape.rank >= 0)
        for (int i = 2; i < r; i++)
            shp_copy_dim(&s, i, &grid->shape, i - 1);
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

/* Col2Im: input [N, C*prod(block), L], image_shape and block_shape constants. */
DlaStatus ir_shape_col2im(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *img = shp_in(g, node, 1), *blk = shp_in(g, node, 2);
    if (!x || !img || !blk)
        return shp_missing(err, !x ? 0 : !img ? 1 : 2);
    int64_t iv[IR_MAX_RANK], bv[IR_MAX_RANK];
    int64_t ni = shp_const_ints(img, iv, IR_MAX_RANK), nb = shp_const_ints(blk, bv, IR_MAX_RANK);
    if (ni < 0 || ni + 2 > IR_MAX_RANK) {
        shp_set(shp_out(g, node, 0), x->dtype, NULL);
        return DLA_OK;
    }
    IrShape s = shp_rank((int)ni + 2);
    if (x->shape.rank == 3) {
        shp_copy_dim(&s, 0, &x->shape, 0);
        int64_t prod = 1;
        for (int64_t i = 0; i < nb && nb == ni; i++)
            if (bv[i] <= 0 || !shp_mul(prod, bv[i], &prod))
                return shp_err(err, "block_shape %s is invalid", shp_desc(g, node, 2));
        if (nb == ni && prod > 0 && x->shape.dims[1] >= 0)
            shp_dim(&s, 1, x->shape.dims[1] / prod);
    }
    for (int64_t i = 0; i < ni; i++)
        shp_dim(&s, (int)i + 2, iv[i]);
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}
