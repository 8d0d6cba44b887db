/* bn_fold.c - pass_bn_fold: fold BatchNormalization into the preceding Conv.
 *
 * Requires: Conv weights (and bias, if any) and the BatchNormalization
 *   parameters are float32 constants; dtypes and shapes known for them.
 * Establishes: every inference-mode BatchNormalization whose input is the only
 *   use of a Conv's output is gone; that Conv now has folded weights and a bias
 *   (new constant values, since the original weights may be shared) and
 *   produces the BatchNormalization's output value directly.
 *
 * Math (ONNX BatchNormalization, inference): y = scale*(x-mean)/sqrt(var+eps) + B,
 * per channel c of dim 1. With x = conv(W, b) and s[c] = scale[c]/sqrt(var[c]+eps):
 *     W'[c,...] = W[c,...] * s[c]
 *     b'[c]     = (b[c] - mean[c]) * s[c] + B[c]        (b = 0 without a bias)
 * s and the products are computed in double from the float parameters and rounded
 * once to float, so the folded Conv differs from Conv-then-BN only by that one
 * rounding per weight (and by the changed summation order at run time). */
#include "passes/passes.h"
#include "passes/pass_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A float32 constant with exactly `count` elements, or NULL. */
static const float *param(IrGraph *g, int32_t v, int64_t count)
{
    if (!pu_is_const(g, v) || g->values[v].dtype != DT_FLOAT ||
        ir_shape_numel(&g->values[v].shape) != count || g->values[v].nbytes != (size_t)count * 4)
        return NULL;
    return g->values[v].data;
}

/* Is the data 4-byte aligned? Constants may borrow an unaligned file mapping;
 * those are copied before reading as float. */
static const float *aligned(const float *p, size_t nbytes, float **copy)
{
    *copy = NULL;
    if (((uintptr_t)p & 3u) == 0)
        return p;
    *copy = dla_malloc(nbytes ? nbytes : 1);
    memcpy(*copy, p, nbytes);
    return *copy;
}

static int try_fold(IrGraph *g, int32_t bn, const int32_t *uses)
{
    IrNode *b = &g->nodes[bn];
    if (b->ninputs != 5 || b->noutputs < 1 || ir_attr_int(g, bn, "training_mode", 0) != 0)
        return 0;
    for (int32_t k = 1; k < b->noutputs; k++) /* training-only outputs must be unused */
        if (b->outputs[k] >= 0 && uses[b->outputs[k]] > 0)
            return 0;
    int32_t x = b->inputs[0];
    if (x < 0 || g->values[x].producer < 0 || uses[x] != 1 ||
        (g->values[x].flags & IR_VAL_OUTPUT) || pu_used_by_subgraph(g, x))
        return 0;
    int32_t cn = g->values[x].producer;
    IrNode *c = &g->nodes[cn];
    if (c->dead || c->op != OP_CONV || c->noutputs != 1 || c->ninputs < 2)
        return 0;
    int32_t w = c->inputs[1], bias = ir_in(g, cn, 2);
    const IrValue *wv = w >= 0 ? &g->values[w] : NULL;
    if (!wv || !pu_is_const(g, w) || wv->dtype != DT_FLOAT || wv->shape.rank < 3 ||
        ir_shape_numel(&wv->shape) < 0)
        return 0;
    int64_t m = wv->shape.dims[0], per = m ? ir_shape_numel(&wv->shape) / m : 0;
    const float *pw = param(g, w, m * per), *pb = bias >= 0 ? param(g, bias, m) : NULL;
    const float *ps = param(g, b->inputs[1], m), *pB = param(g, b->inputs[2], m);
    const float *pm = param(g, b->inputs[3], m), *pv = param(g, b->inputs[4], m);
    if (!pw || (bias >= 0 && !pb) || !ps || !pB || !pm || !pv || m <= 0)
        return 0;
    double eps = ir_attr_float(g, bn, "epsilon", 1e-5f);
    float *cp[6];
    pw = aligned(pw, (size_t)(m * per) * 4, &cp[0]);
    pb = pb ? aligned(pb, (size_t)m * 4, &cp[1]) : (cp[1] = NULL, NULL);
    ps = aligned(ps, (size_t)m * 4, &cp[2]);
    pB = aligned(pB, (size_t)m * 4, &cp[3]);
    pm = aligned(pm, (size_t)m * 4, &cp[4]);
    pv = aligned(pv, (size_t)m * 4, &cp[5]);

    float *nw = dla_malloc((size_t)(m * per) * sizeof *nw), *nb = dla_malloc((size_t)m * sizeof *nb);
    for (int64_t o = 0; o < m; o++) {
        double s = (double)ps[o] / sqrt((double)pv[o] + eps);
        for (int64_t i = 0; i < per; i++)
            nw[o * per + i] = (float)((double)pw[o * per + i] * s);
        nb[o] = (float)(((pb ? (double)pb[o] : 0.0) - (double)pm[o]) * s + (double)pB[o]);
    }
    for (int i = 0; i < 6; i++)
        free(cp[i]);

    char name[512];
    snprintf(name, sizeof name, "%.400s_bnfold", wv->name);
    IrShape wshape = wv->shape;
    int32_t nwv = ir_value_add(g, ir_unique_name(g, name), DT_FLOAT, &wshape);
    ir_value_adopt_data(g, nwv, nw, (size_t)(m * per) * sizeof *nw);
    snprintf(name, sizeof name, "%.400s_bias_bnfold", g->nodes[cn].name[0] ? g->nodes[cn].name : "conv");
    IrShape bshape = ir_shape_make(1, &m);
    int32_t nbv = ir_value_add(g, ir_unique_name(g, name), DT_FLOAT, &bshape);
    ir_value_adopt_data(g, nbv, nb, (size_t)m * sizeof *nb);

    c = &g->nodes[cn]; /* ir_value_add does not move nodes, but stay explicit */
    b = &g->nodes[bn];
    if (c->ninputs < 3) { /* the Conv gains a bias input */
        int32_t *in = dla_arena_alloc(&g->arena, 3 * sizeof *in);
        in[0] = c->inputs[0];
        c->inputs = in;
        c->ninputs = 3;
    }
    c->inputs[1] = nwv;
    c->inputs[2] = nbv;
    int32_t y = b->outputs[0];
    c->outputs[0] = y;
    g->values[y].producer = cn;
    g->values[x].producer = -1;
    b->dead = 1;
    return 1;
}

DlaStatus pass_bn_fold(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    (void)ctx;
    (void)err;
    int32_t *uses = pu_use_counts(g);
    for (int32_t n = 0; n < g->nnodes; n++)
        if (!g->nodes[n].dead && g->nodes[n].op == OP_BATCH_NORMALIZATION)
            try_fold(g, n, uses);
    free(uses);
    ir_graph_compact(g);
    return DLA_OK;
}
