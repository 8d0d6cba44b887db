/* qref_upsample.c - QResize and QZeroInsert, straight from docs/quant.md
 * ("Upsampling") and QInterleave: one loop over the NCHW output, the taps from
 * quant/quant_resize.h (the one definition of the coordinate rules). */
#include "qref_upsample.h"

#include <string.h>

#include "quant/quant_resize.h"

/* NCHW dims of an int8 rank-4 value with per-tensor quantization. */
static DlaStatus dims4(const IrGraph *g, int32_t node, int32_t v, int64_t d[4], int32_t *zp, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    if (v < 0 || g->values[v].shape.rank != 4 || ir_shape_numel(&g->values[v].shape) < 0 ||
        g->values[v].quant.count != 1)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "qref: node '%s' (%s): needs known NCHW int8 tensors with per-tensor quantization",
                          nd->name, nd->op_type);
    memcpy(d, g->values[v].shape.dims, 4 * sizeof *d);
    *zp = g->values[v].quant.zero_point[0];
    return DLA_OK;
}

/* QResize: Y[n,c,oh,ow] = X[n,c,ih(oh),iw(ow)] (nearest), or
 * rshift_rne(sum_{a,b} wy_a * wx_b * X[n,c,i_a,j_b], 2*shift) (linear),
 * wy_0 = 2^shift - wy, wy_1 = wy (the same along x). Y has X's scale and zero
 * point; the weights sum to 2^(2*shift), so the zero point passes through. */
DlaStatus qref_run_resize(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    int64_t xd[4], yd[4];
    int32_t zx, zy;
    DlaStatus st;
    int32_t xv = ir_in(g, node, 0), yv = nd->outputs[0];
    if ((st = dims4(g, node, xv, xd, &zx, err)) || (st = dims4(g, node, yv, yd, &zy, err)))
        return st;
    int coord = quant_resize_coord_parse(ir_attr_string(g, node, "coordinate_transformation_mode", "half_pixel"));
    const char *mode = ir_attr_string(g, node, "mode", "nearest");
    int linear = !strcmp(mode, "linear");
    int nearest = linear ? QUANT_RN_LINEAR : quant_resize_nearest_parse(ir_attr_string(g, node, "nearest_mode",
                                                                                          "round_prefer_floor"));
    if (coord < 0 || (!linear && (strcmp(mode, "nearest") || nearest < 0)) || yd[0] != xd[0] || yd[1] != xd[1] ||
        zx != zy || g->values[xv].quant.scale[0] != g->values[yv].quant.scale[0])
        return dla_errorf(err, DLA_ERR_INVALID,
                          "qref: node '%s' (QResize): bad mode/coordinates or output shape/quantization", nd->name);
    const int K = QUANT_RESIZE_SHIFT;
    const int8_t *x = vals[xv];
    int8_t *y = vals[yv];
    int64_t H = xd[2], W = xd[3], OH = yd[2], OW = yd[3];
    for (int64_t oh = 0; oh < OH; oh++) {
        QuantResizeTap ty = quant_resize_tap(coord, nearest, oh, H, OH, K);
        for (int64_t ow = 0; ow < OW; ow++) {
            QuantResizeTap tx = quant_resize_tap(coord, nearest, ow, W, OW, K);
            for (int64_t nc = 0; nc < xd[0] * xd[1]; nc++) {
                const int8_t *p = x + nc * H * W;
                int64_t v;
                if (!linear) {
                    v = p[ty.i0 * W + tx.i0];
                } else {
                    int64_t one = (int64_t)1 << K;
                    int64_t r0 = (one - tx.w) * p[ty.i0 * W + tx.i0] + tx.w * p[ty.i0 * W + tx.i1];
                    int64_t r1 = (one - tx.w) * p[ty.i1 * W + tx.i0] + tx.w * p[ty.i1 * W + tx.i1];
                    v = quant_rshift_rne((one - ty.w) * r0 + ty.w * r1, 2 * K);
                }
                y[(nc * OH + oh) * OW + ow] = (int8_t)v;
            }
        }
    }
    return DLA_OK;
}

/* QZeroInsert: Y = zx everywhere but Y[n,c,ih*sh,iw*sw] = X[n,c,ih,iw]; Y has
 * X's quantization (zx is the real value 0). */
DlaStatus qref_run_zero_insert(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    int64_t xd[4], yd[4];
    int32_t zx, zy;
    DlaStatus st;
    int32_t xv = ir_in(g, node, 0), yv = nd->outputs[0];
    if ((st = dims4(g, node, xv, xd, &zx, err)) || (st = dims4(g, node, yv, yd, &zy, err)))
        return st;
    const int64_t *s;
    if (ir_attr_ints(g, node, "strides", &s) != 2 || s[0] < 1 || s[1] < 1 || zx != zy ||
        yd[2] != (xd[2] - 1) * s[0] + 1 || yd[3] != (xd[3] - 1) * s[1] + 1)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QZeroInsert): bad strides or output", nd->name);
    const int8_t *x = vals[xv];
    int8_t *y = vals[yv];
    int64_t H = xd[2], W = xd[3], OH = yd[2], OW = yd[3];
    memset(y, zx, (size_t)(xd[0] * xd[1] * OH * OW));
    for (int64_t nc = 0; nc < xd[0] * xd[1]; nc++)
        for (int64_t ih = 0; ih < H; ih++)
            for (int64_t iw = 0; iw < W; iw++)
                y[(nc * OH + ih * s[0]) * OW + iw * s[1]] = x[(nc * H + ih) * W + iw];
    return DLA_OK;
}

/* QInterleave: Y[n,c,oh,ow] = P_{(oh%sh)*sw + ow%sw}[n,c,oh/sh,ow/sw]; every
 * input has Y's quantization (a pure copy). */
DlaStatus qref_run_interleave(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    int64_t yd[4], pd[4];
    int32_t zy, zp;
    DlaStatus st;
    if ((st = dims4(g, node, nd->outputs[0], yd, &zy, err)))
        return st;
    const int64_t *s;
    if (ir_attr_ints(g, node, "strides", &s) != 2 || s[0] < 1 || s[1] < 1 || nd->ninputs != s[0] * s[1])
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QInterleave): bad strides", nd->name);
    int8_t *y = vals[nd->outputs[0]];
    for (int32_t i = 0; i < nd->ninputs; i++) {
        if ((st = dims4(g, node, nd->inputs[i], pd, &zp, err)))
            return st;
        int64_t ph = i / s[1], pw = i % s[1];
        if (zp != zy || pd[0] != yd[0] || pd[1] != yd[1] || pd[2] < (yd[2] - ph + s[0] - 1) / s[0] ||
            pd[3] < (yd[3] - pw + s[1] - 1) / s[1])
            return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (QInterleave): input %d does not fit", nd->name,
                              (int)i);
        const int8_t *p = vals[nd->inputs[i]];
        for (int64_t nc = 0; nc < yd[0] * yd[1]; nc++)
            for (int64_t oh = ph; oh < yd[2]; oh += s[0])
                for (int64_t ow = pw; ow < yd[3]; ow += s[1])
                    y[(nc * yd[2] + oh) * yd[3] + ow] = p[(nc * pd[2] + oh / s[0]) * pd[3] + ow / s[1]];
    }
    return DLA_OK;
}
