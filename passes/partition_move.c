/* partition_move.c - which data-movement nodes the accelerator runs
 * (docs/quant.md, "Data movement"): Concat, Split, Slice, Transpose,
 * Reshape/Flatten/Squeeze/Unsqueeze and the channel shuffle
 * (Reshape -> Transpose -> Reshape). They move int8 elements without changing
 * them, so they are exact when their parameters match; on the accelerator they
 * are strided DMA copies (backend/dla/dla_lower_move.c) or, for a reshape
 * that keeps the DRAM byte order, views (no instructions).
 *
 * Policy: a data-movement node goes to the accelerator when one of its inputs
 * is produced there (moving host data to the accelerator would add a round
 * trip, not remove one), every dim but the batch is known and the batch dim
 * stays where it is (dim 0 of input and output), unless the shapes are fully
 * known. The layout facts are the DLA's (rank-4 tensors NHWC in DRAM, others
 * row-major: backend/dla/dla_pass_layout.c); the lowering refuses nothing that
 * is accepted here. */
#include "passes/passes.h"
#include "passes/pass_util.h"
#include "passes/quant.h"

#include <string.h>

/* A float activation: not constant, float32, rank known, every dim but the
 * batch dim (0) known and positive. */
static int mv_act(const IrGraph *g, int32_t v)
{
    if (v < 0 || v >= g->nvalues)
        return 0;
    const IrValue *x = &g->values[v];
    if (x->dtype != DT_FLOAT || (x->flags & (IR_VAL_CONST | IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) ||
        x->shape.rank < 1)
        return 0;
    for (int i = 1; i < x->shape.rank; i++)
        if (x->shape.dims[i] <= 0)
            return 0;
    return x->shape.dims[0] != 0;
}

static int from_dla(const IrGraph *g, int32_t v)
{
    int32_t p = g->values[v].producer;
    return p >= 0 && g->nodes[p].device == IR_DEVICE_DLA;
}

/* Dim 0 of a and b is the same (equal known sizes, or the same symbol). */
static int same_batch(const IrShape *a, const IrShape *b)
{
    if (a->dims[0] >= 0 || b->dims[0] >= 0)
        return a->dims[0] == b->dims[0];
    return a->sym[0] && b->sym[0] && strcmp(a->sym[0], b->sym[0]) == 0;
}

/* The only node reading value v (-1 if none, several, a graph output or a
 * subgraph). */
static int32_t sole_user(const IrGraph *g, int32_t v)
{
    if (g->values[v].flags & IR_VAL_OUTPUT || pu_used_by_subgraph(g, v))
        return -1;
    int32_t user = -1;
    for (int32_t c = 0; c < g->nnodes; c++) {
        const IrNode *cn = &g->nodes[c];
        if (cn->dead)
            continue;
        for (int32_t i = 0; i < cn->ninputs; i++)
            if (cn->inputs[i] == v) {
                if (user >= 0)
                    return -1;
                user = c;
            }
    }
    return user;
}

/* The suffix products of a shape's dims read in DRAM order define where a
 * flat index splits into that shape's dims; a reshape between two layouts is
 * one strided copy when the union of both sets of split points forms a
 * divisibility chain (each atom a whole number of elements). */
static int splits(const IrShape *s, int64_t *pts)
{
    int n = 0;
    int64_t p = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        p *= s->dims[i];
        pts[n++] = p;
    }
    return n;
}

static int reshape_copyable(const IrShape *a, const IrShape *b)
{
    int64_t pa[IR_MAX_RANK], pb[IR_MAX_RANK];
    int na = splits(a, pa), nb = splits(b, pb);
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++) {
            int64_t lo = pa[i] < pb[j] ? pa[i] : pb[j], hi = pa[i] < pb[j] ? pb[j] : pa[i];
            if (lo > 0 && hi % lo)
                return 0;
        }
    return 1;
}

static int rowmajor_order(const IrShape *s)
{
    return s->rank != 4 || s->dims[1] == 1 || s->dims[2] * s->dims[3] == 1;
}

int quant_reshape_is_view(const IrShape *a, const IrShape *b)
{
    if (rowmajor_order(a) && rowmajor_order(b))
        return 1;
    /* both NHWC with the same N and C: the pixels regroup, the bytes stay */
    return a->rank == 4 && b->rank == 4 && a->dims[0] == b->dims[0] && a->dims[1] == b->dims[1];
}

