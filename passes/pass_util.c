/* pass_util.c - graph queries and rewrites shared by the passes (see pass_util.h). */
#include "passes/pass_util.h"

#include <string.h>

/* Calls fn(name) for every outer-scope reference made by g's subgraphs
 * (at any depth): the values of a body flagged IR_VAL_OUTER. */
static void each_outer_ref(const IrGraph *sub, void (*fn)(const char *, void *), void *arg);

/* each_outer_ref over every subgraph attribute (GRAPH or GRAPHS) of nd. */
static void node_outer_refs(const IrNode *nd, void (*fn)(const char *, void *), void *arg)
{
    for (int32_t a = 0; a < nd->nattrs; a++) {
        if (nd->attrs[a].type == IR_ATTR_GRAPH && nd->attrs[a].g)
            each_outer_ref(nd->attrs[a].g, fn, arg);
        if (nd->attrs[a].type == IR_ATTR_GRAPHS)
            for (int32_t k = 0; k < nd->attrs[a].n; k++)
                each_outer_ref(nd->attrs[a].graphs[k], fn, arg);
    }
}

static void each_outer_ref(const IrGraph *sub, void (*fn)(const char *, void *), void *arg)
{
    for (int32_t v = 0; v < sub->nvalues; v++)
        if (sub->values[v].flags & IR_VAL_OUTER)
            fn(sub->values[v].name, arg);
    for (int32_t n = 0; n < sub->nnodes; n++)
        node_outer_refs(&sub->nodes[n], fn, arg);
}

typedef struct OuterCount {
    const IrGraph *g;
    int32_t *counts;
} OuterCount;

static void count_outer(const char *name, void *arg)
{
    OuterCount *oc = arg;
    int32_t v = ir_value_find(oc->g, name);
    if (v >= 0)
        oc->counts[v]++;
}

static void each_subgraph_ref(const IrGraph *g, void (*fn)(const char *, void *), void *arg)
{
    for (int32_t n = 0; n < g->nnodes; n++)
        if (!g->nodes[n].dead)
            node_outer_refs(&g->nodes[n], fn, arg);
}

int32_t *pu_use_counts(const IrGraph *g)
{
    int32_t *c = dla_calloc((size_t)(g->nvalues ? g->nvalues : 1), sizeof *c);
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (int32_t i = 0; i < nd->ninputs; i++)
            if (nd->inputs[i] >= 0)
                c[nd->inputs[i]]++;
    }
    for (int32_t i = 0; i < g->noutputs; i++)
        c[g->outputs[i]]++;
    OuterCount oc = {g, c};
    each_subgraph_ref(g, count_outer, &oc);
    return c;
}

typedef struct OuterFind {
    const char *name;
    int found;
} OuterFind;

static void find_outer(const char *name, void *arg)
{
    OuterFind *of = arg;
    if (strcmp(of->name, name) == 0)
        of->found = 1;
}

int pu_used_by_subgraph(const IrGraph *g, int32_t v)
{
    OuterFind of = {g->values[v].name, 0};
    each_subgraph_ref(g, find_outer, &of);
    return of.found;
}

void pu_replace_uses(IrGraph *g, int32_t from, int32_t to)
{
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrNode *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (int32_t i = 0; i < nd->ninputs; i++)
            if (nd->inputs[i] == from)
                nd->inputs[i] = to;
    }
}

int pu_is_const(const IrGraph *g, int32_t v)
{
    if (v < 0 || v >= g->nvalues)
        return 0;
    const IrValue *val = &g->values[v];
    return (val->flags & IR_VAL_CONST) && !(val->flags & IR_VAL_ELIDED) &&
           (val->data || val->nbytes == 0);
}

void pu_make_const(IrGraph *g, int32_t v, IrDtype dt, const IrShape *shape, void *data, size_t nbytes)
{
    IrValue *val = &g->values[v];
    val->dtype = dt;
    val->shape = *shape;
    val->producer = -1;
    ir_value_borrow_data(g, v, data, nbytes);
}
