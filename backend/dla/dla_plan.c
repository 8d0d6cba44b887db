/* dla_plan.c - the DLA pipeline's driver: the plan's lifetime and the one
 * sequencer of dla_passes.def (dla_plan.h), and dla_lower() on top of it. */
#include "dla_plan.h"

#include <stdlib.h>
#include <string.h>

#include "dla_lower.h"
#include "dla_lower_int.h"

typedef DlaStatus (*DlaPassFn)(DlaLowerPlan *p);

static const struct {
    const char *name, *desc;
    DlaPassFn fn;
} passes[] = {
#define DLA_PASS(id, name, fn, desc) {name, desc, fn},
#include "dla_passes.def"
#undef DLA_PASS
};

const char *dla_pass_name(DlaPassId id) { return (unsigned)id < DLA_PASS__COUNT ? passes[id].name : NULL; }
const char *dla_pass_description(DlaPassId id) { return (unsigned)id < DLA_PASS__COUNT ? passes[id].desc : NULL; }

DlaPassId dla_pass_lookup(const char *name)
{
    for (int i = 0; i < DLA_PASS__COUNT; i++)
        if (!strcmp(passes[i].name, name))
            return (DlaPassId)i;
    return DLA_PASS__COUNT;
}

DlaStatus dla_lower_plan_init(DlaLowerPlan *p, const IrGraph *g, const int32_t *nodes, int32_t nnodes, const DlaTarget *t,
                        DlaProgram *out, DlaError *err)
{
    memset(p, 0, sizeof *p);
    memset(out, 0, sizeof *out);
    DlaStatus st = dla_isa_check_target(t, err);
    if (st)
        return st;
    p->g = g;
    p->nodes = nodes;
    p->nnodes = nnodes;
    p->t = *t;
    p->err = err;
    p->out = out;
    size_t nv = (size_t)g->nvalues + 1;
    p->role = dla_calloc(nv, 1);
    p->layout = dla_calloc(nv, 1);
    p->def = dla_malloc(nv * sizeof *p->def);
    p->last = dla_malloc(nv * sizeof *p->last);
    p->order = dla_malloc(nv * sizeof *p->order);
    p->addr = dla_malloc(nv * sizeof *p->addr);
    p->alias = dla_malloc(nv * sizeof *p->alias);
    p->alias_off = dla_calloc(nv, sizeof *p->alias_off);
    p->pitch = dla_calloc(nv, sizeof *p->pitch);
    for (int32_t v = 0; v < g->nvalues; v++)
        p->def[v] = p->last[v] = -1, p->addr[v] = DLA_NO_ADDR, p->alias[v] = v;
    dla_em_init(&p->em, &p->t);
    return DLA_OK;
}

void dla_lower_plan_free(DlaLowerPlan *p)
{
    for (int32_t i = 0; i < p->nlayers; i++)
        free(p->layers[i].conv.tiles);
    free(p->layers);
    free(p->role);
    free(p->layout);
    free(p->def);
    free(p->last);
    free(p->order);
    free(p->addr);
    free(p->alias);
    free(p->alias_off);
    free(p->pitch);
    dla_em_free(&p->em);
    memset(p, 0, sizeof *p);
}

DlaStatus dla_lower_plan_run_until(DlaLowerPlan *p, DlaPassId last, const DlaPlanDump *dump)
{
    DlaStatus st = DLA_OK;
    for (int i = p->ran; i <= (int)last && i < DLA_PASS__COUNT; i++) {
        if ((st = passes[i].fn(p)))
            break;
        p->ran = i + 1;
        if (dump && dump->f && (dump->after == i || dump->after == DLA_PASS__COUNT))
            dla_plan_dump(p, (DlaPassId)i, dump->f);
    }
    if (st)
        dla_program_free(p->out);
    return st;
}

DlaStatus dla_lower_plan_run(DlaLowerPlan *p, const DlaPlanDump *dump)
{
    return dla_lower_plan_run_until(p, (DlaPassId)(DLA_PASS__COUNT - 1), dump);
}

DlaStatus dla_lower_dump(const IrGraph *g, const int32_t *nodes, int32_t nnodes, const DlaTarget *t, DlaProgram *out,
                         int after, FILE *f, DlaError *err)
{
    DlaLowerPlan p;
    DlaStatus st = dla_lower_plan_init(&p, g, nodes, nnodes, t, out, err);
    if (!st) {
        DlaPlanDump d = {after, f};
        st = dla_lower_plan_run(&p, f ? &d : NULL);
    }
    dla_lower_plan_free(&p);
    return st;
}

DlaStatus dla_lower(const IrGraph *g, const int32_t *nodes, int32_t nnodes, const DlaTarget *t, DlaProgram *out,
                    DlaError *err)
{
    return dla_lower_dump(g, nodes, nnodes, t, out, -1, NULL, err);
}
