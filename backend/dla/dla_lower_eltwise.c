/* dla_lower_eltwise.c - the element-wise binary Q-ops on the vector unit:
 * QAdd, QSub, QMul, QMax, QMin of two int8 activations with broadcasting
 * (docs/quant.md "Element-wise ops" for the semantics, docs/lowering.md
 * "Element-wise" for the figures).
 *
 * The view. Both operands and the output are in the DRAM layout (NHWC for
 * rank 4, row-major for rank 2). In the output's physical dim order, dims of
 * extent 1 are dropped and neighbours where each operand is "full" (its dim
 * is the output's) or "broadcast" (its dim is 1) alike are merged: at most 4
 * dims d[0..3] (outermost first, padded with 1s in front) with a full/broadcast
 * flag per operand. [N,C,H,W] x [N,C,1,1] (squeeze-and-excitation) becomes
 * [N][H*W][C] with B broadcast on the middle dim; [N,1,H,W] becomes
 * [N*H*W][C] with B broadcast on C. An operand's elements are contiguous in
 * its own memory with strides that are 0 on its broadcast dims.
 *
 * Tiles. A tile is (a fixed index on the dims before k, a range of tn on dim
 * k, all of the dims after k); the smallest k whose tile fits one acc half
 * wins (acc halves alternate between tiles, so that loads and stores of one
 * tile overlap the computation of the other). Such a tile is one contiguous
 * range of the output and of each operand, so every DMA is flat. Per tile:
 * each operand's range into acc (sign-extended int8), the per-operand steps
 * on the operand's own (possibly much smaller) range, ONE ALU instruction
 * (or a few, when an extent exceeds the encoding's) over the tile's loop nest
 * with stride 0 for the broadcast operand, the per-output steps, the store.
 * The result goes to the buffer of the operand that has the output's shape
 * (in place) or, when both are broadcast somewhere, to a third buffer.
 * Same-shape operands take the one-dimensional path QAdd always had (two
 * quarters of acc per pair), so residual adds keep their instructions.
 *
 * MACs: 0 (the vector unit; only GEMM-array work counts as MACs). */
#include "dla_lower_int.h"

#include <string.h>

#include "isa/isa.h"
#include "ops.h"
#include "quant/quant.h"

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* The collapsed physical view (see the top). */
typedef struct EwView {
    int64_t d[4];
    int full[2][4];
    int64_t sy[4], s[2][4]; /* element strides: output; operand (0 where broadcast) */
} EwView;

static DlaStatus ew_view(DlaLowerCtx *c, int32_t node, EwView *v)
{
    const IrGraph *g = c->g;
    const IrShape *ys = &g->values[g->nodes[node].outputs[0]].shape;
    const IrShape *os[2] = {&g->values[ir_in(g, node, 0)].shape, &g->values[ir_in(g, node, 1)].shape};
    if (ys->rank != 2 && ys->rank != 4)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "only rank-2 and rank-4 tensors (rank %d)", ys->rank);
    static const int nhwc[4] = {0, 2, 3, 1};
    int64_t d[4];
    int f[2][4], n = 0;
    for (int p = 0; p < ys->rank; p++) {
        int ax = ys->rank == 4 ? nhwc[p] : p;
        int64_t D = ys->dims[ax];
        if (D < 0)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "output dim %d unknown", ax);
        int fl[2];
        for (int k = 0; k < 2; k++) {
            if (os[k]->rank != ys->rank || (os[k]->dims[ax] != D && os[k]->dims[ax] != 1))
                return dla_lower_err(c, node, DLA_ERR_INVALID, "operand %d does not broadcast to the output", k);
            fl[k] = os[k]->dims[ax] == D;
        }
        if (D == 1)
            continue;
        if (n > 0 && f[0][n - 1] == fl[0] && f[1][n - 1] == fl[1]) {
            d[n - 1] *= D;
            continue;
        }
        d[n] = D, f[0][n] = fl[0], f[1][n] = fl[1];
        n++;
    }
    /* pad in front to 4 dims of extent 1 (full: they change nothing) */
    int sh = 4 - n;
    for (int i = 3; i >= 0; i--) {
        int j = i - sh;
        v->d[i] = j >= 0 ? d[j] : 1;
        v->full[0][i] = j >= 0 ? f[0][j] : 1;
        v->full[1][i] = j >= 0 ? f[1][j] : 1;
    }
    int64_t py = 1, pk[2] = {1, 1};
    for (int i = 3; i >= 0; i--) {
        v->sy[i] = py;
        py *= v->d[i];
        for (int k = 0; k < 2; k++) {
            v->s[k][i] = v->full[k][i] ? pk[k] : 0;
            pk[k] *= v->full[k][i] ? v->d[i] : 1;
        }
    }
    return DLA_OK;
}

