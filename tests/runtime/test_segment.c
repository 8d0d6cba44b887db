/* test_segment.c - the compile driver's segmentation (compile_segment.c) on
 * hand-built quantized graphs: kinds, order, the values crossing between
 * segments, grouping (independent DLA nodes that become ready while the host
 * works join the next DLA segment), and host-segment extraction compiled by
 * the host JIT and run. Also hostile segment tables: random edits of a
 * merged program's SEGMENTS table and layer map are refused cleanly or run
 * (never a crash). */
#include <stdlib.h>
#include <string.h>

#include "driver/compile.h"
#include "backend/dla/dla_lower.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "dlart.h"
#include "ir_build_test.h"
#include "ops.h"

static int32_t val(IrGraph *g, const char *name, IrDtype dt, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    return ir_value_add(g, name, dt, &s);
}

static int32_t scalar_f(IrGraph *g, const char *name, float f)
{
    int32_t v = val(g, name, DT_FLOAT, 0, NULL);
    ir_value_set_data(g, v, &f, 4);
    return v;
}

static int32_t scalar_i8(IrGraph *g, const char *name, int8_t q)
{
    int32_t v = val(g, name, DT_INT8, 0, NULL);
    ir_value_set_data(g, v, &q, 1);
    return v;
}

static int32_t node1(IrGraph *g, const char *name, const char *op, const char *dom, const int32_t *in, int nin,
                     int32_t out)
{
    return ir_node_add(g, name, op, dom, in, nin, &out, 1);
}

/* x -> Q -> xq -> QLut a -> aq -> DQ -> af -> Relu (host) -> rf -> Q -> rq -> QLut b -> bq -> DQ -> y
 *               \-> QLut c -> cq -> DQ -> cf -> Add(rf... no: cf + y) -> out
 * The QLut c is ready right after Q, so it joins the first DLA segment with a. */
static IrGraph *build(void)
{
    IrGraph *g = ir_graph_new();
    int64_t d[2] = {2, 5};
    int32_t x = val(g, "x", DT_FLOAT, 2, d);
    ir_graph_add_input(g, x);
    int32_t s = scalar_f(g, "s", 0.05f), z = scalar_i8(g, "z", 3);
    int32_t xq = val(g, "xq", DT_INT8, 2, d), aq = val(g, "aq", DT_INT8, 2, d), af = val(g, "af", DT_FLOAT, 2, d);
    int32_t rf = val(g, "rf", DT_FLOAT, 2, d), rq = val(g, "rq", DT_INT8, 2, d), bq = val(g, "bq", DT_INT8, 2, d);
    int32_t y = val(g, "y", DT_FLOAT, 2, d), cq = val(g, "cq", DT_INT8, 2, d), cf = val(g, "cf", DT_FLOAT, 2, d);
    int32_t out = val(g, "out", DT_FLOAT, 2, d);
    int32_t q3[3] = {x, s, z};
    node1(g, "q_x", "QuantizeLinear", "", q3, 3, xq);
    int32_t lut_a = node1(g, "lut_a", "QLut", "dlacc", &xq, 1, aq);
    q3[0] = aq;
    node1(g, "dq_a", "DequantizeLinear", "", q3, 3, af);
    node1(g, "relu", "Relu", "", &af, 1, rf);
    q3[0] = rf;
    node1(g, "q_r", "QuantizeLinear", "", q3, 3, rq);
    int32_t lut_b = node1(g, "lut_b", "QLut", "dlacc", &rq, 1, bq);
    q3[0] = bq;
    node1(g, "dq_b", "DequantizeLinear", "", q3, 3, y);
    int32_t lut_c = node1(g, "lut_c", "QLut", "dlacc", &xq, 1, cq);
    q3[0] = cq;
    node1(g, "dq_c", "DequantizeLinear", "", q3, 3, cf);
    int32_t add_in[2] = {cf, y};
    node1(g, "add", "Add", "", add_in, 2, out);
    ir_graph_add_output(g, out);
    int32_t luts[3] = {lut_a, lut_b, lut_c};
    for (int k = 0; k < 3; k++) {
        IrAttr *a = ir_node_add_attr(g, luts[k], "table", IR_ATTR_INTS);
        a->n = 256;
        a->ints = dla_arena_alloc(&g->arena, 256 * sizeof(int64_t));
        for (int i = 0; i < 256; i++)
            a->ints[i] = (i - 128) / (k + 1); /* int8 -> int8: x / (k+1) */
    }
    for (int32_t v = 0; v < g->nvalues; v++)
        if (g->values[v].dtype == DT_INT8 && !(g->values[v].flags & IR_VAL_CONST))
            set_quant(g, v, 0.05f, 3);
    return g;
}

