/* fold.c - pass_fold: constant folding, above all of the shape arithmetic that
 * exporters emit (Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains), so
 * that every Reshape ends up with a constant shape.
 *
 * Requires: dtypes and shapes inferred (pass_shapes) where known; Shape and Size
 *   fold only when the dims they read are known.
 * Establishes: every node of the ops below whose inputs are all constants (and
 *   whose output is small, see PassContext.fold_max_elems) is replaced by a
 *   constant value of the same name; the node is removed. Graph outputs keep their
 *   producing node. Folding repeats, with shape inference in between, until
 *   nothing more folds (a newly constant Reshape shape can make a later Shape
 *   foldable).
 *
 * The evaluator is deliberately small: integer and float arithmetic on the
 * handful of ops that shape computations use, plus data movement. Larger float
 * math is left for the host backend. Semantics follow the ONNX operator spec
 * (opset 1-21 forms of each op: attributes before opset 10/13, inputs after).
 * Float results are computed in double and rounded once to the output type:
 * for + - * / that gives exactly the float32 result, because double carries more
 * than 2*24+2 significand bits. Integer arithmetic wraps (two's complement); an
 * integer division by zero is left unfolded (it is undefined, not a constant). */
#include "passes/passes.h"
#include "passes/pass_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/infer.h"

/* A constant operand: data is not necessarily aligned (it may borrow a file
 * mapping), so elements are read with memcpy. */
typedef struct FTensor {
    IrDtype dt;
    IrShape sh;
    int64_t n;
    size_t esz;
    const uint8_t *p;
} FTensor;

/* Result of one fold: either fresh graph-owned data or a borrowed pointer. */
typedef struct FResult {
    IrDtype dt;
    IrShape sh;
    void *data;
    size_t nbytes;
} FResult;

enum { FOLD_NO = 0, FOLD_YES = 1 };

static int is_float(IrDtype t) { return t == DT_FLOAT || t == DT_DOUBLE; }

static int is_int(IrDtype t)
{
    switch (t) {
    case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: case DT_INT32:
    case DT_INT64: case DT_UINT32: case DT_UINT64: case DT_BOOL:
        return 1;
    default:
        return 0;
    }
}

static int is_num(IrDtype t) { return is_float(t) || is_int(t); }

static double get_d(const FTensor *t, int64_t i)
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

static int64_t get_i(const FTensor *t, int64_t i)
{
    if (is_float(t->dt)) {
        double d = get_d(t, i);
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
static void set_i(void *p, IrDtype t, int64_t i, int64_t v)
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

static void set_d(void *p, IrDtype t, int64_t i, double v)
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
        set_i(p, t, i, v != v ? 0 : v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v);
    }
}

