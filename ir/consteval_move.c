/* consteval_move.c - the constant evaluator's data-movement ops (see
 * consteval.h): Identity/Reshape/Flatten/Squeeze/Unsqueeze (which share their
 * input's data), Expand, Transpose, Concat, Slice, Gather, Where. */
#include "consteval_int.h"

#include <stdlib.h>
#include <string.h>

static void share(const CeTensor *x, const IrShape *sh, IrConstResult *r)
{
    r->dt = x->dt;
    r->sh = *sh;
    r->data = (void *)x->p;
    r->nbytes = (size_t)x->n * x->esz;
    r->shared = 1;
}

/* Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input after. */
static int get_axes(IrGraph *g, int32_t n, int64_t *axes, int *naxes, int *given)
{
    const int64_t *av;
    int32_t na = ir_attr_ints(g, n, "axes", &av);
    *given = 1;
    if (na >= 0) {
        if (na > IR_MAX_RANK)
            return 0;
        for (int i = 0; i < na; i++)
            axes[i] = av[i];
        *naxes = na;
        return 1;
    }
    if (ir_in(g, n, 1) < 0) {
        *given = 0;
        *naxes = 0;
        return 1;
    }
    CeTensor t;
    if (!ce_operand(g, n, 1, &t) || !ce_is_int(t.dt) || t.n > IR_MAX_RANK)
        return 0;
    for (int64_t i = 0; i < t.n; i++)
        axes[i] = ce_get_i(&t, i);
    *naxes = (int)t.n;
    return 1;
}

int ce_reshape_like(IrGraph *g, int32_t n, IrConstResult *r, DlaError *err)
{
    const IrNode *nd = &g->nodes[n];
    CeTensor x;
    if (!ce_operand(g, n, 0, &x))
        return CE_NO;
    IrShape os = ir_shape_make(0, NULL);
    if (nd->op == OP_IDENTITY) {
        os = x.sh;
    } else if (nd->op == OP_RESHAPE) {
        CeTensor s;
        if (!ce_operand(g, n, 1, &s) || !ce_is_int(s.dt) || s.sh.rank != 1 || s.n > IR_MAX_RANK)
            return CE_NO;
        int allowzero = (int)ir_attr_int(g, n, "allowzero", 0);
        int infer = -1;
        int64_t known = 1;
        os.rank = (int32_t)s.n;
        for (int i = 0; i < os.rank; i++) {
            int64_t d = ce_get_i(&s, i);
            if (d == 0 && !allowzero) {
                if (i >= x.sh.rank)
                    return ce_bad(g, n, err, "Reshape: 0 in shape refers past the input's rank"), -1;
                d = x.sh.dims[i];
            }
            if (d == -1) {
                if (infer >= 0)
                    return ce_bad(g, n, err, "Reshape: more than one -1 in shape"), -1;
                infer = i;
                d = 1;
            } else if (d < 0) {
                return ce_bad(g, n, err, "Reshape: negative dim in shape"), -1;
            }
            os.dims[i] = d;
            if (d && known > INT64_MAX / d)
                return ce_bad(g, n, err, "Reshape: shape overflows"), -1;
            known *= d;
        }
        if (infer >= 0) {
            if (known == 0 || x.n % known)
                return ce_bad(g, n, err, "Reshape: cannot infer the -1 dim"), -1;
            os.dims[infer] = x.n / known;
            known = x.n;
        }
        if (known != x.n)
            return ce_bad(g, n, err, "Reshape: element count changes"), -1;
    } else if (nd->op == OP_FLATTEN) {
        int64_t axis = ce_norm_axis(ir_attr_int(g, n, "axis", 1), x.sh.rank);
        if (axis < 0 || axis > x.sh.rank)
            return ce_bad(g, n, err, "Flatten: axis out of range"), -1;
        int64_t d[2] = {1, 1};
        for (int i = 0; i < x.sh.rank; i++)
            d[i >= axis] *= x.sh.dims[i];
        os = ir_shape_make(2, d);
    } else {
        int64_t axes[IR_MAX_RANK];
        int na, given;
        if (!get_axes(g, n, axes, &na, &given))
            return CE_NO;
        if (nd->op == OP_UNSQUEEZE) {
            int orank = x.sh.rank + na;
            if (orank > IR_MAX_RANK || !given)
                return ce_bad(g, n, err, "Unsqueeze: ce_bad axes or rank too large"), -1;
            int mark[IR_MAX_RANK] = {0};
            for (int i = 0; i < na; i++) {
                int64_t a = ce_norm_axis(axes[i], orank);
                if (a < 0 || a >= orank || mark[a])
                    return ce_bad(g, n, err, "Unsqueeze: axis out of range or repeated"), -1;
                mark[a] = 1;
            }
            os.rank = orank;
            for (int d = 0, k = 0; d < orank; d++)
                os.dims[d] = mark[d] ? 1 : x.sh.dims[k++];
        } else { /* Squeeze */
            int mark[IR_MAX_RANK] = {0};
            for (int i = 0; i < na; i++) {
                int64_t a = ce_norm_axis(axes[i], x.sh.rank);
                if (a < 0 || a >= x.sh.rank || x.sh.dims[a] != 1)
                    return ce_bad(g, n, err, "Squeeze: axis out of range or dim is not 1"), -1;
                mark[a] = 1;
            }
            for (int d = 0; d < x.sh.rank; d++)
                if (given ? !mark[d] : x.sh.dims[d] != 1)
                    os.dims[os.rank++] = x.sh.dims[d];
        }
    }
    share(&x, &os, r);
    return CE_YES;
}

