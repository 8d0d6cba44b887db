/* quantize.c - pass_quantize: accelerator nodes become the int8 Q-ops of
 * docs/quant.md.
 *
 * Requires: pass_partition's IrNode.device marks and pass_calibrate's per-tensor
 *   parameters (IrValue.quant, count 1) on every float value that becomes int8
 *   (quant_int8_values); PassContext.quantize set (otherwise nothing happens).
 * Establishes:
 *  - every accelerator node is a dlacc-domain Q-op (QConv, QGemm, QAdd/QSub/QMul/QMax/QMin,
 *    QMaxPool, QAvgPool, QGlobalAvgPool, QLut: unfused Relu/Clip, Sigmoid,
 *    Tanh, ..., and each element-wise group of act_group.h, whose nodes
 *    become the one QLut of its root) over int8 activations whose
 *    IrValue.quant holds scale and zero point (count 1, axis -1); a Relu/Clip
 *    fused into its producer is gone (its bounds are the producer's lo/hi);
 *    data movement (quantize_move.c): QConcat, QSlice, QTranspose, QReshape,
 *    QChannelShuffle;
 *  - weights are int8 constants, per output channel symmetric (quant axis 0,
 *    zero points 0), biases int32 constants with the input zero-point
 *    correction folded in, scales S[c] = (sx * sw[c]) / sy in fp32;
 *  - a float value read by an accelerator node but produced on the host (or a
 *    graph input) passes through one QuantizeLinear; an int8 value that a host
 *    node or the graph's outputs need is turned back by a DequantizeLinear
 *    producing the original float value (same name), so host nodes and graph
 *    outputs are untouched; both carry scale (float scalar) and zero point
 *    (int8 scalar) as constant inputs;
 *  - a host Concat of accelerator results read back by the accelerator
 *    concatenates int8 data (int8_concat), without boundaries around it;
 *  - nodes are in topological order, shapes re-inferred; the float weights and
 *    replaced values are unused (the qdce pass after this one drops them);
 *    float values no longer carry calibration parameters.
 * Numbers: passes/calib_stats.h (weights, bias, activation parameters) and
 * docs/quant.md (requantization, bounds, tables). */
#include "passes/passes.h"
#include "passes/pass_util.h"
#include "passes/quant.h"
#include "passes/quantize_int.h"
#include "passes/act_group.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/infer.h"

static void emit(Qz *q, int32_t node)
{
    q->order = dla_grow(q->order, sizeof *q->order, (size_t)q->norder + 1, &q->order_cap);
    q->order[q->norder++] = node;
}

static DlaStatus qparams(Qz *q, int32_t v, float *s, int32_t *zp, DlaError *err)
{
    /* defined outputs even on failure: the compiler cannot see that
     * dla_errorf never returns DLA_OK, and callers' -O2 builds warn */
    *s = 0.0f;
    *zp = 0;
    const IrQuant *qu = &q->g->values[v].quant;
    if (qu->count != 1 || !qu->scale || !qu->zero_point)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "value '%s' has no int8 calibration parameters (the calibrate pass sets them)",
                          q->g->values[v].name);
    *s = qu->scale[0];
    *zp = qu->zero_point[0];
    return DLA_OK;
}

static void set_quant(IrGraph *g, int32_t v, int32_t count, int32_t axis, const float *s, const int32_t *zp)
{
    IrQuant *qu = &g->values[v].quant;
    qu->count = count;
    qu->axis = axis;
    qu->scale = dla_arena_memdup(&g->arena, s, (size_t)count * sizeof *s);
    qu->zero_point = dla_arena_memdup(&g->arena, zp, (size_t)count * sizeof *zp);
}

/* A new int8 activation shaped like float value `like`, named after it. */
static int32_t new_int8(Qz *q, int32_t like, float s, int32_t zp)
{
    IrGraph *g = q->g;
    char base[512];
    snprintf(base, sizeof base, "%.500s_q", g->values[like].name);
    const char *name = ir_unique_name(g, base);
    IrShape sh = g->values[like].shape;
    int32_t v = ir_value_add(g, name, DT_INT8, &sh);
    set_quant(g, v, 1, -1, &s, &zp);
    return v;
}

static int32_t new_const(Qz *q, const char *base, IrDtype dt, int rank, const int64_t *dims, void *data,
                         size_t nbytes)
{
    IrGraph *g = q->g;
    IrShape sh = ir_shape_make(rank, dims);
    int32_t v = ir_value_add(g, ir_unique_name(g, base), dt, &sh);
    ir_value_adopt_data(g, v, data, nbytes);
    g->values[v].flags |= IR_VAL_CONST;
    return v;
}

