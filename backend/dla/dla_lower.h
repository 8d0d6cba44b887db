/* dla_lower.h - lowering of a partition of quantized IR (docs/quant.md Q-ops)
 * to a DLA program (docs/isa.md, isa/program.h): the DLA passes of
 * dla_passes.def run over a plan (dla_plan.h, docs/lowering.md).
 *
 * Input: a graph and a list of its nodes (a partition): dlacc-domain Q-ops
 * (docs/quant.md) in topological order, every activation int8 with per-tensor quantization and a
 * known shape, weights and biases constant.
 *
 * Output: a DlaProgram for target t:
 *  - code: one layer (DlaLayerMap: node name, op type, useful MACs) per node,
 *    in the order given, `end` at the end; dependency tokens order every
 *    SRAM and activation-DRAM hazard, within and across layers (the schedule
 *    pass, dla_pass_schedule.c);
 *  - constants: weights rearranged for the GEMM array, int32 biases, fp32
 *    requantization scales, lookup tables; DRAM [0, const_bytes);
 *  - tensors: the partition's INPUTS (values read by a node of the list but
 *    produced by none of them and not constant), in order of first use, then
 *    its OUTPUTS (values produced by the list that are graph outputs, are read
 *    by a node outside the list, or are read by nobody), in node order. Each
 *    descriptor: name = the IR value name, dtype int8, the logical (NCHW /
 *    ONNX) dims and rank, scale and zero point of the value's quant, its DRAM
 *    offset and size. Layout: rank-4 tensors are stored NHWC in DRAM (layout
 *    IR_LAYOUT_NHWC: element (n,c,h,w) at ((n*H + h)*W + w)*C + c), other
 *    ranks row-major (IR_LAYOUT_ROWMAJOR). The runtime writes inputs and reads
 *    outputs in that layout (dla_tensor_pack / dla_tensor_unpack convert).
 *  - intermediates (produced and consumed only inside the list) live in DRAM
 *    after the inputs and outputs and share space by liveness; they have no
 *    descriptor. dram_bytes_used covers everything.
 *
 * Every layer of every size is tiled to fit the target's SRAMs (output rows
 * and columns, blocks of output channels, chunks of the reduction). Limits
 * (DLA_ERR_UNSUPPORTED with the node named): padding above DLA_MAX_PAD (7) per
 * side (the DMA's padding fields, isa/isa.h), rank other than 2 (QGemm: [M,K], also [M,K,1,1]) or
 * 4 (QConv, pools); DLA_ERR_LIMIT: a DRAM image beyond the target's DRAM or
 * 4 GiB, more than 16 Mi instructions.
 * Errors: DLA_ERR_INVALID for malformed Q-ops (bad shapes, missing quant). */
#ifndef DLA_BACKEND_DLA_LOWER_H
#define DLA_BACKEND_DLA_LOWER_H

#include <stdint.h>

#include "ir.h"
#include "isa/program.h"
#include "isa/target.h"

DlaStatus dla_lower(const IrGraph *g, const int32_t *nodes, int32_t nnodes, const DlaTarget *t, DlaProgram *out,
                    DlaError *err);

/* Convert between the IR's row-major (NCHW) int8 data and a descriptor's
 * DRAM layout (NHWC for rank 4; a copy otherwise). Both buffers hold
 * numel(d) bytes. */
void dla_tensor_pack(const DlaTensorDesc *d, const int8_t *rowmajor, int8_t *dev);
void dla_tensor_unpack(const DlaTensorDesc *d, const int8_t *dev, int8_t *rowmajor);

#endif
