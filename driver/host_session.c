/* host_session.c - load + bind + infer + JIT + run a model file (host_session.h). */
#include "host_session.h"
#include "infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double host_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int is_int_dtype(IrDtype t)
{
    return t == DT_INT64 || t == DT_INT32 || t == DT_INT16 || t == DT_INT8 || t == DT_UINT64 || t == DT_UINT32 ||
           t == DT_UINT16 || t == DT_UINT8;
}

static int has_unknown_dims(const IrShape *s)
{
    if (s->rank < 0)
        return 1;
    for (int i = 0; i < s->rank; i++)
        if (s->dims[i] < 0)
            return 1;
    return 0;
}

static int all_shapes_known(const IrGraph *g)
{
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t o = 0; o < g->nodes[n].noutputs; o++) {
            int32_t v = g->nodes[n].outputs[o];
            if (v >= 0 && !ir_shape_known(&g->values[v].shape))
                return 0;
        }
    for (int32_t k = 0; k < g->noutputs; k++)
        if (!ir_shape_known(&g->values[g->outputs[k]].shape))
            return 0;
    return 1;
}

/* One attempt: load, bind, fold the inputs marked in fold[] (original input
 * index; NULL: none) into constants, infer. */
static DlaStatus load_infer(const char *model, const HostSessionOptions *o, const uint8_t *fold, HostSession *s,
                            DlaError *err)
{
    double t0 = host_now();
    /* --input-shape given explicitly, the fed tensors' shapes for the other inputs with unknown dims */
    IrGraph *g = NULL;
    OnnxLoadOptions lo = {o->shapes, o->nshapes};
    DlaStatus st = onnx_load_fed(model, &lo, o->inputs, o->ninputs, &g, err);
    if (st)
        return st;
    if (o->specialize && o->inputs)
        /* test data wins over a declared input shape that disagrees with it (some
         * ONNX node tests declare shapes their data does not have) */
        for (int32_t i = 0; i < g->ninputs && i < o->ninputs; i++) {
            IrValue *v = &g->values[g->inputs[i]];
            if (!has_unknown_dims(&v->shape) && !ir_shape_equal(&v->shape, &o->inputs[i].shape) &&
                o->inputs[i].shape.rank <= IR_MAX_RANK)
                v->shape = o->inputs[i].shape;
        }
    s->nin_orig = g->ninputs;
    s->in_map = dla_malloc((size_t)(g->ninputs ? g->ninputs : 1) * sizeof *s->in_map);
    s->nin = 0;
    if (fold) {
        int32_t k = 0;
        for (int32_t i = 0; i < g->ninputs; i++) {
            int32_t v = g->inputs[i];
            IrValue *val = &g->values[v];
            if (i < o->ninputs && fold[i] && o->inputs[i].dtype == val->dtype) {
                val->shape = o->inputs[i].shape;
                ir_value_set_data(g, v, o->inputs[i].data, o->inputs[i].nbytes);
                val->flags &= ~(uint32_t)IR_VAL_INPUT;
                continue;
            }
            g->inputs[k++] = v;
            s->in_map[s->nin++] = i;
        }
        g->ninputs = k;
    } else {
        for (int32_t i = 0; i < g->ninputs; i++)
            s->in_map[s->nin++] = i;
    }
    double t1 = host_now();
    st = ir_infer_shapes(g, NULL, err);
    s->t_load = t1 - t0;
    s->t_infer = host_now() - t1;
    s->g = g;
    return st;
}

