/* test_partition_move.c - partition of the data-movement nodes
 * (passes/partition_move.c): what goes to the accelerator, and the reason
 * strings of what stays on the host. A Conv+Relu on the accelerator produces
 * r [1,8,6,6]; each case adds a node reading r (or a graph input) and a Relu
 * after it (an accelerator consumer: copies only the host reads go back). */
#include "dla_test.h"
#include "ir.h"
#include "passes/passes.h"
#include "passes/quant.h"

#include <stdlib.h>
#include <string.h>

static int32_t val(IrGraph *g, const char *name, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    return ir_value_add(g, name, DT_FLOAT, &s);
}

static int32_t out(IrGraph *g, const char *name) { return ir_value_add(g, name, DT_UNDEFINED, NULL); }

static int32_t cst_f(IrGraph *g, const char *name, int rank, const int64_t *dims)
{
    int32_t v = val(g, name, rank, dims);
    int64_t n = ir_shape_numel(&g->values[v].shape);
    float *d = calloc((size_t)n, sizeof *d);
    for (int64_t i = 0; i < n; i++)
        d[i] = 0.01f * (float)(i % 7) - 0.03f;
    ir_value_set_data(g, v, d, (size_t)n * sizeof *d);
    free(d);
    g->values[v].flags |= IR_VAL_CONST;
    return v;
}

static int32_t cst_i(IrGraph *g, const char *name, int64_t n, const int64_t *d)
{
    int32_t v = ir_value_add(g, name, DT_INT64, NULL);
    IrShape s = ir_shape_make(1, &n);
    g->values[v].shape = s;
    ir_value_set_data(g, v, d, (size_t)n * sizeof *d);
    g->values[v].flags |= IR_VAL_CONST;
    return v;
}

/* x [1,3,6,6] -> Conv(8) -> Relu -> r; z [1,4,6,6] a second graph input. */
static IrGraph *base(int32_t *r, int32_t *z)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    int64_t xd[4] = {1, 3, 6, 6}, wd[4] = {8, 3, 1, 1}, zd[4] = {1, 4, 6, 6};
    int32_t x = val(g, "x", 4, xd);
    ir_graph_add_input(g, x);
    *z = val(g, "z", 4, zd);
    ir_graph_add_input(g, *z);
    int32_t in[2] = {x, cst_f(g, "W", 4, wd)}, c = out(g, "c");
    ir_node_add(g, "conv", "Conv", "", in, 2, &c, 1);
    *r = out(g, "r");
    ir_node_add(g, "relu", "Relu", "", &c, 1, r, 1);
    return g;
}

/* Node `n` of g, then a Relu on its output (tail) or its output a graph
 * output; partition; device and reason. */
