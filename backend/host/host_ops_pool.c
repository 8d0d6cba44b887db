/* host_ops_pool.c - pooling: MaxPool, AveragePool, LpPool (windowed, on a
 * padded copy of the input as convolution does) and their Global forms
 * (register reductions over the spatial dims).
 *
 * Windowed pooling accumulates into the output over the nest
 * n, c, k.., o.. (output contiguous dim innermost):
 *   max: out = max(out, xpad[...]) with xpad padded by -inf (the dtype's min);
 *   avg: out += xpad[...] (padded by 0), then out *= 1/count, where count per
 *        output position is the product over dims of the window's overlap
 *        with the input (count_include_pad=0) or with the padded input (=1);
 *   Lp:  out += |xpad|^p, then out = out^(1/p). */
#include "host_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct PoolState {
    IrDtype dt;
    double p;
} PoolState;

static LLVMValueRef lp_pre(HostCtx *c, const LLVMValueRef *a, void *user)
{
    PoolState *s = user;
    LLVMValueRef x = host_math(c, "fabs", s->dt, a[0], NULL);
    if (s->p == 2.0)
        return host_bin(c, HB_MUL, s->dt, x, x);
    if (s->p == 1.0)
        return x;
    return host_math(c, "pow", s->dt, x, host_constf(c, s->dt, s->p));
}

static LLVMValueRef lp_post(HostCtx *c, const LLVMValueRef *a, void *user)
{
    PoolState *s = user;
    if (s->p == 2.0)
        return host_math(c, "sqrt", s->dt, a[0], NULL);
    if (s->p == 1.0)
        return a[0];
    return host_math(c, "pow", s->dt, a[0], host_constf(c, s->dt, 1.0 / s->p));
}

static LLVMValueRef mul2(HostCtx *c, const LLVMValueRef *a, void *user)
{
    PoolState *s = user;
    return host_bin(c, HB_MUL, s->dt, a[0], a[1]);
}

/* MaxPool with its Indices output: per output position, a scan of the window
 * (positions outside the input skipped) keeping the first maximum and its flat
 * index in the input (row-major, or column-major over the spatial dims with
 * storage_order=1). */
typedef struct MpiState {
    const IrValue *x;
    HostConvGeom geo;
    HostNest win;
    int order;
    LLVMValueRef best, besti, xp, yp, ip;
    const LLVMValueRef *oidx;
    int64_t xst[IR_MAX_RANK], yst[IR_MAX_RANK];
} MpiState;

static void mpi_tap(HostCtx *c, const LLVMValueRef *k, void *user)
{
    MpiState *s = user;
    LLVMBuilderRef B = c->b;
    int nsp = s->geo.nsp;
    LLVMValueRef inb = LLVMConstInt(c->t_i1, 1, 0);
    LLVMValueRef off = LLVMBuildAdd(B, LLVMBuildMul(B, s->oidx[0], host_i64(c, s->xst[0]), ""),
                                    LLVMBuildMul(B, s->oidx[1], host_i64(c, s->xst[1]), ""), "");
    LLVMValueRef pos[IR_MAX_RANK];
    for (int i = 0; i < nsp; i++) {
        LLVMValueRef p = LLVMBuildAdd(B, LLVMBuildMul(B, s->oidx[2 + i], host_i64(c, s->geo.stride[i]), ""),
                                      LLVMBuildMul(B, k[i], host_i64(c, s->geo.dil[i]), ""), "");
        p = LLVMBuildSub(B, p, host_i64(c, s->geo.pb[i]), "");
        inb = LLVMBuildAnd(B, inb, LLVMBuildICmp(B, LLVMIntSGE, p, host_i64(c, 0), ""), "");
        inb = LLVMBuildAnd(B, inb, LLVMBuildICmp(B, LLVMIntSLT, p, host_i64(c, s->geo.in[i]), ""), "");
        pos[i] = p;
        off = LLVMBuildAdd(B, off, LLVMBuildMul(B, p, host_i64(c, s->xst[2 + i]), ""), "");
    }
    HostIf h = host_if_begin(c, inb);
    LLVMValueRef v = host_load(c, s->xp, s->x->dtype, off);
    LLVMValueRef b = LLVMBuildLoad2(B, host_ctype(c, s->x->dtype), s->best, "");
    LLVMValueRef bi = LLVMBuildLoad2(B, c->t_i64, s->besti, "");
    LLVMValueRef better = LLVMBuildOr(B, host_bin(c, HB_GT, s->x->dtype, v, b),
                                      LLVMBuildICmp(B, LLVMIntSLT, bi, host_i64(c, 0), ""), "");
    LLVMValueRef flat = off;
    if (s->order && nsp == 2) /* column-major over (h, w) */
        flat = LLVMBuildAdd(B, LLVMBuildSub(B, off, LLVMBuildAdd(B, LLVMBuildMul(B, pos[0], host_i64(c, s->xst[2]), ""), pos[1], ""), ""),
                            LLVMBuildAdd(B, LLVMBuildMul(B, pos[1], host_i64(c, s->geo.in[0]), ""), pos[0], ""), "");
    LLVMBuildStore(B, host_select(c, better, v, b), s->best);
    LLVMBuildStore(B, host_select(c, better, flat, bi), s->besti);
    host_if_end(c, &h);
}

