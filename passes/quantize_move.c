/* quantize_move.c - accelerator data-movement nodes become the Q-ops of
 * docs/quant.md, "Data movement": QConcat, QSlice (Slice, and one per
 * output of a Split), QTranspose, QReshape (Reshape, Flatten, Squeeze,
 * Unsqueeze), QChannelShuffle (Reshape -> Transpose -> Reshape, recognised by
 * quant_shuffle_tail).
 *
 * Every op but QConcat keeps its input's scale and zero point (moving int8
 * elements is exact then). QConcat requantizes each input whose parameters
 * differ from the output's (scale[i] = sx_i / sy); qz_concat_unify first lets
 * every input that is free to choose its parameters take the output's, so
 * that the usual concatenation (of fresh Conv results) is a plain copy. */
#include "passes/passes.h"
#include "passes/pass_util.h"
#include "passes/quant.h"
#include "passes/quantize_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void attr_int(IrGraph *g, int32_t n, const char *name, int64_t v) { ir_node_add_attr(g, n, name, IR_ATTR_INT)->i = v; }

static void attr_ints(IrGraph *g, int32_t n, const char *name, const int64_t *v, int32_t k)
{
    IrAttr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
    a->n = k;
    a->ints = dla_arena_memdup(&g->arena, v, (size_t)k * sizeof *v);
}

/* A producer that sets its own output parameters (its requantization or
 * table targets any scale): Conv, Gemm, MatMul, the element-wise binary ops
 * (Add, Sub, Mul, Max, Min), average pools and ReduceMean, tables, and
 * accelerator Concats (which pass the parameters on to their inputs). Max
 * pools, Pad, Resize and the views keep their input's parameters. */
static int free_params(const IrNode *p)
{
    if (p->device != IR_DEVICE_DLA)
        return 0;
    switch (p->op) {
    case OP_CONV: case OP_GEMM: case OP_MAT_MUL: case OP_AVERAGE_POOL:
    case OP_GLOBAL_AVERAGE_POOL: case OP_REDUCE_MEAN: case OP_CONCAT:
        return 1;
    default:
        return quant_binary_op(p->op) || quant_is_lut_op(p);
    }
}

void qz_concat_unify(Qz *q, int32_t n)
{
    IrGraph *g = q->g;
    const IrNode *nd = &g->nodes[n];
    if (nd->dead || nd->device != IR_DEVICE_DLA || nd->op != OP_CONCAT || nd->noutputs != 1 || nd->outputs[0] < 0)
        return;
    const IrQuant *yq = &g->values[nd->outputs[0]].quant;
    if (yq->count != 1)
        return;
    for (int32_t i = 0; i < nd->ninputs; i++) {
        int32_t v = nd->inputs[i];
        if (v < 0 || g->values[v].quant.count != 1 || q->uses[v] != 1 || (g->values[v].flags & IR_VAL_OUTPUT) ||
            g->values[v].producer < 0 || !free_params(&g->nodes[g->values[v].producer]))
            continue;
        qz_set_quant(g, v, yq->scale[0], yq->zero_point[0]);
    }
}

/* The new Q-op `op` from int8 xq (and the other inputs) to a new int8 value
 * for float y with the given parameters. */
static int32_t add_qop(Qz *q, const char *name, const char *op, const int32_t *in, int nin, int32_t y, float s,
                       int32_t zp, int32_t *yq)
{
    *yq = qz_new_int8(q, y, s, zp);
    return ir_node_add(q->g, name, op, "dlacc", in, nin, yq, 1);
}

static DlaStatus q_concat_dla(Qz *q, int32_t n, DlaError *err)
{
    IrGraph *g = q->g;
    int32_t k = g->nodes[n].ninputs, y = g->nodes[n].outputs[0], yq, zy;
    float sy;
    DlaStatus st = qz_out(q, y, &sy, &zy, &yq, err);
    if (st)
        return st;
    int32_t *in = dla_malloc((size_t)k * sizeof *in);
    float *sc = dla_malloc((size_t)k * sizeof *sc);
    for (int32_t i = 0; i < k && !st; i++) {
        float sx;
        int32_t zx;
        st = qz_in(q, g->nodes[n].inputs[i], &in[i], &sx, &zx, err);
        sc[i] = sx == sy ? 1.0f : sx / sy; /* docs/quant.md: fp32 sx_i / sy */
    }
    if (!st) {
        int32_t nn = ir_node_add(g, g->nodes[n].name, "QConcat", "dlacc", in, k, &yq, 1);
        attr_int(g, nn, "axis", ir_attr_int(g, n, "axis", 0));
        IrAttr *a = ir_node_add_attr(g, nn, "scale", IR_ATTR_FLOATS);
        a->n = k;
        a->floats = dla_arena_memdup(&g->arena, sc, (size_t)k * sizeof *sc);
        qz_emit(q, nn);
        qz_finish_output(q, y, yq);
    }
    free(in);
    free(sc);
    return st;
}

