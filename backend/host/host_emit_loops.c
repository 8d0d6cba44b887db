/* host_emit_loops.c - THE generic loop-nest emitter of the host backend.
 *
 * Every op lowering is expressed through this file: an index space (HostNest,
 * n nested counted loops with compile-time extents) and operand accesses that
 * are affine in the loop indices (HostAcc: offset + sum stride*index, stride 0
 * for broadcast). On top of the raw nest it offers element-wise maps, in-place
 * accumulation (out (+|*|max|min)= f(ins), the form used for MatMul and Conv
 * with the contiguous output dimension innermost so LLVM vectorizes it),
 * register reductions (reduction dims innermost, for Reduce*, Softmax...),
 * fills and copies.
 *
 * Loops are emitted bottom-tested (extents are >= 1, extent-0 nests emit
 * nothing) with an i64 induction variable; LLVM's pipeline does the rest. */
#include "host_int.h"

#include <stdlib.h>
#include <string.h>

LLVMValueRef host_gep(HostCtx *c, LLVMValueRef base, int64_t bytes)
{
    return host_gepv(c, base, host_i64(c, bytes));
}

LLVMValueRef host_gepv(HostCtx *c, LLVMValueRef base, LLVMValueRef bytes)
{
    return LLVMBuildGEP2(c->b, c->t_i8, base, &bytes, 1, "");
}

/* A loop whose index phi counts 0, 1, ... from the block it is entered
 * from: loop_begin leaves the builder in the body, loop_end (after the body)
 * adds the latch, which continues while `next pred bound`, and leaves the
 * builder after the loop. Block and phi names are for reading the IR. */
typedef struct CountedLoop {
    LLVMBasicBlockRef pre, loop, exit;
    LLVMValueRef phi;
} CountedLoop;

static CountedLoop loop_begin(HostCtx *c, const char *name, const char *end_name, const char *index_name)
{
    CountedLoop l;
    l.pre = LLVMGetInsertBlock(c->b);
    l.loop = LLVMAppendBasicBlockInContext(c->ctx, c->fn, name);
    l.exit = LLVMAppendBasicBlockInContext(c->ctx, c->fn, end_name);
    LLVMBuildBr(c->b, l.loop);
    LLVMPositionBuilderAtEnd(c->b, l.loop);
    l.phi = LLVMBuildPhi(c->b, c->t_i64, index_name);
    return l;
}

static void loop_end(HostCtx *c, const CountedLoop *l, LLVMIntPredicate pred, LLVMValueRef bound)
{
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMValueRef next = LLVMBuildNUWAdd(c->b, l->phi, host_i64(c, 1), "");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, pred, next, bound, ""), l->loop, l->exit);
    LLVMValueRef inc[2] = {host_i64(c, 0), next};
    LLVMBasicBlockRef from[2] = {l->pre, latch};
    LLVMAddIncoming(l->phi, inc, from, 2);
    LLVMPositionBuilderAtEnd(c->b, l->exit);
}

static void emit_level(HostCtx *c, const HostNest *nest, int d, LLVMValueRef *idx, HostBodyFn body,
                       void *user)
{
    if (d == nest->n) {
        body(c, idx, user);
        return;
    }
    if (nest->ext[d] == 1) {
        idx[d] = host_i64(c, 0);
        emit_level(c, nest, d + 1, idx, body, user);
        return;
    }
    CountedLoop l = loop_begin(c, "loop", "endloop", "i");
    idx[d] = l.phi;
    emit_level(c, nest, d + 1, idx, body, user);
    loop_end(c, &l, LLVMIntULT, host_i64(c, nest->ext[d]));
}

void host_nest_emit(HostCtx *c, const HostNest *nest, HostBodyFn body, void *user)
{
    DLA_ASSERT(nest->n >= 0 && nest->n <= HOST_MAX_LOOPS);
    for (int d = 0; d < nest->n; d++)
        if (nest->ext[d] <= 0)
            return;
    LLVMValueRef idx[HOST_MAX_LOOPS];
    emit_level(c, nest, 0, idx, body, user);
}

