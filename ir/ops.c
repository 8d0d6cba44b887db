/* ops.c - op table queries generated from ops.def. */
#include "ir.h"
#include "ops.h"

#include <string.h>

const IrOpInfo ir_op_table[OP__COUNT] = {
#define OP(e, name, dom, mini, maxi, mino, maxo, fn, attrs) \
    [OP_##e] = {name, dom, mini, maxi, mino, maxo, fn, attrs},
#include "ops.def"
#undef OP
};

const char *ir_op_name(IrOp op)
{
    return (unsigned)op < OP__COUNT ? ir_op_table[op].name : "?";
}

IrOp ir_op_lookup(const char *op_type, const char *domain)
{
    if (!domain || strcmp(domain, "ai.onnx") == 0)
        domain = "";
    /* linear scan is fine: ~200 entries, done once per node at import */
    for (int i = 1; i < OP__COUNT; i++)
        if (strcmp(ir_op_table[i].name, op_type) == 0 && strcmp(ir_op_table[i].domain, domain) == 0)
            return (IrOp)i;
    return OP_UNKNOWN;
}
