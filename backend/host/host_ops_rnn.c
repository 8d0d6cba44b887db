/* host_ops_rnn.c - RNN, GRU and LSTM (ONNX semantics, forward / reverse /
 * bidirectional, both layouts, clip, the activation-function attributes,
 * GRU's linear_before_reset, LSTM peepholes and input_forget).
 *
 * The time loop is unrolled at compile time (sequence lengths are static), so
 * every step is a handful of loop nests with constant offsets:
 *   gates[b, j]  = Wb[j] + Rb[j] + sum_k X[t, b, k] W[j, k] + sum_k H[b, k] R[j, k]
 * followed by one or two element-wise maps that update the state H (and C)
 * in place, and a copy of H into Y[t]. Gate order as in ONNX: LSTM i o f c,
 * GRU z r h. */
#include "host_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Act {
    const char *name;
    float alpha, beta;
} Act;

static LLVMValueRef act(HostCtx *c, const Act *a, IrDtype dt, LLVMValueRef x)
{
    LLVMBuilderRef B = c->b;
    LLVMValueRef one = host_constf(c, dt, 1), zero = host_constf(c, dt, 0);
    const char *n = a->name;
    if (!strcmp(n, "Sigmoid"))
        return LLVMBuildFDiv(B, one, LLVMBuildFAdd(B, one, host_math(c, "exp", dt, LLVMBuildFNeg(B, x, ""), NULL), ""), "");
    if (!strcmp(n, "Tanh"))
        return host_math(c, "tanh", dt, x, NULL);
    if (!strcmp(n, "Relu"))
        return host_bin(c, HB_MAX, dt, x, zero);
    if (!strcmp(n, "LeakyRelu"))
        return host_select(c, host_bin(c, HB_LT, dt, x, zero), LLVMBuildFMul(B, x, host_constf(c, dt, a->alpha), ""), x);
    if (!strcmp(n, "ThresholdedRelu"))
        return host_select(c, host_bin(c, HB_GT, dt, x, host_constf(c, dt, a->alpha)), x, zero);
    if (!strcmp(n, "ScaledTanh"))
        return LLVMBuildFMul(B, host_constf(c, dt, a->alpha),
                             host_math(c, "tanh", dt, LLVMBuildFMul(B, x, host_constf(c, dt, a->beta), ""), NULL), "");
    if (!strcmp(n, "HardSigmoid")) {
        LLVMValueRef t = LLVMBuildFAdd(B, LLVMBuildFMul(B, x, host_constf(c, dt, a->alpha), ""), host_constf(c, dt, a->beta), "");
        return host_bin(c, HB_MAX, dt, host_bin(c, HB_MIN, dt, t, one), zero);
    }
    if (!strcmp(n, "Elu"))
        return host_select(c, host_bin(c, HB_LT, dt, x, zero),
                           LLVMBuildFMul(B, host_constf(c, dt, a->alpha),
                                         LLVMBuildFSub(B, host_math(c, "exp", dt, x, NULL), one, ""), ""), x);
    if (!strcmp(n, "Softsign"))
        return LLVMBuildFDiv(B, x, LLVMBuildFAdd(B, one, host_math(c, "fabs", dt, x, NULL), ""), "");
    if (!strcmp(n, "Softplus"))
        return host_math(c, "log", dt, LLVMBuildFAdd(B, host_math(c, "exp", dt, x, NULL), one, ""), NULL);
    if (!strcmp(n, "Affine"))
        return LLVMBuildFAdd(B, LLVMBuildFMul(B, x, host_constf(c, dt, a->alpha), ""), host_constf(c, dt, a->beta), "");
    return NULL;
}

static int act_known(const char *n)
{
    static const char *const k[] = {"Sigmoid", "Tanh", "Relu", "LeakyRelu", "ThresholdedRelu", "ScaledTanh",
                                    "HardSigmoid", "Elu", "Softsign", "Softplus", "Affine", NULL};
    for (int i = 0; k[i]; i++)
        if (!strcmp(k[i], n))
            return 1;
    return 0;
}

enum { K_RNN, K_GRU, K_LSTM };

typedef struct Rnn {
    int kind, G, D, lbr, input_forget;
    int64_t S, Bt, I, H;
    IrDtype dt;
    float clip; /* <= 0: none */
    Act act[6];
    /* per-step state used by the scalar functions */
    int dir;
} Rnn;