int32_t quant_shuffle_tail(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->dead || nd->op != OP_RESHAPE || nd->noutputs != 1 || nd->outputs[0] < 0)
        return -1;
    int32_t x = ir_in(g, n, 0), r5 = nd->outputs[0];
    if (!mv_act(g, x) || g->values[x].shape.rank != 4 || g->values[r5].shape.rank != 5)
        return -1;
    const IrShape *xs = &g->values[x].shape, *s5 = &g->values[r5].shape;
    int64_t grp = s5->dims[1];
    if (grp < 1 || s5->dims[2] < 1 || grp * s5->dims[2] != xs->dims[1] || s5->dims[3] != xs->dims[2] ||
        s5->dims[4] != xs->dims[3] || !same_batch(xs, s5))
        return -1;
    int32_t t = sole_user(g, r5);
    if (t < 0 || g->nodes[t].op != OP_TRANSPOSE || g->nodes[t].noutputs != 1 || ir_in(g, t, 0) != r5)
        return -1;
    const int64_t *perm;
    static const int64_t shuffle[5] = {0, 2, 1, 3, 4};
    if (ir_attr_ints(g, t, "perm", &perm) != 5 || memcmp(perm, shuffle, sizeof shuffle) != 0)
        return -1;
    int32_t tv = g->nodes[t].outputs[0];
    int32_t tail = tv >= 0 ? sole_user(g, tv) : -1;
    if (tail < 0 || g->nodes[tail].op != OP_RESHAPE || g->nodes[tail].noutputs != 1 || ir_in(g, tail, 0) != tv)
        return -1;
    int32_t y = g->nodes[tail].outputs[0];
    const IrShape *ys = &g->values[y].shape;
    if (y < 0 || ys->rank != 4 || !same_batch(xs, ys))
        return -1;
    for (int i = 1; i < 4; i++)
        if (ys->dims[i] != xs->dims[i])
            return -1;
    return tail;
}

int quant_shuffle_part(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->dead || nd->ninputs < 1)
        return 0;
    int32_t x = nd->inputs[0];
    if (x < 0 || g->values[x].producer < 0)
        return 0;
    int32_t p = g->values[x].producer;
    if (nd->op == OP_TRANSPOSE)
        return quant_shuffle_tail(g, p) >= 0;
    if (nd->op == OP_RESHAPE && g->nodes[p].op == OP_TRANSPOSE && g->nodes[p].ninputs >= 1 &&
        g->nodes[p].inputs[0] >= 0 && g->values[g->nodes[p].inputs[0]].producer >= 0)
        return quant_shuffle_tail(g, g->values[g->nodes[p].inputs[0]].producer) == n;
    return 0;
}

int quant_is_move_op(const IrNode *nd)
{
    switch (nd->op) {
    case OP_CONCAT: case OP_SPLIT: case OP_SLICE: case OP_TRANSPOSE:
    case OP_RESHAPE: case OP_FLATTEN: case OP_SQUEEZE: case OP_UNSQUEEZE:
        return 1;
    default:
        return 0;
    }
}

#define WHY(s) (*why = (s), 0)

/* Constant integer input i of node n into out (at most IR_MAX_RANK); the
 * count, -1 if absent, -2 if not constant. */
static int const_ints(const IrGraph *g, int32_t n, int i, int64_t *out)
{
    int32_t v = ir_in(g, n, i);
    if (v < 0)
        return -1;
    const IrValue *x = &g->values[v];
    if (!pu_is_const(g, v) || !x->data || !ir_shape_known(&x->shape))
        return -2;
    int64_t k = ir_shape_numel(&x->shape);
    if (k > IR_MAX_RANK)
        return -2;
    for (int64_t j = 0; j < k; j++) {
        if (x->dtype == DT_INT64)
            out[j] = ((const int64_t *)x->data)[j];
        else if (x->dtype == DT_INT32)
            out[j] = ((const int32_t *)x->data)[j];
        else
            return -2;
    }
    return (int)k;
}

