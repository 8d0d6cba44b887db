/* cmd_compile.c - `dlacc MODEL.onnx -o PREFIX --calib DIR [--target T]
 * [--input-shape N=dims] [--calib-method M] [--name NAME] [--host-triple T]
 * [--emit dla,obj,header,ir,asm] [-O0..3]`: compiles the model for a DLA
 * target and writes the ahead-of-time bundle (driver/compile_aot.h,
 * docs/aot.md): PREFIX.dla, the accelerator program with all its DLA
 * segments and the SEGMENTS table of the whole plan (docs/runtime.md);
 * PREFIX.o, the host code and the entry points; PREFIX.h, their C API;
 * optionally PREFIX.ll and PREFIX.s. */
#include "cli.h"
#include "cli_compile_opts.h"
#include "cmd_compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/compile.h"
#include "driver/compile_aot.h"
#include "isa/dla_format.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc MODEL.onnx -o PREFIX --calib DIR [--target dla-edge|dla-server|FILE.xml]\n"
               "             [--input-shape NAME=D0,D1,...] [--calib-method minmax|percentile|entropy|mse] [--plan]\n"
               "             [--name NAME] [--host-triple TRIPLE] [--emit dla,obj,header,ir,asm] [-O0|-O1|-O2|-O3]\n"
               "  Quantizes MODEL with the calibration inputs in DIR (every *.pb), partitions it between the\n"
               "  DLA and the host, and writes the ahead-of-time bundle (docs/aot.md):\n"
               "    PREFIX.dla  the accelerator program (inspect it with: dlacc objdump PREFIX.dla)\n"
               "    PREFIX.o    host code for TRIPLE (default: this machine) and the entry points NAME_run...\n"
               "    PREFIX.h    their C API: inputs, outputs, scratch size\n"
               "    PREFIX.ll, PREFIX.s  the object's LLVM IR and assembly (--emit ir,asm)\n"
               "  --emit picks what is written (default dla,obj,header); NAME defaults to PREFIX's file name\n"
               "  as a C identifier; -O sets LLVM's optimization level of the host code (default -O2).\n");
}

enum { EMIT_DLA = 1, EMIT_OBJ = 2, EMIT_HEADER = 4, EMIT_IR = 8, EMIT_ASM = 16 };

/* "dla,obj,header,ir,asm" (any subset, comma-separated) -> EMIT_* bits. */
static int parse_emit(const char *v, unsigned *out)
{
    static const char *const names[] = {"dla", "obj", "header", "ir", "asm"};
    unsigned m = 0;
    const char *p = v;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t k = 0;
        while (k < 5 && !(strlen(names[k]) == n && !strncmp(p, names[k], n)))
            k++;
        if (k == 5) {
            fprintf(stderr, "dlacc: --emit: unknown kind '%.*s' (expected a comma-separated list of dla, obj, "
                            "header, ir, asm)\n", (int)n, p);
            return 0;
        }
        m |= 1u << k;
        p += n + (p[n] == ',');
    }
    if (!m) {
        fprintf(stderr, "dlacc: --emit: empty list (expected dla, obj, header, ir, asm)\n");
        return 0;
    }
    *out = m;
    return 1;
}

/* The default bundle name: PREFIX's file name with every character that may
 * not appear in a C identifier replaced by '_' (and '_' before a digit). */
static char *default_name(const char *prefix)
{
    const char *b = strrchr(prefix, '/');
    b = b ? b + 1 : prefix;
    size_t n = strlen(b);
    char *s = dla_malloc(n + 2), *q = s;
    if (!n || (b[0] >= '0' && b[0] <= '9'))
        *q++ = '_';
    for (size_t i = 0; i < n && q - s < 63; i++)
        *q++ = (char)(((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= '0' && b[i] <= '9'))
                          ? b[i] : '_');
    *q = 0;
    return s;
}

static char *with_ext(const char *prefix, const char *ext)
{
    size_t n = strlen(prefix) + strlen(ext) + 1;
    char *s = dla_malloc(n);
    snprintf(s, n, "%s%s", prefix, ext);
    return s;
}

int cmd_compile(int argc, char **argv)
{
    const char *model = NULL, *prefix = NULL, *v, *name = NULL, *triple = NULL;
    unsigned emit = EMIT_DLA | EMIT_OBJ | EMIT_HEADER;
    int olevel = 2;
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
        } else if ((m = cli_opt_value(argc, argv, &i, "--name", &v)) != 0) {
            if (m < 0)
                goto bad_usage;
            name = v;
        } else if ((m = cli_opt_value(argc, argv, &i, "--host-triple", &v)) != 0) {
            if (m < 0)
                goto bad_usage;
            triple = v;
        } else if ((m = cli_opt_value(argc, argv, &i, "--emit", &v)) != 0) {
            if (m < 0)
                goto bad_usage;
            if (!parse_emit(v, &emit)) {
                cli_compile_opts_free(&opts);
                return 2;
            }
        } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
            olevel = a[2] - '0';
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
    char *defname = name ? NULL : default_name(prefix);
    if (!dla_aot_name_ok(name ? name : defname)) {
        fprintf(stderr, "dlacc: --name '%s' is not a C identifier (letters, digits, '_', at most 63 characters)\n",
                name);
        free(defname);
        cli_compile_opts_free(&opts);
        return 2;
    }
    DlaCompileOptions co = {0};
    cli_compile_opts_apply(&opts, &co);
    co.host_opt_level = olevel;
    DlaPlan *p = NULL;
    DlaStatus st;
    char *paths[5] = {0};
    static const char *const exts[5] = {".dla", ".o", ".h", ".ll", ".s"};
    for (int k = 0; k < 5; k++)
        if (emit & (1u << k))
            paths[k] = with_ext(prefix, exts[k]);
    int rc = cli_compile_plan(model, &opts, &co, &p);
    if (rc)
        goto out;
    if (!p->ndla) {
        fprintf(stderr, "dlacc: %s: no part of the model runs on the DLA; nothing to write\n", model);
        rc = 1;
        goto out;
    }
    if (!cli_outputs_ok("compile", (const char *const *)paths, 5, &model, 1, p->g)) {
        rc = 2;
        goto out;
    }
    DlaAotOptions ao = {name ? name : defname, model, triple, NULL, olevel,
                        paths[0], paths[1], paths[2], paths[3], paths[4]};
    DlaAotInfo info;
    if ((st = dla_aot_emit(p, &ao, &info, &err))) {
        cli_report(&err);
        rc = cli_exit_code(st);
    } else {
        int nh = 0;
        for (int32_t i = 0; i < p->nsegs; i++)
            nh += p->segs[i].kind == DLA_SEG_HOST;
        fprintf(stderr,
                "dlacc: wrote bundle '%s' (%s%s%s%s%s) for %s: %d DLA segment%s, %u instructions, %llu bytes of "
                "constants, %llu bytes of DRAM; %d host segment%s; scratch %zu bytes (compile %.3f s)\n",
                ao.name, paths[0] ? ".dla " : "", paths[1] ? ".o " : "", paths[2] ? ".h " : "",
                paths[3] ? ".ll " : "", paths[4] ? ".s" : "", p->target.name, (int)p->ndla, p->ndla == 1 ? "" : "s",
                p->prog.ninsns, (unsigned long long)p->prog.const_bytes, (unsigned long long)p->prog.dram_bytes_used,
                nh, nh == 1 ? "" : "s", info.scratch_bytes, p->t_total);
    }
out:
    for (int k = 0; k < 5; k++)
        free(paths[k]);
    free(defname);
    dla_plan_free(p);
    cli_compile_opts_free(&opts);
    return rc;
}
