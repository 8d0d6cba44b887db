/* calibrate.c - calib_collect and pass_calibrate: post-training calibration on
 * an executor the driver provides (ir/exec.h; the host JIT in practice).
 *
 * pass_calibrate requires: a float graph partitioned by pass_partition, with
 *   PassContext.quantize set (otherwise it does nothing).
 * Establishes: every float value that becomes an int8 activation
 *   (quant_int8_values) carries its int8 parameters in IrValue.quant
 *   (per-tensor: count 1, axis -1), chosen by PassContext.calib_method from
 *   statistics over the calibration inputs; graph outputs always get their
 *   observed min/max. Nothing else changes.
 *
 * The float graph itself is the calibration engine: the values to observe are
 * made graph outputs for the time of the runs, the host backend compiles the
 * graph once per distinct input shape, and each *.pb file is one run. */
#include "passes/passes.h"
#include "passes/quant.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx.h"
#include "ir/exec.h"
#include "ir/infer.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *.pb files of dir, sorted (so results do not depend on readdir order). */
static DlaStatus list_pb(const char *dir, char ***out, int32_t *n, DlaError *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return dla_errorf(err, DLA_ERR_IO,
                          "calibration folder '%s' cannot be opened: pass --calib DIR, a folder of *.pb "
                          "input tensors (one calibration input per file)",
                          dir);
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".pb") != 0)
            continue;
        names = dla_grow(names, sizeof *names, (size_t)*n + 1, &cap);
        size_t dl = strlen(dir);
        char *p = dla_malloc(dl + len + 2);
        memcpy(p, dir, dl);
        p[dl] = '/';
        memcpy(p + dl + 1, e->d_name, len + 1);
        names[(*n)++] = p;
    }
    closedir(d);
    if (*n == 0) {
        free(names);
        return dla_errorf(err, DLA_ERR_INVALID,
                          "calibration folder '%s' holds no *.pb file: pass --calib DIR, a folder of *.pb "
                          "input tensors (one calibration input per file)",
                          dir);
    }
    qsort(names, (size_t)*n, sizeof *names, cmp_str);
    *out = names;
    return DLA_OK;
}

/* The graph's one runtime input (an input that is not an initializer). */
static DlaStatus the_input(const IrGraph *g, int32_t *slot, DlaError *err)
{
    *slot = -1;
    for (int32_t i = 0; i < g->ninputs; i++) {
        if (g->values[g->inputs[i]].flags & IR_VAL_CONST)
            continue;
        if (*slot >= 0)
            return dla_errorf(err, DLA_ERR_UNSUPPORTED,
                              "calibration supports graphs with one input; '%s' has '%s' and '%s'",
                              g->name ? g->name : "the graph", g->values[g->inputs[*slot]].name,
                              g->values[g->inputs[i]].name);
        *slot = i;
    }
    if (*slot < 0)
        return dla_errorf(err, DLA_ERR_UNSUPPORTED, "calibration needs a graph input; the graph has none");
    return DLA_OK;
}

/* Does the file's shape fit the graph input? Equal, or differing only where
 * the graph's dim is unknown/symbolic or in dim 0 (the batch). */
static int shape_fits(const IrShape *gs, const IrShape *fs)
{
    if (gs->rank != fs->rank)
        return 0;
    for (int i = 1; i < gs->rank; i++)
        if (gs->dims[i] >= 0 && gs->dims[i] != fs->dims[i])
            return 0;
    return 1;
}

typedef struct Run {
    IrGraph *g;
    int32_t in_slot, in_val;
    const IrExecutor *ex;
    void *model;
    IrShape compiled; /* input shape the model was compiled for */
    void **ins, **outs;
    size_t *out_bytes;
} Run;

static void run_release(Run *r)
{
    if (r->model)
        r->ex->release(r->ex, r->model);
    r->model = NULL;
    if (r->outs)
        for (int32_t k = 0; k < r->g->noutputs; k++)
            free(r->outs[k]);
    free(r->outs);
    free(r->out_bytes);
    r->outs = NULL;
    r->out_bytes = NULL;
}

/* (Re)compile for the input shape s: bind it, re-infer shapes, JIT, and
 * allocate the output buffers. */
