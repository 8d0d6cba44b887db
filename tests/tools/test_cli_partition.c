/* test_cli_partition.c - the partition's reports through the command line,
 * checked against the library on the test networks of tests/data/nets (no
 * zoo needed):
 *   - `dlacc run --stats-json`: valid JSON (parsed here, json_leaves.h) whose
 *     "segments" and "macs_dla"/"macs_host" are the plan's; the MACs add up to
 *     the model's Conv/ConvTranspose/Gemm/MatMul MACs counted here from the
 *     ONNX shapes; the summary line says the same; `--plan` gives every host
 *     node its reason;
 *   - `dlacc check --target` (text and --json): every host node with the
 *     reason quant_dla_supported gives;
 *   - the partition pass's dump (`dlacc opt --calib --dump-after=partition`):
 *     "# host: REASON" on every host node, and the text parses back.
 * The expected host nodes come from the library (dla_partition_model,
 * quant_dla_supported), not from a fixed list: other work moves nodes to the
 * DLA, and these tests check that the reports tell the truth, whatever it is. */
#include "dla_test.h"
#include "json_leaves.h"

#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver/compile.h"
#include "ir/infer.h"
#include "ir/text.h"
#include "passes/passes.h"
#include "passes/quant.h"

#define DLACC DLA_BINARY_DIR "/bin/dlacc"
#define NETS DLA_SOURCE_DIR "/tests/data/nets"

static const char *const nets[] = {"inception_block", "shuffle_unit", "fpn_topdown", "mobile_se_hswish"};
#define NNETS (int)(sizeof nets / sizeof nets[0])

static char work[4096];

static const char *workdir(void)
{
    if (!work[0]) {
        snprintf(work, sizeof work, "%s/tests/tools/partition_work_%d", DLA_BINARY_DIR, (int)getpid());
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", work);
        CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    }
    return work;
}

/* Run a shell command; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[32768];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    CU_ASSERT_FATAL(len > 0 && (size_t)len < sizeof cmd); /* a cut command would run something else */
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *read_work(const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", workdir(), name);
    return dla_test_read_text(path, NULL);
}

static int contains(const char *text, const char *what, const char *where)
{
    if (text && strstr(text, what))
        return 1;
    fprintf(stderr, "%s lacks: %s\n", where, what);
    return 0;
}

/* Conv/ConvTranspose/Gemm/MatMul MACs of the model from its shapes, counted
 * here independently of quant_node_macs: for a check that the two sides of the
 * report add up to the model. */
static uint64_t model_macs(const char *model)
{
    IrGraph *g = NULL;
    DlaError e = {0};
    OnnxLoadOptions lo = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_load(model, &lo, &g, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(ir_infer_shapes(g, NULL, &e), DLA_OK);
    uint64_t total = 0;
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        const IrShape *x = &g->values[nd->inputs[0]].shape, *y = &g->values[nd->outputs[0]].shape;
        if (nd->op == OP_CONV || nd->op == OP_CONV_TRANSPOSE) {
            const IrShape *w = &g->values[nd->inputs[1]].shape;
            int64_t group = ir_attr_int(g, n, "group", 1);
            /* Conv: W [M, C/g, k...], per output element C/g * k taps;
             * ConvTranspose: W [C, M/g, k...], per input element M/g * k taps */
            uint64_t taps = (uint64_t)w->dims[1];
            for (int i = 2; i < w->rank; i++)
                taps *= (uint64_t)w->dims[i];
            uint64_t elems = (uint64_t)ir_shape_numel(nd->op == OP_CONV ? y : x);
            CU_ASSERT(group >= 1);
            total += elems * taps;
        } else if (nd->op == OP_GEMM || nd->op == OP_MAT_MUL) {
            int64_t k = nd->op == OP_GEMM && ir_attr_int(g, n, "transA", 0) ? x->dims[0] : x->dims[x->rank - 1];
            total += (uint64_t)ir_shape_numel(y) * (uint64_t)k;
        }
    }
    ir_graph_free(g);
    return total;
}

