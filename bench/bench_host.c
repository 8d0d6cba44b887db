/* bench_host.c - host backend speed: JIT compile time and inference time of zoo models.
 *
 *   bench_host [MODEL_DIR ...] [--repeat N] [-O0..3]
 *
 * Default models: resnet50 and mobilenet_v2 from ../shared/models. For each: load +
 * infer + JIT-compile once (compile time reported), one warm-up run, then N timed runs
 * on test_data_set_0/input_0.pb (single thread). Prints one line per model:
 *   host <name> compile_s run_median_s run_min_s
 * For the comparison with ONNX Runtime (and CPU-time figures) see bench/README.md:
 * bench_host.sh with host_prof and ort_run.js. */
#define _POSIX_C_SOURCE 200809L
#include "driver/host_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int bench(const char *dir, int repeat, int opt)
{
    char model[4096], in0[4096];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    snprintf(in0, sizeof in0, "%s/test_data_set_0/input_0.pb", dir);
    const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    OnnxTensorFile in;
    DlaError err = {0};
    if (onnx_tensor_read(in0, &in, &err)) {
        fprintf(stderr, "bench_host: %s\n", err.msg);
        return 1;
    }
    HostSession s;
    HostSessionOptions so = {NULL, 0, &in, 1, 0, opt};
    if (host_session_open(model, &so, &s, &err)) {
        fprintf(stderr, "bench_host: %s\n", err.msg);
        onnx_tensor_file_free(&in);
        return 1;
    }
    void *out[16];
    double *t = malloc((size_t)repeat * sizeof *t);
    for (int i = -1; i < repeat; i++) {
        double t0 = host_now();
        if (host_session_run(&s, &in, 1, out, &err)) {
            fprintf(stderr, "bench_host: %s\n", err.msg);
            return 1;
        }
        if (i >= 0)
            t[i] = host_now() - t0;
        for (int k = 0; k < s.g->noutputs && k < 16; k++)
            free(out[k]);
    }
    qsort(t, (size_t)repeat, sizeof *t, cmp_double);
    printf("host %s %.3f %.4f %.4f\n", name, s.t_compile, t[repeat / 2], t[0]);
    free(t);
    host_session_close(&s);
    onnx_tensor_file_free(&in);
    return 0;
}

int main(int argc, char **argv)
{
    int repeat = 10, opt = 2, n = 0, rc = 0;
    const char *dirs[64];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (argv[i][0] == '-' && argv[i][1] == 'O')
            opt = atoi(argv[i] + 2);
        else if (n < 64)
            dirs[n++] = argv[i];
    }
    if (repeat < 1)
        repeat = 1;
    static char d1[4096], d2[4096];
    if (!n) {
        snprintf(d1, sizeof d1, "%s/models/resnet50", DLA_SHARED_DIR);
        snprintf(d2, sizeof d2, "%s/models/mobilenet_v2", DLA_SHARED_DIR);
        dirs[n++] = d1;
        dirs[n++] = d2;
    }
    for (int i = 0; i < n; i++)
        rc |= bench(dirs[i], repeat, opt);
    return rc;
}
