/* cmd_run_dla.c - `dlacc run MODEL.onnx [--target T] --calib DIR --input IN.pb
 * --output OUT.pb [--input-shape N=dims] [--stats-json FILE]`: compiles the
 * model in memory for a DLA target (backend/compile.h) and runs it: the
 * accelerator segments on the simulator through libdlart, the rest on the
 * host JIT. A summary of cycles, utilization and wall times goes to stderr. */
#include "cli.h"
#include "cli_compile_opts.h"
#include "cmd_run_dla.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/compile.h"
#include "dlart.h"
#include "dla_file.h"

#define RUN_MAX_IO 64

/* The bound on simulated cycles per accelerator run unless --max-cycles says
 * otherwise: far above any real network (resnet50 takes 24 M on dla-edge), low
 * enough that a hostile .dla cannot keep the simulator busy for hours. */
#define RUN_DEFAULT_MAX_CYCLES 10000000000ULL

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dlacc run MODEL.onnx [--target dla-edge|dla-server|FILE.xml] --calib DIR\n"
            "                 --input IN.pb [--input IN2.pb ...] [--output OUT.pb ...]\n"
            "                 [--input-shape NAME=D0,D1,...] [--stats-json FILE] [--calib-method M]\n"
            "                 [--labels LABELS.pb] [--trace TRACE.json] [--verify] [--plan] [--max-cycles N]\n"
            "                 [--reference REF.pb] [--layer-report] [-O0..3]\n"
            "       dlacc run MODEL.onnx --host-only ...   (the host CPU only: dlacc run --host-only --help)\n"
            "  Compiles MODEL for the DLA target in memory (default dla-edge), quantizing it with the\n"
            "  calibration inputs in DIR (every *.pb), and runs it: accelerator parts on the simulator,\n"
            "  the rest on the host (LLVM JIT). Inputs/outputs are serialized onnx.TensorProto files in\n"
            "  graph order. --stats-json writes cycles, MACs, DRAM traffic, roofline cycles, utilization,\n"
            "  wall times and per-layer figures. --verify checks every DLA segment bit for bit against\n"
            "  the integer reference (qref); --plan prints the segments. --labels (int64 class ids, one\n"
            "  per row of the first output) prints the top-1 accuracy. --reference (the float model's\n"
            "  first output on the same input, e.g. ONNX Runtime's test_data_set_0/output_0.pb) prints\n"
            "  the SQNR of the first output against it and the top-1 agreement per row of its last\n"
            "  dimension; --stats-json records both. --trace writes the simulator's\n"
            "  timeline of the last DLA segment run (Chrome trace-event JSON, opens in Perfetto).\n"
            "  --layer-report (implies --verify) prints, per DLA layer, the SQNR of its int8 output\n"
            "  against the float model's value on the same input.\n"
            "  --max-cycles N bounds every accelerator run (default %llu, 10 s of device time at\n"
            "  1 GHz; 0: no bound); a run that would pass it stops with an error.\n",
            (unsigned long long)RUN_DEFAULT_MAX_CYCLES);
}

/* Top-1 accuracy of graph output 0 ([N, classes] float) against N int64
 * labels; -1 (message printed) if the shapes do not fit. */
static double top1_accuracy(const DlaPlan *p, const DlaRunResult *r, const OnnxTensorFile *lab, int64_t *right)
{
    const IrValue *ov = &p->g->values[p->g->outputs[0]];
    if (ov->dtype != DT_FLOAT || ov->shape.rank != 2 || lab->dtype != DT_INT64 || lab->shape.rank != 1 ||
        lab->shape.dims[0] != ov->shape.dims[0]) {
        fprintf(stderr, "dlacc run: --labels needs int64 [N] labels for a float [N, classes] first output\n");
        return -1;
    }
    int64_t n = ov->shape.dims[0], c = ov->shape.dims[1];
    const float *y = r->outputs[0];
    const int64_t *l = lab->data;
    *right = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t b = 0;
        for (int64_t k = 1; k < c; k++)
            if (y[i * c + k] > y[i * c + b])
                b = k;
        *right += b == l[i];
    }
    return n ? (double)*right / (double)n : 0.0;
}