static const char *node_name(const DlaPlan *p, const DlaSegment *s, int i)
{
    return p->g->nodes[s->nodes[i]].name;
}

static void test_segments(void)
{
    DlaPlan p;
    memset(&p, 0, sizeof p);
    p.g = build();
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_plan_segment(&p, &e), DLA_OK);
    /* q_x | lut_a lut_c | dq_a | dq_c | relu | q_r | lut_b | dq_b | add */
    static const struct {
        DlaSegKind k;
        const char *first;
        int n;
    } want[] = {{DLA_SEG_BOUNDARY, "q_x", 1}, {DLA_SEG_DLA, "lut_a", 2}, {DLA_SEG_BOUNDARY, "dq_a", 1},
                {DLA_SEG_BOUNDARY, "dq_c", 1}, {DLA_SEG_HOST, "relu", 1},  {DLA_SEG_BOUNDARY, "q_r", 1},
                {DLA_SEG_DLA, "lut_b", 1},     {DLA_SEG_BOUNDARY, "dq_b", 1}, {DLA_SEG_HOST, "add", 1}};
    CU_ASSERT_EQUAL_FATAL(p.nsegs, 9);
    for (int i = 0; i < 9; i++) {
        CU_ASSERT_EQUAL(p.segs[i].kind, want[i].k);
        CU_ASSERT_EQUAL(p.segs[i].nnodes, want[i].n);
        CU_ASSERT_STRING_EQUAL(node_name(&p, &p.segs[i], 0), want[i].first);
    }
    CU_ASSERT_EQUAL(p.ndla, 2);
    CU_ASSERT_STRING_EQUAL(node_name(&p, &p.segs[1], 1), "lut_c");
    /* the first DLA segment reads xq, writes aq and cq */
    CU_ASSERT_EQUAL(p.segs[1].nin, 1);
    CU_ASSERT_EQUAL(p.segs[1].in_vals[0], ir_value_find(p.g, "xq"));
    CU_ASSERT_EQUAL(p.segs[1].nout, 2);
    CU_ASSERT_EQUAL(p.segs[1].dla_index, 0);
    CU_ASSERT_EQUAL(p.segs[6].dla_index, 1);
    /* the last host segment produces the graph output */
    CU_ASSERT_EQUAL(p.segs[8].nout, 1);
    CU_ASSERT_EQUAL(p.segs[8].out_vals[0], ir_value_find(p.g, "out"));
    DlaPlan *heap = dla_malloc(sizeof *heap);
    *heap = p;
    dla_plan_free(heap);
}