int ce_where(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit)
{
    CeTensor c, x, y;
    IrShape s1, os;
    if (!ce_operand(g, n, 0, &c) || !ce_operand(g, n, 1, &x) || !ce_operand(g, n, 2, &y) ||
        c.dt != DT_BOOL || x.dt != y.dt || !ce_bcast_shape(&c.sh, &x.sh, &s1) ||
        !ce_bcast_shape(&s1, &y.sh, &os) || ir_shape_numel(&os) > limit)
        return CE_NO;
    int64_t numel = ir_shape_numel(&os), co[IR_MAX_RANK];
    uint8_t *p = ce_alloc_out(g, r, x.dt, &os);
    for (int64_t i = 0; i < numel; i++) {
        ce_unravel(&os, i, co);
        const CeTensor *src = c.p[ce_bcast_index(&os, &c.sh, co)] ? &x : &y;
        memcpy(p + (size_t)i * x.esz, src->p + (size_t)ce_bcast_index(&os, &src->sh, co) * x.esz, x.esz);
    }
    return CE_YES;
}

/* Gather(Shape(t), const indices) where t's shape is only partly known (a
 * symbolic batch): the gathered dims may all be known ("x.size(1)"). */
static int gather_of_shape(IrGraph *g, int32_t n, IrConstResult *r)
{
    int32_t xv = ir_in(g, n, 0);
    int32_t p = xv >= 0 ? g->values[xv].producer : -1;
    CeTensor idx;
    if (p < 0 || g->nodes[p].op != OP_SHAPE || g->values[xv].shape.rank != 1 || !ce_operand(g, n, 1, &idx) ||
        !ce_is_int(idx.dt) || idx.n > IR_MAX_RANK)
        return CE_NO;
    int32_t tv = ir_in(g, p, 0);
    const IrShape *ts = tv >= 0 ? &g->values[tv].shape : NULL;
    int64_t len = g->values[xv].shape.dims[0];
    if (!ts || ts->rank < 0 || len < 0)
        return CE_NO;
    int r0 = ts->rank;
    int64_t start = ir_attr_int(g, p, "start", 0);
    if (start < 0)
        start += r0;
    start = start < 0 ? 0 : start > r0 ? r0 : start;
    int64_t out[IR_MAX_RANK];
    for (int64_t i = 0; i < idx.n; i++) {
        int64_t j = ce_get_i(&idx, i), k = j < 0 ? j + len : j;
        if (k < 0 || k >= len || start + k >= r0 || ts->dims[start + k] < 0)
            return CE_NO;
        out[i] = ts->dims[start + k];
    }
    int64_t *q = ce_alloc_out(g, r, DT_INT64, &idx.sh);
    memcpy(q, out, 8 * (size_t)idx.n);
    return CE_YES;
}

