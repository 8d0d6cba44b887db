/* graph.c - IrGraph construction, lookup and lifetime (see ir.h). */
#include "ir.h"
#include "dla_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
    int valid;
} dtype_table[] = {
#define DT(e, code, name, size) [code] = {name, size, 1},
#include "dtypes.def"
#undef DT
};
#define NDTYPES ((int)(sizeof dtype_table / sizeof dtype_table[0]))

int ir_dtype_valid(int code) { return code >= 0 && code < NDTYPES && dtype_table[code].valid; }
const char *ir_dtype_name(IrDtype t) { return ir_dtype_valid((int)t) ? dtype_table[t].name : "?"; }
size_t ir_dtype_size(IrDtype t) { return ir_dtype_valid((int)t) ? dtype_table[t].size : 0; }

int ir_dtype_from_name(const char *name, IrDtype *out)
{
    for (int i = 0; i < NDTYPES; i++)
        if (dtype_table[i].valid && strcmp(dtype_table[i].name, name) == 0) {
            *out = (IrDtype)i;
            return 1;
        }
    return 0;
}

int64_t ir_shape_numel(const IrShape *s)
{
    if (s->rank < 0)
        return -1;
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->dims[i] < 0)
            return -1;
        if (s->dims[i] && n > INT64_MAX / s->dims[i])
            return -2;
        n *= s->dims[i];
    }
    return n;
}

int ir_shape_known(const IrShape *s) { return ir_shape_numel(s) >= 0; }

int ir_shape_equal(const IrShape *a, const IrShape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

IrShape ir_shape_make(int rank, const int64_t *dims)
{
    IrShape s;
    memset(&s, 0, sizeof s);
    DLA_ASSERT(rank <= IR_MAX_RANK);
    s.rank = rank;
    for (int i = 0; i < rank && dims; i++)
        s.dims[i] = dims[i];
    return s;
}

char *ir_shape_str(const IrShape *s, char *buf, size_t n)
{
    if (s->rank < 0) {
        snprintf(buf, n, "[*]");
        return buf;
    }
    size_t k = 0;
    k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "[");
    for (int i = 0; i < s->rank; i++) {
        const char *sep = i ? "," : "";
        if (s->dims[i] >= 0)
            k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%lld", sep, (long long)s->dims[i]);
        else if (s->sym[i])
            k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s", sep, s->sym[i]);
        else
            k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s?", sep);
    }
    snprintf(buf + k, k < n ? n - k : 0, "]");
    return buf;
}

IrGraph *ir_graph_new(void)
{
    IrGraph *g = dla_calloc(1, sizeof *g);
    dla_arena_init(&g->arena);
    g->name = "";
    g->source_path = "";
    return g;
}

typedef struct MappingList {
    DlaMapped *m;
    size_t n, cap;
} MappingList;

void ir_graph_free(IrGraph *g)
{
    if (!g)
        return;
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrNode *nd = &g->nodes[n];
        for (int32_t a = 0; a < nd->nattrs; a++) {
            IrAttr *at = &nd->attrs[a];
            if (at->type == IR_ATTR_GRAPH)
                ir_graph_free(at->g);
            if (at->type == IR_ATTR_GRAPHS)
                for (int32_t k = 0; k < at->n; k++)
                    ir_graph_free(at->graphs[k]);
        }
    }
    for (size_t i = 0; i < g->nowned; i++)
        free(g->owned[i]);
    free(g->owned);
    MappingList *ml = g->mappings;
    if (ml) {
        for (size_t i = 0; i < ml->n; i++)
            dla_file_unmap(&ml->m[i]);
        free(ml->m);
        free(ml);
    }
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->opsets);
    free(g->hash);
    dla_arena_free(&g->arena);
    free(g);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void hash_insert(IrGraph *g, int32_t v)
{
    size_t mask = g->hash_cap - 1;
    size_t i = hash_str(g->values[v].name) & mask;
    while (g->hash[i] >= 0)
        i = (i + 1) & mask;
    g->hash[i] = v;
}

static void hash_rebuild(IrGraph *g, size_t cap)
{
    free(g->hash);
    g->hash_cap = cap;
    g->hash = dla_malloc(cap * sizeof *g->hash);
    for (size_t i = 0; i < cap; i++)
        g->hash[i] = -1;
    for (int32_t v = 0; v < g->nvalues; v++)
        hash_insert(g, v);
}

