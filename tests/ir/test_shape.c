/* test_shape.c - unit tests of shape inference on hand-built graphs (the
 * tricky shape functions, constant propagation, diagnostics, subgraphs),
 * of the op checker, and of inference on the zoo models. */
#include "dla_test.h"
#include "frontend/onnx.h"
#include "infer.h"
#include "ir.h"
#include "opcheck.h"
#include "ops.h"

#include <stdarg.h>
#include <string.h>

/* A value of the given rank and dims (rank -1: unknown). */
static int32_t V(IrGraph *g, const char *name, IrDtype dt, int rank, ...)
{
    if (rank < 0)
        return ir_value_add(g, name, dt, NULL);
    int64_t d[IR_MAX_RANK];
    va_list ap;
    va_start(ap, rank);
    for (int i = 0; i < rank; i++)
        d[i] = va_arg(ap, int);
    va_end(ap);
    IrShape s = ir_shape_make(rank, d);
    return ir_value_add(g, name, dt, &s);
}

static int32_t CI64(IrGraph *g, const char *name, int n, const int64_t *vals)
{
    int64_t d = n;
    IrShape s = ir_shape_make(1, &d);
    int32_t v = ir_value_add(g, name, DT_INT64, &s);
    ir_value_set_data(g, v, vals, 8 * (size_t)n);
    return v;
}

static int32_t N1(IrGraph *g, const char *name, const char *op, int32_t a, int32_t y)
{
    return ir_node_add(g, name, op, "", &a, 1, &y, 1);
}

static int32_t N2(IrGraph *g, const char *name, const char *op, int32_t a, int32_t b, int32_t y)
{
    int32_t in[2] = {a, b};
    return ir_node_add(g, name, op, "", in, 2, &y, 1);
}

static void set_ints(IrGraph *g, int32_t n, const char *name, int cnt, const int64_t *v)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
    a->n = cnt;
    a->ints = dla_arena_memdup(&g->arena, v, 8 * (size_t)cnt);
}

static void set_int(IrGraph *g, int32_t n, const char *name, int64_t v)
{
    ir_node_add_attr(g, n, name, IR_ATTR_INT)->i = v;
}

static void set_str(IrGraph *g, int32_t n, const char *name, const char *s)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_STRING);
    a->s = dla_arena_strdup(&g->arena, s);
    a->slen = strlen(s);
}

static const char *S(IrGraph *g, int32_t v)
{
    static char buf[8][128];
    static int k;
    k = (k + 1) & 7;
    return ir_shape_str(&g->values[v].shape, buf[k], sizeof buf[k]);
}

static IrGraph *G(int64_t opset)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", opset);
    return g;
}

static void test_conv(void)
{
    IrGraph *g = G(13);
    int32_t x = V(g, "x", DT_FLOAT, 4, 1, 3, 10, 11), w = V(g, "w", DT_FLOAT, 4, 8, 3, 3, 3);
    int32_t y1 = V(g, "y1", DT_UNDEFINED, -1), y2 = V(g, "y2", DT_UNDEFINED, -1), y3 = V(g, "y3", DT_UNDEFINED, -1);
    int32_t y4 = V(g, "y4", DT_UNDEFINED, -1);
    int64_t s2[] = {2, 2}, d2[] = {2, 2}, p1[] = {1, 1, 1, 1};
    int32_t n = N2(g, "same", "Conv", x, w, y1);
    set_str(g, n, "auto_pad", "SAME_UPPER");
    set_ints(g, n, "strides", 2, s2);
    n = N2(g, "valid", "Conv", x, w, y2);
    set_str(g, n, "auto_pad", "VALID");
    set_ints(g, n, "dilations", 2, d2);
    n = N2(g, "padded", "Conv", x, w, y3);
    set_ints(g, n, "pads", 4, p1);
    set_ints(g, n, "strides", 2, s2);
    n = N1(g, "pool", "MaxPool", x, y4);
    int64_t k3[] = {3, 3};
    set_ints(g, n, "kernel_shape", 2, k3);
    set_ints(g, n, "strides", 2, s2);
    set_int(g, n, "ceil_mode", 1);
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, NULL, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(S(g, y1), "[1,8,5,6]");  /* ceil(10/2), ceil(11/2) */
    CU_ASSERT_STRING_EQUAL(S(g, y2), "[1,8,6,7]");  /* 10 - 5 + 1, 11 - 5 + 1 */
    CU_ASSERT_STRING_EQUAL(S(g, y3), "[1,8,5,6]");  /* floor((10+2-3)/2)+1 */
    CU_ASSERT_STRING_EQUAL(S(g, y4), "[1,3,5,5]");  /* ceil((10-3)/2)+1 = 5, ceil((11-3)/2)+1 = 5 */
    CU_ASSERT_EQUAL(g->values[y1].dtype, DT_FLOAT);
    ir_graph_free(g);
}

