/* qref.c - the integer reference of the quantized IR (see qref.h and
 * docs/quant.md). Deliberately naive: one loop nest per op over NCHW
 * tensors, straight from the formulas, so that it is easy to check by eye. */
#include "qref_int.h"

#include <math.h>
#include <string.h>

#include "dla_mem.h"
#include "ops.h"
#include "quant/quant.h"
#include "qref_upsample.h"

/* ------------------------------------------------------------------ helpers */

typedef struct QTensor {
    const IrValue *v;
    int64_t n, c, h, w; /* NCHW view (rank 2 [M,K]: n=M, c=K, h=w=1) */
    int64_t numel;
    float scale;
    int32_t zp;
} QTensor;

static DlaStatus qt_get(const IrGraph *g, int32_t node, int32_t vi, int need_quant, QTensor *t, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    if (vi < 0 || vi >= g->nvalues)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): missing input/output", nd->name, nd->op_type);
    const IrValue *v = &g->values[vi];
    memset(t, 0, sizeof *t);
    t->v = v;
    int64_t ne = ir_shape_numel(&v->shape);
    if (ne < 0)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): value '%s' has an unknown shape", nd->name,
                          nd->op_type, v->name);
    t->numel = ne;
    const int64_t *d = v->shape.dims;
    t->n = t->c = t->h = t->w = 1;
    if (v->shape.rank >= 1)
        t->n = d[0];
    if (v->shape.rank >= 2)
        t->c = d[1];
    if (v->shape.rank >= 3)
        t->h = d[2];
    if (v->shape.rank >= 4)
        t->w = d[3];
    if (need_quant) {
        if (v->quant.count != 1)
            return dla_errorf(err, DLA_ERR_INVALID,
                              "qref: node '%s' (%s): value '%s' lacks per-tensor quantization parameters", nd->name,
                              nd->op_type, v->name);
        t->scale = v->quant.scale[0];
        t->zp = v->quant.zero_point[0];
    }
    return DLA_OK;
}

/* Spatial attributes of a 2-D conv/pool node with ONNX defaults. */
typedef struct QWin {
    int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
} QWin;

static DlaStatus qwin_get(const IrGraph *g, int32_t node, int64_t kh, int64_t kw, QWin *q, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    const int64_t *v;
    q->kh = kh, q->kw = kw;
    q->sh = q->sw = q->dh = q->dw = 1;
    q->pt = q->pl = q->pb = q->pr = 0;
    if (ir_attr_ints(g, node, "kernel_shape", &v) == 2)
        q->kh = v[0], q->kw = v[1];
    if (ir_attr_ints(g, node, "strides", &v) == 2)
        q->sh = v[0], q->sw = v[1];
    if (ir_attr_ints(g, node, "dilations", &v) == 2)
        q->dh = v[0], q->dw = v[1];
    if (ir_attr_ints(g, node, "pads", &v) == 4)
        q->pt = v[0], q->pl = v[1], q->pb = v[2], q->pr = v[3];
    if (q->kh <= 0 || q->kw <= 0 || q->sh <= 0 || q->sw <= 0 || q->dh <= 0 || q->dw <= 0)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): bad kernel/stride/dilation attributes",
                          nd->name, nd->op_type);
    return DLA_OK;
}

static void bounds(const IrGraph *g, int32_t node, int32_t *lo, int32_t *hi)
{
    *lo = (int32_t)ir_node_attr_i(g, node, "lo");
    *hi = (int32_t)ir_node_attr_i(g, node, "hi");
}

static const float *scales(const IrGraph *g, int32_t node, int64_t n, DlaError *err)
{
    const IrAttr *a = ir_attr_find(g, node, "scale");
    if (!a || a->type != IR_ATTR_FLOATS || a->n != n) {
        dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): attribute 'scale' must have %lld floats",
                   g->nodes[node].name, g->nodes[node].op_type, (long long)n);
        return NULL;
    }
    return a->floats;
}

static const void *const_data(const IrGraph *g, int32_t node, int i, IrDtype dt, int64_t numel, DlaError *err)
{
    int32_t vi = ir_in(g, node, i);
    const IrValue *v = vi >= 0 ? &g->values[vi] : NULL;
    if (!v || !(v->flags & IR_VAL_CONST) || !v->data || v->dtype != dt || v->nbytes != (size_t)numel * ir_dtype_size(dt)) {
        dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): input %d must be a constant %s tensor of %lld elements",
                   g->nodes[node].name, g->nodes[node].op_type, i, ir_dtype_name(dt), (long long)numel);
        return NULL;
    }
    return v->data;
}

