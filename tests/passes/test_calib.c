/* test_calib.c - calibration statistics and quantization numerics against
 * hand-computed values and sanity properties of each range method. */
#include "dla_test.h"
#include "passes/calib_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_rounding(void)
{
    CU_ASSERT_EQUAL(quant_round_half_even(0.5), 0);
    CU_ASSERT_EQUAL(quant_round_half_even(1.5), 2);
    CU_ASSERT_EQUAL(quant_round_half_even(2.5), 2);
    CU_ASSERT_EQUAL(quant_round_half_even(-0.5), 0);
    CU_ASSERT_EQUAL(quant_round_half_even(-1.5), -2);
    CU_ASSERT_EQUAL(quant_round_half_even(-2.5), -2);
    CU_ASSERT_EQUAL(quant_round_half_even(2.4999), 2);
    CU_ASSERT_EQUAL(quant_round_half_even(-2.5001), -3);
    /* quantize: x/scale in float, half to even, then zero point, then saturate */
    CU_ASSERT_EQUAL(quant_quantize_int8(1.25f, 0.5f, 0), 2);   /* 2.5 -> 2 */
    CU_ASSERT_EQUAL(quant_quantize_int8(0.75f, 0.5f, 0), 2);   /* 1.5 -> 2 */
    CU_ASSERT_EQUAL(quant_quantize_int8(-1.25f, 0.5f, 0), -2);
    CU_ASSERT_EQUAL(quant_quantize_int8(0.0f, 0.5f, 10), 10);
    CU_ASSERT_EQUAL(quant_quantize_int8(1000.0f, 0.5f, 0), 127);
    CU_ASSERT_EQUAL(quant_quantize_int8(-1000.0f, 0.5f, 0), -128);
    CU_ASSERT_EQUAL(quant_quantize_int8(60.0f, 0.5f, 10), 127); /* 120 + 10 saturates */
}

static void test_qparams(void)
{
    QuantParams p = quant_params_int8(-64.0, 63.5); /* scale exactly 0.5 */
    CU_ASSERT_EQUAL(p.scale, 0.5f);
    CU_ASSERT_EQUAL(p.zero_point, 0);
    p = quant_params_int8(-63.0, 64.5);
    CU_ASSERT_EQUAL(p.zero_point, -2);
    p = quant_params_int8(-63.75, 63.75); /* -128 + 127.5 = -0.5 -> 0 (half to even) */
    CU_ASSERT_EQUAL(p.scale, 0.5f);
    CU_ASSERT_EQUAL(p.zero_point, 0);
    p = quant_params_int8(-64.25, 63.25); /* -128 + 128.5 = 0.5 -> 0 */
    CU_ASSERT_EQUAL(p.zero_point, 0);
    p = quant_params_int8(-64.75, 62.75); /* -128 + 129.5 = 1.5 -> 2 */
    CU_ASSERT_EQUAL(p.zero_point, 2);
    p = quant_params_int8(0.0, 2.55);
    CU_ASSERT_EQUAL(p.scale, (float)(2.55 / 255.0));
    CU_ASSERT_EQUAL(p.zero_point, -128);
    p = quant_params_int8(1.0, 2.55); /* lo raised to include 0 */
    CU_ASSERT_EQUAL(p.zero_point, -128);
    p = quant_params_int8(-2.55, -1.0); /* hi lowered to include 0 */
    CU_ASSERT_EQUAL(p.scale, (float)(2.55 / 255.0));
    CU_ASSERT_EQUAL(p.zero_point, 127);
    p = quant_params_int8(-0.5, 2.0); /* zp = round(-128 + 0.5/(2.5/255)) = round(-76.999..) */
    CU_ASSERT_EQUAL(p.zero_point, -77);
    /* 0 is exactly representable */
    CU_ASSERT_EQUAL(quant_quantize_int8(0.0f, p.scale, p.zero_point), p.zero_point);
    p = quant_params_int8(0.0, 0.0);
    CU_ASSERT(p.scale == 1.0f && p.zero_point == 0);
}

static void test_weights_bias(void)
{
    const float w[] = {1, -2, 0.5f, 0, 0, 0, 127, 63.5f, -0.5f};
    float sc[3];
    int8_t q[9];
    quant_weights_int8(w, 3, 3, sc, q);
    CU_ASSERT_EQUAL(sc[0], 2.0f / 127.0f);
    CU_ASSERT_EQUAL(sc[1], 1.0f); /* all-zero channel */
    CU_ASSERT_EQUAL(sc[2], 1.0f);
    /* ch0: 1/(2/127) = 63.5 -> 64 (even), -127, 0.5/(2/127) = 31.75 -> 32 */
    CU_ASSERT(q[0] == 64 && q[1] == -127 && q[2] == 32);
    CU_ASSERT(q[3] == 0 && q[4] == 0 && q[5] == 0);
    CU_ASSERT(q[6] == 127 && q[7] == 64 && q[8] == 0); /* 63.5 -> 64, -0.5 -> 0 */

    const float b[] = {1.0f, -3.5f, 1e12f};
    const float ws[] = {0.25f, 2.0f, 1.0f};
    float bs[3];
    int32_t qb[3];
    quant_bias_int32(b, 3, 0.5f, ws, bs, qb);
    CU_ASSERT(bs[0] == 0.125f && bs[1] == 1.0f && bs[2] == 0.5f);
    CU_ASSERT_EQUAL(qb[0], 8);
    CU_ASSERT_EQUAL(qb[1], -4); /* -3.5 -> -4 (even) */
    CU_ASSERT_EQUAL(qb[2], INT32_MAX); /* saturates */
}