LLVMValueRef host_acc_index(HostCtx *c, const HostAcc *a, const LLVMValueRef *idx)
{
    LLVMValueRef s = NULL;
    /* only the loop indices with a non-zero stride take part (nest size unknown here:
     * callers pass accesses whose unused strides are 0) */
    for (int d = 0; d < HOST_MAX_LOOPS; d++) {
        if (!a->st[d])
            continue;
        LLVMValueRef t = a->st[d] == 1 ? idx[d] : LLVMBuildNSWMul(c->b, idx[d], host_i64(c, a->st[d]), "");
        s = s ? LLVMBuildNSWAdd(c->b, s, t, "") : t;
    }
    if (!s)
        return host_i64(c, a->off);
    return a->off ? LLVMBuildNSWAdd(c->b, s, host_i64(c, a->off), "") : s;
}

LLVMValueRef host_acc_load(HostCtx *c, const HostAcc *a, const LLVMValueRef *idx)
{
    return host_load(c, a->base, a->dt, host_acc_index(c, a, idx));
}

void host_acc_store(HostCtx *c, const HostAcc *a, const LLVMValueRef *idx, LLVMValueRef v)
{
    host_store(c, a->base, a->dt, host_acc_index(c, a, idx), v);
}

void host_strides(const IrShape *s, int64_t *st)
{
    int64_t k = 1;
    for (int d = s->rank < 0 ? 0 : s->rank; d < IR_MAX_RANK; d++)
        st[d] = 0; /* callers copy whole IR_MAX_RANK arrays into accesses */
    for (int d = s->rank - 1; d >= 0; d--) {
        st[d] = k;
        k *= s->dims[d];
    }
}

HostNest host_nest_shape(const IrShape *s)
{
    HostNest n;
    memset(&n, 0, sizeof n);
    DLA_ASSERT(s->rank <= HOST_MAX_LOOPS);
    n.n = s->rank;
    for (int d = 0; d < s->rank; d++)
        n.ext[d] = s->dims[d];
    return n;
}

HostAcc host_acc_contig(LLVMValueRef base, IrDtype dt, const IrShape *s)
{
    HostAcc a;
    memset(&a, 0, sizeof a);
    a.base = base;
    a.dt = dt;
    host_strides(s, a.st);
    return a;
}

HostAcc host_acc_bcast(LLVMValueRef base, IrDtype dt, const IrShape *vs, const IrShape *out)
{
    HostAcc a;
    memset(&a, 0, sizeof a);
    a.base = base;
    a.dt = dt;
    int64_t st[IR_MAX_RANK];
    host_strides(vs, st);
    int shift = out->rank - vs->rank;
    DLA_ASSERT(shift >= 0);
    for (int d = 0; d < vs->rank; d++)
        a.st[d + shift] = vs->dims[d] == 1 ? 0 : st[d];
    return a;
}

/* Remove loop d of the nest and its stride from every access. */
static void drop_loop(HostNest *n, HostAcc **accs, int nacc, int d)
{
    for (int k = d; k + 1 < n->n; k++) {
        n->ext[k] = n->ext[k + 1];
        for (int a = 0; a < nacc; a++)
            accs[a]->st[k] = accs[a]->st[k + 1];
    }
    n->n--;
    for (int a = 0; a < nacc; a++)
        accs[a]->st[n->n] = 0;
}

/* Merge loop d into d+1 wherever every access walks them as one contiguous
 * dimension, and drop extent-1 loops: fewer, longer loops vectorize better. */
