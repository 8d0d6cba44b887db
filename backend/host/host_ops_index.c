/* host_ops_index.c - ops driven by index arithmetic or data-dependent
 * indices: Trilu, EyeLike, OneHot, CumSum, DepthToSpace/SpaceToDepth,
 * ScatterElements (and the old Scatter), ScatterND, GatherND. Each is a loop
 * nest over an index space with a custom body; every index read from a tensor
 * is clamped into range (out-of-range indices are errors in ONNX: here they
 * can only pick a wrong element, never touch memory outside the operands). */
#include "host_int.h"

#include <stdlib.h>
#include <string.h>

static int norm_axis(int64_t a, int rank, int *out)
{
    if (a < -rank || a >= rank)
        return 0;
    *out = (int)(a < 0 ? a + rank : a);
    return 1;
}

static LLVMValueRef clamp_i64(HostCtx *c, LLVMValueRef i, int64_t lo, int64_t hi)
{
    LLVMBuilderRef B = c->b;
    i = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, i, host_i64(c, lo), ""), host_i64(c, lo), i);
    return host_select(c, LLVMBuildICmp(B, LLVMIntSGT, i, host_i64(c, hi), ""), host_i64(c, hi), i);
}

/* negative index wraps once, then clamp into [0, D-1] */
static LLVMValueRef fix_index(HostCtx *c, LLVMValueRef i, int64_t D)
{
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, i, host_i64(c, 0), "");
    i = host_select(c, neg, LLVMBuildAdd(c->b, i, host_i64(c, D), ""), i);
    return clamp_i64(c, i, 0, D - 1);
}

/* ---- Trilu / EyeLike: keep or set by the (row, col) of the last two dims ---- */

typedef struct TriState {
    HostAcc x, y;
    int r, upper, eye;
    LLVMValueRef k;
    IrDtype dt;
} TriState;

static void tri_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    TriState *s = user;
    LLVMValueRef diff = LLVMBuildSub(c->b, idx[s->r - 1], idx[s->r - 2], ""); /* col - row */
    if (s->eye) {
        LLVMValueRef on = LLVMBuildICmp(c->b, LLVMIntEQ, diff, s->k, "");
        host_acc_store(c, &s->y, idx, host_select(c, on, host_consti(c, s->dt, 1), host_consti(c, s->dt, 0)));
        return;
    }
    LLVMValueRef keep = LLVMBuildICmp(c->b, s->upper ? LLVMIntSGE : LLVMIntSLE, diff, s->k, "");
    LLVMValueRef v = host_acc_load(c, &s->x, idx);
    host_acc_store(c, &s->y, idx, host_select(c, keep, v, host_consti(c, s->dt, 0)));
}

DlaStatus host_lower_trilu(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    TriState s;
    memset(&s, 0, sizeof s);
    s.r = x->shape.rank;
    if (s.r < 2)
        return host_unsupported(c, "rank < 2");
    s.dt = x->dtype;
    s.upper = ir_attr_int(c->g, node, "upper", 1) != 0;
    s.x = host_acc_contig(host_in(c, 0), x->dtype, &x->shape);
    s.y = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    s.k = host_has_in(c, 1) ? host_convert(c, host_load(c, host_in(c, 1), host_inv(c, 1)->dtype, host_i64(c, 0)),
                                           host_inv(c, 1)->dtype, DT_INT64)
                            : host_i64(c, 0);
    HostNest n = host_nest_shape(&y->shape);
    host_nest_emit(c, &n, tri_body, &s);
    return DLA_OK;
}

DlaStatus host_lower_eyelike(HostCtx *c, int32_t node)
{
    IrValue *y = host_outv(c, 0);
    TriState s;
    memset(&s, 0, sizeof s);
    s.r = y->shape.rank;
    if (s.r != 2)
        return host_unsupported(c, "rank must be 2");
    s.eye = 1;
    s.dt = y->dtype;
    s.y = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    s.k = host_i64(c, ir_attr_int(c->g, node, "k", 0));
    HostNest n = host_nest_shape(&y->shape);
    host_nest_emit(c, &n, tri_body, &s);
    return DLA_OK;
}