int ce_gather(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err)
{
    CeTensor x, idx;
    if (!ce_operand(g, n, 0, &x))
        return gather_of_shape(g, n, r);
    if (!ce_operand(g, n, 1, &idx) || (idx.dt != DT_INT64 && idx.dt != DT_INT32))
        return CE_NO;
    int64_t axis = ce_norm_axis(ir_attr_int(g, n, "axis", 0), x.sh.rank);
    if (axis < 0 || axis >= x.sh.rank)
        return ce_bad(g, n, err, "Gather: axis out of range"), -1;
    if (x.sh.rank + idx.sh.rank - 1 > IR_MAX_RANK)
        return CE_NO;
    IrShape os = ir_shape_make(0, NULL);
    for (int d = 0; d < axis; d++)
        os.dims[os.rank++] = x.sh.dims[d];
    for (int d = 0; d < idx.sh.rank; d++)
        os.dims[os.rank++] = idx.sh.dims[d];
    for (int d = (int)axis + 1; d < x.sh.rank; d++)
        os.dims[os.rank++] = x.sh.dims[d];
    if (ir_shape_numel(&os) > limit)
        return CE_NO;
    int64_t outer = 1, inner = 1, dim = x.sh.dims[axis];
    for (int d = 0; d < axis; d++)
        outer *= x.sh.dims[d];
    for (int d = (int)axis + 1; d < x.sh.rank; d++)
        inner *= x.sh.dims[d];
    for (int64_t k = 0; k < idx.n; k++) {
        int64_t j = ce_get_i(&idx, k);
        if (j < -dim || j >= dim)
            return ce_bad(g, n, err, "Gather: index out of range"), -1;
    }
    uint8_t *p = ce_alloc_out(g, r, x.dt, &os);
    size_t blk = (size_t)inner * x.esz;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < idx.n; k++) {
            int64_t j = ce_get_i(&idx, k);
            j = j < 0 ? j + dim : j;
            memcpy(p + ((size_t)(o * idx.n + k)) * blk, x.p + ((size_t)(o * dim + j)) * blk, blk);
        }
    return CE_YES;
}

static int concat_eval(IrGraph *g, int32_t n, CeTensor *in, IrConstResult *r, int64_t limit, DlaError *err);

int ce_concat(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->ninputs < 1)
        return CE_NO;
    CeTensor *in = dla_malloc((size_t)nd->ninputs * sizeof *in);
    int st = concat_eval(g, n, in, r, limit, err);
    free(in);
    return st;
}

