/* onnx_shape_arg.c - the --input-shape NAME=D0,D1,... argument: parsing it,
 * binding the shapes to graph inputs at load time, and deriving them from the
 * tensors that will be fed (semantics in onnx.h). */
#include "onnx_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DlaStatus onnx_parse_input_shape(const char *arg, OnnxInputShape *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    /* The last '=' splits: input names may themselves contain '=' (ONNX allows any string). */
    const char *eq = strrchr(arg, '=');
    if (!eq || eq == arg)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "--input-shape '%s': expected NAME=D0,D1,... (e.g. input=1,3,224,224)", arg);
    out->name = arg; /* NOT terminated at '=': see name_len below */
    const char *p = eq + 1;
    int rank = 0;
    if (*p == 0) { /* "x=" : a scalar (rank 0) */
        out->rank = 0;
    } else {
        for (;;) {
            if (*p < '0' || *p > '9')
                return dla_errorf(err, DLA_ERR_INVALID,
                                  "--input-shape '%s': dimension %d is not a non-negative integer", arg, rank);
            if (rank >= IR_MAX_RANK)
                return dla_errorf(err, DLA_ERR_LIMIT, "--input-shape '%s': more than %d dimensions", arg,
                                  IR_MAX_RANK);
            int64_t v = 0;
            while (*p >= '0' && *p <= '9') {
                int d = *p++ - '0';
                if (v > (INT64_MAX - d) / 10)
                    return dla_errorf(err, DLA_ERR_INVALID, "--input-shape '%s': dimension %d is too large",
                                      arg, rank);
                v = v * 10 + d;
            }
            out->dims[rank++] = v;
            if (*p == 0)
                break;
            if (*p != ',' && *p != 'x')
                return dla_errorf(err, DLA_ERR_INVALID,
                                  "--input-shape '%s': unexpected '%c' after dimension %d", arg, *p, rank - 1);
            p++;
        }
        out->rank = rank;
    }
    out->name_len = (size_t)(eq - arg);
    return DLA_OK;
}

typedef struct SymBind {
    const char *sym;
    int64_t val;
} SymBind;

static void subst_syms(IrGraph *g, const SymBind *b, int nb)
{
    for (int32_t v = 0; v < g->nvalues; v++) {
        IrShape *sh = &g->values[v].shape;
        for (int32_t d = 0; d < sh->rank; d++)
            for (int k = 0; k < nb && sh->sym[d]; k++)
                if (sh->dims[d] < 0 && strcmp(sh->sym[d], b[k].sym) == 0) {
                    sh->dims[d] = b[k].val;
                    sh->sym[d] = NULL;
                }
    }
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t a = 0; a < g->nodes[n].nattrs; a++) {
            const IrAttr *at = &g->nodes[n].attrs[a];
            if (at->type == IR_ATTR_GRAPH)
                subst_syms(at->g, b, nb);
            else if (at->type == IR_ATTR_GRAPHS)
                for (int32_t k = 0; k < at->n; k++)
                    subst_syms(at->graphs[k], b, nb);
        }
}

DlaStatus onnx_bind_input_shapes(OnnxCtx *cx, IrGraph *g, const OnnxLoadOptions *opt)
{
    SymBind *binds = dla_malloc(((size_t)opt->nshapes * IR_MAX_RANK + 1) * sizeof *binds);
    int nb = 0;
    DlaStatus s = DLA_OK;
    for (int32_t k = 0; k < opt->nshapes && !s; k++) {
        const OnnxInputShape *is = &opt->shapes[k];
        char iname[256];
        size_t nl = is->name_len ? is->name_len : strlen(is->name);
        snprintf(iname, sizeof iname, "%.*s", (int)(nl < 255 ? nl : 255), is->name);
        for (int32_t j = 0; j < k && !s; j++) {
            const OnnxInputShape *js = &opt->shapes[j];
            size_t jl = js->name_len ? js->name_len : strlen(js->name);
            if (jl == nl && memcmp(js->name, is->name, nl) == 0)
                s = dla_errorf(cx->err, DLA_ERR_INVALID, "%s: --input-shape given twice for input '%s'",
                               cx->path, iname);
        }
        if (s)
            break;
        int32_t v = -1;
        for (int32_t i = 0; i < g->ninputs; i++) {
            const char *vn = g->values[g->inputs[i]].name;
            if (strlen(vn) == nl && memcmp(vn, is->name, nl) == 0)
                v = g->inputs[i];
        }
        if (v < 0) {
            char list[1024];
            size_t len = 0;
            list[0] = 0;
            for (int32_t i = 0; i < g->ninputs && len < sizeof list; i++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", i ? ", " : "",
                                        g->values[g->inputs[i]].name);
            int32_t c = ir_value_find(g, iname);
            int is_const = c >= 0 && (g->values[c].flags & IR_VAL_CONST);
            s = dla_errorf(cx->err, DLA_ERR_INVALID, "%s: --input-shape names '%s', which is not a graph input%s "
                           "(the inputs are: %s)", cx->path, iname,
                           is_const ? " but an initializer (a constant with a fixed shape)" : "",
                           g->ninputs ? list : "none");
            break;
        }
        IrValue *val = &g->values[v];
        char have[160], want[160];
        IrShape ns = ir_shape_make(is->rank < 0 ? 0 : (is->rank > IR_MAX_RANK ? IR_MAX_RANK : is->rank), is->dims);
        ir_shape_str(&val->shape, have, sizeof have);
        ir_shape_str(&ns, want, sizeof want);
        if (is->rank < 0 || is->rank > IR_MAX_RANK) {
            s = dla_errorf(cx->err, DLA_ERR_LIMIT, "%s: --input-shape for '%s': rank %d is out of range",
                           cx->path, iname, (int)is->rank);
            break;
        }
        if (val->shape.rank >= 0 && val->shape.rank != is->rank) {
            s = dla_errorf(cx->err, DLA_ERR_INVALID,
                           "%s: --input-shape %s for input '%s' has rank %d, but the model declares %s (rank %d)",
                           cx->path, want, iname, (int)is->rank, have, (int)val->shape.rank);
            break;
        }
        for (int32_t d = 0; d < is->rank && !s; d++) {
            if (is->dims[d] < 0)
                s = dla_errorf(cx->err, DLA_ERR_INVALID, "%s: --input-shape for '%s': dim %d is negative",
                               cx->path, iname, (int)d);
            else if (val->shape.rank >= 0 && val->shape.dims[d] >= 0 && val->shape.dims[d] != is->dims[d])
                s = dla_errorf(cx->err, DLA_ERR_INVALID,
                               "%s: --input-shape %s for input '%s' disagrees with the model's %s in dim %d "
                               "(%lld vs %lld)", cx->path, want, iname, have, (int)d,
                               (long long)is->dims[d], (long long)val->shape.dims[d]);
            else if (val->shape.rank >= 0 && val->shape.sym[d]) {
                for (int b = 0; b < nb && !s; b++)
                    if (strcmp(binds[b].sym, val->shape.sym[d]) == 0 && binds[b].val != is->dims[d])
                        s = dla_errorf(cx->err, DLA_ERR_INVALID,
                                       "%s: --input-shape binds symbolic dim '%s' to both %lld and %lld",
                                       cx->path, val->shape.sym[d], (long long)binds[b].val,
                                       (long long)is->dims[d]);
                binds[nb].sym = val->shape.sym[d];
                binds[nb].val = is->dims[d];
                nb++;
            }
        }
        if (!s)
            val->shape = ns;
    }
    if (!s && nb)
        subst_syms(g, binds, nb);
    free(binds);
    return s;
}

