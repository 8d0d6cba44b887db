/* quant.h - post-training quantization: partitioning, calibration and the
 * rewrite of accelerator nodes into the quantized IR of docs/quant.md.
 *
 * Three passes (passes.def), run only when PassContext.quantize is set:
 *   partition  sets IrNode.device: IR_DEVICE_DLA for the nodes the accelerator
 *              runs (quant_dla_supported), IR_DEVICE_HOST for the rest;
 *   calibrate  runs the float graph on the host JIT over PassContext.calib_dir
 *              (calib_collect) and stores per-tensor int8 parameters in the
 *              IrValue.quant (count 1) of every float value that becomes an
 *              int8 activation;
 *   quantize   replaces accelerator nodes by dlacc-domain Q-ops, quantizes
 *              weights and biases, and inserts QuantizeLinear/DequantizeLinear
 *              where values cross between host and accelerator.
 *
 * The shared decisions (which nodes, which fusions, which values become int8)
 * are defined once here so that calibration and quantization agree. */
#ifndef DLA_PASSES_QUANT_H
#define DLA_PASSES_QUANT_H

#include <stdint.h>

#include "ir.h"
#include "ir/exec.h"
#include "passes/calib_stats.h"

/* Values of IrNode.device. */
enum { IR_DEVICE_HOST = 0, IR_DEVICE_DLA = 1 };

/* Can the accelerator run node n (float graph, before quantization)? If not and
 * why is non-NULL, *why gets a short static reason ("weights not constant"). */
int quant_dla_supported(const IrGraph *g, int32_t n, const char **why);

/* The Relu/Clip node fused into accelerator node n (a Conv, Gemm, MatMul or quant_binary_op
 * whose only use is that activation, itself on the accelerator), or -1.
 * uses: pu_use_counts(g). */
int32_t quant_fused_act(const IrGraph *g, int32_t n, const int32_t *uses);

/* Is op one of the element-wise ops between two activations that the
 * accelerator runs as a QAdd/QSub/QMul/QMax/QMin (Add, Sub, Mul, Max, Min)? */
int quant_binary_op(IrOp op);

/* Is nd, alone, an element-wise function the accelerator runs as a 256-entry
 * table (QLut) when its input is an accelerator result: any one-input
 * function of act_unary_op (Sigmoid, Tanh, Gelu, Mish, Softplus, Erf, ...;
 * Relu too, when not fused) or Clip? Groups of such nodes with scalar
 * arithmetic are passes/act_group.h's. */
int quant_is_lut_op(const IrNode *nd);

/* ---- the partition's decisions, for reports (partition_report.c) ---- */
/* Why node n of a partitioned graph runs on the host (quant_dla_supported's
 * reason, a static string); NULL if it runs on the accelerator or is dead. */
const char *quant_host_reason(const IrGraph *g, int32_t n);
/* The same as "host: REASON", in the form of IrPrintOptions.node_note (the
 * partition pass's IR dump). */
const char *quant_partition_note(const IrGraph *g, int32_t n, void *arg);
/* Multiply-accumulates of node n from its shapes: Conv, ConvTranspose, Gemm,
 * MatMul, ConvInteger, MatMulInteger, QLinearConv, QLinearMatMul (0 for other
 * ops and for unknown shapes). */
uint64_t quant_node_macs(const IrGraph *g, int32_t n);

/* Data movement (passes/partition_move.c, docs/quant.md "Data movement"). */
/* Concat, Split, Slice, Transpose, Reshape, Flatten, Squeeze, Unsqueeze. */
int quant_is_move_op(const IrNode *nd);
/* -1 if n is not a data-movement node; else whether the accelerator runs it
 * (0 with *why set when not). */
int quant_move_supported(const IrGraph *g, int32_t n, const char **why);
/* The tail Reshape of the channel shuffle Reshape [N,C,H,W] -> [N,g,C/g,H,W],
 * Transpose (0,2,1,3,4), Reshape -> [N,C,H,W] whose head Reshape is n; -1. */
int32_t quant_shuffle_tail(const IrGraph *g, int32_t n);
/* n is the Transpose or the tail Reshape of such a channel shuffle. */
int quant_shuffle_part(const IrGraph *g, int32_t n);
/* Slice node n's normalized starts and steps per axis of its input (unsliced
 * axes 0 and 1); 0 if they are not constant or a step is not positive. */
int quant_slice_params(const IrGraph *g, int32_t n, int64_t *starts, int64_t *steps);
/* A reshape from shape a to shape b (known dims) keeps the DLA's DRAM byte
 * order (rank 4 NHWC, other ranks row-major): a view, no copy. */
int quant_reshape_is_view(const IrShape *a, const IrShape *b);
/* After the forward decisions: accelerator data-movement copies (not views,
 * not Concats of two or more accelerator results) whose results no
 * accelerator node reads go back to the host. */
void quant_move_demote(IrGraph *g);

/* Per value (g->nvalues entries, malloc'd): 1 if the value becomes an int8
 * activation after quantization (an input or output of an accelerator node,
 * not counting values internal to a fused Conv+Relu or a channel shuffle),
 * from the IrNode.device marks. If no node is marked, every non-constant float
 * tensor that is a graph input or a node output is marked (calibrating a whole
 * graph). *count (may be NULL) receives the number marked. */
uint8_t *quant_int8_values(const IrGraph *g, int32_t *count);

/* ---- calibration ---- */

typedef struct CalibEntry {
    int32_t value;   /* value index in the graph calibrated */
    double min, max; /* observed over all calibration inputs */
    double lo, hi;   /* range chosen by the method */
    QuantParams qp; /* int8 parameters of [lo, hi] (quant_params_int8) */
} CalibEntry;

typedef struct CalibResult {
    CalibEntry *entries; /* malloc'd, one per value of quant_int8_values, by value index */
    int32_t n;
    int32_t ninputs;     /* calibration inputs (files) run */
    int32_t ncompiles;   /* host JIT compilations (one per distinct input shape) */
} CalibResult;

/* Run g (float, one graph input; all shapes known except possibly the input's
 * batch dim) through the executor ex (ir/exec.h) once per *.pb file in
 * calib_dir (sorted by name), each file one input tensor. The input's shape is taken from the file when
 * the graph's input has a symbolic dim or differs only in dim 0 (the batch):
 * shapes are then re-inferred for that run and restored afterwards. Collects
 * statistics of every value quant_int8_values marks and picks its int8
 * parameters with method m. g is unchanged on return (outputs, shapes).
 * Errors: calib_dir NULL or without *.pb (the message says to pass --calib
 * DIR), unreadable or mismatched files, a graph the host cannot compile. */
DlaStatus calib_collect(IrGraph *g, const IrExecutor *ex, const char *calib_dir, CalibMethod m, CalibResult *out,
                        DlaError *err);
void calib_result_free(CalibResult *r);

#endif
