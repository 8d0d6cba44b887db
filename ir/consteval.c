/* consteval.c - the constant evaluator (consteval.h): element access and
 * broadcasting shared with consteval_move.c, and the arithmetic, cast and
 * generator ops (Shape, Size, Constant, ConstantOfShape, Range). */
#include "consteval_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int ce_is_const(const IrGraph *g, int32_t v)
{
    if (v < 0 || v >= g->nvalues)
        return 0;
    const IrValue *val = &g->values[v];
    return (val->flags & IR_VAL_CONST) && !(val->flags & IR_VAL_ELIDED) && (val->data || val->nbytes == 0);
}

double ce_get_d(const CeTensor *t, int64_t i)
{
    const uint8_t *q = t->p + (size_t)i * t->esz;
    switch (t->dt) {
    case DT_FLOAT: { float v; memcpy(&v, q, 4); return v; }
    case DT_DOUBLE: { double v; memcpy(&v, q, 8); return v; }
    case DT_UINT64: { uint64_t v; memcpy(&v, q, 8); return (double)v; }
    default: break;
    }
    int64_t v = 0;
    switch (t->dt) {
    case DT_INT8: { int8_t x; memcpy(&x, q, 1); v = x; break; }
    case DT_UINT8: case DT_BOOL: { uint8_t x; memcpy(&x, q, 1); v = x; break; }
    case DT_INT16: { int16_t x; memcpy(&x, q, 2); v = x; break; }
    case DT_UINT16: { uint16_t x; memcpy(&x, q, 2); v = x; break; }
    case DT_INT32: { int32_t x; memcpy(&x, q, 4); v = x; break; }
    case DT_UINT32: { uint32_t x; memcpy(&x, q, 4); v = x; break; }
    case DT_INT64: memcpy(&v, q, 8); break;
    default: break;
    }
    return (double)v;
}

int64_t ce_get_i(const CeTensor *t, int64_t i)
{
    if (ce_is_float(t->dt)) {
        double d = ce_get_d(t, i);
        return d != d ? 0 : d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
    }
    const uint8_t *q = t->p + (size_t)i * t->esz;
    switch (t->dt) {
    case DT_INT8: { int8_t x; memcpy(&x, q, 1); return x; }
    case DT_UINT8: case DT_BOOL: { uint8_t x; memcpy(&x, q, 1); return x; }
    case DT_INT16: { int16_t x; memcpy(&x, q, 2); return x; }
    case DT_UINT16: { uint16_t x; memcpy(&x, q, 2); return x; }
    case DT_INT32: { int32_t x; memcpy(&x, q, 4); return x; }
    case DT_UINT32: { uint32_t x; memcpy(&x, q, 4); return x; }
    case DT_INT64: case DT_UINT64: { int64_t x; memcpy(&x, q, 8); return x; }
    default: return 0;
    }
}

/* Store an integer, wrapping to the width of t (two's complement). */
void ce_set_i(void *p, IrDtype t, int64_t i, int64_t v)
{
    uint8_t *q = (uint8_t *)p + (size_t)i * ir_dtype_size(t);
    switch (t) {
    case DT_FLOAT: { float x = (float)v; memcpy(q, &x, 4); break; }
    case DT_DOUBLE: { double x = (double)v; memcpy(q, &x, 8); break; }
    case DT_BOOL: *q = v != 0; break;
    case DT_INT8: case DT_UINT8: *q = (uint8_t)v; break;
    case DT_INT16: case DT_UINT16: { uint16_t x = (uint16_t)v; memcpy(q, &x, 2); break; }
    case DT_INT32: case DT_UINT32: { uint32_t x = (uint32_t)v; memcpy(q, &x, 4); break; }
    case DT_INT64: case DT_UINT64: memcpy(q, &v, 8); break;
    default: break;
    }
}

void ce_set_d(void *p, IrDtype t, int64_t i, double v)
{
    uint8_t *q = (uint8_t *)p + (size_t)i * ir_dtype_size(t);
    if (t == DT_FLOAT) {
        float x = (float)v;
        memcpy(q, &x, 4);
    } else if (t == DT_DOUBLE) {
        memcpy(q, &v, 8);
    } else if (t == DT_BOOL) {
        *q = v != 0;
    } else {
        ce_set_i(p, t, i, v != v ? 0 : v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v);
    }
}

