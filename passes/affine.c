/* affine.c - pass_affine: per-channel affine ops become the depthwise 1x1
 * Conv the accelerator already runs.
 *
 * Requires: a canonicalized float graph with shapes inferred (bn-fold has
 *   folded the BatchNormalizations that follow a Conv). Runs only when
 *   PassContext.quantize is set (the float-only pipeline keeps the ops as
 *   written), before partition, and after any fusion that wants to see the
 *   ops as written (a unary element-wise subgraph such as x * Relu6(x + 3) / 6
 *   is better as one table than as convolutions).
 * Establishes: each of these, over a float NCHW activation X of C channels,
 *   is a Conv(X, W[C,1,1,1], B[C]) with group = C, kernel 1x1, producing the
 *   same value:
 *    - BatchNormalization (inference mode, constant parameters) that does not
 *      follow a Conv: W = scale / sqrt(var + eps), B = bias - mean * W
 *      (double, rounded once to float, as bn-fold);
 *    - Mul, Add, Sub, Div of X and a constant K that is a scalar or a
 *      per-channel vector (every dim 1 but the channel dim, right-aligned):
 *      X*K (W = K, B = 0), X+K (1, K), X-K (1, -K), K-X (-1, K), X/K (1/K, 0);
 *   a PRelu with one constant slope is the LeakyRelu of that slope (a table,
 *   docs/quant.md QLut); with per-channel slopes all <= 1 it is
 *   Max(X, X*a) (all >= 1: Min), X*a a depthwise Conv inserted before it.
 *   Constants that are not finite, K/X and slopes on both sides of 1 stay.
 *
 * When X is the only use of a Conv's output, the scale and shift fold into
 * that Conv's weights and bias instead (no layer at all; the uses counted at
 * the start of the pass decide).
 *
 * Why a convolution: a per-channel scale and shift is exactly what QConv's
 * requantization of a depthwise 1x1 kernel computes (docs/quant.md QConv),
 * with one rounding, on the GEMM array's depthwise mode, fused with a
 * following Relu/Clip; nothing new to quantize, lower or verify. A per-tensor
 * constant takes the same path: it would also fold into a table, but a table
 * needs its input on the accelerator and a chain of such ops is the unary
 * fusion's (see above) to make one table of. */
#include "passes/passes.h"
#include "passes/pass_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A float activation of rank 4 with a known channel count. */
static int is_nchw(const IrGraph *g, int32_t v)
{
    if (v < 0)
        return 0;
    const IrValue *x = &g->values[v];
    return x->dtype == DT_FLOAT && !(x->flags & IR_VAL_CONST) && x->shape.rank == 4 && x->shape.dims[1] > 0;
}

/* Element i of a float constant (the data may be an unaligned mapping). */
static float cf(const IrGraph *g, int32_t v, int64_t i)
{
    float f;
    memcpy(&f, (const char *)g->values[v].data + i * 4, 4);
    return f;
}

/* A float constant with `count` elements, or 0. */
static int const_f32(const IrGraph *g, int32_t v, int64_t count)
{
    return v >= 0 && pu_is_const(g, v) && g->values[v].dtype == DT_FLOAT &&
           ir_shape_numel(&g->values[v].shape) == count && g->values[v].nbytes == (size_t)count * 4;
}

/* K broadcast against an [N,C,H,W] X: 1 if a scalar or per-channel vector
 * (*per_channel set), 0 otherwise. */
static int channel_const(const IrGraph *g, int32_t k, int64_t C, int *per_channel)
{
    if (k < 0 || !pu_is_const(g, k) || g->values[k].dtype != DT_FLOAT || !ir_shape_known(&g->values[k].shape))
        return 0;
    const IrShape *s = &g->values[k].shape;
    int64_t n = ir_shape_numel(s);
    if (s->rank > 4 || g->values[k].nbytes != (size_t)n * 4)
        return 0;
    for (int i = 0; i < s->rank; i++) {
        int ax = i + 4 - s->rank; /* right-aligned against N, C, H, W */
        if (s->dims[i] != 1 && !(ax == 1 && s->dims[i] == C))
            return 0;
    }
    *per_channel = n == C && n != 1;
    return n == 1 || n == C;
}

/* Node n becomes Conv(x, W, B) with group C: in place, so the order and the
 * output value stay. w and b (C floats each, malloc'd) are adopted. */
