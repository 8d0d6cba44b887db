/* verify.c - the IR verifier (see verify.h; the invariants are listed in
 * docs/ir.md "Invariants"). Read-only; stops at the first violation. Cost is
 * linear in the size of the graph (plus constant sizes, never their data). */
#include "verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_MAX_DEPTH 64

/* Flags that make a value defined without a producing node. */
#define SOURCE_FLAGS (IR_VAL_INPUT | IR_VAL_CONST | IR_VAL_OUTER | IR_VAL_ELIDED)
#define KNOWN_FLAGS                                                                            \
    (IR_VAL_INPUT | IR_VAL_OUTPUT | IR_VAL_CONST | IR_VAL_OUTER | IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | \
     IR_VAL_MAP | IR_VAL_ELIDED)

static DlaStatus fail(DlaError *err, const IrGraph *g, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static DlaStatus fail(DlaError *err, const IrGraph *g, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dla_errorf(err, DLA_ERR_INVALID, "graph \"%.200s\": %s", g->name ? g->name : "(null)", msg);
}

static const char *vname(const IrGraph *g, int32_t v)
{
    return g->values[v].name ? g->values[v].name : "(null)";
}

/* Describes node n for messages: node 12 "Conv_0" (Conv). */
static const char *ndesc(const IrGraph *g, int32_t n, char *buf, size_t len)
{
    const IrNode *nd = &g->nodes[n];
    snprintf(buf, len, "node %d \"%.200s\" (%.100s)", (int)n, nd->name ? nd->name : "(null)",
             nd->op_type ? nd->op_type : "(null)");
    return buf;
}

/* Expected byte size of data with this dtype and shape: -1 if the shape is not
 * fully known, -2 if it overflows. Strings are arrays of pointers. */
static int64_t expected_bytes(IrDtype t, const IrShape *s)
{
    int64_t n = ir_shape_numel(s);
    if (n < 0)
        return n;
    size_t es = t == DT_STRING ? sizeof(char *) : ir_dtype_size(t);
    if (es && n > INT64_MAX / (int64_t)es)
        return -2;
    return n * (int64_t)es;
}

static DlaStatus check_shape(const IrShape *s, const char **why)
{
    if (s->rank < -1 || s->rank > IR_MAX_RANK) {
        *why = "rank out of range";
        return DLA_ERR_INVALID;
    }
    for (int i = 0; i < s->rank; i++)
        if (s->sym[i] && !s->sym[i][0]) {
            *why = "empty symbolic dimension name";
            return DLA_ERR_INVALID;
        }
    return DLA_OK;
}

/* Data of a constant value or a tensor attribute. what: for messages. */
static DlaStatus check_data(DlaError *err, const IrGraph *g, const char *what, IrDtype t, const IrShape *s,
                            const void *data, size_t nbytes, int elided)
{
    if (t == DT_UNDEFINED)
        return fail(err, g, "%s: data with undefined element type", what);
    if (elided) {
        if (!data)
            return fail(err, g, "%s: elided data without its checksum", what);
    } else if (nbytes && !data) {
        return fail(err, g, "%s: %zu bytes of data but no data pointer", what, nbytes);
    }
    int64_t want = expected_bytes(t, s);
    if (want == -2)
        return fail(err, g, "%s: shape size overflows", what);
    if (want >= 0 && (uint64_t)want != nbytes)
        return fail(err, g, "%s: data has %zu bytes, its %s%s shape needs %lld", what, nbytes,
                    ir_dtype_name(t), s->rank < 0 ? "[*]" : "", (long long)want);
    size_t es = t == DT_STRING ? sizeof(char *) : ir_dtype_size(t);
    if (es && nbytes % es)
        return fail(err, g, "%s: data size %zu is not a multiple of the %s size %zu", what, nbytes,
                    ir_dtype_name(t), es);
    if (t == DT_STRING && !elided)
        for (size_t i = 0; i < nbytes / sizeof(char *); i++)
            if (!((const char *const *)data)[i])
                return fail(err, g, "%s: string element %zu is NULL", what, i);
    return DLA_OK;
}

static DlaStatus verify_graph(const IrGraph *g, const IrGraph *parent, int depth, DlaError *err);

static DlaStatus check_tensor(DlaError *err, const IrGraph *g, const char *what, const IrTensor *t)
{
    const char *why;
    if (!t)
        return fail(err, g, "%s: tensor missing", what);
    if (!ir_dtype_valid((int)t->dtype))
        return fail(err, g, "%s: invalid element type %d", what, (int)t->dtype);
    if (check_shape(&t->shape, &why) != DLA_OK)
        return fail(err, g, "%s: %s", what, why);
    if (!ir_shape_known(&t->shape))
        return fail(err, g, "%s: a tensor attribute needs a fully known shape", what);
    return check_data(err, g, what, t->dtype, &t->shape, t->data, t->nbytes, 0);
}

static DlaStatus check_subgraph(DlaError *err, const IrGraph *g, const char *what, const IrGraph *sg,
                                int depth)
{
    if (!sg)
        return fail(err, g, "%s: subgraph missing", what);
    if (sg->parent != g)
        return fail(err, g, "%s: subgraph's parent pointer is not the enclosing graph", what);
    if (depth + 1 > VERIFY_MAX_DEPTH)
        return fail(err, g, "%s: subgraphs nested deeper than %d", what, VERIFY_MAX_DEPTH);
    DlaStatus st = verify_graph(sg, g, depth + 1, err);
    if (st != DLA_OK)
        dla_error_prefix(err, "graph \"%.200s\": %s: ", g->name ? g->name : "", what);
    return st;
}

static DlaStatus check_attr(DlaError *err, const IrGraph *g, int32_t n, int32_t k, int depth)
{
    const IrNode *nd = &g->nodes[n];
    const IrAttr *a = &nd->attrs[k];
    char nb[400], what[600];
    ndesc(g, n, nb, sizeof nb);
    if (!a->name || !a->name[0])
        return fail(err, g, "%s: attribute %d has no name", nb, (int)k);
    snprintf(what, sizeof what, "%s attribute '%.100s'", nb, a->name);
    for (int32_t j = 0; j < k; j++)
        if (nd->attrs[j].name && !strcmp(nd->attrs[j].name, a->name))
            return fail(err, g, "%s: given twice", what);
    int list = a->type >= IR_ATTR_FLOATS && a->type <= IR_ATTR_GRAPHS;
    if (list && (a->n < 0 || (a->n > 0 && !((a->type == IR_ATTR_FLOATS && a->floats) ||
                                            (a->type == IR_ATTR_INTS && a->ints) ||
                                            (a->type == IR_ATTR_STRINGS && a->strings) ||
                                            (a->type == IR_ATTR_TENSORS && a->tensors) ||
                                            (a->type == IR_ATTR_GRAPHS && a->graphs)))))
        return fail(err, g, "%s: list of %d elements without element array", what, (int)a->n);
    DlaStatus st = DLA_OK;
    switch (a->type) {
    case IR_ATTR_INT:
    case IR_ATTR_FLOAT:
    case IR_ATTR_INTS:
    case IR_ATTR_FLOATS:
        break;
    case IR_ATTR_STRING:
        if (!a->s)
            return fail(err, g, "%s: string missing", what);
        break;
    case IR_ATTR_STRINGS:
        for (int32_t i = 0; i < a->n; i++)
            if (!a->strings[i])
                return fail(err, g, "%s: string %d missing", what, (int)i);
        break;
    case IR_ATTR_TENSOR:
        st = check_tensor(err, g, what, a->t);
        break;
    case IR_ATTR_TENSORS:
        for (int32_t i = 0; i < a->n && st == DLA_OK; i++)
            st = check_tensor(err, g, what, &a->tensors[i]);
        break;
    case IR_ATTR_GRAPH:
        st = check_subgraph(err, g, what, a->g, depth);
        break;
    case IR_ATTR_GRAPHS:
        for (int32_t i = 0; i < a->n && st == DLA_OK; i++)
            st = check_subgraph(err, g, what, a->graphs[i], depth);
        break;
    default:
        return fail(err, g, "%s: invalid attribute type %d", what, (int)a->type);
    }
    return st;
}

static DlaStatus check_value(DlaError *err, const IrGraph *g, const IrGraph *parent, int32_t v)
{
    const IrValue *val = &g->values[v];
    const char *why;
    if (!val->name || !val->name[0])
        return fail(err, g, "value %d has no name", (int)v);
    if (ir_value_find(g, val->name) != v)
        return fail(err, g, "value %%%s (index %d): name is not unique or missing from the name index",
                    val->name, (int)v);
    char what[300];
    snprintf(what, sizeof what, "value %%%.250s", val->name);
    if (!ir_dtype_valid((int)val->dtype))
        return fail(err, g, "%s: invalid element type %d", what, (int)val->dtype);
    if (check_shape(&val->shape, &why) != DLA_OK)
        return fail(err, g, "%s: %s", what, why);
    if (val->flags & ~(uint32_t)KNOWN_FLAGS)
        return fail(err, g, "%s: unknown flag bits 0x%x", what, (unsigned)(val->flags & ~(uint32_t)KNOWN_FLAGS));
    if ((val->flags & IR_VAL_CONST) && (val->flags & IR_VAL_ELIDED))
        return fail(err, g, "%s: both constant and elided", what);
    if (val->flags & (IR_VAL_CONST | IR_VAL_ELIDED)) {
        DlaStatus st = check_data(err, g, what, val->dtype, &val->shape, val->data, val->nbytes,
                                  (val->flags & IR_VAL_ELIDED) != 0);
        if (st != DLA_OK)
            return st;
    }
    if (val->producer < -1 || val->producer >= g->nnodes)
        return fail(err, g, "%s: producer index %d out of range (%d nodes)", what, (int)val->producer,
                    (int)g->nnodes);
    if (val->producer >= 0) {
        /* CONST/ELIDED with a producer is fine: data folded by shape inference. */
        if (val->flags & (IR_VAL_INPUT | IR_VAL_OUTER))
            return fail(err, g, "%s: produced by node %d but also an input or outer value", what,
                        (int)val->producer);
        const IrNode *nd = &g->nodes[val->producer];
        int found = 0;
        for (int32_t i = 0; i < nd->noutputs && nd->outputs; i++)
            found |= nd->outputs[i] == v;
        if (!found) {
            char nb[400];
            return fail(err, g, "%s: its producer %s does not list it as an output", what,
                        ndesc(g, val->producer, nb, sizeof nb));
        }
    }
    if (val->flags & IR_VAL_OUTER) {
        if (!parent)
            return fail(err, g, "%s: refers to an outer scope, but this is the main graph", what);
        int found = 0;
        for (const IrGraph *p = parent; p && !found; p = p->parent)
            found = ir_value_find(p, val->name) >= 0;
        if (!found)
            return fail(err, g, "%s: no enclosing graph has a value of this name", what);
    }
    const IrQuant *q = &val->quant;
    if (q->count < 0)
        return fail(err, g, "%s: negative quantization parameter count", what);
    if (q->count > 0) {
        if (!q->scale || !q->zero_point)
            return fail(err, g, "%s: quantization parameters missing", what);
        if (q->axis < -1 || (q->axis >= 0 && val->shape.rank >= 0 && q->axis >= val->shape.rank))
            return fail(err, g, "%s: quantization axis %d out of range for rank %d", what, (int)q->axis,
                        (int)val->shape.rank);
        if (q->axis < 0 && q->count != 1)
            return fail(err, g, "%s: per-tensor quantization with %d scales", what, (int)q->count);
        if (q->axis >= 0 && val->shape.rank > q->axis && val->shape.dims[q->axis] >= 0 &&
            val->shape.dims[q->axis] != q->count)
            return fail(err, g, "%s: %d quantization scales for axis %d of size %lld", what, (int)q->count,
                        (int)q->axis, (long long)val->shape.dims[q->axis]);
        for (int32_t i = 0; i < q->count; i++)
            if (!isfinite(q->scale[i]) || !(q->scale[i] > 0))
                return fail(err, g, "%s: quantization scale %d is %g, must be finite and > 0", what, (int)i,
                            (double)q->scale[i]);
    }
    switch (val->layout) {
    case IR_LAYOUT_ROWMAJOR:
    case IR_LAYOUT_NHWC:
        if (val->layout_block != 0)
            return fail(err, g, "%s: layout block %d on a layout without blocks", what, (int)val->layout_block);
        break;
    case IR_LAYOUT_NCHWc:
        if (val->layout_block <= 0)
            return fail(err, g, "%s: channel-blocked layout needs a block size > 0", what);
        break;
    default:
        return fail(err, g, "%s: invalid layout %d", what, (int)val->layout);
    }
    return DLA_OK;
}

static DlaStatus check_node(DlaError *err, const IrGraph *g, int32_t n, int32_t *seen, int depth)
{
    const IrNode *nd = &g->nodes[n];
    char nb[400];
    if (!nd->op_type || !nd->op_type[0] || !nd->name || !nd->domain)
        return fail(err, g, "node %d: missing op type, name or domain", (int)n);
    ndesc(g, n, nb, sizeof nb);
    if ((unsigned)nd->op >= OP__COUNT || nd->op != ir_op_lookup(nd->op_type, nd->domain))
        return fail(err, g, "%s: op code %d disagrees with the op table for domain \"%s\"", nb, (int)nd->op,
                    nd->domain);
    if (nd->device != 0 && nd->device != 1)
        return fail(err, g, "%s: device %d is neither 0 (host) nor 1 (accelerator)", nb, (int)nd->device);
    if (nd->ninputs < 0 || nd->noutputs < 0 || nd->nattrs < 0 || (nd->ninputs && !nd->inputs) ||
        (nd->noutputs && !nd->outputs) || (nd->nattrs && !nd->attrs))
        return fail(err, g, "%s: bad input/output/attribute arrays", nb);
    for (int32_t i = 0; i < nd->ninputs; i++) {
        int32_t v = nd->inputs[i];
        if (v == -1)
            continue;
        if (v < 0 || v >= g->nvalues)
            return fail(err, g, "%s: input %d: value index %d out of range (%d values)", nb, (int)i, (int)v,
                        (int)g->nvalues);
        const IrValue *val = &g->values[v];
        if (val->producer >= n)
            return fail(err, g, "%s: input %d %%%s is produced by node %d: nodes are not in topological order",
                        nb, (int)i, vname(g, v), (int)val->producer);
        if (val->producer < 0 && !(val->flags & SOURCE_FLAGS))
            return fail(err, g, "%s: input %d %%%s is never defined (no producer, not an input or constant)",
                        nb, (int)i, vname(g, v));
        if (val->producer >= 0 && g->nodes[val->producer].dead && !nd->dead)
            return fail(err, g, "%s: input %d %%%s comes from dead node %d", nb, (int)i, vname(g, v),
                        (int)val->producer);
    }
    for (int32_t i = 0; i < nd->noutputs; i++) {
        int32_t v = nd->outputs[i];
        if (v == -1)
            continue;
        if (v < 0 || v >= g->nvalues)
            return fail(err, g, "%s: output %d: value index %d out of range (%d values)", nb, (int)i, (int)v,
                        (int)g->nvalues);
        if (seen[v] == n + 1)
            return fail(err, g, "%s: output %%%s listed twice", nb, vname(g, v));
        seen[v] = n + 1;
        if (g->values[v].producer != n)
            return fail(err, g, "%s: output %d %%%s has producer %d, not this node", nb, (int)i, vname(g, v),
                        (int)g->values[v].producer);
    }
    for (int32_t k = 0; k < nd->nattrs; k++) {
        DlaStatus st = check_attr(err, g, n, k, depth);
        if (st != DLA_OK)
            return st;
    }
    return DLA_OK;
}

static DlaStatus check_io(DlaError *err, const IrGraph *g, unsigned char *mark)
{
    memset(mark, 0, (size_t)g->nvalues + 1);
    if ((g->ninputs < 0 || g->noutputs < 0) || (g->ninputs && !g->inputs) || (g->noutputs && !g->outputs))
        return fail(err, g, "bad graph input/output arrays");
    for (int32_t i = 0; i < g->ninputs; i++) {
        int32_t v = g->inputs[i];
        if (v < 0 || v >= g->nvalues)
            return fail(err, g, "graph input %d: value index %d out of range", (int)i, (int)v);
        if (!(g->values[v].flags & IR_VAL_INPUT))
            return fail(err, g, "graph input %%%s lacks the input flag", vname(g, v));
        if (mark[v] & 1)
            return fail(err, g, "graph input %%%s listed twice", vname(g, v));
        mark[v] |= 1;
    }
    for (int32_t i = 0; i < g->noutputs; i++) {
        int32_t v = g->outputs[i];
        if (v < 0 || v >= g->nvalues)
            return fail(err, g, "graph output %d: value index %d out of range", (int)i, (int)v);
        const IrValue *val = &g->values[v];
        if (!(val->flags & IR_VAL_OUTPUT))
            return fail(err, g, "graph output %%%s lacks the output flag", vname(g, v));
        if (val->producer < 0 && !(val->flags & SOURCE_FLAGS))
            return fail(err, g, "graph output %%%s is never defined", vname(g, v));
        mark[v] |= 2;
    }
    for (int32_t v = 0; v < g->nvalues; v++) {
        if ((g->values[v].flags & IR_VAL_INPUT) && !(mark[v] & 1))
            return fail(err, g, "value %%%s has the input flag but is not a graph input", vname(g, v));
        if ((g->values[v].flags & IR_VAL_OUTPUT) && !(mark[v] & 2))
            return fail(err, g, "value %%%s has the output flag but is not a graph output", vname(g, v));
    }
    return DLA_OK;
}

static DlaStatus verify_graph(const IrGraph *g, const IrGraph *parent, int depth, DlaError *err)
{
    if (!g->name)
        return dla_errorf(err, DLA_ERR_INVALID, "graph without a name (use \"\")");
    if (g->nvalues < 0 || g->nnodes < 0 || (g->nvalues && !g->values) || (g->nnodes && !g->nodes))
        return fail(err, g, "bad value/node arrays");
    if (g->parent != parent)
        return fail(err, g, "parent pointer is wrong");
    for (int32_t i = 0; i < g->nopsets; i++) {
        if (!g->opsets[i].domain || g->opsets[i].version < 1)
            return fail(err, g, "opset %d: missing domain or version < 1", (int)i);
        for (int32_t j = 0; j < i; j++)
            if (!strcmp(g->opsets[i].domain, g->opsets[j].domain))
                return fail(err, g, "opset for domain \"%s\" given twice", g->opsets[i].domain);
    }
    DlaStatus st = DLA_OK;
    for (int32_t v = 0; v < g->nvalues && st == DLA_OK; v++)
        st = check_value(err, g, parent, v);
    if (st != DLA_OK)
        return st;
    size_t nv = (size_t)g->nvalues + 1;
    int32_t *seen = dla_calloc(nv, sizeof *seen);
    for (int32_t n = 0; n < g->nnodes && st == DLA_OK; n++)
        st = check_node(err, g, n, seen, depth);
    if (st == DLA_OK)
        st = check_io(err, g, (unsigned char *)seen);
    free(seen);
    return st;
}

DlaStatus ir_verify(const IrGraph *g, DlaError *err)
{
    if (!g)
        return dla_errorf(err, DLA_ERR_INVALID, "no graph");
    return verify_graph(g, g->parent, 0, err);
}
