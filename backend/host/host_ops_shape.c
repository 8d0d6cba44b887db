/* host_ops_shape.c - data movement: reshapes (a copy), Transpose, Concat,
 * Split, Slice, Expand, Tile, Pad, Gather and friends, and the ops whose
 * result is known at compile time from static shapes (Shape, Size,
 * ConstantOfShape). Affine movements are host_map copies with permuted,
 * offset or zero strides; data-dependent indexing (Gather*, Pad's border
 * modes) uses a custom loop body over the output index space. Every
 * data-dependent index is clamped into range, so no input makes the
 * generated code read outside its operands. */
#include "host_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int norm_axis(int64_t a, int rank, int *out)
{
    if (a < -rank || a >= rank)
        return 0;
    *out = (int)(a < 0 ? a + rank : a);
    return 1;
}

static int64_t nbytes_of(const IrValue *v)
{
    return ir_shape_numel(&v->shape) * (int64_t)ir_dtype_size(v->dtype);
}

/* Input 0 (x) at offset 0 with all strides 0, for the caller to lay over
 * its nest. */
static HostAcc x_acc(HostCtx *c, const IrValue *x)
{
    HostAcc a;
    memset(&a, 0, sizeof a);
    a.base = host_in(c, 0);
    a.dt = x->dtype;
    return a;
}

/* Reshape, Flatten, Squeeze, Unsqueeze, Dropout (inference), Identity-like: a byte copy. */
DlaStatus host_lower_copy(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    if (nbytes_of(x) != nbytes_of(y) || x->dtype != y->dtype)
        return host_unsupported(c, "input and output sizes differ");
    if (host_nd(c)->op == OP_DROPOUT && host_has_in(c, 2)) {
        int64_t *tm;
        int64_t n = host_const_ints(c, 2, &tm);
        int training = n == 1 && tm[0];
        free(tm);
        if (n != 1)
            return DLA_ERR_UNSUPPORTED;
        if (training) {
            /* random unless nothing is dropped: ratio (input 1, default 0.5) must be 0 */
            double *ratio = NULL;
            int64_t nr = host_has_in(c, 1) ? host_const_doubles(c, 1, &ratio) : -1;
            int zero = nr == 1 && ratio[0] == 0.0;
            free(ratio);
            if (!zero)
                return host_unsupported(c, "Dropout in training mode with a non-zero ratio (random)");
        }
    }
    host_memcpy(c, host_out(c, 0), host_in(c, 0), nbytes_of(x));
    /* Dropout's optional mask: all true in inference */
    if (host_nd(c)->noutputs > 1 && host_nd(c)->outputs[1] >= 0) {
        IrValue *m = host_outv(c, 1);
        HostNest n = host_nest_shape(&m->shape);
        HostAcc a = host_acc_contig(host_out(c, 1), m->dtype, &m->shape);
        host_fill(c, &n, &a, host_consti(c, m->dtype, 1));
    }
    (void)node;
    return DLA_OK;
}

DlaStatus host_lower_transpose(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    int perm[IR_MAX_RANK];
    const int64_t *p;
    int32_t np = ir_attr_ints(c->g, node, "perm", &p);
    for (int i = 0; i < r; i++)
        perm[i] = r - 1 - i;
    if (np >= 0) {
        if (np != r)
            return host_unsupported(c, "perm has %d entries for rank %d", np, r);
        int seen[IR_MAX_RANK] = {0};
        for (int i = 0; i < r; i++) {
            if (!norm_axis(p[i], r, &perm[i]) || seen[perm[i]]++)
                return host_unsupported(c, "perm is not a permutation");
        }
    }
    int64_t ist[IR_MAX_RANK];
    host_strides(&x->shape, ist);
    HostNest n = host_nest_shape(&y->shape);
    HostAcc out = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    HostAcc in = x_acc(c, x);
    for (int d = 0; d < r; d++) {
        if (y->shape.dims[d] != x->shape.dims[perm[d]])
            return host_unsupported(c, "output shape disagrees with perm");
        in.st[d] = ist[perm[d]];
    }
    host_map(c, &n, &out, &in, 1, HR_STORE, NULL, NULL);
    return DLA_OK;
}

