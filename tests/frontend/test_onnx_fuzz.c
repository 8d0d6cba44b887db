/* test_onnx_fuzz.c - damaged and hostile ONNX files: truncated and bit-flipped copies of
 * zoo models, messages nested beyond any sane depth, random bytes. Every load
 * must return DLA_OK or a clean error with a message, never crash or read out of
 * bounds (the sanitizer build of this test catches what a normal build cannot).
 * Flips and cuts are drawn from a fixed seed so failures reproduce. */
#include "dla_test.h"
#include "dla_file.h"
#include "frontend/onnx.h"
#include "onnx_build.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t rng(void)
{
    /* xorshift64*: enough for picking offsets, and identical everywhere */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

typedef struct FuzzStats {
    int ok, failed, bad;
} FuzzStats;

/* Load from memory; an error must come with a status and a message. */
static void try_load(const uint8_t *buf, size_t len, const char *dir, FuzzStats *st)
{
    IrGraph *g = NULL;
    DlaError err;
    dla_error_clear(&err);
    DlaStatus s = onnx_load_buffer(buf, len, "fuzz.onnx", dir, NULL, &g, &err);
    if (s == DLA_OK) {
        st->ok += g != NULL;
        st->bad += g == NULL;
        ir_graph_free(g);
    } else {
        st->failed++;
        st->bad += g != NULL || err.code != s || err.msg[0] == 0;
    }
}

/* Offsets concentrate where the structure is: ONNX exporters write nodes
 * first and graph inputs/outputs last, with the weights in between. */
static size_t pick_offset(size_t len)
{
    uint64_t r = rng();
    switch (r % 3) {
    case 0: return (size_t)(rng() % len);
    case 1: return (size_t)(rng() % (len < 16384 ? len : 16384));
    default: return len - 1 - (size_t)(rng() % (len < 4096 ? len : 4096));
    }
}

/* Truncate and flip the model in dir/model.onnx; `uniform` spreads offsets over the
 * whole file (small files: everything is structure). */
static void fuzz_file(const char *dir, const char *label, int ncuts, int nflips, int uniform)
{
    char path[4800];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    char *data;
    size_t len;
    DlaError err;
    dla_error_clear(&err);
    CU_ASSERT_EQUAL_FATAL(dla_file_read(path, &data, &len, &err), DLA_OK);
    uint8_t *buf = (uint8_t *)data;
    FuzzStats cut = {0, 0, 0}, flip = {0, 0, 0};
    rng_state = 0x9e3779b97f4a7c15ull;
    /* Truncations: into a fresh exact-size buffer so that reading past the cut
     * is an out-of-bounds access the sanitizer sees. */
    for (int i = 0; i < ncuts; i++) {
        size_t at = i == 0 ? 0 : uniform ? (size_t)(rng() % len) : pick_offset(len);
        uint8_t *copy = malloc(at ? at : 1);
        memcpy(copy, buf, at);
        try_load(copy, at, dir, &cut);
        free(copy);
    }
    /* Bit flips, one to three at a time, undone after each load. */
    for (int i = 0; i < nflips; i++) {
        size_t at[3];
        uint8_t bit[3];
        int n = 1 + (int)(rng() % 3);
        for (int k = 0; k < n; k++) {
            at[k] = uniform ? (size_t)(rng() % len) : pick_offset(len);
            bit[k] = (uint8_t)(1u << (rng() % 8));
            buf[at[k]] ^= bit[k];
        }
        try_load(buf, len, dir, &flip);
        for (int k = n - 1; k >= 0; k--)
            buf[at[k]] ^= bit[k];
    }
    fprintf(stderr, "%s (%zu bytes): %d truncations -> %d ok, %d errors; %d bit-flip sets -> %d ok, %d errors\n",
            label, len, ncuts, cut.ok, cut.failed, nflips, flip.ok, flip.failed);
    CU_ASSERT_EQUAL(cut.bad + flip.bad, 0);
    CU_ASSERT(cut.failed > ncuts / 2); /* a truncated model is almost always detectably broken */
    /* The original still loads after all the flipping back. */
    FuzzStats orig = {0, 0, 0};
    try_load(buf, len, dir, &orig);
    CU_ASSERT_EQUAL(orig.ok, 1);
    free(data);
}

static void fuzz_model(const char *name, int ncuts, int nflips)
{
    const char *models = dla_test_models_dir();
    if (!models)
        return;
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/%s", models, name);
    fuzz_file(dir, name, ncuts, nflips, 0);
}

static void test_fuzz_digits(void) { fuzz_model("digits_cnn", 200, 500); }
static void test_fuzz_squeezenet(void) { fuzz_model("squeezenet1_1", 200, 500); }
static void test_fuzz_resnet50(void) { fuzz_model("resnet50", 100, 300); } /* external data */

/* Node tests with what the zoo lacks: subgraphs (If/Loop/Scan), outer-scope
 * values, sequence and optional types, TYPE_PROTO attributes. */
static void test_fuzz_subgraph_models(void)
{
    static const char *const tests[] = {"test_if_opt", "test_loop11", "test_loop16_seq_none", "test_scan9_sum",
                                        "test_sequence_map_add_2_sequences_expanded",
                                        "test_range_float_type_positive_delta_expanded", "test_constant"};
    const char *root = dla_test_node_dir();
    if (!root)
        return;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        char dir[4400];
        snprintf(dir, sizeof dir, "%s/%s", root, tests[i]);
        fuzz_file(dir, tests[i], 100, 400, 1);
    }
}

