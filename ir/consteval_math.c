/* consteval_math.c - the constant evaluator's element-wise float math: the
 * unary ONNX activations and math functions (Sigmoid, Tanh, Erf, Exp, Log,
 * Softplus, Mish, Gelu, Selu, Celu, Elu, HardSwish, ...), Clip, PRelu and Pow.
 *
 * Why here: the quantizer builds each QLut table by evaluating the float ops
 * of an element-wise group on the 256 dequantized int8 inputs
 * (passes/act_group.c), and pass_fold folds such nodes on constants; both
 * need the float semantics the host backend runs, defined once.
 *
 * Semantics: each op is the formula of the host backend's lowering
 * (backend/host/host_ops_elementwise.c), operation by operation, in the
 * tensor's own precision: for float32 every + - * / is rounded to float32
 * (double arithmetic rounded once gives exactly the float32 result) and the
 * transcendental functions are the C library's float versions (expf, tanhf,
 * erff...), which is what the JIT calls. So a table computed here holds what
 * the host would compute for the same input. Double tensors use the double
 * functions. Other dtypes are not evaluated here (CE_NO). */
#include "consteval_int.h"

#include <math.h>
#include <string.h>

typedef enum CeLibm {
    LM_EXP, LM_LOG, LM_SQRT, LM_TANH, LM_ERF, LM_SIN, LM_COS, LM_TAN, LM_ASIN, LM_ACOS, LM_ATAN,
    LM_SINH, LM_COSH, LM_ASINH, LM_ACOSH, LM_ATANH, LM_ROUND, LM_FABS, LM__COUNT
} CeLibm;

static float roundevenf_(float x) { return nearbyintf(x); } /* default rounding: to nearest, ties to even */
static double roundeven_(double x) { return nearbyint(x); }

static const struct {
    float (*f)(float);
    double (*d)(double);
} ce_libm[LM__COUNT] = {
    [LM_EXP] = {expf, exp},       [LM_LOG] = {logf, log},       [LM_SQRT] = {sqrtf, sqrt},
    [LM_TANH] = {tanhf, tanh},    [LM_ERF] = {erff, erf},       [LM_SIN] = {sinf, sin},
    [LM_COS] = {cosf, cos},       [LM_TAN] = {tanf, tan},       [LM_ASIN] = {asinf, asin},
    [LM_ACOS] = {acosf, acos},    [LM_ATAN] = {atanf, atan},    [LM_SINH] = {sinhf, sinh},
    [LM_COSH] = {coshf, cosh},    [LM_ASINH] = {asinhf, asinh}, [LM_ACOSH] = {acoshf, acosh},
    [LM_ATANH] = {atanhf, atanh}, [LM_ROUND] = {roundevenf_, roundeven_}, [LM_FABS] = {fabsf, fabs},
};

/* The evaluation precision and the op's attributes (float32 as the host reads them). */
typedef struct CeMath {
    int f32;
    double alpha, beta, gamma;
    int flag;
} CeMath;

/* Round to the tensor's precision: one float32 operation when f32. */
static double R(const CeMath *m, double v) { return m->f32 ? (double)(float)v : v; }
static double LM(const CeMath *m, CeLibm f, double x)
{
    return m->f32 ? (double)ce_libm[f].f((float)x) : ce_libm[f].d(x);
}
/* The host's max/min: select(a > b, a, b) with NaN in a propagating. */
static double mx(double a, double b) { return !(a <= b) ? a : b; }
static double mn(double a, double b) { return !(a >= b) ? a : b; }

static double softplus(const CeMath *m, double x) { return LM(m, LM_LOG, R(m, LM(m, LM_EXP, x) + 1)); }
static double expm1_(const CeMath *m, double x) { return R(m, LM(m, LM_EXP, x) - 1); }

static int unary_libm(IrOp op, CeLibm *f)
{
    static const struct {
        IrOp op;
        CeLibm f;
    } t[] = {{OP_EXP, LM_EXP},     {OP_LOG, LM_LOG},     {OP_SQRT, LM_SQRT},   {OP_TANH, LM_TANH},
             {OP_ERF, LM_ERF},     {OP_SIN, LM_SIN},     {OP_COS, LM_COS},     {OP_TAN, LM_TAN},
             {OP_ASIN, LM_ASIN},   {OP_ACOS, LM_ACOS},   {OP_ATAN, LM_ATAN},   {OP_SINH, LM_SINH},
             {OP_COSH, LM_COSH},   {OP_ASINH, LM_ASINH}, {OP_ACOSH, LM_ACOSH}, {OP_ATANH, LM_ATANH},
             {OP_ROUND, LM_ROUND}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].op == op) {
            *f = t[i].f;
            return 1;
        }
    return 0;
}

