/* test_text.c - the IR text form on hand-built graphs that use every IR feature:
 * round trip (text and structure), the exact text of a small graph, elided
 * constants, and parser errors on bad, truncated and corrupted text. */
#include "dla_test.h"
#include "ir.h"
#include "test_text_equal.h"
#include "text.h"
#include "verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int32_t val(IrGraph *g, const char *name, IrDtype t, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank < 0 ? 0 : rank, dims);
    s.rank = rank;
    int32_t v = ir_value_add(g, name, t, &s);
    CU_ASSERT_FATAL(v >= 0);
    return v;
}

/* A subgraph body: outer reference, a constant, one node. */
static IrGraph *make_body(IrGraph *parent, const char *name, const char *outer)
{
    IrGraph *b = ir_graph_new();
    b->parent = parent;
    b->name = dla_arena_strdup(&b->arena, name);
    int64_t d1[] = {3};
    int32_t o = val(b, outer, DT_FLOAT, 1, d1);
    b->values[o].flags |= IR_VAL_OUTER;
    int32_t k = val(b, "k", DT_FLOAT, 0, NULL);
    float one = 1.0f;
    ir_value_set_data(b, k, &one, sizeof one);
    int32_t y = val(b, "y", DT_FLOAT, 1, d1);
    int32_t in[] = {o, k};
    ir_node_add(b, "add_in_body", "Add", "", in, 2, &y, 1);
    ir_graph_add_output(b, y);
    return b;
}

