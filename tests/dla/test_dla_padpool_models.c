/* test_dla_padpool_models.c - padding and pooling on the DLA from ONNX
 * models built with tests/frontend/onnx_build.h:
 *  - partition: what runs on the DLA, and the reason for what does not;
 *  - whole models (conv -> pad/pool -> conv, random weights), compiled with
 *    calibration for dla-edge and dla-server: exactly one DLA segment and no
 *    host node between quantize and dequantize, bit-exact with qref, int8
 *    SQNR >= 30 dB against the float host path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/compile.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "dlart.h"
#include "ir/infer.h"
#include "ops.h"
#include "passes/quant.h"

#include "../frontend/onnx_build.h"

/* ------------------------------------------------------------ ONNX models, end to end */

static uint64_t frng = 1;
static float frand(void) /* about N(0, 1): sum of 4 uniforms */
{
    float s = 0;
    for (int i = 0; i < 4; i++) {
        frng = frng * 6364136223846793005ULL + 1442695040888963407ULL;
        s += (float)((frng >> 40) & 0xFFFFFF) / 16777216.0f - 0.5f;
    }
    return s * 1.732f;
}

typedef struct Mb {
    Onnx__ModelProto *m;
    Onnx__GraphProto *g;
    int k;
} Mb;

static void mb_init(const char *name, float *w, size_t n, int rank, const int64_t *dims, Mb *b)
{
    Onnx__TensorProto *t = ob_tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims);
    ob_raw(t, w, n * sizeof *w);
    OB_PUSH(b->g->initializer, b->g->n_initializer, t);
}

static void mb_ints(Mb *b, const char *name, int64_t n, const int64_t *v)
{
    Onnx__TensorProto *t = ob_tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, &n);
    ob_raw(t, v, (size_t)n * sizeof *v);
    OB_PUSH(b->g->initializer, b->g->n_initializer, t);
}

static void attr_i(Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void attr_is(Onnx__NodeProto *n, const char *name, int k, const int64_t *v)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)k;
    a->ints = ob_alloc((size_t)k * sizeof(int64_t));
    memcpy(a->ints, v, (size_t)k * sizeof(int64_t));
}

static void attr_s(Onnx__NodeProto *n, const char *name, const char *s)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.data = (uint8_t *)ob_str(s);
    a->s.len = strlen(s);
}

/* Conv(+Relu) with random weights scaled to keep activations near N(0,1). */
static void mb_conv(Mb *b, const char *in, const char *out, int64_t ic, int64_t oc, int64_t k, int64_t pad, int relu)
{
    char wn[64], bn[64], cn[64];
    snprintf(wn, sizeof wn, "w%d", b->k);
    snprintf(bn, sizeof bn, "b%d", b->k);
    snprintf(cn, sizeof cn, "conv%d", b->k++);
    int64_t wd[4] = {oc, ic, k, k};
    size_t nw = (size_t)(oc * ic * k * k);
    float *w = malloc(nw * sizeof *w), *bias = malloc((size_t)oc * sizeof *bias);
    for (size_t i = 0; i < nw; i++)
        w[i] = frand() / sqrtf((float)(ic * k * k));
    for (int64_t i = 0; i < oc; i++)
        bias[i] = 0.1f * frand();
    mb_init(wn, w, nw, 4, wd, b);
    mb_init(bn, bias, (size_t)oc, 1, &oc, b);
    free(w);
    free(bias);
    const char *ins[] = {in, wn, bn, NULL};
    char mid[64];
    snprintf(mid, sizeof mid, "%s_pre", out);
    const char *outs[] = {relu ? mid : out, NULL};
    Onnx__NodeProto *n = ob_node(b->g, cn, "Conv", ins, outs);
    int64_t ks[2] = {k, k}, pd[4] = {pad, pad, pad, pad};
    attr_is(n, "kernel_shape", 2, ks);
    attr_is(n, "pads", 4, pd);
    if (relu) {
        const char *ri[] = {mid, NULL}, *ro[] = {out, NULL};
        ob_node(b->g, NULL, "Relu", ri, ro);
    }
}

