/* test_onnx_graph.c - graph-level semantics of the frontend on hand-built models:
 * initializers listed as inputs, undefined and duplicate names, subgraphs and
 * outer-scope values, nesting limits, model-local function inlining, attribute
 * types, generated node names, and --input-shape parsing and binding. */
#include "dla_test.h"
#include "frontend/onnx.h"
#include "onnx_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static IrGraph *load_ok(Onnx__ModelProto *m)
{
    DlaError err;
    IrGraph *g = ob_load(m, NULL, NULL, &err);
    if (!g)
        fprintf(stderr, "unexpected error: %s\n", err.msg);
    return g;
}

static void expect_error_opt(Onnx__ModelProto *m, const OnnxLoadOptions *opt, DlaStatus code, const char *needle)
{
    DlaError err;
    IrGraph *g = ob_load(m, NULL, opt, &err);
    CU_ASSERT_PTR_NULL(g);
    ir_graph_free(g);
    CU_ASSERT_EQUAL(err.code, code);
    if (!strstr(err.msg, needle)) {
        fprintf(stderr, "expected '%s' in: %s\n", needle, err.msg);
        CU_FAIL("error message");
    }
}

/* expect_error_opt without options; frees the built model. */
static void expect_error(Onnx__ModelProto *m, DlaStatus code, const char *needle)
{
    expect_error_opt(m, NULL, code, needle);
    ob_free_all();
}

/* An opset-13 model whose graph has one input: x, float, shape unknown. */
static Onnx__ModelProto *model_with_x(void)
{
    Onnx__ModelProto *m = ob_model(13);
    OB_PUSH(m->graph->input, m->graph->n_input, ob_vinfo("x", DT_FLOAT, 0, NULL, NULL));
    return m;
}

#define NAMES(...) ((const char *[]){__VA_ARGS__, NULL})

static void add_float_init(Onnx__GraphProto *g, const char *name, float v)
{
    Onnx__TensorProto *t = ob_tensor(name, DT_FLOAT, 1, (int64_t[]){1});
    ob_raw(t, &v, 4);
    OB_PUSH(g->initializer, g->n_initializer, t);
}