/* ------------------------------------------------------------------ ops */

static DlaStatus run_conv(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    QTensor x, w, y;
    DlaStatus st;
    int gemm = g->nodes[node].op == OP_QGEMM;
    if ((st = qt_get(g, node, ir_in(g, node, 0), 1, &x, err)) || (st = qt_get(g, node, ir_in(g, node, 1), 0, &w, err)) ||
        (st = qt_get(g, node, g->nodes[node].outputs[0], 1, &y, err)))
        return st;
    int64_t oc = w.n, group = gemm ? 1 : ir_node_attr_i(g, node, "group");
    QWin q;
    if (gemm) {
        /* [M,K] x [N,K]: M pixels of K channels each, 1x1 kernel. */
        memset(&q, 0, sizeof q);
        q.kh = q.kw = q.sh = q.sw = q.dh = q.dw = 1;
        x.h = x.w = 1;
        y.h = y.w = 1;
        w.h = w.w = 1;
    } else {
        if (x.v->shape.rank != 4 || w.v->shape.rank != 4 || y.v->shape.rank != 4)
            return dla_errorf(err, DLA_ERR_UNSUPPORTED, "qref: node '%s' (QConv): only 2-D convolutions (rank 4)",
                              g->nodes[node].name);
        if ((st = qwin_get(g, node, w.h, w.w, &q, err)))
            return st;
        if (q.kh != w.h || q.kw != w.w)
            return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QConv): kernel_shape disagrees with the weights",
                              g->nodes[node].name);
    }
    int64_t icg = w.c, ocg = group > 0 ? oc / group : 0;
    if (group <= 0 || oc % group || icg * group != x.c || y.c != oc || y.n != x.n)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): inconsistent channels/group",
                          g->nodes[node].name, g->nodes[node].op_type);
    const int8_t *wd = const_data(g, node, 1, DT_INT8, w.numel, err);
    const int32_t *bd = wd ? const_data(g, node, 2, DT_INT32, oc, err) : NULL;
    const float *sc = bd ? scales(g, node, oc, err) : NULL;
    if (!sc)
        return err ? err->code : DLA_ERR_INVALID;
    int32_t lo, hi;
    bounds(g, node, &lo, &hi);
    const int8_t *xd = vals[ir_in(g, node, 0)];
    int8_t *yd = vals[g->nodes[node].outputs[0]];
    for (int64_t n = 0; n < y.n; n++)
        for (int64_t c = 0; c < oc; c++) {
            int64_t gi = c / ocg;
            for (int64_t oh = 0; oh < y.h; oh++)
                for (int64_t ow = 0; ow < y.w; ow++) {
                    uint32_t acc = (uint32_t)bd[c];
                    for (int64_t ic = 0; ic < icg; ic++)
                        for (int64_t kh = 0; kh < q.kh; kh++)
                            for (int64_t kw = 0; kw < q.kw; kw++) {
                                int64_t ih = oh * q.sh + kh * q.dh - q.pt, iw = ow * q.sw + kw * q.dw - q.pl;
                                int32_t xv = x.zp; /* padding contributes the zero point */
                                if (ih >= 0 && ih < x.h && iw >= 0 && iw < x.w)
                                    xv = xd[((n * x.c + gi * icg + ic) * x.h + ih) * x.w + iw];
                                int32_t wv = wd[((c * icg + ic) * q.kh + kh) * q.kw + kw];
                                acc += (uint32_t)(xv * wv);
                            }
                    yd[((n * oc + c) * y.h + oh) * y.w + ow] = (int8_t)quant_requant((int32_t)acc, sc[c], y.zp, lo, hi);
                }
        }
    return DLA_OK;
}

/* Window positions of output o along one axis (kernel k, stride s, dilation
 * d, padding pb before) inside [lo, hi): the divisor count of QAvgPool. */
static int64_t win_count(int64_t o, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t lo, int64_t hi)
{
    int64_t c = 0;
    for (int64_t i = 0; i < k; i++) {
        int64_t pos = o * s + i * d - pb;
        c += pos >= lo && pos < hi;
    }
    return c;
}

/* QMaxPool, QAvgPool, QGlobalAvgPool, QGlobalMaxPool. Window positions
 * outside the input (padding, and with ceil_mode the part of a last window
 * beyond the end padding) are ignored by max and contribute 0 to the
 * average's sum. An average with one scale divides by the whole window
 * (scale[0]); with kh*kw scales, output position p uses scale[count(p)-1],
 * count(p) = the window's positions inside the input (count_include_pad = 0)
 * or inside the padded input (= 1), per axis and multiplied (docs/quant.md). */
