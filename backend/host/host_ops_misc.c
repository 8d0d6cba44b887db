/* host_ops_misc.c - smaller ops built on the nest emitter: the window
 * functions (Hann, Hamming, Blackman), ReverseSequence, LRN, TopK and Det. */
#include "host_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- windows: w[i] = a0 - a1 cos(2 pi i / N') + a2 cos(4 pi i / N') ---- */

typedef struct WinState {
    double a0, a1, a2, n;
    IrDtype dt;
    LLVMValueRef out;
} WinState;

static void win_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    WinState *s = user;
    LLVMValueRef i = host_convert(c, idx[0], DT_INT64, DT_DOUBLE);
    LLVMValueRef ph = LLVMBuildFMul(c->b, i, host_constf(c, DT_DOUBLE, 2 * M_PI / s->n), "");
    LLVMValueRef v = LLVMBuildFSub(c->b, host_constf(c, DT_DOUBLE, s->a0),
                                   LLVMBuildFMul(c->b, host_constf(c, DT_DOUBLE, s->a1), host_math(c, "cos", DT_DOUBLE, ph, NULL), ""), "");
    if (s->a2 != 0) {
        LLVMValueRef ph2 = LLVMBuildFMul(c->b, ph, host_constf(c, DT_DOUBLE, 2), "");
        v = LLVMBuildFAdd(c->b, v, LLVMBuildFMul(c->b, host_constf(c, DT_DOUBLE, s->a2), host_math(c, "cos", DT_DOUBLE, ph2, NULL), ""), "");
    }
    host_store(c, s->out, s->dt, idx[0], host_convert(c, v, DT_DOUBLE, s->dt));
}

DlaStatus host_lower_window(HostCtx *c, int32_t node)
{
    IrValue *y = host_outv(c, 0);
    IrOp op = host_nd(c)->op;
    WinState s = {0, 0, 0, 0, y->dtype, host_out(c, 0)};
    if (y->shape.rank != 1 || y->dtype == DT_BOOL)
        return host_unsupported(c, "output");
    int64_t N = y->shape.dims[0];
    int periodic = ir_attr_int(c->g, node, "periodic", 1) != 0;
    s.n = (double)(periodic ? N : N - 1);
    if (s.n <= 0)
        s.n = 1;
    if (op == OP_HANN_WINDOW)
        s.a0 = 0.5, s.a1 = 0.5;
    else if (op == OP_HAMMING_WINDOW)
        s.a0 = 25.0 / 46.0, s.a1 = 21.0 / 46.0;
    else
        s.a0 = 0.42, s.a1 = 0.5, s.a2 = 0.08;
    HostNest n = host_nest_shape(&y->shape);
    host_nest_emit(c, &n, win_body, &s);
    return DLA_OK;
}

/* ---- ReverseSequence ---- */

typedef struct RevState {
    HostAcc x, y, len;
    int tax;
    int64_t T, tst;
} RevState;

static void rev_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    RevState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMValueRef L = host_convert(c, host_acc_load(c, &s->len, idx), s->len.dt, DT_INT64);
    L = host_select(c, LLVMBuildICmp(B, LLVMIntSGT, L, host_i64(c, s->T), ""), host_i64(c, s->T), L);
    LLVMValueRef t = idx[s->tax];
    LLVMValueRef inside = LLVMBuildICmp(B, LLVMIntSLT, t, L, "");
    LLVMValueRef src = host_select(c, inside, LLVMBuildSub(B, LLVMBuildSub(B, L, host_i64(c, 1), ""), t, ""), t);
    src = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, src, host_i64(c, 0), ""), host_i64(c, 0), src);
    LLVMValueRef off = LLVMBuildAdd(B, host_acc_index(c, &s->x, idx), LLVMBuildMul(B, src, host_i64(c, s->tst), ""), "");
    host_acc_store(c, &s->y, idx, host_load(c, s->x.base, s->x.dt, off));
}

