/* quantize_int.h - what pass_quantize (quantize.c) shares with the op
 * families it dispatches to (quantize_<family>.c). Internal to passes/. */
#ifndef DLA_PASSES_QUANTIZE_INT_H
#define DLA_PASSES_QUANTIZE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"

typedef struct Qz {
    IrGraph *g;
    int32_t nv0;      /* values before the pass: qv, host_use cover these */
    int32_t *uses;    /* pu_use_counts */
    int32_t *host_use; /* uses by host nodes, graph outputs and subgraphs */
    int32_t *qv;      /* float value -> its int8 value, -1 */
    int32_t *order;   /* node indices of the result, in order */
    int32_t norder;
    size_t order_cap;
} Qz;

/* Append node to the result, in order. */
void qz_emit(Qz *q, int32_t node);
/* A new int8 activation shaped like float value `like`, named after it. */
int32_t qz_new_int8(Qz *q, int32_t like, float s, int32_t zp);
/* The int8 value standing for float input x (quantized here if the host
 * makes it), its scale and zero point. */
DlaStatus qz_in_q(Qz *q, int32_t x, int32_t *xq, float *sx, int32_t *zx, DlaError *err);
/* A new int8 value for float output y with y's calibrated parameters. */
DlaStatus qz_out_q(Qz *q, int32_t y, float *sy, int32_t *zy, int32_t *yq, DlaError *err);
/* y is now yq; a DequantizeLinear brings y back if the host needs it. */
void qz_finish_output(Qz *q, int32_t y, int32_t yq);
/* Per-tensor parameters of value v. */
void qz_set_quant(IrGraph *g, int32_t v, float s, int32_t zp);

/* quantize_move.c: data movement (quant_is_move_op, channel shuffles). */
DlaStatus qz_move(Qz *q, int32_t n, DlaError *err);
/* Before quantizing: the inputs of accelerator Concat n that are free to
 * choose their parameters take the output's (exact concatenation). */
void qz_concat_unify(Qz *q, int32_t n);

#endif