/* ---- OneHot ---- */

typedef struct OneHotState {
    HostAcc ind, y;
    int axis;
    int64_t depth;
    LLVMValueRef on, off;
} OneHotState;

static void onehot_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    OneHotState *s = user;
    LLVMValueRef i = host_convert(c, host_acc_load(c, &s->ind, idx), s->ind.dt, DT_INT64);
    if (host_is_float(s->ind.dt))
        i = host_convert(c, host_acc_load(c, &s->ind, idx), s->ind.dt, DT_INT64);
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, i, host_i64(c, 0), "");
    i = host_select(c, neg, LLVMBuildAdd(c->b, i, host_i64(c, s->depth), ""), i);
    LLVMValueRef hit = LLVMBuildICmp(c->b, LLVMIntEQ, i, idx[s->axis], "");
    host_acc_store(c, &s->y, idx, host_select(c, hit, s->on, s->off));
}

DlaStatus host_lower_onehot(HostCtx *c, int32_t node)
{
    IrValue *ind = host_inv(c, 0), *vals = host_inv(c, 2), *y = host_outv(c, 0);
    int r = y->shape.rank, ax;
    if (!norm_axis(ir_attr_int(c->g, node, "axis", -1), r, &ax) || ind->shape.rank != r - 1)
        return host_unsupported(c, "axis/rank");
    if (ir_shape_numel(&vals->shape) != 2 || vals->dtype != y->dtype)
        return host_unsupported(c, "values must hold [off, on]");
    OneHotState s;
    memset(&s, 0, sizeof s);
    s.axis = ax;
    s.depth = y->shape.dims[ax];
    int64_t ist[IR_MAX_RANK];
    host_strides(&ind->shape, ist);
    s.ind.base = host_in(c, 0);
    s.ind.dt = ind->dtype;
    for (int d = 0, k = 0; d < r; d++)
        if (d != ax)
            s.ind.st[d] = ist[k++];
    s.y = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    s.off = host_load(c, host_in(c, 2), vals->dtype, host_i64(c, 0));
    s.on = host_load(c, host_in(c, 2), vals->dtype, host_i64(c, 1));
    HostNest n = host_nest_shape(&y->shape);
    host_nest_emit(c, &n, onehot_body, &s);
    return DLA_OK;
}

/* ---- CumSum ---- */

typedef struct CumState {
    HostAcc x, y;
    int64_t D, st;
    int excl, rev;
    LLVMValueRef acc;
    IrDtype dt;
    const LLVMValueRef *oidx;
} CumState;

static void cum_step(HostCtx *c, const LLVMValueRef *j, void *user)
{
    CumState *s = user;
    LLVMValueRef pos = s->rev ? LLVMBuildSub(c->b, host_i64(c, s->D - 1), *j, "") : *j;
    LLVMValueRef xo = LLVMBuildAdd(c->b, host_acc_index(c, &s->x, s->oidx), LLVMBuildMul(c->b, pos, host_i64(c, s->st), ""), "");
    LLVMValueRef yo = LLVMBuildAdd(c->b, host_acc_index(c, &s->y, s->oidx), LLVMBuildMul(c->b, pos, host_i64(c, s->st), ""), "");
    LLVMValueRef v = host_load(c, s->x.base, s->dt, xo);
    LLVMValueRef a = LLVMBuildLoad2(c->b, host_ctype(c, s->dt), s->acc, "");
    LLVMValueRef na = host_bin(c, HB_ADD, s->dt, a, v);
    host_store(c, s->y.base, s->dt, yo, s->excl ? a : na);
    LLVMBuildStore(c->b, na, s->acc);
}

static void cum_outer(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    CumState *s = user;
    s->oidx = idx;
    LLVMBuildStore(c->b, host_consti(c, s->dt, 0), s->acc);
    host_loop_dyn(c, host_i64(c, s->D), cum_step, s);
}

