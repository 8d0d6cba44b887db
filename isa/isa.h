/* isa.h - the DLA instruction set: opcodes, decoded instructions, encoder,
 * decoder, assembler and disassembler. Everything here is generated from the
 * one table isa/isa.def; the semantics are specified in docs/isa.md.
 *
 * An instruction is 128 bits (DLA_INSN_WORDS little-endian uint32 words) and
 * does one tile of work. Instructions are dispatched to three engines (LOAD,
 * COMPUTE, STORE DMA) that run in parallel, each in program order, ordered
 * against each other only by explicit dependency tokens. */
#ifndef DLA_ISA_ISA_H
#define DLA_ISA_ISA_H

#include <stddef.h>
#include <stdint.h>

#include "dla_err.h"
#include "program.h"
#include "target.h"
#include "isa.def"

typedef enum DlaOpcode {
#define X(e, name, fmt, eng) DLA_OP_##e,
    DLA_OPCODES(X)
#undef X
    DLA_OP_COUNT
} DlaOpcode;

typedef enum DlaFormat {
#define X(f) DLA_FMT_##f,
    DLA_FORMATS(X)
#undef X
    DLA_FMT_COUNT
} DlaFormat;

/* Engines. The token queues connect neighbours: LOAD <-> COMPUTE <-> STORE. */
typedef enum DlaEngine {
#define X(e, name) DLA_ENG_##e,
    DLA_ENGINES(X)
#undef X
    DLA_ENG_COUNT,
    DLA_ENGINE_ALL = 100,      /* SYNC, END: every engine */
    DLA_ENGINE_BY_FIELD = 101, /* decided by a field: see dla_insn_engine() */
} DlaEngine;

/* On-chip memories (the `mem` field of LOAD). DRAM is byte-addressed. */
typedef enum DlaMem {
#define X(e, name, esize) DLA_MEM_##e,
    DLA_MEMS(X)
#undef X
    DLA_MEM_COUNT
} DlaMem;

typedef enum DlaAluOp {
#define X(e, name, kind) DLA_ALU_##e,
    DLA_ALUOPS(X)
#undef X
    DLA_ALU_COUNT
} DlaAluOp;

/* REQUANT modes. */
enum { DLA_REQ_FP32 = 0, DLA_REQ_FIXED = 1 };

/* Width and bias of every field of every format, generated from isa.def
 * DLA_FORMAT_FIELDS: DLA_FW_<FMT>_<member> bits, DLA_FB_<FMT>_<member> bias
 * (stored = value - bias). */
enum {
#define F(fmt, nm, m, word, lo, width, bias, max) DLA_FW_##fmt##_##m = (width), DLA_FB_##fmt##_##m = (bias),
    DLA_FORMAT_FIELDS(F)
#undef F
};
/* Largest value an (unsigned) field can hold: 2^width - 1 + bias. */
#define DLA_FIELD_MAX(fmt, m) ((int64_t)((((uint64_t)1 << DLA_FW_##fmt##_##m) - 1) + (uint64_t)DLA_FB_##fmt##_##m))

/* The hardware limits the compiler plans around, all from the encoding:
 *   DLA_MAX_PAD     padding elements a LOAD adds per side (ypad0..zpad1: 7);
 *   DLA_MAX_EXTENT  a compute loop extent (e0..e3: 1024), also the GEMM
 *                   weight pitch in rows of R (wpitch);
 *   DLA_MAX_DMA_Y   rows (y) and planes (z) of a DMA box (1024);
 *   DLA_MAX_DMA_X   elements of a DMA row (x: 4096). */
#define DLA_MAX_PAD DLA_FIELD_MAX(LOAD, ypad0)
#define DLA_MAX_EXTENT DLA_FIELD_MAX(GEMM, e0)
#define DLA_MAX_WPITCH DLA_FIELD_MAX(GEMM, wpitch)
#define DLA_MAX_DMA_Y DLA_FIELD_MAX(LOAD, ysize)
#define DLA_MAX_DMA_Z DLA_FIELD_MAX(LOAD, zsize)
#define DLA_MAX_DMA_X DLA_FIELD_MAX(LOAD, xsize)

/* Number of compute loop levels (e0 outer .. e3 inner; LOOPCFG level 0..3). */
#define DLA_LOOP_LEVELS 4

/* A decoded instruction: one member per field of any format (isa.def
 * DLA_FIELDS); members the opcode's format lacks are 0. Values are logical
 * (sizes and extents are counts >= 1, signed fields are sign-extended, the
 * ALU immediate is the raw 32-bit pattern as an unsigned value). */
typedef struct DlaInsn {
    DlaOpcode op;
#define X(m, kind) int64_t m;
    DLA_FIELDS(X)
#undef X
} DlaInsn;

/* A decoded instruction with every field at its default (counts 1, others 0). */
void dla_insn_init(DlaInsn *in, DlaOpcode op);

/* Encode: every field must be in range for the format (the error names the
 * field and its range), fields the format lacks must be 0. */
DlaStatus dla_insn_encode(const DlaInsn *in, uint32_t words[DLA_INSN_WORDS], DlaError *err);

/* Decode and validate one instruction: opcode in range, reserved bits zero,
 * enum fields within their value sets. */
DlaStatus dla_insn_decode(const uint32_t words[DLA_INSN_WORDS], DlaInsn *out, DlaError *err);

/* Decode a whole code array; the error names the instruction index. */
DlaStatus dla_code_decode(const uint32_t *words, uint32_t ninsns, DlaInsn *out, DlaError *err);

/* The engine that runs a decoded instruction (DLA_ENGINE_ALL for SYNC/END). */
DlaEngine dla_insn_engine(const DlaInsn *in);

const char *dla_opcode_name(DlaOpcode op);   /* "gemm"; NULL if out of range */
const char *dla_engine_name(DlaEngine e);    /* "load"; NULL if not an engine */
const char *dla_mem_name(DlaMem m);          /* "inp" */
unsigned dla_mem_elem_bytes(DlaMem m);       /* 1 or 4 */
const char *dla_aluop_name(DlaAluOp a);      /* "add" */

/* Check that a target fits the instruction encoding (SRAM sizes addressable by
 * the address fields, GEMM/vector shapes supported). The simulator calls it;
 * a compiler should too. */
DlaStatus dla_isa_check_target(const DlaTarget *t, DlaError *err);

/* ---- text form (docs/isa.md, "Assembly") ----
 * One instruction per line: `mnemonic field=value ...`, flags as bare words
 * (`reset`, `pop_prev`), enum fields by name (`mem=inp`, `op=add`), numbers in
 * decimal or 0x hex, fp32 immediates as `1.5f`. `#` or `;` start comments.
 * `.insn W0 W1 W2 W3` is any raw instruction (the disassembler writes it for
 * words that do not decode), so any code array round-trips. */

/* Assemble text into a malloc'd code array (free() it). Errors say path:line. */
DlaStatus dla_asm_parse(const char *text, size_t len, const char *path, uint32_t **words,
                        uint32_t *ninsns, DlaError *err);

/* Disassemble one instruction into buf (always NUL-terminated when n > 0).
 * Returns the length the full text needs (like snprintf); invalid words are
 * written as `.insn 0x.. 0x.. 0x.. 0x..  # invalid: reason`. */
int dla_disasm_insn(const uint32_t words[DLA_INSN_WORDS], char *buf, size_t n);
/* The same for a decoded instruction (which must be valid). */
int dla_disasm_decoded(const DlaInsn *in, char *buf, size_t n);

#endif