static void to_dwconv(IrGraph *g, int32_t n, int32_t x, float *w, float *b, int64_t C)
{
    char base[512];
    int64_t wd[4] = {C, 1, 1, 1};
    IrShape ws = ir_shape_make(4, wd), bs = ir_shape_make(1, &C);
    snprintf(base, sizeof base, "%.480s_dw_w", g->nodes[n].name);
    int32_t wv = ir_value_add(g, ir_unique_name(g, base), DT_FLOAT, &ws);
    ir_value_adopt_data(g, wv, w, (size_t)C * 4);
    snprintf(base, sizeof base, "%.480s_dw_b", g->nodes[n].name);
    int32_t bv = ir_value_add(g, ir_unique_name(g, base), DT_FLOAT, &bs);
    ir_value_adopt_data(g, bv, b, (size_t)C * 4);
    IrNode *nd = &g->nodes[n];
    int32_t *in = dla_arena_alloc(&g->arena, 3 * sizeof *in);
    in[0] = x, in[1] = wv, in[2] = bv;
    nd->inputs = in;
    nd->ninputs = 3;
    nd->op = OP_CONV;
    nd->op_type = "Conv";
    nd->domain = "";
    nd->nattrs = 0;
    nd->attrs = NULL;
    ir_node_add_attr(g, n, "group", IR_ATTR_INT)->i = C;
    IrAttr *k = ir_node_add_attr(g, n, "kernel_shape", IR_ATTR_INTS);
    k->n = 2;
    k->ints = dla_arena_alloc(&g->arena, 2 * sizeof *k->ints);
    k->ints[0] = k->ints[1] = 1;
}

/* When X is the only use of a Conv's output (constant float weights and
 * bias), the scale and shift fold into that Conv instead (as bn-fold does):
 * W'[o] = W[o] * w[o], B'[o] = B[o] * w[o] + b[o], in double, rounded once;
 * the Conv then produces node n's output and n is dead. New weight values
 * (the old ones may be shared). */
static int fold_into_conv(IrGraph *g, int32_t n, int32_t x, const float *w, const float *b, int64_t C,
                          const int32_t *uses)
{
    int32_t p = g->values[x].producer;
    int32_t y = g->nodes[n].outputs[0];
    int ok = p >= 0 && uses[x] == 1 && !(g->values[x].flags & IR_VAL_OUTPUT) && !pu_used_by_subgraph(g, x) &&
             !g->nodes[p].dead && g->nodes[p].op == OP_CONV && g->nodes[p].noutputs == 1 && g->nodes[p].ninputs >= 2;
    int32_t wv = ok ? g->nodes[p].inputs[1] : -1, bv = ok ? ir_in(g, p, 2) : -1;
    int64_t per = 0;
    if (ok) {
        const IrValue *W = &g->values[wv];
        ok = pu_is_const(g, wv) && W->dtype == DT_FLOAT && W->shape.rank >= 3 && W->shape.dims[0] == C &&
             ir_shape_known(&W->shape) && W->nbytes == (size_t)ir_shape_numel(&W->shape) * 4 &&
             (bv < 0 || const_f32(g, bv, C));
        per = ok ? ir_shape_numel(&W->shape) / C : 0;
    }
    if (!ok)
        return 0;
    float *nw = dla_malloc((size_t)(C * per) * 4), *nb = dla_malloc((size_t)C * 4);
    for (int64_t o = 0; o < C; o++) {
        for (int64_t i = 0; i < per; i++)
            nw[o * per + i] = (float)((double)cf(g, wv, o * per + i) * (double)w[o]);
        nb[o] = (float)((bv >= 0 ? (double)cf(g, bv, o) : 0.0) * (double)w[o] + (double)b[o]);
    }
    char base[512];
    snprintf(base, sizeof base, "%.480s_scaled", g->values[wv].name);
    IrShape ws = g->values[wv].shape, bs = ir_shape_make(1, &C);
    int32_t nwv = ir_value_add(g, ir_unique_name(g, base), DT_FLOAT, &ws);
    ir_value_adopt_data(g, nwv, nw, (size_t)(C * per) * 4);
    snprintf(base, sizeof base, "%.480s_bias_scaled", g->nodes[p].name);
    int32_t nbv = ir_value_add(g, ir_unique_name(g, base), DT_FLOAT, &bs);
    ir_value_adopt_data(g, nbv, nb, (size_t)C * 4);
    IrNode *c = &g->nodes[p];
    int32_t *in = dla_arena_alloc(&g->arena, 3 * sizeof *in);
    in[0] = c->inputs[0], in[1] = nwv, in[2] = nbv;
    c->inputs = in;
    c->ninputs = 3;
    c->outputs[0] = y;
    g->values[y].producer = p;
    g->values[x].producer = -1;
    g->nodes[n].dead = 1;
    return 1;
}

