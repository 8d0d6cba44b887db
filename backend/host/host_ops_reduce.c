/* host_ops_reduce.c - reductions and the ops built from them: Reduce*,
 * ArgMax/ArgMin, Softmax/LogSoftmax/Hardmax, and the normalizations
 * (BatchNormalization in inference form, LayerNormalization,
 * InstanceNormalization, MeanVarianceNormalization).
 *
 * A reduction over a set of axes (a mask over the input's dims) is a
 * host_reduce whose outer nest is the input shape with reduced dims set to
 * extent 1 (so the output is the keepdims shape, contiguous) and whose inner
 * nest walks the reduced dims. Normalizations reduce into scratch buffers of
 * the keepdims shape and finish with one broadcasting host_map. */
#include "host_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The nests and accesses of "reduce x over mask". */
typedef struct RedGeom {
    HostNest outer, inner;
    HostAcc xin;          /* x over outer ++ inner */
    IrShape keep;         /* keepdims shape */
    int64_t keep_numel, red_count;
} RedGeom;

static void red_geom(const IrValue *x, LLVMValueRef xp, const int *mask, RedGeom *rg)
{
    memset(rg, 0, sizeof *rg);
    int r = x->shape.rank;
    int64_t xst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    rg->outer.n = r;
    rg->xin.base = xp;
    rg->xin.dt = x->dtype;
    rg->keep = x->shape;
    rg->red_count = 1;
    for (int d = 0; d < r; d++) {
        if (mask[d]) {
            rg->outer.ext[d] = 1;
            rg->keep.dims[d] = 1;
            rg->inner.ext[rg->inner.n] = x->shape.dims[d];
            rg->xin.st[r + rg->inner.n] = xst[d];
            rg->inner.n++;
            rg->red_count *= x->shape.dims[d];
        } else {
            rg->outer.ext[d] = x->shape.dims[d];
            rg->xin.st[d] = xst[d];
        }
    }
    rg->keep_numel = ir_shape_numel(&rg->keep);
}

/* Access to a keepdims-shaped buffer broadcast over x's full shape (nest = x shape). */
static HostAcc keep_over_full(LLVMValueRef p, IrDtype dt, const RedGeom *rg)
{
    HostAcc a = host_acc_contig(p, dt, &rg->keep);
    for (int d = 0; d < rg->keep.rank; d++)
        if (rg->outer.ext[d] == 1)
            a.st[d] = 0;
    return a;
}

/* Access to a keepdims-shaped buffer over outer ++ inner (for second-pass reductions). */
static HostAcc keep_over_red(LLVMValueRef p, IrDtype dt, const RedGeom *rg)
{
    return keep_over_full(p, dt, rg);
}

/* Axes of a reduce-like node: attribute `axes` or constant input 1; *all set if none. */
static DlaStatus get_axes(HostCtx *c, int32_t node, int r, int *mask, int *none)
{
    int64_t *ax = NULL, n = -1;
    const int64_t *av;
    int32_t na = ir_attr_ints(c->g, node, "axes", &av);
    if (na >= 0) {
        n = na;
        ax = dla_malloc((size_t)(na ? na : 1) * 8);
        memcpy(ax, av, (size_t)na * 8);
    } else if (host_has_in(c, 1)) {
        if ((n = host_const_ints(c, 1, &ax)) < 0)
            return DLA_ERR_UNSUPPORTED;
    }
    *none = n <= 0;
    for (int d = 0; d < r; d++)
        mask[d] = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t a = ax[i] < 0 ? ax[i] + r : ax[i];
        if (a < 0 || a >= r) {
            free(ax);
            return host_unsupported(c, "axis %lld out of range", (long long)ax[i]);
        }
        mask[a] = 1;
    }
    free(ax);
    return DLA_OK;
}

typedef struct RedKind {
    IrOp op;
    HostRed red;
    int pre;  /* 0 -, 1 |x|, 2 x^2, 3 exp(x) */
    int post; /* 0 -, 1 /count, 2 sqrt, 3 log */
} RedKind;

