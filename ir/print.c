/* print.c - IrGraph -> text (the grammar is in docs/ir.md; parse.c reads it back).
 *
 * The printer decides how each value is introduced: graph inputs first (in input
 * order), then outer-scope references, then constants, then values nothing
 * defines, then node outputs in node order, then the graph outputs. The parser
 * numbers values in that same order, so printing a parsed graph reproduces the
 * text byte for byte. Output goes through a private buffer (one fwrite per
 * 64 KiB) because dumps of large models are mostly hex digits. */
#include "text.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Constants up to this many bytes print as number lists, larger ones as hex. */
#define PRINT_NUMERIC_MAX 256

typedef struct Out {
    FILE *f;       /* NULL: accumulate in memory */
    char *buf;
    size_t len, cap;
    int failed;    /* a write to f failed */
    size_t elide;  /* IrPrintOptions.elide_bytes */
    const IrPrintOptions *opt; /* node notes (of the top graph only) */
    const IrGraph *top;
} Out;

static void out_flush(Out *o)
{
    if (o->f && o->len) {
        if (fwrite(o->buf, 1, o->len, o->f) != o->len)
            o->failed = 1;
        o->len = 0;
    }
}

static void out_reserve(Out *o, size_t n)
{
    if (o->len + n <= o->cap)
        return;
    out_flush(o);
    if (o->len + n <= o->cap)
        return;
    size_t cap = o->cap ? o->cap : 65536;
    while (cap < o->len + n)
        cap *= 2;
    o->buf = dla_realloc(o->buf, cap);
    o->cap = cap;
}

static void out_mem(Out *o, const char *s, size_t n)
{
    out_reserve(o, n);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_s(Out *o, const char *s) { out_mem(o, s, strlen(s)); }

static void out_c(Out *o, char c)
{
    out_reserve(o, 1);
    o->buf[o->len++] = c;
}

static void out_f(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_f(Out *o, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        out_mem(o, tmp, (size_t)n);
        return;
    }
    out_reserve(o, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

static void out_indent(Out *o, int depth)
{
    for (int i = 0; i < depth; i++)
        out_mem(o, "  ", 2);
}

/* FNV-1a-like, but over 8-byte little-endian words with an xor-shift after each
 * multiply: the byte-wise FNV-1a chain (one dependent multiply per byte) took
 * ~0.4 s over resnet50's 100 MB of weights; this takes ~30 ms. The xor-shift
 * lets high bits of the data reach the low bits of the hash. docs/ir.md gives
 * the exact definition. */
static uint64_t checksum_step(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 1099511628211ull;
    return h ^ (h >> 32);
}

uint64_t ir_text_checksum(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8); /* one load; the words are defined as little-endian */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        h = checksum_step(h, w);
    }
    if (i < n) {
        uint64_t w = 0;
        for (int k = 0; i + (size_t)k < n; k++)
            w |= (uint64_t)p[i + (size_t)k] << (8 * k);
        h = checksum_step(h, w);
    }
    return checksum_step(h, (uint64_t)n);
}

/* ---- lexical pieces (the character classes are shared with parse.c via docs/ir.md) ---- */

static int is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '/';
}

static int is_ident(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
        return 0;
    for (s++; *s; s++) {
        c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.'))
            return 0;
    }
    return 1;
}

static void out_quoted(Out *o, const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    out_c(o, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out_c(o, '\\');
            out_c(o, (char)c);
        } else if (c == '\n') {
            out_mem(o, "\\n", 2);
        } else if (c == '\t') {
            out_mem(o, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};
            out_mem(o, e, 4);
        } else {
            out_c(o, (char)c);
        }
    }
    out_c(o, '"');
}

static void out_str(Out *o, const char *s) { out_quoted(o, s ? s : "", s ? strlen(s) : 0); }

/* %name, quoted when it has characters outside the bare set. */
static void out_value_name(Out *o, const char *s)
{
    out_c(o, '%');
    int bare = s && *s;
    for (const char *p = s; bare && *p; p++)
        bare = is_name_char((unsigned char)*p);
    if (bare)
        out_s(o, s);
    else
        out_str(o, s);
}