/* Fetch input i of node n as a constant operand; 0 if it is absent or not constant. */
static int operand(IrGraph *g, int32_t n, int32_t i, FTensor *t)
{
    int32_t v = ir_in(g, n, i);
    if (!pu_is_const(g, v))
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

static DlaStatus bad(IrGraph *g, int32_t n, DlaError *err, const char *what)
{
    return dla_errorf(err, DLA_ERR_INVALID, "%s: node '%s' (%s): %s", g->source_path, g->nodes[n].name,
                      g->nodes[n].op_type, what);
}

static void *alloc_out(IrGraph *g, FResult *r, IrDtype dt, const IrShape *sh)
{
    int64_t n = ir_shape_numel(sh);
    r->dt = dt;
    r->sh = *sh;
    r->nbytes = (size_t)n * ir_dtype_size(dt);
    r->data = ir_graph_alloc_data(g, r->nbytes);
    return r->data;
}

/* Linear index -> coordinates, and coordinates -> linear index in a (possibly
 * broadcast: dims of 1 repeat) tensor of shape in. */
static void unravel(const IrShape *s, int64_t li, int64_t *c)
{
    for (int d = s->rank - 1; d >= 0; d--) {
        c[d] = s->dims[d] ? li % s->dims[d] : 0;
        li = s->dims[d] ? li / s->dims[d] : 0;
    }
}

static int64_t bcast_index(const IrShape *out, const IrShape *in, const int64_t *c)
{
    int64_t li = 0;
    int off = out->rank - in->rank;
    for (int d = 0; d < in->rank; d++)
        li = li * in->dims[d] + (in->dims[d] == 1 ? 0 : c[d + off]);
    return li;
}

/* Multidirectional (numpy) broadcast of a and b into out; 0 if incompatible. */
static int bcast_shape(const IrShape *a, const IrShape *b, IrShape *out)
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

static int64_t norm_axis(int64_t axis, int rank) { return axis < 0 ? axis + rank : axis; }

/* ---- the op evaluators: return FOLD_YES (r filled), FOLD_NO, or -1 with err set ---- */

static int fold_shape(IrGraph *g, int32_t n, FResult *r)
{
    int32_t x = ir_in(g, n, 0);
    if (x < 0)
        return FOLD_NO;
    const IrShape *s = &g->values[x].shape;
    if (s->rank < 0)
        return FOLD_NO;
    int64_t start = ir_attr_int(g, n, "start", 0), end = ir_attr_int(g, n, "end", s->rank);
    start = norm_axis(start, s->rank);
    end = norm_axis(end, s->rank);
    start = start < 0 ? 0 : start > s->rank ? s->rank : start;
    end = end < 0 ? 0 : end > s->rank ? s->rank : end;
    int64_t k = end > start ? end - start : 0;
    for (int64_t d = start; d < start + k; d++)
        if (s->dims[d] < 0)
            return FOLD_NO;
    IrShape os = ir_shape_make(1, &k);
    void *p = alloc_out(g, r, DT_INT64, &os);
    for (int64_t d = 0; d < k; d++)
        set_i(p, DT_INT64, d, s->dims[start + d]);
    return FOLD_YES;
}

static int fold_size(IrGraph *g, int32_t n, FResult *r)
{
    int32_t x = ir_in(g, n, 0);
    int64_t numel = x < 0 ? -1 : ir_shape_numel(&g->values[x].shape);
    if (numel < 0)
        return FOLD_NO;
    IrShape os = ir_shape_make(0, NULL);
    set_i(alloc_out(g, r, DT_INT64, &os), DT_INT64, 0, numel);
    return FOLD_YES;
}

/* Ops that only reinterpret the shape share the input's data (no copy, no limit). */
static void share(const FTensor *x, const IrShape *sh, FResult *r)
{
    r->dt = x->dt;
    r->sh = *sh;
    r->data = (void *)x->p;
    r->nbytes = (size_t)x->n * x->esz;
}

/* Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input after. */
static int get_axes(IrGraph *g, int32_t n, int64_t *axes, int *naxes, int *given)
{
    const int64_t *av;
    int32_t na = ir_attr_ints(g, n, "axes", &av);
    *given = 1;
    if (na >= 0) {
        if (na > IR_MAX_RANK)
            return 0;
        for (int i = 0; i < na; i++)
            axes[i] = av[i];
        *naxes = na;
        return 1;
    }
    if (ir_in(g, n, 1) < 0) {
        *given = 0;
        *naxes = 0;
        return 1;
    }
    FTensor t;
    if (!operand(g, n, 1, &t) || !is_int(t.dt) || t.n > IR_MAX_RANK)
        return 0;
    for (int64_t i = 0; i < t.n; i++)
        axes[i] = get_i(&t, i);
    *naxes = (int)t.n;
    return 1;
}

static int fold_reshape_like(IrGraph *g, int32_t n, FResult *r, DlaError *err)
{
    const IrNode *nd = &g->nodes[n];
    FTensor x;
    if (!operand(g, n, 0, &x))
        return FOLD_NO;
    IrShape os = ir_shape_make(0, NULL);
    if (nd->op == OP_IDENTITY) {
        os = x.sh;
    } else if (nd->op == OP_RESHAPE) {
        FTensor s;
        if (!operand(g, n, 1, &s) || !is_int(s.dt) || s.sh.rank != 1 || s.n > IR_MAX_RANK)
            return FOLD_NO;
        int allowzero = (int)ir_attr_int(g, n, "allowzero", 0);
        int infer = -1;
        int64_t known = 1;
        os.rank = (int32_t)s.n;
        for (int i = 0; i < os.rank; i++) {
            int64_t d = get_i(&s, i);
            if (d == 0 && !allowzero) {
                if (i >= x.sh.rank)
                    return bad(g, n, err, "Reshape: 0 in shape refers past the input's rank"), -1;
                d = x.sh.dims[i];
            }
            if (d == -1) {
                if (infer >= 0)
                    return bad(g, n, err, "Reshape: more than one -1 in shape"), -1;
                infer = i;
                d = 1;
            } else if (d < 0) {
                return bad(g, n, err, "Reshape: negative dim in shape"), -1;
            }
            os.dims[i] = d;
            if (d && known > INT64_MAX / d)
                return bad(g, n, err, "Reshape: shape overflows"), -1;
            known *= d;
        }
        if (infer >= 0) {
            if (known == 0 || x.n % known)
                return bad(g, n, err, "Reshape: cannot infer the -1 dim"), -1;
            os.dims[infer] = x.n / known;
            known = x.n;
        }
        if (known != x.n)
            return bad(g, n, err, "Reshape: element count changes"), -1;
    } else if (nd->op == OP_FLATTEN) {
        int64_t axis = norm_axis(ir_attr_int(g, n, "axis", 1), x.sh.rank);
        if (axis < 0 || axis > x.sh.rank)
            return bad(g, n, err, "Flatten: axis out of range"), -1;
        int64_t d[2] = {1, 1};
        for (int i = 0; i < x.sh.rank; i++)
            d[i >= axis] *= x.sh.dims[i];
        os = ir_shape_make(2, d);
    } else {
        int64_t axes[IR_MAX_RANK];
        int na, given;
        if (!get_axes(g, n, axes, &na, &given))
            return FOLD_NO;
        if (nd->op == OP_UNSQUEEZE) {
            int orank = x.sh.rank + na;
            if (orank > IR_MAX_RANK || !given)
                return bad(g, n, err, "Unsqueeze: bad axes or rank too large"), -1;
            int mark[IR_MAX_RANK] = {0};
            for (int i = 0; i < na; i++) {
                int64_t a = norm_axis(axes[i], orank);
                if (a < 0 || a >= orank || mark[a])
                    return bad(g, n, err, "Unsqueeze: axis out of range or repeated"), -1;
                mark[a] = 1;
            }
            os.rank = orank;
            for (int d = 0, k = 0; d < orank; d++)
                os.dims[d] = mark[d] ? 1 : x.sh.dims[k++];
        } else { /* Squeeze */
            int mark[IR_MAX_RANK] = {0};
            for (int i = 0; i < na; i++) {
                int64_t a = norm_axis(axes[i], x.sh.rank);
                if (a < 0 || a >= x.sh.rank || x.sh.dims[a] != 1)
                    return bad(g, n, err, "Squeeze: axis out of range or dim is not 1"), -1;
                mark[a] = 1;
            }
            for (int d = 0; d < x.sh.rank; d++)
                if (given ? !mark[d] : x.sh.dims[d] != 1)
                    os.dims[os.rank++] = x.sh.dims[d];
        }
    }
    share(&x, &os, r);
    return FOLD_YES;
}

static int fold_cast(IrGraph *g, int32_t n, FResult *r, int64_t limit)
{
    FTensor x;
    int64_t to = ir_attr_int(g, n, "to", 0);
    if (!operand(g, n, 0, &x) || !ir_dtype_valid((int)to) || !is_num((IrDtype)to) || !is_num(x.dt) ||
        x.n > limit)
        return FOLD_NO;
    void *p = alloc_out(g, r, (IrDtype)to, &x.sh);
    for (int64_t i = 0; i < x.n; i++) {
        if (is_float(x.dt))
            set_d(p, (IrDtype)to, i, get_d(&x, i));
        else if (x.dt == DT_UINT64 && is_float((IrDtype)to))
            set_d(p, (IrDtype)to, i, get_d(&x, i));
        else
            set_i(p, (IrDtype)to, i, get_i(&x, i));
    }
    return FOLD_YES;
}

typedef enum BinOp { B_ADD, B_SUB, B_MUL, B_DIV, B_EQ, B_LT, B_GT } BinOp;

static int fold_binary(IrGraph *g, int32_t n, FResult *r, int64_t limit, BinOp op)
{
    FTensor a, b;
    IrShape os;
    if (!operand(g, n, 0, &a) || !operand(g, n, 1, &b) || a.dt != b.dt || !is_num(a.dt) ||
        !bcast_shape(&a.sh, &b.sh, &os) || ir_shape_numel(&os) > limit)
        return FOLD_NO;
    if (op <= B_DIV && a.dt == DT_BOOL)
        return FOLD_NO;
    int64_t numel = ir_shape_numel(&os), c[IR_MAX_RANK];
    IrDtype odt = op >= B_EQ ? DT_BOOL : a.dt;
    /* Check integer division before allocating: a zero divisor leaves the node. */
    if (op == B_DIV && !is_float(a.dt))
        for (int64_t i = 0; i < b.n; i++)
            if (get_i(&b, i) == 0)
                return FOLD_NO;
    void *p = alloc_out(g, r, odt, &os);
    for (int64_t i = 0; i < numel; i++) {
        unravel(&os, i, c);
        int64_t ia = bcast_index(&os, &a.sh, c), ib = bcast_index(&os, &b.sh, c);
        if (is_float(a.dt)) {
            double x = get_d(&a, ia), y = get_d(&b, ib);
            switch (op) {
            case B_ADD: set_d(p, odt, i, x + y); break;
            case B_SUB: set_d(p, odt, i, x - y); break;
            case B_MUL: set_d(p, odt, i, x * y); break;
            case B_DIV: set_d(p, odt, i, x / y); break;
            case B_EQ: set_i(p, odt, i, x == y); break;
            case B_LT: set_i(p, odt, i, x < y); break;
            case B_GT: set_i(p, odt, i, x > y); break;
            }
        } else {
            int64_t x = get_i(&a, ia), y = get_i(&b, ib);
            uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
            switch (op) {
            case B_ADD: set_i(p, odt, i, (int64_t)(ux + uy)); break;
            case B_SUB: set_i(p, odt, i, (int64_t)(ux - uy)); break;
            case B_MUL: set_i(p, odt, i, (int64_t)(ux * uy)); break;
            case B_DIV:
                /* truncating division, as C and ONNX Runtime do; INT64_MIN / -1 wraps */
                set_i(p, odt, i, (x == INT64_MIN && y == -1) ? INT64_MIN :
                                 a.dt == DT_UINT64 ? (int64_t)(ux / uy) : x / y);
                break;
            case B_EQ: set_i(p, odt, i, x == y); break;
            case B_LT: set_i(p, odt, i, a.dt == DT_UINT64 ? ux < uy : x < y); break;
            case B_GT: set_i(p, odt, i, a.dt == DT_UINT64 ? ux > uy : x > y); break;
            }
        }
    }
    return FOLD_YES;
}

static int fold_where(IrGraph *g, int32_t n, FResult *r, int64_t limit)
{
    FTensor c, x, y;
    IrShape s1, os;
    if (!operand(g, n, 0, &c) || !operand(g, n, 1, &x) || !operand(g, n, 2, &y) ||
        c.dt != DT_BOOL || x.dt != y.dt || !bcast_shape(&c.sh, &x.sh, &s1) ||
        !bcast_shape(&s1, &y.sh, &os) || ir_shape_numel(&os) > limit)
        return FOLD_NO;
    int64_t numel = ir_shape_numel(&os), co[IR_MAX_RANK];
    uint8_t *p = alloc_out(g, r, x.dt, &os);
    for (int64_t i = 0; i < numel; i++) {
        unravel(&os, i, co);
        const FTensor *src = c.p[bcast_index(&os, &c.sh, co)] ? &x : &y;
        memcpy(p + (size_t)i * x.esz, src->p + (size_t)bcast_index(&os, &src->sh, co) * x.esz, x.esz);
    }
    return FOLD_YES;
}

static int fold_gather(IrGraph *g, int32_t n, FResult *r, int64_t limit, DlaError *err)
{
    FTensor x, idx;
    if (!operand(g, n, 0, &x) || !operand(g, n, 1, &idx) || (idx.dt != DT_INT64 && idx.dt != DT_INT32))
        return FOLD_NO;
    int64_t axis = norm_axis(ir_attr_int(g, n, "axis", 0), x.sh.rank);
    if (axis < 0 || axis >= x.sh.rank)
        return bad(g, n, err, "Gather: axis out of range"), -1;
    if (x.sh.rank + idx.sh.rank - 1 > IR_MAX_RANK)
        return FOLD_NO;
    IrShape os = ir_shape_make(0, NULL);
    for (int d = 0; d < axis; d++)
        os.dims[os.rank++] = x.sh.dims[d];
    for (int d = 0; d < idx.sh.rank; d++)
        os.dims[os.rank++] = idx.sh.dims[d];
    for (int d = (int)axis + 1; d < x.sh.rank; d++)
        os.dims[os.rank++] = x.sh.dims[d];
    if (ir_shape_numel(&os) > limit)
        return FOLD_NO;
    int64_t outer = 1, inner = 1, dim = x.sh.dims[axis];
    for (int d = 0; d < axis; d++)
        outer *= x.sh.dims[d];
    for (int d = (int)axis + 1; d < x.sh.rank; d++)
        inner *= x.sh.dims[d];
    for (int64_t k = 0; k < idx.n; k++) {
        int64_t j = get_i(&idx, k);
        if (j < -dim || j >= dim)
            return bad(g, n, err, "Gather: index out of range"), -1;
    }
    uint8_t *p = alloc_out(g, r, x.dt, &os);
    size_t blk = (size_t)inner * x.esz;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < idx.n; k++) {
            int64_t j = get_i(&idx, k);
            j = j < 0 ? j + dim : j;
            memcpy(p + ((size_t)(o * idx.n + k)) * blk, x.p + ((size_t)(o * dim + j)) * blk, blk);
        }
    return FOLD_YES;
}

