/* host_ops_elementwise.c - element-wise ops: unary math and activations,
 * binary/variadic arithmetic, comparisons and logic with numpy broadcasting,
 * Where, Clip, Cast. Each is one host_map over the output's index space with
 * every operand broadcast to it; only the scalar function differs, and it is
 * chosen from the tables below by op type. */
#include "host_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct EwState {
    IrOp op;
    IrDtype dt;      /* compute dtype of the operands */
    IrDtype out_dt;
    float alpha, beta, gamma;
    int flag1, flag2;
    HostBin bin;
    int nargs;
} EwState;

static LLVMValueRef cf(HostCtx *c, const EwState *s, double x) { return host_constf(c, s->dt, x); }

static LLVMValueRef m1(HostCtx *c, const EwState *s, const char *fn, LLVMValueRef x)
{
    return host_math(c, fn, s->dt, x, NULL);
}

static LLVMValueRef lt0(HostCtx *c, const EwState *s, LLVMValueRef x)
{
    return host_bin(c, HB_LT, s->dt, x, cf(c, s, 0));
}

/* exp(x) - 1 */
static LLVMValueRef expm1_(HostCtx *c, const EwState *s, LLVMValueRef x)
{
    return LLVMBuildFSub(c->b, m1(c, s, "exp", x), cf(c, s, 1), "");
}

static LLVMValueRef softplus(HostCtx *c, const EwState *s, LLVMValueRef x)
{
    return m1(c, s, "log", LLVMBuildFAdd(c->b, m1(c, s, "exp", x), cf(c, s, 1), ""));
}

