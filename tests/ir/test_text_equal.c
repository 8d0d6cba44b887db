/* test_text_equal.c - see test_text_equal.h. */
#include "test_text_equal.h"
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int differ(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int differ(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return 0;
}

static int str_eq(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

static int float_eq(float a, float b)
{
    if (isnan(a) && isnan(b))
        return 1;
    return memcmp(&a, &b, sizeof a) == 0;
}

static int shape_eq(const IrShape *a, const IrShape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++) {
        if ((a->dims[i] < 0) != (b->dims[i] < 0) || (a->dims[i] >= 0 && a->dims[i] != b->dims[i]))
            return 0;
        if ((a->sym[i] != NULL) != (b->sym[i] != NULL) || (a->sym[i] && strcmp(a->sym[i], b->sym[i])))
            return 0;
    }
    return 1;
}

static int data_eq(IrDtype t, const void *a, size_t na, const void *b, size_t nb)
{
    if (na != nb)
        return 0;
    if (t == DT_STRING) {
        for (size_t i = 0; i < na / sizeof(char *); i++)
            if (strcmp(((const char *const *)a)[i], ((const char *const *)b)[i]))
                return 0;
        return 1;
    }
    return na == 0 || memcmp(a, b, na) == 0;
}

static int tensor_eq(const IrTensor *a, const IrTensor *b)
{
    return a->dtype == b->dtype && shape_eq(&a->shape, &b->shape) &&
           data_eq(a->dtype, a->data, a->nbytes, b->data, b->nbytes);
}

static int graph_eq(const IrGraph *a, const IrGraph *b, int el, char *why, size_t n);

static int attr_eq(const IrAttr *x, const IrAttr *y, int el, char *why, size_t n)
{
    if (!str_eq(x->name, y->name) || x->type != y->type)
        return differ(why, n, "attribute %s/%d vs %s/%d", x->name, x->type, y->name, y->type);
    switch (x->type) {
    case IR_ATTR_INT: return x->i == y->i || differ(why, n, "attribute %s int", x->name);
    case IR_ATTR_FLOAT: return float_eq(x->f, y->f) || differ(why, n, "attribute %s float", x->name);
    case IR_ATTR_STRING:
        return (x->slen == y->slen && !memcmp(x->s, y->s, x->slen)) || differ(why, n, "attribute %s", x->name);
    case IR_ATTR_TENSOR: return tensor_eq(x->t, y->t) || differ(why, n, "attribute %s tensor", x->name);
    case IR_ATTR_GRAPH: return graph_eq(x->g, y->g, el, why, n);
    default: break;
    }
    if (x->n != y->n)
        return differ(why, n, "attribute %s: %d vs %d elements", x->name, x->n, y->n);
    for (int32_t i = 0; i < x->n; i++) {
        int ok = 1;
        switch (x->type) {
        case IR_ATTR_INTS: ok = x->ints[i] == y->ints[i]; break;
        case IR_ATTR_FLOATS: ok = float_eq(x->floats[i], y->floats[i]); break;
        case IR_ATTR_STRINGS: ok = str_eq(x->strings[i], y->strings[i]); break;
        case IR_ATTR_TENSORS: ok = tensor_eq(&x->tensors[i], &y->tensors[i]); break;
        case IR_ATTR_GRAPHS:
            if (!graph_eq(x->graphs[i], y->graphs[i], el, why, n))
                return 0;
            break;
        default: break;
        }
        if (!ok)
            return differ(why, n, "attribute %s element %d", x->name, i);
    }
    return 1;
}

static const char *vn(const IrGraph *g, int32_t v) { return v < 0 ? "_" : g->values[v].name; }

static int value_eq(const IrGraph *a, int32_t va, const IrGraph *b, int32_t vb, int el, char *why, size_t n)
{
    const IrValue *x = &a->values[va], *y = &b->values[vb];
    uint32_t fx = x->flags, fy = y->flags;
    if (x->dtype != y->dtype || !shape_eq(&x->shape, &y->shape))
        return differ(why, n, "value %s: type differs", x->name);
    if (x->producer != y->producer)
        return differ(why, n, "value %s: producer %d vs %d", x->name, x->producer, y->producer);
    if (el && (fx & IR_VAL_CONST) && (fy & IR_VAL_ELIDED)) {
        uint64_t sum;
        memcpy(&sum, y->data, sizeof sum);
        if (x->nbytes != y->nbytes || sum != ir_text_checksum(x->data, x->nbytes))
            return differ(why, n, "value %s: elided size/checksum differs", x->name);
        fy = (fy & ~(uint32_t)IR_VAL_ELIDED) | IR_VAL_CONST;
    } else if (fx & (IR_VAL_CONST | IR_VAL_ELIDED)) {
        int same = (fx & IR_VAL_ELIDED) ? x->nbytes == y->nbytes && !memcmp(x->data, y->data, 8)
                                        : data_eq(x->dtype, x->data, x->nbytes, y->data, y->nbytes);
        if (!same)
            return differ(why, n, "value %s: data differs", x->name);
    }
    if (fx != fy)
        return differ(why, n, "value %s: flags 0x%x vs 0x%x", x->name, fx, fy);
    if (x->quant.count != y->quant.count || x->quant.axis != y->quant.axis)
        return differ(why, n, "value %s: quantization differs", x->name);
    for (int32_t i = 0; i < x->quant.count; i++)
        if (!float_eq(x->quant.scale[i], y->quant.scale[i]) || x->quant.zero_point[i] != y->quant.zero_point[i])
            return differ(why, n, "value %s: quantization parameter %d differs", x->name, i);
    if (x->layout != y->layout || x->layout_block != y->layout_block)
        return differ(why, n, "value %s: layout differs", x->name);
    return 1;
}

static int graph_eq(const IrGraph *a, const IrGraph *b, int el, char *why, size_t n)
{
    if (!str_eq(a->name, b->name))
        return differ(why, n, "graph name '%s' vs '%s'", a->name, b->name);
    if (a->nopsets != b->nopsets)
        return differ(why, n, "graph %s: opset count", a->name);
    for (int32_t i = 0; i < a->nopsets; i++)
        if (!str_eq(a->opsets[i].domain, b->opsets[i].domain) || a->opsets[i].version != b->opsets[i].version)
            return differ(why, n, "graph %s: opset %d", a->name, i);
    if (a->nvalues != b->nvalues || a->nnodes != b->nnodes || a->ninputs != b->ninputs ||
        a->noutputs != b->noutputs)
        return differ(why, n, "graph %s: counts differ (values %d/%d nodes %d/%d inputs %d/%d outputs %d/%d)",
                      a->name, a->nvalues, b->nvalues, a->nnodes, b->nnodes, a->ninputs, b->ninputs,
                      a->noutputs, b->noutputs);
    for (int32_t v = 0; v < a->nvalues; v++) {
        int32_t w = ir_value_find(b, a->values[v].name);
        if (w < 0)
            return differ(why, n, "graph %s: value %s missing", a->name, a->values[v].name);
        if (!value_eq(a, v, b, w, el, why, n))
            return 0;
    }
    for (int32_t i = 0; i < a->ninputs; i++)
        if (strcmp(vn(a, a->inputs[i]), vn(b, b->inputs[i])))
            return differ(why, n, "graph %s: input %d", a->name, i);
    for (int32_t i = 0; i < a->noutputs; i++)
        if (strcmp(vn(a, a->outputs[i]), vn(b, b->outputs[i])))
            return differ(why, n, "graph %s: output %d", a->name, i);
    for (int32_t k = 0; k < a->nnodes; k++) {
        const IrNode *x = &a->nodes[k], *y = &b->nodes[k];
        if (x->op != y->op || !str_eq(x->op_type, y->op_type) || !str_eq(x->domain, y->domain) ||
            !str_eq(x->name, y->name) || x->dead != y->dead || x->device != y->device || x->ninputs != y->ninputs ||
            x->noutputs != y->noutputs || x->nattrs != y->nattrs)
            return differ(why, n, "graph %s: node %d (%s) differs", a->name, k, x->name);
        for (int32_t i = 0; i < x->ninputs; i++)
            if (strcmp(vn(a, x->inputs[i]), vn(b, y->inputs[i])))
                return differ(why, n, "graph %s: node %d input %d", a->name, k, i);
        for (int32_t i = 0; i < x->noutputs; i++)
            if (strcmp(vn(a, x->outputs[i]), vn(b, y->outputs[i])))
                return differ(why, n, "graph %s: node %d output %d", a->name, k, i);
        for (int32_t i = 0; i < x->nattrs; i++)
            if (!attr_eq(&x->attrs[i], &y->attrs[i], el, why, n))
                return 0;
    }
    return 1;
}

int ir_test_graph_equal(const IrGraph *a, const IrGraph *b, int b_elided, char *why, size_t n)
{
    why[0] = 0;
    return graph_eq(a, b, b_elided, why, n);
}
