/* compile_api.c - the public compiler API (include/dlacc.h) over the compile
 * driver (compile.h) and libdlart.
 *
 * A DlaccModel is the plan (compile.h) and nothing that a run changes, so
 * that any number of DlaccContexts, each with its own simulator device,
 * runtime program (staging buffers, statistics) and host arena, can run it at
 * the same time. Compilation itself is serialized by one lock: it is not on
 * any hot path, and it keeps the compiler's process-wide state (LLVM target
 * registration, libxml2) out of the thread-safety contract. */
#include "dlacc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "isa/dla_format.h"

/* The public element codes are the IR's (ONNX's). */
_Static_assert(DLA_DTYPE_FLOAT == (int)DT_FLOAT && DLA_DTYPE_INT8 == (int)DT_INT8 && DLA_DTYPE_UINT8 == (int)DT_UINT8 &&
                   DLA_DTYPE_INT64 == (int)DT_INT64 && DLA_DTYPE_BFLOAT16 == (int)DT_BFLOAT16 &&
                   DLA_DTYPE_UINT64 == (int)DT_UINT64 && DLA_DTYPE_BOOL == (int)DT_BOOL,
               "dla_types.h DlaDtype codes must be support/dtypes.def's");
_Static_assert(DLA_MAX_RANK == IR_MAX_RANK, "DLA_MAX_RANK must be IR_MAX_RANK");

struct DlaccContext {
    const DlaccModel *m;
    DlartDevice *dev;
    DlartProgram *rp; /* NULL without DLA segments */
    void *arena;      /* host segments' scratch, dla_plan_host_arena_size bytes */
    double t_simulate, t_host;
};

struct DlaccModel {
    DlaPlan *plan;
    uint64_t max_cycles;
    DlaccContext *builtin; /* for dlacc_run / dlacc_stats */
};

static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

const char *dlacc_version(void)
{
    return DLA_VERSION_STRING;
}

void dlacc_options_init(DlaccOptions *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

/* The caller's options as this library's struct: the fields its size covers,
 * defaults (zero) for the rest. */
static DlaStatus read_options(const DlaccOptions *o, DlaccOptions *out, DlaError *err)
{
    dlacc_options_init(out);
    if (!o)
        return DLA_OK;
    if (o->size < offsetof(DlaccOptions, target) + sizeof o->target)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "DlaccOptions.size is %zu: initialize the options with dlacc_options_init()", o->size);
    memcpy(out, o, o->size < sizeof *out ? o->size : sizeof *out);
    out->size = sizeof *out;
    return DLA_OK;
}

static DlaStatus compile_common(const char *name, const void *data, size_t size, const DlaccOptions *user,
                                DlaccModel **out, DlaError *err)
{
    if (!out)
        return dla_errorf(err, DLA_ERR_INVALID, "dlacc_compile: no place for the model (out is NULL)");
    *out = NULL;
    DlaccOptions o;
    DlaStatus st = read_options(user, &o, err);
    if (st)
        return st;
    int n = o.ninput_shapes > 0 ? o.ninput_shapes : 0;
    OnnxInputShape *shp = dla_calloc((size_t)(n ? n : 1), sizeof *shp);
    for (int i = 0; i < n && !st; i++)
        st = onnx_parse_input_shape(o.input_shapes[i], &shp[i], err);
    if (st) {
        free(shp);
        return st;
    }
    DlaCompileOptions co = {0};
    co.target = o.target;
    co.calib_dir = o.calib_dir;
    co.calib_method = o.calib_method;
    co.shapes = shp;
    co.nshapes = n;
    co.host_opt_level = o.host_opt_level;
    co.model_data = data;
    co.model_size = size;
    DlaccModel *m = dla_calloc(1, sizeof *m);
    m->max_cycles = o.max_cycles;
    pthread_mutex_lock(&compile_lock);
    st = dla_compile(name, &co, &m->plan, err);
    pthread_mutex_unlock(&compile_lock);
    free(shp);
    if (!st)
        st = dlacc_context_create(m, &m->builtin, err);
    if (st) {
        dlacc_free(m);
        return st;
    }
    *out = m;
    return DLA_OK;
}

DlaStatus dlacc_compile(const char *onnx_path, const DlaccOptions *o, DlaccModel **out, DlaError *err)
{
    if (!onnx_path) {
        if (out)
            *out = NULL;
        return dla_errorf(err, DLA_ERR_INVALID, "dlacc_compile: no model path");
    }
    return compile_common(onnx_path, NULL, 0, o, out, err);
}

DlaStatus dlacc_compile_buffer(const void *data, size_t size, const char *name, const DlaccOptions *o,
                               DlaccModel **out, DlaError *err)
{
    if (!data || !size) {
        if (out)
            *out = NULL;
        return dla_errorf(err, DLA_ERR_INVALID, "dlacc_compile_buffer: the ONNX buffer is empty");
    }
    return compile_common(name ? name : "<memory>", data, size, o, out, err);
}

