/* test_dla_padpool.c - padding and pooling on the DLA, lowering against the
 * integer reference (docs/quant.md "Padding and pooling", docs/lowering.md):
 * QPad (constant/edge/reflect, pads 0..20, odd sizes, batch 2, images
 * larger than one tile), QAvgPool with per-count divisors (ceil_mode,
 * count_include_pad = 0, dilations), QMaxPool (ceil_mode, dilations),
 * QGlobalMaxPool and keepdims = 0: lowered for dla-edge and dla-server, run
 * on the simulator, bit for bit against qref. Suite "figures" prints the
 * table of docs/lowering.md. Whole ONNX models: test_dla_padpool_models.c. */
#include <stdlib.h>
#include <string.h>

#include "backend/dla/dla_lower.h"
#include "backend/qref/qref.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "isa/sim.h"
#include "ops.h"

#include "dla_qgraph.h"

/* ------------------------------------------------------------ lowering vs qref */

/* The last run's figures (for the table of docs/lowering.md). */
static struct {
    uint64_t cycles, bytes, compute_busy, insns;
    double bw; /* DRAM bytes per cycle of the target */
} last;

/* Lower node n of g for tname, run it on random inputs, compare with qref;
 * returns the simulated cycles. */
static uint64_t sim_vs_qref(IrGraph *g, int32_t n, const char *tname)
{
    DlaError e = {0};
    DlaTarget t;
    CU_ASSERT_EQUAL_FATAL(dla_target_load(tname, &t, &e), DLA_OK);
    DlaProgram p;
    DlaStatus st = dla_lower(g, &n, 1, &t, &p, &e);
    if (st)
        fprintf(stderr, "lower (%s): %s\n", tname, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    int8_t **vals = dla_calloc((size_t)g->nvalues, sizeof *vals);
    DlaSim *sim = dla_sim_new(&t, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sim);
    CU_ASSERT_EQUAL_FATAL(dla_sim_load(sim, &p, &e), DLA_OK);
    for (uint32_t i = 0; i < p.ntensors; i++) {
        DlaTensorDesc *d = &p.tensors[i];
        if (d->role != DLA_TENSOR_INPUT)
            continue;
        int32_t v = ir_value_find(g, d->name);
        vals[v] = dla_malloc(d->nbytes);
        for (uint64_t k = 0; k < d->nbytes; k++)
            vals[v][k] = (int8_t)rnd_i8();
        int8_t *dev = dla_malloc(d->nbytes);
        dla_tensor_pack(d, vals[v], dev);
        CU_ASSERT_EQUAL(dla_sim_dram_write(sim, d->dram_offset, dev, d->nbytes, &e), DLA_OK);
        free(dev);
    }
    st = qref_run(g, &n, 1, vals, &e);
    if (st)
        fprintf(stderr, "qref: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    st = dla_sim_run(sim, &e);
    if (st)
        fprintf(stderr, "sim (%s): %s\n", tname, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    int nout = 0;
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
            fprintf(stderr, "%s on %s: %llu of %llu bytes differ, first at %llu: got %d want %d\n",
                    g->nodes[n].name, tname, (unsigned long long)bad, (unsigned long long)d->nbytes,
                    (unsigned long long)first, got[first], vals[v][first]);
        CU_ASSERT_EQUAL(bad, 0);
        free(dev);
        free(got);
    }
    CU_ASSERT_EQUAL(nout, 1);
    const DlaSimStats *ss = dla_sim_stats(sim);
    uint64_t cycles = ss->total_cycles;
    last.cycles = cycles;
    last.bytes = ss->dram_read_bytes + ss->dram_write_bytes;
    last.compute_busy = ss->engine[DLA_ENG_COMPUTE].busy_cycles;
    last.insns = p.ninsns;
    last.bw = (double)t.dram_bytes_per_cycle;
    for (int32_t v = 0; v < g->nvalues; v++)
        free(vals[v]);
    free(vals);
    dla_sim_free(sim);
    dla_program_free(&p);
    return cycles;
}

/* Print a markdown row for docs/lowering.md ("Padding and pooling"). */
static const char *fig_label;
static void fig_row(const char *target)
{
    double dram = (double)last.bytes / last.bw; /* cycles the DRAM channel needs */
    fprintf(stderr, "\n  | %s | %s | %llu | %.2f | %.2f | %llu |", fig_label, target, (unsigned long long)last.cycles,
            dram / (double)last.cycles, (double)last.compute_busy / (double)last.cycles, (unsigned long long)last.insns);
}

static uint64_t both(IrGraph *g, int32_t n)
{
    uint64_t c = sim_vs_qref(g, n, "dla-edge");
    if (fig_label)
        fig_row("dla-edge");
    sim_vs_qref(g, n, "dla-server");
    if (fig_label)
        fig_row("dla-server");
    return c;
}

static void set_string(IrGraph *g, int32_t n, const char *name, const char *s)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_STRING);
    a->s = dla_arena_strdup(&g->arena, s);
    a->slen = strlen(s);
}

