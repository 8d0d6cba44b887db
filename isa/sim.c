/* sim.c - the simulator's engines, dependency tokens, timing model,
 * statistics and trace (docs/isa.md, "Execution model" and "Timing").
 *
 * The program is cut into phases by SYNC/END. Within a phase each engine runs
 * its own instructions in program order. The simulator is a discrete-event
 * loop: of the engines whose next instruction can start (its tokens are
 * there), the one with the earliest start time runs next (ties: lower
 * instruction index), so functional effects happen in simulated-time order.
 * When no engine can start but some still have work, that is a deadlock: the
 * tokens they wait for can never arrive, because only running instructions
 * push tokens. */
#include "sim_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"

/* ---------------------------------------------------------------- token queues */

static void q_push(SimQueue *q, const SimToken *tok)
{
    if (q->count == q->cap) {
        size_t ncap = q->cap ? 2 * q->cap : 64;
        SimToken *nt = dla_malloc(ncap * sizeof *nt);
        for (size_t i = 0; i < q->count; i++)
            nt[i] = q->t[(q->head + i) % q->cap];
        free(q->t);
        q->t = nt;
        q->head = 0;
        q->cap = ncap;
    }
    q->t[(q->head + q->count) % q->cap] = *tok;
    q->count++;
}

static SimToken q_pop(SimQueue *q)
{
    SimToken t = q->t[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    return t;
}

/* Queue an engine pops from / pushes to, towards its prev or next neighbour.
 * The decoder rejects tokens towards a missing neighbour; those map to the
 * unused queue SIM_Q_NONE. */
static int q_in(int eng, int prev)
{
    if (prev)
        return eng == DLA_ENG_COMPUTE ? SIM_Q_LC : eng == DLA_ENG_STORE ? SIM_Q_CS : SIM_Q_NONE;
    return eng == DLA_ENG_LOAD ? SIM_Q_CL : eng == DLA_ENG_COMPUTE ? SIM_Q_SC : SIM_Q_NONE;
}

static int q_out(int eng, int prev)
{
    if (prev)
        return eng == DLA_ENG_COMPUTE ? SIM_Q_CL : eng == DLA_ENG_STORE ? SIM_Q_SC : SIM_Q_NONE;
    return eng == DLA_ENG_LOAD ? SIM_Q_LC : eng == DLA_ENG_COMPUTE ? SIM_Q_CS : SIM_Q_NONE;
}

static const char *const qnames[4] = {"load->compute", "compute->load", "compute->store", "store->compute"};

/* ---------------------------------------------------------------- lifetime */

DlaSim *dla_sim_new(const DlaTarget *t, DlaError *err)
{
    if (dla_isa_check_target(t, err))
        return NULL;
    DlaSim *s = dla_calloc(1, sizeof *s);
    s->t = *t;
    s->R = t->gemm_rows;
    s->C = t->gemm_cols;
    s->L = t->vector_lanes;
    s->n_inp = t->inp_sram_bytes;
    s->n_wgt = t->wgt_sram_bytes;
    s->n_acc = t->acc_sram_bytes / 4;
    s->n_param = t->param_bytes / 4;
    s->n_lut = t->lut_bytes;
    s->inp = dla_calloc(s->n_inp ? s->n_inp : 1, 1);
    s->wgt = dla_calloc(s->n_wgt ? s->n_wgt : 1, 1);
    s->acc = dla_calloc(s->n_acc ? s->n_acc : 1, 4);
    s->param = dla_calloc(s->n_param ? s->n_param : 1, 4);
    s->lut = dla_calloc(s->n_lut ? s->n_lut : 1, 1);
    s->race_on = 1;
    s->npages = (t->dram_bytes + SIM_PAGE_SIZE - 1) >> SIM_PAGE_BITS;
    s->pages = dla_calloc(s->npages, sizeof *s->pages);
    return s;
}

static void free_program(DlaSim *s)
{
    free(s->words);
    free(s->hdr);
    free(s->insn_layer);
    for (uint32_t i = 0; i < s->nlayers; i++) {
        free(s->layers[i].name);
        free(s->layers[i].op_type);
    }
    free(s->layers);
    free(s->lstats);
    s->words = NULL;
    s->hdr = NULL;
    s->insn_layer = NULL;
    s->layers = NULL;
    s->lstats = NULL;
    s->ninsns = s->nlayers = 0;
}

void dla_sim_free(DlaSim *s)
{
    if (!s)
        return;
    free_program(s);
    for (uint64_t i = 0; i < s->npages; i++)
        free(s->pages[i]);
    free(s->pages);
    free(s->inp);
    free(s->wgt);
    free(s->acc);
    free(s->param);
    free(s->lut);
    for (int i = 0; i < SIM_NQUEUES; i++)
        free(s->q[i].t);
    free(s->trace);
    free(s->wt);
    for (int e = 0; e < DLA_ENG_COUNT; e++)
        for (int m = 0; m < SIM_NMEMS; m++)
            free(s->log[e][m].a);
    free(s);
}

void *dla_sim_mem(DlaSim *s, DlaMem m, uint64_t *bytes)
{
    switch (m) {
    case DLA_MEM_INP: *bytes = s->n_inp; return s->inp;
    case DLA_MEM_WGT: *bytes = s->n_wgt; return s->wgt;
    case DLA_MEM_ACC: *bytes = s->n_acc * 4; return s->acc;
    case DLA_MEM_PARAM: *bytes = s->n_param * 4; return s->param;
    case DLA_MEM_LUT: *bytes = s->n_lut; return s->lut;
    default: *bytes = 0; return NULL;
    }
}

/* ---------------------------------------------------------------- loading */

static DlaStatus load_code(DlaSim *s, const uint32_t *words, uint32_t ninsns, const DlaLayerMap *layers,
                           uint32_t nlayers, DlaError *err)
{
    for (uint32_t i = 0; i < nlayers; i++)
        if (layers[i].first_insn > ninsns || layers[i].ninsns > ninsns - layers[i].first_insn)
            return dla_errorf(err, DLA_ERR_FORMAT, "layer %u (%s): instructions [%u, +%u) outside the %u of the code",
                              i, layers[i].name ? layers[i].name : "?", layers[i].first_insn, layers[i].ninsns,
                              ninsns);
    SimHdr *hdr = dla_malloc(sizeof *hdr * (ninsns ? ninsns : 1));
    for (uint32_t i = 0; i < ninsns; i++) {
        DlaInsn in;
        if (dla_insn_decode(words + (size_t)i * DLA_INSN_WORDS, &in, err)) {
            dla_error_prefix(err, "instruction %u: ", i);
            free(hdr);
            return DLA_ERR_FORMAT;
        }
        DlaEngine e = dla_insn_engine(&in);
        hdr[i] = (SimHdr){(uint8_t)in.op, (uint8_t)(e < DLA_ENG_COUNT ? e : DLA_ENG_COUNT), (uint8_t)in.pop_prev,
                          (uint8_t)in.pop_next};
    }
    free_program(s);
    s->hdr = hdr;
    s->words = dla_malloc(sizeof(uint32_t) * DLA_INSN_WORDS * (ninsns ? ninsns : 1));
    memcpy(s->words, words, sizeof(uint32_t) * DLA_INSN_WORDS * ninsns);
    s->ninsns = ninsns;
    s->insn_layer = dla_malloc(sizeof(int32_t) * (ninsns ? ninsns : 1));
    for (uint32_t i = 0; i < ninsns; i++)
        s->insn_layer[i] = -1;
    s->nlayers = nlayers;
    s->layers = dla_calloc(nlayers ? nlayers : 1, sizeof *s->layers);
    s->lstats = dla_calloc(nlayers ? nlayers : 1, sizeof *s->lstats);
    for (uint32_t i = 0; i < nlayers; i++) {
        s->layers[i] = layers[i];
        s->layers[i].name = dla_strdup(layers[i].name ? layers[i].name : "");
        s->layers[i].op_type = dla_strdup(layers[i].op_type ? layers[i].op_type : "");
        for (uint32_t k = 0; k < layers[i].ninsns; k++)
            s->insn_layer[layers[i].first_insn + k] = (int32_t)i;
    }
    return DLA_OK;
}

DlaStatus dla_sim_load_code(DlaSim *s, const uint32_t *words, uint32_t ninsns, DlaError *err)
{
    return load_code(s, words, ninsns, NULL, 0, err);
}

DlaStatus dla_sim_load(DlaSim *s, const DlaProgram *p, DlaError *err)
{
    if (dla_target_fingerprint(&p->target) != dla_target_fingerprint(&s->t))
        return dla_errorf(err, DLA_ERR_INVALID, "program compiled for target '%s' does not match the simulator's '%s'",
                          p->target.name, s->t.name);
    if (p->const_bytes > s->t.dram_bytes)
        return dla_errorf(err, DLA_ERR_LIMIT, "program constants (%" PRIu64 " bytes) exceed DRAM (%" PRIu64 ")",
                          p->const_bytes, s->t.dram_bytes);
    DlaStatus st = load_code(s, p->code, p->ninsns, p->layers, p->nlayers, err);
    if (st)
        return st;
    if (p->const_bytes)
        sim_dram_write(s, 0, p->consts, p->const_bytes);
    return DLA_OK;
}

static DlaStatus dram_check(const DlaSim *s, uint64_t addr, uint64_t n, DlaError *err)
{
    if (addr > s->t.dram_bytes || n > s->t.dram_bytes - addr)
        return dla_errorf(err, DLA_ERR_INVALID, "DRAM access [%" PRIu64 ", +%" PRIu64 ") outside %" PRIu64 " bytes",
                          addr, n, s->t.dram_bytes);
    return DLA_OK;
}

DlaStatus dla_sim_dram_write(DlaSim *s, uint64_t addr, const void *src, uint64_t n, DlaError *err)
{
    if (dram_check(s, addr, n, err))
        return DLA_ERR_INVALID;
    sim_dram_write(s, addr, src, n);
    return DLA_OK;
}

DlaStatus dla_sim_dram_read(DlaSim *s, uint64_t addr, void *dst, uint64_t n, DlaError *err)
{
    if (dram_check(s, addr, n, err))
        return DLA_ERR_INVALID;
    sim_dram_read(s, addr, dst, n);
    return DLA_OK;
}

void dla_sim_set_cycle_limit(DlaSim *s, uint64_t max_cycles)
{
    s->cycle_limit = max_cycles;
}

void dla_sim_set_race_check(DlaSim *s, int on)
{
    s->race_on = on;
}

void dla_sim_set_trace(DlaSim *s, int on)
{
    s->trace_on = on;
}

/* ---------------------------------------------------------------- running */

static void reset_state(DlaSim *s)
{
    memset(s->inp, 0, s->n_inp);
    memset(s->wgt, 0, s->n_wgt);
    memset(s->acc, 0, s->n_acc * 4);
    memset(s->param, 0, s->n_param * 4);
    memset(s->lut, 0, s->n_lut);
    memset(s->dma, 0, sizeof s->dma);
    memset(s->loop, 0, sizeof s->loop);
    memset(s->clock, 0, sizeof s->clock);
    s->dram_free = 0;
    for (int i = 0; i < SIM_NQUEUES; i++)
        s->q[i].head = s->q[i].count = 0;
    memset(&s->stats, 0, sizeof s->stats);
    for (uint32_t i = 0; i < s->nlayers; i++) {
        memset(&s->lstats[i], 0, sizeof s->lstats[i]);
        s->lstats[i].name = s->layers[i].name;
        s->lstats[i].op_type = s->layers[i].op_type;
        s->lstats[i].macs_useful = s->layers[i].macs;
    }
    s->ntrace = 0;
    sim_race_reset(s);
}

static int is_barrier(const SimHdr *h)
{
    return h->op == DLA_OP_SYNC || h->op == DLA_OP_END;
}

/* Can engine e start instruction `in` now? Returns 1 and its start time if so. */
static int ready_time(const DlaSim *s, int e, const SimHdr *in, uint64_t *start)
{
    uint64_t t = s->clock[e];
    if (in->pop_prev) {
        const SimQueue *q = &s->q[q_in(e, 1)];
        if (!q->count)
            return 0;
        t = q->t[q->head].time > t ? q->t[q->head].time : t;
    }
    if (in->pop_next) {
        const SimQueue *q = &s->q[q_in(e, 0)];
        if (!q->count)
            return 0;
        t = q->t[q->head].time > t ? q->t[q->head].time : t;
    }
    *start = t;
    return 1;
}

static void record_trace(DlaSim *s, uint32_t idx, int e, uint64_t start, uint64_t end)
{
    if (!s->trace_on)
        return;
    s->trace = dla_grow(s->trace, sizeof *s->trace, s->ntrace + 1, &s->trace_cap);
    s->trace[s->ntrace++] = (SimTraceEvent){idx, (uint8_t)e, start, end};
}

/* Run instruction idx on engine e, which ready_time() said can start at `start`. */
static DlaStatus run_one(DlaSim *s, uint32_t idx, int e, uint64_t start, DlaError *err)
{
    DlaInsn decoded;
    const DlaInsn *in = &decoded;
    DLA_ASSERT(dla_insn_decode(s->words + (size_t)idx * DLA_INSN_WORDS, &decoded, NULL) == DLA_OK); /* checked at load */
    if (s->cycle_limit && (start > s->cycle_limit || sim_compute_cycles(s, in) > s->cycle_limit - start))
        return dla_errorf(err, DLA_ERR_LIMIT, "instruction %u (%s engine): %s would run past the cycle limit of %" PRIu64,
                          idx, dla_engine_name((DlaEngine)e), dla_opcode_name(in->op), s->cycle_limit);
    /* Vector clocks: a new epoch of this engine, joined with the clocks the
     * popped tokens carry. */
    s->vc[e][e]++;
    for (int k = 0; k < 2; k++) {
        if (!(k ? in->pop_next : in->pop_prev))
            continue;
        SimToken tok = q_pop(&s->q[q_in(e, !k)]);
        for (int f = 0; f < DLA_ENG_COUNT; f++)
            s->vc[e][f] = tok.vc[f] > s->vc[e][f] ? tok.vc[f] : s->vc[e][f];
    }
    SimCost c;
    DlaStatus st = sim_exec(s, in, &c, err);
    if (!st && s->race_on)
        st = sim_race_check(s, idx, e, &c, err);
    if (st) {
        dla_error_prefix(err, "instruction %u (%s engine): ", idx, dla_engine_name((DlaEngine)e));
        return st;
    }
    DlaSimEngineStats *es = &s->stats.engine[e];
    es->wait_cycles += start - s->clock[e];
    uint64_t begin = start, end;
    if (c.is_dma) {
        /* One DRAM channel, shared by all engines: transfers serialize on it,
         * each also pays the access latency (not overlapped within an engine). */
        uint64_t bw = s->t.dram_bytes_per_cycle;
        uint64_t xfer = (c.dram_bytes + bw - 1) / bw;
        begin = start > s->dram_free ? start : s->dram_free;
        es->wait_cycles += begin - start;
        es->dram_wait_cycles += begin - start;
        end = begin + s->t.dram_latency_cycles + xfer;
        s->dram_free = begin + xfer;
        if (in->op == DLA_OP_STORE)
            s->stats.dram_write_bytes += c.dram_bytes;
        else
            s->stats.dram_read_bytes += c.dram_bytes;
    } else {
        end = start + (c.cycles ? c.cycles : 1);
    }
    es->insns++;
    es->busy_cycles += end - begin;
    es->finish_cycle = end;
    s->clock[e] = end;
    s->stats.insns++;
    s->stats.macs_issued += c.macs;
    s->stats.array_steps += c.array_steps;
    SimToken tok = {end, {0}};
    memcpy(tok.vc, s->vc[e], sizeof tok.vc);
    if (in->push_prev)
        q_push(&s->q[q_out(e, 1)], &tok);
    if (in->push_next)
        q_push(&s->q[q_out(e, 0)], &tok);
    int32_t l = s->insn_layer[idx];
    if (l >= 0) {
        DlaSimLayerStats *ls = &s->lstats[l];
        if (!ls->end_cycle || begin < ls->start_cycle)
            ls->start_cycle = begin;
        if (end > ls->end_cycle)
            ls->end_cycle = end;
        ls->busy_cycles[e] += end - begin;
        ls->macs_issued += c.macs;
        if (c.is_dma) {
            if (in->op == DLA_OP_STORE)
                ls->dram_write_bytes += c.dram_bytes;
            else
                ls->dram_read_bytes += c.dram_bytes;
        }
    }
    record_trace(s, idx, e, begin, end);
    return DLA_OK;
}

static DlaStatus deadlock(DlaSim *s, const uint32_t *cur, uint32_t barrier, DlaError *err)
{
    char msg[1536];
    size_t len = 0;
    for (int e = 0; e < DLA_ENG_COUNT; e++) {
        if (cur[e] >= barrier)
            continue;
        const SimHdr *in = &s->hdr[cur[e]];
        int prev = in->pop_prev && !s->q[q_in(e, 1)].count;
        int nb = prev ? (e == DLA_ENG_COMPUTE ? DLA_ENG_LOAD : DLA_ENG_COMPUTE)
                      : (e == DLA_ENG_LOAD ? DLA_ENG_COMPUTE : DLA_ENG_STORE);
        int k = snprintf(msg + len, sizeof msg - len, "%s%s engine at instruction %u (%s) waits for a token from %s (%s)",
                         len ? "; " : "", dla_engine_name((DlaEngine)e), cur[e], dla_opcode_name(in->op),
                         dla_engine_name((DlaEngine)nb), prev ? "pop_prev" : "pop_next");
        if (k > 0 && (size_t)k < sizeof msg - len)
            len += (size_t)k;
    }
    return dla_errorf(err, DLA_ERR_RUNTIME, "deadlock before the %s at instruction %u: %s",
                      barrier < s->ninsns ? dla_opcode_name((DlaOpcode)s->hdr[barrier].op) : "end of code", barrier, msg);
}

static void finish_stats(DlaSim *s)
{
    uint64_t total = 0;
    for (int e = 0; e < DLA_ENG_COUNT; e++)
        total = s->clock[e] > total ? s->clock[e] : total;
    DlaSimStats *st = &s->stats;
    st->total_cycles = total;
    st->macs_useful = 0;
    for (uint32_t i = 0; i < s->nlayers; i++)
        st->macs_useful += s->layers[i].macs;
    double peak = (double)s->R * (double)s->C;
    double macs = (double)(st->macs_useful ? st->macs_useful : st->macs_issued);
    st->mac_utilization = total ? macs / ((double)total * peak) : 0.0;
    st->seconds = (double)total / (double)s->t.clock_hz;
    for (uint32_t i = 0; i < s->nlayers; i++) {
        DlaSimLayerStats *ls = &s->lstats[i];
        uint64_t span = ls->end_cycle - ls->start_cycle;
        double m = (double)(ls->macs_useful ? ls->macs_useful : ls->macs_issued);
        ls->mac_utilization = span ? m / ((double)span * peak) : 0.0;
    }
}

DlaStatus dla_sim_run(DlaSim *s, DlaError *err)
{
    reset_state(s);
    DlaStatus st = DLA_OK;
    uint32_t pos = 0, n = s->ninsns;
    for (;;) {
        uint32_t b = pos;
        while (b < n && !is_barrier(&s->hdr[b]))
            b++;
        uint32_t cur[DLA_ENG_COUNT];
        for (int e = 0; e < DLA_ENG_COUNT; e++)
            cur[e] = pos;
        for (;;) {
            int best = -1;
            uint64_t best_t = 0;
            for (int e = 0; e < DLA_ENG_COUNT; e++) {
                while (cur[e] < b && s->hdr[cur[e]].engine != e)
                    cur[e]++;
                uint64_t t;
                if (cur[e] < b && ready_time(s, e, &s->hdr[cur[e]], &t) &&
                    (best < 0 || t < best_t || (t == best_t && cur[e] < cur[best]))) {
                    best = e;
                    best_t = t;
                }
            }
            if (best < 0)
                break;
            if ((st = run_one(s, cur[best], best, best_t, err)))
                goto out;
            cur[best]++;
        }
        for (int e = 0; e < DLA_ENG_COUNT; e++)
            if (cur[e] < b) {
                st = deadlock(s, cur, b, err);
                goto out;
            }
        if (b >= n) {
            st = dla_errorf(err, DLA_ERR_RUNTIME, "program ends without END (%u instructions)", n);
            goto out;
        }
        /* Barrier: every engine waits for the slowest. */
        uint64_t t = 0;
        for (int e = 0; e < DLA_ENG_COUNT; e++)
            t = s->clock[e] > t ? s->clock[e] : t;
        for (int e = 0; e < DLA_ENG_COUNT; e++)
            s->clock[e] = t;
        /* ... and everything before is ordered before everything after. */
        for (int f = 0; f < DLA_ENG_COUNT; f++) {
            uint64_t m = 0;
            for (int e = 0; e < DLA_ENG_COUNT; e++)
                m = s->vc[e][f] > m ? s->vc[e][f] : m;
            for (int e = 0; e < DLA_ENG_COUNT; e++)
                s->vc[e][f] = m;
        }
        s->stats.insns++;
        if (s->hdr[b].op == DLA_OP_END) {
            char msg[512];
            size_t len = 0;
            for (int q = 0; q < 4; q++)
                if (s->q[q].count) {
                    int k = snprintf(msg + len, sizeof msg - len, "%s%zu %s", len ? ", " : "", s->q[q].count, qnames[q]);
                    if (k > 0 && (size_t)k < sizeof msg - len)
                        len += (size_t)k;
                }
            if (len)
                st = dla_errorf(err, DLA_ERR_RUNTIME, "token imbalance at END (instruction %u): unconsumed tokens: %s",
                                b, msg);
            goto out;
        }
        pos = b + 1;
    }
out:
    finish_stats(s);
    return st;
}

/* ---------------------------------------------------------------- reporting */

const DlaSimStats *dla_sim_stats(const DlaSim *s)
{
    return &s->stats;
}

uint32_t dla_sim_nlayers(const DlaSim *s)
{
    return s->nlayers;
}

const DlaSimLayerStats *dla_sim_layer_stats(const DlaSim *s, uint32_t i)
{
    return i < s->nlayers ? &s->lstats[i] : NULL;
}

void dla_sim_write_stats(const DlaSim *s, FILE *f)
{
    const DlaSimStats *st = &s->stats;
    fprintf(f, "target            %s (%ux%u GEMM, %u lanes, %.3g GHz)\n", s->t.name, s->R, s->C, s->L,
            (double)s->t.clock_hz / 1e9);
    fprintf(f, "total cycles      %" PRIu64 " (%.6f ms)\n", st->total_cycles, st->seconds * 1e3);
    fprintf(f, "instructions      %" PRIu64 "\n", st->insns);
    for (int e = 0; e < DLA_ENG_COUNT; e++) {
        const DlaSimEngineStats *es = &st->engine[e];
        fprintf(f, "%-8s engine   %" PRIu64 " insns, busy %" PRIu64 " cycles (%.1f%%), waiting %" PRIu64
                   " (%" PRIu64 " for tokens, %" PRIu64 " for the DRAM channel)\n",
                dla_engine_name((DlaEngine)e), es->insns, es->busy_cycles,
                st->total_cycles ? 100.0 * (double)es->busy_cycles / (double)st->total_cycles : 0.0, es->wait_cycles,
                es->wait_cycles - es->dram_wait_cycles, es->dram_wait_cycles);
    }
    fprintf(f, "DRAM read         %" PRIu64 " bytes\n", st->dram_read_bytes);
    fprintf(f, "DRAM written      %" PRIu64 " bytes\n", st->dram_write_bytes);
    fprintf(f, "MACs              %" PRIu64 " useful, %" PRIu64 " issued\n", st->macs_useful, st->macs_issued);
    fprintf(f, "MAC utilization   %.2f%%\n", 100.0 * st->mac_utilization);
    if (s->nlayers) {
        fprintf(f, "%-32s %-14s %12s %12s %12s %8s\n", "layer", "op", "cycles", "MACs", "DRAM bytes", "util");
        for (uint32_t i = 0; i < s->nlayers; i++) {
            const DlaSimLayerStats *ls = &s->lstats[i];
            fprintf(f, "%-32s %-14s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %7.2f%%\n", ls->name, ls->op_type,
                    ls->end_cycle - ls->start_cycle, ls->macs_useful ? ls->macs_useful : ls->macs_issued,
                    ls->dram_read_bytes + ls->dram_write_bytes, 100.0 * ls->mac_utilization);
        }
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static int layer_by_start(const void *a, const void *b, void *ctx)
{
    const DlaSimLayerStats *ls = ctx;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    if (ls[i].start_cycle != ls[j].start_cycle)
        return ls[i].start_cycle < ls[j].start_cycle ? -1 : 1;
    return i < j ? -1 : i > j;
}

DlaStatus dla_sim_write_trace_json(const DlaSim *s, FILE *f, DlaError *err)
{
    /* Chrome trace-event format: "X" (complete) events, ts/dur in microseconds.
     * Slices on one track must nest, and pipelined layers overlap, so layers
     * are spread greedily over as many "layers" tracks as needed. */
    double us = 1e6 / (double)s->t.clock_hz;
    uint32_t *order = dla_malloc(sizeof *order * (s->nlayers ? s->nlayers : 1));
    uint32_t *lane = dla_malloc(sizeof *lane * (s->nlayers ? s->nlayers : 1));
    uint64_t *lane_end = dla_malloc(sizeof *lane_end * (s->nlayers ? s->nlayers : 1));
    uint32_t nlanes = 0, nord = 0;
    for (uint32_t i = 0; i < s->nlayers; i++)
        if (s->lstats[i].end_cycle)
            order[nord++] = i;
    qsort_r(order, nord, sizeof *order, layer_by_start, s->lstats);
    for (uint32_t k = 0; k < nord; k++) {
        const DlaSimLayerStats *ls = &s->lstats[order[k]];
        uint32_t l = 0;
        while (l < nlanes && lane_end[l] > ls->start_cycle)
            l++;
        if (l == nlanes)
            nlanes++;
        lane_end[l] = ls->end_cycle;
        lane[order[k]] = l;
    }
    fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":");
    json_str(f, s->t.name);
    fprintf(f, "}}");
    for (uint32_t e = 0; e < DLA_ENG_COUNT + nlanes; e++) {
        fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"name\":\"", e);
        if (e < DLA_ENG_COUNT)
            fprintf(f, "%s\"}}", dla_engine_name((DlaEngine)e));
        else
            fprintf(f, "layers %u\"}}", e - DLA_ENG_COUNT + 1);
        fprintf(f, ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
                e, e);
    }
    for (size_t i = 0; i < s->ntrace; i++) {
        const SimTraceEvent *ev = &s->trace[i];
        char text[256];
        dla_disasm_insn(s->words + (size_t)ev->insn * DLA_INSN_WORDS, text, sizeof text);
        fprintf(f, ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%.6f,\"dur\":%.6f,"
                   "\"args\":{\"insn\":%u,\"text\":",
                dla_opcode_name((DlaOpcode)s->hdr[ev->insn].op), dla_engine_name((DlaEngine)ev->engine), ev->engine,
                (double)ev->start * us, (double)(ev->end - ev->start) * us, ev->insn);
        json_str(f, text);
        int32_t l = s->insn_layer[ev->insn];
        if (l >= 0) {
            fprintf(f, ",\"layer\":");
            json_str(f, s->layers[l].name);
        }
        fprintf(f, "}}");
    }
    for (uint32_t k = 0; k < nord; k++) {
        const DlaSimLayerStats *ls = &s->lstats[order[k]];
        fprintf(f, ",\n{\"name\":");
        json_str(f, ls->name);
        fprintf(f, ",\"cat\":\"layer\",\"ph\":\"X\",\"pid\":1,\"tid\":%u,\"ts\":%.6f,\"dur\":%.6f,\"args\":{\"op\":",
                DLA_ENG_COUNT + lane[order[k]], (double)ls->start_cycle * us,
                (double)(ls->end_cycle - ls->start_cycle) * us);
        json_str(f, ls->op_type);
        fprintf(f, ",\"macs\":%" PRIu64 ",\"utilization\":%.4f}}", ls->macs_useful ? ls->macs_useful : ls->macs_issued,
                ls->mac_utilization);
    }
    fprintf(f, "\n]}\n");
    free(order);
    free(lane);
    free(lane_end);
    if (ferror(f))
        return dla_errorf(err, DLA_ERR_IO, "writing the trace failed");
    return DLA_OK;
}