static int concat_eval(IrGraph *g, int32_t n, CeTensor *in, IrConstResult *r, int64_t limit, DlaError *err)
{
    const IrNode *nd = &g->nodes[n];
    for (int32_t i = 0; i < nd->ninputs; i++)
        if (!ce_operand(g, n, i, &in[i]) || in[i].dt != in[0].dt)
            return CE_NO;
    int rank = in[0].sh.rank;
    int64_t axis = ce_norm_axis(ir_attr_int(g, n, "axis", 0), rank);
    if (axis < 0 || axis >= rank)
        return ce_bad(g, n, err, "Concat: axis out of range"), -1;
    IrShape os = in[0].sh;
    os.dims[axis] = 0;
    for (int32_t i = 0; i < nd->ninputs; i++) {
        if (in[i].sh.rank != rank)
            return ce_bad(g, n, err, "Concat: inputs differ in rank"), -1;
        for (int d = 0; d < rank; d++)
            if (d != axis && in[i].sh.dims[d] != in[0].sh.dims[d])
                return ce_bad(g, n, err, "Concat: inputs differ outside the axis"), -1;
        os.dims[axis] += in[i].sh.dims[axis];
    }
    if (ir_shape_numel(&os) > limit)
        return CE_NO;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= os.dims[d];
    for (int d = (int)axis + 1; d < rank; d++)
        inner *= os.dims[d];
    uint8_t *p = ce_alloc_out(g, r, in[0].dt, &os), *q = p;
    for (int64_t o = 0; o < outer; o++)
        for (int32_t i = 0; i < nd->ninputs; i++) {
            size_t blk = (size_t)(in[i].sh.dims[axis] * inner) * in[i].esz;
            memcpy(q, in[i].p + (size_t)o * blk, blk);
            q += blk;
        }
    return CE_YES;
}

int ce_slice(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err)
{
    CeTensor x;
    if (!ce_operand(g, n, 0, &x))
        return CE_NO;
    int rank = x.sh.rank;
    int64_t start[IR_MAX_RANK], step[IR_MAX_RANK];
    IrShape os = x.sh;
    for (int d = 0; d < rank; d++)
        start[d] = 0, step[d] = 1;
    /* starts/ends/axes/steps: attributes before opset 10, inputs 1..4 after */
    int64_t st[IR_MAX_RANK], en[IR_MAX_RANK], ax[IR_MAX_RANK], sp[IR_MAX_RANK];
    int64_t k;
    const int64_t *av;
    int32_t na = ir_attr_ints(g, n, "starts", &av);
    if (na >= 0) {
        const int64_t *ev, *xv;
        int32_t ne = ir_attr_ints(g, n, "ends", &ev), nx = ir_attr_ints(g, n, "axes", &xv);
        if (na != ne || na > rank || (nx >= 0 && nx != na))
            return ce_bad(g, n, err, "Slice: starts/ends/axes lengths differ"), -1;
        k = na;
        for (int64_t i = 0; i < k; i++)
            st[i] = av[i], en[i] = ev[i], ax[i] = nx >= 0 ? xv[i] : i, sp[i] = 1;
    } else {
        CeTensor ts, te, ta, tp;
        if (!ce_operand(g, n, 1, &ts) || !ce_operand(g, n, 2, &te) || !ce_is_int(ts.dt) || !ce_is_int(te.dt) ||
            ts.n != te.n || ts.n > rank)
            return CE_NO;
        int has_a = ir_in(g, n, 3) >= 0, has_p = ir_in(g, n, 4) >= 0;
        if ((has_a && (!ce_operand(g, n, 3, &ta) || ta.n != ts.n || !ce_is_int(ta.dt))) ||
            (has_p && (!ce_operand(g, n, 4, &tp) || tp.n != ts.n || !ce_is_int(tp.dt))))
            return CE_NO;
        k = ts.n;
        for (int64_t i = 0; i < k; i++) {
            st[i] = ce_get_i(&ts, i);
            en[i] = ce_get_i(&te, i);
            ax[i] = has_a ? ce_get_i(&ta, i) : i;
            sp[i] = has_p ? ce_get_i(&tp, i) : 1;
        }
    }
    int seen[IR_MAX_RANK] = {0};
    for (int64_t i = 0; i < k; i++) {
        int64_t a = ce_norm_axis(ax[i], rank);
        if (a < 0 || a >= rank || seen[a] || sp[i] == 0)
            return ce_bad(g, n, err, "Slice: ce_bad axis or zero step"), -1;
        seen[a] = 1;
        int64_t dim = x.sh.dims[a], s = st[i], e = en[i];
        /* ONNX Slice: negative values count from the end, then clamp to [0, dim]
         * for positive steps and to [-1, dim-1] for negative ones. */
        s = s < 0 ? s + dim : s;
        e = e < 0 ? e + dim : e;
        if (sp[i] > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            os.dims[a] = e > s ? (e - s + sp[i] - 1) / sp[i] : 0;
        } else {
            s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            os.dims[a] = s > e ? (s - e + (-sp[i]) - 1) / (-sp[i]) : 0;
        }
        start[a] = s;
        step[a] = sp[i];
    }
    int64_t numel = ir_shape_numel(&os), c[IR_MAX_RANK];
    if (numel > limit)
        return CE_NO;
    uint8_t *p = ce_alloc_out(g, r, x.dt, &os);
    for (int64_t i = 0; i < numel; i++) {
        ce_unravel(&os, i, c);
        int64_t li = 0;
        for (int d = 0; d < rank; d++)
            li = li * x.sh.dims[d] + start[d] + c[d] * step[d];
        memcpy(p + (size_t)i * x.esz, x.p + (size_t)li * x.esz, x.esz);
    }
    return CE_YES;
}

