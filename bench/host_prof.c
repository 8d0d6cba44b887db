/* host_prof.c - host backend timing in CPU time as well as wall time, and a
 * profiling build of the same code that perf can name.
 *
 *   host_prof MODEL_DIR [--repeat N] [-O0..3] [--aot FILE.so] [--map FILE.tsv]
 *             [--perf-ctl CTL_FIFO,ACK_FIFO]
 *
 * Loads MODEL_DIR/model.onnx, JIT-compiles it (host_session.h, as `dlacc run
 * --host-only` does), runs it once to warm up and N more times (default 10) on
 * MODEL_DIR/test_data_set_0/input_*.pb and prints one line on stdout:
 *
 *   host NAME compile_wall_s open_cpu_s run_wall_median_ms run_wall_min_ms run_cpu_median_ms
 *
 * run_cpu is this thread's CPU time per inference (CLOCK_THREAD_CPUTIME_ID):
 * the host code is single-threaded, so on a machine shared with other work it
 * is the figure that still means "how long would this take on an idle core"
 * (wall time then includes the time other processes held the core).
 * open_cpu covers load + shape inference + JIT compile.
 *
 * --aot FILE.so: additionally compile the same graph to an object file
 * (host_emit_object, PIC), link it into FILE.so with `cc -shared`, dlopen it
 * and time that instead of the JIT code (one more line, "aot NAME ..." in the
 * same format). The JIT's code is anonymous memory to perf; the shared
 * object's per-node functions (node<N>) keep their symbols, so
 * `perf record host_prof ... --aot x.so` attributes samples to graph nodes.
 * The AOT outputs are checked against the JIT's (they must agree exactly: same
 * IR, same pipeline). --map FILE.tsv writes, per compiled node, its function
 * name, op type, node name, output shape and MACs (Conv/Gemm/MatMul), for
 * joining with the profile (bench/profile_host.sh does). --perf-ctl: the
 * fifos of `perf record -D -1 --control fifo:CTL,ACK`; perf is enabled for
 * exactly the timed AOT runs, so loading and compiling stay out of the profile. */
#define _POSIX_C_SOURCE 200809L
#include "driver/host_session.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_IO 64

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Multiply-accumulates of one node (0 for ops that are not contractions). */
static double node_macs(const IrGraph *g, const IrNode *nd)
{
    if (nd->noutputs < 1 || nd->outputs[0] < 0)
        return 0;
    double out = (double)ir_shape_numel(&g->values[nd->outputs[0]].shape);
    if (nd->ninputs >= 2 && nd->inputs[1] >= 0) {
        const IrShape *w = &g->values[nd->inputs[1]].shape;
        if (nd->op == OP_CONV && w->rank >= 3) {
            double k = 1; /* per output element: C/group * kernel */
            for (int i = 1; i < w->rank; i++)
                k *= (double)w->dims[i];
            return out * k;
        }
        if ((nd->op == OP_GEMM || nd->op == OP_MAT_MUL) && w->rank >= 1) {
            /* K: Gemm's B is [K,N] or, transB, [N,K]; MatMul's B is [..,K,N] */
            int64_t transb = 0;
            for (int32_t a = 0; a < nd->nattrs; a++)
                if (!strcmp(nd->attrs[a].name, "transB"))
                    transb = nd->attrs[a].i;
            int kd = w->rank == 1 ? 0 : transb ? w->rank - 1 : w->rank - 2;
            return out * (double)w->dims[kd];
        }
    }
    return 0;
}

static int write_map(const char *path, const IrGraph *g)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "host_prof: cannot write %s\n", path);
        return 1;
    }
    fprintf(f, "function\top\tnode\toutput_shape\tmacs\n");
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        char shp[160] = "-";
        if (nd->noutputs > 0 && nd->outputs[0] >= 0)
            ir_shape_str(&g->values[nd->outputs[0]].shape, shp, sizeof shp);
        fprintf(f, "node%d\t%s\t%s\t%s\t%.0f\n", (int)n, nd->op_type, nd->name ? nd->name : "", shp,
                node_macs(g, nd));
    }
    return fclose(f) ? 1 : 0;
}