DlaStatus host_lower_cumsum(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    int64_t *axv;
    if (host_const_ints(c, 1, &axv) != 1) {
        free(axv);
        return DLA_ERR_UNSUPPORTED;
    }
    int r = x->shape.rank, ax;
    int ok = norm_axis(axv[0], r, &ax);
    free(axv);
    if (!ok || x->dtype == DT_BOOL)
        return host_unsupported(c, "axis/dtype");
    CumState s;
    memset(&s, 0, sizeof s);
    s.dt = x->dtype;
    s.excl = ir_attr_int(c->g, node, "exclusive", 0) != 0;
    s.rev = ir_attr_int(c->g, node, "reverse", 0) != 0;
    s.D = x->shape.dims[ax];
    s.x = host_acc_contig(host_in(c, 0), x->dtype, &x->shape);
    s.y = host_acc_contig(host_out(c, 0), x->dtype, &x->shape);
    s.st = s.x.st[ax];
    s.x.st[ax] = s.y.st[ax] = 0;
    s.acc = host_alloca(c, host_ctype(c, s.dt), "cum");
    IrShape outer = x->shape;
    outer.dims[ax] = 1;
    HostNest n = host_nest_shape(&outer);
    if (s.D > 0)
        host_nest_emit(c, &n, cum_outer, &s);
    return DLA_OK;
}

/* ---- DepthToSpace / SpaceToDepth: 6-d transposes ---- */

DlaStatus host_lower_depth_to_space(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int64_t b = ir_attr_int(c->g, node, "blocksize", 0);
    int d2s = host_nd(c)->op == OP_DEPTH_TO_SPACE;
    if (x->shape.rank != 4 || b < 1)
        return host_unsupported(c, "rank/blocksize");
    const char *mode = ir_attr_string(c->g, node, "mode", "DCR");
    int crd = d2s && !strcmp(mode, "CRD");
    if (d2s && !crd && strcmp(mode, "DCR"))
        return host_unsupported(c, "mode '%s'", mode);
    HostNest n;
    memset(&n, 0, sizeof n);
    HostAcc in, out;
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    in.base = host_in(c, 0);
    in.dt = x->dtype;
    out.base = host_out(c, 0);
    out.dt = y->dtype;
    n.n = 6;
    if (d2s) {
        /* y[n, c, h*b + i, w*b + j]; loops n, c, h, i, w, j (y contiguous) */
        int64_t N = x->shape.dims[0], C = x->shape.dims[1] / (b * b), H = x->shape.dims[2], W = x->shape.dims[3];
        int64_t e[6] = {N, C, H, b, W, b};
        memcpy(n.ext, e, sizeof e);
        int64_t ys[6] = {C * H * b * W * b, H * b * W * b, b * W * b, W * b, b, 1};
        memcpy(out.st, ys, sizeof ys);
        int64_t hw = H * W;
        /* x channel = DCR: (i*b + j)*C + c ; CRD: c*b*b + i*b + j */
        in.st[0] = x->shape.dims[1] * hw;
        in.st[1] = crd ? b * b * hw : hw;
        in.st[2] = W;
        in.st[3] = crd ? b * hw : b * C * hw;
        in.st[4] = 1;
        in.st[5] = crd ? hw : C * hw;
    } else {
        /* y[n, (i*b + j)*C + c, h, w] = x[n, c, h*b + i, w*b + j]; loops n, i, j, c, h, w */
        int64_t N = x->shape.dims[0], C = x->shape.dims[1], H = x->shape.dims[2] / b, W = x->shape.dims[3] / b;
        int64_t e[6] = {N, b, b, C, H, W};
        memcpy(n.ext, e, sizeof e);
        int64_t hw = H * W;
        int64_t ys[6] = {b * b * C * hw, b * C * hw, C * hw, hw, W, 1};
        memcpy(out.st, ys, sizeof ys);
        int64_t XW = x->shape.dims[3], XH = x->shape.dims[2];
        in.st[0] = C * XH * XW;
        in.st[1] = XW;
        in.st[2] = 1;
        in.st[3] = XH * XW;
        in.st[4] = b * XW;
        in.st[5] = b;
    }
    if (ir_shape_numel(&x->shape) != ir_shape_numel(&y->shape))
        return host_unsupported(c, "shapes");
    host_map(c, &n, &out, &in, 1, HR_STORE, NULL, NULL);
    return DLA_OK;
}

