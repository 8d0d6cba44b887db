/* host_types.c - scalars for the host code generator: how each ONNX dtype is
 * stored and computed in LLVM IR, element load/store, dtype conversion with
 * ONNX Cast semantics, and scalar arithmetic/comparison/math per dtype.
 *
 * Storage vs compute type: bool is stored as one byte 0/1 and computed as i1;
 * float16 is stored as LLVM half and bfloat16 as i16 (its upper 16 float
 * bits), both computed in float; every other dtype computes in its own type. */
#include "host_int.h"

#include <stdio.h>
#include <string.h>

int host_is_float(IrDtype dt)
{
    return dt == DT_FLOAT || dt == DT_DOUBLE || dt == DT_FLOAT16 || dt == DT_BFLOAT16;
}

int host_is_signed(IrDtype dt)
{
    return dt == DT_INT8 || dt == DT_INT16 || dt == DT_INT32 || dt == DT_INT64;
}

int host_is_int(IrDtype dt)
{
    return host_is_signed(dt) || dt == DT_UINT8 || dt == DT_UINT16 || dt == DT_UINT32 || dt == DT_UINT64;
}

LLVMTypeRef host_stype(HostCtx *c, IrDtype dt)
{
    switch (dt) {
    case DT_FLOAT: return c->t_f32;
    case DT_DOUBLE: return c->t_f64;
    case DT_FLOAT16: return c->t_f16;
    case DT_BFLOAT16: return c->t_i16;
    case DT_BOOL: case DT_INT8: case DT_UINT8: return c->t_i8;
    case DT_INT16: case DT_UINT16: return c->t_i16;
    case DT_INT32: case DT_UINT32: return c->t_i32;
    case DT_INT64: case DT_UINT64: return c->t_i64;
    default: break;
    }
    DLA_ASSERT(!"dtype without host storage type");
    return NULL;
}

LLVMTypeRef host_ctype(HostCtx *c, IrDtype dt)
{
    if (dt == DT_BOOL)
        return c->t_i1;
    if (dt == DT_FLOAT16 || dt == DT_BFLOAT16)
        return c->t_f32;
    return host_stype(c, dt);
}

LLVMValueRef host_i64(HostCtx *c, int64_t x) { return LLVMConstInt(c->t_i64, (unsigned long long)x, 1); }

static LLVMValueRef elem_ptr(HostCtx *c, LLVMValueRef base, LLVMTypeRef st, LLVMValueRef idx)
{
    LLVMValueRef p = LLVMBuildBitCast(c->b, base, LLVMPointerType(st, 0), "");
    return LLVMBuildGEP2(c->b, st, p, &idx, 1, "");
}

LLVMValueRef host_load(HostCtx *c, LLVMValueRef base, IrDtype dt, LLVMValueRef idx)
{
    LLVMTypeRef st = host_stype(c, dt);
    LLVMValueRef v = LLVMBuildLoad2(c->b, st, elem_ptr(c, base, st, idx), "");
    switch (dt) {
    case DT_BOOL:
        return LLVMBuildICmp(c->b, LLVMIntNE, v, LLVMConstInt(c->t_i8, 0, 0), "");
    case DT_FLOAT16:
        return LLVMBuildFPExt(c->b, v, c->t_f32, "");
    case DT_BFLOAT16: {
        LLVMValueRef w = LLVMBuildZExt(c->b, v, c->t_i32, "");
        w = LLVMBuildShl(c->b, w, LLVMConstInt(c->t_i32, 16, 0), "");
        return LLVMBuildBitCast(c->b, w, c->t_f32, "");
    }
    default:
        return v;
    }
}

void host_store(HostCtx *c, LLVMValueRef base, IrDtype dt, LLVMValueRef idx, LLVMValueRef v)
{
    LLVMTypeRef st = host_stype(c, dt);
    switch (dt) {
    case DT_BOOL:
        v = LLVMBuildZExt(c->b, v, c->t_i8, "");
        break;
    case DT_FLOAT16:
        v = LLVMBuildFPTrunc(c->b, v, c->t_f16, "");
        break;
    case DT_BFLOAT16: {
        /* round to nearest even on the dropped 16 bits */
        LLVMValueRef w = LLVMBuildBitCast(c->b, v, c->t_i32, "");
        LLVMValueRef lsb = LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, w, LLVMConstInt(c->t_i32, 16, 0), ""),
                                        LLVMConstInt(c->t_i32, 1, 0), "");
        w = LLVMBuildAdd(c->b, w, LLVMBuildAdd(c->b, lsb, LLVMConstInt(c->t_i32, 0x7fff, 0), ""), "");
        v = LLVMBuildTrunc(c->b, LLVMBuildLShr(c->b, w, LLVMConstInt(c->t_i32, 16, 0), ""), c->t_i16, "");
        break;
    }
    default:
        break;
    }
    LLVMBuildStore(c->b, v, elem_ptr(c, base, st, idx));
}

