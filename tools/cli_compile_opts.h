/* cli_compile_opts.h - the options that choose how a model is compiled for a
 * DLA target, shared by `dlacc MODEL -o PREFIX` (cmd_compile.c) and
 * `dlacc run MODEL` (cmd_run_dla.c) so that both accept them identically. */
#ifndef DLA_CLI_COMPILE_OPTS_H
#define DLA_CLI_COMPILE_OPTS_H

#include "cli.h"

#include "driver/compile.h"

/* --target T, --calib DIR, --calib-method M, --input-shape NAME=dims, --plan. */
typedef struct CliCompileOpts {
    const char *target, *calib, *method;
    CliShapes shapes;
    int plan;
} CliCompileOpts;

/* What cli_compile_opt made of argv[*i]. */
typedef enum CliOptMatch {
    CLI_OPT_OTHER = 0,   /* not one of these options: the command tries its own */
    CLI_OPT_TAKEN = 1,   /* consumed (and its value, *i advanced past it) */
    CLI_OPT_USAGE = -1,  /* value missing (message printed): show the usage, exit 2 */
    CLI_OPT_FAILED = -2, /* value rejected (message printed): exit 2 */
} CliOptMatch;

CliOptMatch cli_compile_opt(int argc, char **argv, int *i, CliCompileOpts *o);
/* Copy the parsed options into co (target, calibration, shapes); the shapes
 * stay owned by o. The command sets the rest of co itself. */
void cli_compile_opts_apply(const CliCompileOpts *o, DlaCompileOptions *co);
void cli_compile_opts_free(CliCompileOpts *o);

/* dla_compile(model, co) into *p, then the plan on stderr if --plan was
 * given. Returns 0, or the exit status after reporting the error (*p is
 * still for the caller to free either way). */
int cli_compile_plan(const char *model, const CliCompileOpts *o, const DlaCompileOptions *co, DlaPlan **p);

#endif
