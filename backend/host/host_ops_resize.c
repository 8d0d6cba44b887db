/* host_ops_resize.c - Resize (opset 10-19) and Upsample.
 *
 * Resizing is separable: along each dim, output position o reads a few input
 * positions ("taps") with weights that depend only on o. Because shapes are
 * static, the taps and weights of every dim are computed here at compile time,
 * following the ONNX reference definition (onnx/reference/ops/op_resize.py):
 * the source coordinate x from coordinate_transformation_mode, the n input
 * positions nearest to x (ties to the lower index, edge-clamped; n = 2 for
 * nearest and linear, 4 for cubic) and their coefficients (nearest_mode,
 * linear, cubic with cubic_coeff_a and exclude_outside). The generated code is
 * a loop nest over the output with an inner nest over the taps of every dim:
 *     y[o] = sum_t prod_d w_d[o_d, t_d] * x[idx_0[o_0, t_0], ..., idx_r[o_r, t_r]]
 * with the tables as constant data; tf_crop_and_resize positions outside the
 * input give extrapolation_value. */
#include "host_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RS_MAXT 4

typedef struct RsDim {
    int taps;
    int64_t *idx;  /* [out * taps] element offsets (index * input stride) */
    float *w;      /* [out * taps] */
    uint8_t *outside; /* [out] */
} RsDim;

/* out is the reference's "output width": scale * in, unrounded. */
static double src_coord(const char *ctm, int64_t o, double scale, int64_t in, double out, double rs, double re)
{
    double x = (double)o;
    if (!strcmp(ctm, "half_pixel"))
        return (x + 0.5) / scale - 0.5;
    if (!strcmp(ctm, "pytorch_half_pixel"))
        return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    if (!strcmp(ctm, "align_corners"))
        return out == 1 ? 0.0 : x * (double)(in - 1) / (out - 1);
    if (!strcmp(ctm, "asymmetric"))
        return x / scale;
    if (!strcmp(ctm, "tf_half_pixel_for_nn"))
        return (x + 0.5) / scale;
    if (!strcmp(ctm, "half_pixel_symmetric")) {
        double adj = out / (scale * (double)in);
        double center = (double)in / 2;
        double offset = center * (1 - adj);
        return offset + (x + 0.5) / scale - 0.5;
    }
    /* tf_crop_and_resize */
    return out > 1 ? rs * (double)(in - 1) + x * (re - rs) * (double)(in - 1) / (out - 1)
                   : 0.5 * (rs + re) * (double)(in - 1);
}

static int ctm_known(const char *c)
{
    static const char *const k[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                    "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric", NULL};
    for (int i = 0; k[i]; i++)
        if (!strcmp(k[i], c))
            return 1;
    return 0;
}

