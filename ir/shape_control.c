/* shape_control.c - shape functions of control flow (If, Loop, Scan,
 * SequenceMap), sequences and optionals.
 *
 * Bodies are inferred with ir_infer_subgraph after their inputs are typed
 * from the node's inputs; their outer-scope references are resolved there.
 * A sequence or optional value carries the IR_VAL_SEQUENCE / IR_VAL_OPTIONAL
 * flag, and its dtype/shape describe the element tensor (unknown dims where
 * the elements differ). */
#include "shape_util.h"

#include <string.h>

#define KIND_FLAGS ((uint32_t)(IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP))

static IrGraph *graph_attr(IrGraph *g, int32_t node, const char *name)
{
    const IrAttr *a = ir_attr_find(g, node, name);
    return a && a->type == IR_ATTR_GRAPH ? a->g : NULL;
}

/* The most specific shape compatible with both (unknown where they differ). */
static IrShape merge(const IrShape *a, const IrShape *b)
{
    if (a->rank != b->rank)
        return shp_unknown();
    IrShape s = *a;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i] || (a->sym[i] != b->sym[i] && (!a->sym[i] || !b->sym[i] || strcmp(a->sym[i], b->sym[i]))))
            shp_dim(&s, i, -1);
    return s;
}

/* Copy type (dtype, shape, kind flags) of src into dst. */
static void set_like(IrValue *dst, const IrValue *src)
{
    if (!dst)
        return;
    shp_set(dst, src->dtype, &src->shape);
    dst->flags |= src->flags & KIND_FLAGS;
}

/* Give a body input the type of what the node feeds it: the declared type
 * stays where the fed one is unknown (declared dims are often symbolic). */
static void type_body_input(IrGraph *body, int i, IrDtype dt, const IrShape *s, uint32_t kind)
{
    if (i >= body->ninputs)
        return;
    IrValue *v = &body->values[body->inputs[i]];
    if (dt != DT_UNDEFINED)
        v->dtype = dt;
    if ((kind & IR_VAL_SEQUENCE) && (!s || s->rank < 0)) {
        /* a sequence fed without element shape (empty so far): the body's
         * declared element shape (often a symbol) would only hide what the
         * body inserts, so the body sees no constraint */
        v->shape = shp_unknown();
    } else if (s && s->rank >= 0) {
        if (v->shape.rank != s->rank) {
            v->shape = *s;
        } else {
            for (int d = 0; d < s->rank; d++)
                if (s->dims[d] >= 0 || s->sym[d])
                    shp_copy_dim(&v->shape, d, s, d);
        }
    }
    v->flags |= kind;
}

static DlaStatus infer_body(IrGraph *body, const char *what, DlaError *err)
{
    DlaStatus st = ir_infer_subgraph(body, err);
    if (st)
        dla_error_prefix(err, "%s: ", what);
    return st;
}

DlaStatus ir_shape_if(IrGraph *g, int32_t node, DlaError *err)
{
    IrGraph *tb = graph_attr(g, node, "then_branch"), *eb = graph_attr(g, node, "else_branch");
    if (!tb || !eb)
        return shp_err(err, "then_branch and else_branch graphs are required");
    IrValue *cond = shp_in(g, node, 0);
    if (!cond)
        return shp_missing(err, 0);
    DlaStatus st;
    if ((st = infer_body(tb, "then_branch", err)) || (st = infer_body(eb, "else_branch", err)))
        return st;
    int nout = g->nodes[node].noutputs;
    if (tb->noutputs != nout || eb->noutputs != nout)
        return shp_err(err, "the branches have %d and %d outputs, the node %d", tb->noutputs, eb->noutputs, nout);
    int64_t c;
    int known = shp_const_int1(cond, &c);
    for (int i = 0; i < nout; i++) {
        const IrValue *t = &tb->values[tb->outputs[i]], *e = &eb->values[eb->outputs[i]];
        IrValue *y = shp_out(g, node, i);
        if (known) {
            set_like(y, c ? t : e);
            continue;
        }
        if (t->dtype != e->dtype && t->dtype != DT_UNDEFINED && e->dtype != DT_UNDEFINED)
            return shp_err(err, "output %d is %s in then_branch but %s in else_branch", i, ir_dtype_name(t->dtype),
                           ir_dtype_name(e->dtype));
        IrShape s = merge(&t->shape, &e->shape);
        shp_set(y, t->dtype != DT_UNDEFINED ? t->dtype : e->dtype, &s);
        if (y)
            y->flags |= (t->flags | e->flags) & KIND_FLAGS;
    }
    return DLA_OK;
}

