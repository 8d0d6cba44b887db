/* consteval.h - THE constant evaluator: one node's output computed from
 * constant inputs. There is exactly one, used by
 *   - shape inference (ir_fold_shape_node, infer.c): shape-tensor arithmetic
 *     (Shape -> Gather -> Concat -> Reshape chains), outputs of at most
 *     IR_FOLD_MAX_ELEMS elements, kept as data while the node stays;
 *   - pass_fold (passes/fold.c): decides which nodes to replace by constants
 *     and materializes them under its own size limit.
 *
 * Semantics follow the ONNX operator spec (opset 1-21 forms of each op:
 * attributes before opset 10/13, inputs after). Float results are computed in
 * double and rounded once to the output type: for + - * / that gives exactly
 * the float32 result, because double carries more than 2*24+2 significand
 * bits. Integer arithmetic wraps (two's complement); an integer division by
 * zero is left unevaluated (it is undefined, not a constant). Larger float math
 * (Conv, reductions...) is left to the host backend.
 *
 * Covered: Shape, Size, Constant, ConstantOfShape, Range, Cast, Identity,
 * Reshape, Flatten, Squeeze, Unsqueeze, Expand, Transpose, Concat, Slice,
 * Gather (also Gather(Shape(x), const) when only the gathered dims of x are
 * known), Where, Add, Sub, Mul, Div, Max, Min (two inputs), Equal, Less,
 * Greater, Neg, Abs, Ceil, Floor, Relu.
 *
 * ir_const_eval_float adds the element-wise float math of consteval_math.c
 * (Sigmoid, Tanh, Erf, Exp, Log, Sqrt, the trigonometric functions,
 * Softplus, Softsign, Mish, Gelu, Elu, Selu, Celu, LeakyRelu, HardSigmoid,
 * HardSwish, ThresholdedRelu, Shrink, Sign, Round, Reciprocal, Clip, PRelu,
 * Pow), computed as the host backend computes them (float32 operation by
 * operation, the C library's float functions). The quantizer evaluates
 * lookup tables with it (passes/act_group.h). Folding and shape inference
 * keep to ir_const_eval: they do not bake one libm's transcendental results
 * into a model (the host computes them at run time). */
#ifndef DLA_IR_CONSTEVAL_H
#define DLA_IR_CONSTEVAL_H

#include "ir.h"

/* Output 0 of an evaluated node. */
typedef struct IrConstResult {
    IrDtype dt;
    IrShape sh;
    void *data;    /* graph-owned (ir_graph_alloc_data), or an input's data when shared */
    size_t nbytes;
    int shared;    /* 1: data is input 0's (or a Constant attribute's) data, not a copy */
} IrConstResult;

/* Evaluate output 0 of node n. limit: the most output elements to compute
 * (pure reinterpretations - Identity, Reshape, (Un)Squeeze, Flatten - share
 * their input's data and are not limited). Returns 1 with *r filled; 0 when the
 * node cannot be evaluated (an input is not constant, op or dtype not covered,
 * output over limit); -1 when the constant inputs break the op's rules (a
 * Reshape to a different element count...), with err (may be NULL) naming the
 * node, op and fault. */
int ir_const_eval(IrGraph *g, int32_t n, int64_t limit, IrConstResult *r, DlaError *err);

/* ir_const_eval, and when it does not evaluate node n, the float math above. */
int ir_const_eval_float(IrGraph *g, int32_t n, int64_t limit, IrConstResult *r, DlaError *err);

/* 1 if op is one of the one-input element-wise float functions that
 * ir_const_eval_float adds (consteval_math.c: Sigmoid, Tanh, Gelu, ...; not
 * the exact ones Abs, Neg, Ceil, Floor, Relu, which ir_const_eval covers for
 * every dtype). */
int ir_const_math_unary(IrOp op);

#endif
