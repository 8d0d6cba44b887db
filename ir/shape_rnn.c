/* shape_rnn.c - shape functions of RNN, GRU and LSTM.
 * X is [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1);
 * W is [dirs, gates*hidden, input] with gates 1 (RNN), 3 (GRU), 4 (LSTM).
 * Y:   [seq, dirs, batch, hidden]  (layout 1: [batch, seq, dirs, hidden])
 * Y_h, Y_c: [dirs, batch, hidden]  (layout 1: [batch, dirs, hidden]) */
#include "shape_util.h"

#include <string.h>

DlaStatus ir_shape_rnn(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *w = shp_in(g, node, 1), *r = shp_in(g, node, 2);
    if (!x || !w || !r)
        return shp_missing(err, !x ? 0 : !w ? 1 : 2);
    IrOp op = g->nodes[node].op;
    int gates = op == OP_LSTM ? 4 : op == OP_GRU ? 3 : 1;
    const char *dir = ir_node_attr_s(g, node, "direction");
    int dirs;
    if (!strcmp(dir, "forward") || !strcmp(dir, "reverse"))
        dirs = 1;
    else if (!strcmp(dir, "bidirectional"))
        dirs = 2;
    else
        return shp_err(err, "attribute 'direction' = '%s' is not forward, reverse or bidirectional", dir);
    int layout = (int)ir_node_attr_i(g, node, "layout");
    if (layout != 0 && layout != 1)
        return shp_err(err, "attribute 'layout' = %d is not 0 or 1", layout);
    if (x->shape.rank >= 0 && x->shape.rank != 3)
        return shp_err(err, "%s has rank %d, expected 3", shp_desc(g, node, 0), x->shape.rank);
    if (w->shape.rank >= 0 && w->shape.rank != 3)
        return shp_err(err, "%s has rank %d, expected 3", shp_desc(g, node, 1), w->shape.rank);
    int64_t hidden = -1;
    if (ir_attr_find(g, node, "hidden_size")) {
        hidden = ir_node_attr_i(g, node, "hidden_size");
        if (hidden <= 0 || hidden > (int64_t)1 << 40)
            return shp_err(err, "attribute 'hidden_size' = %lld is invalid", (long long)hidden);
    }
    else if (w->shape.rank == 3 && w->shape.dims[1] >= 0)
        hidden = w->shape.dims[1] / gates;
    if (w->shape.rank == 3) {
        if (w->shape.dims[0] >= 0 && w->shape.dims[0] != dirs)
            return shp_err(err, "%s has %lld directions, expected %d", shp_desc(g, node, 1),
                           (long long)w->shape.dims[0], dirs);
        if (hidden >= 0 && w->shape.dims[1] >= 0 && w->shape.dims[1] != gates * hidden)
            return shp_err(err, "%s does not have %d*hidden_size=%lld rows", shp_desc(g, node, 1), gates,
                           (long long)(gates * hidden));
        if (x->shape.rank == 3 && x->shape.dims[2] >= 0 && w->shape.dims[2] >= 0 && x->shape.dims[2] != w->shape.dims[2])
            return shp_err(err, "input size of %s does not match %s", shp_desc(g, node, 0), shp_desc(g, node, 1));
    }
    int64_t seq = -1, batch = -1;
    const char *seq_sym = NULL, *batch_sym = NULL;
    if (x->shape.rank == 3) {
        seq = x->shape.dims[layout ? 1 : 0];
        seq_sym = x->shape.sym[layout ? 1 : 0];
        batch = x->shape.dims[layout ? 0 : 1];
        batch_sym = x->shape.sym[layout ? 0 : 1];
    }
    IrShape ys = shp_rank(4), hs = shp_rank(3);
    int si = layout ? 1 : 0, bi = layout ? 0 : 2, di = layout ? 2 : 1;
    ys.dims[si] = seq, ys.sym[si] = seq_sym;
    ys.dims[bi] = batch, ys.sym[bi] = batch_sym;
    shp_dim(&ys, di, dirs);
    shp_dim(&ys, 3, hidden);
    int hb = layout ? 0 : 1, hd = layout ? 1 : 0;
    hs.dims[hb] = batch, hs.sym[hb] = batch_sym;
    shp_dim(&hs, hd, dirs);
    shp_dim(&hs, 2, hidden);
    shp_set(shp_out(g, node, 0), x->dtype, &ys);
    shp_set(shp_out(g, node, 1), x->dtype, &hs);
    shp_set(shp_out(g, node, 2), x->dtype, &hs);
    return DLA_OK;
}
