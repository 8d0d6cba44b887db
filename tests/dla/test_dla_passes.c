/* test_dla_passes.c - the DLA passes one at a time (backend/dla/dla_passes.def):
 * what each establishes in the plan (dla_plan.h), on small graphs with known
 * answers: fuse (layers, kinds, activation), layout (roles, layouts, order),
 * tile (the choice and the predicted cycles of a known conv), sram-alloc
 * (every buffer inside its memory, halves and tiles disjoint, the weight
 * ring), dram-alloc (intermediates share by liveness), schedule (tokens
 * balanced per queue), emit (descriptors), the dump; and, on the zoo's
 * resnet18 for both targets, the cost model's predicted cycles per layer
 * against the simulator's (a printed report; the error is not asserted). */
#include <string.h>

#include "backend/dla/dla_plan.h"
#include "driver/compile.h"
#include "isa/isa.h"
#include "isa/sim.h"

#include "dla_qgraph.h"

#define CONV(...) (ConvSpec){__VA_ARGS__}
/* n ic h w oc kh kw sh sw dh dw pt pl pb pr group relu clip */

static DlaTarget target(const char *name)
{
    DlaTarget t;
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_target_load(name, &t, &e), DLA_OK);
    return t;
}

/* Plan the nodes for t and run the passes up to `last`. */
static void plan_until(DlaLowerPlan *p, DlaProgram *out, const IrGraph *g, const int32_t *nodes, int nn,
                       const DlaTarget *t, DlaPassId last, DlaError *e)
{
    CU_ASSERT_EQUAL_FATAL(dla_lower_plan_init(p, g, nodes, nn, t, out, e), DLA_OK);
    DlaStatus st = dla_lower_plan_run_until(p, last, NULL);
    if (st)
        fprintf(stderr, "passes: %s\n", e->msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(p->ran, (int)last + 1);
}

/* A plan with what it points at while it lives: target, program, error. */
typedef struct PassRun {
    DlaTarget t;
    DlaLowerPlan p;
    DlaProgram out;
    DlaError e;
} PassRun;

/* plan_until for the target named tname, in r; returns &r->p. */
static DlaLowerPlan *run_until(PassRun *r, const IrGraph *g, const int32_t *nodes, int nn, const char *tname,
                               DlaPassId last)
{
    memset(r, 0, sizeof *r);
    r->t = target(tname);
    plan_until(&r->p, &r->out, g, nodes, nn, &r->t, last, &r->e);
    return &r->p;
}

/* x -> conv(relu) a -> maxpool b -> conv c -> conv(clip) d: four layers. */
static IrGraph *chain(int32_t *nodes)
{
    rng_state = 7;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 16, 16, 16};
    int32_t x = act(g, "x", 4, xd, 0.1f, 3);
    ConvSpec c1 = CONV(1, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
    int32_t a = add_conv(g, x, &c1, "a");
    nodes[0] = g->nnodes - 1;
    int32_t n = node(g, "QMaxPool", &a, 1, "b");
    int64_t ks[2] = {2, 2};
    attr_ints(g, n, "kernel_shape", 2, ks);
    attr_ints(g, n, "strides", 2, ks);
    int32_t b = finish(g, n, g->values[a].quant.scale[0], g->values[a].quant.zero_point[0]);
    nodes[1] = n;
    ConvSpec c2 = CONV(1, 32, 8, 8, 32, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0);
    int32_t c = add_conv(g, b, &c2, "c");
    nodes[2] = g->nnodes - 1;
    ConvSpec c3 = CONV(1, 32, 8, 8, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1);
    add_conv(g, c, &c3, "d");
    nodes[3] = g->nnodes - 1;
    return g;
}

static void test_fuse(void)
{
    int32_t nodes[4];
    IrGraph *g = chain(nodes);
    DlaTarget t = target("dla-edge");
    DlaLowerPlan p;
    DlaProgram out;
    DlaError e = {0};
    plan_until(&p, &out, g, nodes, 4, &t, DLA_PASS_FUSE, &e);
    CU_ASSERT_EQUAL(p.nlayers, 4);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(p.layers[i].node, nodes[i]);
        CU_ASSERT_EQUAL(p.layers[i].nnodes, 1);
        CU_ASSERT_EQUAL(p.layers[i].nodes[0], nodes[i]);
    }
    CU_ASSERT_EQUAL(p.layers[0].kind, DLA_LAYER_CONV);
    CU_ASSERT_EQUAL(p.layers[1].kind, DLA_LAYER_POOL);
    CU_ASSERT_STRING_EQUAL(p.layers[0].act, "relu");
    CU_ASSERT_STRING_EQUAL(p.layers[1].act, "none");
    CU_ASSERT_STRING_EQUAL(p.layers[2].act, "none");
    CU_ASSERT_STRING_EQUAL(p.layers[3].act, "clip");
    dla_lower_plan_free(&p);
    /* a repeated node and an empty partition are refused */
    int32_t twice[2] = {nodes[0], nodes[0]};
    CU_ASSERT_EQUAL(dla_lower_plan_init(&p, g, twice, 2, &t, &out, &e), DLA_OK);
    CU_ASSERT_EQUAL(dla_lower_plan_run(&p, NULL), DLA_ERR_INVALID);
    CU_ASSERT_EQUAL(p.ran, 0);
    dla_lower_plan_free(&p);
    CU_ASSERT_EQUAL(dla_lower_plan_init(&p, g, nodes, 0, &t, &out, &e), DLA_OK);
    CU_ASSERT_EQUAL(dla_lower_plan_run(&p, NULL), DLA_ERR_INVALID);
    dla_lower_plan_free(&p);
    ir_graph_free(g);
}

