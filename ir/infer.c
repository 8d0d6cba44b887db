/* infer.c - whole-graph shape and dtype inference (see infer.h). */
#include "infer.h"
#include "consteval.h"
#include "shape_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy type and constant data of outer-scope values into a subgraph: values
 * flagged IR_VAL_OUTER, and any value without producer that is neither an
 * input nor a constant but exists in an enclosing graph. */
static void import_outer(IrGraph *body)
{
    for (int32_t v = 0; v < body->nvalues; v++) {
        IrValue *val = &body->values[v];
        if (!(val->flags & IR_VAL_OUTER) && (val->producer >= 0 || (val->flags & (IR_VAL_INPUT | IR_VAL_CONST))))
            continue;
        for (IrGraph *p = body->parent; p; p = p->parent) {
            int32_t o = ir_value_find(p, val->name);
            if (o < 0)
                continue;
            const IrValue *src = &p->values[o];
            if (src->dtype != DT_UNDEFINED)
                val->dtype = src->dtype;
            if (src->shape.rank >= 0)
                val->shape = src->shape;
            val->flags |= src->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP);
            if (shp_is_const(src))
                ir_value_borrow_data(body, v, src->data, src->nbytes);
            break;
        }
    }
}

typedef struct Declared {
    IrDtype dtype;
    IrShape shape;
    uint32_t kind;
} Declared;

static void report(IrGraph *g, int32_t n, DlaStatus code, const char *msg, IrDiagList *diags, DlaError *err,
                   DlaStatus *first)
{
    const IrNode *nd = &g->nodes[n];
    if (diags)
        ir_diag_add(diags, n, code, "node '%s' (%s): %s", nd->name, nd->op_type, msg);
    if (*first == DLA_OK) {
        *first = code;
        dla_errorf(err, code, "node '%s' (%s): %s", nd->name, nd->op_type, msg);
    }
}

/* Merge the declared type into the inferred one; returns 0 and a message on conflict. */
static int merge_declared(IrValue *v, const Declared *d, char *msg, size_t n)
{
    if (v->dtype == DT_UNDEFINED)
        v->dtype = d->dtype;
    else if (d->dtype != DT_UNDEFINED && d->dtype != v->dtype) {
        snprintf(msg, n, "output '%s' is inferred as %s but declared %s", v->name, ir_dtype_name(v->dtype),
                 ir_dtype_name(d->dtype));
        return 0;
    }
    v->flags |= d->kind;
    if (d->shape.rank < 0)
        return 1;
    if (v->shape.rank < 0) {
        v->shape = d->shape;
        return 1;
    }
    char a[160], b[160];
    if (v->shape.rank != d->shape.rank) {
        snprintf(msg, n, "output '%s' is inferred as %s but declared %s", v->name, ir_shape_str(&v->shape, a, sizeof a),
                 ir_shape_str(&d->shape, b, sizeof b));
        return 0;
    }
    for (int i = 0; i < v->shape.rank; i++) {
        if (v->shape.dims[i] < 0 && d->shape.dims[i] >= 0) {
            v->shape.dims[i] = d->shape.dims[i];
            v->shape.sym[i] = NULL;
        } else if (v->shape.dims[i] < 0 && !v->shape.sym[i]) {
            v->shape.sym[i] = d->shape.sym[i];
        } else if (v->shape.dims[i] >= 0 && d->shape.dims[i] >= 0 && v->shape.dims[i] != d->shape.dims[i]) {
            snprintf(msg, n, "output '%s' is inferred as %s but declared %s", v->name,
                     ir_shape_str(&v->shape, a, sizeof a), ir_shape_str(&d->shape, b, sizeof b));
            return 0;
        }
    }
    return 1;
}

/* A tensor whose byte size overflows or exceeds IR_MAX_TENSOR_BYTES is a
 * resource error found here, at compile time (dlacc check), rather than a
 * wrapped allocation size or an out-of-memory abort when it runs. */