static const RedKind red_kinds[] = {
    {OP_REDUCE_SUM, HR_SUM, 0, 0}, {OP_REDUCE_MEAN, HR_SUM, 0, 1}, {OP_REDUCE_MAX, HR_MAX, 0, 0},
    {OP_REDUCE_MIN, HR_MIN, 0, 0}, {OP_REDUCE_PROD, HR_PROD, 0, 0}, {OP_REDUCE_L1, HR_SUM, 1, 0},
    {OP_REDUCE_L2, HR_SUM, 2, 2}, {OP_REDUCE_LOG_SUM, HR_SUM, 0, 3}, {OP_REDUCE_LOG_SUM_EXP, HR_SUM, 3, 3},
    {OP_REDUCE_SUM_SQUARE, HR_SUM, 2, 0},
};

typedef struct RedState {
    const RedKind *k;
    IrDtype dt, out_dt;
    int64_t count;
} RedState;

static LLVMValueRef red_pre(HostCtx *c, const LLVMValueRef *a, void *user)
{
    RedState *s = user;
    LLVMValueRef x = host_convert(c, a[0], s->dt, s->out_dt);
    switch (s->k->pre) {
    case 1:
        if (host_is_float(s->out_dt))
            return host_math(c, "fabs", s->out_dt, x, NULL);
        return host_is_signed(s->out_dt)
                   ? host_select(c, host_bin(c, HB_LT, s->out_dt, x, host_consti(c, s->out_dt, 0)),
                                 LLVMBuildNeg(c->b, x, ""), x)
                   : x;
    case 2: return host_bin(c, HB_MUL, s->out_dt, x, x);
    case 3: return host_math(c, "exp", s->out_dt, x, NULL);
    default: return x;
    }
}

static LLVMValueRef red_post(HostCtx *c, const LLVMValueRef *a, void *user)
{
    RedState *s = user;
    switch (s->k->post) {
    case 1: return host_bin(c, HB_DIV, s->out_dt, a[0], host_consti(c, s->out_dt, s->count ? s->count : 1));
    case 2: return host_math(c, "sqrt", s->out_dt, a[0], NULL);
    case 3: return host_math(c, "log", s->out_dt, a[0], NULL);
    default: return a[0];
    }
}

DlaStatus host_lower_reduce(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    RedState s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < sizeof red_kinds / sizeof red_kinds[0]; i++)
        if (red_kinds[i].op == host_nd(c)->op)
            s.k = &red_kinds[i];
    DLA_ASSERT(s.k);
    s.dt = x->dtype;
    s.out_dt = y->dtype;
    if (s.dt == DT_BOOL || ((s.k->post >= 2 || s.k->pre == 3) && !host_is_float(s.out_dt)))
        return host_unsupported(c, "dtype %s", ir_dtype_name(s.dt));
    int r = x->shape.rank, mask[IR_MAX_RANK], none;
    DlaStatus st = get_axes(c, node, r, mask, &none);
    if (st)
        return st;
    if (none) {
        if (ir_attr_int(c->g, node, "noop_with_empty_axes", 0)) {
            HostNest n = host_nest_shape(&y->shape);
            HostAcc o = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
            HostAcc i = host_acc_contig(host_in(c, 0), x->dtype, &x->shape);
            host_map(c, &n, &o, &i, 1, HR_STORE, NULL, NULL);
            return DLA_OK;
        }
        for (int d = 0; d < r; d++)
            mask[d] = 1;
    }
    RedGeom rg;
    red_geom(x, host_in(c, 0), mask, &rg);
    if (rg.keep_numel != ir_shape_numel(&y->shape))
        return host_unsupported(c, "output shape");
    s.count = rg.red_count;
    HostAcc out = host_acc_contig(host_out(c, 0), y->dtype, &rg.keep);
    LLVMValueRef init = s.k->red == HR_SUM ? host_consti(c, s.out_dt, 0) : s.k->red == HR_PROD ? host_consti(c, s.out_dt, 1)
                      : s.k->red == HR_MAX ? host_minval(c, s.out_dt) : host_maxval(c, s.out_dt);
    host_reduce(c, &rg.outer, &rg.inner, &out, &rg.xin, 1, s.k->red, init, s.out_dt, red_pre, &s, red_post, &s);
    return DLA_OK;
}

/* ---- ArgMax / ArgMin ---- */

typedef struct ArgState {
    HostAcc x, out;
    int64_t D, axis_stride;
    int is_max, last;
    LLVMValueRef best, besti;
    IrDtype dt;
} ArgState;

