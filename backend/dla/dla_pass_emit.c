/* dla_pass_emit.c - the emit pass: the encoded DlaProgram.
 *
 * Requires: schedule (em.insn with tokens, em.layers indexing it), codegen
 * (em.consts), dram-alloc (addr, act_bytes), layout (order, role).
 * Establishes: *out: code (every instruction encoded; activation DRAM
 * addresses relocated by act_base, the constants image rounded up to 64
 * bytes), the constants, the layer map, one tensor descriptor per INPUT and
 * OUTPUT (name, role, int8, logical dims, layout, scale and zero point, DRAM
 * offset and size), dram_bytes_used; the program validated. Fails
 * (DLA_ERR_LIMIT) when an address does not fit its field or the image does
 * not fit the target's DRAM. */
#include <stdlib.h>
#include <string.h>

#include "dla_lower_int.h"
#include "isa/dla_format.h"

#define DLA_ACT_ALIGN 64

/* Relocate activation addresses by act_base, encode, and move code,
 * constants and layers into prog. */
static DlaStatus finish(DlaEmit *e, uint64_t act_base, DlaProgram *prog, DlaError *err)
{
    uint32_t *code = dla_malloc((size_t)(e->n ? e->n : 1) * DLA_INSN_WORDS * sizeof(uint32_t));
    for (uint32_t i = 0; i < e->n; i++) {
        DlaInsn in = e->insn[i];
        if (e->reloc[i])
            in.dram += (int64_t)act_base;
        DlaStatus st = dla_insn_encode(&in, code + (size_t)i * DLA_INSN_WORDS, err);
        if (st) {
            free(code);
            dla_error_prefix(err, "lowering: instruction %u (%s): ", i, dla_opcode_name(in.op));
            return st;
        }
    }
    prog->code = code;
    prog->ninsns = e->n;
    prog->consts = e->consts;
    prog->const_bytes = e->nconsts;
    e->consts = NULL;
    e->nconsts = 0;
    prog->layers = e->layers;
    prog->nlayers = e->nlayers;
    e->layers = NULL;
    e->nlayers = 0;
    return DLA_OK;
}

DlaStatus dla_pass_emit(DlaLowerPlan *p)
{
    const IrGraph *g = p->g;
    DlaProgram *out = p->out;
    DlaEmit *em = &p->em;
    out->target = p->t;
    uint64_t act_base = (uint64_t)dla_round_up((int64_t)em->nconsts, DLA_ACT_ALIGN);
    out->dram_bytes_used = act_base + p->act_bytes;
    if (out->dram_bytes_used > p->t.dram_bytes || out->dram_bytes_used > ((uint64_t)1 << 32))
        return dla_errorf(p->err, DLA_ERR_LIMIT, "lowering: the program needs %llu bytes of DRAM, the target has %llu",
                          (unsigned long long)out->dram_bytes_used, (unsigned long long)p->t.dram_bytes);
    DlaStatus st = finish(em, act_base, out, p->err);
    if (st)
        return st;
    out->tensors = dla_calloc((size_t)p->norder + 1, sizeof *out->tensors);
    out->ntensors = (uint32_t)p->norder;
    for (int32_t k = 0; k < p->norder; k++) {
        int32_t vi = p->order[k];
        const IrValue *v = &g->values[vi];
        DlaTensorDesc *d = &out->tensors[k];
        d->name = dla_strdup(v->name);
        d->role = p->role[vi] == DLA_ROLE_IN ? DLA_TENSOR_INPUT : DLA_TENSOR_OUTPUT;
        d->dtype = DT_INT8;
        d->layout = p->layout[vi];
        d->rank = (uint32_t)v->shape.rank;
        for (int r = 0; r < v->shape.rank; r++)
            d->dims[r] = v->shape.dims[r];
        if (v->quant.count == 1) {
            d->scale = v->quant.scale[0];
            d->zero_point = v->quant.zero_point[0];
        }
        d->dram_offset = act_base + p->addr[vi];
        d->nbytes = (uint64_t)ir_shape_numel(&v->shape);
    }
    return dla_program_validate(out, p->err);
}
