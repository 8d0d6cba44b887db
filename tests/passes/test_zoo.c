/* test_zoo.c - canonicalization on the model zoo: the optimized graphs' shape
 * (no BatchNormalization, Shape, Identity or Dropout left; every Reshape has a
 * constant shape) and the per-op node counts before and after, printed for the
 * record. Skips, saying so, when ../shared/models is absent. */
#include "dla_test.h"
#include "dla_test_zoo.h"
#include "frontend/onnx.h"
#include "ir.h"
#include "ir/verify.h"
#include "passes/passes.h"
#include "pass_test.h"

#include <stdlib.h>
#include <string.h>

static void print_counts(const char *model, const IrGraph *g, const char *when)
{
    const char *names[128];
    int32_t counts[128];
    int k = pass_count_ops(g, names, counts, 128);
    fprintf(stderr, "  %-14s %-6s %4d nodes:", model, when, g->nnodes);
    for (int i = 0; i < k && i < 128; i++)
        fprintf(stderr, " %s=%d", names[i], counts[i]);
    fprintf(stderr, "\n");
}

/* Load, canonicalize, check the invariants every canonical graph has; returns
 * the optimized graph (caller frees) or NULL if the zoo is absent. */
static IrGraph *canon(const char *model, const char *input_shape)
{
    IrGraph *g = dla_test_zoo_load(model, input_shape);
    if (!g)
        return NULL;
    DlaError err = {0};
    print_counts(model, g, "before");
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    DlaStatus st = pipeline(g, &ctx, &err);
    if (st != DLA_OK)
        fprintf(stderr, "%s: %s\n", model, err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    print_counts(model, g, "after");
    st = ir_verify(g, &err);
    if (st != DLA_OK)
        fprintf(stderr, "%s: ir_verify: %s\n", model, err.msg);
    CU_ASSERT_EQUAL(st, DLA_OK);
    CU_ASSERT_EQUAL(count_op(g, "BatchNormalization"), 0);
    CU_ASSERT_EQUAL(count_op(g, "Shape"), 0);
    CU_ASSERT_EQUAL(count_op(g, "Identity"), 0);
    CU_ASSERT_EQUAL(count_op(g, "Dropout"), 0);
    CU_ASSERT_EQUAL(count_op(g, "Constant"), 0);
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        if (strcmp(nd->op_type, "Reshape") == 0)
            CU_ASSERT(nd->ninputs == 2 && (g->values[nd->inputs[1]].flags & IR_VAL_CONST));
        /* every output shape is static after canonicalization of these models */
        for (int32_t k = 0; k < nd->noutputs; k++)
            if (nd->outputs[k] >= 0 && !ir_shape_known(&g->values[nd->outputs[k]].shape)) {
                char buf[128];
                CU_FAIL("output shape unknown after canonicalization");
                fprintf(stderr, "  %s: node '%s' (%s): output shape %s\n", model, nd->name, nd->op_type,
                        ir_shape_str(&g->values[nd->outputs[k]].shape, buf, sizeof buf));
            }
    }
    return g;
}

static void check(const char *model, const char *op, int expect)
{
    /* digits_cnn's batch dim is symbolic: bind it, as `--input-shape` does */
    IrGraph *g = canon(model, strcmp(model, "digits_cnn") == 0 ? "input=1,1,8,8" : NULL);
    if (!g)
        return;
    if (op)
        CU_ASSERT_EQUAL(count_op(g, op), expect);
    ir_graph_free(g);
}

/* The counts asserted are the compute nodes that must survive unchanged. */
static void test_digits(void) { check("digits_cnn", "Conv", 3); }
static void test_resnet18(void) { check("resnet18", "Conv", 20); }
static void test_mobilenet(void) { check("mobilenet_v2", "Conv", 52); }
static void test_squeezenet(void) { check("squeezenet1_1", "Conv", 26); }
static void test_resnet50(void) { check("resnet50", "Conv", 53); }
static void test_tiny_encoder(void)
{
    IrGraph *g = canon("tiny_encoder", NULL);
    if (!g)
        return;
    CU_ASSERT_EQUAL(count_op(g, "MatMul"), 10);
    CU_ASSERT_EQUAL(count_op(g, "Gather"), 1); /* only the embedding lookup on ids */
    CU_ASSERT_EQUAL(count_op(g, "Slice"), 6);  /* q/k/v split of activations stays */
    ir_graph_free(g);
}

void dla_register_tests(void)
{
    DLA_SUITE("passes_zoo", {"digits_cnn", test_digits}, {"resnet18", test_resnet18},
              {"mobilenet_v2", test_mobilenet}, {"squeezenet1_1", test_squeezenet},
              {"resnet50", test_resnet50}, {"tiny_encoder", test_tiny_encoder});
}