/* ---- scatter / gather with index tensors ---- */

static HostRed reduction_attr(HostCtx *c, int32_t node, int *ok)
{
    const char *r = ir_attr_string(c->g, node, "reduction", "none");
    *ok = 1;
    if (!strcmp(r, "none")) return HR_STORE;
    if (!strcmp(r, "add")) return HR_SUM;
    if (!strcmp(r, "mul")) return HR_PROD;
    if (!strcmp(r, "max")) return HR_MAX;
    if (!strcmp(r, "min")) return HR_MIN;
    *ok = 0;
    return HR_STORE;
}

static LLVMValueRef combine(HostCtx *c, HostRed red, IrDtype dt, LLVMValueRef a, LLVMValueRef b)
{
    switch (red) {
    case HR_SUM: return host_bin(c, HB_ADD, dt, a, b);
    case HR_PROD: return host_bin(c, HB_MUL, dt, a, b);
    case HR_MAX: return host_bin(c, HB_MAX, dt, a, b);
    case HR_MIN: return host_bin(c, HB_MIN, dt, a, b);
    default: return b;
    }
}

typedef struct ScatState {
    HostAcc ind, upd, y;  /* y: all dims except the axis (ScatterElements) */
    int64_t D, st;
    HostRed red;
    IrDtype dt;
    /* ScatterND / GatherND */
    int64_t k, qlead, slice;
    int64_t dst[IR_MAX_RANK], ddims[IR_MAX_RANK];
    int nb, r_ind;
} ScatState;

static void scat_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    ScatState *s = user;
    LLVMValueRef i = fix_index(c, host_convert(c, host_acc_load(c, &s->ind, idx), s->ind.dt, DT_INT64), s->D);
    LLVMValueRef off = LLVMBuildAdd(c->b, host_acc_index(c, &s->y, idx), LLVMBuildMul(c->b, i, host_i64(c, s->st), ""), "");
    LLVMValueRef u = host_acc_load(c, &s->upd, idx);
    if (s->red != HR_STORE)
        u = combine(c, s->red, s->dt, host_load(c, s->y.base, s->dt, off), u);
    host_store(c, s->y.base, s->dt, off, u);
}

DlaStatus host_lower_scatter_elements(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *ind = host_inv(c, 1), *upd = host_inv(c, 2), *y = host_outv(c, 0);
    int r = x->shape.rank, ax, ok;
    if (!norm_axis(ir_attr_int(c->g, node, "axis", 0), r, &ax) || ind->shape.rank != r ||
        !ir_shape_equal(&ind->shape, &upd->shape) || !host_is_int(ind->dtype))
        return host_unsupported(c, "axis/shapes");
    ScatState s;
    memset(&s, 0, sizeof s);
    s.red = reduction_attr(c, node, &ok);
    if (!ok)
        return host_unsupported(c, "reduction");
    s.dt = x->dtype;
    host_memcpy(c, host_out(c, 0), host_in(c, 0), ir_shape_numel(&x->shape) * (int64_t)ir_dtype_size(x->dtype));
    s.y = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    s.st = s.y.st[ax];
    s.y.st[ax] = 0;
    s.D = x->shape.dims[ax];
    s.ind = host_acc_contig(host_in(c, 1), ind->dtype, &ind->shape);
    s.upd = host_acc_contig(host_in(c, 2), upd->dtype, &upd->shape);
    HostNest n = host_nest_shape(&ind->shape);
    if (s.D > 0)
        host_nest_emit(c, &n, scat_body, &s);
    return DLA_OK;
}

/* offset into data of the k leading coordinates stored at indices[lead..., 0..k-1] */
static LLVMValueRef nd_offset(HostCtx *c, ScatState *s, LLVMValueRef ibase)
{
    LLVMValueRef off = host_i64(c, 0);
    for (int64_t j = 0; j < s->k; j++) {
        LLVMValueRef v = host_load(c, s->ind.base, s->ind.dt, LLVMBuildAdd(c->b, ibase, host_i64(c, j), ""));
        v = fix_index(c, host_convert(c, v, s->ind.dt, DT_INT64), s->ddims[s->nb + j]);
        off = LLVMBuildAdd(c->b, off, LLVMBuildMul(c->b, v, host_i64(c, s->dst[s->nb + j]), ""), "");
    }
    return off;
}

