/* sim_kernels.c - the simulator's hot loops: int8 x int8 -> int32 dot
 * products. They are plain C written so that gcc -O3 vectorizes them
 * (sign-extend to int16, multiply-add pairs to int32: pmaddwd), compiled for
 * several x86 ISA levels with target_clones so one binary uses AVX2/AVX-512
 * where the CPU has it. Sums are formed in int32 chunks that cannot overflow
 * (|x*w| <= 2^14, so 2^16 products stay below 2^31) and then added with
 * wrap-around, which is the ISA's accumulator semantics. */
#include "sim_internal.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(DLA_SANITIZE)
#define SIM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SIM_CLONES
#endif

#define SIM_CHUNK 65536

static inline int32_t dot_chunk(const int8_t *restrict x, const int8_t *restrict w, size_t n)
{
    int32_t s = 0;
    for (size_t k = 0; k < n; k++)
        s += (int32_t)x[k] * (int32_t)w[k];
    return s;
}

/* One reduction of length n <= SIM_CHUNK for four columns at once: the x
 * loads are shared, and gcc keeps four vector accumulators. */
static inline void dot4_chunk(const int8_t *restrict x, const int8_t *restrict w0, size_t pitch, size_t n,
                              uint32_t *out)
{
    const int8_t *restrict w1 = w0 + pitch, *restrict w2 = w1 + pitch, *restrict w3 = w2 + pitch;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t k = 0; k < n; k++) {
        int32_t xv = x[k];
        s0 += xv * w0[k];
        s1 += xv * w1[k];
        s2 += xv * w2[k];
        s3 += xv * w3[k];
    }
    out[0] += (uint32_t)s0;
    out[1] += (uint32_t)s1;
    out[2] += (uint32_t)s2;
    out[3] += (uint32_t)s3;
}

SIM_CLONES
void sim_gemv_i8(int32_t *acc, const int8_t *x, const int8_t *w, size_t pitch, uint32_t C, size_t K)
{
    uint32_t c = 0;
    for (; c + 4 <= C; c += 4) {
        uint32_t sum[4] = {(uint32_t)acc[c], (uint32_t)acc[c + 1], (uint32_t)acc[c + 2], (uint32_t)acc[c + 3]};
        for (size_t k0 = 0; k0 < K; k0 += SIM_CHUNK)
            dot4_chunk(x + k0, w + (size_t)c * pitch + k0, pitch, K - k0 < SIM_CHUNK ? K - k0 : SIM_CHUNK, sum);
        for (int i = 0; i < 4; i++)
            acc[c + i] = (int32_t)sum[i];
    }
    for (; c < C; c++) {
        const int8_t *wc = w + (size_t)c * pitch;
        uint32_t sum = (uint32_t)acc[c];
        for (size_t k0 = 0; k0 < K; k0 += SIM_CHUNK) {
            size_t n = K - k0 < SIM_CHUNK ? K - k0 : SIM_CHUNK;
            sum += (uint32_t)dot_chunk(x + k0, wc + k0, n);
        }
        acc[c] = (int32_t)sum;
    }
}

void sim_wt_prepare(int16_t *wt, const int8_t *w, size_t pitch, uint32_t C, size_t K)
{
    for (uint32_t c = 0; c < C; c++)
        for (size_t k = 0; k < K; k++)
            wt[k * C + c] = w[(size_t)c * pitch + k];
}

/* acc[c] += sum_k x[k] * wt[k][c], vectorized over c: no horizontal sums, so
 * short reductions (K = 16) run as fast as long ones. C is a compile-time
 * constant in each instance, so the partial sums live in registers. */
#define GEMV_T(CC) \
    do { \
        int32_t s[CC] = {0}; \
        for (size_t k = 0; k < K; k++) { \
            int32_t xv = x[k]; \
            const int16_t *restrict r = wt + k * (CC); \
            for (int c = 0; c < (CC); c++) \
                s[c] += xv * r[c]; \
        } \
        for (int c = 0; c < (CC); c++) \
            acc[c] = (int32_t)((uint32_t)acc[c] + (uint32_t)s[c]); \
    } while (0)

SIM_CLONES
void sim_gemv_t(int32_t *restrict acc, const int8_t *restrict x, const int16_t *restrict wt, uint32_t C, size_t K)
{
    switch (C) {
    case 8: GEMV_T(8); break;
    case 16: GEMV_T(16); break;
    case 32: GEMV_T(32); break;
    case 64: GEMV_T(64); break;
    case 128: GEMV_T(128); break;
    default:
        for (uint32_t c = 0; c < C; c++) {
            int32_t sc = 0;
            for (size_t k = 0; k < K; k++)
                sc += (int32_t)x[k] * wt[k * C + c];
            acc[c] = (int32_t)((uint32_t)acc[c] + (uint32_t)sc);
        }
    }
}

/* Depthwise: for i < n: acc[i*sd + c] += x[i*sx + c] * w[i*sw + c], c < C.
 * The channel loop is innermost and contiguous: one vector op per lane group;
 * C is a compile-time constant in the common cases so that it is unrolled. */
#define VMAC(CC) \
    for (size_t i = 0; i < n; i++) { \
        int32_t *restrict a = acc + i * sd; \
        const int8_t *restrict xi = x + i * sx, *restrict wi = w + i * sw; \
        for (uint32_t c = 0; c < (CC); c++) \
            a[c] = (int32_t)((uint32_t)a[c] + (uint32_t)((int32_t)xi[c] * (int32_t)wi[c])); \
    }

SIM_CLONES
void sim_vmac_i8(int32_t *acc, size_t sd, const int8_t *x, size_t sx, const int8_t *w, size_t sw, uint32_t C,
                 size_t n)
{
    switch (C) {
    case 16: VMAC(16); break;
    case 32: VMAC(32); break;
    case 64: VMAC(64); break;
    default: VMAC(C); break;
    }
}