/* Does an explicit shape in opt name input `name`? */
static int shape_given(const OnnxLoadOptions *opt, const char *name)
{
    size_t n = strlen(name);
    for (int32_t k = 0; opt && k < opt->nshapes; k++) {
        const OnnxInputShape *is = &opt->shapes[k];
        size_t l = is->name_len ? is->name_len : strlen(is->name);
        if (l == n && memcmp(is->name, name, n) == 0)
            return 1;
    }
    return 0;
}

void onnx_fed_shapes_free(OnnxFedShapes *s)
{
    for (int32_t i = 0; i < s->nbound; i++)
        free(s->names[i]);
    free(s->names);
    free(s->shapes);
    memset(s, 0, sizeof *s);
}

DlaStatus onnx_fed_shapes(const IrGraph *g, const OnnxLoadOptions *opt, const OnnxTensorFile *fed, int32_t nfed,
                          OnnxFedShapes *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    int32_t ngiven = opt ? opt->nshapes : 0, nbind = fed ? (nfed < g->ninputs ? nfed : g->ninputs) : 0;
    out->shapes = dla_malloc((size_t)(ngiven + nbind + 1) * sizeof *out->shapes);
    out->names = dla_malloc((size_t)(nbind + 1) * sizeof *out->names);
    for (int32_t k = 0; k < ngiven; k++)
        out->shapes[out->nshapes++] = opt->shapes[k];
    for (int32_t i = 0; i < nbind; i++) {
        const IrValue *v = &g->values[g->inputs[i]];
        if (ir_shape_known(&v->shape) || shape_given(opt, v->name))
            continue;
        if (v->shape.rank >= 0 && fed[i].shape.rank != v->shape.rank) {
            char a[160], b[160];
            DlaStatus st = dla_errorf(err, DLA_ERR_INVALID, "input '%s' is %s, the tensor given for it is %s",
                                      v->name, ir_shape_str(&v->shape, a, sizeof a),
                                      ir_shape_str(&fed[i].shape, b, sizeof b));
            onnx_fed_shapes_free(out);
            return st;
        }
        OnnxInputShape *b = &out->shapes[out->nshapes++];
        memset(b, 0, sizeof *b);
        b->name = out->names[out->nbound++] = dla_strdup(v->name);
        b->rank = fed[i].shape.rank;
        memcpy(b->dims, fed[i].shape.dims, sizeof b->dims);
    }
    return DLA_OK;
}

DlaStatus onnx_load_fed(const char *path, const OnnxLoadOptions *opt, const OnnxTensorFile *fed, int32_t nfed,
                        IrGraph **out, DlaError *err)
{
    *out = NULL;
    IrGraph *g = NULL;
    DlaStatus st = onnx_load(path, opt, &g, err);
    if (st || !fed)
        goto done;
    OnnxFedShapes fs;
    if ((st = onnx_fed_shapes(g, opt, fed, nfed, &fs, err)))
        goto done;
    if (fs.nbound) {
        ir_graph_free(g);
        g = NULL;
        OnnxLoadOptions lo = {fs.shapes, fs.nshapes};
        st = onnx_load(path, &lo, &g, err);
    }
    onnx_fed_shapes_free(&fs);
done:
    if (st) {
        ir_graph_free(g);
        g = NULL;
    }
    *out = g;
    return st;
}
