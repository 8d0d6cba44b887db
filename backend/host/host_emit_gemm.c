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
    unsigned esize;     /* element bytes (alignment of the vector accesses) */
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
    LLVMSetAlignment(l, k->esize);
    return l;
}

static void vstore(HostCtx *c, GemmK *k, LLVMValueRef base, LLVMValueRef off, LLVMValueRef v)
{
    LLVMValueRef s = LLVMBuildStore(c->b, v, vptr(c, base, k->et, k->vt, off));
    LLVMSetAlignment(s, k->esize);
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
    LLVMValueRef args[4] = {vptr(c, base, k->et, k->vt, off), LLVMConstInt(c->t_i32, k->esize, 0),
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
    LLVMValueRef args[4] = {val, vptr(c, base, k->et, k->vt, off), LLVMConstInt(c->t_i32, k->esize, 0),
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
    k.esize = (unsigned)ir_dtype_size(dt);
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

/* ---- out[i, j] += sum_k A[i, k] * B[j, k], A and B contiguous in k ----
 * (Gemm with transB, the fully connected layers): vectorized along k. Per
 * output row i and block of NT columns, NT vector accumulators walk k in
 * vectors of VW (the last one masked), then each is summed horizontally. */

#define GEMM_NT 4

typedef struct DotK {
    GemmK k;
    const HostAcc *out, *a, *b;
    int64_t K, j0;
    int nt;
    LLVMValueRef acc[GEMM_NT];
    const LLVMValueRef *oidx; /* i, jb */
} DotK;

static void dot_step(HostCtx *c, const LLVMValueRef *kidx, void *user)
{
    DotK *d = user;
    GemmK *k = &d->k;
    LLVMValueRef kk = LLVMBuildMul(c->b, kidx[0], host_i64(c, k->vw), "");
    LLVMValueRef i = d->oidx[0];
    LLVMValueRef j = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, d->oidx[1], host_i64(c, GEMM_NT), ""), host_i64(c, d->j0), "");
    LLVMValueRef ao = LLVMBuildAdd(c->b, LLVMBuildAdd(c->b, host_i64(c, d->a->off), LLVMBuildMul(c->b, i, host_i64(c, d->a->st[0]), ""), ""), kk, "");
    LLVMValueRef av = tload(c, k, d->a->base, ao, 0);
    for (int t = 0; t < d->nt; t++) {
        LLVMValueRef jt = LLVMBuildAdd(c->b, j, host_i64(c, t), "");
        LLVMValueRef bo = LLVMBuildAdd(c->b, LLVMBuildAdd(c->b, host_i64(c, d->b->off), LLVMBuildMul(c->b, jt, host_i64(c, d->b->st[0]), ""), ""), kk, "");
        LLVMValueRef bv = tload(c, k, d->b->base, bo, 0);
        LLVMValueRef args[3] = {av, bv, LLVMBuildLoad2(c->b, k->vt, d->acc[t], "")};
        LLVMBuildStore(c->b, LLVMBuildCall2(c->b, LLVMGlobalGetValueType(k->fmuladd), k->fmuladd, args, 3, ""), d->acc[t]);
    }
}

static void dot_tile(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    DotK *d = user;
    GemmK *k = &d->k;
    d->oidx = idx;
    for (int t = 0; t < d->nt; t++)
        LLVMBuildStore(c->b, LLVMConstNull(k->vt), d->acc[t]);
    int64_t full = d->K / k->vw, rest = d->K % k->vw;
    k->valid = k->vw;
    HostNest kn = {1, {full}};
    if (full)
        host_nest_emit(c, &kn, dot_step, d);
    if (rest) {
        /* one more step over the last, partial vector: kidx = full */
        k->valid = (int)rest;
        LLVMValueRef kidx = host_i64(c, full);
        dot_step(c, &kidx, d);
        k->valid = k->vw;
    }
    LLVMValueRef j = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, idx[1], host_i64(c, GEMM_NT), ""), host_i64(c, d->j0), "");
    for (int t = 0; t < d->nt; t++) {
        LLVMValueRef v = LLVMBuildLoad2(c->b, k->vt, d->acc[t], "");
        LLVMValueRef s = LLVMBuildExtractElement(c->b, v, LLVMConstInt(c->t_i32, 0, 0), "");
        for (int l = 1; l < k->vw; l++)
            s = LLVMBuildFAdd(c->b, s, LLVMBuildExtractElement(c->b, v, LLVMConstInt(c->t_i32, (unsigned)l, 0), ""), "");
        LLVMValueRef jt = LLVMBuildAdd(c->b, j, host_i64(c, t), "");
        LLVMValueRef oo = LLVMBuildAdd(c->b, LLVMBuildAdd(c->b, host_i64(c, d->out->off), LLVMBuildMul(c->b, idx[0], host_i64(c, d->out->st[0]), ""), ""),
                                       LLVMBuildMul(c->b, jt, host_i64(c, d->out->st[1]), ""), "");
        LLVMValueRef old = host_load(c, d->out->base, d->out->dt, oo);
        host_store(c, d->out->base, d->out->dt, oo, LLVMBuildFAdd(c->b, old, s, ""));
    }
}

void host_gemm_nt(HostCtx *c, int64_t M, int64_t N, int64_t K, const HostAcc *out, const HostAcc *a, const HostAcc *b)
{
    IrDtype dt = out->dt;
    DLA_ASSERT((dt == DT_FLOAT || dt == DT_DOUBLE) && a->dt == dt && b->dt == dt);
    DotK d;
    memset(&d, 0, sizeof d);
    d.out = out;
    d.a = a;
    d.b = b;
    d.K = K;
    GemmK *k = &d.k;
    k->g = NULL;
    k->vw = dt == DT_DOUBLE ? 4 : 8;
    k->et = host_ctype(c, dt);
    k->vt = LLVMVectorType(k->et, (unsigned)k->vw);
    k->esize = (unsigned)ir_dtype_size(dt);
    unsigned id = LLVMLookupIntrinsicID("llvm.fmuladd", 12);
    k->fmuladd = LLVMGetIntrinsicDeclaration(c->mod, id, &k->vt, 1);
    LLVMTypeRef mt[2] = {k->vt, LLVMPointerType(k->vt, 0)};
    id = LLVMLookupIntrinsicID("llvm.masked.load", 16);
    k->mload = LLVMGetIntrinsicDeclaration(c->mod, id, mt, 2);
    id = LLVMLookupIntrinsicID("llvm.masked.store", 17);
    k->mstore = LLVMGetIntrinsicDeclaration(c->mod, id, mt, 2);
    for (int t = 0; t < GEMM_NT; t++)
        d.acc[t] = host_alloca(c, k->vt, "dacc");
    int64_t nb = N / GEMM_NT, rest = N % GEMM_NT;
    if (nb) {
        d.nt = GEMM_NT;
        d.j0 = 0;
        HostNest n = {2, {M, nb}};
        host_nest_emit(c, &n, dot_tile, &d);
    }
    if (rest) {
        d.nt = (int)rest;
        d.j0 = nb * GEMM_NT;
        HostNest n = {2, {M, 1}};
        host_nest_emit(c, &n, dot_tile, &d);
    }
}