static DlaStatus run_prepare(Run *r, const IrShape *s, const char *file, DlaError *err)
{
    IrGraph *g = r->g;
    run_release(r);
    IrValue *x = &g->values[r->in_val];
    if (!ir_shape_equal(&x->shape, s) || !ir_shape_known(&x->shape)) {
        x->shape = *s;
        for (int i = 0; i < IR_MAX_RANK; i++)
            x->shape.sym[i] = NULL;
        /* Inference takes the shapes values already have as declarations (and
         * shape-level constants computed for the old batch as facts): forget
         * them for everything computed; calib_collect restores them. */
        for (int32_t v = 0; v < g->nvalues; v++) {
            IrValue *val = &g->values[v];
            if (val->producer < 0)
                continue;
            val->shape.rank = -1;
            if (val->flags & IR_VAL_CONST) {
                val->flags &= ~(uint32_t)IR_VAL_CONST;
                val->data = NULL;
                val->nbytes = 0;
            }
        }
        DlaError e;
        dla_error_clear(&e);
        if (ir_infer_shapes(g, NULL, &e) != DLA_OK)
            return dla_errorf(err, DLA_ERR_INVALID, "calibration input '%s' (shape %s): %s", file,
                              ir_shape_str(s, (char[96]){0}, 96), e.msg);
    }
    DlaStatus st = r->ex->compile(r->ex, g, &r->model, err);
    if (st != DLA_OK) {
        dla_error_prefix(err, "calibration runs the float graph on the %s: ", r->ex->name);
        return st;
    }
    r->compiled = *s;
    r->outs = dla_calloc((size_t)g->noutputs, sizeof *r->outs);
    r->out_bytes = dla_calloc((size_t)g->noutputs, sizeof *r->out_bytes);
    for (int32_t k = 0; k < g->noutputs; k++) {
        const IrValue *o = &g->values[g->outputs[k]];
        int64_t numel = ir_shape_numel(&o->shape);
        size_t es = ir_dtype_size(o->dtype);
        if (numel < 0 || es == 0)
            return dla_errorf(err, DLA_ERR_UNSUPPORTED,
                              "calibration: value '%s' has no static shape/dtype for input shape %s", o->name,
                              ir_shape_str(s, (char[96]){0}, 96));
        r->out_bytes[k] = (size_t)numel * es;
        r->outs[k] = dla_malloc(r->out_bytes[k] ? r->out_bytes[k] : 1);
    }
    return DLA_OK;
}

void calib_result_free(CalibResult *r)
{
    if (!r)
        return;
    free(r->entries);
    memset(r, 0, sizeof *r);
}

