/* test_e2e_move.c - small float networks built with tests/frontend/onnx_build.h
 * whose data movement runs on the DLA: an Inception block (4-way concat of
 * branches of different widths), a dense block (repeated concat: inputs read
 * twice are requantized, fresh ones written in place) and a ShuffleNetV2 unit
 * (Split, Concat, Reshape-Transpose-Reshape channel shuffle). Each is
 * calibrated on random inputs, compiled for dla-edge and dla-server, and must
 * be ONE DLA segment with nothing on the host but the two boundaries,
 * bit-exact with qref, and within 30 dB SQNR of the float host path.
 * Random weights are He-scaled so activations stay in a realistic range. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/compile.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "dlart.h"

#include "../frontend/onnx_build.h"

static uint64_t seed;
static float frand(void) /* uniform [0, 1) */
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(seed >> 40) / (float)(1u << 24);
}

typedef struct Net {
    Onnx__ModelProto *m;
    Onnx__GraphProto *g;
    int k; /* names */
} Net;

static const char *fresh(Net *n, const char *base)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s%d", base, n->k++);
    return ob_str(buf);
}

static void init_f(Net *n, const char *name, int rank, const int64_t *dims, float a, float off)
{
    Onnx__TensorProto *t = ob_tensor(name, DT_FLOAT, rank, dims);
    int64_t cnt = 1;
    for (int i = 0; i < rank; i++)
        cnt *= dims[i];
    float *d = malloc((size_t)cnt * sizeof *d);
    for (int64_t i = 0; i < cnt; i++)
        d[i] = off + a * (2 * frand() - 1);
    ob_raw(t, d, (size_t)cnt * sizeof *d);
    free(d);
    OB_PUSH(n->g->initializer, n->g->n_initializer, t);
}

static void init_i64(Net *n, const char *name, int64_t cnt, const int64_t *v)
{
    Onnx__TensorProto *t = ob_tensor(name, DT_INT64, 1, &cnt);
    ob_raw(t, v, (size_t)cnt * sizeof *v);
    OB_PUSH(n->g->initializer, n->g->n_initializer, t);
}

static void ints_attr(Onnx__NodeProto *nd, const char *name, int cnt, const int64_t *v)
{
    Onnx__AttributeProto *a = ob_attr(nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)cnt;
    a->ints = ob_alloc((size_t)cnt * sizeof *a->ints);
    memcpy(a->ints, v, (size_t)cnt * sizeof *v);
}