/* Every feature of the IR in one graph. */
static IrGraph *make_kitchen_sink(void)
{
    IrGraph *g = ir_graph_new();
    g->name = "kitchen \"sink\"";
    ir_graph_set_opset(g, "", 17);
    ir_graph_set_opset(g, "com.microsoft", 1);
    /* inputs: symbolic, unknown, named-with-spaces, unknown rank, init-backed */
    int64_t dx[] = {-1, 3, -1, 8};
    int32_t x = val(g, "input", DT_FLOAT, 4, dx);
    g->values[x].shape.sym[0] = "N";
    g->values[x].shape.sym[2] = "height 2"; /* needs quoting */
    ir_graph_add_input(g, x);
    int32_t u = val(g, "weird name:0", DT_INT64, -1, NULL);
    ir_graph_add_input(g, u);
    int64_t d2[] = {2};
    int32_t ib = val(g, "init_backed", DT_INT32, 1, d2);
    int32_t ibd[] = {7, -7};
    ir_value_set_data(g, ib, ibd, sizeof ibd);
    ir_graph_add_input(g, ib);
    /* a constant of every fixed-size dtype, small (number lists or hex) */
    unsigned char raw[64];
    for (int i = 0; i < 64; i++)
        raw[i] = (unsigned char)(i * 37 + 11);
    raw[0] = 1; /* keep the bool constant's first element valid */
    for (int t = 1; t < DT__COUNT; t++) {
        if (!ir_dtype_valid(t) || t == DT_STRING)
            continue;
        size_t es = ir_dtype_size((IrDtype)t);
        int64_t d[] = {3};
        char nm[64];
        snprintf(nm, sizeof nm, "c_%s", ir_dtype_name((IrDtype)t));
        int32_t c = val(g, nm, (IrDtype)t, 1, d);
        unsigned char buf[48];
        memcpy(buf, raw, sizeof buf);
        if (t == DT_BOOL)
            buf[1] = 0, buf[2] = 1;
        if (t == DT_FLOAT) {
            float f[3] = {0.1f, -0.0f, 3e-38f};
            memcpy(buf, f, sizeof f);
        }
        if (t == DT_DOUBLE) {
            double f[3] = {0.1, -1e300, 5e-324};
            memcpy(buf, f, sizeof f);
        }
        ir_value_set_data(g, c, buf, 3 * es);
    }
    /* float constant with a NaN (must go to hex) and a large one (elidable) */
    int32_t cn = val(g, "c_nan", DT_FLOAT, 1, d2);
    float nanv[2] = {NAN, INFINITY};
    ir_value_set_data(g, cn, nanv, sizeof nanv);
    int64_t dbig[] = {8, 1, 3, 3};
    int32_t w = val(g, "conv1.weight", DT_FLOAT, 4, dbig);
    float wd[72];
    for (int i = 0; i < 72; i++)
        wd[i] = (float)i * 0.25f - 3.0f;
    ir_value_set_data(g, w, wd, sizeof wd);
    /* strings constant, scalar constant, empty constant */
    int32_t cs = val(g, "c_str", DT_STRING, 1, d2);
    const char **sp = ir_graph_alloc_data(g, 2 * sizeof(char *));
    sp[0] = "hello";
    sp[1] = "quote\" back\\ nl\n";
    ir_value_borrow_data(g, cs, sp, 2 * sizeof(char *));
    int32_t cscalar = val(g, "scalar", DT_INT64, 0, NULL);
    int64_t sv = -9223372036854775807LL - 1;
    ir_value_set_data(g, cscalar, &sv, sizeof sv);
    int64_t d0[] = {0, 4};
    int32_t cempty = val(g, "empty", DT_FLOAT, 2, d0);
    ir_value_set_data(g, cempty, NULL, 0);
    /* an orphan value, sequence / optional / map values, quantized and laid-out values */
    val(g, "orphan", DT_UNDEFINED, -1, NULL);
    /* nodes */
    int64_t dy[] = {-1, 8, -1, 8};
    int32_t y = val(g, "conv_out", DT_FLOAT, 4, dy);
    g->values[y].shape.sym[0] = "N";
    g->values[y].shape.sym[2] = "H";
    g->values[y].shape.dims[2] = 5; /* symbolic name with a bound value */
    int32_t cin[] = {x, w, -1};
    int32_t n0 = ir_node_add(g, "Conv_0", "Conv", "", cin, 3, &y, 1);
    g->nodes[n0].device = 1; /* placed on the accelerator */
    IrAttr *a = ir_node_add_attr(g, n0, "pads", IR_ATTR_INTS);
    static int64_t pads[] = {1, 1, 1, 1};
    a->n = 4, a->ints = pads;
    a = ir_node_add_attr(g, n0, "group", IR_ATTR_INT);
    a->i = 1;
    a = ir_node_add_attr(g, n0, "auto_pad", IR_ATTR_STRING);
    a->s = "NOTSET", a->slen = 6;
    a = ir_node_add_attr(g, n0, "alpha", IR_ATTR_FLOAT);
    a->f = 2.0f;
    a = ir_node_add_attr(g, n0, "name", IR_ATTR_STRING); /* collides with the node-name key */
    a->s = "nul\0inside", a->slen = 10;
    a = ir_node_add_attr(g, n0, "device", IR_ATTR_INT); /* collides with the device key */
    a->i = 7;
    a = ir_node_add_attr(g, n0, "empty_ints", IR_ATTR_INTS);
    a->n = 0;
    a = ir_node_add_attr(g, n0, "empty_floats", IR_ATTR_FLOATS);
    a->n = 0;
    a = ir_node_add_attr(g, n0, "empty_strings", IR_ATTR_STRINGS);
    a = ir_node_add_attr(g, n0, "empty_tensors", IR_ATTR_TENSORS);
    a = ir_node_add_attr(g, n0, "empty_graphs", IR_ATTR_GRAPHS);
    static float fl[] = {1.0f, -2.5f, 1e-7f, NAN, -INFINITY};
    a = ir_node_add_attr(g, n0, "floats", IR_ATTR_FLOATS);
    a->n = 5, a->floats = fl;
    static const char *strs[] = {"a", "", "b c"};
    a = ir_node_add_attr(g, n0, "strs", IR_ATTR_STRINGS);
    a->n = 3, a->strings = strs;
    static float tv[] = {0.5f, 1.5f};
    static IrTensor t1 = {.dtype = DT_FLOAT, .shape = {.rank = 1, .dims = {2}}, .data = tv, .nbytes = 8};
    a = ir_node_add_attr(g, n0, "value", IR_ATTR_TENSOR);
    a->t = &t1;
    static uint16_t hv[] = {0x3c00, 0x7e00};
    static IrTensor ts[2] = {{.dtype = DT_FLOAT16, .shape = {.rank = 1, .dims = {2}}, .data = hv, .nbytes = 4},
                             {.dtype = DT_INT8, .shape = {.rank = 0}, .data = "\x80", .nbytes = 1}};
    a = ir_node_add_attr(g, n0, "tensors", IR_ATTR_TENSORS);
    a->n = 2, a->tensors = ts;
    a = ir_node_add_attr(g, n0, "weird key!", IR_ATTR_INT);
    a->i = -5;
    /* If with two subgraphs, Loop-like GRAPHS attribute */
    int32_t cond = val(g, "cond", DT_BOOL, 0, NULL);
    unsigned char tru = 1;
    ir_value_set_data(g, cond, &tru, 1);
    int32_t yif = val(g, "if_out", DT_FLOAT, 1, (int64_t[]){3});
    int32_t nif = ir_node_add(g, "If_1", "If", "", &cond, 1, &yif, 1);
    a = ir_node_add_attr(g, nif, "then_branch", IR_ATTR_GRAPH);
    a->g = make_body(g, "then", "c_float32");
    a = ir_node_add_attr(g, nif, "else_branch", IR_ATTR_GRAPH);
    a->g = make_body(g, "else", "c_float32");
    a = ir_node_add_attr(g, nif, "bodies", IR_ATTR_GRAPHS);
    a->n = 2;
    a->graphs = dla_arena_alloc(&g->arena, 2 * sizeof *a->graphs);
    a->graphs[0] = make_body(g, "b0", "if_out");
    a->graphs[1] = make_body(g, "b1", "c_float32");
    /* custom domain, absent inputs and outputs, multiple outputs, flags */
    int32_t q = val(g, "q", DT_UINT8, 4, dy);
    g->values[q].quant.count = 1;
    g->values[q].quant.axis = -1;
    g->values[q].quant.scale = dla_arena_memdup(&g->arena, (float[]){0.0235f}, 4);
    g->values[q].quant.zero_point = dla_arena_memdup(&g->arena, (int32_t[]){128}, 4);
    g->values[q].layout = IR_LAYOUT_NHWC;
    int32_t qc = val(g, "qc", DT_INT8, 4, (int64_t[]){2, 8, 1, 1});
    g->values[qc].quant.count = 2;
    g->values[qc].quant.axis = 0;
    g->values[qc].quant.scale = dla_arena_memdup(&g->arena, (float[]){0.5f, 0.25f}, 8);
    g->values[qc].quant.zero_point = dla_arena_memdup(&g->arena, (int32_t[]){0, -3}, 8);
    g->values[qc].layout = IR_LAYOUT_NCHWc;
    g->values[qc].layout_block = 16;
    int32_t sq = val(g, "seq", DT_FLOAT, 2, (int64_t[]){-1, 3});
    g->values[sq].flags |= IR_VAL_SEQUENCE | IR_VAL_OPTIONAL;
    int32_t mp = val(g, "map", DT_INT64, -1, NULL);
    g->values[mp].flags |= IR_VAL_MAP;
    int32_t outs[] = {q, -1, qc, sq, mp};
    int32_t ins[] = {y, -1, yif, u, -1};
    ir_node_add(g, "", "QuantizeStuff", "com.microsoft", ins, 5, outs, 5);
    /* a node with no outputs and no inputs, marked dead */
    int32_t nd = ir_node_add(g, "sink", "Sink.v2", "my domain", NULL, 0, NULL, 0);
    g->nodes[nd].dead = 1;
    /* untyped value from a node before inference */
    int32_t r = val(g, "relu/out", DT_UNDEFINED, -1, NULL);
    ir_node_add(g, "relu", "Relu", "", &y, 1, &r, 1);
    /* outputs whose data shape inference folded (the node stays), small and large */
    int32_t shp = val(g, "shape_of", DT_INT64, 1, (int64_t[]){4});
    ir_value_set_data(g, shp, (int64_t[]){1, 8, 5, 8}, 32);
    int32_t big = val(g, "big_folded", DT_INT64, 1, (int64_t[]){4});
    ir_value_set_data(g, big, (int64_t[]){1, 8, 5, 8}, 32);
    ir_node_add(g, "shape", "Shape", "", &y, 1, (int32_t[]){shp, big}, 2);
    ir_graph_add_output(g, q);
    ir_graph_add_output(g, r);
    ir_graph_add_output(g, w); /* a constant as output */
    return g;
}