/* coefficients for ratio in (0, 1] */
static int coeffs(int mode, const char *nm, double ratio, double A, double *cf)
{
    if (mode == 0) { /* nearest */
        if (ratio == floor(ratio)) {
            cf[0] = 0, cf[1] = 1;
        } else if (!strcmp(nm, "round_prefer_floor")) {
            cf[0] = ratio <= 0.5, cf[1] = ratio > 0.5;
        } else if (!strcmp(nm, "round_prefer_ceil")) {
            cf[0] = ratio < 0.5, cf[1] = ratio >= 0.5;
        } else if (!strcmp(nm, "floor")) {
            cf[0] = 1, cf[1] = 0;
        } else {
            cf[0] = 0, cf[1] = 1;
        }
        return 2;
    }
    if (mode == 1) {
        cf[0] = 1 - ratio, cf[1] = ratio;
        return 2;
    }
    double r = ratio, s = 1 - ratio;
    cf[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
    cf[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
    cf[2] = ((A + 2) * s - (A + 3)) * s * s + 1;
    cf[3] = ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A;
    return 4;
}

typedef struct RsState {
    int r;
    IrDtype dt;
    RsDim *dim;
    LLVMValueRef idxp[IR_MAX_RANK], wp[IR_MAX_RANK], outp[IR_MAX_RANK];
    HostNest taps;
    LLVMValueRef xp, yp, acc, extrap;
    const LLVMValueRef *oidx;
    int any_outside;
    int64_t yst[IR_MAX_RANK];
} RsState;

static void rs_tap(HostCtx *c, const LLVMValueRef *tidx, void *user)
{
    RsState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMValueRef off = host_i64(c, 0), w = NULL;
    int t = 0;
    for (int d = 0; d < s->r; d++) {
        int T = s->dim[d].taps;
        LLVMValueRef ti = T > 1 ? tidx[t++] : host_i64(c, 0);
        LLVMValueRef e = LLVMBuildAdd(B, LLVMBuildMul(B, s->oidx[d], host_i64(c, T), ""), ti, "");
        off = LLVMBuildAdd(B, off, host_load(c, s->idxp[d], DT_INT64, e), "");
        LLVMValueRef wd = host_load(c, s->wp[d], DT_FLOAT, e);
        w = w ? LLVMBuildFMul(B, w, wd, "") : wd;
    }
    LLVMValueRef v = host_convert(c, host_load(c, s->xp, s->dt, off), s->dt, DT_FLOAT);
    LLVMValueRef a = LLVMBuildLoad2(B, c->t_f32, s->acc, "");
    LLVMBuildStore(B, LLVMBuildFAdd(B, a, LLVMBuildFMul(B, w, v, ""), ""), s->acc);
}

static void rs_out(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    RsState *s = user;
    s->oidx = idx;
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f32, 0), s->acc);
    host_nest_emit(c, &s->taps, rs_tap, s);
    LLVMValueRef v = host_convert(c, LLVMBuildLoad2(c->b, c->t_f32, s->acc, ""), DT_FLOAT, s->dt);
    if (s->any_outside) {
        LLVMValueRef out = LLVMConstInt(c->t_i1, 0, 0);
        for (int d = 0; d < s->r; d++)
            if (s->outp[d])
                out = LLVMBuildOr(c->b, out, host_load(c, s->outp[d], DT_BOOL, idx[d]), "");
        v = host_select(c, out, s->extrap, v);
    }
    LLVMValueRef o = host_i64(c, 0);
    for (int d = 0; d < s->r; d++)
        o = LLVMBuildAdd(c->b, o, LLVMBuildMul(c->b, idx[d], host_i64(c, s->yst[d]), ""), "");
    host_store(c, s->yp, s->dt, o, v);
}

