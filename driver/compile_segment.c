/* compile_segment.c - splitting the quantized graph into ordered segments
 * (compile.h) and extracting a host segment as a standalone graph.
 *
 * Kinds: a node is DLA if it is a dlacc-domain Q-op, BOUNDARY if it is a
 * QuantizeLinear/DequantizeLinear with constant per-tensor scale (and zero
 * point), HOST otherwise.
 *
 * Grouping: list scheduling over the dependency graph. A node is ready when
 * every producer of its inputs has been placed. The current segment keeps
 * taking ready nodes of its own kind (in node order) until none is left; then
 * a new segment starts with the kind that has a ready node, preferring
 * BOUNDARY, then HOST, then DLA (conversions are cheap and running the host
 * work first lets the next DLA segment take everything that became ready).
 * Every BOUNDARY node is its own segment. The result respects all
 * dependencies, and a DLA segment is as large as the dependencies allow at the
 * point where it starts. */
#include "compile.h"

#include <stdlib.h>
#include <string.h>

static int is_qop(const IrNode *n)
{
    return n->domain && !strcmp(n->domain, "dlacc");
}

static int is_const_scalar(const IrGraph *g, int32_t v)
{
    if (v < 0)
        return 1;
    const IrValue *x = &g->values[v];
    return (x->flags & IR_VAL_CONST) && x->data && ir_shape_numel(&x->shape) == 1;
}

static DlaSegKind node_kind(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    if (is_qop(nd))
        return DLA_SEG_DLA;
    if ((nd->op == OP_QUANTIZE_LINEAR || nd->op == OP_DEQUANTIZE_LINEAR) && nd->ninputs >= 2 && nd->noutputs == 1 &&
        is_const_scalar(g, nd->inputs[1]) && is_const_scalar(g, ir_in(g, n, 2)) &&
        g->values[nd->inputs[1]].dtype == DT_FLOAT) {
        int32_t q = nd->op == OP_QUANTIZE_LINEAR ? nd->outputs[0] : nd->inputs[0];
        int32_t f = nd->op == OP_QUANTIZE_LINEAR ? nd->inputs[0] : nd->outputs[0];
        if (q >= 0 && f >= 0 && g->values[q].dtype == DT_INT8 && g->values[f].dtype == DT_FLOAT)
            return DLA_SEG_BOUNDARY;
    }
    return DLA_SEG_HOST;
}

static void push(int32_t **a, int32_t *n, int32_t v)
{
    *a = dla_realloc(*a, (size_t)(*n + 1) * sizeof **a);
    (*a)[(*n)++] = v;
}

static int contains(const int32_t *a, int32_t n, int32_t v)
{
    for (int32_t i = 0; i < n; i++)
        if (a[i] == v)
            return 1;
    return 0;
}

/* Node n can be placed: every node producing one of its inputs already is. */
static int node_ready(const IrGraph *g, const int32_t *seg_of, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    for (int32_t i = 0; i < nd->ninputs; i++) {
        int32_t v = nd->inputs[i];
        if (v >= 0 && g->values[v].producer >= 0 && seg_of[g->values[v].producer] < 0)
            return 0;
    }
    return 1;
}

DlaStatus dla_plan_segment(DlaPlan *p, DlaError *err)
{
    IrGraph *g = p->g;
    int32_t nn = g->nnodes;
    int32_t *seg_of = dla_malloc((size_t)(nn ? nn : 1) * sizeof *seg_of);
    uint8_t *kind = dla_malloc((size_t)(nn ? nn : 1));
    int32_t live = 0;
    for (int32_t n = 0; n < nn; n++) {
        seg_of[n] = g->nodes[n].dead ? -2 : -1;
        kind[n] = (uint8_t)node_kind(g, n);
        live += !g->nodes[n].dead;
    }
    int32_t placed = 0;
    DlaSegment *cur = NULL;
    while (placed < live) {
        /* ready nodes: unplaced, every producer placed */
        int found = 0;
        DlaSegKind want = cur ? cur->kind : DLA_SEG_BOUNDARY;
        int have[3] = {0, 0, 0};
        for (int32_t n = 0; n < nn; n++) {
            if (seg_of[n] != -1)
                continue;
            if (!node_ready(g, seg_of, n))
                continue;
            have[kind[n]] = 1;
            if (cur && kind[n] == cur->kind && cur->kind != DLA_SEG_BOUNDARY) {
                push(&cur->nodes, &cur->nnodes, n);
                seg_of[n] = (int32_t)(cur - p->segs);
                placed++;
                found = 1;
                /* a node placed now may make later nodes ready in this same sweep (node order is topological) */
            }
        }
        if (found)
            continue;
        /* start a new segment */
        want = have[DLA_SEG_BOUNDARY] ? DLA_SEG_BOUNDARY : have[DLA_SEG_HOST] ? DLA_SEG_HOST : DLA_SEG_DLA;
        if (!have[want]) {
            free(seg_of), free(kind);
            return dla_errorf(err, DLA_ERR_INVALID, "segmentation: no node is ready (the graph has a cycle?)");
        }
        p->segs = dla_realloc(p->segs, (size_t)(p->nsegs + 1) * sizeof *p->segs);
        cur = &p->segs[p->nsegs++];
        memset(cur, 0, sizeof *cur);
        cur->kind = want;
        if (want == DLA_SEG_BOUNDARY) {
            for (int32_t n = 0; n < nn; n++) {
                if (seg_of[n] != -1 || kind[n] != DLA_SEG_BOUNDARY)
                    continue;
                if (node_ready(g, seg_of, n)) {
                    push(&cur->nodes, &cur->nnodes, n);
                    seg_of[n] = p->nsegs - 1;
                    placed++;
                    break;
                }
            }
            cur = NULL; /* a boundary segment holds one node */
        }
    }
    /* inputs and outputs of each segment: a value crosses when a node of
     * another segment reads it (one pass over all edges) */
    uint8_t *crossing = dla_calloc((size_t)(g->nvalues ? g->nvalues : 1), 1);
    for (int32_t m = 0; m < nn; m++) {
        if (seg_of[m] < 0)
            continue;
        for (int32_t i = 0; i < g->nodes[m].ninputs; i++) {
            int32_t v = g->nodes[m].inputs[i];
            if (v >= 0 && g->values[v].producer >= 0 && seg_of[g->values[v].producer] != seg_of[m])
                crossing[v] = 1;
        }
    }
    for (int32_t s = 0; s < p->nsegs; s++) {
        DlaSegment *sg = &p->segs[s];
        for (int32_t k = 0; k < sg->nnodes; k++) {
            const IrNode *nd = &g->nodes[sg->nodes[k]];
            for (int32_t i = 0; i < nd->ninputs; i++) {
                int32_t v = nd->inputs[i];
                if (v < 0 || (g->values[v].flags & IR_VAL_CONST))
                    continue;
                int32_t pr = g->values[v].producer;
                if ((pr < 0 || seg_of[pr] != s) && !contains(sg->in_vals, sg->nin, v))
                    push(&sg->in_vals, &sg->nin, v);
            }
            for (int32_t o = 0; o < nd->noutputs; o++) {
                int32_t v = nd->outputs[o];
                if (v >= 0 && (crossing[v] || (g->values[v].flags & IR_VAL_OUTPUT)) &&
                    !contains(sg->out_vals, sg->nout, v))
                    push(&sg->out_vals, &sg->nout, v);
            }
        }
        if (sg->kind == DLA_SEG_DLA)
            sg->dla_index = (uint32_t)p->ndla++;
    }
    free(crossing);
    free(seg_of);
    free(kind);
    return DLA_OK;
}

