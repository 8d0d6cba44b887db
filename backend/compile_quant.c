/* compile_quant.c - the quantization steps of the compile driver: calibrate
 * over the calibration inputs on the host JIT, partition, quantize
 * (passes/quant.h). */
#include "compile_int.h"

DlaStatus dla_compile_quantize(DlaPlan *p, const DlaCompileOptions *o, DlaError *err)
{
    int has_float_in = 0;
    for (int32_t i = 0; i < p->g->ninputs; i++)
        has_float_in |= p->g->values[p->g->inputs[i]].dtype == DT_FLOAT;
    if (has_float_in && !o->calib_dir)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "a float model needs calibration data to be quantized for the DLA: pass --calib DIR "
                          "(a folder of input tensors, *.pb)");
    return dla_errorf(err, DLA_ERR_UNSUPPORTED, "quantization passes are not available yet");
}