DlaStatus host_lower_resize(HostCtx *c, int32_t node)
{
    IrGraph *g = c->g;
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    int upsample = host_nd(c)->op == OP_UPSAMPLE;
    int64_t opset = ir_graph_opset(g, "");
    if (!host_is_float(x->dtype) || y->shape.rank != r)
        return host_unsupported(c, "dtype %s", ir_dtype_name(x->dtype));
    const char *mode = ir_attr_string(g, node, "mode", "nearest");
    int m = !strcmp(mode, "nearest") ? 0 : (!strcmp(mode, "linear") || !strcmp(mode, "bilinear")) ? 1
          : !strcmp(mode, "cubic") ? 2 : -1;
    if (m < 0)
        return host_unsupported(c, "mode '%s'", mode);
    if (ir_attr_int(g, node, "antialias", 0))
        return host_unsupported(c, "antialias");
    const char *ctm = ir_attr_string(g, node, "coordinate_transformation_mode", "half_pixel");
    const char *nm = ir_attr_string(g, node, "nearest_mode", "round_prefer_floor");
    if (upsample || opset < 11) {
        ctm = "asymmetric";
        nm = "floor";
    }
    if (!ctm_known(ctm))
        return host_unsupported(c, "coordinate_transformation_mode '%s'", ctm);
    double A = ir_attr_float(g, node, "cubic_coeff_a", -0.75f);
    int excl = ir_attr_int(g, node, "exclude_outside", 0) != 0;
    /* scales: Upsample attr/input 1; Resize-10 input 1; Resize-11+ input 2 (or sizes, input 3) */
    double scale[IR_MAX_RANK];
    for (int d = 0; d < r; d++)
        scale[d] = x->shape.dims[d] ? (double)y->shape.dims[d] / (double)x->shape.dims[d] : 1.0;
    int si = upsample || opset < 11 ? 1 : 2;
    const int64_t *axes = NULL;
    int32_t naxes = ir_attr_ints(g, node, "axes", &axes);
    const IrAttr *sa = ir_attr_find(g, node, "scales");
    if (sa && sa->type == IR_ATTR_FLOATS && sa->n == r) {
        for (int d = 0; d < r; d++)
            scale[d] = sa->floats[d];
    } else if (host_has_in(c, si) && ir_shape_numel(&host_inv(c, si)->shape) > 0) {
        double *sv;
        int64_t n = host_const_doubles(c, si, &sv);
        if (n < 0)
            return DLA_ERR_UNSUPPORTED;
        if (n != (naxes > 0 ? naxes : r)) {
            free(sv);
            return host_unsupported(c, "scales has %lld entries", (long long)n);
        }
        for (int64_t i = 0; i < n; i++) {
            int64_t d = naxes > 0 ? (axes[i] < 0 ? axes[i] + r : axes[i]) : i;
            if (d >= 0 && d < r)
                scale[d] = sv[i];
        }
        free(sv);
    }
    double roi[2 * IR_MAX_RANK];
    for (int d = 0; d < r; d++)
        roi[d] = 0, roi[r + d] = 1;
    if (!strcmp(ctm, "tf_crop_and_resize") && !upsample && host_has_in(c, 1)) {
        double *rv;
        int64_t n = host_const_doubles(c, 1, &rv);
        if (n < 0)
            return DLA_ERR_UNSUPPORTED;
        int na = naxes > 0 ? naxes : r;
        if (n != 2 * na) {
            free(rv);
            return host_unsupported(c, "roi size");
        }
        for (int i = 0; i < na; i++) {
            int64_t d = naxes > 0 ? (axes[i] < 0 ? axes[i] + r : axes[i]) : i;
            if (d >= 0 && d < r) {
                roi[d] = rv[i];
                roi[r + d] = rv[na + i];
            }
        }
        free(rv);
    }
    /* per-dim tap tables */
    RsDim dim[IR_MAX_RANK];
    memset(dim, 0, sizeof dim);
    int64_t xst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    RsState s;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.dt = x->dtype;
    s.dim = dim;
    for (int d = 0; d < r; d++) {
        int64_t in = x->shape.dims[d], out = y->shape.dims[d];
        if (in < 1)
            return host_unsupported(c, "empty input");
        int ident = in == out && scale[d] == 1.0 && strcmp(ctm, "tf_crop_and_resize");
        int T = ident ? 1 : m == 2 ? 4 : 2;
        dim[d].taps = T;
        dim[d].idx = dla_calloc((size_t)(out ? out : 1) * (size_t)T, sizeof(int64_t));
        dim[d].w = dla_calloc((size_t)(out ? out : 1) * (size_t)T, sizeof(float));
        dim[d].outside = dla_calloc((size_t)(out ? out : 1), 1);
        for (int64_t o = 0; o < out; o++) {
            if (ident) {
                dim[d].idx[o] = o * xst[d];
                dim[d].w[o] = 1;
                continue;
            }
            double xo = src_coord(ctm, o, scale[d], in, scale[d] * (double)in, roi[d], roi[r + d]);
            if (!strcmp(ctm, "tf_crop_and_resize") && (xo < 0 || xo > (double)(in - 1))) {
                dim[d].outside[o] = 1;
                s.any_outside = 1;
            }
            double fl = floor(xo), ratio = xo - fl;
            if (ratio == 0)
                ratio = 1;
            double cf[RS_MAXT];
            int n = coeffs(m, nm, ratio, A, cf);
            /* the n positions nearest to xo, ties to the lower: a window starting at */
            int64_t start = (int64_t)fl - n / 2 + 1;
            if (ratio == 1 && xo == fl) /* integer xo: window [xo - n/2, xo + n/2 - 1] */
                start = (int64_t)fl - n / 2;
            double sum = 0;
            for (int t = 0; t < n; t++) {
                int64_t p = start + t;
                if (excl && (p < 0 || p >= in))
                    cf[t] = 0;
                sum += cf[t];
            }
            for (int t = 0; t < n; t++) {
                int64_t p = start + t;
                p = p < 0 ? 0 : p >= in ? in - 1 : p;
                dim[d].idx[o * T + t] = p * xst[d];
                dim[d].w[o * T + t] = (float)(excl && sum != 0 ? cf[t] / sum : cf[t]);
            }
        }
    }
    for (int d = 0; d < r; d++) {
        int64_t out = y->shape.dims[d];
        s.idxp[d] = host_const_data(c, dim[d].idx, (size_t)out * (size_t)dim[d].taps * sizeof(int64_t));
        s.wp[d] = host_const_data(c, dim[d].w, (size_t)out * (size_t)dim[d].taps * sizeof(float));
        if (s.any_outside)
            s.outp[d] = host_const_data(c, dim[d].outside, (size_t)out);
        if (dim[d].taps > 1) {
            s.taps.ext[s.taps.n++] = dim[d].taps;
        }
        free(dim[d].idx);
        free(dim[d].w);
        free(dim[d].outside);
    }
    s.xp = host_in(c, 0);
    s.yp = host_out(c, 0);
    s.acc = host_alloca(c, c->t_f32, "rs");
    s.extrap = host_constf(c, s.dt, ir_attr_float(g, node, "extrapolation_value", 0.0f));
    if (ir_shape_numel(&y->shape) == 0)
        return DLA_OK;
    host_strides(&y->shape, s.yst);
    HostNest yn = host_nest_shape(&y->shape);
    host_nest_emit(c, &yn, rs_out, &s);
    return DLA_OK;
}

