/* cmd_check.c - `dlacc check MODEL.onnx`: load a model, infer shapes and dtypes,
 * and report what dlacc can and cannot handle: op types with counts and, all at
 * once, every node with a problem (unknown op, unsupported attribute, bad arity,
 * shapes that do not work out). Optionally dumps the IR as text.
 *
 * Exit status: 0 everything supported, 1 some node (or the graph) has a problem,
 * 2 the model cannot be read or parsed, or the command line is wrong. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "dla_file.h"
#include "driver/compile.h"
#include "ir/diag.h"
#include "ir/text.h"
#include "ir/verify.h"

#if __has_include("ir/infer.h")
#include "ir/infer.h"
#define CHECK_HAVE_INFER 1
#endif
#if __has_include("ir/opcheck.h")
#include "ir/opcheck.h"
#define CHECK_HAVE_OPCHECK 1
#endif

/* --dump-ir elides constants larger than this (bytes); --dump-ir=full none. */
#define CHECK_DUMP_ELIDE 64

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dlacc check MODEL.onnx [--input-shape NAME=D0,D1,...]... [--json]\n"
            "                   [--target dla-edge|dla-server|FILE.xml] [--dump-ir[=full]] [-o FILE]\n"
            "\n"
            "Loads an ONNX model, infers the shape and element type of every tensor, and\n"
            "reports which ops dlacc handles: every op type with its node count, and every\n"
            "node it cannot handle (unknown op type, unsupported attribute value, wrong\n"
            "number of inputs, shapes that do not work out), all at once.\n"
            "\n"
            "options:\n"
            "  --input-shape NAME=D0,D1,...  fix the shape of graph input NAME (e.g. bind a\n"
            "                        symbolic batch size: --input-shape input=1,3,224,224);\n"
            "                        repeat for several inputs\n"
            "  --json                write the report as one JSON object to stdout\n"
            "  --target T            also partition the model for DLA target T (as `dlacc run`\n"
            "                        does, without calibration data) and list every node that\n"
            "                        stays on the host with the reason, and the MACs of\n"
            "                        Conv/Gemm/MatMul-class nodes on each side\n"
            "  --dump-ir             also print the IR as text (docs/ir.md) after loading and\n"
            "                        shape inference, constants over %d bytes shown as\n"
            "                        size + checksum; the IR goes to stdout and the report\n"
            "                        then goes to stderr\n"
            "  --dump-ir=full        the same with all constant data\n"
            "  -o FILE               write the IR dump to FILE instead (implies --dump-ir;\n"
            "                        the report stays on stdout)\n"
            "  -h, --help            this text\n"
            "\n"
            "exit status: 0 all nodes supported; 1 some are not (or the model uses a\n"
            "feature the loader does not support); 2 the model cannot be read, is\n"
            "malformed or invalid, does not match --input-shape, or bad arguments.\n",
            CHECK_DUMP_ELIDE);
}

/* One op type (with domain) and how many nodes use it. */
typedef struct OpRow {
    const char *domain, *op_type;
    int known;   /* in the op table */
    int count;   /* nodes */
    int problem; /* nodes with a diagnostic */
} OpRow;

static int cmp_row(const void *a, const void *b)
{
    const OpRow *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);
    return c ? c : strcmp(x->op_type, y->op_type);
}

typedef struct Report {
    const char *model;
    const IrGraph *g;
    OpRow *rows;
    size_t nrows;
    IrDiagList diags;
    int *node_has_diag; /* per node */
    int bad_nodes;      /* nodes with at least one diagnostic */
    int graph_problems; /* diagnostics not tied to a node */
    /* --target: the partition's decisions, or why it could not run */
    const char *target;
    DlaPartition part;
    char part_error[sizeof(((DlaError *)0)->msg)]; /* "" when the partition ran */
} Report;

/* The diagnostic text without a leading "node 'NAME' (OpType): ", which the
 * report already shows. */