DlaStatus host_lower_reverse_sequence(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    int bax = (int)ir_attr_int(c->g, node, "batch_axis", 1), tax = (int)ir_attr_int(c->g, node, "time_axis", 0);
    if (r < 2 || bax < 0 || tax < 0 || bax >= r || tax >= r || bax == tax || !host_is_int(host_inv(c, 1)->dtype))
        return host_unsupported(c, "axes");
    RevState s;
    memset(&s, 0, sizeof s);
    s.x = host_acc_contig(host_in(c, 0), x->dtype, &x->shape);
    s.y = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    s.tst = s.x.st[tax];
    s.x.st[tax] = 0;
    s.tax = tax;
    s.T = x->shape.dims[tax];
    s.len.base = host_in(c, 1);
    s.len.dt = host_inv(c, 1)->dtype;
    s.len.st[bax] = 1;
    HostNest n = host_nest_shape(&x->shape);
    if (ir_shape_numel(&x->shape) > 0)
        host_nest_emit(c, &n, rev_body, &s);
    return DLA_OK;
}

/* ---- LRN: y = x / (bias + alpha/size * sum of x^2 over a channel window)^beta ---- */

typedef struct LrnState {
    IrDtype dt;
    double alpha, beta, bias;
    int64_t size;
} LrnState;

static LLVMValueRef sq_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    LrnState *s = user;
    return host_bin(c, HB_MUL, s->dt, a[0], a[0]);
}

static LLVMValueRef lrn_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    LrnState *s = user; /* a: x, window sum */
    LLVMValueRef d = LLVMBuildFAdd(c->b, host_constf(c, s->dt, s->bias),
                                   LLVMBuildFMul(c->b, host_constf(c, s->dt, s->alpha / (double)s->size), a[1], ""), "");
    return LLVMBuildFDiv(c->b, a[0], host_math(c, "pow", s->dt, d, host_constf(c, s->dt, s->beta)), "");
}

DlaStatus host_lower_lrn(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    int r = x->shape.rank;
    LrnState s = {x->dtype, ir_attr_float(c->g, node, "alpha", 1e-4f), ir_attr_float(c->g, node, "beta", 0.75f),
                  ir_attr_float(c->g, node, "bias", 1.0f), ir_attr_int(c->g, node, "size", 0)};
    if (r < 2 || s.size < 1 || !host_is_float(x->dtype) || r + 1 > HOST_MAX_LOOPS)
        return host_unsupported(c, "rank/size/dtype");
    int64_t pb = (s.size - 1) / 2, C = x->shape.dims[1];
    IrShape ps = x->shape;
    ps.dims[1] = C + s.size - 1;
    size_t es = ir_dtype_size(x->dtype);
    LLVMValueRef sq = host_scratch(c, (size_t)ir_shape_numel(&ps) * es);
    LLVMValueRef sum = host_scratch(c, (size_t)ir_shape_numel(&x->shape) * es);
    HostNest pn = host_nest_shape(&ps), xn = host_nest_shape(&x->shape);
    HostAcc pa = host_acc_contig(sq, x->dtype, &ps), xa = host_acc_contig(host_in(c, 0), x->dtype, &x->shape);
    host_fill(c, &pn, &pa, host_constf(c, x->dtype, 0));
    HostAcc interior = pa;
    interior.off = pb * pa.st[1];
    host_map(c, &xn, &interior, &xa, 1, HR_STORE, sq_fn, &s);
    HostAcc sa = host_acc_contig(sum, x->dtype, &x->shape);
    host_fill(c, &xn, &sa, host_constf(c, x->dtype, 0));
    /* sum[n,c,..] += sq[n, c + k, ..] over k < size: loops x dims ++ [k] */
    HostNest wn = xn;
    wn.ext[wn.n++] = s.size;
    HostAcc win = pa;
    win.st[r] = pa.st[1];
    host_map(c, &wn, &sa, &win, 1, HR_SUM, NULL, NULL);
    HostAcc out = host_acc_contig(host_out(c, 0), host_outv(c, 0)->dtype, &x->shape);
    HostAcc ins[2] = {xa, sa};
    host_map(c, &xn, &out, ins, 2, HR_STORE, lrn_fn, &s);
    return DLA_OK;
}

/* ---- TopK: K rounds of "best not yet taken" per row (ties: lower index) ---- */