static int concat_eval(IrGraph *g, int32_t n, FTensor *in, FResult *r, int64_t limit, DlaError *err);

static int fold_concat(IrGraph *g, int32_t n, FResult *r, int64_t limit, DlaError *err)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->ninputs < 1)
        return FOLD_NO;
    FTensor *in = dla_malloc((size_t)nd->ninputs * sizeof *in);
    int st = concat_eval(g, n, in, r, limit, err);
    free(in);
    return st;
}

static int concat_eval(IrGraph *g, int32_t n, FTensor *in, FResult *r, int64_t limit, DlaError *err)
{
    const IrNode *nd = &g->nodes[n];
    for (int32_t i = 0; i < nd->ninputs; i++)
        if (!operand(g, n, i, &in[i]) || in[i].dt != in[0].dt)
            return FOLD_NO;
    int rank = in[0].sh.rank;
    int64_t axis = norm_axis(ir_attr_int(g, n, "axis", 0), rank);
    if (axis < 0 || axis >= rank)
        return bad(g, n, err, "Concat: axis out of range"), -1;
    IrShape os = in[0].sh;
    os.dims[axis] = 0;
    for (int32_t i = 0; i < nd->ninputs; i++) {
        if (in[i].sh.rank != rank)
            return bad(g, n, err, "Concat: inputs differ in rank"), -1;
        for (int d = 0; d < rank; d++)
            if (d != axis && in[i].sh.dims[d] != in[0].sh.dims[d])
                return bad(g, n, err, "Concat: inputs differ outside the axis"), -1;
        os.dims[axis] += in[i].sh.dims[axis];
    }
    if (ir_shape_numel(&os) > limit)
        return FOLD_NO;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= os.dims[d];
    for (int d = (int)axis + 1; d < rank; d++)
        inner *= os.dims[d];
    uint8_t *p = alloc_out(g, r, in[0].dt, &os), *q = p;
    for (int64_t o = 0; o < outer; o++)
        for (int32_t i = 0; i < nd->ninputs; i++) {
            size_t blk = (size_t)(in[i].sh.dims[axis] * inner) * in[i].esz;
            memcpy(q, in[i].p + (size_t)o * blk, blk);
            q += blk;
        }
    return FOLD_YES;
}

