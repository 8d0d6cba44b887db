/* test_golden.c - golden-file tests of the passes: every tests/passes/golden/NAME.ir
 * is parsed, run through the pipeline (or the passes named on a first line
 * "# passes: a,b"), verified, printed, and compared byte for byte with
 * NAME.expected.ir. The inputs say in comments what the output must show.
 * Set DLA_UPDATE_GOLDEN=1 to rewrite the expected files (then review the diff). */
#include "dla_test.h"
#include "dla_file.h"
#include "ir.h"
#include "ir/text.h"
#include "ir/verify.h"
#include "passes/passes.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

static void run_one(const char *dir, const char *name)
{
    char in[8192], exp[8192], passes[256] = "";
    snprintf(in, sizeof in, "%s/%s", dir, name);
    snprintf(exp, sizeof exp, "%s/%.*s.expected.ir", dir, (int)(strlen(name) - 3), name);
    char *text = NULL, *want = NULL, *got = NULL;
    size_t len = 0, wlen = 0, glen = 0;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(dla_file_read(in, &text, &len, &err), DLA_OK);
    if (strncmp(text, "# passes: ", 10) == 0)
        sscanf(text + 10, "%255[^\n ]", passes);
    IrGraph *g = NULL;
    DlaStatus st = ir_parse(text, len, in, &g, &err);
    if (st != DLA_OK)
        fprintf(stderr, "%s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.passes = passes[0] ? passes : NULL;
    st = pipeline(g, &ctx, &err);
    if (st == DLA_OK)
        st = ir_verify(g, &err);
    if (st != DLA_OK)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    CU_ASSERT_EQUAL(st, DLA_OK);
    CU_ASSERT_EQUAL(ir_print_string(g, NULL, &got, &glen, &err), DLA_OK);
    if (getenv("DLA_UPDATE_GOLDEN")) {
        CU_ASSERT_EQUAL(dla_file_write(exp, got, glen, &err), DLA_OK);
        fprintf(stderr, "  updated %s\n", exp);
    } else if (dla_file_read(exp, &want, &wlen, &err) != DLA_OK) {
        fprintf(stderr, "  %s: no expected output (%s); got:\n%s", name, err.msg, got);
        CU_FAIL("expected file missing");
    } else if (wlen != glen || memcmp(want, got, glen) != 0) {
        fprintf(stderr, "  %s: output differs from %s; got:\n%s", name, exp, got);
        CU_FAIL("golden output differs");
    }
    free(text);
    free(want);
    free(got);
    ir_graph_free(g);
}

static void test_golden(void)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/passes/golden", DLA_SOURCE_DIR);
    DIR *d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!ends_with(e->d_name, ".ir") || ends_with(e->d_name, ".expected.ir"))
            continue;
        run_one(dir, e->d_name);
        n++;
    }
    closedir(d);
    CU_ASSERT(n >= 5);
}

void dla_register_tests(void)
{
    DLA_SUITE("passes_golden", {"golden", test_golden});
}
