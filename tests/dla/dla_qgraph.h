/* dla_qgraph.h - building small quantized graphs (dlacc-domain Q-ops with
 * random int8 weights from a fixed-seed generator) for the tests of the DLA
 * lowering (test_dla_lower.c, test_dla_passes.c). Header-only: each test
 * executable has its own generator state. */
#ifndef DLA_TESTS_DLA_QGRAPH_H
#define DLA_TESTS_DLA_QGRAPH_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dla_mem.h"
#include "dla_test.h"
#include "ir.h"
#include "ir_build_test.h"
#include "ops.h"

static uint64_t rng_state;
static inline uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}
static inline int rnd_i8(void) { return (int)(rnd() % 256) - 128; }
static inline float rnd_unit(void) { return (float)(rnd() % 1000000) / 1000000.0f; }

/* ------------------------------------------------------------ graph building */

static inline int32_t act(IrGraph *g, const char *name, int rank, const int64_t *dims, float scale, int zp)
{
    IrShape s = ir_shape_make(rank, dims);
    int32_t v = ir_value_add(g, name, DT_INT8, &s);
    set_quant(g, v, scale, zp);
    return v;
}

static inline int32_t const_i8(IrGraph *g, const char *name, int rank, const int64_t *dims)
{
    IrShape s = ir_shape_make(rank, dims);
    int32_t v = ir_value_add(g, name, DT_INT8, &s);
    int64_t n = ir_shape_numel(&s);
    int8_t *d = dla_malloc((size_t)n);
    for (int64_t i = 0; i < n; i++)
        d[i] = (int8_t)rnd_i8();
    ir_value_adopt_data(g, v, d, (size_t)n);
    return v;
}

static inline int32_t const_i32(IrGraph *g, const char *name, int64_t n, int32_t range)
{
    IrShape s = ir_shape_make(1, &n);
    int32_t v = ir_value_add(g, name, DT_INT32, &s);
    int32_t *d = dla_malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++)
        d[i] = (int32_t)(rnd() % (2u * (uint32_t)range + 1)) - range;
    ir_value_adopt_data(g, v, d, (size_t)n * 4);
    return v;
}

static inline void attr_int(IrGraph *g, int32_t node, const char *name, int64_t v)
{
    ir_node_add_attr(g, node, name, IR_ATTR_INT)->i = v;
}

static inline void attr_float(IrGraph *g, int32_t node, const char *name, float v)
{
    ir_node_add_attr(g, node, name, IR_ATTR_FLOAT)->f = v;
}

static inline void attr_floats(IrGraph *g, int32_t node, const char *name, int n, const float *v)
{
    IrAttr *a = ir_node_add_attr(g, node, name, IR_ATTR_FLOATS);
    a->n = n;
    a->floats = dla_arena_memdup(&g->arena, v, (size_t)n * sizeof *v);
}

/* A node with a fresh output value; finish() infers its shape and quantizes it. */
static inline int32_t node(IrGraph *g, const char *op, const int32_t *in, int nin, const char *out)
{
    int32_t y = ir_value_add(g, out, DT_UNDEFINED, NULL);
    char name[64];
    snprintf(name, sizeof name, "%s_node", out);
    return ir_node_add(g, name, op, "dlacc", in, nin, &y, 1);
}

static inline int32_t finish(IrGraph *g, int32_t n, float scale, int zp)
{
    DlaError e = {0};
    DlaStatus st = ir_op_table[g->nodes[n].op].shape(g, n, &e);
    if (st)
        fprintf(stderr, "shape: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    int32_t y = g->nodes[n].outputs[0];
    set_quant(g, y, scale, zp);
    return y;
}

typedef struct ConvSpec {
    int64_t n, ic, h, w, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
    int relu, clip;
} ConvSpec;

/* Add a QConv reading x; random weights, bias and per-channel scales of a
 * magnitude that keeps outputs mostly inside the int8 range. */
static inline int32_t add_conv(IrGraph *g, int32_t x, const ConvSpec *c, const char *out)
{
    char nm[80];
    int64_t icg = c->ic / c->group, wd[4] = {c->oc, icg, c->kh, c->kw};
    snprintf(nm, sizeof nm, "%s_w", out);
    int32_t w = const_i8(g, nm, 4, wd);
    double k = (double)(icg * c->kh * c->kw);
    snprintf(nm, sizeof nm, "%s_b", out);
    int32_t b = const_i32(g, nm, c->oc, (int32_t)(3000 * sqrt(k)));
    int32_t in[3] = {x, w, b};
    int32_t n = node(g, "QConv", in, 3, out);
    int64_t ks[2] = {c->kh, c->kw}, st[2] = {c->sh, c->sw}, dl[2] = {c->dh, c->dw}, pd[4] = {c->pt, c->pl, c->pb, c->pr};
    attr_ints(g, n, "kernel_shape", 2, ks);
    attr_ints(g, n, "strides", 2, st);
    attr_ints(g, n, "dilations", 2, dl);
    attr_ints(g, n, "pads", 4, pd);
    attr_int(g, n, "group", c->group);
    float *sc = dla_malloc((size_t)c->oc * sizeof *sc);
    for (int64_t i = 0; i < c->oc; i++)
        sc[i] = (float)((0.5 + rnd_unit()) * 0.012 / sqrt(k));
    attr_floats(g, n, "scale", (int)c->oc, sc);
    free(sc);
    int zy = rnd_i8() / 4;
    if (c->relu)
        attr_int(g, n, "lo", zy);
    if (c->clip) {
        attr_int(g, n, "lo", zy - 20);
        attr_int(g, n, "hi", zy + 30);
    }
    return finish(g, n, 0.05f, zy);
}

#endif
