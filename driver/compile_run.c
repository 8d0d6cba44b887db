/* compile_run.c - executing a plan (compile.h): segments in order, host
 * segments on their JIT-compiled code, boundary conversions in C, DLA
 * segments through libdlart (layout conversion happens there), optionally
 * each DLA segment checked against the integer reference (qref). */
#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/qref/qref.h"
#include "compile_int.h"
#include "quant/quant.h"

static size_t value_bytes(const IrGraph *g, int32_t v)
{
    int64_t n = ir_shape_numel(&g->values[v].shape);
    return (size_t)(n > 0 ? n : 0) * ir_dtype_size(g->values[v].dtype);
}

static float const_f32(const IrGraph *g, int32_t v)
{
    return *(const float *)g->values[v].data;
}

static int32_t const_zp(const IrGraph *g, int32_t v)
{
    if (v < 0)
        return 0;
    const IrValue *x = &g->values[v];
    switch (x->dtype) {
    case DT_INT8: return *(const int8_t *)x->data;
    case DT_UINT8: return *(const uint8_t *)x->data;
    case DT_INT32: return *(const int32_t *)x->data;
    default: return 0;
    }
}

/* The boundary conversions, QuantizeLinear to int8 and DequantizeLinear from
 * int8, are quant/quant.h's quantize and dequantize (the host backend's code
 * for the same ops emits the same binary32 steps). */
static void run_boundary(const IrGraph *g, int32_t n, void **buf)
{
    const IrNode *nd = &g->nodes[n];
    float s = const_f32(g, nd->inputs[1]);
    int32_t zp = const_zp(g, ir_in(g, n, 2));
    int64_t cnt = ir_shape_numel(&g->values[nd->outputs[0]].shape);
    if (nd->op == OP_QUANTIZE_LINEAR) {
        const float *x = buf[nd->inputs[0]];
        int8_t *q = buf[nd->outputs[0]];
        for (int64_t i = 0; i < cnt; i++)
            q[i] = quant_quantize_int8(x[i], s, zp);
    } else {
        const int8_t *q = buf[nd->inputs[0]];
        float *x = buf[nd->outputs[0]];
        for (int64_t i = 0; i < cnt; i++)
            x[i] = quant_dequantize(q[i], s, zp);
    }
}

/* One line per int8 value the segment computes: its SQNR against the float
 * model's value of the same name (NAME_q -> NAME). */
static void layer_report(const DlaPlan *p, const DlaSegment *sg, int8_t **vals, const DlaRunOptions *ro)
{
    const IrGraph *g = p->g;
    for (int32_t k = 0; k < sg->nnodes; k++) {
        const IrNode *nd = &g->nodes[sg->nodes[k]];
        int32_t v = nd->outputs[0];
        if (v < 0 || !vals[v] || g->values[v].quant.count != 1)
            continue;
        char name[512];
        snprintf(name, sizeof name, "%s", g->values[v].name);
        size_t l = strlen(name);
        if (l > 2 && !strcmp(name + l - 2, "_q"))
            name[l - 2] = 0;
        int32_t f = ir_value_find(ro->float_graph, name);
        int64_t n = ir_shape_numel(&g->values[v].shape);
        if (f < 0 || !ro->float_vals[f] || ir_shape_numel(&ro->float_graph->values[f].shape) != n) {
            fprintf(ro->layer_report, "  %-10s %-48s (no float value '%s')\n", nd->op_type, nd->name, name);
            continue;
        }
        double db = dla_sqnr_int8(vals[v], g->values[v].quant.scale[0], g->values[v].quant.zero_point[0],
                                  ro->float_vals[f], n);
        fprintf(ro->layer_report, "  %-10s %-48s SQNR %7.2f dB  (scale %.6g, zero point %d)\n", nd->op_type, nd->name,
                db, (double)g->values[v].quant.scale[0], g->values[v].quant.zero_point[0]);
    }
}

static void verify_segment(DlaPlan *p, DlaSegment *sg, void **buf, DlaRunResult *res, const DlaRunOptions *ro)
{
    IrGraph *g = p->g;
    int8_t **vals = dla_calloc((size_t)g->nvalues, sizeof *vals);
    for (int32_t i = 0; i < sg->nin; i++)
        vals[sg->in_vals[i]] = buf[sg->in_vals[i]];
    DlaError e = {0};
    DlaStatus st = qref_run(g, sg->nodes, sg->nnodes, vals, &e);
    if (st) {
        res->qref_mismatches++;
        if (!res->qref_first[0])
            snprintf(res->qref_first, sizeof res->qref_first, "DLA segment %u: qref failed: %.200s", sg->dla_index,
                     e.msg);
    } else {
        if (ro->layer_report && ro->float_graph && ro->float_vals)
            layer_report(p, sg, vals, ro);
        for (int32_t i = 0; i < sg->nout; i++) {
            int32_t v = sg->out_vals[i];
            size_t nb = value_bytes(g, v);
            const int8_t *a = vals[v], *b = buf[v];
            res->qref_bytes += nb;
            for (size_t k = 0; k < nb; k++)
                if (a[k] != b[k]) {
                    if (!res->qref_first[0])
                        snprintf(res->qref_first, sizeof res->qref_first,
                                 "DLA segment %u, value '%.100s', element %zu: simulator %d, qref %d", sg->dla_index,
                                 g->values[v].name, k, b[k], a[k]);
                    res->qref_mismatches++;
                }
        }
    }
    /* free what qref allocated: every node output of the segment */
    for (int32_t k = 0; k < sg->nnodes; k++) {
        const IrNode *nd = &g->nodes[sg->nodes[k]];
        for (int32_t o = 0; o < nd->noutputs; o++)
            if (nd->outputs[o] >= 0) {
                free(vals[nd->outputs[o]]);
                vals[nd->outputs[o]] = NULL;
            }
    }
    free(vals);
}