static void int_attr(Onnx__NodeProto *nd, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = ob_attr(nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

/* Conv k x k, same padding, optional Relu; He-scaled weights. */
static const char *conv(Net *n, const char *x, int64_t ic, int64_t oc, int64_t k, int64_t group, int relu)
{
    const char *w = fresh(n, "w"), *b = fresh(n, "b"), *y = fresh(n, "conv");
    int64_t wd[4] = {oc, ic / group, k, k};
    init_f(n, w, 4, wd, sqrtf(6.0f / (float)(ic / group * k * k)), 0);
    init_f(n, b, 1, &oc, 0.05f, 0.02f);
    Onnx__NodeProto *nd = ob_node(n->g, y, "Conv", (const char *[]){x, w, b, NULL}, (const char *[]){y, NULL});
    int64_t ks[2] = {k, k}, p = k / 2, pads[4] = {p, p, p, p};
    ints_attr(nd, "kernel_shape", 2, ks);
    ints_attr(nd, "pads", 4, pads);
    int_attr(nd, "group", group);
    if (!relu)
        return y;
    const char *r = fresh(n, "relu");
    ob_node(n->g, r, "Relu", (const char *[]){y, NULL}, (const char *[]){r, NULL});
    return r;
}

static const char *concat(Net *n, const char *const *xs)
{
    const char *y = fresh(n, "cat");
    Onnx__NodeProto *nd = ob_node(n->g, y, "Concat", xs, (const char *[]){y, NULL});
    int_attr(nd, "axis", 1);
    return y;
}

static void net_begin(Net *n, const int64_t *xd)
{
    n->m = ob_model(13);
    n->g = n->m->graph;
    n->k = 0;
    OB_PUSH(n->g->input, n->g->n_input, ob_vinfo("x", DT_FLOAT, 4, xd, NULL));
}

static void net_end(Net *n, const char *y)
{
    /* the output is named "y": an Identity-free rename through a last 1x1 conv */
    Onnx__NodeProto *last = n->g->node[n->g->n_node - 1];
    for (size_t i = 0; i < last->n_output; i++)
        if (!strcmp(last->output[i], y))
            last->output[i] = ob_str("y");
    OB_PUSH(n->g->output, n->g->n_output, ob_vinfo("y", DT_FLOAT, -1, NULL, NULL));
}

/* Inception: 1x1 | 1x1-3x3 | 1x1-5x5 | maxpool-1x1, concatenated (8+12+6+5). */
static void build_inception(Net *n)
{
    int64_t xd[4] = {1, 3, 17, 17};
    net_begin(n, xd);
    const char *x = conv(n, "x", 3, 16, 3, 1, 1);
    const char *b1 = conv(n, x, 16, 8, 1, 1, 1);
    const char *b2 = conv(n, conv(n, x, 16, 6, 1, 1, 1), 6, 12, 3, 1, 1);
    const char *b3 = conv(n, conv(n, x, 16, 4, 1, 1, 1), 4, 6, 5, 1, 1);
    const char *mp = fresh(n, "pool");
    Onnx__NodeProto *pn = ob_node(n->g, mp, "MaxPool", (const char *[]){x, NULL}, (const char *[]){mp, NULL});
    int64_t ks[2] = {3, 3}, pads[4] = {1, 1, 1, 1};
    ints_attr(pn, "kernel_shape", 2, ks);
    ints_attr(pn, "pads", 4, pads);
    const char *b4 = conv(n, mp, 16, 5, 1, 1, 1);
    const char *cat = concat(n, (const char *[]){b1, b2, b3, b4, NULL});
    net_end(n, conv(n, cat, 31, 10, 1, 1, 0));
}

/* Dense block: each layer's output concatenated to everything before it. */
static void build_dense(Net *n)
{
    int64_t xd[4] = {1, 3, 14, 14};
    net_begin(n, xd);
    const char *h = conv(n, "x", 3, 8, 3, 1, 1);
    int64_t c = 8;
    for (int l = 0; l < 3; l++) {
        const char *g = conv(n, conv(n, h, c, 16, 1, 1, 1), 16, 6, 3, 1, 1);
        h = concat(n, (const char *[]){h, g, NULL});
        c += 6;
    }
    net_end(n, conv(n, h, c, 10, 1, 1, 0));
}

/* ShuffleNetV2 unit: split the channels, transform one half, concat, shuffle. */
static void build_shuffle(Net *n)
{
    int64_t xd[4] = {2, 3, 13, 13};
    net_begin(n, xd);
    const char *x = conv(n, "x", 3, 24, 3, 1, 1);
    const char *s0 = fresh(n, "split"), *s1 = fresh(n, "split"), *sz = fresh(n, "sizes");
    init_i64(n, sz, 2, (int64_t[]){12, 12});
    Onnx__NodeProto *sp = ob_node(n->g, s0, "Split", (const char *[]){x, sz, NULL}, (const char *[]){s0, s1, NULL});
    int_attr(sp, "axis", 1);
    const char *b = conv(n, conv(n, conv(n, s1, 12, 12, 1, 1, 1), 12, 12, 3, 12, 0), 12, 12, 1, 1, 1);
    const char *cat = concat(n, (const char *[]){s0, b, NULL});
    const char *r5 = fresh(n, "r5"), *t5 = fresh(n, "t5"), *sh = fresh(n, "shuf"), *c5 = fresh(n, "shape"),
               *c4 = fresh(n, "shape");
    init_i64(n, c5, 5, (int64_t[]){2, 2, 12, 13, 13});
    init_i64(n, c4, 4, (int64_t[]){2, 24, 13, 13});
    ob_node(n->g, r5, "Reshape", (const char *[]){cat, c5, NULL}, (const char *[]){r5, NULL});
    Onnx__NodeProto *tn = ob_node(n->g, t5, "Transpose", (const char *[]){r5, NULL}, (const char *[]){t5, NULL});
    ints_attr(tn, "perm", 5, (int64_t[]){0, 2, 1, 3, 4});
    ob_node(n->g, sh, "Reshape", (const char *[]){t5, c4, NULL}, (const char *[]){sh, NULL});
    net_end(n, conv(n, sh, 24, 10, 1, 1, 0));
}

static void write_input(const char *path, const int64_t *xd)
{
    IrShape s = ir_shape_make(4, xd);
    int64_t cnt = ir_shape_numel(&s);
    float *d = malloc((size_t)cnt * sizeof *d);
    for (int64_t i = 0; i < cnt; i++)
        d[i] = frand();
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_write(path, "x", DT_FLOAT, &s, d, (size_t)cnt * sizeof *d, &e), DLA_OK);
    free(d);
}

static void run_net(const char *name, void (*build)(Net *), const int64_t *xd)
{
    char dir[4096], path[4200], model[4200], input[4200];
    snprintf(dir, sizeof dir, "%s/e2e_move_%s_%d", DLA_BINARY_DIR, name, (int)getpid());
    snprintf(path, sizeof path, "mkdir -p '%s/calib'", dir);
    CU_ASSERT_EQUAL_FATAL(system(path), 0);
    seed = 1234;
    Net n;
    build(&n);
    size_t len;
    uint8_t *buf = ob_pack_model(n.m, &len);
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    FILE *f = fopen(model, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
    fclose(f);
    ob_free_all();
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "%s/calib/input_%d.pb", dir, i);
        write_input(path, xd);
    }
    snprintf(input, sizeof input, "%s/input.pb", dir);
    write_input(input, xd);
    DlaError e = {0};
    OnnxTensorFile in;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(input, &in, &e), DLA_OK);
    for (int t = 0; t < 2; t++) {
        const char *tn = t ? "dla-server" : "dla-edge";
        DlaCompileOptions co = {0};
        co.target = tn;
        snprintf(path, sizeof path, "%s/calib", dir);
        co.calib_dir = path;
        co.host_opt_level = 1;
        DlaPlan *p = NULL;
        DlaStatus st = dla_compile(model, &co, &p, &e);
        if (st)
            fprintf(stderr, "compile %s: %s\n", name, e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        CU_ASSERT_EQUAL(p->ndla, 1);
        for (int32_t s = 0; s < p->nsegs; s++)
            CU_ASSERT(p->segs[s].kind != DLA_SEG_HOST);
        DlartDevice *dev;
        CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&p->target, 0, &dev, &e), DLA_OK);
        DlartProgram *rp;
        CU_ASSERT_EQUAL_FATAL(dlart_program_load(dev, &p->prog, &rp, &e), DLA_OK);
        DlaRunOptions ro = {0};
        ro.verify_qref = 1;
        DlaRunResult res;
        CU_ASSERT_EQUAL_FATAL(dla_plan_run(p, rp, &in, 1, &ro, &res, &e), DLA_OK);
        CU_ASSERT(res.qref_bytes > 0);
        CU_ASSERT_EQUAL(res.qref_mismatches, 0);
        IrGraph *fg;
        void **vals;
        CU_ASSERT_EQUAL_FATAL(dla_float_reference(model, &co, &in, 1, &fg, &vals, &e), DLA_OK);
        int32_t yv = ir_value_find(fg, "y");
        CU_ASSERT_FATAL(yv >= 0 && vals[yv]);
        int64_t cnt = ir_shape_numel(&fg->values[yv].shape);
        const float *got = res.outputs[0], *ref = vals[yv];
        double sig = 0, err = 0;
        for (int64_t i = 0; i < cnt; i++) {
            sig += (double)ref[i] * ref[i];
            err += ((double)got[i] - ref[i]) * ((double)got[i] - ref[i]);
        }
        double sqnr = err > 0 ? 10 * log10(sig / err) : INFINITY;
        const DlartStats *ss = dlart_stats(rp);
        fprintf(stderr, "  E2E-MOVE %-10s %-10s %d DLA seg, %d segments, SQNR %6.2f dB, cycles %llu\n", name, tn,
                p->ndla, p->nsegs, sqnr, (unsigned long long)ss->cycles);
        CU_ASSERT(sqnr >= 30.0);
        dla_float_reference_free(fg, vals);
        dla_run_result_free(&res);
        dlart_program_free(rp);
        dlart_device_free(dev);
        dla_plan_free(p);
    }
    onnx_tensor_file_free(&in);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(path), 0);
}

static void test_inception(void) { run_net("inception", build_inception, (int64_t[]){1, 3, 17, 17}); }
static void test_dense(void) { run_net("dense", build_dense, (int64_t[]){1, 3, 14, 14}); }
static void test_shuffle(void) { run_net("shuffle", build_shuffle, (int64_t[]){2, 3, 13, 13}); }

void dla_register_tests(void)
{
    DLA_SUITE("e2e data movement", {"inception block (4-way concat)", test_inception},
              {"dense block (repeated concat)", test_dense}, {"shufflenet unit (split, concat, shuffle)", test_shuffle});
}
