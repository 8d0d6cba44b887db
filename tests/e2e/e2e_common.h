/* e2e_common.h - the end-to-end check shared by tests/e2e/test_e2e_*.c: a
 * zoo model compiled for a DLA target (calibration, partition, quantization,
 * lowering, host JIT), run on its test input through libdlart + the host
 * code, and checked three ways:
 *   1. every DLA segment's int8 outputs equal, bit for bit, the integer
 *      reference (qref) of the same quantized nodes on the same int8 inputs;
 *   2. top-1 agrees with ONNX Runtime's reference output;
 *   3. the SQNR against that reference is printed (and must be positive:
 *      the int8 model says something about the float one).
 * Also the written .dla: it reloads from a file and gives the same outputs. */
#ifndef DLA_E2E_COMMON_H
#define DLA_E2E_COMMON_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/compile.h"
#include "dla_mem.h"
#include "dla_test.h"
#include "dlart.h"
#include "isa/dla_format.h"

typedef struct E2eFigures {
    double sqnr_db;
    int top1_agree;
    uint64_t cycles;
    double roofline, utilization;
    double t_compile, t_calibrate, t_simulate, t_host;
    int ndla;
} E2eFigures;

static inline int64_t e2e_argmax(const float *x, int64_t n)
{
    int64_t b = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[b])
            b = i;
    return b;
}

static inline double e2e_sqnr(const float *got, const float *ref, int64_t n)
{
    double s = 0, e = 0;
    for (int64_t i = 0; i < n; i++) {
        s += (double)ref[i] * ref[i];
        e += ((double)got[i] - ref[i]) * ((double)got[i] - ref[i]);
    }
    return e > 0 ? 10.0 * log10(s / e) : INFINITY;
}

/* Compile model dir/name/model.onnx (calibration inputs in dir/name/calib) for
 * target, run it on input_path; fills outputs (caller frees res). */
