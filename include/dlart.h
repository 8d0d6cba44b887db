/* dlart.h - libdlart, the DLA runtime: loads a DLA program (a .dla file or a
 * DlaProgram in memory), owns the device memory it needs, runs it on a device
 * and keeps execution statistics. The default (and so far only) device is the
 * ISA simulator of isa/sim.h, in-process.
 *
 * Programs and segments. A program may hold several *segments*: code ranges,
 * each ending in `end`, that run one after the other with host work in
 * between (the host consumes what segment k wrote and produces what segment
 * k+1 reads). They are the DLA entries of the program's SEGMENTS table
 * (DlaProgram.segments, docs/dla-format.md), in order: each has a code range
 * and the indices of the tensors it exchanges with the host; the HOST and
 * BOUNDARY entries between them tell the caller what to run in between
 * (docs/runtime.md). A program without the table is one segment exchanging
 * every tensor.
 *
 * Tensors. The host exchanges tensors in the IR's logical row-major order
 * (NCHW for images); the runtime converts to the descriptor's DRAM layout
 * (NHWC for rank-4 tensors whose layout is IR_LAYOUT_NHWC) on the way in and
 * back on the way out. Inputs are staged in host memory and copied to the
 * device when their segment runs, outputs are copied back after it ran, so a
 * device may hold another segment's program in between.
 *
 * Errors follow the library rules: a DlaStatus and a DlaError message, no
 * printing, no exit.
 *
 * Thread safety. Functions that take no device or program (dlart_version,
 * dlart_status_name, dlart_dtype_*, dlart_device_open*) may be called from
 * any thread at any time. A device and the programs loaded on it form one
 * unit that one thread at a time may use (the calls mutate the device's
 * memory and the programs' staging buffers and statistics); distinct devices
 * (each with its programs) may be used from different threads concurrently.
 * docs/api.md. */
#ifndef DLART_H
#define DLART_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dla_types.h"
#include "dla_version.h"

#define DLART_API DLA_EXPORT

typedef struct DlartDevice DlartDevice;
typedef struct DlartProgram DlartProgram;

/* ---- version, names (thread-safe) ---- */

/* The linked library's version, "MAJOR.MINOR.PATCH" (DLA_VERSION_STRING of its build). */
DLART_API const char *dlart_version(void);
/* "ok", "I/O error", ... (never NULL). */
DLART_API const char *dlart_status_name(DlaStatus s);
/* "float32", "int8", ...; NULL for a code dlacc does not compute with. */
DLART_API const char *dlart_dtype_name(DlaDtype t);
/* Bytes per element; 0 for a code dlacc does not compute with. */
DLART_API size_t dlart_dtype_size(DlaDtype t);

/* ---- devices ---- */

/* A simulator device for the target named target: a shipped target name
 * ("dla-edge", "dla-server", found under share/dlacc/targets of the install
 * prefix, or $DLACC_TARGETS) or the path of a target XML. max_cycles bounds
 * every run (0: no limit). */
DLART_API DlaStatus dlart_device_open(const char *target, uint64_t max_cycles, DlartDevice **out, DlaError *err);
DLART_API void dlart_device_free(DlartDevice *d);
DLART_API const char *dlart_device_name(const DlartDevice *d); /* "sim" */
DLART_API const char *dlart_device_target_name(const DlartDevice *d); /* "dla-edge" */
/* Record a Chrome trace-event timeline of the following runs (off by
 * default) and write the last segment run's timeline (one track per engine
 * and one for layers; opens in Perfetto). */
DLART_API void dlart_device_set_trace(DlartDevice *d, int on);
DLART_API DlaStatus dlart_device_write_trace(DlartDevice *d, FILE *f, DlaError *err);

/* ---- programs ---- */

/* Load a .dla for device d: validates it, checks that it was compiled for
 * the device's target (fingerprint) and parses its segments. A truncated or
 * corrupted image is an error (DLA_ERR_FORMAT), never a crash.
 * dlart_program_load_memory copies what it needs from data (data may be
 * freed after the call); dlart_program_load_file owns what it read. */
DLART_API DlaStatus dlart_program_load_file(DlartDevice *d, const char *path, DlartProgram **out, DlaError *err);
DLART_API DlaStatus dlart_program_load_memory(DlartDevice *d, const void *data, size_t size, DlartProgram **out,
                                              DlaError *err);
DLART_API void dlart_program_free(DlartProgram *p);

/* The number of DLA segments (1 for a program without a SEGMENTS table). */
DLART_API uint32_t dlart_segment_count(const DlartProgram *p);
/* The indices (into the tensor table) of the *n tensors segment k exchanges
 * with the host; owned by the program. NULL and *n = 0 if k is out of range. */