LLVMValueRef host_constf(HostCtx *c, IrDtype dt, double x)
{
    if (host_is_float(dt))
        return LLVMConstReal(host_ctype(c, dt), x);
    if (dt == DT_BOOL)
        return LLVMConstInt(c->t_i1, x != 0, 0);
    return LLVMConstInt(host_ctype(c, dt), (unsigned long long)(int64_t)x, host_is_signed(dt));
}

LLVMValueRef host_consti(HostCtx *c, IrDtype dt, int64_t x)
{
    if (host_is_float(dt))
        return LLVMConstReal(host_ctype(c, dt), (double)x);
    if (dt == DT_BOOL)
        return LLVMConstInt(c->t_i1, x != 0, 0);
    return LLVMConstInt(host_ctype(c, dt), (unsigned long long)x, host_is_signed(dt));
}

LLVMValueRef host_maxval(HostCtx *c, IrDtype dt)
{
    if (host_is_float(dt))
        return LLVMConstReal(host_ctype(c, dt), __builtin_inf());
    if (dt == DT_BOOL)
        return LLVMConstInt(c->t_i1, 1, 0);
    unsigned bits = LLVMGetIntTypeWidth(host_ctype(c, dt));
    unsigned long long m = host_is_signed(dt) ? (~0ull >> (65 - bits)) : (~0ull >> (64 - bits));
    return LLVMConstInt(host_ctype(c, dt), m, 0);
}

LLVMValueRef host_minval(HostCtx *c, IrDtype dt)
{
    if (host_is_float(dt))
        return LLVMConstReal(host_ctype(c, dt), -__builtin_inf());
    if (dt == DT_BOOL || !host_is_signed(dt))
        return LLVMConstInt(host_ctype(c, dt), 0, 0);
    unsigned bits = LLVMGetIntTypeWidth(host_ctype(c, dt));
    return LLVMConstInt(host_ctype(c, dt), 1ull << (bits - 1), 0);
}

LLVMValueRef host_convert(HostCtx *c, LLVMValueRef v, IrDtype from, IrDtype to)
{
    LLVMTypeRef tt = host_ctype(c, to);
    LLVMTypeRef ft = host_ctype(c, from);
    if (tt == ft && (host_is_float(to) || host_is_signed(from) == host_is_signed(to) || to == from))
        return v;
    if (to == DT_BOOL) {
        if (host_is_float(from))
            return LLVMBuildFCmp(c->b, LLVMRealUNE, v, LLVMConstReal(ft, 0), "");
        return LLVMBuildICmp(c->b, LLVMIntNE, v, LLVMConstInt(ft, 0, 0), "");
    }
    if (host_is_float(from)) {
        if (host_is_float(to))
            return LLVMBuildFPCast(c->b, v, tt, "");
        return host_is_signed(to) ? LLVMBuildFPToSI(c->b, v, tt, "") : LLVMBuildFPToUI(c->b, v, tt, "");
    }
    /* from is an integer or bool (i1: zero-extends) */
    int sgn = host_is_signed(from);
    if (host_is_float(to))
        return sgn ? LLVMBuildSIToFP(c->b, v, tt, "") : LLVMBuildUIToFP(c->b, v, tt, "");
    return LLVMBuildIntCast2(c->b, v, tt, sgn, "");
}

LLVMValueRef host_select(HostCtx *c, LLVMValueRef cond, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildSelect(c->b, cond, a, b, "");
}

LLVMValueRef host_decl(HostCtx *c, const char *name, LLVMTypeRef ret, LLVMTypeRef *args, unsigned n)
{
    LLVMValueRef f = LLVMGetNamedFunction(c->mod, name);
    if (!f)
        f = LLVMAddFunction(c->mod, name, LLVMFunctionType(ret, args, n, 0));
    return f;
}

