/* test_dla_padpool.c - padding and pooling on the DLA (docs/quant.md
 * "Padding and pooling", docs/lowering.md):
 *  - lowering: QPad (constant/edge/reflect, pads 0..20, odd sizes, batch 2,
 *    images larger than one tile), QAvgPool with per-count divisors
 *    (ceil_mode, count_include_pad = 0, dilations), QMaxPool (ceil_mode,
 *    dilations), QGlobalMaxPool and keepdims = 0: lowered for dla-edge and
 *    dla-server, run on the simulator, bit for bit against qref;
 *  - whole models built with tests/frontend/onnx_build.h (conv -> pad/pool
 *    -> conv, random weights): compiled with calibration, exactly one DLA
 *    segment and no host node between quantize and dequantize, bit-exact
 *    with qref, int8 SQNR >= 30 dB against the float host path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/dla/dla_lower.h"
#include "backend/qref/qref.h"
#include "driver/compile.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "dlart.h"
#include "ir/infer.h"
#include "isa/sim.h"
#include "ops.h"
#include "passes/quant.h"

#include "../frontend/onnx_build.h"
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

/* ------------------------------------------------------------ ONNX models, end to end */

static uint64_t frng = 1;
static float frand(void) /* about N(0, 1): sum of 4 uniforms */
{
    float s = 0;
    for (int i = 0; i < 4; i++) {
        frng = frng * 6364136223846793005ULL + 1442695040888963407ULL;
        s += (float)((frng >> 40) & 0xFFFFFF) / 16777216.0f - 0.5f;
    }
    return s * 1.732f;
}

typedef struct Mb {
    Onnx__ModelProto *m;
    Onnx__GraphProto *g;
    int k;
} Mb;

static void mb_init(const char *name, float *w, size_t n, int rank, const int64_t *dims, Mb *b)
{
    Onnx__TensorProto *t = ob_tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims);
    ob_raw(t, w, n * sizeof *w);
    OB_PUSH(b->g->initializer, b->g->n_initializer, t);
}

static void mb_ints(Mb *b, const char *name, int64_t n, const int64_t *v)
{
    Onnx__TensorProto *t = ob_tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, &n);
    ob_raw(t, v, (size_t)n * sizeof *v);
    OB_PUSH(b->g->initializer, b->g->n_initializer, t);
}

static void attr_i(Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void attr_is(Onnx__NodeProto *n, const char *name, int k, const int64_t *v)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)k;
    a->ints = ob_alloc((size_t)k * sizeof(int64_t));
    memcpy(a->ints, v, (size_t)k * sizeof(int64_t));
}

static void attr_s(Onnx__NodeProto *n, const char *name, const char *s)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.data = (uint8_t *)ob_str(s);
    a->s.len = strlen(s);
}

/* Conv(+Relu) with random weights scaled to keep activations near N(0,1). */
static void mb_conv(Mb *b, const char *in, const char *out, int64_t ic, int64_t oc, int64_t k, int64_t pad, int relu)
{
    char wn[64], bn[64], cn[64];
    snprintf(wn, sizeof wn, "w%d", b->k);
    snprintf(bn, sizeof bn, "b%d", b->k);
    snprintf(cn, sizeof cn, "conv%d", b->k++);
    int64_t wd[4] = {oc, ic, k, k};
    size_t nw = (size_t)(oc * ic * k * k);
    float *w = malloc(nw * sizeof *w), *bias = malloc((size_t)oc * sizeof *bias);
    for (size_t i = 0; i < nw; i++)
        w[i] = frand() / sqrtf((float)(ic * k * k));
    for (int64_t i = 0; i < oc; i++)
        bias[i] = 0.1f * frand();
    mb_init(wn, w, nw, 4, wd, b);
    mb_init(bn, bias, (size_t)oc, 1, &oc, b);
    free(w);
    free(bias);
    const char *ins[] = {in, wn, bn, NULL};
    char mid[64];
    snprintf(mid, sizeof mid, "%s_pre", out);
    const char *outs[] = {relu ? mid : out, NULL};
    Onnx__NodeProto *n = ob_node(b->g, cn, "Conv", ins, outs);
    int64_t ks[2] = {k, k}, pd[4] = {pad, pad, pad, pad};
    attr_is(n, "kernel_shape", 2, ks);
    attr_is(n, "pads", 4, pd);
    if (relu) {
        const char *ri[] = {mid, NULL}, *ro[] = {out, NULL};
        ob_node(b->g, NULL, "Relu", ri, ro);
    }
}

