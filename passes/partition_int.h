/* partition_int.h - what partition.c shares with the per-family partition
 * rules (partition_<family>.c). Internal to passes/. */
#ifndef DLA_PASSES_PARTITION_INT_H
#define DLA_PASSES_PARTITION_INT_H

#include "passes/quant.h"

/* Padding and pooling (partition_padpool.c): 1 if the accelerator runs node
 * n, 0 if not (with *why set), -1 if n is not of the family (Pad, MaxPool,
 * AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean, ReduceMax). */
int quant_padpool_supported(const IrGraph *g, int32_t n, const char **why);

/* The padding of a Conv/pool the accelerator can run: non-negative; beyond
 * DLA_MAX_PAD per side (an explicit QPad) only while the padded image stays
 * within the lowering's width. 0 with *why otherwise. */
int quant_pads_ok(const IrGraph *g, int32_t n, const char **why);

#endif
