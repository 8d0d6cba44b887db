/* quantize_upsample.c - the upsampling family on the accelerator
 * (docs/quant.md "Upsampling"): which Resize / Upsample / ConvTranspose
 * nodes the DLA runs (quant_upsample_supported, called by pass_partition
 * with the reason when not), and their Q-ops (qz_upsample, called by
 * pass_quantize):
 *  - Resize (opset 10..19) and Upsample (7, 9), nearest or linear, NCHW, by
 *    integer factors on H and W (N and C unchanged), constant scales or
 *    sizes -> QResize with the input's quantization on the output (nearest
 *    copies int8 values, bilinear is a convex combination);
 *  - ConvTranspose (group 1, no dilation, explicit pads, output_padding) with
 *    constant weights: the kernel transposed and flipped,
 *    W'[o][i][kh][kw] = W[i][o][KH-1-kh][KW-1-kw], quantized once like a
 *    Conv's; then one QConv per stride phase over the input (kernels
 *    ceil(k/s), only the useful MACs) and a QInterleave into the output, or,
 *    when a phase has no tap or too much padding, QZeroInsert (stride-1 zero
 *    points between pixels; omitted for stride 1) and one QConv with stride
 *    1 and pads k-1-p (end: + output_padding). A following Relu/Clip fuses
 *    (the bounds of every QConv). */
#include "passes/pass_util.h"
#include "passes/quant.h"
#include "passes/quantize_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h" /* DLA_MAX_PAD, DLA_MAX_EXTENT: the lowering's limits */
#include "quant/quant.h"
#include "quant/quant_resize.h"

/* One output row of the lowering's tile (input rows + intermediate + output,
 * int32 words per channel) must fit half the accumulator of the smallest
 * shipped target (dla-edge: 16 Ki words); backend/dla/dla_lower_upsample.c. */
#define UP_MAX_ROW_WORDS 8192

#define WHY(s) (*why = (s), 0)