static LLVMValueRef unary_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    EwState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMValueRef x = a[0];
    IrOp op = s->op;
    int fl = host_is_float(s->dt);
    if (op == OP_RELU)
        return host_bin(c, HB_MAX, s->dt, x, cf(c, s, 0));
    if (op == OP_ABS)
        return fl ? m1(c, s, "fabs", x) : host_is_signed(s->dt) ? host_select(c, lt0(c, s, x), LLVMBuildNeg(B, x, ""), x) : x;
    if (op == OP_NEG)
        return fl ? LLVMBuildFNeg(B, x, "") : LLVMBuildNeg(B, x, "");
    if (op == OP_SIGN) {
        LLVMValueRef pos = host_bin(c, HB_GT, s->dt, x, cf(c, s, 0));
        return host_select(c, pos, cf(c, s, 1), host_select(c, lt0(c, s, x), cf(c, s, -1), cf(c, s, 0)));
    }
    if (op == OP_IDENTITY)
        return x;
    if (op == OP_NOT)
        return LLVMBuildNot(B, x, "");
    if (op == OP_BITWISE_NOT)
        return LLVMBuildNot(B, x, "");
    if (op == OP_IS_NAN)
        return LLVMBuildFCmp(B, LLVMRealUNO, x, x, "");
    if (op == OP_IS_INF) {
        LLVMValueRef pinf = LLVMBuildFCmp(B, LLVMRealOEQ, x, cf(c, s, INFINITY), "");
        LLVMValueRef ninf = LLVMBuildFCmp(B, LLVMRealOEQ, x, cf(c, s, -INFINITY), "");
        LLVMValueRef r = LLVMConstInt(c->t_i1, 0, 0);
        if (s->flag2)
            r = LLVMBuildOr(B, r, pinf, "");
        if (s->flag1)
            r = LLVMBuildOr(B, r, ninf, "");
        return r;
    }
    if (!fl)
        return NULL;
    /* float-only below */
    if (op == OP_SIGMOID)
        return LLVMBuildFDiv(B, cf(c, s, 1), LLVMBuildFAdd(B, cf(c, s, 1), m1(c, s, "exp", LLVMBuildFNeg(B, x, "")), ""), "");
    if (op == OP_EXP) return m1(c, s, "exp", x);
    if (op == OP_LOG) return m1(c, s, "log", x);
    if (op == OP_SQRT) return m1(c, s, "sqrt", x);
    if (op == OP_FLOOR) return m1(c, s, "floor", x);
    if (op == OP_CEIL) return m1(c, s, "ceil", x);
    if (op == OP_ROUND) return m1(c, s, "roundeven", x);
    if (op == OP_SIN) return m1(c, s, "sin", x);
    if (op == OP_COS) return m1(c, s, "cos", x);
    static const struct {
        IrOp op;
        const char *fn;
    } libm[] = {{OP_TAN, "tan"},     {OP_ASIN, "asin"},   {OP_ACOS, "acos"},   {OP_ATAN, "atan"},
                {OP_SINH, "sinh"},   {OP_COSH, "cosh"},   {OP_ASINH, "asinh"}, {OP_ACOSH, "acosh"},
                {OP_ATANH, "atanh"}, {OP_TANH, "tanh"},   {OP_ERF, "erf"}};
    for (size_t i = 0; i < sizeof libm / sizeof libm[0]; i++)
        if (op == libm[i].op)
            return m1(c, s, libm[i].fn, x);
    if (op == OP_RECIPROCAL)
        return LLVMBuildFDiv(B, cf(c, s, 1), x, "");
    if (op == OP_SOFTPLUS)
        return softplus(c, s, x);
    if (op == OP_SOFTSIGN)
        return LLVMBuildFDiv(B, x, LLVMBuildFAdd(B, cf(c, s, 1), m1(c, s, "fabs", x), ""), "");
    if (op == OP_LEAKY_RELU)
        return host_select(c, lt0(c, s, x), LLVMBuildFMul(B, x, cf(c, s, s->alpha), ""), x);
    if (op == OP_ELU)
        return host_select(c, lt0(c, s, x), LLVMBuildFMul(B, cf(c, s, s->alpha), expm1_(c, s, x), ""), x);
    if (op == OP_SELU) {
        LLVMValueRef neg = LLVMBuildFMul(B, cf(c, s, s->alpha), expm1_(c, s, x), "");
        LLVMValueRef le = host_bin(c, HB_LE, s->dt, x, cf(c, s, 0));
        return LLVMBuildFMul(B, cf(c, s, s->gamma), host_select(c, le, neg, x), "");
    }
    if (op == OP_CELU) {
        LLVMValueRef e = LLVMBuildFMul(B, cf(c, s, s->alpha),
                                       expm1_(c, s, LLVMBuildFDiv(B, x, cf(c, s, s->alpha), "")), "");
        return LLVMBuildFAdd(B, host_bin(c, HB_MAX, s->dt, x, cf(c, s, 0)), host_bin(c, HB_MIN, s->dt, e, cf(c, s, 0)), "");
    }
    if (op == OP_HARD_SIGMOID || op == OP_HARD_SWISH) {
        LLVMValueRef t = LLVMBuildFAdd(B, LLVMBuildFMul(B, x, cf(c, s, s->alpha), ""), cf(c, s, s->beta), "");
        t = host_bin(c, HB_MAX, s->dt, host_bin(c, HB_MIN, s->dt, t, cf(c, s, 1)), cf(c, s, 0));
        return op == OP_HARD_SWISH ? LLVMBuildFMul(B, x, t, "") : t;
    }
    if (op == OP_THRESHOLDED_RELU)
        return host_select(c, host_bin(c, HB_GT, s->dt, x, cf(c, s, s->alpha)), x, cf(c, s, 0));
    if (op == OP_MISH)
        return LLVMBuildFMul(B, x, m1(c, s, "tanh", softplus(c, s, x)), "");
    if (op == OP_GELU) {
        LLVMValueRef inner;
        if (s->flag1) { /* tanh approximation */
            LLVMValueRef x3 = LLVMBuildFMul(B, x, LLVMBuildFMul(B, x, x, ""), "");
            inner = LLVMBuildFAdd(B, x, LLVMBuildFMul(B, cf(c, s, 0.044715), x3, ""), "");
            inner = m1(c, s, "tanh", LLVMBuildFMul(B, cf(c, s, sqrt(2.0 / M_PI)), inner, ""));
        } else {
            inner = m1(c, s, "erf", LLVMBuildFMul(B, x, cf(c, s, M_SQRT1_2), ""));
        }
        return LLVMBuildFMul(B, LLVMBuildFMul(B, cf(c, s, 0.5), x, ""), LLVMBuildFAdd(B, cf(c, s, 1), inner, ""), "");
    }
    if (op == OP_SHRINK) {
        LLVMValueRef lo = host_bin(c, HB_LT, s->dt, x, cf(c, s, -s->alpha));
        LLVMValueRef hi = host_bin(c, HB_GT, s->dt, x, cf(c, s, s->alpha));
        return host_select(c, lo, LLVMBuildFAdd(B, x, cf(c, s, s->beta), ""),
                           host_select(c, hi, LLVMBuildFSub(B, x, cf(c, s, s->beta), ""), cf(c, s, 0)));
    }
    return NULL;
}

