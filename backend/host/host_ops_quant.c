/* host_ops_quant.c - ONNX quantization ops on the host: QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger,
 * QLinearMatMul, QLinearConv.
 *
 * Numerics: quant/quant.h's definition, emitted as the same IEEE binary32
 * operations in the same order (generated code cannot call into the compiler;
 * tests/quant/test_quant_arith.c checks the JIT-compiled ops against quant.h,
 * test_quant_host_dla.c against the DLA path, byte for byte):
 *   quantize    q = sat(rne(x / scale) + zp)              x / scale in binary32
 *   dequantize  x = f32(q - zp) * scale                    q - zp exact (int64)
 *   QLinear ops acc = sum (a - a_zp) * (b - b_zp) exactly in int32 (wrap-around),
 *               y = sat(rne(f32(acc) * M) + y_zp),  M = (a_scale * b_scale) / y_scale,
 *               every product and quotient in binary32: the DLA's REQUANT
 *               mode=fp32 and ONNX Runtime's MLAS requantization, which the
 *               ONNX node tests' expected outputs agree with. (The ONNX Python
 *               reference multiplies in double; results differ from it only
 *               where f32(acc) * M lands within an fp32 rounding of a tie.)
 * rne is llvm.roundeven on binary32 with NaN -> 0; the zero point is added and
 * the result saturated in double, where every value involved is exact.
 * Scales and zero points may be run-time inputs: they are loaded by the
 * generated code. Per-axis scales/zero points broadcast along `axis` (or the
 * output channel for convolution weights). */
#include "host_int.h"

#include <string.h>

#include "quant/quant.h"

static int norm_axis(int64_t a, int rank, int *out)
{
    if (a < -rank || a >= rank)
        return 0;
    *out = (int)(a < 0 ? a + rank : a);
    return 1;
}

static int qrange(IrDtype t, double *lo, double *hi)
{
    switch (t) {
    case DT_UINT8: *lo = QUANT_UINT8_MIN, *hi = QUANT_UINT8_MAX; return 1;
    case DT_INT8: *lo = QUANT_INT8_MIN, *hi = QUANT_INT8_MAX; return 1;
    case DT_UINT16: *lo = 0, *hi = 65535; return 1;
    case DT_INT16: *lo = QUANT_INT16_MIN, *hi = QUANT_INT16_MAX; return 1;
    case DT_INT32: *lo = -2147483648.0, *hi = 2147483647.0; return 1;
    default: return 0;
    }
}

/* per-tensor (1 element) or per-axis access of a scale/zero-point vector over shape s */
static HostAcc param_acc(LLVMValueRef p, const IrValue *v, const IrShape *s, int axis)
{
    HostAcc a;
    memset(&a, 0, sizeof a);
    a.base = p;
    a.dt = v->dtype;
    if (ir_shape_numel(&v->shape) > 1 && axis >= 0 && axis < s->rank)
        a.st[axis] = 1;
    return a;
}

typedef struct QState {
    IrDtype xdt, sdt, zdt, ydt;
    int has_zp;
    double lo, hi;
} QState;

/* sat(rne(f) + zp) of a binary32 value f (quant.h: rne(NaN) = 0), converted to
 * ydt. rne(f) is an integer-valued float (or +-inf), exact in double, and so
 * is its sum with a zero point of up to 32 bits. */
static LLVMValueRef requant(HostCtx *c, const QState *s, LLVMValueRef f, LLVMValueRef zp)
{
    LLVMValueRef r = host_math(c, "roundeven", DT_FLOAT, f, NULL);
    LLVMValueRef nan = LLVMBuildFCmp(c->b, LLVMRealUNO, f, f, "");
    r = host_select(c, nan, LLVMConstReal(c->t_f32, 0), r);
    LLVMValueRef v = host_convert(c, r, DT_FLOAT, DT_DOUBLE);
    if (zp)
        v = LLVMBuildFAdd(c->b, v, host_convert(c, zp, s->zdt, DT_DOUBLE), "");
    v = host_bin(c, HB_MAX, DT_DOUBLE, v, host_constf(c, DT_DOUBLE, s->lo));
    v = host_bin(c, HB_MIN, DT_DOUBLE, v, host_constf(c, DT_DOUBLE, s->hi));
    return host_convert(c, v, DT_DOUBLE, s->ydt);
}