typedef struct TopState {
    HostAcc x, v, i; /* x over dims-with-axis-1; outputs likewise */
    int64_t D, K, xst, ost;
    int largest;
    IrDtype dt;
    LLVMValueRef taken, best, besti;
    const LLVMValueRef *oidx;
    LLVMValueRef round;
} TopState;

static void top_scan(HostCtx *c, const LLVMValueRef *j, void *user)
{
    TopState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMValueRef tk = host_load(c, s->taken, DT_BOOL, *j);
    LLVMValueRef off = LLVMBuildAdd(B, host_acc_index(c, &s->x, s->oidx), LLVMBuildMul(B, *j, host_i64(c, s->xst), ""), "");
    LLVMValueRef v = host_load(c, s->x.base, s->dt, off);
    LLVMValueRef b = LLVMBuildLoad2(B, host_ctype(c, s->dt), s->best, "");
    LLVMValueRef bi = LLVMBuildLoad2(B, c->t_i64, s->besti, "");
    LLVMValueRef none = LLVMBuildICmp(B, LLVMIntSLT, bi, host_i64(c, 0), "");
    LLVMValueRef better = host_bin(c, s->largest ? HB_GT : HB_LT, s->dt, v, b);
    LLVMValueRef take = LLVMBuildAnd(B, LLVMBuildNot(B, tk, ""), LLVMBuildOr(B, none, better, ""), "");
    LLVMBuildStore(B, host_select(c, take, v, b), s->best);
    LLVMBuildStore(B, host_select(c, take, *j, bi), s->besti);
}

static void top_round(HostCtx *c, const LLVMValueRef *rr, void *user)
{
    TopState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMBuildStore(B, host_i64(c, -1), s->besti);
    LLVMBuildStore(B, host_constf(c, s->dt, 0), s->best);
    host_loop_dyn(c, host_i64(c, s->D), top_scan, s);
    LLVMValueRef bi = LLVMBuildLoad2(B, c->t_i64, s->besti, "");
    bi = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, bi, host_i64(c, 0), ""), host_i64(c, 0), bi);
    host_store(c, s->taken, DT_BOOL, bi, LLVMConstInt(c->t_i1, 1, 0));
    LLVMValueRef oo = LLVMBuildMul(B, *rr, host_i64(c, s->ost), "");
    host_store(c, s->v.base, s->dt, LLVMBuildAdd(B, host_acc_index(c, &s->v, s->oidx), oo, ""),
               LLVMBuildLoad2(B, host_ctype(c, s->dt), s->best, ""));
    host_store(c, s->i.base, DT_INT64, LLVMBuildAdd(B, host_acc_index(c, &s->i, s->oidx), oo, ""), bi);
}

static void top_row(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    TopState *s = user;
    s->oidx = idx;
    /* clear the taken flags (a nested nest has its own indices) */
    HostNest dn = {1, {s->D}};
    HostAcc t;
    memset(&t, 0, sizeof t);
    t.base = s->taken;
    t.dt = DT_BOOL;
    t.st[0] = 1;
    host_fill(c, &dn, &t, LLVMConstInt(c->t_i1, 0, 0));
    host_loop_dyn(c, host_i64(c, s->K), top_round, s);
}

DlaStatus host_lower_topk(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *v = host_outv(c, 0), *ix = host_outv(c, 1);
    int r = x->shape.rank, ax;
    int64_t a = ir_attr_int(c->g, node, "axis", -1);
    if (a < -r || a >= r || x->dtype == DT_BOOL || ix->dtype != DT_INT64)
        return host_unsupported(c, "axis/dtype");
    ax = (int)(a < 0 ? a + r : a);
    TopState s;
    memset(&s, 0, sizeof s);
    s.dt = x->dtype;
    s.largest = ir_attr_int(c->g, node, "largest", 1) != 0;
    s.D = x->shape.dims[ax];
    s.K = v->shape.dims[ax];
    if (s.K > s.D || s.K < 0)
        return host_unsupported(c, "k larger than the axis");
    s.x = host_acc_contig(host_in(c, 0), x->dtype, &x->shape);
    s.v = host_acc_contig(host_out(c, 0), v->dtype, &v->shape);
    s.i = host_acc_contig(host_out(c, 1), DT_INT64, &ix->shape);
    s.xst = s.x.st[ax];
    s.ost = s.v.st[ax];
    s.x.st[ax] = s.v.st[ax] = s.i.st[ax] = 0;
    s.taken = host_scratch(c, (size_t)(s.D ? s.D : 1));
    s.best = host_alloca(c, host_ctype(c, s.dt), "best");
    s.besti = host_alloca(c, c->t_i64, "besti");
    IrShape rows = x->shape;
    rows.dims[ax] = 1;
    HostNest n = host_nest_shape(&rows);
    if (s.K > 0 && ir_shape_numel(&rows) > 0)
        host_nest_emit(c, &n, top_row, &s);
    return DLA_OK;
}

