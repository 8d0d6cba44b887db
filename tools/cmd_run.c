/* cmd_run.c - `dlacc run MODEL.onnx --host-only --input IN.pb ... --output OUT.pb ...
 * [--stats-json FILE]`
 *
 * Compiles the model for this machine in-process (LLVM ORC JIT, host
 * backend), runs it once on the given inputs (serialized onnx.TensorProto, in
 * graph input order) and writes the outputs in graph output order. Timing
 * (load, shape inference, compile, run) and the arena size go to stderr and,
 * with --stats-json, to a JSON file. */
#include "cli.h"
#include "cmd_run_dla.h"
#include "driver/host_session.h"
#include "dla_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_MAX_IO 64

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc run MODEL.onnx --host-only --input IN.pb [--input IN2.pb ...]\n"
               "                 [--output OUT.pb ...] [--input-shape NAME=D0,D1,...] [-O0..3]\n"
               "                 [--stats-json FILE]\n"
               "  Compiles MODEL for the host CPU through LLVM (in-process JIT), runs it on the\n"
               "  inputs (serialized onnx.TensorProto, graph input order) and writes the outputs\n"
               "  (graph output order). Timings go to stderr; --stats-json writes them and the\n"
               "  arena size (bytes of scratch memory the compiled code uses) as JSON.\n");
}

/* --stats-json for the host path: wall seconds of each step and the arena. */
static int write_stats(const char *path, const char *model, const HostSession *s, double t_run)
{
    DlaError err = {0};
    DlaOutFile o;
    DlaStatus st = dla_out_open(&o, path, &err);
    if (!st) {
        fprintf(o.f, "{\n  \"model\": ");
        cli_json_string(o.f, model);
        fprintf(o.f,
                ",\n  \"target\": \"host\",\n  \"wall\": {\"load\": %.6f, \"infer\": %.6f, \"compile\": %.6f, "
                "\"run\": %.6f},\n  \"arena_bytes\": %zu\n}\n",
                s->t_load, s->t_infer, s->t_compile, t_run, host_model_arena_size(s->m));
        st = dla_out_close(&o, 1, &err);
    }
    if (st) {
        cli_report(&err);
        return 2;
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    const char *model = NULL, *inputs[RUN_MAX_IO], *outputs[RUN_MAX_IO], *stats_json = NULL;
    int nin = 0, nout = 0, host_only = 0, opt = 2;
    OnnxInputShape shapes[RUN_MAX_IO];
    int nshapes = 0;
    DlaError err = {0};
    /* Without --host-only the model is compiled for a DLA target (tools/cmd_run_dla.c). */
    for (int i = 1; i < argc && !host_only; i++)
        host_only = !strcmp(argv[i], "--host-only");
    if (!host_only)
        return cmd_run_dla(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--host-only")) {
            host_only = 1;
        } else if ((!strcmp(a, "--input") || !strcmp(a, "-i")) && i + 1 < argc) {
            if (nin == RUN_MAX_IO)
                return fprintf(stderr, "dlacc run: too many inputs\n"), 2;
            inputs[nin++] = argv[++i];
        } else if ((!strcmp(a, "--output") || !strcmp(a, "-o")) && i + 1 < argc) {
            if (nout == RUN_MAX_IO)
                return fprintf(stderr, "dlacc run: too many outputs\n"), 2;
            outputs[nout++] = argv[++i];
        } else if (!strcmp(a, "--input-shape") && i + 1 < argc) {
            if (nshapes == RUN_MAX_IO)
                return fprintf(stderr, "dlacc run: too many --input-shape\n"), 2;
            if (onnx_parse_input_shape(argv[++i], &shapes[nshapes], &err)) {
                cli_report(&err);
                return 2;
            }
            nshapes++;
        } else if (!strcmp(a, "--stats-json") && i + 1 < argc) {
            stats_json = argv[++i];
        } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
            opt = a[2] - '0';
        } else if (a[0] != '-' && !model) {
            model = a;
        } else {
            fprintf(stderr, "dlacc run: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!model) {
        usage(stderr);
        return 2;
    }
    if (!host_only) {
        fprintf(stderr, "dlacc run: only the host path is available here: pass --host-only\n");
        return 2;
    }
    const char *reads[RUN_MAX_IO + 1], *writes[RUN_MAX_IO + 1];
    reads[0] = model;
    for (int k = 0; k < nin; k++)
        reads[k + 1] = inputs[k];
    for (int k = 0; k < nout; k++)
        writes[k] = outputs[k];
    writes[nout] = stats_json;
    if (!cli_outputs_ok("run", writes, nout + 1, reads, nin + 1, NULL))
        return 2;
    OnnxTensorFile tin[RUN_MAX_IO];
    memset(tin, 0, sizeof tin);
    int rc = 0;
    for (int i = 0; i < nin; i++)
        if (onnx_tensor_read(inputs[i], &tin[i], &err)) {
            cli_report(&err);
            for (int k = 0; k < i; k++)
                onnx_tensor_file_free(&tin[k]);
            return cli_exit_code(err.code);
        }
    HostSession s;
    HostSessionOptions so = {shapes, nshapes, tin, nin, 0, opt};
    DlaStatus st = host_session_open(model, &so, &s, &err);
    if (st) {
        cli_report(&err);
        rc = cli_exit_code(st);
        goto done;
    }
    if (nout > s.g->noutputs) {
        fprintf(stderr, "dlacc run: %d --output files for %d graph outputs\n", nout, (int)s.g->noutputs);
        rc = 2;
        host_session_close(&s);
        goto done;
    }
    void *out[RUN_MAX_IO * 4];
    if (s.g->noutputs > RUN_MAX_IO * 4) {
        fprintf(stderr, "dlacc run: too many graph outputs\n");
        rc = 1;
        host_session_close(&s);
        goto done;
    }
    double t0 = host_now();
    st = host_session_run(&s, tin, nin, out, &err);
    double t_run = host_now() - t0;
    if (st) {
        cli_report(&err);
        rc = cli_exit_code(st);
    } else {
        fprintf(stderr, "dlacc run: load %.3f s, shape inference %.3f s, compile %.3f s, run %.3f s (arena %zu bytes)\n",
                s.t_load, s.t_infer, s.t_compile, t_run, host_model_arena_size(s.m));
        for (int k = 0; k < s.g->noutputs; k++) {
            const IrValue *v = &s.g->values[s.g->outputs[k]];
            if (k < nout && !rc) {
                size_t nb = (size_t)ir_shape_numel(&v->shape) * ir_dtype_size(v->dtype);
                if (onnx_tensor_write(outputs[k], v->name, v->dtype, &v->shape, out[k], nb, &err)) {
                    cli_report(&err);
                    rc = cli_exit_code(err.code);
                }
            }
            free(out[k]);
        }
        if (stats_json && !rc)
            rc = write_stats(stats_json, model, &s, t_run);
    }
    host_session_close(&s);
done:
    for (int i = 0; i < nin; i++)
        onnx_tensor_file_free(&tin[i]);
    return rc;
}