static void mpi_out(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    MpiState *s = user;
    s->oidx = idx;
    LLVMBuildStore(c->b, host_minval(c, s->x->dtype), s->best);
    LLVMBuildStore(c->b, host_i64(c, -1), s->besti);
    host_nest_emit(c, &s->win, mpi_tap, s);
    LLVMValueRef o = host_i64(c, 0);
    for (int d = 0; d < 2 + s->geo.nsp; d++)
        o = LLVMBuildAdd(c->b, o, LLVMBuildMul(c->b, idx[d], host_i64(c, s->yst[d]), ""), "");
    host_store(c, s->yp, s->x->dtype, o, LLVMBuildLoad2(c->b, host_ctype(c, s->x->dtype), s->best, ""));
    LLVMValueRef bi = LLVMBuildLoad2(c->b, c->t_i64, s->besti, "");
    bi = host_select(c, LLVMBuildICmp(c->b, LLVMIntSLT, bi, host_i64(c, 0), ""), host_i64(c, 0), bi);
    host_store(c, s->ip, DT_INT64, o, bi);
}

static DlaStatus maxpool_indices(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0), *ind = host_outv(c, 1);
    int r = x->shape.rank, nsp = r - 2;
    MpiState s;
    memset(&s, 0, sizeof s);
    s.x = x;
    const int64_t *ks;
    if (ind->dtype != DT_INT64 || ir_attr_ints(c->g, node, "kernel_shape", &ks) != nsp || !ir_shape_equal(&y->shape, &ind->shape))
        return host_unsupported(c, "kernel_shape/Indices");
    DlaStatus st = host_conv_geometry(c, node, nsp, &x->shape.dims[2], ks, &s.geo);
    if (st)
        return st;
    s.order = ir_attr_int(c->g, node, "storage_order", 0) != 0;
    if (s.order && nsp != 2)
        return host_unsupported(c, "storage_order=1 beyond 2-D");
    s.win.n = nsp;
    for (int i = 0; i < nsp; i++)
        s.win.ext[i] = s.geo.k[i];
    host_strides(&x->shape, s.xst);
    host_strides(&y->shape, s.yst);
    s.xp = host_in(c, 0);
    s.yp = host_out(c, 0);
    s.ip = host_out(c, 1);
    s.best = host_alloca(c, host_ctype(c, x->dtype), "best");
    s.besti = host_alloca(c, c->t_i64, "besti");
    HostNest n = host_nest_shape(&y->shape);
    host_nest_emit(c, &n, mpi_out, &s);
    return DLA_OK;
}

