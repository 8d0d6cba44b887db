/* compile_int.h - internals of the compile driver (backend/compile*.c). */
#ifndef DLA_BACKEND_COMPILE_INT_H
#define DLA_BACKEND_COMPILE_INT_H

#include "compile.h"

double dla_compile_now(void);
/* calibrate + partition + quantize (compile_quant.c): p->g becomes the
 * quantized graph; sets p->t_calibrate and p->t_quantize. */
DlaStatus dla_compile_check_calib(const DlaPlan *p, const DlaCompileOptions *o, DlaError *err);
DlaStatus dla_compile_quantize(DlaPlan *p, const DlaCompileOptions *o, DlaError *err);
/* Fill *pt from g right after the partition pass (compile_partition.c). */
void dla_partition_collect(const IrGraph *g, int partitioned, DlaPartition *pt);
/* "a,b,c": the names of the pipeline's passes from..to-1 (passes.def order). */
void dla_pass_range(int from, int to, char *buf, size_t cap);

#endif
