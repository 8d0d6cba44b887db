/* dla_lower_upsample.h - instruction selection of the upsampling Q-ops
 * (dla_lower_upsample.c), called by the codegen pass. Internal. */
#ifndef DLA_BACKEND_DLA_LOWER_UPSAMPLE_H
#define DLA_BACKEND_DLA_LOWER_UPSAMPLE_H

#include "dla_lower_int.h"

DlaStatus dla_lower_resize(DlaLowerCtx *c, int32_t node, uint64_t *macs);      /* QResize */
DlaStatus dla_lower_zero_insert(DlaLowerCtx *c, int32_t node, uint64_t *macs); /* QZeroInsert */
DlaStatus dla_lower_interleave(DlaLowerCtx *c, int32_t node, uint64_t *macs);  /* QInterleave */

/* Vector passes per output element (the tile pass's rough cost model). */
double dla_upsample_vec_ops(const IrGraph *g, int32_t node);

#endif
