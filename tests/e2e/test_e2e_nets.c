/* test_e2e_nets.c - the test networks of tests/data/nets (tools/gen_test_nets.py:
 * SE/hard-swish, SiLU, channel shuffle, Inception, dense, FPN, detection head)
 * compiled with calibration for one DLA target (NETS_TARGET, set per
 * executable in CMakeLists.txt) and run with --verify semantics.
 *
 * For every network:
 *   - every DLA segment is bit-exact with the integer reference (always);
 *   - (dla-edge executable) the stored float reference output_0.pb is what
 *     the float host path computes, so the SQNR is against the host path;
 *   - one line "NET name target ..." with the plan's segments, host nodes,
 *     SQNR against the float reference (output_0.pb), cycles, utilization.
 * For the networks listed in nets_passing.txt (a ratchet: the op families of
 * issue 9 land one by one, and a network joins the list once it runs whole on
 * the DLA) also:
 *   - the plan is exactly QuantizeLinear -> one DLA segment -> DequantizeLinear,
 *     no host node anywhere;
 *   - SQNR >= the floor the list gives (30 dB unless the line says otherwise).
 * A network not listed that meets all of that is reported ("could join
 * nets_passing.txt"), so that the list can be tightened after a merge. */
#include "e2e_common.h"

#include <ctype.h>

#ifndef NETS_TARGET
#define NETS_TARGET "dla-edge"
#endif

#define NETS_DEFAULT_FLOOR_DB 30.0

/* each kind twice: the _b networks have other widths and odd sizes */
static const char *const nets[] = {"mobile_se_hswish",   "silu_block",     "shuffle_unit",      "inception_block",
                                   "dense_block",        "fpn_topdown",    "detect_head",       "mobile_se_hswish_b",
                                   "silu_block_b",       "shuffle_unit_b", "inception_block_b", "dense_block_b",
                                   "fpn_topdown_b",      "detect_head_b"};
#define NNETS (int)(sizeof nets / sizeof nets[0])

/* nets_passing.txt: "NAME TARGET [FLOOR_DB]" per line, '#' comments. Fills
 * floor[i] for the listed (network, NETS_TARGET) pairs, -1 elsewhere. A line
 * naming an unknown network or target is a failure: a typo must not silently
 * drop a network from the checked set. */
static void read_passing(double *floor)
{
    for (int i = 0; i < NNETS; i++)
        floor[i] = -1;
    const char *path = DLA_SOURCE_DIR "/tests/e2e/nets_passing.txt";
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *h = strchr(line, '#');
        if (h)
            *h = 0;
        char name[128], target[128];
        double fl = NETS_DEFAULT_FLOOR_DB;
        int k = sscanf(line, "%127s %127s %lf", name, target, &fl);
        if (k <= 0)
            continue;
        int known = -1;
        for (int i = 0; i < NNETS; i++)
            if (!strcmp(nets[i], name))
                known = i;
        int target_ok = k >= 2 && (!strcmp(target, "dla-edge") || !strcmp(target, "dla-server"));
        if (known < 0 || !target_ok) {
            fprintf(stderr, "%s:%d: expected 'NETWORK dla-edge|dla-server [FLOOR_DB]' with a network of "
                            "tests/data/nets\n", path, lineno);
            CU_FAIL("nets_passing.txt: bad line");
            continue;
        }
        if (!strcmp(target, NETS_TARGET))
            floor[known] = fl;
    }
    fclose(f);
}

/* The plan's shape: segment counts by kind and host nodes. */
typedef struct NetPlan {
    int dla, host, boundary, host_nodes;
    int whole; /* exactly QuantizeLinear -> DLA -> DequantizeLinear */
} NetPlan;

static NetPlan plan_shape(const DlaPlan *p)
{
    NetPlan s = {0};
    for (int32_t i = 0; i < p->nsegs; i++) {
        const DlaSegment *sg = &p->segs[i];
        s.dla += sg->kind == DLA_SEG_DLA;
        s.boundary += sg->kind == DLA_SEG_BOUNDARY;
        if (sg->kind == DLA_SEG_HOST) {
            s.host++;
            s.host_nodes += sg->nnodes;
        }
    }
    if (p->nsegs == 3 && p->segs[0].kind == DLA_SEG_BOUNDARY && p->segs[1].kind == DLA_SEG_DLA &&
        p->segs[2].kind == DLA_SEG_BOUNDARY && p->segs[0].nnodes == 1 && p->segs[2].nnodes == 1) {
        const IrNode *q = &p->g->nodes[p->segs[0].nodes[0]], *d = &p->g->nodes[p->segs[2].nodes[0]];
        /* the input's quantize feeds the segment, the segment feeds the output's dequantize */
        s.whole = !strcmp(q->op_type, "QuantizeLinear") && !strcmp(d->op_type, "DequantizeLinear") &&
                  q->inputs[0] == p->g->inputs[0] && d->outputs[0] == p->g->outputs[0];
    }
    return s;
}

/* The stored float reference (numpy, tools/gen_test_nets.py) is the host
 * path's output: the SQNR below is against the float host path. Checked on one
 * target only (the host path does not depend on it). */
