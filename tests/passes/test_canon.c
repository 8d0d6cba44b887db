/* test_canon.c - the canonicalization passes on hand-built graphs: the
 * optimized graph's shape (which nodes remain, what they read) and the folded
 * numbers (BatchNorm folded into Conv weights equal hand-computed values). */
#include "dla_test.h"
#include "ir.h"
#include "ir/verify.h"
#include "passes/passes.h"
#include "pass_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- graph-building helpers ---- */

static int32_t val(IrGraph *g, const char *name, IrDtype dt, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    int32_t v = ir_value_add(g, name, dt, rank >= 0 ? &s : NULL);
    CU_ASSERT_FATAL(v >= 0);
    return v;
}

static int32_t cst_i64(IrGraph *g, const char *name, int rank, const int64_t *dims, const int64_t *data)
{
    int32_t v = val(g, name, DT_INT64, rank, dims);
    int64_t n = ir_shape_numel(&g->values[v].shape);
    ir_value_set_data(g, v, data, (size_t)n * 8);
    return v;
}

static int32_t cst_f32(IrGraph *g, const char *name, int rank, const int64_t *dims, const float *data)
{
    int32_t v = val(g, name, DT_FLOAT, rank, dims);
    int64_t n = ir_shape_numel(&g->values[v].shape);
    ir_value_set_data(g, v, data, (size_t)n * 4);
    return v;
}

static int32_t node1(IrGraph *g, const char *op, const int32_t *in, int nin, int32_t out)
{
    return ir_node_add(g, op, op, "", in, nin, &out, 1);
}

static DlaStatus run(IrGraph *g, const char *passes)
{
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.passes = passes;
    DlaError err = {0};
    DlaStatus st = pipeline(g, &ctx, &err);
    if (st != DLA_OK)
        fprintf(stderr, "pipeline: %s\n", err.msg);
    /* every transformation leaves a valid graph, also in builds that do not
     * verify between passes */
    else if (ir_verify(g, &err) != DLA_OK) {
        fprintf(stderr, "ir_verify after '%s': %s\n", passes ? passes : "pipeline", err.msg);
        CU_FAIL("graph invalid after the passes");
    }
    return st;
}

static const int64_t *i64(const IrGraph *g, int32_t v) { return g->values[v].data; }
static const float *f32(const IrGraph *g, int32_t v) { return g->values[v].data; }

/* ---- Conv + BatchNormalization ---- */

/* x[1,2,4,4] -> Conv(W[2,2,1,1], b?) -> BN(scale, B, mean, var, eps) -> y */
static IrGraph *conv_bn(int with_bias, float eps)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    int64_t xd[] = {1, 2, 4, 4}, wd[] = {2, 2, 1, 1}, cd[] = {2};
    int32_t x = val(g, "x", DT_FLOAT, 4, xd);
    ir_graph_add_input(g, x);
    float w[] = {1, 2, 3, -4}, b[] = {0.5f, -1};
    float scale[] = {2, 0.5f}, beta[] = {1, -2}, mean[] = {0.25f, 3}, var[] = {4, 0.0625f};
    int32_t in[5] = {x, cst_f32(g, "W", 4, wd, w), with_bias ? cst_f32(g, "b", 1, cd, b) : -1};
    int32_t c = val(g, "c", DT_FLOAT, 4, xd);
    ir_node_add(g, "conv0", "Conv", "", in, with_bias ? 3 : 2, &c, 1);
    int32_t bin[5] = {c, cst_f32(g, "scale", 1, cd, scale), cst_f32(g, "beta", 1, cd, beta),
                      cst_f32(g, "mean", 1, cd, mean), cst_f32(g, "var", 1, cd, var)};
    int32_t y = val(g, "y", DT_FLOAT, 4, xd);
    int32_t bn = ir_node_add(g, "bn0", "BatchNormalization", "", bin, 5, &y, 1);
    ir_node_add_attr(g, bn, "epsilon", IR_ATTR_FLOAT)->f = eps;
    ir_graph_add_output(g, y);
    return g;
}