static char *print_str(const IrGraph *g, size_t elide)
{
    IrPrintOptions o = {.elide_bytes = elide};
    char *s;
    size_t n;
    CU_ASSERT_EQUAL(ir_print_string(g, &o, &s, &n, NULL), DLA_OK);
    CU_ASSERT_EQUAL(strlen(s), n);
    return s;
}

static void round_trip(IrGraph *g, size_t elide)
{
    DlaError err = {0};
    char *t1 = print_str(g, elide);
    IrGraph *p = NULL;
    DlaStatus st = ir_parse(t1, strlen(t1), "t1.ir", &p, &err);
    if (st != DLA_OK)
        fprintf(stderr, "parse failed: %s\n--- text:\n%s\n", err.msg, t1);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    st = ir_verify(p, &err);
    if (st != DLA_OK)
        fprintf(stderr, "verify of parsed graph failed: %s\n", err.msg);
    CU_ASSERT_EQUAL(st, DLA_OK);
    char why[512];
    int eq = ir_test_graph_equal(g, p, elide != 0, why, sizeof why);
    if (!eq)
        fprintf(stderr, "structure differs: %s\n", why);
    CU_ASSERT(eq);
    char *t2 = print_str(p, elide);
    CU_ASSERT_STRING_EQUAL(t1, t2);
    /* printing the parsed graph in full mode keeps the elided values elided */
    char *t3 = print_str(p, 0);
    CU_ASSERT_STRING_EQUAL(t1, elide ? t3 : t1);
    free(t1);
    free(t2);
    free(t3);
    ir_graph_free(p);
}

