/* shape_nn.c - shape functions of matrix products (Gemm, MatMul and its
 * integer/quantized forms, Einsum, Det), normalizations, softmax and losses. */
#include "shape_util.h"

#include <string.h>

DlaStatus ir_shape_gemm(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *a = shp_in(g, node, 0), *b = shp_in(g, node, 1), *c = shp_in(g, node, 2);
    if (!a || !b)
        return shp_missing(err, a ? 1 : 0);
    int ta = (int)ir_node_attr_i(g, node, "transA"), tb = (int)ir_node_attr_i(g, node, "transB");
    if (a->shape.rank >= 0 && a->shape.rank != 2)
        return shp_err(err, "%s has rank %d, expected 2", shp_desc(g, node, 0), a->shape.rank);
    if (b->shape.rank >= 0 && b->shape.rank != 2)
        return shp_err(err, "%s has rank %d, expected 2", shp_desc(g, node, 1), b->shape.rank);
    IrShape s = shp_rank(2);
    int64_t ka = -1, kb = -1;
    if (a->shape.rank == 2) {
        shp_copy_dim(&s, 0, &a->shape, ta ? 1 : 0);
        ka = a->shape.dims[ta ? 0 : 1];
    }
    if (b->shape.rank == 2) {
        shp_copy_dim(&s, 1, &b->shape, tb ? 0 : 1);
        kb = b->shape.dims[tb ? 1 : 0];
    }
    if (ka >= 0 && kb >= 0 && ka != kb)
        return shp_err(err, "inner dims differ: %s (transA=%d) and %s (transB=%d)", shp_desc(g, node, 0), ta,
                       shp_desc(g, node, 1), tb);
    if (c && c->shape.rank >= 0 && ir_graph_opset(g, "") >= 7) {
        IrShape r; /* C broadcasts (unidirectionally) to [M, N] */
        if (c->shape.rank > 2 || !shp_broadcast(&s, &c->shape, &r))
            return shp_err(err, "%s cannot be broadcast to the product's shape %s", shp_desc(g, node, 2),
                           shp_sstr(&s));
    }
    shp_set(shp_out(g, node, 0), a->dtype, &s);
    return DLA_OK;
}

/* MatMul (numpy matmul: 1-D operands promoted then squeezed, batch dims
 * broadcast), MatMulInteger (int32), QLinearMatMul (a, b at inputs 0 and 3). */
DlaStatus ir_shape_matmul(IrGraph *g, int32_t node, DlaError *err)
{
    IrOp op = g->nodes[node].op;
    int bi = op == OP_QLINEAR_MAT_MUL ? 3 : 1;
    IrValue *a = shp_in(g, node, 0), *b = shp_in(g, node, bi);
    if (!a || !b)
        return shp_missing(err, a ? bi : 0);
    IrDtype dt = a->dtype;
    if (op == OP_MAT_MUL_INTEGER)
        dt = DT_INT32;
    else if (op == OP_QLINEAR_MAT_MUL)
        dt = shp_in(g, node, 7) ? shp_in(g, node, 7)->dtype : DT_UINT8;
    IrValue *y = shp_out(g, node, 0);
    if (a->shape.rank < 0 || b->shape.rank < 0) {
        shp_set(y, dt, NULL);
        return DLA_OK;
    }
    if (a->shape.rank == 0 || b->shape.rank == 0)
        return shp_err(err, "operands must not be scalars: %s, %s", shp_desc(g, node, 0), shp_desc(g, node, bi));
    IrShape sa = a->shape, sb = b->shape;
    int a1 = sa.rank == 1, b1 = sb.rank == 1;
    if (a1) { /* [K] -> [1, K] */
        sa.rank = 2;
        shp_copy_dim(&sa, 1, &a->shape, 0);
        shp_dim(&sa, 0, 1);
    }
    if (b1) { /* [K] -> [K, 1] */
        sb.rank = 2;
        shp_dim(&sb, 1, 1);
    }
    int64_t ka = sa.dims[sa.rank - 1], kb = sb.dims[sb.rank - 2];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return shp_err(err, "inner dims differ: %s and %s", shp_desc(g, node, 0), shp_desc(g, node, bi));
    IrShape ba = sa, bb = sb, bo;
    ba.rank -= 2;
    bb.rank -= 2;
    if (!shp_broadcast(&ba, &bb, &bo))
        return shp_err(err, "batch dims of %s and %s cannot be broadcast", shp_desc(g, node, 0),
                       shp_desc(g, node, bi));
    IrShape s = bo;
    if (!a1) {
        s.rank++;
        shp_copy_dim(&s, s.rank - 1, &sa, sa.rank - 2);
    }
    if (!b1) {
        s.rank++;
        shp_copy_dim(&s, s.rank - 1, &sb, sb.rank - 1);
    }
    if (s.rank > IR_MAX_RANK)
        return shp_err(err, "result rank exceeds %d", IR_MAX_RANK);
    shp_set(y, dt, &s);
    return DLA_OK;
}

/* Einsum "ij,jk->ik" with '...' ellipses; the implicit output is the
 * broadcast ellipsis dims, then the letters that occur once, in ASCII order. */