static int value_size_ok(const IrValue *v, char *msg, size_t n)
{
    if (v->shape.rank < 0)
        return 1;
    size_t es = ir_dtype_size(v->dtype);
    int64_t numel = ir_shape_numel(&v->shape);
    if (numel == -1 || (numel >= 0 && (uint64_t)numel <= IR_MAX_TENSOR_BYTES / (es ? es : 1)))
        return 1;
    char a[160];
    snprintf(msg, n, "output '%s' %s %s needs more than %llu bytes (the limit for one tensor)", v->name,
             ir_dtype_name(v->dtype), ir_shape_str(&v->shape, a, sizeof a), (unsigned long long)IR_MAX_TENSOR_BYTES);
    return 0;
}

static DlaStatus arity_error(DlaError *e, const char *what, int32_t n, int32_t lo, int32_t hi)
{
    if (hi < 0)
        return dla_errorf(e, DLA_ERR_INVALID, "%d %s, expected at least %d", n, what, lo);
    if (lo == hi)
        return dla_errorf(e, DLA_ERR_INVALID, "%d %s, expected %d", n, what, lo);
    return dla_errorf(e, DLA_ERR_INVALID, "%d %s, expected %d to %d", n, what, lo, hi);
}

static DlaStatus check_arity(const IrGraph *g, int32_t n, DlaError *e)
{
    const IrNode *nd = &g->nodes[n];
    const IrOpInfo *oi = &ir_op_table[nd->op];
    if (nd->op == OP_UNKNOWN)
        return DLA_OK; /* its shape function reports it */
    if (nd->ninputs < oi->min_in || (oi->max_in >= 0 && nd->ninputs > oi->max_in))
        return arity_error(e, "inputs", nd->ninputs, oi->min_in, oi->max_in);
    if (nd->noutputs < oi->min_out || (oi->max_out >= 0 && nd->noutputs > oi->max_out))
        return arity_error(e, "outputs", nd->noutputs, oi->min_out, oi->max_out);
    for (int32_t i = 0; i < nd->ninputs; i++)
        if (nd->inputs[i] >= g->nvalues || nd->inputs[i] < -1)
            return dla_errorf(e, DLA_ERR_INVALID, "input %d refers to no value", i);
    for (int32_t i = 0; i < nd->noutputs; i++)
        if (nd->outputs[i] >= g->nvalues || nd->outputs[i] < -1)
            return dla_errorf(e, DLA_ERR_INVALID, "output %d refers to no value", i);
    return DLA_OK;
}

DlaStatus ir_infer_shapes(IrGraph *g, IrDiagList *diags, DlaError *err)
{
    DlaStatus first = DLA_OK;
    if (err)
        dla_error_clear(err);
    if (g->parent)
        import_outer(g);
    Declared *decl = NULL;
    size_t decl_cap = 0;
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrNode *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        decl = dla_grow(decl, sizeof *decl, (size_t)nd->noutputs + 1, &decl_cap);
        for (int32_t i = 0; i < nd->noutputs; i++) {
            int32_t v = nd->outputs[i];
            if (v >= 0 && v < g->nvalues) {
                decl[i].dtype = g->values[v].dtype;
                decl[i].shape = g->values[v].shape;
                decl[i].kind = g->values[v].flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP);
            }
        }
        DlaError e;
        dla_error_clear(&e);
        DlaStatus st = check_arity(g, n, &e);
        if (st == DLA_OK)
            st = ir_op_table[nd->op].shape(g, n, &e);
        if (st != DLA_OK) {
            report(g, n, st, e.msg, diags, err, &first);
            for (int32_t i = 0; i < nd->noutputs; i++) {
                int32_t v = nd->outputs[i];
                if (v >= 0 && v < g->nvalues) {
                    IrValue *val = &g->values[v];
                    val->dtype = decl[i].dtype;
                    val->shape = decl[i].shape;
                    val->flags = (val->flags & ~(uint32_t)(IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) | decl[i].kind;
                }
            }
            continue;
        }
        int all_ok = 1;
        for (int32_t i = 0; i < nd->noutputs; i++) {
            int32_t v = nd->outputs[i];
            if (v < 0)
                continue;
            char msg[512];
            if (!merge_declared(&g->values[v], &decl[i], msg, sizeof msg)) {
                report(g, n, DLA_ERR_INVALID, msg, diags, err, &first);
                all_ok = 0;
            } else if (!value_size_ok(&g->values[v], msg, sizeof msg)) {
                report(g, n, DLA_ERR_LIMIT, msg, diags, err, &first);
                all_ok = 0;
            }
        }
        if (all_ok)
            ir_fold_shape_node(g, n);
    }
    free(decl);
    return first;
}

