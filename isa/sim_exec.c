/* sim_exec.c - the functional semantics of every DLA instruction, exactly as
 * docs/isa.md specifies them. Each instruction first checks the whole range of
 * addresses it will touch (strides are unsigned, so the extremes of an affine
 * loop nest are its first and last iteration) and then runs without per-access
 * checks. Integer arithmetic wraps modulo 2^32 (computed in uint32_t: no C
 * undefined behaviour), fp32 follows IEEE 754 with round-to-nearest-even. */
#include "sim_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"
#include "isa_internal.h"

static DlaStatus oob(DlaError *err, const char *what, const char *mem, uint64_t lo, uint64_t hi, uint64_t size)
{
    return dla_errorf(err, DLA_ERR_RUNTIME, "%s: %s access [%" PRIu64 ", %" PRIu64 "] outside its %" PRIu64 " elements",
                      what, mem, lo, hi, size);
}

/* ---------------------------------------------------------------- DRAM */

void sim_dram_read(const DlaSim *s, uint64_t addr, void *dst, uint64_t n)
{
    uint8_t *d = dst;
    while (n) {
        uint64_t pg = addr >> SIM_PAGE_BITS, off = addr & (SIM_PAGE_SIZE - 1);
        uint64_t k = SIM_PAGE_SIZE - off < n ? SIM_PAGE_SIZE - off : n;
        if (s->pages[pg])
            memcpy(d, s->pages[pg] + off, k);
        else
            memset(d, 0, k);
        d += k;
        addr += k;
        n -= k;
    }
}

void sim_dram_write(DlaSim *s, uint64_t addr, const void *src, uint64_t n)
{
    const uint8_t *p = src;
    while (n) {
        uint64_t pg = addr >> SIM_PAGE_BITS, off = addr & (SIM_PAGE_SIZE - 1);
        uint64_t k = SIM_PAGE_SIZE - off < n ? SIM_PAGE_SIZE - off : n;
        if (!s->pages[pg])
            s->pages[pg] = dla_calloc(1, SIM_PAGE_SIZE);
        memcpy(s->pages[pg] + off, p, k);
        p += k;
        addr += k;
        n -= k;
    }
}

/* Note a range for the race checker. Accesses only one engine can make to a
 * memory cannot race: param and LUT (compute only), reads of acc by compute
 * (only compute writes acc) are not recorded. */
static void note(SimCost *c, unsigned mem, int write, uint64_t lo, uint64_t hi)
{
    if (c->nrng < (int)(sizeof c->rng / sizeof c->rng[0]))
        c->rng[c->nrng++] = (SimRange){(uint8_t)mem, (uint8_t)write, lo, hi};
}

/* ---------------------------------------------------------------- DMA */

typedef struct MemRef {
    void *base;
    uint64_t n;
    unsigned esize;
} MemRef;

static MemRef mem_ref(DlaSim *s, int64_t m)
{
    switch (m) {
    case DLA_MEM_INP: return (MemRef){s->inp, s->n_inp, 1};
    case DLA_MEM_WGT: return (MemRef){s->wgt, s->n_wgt, 1};
    case DLA_MEM_ACC: return (MemRef){s->acc, s->n_acc, 4};
    case DLA_MEM_PARAM: return (MemRef){s->param, s->n_param, 4};
    default: return (MemRef){s->lut, s->n_lut, 1};
    }
}

/* Fill n elements of a memory with the (sign-extended) pad value. */
static void fill_pad(const MemRef *m, uint64_t at, uint64_t n, int8_t pad)
{
    if (!n)
        return;
    if (m->esize == 1) {
        memset((int8_t *)m->base + at, pad, n);
    } else {
        int32_t *p = (int32_t *)m->base + at;
        for (uint64_t i = 0; i < n; i++)
            p[i] = pad;
    }
}