/* kind: 0 max, 1 average, 2 Lp */
static DlaStatus pool(HostCtx *c, int32_t node, int kind)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    IrDtype dt = x->dtype;
    int r = x->shape.rank, nsp = r - 2;
    if (nsp < 1 || y->shape.rank != r || 2 + 2 * nsp > HOST_MAX_LOOPS)
        return host_unsupported(c, "rank");
    if (kind != 0 && !host_is_float(dt))
        return host_unsupported(c, "dtype %s", ir_dtype_name(dt));
    if (dt == DT_BOOL)
        return host_unsupported(c, "dtype bool");
    if (host_nd(c)->noutputs > 1 && host_nd(c)->outputs[1] >= 0)
        return maxpool_indices(c, node);
    const int64_t *ks;
    if (ir_attr_ints(c->g, node, "kernel_shape", &ks) != nsp)
        return host_unsupported(c, "kernel_shape must have %d entries", nsp);
    HostConvGeom geo;
    DlaStatus st = host_conv_geometry(c, node, nsp, &x->shape.dims[2], ks, &geo);
    if (st)
        return st;
    if (ir_attr_int(c->g, node, "storage_order", 0))
        return host_unsupported(c, "storage_order=1");
    PoolState ps = {dt, (double)ir_attr_int(c->g, node, "p", 2)};
    LLVMValueRef padv = kind == 0 ? host_minval(c, dt) : host_constf(c, dt, 0);
    IrShape pshape;
    LLVMValueRef xp = host_pad_input(c, x, host_in(c, 0), &geo, padv, &pshape);
    HostNest yn = host_nest_shape(&y->shape);
    HostAcc ya = host_acc_contig(host_out(c, 0), dt, &y->shape);
    host_fill(c, &yn, &ya, padv);
    int64_t yst[IR_MAX_RANK], xst[IR_MAX_RANK];
    host_strides(&y->shape, yst);
    host_strides(&pshape, xst);
    HostNest nest;
    memset(&nest, 0, sizeof nest);
    HostAcc out, in;
    memset(&out, 0, sizeof out);
    memset(&in, 0, sizeof in);
    out.base = host_out(c, 0);
    out.dt = dt;
    in.base = xp;
    in.dt = dt;
    nest.n = 2 + 2 * nsp;
    nest.ext[0] = x->shape.dims[0];
    nest.ext[1] = x->shape.dims[1];
    out.st[0] = yst[0];
    out.st[1] = yst[1];
    in.st[0] = xst[0];
    in.st[1] = xst[1];
    for (int i = 0; i < nsp; i++) {
        int kd = 2 + i, od = 2 + nsp + i;
        nest.ext[kd] = geo.k[i];
        nest.ext[od] = geo.out[i];
        in.st[kd] = geo.dil[i] * xst[2 + i];
        in.st[od] = geo.stride[i] * xst[2 + i];
        out.st[od] = yst[2 + i];
    }
    host_map(c, &nest, &out, &in, 1, kind == 0 ? HR_MAX : HR_SUM, kind == 2 ? lp_pre : NULL, &ps);
    if (kind == 2) {
        host_map(c, &yn, &ya, &ya, 1, HR_STORE, lp_post, &ps);
    } else if (kind == 1) {
        /* reciprocal window counts, a compile-time [O1..Ok] table */
        int incl = ir_attr_int(c->g, node, "count_include_pad", 0) != 0;
        IrShape os = ir_shape_make(nsp, geo.out);
        int64_t no = ir_shape_numel(&os);
        double *cnt[IR_MAX_RANK];
        for (int i = 0; i < nsp; i++) {
            cnt[i] = dla_malloc((size_t)(geo.out[i] ? geo.out[i] : 1) * sizeof(double));
            int64_t lo = incl ? -geo.pb[i] : 0, hi = incl ? geo.in[i] + geo.pe[i] : geo.in[i];
            for (int64_t o = 0; o < geo.out[i]; o++) {
                int64_t n = 0;
                for (int64_t k = 0; k < geo.k[i]; k++) {
                    int64_t pos = o * geo.stride[i] + k * geo.dil[i] - geo.pb[i];
                    n += pos >= lo && pos < hi;
                }
                cnt[i][o] = (double)n;
            }
        }
        size_t es = ir_dtype_size(dt == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT);
        void *tab = dla_malloc((size_t)(no ? no : 1) * es);
        for (int64_t j = 0; j < no; j++) {
            double prod = 1;
            int64_t rem = j;
            for (int i = nsp - 1; i >= 0; i--) {
                prod *= cnt[i][rem % geo.out[i]];
                rem /= geo.out[i];
            }
            double rcp = prod > 0 ? 1.0 / prod : 0.0;
            if (es == 8)
                ((double *)tab)[j] = rcp;
            else
                ((float *)tab)[j] = (float)rcp;
        }
        LLVMValueRef tp = host_const_data(c, tab, (size_t)no * es);
        free(tab);
        for (int i = 0; i < nsp; i++)
            free(cnt[i]);
        HostAcc ins[2] = {ya, host_acc_bcast(tp, es == 8 ? DT_DOUBLE : DT_FLOAT, &os, &y->shape)};
        PoolState ms = {es == 8 ? DT_DOUBLE : DT_FLOAT, 0};
        if (dt != DT_FLOAT && dt != DT_DOUBLE)
            return host_unsupported(c, "dtype %s", ir_dtype_name(dt));
        host_map(c, &yn, &ya, ins, 2, HR_STORE, mul2, &ms);
    }
    return DLA_OK;
}