static DlaPlan *compile(const char *net, const char *target, OnnxTensorFile *in)
{
    char model[4096], calib[4096], input[4096];
    snprintf(model, sizeof model, NETS "/%s/model.onnx", net);
    snprintf(calib, sizeof calib, NETS "/%s/calib", net);
    snprintf(input, sizeof input, NETS "/%s/test_data_set_0/input_0.pb", net);
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(input, in, &e), DLA_OK);
    DlaCompileOptions co = {0};
    co.target = target;
    co.calib_dir = calib;
    co.host_opt_level = 0;
    co.bind = in;
    co.nbind = 1;
    DlaPlan *p = NULL;
    DlaStatus st = dla_compile(model, &co, &p, &e);
    if (st)
        fprintf(stderr, "%s: %s\n", net, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    return p;
}

static void stats_json_one(const char *net, const char *target)
{
    const char *w = workdir();
    int rc = sh("'%s' run '" NETS "/%s/model.onnx' --target %s --calib '" NETS "/%s/calib' --input '" NETS
                "/%s/test_data_set_0/input_0.pb' --stats-json '%s/stats.json' --plan -O0 2> '%s/run.err'",
                DLACC, net, target, net, net, w, w);
    char *err = read_work("run.err");
    if (rc)
        fprintf(stderr, "dlacc run %s: exit %d: %s\n", net, rc, err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    char *js = read_work("stats.json");
    JsonDoc d;
    int ok = json_parse(js, &d);
    if (!ok)
        fprintf(stderr, "%s: stats.json does not parse: %s\n", net, d.err);
    CU_ASSERT_FATAL(ok);

    OnnxTensorFile in;
    DlaPlan *p = compile(net, target, &in);
    int nh = 0, nb = 0;
    for (int32_t i = 0; i < p->nsegs; i++)
        nh += p->segs[i].kind == DLA_SEG_HOST, nb += p->segs[i].kind == DLA_SEG_BOUNDARY;
    CU_ASSERT_EQUAL(json_uint(&d, "segments.dla"), p->ndla);
    CU_ASSERT_EQUAL(json_uint(&d, "segments.host"), nh);
    CU_ASSERT_EQUAL(json_uint(&d, "segments.boundary"), nb);
    long long md = json_uint(&d, "macs_dla"), mh = json_uint(&d, "macs_host");
    CU_ASSERT_EQUAL(md, (long long)p->part.macs_dla);
    CU_ASSERT_EQUAL(mh, (long long)p->part.macs_host);
    char model[4096];
    snprintf(model, sizeof model, NETS "/%s/model.onnx", net);
    uint64_t total = model_macs(model);
    CU_ASSERT(total > 0);
    if ((uint64_t)(md + mh) != total)
        fprintf(stderr, "%s: macs_dla %lld + macs_host %lld != %llu in the model\n", net, md, mh,
                (unsigned long long)total);
    CU_ASSERT_EQUAL((uint64_t)(md + mh), total);
    /* a DLA that runs every Conv/Gemm of the model executes exactly those MACs */
    if (mh == 0)
        CU_ASSERT_EQUAL(json_uint(&d, "macs"), md);
    /* the summary line says the same */
    char line[512];
    snprintf(line, sizeof line, "(segments dla %lld, host %lld, boundary %lld; MACs dla %lld, host %lld)",
             json_uint(&d, "segments.dla"), json_uint(&d, "segments.host"), json_uint(&d, "segments.boundary"), md, mh);
    CU_ASSERT(contains(err, line, "dlacc run's summary"));
    /* --plan: every host node of the plan's float graph with its reason */
    for (int32_t i = 0; i < p->part.nhost; i++) {
        const DlaHostNode *h = &p->part.host[i];
        CU_ASSERT(h->reason && h->reason[0]);
        snprintf(line, sizeof line, "    host node '%s' (%s): %s\n", h->name, h->op_type, h->reason);
        CU_ASSERT(contains(err, line, "dlacc run --plan"));
    }
    fprintf(stderr, "stats %-16s %-10s segments dla %lld host %lld boundary %lld, MACs dla %lld host %lld, %d host nodes\n",
            net, target, json_uint(&d, "segments.dla"), json_uint(&d, "segments.host"),
            json_uint(&d, "segments.boundary"), md, mh, (int)p->part.nhost);
    dla_plan_free(p);
    onnx_tensor_file_free(&in);
    json_free(&d);
    free(js);
    free(err);
}

static void test_stats_json(void)
{
    for (int i = 0; i < NNETS; i++)
        stats_json_one(nets[i], i % 2 ? "dla-server" : "dla-edge");
}

static void check_target_one(const char *net, const char *target)
{
    const char *w = workdir();
    char model[4096];
    snprintf(model, sizeof model, NETS "/%s/model.onnx", net);
    DlaPartition pt;
    DlaError e = {0};
    OnnxLoadOptions lo = {0};
    CU_ASSERT_EQUAL_FATAL(dla_partition_model(model, target, &lo, &pt, &e), DLA_OK);
    CU_ASSERT(pt.partitioned);
    CU_ASSERT(pt.dla_nodes > 0);

    CU_ASSERT_EQUAL(sh("'%s' check '%s' --target %s --json > '%s/check.json' 2> '%s/check.err'", DLACC, model, target,
                       w, w),
                    0);
    char *js = read_work("check.json");
    JsonDoc d;
    int ok = json_parse(js, &d);
    if (!ok)
        fprintf(stderr, "%s: check --json does not parse: %s\n", net, d.err);
    CU_ASSERT_FATAL(ok);
    const JsonLeaf *t = json_get(&d, "partition.target");
    CU_ASSERT(t && t->is_string && !strcmp(t->value, target));
    CU_ASSERT_EQUAL(json_uint(&d, "partition.dla_nodes"), pt.dla_nodes);
    CU_ASSERT_EQUAL(json_uint(&d, "partition.macs_dla"), (long long)pt.macs_dla);
    CU_ASSERT_EQUAL(json_uint(&d, "partition.macs_host"), (long long)pt.macs_host);
    char path[128];
    for (int32_t i = 0; i <= pt.nhost; i++) {
        static const char *const f[] = {"name", "op_type", "reason"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "partition.host_nodes.%d.%s", (int)i, f[k]);
            const JsonLeaf *l = json_get(&d, path);
            if (i == pt.nhost) { /* no more entries than host nodes */
                CU_ASSERT_PTR_NULL(l);
                continue;
            }
            const char *want = k == 0 ? pt.host[i].name : k == 1 ? pt.host[i].op_type : pt.host[i].reason;
            CU_ASSERT(l && l->is_string && !strcmp(l->value, want));
        }
    }
    json_free(&d);
    free(js);

    /* the text report: one line per host node */
    CU_ASSERT_EQUAL(sh("'%s' check '%s' --target %s > '%s/check.txt' 2>&1", DLACC, model, target, w), 0);
    char *txt = read_work("check.txt");
    char line[512];
    snprintf(line, sizeof line, "partition for %s: %d node%s on the accelerator, %d on the host", target,
             (int)pt.dla_nodes, pt.dla_nodes == 1 ? "" : "s", (int)pt.nhost);
    CU_ASSERT(contains(txt, line, "dlacc check --target"));
    for (int32_t i = 0; i < pt.nhost; i++) {
        snprintf(line, sizeof line, "\n  '%s' (%s): %s\n", pt.host[i].name, pt.host[i].op_type, pt.host[i].reason);
        CU_ASSERT(contains(txt, line, "dlacc check --target"));
    }
    free(txt);
    dla_partition_free(&pt);
}