DlaStatus dla_plan_run(DlaPlan *p, DlartProgram *rp, const OnnxTensorFile *inputs, int32_t ninputs,
                       const DlaRunOptions *ro, DlaRunResult *res, DlaError *err)
{
    IrGraph *g = p->g;
    memset(res, 0, sizeof *res);
    if (ninputs != g->ninputs)
        return dla_errorf(err, DLA_ERR_INVALID, "the model has %d inputs, %d given", (int)g->ninputs, (int)ninputs);
    void **buf = dla_calloc((size_t)g->nvalues, sizeof *buf);
    uint8_t *borrowed = dla_calloc((size_t)g->nvalues, 1);
    DlaStatus st = DLA_OK;
    for (int32_t i = 0; i < ninputs; i++) {
        int32_t v = g->inputs[i];
        const IrValue *x = &g->values[v];
        char a[160], b[160];
        if (inputs[i].dtype != x->dtype || !ir_shape_equal(&inputs[i].shape, &x->shape) ||
            inputs[i].nbytes < value_bytes(g, v)) {
            st = dla_errorf(err, DLA_ERR_INVALID, "input '%s': got %s %s, the compiled model takes %s %s", x->name,
                            ir_dtype_name(inputs[i].dtype), ir_shape_str(&inputs[i].shape, a, sizeof a),
                            ir_dtype_name(x->dtype), ir_shape_str(&x->shape, b, sizeof b));
            goto done;
        }
        buf[v] = inputs[i].data;
        borrowed[v] = 1;
    }
    for (int32_t s = 0; s < p->nsegs && !st; s++) {
        DlaSegment *sg = &p->segs[s];
        /* buffers for what the segment hands to others (values inside a DLA
         * segment live in device DRAM only; inside a host segment, in its arena) */
        for (int32_t k = 0; k < sg->nout; k++) {
            int32_t v = sg->out_vals[k];
            if (!buf[v]) {
                size_t nb = value_bytes(g, v);
                buf[v] = dla_calloc(1, nb ? nb : 1);
            }
        }
        double t0 = dla_compile_now();
        if (sg->kind == DLA_SEG_BOUNDARY) {
            int32_t v = g->nodes[sg->nodes[0]].outputs[0];
            if (!buf[v]) /* an output nobody reads */
                buf[v] = dla_calloc(1, value_bytes(g, v) + 1);
            run_boundary(g, sg->nodes[0], buf);
            res->t_host += dla_compile_now() - t0;
        } else if (sg->kind == DLA_SEG_HOST) {
            void *in[256], *out[256];
            if (sg->nin > 256 || sg->nout > 256) {
                st = dla_errorf(err, DLA_ERR_LIMIT, "host segment %d has too many inputs/outputs", (int)s);
                break;
            }
            for (int32_t i = 0; i < sg->nin; i++)
                in[i] = buf[sg->in_vals[i]];
            for (int32_t i = 0; i < sg->nout; i++)
                out[i] = buf[sg->out_vals[i]];
            if (ro && ro->host_arena)
                st = host_model_run_arena(sg->hm, ro->host_arena, in, out, err);
            else if ((st = host_model_run(sg->hm, in, out)))
                st = dla_errorf(err, st, "host segment %d: cannot allocate its %zu-byte arena", (int)s,
                                host_model_arena_size(sg->hm));
            res->t_host += dla_compile_now() - t0;
        } else {
            for (int32_t i = 0; i < sg->nin && !st; i++)
                st = dlart_tensor_write(rp, (uint32_t)sg->in_tensor[i], buf[sg->in_vals[i]],
                                        value_bytes(g, sg->in_vals[i]), err);
            if (!st)
                st = dlart_run_segment(rp, sg->dla_index, err);
            for (int32_t i = 0; i < sg->nout && !st; i++)
                st = dlart_tensor_read(rp, (uint32_t)sg->out_tensor[i], buf[sg->out_vals[i]],
                                       value_bytes(g, sg->out_vals[i]), err);
            res->t_simulate += dla_compile_now() - t0;
            if (!st && ro && ro->verify_qref)
                verify_segment(p, sg, buf, res, ro);
        }
    }
    if (!st) {
        res->noutputs = g->noutputs;
        res->outputs = dla_calloc((size_t)(g->noutputs ? g->noutputs : 1), sizeof *res->outputs);
        for (int32_t k = 0; k < g->noutputs; k++) {
            int32_t v = g->outputs[k];
            size_t nb = value_bytes(g, v);
            res->outputs[k] = dla_malloc(nb ? nb : 1);
            if (buf[v])
                memcpy(res->outputs[k], buf[v], nb);
            else if (g->values[v].flags & IR_VAL_CONST)
                memcpy(res->outputs[k], g->values[v].data, nb);
            else
                memset(res->outputs[k], 0, nb);
        }
    }
done:
    for (int32_t v = 0; v < g->nvalues; v++)
        if (!borrowed[v])
            free(buf[v]);
    free(buf);
    free(borrowed);
    return st;
}

size_t dla_plan_host_arena_size(const DlaPlan *p)
{
    size_t n = 0;
    for (int32_t s = 0; s < p->nsegs; s++)
        if (p->segs[s].kind == DLA_SEG_HOST && p->segs[s].hm && host_model_arena_size(p->segs[s].hm) > n)
            n = host_model_arena_size(p->segs[s].hm);
    return n;
}

void dla_run_result_free(DlaRunResult *r)
{
    for (int32_t k = 0; k < r->noutputs; k++)
        free(r->outputs[k]);
    free(r->outputs);
    memset(r, 0, sizeof *r);
}
