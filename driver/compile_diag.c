/* compile_diag.c - the float reference for per-layer quantization reports
 * (`dlacc run --layer-report`): which layer of the int8 model loses how much
 * against the float model, measured as SQNR on the same input. */
#include "compile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes/passes.h"

double dla_sqnr_int8(const int8_t *q, float scale, int32_t zp, const float *ref, int64_t n)
{
    double s = 0, e = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)(q[i] - zp) * scale - ref[i];
        s += (double)ref[i] * ref[i];
        e += d * d;
    }
    return e > 0 ? 10.0 * log10(s > 0 ? s / e : 1e-30) : INFINITY;
}

DlaStatus dla_float_reference(const char *model, const DlaCompileOptions *o, const OnnxTensorFile *inputs,
                              int32_t ninputs, IrGraph **fg, void ***vals, DlaError *err)
{
    *fg = NULL;
    *vals = NULL;
    /* the same shapes as the compiled plan: explicit ones, else the fed tensors' */
    OnnxInputShape shp[64];
    int32_t n = 0;
    for (int32_t i = 0; i < o->nshapes && n < 64; i++)
        shp[n++] = o->shapes[i];
    IrGraph *g = NULL;
    OnnxLoadOptions lo = {shp, n};
    DlaStatus st = onnx_load(model, &lo, &g, err);
    if (st)
        return st;
    int rebind = 0;
    char *names[64] = {0};
    int32_t n0 = n;
    for (int32_t i = 0; i < g->ninputs && i < ninputs && n < 64; i++) {
        const IrValue *v = &g->values[g->inputs[i]];
        if (ir_shape_known(&v->shape) || inputs[i].shape.rank != v->shape.rank)
            continue;
        memset(&shp[n], 0, sizeof shp[n]);
        names[n] = dla_strdup(v->name);
        shp[n].name = names[n];
        shp[n].rank = inputs[i].shape.rank;
        memcpy(shp[n].dims, inputs[i].shape.dims, sizeof shp[n].dims);
        n++;
        rebind = 1;
    }
    if (rebind) {
        ir_graph_free(g);
        g = NULL;
        lo.nshapes = n;
        st = onnx_load(model, &lo, &g, err);
    }
    for (int32_t i = n0; i < n; i++)
        free(names[i]);
    if (!st)
        st = pipeline(g, NULL, err);
    if (st) {
        ir_graph_free(g);
        return st;
    }
    for (int32_t k = 0; k < g->nnodes; k++) {
        const IrNode *nd = &g->nodes[k];
        if (nd->dead)
            continue;
        for (int32_t j = 0; j < nd->noutputs; j++) {
            int32_t v = nd->outputs[j];
            if (v >= 0 && g->values[v].dtype == DT_FLOAT && !(g->values[v].flags & IR_VAL_OUTPUT))
                ir_graph_add_output(g, v);
        }
    }
    HostModel *m = NULL;
    if ((st = host_jit_compile(g, NULL, &m, err))) {
        ir_graph_free(g);
        return st;
    }
    void **in = dla_calloc((size_t)(g->ninputs ? g->ninputs : 1), sizeof *in);
    void **out = dla_calloc((size_t)(g->noutputs ? g->noutputs : 1), sizeof *out);
    void **vv = dla_calloc((size_t)g->nvalues, sizeof *vv);
    for (int32_t i = 0; i < g->ninputs && i < ninputs; i++)
        in[i] = inputs[i].data;
    for (int32_t k = 0; k < g->noutputs; k++) {
        int32_t v = g->outputs[k];
        int64_t ne = ir_shape_numel(&g->values[v].shape);
        out[k] = vv[v] = dla_calloc(1, (size_t)(ne > 0 ? ne : 1) * ir_dtype_size(g->values[v].dtype) + 1);
    }
    DlaStatus rs = host_model_run(m, in, out);
    if (rs)
        rs = dla_errorf(err, rs, "float reference: cannot allocate the host arena (%zu bytes)",
                        host_model_arena_size(m));
    host_model_free(m);
    free(in);
    free(out);
    if (rs) {
        dla_float_reference_free(g, vv);
        return rs;
    }
    *fg = g;
    *vals = vv;
    return DLA_OK;
}

void dla_float_reference_free(IrGraph *fg, void **vals)
{
    if (fg && vals)
        for (int32_t v = 0; v < fg->nvalues; v++)
            free(vals[v]);
    free(vals);
    ir_graph_free(fg);
}