/* Hand-made wire bytes: ModelProto.graph -> (GraphProto.node -> NodeProto.attribute ->
 * AttributeProto.g)^N, nested far deeper than any real model (and deep enough to
 * smash the stack of an unbounded recursive unpacker). Sizes are computed inside
 * out, then the headers are written outside in. */
static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v > 0x7f) {
        v >>= 7;
        n++;
    }
    return n;
}

static void test_deep_nesting(void)
{
    enum { LEVELS = 3 * 20000 + 1 };
    static const unsigned cycle[3] = {6, 5, 1}; /* innermost first: g, attribute, node */
    unsigned *field = malloc(LEVELS * sizeof *field);
    size_t *inner = malloc(LEVELS * sizeof *inner); /* payload size of level k */
    size_t sz = 0;
    for (int k = 0; k < LEVELS; k++) {
        field[k] = k == LEVELS - 1 ? 7 : cycle[k % 3];
        inner[k] = sz;
        sz += 1 + varint_len(sz);
    }
    uint8_t *b = malloc(sz), *p = b;
    for (int k = LEVELS - 1; k >= 0; k--) {
        *p++ = (uint8_t)((field[k] << 3) | 2);
        for (uint64_t v = inner[k];; v >>= 7) {
            *p++ = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            if (v <= 0x7f)
                break;
        }
    }
    CU_ASSERT_EQUAL_FATAL((size_t)(p - b), sz);
    IrGraph *g = NULL;
    DlaError err;
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(onnx_load_buffer(b, sz, "deep.onnx", NULL, NULL, &g, &err), DLA_ERR_LIMIT);
    CU_ASSERT_PTR_NULL(g);
    CU_ASSERT(strstr(err.msg, "nested more than") != NULL);
    free(b);
    free(field);
    free(inner);
}

static void test_garbage(void)
{
    FuzzStats st = {0, 0, 0};
    rng_state = 42;
    uint8_t buf[4096];
    for (int i = 0; i < 300; i++) {
        size_t n = (size_t)(rng() % sizeof buf);
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)rng();
        try_load(buf, n, NULL, &st);
    }
    CU_ASSERT_EQUAL(st.bad, 0);
    CU_ASSERT(st.failed > 250);
    /* empty input and an empty ModelProto: no graph */
    IrGraph *g;
    DlaError err;
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(onnx_load_buffer("", 0, "empty.onnx", NULL, NULL, &g, &err), DLA_ERR_FORMAT);
    CU_ASSERT(strstr(err.msg, "empty.onnx: not a valid ONNX model") != NULL);
    /* files that are not there, or are directories */
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(onnx_load("/nonexistent/model.onnx", NULL, &g, &err), DLA_ERR_IO);
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(onnx_load("/tmp", NULL, &g, &err), DLA_ERR_IO);
}

/* A hostile model whose initializer points outside its directory, loaded from disk
 * next to a real data file. */
static void test_hostile_external(void)
{
    static const char *const locs[] = {"../../etc/passwd", "/etc/passwd", "a/../../../etc/shadow"};
    char dir[] = "/tmp/dla_onnx_hostile_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    for (size_t i = 0; i < sizeof locs / sizeof locs[0]; i++) {
        Onnx__ModelProto *m = ob_model(13);
        Onnx__TensorProto *t = ob_tensor("w", DT_UINT8, 1, (int64_t[]){16});
        t->has_data_location = 1;
        t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
        Onnx__StringStringEntryProto *e = ob_alloc(sizeof *e);
        onnx__string_string_entry_proto__init(e);
        e->key = ob_str("location");
        e->value = ob_str(locs[i]);
        OB_PUSH(t->external_data, t->n_external_data, e);
        OB_PUSH(m->graph->initializer, m->graph->n_initializer, t);
        size_t len;
        uint8_t *buf = ob_pack_model(m, &len);
        DlaError err;
        dla_error_clear(&err);
        CU_ASSERT_EQUAL_FATAL(dla_file_write(path, buf, len, &err), DLA_OK);
        IrGraph *g = NULL;
        CU_ASSERT_EQUAL(onnx_load(path, NULL, &g, &err), DLA_ERR_FORMAT);
        CU_ASSERT(strstr(err.msg, "is not a relative path inside the model's directory") != NULL);
        CU_ASSERT(strstr(err.msg, "initializer 'w'") != NULL);
        ob_free_all();
    }
    remove(path);
    remove(dir);
}

void dla_register_tests(void)
{
    DLA_SUITE("onnx_fuzz", {"digits_cnn", test_fuzz_digits}, {"squeezenet1_1", test_fuzz_squeezenet},
              {"resnet50", test_fuzz_resnet50}, {"subgraph_models", test_fuzz_subgraph_models},
              {"deep_nesting", test_deep_nesting},
              {"garbage", test_garbage}, {"hostile_external", test_hostile_external});
}
