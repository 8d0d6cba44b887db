/* bench_load.c - how long the ONNX frontend takes to load a model, and its peak memory.
 *
 *   bench_load [MODEL.onnx] [--repeat N] [--dump]
 *
 * Default model: ../shared/models/resnet50/model.onnx (100 MB of external data).
 * Each repeat loads the model and then reads every byte of constant data (a
 * checksum), as any real consumer does; that pages in the borrowed external
 * data, so the peak RSS reported includes the weights. --dump also prints the
 * IR as text (constants over 64 bytes elided to checksums) to /dev/null, the
 * issue's "load and dump its IR" figure. Reports the best and median wall time
 * and the process's peak RSS (getrusage ru_maxrss). */
#define _POSIX_C_SOURCE 200809L
#include "frontend/onnx.h"
#include "ir/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *path = DLA_SHARED_DIR "/models/resnet50/model.onnx";
    int repeat = 5, dump = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dump") == 0)
            dump = 1;
        else
            path = argv[i];
    }
    if (repeat < 1 || repeat > 1000)
        repeat = 5;
    double *t = calloc((size_t)repeat, sizeof *t);
    uint64_t sum = 0;
    size_t const_bytes = 0;
    int32_t nnodes = 0;
    for (int r = 0; r < repeat; r++) {
        double t0 = now_s();
        IrGraph *g;
        DlaError err;
        dla_error_clear(&err);
        if (onnx_load(path, NULL, &g, &err) != DLA_OK) {
            fprintf(stderr, "bench_load: %s\n", err.msg);
            return 2;
        }
        const_bytes = 0;
        for (int32_t v = 0; v < g->nvalues; v++) {
            const IrValue *val = &g->values[v];
            if (!(val->flags & IR_VAL_CONST) || val->dtype == DT_STRING)
                continue;
            const uint8_t *p = val->data;
            for (size_t k = 0; k < val->nbytes; k += 64)
                sum += p[k];
            const_bytes += val->nbytes;
        }
        if (dump) {
            FILE *f = fopen("/dev/null", "w");
            IrPrintOptions po = {.elide_bytes = 64};
            if (!f || ir_print(g, f, &po) != DLA_OK) {
                fprintf(stderr, "bench_load: printing the IR failed\n");
                return 2;
            }
            fclose(f);
        }
        nnodes = g->nnodes;
        ir_graph_free(g);
        t[r] = now_s() - t0;
    }
    qsort(t, (size_t)repeat, sizeof *t, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s: %d nodes, %.1f MB of constants; load%s + read all constants: best %.3f s, median %.3f s "
           "(%d runs); peak RSS %.1f MB (checksum %llu)\n",
           path, (int)nnodes, (double)const_bytes / 1e6, dump ? " + dump IR" : "", t[0], t[repeat / 2], repeat,
           (double)ru.ru_maxrss / 1024.0, (unsigned long long)sum);
    free(t);
    return 0;
}