static int32_t copy_value(const IrGraph *g, IrGraph *h, int32_t v)
{
    const IrValue *x = &g->values[v];
    int32_t w = ir_value_find(h, x->name);
    if (w >= 0)
        return w;
    w = ir_value_add(h, x->name, x->dtype, &x->shape);
    IrValue *y = &h->values[w];
    y->quant = x->quant; /* arena data of g, which outlives h */
    y->layout = x->layout;
    y->layout_block = x->layout_block;
    if (x->flags & IR_VAL_CONST) {
        if (x->data)
            ir_value_borrow_data(h, w, x->data, x->nbytes);
        else
            y->flags |= IR_VAL_CONST;
    }
    return w;
}

DlaStatus dla_graph_extract(const IrGraph *g, const int32_t *nodes, int32_t nnodes, const int32_t *ins, int32_t nin,
                            const int32_t *outs, int32_t nout, IrGraph **out, DlaError *err)
{
    *out = NULL;
    IrGraph *h = ir_graph_new();
    h->name = dla_arena_strdup(&h->arena, g->name ? g->name : "segment");
    h->source_path = g->source_path;
    for (int32_t i = 0; i < g->nopsets; i++)
        ir_graph_set_opset(h, g->opsets[i].domain, g->opsets[i].version);
    for (int32_t i = 0; i < nin; i++) {
        int32_t w = copy_value(g, h, ins[i]);
        ir_graph_add_input(h, w);
    }
    for (int32_t k = 0; k < nnodes; k++) {
        const IrNode *nd = &g->nodes[nodes[k]];
        int32_t in[64], ou[64];
        if (nd->ninputs > 64 || nd->noutputs > 64) {
            ir_graph_free(h);
            return dla_errorf(err, DLA_ERR_UNSUPPORTED, "node '%s' (%s): too many inputs/outputs for a host segment",
                              nd->name, nd->op_type);
        }
        for (int32_t i = 0; i < nd->ninputs; i++)
            in[i] = nd->inputs[i] < 0 ? -1 : copy_value(g, h, nd->inputs[i]);
        for (int32_t o = 0; o < nd->noutputs; o++)
            ou[o] = nd->outputs[o] < 0 ? -1 : copy_value(g, h, nd->outputs[o]);
        int32_t m = ir_node_add(h, nd->name, nd->op_type, nd->domain, in, nd->ninputs, ou, nd->noutputs);
        for (int32_t a = 0; a < nd->nattrs; a++) {
            const IrAttr *src = &nd->attrs[a];
            if (src->type == IR_ATTR_GRAPH || src->type == IR_ATTR_GRAPHS) {
                ir_graph_free(h);
                return dla_errorf(err, DLA_ERR_UNSUPPORTED,
                                  "node '%s' (%s): a control-flow node cannot be split off into a host segment",
                                  nd->name, nd->op_type);
            }
            IrAttr *dst = ir_node_add_attr(h, m, src->name, src->type);
            const char *nm = dst->name;
            *dst = *src; /* payloads live in g's arena, which outlives h */
            dst->name = nm;
        }
    }
    for (int32_t i = 0; i < nout; i++) {
        int32_t w = ir_value_find(h, g->values[outs[i]].name);
        DLA_ASSERT(w >= 0);
        ir_graph_add_output(h, w);
    }
    *out = h;
    return DLA_OK;
}