static void out_ident(Out *o, const char *s)
{
    if (s && is_ident(s))
        out_s(o, s);
    else
        out_str(o, s);
}

static void out_ref(Out *o, const IrGraph *g, int32_t v)
{
    if (v == -1)
        out_c(o, '_');
    else if (v < 0 || v >= g->nvalues)
        out_f(o, "%%<bad value index %d>", (int)v);
    else
        out_value_name(o, g->values[v].name);
}

/* The shortest text that reads back as the same float: the fewest significant
 * digits (up to 9 for float32, 17 for float64, which always suffice) that round
 * trip through strtof/strtod, with ".0" added to integral values so they never
 * read as ints. */
static void out_float(Out *o, double x, int single)
{
    char b[64];
    if (isnan(x)) {
        out_s(o, signbit(x) ? "-nan" : "nan");
        return;
    }
    if (isinf(x)) {
        out_s(o, x < 0 ? "-inf" : "inf");
        return;
    }
    int n = 0;
    for (int digits = single ? 6 : 15; digits <= (single ? 9 : 17); digits++) {
        n = snprintf(b, sizeof b, "%.*g", digits, x);
        if (single ? strtof(b, NULL) == (float)x : strtod(b, NULL) == x)
            break;
    }
    int integral = 1;
    for (int i = 0; i < n; i++)
        if (b[i] != '-' && (b[i] < '0' || b[i] > '9'))
            integral = 0;
    out_mem(o, b, (size_t)n);
    if (integral)
        out_mem(o, ".0", 2);
}

static void out_shape(Out *o, const IrShape *s)
{
    if (s->rank < 0) {
        out_s(o, "[*]");
        return;
    }
    out_c(o, '[');
    for (int i = 0; i < s->rank && i < IR_MAX_RANK; i++) {
        if (i)
            out_c(o, ',');
        if (s->sym[i]) {
            out_ident(o, s->sym[i]);
            if (s->dims[i] >= 0)
                out_f(o, "=%" PRId64, s->dims[i]);
        } else if (s->dims[i] >= 0) {
            out_f(o, "%" PRId64, s->dims[i]);
        } else {
            out_c(o, '?');
        }
    }
    out_c(o, ']');
}

static const char *layout_name(IrLayout l)
{
    switch (l) {
    case IR_LAYOUT_ROWMAJOR: return "rowmajor";
    case IR_LAYOUT_NHWC: return "nhwc";
    case IR_LAYOUT_NCHWc: return "nchwc";
    }
    return NULL;
}

static int type_is_bare(const IrValue *v)
{
    return v->dtype == DT_UNDEFINED && v->shape.rank < 0 &&
           !(v->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) && v->quant.count == 0 &&
           v->layout == IR_LAYOUT_ROWMAJOR && v->layout_block == 0;
}

static void out_dtype(Out *o, IrDtype t)
{
    if (ir_dtype_valid((int)t))
        out_s(o, ir_dtype_name(t));
    else
        out_f(o, "<bad dtype %d>", (int)t);
}