static void test_layout(void)
{
    int32_t nodes[4];
    IrGraph *g = chain(nodes);
    PassRun r;
    /* only the first three: c is read by d outside the partition -> OUTPUT */
    DlaLowerPlan *p = run_until(&r, g, nodes, 3, "dla-edge", DLA_PASS_LAYOUT);
    int32_t x = ir_value_find(g, "x"), a = ir_value_find(g, "a"), b = ir_value_find(g, "b"), c = ir_value_find(g, "c");
    CU_ASSERT_EQUAL(p->role[x], DLA_ROLE_IN);
    CU_ASSERT_EQUAL(p->role[a], DLA_ROLE_MID);
    CU_ASSERT_EQUAL(p->role[b], DLA_ROLE_MID);
    CU_ASSERT_EQUAL(p->role[c], DLA_ROLE_OUT);
    CU_ASSERT_EQUAL(p->layout[x], IR_LAYOUT_NHWC);
    CU_ASSERT_EQUAL(p->def[a], 0);
    CU_ASSERT_EQUAL(p->last[a], 1);
    CU_ASSERT_EQUAL(p->def[b], 1);
    CU_ASSERT_EQUAL(p->last[b], 2);
    CU_ASSERT_EQUAL(p->norder, 2);
    CU_ASSERT_EQUAL(p->order[0], x);
    CU_ASSERT_EQUAL(p->order[1], c);
    dla_lower_plan_free(p);
    ir_graph_free(g);
}

/* The tile pass on resnet18's layer1 conv (64 -> 64, 3x3, pad 1, 56x56) on
 * dla-edge: 7 tiles of 8 rows x 56 columns, one chunk of 64 channels, 4
 * blocks of 16 outputs, everything resident; the predicted compute cycles
 * are the GEMM iterations (9 taps x 448 pixels x 64/16 per block and tile)
 * plus bias mov and requant (448 x ceil(16/16) each), plus the two resident
 * loads of biases and scales on the compute engine. */