/* The body's condition output is its condition input passed through
 * (Identity) or the constant true: the loop then runs exactly M times. */
static int cond_stays_true(IrGraph *body, IrValue *cond_in_outer)
{
    if (body->noutputs < 1)
        return 0;
    int32_t co = body->outputs[0];
    int64_t c;
    if (shp_const_int1(&body->values[co], &c))
        return c != 0;
    int32_t p = body->values[co].producer;
    int32_t ci = body->ninputs > 1 ? body->inputs[1] : -1;
    if (co == ci || (p >= 0 && body->nodes[p].op == OP_IDENTITY && ir_in(body, p, 0) == ci && ci >= 0))
        return !cond_in_outer || (shp_const_int1(cond_in_outer, &c) && c);
    return 0;
}

DlaStatus ir_shape_loop(IrGraph *g, int32_t node, DlaError *err)
{
    IrGraph *body = graph_attr(g, node, "body");
    if (!body)
        return shp_err(err, "the body graph is required");
    int nin = g->nodes[node].ninputs, nout = g->nodes[node].noutputs;
    int n = nin - 2;
    int k = body->noutputs - 1 - n;
    if (body->ninputs != n + 2 || k < 0 || nout != n + k)
        return shp_err(err, "body has %d inputs and %d outputs, which do not fit %d loop-carried values and %d outputs",
                       body->ninputs, body->noutputs, n, nout);
    IrShape sc = shp_rank(0);
    type_body_input(body, 0, DT_INT64, &sc, 0);
    type_body_input(body, 1, DT_BOOL, &sc, 0);
    for (int i = 0; i < n; i++) {
        IrValue *v = shp_in(g, node, 2 + i);
        if (!v)
            return shp_missing(err, 2 + i);
        type_body_input(body, 2 + i, v->dtype, &v->shape, v->flags & KIND_FLAGS);
    }
    DlaStatus st = infer_body(body, "body", err);
    if (st)
        return st;
    IrValue *m = shp_in(g, node, 0), *cond = shp_in(g, node, 1);
    int64_t trips = -1;
    if (m && shp_const_int1(m, &trips) && !cond_stays_true(body, cond))
        trips = -1;
    if (!m)
        trips = -1;
    for (int i = 0; i < n; i++) {
        const IrValue *init = shp_in(g, node, 2 + i), *out = &body->values[body->outputs[1 + i]];
        /* the body's output decides the kind; a sequence or optional whose
         * element type is unknown (empty, none) says nothing about shapes */
        uint32_t kind = out->flags & KIND_FLAGS ? out->flags & KIND_FLAGS : init->flags & KIND_FLAGS;
        IrShape s;
        if (trips == 0)
            s = init->shape;
        else if (kind && init->shape.rank < 0)
            s = out->shape;
        else
            s = merge(&init->shape, &out->shape);
        IrValue *y = shp_out(g, node, i);
        shp_set(y, out->dtype != DT_UNDEFINED ? out->dtype : init->dtype, &s);
        if (y)
            y->flags |= kind;
    }
    for (int j = 0; j < k; j++) {
        const IrValue *o = &body->values[body->outputs[1 + n + j]];
        IrValue *y = shp_out(g, node, n + j);
        if (o->shape.rank < 0 || o->shape.rank >= IR_MAX_RANK) {
            shp_set(y, o->dtype, NULL);
            continue;
        }
        IrShape s = shp_rank(o->shape.rank + 1);
        shp_dim(&s, 0, trips);
        for (int i = 0; i < o->shape.rank; i++)
            shp_copy_dim(&s, i + 1, &o->shape, i);
        shp_set(y, o->dtype, &s);
    }
    return DLA_OK;
}