int quant_slice_params(const IrGraph *g, int32_t n, int64_t *starts, int64_t *steps)
{
    int32_t x = ir_in(g, n, 0);
    const IrShape *xs = &g->values[x].shape;
    int r = xs->rank;
    int64_t st[IR_MAX_RANK], en[IR_MAX_RANK], ax[IR_MAX_RANK], sp[IR_MAX_RANK];
    int ns, ne, na, nsp;
    if (g->nodes[n].ninputs == 1) { /* opset < 10: attributes, steps 1 */
        const int64_t *a;
        ns = ir_attr_ints(g, n, "starts", &a);
        if (ns < 0 || ns > IR_MAX_RANK)
            return 0;
        memcpy(st, a, (size_t)ns * sizeof *a);
        ne = ir_attr_ints(g, n, "ends", &a);
        if (ne != ns)
            return 0;
        memcpy(en, a, (size_t)ne * sizeof *a);
        na = ir_attr_ints(g, n, "axes", &a);
        if (na > IR_MAX_RANK)
            return 0;
        if (na >= 0)
            memcpy(ax, a, (size_t)na * sizeof *a);
        nsp = -1;
    } else {
        ns = const_ints(g, n, 1, st);
        ne = const_ints(g, n, 2, en);
        na = const_ints(g, n, 3, ax);
        nsp = const_ints(g, n, 4, sp);
        if (ns < 0 || ne != ns || na == -2 || nsp == -2)
            return 0;
    }
    if ((na >= 0 && na != ns) || (nsp >= 0 && nsp != ns))
        return 0;
    for (int i = 0; i < r; i++)
        starts[i] = 0, steps[i] = 1;
    for (int i = 0; i < ns; i++) {
        int64_t a = na >= 0 ? ax[i] : i, step = nsp >= 0 ? sp[i] : 1;
        if (a < 0)
            a += r;
        if (a < 0 || a >= r || step < 1)
            return 0;
        int64_t dim = xs->dims[a], s = st[i];
        if (dim < 0) /* the batch dim is unknown: only the whole of it */
            return s == 0 && step == 1 && en[i] >= INT32_MAX;
        if (s < 0)
            s += dim;
        s = s < 0 ? 0 : s > dim ? dim : s;
        starts[a] = s;
        steps[a] = step;
    }
    return 1;
}

int quant_move_supported(const IrGraph *g, int32_t n, const char **why)
{
    const IrNode *nd = &g->nodes[n];
    if (!quant_is_move_op(nd))
        return -1;
    int32_t x = ir_in(g, n, 0);
    if (nd->op == OP_CONCAT) {
        int any = 0, r = -1;
        for (int32_t i = 0; i < nd->ninputs; i++) {
            int32_t v = nd->inputs[i];
            if (!mv_act(g, v))
                return WHY("an input is constant or not a float activation");
            if (r >= 0 && g->values[v].shape.rank != r)
                return WHY("inputs differ in rank");
            r = g->values[v].shape.rank;
            any |= from_dla(g, v);
        }
        if (nd->ninputs < 1 || nd->noutputs != 1 || !mv_act(g, nd->outputs[0]))
            return WHY("output is not a float activation");
        int64_t axis = ir_attr_int(g, n, "axis", 0);
        if (axis < 0)
            axis += r;
        if (axis == 0 && g->values[nd->outputs[0]].shape.dims[0] < 0)
            return WHY("concatenation over an unknown batch dim");
        if (!any)
            return WHY("every input comes from the host (not worth a round trip)");
        return 1;
    }
    if (!mv_act(g, x))
        return WHY("input is not a float activation");
    if (!from_dla(g, x))
        return WHY("input comes from the host (not worth a round trip)");
    const IrShape *xs = &g->values[x].shape;
    int64_t st[IR_MAX_RANK], sp[IR_MAX_RANK];
    if (nd->op == OP_SLICE && !quant_slice_params(g, n, st, sp))
        return WHY("starts/ends/axes/steps not constant, or a negative step");
    for (int32_t k = 0; k < nd->noutputs; k++) {
        int32_t y = nd->outputs[k];
        if (y < 0 || !mv_act(g, y))
            return WHY("an output is not a float activation of a known shape");
        const IrShape *ys = &g->values[y].shape;
        if ((xs->dims[0] < 0 || ys->dims[0] < 0) && !same_batch(xs, ys))
            return WHY("the batch dim changes and is not known");
        if (ir_shape_numel(ys) == 0)
            return WHY("empty output");
    }
    if (nd->op == OP_SPLIT) {
        int64_t axis = ir_attr_int(g, n, "axis", 0);
        if (axis < 0)
            axis += xs->rank;
        if (axis < 0 || axis >= xs->rank || xs->dims[axis] < 0)
            return WHY("split over an unknown dim");
        int64_t sum = 0;
        for (int32_t k = 0; k < nd->noutputs; k++)
            sum += nd->outputs[k] >= 0 ? g->values[nd->outputs[k]].shape.dims[axis] : 0;
        if (sum != xs->dims[axis])
            return WHY("split sizes do not cover the dim");
        return 1;
    }
    if (nd->op == OP_SLICE)
        return 1;
    if (nd->op == OP_TRANSPOSE) {
        const int64_t *perm;
        if (quant_shuffle_part(g, n))
            return 1;
        int32_t np = ir_attr_ints(g, n, "perm", &perm);
        if (np >= 0 && np != xs->rank)
            return WHY("bad perm");
        if (!ir_shape_known(xs) && (np < 0 || perm[0] != 0))
            return WHY("the batch dim moves and is not known");
        return 1;
    }
    /* Reshape, Flatten, Squeeze, Unsqueeze: only the shape changes */
    if (quant_shuffle_tail(g, n) >= 0 || quant_shuffle_part(g, n))
        return 1;
    const IrShape *ys = &g->values[nd->outputs[0]].shape;
    if (nd->noutputs != 1)
        return WHY("more than one output");
    IrShape a = *xs, b = *ys;
    if (a.dims[0] < 0)
        a.dims[0] = 1;
    if (b.dims[0] < 0)
        b.dims[0] = 1;
    if (!quant_reshape_is_view(&a, &b) && !reshape_copyable(&a, &b))
        return WHY("reshape regroups an NHWC tensor in a way no strided copy expresses");
    return 1;
}