static const IrOp int_ok_unary[] = {OP_RELU, OP_ABS, OP_NEG, OP_SIGN, OP_IDENTITY, OP_NOT, OP_BITWISE_NOT};

/* Map with every input broadcast to output 0's shape. */
static void ew_map(HostCtx *c, int nin, const int *which, HostScalarFn f, void *user)
{
    IrValue *o = host_outv(c, 0);
    HostNest nest = host_nest_shape(&o->shape);
    HostAcc out = host_acc_contig(host_out(c, 0), o->dtype, &o->shape);
    HostAcc ins[HOST_MAX_LOOPS];
    for (int i = 0; i < nin; i++) {
        int k = which ? which[i] : i;
        ins[i] = host_acc_bcast(host_in(c, k), host_inv(c, k)->dtype, &host_inv(c, k)->shape, &o->shape);
    }
    host_map(c, &nest, &out, ins, nin, HR_STORE, f, user);
}

DlaStatus host_lower_unary(HostCtx *c, int32_t node)
{
    EwState s;
    memset(&s, 0, sizeof s);
    s.op = host_nd(c)->op;
    s.dt = host_inv(c, 0)->dtype;
    s.out_dt = host_outv(c, 0)->dtype;
    IrOp op = s.op;
    IrGraph *g = c->g;
    int intok = 0;
    for (size_t i = 0; i < sizeof int_ok_unary / sizeof int_ok_unary[0]; i++)
        intok |= int_ok_unary[i] == op;
    if (!host_is_float(s.dt) && !intok && op != OP_IS_NAN && op != OP_IS_INF)
        return host_unsupported(c, "dtype %s", ir_dtype_name(s.dt));
    if ((op == OP_NOT && s.dt != DT_BOOL) || (op == OP_BITWISE_NOT && !host_is_int(s.dt)))
        return host_unsupported(c, "dtype %s", ir_dtype_name(s.dt));
    if ((op == OP_IS_NAN || op == OP_IS_INF) && !host_is_float(s.dt))
        return host_unsupported(c, "dtype %s", ir_dtype_name(s.dt));
    if (op == OP_LEAKY_RELU)
        s.alpha = ir_attr_float(g, node, "alpha", 0.01f);
    else if (op == OP_ELU || op == OP_CELU || op == OP_THRESHOLDED_RELU)
        s.alpha = ir_attr_float(g, node, "alpha", 1.0f);
    else if (op == OP_SELU) {
        s.alpha = ir_attr_float(g, node, "alpha", 1.67326319217681884765625f);
        s.gamma = ir_attr_float(g, node, "gamma", 1.05070102214813232421875f);
    } else if (op == OP_HARD_SIGMOID) {
        s.alpha = ir_attr_float(g, node, "alpha", 0.2f);
        s.beta = ir_attr_float(g, node, "beta", 0.5f);
    } else if (op == OP_HARD_SWISH) {
        s.alpha = 1.0f / 6;
        s.beta = 0.5f;
    } else if (op == OP_SHRINK) {
        s.alpha = ir_attr_float(g, node, "lambd", 0.5f);
        s.beta = ir_attr_float(g, node, "bias", 0.0f);
    } else if (op == OP_IS_INF) {
        s.flag1 = (int)ir_attr_int(g, node, "detect_negative", 1);
        s.flag2 = (int)ir_attr_int(g, node, "detect_positive", 1);
    } else if (op == OP_GELU) {
        const char *ap = ir_attr_string(g, node, "approximate", "none");
        if (strcmp(ap, "none") && strcmp(ap, "tanh"))
            return host_unsupported(c, "approximate='%s'", ap);
        s.flag1 = !strcmp(ap, "tanh");
    }
    ew_map(c, 1, NULL, unary_fn, &s);
    return DLA_OK;
}

/* ---- binary and variadic ---- */