/* Remove dim a from s. */
static IrShape drop_dim(const IrShape *s, int a)
{
    IrShape r = shp_rank(s->rank - 1);
    for (int i = 0, k = 0; i < s->rank; i++)
        if (i != a)
            shp_copy_dim(&r, k++, s, i);
    return r;
}

DlaStatus ir_shape_scan(IrGraph *g, int32_t node, DlaError *err)
{
    IrGraph *body = graph_attr(g, node, "body");
    if (!body)
        return shp_err(err, "the body graph is required");
    int opset8 = ir_graph_opset(g, "") < 9;
    int nin = g->nodes[node].ninputs, nout = g->nodes[node].noutputs;
    int first = opset8 ? 1 : 0; /* Scan-8: sequence_lens first */
    int64_t m = ir_node_attr_i(g, node, "num_scan_inputs");
    int n = nin - first - (int)m;
    int k = nout - n;
    if (m < 1 || n < 0 || k < 0 || body->ninputs != n + m || body->noutputs != n + k)
        return shp_err(err, "body has %d inputs and %d outputs, which do not fit %d states, %lld scan inputs and %d "
                            "scan outputs", body->ninputs, body->noutputs, n, (long long)m, k);
    const int64_t *in_axes, *out_axes;
    int32_t nia = ir_attr_ints(g, node, "scan_input_axes", &in_axes);
    int32_t noa = ir_attr_ints(g, node, "scan_output_axes", &out_axes);
    int64_t seq = -1, batch = -1;
    for (int i = 0; i < n + (int)m; i++) {
        IrValue *v = shp_in(g, node, first + i);
        if (!v)
            return shp_missing(err, first + i);
        IrShape s = v->shape;
        int skip = opset8 ? 1 : 0; /* Scan-8: leading batch dim not seen by the body */
        if (s.rank >= 0 && s.rank < skip + (i >= n))
            return shp_err(err, "%s has too small a rank", shp_desc(g, node, first + i));
        if (s.rank >= 0 && opset8) {
            batch = s.dims[0];
            s = drop_dim(&s, 0);
        }
        if (i >= n && s.rank >= 0) {
            int a = 0;
            if (!opset8 && nia >= 0 && (i - n >= nia || !shp_axis(in_axes[i - n], s.rank, &a)))
                return shp_err(err, "scan_input_axes does not fit %s", shp_desc(g, node, first + i));
            if (seq < 0)
                seq = s.dims[a];
            s = drop_dim(&s, a);
        }
        type_body_input(body, i, v->dtype, s.rank >= 0 ? &s : NULL, 0);
    }
    DlaStatus st = infer_body(body, "body", err);
    if (st)
        return st;
    for (int i = 0; i < n + k; i++) {
        const IrValue *o = &body->values[body->outputs[i]];
        IrValue *y = shp_out(g, node, i);
        if (o->shape.rank < 0 || o->shape.rank + 2 > IR_MAX_RANK) {
            shp_set(y, o->dtype, NULL);
            continue;
        }
        IrShape s = o->shape;
        if (i >= n) { /* insert the sequence dim */
            int a = 0;
            if (!opset8 && noa >= 0 && (i - n >= noa || !shp_axis(out_axes[i - n], o->shape.rank + 1, &a)))
                return shp_err(err, "scan_output_axes does not fit body output %d", i);
            s = shp_rank(o->shape.rank + 1);
            for (int d = 0, kk = 0; d < s.rank; d++) {
                if (d == a)
                    shp_dim(&s, d, seq);
                else
                    shp_copy_dim(&s, d, &o->shape, kk++);
            }
        }
        if (opset8) { /* re-add the batch dim */
            IrShape b = shp_rank(s.rank + 1);
            shp_dim(&b, 0, batch);
            for (int d = 0; d < s.rank; d++)
                shp_copy_dim(&b, d + 1, &s, d);
            s = b;
        }
        shp_set(y, o->dtype, &s);
    }
    return DLA_OK;
}

