/* dla_simcheck.h - lowering a list of Q-ops for a target, running it on the
 * simulator with random inputs and comparing every output with qref bit for
 * bit (test_dla_lower.c, test_dla_move.c, test_dla_eltwise.c). Header-only; include after
 * dla_qgraph.h. */
#ifndef DLA_TESTS_DLA_SIMCHECK_H
#define DLA_TESTS_DLA_SIMCHECK_H

#include <stdlib.h>
#include <string.h>

#include "backend/dla/dla_lower.h"
#include "backend/qref/qref.h"
#include "isa/dla_format.h"
#include "isa/sim.h"

static int print_layers; /* print per-layer simulator figures */

typedef struct RunStats {
    uint64_t cycles, macs;
    double util;
    uint64_t ninsns;
} RunStats;

/* Lower nodes for target tname, run on the simulator with random inputs, and
 * compare every output with qref. */
static inline void run_check(IrGraph *g, const int32_t *nodes, int nn, const char *tname, RunStats *rs)
{
    DlaError e = {0};
    DlaTarget t;
    CU_ASSERT_EQUAL_FATAL(dla_target_load(tname, &t, &e), DLA_OK);
    DlaProgram p;
    DlaStatus st = dla_lower(g, nodes, nn, &t, &p, &e);
    if (st)
        fprintf(stderr, "lower (%s): %s\n", tname, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    /* The program survives the .dla container (writer and reader validate it). */
    uint8_t *img;
    size_t imgn;
    CU_ASSERT_EQUAL_FATAL(dla_program_write_mem(&p, &img, &imgn, &e), DLA_OK);
    DlaProgram q;
    CU_ASSERT_EQUAL_FATAL(dla_program_read_mem(img, imgn, &q, &e), DLA_OK);
    CU_ASSERT_EQUAL(q.ninsns, p.ninsns);
    CU_ASSERT_EQUAL(q.ntensors, p.ntensors);
    CU_ASSERT(q.const_bytes == p.const_bytes && (!p.const_bytes || !memcmp(q.consts, p.consts, p.const_bytes)));
    dla_program_free(&q);
    free(img);
    int8_t **vals = dla_calloc((size_t)g->nvalues, sizeof *vals);
    DlaSim *sim = dla_sim_new(&t, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sim);
    CU_ASSERT_EQUAL_FATAL(dla_sim_load(sim, &p, &e), DLA_OK);
    int nin = 0, nout = 0;
    for (uint32_t i = 0; i < p.ntensors; i++) {
        DlaTensorDesc *d = &p.tensors[i];
        int32_t v = ir_value_find(g, d->name);
        CU_ASSERT_FATAL(v >= 0);
        CU_ASSERT_EQUAL(d->dtype, DT_INT8);
        CU_ASSERT_EQUAL(d->layout, g->values[v].shape.rank == 4 ? IR_LAYOUT_NHWC : IR_LAYOUT_ROWMAJOR);
        CU_ASSERT_EQUAL(d->zero_point, g->values[v].quant.zero_point[0]);
        if (d->role != DLA_TENSOR_INPUT)
            continue;
        nin++;
        vals[v] = dla_malloc(d->nbytes);
        for (uint64_t k = 0; k < d->nbytes; k++)
            vals[v][k] = (int8_t)rnd_i8();
        int8_t *dev = dla_malloc(d->nbytes);
        dla_tensor_pack(d, vals[v], dev);
        CU_ASSERT_EQUAL(dla_sim_dram_write(sim, d->dram_offset, dev, d->nbytes, &e), DLA_OK);
        free(dev);
    }
    st = qref_run(g, nodes, nn, vals, &e);
    if (st)
        fprintf(stderr, "qref: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    st = dla_sim_run(sim, &e);
    if (st)
        fprintf(stderr, "sim (%s): %s\n", tname, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    for (uint32_t i = 0; i < p.ntensors; i++) {
        DlaTensorDesc *d = &p.tensors[i];
        if (d->role != DLA_TENSOR_OUTPUT)
            continue;
        nout++;
        int32_t v = ir_value_find(g, d->name);
        int8_t *dev = dla_malloc(d->nbytes), *got = dla_malloc(d->nbytes);
        CU_ASSERT_EQUAL(dla_sim_dram_read(sim, d->dram_offset, dev, d->nbytes, &e), DLA_OK);
        dla_tensor_unpack(d, dev, got);
        uint64_t bad = 0, first = 0;
        for (uint64_t k = 0; k < d->nbytes; k++)
            if (got[k] != vals[v][k] && !bad++)
                first = k;
        if (bad)
            fprintf(stderr, "%s on %s: output '%s': %llu of %llu bytes differ, first at %llu: got %d want %d\n",
                    g->nodes[nodes[0]].name, tname, d->name, (unsigned long long)bad, (unsigned long long)d->nbytes,
                    (unsigned long long)first, got[first], vals[v][first]);
        CU_ASSERT_EQUAL(bad, 0);
        free(dev);
        free(got);
    }
    CU_ASSERT(nin >= 1);
    CU_ASSERT(nout >= 1);
    CU_ASSERT_EQUAL(p.nlayers, (uint32_t)nn);
    const DlaSimStats *ss = dla_sim_stats(sim);
    if (print_layers)
        for (uint32_t i = 0; i < dla_sim_nlayers(sim); i++) {
            const DlaSimLayerStats *l = dla_sim_layer_stats(sim, i);
            fprintf(stderr, "    %-10s %-8s %-14s cycles %8llu  MACs %10llu  util %.3f\n", tname, l->op_type, l->name,
                    (unsigned long long)(l->end_cycle - l->start_cycle), (unsigned long long)l->macs_useful,
                    l->mac_utilization);
        }
    if (rs) {
        rs->cycles = ss->total_cycles;
        rs->macs = ss->macs_useful;
        rs->util = ss->mac_utilization;
        rs->ninsns = p.ninsns;
    }
    for (int32_t v = 0; v < g->nvalues; v++)
        free(vals[v]);
    free(vals);
    dla_sim_free(sim);
    dla_program_free(&p);
}

static inline void both_targets(IrGraph *g, const int32_t *nodes, int nn)
{
    run_check(g, nodes, nn, "dla-edge", NULL);
    run_check(g, nodes, nn, "dla-server", NULL);
}

#endif