/* ---- Det: Gaussian elimination with partial pivoting, in double, per matrix.
 * The column loop k is unrolled at compile time (the matrix size is static);
 * the row and column sweeps are run-time loops over a scratch copy. ---- */

typedef struct DetState {
    LLVMValueRef a, piv, best, sign, f;
    int64_t m, k;
    LLVMValueRef i; /* current row (elimination) */
} DetState;

static LLVMValueRef det_at(HostCtx *c, DetState *s, LLVMValueRef r, LLVMValueRef col)
{
    return LLVMBuildAdd(c->b, LLVMBuildMul(c->b, r, host_i64(c, s->m), ""), col, "");
}

static void det_pivot(HostCtx *c, const LLVMValueRef *j, void *user)
{
    DetState *s = user;
    LLVMValueRef r = LLVMBuildAdd(c->b, *j, host_i64(c, s->k), "");
    LLVMValueRef v = host_math(c, "fabs", DT_DOUBLE, host_load(c, s->a, DT_DOUBLE, det_at(c, s, r, host_i64(c, s->k))), NULL);
    LLVMValueRef b = LLVMBuildLoad2(c->b, c->t_f64, s->best, "");
    LLVMValueRef better = LLVMBuildFCmp(c->b, LLVMRealOGT, v, b, "");
    LLVMBuildStore(c->b, host_select(c, better, v, b), s->best);
    LLVMBuildStore(c->b, host_select(c, better, r, LLVMBuildLoad2(c->b, c->t_i64, s->piv, "")), s->piv);
}

static void det_swap(HostCtx *c, const LLVMValueRef *j, void *user)
{
    DetState *s = user;
    LLVMValueRef p = LLVMBuildLoad2(c->b, c->t_i64, s->piv, "");
    LLVMValueRef ak = det_at(c, s, host_i64(c, s->k), *j), ap = det_at(c, s, p, *j);
    LLVMValueRef x = host_load(c, s->a, DT_DOUBLE, ak), y = host_load(c, s->a, DT_DOUBLE, ap);
    host_store(c, s->a, DT_DOUBLE, ak, y);
    host_store(c, s->a, DT_DOUBLE, ap, x);
}

static void det_col(HostCtx *c, const LLVMValueRef *j, void *user)
{
    DetState *s = user;
    LLVMValueRef col = LLVMBuildAdd(c->b, *j, host_i64(c, s->k), "");
    LLVMValueRef ai = det_at(c, s, s->i, col);
    LLVMValueRef akj = host_load(c, s->a, DT_DOUBLE, det_at(c, s, host_i64(c, s->k), col));
    LLVMValueRef f = LLVMBuildLoad2(c->b, c->t_f64, s->f, "");
    host_store(c, s->a, DT_DOUBLE, ai, LLVMBuildFSub(c->b, host_load(c, s->a, DT_DOUBLE, ai), LLVMBuildFMul(c->b, f, akj, ""), ""));
}

static void det_row(HostCtx *c, const LLVMValueRef *j, void *user)
{
    DetState *s = user;
    s->i = LLVMBuildAdd(c->b, *j, host_i64(c, s->k + 1), "");
    LLVMValueRef pv = host_load(c, s->a, DT_DOUBLE, det_at(c, s, host_i64(c, s->k), host_i64(c, s->k)));
    LLVMValueRef aik = host_load(c, s->a, DT_DOUBLE, det_at(c, s, s->i, host_i64(c, s->k)));
    LLVMValueRef zero = LLVMBuildFCmp(c->b, LLVMRealOEQ, pv, LLVMConstReal(c->t_f64, 0), "");
    LLVMBuildStore(c->b, host_select(c, zero, LLVMConstReal(c->t_f64, 0), LLVMBuildFDiv(c->b, aik, pv, "")), s->f);
    host_loop_dyn(c, host_i64(c, s->m - s->k), det_col, s);
}