/* The whole plan: lower + merge + host JIT + run, against a C model of it. */
static void test_plan_run(void)
{
    DlaPlan *p = dla_calloc(1, sizeof *p);
    p->g = build();
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &p->target, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_plan_segment(p, &e), DLA_OK);
    DlaProgram parts[2];
    int k = 0;
    for (int32_t s = 0; s < p->nsegs; s++)
        if (p->segs[s].kind == DLA_SEG_DLA)
            CU_ASSERT_EQUAL_FATAL(dla_lower(p->g, p->segs[s].nodes, p->segs[s].nnodes, &p->target, &parts[k++], &e),
                                  DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_programs_merge(parts, 2, &p->prog, &e), DLA_OK);
    dla_program_free(&parts[0]);
    dla_program_free(&parts[1]);
    /* tensor indices and host code, as dla_compile does */
    for (int32_t s = 0; s < p->nsegs; s++) {
        DlaSegment *sg = &p->segs[s];
        if (sg->kind == DLA_SEG_HOST) {
            CU_ASSERT_EQUAL_FATAL(dla_graph_extract(p->g, sg->nodes, sg->nnodes, sg->in_vals, sg->nin, sg->out_vals,
                                                    sg->nout, &sg->sub, &e),
                                  DLA_OK);
            DlaStatus st = host_jit_compile(sg->sub, NULL, &sg->hm, &e);
            if (st)
                fprintf(stderr, "host: %s\n", e.msg);
            CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        } else if (sg->kind == DLA_SEG_DLA) {
            sg->in_tensor = dla_malloc((size_t)sg->nin * sizeof(int32_t));
            sg->out_tensor = dla_malloc((size_t)sg->nout * sizeof(int32_t));
            DlartDevice *tmpd;
            DlartProgram *tmp;
            CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&p->target, 0, &tmpd, &e), DLA_OK);
            CU_ASSERT_EQUAL_FATAL(dlart_program_load(tmpd, &p->prog, &tmp, &e), DLA_OK);
            for (int32_t i = 0; i < sg->nin; i++)
                sg->in_tensor[i] = dlart_tensor_find(tmp, p->g->values[sg->in_vals[i]].name);
            for (int32_t i = 0; i < sg->nout; i++)
                sg->out_tensor[i] = dlart_tensor_find(tmp, p->g->values[sg->out_vals[i]].name);
            dlart_program_free(tmp);
            dlart_device_free(tmpd);
        }
    }
    DlartDevice *dev;
    DlartProgram *rp;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&p->target, 0, &dev, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dlart_program_load(dev, &p->prog, &rp, &e), DLA_OK);
    float x[10] = {-3.0f, -1.0f, -0.2f, 0.0f, 0.1f, 0.5f, 1.0f, 2.0f, 5.0f, 100.0f};
    OnnxTensorFile in;
    memset(&in, 0, sizeof in);
    in.dtype = DT_FLOAT;
    in.shape = p->g->values[p->g->inputs[0]].shape;
    in.data = x;
    in.nbytes = sizeof x;
    DlaRunOptions ro = {0};
    ro.verify_qref = 1;
    DlaRunResult r;
    DlaStatus st = dla_plan_run(p, rp, &in, 1, &ro, &r, &e);
    if (st)
        fprintf(stderr, "run: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(r.qref_mismatches, 0);
    CU_ASSERT(r.qref_bytes == 30);
    /* C model: q = sat(rne(x/0.05)+3); lut_k(q) = (q)/(k+1) (C division of q, the table index is q+128) */
    const float *y = r.outputs[0];
    for (int i = 0; i < 10; i++) {
        float t = rintf(x[i] / 0.05f) + 3.0f;
        int q = t < -128 ? -128 : t > 127 ? 127 : (int)t;
        int a = q / 1;
        float af = (float)(a - 3) * 0.05f, rf = af > 0 ? af : 0;
        float tr = rintf(rf / 0.05f) + 3.0f;
        int rq = tr < -128 ? -128 : tr > 127 ? 127 : (int)tr;
        int b = rq / 2, c = q / 3;
        float want = (float)(c - 3) * 0.05f + (float)(b - 3) * 0.05f;
        CU_ASSERT_DOUBLE_EQUAL(y[i], want, 1e-6);
    }
    dla_run_result_free(&r);
    CU_ASSERT_EQUAL(dlart_stats(rp)->runs, 2);
    dlart_program_free(rp);
    dlart_device_free(dev);
    dla_plan_free(p);
}

static uint64_t rng = 99;
static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33);
}

/* Random edits of the merged program's SEGMENTS table and layer map: every
 * load is refused with a message or accepted; accepted ones run or fail with
 * a message. */
