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

SIM_CLONES
void sim_gemv_i8(int32_t *acc, const int8_t *x, const int8_t *w, size_t pitch, uint32_t C, size_t K)
{
    for (uint32_t c = 0; c < C; c++) {
        const int8_t *wc = w + (size_t)c * pitch;
        uint32_t sum = (uint32_t)acc[c];
        for (size_t k0 = 0; k0 < K; k0 += SIM_CHUNK) {
            size_t n = K - k0 < SIM_CHUNK ? K - k0 : SIM_CHUNK;
            sum += (uint32_t)dot_chunk(x + k0, wc + k0, n);
        }
        acc[c] = (int32_t)sum;
    }
}

SIM_CLONES
void sim_vmac_i8(int32_t *acc, const int8_t *x, const int8_t *w, uint32_t n)
{
    for (uint32_t c = 0; c < n; c++)
        acc[c] = (int32_t)((uint32_t)acc[c] + (uint32_t)((int32_t)x[c] * (int32_t)w[c]));
}
