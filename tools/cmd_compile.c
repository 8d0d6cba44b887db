/* cmd_compile.c - `dlacc MODEL.onnx -o PREFIX --calib DIR [--target T]
 * [--input-shape N=dims] [--calib-method M]`: compiles the model for a DLA
 * target and writes PREFIX.dla, the accelerator program with all its DLA
 * segments and the SEGMENTS table of the whole plan (docs/runtime.md). The host parts of the plan are
 * JIT-compiled here only to check that they compile; emitting them as an
 * object file is the ahead-of-time build's job. */
#include "cli.h"
#include "cli_compile_opts.h"
#include "cmd_compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/compile.h"
#include "isa/dla_format.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc MODEL.onnx -o PREFIX --calib DIR [--target dla-edge|dla-server|FILE.xml]\n"
               "             [--input-shape NAME=D0,D1,...] [--calib-method minmax|percentile|entropy|mse] [--plan]\n"
               "  Quantizes MODEL with the calibration inputs in DIR (every *.pb), partitions it between the\n"
               "  DLA and the host, and writes the accelerator program to PREFIX.dla\n"
               "  (inspect it with: dlacc objdump PREFIX.dla).\n");
}

int cmd_compile(int argc, char **argv)
{
    const char *model = NULL, *prefix = NULL, *v;
    CliCompileOpts opts = {0};
    DlaError err = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int m;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            cli_compile_opts_free(&opts);
            return 0;
        } else if ((m = cli_opt_value(argc, argv, &i, "-o", &v)) != 0) {
            if (m < 0)
                goto bad_usage;
            prefix = v;
        } else if ((m = cli_compile_opt(argc, argv, &i, &opts)) != CLI_OPT_OTHER) {
            if (m == CLI_OPT_USAGE)
                goto bad_usage;
            if (m == CLI_OPT_FAILED) {
                cli_compile_opts_free(&opts);
                return 2;
            }
        } else if (a[0] != '-' && !model) {
            model = a;
        } else {
            fprintf(stderr, "dlacc: unexpected argument '%s'\n", a);
            goto bad_usage;
        }
    }
    if (!model || !prefix) {
        if (model && !prefix)
            fprintf(stderr, "dlacc: say where to write the program: -o PREFIX (writes PREFIX.dla)\n");
    bad_usage:
        usage(stderr);
        cli_compile_opts_free(&opts);
        return 2;
    }
    DlaCompileOptions co = {0};
    cli_compile_opts_apply(&opts, &co);
    co.host_opt_level = 2;
    DlaPlan *p = NULL;
    DlaStatus st;
    int rc = cli_compile_plan(model, &opts, &co, &p);
    if (rc)
        goto out;
    if (!p->ndla) {
        fprintf(stderr, "dlacc: %s: no part of the model runs on the DLA; nothing to write\n", model);
        rc = 1;
        goto out;
    }
    size_t n = strlen(prefix) + 5;
    char *path = dla_malloc(n);
    snprintf(path, n, "%s.dla", prefix);
    if (!cli_output_ok("compile", path, &model, 1, p->g)) {
        rc = 2;
    } else if ((st = dla_program_write(&p->prog, path, &err))) {
        cli_report(&err);
        rc = cli_exit_code(st);
    } else {
        int nh = 0;
        for (int32_t i = 0; i < p->nsegs; i++)
            nh += p->segs[i].kind == DLA_SEG_HOST;
        fprintf(stderr,
                "dlacc: wrote %s for %s: %d DLA segment%s, %u instructions, %llu bytes of constants, %llu bytes of "
                "DRAM; %d host segment%s (compile %.3f s)\n",
                path, p->target.name, (int)p->ndla, p->ndla == 1 ? "" : "s", p->prog.ninsns,
                (unsigned long long)p->prog.const_bytes, (unsigned long long)p->prog.dram_bytes_used, nh,
                nh == 1 ? "" : "s", p->t_total);
    }
    free(path);
out:
    dla_plan_free(p);
    cli_compile_opts_free(&opts);
    return rc;
}
