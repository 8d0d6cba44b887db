/* fold.c - pass_fold: constant folding, above all of the shape arithmetic that
 * exporters emit (Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains), so
 * that every Reshape ends up with a constant shape.
 *
 * Requires: dtypes and shapes inferred (pass_shapes) where known; Shape and Size
 *   fold only when the dims they read are known.
 * Establishes: every node that the constant evaluator covers (ir/consteval.h:
 *   shape arithmetic, integer/float + - * /, comparisons, data movement) whose
 *   inputs are all constants and whose output is small (at most
 *   PassContext.fold_max_elems elements; pure reinterpretations such as Reshape
 *   share their input's data and are not limited) is replaced by a constant
 *   value of the same name; the node is removed. Graph outputs keep their
 *   producing node. Folding repeats, with shape inference in between, until
 *   nothing more folds (a newly constant Reshape shape can make a later Shape
 *   foldable).
 *
 * This pass only decides what to fold and materializes the results; the
 * evaluation itself is ir_const_eval, the same one shape inference uses, so the
 * two cannot disagree on an op's semantics. Constant inputs that break an op's
 * rules (a Reshape that changes the element count) are an error here. */
#include "passes/passes.h"
#include "passes/pass_util.h"

#include <string.h>

#include "ir/consteval.h"
#include "ir/infer.h"

/* One sweep in topological order, so a chain folds front to back in one go.
 * Returns the number of nodes folded, or -1 on error. */
static int sweep(IrGraph *g, int64_t limit, DlaError *err)
{
    int folded = 0;
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrNode *nd = &g->nodes[n];
        if (nd->dead || nd->noutputs != 1 || nd->outputs[0] < 0)
            continue;
        int32_t out = nd->outputs[0];
        /* A graph output keeps its producer, and so does a value some
         * subgraph refers to by name (it stays an ordinary value). */
        if (g->values[out].flags & IR_VAL_OUTPUT)
            continue;
        IrConstResult r;
        /* Shape inference's own constant propagation may already have given
         * the output data (while leaving the node); then only the node goes. */
        if (pu_is_const(g, out) && ir_shape_known(&g->values[out].shape)) {
            g->values[out].producer = -1;
            nd->dead = 1;
            folded++;
            continue;
        }
        int st = ir_const_eval(g, n, limit, &r, err);
        if (st < 0)
            return -1;
        if (st == 0)
            continue;
        pu_make_const(g, out, r.dt, &r.sh, r.data, r.nbytes);
        nd->dead = 1;
        folded++;
    }
    return folded;
}

DlaStatus pass_fold(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    int64_t limit = ctx->fold_max_elems > 0 ? ctx->fold_max_elems : PASS_FOLD_MAX_ELEMS;
    /* Each round can only shrink the graph, so this terminates; the bound is
     * a guard, ten rounds cover chains far deeper than exporters produce. */
    for (int round = 0; round < 10; round++) {
        int k = sweep(g, limit, err);
        ir_graph_compact(g);
        if (k < 0)
            return err ? err->code : DLA_ERR_INVALID;
        if (k == 0)
            break;
        /* Re-infer so that shapes made static by this round reach later Shape
         * nodes. Problems in unrelated nodes do not stop folding: the shapes
         * passes report them. */
        IrDiagList diags = {0};
        DlaError ignored = {0};
        ir_infer_shapes(g, &diags, &ignored);
        ir_diag_free(&diags);
    }
    return DLA_OK;
}