static void test_tile(void)
{
    rng_state = 8;
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 64, 56, 56};
    int32_t x = act(g, "x", 4, xd, 0.1f, 3);
    ConvSpec cs = CONV(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
    add_conv(g, x, &cs, "y");
    int32_t n = g->nnodes - 1;
    PassRun r;
    DlaLowerPlan *p = run_until(&r, g, &n, 1, "dla-edge", DLA_PASS_TILE);
    const DlaConv *cv = &p->layers[0].conv;
    CU_ASSERT_EQUAL(cv->fold, 0);
    CU_ASSERT_EQUAL(cv->dwm, 0);
    CU_ASSERT_EQUAL(cv->nch, 1);
    CU_ASSERT_EQUAL(cv->ICc, 64);
    CU_ASSERT_EQUAL(cv->NOB, 4);
    CU_ASSERT_EQUAL(cv->ntl, 7);
    CU_ASSERT_EQUAL(cv->OHt, 8);
    CU_ASSERT_EQUAL(cv->OWt, 56);
    CU_ASSERT(cv->wres && cv->bres && cv->pres);
    int64_t rows = 0;
    for (int64_t i = 0; i < cv->ntl; i++) {
        const DlaTile *tl = &cv->tiles[i];
        CU_ASSERT_EQUAL(tl->oh0, rows);
        rows += tl->ohn;
        /* the input tile fits half of inp, the output tile one acc buffer */
        int64_t ih = tl->ohn + 2, iw = tl->own + 2; /* with the 3x3 halo */
        CU_ASSERT(ih * iw * cv->ICc <= (int64_t)r.t.inp_sram_bytes / 2);
        CU_ASSERT(tl->ohn * tl->own * (int64_t)r.t.gemm_cols <= cv->acc_tile);
    }
    CU_ASSERT_EQUAL(rows, 56);
    double lat = (double)r.t.dram_latency_cycles, bw = (double)r.t.dram_bytes_per_cycle;
    double comp = 7.0 * 4.0 * (9.0 * 448.0 * 4.0 + 2.0 * 448.0) + 2.0 * (lat + 256.0 / bw);
    CU_ASSERT_DOUBLE_EQUAL(p->layers[0].pred_compute, comp, 0.5);
    CU_ASSERT(p->layers[0].pred_cycles >= comp);
    CU_ASSERT_EQUAL(p->layers[0].macs, (uint64_t)(64 * 56 * 56 * 64 * 9));
    dla_lower_plan_free(p);
    ir_graph_free(g);
}

/* The chain's 2x2/2 max pool of [1,32,16,16] on dla-edge (acc halves of
 * 8192 words): whole rows of 8 output pixels (16 input columns), all 32
 * channels in one block, and the most rows whose input (2 per output row)
 * and output tiles fit a half: 6 -> two row tiles, balanced to 4 each. */
static void test_tile_pool(void)
{
    int32_t nodes[4];
    IrGraph *g = chain(nodes);
    PassRun r;
    DlaLowerPlan *p = run_until(&r, g, nodes, 4, "dla-edge", DLA_PASS_TILE);
    const DlaPool *pl = &p->layers[1].pool;
    CU_ASSERT_EQUAL(pl->half, 8192);
    CU_ASSERT_EQUAL(pl->ncols, 1);
    CU_ASSERT_EQUAL(pl->owt, 8);
    CU_ASSERT_EQUAL(pl->iwt, 16);
    CU_ASSERT_EQUAL(pl->Cb, 32);
    CU_ASSERT_EQUAL(pl->ncb, 1);
    CU_ASSERT_EQUAL(pl->nrows, 2);
    CU_ASSERT_EQUAL(pl->oht, 4);
    CU_ASSERT(2 * pl->oht * pl->iwt * pl->Cb + pl->oht * pl->owt * pl->Cb <= pl->half);
    CU_ASSERT(p->layers[1].pred_cycles > 0);
    dla_lower_plan_free(p);
    ir_graph_free(g);
}

