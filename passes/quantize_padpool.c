/* quantize_padpool.c - the padding and pooling family of pass_quantize
 * (quantize.c dispatches here; partition_padpool.c decided what runs on the
 * accelerator; docs/quant.md "Padding and pooling" defines the Q-ops):
 *   Pad                         -> QPad (output = input parameters; constant 0
 *                                  is the zero point);
 *   MaxPool / AveragePool       -> QMaxPool / QAvgPool, after a QPad when a
 *                                  pad exceeds DLA_MAX_PAD (the DMA's field);
 *   GlobalAveragePool, ReduceMean{2,3} -> QGlobalAvgPool (keepdims);
 *   GlobalMaxPool, ReduceMax{2,3}      -> QGlobalMaxPool (keepdims).
 * Max and pad keep the input's scale and zero point: both commute with the
 * monotonic dequantization and never create a new value. */
#include "passes/quantize_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h" /* DLA_MAX_PAD */
#include "ops.h"

int qz_is_padpool(const IrNode *nd)
{
    switch (nd->op) {
    case OP_PAD: case OP_MAX_POOL: case OP_AVERAGE_POOL: case OP_GLOBAL_AVERAGE_POOL:
    case OP_GLOBAL_MAX_POOL: case OP_REDUCE_MEAN: case OP_REDUCE_MAX:
        return 1;
    default:
        return 0;
    }
}

int qz_keeps_input_params(const IrNode *nd)
{
    return nd->op == OP_MAX_POOL || nd->op == OP_GLOBAL_MAX_POOL || nd->op == OP_REDUCE_MAX || nd->op == OP_PAD;
}

static void set_ints(IrGraph *g, int32_t n, const char *name, const int64_t *v, int32_t k)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
    a->n = k;
    a->ints = dla_arena_memdup(&g->arena, v, (size_t)k * sizeof *v);
}

static void set_int(IrGraph *g, int32_t n, const char *name, int64_t v) { ir_node_add_attr(g, n, name, IR_ATTR_INT)->i = v; }

static void set_string(IrGraph *g, int32_t n, const char *name, const char *s)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_STRING);
    a->s = dla_arena_strdup(&g->arena, s);
    a->slen = strlen(s);
}

static void set_floats(IrGraph *g, int32_t n, const char *name, const float *v, int32_t k)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_FLOATS);
    a->n = k;
    a->floats = dla_arena_memdup(&g->arena, v, (size_t)k * sizeof *v);
}

static void ints_or(const IrGraph *g, int32_t n, const char *name, int64_t dflt, int k, int64_t *out)
{
    const int64_t *v;
    int32_t c = ir_attr_ints(g, n, name, &v);
    for (int i = 0; i < k; i++)
        out[i] = c == k ? v[i] : dflt;
}

/* A QPad node from xq with pads [t, l, b, r]; returns its new int8 output. */
static int32_t add_qpad(Qz *q, int32_t xq, const int64_t p[4], const char *mode, int32_t value, const char *name,
                        int32_t yq)
{
    IrGraph *g = qz_graph(q);
    if (yq < 0) {
        IrShape s = g->values[xq].shape;
        s.dims[2] += p[0] + p[2];
        s.dims[3] += p[1] + p[3];
        char base[512];
        snprintf(base, sizeof base, "%.490s_padded", g->values[xq].name);
        yq = ir_value_add(g, ir_unique_name(g, base), DT_INT8, &s);
        IrQuant *qu = &g->values[yq].quant;
        const IrQuant *qx = &g->values[xq].quant;
        qu->count = 1;
        qu->axis = -1;
        qu->scale = dla_arena_memdup(&g->arena, qx->scale, sizeof *qx->scale);
        qu->zero_point = dla_arena_memdup(&g->arena, qx->zero_point, sizeof *qx->zero_point);
    }
    char nm[512];
    snprintf(nm, sizeof nm, "%.490s_pad", name);
    int32_t nn = ir_node_add(g, ir_unique_name(g, nm), "QPad", "dlacc", &xq, 1, &yq, 1);
    set_ints(g, nn, "pads", p, 4);
    set_string(g, nn, "mode", mode);
    set_int(g, nn, "value", value);
    qz_emit(q, nn);
    return yq;
}

