/* disasm.c - instructions to text, walking the isa.def field table. The text
 * is what asm.c reads back: disassembling and reassembling any code array
 * gives the same words (invalid words come out as `.insn`). */
#include "isa_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct Out {
    char *buf;
    size_t n, len; /* len: the length the full text needs */
} Out;

static void outf(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(Out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->n ? o->n - o->len : 0;
    int k = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->len += (size_t)k;
}

/* An fp32 immediate as text that strtof reads back exactly, or NULL-ish hex. */
static void put_float_imm(Out *o, uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    if (isfinite(f)) {
        char tmp[48];
        snprintf(tmp, sizeof tmp, "%.9g", (double)f);
        /* Make sure it reads as a float literal (has '.', 'e' or is suffixed). */
        outf(o, "%s%sf", tmp, strpbrk(tmp, ".eEn") ? "" : ".0");
    } else {
        outf(o, "0x%08" PRIx32, bits);
    }
}

int dla_disasm_decoded(const DlaInsn *in, char *buf, size_t n)
{
    Out o = {buf, n, 0};
    if (n)
        buf[0] = 0;
    outf(&o, "%s", dla_opcode_name(in->op));
    DlaFormat fmt = dla_opcode_format(in->op);
    int first, end;
    dla_format_rows(fmt, &first, &end);
    for (int i = first; i < end; i++) {
        const DlaFieldDesc *f = &dla_format_fields[i];
        int64_t v = dla_insn_field_get(in, f->fld);
        char kind = dla_field_kind(f->fld);
        if (kind == 'f') {
            if (v)
                outf(&o, " %s", f->name);
            continue;
        }
        if (kind == 'e') {
            const char *nm = dla_field_enum_name(f->fld, v);
            /* ALU and LOAD always show their sub-op / memory; others when not default. */
            if (v || f->fld == DLA_FLD_aluop || f->fld == DLA_FLD_mem || f->fld == DLA_FLD_eng) {
                if (nm)
                    outf(&o, " %s=%s", f->name, nm);
                else
                    outf(&o, " %s=%" PRId64, f->name, v);
            }
            continue;
        }
        if (v == f->bias && kind != 's')
            continue;
        if (kind == 's' && v == 0)
            continue;
        if (f->fld == DLA_FLD_src2 && in->op == DLA_OP_ALU && in->imm) {
            if (dla_aluop_kind((DlaAluOp)in->aluop) == 'f') {
                outf(&o, " %s=", f->name);
                put_float_imm(&o, (uint32_t)v);
            } else {
                outf(&o, " %s=%" PRId32, f->name, (int32_t)(uint32_t)v);
            }
            continue;
        }
        if (f->fld == DLA_FLD_dram)
            outf(&o, " %s=0x%" PRIx64, f->name, v);
        else
            outf(&o, " %s=%" PRId64, f->name, v);
    }
    return (int)o.len;
}

int dla_disasm_insn(const uint32_t words[DLA_INSN_WORDS], char *buf, size_t n)
{
    DlaInsn in;
    DlaError e = {0};
    if (dla_insn_decode(words, &in, &e) == DLA_OK)
        return dla_disasm_decoded(&in, buf, n);
    Out o = {buf, n, 0};
    if (n)
        buf[0] = 0;
    outf(&o, ".insn 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 "  # invalid: %s", words[0],
         words[1], words[2], words[3], e.msg);
    return (int)o.len;
}
