/* ops.c - op table queries generated from ops.def, and the parsed attribute
 * specs (the spec strings are parsed once, on first use). */
#include "ir.h"
#include "ops.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const IrOpInfo ir_op_table[OP__COUNT] = {
#define OP(e, name, dom, mini, maxi, mino, maxo, fn, attrs) \
    [OP_##e] = {name, dom, mini, maxi, mino, maxo, fn, attrs},
#include "ops.def"
#undef OP
};

const char *ir_op_name(IrOp op)
{
    return (unsigned)op < OP__COUNT ? ir_op_table[op].name : "?";
}

IrOp ir_op_lookup(const char *op_type, const char *domain)
{
    if (!domain || strcmp(domain, "ai.onnx") == 0)
        domain = "";
    /* linear scan is fine: ~200 entries, done once per node at import */
    for (int i = 1; i < OP__COUNT; i++)
        if (strcmp(ir_op_table[i].name, op_type) == 0 && strcmp(ir_op_table[i].domain, domain) == 0)
            return (IrOp)i;
    return OP_UNKNOWN;
}

/* ---- attribute specs ---- */

static const struct {
    const char *tok;
    int type;
} attr_types[] = {
    {"i", IR_ATTR_INT},         {"f", IR_ATTR_FLOAT},     {"s", IR_ATTR_STRING},
    {"t", IR_ATTR_TENSOR},      {"g", IR_ATTR_GRAPH},     {"ints", IR_ATTR_INTS},
    {"floats", IR_ATTR_FLOATS}, {"strings", IR_ATTR_STRINGS}, {"tensors", IR_ATTR_TENSORS},
    {"graphs", IR_ATTR_GRAPHS},
};
#define NATTR_TYPES ((int)(sizeof attr_types / sizeof attr_types[0]))

const char *ir_attr_type_name(int type)
{
    for (int i = 0; i < NATTR_TYPES; i++)
        if (attr_types[i].type == type)
            return attr_types[i].tok;
    return "?";
}

static IrOpAttrs op_attrs[OP__COUNT];
static pthread_once_t op_attrs_once = PTHREAD_ONCE_INIT;

/* Parse one "[!]name:type[=default]" item of length n. A malformed table
 * entry is a bug in ops.def, hence an assertion. */
static void parse_item(const char *p, size_t n, IrAttrSpec *sp)
{
    memset(sp, 0, sizeof *sp);
    if (n && *p == '!') {
        sp->required = 1;
        p++, n--;
    }
    const char *colon = memchr(p, ':', n);
    DLA_ASSERT(colon && colon > p);
    size_t nl = (size_t)(colon - p);
    char *name = dla_malloc(nl + 1);
    memcpy(name, p, nl);
    name[nl] = 0;
    sp->name = name;
    const char *t = colon + 1;
    size_t tl = n - nl - 1;
    const char *eq = memchr(t, '=', tl);
    size_t tn = eq ? (size_t)(eq - t) : tl;
    sp->type = -1;
    for (int i = 0; i < NATTR_TYPES; i++)
        if (strlen(attr_types[i].tok) == tn && memcmp(attr_types[i].tok, t, tn) == 0)
            sp->type = attr_types[i].type;
    DLA_ASSERT(sp->type >= 0);
    if (eq) {
        size_t dl = tl - tn - 1;
        char *d = dla_malloc(dl + 1);
        memcpy(d, eq + 1, dl);
        d[dl] = 0;
        sp->has_default = 1;
        if (sp->type == IR_ATTR_INT)
            sp->i = strtoll(d, NULL, 10);
        else if (sp->type == IR_ATTR_FLOAT)
            sp->f = strtof(d, NULL);
        else
            DLA_ASSERT(sp->type == IR_ATTR_STRING);
        sp->s = d; /* kept for every type: the checker prints it */
    }
}

static void parse_all(void)
{
    for (int op = 0; op < OP__COUNT; op++) {
        const char *s = ir_op_table[op].attrs;
        int32_t n = 0;
        if (*s) {
            n = 1;
            for (const char *c = s; *c; c++)
                n += *c == ',';
        }
        IrAttrSpec *sp = n ? dla_calloc((size_t)n, sizeof *sp) : NULL;
        for (int32_t k = 0; k < n; k++) {
            const char *end = strchr(s, ',');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            parse_item(s, len, &sp[k]);
            s += len + (end ? 1 : 0);
        }
        op_attrs[op].specs = sp;
        op_attrs[op].n = n;
    }
}

const IrOpAttrs *ir_op_attrs(IrOp op)
{
    DLA_ASSERT((unsigned)op < OP__COUNT);
    pthread_once(&op_attrs_once, parse_all);
    return &op_attrs[op];
}

const IrAttrSpec *ir_op_attr_spec(IrOp op, const char *name)
{
    const IrOpAttrs *a = ir_op_attrs(op);
    for (int32_t i = 0; i < a->n; i++)
        if (strcmp(a->specs[i].name, name) == 0)
            return &a->specs[i];
    return NULL;
}

/* The spec of `name` for the node's op; asking for an attribute the table
 * does not list is a bug in a shape function. */
static const IrAttrSpec *node_spec(const IrGraph *g, int32_t node, const char *name, int type)
{
    const IrAttrSpec *sp = ir_op_attr_spec(g->nodes[node].op, name);
    DLA_ASSERT(sp && sp->type == type);
    return sp;
}

int64_t ir_node_attr_i(const IrGraph *g, int32_t node, const char *name)
{
    const IrAttrSpec *sp = node_spec(g, node, name, IR_ATTR_INT);
    return ir_attr_int(g, node, name, sp->i);
}

float ir_node_attr_f(const IrGraph *g, int32_t node, const char *name)
{
    const IrAttrSpec *sp = node_spec(g, node, name, IR_ATTR_FLOAT);
    return ir_attr_float(g, node, name, sp->f);
}

const char *ir_node_attr_s(const IrGraph *g, int32_t node, const char *name)
{
    const IrAttrSpec *sp = node_spec(g, node, name, IR_ATTR_STRING);
    return ir_attr_string(g, node, name, sp->s ? sp->s : "");
}