static void check_conv_bn(int with_bias)
{
    float eps = 1e-5f;
    IrGraph *g = conv_bn(with_bias, eps);
    CU_ASSERT_EQUAL_FATAL(run(g, NULL), DLA_OK);
    CU_ASSERT_EQUAL(g->nnodes, 1);
    CU_ASSERT_EQUAL(count_op(g, "BatchNormalization"), 0);
    CU_ASSERT_EQUAL_FATAL(count_op(g, "Conv"), 1);
    const IrNode *c = &g->nodes[0];
    CU_ASSERT_EQUAL_FATAL(c->ninputs, 3);
    CU_ASSERT_STRING_EQUAL(g->values[c->outputs[0]].name, "y"); /* output name kept */
    CU_ASSERT_EQUAL(g->values[c->outputs[0]].producer, 0);
    /* hand-computed: s = scale/sqrt(var+eps) */
    double s0 = 2.0 / sqrt(4.0 + eps), s1 = 0.5 / sqrt(0.0625 + eps);
    double w[] = {1 * s0, 2 * s0, 3 * s1, -4 * s1};
    double b0 = with_bias ? 0.5 : 0, b1 = with_bias ? -1 : 0;
    double b[] = {(b0 - 0.25) * s0 + 1, (b1 - 3) * s1 - 2};
    const float *nw = f32(g, c->inputs[1]), *nb = f32(g, c->inputs[2]);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_DOUBLE_EQUAL(nw[i], w[i], 1e-6);
    for (int i = 0; i < 2; i++)
        CU_ASSERT_DOUBLE_EQUAL(nb[i], b[i], 1e-6);
    /* the original weight W, and the BN parameters, are gone (DCE) */
    CU_ASSERT_EQUAL(ir_value_find(g, "W"), -1);
    CU_ASSERT_EQUAL(ir_value_find(g, "mean"), -1);
    CU_ASSERT_EQUAL(ir_value_find(g, "c"), -1);
    ir_graph_free(g);
}

static void test_conv_bn_bias(void) { check_conv_bn(1); }
static void test_conv_bn_nobias(void) { check_conv_bn(0); }

/* The Conv output has a second user: folding would change it, so nothing folds. */
static void test_conv_bn_shared(void)
{
    IrGraph *g = conv_bn(1, 1e-5f);
    int32_t c = ir_value_find(g, "c");
    int64_t xd[] = {1, 2, 4, 4};
    int32_t r = val(g, "r", DT_FLOAT, 4, xd);
    node1(g, "Relu", &c, 1, r);
    ir_graph_add_output(g, r);
    CU_ASSERT_EQUAL_FATAL(run(g, NULL), DLA_OK);
    CU_ASSERT_EQUAL(count_op(g, "BatchNormalization"), 1);
    CU_ASSERT_EQUAL(count_op(g, "Conv"), 1);
    CU_ASSERT(ir_value_find(g, "W") >= 0);
    ir_graph_free(g);
}

/* ---- Identity / Dropout ---- */

static void test_identity(void)
{
    IrGraph *g = ir_graph_new();
    int64_t d[] = {4};
    int32_t x = val(g, "x", DT_FLOAT, 1, d), a = val(g, "a", DT_FLOAT, 1, d), b = val(g, "b", DT_FLOAT, 1, d);
    int32_t y = val(g, "y", DT_FLOAT, 1, d), z = val(g, "z", DT_FLOAT, 1, d);
    ir_graph_add_input(g, x);
    node1(g, "Relu", &x, 1, a);
    node1(g, "Identity", &a, 1, b);
    node1(g, "Relu", &b, 1, y);
    int32_t din[1] = {y};
    int32_t dout[2] = {z, -1};
    ir_node_add(g, "drop", "Dropout", "", din, 1, dout, 1);
    ir_graph_add_output(g, z); /* Dropout produces the graph output z */
    CU_ASSERT_EQUAL_FATAL(run(g, "identity,dce"), DLA_OK);
    CU_ASSERT_EQUAL(count_op(g, "Identity"), 0);
    CU_ASSERT_EQUAL(count_op(g, "Dropout"), 0);
    CU_ASSERT_EQUAL_FATAL(g->nnodes, 2);
    /* second Relu reads a directly and now produces the graph output z */
    a = ir_value_find(g, "a");
    z = ir_value_find(g, "z");
    CU_ASSERT_EQUAL(g->nodes[1].inputs[0], a);
    CU_ASSERT_EQUAL(g->nodes[1].outputs[0], z);
    CU_ASSERT_EQUAL(g->values[z].producer, 1);
    CU_ASSERT_EQUAL(g->outputs[0], z);
    CU_ASSERT_EQUAL(ir_value_find(g, "b"), -1);
    CU_ASSERT_EQUAL(ir_value_find(g, "y"), -1);
    ir_graph_free(g);
}

