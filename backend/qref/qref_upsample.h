/* qref_upsample.h - the integer reference of the upsampling Q-ops (QResize,
 * QZeroInsert; docs/quant.md "Upsampling"), called from qref_run. Internal. */
#ifndef DLA_BACKEND_QREF_UPSAMPLE_H
#define DLA_BACKEND_QREF_UPSAMPLE_H

#include "ir.h"

DlaStatus qref_run_resize(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);
DlaStatus qref_run_zero_insert(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);
DlaStatus qref_run_interleave(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);

#endif