static const char *diag_text(const IrGraph *g, const IrDiag *d)
{
    if (d->node < 0 || d->node >= g->nnodes)
        return d->msg;
    const IrNode *nd = &g->nodes[d->node];
    char pre[1024];
    int k = snprintf(pre, sizeof pre, "node '%s' (%s): ", nd->name, nd->op_type);
    if (k > 0 && (size_t)k < sizeof pre && !strncmp(d->msg, pre, (size_t)k))
        return d->msg + k;
    return d->msg;
}

static void build_report(Report *r)
{
    const IrGraph *g = r->g;
    r->node_has_diag = dla_calloc((size_t)g->nnodes + 1, sizeof *r->node_has_diag);
    /* drop repeated messages for the same node (inference and the support check
     * may both notice an unknown op) */
    size_t k = 0;
    for (size_t i = 0; i < r->diags.n; i++) {
        IrDiag *d = &r->diags.items[i];
        int dup = 0;
        for (size_t j = 0; j < k && !dup; j++)
            dup = r->diags.items[j].node == d->node &&
                  !strcmp(diag_text(g, &r->diags.items[j]), diag_text(g, d));
        if (dup) {
            free(d->msg);
            continue;
        }
        r->diags.items[k++] = *d;
    }
    r->diags.n = k;
    for (size_t i = 0; i < r->diags.n; i++) {
        int32_t n = r->diags.items[i].node;
        if (n >= 0 && n < g->nnodes) {
            if (!r->node_has_diag[n]++)
                r->bad_nodes++;
        } else {
            r->graph_problems++;
        }
    }
    size_t cap = 0;
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        size_t i;
        for (i = 0; i < r->nrows; i++)
            if (!strcmp(r->rows[i].op_type, nd->op_type) && !strcmp(r->rows[i].domain, nd->domain))
                break;
        if (i == r->nrows) {
            r->rows = dla_grow(r->rows, sizeof *r->rows, r->nrows + 1, &cap);
            r->rows[i] = (OpRow){nd->domain, nd->op_type, nd->op != OP_UNKNOWN, 0, 0};
            r->nrows++;
        }
        r->rows[i].count++;
        r->rows[i].problem += r->node_has_diag[n] != 0;
    }
    if (r->nrows)
        qsort(r->rows, r->nrows, sizeof *r->rows, cmp_row);
}

/* Graph inputs that ONNX also gives an initializer (older exporters list every
 * weight as an input) are counted, not listed: they are not fed at run time. */
static void print_value_list(FILE *f, const IrGraph *g, const int32_t *vals, int32_t n)
{
    int32_t shown = 0, with_init = 0;
    for (int32_t i = 0; i < n; i++) {
        const IrValue *v = &g->values[vals[i]];
        if ((v->flags & IR_VAL_INPUT) && (v->flags & (IR_VAL_CONST | IR_VAL_ELIDED))) {
            with_init++;
            continue;
        }
        char sb[256];
        fprintf(f, "%s%s %s%s", shown++ ? ", " : "", v->name, ir_dtype_name(v->dtype),
                ir_shape_str(&v->shape, sb, sizeof sb));
    }
    if (with_init)
        fprintf(f, "%s(and %d with initializers)", shown ? " " : "", (int)with_init);
    fputc('\n', f);
}

/* --target: the nodes the partition leaves on the host, with the reason. Node
 * names are those of the canonicalized graph (the frontend names unnamed nodes). */
static void print_partition_text(FILE *f, const Report *r)
{
    const DlaPartition *pt = &r->part;
    if (r->part_error[0]) {
        fprintf(f, "\npartition for %s: not run: %s\n", r->target, r->part_error);
        return;
    }
    fprintf(f, "\npartition for %s: %d node%s on the accelerator, %d on the host (after canonicalization); MACs: %llu on "
               "the accelerator, %llu on the host\n",
            r->target, (int)pt->dla_nodes, pt->dla_nodes == 1 ? "" : "s", (int)pt->nhost,
            (unsigned long long)pt->macs_dla, (unsigned long long)pt->macs_host);
    if (pt->nhost)
        fprintf(f, "host nodes:\n");
    for (int32_t i = 0; i < pt->nhost; i++)
        fprintf(f, "  '%s' (%s): %s\n", pt->host[i].name, pt->host[i].op_type, pt->host[i].reason);
}