typedef void (*RunFn)(void *ctx, void **in, void **out);

/* perf's control fifos (--perf-ctl), NULL when not profiling */
static FILE *perf_ctl, *perf_ack;

static void perf_command(const char *cmd)
{
    if (!perf_ctl)
        return;
    char line[64];
    fprintf(perf_ctl, "%s\n", cmd);
    fflush(perf_ctl);
    if (!fgets(line, sizeof line, perf_ack)) /* "ack": the events really are on/off now */
        fprintf(stderr, "host_prof: no ack from perf for '%s'\n", cmd);
}

/* Warm-up + repeat timed runs of fn; prints "TAG NAME compile open_cpu ...". */
static void time_runs(const char *tag, const char *name, double compile, double open_cpu, int repeat, RunFn fn,
                      void *ctx, void **in, void **out, int profile)
{
    double *wall = dla_malloc((size_t)repeat * sizeof *wall), *cpu = dla_malloc((size_t)repeat * sizeof *cpu);
    fn(ctx, in, out);
    if (profile)
        perf_command("enable");
    for (int i = 0; i < repeat; i++) {
        double w0 = host_now(), c0 = cpu_now();
        fn(ctx, in, out);
        cpu[i] = cpu_now() - c0;
        wall[i] = host_now() - w0;
    }
    if (profile)
        perf_command("disable");
    qsort(wall, (size_t)repeat, sizeof *wall, cmp_double);
    qsort(cpu, (size_t)repeat, sizeof *cpu, cmp_double);
    printf("%s %s %.3f %.3f %.2f %.2f %.2f\n", tag, name, compile, open_cpu, 1e3 * wall[repeat / 2], 1e3 * wall[0],
           1e3 * cpu[repeat / 2]);
    fflush(stdout);
    free(wall);
    free(cpu);
}

static void run_jit(void *ctx, void **in, void **out) { host_model_run(ctx, in, out); }

typedef struct {
    void (*entry)(void **, void **, void *);
    void *arena;
} AotModel;