void dlacc_free(DlaccModel *m)
{
    if (!m)
        return;
    dlacc_context_free(m->builtin);
    dla_plan_free(m->plan);
    free(m);
}

const DlaProgram *dlacc_program(const DlaccModel *m)
{
    return m->plan->ndla ? &m->plan->prog : NULL;
}

static DlaStatus need_program(const DlaccModel *m, DlaError *err)
{
    if (!m->plan->ndla)
        return dla_errorf(err, DLA_ERR_UNSUPPORTED, "no part of the model runs on the DLA: there is no program to write");
    return DLA_OK;
}

DlaStatus dlacc_write_dla(const DlaccModel *m, const char *path, DlaError *err)
{
    DlaStatus st = need_program(m, err);
    return st ? st : dla_program_write(&m->plan->prog, path, err);
}

DlaStatus dlacc_write_dla_memory(const DlaccModel *m, void **data, size_t *size, DlaError *err)
{
    *data = NULL;
    *size = 0;
    uint8_t *d = NULL;
    DlaStatus st = need_program(m, err);
    if (!st && !(st = dla_program_write_mem(&m->plan->prog, &d, size, err)))
        *data = d;
    return st;
}

/* ---- inputs and outputs ---- */

int dlacc_num_inputs(const DlaccModel *m) { return m->plan->g->ninputs; }
int dlacc_num_outputs(const DlaccModel *m) { return m->plan->g->noutputs; }

static size_t value_bytes(const IrGraph *g, int32_t v)
{
    int64_t n = ir_shape_numel(&g->values[v].shape);
    return (size_t)(n > 0 ? n : 0) * ir_dtype_size(g->values[v].dtype);
}

static void describe(const IrGraph *g, int32_t v, DlaTensor *t)
{
    const IrValue *x = &g->values[v];
    memset(t, 0, sizeof *t);
    t->dtype = (DlaDtype)x->dtype;
    t->rank = x->shape.rank;
    for (int k = 0; k < x->shape.rank && k < DLA_MAX_RANK; k++)
        t->dims[k] = x->shape.dims[k];
    t->bytes = value_bytes(g, v);
}

static DlaStatus describe_io(const DlaccModel *m, int out, int i, DlaTensor *t, const char **name, DlaError *err)
{
    const IrGraph *g = m->plan->g;
    int n = out ? g->noutputs : g->ninputs;
    if (name)
        *name = NULL;
    if (i < 0 || i >= n) {
        memset(t, 0, sizeof *t);
        return dla_errorf(err, DLA_ERR_INVALID, "%s %d out of range: the model has %d", out ? "output" : "input", i, n);
    }
    int32_t v = out ? g->outputs[i] : g->inputs[i];
    describe(g, v, t);
    if (name)
        *name = g->values[v].name;
    return DLA_OK;
}

DlaStatus dlacc_describe_input(const DlaccModel *m, int i, DlaTensor *t, const char **name, DlaError *err)
{
    return describe_io(m, 0, i, t, name, err);
}

DlaStatus dlacc_describe_output(const DlaccModel *m, int i, DlaTensor *t, const char **name, DlaError *err)
{
    return describe_io(m, 1, i, t, name, err);
}

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

size_t dlacc_input_bytes(const DlaccModel *m, int i)
{
    const IrGraph *g = m->plan->g;
    return i >= 0 && i < g->ninputs ? value_bytes(g, g->inputs[i]) : 0;
}

size_t dlacc_output_bytes(const DlaccModel *m, int i)
{
    const IrGraph *g = m->plan->g;
    return i >= 0 && i < g->noutputs ? value_bytes(g, g->outputs[i]) : 0;
}

size_t dlacc_host_arena_bytes(const DlaccModel *m)
{
    return dla_plan_host_arena_size(m->plan);
}

/* ---- contexts ---- */

DlaStatus dlacc_context_create(const DlaccModel *m, DlaccContext **out, DlaError *err)
{
    *out = NULL;
    DlaccContext *c = dla_calloc(1, sizeof *c);
    c->m = m;
    const DlaPlan *p = m->plan;
    DlaStatus st = dlart_device_open_sim(&p->target, m->max_cycles, &c->dev, err);
    if (!st && p->ndla && !(st = dlart_program_load(c->dev, &p->prog, &c->rp, err)))
        dlart_set_compulsory_bytes(c->rp, p->compulsory, p->prog.nlayers);
    size_t an = dla_plan_host_arena_size(p);
    if (!st && an && posix_memalign(&c->arena, 64, an)) {
        c->arena = NULL;
        st = dla_errorf(err, DLA_ERR_LIMIT, "cannot allocate the %zu-byte host arena of a run context", an);
    }
    if (st) {
        dlacc_context_free(c);
        return st;
    }
    *out = c;
    return DLA_OK;
}

void dlacc_context_free(DlaccContext *c)
{
    if (!c)
        return;
    dlart_program_free(c->rp);
    dlart_device_free(c->dev);
    free(c->arena);
    free(c);
}