int32_t qz_pad_large(Qz *q, int32_t xq, int64_t p[4], int32_t value, const char *name)
{
    int big = 0;
    for (int i = 0; i < 4; i++)
        big |= p[i] > DLA_MAX_PAD;
    if (!big)
        return xq; /* the common case: the DMA pads on the fly */
    int32_t yq = add_qpad(q, xq, p, "constant", value, name, -1);
    memset(p, 0, 4 * sizeof *p);
    return yq;
}

/* Window positions of output o inside [lo, hi) along one axis. */
static int64_t win_count(int64_t o, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t lo, int64_t hi)
{
    int64_t c = 0;
    for (int64_t i = 0; i < k; i++) {
        int64_t pos = o * s + i * d - pb;
        c += pos >= lo && pos < hi;
    }
    return c;
}

static DlaStatus q_pool(Qz *q, int32_t n, DlaError *err)
{
    IrGraph *g = qz_graph(q);
    IrOp op = g->nodes[n].op;
    int max = op == OP_MAX_POOL || op == OP_GLOBAL_MAX_POOL || op == OP_REDUCE_MAX;
    int global = op == OP_GLOBAL_AVERAGE_POOL || op == OP_GLOBAL_MAX_POOL || op == OP_REDUCE_MEAN || op == OP_REDUCE_MAX;
    int32_t x = ir_in(g, n, 0), y = g->nodes[n].outputs[0];
    int32_t xq, yq, zx, zy;
    float sx, sy;
    DlaStatus st;
    if ((st = qz_in(q, x, &xq, &sx, &zx, err)))
        return st;
    if (max) {
        /* max commutes with the monotonic dequantization: keep X's parameters */
        sy = sx;
        zy = zx;
        yq = qz_new_int8(q, y, sy, zy);
    } else if ((st = qz_out(q, y, &sy, &zy, &yq, err))) {
        return st;
    }
    const IrShape xs = g->values[x].shape, ys = g->values[y].shape;
    const char *name = g->nodes[n].name;
    if (global) {
        int keep = op == OP_REDUCE_MEAN || op == OP_REDUCE_MAX ? (int)ir_attr_int(g, n, "keepdims", 1) : 1;
        int32_t nn = ir_node_add(g, name, max ? "QGlobalMaxPool" : "QGlobalAvgPool", "dlacc", &xq, 1, &yq, 1);
        set_int(g, nn, "keepdims", keep);
        if (!max) {
            /* docs/quant.md: scale = sx / (sy * f32(H*W)) */
            float t = sy * (float)(xs.dims[2] * xs.dims[3]), sc = sx / t;
            set_floats(g, nn, "scale", &sc, 1);
        }
        qz_emit(q, nn);
        qz_finish_output(q, y, yq);
        return DLA_OK;
    }
    int64_t k[2], s[2], d[2], p[4], p0[4];
    ints_or(g, n, "kernel_shape", 1, 2, k);
    ints_or(g, n, "strides", 1, 2, s);
    ints_or(g, n, "dilations", 1, 2, d);
    qz_resolve_pads(g, n, &xs, k, s, d, p);
    memcpy(p0, p, sizeof p0);
    int incl = !max && ir_attr_int(g, n, "count_include_pad", 0);
    /* Max pads with -128 (never above a real element), the average with the
     * zero point (0 in the sum, counted: partition allows this only with
     * count_include_pad = 1) */
    int32_t xin = qz_pad_large(q, xq, p, max ? -128 : zx, name);
    int32_t nn = ir_node_add(g, name, max ? "QMaxPool" : "QAvgPool", "dlacc", &xin, 1, &yq, 1);
    set_ints(g, nn, "kernel_shape", k, 2);
    set_ints(g, nn, "strides", s, 2);
    set_ints(g, nn, "dilations", d, 2);
    set_ints(g, nn, "pads", p, 4);
    set_int(g, nn, "ceil_mode", ir_attr_int(g, n, "ceil_mode", 0));
    if (!max) {
        /* One scale when every window counts kh*kw positions (the common
         * case); else one per count c = 1..kh*kw: sx / (sy * f32(c)). The
         * counts follow ONNX: positions inside the input (count_include_pad
         * = 0) or inside the padded input (= 1), per axis, multiplied. */
        int64_t kk = k[0] * k[1];
        int uniform = 1;
        for (int i = 0; i < 2 && uniform; i++) {
            int64_t in = xs.dims[2 + i], lo = incl ? -p0[i] : 0, hi = incl ? in + p0[i + 2] : in;
            for (int64_t o = 0; o < ys.dims[2 + i] && uniform; o++)
                uniform = win_count(o, k[i], s[i], d[i], p0[i], lo, hi) == k[i];
        }
        int64_t ns = uniform ? 1 : kk;
        float *sc = dla_malloc((size_t)ns * sizeof *sc);
        for (int64_t c = 0; c < ns; c++) {
            float t = sy * (float)(uniform ? kk : c + 1);
            sc[c] = sx / t;
        }
        set_floats(g, nn, "scale", sc, (int32_t)ns);
        free(sc);
        set_int(g, nn, "count_include_pad", incl || xin != xq);
    }
    qz_emit(q, nn);
    qz_finish_output(q, y, yq);
    return DLA_OK;
}