static void test_check_target(void)
{
    for (int i = 0; i < NNETS; i++)
        check_target_one(nets[i], i % 2 ? "dla-edge" : "dla-server");
    /* a target that does not exist is a usage error, before any work */
    CU_ASSERT_EQUAL(sh("'%s' check '" NETS "/inception_block/model.onnx' --target no-such-target > /dev/null 2> "
                       "'%s/bad.err'",
                       DLACC, workdir()),
                    2);
    char *err = read_work("bad.err");
    CU_ASSERT(contains(err, "no-such-target", "dlacc check --target no-such-target"));
    free(err);
}

/* The graph right after the partition pass (the pipeline up to it). */
static IrGraph *partitioned(const char *net)
{
    char model[4096], passes[1024] = "";
    snprintf(model, sizeof model, NETS "/%s/model.onnx", net);
    for (int i = 0; i <= PASS_PARTITION; i++)
        snprintf(passes + strlen(passes), sizeof passes - strlen(passes), "%s%s", i ? "," : "", pass_name((PassId)i));
    IrGraph *g = NULL;
    DlaError e = {0};
    OnnxLoadOptions lo = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_load(model, &lo, &g, &e), DLA_OK);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.quantize = 1;
    ctx.passes = passes;
    CU_ASSERT_EQUAL_FATAL(pipeline(g, &ctx, &e), DLA_OK);
    return g;
}