static DlaStatus exec_load(DlaSim *s, const DlaInsn *in, DlaEngine eng, SimCost *cost, DlaError *err)
{
    MemRef m = mem_ref(s, in->mem);
    unsigned desz = in->i8 ? 1 : m.esize; /* DRAM element bytes */
    uint64_t x = (uint64_t)in->xsize, y = (uint64_t)in->ysize, z = (uint64_t)in->zsize;
    uint64_t pitch = s->dma[eng].xpitch ? s->dma[eng].xpitch : x;
    if (pitch < x)
        return dla_errorf(err, DLA_ERR_RUNTIME, "load: xpitch %" PRIu64 " < x %" PRIu64, pitch, x);
    uint64_t Y = (uint64_t)(in->ypad0 + in->ysize + in->ypad1), Z = (uint64_t)(in->zpad0 + in->zsize + in->zpad1);
    uint64_t span = Z * Y * pitch;
    if ((uint64_t)in->sram + span > m.n)
        return oob(err, "load", dla_mem_name((DlaMem)in->mem), (uint64_t)in->sram, (uint64_t)in->sram + span - 1, m.n);
    uint64_t ys = s->dma[eng].ystride, zs = s->dma[eng].zstride;
    uint64_t dlast = (uint64_t)in->dram + (z - 1) * zs + (y - 1) * ys + x * desz; /* one past the last byte */
    if (dlast > s->t.dram_bytes)
        return dla_errorf(err, DLA_ERR_RUNTIME, "load: DRAM read up to byte %" PRIu64 " beyond DRAM size %" PRIu64,
                          dlast - 1, s->t.dram_bytes);
    int8_t pad = (int8_t)in->pad;
    uint8_t rowbuf[4096 * 4];
    uint64_t at = (uint64_t)in->sram;
    for (uint64_t zz = 0; zz < Z; zz++) {
        int zreal = zz >= (uint64_t)in->zpad0 && zz < (uint64_t)in->zpad0 + z;
        for (uint64_t yy = 0; yy < Y; yy++, at += pitch) {
            int real = zreal && yy >= (uint64_t)in->ypad0 && yy < (uint64_t)in->ypad0 + y;
            if (!real) {
                fill_pad(&m, at, pitch, pad);
                continue;
            }
            uint64_t src = (uint64_t)in->dram + (zz - (uint64_t)in->zpad0) * zs + (yy - (uint64_t)in->ypad0) * ys;
            if (m.esize == 1) {
                int8_t *d = (int8_t *)m.base + at;
                sim_dram_read(s, src, d, x);
                if (in->flip)
                    for (uint64_t i = 0; i < x; i++)
                        d[i] = (int8_t)((uint8_t)d[i] ^ 0x80);
            } else {
                int32_t *d = (int32_t *)m.base + at;
                sim_dram_read(s, src, rowbuf, x * desz);
                if (in->i8) {
                    for (uint64_t i = 0; i < x; i++)
                        d[i] = (int8_t)(rowbuf[i] ^ (in->flip ? 0x80 : 0));
                } else {
                    for (uint64_t i = 0; i < x; i++)
                        d[i] = (int32_t)((uint32_t)rowbuf[4 * i] | (uint32_t)rowbuf[4 * i + 1] << 8 |
                                         (uint32_t)rowbuf[4 * i + 2] << 16 | (uint32_t)rowbuf[4 * i + 3] << 24);
                }
            }
            fill_pad(&m, at + x, pitch - x, pad);
        }
    }
    cost->is_dma = 1;
    cost->dram_bytes = x * y * z * desz;
    note(cost, SIM_MEM_DRAM, 0, (uint64_t)in->dram, dlast);
    if (in->mem != DLA_MEM_PARAM && in->mem != DLA_MEM_LUT)
        note(cost, (unsigned)in->mem, 1, (uint64_t)in->sram, (uint64_t)in->sram + span);
    return DLA_OK;
}