/* Model: x [N,3,H,W] -> conv3x3+relu (C ch) -> middle(b, "a" -> "m") -> conv1x1 -> y. */
typedef void (*MiddleFn)(Mb *b, int64_t C);

static double model_case(const char *tag, int64_t opset, const int64_t *xd, int64_t C, MiddleFn mid, const char *mid_out)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/padpool_%s_%d", DLA_BINARY_DIR, tag, (int)getpid());
    mkdir(dir, 0755);
    char calib[4200], model[4200], input[4200];
    snprintf(calib, sizeof calib, "%s/calib", dir);
    mkdir(calib, 0755);
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    snprintf(input, sizeof input, "%s/input.pb", dir);
    frng = 7;
    Mb b = {ob_model(opset), NULL, 0};
    b.g = b.m->graph;
    mb_conv(&b, "x", "a", xd[1], C, 3, 1, 1);
    mid(&b, C);
    mb_conv(&b, mid_out, "y", C, C, 1, 0, 0);
    OB_PUSH(b.g->input, b.g->n_input, ob_vinfo("x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd, NULL));
    OB_PUSH(b.g->output, b.g->n_output, ob_vinfo("y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, -1, NULL, NULL));
    size_t len;
    uint8_t *buf = ob_pack_model(b.m, &len);
    FILE *f = fopen(model, "wb");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
    fclose(f);
    DlaError e = {0};
    IrShape xs = ir_shape_make(4, xd);
    int64_t nx = ir_shape_numel(&xs);
    float *xv = malloc((size_t)nx * sizeof *xv);
    for (int i = 0; i <= 4; i++) {
        char p[4300];
        if (i < 4)
            snprintf(p, sizeof p, "%s/c%d.pb", calib, i);
        for (int64_t j = 0; j < nx; j++)
            xv[j] = frand();
        CU_ASSERT_EQUAL_FATAL(onnx_tensor_write(i < 4 ? p : input, "x", DT_FLOAT, &xs, xv, (size_t)nx * 4, &e), DLA_OK);
    }
    free(xv);
    OnnxTensorFile in;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(input, &in, &e), DLA_OK);
    double worst = INFINITY;
    const char *targets[2] = {"dla-edge", "dla-server"};
    for (int ti = 0; ti < 2; ti++) {
        DlaCompileOptions co = {0};
        co.target = targets[ti];
        co.calib_dir = calib;
        co.host_opt_level = 1;
        co.bind = &in;
        co.nbind = 1;
        DlaPlan *p = NULL;
        DlaStatus st = dla_compile(model, &co, &p, &e);
        if (st)
            fprintf(stderr, "compile %s: %s\n", tag, e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        /* one DLA segment; the only host work is the input's quantize and the output's dequantize */
        CU_ASSERT_EQUAL(p->ndla, 1);
        for (int32_t s = 0; s < p->nsegs; s++)
            if (p->segs[s].kind == DLA_SEG_HOST) {
                fprintf(stderr, "%s: host segment with %s\n", tag, p->g->nodes[p->segs[s].nodes[0]].op_type);
                CU_FAIL("a host segment");
            }
        DlartDevice *dev;
        CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&p->target, 0, &dev, &e), DLA_OK);
        DlartProgram *rp;
        CU_ASSERT_EQUAL_FATAL(dlart_program_load(dev, &p->prog, &rp, &e), DLA_OK);
        DlaRunOptions ro = {0};
        ro.verify_qref = 1;
        DlaRunResult res;
        st = dla_plan_run(p, rp, &in, 1, &ro, &res, &e);
        if (st)
            fprintf(stderr, "run %s: %s\n", tag, e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        CU_ASSERT(res.qref_bytes > 0);
        CU_ASSERT_EQUAL(res.qref_mismatches, 0);
        /* the float host path on the same input */
        IrGraph *fg;
        void **fv;
        CU_ASSERT_EQUAL_FATAL(dla_float_reference(model, &co, &in, 1, &fg, &fv, &e), DLA_OK);
        int32_t yv = ir_value_find(fg, "y");
        CU_ASSERT_FATAL(yv >= 0 && fv[yv] != NULL);
        int64_t ny = ir_shape_numel(&fg->values[yv].shape);
        const float *ref = fv[yv], *got = res.outputs[0];
        double s = 0, err2 = 0;
        for (int64_t i = 0; i < ny; i++) {
            s += (double)ref[i] * ref[i];
            err2 += ((double)got[i] - ref[i]) * ((double)got[i] - ref[i]);
        }
        double db = err2 > 0 ? 10 * log10(s / err2) : INFINITY;
        fprintf(stderr, "\n  %-14s %-10s 1 DLA segment, bit-exact, %llu cycles, SQNR %.2f dB", tag, targets[ti],
                (unsigned long long)dlart_stats(rp)->cycles, db);
        CU_ASSERT(db >= 30.0);
        worst = db < worst ? db : worst;
        dla_float_reference_free(fg, fv);
        dla_run_result_free(&res);
        dlart_program_free(rp);
        dlart_device_free(dev);
        dla_plan_free(p);
    }
    onnx_tensor_file_free(&in);
    ob_free_all();
    for (int i = 0; i < 4; i++) {
        char p[4300];
        snprintf(p, sizeof p, "%s/c%d.pb", calib, i);
        remove(p);
    }
    remove(calib);
    remove(model);
    remove(input);
    remove(dir);
    return worst;
}

static void mid_reflect(Mb *b, int64_t C)
{
    (void)C;
    int64_t p[8] = {0, 0, 2, 3, 0, 0, 1, 4};
    mb_ints(b, "pads", 8, p);
    const char *in[] = {"a", "pads", NULL}, *out[] = {"m", NULL};
    attr_s(ob_node(b->g, "pad", "Pad", in, out), "mode", "reflect");
}

static void mid_edge_big(Mb *b, int64_t C)
{
    (void)C;
    int64_t p[8] = {0, 0, 9, 12, 0, 0, 20, 8};
    mb_ints(b, "pads", 8, p);
    const char *in[] = {"a", "pads", NULL}, *out[] = {"m", NULL};
    attr_s(ob_node(b->g, "pad", "Pad", in, out), "mode", "edge");
}

static void mid_const_op2(Mb *b, int64_t C) /* opset 2: pads as an attribute */
{
    (void)C;
    int64_t p[8] = {0, 0, 10, 1, 0, 0, 3, 15};
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pad", "Pad", in, out);
    attr_is(n, "pads", 8, p);
    attr_s(n, "mode", "constant");
}

static void mid_conv_bigpad(Mb *b, int64_t C) { mb_conv(b, "a", "m", C, C, 3, 9, 1); }

/* DeepLab's ASPP branch: 3x3 dilation 12, pads 12 (an explicit QPad). */
static void mid_aspp(Mb *b, int64_t C)
{
    mb_conv(b, "a", "m", C, C, 3, 12, 1);
    Onnx__NodeProto *n = b->g->node[b->g->n_node - 2]; /* the Conv before its Relu */
    int64_t d[2] = {12, 12};
    attr_is(n, "dilations", 2, d);
}

static void mid_maxpool_same(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "MaxPool", in, out);
    int64_t k[2] = {19, 19};
    attr_is(n, "kernel_shape", 2, k);
    attr_s(n, "auto_pad", "SAME_UPPER");
}

static void mid_maxpool_big(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "MaxPool", in, out);
    int64_t k[2] = {17, 17}, s[2] = {2, 2}, p[4] = {8, 8, 8, 8};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "strides", 2, s);
    attr_is(n, "pads", 4, p);
}

