/* dla_lower_move.c - the data-movement Q-ops on the DLA (docs/quant.md,
 * "Data movement"; docs/lowering.md, "Data movement"): QSlice, QTranspose,
 * QReshape, QChannelShuffle. (QConcat: dla_lower_vec.c.)
 *
 * Each is one strided copy from X's DRAM bytes to Y's: a list of "atoms"
 * (extent, X stride, Y stride, in bytes of the DRAM layouts: rank 4 NHWC,
 * other ranks row-major) that enumerates every output element once. The copy
 * goes through acc in boxes: LOAD (int8 sign-extended into acc, DRAM box x,
 * y, z with strides) then STORE (the same box on Y's side), alternating the
 * acc halves so the store of one box overlaps the load of the next. When the
 * innermost atom is contiguous on both sides, it is the DMA row (x); else
 * rows are single elements and the two innermost atoms are the box's y and z
 * (a gather on the load, a scatter on the store: the channel permutations of
 * a transpose or shuffle cost the same DRAM bytes as a plain copy in the
 * simulator's DMA model, which charges bytes and a latency per transfer).
 *
 * A QReshape whose input and output have the same byte order (both
 * row-major in effect, or both NHWC with the same N and C) is a view: the
 * layout pass (dla_move_views) aliases the two values and no code is emitted;
 * only when both are program tensors is it copied. */
#include <stdlib.h>
#include <string.h>

#include "dla_lower_int.h"
#include "isa/isa.h"
#include "ops.h"

int dla_is_move_op(IrOp op)
{
    return op == OP_QSLICE || op == OP_QTRANSPOSE || op == OP_QRESHAPE || op == OP_QCHANNEL_SHUFFLE;
}

#define MV_MAX_ATOMS (2 * IR_MAX_RANK + 2)

typedef struct MvAtom {
    int64_t n, xs, ys; /* extent, X stride, Y stride (bytes) */
} MvAtom;

typedef struct MvCopy {
    uint64_t xa, ya; /* DRAM of the first element */
    int na;
    MvAtom a[MV_MAX_ATOMS]; /* outermost first */
} MvCopy;

/* DRAM stride (bytes) of each logical dim of a value in the DLA layout. */
static void phys_strides(const IrShape *s, int64_t *st)
{
    if (s->rank == 4) {
        int64_t C = s->dims[1], H = s->dims[2], W = s->dims[3];
        st[0] = H * W * C, st[1] = 1, st[2] = W * C, st[3] = C;
        return;
    }
    int64_t p = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        st[i] = p;
        p *= s->dims[i];
    }
}

static int rowmajor_order(const IrShape *s) { return s->rank != 4 || s->dims[1] == 1 || s->dims[2] * s->dims[3] == 1; }

/* Same rule as passes/partition_move.c quant_reshape_is_view. */
static int same_bytes(const IrShape *a, const IrShape *b)
{
    if (rowmajor_order(a) && rowmajor_order(b))
        return 1;
    return a->rank == 4 && b->rank == 4 && a->dims[0] == b->dims[0] && a->dims[1] == b->dims[1];
}

/* Zero-copy concatenation over the innermost DRAM dim (channels of an NHWC
 * tensor, columns of a row-major matrix): an input that a QConv/QGemm layer
 * of this program produces for this concat alone, with the output's scale and
 * zero point, is stored by that layer straight into its slice of the output
 * (plan alias/alias_off/pitch; the conv store uses the pitch); QConcat then
 * copies only the other inputs. */