static void coalesce(HostNest *n, HostAcc **accs, int nacc)
{
    for (int d = 0; d < n->n; d++)
        if (n->ext[d] == 1) {
            drop_loop(n, accs, nacc, d);
            d--; /* the next loop is now loop d */
        }
    for (int d = n->n - 2; d >= 0; d--) {
        int ok = 1;
        for (int a = 0; a < nacc && ok; a++)
            ok = accs[a]->st[d] == accs[a]->st[d + 1] * n->ext[d + 1];
        if (!ok)
            continue;
        n->ext[d] *= n->ext[d + 1];
        for (int a = 0; a < nacc; a++)
            accs[a]->st[d] = accs[a]->st[d + 1];
        drop_loop(n, accs, nacc, d + 1);
    }
}

typedef struct MapState {
    const HostAcc *out;
    const HostAcc *ins;
    int nin;
    HostRed red;
    HostScalarFn f;
    void *user;
} MapState;

static LLVMValueRef combine(HostCtx *c, HostRed red, IrDtype dt, LLVMValueRef acc, LLVMValueRef v)
{
    switch (red) {
    case HR_STORE: return v;
    case HR_SUM: return host_bin(c, HB_ADD, dt, acc, v);
    case HR_PROD: return host_bin(c, HB_MUL, dt, acc, v);
    case HR_MAX: return host_bin(c, HB_MAX, dt, acc, v);
    case HR_MIN: return host_bin(c, HB_MIN, dt, acc, v);
    }
    return v;
}

static void map_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    MapState *s = user;
    LLVMValueRef args[HOST_MAX_LOOPS];
    DLA_ASSERT(s->nin <= HOST_MAX_LOOPS);
    for (int i = 0; i < s->nin; i++)
        args[i] = host_acc_load(c, &s->ins[i], idx);
    LLVMValueRef v;
    if (s->f)
        v = s->f(c, args, s->user);
    else
        v = host_convert(c, args[0], s->ins[0].dt, s->out->dt);
    if (s->red != HR_STORE) {
        LLVMValueRef i = host_acc_index(c, s->out, idx);
        LLVMValueRef old = host_load(c, s->out->base, s->out->dt, i);
        host_store(c, s->out->base, s->out->dt, i, combine(c, s->red, s->out->dt, old, v));
    } else {
        host_acc_store(c, s->out, idx, v);
    }
}

void host_map(HostCtx *c, const HostNest *nest, const HostAcc *out, const HostAcc *ins, int nin,
              HostRed red, HostScalarFn f, void *user)
{
    HostNest n = *nest;
    HostAcc o = *out, in[HOST_MAX_LOOPS];
    HostAcc *all[HOST_MAX_LOOPS + 1];
    DLA_ASSERT(nin <= HOST_MAX_LOOPS);
    all[0] = &o;
    for (int i = 0; i < nin; i++) {
        in[i] = ins[i];
        all[i + 1] = &in[i];
    }
    coalesce(&n, all, nin + 1);
    MapState s = {&o, in, nin, red, f, user};
    host_nest_emit(c, &n, map_body, &s);
}

static LLVMValueRef fill_fn(HostCtx *c, const LLVMValueRef *args, void *user)
{
    (void)c;
    (void)args;
    return (LLVMValueRef)user;
}

void host_fill(HostCtx *c, const HostNest *nest, const HostAcc *out, LLVMValueRef v)
{
    host_map(c, nest, out, NULL, 0, HR_STORE, fill_fn, v);
}

typedef struct RedState {
    const HostNest *outer, *inner;
    const HostAcc *out, *ins;
    int nin;
    HostRed red;
    LLVMValueRef init, slot;
    IrDtype acc_dt;
    HostScalarFn f, fin;
    void *fuser, *finuser;
    LLVMValueRef idx[HOST_MAX_LOOPS];
} RedState;

