/* test_e2e_fpn.c - feature-pyramid networks built here with the ONNX builder
 * (tests/frontend/onnx_build.h, random weights of a realistic scale): a
 * bottom-up path of stride-2 convolutions, a top-down path with nearest and
 * bilinear Resize (or Upsample) plus lateral 1x1 convs and Add, and a
 * ConvTranspose head. Each compiles for dla-edge and dla-server to ONE DLA
 * segment (between the input's QuantizeLinear and the output's
 * DequantizeLinear, no host node), is bit-exact with qref, and reaches an
 * int8 SQNR >= 30 dB against the float host path (docs/quant.md, "Upsampling"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_common.h"
#include "frontend/onnx_build.h"

static uint64_t fpn_rng;
static double fpn_gauss(void)
{
    double s = 0;
    for (int i = 0; i < 12; i++) {
        fpn_rng = fpn_rng * 6364136223846793005ULL + 1442695040888963407ULL;
        s += (double)(fpn_rng >> 11) / 9007199254740992.0;
    }
    return s - 6.0;
}

typedef struct Fpn {
    Onnx__ModelProto *m;
    Onnx__GraphProto *g;
    int n;
} Fpn;

static const char *fpn_name(Fpn *f, const char *base)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s_%d", base, f->n++);
    return ob_str(buf);
}

static const char *fpn_init(Fpn *f, const char *base, int dt, int rank, const int64_t *dims, const void *data,
                            size_t nbytes)
{
    const char *nm = fpn_name(f, base);
    Onnx__TensorProto *t = ob_tensor(nm, dt, rank, dims);
    ob_raw(t, data, nbytes);
    OB_PUSH(f->g->initializer, f->g->n_initializer, t);
    return nm;
}

static const char *fpn_weights(Fpn *f, int rank, const int64_t *dims, double fan)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *w = malloc((size_t)n * sizeof *w);
    for (int64_t i = 0; i < n; i++)
        w[i] = (float)(fpn_gauss() / sqrt(fan));
    const char *nm = fpn_init(f, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims, w, (size_t)n * sizeof *w);
    free(w);
    return nm;
}

static const char *fpn_bias(Fpn *f, int64_t c)
{
    float *b = malloc((size_t)c * sizeof *b);
    for (int64_t i = 0; i < c; i++)
        b[i] = (float)(0.1 * fpn_gauss());
    const char *nm = fpn_init(f, "b", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, &c, b, (size_t)c * sizeof *b);
    free(b);
    return nm;
}

static void fpn_ints(Onnx__NodeProto *n, const char *name, int k, const int64_t *v)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)k;
    a->ints = ob_alloc((size_t)k * sizeof *a->ints);
    memcpy(a->ints, v, (size_t)k * sizeof *a->ints);
}

static void fpn_str(Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.data = (uint8_t *)ob_str(v);
    a->s.len = strlen(v);
}

/* Conv k x k, stride s, pad k/2, bias, optional Relu. */
static const char *fpn_conv(Fpn *f, const char *x, int64_t cin, int64_t cout, int64_t k, int64_t s, int relu)
{
    int64_t wd[4] = {cout, cin, k, k}, kk[2] = {k, k}, ss[2] = {s, s}, p[4] = {k / 2, k / 2, k / 2, k / 2};
    const char *w = fpn_weights(f, 4, wd, (double)(cin * k * k)), *b = fpn_bias(f, cout);
    const char *y = fpn_name(f, "conv");
    const char *ins[] = {x, w, b, NULL}, *outs[] = {y, NULL};
    Onnx__NodeProto *n = ob_node(f->g, y, "Conv", ins, outs);
    fpn_ints(n, "kernel_shape", 2, kk);
    fpn_ints(n, "strides", 2, ss);
    fpn_ints(n, "pads", 4, p);
    if (!relu)
        return y;
    const char *r = fpn_name(f, "relu"), *rin[] = {y, NULL}, *rout[] = {r, NULL};
    ob_node(f->g, r, "Relu", rin, rout);
    return r;
}

/* Resize by 2 (or fac) on H and W: scales (use_sizes = 0) or sizes input. */
static const char *fpn_resize(Fpn *f, const char *x, const int64_t *xd, int64_t fac, const char *mode,
                              const char *ctm, const char *nm, int use_sizes)
{
    const char *y = fpn_name(f, "up"), *outs[] = {y, NULL};
    int64_t four = 4;
    const char *scales = "", *sizes = "";
    if (use_sizes) {
        int64_t sz[4] = {xd[0], xd[1], xd[2] * fac, xd[3] * fac};
        sizes = fpn_init(f, "sizes", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, &four, sz, sizeof sz);
    } else {
        float sc[4] = {1, 1, (float)fac, (float)fac};
        scales = fpn_init(f, "scales", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, &four, sc, sizeof sc);
    }
    const char *ins[] = {x, "", scales, sizes, NULL};
    Onnx__NodeProto *n = ob_node(f->g, y, "Resize", ins, outs);
    fpn_str(n, "mode", mode);
    fpn_str(n, "coordinate_transformation_mode", ctm);
    if (nm)
        fpn_str(n, "nearest_mode", nm);
    return y;
}

