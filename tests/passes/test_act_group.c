/* test_act_group.c - activations on the DLA as lookup tables: single ONNX
 * activations and their decomposed forms (element-wise groups, pass
 * act-group, passes/act_group.h).
 *
 * Every model is built here with onnx_build.h: x -> Conv 3x3 (so the LUT's
 * input comes from the DLA) -> the activation (one op, or its decomposed
 * form) -> y, written to the build tree with random calibration inputs, and
 * compiled by the driver (dla_compile) for dla-edge. Checks per model and
 * shape (odd sizes, batch 2, one larger than an accumulator chunk):
 *  - one DLA segment, no host segment: only the two boundaries around it;
 *  - the activation is ONE QLut, no float element-wise node is left;
 *  - the simulator's int8 output equals qref's bit for bit (--verify);
 *  - SQNR of y against the float model on the host >= 30 dB.
 * Groups whose inner value escapes (also a graph output, or read by another
 * node) are not fused and the result stays correct; pass-level checks show
 * which nodes form a group, that the host path of a group is the float ops
 * unchanged, and that every unary op's table matches the host's float
 * function (ir_const_eval against the JIT). */
#include "dla_test.h"
#include "../frontend/onnx_build.h"

#include <math.h>
#include <unistd.h>

#include "backend/host/host.h"
#include "driver/compile.h"
#include "dlart.h"
#include "ir/consteval.h"
#include "passes/act_group.h"
#include "passes/passes.h"
#include "passes/quant.h"

#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}
static float nrand(void)
{
    double u = urand() + 1e-12, v = urand();
    return (float)(sqrt(-2.0 * log(u)) * cos(2 * M_PI * v));
}

/* ---- model building ---- */

typedef struct Mb {
    Onnx__GraphProto *g;
    int k; /* counter for constant names */
} Mb;

static const char *scalar(Mb *b, float v)
{
    char name[32];
    snprintf(name, sizeof name, "k%d", b->k++);
    Onnx__TensorProto *t = ob_tensor(name, F32, 0, NULL);
    ob_raw(t, &v, sizeof v);
    OB_PUSH(b->g->initializer, b->g->n_initializer, t);
    return t->name;
}

static void fattr(Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

static void sattr(Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)ob_str(v);
}

/* out = op(ins...) */
static Onnx__NodeProto *op(Mb *b, const char *type, const char *out, const char *i0, const char *i1, const char *i2)
{
    const char *ins[4] = {i0, i1, i2, NULL}, *outs[2] = {out, NULL};
    if (!i2)
        ins[2] = NULL;
    if (!i1)
        ins[1] = NULL;
    return ob_node(b->g, NULL, type, ins, outs);
}

/* The activation forms: each writes y from a. */
typedef void (*FormFn)(Mb *b);