typedef struct ArgOuter {
    ArgState *s;
    const LLVMValueRef *oidx;
} ArgOuter;

static void arg_step(HostCtx *c, const LLVMValueRef *j, void *user)
{
    ArgOuter *ao = user;
    ArgState *s = ao->s;
    LLVMValueRef base = host_acc_index(c, &s->x, ao->oidx);
    LLVMValueRef v = host_load(c, s->x.base, s->dt, LLVMBuildAdd(c->b, base, LLVMBuildMul(c->b, *j, host_i64(c, s->axis_stride), ""), ""));
    LLVMValueRef b = LLVMBuildLoad2(c->b, host_ctype(c, s->dt), s->best, "");
    HostBin cmp = s->is_max ? (s->last ? HB_GE : HB_GT) : (s->last ? HB_LE : HB_LT);
    LLVMValueRef better = host_bin(c, cmp, s->dt, v, b);
    LLVMBuildStore(c->b, host_select(c, better, v, b), s->best);
    LLVMValueRef bi = LLVMBuildLoad2(c->b, c->t_i64, s->besti, "");
    LLVMBuildStore(c->b, host_select(c, better, *j, bi), s->besti);
}

static void arg_outer(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    ArgState *s = user;
    ArgOuter ao = {s, idx};
    LLVMValueRef v0 = host_acc_load(c, &s->x, idx);
    LLVMBuildStore(c->b, v0, s->best);
    LLVMBuildStore(c->b, host_i64(c, 0), s->besti);
    host_loop_dyn(c, host_i64(c, s->D), arg_step, &ao);
    host_acc_store(c, &s->out, idx, LLVMBuildLoad2(c->b, c->t_i64, s->besti, ""));
}

DlaStatus host_lower_argmax(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    int64_t a = ir_attr_int(c->g, node, "axis", 0);
    if (a < 0)
        a += r;
    if (a < 0 || a >= r || x->dtype == DT_BOOL)
        return host_unsupported(c, "axis/dtype");
    ArgState s;
    memset(&s, 0, sizeof s);
    s.is_max = host_nd(c)->op == OP_ARG_MAX;
    s.last = ir_attr_int(c->g, node, "select_last_index", 0) != 0;
    s.dt = x->dtype;
    s.D = x->shape.dims[a];
    if (s.D == 0)
        return host_unsupported(c, "empty axis");
    int64_t xst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    s.axis_stride = xst[a];
    IrShape keep = x->shape;
    keep.dims[a] = 1;
    if (ir_shape_numel(&keep) != ir_shape_numel(&y->shape))
        return host_unsupported(c, "output shape");
    s.x = host_acc_contig(host_in(c, 0), x->dtype, &x->shape);
    s.x.st[a] = 0;
    s.out = host_acc_contig(host_out(c, 0), DT_INT64, &keep);
    s.best = host_alloca(c, host_ctype(c, s.dt), "best");
    s.besti = host_alloca(c, c->t_i64, "besti");
    HostNest n = host_nest_shape(&keep);
    host_nest_emit(c, &n, arg_outer, &s);
    return DLA_OK;
}

/* ---- Softmax family ---- */

typedef struct SmState {
    IrDtype dt;
    int log;
} SmState;

static LLVMValueRef sub_exp(HostCtx *c, const LLVMValueRef *a, void *user)
{
    SmState *s = user;
    return host_math(c, "exp", s->dt, host_bin(c, HB_SUB, s->dt, a[0], a[1]), NULL);
}

static LLVMValueRef sm_fin(HostCtx *c, const LLVMValueRef *a, void *user)
{
    SmState *s = user;
    if (s->log) /* x - max - log(sum) */
        return host_bin(c, HB_SUB, s->dt, host_bin(c, HB_SUB, s->dt, a[0], a[1]), host_math(c, "log", s->dt, a[2], NULL));
    return host_bin(c, HB_DIV, s->dt, a[1], a[2]);
}

static DlaStatus softmax_mask(HostCtx *c, int32_t node, int r, int *mask)
{
    int64_t opset = ir_graph_opset(c->g, "");
    int64_t ax = ir_attr_int(c->g, node, "axis", opset >= 13 || opset == 0 ? -1 : 1);
    if (ax < 0)
        ax += r;
    if (ax < 0 || ax >= r)
        return host_unsupported(c, "axis out of range");
    for (int d = 0; d < r; d++)
        mask[d] = opset >= 13 || opset == 0 ? d == ax : d >= ax;
    return DLA_OK;
}

