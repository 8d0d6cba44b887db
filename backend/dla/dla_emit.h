/* dla_emit.h - the instruction builder of the DLA lowering (internal to
 * backend/dla): what instruction selection (the codegen pass,
 * dla_lower_conv.c, dla_lower_vec.c) appends instructions with.
 *
 * The builder appends instructions as decoded structs in program order to a
 * list without dependency tokens (DlaEmit.pend) and records, for each, which
 * on-chip memory ranges and activation-DRAM ranges it reads and writes
 * (derived here from the operands: DMA boxes, loop-nest streams). It also
 * caches the DMA and loop configuration registers (a dmacfg / loopcfg is
 * appended only when a value changes) and builds the constants image.
 *
 * The schedule pass (dla_pass_schedule.c) then inserts the tokens from those
 * ranges (docs/isa.md, "Dependency tokens"), and the emit pass
 * (dla_pass_emit.c) relocates and encodes. Double buffering is therefore
 * only a matter of alternating SRAM buffers here: the schedule finds the
 * overlaps it allows.
 *
 * DRAM addresses of activations are emitted relative to the activation
 * region (flag `act`) and relocated at emit once the size of the constant
 * image is known. Constants are never written, so loads of constants are not
 * tracked. */
#ifndef DLA_BACKEND_DLA_EMIT_H
#define DLA_BACKEND_DLA_EMIT_H

#include <stdint.h>

#include "isa/isa.h"
#include "isa/program.h"

/* A compute loop nest: extents e[l] (1..1024) and per-level strides of the
 * dst, src and src2 (GEMM: wgt; REQUANT: param) streams, in elements. */
typedef struct DlaNest {
    int64_t e[4];
    int64_t sd[4], ss[4], s2[4];
} DlaNest;

/* A DMA box (docs/isa.md LOAD/STORE): x elements per row (pitch xpitch in
 * SRAM, 0 = x), y rows (DRAM stride ys bytes), z planes (stride zs), padding. */
typedef struct DlaDma {
    int mem;              /* DlaMem, loads only */
    uint64_t dram;        /* bytes; relative to the activation region if act */
    int act;
    uint64_t sram;        /* elements of mem (acc for stores) */
    int64_t x, y, z, xpitch;
    int64_t ys, zs;
    int64_t ypad0, ypad1, zpad0, zpad1, pad;
    int i8;               /* loads into acc: sign-extend int8 from DRAM */
} DlaDma;

/* Memories whose hazards are tracked: the on-chip ones and activation DRAM. */
enum { DLA_HAZ_DRAM = DLA_MEM_COUNT, DLA_HAZ_MEMS };

/* A range [lo, hi) of a tracked memory (elements; DLA_HAZ_DRAM: bytes,
 * activation-relative) that an instruction reads or writes. */
typedef struct DlaAccess {
    int mem;
    uint64_t lo, hi;
    int write;
} DlaAccess;

/* A selected instruction before scheduling. `tracked` instructions (loads,
 * stores, compute) take part in the hazard check with their accesses;
 * configuration instructions, sync and end do not. */
typedef struct DlaPending {
    DlaInsn in;
    DlaAccess acc[3];
    uint8_t nacc, eng, tracked, reloc;
} DlaPending;

/* A program larger than this is refused (DLA_ERR_LIMIT) rather than built:
 * hostile shapes must not make the compiler exhaust memory. */
#define DLA_EM_MAX_INSNS (16u << 20)

typedef struct DlaEmit {
    const DlaTarget *t;
    int64_t R, C, L;                 /* gemm rows, cols, vector lanes */
    int64_t msize[DLA_MEM_COUNT];    /* memory sizes in elements */
    /* codegen: the instruction list before tokens */
    DlaPending *pend;
    uint32_t npend;
    size_t pcap;
    int overflow;                    /* more than DLA_EM_MAX_INSNS: emission stopped */
    /* schedule: the final instruction stream (tokens, relays) */
    DlaInsn *insn;
    uint8_t *reloc;                  /* per instruction: dram field is activation-relative */
    uint32_t n;
    size_t cap;
    /* configuration register caches (registers persist over the whole run) */
    int64_t dma_cfg[DLA_ENG_COUNT][3];
    int dma_valid[DLA_ENG_COUNT];
    int64_t loop_cfg[4][3];
    int loop_valid[4];
    /* SRAM buffer rotation, kept across layers so that the next layer's first
     * loads go to buffers the current layer is not using (prefetch) */
    int inp_half, wgt_half, acc_half;
    /* constant DRAM image */
    uint8_t *consts;
    uint64_t nconsts;
    size_t consts_cap;
    /* layer map: first_insn / ninsns index pend until the schedule pass
     * maps them to insn */
    DlaLayerMap *layers;
    uint32_t nlayers;
    size_t layers_cap;
} DlaEmit;

void dla_em_init(DlaEmit *e, const DlaTarget *t);
void dla_em_free(DlaEmit *e);

/* Append constant bytes (aligned to `align`), return their DRAM offset. */
uint64_t dla_em_const(DlaEmit *e, const void *data, uint64_t n, uint64_t align);

void dla_em_load(DlaEmit *e, const DlaDma *d);
void dla_em_store(DlaEmit *e, const DlaDma *d); /* int8, saturating */
/* Flat copies of n contiguous elements (split into boxes the encoding allows). */
void dla_em_load_flat(DlaEmit *e, int mem, uint64_t dram, int act, uint64_t sram, int64_t n, int i8);
void dla_em_store_flat(DlaEmit *e, uint64_t dram, uint64_t sram, int64_t n);

void dla_em_gemm(DlaEmit *e, const DlaNest *nest, uint64_t acc, uint64_t inp, uint64_t wgt, int64_t wpitch, int dw);
/* ALU: src2 is an acc address, or the immediate (raw 32 bits) when imm. */
void dla_em_alu(DlaEmit *e, const DlaNest *nest, int op, uint64_t dst, uint64_t src, uint32_t src2, int imm);
void dla_em_clip(DlaEmit *e, const DlaNest *nest, uint64_t dst, uint64_t src, int lo, int hi);
void dla_em_lut(DlaEmit *e, const DlaNest *nest, uint64_t dst, uint64_t src, uint64_t table);
void dla_em_requant(DlaEmit *e, const DlaNest *nest, uint64_t dst, uint64_t src, uint64_t param, int zp, int relu);
/* The same over n contiguous acc elements, in place (dst = src), with a
 * constant second operand (immediate / param word / none). */
void dla_em_alu_flat(DlaEmit *e, int op, uint64_t a, int64_t n, uint32_t imm);
void dla_em_clip_flat(DlaEmit *e, uint64_t a, int64_t n, int lo, int hi);
void dla_em_lut_flat(DlaEmit *e, uint64_t a, int64_t n, uint64_t table);
void dla_em_requant_flat(DlaEmit *e, uint64_t a, int64_t n, uint64_t param, int zp, int relu);

void dla_em_sync(DlaEmit *e); /* the schedule forgets all hazards at a sync */
void dla_em_end(DlaEmit *e);

void dla_em_layer_begin(DlaEmit *e, const char *name, const char *op_type, uint64_t macs);
void dla_em_layer_end(DlaEmit *e);


static inline int64_t dla_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t dla_round_up(int64_t a, int64_t b) { return dla_ceil_div(a, b) * b; }

#endif
