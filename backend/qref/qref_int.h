/* qref_int.h - the op families of the integer reference in their own files
 * (qref_<family>.c), dispatched from qref_run (qref.c). Internal. */
#ifndef DLA_BACKEND_QREF_INT_H
#define DLA_BACKEND_QREF_INT_H

#include <stdint.h>

#include "ir.h"

/* QSlice, QTranspose, QReshape, QChannelShuffle (qref_move.c): node's output
 * buffer vals[y] is allocated; its input is vals[x]. */
DlaStatus qref_move(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err);

#endif
