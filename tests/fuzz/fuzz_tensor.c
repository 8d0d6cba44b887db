/* fuzz_tensor.c - harness 6: the tensor (.pb) reader, as `dlacc run --input`
 * and calibration use it, and calibration-folder handling: an input that
 * reads as a tensor becomes the one file of a calibration folder for a small
 * Conv+Relu model (float [1,1,4,4] input) compiled for dla-edge, so the
 * checks of a calibration file's dtype, shape and values run on it too. */
#include "fuzz.h"

#include <stdio.h>

#include "driver/compile.h"
#include "frontend/onnx.h"
#include "frontend/onnx_build.h"

static char model_path[600], calib_dir[600], calib_file[700];

/* The model, built once: x[1,1,4,4] -> Conv(2 out channels, 3x3, pads 1) -> Relu -> y. */
static void fuzz_tensor_setup(void)
{
    const char *dir = fuzz_scratch_dir();
    snprintf(model_path, sizeof model_path, "%s/conv.onnx", dir);
    snprintf(calib_dir, sizeof calib_dir, "%s/calib6", dir);
    snprintf(calib_file, sizeof calib_file, "%s/input_0.pb", calib_dir);
    Onnx__ModelProto *m = ob_model(13);
    Onnx__GraphProto *g = m->graph;
    const int64_t xd[4] = {1, 1, 4, 4}, yd[4] = {1, 2, 4, 4}, wd[4] = {2, 1, 3, 3}, bd[1] = {2};
    OB_PUSH(g->input, g->n_input, ob_vinfo("x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd, NULL));
    OB_PUSH(g->output, g->n_output, ob_vinfo("y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, yd, NULL));
    float w[18], b[2] = {0.1f, -0.2f};
    for (int i = 0; i < 18; i++)
        w[i] = (float)((i * 7) % 11 - 5) / 8.0f;
    Onnx__TensorProto *wt = ob_tensor("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, wd);
    ob_raw(wt, w, sizeof w);
    Onnx__TensorProto *bt = ob_tensor("b", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, bd);
    ob_raw(bt, b, sizeof b);
    OB_PUSH(g->initializer, g->n_initializer, wt);
    OB_PUSH(g->initializer, g->n_initializer, bt);
    const char *ci[] = {"x", "w", "b", NULL}, *co[] = {"c", NULL}, *ri[] = {"c", NULL}, *ro[] = {"y", NULL};
    Onnx__NodeProto *conv = ob_node(g, "conv", "Conv", ci, co);
    Onnx__AttributeProto *pads = ob_attr(conv, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    static int64_t p[4] = {1, 1, 1, 1};
    pads->n_ints = 4;
    pads->ints = p;
    ob_node(g, "relu", "Relu", ri, ro);
    size_t len;
    uint8_t *buf = ob_pack_model(m, &len);
    char mk[700];
    snprintf(mk, sizeof mk, "mkdir -p '%s'", calib_dir);
    if (fuzz_write_file(model_path, buf, len) != 0 || system(mk) != 0)
        abort();
    ob_free_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model_path[0])
        fuzz_tensor_setup();
    OnnxTensorFile t;
    DlaError err = {0};
    if (onnx_tensor_read_buffer(data, size, "fuzz.pb", NULL, &t, &err) != DLA_OK)
        return 0;
    onnx_tensor_file_free(&t);
    if (fuzz_write_file(calib_file, data, size) != 0)
        abort();
    DlaCompileOptions o = {0};
    o.target = "dla-edge";
    o.calib_dir = calib_dir;
    DlaPlan *plan = NULL;
    if (dla_compile(model_path, &o, &plan, &err) == DLA_OK)
        dla_plan_free(plan);
    return 0;
}