/* Fetch input i of node n as a constant ce_operand; 0 if it is absent or not constant. */
int ce_operand(IrGraph *g, int32_t n, int32_t i, CeTensor *t)
{
    int32_t v = ir_in(g, n, i);
    if (!ce_is_const(g, v))
        return 0;
    const IrValue *val = &g->values[v];
    int64_t numel = ir_shape_numel(&val->shape);
    size_t esz = ir_dtype_size(val->dtype);
    if (numel < 0 || esz == 0 || val->dtype == DT_STRING || (uint64_t)numel * esz != val->nbytes)
        return 0;
    t->dt = val->dtype;
    t->sh = val->shape;
    t->n = numel;
    t->esz = esz;
    t->p = val->data;
    return 1;
}

DlaStatus ce_bad(IrGraph *g, int32_t n, DlaError *err, const char *what)
{
    return dla_errorf(err, DLA_ERR_INVALID, "%s: node '%s' (%s): %s", g->source_path, g->nodes[n].name,
                      g->nodes[n].op_type, what);
}

void *ce_alloc_out(IrGraph *g, IrConstResult *r, IrDtype dt, const IrShape *sh)
{
    int64_t n = ir_shape_numel(sh);
    r->dt = dt;
    r->sh = *sh;
    r->nbytes = (size_t)n * ir_dtype_size(dt);
    r->data = ir_graph_alloc_data(g, r->nbytes);
    return r->data;
}

void ce_unravel(const IrShape *s, int64_t li, int64_t *c)
{
    for (int d = s->rank - 1; d >= 0; d--) {
        c[d] = s->dims[d] ? li % s->dims[d] : 0;
        li = s->dims[d] ? li / s->dims[d] : 0;
    }
}

int64_t ce_bcast_index(const IrShape *out, const IrShape *in, const int64_t *c)
{
    int64_t li = 0;
    int off = out->rank - in->rank;
    for (int d = 0; d < in->rank; d++)
        li = li * in->dims[d] + (in->dims[d] == 1 ? 0 : c[d + off]);
    return li;
}

/* Multidirectional (numpy) broadcast of a and b into out; 0 if incompatible. */
int ce_bcast_shape(const IrShape *a, const IrShape *b, IrShape *out)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    *out = ir_shape_make(r, NULL);
    for (int d = 0; d < r; d++) {
        int ia = d - (r - a->rank), ib = d - (r - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return 0;
        out->dims[d] = da == 1 ? db : da;
    }
    return 1;
}


/* ---- the op evaluators: return CE_YES (r filled), CE_NO, or -1 with err set ---- */

static int ce_shape(IrGraph *g, int32_t n, IrConstResult *r)
{
    int32_t x = ir_in(g, n, 0);
    if (x < 0)
        return CE_NO;
    const IrShape *s = &g->values[x].shape;
    if (s->rank < 0)
        return CE_NO;
    int64_t start = ir_attr_int(g, n, "start", 0), end = ir_attr_int(g, n, "end", s->rank);
    start = ce_norm_axis(start, s->rank);
    end = ce_norm_axis(end, s->rank);
    start = start < 0 ? 0 : start > s->rank ? s->rank : start;
    end = end < 0 ? 0 : end > s->rank ? s->rank : end;
    int64_t k = end > start ? end - start : 0;
    for (int64_t d = start; d < start + k; d++)
        if (s->dims[d] < 0)
            return CE_NO;
    IrShape os = ir_shape_make(1, &k);
    void *p = ce_alloc_out(g, r, DT_INT64, &os);
    for (int64_t d = 0; d < k; d++)
        ce_set_i(p, DT_INT64, d, s->dims[start + d]);
    return CE_YES;
}

static int ce_size(IrGraph *g, int32_t n, IrConstResult *r)
{
    int32_t x = ir_in(g, n, 0);
    int64_t numel = x < 0 ? -1 : ir_shape_numel(&g->values[x].shape);
    if (numel < 0)
        return CE_NO;
    IrShape os = ir_shape_make(0, NULL);
    ce_set_i(ce_alloc_out(g, r, DT_INT64, &os), DT_INT64, 0, numel);
    return CE_YES;
}

static int ce_cast(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit)
{
    CeTensor x;
    int64_t to = ir_attr_int(g, n, "to", 0);
    if (!ce_operand(g, n, 0, &x) || !ir_dtype_valid((int)to) || !ce_is_num((IrDtype)to) || !ce_is_num(x.dt) ||
        x.n > limit)
        return CE_NO;
    void *p = ce_alloc_out(g, r, (IrDtype)to, &x.sh);
    for (int64_t i = 0; i < x.n; i++) {
        if (ce_is_float(x.dt))
            ce_set_d(p, (IrDtype)to, i, ce_get_d(&x, i));
        else if (x.dt == DT_UINT64 && ce_is_float((IrDtype)to))
            ce_set_d(p, (IrDtype)to, i, ce_get_d(&x, i));
        else
            ce_set_i(p, (IrDtype)to, i, ce_get_i(&x, i));
    }
    return CE_YES;
}

