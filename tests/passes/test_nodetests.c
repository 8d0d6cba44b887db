/* test_nodetests.c - the passes against the ONNX backend test data
 * (/usr/share/libonnx-testdata/data/node, 932 single-op models):
 *  1. robustness: the whole pipeline on every model that loads either succeeds
 *     with a graph that verifies, or fails with a user error (never an internal
 *     error, never a crash);
 *  2. the constant folder as an evaluator: for every model, the test inputs
 *     are made constants and the `fold` pass runs alone; each output it folds
 *     must equal the expected output_N.pb (integers and bools bit-exact, floats
 *     within 1 ulp-ish: |a-b| <= 1e-6 * max(1,|b|)). Counts are printed. */
#include "dla_test.h"
#include "frontend/onnx.h"
#include "ir.h"
#include "ir/verify.h"
#include "passes/passes.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted list of test names (malloc'd), count in *n. */
static char **list_tests(const char *dir, int *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    if (!d)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = dla_grow(names, sizeof *names, (size_t)*n + 1, &cap);
        names[(*n)++] = dla_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)*n, sizeof *names, cmp_str);
    return names;
}

static void test_pipeline_all(void)
{
    const char *dir = dla_test_node_dir();
    if (!dir)
        return;
    int n, loaded = 0, ok = 0, rejected = 0;
    char **names = list_tests(dir, &n);
    for (int i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s/model.onnx", dir, names[i]);
        IrGraph *g = NULL;
        DlaError err = {0};
        if (onnx_load(path, NULL, &g, &err) != DLA_OK) {
            free(names[i]);
            continue;
        }
        loaded++;
        PassContext ctx;
        memset(&ctx, 0, sizeof ctx);
        DlaStatus st = pipeline(g, &ctx, &err);
        if (st == DLA_OK) {
            st = ir_verify(g, &err);
            if (st != DLA_OK)
                fprintf(stderr, "  %s: graph invalid after the pipeline: %s\n", names[i], err.msg);
            CU_ASSERT_EQUAL(st, DLA_OK);
            ok++;
        } else {
            rejected++;
            if (strstr(err.msg, "internal error")) {
                fprintf(stderr, "  %s: %s\n", names[i], err.msg);
                CU_FAIL("internal error from the pipeline");
            }
        }
        ir_graph_free(g);
        free(names[i]);
    }
    free(names);
    fprintf(stderr, "  pipeline on node tests: %d loaded, %d canonicalized and verified, "
                    "%d rejected with a user error\n", loaded, ok, rejected);
    CU_ASSERT(loaded > 800);
    CU_ASSERT(ok > 700);
}

/* Compare a folded value with the expected tensor; 1 if equal. */
static int same(const IrValue *v, const OnnxTensorFile *t)
{
    if (v->dtype != t->dtype || !ir_shape_equal(&v->shape, &t->shape) || v->nbytes != t->nbytes)
        return 0;
    if (v->dtype == DT_FLOAT || v->dtype == DT_DOUBLE) {
        int64_t n = ir_shape_numel(&v->shape);
        for (int64_t k = 0; k < n; k++) {
            double a, b;
            if (v->dtype == DT_FLOAT) {
                float x, y;
                memcpy(&x, (const char *)v->data + k * 4, 4);
                memcpy(&y, (const char *)t->data + k * 4, 4);
                a = x, b = y;
            } else {
                memcpy(&a, (const char *)v->data + k * 8, 8);
                memcpy(&b, (const char *)t->data + k * 8, 8);
            }
            if (isnan(a) != isnan(b) || (!isnan(a) && fabs(a - b) > 1e-6 * fmax(1, fabs(b))))
                return 0;
        }
        return 1;
    }
    return memcmp(v->data, t->data, v->nbytes) == 0;
}