static void red_inner(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    RedState *s = user;
    for (int d = 0; d < s->inner->n; d++)
        s->idx[s->outer->n + d] = idx[d];
    LLVMValueRef args[HOST_MAX_LOOPS];
    for (int i = 0; i < s->nin; i++)
        args[i] = host_acc_load(c, &s->ins[i], s->idx);
    LLVMValueRef v = s->f ? s->f(c, args, s->fuser) : host_convert(c, args[0], s->ins[0].dt, s->acc_dt);
    LLVMTypeRef t = host_ctype(c, s->acc_dt);
    LLVMValueRef acc = LLVMBuildLoad2(c->b, t, s->slot, "");
    LLVMBuildStore(c->b, combine(c, s->red, s->acc_dt, acc, v), s->slot);
}

static void red_outer(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    RedState *s = user;
    for (int d = 0; d < s->outer->n; d++)
        s->idx[d] = idx[d];
    for (int d = s->outer->n; d < HOST_MAX_LOOPS; d++)
        s->idx[d] = NULL;
    LLVMBuildStore(c->b, s->init, s->slot);
    host_nest_emit(c, s->inner, red_inner, s);
    LLVMValueRef acc = LLVMBuildLoad2(c->b, host_ctype(c, s->acc_dt), s->slot, "");
    LLVMValueRef r;
    if (s->fin)
        r = s->fin(c, &acc, s->finuser);
    else
        r = host_convert(c, acc, s->acc_dt, s->out->dt);
    host_acc_store(c, s->out, s->idx, r);
}

void host_reduce(HostCtx *c, const HostNest *outer, const HostNest *inner, const HostAcc *out,
                 const HostAcc *ins, int nin, HostRed red, LLVMValueRef init, IrDtype acc_dt,
                 HostScalarFn f, void *fuser, HostScalarFn fin, void *finuser)
{
    DLA_ASSERT(outer->n + inner->n <= HOST_MAX_LOOPS && nin <= HOST_MAX_LOOPS);
    RedState s;
    memset(&s, 0, sizeof s);
    s.outer = outer;
    s.inner = inner;
    s.out = out;
    s.ins = ins;
    s.nin = nin;
    s.red = red;
    s.init = init;
    s.acc_dt = acc_dt;
    s.f = f;
    s.fin = fin;
    s.fuser = fuser;
    s.finuser = finuser;
    s.slot = host_alloca(c, host_ctype(c, acc_dt), "acc");
    host_nest_emit(c, outer, red_outer, &s);
}

void host_memcpy(HostCtx *c, LLVMValueRef dst, LLVMValueRef src, int64_t nbytes)
{
    if (nbytes <= 0)
        return;
    LLVMBuildMemCpy(c->b, dst, 1, src, 1, host_i64(c, nbytes));
}

HostIf host_if_begin(HostCtx *c, LLVMValueRef cond)
{
    HostIf h;
    h.then_bb = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "then");
    h.merge_bb = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "endif");
    LLVMBuildCondBr(c->b, cond, h.then_bb, h.merge_bb);
    LLVMPositionBuilderAtEnd(c->b, h.then_bb);
    return h;
}

void host_if_end(HostCtx *c, HostIf *h)
{
    LLVMBuildBr(c->b, h->merge_bb);
    LLVMPositionBuilderAtEnd(c->b, h->merge_bb);
}

void host_loop_dyn(HostCtx *c, LLVMValueRef n, HostBodyFn body, void *user)
{
    LLVMValueRef any = LLVMBuildICmp(c->b, LLVMIntSGT, n, host_i64(c, 0), "");
    HostIf h = host_if_begin(c, any);
    CountedLoop l = loop_begin(c, "dloop", "enddloop", "j");
    body(c, &l.phi, user);
    loop_end(c, &l, LLVMIntSLT, n);
    host_if_end(c, &h);
}

LLVMValueRef host_alloca(HostCtx *c, LLVMTypeRef t, const char *name)
{
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(c->fn);
    LLVMBuilderRef tb = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first)
        LLVMPositionBuilderBefore(tb, first);
    else
        LLVMPositionBuilderAtEnd(tb, entry);
    LLVMValueRef a = LLVMBuildAlloca(tb, t, name);
    LLVMDisposeBuilder(tb);
    return a;
}
