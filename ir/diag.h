/* diag.h - a list of diagnostics about a graph, so that a checker can report
 * *every* problem at once (all unsupported nodes), not just the first.
 * Each entry names the node (index, name, op type) and carries a message that
 * already includes the attribute or shapes at fault. */
#ifndef DLA_IR_DIAG_H
#define DLA_IR_DIAG_H

#include "ir.h"

typedef struct IrDiag {
    int32_t node;     /* node index, -1 for graph-level problems */
    DlaStatus code;   /* DLA_ERR_UNSUPPORTED, DLA_ERR_INVALID, ... */
    char *msg;        /* malloc'd */
} IrDiag;

typedef struct IrDiagList {
    IrDiag *items;
    size_t n, cap;
} IrDiagList;

void ir_diag_add(IrDiagList *l, int32_t node, DlaStatus code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ir_diag_free(IrDiagList *l);

#endif