typedef struct DetOuter {
    DetState s;
    HostAcc x, y;
    IrDtype dt;
    LLVMValueRef base;
} DetOuter;

static void det_copy(HostCtx *c, const LLVMValueRef *e, void *user)
{
    DetOuter *o = user;
    LLVMValueRef v = host_load(c, o->x.base, o->dt, LLVMBuildAdd(c->b, o->base, *e, ""));
    host_store(c, o->s.a, DT_DOUBLE, *e, host_convert(c, v, o->dt, DT_DOUBLE));
}

static void det_matrix(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    DetOuter *o = user;
    DetState *s = &o->s;
    int64_t m = s->m;
    /* copy into the double scratch */
    o->base = host_acc_index(c, &o->x, idx);
    host_loop_dyn(c, host_i64(c, m * m), det_copy, o);
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 1), s->sign);
    for (int64_t k = 0; k < m; k++) {
        s->k = k;
        LLVMBuildStore(c->b, host_i64(c, k), s->piv);
        LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, -1), s->best);
        host_loop_dyn(c, host_i64(c, m - k), det_pivot, s);
        LLVMValueRef p = LLVMBuildLoad2(c->b, c->t_i64, s->piv, "");
        LLVMValueRef moved = LLVMBuildICmp(c->b, LLVMIntNE, p, host_i64(c, k), "");
        HostIf h = host_if_begin(c, moved);
        host_loop_dyn(c, host_i64(c, m), det_swap, s);
        LLVMBuildStore(c->b, LLVMBuildFNeg(c->b, LLVMBuildLoad2(c->b, c->t_f64, s->sign, ""), ""), s->sign);
        host_if_end(c, &h);
        if (k + 1 < m)
            host_loop_dyn(c, host_i64(c, m - k - 1), det_row, s);
    }
    LLVMValueRef d = LLVMBuildLoad2(c->b, c->t_f64, s->sign, "");
    for (int64_t k = 0; k < m; k++)
        d = LLVMBuildFMul(c->b, d, host_load(c, s->a, DT_DOUBLE, host_i64(c, k * m + k)), "");
    host_acc_store(c, &o->y, idx, host_convert(c, d, DT_DOUBLE, o->dt));
}

DlaStatus host_lower_det(HostCtx *c, int32_t node)
{
    (void)node;
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    if (r < 2 || x->shape.dims[r - 1] != x->shape.dims[r - 2] || !host_is_float(x->dtype) || x->shape.dims[r - 1] > 256)
        return host_unsupported(c, "square float matrices (up to 256) needed");
    DetOuter o;
    memset(&o, 0, sizeof o);
    o.dt = x->dtype;
    o.s.m = x->shape.dims[r - 1];
    IrShape bs = ir_shape_make(r - 2, x->shape.dims);
    if (ir_shape_numel(&bs) != ir_shape_numel(&y->shape))
        return host_unsupported(c, "output shape");
    int64_t xst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    o.x.base = host_in(c, 0);
    o.x.dt = o.dt;
    for (int d = 0; d < r - 2; d++)
        o.x.st[d] = xst[d];
    o.y = host_acc_contig(host_out(c, 0), y->dtype, &bs);
    o.s.a = host_scratch(c, (size_t)(o.s.m * o.s.m) * 8);
    o.s.piv = host_alloca(c, c->t_i64, "piv");
    o.s.best = host_alloca(c, c->t_f64, "best");
    o.s.sign = host_alloca(c, c->t_f64, "sign");
    o.s.f = host_alloca(c, c->t_f64, "f");
    HostNest n = host_nest_shape(&bs);
    if (o.s.m > 0 && ir_shape_numel(&bs) > 0)
        host_nest_emit(c, &n, det_matrix, &o);
    return DLA_OK;
}
