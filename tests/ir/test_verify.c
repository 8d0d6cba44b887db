/* test_verify.c - ir_verify accepts a valid graph and rejects each kind of
 * broken graph with a message that names the culprit. Each case builds a fresh
 * valid graph, breaks one thing, and checks the message. */
#include "dla_test.h"
#include "ir.h"
#include "text.h"
#include "verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* x (input, [N,4]) --Relu--> r --Add(r, c)--> y (output); c constant [4]; If
 * node with a body that refers to r from the outer scope. */
typedef struct G {
    IrGraph *g;
    int32_t x, c, r, y, z, relu, add, iff;
    IrGraph *body;
} G;

static G make(void)
{
    G t;
    IrGraph *g = t.g = ir_graph_new();
    g->name = "v";
    ir_graph_set_opset(g, "", 13);
    int64_t d[] = {-1, 4};
    IrShape s = ir_shape_make(2, d);
    s.sym[0] = "N";
    t.x = ir_value_add(g, "x", DT_FLOAT, &s);
    ir_graph_add_input(g, t.x);
    IrShape s4 = ir_shape_make(1, (int64_t[]){4});
    t.c = ir_value_add(g, "c", DT_FLOAT, &s4);
    float cd[4] = {1, 2, 3, 4};
    ir_value_set_data(g, t.c, cd, sizeof cd);
    t.r = ir_value_add(g, "r", DT_FLOAT, &s);
    t.relu = ir_node_add(g, "relu", "Relu", "", &t.x, 1, &t.r, 1);
    t.y = ir_value_add(g, "y", DT_FLOAT, &s);
    t.add = ir_node_add(g, "add", "Add", "", (int32_t[]){t.r, t.c}, 2, &t.y, 1);
    ir_node_add_attr(g, t.add, "k", IR_ATTR_INTS)->n = 0;
    ir_graph_add_output(g, t.y);
    IrShape sc = ir_shape_make(0, NULL);
    int32_t cond = ir_value_add(g, "cond", DT_BOOL, &sc);
    ir_value_set_data(g, cond, "\1", 1);
    t.z = ir_value_add(g, "z", DT_FLOAT, &s);
    t.iff = ir_node_add(g, "if", "If", "", &cond, 1, &t.z, 1);
    IrGraph *b = t.body = ir_graph_new();
    b->parent = g;
    b->name = "then";
    int32_t o = ir_value_add(b, "r", DT_FLOAT, &s);
    b->values[o].flags |= IR_VAL_OUTER;
    int32_t bo = ir_value_add(b, "bo", DT_FLOAT, &s);
    ir_node_add(b, "neg", "Neg", "", &o, 1, &bo, 1);
    ir_graph_add_output(b, bo);
    ir_node_add_attr(g, t.iff, "then_branch", IR_ATTR_GRAPH)->g = b;
    ir_graph_add_output(g, t.z);
    return t;
}

static void expect_invalid(G *t, const char *want)
{
    DlaError err = {0};
    DlaStatus st = ir_verify(t->g, &err);
    CU_ASSERT_EQUAL(st, DLA_ERR_INVALID);
    if (!strstr(err.msg, want)) {
        fprintf(stderr, "wanted '%s' in '%s'\n", want, err.msg);
        CU_FAIL("verifier message");
    }
    /* the printer must cope with broken graphs too (for debugging dumps) */
    char *text = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(ir_print_string(t->g, NULL, &text, &n, NULL), DLA_OK);
    CU_ASSERT(n > 0);
    free(text);
    ir_graph_free(t->g);
}

static void test_valid(void)
{
    G t = make();
    /* a produced value may carry data folded by shape inference */
    ir_value_set_data(t.g, t.r, (float[]){1, 2, 3, 4, 5, 6, 7, 8}, 32);
    DlaError err = {0};
    DlaStatus st = ir_verify(t.g, &err);
    if (st)
        fprintf(stderr, "%s\n", err.msg);
    CU_ASSERT_EQUAL(st, DLA_OK);
    ir_graph_free(t.g);
}

static void test_index_range(void)
{
    G t = make();
    t.g->nodes[t.add].inputs[1] = 99;
    expect_invalid(&t, "node 1 \"add\" (Add): input 1: value index 99 out of range");
    t = make();
    t.g->nodes[t.add].inputs[0] = -2;
    expect_invalid(&t, "input 0: value index -2 out of range");
    t = make();
    t.g->nodes[t.add].outputs[0] = 1000;
    t.g->values[t.y].producer = -1;
    expect_invalid(&t, "output 0: value index 1000 out of range");
    t = make();
    t.g->values[t.r].producer = 17;
    expect_invalid(&t, "value %r: producer index 17 out of range");
    t = make();
    t.g->inputs[0] = 55;
    expect_invalid(&t, "graph input 0: value index 55 out of range");
    t = make();
    t.g->outputs[0] = -1;
    expect_invalid(&t, "graph output 0: value index -1 out of range");
}