/* " : opt<seq<float32[N,3]>> layout(nhwc) quant(axis=-1, scale=[..], zp=[..])" */
static void out_type(Out *o, const IrValue *v)
{
    if (type_is_bare(v))
        return;
    out_s(o, " : ");
    int closes = 0;
    if (v->flags & IR_VAL_OPTIONAL)
        out_s(o, "opt<"), closes++;
    if (v->flags & IR_VAL_SEQUENCE)
        out_s(o, "seq<"), closes++;
    if (v->flags & IR_VAL_MAP)
        out_s(o, "map<"), closes++;
    out_dtype(o, v->dtype);
    out_shape(o, &v->shape);
    while (closes--)
        out_c(o, '>');
    if (v->layout != IR_LAYOUT_ROWMAJOR || v->layout_block != 0) {
        const char *ln = layout_name(v->layout);
        out_s(o, " layout(");
        if (ln)
            out_s(o, ln);
        else
            out_f(o, "<bad layout %d>", (int)v->layout);
        if (v->layout_block)
            out_f(o, ", %d", (int)v->layout_block);
        out_c(o, ')');
    }
    if (v->quant.count != 0) {
        const IrQuant *q = &v->quant;
        out_f(o, " quant(axis=%d, scale=[", (int)q->axis);
        for (int32_t i = 0; i < q->count && q->scale; i++) {
            if (i)
                out_s(o, ", ");
            out_float(o, q->scale[i], 1);
        }
        out_s(o, "], zp=[");
        for (int32_t i = 0; i < q->count && q->zero_point; i++)
            out_f(o, i ? ", %d" : "%d", (int)q->zero_point[i]);
        out_s(o, "])");
    }
}

static int dtype_prints_numeric(IrDtype t)
{
    switch (t) {
    case DT_BOOL: case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: case DT_INT32:
    case DT_UINT32: case DT_INT64: case DT_UINT64: case DT_FLOAT: case DT_DOUBLE:
        return 1;
    default:
        return 0;
    }
}

static void out_hex(Out *o, const unsigned char *p, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    out_s(o, "hex\"");
    const size_t chunk = 32768;
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        out_reserve(o, 2 * k);
        char *d = o->buf + o->len;
        for (size_t j = 0; j < k; j++) {
            d[2 * j] = hexd[p[i + j] >> 4];
            d[2 * j + 1] = hexd[p[i + j] & 15];
        }
        o->len += 2 * k;
    }
    out_c(o, '"');
}

/* Number list if every element reads back bit-exactly, else hex. */
static void out_data_numeric_or_hex(Out *o, IrDtype t, const void *data, size_t nbytes)
{
    size_t es = ir_dtype_size(t);
    int numeric = dtype_prints_numeric(t) && nbytes <= PRINT_NUMERIC_MAX && es && nbytes % es == 0;
    size_t n = es ? nbytes / es : 0;
    if (numeric && t == DT_FLOAT)
        for (size_t i = 0; i < n && numeric; i++) {
            float x;
            memcpy(&x, (const char *)data + i * 4, 4);
            numeric = isfinite(x);
        }
    if (numeric && t == DT_DOUBLE)
        for (size_t i = 0; i < n && numeric; i++) {
            double x;
            memcpy(&x, (const char *)data + i * 8, 8);
            numeric = isfinite(x);
        }
    if (numeric && t == DT_BOOL)
        for (size_t i = 0; i < n && numeric; i++)
            numeric = ((const unsigned char *)data)[i] <= 1;
    if (!numeric) {
        out_hex(o, data, nbytes);
        return;
    }
    out_c(o, '[');
    const char *p = data;
    for (size_t i = 0; i < n; i++, p += es) {
        if (i)
            out_s(o, ", ");
        switch (t) {
        case DT_BOOL: out_s(o, *p ? "1" : "0"); break;
        case DT_INT8: out_f(o, "%d", (int)*(const int8_t *)p); break;
        case DT_UINT8: out_f(o, "%u", (unsigned)*(const uint8_t *)p); break;
        case DT_INT16: { int16_t x; memcpy(&x, p, 2); out_f(o, "%d", (int)x); break; }
        case DT_UINT16: { uint16_t x; memcpy(&x, p, 2); out_f(o, "%u", (unsigned)x); break; }
        case DT_INT32: { int32_t x; memcpy(&x, p, 4); out_f(o, "%" PRId32, x); break; }
        case DT_UINT32: { uint32_t x; memcpy(&x, p, 4); out_f(o, "%" PRIu32, x); break; }
        case DT_INT64: { int64_t x; memcpy(&x, p, 8); out_f(o, "%" PRId64, x); break; }
        case DT_UINT64: { uint64_t x; memcpy(&x, p, 8); out_f(o, "%" PRIu64, x); break; }
        case DT_FLOAT: { float x; memcpy(&x, p, 4); out_float(o, x, 1); break; }
        case DT_DOUBLE: { double x; memcpy(&x, p, 8); out_float(o, x, 0); break; }
        default: break;
        }
    }
    out_c(o, ']');
}

