/* quant_resize.c - the taps of an ONNX Resize in exact rational arithmetic
 * (quant_resize.h). */
#include "quant_resize.h"

#include <string.h>

int quant_resize_coord_parse(const char *name)
{
    static const char *const names[] = {"half_pixel",           "pytorch_half_pixel", "align_corners", "asymmetric",
                                        "tf_half_pixel_for_nn", "half_pixel_symmetric"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (name && !strcmp(name, names[i]))
            return i;
    return -1;
}

int quant_resize_nearest_parse(const char *name)
{
    static const char *const names[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (name && !strcmp(name, names[i]))
            return i;
    return -1;
}

static int64_t floor_div(int64_t a, int64_t b) /* b > 0 */
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t clamp(int64_t v, int64_t hi) { return v < 0 ? 0 : v > hi ? hi : v; }

int64_t quant_rshift_rne(int64_t v, int n)
{
    if (n <= 0)
        return v;
    int64_t q = v >> n; /* floor (arithmetic shift) */
    int64_t r = v - q * ((int64_t)1 << n), half = (int64_t)1 << (n - 1);
    if (r > half || (r == half && (q & 1)))
        q++;
    return q;
}

QuantResizeTap quant_resize_tap(int coord, int nearest, int64_t o, int64_t in, int64_t out, int shift)
{
    QuantResizeTap t = {o, o, 0};
    if (in == out) /* an axis of factor 1 is a copy (as the host backend: its "identity" taps) */
        return t;
    /* x = num / den, den > 0 */
    int64_t num, den;
    switch (coord) {
    case QUANT_RC_PYTORCH_HALF_PIXEL:
        if (out == 1) {
            num = 0, den = 1;
            break;
        }
        /* fall through */
    case QUANT_RC_HALF_PIXEL:
    case QUANT_RC_HALF_PIXEL_SYMMETRIC: num = (2 * o + 1) * in - out, den = 2 * out; break;
    case QUANT_RC_ALIGN_CORNERS:
        if (out == 1)
            num = 0, den = 1;
        else
            num = o * (in - 1), den = out - 1;
        break;
    case QUANT_RC_TF_HALF_PIXEL_FOR_NN: num = (2 * o + 1) * in, den = 2 * out; break;
    default: num = o * in, den = out; break; /* asymmetric */
    }
    int64_t fl = floor_div(num, den), rem = num - fl * den; /* ratio = rem / den in [0, 1) */
    if (nearest != QUANT_RN_LINEAR) {
        int up = 0;
        if (rem != 0) {
            switch (nearest) {
            case QUANT_RN_ROUND_PREFER_FLOOR: up = 2 * rem > den; break;
            case QUANT_RN_ROUND_PREFER_CEIL: up = 2 * rem >= den; break;
            case QUANT_RN_CEIL: up = 1; break;
            default: up = 0; break;
            }
        }
        t.i0 = t.i1 = clamp(fl + up, in - 1);
        return t;
    }
    /* w = rne(rem * 2^shift / den), exact integers */
    int64_t p = rem << shift, q = p / den, r = p - q * den;
    if (2 * r > den || (2 * r == den && (q & 1)))
        q++;
    t.i0 = fl;
    t.i1 = fl + 1;
    t.w = (int32_t)q;
    if (t.w == 0)
        t.i1 = t.i0;
    else if (t.w == (int32_t)1 << shift)
        t.i0 = t.i1, t.w = 0;
    t.i0 = clamp(t.i0, in - 1);
    t.i1 = clamp(t.i1, in - 1);
    if (t.i0 == t.i1)
        t.w = 0;
    return t;
}