int32_t ir_value_find(const IrGraph *g, const char *name)
{
    if (!g->hash_cap)
        return -1;
    size_t mask = g->hash_cap - 1;
    for (size_t i = hash_str(name) & mask; g->hash[i] >= 0; i = (i + 1) & mask)
        if (strcmp(g->values[g->hash[i]].name, name) == 0)
            return g->hash[i];
    return -1;
}

int32_t ir_value_add(IrGraph *g, const char *name, IrDtype dt, const IrShape *shape)
{
    if (ir_value_find(g, name) >= 0)
        return -1;
    g->values = dla_grow(g->values, sizeof *g->values, (size_t)g->nvalues + 1, &g->values_cap);
    int32_t v = g->nvalues++;
    IrValue *val = &g->values[v];
    memset(val, 0, sizeof *val);
    val->name = dla_arena_strdup(&g->arena, name);
    val->dtype = dt;
    if (shape)
        val->shape = *shape;
    else
        val->shape.rank = -1;
    val->producer = -1;
    if ((size_t)g->nvalues * 2 > g->hash_cap)
        hash_rebuild(g, g->hash_cap ? g->hash_cap * 2 : 64);
    else
        hash_insert(g, v);
    return v;
}

const char *ir_unique_name(IrGraph *g, const char *base)
{
    if (ir_value_find(g, base) < 0)
        return dla_arena_strdup(&g->arena, base);
    char buf[512];
    for (int i = 1;; i++) {
        snprintf(buf, sizeof buf, "%.480s_%d", base, i);
        if (ir_value_find(g, buf) < 0)
            return dla_arena_strdup(&g->arena, buf);
    }
}

static void own(IrGraph *g, void *p)
{
    g->owned = dla_grow(g->owned, sizeof *g->owned, g->nowned + 1, &g->owned_cap);
    g->owned[g->nowned++] = p;
}

void *ir_graph_alloc_data(IrGraph *g, size_t nbytes)
{
    void *p = dla_calloc(1, nbytes ? nbytes : 1);
    own(g, p);
    return p;
}

void ir_value_set_data(IrGraph *g, int32_t v, const void *data, size_t nbytes)
{
    void *p = ir_graph_alloc_data(g, nbytes);
    if (nbytes)
        memcpy(p, data, nbytes);
    ir_value_borrow_data(g, v, p, nbytes);
}

void ir_value_adopt_data(IrGraph *g, int32_t v, void *data, size_t nbytes)
{
    own(g, data);
    ir_value_borrow_data(g, v, data, nbytes);
}

void ir_value_borrow_data(IrGraph *g, int32_t v, void *data, size_t nbytes)
{
    g->values[v].data = data;
    g->values[v].nbytes = nbytes;
    g->values[v].flags |= IR_VAL_CONST;
}

void ir_graph_keep_mapping(IrGraph *g, const DlaMapped *m)
{
    MappingList *ml = g->mappings;
    if (!ml)
        ml = g->mappings = dla_calloc(1, sizeof *ml);
    ml->m = dla_grow(ml->m, sizeof *ml->m, ml->n + 1, &ml->cap);
    ml->m[ml->n++] = *m;
}

int ir_graph_maps_file(const IrGraph *g, const char *path)
{
    while (g && g->parent)
        g = g->parent;
    const MappingList *ml = g ? g->mappings : NULL;
    for (size_t i = 0; ml && i < ml->n; i++)
        if (dla_path_is_file(path, ml->m[i].dev, ml->m[i].ino))
            return 1;
    return 0;
}

int32_t ir_node_add(IrGraph *g, const char *name, const char *op_type, const char *domain,
                    const int32_t *inputs, int32_t nin, const int32_t *outputs, int32_t nout)
{
    g->nodes = dla_grow(g->nodes, sizeof *g->nodes, (size_t)g->nnodes + 1, &g->nodes_cap);
    int32_t n = g->nnodes++;
    IrNode *nd = &g->nodes[n];
    memset(nd, 0, sizeof *nd);
    nd->name = dla_arena_strdup(&g->arena, name ? name : "");
    nd->op_type = dla_arena_strdup(&g->arena, op_type);
    nd->domain = dla_arena_strdup(&g->arena, domain ? domain : "");
    nd->op = ir_op_lookup(op_type, nd->domain);
    nd->ninputs = nin;
    nd->noutputs = nout;
    nd->inputs = dla_arena_memdup(&g->arena, inputs, (size_t)nin * sizeof *inputs);
    nd->outputs = dla_arena_memdup(&g->arena, outputs, (size_t)nout * sizeof *outputs);
    for (int32_t i = 0; i < nout; i++)
        if (outputs[i] >= 0)
            g->values[outputs[i]].producer = n;
    return n;
}

