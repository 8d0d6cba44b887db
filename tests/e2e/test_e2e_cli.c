/* test_e2e_cli.c - the command-line wiring of issue 5 on digits_cnn: `dlacc
 * run` on the DLA path (outputs, --stats-json keys, --verify, --labels), the
 * --calib error, `dlacc MODEL.onnx -o PREFIX` writing PREFIX.dla that
 * `dlacc objdump` disassembles with the layer of each instruction, and a
 * multi-segment model (squeezenet1_1) whose objdump shows its SEGMENTS table.
 * Runs the built binary. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dla_file.h"
#include "dla_mem.h"
#include "dla_test.h"

#define DLACC DLA_BINARY_DIR "/bin/dlacc"

static char work[4096];

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *models(void)
{
    const char *z = dla_test_models_dir();
    if (z && !work[0]) {
        snprintf(work, sizeof work, "%s/tests/e2e/cli_work_%d", DLA_BINARY_DIR, (int)getpid());
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", work);
        CU_ASSERT_EQUAL(sh(cmd), 0);
    }
    return z;
}

static void test_run(void)
{
    const char *z = models();
    if (!z)
        return;
    char cmd[32768];
    int len = snprintf(cmd, sizeof cmd,
             "'%s' run '%s/digits_cnn/model.onnx' --calib '%s/digits_cnn/calib' --input-shape input=397,1,8,8 "
             "--input '%s/digits_cnn/dataset/test_images.pb' --labels '%s/digits_cnn/dataset/test_labels.pb' "
             "--output '%s/out.pb' --stats-json '%s/stats.json' --trace '%s/trace.json' --verify 2> '%s/stderr'",
             DLACC, z, z, z, z, work, work, work, work);
    CU_ASSERT_FATAL(len > 0 && (size_t)len < sizeof cmd); /* a cut command would run something else */
    int rc = sh(cmd);
    char path[8192];
    snprintf(path, sizeof path, "%s/stderr", work);
    char *err = dla_test_read_text(path, NULL);
    if (rc)
        fprintf(stderr, "dlacc run failed (%d): %s\n", rc, err);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "top-1 accuracy"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ", 0 differ"));
    free(err);
    snprintf(path, sizeof path, "%s/stats.json", work);
    char *js = dla_test_read_text(path, NULL);
    static const char *keys[] = {"\"cycles\"", "\"macs\"", "\"peak_macs_per_cycle\": 256", "\"dram_bytes_read\"",
                                 "\"dram_bytes_written\"", "\"roofline_cycles\"", "\"utilization\"", "\"wall\"",
                                 "\"compile\"", "\"calibrate\"", "\"simulate\"", "\"host\"", "\"layers\"",
                                 "\"op_type\": \"QConv\"", "\"accuracy\"", "\"mismatches\": 0"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!strstr(js, keys[i]))
            fprintf(stderr, "stats.json lacks %s\n", keys[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(js, keys[i]));
    }
    free(js);
    snprintf(path, sizeof path, "%s/out.pb", work);
    CU_ASSERT(dla_path_exists(path));
    snprintf(path, sizeof path, "%s/trace.json", work);
    char *tr = dla_test_read_text(path, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(tr, "\"traceEvents\""));
    free(tr);
}

static void test_needs_calib(void)
{
    const char *z = models();
    if (!z)
        return;
    char cmd[32768], path[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' run '%s/digits_cnn/model.onnx' --input '%s/digits_cnn/test_data_set_0/input_0.pb' "
             "--output '%s/o.pb' 2> '%s/stderr'",
             DLACC, z, z, work, work);
    CU_ASSERT_EQUAL(sh(cmd), 1);
    snprintf(path, sizeof path, "%s/stderr", work);
    char *err = dla_test_read_text(path, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pass --calib DIR"));
    free(err);
    /* a symbolic batch dim without --input-shape (nothing fed to bind it) */
    snprintf(cmd, sizeof cmd, "'%s' '%s/digits_cnn/model.onnx' -o '%s/x' --calib '%s/digits_cnn/calib' 2> '%s/stderr'",
             DLACC, z, work, z, work);
    CU_ASSERT_EQUAL(sh(cmd), 1);
    err = dla_test_read_text(path, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pass --input-shape input="));
    free(err);
}

static void compile_objdump(const char *model, const char *target, const char *extra, int min_segments,
                            const char *layer_op)
{
    const char *z = models();
    if (!z)
        return;
    char cmd[32768], path[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s/model.onnx' -o '%s/%s' --calib '%s/%s/calib' --target %s %s 2> '%s/stderr'",
             DLACC, z, model, work, model, z, model, target, extra, work);
    int rc = sh(cmd);
    snprintf(path, sizeof path, "%s/stderr", work);
    char *err = dla_test_read_text(path, NULL);
    if (rc)
        fprintf(stderr, "dlacc %s -o failed: %s\n", model, err);
    free(err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    snprintf(cmd, sizeof cmd, "'%s' objdump '%s/%s.dla' > '%s/%s.s' 2>&1", DLACC, work, model, work, model);
    CU_ASSERT_EQUAL_FATAL(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/%s.s", work, model);
    char *s = dla_test_read_text(path, NULL);
    int markers = 0;
    for (const char *p = s; (p = strstr(p, "\n.segment dla ")); p++) /* the SEGMENTS table's DLA entries */
        markers++;
    CU_ASSERT(markers >= min_segments);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, layer_op)); /* each instruction's comment names its layer */
    free(s);
    /* objdump --consts output assembles back to the identical file, SEGMENTS table included */
    snprintf(cmd, sizeof cmd,
             "'%s' objdump --consts '%s/%s.bin' '%s/%s.dla' > '%s/%s.s' && '%s' as '%s/%s.s' --target %s -o "
             "'%s/%s.re.dla' && cmp -s '%s/%s.dla' '%s/%s.re.dla'",
             DLACC, work, model, work, model, work, model, DLACC, work, model, target, work, model, work, model, work,
             model);
    CU_ASSERT_EQUAL(sh(cmd), 0);
}

static void test_compile_digits(void)
{
    compile_objdump("digits_cnn", "dla-edge", "--input-shape input=1,1,8,8", 1, "(QConv)");
}
/* squeezenet1_1 is one DLA segment since Concat runs on the DLA; tiny_encoder
 * (attention on the host) still alternates */
static void test_compile_squeezenet(void) { compile_objdump("squeezenet1_1", "dla-server", "", 1, "(QConv)"); }
static void test_compile_multi(void) { compile_objdump("tiny_encoder", "dla-server", "", 2, "(QGemm)"); }

static void cleanup(void)
{
    if (!work[0])
        return;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    CU_ASSERT_EQUAL(sh(cmd), 0);
}

void dla_register_tests(void)
{
    DLA_SUITE("e2e cli", {"dlacc run on the DLA path", test_run}, {"float model without --calib", test_needs_calib},
              {"dlacc MODEL -o PREFIX + objdump (digits_cnn)", test_compile_digits},
              {"one-segment .dla (squeezenet1_1)", test_compile_squeezenet},
              {"multi-segment .dla (tiny_encoder)", test_compile_multi}, {"clean up", cleanup});
}
