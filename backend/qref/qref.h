/* qref.h - the integer reference of the quantized IR: plain C over the
 * dlacc-domain Q-ops, exactly as docs/quant.md defines them (int32
 * accumulation with wrap-around, one IEEE binary32 operation at a time in the
 * documented order, round half to even). It is the oracle the DLA lowering
 * plus simulator is compared with bit for bit, so it shares no code with
 * either (backend/dla/, isa/sim*.c); its scalar steps (rne, requant,
 * saturation) are quant/quant.h's, the one definition of the arithmetic.
 *
 * Tensors are int8 in the IR's logical row-major order (NCHW for images,
 * [M,K] for QGemm). Quantization parameters come from IrValue.quant
 * (per-tensor: count 1) of activations; weights and biases are the constant
 * data of the node's inputs; scales, bounds and tables are node attributes.
 *
 * QConcat (docs/quant.md, "Data movement"): inputs X_1..X_n
 * int8 with their own quantization, attribute `axis` (ONNX Concat) and
 * `scale: floats[n]` with scale[i] = sx_i / sy computed in fp32 by the
 * quantizer; Y = Concat over axis of requant(X_i - zx_i, scale[i], zy, -128,
 * 127). An input whose scale and zero point equal the output's (scale[i] = 1)
 * is copied unchanged. */
#ifndef DLA_BACKEND_QREF_H
#define DLA_BACKEND_QREF_H

#include <stdint.h>

#include "ir.h"

/* Run nodes[0..nnodes) of g (Q-ops only, in topological order).
 * vals has g->nvalues entries, one int8 buffer per value index:
 *  - every non-constant input of a node that no earlier node of the list
 *    produces must be set by the caller (numel bytes);
 *  - for every node output, a NULL entry is allocated by qref_run with
 *    dla_malloc (the caller frees it), a non-NULL one is written in place.
 * Constant inputs (weights, biases) are read from the graph.
 * Errors (DLA_ERR_INVALID / DLA_ERR_UNSUPPORTED): a non-Q-op, a missing
 * input buffer, unknown shapes, missing quantization, bad attributes. */
DlaStatus qref_run(const IrGraph *g, const int32_t *nodes, int32_t nnodes, int8_t **vals, DlaError *err);

#endif