static uint64_t hist_total(const CalibStats *s)
{
    uint64_t t = 0;
    for (int32_t i = 0; i < s->nbins; i++)
        t += s->hist[i];
    return t;
}

/* A deterministic standard normal sample (LCG + Box-Muller). */
static float *normal_data(size_t n, uint64_t seed)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i += 2) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u1 = ((seed >> 11) + 1.0) / 9007199254740993.0;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u2 = (seed >> 11) / 9007199254740992.0;
        double r = sqrt(-2 * log(u1));
        x[i] = (float)(r * cos(2 * M_PI * u2));
        if (i + 1 < n)
            x[i + 1] = (float)(r * sin(2 * M_PI * u2));
    }
    return x;
}

static void test_minmax_batches(void)
{
    CalibStats s;
    calib_stats_init(&s, 0);
    CU_ASSERT_EQUAL(s.nbins, CALIB_DEFAULT_BINS);
    double lo, hi;
    DlaError err = {0};
    CU_ASSERT_EQUAL(calib_range(&s, CALIB_MINMAX, 0, &lo, &hi, &err), DLA_ERR_INVALID);
    const float z[] = {0, 0, 0};
    calib_stats_add(&s, z, 3); /* zeros before any range is known */
    const float a[] = {0.5f, -0.25f, NAN, 0.125f};
    calib_stats_add(&s, a, 4);
    const float b[] = {3.0f, -7.5f}; /* forces the range to grow (0.5 -> 8) */
    calib_stats_add(&s, b, 2);
    CU_ASSERT_EQUAL(s.count, 8);
    CU_ASSERT_EQUAL(s.nonfinite, 1);
    CU_ASSERT_EQUAL(hist_total(&s), 8);
    CU_ASSERT_EQUAL(s.range, 8.0);
    CU_ASSERT_EQUAL_FATAL(calib_range(&s, CALIB_MINMAX, 0, &lo, &hi, &err), DLA_OK);
    CU_ASSERT(lo == -7.5 && hi == 3.0);
    /* each value sits in the bin that contains it, after the merges */
    double w = 2 * s.range / s.nbins;
    CU_ASSERT_EQUAL(s.hist[(int)floor((3.0 + 8) / w)], 1);
    CU_ASSERT_EQUAL(s.hist[(int)floor((0.0 + 8) / w)], 3); /* the three early zeros */
    CU_ASSERT_EQUAL(s.hist[(int)floor((0.125 + 8) / w)], 1);
    calib_stats_free(&s);

    calib_stats_init(&s, 10); /* rounded up to a multiple of 4 */
    CU_ASSERT_EQUAL(s.nbins, 12);
    calib_stats_add(&s, z, 3);
    CU_ASSERT_EQUAL(calib_range(&s, CALIB_ENTROPY, 0, &lo, &hi, &err), DLA_OK);
    CU_ASSERT(lo == 0 && hi == 0);
    calib_stats_free(&s);
}

/* Percentile of a known distribution: uniform on [0, 100) in 100000 steps. */
static void test_percentile(void)
{
    CalibStats s;
    calib_stats_init(&s, 0);
    float *x = malloc(100000 * sizeof *x);
    for (int i = 0; i < 100000; i++)
        x[i] = (float)(i / 1000.0);
    for (int k = 0; k < 10; k++) /* ten batches */
        calib_stats_add(&s, x + k * 10000, 10000);
    double lo, hi, w = 2 * s.range / s.nbins;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(calib_range(&s, CALIB_PERCENTILE, 99.0, &lo, &hi, &err), DLA_OK);
    CU_ASSERT_DOUBLE_EQUAL(hi, 99.0, w);
    CU_ASSERT_DOUBLE_EQUAL(lo, 1.0, w);
    CU_ASSERT_EQUAL_FATAL(calib_range(&s, CALIB_PERCENTILE, 0, &lo, &hi, &err), DLA_OK); /* 99.99 */
    CU_ASSERT_DOUBLE_EQUAL(hi, 99.99, w);
    CU_ASSERT(hi <= s.max);
    CU_ASSERT_EQUAL(calib_range(&s, CALIB_PERCENTILE, 20.0, &lo, &hi, &err), DLA_ERR_INVALID);
    free(x);
    calib_stats_free(&s);
}