/* The reason is quant_dla_supported's; the dump's note carries it; the dump parses. */
static void test_reasons_and_dump(void)
{
    for (int k = 0; k < NNETS; k++) {
        IrGraph *g = partitioned(nets[k]);
        IrPrintOptions po = {.elide_bytes = 64, .node_note = quant_partition_note};
        char *text = NULL;
        size_t len = 0;
        DlaError e = {0};
        CU_ASSERT_EQUAL_FATAL(ir_print_string(g, &po, &text, &len, &e), DLA_OK);
        int nhost = 0;
        for (int32_t n = 0; n < g->nnodes; n++) {
            const IrNode *nd = &g->nodes[n];
            if (nd->dead)
                continue;
            const char *why = NULL, *reason = quant_host_reason(g, n);
            int ok = quant_dla_supported(g, n, &why);
            if (nd->device == IR_DEVICE_DLA) {
                CU_ASSERT_PTR_NULL(reason);
                continue;
            }
            nhost++;
            CU_ASSERT_FATAL(reason != NULL);
            if (!ok)
                CU_ASSERT_STRING_EQUAL(reason, why);
            /* the node's line ends with the note */
            char want[512];
            snprintf(want, sizeof want, "name=\"%s\"", nd->name);
            const char *at = strstr(text, want);
            CU_ASSERT_FATAL(at != NULL);
            const char *eol = strchr(at, '\n');
            snprintf(want, sizeof want, "  # host: %s\n", reason);
            CU_ASSERT(eol && (size_t)(eol + 1 - at) >= strlen(want) && !strncmp(eol + 1 - strlen(want), want, strlen(want)));
        }
        /* a comment: the text still parses, to the same nodes and devices */
        IrGraph *back = NULL;
        DlaStatus st = ir_parse(text, len, "dump", &back, &e);
        if (st)
            fprintf(stderr, "%s: the partition dump does not parse: %s\n", nets[k], e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        CU_ASSERT_EQUAL(back->nnodes, g->nnodes);
        for (int32_t n = 0; n < g->nnodes && n < back->nnodes; n++)
            CU_ASSERT_EQUAL(back->nodes[n].device, g->nodes[n].device);
        fprintf(stderr, "partition %-16s %d host nodes\n", nets[k], nhost);
        ir_graph_free(back);
        free(text);
        ir_graph_free(g);
    }
}

/* The same through `dlacc opt --calib --dump-after=partition`. */
static void test_opt_dump_after_partition(void)
{
    const char *w = workdir();
    const char *net = "inception_block";
    int rc = sh("'%s' opt '" NETS "/%s/model.onnx' --calib '" NETS "/%s/calib' --dump-after=partition -o "
                "'%s/plan.txt' 2> '%s/dump.ir'",
                DLACC, net, net, w, w);
    CU_ASSERT_EQUAL(rc, 0);
    char *dump = read_work("dump.ir");
    CU_ASSERT_FATAL(dump != NULL);
    CU_ASSERT(contains(dump, "# ---- IR after pass 'partition' ----\n", "the partition dump"));
    IrGraph *g = partitioned(net);
    for (int32_t n = 0; n < g->nnodes; n++) {
        const char *reason = quant_host_reason(g, n);
        if (!reason)
            continue;
        char want[512];
        snprintf(want, sizeof want, "name=\"%s\"", g->nodes[n].name);
        const char *at = strstr(dump, want);
        CU_ASSERT_FATAL(at != NULL);
        snprintf(want, sizeof want, "  # host: %s\n", reason);
        const char *note = strstr(at, want);
        CU_ASSERT(note && note < strchr(at, '\n') + 1);
    }
    IrGraph *back = NULL;
    DlaError e = {0};
    CU_ASSERT_EQUAL(ir_parse(dump, strlen(dump), "dump.ir", &back, &e), DLA_OK);
    ir_graph_free(back);
    ir_graph_free(g);
    free(dump);
    /* and the DLA plan still went to -o */
    char *plan = read_work("plan.txt");
    CU_ASSERT(contains(plan, "## DLA segment 0", "plan.txt"));
    free(plan);
}

static void test_cleanup(void)
{
    CU_ASSERT_EQUAL(sh("rm -rf '%s'", workdir()), 0);
}

void dla_register_tests(void)
{
    DLA_SUITE("cli_partition", {"stats_json", test_stats_json}, {"check_target", test_check_target},
              {"reasons_and_dump", test_reasons_and_dump}, {"opt_dump_after_partition", test_opt_dump_after_partition},
              {"cleanup", test_cleanup});
}
