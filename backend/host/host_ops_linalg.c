/* host_ops_linalg.c - MatMul, Gemm and convolution as accumulating loop nests.
 *
 * All three are host_map(..., HR_SUM) over an index space that contains the
 * output dims and the reduction dims, with the output's contiguous dimension
 * innermost, so the inner loop is a vectorizable axpy over contiguous memory
 * (out[j] += a * b[j]); the output is first initialised (zero, bias, beta*C).
 * Convolution reads a zero-padded copy of its input (in scratch) so that every
 * access is affine without bounds tests: out[n,g,m,o..] += W[g,m,c,k..] *
 * Xpad[n,g,c,o*stride+k*dilation..] with loops n,g,m,c,k..,o.. */
#include "host_int.h"

#include <stdio.h>
#include <string.h>

static LLVMValueRef mul_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    IrDtype dt = *(IrDtype *)user;
    return host_bin(c, HB_MUL, dt, a[0], a[1]);
}

DlaStatus host_lower_matmul(HostCtx *c, int32_t node)
{
    (void)node;
    IrValue *A = host_inv(c, 0), *B = host_inv(c, 1), *Y = host_outv(c, 0);
    IrDtype dt = Y->dtype;
    if (A->dtype != dt || B->dtype != dt || dt == DT_BOOL)
        return host_unsupported(c, "dtypes %s x %s", ir_dtype_name(A->dtype), ir_dtype_name(B->dtype));
    int ra = A->shape.rank, rb = B->shape.rank;
    if (ra < 1 || rb < 1)
        return host_unsupported(c, "scalar operand");
    int64_t M = ra == 1 ? 1 : A->shape.dims[ra - 2], K = A->shape.dims[ra - 1];
    int64_t N = rb == 1 ? 1 : B->shape.dims[rb - 1], KB = rb == 1 ? B->shape.dims[0] : B->shape.dims[rb - 2];
    if (K != KB)
        return host_unsupported(c, "inner dimensions %lld and %lld differ", (long long)K, (long long)KB);
    /* batch dims: output rank minus the matrix dims it keeps */
    int ry = Y->shape.rank;
    int nb = ry - (ra > 1) - (rb > 1);
    if (nb < 0 || nb + 3 > HOST_MAX_LOOPS)
        return host_unsupported(c, "output rank %d", ry);
    HostNest nest;
    memset(&nest, 0, sizeof nest);
    HostAcc out, ins[2];
    memset(&out, 0, sizeof out);
    memset(ins, 0, sizeof ins);
    out.base = host_out(c, 0);
    out.dt = dt;
    ins[0].base = host_in(c, 0);
    ins[0].dt = dt;
    ins[1].base = host_in(c, 1);
    ins[1].dt = dt;
    int64_t yst[IR_MAX_RANK], ast[IR_MAX_RANK], bst[IR_MAX_RANK];
    host_strides(&Y->shape, yst);
    host_strides(&A->shape, ast);
    host_strides(&B->shape, bst);
    for (int d = 0; d < nb; d++) {
        nest.ext[d] = Y->shape.dims[d];
        out.st[d] = yst[d];
        int da = d - (nb - (ra - 2)), db = d - (nb - (rb - 2));
        if (da >= 0 && ra > 2 && A->shape.dims[da] != 1)
            ins[0].st[d] = ast[da];
        if (db >= 0 && rb > 2 && B->shape.dims[db] != 1)
            ins[1].st[d] = bst[db];
    }
    /* loops M, K, N */
    nest.n = nb + 3;
    nest.ext[nb] = M;
    nest.ext[nb + 1] = K;
    nest.ext[nb + 2] = N;
    out.st[nb] = rb == 1 ? 1 : N;
    out.st[nb + 2] = 1;
    if (ra == 1)
        out.st[nb] = 0;
    ins[0].st[nb] = ra == 1 ? 0 : K;
    ins[0].st[nb + 1] = 1;
    ins[1].st[nb + 1] = rb == 1 ? 1 : N;
    ins[1].st[nb + 2] = rb == 1 ? 0 : 1;
    HostNest ynest = host_nest_shape(&Y->shape);
    HostAcc yacc = host_acc_contig(out.base, dt, &Y->shape);
    host_fill(c, &ynest, &yacc, host_constf(c, dt, 0));
    if (ra >= 2 && rb >= 2) {
        /* register-blocked: strides over batch ++ [M, N] ++ [K] */
        HostGemm gm;
        memset(&gm, 0, sizeof gm);
        gm.outer.n = nb;
        for (int d = 0; d < nb; d++)
            gm.outer.ext[d] = nest.ext[d];
        gm.M = M;
        gm.N = N;
        gm.red.n = 1;
        gm.red.ext[0] = K;
        gm.out = out;
        gm.a = ins[0];
        gm.b = ins[1];
        gm.out.st[nb + 1] = 1;
        gm.out.st[nb + 2] = 0;
        gm.a.st[nb + 1] = 0;
        gm.a.st[nb + 2] = 1;
        gm.b.st[nb + 1] = 1;
        gm.b.st[nb + 2] = N;
        host_gemm(c, &gm);
        return DLA_OK;
    }
    host_map(c, &nest, &out, ins, 2, HR_SUM, mul_fn, &dt);
    return DLA_OK;
}

