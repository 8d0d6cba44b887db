/* dlacc.h - libdlacc, the compiler's public API: compile an ONNX model for a
 * DLA target into an in-memory compiled model, write its accelerator program
 * as a .dla file, or run it in-process (accelerator segments on the simulator
 * through libdlart, the rest on host code JIT-compiled through LLVM).
 *
 *     DlaccOptions o = {0};
 *     o.target = "dla-edge";
 *     o.calib_dir = "calib/";
 *     DlaccModel *m;
 *     if (dlacc_compile("model.onnx", &o, &m, &err)) { ... err.msg ... }
 *     dlacc_write_dla(m, "model.dla", &err);
 *     void *out[1] = {result};                 // caller-allocated, dlacc_output_bytes(m, 0)
 *     const void *in[1] = {image};
 *     dlacc_run(m, in, out, &err);
 *     const DlartStats *s = dlacc_stats(m);    // cycles, MACs, roofline, per layer
 *     dlacc_free(m);
 *
 * Tensors are exchanged in ONNX order (row-major, NCHW for images) with the
 * model's own dtypes (float32 for a float model's inputs and outputs): the
 * quantization, NCHW <-> NHWC conversion and host work happen inside. The
 * model's inputs must have static shapes (set symbolic dims with
 * input_shapes). The library never prints and never exits. docs/runtime.md. */
#ifndef DLACC_H
#define DLACC_H

#include <stddef.h>
#include <stdint.h>

#include "dla_err.h"
#include "dlart.h"

typedef struct DlaccOptions {
    const char *target;         /* shipped target name or XML path; NULL: "dla-edge" */
    const char *calib_dir;      /* folder of calibration inputs (*.pb); required for float models */
    const char *calib_method;   /* "minmax" (NULL), "percentile", "entropy", "mse" */
    const char *const *input_shapes; /* "NAME=D0,D1,..." strings, as --input-shape */
    int ninput_shapes;
    int host_opt_level;         /* LLVM optimization level of the host code, 0..3 (0 means 0) */
    uint64_t max_cycles;        /* bound on every accelerator run (0: none) */
} DlaccOptions;

typedef struct DlaccModel DlaccModel;

DlaStatus dlacc_compile(const char *onnx_path, const DlaccOptions *o, DlaccModel **out, DlaError *err);
void dlacc_free(DlaccModel *m);

/* The accelerator program (all DLA segments, docs/runtime.md); NULL if no
 * part of the model runs on the accelerator. */
const DlaProgram *dlacc_program(const DlaccModel *m);
DlaStatus dlacc_write_dla(const DlaccModel *m, const char *path, DlaError *err);

/* Graph inputs and outputs: name, ONNX dtype code, rank, dims. */
int dlacc_num_inputs(const DlaccModel *m);
int dlacc_num_outputs(const DlaccModel *m);
const char *dlacc_input_info(const DlaccModel *m, int i, int *dtype, int *rank, const int64_t **dims);
const char *dlacc_output_info(const DlaccModel *m, int i, int *dtype, int *rank, const int64_t **dims);
size_t dlacc_input_bytes(const DlaccModel *m, int i);
size_t dlacc_output_bytes(const DlaccModel *m, int i);

/* Run once: inputs[i] holds dlacc_input_bytes(m, i) bytes, outputs[k] has
 * room for dlacc_output_bytes(m, k). */
DlaStatus dlacc_run(DlaccModel *m, const void *const *inputs, void *const *outputs, DlaError *err);
/* Accelerator statistics accumulated over the runs (NULL without accelerator part). */
const DlartStats *dlacc_stats(DlaccModel *m);

/* Wall-clock seconds of the compilation steps and of the last run. */
typedef struct DlaccTimes {
    double compile, calibrate, lower, host_compile; /* compile includes everything but calibration */
    double simulate, host;                           /* last dlacc_run */
} DlaccTimes;
DlaccTimes dlacc_times(const DlaccModel *m);

#endif