static void check_tail(IrGraph *g, int32_t n, int want_dla, const char *why_part, int tail)
{
    int32_t y = g->nodes[n].outputs[0], t = out(g, "tail");
    if (tail) {
        ir_node_add(g, "tail_relu", "Relu", "", &y, 1, &t, 1);
        ir_graph_add_output(g, t);
    } else {
        ir_graph_add_output(g, y);
    }
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.passes = "shapes,partition";
    ctx.quantize = 1;
    DlaError err = {0};
    DlaStatus st = pipeline(g, &ctx, &err);
    if (st)
        fprintf(stderr, "%s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    const char *why = NULL;
    int ok = quant_dla_supported(g, n, &why);
    fprintf(stderr, "  %-10s %s%s%s\n", g->nodes[n].op_type, g->nodes[n].device == IR_DEVICE_DLA ? "DLA" : "host",
            why ? ": " : "", why ? why : "");
    CU_ASSERT_EQUAL(g->nodes[n].device == IR_DEVICE_DLA, want_dla);
    if (tail) /* without an accelerator consumer a supported copy may still go back (quant_move_demote) */
        CU_ASSERT_EQUAL(ok != 0, want_dla);
    if (why_part)
        CU_ASSERT(why && strstr(why, why_part));
    ir_graph_free(g);
}

static void check(IrGraph *g, int32_t n, int want_dla, const char *why_part) { check_tail(g, n, want_dla, why_part, 1); }

static void test_slice(void)
{
    int32_t r, z;
    int64_t st[2] = {1, 0}, en[2] = {7, 5}, ax[2] = {1, 3}, sp[2] = {2, 1};
    IrGraph *g = base(&r, &z);
    int32_t in[5] = {r, cst_i(g, "s", 2, st), cst_i(g, "e", 2, en), cst_i(g, "a", 2, ax), cst_i(g, "p", 2, sp)};
    int32_t y = out(g, "y");
    check(g, ir_node_add(g, "slice", "Slice", "", in, 5, &y, 1), 1, NULL);
    /* a negative step stays on the host */
    int64_t neg[2] = {-1, 1}, st2[2] = {6, 0}, en2[2] = {0, 5};
    g = base(&r, &z);
    int32_t in2[5] = {r, cst_i(g, "s", 2, st2), cst_i(g, "e", 2, en2), cst_i(g, "a", 2, ax), cst_i(g, "p", 2, neg)};
    y = out(g, "y");
    check(g, ir_node_add(g, "slice", "Slice", "", in2, 5, &y, 1), 0, "negative step");
    /* starts not constant */
    g = base(&r, &z);
    int32_t sv = ir_value_add(g, "starts", DT_INT64, NULL);
    IrShape s2 = ir_shape_make(1, (int64_t[]){2});
    g->values[sv].shape = s2;
    ir_graph_add_input(g, sv);
    int32_t in3[3] = {r, sv, cst_i(g, "e", 2, en)};
    y = out(g, "y");
    check(g, ir_node_add(g, "slice", "Slice", "", in3, 3, &y, 1), 0, "not constant");
}

static void test_concat_transpose_reshape(void)
{
    int32_t r, z;
    IrGraph *g = base(&r, &z);
    int32_t in[2] = {r, z}, y = out(g, "y");
    int32_t n = ir_node_add(g, "cat", "Concat", "", in, 2, &y, 1);
    ir_node_add_attr(g, n, "axis", IR_ATTR_INT)->i = 1;
    check(g, n, 1, NULL); /* one input from the accelerator is enough */
    g = base(&r, &z);
    int32_t in2[2] = {z, z};
    y = out(g, "y");
    n = ir_node_add(g, "cat", "Concat", "", in2, 2, &y, 1);
    ir_node_add_attr(g, n, "axis", IR_ATTR_INT)->i = 1;
    check(g, n, 0, "from the host");
    g = base(&r, &z);
    y = out(g, "y");
    n = ir_node_add(g, "tr", "Transpose", "", &r, 1, &y, 1);
    IrAttr *a = ir_node_add_attr(g, n, "perm", IR_ATTR_INTS);
    int64_t perm[4] = {0, 2, 3, 1};
    a->n = 4;
    a->ints = dla_arena_memdup(&g->arena, perm, sizeof perm);
    check(g, n, 1, NULL);
    g = base(&r, &z);
    y = out(g, "y");
    check(g, ir_node_add(g, "tr", "Transpose", "", &z, 1, &y, 1), 0, "from the host");
    /* a graph output and nothing else: the Transpose copy stays (the output's
     * DequantizeLinear is then the only host work); read by a host node
     * (Softmax), it goes back to the host, where the float copy costs what the
     * accelerator's would; a Concat of two accelerator results stays (one
     * boundary, not two) */
    g = base(&r, &z);
    y = out(g, "y");
    n = ir_node_add(g, "tr", "Transpose", "", &r, 1, &y, 1);
    a = ir_node_add_attr(g, n, "perm", IR_ATTR_INTS);
    a->n = 4;
    a->ints = dla_arena_memdup(&g->arena, perm, sizeof perm);
    check_tail(g, n, 1, NULL, 0);
    g = base(&r, &z);
    y = out(g, "y");
    n = ir_node_add(g, "tr", "Transpose", "", &r, 1, &y, 1);
    a = ir_node_add_attr(g, n, "perm", IR_ATTR_INTS);
    a->n = 4;
    a->ints = dla_arena_memdup(&g->arena, perm, sizeof perm);
    {
        int32_t sm = out(g, "sm");
        int32_t k = ir_node_add(g, "softmax", "Softmax", "", &y, 1, &sm, 1);
        ir_node_add_attr(g, k, "axis", IR_ATTR_INT)->i = 1;
        ir_graph_add_output(g, sm);
    }
    {
        PassContext ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.passes = "shapes,partition";
        ctx.quantize = 1;
        DlaError err = {0};
        CU_ASSERT_EQUAL_FATAL(pipeline(g, &ctx, &err), DLA_OK);
        CU_ASSERT_EQUAL(g->nodes[n].device, IR_DEVICE_HOST);
        ir_graph_free(g);
    }
    g = base(&r, &z);
    int32_t r2 = out(g, "r2");
    ir_node_add(g, "relu2", "Relu", "", &r, 1, &r2, 1);
    int32_t in3[2] = {r, r2};
    y = out(g, "y");
    n = ir_node_add(g, "cat", "Concat", "", in3, 2, &y, 1);
    ir_node_add_attr(g, n, "axis", IR_ATTR_INT)->i = 1;
    check_tail(g, n, 1, NULL, 0);
    /* Flatten of NHWC [1,8,6,6]: a copy */
    g = base(&r, &z);
    y = out(g, "y");
    check(g, ir_node_add(g, "fl", "Flatten", "", &r, 1, &y, 1), 1, NULL);
    /* [1,8,6,6] -> [1,3,16,6]: channels and rows regroup unevenly */
    g = base(&r, &z);
    y = out(g, "y");
    int32_t rin[2] = {r, cst_i(g, "shape", 4, (int64_t[]){1, 3, 16, 6})};
    check(g, ir_node_add(g, "rs", "Reshape", "", rin, 2, &y, 1), 0, "regroups");
}

void dla_register_tests(void)
{
    DLA_SUITE("partition data movement", {"slice", test_slice},
              {"concat, transpose, reshape", test_concat_transpose_reshape});
}