static void print_text(FILE *f, const Report *r)
{
    const IrGraph *g = r->g;
    fprintf(f, "model:    %s\n", r->model);
    fprintf(f, "graph:    %s\n", g->name);
    fprintf(f, "opsets:  ");
    for (int32_t i = 0; i < g->nopsets; i++)
        fprintf(f, "%s %s %lld", i ? "," : "", g->opsets[i].domain[0] ? g->opsets[i].domain : "ai.onnx",
                (long long)g->opsets[i].version);
    fprintf(f, "\ninputs:   ");
    print_value_list(f, g, g->inputs, g->ninputs);
    fprintf(f, "outputs:  ");
    print_value_list(f, g, g->outputs, g->noutputs);
    fprintf(f, "nodes:    %d\n\n", (int)g->nnodes);
    fprintf(f, "%-32s %6s  %s\n", "op type", "nodes", "status");
    for (size_t i = 0; i < r->nrows; i++) {
        const OpRow *o = &r->rows[i];
        char name[300];
        snprintf(name, sizeof name, "%s%s%s", o->domain, o->domain[0] ? "::" : "", o->op_type);
        char status[64];
        if (!o->known)
            snprintf(status, sizeof status, "unknown op type");
        else if (o->problem)
            snprintf(status, sizeof status, "%d node%s unsupported", o->problem, o->problem == 1 ? "" : "s");
        else
            snprintf(status, sizeof status, "supported");
        fprintf(f, "%-32s %6d  %s\n", name, o->count, status);
    }
    if (r->graph_problems) {
        fprintf(f, "\nproblems with the graph:\n");
        for (size_t i = 0; i < r->diags.n; i++)
            if (r->diags.items[i].node < 0 || r->diags.items[i].node >= g->nnodes)
                fprintf(f, "  %s\n", r->diags.items[i].msg);
    }
    if (r->bad_nodes) {
        fprintf(f, "\nunsupported nodes (%d of %d):\n", r->bad_nodes, (int)g->nnodes);
        for (int32_t n = 0; n < g->nnodes; n++) {
            if (!r->node_has_diag[n])
                continue;
            const IrNode *nd = &g->nodes[n];
            fprintf(f, "  node %d '%s' (%s%s%s):\n", (int)n, nd->name, nd->domain, nd->domain[0] ? "::" : "",
                    nd->op_type);
            for (size_t i = 0; i < r->diags.n; i++)
                if (r->diags.items[i].node == n)
                    fprintf(f, "      %s\n", diag_text(g, &r->diags.items[i]));
        }
    }
    if (r->target)
        print_partition_text(f, r);
    if (!r->bad_nodes && !r->graph_problems)
        fprintf(f, "\nresult: supported (all %d nodes)\n", (int)g->nnodes);
    else
        fprintf(f, "\nresult: NOT supported (%d of %d nodes unsupported%s)\n", r->bad_nodes, (int)g->nnodes,
                r->graph_problems ? ", and problems with the graph" : "");
}

static void json_shape(FILE *f, const IrShape *s)
{
    if (s->rank < 0) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    for (int i = 0; i < s->rank; i++) {
        if (i)
            fputs(", ", f);
        if (s->dims[i] >= 0)
            fprintf(f, "%lld", (long long)s->dims[i]);
        else if (s->sym[i])
            cli_json_string(f, s->sym[i]);
        else
            fputs("null", f);
    }
    fputc(']', f);
}