void host_softmax_core(HostCtx *c, const IrValue *x, LLVMValueRef xp, const int *mask, LLVMValueRef yp, IrDtype ydt,
                       int log)
{
    SmState s = {x->dtype, log};
    IrDtype acc = x->dtype == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
    RedGeom rg;
    red_geom(x, xp, mask, &rg);
    if (rg.red_count == 0 || ir_shape_numel(&x->shape) == 0)
        return;
    LLVMValueRef mx = host_scratch(c, (size_t)rg.keep_numel * ir_dtype_size(acc));
    LLVMValueRef sm = host_scratch(c, (size_t)rg.keep_numel * ir_dtype_size(acc));
    HostAcc mxo = host_acc_contig(mx, acc, &rg.keep), smo = host_acc_contig(sm, acc, &rg.keep);
    host_reduce(c, &rg.outer, &rg.inner, &mxo, &rg.xin, 1, HR_MAX, host_minval(c, acc), acc, NULL, NULL, NULL, NULL);
    /* sum of exp(x - max) over the reduced dims */
    HostAcc two[2] = {rg.xin, keep_over_red(mx, acc, &rg)};
    host_reduce(c, &rg.outer, &rg.inner, &smo, two, 2, HR_SUM, host_constf(c, acc, 0), acc, sub_exp, &s, NULL, NULL);
    /* final map over the full shape */
    HostNest full = host_nest_shape(&x->shape);
    HostAcc out = host_acc_contig(yp, ydt, &x->shape);
    HostAcc ins[3] = {host_acc_contig(xp, x->dtype, &x->shape), keep_over_full(mx, acc, &rg),
                      keep_over_full(sm, acc, &rg)};
    if (log) {
        host_map(c, &full, &out, ins, 3, HR_STORE, sm_fin, &s);
    } else {
        /* exp(x - max), then divided by the sum in place */
        host_map(c, &full, &out, ins, 2, HR_STORE, sub_exp, &s);
        HostAcc i3[3] = {ins[0], host_acc_contig(yp, ydt, &x->shape), ins[2]};
        host_map(c, &full, &out, i3, 3, HR_STORE, sm_fin, &s);
    }
}

DlaStatus host_lower_softmax(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    if (!host_is_float(x->dtype))
        return host_unsupported(c, "dtype");
    int r = x->shape.rank, mask[IR_MAX_RANK];
    if (r == 0)
        return host_unsupported(c, "scalar input");
    DlaStatus st = softmax_mask(c, node, r, mask);
    if (st)
        return st;
    host_softmax_core(c, x, host_in(c, 0), mask, host_out(c, 0), y->dtype, host_nd(c)->op == OP_LOG_SOFTMAX);
    return DLA_OK;
}

/* Hardmax: 1 at the first maximum along the axis, else 0 (ArgMax + one-hot). */
typedef struct HmState {
    HostAcc x, out;
    int64_t D, st;
    LLVMValueRef best, besti;
    IrDtype dt;
} HmState;

static void hm_step(HostCtx *c, const LLVMValueRef *j, void *user)
{
    ArgOuter *ao = user;
    HmState *s = (HmState *)ao->s;
    LLVMValueRef off = LLVMBuildAdd(c->b, host_acc_index(c, &s->x, ao->oidx), LLVMBuildMul(c->b, *j, host_i64(c, s->st), ""), "");
    LLVMValueRef v = host_load(c, s->x.base, s->dt, off);
    LLVMValueRef b = LLVMBuildLoad2(c->b, host_ctype(c, s->dt), s->best, "");
    LLVMValueRef better = host_bin(c, HB_GT, s->dt, v, b);
    LLVMBuildStore(c->b, host_select(c, better, v, b), s->best);
    LLVMBuildStore(c->b, host_select(c, better, *j, LLVMBuildLoad2(c->b, c->t_i64, s->besti, "")), s->besti);
}