/* How graph output 0 compares with a reference output (--reference). */
typedef struct RunRef {
    int have;
    double sqnr_db;   /* 10 log10(sum ref^2 / sum (got - ref)^2); INFINITY if equal */
    int64_t rows;     /* rows of the last dimension (the batch for [N, classes]) */
    int64_t agree;    /* rows whose argmax is the reference's */
} RunRef;

static int64_t argmax_row(const float *x, int64_t n)
{
    int64_t b = 0;
    for (int64_t k = 1; k < n; k++)
        if (x[k] > x[b])
            b = k;
    return b;
}

/* Fills *out; -1 (message printed) if ref is not a float tensor of output 0's size. */
static int compare_reference(const DlaPlan *p, const DlaRunResult *r, const OnnxTensorFile *ref, RunRef *out)
{
    const IrValue *ov = &p->g->values[p->g->outputs[0]];
    int64_t n = ir_shape_numel(&ov->shape);
    if (ov->dtype != DT_FLOAT || ref->dtype != DT_FLOAT || n <= 0 || ref->nbytes != (size_t)n * sizeof(float)) {
        fprintf(stderr, "dlacc run: --reference needs a float tensor with as many elements as the first output\n");
        return -1;
    }
    const float *got = r->outputs[0], *want = ref->data;
    double sig = 0, err = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)got[i] - want[i];
        sig += (double)want[i] * want[i];
        err += d * d;
    }
    int64_t c = ov->shape.rank ? ov->shape.dims[ov->shape.rank - 1] : 1;
    out->have = 1;
    out->sqnr_db = err > 0 ? 10.0 * log10(sig / err) : INFINITY;
    out->rows = c > 0 ? n / c : 0;
    out->agree = 0;
    for (int64_t i = 0; i < out->rows; i++)
        out->agree += argmax_row(got + i * c, c) == argmax_row(want + i * c, c);
    return 0;
}

static void write_json(FILE *f, const char *model, const DlaPlan *p, const DlartStats *s, const DlaRunResult *r,
                       int verified, double accuracy, const RunRef *ref)
{
    int nh = 0, nb = 0;
    for (int32_t i = 0; i < p->nsegs; i++)
        nh += p->segs[i].kind == DLA_SEG_HOST, nb += p->segs[i].kind == DLA_SEG_BOUNDARY;
    fprintf(f, "{\n  \"model\": ");
    cli_json_string(f, model);
    fprintf(f, ",\n  \"target\": ");
    cli_json_string(f, p->target.name);
    fprintf(f, ",\n  \"segments\": {\"dla\": %d, \"host\": %d, \"boundary\": %d},\n", (int)p->ndla, nh, nb);
    /* MACs of Conv/ConvTranspose/Gemm/MatMul-class nodes per side, from the shapes
     * of the partitioned float graph; "macs" (below) is what the DLA executed */
    fprintf(f, "  \"macs_dla\": %llu,\n  \"macs_host\": %llu,\n", (unsigned long long)p->part.macs_dla,
            (unsigned long long)p->part.macs_host);
    fprintf(f,
            "  \"wall\": {\"compile\": %.6f, \"calibrate\": %.6f, \"simulate\": %.6f, \"host\": %.6f, "
            "\"load\": %.6f, \"quantize\": %.6f, \"lower\": %.6f, \"host_compile\": %.6f},\n",
            p->t_total - p->t_calibrate, p->t_calibrate, r->t_simulate, r->t_host, p->t_load, p->t_quantize, p->t_lower,
            p->t_host_compile);
    if (accuracy >= 0)
        fprintf(f, "  \"accuracy\": %.6f,\n", accuracy);
    if (ref->have) {
        fprintf(f, "  \"reference\": {\"sqnr_db\": ");
        if (isfinite(ref->sqnr_db))
            fprintf(f, "%.4f", ref->sqnr_db);
        else
            fprintf(f, "null"); /* bit-equal to the reference: no finite SQNR */
        fprintf(f, ", \"rows\": %lld, \"top1_agree\": %lld},\n", (long long)ref->rows, (long long)ref->agree);
    }
    if (verified)
        fprintf(f, "  \"qref\": {\"bytes\": %llu, \"mismatches\": %llu},\n", (unsigned long long)r->qref_bytes,
                (unsigned long long)r->qref_mismatches);
    dlart_stats_write_json(s, f, 2);
    fprintf(f, "}\n");
}

