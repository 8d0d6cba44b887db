/* test_api.c - the public API (include/dlacc.h, dlart.h) as an application
 * uses it, linked against the shared libdlacc.so / libdlart.so:
 *   - compile from an ONNX buffer (a mixed model built here: Conv on the DLA,
 *     Softmax -> Cos on the host with an intermediate in the host arena, Conv on
 *     the DLA again), typed descriptors, write/load the .dla in memory;
 *   - one compiled model run from 2 threads with separate contexts, results
 *     bit-identical to a single-threaded run;
 *   - every misuse is a status with a message (wrong dtype, dims, sizes,
 *     counts, options, buffers), a corrupted .dla in memory never crashes. */
#include <CUnit/Basic.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dla_test.h"
#include "dlacc.h"
#include "frontend/onnx_build.h"

enum { B = 2, C = 3, H = 7, W = 7, F = 8, G = 4, NIN = 4 };
#define IN_ELEMS (B * C * H * W)
#define OUT_ELEMS (B * G * H * W)

static uint8_t *model_buf;
static size_t model_len;
static char calib_dir[4096];
static float inputs[NIN][IN_ELEMS];

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 65536.0f * 2.0f - 1.0f;
}

static Onnx__TensorProto *weight(const char *name, int rank, const int64_t *dims, unsigned seed, float amp)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *w = malloc((size_t)n * sizeof *w);
    for (int64_t i = 0; i < n; i++)
        w[i] = amp * frand(&seed);
    Onnx__TensorProto *t = ob_tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims);
    ob_raw(t, w, (size_t)n * sizeof *w);
    free(w);
    return t;
}

/* x[B,C,H,W] -> Conv 3x3 pad 1 (F) -> Softmax (axis 1) -> Cos -> Conv 1x1 (G)
 * -> y[B,G,H,W]. Softmax stays on the host (no DLA lowering), and so does the
 * Cos after it (a table whose input comes from the host is not worth a round
 * trip): two DLA segments around one host segment. */
