/* program.h - a DLA program in memory: what a .dla file holds once loaded, what
 * the backend builds, what the simulator runs. The container encoding is
 * isa/dla_format.{h,c} (docs/dla-format.md); instruction encoding is isa/isa.def
 * (docs/isa.md).
 *
 * DRAM image: the program's constants (weights, biases, requant params, tables)
 * occupy [0, const_bytes) of device DRAM; tensors (inputs, outputs, intermediates)
 * have DRAM offsets given by their descriptors. */
#ifndef DLA_ISA_PROGRAM_H
#define DLA_ISA_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "target.h"

#define DLA_INSN_WORDS 4 /* instructions are 128 bits = 4 little-endian uint32 words */

typedef enum DlaTensorRole {
    DLA_TENSOR_INPUT = 0,
    DLA_TENSOR_OUTPUT = 1,
    DLA_TENSOR_INTERMEDIATE = 2, /* crosses to/from the host mid-program */
} DlaTensorRole;

typedef struct DlaTensorDesc {
    char *name;           /* malloc'd */
    uint32_t role;        /* DlaTensorRole */
    uint32_t dtype;       /* IrDtype numbering (ONNX codes) */
    uint32_t layout;      /* IrLayout numbering */
    uint32_t rank;
    int64_t dims[8];
    float scale;          /* quantization (scale 0: not quantized) */
    int32_t zero_point;
    uint64_t dram_offset; /* byte offset in device DRAM */
    uint64_t nbytes;
} DlaTensorDesc;

/* Instructions [first_insn, first_insn + ninsns) implement IR node `name`. */
typedef struct DlaLayerMap {
    char *name;       /* IR node name, malloc'd */
    char *op_type;    /* malloc'd */
    uint32_t first_insn, ninsns;
    uint64_t macs;    /* useful MACs of the layer (for utilization) */
} DlaLayerMap;

/* What runs a segment of a compiled model (docs/dla-format.md, SEGMENTS). The
 * numbering is the file's: a zeroed record means HOST. */
typedef enum DlaSegKind {
    DLA_SEG_HOST = 0,     /* host code (model.o / JIT), no instructions here */
    DLA_SEG_DLA = 1,      /* a code range of this program, ending in `end` */
    DLA_SEG_BOUNDARY = 2, /* one Quantize/DequantizeLinear run in C by the host */
} DlaSegKind;

/* One segment of the model, in run order. A DLA segment owns the instructions
 * [first_insn, first_insn + ninsns) and exchanges the tensors listed with the
 * host; a HOST or BOUNDARY segment has ninsns = 0 (first_insn: where it sits
 * between the DLA segments) and lists the program tensors it reads or writes. */
typedef struct DlaSegmentDesc {
    uint32_t kind;        /* DlaSegKind */
    uint32_t first_insn, ninsns;
    uint32_t *tensors;    /* indices into DlaProgram.tensors, malloc'd */
    uint32_t ntensors;
} DlaSegmentDesc;

typedef struct DlaProgram {
    DlaTarget target;      /* the target it was compiled for (fingerprint checked on load) */
    uint32_t *code;        /* ninsns * DLA_INSN_WORDS words */
    uint32_t ninsns;
    uint8_t *consts;       /* constant DRAM image, loaded at DRAM offset 0 */
    uint64_t const_bytes;
    uint64_t dram_bytes_used; /* consts + all tensors: the DRAM the program needs */
    DlaTensorDesc *tensors;
    uint32_t ntensors;
    DlaLayerMap *layers;
    uint32_t nlayers;
    /* Run order of the model's segments; none: the whole program is one DLA
     * segment that exchanges every tensor. */
    DlaSegmentDesc *segments;
    uint32_t nsegments;
} DlaProgram;

void dla_program_free(DlaProgram *p); /* frees members, not p itself */

#endif