/* Pads of a Pad node as [top, left, bottom, right] (partition checked them). */
static void pad_spatial(const IrGraph *g, int32_t n, int64_t out[4])
{
    int64_t p[8] = {0}, ax[4] = {0, 1, 2, 3};
    int na = 4;
    int32_t pin = ir_in(g, n, 1);
    if (pin >= 0) {
        const IrValue *v = &g->values[pin];
        int64_t np = ir_shape_numel(&v->shape);
        for (int64_t i = 0; i < np && i < 8; i++)
            p[i] = v->dtype == DT_INT64 ? ((const int64_t *)v->data)[i] : ((const int32_t *)v->data)[i];
        int32_t ain = ir_in(g, n, 3);
        if (ain >= 0) {
            const IrValue *a = &g->values[ain];
            na = (int)ir_shape_numel(&a->shape);
            for (int i = 0; i < na && i < 4; i++)
                ax[i] = a->dtype == DT_INT64 ? ((const int64_t *)a->data)[i] : ((const int32_t *)a->data)[i];
        }
    } else {
        const int64_t *v;
        if (ir_attr_ints(g, n, "pads", &v) == 8)
            memcpy(p, v, sizeof p);
    }
    memset(out, 0, 4 * sizeof *out);
    for (int i = 0; i < na && i < 4; i++) {
        int64_t a = ax[i] < 0 ? ax[i] + 4 : ax[i];
        if (a >= 2) {
            out[a - 2] = p[i];
            out[a - 2 + 2] = p[i + na];
        }
    }
}

static DlaStatus q_pad(Qz *q, int32_t n, DlaError *err)
{
    IrGraph *g = qz_graph(q);
    int32_t x = ir_in(g, n, 0), y = g->nodes[n].outputs[0];
    int32_t xq, zx;
    float sx;
    DlaStatus st;
    if ((st = qz_in(q, x, &xq, &sx, &zx, err)))
        return st;
    int64_t p[4];
    pad_spatial(g, n, p);
    int32_t yq = qz_new_int8(q, y, sx, zx);
    /* constant: partition admits only 0, whose int8 image is zx exactly */
    add_qpad(q, xq, p, ir_attr_string(g, n, "mode", "constant"), zx, g->nodes[n].name, yq);
    qz_finish_output(q, y, yq);
    return DLA_OK;
}

DlaStatus qz_padpool(Qz *q, int32_t n, DlaError *err)
{
    return qz_graph(q)->nodes[n].op == OP_PAD ? q_pad(q, n, err) : q_pool(q, n, err);
}
