/* test_onnx_tensor.c - tensor data in the frontend: every dtype in raw_data and in the
 * typed fields gives the same bytes; Constant nodes in every value form; sparse
 * tensors; external data (and hostile locations); size errors; TensorProto files. */
#include "dla_test.h"
#include "dla_file.h"
#include "frontend/onnx.h"
#include "onnx_build.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Load a model and expect failure with `code` and `needle` in the message. */
static void expect_error(Onnx__ModelProto *m, const char *base_dir, DlaStatus code, const char *needle)
{
    DlaError err;
    IrGraph *g = ob_load(m, base_dir, NULL, &err);
    CU_ASSERT_PTR_NULL(g);
    CU_ASSERT_EQUAL(err.code, code);
    if (!strstr(err.msg, needle)) {
        fprintf(stderr, "expected '%s' in: %s\n", needle, err.msg);
        CU_FAIL("error message");
    }
    ir_graph_free(g);
}

/* ---- typed fields vs raw_data ---- */

static int is_signed(IrDtype dt) { return dt == DT_INT8 || dt == DT_INT16 || dt == DT_INT32; }

/* Put the elements of `raw` (esize-byte little-endian) into the typed field the
 * ONNX spec assigns to dt. */
static void fill_typed(Onnx__TensorProto *t, IrDtype dt, const uint8_t *raw, size_t n, size_t esize)
{
    switch (dt) {
    case DT_FLOAT: case DT_COMPLEX64:
        t->n_float_data = n * esize / 4;
        t->float_data = ob_alloc(n * esize);
        memcpy(t->float_data, raw, n * esize);
        return;
    case DT_DOUBLE: case DT_COMPLEX128:
        t->n_double_data = n * esize / 8;
        t->double_data = ob_alloc(n * esize);
        memcpy(t->double_data, raw, n * esize);
        return;
    case DT_INT64:
        t->n_int64_data = n;
        t->int64_data = ob_alloc(n * 8);
        memcpy(t->int64_data, raw, n * 8);
        return;
    case DT_UINT32: case DT_UINT64:
        t->n_uint64_data = n;
        t->uint64_data = ob_alloc(n * 8);
        for (size_t i = 0; i < n; i++) {
            uint64_t v = 0;
            memcpy(&v, raw + i * esize, esize);
            t->uint64_data[i] = v;
        }
        return;
    default: /* everything narrower than 64 bits: one int32 per element */
        t->n_int32_data = n;
        t->int32_data = ob_alloc(n * 4);
        for (size_t i = 0; i < n; i++) {
            uint32_t u = 0;
            memcpy(&u, raw + i * esize, esize);
            int32_t v = (int32_t)u;
            if (is_signed(dt) && esize < 4 && (u >> (esize * 8 - 1)) & 1)
                v = (int32_t)(u | ~((1u << (esize * 8)) - 1)); /* sign-extend */
            t->int32_data[i] = v;
        }
        return;
    }
}