typedef struct GemmState {
    IrDtype dt;
    double alpha, beta;
} GemmState;

static LLVMValueRef gemm_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    GemmState *s = user;
    LLVMValueRef p = host_bin(c, HB_MUL, s->dt, a[0], a[1]);
    return s->alpha == 1.0 ? p : host_bin(c, HB_MUL, s->dt, host_constf(c, s->dt, s->alpha), p);
}

static LLVMValueRef scale_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    GemmState *s = user;
    return s->beta == 1.0 ? a[0] : host_bin(c, HB_MUL, s->dt, host_constf(c, s->dt, s->beta), a[0]);
}

DlaStatus host_lower_gemm(HostCtx *c, int32_t node)
{
    IrValue *A = host_inv(c, 0), *B = host_inv(c, 1), *Y = host_outv(c, 0);
    GemmState s = {Y->dtype, ir_attr_float(c->g, node, "alpha", 1.0f), ir_attr_float(c->g, node, "beta", 1.0f)};
    if (A->dtype != s.dt || B->dtype != s.dt || s.dt == DT_BOOL)
        return host_unsupported(c, "dtypes");
    if (A->shape.rank != 2 || B->shape.rank != 2 || Y->shape.rank != 2)
        return host_unsupported(c, "Gemm needs 2-D operands");
    int ta = ir_attr_int(c->g, node, "transA", 0) != 0, tb = ir_attr_int(c->g, node, "transB", 0) != 0;
    int64_t M = Y->shape.dims[0], N = Y->shape.dims[1];
    int64_t K = ta ? A->shape.dims[0] : A->shape.dims[1];
    if ((tb ? B->shape.dims[1] : B->shape.dims[0]) != K || (ta ? A->shape.dims[1] : A->shape.dims[0]) != M ||
        (tb ? B->shape.dims[0] : B->shape.dims[1]) != N)
        return host_unsupported(c, "operand shapes do not agree");
    HostNest ynest = host_nest_shape(&Y->shape);
    HostAcc yacc = host_acc_contig(host_out(c, 0), s.dt, &Y->shape);
    if (host_has_in(c, 2) && s.beta != 0.0) {
        IrValue *C = host_inv(c, 2);
        if (C->dtype != s.dt || C->shape.rank > 2)
            return host_unsupported(c, "C operand");
        HostAcc cacc = host_acc_bcast(host_in(c, 2), s.dt, &C->shape, &Y->shape);
        host_map(c, &ynest, &yacc, &cacc, 1, HR_STORE, scale_fn, &s);
    } else {
        host_fill(c, &ynest, &yacc, host_constf(c, s.dt, 0));
    }
    /* loops M, K, N */
    HostNest nest = {3, {M, K, N}};
    HostAcc out, ins[2];
    memset(&out, 0, sizeof out);
    memset(ins, 0, sizeof ins);
    out.base = yacc.base;
    out.dt = s.dt;
    out.st[0] = N;
    out.st[2] = 1;
    ins[0].base = host_in(c, 0);
    ins[0].dt = s.dt;
    ins[0].st[0] = ta ? 1 : K;
    ins[0].st[1] = ta ? M : 1;
    ins[1].base = host_in(c, 1);
    ins[1].dt = s.dt;
    ins[1].st[1] = tb ? 1 : N;
    ins[1].st[2] = tb ? K : 1;
    if (s.alpha == 1.0 && !tb) {
        HostGemm gm;
        memset(&gm, 0, sizeof gm);
        gm.M = M;
        gm.N = N;
        gm.red.n = 1;
        gm.red.ext[0] = K;
        gm.out = out;
        gm.a = ins[0];
        gm.b = ins[1];
        int64_t oi = out.st[0], ai = ins[0].st[0], ak = ins[0].st[1];
        memset(gm.out.st, 0, sizeof gm.out.st);
        memset(gm.a.st, 0, sizeof gm.a.st);
        memset(gm.b.st, 0, sizeof gm.b.st);
        gm.out.st[0] = oi;
        gm.out.st[1] = 1;
        gm.a.st[0] = ai;
        gm.a.st[2] = ak;
        gm.b.st[1] = 1;
        gm.b.st[2] = N;
        host_gemm(c, &gm);
        return DLA_OK;
    }
    if (s.alpha == 1.0 && tb && !ta && (s.dt == DT_FLOAT || s.dt == DT_DOUBLE)) {
        /* B given as [N, K]: dot products along the contiguous K */
        HostAcc o, a, b;
        memset(&o, 0, sizeof o);
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        o.base = out.base;
        o.dt = s.dt;
        o.st[0] = N;
        o.st[1] = 1;
        a.base = host_in(c, 0);
        a.dt = s.dt;
        a.st[0] = K;
        b.base = host_in(c, 1);
        b.dt = s.dt;
        b.st[0] = K;
        host_gemm_nt(c, M, N, K, &o, &a, &b);
        return DLA_OK;
    }
    host_map(c, &nest, &out, ins, 2, HR_SUM, gemm_fn, &s);
    return DLA_OK;
}