/* ---- GridSample (2-D): y[n, c, h, w] samples x[n, c] at grid[n, h, w] = (gx, gy) in
 * [-1, 1], with bilinear / nearest / bicubic interpolation and zeros / border /
 * reflection padding, as the ONNX reference defines them. Coordinates are
 * computed in double at run time; every pixel index is clamped before the load
 * (zeros padding then masks the value). */

typedef struct GsState {
    IrDtype dt, gdt;
    int mode, pad, align; /* mode 0 bilinear 1 nearest 2 bicubic; pad 0 zeros 1 border 2 reflection */
    int64_t H, W;
    HostAcc x, g, y; /* x over [n, c] (plane base); g over [n, h, w]; y contiguous */
    const LLVMValueRef *idx;
} GsState;

static LLVMValueRef dconst(HostCtx *c, double v) { return LLVMConstReal(c->t_f64, v); }

static LLVMValueRef dsel(HostCtx *c, LLVMValueRef cond, LLVMValueRef a, LLVMValueRef b) { return host_select(c, cond, a, b); }

/* reflect v into [lo, hi] (ONNX reference _gs_reflect) */
static LLVMValueRef gs_reflect(HostCtx *c, LLVMValueRef v, double lo, double hi)
{
    LLVMBuilderRef B = c->b;
    double rng = hi - lo;
    if (rng <= 0)
        return dconst(c, lo);
    LLVMValueRef below = LLVMBuildFCmp(B, LLVMRealOLT, v, dconst(c, lo), "");
    LLVMValueRef above = LLVMBuildFCmp(B, LLVMRealOGT, v, dconst(c, hi), "");
    LLVMValueRef dx = dsel(c, below, LLVMBuildFSub(B, dconst(c, lo), v, ""), LLVMBuildFSub(B, v, dconst(c, hi), ""));
    LLVMValueRef n = host_math(c, "floor", DT_DOUBLE, LLVMBuildFDiv(B, dx, dconst(c, rng), ""), NULL);
    LLVMValueRef r = LLVMBuildFSub(B, dx, LLVMBuildFMul(B, n, dconst(c, rng), ""), "");
    LLVMValueRef even = LLVMBuildFCmp(B, LLVMRealOEQ, LLVMBuildFRem(B, n, dconst(c, 2), ""), dconst(c, 0), "");
    LLVMValueRef lo_r = LLVMBuildFAdd(B, dconst(c, lo), r, ""), hi_r = LLVMBuildFSub(B, dconst(c, hi), r, "");
    LLVMValueRef vb = dsel(c, even, lo_r, hi_r), va = dsel(c, even, hi_r, lo_r);
    return dsel(c, below, vb, dsel(c, above, va, v));
}