DlaStatus ir_shape_einsum(IrGraph *g, int32_t node, DlaError *err)
{
    const char *eq = ir_node_attr_s(g, node, "equation");
    int nin = g->nodes[node].ninputs;
    int64_t dim[128];
    int count[128];
    for (int i = 0; i < 128; i++)
        dim[i] = -2, count[i] = 0; /* -2: letter unseen */
    IrShape ell = shp_rank(0);
    int have_ell = 0, known = 1;
    const char *p = eq;
    IrDtype dt = shp_in(g, node, 0) ? shp_in(g, node, 0)->dtype : DT_UNDEFINED;
    for (int k = 0; k < nin; k++) {
        IrValue *x = shp_in(g, node, k);
        if (!x)
            return shp_missing(err, k);
        char letters[IR_MAX_RANK * 2 + 8];
        int nl = 0, ell_pos = -1;
        while (*p == ' ')
            p++;
        while (*p && *p != ',' && *p != '-') {
            if (*p == ' ') {
                p++;
            } else if (p[0] == '.' && p[1] == '.' && p[2] == '.') {
                if (ell_pos >= 0)
                    return shp_err(err, "equation '%s': two ellipses in one term", eq);
                ell_pos = nl;
                p += 3;
            } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
                if (nl >= (int)sizeof letters)
                    return shp_err(err, "equation '%s': term too long", eq);
                letters[nl++] = *p++;
            } else {
                return shp_err(err, "equation '%s': unexpected character '%c'", eq, *p);
            }
        }
        if (*p == ',')
            p++;
        else if (k != nin - 1)
            return shp_err(err, "equation '%s' has fewer terms than the %d inputs", eq, nin);
        if (x->shape.rank < 0) {
            known = 0;
            for (int i = 0; i < nl; i++)
                count[(int)letters[i]]++;
            continue;
        }
        int ne = x->shape.rank - nl;
        if (ne < 0 || (ell_pos < 0 && ne != 0))
            return shp_err(err, "equation '%s': term %d does not match %s", eq, k, shp_desc(g, node, k));
        if (ell_pos >= 0) {
            IrShape e = shp_rank(ne), r;
            for (int i = 0; i < ne; i++)
                shp_copy_dim(&e, i, &x->shape, ell_pos + i);
            if (!shp_broadcast(&ell, &e, &r))
                return shp_err(err, "equation '%s': ellipsis dims of %s do not broadcast", eq, shp_desc(g, node, k));
            ell = r;
            have_ell = 1;
        }
        for (int i = 0; i < nl; i++) {
            int c = letters[i];
            int64_t d = x->shape.dims[i >= ell_pos && ell_pos >= 0 ? i + ne : i];
            count[c]++;
            if (dim[c] == -2 || dim[c] == -1 || dim[c] == 1)
                dim[c] = d;
            else if (d >= 0 && d != 1 && d != dim[c])
                return shp_err(err, "equation '%s': label '%c' has sizes %lld and %lld", eq, c,
                               (long long)dim[c], (long long)d);
        }
    }
    IrShape s = shp_rank(0);
    while (*p == ' ')
        p++;
    if (p[0] == '-' && p[1] == '>') {
        p += 2;
        while (*p) {
            if (*p == ' ') {
                p++;
            } else if (p[0] == '.' && p[1] == '.' && p[2] == '.') {
                if (!known) {
                    shp_set(shp_out(g, node, 0), dt, NULL);
                    return DLA_OK;
                }
                for (int i = 0; i < ell.rank && s.rank < IR_MAX_RANK; i++, s.rank++)
                    shp_copy_dim(&s, s.rank, &ell, i);
                p += 3;
            } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
                if (count[(int)*p] == 0)
                    return shp_err(err, "equation '%s': output label '%c' is not in any input", eq, *p);
                if (s.rank >= IR_MAX_RANK)
                    return shp_err(err, "equation '%s': output rank exceeds %d", eq, IR_MAX_RANK);
                shp_dim(&s, s.rank++, dim[(int)*p] < 0 ? -1 : dim[(int)*p]);
                p++;
            } else {
                return shp_err(err, "equation '%s': unexpected character '%c'", eq, *p);
            }
        }
    } else if (*p) {
        return shp_err(err, "equation '%s' has more terms than the %d inputs", eq, nin);
    } else {
        if (!known) {
            shp_set(shp_out(g, node, 0), dt, NULL);
            return DLA_OK;
        }
        if (have_ell)
            s = ell;
        for (int c = 0; c < 128; c++)
            if (count[c] == 1) {
                if (s.rank >= IR_MAX_RANK)
                    return shp_err(err, "equation '%s': output rank exceeds %d", eq, IR_MAX_RANK);
                shp_dim(&s, s.rank++, dim[c] < 0 ? -1 : dim[c]);
            }
    }
    shp_set(shp_out(g, node, 0), dt, known ? &s : NULL);
    return DLA_OK;
}

