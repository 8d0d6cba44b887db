/* host_emit_gemm.c - the register-blocked form of the accumulating nest
 *     out[i, j] += sum_k A[i, k] * B[k, j]
 * (with outer "batch" loops and any number of reduction loops k), used by
 * MatMul, Gemm and stride-1 convolution. LLVM's loop vectorizer only
 * vectorizes innermost loops, and the plain nest (host_map with HR_SUM) then
 * re-loads and re-stores the output row for every k; here the emitter itself
 * tiles MR rows x NR columns of the output into vector registers (NR = NV
 * vectors of VW elements), walks the whole reduction with them, and touches
 * the output once per tile: per k step, NV vector loads of B, MR scalar
 * broadcasts of A, MR*NV fused multiply-adds.
 *
 * Requirements: j is contiguous in out and in B (stride 1), A does not depend
 * on j, B does not depend on i, out does not depend on k. Edge tiles: rows
 * left over use a kernel with fewer rows; columns left over fall back to the
 * generic nest. */
#include "host_int.h"

#include <string.h>

#define GEMM_MR 4
#define GEMM_NV 2

typedef struct GemmK {
    const HostGemm *g;
    int mr;           /* rows of this kernel */
    int vw;           /* vector width in elements */
    LLVMTypeRef vt, et;
    HostAcc out, a, b; /* block accesses over outer ++ [ib, jb] */
    LLVMValueRef acc[GEMM_MR][GEMM_NV];
    LLVMValueRef ao, bo; /* base offsets of the tile */
    LLVMValueRef fmuladd;
} GemmK;

static LLVMValueRef vptr(HostCtx *c, LLVMValueRef base, LLVMTypeRef et, LLVMTypeRef vt, LLVMValueRef off)
{
    LLVMValueRef p = LLVMBuildBitCast(c->b, base, LLVMPointerType(et, 0), "");
    p = LLVMBuildGEP2(c->b, et, p, &off, 1, "");
    return LLVMBuildBitCast(c->b, p, LLVMPointerType(vt, 0), "");
}

static LLVMValueRef vload(HostCtx *c, GemmK *k, LLVMValueRef base, LLVMValueRef off)
{
    LLVMValueRef l = LLVMBuildLoad2(c->b, k->vt, vptr(c, base, k->et, k->vt, off), "");
    LLVMSetAlignment(l, (unsigned)ir_dtype_size(k->g->out.dt));
    return l;
}

static void vstore(HostCtx *c, GemmK *k, LLVMValueRef base, LLVMValueRef off, LLVMValueRef v)
{
    LLVMValueRef s = LLVMBuildStore(c->b, v, vptr(c, base, k->et, k->vt, off));
    LLVMSetAlignment(s, (unsigned)ir_dtype_size(k->g->out.dt));
}

static LLVMValueRef splat(HostCtx *c, GemmK *k, LLVMValueRef x)
{
    LLVMValueRef u = LLVMGetUndef(k->vt);
    LLVMValueRef v = LLVMBuildInsertElement(c->b, u, x, LLVMConstInt(c->t_i32, 0, 0), "");
    LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(c->t_i32, (unsigned)k->vw));
    return LLVMBuildShuffleVector(c->b, v, u, zeros, "");
}

static LLVMValueRef add_off(HostCtx *c, LLVMValueRef a, int64_t k)
{
    return k ? LLVMBuildAdd(c->b, a, host_i64(c, k), "") : a;
}

static void kern_step(HostCtx *c, const LLVMValueRef *kidx, void *user)
{
    GemmK *k = user;
    const HostGemm *g = k->g;
    int no = g->outer.n + 2;
    LLVMValueRef ka = k->ao, kb = k->bo;
    for (int d = 0; d < g->red.n; d++) {
        if (g->a.st[no + d])
            ka = LLVMBuildAdd(c->b, ka, LLVMBuildMul(c->b, kidx[d], host_i64(c, g->a.st[no + d]), ""), "");
        if (g->b.st[no + d])
            kb = LLVMBuildAdd(c->b, kb, LLVMBuildMul(c->b, kidx[d], host_i64(c, g->b.st[no + d]), ""), "");
    }
    LLVMValueRef bv[GEMM_NV];
    for (int v = 0; v < GEMM_NV; v++)
        bv[v] = vload(c, k, g->b.base, add_off(c, kb, (int64_t)v * k->vw));
    for (int r = 0; r < k->mr; r++) {
        LLVMValueRef av = host_load(c, g->a.base, g->a.dt, add_off(c, ka, r * g->a.st[g->outer.n]));
        LLVMValueRef as = splat(c, k, av);
        for (int v = 0; v < GEMM_NV; v++) {
            LLVMValueRef old = LLVMBuildLoad2(c->b, k->vt, k->acc[r][v], "");
            LLVMValueRef args[3] = {as, bv[v], old};
            LLVMValueRef nv = LLVMBuildCall2(c->b, LLVMGlobalGetValueType(k->fmuladd), k->fmuladd, args, 3, "");
            LLVMBuildStore(c->b, nv, k->acc[r][v]);
        }
    }
}