static void test_initializer_inputs(void)
{
    Onnx__ModelProto *m = ob_model(13);
    Onnx__GraphProto *g = m->graph;
    add_float_init(g, "w", 3.0f);
    OB_PUSH(g->input, g->n_input, ob_vinfo("x", DT_FLOAT, 1, (int64_t[]){1}, NULL));
    OB_PUSH(g->input, g->n_input, ob_vinfo("w", DT_FLOAT, 1, (int64_t[]){1}, NULL));
    ob_node(g, "add", "Add", NAMES("x", "w"), NAMES("y"));
    OB_PUSH(g->output, g->n_output, ob_vinfo("y", DT_FLOAT, 1, (int64_t[]){1}, NULL));
    OnnxInputShape bind_w = {.name = "w", .rank = 1, .dims = {1}};
    OnnxLoadOptions lo = {&bind_w, 1};
    expect_error_opt(m, &lo, DLA_ERR_INVALID, "names 'w', which is not a graph input but an initializer");
    IrGraph *ir = load_ok(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
    CU_ASSERT_EQUAL(ir->ninputs, 1); /* w is a constant, not an input */
    CU_ASSERT_STRING_EQUAL(ir->values[ir->inputs[0]].name, "x");
    int32_t w = ir_value_find(ir, "w");
    CU_ASSERT((ir->values[w].flags & (IR_VAL_CONST | IR_VAL_INPUT)) == IR_VAL_CONST);
    CU_ASSERT_EQUAL(ir->nodes[0].inputs[1], w);
    CU_ASSERT_EQUAL(ir->values[ir->outputs[0]].dtype, DT_FLOAT);
    CU_ASSERT_STRING_EQUAL(ir->name, "test");
    CU_ASSERT_STRING_EQUAL(ir->source_path, "test.onnx");
    ir_graph_free(ir);
    ob_free_all();
}

static void test_bad_names(void)
{
    Onnx__ModelProto *m = model_with_x();
    ob_node(m->graph, "mynode", "Relu", NAMES("ghost"), NAMES("y"));
    expect_error(m, DLA_ERR_INVALID, "node 'mynode' (Relu): input 'ghost' is not defined");

    m = model_with_x();
    ob_node(m->graph, "a", "Relu", NAMES("x"), NAMES("y"));
    ob_node(m->graph, "b", "Relu", NAMES("x"), NAMES("y"));
    expect_error(m, DLA_ERR_INVALID, "node 'b' (Relu): output 'y' is already defined");

    /* used before it is produced (not topologically sorted) */
    m = model_with_x();
    ob_node(m->graph, "a", "Relu", NAMES("t"), NAMES("y"));
    ob_node(m->graph, "b", "Relu", NAMES("x"), NAMES("t"));
    expect_error(m, DLA_ERR_INVALID, "node 'a' (Relu): input 't' is not defined");

    m = ob_model(13);
    OB_PUSH(m->graph->output, m->graph->n_output, ob_vinfo("nothing", DT_FLOAT, 0, NULL, NULL));
    expect_error(m, DLA_ERR_INVALID, "output 'nothing' is not produced");

    m = ob_model(13);
    ob_node(m->graph, "e", "", NULL, NAMES("y"));
    expect_error(m, DLA_ERR_FORMAT, "node 'e' () has no op_type");

    m = ob_model(13);
    m->graph = NULL;
    expect_error(m, DLA_ERR_FORMAT, "no graph");

    /* declared element type that does not exist */
    m = ob_model(13);
    OB_PUSH(m->graph->input, m->graph->n_input, ob_vinfo("x", 77, 0, NULL, NULL));
    expect_error(m, DLA_ERR_FORMAT, "'x' has unknown element type code 77");
}

/* Unnamed nodes: "<op>_<index>", never colliding with a name the file uses. */
static void test_generated_names(void)
{
    Onnx__ModelProto *m = model_with_x();
    ob_node(m->graph, "Relu_1", "Relu", NAMES("x"), NAMES("a"));
    ob_node(m->graph, NULL, "Relu", NAMES("a"), NAMES("b"));
    ob_node(m->graph, "", "Relu", NAMES("b"), NAMES("c", ""));
    IrGraph *ir = load_ok(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
    CU_ASSERT_STRING_EQUAL(ir->nodes[0].name, "Relu_1");
    CU_ASSERT_STRING_EQUAL(ir->nodes[1].name, "Relu_1_1");
    CU_ASSERT_STRING_EQUAL(ir->nodes[2].name, "Relu_2");
    CU_ASSERT_EQUAL(ir->nodes[2].noutputs, 2);
    CU_ASSERT_EQUAL(ir->nodes[2].outputs[1], -1);
    ir_graph_free(ir);
    ob_free_all();
}

/* If whose branches use an outer value (x) and, in one case, a name defined nowhere. */
static Onnx__ModelProto *if_model(const char *branch_input, int depth)
{
    Onnx__ModelProto *m = ob_model(13);
    OB_PUSH(m->graph->input, m->graph->n_input, ob_vinfo("c", DT_BOOL, 0, NULL, NULL));
    OB_PUSH(m->graph->input, m->graph->n_input,
            ob_vinfo("x", DT_FLOAT, 2, (int64_t[]){-1, 4}, (const char *[]){"N", NULL}));
    Onnx__GraphProto *outer = m->graph;
    const char *result = "y";
    for (int d = 0; d < depth; d++) {
        Onnx__NodeProto *n = ob_node(outer, NULL, "If", NAMES("c"), (const char *[]){result, NULL});
        Onnx__GraphProto *br[2];
        for (int k = 0; k < 2; k++) {
            br[k] = ob_alloc(sizeof *br[k]);
            onnx__graph_proto__init(br[k]);
            br[k]->name = ob_str(k ? "else" : "then");
            OB_PUSH(br[k]->output, br[k]->n_output, ob_vinfo(k ? "e_out" : "t_out", DT_FLOAT, -1, NULL, NULL));
            Onnx__AttributeProto *a = ob_attr(n, k ? "else_branch" : "then_branch",
                                              ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
            a->g = br[k];
        }
        ob_node(br[1], NULL, "Neg", NAMES("x"), NAMES("e_out"));
        if (d == depth - 1) {
            ob_node(br[0], "inner", "Relu", (const char *[]){branch_input, NULL}, NAMES("t_out"));
        }
        outer = br[0];
        result = "t_out";
    }
    OB_PUSH(m->graph->output, m->graph->n_output, ob_vinfo("y", DT_FLOAT, -1, NULL, NULL));
    return m;
}

static void test_subgraphs(void)
{
    IrGraph *ir = load_ok(if_model("x", 1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
    const IrAttr *then = ir_attr_find(ir, 0, "then_branch");
    CU_ASSERT_FATAL(then && then->type == IR_ATTR_GRAPH);
    IrGraph *tg = then->g;
    CU_ASSERT_PTR_EQUAL(tg->parent, ir);
    int32_t x = ir_value_find(tg, "x");
    CU_ASSERT_FATAL(x >= 0);
    CU_ASSERT(tg->values[x].flags & IR_VAL_OUTER);
    CU_ASSERT_EQUAL(tg->values[x].dtype, DT_FLOAT);
    CU_ASSERT_EQUAL(tg->values[x].shape.dims[1], 4);
    CU_ASSERT_STRING_EQUAL(tg->values[x].shape.sym[0], "N");
    CU_ASSERT_EQUAL(tg->ninputs, 0);
    CU_ASSERT_EQUAL(tg->noutputs, 1);
    ir_graph_free(ir);
    ob_free_all();

    expect_error_opt(if_model("nowhere", 1), NULL, DLA_ERR_INVALID,
                     "node 'inner' (Relu): input 'nowhere' is not defined");
    ob_free_all();
    /* a branch cannot use the output of its own If node */
    expect_error_opt(if_model("y", 1), NULL, DLA_ERR_INVALID, "node 'inner' (Relu): input 'y' is not defined");
    ob_free_all();
    /* ... nor, two levels down, the outer If's output */
    expect_error_opt(if_model("y", 3), NULL, DLA_ERR_INVALID, "node 'inner' (Relu): input 'y' is not defined");
    ob_free_all();

    /* nesting: 10 levels load, values from the top are visible all the way down */
    ir = load_ok(if_model("x", 10));
    CU_ASSERT_PTR_NOT_NULL(ir);
    ir_graph_free(ir);
    ob_free_all();
    expect_error_opt(if_model("x", 30), NULL, DLA_ERR_LIMIT, "subgraphs nested more than 24 deep");
    ob_free_all();
}

/* Every attribute type, converted faithfully. */
static void test_attribute_types(void)
{
    Onnx__ModelProto *m = model_with_x();
    Onnx__NodeProto *n = ob_node(m->graph, "k", "Custom", NAMES("x"), NAMES("y"));
    n->domain = ob_str("my.domain");
    Onnx__AttributeProto *a;
    a = ob_attr(n, "f", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = 0.5f;
    a = ob_attr(n, "i", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = -3;
    a = ob_attr(n, "s", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.data = (uint8_t *)"a\0b";
    a->s.len = 3;
    a = ob_attr(n, "t", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = ob_tensor(NULL, DT_INT32, 1, (int64_t[]){2});
    ob_raw(a->t, (int32_t[]){5, 6}, 8);
    a = ob_attr(n, "fs", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = 2;
    a->floats = (float[]){1, 2};
    a = ob_attr(n, "is", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 3;
    a->ints = (int64_t[]){1, 2, 3};
    a = ob_attr(n, "ss", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = 2;
    a->strings = (ProtobufCBinaryData[]){{1, (uint8_t *)"p"}, {2, (uint8_t *)"qr"}};
    a = ob_attr(n, "ts", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS);
    OB_PUSH(a->tensors, a->n_tensors, ob_tensor(NULL, DT_INT64, 0, NULL));
    a->tensors[0]->n_int64_data = 1;
    a->tensors[0]->int64_data = (int64_t[]){99};
    a = ob_attr(n, "gs", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS);
    for (int k = 0; k < 2; k++) {
        Onnx__GraphProto *sg = ob_alloc(sizeof *sg);
        onnx__graph_proto__init(sg);
        ob_node(sg, NULL, "Identity", NAMES("x"), NAMES("o"));
        OB_PUSH(sg->output, sg->n_output, ob_vinfo("o", DT_FLOAT, 0, NULL, NULL));
        OB_PUSH(a->graphs, a->n_graphs, sg);
    }
    a = ob_attr(n, "tp", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO);
    a->tp = ob_vinfo("unused", DT_INT64, -1, NULL, NULL)->type;
    /* no declared type: inferred from the field that is set (pre-IR-v2 files) */
    a = ob_attr(n, "untyped", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED);
    a->has_type = 0;
    a->has_i = 1;
    a->i = 12;
    OB_PUSH(m->graph->output, m->graph->n_output, ob_vinfo("y", DT_FLOAT, 0, NULL, NULL));
    IrGraph *ir = load_ok(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
    CU_ASSERT_STRING_EQUAL(ir->nodes[0].domain, "my.domain");
    CU_ASSERT_EQUAL(ir->nodes[0].op, OP_UNKNOWN);
    CU_ASSERT_EQUAL(ir->nodes[0].nattrs, 11);
    CU_ASSERT_EQUAL(ir_attr_float(ir, 0, "f", 0), 0.5f);
    CU_ASSERT_EQUAL(ir_attr_int(ir, 0, "i", 0), -3);
    const IrAttr *at = ir_attr_find(ir, 0, "s");
    CU_ASSERT(at && at->type == IR_ATTR_STRING && at->slen == 3 && memcmp(at->s, "a\0b", 3) == 0);
    at = ir_attr_find(ir, 0, "t");
    CU_ASSERT(at && at->type == IR_ATTR_TENSOR && at->t->dtype == DT_INT32 && ((int32_t *)at->t->data)[1] == 6);
    at = ir_attr_find(ir, 0, "fs");
    CU_ASSERT(at && at->type == IR_ATTR_FLOATS && at->n == 2 && at->floats[1] == 2.0f);
    const int64_t *iv;
    CU_ASSERT_EQUAL(ir_attr_ints(ir, 0, "is", &iv), 3);
    CU_ASSERT_EQUAL(iv[2], 3);
    at = ir_attr_find(ir, 0, "ss");
    CU_ASSERT(at && at->type == IR_ATTR_STRINGS && at->n == 2 && strcmp(at->strings[1], "qr") == 0);
    at = ir_attr_find(ir, 0, "ts");
    CU_ASSERT(at && at->type == IR_ATTR_TENSORS && at->n == 1 && *(int64_t *)at->tensors[0].data == 99);
    at = ir_attr_find(ir, 0, "gs");
    CU_ASSERT_FATAL(at && at->type == IR_ATTR_GRAPHS && at->n == 2);
    CU_ASSERT_PTR_EQUAL(at->graphs[1]->parent, ir);
    CU_ASSERT(at->graphs[1]->values[ir_value_find(at->graphs[1], "x")].flags & IR_VAL_OUTER);
    CU_ASSERT_STRING_EQUAL(ir_attr_string(ir, 0, "tp", ""), "tensor(int64)");
    CU_ASSERT_EQUAL(ir_attr_int(ir, 0, "untyped", 0), 12);
    ir_graph_free(ir);
    ob_free_all();

    m = ob_model(13);
    n = ob_node(m->graph, "k", "Custom", NULL, NAMES("y"));
    ob_attr(n, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->ref_attr_name = ob_str("beta");
    expect_error(m, DLA_ERR_FORMAT, "refers to 'beta' outside of a function body");
}

/* ---- model-local functions ---- */

static Onnx__FunctionProto *ob_function(Onnx__ModelProto *m, const char *name, const char *const *ins,
                                        const char *const *outs)
{
    Onnx__FunctionProto *f = ob_alloc(sizeof *f);
    onnx__function_proto__init(f);
    f->name = ob_str(name);
    f->domain = ob_str("local");
    for (int i = 0; ins[i]; i++)
        OB_PUSH(f->input, f->n_input, ob_str(ins[i]));
    for (int i = 0; outs[i]; i++)
        OB_PUSH(f->output, f->n_output, ob_str(outs[i]));
    OB_PUSH(m->functions, m->n_functions, f);
    return f;
}

/* A body node; f->node is an array of pointers like GraphProto's. */
static Onnx__NodeProto *fn_node(Onnx__FunctionProto *f, const char *name, const char *op, const char *const *ins,
                                const char *const *outs)
{
    Onnx__NodeProto *n = ob_node(NULL, name, op, ins, outs);
    OB_PUSH(f->node, f->n_node, n);
    return n;
}

static void test_functions(void)
{
    /* ScaledAdd(a, b; alpha) = a + alpha * b, written with a Constant whose value
     * refers to the call's attribute, and a LeakyRelu whose alpha may be omitted. */
    Onnx__ModelProto *m = ob_model(13);
    Onnx__FunctionProto *f = ob_function(m, "ScaledAdd", NAMES("a", "b"), NAMES("c"));
    Onnx__OperatorSetIdProto *fop = ob_alloc(sizeof *fop);
    onnx__operator_set_id_proto__init(fop);
    fop->domain = ob_str("com.example");
    fop->has_version = 1;
    fop->version = 3;
    OB_PUSH(f->opset_import, f->n_opset_import, fop);
    Onnx__NodeProto *k = fn_node(f, "k", "Constant", NULL, NAMES("s"));
    Onnx__AttributeProto *ra = ob_attr(k, "value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    ra->ref_attr_name = ob_str("alpha");
    fn_node(f, "mul", "Mul", NAMES("b", "s"), NAMES("t"));
    Onnx__NodeProto *lr = fn_node(f, "lr", "LeakyRelu", NAMES("t"), NAMES("u"));
    ob_attr(lr, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->ref_attr_name = ob_str("slope");
    fn_node(f, NULL, "Add", NAMES("a", "u"), NAMES("c"));
    /* Outer(p, q) calls ScaledAdd twice: nested inlining with forwarded attributes */
    Onnx__FunctionProto *o = ob_function(m, "Outer", NAMES("p", "q"), NAMES("r"));
    Onnx__NodeProto *c1 = fn_node(o, "inner", "ScaledAdd", NAMES("p", "q"), NAMES("mid"));
    c1->domain = ob_str("local");
    ob_attr(c1, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->ref_attr_name = ob_str("gain");
    Onnx__NodeProto *c2 = fn_node(o, "inner2", "ScaledAdd", NAMES("mid", "q"), NAMES("r"));
    c2->domain = ob_str("local");
    Onnx__AttributeProto *al = ob_attr(c2, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    al->has_f = 1;
    al->f = 1.0f;

    Onnx__GraphProto *g = m->graph;
    OB_PUSH(g->input, g->n_input, ob_vinfo("x", DT_FLOAT, 0, NULL, NULL));
    OB_PUSH(g->input, g->n_input, ob_vinfo("y", DT_FLOAT, 0, NULL, NULL));
    Onnx__NodeProto *call = ob_node(g, "call1", "ScaledAdd", NAMES("x", "y"), NAMES("z"));
    call->domain = ob_str("local");
    Onnx__AttributeProto *ca = ob_attr(call, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    ca->has_f = 1;
    ca->f = 2.0f;
    Onnx__AttributeProto *cs = ob_attr(call, "slope", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    cs->has_f = 1;
    cs->f = 0.25f;
    Onnx__NodeProto *call2 = ob_node(g, "call2", "Outer", NAMES("z", "y"), NAMES("w"));
    call2->domain = ob_str("local");
    Onnx__AttributeProto *gn = ob_attr(call2, "gain", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    gn->has_f = 1;
    gn->f = 3.0f;
    OB_PUSH(g->output, g->n_output, ob_vinfo("w", DT_FLOAT, 0, NULL, NULL));

    IrGraph *ir = load_ok(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
    /* call1: Mul, LeakyRelu, Add; call2: two inlined ScaledAdds of 3 nodes each */
    CU_ASSERT_EQUAL(ir->nnodes, 9);
    int32_t s1 = ir_value_find(ir, "call1/s");
    CU_ASSERT_FATAL(s1 >= 0);
    CU_ASSERT(*(float *)ir->values[s1].data == 2.0f);
    CU_ASSERT_STRING_EQUAL(ir->nodes[0].name, "call1/mul");
    CU_ASSERT_EQUAL(ir->nodes[0].inputs[0], ir_value_find(ir, "y"));
    CU_ASSERT_EQUAL(ir->nodes[0].inputs[1], s1);
    CU_ASSERT_STRING_EQUAL(ir->nodes[1].op_type, "LeakyRelu");
    CU_ASSERT_EQUAL(ir_attr_float(ir, 1, "alpha", -1), 0.25f);
    CU_ASSERT_EQUAL(ir->nodes[2].outputs[0], ir_value_find(ir, "z"));
    int32_t s2 = ir_value_find(ir, "call2/inner/s");
    CU_ASSERT_FATAL(s2 >= 0);
    CU_ASSERT(*(float *)ir->values[s2].data == 3.0f); /* gain forwarded as alpha */
    int32_t s3 = ir_value_find(ir, "call2/inner2/s");
    CU_ASSERT_FATAL(s3 >= 0);
    CU_ASSERT(*(float *)ir->values[s3].data == 1.0f);
    CU_ASSERT_EQUAL(ir_attr_float(ir, 4, "alpha", -1), -1); /* slope not given: attribute omitted */
    CU_ASSERT(ir_value_find(ir, "call2/mid") >= 0);
    CU_ASSERT_EQUAL(ir->values[ir->outputs[0]].producer, 8);
    CU_ASSERT_EQUAL(ir_graph_opset(ir, "com.example"), 3); /* imported by the function only */
    CU_ASSERT_EQUAL(ir_graph_opset(ir, ""), 13);
    ir_graph_free(ir);
    ob_free_all();

    /* a function calling itself */
    m = ob_model(13);
    f = ob_function(m, "Loopy", NAMES("a"), NAMES("b"));
    fn_node(f, "self", "Loopy", NAMES("a"), NAMES("b"))->domain = ob_str("local");
    OB_PUSH(m->graph->input, m->graph->n_input, ob_vinfo("x", DT_FLOAT, 0, NULL, NULL));
    ob_node(m->graph, "c", "Loopy", NAMES("x"), NAMES("y"))->domain = ob_str("local");
    expect_error(m, DLA_ERR_LIMIT, "recursive function?");

    /* a function that never computes its output */
    m = ob_model(13);
    f = ob_function(m, "Lazy", NAMES("a"), NAMES("b"));
    fn_node(f, "n", "Relu", NAMES("a"), NAMES("other"));
    OB_PUSH(m->graph->input, m->graph->n_input, ob_vinfo("x", DT_FLOAT, 0, NULL, NULL));
    ob_node(m->graph, "c", "Lazy", NAMES("x"), NAMES("y"))->domain = ob_str("local");
    expect_error(m, DLA_ERR_INVALID, "function 'Lazy' does not compute its output 'b'");
}

/* An inlining bomb: F0 = Relu, and each F(k) calls F(k-1) ten times, so a
 * call of F8 inlines to 10^8 nodes from a model of a few hundred bytes. The
 * node limit (ONNX_MAX_NODES, 2^20) stops it after about a million nodes, with
 * an error instead of hours and gigabytes (the depth limit alone did not). */
static void test_inline_bomb(void)
{
    Onnx__ModelProto *m = ob_model(13);
    char name[16], prev[16];
    Onnx__FunctionProto *f = ob_function(m, "F0", NAMES("a"), NAMES("b"));
    fn_node(f, "r", "Relu", NAMES("a"), NAMES("b"));
    for (int k = 1; k <= 8; k++) {
        snprintf(name, sizeof name, "F%d", k);
        snprintf(prev, sizeof prev, "F%d", k - 1);
        f = ob_function(m, name, NAMES("a"), NAMES("b"));
        const char *in = "a";
        static char outs[10][8];
        for (int j = 0; j < 10; j++) {
            snprintf(outs[j], sizeof outs[j], j == 9 ? "b" : "t%d", j);
            Onnx__NodeProto *n = fn_node(f, NULL, prev, (const char *[]){in, NULL}, (const char *[]){outs[j], NULL});
            n->domain = ob_str("local");
            n->output[0] = ob_str(outs[j]);
            in = n->output[0];
        }
    }
    OB_PUSH(m->graph->input, m->graph->n_input, ob_vinfo("x", DT_FLOAT, 0, NULL, NULL));
    ob_node(m->graph, "c", "F8", NAMES("x"), NAMES("y"))->domain = ob_str("local");
    expect_error(m, DLA_ERR_LIMIT, "more than 1048576 nodes");
}

/* Opsets of the ONNX domain: 1 up to the newest dlacc knows; beyond, a clear error. */
static void test_opset_range(void)
{
    Onnx__ModelProto *m = ob_model(99);
    expect_error(m, DLA_ERR_UNSUPPORTED, "opset 99 of the ONNX domain is newer than dlacc knows");
    m = ob_model((int64_t)1 << 40);
    expect_error(m, DLA_ERR_UNSUPPORTED, "opset 1099511627776 of the ONNX domain");
    m = ob_model(0);
    expect_error(m, DLA_ERR_FORMAT, "has no valid version");
}

/* ---- --input-shape ---- */

static void test_parse_input_shape(void)
{
    OnnxInputShape s;
    DlaError err;
    dla_error_clear(&err);
    CU_ASSERT_EQUAL_FATAL(onnx_parse_input_shape("input=397,1,8,8", &s, &err), DLA_OK);
    CU_ASSERT(s.name_len == 5 && strncmp(s.name, "input", 5) == 0);
    CU_ASSERT(s.rank == 4 && s.dims[0] == 397 && s.dims[1] == 1 && s.dims[3] == 8);
    CU_ASSERT_EQUAL(onnx_parse_input_shape("ids=1x32", &s, &err), DLA_OK);
    CU_ASSERT(s.rank == 2 && s.dims[1] == 32);
    CU_ASSERT_EQUAL(onnx_parse_input_shape("scalar=", &s, &err), DLA_OK);
    CU_ASSERT_EQUAL(s.rank, 0);
    CU_ASSERT_EQUAL(onnx_parse_input_shape("a=b=0,2", &s, &err), DLA_OK);
    CU_ASSERT(s.name_len == 3 && s.rank == 2 && s.dims[0] == 0);
    static const struct {
        const char *arg;
        DlaStatus code;
        const char *needle;
    } bad[] = {
        {"noequals", DLA_ERR_INVALID, "expected NAME=D0,D1"},
        {"=1,2", DLA_ERR_INVALID, "expected NAME=D0,D1"},
        {"x=1,,2", DLA_ERR_INVALID, "dimension 1 is not a non-negative integer"},
        {"x=1,-2", DLA_ERR_INVALID, "dimension 1 is not a non-negative integer"},
        {"x=1,2,", DLA_ERR_INVALID, "dimension 2 is not"},
        {"x=99999999999999999999", DLA_ERR_INVALID, "too large"},
        {"x=1,2,3,4,5,6,7,8,9", DLA_ERR_LIMIT, "more than 8 dimensions"},
        {"x=1 2", DLA_ERR_INVALID, "unexpected ' '"},
        {"x=N,3", DLA_ERR_INVALID, "dimension 0 is not"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dla_error_clear(&err);
        CU_ASSERT_EQUAL(onnx_parse_input_shape(bad[i].arg, &s, &err), bad[i].code);
        if (!strstr(err.msg, bad[i].needle)) {
            fprintf(stderr, "'%s': expected '%s' in: %s\n", bad[i].arg, bad[i].needle, err.msg);
            CU_FAIL("parse error message");
        }
    }
}

static DlaStatus load_digits(const char *const *args, int nargs, IrGraph **g, DlaError *err)
{
    OnnxInputShape sh[4];
    dla_error_clear(err);
    for (int i = 0; i < nargs; i++)
        if (onnx_parse_input_shape(args[i], &sh[i], err) != DLA_OK)
            return err->code;
    OnnxLoadOptions opt = {sh, nargs};
    char path[4800];
    snprintf(path, sizeof path, "%s/digits_cnn/model.onnx", dla_test_models_dir());
    return onnx_load(path, &opt, g, err);
}

static void test_bind_digits(void)
{
    if (!dla_test_models_dir())
        return;
    IrGraph *g = NULL;
    DlaError err;
    CU_ASSERT_EQUAL_FATAL(load_digits((const char *[]){"input=397,1,8,8"}, 1, &g, &err), DLA_OK);
    char buf[64];
    CU_ASSERT_STRING_EQUAL(ir_shape_str(&g->values[g->inputs[0]].shape, buf, sizeof buf), "[397,1,8,8]");
    /* the output's symbolic batch is the same symbol: bound too */
    CU_ASSERT_STRING_EQUAL(ir_shape_str(&g->values[g->outputs[0]].shape, buf, sizeof buf), "[397,10]");
    ir_graph_free(g);

    static const struct {
        const char *arg, *needle;
    } bad[] = {
        {"input=397,8,8", "has rank 3, but the model declares [batch,1,8,8] (rank 4)"},
        {"input=397,3,8,8", "disagrees with the model's [batch,1,8,8] in dim 1 (3 vs 1)"},
        {"images=1,1,8,8", "names 'images', which is not a graph input (the inputs are: 'input')"},
        {"input=1,1,8,8", "--input-shape given twice for input 'input'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        g = NULL;
        /* the last case passes the same binding twice */
        const char *args[2] = {bad[i].arg, bad[i].arg};
        int twice = i == sizeof bad / sizeof bad[0] - 1;
        CU_ASSERT_EQUAL(load_digits(args, twice ? 2 : 1, &g, &err), DLA_ERR_INVALID);
        CU_ASSERT_PTR_NULL(g);
        if (!strstr(err.msg, bad[i].needle)) {
            fprintf(stderr, "expected '%s' in: %s\n", bad[i].needle, err.msg);
            CU_FAIL("binding error message");
        }
    }
}

static void test_bind_symbols(void)
{
    /* a[N,4], b[N,?]: binding a binds N everywhere; binding N two ways is an error */
    for (int conflict = 0; conflict < 2; conflict++) {
        Onnx__ModelProto *m = ob_model(13);
        OB_PUSH(m->graph->input, m->graph->n_input,
                ob_vinfo("a", DT_FLOAT, 2, (int64_t[]){-1, 4}, (const char *[]){"N", NULL}));
        OB_PUSH(m->graph->input, m->graph->n_input,
                ob_vinfo("b", DT_FLOAT, 2, (int64_t[]){-1, -1}, (const char *[]){"N", NULL}));
        OnnxInputShape sh[2];
        DlaError err;
        CU_ASSERT_EQUAL(onnx_parse_input_shape("a=2,4", &sh[0], &err), DLA_OK);
        CU_ASSERT_EQUAL(onnx_parse_input_shape("b=3,5", &sh[1], &err), DLA_OK);
        OnnxLoadOptions opt = {sh, conflict ? 2 : 1};
        if (conflict) {
            expect_error_opt(m, &opt, DLA_ERR_INVALID, "binds symbolic dim 'N' to both 2 and 3");
        } else {
            IrGraph *g = ob_load(m, NULL, &opt, &err);
            CU_ASSERT_PTR_NOT_NULL_FATAL(g);
            const IrValue *b = &g->values[ir_value_find(g, "b")];
            CU_ASSERT(b->shape.dims[0] == 2 && b->shape.sym[0] == NULL && b->shape.dims[1] == -1);
            ir_graph_free(g);
        }
        ob_free_all();
    }
}

/* Shapes bound from fed tensors: 100 inputs x<i>[N<i>,?] (more than the 64 the
 * driver once stopped at, silently), one given explicitly, one fed tensor of
 * the wrong rank. */
#define FED_N 100
static Onnx__ModelProto *fed_model(void)
{
    Onnx__ModelProto *m = ob_model(13);
    static char names[FED_N][16], syms[FED_N][16];
    const char *ins[FED_N + 1];
    for (int i = 0; i < FED_N; i++) {
        snprintf(names[i], sizeof names[i], "x%d", i);
        snprintf(syms[i], sizeof syms[i], "N%d", i);
        OB_PUSH(m->graph->input, m->graph->n_input,
                ob_vinfo(names[i], DT_FLOAT, 2, (int64_t[]){-1, -1}, (const char *[]){syms[i], NULL}));
        ins[i] = names[i];
    }
    ins[FED_N] = NULL;
    Onnx__NodeProto *n = ob_node(m->graph, "cat", "Concat", ins, NAMES("y"));
    Onnx__AttributeProto *a = ob_attr(n, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = 0;
    OB_PUSH(m->graph->output, m->graph->n_output, ob_vinfo("y", DT_FLOAT, -1, NULL, NULL));
    return m;
}

static void test_bind_fed(void)
{
    Onnx__ModelProto *m = fed_model();
    OnnxTensorFile fed[FED_N];
    memset(fed, 0, sizeof fed);
    for (int i = 0; i < FED_N; i++) {
        fed[i].dtype = DT_FLOAT;
        fed[i].shape = ir_shape_make(2, (int64_t[]){i + 1, 3});
    }
    OnnxInputShape given;
    DlaError err;
    CU_ASSERT_EQUAL_FATAL(onnx_parse_input_shape("x7=70,5", &given, &err), DLA_OK);
    OnnxLoadOptions opt = {&given, 1};
    IrGraph *g = ob_load(m, NULL, &opt, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    OnnxFedShapes fs;
    CU_ASSERT_EQUAL_FATAL(onnx_fed_shapes(g, &opt, fed, FED_N, &fs, &err), DLA_OK);
    CU_ASSERT_EQUAL(fs.nbound, FED_N - 1); /* x7 was given */
    CU_ASSERT_EQUAL(fs.nshapes, FED_N);
    CU_ASSERT(fs.shapes[0].rank == 2 && fs.shapes[0].dims[0] == 70); /* the explicit one first */
    ir_graph_free(g);
    g = NULL;
    /* the names were copied: g is gone, loading with the bound shapes works */
    OnnxLoadOptions lo = {fs.shapes, fs.nshapes};
    g = ob_load(m, NULL, &lo, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    for (int i = 0; i < FED_N; i++) {
        const IrValue *v = &g->values[g->inputs[i]];
        CU_ASSERT(v->shape.rank == 2 && v->shape.dims[0] == (i == 7 ? 70 : i + 1) && v->shape.dims[1] == (i == 7 ? 5 : 3));
    }
    onnx_fed_shapes_free(&fs);
    /* nothing unknown left: nothing to bind */
    CU_ASSERT_EQUAL(onnx_fed_shapes(g, NULL, fed, FED_N, &fs, &err), DLA_OK);
    CU_ASSERT_EQUAL(fs.nbound, 0);
    onnx_fed_shapes_free(&fs);
    ir_graph_free(g);

    /* a fed tensor of the wrong rank, past the 64th input: an error naming it */
    g = ob_load(m, NULL, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    fed[80].shape = ir_shape_make(3, (int64_t[]){1, 2, 3});
    CU_ASSERT_EQUAL(onnx_fed_shapes(g, NULL, fed, FED_N, &fs, &err), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "input 'x80'"));
    CU_ASSERT_PTR_NULL(fs.shapes);
    ir_graph_free(g);

    /* onnx_load_fed: load from a file, reload with the fed shapes */
    fed[80].shape = ir_shape_make(2, (int64_t[]){81, 3});
    size_t len;
    uint8_t *buf = ob_pack_model(m, &len);
    char path[] = "/tmp/dla_test_fed_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    CU_ASSERT_FATAL(f && fwrite(buf, 1, len, f) == len);
    fclose(f);
    CU_ASSERT_EQUAL(onnx_load_fed(path, NULL, fed, FED_N, &g, &err), DLA_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(g->values[g->inputs[FED_N - 1]].shape.dims[0], FED_N);
    ir_graph_free(g);
    remove(path);
    ob_free_all();
}

void dla_register_tests(void)
{
    DLA_SUITE("onnx_graph", {"initializer_inputs", test_initializer_inputs}, {"bad_names", test_bad_names},
              {"generated_names", test_generated_names}, {"subgraphs", test_subgraphs},
              {"attribute_types", test_attribute_types}, {"functions", test_functions}, {"inline_bomb", test_inline_bomb}, {"opset_range", test_opset_range},
              {"parse_input_shape", test_parse_input_shape}, {"bind_digits", test_bind_digits},
              {"bind_symbols", test_bind_symbols}, {"bind_fed_shapes", test_bind_fed});
}
