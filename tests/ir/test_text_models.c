/* test_text_models.c - text round trip and verifier on real models: every ONNX
 * node-test model and every zoo model, loaded by the frontend.
 * For each: ir_verify(load(m)) passes, and again after shape inference; then
 * print -> parse -> verify -> structural
 * equality (constant data included in full mode) -> print again byte-identical.
 * The big zoo models use elided mode (constants > 1 KiB as checksums). */
#include "dla_test.h"
#include "frontend/onnx.h"
#include "ir.h"
#include "ir/infer.h"
#include "test_text_equal.h"
#include "text.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>

/* 0 ok, 1 load failed (frontend's business, counted separately), 2 round trip failed */
static int round_trip_model(const char *path, size_t elide, int quiet_load)
{
    IrGraph *g = NULL;
    DlaError err = {0};
    if (onnx_load(path, NULL, &g, &err) != DLA_OK) {
        if (!quiet_load)
            fprintf(stderr, "load failed: %s\n", err.msg);
        return 1;
    }
    int bad = 0;
    char why[512];
    if (ir_verify(g, &err) != DLA_OK) {
        fprintf(stderr, "%s: verify after load: %s\n", path, err.msg);
        bad = 1;
    }
    /* Inference gives node outputs types and folded data: more for the text to
     * carry. Its problems (unsupported nodes) are `dlacc check`'s business. */
    DlaError ierr = {0};
    ir_infer_shapes(g, NULL, &ierr);
    dla_error_clear(&err);
    if (ir_verify(g, &err) != DLA_OK) {
        fprintf(stderr, "%s: verify after shape inference: %s\n", path, err.msg);
        bad = 1;
    }
    IrPrintOptions o = {.elide_bytes = elide};
    char *t1 = NULL, *t2 = NULL;
    size_t n1, n2;
    ir_print_string(g, &o, &t1, &n1, NULL);
    IrGraph *p = NULL;
    dla_error_clear(&err);
    if (ir_parse(t1, n1, path, &p, &err) != DLA_OK) {
        fprintf(stderr, "%s: parse of printed IR: %s\n", path, err.msg);
        bad = 1;
    } else {
        if (ir_verify(p, &err) != DLA_OK) {
            fprintf(stderr, "%s: verify after parse: %s\n", path, err.msg);
            bad = 1;
        }
        if (!ir_test_graph_equal(g, p, elide != 0, why, sizeof why)) {
            fprintf(stderr, "%s: parsed graph differs: %s\n", path, why);
            bad = 1;
        }
        ir_print_string(p, &o, &t2, &n2, NULL);
        if (n1 != n2 || memcmp(t1, t2, n1)) {
            fprintf(stderr, "%s: second print differs from the first\n", path);
            bad = 1;
        }
    }
    free(t1);
    free(t2);
    ir_graph_free(p);
    ir_graph_free(g);
    return bad ? 2 : 0;
}

static void test_node_models(void)
{
    const char *dir = dla_test_node_dir();
    if (!dir)
        return;
    size_t n;
    char **names = dla_test_list_dir(dir, NULL, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    int ok = 0, load_failed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%.3000s/%.1000s/model.onnx", dir, names[i]);
        int r = round_trip_model(path, 0, load_failed > 5);
        ok += r == 0;
        load_failed += r == 1;
        failed += r == 2;
        free(names[i]);
    }
    free(names);
    fprintf(stderr, "\nnode-test models: %d round-tripped, %d failed, %d not loadable by the frontend (of %zu)\n",
            ok, failed, load_failed, n);
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT(ok > 0);
}

static void test_zoo_models(void)
{
    const char *dir = dla_test_models_dir();
    if (!dir)
        return;
    static const struct { const char *name; size_t elide; } zoo[] = {
        {"digits_cnn", 0}, {"tiny_encoder", 0}, {"squeezenet1_1", 0},
        {"mobilenet_v2", 0}, {"resnet18", 0}, {"resnet50", 1024},
    };
    int ok = 0;
    for (size_t i = 0; i < sizeof zoo / sizeof zoo[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%.3000s/%s/model.onnx", dir, zoo[i].name);
        if (!dla_path_exists(path)) {
            fprintf(stderr, "NOTE: %s absent, skipped\n", path);
            continue;
        }
        int r = round_trip_model(path, zoo[i].elide, 0);
        CU_ASSERT_EQUAL(r, 0);
        ok += r == 0;
    }
    fprintf(stderr, "zoo models round-tripped: %d\n", ok);
}

/* The full dump of a real model cut at many offsets: always a clean error. */
static void test_truncated_dump(void)
{
    const char *dir = dla_test_models_dir();
    if (!dir)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%.3000s/digits_cnn/model.onnx", dir);
    IrGraph *g = NULL;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_load(path, NULL, &g, &err), DLA_OK);
    ir_infer_shapes(g, NULL, &err);
    char *t;
    size_t n;
    ir_print_string(g, NULL, &t, &n, NULL);
    int cuts = 0;
    for (size_t len = 0; len + 1 < n; len += 1 + len / 50 + (len % 7)) {
        IrGraph *p = NULL;
        dla_error_clear(&err);
        DlaStatus st = ir_parse(t, len, "cut.ir", &p, &err);
        CU_ASSERT_EQUAL(st, DLA_ERR_FORMAT);
        CU_ASSERT_PTR_NULL(p);
        CU_ASSERT(strncmp(err.msg, "cut.ir:", 7) == 0);
        cuts++;
    }
    CU_ASSERT(cuts > 100);
    free(t);
    ir_graph_free(g);
}

void dla_register_tests(void)
{
    DLA_SUITE("ir_text_models", {"node_test_models", test_node_models}, {"zoo_models", test_zoo_models},
              {"truncated_dump", test_truncated_dump});
}