DlaStatus host_lower_concat(HostCtx *c, int32_t node)
{
    IrValue *y = host_outv(c, 0);
    int ax;
    if (!norm_axis(ir_attr_int(c->g, node, "axis", 0), y->shape.rank, &ax))
        return host_unsupported(c, "axis");
    int64_t off = 0;
    int64_t yst[IR_MAX_RANK];
    host_strides(&y->shape, yst);
    for (int i = 0; i < host_nin(c); i++) {
        if (!host_has_in(c, i))
            continue;
        IrValue *x = host_inv(c, i);
        if (x->shape.rank != y->shape.rank || x->dtype != y->dtype)
            return host_unsupported(c, "input %d rank/dtype", i);
        HostNest n = host_nest_shape(&x->shape);
        HostAcc out;
        memset(&out, 0, sizeof out);
        out.base = host_out(c, 0);
        out.dt = y->dtype;
        memcpy(out.st, yst, sizeof yst);
        out.off = off * yst[ax];
        HostAcc in = host_acc_contig(host_in(c, i), x->dtype, &x->shape);
        host_map(c, &n, &out, &in, 1, HR_STORE, NULL, NULL);
        off += x->shape.dims[ax];
    }
    if (off != y->shape.dims[ax])
        return host_unsupported(c, "inputs do not add up to the output");
    return DLA_OK;
}

/* Split: the output shapes (from inference) give each piece's extent. */
DlaStatus host_lower_split(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0);
    int ax;
    if (!norm_axis(ir_attr_int(c->g, node, "axis", 0), x->shape.rank, &ax))
        return host_unsupported(c, "axis");
    int64_t xst[IR_MAX_RANK], off = 0;
    host_strides(&x->shape, xst);
    for (int o = 0; o < host_nd(c)->noutputs; o++) {
        if (host_nd(c)->outputs[o] < 0)
            continue;
        IrValue *y = host_outv(c, o);
        if (y->shape.rank != x->shape.rank || off + y->shape.dims[ax] > x->shape.dims[ax])
            return host_unsupported(c, "output %d shape", o);
        HostNest n = host_nest_shape(&y->shape);
        HostAcc out = host_acc_contig(host_out(c, o), y->dtype, &y->shape);
        HostAcc in = x_acc(c, x);
        memcpy(in.st, xst, sizeof xst);
        in.off = off * xst[ax];
        host_map(c, &n, &out, &in, 1, HR_STORE, NULL, NULL);
        off += y->shape.dims[ax];
    }
    return DLA_OK;
}

DlaStatus host_lower_slice(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    int64_t *starts = NULL, *ends = NULL, *axes = NULL, *steps = NULL;
    int64_t ns, ne, na = -1, nst = -1;
    DlaStatus st = DLA_OK;
    if (host_nin(c) == 1) { /* opset 1: attributes */
        const int64_t *v;
        ns = ir_attr_ints(c->g, node, "starts", &v);
        if (ns >= 0)
            starts = dla_arena_memdup(&c->g->arena, v, (size_t)ns * 8);
        ne = ir_attr_ints(c->g, node, "ends", &v);
        if (ne >= 0)
            ends = dla_arena_memdup(&c->g->arena, v, (size_t)ne * 8);
        na = ir_attr_ints(c->g, node, "axes", &v);
        if (na >= 0)
            axes = dla_arena_memdup(&c->g->arena, v, (size_t)na * 8);
        if (ns < 0 || ne < 0)
            return host_unsupported(c, "starts/ends missing");
    } else {
        if ((ns = host_const_ints(c, 1, &starts)) < 0 || (ne = host_const_ints(c, 2, &ends)) < 0) {
            free(starts);
            return DLA_ERR_UNSUPPORTED;
        }
        if (host_has_in(c, 3) && (na = host_const_ints(c, 3, &axes)) < 0)
            st = DLA_ERR_UNSUPPORTED;
        if (!st && host_has_in(c, 4) && (nst = host_const_ints(c, 4, &steps)) < 0)
            st = DLA_ERR_UNSUPPORTED;
    }
    int64_t start[IR_MAX_RANK], step[IR_MAX_RANK];
    for (int d = 0; d < r; d++) {
        start[d] = 0;
        step[d] = 1;
    }
    if (!st && (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns)))
        st = host_unsupported(c, "starts/ends/axes/steps lengths differ");
    for (int64_t i = 0; !st && i < ns; i++) {
        int ax;
        if (!norm_axis(na >= 0 ? axes[i] : i, r, &ax)) {
            st = host_unsupported(c, "axis out of range");
            break;
        }
        int64_t D = x->shape.dims[ax], s = nst >= 0 ? steps[i] : 1, b = starts[i], e = ends[i];
        if (s == 0) {
            st = host_unsupported(c, "step 0");
            break;
        }
        if (b < 0)
            b += D;
        if (e < 0)
            e += D;
        if (s > 0) {
            b = b < 0 ? 0 : b > D ? D : b;
            e = e < 0 ? 0 : e > D ? D : e;
        } else {
            b = b < 0 ? -1 : b > D - 1 ? D - 1 : b;
            e = e < -1 ? -1 : e > D - 1 ? D - 1 : e;
        }
        int64_t len = s > 0 ? (e > b ? (e - b + s - 1) / s : 0) : (b > e ? (b - e + (-s) - 1) / (-s) : 0);
        if (len != y->shape.dims[ax]) {
            st = host_unsupported(c, "output extent %lld on axis %d, expected %lld", (long long)y->shape.dims[ax], ax,
                                  (long long)len);
            break;
        }
        start[ax] = len ? b : 0;
        step[ax] = s;
    }
    if (host_nin(c) > 1) {
        free(starts);
        free(ends);
        free(axes);
        free(steps);
    }
    if (st)
        return st;
    int64_t xst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    HostNest n = host_nest_shape(&y->shape);
    HostAcc out = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    HostAcc in = x_acc(c, x);
    for (int d = 0; d < r; d++) {
        in.off += start[d] * xst[d];
        in.st[d] = step[d] * xst[d];
    }
    host_map(c, &n, &out, &in, 1, HR_STORE, NULL, NULL);
    return DLA_OK;
}

