/* host_plan.c - the memory plan of the host backend: every intermediate tensor
 * (produced by a node, not a graph output) gets a byte offset in one arena.
 *
 * Liveness: a value is live from its producer's position to its last use (a
 * value never used is live at its producer only). Nodes are visited in order;
 * a node's outputs are placed before its dead inputs are released, so an
 * output never overlaps an input of the same node (lowerings rely on this).
 * Placement is first fit over a sorted free list with coalescing; blocks are
 * 64-byte aligned (a cache line, and enough for any vector load). The arena
 * size is the high-water mark, known at compile time. Nodes whose outputs
 * shape inference folded to constants are not run: their outputs are
 * constants, not arena values. */
#include "host_int.h"

#include <stdlib.h>
#include <string.h>

#define PLAN_ALIGN 64

typedef struct Block {
    int64_t off, size;
} Block;

typedef struct FreeList {
    Block *b;
    size_t n, cap;
    int64_t top; /* end of the used region */
} FreeList;

static int64_t fl_alloc(FreeList *fl, int64_t size)
{
    for (size_t i = 0; i < fl->n; i++)
        if (fl->b[i].size >= size) {
            int64_t off = fl->b[i].off;
            fl->b[i].off += size;
            fl->b[i].size -= size;
            if (!fl->b[i].size) {
                memmove(&fl->b[i], &fl->b[i + 1], (fl->n - i - 1) * sizeof *fl->b);
                fl->n--;
            }
            return off;
        }
    /* grow at the top, absorbing a trailing free block */
    if (fl->n && fl->b[fl->n - 1].off + fl->b[fl->n - 1].size == fl->top) {
        int64_t off = fl->b[fl->n - 1].off;
        fl->n--;
        fl->top = off + size;
        return off;
    }
    int64_t off = fl->top;
    fl->top += size;
    return off;
}

static void fl_release(FreeList *fl, int64_t off, int64_t size)
{
    size_t i = 0;
    while (i < fl->n && fl->b[i].off < off)
        i++;
    fl->b = dla_grow(fl->b, sizeof *fl->b, fl->n + 1, &fl->cap);
    memmove(&fl->b[i + 1], &fl->b[i], (fl->n - i) * sizeof *fl->b);
    fl->b[i].off = off;
    fl->b[i].size = size;
    fl->n++;
    /* coalesce with the next, then with the previous */
    if (i + 1 < fl->n && fl->b[i].off + fl->b[i].size == fl->b[i + 1].off) {
        fl->b[i].size += fl->b[i + 1].size;
        memmove(&fl->b[i + 1], &fl->b[i + 2], (fl->n - i - 2) * sizeof *fl->b);
        fl->n--;
    }
    if (i > 0 && fl->b[i - 1].off + fl->b[i - 1].size == fl->b[i].off) {
        fl->b[i - 1].size += fl->b[i].size;
        memmove(&fl->b[i], &fl->b[i + 1], (fl->n - i - 1) * sizeof *fl->b);
        fl->n--;
    }
}

int host_plan_in_arena(const HostPlan *p, int32_t v) { return p->offset[v] >= 0; }

int host_node_folded(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    int any = 0;
    for (int32_t o = 0; o < nd->noutputs; o++) {
        int32_t v = nd->outputs[o];
        if (v < 0)
            continue;
        if (!(g->values[v].flags & IR_VAL_CONST) || (!g->values[v].data && g->values[v].nbytes))
            return 0;
        any = 1;
    }
    return any;
}

DlaStatus host_plan_build(const IrGraph *g, HostPlan *p, DlaError *err)
{
    int32_t nv = g->nvalues;
    p->offset = dla_malloc((size_t)(nv ? nv : 1) * sizeof *p->offset);
    p->arena_size = 0;
    int32_t *last = dla_malloc((size_t)(nv ? nv : 1) * sizeof *last);
    int64_t *size = dla_malloc((size_t)(nv ? nv : 1) * sizeof *size);
    for (int32_t v = 0; v < nv; v++) {
        p->offset[v] = -1;
        last[v] = -1;
        size[v] = 0;
        const IrValue *val = &g->values[v];
        if (val->producer < 0 || host_node_folded(g, val->producer) || (val->flags & (IR_VAL_OUTPUT | IR_VAL_INPUT)))
            continue;
        int64_t n = ir_shape_numel(&val->shape);
        size_t bytes;
        if (n < 0 || !dla_mul_ok((size_t)n, ir_dtype_size(val->dtype), &bytes) || bytes > (1ull << 40)) {
            free(last);
            free(size);
            host_plan_free(p);
            return dla_errorf(err, DLA_ERR_LIMIT, "value '%s': size unknown or too large for the host arena",
                              val->name);
        }
        size[v] = (int64_t)((bytes + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN);
        if (!size[v])
            size[v] = PLAN_ALIGN;
        last[v] = val->producer;
    }
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        for (int32_t i = 0; i < nd->ninputs; i++)
            if (nd->inputs[i] >= 0 && size[nd->inputs[i]] && last[nd->inputs[i]] < n)
                last[nd->inputs[i]] = n;
    }
    FreeList fl = {0};
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        for (int32_t o = 0; o < nd->noutputs; o++) {
            int32_t v = nd->outputs[o];
            if (v >= 0 && size[v] && p->offset[v] < 0)
                p->offset[v] = fl_alloc(&fl, size[v]);
        }
        /* release everything whose last use is this node (inputs, and unused outputs) */
        for (int32_t i = 0; i < nd->ninputs + nd->noutputs; i++) {
            int32_t v = i < nd->ninputs ? nd->inputs[i] : nd->outputs[i - nd->ninputs];
            if (v >= 0 && size[v] && last[v] == n && p->offset[v] >= 0) {
                fl_release(&fl, p->offset[v], size[v]);
                last[v] = -2; /* released once, even if listed twice */
            }
        }
    }
    p->arena_size = (size_t)fl.top;
    free(fl.b);
    free(last);
    free(size);
    return DLA_OK;
}

void host_plan_free(HostPlan *p)
{
    free(p->offset);
    p->offset = NULL;
}
