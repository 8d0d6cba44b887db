/* parse.c - text -> IrGraph, the inverse of print.c (grammar: docs/ir.md).
 *
 * A hand-written lexer and recursive-descent parser. Newlines are ordinary
 * white space (the printer's one-statement-per-line layout is for people);
 * every statement starts with a keyword or a value reference, so none is
 * ambiguous. Any malformed input, including text cut off anywhere, yields
 * DLA_ERR_FORMAT with "path:line:col: message"; nesting depth is bounded so
 * hostile input cannot exhaust the stack. */
#include "text.h"

#include "dla_file.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_MAX_GRAPH_DEPTH 64
#define PARSE_NUM_MAX 64 /* longest number literal */

typedef enum TokKind {
    T_EOF,
    T_IDENT,  /* [A-Za-z_][A-Za-z0-9_.]* */
    T_STRING, /* "..." (text includes the quotes; decoded on demand) */
    T_NAME,   /* %name or %"name" (text excludes the %) */
    T_NUMBER, /* [+-]?[0-9.]... or [+-]inf/nan */
    T_HEX,    /* hex"..." (text is the digits) */
    T_PUNCT,  /* one of { } ( ) [ ] < > , = : ? * and "::" */
} TokKind;

typedef struct Tok {
    TokKind kind;
    const char *p;
    size_t n;
    size_t off; /* offset in the source, for line:col */
} Tok;

typedef struct Parser {
    const char *s;
    size_t len, pos;
    Tok t;
    const char *path;
    DlaError *err;
    char *scratch; /* decoded strings */
    size_t scratch_cap;
    int depth;
} Parser;

static int is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_ident_char(unsigned char c) { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '.'; }
static int is_name_char(unsigned char c) { return is_ident_char(c) || c == '-' || c == '/'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static void line_col(const Parser *P, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off && i < P->len; i++) {
        if (P->s[i] == '\n')
            l++, c = 1;
        else
            c++;
    }
    *line = l;
    *col = c;
}

