/* cmd_opt.c - `dlacc opt MODEL [options]`: load a model (ONNX, or IR text when
 * the file name ends in .ir), run the pass pipeline, print per-op node counts
 * before and after to stderr, and write the final IR as text. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"
#include "frontend/onnx.h"
#include "ir/text.h"
#include "passes/passes.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc opt MODEL.onnx|MODEL.ir [--input-shape NAME=D0,D1,...]... [--passes=LIST]\n"
               "                 [--dump-after=PASS|all] [--elide=BYTES] [--stats] [-o OUT.ir]\n\n"
               "Runs the pass pipeline and writes the resulting IR as text (stdout without -o).\n"
               "Node counts per op type, before and after, go to stderr.\n"
               "  --passes=a,b,c    run only these passes, in this order\n"
               "  --dump-after=P    print the IR after pass P (or after every pass: all) to stderr\n"
               "  --stats           per pass: node counts before and after, CPU time (stderr)\n"
               "  --elide=BYTES     print constants larger than BYTES as checksums\n"
               "                    (default: 1024 in dumps, all data in the output)\n\n"
               "passes:\n");
    for (int i = 0; i < PASS__COUNT; i++)
        fprintf(f, "  %-10s %s\n", pass_name((PassId)i), pass_description((PassId)i));
}

typedef struct OpCounts {
    const char **names;
    int32_t *counts;
    int n;
} OpCounts;

static void count(const IrGraph *g, OpCounts *c)
{
    int n = pass_count_ops(g, NULL, NULL, 0);
    c->names = dla_calloc((size_t)n + 1, sizeof *c->names);
    c->counts = dla_calloc((size_t)n + 1, sizeof *c->counts);
    c->n = pass_count_ops(g, c->names, c->counts, n);
}

/* Merge the two sorted op lists and print "op before after". */
static void summary(const OpCounts *a, const OpCounts *b, int32_t nb, int32_t na)
{
    fprintf(stderr, "%-24s %8s %8s\n", "op", "before", "after");
    int i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int c = i >= a->n ? 1 : j >= b->n ? -1 : strcmp(a->names[i], b->names[j]);
        const char *nm = c <= 0 ? a->names[i] : b->names[j];
        int32_t x = c <= 0 ? a->counts[i++] : 0;
        int32_t y = c >= 0 ? b->counts[j++] : 0;
        fprintf(stderr, "%-24s %8d %8d\n", nm, x, y);
    }
    fprintf(stderr, "%-24s %8d %8d\n", "total", nb, na);
}

static DlaStatus load(const char *path, const OnnxLoadOptions *lo, IrGraph **g, DlaError *err)
{
    size_t len = strlen(path);
    if (len > 3 && strcmp(path + len - 3, ".ir") == 0)
        return ir_parse_file(path, NULL, g, err);
    return onnx_load(path, lo, g, err);
}

int cmd_opt(int argc, char **argv)
{
    const char *model = NULL, *out = NULL;
    CliShapes shapes = {0};
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.dump_elide_bytes = 1024;
    size_t elide_out = 0;
    DlaError err = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            cli_shapes_free(&shapes);
            return 0;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strncmp(a, "--passes=", 9)) {
            ctx.passes = a + 9;
        } else if (!strcmp(a, "--stats")) {
            ctx.stats_file = stderr;
        } else if (!strncmp(a, "--dump-after=", 13)) {
            ctx.dump_after = a + 13;
        } else if (!strncmp(a, "--elide=", 8)) {
            char *end;
            unsigned long long nb = strtoull(a + 8, &end, 10);
            if (*end || end == a + 8) {
                fprintf(stderr, "dlacc opt: bad --elide value '%s'\n", a + 8);
                cli_shapes_free(&shapes);
                return 2;
            }
            ctx.dump_elide_bytes = elide_out = (size_t)nb;
        } else if ((r = cli_opt_value(argc, argv, &i, "--input-shape", &v)) != 0) {
            if (r < 0)
                return 2;
            if (cli_shapes_add(&shapes, v, &err) != DLA_OK) {
                cli_report(&err);
                cli_shapes_free(&shapes);
                return 2;
            }
        } else if (a[0] == '-' || model) {
            fprintf(stderr, "dlacc opt: unexpected argument '%s'\n", a);
            usage(stderr);
            cli_shapes_free(&shapes);
            return 2;
        } else {
            model = a;
        }
    }
    if (!model) {
        usage(stderr);
        cli_shapes_free(&shapes);
        return 2;
    }
    IrGraph *g = NULL;
    OnnxLoadOptions lo = cli_shapes_options(&shapes);
    DlaStatus st = load(model, &lo, &g, &err);
    cli_shapes_free(&shapes);
    if (st != DLA_OK) {
        cli_report(&err);
        return cli_exit_code(st);
    }
    OpCounts before, after;
    count(g, &before);
    IrDiagList diags = {0};
    ctx.diags = &diags;
    st = pipeline(g, &ctx, &err);
    for (size_t i = 0; i < diags.n; i++) {
        int32_t n = diags.items[i].node;
        fprintf(stderr, "dlacc opt: %s%s%s\n", n >= 0 && n < g->nnodes ? g->nodes[n].name : "",
                n >= 0 && n < g->nnodes ? ": " : "", diags.items[i].msg);
    }
    ir_diag_free(&diags);
    if (st != DLA_OK) {
        cli_report(&err);
        free(before.names);
        free(before.counts);
        ir_graph_free(g);
        return cli_exit_code(st);
    }
    count(g, &after);
    int32_t nb = 0, na = 0;
    for (int i = 0; i < before.n; i++)
        nb += before.counts[i];
    for (int i = 0; i < after.n; i++)
        na += after.counts[i];
    summary(&before, &after, nb, na);
    IrPrintOptions po = {elide_out};
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "dlacc opt: cannot write '%s'\n", out);
        st = DLA_ERR_IO;
    } else {
        st = ir_print(g, f, &po);
        if ((out && fclose(f) != 0) || st != DLA_OK) {
            fprintf(stderr, "dlacc opt: error writing the IR\n");
            st = DLA_ERR_IO;
        }
    }
    free(before.names);
    free(before.counts);
    free(after.names);
    free(after.counts);
    ir_graph_free(g);
    return cli_exit_code(st);
}
