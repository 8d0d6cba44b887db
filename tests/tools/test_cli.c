/* test_cli.c - golden-file tests of the dlacc command line (`check`, `ir`):
 * each case runs the built binary in a known directory (so paths in the output
 * are relative), and compares its exit status and stdout with a file in
 * tests/tools/golden/ and its stderr with an expected fragment.
 * Set DLA_UPDATE_GOLDEN=1 to rewrite the golden files from the actual output
 * (then review the diff). */
#include "dla_test.h"
#include "dla_file.h"
#include "dla_mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define DLACC DLA_BINARY_DIR "/bin/dlacc"
#define DATA DLA_SOURCE_DIR "/tests/tools/data"
#define GOLDEN DLA_SOURCE_DIR "/tests/tools/golden"
#define WORK DLA_BINARY_DIR "/tests/tools/work"

typedef struct Run {
    int status;
    char *out, *err;
    size_t nout, nerr;
} Run;

/* Run `dlacc ARGS` in directory dir. */
static Run run(const char *dir, const char *args)
{
    Run r;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s > '%s/stdout' 2> '%s/stderr'", dir, DLACC, args, WORK, WORK);
    int st = system(cmd);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    r.out = dla_test_read_text(WORK "/stdout", &r.nout);
    r.err = dla_test_read_text(WORK "/stderr", &r.nerr);
    return r;
}

static void run_free(Run *r)
{
    free(r->out);
    free(r->err);
}