static void test_typed_vs_raw(void)
{
    static const IrDtype dts[] = {DT_FLOAT, DT_UINT8, DT_INT8, DT_UINT16, DT_INT16, DT_INT32, DT_INT64,
                                  DT_BOOL, DT_FLOAT16, DT_DOUBLE, DT_UINT32, DT_UINT64, DT_COMPLEX64,
                                  DT_COMPLEX128, DT_BFLOAT16, DT_FLOAT8E4M3FN, DT_FLOAT8E5M2};
    int64_t dims[] = {2, 3};
    uint32_t seed = 12345;
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        IrDtype dt = dts[k];
        size_t es = ir_dtype_size(dt), n = 6;
        uint8_t raw[6 * 16];
        for (size_t i = 0; i < n * es; i++) {
            seed = seed * 1103515245u + 12345u;
            raw[i] = (uint8_t)(seed >> 16);
        }
        if (dt == DT_BOOL)
            for (size_t i = 0; i < n; i++)
                raw[i] &= 1;
        if (dt == DT_FLOAT || dt == DT_COMPLEX64)
            for (size_t i = 0; i < n * es / 4; i++) {
                float f = (float)i * 0.25f - 1.0f;
                memcpy(raw + 4 * i, &f, 4);
            }
        if (dt == DT_DOUBLE || dt == DT_COMPLEX128)
            for (size_t i = 0; i < n * es / 8; i++) {
                double f = (double)i * 0.125 - 3.0;
                memcpy(raw + 8 * i, &f, 8);
            }
        Onnx__ModelProto *m = ob_model(13);
        Onnx__TensorProto *tr = ob_tensor("r", (int)dt, 2, dims);
        ob_raw(tr, raw, n * es);
        Onnx__TensorProto *tt = ob_tensor("t", (int)dt, 2, dims);
        fill_typed(tt, dt, raw, n, es);
        OB_PUSH(m->graph->initializer, m->graph->n_initializer, tr);
        OB_PUSH(m->graph->initializer, m->graph->n_initializer, tt);
        DlaError err;
        IrGraph *g = ob_load(m, NULL, NULL, &err);
        if (!g)
            fprintf(stderr, "%s: %s\n", ir_dtype_name(dt), err.msg);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        int32_t vr = ir_value_find(g, "r"), vt = ir_value_find(g, "t");
        CU_ASSERT_FATAL(vr >= 0 && vt >= 0);
        const IrValue *r = &g->values[vr], *t = &g->values[vt];
        CU_ASSERT(r->flags & IR_VAL_CONST);
        CU_ASSERT_EQUAL(r->dtype, dt);
        CU_ASSERT_EQUAL(t->dtype, dt);
        CU_ASSERT_EQUAL(r->nbytes, n * es);
        CU_ASSERT_EQUAL(t->nbytes, n * es);
        int same = r->nbytes == t->nbytes && memcmp(r->data, raw, n * es) == 0 &&
                   memcmp(t->data, raw, n * es) == 0;
        if (!same)
            fprintf(stderr, "typed vs raw differ for %s\n", ir_dtype_name(dt));
        CU_ASSERT(same);
        CU_ASSERT_EQUAL(g->ninputs, 0);
        ir_graph_free(g);
        ob_free_all();
    }
}

/* Hand-picked values that a symmetric bug (e.g. narrowing in both directions the
 * same wrong way) would not catch. */
