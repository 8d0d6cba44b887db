/* onnx_load.c - onnx.ModelProto -> IrGraph (the semantics are documented in onnx.h).
 *
 * One pass over each GraphProto, in this order: initializers (and sparse
 * initializers) become constant values; graph inputs that are not initializers
 * become graph inputs with their declared types; nodes are converted in file
 * order (ONNX requires topological order), Constant nodes becoming constant
 * values and calls of model-local functions being inlined; then graph outputs
 * and value_info attach their declared types. Subgraphs (If/Loop/Scan bodies)
 * are converted the same way into child graphs whose references to enclosing
 * scopes become IR_VAL_OUTER values. */
#include "onnx_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* Inlining scope of a model-local function call: maps the body's names to the
 * graph's (formal inputs/outputs to the call's actual names, everything else to
 * prefix+name) and resolves attribute references (ref_attr_name) against the
 * call's attributes. NULL scope: the graph itself, names map to themselves. */
typedef struct Scope Scope;
struct Scope {
    const Scope *up;
    const Onnx__FunctionProto *fn;
    const Onnx__NodeProto *call;
    const char **actual_in, **actual_out; /* "" where the call omits it */
    const char *prefix;
};

/* A small string set (node names already taken), open addressing. */
typedef struct NameSet {
    const char **slot;
    size_t cap, n;
} NameSet;

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int nameset_has(const NameSet *ns, const char *s)
{
    if (!ns->cap)
        return 0;
    for (size_t i = name_hash(s) & (ns->cap - 1); ns->slot[i]; i = (i + 1) & (ns->cap - 1))
        if (strcmp(ns->slot[i], s) == 0)
            return 1;
    return 0;
}

static void nameset_add(NameSet *ns, const char *s)
{
    if (nameset_has(ns, s))
        return;
    if ((ns->n + 1) * 2 > ns->cap) {
        NameSet big = {dla_calloc(ns->cap ? ns->cap * 2 : 64, sizeof(char *)), ns->cap ? ns->cap * 2 : 64, 0};
        for (size_t i = 0; i < ns->cap; i++)
            if (ns->slot[i])
                nameset_add(&big, ns->slot[i]);
        free(ns->slot);
        *ns = big;
    }
    size_t i = name_hash(s) & (ns->cap - 1);
    while (ns->slot[i])
        i = (i + 1) & (ns->cap - 1);
    ns->slot[i] = s;
    ns->n++;
}

/* Per-graph conversion state. */
typedef struct GCx {
    OnnxCtx *cx;
    IrGraph *g;
    int is_sub;
    NameSet node_names; /* strings live in the graph arena or the proto */
} GCx;

static DlaStatus conv_graph(OnnxCtx *cx, IrGraph *g, const Onnx__GraphProto *gp, int is_sub);

/* ---- names and scopes ---- */

static const char *scope_name(IrGraph *g, const Scope *sc, const char *name)
{
    if (!sc || !name[0])
        return name;
    for (size_t i = 0; i < sc->fn->n_input; i++)
        if (strcmp(sc->fn->input[i], name) == 0)
            return sc->actual_in[i];
    for (size_t i = 0; i < sc->fn->n_output; i++)
        if (strcmp(sc->fn->output[i], name) == 0 && sc->actual_out[i][0])
            return sc->actual_out[i];
    size_t a = strlen(sc->prefix), b = strlen(name);
    char *r = dla_arena_alloc(&g->arena, a + b + 1);
    memcpy(r, sc->prefix, a);
    memcpy(r + a, name, b + 1);
    return r;
}

/* Follow ref_attr_name through the enclosing calls. NULL with DLA_OK: the call
 * does not set the referenced attribute, so the attribute is omitted. */
static DlaStatus resolve_attr(GCx *gc, const Scope *sc, Onnx__AttributeProto *a, const char *where,
                              Onnx__AttributeProto **out)
{
    *out = a;
    for (int hops = 0; a->ref_attr_name && a->ref_attr_name[0]; hops++) {
        if (!sc || hops > ONNX_MAX_GRAPH_DEPTH)
            return dla_errorf(gc->cx->err, DLA_ERR_FORMAT,
                              "%s: %s: attribute '%s' refers to '%s' outside of a function body",
                              gc->cx->path, where, S(a->name), a->ref_attr_name);
        Onnx__AttributeProto *found = NULL;
        for (size_t i = 0; i < sc->call->n_attribute; i++)
            if (strcmp(S(sc->call->attribute[i]->name), a->ref_attr_name) == 0)
                found = sc->call->attribute[i];
        if (!found) {
            *out = NULL;
            return DLA_OK;
        }
        a = found;
        sc = sc->up;
    }
    *out = a;
    return DLA_OK;
}

