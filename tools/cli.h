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

#endif
