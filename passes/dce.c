/* dce.c - pass_dce: dead-code elimination.
 *
 * Requires: a valid graph.
 * Establishes: every live node has at least one output that is used (by a live
 *   node, a subgraph, or as a graph output); every value is a graph input, a
 *   graph output, a node output, or used by a node or subgraph. Unused
 *   constants (weights of removed nodes, originals replaced by folding) and
 *   values orphaned by rewiring are dropped, and the value array is compacted
 *   (value indices change; names do not). Graph inputs are kept even when
 *   unused: they are the model's interface.
 *
 * ONNX ops are free of side effects, so usedness is the only criterion. */
#include "passes/passes.h"
#include "passes/pass_util.h"

#include <stdlib.h>
#include <string.h>

static void remove_dead_nodes(IrGraph *g, int32_t *uses)
{
    /* Reverse topological order: a node's death frees its inputs before their
     * producers are looked at, so whole dead chains go in one sweep. */
    for (int32_t n = g->nnodes - 1; n >= 0; n--) {
        IrNode *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        int live = 0;
        for (int32_t k = 0; k < nd->noutputs; k++)
            if (nd->outputs[k] >= 0 && uses[nd->outputs[k]] > 0)
                live = 1;
        if (live)
            continue;
        nd->dead = 1;
        for (int32_t i = 0; i < nd->ninputs; i++)
            if (nd->inputs[i] >= 0)
                uses[nd->inputs[i]]--;
    }
    ir_graph_compact(g);
}

/* Keep values that are referenced; renumber the rest away. The name hash is
 * rebuilt by re-adding the kept values through ir_value_add. */
static void compact_values(IrGraph *g, const int32_t *uses)
{
    int32_t nv = g->nvalues;
    char *keep = dla_calloc((size_t)(nv ? nv : 1), 1);
    for (int32_t v = 0; v < nv; v++)
        keep[v] = uses[v] > 0 || (g->values[v].flags & (IR_VAL_INPUT | IR_VAL_OUTPUT));
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t k = 0; k < g->nodes[n].noutputs; k++)
            if (g->nodes[n].outputs[k] >= 0)
                keep[g->nodes[n].outputs[k]] = 1;
    int32_t *remap = dla_malloc((size_t)(nv ? nv : 1) * sizeof *remap);
    int32_t k = 0;
    for (int32_t v = 0; v < nv; v++)
        remap[v] = keep[v] ? k++ : -1;
    if (k == nv) {
        free(keep);
        free(remap);
        return;
    }
    IrValue *old = g->values;
    g->values = NULL;
    g->values_cap = 0;
    g->nvalues = 0;
    free(g->hash);
    g->hash = NULL;
    g->hash_cap = 0;
    for (int32_t v = 0; v < nv; v++) {
        if (!keep[v])
            continue;
        int32_t nvx = ir_value_add(g, old[v].name, old[v].dtype, &old[v].shape);
        DLA_ASSERT(nvx == remap[v]);
        g->values[nvx] = old[v];
    }
    free(old);
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrNode *nd = &g->nodes[n];
        for (int32_t i = 0; i < nd->ninputs; i++)
            if (nd->inputs[i] >= 0)
                nd->inputs[i] = remap[nd->inputs[i]];
        for (int32_t i = 0; i < nd->noutputs; i++)
            if (nd->outputs[i] >= 0)
                nd->outputs[i] = remap[nd->outputs[i]];
    }
    for (int32_t i = 0; i < g->ninputs; i++)
        g->inputs[i] = remap[g->inputs[i]];
    for (int32_t i = 0; i < g->noutputs; i++)
        g->outputs[i] = remap[g->outputs[i]];
    free(keep);
    free(remap);
}

DlaStatus pass_dce(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    (void)ctx;
    (void)err;
    int32_t *uses = pu_use_counts(g);
    remove_dead_nodes(g, uses);
    compact_values(g, uses);
    free(uses);
    return DLA_OK;
}