/* One ALU instruction per piece of a logical nest of nl levels (outermost
 * first) whose extents may exceed DLA_MAX_EXTENT: an innermost level too long
 * becomes (rows of 1024) x 1024 while a level is free (as dla_em_alu_flat
 * does), any other long level is cut into pieces. */
static void ew_alu(DlaEmit *e, int op, int nl, const int64_t *ext, const int64_t st[3][4], uint64_t dst, uint64_t a,
                   uint64_t b)
{
    for (int l = 0; l < nl; l++) {
        /* a single level always takes the rows x columns form (QAdd's
         * instructions, loop configuration included) */
        if (ext[l] <= DLA_MAX_EXTENT && nl > 1)
            continue;
        if (l == nl - 1 && nl < 4) {
            int64_t E = ext[l];
            for (int64_t p = 0; p < E;) {
                int64_t x = E - p < DLA_MAX_EXTENT ? E - p : DLA_MAX_EXTENT;
                int64_t y = (E - p) / x > DLA_MAX_EXTENT ? DLA_MAX_EXTENT : (E - p) / x;
                int64_t ex2[4] = {0}, st2[3][4];
                memcpy(ex2, ext, (size_t)nl * sizeof *ext);
                ex2[l] = y, ex2[l + 1] = x;
                for (int k = 0; k < 3; k++) {
                    memcpy(st2[k], st[k], sizeof st2[k]);
                    st2[k][l] = x * st[k][l], st2[k][l + 1] = st[k][l];
                }
                ew_alu(e, op, nl + 1, ex2, (const int64_t(*)[4])st2, dst + (uint64_t)(p * st[0][l]),
                       a + (uint64_t)(p * st[1][l]), b + (uint64_t)(p * st[2][l]));
                p += x * y;
            }
            return;
        }
        for (int64_t p = 0; p < ext[l]; p += DLA_MAX_EXTENT) {
            int64_t ex2[4] = {0};
            memcpy(ex2, ext, (size_t)nl * sizeof *ext);
            ex2[l] = ext[l] - p < DLA_MAX_EXTENT ? ext[l] - p : DLA_MAX_EXTENT;
            ew_alu(e, op, nl, ex2, st, dst + (uint64_t)(p * st[0][l]), a + (uint64_t)(p * st[1][l]),
                   b + (uint64_t)(p * st[2][l]));
        }
        return;
    }
    DlaNest n;
    int sh = 4 - nl;
    for (int i = 0; i < 4; i++) {
        int j = i - sh;
        n.e[i] = j >= 0 ? ext[j] : 1;
        n.sd[i] = j >= 0 ? st[0][j] : 0;
        n.ss[i] = j >= 0 ? st[1][j] : 0;
        n.s2[i] = j >= 0 ? st[2][j] : 0;
    }
    dla_em_alu(e, &n, op, dst, a, (uint32_t)b, 0);
}

typedef struct EwOp {
    IrOp op;
    int32_t z[2], zy;     /* zero points: A, B, Y */
    float s[2], sy;       /* scales: A, B, Y */
    int lo, hi;
    int rq[2];            /* QMax/QMin: operand k is requantized (not already in Y's terms) */
} EwOp;

/* Per-operand steps over its range of m elements at buf (docs/quant.md):
 * add/sub: (x - z) to fp32 times s; mul: x - z; max/min: requant to Y. */
static void ew_pre(DlaEmit *e, const EwOp *o, int k, uint64_t buf, int64_t m)
{
    int maxmin = o->op == OP_QMAX || o->op == OP_QMIN;
    if (o->z[k] && (!maxmin || o->rq[k]))
        dla_em_alu_flat(e, DLA_ALU_SUB, buf, m, (uint32_t)o->z[k]);
    if (o->op == OP_QADD || o->op == OP_QSUB) {
        dla_em_alu_flat(e, DLA_ALU_ITOF, buf, m, 0);
        dla_em_alu_flat(e, DLA_ALU_FMUL, buf, m, f32_bits(o->s[k]));
    } else if (maxmin && o->rq[k]) {
        dla_em_requant_flat(e, buf, m, (uint64_t)k, o->zy, 0);
    }
}

