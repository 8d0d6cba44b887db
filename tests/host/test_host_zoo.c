/* test_host_zoo.c - every model of the shared zoo through the host backend
 * (load, infer shapes, JIT, run on test_data_set_0) against the ONNX Runtime
 * reference output: |got - want| <= 1e-4 + 1e-3 * |want| for every element.
 * Prints per-model max absolute and relative error and the timings. */
#include "dla_test.h"
#include "driver/host_session.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ZOO_RTOL 1e-3
#define ZOO_ATOL 1e-4

static void run_model(const char *dir, const char *name)
{
    char model[4096], in0[4096], out0[4096];
    snprintf(model, sizeof model, "%s/%s/model.onnx", dir, name);
    snprintf(in0, sizeof in0, "%s/%s/test_data_set_0/input_0.pb", dir, name);
    snprintf(out0, sizeof out0, "%s/%s/test_data_set_0/output_0.pb", dir, name);
    if (!dla_path_exists(model)) {
        dla_test_skip("%s is absent", model);
        return;
    }
    OnnxTensorFile in, want;
    DlaError err = {0};
    CU_ASSERT_FATAL(onnx_tensor_read(in0, &in, &err) == DLA_OK);
    CU_ASSERT_FATAL(onnx_tensor_read(out0, &want, &err) == DLA_OK);
    HostSession s;
    HostSessionOptions so = {NULL, 0, &in, 1, 0, 2};
    DlaStatus st = host_session_open(model, &so, &s, &err);
    if (st)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    CU_ASSERT_FATAL(st == DLA_OK);
    void *out[16];
    CU_ASSERT_FATAL(s.g->noutputs >= 1 && s.g->noutputs <= 16);
    double t0 = host_now();
    CU_ASSERT_FATAL(host_session_run(&s, &in, 1, out, &err) == DLA_OK);
    double t_run = host_now() - t0;
    const IrValue *v = &s.g->values[s.g->outputs[0]];
    CU_ASSERT(v->dtype == DT_FLOAT && want.dtype == DT_FLOAT);
    CU_ASSERT(ir_shape_equal(&v->shape, &want.shape));
    size_t n = (size_t)ir_shape_numel(&want.shape);
    const float *g = out[0], *w = want.data;
    double maxabs = 0, maxrel = 0;
    size_t bad = 0;
    for (size_t i = 0; i < n && v->dtype == DT_FLOAT; i++) {
        double d = fabs((double)g[i] - w[i]);
        maxabs = fmax(maxabs, d);
        if (fabs(w[i]) > 1e-6)
            maxrel = fmax(maxrel, d / fabs(w[i]));
        bad += !(d <= ZOO_ATOL + ZOO_RTOL * fabs(w[i]));
    }
    fprintf(stderr, "zoo %-14s max abs err %.3g, max rel err %.3g (|want| > 1e-6), %zu/%zu out of tolerance; "
                    "compile %.2f s, run %.3f s\n", name, maxabs, maxrel, bad, n, s.t_compile, t_run);
    CU_ASSERT(bad == 0);
    for (int k = 0; k < s.g->noutputs; k++)
        free(out[k]);
    host_session_close(&s);
    onnx_tensor_file_free(&in);
    onnx_tensor_file_free(&want);
}

#define ZOO_TEST(m) \
    static void test_##m(void) { const char *d = dla_test_models_dir(); if (d) run_model(d, #m); }
ZOO_TEST(digits_cnn)
ZOO_TEST(tiny_encoder)
ZOO_TEST(squeezenet1_1)
ZOO_TEST(mobilenet_v2)
ZOO_TEST(resnet18)
ZOO_TEST(resnet50)

void dla_register_tests(void)
{
    DLA_SUITE("host_zoo", {"digits_cnn", test_digits_cnn}, {"tiny_encoder", test_tiny_encoder},
              {"squeezenet1_1", test_squeezenet1_1}, {"mobilenet_v2", test_mobilenet_v2},
              {"resnet18", test_resnet18}, {"resnet50", test_resnet50});
}
