/* constfold_shape.c - shape-level constant propagation (see infer.h): gives
 * constant data to the outputs of Shape/Size/Constant and of small
 * data-movement and arithmetic ops over constant inputs, so that shape
 * computations in exported graphs (Shape -> Gather -> Unsqueeze -> Concat ->
 * Reshape) resolve at compile time. Outputs larger than IR_FOLD_MAX_ELEMS
 * elements are left alone: this is not the general constant folder.
 * Numbers are computed in int64 for integer/bool types and in double for
 * float32/float64 (exact for +,-,*,/ of float32 after rounding back). */
#include "infer.h"
#include "shape_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int num_dtype(IrDtype t)
{
    return shp_dtype_is_int(t) || t == DT_FLOAT || t == DT_DOUBLE;
}

static int is_fl(IrDtype t) { return t == DT_FLOAT || t == DT_DOUBLE; }

/* A constant input as numbers. */
typedef struct Num {
    IrDtype dt;
    IrShape shape;
    int64_t n;
    int64_t *i;
    double *f;
} Num;

static int num_load(const IrValue *v, Num *x)
{
    memset(x, 0, sizeof *x);
    if (!v || !num_dtype(v->dtype) || !shp_is_const(v))
        return 0;
    x->dt = v->dtype;
    x->shape = v->shape;
    x->n = ir_shape_numel(&v->shape);
    if (x->n < 0 || x->n > IR_FOLD_MAX_ELEMS)
        return 0;
    if (is_fl(v->dtype)) {
        x->f = dla_malloc(sizeof *x->f * (size_t)(x->n + 1));
        return shp_const_doubles(v, x->f, x->n) == x->n;
    }
    x->i = dla_malloc(sizeof *x->i * (size_t)(x->n + 1));
    return shp_const_ints(v, x->i, x->n) == x->n;
}

static void num_free(Num *x)
{
    free(x->i);
    free(x->f);
}

static double num_f(const Num *x, int64_t k) { return x->f ? x->f[k] : (double)x->i[k]; }
static int64_t num_i(const Num *x, int64_t k)
{
    if (x->i)
        return x->i[k];
    double f = x->f[k];
    return f > -9.2e18 && f < 9.2e18 ? (int64_t)f : 0;
}

/* Wrapping int64 arithmetic: hostile constants must not cause undefined
 * behaviour (ONNX leaves integer overflow unspecified). */
static int64_t wadd(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wsub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t wmul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }

/* Write element k of dtype dt from an integer or a double. */
static void put(unsigned char *p, IrDtype dt, int64_t k, int fl, int64_t iv, double fv)
{
    if (fl && !is_fl(dt)) {
        if (dt == DT_BOOL)
            iv = fv != 0;
        else if (!(fv > -9.2e18 && fv < 9.2e18))
            iv = 0; /* NaN or out of range: undefined in ONNX, keep it defined here */
        else
            iv = (int64_t)fv;
    }
    if (!fl && is_fl(dt))
        fv = (double)iv;
    switch (dt) {
    case DT_FLOAT: { float x = (float)fv; memcpy(p + 4 * k, &x, 4); break; }
    case DT_DOUBLE: memcpy(p + 8 * k, &fv, 8); break;
    case DT_BOOL: p[k] = iv != 0; break;
    case DT_INT8: case DT_UINT8: p[k] = (unsigned char)iv; break;
    case DT_INT16: case DT_UINT16: { uint16_t x = (uint16_t)iv; memcpy(p + 2 * k, &x, 2); break; }
    case DT_INT32: case DT_UINT32: { uint32_t x = (uint32_t)iv; memcpy(p + 4 * k, &x, 4); break; }
    case DT_INT64: case DT_UINT64: memcpy(p + 8 * k, &iv, 8); break;
    default: break;
    }
}

/* Flat index into `in` of flat output index o under numpy broadcasting. */
static int64_t bidx(const IrShape *in, const IrShape *out, int64_t o)
{
    int64_t idx = 0, stride = 1;
    for (int d = out->rank - 1; d >= 0; d--) {
        int64_t od = out->dims[d], c = od ? o % od : 0;
        o = od ? o / od : 0;
        int id = d - (out->rank - in->rank);
        if (id >= 0) {
            if (in->dims[id] != 1)
                idx += c * stride;
            stride *= in->dims[id];
        }
    }
    return idx;
}