static void hm_write(HostCtx *c, const LLVMValueRef *j, void *user)
{
    ArgOuter *ao = user;
    HmState *s = (HmState *)ao->s;
    LLVMValueRef off = LLVMBuildAdd(c->b, host_acc_index(c, &s->out, ao->oidx), LLVMBuildMul(c->b, *j, host_i64(c, s->st), ""), "");
    LLVMValueRef hit = LLVMBuildICmp(c->b, LLVMIntEQ, *j, LLVMBuildLoad2(c->b, c->t_i64, s->besti, ""), "");
    host_store(c, s->out.base, s->dt, off, host_select(c, hit, host_constf(c, s->dt, 1), host_constf(c, s->dt, 0)));
}

static void hm_outer(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    HmState *s = user;
    ArgOuter ao = {(ArgState *)s, idx};
    LLVMBuildStore(c->b, host_minval(c, s->dt), s->best);
    LLVMBuildStore(c->b, host_i64(c, 0), s->besti);
    host_loop_dyn(c, host_i64(c, s->D), hm_step, &ao);
    host_loop_dyn(c, host_i64(c, s->D), hm_write, &ao);
}

DlaStatus host_lower_hardmax(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    int r = x->shape.rank, mask[IR_MAX_RANK];
    if (!host_is_float(x->dtype) || r == 0)
        return host_unsupported(c, "dtype/rank");
    DlaStatus st = softmax_mask(c, node, r, mask);
    if (st)
        return st;
    /* view x as [outer, D, inner]: D spans the masked dims (one axis from
     * opset 13 on, all trailing dims from the axis before) */
    int64_t outer = 1, D = 1, inner = 1;
    int seen = 0;
    for (int d = 0; d < r; d++) {
        if (mask[d]) {
            D *= x->shape.dims[d];
            seen = 1;
        } else if (!seen) {
            outer *= x->shape.dims[d];
        } else {
            inner *= x->shape.dims[d];
        }
    }
    if (outer * D * inner == 0)
        return DLA_OK;
    HmState s;
    memset(&s, 0, sizeof s);
    s.dt = x->dtype;
    s.D = D;
    s.st = inner;
    s.x.base = host_in(c, 0);
    s.x.dt = s.dt;
    s.x.st[0] = D * inner;
    s.x.st[1] = 1;
    s.out.base = host_out(c, 0);
    s.out.dt = s.dt;
    s.out.st[0] = D * inner;
    s.out.st[1] = 1;
    s.best = host_alloca(c, host_ctype(c, s.dt), "best");
    s.besti = host_alloca(c, c->t_i64, "besti");
    HostNest n = {2, {outer, inner}};
    host_nest_emit(c, &n, hm_outer, &s);
    return DLA_OK;
}

/* ---- normalizations ---- */

typedef struct NormState {
    IrDtype dt;
    double eps;
    int64_t count;
    int has_scale, has_bias;
} NormState;

static LLVMValueRef sqdiff(HostCtx *c, const LLVMValueRef *a, void *user)
{
    NormState *s = user;
    LLVMValueRef d = host_bin(c, HB_SUB, s->dt, a[0], a[1]);
    return host_bin(c, HB_MUL, s->dt, d, d);
}

static LLVMValueRef div_count(HostCtx *c, const LLVMValueRef *a, void *user)
{
    NormState *s = user;
    return host_bin(c, HB_DIV, s->dt, a[0], host_consti(c, s->dt, s->count ? s->count : 1));
}

static LLVMValueRef invstd_fin(HostCtx *c, const LLVMValueRef *a, void *user)
{
    NormState *s = user;
    LLVMValueRef var = host_bin(c, HB_DIV, s->dt, a[0], host_consti(c, s->dt, s->count ? s->count : 1));
    return host_bin(c, HB_DIV, s->dt, host_constf(c, s->dt, 1),
                    host_math(c, "sqrt", s->dt, host_bin(c, HB_ADD, s->dt, var, host_constf(c, s->dt, s->eps)), NULL));
}

static LLVMValueRef norm_apply(HostCtx *c, const LLVMValueRef *a, void *user)
{
    NormState *s = user;
    /* a: x, mean, invstd, [scale], [bias] */
    LLVMValueRef v = host_bin(c, HB_MUL, s->dt, host_bin(c, HB_SUB, s->dt, a[0], a[1]), a[2]);
    int k = 3;
    if (s->has_scale)
        v = host_bin(c, HB_MUL, s->dt, v, a[k++]);
    if (s->has_bias)
        v = host_bin(c, HB_ADD, s->dt, v, a[k++]);
    return v;
}

