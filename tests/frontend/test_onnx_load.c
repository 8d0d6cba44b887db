/* test_onnx_load.c - the frontend against real files: every ONNX node-test model and
 * every zoo model must load, and what is loaded must agree with the test data
 * (input/output counts and types of test_data_set_0) and with values computed
 * independently (onnx + numpy) for resnet50's external weights. */
#include "dla_test.h"
#include "frontend/onnx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Node-test models that are expected not to load, with the reason. Empty: all load. */
static const char *const expected_failures[] = {NULL};

/* Test data whose input files do not have the declared shape: CastLike only uses
 * its second input's type, and the generator stored a [1] tensor for it. */
static const char *const shape_quirks[] = {"test_castlike_BFLOAT16_to_FLOAT", "test_castlike_BFLOAT16_to_FLOAT_expanded",
                                           "test_castlike_FLOAT_to_BFLOAT16", "test_castlike_FLOAT_to_BFLOAT16_expanded",
                                           NULL};

static int in_list(const char *const *list, const char *test)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], test) == 0)
            return 1;
    return 0;
}

static int is_expected_failure(const char *test) { return in_list(expected_failures, test); }

/* Structural invariants of a freshly loaded graph (and its subgraphs). */
static int graph_sane(IrGraph *g, const IrGraph *parent)
{
    if (g->parent != parent)
        return 0;
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrNode *nd = &g->nodes[n];
        if (!nd->name[0] || !nd->op_type[0])
            return 0;
        for (int32_t i = 0; i < nd->ninputs; i++)
            if (nd->inputs[i] < -1 || nd->inputs[i] >= g->nvalues)
                return 0;
        for (int32_t i = 0; i < nd->noutputs; i++)
            if (nd->outputs[i] >= g->nvalues || (nd->outputs[i] >= 0 && g->values[nd->outputs[i]].producer != n))
                return 0;
        for (int32_t a = 0; a < nd->nattrs; a++) {
            const IrAttr *at = &nd->attrs[a];
            if (at->type == IR_ATTR_GRAPH && !graph_sane(at->g, g))
                return 0;
            for (int32_t k = 0; at->type == IR_ATTR_GRAPHS && k < at->n; k++)
                if (!graph_sane(at->graphs[k], g))
                    return 0;
        }
    }
    for (int32_t i = 0; i < g->ninputs; i++)
        if (!(g->values[g->inputs[i]].flags & IR_VAL_INPUT) || (g->values[g->inputs[i]].flags & IR_VAL_CONST))
            return 0;
    for (int32_t v = 0; v < g->nvalues; v++) {
        const IrValue *val = &g->values[v];
        if ((val->flags & IR_VAL_CONST) && val->producer >= 0)
            return 0;
        if ((val->flags & IR_VAL_OUTER) && !parent)
            return 0;
        if ((val->flags & IR_VAL_CONST) && val->dtype != DT_STRING &&
            val->nbytes != (size_t)ir_shape_numel(&val->shape) * ir_dtype_size(val->dtype))
            return 0;
    }
    return 1;
}

static int count_pb(const char *dir, const char *prefix)
{
    int n = 0;
    char path[4800];
    for (;; n++) {
        snprintf(path, sizeof path, "%s/%s_%d.pb", dir, prefix, n);
        if (!dla_path_exists(path))
            return n;
    }
}

/* The test data's input_K.pb / output_K.pb agree with the graph inputs and
 * outputs: as many, and for plain tensors the same dtype and (where the model
 * declares a full shape) the same shape. */