DlaStatus host_session_open(const char *model, const HostSessionOptions *o, HostSession *s, DlaError *err)
{
    memset(s, 0, sizeof *s);
    int spec = o->specialize && o->inputs;
    /* fold[i]: original input i becomes a constant (any number of inputs) */
    uint8_t *fold = dla_calloc((size_t)(o->ninputs > 0 ? o->ninputs : 1), 1);
    DlaError e1 = {0};
    DlaStatus st = load_infer(model, o, NULL, s, &e1);
    if (spec && (st || !all_shapes_known(s->g))) {
        /* shapes depend on input values: fold the integer inputs in as constants */
        for (int32_t i = 0; i < o->ninputs; i++)
            fold[i] = is_int_dtype(o->inputs[i].dtype);
        host_session_close(s);
        DlaError e2 = {0};
        st = load_infer(model, o, fold, s, &e2);
        if (st && !e1.code)
            e1 = e2;
    }
    if (st) {
        if (err)
            *err = e1;
        host_session_close(s);
        free(fold);
        return st;
    }
    double t0 = host_now();
    HostOptions ho = {o->opt_level, NULL, NULL, NULL, NULL, 0};
    /* A lowering that needs input values at compile time (Slice starts, Resize
     * scales...) reports them through want[]; fold exactly those inputs, by
     * position, and compile again (a few rounds: one lowering may ask for one
     * input at a time). */
    for (int round = 0;; round++) {
        uint8_t *want = dla_calloc((size_t)(s->g->nvalues ? s->g->nvalues : 1), 1);
        DlaError e2 = {0};
        st = host_jit_compile_want(s->g, &ho, want, &s->m, &e2);
        if (st && err)
            *err = e2; /* the last round's reason */
        int more = 0;
        if (st == DLA_ERR_UNSUPPORTED && spec && round < 6)
            for (int32_t k = 0; k < s->nin; k++) {
                int32_t i = s->in_map[k];
                if (i < o->ninputs && want[s->g->inputs[k]] && !fold[i])
                    fold[i] = more = 1;
            }
        free(want);
        if (!more)
            break;
        host_session_close(s);
        if ((st = load_infer(model, o, fold, s, &e2))) {
            if (err)
                *err = e2;
            break;
        }
    }
    s->t_compile = host_now() - t0;
    free(fold);
    if (st)
        host_session_close(s);
    return st;
}

DlaStatus host_session_run(HostSession *s, const OnnxTensorFile *inputs, int32_t ninputs, void **out, DlaError *err)
{
    IrGraph *g = s->g;
    if (ninputs != s->nin_orig)
        return dla_errorf(err, DLA_ERR_INVALID, "the model has %d inputs, %d given", (int)s->nin_orig, (int)ninputs);
    void **in = dla_calloc((size_t)(s->nin ? s->nin : 1), sizeof *in);
    for (int32_t i = 0; i < s->nin; i++) {
        const IrValue *v = &g->values[g->inputs[i]];
        const OnnxTensorFile *t = &inputs[s->in_map[i]];
        char a[160], b[160];
        /* ONNX's older test data stores bfloat16 tensors as uint16 (the same bits) */
        int same = t->dtype == v->dtype || (t->dtype == DT_UINT16 && v->dtype == DT_BFLOAT16);
        if (!same || !ir_shape_equal(&t->shape, &v->shape) ||
            t->nbytes < (size_t)ir_shape_numel(&v->shape) * ir_dtype_size(v->dtype)) {
            free(in);
            return dla_errorf(err, DLA_ERR_INVALID, "input '%s': got %s %s, the compiled model takes %s %s", v->name,
                              ir_dtype_name(t->dtype), ir_shape_str(&t->shape, a, sizeof a), ir_dtype_name(v->dtype),
                              ir_shape_str(&v->shape, b, sizeof b));
        }
        in[i] = t->data;
    }
    for (int32_t k = 0; k < g->noutputs; k++) {
        const IrValue *v = &g->values[g->outputs[k]];
        size_t n = (size_t)ir_shape_numel(&v->shape) * ir_dtype_size(v->dtype);
        out[k] = dla_calloc(1, n ? n : 1);
    }
    DlaStatus st = host_model_run(s->m, in, out);
    free(in);
    if (st) {
        for (int32_t k = 0; k < g->noutputs; k++) {
            free(out[k]);
            out[k] = NULL;
        }
        return dla_errorf(err, st, "host code: cannot allocate its %zu-byte arena", host_model_arena_size(s->m));
    }
    return DLA_OK;
}

void host_session_close(HostSession *s)
{
    host_model_free(s->m);
    ir_graph_free(s->g);
    free(s->in_map);
    memset(s, 0, sizeof *s);
}
