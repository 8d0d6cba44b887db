/* quant.h - the one definition of dlacc's integer arithmetic: rounding,
 * saturation, quantize, dequantize, requantize, quantization parameters, and
 * the quantization of weights and biases. Every module that turns floats into
 * integers or rescales integers calls these: the calibration and quantization
 * passes, the driver's boundary code (QuantizeLinear/DequantizeLinear between
 * host and DLA segments), the integer reference (backend/qref). Nobody writes
 * them again. docs/quant.md says where each module gets them.
 *
 * Two implementations are not C calls into this file, and are tested bit for
 * bit against it (tests/quant/test_quant_arith.c, and test_quant_host_dla.c
 * for the host's QLinear ops against the DLA path):
 *  - the simulator's REQUANT/FTOI kernels (isa/sim_exec.c): the hardware model
 *    sits below the compiler and links nothing of it; docs/isa.md defines the
 *    instruction, and the formulas below are that definition;
 *  - the host backend's LLVM emission of QuantizeLinear, DequantizeLinear,
 *    QLinearConv and QLinearMatMul (backend/host/host_ops_quant.c): generated
 *    code cannot call into the compiler, so it emits the same IEEE binary32
 *    operations in the same order (no FMA, no double products).
 *
 * Numerics (exact, so that other modules and tests can reproduce them). Every
 * floating-point step is ONE IEEE binary32 operation with round-to-nearest-even,
 * in the order written; f32(i) converts an integer to binary32 (nearest even).
 *  - rne(f): f rounded to the nearest integer, ties to even; NaN -> 0;
 *      magnitudes at or beyond 2^62 clamp to +-2^62 (callers saturate long
 *      before). rne(+inf) therefore saturates to the top of any range.
 *  - sat(v, lo, hi) = min(max(v, lo), hi) in exact integer arithmetic.
 *  - quantize (ONNX QuantizeLinear, and the int8 activation of every quantized
 *      value): q = sat(rne(x / scale) + zp, lo, hi), x / scale one binary32
 *      division; int8 [-128,127], uint8 [0,255], int16 [-32768,32767].
 *      NaN input (or 0/0) gives sat(zp).
 *  - dequantize (ONNX DequantizeLinear): x = f32(q - zp) * scale, q - zp exact.
 *  - requantize, the DLA's REQUANT mode=fp32 (docs/isa.md) and the output
 *      step of QConv/QGemm/QAvgPool/QConcat (docs/quant.md):
 *      requant(acc, S, zp, lo, hi) = sat(rne(f32(acc) * S) + zp, lo, hi)
 *      with S = requant_scale(sx, sw, sy) = (sx * sw) / sy: multiply first,
 *      then divide, both binary32. This is also ONNX Runtime's QLinearConv /
 *      QLinearMatMul output rounding (MLAS: float(acc) * scale, round half to
 *      even, + zero point, saturate), which the ONNX node tests pass with.
 *  - requantize, fixed point (REQUANT mode=fixed): with a multiplier M (int32)
 *      and a shift n in [0, 62]:
 *      requant_fixed(acc, M, n, zp, lo, hi) = sat(rshift_rne(acc * M, n) + zp, lo, hi)
 *      where acc * M is the exact 64-bit product and rshift_rne(v, n) = v / 2^n
 *      rounded to nearest, ties to even.
 *  - int8 asymmetric parameters: real = scale * (q - zero_point), q in [-128, 127].
 *      lo' = min(lo, 0), hi' = max(hi, 0)   (0 must be exactly representable)
 *      scale = (float)((hi' - lo') / 255)   computed in double, rounded to float;
 *              if hi' == lo' (all zeros) scale = 1, zero_point = 0
 *      zero_point = clamp(round_half_even(-128 - lo' / scale), -128, 127) in double
 *  - weights, per output channel c (dim 0): scale[c] = max|w_c| / 127 in float32
 *      (1.0 when the channel is all zeros), q = clamp(rne(w / scale[c]),
 *      -127, 127): symmetric, zero point 0, -128 never produced.
 *  - bias: bias_scale[c] = in_scale * w_scale[c] (float32 product),
 *      q = saturate_int32(rne(b / bias_scale[c])) with the quotient in
 *      float32; q = 0 where bias_scale is 0. Zero point 0. */
#ifndef DLA_QUANT_QUANT_H
#define DLA_QUANT_QUANT_H

#include <stdint.h>

typedef struct QuantParams {
    float scale;
    int32_t zero_point;
} QuantParams;

/* The ranges of the integer types quantize produces. */
#define QUANT_INT8_MIN (-128)
#define QUANT_INT8_MAX 127
#define QUANT_UINT8_MIN 0
#define QUANT_UINT8_MAX 255
#define QUANT_INT16_MIN (-32768)
#define QUANT_INT16_MAX 32767

/* ---- rounding and saturation ---- */

/* Round half to even, exactly, independent of the floating-point environment
 * (double: calibration statistics). */
double quant_round_half_even(double x);
/* rne(f) of a binary32 value (see above: NaN -> 0, clamped to +-2^62). */
int64_t quant_rne(float f);
/* sat(v, lo, hi). */
static inline int32_t quant_sat(int64_t v, int32_t lo, int32_t hi)
{
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* ---- activations ---- */

/* sat(rne(x / scale) + zp, lo, hi). */
int32_t quant_quantize(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi);
/* ONNX QuantizeLinear to int8 / uint8. */
int8_t quant_quantize_int8(float x, float scale, int32_t zero_point);
uint8_t quant_quantize_uint8(float x, float scale, int32_t zero_point);
/* ONNX DequantizeLinear: f32(q - zp) * scale. */
float quant_dequantize(int32_t q, float scale, int32_t zero_point);

/* ---- requantization (the DLA's REQUANT) ---- */

/* The fp32 requantization scale of an accumulator of sx * sw units into sy
 * units: (sx * sw) / sy. */
float quant_requant_scale(float sx, float sw, float sy);
/* REQUANT mode=fp32: sat(rne(f32(acc) * scale) + zp, lo, hi). */
int32_t quant_requant(int32_t acc, float scale, int32_t zero_point, int32_t lo, int32_t hi);
/* REQUANT mode=fixed: sat(rshift_rne(acc * mult, shift) + zp, lo, hi); shift <= 62
 * (larger shifts are an error on the DLA; here they give zp, saturated). */
int32_t quant_requant_fixed(int32_t acc, int32_t mult, uint32_t shift, int32_t zero_point, int32_t lo, int32_t hi);

/* ---- parameters, weights and biases (calibration and the quantize pass) ---- */

/* Asymmetric int8 parameters of the float range [lo, hi] (widened to contain 0). */
QuantParams quant_params_int8(double lo, double hi);
/* Per-output-channel symmetric int8 weights: w has `channels` rows of `per`
 * values (OIHW order: per = I*H*W). Writes channels scales and channels*per q. */
void quant_weights_int8(const float *w, int64_t channels, int64_t per, float *scales, int8_t *q);
/* int32 bias: writes bias_scales (may be NULL) and q, channels entries each. */
void quant_bias_int32(const float *b, int64_t channels, float in_scale, const float *w_scales, float *bias_scales,
                      int32_t *q);

#endif