/* pixel (iy, ix) as double with the padding rule; iy, ix are doubles holding integers */
static LLVMValueRef gs_pixel(HostCtx *c, GsState *s, LLVMValueRef fy, LLVMValueRef fx)
{
    LLVMBuilderRef B = c->b;
    if (s->pad == 2) {
        double lx = s->align ? 0 : -0.5, hx = s->align ? (double)s->W - 1 : (double)s->W - 0.5;
        double ly = s->align ? 0 : -0.5, hy = s->align ? (double)s->H - 1 : (double)s->H - 0.5;
        fx = host_math(c, "trunc", DT_DOUBLE, gs_reflect(c, fx, lx, hx), NULL);
        fy = host_math(c, "trunc", DT_DOUBLE, gs_reflect(c, fy, ly, hy), NULL);
    }
    LLVMValueRef ix = LLVMBuildFPToSI(B, host_bin(c, HB_MAX, DT_DOUBLE, host_bin(c, HB_MIN, DT_DOUBLE, fx, dconst(c, (double)s->W)), dconst(c, -1)), c->t_i64, "");
    LLVMValueRef iy = LLVMBuildFPToSI(B, host_bin(c, HB_MAX, DT_DOUBLE, host_bin(c, HB_MIN, DT_DOUBLE, fy, dconst(c, (double)s->H)), dconst(c, -1)), c->t_i64, "");
    LLVMValueRef inb = LLVMBuildAnd(B, LLVMBuildAnd(B, LLVMBuildICmp(B, LLVMIntSGE, ix, host_i64(c, 0), ""),
                                                    LLVMBuildICmp(B, LLVMIntSLT, ix, host_i64(c, s->W), ""), ""),
                                    LLVMBuildAnd(B, LLVMBuildICmp(B, LLVMIntSGE, iy, host_i64(c, 0), ""),
                                                 LLVMBuildICmp(B, LLVMIntSLT, iy, host_i64(c, s->H), ""), ""), "");
    ix = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, ix, host_i64(c, 0), ""), host_i64(c, 0), ix);
    ix = host_select(c, LLVMBuildICmp(B, LLVMIntSGE, ix, host_i64(c, s->W), ""), host_i64(c, s->W - 1), ix);
    iy = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, iy, host_i64(c, 0), ""), host_i64(c, 0), iy);
    iy = host_select(c, LLVMBuildICmp(B, LLVMIntSGE, iy, host_i64(c, s->H), ""), host_i64(c, s->H - 1), iy);
    LLVMValueRef off = LLVMBuildAdd(B, host_acc_index(c, &s->x, s->idx),
                                    LLVMBuildAdd(B, LLVMBuildMul(B, iy, host_i64(c, s->W), ""), ix, ""), "");
    LLVMValueRef v = host_convert(c, host_load(c, s->x.base, s->dt, off), s->dt, DT_DOUBLE);
    return s->pad == 0 ? dsel(c, inb, v, dconst(c, 0)) : v;
}

static void gs_cubic(HostCtx *c, LLVMValueRef t, LLVMValueRef *cf)
{
    LLVMBuilderRef B = c->b;
    const double A = -0.75;
    LLVMValueRef one = dconst(c, 1);
    LLVMValueRef x[4] = {LLVMBuildFAdd(B, t, one, ""), t, LLVMBuildFSub(B, one, t, ""),
                         LLVMBuildFSub(B, dconst(c, 2), t, "")};
    for (int i = 0; i < 4; i++) {
        LLVMValueRef v = x[i];
        if (i == 0 || i == 3) { /* ((A v - 5A) v + 8A) v - 4A */
            LLVMValueRef r = LLVMBuildFSub(B, LLVMBuildFMul(B, dconst(c, A), v, ""), dconst(c, 5 * A), "");
            r = LLVMBuildFAdd(B, LLVMBuildFMul(B, r, v, ""), dconst(c, 8 * A), "");
            cf[i] = LLVMBuildFSub(B, LLVMBuildFMul(B, r, v, ""), dconst(c, 4 * A), "");
        } else { /* ((A+2) v - (A+3)) v v + 1 */
            LLVMValueRef r = LLVMBuildFSub(B, LLVMBuildFMul(B, dconst(c, A + 2), v, ""), dconst(c, A + 3), "");
            cf[i] = LLVMBuildFAdd(B, LLVMBuildFMul(B, LLVMBuildFMul(B, r, v, ""), v, ""), one, "");
        }
    }
}

static LLVMValueRef gs_denorm(HostCtx *c, GsState *s, LLVMValueRef g, int64_t L)
{
    LLVMBuilderRef B = c->b;
    LLVMValueRef v;
    if (s->align)
        v = LLVMBuildFMul(B, LLVMBuildFDiv(B, LLVMBuildFAdd(B, g, dconst(c, 1), ""), dconst(c, 2), ""), dconst(c, (double)(L - 1)), "");
    else
        v = LLVMBuildFDiv(B, LLVMBuildFSub(B, LLVMBuildFMul(B, LLVMBuildFAdd(B, g, dconst(c, 1), ""), dconst(c, (double)L), ""), dconst(c, 1), ""), dconst(c, 2), "");
    if (s->pad == 1)
        v = host_bin(c, HB_MAX, DT_DOUBLE, host_bin(c, HB_MIN, DT_DOUBLE, v, dconst(c, (double)(L - 1))), dconst(c, 0));
    else if (s->pad == 2)
        v = gs_reflect(c, v, s->align ? 0 : -0.5, s->align ? (double)(L - 1) : (double)L - 0.5);
    return v;
}

