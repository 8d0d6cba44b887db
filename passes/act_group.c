/* act_group.c - pass_act_group: element-wise groups y = f(x) of one activation,
 * which quantization turns into one QLut (act_group.h).
 *
 * Requires: a canonicalized float graph with shapes inferred (runs before
 *   partition); PassContext.quantize set (otherwise nothing happens).
 * Establishes: IrNode.act_group = K > 0 on the members of element-wise group K,
 *   0 elsewhere. A group is a set of live nodes such that
 *   - every member is element-wise over float tensors of one shape: a
 *     one-input function (act_unary_op: Relu, Sigmoid, Tanh, Erf, Gelu, Mish,
 *     Softplus, Selu, Celu, HardSwish...), Clip with constant scalar bounds, or
 *     Add/Sub/Mul/Div/Max/Min/Pow/PRelu whose operands are group values or
 *     constant scalars;
 *   - the only non-constant value a member reads from outside the group is
 *     one activation x (read any number of times: x * Sigmoid(x));
 *   - exactly one member's output y leaves the group (read by other nodes,
 *     a graph output); every other member output is read only by members.
 *   Then y = f(x) element-wise: x * Sigmoid(x) (SiLU), x * Relu6(x + 3) / 6
 *   and x * HardSigmoid(x) (hard-swish), 0.5 * x * (1 + Erf(x / sqrt 2)) and
 *   the tanh form (Gelu), x * Tanh(Softplus(x)) (Mish), Clip(x + a, b, c)...
 *   Groups are maximal: a value that escapes (read outside its chain, or a
 *   graph output) ends one group and is the x of the next. A lone Relu or
 *   Clip is not marked (the quantizer fuses it into its producer or makes it
 *   a QLut on its own), nor a lone one-input function (quant_is_lut_op takes
 *   it); a lone Add/Mul/... with a constant scalar is marked.
 *   The graph is otherwise unchanged: the float nodes stay, so a group that
 *   stays on the host computes exactly what it did.
 *
 * Algorithm: every candidate node gets an origin (the x its chain starts
 * from; a node reading two different origins is no candidate) and a root set
 * (the escaping values its output reaches through candidates of its origin).
 * A node whose output reaches two roots cannot belong to either group alone:
 * its output is cut (it becomes the root of a group of its own and the x of
 * the groups after it) and the labelling repeats until no node reaches two
 * roots. Each root with the nodes that reach only it is a group. */
#include "passes/act_group.h"
#include "passes/passes.h"
#include "passes/pass_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/consteval.h"

int act_unary_op(const IrNode *nd)
{
    switch (nd->op) {
    case OP_RELU: case OP_ABS: case OP_NEG: case OP_CEIL: case OP_FLOOR:
        return nd->ninputs == 1 && nd->noutputs == 1;
    default:
        return nd->ninputs == 1 && nd->noutputs == 1 && ir_const_math_unary(nd->op);
    }
}

static int is_binary_op(IrOp op)
{
    switch (op) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MAX: case OP_MIN: case OP_POW: case OP_PRELU:
        return 1;
    default:
        return 0;
    }
}

static int const_scalar(const IrGraph *g, int32_t v)
{
    return pu_is_const(g, v) && ir_shape_numel(&g->values[v].shape) == 1 && g->values[v].shape.rank >= 0;
}