/* ---- convolution and pooling geometry, shared with host_ops_pool.c ---- */

DlaStatus host_conv_geometry(HostCtx *c, int32_t node, int nsp, const int64_t *in_sp, const int64_t *kernel,
                             HostConvGeom *geo)
{
    IrGraph *g = c->g;
    const int64_t *v;
    memset(geo, 0, sizeof *geo);
    geo->nsp = nsp;
    for (int i = 0; i < nsp; i++) {
        geo->stride[i] = 1;
        geo->dil[i] = 1;
        geo->k[i] = kernel[i];
    }
    int32_t n;
    if ((n = ir_attr_ints(g, node, "strides", &v)) >= 0) {
        if (n != nsp)
            return host_unsupported(c, "strides has %d entries for %d spatial dims", n, nsp);
        for (int i = 0; i < nsp; i++)
            geo->stride[i] = v[i];
    }
    if ((n = ir_attr_ints(g, node, "dilations", &v)) >= 0) {
        if (n != nsp)
            return host_unsupported(c, "dilations has %d entries", n);
        for (int i = 0; i < nsp; i++)
            geo->dil[i] = v[i];
    }
    for (int i = 0; i < nsp; i++)
        if (geo->stride[i] < 1 || geo->dil[i] < 1 || geo->k[i] < 1)
            return host_unsupported(c, "non-positive stride, dilation or kernel size");
    const char *ap = ir_attr_string(g, node, "auto_pad", "NOTSET");
    IrValue *y = host_outv(c, 0);
    for (int i = 0; i < nsp; i++)
        geo->out[i] = y->shape.dims[y->shape.rank - nsp + i];
    if (!strcmp(ap, "NOTSET")) {
        if ((n = ir_attr_ints(g, node, "pads", &v)) >= 0) {
            if (n != 2 * nsp)
                return host_unsupported(c, "pads has %d entries", n);
            for (int i = 0; i < nsp; i++) {
                geo->pb[i] = v[i];
                geo->pe[i] = v[i + nsp];
                if (v[i] < 0 || v[i + nsp] < 0)
                    return host_unsupported(c, "negative pads");
            }
        }
    } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        for (int i = 0; i < nsp; i++) {
            int64_t o = (in_sp[i] + geo->stride[i] - 1) / geo->stride[i];
            int64_t tot = (o - 1) * geo->stride[i] + (geo->k[i] - 1) * geo->dil[i] + 1 - in_sp[i];
            if (tot < 0)
                tot = 0;
            geo->pb[i] = !strcmp(ap, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
            geo->pe[i] = tot - geo->pb[i];
        }
    } else if (strcmp(ap, "VALID")) {
        return host_unsupported(c, "auto_pad='%s'", ap);
    }
    /* the padded extent must cover every window (ceil_mode may reach past pe) */
    for (int i = 0; i < nsp; i++) {
        int64_t need = (geo->out[i] - 1) * geo->stride[i] + (geo->k[i] - 1) * geo->dil[i] + 1;
        geo->padded[i] = in_sp[i] + geo->pb[i] + geo->pe[i];
        if (need > geo->padded[i])
            geo->padded[i] = need;
        geo->in[i] = in_sp[i];
        if (geo->out[i] < 0)
            return host_unsupported(c, "output size");
    }
    return DLA_OK;
}