typedef enum BinOp { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_EQ, B_LT, B_GT } BinOp;

static int ce_binary(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, BinOp op)
{
    CeTensor a, b;
    IrShape os;
    if (!ce_operand(g, n, 0, &a) || !ce_operand(g, n, 1, &b) || a.dt != b.dt || !ce_is_num(a.dt) ||
        !ce_bcast_shape(&a.sh, &b.sh, &os) || ir_shape_numel(&os) > limit)
        return CE_NO;
    if (op <= B_DIV && a.dt == DT_BOOL)
        return CE_NO;
    int64_t numel = ir_shape_numel(&os), c[IR_MAX_RANK];
    IrDtype odt = op >= B_EQ ? DT_BOOL : a.dt;
    /* Check integer division before allocating: a zero divisor leaves the node. */
    if (op == B_DIV && !ce_is_float(a.dt))
        for (int64_t i = 0; i < b.n; i++)
            if (ce_get_i(&b, i) == 0)
                return CE_NO;
    void *p = ce_alloc_out(g, r, odt, &os);
    for (int64_t i = 0; i < numel; i++) {
        ce_unravel(&os, i, c);
        int64_t ia = ce_bcast_index(&os, &a.sh, c), ib = ce_bcast_index(&os, &b.sh, c);
        if (ce_is_float(a.dt)) {
            double x = ce_get_d(&a, ia), y = ce_get_d(&b, ib);
            switch (op) {
            case B_ADD: ce_set_d(p, odt, i, x + y); break;
            case B_SUB: ce_set_d(p, odt, i, x - y); break;
            case B_MUL: ce_set_d(p, odt, i, x * y); break;
            case B_DIV: ce_set_d(p, odt, i, x / y); break;
            case B_MAX: ce_set_d(p, odt, i, fmax(x, y)); break;
            case B_MIN: ce_set_d(p, odt, i, fmin(x, y)); break;
            case B_EQ: ce_set_i(p, odt, i, x == y); break;
            case B_LT: ce_set_i(p, odt, i, x < y); break;
            case B_GT: ce_set_i(p, odt, i, x > y); break;
            }
        } else {
            int64_t x = ce_get_i(&a, ia), y = ce_get_i(&b, ib);
            uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
            switch (op) {
            case B_ADD: ce_set_i(p, odt, i, (int64_t)(ux + uy)); break;
            case B_SUB: ce_set_i(p, odt, i, (int64_t)(ux - uy)); break;
            case B_MUL: ce_set_i(p, odt, i, (int64_t)(ux * uy)); break;
            case B_DIV:
                /* truncating division, as C and ONNX Runtime do; INT64_MIN / -1 wraps */
                ce_set_i(p, odt, i, (x == INT64_MIN && y == -1) ? INT64_MIN :
                                 a.dt == DT_UINT64 ? (int64_t)(ux / uy) : x / y);
                break;
            case B_MAX: ce_set_i(p, odt, i, (a.dt == DT_UINT64 ? ux > uy : x > y) ? x : y); break;
            case B_MIN: ce_set_i(p, odt, i, (a.dt == DT_UINT64 ? ux < uy : x < y) ? x : y); break;
            case B_EQ: ce_set_i(p, odt, i, x == y); break;
            case B_LT: ce_set_i(p, odt, i, a.dt == DT_UINT64 ? ux < uy : x < y); break;
            case B_GT: ce_set_i(p, odt, i, a.dt == DT_UINT64 ? ux > uy : x > y); break;
            }
        }
    }
    return CE_YES;
}

