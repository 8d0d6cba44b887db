/* calib_stats.c - running calibration statistics, range selection methods and
 * int8/int32 quantization parameters (see calib_stats.h for the exact numerics). */
#include "passes/calib_stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"

static const char *const method_names[CALIB__COUNT] = {
#define X(e, name, desc) [CALIB_##e] = name,
    CALIB_METHODS(X)
#undef X
};

const char *calib_method_name(CalibMethod m)
{
    return (unsigned)m < CALIB__COUNT ? method_names[m] : "?";
}

int calib_method_lookup(const char *name, CalibMethod *out)
{
    for (int i = 0; i < CALIB__COUNT; i++)
        if (strcmp(method_names[i], name) == 0) {
            *out = (CalibMethod)i;
            return 0;
        }
    return -1;
}

/* ---- running statistics ---- */

void calib_stats_init(CalibStats *s, int32_t nbins)
{
    memset(s, 0, sizeof *s);
    if (nbins <= 0)
        nbins = CALIB_DEFAULT_BINS;
    if (nbins < 8)
        nbins = 8;
    nbins = (nbins + 3) / 4 * 4;
    s->nbins = nbins;
    s->min = INFINITY;
    s->max = -INFINITY;
    s->hist = dla_calloc((size_t)nbins, sizeof *s->hist);
}

void calib_stats_free(CalibStats *s)
{
    free(s->hist);
    s->hist = NULL;
}

/* Double the histogram's range: old bin i lands in new bin nbins/4 + i/2
 * (old bin i starts at -2R + (nbins/2 + i) * w_old and new bins are 2*w_old wide). */
static void grow(CalibStats *s)
{
    int32_t n = s->nbins;
    uint64_t *h = dla_calloc((size_t)n, sizeof *h);
    for (int32_t i = 0; i < n; i++)
        h[n / 4 + i / 2] += s->hist[i];
    free(s->hist);
    s->hist = h;
    s->range *= 2;
}

static int32_t bin_of(const CalibStats *s, double x)
{
    double w = 2 * s->range / s->nbins;
    double b = floor((x + s->range) / w);
    return b < 0 ? 0 : b >= s->nbins ? s->nbins - 1 : (int32_t)b;
}

void calib_stats_add(CalibStats *s, const float *x, size_t n)
{
    double amax = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) {
            s->nonfinite++;
            continue;
        }
        if (v < s->min)
            s->min = v;
        if (v > s->max)
            s->max = v;
        if (fabs(v) > amax)
            amax = fabs(v);
        s->count++;
    }
    if (amax > 0 && s->range == 0) {
        s->range = amax;
        s->hist[bin_of(s, 0.0)] += s->zeros_pending;
        s->zeros_pending = 0;
    }
    while (s->range > 0 && amax > s->range)
        grow(s);
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v))
            continue;
        if (s->range == 0)
            s->zeros_pending++;
        else
            s->hist[bin_of(s, v)]++;
    }
}

/* ---- range selection ---- */

/* The value below which a fraction `frac` of the histogram's mass lies, with
 * linear interpolation inside the bin where the cumulative count crosses. */
static double hist_quantile(const CalibStats *s, double frac)
{
    double w = 2 * s->range / s->nbins, target = frac * (double)s->count, cum = 0;
    for (int32_t i = 0; i < s->nbins; i++) {
        double c = (double)s->hist[i];
        if (c > 0 && cum + c >= target)
            return -s->range + w * (i + (target - cum) / c);
        cum += c;
    }
    return s->range;
}

/* Entropy calibration, after S. Migacz, "8-bit Inference with TensorRT"
 * (GTC 2017): over the histogram of |x| (nbins/2 bins of width w), for every
 * candidate threshold i*w with i >= 128, take the reference distribution P =
 * the first i bins with all counts beyond them added to bin i-1, quantize the
 * first i bins into 128 levels (merging i/128 bins per level, the last level
 * taking the remainder), expand each level back evenly over the bins that are
 * nonzero in P, and pick the i minimizing KL(P || Q). Bins where P > 0 but the
 * expansion gives 0 get a tiny probability (1e-12) instead of an infinite
 * divergence, so such candidates lose without poisoning the search. */