/* Identity from a graph input to a graph output must stay: two names, one tensor. */
static void test_identity_interface(void)
{
    IrGraph *g = ir_graph_new();
    int64_t d[] = {4};
    int32_t x = val(g, "x", DT_FLOAT, 1, d), y = val(g, "y", DT_FLOAT, 1, d);
    int32_t m = val(g, "m", DT_BOOL, 1, d), z = val(g, "z", DT_FLOAT, 1, d), w = val(g, "w", DT_FLOAT, 1, d);
    ir_graph_add_input(g, x);
    node1(g, "Identity", &x, 1, y);
    ir_graph_add_output(g, y);
    /* Dropout whose mask is a graph output: kept */
    int32_t dout[2] = {z, m};
    ir_node_add(g, "drop", "Dropout", "", &x, 1, dout, 2);
    node1(g, "Relu", &z, 1, w);
    ir_graph_add_output(g, w);
    ir_graph_add_output(g, m);
    CU_ASSERT_EQUAL_FATAL(run(g, "identity,dce"), DLA_OK);
    CU_ASSERT_EQUAL(count_op(g, "Identity"), 1);
    CU_ASSERT_EQUAL(count_op(g, "Dropout"), 1);
    ir_graph_free(g);
}

/* ---- shape-arithmetic folding ---- */

/* x[2,3,4] -> Shape -> Gather(0) -> Unsqueeze(axes=[0]) -> Concat([-1]) -> Reshape(x, .) */
static void test_shape_chain(void)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    int64_t xd[] = {2, 3, 4}, one = 1, two = 2, zero = 0, minus1 = -1, three = 3;
    int32_t x = val(g, "x", DT_FLOAT, 3, xd);
    ir_graph_add_input(g, x);
    int32_t s = val(g, "s", DT_INT64, 1, &three);
    node1(g, "Shape", &x, 1, s);
    int32_t gi[2] = {s, cst_i64(g, "idx0", 0, NULL, &zero)};
    int32_t n0 = val(g, "n0", DT_INT64, 0, NULL);
    ir_node_add_attr(g, node1(g, "Gather", gi, 2, n0), "axis", IR_ATTR_INT)->i = 0;
    int32_t ui[2] = {n0, cst_i64(g, "axes0", 1, &one, &zero)};
    int32_t n1 = val(g, "n1", DT_INT64, 1, &one);
    node1(g, "Unsqueeze", ui, 2, n1);
    int32_t ci[2] = {n1, cst_i64(g, "m1", 1, &one, &minus1)};
    int32_t shp = val(g, "shp", DT_INT64, 1, &two);
    ir_node_add_attr(g, node1(g, "Concat", ci, 2, shp), "axis", IR_ATTR_INT)->i = 0;
    int32_t ri[2] = {x, shp};
    int64_t yd[] = {2, 12};
    int32_t y = val(g, "y", DT_FLOAT, 2, yd);
    node1(g, "Reshape", ri, 2, y);
    ir_graph_add_output(g, y);
    CU_ASSERT_EQUAL_FATAL(run(g, NULL), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(g->nnodes, 1);
    CU_ASSERT_STRING_EQUAL(g->nodes[0].op_type, "Reshape");
    int32_t sv = g->nodes[0].inputs[1];
    CU_ASSERT_FATAL(g->values[sv].flags & IR_VAL_CONST);
    CU_ASSERT_EQUAL(g->values[sv].dtype, DT_INT64);
    CU_ASSERT_EQUAL_FATAL(g->values[sv].shape.rank, 1);
    CU_ASSERT_EQUAL_FATAL(g->values[sv].shape.dims[0], 2);
    CU_ASSERT_EQUAL(i64(g, sv)[0], 2);
    CU_ASSERT_EQUAL(i64(g, sv)[1], -1);
    /* only x, the folded shape and y remain */
    CU_ASSERT_EQUAL(g->nvalues, 3);
    CU_ASSERT_EQUAL(ir_value_find(g, "idx0"), -1);
    ir_graph_free(g);
}