/* Model: x [N,3,H,W] -> conv3x3+relu (C ch) -> middle(b, "a" -> "m") -> conv1x1 -> y. */
typedef void (*MiddleFn)(Mb *b, int64_t C);

static double model_case(const char *tag, int64_t opset, const int64_t *xd, int64_t C, MiddleFn mid, const char *mid_out)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/padpool_%s_%d", DLA_BINARY_DIR, tag, (int)getpid());
    mkdir(dir, 0755);
    char calib[4200], model[4200], input[4200];
    snprintf(calib, sizeof calib, "%s/calib", dir);
    mkdir(calib, 0755);
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    snprintf(input, sizeof input, "%s/input.pb", dir);
    frng = 7;
    Mb b = {ob_model(opset), NULL, 0};
    b.g = b.m->graph;
    mb_conv(&b, "x", "a", xd[1], C, 3, 1, 1);
    mid(&b, C);
    mb_conv(&b, mid_out, "y", C, C, 1, 0, 0);
    OB_PUSH(b.g->input, b.g->n_input, ob_vinfo("x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd, NULL));
    OB_PUSH(b.g->output, b.g->n_output, ob_vinfo("y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, -1, NULL, NULL));
    size_t len;
    uint8_t *buf = ob_pack_model(b.m, &len);
    FILE *f = fopen(model, "wb");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
    fclose(f);
    DlaError e = {0};
    IrShape xs = ir_shape_make(4, xd);
    int64_t nx = ir_shape_numel(&xs);
    float *xv = malloc((size_t)nx * sizeof *xv);
    for (int i = 0; i <= 4; i++) {
        char p[4300];
        if (i < 4)
            snprintf(p, sizeof p, "%s/c%d.pb", calib, i);
        for (int64_t j = 0; j < nx; j++)
            xv[j] = frand();
        CU_ASSERT_EQUAL_FATAL(onnx_tensor_write(i < 4 ? p : input, "x", DT_FLOAT, &xs, xv, (size_t)nx * 4, &e), DLA_OK);
    }
    free(xv);
    OnnxTensorFile in;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(input, &in, &e), DLA_OK);
    double worst = INFINITY;
    const char *targets[2] = {"dla-edge", "dla-server"};
    for (int ti = 0; ti < 2; ti++) {
        DlaCompileOptions co = {0};
        co.target = targets[ti];
        co.calib_dir = calib;
        co.host_opt_level = 1;
        co.bind = &in;
        co.nbind = 1;
        DlaPlan *p = NULL;
        DlaStatus st = dla_compile(model, &co, &p, &e);
        if (st)
            fprintf(stderr, "compile %s: %s\n", tag, e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        /* one DLA segment; the only host work is the input's quantize and the output's dequantize */
        CU_ASSERT_EQUAL(p->ndla, 1);
        for (int32_t s = 0; s < p->nsegs; s++)
            if (p->segs[s].kind == DLA_SEG_HOST) {
                fprintf(stderr, "%s: host segment with %s\n", tag, p->g->nodes[p->segs[s].nodes[0]].op_type);
                CU_FAIL("a host segment");
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
            fprintf(stderr, "run %s: %s\n", tag, e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        CU_ASSERT(res.qref_bytes > 0);
        CU_ASSERT_EQUAL(res.qref_mismatches, 0);
        /* the float host path on the same input */
        IrGraph *fg;
        void **fv;
        CU_ASSERT_EQUAL_FATAL(dla_float_reference(model, &co, &in, 1, &fg, &fv, &e), DLA_OK);
        int32_t yv = ir_value_find(fg, "y");
        CU_ASSERT_FATAL(yv >= 0 && fv[yv] != NULL);
        int64_t ny = ir_shape_numel(&fg->values[yv].shape);
        const float *ref = fv[yv], *got = res.outputs[0];
        double s = 0, err2 = 0;
        for (int64_t i = 0; i < ny; i++) {
            s += (double)ref[i] * ref[i];
            err2 += ((double)got[i] - ref[i]) * ((double)got[i] - ref[i]);
        }
        double db = err2 > 0 ? 10 * log10(s / err2) : INFINITY;
        fprintf(stderr, "\n  %-14s %-10s 1 DLA segment, bit-exact, %llu cycles, SQNR %.2f dB", tag, targets[ti],
                (unsigned long long)dlart_stats(rp)->cycles, db);
        CU_ASSERT(db >= 30.0);
        worst = db < worst ? db : worst;
        dla_float_reference_free(fg, fv);
        dla_run_result_free(&res);
        dlart_program_free(rp);
        dlart_device_free(dev);
        dla_plan_free(p);
    }
    onnx_tensor_file_free(&in);
    ob_free_all();
    for (int i = 0; i < 4; i++) {
        char p[4300];
        snprintf(p, sizeof p, "%s/c%d.pb", calib, i);
        remove(p);
    }
    remove(calib);
    remove(model);
    remove(input);
    remove(dir);
    return worst;
}

static void mid_reflect(Mb *b, int64_t C)
{
    (void)C;
    int64_t p[8] = {0, 0, 2, 3, 0, 0, 1, 4};
    mb_ints(b, "pads", 8, p);
    const char *in[] = {"a", "pads", NULL}, *out[] = {"m", NULL};
    attr_s(ob_node(b->g, "pad", "Pad", in, out), "mode", "reflect");
}

static void mid_edge_big(Mb *b, int64_t C)
{
    (void)C;
    int64_t p[8] = {0, 0, 9, 12, 0, 0, 20, 8};
    mb_ints(b, "pads", 8, p);
    const char *in[] = {"a", "pads", NULL}, *out[] = {"m", NULL};
    attr_s(ob_node(b->g, "pad", "Pad", in, out), "mode", "edge");
}

static void mid_const_op2(Mb *b, int64_t C) /* opset 2: pads as an attribute */
{
    (void)C;
    int64_t p[8] = {0, 0, 10, 1, 0, 0, 3, 15};
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pad", "Pad", in, out);
    attr_is(n, "pads", 8, p);
    attr_s(n, "mode", "constant");
}

static void mid_conv_bigpad(Mb *b, int64_t C) { mb_conv(b, "a", "m", C, C, 3, 9, 1); }

/* DeepLab's ASPP branch: 3x3 dilation 12, pads 12 (an explicit QPad). */
static void mid_aspp(Mb *b, int64_t C)
{
    mb_conv(b, "a", "m", C, C, 3, 12, 1);
    Onnx__NodeProto *n = b->g->node[b->g->n_node - 2]; /* the Conv before its Relu */
    int64_t d[2] = {12, 12};
    attr_is(n, "dilations", 2, d);
}

static void mid_maxpool_same(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "MaxPool", in, out);
    int64_t k[2] = {19, 19};
    attr_is(n, "kernel_shape", 2, k);
    attr_s(n, "auto_pad", "SAME_UPPER");
}

static void mid_maxpool_big(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "MaxPool", in, out);
    int64_t k[2] = {17, 17}, s[2] = {2, 2}, p[4] = {8, 8, 8, 8};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "strides", 2, s);
    attr_is(n, "pads", 4, p);
}

static void mid_avg_ceil_nopad(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "AveragePool", in, out);
    int64_t k[2] = {3, 3}, s[2] = {2, 2}, p[4] = {1, 0, 1, 2};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "strides", 2, s);
    attr_is(n, "pads", 4, p);
    attr_i(n, "ceil_mode", 1);
    attr_i(n, "count_include_pad", 0);
}