static void test_kitchen_sink(void)
{
    IrGraph *g = make_kitchen_sink();
    DlaError err = {0};
    DlaStatus st = ir_verify(g, &err);
    if (st != DLA_OK)
        fprintf(stderr, "verify: %s\n", err.msg);
    CU_ASSERT_EQUAL(st, DLA_OK);
    round_trip(g, 0);
    round_trip(g, 16);
    round_trip(g, 1);
    /* elided values: ELIDED instead of CONST, nbytes and checksum kept */
    char *t = print_str(g, 16);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "const %conv1.weight : float32[8,1,3,3] = elided(nbytes=288, checksum=0x"));
    IrGraph *p;
    CU_ASSERT_EQUAL_FATAL(ir_parse(t, strlen(t), "t", &p, &err), DLA_OK);
    const IrValue *wv = &p->values[ir_value_find(p, "conv1.weight")];
    CU_ASSERT(wv->flags & IR_VAL_ELIDED);
    CU_ASSERT(!(wv->flags & IR_VAL_CONST));
    CU_ASSERT_EQUAL(wv->nbytes, 288);
    const IrValue *ov = &g->values[ir_value_find(g, "conv1.weight")];
    CU_ASSERT_EQUAL(*(const uint64_t *)wv->data, ir_text_checksum(ov->data, ov->nbytes));
    ir_graph_free(p);
    free(t);
    ir_graph_free(g);
}