/* One element of a unary op (the host's unary_fn, in the same order). */
static double unary(const CeMath *m, IrOp op, double x)
{
    CeLibm f;
    if (unary_libm(op, &f))
        return LM(m, f, x);
    switch (op) {
    case OP_SIGMOID: return R(m, 1.0 / R(m, 1.0 + LM(m, LM_EXP, -x)));
    case OP_RECIPROCAL: return R(m, 1.0 / x);
    case OP_SOFTPLUS: return softplus(m, x);
    case OP_SOFTSIGN: return R(m, x / R(m, 1.0 + LM(m, LM_FABS, x)));
    case OP_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
    case OP_LEAKY_RELU: return x < 0 ? R(m, x * m->alpha) : x;
    case OP_ELU: return x < 0 ? R(m, m->alpha * expm1_(m, x)) : x;
    case OP_SELU: return R(m, m->gamma * (x <= 0 ? R(m, m->alpha * expm1_(m, x)) : x));
    case OP_CELU: {
        double e = R(m, m->alpha * expm1_(m, R(m, x / m->alpha)));
        return R(m, mx(x, 0) + mn(e, 0));
    }
    case OP_HARD_SIGMOID: case OP_HARD_SWISH: {
        double t = R(m, R(m, x * m->alpha) + m->beta);
        t = mx(mn(t, 1), 0);
        return op == OP_HARD_SWISH ? R(m, x * t) : t;
    }
    case OP_THRESHOLDED_RELU: return x > m->alpha ? x : 0.0;
    case OP_MISH: return R(m, x * LM(m, LM_TANH, softplus(m, x)));
    case OP_GELU: {
        double inner;
        /* the host's constants: sqrt(2 / pi) and 1 / sqrt(2) in double, rounded to the dtype */
        if (m->flag) { /* tanh approximation */
            double x3 = R(m, x * R(m, x * x));
            inner = R(m, x + R(m, R(m, 0.044715) * x3));
            inner = LM(m, LM_TANH, R(m, R(m, 0.79788456080286535588) * inner));
        } else {
            inner = LM(m, LM_ERF, R(m, x * R(m, 0.70710678118654752440)));
        }
        return R(m, R(m, 0.5 * x) * R(m, 1.0 + inner));
    }
    case OP_SHRINK:
        return x < -m->alpha ? R(m, x + m->beta) : x > m->alpha ? R(m, x - m->beta) : 0.0;
    default: return NAN; /* not reached: ir_const_math_unary() filters */
    }
}

int ir_const_math_unary(IrOp op)
{
    CeLibm f;
    if (unary_libm(op, &f))
        return 1;
    switch (op) {
    case OP_SIGMOID: case OP_RECIPROCAL: case OP_SOFTPLUS: case OP_SOFTSIGN: case OP_SIGN:
    case OP_LEAKY_RELU: case OP_ELU: case OP_SELU: case OP_CELU: case OP_HARD_SIGMOID:
    case OP_HARD_SWISH: case OP_THRESHOLDED_RELU: case OP_MISH: case OP_GELU: case OP_SHRINK:
        return 1;
    default:
        return 0;
    }
}

/* The attributes as the host lowering reads them (float32 values, its defaults). */
static int read_attrs(IrGraph *g, int32_t n, CeMath *m)
{
    IrOp op = g->nodes[n].op;
    if (op == OP_LEAKY_RELU)
        m->alpha = ir_attr_float(g, n, "alpha", 0.01f);
    else if (op == OP_ELU || op == OP_CELU || op == OP_THRESHOLDED_RELU)
        m->alpha = ir_attr_float(g, n, "alpha", 1.0f);
    else if (op == OP_SELU) {
        m->alpha = ir_attr_float(g, n, "alpha", 1.67326319217681884765625f);
        m->gamma = ir_attr_float(g, n, "gamma", 1.05070102214813232421875f);
    } else if (op == OP_HARD_SIGMOID) {
        m->alpha = ir_attr_float(g, n, "alpha", 0.2f);
        m->beta = ir_attr_float(g, n, "beta", 0.5f);
    } else if (op == OP_HARD_SWISH) {
        m->alpha = 1.0f / 6;
        m->beta = 0.5f;
    } else if (op == OP_SHRINK) {
        m->alpha = ir_attr_float(g, n, "lambd", 0.5f);
        m->beta = ir_attr_float(g, n, "bias", 0.0f);
    } else if (op == OP_GELU) {
        const char *ap = ir_attr_string(g, n, "approximate", "none");
        if (strcmp(ap, "none") && strcmp(ap, "tanh"))
            return 0;
        m->flag = !strcmp(ap, "tanh");
    }
    return 1;
}