LLVMValueRef host_call(HostCtx *c, LLVMValueRef fn, LLVMValueRef *args, unsigned n)
{
    return LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, args, n, "");
}

/* Math through an LLVM intrinsic where one exists (they vectorize and fold). */
static const char *const intrinsics[] = {
    "sqrt", "exp", "exp2", "log", "log2", "log10", "sin", "cos", "fabs", "floor", "ceil", "trunc",
    "pow", "copysign", "roundeven", "minnum", "maxnum", "fma", NULL,
};

LLVMValueRef host_math(HostCtx *c, const char *name, IrDtype dt, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef t = host_ctype(c, dt);
    DLA_ASSERT(t == c->t_f32 || t == c->t_f64);
    LLVMValueRef args[2] = {a, b};
    unsigned n = b ? 2 : 1;
    for (int i = 0; intrinsics[i]; i++)
        if (!strcmp(intrinsics[i], name)) {
            char iname[64];
            snprintf(iname, sizeof iname, "llvm.%s", name);
            unsigned id = LLVMLookupIntrinsicID(iname, strlen(iname));
            DLA_ASSERT(id != 0);
            LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1);
            return LLVMBuildCall2(c->b, LLVMIntrinsicGetType(c->ctx, id, &t, 1), f, args, n, "");
        }
    char cname[64];
    snprintf(cname, sizeof cname, "%s%s", name, t == c->t_f32 ? "f" : "");
    LLVMTypeRef at[2] = {t, t};
    LLVMValueRef f = host_decl(c, cname, t, at, n);
    return host_call(c, f, args, n);
}

static LLVMValueRef int_div(HostCtx *c, IrDtype dt, LLVMValueRef a, LLVMValueRef b, int rem)
{
    /* x/0 is undefined in ONNX; it must not trap here: divide by 1 instead and yield 0. */
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMValueRef zero = LLVMConstInt(t, 0, 0);
    LLVMValueRef isz = LLVMBuildICmp(c->b, LLVMIntEQ, b, zero, "");
    LLVMValueRef sb = host_select(c, isz, LLVMConstInt(t, 1, 0), b);
    LLVMValueRef r;
    if (host_is_signed(dt)) {
        /* INT_MIN / -1 traps on x86 as well: treat -1 as negation. */
        LLVMValueRef ism1 = LLVMBuildICmp(c->b, LLVMIntEQ, sb, LLVMConstAllOnes(t), "");
        LLVMValueRef sb2 = host_select(c, ism1, LLVMConstInt(t, 1, 0), sb);
        r = rem ? LLVMBuildSRem(c->b, a, sb2, "") : LLVMBuildSDiv(c->b, a, sb2, "");
        LLVMValueRef neg = rem ? zero : LLVMBuildNeg(c->b, a, "");
        r = host_select(c, ism1, neg, r);
    } else {
        r = rem ? LLVMBuildURem(c->b, a, sb, "") : LLVMBuildUDiv(c->b, a, sb, "");
    }
    return host_select(c, isz, zero, r);
}