/* Shape of a value with an unknown dim folds only the known part (start/end). */
static void test_shape_symbolic(void)
{
    IrGraph *g = ir_graph_new();
    int64_t xd[] = {-1, 3, 4}, two = 2, three = 3;
    int32_t x = val(g, "x", DT_FLOAT, 3, xd);
    ir_graph_add_input(g, x);
    int32_t s = val(g, "s", DT_INT64, 1, &three), t = val(g, "t", DT_INT64, 1, &two);
    node1(g, "Shape", &x, 1, s);
    int32_t n = node1(g, "Shape", &x, 1, t);
    ir_node_add_attr(g, n, "start", IR_ATTR_INT)->i = 1;
    int32_t ri[2] = {s, t};
    int32_t y = val(g, "y", DT_INT64, 1, &three);
    node1(g, "Add", ri, 2, y); /* broadcasting mismatch is irrelevant: s never folds */
    ir_graph_add_output(g, y);
    CU_ASSERT_EQUAL_FATAL(run(g, "fold,dce"), DLA_OK);
    CU_ASSERT_EQUAL(count_op(g, "Shape"), 1);
    t = ir_value_find(g, "t");
    CU_ASSERT_FATAL(g->values[t].flags & IR_VAL_CONST);
    CU_ASSERT_EQUAL(i64(g, t)[0], 3);
    CU_ASSERT_EQUAL(i64(g, t)[1], 4);
    ir_graph_free(g);
}

/* y feeds an opaque sink, a graph output, so that the passes keep it live. */
static void add_sink(IrGraph *g, int32_t y)
{
    int64_t one = 1;
    int32_t sink = val(g, "sink", DT_FLOAT, 1, &one);
    ir_node_add(g, "sink", "Opaque", "", &y, 1, &sink, 1);
    ir_graph_add_output(g, sink);
}

/* Fold one node over constant inputs and return its output value (or -1). */
static int32_t fold1(IrGraph *g, const char *op, const int32_t *in, int nin, int32_t out)
{
    int32_t n = node1(g, op, in, nin, out);
    (void)n;
    add_sink(g, out); /* the sink node is opaque to folding */
    const char *name = g->values[out].name; /* arena string: survives DCE renumbering */
    if (run(g, "fold,dce") != DLA_OK)
        return -1;
    return ir_value_find(g, name);
}

static void test_fold_slice_transpose(void)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    int64_t d[] = {2, 3}, k = 1, six[] = {0, 1, 2, 3, 4, 5};
    int32_t x = cst_i64(g, "x", 2, d, six);
    int64_t st = -1, en = -100, ax = 1, sp = -2;
    int32_t si[5] = {x, cst_i64(g, "st", 1, &k, &st), cst_i64(g, "en", 1, &k, &en),
                     cst_i64(g, "ax", 1, &k, &ax), cst_i64(g, "sp", 1, &k, &sp)};
    int32_t y = val(g, "y", DT_INT64, -1, NULL);
    int32_t v = fold1(g, "Slice", si, 5, y);
    CU_ASSERT_FATAL(v >= 0 && (g->values[v].flags & IR_VAL_CONST));
    /* columns 2, 0 of [[0,1,2],[3,4,5]] */
    CU_ASSERT_EQUAL(g->values[v].shape.rank, 2);
    CU_ASSERT_EQUAL(g->values[v].shape.dims[1], 2);
    const int64_t *p = i64(g, v);
    CU_ASSERT(p[0] == 2 && p[1] == 0 && p[2] == 5 && p[3] == 3);
    ir_graph_free(g);

    g = ir_graph_new();
    x = cst_i64(g, "x", 2, d, six);
    y = val(g, "y", DT_INT64, -1, NULL);
    v = fold1(g, "Transpose", &x, 1, y); /* default perm reverses the dims */
    CU_ASSERT_FATAL(v >= 0 && (g->values[v].flags & IR_VAL_CONST));
    CU_ASSERT(g->values[v].shape.dims[0] == 3 && g->values[v].shape.dims[1] == 2);
    p = i64(g, v);
    CU_ASSERT(p[0] == 0 && p[1] == 3 && p[2] == 1 && p[3] == 4 && p[4] == 2 && p[5] == 5);
    ir_graph_free(g);
}

