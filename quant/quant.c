/* quant.c - the integer arithmetic of quant.h (see there for the exact numerics). */
#include "quant.h"

#include <float.h>
#include <math.h>

double quant_round_half_even(double x)
{
    double r = floor(x), d = x - r;
    if (d > 0.5 || (d == 0.5 && fmod(r, 2.0) != 0.0))
        r += 1.0;
    return r;
}

int64_t quant_rne(float f)
{
    if (f != f)
        return 0;
    const double lim = 4611686018427387904.0; /* 2^62 */
    double d = f;
    if (d >= lim)
        return (int64_t)lim;
    if (d <= -lim)
        return -(int64_t)lim;
    return (int64_t)quant_round_half_even(d); /* exact: d is a float, floor(d) an integer near it */
}

int32_t quant_quantize(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi)
{
    float t = x / scale; /* one binary32 division, as ONNX QuantizeLinear */
    return quant_sat(quant_rne(t) + zero_point, lo, hi);
}

int8_t quant_quantize_int8(float x, float scale, int32_t zero_point)
{
    return (int8_t)quant_quantize(x, scale, zero_point, QUANT_INT8_MIN, QUANT_INT8_MAX);
}

uint8_t quant_quantize_uint8(float x, float scale, int32_t zero_point)
{
    return (uint8_t)quant_quantize(x, scale, zero_point, QUANT_UINT8_MIN, QUANT_UINT8_MAX);
}

float quant_dequantize(int32_t q, float scale, int32_t zero_point)
{
    return (float)((int64_t)q - zero_point) * scale;
}

float quant_requant_scale(float sx, float sw, float sy)
{
    float t = sx * sw; /* multiply first, then divide (docs/quant.md) */
    return t / sy;
}

int32_t quant_requant(int32_t acc, float scale, int32_t zero_point, int32_t lo, int32_t hi)
{
    float f = (float)acc * scale;
    return quant_sat(quant_rne(f) + zero_point, lo, hi);
}

int32_t quant_requant_fixed(int32_t acc, int32_t mult, uint32_t shift, int32_t zero_point, int32_t lo, int32_t hi)
{
    if (shift > 62)
        return quant_sat(zero_point, lo, hi);
    int64_t x = (int64_t)acc * mult; /* |x| <= 2^62: exact */
    int64_t q = x;
    if (shift) {
        /* floor(x / 2^n) without shifting a negative number (implementation-defined in C) */
        q = x >= 0 ? x >> shift : -((-(x + 1)) >> shift) - 1;
        int64_t r = x - q * ((int64_t)1 << shift); /* in [0, 2^n) */
        int64_t half = (int64_t)1 << (shift - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
    }
    return quant_sat(q + zero_point, lo, hi);
}

QuantParams quant_params_int8(double lo, double hi)
{
    QuantParams p = {1.0f, 0};
    if (lo > 0)
        lo = 0;
    if (hi < 0)
        hi = 0;
    if (!(hi > lo)) /* all zeros (or NaN input): any scale represents 0 exactly */
        return p;
    p.scale = (float)((hi - lo) / 255.0);
    if (!(p.scale > 0)) /* range below float's smallest subnormal*255 */
        p.scale = FLT_MIN;
    double zp = quant_round_half_even(-128.0 - lo / (double)p.scale);
    p.zero_point = (int32_t)(zp < -128 ? -128 : zp > 127 ? 127 : zp);
    return p;
}

void quant_weights_int8(const float *w, int64_t channels, int64_t per, float *scales, int8_t *q)
{
    for (int64_t c = 0; c < channels; c++) {
        const float *row = w + c * per;
        float m = 0;
        for (int64_t i = 0; i < per; i++) {
            float a = fabsf(row[i]);
            if (a > m) /* NaN never compares greater: ignored */
                m = a;
        }
        float s = m > 0 ? m / 127.0f : 1.0f;
        if (!(s > 0)) /* m so small that m/127 underflows to 0 */
            s = FLT_MIN;
        scales[c] = s;
        for (int64_t i = 0; i < per; i++) {
            q[c * per + i] = (int8_t)quant_sat(quant_rne(row[i] / s), -127, 127);
        }
    }
}

void quant_bias_int32(const float *b, int64_t channels, float in_scale, const float *w_scales,
                      float *bias_scales, int32_t *q)
{
    for (int64_t c = 0; c < channels; c++) {
        float bs = in_scale * w_scales[c];
        if (bias_scales)
            bias_scales[c] = bs;
        if (!(bs != 0)) {
            q[c] = 0;
            continue;
        }
        q[c] = quant_sat(quant_rne(b[c] / bs), INT32_MIN, INT32_MAX);
    }
}

