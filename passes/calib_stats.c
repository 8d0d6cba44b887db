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
        s->zeros += v == 0;
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
 * (GTC 2017), adapted to the quantizer dlacc actually uses: asymmetric, 255
 * steps over [lo, hi] (docs/quant.md), where the original folds |x| and models
 * a symmetric 128-level one. That model is what broke it: on a ReLU output
 * half of the symmetric grid is wasted, so the 128 levels it optimizes stand
 * for 255 real ones and it clips far too hard (12.4 dB on resnet18 against
 * 28.7 for min/max).
 *
 * A candidate range is a window of histogram bins [l, h). The reference
 * distribution P is the window's counts with everything left of it added to
 * bin l and everything right of it to bin h-1 (clipping moves mass to the
 * ends); Q quantizes the window into KL_LEVELS levels (h-l bins split as
 * evenly as integers allow) and spreads each level's mass evenly over the
 * bins that are nonzero in P. Bins where P > 0 but Q is 0 get 1e-12 instead
 * of an infinite divergence. The two ends are searched alternately (h with l
 * fixed, then l with h fixed, twice), as the MSE method does, over candidates
 * at most KL_CANDIDATES apart per sweep; a window narrower than KL_LEVELS bins
 * cannot be quantized into that many levels, so the whole observed range is
 * kept when the data occupy fewer bins. */
#define KL_LEVELS 255
#define KL_CANDIDATES 256

static double kl_window(const CalibStats *s, const double *pre, int32_t l, int32_t h, double *p, double *q)
{
    int32_t nb = h - l;
    double total = pre[s->nbins];
    for (int32_t j = 0; j < nb; j++)
        p[j] = pre[l + j + 1] - pre[l + j];
    p[0] += pre[l];
    p[nb - 1] += total - pre[h];
    for (int k = 0; k < KL_LEVELS; k++) {
        int32_t b0 = (int32_t)((int64_t)k * nb / KL_LEVELS), b1 = (int32_t)((int64_t)(k + 1) * nb / KL_LEVELS);
        double sum = pre[l + b1] - pre[l + b0];
        int nz = 0;
        for (int32_t j = b0; j < b1; j++)
            nz += p[j] != 0;
        for (int32_t j = b0; j < b1; j++)
            q[j] = p[j] != 0 && nz ? sum / nz : 0;
    }
    double kl = 0, qsum = 0;
    for (int32_t j = 0; j < nb; j++)
        qsum += q[j];
    for (int32_t j = 0; j < nb; j++) {
        if (p[j] == 0)
            continue;
        double pj = p[j] / total, qj = qsum > 0 ? q[j] / qsum : 0;
        kl += pj * log(pj / (qj > 0 ? qj : 1e-12));
    }
    return kl;
}

static void entropy_range(const CalibStats *s, double *lo, double *hi)
{
    int32_t nb = s->nbins, bmin = bin_of(s, s->min), bmax = bin_of(s, s->max) + 1;
    double w = 2 * s->range / nb;
    *lo = s->min;
    *hi = s->max;
    if (bmax - bmin < KL_LEVELS)
        return;
    /* Exact zeros are left out: zero is exactly representable whatever the
     * range, and their spike (half of a ReLU output) in one bin would make
     * every level that holds it look badly spread, pulling the window in
     * until levels are single bins (a ReLU output clipped at ~2 sigma). */
    int32_t bz = bin_of(s, 0.0);
    double *pre = dla_malloc(((size_t)nb + 1) * sizeof *pre); /* pre[i] = sum hist[0..i-1] */
    pre[0] = 0;
    for (int32_t i = 0; i < nb; i++)
        pre[i + 1] = pre[i] + (double)s->hist[i] - (i == bz ? (double)s->zeros : 0);
    double *p = dla_malloc((size_t)nb * sizeof *p), *q = dla_malloc((size_t)nb * sizeof *q);
    int32_t l = bmin, h = bmax;
    for (int round = 0; round < 4; round++) {
        int right = !(round & 1);
        int32_t first = right ? l + KL_LEVELS : bmin, last = right ? bmax : h - KL_LEVELS;
        int32_t step = (last - first) / KL_CANDIDATES + 1;
        double best = INFINITY;
        int32_t pick = right ? h : l;
        /* from the widest window inwards: ties keep the wider range */
        for (int32_t c = right ? last : first; right ? c >= first : c <= last; c += right ? -step : step) {
            double kl = right ? kl_window(s, pre, l, c, p, q) : kl_window(s, pre, c, h, p, q);
            if (kl < best) {
                best = kl;
                pick = c;
            }
        }
        if (right)
            h = pick;
        else
            l = pick;
    }
    free(pre);
    free(p);
    free(q);
    /* bin edges, never beyond what was observed */
    double el = -s->range + w * l, eh = -s->range + w * h;
    *lo = el > s->min ? el : s->min;
    *hi = eh < s->max ? eh : s->max;
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
        entropy_range(s, lo, hi);
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
