/* shapes.c - pass_shapes: (re-)infer the dtype and shape of every value.
 *
 * Requires: a graph whose inputs have declared dtypes (shapes may be symbolic).
 * Establishes: every node output has the dtype and shape the op table's shape
 * functions give (ir_infer_shapes), including shape-level constant propagation.
 * Runs first, so that folding Shape nodes sees the input shapes, and again last,
 * so that values rewired by canonicalization carry consistent shapes. */
#include "passes/passes.h"

#include "ir/infer.h"

DlaStatus pass_shapes(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    return ir_infer_shapes(g, ctx->diags, err);
}
