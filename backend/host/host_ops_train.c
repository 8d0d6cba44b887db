/* host_ops_train.c - the optimizer update rules of ai.onnx.preview.training
 * (Adagrad, Momentum, Adam): deterministic element-wise updates of n tensors.
 * Inputs: R (learning rate, scalar), T (step, scalar int64), then X1..Xn,
 * G1..Gn and the optimizer state(s); outputs: the new X's then the new states.
 * Each update is a few host_maps; a later map reads the state an earlier one
 * wrote (V_new, H_new) from the output buffer. Formulas: the ONNX operator
 * documentation of each op. */
#include "host_int.h"

#include <math.h>
#include <string.h>

typedef struct TrState {
    IrDtype dt;
    float alpha, beta, eps, decay, normc, normc_post;
    int nesterov;
    LLVMValueRef r, t; /* learning rate (dt), step (f64) */
    int which;
} TrState;

static LLVMValueRef F(HostCtx *c, const TrState *s, double v) { return host_constf(c, s->dt, v); }

/* G_reg = norm_coefficient * X + G */
static LLVMValueRef greg(HostCtx *c, const TrState *s, LLVMValueRef x, LLVMValueRef g)
{
    return LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, F(c, s, s->normc), x, ""), g, "");
}

/* Adagrad: which 0: H_new = H + G_reg^2 (a: X, G, H); which 1: X_new (a: X, G, H_new) */
static LLVMValueRef adagrad_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    TrState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMValueRef gr = greg(c, s, a[0], a[1]);
    if (s->which == 0)
        return LLVMBuildFAdd(B, a[2], LLVMBuildFMul(B, gr, gr, ""), "");
    LLVMValueRef r = LLVMBuildFDiv(B, s->r, LLVMBuildFAdd(B, F(c, s, 1), LLVMBuildFMul(B, host_convert(c, s->t, DT_DOUBLE, s->dt), F(c, s, s->decay), ""), ""), "");
    LLVMValueRef hd = LLVMBuildFAdd(B, host_math(c, "sqrt", s->dt, a[2], NULL), F(c, s, s->eps), "");
    return LLVMBuildFSub(B, a[0], LLVMBuildFDiv(B, LLVMBuildFMul(B, r, gr, ""), hd, ""), "");
}

/* Momentum: which 0: V_new (a: X, G, V); which 1: X_new (a: X, G, V_new) */
static LLVMValueRef momentum_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    TrState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMValueRef gr = greg(c, s, a[0], a[1]);
    if (s->which == 0) {
        LLVMValueRef tpos = LLVMBuildFCmp(B, LLVMRealOGT, s->t, LLVMConstReal(c->t_f64, 0), "");
        LLVMValueRef badj = host_select(c, tpos, F(c, s, s->beta), F(c, s, 1));
        return LLVMBuildFAdd(B, LLVMBuildFMul(B, F(c, s, s->alpha), a[2], ""), LLVMBuildFMul(B, badj, gr, ""), "");
    }
    LLVMValueRef step = s->nesterov ? LLVMBuildFAdd(B, gr, LLVMBuildFMul(B, F(c, s, s->alpha), a[2], ""), "") : a[2];
    return LLVMBuildFSub(B, a[0], LLVMBuildFMul(B, s->r, step, ""), "");
}

/* Adam: which 0: V_new (a: X, G, V); 1: H_new (a: X, G, H); 2: X_final (a: X, V_new, H_new) */
static LLVMValueRef adam_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    TrState *s = user;
    LLVMBuilderRef B = c->b;
    if (s->which == 0) {
        LLVMValueRef gr = greg(c, s, a[0], a[1]);
        return LLVMBuildFAdd(B, LLVMBuildFMul(B, F(c, s, s->alpha), a[2], ""), LLVMBuildFMul(B, F(c, s, 1 - s->alpha), gr, ""), "");
    }
    if (s->which == 1) {
        LLVMValueRef gr = greg(c, s, a[0], a[1]);
        return LLVMBuildFAdd(B, LLVMBuildFMul(B, F(c, s, s->beta), a[2], ""),
                             LLVMBuildFMul(B, F(c, s, 1 - s->beta), LLVMBuildFMul(B, gr, gr, ""), ""), "");
    }
    LLVMValueRef hs = LLVMBuildFAdd(B, host_math(c, "sqrt", s->dt, a[2], NULL), F(c, s, s->eps), "");
    /* R_adjusted = T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R, in double */
    LLVMValueRef ad = host_math(c, "pow", DT_DOUBLE, LLVMConstReal(c->t_f64, s->alpha), s->t);
    LLVMValueRef bd = host_math(c, "pow", DT_DOUBLE, LLVMConstReal(c->t_f64, s->beta), s->t);
    LLVMValueRef one = LLVMConstReal(c->t_f64, 1);
    LLVMValueRef f = LLVMBuildFDiv(B, host_math(c, "sqrt", DT_DOUBLE, LLVMBuildFSub(B, one, bd, ""), NULL), LLVMBuildFSub(B, one, ad, ""), "");
    LLVMValueRef tpos = LLVMBuildFCmp(B, LLVMRealOGT, s->t, LLVMConstReal(c->t_f64, 0), "");
    LLVMValueRef radj = host_select(c, tpos, LLVMBuildFMul(B, host_convert(c, s->r, s->dt, DT_DOUBLE), f, ""),
                                    host_convert(c, s->r, s->dt, DT_DOUBLE));
    LLVMValueRef xn = LLVMBuildFSub(B, a[0], LLVMBuildFMul(B, host_convert(c, radj, DT_DOUBLE, s->dt), LLVMBuildFDiv(B, a[1], hs, ""), ""), "");
    return LLVMBuildFMul(B, F(c, s, 1 - s->normc_post), xn, "");
}