LLVMValueRef host_pad_input(HostCtx *c, const IrValue *x, LLVMValueRef xp, const HostConvGeom *geo,
                            LLVMValueRef padval, IrShape *pshape)
{
    int any = 0;
    for (int i = 0; i < geo->nsp; i++)
        any |= geo->padded[i] != geo->in[i];
    *pshape = x->shape;
    if (!any)
        return xp;
    int r = x->shape.rank, lead = r - geo->nsp;
    for (int i = 0; i < geo->nsp; i++)
        pshape->dims[lead + i] = geo->padded[i];
    int64_t n = ir_shape_numel(pshape);
    LLVMValueRef buf = host_scratch(c, (size_t)n * ir_dtype_size(x->dtype));
    HostNest pn = host_nest_shape(pshape);
    HostAcc pa = host_acc_contig(buf, x->dtype, pshape);
    host_fill(c, &pn, &pa, padval);
    /* copy x into the interior */
    HostNest xn = host_nest_shape(&x->shape);
    HostAcc dst = host_acc_contig(buf, x->dtype, pshape);
    for (int i = 0; i < geo->nsp; i++)
        dst.off += geo->pb[i] * dst.st[lead + i];
    HostAcc src = host_acc_contig(xp, x->dtype, &x->shape);
    host_map(c, &xn, &dst, &src, 1, HR_STORE, NULL, NULL);
    return buf;
}

void host_conv_direct_nest(const HostConvGeom *geo, int64_t N, int64_t G, int64_t Mg, int64_t Cg, const IrShape *y,
                           const IrShape *xpad, const IrShape *w, HostNest *nest, HostAcc *out, HostAcc *x,
                           HostAcc *wt)
{
    int nsp = geo->nsp;
    int64_t yst[IR_MAX_RANK], xst[IR_MAX_RANK], wst[IR_MAX_RANK];
    host_strides(y, yst);
    host_strides(xpad, xst);
    host_strides(w, wst);
    nest->n = 4 + 2 * nsp;
    nest->ext[0] = N;
    nest->ext[1] = G;
    nest->ext[2] = Mg;
    nest->ext[3] = Cg;
    out->st[0] = yst[0];
    out->st[1] = Mg * yst[1];
    out->st[2] = yst[1];
    wt->st[1] = Mg * wst[0];
    wt->st[2] = wst[0];
    wt->st[3] = wst[1];
    x->st[0] = xst[0];
    x->st[1] = Cg * xst[1];
    x->st[3] = xst[1];
    for (int i = 0; i < nsp; i++) {
        int kd = 4 + i, od = 4 + nsp + i;
        nest->ext[kd] = geo->k[i];
        nest->ext[od] = geo->out[i];
        wt->st[kd] = wst[2 + i];
        x->st[kd] = geo->dil[i] * xst[2 + i];
        x->st[od] = geo->stride[i] * xst[2 + i];
        out->st[od] = yst[2 + i];
    }
}

/* Stride-1 convolution as a register-blocked GEMM per (n, group): rows are
 * output channels, columns j walk the output positions in the padded
 * input's pitch (j = sum o_i * pitch_i), so the input tap for reduction step
 * (c, k..) is Xpad[c, j + sum k_i * dil_i * pitch_i]: contiguous in j. When
 * the pitches equal the output's (1x1 kernels without padding) the GEMM writes
 * Y directly; otherwise into a scratch of that pitch, whose valid positions are
 * then added to Y (which holds the bias). */
