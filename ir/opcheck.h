/* opcheck.h - validate nodes against the op table (ops.def): op type known
 * in its domain, arity in range, every attribute listed in the op's spec with
 * the right type, every required attribute present. Each problem becomes a
 * diagnostic naming the node, op type and the attribute or count at fault;
 * all problems are reported, not just the first. */
#ifndef DLA_IR_OPCHECK_H
#define DLA_IR_OPCHECK_H

#include "diag.h"
#include "ir.h"

void ir_check_node_support(const IrGraph *g, int32_t node, IrDiagList *diags);
/* Every node of g and of its subgraphs (If/Loop/Scan bodies); a body's
 * problems are reported against the node that owns the body, with the path
 * ("in body of node 'loop': node 'add' (Add): ..."). */
void ir_check_graph_support(const IrGraph *g, IrDiagList *diags);

#endif
