/* partition_report.c - what the partition pass decided, for the reports of
 * `dlacc check --target`, `dlacc run --plan`, --stats-json and the partition
 * pass's IR dump: why each host node stays on the host, and how the
 * multiply-accumulates (MACs) of the graph split between the two sides.
 *
 * Reads a partitioned float graph (IrNode.device set by pass_partition); the
 * reason is quant_dla_supported's, asked again of the same graph, so that the
 * report cannot drift from the decision. */
#include "passes/passes.h"
#include "passes/quant.h"

#include <string.h>

const char *quant_host_reason(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->dead || nd->device == IR_DEVICE_DLA)
        return NULL;
    const char *why = NULL;
    if (quant_dla_supported(g, n, &why))
        /* supported alone, but the partition placed it on the host (a rule
         * that looks at its neighbours, e.g. a view whose consumer is a host node) */
        return "placed on the host by the partition (its neighbours run there)";
    return why ? why : "op not supported by the accelerator";
}

const char *quant_partition_note(const IrGraph *g, int32_t n, void *arg)
{
    (void)arg;
    const char *why = quant_host_reason(g, n);
    if (!why)
        return NULL;
    /* one static buffer: the printer copies the note before asking for the next */
    static _Thread_local char buf[320];
    snprintf(buf, sizeof buf, "host: %s", why);
    return buf;
}

/* Product of dims [from, rank) of v's shape; -1 if any is unknown. */
static int64_t dims_product(const IrGraph *g, int32_t v, int from)
{
    if (v < 0 || v >= g->nvalues)
        return -1;
    const IrShape *s = &g->values[v].shape;
    if (s->rank < 0)
        return -1;
    int64_t p = 1;
    for (int i = from; i < s->rank; i++) {
        if (s->dims[i] < 0)
            return -1;
        p *= s->dims[i];
    }
    return p;
}

static int64_t dim(const IrGraph *g, int32_t v, int i)
{
    if (v < 0 || v >= g->nvalues)
        return -1;
    const IrShape *s = &g->values[v].shape;
    if (i < 0)
        i += s->rank;
    return i >= 0 && i < s->rank ? s->dims[i] : -1;
}

uint64_t quant_node_macs(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->dead || nd->noutputs < 1)
        return 0;
    int32_t y = nd->outputs[0];
    int64_t ny = dims_product(g, y, 0), m = -1;
    const char *op = nd->op_type, *dom = nd->domain ? nd->domain : "";
    if (dom[0] && strcmp(dom, "ai.onnx") != 0)
        return 0;
    if (!strcmp(op, "Conv") || !strcmp(op, "ConvInteger") || !strcmp(op, "QLinearConv")) {
        /* every output element: (C / group) * kernel taps */
        int32_t w = ir_in(g, n, !strcmp(op, "QLinearConv") ? 3 : 1);
        int64_t taps = dims_product(g, w, 1);
        m = ny >= 0 && taps >= 0 ? ny * taps : -1;
    } else if (!strcmp(op, "ConvTranspose")) {
        /* every input element scatters into (M / group) * kernel taps outputs */
        int64_t nx = dims_product(g, ir_in(g, n, 0), 0), taps = dims_product(g, ir_in(g, n, 1), 1);
        m = nx >= 0 && taps >= 0 ? nx * taps : -1;
    } else if (!strcmp(op, "Gemm")) {
        int64_t k = dim(g, ir_in(g, n, 0), ir_attr_int(g, n, "transA", 0) ? 0 : 1);
        m = ny >= 0 && k >= 0 ? ny * k : -1;
    } else if (!strcmp(op, "MatMul") || !strcmp(op, "MatMulInteger") || !strcmp(op, "QLinearMatMul")) {
        int64_t k = dim(g, ir_in(g, n, 0), -1);
        m = ny >= 0 && k >= 0 ? ny * k : -1;
    }
    return m > 0 ? (uint64_t)m : 0;
}
