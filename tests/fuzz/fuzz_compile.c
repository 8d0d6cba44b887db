/* fuzz_compile.c - harness 7: the whole compile of a small ONNX model, as
 * `dlacc MODEL -o PREFIX --calib DIR` runs it: load, passes, calibration,
 * partition, quantization, DLA lowering, the .dla writer, and the reader and
 * validator on what the writer wrote (which must always read back). The
 * calibration folder holds one deterministic input for the model's first
 * graph input when that is a float tensor of known shape and at most
 * FUZZ_COMPILE_MAX_ELEMS elements; otherwise the compile meets an empty
 * folder or a shape it must refuse, which is a path worth fuzzing too. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include "driver/compile.h"
#include "frontend/onnx.h"
#include "isa/dla_format.h"

#define FUZZ_COMPILE_MAX_ELEMS 65536

static char model_path[600], calib_dir[600], calib_file[700];

static void fuzz_compile_setup(void)
{
    const char *dir = fuzz_scratch_dir();
    snprintf(model_path, sizeof model_path, "%s/fuzz.onnx", dir);
    snprintf(calib_dir, sizeof calib_dir, "%s/calib7", dir);
    snprintf(calib_file, sizeof calib_file, "%s/input_0.pb", calib_dir);
    char mk[700];
    snprintf(mk, sizeof mk, "mkdir -p '%s'", calib_dir);
    if (system(mk) != 0)
        abort();
}

/* One calibration input for g's first input, or none. */
static void write_calib(const IrGraph *g)
{
    remove(calib_file);
    if (g->ninputs < 1)
        return;
    const IrValue *x = &g->values[g->inputs[0]];
    int64_t n = ir_shape_numel(&x->shape);
    if (x->dtype != DT_FLOAT || n < 1 || n > FUZZ_COMPILE_MAX_ELEMS)
        return;
    float *v = malloc((size_t)n * sizeof *v);
    uint32_t s = 12345;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = (float)((int32_t)(s >> 8) % 2001 - 1000) / 500.0f;
    }
    DlaError err = {0};
    (void)onnx_tensor_write(calib_file, x->name, DT_FLOAT, &x->shape, v, (size_t)n * sizeof *v, &err);
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model_path[0])
        fuzz_compile_setup();
    IrGraph *g = NULL;
    DlaError err = {0};
    if (onnx_load_buffer(data, size, "fuzz.onnx", NULL, NULL, &g, &err) != DLA_OK)
        return 0; /* harness 1 covers the loader's errors */
    write_calib(g);
    ir_graph_free(g);
    if (fuzz_write_file(model_path, data, size) != 0)
        abort();
    DlaCompileOptions o = {0};
    o.target = "dla-edge";
    o.calib_dir = calib_dir;
    DlaPlan *plan = NULL;
    if (dla_compile(model_path, &o, &plan, &err) != DLA_OK)
        return 0;
    if (plan->ndla > 0) {
        uint8_t *bytes = NULL;
        size_t n = 0;
        if (dla_program_write_mem(&plan->prog, &bytes, &n, &err) != DLA_OK)
            abort(); /* a compiled program must serialize */
        DlaProgram back;
        if (dla_program_read_mem(bytes, n, &back, &err) != DLA_OK || dla_program_validate(&back, &err) != DLA_OK) {
            fprintf(stderr, "fuzz_compile: written program does not read back: %s\n", err.msg);
            abort();
        }
        dla_program_free(&back);
        free(bytes);
    }
    dla_plan_free(plan);
    return 0;
}
