/* cmd_ir.c - `dlacc ir FILE.ir`: read IR text (docs/ir.md), verify it, and print
 * it again in canonical form. For checking hand-written or edited dumps and for
 * normalising them (golden files).
 *
 * Exit status: 0 valid, 1 parsed but the verifier rejects it, 2 unreadable file,
 * syntax error or bad arguments. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "ir/text.h"
#include "ir/verify.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc ir FILE.ir [--elide=BYTES] [-o OUT.ir] [-q]\n"
               "\n"
               "Parses an IR text file (docs/ir.md; '-' reads stdin), checks it with the IR\n"
               "verifier and prints it back in canonical form.\n"
               "\n"
               "options:\n"
               "  --elide=BYTES   print constants larger than BYTES as size + checksum\n"
               "                  (default: print all data)\n"
               "  -o OUT.ir       write to OUT.ir instead of stdout\n"
               "  -q              only check; print nothing when the file is valid\n"
               "\n"
               "exit status: 0 valid, 1 the verifier rejects the graph, 2 unreadable file,\n"
               "syntax error (reported as FILE:LINE:COLUMN) or bad arguments.\n");
}

int cmd_ir(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *v;
    size_t elide = 0;
    int quiet = 0, r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if ((r = cli_opt_value(argc, argv, &i, "--elide", &v)) != 0) {
            char *end;
            if (r < 0)
                return 2;
            unsigned long long e = strtoull(v, &end, 10);
            if (!*v || *end || v[0] == '-') {
                fprintf(stderr, "dlacc ir: bad --elide value '%s' (a byte count)\n", v);
                return 2;
            }
            elide = (size_t)e;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "-q")) {
            quiet = 1;
        } else if (cli_input_arg("ir", a, &in, NULL)) {
            return 2;
        }
    }
    if (!in) {
        usage(stderr);
        return 2;
    }
    DlaError err = {0};
    IrGraph *g = NULL;
    int from_stdin = !strcmp(in, "-");
    if (ir_parse_file(from_stdin ? "/dev/stdin" : in, from_stdin ? "<stdin>" : in, &g, &err) != DLA_OK) {
        cli_report(&err);
        return 2;
    }
    int status = 0;
    if (ir_verify(g, &err) != DLA_OK) {
        fprintf(stderr, "dlacc: %s: invalid IR: %s\n", in, err.msg);
        status = 1;
    }
    if (!quiet && status == 0) {
        IrPrintOptions po = {.elide_bytes = elide};
        if (cli_print_ir("ir", g, out, &po) != DLA_OK) {
            fprintf(stderr, "dlacc ir: cannot write '%s'\n", out ? out : "stdout");
            status = 2;
        }
    }
    ir_graph_free(g);
    return status;
}
