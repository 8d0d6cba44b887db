/* compile_quant.c - the pass pipeline of the compile driver: canonicalization,
 * then (with calibration data) partition, calibrate and quantize
 * (passes/quant.h), all through the one pipeline() of passes.def. The time of
 * each phase is summed from the pipeline's per-pass statistics (PassStats),
 * so that the driver can report calibration separately without sequencing
 * passes itself. */
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
    PassStatsList *stats = dla_malloc(sizeof *stats);
    ctx.stats = stats;
    p->t_canon = p->t_calibrate = p->t_quantize = 0;
    /* Two runs of the one pipeline: up to and including the partition, then
     * the rest; in between, the partition's decisions are read from the float
     * graph (reasons for host nodes, MACs per side), which quantization
     * rewrites. */
    char first[1024], rest[1024];
    dla_pass_range(0, PASS_PARTITION + 1, first, sizeof first);
    dla_pass_range(PASS_PARTITION + 1, PASS__COUNT, rest, sizeof rest);
    double t0 = dla_compile_now();
    DlaStatus st = DLA_OK;
    int dump_id = o->dump_after ? pass_lookup(o->dump_after) : -1;
    if (o->dump_after && dump_id < 0 && strcmp(o->dump_after, "all") != 0) {
        free(stats);
        return dla_errorf(err, DLA_ERR_INVALID, "--dump-after: pass '%s' does not exist", o->dump_after);
    }
    ctx.dump_file = o->dump_file;
    for (int half = 0; half < 2 && !st; half++) {
        ctx.passes = half ? rest : first;
        /* pipeline() refuses a dump of a pass it does not run: ask each half for its own */
        ctx.dump_after = dump_id < 0 || (dump_id > PASS_PARTITION) == half ? o->dump_after : NULL;
        st = pipeline(p->g, &ctx, err);
        for (int32_t i = 0; i < stats->n; i++) {
            const PassStats *ps = &stats->pass[i];
            double s = ps->cpu_ms / 1e3;
            switch (ps->id) {
            case PASS_CALIBRATE: p->t_calibrate += s; break;
            case PASS_PARTITION: case PASS_QUANTIZE: case PASS_QDCE: p->t_quantize += s; break;
            default: p->t_canon += s; break;
            }
        }
        if (!st && !half) {
            dla_partition_free(&p->part);
            dla_partition_collect(p->g, ctx.quantize, &p->part);
        }
    }
    double wall = dla_compile_now() - t0;
    free(stats);
    /* The per-pass figures are CPU time (clock()); calibration may use more
     * than one thread (LLVM), the other passes do not: its wall time is what
     * the others leave of the pipeline's. */
    if (p->t_calibrate > 0) {
        double left = wall - p->t_canon - p->t_quantize;
        p->t_calibrate = left > 0 ? left : 0;
    }
    return st;
}
