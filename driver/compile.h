/* compile.h - the compile driver: an ONNX model -> an executable plan for a
 * DLA target, and the executor of that plan.
 *
 *   load (frontend, --input-shape) -> pipeline (canonicalize) -> calibrate
 *   (--calib DIR, host JIT) -> partition -> quantize -> segments
 *
 * Segments (compile_segment.c) are the quantized graph's nodes split into an
 * ordered list, each run as one unit:
 *   - DLA: a maximal group of dlacc-domain Q-ops lowered by dla_lower into
 *     one program segment (all DLA segments are merged into one DlaProgram,
 *     compile_merge.c, the image of PREFIX.dla, whose SEGMENTS table lists
 *     every segment of the plan in run order);
 *   - HOST: other ops, extracted into a sub-graph and JIT-compiled by the
 *     host backend (float, or whatever dtypes the ops use);
 *   - BOUNDARY: one QuantizeLinear / DequantizeLinear with per-tensor
 *     constant scale and zero point, run in C (ONNX semantics, docs/quant.md).
 * Layout conversion (NCHW <-> NHWC) happens in libdlart when tensors cross to
 * the device. Segment order respects every data dependency; the grouping
 * keeps switches between kinds few (compile_segment.c says how). */
#ifndef DLA_BACKEND_COMPILE_H
#define DLA_BACKEND_COMPILE_H

#include <stdio.h>

#include "dlart.h"
#include "frontend/onnx.h"
#include "backend/host/host.h"
#include "ir.h"
#include "isa/program.h"
#include "isa/target.h"

typedef struct DlaCompileOptions {
    const char *target;        /* shipped name or XML path; NULL: "dla-edge" */
    const char *calib_dir;     /* calibration inputs (every *.pb); required for float models */
    const char *calib_method;  /* NULL: "minmax" */
    const OnnxInputShape *shapes;
    int32_t nshapes;
    int host_opt_level;        /* LLVM level for host segments (0..3) */
    /* The tensors that will be fed (may be NULL): graph inputs with unknown
     * dims and no --input-shape take the shape of the tensor given for them. */
    const OnnxTensorFile *bind;
    int32_t nbind;
    /* --dump-after=PASS|all for the graph passes (passes.def): the IR text
     * after that pass to dump_file (NULL: stderr); the partition pass's dump
     * notes why each host node is there. NULL: no dump. */
    const char *dump_after;
    FILE *dump_file;
    /* The model as an ONNX buffer in memory instead of a path (the model
     * argument then only names it in errors); no external data. */
    const void *model_data;
    size_t model_size;
} DlaCompileOptions;

/* DlaSegKind (HOST, DLA, BOUNDARY) is isa/program.h's: the .dla SEGMENTS section records it. */

typedef struct DlaSegment {
    DlaSegKind kind;
    int32_t *nodes;            /* node indices of the quantized graph, topological order */
    int32_t nnodes;
    int32_t *in_vals, nin;     /* values it reads that other segments / graph inputs produce */
    int32_t *out_vals, nout;   /* values it produces that others read or that are graph outputs */
    /* HOST */
    IrGraph *sub;              /* inputs = in_vals, outputs = out_vals, in order */
    HostModel *hm;
    /* DLA */
    uint32_t dla_index;        /* segment number in the merged program */
    int32_t *in_tensor, *out_tensor; /* merged-program tensor index per in_vals / out_vals */
} DlaSegment;

/* What the partition pass decided (driver/compile_partition.c), read from
 * the float graph right after it: the nodes left on the host with the reason
 * (passes/quant.h quant_host_reason), and the multiply-accumulates of
 * Conv/ConvTranspose/Gemm/MatMul-class nodes on each side (from shapes). */
typedef struct DlaHostNode {
    char *name, *op_type, *reason; /* malloc'd */
} DlaHostNode;

typedef struct DlaPartition {
    int partitioned;           /* 0: no partition ran (no calibration: the model runs as given, on the host) */
    int32_t dla_nodes;         /* live nodes on the accelerator */
    DlaHostNode *host;         /* live nodes on the host, graph order */
    int32_t nhost;
    uint64_t macs_dla, macs_host;
} DlaPartition;

typedef struct DlaPlan {
    IrGraph *g;                /* the quantized graph (owns everything the segments refer to) */
    DlaTarget target;
    DlaSegment *segs;
    int32_t nsegs;
    int32_t ndla;              /* DLA segments */
    DlaProgram prog;           /* all DLA segments, merged; prog.segments: every segment, in plan order */
    uint64_t *compulsory;      /* per prog layer: weights + inputs + outputs bytes */
    DlaPartition part;         /* the partition's decisions, on the float graph */
    /* wall seconds */
    double t_load, t_canon, t_calibrate, t_quantize, t_lower, t_host_compile, t_total;
} DlaPlan;