static DlaStatus exec_store(DlaSim *s, const DlaInsn *in, SimCost *cost, DlaError *err)
{
    uint64_t x = (uint64_t)in->xsize, y = (uint64_t)in->ysize, z = (uint64_t)in->zsize;
    uint64_t pitch = s->dma[DLA_ENG_STORE].xpitch ? s->dma[DLA_ENG_STORE].xpitch : x;
    if (pitch < x)
        return dla_errorf(err, DLA_ERR_RUNTIME, "store: xpitch %" PRIu64 " < x %" PRIu64, pitch, x);
    uint64_t span = z * y * pitch;
    if ((uint64_t)in->sram + span > s->n_acc)
        return oob(err, "store", "acc", (uint64_t)in->sram, (uint64_t)in->sram + span - 1, s->n_acc);
    unsigned desz = in->i8 ? 1 : 4;
    uint64_t ys = s->dma[DLA_ENG_STORE].ystride, zs = s->dma[DLA_ENG_STORE].zstride;
    uint64_t dlast = (uint64_t)in->dram + (z - 1) * zs + (y - 1) * ys + x * desz;
    if (dlast > s->t.dram_bytes)
        return dla_errorf(err, DLA_ERR_RUNTIME, "store: DRAM write up to byte %" PRIu64 " beyond DRAM size %" PRIu64,
                          dlast - 1, s->t.dram_bytes);
    uint8_t rowbuf[4096 * 4];
    uint64_t at = (uint64_t)in->sram;
    for (uint64_t zz = 0; zz < z; zz++) {
        for (uint64_t yy = 0; yy < y; yy++, at += pitch) {
            const int32_t *p = s->acc + at;
            if (in->i8) {
                uint8_t fl = in->flip ? 0x80 : 0;
                for (uint64_t i = 0; i < x; i++) {
                    int32_t v = p[i] < -128 ? -128 : p[i] > 127 ? 127 : p[i];
                    rowbuf[i] = (uint8_t)((uint8_t)(int8_t)v ^ fl);
                }
            } else {
                for (uint64_t i = 0; i < x; i++) {
                    uint32_t v = (uint32_t)p[i];
                    rowbuf[4 * i] = (uint8_t)v;
                    rowbuf[4 * i + 1] = (uint8_t)(v >> 8);
                    rowbuf[4 * i + 2] = (uint8_t)(v >> 16);
                    rowbuf[4 * i + 3] = (uint8_t)(v >> 24);
                }
            }
            sim_dram_write(s, (uint64_t)in->dram + zz * zs + yy * ys, rowbuf, x * desz);
        }
    }
    cost->is_dma = 1;
    cost->dram_bytes = x * y * z * desz;
    note(cost, DLA_MEM_ACC, 0, (uint64_t)in->sram, (uint64_t)in->sram + span);
    note(cost, SIM_MEM_DRAM, 1, (uint64_t)in->dram, dlast);
    return DLA_OK;
}

/* ---------------------------------------------------------------- loop nests */

typedef struct Nest {
    uint64_t e[DLA_LOOP_LEVELS];
    uint64_t sd[DLA_LOOP_LEVELS], ss[DLA_LOOP_LEVELS], s2[DLA_LOOP_LEVELS];
} Nest;

static void nest_init(const DlaSim *s, const DlaInsn *in, Nest *n)
{
    n->e[0] = (uint64_t)in->e0;
    n->e[1] = (uint64_t)in->e1;
    n->e[2] = (uint64_t)in->e2;
    n->e[3] = (uint64_t)in->e3;
    for (int l = 0; l < DLA_LOOP_LEVELS; l++) {
        n->sd[l] = s->loop[l].sdst;
        n->ss[l] = s->loop[l].ssrc;
        n->s2[l] = s->loop[l].ssrc2;
    }
}

/* Last offset an address stream reaches: sum (e_l - 1) * stride_l. */
static uint64_t nest_extent(const Nest *n, const uint64_t *st)
{
    uint64_t r = 0;
    for (int l = 0; l < DLA_LOOP_LEVELS; l++)
        r += (n->e[l] - 1) * st[l];
    return r;
}