static void test_hostile_segments(void)
{
    DlaPlan p;
    memset(&p, 0, sizeof p);
    p.g = build();
    DlaError e = {0};
    DlaTarget t;
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &t, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_plan_segment(&p, &e), DLA_OK);
    DlaProgram parts[2], m;
    CU_ASSERT_EQUAL_FATAL(dla_lower(p.g, p.segs[1].nodes, p.segs[1].nnodes, &t, &parts[0], &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_lower(p.g, p.segs[6].nodes, p.segs[6].nnodes, &t, &parts[1], &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_programs_merge(parts, 2, &m, &e), DLA_OK);
    DlartDevice *dev;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&t, 1000000, &dev, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(m.nsegments, 2);
    int accepted = 0, refused = 0;
    for (int it = 0; it < 400; it++) {
        DlaLayerMap *keep = m.layers;
        DlaLayerMap *l = dla_malloc(m.nlayers * sizeof *l);
        memcpy(l, m.layers, m.nlayers * sizeof *l);
        m.layers = l;
        DlaSegmentDesc *keep_sg = m.segments, sg[2];
        uint32_t keep_nsg = m.nsegments, refs[2][64];
        for (int k = 0; k < 2; k++) {
            sg[k] = m.segments[k];
            CU_ASSERT_FATAL(sg[k].ntensors <= 64);
            memcpy(refs[k], sg[k].tensors, sg[k].ntensors * sizeof refs[k][0]);
            sg[k].tensors = refs[k];
        }
        m.segments = sg;
        uint32_t j = rnd() % m.nlayers, k = rnd() % 2;
        switch (rnd() % 7) {
        case 0: sg[k].kind = rnd() % 4; break;
        case 1: if (sg[k].ntensors) refs[k][rnd() % sg[k].ntensors] = rnd() % (m.ntensors + 2); break;
        case 2: sg[k].first_insn = rnd() % (m.ninsns + 1); break;
        case 3: sg[k].ninsns = rnd() % (m.ninsns + 1); break;
        case 4: m.nsegments = rnd() % 3; break;
        case 5: l[j].first_insn = rnd() % (m.ninsns + 1); if (l[j].first_insn + l[j].ninsns > m.ninsns) l[j].ninsns = 0; break;
        default: l[j].op_type = (char *)"QLut"; break;
        }
        DlartProgram *rp = NULL;
        e.code = DLA_OK;
        e.msg[0] = 0;
        DlaStatus st = dlart_program_load(dev, &m, &rp, &e);
        if (st) {
            CU_ASSERT(e.msg[0] != 0);
            refused++;
        } else {
            accepted++;
            for (uint32_t i = 0; i < dlart_tensor_count(rp); i++) {
                const DlaTensorDesc *d = dlart_tensor(rp, i);
                uint8_t buf[64] = {0};
                if (d->role != DLA_TENSOR_OUTPUT && d->nbytes <= sizeof buf)
                    dlart_tensor_write(rp, i, buf, dlart_tensor_numel(d), &e);
            }
            for (uint32_t k = 0; k < dlart_segment_count(rp); k++) {
                e.code = DLA_OK;
                if (dlart_run_segment(rp, k, &e))
                    CU_ASSERT(e.msg[0] != 0);
            }
            dlart_program_free(rp);
        }
        m.layers = keep;
        m.segments = keep_sg;
        m.nsegments = keep_nsg;
        free(l);
    }
    CU_ASSERT(accepted > 0 && refused > 0);
    dlart_device_free(dev);
    dla_program_free(&parts[0]);
    dla_program_free(&parts[1]);
    dla_program_free(&m);
    DlaPlan *heap = dla_malloc(sizeof *heap);
    *heap = p;
    dla_plan_free(heap);
}

void dla_register_tests(void)
{
    DLA_SUITE("segments", {"kinds, order, crossing values", test_segments},
              {"plan: lower + merge + host JIT + run vs a C model", test_plan_run},
              {"hostile segment tables", test_hostile_segments});
}
