/* sim.h - the DLA simulator: bit-exact functional execution of a DLA program
 * plus a timing model (three in-order engines, dependency tokens, DMA latency
 * and bandwidth on one shared DRAM channel, compute cycles), statistics and a
 * Chrome trace-event timeline. Semantics and timing: docs/isa.md.
 *
 * Memory sizes all come from the DlaTarget. DRAM is allocated lazily in pages
 * (a 4 GiB target costs nothing until written) but bounds-checked against the
 * target's full size. Every access of every instruction is checked: a
 * malformed program gets DLA_ERR_RUNTIME with the instruction index, never an
 * out-of-bounds access. */
#ifndef DLA_ISA_SIM_H
#define DLA_ISA_SIM_H

#include <stdint.h>
#include <stdio.h>

#include "dla_err.h"
#include "isa.h"
#include "program.h"
#include "target.h"

typedef struct DlaSim DlaSim;

/* Per-engine figures. busy = cycles spent executing (not waiting on tokens). */
typedef struct DlaSimEngineStats {
    uint64_t insns;
    uint64_t busy_cycles;
    uint64_t wait_cycles;   /* waiting for a token or for the DRAM channel */
    uint64_t dram_wait_cycles; /* the part of wait_cycles spent waiting for the DRAM channel */
    uint64_t finish_cycle;  /* when its last instruction completed */
} DlaSimEngineStats;

typedef struct DlaSimStats {
    uint64_t total_cycles;  /* max over engines of finish_cycle */
    DlaSimEngineStats engine[DLA_ENG_COUNT];
    uint64_t insns;         /* instructions executed (incl. SYNC/END) */
    uint64_t dram_read_bytes, dram_write_bytes;
    uint64_t macs_issued;   /* MACs the GEMM array performed (full R x C per GEMM step, C per depthwise lane group) */
    uint64_t macs_useful;   /* sum of the program's layers' MACs (0 when there is no layer map) */
    uint64_t array_steps;   /* GEMM/depthwise cycles, each able to do R*C MACs */
    double mac_utilization; /* macs_useful (or issued when useful is 0) / (total_cycles * R*C) */
    double seconds;         /* total_cycles / clock */
} DlaSimStats;

/* Per-layer figures, for DlaProgram.layers[i]. */
typedef struct DlaSimLayerStats {
    const char *name, *op_type; /* owned by the simulator */
    uint64_t start_cycle, end_cycle; /* first instruction start .. last end (0,0 if none ran) */
    uint64_t busy_cycles[DLA_ENG_COUNT];
    uint64_t dram_read_bytes, dram_write_bytes;
    uint64_t macs_issued, macs_useful;
    double mac_utilization;     /* macs_useful (or issued) / ((end - start) * R*C) */
} DlaSimLayerStats;

/* A simulator for target t (copied). Checks t with dla_isa_check_target. */
DlaSim *dla_sim_new(const DlaTarget *t, DlaError *err);
void dla_sim_free(DlaSim *s);

/* Load a program: decodes and validates all code (errors name the index),
 * checks the program's target against the simulator's (fingerprint), copies
 * the constants to DRAM offset 0 and the layer map. Replaces any earlier
 * program; DRAM contents other than the constants are kept. */
DlaStatus dla_sim_load(DlaSim *s, const DlaProgram *p, DlaError *err);
/* Load bare code (no constants, no layers): for tests and `dlacc sim` on .s. */
DlaStatus dla_sim_load_code(DlaSim *s, const uint32_t *words, uint32_t ninsns, DlaError *err);

/* Host access to device DRAM (bounds-checked against the target). */
DlaStatus dla_sim_dram_write(DlaSim *s, uint64_t addr, const void *src, uint64_t n, DlaError *err);
DlaStatus dla_sim_dram_read(DlaSim *s, uint64_t addr, void *dst, uint64_t n, DlaError *err);

/* Stop a run with DLA_ERR_LIMIT when an engine's clock would pass max_cycles
 * (0: no limit, the default). A hostile program can ask for 2^40 loop
 * iterations that are all in bounds; runtimes and fuzzers set a budget. */
void dla_sim_set_cycle_limit(DlaSim *s, uint64_t max_cycles);

/* Race checking (on by default): two instructions on different engines whose
 * address ranges in one memory (inp, wgt, acc, DRAM) overlap, one of them
 * writing, must be ordered by a chain of tokens or a SYNC; otherwise the run
 * fails with DLA_ERR_RUNTIME naming both. Ranges are each instruction's hull
 * (first to last element touched), so the check is conservative. */
void dla_sim_set_race_check(DlaSim *s, int on);

/* Record a timeline event per instruction during the next runs (off by default). */
void dla_sim_set_trace(DlaSim *s, int on);

/* Run the loaded program from instruction 0 to END. On-chip memories and the
 * engines' configuration registers are reset to zero first, so a run depends
 * only on the code and DRAM. Errors (DLA_ERR_RUNTIME): out-of-bounds access,
 * invalid operand, deadlock, token imbalance at END, missing END; the message
 * names the instruction index and engine. Statistics are valid after an OK run
 * (and describe the part that ran after an error). */
DlaStatus dla_sim_run(DlaSim *s, DlaError *err);

const DlaSimStats *dla_sim_stats(const DlaSim *s);
uint32_t dla_sim_nlayers(const DlaSim *s);
const DlaSimLayerStats *dla_sim_layer_stats(const DlaSim *s, uint32_t i);

/* Human-readable statistics (for the CLI). */
void dla_sim_write_stats(const DlaSim *s, FILE *f);
/* Chrome trace-event JSON of the last run (needs dla_sim_set_trace(s, 1)):
 * one track per engine plus one for layers; opens in Perfetto. */
DlaStatus dla_sim_write_trace_json(const DlaSim *s, FILE *f, DlaError *err);

/* Direct access to an on-chip memory (tests, debugging): its base and size in bytes. */
void *dla_sim_mem(DlaSim *s, DlaMem m, uint64_t *bytes);

#endif