static void f_silu(Mb *b) { op(b, "Sigmoid", "s", "a", 0, 0); op(b, "Mul", "y", "a", "s", 0); }
static void f_silu_rev(Mb *b) { op(b, "Sigmoid", "s", "a", 0, 0); op(b, "Mul", "y", "s", "a", 0); }
static void f_hswish_relu6(Mb *b)
{
    op(b, "Add", "t", "a", scalar(b, 3), 0);
    op(b, "Clip", "r", "t", scalar(b, 0), scalar(b, 6));
    op(b, "Mul", "m", "a", "r", 0);
    op(b, "Div", "y", "m", scalar(b, 6), 0);
}
static void f_hswish_mul(Mb *b)
{
    op(b, "Add", "t", "a", scalar(b, 3), 0);
    op(b, "Relu", "r0", "t", 0, 0);
    op(b, "Min", "r", "r0", scalar(b, 6), 0);
    op(b, "Mul", "m", "r", "a", 0);
    op(b, "Mul", "y", "m", scalar(b, 1.0f / 6), 0);
}
static void f_hswish_hsig(Mb *b)
{
    Onnx__NodeProto *n = op(b, "HardSigmoid", "h", "a", 0, 0);
    fattr(n, "alpha", 1.0f / 6);
    op(b, "Mul", "y", "a", "h", 0);
}
static void f_gelu_erf(Mb *b)
{
    op(b, "Div", "d", "a", scalar(b, 1.41421356f), 0);
    op(b, "Erf", "e", "d", 0, 0);
    op(b, "Add", "p", "e", scalar(b, 1), 0);
    op(b, "Mul", "m", "a", "p", 0);
    op(b, "Mul", "y", "m", scalar(b, 0.5f), 0);
}
static void f_gelu_tanh(Mb *b)
{
    op(b, "Pow", "c", "a", scalar(b, 3), 0);
    op(b, "Mul", "c1", "c", scalar(b, 0.044715f), 0);
    op(b, "Add", "s", "a", "c1", 0);
    op(b, "Mul", "s1", "s", scalar(b, 0.7978845608f), 0);
    op(b, "Tanh", "t", "s1", 0, 0);
    op(b, "Add", "p", "t", scalar(b, 1), 0);
    op(b, "Mul", "h", "a", scalar(b, 0.5f), 0);
    op(b, "Mul", "y", "h", "p", 0);
}
static void f_mish(Mb *b) { op(b, "Softplus", "sp", "a", 0, 0); op(b, "Tanh", "t", "sp", 0, 0); op(b, "Mul", "y", "a", "t", 0); }
static void f_clip_chain(Mb *b)
{
    op(b, "Mul", "m", "a", scalar(b, 2), 0);
    op(b, "Sub", "s", scalar(b, 1), "m", 0); /* constant first */
    op(b, "Clip", "y", "s", scalar(b, -1.5f), scalar(b, 2.5f));
}
/* a Clip after a MaxPool: nothing to fuse it into, so a QLut of its own */
static void f_pool_clip(Mb *b)
{
    Onnx__NodeProto *mp = op(b, "MaxPool", "p", "a", 0, 0);
    Onnx__AttributeProto *k = ob_attr(mp, "kernel_shape", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    k->n_ints = 2;
    k->ints = ob_alloc(2 * sizeof(int64_t));
    k->ints[0] = k->ints[1] = 3;
    Onnx__AttributeProto *pd = ob_attr(mp, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    pd->n_ints = 4;
    pd->ints = ob_alloc(4 * sizeof(int64_t));
    for (int i = 0; i < 4; i++)
        pd->ints[i] = 1;
    op(b, "Clip", "y", "p", scalar(b, -0.5f), scalar(b, 1.5f));
}
/* single ops */
#define SINGLE(fn, type) static void fn(Mb *b) { op(b, type, "y", "a", 0, 0); }
SINGLE(f_sigmoid, "Sigmoid")
SINGLE(f_tanh, "Tanh")
SINGLE(f_gelu, "Gelu")
SINGLE(f_mish1, "Mish")
SINGLE(f_softplus, "Softplus")
SINGLE(f_selu, "Selu")
SINGLE(f_softsign, "Softsign")
SINGLE(f_hardswish, "HardSwish")
SINGLE(f_elu, "Elu")
SINGLE(f_erf, "Erf")
SINGLE(f_abs, "Abs")
static void f_gelu_t(Mb *b) { sattr(op(b, "Gelu", "y", "a", 0, 0), "approximate", "tanh"); }
static void f_celu(Mb *b) { fattr(op(b, "Celu", "y", "a", 0, 0), "alpha", 0.7f); }
static void f_thrrelu(Mb *b) { fattr(op(b, "ThresholdedRelu", "y", "a", 0, 0), "alpha", 0.5f); }
static void f_leaky(Mb *b) { fattr(op(b, "LeakyRelu", "y", "a", 0, 0), "alpha", 0.1f); }

/* x[dims] -> Conv(3x3, pads 1, C -> C) -> a -> form -> y. Weights ~ N(0,
 * 1/fan_in) keep a in a realistic range (std ~ that of x). */
static Onnx__ModelProto *build(FormFn form, const int64_t *dims)
{
    Onnx__ModelProto *m = ob_model(20);
    Mb b = {m->graph, 0};
    int64_t c = dims[1], wd[4] = {c, c, 3, 3};
    Onnx__TensorProto *w = ob_tensor("w", F32, 4, wd), *bias = ob_tensor("bias", F32, 1, &c);
    float *wf = malloc((size_t)(c * c * 9) * sizeof *wf), *bf = malloc((size_t)c * sizeof *bf);
    for (int64_t i = 0; i < c * c * 9; i++)
        wf[i] = nrand() / sqrtf((float)(c * 9));
    for (int64_t i = 0; i < c; i++)
        bf[i] = 0.2f * nrand();
    ob_raw(w, wf, (size_t)(c * c * 9) * sizeof *wf);
    ob_raw(bias, bf, (size_t)c * sizeof *bf);
    free(wf);
    free(bf);
    OB_PUSH(b.g->initializer, b.g->n_initializer, w);
    OB_PUSH(b.g->initializer, b.g->n_initializer, bias);
    Onnx__NodeProto *cv = op(&b, "Conv", "a", "x", "w", "bias");
    Onnx__AttributeProto *pa = ob_attr(cv, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    pa->n_ints = 4;
    pa->ints = ob_alloc(4 * sizeof(int64_t));
    for (int i = 0; i < 4; i++)
        pa->ints[i] = 1;
    form(&b);
    OB_PUSH(b.g->input, b.g->n_input, ob_vinfo("x", F32, 4, dims, NULL));
    OB_PUSH(b.g->output, b.g->n_output, ob_vinfo("y", F32, 4, dims, NULL));
    return m;
}

/* Files under the build tree: model, calibration folder (4 inputs), input. */
typedef struct Files {
    char dir[4096], model[4200], calib[4200], input[4200];
} Files;

static void write_x(const char *path, const int64_t *dims)
{
    IrShape s = ir_shape_make(4, dims);
    int64_t n = ir_shape_numel(&s);
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++)
        x[i] = 1.5f * nrand();
    DlaError e = {0};
    CU_ASSERT_EQUAL(onnx_tensor_write(path, "x", DT_FLOAT, &s, x, (size_t)n * sizeof *x, &e), DLA_OK);
    free(x);
}

static void write_files(Files *f, const char *tag, Onnx__ModelProto *m, const int64_t *dims)
{
    snprintf(f->dir, sizeof f->dir, "%s/act_group_%d_%s", DLA_BINARY_DIR, (int)getpid(), tag);
    snprintf(f->model, sizeof f->model, "%s/model.onnx", f->dir);
    snprintf(f->calib, sizeof f->calib, "%s/calib", f->dir);
    snprintf(f->input, sizeof f->input, "%s/input.pb", f->dir);
    mkdir(f->dir, 0777);
    mkdir(f->calib, 0777);
    size_t len;
    uint8_t *buf = ob_pack_model(m, &len);
    FILE *fp = fopen(f->model, "wb");
    CU_ASSERT_FATAL(fp != NULL);
    CU_ASSERT_EQUAL(fwrite(buf, 1, len, fp), len);
    fclose(fp);
    for (int i = 0; i < 4; i++) {
        char p[4300];
        snprintf(p, sizeof p, "%s/c%d.pb", f->calib, i);
        uint64_t seed = rng_state;
        write_x(p, dims);
        if (i == 0) { /* the test input is among the calibration inputs: the
                       * SQNR measures the tables, not ranges that 4 samples
                       * of a few hundred values missed */
            uint64_t after = rng_state;
            rng_state = seed;
            write_x(f->input, dims);
            rng_state = after;
        }
    }
}

static void remove_files(const Files *f)
{
    char p[4300];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/c%d.pb", f->calib, i);
        remove(p);
    }
    remove(f->calib);
    remove(f->model);
    remove(f->input);
    remove(f->dir);
}

static double sqnr(const float *got, const float *ref, int64_t n)
{
    double s = 0, e = 0;
    for (int64_t i = 0; i < n; i++) {
        s += (double)ref[i] * ref[i];
        e += ((double)got[i] - ref[i]) * ((double)got[i] - ref[i]);
    }
    return e > 0 ? 10.0 * log10(s / e) : INFINITY;
}

static int count_op(const IrGraph *g, IrOp o)
{
    int k = 0;
    for (int32_t n = 0; n < g->nnodes; n++)
        k += !g->nodes[n].dead && g->nodes[n].op == o;
    return k;
}

/* Compile and run; one_segment: expect exactly one DLA segment holding one
 * QLut and nothing on the host. Returns the SQNR of y against the float model. */
static double check_model(const char *tag, FormFn form, const int64_t *dims, int one_segment)
{
    Onnx__ModelProto *m = build(form, dims);
    Files f;
    write_files(&f, tag, m, dims);
    DlaError e = {0};
    OnnxTensorFile in;
    memset(&in, 0, sizeof in);
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(f.input, &in, &e), DLA_OK);
    DlaCompileOptions co = {0};
    co.target = "dla-edge";
    co.calib_dir = f.calib;
    co.host_opt_level = 2;
    DlaPlan *p = NULL;
    DlaStatus st = dla_compile(f.model, &co, &p, &e);
    if (st)
        fprintf(stderr, "%s: compile: %s\n", tag, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    if (one_segment) {
        CU_ASSERT_EQUAL(p->ndla, 1);
        for (int32_t s = 0; s < p->nsegs; s++)
            CU_ASSERT_NOT_EQUAL(p->segs[s].kind, DLA_SEG_HOST);
        CU_ASSERT_EQUAL(count_op(p->g, OP_QLUT), 1);
        CU_ASSERT_EQUAL(count_op(p->g, OP_QCONV), 1);
        if (p->ndla != 1 || count_op(p->g, OP_QLUT) != 1) {
            fprintf(stderr, "%s: expected one DLA segment with one QLut:\n", tag);
            dla_plan_print(p, stderr);
        }
    }
    DlartDevice *dev;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&p->target, 0, &dev, &e), DLA_OK);
    DlartProgram *rp;
    CU_ASSERT_EQUAL_FATAL(dlart_program_load(dev, &p->prog, &rp, &e), DLA_OK);
    DlaRunOptions ro = {0};
    ro.verify_qref = 1;
    DlaRunResult res;
    st = dla_plan_run(p, rp, &in, 1, &ro, &res, &e);
    if (st)
        fprintf(stderr, "%s: run: %s\n", tag, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT(res.qref_bytes > 0);
    CU_ASSERT_EQUAL(res.qref_mismatches, 0);
    if (res.qref_mismatches)
        fprintf(stderr, "%s: %s\n", tag, res.qref_first);
    /* the float model on the host */
    IrGraph *fg = NULL;
    void **vals = NULL;
    st = dla_float_reference(f.model, &co, &in, 1, &fg, &vals, &e);
    if (st)
        fprintf(stderr, "%s: float reference: %s\n", tag, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    int32_t yv = ir_value_find(fg, "y");
    CU_ASSERT_FATAL(yv >= 0 && vals[yv] != NULL);
    int64_t n = ir_shape_numel(&fg->values[yv].shape);
    int32_t k = 0; /* y's place among the outputs (an escaping value may come first) */
    while (k < res.noutputs - 1 && strcmp(p->g->values[p->g->outputs[k]].name, "y") != 0)
        k++;
    CU_ASSERT_STRING_EQUAL(p->g->values[p->g->outputs[k]].name, "y");
    double db = sqnr(res.outputs[k], vals[yv], n);
    dla_float_reference_free(fg, vals);
    dla_run_result_free(&res);
    dlart_program_free(rp);
    dlart_device_free(dev);
    dla_plan_free(p);
    onnx_tensor_file_free(&in);
    remove_files(&f);
    ob_free_all();
    return db;
}

/* min_db: 30 dB against the float model, except for a function with a jump
 * (ThresholdedRelu at alpha): an input within half an int8 step of the jump
 * lands on either side after the input's quantization, an error of the
 * jump's height that no table can undo (measured 25-30 dB here). */
static const struct {
    const char *name;
    FormFn fn;
    double min_db;
} forms[] = {
    {"silu", f_silu, 30}, {"silu_rev", f_silu_rev, 30}, {"hswish_relu6", f_hswish_relu6, 30},
    {"hswish_min", f_hswish_mul, 30}, {"hswish_hsig", f_hswish_hsig, 30}, {"gelu_erf", f_gelu_erf, 30},
    {"gelu_tanh", f_gelu_tanh, 30}, {"mish", f_mish, 30}, {"clip_chain", f_clip_chain, 30},
    {"pool_clip", f_pool_clip, 30},
    {"Sigmoid", f_sigmoid, 30}, {"Tanh", f_tanh, 30}, {"Gelu", f_gelu, 30}, {"Gelu_tanh", f_gelu_t, 30},
    {"Mish", f_mish1, 30}, {"Softplus", f_softplus, 30}, {"Selu", f_selu, 30}, {"Celu", f_celu, 30},
    {"Softsign", f_softsign, 30}, {"ThresholdedRelu", f_thrrelu, 20}, {"HardSwish", f_hardswish, 30},
    {"Elu", f_elu, 30}, {"Erf", f_erf, 30}, {"LeakyRelu", f_leaky, 30}, {"Abs", f_abs, 30},
};

/* Each form and op on a small odd shape; the decomposed forms also with batch
 * 2 and on an image larger than one accumulator chunk. */
static void test_forms_one_segment(void)
{
    const int64_t small[4] = {1, 5, 7, 9}, batch[4] = {2, 3, 5, 11}, large[4] = {1, 16, 40, 40};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int decomposed = i < 10;
        for (int k = 0; k < (decomposed ? 3 : 1); k++) {
            const int64_t *d = k == 0 ? small : k == 1 ? batch : large;
            char tag[64];
            snprintf(tag, sizeof tag, "%s_%d", forms[i].name, k);
            double db = check_model(tag, forms[i].fn, d, 1);
            fprintf(stderr, "act %-16s [%lld,%lld,%lld,%lld]  SQNR %6.2f dB\n", forms[i].name, (long long)d[0],
                    (long long)d[1], (long long)d[2], (long long)d[3], db);
            CU_ASSERT(db >= forms[i].min_db);
        }
    }
}