static int data_agrees(IrGraph *g, const char *testdir, char *why, size_t whylen)
{
    const char *base = strrchr(testdir, '/');
    int shape_quirk = in_list(shape_quirks, base ? base + 1 : testdir);
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/test_data_set_0", testdir);
    if (!dla_path_exists(dir))
        return 1;
    int nin = count_pb(dir, "input"), nout = count_pb(dir, "output");
    if (nin != g->ninputs || nout != g->noutputs) {
        snprintf(why, whylen, "%d/%d input/output files, graph has %d/%d", nin, nout, g->ninputs, g->noutputs);
        return 0;
    }
    for (int i = 0; i < nin + nout; i++) {
        int is_in = i < nin, k = is_in ? i : i - nin;
        const IrValue *v = &g->values[is_in ? g->inputs[k] : g->outputs[k]];
        if (v->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP))
            continue; /* those files hold SequenceProto/OptionalProto, not TensorProto */
        snprintf(path, sizeof path, "%s/%s_%d.pb", dir, is_in ? "input" : "output", k);
        OnnxTensorFile tf;
        DlaError e;
        dla_error_clear(&e);
        if (onnx_tensor_read(path, &tf, &e) != DLA_OK) {
            snprintf(why, whylen, "%.400s", e.msg);
            return 0;
        }
        /* The ONNX test generator stores bfloat16 data as uint16 (numpy has no
         * bfloat16): same bits, different type code. */
        int same_type = tf.dtype == v->dtype || (v->dtype == DT_BFLOAT16 && tf.dtype == DT_UINT16);
        int ok = same_type && (shape_quirk || !ir_shape_known(&v->shape) || ir_shape_equal(&tf.shape, &v->shape));
        if (!ok)
            snprintf(why, whylen, "%s_%d.pb is %s%s, graph %s '%s' is declared %s%s", is_in ? "input" : "output", k,
                     ir_dtype_name(tf.dtype), ir_shape_str(&tf.shape, (char[96]){0}, 96), is_in ? "input" : "output",
                     v->name, ir_dtype_name(v->dtype), ir_shape_str(&v->shape, (char[96]){0}, 96));
        onnx_tensor_file_free(&tf);
        if (!ok)
            return 0;
    }
    return 1;
}