/* Compare text with golden/name; report the first differing line. */
static int same_as_golden(const char *name, const char *text, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", GOLDEN, name);
    if (getenv("DLA_UPDATE_GOLDEN")) {
        DlaError e = {0};
        CU_ASSERT_EQUAL(dla_file_write(path, text, n, &e), DLA_OK);
        fprintf(stderr, "updated %s\n", path);
        return 1;
    }
    size_t gn;
    char *g = dla_test_read_text(path, &gn);
    int same = gn == n && memcmp(g, text, n) == 0;
    if (!same) {
        int line = 1;
        size_t i = 0;
        while (i < n && i < gn && g[i] == text[i]) {
            if (g[i] == '\n')
                line++;
            i++;
        }
        const char *a = g + i, *b = text + i;
        while (a > g && a[-1] != '\n')
            a--;
        while (b > text && b[-1] != '\n')
            b--;
        fprintf(stderr, "\n%s differs at line %d:\n  golden: %.*s\n  actual: %.*s\n(DLA_UPDATE_GOLDEN=1 rewrites it)\n",
                path, line, (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
    }
    free(g);
    return same;
}

/* One case: exit status, stdout against a golden file (NULL: must be empty or
 * not checked when `out_contains` is given), stderr must contain err_contains. */
static void expect(const char *dir, const char *args, int status, const char *golden, const char *out_contains,
                   const char *err_contains)
{
    Run r = run(dir, args);
    if (r.status != status) {
        fprintf(stderr, "\ndlacc %s: exit %d, expected %d\nstderr: %s\n", args, r.status, status, r.err);
        CU_FAIL("exit status");
    }
    if (golden) {
        CU_ASSERT(same_as_golden(golden, r.out, r.nout));
    } else if (!out_contains && r.nout) {
        fprintf(stderr, "\ndlacc %s: unexpected stdout: %s\n", args, r.out);
        CU_FAIL("stdout not empty");
    }
    if (out_contains && !strstr(r.out, out_contains)) {
        fprintf(stderr, "\ndlacc %s: stdout lacks '%s'\n", args, out_contains);
        CU_FAIL("stdout");
    }
    if (err_contains && !strstr(r.err, err_contains)) {
        fprintf(stderr, "\ndlacc %s: stderr lacks '%s':\n%s\n", args, err_contains, r.err);
        CU_FAIL("stderr");
    }
    if (!err_contains && r.nerr && status == 0) {
        fprintf(stderr, "\ndlacc %s: unexpected stderr: %s\n", args, r.err);
        CU_FAIL("stderr not empty");
    }
    run_free(&r);
}

static const char *models(void)
{
    static char dir[4096];
    const char *m = dla_test_models_dir();
    if (!m)
        return NULL;
    snprintf(dir, sizeof dir, "%s", m);
    return dir;
}

static void test_check_digits(void)
{
    const char *m = models();
    if (!m)
        return;
    expect(m, "check digits_cnn/model.onnx --input-shape input=1,1,8,8", 0, "digits_check.txt", NULL, NULL);
    expect(m, "check --json digits_cnn/model.onnx --input-shape=input=1,1,8,8", 0, "digits_check.json", NULL, NULL);
    /* symbolic batch left open */
    expect(m, "check digits_cnn/model.onnx", 0, "digits_check_batch.txt", NULL, NULL);
    /* --dump-ir: IR on stdout, report on stderr */
    expect(m, "check digits_cnn/model.onnx --input-shape input=1,1,8,8 --dump-ir", 0, "digits_dump.ir", NULL,
           "result: supported (all 10 nodes)");
    /* -o: IR to a file, report on stdout; `dlacc ir` reprints the file identically */
    expect(m, "check digits_cnn/model.onnx --input-shape input=1,1,8,8 -o '" WORK "/d.ir'", 0, "digits_check.txt",
           NULL, NULL);
    expect(WORK, "ir d.ir --elide=64", 0, "digits_dump.ir", NULL, NULL);
    expect(WORK, "ir d.ir -q", 0, NULL, NULL, NULL);
    /* full dump parses back and prints identically */
    expect(m, "check digits_cnn/model.onnx --dump-ir=full -o '" WORK "/full.ir'", 0, NULL, "result: supported",
           NULL);
    Run a = run(WORK, "ir full.ir");
    size_t n;
    char *f = dla_test_read_text(WORK "/full.ir", &n);
    CU_ASSERT_EQUAL(a.status, 0);
    CU_ASSERT(a.nout == n && memcmp(a.out, f, n) == 0);
    CU_ASSERT(n > 58000 * 2); /* all weights, in hex */
    free(f);
    run_free(&a);
}

static void test_check_bogus(void)
{
    expect(DATA, "check bogus.onnx", 1, "bogus_check.txt", NULL, NULL);
    expect(DATA, "check bogus.onnx --json", 1, "bogus_check.json", NULL, NULL);
    expect(DATA, "check bogus.onnx --input-shape x=2,3,8,8", 1, NULL, "x float32[2,3,8,8]", NULL);
}

static void test_check_bad_input(void)
{
    /* a model cut short: exit 2, a message naming the file, no report */
    const char *m = models();
    if (m) {
        size_t n;
        char src[4200];
        snprintf(src, sizeof src, "%s/digits_cnn/model.onnx", m);
        char *data = dla_test_read_text(src, &n);
        DlaError e = {0};
        CU_ASSERT_EQUAL(dla_file_write(WORK "/truncated.onnx", data, n / 2, &e), DLA_OK);
        free(data);
        expect(WORK, "check truncated.onnx", 2, NULL, NULL, "dlacc: truncated.onnx: ");
        expect(WORK, "check truncated.onnx --json", 2, NULL, "\"supported\": false", "truncated.onnx");
    }
    DlaError e = {0};
    CU_ASSERT_EQUAL(dla_file_write(WORK "/garbage.onnx", "\xff\xff\xff\xff garbage", 13, &e), DLA_OK);
    expect(WORK, "check garbage.onnx", 2, NULL, NULL, "garbage.onnx");
    expect(WORK, "check no_such_model.onnx", 2, NULL, NULL, "no_such_model.onnx");
}

static void test_check_usage(void)
{
    expect(DATA, "check --help", 0, "check_help.txt", NULL, NULL);
    expect(DATA, "check", 2, NULL, NULL, "usage: dlacc check MODEL.onnx");
    expect(DATA, "check bogus.onnx --frobnicate", 2, NULL, NULL, "unknown option '--frobnicate'");
    expect(DATA, "check bogus.onnx bogus.onnx", 2, NULL, NULL, "more than one model");
    expect(DATA, "check bogus.onnx --input-shape", 2, NULL, NULL, "--input-shape needs a value");
    expect(DATA, "check bogus.onnx --input-shape x=1,zz", 2, NULL, NULL, "dlacc check: ");
    expect(DATA, "check bogus.onnx --input-shape x=1 --input-shape x=2", 2, NULL, NULL, "given twice");
    expect(DATA, "check bogus.onnx --input-shape nope=1", 2, NULL, NULL, "not a graph input");
    expect(DATA, "check bogus.onnx --input-shape x=1,2", 2, NULL, NULL, "rank");
    expect(DATA, "check bogus.onnx --json --dump-ir", 2, NULL, NULL, "use -o FILE");
}

static void test_ir_command(void)
{
    DlaError e = {0};
    const char *bad = "graph \"x\" {\n  %y = Relu(%x)\n}\n";
    CU_ASSERT_EQUAL(dla_file_write(WORK "/bad.ir", bad, strlen(bad), &e), DLA_OK);
    expect(WORK, "ir bad.ir", 2, NULL, NULL, "dlacc: bad.ir:2:13: value %x is not defined");
    const char *invalid = "graph \"x\" {\n  value %x\n  %y = Relu(%x)\n  output %y\n}\n";
    CU_ASSERT_EQUAL(dla_file_write(WORK "/invalid.ir", invalid, strlen(invalid), &e), DLA_OK);
    expect(WORK, "ir invalid.ir", 1, NULL, NULL, "invalid IR: graph \"x\": node 0 \"\" (Relu): input 0 %x is never defined");
    const char *ok = "graph \"x\" opset \"\"=13 { input %x : float32[2]  %y = Relu(%x)  output %y }";
    CU_ASSERT_EQUAL(dla_file_write(WORK "/ok.ir", ok, strlen(ok), &e), DLA_OK);
    expect(WORK, "ir ok.ir", 0, NULL, "graph \"x\" opset \"\"=13 {\n  input %x : float32[2]\n  %y = Relu(%x)\n", NULL);
    expect(WORK, "ir", 2, NULL, NULL, "usage: dlacc ir");
    expect(WORK, "ir no_such.ir", 2, NULL, NULL, "no_such.ir");
    expect(WORK, "ir ok.ir --elide=x", 2, NULL, NULL, "bad --elide value");
}

/* `dlacc opt`: the pass tables, and the DLA plan of resnet18 after the tile
 * pass (and after every pass) on both targets. */
static void test_opt_passes(void)
{
    expect(DATA, "opt --list-passes", 0, "opt_list_passes.txt", NULL, NULL);
    expect(DATA, "opt --help", 0, NULL, "DLA passes (backend/dla/dla_passes.def):\n  fuse ", NULL);
    const char *m = models();
    if (!m)
        return;
    const char *targets[2] = {"dla-edge", "dla-server"};
    for (int i = 0; i < 2; i++) {
        char args[512], head[128];
        snprintf(args, sizeof args, "opt resnet18/model.onnx --calib resnet18/calib --target %s --dump-after=tile",
                 targets[i]);
        snprintf(head, sizeof head, "# DLA plan after tile: target %s,", targets[i]);
        Run r = run(m, args);
        CU_ASSERT_EQUAL(r.status, 0);
        /* 32 nodes: the Flatten before the Gemm is a QReshape view (no code) */
        const char *want[] = {"## DLA segment 0 (32 nodes)\n", head, "layer 0 '/conv1/Conv' QConv (gemm array)",
                              "    tile: mode ", "      tile 0: rows 0+", "    predicted: ", "layer 31 '/fc/Gemm' QGemm",
                              "total predicted: "};
        for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
            if (!strstr(r.out, want[k])) {
                fprintf(stderr, "\ndlacc %s: stdout lacks '%s'\n", args, want[k]);
                CU_FAIL("dump-after=tile");
            }
        CU_ASSERT_PTR_NULL(strstr(r.out, "    sram ")); /* sram-alloc has not run yet */
        run_free(&r);
    }
    expect(m,
           "opt resnet18/model.onnx --calib resnet18/calib --target dla-server --dump-after=all -o '" WORK
           "/r18_all.txt'",
           0, NULL, NULL, NULL);
    size_t n;
    char *all = dla_test_read_text(WORK "/r18_all.txt", &n);
    const char *after[] = {"after fuse:", "after layout:", "after tile:", "after sram-alloc:", "after dram-alloc:",
                           "after codegen:", "after schedule:", "after emit:", "    sram acc   [", "dram +"};
    for (size_t k = 0; k < sizeof after / sizeof after[0]; k++)
        if (!strstr(all, after[k])) {
            fprintf(stderr, "\n--dump-after=all lacks '%s'\n", after[k]);
            CU_FAIL("dump-after=all");
        }
    free(all);
    expect(m, "opt resnet18/model.onnx --target dla-edge --calib resnet18/calib --dump-after=nope", 2, NULL, NULL,
           "unknown DLA pass 'nope'");
}

static int setup(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", WORK);
    if (system(cmd) != 0 || !dla_path_exists(DLACC)) {
        fprintf(stderr, "cannot prepare %s or find %s\n", WORK, DLACC);
        return 1;
    }
    return 0;
}

/* No output may overwrite a file the command reads: its input, the model, the
 * model's external data (which is memory-mapped: overwriting it made the reader
 * SIGBUS and left the weights file empty). Each is refused before any work,
 * with exit 2, and the file is unchanged. */
static void test_output_is_input(void)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "printf 'end\\n' > '%s/r.s' && cp '%s/r.s' '%s/r.keep'", WORK, WORK, WORK);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    expect(WORK, "as r.s -o r.s", 2, NULL, NULL, "output 'r.s' is the input 'r.s': refusing to overwrite it");
    snprintf(cmd, sizeof cmd, "cmp -s '%s/r.s' '%s/r.keep'", WORK, WORK);
    CU_ASSERT_EQUAL(system(cmd), 0);
    const char *m = models();
    if (!m)
        return;
    snprintf(cmd, sizeof cmd, "cp '%s/digits_cnn/model.onnx' '%s/d.onnx' && cp '%s/d.onnx' '%s/d.keep'", m, WORK,
             WORK, WORK);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    expect(WORK, "check d.onnx -o d.onnx", 2, NULL, NULL, "output 'd.onnx' is the input 'd.onnx'");
    expect(WORK, "opt d.onnx -o ./d.onnx", 2, NULL, NULL, "output './d.onnx' is the input 'd.onnx'");
    expect(WORK, "run d.onnx --host-only --input d.onnx --output d.onnx", 2, NULL, NULL, "is the input");
    snprintf(cmd, sizeof cmd, "cmp -s '%s/d.onnx' '%s/d.keep'", WORK, WORK);
    CU_ASSERT_EQUAL(system(cmd), 0);
    /* resnet50's weights are external data: `opt -o` onto them is refused (the
     * zoo is read-only in CI, so a write attempt would fail differently) */
    expect(m, "opt resnet50/model.onnx -o resnet50/model.onnx.data", 2, NULL, NULL,
           "output 'resnet50/model.onnx.data' is the model's external data");
}

