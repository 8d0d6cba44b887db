/* test_graph.c - IrGraph basics: values, names, nodes, attributes, data ownership. */
#include "dla_test.h"
#include "ir.h"

#include <string.h>

static void test_values(void)
{
    IrGraph *g = ir_graph_new();
    int64_t d[] = {1, 3, 224, 224};
    IrShape s = ir_shape_make(4, d);
    int32_t a = ir_value_add(g, "x", DT_FLOAT, &s);
    CU_ASSERT_EQUAL(a, 0);
    CU_ASSERT_EQUAL(ir_value_add(g, "x", DT_FLOAT, &s), -1); /* duplicate name */
    for (int i = 0; i < 1000; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "v%d", i);
        CU_ASSERT_EQUAL(ir_value_add(g, nm, DT_INT8, NULL), i + 1);
    }
    CU_ASSERT_EQUAL(ir_value_find(g, "v999"), 1000);
    CU_ASSERT_EQUAL(ir_value_find(g, "nope"), -1);
    CU_ASSERT_STRING_EQUAL(ir_unique_name(g, "x"), "x_1");
    CU_ASSERT_EQUAL(ir_shape_numel(&g->values[a].shape), 1 * 3 * 224 * 224);
    char buf[64];
    CU_ASSERT_STRING_EQUAL(ir_shape_str(&g->values[a].shape, buf, sizeof buf), "[1,3,224,224]");
    float data[4] = {1, 2, 3, 4};
    ir_value_set_data(g, a, data, sizeof data);
    CU_ASSERT(g->values[a].flags & IR_VAL_CONST);
    CU_ASSERT_EQUAL(((float *)g->values[a].data)[3], 4.0f);
    ir_graph_free(g);
}

static void test_nodes(void)
{
    IrGraph *g = ir_graph_new();
    int32_t x = ir_value_add(g, "x", DT_FLOAT, NULL);
    int32_t y = ir_value_add(g, "y", DT_FLOAT, NULL);
    int32_t n = ir_node_add(g, "relu0", "Relu", "", &x, 1, &y, 1);
    CU_ASSERT_EQUAL(g->nodes[n].op, OP_RELU);
    CU_ASSERT_EQUAL(g->values[y].producer, n);
    int32_t m = ir_node_add(g, "what", "NoSuchOp", "", &x, 1, &y, 1);
    CU_ASSERT_EQUAL(g->nodes[m].op, OP_UNKNOWN);
    IrAttr *at = ir_node_add_attr(g, n, "alpha", IR_ATTR_FLOAT);
    at->f = 0.5f;
    CU_ASSERT_EQUAL(ir_attr_float(g, n, "alpha", 1.0f), 0.5f);
    CU_ASSERT_EQUAL(ir_attr_int(g, n, "alpha", 7), 7); /* wrong type -> default */
    ir_graph_set_opset(g, "", 13);
    CU_ASSERT_EQUAL(ir_graph_opset(g, "ai.onnx"), 13);
    g->nodes[m].dead = 1;
    ir_graph_compact(g);
    CU_ASSERT_EQUAL(g->nnodes, 1);
    ir_graph_free(g);
}

void dla_register_tests(void)
{
    DLA_SUITE("ir_graph", {"values", test_values}, {"nodes", test_nodes});
}
