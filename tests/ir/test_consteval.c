/* test_consteval.c - the one constant evaluator (ir/consteval.h) on graphs
 * built in code: arithmetic with broadcasting and wrapping, the integer
 * division that stays unevaluated, data-sharing reinterpretations, an input
 * that breaks an op's rules, Gather(Shape(x)) over a partly known shape, and
 * shape inference's use of it (ir_fold_shape_node). */
#include "dla_test.h"
#include "consteval.h"
#include "infer.h"
#include "ir.h"

#include <string.h>

static int32_t cval(IrGraph *g, const char *name, IrDtype dt, int rank, const int64_t *dims, const void *data)
{
    IrShape s = ir_shape_make(rank, dims);
    int32_t v = ir_value_add(g, name, dt, &s);
    CU_ASSERT_FATAL(v >= 0);
    if (data)
        ir_value_set_data(g, v, data, (size_t)ir_shape_numel(&s) * ir_dtype_size(dt));
    return v;
}

static int32_t op(IrGraph *g, const char *type, const int32_t *in, int nin, const char *out)
{
    int32_t y = ir_value_add(g, out, DT_UNDEFINED, NULL);
    return ir_node_add(g, out, type, "", in, nin, &y, 1);
}

static void test_arith(void)
{
    IrGraph *g = ir_graph_new();
    int64_t a[] = {INT64_MAX, 6, -7}, b[] = {2}, z[] = {0, 1, 2};
    int32_t in[2] = {cval(g, "a", DT_INT64, 1, (int64_t[]){3}, a), cval(g, "b", DT_INT64, 1, (int64_t[]){1}, b)};
    IrConstResult r;
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Add", in, 2, "s"), 100, &r, NULL), 1);
    CU_ASSERT(r.dt == DT_INT64 && r.sh.rank == 1 && r.sh.dims[0] == 3 && !r.shared);
    CU_ASSERT_EQUAL(((int64_t *)r.data)[0], INT64_MIN + 1); /* wraps, no UB */
    CU_ASSERT_EQUAL(((int64_t *)r.data)[2], -5);
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Div", in, 2, "q"), 100, &r, NULL), 1);
    CU_ASSERT_EQUAL(((int64_t *)r.data)[2], -3); /* truncating, as ONNX Runtime */
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Max", in, 2, "m"), 100, &r, NULL), 1);
    CU_ASSERT_EQUAL(((int64_t *)r.data)[2], 2);
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Neg", in, 1, "n"), 100, &r, NULL), 1);
    CU_ASSERT_EQUAL(((int64_t *)r.data)[1], -6);
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Less", in, 2, "lt"), 100, &r, NULL), 1);
    CU_ASSERT(r.dt == DT_BOOL && ((uint8_t *)r.data)[2] == 1 && ((uint8_t *)r.data)[1] == 0);
    /* integer division by zero: undefined, so not a constant */
    int32_t dz[2] = {in[0], cval(g, "z", DT_INT64, 1, (int64_t[]){3}, z)};
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Div", dz, 2, "dz"), 100, &r, NULL), 0);
    /* over the caller's limit: not evaluated */
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Add", in, 2, "big"), 2, &r, NULL), 0);
    /* float: computed in double, rounded once */
    float f[] = {0.1f, -2.5f};
    int32_t fin[1] = {cval(g, "f", DT_FLOAT, 1, (int64_t[]){2}, f)};
    int32_t c = op(g, "Cast", fin, 1, "fi");
    ir_node_add_attr(g, c, "to", IR_ATTR_INT)->i = DT_INT32;
    CU_ASSERT_EQUAL(ir_const_eval(g, c, 100, &r, NULL), 1);
    CU_ASSERT(r.dt == DT_INT32 && ((int32_t *)r.data)[0] == 0 && ((int32_t *)r.data)[1] == -2);
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Floor", fin, 1, "fl"), 100, &r, NULL), 1);
    CU_ASSERT_EQUAL(((float *)r.data)[1], -3.0f);
    /* not covered (float math for the host backend) */
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Exp", fin, 1, "e"), 100, &r, NULL), 0);
    /* ... which ir_const_eval_float adds, in float32 as the host computes it */
    CU_ASSERT_EQUAL(ir_const_eval_float(g, op(g, "Exp", fin, 1, "e2"), 100, &r, NULL), 1);
    CU_ASSERT(r.dt == DT_FLOAT && ((float *)r.data)[1] == expf(-2.5f));
    ir_graph_free(g);
}

