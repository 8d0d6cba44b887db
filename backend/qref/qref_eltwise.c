/* qref_eltwise.c - the integer reference of the element-wise binary Q-ops
 * (docs/quant.md, "Element-wise ops"): QAdd, QSub, QMul, QMax, QMin of two
 * int8 activations with ONNX (multidirectional) broadcasting. Naive on
 * purpose: one loop over the output in the IR's row-major (NCHW) order, each
 * operand indexed through its broadcast strides, the formula per element. */
#include "qref_int.h"

#include <string.h>

#include "ops.h"
#include "quant/quant.h"

/* Per output dim d (right-aligned ranks), the element stride of operand v
 * along d: 0 where v's dim is 1 (broadcast) or missing. */
static int strides_of(const IrShape *ys, const IrShape *vs, int64_t *st)
{
    int64_t s = 1;
    for (int d = ys->rank - 1; d >= 0; d--) {
        int dv = d - (ys->rank - vs->rank);
        int64_t n = dv >= 0 ? vs->dims[dv] : 1;
        if (n != 1 && n != ys->dims[d])
            return 0;
        st[d] = n == 1 ? 0 : s;
        s *= n;
    }
    return 1;
}

DlaStatus qref_run_binary(const IrGraph *g, int32_t node, int8_t **vals, DlaError *err)
{
    const IrNode *nd = &g->nodes[node];
    int32_t av = ir_in(g, node, 0), bv = ir_in(g, node, 1), yv = nd->outputs[0];
    const IrValue *A = &g->values[av], *B = &g->values[bv], *Y = &g->values[yv];
    if (A->quant.count != 1 || B->quant.count != 1 || Y->quant.count != 1)
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): operands need per-tensor quantization",
                          nd->name, nd->op_type);
    int64_t sta[IR_MAX_RANK], stb[IR_MAX_RANK];
    int64_t ny = ir_shape_numel(&Y->shape);
    if (ny < 0 || A->shape.rank > Y->shape.rank || B->shape.rank > Y->shape.rank ||
        !strides_of(&Y->shape, &A->shape, sta) || !strides_of(&Y->shape, &B->shape, stb))
        return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s): operands do not broadcast to the output",
                          nd->name, nd->op_type);
    int32_t za = A->quant.zero_point[0], zb = B->quant.zero_point[0], zy = Y->quant.zero_point[0];
    float sa = ir_node_attr_f(g, node, "sa"), sb = ir_node_attr_f(g, node, "sb"), sy = ir_node_attr_f(g, node, "sy");
    int32_t lo = (int32_t)ir_node_attr_i(g, node, "lo"), hi = (int32_t)ir_node_attr_i(g, node, "hi");
    /* QMul: one scale for the product; QMax/QMin: each operand to the output's scale */
    float smul = quant_requant_scale(sa, sb, sy);
    float sa_y = quant_requant_scale(sa, 1.0f, sy), sb_y = quant_requant_scale(sb, 1.0f, sy);
    const int8_t *ad = vals[av], *bd = vals[bv];
    int8_t *yd = vals[yv];
    int r = Y->shape.rank;
    int64_t idx[IR_MAX_RANK];
    memset(idx, 0, sizeof idx);
    int64_t ia = 0, ib = 0;
    for (int64_t i = 0; i < ny; i++) {
        int32_t a = ad[ia] - za, b = bd[ib] - zb, q;
        switch (nd->op) {
        case OP_QADD:
        case OP_QSUB: {
            float fa = (float)a * sa, fb = (float)b * sb;
            float f = (nd->op == OP_QADD ? fa + fb : fa - fb) / sy;
            q = quant_sat(quant_rne(f) + zy, lo, hi);
            break;
        }
        case OP_QMUL: q = quant_requant(a * b, smul, zy, lo, hi); break;
        case OP_QMAX:
        case OP_QMIN: {
            int32_t qa = quant_requant(a, sa_y, zy, -128, 127), qb = quant_requant(b, sb_y, zy, -128, 127);
            q = quant_sat(nd->op == OP_QMAX ? (qa > qb ? qa : qb) : (qa < qb ? qa : qb), lo, hi);
            break;
        }
        default:
            return dla_errorf(err, DLA_ERR_INVALID, "qref: node '%s' (%s) is not an element-wise binary op", nd->name,
                              nd->op_type);
        }
        yd[i] = (int8_t)q;
        /* next output index, operands' offsets follow */
        for (int d = r - 1; d >= 0; d--) {
            ia += sta[d];
            ib += stb[d];
            if (++idx[d] < Y->shape.dims[d])
                break;
            ia -= sta[d] * idx[d];
            ib -= stb[d] * idx[d];
            idx[d] = 0;
        }
    }
    return DLA_OK;
}