static LLVMValueRef clipv(HostCtx *c, const Rnn *r, LLVMValueRef x)
{
    if (r->clip <= 0)
        return x;
    x = host_bin(c, HB_MIN, r->dt, x, host_constf(c, r->dt, r->clip));
    return host_bin(c, HB_MAX, r->dt, x, host_constf(c, r->dt, -r->clip));
}

static LLVMValueRef F(HostCtx *c, const Rnn *r, int which, LLVMValueRef x)
{
    int per = r->kind == K_LSTM ? 3 : r->kind == K_GRU ? 2 : 1;
    return act(c, &r->act[r->dir * per + which], r->dt, clipv(c, r, x));
}

/* RNN: H = f(g) */
static LLVMValueRef rnn_fn(HostCtx *c, const LLVMValueRef *a, void *user) { return F(c, user, 0, a[0]); }

/* GRU, linear_before_reset = 0, first map: rh = r * H  (a: gate_r, H) */
static LLVMValueRef gru_rh(HostCtx *c, const LLVMValueRef *a, void *user)
{
    Rnn *r = user;
    return host_bin(c, HB_MUL, r->dt, F(c, r, 0, a[0]), a[1]);
}

/* GRU update: a: gate_z, gate_h, H [, gate_r, hr]  */
static LLVMValueRef gru_h(HostCtx *c, const LLVMValueRef *a, void *user)
{
    Rnn *r = user;
    LLVMValueRef z = F(c, r, 0, a[0]);
    LLVMValueRef hin = a[1];
    if (r->lbr)
        hin = host_bin(c, HB_ADD, r->dt, hin, host_bin(c, HB_MUL, r->dt, F(c, r, 0, a[3]), a[4]));
    LLVMValueRef h = F(c, r, 1, hin);
    LLVMValueRef one = host_constf(c, r->dt, 1);
    return host_bin(c, HB_ADD, r->dt, host_bin(c, HB_MUL, r->dt, host_bin(c, HB_SUB, r->dt, one, z), h),
                    host_bin(c, HB_MUL, r->dt, z, a[2]));
}

/* LSTM cell: a: gi, gf, gc, C, Pi, Pf -> new C */
static LLVMValueRef lstm_c(HostCtx *c, const LLVMValueRef *a, void *user)
{
    Rnn *r = user;
    LLVMValueRef i = F(c, r, 0, host_bin(c, HB_ADD, r->dt, a[0], host_bin(c, HB_MUL, r->dt, a[4], a[3])));
    LLVMValueRef f = r->input_forget ? host_bin(c, HB_SUB, r->dt, host_constf(c, r->dt, 1), i)
                                     : F(c, r, 0, host_bin(c, HB_ADD, r->dt, a[1], host_bin(c, HB_MUL, r->dt, a[5], a[3])));
    LLVMValueRef g = F(c, r, 1, a[2]);
    return host_bin(c, HB_ADD, r->dt, host_bin(c, HB_MUL, r->dt, f, a[3]), host_bin(c, HB_MUL, r->dt, i, g));
}

/* LSTM output: a: go, C, Po -> H */
static LLVMValueRef lstm_h(HostCtx *c, const LLVMValueRef *a, void *user)
{
    Rnn *r = user;
    LLVMValueRef o = F(c, r, 0, host_bin(c, HB_ADD, r->dt, a[0], host_bin(c, HB_MUL, r->dt, a[2], a[1])));
    return host_bin(c, HB_MUL, r->dt, o, F(c, r, 2, a[1]));
}

static LLVMValueRef mul_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    return host_bin(c, HB_MUL, *(IrDtype *)user, a[0], a[1]);
}

static HostAcc acc2(LLVMValueRef base, IrDtype dt, int64_t off, int64_t s0, int64_t s1)
{
    HostAcc a;
    memset(&a, 0, sizeof a);
    a.base = base;
    a.dt = dt;
    a.off = off;
    a.st[0] = s0;
    a.st[1] = s1;
    return a;
}