DlaStatus ir_shape_det(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrShape s = x->shape;
    if (s.rank >= 0) {
        int r = s.rank;
        if (r < 2 || (s.dims[r - 1] >= 0 && s.dims[r - 2] >= 0 && s.dims[r - 1] != s.dims[r - 2]))
            return shp_err(err, "%s is not a (batch of) square matrices", shp_desc(g, node, 0));
        s.rank -= 2;
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_batchnorm(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    for (int i = 0; i < 5; i++)
        if (!shp_in(g, node, i))
            return shp_missing(err, i);
    if (x->shape.rank >= 0 && x->shape.rank < 2)
        return shp_err(err, "%s has rank %d, expected at least 2", shp_desc(g, node, 0), x->shape.rank);
    for (int i = 1; i < 5; i++) {
        IrValue *p = shp_in(g, node, i);
        if (p->shape.rank >= 1 && x->shape.rank >= 2 && p->shape.dims[0] >= 0 && x->shape.dims[1] >= 0 &&
            p->shape.dims[0] != x->shape.dims[1] && ir_graph_opset(g, "") >= 9)
            return shp_err(err, "%s does not match the channels of %s", shp_desc(g, node, i), shp_desc(g, node, 0));
    }
    shp_set(shp_out(g, node, 0), x->dtype, &x->shape);
    /* running (opset 14: mean, var) or opset < 14: mean, var, saved_mean, saved_var */
    IrValue *mean = shp_in(g, node, 3);
    for (int i = 1; i < g->nodes[node].noutputs; i++)
        shp_set(shp_out(g, node, i), mean->dtype, &mean->shape);
    return DLA_OK;
}

DlaStatus ir_shape_layernorm(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x || !shp_in(g, node, 1))
        return shp_missing(err, x ? 1 : 0);
    shp_set(shp_out(g, node, 0), x->dtype, &x->shape);
    IrShape s = x->shape;
    if (s.rank >= 0) {
        int ax;
        if (!shp_axis(ir_node_attr_i(g, node, "axis"), s.rank, &ax))
            return shp_err(err, "attribute 'axis' = %lld is out of range for %s",
                           (long long)ir_node_attr_i(g, node, "axis"), shp_desc(g, node, 0));
        for (int i = ax; i < s.rank; i++)
            shp_dim(&s, i, 1);
    }
    int64_t stash = ir_node_attr_i(g, node, "stash_type");
    IrDtype st = ir_dtype_valid((int)stash) && stash != DT_UNDEFINED ? (IrDtype)stash : x->dtype;
    shp_set(shp_out(g, node, 1), st, &s);
    shp_set(shp_out(g, node, 2), st, &s);
    return DLA_OK;
}

/* Softmax, LogSoftmax, Hardmax, LpNormalization: same shape, axis checked. */
DlaStatus ir_shape_softmax(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int64_t axis = ir_node_attr_i(g, node, "axis");
    IrOp op = g->nodes[node].op;
    if (op != OP_LP_NORMALIZATION && ir_graph_opset(g, "") < 13 && !ir_attr_find(g, node, "axis"))
        axis = 1; /* the default before opset 13 */
    int ax;
    if (x->shape.rank >= 0 && !(x->shape.rank == 0 && (axis == 0 || axis == -1)) && !shp_axis(axis, x->shape.rank, &ax))
        return shp_err(err, "axis %lld is out of range for %s", (long long)axis, shp_desc(g, node, 0));
    shp_set(shp_out(g, node, 0), x->dtype, &x->shape);
    return DLA_OK;
}

/* NegativeLogLikelihoodLoss(input [N,C,d...], target [N,d...]) and
 * SoftmaxCrossEntropyLoss(scores, labels) (+ log_prob like scores). */
DlaStatus ir_shape_loss(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *t = shp_in(g, node, 1);
    if (!x || !t)
        return shp_missing(err, x ? 1 : 0);
    if (x->shape.rank >= 0 && x->shape.rank < 2)
        return shp_err(err, "%s has rank %d, expected at least 2 (N, C, ...)", shp_desc(g, node, 0), x->shape.rank);
    if (x->shape.rank >= 0 && t->shape.rank >= 0 && t->shape.rank != x->shape.rank - 1)
        return shp_err(err, "target %s must have rank %d (that of %s minus the class dim)", shp_desc(g, node, 1),
                       x->shape.rank - 1, shp_desc(g, node, 0));
    const char *red = ir_node_attr_s(g, node, "reduction");
    IrShape s;
    if (!strcmp(red, "none")) {
        s = t->shape;
        if (s.rank < 0 && x->shape.rank >= 0) {
            s = shp_rank(x->shape.rank - 1);
            shp_copy_dim(&s, 0, &x->shape, 0);
            for (int i = 2; i < x->shape.rank; i++)
                shp_copy_dim(&s, i - 1, &x->shape, i);
        }
    } else if (!strcmp(red, "mean") || !strcmp(red, "sum")) {
        s = shp_rank(0);
    } else {
        return shp_err(err, "attribute 'reduction' = '%s' is not none, mean or sum", red);
    }
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    shp_set(shp_out(g, node, 1), x->dtype, &x->shape);
    return DLA_OK;
}