static DlaStatus conv_gemm(HostCtx *c, const IrValue *X, const IrValue *W, const IrValue *Y, const HostConvGeom *geo,
                           LLVMValueRef xp, const IrShape *ps, int64_t G, int64_t Mg, int64_t Cg)
{
    IrDtype dt = Y->dtype;
    int nsp = geo->nsp;
    int64_t N = X->shape.dims[0], M = Mg * G;
    int64_t pst[IR_MAX_RANK], yst[IR_MAX_RANK], wst[IR_MAX_RANK];
    host_strides(ps, pst);
    host_strides(&Y->shape, yst);
    host_strides(&W->shape, wst);
    int64_t Nj = 1;
    int direct = 1;
    for (int i = 0; i < nsp; i++) {
        Nj += (geo->out[i] - 1) * pst[2 + i];
        if (i > 0 && ps->dims[2 + i] != geo->out[i])
            direct = 0;
    }
    if (direct)
        Nj = yst[1];
    HostGemm gm;
    memset(&gm, 0, sizeof gm);
    gm.outer.n = 2;
    gm.outer.ext[0] = N;
    gm.outer.ext[1] = G;
    gm.M = Mg;
    gm.N = Nj;
    gm.red.n = 1 + nsp;
    gm.red.ext[0] = Cg;
    for (int i = 0; i < nsp; i++)
        gm.red.ext[1 + i] = geo->k[i];
    LLVMValueRef obuf = host_out(c, 0);
    if (!direct) {
        IrShape ss = ir_shape_make(3, (int64_t[]){N, M, Nj});
        obuf = host_scratch(c, (size_t)(N * M * Nj) * ir_dtype_size(dt));
        HostNest sn = host_nest_shape(&ss);
        HostAcc sa = host_acc_contig(obuf, dt, &ss);
        host_fill(c, &sn, &sa, host_constf(c, dt, 0));
    }
    gm.out.base = obuf;
    gm.out.dt = dt;
    gm.out.st[0] = M * Nj;
    gm.out.st[1] = Mg * Nj;
    gm.out.st[2] = Nj;
    gm.out.st[3] = 1;
    gm.a.base = host_in(c, 1);
    gm.a.dt = dt;
    gm.a.st[1] = Mg * wst[0];
    gm.a.st[2] = wst[0];
    gm.a.st[4] = wst[1];
    gm.b.base = xp;
    gm.b.dt = dt;
    gm.b.st[0] = pst[0];
    gm.b.st[1] = Cg * pst[1];
    gm.b.st[3] = 1;
    gm.b.st[4] = pst[1];
    for (int i = 0; i < nsp; i++) {
        gm.a.st[5 + i] = wst[2 + i];
        gm.b.st[5 + i] = geo->dil[i] * pst[2 + i];
    }
    host_gemm(c, &gm);
    if (!direct) {
        HostNest yn = host_nest_shape(&Y->shape);
        HostAcc ya = host_acc_contig(host_out(c, 0), dt, &Y->shape);
        HostAcc sa;
        memset(&sa, 0, sizeof sa);
        sa.base = obuf;
        sa.dt = dt;
        sa.st[0] = M * Nj;
        sa.st[1] = Nj;
        for (int i = 0; i < nsp; i++)
            sa.st[2 + i] = pst[2 + i];
        host_map(c, &yn, &ya, &sa, 1, HR_SUM, NULL, NULL);
    }
    return DLA_OK;
}

/* Strided convolution: the taps are gathered once into a column buffer
 * Col[n, g, c, k.., o..] = Xpad[n, g*Cg + c, o*stride + k*dilation ..] (an
 * affine copy), after which it is the GEMM Y[n, g*Mg + m, o..] +=
 * W[g*Mg + m, c, k..] * Col[n, g, c, k.., o..] with the output positions o
 * contiguous in both Y and Col. */
