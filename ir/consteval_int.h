/* consteval_int.h - helpers shared by the constant evaluator's files
 * (consteval.c: element access, arithmetic, generators; consteval_move.c:
 * data movement). Internal to ir/. */
#ifndef DLA_IR_CONSTEVAL_INT_H
#define DLA_IR_CONSTEVAL_INT_H

#include "consteval.h"

/* An evaluator's answer: CE_YES (result filled), CE_NO, or -1 with err set. */
enum { CE_NO = 0, CE_YES = 1 };

/* A constant operand: data is not necessarily aligned (it may borrow a file
 * mapping), so elements are read with memcpy. */
typedef struct CeTensor {
    IrDtype dt;
    IrShape sh;
    int64_t n;
    size_t esz;
    const uint8_t *p;
} CeTensor;

static inline int ce_is_float(IrDtype t) { return t == DT_FLOAT || t == DT_DOUBLE; }
static inline int ce_is_int(IrDtype t)
{
    switch (t) {
    case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: case DT_INT32:
    case DT_INT64: case DT_UINT32: case DT_UINT64: case DT_BOOL:
        return 1;
    default:
        return 0;
    }
}
static inline int ce_is_num(IrDtype t) { return ce_is_float(t) || ce_is_int(t); }
static inline int64_t ce_norm_axis(int64_t axis, int rank) { return axis < 0 ? axis + rank : axis; }

/* Element i as a double / an int64 (floats: NaN -> 0, saturating). */
double ce_get_d(const CeTensor *t, int64_t i);
int64_t ce_get_i(const CeTensor *t, int64_t i);
/* Store element i of dtype t: an integer wraps to the width of t; a double is
 * rounded once (float) or converted as ce_get_i does (integers). */
void ce_set_i(void *p, IrDtype t, int64_t i, int64_t v);
void ce_set_d(void *p, IrDtype t, int64_t i, double v);
/* Input i of node n as a constant operand; 0 if absent or not constant. */
int ce_operand(IrGraph *g, int32_t n, int32_t i, CeTensor *t);
/* Error "node 'NAME' (OpType): what" (err may be NULL). */
DlaStatus ce_bad(IrGraph *g, int32_t n, DlaError *err, const char *what);
/* Graph-owned output data for dt x sh, recorded in r. */
void *ce_alloc_out(IrGraph *g, IrConstResult *r, IrDtype dt, const IrShape *sh);
/* Linear index -> coordinates in s; coordinates of out -> linear index in the
 * (broadcast: dims of 1 repeat) tensor of shape in. */
void ce_unravel(const IrShape *s, int64_t li, int64_t *c);
int64_t ce_bcast_index(const IrShape *out, const IrShape *in, const int64_t *c);
/* Multidirectional (numpy) broadcast of a and b into out; 0 if incompatible. */
int ce_bcast_shape(const IrShape *a, const IrShape *b, IrShape *out);

/* consteval_move.c */
int ce_reshape_like(IrGraph *g, int32_t n, IrConstResult *r, DlaError *err);
int ce_where(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit);
int ce_gather(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err);
int ce_concat(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err);
int ce_slice(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err);
int ce_transpose(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err);
int ce_expand(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit);

/* consteval_math.c: element-wise float math (unary activations and math
 * functions, Clip, PRelu, Pow) with the host backend's float semantics. */
int ce_math(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit);

#endif