static void kern_tile(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    GemmK *k = user;
    const HostGemm *g = k->g;
    LLVMValueRef oo = host_acc_index(c, &k->out, idx);
    k->ao = host_acc_index(c, &k->a, idx);
    k->bo = host_acc_index(c, &k->b, idx);
    int64_t osi = g->out.st[g->outer.n];
    for (int r = 0; r < k->mr; r++)
        for (int v = 0; v < GEMM_NV; v++)
            LLVMBuildStore(c->b, vload(c, k, g->out.base, add_off(c, oo, r * osi + (int64_t)v * k->vw)), k->acc[r][v]);
    host_nest_emit(c, &g->red, kern_step, k);
    for (int r = 0; r < k->mr; r++)
        for (int v = 0; v < GEMM_NV; v++)
            vstore(c, k, g->out.base, add_off(c, oo, r * osi + (int64_t)v * k->vw),
                   LLVMBuildLoad2(c->b, k->vt, k->acc[r][v], ""));
}

/* Accesses over outer ++ [ib, jb] for tiles of mr rows starting at row i0. */
static HostAcc block_acc(const HostAcc *a, int no, int mr, int64_t nr, int64_t i0)
{
    HostAcc b = *a;
    b.off += i0 * a->st[no];
    b.st[no] = a->st[no] * mr;
    b.st[no + 1] = a->st[no + 1] * nr;
    for (int d = no + 2; d < HOST_MAX_LOOPS; d++)
        b.st[d] = 0;
    return b;
}

static LLVMValueRef mul_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    return host_bin(c, HB_MUL, *(IrDtype *)user, a[0], a[1]);
}

/* generic nest outer ++ [i, red.., j] over the column range [j0, j0 + nj) */
static void gemm_generic(HostCtx *c, const HostGemm *g, int64_t j0, int64_t nj, IrDtype dt)
{
    int no = g->outer.n;
    HostNest n = g->outer;
    n.ext[no] = g->M;
    for (int d = 0; d < g->red.n; d++)
        n.ext[no + 1 + d] = g->red.ext[d];
    n.ext[no + 1 + g->red.n] = nj;
    n.n = no + 2 + g->red.n;
    HostAcc acc[3] = {g->out, g->a, g->b};
    HostAcc r[3];
    for (int a = 0; a < 3; a++) {
        r[a] = acc[a];
        r[a].off += j0 * acc[a].st[no + 1];
        for (int d = 0; d < g->red.n; d++)
            r[a].st[no + 1 + d] = acc[a].st[no + 2 + d];
        r[a].st[no + 1 + g->red.n] = acc[a].st[no + 1];
    }
    host_map(c, &n, &r[0], &r[1], 2, HR_SUM, mul_fn, &dt);
}

void host_gemm(HostCtx *c, const HostGemm *g)
{
    IrDtype dt = g->out.dt;
    int no = g->outer.n;
    DLA_ASSERT(no + 2 + g->red.n <= HOST_MAX_LOOPS);
    int ok = (dt == DT_FLOAT || dt == DT_DOUBLE) && g->a.dt == dt && g->b.dt == dt && g->out.st[no + 1] == 1 &&
             g->b.st[no + 1] == 1 && g->a.st[no + 1] == 0 && g->b.st[no] == 0;
    for (int d = 0; d < g->red.n; d++)
        ok = ok && g->out.st[no + 2 + d] == 0;
    GemmK k;
    memset(&k, 0, sizeof k);
    k.g = g;
    k.vw = dt == DT_DOUBLE ? 4 : 8;
    int64_t nr = (int64_t)k.vw * GEMM_NV;
    if (!ok || g->N < nr) {
        gemm_generic(c, g, 0, g->N, dt);
        return;
    }
    k.et = host_ctype(c, dt);
    k.vt = LLVMVectorType(k.et, (unsigned)k.vw);
    unsigned id = LLVMLookupIntrinsicID("llvm.fmuladd", 12);
    k.fmuladd = LLVMGetIntrinsicDeclaration(c->mod, id, &k.vt, 1);
    for (int r = 0; r < GEMM_MR; r++)
        for (int v = 0; v < GEMM_NV; v++)
            k.acc[r][v] = host_alloca(c, k.vt, "gacc");
    int64_t nb = g->N / nr, mb = g->M / GEMM_MR, mrem = g->M % GEMM_MR;
    HostNest n = g->outer;
    n.n = no + 2;
    n.ext[no + 1] = nb;
    if (mb) {
        k.mr = GEMM_MR;
        n.ext[no] = mb;
        k.out = block_acc(&g->out, no, GEMM_MR, nr, 0);
        k.a = block_acc(&g->a, no, GEMM_MR, nr, 0);
        k.b = block_acc(&g->b, no, GEMM_MR, nr, 0);
        host_nest_emit(c, &n, kern_tile, &k);
    }
    if (mrem) {
        k.mr = (int)mrem;
        n.ext[no] = 1;
        k.out = block_acc(&g->out, no, GEMM_MR, nr, mb * GEMM_MR);
        k.a = block_acc(&g->a, no, GEMM_MR, nr, mb * GEMM_MR);
        k.b = block_acc(&g->b, no, GEMM_MR, nr, mb * GEMM_MR);
        host_nest_emit(c, &n, kern_tile, &k);
    }
    if (g->N % nr)
        gemm_generic(c, g, nb * nr, g->N % nr, dt);
}