/* y = (x - mean) * invstd [* scale] [+ bias], statistics over mask.
 * scale/bias are accesses over x's full shape (base NULL: absent).
 * mean_out/invstd_out: optional outputs of the keepdims shape (NULL: scratch). */
static void normalize(HostCtx *c, const IrValue *x, LLVMValueRef xp, const int *mask, double eps,
                      const HostAcc *scale, const HostAcc *bias, LLVMValueRef yp, IrDtype ydt,
                      LLVMValueRef mean_out, LLVMValueRef invstd_out)
{
    IrDtype acc = x->dtype == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
    RedGeom rg;
    red_geom(x, xp, mask, &rg);
    NormState s = {acc, eps, rg.red_count, scale && scale->base, bias && bias->base};
    LLVMValueRef mean = host_scratch(c, (size_t)rg.keep_numel * ir_dtype_size(acc));
    LLVMValueRef inv = host_scratch(c, (size_t)rg.keep_numel * ir_dtype_size(acc));
    HostAcc mo = host_acc_contig(mean, acc, &rg.keep), io = host_acc_contig(inv, acc, &rg.keep);
    host_reduce(c, &rg.outer, &rg.inner, &mo, &rg.xin, 1, HR_SUM, host_constf(c, acc, 0), acc, NULL, NULL, div_count, &s);
    HostAcc two[2] = {rg.xin, keep_over_red(mean, acc, &rg)};
    host_reduce(c, &rg.outer, &rg.inner, &io, two, 2, HR_SUM, host_constf(c, acc, 0), acc, sqdiff, &s, invstd_fin, &s);
    HostNest full = host_nest_shape(&x->shape);
    HostAcc out = host_acc_contig(yp, ydt, &x->shape);
    HostAcc ins[5] = {host_acc_contig(xp, x->dtype, &x->shape), keep_over_full(mean, acc, &rg),
                      keep_over_full(inv, acc, &rg)};
    int n = 3;
    if (s.has_scale)
        ins[n++] = *scale;
    if (s.has_bias)
        ins[n++] = *bias;
    host_map(c, &full, &out, ins, n, HR_STORE, norm_apply, &s);
    HostNest kn = host_nest_shape(&rg.keep);
    if (mean_out) {
        HostAcc d = host_acc_contig(mean_out, x->dtype, &rg.keep);
        host_map(c, &kn, &d, &mo, 1, HR_STORE, NULL, NULL);
    }
    if (invstd_out) {
        HostAcc d = host_acc_contig(invstd_out, x->dtype, &rg.keep);
        host_map(c, &kn, &d, &io, 1, HR_STORE, NULL, NULL);
    }
}

DlaStatus host_lower_layernorm(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    int r = x->shape.rank, mask[IR_MAX_RANK];
    int64_t ax = ir_attr_int(c->g, node, "axis", -1);
    if (ax < 0)
        ax += r;
    if (ax < 0 || ax >= r || !host_is_float(x->dtype))
        return host_unsupported(c, "axis/dtype");
    if (ir_attr_int(c->g, node, "stash_type", 1) != 1)
        return host_unsupported(c, "stash_type");
    for (int d = 0; d < r; d++)
        mask[d] = d >= ax;
    HostAcc sc, bi;
    memset(&sc, 0, sizeof sc);
    memset(&bi, 0, sizeof bi);
    sc = host_acc_bcast(host_in(c, 1), host_inv(c, 1)->dtype, &host_inv(c, 1)->shape, &x->shape);
    if (host_has_in(c, 2))
        bi = host_acc_bcast(host_in(c, 2), host_inv(c, 2)->dtype, &host_inv(c, 2)->shape, &x->shape);
    IrNode *nd = host_nd(c);
    LLVMValueRef mo = nd->noutputs > 1 && nd->outputs[1] >= 0 ? host_out(c, 1) : NULL;
    LLVMValueRef io = nd->noutputs > 2 && nd->outputs[2] >= 0 ? host_out(c, 2) : NULL;
    if ((mo && host_outv(c, 1)->dtype != x->dtype) || (io && host_outv(c, 2)->dtype != x->dtype))
        return host_unsupported(c, "statistics dtype");
    normalize(c, x, host_in(c, 0), mask, ir_attr_float(c->g, node, "epsilon", 1e-5f), &sc, host_has_in(c, 2) ? &bi : NULL,
              host_out(c, 0), host_outv(c, 0)->dtype, mo, io);
    return DLA_OK;
}