DlaStatus calib_collect(IrGraph *g, const IrExecutor *ex, const char *calib_dir, CalibMethod m, CalibResult *out,
                        DlaError *err)
{
    memset(out, 0, sizeof *out);
    if (!ex)
        return dla_errorf(err, DLA_ERR_INVALID, "calibration needs an executor for the float graph (none given)");
    if (!calib_dir)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "this float model needs calibration data for int8 quantization: pass --calib DIR, "
                          "a folder of *.pb input tensors (one calibration input per file)");
    if ((unsigned)m >= CALIB__COUNT)
        return dla_errorf(err, DLA_ERR_INVALID, "unknown calibration method %d", (int)m);
    Run r;
    memset(&r, 0, sizeof r);
    r.g = g;
    r.ex = ex;
    DlaStatus st = the_input(g, &r.in_slot, err);
    if (st != DLA_OK)
        return st;
    r.in_val = g->inputs[r.in_slot];
    char **files;
    int32_t nfiles;
    if ((st = list_pb(calib_dir, &files, &nfiles, err)) != DLA_OK)
        return st;

    /* The values to observe, and where each one is read from. */
    int32_t nmark;
    uint8_t *mark = quant_int8_values(g, &nmark);
    int32_t saved_nout = g->noutputs;
    int32_t saved_nvalues = g->nvalues;
    IrValue *saved = dla_malloc((size_t)(g->nvalues ? g->nvalues : 1) * sizeof *saved);
    memcpy(saved, g->values, (size_t)g->nvalues * sizeof *saved);
    int32_t *vals = dla_malloc((size_t)(nmark ? nmark : 1) * sizeof *vals);
    int32_t *slot = dla_malloc((size_t)(nmark ? nmark : 1) * sizeof *slot); /* output index, -1: the input */
    CalibStats *stats = dla_calloc((size_t)(nmark ? nmark : 1), sizeof *stats);
    int32_t k = 0;
    for (int32_t v = 0; v < g->nvalues; v++) {
        if (!mark[v])
            continue;
        vals[k] = v;
        slot[k] = -1;
        if (v != r.in_val) {
            for (int32_t o = 0; o < g->noutputs; o++)
                if (g->outputs[o] == v)
                    slot[k] = o;
            if (slot[k] < 0) {
                slot[k] = g->noutputs;
                ir_graph_add_output(g, v);
            }
        }
        calib_stats_init(&stats[k], 0);
        k++;
    }
    r.ins = dla_calloc((size_t)(g->ninputs ? g->ninputs : 1), sizeof *r.ins);
    for (int32_t i = 0; i < g->ninputs; i++)
        r.ins[i] = g->values[g->inputs[i]].data; /* initializer inputs: their constant data */

    for (int32_t f = 0; f < nfiles && st == DLA_OK; f++) {
        OnnxTensorFile t;
        if ((st = onnx_tensor_read(files[f], &t, err)) != DLA_OK)
            break;
        const IrShape *gs = &saved[r.in_val].shape;
        if (t.dtype != g->values[r.in_val].dtype) {
            st = dla_errorf(err, DLA_ERR_INVALID, "calibration input '%s' is %s; input '%s' is %s", files[f],
                            ir_dtype_name(t.dtype), g->values[r.in_val].name,
                            ir_dtype_name(g->values[r.in_val].dtype));
        } else if (!shape_fits(gs, &t.shape)) {
            char a[96], b[96];
            st = dla_errorf(err, DLA_ERR_INVALID, "calibration input '%s' has shape %s; input '%s' is %s", files[f],
                            ir_shape_str(&t.shape, a, sizeof a), g->values[r.in_val].name,
                            ir_shape_str(gs, b, sizeof b));
        } else if (!r.model || !ir_shape_equal(&r.compiled, &t.shape)) {
            if ((st = run_prepare(&r, &t.shape, files[f], err)) == DLA_OK)
                out->ncompiles++;
        }
        if (st == DLA_OK) {
            r.ins[r.in_slot] = t.data;
            st = ex->run(ex, r.model, r.ins, r.outs, err);
        }
        if (st == DLA_OK) {
            for (int32_t j = 0; j < nmark; j++) {
                const float *p = slot[j] < 0 ? t.data : r.outs[slot[j]];
                size_t n = slot[j] < 0 ? t.nbytes / sizeof(float) : r.out_bytes[slot[j]] / sizeof(float);
                calib_stats_add(&stats[j], p, n);
            }
            out->ninputs++;
        }
        onnx_tensor_file_free(&t);
    }
    run_release(&r);
    free(r.ins);

    /* Give the graph back as it was: outputs, shapes, flags. */
    DLA_ASSERT(g->nvalues == saved_nvalues);
    g->noutputs = saved_nout;
    memcpy(g->values, saved, (size_t)saved_nvalues * sizeof *saved);

    if (st == DLA_OK) {
        out->entries = dla_calloc((size_t)(nmark ? nmark : 1), sizeof *out->entries);
        for (int32_t j = 0; j < nmark && st == DLA_OK; j++) {
            CalibEntry *e = &out->entries[j];
            e->value = vals[j];
            e->min = stats[j].min;
            e->max = stats[j].max;
            st = calib_range(&stats[j], m, 0, &e->lo, &e->hi, err);
            if (st != DLA_OK) {
                dla_error_prefix(err, "calibration of '%s': ", g->values[vals[j]].name);
                break;
            }
            e->qp = quant_params_int8(e->lo, e->hi);
            out->n++;
        }
        if (st != DLA_OK)
            calib_result_free(out);
    }
    for (int32_t j = 0; j < nmark; j++)
        calib_stats_free(&stats[j]);
    free(stats);
    free(slot);
    free(vals);
    free(saved);
    free(mark);
    for (int32_t f = 0; f < nfiles; f++)
        free(files[f]);
    free(files);
    return st;
}

DlaStatus pass_calibrate(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    if (!ctx->quantize)
        return DLA_OK;
    int any = 0;
    for (int32_t n = 0; n < g->nnodes; n++)
        any |= !g->nodes[n].dead && g->nodes[n].device == IR_DEVICE_DLA;
    if (!any)
        return DLA_OK; /* nothing runs on the accelerator: nothing to quantize */
    CalibResult res;
    DlaStatus st = calib_collect(g, ctx->executor, ctx->calib_dir, (CalibMethod)ctx->calib_method, &res, err);
    if (st != DLA_OK)
        return st;
    for (int32_t j = 0; j < res.n; j++) {
        IrQuant *q = &g->values[res.entries[j].value].quant;
        q->count = 1;
        q->axis = -1;
        q->scale = dla_arena_alloc(&g->arena, sizeof *q->scale);
        q->zero_point = dla_arena_alloc(&g->arena, sizeof *q->zero_point);
        QuantParams qp = res.entries[j].qp;
        /* The model's outputs (logits...) keep their whole observed range:
         * clipping them, as entropy/percentile do for the outliers of inner
         * activations, changes the answer itself (entropy clips digits_cnn's
         * logits from [-15.1, 12.0] to [-12.7, 12.0]). */
        if (g->values[res.entries[j].value].flags & IR_VAL_OUTPUT)
            qp = quant_params_int8(res.entries[j].min, res.entries[j].max);
        q->scale[0] = qp.scale;
        q->zero_point[0] = qp.zero_point;
    }
    calib_result_free(&res);
    return DLA_OK;
}
