/* compile_aot.h - the ahead-of-time bundle of a compiled plan (compile.h):
 * PREFIX.dla (the accelerator program), PREFIX.o (host code through LLVM for
 * any triple: host segments, boundary quantize/dequantize, NCHW <-> NHWC
 * conversions, and the entry points NAME_load, NAME_load_file, NAME_open_sim,
 * NAME_run calling libdlart for the DLA segments) and PREFIX.h (the C API of
 * the bundle: entry points, every input's and output's name, dtype, shape,
 * bytes and quantization, the scratch size and alignments). docs/aot.md. */
#ifndef DLA_DRIVER_COMPILE_AOT_H
#define DLA_DRIVER_COMPILE_AOT_H

#include "compile.h"

typedef struct DlaAotOptions {
    const char *name;          /* C identifier prefixing every symbol and macro */
    const char *model;         /* the model path, for the header's comment (may be NULL) */
    const char *triple;        /* LLVM target triple of the object; NULL: this machine */
    const char *cpu;           /* NULL: the host CPU for this machine, "generic" otherwise */
    int opt_level;             /* 0..3 */
    /* output paths, each written atomically; NULL: not written */
    const char *dla, *obj, *header, *ir, *asm_path;
} DlaAotOptions;

typedef struct DlaAotInfo {
    uint64_t model_hash;       /* of the .dla image (dlart_aot_model_hash) */
    uint64_t target_fp;
    size_t dla_bytes;
    size_t scratch_bytes;      /* the scratch arena NAME_run needs */
    size_t host_arena_bytes;   /* of which: the largest arena of a host graph (offset 0) */
    size_t pack_bytes;         /* of which: the layout-conversion buffer */
    size_t value_bytes;        /* of which: values passed between segments */
    int32_t ngraphs;           /* host graphs in the object (segments, boundaries, layout conversions) */
} DlaAotInfo;

/* 1 if name is a valid C identifier of at most 63 characters. */
int dla_aot_name_ok(const char *name);
DlaStatus dla_aot_emit(const DlaPlan *p, const DlaAotOptions *o, DlaAotInfo *info, DlaError *err);

#endif