/* The exact text of a small graph: documents the format (docs/ir.md shows it too). */
static void test_golden_text(void)
{
    IrGraph *g = ir_graph_new();
    g->name = "tiny";
    ir_graph_set_opset(g, "", 13);
    int32_t x = val(g, "x", DT_FLOAT, 2, (int64_t[]){-1, 4});
    g->values[x].shape.sym[0] = "N";
    ir_graph_add_input(g, x);
    int32_t w = val(g, "w", DT_FLOAT, 2, (int64_t[]){4, 2});
    float wd[8] = {1, 2, 3, 4, 0.5f, -1, 0, 8};
    ir_value_set_data(g, w, wd, sizeof wd);
    int32_t sh = val(g, "shape", DT_INT64, 1, (int64_t[]){2});
    ir_value_set_data(g, sh, (int64_t[]){-1, 2}, 16);
    int32_t y = val(g, "y", DT_FLOAT, 2, (int64_t[]){-1, 2});
    g->values[y].shape.sym[0] = "N";
    int32_t in[] = {x, w};
    ir_node_add(g, "mm", "MatMul", "", in, 2, &y, 1);
    int32_t z = val(g, "z", DT_FLOAT, 2, (int64_t[]){-1, 2});
    int32_t in2[] = {y, sh};
    int32_t n = ir_node_add(g, "", "Reshape", "", in2, 2, &z, 1);
    ir_node_add_attr(g, n, "allowzero", IR_ATTR_INT)->i = 0;
    ir_graph_add_output(g, z);
    const char *want = "graph \"tiny\" opset \"\"=13 {\n"
                       "  input %x : float32[N,4]\n"
                       "  const %w : float32[4,2] = [1.0, 2.0, 3.0, 4.0, 0.5, -1.0, 0.0, 8.0]\n"
                       "  const %shape : int64[2] = [-1, 2]\n"
                       "  %y : float32[N,2] = MatMul(%x, %w) {name=\"mm\"}\n"
                       "  %z : float32[?,2] = Reshape(%y, %shape) {allowzero=0}\n"
                       "  output %z\n"
                       "}\n";
    char *t = print_str(g, 0);
    CU_ASSERT_STRING_EQUAL(t, want);
    free(t);
    t = print_str(g, 16);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "const %w : float32[4,2] = elided(nbytes=32, checksum=0x"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "const %shape : int64[2] = [-1, 2]\n"));
    free(t);
    ir_graph_free(g);
}

/* Hand-written text with comments, odd spacing and optional forms parses. */
static void test_parse_hand_written(void)
{
    const char *src = "# a comment\n"
                      "graph \"h\" opset \"ai.onnx\"=13,\"x.y\"=2{input %a:float32[2] input %b\n"
                      "%c:float32[2],_=x.y::Foo(%a,_,%b){k=[1,2.5],s=strings[],n=0x10, e=1e-3, u=undef}\n"
                      "= Bar() output %c }  # trailing\n";
    IrGraph *g;
    DlaError err = {0};
    DlaStatus st = ir_parse(src, strlen(src), "h.ir", &g, &err);
    if (st)
        fprintf(stderr, "%s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(ir_graph_opset(g, ""), 13);
    CU_ASSERT_EQUAL(ir_graph_opset(g, "x.y"), 2);
    CU_ASSERT_EQUAL(g->nnodes, 2);
    CU_ASSERT_STRING_EQUAL(g->nodes[0].domain, "x.y");
    CU_ASSERT_EQUAL(g->nodes[0].attrs[0].type, IR_ATTR_FLOATS); /* one float makes the list floats */
    CU_ASSERT_EQUAL(g->nodes[0].attrs[1].type, IR_ATTR_STRINGS);
    CU_ASSERT_EQUAL(g->nodes[0].attrs[2].i, 16);
    CU_ASSERT_EQUAL(g->nodes[0].attrs[3].type, IR_ATTR_FLOAT);
    CU_ASSERT_EQUAL(g->nodes[0].attrs[4].type, IR_ATTR_UNDEF);
    CU_ASSERT_EQUAL(g->nodes[0].inputs[1], -1);
    CU_ASSERT_EQUAL(g->nodes[1].noutputs, 0);
    CU_ASSERT_EQUAL(g->values[1].dtype, DT_UNDEFINED);
    CU_ASSERT_EQUAL(g->values[1].shape.rank, -1);
    /* an undefined attribute type parses (ONNX can carry one) but does not verify */
    CU_ASSERT_EQUAL(ir_verify(g, &err), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "attribute 'u': invalid attribute type 0"));
    ir_graph_free(g);
}