static void test_fold_arith(void)
{
    IrGraph *g = ir_graph_new();
    int64_t d2[] = {2, 1}, d3 = 3, a[] = {10, -7}, b[] = {3, -2, 5};
    int32_t in[2] = {cst_i64(g, "a", 2, d2, a), cst_i64(g, "b", 1, &d3, b)};
    int32_t y = val(g, "y", DT_INT64, -1, NULL);
    int32_t v = fold1(g, "Div", in, 2, y);
    CU_ASSERT_FATAL(v >= 0 && (g->values[v].flags & IR_VAL_CONST));
    CU_ASSERT(g->values[v].shape.dims[0] == 2 && g->values[v].shape.dims[1] == 3);
    const int64_t *p = i64(g, v);
    /* truncating integer division, broadcast [2,1] x [3] -> [2,3] */
    CU_ASSERT(p[0] == 3 && p[1] == -5 && p[2] == 2 && p[3] == -2 && p[4] == 3 && p[5] == -1);
    ir_graph_free(g);

    /* integer division by zero is not a constant: the node stays */
    g = ir_graph_new();
    int64_t z[] = {0, 1, 2};
    int32_t in2[2] = {cst_i64(g, "a", 1, &d3, b), cst_i64(g, "b", 1, &d3, z)};
    y = val(g, "y", DT_INT64, -1, NULL);
    fold1(g, "Div", in2, 2, y);
    CU_ASSERT_EQUAL(count_op(g, "Div"), 1);
    ir_graph_free(g);

    /* float Mul, Cast to int64 (truncation), Equal + Where */
    g = ir_graph_new();
    float fa[] = {1.5f, -2.25f, 3.0f}, fb[] = {2.0f};
    int64_t one = 1;
    int32_t fin[2] = {cst_f32(g, "fa", 1, &d3, fa), cst_f32(g, "fb", 1, &one, fb)};
    int32_t m = val(g, "m", DT_FLOAT, -1, NULL), c = val(g, "c", DT_INT64, -1, NULL);
    node1(g, "Mul", fin, 2, m);
    int32_t cn = node1(g, "Cast", &m, 1, c);
    ir_node_add_attr(g, cn, "to", IR_ATTR_INT)->i = DT_INT64;
    int32_t eq = val(g, "eq", DT_BOOL, -1, NULL);
    int64_t three = 3;
    int32_t ein[2] = {c, cst_i64(g, "three", 0, NULL, &three)};
    node1(g, "Equal", ein, 2, eq);
    int64_t big = 100, small = -100;
    int32_t win[3] = {eq, cst_i64(g, "big", 0, NULL, &big), cst_i64(g, "small", 0, NULL, &small)};
    int32_t w = val(g, "w", DT_INT64, -1, NULL);
    v = fold1(g, "Where", win, 3, w);
    CU_ASSERT_FATAL(v >= 0 && (g->values[v].flags & IR_VAL_CONST));
    CU_ASSERT_EQUAL(g->nnodes, 1); /* only the opaque sink */
    p = i64(g, v);
    /* m = [3, -4.5, 6] -> c = [3, -4, 6] -> eq = [1,0,0] */
    CU_ASSERT(p[0] == 100 && p[1] == -100 && p[2] == -100);
    ir_graph_free(g);
}

static void test_fold_generators(void)
{
    IrGraph *g = ir_graph_new();
    int64_t s = 1, l = 10, dl = 4;
    int32_t in[3] = {cst_i64(g, "s", 0, NULL, &s), cst_i64(g, "l", 0, NULL, &l), cst_i64(g, "d", 0, NULL, &dl)};
    int32_t y = val(g, "y", DT_INT64, -1, NULL);
    int32_t v = fold1(g, "Range", in, 3, y);
    CU_ASSERT_FATAL(v >= 0 && (g->values[v].flags & IR_VAL_CONST));
    CU_ASSERT_EQUAL(g->values[v].shape.dims[0], 3); /* 1, 5, 9 */
    CU_ASSERT(i64(g, v)[2] == 9);
    ir_graph_free(g);

    g = ir_graph_new();
    int64_t two = 2, shp[] = {2, 3};
    int32_t sv = cst_i64(g, "shp", 1, &two, shp);
    y = val(g, "y", DT_FLOAT, -1, NULL);
    int32_t n = node1(g, "ConstantOfShape", &sv, 1, y);
    IrAttr *a = ir_node_add_attr(g, n, "value", IR_ATTR_TENSOR);
    a->t = dla_arena_alloc(&g->arena, sizeof *a->t);
    a->t->dtype = DT_FLOAT;
    int64_t one = 1;
    a->t->shape = ir_shape_make(1, &one);
    static float seven = 7.0f;
    a->t->data = &seven;
    a->t->nbytes = 4;
    add_sink(g, y);
    CU_ASSERT_EQUAL_FATAL(run(g, "fold,dce"), DLA_OK);
    v = ir_value_find(g, "y");
    CU_ASSERT_FATAL(v >= 0 && (g->values[v].flags & IR_VAL_CONST));
    CU_ASSERT_EQUAL(ir_shape_numel(&g->values[v].shape), 6);
    CU_ASSERT_EQUAL(f32(g, v)[5], 7.0f);
    ir_graph_free(g);
}