static void test_movement(void)
{
    IrGraph *g = ir_graph_new();
    float x[6] = {0, 1, 2, 3, 4, 5};
    int64_t shp[] = {3, -1}, bad[] = {4, -1}, perm[] = {1, 0};
    int32_t xv = cval(g, "x", DT_FLOAT, 2, (int64_t[]){2, 3}, x);
    int32_t in[2] = {xv, cval(g, "s", DT_INT64, 1, (int64_t[]){2}, shp)};
    IrConstResult r;
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Reshape", in, 2, "r"), 1, &r, NULL), 1); /* shares: no limit */
    CU_ASSERT(r.shared && r.data == g->values[xv].data && r.sh.dims[0] == 3 && r.sh.dims[1] == 2);
    int32_t bin[2] = {xv, cval(g, "sb", DT_INT64, 1, (int64_t[]){2}, bad)};
    DlaError err = {0};
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Reshape", bin, 2, "rb"), 100, &r, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "node 'rb' (Reshape)"));
    int32_t t = op(g, "Transpose", &xv, 1, "t");
    IrAttr *pa = ir_node_add_attr(g, t, "perm", IR_ATTR_INTS);
    pa->n = 2;
    pa->ints = perm;
    CU_ASSERT_EQUAL(ir_const_eval(g, t, 100, &r, NULL), 1);
    CU_ASSERT(r.sh.dims[0] == 3 && ((float *)r.data)[1] == 3.0f);
    int64_t ex[] = {2, 2, 3};
    int32_t ein[2] = {xv, cval(g, "es", DT_INT64, 1, (int64_t[]){3}, ex)};
    CU_ASSERT_EQUAL(ir_const_eval(g, op(g, "Expand", ein, 2, "ex"), 100, &r, NULL), 1);
    CU_ASSERT(r.sh.rank == 3 && ((float *)r.data)[7] == 1.0f);
    ir_graph_free(g);
}

/* Gather(Shape(t), [1]) with t = [N,3,5]: 3 is known although N is not; shape
 * inference gives the Gather output data through the same evaluator. */
static void test_shape_of_symbolic(void)
{
    IrGraph *g = ir_graph_new();
    IrShape ts = ir_shape_make(3, (int64_t[]){-1, 3, 5});
    int32_t t = ir_value_add(g, "t", DT_FLOAT, &ts);
    ir_graph_add_input(g, t);
    op(g, "Shape", &t, 1, "sh");
    int64_t one = 1;
    int32_t gin[2] = {ir_value_find(g, "sh"), cval(g, "i", DT_INT64, 1, (int64_t[]){1}, &one)};
    int32_t gn = op(g, "Gather", gin, 2, "d1");
    ir_graph_add_output(g, ir_value_find(g, "d1"));
    IrConstResult r;
    CU_ASSERT_EQUAL(ir_const_eval(g, gn, 100, &r, NULL), 0); /* Shape's output shape not inferred yet */
    DlaError err = {0};
    CU_ASSERT_EQUAL(ir_infer_shapes(g, NULL, &err), DLA_OK);
    CU_ASSERT_EQUAL(ir_const_eval(g, gn, 100, &r, NULL), 1);
    CU_ASSERT(r.dt == DT_INT64 && r.sh.rank == 1 && ((int64_t *)r.data)[0] == 3);
    const IrValue *d1 = &g->values[ir_value_find(g, "d1")];
    CU_ASSERT((d1->flags & IR_VAL_CONST) && ((const int64_t *)d1->data)[0] == 3);
    CU_ASSERT(!(g->values[ir_value_find(g, "sh")].flags & IR_VAL_CONST)); /* N is unknown */
    ir_graph_free(g);
}

void dla_register_tests(void)
{
    DLA_SUITE("consteval", {"arithmetic", test_arith}, {"data movement", test_movement},
              {"Gather(Shape(x)) and inference", test_shape_of_symbolic});
}