static void test_producers(void)
{
    G t = make();
    t.g->values[t.r].producer = t.add; /* node 1 does not output r */
    expect_invalid(&t, "value %r: its producer node 1 \"add\" (Add) does not list it as an output");
    t = make();
    int32_t yr[] = {t.y, t.r}; /* r now claimed by two nodes */
    t.g->nodes[t.add].outputs = yr;
    t.g->nodes[t.add].noutputs = 2;
    t.g->values[t.r].producer = t.add;
    expect_invalid(&t, "node 0 \"relu\" (Relu): output 0 %r has producer 1, not this node");
    t = make();
    t.g->values[t.x].producer = t.relu; /* an input with a producer */
    expect_invalid(&t, "produced by node 0 but also an input");
    t = make();
    t.g->values[t.r].producer = -1; /* used but never defined */
    t.g->nodes[t.relu].outputs[0] = -1;
    expect_invalid(&t, "input 0 %r is never defined");
    t = make();
    int32_t two[] = {t.y, t.y};
    t.g->nodes[t.add].outputs = two;
    t.g->nodes[t.add].noutputs = 2;
    expect_invalid(&t, "output %y listed twice");
}

static void test_topological_order(void)
{
    G t = make();
    IrNode tmp = t.g->nodes[0];
    t.g->nodes[0] = t.g->nodes[1];
    t.g->nodes[1] = tmp;
    t.g->values[t.r].producer = 1;
    t.g->values[t.y].producer = 0;
    expect_invalid(&t, "node 0 \"add\" (Add): input 0 %r is produced by node 1: nodes are not in topological order");
    t = make();
    t.g->nodes[t.relu].inputs[0] = t.r; /* a node consuming its own output */
    expect_invalid(&t, "node 0 \"relu\" (Relu): input 0 %r is produced by node 0");
    t = make();
    t.g->nodes[t.relu].dead = 1;
    expect_invalid(&t, "input 0 %r comes from dead node 0");
}

static void test_graph_io(void)
{
    G t = make();
    t.g->values[t.x].flags &= ~(uint32_t)IR_VAL_INPUT;
    expect_invalid(&t, "node 0 \"relu\" (Relu): input 0 %x is never defined");
    t = make();
    t.g->values[t.x].flags &= ~(uint32_t)IR_VAL_INPUT;
    ir_value_set_data(t.g, t.x, (float[]){1, 2, 3, 4}, 16);
    expect_invalid(&t, "graph input %x lacks the input flag");
    t = make();
    t.g->values[t.r].flags |= IR_VAL_OUTPUT;
    expect_invalid(&t, "value %r has the output flag but is not a graph output");
    t = make();
    ir_graph_add_input(t.g, t.x);
    expect_invalid(&t, "graph input %x listed twice");
    t = make();
    int32_t u = ir_value_add(t.g, "undefined_out", DT_FLOAT, NULL);
    ir_graph_add_output(t.g, u);
    expect_invalid(&t, "graph output %undefined_out is never defined");
}

static void test_values(void)
{
    G t = make();
    t.g->values[t.c].nbytes = 12;
    expect_invalid(&t, "value %c: data has 12 bytes, its float32 shape needs 16");
    t = make();
    t.g->values[t.c].data = NULL;
    expect_invalid(&t, "value %c: 16 bytes of data but no data pointer");
    t = make();
    t.g->values[t.c].dtype = (IrDtype)99;
    expect_invalid(&t, "value %c: invalid element type 99");
    t = make();
    t.g->values[t.c].shape.rank = 9;
    expect_invalid(&t, "value %c: rank out of range");
    t = make();
    t.g->values[t.c].name = "x"; /* duplicate name */
    expect_invalid(&t, "value %x (index 1): name is not unique");
    t = make();
    t.g->values[t.c].flags |= 1u << 12;
    expect_invalid(&t, "unknown flag bits 0x1000");
    t = make();
    t.g->values[t.c].flags |= IR_VAL_ELIDED;
    expect_invalid(&t, "both constant and elided");
    t = make();
    t.g->values[t.r].flags |= IR_VAL_OUTER;
    expect_invalid(&t, "value %r: produced by node 0 but also an input or outer value");
    t = make();
    t.g->values[t.y].layout = IR_LAYOUT_NCHWc;
    expect_invalid(&t, "value %y: channel-blocked layout needs a block size > 0");
    t = make();
    t.g->values[t.y].layout_block = 8;
    expect_invalid(&t, "value %y: layout block 8 on a layout without blocks");
}

