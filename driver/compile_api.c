/* compile_api.c - the public compiler API (include/dlacc.h) over the compile
 * driver (compile.h) and libdlart. */
#include "dlacc.h"

#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "isa/dla_format.h"

struct DlaccModel {
    DlaPlan *plan;
    DlartDevice *dev;
    DlartProgram *rp; /* NULL without DLA segments */
    double t_simulate, t_host;
};

DlaStatus dlacc_compile(const char *onnx_path, const DlaccOptions *o, DlaccModel **out, DlaError *err)
{
    *out = NULL;
    DlaccOptions none = {0};
    if (!o)
        o = &none;
    int n = o->ninput_shapes > 0 ? o->ninput_shapes : 0;
    OnnxInputShape *shp = dla_calloc((size_t)(n ? n : 1), sizeof *shp);
    for (int i = 0; i < n; i++) {
        DlaStatus st = onnx_parse_input_shape(o->input_shapes[i], &shp[i], err);
        if (st) {
            free(shp);
            return st;
        }
    }
    DlaCompileOptions co = {0};
    co.target = o->target;
    co.calib_dir = o->calib_dir;
    co.calib_method = o->calib_method;
    co.shapes = shp;
    co.nshapes = n;
    co.host_opt_level = o->host_opt_level;
    DlaccModel *m = dla_calloc(1, sizeof *m);
    DlaStatus st = dla_compile(onnx_path, &co, &m->plan, err);
    free(shp);
    if (!st)
        st = dlart_device_open_sim(&m->plan->target, o->max_cycles, &m->dev, err);
    if (!st && m->plan->ndla) {
        st = dlart_program_load(m->dev, &m->plan->prog, &m->rp, err);
        if (!st)
            dlart_set_compulsory_bytes(m->rp, m->plan->compulsory, m->plan->prog.nlayers);
    }
    if (st) {
        dlacc_free(m);
        return st;
    }
    *out = m;
    return DLA_OK;
}

void dlacc_free(DlaccModel *m)
{
    if (!m)
        return;
    dlart_program_free(m->rp);
    dlart_device_free(m->dev);
    dla_plan_free(m->plan);
    free(m);
}

const DlaProgram *dlacc_program(const DlaccModel *m)
{
    return m->plan->ndla ? &m->plan->prog : NULL;
}

DlaStatus dlacc_write_dla(const DlaccModel *m, const char *path, DlaError *err)
{
    if (!m->plan->ndla)
        return dla_errorf(err, DLA_ERR_UNSUPPORTED, "no part of the model runs on the DLA: there is no program to write");
    return dla_program_write(&m->plan->prog, path, err);
}

int dlacc_num_inputs(const DlaccModel *m) { return m->plan->g->ninputs; }
int dlacc_num_outputs(const DlaccModel *m) { return m->plan->g->noutputs; }

static const char *info(const IrGraph *g, int32_t v, int *dtype, int *rank, const int64_t **dims)
{
    const IrValue *x = &g->values[v];
    if (dtype)
        *dtype = (int)x->dtype;
    if (rank)
        *rank = x->shape.rank;
    if (dims)
        *dims = x->shape.dims;
    return x->name;
}

const char *dlacc_input_info(const DlaccModel *m, int i, int *dtype, int *rank, const int64_t **dims)
{
    const IrGraph *g = m->plan->g;
    return i >= 0 && i < g->ninputs ? info(g, g->inputs[i], dtype, rank, dims) : NULL;
}

const char *dlacc_output_info(const DlaccModel *m, int i, int *dtype, int *rank, const int64_t **dims)
{
    const IrGraph *g = m->plan->g;
    return i >= 0 && i < g->noutputs ? info(g, g->outputs[i], dtype, rank, dims) : NULL;
}

static size_t bytes(const IrGraph *g, int32_t v)
{
    int64_t n = ir_shape_numel(&g->values[v].shape);
    return (size_t)(n > 0 ? n : 0) * ir_dtype_size(g->values[v].dtype);
}

size_t dlacc_input_bytes(const DlaccModel *m, int i)
{
    const IrGraph *g = m->plan->g;
    return i >= 0 && i < g->ninputs ? bytes(g, g->inputs[i]) : 0;
}

size_t dlacc_output_bytes(const DlaccModel *m, int i)
{
    const IrGraph *g = m->plan->g;
    return i >= 0 && i < g->noutputs ? bytes(g, g->outputs[i]) : 0;
}

DlaStatus dlacc_run(DlaccModel *m, const void *const *inputs, void *const *outputs, DlaError *err)
{
    const IrGraph *g = m->plan->g;
    OnnxTensorFile *in = dla_calloc((size_t)(g->ninputs ? g->ninputs : 1), sizeof *in);
    for (int32_t i = 0; i < g->ninputs; i++) {
        const IrValue *x = &g->values[g->inputs[i]];
        in[i].dtype = x->dtype;
        in[i].shape = x->shape;
        in[i].data = (void *)inputs[i]; /* read only */
        in[i].nbytes = bytes(g, g->inputs[i]);
    }
    DlaRunResult r;
    DlaStatus st = dla_plan_run(m->plan, m->rp, in, g->ninputs, NULL, &r, err);
    free(in);
    if (st)
        return st;
    for (int32_t k = 0; k < g->noutputs; k++)
        memcpy(outputs[k], r.outputs[k], bytes(g, g->outputs[k]));
    m->t_simulate = r.t_simulate;
    m->t_host = r.t_host;
    dla_run_result_free(&r);
    return DLA_OK;
}

const DlartStats *dlacc_stats(DlaccModel *m)
{
    return m->rp ? dlart_stats(m->rp) : NULL;
}

DlaccTimes dlacc_times(const DlaccModel *m)
{
    const DlaPlan *p = m->plan;
    DlaccTimes t = {p->t_total - p->t_calibrate, p->t_calibrate, p->t_lower, p->t_host_compile, m->t_simulate, m->t_host};
    return t;
}