/* Per-output steps over the m results at buf: add/sub: / sy, to int, the
 * bounds relative to zy, + zy (ftoi saturates to int32: clipping before
 * adding zy cannot wrap); mul: requant (param 0) then the bounds; max/min:
 * the bounds. */
static void ew_post(DlaEmit *e, const EwOp *o, uint64_t buf, int64_t m)
{
    if (o->op == OP_QADD || o->op == OP_QSUB) {
        dla_em_alu_flat(e, DLA_ALU_FDIV, buf, m, f32_bits(o->sy));
        dla_em_alu_flat(e, DLA_ALU_FTOI, buf, m, 0);
        dla_em_clip_flat(e, buf, m, o->lo - o->zy, o->hi - o->zy);
        if (o->zy)
            dla_em_alu_flat(e, DLA_ALU_ADD, buf, m, (uint32_t)o->zy);
        return;
    }
    int lo = -128;
    if (o->op == OP_QMUL) {
        int relu = o->lo == o->zy;
        dla_em_requant_flat(e, buf, m, 0, o->zy, relu);
        lo = relu ? o->zy : -128;
    }
    if (o->lo > lo || o->hi < 127)
        dla_em_clip_flat(e, buf, m, o->lo, o->hi);
}

static int ew_alu_op(IrOp op)
{
    switch (op) {
    case OP_QADD: return DLA_ALU_FADD;
    case OP_QSUB: return DLA_ALU_FSUB;
    case OP_QMUL: return DLA_ALU_MUL;
    case OP_QMAX: return DLA_ALU_MAX;
    default: return DLA_ALU_MIN;
    }
}