/* ScatterND: nest over indices[:-1] (q-1 dims) then the slice (flattened). */
static void scatnd_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    ScatState *s = user;
    LLVMValueRef ib = LLVMBuildMul(c->b, host_acc_index(c, &s->ind, idx), host_i64(c, 1), "");
    LLVMValueRef off = LLVMBuildAdd(c->b, nd_offset(c, s, ib), idx[s->qlead], "");
    LLVMValueRef u = host_acc_load(c, &s->upd, idx);
    if (s->red != HR_STORE)
        u = combine(c, s->red, s->dt, host_load(c, s->y.base, s->dt, off), u);
    host_store(c, s->y.base, s->dt, off, u);
}

DlaStatus host_lower_scatter_nd(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *ind = host_inv(c, 1), *upd = host_inv(c, 2);
    int r = x->shape.rank, q = ind->shape.rank, ok;
    if (q < 1 || !host_is_int(ind->dtype))
        return host_unsupported(c, "indices");
    ScatState s;
    memset(&s, 0, sizeof s);
    s.red = reduction_attr(c, node, &ok);
    if (!ok)
        return host_unsupported(c, "reduction");
    s.k = ind->shape.dims[q - 1];
    if (s.k < 1 || s.k > r)
        return host_unsupported(c, "index depth %lld", (long long)s.k);
    s.dt = x->dtype;
    s.qlead = q - 1;
    host_strides(&x->shape, s.dst);
    for (int d = 0; d < r; d++)
        s.ddims[d] = x->shape.dims[d];
    s.slice = 1;
    for (int d = (int)s.k; d < r; d++)
        s.slice *= x->shape.dims[d];
    host_memcpy(c, host_out(c, 0), host_in(c, 0), ir_shape_numel(&x->shape) * (int64_t)ir_dtype_size(x->dtype));
    s.y.base = host_out(c, 0);
    s.y.dt = s.dt;
    /* nest: indices lead dims, then the slice */
    HostNest n;
    memset(&n, 0, sizeof n);
    int64_t ist[IR_MAX_RANK];
    host_strides(&ind->shape, ist);
    s.ind.base = host_in(c, 1);
    s.ind.dt = ind->dtype;
    s.upd.base = host_in(c, 2);
    s.upd.dt = upd->dtype;
    int64_t lead = 1;
    for (int d = 0; d < q - 1; d++) {
        n.ext[d] = ind->shape.dims[d];
        s.ind.st[d] = ist[d];
        lead *= ind->shape.dims[d];
    }
    if (ir_shape_numel(&upd->shape) != lead * s.slice)
        return host_unsupported(c, "updates shape");
    int64_t ust = s.slice;
    for (int d = q - 2; d >= 0; d--) {
        s.upd.st[d] = ust;
        ust *= ind->shape.dims[d];
    }
    n.n = q;
    n.ext[q - 1] = s.slice;
    s.upd.st[q - 1] = 1;
    if (ir_shape_numel(&x->shape) > 0)
        host_nest_emit(c, &n, scatnd_body, &s);
    return DLA_OK;
}

static void gathernd_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    ScatState *s = user;
    LLVMValueRef ib = host_acc_index(c, &s->ind, idx);
    /* batch dims address the data directly */
    LLVMValueRef off = host_i64(c, 0);
    for (int d = 0; d < s->nb; d++)
        off = LLVMBuildAdd(c->b, off, LLVMBuildMul(c->b, idx[d], host_i64(c, s->dst[d]), ""), "");
    off = LLVMBuildAdd(c->b, LLVMBuildAdd(c->b, off, nd_offset(c, s, ib), ""), idx[s->qlead], "");
    host_acc_store(c, &s->y, idx, host_load(c, s->upd.base, s->dt, off));
}