/* The data of a constant value or a tensor attribute. */
static void out_data(Out *o, IrDtype t, const void *data, size_t nbytes, int may_elide, int elided)
{
    if (elided) {
        uint64_t sum = 0;
        if (data)
            memcpy(&sum, data, sizeof sum);
        out_f(o, "elided(nbytes=%zu, checksum=0x%016" PRIx64 ")", nbytes, sum);
        return;
    }
    if (!data && nbytes) {
        out_s(o, "<missing data>");
        return;
    }
    if (t == DT_STRING) {
        out_c(o, '[');
        const char *const *s = data;
        for (size_t i = 0; i < nbytes / sizeof(char *); i++) {
            if (i)
                out_s(o, ", ");
            out_str(o, s[i]);
        }
        out_c(o, ']');
        return;
    }
    if (may_elide && o->elide && nbytes > o->elide) {
        out_f(o, "elided(nbytes=%zu, checksum=0x%016" PRIx64 ")", nbytes, ir_text_checksum(data, nbytes));
        return;
    }
    out_data_numeric_or_hex(o, t, data, nbytes);
}

static void out_graph(Out *o, const IrGraph *g, int depth);

static void out_tensor(Out *o, const IrTensor *t)
{
    if (!t) {
        out_s(o, "<missing tensor>");
        return;
    }
    out_s(o, "tensor(");
    out_dtype(o, t->dtype);
    out_shape(o, &t->shape);
    out_s(o, " = ");
    out_data(o, t->dtype, t->data, t->nbytes, 0, 0);
    out_c(o, ')');
}

static void out_subgraph(Out *o, const IrGraph *sg, int depth)
{
    if (sg)
        out_graph(o, sg, depth);
    else
        out_s(o, "<missing graph>");
}

static void out_attr_value(Out *o, const IrAttr *a, int depth)
{
    switch (a->type) {
    case IR_ATTR_UNDEF: out_s(o, "undef"); break;
    case IR_ATTR_INT: out_f(o, "%" PRId64, a->i); break;
    case IR_ATTR_FLOAT: out_float(o, a->f, 1); break;
    case IR_ATTR_STRING: out_quoted(o, a->s ? a->s : "", a->s ? a->slen : 0); break;
    case IR_ATTR_TENSOR: out_tensor(o, a->t); break;
    case IR_ATTR_GRAPH: out_subgraph(o, a->g, depth); break;
    case IR_ATTR_INTS:
    case IR_ATTR_FLOATS:
    case IR_ATTR_STRINGS:
    case IR_ATTR_TENSORS:
    case IR_ATTR_GRAPHS: {
        static const char *const prefix[] = {[IR_ATTR_INTS] = "ints", [IR_ATTR_FLOATS] = "floats",
                                             [IR_ATTR_STRINGS] = "strings", [IR_ATTR_TENSORS] = "tensors",
                                             [IR_ATTR_GRAPHS] = "graphs"};
        /* The element type shows in the elements; an empty list needs the prefix. */
        if (a->n <= 0)
            out_s(o, prefix[a->type]);
        const void *arr = a->type == IR_ATTR_INTS ? (const void *)a->ints
                        : a->type == IR_ATTR_FLOATS ? (const void *)a->floats
                        : a->type == IR_ATTR_STRINGS ? (const void *)a->strings
                        : a->type == IR_ATTR_TENSORS ? (const void *)a->tensors : (const void *)a->graphs;
        if (a->n > 0 && !arr) {
            out_f(o, "<%d elements missing>", (int)a->n);
            break;
        }
        out_c(o, '[');
        for (int32_t i = 0; i < a->n; i++) {
            if (i)
                out_s(o, ", ");
            switch (a->type) {
            case IR_ATTR_INTS: out_f(o, "%" PRId64, a->ints[i]); break;
            case IR_ATTR_FLOATS: out_float(o, a->floats[i], 1); break;
            case IR_ATTR_STRINGS: out_str(o, a->strings[i]); break;
            case IR_ATTR_TENSORS: out_tensor(o, &a->tensors[i]); break;
            default: out_subgraph(o, a->graphs[i], depth); break;
            }
        }
        out_c(o, ']');
        break;
    }
    default: out_f(o, "<bad attribute type %d>", (int)a->type); break;
    }
}

