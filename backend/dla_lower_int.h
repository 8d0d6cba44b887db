/* dla_lower_int.h - what the per-op lowerings (dla_lower_conv.c,
 * dla_lower_vec.c) share with the driver (dla_lower.c). Internal. */
#ifndef DLA_BACKEND_DLA_LOWER_INT_H
#define DLA_BACKEND_DLA_LOWER_INT_H

#include "dla_emit.h"
#include "ir.h"

#define DLA_NO_ADDR UINT64_MAX

typedef struct DlaLowerCtx {
    const IrGraph *g;
    DlaEmit *em;
    const uint64_t *addr; /* per value index: activation DRAM offset (relative), DLA_NO_ADDR if none */
    DlaError *err;
} DlaLowerCtx;

/* Each lowers one node into em (a layer already begun) and returns its useful MACs. */
DlaStatus dla_lower_conv(DlaLowerCtx *c, int32_t node, uint64_t *macs);  /* QConv, QGemm */
DlaStatus dla_lower_pool(DlaLowerCtx *c, int32_t node, uint64_t *macs);  /* QMaxPool, QAvgPool */
DlaStatus dla_lower_gpool(DlaLowerCtx *c, int32_t node, uint64_t *macs); /* QGlobalAvgPool */
DlaStatus dla_lower_add(DlaLowerCtx *c, int32_t node, uint64_t *macs);   /* QAdd */
DlaStatus dla_lower_lut(DlaLowerCtx *c, int32_t node, uint64_t *macs);   /* QLut */

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

/* 2-D window attributes (kernel, strides, dilations, pads) with ONNX defaults. */
typedef struct DlaWin {
    int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
} DlaWin;
DlaStatus dla_lower_win(DlaLowerCtx *c, int32_t node, int64_t kh, int64_t kw, DlaWin *w);

/* Rows/columns of an input tile for output rows [oh0, oh0+ohn): the first
 * input row (may be negative: padding), the rows needed, and the load's
 * padding split. Fails (unsupported) if the padding exceeds the 3-bit fields. */
typedef struct DlaRows {
    int64_t r0, rows;        /* real input rows [r0, r0+rows) */
    int64_t zpad0, zpad1;    /* padding rows above/below */
    int64_t total;           /* zpad0 + rows + zpad1 */
} DlaRows;
DlaStatus dla_lower_rows(DlaLowerCtx *c, int32_t node, const DlaWin *w, int64_t H, int64_t oh0, int64_t ohn,
                         DlaRows *r);
/* Padded width *Wp of an input tile (covers W + pads and every window; the
 * load pads w->pl on the left and *Wp - W - w->pl on the right, both <= 7),
 * with W, OW <= 1024. Unsupported otherwise. */
DlaStatus dla_lower_cols(DlaLowerCtx *c, int32_t node, const DlaWin *w, int64_t W, int64_t OW, int64_t *Wp);

#endif
