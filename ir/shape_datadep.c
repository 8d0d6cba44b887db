/* shape_datadep.c - shape functions of ops whose output size depends on the
 * input values (Compress, NonZero, Unique, NonMaxSuppression). The size is
 * computed when those inputs are constants; otherwise the dim is unknown. */
#include "shape_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Whether element k of a constant is non-zero (any numeric dtype). */
static int elem_nonzero(const IrValue *v, int64_t k)
{
    size_t es = ir_dtype_size(v->dtype);
    const unsigned char *p = (const unsigned char *)v->data + (size_t)k * es;
    if (v->dtype == DT_FLOAT || v->dtype == DT_DOUBLE || v->dtype == DT_FLOAT16 || v->dtype == DT_BFLOAT16) {
        double d;
        IrValue one = *v; /* read through the generic reader */
        one.data = (void *)p;
        one.shape = shp_rank(0);
        one.nbytes = es;
        if (shp_const_doubles(&one, &d, 1) != 1)
            return 1;
        return d != 0.0;
    }
    for (size_t i = 0; i < es; i++)
        if (p[i])
            return 1;
    return 0;
}

static int64_t const_numel(const IrValue *v)
{
    if (!shp_is_const(v) || v->dtype == DT_STRING || !ir_dtype_size(v->dtype))
        return -1;
    int64_t n = ir_shape_numel(&v->shape);
    return (uint64_t)n * ir_dtype_size(v->dtype) <= v->nbytes ? n : -1;
}

DlaStatus ir_shape_compress(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0), *c = shp_in(g, node, 1), *y = shp_out(g, node, 0);
    if (!x || !c)
        return shp_missing(err, x ? 1 : 0);
    if (c->shape.rank >= 0 && c->shape.rank != 1)
        return shp_err(err, "condition %s must be 1-D", shp_desc(g, node, 1));
    int has_axis = ir_attr_find(g, node, "axis") != NULL;
    int64_t limit;
    IrShape s;
    int a = 0;
    if (has_axis) {
        if (x->shape.rank < 0) {
            shp_set(y, x->dtype, NULL);
            return DLA_OK;
        }
        if (!shp_axis(ir_node_attr_i(g, node, "axis"), x->shape.rank, &a))
            return shp_err(err, "axis %lld is out of range for %s", (long long)ir_node_attr_i(g, node, "axis"),
                           shp_desc(g, node, 0));
        s = x->shape;
        limit = x->shape.dims[a];
    } else {
        s = shp_rank(1);
        limit = ir_shape_numel(&x->shape);
    }
    int64_t n = const_numel(c), cnt = -1;
    if (n >= 0 && limit >= 0) {
        cnt = 0;
        for (int64_t k = 0; k < n && k < limit; k++)
            cnt += elem_nonzero(c, k);
    }
    shp_dim(&s, has_axis ? a : 0, cnt);
    shp_set(y, x->dtype, &s);
    return DLA_OK;
}

DlaStatus ir_shape_nonzero(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    IrShape s = shp_rank(2);
    shp_dim(&s, 0, x->shape.rank >= 0 ? (x->shape.rank ? x->shape.rank : 1) : -1);
    int64_t n = const_numel(x);
    if (n >= 0) {
        int64_t cnt = 0;
        for (int64_t k = 0; k < n; k++)
            cnt += elem_nonzero(x, k);
        shp_dim(&s, 1, cnt);
    }
    shp_set(shp_out(g, node, 0), DT_INT64, &s);
    return DLA_OK;
}

/* Unique: count distinct elements (no axis) or distinct slices along axis. */
typedef struct { const unsigned char *p; size_t len; const IrValue *v; int is_str; int is_float; } SliceKey;

static int key_cmp(const void *pa, const void *pb)
{
    const SliceKey *a = pa, *b = pb;
    if (a->is_str) {
        const char *const *sa = (const char *const *)(const void *)a->p, *const *sb = (const char *const *)(const void *)b->p;
        for (size_t i = 0; i < a->len; i++) {
            int c = strcmp(sa[i] ? sa[i] : "", sb[i] ? sb[i] : "");
            if (c)
                return c;
        }
        return 0;
    }
    if (a->is_float) { /* compare as values so that -0.0 == 0.0 */
        size_t es = ir_dtype_size(a->v->dtype), n = a->len / es;
        for (size_t i = 0; i < n; i++) {
            double x, y;
            IrValue t = *a->v;
            t.shape = shp_rank(0);
            t.nbytes = es;
            t.data = (void *)(a->p + i * es);
            shp_const_doubles(&t, &x, 1);
            t.data = (void *)(b->p + i * es);
            shp_const_doubles(&t, &y, 1);
            if (x != y)
                return x < y ? -1 : 1;
        }
        return 0;
    }
    return memcmp(a->p, b->p, a->len);
}

