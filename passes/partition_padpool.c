/* partition_padpool.c - which padding and pooling nodes the accelerator runs
 * (part of pass_partition, see partition.c; docs/quant.md "Padding and
 * pooling" has the integer semantics, docs/lowering.md the instruction
 * selection):
 *  - Pad over the spatial axes of an NCHW activation (opset 2 attributes or
 *    opset 11+ constant inputs, opset 18 axes), modes constant (value 0:
 *    its int8 image is the zero point, exact), reflect and edge -> QPad;
 *  - MaxPool, AveragePool (ceil_mode, count_include_pad either way,
 *    dilations, SAME padding) -> QMaxPool/QAvgPool; padding beyond the DMA's
 *    DLA_MAX_PAD per side becomes an explicit QPad in front (quantize);
 *  - GlobalAveragePool, GlobalMaxPool, ReduceMean/ReduceMax over axes
 *    {2,3} of an NCHW activation -> QGlobalAvgPool/QGlobalMaxPool;
 *  - the padding rule of Conv (quant_pads_ok).
 * Every refusal carries a reason (dlacc check / run --plan print it). */
#include "passes/partition_int.h"

#include <math.h>
#include <string.h>

#include "isa/isa.h" /* DLA_MAX_PAD, DLA_MAX_EXTENT */

#define WHY(s) (*why = (s), 0)

/* A float NCHW activation with every dim but the batch known. */
static int nchw_act(const IrGraph *g, int32_t v)
{
    if (v < 0 || v >= g->nvalues)
        return 0;
    const IrValue *x = &g->values[v];
    if (x->dtype != DT_FLOAT || (x->flags & (IR_VAL_CONST | IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) ||
        x->shape.rank != 4)
        return 0;
    for (int i = 1; i < 4; i++)
        if (x->shape.dims[i] <= 0)
            return 0;
    return 1;
}

/* Integers of a constant int32/int64 tensor (at most cap); -1 if not one. */
static int const_ints(const IrGraph *g, int32_t v, int64_t *out, int cap)
{
    if (v < 0 || v >= g->nvalues || !(g->values[v].flags & IR_VAL_CONST) || !g->values[v].data)
        return -1;
    const IrValue *x = &g->values[v];
    int64_t n = ir_shape_numel(&x->shape);
    if (n < 0 || n > cap || (x->dtype != DT_INT64 && x->dtype != DT_INT32))
        return -1;
    for (int64_t i = 0; i < n; i++)
        out[i] = x->dtype == DT_INT64 ? ((const int64_t *)x->data)[i] : ((const int32_t *)x->data)[i];
    return (int)n;
}

/* Explicit pads [top, left, bottom, right] of a 2-D pool/conv: the attribute,
 * or SAME (at most kernel-1 per side; the exact split does not matter here). */
static void pads_of(const IrGraph *g, int32_t n, const int64_t *k, const int64_t *d, int64_t p[4])
{
    const char *ap = ir_attr_string(g, n, "auto_pad", "NOTSET");
    memset(p, 0, 4 * sizeof *p);
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        for (int i = 0; i < 2; i++)
            p[i] = p[i + 2] = (k[i] - 1) * d[i];
        return;
    }
    const int64_t *v;
    if (strcmp(ap, "VALID") && ir_attr_ints(g, n, "pads", &v) == 4)
        memcpy(p, v, 4 * sizeof *p);
}

int quant_pads_ok(const IrGraph *g, int32_t n, const char **why)
{
    const IrNode *nd = &g->nodes[n];
    int64_t k[2] = {1, 1}, d[2] = {1, 1}, p[4];
    const int64_t *v;
    if (ir_attr_ints(g, n, "kernel_shape", &v) == 2)
        k[0] = v[0], k[1] = v[1];
    else if (nd->op == OP_CONV && ir_in(g, n, 1) >= 0 && g->values[ir_in(g, n, 1)].shape.rank == 4)
        k[0] = g->values[ir_in(g, n, 1)].shape.dims[2], k[1] = g->values[ir_in(g, n, 1)].shape.dims[3];
    if (ir_attr_ints(g, n, "dilations", &v) == 2)
        d[0] = v[0], d[1] = v[1];
    pads_of(g, n, k, d, p);
    int big = 0;
    for (int i = 0; i < 4; i++) {
        if (p[i] < 0)
            return WHY("negative padding");
        big |= p[i] > DLA_MAX_PAD;
    }
    /* Beyond the DMA's fields: an explicit QPad in front (quantize), whose
     * padded image the op then reads as its input. */
    int32_t x = ir_in(g, n, 0);
    if (big && x >= 0 && g->values[x].shape.rank == 4 && g->values[x].shape.dims[3] + p[1] + p[3] > DLA_MAX_EXTENT)
        return WHY("padded image wider than the lowering tiles");
    return 1;
}

