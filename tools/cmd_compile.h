/* cmd_compile.h - `dlacc MODEL.onnx -o PREFIX ...` (tools/cmd_compile.c), the
 * default command: tools/dlacc.c calls it when argv[1] is not a subcommand. */
#ifndef DLA_CMD_COMPILE_H
#define DLA_CMD_COMPILE_H

/* argv[0] is the program name, argv[1..] the options and the model. */
int cmd_compile(int argc, char **argv);

#endif
