/* ir_build_test.h - the two steps every hand-built quantized test graph
 * repeats: giving a value one per-tensor (scale, zero point) pair and adding
 * an INTS attribute copied into the graph's arena. Header-only, shared by
 * the DLA lowering, runtime and quant tests. */
#ifndef DLA_TESTS_IR_BUILD_TEST_H
#define DLA_TESTS_IR_BUILD_TEST_H

#include "dla_mem.h"
#include "ir.h"

/* Per-tensor quantization (axis -1, one scale and zero point) for value v. */
static inline void set_quant(IrGraph *g, int32_t v, float scale, int32_t zp)
{
    IrQuant *q = &g->values[v].quant;
    q->count = 1;
    q->axis = -1;
    q->scale = dla_arena_alloc(&g->arena, sizeof(float));
    q->zero_point = dla_arena_alloc(&g->arena, sizeof(int32_t));
    q->scale[0] = scale;
    q->zero_point[0] = zp;
}

/* Attribute `name` of node n: the n ints of v, copied. */
static inline void attr_ints(IrGraph *g, int32_t node, const char *name, int n, const int64_t *v)
{
    IrAttr *a = ir_node_add_attr(g, node, name, IR_ATTR_INTS);
    a->n = n;
    a->ints = dla_arena_memdup(&g->arena, v, (size_t)n * sizeof *v);
}

#endif