/* out[b, j] (stride ost) += sum_k A[b, k] * Bm[j, k]   for j < nj, k < nk; loops b, j, k */
static void mm_bt(HostCtx *c, IrDtype dt, int64_t nb, int64_t nj, int64_t nk, HostAcc out, HostAcc a, HostAcc bm)
{
    HostNest n = {3, {nb, nj, nk}};
    /* out: b, j ; a: b, k ; bm: j, k */
    HostAcc o = out, x = a, w = bm;
    o.st[2] = 0;
    x.st[2] = x.st[1];
    x.st[1] = 0;
    w.st[2] = w.st[1];
    w.st[1] = w.st[0];
    w.st[0] = 0;
    HostAcc ins[2] = {x, w};
    host_map(c, &n, &o, ins, 2, HR_SUM, mul_fn, &dt);
}

DlaStatus host_lower_rnn(HostCtx *c, int32_t node)
{
    IrGraph *g = c->g;
    IrOp op = host_nd(c)->op;
    Rnn r;
    memset(&r, 0, sizeof r);
    r.kind = op == OP_LSTM ? K_LSTM : op == OP_GRU ? K_GRU : K_RNN;
    r.G = r.kind == K_LSTM ? 4 : r.kind == K_GRU ? 3 : 1;
    IrValue *X = host_inv(c, 0), *W = host_inv(c, 1);
    r.dt = X->dtype;
    if (!host_is_float(r.dt) || X->shape.rank != 3 || W->shape.rank != 3)
        return host_unsupported(c, "dtype/rank");
    int layout = (int)ir_attr_int(g, node, "layout", 0);
    const char *dir = ir_attr_string(g, node, "direction", "forward");
    r.D = !strcmp(dir, "bidirectional") ? 2 : 1;
    int reverse = !strcmp(dir, "reverse");
    if (!reverse && r.D == 1 && strcmp(dir, "forward"))
        return host_unsupported(c, "direction '%s'", dir);
    r.S = X->shape.dims[layout ? 1 : 0];
    r.Bt = X->shape.dims[layout ? 0 : 1];
    r.I = X->shape.dims[2];
    r.H = W->shape.dims[1] / r.G;
    if (W->shape.dims[0] != r.D || W->shape.dims[1] != r.G * r.H || W->shape.dims[2] != r.I)
        return host_unsupported(c, "W shape");
    r.lbr = ir_attr_int(g, node, "linear_before_reset", 0) != 0;
    r.input_forget = ir_attr_int(g, node, "input_forget", 0) != 0;
    const IrAttr *cl = ir_attr_find(g, node, "clip");
    r.clip = cl ? cl->f : 0;
    /* activations */
    int per = r.kind == K_LSTM ? 3 : r.kind == K_GRU ? 2 : 1;
    const char *defs[3] = {r.kind == K_RNN ? "Tanh" : "Sigmoid", "Tanh", "Tanh"};
    for (int i = 0; i < per * r.D; i++)
        r.act[i].name = defs[i % per];
    const IrAttr *an = ir_attr_find(g, node, "activations");
    const IrAttr *aa = ir_attr_find(g, node, "activation_alpha");
    const IrAttr *ab = ir_attr_find(g, node, "activation_beta");
    if (an && an->type == IR_ATTR_STRINGS) {
        if (an->n != per * r.D)
            return host_unsupported(c, "%d activations for %d directions", an->n, r.D);
        for (int i = 0; i < an->n; i++)
            r.act[i].name = an->strings[i];
    }
    for (int i = 0; i < per * r.D; i++) {
        if (!act_known(r.act[i].name))
            return host_unsupported(c, "activation '%s'", r.act[i].name);
        /* defaults per function (ONNX operator docs) */
        r.act[i].alpha = !strcmp(r.act[i].name, "LeakyRelu") ? 0.01f : !strcmp(r.act[i].name, "HardSigmoid") ? 0.2f : 1.0f;
        r.act[i].beta = !strcmp(r.act[i].name, "HardSigmoid") ? 0.5f : !strcmp(r.act[i].name, "Affine") ? 0.0f : 1.0f;
        if (aa && aa->type == IR_ATTR_FLOATS && i < aa->n)
            r.act[i].alpha = aa->floats[i];
        if (ab && ab->type == IR_ATTR_FLOATS && i < ab->n)
            r.act[i].beta = ab->floats[i];
    }
    if (host_has_in(c, 4)) {
        int64_t *sl;
        int64_t n = host_const_ints(c, 4, &sl);
        if (n < 0)
            return DLA_ERR_UNSUPPORTED;
        for (int64_t i = 0; i < n; i++)
            if (sl[i] != r.S) {
                free(sl);
                return host_unsupported(c, "sequence_lens shorter than the sequence");
            }
        free(sl);
    }
    int64_t H = r.H, Bt = r.Bt, GH = r.G * H;
    IrDtype dt = r.dt;
    size_t es = ir_dtype_size(dt);
    LLVMValueRef gates = host_scratch(c, (size_t)(Bt * GH) * es);
    LLVMValueRef hs = host_scratch(c, (size_t)(Bt * H) * es);
    LLVMValueRef cs = host_scratch(c, (size_t)(Bt * H) * es);
    LLVMValueRef tmp = host_scratch(c, (size_t)(Bt * H) * es);
    LLVMValueRef zero_vec = host_scratch(c, (size_t)(3 * H) * es);
    HostNest zn = {1, {3 * H}};
    HostAcc za = acc2(zero_vec, dt, 0, 1, 0);
    host_fill(c, &zn, &za, host_constf(c, dt, 0));
    /* X / Y strides by layout */
    int64_t xs_t = layout ? r.I : Bt * r.I, xs_b = layout ? r.S * r.I : r.I;
    int64_t ys_t = layout ? r.D * H : r.D * Bt * H, ys_d = layout ? H : Bt * H, ys_b = layout ? r.S * r.D * H : H;
    int64_t hs_d = layout ? H : Bt * H, hs_b = layout ? r.D * H : H;
    IrNode *nd = host_nd(c);
    int hasY = nd->noutputs > 0 && nd->outputs[0] >= 0, hasYh = nd->noutputs > 1 && nd->outputs[1] >= 0;
    int hasYc = r.kind == K_LSTM && nd->noutputs > 2 && nd->outputs[2] >= 0;
    HostNest bh = {2, {Bt, H}};
    for (int d = 0; d < r.D; d++) {
        r.dir = d;
        /* initial state */
        HostAcc hacc = acc2(hs, dt, 0, H, 1), cacc = acc2(cs, dt, 0, H, 1);
        if (host_has_in(c, 5)) {
            HostAcc src = acc2(host_in(c, 5), dt, d * hs_d, hs_b, 1);
            host_map(c, &bh, &hacc, &src, 1, HR_STORE, NULL, NULL);
        } else {
            host_fill(c, &bh, &hacc, host_constf(c, dt, 0));
        }
        if (r.kind == K_LSTM) {
            if (host_has_in(c, 6)) {
                HostAcc src = acc2(host_in(c, 6), dt, d * hs_d, hs_b, 1);
                host_map(c, &bh, &cacc, &src, 1, HR_STORE, NULL, NULL);
            } else {
                host_fill(c, &bh, &cacc, host_constf(c, dt, 0));
            }
        }
        for (int64_t step = 0; step < r.S; step++) {
            int64_t t = (reverse || d == 1) ? r.S - 1 - step : step;
            /* gates = Wb + Rb (except GRU's Rbh with linear_before_reset) */
            HostNest gn = {2, {Bt, GH}};
            HostAcc ga = acc2(gates, dt, 0, GH, 1);
            if (host_has_in(c, 3)) {
                HostAcc bw = acc2(host_in(c, 3), dt, d * 2 * GH, 0, 1);
                host_map(c, &gn, &ga, &bw, 1, HR_STORE, NULL, NULL);
                HostNest rn = {2, {Bt, r.kind == K_GRU ? 2 * H : GH}};
                HostAcc br = acc2(host_in(c, 3), dt, d * 2 * GH + GH, 0, 1);
                host_map(c, &rn, &ga, &br, 1, HR_SUM, NULL, NULL);
                if (r.kind == K_GRU && !r.lbr) {
                    HostNest hn = {2, {Bt, H}};
                    HostAcc gah = acc2(gates, dt, 2 * H, GH, 1);
                    HostAcc brh = acc2(host_in(c, 3), dt, d * 2 * GH + GH + 2 * H, 0, 1);
                    host_map(c, &hn, &gah, &brh, 1, HR_SUM, NULL, NULL);
                }
            } else {
                host_fill(c, &gn, &ga, host_constf(c, dt, 0));
            }
            /* + X[t] W^T */
            mm_bt(c, dt, Bt, GH, r.I, acc2(gates, dt, 0, GH, 1), acc2(host_in(c, 0), dt, t * xs_t, xs_b, 1),
                  acc2(host_in(c, 1), dt, d * GH * r.I, r.I, 1));
            /* + H R^T for the gates that use H directly */
            int64_t nr = r.kind == K_GRU ? 2 * H : GH;
            mm_bt(c, dt, Bt, nr, H, acc2(gates, dt, 0, GH, 1), acc2(hs, dt, 0, H, 1),
                  acc2(host_in(c, 2), dt, d * GH * H, H, 1));
            if (r.kind == K_RNN) {
                HostAcc in = acc2(gates, dt, 0, GH, 1);
                host_map(c, &bh, &hacc, &in, 1, HR_STORE, rnn_fn, &r);
            } else if (r.kind == K_GRU) {
                HostAcc gz = acc2(gates, dt, 0, GH, 1), gr = acc2(gates, dt, H, GH, 1), gh = acc2(gates, dt, 2 * H, GH, 1);
                HostAcc ta = acc2(tmp, dt, 0, H, 1);
                if (!r.lbr) {
                    HostAcc in2[2] = {gr, hacc};
                    host_map(c, &bh, &ta, in2, 2, HR_STORE, gru_rh, &r);
                    mm_bt(c, dt, Bt, H, H, gh, ta, acc2(host_in(c, 2), dt, d * GH * H + 2 * H * H, H, 1));
                    HostAcc in3[3] = {gz, gh, hacc};
                    host_map(c, &bh, &hacc, in3, 3, HR_STORE, gru_h, &r);
                } else {
                    /* hr = Rbh + H Rh^T */
                    if (host_has_in(c, 3)) {
                        HostAcc brh = acc2(host_in(c, 3), dt, d * 2 * GH + GH + 2 * H, 0, 1);
                        host_map(c, &bh, &ta, &brh, 1, HR_STORE, NULL, NULL);
                    } else {
                        host_fill(c, &bh, &ta, host_constf(c, dt, 0));
                    }
                    mm_bt(c, dt, Bt, H, H, ta, hacc, acc2(host_in(c, 2), dt, d * GH * H + 2 * H * H, H, 1));
                    HostAcc in5[5] = {gz, gh, hacc, gr, ta};
                    host_map(c, &bh, &hacc, in5, 5, HR_STORE, gru_h, &r);
                }
            } else {
                HostAcc gi = acc2(gates, dt, 0, GH, 1), go = acc2(gates, dt, H, GH, 1), gf = acc2(gates, dt, 2 * H, GH, 1),
                        gc = acc2(gates, dt, 3 * H, GH, 1);
                HostAcc pi = acc2(zero_vec, dt, 0, 0, 1), po = pi, pf = pi;
                if (host_has_in(c, 7)) {
                    pi = acc2(host_in(c, 7), dt, d * 3 * H, 0, 1);
                    po = acc2(host_in(c, 7), dt, d * 3 * H + H, 0, 1);
                    pf = acc2(host_in(c, 7), dt, d * 3 * H + 2 * H, 0, 1);
                }
                HostAcc in6[6] = {gi, gf, gc, cacc, pi, pf};
                host_map(c, &bh, &cacc, in6, 6, HR_STORE, lstm_c, &r);
                HostAcc in3[3] = {go, cacc, po};
                host_map(c, &bh, &hacc, in3, 3, HR_STORE, lstm_h, &r);
            }
            if (hasY) {
                HostAcc ya = acc2(host_out(c, 0), host_outv(c, 0)->dtype, t * ys_t + d * ys_d, ys_b, 1);
                host_map(c, &bh, &ya, &hacc, 1, HR_STORE, NULL, NULL);
            }
        }
        if (hasYh) {
            HostAcc ya = acc2(host_out(c, 1), dt, d * hs_d, hs_b, 1);
            host_map(c, &bh, &ya, &hacc, 1, HR_STORE, NULL, NULL);
        }
        if (hasYc) {
            HostAcc ya = acc2(host_out(c, 2), dt, d * hs_d, hs_b, 1);
            host_map(c, &bh, &ya, &cacc, 1, HR_STORE, NULL, NULL);
        }
    }
    return DLA_OK;
}