static void test_quant(void)
{
    static float sc[2] = {0.5f, 0.25f};
    static int32_t zp[2] = {0, 0};
    G t = make();
    IrQuant *q = &t.g->values[t.c].quant;
    q->count = 2, q->axis = -1, q->scale = sc, q->zero_point = zp;
    expect_invalid(&t, "value %c: per-tensor quantization with 2 scales");
    t = make();
    q = &t.g->values[t.c].quant;
    q->count = 2, q->axis = 0, q->scale = sc, q->zero_point = zp;
    expect_invalid(&t, "value %c: 2 quantization scales for axis 0 of size 4");
    t = make();
    q = &t.g->values[t.c].quant;
    q->count = 1, q->axis = 3, q->scale = sc, q->zero_point = zp;
    expect_invalid(&t, "quantization axis 3 out of range for rank 1");
    static float bad[1] = {NAN};
    t = make();
    q = &t.g->values[t.c].quant;
    q->count = 1, q->axis = -1, q->scale = bad, q->zero_point = zp;
    expect_invalid(&t, "quantization scale 0 is nan, must be finite and > 0");
}

static void test_nodes_and_attrs(void)
{
    G t = make();
    t.g->nodes[t.add].op = OP_RELU;
    expect_invalid(&t, "node 1 \"add\" (Add): op code");
    t = make();
    t.g->nodes[t.add].device = 2;
    expect_invalid(&t, "node 1 \"add\" (Add): device 2 is neither 0 (host) nor 1 (accelerator)");
    t = make();
    t.g->nodes[t.add].op_type = "";
    expect_invalid(&t, "node 1: missing op type");
    t = make();
    t.g->nodes[t.add].attrs[0].type = (IrAttrType)42;
    expect_invalid(&t, "node 1 \"add\" (Add) attribute 'k': invalid attribute type 42");
    t = make();
    t.g->nodes[t.add].attrs[0].n = 3; /* ints NULL */
    expect_invalid(&t, "attribute 'k': list of 3 elements without element array");
    t = make();
    ir_node_add_attr(t.g, t.add, "k", IR_ATTR_INT);
    expect_invalid(&t, "attribute 'k': given twice");
    t = make();
    IrTensor *ten = dla_arena_alloc(&t.g->arena, sizeof *ten);
    ten->dtype = DT_INT32;
    ten->shape = ir_shape_make(1, (int64_t[]){3});
    ten->data = "abcdefgh";
    ten->nbytes = 8;
    ir_node_add_attr(t.g, t.add, "value", IR_ATTR_TENSOR)->t = ten;
    expect_invalid(&t, "attribute 'value': data has 8 bytes, its int32 shape needs 12");
    t = make();
    ir_graph_set_opset(t.g, "x", 0);
    expect_invalid(&t, "opset 1: missing domain or version < 1");
}

static void test_subgraphs(void)
{
    G t = make();
    t.body->parent = NULL;
    expect_invalid(&t, "attribute 'then_branch': subgraph's parent pointer is not the enclosing graph");
    t = make();
    {
        IrGraph *b = ir_graph_new();
        b->parent = t.g;
        b->name = "else";
        int32_t o = ir_value_add(b, "nowhere", DT_FLOAT, NULL);
        b->values[o].flags |= IR_VAL_OUTER;
        ir_graph_add_output(b, o);
        ir_node_add_attr(t.g, t.iff, "else_branch", IR_ATTR_GRAPH)->g = b;
    }
    expect_invalid(&t, "value %nowhere: no enclosing graph has a value of this name");
    t = make();
    t.body->nodes[0].inputs[0] = 7;
    expect_invalid(&t, "graph \"v\": node 2 \"if\" (If) attribute 'then_branch': graph \"then\": node 0 \"neg\" (Neg): input 0: value index 7 out of range");
    t = make();
    t.g->values[t.x].flags |= IR_VAL_OUTER;
    expect_invalid(&t, "value %x: refers to an outer scope, but this is the main graph");
}

void dla_register_tests(void)
{
    DLA_SUITE("ir_verify", {"valid", test_valid}, {"index_range", test_index_range},
              {"producers", test_producers}, {"topological_order", test_topological_order},
              {"graph_io", test_graph_io}, {"values", test_values}, {"quant", test_quant},
              {"nodes_and_attrs", test_nodes_and_attrs}, {"subgraphs", test_subgraphs});
}