static DlaStatus conv_im2col(HostCtx *c, const IrValue *X, const IrValue *W, const IrValue *Y, const HostConvGeom *geo,
                             LLVMValueRef xp, const IrShape *ps, int64_t G, int64_t Mg, int64_t Cg)
{
    IrDtype dt = Y->dtype;
    int nsp = geo->nsp;
    int64_t N = X->shape.dims[0];
    int64_t KK = 1, OO = 1;
    for (int i = 0; i < nsp; i++) {
        KK *= geo->k[i];
        OO *= geo->out[i];
    }
    int64_t pst[IR_MAX_RANK], yst[IR_MAX_RANK], wst[IR_MAX_RANK];
    host_strides(ps, pst);
    host_strides(&Y->shape, yst);
    host_strides(&W->shape, wst);
    size_t bytes = (size_t)(N * G * Cg * KK * OO) * ir_dtype_size(dt);
    if (bytes > ((size_t)1 << 31))
        return host_unsupported(c, "column buffer of %zu bytes", bytes);
    LLVMValueRef col = host_scratch(c, bytes);
    /* the gather: nest n, g, c, k.., o.. with Col contiguous */
    HostNest n;
    memset(&n, 0, sizeof n);
    n.n = 3 + 2 * nsp;
    n.ext[0] = N;
    n.ext[1] = G;
    n.ext[2] = Cg;
    for (int i = 0; i < nsp; i++) {
        n.ext[3 + i] = geo->k[i];
        n.ext[3 + nsp + i] = geo->out[i];
    }
    HostAcc ca, xa;
    memset(&ca, 0, sizeof ca);
    memset(&xa, 0, sizeof xa);
    ca.base = col;
    ca.dt = dt;
    int64_t k = 1;
    for (int d = n.n - 1; d >= 0; d--) {
        ca.st[d] = k;
        k *= n.ext[d];
    }
    xa.base = xp;
    xa.dt = dt;
    xa.st[0] = pst[0];
    xa.st[1] = Cg * pst[1];
    xa.st[2] = pst[1];
    for (int i = 0; i < nsp; i++) {
        xa.st[3 + i] = geo->dil[i] * pst[2 + i];
        xa.st[3 + nsp + i] = geo->stride[i] * pst[2 + i];
    }
    host_map(c, &n, &ca, &xa, 1, HR_STORE, NULL, NULL);
    HostGemm gm;
    memset(&gm, 0, sizeof gm);
    gm.outer.n = 2;
    gm.outer.ext[0] = N;
    gm.outer.ext[1] = G;
    gm.M = Mg;
    gm.N = OO;
    gm.red.n = 1 + nsp;
    gm.red.ext[0] = Cg;
    for (int i = 0; i < nsp; i++)
        gm.red.ext[1 + i] = geo->k[i];
    gm.out.base = host_out(c, 0);
    gm.out.dt = dt;
    gm.out.st[0] = yst[0];
    gm.out.st[1] = Mg * yst[1];
    gm.out.st[2] = yst[1];
    gm.out.st[3] = 1;
    gm.a.base = host_in(c, 1);
    gm.a.dt = dt;
    gm.a.st[1] = Mg * wst[0];
    gm.a.st[2] = wst[0];
    gm.a.st[4] = wst[1];
    gm.b.base = col;
    gm.b.dt = dt;
    gm.b.st[0] = ca.st[0];
    gm.b.st[1] = ca.st[1];
    gm.b.st[3] = 1;
    gm.b.st[4] = ca.st[2];
    for (int i = 0; i < nsp; i++) {
        gm.a.st[5 + i] = wst[2 + i];
        gm.b.st[5 + i] = ca.st[3 + i];
    }
    host_gemm(c, &gm);
    return DLA_OK;
}