/* per-channel [C] vector as an access over an [N,C,...] shape */
static HostAcc chan_acc(LLVMValueRef p, IrDtype dt, const IrShape *s)
{
    HostAcc a;
    memset(&a, 0, sizeof a);
    a.base = p;
    a.dt = dt;
    (void)s;
    a.st[1] = 1;
    return a;
}

DlaStatus host_lower_instancenorm(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    int r = x->shape.rank, mask[IR_MAX_RANK];
    if (r < 3 || !host_is_float(x->dtype))
        return host_unsupported(c, "rank/dtype");
    for (int d = 0; d < r; d++)
        mask[d] = d >= 2;
    HostAcc sc = chan_acc(host_in(c, 1), host_inv(c, 1)->dtype, &x->shape);
    HostAcc bi = chan_acc(host_in(c, 2), host_inv(c, 2)->dtype, &x->shape);
    normalize(c, x, host_in(c, 0), mask, ir_attr_float(c->g, node, "epsilon", 1e-5f), &sc, &bi, host_out(c, 0),
              host_outv(c, 0)->dtype, NULL, NULL);
    return DLA_OK;
}

DlaStatus host_lower_mvn(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    int r = x->shape.rank, mask[IR_MAX_RANK];
    if (!host_is_float(x->dtype))
        return host_unsupported(c, "dtype");
    const int64_t *ax;
    int32_t na = ir_attr_ints(c->g, node, "axes", &ax);
    for (int d = 0; d < r; d++)
        mask[d] = na < 0 && (d == 0 || d >= 2);
    for (int i = 0; i < na; i++) {
        int64_t a = ax[i] < 0 ? ax[i] + r : ax[i];
        if (a < 0 || a >= r)
            return host_unsupported(c, "axis");
        mask[a] = 1;
    }
    normalize(c, x, host_in(c, 0), mask, 1e-9, NULL, NULL, host_out(c, 0), host_outv(c, 0)->dtype, NULL, NULL);
    return DLA_OK;
}

/* BatchNormalization, inference form: per-channel a = scale/sqrt(var+eps),
 * b = bias - mean*a computed once into scratch, then y = x*a + b. */
typedef struct BnState {
    IrDtype dt;
    double eps;
} BnState;

static LLVMValueRef bn_a(HostCtx *c, const LLVMValueRef *v, void *user)
{
    BnState *s = user; /* v: scale, var */
    LLVMValueRef d = host_math(c, "sqrt", s->dt, host_bin(c, HB_ADD, s->dt, v[1], host_constf(c, s->dt, s->eps)), NULL);
    return host_bin(c, HB_DIV, s->dt, v[0], d);
}

static LLVMValueRef bn_b(HostCtx *c, const LLVMValueRef *v, void *user)
{
    BnState *s = user; /* v: bias, mean, a */
    return host_bin(c, HB_SUB, s->dt, v[0], host_bin(c, HB_MUL, s->dt, v[1], v[2]));
}

/* running statistic: input * momentum + batch * (1 - momentum); momentum in eps */
static LLVMValueRef bn_running(HostCtx *c, const LLVMValueRef *v, void *user)
{
    BnState *s = user;
    return host_bin(c, HB_ADD, s->dt, host_bin(c, HB_MUL, s->dt, v[0], host_constf(c, s->dt, s->eps)),
                    host_bin(c, HB_MUL, s->dt, v[1], host_constf(c, s->dt, 1.0 - s->eps)));
}

static LLVMValueRef bn_apply(HostCtx *c, const LLVMValueRef *v, void *user)
{
    BnState *s = user;
    return host_bin(c, HB_ADD, s->dt, host_bin(c, HB_MUL, s->dt, v[0], v[1]), v[2]);
}