static void mid_avg_dil(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "AveragePool", in, out);
    int64_t k[2] = {3, 2}, d[2] = {2, 2}, p[4] = {2, 1, 2, 1};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "dilations", 2, d);
    attr_is(n, "pads", 4, p);
    attr_i(n, "count_include_pad", 1);
}

static void mid_max_ceil_dil(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    Onnx__NodeProto *n = ob_node(b->g, "pool", "MaxPool", in, out);
    int64_t k[2] = {3, 3}, s[2] = {2, 2}, d[2] = {1, 2};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "strides", 2, s);
    attr_is(n, "dilations", 2, d);
    attr_i(n, "ceil_mode", 1);
}

static void mid_gmax(Mb *b, int64_t C)
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    ob_node(b->g, "gmp", "GlobalMaxPool", in, out);
}

static void mid_reduce_mean(Mb *b, int64_t C) /* opset 13: axes attribute */
{
    (void)C;
    const char *in[] = {"a", NULL}, *out[] = {"m", NULL};
    int64_t ax[2] = {2, 3};
    Onnx__NodeProto *n = ob_node(b->g, "rm", "ReduceMean", in, out);
    attr_is(n, "axes", 2, ax);
    attr_i(n, "keepdims", 1);
}

static void mid_reduce_max18(Mb *b, int64_t C) /* opset 18: axes input */
{
    (void)C;
    int64_t ax[2] = {-1, -2};
    mb_ints(b, "axes", 2, ax);
    const char *in[] = {"a", "axes", NULL}, *out[] = {"m", NULL};
    ob_node(b->g, "rmax", "ReduceMax", in, out);
}