DlaStatus host_lower_conv(HostCtx *c, int32_t node)
{
    IrValue *X = host_inv(c, 0), *W = host_inv(c, 1), *Y = host_outv(c, 0);
    IrDtype dt = Y->dtype;
    if (!host_is_float(dt) || X->dtype != dt || W->dtype != dt)
        return host_unsupported(c, "dtype %s", ir_dtype_name(dt));
    int r = X->shape.rank, nsp = r - 2;
    if (nsp < 1 || W->shape.rank != r || Y->shape.rank != r || 4 + 2 * nsp > HOST_MAX_LOOPS)
        return host_unsupported(c, "ranks");
    int64_t G = ir_attr_int(c->g, node, "group", 1);
    int64_t N = X->shape.dims[0], C = X->shape.dims[1], M = W->shape.dims[0], Cg = W->shape.dims[1];
    if (G < 1 || C % G || M % G || C / G != Cg)
        return host_unsupported(c, "group %lld with %lld input channels and weight %lld", (long long)G,
                                (long long)C, (long long)Cg);
    HostConvGeom geo;
    DlaStatus st = host_conv_geometry(c, node, nsp, &X->shape.dims[2], &W->shape.dims[2], &geo);
    if (st)
        return st;
    const int64_t *ks;
    if (ir_attr_ints(c->g, node, "kernel_shape", &ks) == nsp)
        for (int i = 0; i < nsp; i++)
            if (ks[i] != W->shape.dims[2 + i])
                return host_unsupported(c, "kernel_shape disagrees with the weights");
    IrShape ps;
    LLVMValueRef xp = host_pad_input(c, X, host_in(c, 0), &geo, host_constf(c, dt, 0), &ps);
    /* initialise with the bias (broadcast over n and space) or zero */
    HostNest yn = host_nest_shape(&Y->shape);
    HostAcc ya = host_acc_contig(host_out(c, 0), dt, &Y->shape);
    if (host_has_in(c, 2)) {
        HostAcc ba;
        memset(&ba, 0, sizeof ba);
        ba.base = host_in(c, 2);
        ba.dt = host_inv(c, 2)->dtype;
        if (ba.dt != dt || ir_shape_numel(&host_inv(c, 2)->shape) != M)
            return host_unsupported(c, "bias shape");
        ba.st[1] = 1;
        host_map(c, &yn, &ya, &ba, 1, HR_STORE, NULL, NULL);
    } else {
        host_fill(c, &yn, &ya, host_constf(c, dt, 0));
    }
    int64_t Mg = M / G;
    int unit = 1;
    for (int i = 0; i < nsp; i++)
        unit &= geo.stride[i] == 1;
    if (unit && (dt == DT_FLOAT || dt == DT_DOUBLE))
        return conv_gemm(c, X, W, Y, &geo, xp, &ps, G, Mg, Cg);
    if (dt == DT_FLOAT || dt == DT_DOUBLE)
        return conv_im2col(c, X, W, Y, &geo, xp, &ps, G, Mg, Cg);
    /* loops: n, g, m, c, k[nsp], o[nsp] */
    HostNest nest;
    memset(&nest, 0, sizeof nest);
    HostAcc out, ins[2];
    memset(&out, 0, sizeof out);
    memset(ins, 0, sizeof ins);
    out.base = host_out(c, 0);
    out.dt = dt;
    ins[0].base = host_in(c, 1);
    ins[0].dt = dt;
    ins[1].base = xp;
    ins[1].dt = dt;
    host_conv_direct_nest(&geo, N, G, Mg, Cg, &Y->shape, &ps, &W->shape, &nest, &out, &ins[1], &ins[0]);
    host_map(c, &nest, &out, ins, 2, HR_SUM, mul_fn, &dt);
    return DLA_OK;
}

/* ConvTranspose: the scatter form y[h*s + k*d - pad] += x[h] * w[k] accumulates
 * into a zeroed buffer covering every position h*s + k*d (so the nest stays
 * affine and in bounds), then the output window (offset by the begin pads)
 * is copied out with the bias added. Loops n, g, c, m, k.., h.. */
static LLVMValueRef add2_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    IrDtype dt = *(IrDtype *)user;
    return host_bin(c, HB_ADD, dt, a[0], a[1]);
}

