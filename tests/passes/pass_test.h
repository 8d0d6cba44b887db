/* pass_test.h - looking up the live (not dead) nodes of a graph by op type,
 * what the pass tests check after a rewrite. Header-only. */
#ifndef DLA_TESTS_PASS_TEST_H
#define DLA_TESTS_PASS_TEST_H

#include <string.h>

#include "ir.h"

/* How many live nodes have op type `op`. */
static inline int count_op(const IrGraph *g, const char *op)
{
    int c = 0;
    for (int32_t n = 0; n < g->nnodes; n++)
        c += !g->nodes[n].dead && strcmp(g->nodes[n].op_type, op) == 0;
    return c;
}

/* The first live node of op type `op`, or -1. */
static inline int32_t find_node(const IrGraph *g, const char *op)
{
    for (int32_t n = 0; n < g->nnodes; n++)
        if (!g->nodes[n].dead && strcmp(g->nodes[n].op_type, op) == 0)
            return n;
    return -1;
}

#endif
