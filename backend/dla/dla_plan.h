/* dla_plan.h - the plan of the DLA pipeline: what the passes of
 * dla_passes.def (fuse .. emit) read and write, from a partition of Q-ops to
 * an encoded DlaProgram (docs/lowering.md, "The DLA passes").
 *
 * Lifetime: dla_lower_plan_init (the partition, the target) -> dla_lower_plan_run (every
 * pass of the table, in order; optionally dumping after one or all of them)
 * -> dla_lower_plan_free. Each pass fills the part of the plan it owns:
 *
 *   fuse        layers[]: per accelerator layer its anchor Q-op and the nodes
 *               fused into it, the activation folded into the drain;
 *   layout      role[v], layout[v] per value; order[] (INPUT then OUTPUT
 *               tensors); def/last (layer index of producer / last reader);
 *   tile        per layer: the conv tiling (mode, tiles, chunks, blocks,
 *               what is resident) or the pool tiling, and the cost model's
 *               predicted cycles;
 *   sram-alloc  per layer: bufs[] (memory, offset, size of every on-chip
 *               buffer) and wres_at (resident weights in the weight ring);
 *   dram-alloc  addr[v] per activation value (relative to the activation
 *               region), act_bytes;
 *   codegen     em: the instruction list without tokens (em.pend, each with
 *               the on-chip / DRAM ranges it reads and writes), the constants
 *               image; per layer its range of that list;
 *   schedule    em.insn: the final instruction stream with tokens and relays;
 *               per layer its range of it;
 *   emit        *out: the encoded DlaProgram, tensors and layer map.
 *
 * Units: SRAM offsets in elements of their memory (acc and param: 4-byte
 * words), DRAM offsets in bytes, cycles of the target's clock. */
#ifndef DLA_BACKEND_DLA_PLAN_H
#define DLA_BACKEND_DLA_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "dla_emit.h"
#include "ir.h"
#include "isa/program.h"
#include "isa/target.h"

typedef enum DlaPassId {
#define DLA_PASS(id, name, fn, desc) DLA_PASS_##id,
#include "dla_passes.def"
#undef DLA_PASS
    DLA_PASS__COUNT
} DlaPassId;

const char *dla_pass_name(DlaPassId id);
const char *dla_pass_description(DlaPassId id);
/* DLA_PASS__COUNT if no pass has that name. */
DlaPassId dla_pass_lookup(const char *name);

/* One output tile of a convolution: rows [oh0, oh0+ohn) x columns [ow0, ow0+own),
 * computed in mode `fold` (0 regular, 1 whole window, 2 window rows). */
typedef struct DlaTile {
    int64_t oh0, ohn, ow0, own;
    int fold;
} DlaTile;

/* 2-D window attributes (kernel, strides, dilations, pads) with ONNX defaults. */
typedef struct DlaWin {
    int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
} DlaWin;

/* The tiling of a QConv / QGemm (dla_pass_tile.c explains the modes). */
typedef struct DlaConv {
    int64_t N, IC, H, W, OC, OH, OW, group;
    DlaWin k;
    int32_t zx, zy, lo, hi;
    const int8_t *w;
    const int32_t *b;
    const float *scale;
    int dwm;                  /* depthwise mode */
    int64_t nunits, icg, ocg; /* units (groups, or blocks of C channels in dw mode) */
    int64_t ICp, NOB;         /* per unit (non-dw): padded input channels, blocks of C outputs; dw: C, 1 */
    int64_t ICc, nch;         /* reduction chunk (padded channels), number of chunks */
    int64_t Wp;               /* input tile width (incl. padding) of a full column tile */
    int64_t OHt, ntiles;      /* (informative) output rows per tile */
    int64_t OWt, ncols;       /* output columns per tile, column tiles */
    int fold;                 /* 0 none, 1 whole window, 2 window rows (interior tiles) */
    int64_t PP, F;            /* mode 1: window KH*KW*IC bytes, reduction F = PP rounded up to R */
    int64_t Fr;               /* mode 2: window row KW*IC bytes rounded up to R */
    DlaTile *tiles;           /* every (row, column) tile of one image, malloc'd */
    int64_t ntl;
    /* residency (what stays in SRAM for the whole layer) */
    int64_t wtotal;           /* regular weight bytes of all units */
    int64_t wextra;           /* folded-mode weight bytes after them */
    int wres, bres, pres;     /* weights resident in wgt, biases in acc, scales in param */
    int64_t nbias;            /* bias / scale entries (units x NOB x C) */
    int64_t tb;               /* acc words reserved for biases (rounded to 64) */
    int64_t acc_tile;         /* acc words of one output-tile buffer */
} DlaConv;

/* The tiling of a QMaxPool / QAvgPool (dla_pass_tile.c): per (image, row
 * tile, column tile, channel block) the input rows with halo and the output
 * tile, both in one acc half. */
typedef struct DlaPool {
    int avg;
    int64_t N, C, H, W, OH, OW; /* after folding a batch into one tall image where windows allow */
    DlaWin k;
    int32_t zx, zy;
    const float *scale;         /* QAvgPool: scale[0] */
    int64_t owt, ncols, iwt;    /* output columns per tile, column tiles, input columns per tile */
    int64_t Cb, ncb;            /* channels per block, blocks */
    int64_t oht, nrows;         /* output rows per tile, row tiles */
    int64_t half;               /* acc words of one half */
} DlaPool;

/* Most nodes one accelerator layer fuses (anchor first). */
#define DLA_PLAN_MAX_FUSED 4
/* Most on-chip buffers one layer records. */
#define DLA_PLAN_MAX_BUFS 12