static int fold_slice(IrGraph *g, int32_t n, FResult *r, int64_t limit, DlaError *err)
{
    FTensor x;
    if (!operand(g, n, 0, &x))
        return FOLD_NO;
    int rank = x.sh.rank;
    int64_t start[IR_MAX_RANK], step[IR_MAX_RANK];
    IrShape os = x.sh;
    for (int d = 0; d < rank; d++)
        start[d] = 0, step[d] = 1;
    /* starts/ends/axes/steps: attributes before opset 10, inputs 1..4 after */
    int64_t st[IR_MAX_RANK], en[IR_MAX_RANK], ax[IR_MAX_RANK], sp[IR_MAX_RANK];
    int64_t k;
    const int64_t *av;
    int32_t na = ir_attr_ints(g, n, "starts", &av);
    if (na >= 0) {
        const int64_t *ev, *xv;
        int32_t ne = ir_attr_ints(g, n, "ends", &ev), nx = ir_attr_ints(g, n, "axes", &xv);
        if (na != ne || na > rank || (nx >= 0 && nx != na))
            return bad(g, n, err, "Slice: starts/ends/axes lengths differ"), -1;
        k = na;
        for (int64_t i = 0; i < k; i++)
            st[i] = av[i], en[i] = ev[i], ax[i] = nx >= 0 ? xv[i] : i, sp[i] = 1;
    } else {
        FTensor ts, te, ta, tp;
        if (!operand(g, n, 1, &ts) || !operand(g, n, 2, &te) || !is_int(ts.dt) || !is_int(te.dt) ||
            ts.n != te.n || ts.n > rank)
            return FOLD_NO;
        int has_a = ir_in(g, n, 3) >= 0, has_p = ir_in(g, n, 4) >= 0;
        if ((has_a && (!operand(g, n, 3, &ta) || ta.n != ts.n || !is_int(ta.dt))) ||
            (has_p && (!operand(g, n, 4, &tp) || tp.n != ts.n || !is_int(tp.dt))))
            return FOLD_NO;
        k = ts.n;
        for (int64_t i = 0; i < k; i++) {
            st[i] = get_i(&ts, i);
            en[i] = get_i(&te, i);
            ax[i] = has_a ? get_i(&ta, i) : i;
            sp[i] = has_p ? get_i(&tp, i) : 1;
        }
    }
    int seen[IR_MAX_RANK] = {0};
    for (int64_t i = 0; i < k; i++) {
        int64_t a = norm_axis(ax[i], rank);
        if (a < 0 || a >= rank || seen[a] || sp[i] == 0)
            return bad(g, n, err, "Slice: bad axis or zero step"), -1;
        seen[a] = 1;
        int64_t dim = x.sh.dims[a], s = st[i], e = en[i];
        /* ONNX Slice: negative values count from the end, then clamp to [0, dim]
         * for positive steps and to [-1, dim-1] for negative ones. */
        s = s < 0 ? s + dim : s;
        e = e < 0 ? e + dim : e;
        if (sp[i] > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            os.dims[a] = e > s ? (e - s + sp[i] - 1) / sp[i] : 0;
        } else {
            s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            os.dims[a] = s > e ? (s - e + (-sp[i]) - 1) / (-sp[i]) : 0;
        }
        start[a] = s;
        step[a] = sp[i];
    }
    int64_t numel = ir_shape_numel(&os), c[IR_MAX_RANK];
    if (numel > limit)
        return FOLD_NO;
    uint8_t *p = alloc_out(g, r, x.dt, &os);
    for (int64_t i = 0; i < numel; i++) {
        unravel(&os, i, c);
        int64_t li = 0;
        for (int d = 0; d < rank; d++)
            li = li * x.sh.dims[d] + start[d] + c[d] * step[d];
        memcpy(p + (size_t)i * x.esz, x.p + (size_t)li * x.esz, x.esz);
    }
    return FOLD_YES;
}