static void test_typed_known_values(void)
{
    int64_t three = 3;
    Onnx__ModelProto *m = ob_model(13);
    Onnx__TensorProto *a = ob_tensor("i8", DT_INT8, 1, &three);
    int32_t i8v[] = {-1, 127, -128};
    a->n_int32_data = 3;
    a->int32_data = i8v;
    Onnx__TensorProto *b = ob_tensor("f16", DT_FLOAT16, 1, &three);
    int32_t f16v[] = {0x3c00, 0xc000, 0x7bff}; /* 1.0, -2.0, 65504 */
    b->n_int32_data = 3;
    b->int32_data = f16v;
    Onnx__TensorProto *c = ob_tensor("u64", DT_UINT64, 1, &three);
    uint64_t u64v[] = {0, UINT64_MAX, 1ull << 63};
    c->n_uint64_data = 3;
    c->uint64_data = u64v;
    Onnx__TensorProto *d = ob_tensor("b", DT_BOOL, 1, &three);
    int32_t bv[] = {0, 1, 1};
    d->n_int32_data = 3;
    d->int32_data = bv;
    Onnx__TensorProto *s = ob_tensor("s", DT_STRING, 1, &three);
    ProtobufCBinaryData sv[] = {{2, (uint8_t *)"ab"}, {0, NULL}, {5, (uint8_t *)"hello"}};
    s->n_string_data = 3;
    s->string_data = sv;
    Onnx__TensorProto *sc = ob_tensor("scalar", DT_INT32, 0, NULL);
    int32_t scv = -7;
    sc->n_int32_data = 1;
    sc->int32_data = &scv;
    Onnx__TensorProto *e = ob_tensor("empty", DT_FLOAT, 1, (int64_t[]){0});
    Onnx__TensorProto *ts[] = {a, b, c, d, s, sc, e};
    for (size_t i = 0; i < 7; i++)
        OB_PUSH(m->graph->initializer, m->graph->n_initializer, ts[i]);
    DlaError err;
    IrGraph *g = ob_load(m, NULL, NULL, &err);
    if (!g)
        fprintf(stderr, "%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const int8_t *pi8 = g->values[ir_value_find(g, "i8")].data;
    CU_ASSERT(pi8[0] == -1 && pi8[1] == 127 && pi8[2] == -128);
    const uint16_t *pf = g->values[ir_value_find(g, "f16")].data;
    CU_ASSERT(pf[0] == 0x3c00 && pf[1] == 0xc000 && pf[2] == 0x7bff);
    const uint64_t *pu = g->values[ir_value_find(g, "u64")].data;
    CU_ASSERT(pu[0] == 0 && pu[1] == UINT64_MAX && pu[2] == 1ull << 63);
    const uint8_t *pb = g->values[ir_value_find(g, "b")].data;
    CU_ASSERT(pb[0] == 0 && pb[1] == 1 && pb[2] == 1);
    const IrValue *vs = &g->values[ir_value_find(g, "s")];
    CU_ASSERT_EQUAL(vs->dtype, DT_STRING);
    const char *const *ps = vs->data;
    CU_ASSERT_STRING_EQUAL(ps[0], "ab");
    CU_ASSERT_STRING_EQUAL(ps[1], "");
    CU_ASSERT_STRING_EQUAL(ps[2], "hello");
    const IrValue *vsc = &g->values[ir_value_find(g, "scalar")];
    CU_ASSERT_EQUAL(vsc->shape.rank, 0);
    CU_ASSERT_EQUAL(*(const int32_t *)vsc->data, -7);
    const IrValue *ve = &g->values[ir_value_find(g, "empty")];
    CU_ASSERT(ve->flags & IR_VAL_CONST);
    CU_ASSERT_EQUAL(ve->nbytes, 0);
    ir_graph_free(g);
    ob_free_all();
}

static void test_tensor_errors(void)
{
    int64_t d23[] = {2, 3};
    float six[6] = {0};
    Onnx__ModelProto *m;
    Onnx__TensorProto *t;

    m = ob_model(13);
    t = ob_tensor("w", DT_FLOAT, 2, d23);
    ob_raw(t, six, 20);
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_FORMAT, "raw_data has 20 bytes, but shape [2,3] of float32 needs 24");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", DT_FLOAT, 2, d23);
    t->n_float_data = 5;
    t->float_data = six;
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_FORMAT, "float_data holds 5 values");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", DT_INT64, 2, d23);
    int32_t i32[6] = {0};
    t->n_int32_data = 6;
    t->int32_data = i32;
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_FORMAT, "stored in int32_data (expected int64_data)");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", DT_FLOAT, 2, d23);
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_FORMAT, "no data");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", 99, 2, d23);
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_FORMAT, "unknown data type code 99");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", DT_FLOAT, 2, (int64_t[]){2, -3});
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_FORMAT, "negative dimension -3");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", DT_FLOAT, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1});
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_LIMIT, "rank 9");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", DT_FLOAT, 3, (int64_t[]){1ll << 40, 1ll << 40, 1ll << 40});
    ob_raw(t, six, 24);
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_LIMIT, "overflows");
    ob_free_all();

    /* numel fits in int64 but numel * 8 bytes does not fit size_t */
    m = ob_model(13);
    t = ob_tensor("w", DT_DOUBLE, 2, (int64_t[]){1ll << 31, 1ll << 31});
    ob_raw(t, six, 24);
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_LIMIT, "initializer 'w': byte size overflows");
    ob_free_all();

    /* huge but representable: the size check refuses it before allocating anything */
    m = ob_model(13);
    t = ob_tensor("w", DT_FLOAT, 2, (int64_t[]){1ll << 20, 1ll << 20});
    t->n_float_data = 6;
    t->float_data = six;
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_FORMAT, "float_data holds 6 values, but shape [1048576,1048576]");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", DT_STRING, 1, (int64_t[]){1});
    ob_raw(t, "x", 1);
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    expect_error(m, NULL, DLA_ERR_FORMAT, "string tensors cannot use raw_data");
    ob_free_all();

    m = ob_model(13);
    t = ob_tensor("w", DT_FLOAT, 1, (int64_t[]){1});
    ob_raw(t, six, 4);
    Onnx__TensorProto *t2 = ob_tensor("w", DT_FLOAT, 1, (int64_t[]){1});
    ob_raw(t2, six, 4);
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t2);
    expect_error(m, NULL, DLA_ERR_INVALID, "initializer 'w' is defined more than once");
    ob_free_all();
}

