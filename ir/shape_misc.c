/* shape_misc.c - shape functions of signal processing (windows, DFT, STFT,
 * MelWeightMatrix), text (StringNormalizer, TfIdfVectorizer) and the training
 * optimizers (Adagrad, Adam, Momentum). */
#include "shape_util.h"

#include <string.h>
#include <strings.h>

static DlaStatus dtype_attr(IrGraph *g, int32_t node, const char *name, IrDtype *out, DlaError *err)
{
    int64_t c = ir_node_attr_i(g, node, name);
    if (!ir_dtype_valid((int)c) || c == DT_UNDEFINED)
        return shp_err(err, "attribute '%s' = %lld is not a tensor element type", name, (long long)c);
    *out = (IrDtype)c;
    return DLA_OK;
}

DlaStatus ir_shape_window(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *n = shp_in(g, node, 0);
    if (!n)
        return shp_missing(err, 0);
    IrDtype dt = DT_FLOAT;
    DlaStatus st = dtype_attr(g, node, "output_datatype", &dt, err);
    if (st)
        return st;
    int64_t size = -1;
    if (shp_const_int1(n, &size) && size < 0)
        return shp_err(err, "window size %lld is negative", (long long)size);
    IrShape s = shp_rank(1);
    shp_dim(&s, 0, size);
    shp_set(shp_out(g, node, 0), dt, &s);
    return DLA_OK;
}