DlaStatus ir_shape_unique(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *x = shp_in(g, node, 0);
    if (!x)
        return shp_missing(err, 0);
    int has_axis = ir_attr_find(g, node, "axis") != NULL;
    int a = 0;
    if (has_axis && x->shape.rank >= 0 && !shp_axis(ir_node_attr_i(g, node, "axis"), x->shape.rank, &a))
        return shp_err(err, "axis %lld is out of range for %s", (long long)ir_node_attr_i(g, node, "axis"),
                       shp_desc(g, node, 0));
    int64_t numel = ir_shape_numel(&x->shape);
    int64_t u = -1;
    int is_str = x->dtype == DT_STRING;
    size_t es = is_str ? sizeof(char *) : ir_dtype_size(x->dtype);
    if (shp_is_const(x) && numel >= 0 && es && (uint64_t)numel * es <= x->nbytes) {
        int64_t nslices = has_axis ? x->shape.dims[a] : numel;
        int64_t inner = 1, outer = 1;
        if (has_axis) {
            for (int i = a + 1; i < x->shape.rank; i++)
                inner *= x->shape.dims[i];
            for (int i = 0; i < a; i++)
                outer *= x->shape.dims[i];
        }
        /* slice j gathers outer blocks of `inner` elements: copy them contiguous */
        size_t slen = (size_t)(outer * inner) * es;
        unsigned char *buf = dla_malloc(slen * (size_t)(nslices ? nslices : 1) + 1);
        SliceKey *keys = dla_malloc(sizeof *keys * (size_t)(nslices ? nslices : 1));
        const unsigned char *src = x->data;
        for (int64_t j = 0; j < nslices; j++) {
            unsigned char *dst = buf + (size_t)j * slen;
            for (int64_t o = 0; o < outer; o++)
                memcpy(dst + (size_t)(o * inner) * es, src + (size_t)((o * nslices + j) * inner) * es,
                       (size_t)inner * es);
            keys[j] = (SliceKey){dst, is_str ? (size_t)(outer * inner) : slen, x, is_str, shp_dtype_is_float(x->dtype)};
        }
        qsort(keys, (size_t)nslices, sizeof *keys, key_cmp);
        u = nslices ? 1 : 0;
        for (int64_t j = 1; j < nslices; j++)
            u += key_cmp(&keys[j - 1], &keys[j]) != 0;
        free(keys);
        free(buf);
    }
    IrShape ys, us = shp_rank(1), inv = shp_rank(1);
    shp_dim(&us, 0, u);
    if (has_axis) {
        ys = x->shape;
        if (ys.rank >= 0) {
            shp_dim(&ys, a, u);
            shp_copy_dim(&inv, 0, &x->shape, a);
        }
    } else {
        ys = us;
        shp_dim(&inv, 0, numel);
    }
    shp_set(shp_out(g, node, 0), x->dtype, &ys);
    shp_set(shp_out(g, node, 1), DT_INT64, &us);
    shp_set(shp_out(g, node, 2), DT_INT64, &inv);
    shp_set(shp_out(g, node, 3), DT_INT64, &us);
    return DLA_OK;
}

/* NonMaxSuppression: [num_selected, 3] int64. With constant inputs the
 * selection is run (greedy per batch and class, ONNX semantics) to count. */
static double iou(const double *a, const double *b, int center)
{
    double ay1, ax1, ay2, ax2, by1, bx1, by2, bx2;
    if (center) { /* [x_center, y_center, width, height] */
        ax1 = a[0] - a[2] / 2, ax2 = a[0] + a[2] / 2, ay1 = a[1] - a[3] / 2, ay2 = a[1] + a[3] / 2;
        bx1 = b[0] - b[2] / 2, bx2 = b[0] + b[2] / 2, by1 = b[1] - b[3] / 2, by2 = b[1] + b[3] / 2;
    } else { /* [y1, x1, y2, x2], corners in any order */
        ay1 = fmin(a[0], a[2]), ay2 = fmax(a[0], a[2]), ax1 = fmin(a[1], a[3]), ax2 = fmax(a[1], a[3]);
        by1 = fmin(b[0], b[2]), by2 = fmax(b[0], b[2]), bx1 = fmin(b[1], b[3]), bx2 = fmax(b[1], b[3]);
    }
    double iw = fmin(ax2, bx2) - fmax(ax1, bx1), ih = fmin(ay2, by2) - fmax(ay1, by1);
    if (iw <= 0 || ih <= 0)
        return 0;
    double inter = iw * ih, ua = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
    return ua > 0 ? inter / ua : 0;
}

