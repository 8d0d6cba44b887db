/* shape_tensor.c - shape functions of ops that rearrange, select or combine
 * tensors without computing on elements: Reshape, Flatten, Transpose, Concat,
 * Split, Slice, Squeeze/Unsqueeze, Gather*, Scatter*, Expand, Tile, Pad, Shape,
 * Size. Where the output shape depends on an input's values (Reshape's shape,
 * Slice's starts...), it is computed when that input is a constant and left
 * with unknown dims otherwise. Also the old attribute forms of those inputs
 * (Reshape-1 shape, Slice-1 starts/ends/axes, Squeeze-1 axes, Split-2 split,
 * Pad-2 pads) are handled: the attribute is used when the input is absent. */
#include "shape_util.h"

#include <stdlib.h>
#include <string.h>

#define MAXV 64 /* more values than any rank needs: longer lists are errors */

/* Integer list from input i when present (constant: *n = count; not constant:
 * *n = -1), else from attribute `attr` (absent: *n = -2). */
static void int_list(IrGraph *g, int32_t node, int i, const char *attr, int64_t *out, int64_t *n)
{
    IrValue *v = shp_in(g, node, i);
    if (v) {
        *n = shp_const_ints(v, out, MAXV);
        return;
    }
    const int64_t *a;
    int32_t k = attr && ir_op_attr_spec(g->nodes[node].op, attr) ? ir_attr_ints(g, node, attr, &a) : -1;
    if (k < 0) {
        *n = -2;
        return;
    }
    for (int32_t j = 0; j < k && j < MAXV; j++)
        out[j] = a[j];
    *n = k;
}

/* Length of a 1-D input (its dims[0]) when known, else -1. */
static int64_t list_len(IrGraph *g, int32_t node, int i)
{
    IrValue *v = shp_in(g, node, i);
    return v && v->shape.rank == 1 ? v->shape.dims[0] : -1;
}