/* Large inline raw_data (>= 4 KiB) is kept out of protobuf-c and copied from the
 * original buffer (frontend/onnx_strip.c): same values through memory and file
 * loads, next to small and typed initializers, and size errors still caught. */
static void test_large_inline(void)
{
    enum { NF = 3000, NB = 5001 };
    static float big[NF];
    static int8_t bytes[NB];
    for (int i = 0; i < NF; i++)
        big[i] = (float)i * 0.5f - 7.0f;
    for (int i = 0; i < NB; i++)
        bytes[i] = (int8_t)(i * 7);
    for (int pass = 0; pass < 3; pass++) {
        Onnx__ModelProto *m = ob_model(13);
        Onnx__TensorProto *a = ob_tensor("big", DT_FLOAT, 2, (int64_t[]){NF / 3, 3});
        ob_raw(a, big, pass == 2 ? sizeof big - 4 : sizeof big);
        Onnx__TensorProto *b = ob_tensor("small", DT_FLOAT, 1, (int64_t[]){2});
        ob_raw(b, big, 8);
        Onnx__TensorProto *c = ob_tensor("bytes", DT_INT8, 1, (int64_t[]){NB});
        ob_raw(c, bytes, NB);
        Onnx__TensorProto *d = ob_tensor("typed", DT_FLOAT, 1, (int64_t[]){NF});
        d->n_float_data = NF;
        d->float_data = big;
        Onnx__TensorProto *ts[] = {a, b, c, d};
        for (int i = 0; i < 4; i++)
            OB_PUSH(m->graph->initializer, m->graph->n_initializer, ts[i]);
        DlaError err;
        IrGraph *g = NULL;
        if (pass == 2) {
            expect_error(m, NULL, DLA_ERR_FORMAT, "initializer 'big': raw_data has 11996 bytes, but shape [1000,3]");
            ob_free_all();
            continue;
        }
        if (pass == 0) {
            g = ob_load(m, NULL, NULL, &err);
        } else { /* from a file: the loader's own mapping, whose copied pages it releases */
            char dir[] = "/tmp/dla_onnx_big_XXXXXX", path[64];
            CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
            snprintf(path, sizeof path, "%s/model.onnx", dir);
            size_t len;
            uint8_t *buf = ob_pack_model(m, &len);
            dla_error_clear(&err);
            CU_ASSERT_EQUAL_FATAL(dla_file_write(path, buf, len, &err), DLA_OK);
            onnx_load(path, NULL, &g, &err);
            unlink(path);
            rmdir(dir);
        }
        if (!g)
            fprintf(stderr, "%s\n", err.msg);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        const IrValue *va = &g->values[ir_value_find(g, "big")];
        const IrValue *vb = &g->values[ir_value_find(g, "small")];
        const IrValue *vc = &g->values[ir_value_find(g, "bytes")];
        const IrValue *vd = &g->values[ir_value_find(g, "typed")];
        CU_ASSERT(va->nbytes == sizeof big && memcmp(va->data, big, sizeof big) == 0);
        CU_ASSERT(vb->nbytes == 8 && memcmp(vb->data, big, 8) == 0);
        CU_ASSERT(vc->nbytes == NB && memcmp(vc->data, bytes, NB) == 0);
        CU_ASSERT(vd->nbytes == sizeof big && memcmp(vd->data, big, sizeof big) == 0);
        ir_graph_free(g);
        ob_free_all();
    }
}

/* ---- Constant nodes ---- */