DlaStatus ir_shape_dft(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *len = shp_in(g, node, 1), *axv = shp_in(g, node, 2);
    if (!x)
        return shp_missing(err, 0);
    int r = x->shape.rank;
    if (r < 0) {
        shp_set(shp_out(g, node, 0), x->dtype, NULL);
        return DLA_OK;
    }
    if (r < 2 || (x->shape.dims[r - 1] >= 0 && x->shape.dims[r - 1] != 1 && x->shape.dims[r - 1] != 2))
        return shp_err(err, "%s must be [batch, ..., 1 or 2]", shp_desc(g, node, 0));
    int64_t axis = ir_node_attr_i(g, node, "axis");
    if (axv && !shp_const_int1(axv, &axis)) {
        IrShape s = shp_rank(r);
        shp_dim(&s, r - 1, 2);
        shp_set(shp_out(g, node, 0), x->dtype, &s);
        return DLA_OK;
    }
    int a;
    if (!shp_axis(axis, r - 1, &a) || a == 0)
        return shp_err(err, "axis %lld is out of range for %s", (long long)axis, shp_desc(g, node, 0));
    IrShape s = x->shape;
    int64_t n = x->shape.dims[a];
    if (len && !shp_const_int1(len, &n))
        n = -1;
    if (n >= 0 && ir_node_attr_i(g, node, "onesided"))
        n = n / 2 + 1;
    shp_dim(&s, a, n);
    shp_dim(&s, r - 1, 2);
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_stft(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *step = shp_in(g, node, 1), *win = shp_in(g, node, 2),
            *flen = shp_in(g, node, 3);
    if (!x || !step)
        return shp_missing(err, x ? 1 : 0);
    if (x->shape.rank >= 0 && x->shape.rank != 3)
        return shp_err(err, "signal %s must be [batch, length, 1 or 2]", shp_desc(g, node, 0));
    int64_t fs = -1, fl = -1;
    if (shp_const_int1(step, &fs) && fs <= 0)
        return shp_err(err, "frame_step %lld is not positive", (long long)fs);
    if (flen && !shp_const_int1(flen, &fl))
        fl = -1;
    if (fl < 0 && win && win->shape.rank == 1)
        fl = win->shape.dims[0];
    IrShape s = shp_rank(4);
    if (x->shape.rank == 3) {
        shp_copy_dim(&s, 0, &x->shape, 0);
        int64_t len = x->shape.dims[1];
        if (len >= 0 && fl >= 0 && fs > 0) {
            if (fl > len)
                return shp_err(err, "frame length %lld exceeds the signal length of %s", (long long)fl,
                               shp_desc(g, node, 0));
            shp_dim(&s, 1, (len - fl) / fs + 1);
        }
    }
    shp_dim(&s, 2, fl < 0 ? -1 : ir_node_attr_i(g, node, "onesided") ? fl / 2 + 1 : fl);
    shp_dim(&s, 3, 2);
    shp_set(shp_out(g, node, 0), x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_mel(IrGraph *g, int32_t node, DlaError *err)
{
    for (int i = 0; i < 5; i++)
        if (!shp_in(g, node, i))
            return shp_missing(err, i);
    IrDtype dt = DT_FLOAT;
    DlaStatus st = dtype_attr(g, node, "output_datatype", &dt, err);
    if (st)
        return st;
    int64_t bins = -1, dlen = -1;
    shp_const_int1(shp_in(g, node, 0), &bins);
    shp_const_int1(shp_in(g, node, 1), &dlen);
    IrShape s = shp_rank(2);
    shp_dim(&s, 0, dlen < 0 ? -1 : dlen / 2 + 1);
    shp_dim(&s, 1, bins);
    shp_set(shp_out(g, node, 0), dt, &s);
    return DLA_OK;
}

/* StringNormalizer: [C] or [1, C] strings; stopwords may remove elements
 * (computed for constant input; all removed leaves one empty string). */
DlaStatus ir_shape_string_normalizer(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int r = x->shape.rank;
    if (r >= 0 && r != 1 && !(r == 2 && (x->shape.dims[0] == 1 || x->shape.dims[0] < 0)))
        return shp_err(err, "%s must be [C] or [1, C]", shp_desc(g, node, 0));
    const IrAttr *sw = ir_attr_find(g, node, "stopwords");
    IrShape s = x->shape;
    if (r >= 1 && sw && sw->type == IR_ATTR_STRINGS && sw->n > 0) {
        int64_t n = ir_shape_numel(&x->shape), keep = -1;
        if (shp_is_const(x) && x->dtype == DT_STRING && n >= 0 && (uint64_t)n * sizeof(char *) <= x->nbytes) {
            int cs = ir_node_attr_i(g, node, "is_case_sensitive") != 0;
            const char *const *str = x->data;
            keep = 0;
            for (int64_t i = 0; i < n; i++) {
                int stop = 0;
                for (int32_t k = 0; k < sw->n && !stop; k++)
                    stop = str[i] && (cs ? !strcmp(str[i], sw->strings[k]) : !strcasecmp(str[i], sw->strings[k]));
                keep += !stop;
            }
            if (keep == 0)
                keep = 1;
        }
        shp_dim(&s, r - 1, keep);
    }
    shp_set(shp_out(g, node, 0), DT_STRING, &s);
    return DLA_OK;
}

DlaStatus ir_shape_tfidf(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    const int64_t *idx;
    int32_t n = ir_attr_ints(g, node, "ngram_indexes", &idx);
    int64_t c = 0;
    for (int32_t i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] > (int64_t)1 << 40)
            return shp_err(err, "attribute 'ngram_indexes' has invalid value %lld", (long long)idx[i]);
        if (idx[i] + 1 > c)
            c = idx[i] + 1;
    }
    IrShape s;
    if (x->shape.rank == 1 || x->shape.rank == 0) {
        s = shp_rank(1);
        shp_dim(&s, 0, c);
    } else if (x->shape.rank == 2) {
        s = shp_rank(2);
        shp_copy_dim(&s, 0, &x->shape, 0);
        shp_dim(&s, 1, c);
    } else if (x->shape.rank < 0) {
        s = shp_unknown();
    } else {
        return shp_err(err, "%s must be 1-D or 2-D", shp_desc(g, node, 0));
    }
    shp_set(shp_out(g, node, 0), DT_FLOAT, &s);
    return DLA_OK;
}

/* Adagrad (R, T, X[n], G[n], H[n] -> X'[n], H'[n]), Momentum (... V[n] ->
 * X'[n], V'[n]), Adam (R, T, X[n], G[n], V[n], H[n] -> X'[n], V'[n], H'[n]):
 * output group j mirrors input group 0 (X) for j = 0 and group j+1 after. */
DlaStatus ir_shape_optimizer(IrGraph *g, int32_t node, DlaError *err)
{
    IrOp op = g->nodes[node].op;
    int groups_in = op == OP_ADAM ? 4 : 3, groups_out = groups_in - 1;
    int nin = g->nodes[node].ninputs, nout = g->nodes[node].noutputs;
    if ((nin - 2) % groups_in || (nin - 2) / groups_in * groups_out != nout)
        return shp_err(err, "%d inputs and %d outputs do not form %d groups of optimized tensors", nin, nout,
                       groups_in);
    int n = (nin - 2) / groups_in;
    for (int j = 0; j < groups_out; j++)
        for (int i = 0; i < n; i++) {
            int src = 2 + (j == 0 ? 0 : j + 1) * n + i;
            IrValue *v = shp_in(g, node, src);
            if (!v)
                return shp_missing(err, src);
            shp_set(shp_out(g, node, j * n + i), v->dtype, &v->shape);
        }
    return DLA_OK;
}