static void test_node_models(void)
{
    const char *root = dla_test_node_dir();
    if (!root)
        return;
    size_t n;
    char **names = dla_test_list_dir(root, NULL, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    int loaded = 0, failed_expected = 0, sane = 0, agree = 0;
    for (size_t i = 0; i < n; i++) {
        char dir[4400], path[4800], why[512] = "";
        snprintf(dir, sizeof dir, "%s/%s", root, names[i]);
        snprintf(path, sizeof path, "%s/model.onnx", dir);
        IrGraph *g;
        DlaError err;
        dla_error_clear(&err);
        DlaStatus s = onnx_load(path, NULL, &g, &err);
        if (s != DLA_OK) {
            if (is_expected_failure(names[i]))
                failed_expected++;
            else
                fprintf(stderr, "FAIL %s: %s\n", names[i], err.msg);
            CU_ASSERT_PTR_NULL(g);
            continue;
        }
        loaded++;
        if (graph_sane(g, NULL))
            sane++;
        else
            fprintf(stderr, "INSANE %s\n", names[i]);
        if (data_agrees(g, dir, why, sizeof why))
            agree++;
        else
            fprintf(stderr, "DISAGREE %s: %s\n", names[i], why);
        ir_graph_free(g);
    }
    fprintf(stderr, "node tests: %d of %zu models loaded (%d expected failures), %d sane, %d agree with "
                    "test_data_set_0\n", loaded, n, failed_expected, sane, agree);
    CU_ASSERT(n >= 900);
    CU_ASSERT_EQUAL(loaded + failed_expected, (int)n);
    CU_ASSERT_EQUAL(sane, loaded);
    CU_ASSERT_EQUAL(agree, loaded);
    dla_test_names_free(names, n);
}

static IrGraph *load_zoo(const char *name, const OnnxLoadOptions *opt)
{
    const char *models = dla_test_models_dir();
    if (!models)
        return NULL;
    char path[4800];
    snprintf(path, sizeof path, "%s/%s/model.onnx", models, name);
    IrGraph *g = NULL;
    DlaError err;
    dla_error_clear(&err);
    if (onnx_load(path, opt, &g, &err) != DLA_OK)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    return g;
}

static void test_zoo_models(void)
{
    static const char *const zoo[] = {"digits_cnn", "tiny_encoder", "squeezenet1_1", "resnet18",
                                      "mobilenet_v2", "resnet50"};
    if (!dla_test_models_dir())
        return;
    for (size_t i = 0; i < sizeof zoo / sizeof zoo[0]; i++) {
        IrGraph *g = load_zoo(zoo[i], NULL);
        CU_ASSERT_PTR_NOT_NULL(g);
        if (!g)
            continue;
        char dir[4400], why[512] = "";
        snprintf(dir, sizeof dir, "%s/%s", dla_test_models_dir(), zoo[i]);
        CU_ASSERT(graph_sane(g, NULL));
        CU_ASSERT(data_agrees(g, dir, why, sizeof why));
        CU_ASSERT_EQUAL(g->ninputs, 1);
        CU_ASSERT(g->nnodes > 5);
        CU_ASSERT(ir_graph_opset(g, "") >= 13);
        ir_graph_free(g);
    }
}

/* Every float constant of each zoo model (initializers and Constant values),
 * against figures computed independently with onnx.numpy_helper: how many,
 * how many floats, and their sum in double precision. This covers all the data
 * paths: inline raw_data taken over from protobuf-c, large inline raw_data
 * copied from the file (onnx_strip.c), and resnet50's external data. */
static void test_zoo_constants(void)
{
    static const struct {
        const char *name;
        int nconst;
        int64_t nfloat;
        double sum;
    } ref[] = {
        {"digits_cnn", 8, 14378, -197.57587135243375},
        {"tiny_encoder", 29, 330516, -262.4941120330496},
        {"squeezenet1_1", 34, 1233288, 32.49884702100161},
        {"mobilenet_v2", 176, 3487886, 955.6427808172575},
        {"resnet18", 42, 11684712, 235.12308177406825},
        {"resnet50", 108, 25530472, 1400.6232715686845},
    };
    if (!dla_test_models_dir())
        return;
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        IrGraph *g = load_zoo(ref[i].name, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        int nconst = 0;
        int64_t nfloat = 0;
        double sum = 0;
        for (int32_t v = 0; v < g->nvalues; v++) {
            const IrValue *val = &g->values[v];
            if (!(val->flags & IR_VAL_CONST) || val->dtype != DT_FLOAT)
                continue;
            nconst++;
            const float *f = val->data;
            for (size_t k = 0; k < val->nbytes / 4; k++)
                sum += f[k];
            nfloat += (int64_t)(val->nbytes / 4);
        }
        int ok = nconst == ref[i].nconst && nfloat == ref[i].nfloat &&
                 fabs(sum - ref[i].sum) <= 1e-7 * (1 + fabs(ref[i].sum));
        if (!ok)
            fprintf(stderr, "%s: %d constants, %lld floats, sum %.17g; expected %d, %lld, %.17g\n", ref[i].name,
                    nconst, (long long)nfloat, sum, ref[i].nconst, (long long)ref[i].nfloat, ref[i].sum);
        CU_ASSERT(ok);
        ir_graph_free(g);
    }
}

/* resnet50 keeps its weights in model.onnx.data: they must be borrowed from the
 * mapping, not copied. fc.weight [1000,2048] starts -0.00774908, -0.00862435. */
static void test_resnet50_external(void)
{
    IrGraph *g = load_zoo("resnet50", NULL);
    if (!dla_test_models_dir())
        return;
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    int32_t fc = ir_value_find(g, "fc.weight");
    CU_ASSERT_FATAL(fc >= 0);
    /* Borrowed from the mapping, not copied: the graph owns only the few tensors
     * the exporter kept inline (those under 1 KiB: 15 biases, 5 KiB in all). */
    size_t owned_bytes = 0;
    for (int32_t v = 0; v < g->nvalues; v++)
        for (size_t k = 0; k < g->nowned; k++)
            if (g->owned[k] == g->values[v].data)
                owned_bytes += g->values[v].nbytes;
    CU_ASSERT(owned_bytes < 16384);
    int64_t dims[] = {1000, 2048};
    IrShape want = ir_shape_make(2, dims);
    CU_ASSERT(ir_shape_equal(&g->values[fc].shape, &want));
    const float *w = g->values[fc].data;
    CU_ASSERT(fabsf(w[0] - -0.00774908f) < 1e-7f && fabsf(w[1] - -0.00862435f) < 1e-7f);
    ir_graph_free(g);
}

/* digits_cnn: input [batch,1,8,8] with a symbolic batch, output [batch,10]. */
static void test_digits_declared_types(void)
{
    IrGraph *g = load_zoo("digits_cnn", NULL);
    if (!dla_test_models_dir())
        return;
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const IrValue *in = &g->values[g->inputs[0]];
    CU_ASSERT_STRING_EQUAL(in->name, "input");
    CU_ASSERT_EQUAL(in->dtype, DT_FLOAT);
    CU_ASSERT_EQUAL(in->shape.rank, 4);
    CU_ASSERT_EQUAL(in->shape.dims[0], -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in->shape.sym[0]);
    CU_ASSERT_STRING_EQUAL(in->shape.sym[0], "batch");
    CU_ASSERT_EQUAL(in->shape.dims[3], 8);
    const IrValue *out = &g->values[g->outputs[0]];
    CU_ASSERT_EQUAL(out->shape.rank, 2);
    CU_ASSERT_EQUAL(out->shape.dims[1], 10);
    CU_ASSERT_EQUAL(ir_graph_opset(g, "ai.onnx"), ir_graph_opset(g, ""));
    ir_graph_free(g);
}

static IrGraph *load_node_test(const char *test)
{
    const char *root = dla_test_node_dir();
    if (!root)
        return NULL;
    char path[4800];
    snprintf(path, sizeof path, "%s/%s/model.onnx", root, test);
    IrGraph *g = NULL;
    DlaError err;
    dla_error_clear(&err);
    if (onnx_load(path, NULL, &g, &err) != DLA_OK)
        fprintf(stderr, "%s: %s\n", test, err.msg);
    return g;
}

static const IrAttr *find_graph_attr(IrGraph *g, const char *op, const char *attr)
{
    for (int32_t n = 0; n < g->nnodes; n++)
        if (strcmp(g->nodes[n].op_type, op) == 0)
            return ir_attr_find(g, n, attr);
    return NULL;
}

/* Selected node tests, checked in detail against what the ONNX files hold. */
static void test_node_details(void)
{
    if (!dla_test_node_dir())
        return;
    /* Constant with a tensor: no node, a constant value instead. */
    IrGraph *g = load_node_test("test_constant");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(g->nnodes, 0);
    int32_t v = g->values[g->outputs[0]].producer == -1 ? g->outputs[0] : -1;
    CU_ASSERT(v >= 0 && (g->values[v].flags & IR_VAL_CONST) && g->values[v].dtype == DT_FLOAT &&
              g->values[v].nbytes == 5 * 5 * 4);
    ir_graph_free(g);

    /* If with optional/sequence types and a TYPE_PROTO attribute. */
    g = load_node_test("test_if_opt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const IrValue *out = &g->values[g->outputs[0]];
    CU_ASSERT((out->flags & (IR_VAL_OPTIONAL | IR_VAL_SEQUENCE)) == (IR_VAL_OPTIONAL | IR_VAL_SEQUENCE));
    CU_ASSERT_EQUAL(out->dtype, DT_FLOAT);
    const IrAttr *then = find_graph_attr(g, "If", "then_branch");
    CU_ASSERT_FATAL(then && then->type == IR_ATTR_GRAPH);
    IrGraph *tg = then->g;
    CU_ASSERT_PTR_EQUAL(tg->parent, g);
    CU_ASSERT_EQUAL(tg->nnodes, 1);
    const IrAttr *ty = ir_attr_find(tg, 0, "type");
    CU_ASSERT_FATAL(ty && ty->type == IR_ATTR_STRING);
    CU_ASSERT_STRING_EQUAL(ty->s, "seq(tensor(float32))");
    ir_graph_free(g);

    /* Loop body using an outer-scope value. */
    g = load_node_test("test_range_float_type_positive_delta_expanded");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const IrAttr *body = find_graph_attr(g, "Loop", "body");
    CU_ASSERT_FATAL(body && body->type == IR_ATTR_GRAPH);
    int32_t dv = ir_value_find(body->g, "delta");
    CU_ASSERT_FATAL(dv >= 0);
    CU_ASSERT(body->g->values[dv].flags & IR_VAL_OUTER);
    CU_ASSERT_EQUAL(body->g->values[dv].dtype, DT_FLOAT); /* type copied from the enclosing graph */
    ir_graph_free(g);

    /* Unnamed nodes get unique generated names; absent optional inputs are -1. */
    g = load_node_test("test_clip_default_inbounds");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(g->nnodes, 1);
    CU_ASSERT_STRING_EQUAL(g->nodes[0].name, "Clip_0");
    ir_graph_free(g);
    g = load_node_test("test_clip_default_int8_max");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(g->nodes[0].ninputs, 3);
    CU_ASSERT_EQUAL(g->nodes[0].inputs[1], -1);
    ir_graph_free(g);
}

void dla_register_tests(void)
{
    DLA_SUITE("onnx_load", {"node_models", test_node_models}, {"zoo_models", test_zoo_models},
              {"zoo_constants", test_zoo_constants}, {"resnet50_external", test_resnet50_external}, {"digits_declared", test_digits_declared_types},
              {"node_details", test_node_details});
}