static void run_aot(void *ctx, void **in, void **out)
{
    AotModel *a = ctx;
    a->entry(in, out, a->arena);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *aot = NULL, *map = NULL, *ctl = NULL;
    int repeat = 10, opt = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--aot") && i + 1 < argc)
            aot = argv[++i];
        else if (!strcmp(argv[i], "--map") && i + 1 < argc)
            map = argv[++i];
        else if (!strcmp(argv[i], "--perf-ctl") && i + 1 < argc)
            ctl = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1] == 'O' && argv[i][2] >= '0' && argv[i][2] <= '3' && !argv[i][3])
            opt = argv[i][2] - '0';
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            fprintf(stderr, "host_prof: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: host_prof MODEL_DIR [--repeat N] [-O0..3] [--aot FILE.so] [--map FILE.tsv]\n"
                        "                 [--perf-ctl CTL_FIFO,ACK_FIFO]\n");
        return 2;
    }
    if (ctl) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", ctl);
        char *comma = strchr(buf, ',');
        if (comma)
            *comma = 0;
        perf_ctl = fopen(buf, "w");
        perf_ack = comma ? fopen(comma + 1, "r") : NULL;
        if (!perf_ctl || !perf_ack) {
            fprintf(stderr, "host_prof: --perf-ctl %s: cannot open both fifos\n", ctl);
            return 2;
        }
    }
    if (repeat < 1)
        repeat = 1;
    const char *name = strrchr(dir, '/') && strrchr(dir, '/')[1] ? strrchr(dir, '/') + 1 : dir;
    char path[4096];
    OnnxTensorFile in[MAX_IO];
    int32_t nin = 0;
    DlaError err = {0};
    for (; nin < MAX_IO; nin++) {
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, (int)nin);
        FILE *f = fopen(path, "rb");
        if (!f)
            break;
        fclose(f);
        if (onnx_tensor_read(path, &in[nin], &err)) {
            fprintf(stderr, "host_prof: %s\n", err.msg);
            return 1;
        }
    }
    if (!nin) {
        fprintf(stderr, "host_prof: %s/test_data_set_0/input_0.pb: not found\n", dir);
        return 1;
    }

    snprintf(path, sizeof path, "%s/model.onnx", dir);
    HostSession s;
    HostSessionOptions so = {NULL, 0, in, nin, 0, opt};
    double c0 = cpu_now();
    if (host_session_open(path, &so, &s, &err)) {
        fprintf(stderr, "host_prof: %s\n", err.msg);
        return 1;
    }
    double open_cpu = cpu_now() - c0;
    const IrGraph *g = s.g;
    if (s.nin > MAX_IO || g->noutputs > MAX_IO) {
        fprintf(stderr, "host_prof: more than %d inputs or outputs\n", MAX_IO);
        return 1;
    }
    void *ins[MAX_IO], *jit_out[MAX_IO], *aot_out[MAX_IO];
    size_t out_bytes[MAX_IO];
    for (int32_t i = 0; i < s.nin; i++)
        ins[i] = in[s.in_map[i]].data;
    for (int32_t k = 0; k < g->noutputs; k++) {
        const IrValue *v = &g->values[g->outputs[k]];
        out_bytes[k] = (size_t)ir_shape_numel(&v->shape) * ir_dtype_size(v->dtype);
        jit_out[k] = dla_calloc(1, out_bytes[k] ? out_bytes[k] : 1);
        aot_out[k] = dla_calloc(1, out_bytes[k] ? out_bytes[k] : 1);
    }
    time_runs("host", name, s.t_compile, open_cpu, repeat, run_jit, s.m, ins, jit_out, 0);

    int rc = 0;
    if (map)
        rc |= write_map(map, g);
    if (aot) {
        char obj[4096], cmd[8400];
        snprintf(obj, sizeof obj, "%s.o", aot);
        HostOptions ho = {opt, NULL, NULL, NULL, "dla_model", 1};
        size_t arena_size = 0;
        double t0 = host_now();
        if (host_emit_object(s.g, &ho, obj, &arena_size, &err)) {
            fprintf(stderr, "host_prof: %s\n", err.msg);
            return 1;
        }
        double t_emit = host_now() - t0;
        snprintf(cmd, sizeof cmd, "cc -shared -o '%s' '%s'", aot, obj);
        if (strchr(aot, '\'') || system(cmd) != 0) {
            fprintf(stderr, "host_prof: linking failed: %s\n", cmd);
            return 1;
        }
        remove(obj);
        void *lib = dlopen(aot, RTLD_NOW | RTLD_LOCAL);
        AotModel a = {NULL, NULL};
        if (lib)
            *(void **)&a.entry = dlsym(lib, "dla_model");
        if (!a.entry) {
            fprintf(stderr, "host_prof: %s: %s\n", aot, dlerror());
            return 1;
        }
        a.arena = aligned_alloc(64, (arena_size + 63) & ~(size_t)63);
        if (!a.arena && arena_size) {
            fprintf(stderr, "host_prof: out of memory (arena of %zu bytes)\n", arena_size);
            return 1;
        }
        time_runs("aot", name, t_emit, 0, repeat, run_aot, &a, ins, aot_out, 1);
        for (int32_t k = 0; k < g->noutputs; k++)
            if (memcmp(jit_out[k], aot_out[k], out_bytes[k])) {
                fprintf(stderr, "host_prof: output %d of the shared object differs from the JIT's\n", (int)k);
                rc = 1;
            }
        free(a.arena);
        dlclose(lib);
    }
    for (int32_t k = 0; k < g->noutputs; k++) {
        free(jit_out[k]);
        free(aot_out[k]);
    }
    host_session_close(&s);
    if (perf_ctl) {
        fclose(perf_ctl);
        fclose(perf_ack);
    }
    for (int32_t i = 0; i < nin; i++)
        onnx_tensor_file_free(&in[i]);
    return rc;
}