DLART_API const uint32_t *dlart_segment_tensors(const DlartProgram *p, uint32_t k, uint32_t *n);

/* The program's tensors (those it exchanges with the host). */
typedef enum DlartTensorRole {
    DLART_TENSOR_INPUT = 0,
    DLART_TENSOR_OUTPUT = 1,
    DLART_TENSOR_INTERMEDIATE = 2, /* crosses to/from the host mid-program */
} DlartTensorRole;

typedef struct DlartTensorInfo {
    const char *name;      /* owned by the program */
    DlartTensorRole role;
    DlaDtype dtype;
    int32_t rank;
    int64_t dims[DLA_MAX_RANK];
    size_t bytes;          /* numel * element size, in logical row-major order */
    float scale;           /* quantization: real = scale * (q - zero_point); scale 0: not quantized */
    int32_t zero_point;
} DlartTensorInfo;

DLART_API uint32_t dlart_tensor_count(const DlartProgram *p);
/* Index of the tensor named name, -1 if none. */
DLART_API int32_t dlart_tensor_find(const DlartProgram *p, const char *name);
DLART_API DlaStatus dlart_tensor_info(const DlartProgram *p, uint32_t i, DlartTensorInfo *out, DlaError *err);

/* Stage a tensor's contents (logical row-major order, numel * dtype size
 * bytes, exactly) for the next run of its segment. */
DLART_API DlaStatus dlart_tensor_write(DlartProgram *p, uint32_t i, const void *data, size_t nbytes, DlaError *err);
/* Copy a tensor's contents as of the last run of its segment, in logical
 * row-major order, into data (nbytes exactly). */
DLART_API DlaStatus dlart_tensor_read(DlartProgram *p, uint32_t i, void *data, size_t nbytes, DlaError *err);
/* The same with a typed descriptor: t's dtype, rank and dims must be the
 * tensor's and t->bytes at least its size (the error says what differs). */
DLART_API DlaStatus dlart_tensor_set(DlartProgram *p, uint32_t i, const DlaTensor *t, DlaError *err);
DLART_API DlaStatus dlart_tensor_get(DlartProgram *p, uint32_t i, const DlaTensor *t, DlaError *err);

/* Run segment k: makes its code resident on the device (constants included),
 * copies the segment's staged tensors with role input/intermediate to device
 * DRAM, runs to `end`, copies its output/intermediate tensors back and adds
 * the run's figures to the statistics. A tensor of the segment that was never
 * written is an error (so a stale value is never used silently). */
DLART_API DlaStatus dlart_run_segment(DlartProgram *p, uint32_t k, DlaError *err);
/* Every segment in order (for programs without host work in between). */
DLART_API DlaStatus dlart_run(DlartProgram *p, DlaError *err);

/* ---- statistics (accumulated over all runs of all segments) ---- */

typedef struct DlartLayerStats {
    const char *name, *op_type;   /* owned by the program */
    uint32_t segment;
    uint64_t cycles;              /* end - start of the layer's instructions */
    uint64_t macs;                /* useful MACs (layer map) */
    uint64_t dram_bytes_read, dram_bytes_written;
    uint64_t compulsory_bytes;    /* weights + inputs + outputs once; 0: unknown (see below) */
    double roofline_cycles;       /* max(macs / peak, compulsory_bytes / bandwidth) */
    double utilization;           /* macs / (cycles * peak) */
} DlartLayerStats;

typedef struct DlartStats {
    uint64_t runs;                /* segment runs */
    uint64_t cycles;              /* sum over segment runs of total cycles */
    uint64_t macs;                /* useful MACs */
    uint64_t peak_macs_per_cycle; /* gemm_rows * gemm_cols */
    uint64_t dram_bytes_read, dram_bytes_written;
    double roofline_cycles;       /* sum over layers */
    double utilization;           /* macs / (cycles * peak) */
    double device_seconds;        /* cycles / clock */
    double wall_seconds;          /* host time spent in the device's run calls */
    uint32_t nlayers;             /* = the program's layer map */
    const DlartLayerStats *layers;
} DlartStats;

/* The compulsory DRAM traffic of each layer (weights + inputs + outputs once,
 * bytes), which the program image does not know: the compiler supplies it.
 * bytes[i] belongs to the program's layer-map entry i. Without it roofline cycles count MACs only. */
DLART_API void dlart_set_compulsory_bytes(DlartProgram *p, const uint64_t *bytes, uint32_t n);
DLART_API const DlartStats *dlart_stats(DlartProgram *p);
DLART_API void dlart_stats_reset(DlartProgram *p);
/* The statistics as a JSON object's members (no braces), indented by indent
 * spaces: cycles, macs, peak_macs_per_cycle, dram_bytes_read,
 * dram_bytes_written, roofline_cycles, utilization, device_seconds, runs and
 * layers (array). */