static void concat_in_place(DlaLowerPlan *p, int32_t li, const int32_t *reads)
{
    const IrGraph *g = p->g;
    const IrNode *nd = &g->nodes[p->layers[li].node];
    int32_t y = nd->outputs[0];
    const IrShape *ys = &g->values[y].shape;
    int64_t axis = ir_node_attr_i(g, p->layers[li].node, "axis");
    if (axis < 0)
        axis += ys->rank;
    const IrAttr *sc = ir_attr_find(g, p->layers[li].node, "scale");
    int inner = ys->rank == 4 ? axis == 1 : axis == ys->rank - 1;
    if (!inner || !sc || sc->type != IR_ATTR_FLOATS || sc->n != nd->ninputs || !ir_shape_known(ys) ||
        g->values[y].quant.count != 1 || (ys->rank != 4 && ys->rank != 2))
        return;
    int64_t off = 0;
    for (int32_t k = 0; k < nd->ninputs; k++) {
        int32_t x = nd->inputs[k];
        const IrValue *X = &g->values[x];
        int64_t blk = X->shape.dims[axis];
        int ok = p->role[x] == DLA_ROLE_MID && p->alias[x] == x && !p->pitch[x] && reads[x] == 1 && p->def[x] >= 0 &&
                 p->layers[p->def[x]].kind == DLA_LAYER_CONV && sc->floats[k] == 1.0f && X->quant.count == 1 &&
                 X->quant.zero_point[0] == g->values[y].quant.zero_point[0];
        if (ok) {
            p->alias[x] = p->alias[y];
            p->alias_off[x] = (uint64_t)off;
            p->pitch[x] = ys->dims[axis];
        }
        off += blk;
    }
}

void dla_move_views(DlaLowerPlan *p)
{
    const IrGraph *g = p->g;
    int32_t *reads = dla_calloc((size_t)g->nvalues + 1, sizeof *reads);
    for (int32_t i = 0; i < p->nlayers; i++) {
        const IrNode *nd = &g->nodes[p->layers[i].node];
        for (int k = 0; k < dla_act_inputs(nd); k++)
            reads[nd->inputs[k]]++;
    }
    for (int32_t i = 0; i < p->nlayers; i++) {
        DlaPlanLayer *l = &p->layers[i];
        const IrNode *nd = &g->nodes[l->node];
        if (nd->op == OP_QCONCAT)
            concat_in_place(p, i, reads);
        if (nd->op != OP_QRESHAPE)
            continue;
        int32_t x = nd->inputs[0], y = nd->outputs[0], r = p->alias[x];
        if (!same_bytes(&g->values[x].shape, &g->values[y].shape))
            continue;
        /* at most one program tensor per group: they are placed separately */
        int tensor = 0;
        for (int32_t v = 0; v < g->nvalues; v++)
            tensor += p->alias[v] == r && (p->role[v] == DLA_ROLE_IN || p->role[v] == DLA_ROLE_OUT);
        if (tensor && p->role[y] != DLA_ROLE_MID)
            continue;
        l->view = 1;
        p->alias[y] = r;
    }
    free(reads);
}

/* Drop unit atoms, order by Y stride (Y's DRAM order), merge neighbours that
 * are contiguous on both sides. */
