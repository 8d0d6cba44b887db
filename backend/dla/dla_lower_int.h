/* dla_lower_int.h - what the passes (dla_pass_*.c) and the per-op
 * instruction selection (dla_lower_conv.c, dla_lower_vec.c,
 * dla_lower_eltwise.c) share. Internal. */
#ifndef DLA_BACKEND_DLA_LOWER_INT_H
#define DLA_BACKEND_DLA_LOWER_INT_H

#include "dla_emit.h"
#include "dla_plan.h"
#include "ir.h"

typedef struct DlaLowerCtx {
    const IrGraph *g;
    DlaEmit *em;
    const uint64_t *addr; /* per value index: activation DRAM offset (relative), DLA_NO_ADDR if none */
    DlaError *err;
    DlaPlanLayer *layer;  /* the layer being lowered (its tiling and SRAM offsets) */
    const int64_t *pitch; /* per value: pixel/row pitch in DRAM when not dense (plan pitch), NULL: all dense */
} DlaLowerCtx;

/* The tiling of a QConv / QGemm (dla_pass_tile.c): reads the node, chooses
 * units, chunks, tiles and residency for the target; cv->tiles is malloc'd. */
DlaStatus dla_conv_tile(DlaLowerCtx *c, int32_t node, DlaConv *cv);
/* The same for QMaxPool / QAvgPool. */
DlaStatus dla_pool_tile(DlaLowerCtx *c, int32_t node, DlaPool *pl);

/* Number of leading inputs of a Q-op that are activations (the rest constant). */
int dla_act_inputs(const IrNode *nd);

/* Each lowers one node into em (a layer already begun) and returns its useful MACs. */
DlaStatus dla_lower_conv(DlaLowerCtx *c, int32_t node, uint64_t *macs);  /* QConv, QGemm */
DlaStatus dla_lower_pool(DlaLowerCtx *c, int32_t node, uint64_t *macs);  /* QMaxPool, QAvgPool */
DlaStatus dla_lower_gpool(DlaLowerCtx *c, int32_t node, uint64_t *macs); /* QGlobalAvgPool */
DlaStatus dla_lower_binary(DlaLowerCtx *c, int32_t node, uint64_t *macs); /* QAdd QSub QMul QMax QMin */
DlaStatus dla_lower_lut(DlaLowerCtx *c, int32_t node, uint64_t *macs);   /* QLut */
DlaStatus dla_lower_concat(DlaLowerCtx *c, int32_t node, uint64_t *macs); /* QConcat */
DlaStatus dla_lower_pad(DlaLowerCtx *c, int32_t node, uint64_t *macs);   /* QPad (dla_lower_pad.c) */
/* QAvgPool with one scale per window count (dla_lower_pad.c): requantize the
 * output tile [ohn][own][Cb] at acc `out` (outputs oh0.., ow0..) region by
 * region, each region's outputs sharing one count (param word count-1). */
void dla_pool_requant_regions(DlaEmit *e, const DlaPool *pl, int incl, uint64_t out, int64_t oh0, int64_t ohn,
                              int64_t ow0, int64_t own);
/* QSlice, QTranspose, QReshape, QChannelShuffle (dla_lower_move.c); a view
 * layer emits nothing. */
DlaStatus dla_lower_move(DlaLowerCtx *c, int32_t node, uint64_t *macs);
int dla_is_move_op(IrOp op);
/* The layout pass's view decisions (layer.view, plan alias[]) and
 * zero-copy concatenation inputs (alias, alias_off, pitch). */
void dla_move_views(DlaLowerPlan *p);

/* "node 'name' (Op): " + message, DLA_ERR_UNSUPPORTED or _INVALID. */
DlaStatus dla_lower_err(DlaLowerCtx *c, int32_t node, DlaStatus code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Per-tensor quantization of a value (zero point; scale), error if absent. */
DlaStatus dla_lower_quant(DlaLowerCtx *c, int32_t node, int32_t v, float *scale, int32_t *zp);

/* NCHW dims of an activation (rank 2 [M,K] -> n=1, c=K, h=M, w=1; rank 4 as is). */
typedef struct DlaDims {
    int64_t n, c, h, w;
} DlaDims;
DlaStatus dla_lower_dims(DlaLowerCtx *c, int32_t node, int32_t v, DlaDims *d);

/* 2-D window attributes (DlaWin, dla_plan.h) with ONNX defaults; padding at
 * most DLA_MAX_PAD per side, kernel/stride/dilation at most DLA_MAX_EXTENT. */
DlaStatus dla_lower_win(DlaLowerCtx *c, int32_t node, int64_t kh, int64_t kw, DlaWin *w);

/* The input span (rows or columns) of a tile of outputs [o0, o0+on) along
 * one spatial axis (input size `in`, kernel k, stride s, dilation d, padding
 * pb before): the first real input index and count, and the padding the load
 * adds before/after. Fails (unsupported) when the padding exceeds the DMA's
 * padding fields (DLA_MAX_PAD) or no real input is covered. */
typedef struct DlaSpan {
    int64_t i0, n;           /* real inputs [i0, i0+n) */
    int64_t pad0, pad1;      /* padding before/after */
    int64_t total;           /* pad0 + n + pad1 = (on-1)*s + (k-1)*d + 1 */
} DlaSpan;
DlaStatus dla_lower_span(DlaLowerCtx *c, int32_t node, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb,
                         int64_t o0, int64_t on, DlaSpan *r);
/* Inputs a tile of `on` outputs spans: (on-1)*s + (k-1)*d + 1. */
static inline int64_t dla_span_len(int64_t on, int64_t k, int64_t s, int64_t d) { return (on - 1) * s + (k - 1) * d + 1; }

#endif