static int fold_transpose(IrGraph *g, int32_t n, FResult *r, int64_t limit, DlaError *err)
{
    FTensor x;
    if (!operand(g, n, 0, &x) || x.n > limit)
        return FOLD_NO;
    int rank = x.sh.rank;
    int64_t perm[IR_MAX_RANK], c[IR_MAX_RANK];
    const int64_t *pv;
    int32_t np = ir_attr_ints(g, n, "perm", &pv);
    if (np >= 0 && np != rank)
        return bad(g, n, err, "Transpose: perm length differs from the rank"), -1;
    int seen[IR_MAX_RANK] = {0};
    for (int d = 0; d < rank; d++) {
        perm[d] = np >= 0 ? norm_axis(pv[d], rank) : rank - 1 - d;
        if (perm[d] < 0 || perm[d] >= rank || seen[perm[d]]++)
            return bad(g, n, err, "Transpose: perm is not a permutation"), -1;
    }
    IrShape os = ir_shape_make(rank, NULL);
    for (int d = 0; d < rank; d++)
        os.dims[d] = x.sh.dims[perm[d]];
    int64_t stride[IR_MAX_RANK];
    for (int64_t d = rank - 1, s = 1; d >= 0; d--) {
        stride[d] = s;
        s *= x.sh.dims[d];
    }
    uint8_t *p = alloc_out(g, r, x.dt, &os);
    for (int64_t i = 0; i < x.n; i++) {
        unravel(&os, i, c);
        int64_t li = 0;
        for (int d = 0; d < rank; d++)
            li += c[d] * stride[perm[d]];
        memcpy(p + (size_t)i * x.esz, x.p + (size_t)li * x.esz, x.esz);
    }
    return FOLD_YES;
}