static int all_inputs_const(IrGraph *g, int32_t node)
{
    const IrNode *nd = &g->nodes[node];
    for (int32_t i = 0; i < nd->ninputs; i++) {
        IrValue *v = shp_in(g, node, i);
        if (v && (!shp_is_const(v) || ir_shape_numel(&v->shape) > IR_FOLD_MAX_ELEMS))
            return 0;
    }
    return 1;
}

static int fold_constant(IrGraph *g, int32_t node, IrValue *y, int32_t yv)
{
    const IrNode *nd = &g->nodes[node];
    if (nd->nattrs != 1)
        return 0;
    const IrAttr *a = &nd->attrs[0];
    if (a->type == IR_ATTR_TENSOR && a->t && a->t->dtype != DT_STRING) {
        ir_value_borrow_data(g, yv, a->t->data, a->t->nbytes);
        return 1;
    }
    if (a->type == IR_ATTR_INT || a->type == IR_ATTR_INTS) {
        ir_value_set_data(g, yv, a->type == IR_ATTR_INT ? &a->i : a->ints,
                          8 * (size_t)(a->type == IR_ATTR_INT ? 1 : a->n));
        return 1;
    }
    if (a->type == IR_ATTR_FLOAT || a->type == IR_ATTR_FLOATS) {
        ir_value_set_data(g, yv, a->type == IR_ATTR_FLOAT ? &a->f : a->floats,
                          4 * (size_t)(a->type == IR_ATTR_FLOAT ? 1 : a->n));
        return 1;
    }
    (void)y;
    return 0;
}

/* Slice: per-axis effective start and step for every output dim. */
static int slice_plan(IrGraph *g, int32_t node, const IrShape *xs, int64_t *start, int64_t *step)
{
    for (int d = 0; d < xs->rank; d++)
        start[d] = 0, step[d] = 1;
    int64_t st[IR_MAX_RANK * 2], en[IR_MAX_RANK * 2], ax[IR_MAX_RANK * 2], sp[IR_MAX_RANK * 2];
    int64_t ns, ne, na = -2, nst = -2;
    const int64_t *p;
    if (!shp_in(g, node, 1)) { /* Slice-1 attributes */
        ns = ir_attr_ints(g, node, "starts", &p);
        if (ns < 0 || ns > IR_MAX_RANK)
            return 0;
        memcpy(st, p, 8 * (size_t)ns);
        ne = ir_attr_ints(g, node, "ends", &p);
        if (ne != ns)
            return 0;
        memcpy(en, p, 8 * (size_t)ne);
        int32_t k = ir_attr_ints(g, node, "axes", &p);
        if (k >= 0) {
            if (k != ns)
                return 0;
            memcpy(ax, p, 8 * (size_t)k);
            na = k;
        }
    } else {
        ns = shp_const_ints(shp_in(g, node, 1), st, IR_MAX_RANK * 2);
        ne = shp_const_ints(shp_in(g, node, 2), en, IR_MAX_RANK * 2);
        if (shp_in(g, node, 3))
            na = shp_const_ints(shp_in(g, node, 3), ax, IR_MAX_RANK * 2);
        if (shp_in(g, node, 4))
            nst = shp_const_ints(shp_in(g, node, 4), sp, IR_MAX_RANK * 2);
        if (ns < 0 || ns > IR_MAX_RANK || ne != ns || (na != -2 && na != ns) || (nst != -2 && nst != ns))
            return 0;
    }
    for (int64_t i = 0; i < ns; i++) {
        int a;
        if (!shp_axis(na >= 0 ? ax[i] : i, xs->rank, &a))
            return 0;
        int64_t s = nst >= 0 ? sp[i] : 1, dim = xs->dims[a], b = st[i];
        if (s == 0)
            return 0;
        if (b < 0)
            b += dim;
        if (s > 0)
            b = b < 0 ? 0 : b > dim ? dim : b;
        else
            b = b < 0 ? 0 : b > dim - 1 ? dim - 1 : b;
        start[a] = b;
        step[a] = s;
    }
    return 1;
}