/* The scale (float scalar) and zero point (int8 scalar) inputs of a
 * QuantizeLinear/DequantizeLinear for int8 value vq. */
static void boundary_params(Qz *q, int32_t vq, int32_t *sv, int32_t *zv)
{
    char base[512];
    float *s = dla_malloc(sizeof *s);
    int8_t *z = dla_malloc(1);
    *s = q->g->values[vq].quant.scale[0];
    *z = (int8_t)q->g->values[vq].quant.zero_point[0];
    snprintf(base, sizeof base, "%.490s_scale", q->g->values[vq].name);
    *sv = new_const(q, base, DT_FLOAT, 0, NULL, s, sizeof *s);
    snprintf(base, sizeof base, "%.490s_zp", q->g->values[vq].name);
    *zv = new_const(q, base, DT_INT8, 0, NULL, z, 1);
}

/* The int8 version of float value v, quantizing it here if the host makes it. */
static DlaStatus get_q(Qz *q, int32_t v, int32_t *out, DlaError *err)
{
    if (q->qv[v] >= 0) {
        *out = q->qv[v];
        return DLA_OK;
    }
    float s;
    int32_t zp;
    DlaStatus st = qparams(q, v, &s, &zp, err);
    if (st != DLA_OK)
        return st;
    int32_t vq = new_int8(q, v, s, zp), sv, zv;
    boundary_params(q, vq, &sv, &zv);
    int32_t in[3] = {v, sv, zv};
    char name[512];
    snprintf(name, sizeof name, "%.490s_quantize", q->g->values[v].name);
    emit(q, ir_node_add(q->g, name, "QuantizeLinear", "", in, 3, &vq, 1));
    q->qv[v] = vq;
    *out = vq;
    return DLA_OK;
}

/* After a Q-op producing int8 yq for float y: y lives on as a
 * DequantizeLinear of yq if the host or the graph's outputs need it. */
static void finish_output(Qz *q, int32_t y, int32_t yq)
{
    q->qv[y] = yq;
    if (q->host_use[y] == 0)
        return;
    int32_t sv, zv;
    boundary_params(q, yq, &sv, &zv);
    int32_t in[3] = {yq, sv, zv};
    char name[512];
    snprintf(name, sizeof name, "%.490s_dequantize", q->g->values[y].name);
    emit(q, ir_node_add(q->g, name, "DequantizeLinear", "", in, 3, &y, 1));
}

static void attr_int(IrGraph *g, int32_t n, const char *name, int64_t v) { ir_node_add_attr(g, n, name, IR_ATTR_INT)->i = v; }

static void attr_ints(IrGraph *g, int32_t n, const char *name, const int64_t *v, int32_t k)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
    a->n = k;
    a->ints = dla_arena_memdup(&g->arena, v, (size_t)k * sizeof *v);
}

static void attr_floats(IrGraph *g, int32_t n, const char *name, const float *v, int32_t k)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_FLOATS);
    a->n = k;
    a->floats = dla_arena_memdup(&g->arena, v, (size_t)k * sizeof *v);
}

static void attr_float(IrGraph *g, int32_t n, const char *name, float v) { ir_node_add_attr(g, n, name, IR_ATTR_FLOAT)->f = v; }

/* ints attribute or `dflt` repeated k times. */
static void ints_or(const IrGraph *g, int32_t n, const char *name, int64_t dflt, int k, int64_t *out)
{
    const int64_t *v;
    int32_t c = ir_attr_ints(g, n, name, &v);
    for (int i = 0; i < k; i++)
        out[i] = c == k ? v[i] : dflt;
}

/* Explicit [top, left, bottom, right] pads of a 2-D conv/pool: the pads
 * attribute, or what auto_pad asks for (ONNX: SAME_UPPER puts the odd pixel at
 * the end, SAME_LOWER at the beginning). */
