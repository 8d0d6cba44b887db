/* quant.h - the one definition of dlacc's integer arithmetic: rounding,
 * quantization parameters, quantize, and the quantization of weights and
 * biases. Every module that turns floats into integers (calibration and
 * quantization passes, the host backend's boundary code, the driver, the
 * integer reference) calls these; nobody writes them again.
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
#ifndef DLA_QUANT_QUANT_H
#define DLA_QUANT_QUANT_H

#include <stdint.h>

typedef struct QuantParams {
    float scale;
    int32_t zero_point;
} QuantParams;

/* Asymmetric int8 parameters of the float range [lo, hi] (widened to contain 0). */
QuantParams quant_params_int8(double lo, double hi);
/* ONNX QuantizeLinear to int8 (NaN gives the zero point). */
int8_t quant_quantize_int8(float x, float scale, int32_t zero_point);
/* Round half to even, exactly, independent of the floating-point environment. */
double quant_round_half_even(double x);

/* Per-output-channel symmetric int8 weights: w has `channels` rows of `per`
 * values (OIHW order: per = I*H*W). Writes channels scales and channels*per q. */
void quant_weights_int8(const float *w, int64_t channels, int64_t per, float *scales, int8_t *q);
/* int32 bias: writes bias_scales (may be NULL) and q, channels entries each. */
void quant_bias_int32(const float *b, int64_t channels, float in_scale, const float *w_scales, float *bias_scales,
                      int32_t *q);

#endif