DlaStatus host_lower_conv_transpose(HostCtx *c, int32_t node)
{
    IrValue *X = host_inv(c, 0), *W = host_inv(c, 1), *Y = host_outv(c, 0);
    IrDtype dt = Y->dtype;
    if (!host_is_float(dt) || X->dtype != dt || W->dtype != dt)
        return host_unsupported(c, "dtype");
    int r = X->shape.rank, nsp = r - 2;
    if (nsp < 1 || W->shape.rank != r || Y->shape.rank != r || 4 + 2 * nsp > HOST_MAX_LOOPS)
        return host_unsupported(c, "ranks");
    IrGraph *g = c->g;
    int64_t G = ir_attr_int(g, node, "group", 1);
    int64_t N = X->shape.dims[0], C = X->shape.dims[1], Mg = W->shape.dims[1];
    if (G < 1 || C % G || W->shape.dims[0] != C || Y->shape.dims[1] != Mg * G)
        return host_unsupported(c, "group/channels");
    int64_t Cg = C / G;
    int64_t st[IR_MAX_RANK], dil[IR_MAX_RANK], k[IR_MAX_RANK], pb[IR_MAX_RANK], op[IR_MAX_RANK], ext[IR_MAX_RANK];
    const int64_t *v;
    int32_t n;
    for (int i = 0; i < nsp; i++) {
        st[i] = dil[i] = 1;
        op[i] = pb[i] = 0;
        k[i] = W->shape.dims[2 + i];
    }
    if ((n = ir_attr_ints(g, node, "strides", &v)) == nsp)
        memcpy(st, v, (size_t)nsp * 8);
    if ((n = ir_attr_ints(g, node, "dilations", &v)) == nsp)
        memcpy(dil, v, (size_t)nsp * 8);
    if ((n = ir_attr_ints(g, node, "output_padding", &v)) == nsp)
        memcpy(op, v, (size_t)nsp * 8);
    const char *ap = ir_attr_string(g, node, "auto_pad", "NOTSET");
    int32_t npads = ir_attr_ints(g, node, "pads", &v);
    if (npads == 2 * nsp && !strcmp(ap, "NOTSET")) {
        for (int i = 0; i < nsp; i++)
            pb[i] = v[i];
    } else {
        for (int i = 0; i < nsp; i++) {
            int64_t total = st[i] * (X->shape.dims[2 + i] - 1) + op[i] + (k[i] - 1) * dil[i] + 1 - Y->shape.dims[2 + i];
            if (total < 0)
                total = 0;
            pb[i] = !strcmp(ap, "SAME_LOWER") ? total - total / 2 : total / 2;
        }
    }
    for (int i = 0; i < nsp; i++) {
        if (st[i] < 1 || dil[i] < 1 || pb[i] < 0)
            return host_unsupported(c, "strides/dilations/pads");
        int64_t full = (X->shape.dims[2 + i] - 1) * st[i] + (k[i] - 1) * dil[i] + 1;
        ext[i] = full > Y->shape.dims[2 + i] + pb[i] ? full : Y->shape.dims[2 + i] + pb[i];
    }
    int64_t pd[IR_MAX_RANK] = {N, Mg * G};
    for (int i = 0; i < nsp; i++)
        pd[2 + i] = ext[i];
    IrShape ps = ir_shape_make(r, pd);
    LLVMValueRef buf = host_scratch(c, (size_t)ir_shape_numel(&ps) * ir_dtype_size(dt));
    HostNest pn = host_nest_shape(&ps);
    HostAcc pa = host_acc_contig(buf, dt, &ps);
    host_fill(c, &pn, &pa, host_constf(c, dt, 0));
    int64_t pst[IR_MAX_RANK], xst[IR_MAX_RANK], wst[IR_MAX_RANK];
    host_strides(&ps, pst);
    host_strides(&X->shape, xst);
    host_strides(&W->shape, wst);
    HostNest nest;
    memset(&nest, 0, sizeof nest);
    HostAcc out, ins[2];
    memset(&out, 0, sizeof out);
    memset(ins, 0, sizeof ins);
    out.base = buf;
    out.dt = dt;
    ins[0].base = host_in(c, 1);
    ins[0].dt = dt;
    ins[1].base = host_in(c, 0);
    ins[1].dt = dt;
    /* loops: n, g, c, m, k.., h.. */
    nest.n = 4 + 2 * nsp;
    nest.ext[0] = N;
    nest.ext[1] = G;
    nest.ext[2] = Cg;
    nest.ext[3] = Mg;
    out.st[0] = pst[0];
    out.st[1] = Mg * pst[1];
    out.st[3] = pst[1];
    ins[0].st[1] = Cg * wst[0];
    ins[0].st[2] = wst[0];
    ins[0].st[3] = wst[1];
    ins[1].st[0] = xst[0];
    ins[1].st[1] = Cg * xst[1];
    ins[1].st[2] = xst[1];
    for (int i = 0; i < nsp; i++) {
        int kd = 4 + i, hd = 4 + nsp + i;
        nest.ext[kd] = k[i];
        nest.ext[hd] = X->shape.dims[2 + i];
        out.st[kd] = dil[i] * pst[2 + i];
        out.st[hd] = st[i] * pst[2 + i];
        ins[0].st[kd] = wst[2 + i];
        ins[1].st[hd] = xst[2 + i];
    }
    host_map(c, &nest, &out, ins, 2, HR_SUM, mul_fn, &dt);
    /* crop (+ bias) into Y */
    HostNest yn = host_nest_shape(&Y->shape);
    HostAcc ya = host_acc_contig(host_out(c, 0), dt, &Y->shape);
    HostAcc src = host_acc_contig(buf, dt, &ps);
    for (int i = 0; i < nsp; i++)
        src.off += pb[i] * pst[2 + i];
    if (host_has_in(c, 2)) {
        HostAcc b;
        memset(&b, 0, sizeof b);
        b.base = host_in(c, 2);
        b.dt = dt;
        b.st[1] = 1;
        HostAcc two[2] = {src, b};
        host_map(c, &yn, &ya, two, 2, HR_STORE, add2_fn, &dt);
    } else {
        host_map(c, &yn, &ya, &src, 1, HR_STORE, NULL, NULL);
    }
    return DLA_OK;
}
