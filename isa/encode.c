/* encode.c - instruction encoder and decoder, generated from isa/isa.def.
 *
 * The format-field table below is the only description of the bit layout;
 * the assembler and disassembler (asm.c, disasm.c) walk the same table. */
#include "isa_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>

static const char fld_kind[DLA_FLD_COUNT] = {
#define X(m, kind) kind,
    DLA_FIELDS(X)
#undef X
};

static const size_t fld_off[DLA_FLD_COUNT] = {
#define X(m, kind) offsetof(DlaInsn, m),
    DLA_FIELDS(X)
#undef X
};

static const char *const fld_member_names[DLA_FLD_COUNT] = {
#define X(m, kind) #m,
    DLA_FIELDS(X)
#undef X
};
const char *dla_field_member_name(int fld)
{
    return fld_member_names[fld];
}

const DlaFieldDesc dla_format_fields[] = {
#define F(fmt, name, m, word, lo, width, bias, max) \
    {DLA_FMT_##fmt, name, DLA_FLD_##m, word, lo, width, bias, max},
    DLA_FORMAT_FIELDS(F)
#undef F
};
const int dla_nformat_fields = (int)(sizeof dla_format_fields / sizeof dla_format_fields[0]);

/* Each format's rows are contiguous in the table (isa.def lists them format by
 * format): find the ranges once, so that decoding walks ~10 rows, not all. */
static struct {
    int first, count;
} fmt_rows[DLA_FMT_COUNT];
static pthread_once_t fmt_rows_once = PTHREAD_ONCE_INIT;

static void fmt_rows_init(void)
{
    for (int i = 0; i < dla_nformat_fields; i++) {
        DlaFormat f = dla_format_fields[i].fmt;
        if (!fmt_rows[f].count)
            fmt_rows[f].first = i;
        DLA_ASSERT(fmt_rows[f].first + fmt_rows[f].count == i); /* contiguous */
        fmt_rows[f].count++;
    }
}

void dla_format_rows(DlaFormat fmt, int *first, int *end)
{
    pthread_once(&fmt_rows_once, fmt_rows_init);
    *first = fmt_rows[fmt].first;
    *end = fmt_rows[fmt].first + fmt_rows[fmt].count;
}

static const struct {
    const char *name;
    DlaFormat fmt;
    int engine;
} opinfo[DLA_OP_COUNT] = {
#define X(e, name, fmt, eng) {name, DLA_FMT_##fmt, eng},
    DLA_OPCODES(X)
#undef X
};

static const struct {
    const char *name;
    unsigned esize;
} meminfo[DLA_MEM_COUNT] = {
#define X(e, name, esize) {name, esize},
    DLA_MEMS(X)
#undef X
};

static const char *const engnames[DLA_ENG_COUNT] = {
#define X(e, name) name,
    DLA_ENGINES(X)
#undef X
};

static const struct {
    const char *name;
    char kind;
} aluinfo[DLA_ALU_COUNT] = {
#define X(e, name, kind) {name, kind},
    DLA_ALUOPS(X)
#undef X
};

static const char *const reqmodes[] = {"fp32", "fixed"};

const char *dla_opcode_name(DlaOpcode op)
{
    return (unsigned)op < DLA_OP_COUNT ? opinfo[op].name : NULL;
}
const char *dla_engine_name(DlaEngine e)
{
    return (unsigned)e < DLA_ENG_COUNT ? engnames[e] : NULL;
}
const char *dla_mem_name(DlaMem m)
{
    return (unsigned)m < DLA_MEM_COUNT ? meminfo[m].name : NULL;
}
unsigned dla_mem_elem_bytes(DlaMem m)
{
    return (unsigned)m < DLA_MEM_COUNT ? meminfo[m].esize : 0;
}
const char *dla_aluop_name(DlaAluOp a)
{
    return (unsigned)a < DLA_ALU_COUNT ? aluinfo[a].name : NULL;
}
char dla_aluop_kind(DlaAluOp a)
{
    return (unsigned)a < DLA_ALU_COUNT ? aluinfo[a].kind : 0;
}
DlaFormat dla_opcode_format(DlaOpcode op)
{
    return opinfo[op].fmt;
}
char dla_field_kind(int fld)
{
    return fld_kind[fld];
}

int64_t *dla_insn_field(DlaInsn *in, int fld)
{
    return (int64_t *)((char *)in + fld_off[fld]);
}
int64_t dla_insn_field_get(const DlaInsn *in, int fld)
{
    return *(const int64_t *)((const char *)in + fld_off[fld]);
}

/* The names of an enum field's values, or NULL if fld is not an enum. */
const char *dla_field_enum_name(int fld, int64_t v)
{
    switch (fld) {
    case DLA_FLD_mem: return dla_mem_name((DlaMem)v);
    case DLA_FLD_eng: return dla_engine_name((DlaEngine)v);
    case DLA_FLD_aluop: return dla_aluop_name((DlaAluOp)v);
    case DLA_FLD_mode: return v >= 0 && v < 2 ? reqmodes[v] : NULL;
    default: return NULL;
    }
}

DlaEngine dla_insn_engine(const DlaInsn *in)
{
    switch (in->op) {
    case DLA_OP_LOAD:
        return in->mem == DLA_MEM_INP || in->mem == DLA_MEM_WGT ? DLA_ENG_LOAD : DLA_ENG_COMPUTE;
    case DLA_OP_DMACFG:
        return (DlaEngine)in->eng;
    default:
        return (DlaEngine)opinfo[in->op].engine;
    }
}

void dla_insn_init(DlaInsn *in, DlaOpcode op)
{
    memset(in, 0, sizeof *in);
    in->op = op;
    if ((unsigned)op >= DLA_OP_COUNT)
        return;
    int first, end;
    dla_format_rows(opinfo[op].fmt, &first, &end);
    for (int i = first; i < end; i++)
        *dla_insn_field(in, dla_format_fields[i].fld) = dla_format_fields[i].bias;
}

/* Fields never straddle a word (isa.def keeps them inside one). */
static uint32_t get_bits(const uint32_t *w, int word, int lo, int width)
{
    uint32_t v = w[word] >> lo;
    return width == 32 ? v : v & ((1u << width) - 1);
}

static void put_bits(uint32_t *w, int word, int lo, int width, uint32_t v)
{
    uint32_t mask = width == 32 ? 0xffffffffu : ((1u << width) - 1) << lo;
    w[word] = (w[word] & ~mask) | ((v << lo) & mask);
}

/* The logical range of a field: [*lo, *hi]. */
void dla_field_range(const DlaFieldDesc *f, int64_t *lo, int64_t *hi)
{
    if (fld_kind[f->fld] == 's') {
        *lo = -((int64_t)1 << (f->width - 1));
        *hi = ((int64_t)1 << (f->width - 1)) - 1;
    } else {
        *lo = f->bias;
        *hi = (int64_t)((((uint64_t)1 << f->width) - 1)) + f->bias;
        if (f->max && f->max < *hi)
            *hi = f->max;
    }
}

DlaStatus dla_insn_encode(const DlaInsn *in, uint32_t words[DLA_INSN_WORDS], DlaError *err)
{
    if ((unsigned)in->op >= DLA_OP_COUNT)
        return dla_errorf(err, DLA_ERR_INVALID, "opcode %d out of range", (int)in->op);
    DlaFormat fmt = opinfo[in->op].fmt;
    uint32_t w[DLA_INSN_WORDS] = {(uint32_t)in->op, 0, 0, 0};
    char present[DLA_FLD_COUNT] = {0};
    int first, end;
    dla_format_rows(fmt, &first, &end);
    for (int i = first; i < end; i++) {
        const DlaFieldDesc *f = &dla_format_fields[i];
        present[f->fld] = 1;
        int64_t v = dla_insn_field_get(in, f->fld), lo, hi;
        dla_field_range(f, &lo, &hi);
        if (v < lo || v > hi)
            return dla_errorf(err, DLA_ERR_INVALID, "%s: field %s=%" PRId64 " out of range [%" PRId64 ", %" PRId64 "]",
                              opinfo[in->op].name, f->name, v, lo, hi);
        put_bits(w, f->word, f->lo, f->width, (uint32_t)(uint64_t)(v - f->bias));
    }
    for (int k = 0; k < DLA_FLD_COUNT; k++)
        if (!present[k] && dla_insn_field_get(in, k) != 0)
            return dla_errorf(err, DLA_ERR_INVALID, "%s: has no field '%s' (it must be 0)", opinfo[in->op].name,
                              dla_field_member_name(k));
    memcpy(words, w, sizeof w);
    return DLA_OK;
}

DlaStatus dla_insn_decode(const uint32_t words[DLA_INSN_WORDS], DlaInsn *out, DlaError *err)
{
    uint32_t opc = words[0] & 0xf;
    memset(out, 0, sizeof *out);
    if (opc >= DLA_OP_COUNT)
        return dla_errorf(err, DLA_ERR_FORMAT, "invalid opcode %u", opc);
    out->op = (DlaOpcode)opc;
    DlaFormat fmt = opinfo[opc].fmt;
    uint32_t used[DLA_INSN_WORDS] = {0xf, 0, 0, 0};
    int first, end;
    dla_format_rows(fmt, &first, &end);
    for (int i = first; i < end; i++) {
        const DlaFieldDesc *f = &dla_format_fields[i];
        uint32_t raw = get_bits(words, f->word, f->lo, f->width);
        used[f->word] |= f->width == 32 ? 0xffffffffu : ((1u << f->width) - 1) << f->lo;
        int64_t v;
        if (fld_kind[f->fld] == 's')
            v = (int64_t)raw - ((raw >> (f->width - 1)) & 1 ? ((int64_t)1 << f->width) : 0);
        else
            v = (int64_t)raw + f->bias;
        if (f->max && v > f->max)
            return dla_errorf(err, DLA_ERR_FORMAT, "%s: field %s=%" PRId64 " out of range (max %d)", opinfo[opc].name,
                              f->name, v, f->max);
        *dla_insn_field(out, f->fld) = v;
    }
    for (int k = 0; k < DLA_INSN_WORDS; k++)
        if (words[k] & ~used[k])
            return dla_errorf(err, DLA_ERR_FORMAT, "%s: reserved bits set in word %d (0x%08x)", opinfo[opc].name, k,
                              words[k] & ~used[k]);
    /* Operand combinations the format allows but the ISA does not. */
    if (out->op == DLA_OP_LOAD && out->i8 && out->mem != DLA_MEM_ACC)
        return dla_errorf(err, DLA_ERR_FORMAT, "load: i8 is only for mem=acc");
    if (out->op == DLA_OP_LOAD && out->flip && dla_mem_elem_bytes((DlaMem)out->mem) != 1 && !out->i8)
        return dla_errorf(err, DLA_ERR_FORMAT, "load: flip needs int8 data (mem=inp/wgt/lut or i8)");
    if (out->op == DLA_OP_STORE && out->flip && !out->i8)
        return dla_errorf(err, DLA_ERR_FORMAT, "store: flip needs i8");
    if (out->op == DLA_OP_ALU && dla_aluop_kind((DlaAluOp)out->aluop) == 'u' && (out->imm || out->src2))
        return dla_errorf(err, DLA_ERR_FORMAT, "alu %s: unary, src2 and imm must be 0",
                          dla_aluop_name((DlaAluOp)out->aluop));
    /* Tokens only flow between neighbouring engines: LOAD has no prev, STORE no next. */
    DlaEngine eng = dla_insn_engine(out);
    if (eng == DLA_ENG_LOAD && (out->pop_prev || out->push_prev))
        return dla_errorf(err, DLA_ERR_FORMAT, "%s: runs on the load engine, which has no previous engine "
                          "(pop_prev/push_prev)", opinfo[opc].name);
    if (eng == DLA_ENG_STORE && (out->pop_next || out->push_next))
        return dla_errorf(err, DLA_ERR_FORMAT, "%s: runs on the store engine, which has no next engine "
                          "(pop_next/push_next)", opinfo[opc].name);
    return DLA_OK;
}

DlaStatus dla_code_decode(const uint32_t *words, uint32_t ninsns, DlaInsn *out, DlaError *err)
{
    for (uint32_t i = 0; i < ninsns; i++) {
        DlaStatus st = dla_insn_decode(words + (size_t)i * DLA_INSN_WORDS, &out[i], err);
        if (st) {
            dla_error_prefix(err, "instruction %u: ", i);
            return st;
        }
    }
    return DLA_OK;
}

DlaStatus dla_isa_check_target(const DlaTarget *t, DlaError *err)
{
    /* The address fields bound the memories the encoding can reach. */
    static const struct {
        const char *what;
        size_t off;
        uint64_t max;
        unsigned esize;
    } lim[] = {
        {"input SRAM", offsetof(DlaTarget, inp_sram_bytes), 1ull << 22, 1},  /* GEMM inp: 22 bits */
        {"weight SRAM", offsetof(DlaTarget, wgt_sram_bytes), 1ull << 22, 1}, /* GEMM wgt: 22 bits */
        {"accumulator SRAM", offsetof(DlaTarget, acc_sram_bytes), 4ull << 20, 4}, /* dst: 20 bits of int32 */
        {"param memory", offsetof(DlaTarget, param_bytes), 4ull << 16, 4},   /* REQUANT param: 16 bits of words */
        {"LUT memory", offsetof(DlaTarget, lut_bytes), 1ull << 16, 1},      /* LUT table: 16 bits */
    };
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        uint64_t v;
        memcpy(&v, (const char *)t + lim[i].off, sizeof v);
        if (v > lim[i].max)
            return dla_errorf(err, DLA_ERR_UNSUPPORTED,
                              "target %s: %s of %" PRIu64 " bytes exceeds the ISA's addressable %" PRIu64, t->name,
                              lim[i].what, v, lim[i].max);
        if (v % lim[i].esize)
            return dla_errorf(err, DLA_ERR_INVALID, "target %s: %s size %" PRIu64 " is not a multiple of %u",
                              t->name, lim[i].what, v, lim[i].esize);
    }
    if (t->gemm_rows < 1 || t->gemm_cols < 1 || t->vector_lanes < 1 || t->gemm_rows > 1024 || t->gemm_cols > 1024 ||
        t->vector_lanes > 4096)
        return dla_errorf(err, DLA_ERR_INVALID, "target %s: GEMM %ux%u / %u lanes out of range", t->name,
                          t->gemm_rows, t->gemm_cols, t->vector_lanes);
    if (t->dram_bytes > (1ull << 32))
        return dla_errorf(err, DLA_ERR_UNSUPPORTED, "target %s: DRAM beyond 4 GiB is not addressable (32-bit dram field)",
                          t->name);
    if (t->dram_bytes_per_cycle < 1)
        return dla_errorf(err, DLA_ERR_INVALID, "target %s: DRAM bandwidth must be >= 1 byte/cycle", t->name);
    return DLA_OK;
}