int cmd_run_dla(int argc, char **argv)
{
    const char *model = NULL, *inputs[RUN_MAX_IO], *outputs[RUN_MAX_IO], *stats_json = NULL, *labels = NULL,
               *trace = NULL, *reference = NULL, *v;
    int nin = 0, nout = 0, opt = 2, verify = 0, report = 0;
    unsigned long long max_cycles = RUN_DEFAULT_MAX_CYCLES;
    CliCompileOpts opts = {0};
    DlaError err = {0};
    int rc = 0;
    /* This command's own options that only take a file name. */
    const CliStrOpt files[] = {{"--stats-json", &stats_json}, {"--trace", &trace}, {"--labels", &labels},
                               {"--reference", &reference}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int m;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            cli_compile_opts_free(&opts);
            return 0;
        } else if ((m = cli_opt_value(argc, argv, &i, "--input", &v)) != 0 ||
                   (m = cli_opt_value(argc, argv, &i, "-i", &v)) != 0) {
            if (m < 0 || nin == RUN_MAX_IO)
                goto bad_usage;
            inputs[nin++] = v;
        } else if ((m = cli_opt_value(argc, argv, &i, "--output", &v)) != 0 ||
                   (m = cli_opt_value(argc, argv, &i, "-o", &v)) != 0) {
            if (m < 0 || nout == RUN_MAX_IO)
                goto bad_usage;
            outputs[nout++] = v;
        } else if ((m = cli_compile_opt(argc, argv, &i, &opts)) != CLI_OPT_OTHER) {
            if (m == CLI_OPT_USAGE)
                goto bad_usage;
            if (m == CLI_OPT_FAILED) {
                cli_compile_opts_free(&opts);
                return 2;
            }
        } else if ((m = cli_opt_value(argc, argv, &i, "--max-cycles", &v)) != 0) {
            if (m < 0)
                goto bad_usage;
            char *end = NULL;
            errno = 0;
            max_cycles = strtoull(v, &end, 10);
            if (!v[0] || v[0] < '0' || v[0] > '9' || *end || errno) {
                fprintf(stderr, "dlacc run: --max-cycles takes a whole number of cycles (0: no bound), not '%s'\n", v);
                cli_compile_opts_free(&opts);
                return 2;
            }
        } else if (!strcmp(a, "--verify")) {
            verify = 1;
        } else if (!strcmp(a, "--layer-report")) {
            report = verify = 1;
        } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
            opt = a[2] - '0';
        } else if ((m = cli_opt_strings(argc, argv, &i, files, sizeof files / sizeof files[0])) != 0) {
            if (m < 0)
                goto bad_usage;
        } else if (a[0] != '-' && !model) {
            model = a;
        } else {
            fprintf(stderr, "dlacc run: unexpected argument '%s'\n", a);
            goto bad_usage;
        }
    }
    if (!model) {
    bad_usage:
        usage(stderr);
        cli_compile_opts_free(&opts);
        return 2;
    }
    /* Before any work: no output may overwrite a file this run reads. */
    const char *reads[RUN_MAX_IO + 3], *writes[RUN_MAX_IO + 2];
    int nreads = 0, nwrites = 0;
    reads[nreads++] = model;
    reads[nreads++] = labels;
    reads[nreads++] = reference;
    for (int k = 0; k < nin; k++)
        reads[nreads++] = inputs[k];
    writes[nwrites++] = stats_json;
    writes[nwrites++] = trace;
    for (int k = 0; k < nout; k++)
        writes[nwrites++] = outputs[k];
    if (!cli_outputs_ok("run", writes, nwrites, reads, nreads, NULL)) {
        cli_compile_opts_free(&opts);
        return 2;
    }
    OnnxTensorFile tin[RUN_MAX_IO];
    memset(tin, 0, sizeof tin);
    for (int i = 0; i < nin; i++)
        if (onnx_tensor_read(inputs[i], &tin[i], &err)) {
            cli_report(&err);
            rc = cli_exit_code(err.code);
            nin = i;
            goto out;
        }
    DlaCompileOptions co = {0};
    cli_compile_opts_apply(&opts, &co);
    co.host_opt_level = opt;
    co.bind = tin;
    co.nbind = nin;
    DlaPlan *p = NULL;
    DlaStatus st;
    if ((rc = cli_compile_plan(model, &opts, &co, &p)))
        goto out;
    if (nout > p->g->noutputs) {
        fprintf(stderr, "dlacc run: %d --output files for %d graph outputs\n", nout, (int)p->g->noutputs);
        rc = 2;
        goto out_plan;
    }
    DlartDevice *dev = NULL;
    DlartProgram *rp = NULL;
    if ((st = dlart_device_open_sim(&p->target, max_cycles, &dev, &err)) ||
        (p->ndla && (st = dlart_program_load(dev, &p->prog, &rp, &err)))) {
        cli_report(&err);
        rc = cli_exit_code(st);
        goto out_dev;
    }
    if (rp)
        dlart_set_compulsory_bytes(rp, p->compulsory, p->prog.nlayers);
    if (trace)
        dlart_device_set_trace(dev, 1);
    DlaRunOptions ro = {0};
    ro.verify_qref = verify;
    IrGraph *fg = NULL;
    void **fvals = NULL;
    if (report) {
        if ((st = dla_float_reference(model, &co, tin, nin, &fg, &fvals, &err))) {
            cli_report(&err);
            rc = cli_exit_code(st);
            goto out_dev;
        }
        ro.float_graph = fg;
        ro.float_vals = fvals;
        ro.layer_report = stderr;
        fprintf(stderr, "dlacc run: per-layer SQNR of the int8 values against the float model:\n");
    }
    DlaRunResult res;
    st = dla_plan_run(p, rp, tin, nin, &ro, &res, &err);
    dla_float_reference_free(fg, fvals);
    if (st) {
        cli_report(&err);
        rc = cli_exit_code(st);
        goto out_dev;
    }
    for (int k = 0; k < nout && !rc; k++) {
        const IrValue *ov = &p->g->values[p->g->outputs[k]];
        size_t nb = (size_t)ir_shape_numel(&ov->shape) * ir_dtype_size(ov->dtype);
        if (onnx_tensor_write(outputs[k], ov->name, ov->dtype, &ov->shape, res.outputs[k], nb, &err)) {
            cli_report(&err);
            rc = cli_exit_code(err.code);
        }
    }
    DlartStats empty = {0};
    empty.peak_macs_per_cycle = (uint64_t)p->target.gemm_rows * p->target.gemm_cols;
    const DlartStats *s = rp ? dlart_stats(rp) : &empty;
    int nh = 0, nb = 0;
    for (int32_t i = 0; i < p->nsegs; i++)
        nh += p->segs[i].kind == DLA_SEG_HOST, nb += p->segs[i].kind == DLA_SEG_BOUNDARY;
    fprintf(stderr,
            "dlacc run: %s on %s: %d DLA segment%s (segments dla %d, host %d, boundary %d; MACs dla %llu, host %llu), "
            "%llu cycles (%.3f ms at %.0f MHz), %llu MACs, utilization %.3f, roofline %.0f cycles (%.1f%% of it "
            "reached)\n",
            model, p->target.name, (int)p->ndla, p->ndla == 1 ? "" : "s", (int)p->ndla, nh, nb,
            (unsigned long long)p->part.macs_dla, (unsigned long long)p->part.macs_host, (unsigned long long)s->cycles,
            1e3 * (double)s->cycles / (double)p->target.clock_hz, (double)p->target.clock_hz / 1e6,
            (unsigned long long)s->macs, s->utilization, s->roofline_cycles,
            s->cycles ? 100.0 * s->roofline_cycles / (double)s->cycles : 0.0);
    fprintf(stderr, "dlacc run: wall: compile %.3f s (calibrate %.3f s), simulate %.3f s, host %.3f s\n",
            p->t_total - p->t_calibrate, p->t_calibrate, res.t_simulate, res.t_host);
    if (verify) {
        fprintf(stderr, "dlacc run: qref check: %llu int8 bytes compared, %llu differ%s%s\n",
                (unsigned long long)res.qref_bytes, (unsigned long long)res.qref_mismatches,
                res.qref_first[0] ? ": first " : "", res.qref_first);
        if (res.qref_mismatches && !rc)
            rc = 1;
    }
    double accuracy = -1;
    if (labels) {
        OnnxTensorFile lab;
        int64_t right = 0;
        if (onnx_tensor_read(labels, &lab, &err)) {
            cli_report(&err);
            rc = rc ? rc : cli_exit_code(err.code);
        } else {
            accuracy = top1_accuracy(p, &res, &lab, &right);
            if (accuracy < 0)
                rc = rc ? rc : 2;
            else
                fprintf(stderr, "dlacc run: top-1 accuracy %.4f (%lld of %lld)\n", accuracy, (long long)right,
                        (long long)lab.shape.dims[0]);
            onnx_tensor_file_free(&lab);
        }
    }
    RunRef cmp = {0};
    if (reference) {
        OnnxTensorFile ref;
        if (onnx_tensor_read(reference, &ref, &err)) {
            cli_report(&err);
            rc = rc ? rc : cli_exit_code(err.code);
        } else {
            if (compare_reference(p, &res, &ref, &cmp))
                rc = rc ? rc : 2;
            else
                fprintf(stderr, "dlacc run: against %s: SQNR %.2f dB, top-1 agrees on %lld of %lld rows\n", reference,
                        cmp.sqnr_db, (long long)cmp.agree, (long long)cmp.rows);
            onnx_tensor_file_free(&ref);
        }
    }
    if (trace && rp) {
        DlaOutFile o;
        DlaStatus ts = dla_out_open(&o, trace, &err);
        if (!ts)
            ts = dlart_device_write_trace(dev, o.f, &err);
        DlaStatus cs = dla_out_close(&o, !ts, &err);
        ts = ts ? ts : cs;
        if (ts) {
            if (err.msg[0])
                cli_report(&err);
            else
                fprintf(stderr, "dlacc run: cannot write %s\n", trace);
            rc = rc ? rc : 2;
        }
    }
    if (stats_json) {
        DlaOutFile o;
        DlaStatus js = dla_out_open(&o, stats_json, &err);
        if (!js) {
            write_json(o.f, model, p, s, &res, verify, accuracy, &cmp);
            js = dla_out_close(&o, 1, &err);
        }
        if (js) {
            cli_report(&err);
            rc = rc ? rc : 2;
        }
    }
    dla_run_result_free(&res);
out_dev:
    dlart_program_free(rp);
    dlart_device_free(dev);
out_plan:
    dla_plan_free(p);
out:
    for (int i = 0; i < nin; i++)
        onnx_tensor_file_free(&tin[i]);
    cli_compile_opts_free(&opts);
    return rc;
}