DlaStatus host_lower_batchnorm(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    if (!host_is_float(x->dtype) || x->shape.rank < 2)
        return host_unsupported(c, "dtype/rank");
    IrNode *nd = host_nd(c);
    int training = ir_attr_int(c->g, node, "training_mode", 0) != 0 || (nd->noutputs > 1 && nd->outputs[1] >= 0);
    for (int i = 1; i < 5; i++)
        if (!host_has_in(c, i) || ir_shape_numel(&host_inv(c, i)->shape) != x->shape.dims[1])
            return host_unsupported(c, "input %d shape", i);
    IrDtype acc = x->dtype == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
    BnState s = {acc, ir_attr_float(c->g, node, "epsilon", 1e-5f)};
    int64_t C = x->shape.dims[1];
    IrShape cs = ir_shape_make(1, &C);
    LLVMValueRef meanp = host_in(c, 3), varp = host_in(c, 4);
    IrDtype mdt = host_inv(c, 3)->dtype, vdt = host_inv(c, 4)->dtype;
    if (training) {
        /* batch statistics over every dim but the channel (population variance), and
         * running = input * momentum + batch * (1 - momentum) into outputs 1 and 2 */
        int mask[IR_MAX_RANK];
        for (int d = 0; d < x->shape.rank; d++)
            mask[d] = d != 1;
        RedGeom rg;
        red_geom(x, host_in(c, 0), mask, &rg);
        NormState ns = {acc, 0, rg.red_count, 0, 0};
        meanp = host_scratch(c, (size_t)C * ir_dtype_size(acc));
        varp = host_scratch(c, (size_t)C * ir_dtype_size(acc));
        mdt = vdt = acc;
        HostAcc mo = host_acc_contig(meanp, acc, &rg.keep), vo = host_acc_contig(varp, acc, &rg.keep);
        host_reduce(c, &rg.outer, &rg.inner, &mo, &rg.xin, 1, HR_SUM, host_constf(c, acc, 0), acc, NULL, NULL, div_count, &ns);
        HostAcc two[2] = {rg.xin, keep_over_red(meanp, acc, &rg)};
        host_reduce(c, &rg.outer, &rg.inner, &vo, two, 2, HR_SUM, host_constf(c, acc, 0), acc, sqdiff, &ns, div_count, &ns);
        BnState ms = {acc, ir_attr_float(c->g, node, "momentum", 0.9f)};
        HostNest cn = host_nest_shape(&cs);
        for (int k = 1; k <= 2; k++) {
            if (nd->noutputs <= k || nd->outputs[k] < 0)
                continue;
            HostAcc ro = host_acc_contig(host_out(c, k), host_outv(c, k)->dtype, &cs);
            HostAcc in2[2] = {host_acc_contig(host_in(c, 2 + k), host_inv(c, 2 + k)->dtype, &cs),
                              host_acc_contig(k == 1 ? meanp : varp, acc, &cs)};
            host_map(c, &cn, &ro, in2, 2, HR_STORE, bn_running, &ms);
        }
    }
    LLVMValueRef ap = host_scratch(c, (size_t)C * ir_dtype_size(acc)), bp = host_scratch(c, (size_t)C * ir_dtype_size(acc));
    HostNest cn = host_nest_shape(&cs);
    HostAcc aa = host_acc_contig(ap, acc, &cs), ba = host_acc_contig(bp, acc, &cs);
    HostAcc in1[2] = {host_acc_contig(host_in(c, 1), host_inv(c, 1)->dtype, &cs), host_acc_contig(varp, vdt, &cs)};
    host_map(c, &cn, &aa, in1, 2, HR_STORE, bn_a, &s);
    HostAcc in2[3] = {host_acc_contig(host_in(c, 2), host_inv(c, 2)->dtype, &cs), host_acc_contig(meanp, mdt, &cs), aa};
    host_map(c, &cn, &ba, in2, 3, HR_STORE, bn_b, &s);
    HostNest full = host_nest_shape(&x->shape);
    HostAcc out = host_acc_contig(host_out(c, 0), host_outv(c, 0)->dtype, &x->shape);
    HostAcc in3[3] = {host_acc_contig(host_in(c, 0), x->dtype, &x->shape), chan_acc(ap, acc, &x->shape),
                      chan_acc(bp, acc, &x->shape)};
    host_map(c, &full, &out, in3, 3, HR_STORE, bn_apply, &s);
    return DLA_OK;
}
