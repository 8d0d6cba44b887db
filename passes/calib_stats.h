/* calib_stats.h - calibration statistics and int8 quantization parameters.
 *
 * Post-training quantization runs the float graph on calibration inputs and
 * feeds every activation tensor, batch by batch, into a CalibStats. From those
 * statistics one of four methods picks the float range [lo, hi] to represent,
 * and quant_params_int8 turns it into per-tensor asymmetric int8 parameters.
 * Weights are quantized per output channel, symmetric, and biases to int32.
 * Pure C over float arrays; nothing here knows about graphs.
 *
 * The int8 arithmetic itself (parameters, quantize, weights, bias) is defined
 * once, in quant/quant.h. */
#ifndef DLA_CALIB_STATS_H
#define DLA_CALIB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dla_err.h"
#include "quant/quant.h"

#define CALIB_METHODS(X)                                                           \
    X(MINMAX, "minmax", "the observed minimum and maximum")                         \
    X(PERCENTILE, "percentile", "both tails clipped at a percentile (99.99%)")     \
    X(ENTROPY, "entropy", "range minimizing KL divergence (TensorRT method, 255 asymmetric levels)") \
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
    uint64_t zeros;      /* exact zeros among them (ReLU outputs: often half) */
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

#endif
