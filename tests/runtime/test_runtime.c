/* test_runtime.c - libdlart on programs from dla_lower of a hand-built
 * quantized graph: tensors in NCHW through the runtime's layout conversion,
 * two segments merged into one program (compile_merge.c) and run one after
 * the other with the host passing a tensor between them, the .dla file round
 * trip, statistics and roofline, and the errors (wrong target, unwritten
 * input, wrong size, bad segment table entry). The oracle is qref. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/compile.h"
#include "backend/dla/dla_lower.h"
#include "backend/qref/qref.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "dlart.h"
#include "ir_build_test.h"
#include "isa/dla_format.h"
#include "ops.h"

static uint64_t rng = 12345;
static int rnd_i8(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)((rng >> 33) % 256) - 128;
}

static int32_t add_node(IrGraph *g, const char *op, const int32_t *in, int nin, const char *out)
{
    int32_t y = ir_value_add(g, out, DT_UNDEFINED, NULL);
    int32_t n = ir_node_add(g, out, op, "dlacc", in, nin, &y, 1);
    return n;
}

/* A step that must succeed; if not, its error is printed, naming the step. */
static void expect_ok(DlaStatus st, const char *what, const DlaError *e)
{
    if (st)
        fprintf(stderr, "%s: %s\n", what, e->msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
}

static void finish(IrGraph *g, int32_t n, float scale, int zp)
{
    DlaError e = {0};
    expect_ok(ir_op_table[g->nodes[n].op].shape(g, n, &e), "shape", &e);
    set_quant(g, g->nodes[n].outputs[0], scale, zp);
}

static int32_t conv(IrGraph *g, int32_t x, int64_t ic, int64_t oc, int64_t k, const char *out, int relu)
{
    char nm[64];
    int64_t wd[4] = {oc, ic, k, k};
    IrShape ws = ir_shape_make(4, wd);
    snprintf(nm, sizeof nm, "%s_w", out);
    int32_t w = ir_value_add(g, nm, DT_INT8, &ws);
    int8_t *wdata = dla_malloc((size_t)(oc * ic * k * k));
    for (int64_t i = 0; i < oc * ic * k * k; i++)
        wdata[i] = (int8_t)rnd_i8();
    ir_value_adopt_data(g, w, wdata, (size_t)(oc * ic * k * k));
    IrShape bs = ir_shape_make(1, &oc);
    snprintf(nm, sizeof nm, "%s_b", out);
    int32_t b = ir_value_add(g, nm, DT_INT32, &bs);
    int32_t *bdata = dla_malloc((size_t)oc * 4);
    for (int64_t i = 0; i < oc; i++)
        bdata[i] = rnd_i8() * 40;
    ir_value_adopt_data(g, b, bdata, (size_t)oc * 4);
    int32_t in[3] = {x, w, b};
    int32_t n = add_node(g, "QConv", in, 3, out);
    int64_t ks[2] = {k, k}, st[2] = {1, 1}, pd[4] = {k / 2, k / 2, k / 2, k / 2};
    attr_ints(g, n, "kernel_shape", 2, ks);
    attr_ints(g, n, "strides", 2, st);
    attr_ints(g, n, "pads", 4, pd);
    IrAttr *a = ir_node_add_attr(g, n, "scale", IR_ATTR_FLOATS);
    a->n = (int32_t)oc;
    a->floats = dla_arena_alloc(&g->arena, (size_t)oc * sizeof(float));
    for (int64_t i = 0; i < oc; i++)
        a->floats[i] = 0.002f / (float)(1 + i % 3) / sqrtf((float)(ic * k * k));
    if (relu)
        ir_node_add_attr(g, n, "lo", IR_ATTR_INT)->i = -7;
    finish(g, n, 0.05f, -7);
    return n;
}

/* x[1,8,10,10] -> conv3x3 relu -> a -> maxpool 2x2/2 -> p | -> conv1x1 -> c */
static IrGraph *build(int32_t nodes[3])
{
    IrGraph *g = ir_graph_new();
    int64_t xd[4] = {1, 8, 10, 10};
    IrShape xs = ir_shape_make(4, xd);
    int32_t x = ir_value_add(g, "x", DT_INT8, &xs);
    set_quant(g, x, 0.1f, 3);
    ir_graph_add_input(g, x);
    nodes[0] = conv(g, x, 8, 20, 3, "a", 1);
    int32_t in = g->nodes[nodes[0]].outputs[0];
    nodes[1] = add_node(g, "QMaxPool", &in, 1, "p");
    int64_t ks[2] = {2, 2}, st[2] = {2, 2};
    attr_ints(g, nodes[1], "kernel_shape", 2, ks);
    attr_ints(g, nodes[1], "strides", 2, st);
    finish(g, nodes[1], 0.05f, -7);
    nodes[2] = conv(g, g->nodes[nodes[1]].outputs[0], 20, 12, 1, "c", 0);
    ir_graph_add_output(g, g->nodes[nodes[2]].outputs[0]);
    return g;
}

static size_t numel(const IrGraph *g, const char *name)
{
    return (size_t)ir_shape_numel(&g->values[ir_value_find(g, name)].shape);
}

/* Run the merged two-segment program through libdlart; compare p and c with qref. */
static void run_merged(const char *tname, int via_file)
{
    int32_t nodes[3];
    IrGraph *g = build(nodes);
    DlaError e = {0};
    DlaTarget t;
    CU_ASSERT_EQUAL_FATAL(dla_target_load(tname, &t, &e), DLA_OK);
    DlaProgram parts[2], merged;
    CU_ASSERT_EQUAL_FATAL(dla_lower(g, nodes, 2, &t, &parts[0], &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_lower(g, nodes + 2, 1, &t, &parts[1], &e), DLA_OK);
    DlaStatus st = dla_programs_merge(parts, 2, &merged, &e);
    expect_ok(st, "merge", &e);
    dla_program_free(&parts[0]);
    dla_program_free(&parts[1]);

    DlartDevice *dev;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&t, 0, &dev, &e), DLA_OK);
    DlartProgram *rp;
    char path[256];
    if (via_file) {
        snprintf(path, sizeof path, "%s/test_runtime_%d.dla", DLA_BINARY_DIR, (int)getpid());
        CU_ASSERT_EQUAL_FATAL(dla_program_write(&merged, path, &e), DLA_OK);
        st = dlart_program_load_file(dev, path, &rp, &e);
    } else {
        st = dlart_program_load(dev, &merged, &rp, &e);
    }
    expect_ok(st, "load", &e);
    CU_ASSERT_EQUAL(dlart_segment_count(rp), 2);
    int32_t tx = dlart_tensor_find(rp, "x"), tp = dlart_tensor_find(rp, "p"), tp1 = dlart_tensor_find(rp, "p@1"),
            tc = dlart_tensor_find(rp, "c");
    CU_ASSERT_FATAL(tx >= 0 && tp >= 0 && tp1 >= 0 && tc >= 0);
    CU_ASSERT_EQUAL(dlart_tensor(rp, (uint32_t)tx)->layout, IR_LAYOUT_NHWC);

    size_t nx = numel(g, "x"), np = numel(g, "p"), nc = numel(g, "c");
    int8_t *x = dla_malloc(nx), *p = dla_malloc(np), *c = dla_malloc(nc);
    for (size_t i = 0; i < nx; i++)
        x[i] = (int8_t)rnd_i8();
    /* segment 1 cannot run before its input was written */
    CU_ASSERT_EQUAL(dlart_run_segment(rp, 1, &e), DLA_ERR_INVALID);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dlart_tensor_write(rp, (uint32_t)tx, x, nx - 1, &e), DLA_ERR_INVALID);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dlart_tensor_read(rp, (uint32_t)tp, p, np, &e), DLA_ERR_INVALID); /* not computed yet */
    dla_error_clear(&e);
    CU_ASSERT_EQUAL_FATAL(dlart_tensor_write(rp, (uint32_t)tx, x, nx, &e), DLA_OK);
    expect_ok(dlart_run_segment(rp, 0, &e), "segment 0", &e);
    CU_ASSERT_EQUAL_FATAL(dlart_tensor_read(rp, (uint32_t)tp, p, np, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dlart_tensor_write(rp, (uint32_t)tp1, p, np, &e), DLA_OK);
    expect_ok(dlart_run_segment(rp, 1, &e), "segment 1", &e);
    CU_ASSERT_EQUAL_FATAL(dlart_tensor_read(rp, (uint32_t)tc, c, nc, &e), DLA_OK);

    int8_t **vals = dla_calloc((size_t)g->nvalues, sizeof *vals);
    vals[ir_value_find(g, "x")] = x;
    CU_ASSERT_EQUAL_FATAL(qref_run(g, nodes, 3, vals, &e), DLA_OK);
    CU_ASSERT_EQUAL(memcmp(vals[ir_value_find(g, "p")], p, np), 0);
    CU_ASSERT_EQUAL(memcmp(vals[ir_value_find(g, "c")], c, nc), 0);
    for (int32_t v = 0; v < g->nvalues; v++)
        if (vals[v] != x)
            free(vals[v]);
    free(vals);

    /* statistics: 3 layers, MACs of both convs, roofline with compulsory bytes */
    const DlartStats *s = dlart_stats(rp);
    CU_ASSERT_EQUAL(s->runs, 2);
    CU_ASSERT_EQUAL(s->nlayers, 3);
    uint64_t macs = 20 * 8 * 9 * 100 + 12 * 20 * 25;
    CU_ASSERT_EQUAL(s->macs, macs);
    CU_ASSERT(s->cycles > 0 && s->dram_bytes_read > 0 && s->dram_bytes_written > 0);
    CU_ASSERT(s->utilization > 0 && s->utilization <= 1.0);
    CU_ASSERT(s->roofline_cycles >= (double)macs / (double)s->peak_macs_per_cycle - 1e-9);
    CU_ASSERT(s->roofline_cycles <= (double)s->cycles);
    CU_ASSERT_EQUAL(s->layers[2].segment, 1);
    uint64_t comp[5] = {1000000, 0, 0, 0, 0}; /* layer-map entry 0 is the first layer (no markers) */
    dlart_stats_reset(rp);
    dlart_set_compulsory_bytes(rp, comp, 5);
    CU_ASSERT_EQUAL_FATAL(dlart_run_segment(rp, 0, &e), DLA_OK);
    CU_ASSERT_DOUBLE_EQUAL(s->layers[0].roofline_cycles, 1000000.0 / t.dram_bytes_per_cycle, 1e-6);
    FILE *devnull = fopen("/dev/null", "w");
    dlart_stats_write_json(s, devnull, 2);
    fclose(devnull);

    /* a device of another target refuses the program */
    DlaTarget other;
    CU_ASSERT_EQUAL_FATAL(dla_target_load(strcmp(tname, "dla-edge") ? "dla-edge" : "dla-server", &other, &e), DLA_OK);
    DlartDevice *dev2;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&other, 0, &dev2, &e), DLA_OK);
    DlartProgram *rp2;
    CU_ASSERT_EQUAL(dlart_program_load(dev2, &merged, &rp2, &e), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NULL(strstr(e.msg, "compiled for target") ? NULL : e.msg);
    dla_error_clear(&e);
    dlart_device_free(dev2);

    /* a bad segment table entry is refused with a message */
    uint32_t saved = merged.segments[0].tensors[0];
    merged.segments[0].tensors[0] = 999;
    CU_ASSERT_EQUAL(dlart_program_load(dev, &merged, &rp2, &e), DLA_ERR_FORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "out of range"));
    dla_error_clear(&e);
    merged.segments[0].tensors[0] = saved;
    saved = merged.segments[1].kind;
    merged.segments[1].kind = 7;
    CU_ASSERT_EQUAL(dlart_program_load(dev, &merged, &rp2, &e), DLA_ERR_FORMAT);
    dla_error_clear(&e);
    merged.segments[1].kind = saved;

    free(x), free(p), free(c);
    dlart_program_free(rp);
    dlart_device_free(dev);
    dla_program_free(&merged);
    ir_graph_free(g);
    if (via_file)
        remove(path);
}

