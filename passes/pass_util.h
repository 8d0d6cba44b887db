/* pass_util.h - small graph queries and rewrites shared by the passes
 * (internal to passes/; not part of the library interface). */
#ifndef DLA_PASS_UTIL_H
#define DLA_PASS_UTIL_H

#include "ir.h"

/* Passes dispatch on IrNode.op (OP_* from ir/ops.def), never on op_type: the
 * enum carries the domain (OP_CONV is ai.onnx Conv, OP_QCONV is dlacc QConv),
 * and an op the table does not know is OP_UNKNOWN, which matches nothing. */

/* Number of references to each value: inputs of live nodes, graph outputs, and
 * references by name from subgraphs (If/Loop/Scan bodies). malloc'd, nvalues entries. */
int32_t *pu_use_counts(const IrGraph *g);

/* Does a subgraph of any live node refer to value v by name? Such a value must
 * keep its name, so rewrites that would rename or drop it leave it alone. */
int pu_used_by_subgraph(const IrGraph *g, int32_t v);

/* Replace every use of value `from` as a live node input by `to`. */
void pu_replace_uses(IrGraph *g, int32_t from, int32_t to);

/* Is v a constant whose data is present (not elided from a text dump)? */
int pu_is_const(const IrGraph *g, int32_t v);

/* Make v a constant with the given data (graph-owned or borrowed from another
 * constant of the same graph), dtype and shape; v no longer has a producer. */
void pu_make_const(IrGraph *g, int32_t v, IrDtype dt, const IrShape *shape, void *data, size_t nbytes);

#endif
