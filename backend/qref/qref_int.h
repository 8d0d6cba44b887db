/* qref_int.h - what the files of the integer reference share (internal to
 * backend/qref). qref.c dispatches each Q-op to its run function. */
#ifndef DLA_BACKEND_QREF_INT_H
#define DLA_BACKEND_QREF_INT_H

#include "qref.h"

/* QAdd, QSub, QMul, QMax, QMin with broadcasting (qref_eltwise.c). */
DlaStatus qref_run_binary(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);

#endif