static inline void e2e_compile_run_dir(const char *zoo, const char *name, const char *target,
                                       const OnnxInputShape *shapes, int nshapes, const char *input_path, int verify,
                                       DlaPlan **plan, DlaRunResult *res, E2eFigures *fig)
{
    char model[8192], calib[8192];
    snprintf(model, sizeof model, "%s/%s/model.onnx", zoo, name);
    snprintf(calib, sizeof calib, "%s/%s/calib", zoo, name);
    DlaError e = {0};
    OnnxTensorFile in;
    memset(&in, 0, sizeof in);
    DlaStatus st = onnx_tensor_read(input_path, &in, &e);
    if (st)
        fprintf(stderr, "%s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    DlaCompileOptions co = {0};
    co.target = target;
    co.calib_dir = calib;
    co.shapes = shapes;
    co.nshapes = nshapes;
    co.host_opt_level = 2;
    co.bind = &in;
    co.nbind = 1;
    DlaPlan *p = NULL;
    st = dla_compile(model, &co, &p, &e);
    if (st)
        fprintf(stderr, "compile %s for %s: %s\n", name, target, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_FATAL(p->ndla >= 1);
    DlartDevice *dev;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&p->target, 0, &dev, &e), DLA_OK);
    DlartProgram *rp;
    CU_ASSERT_EQUAL_FATAL(dlart_program_load(dev, &p->prog, &rp, &e), DLA_OK);
    dlart_set_compulsory_bytes(rp, p->compulsory, p->prog.nlayers);
    DlaRunOptions ro = {0};
    ro.verify_qref = verify;
    st = dla_plan_run(p, rp, &in, 1, &ro, res, &e);
    if (st)
        fprintf(stderr, "run %s on %s: %s\n", name, target, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    if (verify) {
        if (res->qref_mismatches)
            fprintf(stderr, "%s on %s: %llu of %llu int8 bytes differ from qref: %s\n", name, target,
                    (unsigned long long)res->qref_mismatches, (unsigned long long)res->qref_bytes, res->qref_first);
        CU_ASSERT(res->qref_bytes > 0);
        CU_ASSERT_EQUAL(res->qref_mismatches, 0);
    }
    const DlartStats *s = dlart_stats(rp);
    CU_ASSERT(s->cycles > 0);
    CU_ASSERT(s->macs > 0);
    CU_ASSERT(s->roofline_cycles > 0 && s->roofline_cycles <= (double)s->cycles);
    CU_ASSERT(s->utilization > 0 && s->utilization <= 1.0);
    CU_ASSERT_EQUAL(s->runs, (uint64_t)p->ndla);
    fig->cycles = s->cycles;
    fig->roofline = s->roofline_cycles;
    fig->utilization = s->utilization;
    fig->t_compile = p->t_total - p->t_calibrate;
    fig->t_calibrate = p->t_calibrate;
    fig->t_simulate = res->t_simulate;
    fig->t_host = res->t_host;
    fig->ndla = p->ndla;
    dlart_program_free(rp);
    dlart_device_free(dev);
    onnx_tensor_file_free(&in);
    *plan = p;
}

/* e2e_compile_run_dir on the zoo model `name`. Returns 0 when the zoo is absent. */
static inline int e2e_compile_run(const char *name, const char *target, const OnnxInputShape *shapes, int nshapes,
                           const char *input_path, int verify, DlaPlan **plan, DlaRunResult *res, E2eFigures *fig)
{
    const char *zoo = dla_test_models_dir();
    if (!zoo)
        return 0;
    e2e_compile_run_dir(zoo, name, target, shapes, nshapes, input_path, verify, plan, res, fig);
    return 1;
}

/* The whole check for one zoo model on one target; want_dla >= 0: exactly
 * that many DLA segments and nothing on the host but boundaries. */
static inline void e2e_model_segs(const char *name, const char *target, int want_dla)
{
    const char *zoo = dla_test_models_dir();
    if (!zoo)
        return;
    char input[8192], ref_path[8192];
    snprintf(input, sizeof input, "%s/%s/test_data_set_0/input_0.pb", zoo, name);
    snprintf(ref_path, sizeof ref_path, "%s/%s/test_data_set_0/output_0.pb", zoo, name);
    DlaPlan *p = NULL;
    DlaRunResult res;
    E2eFigures f = {0};
    if (!e2e_compile_run(name, target, NULL, 0, input, 1, &p, &res, &f))
        return;
    DlaError e = {0};
    OnnxTensorFile ref;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(ref_path, &ref, &e), DLA_OK);
    const IrValue *ov = &p->g->values[p->g->outputs[0]];
    int64_t n = ir_shape_numel(&ov->shape);
    CU_ASSERT_EQUAL_FATAL(ov->dtype, DT_FLOAT);
    CU_ASSERT_EQUAL_FATAL((size_t)n * 4, ref.nbytes);
    const float *got = res.outputs[0], *want = ref.data;
    f.sqnr_db = e2e_sqnr(got, want, n);
    f.top1_agree = e2e_argmax(got, n) == e2e_argmax(want, n);
    fprintf(stderr,
            "E2E %-14s %-10s top1 %s  SQNR %6.2f dB  %d DLA seg  cycles %10llu  roofline %10.0f  util %.3f  wall: "
            "compile %.2f s calibrate %.2f s simulate %.3f s host %.3f s\n",
            name, target, f.top1_agree ? "agrees" : "DIFFERS", f.sqnr_db, f.ndla, (unsigned long long)f.cycles,
            f.roofline, f.utilization, f.t_compile, f.t_calibrate, f.t_simulate, f.t_host);
    CU_ASSERT(f.top1_agree);
    CU_ASSERT(f.sqnr_db > 10.0);
    if (want_dla >= 0) {
        CU_ASSERT_EQUAL(f.ndla, want_dla);
        for (int32_t s = 0; s < p->nsegs; s++)
            CU_ASSERT(p->segs[s].kind != DLA_SEG_HOST);
    }

    /* the .dla file (what `dlacc MODEL -o PREFIX` writes) runs the same */
    char path[8192];
    snprintf(path, sizeof path, "%s/e2e_%s_%s_%d.dla", DLA_BINARY_DIR, name, target, (int)getpid());
    CU_ASSERT_EQUAL_FATAL(dla_program_write(&p->prog, path, &e), DLA_OK);
    DlartDevice *dev;
    CU_ASSERT_EQUAL_FATAL(dlart_device_open_sim(&p->target, 0, &dev, &e), DLA_OK);
    DlartProgram *rp;
    DlaStatus st = dlart_program_load_file(dev, path, &rp, &e);
    if (st)
        fprintf(stderr, "%s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(dlart_segment_count(rp), (uint32_t)p->ndla);
    /* the file's SEGMENTS table is the plan: every segment in order, DLA ones
     * with the tensors the driver exchanges (by index) */
    const DlaProgram *img = dlart_program_image(rp);
    CU_ASSERT_EQUAL_FATAL(img->nsegments, (uint32_t)p->nsegs);
    for (int32_t s = 0; s < p->nsegs; s++) {
        const DlaSegment *sg = &p->segs[s];
        const DlaSegmentDesc *d = &img->segments[s];
        CU_ASSERT_EQUAL(d->kind, (uint32_t)sg->kind);
        if (sg->kind != DLA_SEG_DLA)
            continue;
        uint32_t nt;
        const uint32_t *tl = dlart_segment_tensors(rp, sg->dla_index, &nt);
        CU_ASSERT(nt == d->ntensors && !memcmp(tl, d->tensors, nt * sizeof *tl));
        for (int32_t i = 0; i < sg->nin + sg->nout; i++) {
            int32_t t = i < sg->nin ? sg->in_tensor[i] : sg->out_tensor[i - sg->nin];
            int found = 0;
            for (uint32_t j = 0; j < nt; j++)
                found |= tl[j] == (uint32_t)t;
            CU_ASSERT(found);
        }
    }
    OnnxTensorFile in;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(input, &in, &e), DLA_OK);
    DlaRunResult r2;
    DlaRunOptions ro = {0};
    CU_ASSERT_EQUAL_FATAL(dla_plan_run(p, rp, &in, 1, &ro, &r2, &e), DLA_OK);
    CU_ASSERT_EQUAL(memcmp(r2.outputs[0], res.outputs[0], (size_t)n * 4), 0);
    dla_run_result_free(&r2);
    onnx_tensor_file_free(&in);
    dlart_program_free(rp);
    dlart_device_free(dev);
    remove(path);

    onnx_tensor_file_free(&ref);
    dla_run_result_free(&res);
    dla_plan_free(p);
}

static inline void e2e_model(const char *name, const char *target) { e2e_model_segs(name, target, -1); }

/* e2e_model for the heavy models (resnet18, mobilenet_v2): skipped in the
 * sanitizer build, where the suite runs digits_cnn and squeezenet1_1 only
 * (time). */
static inline void e2e_heavy_model(const char *name, const char *target)
{
#ifdef DLA_SANITIZE
    dla_test_skip("%s/%s: end to end is left out of the sanitizer build (time; digits_cnn and squeezenet1_1 run "
                  "there)",
                  name, target);
#else
    e2e_model(name, target);
#endif
}

#endif