/* The dtypes of QuantizeLinear/DequantizeLinear x, scale, y and zero point
 * (zdt_default without one); lo and hi are the caller's. */
static QState qstate(HostCtx *c, const IrValue *x, const IrValue *sc, const IrValue *y, IrDtype zdt_default)
{
    QState s;
    memset(&s, 0, sizeof s);
    s.xdt = x->dtype;
    s.sdt = sc->dtype;
    s.ydt = y->dtype;
    s.has_zp = host_has_in(c, 2);
    s.zdt = s.has_zp ? host_inv(c, 2)->dtype : zdt_default;
    return s;
}

/* y = fn(x, scale[, zero point]) elementwise, scale and zero point either
 * per tensor or per channel along the "axis" attribute (default 1). */
static DlaStatus qmap(HostCtx *c, int32_t node, QState *s, HostScalarFn fn)
{
    IrValue *x = host_inv(c, 0), *sc = host_inv(c, 1), *y = host_outv(c, 0);
    int ax = 1;
    if (ir_shape_numel(&sc->shape) > 1 && !norm_axis(ir_attr_int(c->g, node, "axis", 1), x->shape.rank, &ax))
        return host_unsupported(c, "axis");
    HostNest n = host_nest_shape(&x->shape);
    HostAcc out = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    HostAcc ins[3] = {host_acc_contig(host_in(c, 0), x->dtype, &x->shape), param_acc(host_in(c, 1), sc, &x->shape, ax)};
    if (s->has_zp)
        ins[2] = param_acc(host_in(c, 2), host_inv(c, 2), &x->shape, ax);
    host_map(c, &n, &out, ins, s->has_zp ? 3 : 2, HR_STORE, fn, s);
    return DLA_OK;
}

static LLVMValueRef quant_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    QState *s = user;
    /* x / scale: one binary32 division */
    LLVMValueRef x = host_convert(c, a[0], s->xdt, DT_FLOAT);
    LLVMValueRef q = LLVMBuildFDiv(c->b, x, host_convert(c, a[1], s->sdt, DT_FLOAT), "");
    return requant(c, s, q, s->has_zp ? a[2] : NULL);
}

DlaStatus host_lower_quantize(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *sc = host_inv(c, 1), *y = host_outv(c, 0);
    QState s = qstate(c, x, sc, y, y->dtype);
    if (!qrange(s.ydt, &s.lo, &s.hi) || !host_is_float(s.sdt) || ir_attr_find(c->g, node, "block_size"))
        return host_unsupported(c, "output dtype %s", ir_dtype_name(s.ydt));
    return qmap(c, node, &s, quant_fn);
}

static LLVMValueRef dequant_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    QState *s = user;
    /* f32(q - zp) * scale, q - zp exact in int64 */
    LLVMValueRef q = host_convert(c, a[0], s->xdt, DT_INT64);
    if (s->has_zp)
        q = LLVMBuildSub(c->b, q, host_convert(c, a[2], s->zdt, DT_INT64), "");
    LLVMValueRef x = host_convert(c, q, DT_INT64, DT_FLOAT);
    return host_convert(c, LLVMBuildFMul(c->b, x, host_convert(c, a[1], s->sdt, DT_FLOAT), ""), DT_FLOAT, s->ydt);
}

DlaStatus host_lower_dequantize(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *sc = host_inv(c, 1), *y = host_outv(c, 0);
    QState s = qstate(c, x, sc, y, x->dtype);
    if (!host_is_int(s.xdt) || !host_is_float(s.ydt) || ir_attr_find(c->g, node, "block_size"))
        return host_unsupported(c, "dtypes %s -> %s", ir_dtype_name(s.xdt), ir_dtype_name(s.ydt));
    return qmap(c, node, &s, dequant_fn);
}

/* ---- DynamicQuantizeLinear: uint8, scale = (max(0,max x) - min(0,min x)) / 255 ---- */

