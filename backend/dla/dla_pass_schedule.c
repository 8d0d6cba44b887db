/* dla_pass_schedule.c - the schedule pass: dependency tokens.
 *
 * Requires: codegen (em.pend: the instruction list without tokens, each
 * tracked instruction with the ranges it reads and writes; em.layers indexing
 * em.pend). Establishes: em.insn / em.reloc / em.n, the final instruction
 * stream, and em.layers indexing it; per plan layer first_insn / ninsns.
 *
 * The scheme (docs/isa.md, "Dependency tokens"): when an instruction on
 * engine B touches a range that an earlier instruction on a neighbouring
 * engine A wrote (or read, when B writes), B must wait for that instruction;
 * A pushes a token when it finishes, B pops it before it starts. Since every
 * engine runs in order, only the latest such instruction of A matters, and a
 * dependency already implied by an earlier token (from a later-or-equal A
 * instruction) needs no new one. Pushes and pops therefore pair up in FIFO
 * order on each queue, every token pushed is popped (no imbalance), and every
 * wait points backwards in program order (no deadlock).
 *
 * Activation DRAM is tracked the same way (a later layer's load of what an
 * earlier store wrote, a store into a buffer that an earlier load read), so
 * layers overlap without a `sync`: a tile of the next layer starts as soon as
 * the stores it reads are done. Load and store engines are not neighbours;
 * their DRAM hazards go through a one-cycle relay instruction on the compute
 * engine (a loopcfg that rewrites the current level-0 strides) that waits for
 * the far instruction and is waited for. A relay that finds the level-0
 * registers never written writes zeros; codegen did not know, so its first
 * level-0 loopcfg is dropped here when it would write those same values (the
 * register cache codegen keeps would have skipped it). */
#include <stdlib.h>
#include <string.h>

#include "dla_lower_int.h"
#include "dla_mem.h"

typedef struct Hazard {
    int64_t idx;     /* instruction index (final stream) */
    uint64_t lo, hi; /* element range [lo, hi) */
    int write;
} Hazard;

typedef struct Sched {
    DlaEmit *e;
    /* hazard history: per memory and engine, the accesses since the last sync */
    Hazard *hist[DLA_HAZ_MEMS][DLA_ENG_COUNT];
    size_t nhist[DLA_HAZ_MEMS][DLA_ENG_COUNT], hcap[DLA_HAZ_MEMS][DLA_ENG_COUNT];
    /* [from][to]: the latest instruction of `from` that `to`'s next instruction
     * is known to follow (by a token, or a relay for load/store), -1 none */
    int64_t pushed[DLA_ENG_COUNT][DLA_ENG_COUNT];
    /* level-0 loop registers as the stream leaves them */
    int64_t loop0[3];
    int loop0_valid, cg_loop0_seen, relay_wrote;
} Sched;

static int64_t put(Sched *s, const DlaInsn *in, int reloc)
{
    DlaEmit *e = s->e;
    if (e->n >= DLA_EM_MAX_INSNS) {
        e->overflow = 1;
        return -1;
    }
    if (e->n + 1 > e->cap) {
        e->cap = e->cap ? 2 * e->cap : 1024;
        e->insn = dla_realloc(e->insn, e->cap * sizeof *e->insn);
        e->reloc = dla_realloc(e->reloc, e->cap);
    }
    e->insn[e->n] = *in;
    e->reloc[e->n] = (uint8_t)reloc;
    return e->n++;
}

static void hist_add(Sched *s, int mem, int eng, int64_t idx, const DlaAccess *a)
{
    size_t n = s->nhist[mem][eng];
    s->hist[mem][eng] = dla_grow(s->hist[mem][eng], sizeof(Hazard), n + 1, &s->hcap[mem][eng]);
    s->hist[mem][eng][n] = (Hazard){idx, a->lo, a->hi, a->write};
    s->nhist[mem][eng] = n + 1;
}

/* Make consumer `in` (on engine ce, about to be placed) wait for instruction
 * p of the neighbouring engine pe, unless an earlier token already implies it. */
static void link(Sched *s, int64_t p, int pe, DlaInsn *in, int ce)
{
    if (p < 0 || p <= s->pushed[pe][ce])
        return;
    DLA_ASSERT(pe - ce == 1 || ce - pe == 1);
    DlaInsn *pi = &s->e->insn[p];
    if (pe < ce) { /* producer is the previous engine */
        pi->push_next = 1;
        in->pop_prev = 1;
    } else {
        pi->push_prev = 1;
        in->pop_next = 1;
    }
    s->pushed[pe][ce] = p;
}