DlaStatus host_lower_expand(HostCtx *c, int32_t node)
{
    (void)node;
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    if (x->shape.rank > y->shape.rank)
        return host_unsupported(c, "rank");
    HostNest n = host_nest_shape(&y->shape);
    HostAcc out = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    HostAcc in = host_acc_bcast(host_in(c, 0), x->dtype, &x->shape, &y->shape);
    host_map(c, &n, &out, &in, 1, HR_STORE, NULL, NULL);
    return DLA_OK;
}

/* Tile: out[r*D + i] = x[i] per dim, i.e. an affine nest over (r0,i0,r1,i1,...). */
DlaStatus host_lower_tile(HostCtx *c, int32_t node)
{
    (void)node;
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    if (2 * r > HOST_MAX_LOOPS || y->shape.rank != r)
        return host_unsupported(c, "rank");
    int64_t xst[IR_MAX_RANK], yst[IR_MAX_RANK];
    host_strides(&x->shape, xst);
    host_strides(&y->shape, yst);
    HostNest n;
    memset(&n, 0, sizeof n);
    HostAcc out, in;
    memset(&out, 0, sizeof out);
    memset(&in, 0, sizeof in);
    out.base = host_out(c, 0);
    out.dt = y->dtype;
    in.base = host_in(c, 0);
    in.dt = x->dtype;
    n.n = 2 * r;
    for (int d = 0; d < r; d++) {
        int64_t D = x->shape.dims[d];
        if (D == 0 || y->shape.dims[d] % D)
            return D == 0 ? DLA_OK : host_unsupported(c, "output extent not a multiple");
        n.ext[2 * d] = y->shape.dims[d] / D;
        n.ext[2 * d + 1] = D;
        out.st[2 * d] = D * yst[d];
        out.st[2 * d + 1] = yst[d];
        in.st[2 * d + 1] = xst[d];
    }
    host_map(c, &n, &out, &in, 1, HR_STORE, NULL, NULL);
    return DLA_OK;
}

/* ---- Pad ---- */

typedef struct PadState {
    IrValue *x, *y;
    LLVMValueRef xp, yp, cval;
    int mode; /* 0 constant, 1 edge, 2 reflect, 3 wrap */
    int64_t pb[IR_MAX_RANK];
} PadState;