static int fold_const_of_shape(IrGraph *g, int32_t n, FResult *r, int64_t limit, DlaError *err)
{
    FTensor s;
    if (!operand(g, n, 0, &s) || !is_int(s.dt) || s.sh.rank != 1 || s.n > IR_MAX_RANK)
        return FOLD_NO;
    IrShape os = ir_shape_make((int)s.n, NULL);
    for (int d = 0; d < os.rank; d++) {
        os.dims[d] = get_i(&s, d);
        if (os.dims[d] < 0)
            return bad(g, n, err, "ConstantOfShape: negative dim"), -1;
    }
    int64_t numel = ir_shape_numel(&os);
    if (numel < 0 || numel > limit)
        return FOLD_NO;
    const IrAttr *va = ir_attr_find(g, n, "value");
    IrDtype dt = DT_FLOAT;
    const void *val = NULL;
    float zero = 0;
    if (va && va->type == IR_ATTR_TENSOR && va->t) {
        if (ir_shape_numel(&va->t->shape) != 1 || va->t->nbytes != ir_dtype_size(va->t->dtype) ||
            !va->t->nbytes)
            return bad(g, n, err, "ConstantOfShape: value must hold one element"), -1;
        dt = va->t->dtype;
        val = va->t->data;
    } else {
        val = &zero;
    }
    uint8_t *p = alloc_out(g, r, dt, &os);
    size_t esz = ir_dtype_size(dt);
    for (int64_t i = 0; i < numel; i++)
        memcpy(p + (size_t)i * esz, val, esz);
    return FOLD_YES;
}