static const char *fpn_add(Fpn *f, const char *a, const char *b)
{
    const char *y = fpn_name(f, "add"), *ins[] = {a, b, NULL}, *outs[] = {y, NULL};
    ob_node(f->g, y, "Add", ins, outs);
    return y;
}

typedef struct FpnSpec {
    int64_t n, c, h, w;       /* input */
    const char *up_nearest_ctm, *up_nearest_mode, *up_linear_ctm;
    int64_t ct_k, ct_p, ct_op; /* ConvTranspose head, stride 2 */
    int sizes;                 /* Resize with sizes instead of scales */
    int64_t ct_s;              /* ConvTranspose stride (0: 2) */
} FpnSpec;

/* Bottom-up: c1 (s2, 16 ch), c2 (s2, 32), c3 (s2, 32); top-down: p3 = 1x1(c3),
 * p2 = nearest(p3) + 1x1(c2), p1 = bilinear(p2) + 1x1(c1); head:
 * ConvTranspose(p1, 8, k, stride 2) + Relu. */
static Onnx__ModelProto *fpn_build(const FpnSpec *s, int64_t out_dims[4])
{
    Fpn f = {ob_model(13), NULL, 0};
    f.g = f.m->graph;
    int64_t xd[4] = {s->n, s->c, s->h, s->w};
    OB_PUSH(f.g->input, f.g->n_input, ob_vinfo("x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd, NULL));
    const char *c1 = fpn_conv(&f, "x", s->c, 16, 3, 2, 1);
    const char *c2 = fpn_conv(&f, c1, 16, 32, 3, 2, 1);
    const char *c3 = fpn_conv(&f, c2, 32, 32, 3, 2, 1);
    int64_t h1 = (s->h + 1) / 2, w1 = (s->w + 1) / 2, h2 = (h1 + 1) / 2, w2 = (w1 + 1) / 2;
    int64_t d3[4] = {s->n, 16, (h2 + 1) / 2, (w2 + 1) / 2}, d2[4] = {s->n, 16, h2, w2};
    const char *p3 = fpn_conv(&f, c3, 32, 16, 1, 1, 0);
    const char *p2 = fpn_add(&f, fpn_resize(&f, p3, d3, 2, "nearest", s->up_nearest_ctm, s->up_nearest_mode, s->sizes),
                             fpn_conv(&f, c2, 32, 16, 1, 1, 0));
    const char *p1 = fpn_add(&f, fpn_resize(&f, p2, d2, 2, "linear", s->up_linear_ctm, NULL, s->sizes),
                             fpn_conv(&f, c1, 16, 16, 1, 1, 0));
    int64_t cs = s->ct_s ? s->ct_s : 2;
    int64_t wd[4] = {16, 8, s->ct_k, s->ct_k}, kk[2] = {s->ct_k, s->ct_k}, st[2] = {cs, cs};
    int64_t pd[4] = {s->ct_p, s->ct_p, s->ct_p, s->ct_p}, op[2] = {s->ct_op, s->ct_op};
    const char *w = fpn_weights(&f, 4, wd, (double)(16 * s->ct_k * s->ct_k) / 4), *b = fpn_bias(&f, 8);
    const char *ct = fpn_name(&f, "convt"), *ins[] = {p1, w, b, NULL}, *outs[] = {ct, NULL};
    Onnx__NodeProto *n = ob_node(f.g, ct, "ConvTranspose", ins, outs);
    fpn_ints(n, "kernel_shape", 2, kk);
    fpn_ints(n, "strides", 2, st);
    fpn_ints(n, "pads", 4, pd);
    if (s->ct_op)
        fpn_ints(n, "output_padding", 2, op);
    const char *rin[] = {ct, NULL}, *rout[] = {"y", NULL};
    ob_node(f.g, "head_relu", "Relu", rin, rout);
    out_dims[0] = s->n, out_dims[1] = 8;
    out_dims[2] = (h1 - 1) * cs + s->ct_op + s->ct_k - 2 * s->ct_p;
    out_dims[3] = (w1 - 1) * cs + s->ct_op + s->ct_k - 2 * s->ct_p;
    OB_PUSH(f.g->output, f.g->n_output, ob_vinfo("y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, out_dims, NULL));
    return f.m;
}

static void write_input(const char *path, const int64_t *xd, DlaError *e)
{
    int64_t n = xd[0] * xd[1] * xd[2] * xd[3];
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)fpn_gauss();
    IrShape s = ir_shape_make(4, xd);
    CU_ASSERT_EQUAL(onnx_tensor_write(path, "x", DT_FLOAT, &s, x, (size_t)n * sizeof *x, e), DLA_OK);
    free(x);
}

static void fpn_case(const FpnSpec *s, uint64_t seed)
{
    fpn_rng = seed;
    char dir[] = "/tmp/dlacc_fpn_XXXXXX", path[512], calib[512], input[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    int64_t yd[4], xd[4] = {s->n, s->c, s->h, s->w};
    Onnx__ModelProto *m = fpn_build(s, yd);
    size_t len;
    uint8_t *buf = ob_pack_model(m, &len);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_file_write(path, buf, len, &e), DLA_OK);
    ob_free_all();
    snprintf(calib, sizeof calib, "%s/calib", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(calib, 0755), 0);
    char cpath[600];
    for (int i = 0; i < 4; i++) {
        snprintf(cpath, sizeof cpath, "%s/%d.pb", calib, i);
        write_input(cpath, xd, &e);
    }
    snprintf(input, sizeof input, "%s/x.pb", dir);
    write_input(input, xd, &e);
    OnnxTensorFile in;
    memset(&in, 0, sizeof in);
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(input, &in, &e), DLA_OK);
    const char *targets[2] = {"dla-edge", "dla-server"};
    for (int t = 0; t < 2; t++) {
        DlaCompileOptions co = {0};
        co.target = targets[t];
        co.calib_dir = calib;
        co.host_opt_level = 1;
        DlaPlan *p = NULL;
        DlaStatus st = dla_compile(path, &co, &p, &e);
        if (st)
            fprintf(stderr, "compile: %s\n", e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        /* one DLA segment, nothing on the host but the boundaries */
        int host = 0;
        for (int32_t i = 0; i < p->nsegs; i++)
            host += p->segs[i].kind == DLA_SEG_HOST;
        if (p->ndla != 1 || host)
            dla_plan_print(p, stderr);
        CU_ASSERT_EQUAL(p->ndla, 1);
        CU_ASSERT_EQUAL(host, 0);
        DlartDevice *dev;
        CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&p->target, 0, &dev, &e), DLA_OK);
        DlartProgram *rp;
        CU_ASSERT_EQUAL_FATAL(dlart_program_load(dev, &p->prog, &rp, &e), DLA_OK);
        DlaRunOptions ro = {0};
        ro.verify_qref = 1;
        DlaRunResult res;
        memset(&res, 0, sizeof res);
        st = dla_plan_run(p, rp, &in, 1, &ro, &res, &e);
        if (st)
            fprintf(stderr, "run: %s\n", e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        CU_ASSERT(res.qref_bytes > 0);
        CU_ASSERT_EQUAL(res.qref_mismatches, 0);
        /* the float host path */
        IrGraph *fg;
        void **fv;
        CU_ASSERT_EQUAL_FATAL(dla_float_reference(path, &co, &in, 1, &fg, &fv, &e), DLA_OK);
        int32_t yv = ir_value_find(fg, "y");
        CU_ASSERT_FATAL(yv >= 0 && fv[yv]);
        int64_t ny = yd[0] * yd[1] * yd[2] * yd[3];
        double db = e2e_sqnr(res.outputs[0], fv[yv], ny);
        const DlartStats *ss = dlart_stats(rp);
        fprintf(stderr, "  fpn [%lld,%lld,%lld,%lld] nearest %s/%s, linear %s, ConvTranspose k%lld p%lld op%lld on %s: "
                        "1 DLA segment, %llu cycles, SQNR %.2f dB vs float\n",
                (long long)xd[0], (long long)xd[1], (long long)xd[2], (long long)xd[3], s->up_nearest_ctm,
                s->up_nearest_mode, s->up_linear_ctm, (long long)s->ct_k, (long long)s->ct_p, (long long)s->ct_op,
                targets[t], (unsigned long long)ss->cycles, db);
        CU_ASSERT(db >= 30.0);
        dla_float_reference_free(fg, fv);
        dla_run_result_free(&res);
        dlart_program_free(rp);
        dlart_device_free(dev);
        dla_plan_free(p);
    }
    onnx_tensor_file_free(&in);
    for (int i = 0; i < 4; i++) {
        snprintf(cpath, sizeof cpath, "%s/%d.pb", calib, i);
        unlink(cpath);
    }
    rmdir(calib);
    unlink(input);
    unlink(path);
    rmdir(dir);
}

static void test_fpn(void)
{
    FpnSpec a = {1, 8, 32, 32, "asymmetric", "floor", "half_pixel", 4, 1, 0, 0, 2};
    fpn_case(&a, 1);
    FpnSpec b = {2, 3, 24, 40, "half_pixel", "round_prefer_floor", "align_corners", 3, 1, 1, 1, 2};
    fpn_case(&b, 2);
    FpnSpec c = {1, 5, 40, 24, "tf_half_pixel_for_nn", "round_prefer_ceil", "pytorch_half_pixel", 2, 0, 0, 0, 2};
    fpn_case(&c, 3);
    /* stride 3 with a 2x2 kernel: a phase without taps, so the zero-insertion form */
    FpnSpec d = {1, 4, 16, 24, "asymmetric", "round_prefer_ceil", "asymmetric", 2, 0, 1, 0, 3};
    fpn_case(&d, 4);
}

void dla_register_tests(void) { DLA_SUITE("fpn", {"feature pyramid: one DLA segment, SQNR", test_fpn}); }
