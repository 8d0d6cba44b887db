/* shape_util.c - helpers shared by the shape functions (see shape_util.h). */
#include "shape_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

IrValue *shp_in(IrGraph *g, int32_t n, int i)
{
    int32_t v = ir_in(g, n, i);
    return v >= 0 && v < g->nvalues ? &g->values[v] : NULL;
}

IrValue *shp_out(IrGraph *g, int32_t n, int i)
{
    const IrNode *nd = &g->nodes[n];
    int32_t v = i < nd->noutputs ? nd->outputs[i] : -1;
    return v >= 0 && v < g->nvalues ? &g->values[v] : NULL;
}

DlaStatus shp_err(DlaError *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    DlaStatus s = dla_verrorf(err, DLA_ERR_INVALID, fmt, ap);
    va_end(ap);
    return s;
}

DlaStatus shp_missing(DlaError *err, int i)
{
    return shp_err(err, "required input %d is absent", i);
}

static char *next_buf(void)
{
    static _Thread_local char bufs[8][320];
    static _Thread_local int k;
    k = (k + 1) & 7;
    return bufs[k];
}

const char *shp_sstr(const IrShape *s)
{
    char *b = next_buf();
    return ir_shape_str(s, b, 320);
}

const char *shp_desc(IrGraph *g, int32_t n, int i)
{
    char *b = next_buf();
    const IrValue *v = shp_in(g, n, i);
    if (!v) {
        snprintf(b, 320, "input %d (absent)", i);
        return b;
    }
    char sb[200];
    snprintf(b, 320, "input %d '%.80s' %s%s", i, v->name, ir_dtype_name(v->dtype),
             ir_shape_str(&v->shape, sb, sizeof sb));
    return b;
}

IrShape shp_unknown(void)
{
    IrShape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

IrShape shp_rank(int rank)
{
    IrShape s;
    memset(&s, 0, sizeof s);
    DLA_ASSERT(rank >= 0 && rank <= IR_MAX_RANK);
    s.rank = rank;
    for (int i = 0; i < rank; i++)
        s.dims[i] = -1;
    return s;
}

void shp_set(IrValue *out, IrDtype dt, const IrShape *s)
{
    if (!out)
        return;
    out->dtype = dt;
    out->shape = s ? *s : shp_unknown();
    out->flags &= ~(uint32_t)(IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP);
}

int shp_axis(int64_t axis, int rank, int *out)
{
    if (axis < -rank || axis >= rank)
        return 0;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return 1;
}

DlaStatus shp_attr_axis(IrGraph *g, int32_t node, int rank, int *out, DlaError *err)
{
    int64_t axis = ir_node_attr_i(g, node, "axis");
    if (!shp_axis(axis, rank, out))
        return shp_err(err, "axis %lld is out of range for %s", (long long)axis, shp_desc(g, node, 0));
    return DLA_OK;
}

int shp_broadcast(const IrShape *a, const IrShape *b, IrShape *out)
{
    if (a->rank < 0 || b->rank < 0) {
        *out = shp_unknown();
        return 1;
    }
    int r = a->rank > b->rank ? a->rank : b->rank;
    IrShape o = shp_rank(r);
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        const char *sa = ia >= 0 ? a->sym[ia] : NULL, *sb = ib >= 0 ? b->sym[ib] : NULL;
        if (da == 1) {
            o.dims[i] = db;
            o.sym[i] = sb;
        } else if (db == 1) {
            o.dims[i] = da;
            o.sym[i] = sa;
        } else if (da >= 0 && db >= 0) {
            if (da != db)
                return 0;
            o.dims[i] = da;
        } else if (da >= 0 || db >= 0) {
            /* one side unknown, the other known and not 1: the unknown one
             * must be 1 or equal to it, either way the result is the known */
            o.dims[i] = da >= 0 ? da : db;
        } else {
            o.dims[i] = -1;
            o.sym[i] = sa && sb && strcmp(sa, sb) == 0 ? sa : NULL;
        }
    }
    *out = o;
    return 1;
}