static void expect_error(const char *src, const char *want)
{
    IrGraph *g = (IrGraph *)1;
    DlaError err = {0};
    DlaStatus st = ir_parse(src, strlen(src), "e.ir", &g, &err);
    CU_ASSERT_EQUAL(st, DLA_ERR_FORMAT);
    CU_ASSERT_PTR_NULL(g);
    if (!strstr(err.msg, want)) {
        fprintf(stderr, "for input <<%s>>\n  wanted '%s' in '%s'\n", src, want, err.msg);
        CU_FAIL("error message");
    }
}

static void test_parse_errors(void)
{
    expect_error("", "e.ir:1:1: expected 'graph', found end of input");
    expect_error("grap \"x\" {}", "e.ir:1:1: expected 'graph'");
    expect_error("graph \"x\" {\n  %y = Relu(%x)\n}", "e.ir:2:13: value %x is not defined");
    expect_error("graph \"x\" {\n input %x\n input %x }", "e.ir:3:8: value %x is defined twice");
    expect_error("graph \"x\" { input %x : float33[1] }", "unknown element type 'float33'");
    expect_error("graph \"x\" { input %x : float32[1,2,3,4,5,6,7,8,9] }", "rank exceeds the maximum of 8");
    expect_error("graph \"x\" { input %x : float32[-3] }", "negative dimension");
    expect_error("graph \"x\" { const %x : int8[1] = [200] }", "200 is out of range for int8");
    expect_error("graph \"x\" { const %x : int8[1] }", "needs '= data'");
    expect_error("graph \"x\" { const %x : float16[1] = [1.0] }", "float16 data must be written as hex");
    expect_error("graph \"x\" { const %x : int8[1] = hex\"0g\" }", "e.ir:1:39: bad hex digit");
    expect_error("graph \"x\" { const %x : int8[1] = hex\"012\" }", "odd number of digits");
    expect_error("graph \"x\" { input %x \"oops\" }", "expected a statement");
    expect_error("graph \"x\" { input %x }}", "expected end of input after the graph");
    expect_error("graph \"x\" { input %x } garbage", "expected end of input after the graph");
    expect_error("graph \"x\" { %y = Relu(%x", "value %x is not defined");
    expect_error("graph \"x\" { input %x %y = Relu(%x", "expected ',', found end of input");
    expect_error("graph \"x\" { input %x %y = Relu(%x) {a=1, a=2} }", "attribute 'a' given twice");
    expect_error("graph \"x\" { input %x %y = Relu(%x) {a=[1, \"s\"]} }", "expected a number");
    expect_error("graph \"x\" { input %x %y = Relu(%x) {a=99999999999999999999} }", "out of range");
    expect_error("graph \"x\" { input %x : float32[1] quant(axis=0, scale=[1.0], zp=[]) }",
                 "as many zero points as scales");
    expect_error("graph \"x\" { input %x : opt<opt<float32[1]>> }", "'opt<>' repeated");
    expect_error("graph \"x\" { input %\"abc }", "string not closed");
    expect_error("graph \"x\" { input % }", "'%' must be followed by a value name");
    expect_error("graph \"x\" { input %x : float32[1] = elided(nbytes=4) }", "expected ','");
    expect_error("graph \"x\" \x01", "unexpected byte 0x01");
    expect_error("graph \"x\" { input %x\n  output _ }", "e.ir:2:10: a graph output cannot be absent");
    expect_error("graph \"x\" { input %\"\" }", "non-empty");
    expect_error("graph \"x\" opset \"\"=1, \"ai.onnx\"=2 { }", "given twice");
    expect_error("graph \"x\" { = Foo() {s=\"\\q\"} }", "unknown escape");
    expect_error("graph \"x\" { = Foo() {t=tensor(float32[*] = [1.0])} }", "needs a known rank");
    expect_error("graph \"x\" { = Foo() {t=tensor(float32[1] = elided(nbytes=4, checksum=1))} }",
                 "cannot be elided");
    /* deep nesting is refused, not a stack overflow */
    size_t depth = 200, cap = depth * 40 + 64, k = 0;
    char *deep = malloc(cap);
    for (size_t i = 0; i < depth; i++)
        k += (size_t)snprintf(deep + k, cap - k, "graph \"g\" { = If() {b=");
    snprintf(deep + k, cap - k, "0");
    expect_error(deep, "nested deeper than 64");
    free(deep);
}