static void test_models(void)
{
    int64_t x1[4] = {2, 3, 13, 11}, x2[4] = {1, 3, 30, 40};
    model_case("pad_reflect", 13, x1, 16, mid_reflect, "m");
    model_case("pad_edge_big", 13, x1, 16, mid_edge_big, "m");
    model_case("pad_const_op2", 2, x1, 16, mid_const_op2, "m");
    model_case("conv_pad9", 13, x1, 16, mid_conv_bigpad, "m");
    model_case("maxpool_pad8", 13, x2, 16, mid_maxpool_big, "m");
    int64_t x3[4] = {1, 3, 33, 33}, x4[4] = {1, 3, 25, 27};
    model_case("aspp_dil12", 13, x3, 16, mid_aspp, "m");
    model_case("maxpool_same19", 13, x4, 16, mid_maxpool_same, "m");
    model_case("avg_ceil_cip0", 13, x1, 16, mid_avg_ceil_nopad, "m");
    model_case("avg_dilated", 19, x1, 16, mid_avg_dil, "m");
    model_case("max_ceil_dil", 13, x2, 16, mid_max_ceil_dil, "m");
    model_case("globalmaxpool", 13, x1, 16, mid_gmax, "m");
    model_case("reducemean", 13, x1, 16, mid_reduce_mean, "m");
    model_case("reducemax18", 18, x1, 16, mid_reduce_max18, "m");
}

/* ------------------------------------------------------------ partition rules */

/* One node (op on x [2,8,10,12] plus extra initializers) through the loader
 * and shape inference; the partition's answer for it, and its reason. */
typedef void (*NodeFn)(Mb *b, Onnx__NodeProto *n);