/* An undefined name used in a subgraph refers to an enclosing graph: make an
 * IR_VAL_OUTER value carrying what the enclosing graph knows about it. */
static int32_t outer_value(GCx *gc, const char *name)
{
    int depth = gc->cx->graph_depth - 1; /* the enclosing graph's depth */
    for (const IrGraph *p = gc->g->parent; p; p = p->parent, depth--) {
        int32_t pv = ir_value_find(p, name);
        /* Outputs of the node that owns this subgraph do not exist yet when it runs. */
        if (pv >= 0 && depth >= 0 && p->values[pv].producer >= 0 && p->values[pv].producer == gc->cx->open_node[depth])
            return -1;
        if (pv >= 0) {
            const IrValue *src = &p->values[pv];
            IrShape sh = src->shape;
            for (int i = 0; i < sh.rank && i < IR_MAX_RANK; i++)
                if (sh.sym[i])
                    sh.sym[i] = dla_arena_strdup(&gc->g->arena, sh.sym[i]);
            int32_t v = ir_value_add(gc->g, name, src->dtype, &sh);
            gc->g->values[v].flags |= IR_VAL_OUTER | (src->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP));
            return v;
        }
    }
    return -1;
}

/* ---- attributes ---- */

/* protobuf bytes -> arena string (an empty field has data == NULL). */
static const char *bytes_dup(IrGraph *g, const ProtobufCBinaryData *b)
{
    return b->len ? dla_arena_strndup(&g->arena, (const char *)b->data, b->len) : dla_arena_strdup(&g->arena, "");
}

static IrAttrType attr_type(const Onnx__AttributeProto *a)
{
    if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
        return (IrAttrType)a->type;
    /* Files from before AttributeProto.type existed: infer it from the field set. */
    if (a->has_f) return IR_ATTR_FLOAT;
    if (a->has_i) return IR_ATTR_INT;
    if (a->has_s) return IR_ATTR_STRING;
    if (a->t) return IR_ATTR_TENSOR;
    if (a->g) return IR_ATTR_GRAPH;
    if (a->sparse_tensor) return (IrAttrType)ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
    if (a->tp) return (IrAttrType)ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO;
    if (a->n_floats) return IR_ATTR_FLOATS;
    if (a->n_ints) return IR_ATTR_INTS;
    if (a->n_strings) return IR_ATTR_STRINGS;
    if (a->n_tensors) return IR_ATTR_TENSORS;
    if (a->n_graphs) return IR_ATTR_GRAPHS;
    if (a->n_sparse_tensors) return (IrAttrType)ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS;
    if (a->n_type_protos) return (IrAttrType)ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS;
    return IR_ATTR_UNDEF;
}

static DlaStatus conv_subgraph(GCx *gc, const Scope *sc, int32_t node, const Onnx__GraphProto *gp,
                               const char *what, IrGraph **out)
{
    OnnxCtx *cx = gc->cx;
    *out = NULL;
    if (!gp)
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: graph attribute without a graph", cx->path, what);
    if (sc)
        return dla_errorf(cx->err, DLA_ERR_UNSUPPORTED,
                          "%s: %s: subgraphs inside model-local function '%s' are not supported",
                          cx->path, what, S(sc->fn->name));
    if (cx->graph_depth >= ONNX_MAX_GRAPH_DEPTH)
        return dla_errorf(cx->err, DLA_ERR_LIMIT, "%s: %s: subgraphs nested more than %d deep",
                          cx->path, what, ONNX_MAX_GRAPH_DEPTH);
    cx->open_node[cx->graph_depth] = node;
    IrGraph *sg = ir_graph_new();
    sg->parent = gc->g;
    sg->source_path = dla_arena_strdup(&sg->arena, gc->g->source_path);
    cx->graph_depth++;
    DlaStatus s = conv_graph(cx, sg, gp, 1);
    cx->graph_depth--;
    if (s) {
        ir_graph_free(sg);
        return s;
    }
    *out = sg;
    return DLA_OK;
}