static DlaStatus run_pool(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    QTensor x, y;
    DlaStatus st;
    IrOp op = g->nodes[node].op;
    int global = op == OP_QGLOBAL_AVG_POOL || op == OP_QGLOBAL_MAX_POOL;
    int max = op == OP_QMAX_POOL || op == OP_QGLOBAL_MAX_POOL;
    if ((st = qt_get(g, node, ir_in(g, node, 0), 1, &x, err)) || (st = qt_get(g, node, g->nodes[node].outputs[0], 1, &y, err)))
        return st;
    QWin q;
    if (x.v->shape.rank != 4 || (y.v->shape.rank != 4 && !(global && y.v->shape.rank == 2)))
        return dla_errorf(err, DLA_ERR_UNSUPPORTED, "qref: node '%s' (%s): only 2-D pooling (rank 4)",
                          g->nodes[node].name, g->nodes[node].op_type);
    if (global) {
        memset(&q, 0, sizeof q);
        q.kh = x.h, q.kw = x.w, q.sh = q.sw = q.dh = q.dw = 1;
    } else if ((st = qwin_get(g, node, 0, 0, &q, err))) {
        return st;
    }
    const float *sc = NULL;
    int64_t nsc = op == OP_QAVG_POOL ? q.kh * q.kw : 1;
    if (!max) {
        const IrAttr *a = ir_attr_find(g, node, "scale");
        if (!(sc = scales(g, node, a && a->type == IR_ATTR_FLOATS && a->n == nsc ? nsc : 1, err)))
            return err ? err->code : DLA_ERR_INVALID;
        nsc = a->n;
    }
    int incl = op == OP_QAVG_POOL && ir_node_attr_i(g, node, "count_include_pad");
    if (y.n != x.n || y.c != x.c)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s': output shape does not match input", g->nodes[node].name);
    const int8_t *xd = vals[ir_in(g, node, 0)];
    int8_t *yd = vals[g->nodes[node].outputs[0]];
    for (int64_t nc = 0; nc < x.n * x.c; nc++)
        for (int64_t oh = 0; oh < y.h; oh++)
            for (int64_t ow = 0; ow < y.w; ow++) {
                int32_t mx = -128;
                uint32_t sum = 0;
                for (int64_t kh = 0; kh < q.kh; kh++)
                    for (int64_t kw = 0; kw < q.kw; kw++) {
                        int64_t ih = oh * q.sh + kh * q.dh - q.pt, iw = ow * q.sw + kw * q.dw - q.pl;
                        if (ih < 0 || ih >= x.h || iw < 0 || iw >= x.w)
                            continue;
                        int32_t v = xd[(nc * x.h + ih) * x.w + iw];
                        mx = v > mx ? v : mx;
                        sum += (uint32_t)(v - x.zp);
                    }
                int32_t r;
                if (max) {
                    r = mx;
                } else {
                    float s = sc[0];
                    if (nsc > 1) {
                        int64_t ch = incl ? win_count(oh, q.kh, q.sh, q.dh, q.pt, -q.pt, x.h + q.pb)
                                          : win_count(oh, q.kh, q.sh, q.dh, q.pt, 0, x.h);
                        int64_t cw = incl ? win_count(ow, q.kw, q.sw, q.dw, q.pl, -q.pl, x.w + q.pr)
                                          : win_count(ow, q.kw, q.sw, q.dw, q.pl, 0, x.w);
                        s = ch * cw > 0 ? sc[ch * cw - 1] : 0.0f; /* no position: the sum is 0 */
                    }
                    r = quant_requant((int32_t)sum, s, y.zp, -128, 127);
                }
                yd[(nc * y.h + oh) * y.w + ow] = (int8_t)r;
            }
    return DLA_OK;
}

static DlaStatus run_lut(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    QTensor x, y;
    DlaStatus st;
    if ((st = qt_get(g, node, ir_in(g, node, 0), 0, &x, err)) || (st = qt_get(g, node, g->nodes[node].outputs[0], 0, &y, err)))
        return st;
    const int64_t *t;
    if (ir_attr_ints(g, node, "table", &t) != 256 || x.numel != y.numel)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QLut): needs a 256-entry table", g->nodes[node].name);
    const int8_t *xd = vals[ir_in(g, node, 0)];
    int8_t *yd = vals[g->nodes[node].outputs[0]];
    for (int64_t i = 0; i < x.numel; i++)
        yd[i] = (int8_t)t[xd[i] + 128];
    return DLA_OK;
}