static LLVMValueRef dyn_params(HostCtx *c, const LLVMValueRef *a, void *user)
{
    (void)user;
    /* a: min, max -> scale */
    return LLVMBuildFDiv(c->b, LLVMBuildFSub(c->b, a[1], a[0], ""), LLVMConstReal(c->t_f32, 255.0), "");
}

static LLVMValueRef dyn_zp(HostCtx *c, const LLVMValueRef *a, void *user)
{
    QState *s = user;
    /* a: min, scale -> saturate(rint(0 - min / scale)) (0 when the scale is 0) */
    LLVMValueRef q = LLVMBuildFDiv(c->b, LLVMBuildFNeg(c->b, a[0], ""), a[1], "");
    LLVMValueRef z = LLVMBuildFCmp(c->b, LLVMRealOEQ, a[1], LLVMConstReal(c->t_f32, 0), "");
    q = host_select(c, z, LLVMConstReal(c->t_f32, 0), q);
    return requant(c, s, q, NULL);
}

DlaStatus host_lower_dynquant(HostCtx *c, int32_t node)
{
    (void)node;
    IrValue *x = host_inv(c, 0);
    if (x->dtype != DT_FLOAT || host_nd(c)->noutputs != 3)
        return host_unsupported(c, "dtype/outputs");
    for (int i = 0; i < 3; i++)
        if (host_nd(c)->outputs[i] < 0)
            return host_unsupported(c, "absent output");
    LLVMValueRef mm = host_scratch(c, 8);
    IrShape one = ir_shape_make(0, NULL);
    HostNest outer;
    memset(&outer, 0, sizeof outer);
    HostNest inner = host_nest_shape(&x->shape);
    HostAcc xin = host_acc_contig(host_in(c, 0), DT_FLOAT, &x->shape);
    HostAcc mn = host_acc_contig(mm, DT_FLOAT, &one), mx = mn;
    mx.off = 1;
    /* min(0, min x) and max(0, max x): the reductions start at 0 */
    host_reduce(c, &outer, &inner, &mn, &xin, 1, HR_MIN, LLVMConstReal(c->t_f32, 0), DT_FLOAT, NULL, NULL, NULL, NULL);
    host_reduce(c, &outer, &inner, &mx, &xin, 1, HR_MAX, LLVMConstReal(c->t_f32, 0), DT_FLOAT, NULL, NULL, NULL, NULL);
    HostNest scalar;
    memset(&scalar, 0, sizeof scalar);
    HostAcc sc = host_acc_contig(host_out(c, 1), DT_FLOAT, &one);
    HostAcc two[2] = {mn, mx};
    host_map(c, &scalar, &sc, two, 2, HR_STORE, dyn_params, NULL);
    QState s;
    memset(&s, 0, sizeof s);
    s.xdt = DT_FLOAT;
    s.sdt = DT_FLOAT;
    s.ydt = s.zdt = DT_UINT8;
    s.lo = 0;
    s.hi = 255;
    s.has_zp = 1;
    HostAcc zp = host_acc_contig(host_out(c, 2), DT_UINT8, &one);
    HostAcc ms[2] = {mn, sc};
    host_map(c, &scalar, &zp, ms, 2, HR_STORE, dyn_zp, &s);
    HostNest full = host_nest_shape(&x->shape);
    HostAcc y = host_acc_contig(host_out(c, 0), DT_UINT8, &x->shape);
    HostAcc ins[3] = {xin, sc, zp};
    host_map(c, &full, &y, ins, 3, HR_STORE, quant_fn, &s);
    return DLA_OK;
}

/* ---- integer matmul / conv accumulation ---- */

typedef struct IState {
    IrDtype adt, bdt, azdt, bzdt;
    int has_az, has_bz;
} IState;

/* (a - azp) * (b - bzp) in int32; a: a, b [, azp] [, bzp] */
static LLVMValueRef imul_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    IState *s = user;
    int k = 2;
    LLVMValueRef x = host_convert(c, a[0], s->adt, DT_INT32), y = host_convert(c, a[1], s->bdt, DT_INT32);
    if (s->has_az)
        x = LLVMBuildSub(c->b, x, host_convert(c, a[k++], s->azdt, DT_INT32), "");
    if (s->has_bz)
        y = LLVMBuildSub(c->b, y, host_convert(c, a[k++], s->bzdt, DT_INT32), "");
    return LLVMBuildMul(c->b, x, y, "");
}

