/* compile_partition.c - the partition's decisions as the driver reports them
 * (DlaPartition, compile.h): which nodes stay on the host and why, and the
 * MACs on each side. dla_compile records them between the partition pass and
 * the rest of the pipeline (compile_quant.c); `dlacc check --target` gets
 * them from dla_partition_model without calibrating. */
#include "compile_int.h"

#include <stdlib.h>
#include <string.h>

#include "passes/passes.h"
#include "passes/quant.h"

void dla_pass_range(int from, int to, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = from; i < to; i++) {
        int k = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", pass_name((PassId)i));
        DLA_ASSERT(k > 0 && (size_t)k < cap - len);
        len += (size_t)k;
    }
}

void dla_partition_collect(const IrGraph *g, int partitioned, DlaPartition *pt)
{
    memset(pt, 0, sizeof *pt);
    pt->partitioned = partitioned;
    size_t cap = 0;
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        uint64_t m = quant_node_macs(g, n);
        if (nd->device == IR_DEVICE_DLA) {
            pt->dla_nodes++;
            pt->macs_dla += m;
            continue;
        }
        pt->macs_host += m;
        if (!partitioned)
            continue;
        pt->host = dla_grow(pt->host, sizeof *pt->host, (size_t)pt->nhost + 1, &cap);
        DlaHostNode *h = &pt->host[pt->nhost++];
        h->name = dla_strdup(nd->name ? nd->name : "");
        h->op_type = dla_strdup(nd->op_type);
        h->reason = dla_strdup(quant_host_reason(g, n));
    }
}

void dla_partition_free(DlaPartition *pt)
{
    for (int32_t i = 0; i < pt->nhost; i++) {
        free(pt->host[i].name);
        free(pt->host[i].op_type);
        free(pt->host[i].reason);
    }
    free(pt->host);
    memset(pt, 0, sizeof *pt);
}

const char *dla_partition_reason(const DlaPartition *pt, const char *name)
{
    for (int32_t i = 0; i < pt->nhost; i++)
        if (!strcmp(pt->host[i].name, name))
            return pt->host[i].reason;
    return NULL;
}

DlaStatus dla_partition_model(const char *model, const char *target, const OnnxLoadOptions *lo, DlaPartition *out,
                              DlaError *err)
{
    memset(out, 0, sizeof *out);
    DlaTarget t;
    DlaStatus st = dla_target_load(target ? target : "dla-edge", &t, err);
    if (st)
        return st;
    IrGraph *g = NULL;
    if ((st = onnx_load(model, lo, &g, err))) {
        dla_error_prefix(err, "%s: ", model);
        return st;
    }
    char passes[1024];
    dla_pass_range(0, PASS_PARTITION + 1, passes, sizeof passes);
    PassContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.quantize = 1; /* partition for the DLA; the pipeline stops before calibration */
    ctx.passes = passes;
    if ((st = pipeline(g, &ctx, err)))
        dla_error_prefix(err, "%s: ", model);
    else
        dla_partition_collect(g, 1, out);
    ir_graph_free(g);
    return st;
}