/* --max-cycles: a whole number (0: no bound); a run past it stops with an
 * error naming the instruction; the default bound lets real networks run. */
static void test_max_cycles(void)
{
    const char *m = models();
    if (!m)
        return;
    const char *base = "run digits_cnn/model.onnx --calib digits_cnn/calib --input digits_cnn/test_data_set_0/input_0.pb";
    char args[1024];
    snprintf(args, sizeof args, "%s --max-cycles -1", base);
    expect(m, args, 2, NULL, NULL, "--max-cycles takes a whole number of cycles (0: no bound), not '-1'");
    snprintf(args, sizeof args, "%s --max-cycles 12x", base);
    expect(m, args, 2, NULL, NULL, "not '12x'");
    snprintf(args, sizeof args, "%s --max-cycles 1000", base);
    expect(m, args, 1, NULL, NULL, "would run past the cycle limit of 1000");
    expect(m, base, 0, NULL, NULL, "1 DLA segment");
}

void dla_register_tests(void)
{
    CU_pSuite s = CU_add_suite("dlacc_cli", setup, NULL);
    CU_add_test(s, "check_digits", test_check_digits);
    CU_add_test(s, "check_bogus", test_check_bogus);
    CU_add_test(s, "check_bad_input", test_check_bad_input);
    CU_add_test(s, "check_usage", test_check_usage);
    CU_add_test(s, "ir_command", test_ir_command);
    CU_add_test(s, "opt_passes", test_opt_passes);
    CU_add_test(s, "output_is_input", test_output_is_input);
    CU_add_test(s, "max_cycles", test_max_cycles);
}