static DlaStatus conv_tensor_list(GCx *gc, Onnx__TensorProto **ts, Onnx__SparseTensorProto **sps, size_t n,
                                  const char *what, IrTensor **out)
{
    IrTensor *arr = dla_arena_alloc(&gc->g->arena, (n ? n : 1) * sizeof *arr);
    for (size_t i = 0; i < n; i++) {
        OnnxTData td;
        DlaStatus s = ts ? onnx_tensor_convert(gc->cx, ts[i], what, &td)
                         : onnx_sparse_convert(gc->cx, sps[i], what, &td);
        if (s)
            return s;
        onnx_tdata_to_irtensor(gc->g, &arr[i], &td);
    }
    *out = arr;
    return DLA_OK;
}

static DlaStatus conv_attr(GCx *gc, const Scope *sc, int32_t node, const char *where, const char *name,
                           const Onnx__AttributeProto *a)
{
    OnnxCtx *cx = gc->cx;
    IrGraph *g = gc->g;
    char what[640];
    snprintf(what, sizeof what, "%s, attribute '%s'", where, name);
    IrAttr tmp;
    memset(&tmp, 0, sizeof tmp);
    int t = (int)attr_type(a);
    DlaStatus s = DLA_OK;
    switch (t) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        tmp.type = IR_ATTR_FLOAT;
        tmp.f = a->f;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        tmp.type = IR_ATTR_INT;
        tmp.i = a->i;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        tmp.type = IR_ATTR_STRING;
        tmp.s = bytes_dup(g, &a->s);
        tmp.slen = a->s.len;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR: {
        int sparse = t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
        if (sparse ? !a->sparse_tensor : !a->t)
            return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: tensor attribute without a tensor", cx->path, what);
        tmp.type = IR_ATTR_TENSOR;
        s = sparse ? conv_tensor_list(gc, NULL, (Onnx__SparseTensorProto **)&a->sparse_tensor, 1, what, &tmp.t)
                   : conv_tensor_list(gc, (Onnx__TensorProto **)&a->t, NULL, 1, what, &tmp.t);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
        tmp.type = IR_ATTR_GRAPH;
        s = conv_subgraph(gc, sc, node, a->g, what, &tmp.g);
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: {
        char buf[512];
        onnx_type_str(a->tp, buf, sizeof buf, 0);
        tmp.type = IR_ATTR_STRING;
        tmp.s = dla_arena_strdup(&g->arena, buf);
        tmp.slen = strlen(buf);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        tmp.type = IR_ATTR_FLOATS;
        tmp.n = (int32_t)a->n_floats;
        tmp.floats = dla_arena_memdup(&g->arena, a->floats, a->n_floats * sizeof(float));
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        tmp.type = IR_ATTR_INTS;
        tmp.n = (int32_t)a->n_ints;
        tmp.ints = dla_arena_memdup(&g->arena, a->ints, a->n_ints * sizeof(int64_t));
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS: {
        int tps = t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS;
        size_t n = tps ? a->n_type_protos : a->n_strings;
        tmp.type = IR_ATTR_STRINGS;
        tmp.n = (int32_t)n;
        tmp.strings = dla_arena_alloc(&g->arena, (n ? n : 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            if (tps) {
                char buf[512];
                onnx_type_str(a->type_protos[i], buf, sizeof buf, 0);
                tmp.strings[i] = dla_arena_strdup(&g->arena, buf);
            } else {
                tmp.strings[i] = bytes_dup(g, &a->strings[i]);
            }
        }
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS: {
        int sparse = t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS;
        size_t n = sparse ? a->n_sparse_tensors : a->n_tensors;
        tmp.type = IR_ATTR_TENSORS;
        tmp.n = (int32_t)n;
        s = conv_tensor_list(gc, sparse ? NULL : a->tensors, sparse ? a->sparse_tensors : NULL, n, what,
                             &tmp.tensors);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
        tmp.type = IR_ATTR_GRAPHS;
        tmp.graphs = dla_arena_alloc(&g->arena, (a->n_graphs ? a->n_graphs : 1) * sizeof(IrGraph *));
        for (size_t i = 0; i < a->n_graphs && !s; i++) {
            s = conv_subgraph(gc, sc, node, a->graphs[i], what, &tmp.graphs[i]);
            if (!s)
                tmp.n = (int32_t)i + 1;
        }
        if (s) {
            for (int32_t i = 0; i < tmp.n; i++)
                ir_graph_free(tmp.graphs[i]);
            return s;
        }
        break;
    default:
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: unknown attribute type %d", cx->path, what, t);
    }
    if (s)
        return s;
    IrAttr *at = ir_node_add_attr(g, node, name, tmp.type);
    tmp.name = at->name;
    *at = tmp;
    return DLA_OK;
}

/* ---- nodes ---- */

static DlaStatus conv_node(GCx *gc, const Scope *sc, Onnx__NodeProto *np);

static const Onnx__FunctionProto *function_find(const OnnxCtx *cx, const char *op, const char *dom)
{
    const Onnx__ModelProto *m = cx->model;
    for (size_t i = 0; m && i < m->n_functions; i++) {
        const Onnx__FunctionProto *f = m->functions[i];
        const char *fd = S(f->domain);
        if (strcmp(fd, "ai.onnx") == 0)
            fd = "";
        if (strcmp(S(f->name), op) == 0 && strcmp(fd, dom) == 0)
            return f;
    }
    return NULL;
}

/* A fresh node name "<op_type>_<index>" not used by any node of this graph. */
static const char *gen_node_name(GCx *gc, const char *op)
{
    char buf[300];
    snprintf(buf, sizeof buf, "%.200s_%d", op, (int)gc->g->nnodes);
    for (int k = 1; nameset_has(&gc->node_names, buf); k++)
        snprintf(buf, sizeof buf, "%.200s_%d_%d", op, (int)gc->g->nnodes, k);
    const char *r = dla_arena_strdup(&gc->g->arena, buf);
    nameset_add(&gc->node_names, r);
    return r;
}

static DlaStatus inline_call(GCx *gc, const Scope *sc, Onnx__NodeProto *np, const Onnx__FunctionProto *fn,
                             const char *where, const char *callname)
{
    OnnxCtx *cx = gc->cx;
    IrGraph *g = gc->g;
    if (cx->inline_depth >= ONNX_MAX_GRAPH_DEPTH)
        return dla_errorf(cx->err, DLA_ERR_LIMIT,
                          "%s: %s: model-local function calls nested more than %d deep (recursive function?)",
                          cx->path, where, ONNX_MAX_GRAPH_DEPTH);
    if (np->n_input > fn->n_input || np->n_output > fn->n_output)
        return dla_errorf(cx->err, DLA_ERR_INVALID,
                          "%s: %s: calls function '%s' with %zu inputs and %zu outputs; it has %zu and %zu",
                          cx->path, where, S(fn->name), np->n_input, np->n_output, fn->n_input, fn->n_output);
    Scope in = {sc, fn, np, NULL, NULL, NULL};
    in.actual_in = dla_arena_alloc(&g->arena, (fn->n_input + 1) * sizeof(char *));
    in.actual_out = dla_arena_alloc(&g->arena, (fn->n_output + 1) * sizeof(char *));
    for (size_t i = 0; i < fn->n_input; i++)
        in.actual_in[i] = i < np->n_input ? scope_name(g, sc, np->input[i]) : "";
    for (size_t i = 0; i < fn->n_output; i++)
        in.actual_out[i] = i < np->n_output ? scope_name(g, sc, np->output[i]) : "";
    char pre[400];
    snprintf(pre, sizeof pre, "%.300s/", callname);
    in.prefix = dla_arena_strdup(&g->arena, pre);
    /* The body's ops are versioned by the function's own opset_import: domains
     * the model does not import itself are added (the model's versions win). */
    for (size_t i = 0; i < fn->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *op = fn->opset_import[i];
        if (op->has_version && op->version > 0 && cx->root && ir_graph_opset(cx->root, S(op->domain)) == 0)
            ir_graph_set_opset(cx->root, S(op->domain), op->version);
    }
    cx->inline_depth++;
    cx->copy_raw++;
    DlaStatus s = DLA_OK;
    for (size_t k = 0; k < fn->n_node && !s; k++)
        s = conv_node(gc, &in, fn->node[k]);
    cx->inline_depth--;
    cx->copy_raw--;
    if (s)
        return s;
    for (size_t i = 0; i < fn->n_output; i++)
        if (in.actual_out[i][0] && ir_value_find(g, in.actual_out[i]) < 0)
            return dla_errorf(cx->err, DLA_ERR_INVALID, "%s: %s: function '%s' does not compute its output '%s'",
                              cx->path, where, S(fn->name), fn->output[i]);
    return DLA_OK;
}

/* A Constant's numeric value_* attribute as owned tensor data: a scalar
 * (rank 0, n = 1) or a list (rank 1) of n elements of esize bytes each. */
static void const_numbers(OnnxTData *td, IrDtype dt, int rank, int64_t n, const void *src, size_t esize)
{
    td->dtype = dt;
    td->shape = ir_shape_make(rank, &n);
    td->numel = n;
    td->nbytes = (size_t)n * esize;
    td->data = dla_malloc(td->nbytes ? td->nbytes : 1);
    if (td->nbytes)
        memcpy(td->data, src, td->nbytes);
    td->owned = 1;
}

/* Constant node -> constant value named by its output (no node is emitted). */
static DlaStatus conv_constant(GCx *gc, const Scope *sc, Onnx__NodeProto *np, const char *where)
{
    OnnxCtx *cx = gc->cx;
    IrGraph *g = gc->g;
    if (np->n_output != 1 || !np->output[0][0])
        return dla_errorf(cx->err, DLA_ERR_INVALID, "%s: %s: Constant must have exactly one output", cx->path, where);
    if (np->n_input)
        return dla_errorf(cx->err, DLA_ERR_INVALID, "%s: %s: Constant takes no inputs", cx->path, where);
    Onnx__AttributeProto *a = NULL;
    const char *form = NULL; /* the attribute's name as written: it selects the value form */
    int nvals = 0;
    for (size_t i = 0; i < np->n_attribute; i++) {
        const char *an = S(np->attribute[i]->name);
        if (strncmp(an, "value", 5) != 0 && strcmp(an, "sparse_value") != 0)
            return dla_errorf(cx->err, DLA_ERR_INVALID, "%s: %s: unknown Constant attribute '%s'",
                              cx->path, where, an);
        Onnx__AttributeProto *r;
        DlaStatus s = resolve_attr(gc, sc, np->attribute[i], where, &r);
        if (s)
            return s;
        if (r) {
            a = r;
            form = an;
            nvals++;
        }
    }
    if (nvals != 1)
        return dla_errorf(cx->err, DLA_ERR_INVALID,
                          "%s: %s: Constant needs exactly one value attribute, it has %d", cx->path, where, nvals);
    char what[600];
    snprintf(what, sizeof what, "%s, attribute '%s'", where, form);
    OnnxTData td;
    memset(&td, 0, sizeof td);
    DlaStatus s = DLA_OK;
    IrAttrType t = attr_type(a);
    int64_t n1;
    if (strcmp(form, "value") == 0 && t == IR_ATTR_TENSOR && a->t) {
        s = onnx_tensor_convert(cx, a->t, what, &td);
    } else if (strcmp(form, "sparse_value") == 0 &&
               (int)t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR && a->sparse_tensor) {
        s = onnx_sparse_convert(cx, a->sparse_tensor, what, &td);
    } else if (strcmp(form, "value_float") == 0 && t == IR_ATTR_FLOAT) {
        const_numbers(&td, DT_FLOAT, 0, 1, &a->f, 4);
    } else if (strcmp(form, "value_int") == 0 && t == IR_ATTR_INT) {
        const_numbers(&td, DT_INT64, 0, 1, &a->i, 8);
    } else if (strcmp(form, "value_floats") == 0 && t == IR_ATTR_FLOATS) {
        const_numbers(&td, DT_FLOAT, 1, (int64_t)a->n_floats, a->floats, 4);
    } else if (strcmp(form, "value_ints") == 0 && t == IR_ATTR_INTS) {
        const_numbers(&td, DT_INT64, 1, (int64_t)a->n_ints, a->ints, 8);
    } else if ((strcmp(form, "value_string") == 0 && t == IR_ATTR_STRING) ||
               (strcmp(form, "value_strings") == 0 && t == IR_ATTR_STRINGS)) {
        int scalar = t == IR_ATTR_STRING;
        size_t n = scalar ? 1 : a->n_strings;
        const ProtobufCBinaryData *src = scalar ? &a->s : a->strings;
        n1 = (int64_t)n;
        td.dtype = DT_STRING;
        td.shape = ir_shape_make(scalar ? 0 : 1, &n1);
        td.numel = n1;
        char **arr = dla_malloc((n ? n : 1) * sizeof *arr);
        for (size_t i = 0; i < n; i++) {
            arr[i] = dla_malloc(src[i].len + 1);
            if (src[i].len)
                memcpy(arr[i], src[i].data, src[i].len);
            arr[i][src[i].len] = 0;
        }
        td.data = arr;
        td.nbytes = n * sizeof *arr;
        td.owned = 1;
    } else {
        return dla_errorf(cx->err, DLA_ERR_INVALID, "%s: %s: attribute has the wrong type for Constant",
                          cx->path, what);
    }
    if (s)
        return s;
    const char *oname = scope_name(g, sc, np->output[0]);
    int32_t v = ir_value_add(g, oname, td.dtype, &td.shape);
    if (v < 0) {
        onnx_tdata_free(&td);
        return dla_errorf(cx->err, DLA_ERR_INVALID, "%s: %s: value '%s' is defined more than once",
                          cx->path, where, oname);
    }
    onnx_tdata_to_value(g, v, &td);
    return DLA_OK;
}

static DlaStatus conv_node(GCx *gc, const Scope *sc, Onnx__NodeProto *np)
{
    OnnxCtx *cx = gc->cx;
    IrGraph *g = gc->g;
    const char *op = S(np->op_type);
    const char *dom = S(np->domain);
    if (strcmp(dom, "ai.onnx") == 0)
        dom = "";
    if (++cx->nodes > ONNX_MAX_NODES)
        return dla_errorf(cx->err, DLA_ERR_LIMIT,
                          "%s: more than %d nodes (counting subgraphs and inlined model-local function calls)",
                          cx->path, ONNX_MAX_NODES);
    const char *name = S(np->name);
    if (sc && name[0])
        name = scope_name(g, sc, name);
    if (!name[0])
        name = gen_node_name(gc, op[0] ? op : "node");
    char where[512];
    snprintf(where, sizeof where, "node '%.300s' (%.150s)", name, op);
    if (!op[0])
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s has no op_type", cx->path, where);
    const Onnx__FunctionProto *fn = function_find(cx, op, dom);
    if (fn)
        return inline_call(gc, sc, np, fn, where, name);
    if (strcmp(op, "Constant") == 0 && !dom[0])
        return conv_constant(gc, sc, np, where);

    int32_t *ins = dla_malloc((np->n_input + 1) * sizeof *ins);
    int32_t *outs = dla_malloc((np->n_output + 1) * sizeof *outs);
    DlaStatus s = DLA_OK;
    for (size_t i = 0; i < np->n_input && !s; i++) {
        const char *nm = scope_name(g, sc, np->input[i]);
        ins[i] = -1;
        if (!nm[0])
            continue;
        ins[i] = ir_value_find(g, nm);
        if (ins[i] < 0 && gc->is_sub)
            ins[i] = outer_value(gc, nm);
        if (ins[i] < 0)
            s = dla_errorf(cx->err, DLA_ERR_INVALID,
                           "%s: %s: input '%s' is not defined (not a graph input, initializer, or output of an "
                           "earlier node%s)", cx->path, where, nm, gc->is_sub ? ", nor a value of an enclosing graph" : "");
    }
    for (size_t i = 0; i < np->n_output && !s; i++) {
        const char *nm = scope_name(g, sc, np->output[i]);
        outs[i] = -1;
        if (!nm[0])
            continue;
        outs[i] = ir_value_add(g, nm, DT_UNDEFINED, NULL);
        if (outs[i] < 0)
            s = dla_errorf(cx->err, DLA_ERR_INVALID,
                           "%s: %s: output '%s' is already defined (by another node, an input or an "
                           "initializer, or used before this node produces it)", cx->path, where, nm);
    }
    int32_t n = -1;
    if (!s)
        n = ir_node_add(g, name, op, dom, ins, (int32_t)np->n_input, outs, (int32_t)np->n_output);
    free(ins);
    free(outs);
    for (size_t i = 0; i < np->n_attribute && !s; i++) {
        Onnx__AttributeProto *a;
        s = resolve_attr(gc, sc, np->attribute[i], where, &a);
        if (!s && a)
            s = conv_attr(gc, sc, n, where, S(np->attribute[i]->name), a);
    }
    return s;
}

/* ---- graphs ---- */

/* A value named nm holding td (an initializer, dense or sparse, described by
 * `what`); td is freed when the name is taken already. */
static DlaStatus add_initializer(OnnxCtx *cx, IrGraph *g, const char *nm, const char *what, OnnxTData *td)
{
    int32_t v = ir_value_add(g, nm, td->dtype, &td->shape);
    if (v < 0) {
        onnx_tdata_free(td);
        return dla_errorf(cx->err, DLA_ERR_INVALID, "%s: %s is defined more than once", cx->path, what);
    }
    onnx_tdata_to_value(g, v, td);
    return DLA_OK;
}

static DlaStatus conv_graph(OnnxCtx *cx, IrGraph *g, const Onnx__GraphProto *gp, int is_sub)
{
    GCx gc = {cx, g, is_sub, {NULL, 0, 0}};
    DlaStatus s = DLA_OK;
    g->name = dla_arena_strdup(&g->arena, S(gp->name));
    const char *gname = g->name[0] ? g->name : "(unnamed)";

    for (size_t i = 0; i < gp->n_node; i++)
        if (gp->node[i]->name && gp->node[i]->name[0])
            nameset_add(&gc.node_names, gp->node[i]->name);

    for (size_t i = 0; i < gp->n_initializer && !s; i++) {
        Onnx__TensorProto *t = gp->initializer[i];
        const char *nm = S(t->name);
        char what[400];
        snprintf(what, sizeof what, "initializer '%.300s'", nm);
        if (!nm[0]) {
            s = dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: graph '%s': initializer %zu has no name", cx->path, gname, i);
            break;
        }
        OnnxTData td;
        cx->pending = !is_sub && i < cx->nstrip ? &cx->strip_rec[i] : NULL;
        s = onnx_tensor_convert(cx, t, what, &td);
        cx->pending = NULL;
        if (s)
            break;
        s = add_initializer(cx, g, nm, what, &td);
    }
    for (size_t i = 0; i < gp->n_sparse_initializer && !s; i++) {
        Onnx__SparseTensorProto *sp = gp->sparse_initializer[i];
        const char *nm = sp->values ? S(sp->values->name) : "";
        char what[400];
        snprintf(what, sizeof what, "sparse initializer '%.300s'", nm);
        if (!nm[0]) {
            s = dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: graph '%s': sparse initializer %zu has no name",
                           cx->path, gname, i);
            break;
        }
        OnnxTData td;
        if ((s = onnx_sparse_convert(cx, sp, what, &td)))
            break;
        s = add_initializer(cx, g, nm, what, &td);
    }
    for (size_t i = 0; i < gp->n_input && !s; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        const char *nm = S(vi->name);
        if (!nm[0]) {
            s = dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: graph '%s': input %zu has no name", cx->path, gname, i);
            break;
        }
        int32_t v = ir_value_find(g, nm);
        if (v >= 0 && (g->values[v].flags & IR_VAL_CONST) && !(g->values[v].flags & IR_VAL_INPUT))
            continue; /* an initializer listed as input: a constant (see onnx.h) */
        if (v >= 0) {
            s = dla_errorf(cx->err, DLA_ERR_INVALID, "%s: graph '%s': input '%s' is listed twice", cx->path, gname, nm);
            break;
        }
        v = ir_value_add(g, nm, DT_UNDEFINED, NULL);
        if ((s = onnx_declare_type(cx, g, v, vi)))
            break;
        ir_graph_add_input(g, v);
    }
    for (size_t i = 0; i < gp->n_node && !s; i++)
        s = conv_node(&gc, NULL, gp->node[i]);
    for (size_t i = 0; i < gp->n_output && !s; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        const char *nm = S(vi->name);
        int32_t v = nm[0] ? ir_value_find(g, nm) : -1;
        if (v < 0 && nm[0] && is_sub)
            v = outer_value(&gc, nm);
        if (v < 0) {
            s = dla_errorf(cx->err, DLA_ERR_INVALID,
                           "%s: graph '%s': output '%s' is not produced by any node, input or initializer",
                           cx->path, gname, nm);
            break;
        }
        if ((s = onnx_declare_type(cx, g, v, vi)))
            break;
        ir_graph_add_output(g, v);
    }
    for (size_t i = 0; i < gp->n_value_info && !s; i++) {
        int32_t v = ir_value_find(g, S(gp->value_info[i]->name));
        if (v >= 0)
            s = onnx_declare_type(cx, g, v, gp->value_info[i]);
    }
    free(gc.node_names.slot);
    return s;
}

/* ---- entry points ---- */

/* release: data is the loader's own read-only file mapping (pages may be dropped). */
static DlaStatus load_bytes(const uint8_t *data, size_t len, const char *path_for_errors, const char *base_dir,
                            const OnnxLoadOptions *opt, int release, IrGraph **out, DlaError *err)
{
    *out = NULL;
    OnnxCtx cx;
    onnx_ctx_init(&cx, path_for_errors, base_dir, err);
    DlaStatus s = onnx_wire_check(data, len, &onnx__model_proto__descriptor, cx.path, err);
    if (s)
        return s;
    uint8_t *stripped;
    size_t slen;
    OnnxStripped *rec;
    size_t nrec;
    Onnx__ModelProto *m;
    if (onnx_strip_raw(data, len, &stripped, &slen, &rec, &nrec)) {
        m = onnx__model_proto__unpack(&onnx_pb_allocator, slen, stripped);
        free(stripped);
        cx.strip_base = data;
        cx.strip_rec = rec;
        cx.nstrip = nrec;
        cx.strip_release = release;
    } else {
        m = onnx__model_proto__unpack(&onnx_pb_allocator, len, data);
        rec = NULL;
    }
    if (!m) {
        free(rec);
        return dla_errorf(err, DLA_ERR_FORMAT, "%s: not a valid ONNX model (protobuf parsing failed: "
                          "truncated or corrupt file?)", cx.path);
    }
    if (!m->graph) {
        onnx__model_proto__free_unpacked(m, &onnx_pb_allocator);
        free(rec);
        return dla_errorf(err, DLA_ERR_FORMAT, "%s: not a valid ONNX model (no graph)", cx.path);
    }
    IrGraph *g = ir_graph_new();
    g->source_path = dla_arena_strdup(&g->arena, cx.path);
    cx.root = g;
    cx.model = m;
    for (size_t i = 0; i < m->n_opset_import && !s; i++) {
        const Onnx__OperatorSetIdProto *op = m->opset_import[i];
        const char *dom = S(op->domain);
        int onnx_domain = !dom[0] || !strcmp(dom, "ai.onnx");
        if (!op->has_version || op->version < 1)
            s = dla_errorf(err, DLA_ERR_FORMAT, "%s: opset_import for domain '%s' has no valid version",
                           cx.path, dom);
        else if (onnx_domain && op->version > ONNX_MAX_OPSET)
            s = dla_errorf(err, DLA_ERR_UNSUPPORTED,
                           "%s: opset %lld of the ONNX domain is newer than dlacc knows (1 to %d)", cx.path,
                           (long long)op->version, ONNX_MAX_OPSET);
        else if (op->version > INT32_MAX)
            s = dla_errorf(err, DLA_ERR_FORMAT, "%s: opset_import for domain '%s' has version %lld", cx.path, dom,
                           (long long)op->version);
        else
            ir_graph_set_opset(g, S(op->domain), op->version);
    }
    if (!s)
        s = conv_graph(&cx, g, m->graph, 0);
    if (!s && opt && opt->nshapes)
        s = onnx_bind_input_shapes(&cx, g, opt);
    onnx__model_proto__free_unpacked(m, &onnx_pb_allocator);
    onnx_ctx_fini(&cx);
    free(rec);
    if (s) {
        ir_graph_free(g);
        return s;
    }
    *out = g;
    return DLA_OK;
}

DlaStatus onnx_load_buffer(const void *data, size_t len, const char *path_for_errors, const char *base_dir,
                           const OnnxLoadOptions *opt, IrGraph **out, DlaError *err)
{
    return load_bytes(data, len, path_for_errors, base_dir, opt, 0, out, err);
}

DlaStatus onnx_load(const char *path, const OnnxLoadOptions *opt, IrGraph **out, DlaError *err)
{
    *out = NULL;
    DlaMapped m;
    DlaStatus s = dla_file_map(path, &m, err);
    if (s)
        return s;
    char *dir = dla_path_dirname(path);
    s = load_bytes(m.data, m.size, path, dir, opt, m.is_mmap, out, err);
    free(dir);
    dla_file_unmap(&m);
    return s;
}