static void set_seq(IrValue *y, IrDtype dt, const IrShape *s)
{
    if (!y)
        return;
    shp_set(y, dt, s);
    y->flags |= IR_VAL_SEQUENCE;
}

/* Every Sequence* op, SplitToSequence and ConcatFromSequence. */
DlaStatus ir_shape_seq(IrGraph *g, int32_t node, DlaError *err)
{
    IrOp op = g->nodes[node].op;
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    IrShape sc = shp_rank(0);
    if (op != OP_SEQUENCE_EMPTY && !x)
        return shp_missing(err, 0);
    switch (op) {
    case OP_SEQUENCE_EMPTY: {
        int64_t c = ir_node_attr_i(g, node, "dtype");
        if (!ir_dtype_valid((int)c) || c == DT_UNDEFINED)
            return shp_err(err, "attribute 'dtype' = %lld is not a tensor element type", (long long)c);
        set_seq(y, (IrDtype)c, NULL);
        return DLA_OK;
    }
    case OP_SEQUENCE_CONSTRUCT: {
        IrShape s = x->shape;
        for (int i = 1; i < g->nodes[node].ninputs; i++) {
            IrValue *v = shp_in(g, node, i);
            if (!v)
                return shp_missing(err, i);
            if (v->dtype != x->dtype)
                return shp_err(err, "%s differs in type from %s", shp_desc(g, node, i), shp_desc(g, node, 0));
            s = merge(&s, &v->shape);
        }
        set_seq(y, x->dtype, &s);
        return DLA_OK;
    }
    case OP_SEQUENCE_INSERT: {
        IrValue *t = shp_in(g, node, 1);
        if (!t)
            return shp_missing(err, 1);
        if (x->dtype != DT_UNDEFINED && t->dtype != DT_UNDEFINED && x->dtype != t->dtype)
            return shp_err(err, "tensor %s does not match the sequence's type %s", shp_desc(g, node, 1),
                           ir_dtype_name(x->dtype));
        IrShape s = x->shape.rank < 0 ? t->shape : merge(&x->shape, &t->shape);
        set_seq(y, t->dtype, &s);
        return DLA_OK;
    }
    case OP_SEQUENCE_ERASE:
        set_seq(y, x->dtype, &x->shape);
        return DLA_OK;
    case OP_SEQUENCE_AT:
        shp_set(y, x->dtype, &x->shape);
        return DLA_OK;
    case OP_SEQUENCE_LENGTH:
        shp_set(y, DT_INT64, &sc);
        return DLA_OK;
    case OP_SPLIT_TO_SEQUENCE: {
        IrValue *sp = shp_in(g, node, 1);
        if (x->shape.rank < 0) {
            set_seq(y, x->dtype, NULL);
            return DLA_OK;
        }
        int a;
        if (!shp_axis(ir_node_attr_i(g, node, "axis"), x->shape.rank, &a))
            return shp_err(err, "axis %lld is out of range for %s", (long long)ir_node_attr_i(g, node, "axis"),
                           shp_desc(g, node, 0));
        IrShape s = x->shape;
        if (!sp) {
            if (ir_node_attr_i(g, node, "keepdims"))
                shp_dim(&s, a, 1);
            else
                s = drop_dim(&x->shape, a);
        } else {
            int64_t v[2];
            int64_t nv = shp_const_ints(sp, v, 2);
            int64_t d = x->shape.dims[a];
            if (sp->shape.rank == 0 && nv == 1 && d >= 0 && v[0] > 0 && d % v[0] == 0)
                shp_dim(&s, a, v[0]);
            else if (nv == 1 && sp->shape.rank == 1)
                shp_dim(&s, a, v[0]);
            else
                shp_dim(&s, a, -1);
        }
        set_seq(y, x->dtype, &s);
        return DLA_OK;
    }
    case OP_CONCAT_FROM_SEQUENCE: {
        if (x->shape.rank < 0) {
            shp_set(y, x->dtype, NULL);
            return DLA_OK;
        }
        int new_axis = ir_node_attr_i(g, node, "new_axis") != 0, a;
        int ro = x->shape.rank + new_axis;
        if (ro > IR_MAX_RANK || !shp_axis(ir_node_attr_i(g, node, "axis"), ro, &a))
            return shp_err(err, "axis %lld is out of range for element %s", (long long)ir_node_attr_i(g, node, "axis"),
                           shp_desc(g, node, 0));
        IrShape s = shp_rank(ro);
        for (int i = 0, k = 0; i < ro; i++) {
            if (i == a && new_axis)
                continue;
            shp_copy_dim(&s, i, &x->shape, k++);
        }
        shp_dim(&s, a, -1); /* depends on the sequence length */
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    default:
        return shp_err(err, "internal: not a sequence op");
    }
}

DlaStatus ir_shape_sequence_map(IrGraph *g, int32_t node, DlaError *err)
{
    IrGraph *body = graph_attr(g, node, "body");
    if (!body)
        return shp_err(err, "the body graph is required");
    int nin = g->nodes[node].ninputs, nout = g->nodes[node].noutputs;
    if (body->ninputs != nin || body->noutputs != nout)
        return shp_err(err, "body has %d inputs and %d outputs for a node with %d and %d", body->ninputs,
                       body->noutputs, nin, nout);
    for (int i = 0; i < nin; i++) {
        IrValue *v = shp_in(g, node, i);
        if (!v)
            return shp_missing(err, i);
        /* sequences are mapped element by element, tensors passed whole */
        type_body_input(body, i, v->dtype, v->shape.rank >= 0 ? &v->shape : NULL, 0);
    }
    DlaStatus st = infer_body(body, "body", err);
    if (st)
        return st;
    for (int i = 0; i < nout; i++) {
        const IrValue *o = &body->values[body->outputs[i]];
        set_seq(shp_out(g, node, i), o->dtype, &o->shape);
    }
    return DLA_OK;
}

DlaStatus ir_shape_optional(IrGraph *g, int32_t node, DlaError *err)
{
    IrOp op = g->nodes[node].op;
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    (void)err;
    if (op == OP_OPTIONAL_HAS_ELEMENT) {
        IrShape sc = shp_rank(0);
        shp_set(y, DT_BOOL, &sc);
        return DLA_OK;
    }
    if (op == OP_OPTIONAL_GET_ELEMENT) {
        if (!x)
            return shp_missing(err, 0);
        set_like(y, x);
        if (y)
            y->flags &= ~(uint32_t)IR_VAL_OPTIONAL;
        return DLA_OK;
    }
    if (x) {
        set_like(y, x);
    } else {
        /* the element type is the 'type' attribute in type notation:
         * "tensor(float32)" or "seq(tensor(float32))" */
        const char *t = ir_attr_string(g, node, "type", "");
        int seq = !strncmp(t, "seq(", 4);
        const char *p = seq ? t + 4 : t;
        IrDtype dt = DT_UNDEFINED;
        if (!strncmp(p, "tensor(", 7)) {
            char name[32];
            size_t n = strcspn(p + 7, ")");
            if (n < sizeof name) {
                memcpy(name, p + 7, n);
                name[n] = 0;
                if (!ir_dtype_from_name(name, &dt))
                    dt = DT_UNDEFINED;
            }
        }
        shp_set(y, dt, NULL);
        if (y && seq)
            y->flags |= IR_VAL_SEQUENCE;
    }
    if (y)
        y->flags |= IR_VAL_OPTIONAL;
    return DLA_OK;
}
