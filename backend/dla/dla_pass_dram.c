/* dla_pass_dram.c - the dram-alloc pass: where every activation lives in the
 * activation region of DRAM (which follows the constants image; emit
 * relocates).
 *
 * Requires: layout (role, def/last, order). Establishes: addr[v] for every
 * INPUT, OUTPUT and intermediate value (bytes from the start of the
 * activation region, each aligned to DLA_ACT_ALIGN), mid_base and act_bytes.
 *
 * The program's tensors (order: inputs, then outputs) come first, one after
 * the other: the runtime writes and reads them while the program is not
 * running, so they never share. Intermediates follow from mid_base and share
 * space by liveness: a value is alive from the layer that produces it to the
 * last layer that reads it (inclusive), and takes the lowest offset (first
 * fit) that overlaps no value alive at the same time. A layer's input and
 * output are both alive during it, so they never overlap (a layer may read
 * an input tile after it stored an output tile). A view's values share one
 * place (p->alias). Fails (DLA_ERR_LIMIT) when
 * the region exceeds the target's DRAM or 4 GiB (32-bit addresses). */
#include <stdlib.h>

#include "dla_lower_int.h"

#define DLA_ACT_ALIGN 64

typedef struct Live {
    int32_t v;
    int32_t def, last;
    uint64_t off, size;
} Live;

DlaStatus dla_pass_dram_alloc(DlaLowerPlan *p)
{
    const IrGraph *g = p->g;
    uint64_t top = 0;
    for (int32_t k = 0; k < p->norder; k++) {
        int32_t v = p->order[k];
        p->addr[v] = top;
        top += (uint64_t)dla_round_up(ir_shape_numel(&g->values[v].shape), DLA_ACT_ALIGN);
    }
    uint64_t mid_base = top, mid_top = 0;
    Live *mid = dla_malloc(((size_t)p->nlayers + 1) * sizeof *mid);
    int32_t nmid = 0;
    /* Views (p->alias, the layout pass): a group of values sharing bytes is
     * placed once, at its program tensor if it has one, else as its first
     * value alive until the last read of any member. */
    int32_t nv = g->nvalues;
    int32_t *glast = dla_malloc(((size_t)nv + 1) * sizeof *glast), *gtensor = dla_malloc(((size_t)nv + 1) * sizeof *gtensor);
    int32_t *gdef = dla_malloc(((size_t)nv + 1) * sizeof *gdef);
    for (int32_t v = 0; v < nv; v++)
        glast[v] = -1, gtensor[v] = -1, gdef[v] = p->def[v];
    for (int32_t v = 0; v < nv; v++) {
        int32_t r = p->alias[v];
        if (p->role[v] == DLA_ROLE_NONE)
            continue;
        if (p->last[v] > glast[r])
            glast[r] = p->last[v];
        if (p->def[v] >= 0 && (gdef[r] < 0 || p->def[v] < gdef[r]))
            gdef[r] = p->def[v]; /* a zero-copy concat input is written before its concat */
        if (p->role[v] != DLA_ROLE_MID)
            gtensor[r] = v;
    }
    for (int32_t i = 0; i < p->nlayers; i++) {
        int32_t y = g->nodes[p->layers[i].node].outputs[0];
        if (p->role[y] != DLA_ROLE_MID || p->alias[y] != y || gtensor[y] >= 0)
            continue;
        int64_t ne = ir_shape_numel(&g->values[y].shape);
        Live l = {y, gdef[y], glast[y] > p->last[y] ? glast[y] : p->last[y], 0,
                  (uint64_t)dla_round_up(ne, DLA_ACT_ALIGN)};
        /* first fit among the values alive at the same time */
        for (int moved = 1; moved;) {
            moved = 0;
            for (int32_t j = 0; j < nmid; j++) {
                const Live *o = &mid[j];
                int in_time = !(o->last < l.def || l.last < o->def);
                if (in_time && o->off < l.off + l.size && l.off < o->off + o->size) {
                    l.off = o->off + o->size;
                    moved = 1;
                }
            }
        }
        mid[nmid++] = l;
        p->addr[y] = mid_base + l.off;
        if (l.off + l.size > mid_top)
            mid_top = l.off + l.size;
    }
    free(mid);
    for (int32_t v = 0; v < nv; v++) {
        int32_t r = p->alias[v];
        if (p->role[v] == DLA_ROLE_MID && (r != v || gtensor[r] >= 0))
            p->addr[v] = p->addr[gtensor[r] >= 0 ? gtensor[r] : r] + p->alias_off[v];
    }
    free(gdef);
    free(glast);
    free(gtensor);
    p->mid_base = mid_base;
    p->act_bytes = mid_base + mid_top;
    if (p->act_bytes > p->t.dram_bytes || p->act_bytes > ((uint64_t)1 << 32))
        return dla_errorf(p->err, DLA_ERR_LIMIT, "lowering: the activations need %llu bytes of DRAM, the target has %llu",
                          (unsigned long long)p->act_bytes, (unsigned long long)p->t.dram_bytes);
    return DLA_OK;
}
