/* compile_merge.c - several DLA program segments -> one DlaProgram (the image
 * of PREFIX.dla and what the runtime runs).
 *
 * Each part is a complete program (dla_lower): constants at DRAM
 * [0, const_bytes_k), its tensors and intermediates in [const_bytes_k,
 * dram_bytes_used_k). The merged DRAM image puts every part's constants first,
 * one after the other (64-byte aligned), then every part's tensor region:
 *
 *   [ consts 0 | consts 1 | ... | tensors 0 | tensors 1 | ... ]
 *
 * and relocates the `dram` field of every load and store (docs/isa.md: it is
 * the absolute byte address of the first in-range element, and an access
 * starting in the constants stays in them) and every tensor descriptor.
 * The code is the parts' code concatenated (each part ends in `end`), the
 * tensors and layers are the parts' in part order. Part K becomes DLA segment
 * K of the SEGMENTS table (docs/dla-format.md): its code range and the indices
 * of its tensors, so that nothing downstream has to recover the structure from
 * names. Tensor names stay unique (the runtime's dlart_tensor_find binds by
 * name): a name that an earlier segment already uses (a value one segment
 * writes and a later one reads) gets the suffix "@K" -- for people reading a
 * dump only; programs go by index. */
#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/dla_format.h"
#include "isa/isa.h"

#define MERGE_ALIGN 64

static uint64_t align_up(uint64_t x)
{
    return (x + MERGE_ALIGN - 1) / MERGE_ALIGN * MERGE_ALIGN;
}

static int name_used(const DlaProgram *p, const char *name)
{
    for (uint32_t i = 0; i < p->ntensors; i++)
        if (!strcmp(p->tensors[i].name, name))
            return 1;
    return 0;
}

DlaStatus dla_programs_merge(DlaProgram *parts, uint32_t n, DlaProgram *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    if (!n)
        return dla_errorf(err, DLA_ERR_INVALID, "no DLA segments to merge");
    uint64_t *cbase = dla_malloc(n * sizeof *cbase), *tbase = dla_malloc(n * sizeof *tbase);
    uint64_t at = 0, ninsns = 0, ntensors = 0, nlayers = 0;
    for (uint32_t k = 0; k < n; k++) {
        cbase[k] = at;
        at = align_up(at + parts[k].const_bytes);
        ninsns += parts[k].ninsns;
        ntensors += parts[k].ntensors;
        nlayers += parts[k].nlayers;
    }
    uint64_t const_bytes = at;
    for (uint32_t k = 0; k < n; k++) {
        tbase[k] = at;
        at = align_up(at + (parts[k].dram_bytes_used - parts[k].const_bytes));
    }
    DlaStatus st = DLA_OK;
    if (ninsns > UINT32_MAX || at > parts[0].target.dram_bytes || at > ((uint64_t)1 << 32)) {
        st = dla_errorf(err, DLA_ERR_LIMIT,
                        "the merged DLA program needs %llu bytes of DRAM, the target has %llu (and the ISA "
                        "addresses 4 GiB)",
                        (unsigned long long)at, (unsigned long long)parts[0].target.dram_bytes);
        goto done;
    }
    out->target = parts[0].target;
    out->const_bytes = const_bytes;
    out->dram_bytes_used = at;
    out->consts = dla_calloc(1, const_bytes ? const_bytes : 1);
    out->code = dla_malloc((size_t)(ninsns ? ninsns : 1) * DLA_INSN_WORDS * sizeof *out->code);
    out->tensors = dla_calloc(ntensors ? ntensors : 1, sizeof *out->tensors);
    out->layers = dla_calloc(nlayers ? nlayers : 1, sizeof *out->layers);
    out->segments = dla_calloc(n, sizeof *out->segments);
    for (uint32_t k = 0; k < n; k++) {
        DlaProgram *p = &parts[k];
        if (p->target.fingerprint != out->target.fingerprint) {
            st = dla_errorf(err, DLA_ERR_INVALID, "segment %u was lowered for another target", k);
            goto done;
        }
        if (p->const_bytes) /* a segment without constants may have consts == NULL */
            memcpy(out->consts + cbase[k], p->consts, p->const_bytes);
        uint32_t code0 = out->ninsns;
        for (uint32_t i = 0; i < p->ninsns; i++) {
            const uint32_t *w = p->code + (size_t)i * DLA_INSN_WORDS;
            uint32_t *o = out->code + (size_t)(code0 + i) * DLA_INSN_WORDS;
            DlaInsn in;
            if ((st = dla_insn_decode(w, &in, err)))
                goto done;
            if (in.op == DLA_OP_LOAD || in.op == DLA_OP_STORE) {
                uint64_t a = (uint64_t)in.dram;
                in.dram = (int64_t)(a < p->const_bytes ? cbase[k] + a : tbase[k] + (a - p->const_bytes));
                if ((st = dla_insn_encode(&in, o, err)))
                    goto done;
            } else {
                memcpy(o, w, DLA_INSN_WORDS * sizeof *w);
            }
        }
        out->ninsns += p->ninsns;
        uint32_t t0 = out->ntensors;
        for (uint32_t i = 0; i < p->ntensors; i++) {
            DlaTensorDesc d = p->tensors[i];
            char nm[512];
            if (name_used(out, d.name))
                snprintf(nm, sizeof nm, "%s@%u", d.name, k);
            else
                snprintf(nm, sizeof nm, "%s", d.name);
            d.name = dla_strdup(nm);
            d.dram_offset = tbase[k] + (d.dram_offset - p->const_bytes);
            out->tensors[out->ntensors++] = d;
        }
        DlaSegmentDesc *sg = &out->segments[out->nsegments++];
        sg->kind = DLA_SEG_DLA;
        sg->first_insn = code0;
        sg->ninsns = p->ninsns;
        sg->ntensors = p->ntensors;
        sg->tensors = dla_malloc((p->ntensors ? p->ntensors : 1) * sizeof *sg->tensors);
        for (uint32_t i = 0; i < p->ntensors; i++)
            sg->tensors[i] = t0 + i;
        for (uint32_t i = 0; i < p->nlayers; i++) {
            DlaLayerMap *l = &out->layers[out->nlayers++];
            *l = p->layers[i];
            l->name = dla_strdup(p->layers[i].name);
            l->op_type = dla_strdup(p->layers[i].op_type);
            l->first_insn += code0;
        }
    }
    st = dla_program_validate(out, err);
done:
    free(cbase);
    free(tbase);
    if (st) {
        dla_program_free(out);
        memset(out, 0, sizeof *out);
    }
    return st;
}