/* acc[batch.., M, N] (int32, zeroed here) = sum_k (A - azp)(B - bzp); operands of
 * rank >= 2 with numpy-broadcast batch dims (the output's) */
static DlaStatus imatmul(HostCtx *c, int ai, int bi, int azi, int bzi, LLVMValueRef acc)
{
    IrValue *A = host_inv(c, ai), *B = host_inv(c, bi), *Y = host_outv(c, 0);
    int ra = A->shape.rank, rb = B->shape.rank, ry = Y->shape.rank, nb = ry - 2;
    if (ra < 2 || rb < 2 || nb < 0 || nb + 3 > HOST_MAX_LOOPS || A->shape.dims[ra - 1] != B->shape.dims[rb - 2] ||
        !host_is_int(A->dtype) || !host_is_int(B->dtype))
        return host_unsupported(c, "integer operands of rank >= 2 needed");
    int64_t M = A->shape.dims[ra - 2], K = A->shape.dims[ra - 1], N = B->shape.dims[rb - 1];
    IState s = {A->dtype, B->dtype, DT_UINT8, DT_UINT8, host_has_in(c, azi), host_has_in(c, bzi)};
    HostNest yn = host_nest_shape(&Y->shape);
    HostAcc out = host_acc_contig(acc, DT_INT32, &Y->shape);
    host_fill(c, &yn, &out, LLVMConstInt(c->t_i32, 0, 0));
    HostNest nest;
    memset(&nest, 0, sizeof nest);
    HostAcc ins[4];
    memset(ins, 0, sizeof ins);
    int64_t yst[IR_MAX_RANK], ast[IR_MAX_RANK], bst[IR_MAX_RANK];
    host_strides(&Y->shape, yst);
    host_strides(&A->shape, ast);
    host_strides(&B->shape, bst);
    memset(out.st, 0, sizeof out.st);
    for (int d = 0; d < nb; d++) {
        nest.ext[d] = Y->shape.dims[d];
        out.st[d] = yst[d];
        int da = d - (nb - (ra - 2)), db = d - (nb - (rb - 2));
        if (da >= 0 && A->shape.dims[da] != 1)
            ins[0].st[d] = ast[da];
        if (db >= 0 && B->shape.dims[db] != 1)
            ins[1].st[d] = bst[db];
    }
    nest.n = nb + 3;
    nest.ext[nb] = M;
    nest.ext[nb + 1] = K;
    nest.ext[nb + 2] = N;
    out.st[nb] = N;
    out.st[nb + 2] = 1;
    ins[0].base = host_in(c, ai);
    ins[0].dt = A->dtype;
    ins[0].st[nb] = K;
    ins[0].st[nb + 1] = 1;
    ins[1].base = host_in(c, bi);
    ins[1].dt = B->dtype;
    ins[1].st[nb + 1] = N;
    ins[1].st[nb + 2] = 1;
    int k = 2;
    if (s.has_az) {
        IrValue *z = host_inv(c, azi);
        s.azdt = z->dtype;
        ins[k].base = host_in(c, azi);
        ins[k].dt = z->dtype;
        if (ir_shape_numel(&z->shape) == M && M > 1)
            ins[k].st[nb] = 1; /* per row */
        k++;
    }
    if (s.has_bz) {
        IrValue *z = host_inv(c, bzi);
        s.bzdt = z->dtype;
        ins[k].base = host_in(c, bzi);
        ins[k].dt = z->dtype;
        if (ir_shape_numel(&z->shape) == N && N > 1)
            ins[k].st[nb + 2] = 1; /* per column */
        k++;
    }
    host_map(c, &nest, &out, ins, k, HR_SUM, imul_fn, &s);
    return DLA_OK;
}

DlaStatus host_lower_matmul_integer(HostCtx *c, int32_t node)
{
    (void)node;
    if (host_outv(c, 0)->dtype != DT_INT32)
        return host_unsupported(c, "output dtype");
    return imatmul(c, 0, 1, 2, 3, host_out(c, 0));
}

typedef struct RqState {
    QState q;
    IrDtype s1, s2, s3;
} RqState;