/* Keys the node line uses for itself; an attribute with such a name is quoted. */
static int is_reserved_key(const char *s)
{
    return !strcmp(s, "name") || !strcmp(s, "dead") || !strcmp(s, "device") || !strcmp(s, "act_group");
}

static void out_node(Out *o, const IrGraph *g, int32_t n, unsigned char *declared, const int32_t *first_out,
                     int depth)
{
    const IrNode *nd = &g->nodes[n];
    out_indent(o, depth);
    for (int32_t i = 0; i < nd->noutputs && nd->outputs; i++) {
        int32_t v = nd->outputs[i];
        if (i)
            out_s(o, ", ");
        out_ref(o, g, v);
        if (v >= 0 && v < g->nvalues && declared[v] == 2 && first_out[v] == n) {
            const IrValue *val = &g->values[v];
            out_type(o, val);
            /* data that shape inference folded while the node stays */
            if (val->flags & (IR_VAL_CONST | IR_VAL_ELIDED)) {
                out_s(o, " const(");
                out_data(o, val->dtype, val->data, val->nbytes, 1, (val->flags & IR_VAL_ELIDED) != 0);
                out_c(o, ')');
            }
            declared[v] = 1;
        }
    }
    out_s(o, nd->noutputs ? " = " : "= ");
    if (nd->domain && nd->domain[0]) {
        out_ident(o, nd->domain);
        out_s(o, "::");
    }
    out_ident(o, nd->op_type);
    out_c(o, '(');
    for (int32_t i = 0; i < nd->ninputs && nd->inputs; i++) {
        if (i)
            out_s(o, ", ");
        out_ref(o, g, nd->inputs[i]);
    }
    out_c(o, ')');
    int any = 0;
    if (nd->name && nd->name[0]) {
        out_s(o, " {name=");
        out_str(o, nd->name);
        any = 1;
    }
    for (int32_t i = 0; i < nd->nattrs && nd->attrs; i++) {
        const IrAttr *a = &nd->attrs[i];
        out_s(o, any ? ", " : " {");
        any = 1;
        if (a->name && is_ident(a->name) && !is_reserved_key(a->name))
            out_s(o, a->name);
        else
            out_str(o, a->name);
        out_c(o, '=');
        out_attr_value(o, a, depth);
    }
    if (nd->device) {
        out_f(o, "%sdevice=%d", any ? ", " : " {", (int)nd->device);
        any = 1;
    }
    if (nd->act_group) {
        out_f(o, "%sact_group=%d", any ? ", " : " {", (int)nd->act_group);
        any = 1;
    }
    if (nd->dead) {
        out_s(o, any ? ", dead" : " {dead");
        any = 1;
    }
    if (any)
        out_c(o, '}');
    const char *note = o->opt && o->opt->node_note && g == o->top ? o->opt->node_note(g, n, o->opt->note_arg) : NULL;
    if (note) {
        out_s(o, "  # ");
        out_s(o, note);
    }
    out_c(o, '\n');
}

static void out_decl(Out *o, const IrGraph *g, int32_t v, const char *kw, int depth)
{
    const IrValue *val = &g->values[v];
    out_indent(o, depth);
    out_s(o, kw);
    out_c(o, ' ');
    out_value_name(o, val->name);
    out_type(o, val);
    if (val->flags & (IR_VAL_CONST | IR_VAL_ELIDED)) {
        out_s(o, " = ");
        out_data(o, val->dtype, val->data, val->nbytes, 1, (val->flags & IR_VAL_ELIDED) != 0);
    }
    out_c(o, '\n');
}

