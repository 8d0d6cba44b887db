/* shape_util.h - helpers shared by the shape functions (ir/shape_*.c).
 *
 * Conventions of every shape function:
 *  - it reads its inputs' dtype/shape (and constant data where the output
 *    shape depends on input values) and writes every present output;
 *  - an input of unknown rank or dims gives outputs with unknown dims, never
 *    an error: only inputs that are known and wrong are errors;
 *  - an error message names the input(s) at fault with their shapes
 *    ("input 0 'x' float32[1,8,8] has rank 3, expected 4"); the caller
 *    (ir_infer_shapes) prefixes the node name and op type. */
#ifndef DLA_IR_SHAPE_UTIL_H
#define DLA_IR_SHAPE_UTIL_H

#include "ops.h"

/* Input/output i of node n, NULL when absent (omitted optional, or i >= count). */
IrValue *shp_in(IrGraph *g, int32_t n, int i);
IrValue *shp_out(IrGraph *g, int32_t n, int i);

/* Errors (DLA_ERR_INVALID) with printf formatting. */
DlaStatus shp_err(DlaError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "required input i is absent" */
DlaStatus shp_missing(DlaError *err, int i);

/* "input 1 'w' float32[8,3,3,3]": a description for messages (thread-local
 * rotating buffers, valid for the next few calls). */
const char *shp_desc(IrGraph *g, int32_t n, int i);
const char *shp_sstr(const IrShape *s);

/* Set output (no-op for NULL): dtype and shape (NULL shape = unknown rank).
 * Clears the sequence/optional flags: the output is a plain tensor. */
void shp_set(IrValue *out, IrDtype dt, const IrShape *s);
IrShape shp_unknown(void);       /* rank -1 */
IrShape shp_rank(int rank);       /* given rank, all dims unknown */
static inline int shp_has_rank(const IrValue *v) { return v && v->shape.rank >= 0; }
/* Set dim i to a computed value (clears its symbol). */
static inline void shp_dim(IrShape *s, int i, int64_t d) { s->dims[i] = d < 0 ? -1 : d; s->sym[i] = NULL; }
/* Copy dim j of b into dim i of a, with its symbol. */
static inline void shp_copy_dim(IrShape *a, int i, const IrShape *b, int j)
{
    a->dims[i] = b->dims[j];
    a->sym[i] = b->sym[j];
}

/* Dim arithmetic on values from the model (hostile ones included): 0 on
 * overflow, so that callers report instead of overflowing. */
static inline int shp_mul(int64_t a, int64_t b, int64_t *out) { return !__builtin_mul_overflow(a, b, out); }
static inline int shp_add(int64_t a, int64_t b, int64_t *out) { return !__builtin_add_overflow(a, b, out); }

/* Normalise axis into [0, rank); 0 if out of range. */
int shp_axis(int64_t axis, int rank, int *out);

/* The node's "axis" attribute normalised by shp_axis against rank; an error
 * naming input 0 if it is out of range. */
DlaStatus shp_attr_axis(IrGraph *g, int32_t node, int rank, int *out, DlaError *err);

/* Numpy multidirectional broadcasting; 0 when incompatible. Unknown dims
 * broadcast to unknown unless the other side fixes them (1 vs d -> d). */
int shp_broadcast(const IrShape *a, const IrShape *b, IrShape *out);

/* Constant data. shp_const_* return the element count written to out (at most
 * max elements are read, the count is that of the tensor), or -1 if v is not a
 * constant with data of a suitable dtype. Integer reading accepts every integer
 * type and bool; float reading accepts float16/32/64 and the integers. */
int shp_is_const(const IrValue *v);
int64_t shp_const_ints(const IrValue *v, int64_t *out, int64_t max);
int64_t shp_const_doubles(const IrValue *v, double *out, int64_t max);
/* Scalar (or 1-element) integer constant; 0 if not available. */
int shp_const_int1(const IrValue *v, int64_t *out);

/* Element type helpers. */
int shp_dtype_is_int(IrDtype t);
int shp_dtype_is_float(IrDtype t);

/* Infer a subgraph (If/Loop/Scan/SequenceMap body) whose inputs the caller has
 * typed: outer-scope values are imported through g->parent by name. The first
 * problem is returned in err (prefixed "in subgraph 'name': "). Defined in infer.c. */
DlaStatus ir_infer_subgraph(IrGraph *body, DlaError *err);

#endif