/* Same shape, dim by dim (unknown dims: the same symbol). */
static int same_shape(const IrShape *a, const IrShape *b)
{
    if (a->rank != b->rank || a->rank < 0)
        return 0;
    for (int i = 0; i < a->rank; i++) {
        if (a->dims[i] >= 0 || b->dims[i] >= 0) {
            if (a->dims[i] != b->dims[i])
                return 0;
        } else if (!a->sym[i] || !b->sym[i] || strcmp(a->sym[i], b->sym[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Can node n be a member: element-wise, float, every non-constant operand of
 * the output's shape, every constant operand a scalar that does not raise
 * the rank? */
static int candidate(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->dead || nd->noutputs != 1 || nd->outputs[0] < 0 || nd->domain[0])
        return 0;
    if (!act_unary_op(nd) && nd->op != OP_CLIP && !(is_binary_op(nd->op) && nd->ninputs == 2))
        return 0;
    const IrValue *y = &g->values[nd->outputs[0]];
    if (y->dtype != DT_FLOAT || (y->flags & (IR_VAL_CONST | IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)))
        return 0;
    int acts = 0;
    for (int32_t i = 0; i < nd->ninputs; i++) {
        int32_t v = nd->inputs[i];
        if (v < 0) {
            if (i == 0 || nd->op != OP_CLIP)
                return 0;
            continue;
        }
        if (pu_is_const(g, v)) {
            /* Clip bounds and binary operands: scalars (Pow's exponent may be an integer) */
            if ((i == 0 && !is_binary_op(nd->op)) || !const_scalar(g, v) || g->values[v].shape.rank > y->shape.rank ||
                (g->values[v].dtype != DT_FLOAT && nd->op != OP_POW))
                return 0;
            continue;
        }
        if (nd->op == OP_CLIP && i > 0)
            return 0; /* a bound computed at run time */
        if (g->values[v].dtype != DT_FLOAT || !same_shape(&g->values[v].shape, &y->shape))
            return 0;
        acts++;
    }
    return acts > 0;
}

typedef struct Ag {
    const IrGraph *g;
    int32_t *cstart, *cons; /* consumers of value v: cons[cstart[v] .. cstart[v+1]) (node indices, repeats allowed) */
    uint8_t *cand;          /* per node: candidate() */
    uint8_t *cut;           /* per value: a cut (root of its group, x of the next) */
    uint8_t *escape;        /* per value: read outside its group */
    int32_t *origin;        /* per node: the x its chain starts from, -1 */
    int32_t *rootid;        /* per node: the one root it reaches, -1 none, -2 several */
} Ag;

static void consumers(Ag *a)
{
    const IrGraph *g = a->g;
    a->cstart = dla_calloc((size_t)g->nvalues + 1, sizeof *a->cstart);
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t i = 0; !g->nodes[n].dead && i < g->nodes[n].ninputs; i++)
            if (g->nodes[n].inputs[i] >= 0)
                a->cstart[g->nodes[n].inputs[i] + 1]++;
    for (int32_t v = 0; v < g->nvalues; v++)
        a->cstart[v + 1] += a->cstart[v];
    a->cons = dla_malloc((size_t)(a->cstart[g->nvalues] ? a->cstart[g->nvalues] : 1) * sizeof *a->cons);
    int32_t *fill = dla_malloc((size_t)(g->nvalues ? g->nvalues : 1) * sizeof *fill);
    memcpy(fill, a->cstart, (size_t)g->nvalues * sizeof *fill);
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t i = 0; !g->nodes[n].dead && i < g->nodes[n].ninputs; i++)
            if (g->nodes[n].inputs[i] >= 0)
                a->cons[fill[g->nodes[n].inputs[i]]++] = n;
    free(fill);
}

/* The group value a member reads: the chain's origin, or v itself when v
 * starts a chain (not a member's output, or cut). */
static int32_t source_of(const Ag *a, int32_t v)
{
    int32_t p = a->g->values[v].producer;
    return (p >= 0 && !a->cut[v] && a->origin[p] >= 0) ? a->origin[p] : v;
}

static int32_t merge(int32_t r, int32_t s) { return r == -1 ? s : s == -1 || s == r ? r : -2; }

/* One labelling round; returns the number of new cuts. */
static int label(Ag *a)
{
    const IrGraph *g = a->g;
    for (int32_t n = 0; n < g->nnodes; n++) {
        a->origin[n] = -1;
        if (!a->cand[n])
            continue;
        int32_t o = -2;
        for (int32_t i = 0; i < g->nodes[n].ninputs; i++) {
            int32_t v = g->nodes[n].inputs[i];
            if (v < 0 || pu_is_const(g, v))
                continue;
            int32_t s = source_of(a, v);
            o = o == -2 ? s : o == s ? o : -1;
        }
        a->origin[n] = o >= 0 ? o : -1;
    }
    /* escaping outputs: graph outputs, cuts, and values read by a node of
     * another chain (or by a non-member) */
    for (int32_t n = 0; n < g->nnodes; n++) {
        if (a->origin[n] < 0)
            continue;
        int32_t y = g->nodes[n].outputs[0];
        int esc = a->cut[y] || (g->values[y].flags & IR_VAL_OUTPUT) || pu_used_by_subgraph(g, y);
        for (int32_t k = a->cstart[y]; k < a->cstart[y + 1] && !esc; k++)
            esc = a->origin[a->cons[k]] != a->origin[n];
        a->escape[y] = (uint8_t)esc;
    }
    for (int32_t n = g->nnodes - 1; n >= 0; n--) {
        a->rootid[n] = -1;
        if (a->origin[n] < 0)
            continue;
        int32_t y = g->nodes[n].outputs[0], r = a->escape[y] ? y : -1;
        for (int32_t k = a->cstart[y]; k < a->cstart[y + 1] && !a->cut[y]; k++)
            if (a->origin[a->cons[k]] == a->origin[n])
                r = merge(r, a->rootid[a->cons[k]]);
        a->rootid[n] = r;
    }
    /* a node reaching several roots is cut where its readers' root sets
     * differ from its own: at itself if it is a root, or if some reader
     * reaches only one root */
    int cuts = 0;
    for (int32_t n = 0; n < g->nnodes; n++) {
        if (a->rootid[n] != -2)
            continue;
        int32_t y = g->nodes[n].outputs[0];
        int c = a->escape[y];
        for (int32_t k = a->cstart[y]; k < a->cstart[y + 1] && !c; k++)
            c = a->origin[a->cons[k]] == a->origin[n] && a->rootid[a->cons[k]] != -2;
        if (c && !a->cut[y]) {
            a->cut[y] = 1;
            cuts++;
        }
    }
    return cuts;
}

DlaStatus pass_act_group(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    (void)err;
    for (int32_t n = 0; n < g->nnodes; n++)
        g->nodes[n].act_group = 0;
    if (!ctx->quantize)
        return DLA_OK;
    Ag a;
    memset(&a, 0, sizeof a);
    a.g = g;
    size_t nn = (size_t)(g->nnodes ? g->nnodes : 1), nv = (size_t)(g->nvalues ? g->nvalues : 1);
    a.cand = dla_calloc(nn, 1);
    a.cut = dla_calloc(nv, 1);
    a.escape = dla_calloc(nv, 1);
    a.origin = dla_malloc(nn * sizeof *a.origin);
    a.rootid = dla_malloc(nn * sizeof *a.rootid);
    int any = 0;
    for (int32_t n = 0; n < g->nnodes; n++)
        any |= a.cand[n] = (uint8_t)candidate(g, n);
    if (any) {
        consumers(&a);
        /* every round cuts at least one value (the last node in order that
         * reaches several roots has readers of one root, or is a root) */
        while (label(&a) > 0)
            ;
    }
    /* groups: per root value, the nodes reaching only it */
    int32_t next = 1, *members = dla_malloc(nn * sizeof *members);
    for (int32_t r = 0; any && r < g->nnodes; r++) {
        if (a.origin[r] < 0 || a.rootid[r] != g->nodes[r].outputs[0])
            continue;
        int32_t k = 0;
        for (int32_t n = 0; n <= r; n++)
            if (a.origin[n] >= 0 && a.rootid[n] == a.rootid[r])
                members[k++] = n;
        const IrNode *rn = &g->nodes[r];
        if (k == 1 && (rn->op == OP_RELU || rn->op == OP_CLIP || act_unary_op(rn)))
            continue; /* the single-op paths take it (fusion into the producer, quant_is_lut_op) */
        /* a group whose table cannot be computed stays ungrouped */
        float probe_in[3] = {-1.0f, 0.0f, 1.0f}, probe_out[3];
        DlaError perr = {0};
        if (act_group_eval(g, members, k, a.origin[r], probe_in, probe_out, 3, &perr) != DLA_OK) {
            dla_error_clear(&perr);
            continue;
        }
        for (int32_t i = 0; i < k; i++)
            g->nodes[members[i]].act_group = next;
        next++;
    }
    free(members);
    free(a.cand);
    free(a.cut);
    free(a.escape);
    free(a.origin);
    free(a.rootid);
    free(a.cstart);
    free(a.cons);
    return DLA_OK;
}

/* ---- queries ---- */

void act_group_free(ActGroup *ag)
{
    free(ag->nodes);
    memset(ag, 0, sizeof *ag);
}

/* Members count even when dead: quantization kills the inner nodes (they
 * emit nothing) before it reaches the root, which still needs the group. */
static int member_of(const IrGraph *g, int32_t m, int32_t id) { return m >= 0 && g->nodes[m].act_group == id; }

int act_group_get(const IrGraph *g, int32_t n, ActGroup *ag)
{
    memset(ag, 0, sizeof *ag);
    int32_t id = g->nodes[n].act_group;
    if (id <= 0 || g->nodes[n].dead)
        return 0;
    ag->input = ag->root = -1;
    ag->nodes = dla_malloc((size_t)g->nnodes * sizeof *ag->nodes);
    int ok = 1;
    for (int32_t m = 0; m < g->nnodes; m++) {
        if (!member_of(g, m, id))
            continue;
        ag->nodes[ag->nnodes++] = m;
        const IrNode *nd = &g->nodes[m];
        for (int32_t i = 0; i < nd->ninputs; i++) {
            int32_t v = nd->inputs[i];
            if (v < 0 || pu_is_const(g, v) || member_of(g, g->values[v].producer, id))
                continue;
            ok &= ag->input < 0 || ag->input == v;
            ag->input = v;
        }
    }
    /* the root: the member whose output nobody in the group reads; every
     * other output is read only by members and is no graph output */
    for (int32_t i = 0; ok && i < ag->nnodes; i++) {
        int32_t y = g->nodes[ag->nodes[i]].outputs[0], inside = 0, outside = 0;
        for (int32_t m = 0; m < g->nnodes; m++) {
            int mem = member_of(g, m, id);
            for (int32_t k = 0; (mem || !g->nodes[m].dead) && k < g->nodes[m].ninputs; k++)
                if (g->nodes[m].inputs[k] == y)
                    *(mem ? &inside : &outside) += 1;
        }
        if (!inside) {
            ok &= ag->root < 0;
            ag->root = ag->nodes[i];
        } else {
            ok &= !outside && !(g->values[y].flags & IR_VAL_OUTPUT) && !pu_used_by_subgraph(g, y);
        }
    }
    if (!ok || ag->input < 0 || ag->root < 0) {
        act_group_free(ag);
        return 0;
    }
    return 1;
}

int act_group_role(const IrGraph *g, int32_t n)
{
    ActGroup ag;
    if (!act_group_get(g, n, &ag))
        return ACT_NONE;
    int r = ag.root == n ? ACT_ROOT : ACT_INNER;
    act_group_free(&ag);
    return r;
}

int act_lut_evaluable(const IrGraph *g, int32_t n)
{
    float in[3] = {-1.0f, 0.0f, 1.0f}, out[3];
    DlaError err = {0};
    int ok = act_group_eval(g, &n, 1, ir_in(g, n, 0), in, out, 3, &err) == DLA_OK;
    dla_error_clear(&err);
    return ok;
}

/* ---- evaluation ---- */

/* A copy of member m in scratch graph s (inputs mapped through map[]). */
static int32_t copy_node(const IrGraph *g, IrGraph *s, int32_t m, const int32_t *ins, int32_t *out)
{
    const IrNode *nd = &g->nodes[m];
    IrShape unknown = ir_shape_make(-1, NULL);
    char name[32];
    snprintf(name, sizeof name, "v%d", (int)s->nvalues);
    *out = ir_value_add(s, name, DT_FLOAT, &unknown);
    int32_t k = ir_node_add(s, nd->name, nd->op_type, nd->domain, ins, nd->ninputs, out, 1);
    for (int32_t i = 0; i < nd->nattrs; i++) {
        const IrAttr *src = &nd->attrs[i];
        /* element-wise ops carry scalars, strings and lists only; tensors and
         * graphs are never shared with the scratch graph (it frees graphs) */
        if (src->type == IR_ATTR_TENSOR || src->type == IR_ATTR_GRAPH || src->type == IR_ATTR_TENSORS ||
            src->type == IR_ATTR_GRAPHS)
            continue;
        IrAttr *a = ir_node_add_attr(s, k, src->name, src->type);
        a->i = src->i;
        a->f = src->f;
        a->s = src->s;
        a->slen = src->slen;
        a->n = src->n;
        a->ints = src->ints;
        a->floats = src->floats;
        a->strings = src->strings;
    }
    return k;
}

DlaStatus act_group_eval(const IrGraph *g, const int32_t *nodes, int32_t nnodes, int32_t x, const float *in,
                         float *out, int64_t count, DlaError *err)
{
    IrGraph *s = ir_graph_new();
    for (int32_t i = 0; i < g->nopsets; i++)
        ir_graph_set_opset(s, g->opsets[i].domain, g->opsets[i].version);
    int32_t *map = dla_malloc((size_t)(g->nvalues ? g->nvalues : 1) * sizeof *map);
    for (int32_t v = 0; v < g->nvalues; v++)
        map[v] = -1;
    IrShape xs = ir_shape_make(1, &count);
    map[x] = ir_value_add(s, "x", DT_FLOAT, &xs);
    ir_value_set_data(s, map[x], in, (size_t)count * sizeof *in);
    s->values[map[x]].flags |= IR_VAL_CONST;
    DlaStatus st = DLA_OK;
    int32_t y = -1;
    for (int32_t j = 0; j < nnodes && st == DLA_OK; j++) {
        const IrNode *nd = &g->nodes[nodes[j]];
        int32_t ins[8];
        if (nd->ninputs > 8 || nd->noutputs < 1) {
            st = dla_errorf(err, DLA_ERR_UNSUPPORTED, "node '%s' (%s) is not element-wise", nd->name, nd->op_type);
            break;
        }
        for (int32_t i = 0; i < nd->ninputs && st == DLA_OK; i++) {
            int32_t v = nd->inputs[i];
            ins[i] = v < 0 ? -1 : map[v];
            if (v >= 0 && ins[i] < 0) {
                if (!pu_is_const(g, v)) {
                    st = dla_errorf(err, DLA_ERR_INVALID, "node '%s' (%s) reads '%s' from outside its group",
                                    nd->name, nd->op_type, g->values[v].name);
                    break;
                }
                char name[32];
                snprintf(name, sizeof name, "c%d", (int)s->nvalues);
                ins[i] = map[v] = ir_value_add(s, name, g->values[v].dtype, &g->values[v].shape);
                ir_value_borrow_data(s, ins[i], g->values[v].data, g->values[v].nbytes);
                s->values[ins[i]].flags |= IR_VAL_CONST;
            }
        }
        if (st != DLA_OK)
            break;
        int32_t k = copy_node(g, s, nodes[j], ins, &y);
        IrConstResult r;
        int ok = ir_const_eval_float(s, k, count, &r, err);
        if (ok == 1 && (r.dt != DT_FLOAT || ir_shape_numel(&r.sh) != count))
            ok = 0;
        if (ok != 1) {
            if (ok == 0)
                st = dla_errorf(err, DLA_ERR_UNSUPPORTED,
                                "node '%s' (%s): cannot evaluate it element-wise in float for a lookup table",
                                nd->name, nd->op_type);
            else
                st = err ? err->code : DLA_ERR_INVALID;
            break;
        }
        s->values[y].shape = r.sh;
        ir_value_borrow_data(s, y, r.data, r.nbytes);
        s->values[y].flags |= IR_VAL_CONST;
        map[nd->outputs[0]] = y;
    }
    if (st == DLA_OK && y < 0)
        st = dla_errorf(err, DLA_ERR_INVALID, "empty element-wise group");
    if (st == DLA_OK)
        memcpy(out, s->values[y].data, (size_t)count * sizeof *out);
    free(map);
    ir_graph_free(s);
    return st;
}