static void mid_avg_ceil_nopad(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "AveragePool", in, out);
    int64_t k[2] = {3, 3}, s[2] = {2, 2}, p[4] = {1, 0, 1, 2};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "strides", 2, s);
    attr_is(n, "pads", 4, p);
    attr_i(n, "ceil_mode", 1);
    attr_i(n, "count_include_pad", 0);
}

static void mid_avg_dil(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "AveragePool", in, out);
    int64_t k[2] = {3, 2}, d[2] = {2, 2}, p[4] = {2, 1, 2, 1};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "dilations", 2, d);
    attr_is(n, "pads", 4, p);
    attr_i(n, "count_include_pad", 1);
}

static void mid_max_ceil_dil(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "MaxPool", in, out);
    int64_t k[2] = {3, 3}, s[2] = {2, 2}, d[2] = {1, 2};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "strides", 2, s);
    attr_is(n, "dilations", 2, d);
    attr_i(n, "ceil_mode", 1);
}

static void mid_gmax(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    ob_node(b->g, "gmp", "GlobalMaxPool", in, out);
}

static void mid_reduce_mean(Mb *b, int64_t C) /* opset 13: axes attribute */
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    int64_t ax[2] = {2, 3};
    Onnx__NodeProto *n = ob_node(b->g, "rm", "ReduceMean", in, out);
    attr_is(n, "axes", 2, ax);
    attr_i(n, "keepdims", 1);
}