static int ce_const_of_shape(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err)
{
    CeTensor s;
    IrShape os;
    int32_t y = g->nodes[n].noutputs > 0 ? g->nodes[n].outputs[0] : -1;
    if (ce_operand(g, n, 0, &s)) {
        if (!ce_is_int(s.dt) || s.sh.rank != 1 || s.n > IR_MAX_RANK)
            return CE_NO;
        os = ir_shape_make((int)s.n, NULL);
        for (int d = 0; d < os.rank; d++) {
            os.dims[d] = ce_get_i(&s, d);
            if (os.dims[d] < 0)
                return ce_bad(g, n, err, "ConstantOfShape: negative dim"), -1;
        }
    } else if (y >= 0 && ir_shape_known(&g->values[y].shape)) {
        os = g->values[y].shape; /* the shape input is not constant, but inference knows the shape */
    } else {
        return CE_NO;
    }
    int64_t numel = ir_shape_numel(&os);
    if (numel < 0 || numel > limit)
        return CE_NO;
    const IrAttr *va = ir_attr_find(g, n, "value");
    IrDtype dt = DT_FLOAT;
    const void *val = NULL;
    float zero = 0;
    if (va && va->type == IR_ATTR_TENSOR && va->t) {
        if (ir_shape_numel(&va->t->shape) != 1 || va->t->nbytes != ir_dtype_size(va->t->dtype) ||
            !va->t->nbytes)
            return ce_bad(g, n, err, "ConstantOfShape: value must hold one element"), -1;
        dt = va->t->dtype;
        val = va->t->data;
    } else {
        val = &zero;
    }
    uint8_t *p = ce_alloc_out(g, r, dt, &os);
    size_t esz = ir_dtype_size(dt);
    for (int64_t i = 0; i < numel; i++)
        memcpy(p + (size_t)i * esz, val, esz);
    return CE_YES;
}

static int ce_range(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, DlaError *err)
{
    CeTensor a, b, c;
    if (!ce_operand(g, n, 0, &a) || !ce_operand(g, n, 1, &b) || !ce_operand(g, n, 2, &c) || a.dt != b.dt ||
        a.dt != c.dt || a.n != 1 || b.n != 1 || c.n != 1 || !ce_is_num(a.dt) || a.dt == DT_BOOL)
        return CE_NO;
    double s = ce_get_d(&a, 0), l = ce_get_d(&b, 0), d = ce_get_d(&c, 0);
    if (d == 0 || d != d || s != s || l != l)
        return ce_bad(g, n, err, "Range: delta is zero or an ce_operand is NaN"), -1;
    /* number_of_elements = max(ceil((limit - start) / delta), 0) */
    double cnt = ceil((l - s) / d);
    if (cnt > (double)limit)
        return CE_NO;
    int64_t k = cnt > 0 ? (int64_t)cnt : 0;
    IrShape os = ir_shape_make(1, &k);
    void *p = ce_alloc_out(g, r, a.dt, &os);
    for (int64_t i = 0; i < k; i++) {
        if (ce_is_float(a.dt))
            ce_set_d(p, a.dt, i, s + (double)i * d);
        else
            ce_set_i(p, a.dt, i, ce_get_i(&a, 0) + i * ce_get_i(&c, 0));
    }
    return CE_YES;
}

/* A Constant node that survived import (the frontend normally turns them into
 * constant values): value, value_float(s) or value_int(s). */
static int ce_constant(IrGraph *g, int32_t n, IrConstResult *r)
{
    const IrNode *nd = &g->nodes[n];
    for (int32_t i = 0; i < nd->nattrs; i++) {
        const IrAttr *a = &nd->attrs[i];
        if (!strcmp(a->name, "value") && a->type == IR_ATTR_TENSOR && a->t && a->t->dtype != DT_STRING &&
            ir_shape_numel(&a->t->shape) >= 0 &&
            (uint64_t)ir_shape_numel(&a->t->shape) * ir_dtype_size(a->t->dtype) == a->t->nbytes) {
            r->dt = a->t->dtype;
            r->sh = a->t->shape;
            r->data = a->t->data;
            r->shared = 1;
            r->nbytes = a->t->nbytes;
            return CE_YES;
        }
        int isf = !strcmp(a->name, "value_float") || !strcmp(a->name, "value_floats");
        int isi = !strcmp(a->name, "value_int") || !strcmp(a->name, "value_ints");
        if (!isf && !isi)
            continue;
        int64_t cnt = (a->type == IR_ATTR_FLOATS || a->type == IR_ATTR_INTS) ? a->n : 1;
        IrShape os = a->type == IR_ATTR_FLOATS || a->type == IR_ATTR_INTS ? ir_shape_make(1, &cnt)
                                                                          : ir_shape_make(0, NULL);
        if (a->type == IR_ATTR_FLOAT || a->type == IR_ATTR_FLOATS) {
            void *p = ce_alloc_out(g, r, DT_FLOAT, &os);
            for (int64_t k = 0; k < cnt; k++)
                ce_set_d(p, DT_FLOAT, k, a->type == IR_ATTR_FLOAT ? a->f : a->floats[k]);
            return CE_YES;
        }
        if (a->type == IR_ATTR_INT || a->type == IR_ATTR_INTS) {
            void *p = ce_alloc_out(g, r, DT_INT64, &os);
            for (int64_t k = 0; k < cnt; k++)
                ce_set_i(p, DT_INT64, k, a->type == IR_ATTR_INT ? a->i : a->ints[k]);
            return CE_YES;
        }
    }
    return CE_NO;
}