/* QConcat: Y = concat over `axis` of requant(X_i - zx_i, scale[i], zy, -128, 127). */
static DlaStatus run_concat(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    QTensor y;
    DlaStatus st;
    if ((st = qt_get(g, node, nd->outputs[0], 1, &y, err)))
        return st;
    const float *sc = scales(g, node, nd->ninputs, err);
    if (!sc)
        return err ? err->code : DLA_ERR_INVALID;
    const IrShape *ys = &y.v->shape;
    int64_t axis = ir_node_attr_i(g, node, "axis");
    if (axis < 0)
        axis += ys->rank;
    if (axis < 0 || axis >= ys->rank)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QConcat): bad axis", nd->name);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= ys->dims[i];
    for (int i = (int)axis + 1; i < ys->rank; i++)
        inner *= ys->dims[i];
    int64_t ytot = ys->dims[axis] * inner, off = 0;
    int8_t *yd = vals[nd->outputs[0]];
    for (int k = 0; k < nd->ninputs; k++) {
        QTensor x;
        if ((st = qt_get(g, node, nd->inputs[k], 1, &x, err)))
            return st;
        if (x.v->shape.rank != ys->rank || off + x.v->shape.dims[axis] * inner > ytot)
            return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QConcat): input %d does not fit", nd->name, k);
        int64_t blk = x.v->shape.dims[axis] * inner;
        const int8_t *xd = vals[nd->inputs[k]];
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < blk; j++)
                yd[o * ytot + off + j] = (int8_t)quant_requant(xd[o * blk + j] - x.zp, sc[k], y.zp, -128, 127);
        off += blk;
    }
    return DLA_OK;
}

DlaStatus qref_run(const IrGraph *g, const int32_t *nodes, int32_t nnodes, int8_t **vals, DlaError *err)
{
    for (int32_t k = 0; k < nnodes; k++) {
        int32_t node = nodes[k];
        const IrNode *nd = &g->nodes[node];
        if (nd->noutputs < 1 || nd->outputs[0] < 0)
            return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s) has no output", nd->name, nd->op_type);
        /* Activation inputs must have buffers. */
        int nact = ir_op_is_qbinary(nd->op) ? 2 : nd->op == OP_QCONCAT || nd->op == OP_QINTERLEAVE ? nd->ninputs : 1;
        for (int i = 0; i < nact; i++) {
            int32_t vi = ir_in(g, node, i);
            if (vi < 0 || !vals[vi])
                return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): input %d has no data", nd->name,
                                  nd->op_type, i);
        }
        int32_t yv = nd->outputs[0];
        int64_t ne = ir_shape_numel(&g->values[yv].shape);
        if (ne < 0)
            return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): output shape unknown", nd->name, nd->op_type);
        if (!vals[yv])
            vals[yv] = dla_malloc(ne ? (size_t)ne : 1);
        DlaStatus st;
        switch (nd->op) {
        case OP_QCONV:
        case OP_QGEMM: st = run_conv(g, node, vals, err); break;
        case OP_QADD:
        case OP_QSUB:
        case OP_QMUL:
        case OP_QMAX:
        case OP_QMIN: st = qref_run_binary(g, node, vals, err); break;
        case OP_QMAX_POOL:
        case OP_QAVG_POOL:
        case OP_QGLOBAL_AVG_POOL:
        case OP_QGLOBAL_MAX_POOL: st = run_pool(g, node, vals, err); break;
        case OP_QPAD: st = qref_run_pad(g, node, vals, err); break;
        case OP_QLUT: st = run_lut(g, node, vals, err); break;
        case OP_QCONCAT: st = run_concat(g, node, vals, err); break;
        case OP_QRESIZE: st = qref_run_resize(g, node, vals, err); break;
        case OP_QZERO_INSERT: st = qref_run_zero_insert(g, node, vals, err); break;
        case OP_QINTERLEAVE: st = qref_run_interleave(g, node, vals, err); break;
        case OP_QSLICE:
        case OP_QTRANSPOSE:
        case OP_QRESHAPE:
        case OP_QCHANNEL_SHUFFLE: st = qref_move(g, node, vals, err); break; /* qref_move.c */
        default:
            return dla_errorf(err, DLA_ERR_UNSUPPORTED, "qref: node '%s' (%s) is not a dlacc quantized op", nd->name,
                              nd->op_type);
        }
        if (st)
            return st;
    }
    return DLA_OK;
}
