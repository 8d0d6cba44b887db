/* dla_format.h - the .dla container: a DlaProgram (isa/program.h) on disk.
 *
 * The byte layout is specified in docs/dla-format.md; this is its only
 * implementation. Readers validate everything (bounds, counts against sizes
 * before any allocation, checksums, target fingerprint, tensor and layer
 * descriptors against the DRAM and the code) and never crash on hostile input:
 * errors name the section and the file offset. */
#ifndef DLA_ISA_DLA_FORMAT_H
#define DLA_ISA_DLA_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "dla_err.h"
#include "program.h"

#define DLA_FORMAT_VERSION 2 /* 2: SEGMENTS section */
#define DLA_FORMAT_MAGIC "\x89" "DLA\r\n\x1a\n" /* 8 bytes, PNG-style: catches text-mode mangling */
#define DLA_FORMAT_HEADER_BYTES 64
#define DLA_FORMAT_SECTION_BYTES 32 /* one section-table entry */
#define DLA_FORMAT_TENSOR_BYTES 112 /* one TENSORS record */
#define DLA_FORMAT_LAYER_BYTES 32   /* one LAYERS record */
#define DLA_FORMAT_SEGMENT_BYTES 16 /* one SEGMENTS record (its tensor indices follow the records) */
#define DLA_FORMAT_NAME_MAX 4096    /* longest tensor/layer/op name, bytes */

/* SEC(ENUM, kind code, "name"): the sections of a version-2 file; each occurs
 * exactly once, in any order. */
#define DLA_SECTIONS(SEC) \
    SEC(TARGET, 1, "target") \
    SEC(CODE, 2, "code") \
    SEC(CONSTS, 3, "consts") \
    SEC(TENSORS, 4, "tensors") \
    SEC(LAYERS, 5, "layers") \
    SEC(STRINGS, 6, "strings") \
    SEC(SEGMENTS, 7, "segments")

typedef enum DlaSectionKind {
#define SEC(e, code, name) DLA_SEC_##e = code,
    DLA_SECTIONS(SEC)
#undef SEC
} DlaSectionKind;
#define DLA_FORMAT_NSECTIONS 7

/* Serialize p (which must pass dla_program_validate) into a malloc'd buffer. */
DlaStatus dla_program_write_mem(const DlaProgram *p, uint8_t **data, size_t *size, DlaError *err);
DlaStatus dla_program_write(const DlaProgram *p, const char *path, DlaError *err);

/* Parse and validate a .dla image into *out (zeroed first; on error *out is
 * left empty, nothing to free). The buffer is not kept. */
DlaStatus dla_program_read_mem(const void *data, size_t size, DlaProgram *out, DlaError *err);
DlaStatus dla_program_read(const char *path, DlaProgram *out, DlaError *err);

/* The invariants of an in-memory program that the reader enforces and the
 * writer requires: valid target with matching fingerprint; const_bytes <=
 * dram_bytes_used <= target DRAM; tensors well-formed and inside
 * [const_bytes, dram_bytes_used); layer ranges inside the code, disjoint;
 * every instruction decodes; segments known kinds, in code order, DLA ones
 * non-empty and ending in `end`, others empty, tensor indices in range and
 * unique per segment. See docs/dla-format.md, "Validation". */
DlaStatus dla_program_validate(const DlaProgram *p, DlaError *err);

const char *dla_section_name(uint32_t kind); /* "code", or NULL if unknown */
const char *dla_tensor_role_name(uint32_t role); /* "input", or NULL */
const char *dla_seg_kind_name(uint32_t kind);    /* DlaSegKind: "host", "dla", "boundary"; NULL if unknown */
int dla_seg_kind_from_name(const char *name, uint32_t *kind); /* 1 if known */
int dla_tensor_role_from_name(const char *name, uint32_t *role); /* 1 if known */
const char *dla_layout_name(uint32_t layout);    /* IrLayout: "rowmajor", "nhwc", "nchwc"; NULL if unknown */
int dla_layout_from_name(const char *name, uint32_t *layout);

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()): crc = 0 to start. */
uint32_t dla_crc32(uint32_t crc, const void *data, size_t n);

#endif