static int fold_numeric(IrGraph *g, int32_t node, IrValue *y, unsigned char *out, int64_t n)
{
    IrOp op = g->nodes[node].op;
    int nin = g->nodes[node].ninputs;
    Num in[3];
    int ok = 1, ni = nin < 3 ? nin : 3;
    memset(in, 0, sizeof in);
    for (int i = 0; i < ni; i++)
        if (!num_load(shp_in(g, node, i), &in[i]))
            ok = 0;
    if (ok) {
        int fl = in[0].f != NULL;
        for (int64_t o = 0; o < n && ok; o++) {
            int64_t k0 = bidx(&in[0].shape, &y->shape, o);
            int64_t k1 = ni > 1 ? bidx(&in[1].shape, &y->shape, o) : 0;
            double a = num_f(&in[0], k0), b = ni > 1 ? num_f(&in[1], k1) : 0;
            int64_t ia = num_i(&in[0], k0), ib = ni > 1 ? num_i(&in[1], k1) : 0;
            switch (op) {
            case OP_ADD: put(out, y->dtype, o, fl, wadd(ia, ib), a + b); break;
            case OP_SUB: put(out, y->dtype, o, fl, wsub(ia, ib), a - b); break;
            case OP_MUL: put(out, y->dtype, o, fl, wmul(ia, ib), a * b); break;
            case OP_DIV:
                if (!fl && (ib == 0 || (ib == -1 && ia == INT64_MIN)))
                    ok = 0;
                else
                    put(out, y->dtype, o, fl, fl ? 0 : ia / ib, fl ? a / b : 0);
                break;
            case OP_NEG: put(out, y->dtype, o, fl, wsub(0, ia), -a); break;
            case OP_ABS: put(out, y->dtype, o, fl, ia < 0 ? wsub(0, ia) : ia, fabs(a)); break;
            case OP_CEIL: put(out, y->dtype, o, fl, ia, ceil(a)); break;
            case OP_FLOOR: put(out, y->dtype, o, fl, ia, floor(a)); break;
            case OP_RELU: put(out, y->dtype, o, fl, ia < 0 ? 0 : ia, a < 0 ? 0.0 : a); break;
            case OP_EQUAL: put(out, DT_BOOL, o, 0, fl ? a == b : ia == ib, 0); break;
            case OP_LESS: put(out, DT_BOOL, o, 0, fl ? a < b : ia < ib, 0); break;
            case OP_GREATER: put(out, DT_BOOL, o, 0, fl ? a > b : ia > ib, 0); break;
            case OP_MAX: put(out, y->dtype, o, fl, ia > ib ? ia : ib, fmax(a, b)); break;
            case OP_MIN: put(out, y->dtype, o, fl, ia < ib ? ia : ib, fmin(a, b)); break;
            case OP_CAST: put(out, y->dtype, o, fl, ia, a); break;
            default: ok = 0;
            }
        }
    }
    for (int i = 0; i < 3; i++)
        num_free(&in[i]);
    return ok;
}

/* Gather(Shape(t), const indices) where t's shape is only partly known (a
 * symbolic batch): the gathered dims may all be known ("x.size(1)"). */
static int gather_of_shape(IrGraph *g, int32_t node, int32_t yv)
{
    IrValue *x = shp_in(g, node, 0), *y = &g->values[yv];
    int32_t p = x->producer;
    if (p < 0 || g->nodes[p].op != OP_SHAPE || y->dtype != DT_INT64 || x->shape.rank != 1)
        return 0;
    const IrValue *t = shp_in(g, p, 0);
    int64_t idx[IR_MAX_RANK], n = shp_const_ints(shp_in(g, node, 1), idx, IR_MAX_RANK);
    int64_t len = x->shape.dims[0];
    if (!t || t->shape.rank < 0 || n < 0 || n > IR_MAX_RANK || len < 0 || ir_shape_numel(&y->shape) != n)
        return 0;
    int r = t->shape.rank;
    int64_t start = ir_node_attr_i(g, p, "start");
    if (start < 0)
        start += r;
    start = start < 0 ? 0 : start > r ? r : start;
    int64_t out[IR_MAX_RANK];
    for (int64_t i = 0; i < n; i++) {
        int64_t k = idx[i] < 0 ? idx[i] + len : idx[i];
        if (k < 0 || k >= len || start + k >= r || t->shape.dims[start + k] < 0)
            return 0;
        out[i] = t->shape.dims[start + k];
    }
    ir_value_set_data(g, yv, out, 8 * (size_t)n);
    return 1;
}