/* a: acc(int32), s_a, s_b, s_y, zp_y -> requantized: quant_requant(acc,
 * quant_requant_scale(s_a, s_b, s_y), zp_y, lo, hi), all in binary32 */
static LLVMValueRef rq_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    RqState *s = user;
    LLVMValueRef m = LLVMBuildFMul(c->b, host_convert(c, a[1], s->s1, DT_FLOAT), host_convert(c, a[2], s->s2, DT_FLOAT), "");
    m = LLVMBuildFDiv(c->b, m, host_convert(c, a[3], s->s3, DT_FLOAT), "");
    LLVMValueRef f = LLVMBuildFMul(c->b, host_convert(c, a[0], DT_INT32, DT_FLOAT), m, "");
    return requant(c, &s->q, f, a[4]);
}

/* The RqState of QLinearMatMul and QLinearConv (inputs: scales 1, 4, 6,
 * output zero point 7); 0 if the output dtype is not a quantized one. */
static int rq_state(HostCtx *c, RqState *s)
{
    memset(s, 0, sizeof *s);
    s->q.ydt = host_outv(c, 0)->dtype;
    s->q.zdt = host_inv(c, 7)->dtype;
    s->s1 = host_inv(c, 1)->dtype;
    s->s2 = host_inv(c, 4)->dtype;
    s->s3 = host_inv(c, 6)->dtype;
    return qrange(s->q.ydt, &s->q.lo, &s->q.hi);
}

/* y = rq_fn(acc, scales 1, 4, 6, zero point 7) from the int32 accumulator
 * acc (y's shape); per_channel: the weight scale (input 4) has one value
 * per dim 1 of y. */
static void rq_store(HostCtx *c, LLVMValueRef acc, RqState *s, int per_channel)
{
    IrValue *y = host_outv(c, 0);
    HostNest n = host_nest_shape(&y->shape);
    HostAcc out = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    HostAcc ins[5];
    memset(ins, 0, sizeof ins);
    ins[0] = host_acc_contig(acc, DT_INT32, &y->shape);
    int idx[4] = {1, 4, 6, 7};
    for (int i = 0; i < 4; i++) {
        ins[1 + i].base = host_in(c, idx[i]);
        ins[1 + i].dt = host_inv(c, idx[i])->dtype;
    }
    if (per_channel)
        ins[2].st[1] = 1;
    host_map(c, &n, &out, ins, 5, HR_STORE, rq_fn, s);
}

DlaStatus host_lower_qlinear_matmul(HostCtx *c, int32_t node)
{
    (void)node;
    IrValue *y = host_outv(c, 0);
    RqState s;
    if (!rq_state(c, &s))
        return host_unsupported(c, "output dtype");
    for (int i = 1; i < 8; i += 3)
        if (ir_shape_numel(&host_inv(c, i)->shape) != 1)
            return host_unsupported(c, "per-axis scales");
    if (ir_shape_numel(&host_inv(c, 7)->shape) != 1)
        return host_unsupported(c, "per-axis output zero point");
    LLVMValueRef acc = host_scratch(c, (size_t)ir_shape_numel(&y->shape) * 4);
    DlaStatus st = imatmul(c, 0, 3, 2, 5, acc);
    if (st)
        return st;
    rq_store(c, acc, &s, 0);
    return DLA_OK;
}

/* Integer convolution: acc[n, m, o..] (int32) = bias + sum (xpad - xzp)(w - wzp[m]).
 * x is padded with its zero point so padding contributes 0. */