/* CONV: QConv, QGemm on the GEMM array; POOL: QMaxPool, QAvgPool; VEC: the
 * other vector-unit layers (QGlobalAvgPool, QAdd, QLut, QConcat). */
typedef enum DlaLayerKind { DLA_LAYER_CONV, DLA_LAYER_POOL, DLA_LAYER_VEC } DlaLayerKind;

/* One on-chip buffer of a layer: [off, off+size) elements of mem. */
typedef struct DlaSramBuf {
    const char *what; /* static string: "input half 0", "weights (resident)", ... */
    int mem;          /* DlaMem */
    uint64_t off, size;
} DlaSramBuf;

typedef struct DlaPlanLayer {
    /* fuse */
    int32_t node;                        /* the anchor Q-op (graph node index) */
    int32_t nodes[DLA_PLAN_MAX_FUSED];   /* nodes of the layer in program order, anchor first */
    int nnodes;
    const char *act;                     /* activation folded into the drain: "none", "relu", "clip" */
    DlaLayerKind kind;
    /* layout */
    int view;                            /* QReshape keeping the byte order: output shares the input's DRAM, no code */
    /* tile */
    DlaConv conv;                        /* kind CONV */
    DlaPool pool;                        /* kind POOL */
    uint64_t macs;                       /* useful MACs */
    double pred_compute, pred_load, pred_store; /* cost model: busy cycles per engine */
    double pred_cycles;                  /* predicted cycles of the layer alone */
    /* sram-alloc */
    DlaSramBuf bufs[DLA_PLAN_MAX_BUFS];
    int nbufs;
    uint64_t wres_at;                    /* resident weights: regular at [wres_at, +wtotal), folded after */
    uint64_t inp_at[2], wgt_at[2];       /* CONV: the two halves of inp / of wgt (streamed weights) */
    uint64_t acc_at[2];                  /* CONV: the two output-tile buffers in acc; VEC: acc halves */
    uint64_t bias_at, param_at;          /* CONV: biases in acc, scales in param (resident or one slot) */
    /* codegen: range of em.pend; schedule: range of em.insn */
    uint32_t first_pend, npend;
    uint32_t first_insn, ninsns;
} DlaPlanLayer;

enum { DLA_ROLE_NONE, DLA_ROLE_IN, DLA_ROLE_OUT, DLA_ROLE_MID };

typedef struct DlaLowerPlan {
    /* input */
    const IrGraph *g;
    const int32_t *nodes;       /* the partition, topological order */
    int32_t nnodes;
    DlaTarget t;
    DlaError *err;
    /* fuse */
    DlaPlanLayer *layers;
    int32_t nlayers;
    /* layout (per value index) */
    uint8_t *role;              /* DLA_ROLE_* */
    uint8_t *layout;            /* IR_LAYOUT_NHWC (rank 4) or IR_LAYOUT_ROWMAJOR */
    int32_t *def, *last;        /* layer that produces / last reads the value, -1 none */
    int32_t *order, norder;     /* the program's tensors: INPUTs (first use), then OUTPUTs */
    int32_t *alias;             /* per value: the value whose DRAM it shares (a view's first value), or itself */
    uint64_t *alias_off;        /* per value: its byte offset in that value (a zero-copy concat input) */
    int64_t *pitch;             /* per value: NHWC pixel (rank 2: row) pitch in bytes when not dense, else 0 */
    /* dram-alloc */
    uint64_t *addr;             /* per value: DRAM offset in the activation region, DLA_NO_ADDR if none */
    uint64_t mid_base;          /* where intermediates start */
    uint64_t act_bytes;         /* size of the activation region */
    /* codegen, schedule */
    DlaEmit em;
    /* emit */
    DlaProgram *out;
    int ran;                    /* passes run so far (the next pass is table entry `ran`) */
} DlaLowerPlan;

#define DLA_NO_ADDR UINT64_MAX

/* Check the target and set up an empty plan for the partition; out receives
 * the program at emit. */
DlaStatus dla_lower_plan_init(DlaLowerPlan *p, const IrGraph *g, const int32_t *nodes, int32_t nnodes, const DlaTarget *t,
                        DlaProgram *out, DlaError *err);
void dla_lower_plan_free(DlaLowerPlan *p);

/* Which dumps dla_lower_plan_run writes: after pass `after` (DLA_PASS__COUNT: after
 * every pass; -1: none). */
typedef struct DlaPlanDump {
    int after;
    FILE *f;
} DlaPlanDump;

/* Run every pass of dla_passes.def in order (the only sequencer). On error
 * out is freed. */
DlaStatus dla_lower_plan_run(DlaLowerPlan *p, const DlaPlanDump *dump);
/* Run the passes up to and including `last` (tests). */
DlaStatus dla_lower_plan_run_until(DlaLowerPlan *p, DlaPassId last, const DlaPlanDump *dump);

/* Text dump of the plan as it stands after pass `pass` (docs/lowering.md,
 * "Plan dumps"): one block per layer with what the passes so far decided. */
void dla_plan_dump(const DlaLowerPlan *p, DlaPassId pass, FILE *f);

/* The passes (one file each, dla_pass_<name>.c). */
#define DLA_PASS(id, name, fn, desc) DlaStatus fn(DlaLowerPlan *p);
#include "dla_passes.def"
#undef DLA_PASS

/* The same partition as dla_lower() (dla_lower.h), with dumps: lowers it and
 * writes the plan after `after` (a DLA_PASS_* or DLA_PASS__COUNT for all) to f. */
DlaStatus dla_lower_dump(const IrGraph *g, const int32_t *nodes, int32_t nnodes, const DlaTarget *t, DlaProgram *out,
                         int after, FILE *f, DlaError *err);

#endif
