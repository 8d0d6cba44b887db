/* dla_plan_dump.c - text dump of the DLA plan (dla_plan.h; the format is in
 * docs/lowering.md, "Plan dumps"). What is printed grows with the passes run:
 * a block per layer with its nodes (fuse), its tensors and their layouts
 * (layout), tiles and predicted cycles (tile), SRAM buffers (sram-alloc),
 * DRAM offsets (dram-alloc), instruction ranges (codegen, schedule), then
 * program totals (emit). */
#include <inttypes.h>
#include <string.h>

#include "dla_lower_int.h"
#include "isa/isa.h"
#include "ops.h"

/* Tiles listed per layer; the rest are summarized. */
#define DUMP_TILES 6

static int done(const DlaLowerPlan *p, DlaPassId id) { return p->ran > (int)id; }

static const char *layout_name(int l) { return l == IR_LAYOUT_NHWC ? "NHWC" : "row-major"; }

static const char *role_name(int r)
{
    return r == DLA_ROLE_IN ? "input" : r == DLA_ROLE_OUT ? "output" : r == DLA_ROLE_MID ? "intermediate" : "-";
}

static void dump_value(const DlaLowerPlan *p, const char *what, int32_t v, FILE *f)
{
    const IrValue *x = &p->g->values[v];
    fprintf(f, "    %s '%s' [", what, x->name);
    for (int r = 0; r < x->shape.rank; r++)
        fprintf(f, "%s%lld", r ? "," : "", (long long)x->shape.dims[r]);
    fprintf(f, "] %s %s", role_name(p->role[v]), layout_name(p->layout[v]));
    if (done(p, DLA_PASS_DRAM_ALLOC) && p->addr[v] != DLA_NO_ADDR)
        fprintf(f, " dram +%" PRIu64 " (%lld bytes)", p->addr[v], (long long)ir_shape_numel(&x->shape));
    if (done(p, DLA_PASS_LAYOUT) && p->alias[v] != v) /* a view, or a concat slice written in place */
        fprintf(f, " shares '%s' +%" PRIu64 "%s", p->g->values[p->alias[v]].name, p->alias_off[v],
                p->pitch[v] ? " (in place)" : "");
    fputc('\n', f);
}

static const char *mode_name(const DlaConv *cv)
{
    if (cv->dwm)
        return "depthwise";
    return cv->fold == 1 ? "regular+fold-window" : cv->fold == 2 ? "regular+fold-rows" : "regular";
}

static void dump_tiles(const DlaPlanLayer *l, FILE *f)
{
    const DlaConv *cv = &l->conv;
    fprintf(f, "    tile: mode %s, units %lld, chunks %lld x %lld ch (ICp %lld), blocks %lld x C, tiles %lld "
               "(max %lld x %lld px), batch %lld\n",
            mode_name(cv), (long long)cv->nunits, (long long)cv->nch, (long long)cv->ICc, (long long)cv->ICp,
            (long long)cv->NOB, (long long)cv->ntl, (long long)cv->OHt, (long long)cv->OWt, (long long)cv->N);
    fprintf(f, "    resident: weights %s (%lld bytes%s), biases %s, scales %s; acc tile %lld words\n",
            cv->wres ? "yes" : "streamed", (long long)(cv->wtotal + cv->wextra), cv->wextra ? " incl. folded" : "",
            cv->bres ? "yes" : "per block", cv->pres ? "yes" : "per block", (long long)cv->acc_tile);
    for (int64_t t = 0; t < cv->ntl && t < DUMP_TILES; t++) {
        const DlaTile *tl = &cv->tiles[t];
        fprintf(f, "      tile %lld: rows %lld+%lld cols %lld+%lld %s\n", (long long)t, (long long)tl->oh0,
                (long long)tl->ohn, (long long)tl->ow0, (long long)tl->own,
                tl->fold == 1 ? "fold-window" : tl->fold == 2 ? "fold-rows" : cv->dwm ? "depthwise" : "regular");
    }
    if (cv->ntl > DUMP_TILES)
        fprintf(f, "      ... %lld more tiles\n", (long long)(cv->ntl - DUMP_TILES));
}