/* The inner value escapes: the group must stop there, results stay right. */
static void f_escape_output(Mb *b)
{
    f_silu(b);
    OB_PUSH(b->g->output, b->g->n_output, ob_vinfo("s", F32, -1, NULL, NULL));
}
static void f_escape_reader(Mb *b)
{
    f_hswish_relu6(b);
    /* t = a + 3 is also read by a MaxPool whose result is a second output */
    Onnx__NodeProto *mp = op(b, "MaxPool", "t_pool", "t", 0, 0);
    Onnx__AttributeProto *k = ob_attr(mp, "kernel_shape", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    k->n_ints = 2;
    k->ints = ob_alloc(2 * sizeof(int64_t));
    k->ints[0] = k->ints[1] = 1;
    OB_PUSH(b->g->output, b->g->n_output, ob_vinfo("t_pool", F32, -1, NULL, NULL));
}

static void test_escape_not_fused(void)
{
    const int64_t d[4] = {1, 4, 6, 7};
    double db = check_model("escape_output", f_escape_output, d, 0);
    fprintf(stderr, "act escape_output     SQNR %6.2f dB\n", db);
    CU_ASSERT(db >= 30.0);
    db = check_model("escape_reader", f_escape_reader, d, 0);
    fprintf(stderr, "act escape_reader     SQNR %6.2f dB\n", db);
    CU_ASSERT(db >= 30.0);
}

/* ---- pass level ---- */

static IrGraph *load_marked(FormFn form, const int64_t *dims)
{
    Onnx__ModelProto *m = build(form, dims);
    DlaError e = {0};
    IrGraph *g = ob_load(m, NULL, NULL, &e);
    CU_ASSERT_FATAL(g != NULL);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.passes = "shapes,identity,fold,dce,reshapes,act-group,partition";
    ctx.quantize = 1;
    CU_ASSERT_EQUAL_FATAL(pipeline(g, &ctx, &e), DLA_OK);
    return g;
}

static int32_t node_of(const IrGraph *g, const char *out)
{
    int32_t v = ir_value_find(g, out);
    return v >= 0 ? g->values[v].producer : -1;
}

static void test_group_marks(void)
{
    const int64_t d[4] = {1, 4, 6, 7};
    /* hard-swish: Add, Clip, Mul, Div are one group rooted at Div, on the DLA */
    IrGraph *g = load_marked(f_hswish_relu6, d);
    int32_t t = node_of(g, "t"), r = node_of(g, "r"), mm = node_of(g, "m"), y = node_of(g, "y"), a = node_of(g, "a");
    CU_ASSERT(g->nodes[t].act_group > 0);
    CU_ASSERT(g->nodes[r].act_group == g->nodes[t].act_group && g->nodes[mm].act_group == g->nodes[t].act_group &&
              g->nodes[y].act_group == g->nodes[t].act_group);
    CU_ASSERT_EQUAL(g->nodes[a].act_group, 0);
    ActGroup ag;
    CU_ASSERT_FATAL(act_group_get(g, mm, &ag));
    CU_ASSERT_EQUAL(ag.nnodes, 4);
    CU_ASSERT_EQUAL(ag.root, y);
    CU_ASSERT_EQUAL(ag.input, ir_value_find(g, "a"));
    act_group_free(&ag);
    CU_ASSERT_EQUAL(act_group_role(g, y), ACT_ROOT);
    CU_ASSERT_EQUAL(act_group_role(g, r), ACT_INNER);
    for (int32_t n = 0; n < g->nnodes; n++)
        CU_ASSERT_EQUAL(g->nodes[n].device, IR_DEVICE_DLA);
    /* calibration: a and y only, not t, r, m */
    uint8_t *mark = quant_int8_values(g, NULL);
    CU_ASSERT(mark[ir_value_find(g, "a")] && mark[ir_value_find(g, "y")]);
    CU_ASSERT(!mark[ir_value_find(g, "t")] && !mark[ir_value_find(g, "r")] && !mark[ir_value_find(g, "m")]);
    free(mark);
    ir_graph_free(g);
    ob_free_all();

    /* Sigmoid also a graph output: Sigmoid alone (a plain LUT op, unmarked);
     * Mul reads two different activations: no group */
    g = load_marked(f_escape_output, d);
    CU_ASSERT_EQUAL(g->nodes[node_of(g, "s")].act_group, 0);
    CU_ASSERT_EQUAL(g->nodes[node_of(g, "y")].act_group, 0);
    ir_graph_free(g);
    ob_free_all();

    /* t escapes to a MaxPool: Add is a group of its own (root t), and Clip,
     * Mul, Div are not one group with it */
    g = load_marked(f_escape_reader, d);
    t = node_of(g, "t");
    CU_ASSERT(g->nodes[t].act_group > 0);
    CU_ASSERT_EQUAL(act_group_role(g, t), ACT_ROOT);
    CU_ASSERT(g->nodes[node_of(g, "r")].act_group != g->nodes[t].act_group);
    CU_ASSERT(g->nodes[node_of(g, "m")].act_group != g->nodes[t].act_group);
    ir_graph_free(g);
    ob_free_all();

    /* a lone one-input function is not marked: a plain LUT op (quant_is_lut_op) */
    g = load_marked(f_abs, d);
    CU_ASSERT_EQUAL(g->nodes[node_of(g, "y")].act_group, 0);
    CU_ASSERT_EQUAL(g->nodes[node_of(g, "y")].device, IR_DEVICE_DLA);
    ir_graph_free(g);
    ob_free_all();

    /* without quantization the pass marks nothing */
    Onnx__ModelProto *m = build(f_silu, d);
    DlaError e = {0};
    g = ob_load(m, NULL, NULL, &e);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.passes = "shapes,act-group";
    CU_ASSERT_EQUAL_FATAL(pipeline(g, &ctx, &e), DLA_OK);
    for (int32_t n = 0; n < g->nnodes; n++)
        CU_ASSERT_EQUAL(g->nodes[n].act_group, 0);
    ir_graph_free(g);
    ob_free_all();
}

/* The constant evaluator's float math is the host's: y = op(x) for 256
 * inputs over [-8, 8) through the JIT and through ir_const_eval_float, bit for
 * bit (Pow, PRelu, Clip with constant scalars; Gelu in both forms). */
static void test_eval_matches_host(void)
{
    static const char *ops[] = {"Sigmoid", "Tanh", "Erf", "Exp", "Softplus", "Softsign", "Mish", "Gelu", "Elu",
                                "Selu", "Celu", "HardSigmoid", "HardSwish", "LeakyRelu", "ThresholdedRelu",
                                "Sin", "Cos", "Atan", "Round", "Sign", "Reciprocal", "Shrink", "Asinh",
                                "Pow", "PRelu", "Clip", "Gelu"};
    float xin[256];
    for (int i = 0; i < 256; i++)
        xin[i] = (float)(i - 128) / 16.0f + 1.0f / 64;
    int64_t n256 = 256;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        IrGraph *g = ir_graph_new();
        ir_graph_set_opset(g, "", 20);
        IrShape s = ir_shape_make(1, &n256);
        int32_t x = ir_value_add(g, "x", DT_FLOAT, &s), y = ir_value_add(g, "y", DT_FLOAT, &s);
        ir_graph_add_input(g, x);
        ir_graph_add_output(g, y);
        int32_t nd = ir_node_add(g, "f", ops[k], "", &x, 1, &y, 1);
        if (!strcmp(ops[k], "Gelu") && (k & 1)) { /* Gelu twice: at index 7 the tanh form, at 26 none */
            IrAttr *a = ir_node_add_attr(g, nd, "approximate", IR_ATTR_STRING);
            a->s = "tanh";
            a->slen = 4;
        }
        if (!strcmp(ops[k], "Pow") || !strcmp(ops[k], "PRelu") || !strcmp(ops[k], "Clip")) {
            /* a constant scalar second (and third) operand */
            static const float c1[3] = {3.0f, 0.25f, -2.5f}, c2 = 1.75f;
            int which = !strcmp(ops[k], "Pow") ? 0 : !strcmp(ops[k], "PRelu") ? 1 : 2;
            IrShape sc = ir_shape_make(0, NULL);
            int32_t ins[3] = {x, ir_value_add(g, "c1", DT_FLOAT, &sc), -1};
            ir_value_set_data(g, ins[1], &c1[which], sizeof(float));
            g->values[ins[1]].flags |= IR_VAL_CONST;
            int nin = 2;
            if (which == 2) {
                ins[2] = ir_value_add(g, "c2", DT_FLOAT, &sc);
                ir_value_set_data(g, ins[2], &c2, sizeof c2);
                g->values[ins[2]].flags |= IR_VAL_CONST;
                nin = 3;
            }
            g->nodes[nd].inputs = dla_arena_memdup(&g->arena, ins, sizeof ins);
            g->nodes[nd].ninputs = nin;
        }
        DlaError e = {0};
        const IrExecutor *ex = host_executor();
        void *h = NULL;
        CU_ASSERT_EQUAL_FATAL(ex->compile(ex, g, &h, &e), DLA_OK);
        float host_y[256], ce_y[256];
        void *ins[1] = {xin}, *outs[1] = {host_y};
        CU_ASSERT_EQUAL_FATAL(ex->run(ex, h, ins, outs, &e), DLA_OK);
        ex->release(ex, h);
        CU_ASSERT_EQUAL_FATAL(act_group_eval(g, &nd, 1, x, xin, ce_y, 256, &e), DLA_OK);
        int diff = 0;
        for (int i = 0; i < 256; i++)
            diff += memcmp(&host_y[i], &ce_y[i], sizeof(float)) != 0 && !(isnan(host_y[i]) && isnan(ce_y[i]));
        if (diff)
            fprintf(stderr, "%s: %d of 256 values differ from the host's\n", ops[k], diff);
        CU_ASSERT_EQUAL(diff, 0);
        ir_graph_free(g);
    }
}

void dla_register_tests(void)
{
    DLA_SUITE("act_group", {"group marks", test_group_marks}, {"eval matches host", test_eval_matches_host},
              {"forms on one DLA segment", test_forms_one_segment}, {"escaping values", test_escape_not_fused});
}
