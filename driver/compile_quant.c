/* compile_quant.c - the pass pipeline of the compile driver: canonicalization,
 * then (with calibration data) partition, calibrate and quantize
 * (passes/quant.h), all through the one pipeline() of passes.def. The wall
 * time of each pass is derived from the pipeline's per-pass statistics, so
 * that the driver can report calibration separately without sequencing passes
 * itself. */
#include "compile_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes/passes.h"
#include "passes/quant.h"

DlaStatus dla_compile_check_calib(const DlaPlan *p, const DlaCompileOptions *o, DlaError *err)
{
    int has_float_in = 0;
    for (int32_t i = 0; i < p->g->ninputs; i++)
        has_float_in |= p->g->values[p->g->inputs[i]].dtype == DT_FLOAT;
    if (has_float_in && !o->calib_dir)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "a float model needs calibration data to be quantized for the DLA: pass --calib DIR "
                          "(a folder of input tensors, *.pb)");
    return DLA_OK;
}

DlaStatus dla_compile_quantize(DlaPlan *p, const DlaCompileOptions *o, DlaError *err)
{
    DlaStatus cst = dla_compile_check_calib(p, o, err);
    if (cst)
        return cst;
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.quantize = o->calib_dir != NULL;
    ctx.calib_dir = o->calib_dir;
    ctx.executor = host_executor();
    if (o->calib_method) {
        CalibMethod m;
        if (calib_method_lookup(o->calib_method, &m))
            return dla_errorf(err, DLA_ERR_INVALID,
                              "unknown calibration method '%s' (minmax, percentile, entropy, mse)", o->calib_method);
        ctx.calib_method = (int)m;
    }
    char *log = NULL;
    size_t loglen = 0;
    ctx.stats_file = open_memstream(&log, &loglen);
    double t0 = dla_compile_now();
    DlaStatus st = pipeline(p->g, &ctx, err);
    double wall = dla_compile_now() - t0;
    if (ctx.stats_file)
        fclose(ctx.stats_file);
    /* "pass NAME  B -> A nodes, V values, T ms" per pass */
    p->t_canon = p->t_calibrate = p->t_quantize = 0;
    for (char *line = log; line && *line;) {
        char *nl = strchr(line, '\n');
        char name[64];
        double ms;
        const char *ms_at = strstr(line, "values,");
        if (sscanf(line, "pass %63s", name) == 1 && ms_at && sscanf(ms_at + 7, "%lf", &ms) == 1) {
            if (!strcmp(name, "calibrate"))
                p->t_calibrate += ms / 1e3;
            else if (!strcmp(name, "partition") || !strcmp(name, "quantize") || !strcmp(name, "qdce"))
                p->t_quantize += ms / 1e3;
            else
                p->t_canon += ms / 1e3;
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    free(log);
    /* The per-pass figures are CPU time (clock()); calibration may use more
     * than one thread (LLVM), the other passes do not: its wall time is what
     * the others leave of the pipeline's. */
    if (p->t_calibrate > 0) {
        double rest = wall - p->t_canon - p->t_quantize;
        p->t_calibrate = rest > 0 ? rest : 0;
    }
    return st;
}