/* Pools: the window conditions of the lowering (dla_lower_pool). */
static int pool_ok(const IrGraph *g, int32_t n, const char **why)
{
    const IrNode *nd = &g->nodes[n];
    int32_t x = ir_in(g, n, 0), y = nd->outputs[0];
    if (!nchw_act(g, x))
        return WHY("input is not a float NCHW activation");
    if (nd->noutputs > 1 && nd->outputs[1] >= 0)
        return WHY("indices output");
    if (g->values[x].shape.dims[3] > DLA_MAX_EXTENT)
        return WHY("image wider than the lowering tiles");
    int64_t k[2], s[2] = {1, 1}, d[2] = {1, 1}, p[4];
    const int64_t *v;
    if (ir_attr_ints(g, n, "kernel_shape", &v) != 2)
        return WHY("not a 2-D kernel");
    k[0] = v[0], k[1] = v[1];
    if (ir_attr_ints(g, n, "strides", &v) == 2)
        s[0] = v[0], s[1] = v[1];
    if (ir_attr_ints(g, n, "dilations", &v) == 2)
        d[0] = v[0], d[1] = v[1];
    for (int i = 0; i < 2; i++)
        if (k[i] < 1 || s[i] < 1 || d[i] < 1 || k[i] > DLA_MAX_EXTENT || s[i] > DLA_MAX_EXTENT ||
            d[i] > DLA_MAX_EXTENT)
            return WHY("kernel, stride or dilation out of the loop-nest range");
    pads_of(g, n, k, d, p);
    const char *pw;
    if (!quant_pads_ok(g, n, &pw))
        return WHY(pw);
    int big = 0;
    for (int i = 0; i < 4; i++)
        big |= p[i] > DLA_MAX_PAD;
    const IrShape *ys = &g->values[y].shape;
    if (y < 0 || ys->rank != 4 || ys->dims[2] < 1 || ys->dims[3] < 1)
        return WHY("output shape unknown");
    for (int i = 0; i < 2; i++) {
        int64_t in = g->values[x].shape.dims[2 + i], ext = (k[i] - 1) * d[i] + 1;
        if (p[i] >= ext || p[i + 2] >= ext)
            return WHY("a pad as large as the (dilated) kernel: windows of padding only");
        /* ceil_mode: the last window may run past the end padding; what the
         * load must add there, after the explicit pad if there is one */
        int64_t endpad = (ys->dims[2 + i] - 1) * s[i] + ext - in - p[i];
        if ((big ? endpad - p[i + 2] : endpad) > DLA_MAX_PAD)
            return WHY("a ceil_mode window runs further past the input than the DLA load can pad");
    }
    if (big && ir_attr_int(g, n, "ceil_mode", 0))
        for (int i = 0; i < 2; i++) {
            /* the explicit pad makes the end padding real input: ONNX's
             * "no window starts in the end padding" must still hold */
            int64_t in = g->values[x].shape.dims[2 + i] + p[i] + p[i + 2], ext = (k[i] - 1) * d[i] + 1;
            int64_t num = in - ext, o = num / s[i] + (num % s[i] != 0) + 1;
            if ((o - 1) * s[i] >= in)
                o--;
            if (o != ys->dims[2 + i])
                return WHY("a ceil_mode window starting in a padding beyond the DMA's fields");
        }
    if (nd->op == OP_AVERAGE_POOL && big && !ir_attr_int(g, n, "count_include_pad", 0))
        return WHY("padding beyond the DMA's fields with count_include_pad = 0");
    return 1;
}

