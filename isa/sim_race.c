/* sim_race.c - the simulator's race checker (docs/isa.md, "Races").
 *
 * Engines order their accesses to shared memories only through tokens and
 * SYNC; a program that forgets one computes whatever the timing happens to
 * give. This is detected with vector clocks, as in FastTrack (Flanagan and
 * Freund, PLDI 2009), at instruction granularity: engine e's clock vc[e][f] is
 * the latest epoch (instruction count) of engine f known to have happened
 * before e's current instruction. Tokens carry the pusher's clock to the
 * popper, SYNC joins all clocks. An access of engine a at epoch t happened
 * before the current instruction of engine b iff vc[b][a] >= t.
 *
 * Accesses are logged per (engine, memory) in epoch order, so the ones not
 * ordered before engine b are a suffix of each log, found by binary search;
 * only they are compared (same memory, overlapping ranges, one writing). A
 * prefix that every engine has seen can never conflict again (clocks only
 * grow) and is dropped. In a correct pipelined program the suffixes are the
 * few instructions in flight, so checking costs little per instruction. */
#include "sim_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"

static const char *mem_label(unsigned m)
{
    return m == SIM_MEM_DRAM ? "DRAM" : dla_mem_name((DlaMem)m);
}

void sim_race_reset(DlaSim *s)
{
    memset(s->vc, 0, sizeof s->vc);
    for (int e = 0; e < DLA_ENG_COUNT; e++)
        for (int m = 0; m < SIM_NMEMS; m++)
            s->log[e][m].head = s->log[e][m].n = 0;
}

/* First live entry with epoch > t. */
static size_t first_after(const SimAccessLog *l, uint64_t t)
{
    size_t lo = l->head, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->a[mid].epoch <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void append(DlaSim *s, int e, const SimRange *r, uint32_t idx)
{
    SimAccessLog *l = &s->log[e][r->mem];
    /* Drop what every engine has seen; compact when half the array is dead. */
    uint64_t seen = UINT64_MAX;
    for (int f = 0; f < DLA_ENG_COUNT; f++)
        if (f != e && s->vc[f][e] < seen)
            seen = s->vc[f][e];
    l->head = first_after(l, seen);
    if (l->head > 64 && l->head * 2 > l->n) {
        memmove(l->a, l->a + l->head, (l->n - l->head) * sizeof *l->a);
        l->n -= l->head;
        l->head = 0;
    }
    l->a = dla_grow(l->a, sizeof *l->a, l->n + 1, &l->cap);
    l->a[l->n++] = (SimAccess){r->lo, r->hi, s->vc[e][e], idx, r->write};
}

DlaStatus sim_race_check(DlaSim *s, uint32_t idx, int e, const SimCost *c, DlaError *err)
{
    for (int k = 0; k < c->nrng; k++) {
        const SimRange *r = &c->rng[k];
        for (int a = 0; a < DLA_ENG_COUNT; a++) {
            if (a == e)
                continue;
            const SimAccessLog *l = &s->log[a][r->mem];
            for (size_t i = first_after(l, s->vc[e][a]); i < l->n; i++) {
                const SimAccess *x = &l->a[i];
                if (!(x->write || r->write) || x->hi <= r->lo || r->hi <= x->lo)
                    continue;
                uint64_t lo = x->lo > r->lo ? x->lo : r->lo, hi = x->hi < r->hi ? x->hi : r->hi;
                return dla_errorf(err, DLA_ERR_RUNTIME,
                                  "race: %s %s [%" PRIu64 ", %" PRIu64 ") that instruction %u (%s engine) %s, "
                                  "and no token or SYNC orders them",
                                  r->write ? "writes" : "reads", mem_label(r->mem), lo, hi, x->insn,
                                  dla_engine_name((DlaEngine)a), x->write ? "writes" : "reads");
            }
        }
    }
    for (int k = 0; k < c->nrng; k++)
        if (c->rng[k].hi > c->rng[k].lo)
            append(s, e, &c->rng[k], idx);
    return DLA_OK;
}
