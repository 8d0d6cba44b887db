/* dlacc.c - the dlacc command line: a thin dispatcher over the libraries.
 * Subcommands are listed once, in commands.def. */
#include "cli.h"
#include "cmd_compile.h"

#include <stdio.h>
#include <string.h>

#include "dlacc.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
#define CMD(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef CMD
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc <command> [options] ...\n"
               "       dlacc <command> --help\n"
               "       dlacc MODEL.onnx -o PREFIX --calib DIR [--target T]   (compile: PREFIX.dla .o .h)\n\n"
               "dlacc compiles ONNX models for a deep-learning accelerator (DLA) and runs them\n"
               "on its ISA simulator.\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

void cli_report(const DlaError *err)
{
    fprintf(stderr, "dlacc: %s\n", err && err->msg[0] ? err->msg : "error");
}

int cli_exit_code(DlaStatus s)
{
    return s == DLA_OK ? 0 : (s == DLA_ERR_IO || s == DLA_ERR_FORMAT) ? 2 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        /* the libraries' own versions, through the public API */
        printf("dlacc %s (libdlacc %s, libdlart %s)\n", DLA_VERSION_STRING, dlacc_version(), dlart_version());
        return 0;
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    /* `dlacc MODEL.onnx -o PREFIX ...`: compiling is the default command (tools/cmd_compile.c) */
    if (argv[1][0] == '-' || strchr(argv[1], '.') || strchr(argv[1], '/'))
        return cmd_compile(argc, argv);
    fprintf(stderr, "dlacc: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