/* ReduceMean/ReduceMax over exactly the spatial axes of an NCHW activation. */
static int reduce_ok(const IrGraph *g, int32_t n, const char **why)
{
    int32_t x = ir_in(g, n, 0);
    if (!nchw_act(g, x))
        return WHY("input is not a float NCHW activation");
    int64_t ax[IR_MAX_RANK];
    int na;
    const int64_t *v;
    if (g->nodes[n].ninputs > 1 && ir_in(g, n, 1) >= 0) {
        if ((na = const_ints(g, ir_in(g, n, 1), ax, IR_MAX_RANK)) < 0)
            return WHY("axes are not a constant");
    } else if ((na = ir_attr_ints(g, n, "axes", &v)) > 0 && na <= IR_MAX_RANK) {
        memcpy(ax, v, (size_t)na * sizeof *ax);
    } else {
        return WHY("not a reduction over the spatial axes {2, 3}");
    }
    int seen = 0;
    for (int i = 0; i < na; i++) {
        int64_t a = ax[i] < 0 ? ax[i] + 4 : ax[i];
        if (a != 2 && a != 3)
            return WHY("not a reduction over the spatial axes {2, 3}");
        seen |= 1 << (a - 2);
    }
    if (seen != 3)
        return WHY("not a reduction over the spatial axes {2, 3}");
    return 1;
}

/* Pad: spatial, non-negative, constant 0 / edge / reflect. */
static int pad_ok(const IrGraph *g, int32_t n, const char **why)
{
    int32_t x = ir_in(g, n, 0);
    if (!nchw_act(g, x))
        return WHY("input is not a float NCHW activation");
    const char *mode = ir_attr_string(g, n, "mode", "constant");
    int reflect = !strcmp(mode, "reflect");
    if (!reflect && strcmp(mode, "constant") && strcmp(mode, "edge"))
        return WHY("pad mode other than constant, reflect or edge");
    int64_t p[8], ax[4] = {0, 1, 2, 3};
    int np, na = 4;
    const int64_t *v;
    int32_t pin = ir_in(g, n, 1);
    if (pin >= 0) {
        if ((np = const_ints(g, pin, p, 8)) < 0)
            return WHY("pads are not a constant");
        int32_t ain = ir_in(g, n, 3);
        if (ain >= 0 && (na = const_ints(g, ain, ax, 4)) < 0)
            return WHY("axes are not a constant");
    } else if ((np = ir_attr_ints(g, n, "pads", &v)) == 8) {
        memcpy(p, v, sizeof p);
    } else {
        return WHY("pads missing");
    }
    if (np != 2 * na)
        return WHY("pads do not match the axes");
    for (int i = 0; i < na; i++) {
        int64_t a = ax[i] < 0 ? ax[i] + 4 : ax[i];
        if (a < 0 || a > 3)
            return WHY("bad axis");
        if (p[i] < 0 || p[i + na] < 0)
            return WHY("negative pads (cropping)");
        if (a < 2 && (p[i] || p[i + na]))
            return WHY("padding of the batch or channel axis");
        int64_t dim = g->values[x].shape.dims[a];
        if (reflect && (p[i] >= dim || p[i + na] >= dim))
            return WHY("reflect pads as large as the dim");
        if (p[i] > ((int64_t)1 << 20) || p[i + na] > ((int64_t)1 << 20))
            return WHY("pads out of range");
    }
    if (!strcmp(mode, "constant")) {
        float val = 0;
        int32_t cv = ir_in(g, n, 2);
        if (cv >= 0) {
            if (!(g->values[cv].flags & IR_VAL_CONST) || g->values[cv].dtype != DT_FLOAT ||
                ir_shape_numel(&g->values[cv].shape) != 1 || !g->values[cv].data)
                return WHY("constant_value is not a float constant");
            val = *(const float *)g->values[cv].data;
        } else if (pin < 0) {
            val = ir_attr_float(g, n, "value", 0.0f);
        }
        /* 0 is the zero point, exactly; another value's int8 image depends on
         * parameters calibration has not chosen yet */
        if (val != 0.0f)
            return WHY("non-zero constant pad value (no exact int8 image)");
    }
    return 1;
}

int quant_padpool_supported(const IrGraph *g, int32_t n, const char **why)
{
    const IrNode *nd = &g->nodes[n];
    switch (nd->op) {
    case OP_PAD: return pad_ok(g, n, why);
    case OP_MAX_POOL:
    case OP_AVERAGE_POOL: return pool_ok(g, n, why);
    case OP_GLOBAL_AVERAGE_POOL:
    case OP_GLOBAL_MAX_POOL:
        if (!nchw_act(g, ir_in(g, n, 0)))
            return WHY("input is not a float NCHW activation");
        return 1;
    case OP_REDUCE_MEAN:
    case OP_REDUCE_MAX: return reduce_ok(g, n, why);
    default: return -1;
    }
}