static int decide(int64_t opset, const char *op, const char *extra_in, NodeFn fn, const char **why)
{
    Mb b = {ob_model(opset), NULL, 0};
    b.g = b.m->graph;
    int64_t xd[4] = {2, 8, 10, 12};
    const char *ins[] = {"x", extra_in ? extra_in : NULL, NULL}, *outs[] = {"y", NULL};
    Onnx__NodeProto *n = ob_node(b.g, "n", op, ins, outs);
    fn(&b, n);
    OB_PUSH(b.g->input, b.g->n_input, ob_vinfo("x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd, NULL));
    OB_PUSH(b.g->output, b.g->n_output, ob_vinfo("y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, -1, NULL, NULL));
    DlaError e = {0};
    IrGraph *g = ob_load(b.m, NULL, NULL, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    DlaStatus st = ir_infer_shapes(g, NULL, &e);
    if (st)
        fprintf(stderr, "shapes: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    int32_t k = -1;
    for (int32_t i = 0; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i].op_type, op))
            k = i;
    CU_ASSERT_FATAL(k >= 0);
    *why = NULL;
    int ok = quant_dla_supported(g, k, why);
    static char keep[256]; /* the reason is static text of the pass; copied for the message */
    snprintf(keep, sizeof keep, "%s", *why ? *why : "");
    *why = keep;
    ir_graph_free(g);
    ob_free_all();
    return ok;
}

static void pads_in(Mb *b, const int64_t *p) { mb_ints(b, "pads", 8, p); }
static void pad_wrap(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 0, 1, 1, 0, 0, 1, 1}; pads_in(b, p); attr_s(n, "mode", "wrap"); }
static void pad_neg(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 0, -1, 1, 0, 0, 1, 1}; pads_in(b, p); (void)n; }
static void pad_chan(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 1, 1, 1, 0, 0, 1, 1}; pads_in(b, p); (void)n; }
static void pad_refl_big(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 0, 10, 1, 0, 0, 1, 1}; pads_in(b, p); attr_s(n, "mode", "reflect"); }
static void pad_ok20(Mb *b, Onnx__NodeProto *n) { int64_t p[8] = {0, 0, 20, 0, 0, 0, 1, 17}; pads_in(b, p); attr_s(n, "mode", "edge"); }
static void pad_value(Mb *b, Onnx__NodeProto *n)
{
    (void)b;
    int64_t p[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    attr_is(n, "pads", 8, p);
    Onnx__AttributeProto *a = ob_attr(n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = 1.5f;
}
static void avg_cip0_big(Mb *b, Onnx__NodeProto *n)
{
    (void)b;
    int64_t k[2] = {9, 9}, p[4] = {8, 8, 8, 8};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "pads", 4, p);
}
static void avg_cip1_big(Mb *b, Onnx__NodeProto *n) { avg_cip0_big(b, n); attr_i(n, "count_include_pad", 1); }
static void pool_pad_ge_kernel(Mb *b, Onnx__NodeProto *n)
{
    (void)b;
    int64_t k[2] = {2, 2}, p[4] = {2, 0, 0, 0};
    attr_is(n, "kernel_shape", 2, k);
    attr_is(n, "pads", 4, p);
}
static void reduce_c(Mb *b, Onnx__NodeProto *n) { (void)b; int64_t ax[2] = {1, 2}; attr_is(n, "axes", 2, ax); }
static void reduce_all(Mb *b, Onnx__NodeProto *n) { (void)b; (void)n; }
static void reduce_hw0(Mb *b, Onnx__NodeProto *n) { (void)b; int64_t ax[2] = {3, -2}; attr_is(n, "axes", 2, ax); attr_i(n, "keepdims", 0); }
static void nothing(Mb *b, Onnx__NodeProto *n) { (void)b; (void)n; }

static void test_partition(void)
{
    const char *why;
    CU_ASSERT(!decide(19, "Pad", "pads", pad_wrap, &why) && strstr(why, "mode"));
    CU_ASSERT(!decide(13, "Pad", "pads", pad_neg, &why) && strstr(why, "negative"));
    CU_ASSERT(!decide(13, "Pad", "pads", pad_chan, &why) && strstr(why, "channel"));
    CU_ASSERT(!decide(13, "Pad", "pads", pad_refl_big, &why) && strstr(why, "reflect"));
    CU_ASSERT(!decide(2, "Pad", NULL, pad_value, &why) && strstr(why, "non-zero constant"));
    CU_ASSERT(decide(13, "Pad", "pads", pad_ok20, &why));
    CU_ASSERT(!decide(13, "AveragePool", NULL, avg_cip0_big, &why) && strstr(why, "count_include_pad"));
    CU_ASSERT(decide(13, "AveragePool", NULL, avg_cip1_big, &why));
    CU_ASSERT(decide(13, "MaxPool", NULL, avg_cip0_big, &why)); /* pads 8: an explicit QPad */
    CU_ASSERT(!decide(13, "MaxPool", NULL, pool_pad_ge_kernel, &why) && strstr(why, "padding only"));
    CU_ASSERT(!decide(13, "ReduceMean", NULL, reduce_c, &why) && strstr(why, "spatial"));
    CU_ASSERT(!decide(13, "ReduceMax", NULL, reduce_all, &why) && strstr(why, "spatial"));
    CU_ASSERT(decide(13, "ReduceMean", NULL, reduce_hw0, &why));
    CU_ASSERT(decide(13, "GlobalMaxPool", NULL, nothing, &why));
}

void dla_register_tests(void)
{
    DLA_SUITE("padpool models",
              {"partition: what runs, reasons for what does not", test_partition},
              {"onnx models: one segment, bit-exact, SQNR", test_models});
}