DlaStatus ir_shape_reshape(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int64_t sh[MAXV], n;
    int_list(g, node, 1, "shape", sh, &n);
    if (n == -2)
        return shp_err(err, "the target shape is neither an input nor an attribute");
    if (n > IR_MAX_RANK)
        return shp_err(err, "target shape has %lld dims, more than %d", (long long)n, IR_MAX_RANK);
    if (n < 0) {
        int64_t len = list_len(g, node, 1);
        IrShape s = len >= 0 && len <= IR_MAX_RANK ? shp_rank((int)len) : shp_unknown();
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    int allowzero = ir_node_attr_i(g, node, "allowzero") != 0;
    IrShape s = shp_rank((int)n);
    int neg = -1;
    int64_t known = 1; /* product of the known output dims */
    int all_known = 1;
    for (int i = 0; i < n; i++) {
        if (sh[i] == -1) {
            if (neg >= 0)
                return shp_err(err, "target shape has more than one -1");
            neg = i;
        } else if (sh[i] < -1) {
            return shp_err(err, "target shape has invalid dim %lld", (long long)sh[i]);
        } else if (sh[i] == 0 && !allowzero) {
            if (x->shape.rank < 0) {
                all_known = 0;
                continue;
            }
            if (i >= x->shape.rank)
                return shp_err(err, "target dim %d is 0 (copy) but %s has rank %d", i, shp_desc(g, node, 0),
                               x->shape.rank);
            shp_copy_dim(&s, i, &x->shape, i);
            if (s.dims[i] < 0)
                all_known = 0;
            else if (!shp_mul(known, s.dims[i], &known))
                return shp_err(err, "target shape overflows");
        } else {
            shp_dim(&s, i, sh[i]);
            if (!shp_mul(known, sh[i], &known))
                return shp_err(err, "target shape overflows");
        }
    }
    if (neg >= 0 && allowzero)
        for (int i = 0; i < n; i++)
            if (sh[i] == 0)
                return shp_err(err, "target shape has both 0 and -1 with allowzero=1");
    int64_t total = ir_shape_numel(&x->shape);
    if (neg >= 0) {
        if (total >= 0 && all_known) {
            if (known == 0 || total % known)
                return shp_err(err, "%s (%lld elements) cannot be reshaped to %s", shp_desc(g, node, 0),
                               (long long)total, shp_sstr(&s));
            shp_dim(&s, neg, total / known);
        } else if (x->shape.rank >= 0) {
            /* unknown (e.g. symbolic batch) input dims that the target copies
             * with 0 at the same index cancel out: -1 is then the ratio of the
             * remaining known products ([N,32,4,4] -> [0,-1] gives [N,512]) */
            int64_t num = 1, den = 1;
            int ok = 1;
            for (int i = 0; i < x->shape.rank && ok; i++) {
                int copied = i < n && sh[i] == 0 && !allowzero;
                if (copied)
                    continue;
                if (x->shape.dims[i] < 0 || !shp_mul(num, x->shape.dims[i], &num))
                    ok = 0;
            }
            for (int i = 0; i < n && ok; i++)
                if (i != neg && !(sh[i] == 0 && !allowzero) && !shp_mul(den, sh[i], &den))
                    ok = 0;
            shp_dim(&s, neg, ok && den > 0 && num % den == 0 ? num / den : -1);
        } else {
            shp_dim(&s, neg, -1);
        }
    } else if (total >= 0 && all_known && total != known) {
        return shp_err(err, "%s (%lld elements) cannot be reshaped to %s (%lld elements)", shp_desc(g, node, 0),
                       (long long)total, shp_sstr(&s), (long long)known);
    }
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

static int64_t dim_prod(const IrShape *s, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++) {
        if (s->dims[i] < 0 || !shp_mul(p, s->dims[i], &p))
            return -1;
    }
    return p;
}

DlaStatus ir_shape_flatten(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrShape s = shp_rank(2);
    if (x->shape.rank >= 0) {
        int r = x->shape.rank;
        int64_t axis = ir_node_attr_i(g, node, "axis");
        if (axis < -r || axis > r)
            return shp_err(err, "axis %lld is out of range for %s", (long long)axis, shp_desc(g, node, 0));
        int a = (int)(axis < 0 ? axis + r : axis);
        shp_dim(&s, 0, dim_prod(&x->shape, 0, a));
        shp_dim(&s, 1, dim_prod(&x->shape, a, r));
        if (a == 1 && x->shape.sym[0])
            shp_copy_dim(&s, 0, &x->shape, 0);
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_transpose(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    const int64_t *perm;
    int32_t np = ir_attr_ints(g, node, "perm", &perm);
    int r = x->shape.rank;
    if (r < 0) {
        IrShape s = np >= 0 && np <= IR_MAX_RANK ? shp_rank(np) : shp_unknown();
        shp_set(shp_out(g, node, 0), x->dtype, &s);
        return DLA_OK;
    }
    if (np >= 0 && np != r)
        return shp_err(err, "attribute 'perm' has %d values but %s has rank %d", np, shp_desc(g, node, 0), r);
    IrShape s = shp_rank(r);
    int seen[IR_MAX_RANK] = {0};
    for (int i = 0; i < r; i++) {
        int64_t p = np >= 0 ? perm[i] : r - 1 - i;
        if (p < 0 || p >= r || seen[p])
            return shp_err(err, "attribute 'perm' is not a permutation of 0..%d", r - 1);
        seen[p] = 1;
        shp_copy_dim(&s, i, &x->shape, (int)p);
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_concat(IrGraph *g, int32_t node, DlaError *err)
{
    int nin = g->nodes[node].ninputs;
    IrValue *first = shp_in(g, node, 0);
    if (!first)
        return shp_missing(err, 0);
    int r = -1;
    for (int i = 0; i < nin; i++) {
        IrValue *v = shp_in(g, node, i);
        if (!v)
            return shp_missing(err, i);
        if (v->shape.rank >= 0) {
            if (r >= 0 && v->shape.rank != r)
                return shp_err(err, "%s has rank %d, unlike the other inputs' %d", shp_desc(g, node, i),
                               v->shape.rank, r);
            r = v->shape.rank;
        }
    }
    if (r < 0) {
        shp_set(shp_out(g, node, 0), first->dtype, NULL);
        return DLA_OK;
    }
    int64_t axis = ir_node_attr_i(g, node, "axis");
    int a;
    if (!shp_axis(axis, r, &a))
        return shp_err(err, "axis %lld is out of range for rank %d", (long long)axis, r);
    IrShape s = shp_rank(r);
    int64_t sum = 0;
    for (int i = 0; i < nin; i++) {
        IrValue *v = shp_in(g, node, i);
        if (v->shape.rank < 0) {
            sum = -1;
            continue;
        }
        for (int d = 0; d < r; d++) {
            if (d == a)
                continue;
            if (s.dims[d] < 0 && !s.sym[d])
                shp_copy_dim(&s, d, &v->shape, d);
            else if (s.dims[d] >= 0 && v->shape.dims[d] >= 0 && s.dims[d] != v->shape.dims[d])
                return shp_err(err, "%s differs from the other inputs in dim %d (expected %lld)",
                               shp_desc(g, node, i), d, (long long)s.dims[d]);
            else if (s.dims[d] < 0 && v->shape.dims[d] >= 0)
                shp_copy_dim(&s, d, &v->shape, d);
        }
        if (sum >= 0)
            sum = v->shape.dims[a] < 0 ? -1 : sum + v->shape.dims[a];
    }
    shp_dim(&s, a, sum);
    shp_set(shp_out(g, node, 0), first->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_split(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int nout = g->nodes[node].noutputs;
    if (x->shape.rank < 0) {
        for (int i = 0; i < nout; i++)
            shp_set(shp_out(g, node, i), x->dtype, NULL);
        return DLA_OK;
    }
    int r = x->shape.rank, a;
    DlaStatus st = shp_attr_axis(g, node, r, &a, err);
    if (st)
        return st;
    int64_t dim = x->shape.dims[a];
    int64_t sp[MAXV], n;
    int_list(g, node, 1, "split", sp, &n);
    if (n > MAXV || n > nout || (n >= 0 && n != nout))
        return shp_err(err, "%lld split sizes for %d outputs", (long long)n, nout);
    int64_t sizes[MAXV];
    if (nout > MAXV)
        return shp_err(err, "more than %d outputs", MAXV);
    if (n >= 0) {
        int64_t sum = 0;
        for (int i = 0; i < n; i++) {
            if (sp[i] < 0)
                return shp_err(err, "split size %lld is negative", (long long)sp[i]);
            sizes[i] = sp[i];
            sum += sp[i];
        }
        if (dim >= 0 && sum != dim)
            return shp_err(err, "split sizes sum to %lld but axis %d of %s is %lld", (long long)sum, a,
                           shp_desc(g, node, 0), (long long)dim);
    } else if (n == -1) {
        for (int i = 0; i < nout; i++)
            sizes[i] = -1;
    } else {
        /* equal parts; Split-18's num_outputs allows a smaller last part */
        int has_num = ir_attr_find(g, node, "num_outputs") != NULL;
        if (has_num && ir_node_attr_i(g, node, "num_outputs") != nout)
            return shp_err(err, "attribute 'num_outputs' = %lld but the node has %d outputs",
                           (long long)ir_node_attr_i(g, node, "num_outputs"), nout);
        for (int i = 0; i < nout; i++) {
            if (dim < 0) {
                sizes[i] = -1;
            } else if (has_num) {
                int64_t part = (dim + nout - 1) / nout;
                int64_t left = dim - part * i;
                sizes[i] = left < 0 ? 0 : left < part ? left : part;
            } else {
                if (dim % nout)
                    return shp_err(err, "axis %d of %s (%lld) does not split into %d equal parts", a,
                                   shp_desc(g, node, 0), (long long)dim, nout);
                sizes[i] = dim / nout;
            }
        }
    }
    for (int i = 0; i < nout; i++) {
        IrShape s = x->shape;
        shp_dim(&s, a, sizes[i]);
        shp_set(shp_out(g, node, i), x->dtype, &s);
    }
    return DLA_OK;
}

/* Length of one sliced axis (ONNX Slice clamping rules); written so that
 * no extreme start/end/step (INT64_MIN/MAX are common) overflows. */
static int64_t slice_len(int64_t dim, int64_t start, int64_t end, int64_t step)
{
    if (start < 0)
        start += dim;
    if (end < 0)
        end += dim;
    if (step > 0) {
        start = start < 0 ? 0 : start > dim ? dim : start;
        end = end < 0 ? 0 : end > dim ? dim : end;
        return end > start ? (end - start - 1) / step + 1 : 0;
    }
    start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
    end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
    if (start <= end)
        return 0;
    return step == INT64_MIN ? 1 : (start - end - 1) / (-step) + 1;
}

DlaStatus ir_shape_slice(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int r = x->shape.rank;
    if (r < 0) {
        shp_set(y, x->dtype, NULL);
        return DLA_OK;
    }
    int64_t st[MAXV], en[MAXV], ax[MAXV], sp[MAXV], ns, ne, na, nst;
    int old = ir_graph_opset(g, "") < 10 && !shp_in(g, node, 1);
    if (old) {
        int_list(g, node, 99, "starts", st, &ns);
        int_list(g, node, 99, "ends", en, &ne);
        int_list(g, node, 99, "axes", ax, &na);
        nst = -2;
    } else {
        if (!shp_in(g, node, 1) || !shp_in(g, node, 2))
            return shp_missing(err, shp_in(g, node, 1) ? 2 : 1);
        int_list(g, node, 1, NULL, st, &ns);
        int_list(g, node, 2, NULL, en, &ne);
        int_list(g, node, 3, NULL, ax, &na);
        int_list(g, node, 4, NULL, sp, &nst);
    }
    if (ns == -2 || ne == -2)
        return shp_err(err, "starts and ends are required");
    IrShape s = x->shape;
    if (na == -1) { /* axes not constant: any axis may be sliced */
        s = shp_rank(r);
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    int64_t cnt = ns >= 0 ? ns : ne >= 0 ? ne : list_len(g, node, 1);
    if (ns >= 0 && ne >= 0 && ns != ne)
        return shp_err(err, "starts has %lld values but ends has %lld", (long long)ns, (long long)ne);
    if (cnt > MAXV || (na >= 0 && cnt >= 0 && na != cnt) || (nst >= 0 && cnt >= 0 && nst != cnt))
        return shp_err(err, "starts, ends, axes and steps differ in length");
    if (cnt < 0) { /* unknown number of sliced axes */
        s = shp_rank(r);
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    int seen[IR_MAX_RANK] = {0};
    for (int64_t i = 0; i < cnt; i++) {
        int a;
        int64_t axis = na >= 0 ? ax[i] : i;
        if (!shp_axis(axis, r, &a) || seen[a])
            return shp_err(err, "slice axis %lld is out of range or repeated for %s", (long long)axis,
                           shp_desc(g, node, 0));
        seen[a] = 1;
        int64_t step = nst >= 0 ? sp[i] : 1;
        if (step == 0)
            return shp_err(err, "slice step is 0");
        int64_t dim = x->shape.dims[a];
        if (ns < 0 || ne < 0 || nst == -1 || dim < 0)
            shp_dim(&s, a, -1);
        else
            shp_dim(&s, a, slice_len(dim, st[i], en[i], step));
    }
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_squeeze(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int64_t ax[MAXV], n;
    int_list(g, node, 1, "axes", ax, &n);
    int r = x->shape.rank;
    if (r < 0 || n == -1) {
        int64_t len = list_len(g, node, 1);
        IrShape s = r >= 0 && len >= 0 && len <= r ? shp_rank(r - (int)len) : shp_unknown();
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    if (n > r)
        return shp_err(err, "%lld axes to squeeze but %s has rank %d", (long long)n, shp_desc(g, node, 0), r);
    int drop[IR_MAX_RANK] = {0};
    if (n <= 0) { /* no axes: every dim of size 1 */
        for (int i = 0; i < r; i++) {
            if (x->shape.dims[i] < 0) {
                shp_set(y, x->dtype, NULL);
                return DLA_OK;
            }
            drop[i] = x->shape.dims[i] == 1;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        int a;
        if (!shp_axis(ax[i], r, &a))
            return shp_err(err, "axis %lld is out of range for %s", (long long)ax[i], shp_desc(g, node, 0));
        if (x->shape.dims[a] >= 0 && x->shape.dims[a] != 1)
            return shp_err(err, "cannot squeeze axis %d of %s: its size is not 1", a, shp_desc(g, node, 0));
        drop[a] = 1;
    }
    IrShape s = shp_rank(0);
    for (int i = 0; i < r; i++)
        if (!drop[i])
            shp_copy_dim(&s, s.rank++, &x->shape, i);
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_unsqueeze(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int64_t ax[MAXV], n;
    int_list(g, node, 1, "axes", ax, &n);
    if (n == -2)
        return shp_err(err, "axes are required");
    int r = x->shape.rank;
    if (r < 0 || n == -1) {
        int64_t len = list_len(g, node, 1);
        IrShape s = r >= 0 && len >= 0 && r + len <= IR_MAX_RANK ? shp_rank(r + (int)len) : shp_unknown();
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    if (r + n > IR_MAX_RANK)
        return shp_err(err, "result rank %lld exceeds %d", (long long)(r + n), IR_MAX_RANK);
    int ro = r + (int)n, ins[IR_MAX_RANK] = {0};
    for (int64_t i = 0; i < n; i++) {
        int a;
        if (!shp_axis(ax[i], ro, &a) || ins[a])
            return shp_err(err, "axis %lld is out of range or repeated for output rank %d", (long long)ax[i], ro);
        ins[a] = 1;
    }
    IrShape s = shp_rank(ro);
    for (int i = 0, k = 0; i < ro; i++) {
        if (ins[i])
            shp_dim(&s, i, 1);
        else
            shp_copy_dim(&s, i, &x->shape, k++);
    }
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_gather(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *idx = shp_in(g, node, 1), *y = shp_out(g, node, 0);
    if (!x || !idx)
        return shp_missing(err, x ? 1 : 0);
    if (x->shape.rank < 0 || idx->shape.rank < 0) {
        shp_set(y, x->dtype, NULL);
        return DLA_OK;
    }
    int r = x->shape.rank, q = idx->shape.rank, a;
    DlaStatus st = shp_attr_axis(g, node, r, &a, err);
    if (st)
        return st;
    if (r - 1 + q > IR_MAX_RANK)
        return shp_err(err, "result rank exceeds %d", IR_MAX_RANK);
    int64_t iv[MAXV];
    int64_t ni = shp_const_ints(idx, iv, MAXV);
    for (int64_t i = 0; i < ni && i < MAXV && x->shape.dims[a] >= 0; i++)
        if (iv[i] < -x->shape.dims[a] || iv[i] >= x->shape.dims[a])
            return shp_err(err, "index %lld is out of range for axis %d of %s", (long long)iv[i], a,
                           shp_desc(g, node, 0));
    IrShape s = shp_rank(r - 1 + q);
    int k = 0;
    for (int i = 0; i < a; i++)
        shp_copy_dim(&s, k++, &x->shape, i);
    for (int i = 0; i < q; i++)
        shp_copy_dim(&s, k++, &idx->shape, i);
    for (int i = a + 1; i < r; i++)
        shp_copy_dim(&s, k++, &x->shape, i);
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_gather_elements(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *idx = shp_in(g, node, 1);
    if (!x || !idx)
        return shp_missing(err, x ? 1 : 0);
    if (x->shape.rank >= 0 && idx->shape.rank >= 0 && x->shape.rank != idx->shape.rank)
        return shp_err(err, "%s and %s differ in rank", shp_desc(g, node, 0), shp_desc(g, node, 1));
    int a;
    if (x->shape.rank >= 0 && !shp_axis(ir_node_attr_i(g, node, "axis"), x->shape.rank, &a))
        return shp_err(err, "axis %lld is out of range for %s", (long long)ir_node_attr_i(g, node, "axis"),
                       shp_desc(g, node, 0));
    shp_set(shp_out(g, node, 0), x->dtype, &idx->shape);
    return DLA_OK;
}

DlaStatus ir_shape_gather_nd(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *idx = shp_in(g, node, 1), *y = shp_out(g, node, 0);
    if (!x || !idx)
        return shp_missing(err, x ? 1 : 0);
    int64_t b = ir_node_attr_i(g, node, "batch_dims");
    int r = x->shape.rank, q = idx->shape.rank;
    if (r < 0 || q < 0 || idx->shape.dims[q - 1] < 0) {
        shp_set(y, x->dtype, NULL);
        return DLA_OK;
    }
    int64_t last = q >= 1 ? idx->shape.dims[q - 1] : -1;
    if (q < 1 || b < 0 || b >= q || b >= r || last < 1 || b + last > r)
        return shp_err(err, "%s does not index %s with batch_dims=%lld", shp_desc(g, node, 1), shp_desc(g, node, 0),
                       (long long)b);
    int ro = q - 1 + r - (int)b - (int)last;
    if (ro > IR_MAX_RANK)
        return shp_err(err, "result rank exceeds %d", IR_MAX_RANK);
    IrShape s = shp_rank(ro);
    int k = 0;
    for (int i = 0; i < q - 1; i++)
        shp_copy_dim(&s, k++, &idx->shape, i);
    for (int i = (int)(b + last); i < r; i++)
        shp_copy_dim(&s, k++, &x->shape, i);
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

/* Scatter, ScatterElements, ScatterND: the output is the data. */
DlaStatus ir_shape_scatter(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    for (int i = 0; i < 3; i++)
        if (!shp_in(g, node, i))
            return shp_missing(err, i);
    shp_set(shp_out(g, node, 0), x->dtype, &x->shape);
    return DLA_OK;
}

DlaStatus ir_shape_expand(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x || !shp_in(g, node, 1))
        return shp_missing(err, x ? 1 : 0);
    int64_t sh[MAXV];
    int64_t n = shp_const_ints(shp_in(g, node, 1), sh, MAXV);
    if (n > IR_MAX_RANK)
        return shp_err(err, "shape %s has more than %d values", shp_desc(g, node, 1), IR_MAX_RANK);
    if (n < 0) {
        int64_t len = list_len(g, node, 1);
        if (len > IR_MAX_RANK) /* a shape input longer than any rank (found by fuzz_onnx) */
            return shp_err(err, "shape %s has %lld values, more than %d", shp_desc(g, node, 1), (long long)len,
                           IR_MAX_RANK);
        IrShape s = len >= 0 && x->shape.rank >= 0 ? shp_rank(len > x->shape.rank ? (int)len : x->shape.rank)
                                                   : shp_unknown();
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    for (int64_t i = 0; i < n; i++)
        if (sh[i] < 0)
            return shp_err(err, "shape %s has negative dim %lld", shp_desc(g, node, 1), (long long)sh[i]);
    IrShape t = ir_shape_make((int)n, sh), s;
    if (!shp_broadcast(&x->shape, &t, &s))
        return shp_err(err, "%s cannot be expanded to %s", shp_desc(g, node, 0), shp_sstr(&t));
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_tile(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x || !shp_in(g, node, 1))
        return shp_missing(err, x ? 1 : 0);
    int r = x->shape.rank;
    IrShape s = x->shape;
    if (r < 0) {
        shp_set(y, x->dtype, NULL);
        return DLA_OK;
    }
    int64_t rep[MAXV], n = shp_const_ints(shp_in(g, node, 1), rep, MAXV);
    if (shp_in(g, node, 2)) { /* Tile-1: (input, tiles, axis) scalars */
        int64_t axis;
        int a;
        if (n != 1 || !shp_const_int1(shp_in(g, node, 2), &axis)) {
            s = shp_rank(r);
            shp_set(y, x->dtype, &s);
            return DLA_OK;
        }
        if (!shp_axis(axis, r, &a))
            return shp_err(err, "axis %lld is out of range for %s", (long long)axis, shp_desc(g, node, 0));
        int64_t o = -1;
        if (rep[0] < 0 || (s.dims[a] >= 0 && !shp_mul(s.dims[a], rep[0], &o)))
            return shp_err(err, "tiles %lld is invalid for %s", (long long)rep[0], shp_desc(g, node, 0));
        shp_dim(&s, a, o);
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    if (n < 0) {
        s = shp_rank(r);
    } else {
        if (n != r)
            return shp_err(err, "repeats %s has %lld values but %s has rank %d", shp_desc(g, node, 1), (long long)n,
                           shp_desc(g, node, 0), r);
        for (int i = 0; i < r; i++) {
            if (rep[i] < 0)
                return shp_err(err, "repeat %lld is negative", (long long)rep[i]);
            int64_t o = -1;
            if (s.dims[i] >= 0 && !shp_mul(s.dims[i], rep[i], &o))
                return shp_err(err, "repeat %lld overflows axis %d of %s", (long long)rep[i], i, shp_desc(g, node, 0));
            if (rep[i] != 1)
                shp_dim(&s, i, o);
        }
    }
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_pad(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *y = shp_out(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int r = x->shape.rank;
    if (r < 0) {
        shp_set(y, x->dtype, NULL);
        return DLA_OK;
    }
    int64_t pads[MAXV], np, ax[MAXV], na;
    int_list(g, node, 1, "pads", pads, &np);
    int_list(g, node, 3, NULL, ax, &na);
    IrShape s = x->shape;
    if (np == -2)
        return shp_err(err, "pads are required");
    if (np == -1 || na == -1) {
        s = shp_rank(r);
        shp_set(y, x->dtype, &s);
        return DLA_OK;
    }
    int naxes = na >= 0 ? (int)na : r;
    if (na > r || np != 2 * naxes)
        return shp_err(err, "pads has %lld values, expected %d (2 per padded axis) for %s", (long long)np,
                       2 * naxes, shp_desc(g, node, 0));
    for (int i = 0; i < naxes; i++) {
        int a = i;
        if (na >= 0 && !shp_axis(ax[i], r, &a))
            return shp_err(err, "pad axis %lld is out of range for %s", (long long)ax[i], shp_desc(g, node, 0));
        int64_t d = x->shape.dims[a];
        if (d < 0) {
            shp_dim(&s, a, -1);
            continue;
        }
        int64_t o;
        if (!shp_add(d, pads[i], &o) || !shp_add(o, pads[i + naxes], &o) || o < 0)
            return shp_err(err, "pads make axis %d of %s negative", a, shp_desc(g, node, 0));
        if (pads[i] || pads[i + naxes])
            shp_dim(&s, a, o);
    }
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_shape(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrShape s = shp_rank(1);
    int r = x->shape.rank;
    if (r >= 0) {
        int64_t start = ir_node_attr_i(g, node, "start");
        int64_t end = ir_attr_find(g, node, "end") ? ir_node_attr_i(g, node, "end") : r;
        if (start < 0)
            start += r;
        if (end < 0)
            end += r;
        start = start < 0 ? 0 : start > r ? r : start;
        end = end < 0 ? 0 : end > r ? r : end;
        shp_dim(&s, 0, end > start ? end - start : 0);
    }
    shp_set(shp_out(g, node, 0), DT_INT64, &s);
    return DLA_OK;
}

DlaStatus ir_shape_size(IrGraph *g, int32_t node, DlaError *err)
{
    if (!shp_in(g, node, 0))
        return shp_missing(err, 0);
    IrShape s = shp_rank(0);
    shp_set(shp_out(g, node, 0), DT_INT64, &s);
    return DLA_OK;
}