static const struct {
    IrOp op;
    HostBin bin;
    int logic; /* 1: bool operands only, 2: integer only */
} bin_table[] = {
    {OP_ADD, HB_ADD, 0}, {OP_SUB, HB_SUB, 0}, {OP_MUL, HB_MUL, 0}, {OP_DIV, HB_DIV, 0}, {OP_POW, HB_POW, 0},
    {OP_MAX, HB_MAX, 0}, {OP_MIN, HB_MIN, 0}, {OP_SUM, HB_ADD, 0}, {OP_MEAN, HB_ADD, 0}, {OP_MOD, HB_MOD, 0},
    {OP_AND, HB_AND, 1}, {OP_OR, HB_OR, 1}, {OP_XOR, HB_XOR, 1},
    {OP_BITWISE_AND, HB_BITAND, 2}, {OP_BITWISE_OR, HB_BITOR, 2}, {OP_BITWISE_XOR, HB_BITXOR, 2},
    {OP_BIT_SHIFT, HB_SHL, 2},
    {OP_EQUAL, HB_EQ, 0}, {OP_LESS, HB_LT, 0}, {OP_LESS_OR_EQUAL, HB_LE, 0}, {OP_GREATER, HB_GT, 0},
    {OP_GREATER_OR_EQUAL, HB_GE, 0},
};

static LLVMValueRef binary_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    EwState *s = user;
    LLVMValueRef r = a[0];
    for (int i = 1; i < s->nargs; i++)
        r = host_bin(c, s->bin, s->dt, r, a[i]);
    if (s->flag1) /* Mean */
        r = host_bin(c, HB_DIV, s->dt, r, host_consti(c, s->dt, s->nargs));
    return r;
}

static LLVMValueRef pow_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    EwState *s = user;
    LLVMValueRef e = host_convert(c, a[1], (IrDtype)s->flag2, s->dt);
    if (host_is_float(s->dt))
        return host_math(c, "pow", s->dt, a[0], e);
    return host_bin(c, HB_POW, s->dt, a[0], e);
}

DlaStatus host_lower_binary(HostCtx *c, int32_t node)
{
    EwState s;
    memset(&s, 0, sizeof s);
    s.op = host_nd(c)->op;
    s.dt = host_inv(c, 0)->dtype;
    s.nargs = host_nin(c);
    int found = 0;
    for (size_t i = 0; i < sizeof bin_table / sizeof bin_table[0]; i++)
        if (bin_table[i].op == s.op) {
            s.bin = bin_table[i].bin;
            if ((bin_table[i].logic == 1 && s.dt != DT_BOOL) || (bin_table[i].logic == 2 && !host_is_int(s.dt)))
                return host_unsupported(c, "dtype %s", ir_dtype_name(s.dt));
            found = 1;
        }
    DLA_ASSERT(found);
    for (int i = 0; i < s.nargs; i++)
        if (!host_has_in(c, i))
            return host_unsupported(c, "absent input %d", i);
    if (s.op == OP_POW) {
        s.flag2 = (int)host_inv(c, 1)->dtype;
        s.nargs = 2;
        ew_map(c, 2, NULL, pow_fn, &s);
        return DLA_OK;
    }
    for (int i = 1; i < s.nargs; i++)
        if (host_inv(c, i)->dtype != s.dt)
            return host_unsupported(c, "mixed operand dtypes %s and %s", ir_dtype_name(s.dt),
                                    ir_dtype_name(host_inv(c, i)->dtype));
    if (s.op == OP_MEAN)
        s.flag1 = 1;
    if (s.op == OP_MOD && ir_attr_int(c->g, node, "fmod", 0))
        s.bin = HB_FMOD;
    if (s.op == OP_BIT_SHIFT) {
        const char *d = ir_attr_string(c->g, node, "direction", "");
        if (strcmp(d, "LEFT") && strcmp(d, "RIGHT"))
            return host_unsupported(c, "direction='%s'", d);
        s.bin = !strcmp(d, "LEFT") ? HB_SHL : HB_SHR;
    }
    if (s.dt == DT_BOOL && (s.bin == HB_LT || s.bin == HB_GT || s.bin == HB_LE || s.bin == HB_GE))
        return host_unsupported(c, "dtype bool");
    ew_map(c, s.nargs, NULL, binary_fn, &s);
    return DLA_OK;
}

