/* host_session.h - model file -> running host code, for `dlacc run --host-only`,
 * `dlacc conformance` and the model-zoo tests: load (frontend), bind input
 * shapes, infer shapes (ir_infer_shapes), JIT-compile, run.
 *
 * Static shapes are required. Symbolic input dims are bound from the actual
 * input tensors when the caller passes them. Data-dependent shapes (a Reshape
 * whose target shape is a graph input, Slice starts fed at run time...) are
 * resolved with `specialize`: when shapes are not static, integer-typed graph
 * inputs become constants holding the given tensors; when a lowering needs
 * input values at compile time (HostOptions.want_const), exactly those inputs
 * are folded. The compiled code is then valid for those values only; every
 * other input stays a run-time input. */
#ifndef DLA_BACKEND_HOST_SESSION_H
#define DLA_BACKEND_HOST_SESSION_H

#include "backend/host/host.h"
#include "frontend/onnx.h"

typedef struct HostSession {
    IrGraph *g;
    HostModel *m;
    int32_t nin_orig;      /* graph inputs as in the model file */
    int32_t *in_map;       /* compiled input i <- original input in_map[i] */
    int32_t nin;           /* inputs the compiled model takes */
    double t_load, t_infer, t_compile; /* seconds */
} HostSession;

typedef struct HostSessionOptions {
    const OnnxInputShape *shapes; /* --input-shape, may be NULL */
    int32_t nshapes;
    const OnnxTensorFile *inputs; /* the tensors that will be fed (NULL: unknown) */
    int32_t ninputs;
    int specialize;               /* fold integer inputs (needs inputs) */
    int opt_level;                /* LLVM level, 0..3 */
} HostSessionOptions;

DlaStatus host_session_open(const char *model, const HostSessionOptions *o, HostSession *s, DlaError *err);
/* Run with the original graph inputs (in model order): checks dtypes and
 * shapes, writes outputs into out[k] (malloc'd, graph output order). */
DlaStatus host_session_run(HostSession *s, const OnnxTensorFile *inputs, int32_t ninputs, void **out,
                           DlaError *err);
void host_session_close(HostSession *s);
double host_now(void);

#endif
