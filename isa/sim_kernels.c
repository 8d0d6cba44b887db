/* sim_kernels.c - the simulator's hot loops: int8 x int8 -> int32 dot
 * products. They are C written so that gcc -O3 vectorizes them (dot products:
 * sign-extend to int16, multiply-add pairs to int32, pmaddwd; the transposed
 * form: GCC vector types over the output columns), compiled for
 * several x86 ISA levels with target_clones so one binary uses AVX2/AVX-512
 * where the CPU has it. Sums are formed in int32 chunks that cannot overflow
 * (|x*w| <= 2^14, so 2^16 products stay below 2^31) and then added with
 * wrap-around, which is the ISA's accumulator semantics. */
#include "sim_internal.h"

#include <string.h>

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

void sim_wt_prepare(int32_t *wt, const int8_t *w, size_t pitch, uint32_t C, size_t K)
{
    for (uint32_t c = 0; c < C; c++)
        for (size_t k = 0; k < K; k++)
            wt[k * C + c] = w[(size_t)c * pitch + k];
}

/* acc[c] += sum_k x[k] * wt[k][c], vectorized over c: no horizontal sums, so
 * short reductions (K = 16) run nearly as fast as long ones. Written with GCC
 * vector types: left to itself, gcc vectorizes the k loop of this nest with
 * permutes and spills, 3-5x slower. 16 int32 lanes = one AVX-512 register,
 * two AVX2 or four SSE2 ones. Partial sums of K < 2^17 products of int8
 * cannot overflow; the add to acc wraps (unsigned). */
typedef int32_t sim_v16si __attribute__((vector_size(64)));
typedef uint32_t sim_v16su __attribute__((vector_size(64)));

SIM_CLONES
void sim_gemv_t(int32_t *restrict acc, const int8_t *restrict x, const int32_t *restrict wt, uint32_t C, size_t K)
{
    if (C % 16 == 0) {
        for (uint32_t c0 = 0; c0 < C; c0 += 16) {
            sim_v16si s = {0}, w, a;
            for (size_t k = 0; k < K; k++) {
                memcpy(&w, wt + k * C + c0, sizeof w);
                s += (int32_t)x[k] * w;
            }
            memcpy(&a, acc + c0, sizeof a);
            a = (sim_v16si)((sim_v16su)a + (sim_v16su)s);
            memcpy(acc + c0, &a, sizeof a);
        }
        return;
    }
    for (uint32_t c = 0; c < C; c++) {
        int32_t sc = 0;
        for (size_t k = 0; k < K; k++)
            sc += (int32_t)x[k] * wt[k * C + c];
        acc[c] = (int32_t)((uint32_t)acc[c] + (uint32_t)sc);
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
