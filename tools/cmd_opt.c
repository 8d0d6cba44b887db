/* cmd_opt.c - `dlacc opt MODEL [options]`: load a model (ONNX, or IR text when
 * the file name ends in .ir), run the pass pipeline, print per-op node counts
 * before and after to stderr, and write the final IR as text.
 *
 * With --calib DIR or --target T it runs what the compiler runs instead: the
 * driver's compile (graph pipeline with quantization, segments), then the DLA
 * passes (backend/dla/dla_passes.def) on every DLA segment, printing the
 * plan after the pass --dump-after names (or after every one: all; after
 * emit by default). --list-passes lists both tables in order. */
#include "cli.h"
#include "cli_compile_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/dla/dla_plan.h"
#include "dla_file.h"
#include "dla_mem.h"
#include "frontend/onnx.h"
#include "ir/text.h"
#include "passes/passes.h"

static void list_passes(FILE *f)
{
    fprintf(f, "graph passes (passes/passes.def):\n");
    for (int i = 0; i < PASS__COUNT; i++)
        fprintf(f, "  %-12s %s\n", pass_name((PassId)i), pass_description((PassId)i));
    fprintf(f, "DLA passes (backend/dla/dla_passes.def):\n");
    for (int i = 0; i < DLA_PASS__COUNT; i++)
        fprintf(f, "  %-12s %s\n", dla_pass_name((DlaPassId)i), dla_pass_description((DlaPassId)i));
}

/* --calib / --target: the driver's compile, then the DLA passes with dumps
 * on every DLA segment. */