void dla_plan_dump(const DlaLowerPlan *p, DlaPassId pass, FILE *f)
{
    const IrGraph *g = p->g;
    const DlaTarget *t = &p->t;
    fprintf(f, "# DLA plan after %s: target %s, gemm %ux%u, lanes %u; inp %" PRIu64 " B, wgt %" PRIu64
               " B, acc %" PRIu64 " words, param %" PRIu64 " words\n",
            dla_pass_name(pass), t->name, (unsigned)t->gemm_rows, (unsigned)t->gemm_cols, (unsigned)t->vector_lanes,
            (uint64_t)t->inp_sram_bytes, (uint64_t)t->wgt_sram_bytes, (uint64_t)(t->acc_sram_bytes / 4),
            (uint64_t)(t->param_bytes / 4));
    double total = 0;
    for (int32_t i = 0; i < p->nlayers; i++) {
        const DlaPlanLayer *l = &p->layers[i];
        const IrNode *nd = &g->nodes[l->node];
        fprintf(f, "layer %d '%s' %s (%s)", (int)i, nd->name, nd->op_type, l->kind == DLA_LAYER_CONV ? "gemm array" : "vector unit");
        if (l->nnodes > 1 || strcmp(l->act, "none") != 0) {
            fprintf(f, " fused:");
            for (int k = 0; k < l->nnodes; k++)
                fprintf(f, " %s", g->nodes[l->nodes[k]].name);
            fprintf(f, " +%s", l->act);
        }
        fputc('\n', f);
        if (done(p, DLA_PASS_LAYOUT)) {
            int nin = ir_op_is_qbinary(nd->op) ? 2 : nd->op == OP_QCONCAT ? nd->ninputs : 1;
            for (int k = 0; k < nin; k++)
                if (nd->inputs[k] >= 0)
                    dump_value(p, "in ", nd->inputs[k], f);
            dump_value(p, "out", nd->outputs[0], f);
        }
        if (done(p, DLA_PASS_TILE)) {
            if (l->kind == DLA_LAYER_CONV) {
                dump_tiles(l, f);
            } else if (l->kind == DLA_LAYER_POOL) {
                const DlaPool *pl = &l->pool;
                fprintf(f, "    tile: pool %lldx%lld/%lld, tiles %lld rows x %lld cols (%lld x %lld px), channel blocks %lld x "
                           "%lld, batch %lld\n",
                        (long long)pl->k.kh, (long long)pl->k.kw, (long long)pl->k.sh, (long long)pl->nrows,
                        (long long)pl->ncols, (long long)pl->oht, (long long)pl->owt, (long long)pl->ncb,
                        (long long)pl->Cb, (long long)pl->N);
            } else {
                fprintf(f, "    tile: vector unit, streamed in chunks of the acc space below\n");
            }
            fprintf(f, "    predicted: %.0f cycles (compute %.0f, load %.0f, store %.0f), %" PRIu64 " MACs\n",
                    l->pred_cycles, l->pred_compute, l->pred_load, l->pred_store, l->macs);
            total += l->pred_cycles;
        }
        if (done(p, DLA_PASS_SRAM_ALLOC))
            for (int b = 0; b < l->nbufs; b++)
                fprintf(f, "    sram %-5s [%" PRIu64 ", %" PRIu64 ") %s\n", dla_mem_name((DlaMem)l->bufs[b].mem),
                        l->bufs[b].off, l->bufs[b].off + l->bufs[b].size, l->bufs[b].what);
        if (done(p, DLA_PASS_CODEGEN))
            fprintf(f, "    code: %u instructions before tokens (from %u)\n", l->npend, l->first_pend);
        if (done(p, DLA_PASS_SCHEDULE))
            fprintf(f, "    scheduled: %u instructions (from %u)\n", l->ninsns, l->first_insn);
    }
    if (done(p, DLA_PASS_TILE))
        fprintf(f, "total predicted: %.0f cycles (layers alone, no overlap)\n", total);
    if (done(p, DLA_PASS_DRAM_ALLOC))
        fprintf(f, "dram: activations %" PRIu64 " bytes (program tensors %" PRIu64 ", intermediates from +%" PRIu64 ")\n",
                p->act_bytes, p->mid_base, p->mid_base);
    if (done(p, DLA_PASS_CODEGEN)) /* emit moves the constants into the program */
        fprintf(f, "codegen: %u instructions, constants %" PRIu64 " bytes\n", p->em.npend,
                done(p, DLA_PASS_EMIT) ? p->out->const_bytes : p->em.nconsts);
    if (done(p, DLA_PASS_SCHEDULE)) {
        uint64_t pushes = 0, pops = 0;
        for (uint32_t i = 0; i < p->em.n; i++) {
            pushes += (uint64_t)(p->em.insn[i].push_next + p->em.insn[i].push_prev);
            pops += (uint64_t)(p->em.insn[i].pop_next + p->em.insn[i].pop_prev);
        }
        fprintf(f, "schedule: %u instructions, %" PRIu64 " tokens pushed, %" PRIu64 " popped\n", p->em.n, pushes, pops);
    }
    if (done(p, DLA_PASS_EMIT))
        fprintf(f, "emit: %u instructions, %" PRIu64 " constant bytes, %u tensors, %" PRIu64 " DRAM bytes\n",
                p->out->ninsns, p->out->const_bytes, p->out->ntensors, p->out->dram_bytes_used);
}
