/* host_ops_loss.c - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
 * (inference of the loss value, as the ONNX node tests check it).
 *
 * NLL over input [N,C,d..], target [N,d..]: for every target element,
 * l = -input[n, t, d..] * w[t] (w = 1 without weights; 0 where t ==
 * ignore_index), then reduction none (l itself), sum, or mean = sum(l) /
 * sum(w). SoftmaxCrossEntropyLoss is NLL on log_softmax(scores, axis 1),
 * which it may also output. */
#include "host_int.h"

#include <string.h>

typedef struct NllState {
    HostAcc in, tgt, w, out;
    int64_t C, cst;
    int has_w, has_ii, red; /* red: 0 none, 1 sum, 2 mean */
    int64_t ii;
    IrDtype dt;
    LLVMValueRef accl, accw;
} NllState;

static void nll_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    NllState *s = user;
    LLVMBuilderRef B = c->b;
    LLVMValueRef t = host_convert(c, host_acc_load(c, &s->tgt, idx), s->tgt.dt, DT_INT64);
    LLVMValueRef ign = s->has_ii ? LLVMBuildICmp(B, LLVMIntEQ, t, host_i64(c, s->ii), "") : LLVMConstInt(c->t_i1, 0, 0);
    LLVMValueRef tc = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, t, host_i64(c, 0), ""), host_i64(c, 0), t);
    tc = host_select(c, LLVMBuildICmp(B, LLVMIntSGT, tc, host_i64(c, s->C - 1), ""), host_i64(c, s->C - 1), tc);
    LLVMValueRef off = LLVMBuildAdd(B, host_acc_index(c, &s->in, idx), LLVMBuildMul(B, tc, host_i64(c, s->cst), ""), "");
    LLVMValueRef v = host_load(c, s->in.base, s->dt, off);
    LLVMValueRef w = s->has_w ? host_load(c, s->w.base, s->dt, tc) : host_constf(c, s->dt, 1);
    w = host_select(c, ign, host_constf(c, s->dt, 0), w);
    LLVMValueRef l = host_bin(c, HB_MUL, s->dt, LLVMBuildFNeg(B, v, ""), w);
    if (!s->red) {
        host_acc_store(c, &s->out, idx, l);
        return;
    }
    LLVMTypeRef ct = host_ctype(c, s->dt);
    LLVMBuildStore(B, host_bin(c, HB_ADD, s->dt, LLVMBuildLoad2(B, ct, s->accl, ""), l), s->accl);
    LLVMBuildStore(B, host_bin(c, HB_ADD, s->dt, LLVMBuildLoad2(B, ct, s->accw, ""), w), s->accw);
}

/* loss of log-probabilities at lp (shape of input 0) against target input ti */
static DlaStatus nll(HostCtx *c, int32_t node, const IrValue *x, LLVMValueRef lp, int ti, int wi)
{
    IrValue *tg = host_inv(c, ti), *y = host_outv(c, 0);
    int r = x->shape.rank;
    if (r < 2 || tg->shape.rank != r - 1 || !host_is_int(tg->dtype) || !host_is_float(x->dtype))
        return host_unsupported(c, "shapes/dtypes");
    NllState s;
    memset(&s, 0, sizeof s);
    s.dt = x->dtype;
    const char *red = ir_attr_string(c->g, node, "reduction", "mean");
    s.red = !strcmp(red, "none") ? 0 : !strcmp(red, "sum") ? 1 : !strcmp(red, "mean") ? 2 : -1;
    if (s.red < 0)
        return host_unsupported(c, "reduction '%s'", red);
    const IrAttr *ii = ir_attr_find(c->g, node, "ignore_index");
    s.has_ii = ii != NULL;
    s.ii = ii ? ii->i : 0;
    s.C = x->shape.dims[1];
    if (s.C < 1)
        return host_unsupported(c, "no classes");
    int64_t xst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    s.in.base = lp;
    s.in.dt = x->dtype;
    s.in.st[0] = xst[0];
    for (int d = 2; d < r; d++)
        s.in.st[d - 1] = xst[d];
    s.cst = xst[1];
    s.tgt = host_acc_contig(host_in(c, ti), tg->dtype, &tg->shape);
    s.has_w = wi >= 0 && host_has_in(c, wi);
    if (s.has_w) {
        s.w.base = host_in(c, wi);
        s.w.dt = s.dt;
    }
    HostNest n = host_nest_shape(&tg->shape);
    if (!s.red) {
        s.out = host_acc_contig(host_out(c, 0), y->dtype, &tg->shape);
        host_nest_emit(c, &n, nll_body, &s);
        return DLA_OK;
    }
    s.accl = host_alloca(c, host_ctype(c, s.dt), "loss");
    s.accw = host_alloca(c, host_ctype(c, s.dt), "wsum");
    LLVMBuildStore(c->b, host_constf(c, s.dt, 0), s.accl);
    LLVMBuildStore(c->b, host_constf(c, s.dt, 0), s.accw);
    host_nest_emit(c, &n, nll_body, &s);
    LLVMValueRef l = LLVMBuildLoad2(c->b, host_ctype(c, s.dt), s.accl, "");
    if (s.red == 2)
        l = host_bin(c, HB_DIV, s.dt, l, LLVMBuildLoad2(c->b, host_ctype(c, s.dt), s.accw, ""));
    host_store(c, host_out(c, 0), y->dtype, host_i64(c, 0), l);
    return DLA_OK;
}

DlaStatus host_lower_nllloss(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    return nll(c, node, x, host_in(c, 0), 1, 2);
}

DlaStatus host_lower_sceloss(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    int r = x->shape.rank, mask[IR_MAX_RANK];
    if (r < 2 || !host_is_float(x->dtype))
        return host_unsupported(c, "rank/dtype");
    for (int d = 0; d < r; d++)
        mask[d] = d == 1;
    IrNode *nd = host_nd(c);
    LLVMValueRef lp = nd->noutputs > 1 && nd->outputs[1] >= 0
                          ? host_out(c, 1)
                          : host_scratch(c, (size_t)ir_shape_numel(&x->shape) * ir_dtype_size(x->dtype));
    host_softmax_core(c, x, host_in(c, 0), mask, lp, x->dtype, 1);
    return nll(c, node, x, lp, 1, 2);
}