static int ce_math_unary(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit)
{
    CeTensor x;
    CeMath m;
    memset(&m, 0, sizeof m);
    if (!ce_operand(g, n, 0, &x) || !ce_is_float(x.dt) || x.n > limit || !read_attrs(g, n, &m))
        return CE_NO;
    m.f32 = x.dt == DT_FLOAT;
    void *p = ce_alloc_out(g, r, x.dt, &x.sh);
    for (int64_t i = 0; i < x.n; i++)
        ce_set_d(p, x.dt, i, unary(&m, g->nodes[n].op, ce_get_d(&x, i)));
    return CE_YES;
}

/* Clip: bounds from inputs 1 and 2 (opset 11+), else the min/max attributes;
 * x < lo -> lo, then x > hi -> hi (the host's order; NaN stays). */
static int ce_clip(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit)
{
    CeTensor x, b;
    if (!ce_operand(g, n, 0, &x) || !ce_is_float(x.dt) || x.n > limit)
        return CE_NO;
    int has[2] = {0, 0};
    double bound[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        if (ir_in(g, n, k + 1) >= 0) {
            if (!ce_operand(g, n, k + 1, &b) || b.dt != x.dt || b.n != 1)
                return CE_NO;
            has[k] = 1;
            bound[k] = ce_get_d(&b, 0);
        } else {
            const IrAttr *a = ir_attr_find(g, n, k ? "max" : "min");
            if (a && a->type == IR_ATTR_FLOAT) {
                has[k] = 1;
                bound[k] = x.dt == DT_FLOAT ? (double)a->f : a->f;
            }
        }
    }
    void *p = ce_alloc_out(g, r, x.dt, &x.sh);
    for (int64_t i = 0; i < x.n; i++) {
        double v = ce_get_d(&x, i);
        if (has[0] && v < bound[0])
            v = bound[0];
        if (has[1] && v > bound[1])
            v = bound[1];
        ce_set_d(p, x.dt, i, v);
    }
    return CE_YES;
}

/* PRelu (x < 0 ? x * slope : x) and Pow (powf(x, f32(e))) with numpy
 * broadcasting; PRelu's output keeps X's shape (the slope broadcasts to it). */
static int ce_math_binary(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit)
{
    CeTensor a, b;
    IrShape os;
    IrOp op = g->nodes[n].op;
    if (!ce_operand(g, n, 0, &a) || !ce_operand(g, n, 1, &b) || !ce_is_float(a.dt) || !ce_is_num(b.dt) ||
        (op == OP_PRELU && b.dt != a.dt) || !ce_bcast_shape(&a.sh, &b.sh, &os) || ir_shape_numel(&os) > limit)
        return CE_NO;
    if (op == OP_PRELU && !ir_shape_equal(&os, &a.sh))
        return CE_NO;
    CeMath m = {a.dt == DT_FLOAT, 0, 0, 0, 0};
    int64_t numel = ir_shape_numel(&os), c[IR_MAX_RANK];
    void *p = ce_alloc_out(g, r, a.dt, &os);
    for (int64_t i = 0; i < numel; i++) {
        ce_unravel(&os, i, c);
        double x = ce_get_d(&a, ce_bcast_index(&os, &a.sh, c)), y = R(&m, ce_get_d(&b, ce_bcast_index(&os, &b.sh, c)));
        double v;
        if (op == OP_PRELU)
            v = x < 0 ? R(&m, x * y) : x;
        else
            v = m.f32 ? (double)powf((float)x, (float)y) : pow(x, y);
        ce_set_d(p, a.dt, i, v);
    }
    return CE_YES;
}

int ce_math(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit)
{
    IrOp op = g->nodes[n].op;
    if (op == OP_CLIP)
        return ce_clip(g, n, r, limit);
    if (op == OP_PRELU || op == OP_POW)
        return ce_math_binary(g, n, r, limit);
    if (ir_const_math_unary(op))
        return ce_math_unary(g, n, r, limit);
    return CE_NO;
}