static DlaStatus iconv(HostCtx *c, int32_t node, int xi, int wi, int xzi, int wzi, int bi, LLVMValueRef acc)
{
    IrValue *X = host_inv(c, xi), *W = host_inv(c, wi), *Y = host_outv(c, 0);
    int r = X->shape.rank, nsp = r - 2;
    if (nsp < 1 || W->shape.rank != r || 4 + 2 * nsp > HOST_MAX_LOOPS || !host_is_int(X->dtype) || !host_is_int(W->dtype))
        return host_unsupported(c, "ranks/dtypes");
    int64_t G = ir_attr_int(c->g, node, "group", 1);
    int64_t N = X->shape.dims[0], C = X->shape.dims[1], M = W->shape.dims[0], Cg = W->shape.dims[1];
    if (G < 1 || C % G || M % G || C / G != Cg)
        return host_unsupported(c, "group");
    HostConvGeom geo;
    DlaStatus st = host_conv_geometry(c, node, nsp, &X->shape.dims[2], &W->shape.dims[2], &geo);
    if (st)
        return st;
    IState s = {X->dtype, W->dtype, X->dtype, W->dtype, host_has_in(c, xzi), host_has_in(c, wzi)};
    LLVMValueRef padv = s.has_az ? host_load(c, host_in(c, xzi), host_inv(c, xzi)->dtype, host_i64(c, 0))
                                 : host_consti(c, X->dtype, 0);
    if (s.has_az)
        padv = host_convert(c, padv, host_inv(c, xzi)->dtype, X->dtype);
    IrShape ps;
    LLVMValueRef xp = host_pad_input(c, X, host_in(c, xi), &geo, padv, &ps);
    IrShape as = Y->shape;
    HostNest an = host_nest_shape(&as);
    HostAcc aa = host_acc_contig(acc, DT_INT32, &as);
    if (bi >= 0 && host_has_in(c, bi)) {
        HostAcc b;
        memset(&b, 0, sizeof b);
        b.base = host_in(c, bi);
        b.dt = host_inv(c, bi)->dtype;
        b.st[1] = 1;
        host_map(c, &an, &aa, &b, 1, HR_STORE, NULL, NULL);
    } else {
        host_fill(c, &an, &aa, LLVMConstInt(c->t_i32, 0, 0));
    }
    int64_t Mg = M / G;
    HostNest nest;
    memset(&nest, 0, sizeof nest);
    HostAcc out, ins[4];
    memset(&out, 0, sizeof out);
    memset(ins, 0, sizeof ins);
    out.base = acc;
    out.dt = DT_INT32;
    ins[0].base = xp;
    ins[0].dt = X->dtype;
    ins[1].base = host_in(c, wi);
    ins[1].dt = W->dtype;
    host_conv_direct_nest(&geo, N, G, Mg, Cg, &as, &ps, &W->shape, &nest, &out, &ins[0], &ins[1]);
    int k = 2;
    if (s.has_az) {
        s.azdt = host_inv(c, xzi)->dtype;
        ins[k].base = host_in(c, xzi);
        ins[k].dt = s.azdt;
        k++;
    }
    if (s.has_bz) {
        IrValue *z = host_inv(c, wzi);
        s.bzdt = z->dtype;
        ins[k].base = host_in(c, wzi);
        ins[k].dt = z->dtype;
        if (ir_shape_numel(&z->shape) == M && M > 1) { /* per output channel */
            ins[k].st[1] = Mg;
            ins[k].st[2] = 1;
        }
        k++;
    }
    host_map(c, &nest, &out, ins, k, HR_SUM, imul_fn, &s);
    return DLA_OK;
}

DlaStatus host_lower_conv_integer(HostCtx *c, int32_t node)
{
    if (host_outv(c, 0)->dtype != DT_INT32)
        return host_unsupported(c, "output dtype");
    return iconv(c, node, 0, 1, 2, 3, -1, host_out(c, 0));
}

DlaStatus host_lower_qlinear_conv(HostCtx *c, int32_t node)
{
    IrValue *y = host_outv(c, 0);
    RqState s;
    if (!rq_state(c, &s))
        return host_unsupported(c, "output dtype");
    if (ir_shape_numel(&host_inv(c, 1)->shape) != 1 || ir_shape_numel(&host_inv(c, 6)->shape) != 1 ||
        ir_shape_numel(&host_inv(c, 7)->shape) != 1)
        return host_unsupported(c, "per-axis input/output quantization");
    LLVMValueRef acc = host_scratch(c, (size_t)ir_shape_numel(&y->shape) * 4);
    DlaStatus st = iconv(c, node, 0, 3, 2, 5, 8, acc);
    if (st)
        return st;
    int64_t M = y->shape.dims[1];
    rq_store(c, acc, &s, ir_shape_numel(&host_inv(c, 4)->shape) == M && M > 1);
    return DLA_OK;
}
