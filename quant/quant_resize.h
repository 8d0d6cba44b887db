/* quant_resize.h - the one definition of where a resized output pixel reads
 * (ONNX Resize / Upsample, docs/quant.md "Upsampling"): per output index
 * along one axis, the input indices and the fixed-point weight of the second
 * one. The quantizer, the integer reference (backend/qref) and the DLA
 * lowering all call this, so that they agree on every tap.
 *
 * The source coordinate x of output index o (input size `in`, output size
 * `out`) is an exact rational number here (ONNX computes it in floating
 * point; for the integer factors dlacc runs on the accelerator both agree,
 * ties included: half_pixel never lands on a tie, asymmetric ties are
 * o / f = k + 1/2 with f even, exact in binary):
 *   half_pixel, half_pixel_symmetric  x = ((2o + 1) * in - out) / (2 * out)
 *   pytorch_half_pixel                the same, 0 when out == 1
 *   align_corners                     x = o * (in - 1) / (out - 1), 0 when out == 1
 *   asymmetric                        x = o * in / out
 *   tf_half_pixel_for_nn              x = (2o + 1) * in / (2 * out)
 * (half_pixel_symmetric equals half_pixel when out = in * scale exactly,
 * which dlacc requires.) An axis with out == in is copied (i0 = i1 = o), as
 * the host backend does whatever the coordinate mode.
 *
 * Nearest: i = floor(x), plus one when nearest_mode says so (ratio = x -
 * floor(x) > 0: round_prefer_floor ratio > 1/2, round_prefer_ceil ratio >=
 * 1/2, ceil always, floor never), clamped to [0, in - 1]; w = 0, i1 = i0.
 * Linear: i0 = floor(x), i1 = i0 + 1, w = rne(ratio * 2^shift) (round half
 * to even of the exact rational), both indices clamped to [0, in - 1]
 * (ONNX: edge values); w = 0 when they coincide. A tap reads
 * (2^shift - w) * X[i0] + w * X[i1]. */
#ifndef DLA_QUANT_RESIZE_H
#define DLA_QUANT_RESIZE_H

#include <stdint.h>

typedef enum QuantResizeCoord {
    QUANT_RC_HALF_PIXEL,
    QUANT_RC_PYTORCH_HALF_PIXEL,
    QUANT_RC_ALIGN_CORNERS,
    QUANT_RC_ASYMMETRIC,
    QUANT_RC_TF_HALF_PIXEL_FOR_NN,
    QUANT_RC_HALF_PIXEL_SYMMETRIC,
} QuantResizeCoord;

typedef enum QuantResizeNearest {
    QUANT_RN_ROUND_PREFER_FLOOR,
    QUANT_RN_ROUND_PREFER_CEIL,
    QUANT_RN_FLOOR,
    QUANT_RN_CEIL,
    QUANT_RN_LINEAR = -1, /* not nearest: the linear taps */
} QuantResizeNearest;

/* Fixed-point bits of a linear weight: 1.0 = 2^QUANT_RESIZE_SHIFT. The two
 * axes multiply to 2^(2*shift); with int8 inputs every partial sum of the
 * DLA's and the reference's arithmetic stays below 2^29 (no wrap-around). */
#define QUANT_RESIZE_SHIFT 10

typedef struct QuantResizeTap {
    int64_t i0, i1; /* input indices, in [0, in) */
    int32_t w;      /* weight of i1 in 1/2^shift units, [0, 2^shift]; 0 for nearest */
} QuantResizeTap;

/* Name -> enum (-1 for an unknown name). */
int quant_resize_coord_parse(const char *name);
int quant_resize_nearest_parse(const char *name);

/* The tap of output index o (0 <= o < out; in, out >= 1). */
QuantResizeTap quant_resize_tap(int coord, int nearest, int64_t o, int64_t in, int64_t out, int shift);

/* round_half_even(v / 2^n), n in [0, 62]: the ALU's `rshr`. */
int64_t quant_rshift_rne(int64_t v, int n);

#endif