/* Every prefix of a valid text is an error (never a crash), except the whole;
 * random byte corruption never crashes the parser, verifier or printer. */
static void test_truncation_and_corruption(void)
{
    IrGraph *g = make_kitchen_sink();
    char *t = print_str(g, 0);
    size_t n = strlen(t);
    for (size_t len = 0; len < n - 1; len++) { /* n-1: the final newline is optional */
        IrGraph *p = NULL;
        DlaError err = {0};
        DlaStatus st = ir_parse(t, len, "cut.ir", &p, &err);
        CU_ASSERT_EQUAL(st, DLA_ERR_FORMAT);
        CU_ASSERT(strncmp(err.msg, "cut.ir:", 7) == 0);
        ir_graph_free(p);
    }
    srand(12345);
    char *c = malloc(n);
    int parsed = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(c, t, n);
        for (int k = 0; k < 1 + iter % 4; k++)
            c[rand() % n] = (char)(rand() % 256);
        IrGraph *p = NULL;
        DlaError err = {0};
        if (ir_parse(c, n, "bad.ir", &p, &err) == DLA_OK) {
            parsed++;
            DlaError e2 = {0};
            ir_verify(p, &e2);
            char *s = print_str(p, 0);
            free(s);
            ir_graph_free(p);
        } else {
            CU_ASSERT(err.msg[0] != 0);
        }
    }
    CU_ASSERT(parsed > 0); /* some flips land in comments/strings/digits and stay valid */
    /* pure garbage: random bytes, and random tokens of the language */
    static const char *const toks[] = {"graph", "\"g\"", "{", "}", "%a", "%b", "=", "(", ")", "[", "]", ",",
                                       ":", "float32", "input", "const", "output", "Relu", "_", "1", "2.5",
                                       "hex\"00\"", "elided", "tensor", "<", ">", "seq", "::", "?", "*", "\n"};
    for (int iter = 0; iter < 2000; iter++) {
        size_t len = (size_t)(rand() % 400);
        char *buf = malloc(len * 12 + 16);
        size_t k = 0;
        if (iter % 2) {
            for (size_t i = 0; i < len; i++)
                buf[k++] = (char)(rand() % 256);
        } else {
            k += (size_t)sprintf(buf, "graph \"g\" { ");
            for (size_t i = 0; i < len / 4; i++)
                k += (size_t)sprintf(buf + k, "%s ", toks[rand() % (int)(sizeof toks / sizeof toks[0])]);
        }
        IrGraph *p = NULL;
        DlaError err = {0};
        if (ir_parse(buf, k, "junk.ir", &p, &err) == DLA_OK) {
            DlaError e2 = {0};
            ir_verify(p, &e2);
            ir_graph_free(p);
        } else {
            CU_ASSERT(strncmp(err.msg, "junk.ir:", 8) == 0);
        }
        free(buf);
    }
    free(c);
    free(t);
    ir_graph_free(g);
}

void dla_register_tests(void)
{
    DLA_SUITE("ir_text", {"kitchen_sink_round_trip", test_kitchen_sink}, {"golden_text", test_golden_text},
              {"parse_hand_written", test_parse_hand_written}, {"parse_errors", test_parse_errors},
              {"truncation_and_corruption", test_truncation_and_corruption});
}
