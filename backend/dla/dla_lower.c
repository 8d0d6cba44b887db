/* dla_lower.c - the driver of the DLA lowering (dla_lower.h): classifies the
 * partition's values (inputs, outputs, intermediates), places them in DRAM
 * (intermediates by liveness, first fit), lowers node by node into one
 * instruction stream (dla_lower_conv.c, dla_lower_vec.c; layers overlap where
 * their data allow, dla_emit.h), and fills the program's tensor descriptors. */
#include "dla_lower.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_lower_int.h"
#include "dla_mem.h"
#include "isa/dla_format.h"
#include "ops.h"

#define DLA_ACT_ALIGN 64

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
    if (w->kh < 1 || w->kw < 1 || w->sh < 1 || w->sw < 1 || w->dh < 1 || w->dw < 1 || w->kh > 1024 || w->kw > 1024 ||
        w->sh > 1024 || w->sw > 1024 || w->dh > 1024 || w->dw > 1024)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "kernel/stride/dilation out of range");
    if (w->pt < 0 || w->pl < 0 || w->pb < 0 || w->pr < 0 || w->pt > 7 || w->pl > 7 || w->pb > 7 || w->pr > 7)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "padding must be 0..7 per side (the DMA pads on the fly)");
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
    if (r->n < 1 || r->pad0 > 7 || r->pad1 > 7)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED,
                             "outputs %lld..%lld need %lld/%lld padding inputs (at most 7 each side)", (long long)o0,
                             (long long)(o0 + on - 1), (long long)r->pad0, (long long)r->pad1);
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

/* ------------------------------------------------------------ partition */

enum { ROLE_NONE, ROLE_IN, ROLE_OUT, ROLE_MID };

/* Number of leading inputs of a Q-op that are activations (the rest constant). */
static int act_inputs(const IrNode *nd) { return nd->op == OP_QADD ? 2 : nd->op == OP_QCONCAT ? nd->ninputs : 1; }

static int is_qop(IrOp op)
{
    return op == OP_QCONV || op == OP_QGEMM || op == OP_QADD || op == OP_QMAX_POOL || op == OP_QAVG_POOL ||
           op == OP_QGLOBAL_AVG_POOL || op == OP_QLUT || op == OP_QCONCAT;
}

typedef struct Live {
    int32_t v;
    int32_t def, last;
    uint64_t off, size;
} Live;