static void pad_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    PadState *s = user;
    LLVMBuilderRef B = c->b;
    int r = s->x->shape.rank;
    int64_t xst[IR_MAX_RANK], yst[IR_MAX_RANK];
    host_strides(&s->x->shape, xst);
    host_strides(&s->y->shape, yst);
    LLVMValueRef inb = LLVMConstInt(c->t_i1, 1, 0), src = host_i64(c, 0), dst = host_i64(c, 0);
    for (int d = 0; d < r; d++) {
        int64_t D = s->x->shape.dims[d];
        LLVMValueRef i = LLVMBuildSub(B, idx[d], host_i64(c, s->pb[d]), "");
        LLVMValueRef lo = LLVMBuildICmp(B, LLVMIntSLT, i, host_i64(c, 0), "");
        LLVMValueRef hi = LLVMBuildICmp(B, LLVMIntSGE, i, host_i64(c, D), "");
        inb = LLVMBuildAnd(B, inb, LLVMBuildNot(B, LLVMBuildOr(B, lo, hi, ""), ""), "");
        if (s->mode == 2) { /* reflect (without repeating the edge) */
            i = host_select(c, lo, LLVMBuildNeg(B, i, ""), i);
            i = host_select(c, hi, LLVMBuildSub(B, host_i64(c, 2 * (D - 1)), i, ""), i);
        } else if (s->mode == 3) {
            i = LLVMBuildSRem(B, i, host_i64(c, D), "");
            i = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, i, host_i64(c, 0), ""),
                            LLVMBuildAdd(B, i, host_i64(c, D), ""), i);
        }
        /* clamp: edge mode's definition, and a safety net for the others */
        i = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, i, host_i64(c, 0), ""), host_i64(c, 0), i);
        i = host_select(c, LLVMBuildICmp(B, LLVMIntSGT, i, host_i64(c, D - 1), ""), host_i64(c, D - 1), i);
        src = LLVMBuildAdd(B, src, LLVMBuildMul(B, i, host_i64(c, xst[d]), ""), "");
        dst = LLVMBuildAdd(B, dst, LLVMBuildMul(B, idx[d], host_i64(c, yst[d]), ""), "");
    }
    LLVMValueRef v = host_load(c, s->xp, s->x->dtype, src);
    if (s->mode == 0)
        v = host_select(c, inb, v, s->cval);
    host_store(c, s->yp, s->y->dtype, dst, v);
}

DlaStatus host_lower_pad(HostCtx *c, int32_t node)
{
    PadState s;
    memset(&s, 0, sizeof s);
    s.x = host_inv(c, 0);
    s.y = host_outv(c, 0);
    int r = s.x->shape.rank;
    const char *mode = ir_attr_string(c->g, node, "mode", "constant");
    s.mode = !strcmp(mode, "constant") ? 0 : !strcmp(mode, "edge") ? 1 : !strcmp(mode, "reflect") ? 2
           : !strcmp(mode, "wrap") ? 3 : -1;
    if (s.mode < 0)
        return host_unsupported(c, "mode '%s'", mode);
    int64_t *pads = NULL, np, *axes = NULL, na = -1;
    if (host_nin(c) == 1) {
        const int64_t *v;
        np = ir_attr_ints(c->g, node, "pads", &v);
        if (np < 0)
            np = ir_attr_ints(c->g, node, "paddings", &v);
        if (np < 0)
            return host_unsupported(c, "pads missing");
        pads = dla_malloc((size_t)(np ? np : 1) * 8);
        memcpy(pads, v, (size_t)np * 8);
        s.cval = host_constf(c, s.x->dtype, ir_attr_float(c->g, node, "value", 0));
    } else {
        if ((np = host_const_ints(c, 1, &pads)) < 0)
            return DLA_ERR_UNSUPPORTED;
        if (host_has_in(c, 3) && (na = host_const_ints(c, 3, &axes)) < 0) {
            free(pads);
            return DLA_ERR_UNSUPPORTED;
        }
        if (host_has_in(c, 2) && ir_shape_numel(&host_inv(c, 2)->shape) == 1)
            s.cval = host_load(c, host_in(c, 2), host_inv(c, 2)->dtype, host_i64(c, 0));
        else
            s.cval = host_constf(c, s.x->dtype, 0);
    }
    int nax = na >= 0 ? (int)na : r;
    DlaStatus st = DLA_OK;
    if (np != 2 * nax)
        st = host_unsupported(c, "pads has %lld entries for %d axes", (long long)np, nax);
    for (int i = 0; !st && i < nax; i++) {
        int ax = i;
        if (na >= 0 && !norm_axis(axes[i], r, &ax))
            st = host_unsupported(c, "axis");
        else
            s.pb[ax] = pads[i];
        if (!st && s.y->shape.dims[ax] != s.x->shape.dims[ax] + pads[i] + pads[i + nax])
            st = host_unsupported(c, "output shape disagrees with pads");
    }
    free(pads);
    free(axes);
    if (st)
        return st;
    if (ir_shape_numel(&s.x->shape) == 0) {
        HostNest n = host_nest_shape(&s.y->shape);
        HostAcc a = host_acc_contig(host_out(c, 0), s.y->dtype, &s.y->shape);
        host_fill(c, &n, &a, s.cval);
        return DLA_OK;
    }
    s.xp = host_in(c, 0);
    s.yp = host_out(c, 0);
    HostNest n = host_nest_shape(&s.y->shape);
    host_nest_emit(c, &n, pad_body, &s);
    return DLA_OK;
}