static void test_conv_errors_all_reported(void)
{
    IrGraph *g = G(13);
    int32_t x = V(g, "x", DT_FLOAT, 3, 1, 8, 8), w = V(g, "w", DT_FLOAT, 4, 4, 3, 3, 3);
    int32_t x2 = V(g, "x2", DT_FLOAT, 4, 1, 5, 8, 8);
    int32_t y1 = V(g, "y1", DT_UNDEFINED, -1), y2 = V(g, "y2", DT_UNDEFINED, -1), y3 = V(g, "y3", DT_UNDEFINED, -1);
    N2(g, "conv1", "Conv", x, w, y1);
    N2(g, "conv2", "Conv", x2, w, y2); /* 5 channels vs 3 */
    N1(g, "after", "Relu", y2, y3);    /* must not add a cascade error */
    IrDiagList dl = {0};
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, &dl, &err), DLA_ERR_INVALID);
    CU_ASSERT_EQUAL(dl.n, 2);
    if (dl.n == 2) {
        CU_ASSERT_EQUAL(dl.items[0].node, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(dl.items[0].msg, "node 'conv1' (Conv)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(dl.items[0].msg, "[4,3,3,3]"));
        CU_ASSERT_PTR_NOT_NULL(strstr(dl.items[1].msg, "node 'conv2' (Conv)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(dl.items[1].msg, "5 channels"));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "conv1"));
    CU_ASSERT_EQUAL(g->values[y3].shape.rank, -1);
    ir_diag_free(&dl);
    ir_graph_free(g);
}

static void test_broadcast(void)
{
    IrGraph *g = G(13);
    int32_t a = V(g, "a", DT_FLOAT, 3, 2, 1, 4), b = V(g, "b", DT_FLOAT, 2, 3, 1);
    int32_t c = V(g, "c", DT_FLOAT, 1, 5);
    int32_t y = V(g, "y", DT_UNDEFINED, -1), z = V(g, "z", DT_UNDEFINED, -1), e = V(g, "e", DT_UNDEFINED, -1);
    N2(g, "add", "Add", a, b, y);
    N2(g, "less", "Less", a, b, z);
    N2(g, "bad", "Mul", a, c, e);
    IrDiagList dl = {0};
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, &dl, &err), DLA_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(S(g, y), "[2,3,4]");
    CU_ASSERT_EQUAL(g->values[z].dtype, DT_BOOL);
    CU_ASSERT_EQUAL(dl.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot be broadcast"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "[2,1,4]"));
    ir_diag_free(&dl);
    ir_graph_free(g);
}

/* A Tile or Expand whose output has 2^62 float elements: numel fits int64 but
 * its byte size wraps. Inference reports DLA_ERR_LIMIT naming the node (it
 * used to pass, and a run then wrote past a 0-byte buffer). */
static void test_huge_tensor(void)
{
    IrGraph *g = G(13);
    int32_t x = V(g, "x", DT_FLOAT, 1, 2);
    int64_t reps[1] = {(int64_t)1 << 61};
    int32_t r = CI64(g, "reps", 1, reps);
    int32_t y = V(g, "y", DT_UNDEFINED, -1);
    N2(g, "tile", "Tile", x, r, y);
    int64_t shp[1] = {(int64_t)1 << 40}; /* 4 TiB of float */
    int32_t s = CI64(g, "shp", 1, shp), z = V(g, "z", DT_UNDEFINED, -1);
    N2(g, "expand", "Expand", x, s, z);
    IrDiagList dl = {0};
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, &dl, &err), DLA_ERR_LIMIT);
    CU_ASSERT_EQUAL(dl.n, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tile"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Tile"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "[4611686018427387904]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "the limit for one tensor"));
    ir_diag_free(&dl);
    ir_graph_free(g);
}

static void test_reshape(void)
{
    IrGraph *g = G(14);
    int32_t x = V(g, "x", DT_FLOAT, 4, 2, 3, 4, 5);
    int64_t s1[] = {0, -1, 5}, s2[] = {-1}, s3[] = {2, 0, 60}, s4[] = {7, -1};
    int32_t y1 = V(g, "y1", DT_UNDEFINED, -1), y2 = V(g, "y2", DT_UNDEFINED, -1), y3 = V(g, "y3", DT_UNDEFINED, -1);
    int32_t y4 = V(g, "y4", DT_UNDEFINED, -1);
    N2(g, "r1", "Reshape", x, CI64(g, "s1", 3, s1), y1);
    N2(g, "r2", "Reshape", x, CI64(g, "s2", 1, s2), y2);
    int32_t n = N2(g, "r3", "Reshape", x, CI64(g, "s3", 3, s3), y3); /* allowzero: 0 is a real 0 -> mismatch */
    set_int(g, n, "allowzero", 1);
    N2(g, "r4", "Reshape", x, CI64(g, "s4", 2, s4), y4); /* 120 not divisible by 7 */
    /* a symbolic batch copied by 0 cancels out of the -1 */
    int32_t xs = V(g, "xs", DT_FLOAT, 4, -1, 32, 4, 4), y5 = V(g, "y5", DT_UNDEFINED, -1);
    g->values[xs].shape.sym[0] = "N";
    int64_t s5[] = {0, -1};
    N2(g, "r5", "Reshape", xs, CI64(g, "s5", 2, s5), y5);
    IrDiagList dl = {0};
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, &dl, &err), DLA_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(S(g, y5), "[N,512]");
    CU_ASSERT_STRING_EQUAL(S(g, y1), "[2,12,5]");
    CU_ASSERT_STRING_EQUAL(S(g, y2), "[120]");
    CU_ASSERT_EQUAL(dl.n, 2);
    ir_diag_free(&dl);
    ir_graph_free(g);
}

static void test_reduce(void)
{
    IrGraph *g = G(13);
    int32_t x = V(g, "x", DT_FLOAT, 3, 2, 3, 4);
    int64_t ax[] = {-1, 0}, none[] = {0};
    int32_t y1 = V(g, "y1", DT_UNDEFINED, -1), y2 = V(g, "y2", DT_UNDEFINED, -1), y3 = V(g, "y3", DT_UNDEFINED, -1);
    int32_t y4 = V(g, "y4", DT_UNDEFINED, -1), y5 = V(g, "y5", DT_UNDEFINED, -1);
    int32_t n = N1(g, "mean", "ReduceMean", x, y1); /* opset 13: axes attribute */
    set_ints(g, n, "axes", 2, ax);
    n = N1(g, "max", "ReduceMax", x, y2);
    set_ints(g, n, "axes", 2, ax);
    set_int(g, n, "keepdims", 0);
    N2(g, "sum", "ReduceSum", x, CI64(g, "axes", 1, ax), y3); /* ReduceSum-13: axes input */
    n = N2(g, "noop", "ReduceSum", x, CI64(g, "empty", 0, none), y4);
    set_int(g, n, "noop_with_empty_axes", 1);
    n = N1(g, "all", "ReduceSum", x, y5);
    set_int(g, n, "keepdims", 0);
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, NULL, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(S(g, y1), "[1,3,1]");
    CU_ASSERT_STRING_EQUAL(S(g, y2), "[3]");
    CU_ASSERT_STRING_EQUAL(S(g, y3), "[2,3,1]");
    CU_ASSERT_STRING_EQUAL(S(g, y4), "[2,3,4]");
    CU_ASSERT_STRING_EQUAL(S(g, y5), "[]");
    ir_graph_free(g);
}

static void test_slice(void)
{
    IrGraph *g = G(13);
    int32_t x = V(g, "x", DT_FLOAT, 2, 20, 10);
    int64_t st[] = {-1, 8}, en[] = {INT64_MIN, 1}, ax[] = {0, 1}, sp[] = {-3, -2};
    int32_t y = V(g, "y", DT_UNDEFINED, -1);
    int32_t in[5] = {x, CI64(g, "st", 2, st), CI64(g, "en", 2, en), CI64(g, "ax", 2, ax), CI64(g, "sp", 2, sp)};
    ir_node_add(g, "slice", "Slice", "", in, 5, &y, 1);
    /* axis 0: 19, 16, ..., 1 -> 7 elements; axis 1: 8, 6, 4, 2 -> 4 */
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, NULL, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(S(g, y), "[7,4]");
    ir_graph_free(g);
}

/* Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as exporters write it. */
static void test_shape_chain(void)
{
    IrGraph *g = G(13);
    int32_t x = V(g, "x", DT_FLOAT, 3, 2, 3, 4);
    int32_t sh = V(g, "sh", DT_UNDEFINED, -1), d0 = V(g, "d0", DT_UNDEFINED, -1), u = V(g, "u", DT_UNDEFINED, -1);
    int32_t cat = V(g, "cat", DT_UNDEFINED, -1), y = V(g, "y", DT_UNDEFINED, -1);
    int64_t zero = 0, m1 = -1;
    IrShape sc = ir_shape_make(0, NULL);
    int32_t idx = ir_value_add(g, "idx", DT_INT64, &sc);
    ir_value_set_data(g, idx, &zero, 8);
    N1(g, "shape", "Shape", x, sh);
    N2(g, "gather", "Gather", sh, idx, d0);
    N2(g, "unsq", "Unsqueeze", d0, CI64(g, "axes0", 1, &zero), u);
    int32_t in[2] = {u, CI64(g, "minus1", 1, &m1)};
    int32_t n = ir_node_add(g, "concat", "Concat", "", in, 2, &cat, 1);
    set_int(g, n, "axis", 0);
    N2(g, "reshape", "Reshape", x, cat, y);
    /* with a symbolic batch, Gather(Shape(x), 1) is still the constant 3 */
    int32_t xs = V(g, "xs", DT_FLOAT, 2, -1, 3), shs = V(g, "shs", DT_UNDEFINED, -1), d1 = V(g, "d1", DT_UNDEFINED, -1);
    g->values[xs].shape.sym[0] = "N";
    int64_t one = 1;
    int32_t idx1 = ir_value_add(g, "idx1", DT_INT64, &sc);
    ir_value_set_data(g, idx1, &one, 8);
    N1(g, "shape_s", "Shape", xs, shs);
    N2(g, "gather_s", "Gather", shs, idx1, d1);
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, NULL, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(S(g, y), "[2,12]");
    CU_ASSERT(g->values[d1].flags & IR_VAL_CONST);
    CU_ASSERT(!(g->values[shs].flags & IR_VAL_CONST));
    if (g->values[d1].data)
        CU_ASSERT_EQUAL(((int64_t *)g->values[d1].data)[0], 3);
    CU_ASSERT(g->values[cat].flags & IR_VAL_CONST);
    CU_ASSERT_EQUAL(((int64_t *)g->values[cat].data)[0], 2);
    ir_graph_free(g);
}

static void test_declared(void)
{
    IrGraph *g = G(13);
    int32_t x = V(g, "x", DT_FLOAT, 2, 4, 5);
    int32_t y = V(g, "y", DT_FLOAT, 2, 4, 6); /* declared wrongly */
    int32_t z = V(g, "z", DT_FLOAT, 2, 4, 5);
    int32_t n = N1(g, "t", "Transpose", x, y);
    (void)n;
    N1(g, "relu", "Relu", x, z);
    IrDiagList dl = {0};
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, &dl, &err), DLA_ERR_INVALID);
    CU_ASSERT_EQUAL(dl.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "declared [4,6]"));
    ir_diag_free(&dl);
    ir_graph_free(g);
}