typedef enum UnOp { U_NEG, U_ABS, U_CEIL, U_FLOOR, U_RELU } UnOp;

static int ce_unary(IrGraph *g, int32_t n, IrConstResult *r, int64_t limit, UnOp op)
{
    CeTensor x;
    if (!ce_operand(g, n, 0, &x) || !ce_is_num(x.dt) || x.n > limit)
        return CE_NO;
    void *p = ce_alloc_out(g, r, x.dt, &x.sh);
    for (int64_t i = 0; i < x.n; i++) {
        if (ce_is_float(x.dt)) {
            double a = ce_get_d(&x, i);
            double v = op == U_NEG ? -a : op == U_ABS ? fabs(a) : op == U_CEIL ? ceil(a) : op == U_FLOOR ? floor(a)
                                                                                             : a < 0 ? 0.0 : a;
            ce_set_d(p, x.dt, i, v);
        } else {
            int64_t a = ce_get_i(&x, i);
            uint64_t neg = 0 - (uint64_t)a; /* wraps: INT64_MIN stays */
            int64_t v = op == U_NEG ? (int64_t)neg : op == U_ABS ? (a < 0 ? (int64_t)neg : a)
                      : op == U_RELU ? (a < 0 ? 0 : a) : a;
            ce_set_i(p, x.dt, i, v);
        }
    }
    return CE_YES;
}

int ir_const_eval(IrGraph *g, int32_t n, int64_t limit, IrConstResult *r, DlaError *err)
{
    memset(r, 0, sizeof *r);
    switch (g->nodes[n].op) {
    case OP_SHAPE: return ce_shape(g, n, r);
    case OP_SIZE: return ce_size(g, n, r);
    case OP_CONSTANT: return ce_constant(g, n, r);
    case OP_CONSTANT_OF_SHAPE: return ce_const_of_shape(g, n, r, limit, err);
    case OP_RANGE: return ce_range(g, n, r, limit, err);
    case OP_CAST: return ce_cast(g, n, r, limit);
    case OP_IDENTITY: case OP_RESHAPE: case OP_FLATTEN: case OP_SQUEEZE: case OP_UNSQUEEZE:
        return ce_reshape_like(g, n, r, err);
    case OP_EXPAND: return ce_expand(g, n, r, limit);
    case OP_TRANSPOSE: return ce_transpose(g, n, r, limit, err);
    case OP_CONCAT: return ce_concat(g, n, r, limit, err);
    case OP_SLICE: return ce_slice(g, n, r, limit, err);
    case OP_GATHER: return ce_gather(g, n, r, limit, err);
    case OP_WHERE: return ce_where(g, n, r, limit);
    case OP_ADD: return ce_binary(g, n, r, limit, B_ADD);
    case OP_SUB: return ce_binary(g, n, r, limit, B_SUB);
    case OP_MUL: return ce_binary(g, n, r, limit, B_MUL);
    case OP_DIV: return ce_binary(g, n, r, limit, B_DIV);
    case OP_MAX: return g->nodes[n].ninputs == 2 ? ce_binary(g, n, r, limit, B_MAX) : CE_NO;
    case OP_MIN: return g->nodes[n].ninputs == 2 ? ce_binary(g, n, r, limit, B_MIN) : CE_NO;
    case OP_EQUAL: return ce_binary(g, n, r, limit, B_EQ);
    case OP_LESS: return ce_binary(g, n, r, limit, B_LT);
    case OP_GREATER: return ce_binary(g, n, r, limit, B_GT);
    case OP_NEG: return ce_unary(g, n, r, limit, U_NEG);
    case OP_ABS: return ce_unary(g, n, r, limit, U_ABS);
    case OP_CEIL: return ce_unary(g, n, r, limit, U_CEIL);
    case OP_FLOOR: return ce_unary(g, n, r, limit, U_FLOOR);
    case OP_RELU: return ce_unary(g, n, r, limit, U_RELU);
    default: return CE_NO;
    }
}

int ir_const_eval_float(IrGraph *g, int32_t n, int64_t limit, IrConstResult *r, DlaError *err)
{
    int k = ir_const_eval(g, n, limit, r, err);
    if (k != CE_NO)
        return k;
    memset(r, 0, sizeof *r);
    return ce_math(g, n, r, limit);
}