typedef struct { double score; int64_t idx; } Cand;
static int cand_cmp(const void *pa, const void *pb)
{
    const Cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

DlaStatus ir_shape_nms(IrGraph *g, int32_t node, DlaError *err)
{
    IrValue *boxes = shp_in(g, node, 0), *scores = shp_in(g, node, 1);
    if (!boxes || !scores)
        return shp_missing(err, boxes ? 1 : 0);
    IrShape s = shp_rank(2);
    shp_dim(&s, 1, 3);
    if (boxes->shape.rank >= 0 && (boxes->shape.rank != 3 || (boxes->shape.dims[2] >= 0 && boxes->shape.dims[2] != 4)))
        return shp_err(err, "boxes %s must be [batch, boxes, 4]", shp_desc(g, node, 0));
    if (scores->shape.rank >= 0 && scores->shape.rank != 3)
        return shp_err(err, "scores %s must be [batch, classes, boxes]", shp_desc(g, node, 1));
    int64_t maxout = 0;
    double iou_th = 0, score_th = 0;
    int has_score_th = 0, ok = ir_shape_known(&boxes->shape) && ir_shape_known(&scores->shape);
    IrValue *m = shp_in(g, node, 2), *it = shp_in(g, node, 3), *st = shp_in(g, node, 4);
    if (m && !shp_const_int1(m, &maxout))
        ok = 0;
    if (it && shp_const_doubles(it, &iou_th, 1) != 1)
        ok = 0;
    if (st) {
        has_score_th = 1;
        if (shp_const_doubles(st, &score_th, 1) != 1)
            ok = 0;
    }
    int64_t nb = ok ? boxes->shape.dims[0] : 0, nbox = ok ? boxes->shape.dims[1] : 0;
    int64_t nc = ok ? scores->shape.dims[1] : 0;
    if (ok && (scores->shape.dims[0] != nb || scores->shape.dims[2] != nbox))
        return shp_err(err, "boxes %s and scores %s disagree", shp_desc(g, node, 0), shp_desc(g, node, 1));
    int64_t nbx = nb * nbox * 4, nsc = nb * nc * nbox;
    if (ok && (nbx > 1 << 20 || nsc > 1 << 20))
        ok = 0; /* too large to evaluate during shape inference */
    double *bx = NULL, *sc = NULL;
    if (ok) {
        bx = dla_malloc(sizeof *bx * (size_t)(nbx + 1));
        sc = dla_malloc(sizeof *sc * (size_t)(nsc + 1));
        if (shp_const_doubles(boxes, bx, nbx) != nbx || shp_const_doubles(scores, sc, nsc) != nsc)
            ok = 0;
    }
    if (ok) {
        int center = ir_node_attr_i(g, node, "center_point_box") != 0;
        int64_t total = 0;
        Cand *cand = dla_malloc(sizeof *cand * (size_t)(nbox + 1));
        int64_t *sel = dla_malloc(sizeof *sel * (size_t)(nbox + 1));
        for (int64_t b = 0; b < nb; b++)
            for (int64_t c = 0; c < nc; c++) {
                int64_t nca = 0, nsel = 0;
                for (int64_t i = 0; i < nbox; i++) {
                    double v = sc[(b * nc + c) * nbox + i];
                    if (!has_score_th || v > score_th)
                        cand[nca++] = (Cand){v, i};
                }
                qsort(cand, (size_t)nca, sizeof *cand, cand_cmp);
                for (int64_t i = 0; i < nca && nsel < maxout; i++) {
                    const double *bi = &bx[(b * nbox + cand[i].idx) * 4];
                    int keep = 1;
                    for (int64_t j = 0; j < nsel && keep; j++)
                        if (iou(bi, &bx[(b * nbox + sel[j]) * 4], center) > iou_th)
                            keep = 0;
                    if (keep)
                        sel[nsel++] = cand[i].idx;
                }
                total += nsel;
            }
        free(cand);
        free(sel);
        shp_dim(&s, 0, total);
    }
    free(bx);
    free(sc);
    shp_set(shp_out(g, node, 0), DT_INT64, &s);
    return DLA_OK;
}