DlaStatus host_lower_gather_nd(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *ind = host_inv(c, 1), *y = host_outv(c, 0);
    int r = x->shape.rank, q = ind->shape.rank;
    int nb = (int)ir_attr_int(c->g, node, "batch_dims", 0);
    if (q < 1 || !host_is_int(ind->dtype) || nb < 0 || nb >= q || nb >= r)
        return host_unsupported(c, "indices/batch_dims");
    ScatState s;
    memset(&s, 0, sizeof s);
    s.nb = nb;
    s.k = ind->shape.dims[q - 1];
    if (s.k < 1 || nb + s.k > r)
        return host_unsupported(c, "index depth");
    s.dt = x->dtype;
    s.qlead = q - 1;
    host_strides(&x->shape, s.dst);
    for (int d = 0; d < r; d++)
        s.ddims[d] = x->shape.dims[d];
    s.slice = 1;
    for (int d = nb + (int)s.k; d < r; d++)
        s.slice *= x->shape.dims[d];
    s.upd.base = host_in(c, 0); /* the data */
    s.upd.dt = s.dt;
    int64_t ist[IR_MAX_RANK];
    host_strides(&ind->shape, ist);
    s.ind.base = host_in(c, 1);
    s.ind.dt = ind->dtype;
    HostNest n;
    memset(&n, 0, sizeof n);
    int64_t lead = 1;
    for (int d = 0; d < q - 1; d++) {
        n.ext[d] = ind->shape.dims[d];
        s.ind.st[d] = ist[d];
        lead *= ind->shape.dims[d];
    }
    n.n = q;
    n.ext[q - 1] = s.slice;
    if (ir_shape_numel(&y->shape) != lead * s.slice)
        return host_unsupported(c, "output shape");
    s.y.base = host_out(c, 0);
    s.y.dt = y->dtype;
    int64_t yst = s.slice;
    s.y.st[q - 1] = 1;
    for (int d = q - 2; d >= 0; d--) {
        s.y.st[d] = yst;
        yst *= ind->shape.dims[d];
    }
    if (lead * s.slice > 0 && ir_shape_numel(&x->shape) > 0)
        host_nest_emit(c, &n, gathernd_body, &s);
    return DLA_OK;
}

/* ---- Compress: the condition must be known at compile time (a constant, or a
 * graph input folded by host_session); it becomes a table of selected indices ---- */

typedef struct CompState {
    HostAcc x, y;
    int axis;
    int64_t xst;
    LLVMValueRef tab;
} CompState;

static void comp_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    CompState *s = user;
    LLVMValueRef src = host_load(c, s->tab, DT_INT64, idx[s->axis]);
    LLVMValueRef off = LLVMBuildAdd(c->b, host_acc_index(c, &s->x, idx), LLVMBuildMul(c->b, src, host_i64(c, s->xst), ""), "");
    host_acc_store(c, &s->y, idx, host_load(c, s->x.base, s->x.dt, off));
}

DlaStatus host_lower_compress(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int64_t *cond;
    int64_t nc = host_const_ints(c, 1, &cond);
    if (nc < 0)
        return DLA_ERR_UNSUPPORTED;
    const IrAttr *aa = ir_attr_find(c->g, node, "axis");
    IrShape xs = x->shape;
    int ax = 0;
    if (!aa) { /* flattened */
        int64_t n = ir_shape_numel(&x->shape);
        xs = ir_shape_make(1, &n);
    } else if (!norm_axis(aa->i, x->shape.rank, &ax)) {
        free(cond);
        return host_unsupported(c, "axis");
    }
    int64_t D = xs.dims[ax], k = 0;
    int64_t *tab = dla_malloc((size_t)(D ? D : 1) * sizeof *tab);
    for (int64_t i = 0; i < nc && i < D; i++)
        if (cond[i])
            tab[k++] = i;
    free(cond);
    IrShape ys = xs;
    ys.dims[ax] = k;
    if (ir_shape_numel(&ys) != ir_shape_numel(&y->shape)) {
        free(tab);
        return host_unsupported(c, "output shape disagrees with the condition");
    }
    CompState s;
    memset(&s, 0, sizeof s);
    s.axis = ax;
    s.tab = host_const_data(c, tab, (size_t)k * sizeof *tab);
    free(tab);
    s.x = host_acc_contig(host_in(c, 0), x->dtype, &xs);
    s.xst = s.x.st[ax];
    s.x.st[ax] = 0;
    s.y = host_acc_contig(host_out(c, 0), y->dtype, &ys);
    HostNest n = host_nest_shape(&ys);
    if (k > 0 && ir_shape_numel(&ys) > 0)
        host_nest_emit(c, &n, comp_body, &s);
    return DLA_OK;
}

