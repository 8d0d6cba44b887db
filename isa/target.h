/* target.h - a DLA target: every hardware size the compiler, simulator and
 * runtime use comes from here, read from targets/<name>.xml (libxml2).
 * Nothing about a target is hard-coded anywhere else.
 * Units: sizes in bytes, bandwidth in bytes/cycle, latency in cycles, clock in Hz. */
#ifndef DLA_ISA_TARGET_H
#define DLA_ISA_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include "dla_err.h"

/* The largest target XML accepted (bytes). Target files have no DTD. */
#define DLA_TARGET_MAX_XML_BYTES (1 << 20)

typedef struct DlaTarget {
    char name[64];
    /* GEMM array: rows x cols int8 MACs per cycle, int32 accumulation.
     * rows = input-channel (reduction) block, cols = output-channel block. */
    uint32_t gemm_rows, gemm_cols;
    uint32_t vector_lanes;       /* vector unit width (int32 lanes per cycle) */
    uint64_t inp_sram_bytes;     /* input activation SRAM (int8) */
    uint64_t wgt_sram_bytes;     /* weight SRAM (int8) */
    uint64_t acc_sram_bytes;     /* accumulator SRAM (int32) */
    uint64_t uop_bytes;          /* extra small memories the ISA needs (0 if unused) */
    uint64_t param_bytes;        /* requantization parameters (per-channel scale/shift/zp) */
    uint64_t lut_bytes;          /* lookup tables (256-entry int8 -> int8 each) */
    uint64_t dram_bytes;
    uint32_t dram_bytes_per_cycle;
    uint32_t dram_latency_cycles;
    uint64_t clock_hz;
    uint64_t fingerprint;        /* hash of all fields above; stored in .dla */
} DlaTarget;

/* Load and validate a target description. `name_or_path` is a shipped target
 * name ("dla-edge", "dla-server", looked up in the targets directory) or a path
 * to an XML file. Errors carry the file and line. */
DlaStatus dla_target_load(const char *name_or_path, DlaTarget *out, DlaError *err);
DlaStatus dla_target_load_xml(const char *path, DlaTarget *out, DlaError *err);
DlaStatus dla_target_parse_xml(const char *xml, size_t len, const char *path_for_errors,
                               DlaTarget *out, DlaError *err);
uint64_t dla_target_fingerprint(const DlaTarget *t);
/* The directory searched for shipped targets: $DLACC_TARGETS, else the install
 * dir, else the source tree's targets/ (compile-time default). */
const char *dla_target_dir(void);

/* The figures as a table, generated from isa/target.def (one row per numeric
 * field above, fingerprint excluded), for code that handles every figure alike:
 * the .dla TARGET record, `dlacc target`, tests. */
enum {
#define TF(field, elem, sel, attr, lo, hi, flags, desc) DLA_TF_##field,
#include "target.def"
#undef TF
    DLA_TARGET_NFIELDS
};
const char *dla_target_field_name(int i);  /* "gemm_rows" */
const char *dla_target_field_xml(int i, char *buf, size_t n); /* "<sram name=\"input\" bytes>" */
const char *dla_target_field_desc(int i);
uint64_t dla_target_field_get(const DlaTarget *t, int i);
void dla_target_field_set(DlaTarget *t, int i, uint64_t v); /* truncates to the member's width */
/* Check every figure's range and power-of-two rule, the name, and the cross
 * checks (one GEMM tile fits the SRAMs); used for XML and for targets embedded
 * in .dla files. Does not check t->fingerprint. */
DlaStatus dla_target_validate(const DlaTarget *t, DlaError *err);

#endif