static int finite_all(const float *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            return 0;
    return 1;
}

static int try_bn(IrGraph *g, int32_t n, const int32_t *uses)
{
    const IrNode *b = &g->nodes[n];
    int32_t x = b->ninputs == 5 ? b->inputs[0] : -1;
    if (!is_nchw(g, x) || ir_attr_int(g, n, "training_mode", 0) != 0)
        return 0;
    for (int32_t k = 1; k < b->noutputs; k++)
        if (b->outputs[k] >= 0 && uses[b->outputs[k]] > 0)
            return 0;
    int64_t C = g->values[x].shape.dims[1];
    for (int i = 1; i < 5; i++)
        if (!const_f32(g, b->inputs[i], C))
            return 0;
    double eps = ir_attr_float(g, n, "epsilon", 1e-5f);
    float *w = dla_malloc((size_t)C * 4), *sh = dla_malloc((size_t)C * 4);
    for (int64_t c = 0; c < C; c++) {
        double s = (double)cf(g, b->inputs[1], c) / sqrt((double)cf(g, b->inputs[4], c) + eps);
        w[c] = (float)s;
        sh[c] = (float)((double)cf(g, b->inputs[2], c) - (double)cf(g, b->inputs[3], c) * s);
    }
    if (!finite_all(w, C) || !finite_all(sh, C)) {
        free(w);
        free(sh);
        return 0;
    }
    for (int32_t k = 1; k < g->nodes[n].noutputs; k++) /* the training-only outputs are unused */
        if (g->nodes[n].outputs[k] >= 0)
            g->values[g->nodes[n].outputs[k]].producer = -1;
    g->nodes[n].noutputs = 1;
    if (fold_into_conv(g, n, x, w, sh, C, uses)) {
        free(w);
        free(sh);
    } else {
        to_dwconv(g, n, x, w, sh, C);
    }
    return 1;
}

static int try_binary(IrGraph *g, int32_t n, const int32_t *uses)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->ninputs != 2 || nd->noutputs != 1 || nd->outputs[0] < 0)
        return 0;
    if (ir_graph_opset(g, "") < 7 && ir_attr_int(g, n, "broadcast", 0))
        return 0; /* the old axis-relative broadcasting */
    int xi = is_nchw(g, nd->inputs[0]) ? 0 : is_nchw(g, nd->inputs[1]) ? 1 : -1;
    if (xi < 0)
        return 0;
    int32_t x = nd->inputs[xi], k = nd->inputs[1 - xi], y = nd->outputs[0];
    int64_t C = g->values[x].shape.dims[1];
    int pc;
    if (!channel_const(g, k, C, &pc) || !ir_shape_equal(&g->values[y].shape, &g->values[x].shape))
        return 0;
    if (nd->op == OP_DIV && xi == 1)
        return 0; /* K / X is not affine */
    float *w = dla_malloc((size_t)C * 4), *b = dla_malloc((size_t)C * 4);
    for (int64_t c = 0; c < C; c++) {
        float kc = cf(g, k, pc ? c : 0);
        switch (nd->op) {
        case OP_MUL: w[c] = kc, b[c] = 0.0f; break;
        case OP_ADD: w[c] = 1.0f, b[c] = kc; break;
        case OP_SUB: w[c] = xi == 0 ? 1.0f : -1.0f, b[c] = xi == 0 ? -kc : kc; break;
        default: w[c] = 1.0f / kc, b[c] = 0.0f; break; /* Div */
        }
    }
    if (!finite_all(w, C) || !finite_all(b, C)) {
        free(w);
        free(b);
        return 0;
    }
    if (fold_into_conv(g, n, x, w, b, C, uses)) {
        free(w);
        free(b);
    } else {
        to_dwconv(g, n, x, w, b, C);
    }
    return 1;
}

/* A new node placed at index `at` (before the node there): appended, then
 * moved, producers renumbered, so the order stays topological. */
