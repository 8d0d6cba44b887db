/* dlacc.h - libdlacc, the compiler's public API: compile an ONNX model (a
 * file or a buffer in memory) for a DLA target into a compiled model, write
 * its accelerator program as a .dla, and run it in-process: accelerator
 * segments on the simulator through libdlart, the rest on host code
 * JIT-compiled through LLVM.
 *
 *     DlaccOptions o;
 *     dlacc_options_init(&o);                  // sets o.size: fields may be added later
 *     o.target = "dla-edge";
 *     o.calib_dir = "calib/";
 *     DlaccModel *m;
 *     DlaError err;
 *     if (dlacc_compile_buffer(onnx, onnx_size, "model", &o, &m, &err)) { ... err.msg ... }
 *     DlaccContext *c;                         // one per thread that runs m
 *     dlacc_context_create(m, &c, &err);
 *     DlaTensor in, out;
 *     dlacc_describe_input(m, 0, &in, NULL, &err);   // dtype, rank, dims, bytes
 *     dlacc_describe_output(m, 0, &out, NULL, &err);
 *     in.data = image; out.data = result;      // caller's buffers, in.bytes / out.bytes
 *     dlacc_context_run(c, &in, 1, &out, 1, &err);
 *     const DlartStats *s = dlacc_context_stats(c);  // cycles, MACs, roofline, per layer
 *     dlacc_context_free(c);
 *     dlacc_free(m);
 *
 * Tensors are exchanged in ONNX order (row-major, NCHW for images) with the
 * model's own dtypes (float32 for a float model's inputs and outputs): the
 * quantization, NCHW <-> NHWC conversion and host work happen inside. The
 * model's inputs must have static shapes (set symbolic dims with
 * input_shapes).
 *
 * Errors: every fallible call returns a DlaStatus and fills the DlaError (may
 * be NULL) with one message. The library never prints and never exits.
 *
 * Thread safety (docs/api.md):
 *   - dlacc_version, dlacc_options_init: any thread, any time.
 *   - dlacc_compile, dlacc_compile_buffer: any thread; compilations are
 *     serialized by a lock inside the library.
 *   - A DlaccModel is immutable once compiled: the describe/info/count
 *     functions, dlacc_write_dla, dlacc_write_dla_memory and
 *     dlacc_context_create may be called from several threads at once.
 *   - A DlaccContext holds everything a run mutates (a simulator device, the
 *     runtime program's staging and statistics, the host code's scratch
 *     arena): one thread at a time per context; different contexts of the
 *     same model run concurrently.
 *   - dlacc_run / dlacc_stats / dlacc_times use the model's built-in context:
 *     one thread at a time for the whole model.
 *   - dlacc_free / dlacc_context_free: when nothing else uses the object
 *     (free every context of a model before the model). */
#ifndef DLACC_H
#define DLACC_H

#include <stddef.h>
#include <stdint.h>

#include "dla_types.h"
#include "dla_version.h"
#include "dlart.h"

#define DLACC_API DLA_EXPORT

/* The linked library's version, "MAJOR.MINOR.PATCH" (= DLA_VERSION_STRING of its build). */
DLACC_API const char *dlacc_version(void);

/* Compile options. Initialize with dlacc_options_init (or DLACC_OPTIONS_INIT):
 * it sets size = sizeof(DlaccOptions) as the caller was compiled, so that a
 * newer library with more fields reads only those the caller knows (the rest
 * take their defaults). size 0 is an error. */
typedef struct DlaccOptions {
    size_t size;                /* sizeof(DlaccOptions) */
    const char *target;         /* shipped target name or XML path; NULL: "dla-edge" */
    const char *calib_dir;      /* folder of calibration inputs (*.pb); required for float models */
    const char *calib_method;   /* "minmax" (NULL), "percentile", "entropy", "mse" */
    const char *const *input_shapes; /* "NAME=D0,D1,..." strings, as --input-shape */
    int ninput_shapes;
    int host_opt_level;         /* LLVM optimization level of the host code, 0..3 (0 means 0) */
    uint64_t max_cycles;        /* bound on every accelerator run (0: none) */
} DlaccOptions;

#define DLACC_OPTIONS_INIT {sizeof(DlaccOptions), NULL, NULL, NULL, NULL, 0, 0, 0}
DLACC_API void dlacc_options_init(DlaccOptions *o);

typedef struct DlaccModel DlaccModel;
typedef struct DlaccContext DlaccContext;

/* Compile an ONNX model file, or an ONNX model in memory (data, size: the
 * serialized ModelProto; name only labels error messages; external tensor
 * data is not supported from memory). o may be NULL (defaults; a float model
 * then fails for want of calibration data). On error *out is NULL. */