DlaStatus dla_lower(const IrGraph *g, const int32_t *nodes, int32_t nnodes, const DlaTarget *t, DlaProgram *out,
                    DlaError *err)
{
    memset(out, 0, sizeof *out);
    DlaStatus st = dla_isa_check_target(t, err);
    if (st)
        return st;
    if (nnodes < 1)
        return dla_errorf(err, DLA_ERR_INVALID, "lowering: empty partition");
    uint8_t *mark = dla_calloc((size_t)g->nnodes + 1, 1);
    uint8_t *role = dla_calloc((size_t)g->nvalues + 1, 1);
    int32_t *def = dla_malloc(((size_t)g->nvalues + 1) * sizeof *def), *last = dla_malloc(((size_t)g->nvalues + 1) * sizeof *last);
    uint64_t *addr = dla_malloc(((size_t)g->nvalues + 1) * sizeof *addr);
    int32_t *order = dla_malloc(((size_t)g->nvalues + 1) * sizeof *order); /* inputs then outputs */
    Live *mid = dla_malloc(((size_t)g->nvalues + 1) * sizeof *mid);
    int32_t norder = 0, nmid = 0;
    DlaEmit em;
    dla_em_init(&em, t);
    DlaLowerCtx ctx = {g, &em, addr, err};
    for (int32_t v = 0; v < g->nvalues; v++)
        def[v] = last[v] = -1, addr[v] = DLA_NO_ADDR;

    /* Check the nodes; mark the partition. */
    for (int32_t i = 0; i < nnodes; i++) {
        int32_t n = nodes[i];
        if (n < 0 || n >= g->nnodes || mark[n]) {
            st = dla_errorf(err, DLA_ERR_INVALID, "lowering: node index %d is invalid or repeated", n);
            goto done;
        }
        const IrNode *nd = &g->nodes[n];
        if (!is_qop(nd->op) || strcmp(nd->domain, "dlacc") != 0) {
            st = dla_errorf(err, DLA_ERR_UNSUPPORTED, "lowering: node '%s' (%s) is not a dlacc quantized op", nd->name,
                            nd->op_type);
            goto done;
        }
        if (nd->noutputs != 1 || nd->outputs[0] < 0 || nd->ninputs < act_inputs(nd)) {
            st = dla_errorf(err, DLA_ERR_INVALID, "lowering: node '%s' (%s) has wrong inputs/outputs", nd->name,
                            nd->op_type);
            goto done;
        }
        mark[n] = 1;
    }
    /* Roles: activation inputs not produced inside are INPUT; produced values
     * are OUTPUT when visible outside the partition, else intermediate. */
    for (int32_t i = 0; i < nnodes; i++) {
        const IrNode *nd = &g->nodes[nodes[i]];
        for (int k = 0; k < act_inputs(nd); k++) {
            int32_t v = nd->inputs[k];
            if (v < 0 || (g->values[v].flags & IR_VAL_CONST)) {
                st = dla_errorf(err, DLA_ERR_UNSUPPORTED, "lowering: node '%s' (%s): input %d must be a non-constant tensor",
                                nd->name, nd->op_type, k);
                goto done;
            }
            if (def[v] < 0 && role[v] == ROLE_NONE) {
                role[v] = ROLE_IN;
                order[norder++] = v;
            }
            if (def[v] >= 0 || role[v] == ROLE_IN)
                last[v] = i;
        }
        int32_t y = nd->outputs[0];
        if (role[y] != ROLE_NONE || def[y] >= 0) {
            st = dla_errorf(err, DLA_ERR_INVALID, "lowering: value '%s' is produced after being read, or twice",
                            g->values[y].name);
            goto done;
        }
        def[y] = i;
        role[y] = ROLE_MID;
    }
    for (int32_t n = 0; n < g->nnodes; n++) {
        if (mark[n] || g->nodes[n].dead)
            continue;
        for (int32_t k = 0; k < g->nodes[n].ninputs; k++) {
            int32_t v = g->nodes[n].inputs[k];
            if (v >= 0 && role[v] == ROLE_MID)
                role[v] = ROLE_OUT;
        }
    }
    for (int32_t k = 0; k < g->noutputs; k++)
        if (role[g->outputs[k]] == ROLE_MID)
            role[g->outputs[k]] = ROLE_OUT;
    for (int32_t i = 0; i < nnodes; i++) {
        int32_t y = g->nodes[nodes[i]].outputs[0];
        if (role[y] == ROLE_MID && last[y] < 0)
            role[y] = ROLE_OUT; /* read by nobody: still a result */
        if (role[y] == ROLE_OUT)
            order[norder++] = y;
    }
    /* DRAM (relative to the activation region): inputs, outputs, then intermediates. */
    uint64_t top = 0;
    for (int32_t k = 0; k < norder; k++) {
        int32_t v = order[k];
        int64_t ne = ir_shape_numel(&g->values[v].shape);
        if (ne < 1 || g->values[v].dtype != DT_INT8) {
            st = dla_errorf(err, DLA_ERR_INVALID, "lowering: value '%s' must be int8 with a known, non-empty shape",
                            g->values[v].name);
            goto done;
        }
        addr[v] = top;
        top += (uint64_t)dla_round_up(ne, DLA_ACT_ALIGN);
    }
    uint64_t mid_base = top, mid_top = 0;
    for (int32_t i = 0; i < nnodes; i++) {
        int32_t y = g->nodes[nodes[i]].outputs[0];
        if (role[y] != ROLE_MID)
            continue;
        int64_t ne = ir_shape_numel(&g->values[y].shape);
        if (ne < 1 || g->values[y].dtype != DT_INT8) {
            st = dla_errorf(err, DLA_ERR_INVALID, "lowering: value '%s' must be int8 with a known, non-empty shape",
                            g->values[y].name);
            goto done;
        }
        Live l = {y, def[y], last[y], 0, (uint64_t)dla_round_up(ne, DLA_ACT_ALIGN)};
        /* first fit among the values alive at the same time */
        for (int moved = 1; moved;) {
            moved = 0;
            for (int32_t j = 0; j < nmid; j++) {
                const Live *o = &mid[j];
                int in_time = !(o->last < l.def || l.last < o->def);
                if (in_time && o->off < l.off + l.size && l.off < o->off + o->size) {
                    l.off = o->off + o->size;
                    moved = 1;
                }
            }
        }
        mid[nmid++] = l;
        addr[y] = mid_base + l.off;
        if (l.off + l.size > mid_top)
            mid_top = l.off + l.size;
    }
    uint64_t act_bytes = mid_base + mid_top;
    if (act_bytes > t->dram_bytes || act_bytes > ((uint64_t)1 << 32)) {
        st = dla_errorf(err, DLA_ERR_LIMIT, "lowering: the activations need %llu bytes of DRAM, the target has %llu",
                        (unsigned long long)act_bytes, (unsigned long long)t->dram_bytes);
        goto done;
    }

    /* Lower node by node. */
    for (int32_t i = 0; i < nnodes; i++) {
        int32_t n = nodes[i];
        const IrNode *nd = &g->nodes[n];
        dla_em_layer_begin(&em, nd->name, nd->op_type, 0);
        uint64_t macs = 0;
        switch (nd->op) {
        case OP_QCONV:
        case OP_QGEMM: st = dla_lower_conv(&ctx, n, &macs); break;
        case OP_QMAX_POOL:
        case OP_QAVG_POOL: st = dla_lower_pool(&ctx, n, &macs); break;
        case OP_QGLOBAL_AVG_POOL: st = dla_lower_gpool(&ctx, n, &macs); break;
        case OP_QADD: st = dla_lower_add(&ctx, n, &macs); break;
        case OP_QLUT: st = dla_lower_lut(&ctx, n, &macs); break;
        case OP_QCONCAT: st = dla_lower_concat(&ctx, n, &macs); break;
        default: st = DLA_ERR_UNSUPPORTED; break;
        }
        if (st)
            goto done;
        if (em.overflow) {
            st = dla_errorf(err, DLA_ERR_LIMIT, "lowering: node '%s' (%s): the program exceeds %u instructions",
                            nd->name, nd->op_type, DLA_EM_MAX_INSNS);
            goto done;
        }
        em.layers[em.nlayers - 1].macs = macs;
        dla_em_layer_end(&em);
    }
    dla_em_end(&em);

    out->target = *t;
    uint64_t act_base = (uint64_t)dla_round_up((int64_t)em.nconsts, DLA_ACT_ALIGN);
    out->dram_bytes_used = act_base + act_bytes;
    if (out->dram_bytes_used > t->dram_bytes || out->dram_bytes_used > ((uint64_t)1 << 32)) {
        st = dla_errorf(err, DLA_ERR_LIMIT, "lowering: the program needs %llu bytes of DRAM, the target has %llu",
                        (unsigned long long)out->dram_bytes_used, (unsigned long long)t->dram_bytes);
        goto done;
    }
    if ((st = dla_em_finish(&em, act_base, out, err)))
        goto done;
    out->tensors = dla_calloc((size_t)norder + 1, sizeof *out->tensors);
    out->ntensors = (uint32_t)norder;
    for (int32_t k = 0; k < norder; k++) {
        const IrValue *v = &g->values[order[k]];
        DlaTensorDesc *d = &out->tensors[k];
        d->name = dla_strdup(v->name);
        d->role = role[order[k]] == ROLE_IN ? DLA_TENSOR_INPUT : DLA_TENSOR_OUTPUT;
        d->dtype = DT_INT8;
        d->layout = v->shape.rank == 4 ? IR_LAYOUT_NHWC : IR_LAYOUT_ROWMAJOR;
        d->rank = (uint32_t)v->shape.rank;
        for (int r = 0; r < v->shape.rank; r++)
            d->dims[r] = v->shape.dims[r];
        if (v->quant.count == 1) {
            d->scale = v->quant.scale[0];
            d->zero_point = v->quant.zero_point[0];
        }
        d->dram_offset = act_base + addr[order[k]];
        d->nbytes = (uint64_t)ir_shape_numel(&v->shape);
    }
    st = dla_program_validate(out, err);
done:
    if (st)
        dla_program_free(out);
    dla_em_free(&em);
    free(mark);
    free(role);
    free(def);
    free(last);
    free(addr);
    free(order);
    free(mid);
    return st;
}
