/* quantize_int.h - what pass_quantize (quantize.c) shares with the op-family
 * files (quantize_<family>.c). Internal to passes/. The state is visible to
 * them; the helpers are quantize.c's own (see the comments there). */
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

IrGraph *qz_graph(Qz *q);
/* Append node to the result order. */
void qz_emit(Qz *q, int32_t node);
/* The int8 value standing for float input x, its scale and zero point. */
DlaStatus qz_in(Qz *q, int32_t x, int32_t *xq, float *sx, int32_t *zx, DlaError *err);
/* A new int8 value for float output y with y's calibrated parameters. */
DlaStatus qz_out(Qz *q, int32_t y, float *sy, int32_t *zy, int32_t *yq, DlaError *err);
/* A new int8 value shaped like float value `like`, with the given parameters. */
int32_t qz_new_int8(Qz *q, int32_t like, float s, int32_t zp);
/* y is now yq; a DequantizeLinear keeps y for the host when needed. */
void qz_finish_output(Qz *q, int32_t y, int32_t yq);
/* Explicit [top, left, bottom, right] pads of a 2-D conv/pool (auto_pad resolved). */
void qz_resolve_pads(const IrGraph *g, int32_t n, const IrShape *xs, const int64_t *k, const int64_t *s,
                     const int64_t *d, int64_t pads[4]);

/* ---- padding and pooling (quantize_padpool.c) ---- */

/* Pad, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean, ReduceMax. */
int qz_is_padpool(const IrNode *nd);
/* Quantize one of them (partition accepted it). */
DlaStatus qz_padpool(Qz *q, int32_t n, DlaError *err);
/* A node whose int8 output keeps its input's parameters (max, pad): it
 * cannot take another's (int8_concat). */
int qz_keeps_input_params(const IrNode *nd);
/* Pads beyond DLA_MAX_PAD on some side: emit a QPad of xq by all of p with
 * the int8 `value`, zero p, and return the padded value; else xq as is. */
int32_t qz_pad_large(Qz *q, int32_t xq, int64_t p[4], int32_t value, const char *name);

/* lo/hi of a requantization from a fused Relu/Clip node act (-1: none). */
void qz_act_bounds(const IrGraph *g, int32_t act, float sy, int32_t zy, int32_t *lo, int32_t *hi);
/* Per-channel int8 weights [oc, per], int32 bias with the zero-point
 * correction, scales S[c] (as for QConv), and their constant values. */
void qz_quant_wb(Qz *q, const float *wf, const float *bf, int64_t oc, int64_t per, float sx, int32_t zx, float sy,
                 int8_t *wq, int32_t *bq, float *sw, float *S);
void qz_wb_values(Qz *q, int32_t node, int rank, const int64_t *wdims, int8_t *wq, const float *sw, int32_t *bq,
                  int32_t *wv, int32_t *bv); /* takes wq, bq */

/* The upsampling family (passes/quantize_upsample.c): Resize, Upsample, ConvTranspose. */
int quant_upsample_supported(const IrGraph *g, int32_t n, const char **why);
DlaStatus qz_upsample(Qz *q, int32_t n, int32_t act, DlaError *err);
/* Per-tensor parameters of value v. */
void qz_set_quant(IrGraph *g, int32_t v, float s, int32_t zp);

/* quantize_move.c: data movement (quant_is_move_op, channel shuffles). */
DlaStatus qz_move(Qz *q, int32_t n, DlaError *err);
/* Before quantizing: the inputs of accelerator Concat n that are free to
 * choose their parameters take the output's (exact concatenation). */
void qz_concat_unify(Qz *q, int32_t n);

#endif
