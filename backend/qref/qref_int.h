/* qref_int.h - what qref.c's dispatch shares with the per-family files of
 * the integer reference (qref_<family>.c). Internal to backend/qref. */
#ifndef DLA_BACKEND_QREF_INT_H
#define DLA_BACKEND_QREF_INT_H

#include "qref.h"

/* QAdd, QSub, QMul, QMax, QMin with broadcasting (qref_eltwise.c). */
DlaStatus qref_run_binary(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);

/* QPad (qref_pad.c). */
DlaStatus qref_run_pad(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);

#endif