/* Folding g, where y feeds a sink, must fail as a user error whose message
 * names op and contains msg; frees g. */
static void expect_fold_error(IrGraph *g, int32_t y, const char *op, const char *msg)
{
    add_sink(g, y);
    PassContext ctx = {.passes = "fold"};
    DlaError err = {0};
    CU_ASSERT_EQUAL(pipeline(g, &ctx, &err), DLA_ERR_INVALID);
    CU_ASSERT(strstr(err.msg, op) && strstr(err.msg, msg));
    ir_graph_free(g);
}

/* A malformed constant computation is a user error naming the node, not a crash. */
static void test_fold_errors(void)
{
    IrGraph *g = ir_graph_new();
    int64_t three = 3, data[] = {1, 2, 3}, idx = 5;
    int32_t in[2] = {cst_i64(g, "d", 1, &three, data), cst_i64(g, "i", 0, NULL, &idx)};
    int32_t y = val(g, "y", DT_INT64, -1, NULL);
    node1(g, "Gather", in, 2, y);
    expect_fold_error(g, y, "Gather", "index out of range");
}


/* Older attribute forms, Squeeze without axes, Flatten, Size, and the size limit. */
static void test_fold_forms(void)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 9);
    int64_t d[] = {1, 3, 1}, data[] = {7, 8, 9};
    int32_t x = cst_i64(g, "x", 3, d, data);
    int32_t a = val(g, "a", DT_INT64, -1, NULL), b = val(g, "b", DT_INT64, -1, NULL);
    int32_t c = val(g, "c", DT_INT64, -1, NULL), e = val(g, "e", DT_INT64, -1, NULL);
    node1(g, "Squeeze", &x, 1, a); /* no axes: drop every 1 -> [3] */
    int32_t n = node1(g, "Unsqueeze", &a, 1, b);
    int64_t ax[] = {0, -1};
    IrAttr *at = ir_node_add_attr(g, n, "axes", IR_ATTR_INTS); /* opset < 13 form */
    at->n = 2;
    at->ints = ax;
    n = node1(g, "Slice", &b, 1, c); /* opset < 10 form: [1,3,1] -> [1,2,1] */
    int64_t st[] = {1}, en[] = {INT64_MAX}, axs[] = {1};
    at = ir_node_add_attr(g, n, "starts", IR_ATTR_INTS);
    at->n = 1, at->ints = st;
    at = ir_node_add_attr(g, n, "ends", IR_ATTR_INTS);
    at->n = 1, at->ints = en;
    at = ir_node_add_attr(g, n, "axes", IR_ATTR_INTS);
    at->n = 1, at->ints = axs;
    node1(g, "Flatten", &c, 1, e); /* axis 1: [1, 2] */
    int32_t sz = val(g, "sz", DT_INT64, -1, NULL);
    node1(g, "Size", &e, 1, sz);
    int32_t in[2] = {e, sz};
    int32_t y = val(g, "y", DT_INT64, -1, NULL);
    int32_t v = fold1(g, "Mul", in, 2, y);
    CU_ASSERT_FATAL(v >= 0 && (g->values[v].flags & IR_VAL_CONST));
    CU_ASSERT_EQUAL(g->values[v].shape.rank, 2);
    CU_ASSERT(g->values[v].shape.dims[0] == 1 && g->values[v].shape.dims[1] == 2);
    CU_ASSERT(i64(g, v)[0] == 16 && i64(g, v)[1] == 18); /* [8,9] * size 2 */
    CU_ASSERT_EQUAL(g->nnodes, 1);
    ir_graph_free(g);

    /* ConstantOfShape larger than the limit stays a node */
    g = ir_graph_new();
    int64_t two = 2, big[] = {1024, 1024};
    int32_t sv = cst_i64(g, "shp", 1, &two, big);
    y = val(g, "y", DT_FLOAT, -1, NULL);
    fold1(g, "ConstantOfShape", &sv, 1, y);
    CU_ASSERT_EQUAL(count_op(g, "ConstantOfShape"), 1);
    ir_graph_free(g);

    /* a Reshape whose constant shape changes the element count is a user error */
    g = ir_graph_new();
    int64_t three = 3, bad_shape[] = {2, 2};
    int32_t rin[2] = {cst_i64(g, "x", 1, &three, data), cst_i64(g, "s", 1, &two, bad_shape)};
    y = val(g, "y", DT_INT64, -1, NULL);
    node1(g, "Reshape", rin, 2, y);
    expect_fold_error(g, y, "Reshape", "");

    /* a constant whose byte size disagrees with its shape (an invalid graph,
     * which debug builds' verifier reports after the pass) is never read */
    g = ir_graph_new();
    x = val(g, "x", DT_INT64, 1, &three);
    ir_value_set_data(g, x, data, 16); /* 2 elements for a [3] shape */
    y = val(g, "y", DT_INT64, -1, NULL);
    node1(g, "Identity", &x, 1, y);
    add_sink(g, y);
    PassContext ctx = {.passes = "fold"};
    DlaError err = {0};
    pipeline(g, &ctx, &err);
    CU_ASSERT_EQUAL(count_op(g, "Identity"), 1);
    CU_ASSERT(!(g->values[y].flags & IR_VAL_CONST));
    ir_graph_free(g);
}