static void test_loop_body(void)
{
    IrGraph *g = G(13);
    int64_t three = 3;
    IrShape sc = ir_shape_make(0, NULL);
    int32_t m = ir_value_add(g, "M", DT_INT64, &sc);
    ir_value_set_data(g, m, &three, 8);
    int32_t outer = V(g, "outer", DT_FLOAT, 1, 4), init = V(g, "init", DT_FLOAT, 1, 4);
    int32_t fin = V(g, "fin", DT_UNDEFINED, -1), scan = V(g, "scan", DT_UNDEFINED, -1);
    (void)outer; /* referenced by name from the body */
    int32_t in[3] = {m, -1, init}, out[2] = {fin, scan};
    int32_t n = ir_node_add(g, "loop", "Loop", "", in, 3, out, 2);
    IrGraph *b = ir_graph_new();
    b->parent = g;
    int32_t it = V(b, "it", DT_UNDEFINED, -1), cin = V(b, "cin", DT_UNDEFINED, -1), v = V(b, "v", DT_UNDEFINED, -1);
    int32_t o = V(b, "outer", DT_UNDEFINED, -1);
    b->values[o].flags |= IR_VAL_OUTER;
    int32_t cout = V(b, "cout", DT_UNDEFINED, -1), vout = V(b, "vout", DT_UNDEFINED, -1), s = V(b, "s", DT_UNDEFINED, -1);
    ir_graph_add_input(b, it);
    ir_graph_add_input(b, cin);
    ir_graph_add_input(b, v);
    N1(b, "c", "Identity", cin, cout);
    N2(b, "add", "Add", v, o, vout);
    N1(b, "neg", "Neg", vout, s);
    ir_graph_add_output(b, cout);
    ir_graph_add_output(b, vout);
    ir_graph_add_output(b, s);
    ir_node_add_attr(g, n, "body", IR_ATTR_GRAPH)->g = b;
    DlaError err;
    CU_ASSERT_EQUAL(ir_infer_shapes(g, NULL, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(S(g, fin), "[4]");
    CU_ASSERT_STRING_EQUAL(S(g, scan), "[3,4]");
    CU_ASSERT_EQUAL(b->values[it].dtype, DT_INT64);
    ir_graph_free(g);
}

static void test_opcheck(void)
{
    IrGraph *g = G(13);
    int32_t x = V(g, "x", DT_FLOAT, 4, 1, 3, 8, 8), y = V(g, "y", DT_FLOAT, -1), z = V(g, "z", DT_FLOAT, -1);
    int32_t w = V(g, "w", DT_FLOAT, -1), q = V(g, "q", DT_FLOAT, -1);
    int32_t n = N1(g, "pool", "MaxPool", x, y); /* kernel_shape missing */
    set_int(g, n, "foo", 1);                   /* not in the spec */
    set_str(g, n, "ceil_mode", "yes");         /* wrong type */
    ir_node_add(g, "mystery", "FancyOp", "com.example", &x, 1, &z, 1);
    N2(g, "relu", "Relu", x, x, w);            /* arity */
    n = N1(g, "ok", "Softmax", x, q);
    set_int(g, n, "axis", 1);
    IrDiagList dl = {0};
    ir_check_graph_support(g, &dl);
    int found[5] = {0};
    for (size_t i = 0; i < dl.n; i++) {
        const char *m = dl.items[i].msg;
        found[0] |= strstr(m, "required attribute 'kernel_shape' is missing") != NULL;
        found[1] |= strstr(m, "attribute 'foo' not supported") != NULL;
        found[2] |= strstr(m, "attribute 'ceil_mode' has type s, expected i") != NULL;
        found[3] |= strstr(m, "op type 'FancyOp' (domain 'com.example') is not supported") != NULL;
        found[4] |= strstr(m, "node 'relu' (Relu): 2 inputs, expected 1") != NULL;
        CU_ASSERT(dl.items[i].node != 3);
    }
    for (int i = 0; i < 5; i++)
        CU_ASSERT(found[i]);
    CU_ASSERT_EQUAL(dl.n, 5);
    ir_diag_free(&dl);
    ir_graph_free(g);
}

static void test_attr_defaults(void)
{
    /* defaults come from ops.def */
    CU_ASSERT_EQUAL(ir_op_attr_spec(OP_CONV, "group")->i, 1);
    CU_ASSERT_STRING_EQUAL(ir_op_attr_spec(OP_CONV, "auto_pad")->s, "NOTSET");
    CU_ASSERT(ir_op_attr_spec(OP_CAST, "to")->required);
    CU_ASSERT_EQUAL(ir_op_attr_spec(OP_LEAKY_RELU, "alpha")->f, 0.01f);
    CU_ASSERT_PTR_NULL(ir_op_attr_spec(OP_RELU, "alpha"));
    for (int op = 1; op < OP__COUNT; op++) /* every entry's spec parses */
        CU_ASSERT(ir_op_attrs((IrOp)op)->n >= 0);
}

static void test_zoo(void)
{
    const char *dir = dla_test_models_dir();
    if (!dir)
        return;
    static const char *models[] = {"digits_cnn", "mobilenet_v2", "resnet18", "resnet50", "squeezenet1_1", "tiny_encoder"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%.3000s/%s/model.onnx", dir, models[i]);
        OnnxInputShape is = {.name = "input", .rank = 4, .dims = {1, 1, 8, 8}};
        OnnxLoadOptions opt = {.shapes = &is, .nshapes = 1};
        IrGraph *g = NULL;
        DlaError err;
        if (onnx_load(p, i == 0 ? &opt : NULL, &g, &err)) {
            CU_FAIL("zoo model does not load");
            fprintf(stderr, "%s\n", err.msg);
            continue;
        }
        IrDiagList cd = {0};
        ir_check_graph_support(g, &cd); /* the table accepts every zoo node */
        CU_ASSERT_EQUAL(cd.n, 0);
        ir_diag_free(&cd);
        for (int32_t v = 0; v < g->nvalues; v++) /* forget declared types */
            if (g->values[v].producer >= 0) {
                g->values[v].dtype = DT_UNDEFINED;
                g->values[v].shape.rank = -1;
            }
        IrDiagList dl = {0};
        DlaStatus st = ir_infer_shapes(g, &dl, &err);
        if (st)
            fprintf(stderr, "%s: %s\n", models[i], err.msg);
        CU_ASSERT_EQUAL(st, DLA_OK);
        for (int32_t v = 0; v < g->nvalues; v++)
            if (g->values[v].producer >= 0 && !ir_shape_known(&g->values[v].shape)) {
                fprintf(stderr, "%s: value '%s' has unknown shape\n", models[i], g->values[v].name);
                CU_FAIL("zoo value with unknown shape");
                break;
            }
        const IrValue *out = &g->values[g->outputs[0]];
        CU_ASSERT_EQUAL(out->shape.rank, 2);
        CU_ASSERT_EQUAL(out->shape.dims[0], 1);
        CU_ASSERT_EQUAL(out->shape.dims[1], i == 0 ? 10 : i == 5 ? 4 : 1000);
        ir_diag_free(&dl);
        ir_graph_free(g);
    }
}

void dla_register_tests(void)
{
    DLA_SUITE("ir_shape", {"conv/pool output sizes", test_conv}, {"all errors reported", test_conv_errors_all_reported}, {"huge tensor", test_huge_tensor},
              {"broadcasting", test_broadcast}, {"reshape 0/-1/allowzero", test_reshape},
              {"reductions", test_reduce}, {"slice negative steps", test_slice},
              {"shape chain constant propagation", test_shape_chain}, {"declared vs inferred", test_declared},
              {"loop body with outer value", test_loop_body}, {"op checker", test_opcheck},
              {"attribute defaults", test_attr_defaults}, {"zoo models", test_zoo});
}