static uint64_t pad_case(const int64_t *xd, const char *mode, int64_t t, int64_t l, int64_t b, int64_t r, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int zx = rnd_i8() / 2;
    int32_t x = act(g, "x", 4, xd, 0.1f, zx);
    int32_t n = node(g, "QPad", &x, 1, "y");
    int64_t p[4] = {t, l, b, r};
    attr_ints(g, n, "pads", 4, p);
    set_string(g, n, "mode", mode);
    attr_int(g, n, "value", !strcmp(mode, "constant") ? rnd_i8() : 0);
    finish(g, n, 0.1f, zx);
    uint64_t c = both(g, n);
    ir_graph_free(g);
    return c;
}

static void test_pad(void)
{
    int64_t a[4] = {2, 5, 9, 13}, big[4] = {1, 64, 56, 56}, wide[4] = {1, 20, 7, 600};
    const char *modes[3] = {"constant", "edge", "reflect"};
    for (int m = 0; m < 3; m++) {
        pad_case(a, modes[m], 1, 2, 3, 4, 100 + (uint64_t)m);
        pad_case(a, modes[m], 0, 0, 0, 0, 110 + (uint64_t)m);
        pad_case(a, modes[m], 8, 12, 5, 0, 120 + (uint64_t)m);
        pad_case(wide, modes[m], 3, 5, 6, 2, 140 + (uint64_t)m);
        uint64_t c = pad_case(big, modes[m], 1, 1, 1, 1, 150 + (uint64_t)m);
        fprintf(stderr, "\n  QPad %-8s 64x56x56 pads 1: edge %llu cycles", modes[m], (unsigned long long)c);
        if (m < 2) { /* reflect pads must stay below the dim */
            int64_t s[4] = {2, 3, 11, 9};
            pad_case(s, modes[m], 20, 15, 17, 9, 130 + (uint64_t)m);
        }
    }
    int64_t r[4] = {2, 3, 21, 23};
    pad_case(r, "reflect", 20, 20, 17, 22, 133);
}

/* A pool node with per-count scales when avg (what quantize makes). */
static uint64_t pool_case(const char *op, const int64_t *xd, const int64_t *k, const int64_t *s, const int64_t *d,
                          const int64_t *p, int ceil_mode, int incl, int per_count, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int zx = rnd_i8() / 2;
    int32_t x = act(g, "x", 4, xd, 0.1f, zx);
    int32_t n = node(g, op, &x, 1, "y");
    int avg = !strcmp(op, "QAvgPool");
    attr_ints(g, n, "kernel_shape", 2, k);
    attr_ints(g, n, "strides", 2, s);
    attr_ints(g, n, "dilations", 2, d);
    attr_ints(g, n, "pads", 4, p);
    attr_int(g, n, "ceil_mode", ceil_mode);
    float sy = avg ? 0.05f : 0.1f;
    if (avg) {
        int64_t kk = k[0] * k[1], ns = per_count ? kk : 1;
        float sc[64];
        for (int64_t c = 0; c < ns; c++)
            sc[c] = 0.1f / (sy * (float)(per_count ? c + 1 : kk));
        attr_floats(g, n, "scale", (int)ns, sc);
        attr_int(g, n, "count_include_pad", incl);
    }
    finish(g, n, sy, avg ? -3 : zx);
    uint64_t c = both(g, n);
    ir_graph_free(g);
    return c;
}