static void mid_reduce_max18(Mb *b, int64_t C) /* opset 18: axes input */
{
    (void)C;
    int64_t ax[2] = {-1, -2};
    mb_ints(b, "axes", 2, ax);
    const char *in[] = {"a", "axes", NULL}, *out[] = {"m", NULL};
    ob_node(b->g, "rmax", "ReduceMax", in, out);
}

static void test_models(void)
{
    int64_t x1[4] = {2, 3, 13, 11}, x2[4] = {1, 3, 30, 40};
    model_case("pad_reflect", 13, x1, 16, mid_reflect, "m");
    model_case("pad_edge_big", 13, x1, 16, mid_edge_big, "m");
    model_case("pad_const_op2", 2, x1, 16, mid_const_op2, "m");
    model_case("conv_pad9", 13, x1, 16, mid_conv_bigpad, "m");
    model_case("maxpool_pad8", 13, x2, 16, mid_maxpool_big, "m");
    int64_t x3[4] = {1, 3, 33, 33}, x4[4] = {1, 3, 25, 27};
    model_case("aspp_dil12", 13, x3, 16, mid_aspp, "m");
    model_case("maxpool_same19", 13, x4, 16, mid_maxpool_same, "m");
    model_case("avg_ceil_cip0", 13, x1, 16, mid_avg_ceil_nopad, "m");
    model_case("avg_dilated", 19, x1, 16, mid_avg_dil, "m");
    model_case("max_ceil_dil", 13, x2, 16, mid_max_ceil_dil, "m");
    model_case("globalmaxpool", 13, x1, 16, mid_gmax, "m");
    model_case("reducemean", 13, x1, 16, mid_reduce_mean, "m");
    model_case("reducemax18", 18, x1, 16, mid_reduce_max18, "m");
}

/* ------------------------------------------------------------ partition rules */

/* One node (op on x [2,8,10,12] plus extra initializers) through the loader
 * and shape inference; the partition's answer for it, and its reason. */
typedef void (*NodeFn)(Mb *b, Onnx__NodeProto *n);