static int32_t insert_node(IrGraph *g, int32_t at, const char *name, const char *op, const int32_t *in, int nin,
                           int32_t out)
{
    int32_t m = ir_node_add(g, name, op, "", in, nin, &out, 1);
    IrNode t = g->nodes[m];
    memmove(&g->nodes[at + 1], &g->nodes[at], (size_t)(m - at) * sizeof t);
    g->nodes[at] = t;
    for (int32_t v = 0; v < g->nvalues; v++)
        if (g->values[v].producer >= at && g->values[v].producer < m)
            g->values[v].producer++;
    g->values[out].producer = at;
    return at;
}

/* PRelu(X, slope): one slope value is LeakyRelu(X, alpha = slope) (a table).
 * Per-channel slopes a[c] <= 1 everywhere: Max(X, X * a) (x >= a*x exactly
 * when x >= 0); a[c] >= 1 everywhere: Min(X, X * a); the product is a
 * depthwise 1x1 Conv. Returns the number of nodes inserted before n. */
static int try_prelu(IrGraph *g, int32_t n)
{
    IrNode *nd = &g->nodes[n];
    int32_t x = nd->ninputs == 2 ? nd->inputs[0] : -1, s = nd->ninputs == 2 ? nd->inputs[1] : -1;
    if (x < 0 || g->values[x].dtype != DT_FLOAT || s < 0)
        return 0;
    if (const_f32(g, s, 1)) {
        float a = cf(g, s, 0);
        if (!isfinite(a))
            return 0;
        nd->op = OP_LEAKY_RELU;
        nd->op_type = "LeakyRelu";
        nd->ninputs = 1;
        nd->nattrs = 0;
        nd->attrs = NULL;
        ir_node_add_attr(g, n, "alpha", IR_ATTR_FLOAT)->f = a;
        return 0;
    }
    int pc;
    if (!is_nchw(g, x) || nd->noutputs != 1 || !channel_const(g, s, g->values[x].shape.dims[1], &pc) || !pc)
        return 0;
    int64_t C = g->values[x].shape.dims[1];
    int le1 = 1, ge1 = 1;
    for (int64_t c = 0; c < C; c++) {
        float a = cf(g, s, c);
        le1 &= a <= 1.0f, ge1 &= a >= 1.0f;
    }
    if (!le1 && !ge1)
        return 0; /* some channels below 1, some above: neither max nor min */
    float *w = dla_malloc((size_t)C * 4), *b = dla_calloc((size_t)C, 4);
    for (int64_t c = 0; c < C; c++)
        w[c] = cf(g, s, c);
    if (!finite_all(w, C)) {
        free(w);
        free(b);
        return 0;
    }
    char base[512];
    snprintf(base, sizeof base, "%.480s_ax", g->nodes[n].name);
    IrShape xs = g->values[x].shape;
    int32_t ax = ir_value_add(g, ir_unique_name(g, base), DT_FLOAT, &xs);
    int32_t c = insert_node(g, n, ir_unique_name(g, base), "Mul", (int32_t[]){x, s}, 2, ax);
    to_dwconv(g, c, x, w, b, C);
    n++;
    nd = &g->nodes[n];
    int32_t *in = dla_arena_alloc(&g->arena, 2 * sizeof *in);
    in[0] = x, in[1] = ax;
    nd->inputs = in;
    nd->op = le1 ? OP_MAX : OP_MIN;
    nd->op_type = le1 ? "Max" : "Min";
    nd->nattrs = 0;
    nd->attrs = NULL;
    return 1;
}

DlaStatus pass_affine(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    (void)err;
    if (!ctx->quantize)
        return DLA_OK;
    int32_t *uses = pu_use_counts(g);
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        /* a member of an element-wise group (act-group runs first) becomes
         * part of one lookup table: `x + 3` inside hard-swish stays as it is */
        if (nd->dead || nd->act_group > 0)
            continue;
        switch (nd->op) {
        case OP_BATCH_NORMALIZATION: try_bn(g, n, uses); break;
        case OP_MUL:
        case OP_ADD:
        case OP_SUB:
        case OP_DIV: try_binary(g, n, uses); break;
        case OP_PRELU: n += try_prelu(g, n); break;
        default: break;
        }
    }
    free(uses);
    ir_graph_compact(g);
    return DLA_OK;
}