static double entropy_threshold(const CalibStats *s)
{
    const int nq = 128;
    int32_t na = s->nbins / 2;
    double w = 2 * s->range / s->nbins;
    if (na < nq)
        return s->range;
    double *a = dla_malloc((size_t)na * sizeof *a), *p = dla_malloc((size_t)na * sizeof *p);
    double *q = dla_malloc((size_t)na * sizeof *q);
    for (int32_t j = 0; j < na; j++) /* fold the signed histogram around 0 */
        a[j] = (double)s->hist[na + j] + (double)s->hist[na - 1 - j];
    double total = 0;
    for (int32_t j = 0; j < na; j++)
        total += a[j];
    double *tail = dla_malloc(((size_t)na + 1) * sizeof *tail); /* tail[i] = sum a[i..na-1] */
    tail[na] = 0;
    for (int32_t j = na - 1; j >= 0; j--)
        tail[j] = tail[j + 1] + a[j];
    double best_kl = INFINITY;
    int32_t best_i = na;
    for (int32_t i = nq; i <= na; i++) {
        for (int32_t j = 0; j < i; j++)
            p[j] = a[j];
        p[i - 1] += tail[i];
        int32_t per = i / nq;
        for (int k = 0; k < nq; k++) {
            int32_t b0 = k * per, b1 = k == nq - 1 ? i : (k + 1) * per;
            double sum = 0;
            int nz = 0;
            for (int32_t j = b0; j < b1; j++) {
                sum += a[j];
                nz += p[j] != 0;
            }
            for (int32_t j = b0; j < b1; j++)
                q[j] = p[j] != 0 && nz ? sum / nz : 0;
        }
        double kl = 0, qsum = 0;
        for (int32_t j = 0; j < i; j++)
            qsum += q[j];
        for (int32_t j = 0; j < i; j++) {
            if (p[j] == 0)
                continue;
            double pj = p[j] / total, qj = qsum > 0 ? q[j] / qsum : 0;
            kl += pj * log(pj / (qj > 0 ? qj : 1e-12));
        }
        if (kl < best_kl) { /* ties keep the smallest threshold, as the reference argmin */
            best_kl = kl;
            best_i = i;
        }
    }
    free(tail);
    free(a);
    free(p);
    free(q);
    return best_i * w;
}

/* Expected squared error of quantizing the histogram (each bin's mass at its
 * center) with the int8 parameters of [lo, hi]. */
static double hist_mse(const CalibStats *s, double lo, double hi)
{
    QuantParams qp = quant_params_int8(lo, hi);
    double w = 2 * s->range / s->nbins, e = 0;
    for (int32_t i = 0; i < s->nbins; i++) {
        if (!s->hist[i])
            continue;
        double x = -s->range + (i + 0.5) * w;
        double r = (double)qp.scale * (quant_quantize_int8((float)x, qp.scale, qp.zero_point) - qp.zero_point);
        e += (double)s->hist[i] * (x - r) * (x - r);
    }
    return e;
}

/* MSE method: choose [lo, hi] with lo = min*j/256 and hi = max*k/256 minimizing
 * the expected squared quantization error (clipping plus rounding, from the
 * histogram). The two ends are searched alternately (hi with lo fixed, then lo
 * with hi fixed, twice), which costs 4*256 histogram sweeps instead of 256^2;
 * ties keep the wider range. */
static void mse_range(const CalibStats *s, double *lo, double *hi)
{
    const int steps = 256;
    double l = s->min, h = s->max;
    for (int round = 0; round < 4; round++) {
        double best = INFINITY, pick = round & 1 ? l : h;
        for (int k = steps; k >= 1; k--) {
            double c = (round & 1 ? s->min : s->max) * k / steps;
            double e = round & 1 ? hist_mse(s, c, h) : hist_mse(s, l, c);
            if (e < best) {
                best = e;
                pick = c;
            }
        }
        if (round & 1)
            l = pick;
        else
            h = pick;
    }
    *lo = l;
    *hi = h;
}

DlaStatus calib_range(const CalibStats *s, CalibMethod m, double percentile, double *lo, double *hi,
                      DlaError *err)
{
    if (s->count == 0)
        return dla_errorf(err, DLA_ERR_INVALID, "calibration: no finite values were observed");
    *lo = s->min;
    *hi = s->max;
    if (s->range == 0) /* every value was zero */
        return DLA_OK;
    switch (m) {
    case CALIB_MINMAX:
        break;
    case CALIB_PERCENTILE: {
        double pc = percentile > 0 ? percentile : CALIB_DEFAULT_PERCENTILE;
        if (!(pc > 50 && pc <= 100))
            return dla_errorf(err, DLA_ERR_INVALID, "calibration: percentile %g is not in (50, 100]", pc);
        double l = hist_quantile(s, 1 - pc / 100), h = hist_quantile(s, pc / 100);
        *lo = l > s->min ? l : s->min;
        *hi = h < s->max ? h : s->max;
        break;
    }
    case CALIB_ENTROPY: {
        double t = entropy_threshold(s);
        *lo = -t > s->min ? -t : s->min;
        *hi = t < s->max ? t : s->max;
        break;
    }
    case CALIB_MSE:
        mse_range(s, lo, hi);
        break;
    default:
        return dla_errorf(err, DLA_ERR_INVALID, "calibration: unknown method %d", (int)m);
    }
    return DLA_OK;
}