IrAttr *ir_node_add_attr(IrGraph *g, int32_t node, const char *name, IrAttrType t)
{
    IrNode *nd = &g->nodes[node];
    IrAttr *a = dla_arena_alloc(&g->arena, (size_t)(nd->nattrs + 1) * sizeof *a);
    if (nd->nattrs)
        memcpy(a, nd->attrs, (size_t)nd->nattrs * sizeof *a);
    nd->attrs = a;
    IrAttr *at = &a[nd->nattrs++];
    at->name = dla_arena_strdup(&g->arena, name);
    at->type = t;
    return at;
}

void ir_graph_add_input(IrGraph *g, int32_t v)
{
    g->inputs = dla_grow(g->inputs, sizeof *g->inputs, (size_t)g->ninputs + 1, &g->inputs_cap);
    g->inputs[g->ninputs++] = v;
    g->values[v].flags |= IR_VAL_INPUT;
}

void ir_graph_add_output(IrGraph *g, int32_t v)
{
    g->outputs = dla_grow(g->outputs, sizeof *g->outputs, (size_t)g->noutputs + 1, &g->outputs_cap);
    g->outputs[g->noutputs++] = v;
    g->values[v].flags |= IR_VAL_OUTPUT;
}

void ir_graph_set_opset(IrGraph *g, const char *domain, int64_t version)
{
    if (!domain || strcmp(domain, "ai.onnx") == 0)
        domain = "";
    for (int32_t i = 0; i < g->nopsets; i++)
        if (strcmp(g->opsets[i].domain, domain) == 0) {
            g->opsets[i].version = version;
            return;
        }
    g->opsets = dla_realloc(g->opsets, (size_t)(g->nopsets + 1) * sizeof *g->opsets);
    g->opsets[g->nopsets].domain = dla_arena_strdup(&g->arena, domain);
    g->opsets[g->nopsets].version = version;
    g->nopsets++;
}

int64_t ir_graph_opset(const IrGraph *g, const char *domain)
{
    if (!domain || strcmp(domain, "ai.onnx") == 0)
        domain = "";
    for (; g; g = g->parent)
        for (int32_t i = 0; i < g->nopsets; i++)
            if (strcmp(g->opsets[i].domain, domain) == 0)
                return g->opsets[i].version;
    return 0;
}

void ir_graph_compact(IrGraph *g)
{
    int32_t k = 0;
    int32_t *remap = dla_malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *remap);
    for (int32_t n = 0; n < g->nnodes; n++) {
        remap[n] = g->nodes[n].dead ? -1 : k;
        if (!g->nodes[n].dead)
            g->nodes[k++] = g->nodes[n];
    }
    g->nnodes = k;
    for (int32_t v = 0; v < g->nvalues; v++)
        if (g->values[v].producer >= 0)
            g->values[v].producer = remap[g->values[v].producer];
    free(remap);
}

const IrAttr *ir_attr_find(const IrGraph *g, int32_t node, const char *name)
{
    const IrNode *nd = &g->nodes[node];
    for (int32_t i = 0; i < nd->nattrs; i++)
        if (strcmp(nd->attrs[i].name, name) == 0)
            return &nd->attrs[i];
    return NULL;
}

int64_t ir_attr_int(const IrGraph *g, int32_t node, const char *name, int64_t dflt)
{
    const IrAttr *a = ir_attr_find(g, node, name);
    return a && a->type == IR_ATTR_INT ? a->i : dflt;
}

float ir_attr_float(const IrGraph *g, int32_t node, const char *name, float dflt)
{
    const IrAttr *a = ir_attr_find(g, node, name);
    return a && a->type == IR_ATTR_FLOAT ? a->f : dflt;
}

const char *ir_attr_string(const IrGraph *g, int32_t node, const char *name, const char *dflt)
{
    const IrAttr *a = ir_attr_find(g, node, name);
    return a && a->type == IR_ATTR_STRING ? a->s : dflt;
}

int32_t ir_attr_ints(const IrGraph *g, int32_t node, const char *name, const int64_t **vals)
{
    const IrAttr *a = ir_attr_find(g, node, name);
    if (!a || a->type != IR_ATTR_INTS) {
        *vals = NULL;
        return -1;
    }
    *vals = a->ints;
    return a->n;
}