/* Does any accelerator node read an output of n? */
static int feeds_dla(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    for (int32_t c = 0; c < g->nnodes; c++) {
        const IrNode *cn = &g->nodes[c];
        if (cn->dead || cn->device != IR_DEVICE_DLA)
            continue;
        for (int32_t i = 0; i < cn->ninputs; i++)
            for (int32_t k = 0; k < nd->noutputs; k++)
                if (cn->inputs[i] >= 0 && cn->inputs[i] == nd->outputs[k])
                    return 1;
    }
    return 0;
}

/* Are the outputs of n read by nothing but the graph's outputs (no node)? */
static int only_graph_outputs(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    for (int32_t k = 0; k < nd->noutputs; k++)
        if (nd->outputs[k] >= 0 && !(g->values[nd->outputs[k]].flags & IR_VAL_OUTPUT))
            return 0;
    for (int32_t c = 0; c < g->nnodes; c++) {
        const IrNode *cn = &g->nodes[c];
        for (int32_t i = 0; !cn->dead && i < cn->ninputs; i++)
            for (int32_t k = 0; k < nd->noutputs; k++)
                if (cn->inputs[i] >= 0 && cn->inputs[i] == nd->outputs[k])
                    return 0;
    }
    return 1;
}

void quant_move_demote(IrGraph *g)
{
    /* Backwards, so that a chain of copies feeding the host goes back whole.
     * A copy whose results only host nodes read would move the boundary, not
     * remove it, and spend accelerator cycles on what the host does anyway;
     * a copy that makes a graph output stays (the output's DequantizeLinear
     * is then the only host work after the accelerator: a network ending in
     * a channel shuffle is one segment);
     * views cost nothing and stay (they let the DequantizeLinear take the
     * final shape); a Concat of two or more accelerator results stays (one
     * boundary after it instead of one per input: a detection head's final
     * concatenation). */
    for (int32_t n = g->nnodes - 1; n >= 0; n--) {
        IrNode *nd = &g->nodes[n];
        if (nd->dead || nd->device != IR_DEVICE_DLA || !quant_is_move_op(nd) || quant_shuffle_part(g, n))
            continue;
        int32_t last = quant_shuffle_tail(g, n);
        if (feeds_dla(g, last >= 0 ? last : n) || only_graph_outputs(g, last >= 0 ? last : n))
            continue;
        if (nd->op == OP_CONCAT) { /* one DequantizeLinear instead of one per accelerator input */
            int ndla = 0;
            for (int32_t i = 0; i < nd->ninputs; i++)
                ndla += from_dla(g, nd->inputs[i]);
            if (ndla >= 2)
                continue;
        }
        if (last < 0 && (nd->op == OP_RESHAPE || nd->op == OP_FLATTEN || nd->op == OP_SQUEEZE ||
                         nd->op == OP_UNSQUEEZE)) {
            IrShape a = g->values[nd->inputs[0]].shape, b = g->values[nd->outputs[0]].shape;
            if (a.dims[0] < 0)
                a.dims[0] = 1;
            if (b.dims[0] < 0)
                b.dims[0] = 1;
            if (quant_reshape_is_view(&a, &b))
                continue;
        }
        nd->device = IR_DEVICE_HOST;
        if (last >= 0) {
            int32_t mid = g->values[ir_in(g, last, 0)].producer;
            g->nodes[mid].device = IR_DEVICE_HOST;
            g->nodes[last].device = IR_DEVICE_HOST;
        }
    }
}