static int decide(int64_t opset, const char *op, const char *extra_in, NodeFn fn, const char **why)
{
    Mb b = {ob_model(opset), NULL, 0};
    b.g = b.m->graph;
    int64_t xd[4] = {2, 8, 10, 12};
    const char *ins[] = {"x", extra_in ? extra_in : NULL, NULL}, *outs[] = {"y", NULL};
    Onnx__NodeProto *n = ob_node(b.g, "n", op, ins, outs);
    fn(&b, n);
    OB_PUSH(b.g->input, b.g->n_input, ob_vinfo("x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd, NULL));
    OB_PUSH(b.g->output, b.g->n_output, ob_vinfo("y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, -1, NULL, NULL));
    DlaError e = {0};
    IrGraph *g = ob_load(b.m, NULL, NULL, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    DlaStatus st = ir_infer_shapes(g, NULL, &e);
    if (st)
        fprintf(stderr, "shapes: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    int32_t k = -1;
    for (int32_t i = 0; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i].op_type, op))
            k = i;
    CU_ASSERT_FATAL(k >= 0);
    *why = NULL;
    int ok = quant_dla_supported(g, k, why);
    static char keep[256]; /* the reason is static text of the pass; copied for the message */
    snprintf(keep, sizeof keep, "%s", *why ? *why : "");
    *why = keep;
    ir_graph_free(g);
    ob_free_all();
    return ok;
}

static void pads_in(Mb *b, const int64_t *p) { mb_ints(b, "pads", 8, p); }
static void pad_wrap(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 0, 1, 1, 0, 0, 1, 1}; pads_in(b, p); attr_s(n, "mode", "wrap"); }
static void pad_neg(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 0, -1, 1, 0, 0, 1, 1}; pads_in(b, p); (void)n; }
static void pad_chan(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 1, 1, 1, 0, 0, 1, 1}; pads_in(b, p); (void)n; }
static void pad_refl_big(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 0, 10, 1, 0, 0, 1, 1}; pads_in(b, p); attr_s(n, "mode", "reflect"); }
static void pad_ok20(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 0, 20, 0, 0, 0, 1, 17}; pads_in(b, p); attr_s(n, "mode", "edge"); }
static void pad_value(Mb *b, Onnx__NodeProto *n)
{
    (void)b;
    int64_t p[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    attr_is(n, "pads", 8, p);
    Onnx__AttributeProto *a = ob_attr(n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = 1.5f;
}
static void avg_cip0_big(Mb *b, Onnx__NodeProto *n)
{
    (void)b;
    int64_t k[2] = {9, 9}, p[4] = {8, 8, 8, 8};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "pads", 4, p);
}
static void avg_cip1_big(Mb *b, Onnx__NodeProto *n) { avg_cip0_big(b, n); attr_i(n, "count_include_pad", 1); }
static void pool_pad_ge_kernel(Mb *b, Onnx__NodeProto *n)
{
    (void)b;
    int64_t k[2] = {2, 2}, p[4] = {2, 0, 0, 0};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "pads", 4, p);
}
static void reduce_c(Mb *b, Onnx__NodeProto *n) { (void)b; int64_t ax[2] = {1, 2}; attr_is(n, "axes", 2, ax); }
static void reduce_all(Mb *b, Onnx__NodeProto *n) { (void)b; (void)n; }
static void reduce_hw0(Mb *b, Onnx__NodeProto *n) { (void)b; int64_t ax[2] = {3, -2}; attr_is(n, "axes", 2, ax); attr_i(n, "keepdims", 0); }
static void nothing(Mb *b, Onnx__NodeProto *n) { (void)b; (void)n; }

static void test_partition(void)
{
    const char *why;
    CU_ASSERT(!decide(19, "Pad", "pads", pad_wrap, &why) && strstr(why, "mode"));
    CU_ASSERT(!decide(13, "Pad", "pads", pad_neg, &why) && strstr(why, "negative"));
    CU_ASSERT(!decide(13, "Pad", "pads", pad_chan, &why) && strstr(why, "channel"));
    CU_ASSERT(!decide(13, "Pad", "pads", pad_refl_big, &why) && strstr(why, "reflect"));
    CU_ASSERT(!decide(2, "Pad", NULL, pad_value, &why) && strstr(why, "non-zero constant"));
    CU_ASSERT(decide(13, "Pad", "pads", pad_ok20, &why));
    CU_ASSERT(!decide(13, "AveragePool", NULL, avg_cip0_big, &why) && strstr(why, "count_include_pad"));
    CU_ASSERT(decide(13, "AveragePool", NULL, avg_cip1_big, &why));
    CU_ASSERT(decide(13, "MaxPool", NULL, avg_cip0_big, &why)); /* pads 8: an explicit QPad */
    CU_ASSERT(!decide(13, "MaxPool", NULL, pool_pad_ge_kernel, &why) && strstr(why, "padding only"));
    CU_ASSERT(!decide(13, "ReduceMean", NULL, reduce_c, &why) && strstr(why, "spatial"));
    CU_ASSERT(!decide(13, "ReduceMax", NULL, reduce_all, &why) && strstr(why, "spatial"));
    CU_ASSERT(decide(13, "ReduceMean", NULL, reduce_hw0, &why));
    CU_ASSERT(decide(13, "GlobalMaxPool", NULL, nothing, &why));
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
              {"partition: what runs, reasons for what does not", test_partition},
              {"onnx models: one segment, bit-exact, SQNR", test_models},
              {"figures (docs/lowering.md)", test_figures});
}