/* ---- Gather family ---- */

/* Load index element, make it non-negative against D and clamp it into [0, D-1]. */
static LLVMValueRef load_index(HostCtx *c, const HostAcc *a, const LLVMValueRef *idx, int64_t D)
{
    LLVMBuilderRef B = c->b;
    LLVMValueRef i = host_convert(c, host_acc_load(c, a, idx), a->dt, DT_INT64);
    i = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, i, host_i64(c, 0), ""), LLVMBuildAdd(B, i, host_i64(c, D), ""), i);
    i = host_select(c, LLVMBuildICmp(B, LLVMIntSLT, i, host_i64(c, 0), ""), host_i64(c, 0), i);
    return host_select(c, LLVMBuildICmp(B, LLVMIntSGT, i, host_i64(c, D - 1), ""), host_i64(c, D - 1), i);
}

typedef struct GatherState {
    HostAcc data, ind, out;
    int64_t D, axis_stride;
    int elements; /* GatherElements: index replaces the axis coordinate in place */
} GatherState;

static void gather_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    GatherState *s = user;
    LLVMValueRef i = load_index(c, &s->ind, idx, s->D);
    LLVMValueRef off = LLVMBuildAdd(c->b, host_acc_index(c, &s->data, idx),
                                    LLVMBuildMul(c->b, i, host_i64(c, s->axis_stride), ""), "");
    LLVMValueRef v = host_load(c, s->data.base, s->data.dt, off);
    host_acc_store(c, &s->out, idx, v);
}

/* The part of Gather and GatherElements alike: y written contiguously, x's
 * base, and the extent and stride (of xst, x's strides, filled) of the axis
 * the index walks; the data strides of the other dims and the index access
 * are the caller's. */
static GatherState gather_state(HostCtx *c, const IrValue *x, const IrValue *y, int ax, int64_t *xst)
{
    GatherState s;
    memset(&s, 0, sizeof s);
    host_strides(&x->shape, xst);
    s.out = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    s.data = x_acc(c, x);
    s.D = x->shape.dims[ax];
    s.axis_stride = xst[ax];
    return s;
}

/* The loop nest over y's elements (none for an empty y; an index into an
 * empty axis would always be out of range). */
static DlaStatus gather_emit(HostCtx *c, GatherState *s, const IrValue *y)
{
    if (ir_shape_numel(&y->shape) == 0)
        return DLA_OK;
    if (s->D == 0)
        return host_unsupported(c, "gather from an empty axis");
    HostNest n = host_nest_shape(&y->shape);
    host_nest_emit(c, &n, gather_body, s);
    return DLA_OK;
}

DlaStatus host_lower_gather(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *ix = host_inv(c, 1), *y = host_outv(c, 0);
    int r = x->shape.rank, q = ix->shape.rank, ax;
    if (!norm_axis(ir_attr_int(c->g, node, "axis", 0), r, &ax))
        return host_unsupported(c, "axis");
    if (!host_is_int(ix->dtype) || y->shape.rank != r - 1 + q || y->shape.rank > HOST_MAX_LOOPS)
        return host_unsupported(c, "indices/output shape");
    int64_t xst[IR_MAX_RANK], ist[IR_MAX_RANK];
    host_strides(&ix->shape, ist);
    GatherState s = gather_state(c, x, y, ax, xst);
    s.ind.base = host_in(c, 1);
    s.ind.dt = ix->dtype;
    for (int d = 0; d < ax; d++)
        s.data.st[d] = xst[d];
    for (int d = 0; d < q; d++)
        s.ind.st[ax + d] = ist[d];
    for (int d = ax + 1; d < r; d++)
        s.data.st[d - 1 + q] = xst[d];
    return gather_emit(c, &s, y);
}

DlaStatus host_lower_gather_elements(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *ix = host_inv(c, 1), *y = host_outv(c, 0);
    int r = x->shape.rank, ax;
    if (!norm_axis(ir_attr_int(c->g, node, "axis", 0), r, &ax) || ix->shape.rank != r || !host_is_int(ix->dtype))
        return host_unsupported(c, "axis/indices");
    int64_t xst[IR_MAX_RANK];
    GatherState s = gather_state(c, x, y, ax, xst);
    s.ind = host_acc_contig(host_in(c, 1), ix->dtype, &ix->shape);
    for (int d = 0; d < r; d++)
        if (d != ax)
            s.data.st[d] = xst[d];
    return gather_emit(c, &s, y);
}