static void test_pool_variants(void)
{
    int64_t a[4] = {2, 7, 9, 11}, big[4] = {1, 64, 56, 56}, wide[4] = {1, 20, 5, 1000};
    int64_t k3[2] = {3, 3}, k23[2] = {2, 3}, s1[2] = {1, 1}, s2[2] = {2, 2}, d1[2] = {1, 1}, d2[2] = {2, 2};
    int64_t p0[4] = {0, 0, 0, 0}, p1[4] = {1, 1, 1, 1}, pa[4] = {1, 0, 0, 2};
    /* count_include_pad = 0 */
    pool_case("QAvgPool", a, k3, s1, d1, p1, 0, 0, 1, 200);
    pool_case("QAvgPool", a, k23, s2, d1, pa, 0, 0, 1, 201);
    uint64_t c = pool_case("QAvgPool", big, k3, s1, d1, p1, 0, 0, 1, 202);
    uint64_t c1 = pool_case("QAvgPool", big, k3, s1, d1, p1, 0, 1, 0, 203);
    fprintf(stderr, "\n  QAvgPool 3x3/1 p1 64x56x56: count_include_pad=0 %llu cycles, =1 %llu cycles",
            (unsigned long long)c, (unsigned long long)c1);
    pool_case("QAvgPool", wide, k3, s2, d1, p1, 0, 0, 1, 204);
    /* ceil_mode: partial windows at the end (divisor inside the padded input) */
    pool_case("QAvgPool", a, k3, s2, d1, p0, 1, 1, 1, 210);
    pool_case("QAvgPool", a, k3, s2, d1, pa, 1, 1, 1, 211);
    pool_case("QAvgPool", a, k23, s2, d1, p1, 1, 0, 1, 212);
    pool_case("QMaxPool", a, k3, s2, d1, p0, 1, 0, 0, 213);
    pool_case("QMaxPool", big, k3, s2, d1, p0, 1, 0, 0, 214);
    /* dilations */
    pool_case("QAvgPool", a, k3, s1, d2, p1, 0, 0, 1, 220);
    pool_case("QAvgPool", a, k23, s1, d2, p0, 0, 1, 0, 221);
    pool_case("QMaxPool", a, k3, s1, d2, pa, 0, 0, 0, 222);
    pool_case("QMaxPool", big, k23, s2, d2, p1, 1, 0, 0, 223);
}

static uint64_t gpool_case(const char *op, const int64_t *xd, int keepdims, uint64_t seed)
{
    rng_state = seed;
    IrGraph *g = ir_graph_new();
    int zx = rnd_i8() / 2;
    int32_t x = act(g, "x", 4, xd, 0.1f, zx);
    int32_t n = node(g, op, &x, 1, "y");
    int avg = !strcmp(op, "QGlobalAvgPool");
    if (avg) {
        float sc = 0.1f / (0.02f * (float)(xd[2] * xd[3]));
        attr_floats(g, n, "scale", 1, &sc);
    }
    attr_int(g, n, "keepdims", keepdims);
    finish(g, n, avg ? 0.02f : 0.1f, avg ? 7 : zx);
    CU_ASSERT_EQUAL(g->values[g->nodes[n].outputs[0]].shape.rank, keepdims ? 4 : 2);
    uint64_t c = both(g, n);
    ir_graph_free(g);
    return c;
}