static DlaStatus perr_at(Parser *P, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static DlaStatus perr_at(Parser *P, size_t off, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line, col;
    line_col(P, off, &line, &col);
    return dla_errorf(P->err, DLA_ERR_FORMAT, "%s:%d:%d: %s", P->path, line, col, msg);
}

/* Describe the current token for "expected X, found Y" messages. */
static const char *tok_desc(const Parser *P, char *buf, size_t n)
{
    const Tok *t = &P->t;
    if (t->kind == T_EOF)
        return "end of input";
    int k = t->n > 24 ? 24 : (int)t->n;
    const char *pre = t->kind == T_NAME ? "%" : t->kind == T_HEX ? "hex\"" : "";
    snprintf(buf, n, "'%s%.*s%s'", pre, k, t->p, t->n > 24 ? "..." : "");
    return buf;
}

static DlaStatus perr_expected(Parser *P, const char *what)
{
    char db[64];
    return perr_at(P, P->t.off, "expected %s, found %s", what, tok_desc(P, db, sizeof db));
}

#define TRY(x)                     \
    do {                           \
        DlaStatus st_ = (x);       \
        if (st_ != DLA_OK)         \
            return st_;            \
    } while (0)

/* ---- lexer ---- */

static DlaStatus scan_string_end(Parser *P, size_t start, size_t *end)
{
    size_t i = start + 1; /* after the opening quote */
    while (i < P->len && P->s[i] != '"') {
        if (P->s[i] == '\n')
            return perr_at(P, start, "string not closed before the end of the line");
        if (P->s[i] == '\\')
            i++;
        i++;
    }
    if (i >= P->len)
        return perr_at(P, start, "string not closed before the end of input");
    *end = i + 1;
    return DLA_OK;
}

static DlaStatus next(Parser *P)
{
    const char *s = P->s;
    size_t i = P->pos;
    for (;;) {
        while (i < P->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        if (i < P->len && s[i] == '#') {
            while (i < P->len && s[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    Tok *t = &P->t;
    t->off = i;
    t->p = s + i;
    if (i >= P->len) {
        t->kind = T_EOF;
        t->n = 0;
        P->pos = i;
        return DLA_OK;
    }
    unsigned char c = (unsigned char)s[i];
    size_t j = i;
    if (c == '"') {
        t->kind = T_STRING;
        TRY(scan_string_end(P, i, &j));
    } else if (c == '%') {
        t->kind = T_NAME;
        if (i + 1 < P->len && s[i + 1] == '"') {
            TRY(scan_string_end(P, i + 1, &j));
        } else {
            j = i + 1;
            while (j < P->len && is_name_char((unsigned char)s[j]))
                j++;
            if (j == i + 1)
                return perr_at(P, i, "'%%' must be followed by a value name");
        }
        t->p = s + i + 1;
        t->n = j - i - 1;
        P->pos = j;
        return DLA_OK;
    } else if (c == 'h' && i + 3 < P->len && !memcmp(s + i, "hex\"", 4)) {
        t->kind = T_HEX;
        j = i + 4;
        while (j < P->len && s[j] != '"')
            j++;
        if (j >= P->len)
            return perr_at(P, i, "hex data not closed before the end of input");
        t->p = s + i + 4;
        t->n = j - i - 4;
        P->pos = j + 1;
        return DLA_OK;
    } else if (is_ident_start(c)) {
        t->kind = T_IDENT;
        while (j < P->len && is_ident_char((unsigned char)s[j]))
            j++;
    } else if (is_digit(c) || ((c == '-' || c == '+') && i + 1 < P->len &&
                               (is_digit((unsigned char)s[i + 1]) || s[i + 1] == '.' ||
                                s[i + 1] == 'i' || s[i + 1] == 'n')) ||
               (c == '.' && i + 1 < P->len && is_digit((unsigned char)s[i + 1]))) {
        t->kind = T_NUMBER;
        size_t d0 = (c == '-' || c == '+') ? i + 1 : i;
        int hexlit = d0 + 1 < P->len && s[d0] == '0' && (s[d0 + 1] == 'x' || s[d0 + 1] == 'X');
        j = i + 1;
        while (j < P->len) {
            unsigned char d = (unsigned char)s[j];
            if (is_digit(d) || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || d == '.')
                j++;
            else if ((d == '-' || d == '+') && !hexlit && (s[j - 1] == 'e' || s[j - 1] == 'E'))
                j++;
            else
                break;
        }
    } else if (c == ':' && i + 1 < P->len && s[i + 1] == ':') {
        t->kind = T_PUNCT;
        j = i + 2;
    } else if (strchr("{}()[]<>,=:?*", c) && c) {
        t->kind = T_PUNCT;
        j = i + 1;
    } else {
        if (c >= 0x20 && c < 0x7f)
            return perr_at(P, i, "unexpected character '%c'", c);
        return perr_at(P, i, "unexpected byte 0x%02x", c);
    }
    t->n = j - i;
    P->pos = j;
    return DLA_OK;
}

static int is_punct(const Parser *P, const char *p)
{
    return P->t.kind == T_PUNCT && P->t.n == strlen(p) && !memcmp(P->t.p, p, P->t.n);
}

static int is_kw(const Parser *P, const char *kw)
{
    return P->t.kind == T_IDENT && P->t.n == strlen(kw) && !memcmp(P->t.p, kw, P->t.n);
}

static DlaStatus expect_punct(Parser *P, const char *p)
{
    if (!is_punct(P, p)) {
        char what[16];
        snprintf(what, sizeof what, "'%s'", p);
        return perr_expected(P, what);
    }
    return next(P);
}

static DlaStatus expect_kw(Parser *P, const char *kw)
{
    if (!is_kw(P, kw)) {
        char what[32];
        snprintf(what, sizeof what, "'%s'", kw);
        return perr_expected(P, what);
    }
    return next(P);
}

/* Decode a quoted string token (p points at the opening quote) into P->scratch,
 * NUL-terminated; *n gets the decoded length (may contain NULs from \x00). */
static DlaStatus decode_string(Parser *P, const char *p, size_t raw, size_t off, size_t *n)
{
    if (P->scratch_cap < raw + 1) {
        P->scratch_cap = raw + 64;
        P->scratch = dla_realloc(P->scratch, P->scratch_cap);
    }
    size_t k = 0;
    for (size_t i = 1; i + 1 < raw; i++) {
        char c = p[i];
        if (c != '\\') {
            P->scratch[k++] = c;
            continue;
        }
        char e = p[++i];
        if (e == 'n')
            P->scratch[k++] = '\n';
        else if (e == 't')
            P->scratch[k++] = '\t';
        else if (e == '"' || e == '\\')
            P->scratch[k++] = e;
        else if (e == 'x' && i + 2 < raw) {
            int v = 0;
            for (int d = 1; d <= 2; d++) {
                char h = p[i + d];
                int x = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                      : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (x < 0)
                    return perr_at(P, off + i, "bad \\x escape in string");
                v = v * 16 + x;
            }
            P->scratch[k++] = (char)v;
            i += 2;
        } else {
            return perr_at(P, off + i, "unknown escape '\\%c' in string", e);
        }
    }
    P->scratch[k] = 0;
    *n = k;
    return DLA_OK;
}

/* Current token as a NUL-terminated string in P->scratch: IDENT/NAME as written,
 * STRING/quoted NAME decoded. Names and identifiers may not contain NUL. */
static DlaStatus tok_text(Parser *P, size_t *n_out)
{
    const Tok *t = &P->t;
    size_t n = 0;
    if ((t->kind == T_STRING) || (t->kind == T_NAME && t->n && t->p[0] == '"')) {
        TRY(decode_string(P, t->p, t->n, t->kind == T_NAME ? t->off + 1 : t->off, &n));
    } else {
        if (P->scratch_cap < t->n + 1) {
            P->scratch_cap = t->n + 64;
            P->scratch = dla_realloc(P->scratch, P->scratch_cap);
        }
        memcpy(P->scratch, t->p, t->n);
        P->scratch[t->n] = 0;
        n = t->n;
    }
    if (n_out)
        *n_out = n;
    return DLA_OK;
}

/* A string token to an arena string, rejecting embedded NULs unless allow_nul.
 * *out is NULL on failure, so callers never hold an unset pointer. */
static DlaStatus take_string(Parser *P, IrGraph *g, const char **out, size_t *len, int allow_nul)
{
    *out = NULL;
    if (P->t.kind != T_STRING)
        return perr_expected(P, "a quoted string");
    size_t n;
    TRY(tok_text(P, &n));
    if (!allow_nul && strlen(P->scratch) != n)
        return perr_at(P, P->t.off, "this string may not contain \\x00");
    *out = dla_arena_strndup(&g->arena, P->scratch, n);
    if (len)
        *len = n;
    return next(P);
}

/* An identifier or a quoted string (op types, domains, attribute keys, symbolic dims). */
static DlaStatus take_ident(Parser *P, IrGraph *g, const char **out, const char *what)
{
    *out = NULL;
    if (P->t.kind == T_STRING)
        return take_string(P, g, out, NULL, 0);
    if (P->t.kind != T_IDENT)
        return perr_expected(P, what);
    *out = dla_arena_strndup(&g->arena, P->t.p, P->t.n);
    return next(P);
}

/* ---- numbers ---- */

static DlaStatus num_text(Parser *P, char *buf)
{
    const Tok *t = &P->t;
    if (t->kind == T_IDENT && ((t->n == 3 && (!memcmp(t->p, "inf", 3) || !memcmp(t->p, "nan", 3))))) {
        memcpy(buf, t->p, 3);
        buf[3] = 0;
        return DLA_OK;
    }
    if (t->kind != T_NUMBER)
        return perr_expected(P, "a number");
    if (t->n >= PARSE_NUM_MAX)
        return perr_at(P, t->off, "number literal too long");
    memcpy(buf, t->p, t->n);
    buf[t->n] = 0;
    return DLA_OK;
}

/* Does the current number token look like a float (has . e inf nan)? */
static int tok_is_float(const Parser *P)
{
    const Tok *t = &P->t;
    if (t->kind == T_IDENT)
        return 1; /* inf / nan */
    if (t->n > 2 && (t->p[1] == 'x' || t->p[2] == 'x'))
        return 0; /* 0x... */
    for (size_t i = 0; i < t->n; i++)
        if (t->p[i] == '.' || t->p[i] == 'e' || t->p[i] == 'E' || t->p[i] == 'n' || t->p[i] == 'i')
            return 1;
    return 0;
}

static int tok_is_number(const Parser *P)
{
    return P->t.kind == T_NUMBER || is_kw(P, "inf") || is_kw(P, "nan");
}

static DlaStatus take_i64(Parser *P, int64_t *out)
{
    char b[PARSE_NUM_MAX];
    TRY(num_text(P, b));
    if (tok_is_float(P))
        return perr_at(P, P->t.off, "expected an integer, found '%s'", b);
    char *end;
    errno = 0;
    long long v = strtoll(b, &end, 0);
    if (*end || end == b)
        return perr_at(P, P->t.off, "bad integer '%s'", b);
    if (errno == ERANGE)
        return perr_at(P, P->t.off, "integer '%s' out of range", b);
    *out = v;
    return next(P);
}

static DlaStatus take_u64(Parser *P, uint64_t *out)
{
    char b[PARSE_NUM_MAX];
    TRY(num_text(P, b));
    char *end;
    errno = 0;
    if (b[0] == '-' || tok_is_float(P))
        return perr_at(P, P->t.off, "expected a non-negative integer, found '%s'", b);
    unsigned long long v = strtoull(b, &end, 0);
    if (*end || end == b)
        return perr_at(P, P->t.off, "bad integer '%s'", b);
    if (errno == ERANGE)
        return perr_at(P, P->t.off, "integer '%s' out of range", b);
    *out = v;
    return next(P);
}

static DlaStatus take_double(Parser *P, double *out, int single)
{
    char b[PARSE_NUM_MAX];
    TRY(num_text(P, b));
    char *end;
    double v;
    if (single)
        v = strtof(b, &end); /* direct to float: no double rounding */
    else
        v = strtod(b, &end);
    if (*end || end == b)
        return perr_at(P, P->t.off, "bad number '%s'", b);
    *out = v;
    return next(P);
}

static DlaStatus take_i32_range(Parser *P, int32_t *out, int64_t lo, int64_t hi, const char *what)
{
    size_t off = P->t.off;
    int64_t v;
    TRY(take_i64(P, &v));
    if (v < lo || v > hi)
        return perr_at(P, off, "%s %" PRId64 " out of range [%" PRId64 ", %" PRId64 "]", what, v, lo, hi);
    *out = (int32_t)v;
    return DLA_OK;
}

/* ---- types ---- */

static DlaStatus parse_shape(Parser *P, IrGraph *g, IrShape *s)
{
    memset(s, 0, sizeof *s);
    TRY(expect_punct(P, "["));
    if (is_punct(P, "*")) {
        s->rank = -1;
        TRY(next(P));
        return expect_punct(P, "]");
    }
    if (is_punct(P, "]"))
        return next(P);
    for (;;) {
        if (s->rank >= IR_MAX_RANK)
            return perr_at(P, P->t.off, "rank exceeds the maximum of %d", IR_MAX_RANK);
        int i = s->rank++;
        if (is_punct(P, "?")) {
            s->dims[i] = -1;
            TRY(next(P));
        } else if (P->t.kind == T_NUMBER) {
            size_t off = P->t.off;
            TRY(take_i64(P, &s->dims[i]));
            if (s->dims[i] < 0)
                return perr_at(P, off, "negative dimension (write '?' for an unknown one)");
        } else if (P->t.kind == T_IDENT || P->t.kind == T_STRING) {
            TRY(take_ident(P, g, &s->sym[i], "a dimension"));
            s->dims[i] = -1;
            if (is_punct(P, "=")) {
                TRY(next(P));
                size_t off = P->t.off;
                TRY(take_i64(P, &s->dims[i]));
                if (s->dims[i] < 0)
                    return perr_at(P, off, "negative dimension");
            }
        } else {
            return perr_expected(P, "a dimension (number, name or '?')");
        }
        if (is_punct(P, "]"))
            return next(P);
        TRY(expect_punct(P, ","));
    }
}

static DlaStatus parse_dtype(Parser *P, IrDtype *dt)
{
    if (P->t.kind != T_IDENT)
        return perr_expected(P, "an element type");
    TRY(tok_text(P, NULL));
    if (!ir_dtype_from_name(P->scratch, dt))
        return perr_at(P, P->t.off, "unknown element type '%s'", P->scratch);
    return next(P);
}

static DlaStatus parse_layout(Parser *P, IrValue *v)
{
    TRY(expect_punct(P, "("));
    if (is_kw(P, "rowmajor"))
        v->layout = IR_LAYOUT_ROWMAJOR;
    else if (is_kw(P, "nhwc"))
        v->layout = IR_LAYOUT_NHWC;
    else if (is_kw(P, "nchwc"))
        v->layout = IR_LAYOUT_NCHWc;
    else
        return perr_expected(P, "a layout (rowmajor, nhwc, nchwc)");
    TRY(next(P));
    if (is_punct(P, ",")) {
        TRY(next(P));
        TRY(take_i32_range(P, &v->layout_block, 1, INT32_MAX, "layout block"));
    }
    return expect_punct(P, ")");
}

/* quant(axis=A, scale=[...], zp=[...]) */
static DlaStatus parse_quant(Parser *P, IrGraph *g, IrValue *v)
{
    IrQuant *q = &v->quant;
    size_t off = P->t.off;
    TRY(expect_punct(P, "("));
    TRY(expect_kw(P, "axis"));
    TRY(expect_punct(P, "="));
    TRY(take_i32_range(P, &q->axis, -1, IR_MAX_RANK - 1, "quantization axis"));
    TRY(expect_punct(P, ","));
    TRY(expect_kw(P, "scale"));
    TRY(expect_punct(P, "="));
    TRY(expect_punct(P, "["));
    float *sc = NULL;
    size_t ns = 0, cap = 0;
    while (!is_punct(P, "]")) {
        if (ns && expect_punct(P, ",") != DLA_OK)
            goto fail;
        double x;
        if (take_double(P, &x, 1) != DLA_OK)
            goto fail;
        sc = dla_grow(sc, sizeof *sc, ns + 1, &cap);
        sc[ns++] = (float)x;
    }
    if (next(P) != DLA_OK || expect_punct(P, ",") != DLA_OK || expect_kw(P, "zp") != DLA_OK ||
        expect_punct(P, "=") != DLA_OK || expect_punct(P, "[") != DLA_OK)
        goto fail;
    q->scale = dla_arena_memdup(&g->arena, sc, ns * sizeof *sc);
    q->zero_point = dla_arena_alloc(&g->arena, ns * sizeof *q->zero_point);
    free(sc);
    size_t nz = 0;
    while (!is_punct(P, "]")) {
        if (nz)
            TRY(expect_punct(P, ","));
        if (nz >= ns)
            return perr_at(P, P->t.off, "more zero points than scales");
        TRY(take_i32_range(P, &q->zero_point[nz], INT32_MIN, INT32_MAX, "zero point"));
        nz++;
    }
    if (nz != ns || ns == 0)
        return perr_at(P, off, "quant() needs as many zero points as scales, at least one (got %zu and %zu)",
                       ns, nz);
    q->count = (int32_t)ns;
    TRY(next(P));
    return expect_punct(P, ")");
fail:
    free(sc);
    return DLA_ERR_FORMAT;
}

/* type := opt<type> | seq<type> | map<type> | dtype shape ; then layout(...) quant(...) */
static DlaStatus parse_type_core(Parser *P, IrGraph *g, IrValue *v, int depth)
{
    static const struct { const char *kw; uint32_t flag; } wraps[] = {
        {"opt", IR_VAL_OPTIONAL}, {"seq", IR_VAL_SEQUENCE}, {"map", IR_VAL_MAP}};
    for (size_t k = 0; k < sizeof wraps / sizeof wraps[0]; k++)
        if (is_kw(P, wraps[k].kw)) {
            if ((v->flags & wraps[k].flag) || depth >= 3)
                return perr_at(P, P->t.off, "'%s<>' repeated in one type", wraps[k].kw);
            v->flags |= wraps[k].flag;
            TRY(next(P));
            TRY(expect_punct(P, "<"));
            TRY(parse_type_core(P, g, v, depth + 1));
            return expect_punct(P, ">");
        }
    TRY(parse_dtype(P, &v->dtype));
    return parse_shape(P, g, &v->shape);
}

static DlaStatus parse_type(Parser *P, IrGraph *g, int32_t vi)
{
    TRY(parse_type_core(P, g, &g->values[vi], 0));
    if (is_kw(P, "layout")) {
        TRY(next(P));
        TRY(parse_layout(P, &g->values[vi]));
    }
    if (is_kw(P, "quant")) {
        TRY(next(P));
        TRY(parse_quant(P, g, &g->values[vi]));
    }
    return DLA_OK;
}

/* ---- data ---- */

typedef struct Data {
    void *p;       /* graph-owned */
    size_t nbytes;
    int elided;    /* p points to the uint64 checksum */
} Data;

static int hexval(char h)
{
    return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
         : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
}

static DlaStatus store_number(Parser *P, IrDtype t, void *dst)
{
    size_t off = P->t.off;
    if (t == DT_FLOAT || t == DT_DOUBLE) {
        double x;
        TRY(take_double(P, &x, t == DT_FLOAT));
        if (t == DT_FLOAT) {
            float f = (float)x;
            memcpy(dst, &f, 4);
        } else {
            memcpy(dst, &x, 8);
        }
        return DLA_OK;
    }
    if (t == DT_UINT64) {
        uint64_t u;
        TRY(take_u64(P, &u));
        memcpy(dst, &u, 8);
        return DLA_OK;
    }
    int64_t v;
    TRY(take_i64(P, &v));
    int64_t lo = 0, hi = 0;
    switch (t) {
    case DT_BOOL: lo = 0, hi = 1; break;
    case DT_INT8: lo = INT8_MIN, hi = INT8_MAX; break;
    case DT_UINT8: lo = 0, hi = UINT8_MAX; break;
    case DT_INT16: lo = INT16_MIN, hi = INT16_MAX; break;
    case DT_UINT16: lo = 0, hi = UINT16_MAX; break;
    case DT_INT32: lo = INT32_MIN, hi = INT32_MAX; break;
    case DT_UINT32: lo = 0, hi = UINT32_MAX; break;
    case DT_INT64: lo = INT64_MIN, hi = INT64_MAX; break;
    default: break;
    }
    if (v < lo || v > hi)
        return perr_at(P, off, "%" PRId64 " is out of range for %s", v, ir_dtype_name(t));
    switch (ir_dtype_size(t)) {
    case 1: { uint8_t x = (uint8_t)v; memcpy(dst, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t)v; memcpy(dst, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(dst, &x, 4); break; }
    default: memcpy(dst, &v, 8); break;
    }
    return DLA_OK;
}

static DlaStatus parse_data(Parser *P, IrGraph *g, IrDtype t, int allow_elided, Data *d)
{
    memset(d, 0, sizeof *d);
    if (P->t.kind == T_HEX) {
        if (t == DT_STRING)
            return perr_at(P, P->t.off, "string data must be a list of strings, not hex");
        if (P->t.n % 2)
            return perr_at(P, P->t.off, "hex data has an odd number of digits");
        d->nbytes = P->t.n / 2;
        unsigned char *b = ir_graph_alloc_data(g, d->nbytes);
        const char *h = P->t.p;
        for (size_t i = 0; i < d->nbytes; i++) {
            int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return perr_at(P, P->t.off + 4 + 2 * i + (hi >= 0), "bad hex digit");
            b[i] = (unsigned char)(hi << 4 | lo);
        }
        d->p = b;
        return next(P);
    }
    if (is_kw(P, "elided")) {
        if (!allow_elided)
            return perr_at(P, P->t.off, "tensor attributes cannot be elided");
        TRY(next(P));
        TRY(expect_punct(P, "("));
        TRY(expect_kw(P, "nbytes"));
        TRY(expect_punct(P, "="));
        uint64_t nb, sum;
        TRY(take_u64(P, &nb));
        TRY(expect_punct(P, ","));
        TRY(expect_kw(P, "checksum"));
        TRY(expect_punct(P, "="));
        TRY(take_u64(P, &sum));
        TRY(expect_punct(P, ")"));
        uint64_t *c = ir_graph_alloc_data(g, sizeof *c);
        *c = sum;
        d->p = c;
        d->nbytes = (size_t)nb;
        d->elided = 1;
        return DLA_OK;
    }
    if (!is_punct(P, "["))
        return perr_expected(P, "data (a [list], hex\"...\" or elided(...))");
    TRY(next(P));
    size_t es = t == DT_STRING ? sizeof(char *) : ir_dtype_size(t);
    if (t != DT_STRING) {
        switch (t) {
        case DT_BOOL: case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: case DT_INT32:
        case DT_UINT32: case DT_INT64: case DT_UINT64: case DT_FLOAT: case DT_DOUBLE:
            break;
        default:
            return perr_at(P, P->t.off, "%s data must be written as hex\"...\"", ir_dtype_name(t));
        }
    }
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    DlaStatus st = DLA_OK;
    while (!is_punct(P, "]")) {
        if (n && (st = expect_punct(P, ",")) != DLA_OK)
            break;
        buf = dla_grow(buf, es, n + 1, &cap);
        if (t == DT_STRING) {
            const char *s;
            if ((st = take_string(P, g, &s, NULL, 0)) != DLA_OK)
                break;
            memcpy(buf + n * es, &s, sizeof s);
        } else if ((st = store_number(P, t, buf + n * es)) != DLA_OK) {
            break;
        }
        n++;
    }
    if (st == DLA_OK)
        st = next(P);
    if (st == DLA_OK) {
        d->nbytes = n * es;
        d->p = ir_graph_alloc_data(g, d->nbytes);
        if (n)
            memcpy(d->p, buf, d->nbytes);
    }
    free(buf);
    return st;
}

/* ---- graph ---- */

static DlaStatus parse_graph(Parser *P, IrGraph *parent, IrGraph **out);

static DlaStatus parse_tensor(Parser *P, IrGraph *g, IrTensor *t)
{
    TRY(expect_kw(P, "tensor"));
    TRY(expect_punct(P, "("));
    size_t off = P->t.off;
    TRY(parse_dtype(P, &t->dtype));
    TRY(parse_shape(P, g, &t->shape));
    if (t->shape.rank < 0)
        return perr_at(P, off, "a tensor attribute needs a known rank");
    TRY(expect_punct(P, "="));
    Data d;
    TRY(parse_data(P, g, t->dtype, 0, &d));
    t->data = d.p;
    t->nbytes = d.nbytes;
    return expect_punct(P, ")");
}

/* Attach a parsed subgraph at once, so that it is freed with g on any later error. */
static DlaStatus parse_attr_graph(Parser *P, IrGraph *g, IrGraph **slot)
{
    if (P->depth >= PARSE_MAX_GRAPH_DEPTH)
        return perr_at(P, P->t.off, "subgraphs nested deeper than %d", PARSE_MAX_GRAPH_DEPTH);
    return parse_graph(P, g, slot);
}

static IrAttrType list_kind(const Parser *P)
{
    if (P->t.kind == T_STRING)
        return IR_ATTR_STRINGS;
    if (is_kw(P, "tensor"))
        return IR_ATTR_TENSORS;
    if (is_kw(P, "graph"))
        return IR_ATTR_GRAPHS;
    return IR_ATTR_INTS; /* numbers: INTS unless one of them is a float */
}

/* The elements of a list attribute after its '['. kind UNDEF: decided by the first
 * element; a number list is FLOATS if any element is written as a float. */
static DlaStatus parse_list(Parser *P, IrGraph *g, IrAttr *a, IrAttrType kind)
{
    /* Gather elements in temporary arrays, then copy to the arena. */
    size_t n = 0, cap = 0, off = P->t.off;
    double *fv = NULL;
    int64_t *iv = NULL;
    void **pv = NULL;
    size_t fcap = 0, icap = 0;
    int any_float = 0;
    DlaStatus st = DLA_OK;
    if (kind == IR_ATTR_UNDEF)
        kind = list_kind(P);
    while (!is_punct(P, "]")) {
        if (n && (st = expect_punct(P, ",")) != DLA_OK)
            goto out;
        if (kind == IR_ATTR_INTS || kind == IR_ATTR_FLOATS) {
            fv = dla_grow(fv, sizeof *fv, n + 1, &fcap);
            iv = dla_grow(iv, sizeof *iv, n + 1, &icap);
            if (!tok_is_number(P)) {
                st = perr_expected(P, "a number");
                goto out;
            }
            if (tok_is_float(P) || kind == IR_ATTR_FLOATS) {
                any_float |= tok_is_float(P);
                if ((st = take_double(P, &fv[n], 1)) != DLA_OK)
                    goto out;
                iv[n] = 0;
            } else {
                if ((st = take_i64(P, &iv[n])) != DLA_OK)
                    goto out;
                fv[n] = (double)iv[n];
            }
        } else {
            pv = dla_grow(pv, sizeof *pv, n + 1, &cap);
            if (kind == IR_ATTR_STRINGS) {
                const char *s;
                if ((st = take_string(P, g, &s, NULL, 0)) != DLA_OK)
                    goto out;
                pv[n] = (void *)s;
            } else if (kind == IR_ATTR_TENSORS) {
                IrTensor *t = dla_arena_alloc(&g->arena, sizeof *t);
                if ((st = parse_tensor(P, g, t)) != DLA_OK)
                    goto out;
                pv[n] = t;
            } else {
                /* graphs: store into the attribute at once (see parse_attr_graph) */
                IrGraph **gs = dla_arena_alloc(&g->arena, (n + 1) * sizeof *gs);
                if (n)
                    memcpy(gs, a->graphs, n * sizeof *gs);
                a->graphs = gs;
                a->type = IR_ATTR_GRAPHS;
                a->n = (int32_t)n + 1; /* gs[n] is NULL until parse_graph stores it */
                if ((st = parse_attr_graph(P, g, &gs[n])) != DLA_OK)
                    goto out;
            }
        }
        n++;
        if (n > INT32_MAX / 2) {
            st = perr_at(P, off, "list too long");
            goto out;
        }
    }
    if ((st = next(P)) != DLA_OK)
        goto out;
    if (kind == IR_ATTR_INTS && any_float)
        kind = IR_ATTR_FLOATS;
    a->type = kind;
    a->n = (int32_t)n;
    switch (kind) {
    case IR_ATTR_INTS:
        a->ints = dla_arena_memdup(&g->arena, iv, n * sizeof *iv);
        break;
    case IR_ATTR_FLOATS:
        a->floats = dla_arena_alloc(&g->arena, n * sizeof *a->floats);
        for (size_t i = 0; i < n; i++)
            a->floats[i] = (float)fv[i];
        break;
    case IR_ATTR_STRINGS:
        a->strings = dla_arena_memdup(&g->arena, pv, n * sizeof *pv);
        break;
    case IR_ATTR_TENSORS:
        a->tensors = dla_arena_alloc(&g->arena, n * sizeof *a->tensors);
        for (size_t i = 0; i < n; i++)
            a->tensors[i] = *(IrTensor *)pv[i];
        break;
    default:
        break; /* graphs already stored */
    }
out:
    free(fv);
    free(iv);
    free(pv);
    return st;
}

static DlaStatus parse_attr_value(Parser *P, IrGraph *g, IrAttr *a)
{
    if (P->t.kind == T_STRING) {
        a->type = IR_ATTR_STRING;
        return take_string(P, g, &a->s, &a->slen, 1);
    }
    if (tok_is_number(P)) {
        if (tok_is_float(P)) {
            double x;
            a->type = IR_ATTR_FLOAT;
            TRY(take_double(P, &x, 1));
            a->f = (float)x;
            return DLA_OK;
        }
        a->type = IR_ATTR_INT;
        return take_i64(P, &a->i);
    }
    if (is_kw(P, "tensor")) {
        a->type = IR_ATTR_TENSOR;
        a->t = dla_arena_alloc(&g->arena, sizeof *a->t);
        return parse_tensor(P, g, a->t);
    }
    if (is_kw(P, "graph")) {
        a->type = IR_ATTR_GRAPH;
        return parse_attr_graph(P, g, &a->g);
    }
    if (is_kw(P, "undef")) {
        a->type = IR_ATTR_UNDEF;
        return next(P);
    }
    static const struct { const char *kw; IrAttrType t; } typed[] = {
        {"ints", IR_ATTR_INTS}, {"floats", IR_ATTR_FLOATS}, {"strings", IR_ATTR_STRINGS},
        {"tensors", IR_ATTR_TENSORS}, {"graphs", IR_ATTR_GRAPHS}};
    IrAttrType kind = IR_ATTR_UNDEF;
    for (size_t k = 0; k < sizeof typed / sizeof typed[0]; k++)
        if (is_kw(P, typed[k].kw)) {
            kind = typed[k].t;
            TRY(next(P));
            if (!is_punct(P, "["))
                return perr_expected(P, "'['");
        }
    if (!is_punct(P, "["))
        return perr_expected(P, "an attribute value");
    TRY(next(P));
    return parse_list(P, g, a, kind);
}

/* A value reference: %name (must already be declared) or _ (absent). */
static DlaStatus parse_ref(Parser *P, IrGraph *g, int32_t *v)
{
    if (is_kw(P, "_")) {
        *v = -1;
        return next(P);
    }
    if (P->t.kind != T_NAME)
        return perr_expected(P, "a value (%name or _)");
    TRY(tok_text(P, NULL));
    *v = ir_value_find(g, P->scratch);
    if (*v < 0)
        return perr_at(P, P->t.off, "value %%%s is not defined (values must be defined before use)",
                       P->scratch);
    return next(P);
}

/* A new value: %name not declared before in this graph. */
static DlaStatus parse_new_value(Parser *P, IrGraph *g, int32_t *v)
{
    if (P->t.kind != T_NAME)
        return perr_expected(P, "a value name (%name)");
    size_t n;
    TRY(tok_text(P, &n));
    if (n == 0 || strlen(P->scratch) != n)
        return perr_at(P, P->t.off, "a value name must be non-empty and contain no \\x00");
    *v = ir_value_add(g, P->scratch, DT_UNDEFINED, NULL);
    if (*v < 0)
        return perr_at(P, P->t.off, "value %%%s is defined twice", P->scratch);
    TRY(next(P));
    if (is_punct(P, ":")) {
        TRY(next(P));
        TRY(parse_type(P, g, *v));
    }
    return DLA_OK;
}

/* Constant data of value v: "= DATA" (declarations) or "const(DATA)" (node outputs). */
static DlaStatus parse_value_data(Parser *P, IrGraph *g, int32_t v, int in_parens)
{
    TRY(next(P));
    if (in_parens)
        TRY(expect_punct(P, "("));
    Data d;
    TRY(parse_data(P, g, g->values[v].dtype, 1, &d));
    IrValue *val = &g->values[v];
    val->data = d.p;
    val->nbytes = d.nbytes;
    val->flags |= d.elided ? IR_VAL_ELIDED : IR_VAL_CONST;
    return in_parens ? expect_punct(P, ")") : DLA_OK;
}

static DlaStatus parse_decl(Parser *P, IrGraph *g)
{
    size_t off = P->t.off;
    int input = is_kw(P, "input"), outer = is_kw(P, "outer"), cnst = is_kw(P, "const");
    TRY(next(P));
    int32_t v;
    TRY(parse_new_value(P, g, &v));
    if (input)
        ir_graph_add_input(g, v);
    if (outer)
        g->values[v].flags |= IR_VAL_OUTER;
    if (is_punct(P, "=")) {
        if (outer || !(input || cnst))
            return perr_at(P, P->t.off, "only 'input' and 'const' declarations can have data");
        TRY(parse_value_data(P, g, v, 0));
    } else if (cnst) {
        return perr_at(P, off, "a 'const' declaration needs '= data'");
    }
    return DLA_OK;
}

static DlaStatus parse_node(Parser *P, IrGraph *g)
{
    int32_t *outs = NULL, *ins = NULL;
    size_t nout = 0, nin = 0, ocap = 0, icap = 0;
    DlaStatus st = DLA_OK;
    const char *domain = "", *op = NULL;
    /* outputs */
    if (!is_punct(P, "=")) {
        for (;;) {
            outs = dla_grow(outs, sizeof *outs, nout + 1, &ocap);
            if (is_kw(P, "_")) {
                outs[nout] = -1;
                st = next(P);
            } else {
                st = parse_new_value(P, g, &outs[nout]);
                if (st == DLA_OK && is_kw(P, "const")) /* data folded by shape inference */
                    st = parse_value_data(P, g, outs[nout], 1);
            }
            if (st != DLA_OK)
                goto out;
            nout++;
            if (!is_punct(P, ","))
                break;
            if ((st = next(P)) != DLA_OK)
                goto out;
        }
    }
    if ((st = expect_punct(P, "=")) != DLA_OK)
        goto out;
    size_t op_off = P->t.off;
    if ((st = take_ident(P, g, &op, "an op type")) != DLA_OK)
        goto out;
    if (is_punct(P, "::")) {
        domain = op;
        if ((st = next(P)) != DLA_OK || (st = take_ident(P, g, &op, "an op type")) != DLA_OK)
            goto out;
    }
    if (!op[0]) {
        st = perr_at(P, op_off, "empty op type");
        goto out;
    }
    if ((st = expect_punct(P, "(")) != DLA_OK)
        goto out;
    while (!is_punct(P, ")")) {
        if (nin && (st = expect_punct(P, ",")) != DLA_OK)
            goto out;
        ins = dla_grow(ins, sizeof *ins, nin + 1, &icap);
        if ((st = parse_ref(P, g, &ins[nin])) != DLA_OK)
            goto out;
        nin++;
    }
    if ((st = next(P)) != DLA_OK)
        goto out;
    int32_t n = ir_node_add(g, "", op, domain, ins, (int32_t)nin, outs, (int32_t)nout);
    if (is_punct(P, "{")) {
        if ((st = next(P)) != DLA_OK)
            goto out;
        int first = 1;
        while (!is_punct(P, "}")) {
            if (!first && (st = expect_punct(P, ",")) != DLA_OK)
                goto out;
            first = 0;
            size_t key_off = P->t.off;
            if (is_kw(P, "name")) {
                if ((st = next(P)) != DLA_OK || (st = expect_punct(P, "=")) != DLA_OK ||
                    (st = take_string(P, g, &g->nodes[n].name, NULL, 0)) != DLA_OK)
                    goto out;
                continue;
            }
            if (is_kw(P, "device")) {
                if ((st = next(P)) != DLA_OK || (st = expect_punct(P, "=")) != DLA_OK ||
                    (st = take_i32_range(P, &g->nodes[n].device, 0, INT32_MAX, "device")) != DLA_OK)
                    goto out;
                continue;
            }
            if (is_kw(P, "act_group")) {
                if ((st = next(P)) != DLA_OK || (st = expect_punct(P, "=")) != DLA_OK ||
                    (st = take_i32_range(P, &g->nodes[n].act_group, 0, INT32_MAX, "act_group")) != DLA_OK)
                    goto out;
                continue;
            }
            if (is_kw(P, "dead")) {
                g->nodes[n].dead = 1;
                if ((st = next(P)) != DLA_OK)
                    goto out;
                continue;
            }
            const char *key;
            if ((st = take_ident(P, g, &key, "an attribute name")) != DLA_OK)
                goto out;
            if (!key[0]) {
                st = perr_at(P, key_off, "empty attribute name");
                goto out;
            }
            if (ir_attr_find(g, n, key)) {
                st = perr_at(P, key_off, "attribute '%s' given twice", key);
                goto out;
            }
            if ((st = expect_punct(P, "=")) != DLA_OK)
                goto out;
            IrAttr *a = ir_node_add_attr(g, n, key, IR_ATTR_UNDEF);
            if ((st = parse_attr_value(P, g, a)) != DLA_OK)
                goto out;
        }
        st = next(P);
    }
out:
    free(outs);
    free(ins);
    return st;
}

static DlaStatus parse_body(Parser *P, IrGraph *g)
{
    for (;;) {
        if (P->t.kind == T_EOF)
            return perr_expected(P, "a statement or '}'");
        if (is_punct(P, "}"))
            return next(P);
        if (is_kw(P, "input") || is_kw(P, "outer") || is_kw(P, "const") || is_kw(P, "value")) {
            TRY(parse_decl(P, g));
        } else if (is_kw(P, "output")) {
            TRY(next(P));
            int32_t v;
            size_t off = P->t.off;
            TRY(parse_ref(P, g, &v));
            if (v < 0)
                return perr_at(P, off, "a graph output cannot be absent ('_')");
            ir_graph_add_output(g, v);
        } else if (P->t.kind == T_NAME || is_kw(P, "_") || is_punct(P, "=")) {
            TRY(parse_node(P, g));
        } else {
            return perr_expected(P, "a statement (input, outer, const, value, output, or a node)");
        }
    }
}

static DlaStatus parse_graph(Parser *P, IrGraph *parent, IrGraph **out)
{
    IrGraph *g = ir_graph_new();
    *out = g; /* the caller owns it (attached) even if parsing fails below */
    g->parent = parent;
    g->source_path = parent ? parent->source_path : dla_arena_strdup(&g->arena, P->path);
    P->depth++;
    TRY(expect_kw(P, "graph"));
    TRY(take_string(P, g, &g->name, NULL, 0));
    if (is_kw(P, "opset")) {
        TRY(next(P));
        for (;;) {
            const char *dom;
            size_t off = P->t.off;
            TRY(take_string(P, g, &dom, NULL, 0));
            TRY(expect_punct(P, "="));
            int64_t ver;
            TRY(take_i64(P, &ver));
            const char *norm = strcmp(dom, "ai.onnx") ? dom : "";
            for (int32_t i = 0; i < g->nopsets; i++)
                if (!strcmp(g->opsets[i].domain, norm))
                    return perr_at(P, off, "opset for domain \"%s\" given twice", dom);
            ir_graph_set_opset(g, dom, ver);
            if (!is_punct(P, ","))
                break;
            TRY(next(P));
        }
    }
    TRY(expect_punct(P, "{"));
    TRY(parse_body(P, g));
    P->depth--;
    return DLA_OK;
}

DlaStatus ir_parse(const char *text, size_t len, const char *path_for_errors, IrGraph **out, DlaError *err)
{
    Parser P = {.s = text, .len = len, .path = path_for_errors ? path_for_errors : "<ir>", .err = err};
    *out = NULL;
    IrGraph *g = NULL;
    DlaStatus st = next(&P);
    if (st == DLA_OK)
        st = parse_graph(&P, NULL, &g);
    if (st == DLA_OK && P.t.kind != T_EOF)
        st = perr_expected(&P, "end of input after the graph");
    free(P.scratch);
    if (st != DLA_OK) {
        ir_graph_free(g);
        return st;
    }
    *out = g;
    return DLA_OK;
}

DlaStatus ir_parse_file(const char *path, const char *path_for_errors, IrGraph **out, DlaError *err)
{
    char *text;
    size_t n;
    DlaStatus st = dla_file_read(path, &text, &n, err);
    if (st != DLA_OK)
        return st;
    st = ir_parse(text, n, path_for_errors ? path_for_errors : path, out, err);
    free(text);
    return st;
}