static void normalize(MvCopy *m)
{
    int k = 0;
    for (int i = 0; i < m->na; i++)
        if (m->a[i].n > 1)
            m->a[k++] = m->a[i];
    m->na = k;
    for (int i = 1; i < m->na; i++) /* insertion sort, stable, descending ys */
        for (int j = i; j > 0 && m->a[j - 1].ys < m->a[j].ys; j--) {
            MvAtom t = m->a[j];
            m->a[j] = m->a[j - 1];
            m->a[j - 1] = t;
        }
    k = 0;
    for (int i = 0; i < m->na; i++) {
        MvAtom *in = &m->a[i];
        if (k > 0 && m->a[k - 1].xs == in->xs * in->n && m->a[k - 1].ys == in->ys * in->n) {
            m->a[k - 1].n *= in->n;
            m->a[k - 1].xs = in->xs;
            m->a[k - 1].ys = in->ys;
        } else {
            m->a[k++] = *in;
        }
    }
    m->na = k;
    if (m->na == 0)
        m->a[m->na++] = (MvAtom){1, 1, 1};
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Emit the copy. The box: x the innermost atom when it is contiguous on both
 * sides (else single elements), y and z the two largest remaining atoms (the
 * acc buffer holds the box in its own order, the same on both sides, so any
 * two atoms do; the largest make the fewest transfers, each of which pays the
 * DRAM latency); an odometer over the rest. */
static DlaStatus emit_copy(DlaLowerCtx *c, int32_t node, MvCopy *m)
{
    DlaEmit *e = c->em;
    normalize(m);
    int64_t half = e->msize[DLA_MEM_ACC] / 2;
    for (int i = 0; i < m->na; i++)
        if (m->a[i].xs > UINT32_MAX || m->a[i].ys > UINT32_MAX)
            return dla_lower_err(c, node, DLA_ERR_LIMIT, "a stride beyond 32 bits");
    MvAtom one = {1, 0, 0}, *ax = &one, *ay = &one, *az = &one;
    int used[MV_MAX_ATOMS] = {0};
    if (m->a[m->na - 1].xs == 1 && m->a[m->na - 1].ys == 1) {
        ax = &m->a[m->na - 1];
        used[m->na - 1] = 1;
    }
    for (int pick = 0; pick < 2; pick++) {
        int best = -1;
        for (int i = m->na - 1; i >= 0; i--)
            if (!used[i] && (best < 0 || m->a[i].n > m->a[best].n))
                best = i;
        if (best < 0)
            break;
        used[best] = 1;
        if (pick == 0)
            ay = &m->a[best];
        else
            az = &m->a[best];
    }
    int64_t X = min64(min64(ax->n, DLA_MAX_DMA_X), half);
    int64_t Yb = min64(min64(ay->n, DLA_MAX_DMA_Y), half / X);
    int64_t Zb = min64(min64(az->n, DLA_MAX_DMA_Z), half / (X * Yb));
    int out[MV_MAX_ATOMS], nout = 0;
    for (int i = 0; i < m->na; i++)
        if (!used[i])
            out[nout++] = i;
    int64_t idx[MV_MAX_ATOMS] = {0};
    uint64_t xa = c->addr[ir_in(c->g, node, 0)], ya = c->addr[c->g->nodes[node].outputs[0]];
    for (;;) {
        uint64_t xo = m->xa, yo = m->ya;
        for (int i = 0; i < nout; i++)
            xo += (uint64_t)(idx[i] * m->a[out[i]].xs), yo += (uint64_t)(idx[i] * m->a[out[i]].ys);
        for (int64_t z0 = 0; z0 < az->n; z0 += Zb)
            for (int64_t y0 = 0; y0 < ay->n; y0 += Yb)
                for (int64_t x0 = 0; x0 < ax->n; x0 += X) {
                    int64_t xn = min64(X, ax->n - x0), yn = min64(Yb, ay->n - y0), zn = min64(Zb, az->n - z0);
                    uint64_t buf = (uint64_t)(e->acc_half * half);
                    e->acc_half ^= 1;
                    uint64_t dx = xo + (uint64_t)(x0 * ax->xs + y0 * ay->xs + z0 * az->xs);
                    uint64_t dy = yo + (uint64_t)(x0 * ax->ys + y0 * ay->ys + z0 * az->ys);
                    DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1, .dram = xa + dx, .act = 1, .sram = buf, .x = xn,
                                .y = yn, .ys = ay->xs, .z = zn, .zs = az->xs};
                    dla_em_load(e, &d);
                    DlaDma s = {.dram = ya + dy, .act = 1, .sram = buf, .x = xn, .y = yn, .ys = ay->ys, .z = zn,
                                .zs = az->ys};
                    dla_em_store(e, &s);
                }
        int i = nout - 1;
        for (; i >= 0; i--) {
            if (++idx[i] < m->a[out[i]].n)
                break;
            idx[i] = 0;
        }
        if (i < 0)
            break;
    }
    return DLA_OK;
}

/* Suffix products of a shape's dims (split points of the flat index). */
static int split_points(const IrShape *s, int64_t *pts)
{
    int n = 0;
    int64_t p = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        p *= s->dims[i];
        pts[n++] = p;
    }
    return n;
}

/* The DRAM stride of flat-index step `u` (a split point of the common
 * refinement) in shape s: inside dim d with P_{d+1} <= u < P_d. */
static int64_t flat_stride(const IrShape *s, const int64_t *st, int64_t u)
{
    int64_t inner = 1;
    for (int d = s->rank - 1; d >= 0; d--) {
        if (u < inner * s->dims[d])
            return st[d] * (u / inner);
        inner *= s->dims[d];
    }
    return 0;
}

static DlaStatus reshape_atoms(DlaLowerCtx *c, int32_t node, const IrShape *xs, const IrShape *ys, const int64_t *xst,
                               const int64_t *yst, MvCopy *m)
{
    int64_t pts[2 * IR_MAX_RANK + 1];
    int n = split_points(xs, pts);
    n += split_points(ys, pts + n);
    pts[n++] = 1;
    for (int i = 1; i < n; i++) /* sort ascending, drop duplicates */
        for (int j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
            int64_t t = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = t;
        }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || pts[k - 1] != pts[i])
            pts[k++] = pts[i];
    m->na = 0;
    for (int i = k - 2; i >= 0; i--) { /* outermost atom first */
        if (pts[i + 1] % pts[i])
            return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED,
                                 "the reshape regroups an NHWC tensor in a way no strided copy expresses");
        m->a[m->na++] = (MvAtom){pts[i + 1] / pts[i], flat_stride(xs, xst, pts[i]), flat_stride(ys, yst, pts[i])};
    }
    return DLA_OK;
}