/* Every present input constant and small (at most IR_FOLD_MAX_ELEMS elements):
 * shape arithmetic, not a weight tensor. */
static int small_const_inputs(IrGraph *g, int32_t node)
{
    for (int32_t i = 0; i < g->nodes[node].ninputs; i++) {
        const IrValue *v = shp_in(g, node, i);
        if (v && (!shp_is_const(v) || ir_shape_numel(&v->shape) > IR_FOLD_MAX_ELEMS))
            return 0;
    }
    return 1;
}

/* Shape-level constant propagation: inference decides which nodes (the ops of
 * shape arithmetic, small outputs of the inferred dtype and shape), the one
 * constant evaluator (consteval.h) computes them. */
int ir_fold_shape_node(IrGraph *g, int32_t node)
{
    IrNode *nd = &g->nodes[node];
    if (nd->noutputs < 1 || nd->outputs[0] < 0)
        return 0;
    int32_t yv = nd->outputs[0];
    IrValue *y = &g->values[yv];
    if ((y->flags & (IR_VAL_CONST | IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) || !ir_shape_known(&y->shape))
        return 0;
    if (nd->op != OP_CONSTANT &&
        (ir_shape_numel(&y->shape) > IR_FOLD_MAX_ELEMS || !ir_dtype_size(y->dtype) || y->dtype == DT_STRING))
        return 0;
    const IrValue *x = shp_in(g, node, 0);
    switch (nd->op) {
    case OP_CONSTANT: case OP_SHAPE: case OP_SIZE: case OP_CONSTANT_OF_SHAPE:
        break; /* read attributes and known shapes, not input data */
    case OP_GATHER:
        if (x && !(x->flags & IR_VAL_CONST))
            break; /* Gather(Shape(t), const): the evaluator reads t's known dims */
        /* fall through */
    case OP_IDENTITY: case OP_RESHAPE: case OP_FLATTEN: case OP_SQUEEZE: case OP_UNSQUEEZE: case OP_EXPAND:
    case OP_WHERE: case OP_CONCAT: case OP_SLICE: case OP_RANGE: case OP_ADD: case OP_SUB: case OP_MUL:
    case OP_DIV: case OP_NEG: case OP_EQUAL: case OP_LESS: case OP_GREATER: case OP_CAST: case OP_ABS:
    case OP_CEIL: case OP_FLOOR: case OP_RELU: case OP_MAX: case OP_MIN:
        if (!x || !small_const_inputs(g, node))
            return 0;
        break;
    default:
        return 0;
    }
    IrConstResult r;
    DlaError ignored = {0}; /* a rule broken by constant inputs is the shape function's to report */
    if (ir_const_eval(g, node, IR_FOLD_MAX_ELEMS, &r, &ignored) != 1 || r.dt != y->dtype ||
        !ir_shape_equal(&r.sh, &y->shape))
        return 0;
    if (r.shared && nd->op != OP_CONSTANT)
        ir_value_set_data(g, yv, r.data, r.nbytes); /* a copy: y must not alias its input */
    else
        ir_value_borrow_data(g, yv, r.data, r.nbytes);
    return 1;
}

DlaStatus ir_infer_subgraph(IrGraph *body, DlaError *err)
{
    DlaStatus st = ir_infer_shapes(body, NULL, err);
    if (st)
        dla_error_prefix(err, "in subgraph '%s': ", body->name);
    return st;
}