static int fold_range(IrGraph *g, int32_t n, FResult *r, int64_t limit, DlaError *err)
{
    FTensor a, b, c;
    if (!operand(g, n, 0, &a) || !operand(g, n, 1, &b) || !operand(g, n, 2, &c) || a.dt != b.dt ||
        a.dt != c.dt || a.n != 1 || b.n != 1 || c.n != 1 || !is_num(a.dt) || a.dt == DT_BOOL)
        return FOLD_NO;
    double s = get_d(&a, 0), l = get_d(&b, 0), d = get_d(&c, 0);
    if (d == 0 || d != d || s != s || l != l)
        return bad(g, n, err, "Range: delta is zero or an operand is NaN"), -1;
    /* number_of_elements = max(ceil((limit - start) / delta), 0) */
    double cnt = ceil((l - s) / d);
    if (cnt > (double)limit)
        return FOLD_NO;
    int64_t k = cnt > 0 ? (int64_t)cnt : 0;
    IrShape os = ir_shape_make(1, &k);
    void *p = alloc_out(g, r, a.dt, &os);
    for (int64_t i = 0; i < k; i++) {
        if (is_float(a.dt))
            set_d(p, a.dt, i, s + (double)i * d);
        else
            set_i(p, a.dt, i, get_i(&a, 0) + i * get_i(&c, 0));
    }
    return FOLD_YES;
}

/* A Constant node that survived import (the frontend normally turns them into
 * constant values): value, value_float(s) or value_int(s). */
static int fold_constant(IrGraph *g, int32_t n, FResult *r)
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
            r->nbytes = a->t->nbytes;
            return FOLD_YES;
        }
        int isf = !strcmp(a->name, "value_float") || !strcmp(a->name, "value_floats");
        int isi = !strcmp(a->name, "value_int") || !strcmp(a->name, "value_ints");
        if (!isf && !isi)
            continue;
        int64_t cnt = (a->type == IR_ATTR_FLOATS || a->type == IR_ATTR_INTS) ? a->n : 1;
        IrShape os = a->type == IR_ATTR_FLOATS || a->type == IR_ATTR_INTS ? ir_shape_make(1, &cnt)
                                                                          : ir_shape_make(0, NULL);
        if (a->type == IR_ATTR_FLOAT || a->type == IR_ATTR_FLOATS) {
            void *p = alloc_out(g, r, DT_FLOAT, &os);
            for (int64_t k = 0; k < cnt; k++)
                set_d(p, DT_FLOAT, k, a->type == IR_ATTR_FLOAT ? a->f : a->floats[k]);
            return FOLD_YES;
        }
        if (a->type == IR_ATTR_INT || a->type == IR_ATTR_INTS) {
            void *p = alloc_out(g, r, DT_INT64, &os);
            for (int64_t k = 0; k < cnt; k++)
                set_i(p, DT_INT64, k, a->type == IR_ATTR_INT ? a->i : a->ints[k]);
            return FOLD_YES;
        }
    }
    return FOLD_NO;
}

