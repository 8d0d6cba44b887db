/* calib_stats.h - calibration statistics and int8 quantization parameters.
 *
 * Post-training quantization runs the float graph on calibration inputs and
 * feeds every activation tensor, batch by batch, into a CalibStats. From those
 * statistics one of four methods picks the float range [lo, hi] to represent,
 * and calib_qparams_int8 turns it into per-tensor asymmetric int8 parameters.
 * Weights are quantized per output channel, symmetric, and biases to int32.
 * Pure C over float arrays; nothing here knows about graphs.
 *
 * Numerics (exact, so that other modules and tests can reproduce them):
 *  - int8 asymmetric: real = scale * (q - zero_point), q in [-128, 127].
 *      lo' = min(lo, 0), hi' = max(hi, 0)   (0 must be exactly representable)
 *      scale = (float)((hi' - lo') / 255)   computed in double, rounded to float;
 *              if hi' == lo' (all zeros) scale = 1, zero_point = 0
 *      zero_point = clamp(round_half_even(-128 - lo' / scale), -128, 127)
 *  - quantize (ONNX QuantizeLinear): q = saturate(round_half_even(x / scale) + zp),
 *      x / scale computed in float32.
 *  - weights, per output channel c (dim 0): scale[c] = max|w_c| / 127 in float32
 *      (1.0 when the channel is all zeros), q = clamp(round_half_even(w / scale[c]),
 *      -127, 127): symmetric, zero point 0, -128 never produced.
 *  - bias: bias_scale[c] = in_scale * w_scale[c] (float32 product),
 *      q = saturate_int32(round_half_even(b / bias_scale[c])) with the quotient in
 *      float32; q = 0 where bias_scale is 0. Zero point 0. */
#ifndef DLA_CALIB_STATS_H
#define DLA_CALIB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dla_err.h"

#define CALIB_METHODS(X)                                                           \
    X(MINMAX, "minmax", "the observed minimum and maximum")                         \
    X(PERCENTILE, "percentile", "both tails clipped at a percentile (99.99%)")     \
    X(ENTROPY, "entropy", "threshold minimizing KL divergence (TensorRT method)")   \
    X(MSE, "mse", "range minimizing the expected squared quantization error")

typedef enum CalibMethod {
#define X(e, name, desc) CALIB_##e,
    CALIB_METHODS(X)
#undef X
    CALIB__COUNT
} CalibMethod;

const char *calib_method_name(CalibMethod m);
/* 0 and *out set on success, -1 for an unknown name. */
int calib_method_lookup(const char *name, CalibMethod *out);

#define CALIB_DEFAULT_BINS 2048
#define CALIB_DEFAULT_PERCENTILE 99.99

/* Running statistics of one tensor. The histogram covers [-range, range] in
 * nbins equal bins; when a batch exceeds the range, the range doubles and pairs
 * of bins merge (exactly, no re-interpolation), so the result does not depend
 * on how the data was split into batches beyond that doubling. */
typedef struct CalibStats {
    double min, max;     /* over finite values seen */
    uint64_t count;      /* finite values seen */
    uint64_t nonfinite;  /* NaN/inf values: ignored, counted for reports */
    int32_t nbins;       /* multiple of 4 */
    double range;        /* 0 until a nonzero value arrives */
    uint64_t zeros_pending; /* zeros seen while range == 0 */
    uint64_t *hist;      /* nbins counts, malloc'd */
} CalibStats;

/* nbins 0: CALIB_DEFAULT_BINS; otherwise rounded up to a multiple of 4 (min 8). */
void calib_stats_init(CalibStats *s, int32_t nbins);
void calib_stats_free(CalibStats *s);
void calib_stats_add(CalibStats *s, const float *x, size_t n);

/* The range [lo, hi] chosen by a method. percentile is used by
 * CALIB_PERCENTILE only (e.g. 99.99; 0 selects the default). Fails
 * (DLA_ERR_INVALID) if no finite value was seen. */
DlaStatus calib_range(const CalibStats *s, CalibMethod m, double percentile, double *lo, double *hi,
                      DlaError *err);

typedef struct CalibQParams {
    float scale;
    int32_t zero_point;
} CalibQParams;

CalibQParams calib_qparams_int8(double lo, double hi);
int8_t calib_quantize_int8(float x, float scale, int32_t zero_point);
/* Round half to even, exactly, independent of the floating-point environment. */
double calib_round_half_even(double x);

/* Per-output-channel symmetric int8 weights: w has `channels` rows of `per`
 * values (OIHW order: per = I*H*W). Writes channels scales and channels*per q. */
void calib_quant_weights(const float *w, int64_t channels, int64_t per, float *scales, int8_t *q);
/* int32 bias: writes bias_scales (may be NULL) and q, channels entries each. */
void calib_quant_bias(const float *b, int64_t channels, float in_scale, const float *w_scales,
                      float *bias_scales, int32_t *q);

#endif
