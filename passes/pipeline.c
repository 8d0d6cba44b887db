/* pipeline.c - the one function that sequences the passes (passes.def), with
 * --passes=LIST selection, --dump-after=PASS|all, per-pass statistics
 * (PassStats, printed for --stats) and, in builds with DLA_VERIFY_PASSES, the
 * verifier between passes. */
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ir/text.h"
#include "passes/quant.h"
#include "ir/verify.h"

static const struct {
    const char *name;
    DlaStatus (*fn)(IrGraph *, const PassContext *, DlaError *);
    const char *desc;
} pass_table[PASS__COUNT] = {
#define PASS(id, name, fn, desc) [PASS_##id] = {name, fn, desc},
#include "passes/passes.def"
#undef PASS
};

const char *pass_name(PassId id) { return (unsigned)id < PASS__COUNT ? pass_table[id].name : "?"; }
const char *pass_description(PassId id) { return (unsigned)id < PASS__COUNT ? pass_table[id].desc : "?"; }

int pass_lookup(const char *name)
{
    for (int i = 0; i < PASS__COUNT; i++)
        if (strcmp(pass_table[i].name, name) == 0)
            return i;
    return -1;
}

/* Parse "a,b,c" into pass ids. Unknown names are a user error that lists the
 * valid ones, so a typo in --passes does not silently run nothing. */
static DlaStatus parse_list(const char *list, int *ids, int max, int *n, DlaError *err)
{
    *n = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof name || *n >= max)
            goto bad;
        memcpy(name, p, len);
        name[len] = 0;
        int id = pass_lookup(name);
        if (id < 0)
            goto bad;
        ids[(*n)++] = id;
        p += len + (e != NULL);
        continue;
    bad:;
        char known[512] = "";
        for (int i = 0; i < PASS__COUNT; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, pass_table[i].name, sizeof known - strlen(known) - 1);
        }
        return dla_errorf(err, DLA_ERR_INVALID, "--passes: bad pass list '%s' (passes: %s)", list,
                          known);
    }
    return DLA_OK;
}

static DlaStatus check_after(IrGraph *g, const PassContext *ctx, const char *name, DlaError *err)
{
    DlaStatus st = DLA_OK;
#ifdef DLA_VERIFY_PASSES
    /* A verifier failure after a pass is a bug in that pass; it is reported as
     * an error rather than an abort so that a requested dump still appears. */
    if (ir_verify(g, err) != DLA_OK) {
        dla_error_prefix(err, "internal error: IR invalid after pass '%s': ", name);
        st = err ? err->code : DLA_ERR_INVALID;
    }
#endif
    if (ctx->dump_after && (strcmp(ctx->dump_after, "all") == 0 || strcmp(ctx->dump_after, name) == 0)) {
        FILE *f = ctx->dump_file ? ctx->dump_file : stderr;
        /* '#' starts a comment in the text form, so a dump still parses */
        fprintf(f, "# ---- IR after pass '%s' ----\n", name);
        IrPrintOptions po = {.elide_bytes = ctx->dump_elide_bytes};
        /* after the partition: why each host node stays there */
        if (ctx->quantize && strcmp(name, pass_name(PASS_PARTITION)) == 0)
            po.node_note = quant_partition_note;
        if (ir_print(g, f, &po) != DLA_OK && st == DLA_OK)
            st = dla_errorf(err, DLA_ERR_IO, "--dump-after: cannot write the IR dump");
    }
    return st;
}

static int live_nodes(const IrGraph *g)
{
    int k = 0;
    for (int32_t i = 0; i < g->nnodes; i++)
        k += !g->nodes[i].dead;
    return k;
}

DlaStatus pipeline(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    PassContext dflt;
    if (!ctx) {
        memset(&dflt, 0, sizeof dflt);
        ctx = &dflt;
    }
    int ids[PIPELINE_MAX_PASSES], n = 0;
    if (ctx->stats)
        ctx->stats->n = 0;
    if (ctx->passes) {
        DlaStatus st = parse_list(ctx->passes, ids, PIPELINE_MAX_PASSES, &n, err);
        if (st != DLA_OK)
            return st;
    } else {
        for (int i = 0; i < PASS__COUNT; i++)
            ids[n++] = i;
    }
    if (ctx->dump_after && strcmp(ctx->dump_after, "all") != 0) {
        /* a dump that would never happen is a mistake worth saying so */
        int id = pass_lookup(ctx->dump_after), found = 0;
        for (int i = 0; i < n; i++)
            found |= ids[i] == id;
        if (!found)
            return dla_errorf(err, DLA_ERR_INVALID, "--dump-after: pass '%s' %s", ctx->dump_after,
                              id < 0 ? "does not exist" : "is not among the passes run");
    }
    int want_stats = ctx->stats_file || ctx->stats;
    for (int i = 0; i < n; i++) {
        double t0 = want_stats ? (double)clock() : 0;
        int before = want_stats ? live_nodes(g) : 0;
        DlaStatus st = pass_table[ids[i]].fn(g, ctx, err);
        if (st != DLA_OK) {
            dla_error_prefix(err, "pass '%s': ", pass_table[ids[i]].name);
            return st;
        }
        if (want_stats) {
            PassStats ps = {(PassId)ids[i], pass_table[ids[i]].name, before, live_nodes(g), g->nvalues,
                            ((double)clock() - t0) * 1000.0 / CLOCKS_PER_SEC};
            if (ctx->stats)
                ctx->stats->pass[ctx->stats->n++] = ps;
            if (ctx->stats_file)
                pass_stats_print(&ps, ctx->stats_file);
        }
        st = check_after(g, ctx, pass_table[ids[i]].name, err);
        if (st != DLA_OK)
            return st;
    }
    return DLA_OK;
}

void pass_stats_print(const PassStats *s, FILE *f)
{
    fprintf(f, "pass %-10s %6d -> %6d nodes, %7d values, %8.2f ms\n", s->name, s->nodes_before, s->nodes_after,
            s->values, s->cpu_ms);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int pass_count_ops(const IrGraph *g, const char **names, int32_t *counts, int max)
{
    /* Collect live op types, sort, then run-length count: graphs have at most a
     * few thousand nodes, so this is cheap and needs no hash table. */
    const char **all = dla_malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *all);
    int k = 0;
    for (int32_t i = 0; i < g->nnodes; i++)
        if (!g->nodes[i].dead)
            all[k++] = g->nodes[i].op_type;
    qsort(all, (size_t)k, sizeof *all, cmp_name);
    int distinct = 0;
    for (int i = 0; i < k; i++) {
        if (i == 0 || strcmp(all[i], all[i - 1]) != 0) {
            if (distinct < max) {
                names[distinct] = all[i];
                counts[distinct] = 0;
            }
            distinct++;
        }
        if (distinct - 1 < max)
            counts[distinct - 1]++;
    }
    free(all);
    return distinct;
}