DlaStatus host_lower_optimizer(HostCtx *c, int32_t node)
{
    IrOp op = host_nd(c)->op;
    int kind = op == OP_ADAGRAD ? 0 : op == OP_MOMENTUM ? 1 : 2;
    int nstate = kind == 2 ? 2 : 1;
    int nin = host_nin(c), n = (nin - 2) / (2 + nstate);
    if (n < 1 || nin != 2 + n * (2 + nstate) || host_nd(c)->noutputs != n * (1 + nstate))
        return host_unsupported(c, "operand count");
    TrState s;
    memset(&s, 0, sizeof s);
    s.dt = host_inv(c, 2)->dtype;
    if (!host_is_float(s.dt) || !host_is_float(host_inv(c, 0)->dtype) || !host_is_int(host_inv(c, 1)->dtype))
        return host_unsupported(c, "dtypes");
    IrGraph *g = c->g;
    s.eps = ir_attr_float(g, node, "epsilon", kind == 2 ? 1e-6f : 1e-6f);
    s.decay = ir_attr_float(g, node, "decay_factor", 0);
    s.normc = ir_attr_float(g, node, "norm_coefficient", 0);
    s.normc_post = ir_attr_float(g, node, "norm_coefficient_post", 0);
    s.alpha = ir_attr_float(g, node, "alpha", 0.9f);
    s.beta = ir_attr_float(g, node, "beta", kind == 2 ? 0.999f : 1.0f);
    const char *mode = ir_attr_string(g, node, "mode", "standard");
    s.nesterov = !strcmp(mode, "nesterov");
    if (kind == 1 && !s.nesterov && strcmp(mode, "standard"))
        return host_unsupported(c, "mode '%s'", mode);
    s.r = host_convert(c, host_load(c, host_in(c, 0), host_inv(c, 0)->dtype, host_i64(c, 0)), host_inv(c, 0)->dtype, s.dt);
    s.t = host_convert(c, host_load(c, host_in(c, 1), host_inv(c, 1)->dtype, host_i64(c, 0)), host_inv(c, 1)->dtype, DT_DOUBLE);
    for (int i = 0; i < n; i++) {
        IrValue *x = host_inv(c, 2 + i);
        HostNest nest = host_nest_shape(&x->shape);
        HostAcc X = host_acc_contig(host_in(c, 2 + i), s.dt, &x->shape);
        HostAcc G = host_acc_contig(host_in(c, 2 + n + i), s.dt, &x->shape);
        HostAcc S1 = host_acc_contig(host_in(c, 2 + 2 * n + i), s.dt, &x->shape);
        HostAcc Xo = host_acc_contig(host_out(c, i), s.dt, &x->shape);
        HostAcc S1o = host_acc_contig(host_out(c, n + i), s.dt, &x->shape);
        for (int k = 0; k < 2 + nstate; k++)
            if (!ir_shape_equal(&host_inv(c, 2 + k * n + i)->shape, &x->shape))
                return host_unsupported(c, "operand shapes differ");
        HostScalarFn f = kind == 0 ? adagrad_fn : kind == 1 ? momentum_fn : adam_fn;
        HostAcc a1[3] = {X, G, S1};
        s.which = 0;
        host_map(c, &nest, &S1o, a1, 3, HR_STORE, f, &s);
        if (kind == 2) {
            HostAcc H = host_acc_contig(host_in(c, 2 + 3 * n + i), s.dt, &x->shape);
            HostAcc Ho = host_acc_contig(host_out(c, 2 * n + i), s.dt, &x->shape);
            HostAcc a2[3] = {X, G, H};
            s.which = 1;
            host_map(c, &nest, &Ho, a2, 3, HR_STORE, f, &s);
            HostAcc a3[3] = {X, S1o, Ho};
            s.which = 2;
            host_map(c, &nest, &Xo, a3, 3, HR_STORE, f, &s);
        } else {
            HostAcc a3[3] = {X, G, S1o};
            s.which = 1;
            host_map(c, &nest, &Xo, a3, 3, HR_STORE, f, &s);
        }
    }
    return DLA_OK;
}
