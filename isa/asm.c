/* asm.c - the DLA assembler: text (docs/isa.md, "Assembly") to code words.
 * Field names, enum value names and ranges all come from the isa.def table,
 * so a new instruction or field needs no change here. */
#include "isa_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"

typedef struct Asm {
    const char *path;
    int line;
    DlaError *err;
} Asm;

static DlaStatus asm_err(Asm *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static DlaStatus asm_err(Asm *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dla_verrorf(a->err, DLA_ERR_FORMAT, fmt, ap);
    va_end(ap);
    dla_error_prefix(a->err, "%s:%d: ", a->path ? a->path : "<asm>", a->line);
    return DLA_ERR_FORMAT;
}

/* Integer literal: decimal or 0x hex, optional sign, the whole token. */
static int parse_int(const char *s, int64_t *out)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    long long v;
    if (*s == '-') {
        v = strtoll(s, &end, 0);
    } else {
        unsigned long long u = strtoull(s, &end, 0);
        if (u > (unsigned long long)INT64_MAX)
            return 0;
        v = (long long)u;
    }
    if (errno || *end)
        return 0;
    *out = v;
    return 1;
}

/* fp32 literal with an 'f' suffix ("1.5f", "-2e-3f"): its bit pattern. */
static int parse_float_bits(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n < 2 || (s[n - 1] != 'f' && s[n - 1] != 'F'))
        return 0;
    char tmp[64];
    if (n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n - 1);
    tmp[n - 1] = 0;
    char *end;
    errno = 0;
    float f = strtof(tmp, &end);
    if (*end || end == tmp)
        return 0;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    *out = bits;
    return 1;
}

static const DlaFieldDesc *find_field(DlaFormat fmt, const char *name)
{
    for (int i = 0; i < dla_nformat_fields; i++)
        if (dla_format_fields[i].fmt == fmt && strcmp(dla_format_fields[i].name, name) == 0)
            return &dla_format_fields[i];
    return NULL;
}

static int find_opcode(const char *name)
{
    for (int op = 0; op < DLA_OP_COUNT; op++)
        if (strcmp(dla_opcode_name((DlaOpcode)op), name) == 0)
            return op;
    return -1;
}

static DlaStatus parse_value(Asm *a, const DlaFieldDesc *f, const char *s, int64_t *out)
{
    char kind = dla_field_kind(f->fld);
    if (kind == 'e') {
        for (int64_t v = 0; v < 64; v++) {
            const char *nm = dla_field_enum_name(f->fld, v);
            if (nm && strcmp(nm, s) == 0) {
                *out = v;
                return DLA_OK;
            }
        }
    }
    if (parse_int(s, out)) {
        /* 32-bit raw fields (the ALU immediate) also take negative int32. */
        if (f->width == 32 && kind == 'u' && *out < 0 && *out >= INT32_MIN)
            *out = (int64_t)(uint32_t)(int32_t)*out;
        return DLA_OK;
    }
    if (f->width == 32 && kind == 'u' && parse_float_bits(s, out))
        return DLA_OK;
    return asm_err(a, "bad value '%s' for field %s", s, f->name);
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Assemble one line (comment already stripped) into words; *have = 0 if blank. */
static DlaStatus asm_line(Asm *a, char *line, uint32_t w[DLA_INSN_WORDS], int *have)
{
    char *save = NULL;
    const char *delim = " \t\r,";
    char *tok = strtok_r(line, delim, &save);
    *have = 0;
    if (!tok)
        return DLA_OK;
    *have = 1;
    if (strcmp(tok, ".insn") == 0) {
        for (int k = 0; k < DLA_INSN_WORDS; k++) {
            char *t = strtok_r(NULL, delim, &save);
            int64_t v;
            if (!t || !parse_int(t, &v) || v < 0 || v > (int64_t)UINT32_MAX)
                return asm_err(a, ".insn needs %d 32-bit words", DLA_INSN_WORDS);
            w[k] = (uint32_t)v;
        }
        if (strtok_r(NULL, delim, &save))
            return asm_err(a, ".insn takes exactly %d words", DLA_INSN_WORDS);
        return DLA_OK;
    }
    lower(tok);
    int op = find_opcode(tok);
    if (op < 0)
        return asm_err(a, "unknown instruction '%s'", tok);
    DlaInsn in;
    dla_insn_init(&in, (DlaOpcode)op);
    DlaFormat fmt = dla_opcode_format((DlaOpcode)op);
    char seen[DLA_FLD_COUNT] = {0};
    while ((tok = strtok_r(NULL, delim, &save))) {
        char *eq = strchr(tok, '=');
        const char *val = NULL;
        if (eq) {
            *eq = 0;
            val = eq + 1;
        }
        lower(tok);
        const DlaFieldDesc *f = find_field(fmt, tok);
        if (!f)
            return asm_err(a, "%s has no field '%s'", dla_opcode_name((DlaOpcode)op), tok);
        if (seen[f->fld])
            return asm_err(a, "field '%s' given twice", tok);
        seen[f->fld] = 1;
        int64_t v = 0;
        if (!val) {
            if (dla_field_kind(f->fld) != 'f')
                return asm_err(a, "field '%s' needs a value (%s=...)", tok, tok);
            v = 1;
        } else if (parse_value(a, f, val, &v)) {
            return DLA_ERR_FORMAT;
        }
        *dla_insn_field(&in, f->fld) = v;
    }
    DlaError e = {0};
    if (dla_insn_encode(&in, w, &e))
        return asm_err(a, "%s", e.msg);
    /* The decoder also checks operand combinations: reject them here too. */
    DlaInsn chk;
    if (dla_insn_decode(w, &chk, &e))
        return asm_err(a, "%s", e.msg);
    return DLA_OK;
}

DlaStatus dla_asm_parse(const char *text, size_t len, const char *path, uint32_t **words, uint32_t *ninsns,
                        DlaError *err)
{
    Asm a = {path, 0, err};
    uint32_t *code = NULL;
    size_t n = 0, cap = 0;
    size_t pos = 0;
    char *line = NULL;
    size_t linecap = 0;
    *words = NULL;
    *ninsns = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        a.line++;
        size_t ll = end - pos;
        if (ll + 1 > linecap) {
            linecap = ll + 1;
            line = dla_realloc(line, linecap);
        }
        memcpy(line, text + pos, ll);
        line[ll] = 0;
        pos = end + 1;
        if (memchr(line, 0, ll)) {
            free(line);
            free(code);
            return asm_err(&a, "NUL byte in assembly text");
        }
        char *c = strpbrk(line, "#;");
        if (c)
            *c = 0;
        uint32_t w[DLA_INSN_WORDS];
        int have;
        if (asm_line(&a, line, w, &have)) {
            free(line);
            free(code);
            return DLA_ERR_FORMAT;
        }
        if (!have)
            continue;
        if (n >= UINT32_MAX / DLA_INSN_WORDS) {
            free(line);
            free(code);
            return asm_err(&a, "too many instructions");
        }
        code = dla_grow(code, sizeof(uint32_t) * DLA_INSN_WORDS, n + 1, &cap);
        memcpy(code + n * DLA_INSN_WORDS, w, sizeof w);
        n++;
    }
    free(line);
    *words = code ? code : dla_malloc(sizeof(uint32_t) * DLA_INSN_WORDS);
    *ninsns = (uint32_t)n;
    return DLA_OK;
}
