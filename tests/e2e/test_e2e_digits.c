/* test_e2e_digits.c - digits_cnn end to end on dla-edge and dla-server
 * (e2e_common.h), and its int8 top-1 accuracy on the 397 labelled test
 * images in one batch (--input-shape input=397,1,8,8).
 *
 * The float accuracy is measured here, on the host path, and must match the
 * dataset's own figure (dataset/float_accuracy.txt, 0.9975 under ONNX Runtime)
 * within one image; int8 may lose at most half a point against it (two images
 * of 397). */
#include "e2e_common.h"
#include "dlacc.h"
#include "driver/host_session.h"

static int64_t count_right(const float *y, int64_t classes, const int64_t *l, int64_t n)
{
    int64_t right = 0;
    for (int64_t i = 0; i < n; i++)
        right += e2e_argmax(y + i * classes, classes) == l[i];
    return right;
}

/* Float accuracy of the model on the test images through the host JIT. */
static double float_accuracy(const char *zoo, const OnnxInputShape *sh, const OnnxTensorFile *img,
                             const OnnxTensorFile *lab)
{
    char model[8192];
    snprintf(model, sizeof model, "%s/digits_cnn/model.onnx", zoo);
    HostSessionOptions so = {sh, 1, img, 1, 0, 2};
    HostSession s;
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(host_session_open(model, &so, &s, &e), DLA_OK);
    void *out[1];
    CU_ASSERT_EQUAL_FATAL(host_session_run(&s, img, 1, out, &e), DLA_OK);
    int64_t classes = s.g->values[s.g->outputs[0]].shape.dims[1];
    double acc = (double)count_right(out[0], classes, lab->data, 397) / 397.0;
    free(out[0]);
    host_session_close(&s);
    return acc;
}

/* The float accuracy the zoo states for the model (dataset/float_accuracy.txt). */
static double dataset_accuracy(const char *zoo)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/digits_cnn/dataset/float_accuracy.txt", zoo);
    FILE *f = fopen(path, "r");
    double a = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fscanf(f, "%lf", &a), 1);
    fclose(f);
    return a;
}

static void test_edge(void) { e2e_model("digits_cnn", "dla-edge"); }
static void test_server(void) { e2e_model("digits_cnn", "dla-server"); }

static void accuracy(const char *target)
{
    const char *zoo = dla_test_models_dir();
    if (!zoo)
        return;
    char images[8192], labels[8192];
    snprintf(images, sizeof images, "%s/digits_cnn/dataset/test_images.pb", zoo);
    snprintf(labels, sizeof labels, "%s/digits_cnn/dataset/test_labels.pb", zoo);
    OnnxInputShape sh;
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(onnx_parse_input_shape("input=397,1,8,8", &sh, &e), DLA_OK);
    DlaPlan *p = NULL;
    DlaRunResult res;
    E2eFigures f = {0};
    if (!e2e_compile_run("digits_cnn", target, &sh, 1, images, 1, &p, &res, &f))
        return;
    OnnxTensorFile lab;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(labels, &lab, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(lab.dtype, DT_INT64);
    CU_ASSERT_EQUAL_FATAL(lab.shape.dims[0], 397);
    const IrValue *ov = &p->g->values[p->g->outputs[0]];
    CU_ASSERT_EQUAL_FATAL(ov->shape.dims[0], 397);
    int64_t classes = ov->shape.dims[1];
    int64_t right = count_right(res.outputs[0], classes, lab.data, 397);
    double acc = (double)right / 397.0;
    OnnxTensorFile img;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(images, &img, &e), DLA_OK);
    double facc = float_accuracy(zoo, &sh, &img, &lab);
    double ref = dataset_accuracy(zoo);
    onnx_tensor_file_free(&img);
    fprintf(stderr,
            "E2E digits_cnn %-10s int8 accuracy %.4f (%lld/397), float (host path) %.4f, difference %+.2f points "
            "(dataset/float_accuracy.txt: %.4f)  cycles %llu  util %.3f\n",
            target, acc, (long long)right, facc, 100.0 * (acc - facc), ref, (unsigned long long)f.cycles,
            f.utilization);
    CU_ASSERT(fabs(facc - ref) <= 1.0 / 397 + 1e-9);
    CU_ASSERT(acc >= facc - 0.005);
    onnx_tensor_file_free(&lab);
    dla_run_result_free(&res);
    dla_plan_free(p);
}

static void test_accuracy_edge(void) { accuracy("dla-edge"); }
static void test_accuracy_server(void) { accuracy("dla-server"); }

