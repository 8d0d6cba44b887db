/* shape_resize.c - shape functions of Resize (opsets 10, 11-13, 18+),
 * Upsample (opset 1 height/width_scale, 7 scales attribute, 9 scales input)
 * and CenterCropPad. A resized dim is floor(dim * scale) (times the roi
 * extent for tf_crop_and_resize), or the given size; keep_aspect_ratio_policy
 * (opset 18) scales every resized axis by one common factor. */
#include "shape_util.h"

#include <math.h>
#include <string.h>

#define MAXV 64

/* A present input with at least one element (Resize-11 passes "" or an empty
 * tensor for the unused one of scales/sizes). */
static IrValue *nonempty(IrGraph *g, int32_t node, int i)
{
    IrValue *v = shp_in(g, node, i);
    if (!v)
        return NULL;
    if (v->shape.rank == 1 && v->shape.dims[0] == 0)
        return NULL;
    return v;
}

DlaStatus ir_shape_resize(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int r = x->shape.rank;
    if (r < 0) {
        shp_set(y, x->dtype, NULL);
        return DLA_OK;
    }
    IrOp op = g->nodes[node].op;
    int nin = g->nodes[node].ninputs;
    IrValue *scales_v = NULL, *sizes_v = NULL, *roi_v = NULL;
    double scales[MAXV];
    int64_t nscales = -2; /* -2: no scales; -1: not constant */
    if (op == OP_UPSAMPLE) {
        if (shp_in(g, node, 1)) {
            scales_v = shp_in(g, node, 1);
        } else {
            const IrAttr *sa = ir_attr_find(g, node, "scales");
            if (sa && sa->type == IR_ATTR_FLOATS) {
                nscales = sa->n;
                for (int i = 0; i < sa->n && i < MAXV; i++)
                    scales[i] = sa->floats[i];
            } else if (r == 4) { /* Upsample-1 */
                nscales = 4;
                scales[0] = scales[1] = 1;
                scales[2] = ir_node_attr_f(g, node, "height_scale");
                scales[3] = ir_node_attr_f(g, node, "width_scale");
            } else {
                return shp_err(err, "no scales given");
            }
        }
    } else if (nin == 2 && ir_graph_opset(g, "") < 11) { /* Resize-10: (X, scales) */
        scales_v = shp_in(g, node, 1);
    } else {
        roi_v = nonempty(g, node, 1);
        scales_v = nonempty(g, node, 2);
        sizes_v = nonempty(g, node, 3);
    }
    if (scales_v && !sizes_v) {
        nscales = shp_const_doubles(scales_v, scales, MAXV);
        if (nscales >= 0 && !shp_dtype_is_float(scales_v->dtype))
            return shp_err(err, "scales %s must be floating point", shp_desc(g, node, 2));
    }
    /* axes (opset 18): the dims that scales/sizes refer to */
    int axes[IR_MAX_RANK], naxes = r;
    const int64_t *av;
    int32_t na = ir_attr_ints(g, node, "axes", &av);
    if (op == OP_RESIZE && na >= 0) {
        if (na > r)
            return shp_err(err, "attribute 'axes' has %d values for %s", na, shp_desc(g, node, 0));
        naxes = na;
        for (int i = 0; i < na; i++)
            if (!shp_axis(av[i], r, &axes[i]))
                return shp_err(err, "axis %lld is out of range for %s", (long long)av[i], shp_desc(g, node, 0));
    } else {
        for (int i = 0; i < r; i++)
            axes[i] = i;
    }
    IrShape s = x->shape;
    if (sizes_v) {
        int64_t sz[MAXV];
        int64_t n = shp_const_ints(sizes_v, sz, MAXV);
        if (n < 0) {
            for (int i = 0; i < naxes; i++)
                shp_dim(&s, axes[i], -1);
            shp_set(y, x->dtype, &s);
            return DLA_OK;
        }
        if (n != naxes)
            return shp_err(err, "sizes %s has %lld values, expected %d", shp_desc(g, node, 3), (long long)n, naxes);
        const char *pol = op == OP_RESIZE ? ir_node_attr_s(g, node, "keep_aspect_ratio_policy") : "stretch";
        if (!strcmp(pol, "stretch")) {
            for (int i = 0; i < naxes; i++) {
                if (sz[i] < 0)
                    return shp_err(err, "sizes %s has negative value", shp_desc(g, node, 3));
                shp_dim(&s, axes[i], sz[i]);
            }
        } else {
            int larger = !strcmp(pol, "not_smaller");
            if (!larger && strcmp(pol, "not_larger"))
                return shp_err(err, "attribute 'keep_aspect_ratio_policy' = '%s' is unknown", pol);
            double sc = larger ? 0 : INFINITY;
            for (int i = 0; i < naxes; i++) {
                int64_t d = x->shape.dims[axes[i]];
                if (d <= 0) {
                    sc = NAN;
                    break;
                }
                double q = (double)sz[i] / (double)d;
                sc = larger ? fmax(sc, q) : fmin(sc, q);
            }
            for (int i = 0; i < naxes; i++) {
                double o = floor(sc * (double)x->shape.dims[axes[i]] + 0.5);
                if (!isnan(sc) && !(o >= 0 && o < 9e18))
                    return shp_err(err, "sizes %s give an invalid output size", shp_desc(g, node, 3));
                shp_dim(&s, axes[i], isnan(sc) ? -1 : (int64_t)o);
            }
        }
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    if (nscales == -2 && !scales_v)
        return shp_err(err, "neither scales nor sizes is given");
    if (nscales < 0) {
        for (int i = 0; i < naxes; i++)
            shp_dim(&s, axes[i], -1);
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    if (nscales != naxes)
        return shp_err(err, "%lld scales for %d axes of %s", (long long)nscales, naxes, shp_desc(g, node, 0));
    double roi[2 * MAXV];
    int crop = op == OP_RESIZE && roi_v &&
               !strcmp(ir_node_attr_s(g, node, "coordinate_transformation_mode"), "tf_crop_and_resize");
    if (crop && shp_const_doubles(roi_v, roi, 2 * MAXV) != 2 * naxes)
        crop = -1;
    for (int i = 0; i < naxes; i++) {
        int64_t d = x->shape.dims[axes[i]];
        if (!(scales[i] > 0 && scales[i] < 1e9))
            return shp_err(err, "scale %g is not a positive size factor", scales[i]);
        if (d < 0 || crop < 0) {
            shp_dim(&s, axes[i], -1);
            continue;
        }
        /* single precision, as the spec's reference computes it */
        float ext = crop ? (float)(roi[naxes + i] - roi[i]) : 1.0f;
        float o = floorf((float)d * ext * (float)scales[i]);
        if (!(o >= 0 && o < 9e18f))
            return shp_err(err, "scale %g and roi give an invalid output size for axis %d", scales[i], axes[i]);
        shp_dim(&s, axes[i], (int64_t)o);
    }
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_center_crop_pad(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *sh = shp_in(g, node, 1);
    if (!x || !sh)
        return shp_missing(err, x ? 1 : 0);
    int r = x->shape.rank;
    if (r < 0) {
        shp_set(shp_out(g, node, 0), x->dtype, NULL);
        return DLA_OK;
    }
    int64_t v[MAXV];
    int64_t n = shp_const_ints(sh, v, MAXV);
    const int64_t *av;
    int32_t na = ir_attr_ints(g, node, "axes", &av);
    int naxes = na >= 0 ? na : r;
    if (naxes > r || (n >= 0 && n != naxes))
        return shp_err(err, "shape %s does not match the %d axes of %s", shp_desc(g, node, 1), naxes,
                       shp_desc(g, node, 0));
    IrShape s = x->shape;
    for (int i = 0; i < naxes; i++) {
        int a = i;
        if (na >= 0 && !shp_axis(av[i], r, &a))
            return shp_err(err, "axis %lld is out of range for %s", (long long)av[i], shp_desc(g, node, 0));
        shp_dim(&s, a, n >= 0 ? v[i] : -1);
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}
