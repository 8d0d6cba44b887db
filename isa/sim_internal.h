/* sim_internal.h - the simulator's state, shared by sim.c (engines, tokens,
 * timing, statistics, trace), sim_exec.c (functional semantics of each
 * instruction) and sim_kernels.c (the hot int8 loops). Not a public header. */
#ifndef DLA_ISA_SIM_INTERNAL_H
#define DLA_ISA_SIM_INTERNAL_H

#include "sim.h"

/* DRAM is paged so that a 4 GiB target costs only what a program touches. */
#define SIM_PAGE_BITS 16
#define SIM_PAGE_SIZE ((uint64_t)1 << SIM_PAGE_BITS)

typedef struct SimTraceEvent {
    uint32_t insn;
    uint8_t engine;
    uint64_t start, end;
} SimTraceEvent;

/* Token queues between neighbouring engines (+1 never used, see sim.c q_in). */
enum { SIM_Q_LC, SIM_Q_CL, SIM_Q_CS, SIM_Q_SC, SIM_Q_NONE, SIM_NQUEUES };

/* A dependency token: when it is ready, and (for the race checker) the
 * pushing engine's vector clock at that moment. */
typedef struct SimToken {
    uint64_t time;
    uint64_t vc[DLA_ENG_COUNT];
} SimToken;

typedef struct SimQueue { /* FIFO of tokens */
    SimToken *t;
    size_t head, count, cap;
} SimQueue;

/* An address range an instruction touched, for the race checker. */
#define SIM_MEM_DRAM DLA_MEM_COUNT
typedef struct SimRange {
    uint8_t mem, write; /* DlaMem or SIM_MEM_DRAM */
    uint64_t lo, hi;    /* [lo, hi) in elements of mem (bytes for DRAM) */
} SimRange;

/* One recorded access, made at `epoch` (the engine's instruction count). */
typedef struct SimAccess {
    uint64_t lo, hi, epoch;
    uint32_t insn;
    uint8_t write;
} SimAccess;

/* The accesses of one engine to one memory, in epoch order; [head, n) live. */
typedef struct SimAccessLog {
    SimAccess *a;
    size_t head, n, cap;
} SimAccessLog;
#define SIM_NMEMS (DLA_MEM_COUNT + 1)

/* What executing one instruction cost (filled by sim_exec). */
typedef struct SimCost {
    uint64_t cycles;       /* compute: engine cycles; DMA: 0 (the timing code uses bytes) */
    uint64_t dram_bytes;   /* DMA: DRAM bytes read (LOAD) or written (STORE) */
    uint64_t macs;         /* MACs issued */
    uint64_t array_steps;  /* GEMM array cycles */
    int is_dma;
    SimRange rng[3]; /* what it read and wrote (ranges other engines can race on) */
    int nrng;
} SimCost;

/* Per instruction, what the engine scheduler looks at. */
typedef struct SimHdr {
    uint8_t op, engine; /* DlaOpcode; DlaEngine, or DLA_ENG_COUNT for SYNC/END */
    uint8_t pop_prev, pop_next;
} SimHdr;

struct DlaSim {
    DlaTarget t;
    uint32_t R, C, L; /* GEMM rows (reduction), cols (outputs), vector lanes */

    /* On-chip memories: sizes in elements. */
    int8_t *inp, *wgt, *lut;
    int32_t *acc;
    uint32_t *param;
    uint64_t n_inp, n_wgt, n_acc, n_param, n_lut;

    uint8_t **pages; /* DRAM pages, NULL = all zero */
    uint64_t npages;

    /* Program: the raw words (decoded again when an instruction runs: a
     * DlaInsn is 360 bytes, 20x the encoding) and what the scheduler needs. */
    uint32_t *words;
    SimHdr *hdr;
    uint32_t ninsns;
    int32_t *insn_layer; /* layer index per instruction, -1 for none */
    DlaLayerMap *layers; /* names copied */
    uint32_t nlayers;

    /* Engine configuration registers (DMACFG per engine, LOOPCFG for compute). */
    struct {
        uint64_t ystride, zstride;
        uint32_t xpitch;
    } dma[DLA_ENG_COUNT];
    struct {
        uint64_t sdst, ssrc, ssrc2;
    } loop[DLA_LOOP_LEVELS];

    /* Timing. */
    uint64_t clock[DLA_ENG_COUNT];
    uint64_t dram_free; /* the DRAM channel is busy until this cycle */
    SimQueue q[SIM_NQUEUES]; /* SIM_Q_* */

    DlaSimStats stats;
    DlaSimLayerStats *lstats;

    uint64_t cycle_limit; /* 0: none */

    /* Race checker (sim_race.c): vector clocks and the accesses not yet known
     * to be ordered before every engine. */
    int race_on;
    uint64_t vc[DLA_ENG_COUNT][DLA_ENG_COUNT];
    SimAccessLog log[DLA_ENG_COUNT][SIM_NMEMS];
    int trace_on;
    SimTraceEvent *trace;
    size_t ntrace, trace_cap;

    int32_t *wt;      /* transposed weights for sim_gemv_t */
    size_t wt_cap;    /* elements */
};


/* Functional execution of one instruction (not SYNC/END). Errors: DLA_ERR_RUNTIME
 * with a message that the caller prefixes with the instruction index. */
DlaStatus sim_exec(DlaSim *s, const DlaInsn *in, SimCost *cost, DlaError *err);

/* Race checker: record the ranges of instruction idx, run by engine e, and
 * fail if one conflicts with an access of another engine that is not ordered
 * before it by tokens or SYNC. */
DlaStatus sim_race_check(DlaSim *s, uint32_t idx, int e, const SimCost *c, DlaError *err);
void sim_race_reset(DlaSim *s);

/* Cycles a compute instruction will take (from its extents, before running it). */
uint64_t sim_compute_cycles(const DlaSim *s, const DlaInsn *in);

/* DRAM access (addr + n <= dram_bytes checked by the caller). */
void sim_dram_read(const DlaSim *s, uint64_t addr, void *dst, uint64_t n);
void sim_dram_write(DlaSim *s, uint64_t addr, const void *src, uint64_t n);

/* Kernels (sim_kernels.c). All accumulate with int32 wrap-around.
 * gemv: for c < C: acc[c] += sum_{k < K} x[k] * w[c * pitch + k]. */
void sim_gemv_i8(int32_t *acc, const int8_t *x, const int8_t *w, size_t pitch, uint32_t C, size_t K);
/* The same with the weights pre-transposed to int32 wt[k * C + c] (sim_wt_prepare):
 * for reductions K <= SIM_WT_MAX_K reused over many outer iterations. */
#define SIM_WT_MAX_K 65536
void sim_wt_prepare(int32_t *wt, const int8_t *w, size_t pitch, uint32_t C, size_t K);
void sim_gemv_t(int32_t *acc, const int8_t *x, const int32_t *wt, uint32_t C, size_t K);
/* depthwise, n iterations of the innermost loop:
 * for i < n, c < C: acc[i*sd + c] += x[i*sx + c] * w[i*sw + c]. */
void sim_vmac_i8(int32_t *acc, size_t sd, const int8_t *x, size_t sx, const int8_t *w, size_t sw, uint32_t C,
                 size_t n);

#endif