static void json_values(FILE *f, const IrGraph *g, const int32_t *vals, int32_t n)
{
    fputc('[', f);
    for (int32_t i = 0; i < n; i++) {
        const IrValue *v = &g->values[vals[i]];
        fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
        cli_json_string(f, v->name);
        fputs(", \"dtype\": ", f);
        cli_json_string(f, ir_dtype_name(v->dtype));
        fputs(", \"shape\": ", f);
        json_shape(f, &v->shape);
        if ((v->flags & IR_VAL_INPUT) && (v->flags & (IR_VAL_CONST | IR_VAL_ELIDED)))
            fputs(", \"initializer\": true", f);
        fputc('}', f);
    }
    fputs(n ? "\n  ]" : "]", f);
}

static void print_json(FILE *f, const Report *r)
{
    const IrGraph *g = r->g;
    fputs("{\n  \"model\": ", f);
    cli_json_string(f, r->model);
    fputs(",\n  \"graph\": ", f);
    cli_json_string(f, g->name);
    fputs(",\n  \"opsets\": [", f);
    for (int32_t i = 0; i < g->nopsets; i++) {
        fputs(i ? ", {\"domain\": " : "{\"domain\": ", f);
        cli_json_string(f, g->opsets[i].domain);
        fprintf(f, ", \"version\": %lld}", (long long)g->opsets[i].version);
    }
    fputs("],\n  \"inputs\": ", f);
    json_values(f, g, g->inputs, g->ninputs);
    fputs(",\n  \"outputs\": ", f);
    json_values(f, g, g->outputs, g->noutputs);
    fprintf(f, ",\n  \"nodes\": %d,\n  \"op_types\": [", (int)g->nnodes);
    for (size_t i = 0; i < r->nrows; i++) {
        const OpRow *o = &r->rows[i];
        fputs(i ? ",\n    {\"op_type\": " : "\n    {\"op_type\": ", f);
        cli_json_string(f, o->op_type);
        fputs(", \"domain\": ", f);
        cli_json_string(f, o->domain);
        fprintf(f, ", \"count\": %d, \"known\": %s, \"unsupported\": %d}", o->count, o->known ? "true" : "false",
                o->problem);
    }
    fputs(r->nrows ? "\n  ],\n  \"problems\": [" : "],\n  \"problems\": [", f);
    for (size_t i = 0; i < r->diags.n; i++) {
        const IrDiag *d = &r->diags.items[i];
        fputs(i ? ",\n    {" : "\n    {", f);
        if (d->node >= 0 && d->node < g->nnodes) {
            const IrNode *nd = &g->nodes[d->node];
            fprintf(f, "\"node\": %d, \"name\": ", (int)d->node);
            cli_json_string(f, nd->name);
            fputs(", \"op_type\": ", f);
            cli_json_string(f, nd->op_type);
            fputs(", \"domain\": ", f);
            cli_json_string(f, nd->domain);
        } else {
            fputs("\"node\": null", f);
        }
        fputs(", \"code\": ", f);
        cli_json_string(f, dla_status_name(d->code));
        fputs(", \"message\": ", f);
        cli_json_string(f, diag_text(g, d));
        fputc('}', f);
    }
    fprintf(f, "%s,\n  \"unsupported_nodes\": %d,\n", r->diags.n ? "\n  ]" : "]", r->bad_nodes);
    if (r->target) {
        const DlaPartition *pt = &r->part;
        fputs("  \"partition\": {\"target\": ", f);
        cli_json_string(f, r->target);
        if (r->part_error[0]) {
            fputs(", \"error\": ", f);
            cli_json_string(f, r->part_error);
        } else {
            fprintf(f, ", \"dla_nodes\": %d, \"macs_dla\": %llu, \"macs_host\": %llu, \"host_nodes\": [",
                    (int)pt->dla_nodes, (unsigned long long)pt->macs_dla, (unsigned long long)pt->macs_host);
            for (int32_t i = 0; i < pt->nhost; i++) {
                fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
                cli_json_string(f, pt->host[i].name);
                fputs(", \"op_type\": ", f);
                cli_json_string(f, pt->host[i].op_type);
                fputs(", \"reason\": ", f);
                cli_json_string(f, pt->host[i].reason);
                fputc('}', f);
            }
            fputs(pt->nhost ? "\n  ]" : "]", f);
        }
        fputs("},\n", f);
    }
    fprintf(f, "  \"supported\": %s\n}\n", r->bad_nodes || r->graph_problems ? "false" : "true");
}