/* Compile model (an .onnx path, or the name of o->model_data). Errors name the model and what to pass
 * (e.g. a float model without calib_dir). */
DlaStatus dla_compile(const char *model, const DlaCompileOptions *o, DlaPlan **out, DlaError *err);
void dla_plan_free(DlaPlan *p);
/* One line per segment: kind, nodes, inputs -> outputs (for --plan); under
 * each host segment one line per node with the reason it is on the host. */
void dla_plan_print(const DlaPlan *p, FILE *f);

/* Load model as dla_compile does (lo: --input-shape), run the pipeline up to
 * and including the partition pass (quantizing for the DLA) and report its
 * decisions; no calibration data needed. target is validated (NULL:
 * "dla-edge"). Free with dla_partition_free. */
DlaStatus dla_partition_model(const char *model, const char *target, const OnnxLoadOptions *lo, DlaPartition *out,
                              DlaError *err);
void dla_partition_free(DlaPartition *pt);
/* The reason recorded for host node `name`; NULL if the partition did not
 * see such a host node (e.g. a node that quantization inserted). */
const char *dla_partition_reason(const DlaPartition *pt, const char *name);

typedef struct DlaRunOptions {
    int verify_qref;           /* compare every DLA segment with qref on the same int8 inputs */
    /* With verify_qref and these set: every int8 value qref computes inside a
     * DLA segment is dequantized and compared with the float model's value of
     * the same name (quantization names its int8 values NAME_q), one line per
     * value to layer_report: SQNR in dB (compile_diag.c). */
    const IrGraph *float_graph;
    void *const *float_vals;   /* per value of float_graph, NULL where not computed */
    FILE *layer_report;
    /* Scratch memory of the host segments: dla_plan_host_arena_size(p) bytes,
     * 64-byte aligned, owned by the caller (one per concurrent run). NULL:
     * each HostModel's own arena (one run at a time). */
    void *host_arena;
} DlaRunOptions;

typedef struct DlaRunResult {
    void **outputs;            /* per graph output, malloc'd, row-major, graph dtype */
    int32_t noutputs;
    double t_simulate, t_host; /* wall seconds in the device / in host + boundary segments */
    /* verify_qref: */
    uint64_t qref_bytes, qref_mismatches; /* int8 output bytes compared, differing */
    char qref_first[256];      /* where the first mismatch was, "" if none */
} DlaRunResult;

/* Run the plan on device d (whose target must be the plan's) through the
 * runtime program rp (dlart_program_load of p->prog). Inputs in graph input
 * order, dtypes and shapes as compiled. */
DlaStatus dla_plan_run(DlaPlan *p, DlartProgram *rp, const OnnxTensorFile *inputs, int32_t ninputs,
                       const DlaRunOptions *ro, DlaRunResult *res, DlaError *err);
void dla_run_result_free(DlaRunResult *r);
/* The arena the host segments of p need (the largest; segments run one at a time). */
size_t dla_plan_host_arena_size(const DlaPlan *p);

/* The float reference for layer reports: model loaded as dla_compile loads
 * it, canonicalized (not quantized), every float activation made an output,
 * JIT-compiled and run on inputs. *vals gets one malloc'd buffer per value of
 * *fg that was computed (NULL elsewhere); free with dla_float_reference_free. */
DlaStatus dla_float_reference(const char *model, const DlaCompileOptions *o, const OnnxTensorFile *inputs,
                              int32_t ninputs, IrGraph **fg, void ***vals, DlaError *err);
void dla_float_reference_free(IrGraph *fg, void **vals);
/* SQNR (dB) of int8 q dequantized with (scale, zp) against float ref, n elements. */
double dla_sqnr_int8(const int8_t *q, float scale, int32_t zp, const float *ref, int64_t n);

/* ---- internal steps, exported for tests ---- */
/* Split p->g into p->segs (kinds and values only). */
DlaStatus dla_plan_segment(DlaPlan *p, DlaError *err);
/* Merge per-segment programs into one; part K becomes DLA segment K of
 * out->segments (code range, tensor indices). */
DlaStatus dla_programs_merge(DlaProgram *parts, uint32_t n, DlaProgram *out, DlaError *err);
/* Extract nodes into a standalone graph whose inputs/outputs are the given values. */
DlaStatus dla_graph_extract(const IrGraph *g, const int32_t *nodes, int32_t nnodes, const int32_t *ins,
                            int32_t nin, const int32_t *outs, int32_t nout, IrGraph **out, DlaError *err);

#endif