/* Entropy and MSE on a normal sample with one far outlier: both clip the
 * outlier (threshold well below max), stay above the bulk of the data, and
 * the MSE choice has a smaller error than the plain min/max range. The entropy
 * threshold cannot go below 128 of the 1024 |x| bins (12.5 here). For MSE, with
 * n = 2^20 samples in about [-5.4, 5.4] and one at 100, clipping at T costs
 * (100-T)^2 and rounding about n (T+5.4)^2 / (255^2 * 12); the sum is smallest
 * near T = 40, far below 100 and far above the bulk. */
static void test_entropy_mse(void)
{
    size_t n = 1u << 20;
    float *x = normal_data(n, 42);
    x[0] = 100.0f;
    CalibStats s;
    calib_stats_init(&s, 0);
    calib_stats_add(&s, x, n / 2);
    calib_stats_add(&s, x + n / 2, n / 2);
    double lo, hi, elo, ehi, mlo, mhi;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(calib_range(&s, CALIB_MINMAX, 0, &lo, &hi, &err), DLA_OK);
    CU_ASSERT_EQUAL(hi, 100.0);
    CU_ASSERT_EQUAL_FATAL(calib_range(&s, CALIB_ENTROPY, 0, &elo, &ehi, &err), DLA_OK);
    CU_ASSERT(ehi <= s.max && elo >= s.min);
    CU_ASSERT(ehi > 2.0 && ehi < 20.0);
    CU_ASSERT(elo < -2.0 && elo > -20.0);
    CU_ASSERT_EQUAL_FATAL(calib_range(&s, CALIB_MSE, 0, &mlo, &mhi, &err), DLA_OK);
    CU_ASSERT(mhi > 30.0 && mhi < 55.0);
    CU_ASSERT(mlo < -2.0);
    /* check the MSE claim directly on the data */
    double e_mm = 0, e_mse = 0;
    QuantParams pm = quant_params_int8(lo, hi), pe = quant_params_int8(mlo, mhi);
    for (size_t i = 0; i < n; i++) {
        double a = pm.scale * (quant_quantize_int8(x[i], pm.scale, pm.zero_point) - pm.zero_point) - x[i];
        double b = pe.scale * (quant_quantize_int8(x[i], pe.scale, pe.zero_point) - pe.zero_point) - x[i];
        e_mm += a * a;
        e_mse += b * b;
    }
    CU_ASSERT(e_mse < e_mm);
    free(x);
    calib_stats_free(&s);

    /* uniform data without outliers: entropy keeps (nearly) the whole range */
    calib_stats_init(&s, 0);
    float u[4096];
    for (int i = 0; i < 4096; i++)
        u[i] = (float)i / 4096.0f * 6.0f;
    calib_stats_add(&s, u, 4096);
    CU_ASSERT_EQUAL_FATAL(calib_range(&s, CALIB_ENTROPY, 0, &elo, &ehi, &err), DLA_OK);
    CU_ASSERT(ehi <= s.max && ehi > 0.9 * s.max);
    calib_stats_free(&s);
    CalibMethod m;
    CU_ASSERT(calib_method_lookup("entropy", &m) == 0 && m == CALIB_ENTROPY);
    CU_ASSERT(calib_method_lookup("kl", &m) == -1);
    CU_ASSERT_STRING_EQUAL(calib_method_name(CALIB_MSE), "mse");
}

/* A ReLU output (max(x, 0) of a normal sample: half exact zeros): the
 * entropy range starts at the minimum (0) and keeps the bulk, at least 3
 * standard deviations; its mean squared error is below that of min/max, which
 * spends steps on a sparse tail. The earlier symmetric 128-level model chose
 * [0, 1.15] here (MSE 4000x that of min/max). */
static void test_entropy_relu(void)
{
    size_t n = 1u << 20;
    float *x = normal_data(n, 7);
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] < 0 ? 0.0f : x[i];
    CalibStats s;
    calib_stats_init(&s, 0);
    calib_stats_add(&s, x, n);
    double lo, hi;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(calib_range(&s, CALIB_ENTROPY, 0, &lo, &hi, &err), DLA_OK);
    CU_ASSERT_EQUAL(lo, s.min);
    CU_ASSERT(hi >= 3.0 && hi <= s.max);
    double e_kl = 0, e_mm = 0;
    QuantParams pk = quant_params_int8(lo, hi), pm = quant_params_int8(s.min, s.max);
    for (size_t i = 0; i < n; i++) {
        double a = pk.scale * (quant_quantize_int8(x[i], pk.scale, pk.zero_point) - pk.zero_point) - x[i];
        double b = pm.scale * (quant_quantize_int8(x[i], pm.scale, pm.zero_point) - pm.zero_point) - x[i];
        e_kl += a * a;
        e_mm += b * b;
    }
    CU_ASSERT(e_kl < e_mm);
    free(x);
    calib_stats_free(&s);
}

void dla_register_tests(void)
{
    DLA_SUITE("passes_calib", {"rounding", test_rounding}, {"qparams", test_qparams},
              {"weights_bias", test_weights_bias}, {"minmax_batches", test_minmax_batches},
              {"percentile", test_percentile}, {"entropy_mse", test_entropy_mse},
              {"entropy_relu", test_entropy_relu});
}