static void test_constant_forms(void)
{
    Onnx__ModelProto *m = ob_model(13);
    Onnx__GraphProto *g = m->graph;
    static const char *const forms[] = {"value", "value_float", "value_floats", "value_int", "value_ints",
                                        "value_string", "value_strings", "sparse_value"};
    float fl[] = {1.5f, -2.5f};
    int64_t in[] = {7, -9, 11};
    for (int i = 0; i < 8; i++) {
        char out[32];
        snprintf(out, sizeof out, "c_%s", forms[i]);
        Onnx__NodeProto *n = ob_node(g, NULL, "Constant", NULL, (const char *[]){out, NULL});
        Onnx__AttributeProto *a;
        switch (i) {
        case 0:
            a = ob_attr(n, forms[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
            a->t = ob_tensor(NULL, DT_FLOAT, 1, (int64_t[]){2});
            ob_raw(a->t, fl, 8);
            break;
        case 1:
            a = ob_attr(n, forms[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
            a->has_f = 1;
            a->f = 0.75f;
            break;
        case 2:
            a = ob_attr(n, forms[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
            a->n_floats = 2;
            a->floats = fl;
            break;
        case 3:
            a = ob_attr(n, forms[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
            a->has_i = 1;
            a->i = -42;
            break;
        case 4:
            a = ob_attr(n, forms[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
            a->n_ints = 3;
            a->ints = in;
            break;
        case 5:
            a = ob_attr(n, forms[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
            a->has_s = 1;
            a->s.data = (uint8_t *)"hi";
            a->s.len = 2;
            break;
        case 6:
            a = ob_attr(n, forms[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
            a->n_strings = 2;
            a->strings = ob_alloc(2 * sizeof *a->strings);
            a->strings[0].data = (uint8_t *)"x";
            a->strings[0].len = 1;
            a->strings[1].data = (uint8_t *)"yz";
            a->strings[1].len = 2;
            break;
        case 7: {
            /* dense [2,3] with 5.0 at (0,1) and 6.0 at (1,2), coordinate indices */
            a = ob_attr(n, forms[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR);
            Onnx__SparseTensorProto *sp = ob_alloc(sizeof *sp);
            onnx__sparse_tensor_proto__init(sp);
            sp->n_dims = 2;
            sp->dims = ob_alloc(16);
            sp->dims[0] = 2;
            sp->dims[1] = 3;
            sp->values = ob_tensor(NULL, DT_FLOAT, 1, (int64_t[]){2});
            ob_raw(sp->values, (float[]){5, 6}, 8);
            sp->indices = ob_tensor(NULL, DT_INT64, 2, (int64_t[]){2, 2});
            ob_raw(sp->indices, (int64_t[]){0, 1, 1, 2}, 32);
            a->sparse_tensor = sp;
            break;
        }
        }
        OB_PUSH(g->output, g->n_output, ob_vinfo(out, DT_FLOAT, -1, NULL, NULL));
    }
    DlaError err;
    IrGraph *ir = ob_load(m, NULL, NULL, &err);
    if (!ir)
        fprintf(stderr, "%s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
    CU_ASSERT_EQUAL(ir->nnodes, 0); /* every Constant became a value */
    CU_ASSERT_EQUAL(ir->noutputs, 8);
    const IrValue *v;
    v = &ir->values[ir_value_find(ir, "c_value")];
    CU_ASSERT(v->dtype == DT_FLOAT && v->shape.rank == 1 && ((float *)v->data)[1] == -2.5f);
    v = &ir->values[ir_value_find(ir, "c_value_float")];
    CU_ASSERT(v->dtype == DT_FLOAT && v->shape.rank == 0 && *(float *)v->data == 0.75f);
    v = &ir->values[ir_value_find(ir, "c_value_floats")];
    CU_ASSERT(v->dtype == DT_FLOAT && v->shape.rank == 1 && v->shape.dims[0] == 2 && ((float *)v->data)[0] == 1.5f);
    v = &ir->values[ir_value_find(ir, "c_value_int")];
    CU_ASSERT(v->dtype == DT_INT64 && v->shape.rank == 0 && *(int64_t *)v->data == -42);
    v = &ir->values[ir_value_find(ir, "c_value_ints")];
    CU_ASSERT(v->dtype == DT_INT64 && v->shape.dims[0] == 3 && ((int64_t *)v->data)[2] == 11);
    v = &ir->values[ir_value_find(ir, "c_value_string")];
    CU_ASSERT(v->dtype == DT_STRING && v->shape.rank == 0 && strcmp(*(char **)v->data, "hi") == 0);
    v = &ir->values[ir_value_find(ir, "c_value_strings")];
    CU_ASSERT(v->dtype == DT_STRING && v->shape.dims[0] == 2 && strcmp(((char **)v->data)[1], "yz") == 0);
    v = &ir->values[ir_value_find(ir, "c_sparse_value")];
    CU_ASSERT(v->dtype == DT_FLOAT && v->shape.rank == 2 && v->shape.dims[1] == 3);
    const float *sp = v->data;
    CU_ASSERT(sp[0] == 0 && sp[1] == 5 && sp[5] == 6 && sp[4] == 0);
    for (int i = 0; i < 8; i++)
        CU_ASSERT(ir->values[ir->outputs[i]].flags & IR_VAL_CONST);
    ir_graph_free(ir);
    ob_free_all();

    /* two value attributes, and an unknown one */
    m = ob_model(13);
    Onnx__NodeProto *n = ob_node(m->graph, "k", "Constant", NULL, (const char *[]){"c", NULL});
    ob_attr(n, "value_int", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)->has_i = 1;
    ob_attr(n, "value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->has_f = 1;
    expect_error(m, NULL, DLA_ERR_INVALID, "node 'k' (Constant): Constant needs exactly one value attribute");
    ob_free_all();
    m = ob_model(13);
    n = ob_node(m->graph, "k", "Constant", NULL, (const char *[]){"c", NULL});
    ob_attr(n, "valeu", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    expect_error(m, NULL, DLA_ERR_INVALID, "unknown Constant attribute 'valeu'");
    ob_free_all();
}

/* Sparse initializer with linear indices; an out-of-range index is an error, and
 * so is a dense size beyond the frontend's densification budget (2 GiB). */
static void test_sparse_initializer(void)
{
    for (int bad = 0; bad < 3; bad++) {
        Onnx__ModelProto *m = ob_model(13);
        Onnx__SparseTensorProto *sp = ob_alloc(sizeof *sp);
        onnx__sparse_tensor_proto__init(sp);
        sp->n_dims = 2;
        sp->dims = ob_alloc(16);
        sp->dims[0] = bad == 2 ? 1 << 20 : 3;
        sp->dims[1] = bad == 2 ? 1 << 10 : 4;
        sp->values = ob_tensor("sp", DT_INT32, 1, (int64_t[]){3});
        ob_raw(sp->values, (int32_t[]){10, 20, 30}, 12);
        sp->indices = ob_tensor(NULL, DT_INT64, 1, (int64_t[]){3});
        ob_raw(sp->indices, (int64_t[]){0, 5, bad ? 12 : 11}, 24);
        OB_PUSH(m->graph->sparse_initializer, m->graph->n_sparse_initializer, sp);
        if (bad == 2) {
            expect_error(m, NULL, DLA_ERR_LIMIT, "densified sparse tensors would take more than 2048 MiB");
        } else if (bad) {
            expect_error(m, NULL, DLA_ERR_FORMAT, "sparse index 2 out of range");
        } else {
            DlaError err;
            IrGraph *g = ob_load(m, NULL, NULL, &err);
            CU_ASSERT_PTR_NOT_NULL_FATAL(g);
            const IrValue *v = &g->values[ir_value_find(g, "sp")];
            const int32_t *d = v->data;
            CU_ASSERT(v->nbytes == 48 && d[0] == 10 && d[5] == 20 && d[11] == 30 && d[1] == 0);
            ir_graph_free(g);
        }
        ob_free_all();
    }
}

/* ---- external data ---- */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dla_onnx_ext_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
}

static void rm_tmpdir(const char *const *files)
{
    char p[512];
    for (int i = 0; files[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, files[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
    rmdir(tmpdir);
}

static Onnx__ModelProto *ext_model(const char *loc, const char *off, const char *len, int64_t n)
{
    Onnx__ModelProto *m = ob_model(13);
    Onnx__TensorProto *t = ob_tensor("w", DT_FLOAT, 1, &n);
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    const char *kv[3][2] = {{"location", loc}, {"offset", off}, {"length", len}};
    for (int i = 0; i < 3; i++) {
        if (!kv[i][1])
            continue;
        Onnx__StringStringEntryProto *e = ob_alloc(sizeof *e);
        onnx__string_string_entry_proto__init(e);
        e->key = ob_str(kv[i][0]);
        e->value = ob_str(kv[i][1]);
        OB_PUSH(t->external_data, t->n_external_data, e);
    }
    OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
    return m;
}

static void test_external_data(void)
{
    make_tmpdir();
    float w[64];
    for (int i = 0; i < 64; i++)
        w[i] = (float)i * 0.5f;
    char p[512];
    snprintf(p, sizeof p, "%s/w.bin", tmpdir);
    DlaError err;
    dla_error_clear(&err);
    CU_ASSERT_EQUAL_FATAL(dla_file_write(p, w, sizeof w, &err), DLA_OK);
    mkdir((snprintf(p, sizeof p, "%s/sub", tmpdir), p), 0700);

    /* through a file on disk, so the directory comes from the model's path */
    Onnx__ModelProto *m = ext_model("w.bin", "16", "32", 8);
    size_t len;
    uint8_t *buf = ob_pack_model(m, &len);
    snprintf(p, sizeof p, "%s/model.onnx", tmpdir);
    CU_ASSERT_EQUAL_FATAL(dla_file_write(p, buf, len, &err), DLA_OK);
    IrGraph *g = NULL;
    CU_ASSERT_EQUAL(onnx_load(p, NULL, &g, &err), DLA_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const IrValue *v = &g->values[ir_value_find(g, "w")];
    CU_ASSERT_EQUAL(v->nbytes, 32);
    CU_ASSERT(((float *)v->data)[0] == 2.0f && ((float *)v->data)[7] == 5.5f);
    CU_ASSERT_EQUAL(g->nowned, 0); /* borrowed from the mapping */
    ir_graph_free(g);
    ob_free_all();

    /* accepted spellings: no offset/length (whole file), "./", "sub/../" */
    static const char *const ok_locs[] = {"./w.bin", "sub/../w.bin"};
    for (int i = 0; i < 2; i++) {
        m = ext_model(ok_locs[i], NULL, NULL, 64);
        g = ob_load(m, tmpdir, NULL, &err);
        if (!g)
            fprintf(stderr, "%s\n", err.msg);
        CU_ASSERT_PTR_NOT_NULL(g);
        if (g)
            CU_ASSERT(((float *)g->values[0].data)[63] == 31.5f);
        ir_graph_free(g);
        ob_free_all();
    }

    /* hostile or broken references */
    static const struct {
        const char *loc, *off, *len;
        int64_t n;
        DlaStatus code;
        const char *needle;
    } bad[] = {
        {"../../etc/passwd", NULL, NULL, 1, DLA_ERR_FORMAT, "not a relative path inside"},
        {"/etc/passwd", NULL, NULL, 1, DLA_ERR_FORMAT, "not a relative path inside"},
        {"sub/../../w.bin", NULL, NULL, 1, DLA_ERR_FORMAT, "not a relative path inside"},
        {"..", NULL, NULL, 1, DLA_ERR_FORMAT, "not a relative path inside"},
        {"", NULL, NULL, 1, DLA_ERR_FORMAT, "not a relative path inside"},
        {"w.bin", "1000000", "4", 1, DLA_ERR_FORMAT, "offset 1000000 is beyond the end"},
        {"w.bin", "250", "8", 2, DLA_ERR_FORMAT, "extends beyond the end"},
        {"w.bin", "0", "18446744073709551615", 1, DLA_ERR_FORMAT, "extends beyond the end"},
        {"w.bin", "-4", "4", 1, DLA_ERR_FORMAT, "offset '-4' is not a number"},
        {"w.bin", "0", "12", 2, DLA_ERR_FORMAT, "external data has 12 bytes"},
        {"missing.bin", NULL, NULL, 1, DLA_ERR_IO, "cannot open"},
        {"sub", NULL, NULL, 1, DLA_ERR_IO, "directory"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = ext_model(bad[i].loc, bad[i].off, bad[i].len, bad[i].n);
        expect_error(m, tmpdir, bad[i].code, bad[i].needle);
        ob_free_all();
    }
    /* no location key at all; external data when loading from memory without a directory */
    m = ext_model("w.bin", NULL, NULL, 64);
    expect_error(m, NULL, DLA_ERR_UNSUPPORTED, "without a base directory");
    ob_free_all();
    m = ext_model("w.bin", NULL, NULL, 64);
    m->graph->initializer[0]->external_data[0]->key = ob_str("place");
    expect_error(m, tmpdir, DLA_ERR_FORMAT, "without a 'location'");
    ob_free_all();
    rm_tmpdir((const char *const[]){"w.bin", "model.onnx", "sub", NULL});
}

/* ---- standalone TensorProto files ---- */

static void test_tensor_file_roundtrip(void)
{
    make_tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/t.pb", tmpdir);
    DlaError err;
    dla_error_clear(&err);
    int64_t d[] = {2, 3};
    IrShape s23 = ir_shape_make(2, d);
    float f[6] = {1, -2, 3.5f, 0, 1e-3f, 42};
    CU_ASSERT_EQUAL(onnx_tensor_write(p, "x", DT_FLOAT, &s23, f, sizeof f, &err), DLA_OK);
    OnnxTensorFile t;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(p, &t, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(t.name, "x");
    CU_ASSERT_EQUAL(t.dtype, DT_FLOAT);
    CU_ASSERT(ir_shape_equal(&t.shape, &s23));
    CU_ASSERT(t.nbytes == sizeof f && memcmp(t.data, f, sizeof f) == 0);
    onnx_tensor_file_free(&t);

    IrShape s0 = ir_shape_make(0, NULL);
    int64_t big = INT64_MIN;
    CU_ASSERT_EQUAL(onnx_tensor_write(p, NULL, DT_INT64, &s0, &big, 8, &err), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(p, &t, &err), DLA_OK);
    CU_ASSERT(t.shape.rank == 0 && t.dtype == DT_INT64 && *(int64_t *)t.data == INT64_MIN);
    CU_ASSERT_STRING_EQUAL(t.name, "");
    onnx_tensor_file_free(&t);

    int64_t d2 = 2;
    IrShape s2 = ir_shape_make(1, &d2);
    const char *strs[] = {"alpha", ""};
    CU_ASSERT_EQUAL(onnx_tensor_write(p, "s", DT_STRING, &s2, strs, sizeof strs, &err), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(p, &t, &err), DLA_OK);
    CU_ASSERT(t.dtype == DT_STRING && strcmp(((char **)t.data)[0], "alpha") == 0 && ((char **)t.data)[1][0] == 0);
    onnx_tensor_file_free(&t);

    int64_t dz[] = {0, 4};
    IrShape sz = ir_shape_make(2, dz);
    CU_ASSERT_EQUAL(onnx_tensor_write(p, "z", DT_UINT8, &sz, NULL, 0, &err), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(p, &t, &err), DLA_OK);
    CU_ASSERT(t.nbytes == 0 && t.shape.dims[1] == 4);
    onnx_tensor_file_free(&t);

    /* errors */
    CU_ASSERT_EQUAL(onnx_tensor_write(p, "x", DT_FLOAT, &s23, f, 20, &err), DLA_ERR_INVALID);
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(dla_file_write(p, "\xff\xff\xff", 3, &err), DLA_OK);
    CU_ASSERT_EQUAL(onnx_tensor_read(p, &t, &err), DLA_ERR_FORMAT);
    CU_ASSERT(strstr(err.msg, "not a valid serialized ONNX TensorProto") != NULL);
    dla_error_clear(&err);
    snprintf(p, sizeof p, "%s/none.pb", tmpdir);
    CU_ASSERT_EQUAL(onnx_tensor_read(p, &t, &err), DLA_ERR_IO);
    rm_tmpdir((const char *const[]){"t.pb", NULL});

    /* a real test-data file: digits_cnn's input is [1,1,8,8] float */
    const char *models = dla_test_models_dir();
    if (models) {
        char p[4400];
        snprintf(p, sizeof p, "%s/digits_cnn/dataset/test_labels.pb", models);
        dla_error_clear(&err);
        CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(p, &t, &err), DLA_OK);
        CU_ASSERT(t.dtype == DT_INT64 && t.shape.rank == 1 && t.shape.dims[0] == 397);
        const int64_t *lab = t.data;
        int inrange = 1;
        for (int i = 0; i < 397; i++)
            inrange &= lab[i] >= 0 && lab[i] <= 9;
        CU_ASSERT(inrange);
        onnx_tensor_file_free(&t);
    }
}

void dla_register_tests(void)
{
    DLA_SUITE("onnx_tensor", {"typed_vs_raw", test_typed_vs_raw}, {"typed_known", test_typed_known_values},
              {"errors", test_tensor_errors}, {"large_inline", test_large_inline}, {"constant_forms", test_constant_forms},
              {"sparse_initializer", test_sparse_initializer}, {"external_data", test_external_data},
              {"tensor_file", test_tensor_file_roundtrip});
}
