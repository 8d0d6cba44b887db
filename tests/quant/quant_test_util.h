/* quant_test_util.h - helpers of the tests/quant tests: a seeded generator,
 * float bits, and graphs built for the host JIT with their inputs kept aside. */
#ifndef DLA_QUANT_TEST_UTIL_H
#define DLA_QUANT_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "backend/host/host.h"
#include "dla_test.h"

static uint64_t rng_state; /* each test sets its seed */
static inline uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}
static inline int rnd_in(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }
static inline float rnd_unit(void) { return (float)(rnd() % 1000000) / 1000000.0f; }
/* log-uniform in [lo, hi] */
static inline float rnd_log(float lo, float hi) { return (float)(lo * pow((double)hi / lo, rnd_unit())); }

static inline uint32_t f2b(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}
static inline float b2f(uint32_t b)
{
    float f;
    memcpy(&f, &b, 4);
    return f;
}


/* A graph built for the host JIT with its inputs' data kept aside. */
typedef struct HostG {
    IrGraph *g;
    void *in[4096];
    int nin;
} HostG;

static inline int32_t hg_value(HostG *h, const char *name, IrDtype dt, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    int32_t v = ir_value_add(h->g, name, dt, &s);
    CU_ASSERT_FATAL(v >= 0);
    return v;
}

/* A run-time input holding data (not copied: must outlive the run). */
static inline int32_t hg_input(HostG *h, const char *name, IrDtype dt, int rank, const int64_t *dims, const void *data)
{
    int32_t v = hg_value(h, name, dt, rank, dims);
    ir_graph_add_input(h->g, v);
    CU_ASSERT_FATAL(h->nin < 4096);
    h->in[h->nin++] = (void *)data;
    return v;
}

static inline int32_t hg_const(HostG *h, const char *name, IrDtype dt, int rank, const int64_t *dims, const void *data)
{
    int32_t v = hg_value(h, name, dt, rank, dims);
    IrShape s = ir_shape_make(rank, dims);
    ir_value_set_data(h->g, v, data, (size_t)ir_shape_numel(&s) * ir_dtype_size(dt));
    return v;
}

/* Compile and run; outputs in graph order. */
static inline void hg_run(HostG *h, void **out)
{
    DlaError e = {0};
    HostModel *m = NULL;
    DlaStatus st = host_jit_compile(h->g, NULL, &m, &e);
    if (st)
        fprintf(stderr, "host compile: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    host_model_run(m, h->in, out);
    host_model_free(m);
}

#endif