/* ---- MaxUnpool: y = 0, then y[pos(I[k])] = X[k]. The indices are flat
 * positions in MaxPool's input, whose shape is the default unpool shape
 * ((in - 1) * stride - pads + kernel per spatial dim); with an explicit
 * output_shape they are decoded in that default shape and re-encoded in
 * the output's. ---- */

typedef struct UnpoolState {
    HostAcc x, ind;
    LLVMValueRef y;
    int64_t numel, nsp;
    int64_t def[IR_MAX_RANK], out[IR_MAX_RANK]; /* spatial dims */
    IrDtype dt;
} UnpoolState;

static void unpool_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    UnpoolState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMValueRef i = host_convert(c, host_acc_load(c, &s->ind, idx), s->ind.dt, DT_INT64);
    int same = 1;
    for (int d = 0; d < s->nsp; d++)
        same &= s->def[d] == s->out[d];
    if (!same) {
        /* decode over (nc, spatial default dims), re-encode over the output's */
        LLVMValueRef rem = i, pos[IR_MAX_RANK];
        for (int d = (int)s->nsp - 1; d >= 0; d--) {
            pos[d] = LLVMBuildSRem(B, rem, host_i64(c, s->def[d]), "");
            rem = LLVMBuildSDiv(B, rem, host_i64(c, s->def[d]), "");
        }
        i = rem;
        for (int d = 0; d < s->nsp; d++)
            i = LLVMBuildAdd(B, LLVMBuildMul(B, i, host_i64(c, s->out[d]), ""), pos[d], "");
    }
    i = clamp_i64(c, i, 0, s->numel - 1);
    host_store(c, s->y, s->dt, i, host_acc_load(c, &s->x, idx));
}

DlaStatus host_lower_max_unpool(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *ind = host_inv(c, 1), *y = host_outv(c, 0);
    if (!ir_shape_equal(&x->shape, &ind->shape) || !host_is_int(ind->dtype) || y->dtype != x->dtype)
        return host_unsupported(c, "X and I shapes/dtypes");
    UnpoolState s;
    memset(&s, 0, sizeof s);
    s.dt = x->dtype;
    s.numel = ir_shape_numel(&y->shape);
    s.nsp = x->shape.rank - 2;
    const int64_t *ks, *st, *pads;
    int32_t nk = ir_attr_ints(c->g, node, "kernel_shape", &ks), ns = ir_attr_ints(c->g, node, "strides", &st);
    int32_t np = ir_attr_ints(c->g, node, "pads", &pads);
    if (s.nsp < 1 || nk != s.nsp || y->shape.rank != x->shape.rank)
        return host_unsupported(c, "kernel_shape");
    for (int d = 0; d < s.nsp; d++) {
        int64_t stride = ns == s.nsp ? st[d] : 1;
        int64_t pad = np == 2 * s.nsp ? pads[d] + pads[d + s.nsp] : 0;
        s.def[d] = (x->shape.dims[2 + d] - 1) * stride - pad + ks[d];
        s.out[d] = y->shape.dims[2 + d];
        if (s.def[d] < 1)
            return host_unsupported(c, "unpool shape");
    }
    s.y = host_out(c, 0);
    s.x = host_acc_contig(host_in(c, 0), x->dtype, &x->shape);
    s.ind = host_acc_contig(host_in(c, 1), ind->dtype, &ind->shape);
    HostNest yn = host_nest_shape(&y->shape);
    HostAcc ya = host_acc_contig(s.y, s.dt, &y->shape);
    host_fill(c, &yn, &ya, host_consti(c, s.dt, 0));
    HostNest n = host_nest_shape(&x->shape);
    if (s.numel > 0)
        host_nest_emit(c, &n, unpool_body, &s);
    return DLA_OK;
}
