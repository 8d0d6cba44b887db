/* cli_compile_opts.c - parsing of the DLA compile options shared by the
 * compile and run commands (cli_compile_opts.h). */
#include "cli_compile_opts.h"

#include <string.h>

CliOptMatch cli_compile_opt(int argc, char **argv, int *i, CliCompileOpts *o)
{
    const CliStrOpt strs[] = {{"--target", &o->target}, {"--calib", &o->calib}, {"--calib-method", &o->method}};
    const char *v;
    int m = cli_opt_strings(argc, argv, i, strs, sizeof strs / sizeof strs[0]);
    if (m != 0)
        return m < 0 ? CLI_OPT_USAGE : CLI_OPT_TAKEN;
    if ((m = cli_opt_value(argc, argv, i, "--input-shape", &v)) != 0) {
        if (m < 0)
            return CLI_OPT_USAGE;
        DlaError err = {0};
        if (cli_shapes_add(&o->shapes, v, &err)) {
            cli_report(&err);
            return CLI_OPT_FAILED;
        }
        return CLI_OPT_TAKEN;
    }
    if (!strcmp(argv[*i], "--plan")) {
        o->plan = 1;
        return CLI_OPT_TAKEN;
    }
    return CLI_OPT_OTHER;
}

void cli_compile_opts_apply(const CliCompileOpts *o, DlaCompileOptions *co)
{
    co->target = o->target;
    co->calib_dir = o->calib;
    co->calib_method = o->method;
    co->shapes = o->shapes.items;
    co->nshapes = (int32_t)o->shapes.n;
}

void cli_compile_opts_free(CliCompileOpts *o)
{
    cli_shapes_free(&o->shapes);
}

int cli_compile_plan(const char *model, const CliCompileOpts *o, const DlaCompileOptions *co, DlaPlan **p)
{
    DlaError err = {0};
    DlaStatus st = dla_compile(model, co, p, &err);
    if (st) {
        cli_report(&err);
        return cli_exit_code(st);
    }
    if (o->plan)
        dla_plan_print(*p, stderr);
    return 0;
}
