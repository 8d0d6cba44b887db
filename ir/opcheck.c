/* opcheck.c - node validation against the op table (see opcheck.h). */
#include "opcheck.h"
#include "ops.h"

#include <stdio.h>
#include <string.h>

#define NODE_FMT "node '%s' (%s): "

void ir_check_node_support(const IrGraph *g, int32_t node, IrDiagList *diags)
{
    const IrNode *nd = &g->nodes[node];
    if (nd->dead)
        return;
    if (nd->op == OP_UNKNOWN) {
        ir_diag_add(diags, node, DLA_ERR_UNSUPPORTED, NODE_FMT "op type '%s' (domain '%s') is not supported",
                    nd->name, nd->op_type, nd->op_type, nd->domain[0] ? nd->domain : "ai.onnx");
        return;
    }
    const IrOpInfo *oi = &ir_op_table[nd->op];
    if (nd->ninputs < oi->min_in || (oi->max_in >= 0 && nd->ninputs > oi->max_in)) {
        if (oi->max_in < 0)
            ir_diag_add(diags, node, DLA_ERR_INVALID, NODE_FMT "%d inputs, expected at least %d", nd->name,
                        nd->op_type, nd->ninputs, oi->min_in);
        else
            ir_diag_add(diags, node, DLA_ERR_INVALID, NODE_FMT "%d inputs, expected %d to %d", nd->name, nd->op_type,
                        nd->ninputs, oi->min_in, oi->max_in);
    }
    if (nd->noutputs < oi->min_out || (oi->max_out >= 0 && nd->noutputs > oi->max_out)) {
        if (oi->max_out < 0)
            ir_diag_add(diags, node, DLA_ERR_INVALID, NODE_FMT "%d outputs, expected at least %d", nd->name,
                        nd->op_type, nd->noutputs, oi->min_out);
        else
            ir_diag_add(diags, node, DLA_ERR_INVALID, NODE_FMT "%d outputs, expected %d to %d", nd->name,
                        nd->op_type, nd->noutputs, oi->min_out, oi->max_out);
    }
    for (int32_t a = 0; a < nd->nattrs; a++) {
        const IrAttr *at = &nd->attrs[a];
        const IrAttrSpec *sp = ir_op_attr_spec(nd->op, at->name);
        if (!sp) {
            ir_diag_add(diags, node, DLA_ERR_UNSUPPORTED, NODE_FMT "attribute '%s' not supported", nd->name,
                        nd->op_type, at->name);
        } else if ((int)at->type != sp->type) {
            ir_diag_add(diags, node, DLA_ERR_INVALID, NODE_FMT "attribute '%s' has type %s, expected %s", nd->name,
                        nd->op_type, at->name, ir_attr_type_name((int)at->type), ir_attr_type_name(sp->type));
        }
        for (int32_t b = 0; b < a; b++)
            if (!strcmp(nd->attrs[b].name, at->name))
                ir_diag_add(diags, node, DLA_ERR_INVALID, NODE_FMT "attribute '%s' is given twice", nd->name,
                            nd->op_type, at->name);
    }
    const IrOpAttrs *specs = ir_op_attrs(nd->op);
    for (int32_t s = 0; s < specs->n; s++) {
        if (!specs->specs[s].required)
            continue;
        if (!ir_attr_find(g, node, specs->specs[s].name))
            ir_diag_add(diags, node, DLA_ERR_INVALID, NODE_FMT "required attribute '%s' is missing", nd->name,
                        nd->op_type, specs->specs[s].name);
    }
}

/* Diagnostics of a body are re-filed against the node that owns it. */
static void check_graph(const IrGraph *g, IrDiagList *diags, int32_t owner, const char *prefix)
{
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrDiagList local = {0};
        ir_check_node_support(g, n, &local);
        for (size_t i = 0; i < local.n; i++) {
            if (owner < 0)
                ir_diag_add(diags, n, local.items[i].code, "%s", local.items[i].msg);
            else
                ir_diag_add(diags, owner, local.items[i].code, "%s%s", prefix, local.items[i].msg);
        }
        ir_diag_free(&local);
        const IrNode *nd = &g->nodes[n];
        for (int32_t a = 0; a < nd->nattrs; a++) {
            const IrAttr *at = &nd->attrs[a];
            char p[512];
            if (at->type == IR_ATTR_GRAPH && at->g) {
                snprintf(p, sizeof p, "%sin %s of node '%s': ", prefix, at->name, nd->name);
                check_graph(at->g, diags, owner < 0 ? n : owner, p);
            }
            for (int32_t k = 0; at->type == IR_ATTR_GRAPHS && k < at->n; k++) {
                snprintf(p, sizeof p, "%sin %s[%d] of node '%s': ", prefix, at->name, k, nd->name);
                check_graph(at->graphs[k], diags, owner < 0 ? n : owner, p);
            }
        }
    }
}

void ir_check_graph_support(const IrGraph *g, IrDiagList *diags)
{
    check_graph(g, diags, -1, "");
}