DlaStatus dla_lower_binary(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    int32_t av = ir_in(g, node, 0), bv = ir_in(g, node, 1), yv = g->nodes[node].outputs[0];
    EwOp o;
    memset(&o, 0, sizeof o);
    o.op = g->nodes[node].op;
    float s;
    DlaStatus st;
    if ((st = dla_lower_quant(c, node, av, &s, &o.z[0])) || (st = dla_lower_quant(c, node, bv, &s, &o.z[1])) ||
        (st = dla_lower_quant(c, node, yv, &s, &o.zy)))
        return st;
    o.s[0] = ir_node_attr_f(g, node, "sa"), o.s[1] = ir_node_attr_f(g, node, "sb"), o.sy = ir_node_attr_f(g, node, "sy");
    o.lo = (int)ir_node_attr_i(g, node, "lo"), o.hi = (int)ir_node_attr_i(g, node, "hi");
    if (o.lo < -128 || o.hi > 127 || o.lo > o.hi)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "bad bounds lo=%d hi=%d", o.lo, o.hi);
    EwView v;
    if ((st = ew_view(c, node, &v)))
        return st;
    *macs = 0;
    /* the scales the REQUANTs read: QMul one, QMax/QMin one per operand */
    if (o.op == OP_QMUL) {
        float S = quant_requant_scale(o.s[0], o.s[1], o.sy);
        dla_em_load_flat(e, DLA_MEM_PARAM, dla_em_const(e, &S, 4, 4), 0, 0, 1, 0);
    } else if (o.op == OP_QMAX || o.op == OP_QMIN) {
        float S[2];
        for (int k = 0; k < 2; k++) {
            S[k] = quant_requant_scale(o.s[k], 1.0f, o.sy);
            o.rq[k] = !(S[k] == 1.0f && o.z[k] == o.zy); /* requant by 1 with zy == zx is the identity */
        }
        dla_em_load_flat(e, DLA_MEM_PARAM, dla_em_const(e, S, 8, 4), 0, 0, 2, 0);
    }
    uint64_t addr[2] = {c->addr[av], c->addr[bv]}, ya = c->addr[yv];
    int64_t half = e->msize[DLA_MEM_ACC] / 2;
    int fa = 1, fb = 1;
    for (int i = 0; i < 4; i++)
        fa &= v.full[0][i], fb &= v.full[1][i];
    if (fa && fb) {
        /* same shape: flat, pieces of P, pairs of quarters (QAdd's path) */
        int64_t n = v.sy[0] * v.d[0], P = half / 2;
        for (int64_t off = 0; off < n; off += P) {
            int64_t m = n - off < P ? n - off : P;
            uint64_t a = c->layer->acc_at[e->acc_half], b = a + (uint64_t)P;
            e->acc_half ^= 1;
            dla_em_load_flat(e, DLA_MEM_ACC, addr[0] + (uint64_t)off, 1, a, m, 1);
            dla_em_load_flat(e, DLA_MEM_ACC, addr[1] + (uint64_t)off, 1, b, m, 1);
            ew_pre(e, &o, 0, a, m);
            ew_pre(e, &o, 1, b, m);
            int64_t ext[4] = {m}, stv[3][4] = {{1}, {1}, {1}};
            ew_alu(e, ew_alu_op(o.op), 1, ext, (const int64_t(*)[4])stv, a, a, b);
            ew_post(e, &o, a, m);
            dla_em_store_flat(e, ya + (uint64_t)off, a, m);
        }
        return DLA_OK;
    }
    /* broadcasting: the outermost split dim k whose tile fits a half */
    int sep = !fa && !fb, k;
    int64_t tnmax = 0, inner[3] = {0, 0, 0}; /* elements after dim k: Y, A, B */
    for (k = 0; k < 4; k++) {
        inner[0] = v.sy[k];
        for (int q = 0; q < 2; q++) {
            inner[1 + q] = 1;
            for (int i = k + 1; i < 4; i++)
                inner[1 + q] *= v.full[q][i] ? v.d[i] : 1;
        }
        int64_t per = (v.full[0][k] ? inner[1] : 0) + (v.full[1][k] ? inner[2] : 0) + (sep ? inner[0] : 0);
        int64_t fix = (v.full[0][k] ? 0 : inner[1]) + (v.full[1][k] ? 0 : inner[2]);
        if (fix + per <= half) {
            tnmax = (half - fix) / per;
            break;
        }
    }
    if (k == 4) /* k = 3 always fits (one element per buffer) */
        return dla_lower_err(c, node, DLA_ERR_LIMIT, "no tile fits the accumulator");
    int64_t tn = tnmax < v.d[k] ? tnmax : v.d[k];
    int64_t cap[2];
    for (int q = 0; q < 2; q++)
        cap[q] = v.full[q][k] ? tnmax * inner[1 + q] : inner[1 + q];
    int64_t outer = 1;
    for (int i = 0; i < k; i++)
        outer *= v.d[i];
    for (int64_t o_i = 0; o_i < outer; o_i++) {
        int64_t base[3] = {0, 0, 0}, rem = o_i; /* offsets of the outer index: Y, A, B */
        for (int i = k - 1; i >= 0; i--) {
            int64_t ix = rem % v.d[i];
            rem /= v.d[i];
            base[0] += ix * v.sy[i], base[1] += ix * v.s[0][i], base[2] += ix * v.s[1][i];
        }
        for (int64_t t0 = 0; t0 < v.d[k]; t0 += tn) {
            int64_t m = v.d[k] - t0 < tn ? v.d[k] - t0 : tn;
            uint64_t h = c->layer->acc_at[e->acc_half];
            e->acc_half ^= 1;
            uint64_t buf[2] = {h, h + (uint64_t)cap[0]};
            uint64_t ybuf = fa ? buf[0] : fb ? buf[1] : buf[1] + (uint64_t)cap[1];
            for (int q = 0; q < 2; q++) {
                int64_t len = v.full[q][k] ? m * inner[1 + q] : inner[1 + q];
                dla_em_load_flat(e, DLA_MEM_ACC, addr[q] + (uint64_t)(base[1 + q] + t0 * v.s[q][k]), 1, buf[q], len, 1);
                ew_pre(e, &o, q, buf[q], len);
            }
            /* the tile's nest: dim k (m), then the dims after it */
            int64_t ext[4], stv[3][4];
            int nl = 0;
            for (int i = k; i < 4; i++) {
                ext[nl] = i == k ? m : v.d[i];
                stv[0][nl] = v.sy[i], stv[1][nl] = v.s[0][i], stv[2][nl] = v.s[1][i];
                nl++;
            }
            ew_alu(e, ew_alu_op(o.op), nl, ext, (const int64_t(*)[4])stv, ybuf, buf[0], buf[1]);
            ew_post(e, &o, ybuf, m * inner[0]);
            dla_em_store_flat(e, ya + (uint64_t)(base[0] + t0 * v.sy[k]), ybuf, m * inner[0]);
        }
    }
    return DLA_OK;
}
