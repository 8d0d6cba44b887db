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

int8_t quant_quantize_int8(float x, float scale, int32_t zero_point)
{
    float t = x / scale; /* float32 quotient, as ONNX QuantizeLinear */
    double q = quant_round_half_even((double)t) + zero_point;
    if (q != q)
        return (int8_t)(zero_point < -128 ? -128 : zero_point > 127 ? 127 : zero_point);
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
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
            double r = quant_round_half_even((double)(row[i] / s));
            q[c * per + i] = (int8_t)(r != r ? 0 : r < -127 ? -127 : r > 127 ? 127 : r);
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
        double r = quant_round_half_even((double)(b[c] / bs));
        q[c] = r != r ? 0 : r < INT32_MIN ? INT32_MIN : r > INT32_MAX ? INT32_MAX : (int32_t)r;
    }
}