int ir_fold_shape_node(IrGraph *g, int32_t node)
{
    IrNode *nd = &g->nodes[node];
    if (nd->noutputs < 1 || nd->outputs[0] < 0)
        return 0;
    int32_t yv = nd->outputs[0];
    IrValue *y = &g->values[yv];
    if ((y->flags & (IR_VAL_CONST | IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) || !ir_shape_known(&y->shape))
        return 0;
    int64_t n = ir_shape_numel(&y->shape);
    if (nd->op == OP_CONSTANT)
        return fold_constant(g, node, y, yv);
    size_t es = ir_dtype_size(y->dtype);
    if (n > IR_FOLD_MAX_ELEMS || !es || y->dtype == DT_STRING)
        return 0;
    IrValue *x = shp_in(g, node, 0);
    if (nd->op == OP_SHAPE || nd->op == OP_SIZE) {
        if (!x || !ir_shape_known(&x->shape) || y->dtype != DT_INT64)
            return 0;
        int64_t buf[IR_MAX_RANK + 1];
        if (nd->op == OP_SIZE) {
            buf[0] = ir_shape_numel(&x->shape);
        } else {
            int r = x->shape.rank;
            int64_t start = ir_node_attr_i(g, node, "start");
            if (start < 0)
                start += r;
            start = start < 0 ? 0 : start > r ? r : start;
            for (int64_t i = 0; i < n; i++)
                buf[i] = x->shape.dims[start + i];
        }
        ir_value_set_data(g, yv, buf, 8 * (size_t)n);
        return 1;
    }
    if (nd->op == OP_CONSTANT_OF_SHAPE) {
        unsigned char *out = ir_graph_alloc_data(g, es * (size_t)n);
        const IrAttr *va = ir_attr_find(g, node, "value");
        if (va && va->type == IR_ATTR_TENSOR && va->t && va->t->nbytes == es && va->t->dtype == y->dtype)
            for (int64_t i = 0; i < n; i++)
                memcpy(out + (size_t)i * es, va->t->data, es);
        ir_value_borrow_data(g, yv, out, es * (size_t)n);
        return 1;
    }
    if (nd->op == OP_GATHER && x && !(x->flags & IR_VAL_CONST) && gather_of_shape(g, node, yv))
        return 1;
    if (!all_inputs_const(g, node) || !x)
        return 0;
    size_t xes = ir_dtype_size(x->dtype);
    unsigned char *out = NULL;
    int ok = 0;
    switch (nd->op) {
    case OP_IDENTITY: case OP_RESHAPE: case OP_FLATTEN: case OP_SQUEEZE: case OP_UNSQUEEZE:
        if (xes == es && x->dtype == y->dtype && x->nbytes >= es * (size_t)n) {
            out = ir_graph_alloc_data(g, es * (size_t)n);
            memcpy(out, x->data, es * (size_t)n);
            ok = 1;
        }
        break;
    case OP_EXPAND:
        if (x->dtype == y->dtype) {
            out = ir_graph_alloc_data(g, es * (size_t)n);
            for (int64_t o = 0; o < n; o++)
                memcpy(out + o * es, (unsigned char *)x->data + bidx(&x->shape, &y->shape, o) * es, es);
            ok = 1;
        }
        break;
    case OP_WHERE: {
        IrValue *c = x, *a = shp_in(g, node, 1), *b = shp_in(g, node, 2);
        Num cn;
        memset(&cn, 0, sizeof cn);
        if (a->dtype == y->dtype && b->dtype == y->dtype && num_load(c, &cn)) {
            out = ir_graph_alloc_data(g, es * (size_t)n);
            for (int64_t o = 0; o < n; o++) {
                int pick = num_i(&cn, bidx(&c->shape, &y->shape, o)) != 0;
                IrValue *src = pick ? a : b;
                memcpy(out + o * es, (unsigned char *)src->data + bidx(&src->shape, &y->shape, o) * es, es);
            }
            ok = 1;
        }
        num_free(&cn);
        break;
    }
    case OP_GATHER: {
        IrValue *idx = shp_in(g, node, 1);
        int a;
        Num in;
        memset(&in, 0, sizeof in);
        if (x->dtype != y->dtype || !shp_axis(ir_node_attr_i(g, node, "axis"), x->shape.rank, &a) ||
            !num_load(idx, &in) || in.f) {
            num_free(&in);
            break;
        }
        int64_t outer = 1, inner = 1, dim = x->shape.dims[a];
        for (int i = 0; i < a; i++)
            outer *= x->shape.dims[i];
        for (int i = a + 1; i < x->shape.rank; i++)
            inner *= x->shape.dims[i];
        out = ir_graph_alloc_data(g, es * (size_t)n);
        ok = 1;
        for (int64_t o = 0; o < outer && ok; o++)
            for (int64_t j = 0; j < in.n && ok; j++) {
                int64_t k = in.i[j] < 0 ? in.i[j] + dim : in.i[j];
                if (k < 0 || k >= dim) {
                    ok = 0;
                    break;
                }
                memcpy(out + ((o * in.n + j) * inner) * (int64_t)es,
                       (unsigned char *)x->data + ((o * dim + k) * inner) * (int64_t)es, (size_t)inner * es);
            }
        num_free(&in);
        break;
    }
    case OP_CONCAT: {
        int a;
        if (!shp_axis(ir_node_attr_i(g, node, "axis"), y->shape.rank, &a))
            break;
        int64_t outer = 1, inner = 1;
        for (int i = 0; i < a; i++)
            outer *= y->shape.dims[i];
        for (int i = a + 1; i < y->shape.rank; i++)
            inner *= y->shape.dims[i];
        out = ir_graph_alloc_data(g, es * (size_t)n);
        ok = 1;
        int64_t pos = 0;
        for (int64_t o = 0; o < outer; o++)
            for (int32_t i = 0; i < nd->ninputs; i++) {
                IrValue *v = shp_in(g, node, i);
                if (!v || v->dtype != y->dtype || v->shape.rank != y->shape.rank) {
                    ok = 0;
                    break;
                }
                int64_t chunk = v->shape.dims[a] * inner;
                memcpy(out + pos * (int64_t)es, (unsigned char *)v->data + o * chunk * (int64_t)es, (size_t)chunk * es);
                pos += chunk;
            }
        break;
    }
    case OP_SLICE: {
        int64_t start[IR_MAX_RANK], step[IR_MAX_RANK];
        if (x->dtype != y->dtype || y->shape.rank != x->shape.rank || !slice_plan(g, node, &x->shape, start, step))
            break;
        out = ir_graph_alloc_data(g, es * (size_t)n);
        for (int64_t o = 0; o < n; o++) {
            int64_t rem = o, src = 0, stride = 1;
            for (int d = y->shape.rank - 1; d >= 0; d--) {
                int64_t c = rem % y->shape.dims[d];
                rem /= y->shape.dims[d];
                src += (start[d] + c * step[d]) * stride;
                stride *= x->shape.dims[d];
            }
            memcpy(out + o * (int64_t)es, (unsigned char *)x->data + src * (int64_t)es, es);
        }
        ok = 1;
        break;
    }
    case OP_RANGE: {
        Num s, d;
        memset(&d, 0, sizeof d);
        if (num_load(x, &s) && num_load(shp_in(g, node, 2), &d) && s.n == 1 && d.n == 1) {
            out = ir_graph_alloc_data(g, es * (size_t)n);
            for (int64_t o = 0; o < n; o++)
                put(out, y->dtype, o, s.f != NULL, wadd(num_i(&s, 0), wmul(o, num_i(&d, 0))),
                    num_f(&s, 0) + (double)o * num_f(&d, 0));
            ok = 1;
        }
        num_free(&s);
        num_free(&d);
        break;
    }
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_NEG: case OP_EQUAL: case OP_LESS:
    case OP_GREATER: case OP_CAST: case OP_ABS: case OP_CEIL: case OP_FLOOR:
    case OP_RELU:
        if (nd->op != OP_CAST && nd->op != OP_EQUAL && nd->op != OP_LESS && nd->op != OP_GREATER &&
            x->dtype != y->dtype)
            break;
        if (!num_dtype(y->dtype))
            break;
        out = ir_graph_alloc_data(g, es * (size_t)n);
        ok = fold_numeric(g, node, y, out, n);
        break;
    case OP_MAX: case OP_MIN:
        if (nd->ninputs == 2 && num_dtype(y->dtype)) {
            out = ir_graph_alloc_data(g, es * (size_t)n);
            ok = fold_numeric(g, node, y, out, n);
        }
        break;
    default:
        break;
    }
    if (!ok)
        return 0; /* a block allocated for a failed fold stays graph-owned: freed with the graph */
    ir_value_borrow_data(g, yv, out, es * (size_t)n);
    return 1;
}
