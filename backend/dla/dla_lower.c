/* dla_lower.c - what the per-op instruction selection shares (errors naming
 * the node, quantization, dims, window attributes, tile spans) and the
 * conversion between the IR's row-major data and a tensor's DRAM layout.
 * dla_lower() itself is the plan plus the passes (dla_plan.c). */
#include "dla_lower.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_lower_int.h"
#include "dla_mem.h"
#include "isa/isa.h"
#include "ops.h"

/* ------------------------------------------------------------ shared helpers */

DlaStatus dla_lower_err(DlaLowerCtx *c, int32_t node, DlaStatus code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const IrNode *n = &c->g->nodes[node];
    return dla_errorf(c->err, code, "node '%s' (%s): %s", n->name, n->op_type, msg);
}

DlaStatus dla_lower_quant(DlaLowerCtx *c, int32_t node, int32_t v, float *scale, int32_t *zp)
{
    const IrValue *x = &c->g->values[v];
    if (x->dtype != DT_INT8 || x->quant.count != 1 || !(x->quant.scale[0] > 0) || x->quant.zero_point[0] < -128 ||
        x->quant.zero_point[0] > 127)
        return dla_lower_err(c, node, DLA_ERR_INVALID,
                             "value '%s' must be int8 with per-tensor quantization (scale > 0, int8 zero point)",
                             x->name);
    *scale = x->quant.scale[0];
    *zp = x->quant.zero_point[0];
    return DLA_OK;
}

DlaStatus dla_lower_dims(DlaLowerCtx *c, int32_t node, int32_t v, DlaDims *d)
{
    const IrShape *s = &c->g->values[v].shape;
    if (!ir_shape_known(s) || (s->rank != 4 && s->rank != 2))
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "value '%s' must have a known rank-4 (or rank-2) shape",
                             c->g->values[v].name);
    for (int i = 0; i < s->rank; i++)
        if (s->dims[i] < 1 || s->dims[i] > ((int64_t)1 << 30))
            return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "value '%s' has dim %lld", c->g->values[v].name,
                                 (long long)s->dims[i]);
    if (s->rank == 4)
        *d = (DlaDims){s->dims[0], s->dims[1], s->dims[2], s->dims[3]};
    else
        *d = (DlaDims){1, s->dims[1], s->dims[0], 1};
    return DLA_OK;
}

DlaStatus dla_lower_win(DlaLowerCtx *c, int32_t node, int64_t kh, int64_t kw, DlaWin *w)
{
    const IrGraph *g = c->g;
    const int64_t *v;
    int32_t n;
    *w = (DlaWin){kh, kw, 1, 1, 1, 1, 0, 0, 0, 0};
    if ((n = ir_attr_ints(g, node, "kernel_shape", &v)) >= 0) {
        if (n != 2)
            return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "only 2-D kernels are supported");
        w->kh = v[0], w->kw = v[1];
    }
    if ((n = ir_attr_ints(g, node, "strides", &v)) == 2)
        w->sh = v[0], w->sw = v[1];
    if ((n = ir_attr_ints(g, node, "dilations", &v)) == 2)
        w->dh = v[0], w->dw = v[1];
    if ((n = ir_attr_ints(g, node, "pads", &v)) == 4)
        w->pt = v[0], w->pl = v[1], w->pb = v[2], w->pr = v[3];
    const int64_t E = DLA_MAX_EXTENT, P = DLA_MAX_PAD;
    if (w->kh < 1 || w->kw < 1 || w->sh < 1 || w->sw < 1 || w->dh < 1 || w->dw < 1 || w->kh > E || w->kw > E ||
        w->sh > E || w->sw > E || w->dh > E || w->dw > E)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "kernel/stride/dilation out of range");
    if (w->pt < 0 || w->pl < 0 || w->pb < 0 || w->pr < 0 || w->pt > P || w->pl > P || w->pb > P || w->pr > P)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "padding must be 0..%d per side (the DMA pads on the fly)",
                             (int)P);
    return DLA_OK;
}

DlaStatus dla_lower_span(DlaLowerCtx *c, int32_t node, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb,
                         int64_t o0, int64_t on, DlaSpan *r)
{
    int64_t i0 = o0 * s - pb, len = dla_span_len(on, k, s, d);
    int64_t end = i0 + len < in ? i0 + len : in;
    r->pad0 = i0 < 0 ? -i0 : 0;
    r->i0 = i0 < 0 ? 0 : i0;
    r->n = end - r->i0;
    r->pad1 = len - r->pad0 - r->n;
    r->total = len;
    if (r->n < 1 || r->pad0 > DLA_MAX_PAD || r->pad1 > DLA_MAX_PAD)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED,
                             "outputs %lld..%lld need %lld/%lld padding inputs (at most %d each side)", (long long)o0,
                             (long long)(o0 + on - 1), (long long)r->pad0, (long long)r->pad1, (int)DLA_MAX_PAD);
    return DLA_OK;
}

/* ------------------------------------------------------------ layout conversion */

void dla_tensor_pack(const DlaTensorDesc *d, const int8_t *src, int8_t *dev)
{
    int64_t n = 1;
    for (uint32_t i = 0; i < d->rank; i++)
        n *= d->dims[i];
    if (d->layout != IR_LAYOUT_NHWC || d->rank != 4) {
        memcpy(dev, src, (size_t)n);
        return;
    }
    int64_t N = d->dims[0], C = d->dims[1], HW = d->dims[2] * d->dims[3];
    for (int64_t b = 0; b < N; b++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t p = 0; p < HW; p++)
                dev[(b * HW + p) * C + ch] = src[(b * C + ch) * HW + p];
}

void dla_tensor_unpack(const DlaTensorDesc *d, const int8_t *dev, int8_t *dst)
{
    int64_t n = 1;
    for (uint32_t i = 0; i < d->rank; i++)
        n *= d->dims[i];
    if (d->layout != IR_LAYOUT_NHWC || d->rank != 4) {
        memcpy(dst, dev, (size_t)n);
        return;
    }
    int64_t N = d->dims[0], C = d->dims[1], HW = d->dims[2] * d->dims[3];
    for (int64_t b = 0; b < N; b++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t p = 0; p < HW; p++)
                dst[(b * C + ch) * HW + p] = dev[(b * HW + p) * C + ch];
}
