/* infer.h - shape and dtype inference over a whole graph.
 *
 * ir_infer_shapes walks the nodes in order and runs each op's shape function
 * (ops.def). A node that fails (unknown op, wrong arity, bad shapes or
 * attributes) gets a diagnostic "node 'NAME' (OpType): MESSAGE" naming the
 * inputs and shapes at fault; its outputs keep only what the model declared
 * (unknown otherwise) and inference continues, so that every problem is
 * reported at once. Declared types (value_info, graph outputs) fill in what
 * inference leaves unknown; a declared dtype or dim that contradicts the
 * inferred one is a diagnostic too.
 *
 * Shape-level constant propagation: after a node's shapes are known, outputs
 * of Shape, Size, Constant and of small integer/shape arithmetic (Gather,
 * Concat, Slice, (Un)Squeeze, Reshape, Cast, Add/Sub/Mul/Div, Range,
 * ConstantOfShape, Expand, Where, Equal...) over constant inputs are given
 * constant data (IR_VAL_CONST while the producer node stays), so that exporter
 * chains like Shape -> Gather -> Concat -> Reshape resolve to static shapes;
 * Gather(Shape(x), const) folds as soon as the gathered dims of x are known
 * (others may be symbolic). Only outputs of at most IR_FOLD_MAX_ELEMS
 * elements are materialized. The values come from ir_const_eval
 * (consteval.h), the one constant evaluator, which pass_fold uses too.
 *
 * Subgraphs (If/Loop/Scan bodies) are inferred by their node's shape function;
 * their references to outer-scope values are resolved by name through
 * g->parent. */
#ifndef DLA_IR_INFER_H
#define DLA_IR_INFER_H

#include "diag.h"
#include "ir.h"

#define IR_FOLD_MAX_ELEMS 4096

/* Returns DLA_OK if no node had a problem, else the first problem's code with
 * err filled (its message as in the diagnostic). diags may be NULL. */
DlaStatus ir_infer_shapes(IrGraph *g, IrDiagList *diags, DlaError *err);

/* Shape-level constant propagation of one node whose output shapes are known
 * (called by ir_infer_shapes; exposed for passes). Returns 1 if its outputs
 * got constant data. */
int ir_fold_shape_node(IrGraph *g, int32_t node);

#endif
