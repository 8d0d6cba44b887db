/* qref_pad.c - the integer reference of QPad (docs/quant.md, "Padding and
 * pooling"): a pure data movement on int8 NCHW tensors, the output with the
 * input's scale and zero point. For output row h (and likewise column w)
 * with i = h - top:
 *   constant: X row i if 0 <= i < H, else the int8 `value`;
 *   edge:     X row clamp(i, 0, H-1);
 *   reflect:  X row |i| if i < 0, 2*(H-1) - i if i >= H (pads < H).
 * A position is `value` when its row or its column is outside (constant). */
#include "qref_int.h"

#include <string.h>

#include "ops.h"

/* Source index of padded position i (already shifted by the leading pad) in
 * [0, n), or -1 for a constant pad position. */
static int64_t src_index(int64_t i, int64_t n, int mode)
{
    if (i >= 0 && i < n)
        return i;
    if (mode == 0)
        return -1;
    if (mode == 1)
        return i < 0 ? 0 : n - 1;
    return i < 0 ? -i : 2 * (n - 1) - i;
}

DlaStatus qref_run_pad(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    int32_t xv = ir_in(g, node, 0), yv = nd->outputs[0];
    const IrShape *xs = &g->values[xv].shape, *ys = &g->values[yv].shape;
    const int64_t *p;
    const char *ms = ir_node_attr_s(g, node, "mode");
    int mode = !strcmp(ms, "constant") ? 0 : !strcmp(ms, "edge") ? 1 : !strcmp(ms, "reflect") ? 2 : -1;
    if (xs->rank != 4 || ys->rank != 4 || ir_attr_ints(g, node, "pads", &p) != 4 || mode < 0)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QPad): needs rank-4 tensors, 4 pads and a known mode",
                          nd->name);
    int64_t N = xs->dims[0], C = xs->dims[1], H = xs->dims[2], W = xs->dims[3], OH = ys->dims[2], OW = ys->dims[3];
    if (ys->dims[0] != N || ys->dims[1] != C || OH != H + p[0] + p[2] || OW != W + p[1] + p[3] ||
        (mode == 2 && (p[0] >= H || p[2] >= H || p[1] >= W || p[3] >= W)))
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QPad): output shape does not match the pads",
                          nd->name);
    int8_t value = (int8_t)ir_node_attr_i(g, node, "value");
    const int8_t *xd = vals[xv];
    int8_t *yd = vals[yv];
    for (int64_t nc = 0; nc < N * C; nc++)
        for (int64_t h = 0; h < OH; h++) {
            int64_t ih = src_index(h - p[0], H, mode);
            for (int64_t w = 0; w < OW; w++) {
                int64_t iw = src_index(w - p[1], W, mode);
                yd[(nc * OH + h) * OW + w] = ih < 0 || iw < 0 ? value : xd[(nc * H + ih) * W + iw];
            }
        }
    return DLA_OK;
}