static void resolve_pads(const IrGraph *g, int32_t n, const IrShape *xs, const int64_t *k, const int64_t *s,
                         const int64_t *d, int64_t pads[4])
{
    const char *ap = ir_attr_string(g, n, "auto_pad", "NOTSET");
    int upper = strcmp(ap, "SAME_UPPER") == 0, lower = strcmp(ap, "SAME_LOWER") == 0;
    if (!upper && !lower) {
        if (strcmp(ap, "VALID") == 0)
            memset(pads, 0, 4 * sizeof *pads);
        else
            ints_or(g, n, "pads", 0, 4, pads);
        return;
    }
    for (int i = 0; i < 2; i++) {
        int64_t in = xs->dims[2 + i], out = (in + s[i] - 1) / s[i];
        int64_t total = (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in;
        if (total < 0)
            total = 0;
        int64_t begin = upper ? total / 2 : total - total / 2;
        pads[i] = begin;
        pads[i + 2] = total - begin;
    }
}

/* Clip's float range: inputs 1 and 2 (from opset 11; constants here), the
 * min/max attributes before; an absent bound is infinite. */
static void clip_range(const IrGraph *g, int32_t act, float *mn, float *mx)
{
    *mn = -INFINITY;
    *mx = INFINITY;
    if (g->nodes[act].ninputs > 1 || ir_graph_opset(g, "") >= 11) {
        int32_t a = ir_in(g, act, 1), b = ir_in(g, act, 2);
        if (a >= 0)
            *mn = *(const float *)g->values[a].data;
        if (b >= 0)
            *mx = *(const float *)g->values[b].data;
    } else {
        *mn = ir_attr_float(g, act, "min", -INFINITY);
        *mx = ir_attr_float(g, act, "max", INFINITY);
    }
}

/* lo/hi of the requantization from a fused (or LUT) activation: Relu gives
 * lo = zy; Clip(min, max) gives zy + rne(bound / sy), clamped to int8. */
static void act_bounds(const IrGraph *g, int32_t act, float sy, int32_t zy, int32_t *lo, int32_t *hi)
{
    *lo = -128;
    *hi = 127;
    if (act < 0)
        return;
    if (g->nodes[act].op == OP_RELU) {
        *lo = zy;
        return;
    }
    float mn, mx;
    clip_range(g, act, &mn, &mx);
    if (mn > -INFINITY)
        *lo = quant_quantize_int8(mn, sy, zy);
    if (mx < INFINITY)
        *hi = quant_quantize_int8(mx, sy, zy);
    if (*lo > *hi) /* a Clip whose range is below one step: a constant output */
        *lo = *hi;
}

/* Weight matrix [oc, per] int8 + bias int32 [oc] + scales, shared by QConv and
 * QGemm. wf is float [oc, per] (already transposed/alpha-scaled for Gemm), bf
 * float [oc] or NULL. */
static void quant_wb(Qz *q, const float *wf, const float *bf, int64_t oc, int64_t per, float sx, int32_t zx,
                     float sy, int8_t *wq, int32_t *bq, float *sw, float *S)
{
    (void)q;
    quant_weights_int8(wf, oc, per, sw, wq);
    if (bf)
        quant_bias_int32(bf, oc, sx, sw, NULL, bq);
    else
        memset(bq, 0, (size_t)oc * sizeof *bq);
    for (int64_t c = 0; c < oc; c++) {
        /* padding reads zx, so the correction covers the whole kernel */
        int64_t sum = 0;
        for (int64_t k = 0; k < per; k++)
            sum += wq[c * per + k];
        int64_t b = (int64_t)bq[c] - (int64_t)zx * sum;
        bq[c] = b < INT32_MIN ? INT32_MIN : b > INT32_MAX ? INT32_MAX : (int32_t)b;
        S[c] = quant_requant_scale(sx, sw[c], sy);
    }
}

/* Weight and bias constants of a Q-op. */
static void wb_values(Qz *q, int32_t node, int rank, const int64_t *wdims, int8_t *wq, const float *sw,
                      int32_t *bq, int32_t *wv, int32_t *bv)
{
    IrGraph *g = q->g;
    int64_t oc = wdims[0], numel = 1;
    for (int i = 0; i < rank; i++)
        numel *= wdims[i];
    char base[512];
    snprintf(base, sizeof base, "%.490s_wq", g->nodes[node].name);
    *wv = new_const(q, base, DT_INT8, rank, wdims, wq, (size_t)numel);
    int32_t *zeros = dla_calloc((size_t)oc, sizeof *zeros);
    set_quant(g, *wv, (int32_t)oc, 0, sw, zeros);
    free(zeros);
    snprintf(base, sizeof base, "%.490s_bq", g->nodes[node].name);
    *bv = new_const(q, base, DT_INT32, 1, &oc, bq, (size_t)oc * sizeof *bq);
}

/* The int8 value xq standing for input x (get_q), its scale and zero point. */
static DlaStatus in_q(Qz *q, int32_t x, int32_t *xq, float *sx, int32_t *zx, DlaError *err)
{
    DlaStatus st = get_q(q, x, xq, err);
    return st ? st : qparams(q, *xq, sx, zx, err);
}

/* Output side common to all Q-ops: y is the float value the op (with its
 * fused activation) replaces. */
static DlaStatus out_q(Qz *q, int32_t y, float *sy, int32_t *zy, int32_t *yq, DlaError *err)
{
    DlaStatus st = qparams(q, y, sy, zy, err);
    if (st == DLA_OK)
        *yq = new_int8(q, y, *sy, *zy);
    return st;
}

/* A QReshape (a view on the accelerator: row-major both sides) of int8 value
 * src into a new int8 value (same quantization) of the given shape; returns
 * the new value. */
static int32_t reshape_int8(Qz *q, int32_t src, int rank, const int64_t *dims, const char *suffix)
{
    IrGraph *g = q->g;
    char base[512];
    snprintf(base, sizeof base, "%.490s%s", g->values[src].name, suffix);
    IrShape sh = ir_shape_make(rank, dims);
    int32_t dst = ir_value_add(g, ir_unique_name(g, base), DT_INT8, &sh);
    const IrQuant *qs = &g->values[src].quant;
    set_quant(g, dst, 1, -1, qs->scale, qs->zero_point);
    snprintf(base, sizeof base, "%.490s_reshape", g->values[dst].name);
    int32_t nn = ir_node_add(g, base, "QReshape", "dlacc", &src, 1, &dst, 1);
    attr_ints(g, nn, "shape", dims, rank);
    emit(q, nn);
    return dst;
}

static DlaStatus q_conv_gemm(Qz *q, int32_t n, int32_t act, DlaError *err)
{
    IrGraph *g = q->g;
    int conv = g->nodes[n].op == OP_CONV, matmul = g->nodes[n].op == OP_MAT_MUL;
    int32_t x = ir_in(g, n, 0), w = ir_in(g, n, 1), b = matmul ? -1 : ir_in(g, n, 2);
    int32_t y = act >= 0 ? g->nodes[act].outputs[0] : g->nodes[n].outputs[0];
    int32_t xq, yq, zx, zy;
    float sx, sy;
    DlaStatus st;
    if ((st = in_q(q, x, &xq, &sx, &zx, err)) || (st = out_q(q, y, &sy, &zy, &yq, err)))
        return st;
    const IrValue *W = &g->values[w];
    int64_t wd[4], oc, per;
    float *wf, *bf = NULL;
    int rank;
    if (conv) {
        rank = 4;
        memcpy(wd, W->shape.dims, sizeof wd[0] * 4);
        oc = wd[0];
        per = wd[1] * wd[2] * wd[3];
        wf = dla_malloc((size_t)(oc * per) * sizeof *wf);
        memcpy(wf, W->data, (size_t)(oc * per) * sizeof *wf);
        if (b >= 0) {
            bf = dla_malloc((size_t)oc * sizeof *bf);
            memcpy(bf, g->values[b].data, (size_t)oc * sizeof *bf);
        }
    } else {
        /* Gemm: Y = alpha * A * op(B) + beta * C  ->  W[n,k] = alpha * op(B)[k,n], bias beta*C */
        int tb = !matmul && ir_attr_int(g, n, "transB", 0);
        float alpha = matmul ? 1.0f : ir_attr_float(g, n, "alpha", 1.0f);
        float beta = matmul ? 1.0f : ir_attr_float(g, n, "beta", 1.0f);
        int64_t K = W->shape.dims[tb ? 1 : 0], N = W->shape.dims[tb ? 0 : 1];
        const float *src = W->data;
        rank = 2;
        wd[0] = oc = N;
        wd[1] = per = K;
        wf = dla_malloc((size_t)(N * K) * sizeof *wf);
        for (int64_t i = 0; i < N; i++)
            for (int64_t k = 0; k < K; k++) {
                float v = tb ? src[i * K + k] : src[k * N + i];
                wf[i * K + k] = alpha == 1.0f ? v : alpha * v;
            }
        if (b >= 0) {
            const float *c = g->values[b].data;
            int64_t cn = ir_shape_numel(&g->values[b].shape);
            bf = dla_malloc((size_t)N * sizeof *bf);
            for (int64_t i = 0; i < N; i++) {
                float v = c[cn == 1 ? 0 : i];
                bf[i] = beta == 1.0f ? v : beta * v;
            }
        }
    }
    for (int64_t i = 0; i < oc * per; i++)
        if (!isfinite(wf[i])) {
            free(wf);
            free(bf);
            return dla_errorf(err, DLA_ERR_INVALID, "alpha * B is not finite (overflow)");
        }
    int8_t *wq = dla_malloc((size_t)(oc * per));
    int32_t *bq = dla_malloc((size_t)oc * sizeof *bq);
    float *sw = dla_malloc((size_t)oc * sizeof *sw), *S = dla_malloc((size_t)oc * sizeof *S);
    quant_wb(q, wf, bf, oc, per, sx, zx, sy, wq, bq, sw, S);
    int32_t wv, bv;
    wb_values(q, n, rank, wd, wq, sw, bq, &wv, &bv); /* takes wq, bq */
    int32_t lo, hi;
    act_bounds(g, act, sy, zy, &lo, &hi);
    /* MatMul over [..., M, K]: QGemm on [P, K] (P the product of the leading
     * dims), reshaped there and back by QReshapes (views on the DLA) */
    int32_t gx = xq, gy = yq;
    const IrShape xs = g->values[x].shape, ys = g->values[yq].shape;
    if (matmul && xs.rank > 2) {
        int64_t d[2] = {ir_shape_numel(&xs) / per, per};
        gx = reshape_int8(q, xq, 2, d, "_2d");
        d[1] = oc;
        IrShape s2 = ir_shape_make(2, d);
        char base[512];
        snprintf(base, sizeof base, "%.490s_2d", g->values[yq].name);
        gy = ir_value_add(g, ir_unique_name(g, base), DT_INT8, &s2);
        set_quant(g, gy, 1, -1, &sy, &zy);
    }
    int64_t k[2] = {conv ? wd[2] : 1, conv ? wd[3] : 1}, s[2], d[2], p[4];
    if (conv) {
        ints_or(g, n, "strides", 1, 2, s);
        ints_or(g, n, "dilations", 1, 2, d);
        resolve_pads(g, n, &g->values[x].shape, k, s, d, p);
        gx = qz_pad_large(q, gx, p, zx, g->nodes[n].name); /* pads beyond the DMA's fields */
    }
    int32_t in[3] = {gx, wv, bv};
    int32_t nn = ir_node_add(g, g->nodes[n].name, conv ? "QConv" : "QGemm", "dlacc", in, 3, &gy, 1);
    if (conv) {
        attr_ints(g, nn, "kernel_shape", k, 2);
        attr_ints(g, nn, "strides", s, 2);
        attr_ints(g, nn, "dilations", d, 2);
        attr_ints(g, nn, "pads", p, 4);
        attr_int(g, nn, "group", ir_attr_int(g, n, "group", 1));
    }
    attr_floats(g, nn, "scale", S, (int32_t)oc);
    attr_int(g, nn, "lo", lo);
    attr_int(g, nn, "hi", hi);
    emit(q, nn);
    if (gy != yq) {
        /* back to [..., M, N], into yq itself */
        char base[512];
        snprintf(base, sizeof base, "%.490s_reshape", g->values[yq].name);
        int32_t rn = ir_node_add(g, base, "QReshape", "dlacc", &gy, 1, &yq, 1);
        attr_ints(g, rn, "shape", ys.dims, ys.rank);
        emit(q, rn);
    }
    free(wf);
    free(bf);
    free(sw);
    free(S);
    finish_output(q, y, yq);
    return DLA_OK;
}

/* Add, Sub, Mul, Max, Min of two activations (quant_binary_op): the Q-op of
 * the same name, with the operands' and the output's scales as attributes
 * (docs/quant.md, "Element-wise ops"); broadcasting is the Q-op's. */
static DlaStatus q_binary(Qz *q, int32_t n, int32_t act, DlaError *err)
{
    IrOp op = q->g->nodes[n].op;
    const char *qop = op == OP_ADD ? "QAdd" : op == OP_SUB ? "QSub" : op == OP_MUL ? "QMul" : op == OP_MAX ? "QMax" : "QMin";
    IrGraph *g = q->g;
    int32_t y = act >= 0 ? g->nodes[act].outputs[0] : g->nodes[n].outputs[0];
    int32_t aq, bq, yq, za, zb, zy;
    float sa, sb, sy;
    DlaStatus st;
    if ((st = in_q(q, ir_in(g, n, 0), &aq, &sa, &za, err)) || (st = in_q(q, ir_in(g, n, 1), &bq, &sb, &zb, err)) ||
        (st = out_q(q, y, &sy, &zy, &yq, err)))
        return st;
    int32_t lo, hi;
    act_bounds(g, act, sy, zy, &lo, &hi);
    int32_t in[2] = {aq, bq};
    int32_t nn = ir_node_add(g, g->nodes[n].name, qop, "dlacc", in, 2, &yq, 1);
    attr_float(g, nn, "sa", sa);
    attr_float(g, nn, "sb", sb);
    attr_float(g, nn, "sy", sy);
    attr_int(g, nn, "lo", lo);
    attr_int(g, nn, "hi", hi);
    emit(q, nn);
    finish_output(q, y, yq);
    return DLA_OK;
}

/* A Relu/Clip not fused into a producer, another element-wise function
 * (quant_is_lut_op), or the root of an element-wise group (act_group.h,
 * whose inner nodes emit nothing): a 256-entry table, f evaluated in float
 * (act_group_eval: the host's semantics) at each dequantized int8 input. */
static DlaStatus q_lut(Qz *q, int32_t n, DlaError *err)
{
    IrGraph *g = q->g;
    ActGroup ag;
    int32_t one = n;
    if (!act_group_get(g, n, &ag)) {
        ag.nodes = NULL;
        ag.nnodes = 1;
        ag.input = ir_in(g, n, 0);
    }
    int32_t x = ag.input, y = g->nodes[n].outputs[0];
    int32_t xq, yq, zx, zy;
    float sx, sy;
    DlaStatus st;
    if ((st = in_q(q, x, &xq, &sx, &zx, err)) || (st = out_q(q, y, &sy, &zy, &yq, err))) {
        act_group_free(&ag);
        return st;
    }
    float in[256], out[256];
    for (int i = 0; i < 256; i++)
        in[i] = sx * (float)(i - 128 - zx); /* quant_dequantize of int8 value i - 128 */
    st = act_group_eval(g, ag.nodes ? ag.nodes : &one, ag.nnodes, x, in, out, 256, err);
    act_group_free(&ag);
    if (st != DLA_OK)
        return st;
    int64_t table[256];
    for (int i = 0; i < 256; i++)
        table[i] = quant_quantize_int8(out[i], sy, zy);
    int32_t nn = ir_node_add(g, g->nodes[n].name, "QLut", "dlacc", &xq, 1, &yq, 1);
    attr_ints(g, nn, "table", table, 256);
    emit(q, nn);
    finish_output(q, y, yq);
    return DLA_OK;
}

/* A host Concat of int8 accelerator results that the accelerator reads back
 * (squeezenet's fire modules) runs on the int8 data itself: concatenation is
 * exact when every input has the output's scale and zero point. The output's
 * calibrated range is the union of the inputs' (a concatenation holds exactly
 * their elements), so the inputs take the output's parameters. Each input
 * must be produced on the accelerator by a node free to choose its output
 * parameters (not a MaxPool, which inherits its input's) and used only here. */
static int int8_concat(const Qz *q, int32_t n)
{
    const IrGraph *g = q->g;
    const IrNode *nd = &g->nodes[n];
    if (nd->dead || nd->device != IR_DEVICE_HOST || nd->op != OP_CONCAT || nd->noutputs != 1 ||
        nd->outputs[0] < 0 || nd->ninputs < 1 || g->values[nd->outputs[0]].quant.count != 1 ||
        g->values[nd->outputs[0]].dtype != DT_FLOAT)
        return 0;
    for (int32_t i = 0; i < nd->ninputs; i++) {
        int32_t v = nd->inputs[i];
        if (v < 0 || g->values[v].dtype != DT_FLOAT || g->values[v].quant.count != 1 || q->uses[v] != 1 ||
            (g->values[v].flags & IR_VAL_OUTPUT) || g->values[v].producer < 0)
            return 0;
        const IrNode *p = &g->nodes[g->values[v].producer];
        if (p->device != IR_DEVICE_DLA || p->op == OP_MAX_POOL || p->op == OP_FLATTEN || p->op == OP_RESHAPE ||
            qz_keeps_input_params(p) || p->op == OP_RESIZE || p->op == OP_UPSAMPLE) /* inherit their input's parameters */
            return 0;
    }
    return 1;
}

static DlaStatus q_concat(Qz *q, int32_t n, DlaError *err)
{
    IrGraph *g = q->g;
    int32_t k = g->nodes[n].ninputs, y = g->nodes[n].outputs[0];
    int32_t *in = dla_malloc((size_t)k * sizeof *in);
    for (int32_t i = 0; i < k; i++) {
        in[i] = q->qv[g->nodes[n].inputs[i]];
        if (in[i] < 0) {
            free(in);
            return dla_errorf(err, DLA_ERR_INVALID, "internal error: Concat input %d has no int8 version", (int)i);
        }
    }
    float sy;
    int32_t zy, yq;
    DlaStatus st = out_q(q, y, &sy, &zy, &yq, err);
    if (st == DLA_OK) {
        int32_t nn = ir_node_add(g, g->nodes[n].name, "Concat", "", in, k, &yq, 1);
        attr_int(g, nn, "axis", ir_attr_int(g, n, "axis", 0));
        emit(q, nn);
        finish_output(q, y, yq);
    }
    free(in);
    return st;
}

static DlaStatus q_node(Qz *q, int32_t n, DlaError *err)
{
    IrGraph *g = q->g;
    const IrNode *nd = &g->nodes[n];
    int role = act_group_role(g, n);
    if (role == ACT_INNER)
        return DLA_OK; /* computed by its group's QLut (at the root, later) */
    int32_t act = quant_fused_act(g, n, q->uses);
    DlaStatus st;
    if (role == ACT_ROOT)
        st = q_lut(q, n, err);
    else if (nd->op == OP_CONV || nd->op == OP_GEMM || nd->op == OP_MAT_MUL)
        st = q_conv_gemm(q, n, act, err);
    else if (quant_binary_op(nd->op))
        st = q_binary(q, n, act, err);
    else if (qz_is_padpool(nd)) /* Pad, pools, spatial reductions */
        st = qz_padpool(q, n, err);
    else if (quant_is_lut_op(nd))
        st = q_lut(q, n, err);
    else if (nd->op == OP_RESIZE || nd->op == OP_UPSAMPLE || nd->op == OP_CONV_TRANSPOSE)
        st = qz_upsample(q, n, act, err);
    else if (quant_is_move_op(nd))
        st = qz_move(q, n, err); /* quantize_move.c */
    else
        return dla_errorf(err, DLA_ERR_INVALID, "internal error: node '%s' (%s) is marked for the accelerator",
                          nd->name, nd->op_type);
    if (st == DLA_OK && act >= 0)
        g->nodes[act].dead = 1;
    return st;
}

DlaStatus pass_quantize(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    if (!ctx->quantize)
        return DLA_OK;
    Qz q;
    memset(&q, 0, sizeof q);
    q.g = g;
    q.nv0 = g->nvalues;
    q.uses = pu_use_counts(g);
    q.host_use = dla_calloc((size_t)(g->nvalues ? g->nvalues : 1), sizeof *q.host_use);
    q.qv = dla_malloc((size_t)(g->nvalues ? g->nvalues : 1) * sizeof *q.qv);
    for (int32_t v = 0; v < g->nvalues; v++) {
        q.qv[v] = -1;
        q.host_use[v] = (g->values[v].flags & IR_VAL_OUTPUT) || pu_used_by_subgraph(g, v);
    }
    for (int32_t n = 0; n < g->nnodes; n++)
        if (!g->nodes[n].dead && g->nodes[n].device != IR_DEVICE_DLA)
            for (int32_t i = 0; i < g->nodes[n].ninputs; i++)
                if (g->nodes[n].inputs[i] >= 0)
                    q.host_use[g->nodes[n].inputs[i]]++;

    int32_t n0 = g->nnodes;
    uint8_t *concat8 = dla_calloc((size_t)(n0 ? n0 : 1), 1);
    for (int32_t n = 0; n < n0; n++) {
        if (!int8_concat(&q, n))
            continue;
        concat8[n] = 1;
        const IrQuant *yq = &g->values[g->nodes[n].outputs[0]].quant;
        for (int32_t i = 0; i < g->nodes[n].ninputs; i++) {
            int32_t v = g->nodes[n].inputs[i];
            set_quant(g, v, 1, -1, yq->scale, yq->zero_point);
            q.host_use[v]--; /* read as int8: no DequantizeLinear for it */
        }
    }

    for (int32_t n = n0 - 1; n >= 0; n--) /* consumers first: nested concats agree */
        qz_concat_unify(&q, n);

    DlaStatus st = DLA_OK;
    for (int32_t n = 0; n < n0 && st == DLA_OK; n++) {
        if (g->nodes[n].dead)
            continue;
        if (concat8[n]) {
            st = q_concat(&q, n, err);
            g->nodes[n].dead = 1;
            continue;
        }
        if (g->nodes[n].device != IR_DEVICE_DLA) {
            emit(&q, n);
            continue;
        }
        st = q_node(&q, n, err);
        g->nodes[n].dead = 1;
        if (st != DLA_OK)
            dla_error_prefix(err, "node '%s' (%s): ", g->nodes[n].name, g->nodes[n].op_type);
    }
    if (st == DLA_OK) {
        /* Nodes in the emitted order (Q-ops where their float originals were,
         * boundaries next to them); producers follow the new indices. */
        IrNode *nodes = dla_malloc((size_t)(q.norder ? q.norder : 1) * sizeof *nodes);
        for (int32_t i = 0; i < q.norder; i++) {
            nodes[i] = g->nodes[q.order[i]];
            if (q.order[i] >= n0) /* new: Q-ops on the accelerator, boundaries on the host */
                nodes[i].device = strcmp(nodes[i].domain, "dlacc") == 0 ? IR_DEVICE_DLA : IR_DEVICE_HOST;
        }
        free(g->nodes);
        g->nodes = nodes;
        g->nnodes = q.norder;
        g->nodes_cap = (size_t)(q.norder ? q.norder : 1);
        for (int32_t v = 0; v < g->nvalues; v++)
            g->values[v].producer = -1;
        for (int32_t n = 0; n < g->nnodes; n++)
            for (int32_t k = 0; k < g->nodes[n].noutputs; k++)
                if (g->nodes[n].outputs[k] >= 0)
                    g->values[g->nodes[n].outputs[k]].producer = n;
        /* calibration parameters were for the int8 versions, which now carry them */
        for (int32_t v = 0; v < g->nvalues; v++)
            if (g->values[v].dtype != DT_INT8)
                memset(&g->values[v].quant, 0, sizeof g->values[v].quant);
        st = ir_infer_shapes(g, ctx->diags, err);
        if (st != DLA_OK)
            dla_error_prefix(err, "after quantization: ");
    }
    free(concat8);
    free(q.order);
    free(q.qv);
    free(q.host_use);
    free(q.uses);
    return st;
}

/* ---- for the op-family files (quantize_int.h) ---- */
IrGraph *qz_graph(Qz *q) { return q->g; }
void qz_emit(Qz *q, int32_t node) { emit(q, node); }
DlaStatus qz_in(Qz *q, int32_t x, int32_t *xq, float *sx, int32_t *zx, DlaError *err) { return in_q(q, x, xq, sx, zx, err); }
DlaStatus qz_out(Qz *q, int32_t y, float *sy, int32_t *zy, int32_t *yq, DlaError *err) { return out_q(q, y, sy, zy, yq, err); }
int32_t qz_new_int8(Qz *q, int32_t like, float s, int32_t zp) { return new_int8(q, like, s, zp); }
void qz_finish_output(Qz *q, int32_t y, int32_t yq) { finish_output(q, y, yq); }
void qz_resolve_pads(const IrGraph *g, int32_t n, const IrShape *xs, const int64_t *k, const int64_t *s,
                     const int64_t *d, int64_t pads[4])
{
    resolve_pads(g, n, xs, k, s, d, pads);
}
void qz_act_bounds(const IrGraph *g, int32_t act, float sy, int32_t zy, int32_t *lo, int32_t *hi)
{
    act_bounds(g, act, sy, zy, lo, hi);
}
void qz_quant_wb(Qz *q, const float *wf, const float *bf, int64_t oc, int64_t per, float sx, int32_t zx, float sy,
                 int8_t *wq, int32_t *bq, float *sw, float *S)
{
    quant_wb(q, wf, bf, oc, per, sx, zx, sy, wq, bq, sw, S);
}
void qz_wb_values(Qz *q, int32_t node, int rank, const int64_t *wdims, int8_t *wq, const float *sw, int32_t *bq,
                  int32_t *wv, int32_t *bv)
{
    wb_values(q, node, rank, wdims, wq, sw, bq, wv, bv);
}
void qz_set_quant(IrGraph *g, int32_t v, float s, int32_t zp) { set_quant(g, v, 1, -1, &s, &zp); }
