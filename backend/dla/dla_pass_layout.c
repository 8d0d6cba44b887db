/* dla_pass_layout.c - the layout pass: the role and DRAM layout of every
 * value the partition touches.
 *
 * Requires: fuse (layers, checked nodes). Establishes, per value index:
 *  - role: INPUT (an activation read by a layer, produced by none of them),
 *    OUTPUT (produced by a layer and a graph output, read by a node outside
 *    the partition, or read by nobody), MID (produced and read only inside:
 *    an intermediate, no descriptor);
 *  - def / last: the layer that produces it / the last layer that reads it
 *    (the liveness dram-alloc shares intermediates by);
 *  - layout: rank-4 tensors NHWC (IR_LAYOUT_NHWC: element (n,c,h,w) at
 *    ((n*H + h)*W + w)*C + c), other ranks row-major. The accelerator's
 *    instruction selection assumes exactly these (channels innermost, so that
 *    a pixel's channels are one DMA row);
 *  - order: the program's tensors, INPUTs in order of first use, then
 *    OUTPUTs in layer order;
 *  - views: a QReshape that keeps the DRAM byte order is a view (layer.view,
 *    its output's alias is its input's), unless both ends are program tensors.
 * Every such value must be int8 with a known, non-empty shape. */
#include <stdlib.h>
#include <string.h>

#include "dla_lower_int.h"
#include "ops.h"

static DlaStatus check_value(DlaLowerPlan *p, int32_t v)
{
    const IrValue *x = &p->g->values[v];
    if (ir_shape_numel(&x->shape) < 1 || x->dtype != DT_INT8)
        return dla_errorf(p->err, DLA_ERR_INVALID, "lowering: value '%s' must be int8 with a known, non-empty shape",
                          x->name);
    return DLA_OK;
}

DlaStatus dla_pass_layout(DlaLowerPlan *p)
{
    const IrGraph *g = p->g;
    uint8_t *role = p->role;
    int32_t *def = p->def, *last = p->last;
    for (int32_t i = 0; i < p->nlayers; i++) {
        const IrNode *nd = &g->nodes[p->layers[i].node];
        for (int k = 0; k < dla_act_inputs(nd); k++) {
            int32_t v = nd->inputs[k];
            if (v < 0 || (g->values[v].flags & IR_VAL_CONST))
                return dla_errorf(p->err, DLA_ERR_UNSUPPORTED,
                                  "lowering: node '%s' (%s): input %d must be a non-constant tensor", nd->name,
                                  nd->op_type, k);
            if (def[v] < 0 && role[v] == DLA_ROLE_NONE) {
                role[v] = DLA_ROLE_IN;
                p->order[p->norder++] = v;
            }
            if (def[v] >= 0 || role[v] == DLA_ROLE_IN)
                last[v] = i;
        }
        int32_t y = nd->outputs[0];
        if (role[y] != DLA_ROLE_NONE || def[y] >= 0)
            return dla_errorf(p->err, DLA_ERR_INVALID, "lowering: value '%s' is produced after being read, or twice",
                              g->values[y].name);
        def[y] = i;
        role[y] = DLA_ROLE_MID;
    }
    /* Visible outside: read by a live node outside the partition, or a graph output. */
    uint8_t *mark = dla_calloc((size_t)g->nnodes + 1, 1);
    for (int32_t i = 0; i < p->nnodes; i++)
        mark[p->nodes[i]] = 1;
    for (int32_t n = 0; n < g->nnodes; n++) {
        if (mark[n] || g->nodes[n].dead)
            continue;
        for (int32_t k = 0; k < g->nodes[n].ninputs; k++) {
            int32_t v = g->nodes[n].inputs[k];
            if (v >= 0 && role[v] == DLA_ROLE_MID)
                role[v] = DLA_ROLE_OUT;
        }
    }
    free(mark);
    for (int32_t k = 0; k < g->noutputs; k++)
        if (role[g->outputs[k]] == DLA_ROLE_MID)
            role[g->outputs[k]] = DLA_ROLE_OUT;
    for (int32_t i = 0; i < p->nlayers; i++) {
        int32_t y = g->nodes[p->layers[i].node].outputs[0];
        if (role[y] == DLA_ROLE_MID && last[y] < 0)
            role[y] = DLA_ROLE_OUT; /* read by nobody: still a result */
        if (role[y] == DLA_ROLE_OUT)
            p->order[p->norder++] = y;
    }
    DlaStatus st;
    for (int32_t k = 0; k < p->norder; k++)
        if ((st = check_value(p, p->order[k])))
            return st;
    for (int32_t i = 0; i < p->nlayers; i++) {
        int32_t y = g->nodes[p->layers[i].node].outputs[0];
        if (role[y] == DLA_ROLE_MID && (st = check_value(p, y)))
            return st;
    }
    for (int32_t v = 0; v < g->nvalues; v++)
        if (role[v] != DLA_ROLE_NONE)
            p->layout[v] = g->values[v].shape.rank == 4 ? IR_LAYOUT_NHWC : IR_LAYOUT_ROWMAJOR;
    dla_move_views(p); /* dla_lower_move.c: which QReshapes are views */
    return DLA_OK;
}