/* ---- compile-time results ---- */

DlaStatus host_lower_shape(HostCtx *c, int32_t node)
{
    IrValue *x = host_inv(c, 0), *y = host_outv(c, 0);
    int r = x->shape.rank;
    int64_t b = ir_attr_int(c->g, node, "start", 0), e = ir_attr_int(c->g, node, "end", r);
    if (b < 0)
        b += r;
    if (e < 0)
        e += r;
    b = b < 0 ? 0 : b > r ? r : b;
    e = e < 0 ? 0 : e > r ? r : e;
    if (ir_shape_numel(&y->shape) != (e > b ? e - b : 0) || y->dtype != DT_INT64)
        return host_unsupported(c, "output shape");
    for (int64_t i = b; i < e; i++)
        host_store(c, host_out(c, 0), DT_INT64, host_i64(c, i - b), host_i64(c, x->shape.dims[i]));
    return DLA_OK;
}

DlaStatus host_lower_size(HostCtx *c, int32_t node)
{
    (void)node;
    IrValue *y = host_outv(c, 0);
    host_store(c, host_out(c, 0), y->dtype, host_i64(c, 0),
               host_consti(c, y->dtype, ir_shape_numel(&host_inv(c, 0)->shape)));
    return DLA_OK;
}

DlaStatus host_lower_constant_of_shape(HostCtx *c, int32_t node)
{
    IrValue *y = host_outv(c, 0);
    const IrAttr *a = ir_attr_find(c->g, node, "value");
    LLVMValueRef v = host_constf(c, y->dtype, 0);
    if (a && a->type == IR_ATTR_TENSOR && a->t && a->t->nbytes >= ir_dtype_size(y->dtype)) {
        /* load the attribute's single element at compile time */
        const void *d = a->t->data;
        switch (y->dtype) {
        case DT_FLOAT: v = host_constf(c, y->dtype, *(const float *)d); break;
        case DT_DOUBLE: v = host_constf(c, y->dtype, *(const double *)d); break;
        case DT_INT64: case DT_UINT64: v = host_consti(c, y->dtype, *(const int64_t *)d); break;
        case DT_INT32: v = host_consti(c, y->dtype, *(const int32_t *)d); break;
        case DT_UINT32: v = host_consti(c, y->dtype, *(const uint32_t *)d); break;
        case DT_INT16: v = host_consti(c, y->dtype, *(const int16_t *)d); break;
        case DT_UINT16: v = host_consti(c, y->dtype, *(const uint16_t *)d); break;
        case DT_INT8: v = host_consti(c, y->dtype, *(const int8_t *)d); break;
        case DT_UINT8: case DT_BOOL: v = host_consti(c, y->dtype, *(const uint8_t *)d); break;
        default: return host_unsupported(c, "value dtype %s", ir_dtype_name(y->dtype));
        }
    }
    HostNest n = host_nest_shape(&y->shape);
    HostAcc o = host_acc_contig(host_out(c, 0), y->dtype, &y->shape);
    host_fill(c, &n, &o, v);
    return DLA_OK;
}

typedef struct RangeState {
    IrDtype dt;
    LLVMValueRef start, delta, out;
} RangeState;

static void range_body(HostCtx *c, const LLVMValueRef *idx, void *user)
{
    RangeState *s = user;
    LLVMValueRef i = host_convert(c, idx[0], DT_INT64, s->dt);
    host_store(c, s->out, s->dt, idx[0], host_bin(c, HB_ADD, s->dt, s->start, host_bin(c, HB_MUL, s->dt, i, s->delta)));
}

DlaStatus host_lower_range(HostCtx *c, int32_t node)
{
    (void)node;
    IrValue *y = host_outv(c, 0);
    RangeState s = {y->dtype, NULL, NULL, host_out(c, 0)};
    if (y->shape.rank != 1 || y->dtype == DT_BOOL)
        return host_unsupported(c, "output");
    s.start = host_load(c, host_in(c, 0), host_inv(c, 0)->dtype, host_i64(c, 0));
    s.delta = host_load(c, host_in(c, 2), host_inv(c, 2)->dtype, host_i64(c, 0));
    HostNest n = host_nest_shape(&y->shape);
    host_nest_emit(c, &n, range_body, &s);
    return DLA_OK;
}