/* Place tracked instruction pd with the tokens (and relay) it needs. */
static void place(Sched *s, const DlaPending *pd)
{
    DlaEmit *e = s->e;
    DlaInsn in = pd->in;
    int eng = pd->eng;
    int64_t dep[DLA_ENG_COUNT] = {-1, -1, -1};
    if (e->n + 2 > DLA_EM_MAX_INSNS) {
        e->overflow = 1;
        return;
    }
    for (int k = 0; k < pd->nacc; k++) {
        const DlaAccess *a = &pd->acc[k];
        for (int o = 0; o < DLA_ENG_COUNT; o++) {
            if (o == eng)
                continue;
            const Hazard *h = s->hist[a->mem][o];
            int64_t stop = s->pushed[o][eng] > dep[o] ? s->pushed[o][eng] : dep[o];
            /* Newest first: the first conflict found is the latest one. */
            for (size_t i = s->nhist[a->mem][o]; i-- > 0 && h[i].idx > stop;) {
                if ((a->write || h[i].write) && h[i].lo < a->hi && a->lo < h[i].hi) {
                    dep[o] = h[i].idx;
                    break;
                }
            }
        }
    }
    /* Load and store engines are not neighbours: a relay on the compute
     * engine waits for the far instruction; `in` waits for the relay.
     * pushed[far][eng] records the far instruction already covered that way. */
    int far = eng == DLA_ENG_LOAD ? DLA_ENG_STORE : eng == DLA_ENG_STORE ? DLA_ENG_LOAD : -1;
    if (far >= 0 && dep[far] > s->pushed[far][eng]) {
        DlaInsn r;
        dla_insn_init(&r, DLA_OP_LOOPCFG);
        if (!s->loop0_valid) {
            s->loop0_valid = 1;
            s->relay_wrote = 1;
            s->loop0[0] = s->loop0[1] = s->loop0[2] = 0;
        }
        r.level = 0;
        r.sdst = s->loop0[0], r.ssrc = s->loop0[1], r.ssrc2 = s->loop0[2];
        link(s, dep[far], far, &r, DLA_ENG_COMPUTE);
        int64_t ri = put(s, &r, 0);
        s->pushed[far][eng] = dep[far];
        if (ri > dep[DLA_ENG_COMPUTE])
            dep[DLA_ENG_COMPUTE] = ri;
    }
    for (int o = 0; o < DLA_ENG_COUNT; o++)
        if (o != far)
            link(s, dep[o], o, &in, eng);
    int64_t idx = put(s, &in, pd->reloc);
    for (int k = 0; k < pd->nacc; k++)
        hist_add(s, pd->acc[k].mem, eng, idx, &pd->acc[k]);
}

DlaStatus dla_pass_schedule(DlaLowerPlan *p)
{
    DlaEmit *e = &p->em;
    Sched s;
    memset(&s, 0, sizeof s);
    s.e = e;
    for (int a = 0; a < DLA_ENG_COUNT; a++)
        for (int b = 0; b < DLA_ENG_COUNT; b++)
            s.pushed[a][b] = -1;
    e->n = 0;
    /* start[i]: where pending instruction i (and the relay before it) begins */
    uint32_t *start = dla_malloc(((size_t)e->npend + 1) * sizeof *start);
    for (uint32_t i = 0; i < e->npend && !e->overflow; i++) {
        const DlaPending *pd = &e->pend[i];
        start[i] = e->n;
        if (pd->tracked) {
            place(&s, pd);
        } else if (pd->in.op == DLA_OP_LOOPCFG && pd->in.level == 0) {
            const DlaInsn *in = &pd->in;
            int same = s.loop0_valid && s.loop0[0] == in->sdst && s.loop0[1] == in->ssrc && s.loop0[2] == in->ssrc2;
            int first = !s.cg_loop0_seen;
            s.cg_loop0_seen = 1;
            if (first && same && s.relay_wrote)
                continue; /* the registers already hold it (a relay wrote them) */
            s.loop0[0] = in->sdst, s.loop0[1] = in->ssrc, s.loop0[2] = in->ssrc2;
            s.loop0_valid = 1;
            put(&s, in, pd->reloc);
        } else {
            put(&s, &pd->in, pd->reloc);
            if (pd->in.op == DLA_OP_SYNC)
                for (int m = 0; m < DLA_HAZ_MEMS; m++)
                    for (int g = 0; g < DLA_ENG_COUNT; g++)
                        s.nhist[m][g] = 0;
        }
    }
    start[e->npend] = e->n;
    for (int m = 0; m < DLA_HAZ_MEMS; m++)
        for (int g = 0; g < DLA_ENG_COUNT; g++)
            free(s.hist[m][g]);
    DlaStatus st = DLA_OK;
    if (e->overflow) {
        st = dla_errorf(p->err, DLA_ERR_LIMIT, "lowering: the program exceeds %u instructions", DLA_EM_MAX_INSNS);
    } else {
        for (uint32_t l = 0; l < e->nlayers; l++) {
            DlaLayerMap *m = &e->layers[l];
            uint32_t a = start[m->first_insn], b = start[m->first_insn + m->ninsns];
            m->first_insn = a;
            m->ninsns = b - a;
            if ((int32_t)l < p->nlayers)
                p->layers[l].first_insn = a, p->layers[l].ninsns = b - a;
        }
    }
    free(start);
    return st;
}