static void check_reference_is_host_path(const char *dir, const char *name, const char *input, const OnnxTensorFile *ref,
                                         const char *out_name)
{
    char model[8192];
    snprintf(model, sizeof model, "%s/%s/model.onnx", dir, name);
    DlaError e = {0};
    OnnxTensorFile in;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(input, &in, &e), DLA_OK);
    DlaCompileOptions co = {0};
    co.target = NETS_TARGET;
    co.host_opt_level = 0;
    co.bind = &in;
    co.nbind = 1;
    IrGraph *fg = NULL;
    void **vals = NULL;
    DlaStatus st = dla_float_reference(model, &co, &in, 1, &fg, &vals, &e);
    if (st)
        fprintf(stderr, "%s: float host path: %s\n", name, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    int32_t v = ir_value_find(fg, out_name);
    CU_ASSERT_FATAL(v >= 0 && vals[v] != NULL);
    int64_t n = ir_shape_numel(&fg->values[v].shape);
    CU_ASSERT_FATAL((size_t)n * 4 == ref->nbytes);
    const float *got = vals[v], *want = ref->data;
    double maxref = 0, maxdiff = 0;
    for (int64_t k = 0; k < n; k++) {
        maxref = fmax(maxref, fabs(want[k]));
        maxdiff = fmax(maxdiff, fabs((double)got[k] - want[k]));
    }
    if (maxdiff > 1e-4 * maxref + 1e-6)
        fprintf(stderr, "%s: the host path differs from output_0.pb by up to %g (max |ref| %g)\n", name, maxdiff,
                maxref);
    CU_ASSERT(maxdiff <= 1e-4 * maxref + 1e-6);
    dla_float_reference_free(fg, vals);
    onnx_tensor_file_free(&in);
}

static void net_check(int i, double floor)
{
    const char *name = nets[i];
    const char *dir = DLA_SOURCE_DIR "/tests/data/nets";
    char input[8192], ref_path[8192];
    snprintf(input, sizeof input, "%s/%s/test_data_set_0/input_0.pb", dir, name);
    snprintf(ref_path, sizeof ref_path, "%s/%s/test_data_set_0/output_0.pb", dir, name);
    DlaPlan *p = NULL;
    DlaRunResult res;
    E2eFigures f = {0};
    e2e_compile_run_dir(dir, name, NETS_TARGET, NULL, 0, input, 1, &p, &res, &f);
    DlaError e = {0};
    OnnxTensorFile ref;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(ref_path, &ref, &e), DLA_OK);
    const IrValue *ov = &p->g->values[p->g->outputs[0]];
    int64_t n = ir_shape_numel(&ov->shape);
    CU_ASSERT_EQUAL_FATAL(ov->dtype, DT_FLOAT);
    CU_ASSERT_EQUAL_FATAL((size_t)n * 4, ref.nbytes);
    f.sqnr_db = e2e_sqnr(res.outputs[0], ref.data, n);
    if (!strcmp(NETS_TARGET, "dla-edge"))
        check_reference_is_host_path(dir, name, input, &ref, ov->name);
    NetPlan s = plan_shape(p);
    int meets = s.whole && s.host_nodes == 0 && res.qref_mismatches == 0 &&
                f.sqnr_db >= (floor >= 0 ? floor : NETS_DEFAULT_FLOOR_DB);
    fprintf(stderr,
            "NET %-18s %-10s segments dla %d host %d boundary %d  host nodes %3d  SQNR %6.2f dB  cycles %8llu  "
            "util %.3f  %s\n",
            name, NETS_TARGET, s.dla, s.host, s.boundary, s.host_nodes, f.sqnr_db, (unsigned long long)f.cycles,
            f.utilization,
            floor >= 0 ? (meets ? "listed: passes" : "listed: FAILS")
                       : (meets ? "not listed, passes: could join nets_passing.txt" : "not listed"));
    /* what keeps a network from running whole: its host nodes and why */
    for (int32_t k = 0; k < p->part.nhost; k++)
        fprintf(stderr, "    host node '%s' (%s): %s\n", p->part.host[k].name, p->part.host[k].op_type,
                p->part.host[k].reason);
    if (floor >= 0) {
        if (!s.whole || s.host_nodes) {
            fprintf(stderr, "%s on %s: expected QuantizeLinear -> 1 DLA segment -> DequantizeLinear:\n", name,
                    NETS_TARGET);
            dla_plan_print(p, stderr);
        }
        CU_ASSERT(s.whole);
        CU_ASSERT_EQUAL(s.dla, 1);
        CU_ASSERT_EQUAL(s.host, 0);
        CU_ASSERT_EQUAL(s.host_nodes, 0);
        CU_ASSERT(f.sqnr_db >= floor);
    }
    onnx_tensor_file_free(&ref);
    dla_run_result_free(&res);
    dla_plan_free(p);
}

static void test_nets(void)
{
    double floor[NNETS];
    read_passing(floor);
    for (int i = 0; i < NNETS; i++)
        net_check(i, floor[i]);
}

void dla_register_tests(void)
{
    DLA_SUITE("e2e_nets_" NETS_TARGET, {"nets", test_nets});
}