int shp_is_const(const IrValue *v)
{
    return v && (v->flags & IR_VAL_CONST) && (v->data || v->nbytes == 0) && v->shape.rank >= 0 &&
           ir_shape_numel(&v->shape) >= 0 && !(v->flags & IR_VAL_ELIDED);
}

int shp_dtype_is_int(IrDtype t)
{
    switch (t) {
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64:
    case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_UINT64: case DT_BOOL:
        return 1;
    default:
        return 0;
    }
}

int shp_dtype_is_float(IrDtype t)
{
    return t == DT_FLOAT || t == DT_DOUBLE || t == DT_FLOAT16 || t == DT_BFLOAT16;
}

/* Element k of a constant as int64 (integer dtypes only). */
static int64_t get_int(const IrValue *v, int64_t k)
{
    const unsigned char *p = v->data;
    switch (v->dtype) {
    case DT_INT8: return ((const int8_t *)p)[k];
    case DT_UINT8: case DT_BOOL: return p[k];
    case DT_INT16: { int16_t x; memcpy(&x, p + 2 * k, 2); return x; }
    case DT_UINT16: { uint16_t x; memcpy(&x, p + 2 * k, 2); return x; }
    case DT_INT32: { int32_t x; memcpy(&x, p + 4 * k, 4); return x; }
    case DT_UINT32: { uint32_t x; memcpy(&x, p + 4 * k, 4); return x; }
    case DT_INT64: { int64_t x; memcpy(&x, p + 8 * k, 8); return x; }
    case DT_UINT64: { uint64_t x; memcpy(&x, p + 8 * k, 8); return (int64_t)x; }
    default: return 0;
    }
}

static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0)
        v = m / 16777216.0; /* 2^-24 */
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else {
        v = (1.0 + m / 1024.0);
        for (int i = 15; i < e; i++) v *= 2.0;
        for (int i = e; i < 15; i++) v /= 2.0;
    }
    return (h & 0x8000) ? -v : v;
}

static int64_t const_count(const IrValue *v)
{
    if (!shp_is_const(v))
        return -1;
    int64_t n = ir_shape_numel(&v->shape);
    size_t es = ir_dtype_size(v->dtype);
    if (!es || (uint64_t)n > v->nbytes / es)
        return -1; /* data shorter than the shape says: treat as unknown */
    return n;
}

int64_t shp_const_ints(const IrValue *v, int64_t *out, int64_t max)
{
    if (!v || !shp_dtype_is_int(v->dtype))
        return -1;
    int64_t n = const_count(v);
    if (n < 0)
        return -1;
    for (int64_t k = 0; k < n && k < max; k++)
        out[k] = get_int(v, k);
    return n;
}

int64_t shp_const_doubles(const IrValue *v, double *out, int64_t max)
{
    if (!v)
        return -1;
    int64_t n = const_count(v);
    if (n < 0)
        return -1;
    const unsigned char *p = v->data;
    for (int64_t k = 0; k < n && k < max; k++) {
        switch (v->dtype) {
        case DT_FLOAT: { float x; memcpy(&x, p + 4 * k, 4); out[k] = x; break; }
        case DT_DOUBLE: { double x; memcpy(&x, p + 8 * k, 8); out[k] = x; break; }
        case DT_FLOAT16: { uint16_t x; memcpy(&x, p + 2 * k, 2); out[k] = half_to_double(x); break; }
        case DT_BFLOAT16: {
            uint16_t x; memcpy(&x, p + 2 * k, 2);
            uint32_t u = (uint32_t)x << 16; float f; memcpy(&f, &u, 4); out[k] = f; break;
        }
        default:
            if (!shp_dtype_is_int(v->dtype))
                return -1;
            out[k] = (double)get_int(v, k);
        }
    }
    return n;
}

int shp_const_int1(const IrValue *v, int64_t *out)
{
    int64_t x;
    if (shp_const_ints(v, &x, 1) != 1)
        return 0;
    *out = x;
    return 1;
}