static uint64_t nest_iters(const Nest *n)
{
    return n->e[0] * n->e[1] * n->e[2] * n->e[3];
}

/* Check stream [base, base + extent + span) inside a memory of `size` elements. */
static DlaStatus check_stream(const Nest *n, const uint64_t *st, int64_t base, uint64_t span, uint64_t size,
                              const char *what, const char *mem, DlaError *err)
{
    uint64_t last = (uint64_t)base + nest_extent(n, st) + span - 1;
    if (last >= size)
        return oob(err, what, mem, (uint64_t)base, last, size);
    return DLA_OK;
}

/* Vector-unit cycles: the innermost loop goes L lanes per cycle. */
static uint64_t vec_cycles(const DlaSim *s, const Nest *n)
{
    return n->e[0] * n->e[1] * n->e[2] * ((n->e[3] + s->L - 1) / s->L);
}

uint64_t sim_compute_cycles(const DlaSim *s, const DlaInsn *in)
{
    uint64_t outer = (uint64_t)in->e0 * (uint64_t)in->e1 * (uint64_t)in->e2, e3 = (uint64_t)in->e3;
    switch (in->op) {
    case DLA_OP_GEMM: return in->dw ? outer * ((e3 + s->R - 1) / s->R) : outer * e3;
    case DLA_OP_ALU:
    case DLA_OP_CLIP:
    case DLA_OP_LUT:
    case DLA_OP_REQUANT: return outer * ((e3 + s->L - 1) / s->L);
    default: return 1;
    }
}

/* ---------------------------------------------------------------- GEMM */