/* Load failures: the message on stderr and, for --json, an error object on stdout.
 * A model that loads only as far as something dlacc does not support (exit 1)
 * differs from one that is unreadable, malformed or invalid, or does not match
 * --input-shape (exit 2). */
static int load_failed(const char *model, const DlaError *err, DlaStatus st, int json)
{
    cli_report(err);
    if (json) {
        fputs("{\n  \"model\": ", stdout);
        cli_json_string(stdout, model);
        fputs(",\n  \"error\": ", stdout);
        cli_json_string(stdout, err->msg);
        fprintf(stdout, ",\n  \"code\": \"%s\",\n  \"supported\": false\n}\n", dla_status_name(st));
    }
    return st == DLA_ERR_UNSUPPORTED || st == DLA_ERR_LIMIT ? 1 : 2;
}

/* Report order: graph-level problems first, then by node, otherwise as found. */
typedef struct DiagKey {
    int32_t node;
    size_t idx;
} DiagKey;

static int cmp_key(const void *a, const void *b)
{
    const DiagKey *x = a, *y = b;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void sort_diags(IrDiagList *l)
{
    if (l->n < 2)
        return;
    DiagKey *k = dla_malloc((l->n + 1) * sizeof *k);
    IrDiag *tmp = dla_malloc((l->n + 1) * sizeof *tmp);
    for (size_t i = 0; i < l->n; i++)
        k[i] = (DiagKey){l->items[i].node, i};
    qsort(k, l->n, sizeof *k, cmp_key);
    for (size_t i = 0; i < l->n; i++)
        tmp[i] = l->items[k[i].idx];
    memcpy(l->items, tmp, l->n * sizeof *tmp);
    free(k);
    free(tmp);
}

static void move_diag(IrDiagList *to, IrDiag *d)
{
    to->items = dla_grow(to->items, sizeof *to->items, to->n + 1, &to->cap);
    to->items[to->n++] = *d;
    d->msg = NULL;
}

/* Shape inference and the support check; every problem goes to diags. A node the
 * support check rejects (unknown op, bad attribute, arity) also fails inference,
 * with a message that only repeats the cause, so for such nodes only the support
 * check's diagnostics are kept. */
static void analyse(IrGraph *g, IrDiagList *diags)
{
    DlaError err = {0};
    IrDiagList inf = {0}, sup = {0};
#ifdef CHECK_HAVE_INFER
    DlaStatus st = ir_infer_shapes(g, &inf, &err);
    if (st != DLA_OK && inf.n == 0)
        ir_diag_add(&inf, -1, st, "shape inference: %s", err.msg);
#endif
#ifdef CHECK_HAVE_OPCHECK
    ir_check_graph_support(g, &sup);
#else
    /* Without the op-table checker, at least every op type missing from the table. */
    for (int32_t n = 0; n < g->nnodes; n++)
        if (g->nodes[n].op == OP_UNKNOWN)
            ir_diag_add(&sup, n, DLA_ERR_UNSUPPORTED, "op type '%s%s%s' is not in dlacc's op table",
                        g->nodes[n].domain, g->nodes[n].domain[0] ? "::" : "", g->nodes[n].op_type);
#endif
    for (size_t i = 0; i < sup.n; i++)
        move_diag(diags, &sup.items[i]);
    for (size_t i = 0; i < inf.n; i++) {
        int covered = 0;
        for (size_t j = 0; j < sup.n && !covered; j++)
            covered = inf.items[i].node >= 0 && sup.items[j].node == inf.items[i].node;
        if (!covered)
            move_diag(diags, &inf.items[i]);
    }
    ir_diag_free(&inf);
    ir_diag_free(&sup);
    dla_error_clear(&err);
    if (ir_verify(g, &err) != DLA_OK)
        ir_diag_add(diags, -1, DLA_ERR_INVALID, "internal error: the IR is inconsistent: %s", err.msg);
    sort_diags(diags);
}

int cmd_check(int argc, char **argv)
{
    const char *model = NULL, *ir_out = NULL, *target = NULL, *v;
    int json = 0, dump = 0, full = 0, r;
    CliShapes shapes = {0};
    DlaError err = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            cli_shapes_free(&shapes);
            return 0;
        } else if ((r = cli_opt_value(argc, argv, &i, "--input-shape", &v)) != 0) {
            if (r < 0 || cli_shapes_add(&shapes, v, &err) != DLA_OK) {
                if (r > 0)
                    fprintf(stderr, "dlacc check: %s\n", err.msg);
                cli_shapes_free(&shapes);
                return 2;
            }
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--target", &v)) != 0) {
            DlaTarget t;
            if (r < 0 || dla_target_load(v, &t, &err) != DLA_OK) {
                if (r > 0)
                    fprintf(stderr, "dlacc check: %s\n", err.msg);
                cli_shapes_free(&shapes);
                return 2;
            }
            target = v;
        } else if (!strcmp(a, "--dump-ir")) {
            dump = 1;
        } else if (!strcmp(a, "--dump-ir=full")) {
            dump = full = 1;
        } else if (!strcmp(a, "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "dlacc check: -o needs a file name\n");
                cli_shapes_free(&shapes);
                return 2;
            }
            ir_out = argv[++i];
            dump = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "dlacc check: unknown option '%s' (try dlacc check --help)\n", a);
            cli_shapes_free(&shapes);
            return 2;
        } else if (model) {
            fprintf(stderr, "dlacc check: more than one model given ('%s' and '%s')\n", model, a);
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
    if (json && dump && !ir_out) {
        fprintf(stderr, "dlacc check: --json and --dump-ir both write to stdout; use -o FILE for the IR\n");
        cli_shapes_free(&shapes);
        return 2;
    }
    if (!cli_output_ok("check", ir_out, &model, 1, NULL)) {
        cli_shapes_free(&shapes);
        return 2;
    }
    OnnxLoadOptions lo = cli_shapes_options(&shapes);
    IrGraph *g = NULL;
    DlaStatus st = onnx_load(model, &lo, &g, &err);
    if (st != DLA_OK) {
        cli_shapes_free(&shapes);
        return load_failed(model, &err, st, json);
    }

    Report rep = {.model = model, .g = g, .target = target};
    analyse(g, &rep.diags);
    build_report(&rep);
    if (target) {
        /* on a graph of its own: the pipeline canonicalizes (and renumbers) */
        DlaError perr = {0};
        if (dla_partition_model(model, target, &lo, &rep.part, &perr) != DLA_OK)
            snprintf(rep.part_error, sizeof rep.part_error, "%s", perr.msg[0] ? perr.msg : "failed");
    }
    cli_shapes_free(&shapes);

    int status = rep.bad_nodes || rep.graph_problems ? 1 : 0;
    FILE *report_to = stdout;
    if (dump) {
        IrPrintOptions po = {.elide_bytes = full ? 0 : CHECK_DUMP_ELIDE};
        if (cli_print_ir("check", g, ir_out, &po) != DLA_OK) {
            fprintf(stderr, "dlacc check: cannot write the IR to '%s'\n", ir_out ? ir_out : "stdout");
            status = 2;
        }
        if (!ir_out)
            report_to = stderr;
    }
    if (json)
        print_json(report_to, &rep);
    else
        print_text(report_to, &rep);
    if (fflush(report_to) != 0)
        status = 2;
    free(rep.rows);
    free(rep.node_has_diag);
    dla_partition_free(&rep.part);
    ir_diag_free(&rep.diags);
    ir_graph_free(g);
    return status;
}
