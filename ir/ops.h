/* ops.h - the op table as data (generated from ops.def) and shape inference. */
#ifndef DLA_IR_OPS_H
#define DLA_IR_OPS_H

#include "ir.h"

typedef DlaStatus (*IrShapeFn)(IrGraph *g, int32_t node, DlaError *err);

typedef struct IrOpInfo {
    const char *name;
    const char *domain;
    int32_t min_in, max_in, min_out, max_out; /* -1: variadic */
    IrShapeFn shape;
    const char *attrs; /* "name:type[=default],..." see ops.def */
} IrOpInfo;

extern const IrOpInfo ir_op_table[OP__COUNT];

/* Shape functions named in ops.def (declared once each; repeats are harmless). */
#define OP(e, name, dom, mini, maxi, mino, maxo, fn, attrs) DlaStatus fn(IrGraph *, int32_t, DlaError *);
#include "ops.def"
#undef OP

#endif