static void test_merged_edge(void) { run_merged("dla-edge", 0); }
static void test_merged_server(void) { run_merged("dla-server", 0); }
static void test_file_edge(void) { run_merged("dla-edge", 1); }

/* One unmarked program is one segment; layout conversion round trip. */
static void test_single_and_layout(void)
{
    int32_t nodes[3];
    IrGraph *g = build(nodes);
    DlaError e = {0};
    DlaTarget t;
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &t, &e), DLA_OK);
    DlaProgram prog;
    CU_ASSERT_EQUAL_FATAL(dla_lower(g, nodes, 3, &t, &prog, &e), DLA_OK);
    DlartDevice *dev;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&t, 0, &dev, &e), DLA_OK);
    CU_ASSERT_STRING_EQUAL(dlart_device_name(dev), "sim");
    DlartProgram *rp;
    CU_ASSERT_EQUAL_FATAL(dlart_program_load(dev, &prog, &rp, &e), DLA_OK);
    CU_ASSERT_EQUAL(dlart_segment_count(rp), 1);
    uint32_t n;
    const uint32_t *first = dlart_segment_tensors(rp, 0, &n);
    CU_ASSERT_EQUAL(first[0], 0);
    CU_ASSERT_EQUAL(n, prog.ntensors);
    for (uint32_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(first[i], i);
    CU_ASSERT_EQUAL(dlart_run(rp, &e), DLA_ERR_INVALID); /* x not written */
    dla_error_clear(&e);
    /* pack/unpack: element (n,c,h,w) at ((n*H+h)*W+w)*C+c */
    const DlaTensorDesc *d = dlart_tensor(rp, (uint32_t)dlart_tensor_find(rp, "x"));
    size_t nx = dlart_tensor_numel(d);
    int8_t *a = dla_malloc(nx), *b = dla_malloc(nx), *c = dla_malloc(nx);
    for (size_t i = 0; i < nx; i++)
        a[i] = (int8_t)i;
    dlart_pack(d, a, b);
    CU_ASSERT_EQUAL(b[((0 * 10 + 2) * 10 + 3) * 8 + 5], a[((0 * 8 + 5) * 10 + 2) * 10 + 3]);
    dlart_unpack(d, b, c);
    CU_ASSERT_EQUAL(memcmp(a, c, nx), 0);
    CU_ASSERT_EQUAL(dlart_tensor_write(rp, (uint32_t)dlart_tensor_find(rp, "x"), a, nx, &e), DLA_OK);
    CU_ASSERT_EQUAL(dlart_run(rp, &e), DLA_OK);
    free(a), free(b), free(c);
    dlart_program_free(rp);
    dlart_device_free(dev);
    dla_program_free(&prog);
    ir_graph_free(g);
}

void dla_register_tests(void)
{
    DLA_SUITE("runtime", {"two segments merged, dla-edge", test_merged_edge},
              {"two segments merged, dla-server", test_merged_server}, {"via a .dla file", test_file_edge},
              {"one segment, layout conversion", test_single_and_layout});
}