/* 1: folded and equal, 0: not folded, -1: folded and different (or error). */
static int eval_one(const char *dir, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/model.onnx", dir, name);
    IrGraph *g = NULL;
    DlaError err = {0};
    if (onnx_load(path, NULL, &g, &err) != DLA_OK)
        return 0;
    int result = 0, nin = 0;
    OnnxTensorFile ins[16], outs[16];
    int nout = 0;
    /* the inputs become constants holding the test data */
    for (; nin < 16; nin++) {
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/input_%d.pb", dir, name, nin);
        if (!dla_path_exists(path) || onnx_tensor_read(path, &ins[nin], &err) != DLA_OK)
            break;
    }
    for (; nout < 16; nout++) {
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/output_%d.pb", dir, name, nout);
        if (!dla_path_exists(path) || onnx_tensor_read(path, &outs[nout], &err) != DLA_OK)
            break;
    }
    int usable = nin == g->ninputs && nout == g->noutputs && nout > 0;
    for (int i = 0; usable && i < nin; i++) {
        IrValue *v = &g->values[g->inputs[i]];
        /* (the bfloat16 Cast tests store their input as uint16: not comparable) */
        if ((v->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) || ins[i].dtype == DT_STRING ||
            (v->dtype != DT_UNDEFINED && v->dtype != ins[i].dtype))
            usable = 0;
    }
    if (usable) {
        for (int i = 0; i < nin; i++) {
            int32_t v = g->inputs[i];
            g->values[v].flags &= ~(uint32_t)IR_VAL_INPUT;
            g->values[v].dtype = ins[i].dtype;
            g->values[v].shape = ins[i].shape;
            ir_value_set_data(g, v, ins[i].data, ins[i].nbytes);
        }
        g->ninputs = 0;
        /* outputs are not folded (they keep their producer): detach them */
        int32_t outv[16];
        for (int i = 0; i < nout; i++) {
            outv[i] = g->outputs[i];
            g->values[outv[i]].flags &= ~(uint32_t)IR_VAL_OUTPUT;
        }
        g->noutputs = 0;
        PassContext ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.passes = "fold";
        ctx.fold_max_elems = 1 << 20;
        if (pipeline(g, &ctx, &err) != DLA_OK) {
            /* only a model whose data is invalid for the op may be rejected;
             * the node tests are all valid */
            fprintf(stderr, "  %s: fold failed: %s\n", name, err.msg);
            result = -1;
        } else {
            int all = 1, bad = 0;
            for (int i = 0; i < nout; i++) {
                const IrValue *v = &g->values[outv[i]];
                if (!(v->flags & IR_VAL_CONST) || v->producer >= 0) {
                    all = 0;
                    continue;
                }
                if (!same(v, &outs[i])) {
                    char a[128], b[128];
                    fprintf(stderr, "  %s: output %d folded to %s %s, expected %s %s\n", name, i,
                            ir_dtype_name(v->dtype), ir_shape_str(&v->shape, a, sizeof a),
                            ir_dtype_name(outs[i].dtype), ir_shape_str(&outs[i].shape, b, sizeof b));
                    bad = 1;
                }
            }
            result = bad ? -1 : all ? 1 : 0;
        }
    }
    for (int i = 0; i < nin; i++)
        onnx_tensor_file_free(&ins[i]);
    for (int i = 0; i < nout; i++)
        onnx_tensor_file_free(&outs[i]);
    ir_graph_free(g);
    return result;
}

static void test_fold_oracle(void)
{
    const char *dir = dla_test_node_dir();
    if (!dir)
        return;
    int n, folded = 0, wrong = 0;
    char **names = list_tests(dir, &n);
    for (int i = 0; i < n; i++) {
        int r = eval_one(dir, names[i]);
        folded += r == 1;
        wrong += r < 0;
        free(names[i]);
    }
    free(names);
    fprintf(stderr, "  fold as evaluator on node tests: %d fully folded and equal to the "
                    "expected outputs, %d wrong\n", folded, wrong);
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT(folded >= 100);
}

void dla_register_tests(void)
{
    DLA_SUITE("passes_nodetests", {"pipeline_all", test_pipeline_all}, {"fold_oracle", test_fold_oracle});
}