LLVMValueRef host_bin(HostCtx *c, HostBin op, IrDtype dt, LLVMValueRef a, LLVMValueRef b)
{
    LLVMBuilderRef B = c->b;
    int fl = host_is_float(dt), sg = host_is_signed(dt);
    switch (op) {
    case HB_ADD: return fl ? LLVMBuildFAdd(B, a, b, "") : dt == DT_BOOL ? LLVMBuildOr(B, a, b, "") : LLVMBuildAdd(B, a, b, "");
    case HB_SUB: return fl ? LLVMBuildFSub(B, a, b, "") : LLVMBuildSub(B, a, b, "");
    case HB_MUL: return fl ? LLVMBuildFMul(B, a, b, "") : dt == DT_BOOL ? LLVMBuildAnd(B, a, b, "") : LLVMBuildMul(B, a, b, "");
    case HB_DIV: return fl ? LLVMBuildFDiv(B, a, b, "") : int_div(c, dt, a, b, 0);
    case HB_MAX:
        if (fl) /* NaN in a propagates (numpy maximum for the first operand) */
            return host_select(c, LLVMBuildFCmp(B, LLVMRealUGT, a, b, ""), a, b);
        return host_select(c, LLVMBuildICmp(B, sg ? LLVMIntSGT : LLVMIntUGT, a, b, ""), a, b);
    case HB_MIN:
        if (fl)
            return host_select(c, LLVMBuildFCmp(B, LLVMRealULT, a, b, ""), a, b);
        return host_select(c, LLVMBuildICmp(B, sg ? LLVMIntSLT : LLVMIntULT, a, b, ""), a, b);
    case HB_POW:
        if (fl)
            return host_math(c, "pow", dt, a, b);
        else {
            LLVMValueRef fa = host_convert(c, a, dt, DT_DOUBLE), fb = host_convert(c, b, dt, DT_DOUBLE);
            return host_convert(c, host_math(c, "pow", DT_DOUBLE, fa, fb), DT_DOUBLE, dt);
        }
    case HB_FMOD:
        return fl ? LLVMBuildFRem(B, a, b, "") : int_div(c, dt, a, b, 1);
    case HB_MOD: {
        /* Python-style: the result has the divisor's sign */
        LLVMValueRef r = fl ? LLVMBuildFRem(B, a, b, "") : int_div(c, dt, a, b, 1);
        if (!fl && !sg)
            return r;
        LLVMValueRef zero = fl ? LLVMConstReal(LLVMTypeOf(a), 0) : LLVMConstInt(LLVMTypeOf(a), 0, 0);
        LLVMValueRef rnz = fl ? LLVMBuildFCmp(B, LLVMRealONE, r, zero, "") : LLVMBuildICmp(B, LLVMIntNE, r, zero, "");
        LLVMValueRef rneg = fl ? LLVMBuildFCmp(B, LLVMRealOLT, r, zero, "") : LLVMBuildICmp(B, LLVMIntSLT, r, zero, "");
        LLVMValueRef bneg = fl ? LLVMBuildFCmp(B, LLVMRealOLT, b, zero, "") : LLVMBuildICmp(B, LLVMIntSLT, b, zero, "");
        LLVMValueRef fix = LLVMBuildAnd(B, rnz, LLVMBuildXor(B, rneg, bneg, ""), "");
        LLVMValueRef rb = fl ? LLVMBuildFAdd(B, r, b, "") : LLVMBuildAdd(B, r, b, "");
        return host_select(c, fix, rb, r);
    }
    case HB_AND: case HB_BITAND: return LLVMBuildAnd(B, a, b, "");
    case HB_OR: case HB_BITOR: return LLVMBuildOr(B, a, b, "");
    case HB_XOR: case HB_BITXOR: return LLVMBuildXor(B, a, b, "");
    case HB_SHL: case HB_SHR: {
        LLVMTypeRef t = LLVMTypeOf(a);
        LLVMValueRef w = LLVMConstInt(t, LLVMGetIntTypeWidth(t), 0);
        LLVMValueRef big = LLVMBuildICmp(B, LLVMIntUGE, b, w, "");
        LLVMValueRef sh = host_select(c, big, LLVMConstInt(t, 0, 0), b);
        LLVMValueRef r = op == HB_SHL ? LLVMBuildShl(B, a, sh, "") : LLVMBuildLShr(B, a, sh, "");
        return host_select(c, big, LLVMConstInt(t, 0, 0), r);
    }
    case HB_EQ: return fl ? LLVMBuildFCmp(B, LLVMRealOEQ, a, b, "") : LLVMBuildICmp(B, LLVMIntEQ, a, b, "");
    case HB_NE: return fl ? LLVMBuildFCmp(B, LLVMRealUNE, a, b, "") : LLVMBuildICmp(B, LLVMIntNE, a, b, "");
    case HB_LT: return fl ? LLVMBuildFCmp(B, LLVMRealOLT, a, b, "") : LLVMBuildICmp(B, sg ? LLVMIntSLT : LLVMIntULT, a, b, "");
    case HB_LE: return fl ? LLVMBuildFCmp(B, LLVMRealOLE, a, b, "") : LLVMBuildICmp(B, sg ? LLVMIntSLE : LLVMIntULE, a, b, "");
    case HB_GT: return fl ? LLVMBuildFCmp(B, LLVMRealOGT, a, b, "") : LLVMBuildICmp(B, sg ? LLVMIntSGT : LLVMIntUGT, a, b, "");
    case HB_GE: return fl ? LLVMBuildFCmp(B, LLVMRealOGE, a, b, "") : LLVMBuildICmp(B, sg ? LLVMIntSGE : LLVMIntUGE, a, b, "");
    }
    DLA_ASSERT(!"unknown HostBin");
    return NULL;
}
