/* cmd_check.c - `dlacc check MODEL.onnx`: placeholder until the frontend lands. */
#include "cli.h"

#include <stdio.h>

int cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "dlacc check: not implemented yet\n");
    return 2;
}
