/* cmd_run_dla.h - the accelerator path of `dlacc run` (tools/cmd_run_dla.c):
 * cmd_run hands over every invocation without --host-only. */
#ifndef DLA_CMD_RUN_DLA_H
#define DLA_CMD_RUN_DLA_H

int cmd_run_dla(int argc, char **argv);

#endif
