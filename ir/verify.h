/* verify.h - the IR verifier: checks the invariants of ir.h (and docs/ir.md)
 * on a graph and its subgraphs. It runs between passes in debug builds and after
 * parsing text IR. A failure is a bug in whatever built the graph (or a bad
 * hand-written .ir file), reported as DLA_ERR_INVALID with the first violation:
 * graph, node (index, name, op type) or value, and what is wrong. */
#ifndef DLA_IR_VERIFY_H
#define DLA_IR_VERIFY_H

#include "ir.h"

DlaStatus ir_verify(const IrGraph *g, DlaError *err);

#endif