DlaStatus dla_lower_move(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    const IrNode *nd = &g->nodes[node];
    int32_t xv = nd->inputs[0], yv = nd->outputs[0];
    float sx, sy;
    int32_t zx, zy;
    DlaStatus st;
    *macs = 0;
    if ((st = dla_lower_quant(c, node, xv, &sx, &zx)) || (st = dla_lower_quant(c, node, yv, &sy, &zy)))
        return st;
    if (sx != sy || zx != zy)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "input and output must have the same scale and zero point");
    const IrShape *xs = &g->values[xv].shape, *ys = &g->values[yv].shape;
    if (!ir_shape_known(xs) || !ir_shape_known(ys) || xs->rank > IR_MAX_RANK || ys->rank > IR_MAX_RANK)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "shapes must be known");
    if (c->layer->view)
        return DLA_OK; /* the layout pass aliased X and Y */
    int64_t xst[IR_MAX_RANK], yst[IR_MAX_RANK];
    phys_strides(xs, xst);
    phys_strides(ys, yst);
    MvCopy m = {0, 0, 0, {{0, 0, 0}}};
    switch (nd->op) {
    case OP_QSLICE: {
        const int64_t *s, *p;
        if (ir_attr_ints(g, node, "starts", &s) != xs->rank || ir_attr_ints(g, node, "steps", &p) != xs->rank ||
            ys->rank != xs->rank)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "starts/steps need one value per axis");
        for (int k = 0; k < xs->rank; k++) {
            if (s[k] < 0 || p[k] < 1 || s[k] + (ys->dims[k] - 1) * p[k] >= xs->dims[k])
                return dla_lower_err(c, node, DLA_ERR_INVALID, "slice out of range on axis %d", k);
            m.xa += (uint64_t)(s[k] * xst[k]);
            m.a[m.na++] = (MvAtom){ys->dims[k], xst[k] * p[k], yst[k]};
        }
        break;
    }
    case OP_QTRANSPOSE: {
        const int64_t *perm;
        if (ir_attr_ints(g, node, "perm", &perm) != xs->rank || ys->rank != xs->rank)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "perm needs one value per axis");
        for (int k = 0; k < xs->rank; k++) {
            if (perm[k] < 0 || perm[k] >= xs->rank || xs->dims[perm[k]] != ys->dims[k])
                return dla_lower_err(c, node, DLA_ERR_INVALID, "bad perm");
            m.a[m.na++] = (MvAtom){ys->dims[k], xst[perm[k]], yst[k]};
        }
        break;
    }
    case OP_QCHANNEL_SHUFFLE: {
        int64_t G = ir_node_attr_i(g, node, "group"), C = xs->dims[1];
        if (xs->rank != 4 || ys->rank != 4 || G < 1 || C % G)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "needs [N,C,H,W] with C a multiple of group");
        /* Y[n, j*G + i, h, w] = X[n, i*(C/G) + j, h, w] */
        m.a[m.na++] = (MvAtom){xs->dims[0], xst[0], yst[0]};
        m.a[m.na++] = (MvAtom){C / G, xst[1], G * yst[1]};
        m.a[m.na++] = (MvAtom){G, (C / G) * xst[1], yst[1]};
        m.a[m.na++] = (MvAtom){xs->dims[2], xst[2], yst[2]};
        m.a[m.na++] = (MvAtom){xs->dims[3], xst[3], yst[3]};
        break;
    }
    case OP_QRESHAPE:
        if (ir_shape_numel(xs) != ir_shape_numel(ys))
            return dla_lower_err(c, node, DLA_ERR_INVALID, "element counts differ");
        if ((st = reshape_atoms(c, node, xs, ys, xst, yst, &m)))
            return st;
        break;
    default:
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "not a data-movement op");
    }
    return emit_copy(c, node, &m);
}
