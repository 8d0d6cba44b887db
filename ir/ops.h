/* ops.h - the op table as data (generated from ops.def), the parsed attribute
 * specs, and the shape-function prototypes. */
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

/* One attribute of an op, parsed from its ops.def spec string. */
typedef struct IrAttrSpec {
    const char *name;
    int type;          /* IrAttrType */
    int required;
    int has_default;
    int64_t i;         /* default of an 'i' attribute */
    float f;           /* default of an 'f' attribute */
    const char *s;     /* default of an 's' attribute */
} IrAttrSpec;

typedef struct IrOpAttrs {
    const IrAttrSpec *specs;
    int32_t n;
} IrOpAttrs;

/* The parsed spec of an op (parsed once, on first use, thread-safely). */
const IrOpAttrs *ir_op_attrs(IrOp op);
const IrAttrSpec *ir_op_attr_spec(IrOp op, const char *name);
const char *ir_attr_type_name(int type); /* "i", "ints", ... as in ops.def */

/* Attribute values with the defaults of the op table (the single source of
 * defaults). `name` must be in the op's spec (an internal error otherwise); an
 * attribute absent from the node and without default reads as 0 / 0.0 / "". */
int64_t ir_node_attr_i(const IrGraph *g, int32_t node, const char *name);
float ir_node_attr_f(const IrGraph *g, int32_t node, const char *name);
const char *ir_node_attr_s(const IrGraph *g, int32_t node, const char *name);

/* The dlacc element-wise binary Q-ops over two int8 activations with
 * broadcasting (QAdd, QSub, QMul, QMax, QMin; docs/quant.md). */
static inline int ir_op_is_qbinary(IrOp op)
{
    return op == OP_QADD || op == OP_QSUB || op == OP_QMUL || op == OP_QMAX || op == OP_QMIN;
}

/* Shape functions named in ops.def (declared once each; repeats are harmless). */
#define OP(e, name, dom, mini, maxi, mino, maxo, fn, attrs) DlaStatus fn(IrGraph *, int32_t, DlaError *);
#include "ops.def"
#undef OP

#endif