int ce_transpose(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err)
{
    CeTensor x;
    if (!ce_operand(g, n, 0, &x) || x.n > limit)
        return CE_NO;
    int rank = x.sh.rank;
    int64_t perm[IR_MAX_RANK], c[IR_MAX_RANK];
    const int64_t *pv;
    int32_t np = ir_attr_ints(g, n, "perm", &pv);
    if (np >= 0 && np != rank)
        return ce_bad(g, n, err, "Transpose: perm length differs from the rank"), -1;
    int seen[IR_MAX_RANK] = {0};
    for (int d = 0; d < rank; d++) {
        perm[d] = np >= 0 ? ce_norm_axis(pv[d], rank) : rank - 1 - d;
        if (perm[d] < 0 || perm[d] >= rank || seen[perm[d]]++)
            return ce_bad(g, n, err, "Transpose: perm is not a permutation"), -1;
    }
    IrShape os = ir_shape_make(rank, NULL);
    for (int d = 0; d < rank; d++)
        os.dims[d] = x.sh.dims[perm[d]];
    int64_t stride[IR_MAX_RANK];
    for (int64_t d = rank - 1, s = 1; d >= 0; d--) {
        stride[d] = s;
        s *= x.sh.dims[d];
    }
    uint8_t *p = ce_alloc_out(g, r, x.dt, &os);
    for (int64_t i = 0; i < x.n; i++) {
        ce_unravel(&os, i, c);
        int64_t li = 0;
        for (int d = 0; d < rank; d++)
            li += c[d] * stride[perm[d]];
        memcpy(p + (size_t)i * x.esz, x.p + (size_t)li * x.esz, x.esz);
    }
    return CE_YES;
}


/* Expand: x broadcast (numpy rules, both ways) with the constant shape input. */
int ce_expand(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit)
{
    CeTensor x, s;
    if (!ce_operand(g, n, 0, &x) || !ce_operand(g, n, 1, &s) || !ce_is_int(s.dt) || s.sh.rank != 1 ||
        s.n > IR_MAX_RANK)
        return CE_NO;
    IrShape want = ir_shape_make((int)s.n, NULL), os;
    for (int d = 0; d < want.rank; d++)
        if ((want.dims[d] = ce_get_i(&s, d)) < 0)
            return CE_NO;
    if (!ce_bcast_shape(&x.sh, &want, &os) || ir_shape_numel(&os) > limit)
        return CE_NO;
    int64_t numel = ir_shape_numel(&os), c[IR_MAX_RANK];
    uint8_t *p = ce_alloc_out(g, r, x.dt, &os);
    for (int64_t i = 0; i < numel; i++) {
        ce_unravel(&os, i, c);
        memcpy(p + (size_t)i * x.esz, x.p + (size_t)ce_bcast_index(&os, &x.sh, c) * x.esz, x.esz);
    }
    return CE_YES;
}