DLART_API void dlart_stats_write_json(const DlartStats *s, FILE *f, int indent);

/* ---- compiler-side interface ----
 * For libdlacc and dlacc's own tools: these take the compiler's in-memory
 * types (isa/program.h, isa/target.h of the dlacc source tree), which stay
 * opaque here. They are exported (libdlacc.so calls them) but carry no ABI
 * promise: an application uses the functions above. */
typedef struct DlaTarget DlaTarget;
typedef struct DlaProgram DlaProgram;
typedef struct DlaTensorDesc DlaTensorDesc;

/* A simulator device for target t (copied). */
DLART_API DlaStatus dlart_device_open_sim(const DlaTarget *t, uint64_t max_cycles, DlartDevice **out, DlaError *err);
DLART_API const DlaTarget *dlart_device_target(const DlartDevice *d);
/* Load a program in memory; borrows p (it must outlive the DlartProgram and
 * must not change while loaded). */
DLART_API DlaStatus dlart_program_load(DlartDevice *d, const DlaProgram *p, DlartProgram **out, DlaError *err);
DLART_API const DlaProgram *dlart_program_image(const DlartProgram *p);
DLART_API const DlaTensorDesc *dlart_tensor(const DlartProgram *p, uint32_t i);
/* Number of elements (= bytes for int8) of a tensor in logical order. */
DLART_API uint64_t dlart_tensor_numel(const DlaTensorDesc *d);
/* Layout conversion between logical row-major and a descriptor's DRAM layout
 * (both buffers numel * element size bytes). */
DLART_API void dlart_pack(const DlaTensorDesc *d, const void *rowmajor, void *dev);
DLART_API void dlart_unpack(const DlaTensorDesc *d, const void *dev, void *rowmajor);

/* ==== AOT support ====================================================
 * What the generated code of an ahead-of-time bundle calls (`dlacc
 * MODEL.onnx -o PREFIX --name NAME` writes PREFIX.o, PREFIX.h, PREFIX.dla;
 * docs/aot.md). Applications call the bundle's own NAME_load / NAME_open_sim
 * / NAME_run, declared in PREFIX.h, rather than these. */

/* The model hash of a .dla image (n bytes): 64-bit FNV-1a over its header
 * and section table, which hold the size and CRC-32 of every section. */
DLART_API uint64_t dlart_aot_model_hash(const void *dla, size_t n);
/* Load a .dla image (from memory or a file) for bundle `bundle` compiled for
 * target `target`: the reader's validation (every checksum and range), then
 * the image's target fingerprint and model hash must equal the bundle's; a
 * mismatch is an error naming both. The program owns what it read. */
DLART_API DlaStatus dlart_aot_load(DlartDevice *d, const void *dla, size_t n, const char *bundle, const char *target,
                         uint64_t model_hash, uint64_t target_fp, DlartProgram **out, DlaError *err);
DLART_API DlaStatus dlart_aot_load_file(DlartDevice *d, const char *path, const char *bundle, const char *target,
                              uint64_t model_hash, uint64_t target_fp, DlartProgram **out, DlaError *err);
/* The same, on a new simulator device for the image's own target (after the
 * checks); the caller frees *out, then *dev. */
DLART_API DlaStatus dlart_aot_open_sim(const char *path, const char *bundle, const char *target, uint64_t model_hash,
                             uint64_t target_fp, uint64_t max_cycles, DlartDevice **dev, DlartProgram **out,
                             DlaError *err);
/* Whether p was loaded by dlart_aot_load* with this model hash and target. */
DLART_API DlaStatus dlart_aot_check(const DlartProgram *p, const char *bundle, uint64_t model_hash, uint64_t target_fp,
                          DlaError *err);
/* Whether a bundle's header (header_hash: its NAME_MODEL_HASH) belongs to the
 * object (object_hash: the hash compiled into it); NAME_check_header. */
DLART_API DlaStatus dlart_aot_check_header(const char *bundle, uint64_t object_hash, uint64_t header_hash, DlaError *err);
/* dlart_tensor_write / _read without layout conversion: data is in the
 * descriptor's DRAM layout (the bundle converts NCHW <-> NHWC itself);
 * nbytes = numel * element size exactly. */
DLART_API DlaStatus dlart_tensor_write_dev(DlartProgram *p, uint32_t i, const void *data, size_t nbytes, DlaError *err);
DLART_API DlaStatus dlart_tensor_read_dev(DlartProgram *p, uint32_t i, void *data, size_t nbytes, DlaError *err);

#endif
