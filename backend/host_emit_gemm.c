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
 * left over use a kernel with fewer rows; the last, partial column tile uses
 * masked vector loads and stores (llvm.masked.load/store), so no lane touches
 * memory past the operands. */
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
    int valid;          /* columns valid in this tile: NR for full tiles */
    LLVMValueRef mload, mstore;
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

/* lanes [0, n) of a vector of k->vw */
static LLVMValueRef lane_mask(HostCtx *c, GemmK *k, int n)
{
    LLVMValueRef b[16];
    for (int i = 0; i < k->vw; i++)
        b[i] = LLVMConstInt(c->t_i1, i < n, 0);
    return LLVMConstVector(b, (unsigned)k->vw);
}

/* vector v of a tile row: full load, masked load, or (no valid lane) zeros */
static LLVMValueRef tload(HostCtx *c, GemmK *k, LLVMValueRef base, LLVMValueRef off, int v)
{
    int n = k->valid - v * k->vw;
    if (n >= k->vw)
        return vload(c, k, base, off);
    if (n <= 0)
        return LLVMConstNull(k->vt);
    LLVMValueRef args[4] = {vptr(c, base, k->et, k->vt, off), LLVMConstInt(c->t_i32, ir_dtype_size(k->g->out.dt), 0),
                            lane_mask(c, k, n), LLVMConstNull(k->vt)};
    return LLVMBuildCall2(c->b, LLVMGlobalGetValueType(k->mload), k->mload, args, 4, "");
}

static void tstore(HostCtx *c, GemmK *k, LLVMValueRef base, LLVMValueRef off, int v, LLVMValueRef val)
{
    int n = k->valid - v * k->vw;
    if (n >= k->vw) {
        vstore(c, k, base, off, val);
        return;
    }
    if (n <= 0)
        return;
    LLVMValueRef args[4] = {val, vptr(c, base, k->et, k->vt, off), LLVMConstInt(c->t_i32, ir_dtype_size(k->g->out.dt), 0),
                            lane_mask(c, k, n)};
    LLVMBuildCall2(c->b, LLVMGlobalGetValueType(k->mstore), k->mstore, args, 4, "");
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
        bv[v] = tload(c, k, g->b.base, add_off(c, kb, (int64_t)v * k->vw), v);
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
            LLVMBuildStore(c->b, tload(c, k, g->out.base, add_off(c, oo, r * osi + (int64_t)v * k->vw), v), k->acc[r][v]);
    host_nest_emit(c, &g->red, kern_step, k);
    for (int r = 0; r < k->mr; r++)
        for (int v = 0; v < GEMM_NV; v++)
            tstore(c, k, g->out.base, add_off(c, oo, r * osi + (int64_t)v * k->vw), v,
                   LLVMBuildLoad2(c->b, k->vt, k->acc[r][v], ""));
}

/* Accesses over outer ++ [ib, jb] for tiles of mr rows starting at row i0, column j0. */
static HostAcc block_acc(const HostAcc *a, int no, int mr, int64_t nr, int64_t i0, int64_t j0)
{
    HostAcc b = *a;
    b.off += i0 * a->st[no] + j0 * a->st[no + 1];
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
    if (!ok) {
        gemm_generic(c, g, 0, g->N, dt);
        return;
    }
    k.et = host_ctype(c, dt);
    k.vt = LLVMVectorType(k.et, (unsigned)k.vw);
    unsigned id = LLVMLookupIntrinsicID("llvm.fmuladd", 12);
    k.fmuladd = LLVMGetIntrinsicDeclaration(c->mod, id, &k.vt, 1);
    LLVMTypeRef mt[2] = {k.vt, LLVMPointerType(k.vt, 0)};
    id = LLVMLookupIntrinsicID("llvm.masked.load", 16);
    k.mload = LLVMGetIntrinsicDeclaration(c->mod, id, mt, 2);
    id = LLVMLookupIntrinsicID("llvm.masked.store", 17);
    k.mstore = LLVMGetIntrinsicDeclaration(c->mod, id, mt, 2);
    for (int r = 0; r < GEMM_MR; r++)
        for (int v = 0; v < GEMM_NV; v++)
            k.acc[r][v] = host_alloca(c, k.vt, "gacc");
    int64_t nb = g->N / nr, mb = g->M / GEMM_MR, mrem = g->M % GEMM_MR, tail = g->N % nr;
    /* full column tiles, then the partial one (masked); each for full row blocks and the row rest */
    for (int part = 0; part < 2; part++) {
        int64_t ncols = part ? (tail ? 1 : 0) : nb, j0 = part ? nb * nr : 0;
        if (!ncols)
            continue;
        k.valid = part ? (int)tail : (int)nr;
        HostNest n = g->outer;
        n.n = no + 2;
        n.ext[no + 1] = ncols;
        if (mb) {
            k.mr = GEMM_MR;
            n.ext[no] = mb;
            k.out = block_acc(&g->out, no, GEMM_MR, nr, 0, j0);
            k.a = block_acc(&g->a, no, GEMM_MR, nr, 0, j0);
            k.b = block_acc(&g->b, no, GEMM_MR, nr, 0, j0);
            host_nest_emit(c, &n, kern_tile, &k);
        }
        if (mrem) {
            k.mr = (int)mrem;
            n.ext[no] = 1;
            k.out = block_acc(&g->out, no, GEMM_MR, nr, mb * GEMM_MR, j0);
            k.a = block_acc(&g->a, no, GEMM_MR, nr, mb * GEMM_MR, j0);
            k.b = block_acc(&g->b, no, GEMM_MR, nr, mb * GEMM_MR, j0);
            host_nest_emit(c, &n, kern_tile, &k);
        }
    }
}
