/* isa_internal.h - the field table shared by the encoder, decoder, assembler
 * and disassembler (isa/encode.c, asm.c, disasm.c). Not a public header. */
#ifndef DLA_ISA_INTERNAL_H
#define DLA_ISA_INTERNAL_H

#include "isa.h"

/* One id per DlaInsn member (isa.def DLA_FIELDS). */
enum {
#define X(m, kind) DLA_FLD_##m,
    DLA_FIELDS(X)
#undef X
    DLA_FLD_COUNT
};

/* One row of isa.def DLA_FORMAT_FIELDS. */
typedef struct DlaFieldDesc {
    DlaFormat fmt;
    const char *name; /* assembler name */
    int fld;          /* DLA_FLD_* */
    int word, lo, width, bias, max;
} DlaFieldDesc;

extern const DlaFieldDesc dla_format_fields[];
extern const int dla_nformat_fields;

DlaFormat dla_opcode_format(DlaOpcode op);
/* The rows of dla_format_fields that belong to fmt: [*first, *end). */
void dla_format_rows(DlaFormat fmt, int *first, int *end);
char dla_field_kind(int fld);                 /* 'u' 's' 'f' 'e' */
const char *dla_field_member_name(int fld);
const char *dla_field_enum_name(int fld, int64_t v); /* NULL: not an enum, or v out of range */
char dla_aluop_kind(DlaAluOp a);              /* 'm' 'b' 'f' 'u' */
int64_t *dla_insn_field(DlaInsn *in, int fld);
int64_t dla_insn_field_get(const DlaInsn *in, int fld);
void dla_field_range(const DlaFieldDesc *f, int64_t *lo, int64_t *hi);

#endif
