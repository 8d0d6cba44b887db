/* qref_int.h - what qref.c's dispatch shares with the per-family files of
 * the integer reference (qref_<family>.c). Internal to backend/qref. */
#ifndef DLA_BACKEND_QREF_INT_H
#define DLA_BACKEND_QREF_INT_H

#include "qref.h"

/* QAdd, QSub, QMul, QMax, QMin with broadcasting (qref_eltwise.c). */
DlaStatus qref_run_binary(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);

/* QPad (qref_pad.c). */
DlaStatus qref_run_pad(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);

/* QSlice, QTranspose, QReshape, QChannelShuffle (qref_move.c): node's output
 * buffer vals[y] is allocated; its input is vals[x]. */
DlaStatus qref_move(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);

#endif