DlaStatus host_lower_maxpool(HostCtx *c, int32_t node) { return pool(c, node, 0); }
DlaStatus host_lower_avgpool(HostCtx *c, int32_t node) { return pool(c, node, 1); }
DlaStatus host_lower_lppool(HostCtx *c, int32_t node) { return pool(c, node, 2); }

typedef struct GpState {
    IrDtype dt;
    int64_t count;
    double p;
    int kind;
} GpState;

static LLVMValueRef gp_pre(HostCtx *c, const LLVMValueRef *a, void *user)
{
    GpState *s = user;
    if (s->kind != 2)
        return a[0];
    PoolState ps = {s->dt, s->p};
    return lp_pre(c, a, &ps);
}

static LLVMValueRef gp_fin(HostCtx *c, const LLVMValueRef *a, void *user)
{
    GpState *s = user;
    if (s->kind == 1)
        return host_bin(c, HB_DIV, s->dt, a[0], host_constf(c, s->dt, (double)s->count));
    if (s->kind == 2) {
        PoolState ps = {s->dt, s->p};
        return lp_post(c, a, &ps);
    }
    return a[0];
}

static DlaStatus global_pool(HostCtx *c, int32_t node, int kind)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    if (r < 3 || (!host_is_float(x->dtype) && kind) || x->dtype == DT_BOOL)
        return host_unsupported(c, "rank/dtype");
    GpState s = {x->dtype, 1, (double)ir_attr_int(c->g, node, "p", 2), kind};
    int64_t xst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    HostNest outer = {2, {x->shape.dims[0], x->shape.dims[1]}}, inner;
    memset(&inner, 0, sizeof inner);
    HostAcc in;
    memset(&in, 0, sizeof in);
    in.base = host_in(c, 0);
    in.dt = x->dtype;
    in.st[0] = xst[0];
    in.st[1] = xst[1];
    for (int d = 2; d < r; d++) {
        inner.ext[inner.n] = x->shape.dims[d];
        in.st[2 + inner.n] = xst[d];
        inner.n++;
        s.count *= x->shape.dims[d];
    }
    HostAcc out;
    memset(&out, 0, sizeof out);
    out.base = host_out(c, 0);
    out.dt = y->dtype;
    out.st[0] = x->shape.dims[1];
    out.st[1] = 1;
    if (ir_shape_numel(&y->shape) != x->shape.dims[0] * x->shape.dims[1])
        return host_unsupported(c, "output shape");
    LLVMValueRef init = kind == 0 ? host_minval(c, x->dtype) : host_constf(c, x->dtype, 0);
    host_reduce(c, &outer, &inner, &out, &in, 1, kind == 0 ? HR_MAX : HR_SUM, init, x->dtype, gp_pre, &s, gp_fin, &s);
    return DLA_OK;
}

DlaStatus host_lower_global_maxpool(HostCtx *c, int32_t node) { return global_pool(c, node, 0); }
DlaStatus host_lower_global_avgpool(HostCtx *c, int32_t node) { return global_pool(c, node, 1); }
DlaStatus host_lower_global_lppool(HostCtx *c, int32_t node) { return global_pool(c, node, 2); }