static DlaStatus exec_gemm(DlaSim *s, const DlaInsn *in, SimCost *cost, DlaError *err)
{
    Nest n;
    nest_init(s, in, &n);
    uint32_t R = s->R, C = s->C;
    uint64_t pitch = (uint64_t)in->wpitch * R;
    DlaStatus st;
    if ((st = check_stream(&n, n.sd, in->dst, C, s->n_acc, "gemm", "acc", err)))
        return st;
    uint64_t iters = nest_iters(&n);
    uint64_t steps = in->dw ? n.e[0] * n.e[1] * n.e[2] * ((n.e[3] + R - 1) / R) : iters;
    cost->cycles = steps;
    note(cost, DLA_MEM_ACC, 1, (uint64_t)in->dst, (uint64_t)in->dst + nest_extent(&n, n.sd) + C);
    if (in->reset) {
        for (uint64_t i0 = 0; i0 < n.e[0]; i0++)
            for (uint64_t i1 = 0; i1 < n.e[1]; i1++)
                for (uint64_t i2 = 0; i2 < n.e[2]; i2++)
                    for (uint64_t i3 = 0; i3 < n.e[3]; i3++)
                        memset(s->acc + in->dst + i0 * n.sd[0] + i1 * n.sd[1] + i2 * n.sd[2] + i3 * n.sd[3], 0,
                               sizeof(int32_t) * C);
        return DLA_OK;
    }
    uint64_t ispan = in->dw ? C : R, wspan = in->dw ? C : (C - 1) * pitch + R;
    if ((st = check_stream(&n, n.ss, in->src, ispan, s->n_inp, "gemm", "inp", err)) ||
        (st = check_stream(&n, n.s2, in->src2, wspan, s->n_wgt, "gemm", "wgt", err)))
        return st;
    note(cost, DLA_MEM_INP, 0, (uint64_t)in->src, (uint64_t)in->src + nest_extent(&n, n.ss) + ispan);
    note(cost, DLA_MEM_WGT, 0, (uint64_t)in->src2, (uint64_t)in->src2 + nest_extent(&n, n.s2) + wspan);
    cost->array_steps = steps;
    cost->macs = in->dw ? iters * C : iters * R * C;
    if (in->dw) {
        for (uint64_t i0 = 0; i0 < n.e[0]; i0++)
            for (uint64_t i1 = 0; i1 < n.e[1]; i1++)
                for (uint64_t i2 = 0; i2 < n.e[2]; i2++) {
                    uint64_t d = (uint64_t)in->dst + i0 * n.sd[0] + i1 * n.sd[1] + i2 * n.sd[2];
                    uint64_t a = (uint64_t)in->src + i0 * n.ss[0] + i1 * n.ss[1] + i2 * n.ss[2];
                    uint64_t w = (uint64_t)in->src2 + i0 * n.s2[0] + i1 * n.s2[1] + i2 * n.s2[2];
                    /* Iterations may alias (sd[3] < C): the kernel keeps program order. */
                    sim_vmac_i8(s->acc + d, (size_t)n.sd[3], s->inp + a, (size_t)n.ss[3], s->wgt + w, (size_t)n.s2[3],
                                C, (size_t)n.e[3]);
                }
        return DLA_OK;
    }
    /* Merge inner levels that form one contiguous reduction (acc stride 0,
     * inp and wgt both advancing by exactly the run so far) into a single
     * dot product of length K: the order of an integer sum with wrap-around
     * does not change its result, so this is exact. */
    int m = DLA_LOOP_LEVELS;
    uint64_t K = R;
    while (m > 0 && (n.e[m - 1] == 1 || (n.sd[m - 1] == 0 && n.ss[m - 1] == K && n.s2[m - 1] == K))) {
        K *= n.e[m - 1]; /* a level of extent 1 adds nothing, whatever its strides */
        m--;
    }
    uint64_t cnt[DLA_LOOP_LEVELS] = {0};
    uint64_t outer = 1, reuse = 1;
    /* reuse: how many consecutive outer iterations see the same weights (the
     * levels inside the innermost one that moves the weight stream). */
    for (int l = 0; l < m; l++) {
        outer *= n.e[l];
        reuse = n.e[l] > 1 && n.s2[l] ? 1 : reuse * n.e[l];
    }
    /* Short reductions are slow as dot products (a horizontal sum per column):
     * transpose the weights (C*K work each time they change) and vectorize over
     * columns instead. Long ones are as fast either way: no transpose then. */
    int use_t = reuse >= 4 && K < 128;
    uint64_t wt_at = UINT64_MAX; /* the weight address s->wt holds */
    if (use_t && (size_t)K * C > s->wt_cap) {
        free(s->wt);
        s->wt_cap = (size_t)K * C;
        s->wt = dla_malloc(s->wt_cap * sizeof *s->wt);
    }
    for (uint64_t it = 0; it < outer; it++) {
        uint64_t d = (uint64_t)in->dst, a = (uint64_t)in->src, w = (uint64_t)in->src2;
        for (int l = 0; l < m; l++) {
            d += cnt[l] * n.sd[l];
            a += cnt[l] * n.ss[l];
            w += cnt[l] * n.s2[l];
        }
        if (use_t) {
            if (w != wt_at) {
                sim_wt_prepare(s->wt, s->wgt + w, (size_t)pitch, C, (size_t)K);
                wt_at = w;
            }
            sim_gemv_t(s->acc + d, s->inp + a, s->wt, C, (size_t)K);
        } else {
            sim_gemv_i8(s->acc + d, s->inp + a, s->wgt + w, (size_t)pitch, C, (size_t)K);
        }
        for (int l = m - 1; l >= 0; l--) { /* odometer */
            if (++cnt[l] < n.e[l])
                break;
            cnt[l] = 0;
        }
    }
    return DLA_OK;
}

/* ---------------------------------------------------------------- vector unit */