static int opt_dla(const char *model, const CliCompileOpts *o, const char *dump_after, const char *out)
{
    int after = DLA_PASS_EMIT;
    const char *graph_dump = NULL;
    if (dump_after && strcmp(dump_after, "all") == 0)
        after = DLA_PASS__COUNT;
    else if (dump_after && dla_pass_lookup(dump_after) == DLA_PASS__COUNT && pass_lookup(dump_after) >= 0)
        graph_dump = dump_after; /* a graph pass (e.g. partition): its IR to stderr, then the plan after emit */
    else if (dump_after && (after = (int)dla_pass_lookup(dump_after)) == DLA_PASS__COUNT) {
        fprintf(stderr, "dlacc opt: unknown DLA pass '%s', nor a graph pass (dlacc opt --list-passes)\n", dump_after);
        return 2;
    }
    DlaCompileOptions co = {0};
    cli_compile_opts_apply(o, &co);
    co.dump_after = graph_dump;
    DlaPlan *p = NULL;
    int rc = cli_compile_plan(model, o, &co, &p);
    FILE *f = NULL;
    DlaOutFile of = {0};
    DlaError oerr = {0};
    if (!rc && !cli_output_ok("opt", out, &model, 1, p->g))
        rc = 2;
    else if (!rc && dla_out_open(&of, out, &oerr)) {
        cli_report(&oerr);
        rc = cli_exit_code(DLA_ERR_IO);
    }
    f = of.f;
    for (int32_t s = 0; !rc && s < p->nsegs; s++) {
        const DlaSegment *sg = &p->segs[s];
        if (sg->kind != DLA_SEG_DLA)
            continue;
        fprintf(f, "## DLA segment %u (%d nodes)\n", sg->dla_index, (int)sg->nnodes);
        DlaProgram prog;
        DlaError err = {0};
        DlaStatus st = dla_lower_dump(p->g, sg->nodes, sg->nnodes, &p->target, &prog, after, f, &err);
        if (st) {
            cli_report(&err);
            rc = cli_exit_code(st);
        } else {
            dla_program_free(&prog);
        }
    }
    if (f && dla_out_close(&of, !rc, &oerr) != DLA_OK && !rc) {
        cli_report(&oerr);
        rc = cli_exit_code(DLA_ERR_IO);
    }
    if (p)
        dla_plan_free(p);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc opt MODEL.onnx|MODEL.ir [--input-shape NAME=D0,D1,...]... [--passes=LIST]\n"
               "                 [--dump-after=PASS|all] [--elide=BYTES] [--stats] [-o OUT.ir]\n"
               "       dlacc opt MODEL.onnx --calib DIR [--target T] [--calib-method M]\n"
               "                 [--input-shape NAME=D0,D1,...]... [--dump-after=DLAPASS|all] [-o OUT.txt]\n"
               "       dlacc opt --list-passes\n\n"
               "Runs the graph pass pipeline and writes the resulting IR as text (stdout without -o).\n"
               "Node counts per op type, before and after, go to stderr.\n"
               "  --passes=a,b,c    run only these passes, in this order\n"
               "  --dump-after=P    print the IR after pass P (or after every pass: all) to stderr\n"
               "  --stats           per pass: node counts before and after, CPU time (stderr)\n"
               "  --elide=BYTES     print constants larger than BYTES as checksums\n"
               "                    (default: 1024 in dumps, all data in the output)\n"
               "With --calib or --target: compile as `dlacc MODEL` does (quantize, partition into\n"
               "segments), then run the DLA passes on every DLA segment and print the DLA plan\n"
               "(layers, tiles, SRAM/DRAM offsets, predicted cycles) after DLAPASS, or after\n"
               "every DLA pass (all), to stdout or -o; default: after emit. --dump-after=GRAPHPASS\n"
               "(e.g. partition) prints the IR after that graph pass to stderr instead; after the\n"
               "partition every host node carries a comment '# host: REASON'.\n"
               "  --list-passes     list the graph passes and the DLA passes, in order\n\n");
    list_passes(f);
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
    CliCompileOpts co = {0};
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.dump_elide_bytes = 1024;
    size_t elide_out = 0;
    DlaError err = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            cli_shapes_free(&co.shapes);
            return 0;
        } else if (!strcmp(a, "--list-passes")) {
            list_passes(stdout);
            cli_shapes_free(&co.shapes);
            return 0;
        } else if ((r = (int)cli_compile_opt(argc, argv, &i, &co)) != CLI_OPT_OTHER) {
            if (r != CLI_OPT_TAKEN) {
                if (r == CLI_OPT_USAGE)
                    usage(stderr);
                cli_shapes_free(&co.shapes);
                return 2;
            }
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
                cli_shapes_free(&co.shapes);
                return 2;
            }
            ctx.dump_elide_bytes = elide_out = (size_t)nb;
        } else if (a[0] == '-' || model) {
            fprintf(stderr, "dlacc opt: unexpected argument '%s'\n", a);
            usage(stderr);
            cli_shapes_free(&co.shapes);
            return 2;
        } else {
            model = a;
        }
    }
    if (!model) {
        usage(stderr);
        cli_shapes_free(&co.shapes);
        return 2;
    }
    if (!cli_output_ok("opt", out, &model, 1, NULL)) { /* before any work; external data: after loading */
        cli_shapes_free(&co.shapes);
        return 2;
    }
    if (co.calib || co.target) {
        int rc = opt_dla(model, &co, ctx.dump_after, out);
        cli_shapes_free(&co.shapes);
        return rc;
    }
    IrGraph *g = NULL;
    OnnxLoadOptions lo = cli_shapes_options(&co.shapes);
    DlaStatus st = load(model, &lo, &g, &err);
    cli_shapes_free(&co.shapes);
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
    IrPrintOptions po = {.elide_bytes = elide_out};
    st = cli_print_ir("opt", g, out, &po);
    if (st == DLA_ERR_IO)
        fprintf(stderr, "dlacc opt: cannot write the IR to '%s'\n", out ? out : "stdout");
    free(before.names);
    free(before.counts);
    free(after.names);
    free(after.counts);
    ir_graph_free(g);
    return cli_exit_code(st);
}
