/* passes.h - graph passes and the one pipeline that runs them.
 *
 * Every pass has the signature
 *     DlaStatus pass_<name>(IrGraph *g, const PassContext *ctx, DlaError *err)
 * lives in its own file, and states in a comment what it requires of the graph
 * and what it establishes. The passes are listed once, in passes.def, in the order
 * pipeline() runs them. A pass either succeeds and leaves a valid graph (ir_verify
 * holds; builds with DLA_VERIFY_PASSES check this after every pass) or returns an
 * error for bad user input.
 *
 * Constant data may be shared: folding a Reshape/Squeeze/Identity of a constant
 * makes the new value borrow the old one's bytes. Passes therefore never write
 * constant data in place; a pass that changes a constant creates a new value
 * (as bn-fold does for the weights it scales). */
#ifndef DLA_PASSES_H
#define DLA_PASSES_H

#include <stdio.h>

#include "ir.h"
#include "diag.h"
#include "ir/exec.h"

typedef enum PassId {
#define PASS(id, name, fn, desc) PASS_##id,
#include "passes/passes.def"
#undef PASS
    PASS__COUNT
} PassId;

#define PIPELINE_MAX_PASSES 64 /* passes one pipeline() call runs (--passes lists included) */

/* What one pass run did: pipeline() fills one per pass, in the order run. */
typedef struct PassStats {
    PassId id;
    const char *name;                  /* pass_name(id), static */
    int32_t nodes_before, nodes_after; /* live nodes */
    int32_t values;                    /* values after the pass */
    double cpu_ms;                     /* CPU time of the pass (clock()), milliseconds */
} PassStats;

typedef struct PassStatsList {
    PassStats pass[PIPELINE_MAX_PASSES];
    int32_t n;
} PassStatsList;

/* Options shared by all passes. Zero-initialize and set what you need. */
typedef struct PassContext {
    /* --passes=a,b,c: run only these (comma-separated names, in this order)
     * instead of the full table; NULL runs every pass in passes.def order. */
    const char *passes;
    /* --dump-after=PASS|all: print the IR text after that pass (or every pass)
     * to dump_file (stderr if NULL). NULL: no dumps. */
    const char *dump_after;
    FILE *dump_file;
    /* Dumps elide constants larger than this many bytes (0: print all data). */
    size_t dump_elide_bytes;
    /* Constant folding materializes a computed tensor only up to this many
     * elements (0: the default, PASS_FOLD_MAX_ELEMS). Pure reinterpretations
     * (Reshape, Identity, Squeeze, Unsqueeze, Flatten) share data and have no limit. */
    int64_t fold_max_elems;
    /* If set, one line per pass: nodes before -> after, values, CPU time
     * (pass_stats_print of each entry as the pass finishes). */
    FILE *stats_file;
    /* If set, pipeline() fills it (n = 0 first): one entry per pass run, also
     * when a later pass fails. */
    PassStatsList *stats;
    /* Where shape inference reports per-node problems (may be NULL). */
    IrDiagList *diags;
    /* Post-training quantization (passes/quant.h): partition, calibrate and
     * quantize run only when quantize is set; calib_dir holds the *.pb
     * calibration inputs (--calib DIR), calib_method is a CalibMethod
     * (calib_stats.h; 0 = minmax). */
    int quantize;
    const char *calib_dir;
    int calib_method;
    /* Runs the float graph for calibration (ir/exec.h); the driver provides it
     * (driver/compile_quant.c). Required when quantize is set. */
    const IrExecutor *executor;
} PassContext;

#define PASS_FOLD_MAX_ELEMS 65536

#define PASS(id, name, fn, desc) DlaStatus fn(IrGraph *g, const PassContext *ctx, DlaError *err);
#include "passes/passes.def"
#undef PASS

/* Run the passes (ctx->passes or the whole table) in order. ctx may be NULL. */
DlaStatus pipeline(IrGraph *g, const PassContext *ctx, DlaError *err);

/* "pass NAME  B -> A nodes, V values, T ms" and a newline: the --stats line. */
void pass_stats_print(const PassStats *s, FILE *f);

/* Table queries: name and description of a pass, lookup by name (-1 if unknown). */
const char *pass_name(PassId id);
const char *pass_description(PassId id);
int pass_lookup(const char *name);

/* Per-op node counts, for before/after summaries: counts[op_type] over live nodes.
 * Fills at most max entries of names/counts (sorted by op type) and returns the
 * number of distinct op types. */
int pass_count_ops(const IrGraph *g, const char **names, int32_t *counts, int max);

#endif