static void tensor_str(DlaDtype dt, int32_t rank, const int64_t *dims, size_t bytes, char *buf, size_t n)
{
    const char *dn = dlart_dtype_name(dt);
    int k = snprintf(buf, n, "%s [", dn ? dn : "?");
    for (int32_t i = 0; i < rank && i < DLA_MAX_RANK && k > 0 && (size_t)k < n; i++)
        k += snprintf(buf + k, n - (size_t)k, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "] (%zu bytes)", bytes);
}

/* t describes value v of g exactly (bytes: at least). */
static DlaStatus check_tensor(const IrGraph *g, int32_t v, const char *what, int i, const DlaTensor *t, DlaError *err)
{
    DlaTensor want;
    describe(g, v, &want);
    int same = t->dtype == want.dtype && t->rank == want.rank && t->bytes >= want.bytes && (t->data || !want.bytes);
    for (int32_t k = 0; same && k < want.rank; k++)
        same = t->dims[k] == want.dims[k];
    if (same)
        return DLA_OK;
    char a[200], b[200];
    tensor_str(t->dtype, t->rank < 0 ? 0 : t->rank, t->dims, t->bytes, a, sizeof a);
    tensor_str(want.dtype, want.rank, want.dims, want.bytes, b, sizeof b);
    return dla_errorf(err, DLA_ERR_INVALID, "%s %d '%s': the descriptor gives %s%s, the model %s %s", what, i,
                      g->values[v].name, a, t->data ? "" : " without data", *what == 'i' ? "takes" : "produces", b);
}

DlaStatus dlacc_context_run(DlaccContext *c, const DlaTensor *inputs, int ninputs, DlaTensor *outputs,
                            int noutputs, DlaError *err)
{
    DlaPlan *p = c->m->plan; /* not modified by a run */
    const IrGraph *g = p->g;
    if (ninputs != g->ninputs || noutputs != g->noutputs)
        return dla_errorf(err, DLA_ERR_INVALID, "the model takes %d inputs and produces %d outputs; %d and %d given",
                          (int)g->ninputs, (int)g->noutputs, ninputs, noutputs);
    if ((ninputs && !inputs) || (noutputs && !outputs))
        return dla_errorf(err, DLA_ERR_INVALID, "no input or output descriptors given");
    DlaStatus st = DLA_OK;
    for (int i = 0; i < ninputs && !st; i++)
        st = check_tensor(g, g->inputs[i], "input", i, &inputs[i], err);
    for (int k = 0; k < noutputs && !st; k++)
        st = check_tensor(g, g->outputs[k], "output", k, &outputs[k], err);
    if (st)
        return st;
    OnnxTensorFile *in = dla_calloc((size_t)(ninputs ? ninputs : 1), sizeof *in);
    for (int32_t i = 0; i < ninputs; i++) {
        const IrValue *x = &g->values[g->inputs[i]];
        in[i].dtype = x->dtype;
        in[i].shape = x->shape;
        in[i].data = inputs[i].data; /* read only */
        in[i].nbytes = value_bytes(g, g->inputs[i]);
    }
    DlaRunOptions ro = {0};
    ro.host_arena = c->arena;
    DlaRunResult r;
    st = dla_plan_run(p, c->rp, in, ninputs, &ro, &r, err);
    free(in);
    if (st)
        return st;
    for (int32_t k = 0; k < noutputs; k++)
        memcpy(outputs[k].data, r.outputs[k], value_bytes(g, g->outputs[k]));
    c->t_simulate = r.t_simulate;
    c->t_host = r.t_host;
    dla_run_result_free(&r);
    return DLA_OK;
}

const DlartStats *dlacc_context_stats(DlaccContext *c)
{
    return c->rp ? dlart_stats(c->rp) : NULL;
}

DlaccTimes dlacc_context_times(const DlaccContext *c)
{
    const DlaPlan *p = c->m->plan;
    DlaccTimes t = {p->t_total - p->t_calibrate, p->t_calibrate, p->t_lower, p->t_host_compile, c->t_simulate,
                    c->t_host};
    return t;
}

/* ---- the built-in context ---- */

DlaStatus dlacc_run(DlaccModel *m, const void *const *inputs, void *const *outputs, DlaError *err)
{
    const IrGraph *g = m->plan->g;
    int ni = g->ninputs, no = g->noutputs;
    DlaTensor *t = dla_calloc((size_t)(ni + no ? ni + no : 1), sizeof *t);
    for (int i = 0; i < ni; i++) {
        describe(g, g->inputs[i], &t[i]);
        t[i].data = (void *)inputs[i]; /* read only */
    }
    for (int k = 0; k < no; k++) {
        describe(g, g->outputs[k], &t[ni + k]);
        t[ni + k].data = outputs[k];
    }
    DlaStatus st = dlacc_context_run(m->builtin, t, ni, t + ni, no, err);
    free(t);
    return st;
}

const DlartStats *dlacc_stats(DlaccModel *m)
{
    return dlacc_context_stats(m->builtin);
}

DlaccTimes dlacc_times(const DlaccModel *m)
{
    return dlacc_context_times(m->builtin);
}