static void gs_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    GsState *s = user;
    LLVMBuilderRef B = c->b;
    s->idx = idx;
    LLVMValueRef go = host_acc_index(c, &s->g, idx);
    LLVMValueRef gx = host_convert(c, host_load(c, s->g.base, s->gdt, go), s->gdt, DT_DOUBLE);
    LLVMValueRef gy = host_convert(c, host_load(c, s->g.base, s->gdt, LLVMBuildAdd(B, go, host_i64(c, 1), "")), s->gdt, DT_DOUBLE);
    LLVMValueRef x = gs_denorm(c, s, gx, s->W), y = gs_denorm(c, s, gy, s->H);
    LLVMValueRef v;
    if (s->mode == 1) {
        v = gs_pixel(c, s, host_math(c, "roundeven", DT_DOUBLE, y, NULL), host_math(c, "roundeven", DT_DOUBLE, x, NULL));
    } else {
        LLVMValueRef x0 = host_math(c, "floor", DT_DOUBLE, x, NULL), y0 = host_math(c, "floor", DT_DOUBLE, y, NULL);
        LLVMValueRef tx = LLVMBuildFSub(B, x, x0, ""), ty = LLVMBuildFSub(B, y, y0, "");
        int n = s->mode == 0 ? 2 : 4;
        LLVMValueRef cx[4], cy[4];
        if (n == 2) {
            cx[0] = LLVMBuildFSub(B, dconst(c, 1), tx, ""), cx[1] = tx;
            cy[0] = LLVMBuildFSub(B, dconst(c, 1), ty, ""), cy[1] = ty;
        } else {
            gs_cubic(c, tx, cx);
            gs_cubic(c, ty, cy);
        }
        int first = n == 2 ? 0 : -1;
        v = dconst(c, 0);
        for (int j = 0; j < n; j++) {
            LLVMValueRef fy = LLVMBuildFAdd(B, y0, dconst(c, first + j), "");
            LLVMValueRef row = dconst(c, 0);
            for (int i = 0; i < n; i++) {
                LLVMValueRef fx = LLVMBuildFAdd(B, x0, dconst(c, first + i), "");
                row = LLVMBuildFAdd(B, row, LLVMBuildFMul(B, cx[i], gs_pixel(c, s, fy, fx), ""), "");
            }
            v = LLVMBuildFAdd(B, v, LLVMBuildFMul(B, cy[j], row, ""), "");
        }
    }
    host_acc_store(c, &s->y, idx, host_convert(c, v, DT_DOUBLE, s->dt));
}

DlaStatus host_lower_grid_sample(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *g = host_inv(c, 1), *y = host_outv(c, 0);
    if (x->shape.rank != 4 || g->shape.rank != 4 || g->shape.dims[3] != 2 || !host_is_float(x->dtype) ||
        !host_is_float(g->dtype))
        return host_unsupported(c, "only 2-D float GridSample");
    GsState s;
    memset(&s, 0, sizeof s);
    const char *mode = ir_attr_string(c->g, node, "mode", "bilinear");
    const char *pad = ir_attr_string(c->g, node, "padding_mode", "zeros");
    s.mode = (!strcmp(mode, "bilinear") || !strcmp(mode, "linear")) ? 0 : !strcmp(mode, "nearest") ? 1
           : (!strcmp(mode, "bicubic") || !strcmp(mode, "cubic")) ? 2 : -1;
    s.pad = !strcmp(pad, "zeros") ? 0 : !strcmp(pad, "border") ? 1 : !strcmp(pad, "reflection") ? 2 : -1;
    if (s.mode < 0 || s.pad < 0)
        return host_unsupported(c, "mode '%s' / padding_mode '%s'", mode, pad);
    s.align = ir_attr_int(c->g, node, "align_corners", 0) != 0;
    s.dt = x->dtype;
    s.gdt = g->dtype;
    s.H = x->shape.dims[2];
    s.W = x->shape.dims[3];
    if (s.H < 1 || s.W < 1)
        return host_unsupported(c, "empty input");
    int64_t xst[IR_MAX_RANK], gst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    host_strides(&g->shape, gst);
    s.x.base = host_in(c, 0);
    s.x.dt = s.dt;
    s.x.st[0] = xst[0];
    s.x.st[1] = xst[1];
    s.g.base = host_in(c, 1);
    s.g.dt = s.gdt;
    s.g.st[0] = gst[0];
    s.g.st[2] = gst[1];
    s.g.st[3] = gst[2];
    s.y = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    HostNest n = host_nest_shape(&y->shape);
    host_nest_emit(c, &n, gs_body, &s);
    return DLA_OK;
}