DLACC_API DlaStatus dlacc_compile(const char *onnx_path, const DlaccOptions *o, DlaccModel **out, DlaError *err);
DLACC_API DlaStatus dlacc_compile_buffer(const void *data, size_t size, const char *name, const DlaccOptions *o,
                                         DlaccModel **out, DlaError *err);
DLACC_API void dlacc_free(DlaccModel *m);

/* The accelerator program (all DLA segments, docs/runtime.md) as a .dla file
 * or in memory (*data malloc'd, the caller frees it; load it with
 * dlart_program_load_memory). DLA_ERR_UNSUPPORTED if no part of the model
 * runs on the accelerator. */
DLACC_API DlaStatus dlacc_write_dla(const DlaccModel *m, const char *path, DlaError *err);
DLACC_API DlaStatus dlacc_write_dla_memory(const DlaccModel *m, void **data, size_t *size, DlaError *err);

/* Graph inputs and outputs. dlacc_describe_* fill a tensor descriptor with
 * the model's dtype, rank, dims and byte size (data = NULL: the caller points
 * it at its buffer) and *name (may be NULL; owned by the model). */
DLACC_API int dlacc_num_inputs(const DlaccModel *m);
DLACC_API int dlacc_num_outputs(const DlaccModel *m);
DLACC_API DlaStatus dlacc_describe_input(const DlaccModel *m, int i, DlaTensor *t, const char **name, DlaError *err);
DLACC_API DlaStatus dlacc_describe_output(const DlaccModel *m, int i, DlaTensor *t, const char **name, DlaError *err);

/* ---- run contexts ---- */

/* A run context for m: its own simulator device (m's target, max_cycles of
 * the options), runtime program and host arena. m must outlive it. */
DLACC_API DlaStatus dlacc_context_create(const DlaccModel *m, DlaccContext **out, DlaError *err);
DLACC_API void dlacc_context_free(DlaccContext *c);
/* Run once. inputs[i] / outputs[k] describe graph input i / output k (in
 * graph order, ninputs / noutputs of them exactly): dtype, rank and dims must
 * be the model's and bytes at least the tensor's size; otherwise
 * DLA_ERR_INVALID names the tensor and both descriptions. Output buffers are
 * written only when the run succeeds. */
DLACC_API DlaStatus dlacc_context_run(DlaccContext *c, const DlaTensor *inputs, int ninputs, DlaTensor *outputs,
                                      int noutputs, DlaError *err);
/* Accelerator statistics accumulated over the context's runs (NULL if no
 * part of the model runs on the accelerator); valid until the next run or free. */
DLACC_API const DlartStats *dlacc_context_stats(DlaccContext *c);

/* Wall-clock seconds of the compilation steps and of the last run. */
typedef struct DlaccTimes {
    double compile, calibrate, lower, host_compile; /* compile includes everything but calibration */
    double simulate, host;                           /* the last run */
} DlaccTimes;
DLACC_API DlaccTimes dlacc_context_times(const DlaccContext *c);
/* Bytes of host scratch memory one context holds for the host segments. */
DLACC_API size_t dlacc_host_arena_bytes(const DlaccModel *m);

/* ---- convenience: the model's built-in context (one thread at a time) ---- */

/* Name, ONNX dtype code, rank and dims of input/output i; NULL if out of range. */
DLACC_API const char *dlacc_input_info(const DlaccModel *m, int i, int *dtype, int *rank, const int64_t **dims);
DLACC_API const char *dlacc_output_info(const DlaccModel *m, int i, int *dtype, int *rank, const int64_t **dims);
DLACC_API size_t dlacc_input_bytes(const DlaccModel *m, int i);
DLACC_API size_t dlacc_output_bytes(const DlaccModel *m, int i);
/* Run once on the built-in context: inputs[i] holds dlacc_input_bytes(m, i)
 * bytes, outputs[k] has room for dlacc_output_bytes(m, k) (untyped: prefer
 * dlacc_context_run). */
DLACC_API DlaStatus dlacc_run(DlaccModel *m, const void *const *inputs, void *const *outputs, DlaError *err);
DLACC_API const DlartStats *dlacc_stats(DlaccModel *m);
DLACC_API DlaccTimes dlacc_times(const DlaccModel *m);

/* ---- compiler-side interface (dlacc's tools; no ABI promise) ---- */
/* The accelerator program in memory (isa/program.h); NULL if none. */
DLACC_API const DlaProgram *dlacc_program(const DlaccModel *m);

#endif
