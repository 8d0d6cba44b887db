/* cli.h - shared helpers for the dlacc subcommands (tools/cmd_*.c). */
#ifndef DLA_CLI_H
#define DLA_CLI_H

#include "dla_err.h"

#define CMD(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef CMD

/* Print "dlacc: <msg>" for a user error to stderr. */
void cli_report(const DlaError *err);
/* Exit status for a DlaStatus: 2 for unreadable/malformed input, 1 otherwise. */
int cli_exit_code(DlaStatus s);

/* ---- option helpers (cli_common.c) ---- */
#include <stdio.h>

#include "frontend/onnx.h"
#include "ir/text.h"

/* Match option `name` at argv[*i] as "--name=VALUE" or "--name VALUE" (then *i
 * advances past VALUE). Returns 1 and sets *val on a match, 0 if argv[*i] is
 * another option, -1 if the value is missing (message printed to stderr). */
int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **val);

/* A command's argument a that is not one of its options: the input file,
 * stored in *in. Returns 0 then; 2 (the exit status, message printed to
 * stderr) for an unknown option (with usage(stderr), or without usage a
 * pointer to `dlacc <cmd> --help`) or a second input file. "-" is a file. */
int cli_input_arg(const char *cmd, const char *a, const char **in, void (*usage)(FILE *));

/* Print g as IR text (ir_print with opt) to the file at path, or to stdout
 * when path is NULL; DLA_ERR_IO if it cannot be opened, written or closed.
 * The file is replaced atomically (dla_out_open), and never when it is g's own
 * model file or a file g maps (cli_output_ok). */
DlaStatus cli_print_ir(const char *cmd, const IrGraph *g, const char *path, const IrPrintOptions *opt);

/* An output path must not name a file the command reads: the model, an input
 * (inputs[0..n), NULL entries skipped) or a file g still maps (external data;
 * g may be NULL). Writing there would destroy what is being read. Returns 1 if
 * out is fine (or NULL), else prints "dlacc CMD: OUT is also ..." and returns 0. */
int cli_output_ok(const char *cmd, const char *out, const char *const *inputs, int n, const IrGraph *g);
/* cli_output_ok for each of outs[0..nouts) (NULL entries skipped). */
int cli_outputs_ok(const char *cmd, const char *const *outs, int nouts, const char *const *inputs, int n,
                   const IrGraph *g);

/* A table of options that each take one string: cli_opt_strings tries them
 * all at argv[*i], stores a matching one's value in *dst, and returns as
 * cli_opt_value does. */
typedef struct CliStrOpt {
    const char *name;
    const char **dst;
} CliStrOpt;
int cli_opt_strings(int argc, char **argv, int *i, const CliStrOpt *opts, size_t n);

/* The --input-shape options of a command, in a growable array. */
typedef struct CliShapes {
    OnnxInputShape *items;
    size_t n, cap;
} CliShapes;
/* Parse one "NAME=D0,D1,..." and append it (DLA_ERR_INVALID with a message if bad). */
DlaStatus cli_shapes_add(CliShapes *s, const char *arg, DlaError *err);
OnnxLoadOptions cli_shapes_options(const CliShapes *s);
void cli_shapes_free(CliShapes *s);

/* JSON output: a string literal with all escapes JSON requires (control
 * characters, quotes, backslashes; invalid UTF-8 bytes as \u00XX). */
void cli_json_string(FILE *f, const char *s);

#endif