static int fold_node(IrGraph *g, int32_t n, int64_t limit, FResult *r, DlaError *err)
{
    const IrNode *nd = &g->nodes[n];
    if (nd->op == OP_SHAPE) return fold_shape(g, n, r);
    if (nd->op == OP_SIZE) return fold_size(g, n, r);
    if (nd->op == OP_IDENTITY || nd->op == OP_RESHAPE || nd->op == OP_FLATTEN ||
        nd->op == OP_SQUEEZE || nd->op == OP_UNSQUEEZE)
        return fold_reshape_like(g, n, r, err);
    if (nd->op == OP_CAST) return fold_cast(g, n, r, limit);
    if (nd->op == OP_ADD) return fold_binary(g, n, r, limit, B_ADD);
    if (nd->op == OP_SUB) return fold_binary(g, n, r, limit, B_SUB);
    if (nd->op == OP_MUL) return fold_binary(g, n, r, limit, B_MUL);
    if (nd->op == OP_DIV) return fold_binary(g, n, r, limit, B_DIV);
    if (nd->op == OP_EQUAL) return fold_binary(g, n, r, limit, B_EQ);
    if (nd->op == OP_LESS) return fold_binary(g, n, r, limit, B_LT);
    if (nd->op == OP_GREATER) return fold_binary(g, n, r, limit, B_GT);
    if (nd->op == OP_WHERE) return fold_where(g, n, r, limit);
    if (nd->op == OP_GATHER) return fold_gather(g, n, r, limit, err);
    if (nd->op == OP_CONCAT) return fold_concat(g, n, r, limit, err);
    if (nd->op == OP_SLICE) return fold_slice(g, n, r, limit, err);
    if (nd->op == OP_TRANSPOSE) return fold_transpose(g, n, r, limit, err);
    if (nd->op == OP_CONSTANT_OF_SHAPE) return fold_const_of_shape(g, n, r, limit, err);
    if (nd->op == OP_RANGE) return fold_range(g, n, r, limit, err);
    if (nd->op == OP_CONSTANT) return fold_constant(g, n, r);
    return FOLD_NO;
}

/* One sweep in topological order, so a chain folds front to back in one go.
 * Returns the number of nodes folded, or -1 on error. */
static int sweep(IrGraph *g, int64_t limit, DlaError *err)
{
    int folded = 0;
    for (int32_t n = 0; n < g->nnodes; n++) {
        IrNode *nd = &g->nodes[n];
        if (nd->dead || nd->noutputs != 1 || nd->outputs[0] < 0)
            continue;
        int32_t out = nd->outputs[0];
        /* A graph output keeps its producer, and so does a value some
         * subgraph refers to by name (it stays an ordinary value). */
        if (g->values[out].flags & IR_VAL_OUTPUT)
            continue;
        FResult r;
        memset(&r, 0, sizeof r);
        /* Shape inference's own constant propagation may already have given
         * the output data (while leaving the node); then only the node goes. */
        if (pu_is_const(g, out) && ir_shape_known(&g->values[out].shape)) {
            g->values[out].producer = -1;
            nd->dead = 1;
            folded++;
            continue;
        }
        int st = fold_node(g, n, limit, &r, err);
        if (st < 0)
            return -1;
        if (st == FOLD_NO)
            continue;
        pu_make_const(g, out, r.dt, &r.sh, r.data, r.nbytes);
        nd->dead = 1;
        folded++;
    }
    return folded;
}

DlaStatus pass_fold(IrGraph *g, const PassContext *ctx, DlaError *err)
{
    int64_t limit = ctx->fold_max_elems > 0 ? ctx->fold_max_elems : PASS_FOLD_MAX_ELEMS;
    /* Each round can only shrink the graph, so this terminates; the bound is
     * a guard, ten rounds cover chains far deeper than exporters produce. */
    for (int round = 0; round < 10; round++) {
        int k = sweep(g, limit, err);
        ir_graph_compact(g);
        if (k < 0)
            return err ? err->code : DLA_ERR_INVALID;
        if (k == 0)
            break;
        /* Re-infer so that shapes made static by this round reach later Shape
         * nodes. Problems in unrelated nodes do not stop folding: the shapes
         * passes report them. */
        IrDiagList diags = {0};
        DlaError ignored = {0};
        ir_infer_shapes(g, &diags, &ignored);
        ir_diag_free(&diags);
    }
    return DLA_OK;
}