static void check_sram(const char *tname)
{
    int32_t nodes[4];
    IrGraph *g = chain(nodes);
    PassRun r;
    DlaLowerPlan *p = run_until(&r, g, nodes, 4, tname, DLA_PASS_SRAM_ALLOC);
    const DlaTarget *t = &r.t;
    uint64_t msize[DLA_MEM_COUNT] = {t->inp_sram_bytes, t->wgt_sram_bytes, t->acc_sram_bytes / 4, t->param_bytes / 4,
                                     t->lut_bytes};
    uint64_t prev_w0 = 0, prev_w1 = 0;
    for (int32_t i = 0; i < p->nlayers; i++) {
        const DlaPlanLayer *l = &p->layers[i];
        CU_ASSERT(l->nbufs >= 2);
        for (int b = 0; b < l->nbufs; b++)
            CU_ASSERT(l->bufs[b].off + l->bufs[b].size <= msize[l->bufs[b].mem]);
        /* buffers of one memory that are used at the same time never overlap */
        for (int a = 0; a < l->nbufs; a++)
            for (int b = a + 1; b < l->nbufs; b++)
                if (l->bufs[a].mem == l->bufs[b].mem)
                    CU_ASSERT(l->bufs[a].off + l->bufs[a].size <= l->bufs[b].off ||
                              l->bufs[b].off + l->bufs[b].size <= l->bufs[a].off);
        if (l->kind != DLA_LAYER_CONV)
            continue;
        const DlaConv *cv = &l->conv;
        CU_ASSERT(l->inp_at[0] + msize[DLA_MEM_INP] / 2 <= l->inp_at[1]);
        CU_ASSERT(l->acc_at[0] >= (uint64_t)(cv->bres ? cv->nbias : (int64_t)r.t.gemm_cols));
        CU_ASSERT(l->acc_at[0] + (uint64_t)cv->acc_tile <= l->acc_at[1]);
        CU_ASSERT(l->acc_at[1] + (uint64_t)cv->acc_tile <= msize[DLA_MEM_ACC]);
        CU_ASSERT(cv->wres); /* small weights: resident, in the ring */
        uint64_t w0 = l->wres_at, w1 = w0 + (uint64_t)(cv->wtotal + cv->wextra);
        CU_ASSERT(w0 % 64 == 0);
        /* consecutive convs' resident weights do not overlap while they fit */
        if (prev_w1 && prev_w1 + (w1 - w0) + 64 <= msize[DLA_MEM_WGT])
            CU_ASSERT(w0 >= prev_w1 || w1 <= prev_w0);
        prev_w0 = w0, prev_w1 = w1;
    }
    dla_lower_plan_free(p);
    ir_graph_free(g);
}

static void test_sram(void)
{
    check_sram("dla-edge");
    check_sram("dla-server");
}

/* a, b, c intermediates: a (layers 0..1) and c (2..3) are never alive at the
 * same time and share; b (1..2) overlaps both in time and gets its own. */
static void test_dram(void)
{
    int32_t nodes[4];
    IrGraph *g = chain(nodes);
    PassRun r;
    DlaLowerPlan *p = run_until(&r, g, nodes, 4, "dla-edge", DLA_PASS_DRAM_ALLOC);
    int32_t x = ir_value_find(g, "x"), a = ir_value_find(g, "a"), b = ir_value_find(g, "b"), c = ir_value_find(g, "c"),
            d = ir_value_find(g, "d");
    CU_ASSERT_EQUAL(p->addr[x], 0);
    CU_ASSERT_EQUAL(p->addr[d], 16 * 16 * 16);
    CU_ASSERT_EQUAL(p->mid_base, 16 * 16 * 16 + 16 * 8 * 8);
    CU_ASSERT_EQUAL(p->addr[a], p->mid_base);
    CU_ASSERT_EQUAL(p->addr[c], p->addr[a]);
    uint64_t asz = 32 * 16 * 16;
    CU_ASSERT(p->addr[b] >= p->addr[a] + asz);
    CU_ASSERT_EQUAL(p->act_bytes, p->mid_base + asz + 32 * 8 * 8);
    for (int32_t v = 0; v < g->nvalues; v++)
        if (p->role[v] != DLA_ROLE_NONE)
            CU_ASSERT(p->addr[v] % 64 == 0);
    dla_lower_plan_free(p);
    ir_graph_free(g);
}

/* Tokens: on each queue (load->compute, compute->load, compute->store,
 * store->compute) as many pushes as pops, each pop after its push. */