/* A float model without calibration data is refused with a message that says what to pass. */
static void test_needs_calib(void)
{
    const char *zoo = dla_test_models_dir();
    if (!zoo)
        return;
    char model[8192];
    snprintf(model, sizeof model, "%s/digits_cnn/model.onnx", zoo);
    DlaCompileOptions co = {0};
    DlaPlan *p = NULL;
    DlaError e = {0};
    CU_ASSERT_EQUAL(dla_compile(model, &co, &p, &e), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--calib DIR"));
    CU_ASSERT_PTR_NULL(p);
}

/* The public API (include/dlacc.h) on the test input: same top-1 as the
 * reference, a .dla written, statistics, info queries, errors. */
static void test_public_api(void)
{
    const char *zoo = dla_test_models_dir();
    if (!zoo)
        return;
    char model[8192], calib[8192], input[8192], ref[8192], dla[8192];
    snprintf(model, sizeof model, "%s/digits_cnn/model.onnx", zoo);
    snprintf(calib, sizeof calib, "%s/digits_cnn/calib", zoo);
    snprintf(input, sizeof input, "%s/digits_cnn/test_data_set_0/input_0.pb", zoo);
    snprintf(ref, sizeof ref, "%s/digits_cnn/test_data_set_0/output_0.pb", zoo);
    snprintf(dla, sizeof dla, "%s/e2e_api_%d.dla", DLA_BINARY_DIR, (int)getpid());
    const char *shapes[1] = {"input=1,1,8,8"};
    DlaccOptions o;
    dlacc_options_init(&o);
    o.target = "dla-server";
    o.calib_dir = calib;
    o.input_shapes = shapes;
    o.ninput_shapes = 1;
    o.host_opt_level = 2;
    DlaccModel *m = NULL;
    DlaError e = {0};
    DlaStatus st = dlacc_compile(model, &o, &m, &e);
    if (st)
        fprintf(stderr, "dlacc_compile: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL(dlacc_num_inputs(m), 1);
    CU_ASSERT_EQUAL(dlacc_num_outputs(m), 1);
    int dt, rank;
    const int64_t *dims;
    CU_ASSERT_STRING_EQUAL(dlacc_input_info(m, 0, &dt, &rank, &dims), "input");
    CU_ASSERT_EQUAL(dt, DT_FLOAT);
    CU_ASSERT_EQUAL(rank, 4);
    CU_ASSERT_EQUAL(dims[0], 1);
    CU_ASSERT_EQUAL(dlacc_input_bytes(m, 0), 64 * 4);
    CU_ASSERT_EQUAL(dlacc_output_bytes(m, 0), 10 * 4);
    CU_ASSERT_PTR_NULL(dlacc_input_info(m, 1, NULL, NULL, NULL));
    CU_ASSERT_PTR_NOT_NULL(dlacc_program(m));
    CU_ASSERT_EQUAL(dlacc_write_dla(m, dla, &e), DLA_OK);
    CU_ASSERT(dla_path_exists(dla));
    remove(dla);
    OnnxTensorFile in, want;
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(input, &in, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(ref, &want, &e), DLA_OK);
    float out[10];
    const void *ins[1] = {in.data};
    void *outs[1] = {out};
    CU_ASSERT_EQUAL_FATAL(dlacc_run(m, ins, outs, &e), DLA_OK);
    CU_ASSERT_EQUAL(e2e_argmax(out, 10), e2e_argmax(want.data, 10));
    CU_ASSERT(e2e_sqnr(out, want.data, 10) > 20.0);
    const DlartStats *s = dlacc_stats(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->runs, 1);
    CU_ASSERT_EQUAL(s->peak_macs_per_cycle, 4096);
    DlaccTimes t = dlacc_times(m);
    CU_ASSERT(t.calibrate > 0 && t.simulate > 0);
    onnx_tensor_file_free(&in);
    onnx_tensor_file_free(&want);
    dlacc_free(m);
    /* a bad --input-shape string and an unknown target are errors with messages */
    const char *bad[1] = {"input=1,x"};
    o.input_shapes = bad;
    CU_ASSERT_NOT_EQUAL(dlacc_compile(model, &o, &m, &e), DLA_OK);
    CU_ASSERT_PTR_NULL(m);
    dla_error_clear(&e);
    o.input_shapes = shapes;
    o.target = "no-such-target";
    CU_ASSERT_NOT_EQUAL(dlacc_compile(model, &o, &m, &e), DLA_OK);
    CU_ASSERT(e.msg[0] != 0);
}

void dla_register_tests(void)
{
    DLA_SUITE("e2e digits_cnn", {"dla-edge", test_edge}, {"dla-server", test_server},
              {"accuracy on 397 images, dla-edge", test_accuracy_edge},
              {"accuracy on 397 images, dla-server", test_accuracy_server},
              {"float model without --calib", test_needs_calib}, {"public API (dlacc.h)", test_public_api});
}
