/* act_group.h - element-wise groups: connected float subgraphs y = f(x) of ONE
 * activation x that the accelerator runs as one 256-entry lookup table (QLut).
 *
 * pass_act_group (act_group.c, before partition) finds them and numbers them
 * in IrNode.act_group (1, 2, ...; 0: no group); the nodes themselves stay, so the
 * host still computes exactly the float ops when a group stays on the host.
 * partition, calibrate and quantize read the marks through the functions
 * below: the whole group goes to one device (decided by its input, like a
 * single LUT op), only x and y get int8 parameters, and quantization turns
 * the group into one QLut at its root, with the table computed by
 * act_group_eval over the group's own nodes. */
#ifndef DLA_PASSES_ACT_GROUP_H
#define DLA_PASSES_ACT_GROUP_H

#include <stdint.h>

#include "ir.h"

/* A group as found in the graph (act_group_get). */
typedef struct ActGroup {
    int32_t *nodes;  /* members in topological order, malloc'd */
    int32_t nnodes;
    int32_t input;   /* x: the one non-constant value the group reads from outside */
    int32_t root;    /* the member whose output y leaves the group */
} ActGroup;

/* Roles of a node (act_group_role). */
enum { ACT_NONE = 0, ACT_ROOT = 1, ACT_INNER = 2 };

/* The group node n belongs to (IrNode.act_group != 0), checked: one root, one
 * input, inner values read only by members and not graph outputs. Returns 1
 * with *ag filled (free with act_group_free), 0 if n is in no valid group. */
int act_group_get(const IrGraph *g, int32_t n, ActGroup *ag);
void act_group_free(ActGroup *ag);

/* ACT_ROOT (its output is the group's y), ACT_INNER (its output is internal:
 * no int8 parameters, no Q-op of its own) or ACT_NONE. */
int act_group_role(const IrGraph *g, int32_t n);

/* Is node nd, alone, a one-input element-wise float function that
 * act_group_eval can compute (Relu, Sigmoid, Tanh, Gelu, Mish, Erf, ...)? */
int act_unary_op(const IrNode *nd);

/* Can act_group_eval compute node n alone (its op and attributes: a Gelu
 * with an unknown `approximate` cannot)? Partition asks before it places a
 * single LUT op on the accelerator. */
int act_lut_evaluable(const IrGraph *g, int32_t n);

/* Evaluate y = f(x) through nodes[0..nnodes) (topological order; every
 * non-constant input is x or an earlier member's output; the last node's
 * output is y) on count inputs in[], with the float semantics of the constant
 * evaluator (ir_const_eval_float, ir/consteval.h), which are the host
 * backend's. out[] gets y. */
DlaStatus act_group_eval(const IrGraph *g, const int32_t *nodes, int32_t nnodes, int32_t x, const float *in,
                         float *out, int64_t count, DlaError *err);

#endif