static int up_is_act4(const IrGraph *g, int32_t v)
{
    if (v < 0 || v >= g->nvalues)
        return 0;
    const IrValue *x = &g->values[v];
    if (x->dtype != DT_FLOAT || (x->flags & (IR_VAL_CONST | IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) ||
        x->shape.rank != 4)
        return 0;
    for (int i = 1; i < 4; i++)
        if (x->shape.dims[i] <= 0)
            return 0;
    return 1;
}

static int up_const_float(const IrGraph *g, int32_t v)
{
    return v >= 0 && pu_is_const(g, v) && g->values[v].dtype == DT_FLOAT && ir_shape_known(&g->values[v].shape) &&
           g->values[v].data;
}

static int up_finite(const IrGraph *g, int32_t v)
{
    const float *p = g->values[v].data;
    size_t k = g->values[v].nbytes / sizeof *p;
    for (size_t i = 0; i < k; i++)
        if (!isfinite(p[i]))
            return 0;
    return 1;
}

/* mode, coordinate mode and nearest mode of a Resize/Upsample as dlacc reads
 * them (Upsample and Resize-10: asymmetric, floor; as the host backend). */
static void up_modes(const IrGraph *g, int32_t n, int *linear, int *coord, int *nearest, const char **mode)
{
    int old = g->nodes[n].op == OP_UPSAMPLE || ir_graph_opset(g, "") < 11;
    *mode = ir_attr_string(g, n, "mode", "nearest");
    *linear = !strcmp(*mode, "linear") || !strcmp(*mode, "bilinear");
    *coord = old ? QUANT_RC_ASYMMETRIC
                 : quant_resize_coord_parse(ir_attr_string(g, n, "coordinate_transformation_mode", "half_pixel"));
    *nearest = *linear ? QUANT_RN_LINEAR
               : old   ? QUANT_RN_FLOOR
                       : quant_resize_nearest_parse(ir_attr_string(g, n, "nearest_mode", "round_prefer_floor"));
}

/* The scales a Resize/Upsample gives (constant float input or Upsample-7
 * attribute), if any, equal its integer factors out/in on every axis. */
static int up_scales_match(const IrGraph *g, int32_t n, const IrShape *xs, const IrShape *ys)
{
    int upsample = g->nodes[n].op == OP_UPSAMPLE, si = upsample || ir_graph_opset(g, "") < 11 ? 1 : 2;
    const IrAttr *sa = ir_attr_find(g, n, "scales");
    const float *sc = NULL;
    int64_t ns = 0;
    if (sa && sa->type == IR_ATTR_FLOATS) {
        sc = sa->floats, ns = sa->n;
    } else {
        int32_t v = ir_in(g, n, si);
        if (v < 0 || (ir_shape_known(&g->values[v].shape) && ir_shape_numel(&g->values[v].shape) == 0))
            return 1; /* sizes given: the scale is out / in (ONNX) */
        if (!up_const_float(g, v))
            return 0;
        sc = g->values[v].data, ns = ir_shape_numel(&g->values[v].shape);
    }
    const int64_t *axes = NULL;
    int32_t na = ir_attr_ints(g, n, "axes", &axes);
    if (ns != (na > 0 ? na : 4))
        return 0;
    for (int64_t i = 0; i < ns; i++) {
        int64_t d = na > 0 ? (axes[i] < 0 ? axes[i] + 4 : axes[i]) : i;
        if (d < 0 || d > 3 || (double)sc[i] != (double)ys->dims[d] / (double)xs->dims[d])
            return 0;
    }
    return 1;
}

static int up_resize_ok(const IrGraph *g, int32_t n, const char **why)
{
    int32_t x = ir_in(g, n, 0), y = g->nodes[n].outputs[0];
    if (!up_is_act4(g, x))
        return WHY("input is not a float NCHW activation");
    const IrShape *xs = &g->values[x].shape, *ys = &g->values[y].shape;
    if (ys->rank != 4 || ys->dims[1] <= 0 || ys->dims[2] <= 0 || ys->dims[3] <= 0)
        return WHY("output shape not known");
    int linear, coord, nearest;
    const char *mode;
    up_modes(g, n, &linear, &coord, &nearest, &mode);
    if (!linear && strcmp(mode, "nearest"))
        return WHY("mode other than nearest or linear (cubic)");
    if (coord < 0)
        return WHY("coordinate_transformation_mode tf_crop_and_resize (or unknown)");
    if (nearest < 0 && !linear)
        return WHY("unknown nearest_mode");
    if (ir_attr_int(g, n, "antialias", 0))
        return WHY("antialias");
    if (ir_attr_int(g, n, "exclude_outside", 0))
        return WHY("exclude_outside");
    if (strcmp(ir_attr_string(g, n, "keep_aspect_ratio_policy", "stretch"), "stretch"))
        return WHY("keep_aspect_ratio_policy other than stretch");
    if (ys->dims[1] != xs->dims[1] || (xs->dims[0] >= 0 && ys->dims[0] != xs->dims[0]))
        return WHY("resizes the batch or channel axis");
    for (int i = 2; i < 4; i++)
        if (ys->dims[i] < xs->dims[i] || ys->dims[i] % xs->dims[i])
            return WHY("not an integer upsampling factor on H and W");
    if (!up_scales_match(g, n, xs, ys))
        return WHY("scales not constant or not equal to the integer factors out/in");
    int64_t W = xs->dims[3], OW = ys->dims[3];
    if (W > DLA_MAX_EXTENT)
        return WHY("image wider than the lowering tiles");
    if ((linear ? 3 : 2) * W + OW > UP_MAX_ROW_WORDS)
        return WHY("an output row does not fit half the accumulator");
    return 1;
}

/* ConvTranspose's explicit geometry: kernel, strides, begin/end pads. */
typedef struct UpCt {
    int64_t k[2], s[2], pb[2], pe[2], op[2];
} UpCt;

static int up_ct_geom(const IrGraph *g, int32_t n, UpCt *c)
{
    const IrShape *ws = &g->values[ir_in(g, n, 1)].shape;
    const int64_t *v;
    c->k[0] = ws->dims[2], c->k[1] = ws->dims[3];
    int32_t k = ir_attr_ints(g, n, "strides", &v);
    for (int i = 0; i < 2; i++)
        c->s[i] = k == 2 ? v[i] : 1;
    k = ir_attr_ints(g, n, "pads", &v);
    for (int i = 0; i < 2; i++)
        c->pb[i] = k == 4 ? v[i] : 0, c->pe[i] = k == 4 ? v[i + 2] : 0;
    k = ir_attr_ints(g, n, "output_padding", &v);
    for (int i = 0; i < 2; i++)
        c->op[i] = k == 2 ? v[i] : 0;
    return 1;
}

static int up_ct_ok(const IrGraph *g, int32_t n, const char **why)
{
    int32_t x = ir_in(g, n, 0), w = ir_in(g, n, 1), b = ir_in(g, n, 2);
    if (!up_is_act4(g, x))
        return WHY("input is not a float NCHW activation");
    if (!up_const_float(g, w) || g->values[w].shape.rank != 4 || g->values[w].shape.dims[0] != g->values[x].shape.dims[1])
        return WHY("weights are not a constant [C_in, C_out, kH, kW] float tensor");
    if (b >= 0 && !(up_const_float(g, b) && ir_shape_numel(&g->values[b].shape) == g->values[w].shape.dims[1]))
        return WHY("bias is not a constant per-channel vector");
    if (!up_finite(g, w) || (b >= 0 && !up_finite(g, b)))
        return WHY("weights or bias not finite");
    if (ir_attr_int(g, n, "group", 1) != 1)
        return WHY("grouped ConvTranspose");
    const int64_t *v;
    int32_t k = ir_attr_ints(g, n, "dilations", &v);
    for (int32_t i = 0; i < k; i++)
        if (v[i] != 1)
            return WHY("dilated ConvTranspose");
    const char *ap = ir_attr_string(g, n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
        return WHY("auto_pad SAME (explicit pads only)");
    if (ir_attr_ints(g, n, "output_shape", &v) >= 0)
        return WHY("output_shape attribute (explicit pads only)");
    UpCt c;
    up_ct_geom(g, n, &c);
    for (int i = 0; i < 2; i++) {
        if (c.s[i] < 1 || c.op[i] < 0 || c.op[i] >= c.s[i])
            return WHY("bad strides or output_padding");
        if (c.pb[i] > c.k[i] - 1 || c.pe[i] > c.k[i] - 1)
            return WHY("pads larger than kernel - 1 (a cropping ConvTranspose)");
        if (c.k[i] - 1 - c.pb[i] > DLA_MAX_PAD || c.k[i] - 1 - c.pe[i] + c.op[i] > DLA_MAX_PAD)
            return WHY("kernel larger than the DMA padding allows");
    }
    int64_t W = g->values[x].shape.dims[3], ZW = (W - 1) * c.s[1] + 1;
    if (W > DLA_MAX_EXTENT || ZW > DLA_MAX_EXTENT)
        return WHY("image wider than the lowering tiles");
    if (W + ZW > UP_MAX_ROW_WORDS)
        return WHY("a zero-inserted row does not fit half the accumulator");
    return 1;
}

int quant_upsample_supported(const IrGraph *g, int32_t n, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (g->nodes[n].op == OP_CONV_TRANSPOSE)
        return up_ct_ok(g, n, why);
    return up_resize_ok(g, n, why);
}

static void up_attr_str(IrGraph *g, int32_t n, const char *name, const char *v)
{
    ir_node_add_attr(g, n, name, IR_ATTR_STRING)->s = dla_arena_strdup(&g->arena, v);
}

static void up_attr_ints(IrGraph *g, int32_t n, const char *name, const int64_t *v, int32_t k)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
    a->n = k;
    a->ints = dla_arena_memdup(&g->arena, v, (size_t)k * sizeof *v);
}

static DlaStatus qz_resize(Qz *q, int32_t n, DlaError *err)
{
    IrGraph *g = q->g;
    int32_t x = ir_in(g, n, 0), y = g->nodes[n].outputs[0], xq, zx;
    float sx;
    DlaStatus st = qz_in(q, x, &xq, &sx, &zx, err);
    if (st)
        return st;
    int linear, coord, nearest;
    const char *mode;
    up_modes(g, n, &linear, &coord, &nearest, &mode);
    static const char *const coords[] = {"half_pixel",           "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn", "half_pixel_symmetric"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    const IrShape *xs = &g->values[x].shape, *ys = &g->values[y].shape;
    int64_t f[2] = {ys->dims[2] / xs->dims[2], ys->dims[3] / xs->dims[3]};
    /* nearest copies values, bilinear mixes them convexly: X's parameters are exact */
    int32_t yq = qz_new_int8(q, y, sx, zx);
    int32_t nn = ir_node_add(g, g->nodes[n].name, "QResize", "dlacc", &xq, 1, &yq, 1);
    up_attr_str(g, nn, "mode", linear ? "linear" : "nearest");
    up_attr_str(g, nn, "coordinate_transformation_mode", coords[coord]);
    if (!linear)
        up_attr_str(g, nn, "nearest_mode", nearests[nearest]);
    up_attr_ints(g, nn, "factors", f, 2);
    qz_emit(q, nn);
    qz_finish_output(q, y, yq);
    return DLA_OK;
}

/* One axis of one stride phase of a ConvTranspose (input size `in`, kernel
 * k, stride s, begin pad p, output size out): outputs o = s*m + ph read
 * y[s*m+ph] = sum_j x[m + c - j] * w[q + s*j] with q = (ph + p) mod s,
 * c = (ph + p) div s, j < J = ceil((k - q) / s): a stride-1 correlation of x
 * with the kernel K[t] = w[q + s*(J-1-t)], begin pad J-1-c, end pad chosen so
 * that it yields at least the M = ceil((out - ph) / s) outputs needed
 * (`rows`; QInterleave reads the first M). */
typedef struct UpPhase {
    int64_t q, J, pb, pe, M, rows;
} UpPhase;

static int up_phase_axis(int64_t in, int64_t k, int64_t s, int64_t p, int64_t out, int64_t ph, UpPhase *a)
{
    int64_t c = (ph + p) / s;
    a->q = (ph + p) % s;
    a->J = a->q < k ? (k - a->q + s - 1) / s : 0;
    a->M = (out - ph + s - 1) / s;
    if (a->J < 1 || a->M < 1)
        return 0;
    a->pb = a->J - 1 - c;
    a->pe = a->M - 1 + a->J - in - a->pb;
    if (a->pe < 0)
        a->pe = 0;
    a->rows = in + a->pb + a->pe - a->J + 1;
    return a->pb >= 0 && a->pb <= DLA_MAX_PAD && a->pe <= DLA_MAX_PAD;
}

/* The stride-phase form of a ConvTranspose (docs/quant.md): one QConv per
 * phase over the input itself (only the useful MACs) into an int8 tensor with
 * the output's parameters, then a QInterleave into yq. wq: the whole flipped
 * kernel [oc][ic][KH][KW] quantized per output channel (sw, S), b0 the int32
 * bias without zero-point correction. Returns 0 (nothing added) when a phase
 * does not fit (a phase without kernel taps, padding beyond the DMA's). */
static int qz_ct_phases(Qz *q, int32_t n, const UpCt *c, int32_t xq, int32_t zx, int32_t yq, const int8_t *wq,
                        const int32_t *b0, const float *sw, const float *S, int64_t oc, int64_t ic, int32_t lo, int32_t hi)
{
    IrGraph *g = q->g;
    /* copies: adding values below moves g->values */
    const IrShape xsv = g->values[xq].shape, ysv = g->values[yq].shape;
    const IrShape *xs = &xsv, *ys = &ysv;
    int64_t K[2] = {g->values[ir_in(g, n, 1)].shape.dims[2], g->values[ir_in(g, n, 1)].shape.dims[3]};
    int64_t sh = c->s[0], swd = c->s[1], np = sh * swd;
    UpPhase ax[2][64];
    if (np > 64)
        return 0;
    for (int d = 0; d < 2; d++)
        for (int64_t ph = 0; ph < c->s[d]; ph++)
            if (!up_phase_axis(xs->dims[2 + d], K[d], c->s[d], c->pb[d], ys->dims[2 + d], ph, &ax[d][ph]))
                return 0;
    int32_t *pv = dla_malloc((size_t)np * sizeof *pv);
    for (int64_t i = 0; i < np; i++) {
        const UpPhase *a = &ax[0][i / swd], *b = &ax[1][i % swd];
        int64_t per = ic * a->J * b->J;
        int8_t *kq = dla_malloc((size_t)(oc * per));
        int32_t *bq = dla_malloc((size_t)oc * sizeof *bq);
        for (int64_t o = 0; o < oc; o++) {
            int64_t sum = 0;
            for (int64_t j = 0; j < ic; j++)
                for (int64_t t = 0; t < a->J; t++)
                    for (int64_t u = 0; u < b->J; u++) {
                        int64_t kh = K[0] - 1 - a->q - sh * (a->J - 1 - t), kw = K[1] - 1 - b->q - swd * (b->J - 1 - u);
                        int8_t v = wq[((o * ic + j) * K[0] + kh) * K[1] + kw];
                        kq[((o * ic + j) * a->J + t) * b->J + u] = v;
                        sum += v;
                    }
            int64_t bb = (int64_t)b0[o] - (int64_t)zx * sum;
            bq[o] = bb < INT32_MIN ? INT32_MIN : bb > INT32_MAX ? INT32_MAX : (int32_t)bb;
        }
        int64_t wd[4] = {oc, ic, a->J, b->J};
        int32_t wv, bv;
        qz_wb_values(q, n, 4, wd, kq, sw, bq, &wv, &bv); /* takes kq, bq */
        char name[512];
        snprintf(name, sizeof name, "%.480s_phase%lld_%lld", g->nodes[n].name, (long long)(i / swd), (long long)(i % swd));
        IrShape ps = *xs;
        ps.dims[1] = oc, ps.sym[1] = NULL;
        ps.dims[2] = a->rows, ps.sym[2] = NULL;
        ps.dims[3] = b->rows, ps.sym[3] = NULL;
        pv[i] = ir_value_add(g, ir_unique_name(g, name), DT_INT8, &ps);
        g->values[pv[i]].quant = g->values[yq].quant; /* arena data, shared: same scale and zero point */
        int32_t in[3] = {xq, wv, bv};
        char cname[512];
        snprintf(cname, sizeof cname, "%.500s_conv", g->values[pv[i]].name);
        int32_t nn = ir_node_add(g, ir_unique_name(g, cname), "QConv", "dlacc", in, 3, &pv[i], 1);
        int64_t k2[2] = {a->J, b->J}, one[2] = {1, 1}, pads[4] = {a->pb, b->pb, a->pe, b->pe};
        up_attr_ints(g, nn, "kernel_shape", k2, 2);
        up_attr_ints(g, nn, "strides", one, 2);
        up_attr_ints(g, nn, "dilations", one, 2);
        up_attr_ints(g, nn, "pads", pads, 4);
        ir_node_add_attr(g, nn, "group", IR_ATTR_INT)->i = 1;
        IrAttr *at = ir_node_add_attr(g, nn, "scale", IR_ATTR_FLOATS);
        at->n = (int32_t)oc;
        at->floats = dla_arena_memdup(&g->arena, S, (size_t)oc * sizeof *S);
        ir_node_add_attr(g, nn, "lo", IR_ATTR_INT)->i = lo;
        ir_node_add_attr(g, nn, "hi", IR_ATTR_INT)->i = hi;
        qz_emit(q, nn);
    }
    int32_t nn = ir_node_add(g, g->nodes[n].name, "QInterleave", "dlacc", pv, (int32_t)np, &yq, 1);
    int64_t sizes[2] = {ys->dims[2], ys->dims[3]};
    up_attr_ints(g, nn, "sizes", sizes, 2);
    up_attr_ints(g, nn, "strides", c->s, 2);
    qz_emit(q, nn);
    free(pv);
    return 1;
}

static DlaStatus qz_conv_transpose(Qz *q, int32_t n, int32_t act, DlaError *err)
{
    IrGraph *g = q->g;
    int32_t x = ir_in(g, n, 0), w = ir_in(g, n, 1), b = ir_in(g, n, 2);
    int32_t y = act >= 0 ? g->nodes[act].outputs[0] : g->nodes[n].outputs[0];
    int32_t xq, yq, zx, zy;
    float sx, sy;
    DlaStatus st;
    if ((st = qz_in(q, x, &xq, &sx, &zx, err)) || (st = qz_out(q, y, &sy, &zy, &yq, err)))
        return st;
    UpCt c;
    up_ct_geom(g, n, &c);
    const IrShape *ws = &g->values[w].shape;
    int64_t ic = ws->dims[0], oc = ws->dims[1], KH = ws->dims[2], KW = ws->dims[3], per = ic * KH * KW;
    const float *src = g->values[w].data;
    float *wf = dla_malloc((size_t)(oc * per) * sizeof *wf), *bf = NULL;
    for (int64_t o = 0; o < oc; o++)
        for (int64_t i = 0; i < ic; i++)
            for (int64_t kh = 0; kh < KH; kh++)
                for (int64_t kw = 0; kw < KW; kw++)
                    wf[((o * ic + i) * KH + kh) * KW + kw] =
                        src[((i * oc + o) * KH + (KH - 1 - kh)) * KW + (KW - 1 - kw)];
    if (b >= 0) {
        bf = dla_malloc((size_t)oc * sizeof *bf);
        memcpy(bf, g->values[b].data, (size_t)oc * sizeof *bf);
    }
    int8_t *wq = dla_malloc((size_t)(oc * per));
    int32_t *bq = dla_malloc((size_t)oc * sizeof *bq);
    float *sw = dla_malloc((size_t)oc * sizeof *sw), *S = dla_malloc((size_t)oc * sizeof *S);
    qz_quant_wb(q, wf, bf, oc, per, sx, zx, sy, wq, bq, sw, S);
    int32_t lo, hi;
    qz_act_bounds(g, act, sy, zy, &lo, &hi);
    if (c.s[0] * c.s[1] > 1) {
        /* stride phases: only the useful MACs (the zero insertion below issues s^2 times as many) */
        int8_t *wfull = dla_malloc((size_t)(oc * per));
        float *sw2 = dla_malloc((size_t)oc * sizeof *sw2);
        int32_t *b0 = dla_calloc((size_t)oc, sizeof *b0);
        quant_weights_int8(wf, oc, per, sw2, wfull);
        if (bf)
            quant_bias_int32(bf, oc, sx, sw2, NULL, b0);
        int done = qz_ct_phases(q, n, &c, xq, zx, yq, wfull, b0, sw2, S, oc, ic, lo, hi);
        free(wfull);
        free(sw2);
        free(b0);
        if (done) {
            free(wq);
            free(bq);
            free(wf);
            free(bf);
            free(sw);
            free(S);
            qz_finish_output(q, y, yq);
            return DLA_OK;
        }
    }
    int64_t wd[4] = {oc, ic, KH, KW};
    int32_t wv, bv;
    qz_wb_values(q, n, 4, wd, wq, sw, bq, &wv, &bv); /* takes wq, bq */
    int32_t zin = xq;
    if (c.s[0] != 1 || c.s[1] != 1) {
        /* the zero-inserted input: X's parameters (zx is the real 0) */
        IrShape zs = g->values[xq].shape;
        for (int i = 0; i < 2; i++)
            zs.dims[2 + i] = (zs.dims[2 + i] - 1) * c.s[i] + 1, zs.sym[2 + i] = NULL;
        char name[512];
        snprintf(name, sizeof name, "%.490s_zero_inserted", g->nodes[n].name);
        zin = ir_value_add(g, ir_unique_name(g, name), DT_INT8, &zs);
        IrQuant *zq = &g->values[zin].quant;
        zq->count = 1;
        zq->axis = -1;
        zq->scale = dla_arena_memdup(&g->arena, &sx, sizeof sx);
        zq->zero_point = dla_arena_memdup(&g->arena, &zx, sizeof zx);
        snprintf(name, sizeof name, "%.490s_zero_insert", g->nodes[n].name);
        int32_t zn = ir_node_add(g, ir_unique_name(g, name), "QZeroInsert", "dlacc", &xq, 1, &zin, 1);
        up_attr_ints(g, zn, "strides", c.s, 2);
        qz_emit(q, zn);
    }
    int32_t in[3] = {zin, wv, bv};
    int32_t nn = ir_node_add(g, g->nodes[n].name, "QConv", "dlacc", in, 3, &yq, 1);
    int64_t k[2] = {KH, KW}, one[2] = {1, 1};
    int64_t p[4] = {KH - 1 - c.pb[0], KW - 1 - c.pb[1], KH - 1 - c.pe[0] + c.op[0], KW - 1 - c.pe[1] + c.op[1]};
    up_attr_ints(g, nn, "kernel_shape", k, 2);
    up_attr_ints(g, nn, "strides", one, 2);
    up_attr_ints(g, nn, "dilations", one, 2);
    up_attr_ints(g, nn, "pads", p, 4);
    ir_node_add_attr(g, nn, "group", IR_ATTR_INT)->i = 1;
    IrAttr *a = ir_node_add_attr(g, nn, "scale", IR_ATTR_FLOATS);
    a->n = (int32_t)oc;
    a->floats = dla_arena_memdup(&g->arena, S, (size_t)oc * sizeof *S);
    ir_node_add_attr(g, nn, "lo", IR_ATTR_INT)->i = lo;
    ir_node_add_attr(g, nn, "hi", IR_ATTR_INT)->i = hi;
    qz_emit(q, nn);
    free(wf);
    free(bf);
    free(sw);
    free(S);
    qz_finish_output(q, y, yq);
    return DLA_OK;
}

DlaStatus qz_upsample(Qz *q, int32_t n, int32_t act, DlaError *err)
{
    if (q->g->nodes[n].op == OP_CONV_TRANSPOSE)
        return qz_conv_transpose(q, n, act, err);
    return qz_resize(q, n, err);
}