/* ---- dead code, pipeline plumbing ---- */

static void test_dce(void)
{
    IrGraph *g = ir_graph_new();
    int64_t d[] = {4};
    float w[] = {1, 2, 3, 4};
    int32_t x = val(g, "x", DT_FLOAT, 1, d), unused_in = val(g, "unused_in", DT_FLOAT, 1, d);
    ir_graph_add_input(g, x);
    ir_graph_add_input(g, unused_in);
    int32_t wv = cst_f32(g, "w", 1, d, w);
    cst_f32(g, "lonely", 1, d, w);
    int32_t a = val(g, "a", DT_FLOAT, 1, d), b = val(g, "b", DT_FLOAT, 1, d), y = val(g, "y", DT_FLOAT, 1, d);
    int32_t ai[2] = {x, wv};
    node1(g, "Add", ai, 2, a);  /* dead chain: a -> b */
    node1(g, "Relu", &a, 1, b);
    node1(g, "Relu", &x, 1, y);
    ir_graph_add_output(g, y);
    CU_ASSERT_EQUAL_FATAL(run(g, "dce"), DLA_OK);
    CU_ASSERT_EQUAL(g->nnodes, 1);
    CU_ASSERT_EQUAL(g->nvalues, 3); /* x, unused_in, y */
    CU_ASSERT_EQUAL(ir_value_find(g, "w"), -1);
    CU_ASSERT_EQUAL(ir_value_find(g, "lonely"), -1);
    int32_t nx = ir_value_find(g, "x"), ny = ir_value_find(g, "y");
    CU_ASSERT(nx >= 0 && ny >= 0 && ir_value_find(g, "unused_in") >= 0);
    CU_ASSERT_EQUAL(g->nodes[0].inputs[0], nx);
    CU_ASSERT_EQUAL(g->nodes[0].outputs[0], ny);
    CU_ASSERT_EQUAL(g->outputs[0], ny);
    CU_ASSERT_EQUAL(g->inputs[0], nx);
    CU_ASSERT_EQUAL(g->values[ny].producer, 0);
    ir_graph_free(g);
}