static inline float f_of(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline int32_t bits_of(float f)
{
    uint32_t b;
    if (isnan(f))
        return 0x7fc00000; /* one canonical NaN, so results do not depend on the host's NaN propagation */
    memcpy(&b, &f, sizeof b);
    return (int32_t)b;
}

/* f rounded to an integer, ties to even (IEEE default rounding), without the
 * nearbyintf library call that baseline x86-64 needs. For |f| < 2^23, adding
 * 2^23 (with f's sign) gives a sum whose ulp is 1, so the addition itself
 * rounds f to an integer; subtracting it back is exact. From 2^23 up every
 * float is an integer already. */
static inline float rne_f(float f)
{
    if (fabsf(f) < 8388608.0f) {
        volatile float big = copysignf(8388608.0f, f); /* volatile: keep (f + big) - big from folding */
        float t = f + big;
        return t - big;
    }
    return f;
}

/* x >> n rounding to nearest, ties to even (n in 0..63), for |x| < 2^62. */
static inline int64_t rshift_rne(int64_t x, unsigned n)
{
    if (n == 0)
        return x;
    int64_t q = x >> n; /* floor (gcc: arithmetic shift) */
    uint64_t r = (uint64_t)x & (((uint64_t)1 << n) - 1); /* x - q * 2^n, in [0, 2^n) */
    uint64_t half = (uint64_t)1 << (n - 1);
    if (r > half || (r == half && (q & 1)))
        q++;
    return q;
}

static inline int32_t sat_i32(double v)
{
    return v >= 2147483647.0 ? INT32_MAX : v <= -2147483648.0 ? INT32_MIN : (int32_t)v;
}

static int32_t alu_apply(int op, int32_t a, int32_t b)
{
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    switch (op) {
    case DLA_ALU_MOV: return b;
    case DLA_ALU_ADD: return (int32_t)(ua + ub);
    case DLA_ALU_SUB: return (int32_t)(ua - ub);
    case DLA_ALU_MUL: return (int32_t)(ua * ub);
    case DLA_ALU_MIN: return a < b ? a : b;
    case DLA_ALU_MAX: return a > b ? a : b;
    case DLA_ALU_SHL: return (int32_t)(ua << (ub & 31));
    case DLA_ALU_SHR: return (int32_t)(a >> (ub & 31));
    case DLA_ALU_RSHR: return (int32_t)rshift_rne(a, ub & 31);
    case DLA_ALU_FADD: return bits_of(f_of(ua) + f_of(ub));
    case DLA_ALU_FSUB: return bits_of(f_of(ua) - f_of(ub));
    case DLA_ALU_FMUL: return bits_of(f_of(ua) * f_of(ub));
    case DLA_ALU_FDIV: return bits_of(f_of(ua) / f_of(ub));
    case DLA_ALU_ITOF: return bits_of((float)a);
    case DLA_ALU_FTOI: {
        float f = f_of(ua);
        return isnan(f) ? 0 : sat_i32((double)rne_f(f));
    }
    case DLA_ALU_ABS: return a < 0 ? (int32_t)(0u - ua) : a;
    default: return 0;
    }
}

/* Run BODY for every iteration of the nest, in order, with d_, a_, b_ the
 * element addresses of the dst, src and src2 streams. */
#define NEST_FOR(n, in, BODY) \
    for (uint64_t i0 = 0; i0 < (n).e[0]; i0++) \
        for (uint64_t i1 = 0; i1 < (n).e[1]; i1++) \
            for (uint64_t i2 = 0; i2 < (n).e[2]; i2++) { \
                uint64_t d_ = (uint64_t)(in)->dst + i0 * (n).sd[0] + i1 * (n).sd[1] + i2 * (n).sd[2]; \
                uint64_t a_ = (uint64_t)(in)->src + i0 * (n).ss[0] + i1 * (n).ss[1] + i2 * (n).ss[2]; \
                uint64_t b_ = (uint64_t)(in)->src2 + i0 * (n).s2[0] + i1 * (n).s2[1] + i2 * (n).s2[2]; \
                for (uint64_t i3 = 0; i3 < (n).e[3]; i3++, d_ += (n).sd[3], a_ += (n).ss[3], b_ += (n).s2[3]) { \
                    BODY; \
                } \
            }

static DlaStatus exec_alu(DlaSim *s, const DlaInsn *in, SimCost *cost, DlaError *err)
{
    Nest n;
    nest_init(s, in, &n);
    DlaStatus st;
    int op = (int)in->aluop;
    char kind = dla_aluop_kind((DlaAluOp)op);
    int uses_src = op != DLA_ALU_MOV;
    int uses_src2 = kind != 'u' && !in->imm;
    if ((st = check_stream(&n, n.sd, in->dst, 1, s->n_acc, "alu", "acc (dst)", err)) ||
        (uses_src && (st = check_stream(&n, n.ss, in->src, 1, s->n_acc, "alu", "acc (src)", err))) ||
        (uses_src2 && (st = check_stream(&n, n.s2, in->src2, 1, s->n_acc, "alu", "acc (src2)", err))))
        return st;
    cost->cycles = vec_cycles(s, &n);
    note(cost, DLA_MEM_ACC, 1, (uint64_t)in->dst, (uint64_t)in->dst + nest_extent(&n, n.sd) + 1);
    int32_t *acc = s->acc;
    int32_t imm = (int32_t)(uint32_t)in->src2;
    if (in->imm) {
        NEST_FOR(n, in, acc[d_] = alu_apply(op, uses_src ? acc[a_] : 0, imm));
    } else {
        NEST_FOR(n, in, acc[d_] = alu_apply(op, uses_src ? acc[a_] : 0, kind == 'u' ? 0 : acc[b_]));
    }
    return DLA_OK;
}

static DlaStatus exec_clip(DlaSim *s, const DlaInsn *in, SimCost *cost, DlaError *err)
{
    Nest n;
    nest_init(s, in, &n);
    DlaStatus st;
    if ((st = check_stream(&n, n.sd, in->dst, 1, s->n_acc, "clip", "acc (dst)", err)) ||
        (st = check_stream(&n, n.ss, in->src, 1, s->n_acc, "clip", "acc (src)", err)))
        return st;
    cost->cycles = vec_cycles(s, &n);
    note(cost, DLA_MEM_ACC, 1, (uint64_t)in->dst, (uint64_t)in->dst + nest_extent(&n, n.sd) + 1);
    int32_t lo = (int32_t)in->lo, hi = (int32_t)in->hi, *acc = s->acc;
    NEST_FOR(n, in, {
        int32_t v = acc[a_];
        v = v < lo ? lo : v;
        acc[d_] = v > hi ? hi : v;
    });
    return DLA_OK;
}

static DlaStatus exec_lut(DlaSim *s, const DlaInsn *in, SimCost *cost, DlaError *err)
{
    Nest n;
    nest_init(s, in, &n);
    DlaStatus st;
    if ((st = check_stream(&n, n.sd, in->dst, 1, s->n_acc, "lut", "acc (dst)", err)) ||
        (st = check_stream(&n, n.ss, in->src, 1, s->n_acc, "lut", "acc (src)", err)))
        return st;
    if ((uint64_t)in->table + 256 > s->n_lut)
        return oob(err, "lut", "lut", (uint64_t)in->table, (uint64_t)in->table + 255, s->n_lut);
    cost->cycles = vec_cycles(s, &n);
    note(cost, DLA_MEM_ACC, 1, (uint64_t)in->dst, (uint64_t)in->dst + nest_extent(&n, n.sd) + 1);
    const int8_t *tab = s->lut + in->table;
    int32_t *acc = s->acc;
    NEST_FOR(n, in, {
        int32_t v = acc[a_];
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        acc[d_] = tab[v + 128];
    });
    return DLA_OK;
}

static DlaStatus exec_requant(DlaSim *s, const DlaInsn *in, SimCost *cost, DlaError *err)
{
    Nest n;
    nest_init(s, in, &n);
    DlaStatus st;
    int fixed = in->mode == DLA_REQ_FIXED;
    if ((st = check_stream(&n, n.sd, in->dst, 1, s->n_acc, "requant", "acc (dst)", err)) ||
        (st = check_stream(&n, n.ss, in->src, 1, s->n_acc, "requant", "acc (src)", err)) ||
        (st = check_stream(&n, n.s2, in->param, fixed ? 2 : 1, s->n_param, "requant", "param", err)))
        return st;
    cost->cycles = vec_cycles(s, &n);
    note(cost, DLA_MEM_ACC, 1, (uint64_t)in->dst, (uint64_t)in->dst + nest_extent(&n, n.sd) + 1);
    int32_t zp = (int32_t)in->zp, lo = in->relu ? zp : -128, hi = 127;
    int32_t *acc = s->acc;
    const uint32_t *par = s->param;
    /* NEST_FOR's third stream is src2; REQUANT's is param. */
    DlaInsn tmp = *in;
    tmp.src2 = in->param;
    if (!fixed) {
        NEST_FOR(n, &tmp, {
            float f = (float)acc[a_] * f_of(par[b_]);
            int64_t v = isnan(f) ? 0 : fabsf(f) > 1e12f ? (f > 0 ? 1000000000000LL : -1000000000000LL)
                                                        : (int64_t)rne_f(f);
            v += zp;
            acc[d_] = (int32_t)(v < lo ? lo : v > hi ? hi : v);
        });
    } else {
        /* Validate every shift first so that a bad parameter faults before any write. */
        NEST_FOR(n, &tmp, {
            if (par[b_ + 1] > 62)
                return dla_errorf(err, DLA_ERR_RUNTIME, "requant: fixed-point shift %u at param[%" PRIu64 "] > 62",
                                  par[b_ + 1], b_ + 1);
        });
        NEST_FOR(n, &tmp, {
            int64_t v = rshift_rne((int64_t)acc[a_] * (int32_t)par[b_], par[b_ + 1]) + zp;
            acc[d_] = (int32_t)(v < lo ? lo : v > hi ? hi : v);
        });
    }
    return DLA_OK;
}

/* ---------------------------------------------------------------- dispatch */

DlaStatus sim_exec(DlaSim *s, const DlaInsn *in, SimCost *cost, DlaError *err)
{
    memset(cost, 0, sizeof *cost);
    DlaEngine eng = dla_insn_engine(in);
    switch (in->op) {
    case DLA_OP_LOAD: return exec_load(s, in, eng, cost, err);
    case DLA_OP_STORE: return exec_store(s, in, cost, err);
    case DLA_OP_DMACFG:
        s->dma[in->eng].ystride = (uint64_t)in->ystride;
        s->dma[in->eng].zstride = (uint64_t)in->zstride;
        s->dma[in->eng].xpitch = (uint32_t)in->xpitch;
        cost->cycles = 1;
        return DLA_OK;
    case DLA_OP_LOOPCFG:
        s->loop[in->level].sdst = (uint64_t)in->sdst;
        s->loop[in->level].ssrc = (uint64_t)in->ssrc;
        s->loop[in->level].ssrc2 = (uint64_t)in->ssrc2;
        cost->cycles = 1;
        return DLA_OK;
    case DLA_OP_GEMM: return exec_gemm(s, in, cost, err);
    case DLA_OP_ALU: return exec_alu(s, in, cost, err);
    case DLA_OP_CLIP: return exec_clip(s, in, cost, err);
    case DLA_OP_LUT: return exec_lut(s, in, cost, err);
    case DLA_OP_REQUANT: return exec_requant(s, in, cost, err);
    default: return dla_errorf(err, DLA_ERR_RUNTIME, "%s cannot execute on an engine", dla_opcode_name(in->op));
    }
}