static void check_schedule(const char *tname)
{
    int32_t nodes[4];
    IrGraph *g = chain(nodes);
    PassRun r;
    DlaLowerPlan *p = run_until(&r, g, nodes, 4, tname, DLA_PASS_CODEGEN);
    for (uint32_t i = 0; i < p->em.npend; i++)
        CU_ASSERT(!p->em.pend[i].in.push_next && !p->em.pend[i].in.push_prev && !p->em.pend[i].in.pop_next &&
                  !p->em.pend[i].in.pop_prev);
    uint32_t npend = p->em.npend;
    CU_ASSERT_EQUAL(dla_lower_plan_run_until(p, DLA_PASS_SCHEDULE, NULL), DLA_OK);
    CU_ASSERT(p->em.n >= npend - 1);
    /* queue q: engine q pushes next / engine q+1 pops prev; reverse likewise */
    int64_t fwd[DLA_ENG_COUNT] = {0}, back[DLA_ENG_COUNT] = {0};
    for (uint32_t i = 0; i < p->em.n; i++) {
        const DlaInsn *in = &p->em.insn[i];
        int eng = (int)dla_insn_engine(in);
        if (eng >= DLA_ENG_COUNT)
            continue;
        if (in->pop_prev)
            CU_ASSERT(eng > 0 && --fwd[eng - 1] >= 0);
        if (in->pop_next)
            CU_ASSERT(eng + 1 < DLA_ENG_COUNT && --back[eng + 1] >= 0);
        if (in->push_next)
            fwd[eng]++;
        if (in->push_prev)
            back[eng]++;
    }
    for (int q = 0; q < DLA_ENG_COUNT; q++) {
        CU_ASSERT_EQUAL(fwd[q], 0);
        CU_ASSERT_EQUAL(back[q], 0);
    }
    /* layers cover the stream in order, up to `end` */
    uint32_t at = 0;
    for (int32_t i = 0; i < p->nlayers; i++) {
        CU_ASSERT_EQUAL(p->layers[i].first_insn, at);
        at += p->layers[i].ninsns;
    }
    CU_ASSERT_EQUAL(at + 1, p->em.n);
    CU_ASSERT_EQUAL(p->em.insn[p->em.n - 1].op, DLA_OP_END);
    /* emit: the program, its descriptors at the planned offsets */
    CU_ASSERT_EQUAL(dla_lower_plan_run(p, NULL), DLA_OK);
    CU_ASSERT_EQUAL(r.out.ninsns, p->em.n);
    CU_ASSERT_EQUAL(r.out.ntensors, 2);
    uint64_t act_base = (r.out.const_bytes + 63) / 64 * 64;
    CU_ASSERT_EQUAL(r.out.tensors[0].dram_offset, act_base + p->addr[ir_value_find(g, "x")]);
    CU_ASSERT_EQUAL(r.out.tensors[1].dram_offset, act_base + p->addr[ir_value_find(g, "d")]);
    CU_ASSERT_EQUAL(r.out.tensors[1].role, DLA_TENSOR_OUTPUT);
    CU_ASSERT_EQUAL(r.out.nlayers, 4);
    /* the simulator accepts it (it rejects token imbalance and deadlock) */
    DlaSim *sim = dla_sim_new(&r.t, &r.e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sim);
    CU_ASSERT_EQUAL(dla_sim_load(sim, &r.out, &r.e), DLA_OK);
    CU_ASSERT_EQUAL(dla_sim_run(sim, &r.e), DLA_OK);
    dla_sim_free(sim);
    dla_program_free(&r.out);
    dla_lower_plan_free(p);
    ir_graph_free(g);
}

static void test_schedule_emit(void)
{
    check_schedule("dla-edge");
    check_schedule("dla-server");
}

static void test_dump(void)
{
    int32_t nodes[4];
    IrGraph *g = chain(nodes);
    DlaTarget t = target("dla-edge");
    DlaProgram out;
    DlaError e = {0};
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    CU_ASSERT_EQUAL(dla_lower_dump(g, nodes, 4, &t, &out, DLA_PASS_TILE, f, &e), DLA_OK);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# DLA plan after tile: target dla-edge"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "layer 0 'a_node' QConv"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "tile: mode"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "predicted:"));
    CU_ASSERT_PTR_NULL(strstr(buf, "sram ")); /* not yet */
    free(buf);
    dla_program_free(&out);
    f = open_memstream(&buf, &n);
    CU_ASSERT_EQUAL(dla_lower_dump(g, nodes, 4, &t, &out, DLA_PASS__COUNT, f, &e), DLA_OK);
    fclose(f);
    for (int i = 0; i < DLA_PASS__COUNT; i++) {
        char h[64];
        snprintf(h, sizeof h, "# DLA plan after %s:", dla_pass_name((DlaPassId)i));
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, h));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "sram inp   [0, "));
    free(buf);
    dla_program_free(&out);
    ir_graph_free(g);
    CU_ASSERT_EQUAL(dla_pass_lookup("sram-alloc"), DLA_PASS_SRAM_ALLOC);
    CU_ASSERT_EQUAL(dla_pass_lookup("nope"), DLA_PASS__COUNT);
}