/* QSlice of xq to float output y: starts/steps per axis, ends from y's dims
 * (INT64_MAX for an unknown batch dim, which is never sliced). */
static void q_slice_out(Qz *q, const char *name, int32_t xq, float sx, int32_t zx, int32_t y, const int64_t *starts,
                        const int64_t *steps)
{
    IrGraph *g = q->g;
    const IrShape ys = g->values[y].shape;
    int64_t ends[IR_MAX_RANK];
    for (int i = 0; i < ys.rank; i++)
        ends[i] = ys.dims[i] < 0 ? INT64_MAX : starts[i] + (ys.dims[i] - 1) * steps[i] + 1;
    int32_t yq, nn = add_qop(q, name, "QSlice", &xq, 1, y, sx, zx, &yq);
    attr_ints(g, nn, "starts", starts, ys.rank);
    attr_ints(g, nn, "ends", ends, ys.rank);
    attr_ints(g, nn, "steps", steps, ys.rank);
    qz_emit(q, nn);
    qz_finish_output(q, y, yq);
}

DlaStatus qz_move(Qz *q, int32_t n, DlaError *err)
{
    IrGraph *g = q->g;
    IrOp op = g->nodes[n].op;
    if (op == OP_CONCAT)
        return q_concat_dla(q, n, err);
    int32_t x = ir_in(g, n, 0), xq, zx;
    float sx;
    DlaStatus st = qz_in(q, x, &xq, &sx, &zx, err);
    if (st)
        return st;
    char name[512];
    int r = g->values[x].shape.rank;
    if (op == OP_SPLIT) {
        int64_t axis = ir_attr_int(g, n, "axis", 0), off = 0;
        if (axis < 0)
            axis += r;
        for (int32_t k = 0; k < g->nodes[n].noutputs; k++) {
            int32_t y = g->nodes[n].outputs[k];
            int64_t starts[IR_MAX_RANK], steps[IR_MAX_RANK];
            for (int i = 0; i < r; i++)
                starts[i] = 0, steps[i] = 1;
            starts[axis] = off;
            off += g->values[y].shape.dims[axis];
            snprintf(name, sizeof name, "%.480s_%d", g->nodes[n].name, (int)k);
            q_slice_out(q, ir_unique_name(g, name), xq, sx, zx, y, starts, steps);
        }
        return DLA_OK;
    }
    if (op == OP_SLICE) {
        int64_t starts[IR_MAX_RANK], steps[IR_MAX_RANK];
        if (!quant_slice_params(g, n, starts, steps))
            return dla_errorf(err, DLA_ERR_INVALID, "internal error: Slice parameters not constant");
        q_slice_out(q, g->nodes[n].name, xq, sx, zx, g->nodes[n].outputs[0], starts, steps);
        return DLA_OK;
    }
    int32_t tail = quant_shuffle_tail(g, n);
    if (tail >= 0) {
        /* Reshape -> Transpose -> Reshape: one QChannelShuffle, the middle
         * nodes are gone (their values are not int8: quant_int8_values) */
        int32_t mid = g->values[ir_in(g, tail, 0)].producer, y = g->nodes[tail].outputs[0], yq;
        int64_t grp = g->values[g->nodes[n].outputs[0]].shape.dims[1];
        int32_t nn = add_qop(q, g->nodes[tail].name, "QChannelShuffle", &xq, 1, y, sx, zx, &yq);
        attr_int(g, nn, "group", grp);
        qz_emit(q, nn);
        qz_finish_output(q, y, yq);
        g->nodes[mid].dead = 1;
        g->nodes[tail].dead = 1;
        return DLA_OK;
    }
    int32_t y = g->nodes[n].outputs[0], yq;
    const IrShape ys = g->values[y].shape;
    if (op == OP_TRANSPOSE) {
        int64_t perm[IR_MAX_RANK];
        const int64_t *p;
        int32_t np = ir_attr_ints(g, n, "perm", &p);
        for (int i = 0; i < r; i++)
            perm[i] = np == r ? p[i] : r - 1 - i;
        int32_t nn = add_qop(q, g->nodes[n].name, "QTranspose", &xq, 1, y, sx, zx, &yq);
        attr_ints(g, nn, "perm", perm, r);
        qz_emit(q, nn);
        qz_finish_output(q, y, yq);
        return DLA_OK;
    }
    /* Reshape, Flatten, Squeeze, Unsqueeze: the output's dims, 0 for an
     * unknown batch dim (the input's; partition checked it stays) */
    int64_t dims[IR_MAX_RANK];
    for (int i = 0; i < ys.rank; i++)
        dims[i] = ys.dims[i] < 0 ? 0 : ys.dims[i];
    int32_t nn = add_qop(q, g->nodes[n].name, "QReshape", &xq, 1, y, sx, zx, &yq);
    attr_ints(g, nn, "shape", dims, ys.rank);
    qz_emit(q, nn);
    qz_finish_output(q, y, yq);
    return DLA_OK;
}