static void test_pipeline_plumbing(void)
{
    CU_ASSERT_EQUAL(pass_lookup("fold"), PASS_FOLD);
    CU_ASSERT_EQUAL(pass_lookup("nope"), -1);
    CU_ASSERT_STRING_EQUAL(pass_name(PASS_DCE), "dce");
    IrGraph *g = conv_bn(1, 1e-5f);
    PassContext ctx = {.passes = "fold,nope"};
    DlaError err = {0};
    CU_ASSERT_EQUAL(pipeline(g, &ctx, &err), DLA_ERR_INVALID);
    CU_ASSERT(strstr(err.msg, "nope") != NULL);
    ctx.passes = "fold,,dce";
    CU_ASSERT_EQUAL(pipeline(g, &ctx, &err), DLA_ERR_INVALID);
    ctx.passes = NULL;
    ctx.dump_after = "nope";
    CU_ASSERT_EQUAL(pipeline(g, &ctx, &err), DLA_ERR_INVALID);

    const char *names[8];
    int32_t counts[8];
    CU_ASSERT_EQUAL(pass_count_ops(g, names, counts, 8), 2);
    CU_ASSERT_STRING_EQUAL(names[0], "BatchNormalization");
    CU_ASSERT_EQUAL(counts[1], 1);

    /* --dump-after=bn-fold writes the IR after that pass, and only that one */
    FILE *f = tmpfile();
    CU_ASSERT_FATAL(f != NULL);
    ctx.dump_after = "bn-fold";
    ctx.dump_file = f;
    dla_error_clear(&err);
    CU_ASSERT_EQUAL_FATAL(pipeline(g, &ctx, &err), DLA_OK);
    long len = ftell(f);
    CU_ASSERT(len > 0);
    rewind(f);
    char *buf = calloc(1, (size_t)len + 1);
    CU_ASSERT_EQUAL(fread(buf, 1, (size_t)len, f), (size_t)len);
    CU_ASSERT(strstr(buf, "after pass 'bn-fold'") != NULL);
    CU_ASSERT(strstr(buf, "after pass 'dce'") == NULL);
    CU_ASSERT(strstr(buf, "Conv") != NULL);
    free(buf);
    fclose(f);
    ir_graph_free(g);

    /* per-pass statistics come back as structs; --stats prints exactly those */
    g = conv_bn(1, 1e-5f);
    PassStatsList stats;
    FILE *sf = tmpfile(), *pf = tmpfile();
    CU_ASSERT_FATAL(sf && pf);
    PassContext sc = {.passes = "fold,bn-fold,dce", .stats = &stats, .stats_file = sf};
    CU_ASSERT_EQUAL_FATAL(pipeline(g, &sc, &err), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(stats.n, 3);
    CU_ASSERT(stats.pass[0].id == PASS_FOLD && stats.pass[1].id == PASS_BN_FOLD && stats.pass[2].id == PASS_DCE);
    CU_ASSERT_STRING_EQUAL(stats.pass[1].name, "bn-fold");
    CU_ASSERT_EQUAL(stats.pass[0].nodes_before, 2); /* Conv, BatchNormalization */
    CU_ASSERT_EQUAL(stats.pass[2].nodes_after, 1);  /* the Conv */
    CU_ASSERT_EQUAL(stats.pass[2].values, g->nvalues);
    for (int32_t i = 0; i < stats.n; i++) {
        CU_ASSERT(stats.pass[i].cpu_ms >= 0);
        if (i)
            CU_ASSERT_EQUAL(stats.pass[i].nodes_before, stats.pass[i - 1].nodes_after);
        pass_stats_print(&stats.pass[i], pf);
    }
    char text[2][1024] = {{0}};
    FILE *fs[2] = {sf, pf};
    for (int k = 0; k < 2; k++) {
        rewind(fs[k]);
        CU_ASSERT(fread(text[k], 1, sizeof text[k] - 1, fs[k]) > 0);
        fclose(fs[k]);
    }
    CU_ASSERT_STRING_EQUAL(text[0], text[1]);
    CU_ASSERT(strncmp(text[0], "pass fold ", 10) == 0);
    /* a failing pass list leaves an empty list */
    sc.passes = "nope";
    sc.stats_file = NULL;
    CU_ASSERT_EQUAL(pipeline(g, &sc, &err), DLA_ERR_INVALID);
    CU_ASSERT_EQUAL(stats.n, 0);
    ir_graph_free(g);
}

void dla_register_tests(void)
{
    DLA_SUITE("passes_canon", {"conv_bn_bias", test_conv_bn_bias}, {"conv_bn_nobias", test_conv_bn_nobias},
              {"conv_bn_shared", test_conv_bn_shared}, {"identity", test_identity},
              {"identity_interface", test_identity_interface}, {"shape_chain", test_shape_chain},
              {"shape_symbolic", test_shape_symbolic}, {"fold_slice_transpose", test_fold_slice_transpose},
              {"fold_arith", test_fold_arith}, {"fold_generators", test_fold_generators},
              {"fold_errors", test_fold_errors}, {"fold_forms", test_fold_forms}, {"dce", test_dce},
              {"pipeline_plumbing", test_pipeline_plumbing});
}