static void build_model(void)
{
    Onnx__ModelProto *m = ob_model(13);
    Onnx__GraphProto *g = m->graph;
    const int64_t xd[4] = {B, C, H, W}, yd[4] = {B, G, H, W};
    const int64_t w1d[4] = {F, C, 3, 3}, b1d[1] = {F}, w2d[4] = {G, F, 1, 1}, b2d[1] = {G};
    OB_PUSH(g->input, g->n_input, ob_vinfo("x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd, NULL));
    OB_PUSH(g->output, g->n_output, ob_vinfo("y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, yd, NULL));
    OB_PUSH(g->initializer, g->n_initializer, weight("w1", 4, w1d, 7, 0.3f));
    OB_PUSH(g->initializer, g->n_initializer, weight("b1", 1, b1d, 8, 0.1f));
    OB_PUSH(g->initializer, g->n_initializer, weight("w2", 4, w2d, 9, 0.4f));
    OB_PUSH(g->initializer, g->n_initializer, weight("b2", 1, b2d, 10, 0.1f));
    Onnx__NodeProto *c1 = ob_node(g, "conv1", "Conv", (const char *[]){"x", "w1", "b1", NULL}, (const char *[]){"c1", NULL});
    Onnx__AttributeProto *p = ob_attr(c1, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    p->n_ints = 4;
    p->ints = ob_alloc(4 * sizeof(int64_t));
    for (int i = 0; i < 4; i++)
        p->ints[i] = 1;
    Onnx__NodeProto *sm = ob_node(g, "softmax", "Softmax", (const char *[]){"c1", NULL}, (const char *[]){"s", NULL});
    Onnx__AttributeProto *ax = ob_attr(sm, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    ax->has_i = 1;
    ax->i = 1;
    ob_node(g, "cos", "Cos", (const char *[]){"s", NULL}, (const char *[]){"cs", NULL});
    ob_node(g, "conv2", "Conv", (const char *[]){"cs", "w2", "b2", NULL}, (const char *[]){"y", NULL});
    size_t len;
    uint8_t *buf = ob_pack_model(m, &len);
    model_buf = malloc(len);
    memcpy(model_buf, buf, len);
    model_len = len;
    ob_free_all();
}

static int setup(void)
{
    build_model();
    snprintf(calib_dir, sizeof calib_dir, "%s/api_calib_%d", DLA_BINARY_DIR, (int)getpid());
    mkdir(calib_dir, 0777);
    unsigned seed = 42;
    IrShape s = {0};
    s.rank = 4;
    s.dims[0] = B, s.dims[1] = C, s.dims[2] = H, s.dims[3] = W;
    for (int k = 0; k < NIN; k++) {
        for (int i = 0; i < IN_ELEMS; i++)
            inputs[k][i] = frand(&seed);
        char path[4200];
        snprintf(path, sizeof path, "%s/input_%d.pb", calib_dir, k);
        DlaError e = {0};
        if (onnx_tensor_write(path, "x", DT_FLOAT, &s, inputs[k], sizeof inputs[k], &e))
            return 1;
    }
    return 0;
}

static int teardown(void)
{
    for (int k = 0; k < NIN; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/input_%d.pb", calib_dir, k);
        remove(path);
    }
    rmdir(calib_dir);
    free(model_buf);
    return 0;
}

static DlaccModel *compile_model(void)
{
    DlaccOptions o;
    dlacc_options_init(&o);
    o.calib_dir = calib_dir;
    o.target = "dla-edge";
    DlaccModel *m = NULL;
    DlaError e = {0};
    DlaStatus st = dlacc_compile_buffer(model_buf, model_len, "sin_cos", &o, &m, &e);
    if (st)
        fprintf(stderr, "dlacc_compile_buffer: %s\n", e.msg);
    return m;
}

static DlaStatus run(DlaccContext *c, const DlaccModel *m, const float *x, float *y, DlaError *e)
{
    DlaTensor in, out;
    DlaStatus st = dlacc_describe_input(m, 0, &in, NULL, e);
    if (!st)
        st = dlacc_describe_output(m, 0, &out, NULL, e);
    if (st)
        return st;
    in.data = (void *)x;
    out.data = y;
    return dlacc_context_run(c, &in, 1, &out, 1, e);
}

static void test_version(void)
{
    CU_ASSERT_STRING_EQUAL(dlacc_version(), DLA_VERSION_STRING);
    CU_ASSERT_STRING_EQUAL(dlart_version(), DLA_VERSION_STRING);
    CU_ASSERT_STRING_EQUAL(dlart_dtype_name(DLA_DTYPE_INT8), "int8");
    CU_ASSERT_EQUAL(dlart_dtype_size(DLA_DTYPE_FLOAT), 4);
    CU_ASSERT_PTR_NOT_NULL(dlart_status_name(DLA_ERR_FORMAT));
}

static void test_buffer(void)
{
    DlaccModel *m = compile_model();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    DlaError e = {0};
    CU_ASSERT_EQUAL(dlacc_num_inputs(m), 1);
    CU_ASSERT_EQUAL(dlacc_num_outputs(m), 1);
    DlaTensor t;
    const char *name;
    CU_ASSERT_EQUAL_FATAL(dlacc_describe_input(m, 0, &t, &name, &e), DLA_OK);
    CU_ASSERT_STRING_EQUAL(name, "x");
    CU_ASSERT_EQUAL(t.dtype, DLA_DTYPE_FLOAT);
    CU_ASSERT_EQUAL(t.rank, 4);
    CU_ASSERT(t.dims[0] == B && t.dims[1] == C && t.dims[2] == H && t.dims[3] == W);
    CU_ASSERT_EQUAL(t.bytes, IN_ELEMS * sizeof(float));
    CU_ASSERT_PTR_NULL(t.data);
    CU_ASSERT_EQUAL_FATAL(dlacc_describe_output(m, 0, &t, &name, &e), DLA_OK);
    CU_ASSERT_STRING_EQUAL(name, "y");
    CU_ASSERT_EQUAL(t.bytes, OUT_ELEMS * sizeof(float));
    CU_ASSERT_NOT_EQUAL(dlacc_describe_output(m, 1, &t, &name, &e), DLA_OK);
    /* the host part (Softmax -> Cos) keeps an intermediate in its arena */
    CU_ASSERT(dlacc_host_arena_bytes(m) > 0);
    /* output close to the float model: cos(softmax(.)) is smooth, int8 convs around it */
    DlaccContext *c = NULL;
    CU_ASSERT_EQUAL_FATAL(dlacc_context_create(m, &c, &e), DLA_OK);
    static float y[OUT_ELEMS];
    CU_ASSERT_EQUAL_FATAL(run(c, m, inputs[0], y, &e), DLA_OK);
    int finite = 1;
    for (int i = 0; i < OUT_ELEMS; i++)
        finite &= isfinite(y[i]) && fabsf(y[i]) < 100.0f;
    CU_ASSERT(finite);
    const DlartStats *s = dlacc_context_stats(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT(s->runs >= 2 && s->cycles > 0); /* two DLA segments */
    DlaccTimes tm = dlacc_context_times(c);
    CU_ASSERT(tm.calibrate > 0 && tm.simulate > 0);
    dlacc_context_free(c);

    /* the .dla in memory, loaded by the runtime alone */
    void *dla = NULL;
    size_t dla_size = 0;
    CU_ASSERT_EQUAL_FATAL(dlacc_write_dla_memory(m, &dla, &dla_size, &e), DLA_OK);
    DlartDevice *d = NULL;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open("dla-edge", 0, &d, &e), DLA_OK);
    CU_ASSERT_STRING_EQUAL(dlart_device_target_name(d), "dla-edge");
    DlartProgram *p = NULL;
    CU_ASSERT_EQUAL_FATAL(dlart_program_load_memory(d, dla, dla_size, &p, &e), DLA_OK);
    CU_ASSERT_EQUAL(dlart_segment_count(p), 2);
    int32_t xi = dlart_tensor_find(p, "x_q"); /* quantized graph input, NAME_q */
    uint32_t nt = dlart_tensor_count(p);
    CU_ASSERT(nt >= 4);
    DlartTensorInfo ti;
    for (uint32_t i = 0; i < nt; i++) {
        CU_ASSERT_EQUAL(dlart_tensor_info(p, i, &ti, &e), DLA_OK);
        CU_ASSERT(ti.bytes > 0 && ti.rank == 4 && ti.name && ti.name[0]);
    }
    CU_ASSERT_NOT_EQUAL(dlart_tensor_info(p, nt, &ti, &e), DLA_OK);
    if (xi >= 0) {
        CU_ASSERT_EQUAL(dlart_tensor_info(p, (uint32_t)xi, &ti, &e), DLA_OK);
        CU_ASSERT_EQUAL(ti.dtype, DLA_DTYPE_INT8);
        CU_ASSERT(ti.scale > 0);
        /* typed staging: a wrong descriptor is refused with the tensor's name */
        DlaTensor bad = {DLA_DTYPE_FLOAT, ti.rank, {0}, y, sizeof y};
        memcpy(bad.dims, ti.dims, sizeof bad.dims);
        dla_error_clear(&e);
        CU_ASSERT_EQUAL(dlart_tensor_set(p, (uint32_t)xi, &bad, &e), DLA_ERR_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "x_q"));
        bad.dtype = DLA_DTYPE_INT8;
        CU_ASSERT_EQUAL(dlart_tensor_set(p, (uint32_t)xi, &bad, &e), DLA_OK);
    }
    dlart_program_free(p);
    /* truncations and bit flips: an error (or, for a flip the format cannot
     * see, a program that loads), never a crash */
    uint8_t *bad = malloc(dla_size);
    int refused = 0, tries = 0;
    for (size_t cut = 0; cut < dla_size; cut += dla_size / 17 + 1, tries++) {
        dla_error_clear(&e);
        if (dlart_program_load_memory(d, dla, cut, &p, &e) != DLA_OK && e.msg[0])
            refused++;
        else
            dlart_program_free(p);
    }
    CU_ASSERT_EQUAL(refused, tries);
    refused = tries = 0;
    for (size_t bit = 3; bit < dla_size * 8; bit += dla_size * 8 / 23 + 1, tries++) {
        memcpy(bad, dla, dla_size);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        dla_error_clear(&e);
        if (dlart_program_load_memory(d, bad, dla_size, &p, &e) != DLA_OK)
            refused++;
        else
            dlart_program_free(p);
    }
    CU_ASSERT_EQUAL(refused, tries); /* the checksums see every flip */
    free(bad);
    free(dla);
    dlart_device_free(d);
    dlacc_free(m);
}

/* ---- one model, two threads, one context each ---- */

enum { NTHREADS = 2, ROUNDS = 3 };
static float want[NIN][OUT_ELEMS];

typedef struct Worker {
    const DlaccModel *m;
    int failures;
    uint64_t runs;
    char msg[DLA_ERR_MSG_MAX + 64];
} Worker;

static void *worker(void *arg)
{
    Worker *w = arg;
    DlaError e = {0};
    /* devices opened by target name from several threads (target XML parsing) */
    DlartDevice *d = NULL;
    if (dlart_device_open("dla-server", 0, &d, &e)) {
        snprintf(w->msg, sizeof w->msg, "%s", e.msg);
        w->failures++;
    }
    dlart_device_free(d);
    DlaccContext *c = NULL;
    if (dlacc_context_create(w->m, &c, &e)) {
        snprintf(w->msg, sizeof w->msg, "%s", e.msg);
        w->failures++;
        return NULL;
    }
    static _Thread_local float y[OUT_ELEMS];
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < NIN; k++) {
            if (run(c, w->m, inputs[k], y, &e)) {
                snprintf(w->msg, sizeof w->msg, "%s", e.msg);
                w->failures++;
            } else if (memcmp(y, want[k], sizeof y)) {
                snprintf(w->msg, sizeof w->msg, "input %d, round %d: result differs from the single-threaded run", k, r);
                w->failures++;
            }
        }
    w->runs = dlacc_context_stats(c)->runs;
    dlacc_context_free(c);
    return NULL;
}

static void test_threads(void)
{
    DlaccModel *m = compile_model();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    DlaError e = {0};
    DlaccContext *c = NULL;
    CU_ASSERT_EQUAL_FATAL(dlacc_context_create(m, &c, &e), DLA_OK);
    for (int k = 0; k < NIN; k++)
        CU_ASSERT_EQUAL_FATAL(run(c, m, inputs[k], want[k], &e), DLA_OK);
    CU_ASSERT(memcmp(want[0], want[1], sizeof want[0]) != 0);
    dlacc_context_free(c);
    pthread_t th[NTHREADS];
    Worker w[NTHREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].m = m;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        if (w[i].failures)
            fprintf(stderr, "thread %d: %d failures, first: %s\n", i, w[i].failures, w[i].msg);
        CU_ASSERT_EQUAL(w[i].failures, 0);
        CU_ASSERT_EQUAL(w[i].runs, 2u * ROUNDS * NIN); /* two DLA segments per run, per context */
    }
    dlacc_free(m);
}

/* ---- misuse: statuses and messages ---- */

static void test_errors(void)
{
    DlaError e = {0};
    DlaccModel *m = (DlaccModel *)1;
    /* options without size */
    DlaccOptions o;
    memset(&o, 0, sizeof o);
    o.calib_dir = calib_dir;
    CU_ASSERT_EQUAL(dlacc_compile_buffer(model_buf, model_len, "sin_cos", &o, &m, &e), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "dlacc_options_init"));
    /* empty and garbage buffers */
    dla_error_clear(&e);
    CU_ASSERT_NOT_EQUAL(dlacc_compile_buffer(NULL, 0, "x", NULL, &m, &e), DLA_OK);
    dla_error_clear(&e);
    uint8_t junk[64];
    memset(junk, 0xa5, sizeof junk);
    CU_ASSERT_NOT_EQUAL(dlacc_compile_buffer(junk, sizeof junk, "junk", NULL, &m, &e), DLA_OK);
    CU_ASSERT(e.msg[0] != 0);
    /* unknown target */
    dlacc_options_init(&o);
    o.calib_dir = calib_dir;
    o.target = "no-such-target";
    dla_error_clear(&e);
    CU_ASSERT_NOT_EQUAL(dlacc_compile_buffer(model_buf, model_len, "sin_cos", &o, &m, &e), DLA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no-such-target"));
    dla_error_clear(&e);
    DlartDevice *d = NULL;
    CU_ASSERT_NOT_EQUAL(dlart_device_open("no-such-target", 0, &d, &e), DLA_OK);
    CU_ASSERT_PTR_NULL(d);

    m = compile_model();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    DlaccContext *c = NULL;
    CU_ASSERT_EQUAL_FATAL(dlacc_context_create(m, &c, &e), DLA_OK);
    DlaTensor in, out;
    dlacc_describe_input(m, 0, &in, NULL, &e);
    dlacc_describe_output(m, 0, &out, NULL, &e);
    static float y[OUT_ELEMS];
    in.data = inputs[0];
    out.data = y;
    DlaTensor t = in;
    t.dtype = DLA_DTYPE_INT8;
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dlacc_context_run(c, &t, 1, &out, 1, &e), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "input 0 'x'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "int8"));
    t = in;
    t.dims[3] = 8;
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dlacc_context_run(c, &t, 1, &out, 1, &e), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "[2,3,7,8]"));
    t = out;
    t.bytes -= 1;
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dlacc_context_run(c, &in, 1, &t, 1, &e), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "output 0 'y'"));
    t = in;
    t.data = NULL;
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dlacc_context_run(c, &t, 1, &out, 1, &e), DLA_ERR_INVALID);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dlacc_context_run(c, &in, 2, &out, 1, &e), DLA_ERR_INVALID);
    /* a failed run leaves the context usable */
    CU_ASSERT_EQUAL(dlacc_context_run(c, &in, 1, &out, 1, &e), DLA_OK);
    dlacc_context_free(c);
    dlacc_free(m);
}

void dla_register_tests(void)
{
    CU_pSuite s = CU_add_suite("public api", setup, teardown);
    CU_add_test(s, "version", test_version);
    CU_add_test(s, "compile from a buffer, .dla in memory", test_buffer);
    CU_add_test(s, "one model, two threads", test_threads);
    CU_add_test(s, "misuse", test_errors);
}
