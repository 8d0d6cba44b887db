/* identity.c - pass_identity: remove Identity and inference-mode Dropout.
 *
 * Requires: nothing beyond a valid graph.
 * Establishes: no live Identity or Dropout node remains, except where removing
 *   it would change the graph's interface: an Identity whose output is a graph
 *   output and whose input is a graph input, a graph output, a constant, or a
 *   value a subgraph refers to by name (those keep two distinct names by
 *   necessity), and a Dropout in training mode or whose mask output is used.
 *
 * Rewiring: consumers of y = Identity(x) read x instead. When y is a graph
 * output, the names must stay intact, so instead the producer of x is made to
 * produce y directly and x's consumers read y. */
#include "passes/passes.h"
#include "passes/pass_util.h"

#include <stdlib.h>
#include <string.h>

/* Dropout is the identity at inference unless training_mode (input 2, opset 12+)
 * is a constant true; a non-constant training_mode is left alone. */
static int dropout_is_identity(IrGraph *g, int32_t n, const int32_t *uses)
{
    const IrNode *nd = &g->nodes[n];
    int32_t tm = ir_in(g, n, 2);
    if (tm >= 0) {
        const IrValue *v = &g->values[tm];
        if (!pu_is_const(g, tm) || v->dtype != DT_BOOL || v->nbytes != 1 || *(const uint8_t *)v->data)
            return 0;
    }
    return !(nd->noutputs > 1 && nd->outputs[1] >= 0 && uses[nd->outputs[1]] > 0);
}

DlaStatus pass_identity(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    (void)ctx;
    (void)err;
    int32_t *uses = pu_use_counts(g);
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrNode *nd = &g->nodes[n];
        if (nd->dead || nd->ninputs < 1 || nd->noutputs < 1)
            continue;
        if (nd->op != OP_IDENTITY && !(nd->op == OP_DROPOUT && dropout_is_identity(g, n, uses)))
            continue;
        int32_t x = nd->inputs[0], y = nd->outputs[0];
        if (x < 0 || y < 0 || pu_used_by_subgraph(g, y))
            continue;
        IrValue *xv = &g->values[x], *yv = &g->values[y];
        if (!(yv->flags & IR_VAL_OUTPUT)) {
            pu_replace_uses(g, y, x);
            uses[x] += uses[y] - 1;
            uses[y] = 0;
            nd->dead = 1;
            continue;
        }
        /* y is a graph output: keep its name by moving it onto x's producer. */
        if ((xv->flags & (IR_VAL_INPUT | IR_VAL_OUTPUT | IR_VAL_CONST)) || xv->producer < 0 ||
            pu_used_by_subgraph(g, x))
            continue;
        IrNode *pn = &g->nodes[xv->producer];
        for (int32_t k = 0; k < pn->noutputs; k++)
            if (pn->outputs[k] == x)
                pn->outputs[k] = y;
        yv->producer = xv->producer;
        if (yv->shape.rank < 0 && xv->shape.rank >= 0)
            yv->shape = xv->shape;
        if (yv->dtype == DT_UNDEFINED)
            yv->dtype = xv->dtype;
        xv->producer = -1;
        nd->dead = 1; /* before the rewrite, so the Identity's own input is not touched */
        pu_replace_uses(g, x, y);
        uses[y] += uses[x] - 1;
        uses[x] = 0;
    }
    free(uses);
    ir_graph_compact(g);
    return DLA_OK;
}