/* The cost model against the simulator, per layer of resnet18's DLA
 * segment: predicted cycles of the layer alone vs. the simulated span from
 * its first instruction's start to its last one's end (layers overlap in
 * the simulator, so the spans are an approximation of "alone" too). */
static void predicted_vs_simulated(const char *tname)
{
    const char *m = dla_test_models_dir();
    if (!m)
        return;
    char model[4200], calib[4200];
    snprintf(model, sizeof model, "%s/resnet18/model.onnx", m);
    snprintf(calib, sizeof calib, "%s/resnet18/calib", m);
    DlaCompileOptions co = {0};
    co.target = tname;
    co.calib_dir = calib;
    DlaPlan *cp = NULL;
    DlaError e = {0};
    DlaStatus st = dla_compile(model, &co, &cp, &e);
    if (st)
        fprintf(stderr, "compile: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    for (int32_t s = 0; s < cp->nsegs; s++) {
        const DlaSegment *sg = &cp->segs[s];
        if (sg->kind != DLA_SEG_DLA)
            continue;
        DlaLowerPlan p;
        DlaProgram out;
        CU_ASSERT_EQUAL_FATAL(dla_lower_plan_init(&p, cp->g, sg->nodes, sg->nnodes, &cp->target, &out, &e), DLA_OK);
        CU_ASSERT_EQUAL_FATAL(dla_lower_plan_run(&p, NULL), DLA_OK);
        DlaSim *sim = dla_sim_new(&cp->target, &e);
        CU_ASSERT_EQUAL_FATAL(dla_sim_load(sim, &out, &e), DLA_OK);
        CU_ASSERT_EQUAL_FATAL(dla_sim_run(sim, &e), DLA_OK);
        CU_ASSERT_EQUAL(dla_sim_nlayers(sim), (uint32_t)p.nlayers);
        double sum_pred = 0, sum_abs = 0, sum_abs_c = 0;
        fprintf(stderr, "\n  cost model vs simulator, resnet18 on %s (cycles; span = first start .. last end "
                        "of the layer's instructions, busy = compute engine):\n", tname);
        for (int32_t i = 0; i < p.nlayers; i++) {
            const DlaSimLayerStats *ls = dla_sim_layer_stats(sim, (uint32_t)i);
            double sim_c = (double)(ls->end_cycle - ls->start_cycle), pred = p.layers[i].pred_cycles;
            double busy = (double)ls->busy_cycles[DLA_ENG_COMPUTE], pc = p.layers[i].pred_compute;
            double err = sim_c > 0 ? (pred - sim_c) / sim_c : 0, err_c = busy > 0 ? (pc - busy) / busy : 0;
            sum_pred += pred, sum_abs += err < 0 ? -err : err, sum_abs_c += err_c < 0 ? -err_c : err_c;
            fprintf(stderr, "    %-44s %-14s pred %9.0f span %9.0f (%+6.1f%%)  compute pred %9.0f busy %9.0f (%+6.1f%%)\n",
                    ls->name, ls->op_type, pred, sim_c, 100 * err, pc, busy, 100 * err_c);
            CU_ASSERT(pred > 0);
        }
        uint64_t total = dla_sim_stats(sim)->total_cycles;
        fprintf(stderr, "    total: predicted %.0f (layers alone, summed), simulated %llu (%+.1f%%); mean |error| "
                        "per layer: span %.1f%%, compute busy %.1f%%\n",
                sum_pred, (unsigned long long)total, 100 * (sum_pred - (double)total) / (double)total,
                100 * sum_abs / p.nlayers, 100 * sum_abs_c / p.nlayers);
        dla_sim_free(sim);
        dla_program_free(&out);
        dla_lower_plan_free(&p);
    }
    dla_plan_free(cp);
}

static void test_cost_model_resnet18(void)
{
    predicted_vs_simulated("dla-edge");
    predicted_vs_simulated("dla-server");
}

void dla_register_tests(void)
{
    DLA_SUITE("dla_passes", {"fuse", test_fuse}, {"layout", test_layout}, {"tile", test_tile}, {"tile_pool", test_tile_pool},
              {"sram_alloc", test_sram},
              {"dram_alloc", test_dram}, {"schedule_emit", test_schedule_emit}, {"dump", test_dump},
              {"cost_model_resnet18", test_cost_model_resnet18});
}