static void out_graph(Out *o, const IrGraph *g, int depth)
{
    out_s(o, "graph ");
    out_str(o, g->name);
    for (int32_t i = 0; i < g->nopsets; i++) {
        out_s(o, i ? ", " : " opset ");
        out_str(o, g->opsets[i].domain);
        out_f(o, "=%" PRId64, g->opsets[i].version);
    }
    out_s(o, " {\n");
    /* declared[v]: 0 not yet, 1 printed, 2 to be declared (with its type) by the
     * node first_out[v], its producer. */
    unsigned char *declared = dla_calloc((size_t)g->nvalues + 1, 1);
    int32_t *first_out = dla_malloc(((size_t)g->nvalues + 1) * sizeof *first_out);
    for (int32_t v = 0; v < g->nvalues; v++)
        first_out[v] = -1;
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t i = 0; i < g->nodes[n].noutputs && g->nodes[n].outputs; i++) {
            int32_t v = g->nodes[n].outputs[i];
            if (v >= 0 && v < g->nvalues && first_out[v] < 0)
                first_out[v] = n;
        }
    for (int32_t i = 0; i < g->ninputs; i++) {
        int32_t v = g->inputs[i];
        if (v >= 0 && v < g->nvalues && !declared[v]) {
            declared[v] = 1;
            out_decl(o, g, v, "input", depth + 1);
        }
    }
    for (int32_t v = 0; v < g->nvalues; v++)
        if (!declared[v] && (g->values[v].flags & IR_VAL_OUTER)) {
            declared[v] = 1;
            out_decl(o, g, v, "outer", depth + 1);
        }
    for (int32_t v = 0; v < g->nvalues; v++)
        if (!declared[v] && (g->values[v].flags & (IR_VAL_CONST | IR_VAL_ELIDED)) &&
            !(first_out[v] >= 0 && g->values[v].producer == first_out[v])) {
            declared[v] = 1;
            out_decl(o, g, v, "const", depth + 1);
        }
    for (int32_t v = 0; v < g->nvalues; v++)
        if (!declared[v] && (first_out[v] < 0 || g->values[v].producer != first_out[v])) {
            declared[v] = 1;
            out_decl(o, g, v, "value", depth + 1);
        }
    for (int32_t v = 0; v < g->nvalues; v++)
        if (!declared[v])
            declared[v] = 2;
    for (int32_t n = 0; n < g->nnodes; n++)
        out_node(o, g, n, declared, first_out, depth + 1);
    for (int32_t i = 0; i < g->noutputs; i++) {
        out_indent(o, depth + 1);
        out_s(o, "output ");
        out_ref(o, g, g->outputs[i]);
        out_c(o, '\n');
    }
    out_indent(o, depth);
    out_c(o, '}');
    free(declared);
    free(first_out);
}

DlaStatus ir_print(const IrGraph *g, FILE *f, const IrPrintOptions *opt)
{
    Out o = {.f = f, .elide = opt ? opt->elide_bytes : 0, .opt = opt, .top = g};
    out_graph(&o, g, 0);
    out_c(&o, '\n');
    out_flush(&o);
    free(o.buf);
    if (o.failed || fflush(f) != 0)
        return DLA_ERR_IO;
    return DLA_OK;
}

DlaStatus ir_print_string(const IrGraph *g, const IrPrintOptions *opt, char **out, size_t *len,
                          DlaError *err)
{
    (void)err; /* in-memory printing cannot fail: allocation failure is fatal elsewhere */
    Out o = {.f = NULL, .elide = opt ? opt->elide_bytes : 0, .opt = opt, .top = g};
    out_graph(&o, g, 0);
    out_c(&o, '\n');
    out_c(&o, 0);
    *out = o.buf;
    if (len)
        *len = o.len - 1;
    return DLA_OK;
}