static LLVMValueRef prelu_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    EwState *s = user;
    LLVMValueRef neg = host_bin(c, HB_LT, s->dt, a[0], host_constf(c, s->dt, 0));
    return host_select(c, neg, host_bin(c, HB_MUL, s->dt, a[0], a[1]), a[0]);
}

DlaStatus host_lower_prelu(HostCtx *c, int32_t node)
{
    (void)node;
    EwState s;
    memset(&s, 0, sizeof s);
    s.dt = host_inv(c, 0)->dtype;
    if (host_inv(c, 1)->dtype != s.dt || s.dt == DT_BOOL)
        return host_unsupported(c, "dtype");
    /* slope broadcasts unidirectionally to X; ONNX also allows [C] against [N,C,H,W] in old opsets */
    IrValue *x = host_inv(c, 0), *sl = host_inv(c, 1);
    IrShape ss = sl->shape;
    if (sl->shape.rank == 1 && x->shape.rank > 2 && sl->shape.dims[0] == x->shape.dims[1] && sl->shape.dims[0] != 1 &&
        x->shape.dims[x->shape.rank - 1] != sl->shape.dims[0]) {
        int64_t d[IR_MAX_RANK];
        for (int i = 0; i < x->shape.rank - 1; i++)
            d[i] = 1;
        d[0] = sl->shape.dims[0];
        ss = ir_shape_make(x->shape.rank - 1, d);
    }
    IrValue *o = host_outv(c, 0);
    HostNest nest = host_nest_shape(&o->shape);
    HostAcc out = host_acc_contig(host_out(c, 0), o->dtype, &o->shape);
    HostAcc ins[2] = {host_acc_bcast(host_in(c, 0), s.dt, &x->shape, &o->shape),
                      host_acc_bcast(host_in(c, 1), s.dt, &ss, &o->shape)};
    host_map(c, &nest, &out, ins, 2, HR_STORE, prelu_fn, &s);
    return DLA_OK;
}

static LLVMValueRef where_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    (void)user;
    return host_select(c, a[0], a[1], a[2]);
}

DlaStatus host_lower_where(HostCtx *c, int32_t node)
{
    (void)node;
    if (host_inv(c, 0)->dtype != DT_BOOL || host_inv(c, 1)->dtype != host_inv(c, 2)->dtype)
        return host_unsupported(c, "dtypes");
    ew_map(c, 3, NULL, where_fn, NULL);
    return DLA_OK;
}

typedef struct ClipState {
    IrDtype dt;
    int has_lo, has_hi;
    LLVMValueRef lo, hi; /* attribute bounds (old opsets) */
} ClipState;

static LLVMValueRef clip_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    ClipState *s = user;
    LLVMValueRef x = a[0];
    int k = 1;
    LLVMValueRef lo = s->lo, hi = s->hi;
    if (s->has_lo)
        lo = a[k++];
    if (s->has_hi)
        hi = a[k++];
    if (lo)
        x = host_select(c, host_bin(c, HB_LT, s->dt, x, lo), lo, x);
    if (hi)
        x = host_select(c, host_bin(c, HB_GT, s->dt, x, hi), hi, x);
    return x;
}

DlaStatus host_lower_clip(HostCtx *c, int32_t node)
{
    ClipState s;
    memset(&s, 0, sizeof s);
    s.dt = host_inv(c, 0)->dtype;
    if (s.dt == DT_BOOL)
        return host_unsupported(c, "dtype bool");
    int which[3] = {0, 0, 0}, n = 1;
    if (host_has_in(c, 1)) {
        s.has_lo = 1;
        which[n++] = 1;
    }
    if (host_has_in(c, 2)) {
        s.has_hi = 1;
        which[n++] = 2;
    }
    const IrAttr *amin = ir_attr_find(c->g, node, "min"), *amax = ir_attr_find(c->g, node, "max");
    if (amin && !s.has_lo)
        s.lo = host_constf(c, s.dt, amin->f);
    if (amax && !s.has_hi)
        s.hi = host_constf(c, s.dt, amax->f);
    ew_map(c, n, which, clip_fn, &s);
    return DLA_OK;
}

DlaStatus host_lower_cast(HostCtx *c, int32_t node)
{
    (void)node;
    ew_map(c, 1, NULL, NULL, NULL); /* host_map's default is the dtype conversion */
    return DLA_OK;
}