static void test_global(void)
{
    int64_t a[4] = {2, 100, 7, 7}, b[4] = {1, 64, 56, 56}, c[4] = {3, 2050, 3, 3}, d[4] = {2, 40, 3, 1100},
            e[4] = {5, 30, 4, 4};
    gpool_case("QGlobalMaxPool", a, 1, 300);
    uint64_t cy = gpool_case("QGlobalMaxPool", b, 1, 301);
    fprintf(stderr, "\n  QGlobalMaxPool 64x56x56: edge %llu cycles", (unsigned long long)cy);
    gpool_case("QGlobalMaxPool", c, 0, 302);
    gpool_case("QGlobalMaxPool", d, 1, 303);
    gpool_case("QGlobalMaxPool", e, 0, 304);
    gpool_case("QGlobalAvgPool", a, 0, 305);
    gpool_case("QGlobalAvgPool", e, 0, 306);
}

/* Representative shapes, printed as the table of docs/lowering.md: cycles,
 * DRAM-channel occupancy (bytes / bandwidth / cycles), compute-engine busy
 * fraction, instructions. */
static void test_figures(void)
{
    int64_t a[4] = {1, 64, 56, 56}, r[4] = {1, 32, 112, 112}, ce[4] = {1, 64, 55, 55};
    int64_t k3[2] = {3, 3}, k2[2] = {2, 2}, s1[2] = {1, 1}, s2[2] = {2, 2}, d1[2] = {1, 1};
    int64_t p0[4] = {0, 0, 0, 0}, p1[4] = {1, 1, 1, 1};
    fprintf(stderr, "\n  | op, shape (C x H x W) | target | cycles | DRAM occupancy | compute busy | insns |"
                    "\n  |---|---|---|---|---|---|");
    fig_label = "QPad constant, 64x56x56, pads 1";
    pad_case(a, "constant", 1, 1, 1, 1, 400);
    fig_label = "QPad edge, 64x56x56, pads 1";
    pad_case(a, "edge", 1, 1, 1, 1, 401);
    fig_label = "QPad reflect, 64x56x56, pads 1";
    pad_case(a, "reflect", 1, 1, 1, 1, 402);
    fig_label = "QPad reflect, 32x112x112, pads 3";
    pad_case(r, "reflect", 3, 3, 3, 3, 403);
    fig_label = "QPad constant, 64x56x56, pads 9 (explicit pad of a conv)";
    pad_case(a, "constant", 9, 9, 9, 9, 404);
    fig_label = "QMaxPool 3x3/2 ceil_mode, 64x55x55";
    pool_case("QMaxPool", ce, k3, s2, d1, p0, 1, 0, 0, 405);
    fig_label = "QAvgPool 3x3/1 p1 count_include_pad=1, 64x56x56";
    pool_case("QAvgPool", a, k3, s1, d1, p1, 0, 1, 0, 406);
    fig_label = "QAvgPool 3x3/1 p1 count_include_pad=0, 64x56x56";
    pool_case("QAvgPool", a, k3, s1, d1, p1, 0, 0, 1, 407);
    fig_label = "QAvgPool 2x2/2 ceil_mode, 64x55x55";
    pool_case("QAvgPool", ce, k2, s2, d1, p0, 1, 1, 1, 408);
    fig_label = "QGlobalMaxPool, 64x56x56";
    gpool_case("QGlobalMaxPool", a, 1, 409);
    fig_label = "QGlobalAvgPool (ReduceMean), 64x56x56";
    gpool_case("QGlobalAvgPool", a, 1, 410);
    fig_label = NULL;
}
void dla_register_tests(void)
{
    DLA_SUITE("padpool",
              {"QPad constant/edge/reflect", test_pad},
              {"pools: ceil_mode, count_include_pad, dilations", test_pool_variants},
              {"QGlobalMaxPool, keepdims", test_global},
              {"figures (docs/lowering.md)", test_figures});
}
