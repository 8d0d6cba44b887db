/* test_shape_agree.c - shape/dtype inference against the ONNX backend test
 * data: for every node test, the graph inputs are bound to test_data_set_0's
 * input_N.pb (as constants, so that value-dependent shapes resolve), every
 * node output's declared type is forgotten, ir_infer_shapes runs, and each
 * graph output's dtype and shape must equal output_N.pb's. Outputs that shape
 * inference gave constant data (shape-level constant propagation) must also
 * equal the expected values.
 *
 * tests/ir/shape_agree.txt lists the tests known to agree: one that no longer
 * agrees fails this test; newly agreeing ones are printed (to be added).
 * DLA_SHAPE_AGREE_WRITE=FILE writes the current list of agreeing tests. */
#include "dla_test.h"
#include "infer.h"
#include "opcheck.h"
#include "ir.h"
#include "frontend/onnx.h"
#include "dla_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Result {
    char name[256];
    int agree, unsupported, check_diags, folded;
    char why[512];
} Result;

static int has_unknown_op(const IrGraph *g)
{
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        if (nd->op == OP_UNKNOWN)
            return 1;
        for (int32_t a = 0; a < nd->nattrs; a++) {
            if (nd->attrs[a].type == IR_ATTR_GRAPH && nd->attrs[a].g && has_unknown_op(nd->attrs[a].g))
                return 1;
            for (int32_t k = 0; nd->attrs[a].type == IR_ATTR_GRAPHS && k < nd->attrs[a].n; k++)
                if (has_unknown_op(nd->attrs[a].graphs[k]))
                    return 1;
        }
    }
    return 0;
}

static void bind_input(IrGraph *g, int32_t v, OnnxTensorFile *t)
{
    IrValue *val = &g->values[v];
    if (!(val->dtype == DT_BFLOAT16 && t->dtype == DT_UINT16))
        val->dtype = t->dtype;
    val->shape = t->shape;
    if (t->dtype == DT_STRING) {
        int64_t n = ir_shape_numel(&t->shape);
        char **src = t->data;
        const char **dst = ir_graph_alloc_data(g, sizeof(char *) * (size_t)(n ? n : 1));
        for (int64_t i = 0; i < n; i++)
            dst[i] = dla_arena_strdup(&g->arena, src[i] ? src[i] : "");
        ir_value_borrow_data(g, v, dst, sizeof(char *) * (size_t)n);
    } else {
        ir_value_set_data(g, v, t->data, t->nbytes);
    }
}

/* Compare folded data with the expected tensor; 1 if equal (floats: close). */
static int data_equal(const IrValue *v, const OnnxTensorFile *t, char *why, size_t nw)
{
    if (v->dtype == DT_STRING || t->nbytes != v->nbytes) {
        if (v->dtype != DT_STRING)
            snprintf(why, nw, "folded data of '%s' has %zu bytes, expected %zu", v->name, v->nbytes, t->nbytes);
        return v->dtype == DT_STRING;
    }
    int64_t n = ir_shape_numel(&v->shape);
    for (int64_t i = 0; i < n; i++) {
        double a, b;
        if (v->dtype == DT_FLOAT) {
            a = ((const float *)v->data)[i];
            b = ((const float *)t->data)[i];
        } else if (v->dtype == DT_DOUBLE) {
            a = ((const double *)v->data)[i];
            b = ((const double *)t->data)[i];
        } else {
            continue;
        }
        if (!(fabs(a - b) <= 1e-5 * (1 + fabs(b))) && !(isnan(a) && isnan(b))) {
            snprintf(why, nw, "folded data of '%s' differs at %lld: %g vs %g", v->name, (long long)i, a, b);
            return 0;
        }
    }
    if (v->dtype != DT_FLOAT && v->dtype != DT_DOUBLE && memcmp(v->data, t->data, v->nbytes)) {
        snprintf(why, nw, "folded data of '%s' differs", v->name);
        return 0;
    }
    return 1;
}


/* ---- a minimal protobuf wire reader for the expected outputs that are
 * onnx.SequenceProto / onnx.OptionalProto (not in Debian's onnx.proto, hence
 * not generated): only the element tensors' data_type and dims are needed. */
typedef struct Pb { const uint8_t *p, *end; } Pb;

static int pb_varint(Pb *b, uint64_t *v)
{
    *v = 0;
    for (int sh = 0; sh < 64 && b->p < b->end; sh += 7) {
        uint8_t c = *b->p++;
        *v |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80))
            return 1;
    }
    return 0;
}

/* Next field: 1 ok, 0 end, -1 malformed. Length-delimited payloads go to *sub. */
static int pb_next(Pb *b, int *field, int *wt, uint64_t *v, Pb *sub)
{
    *field = *wt = 0; /* every output defined whatever the field's wire type */
    *v = 0;
    sub->p = sub->end = NULL;
    if (b->p >= b->end)
        return 0;
    uint64_t key;
    if (!pb_varint(b, &key))
        return -1;
    *field = (int)(key >> 3);
    *wt = (int)(key & 7);
    switch (key & 7) {
    case 0: return pb_varint(b, v) ? 1 : -1;
    case 1: if (b->end - b->p < 8) return -1; b->p += 8; return 1;
    case 5: if (b->end - b->p < 4) return -1; b->p += 4; return 1;
    case 2:
        if (!pb_varint(b, v) || (uint64_t)(b->end - b->p) < *v)
            return -1;
        sub->p = b->p;
        sub->end = b->p + *v;
        b->p += *v;
        return 1;
    default: return -1;
    }
}

/* TensorProto: field 1 dims (plain or packed), field 2 data_type. */
static int pb_tensor(Pb b, IrDtype *dt, IrShape *s)
{
    int f, r, wt;
    uint64_t v;
    Pb sub;
    *s = ir_shape_make(0, NULL);
    *dt = DT_UNDEFINED;
    while ((r = pb_next(&b, &f, &wt, &v, &sub)) == 1) {
        if (f == 2 && wt == 0)
            *dt = (IrDtype)v;
        else if (f == 1 && wt == 2) {
            while (sub.p < sub.end && s->rank < IR_MAX_RANK) {
                uint64_t d;
                if (!pb_varint(&sub, &d))
                    return 0;
                s->dims[s->rank++] = (int64_t)d;
            }
        } else if (f == 1 && wt == 0 && s->rank < IR_MAX_RANK)
            s->dims[s->rank++] = (int64_t)v;
    }
    return r == 0;
}

/* SequenceProto (field 3 tensor_values): element dtype and the merged shape
 * of its tensors (unknown dims where they differ); *count elements. */
static int pb_sequence(Pb b, IrDtype *dt, IrShape *merged, int *count)
{
    int f, r, wt;
    uint64_t v;
    Pb sub;
    *count = 0;
    *dt = DT_UNDEFINED;
    *merged = ir_shape_make(0, NULL);
    while ((r = pb_next(&b, &f, &wt, &v, &sub)) == 1) {
        if (f != 3 || wt != 2)
            continue;
        IrDtype edt;
        IrShape es;
        if (!pb_tensor(sub, &edt, &es))
            return 0;
        if (*count == 0) {
            *dt = edt;
            *merged = es;
        } else if (es.rank != merged->rank) {
            merged->rank = -1;
        } else {
            for (int i = 0; i < es.rank; i++)
                if (es.dims[i] != merged->dims[i])
                    merged->dims[i] = -1;
        }
        ++*count;
    }
    return r == 0;
}

/* Compare a sequence/optional graph output with its expected proto file. */
static int check_non_tensor(const IrValue *v, const char *path, char *why, size_t nw)
{
    DlaMapped m;
    DlaError err;
    if (dla_file_map(path, &m, &err)) {
        snprintf(why, nw, "cannot read %.300s", path);
        return 0;
    }
    Pb b = {m.data, (const uint8_t *)m.data + m.size};
    int ok = 1, count = 0, is_seq = 0, empty = 0;
    IrDtype dt = DT_UNDEFINED;
    IrShape s = ir_shape_make(0, NULL);
    if (v->flags & IR_VAL_OPTIONAL) { /* OptionalProto: 3 tensor_value, 5 sequence_value */
        int f, r, wt, found = 0;
        uint64_t x;
        Pb sub;
        while ((r = pb_next(&b, &f, &wt, &x, &sub)) == 1) {
            if (f == 3 && wt == 2)
                found = 1, ok = pb_tensor(sub, &dt, &s);
            else if (f == 5 && wt == 2)
                found = 1, is_seq = 1, ok = pb_sequence(sub, &dt, &s, &count);
        }
        empty = !found;
        ok = ok && r == 0;
    } else {
        is_seq = 1;
        ok = pb_sequence(b, &dt, &s, &count);
    }
    dla_file_unmap(&m);
    char a[128], c[128];
    if (!ok) {
        snprintf(why, nw, "%.300s is not a valid Sequence/OptionalProto", path);
        return 0;
    }
    if (empty || (is_seq && count == 0))
        return 1; /* nothing to compare the element type with */
    if (is_seq != !!(v->flags & IR_VAL_SEQUENCE) || v->dtype != dt || !ir_shape_equal(&v->shape, &s)) {
        snprintf(why, nw, "output '%s': inferred %s%s%s, expected %s%s%s", v->name,
                 v->flags & IR_VAL_SEQUENCE ? "seq of " : "", ir_dtype_name(v->dtype),
                 ir_shape_str(&v->shape, a, sizeof a), is_seq ? "seq of " : "", ir_dtype_name(dt),
                 ir_shape_str(&s, c, sizeof c));
        return 0;
    }
    return 1;
}

/* The backend test data stores bfloat16 tensors as uint16 (same bits). */
static int dtype_same(IrDtype a, IrDtype b)
{
    return a == b || (a == DT_BFLOAT16 && b == DT_UINT16) || (a == DT_UINT16 && b == DT_BFLOAT16);
}

/* A sequence input: its element type (the merged shape of its tensors). */
static void bind_sequence(IrGraph *g, int32_t v, const char *path)
{
    DlaMapped m;
    DlaError err;
    if (dla_file_map(path, &m, &err))
        return;
    Pb b = {m.data, (const uint8_t *)m.data + m.size};
    IrDtype dt;
    IrShape s;
    int count = 0, ok = 0;
    if (g->values[v].flags & IR_VAL_OPTIONAL) { /* OptionalProto: 3 tensor_value, 5 sequence_value */
        int f, r, wt;
        uint64_t x;
        Pb sub;
        while ((r = pb_next(&b, &f, &wt, &x, &sub)) == 1) {
            if (f == 3 && wt == 2)
                ok = pb_tensor(sub, &dt, &s), count = 1;
            else if (f == 5 && wt == 2)
                ok = pb_sequence(sub, &dt, &s, &count);
        }
    } else {
        ok = pb_sequence(b, &dt, &s, &count);
    }
    if (ok) {
        if (count > 0) {
            g->values[v].dtype = dt;
            g->values[v].shape = s;
        } else {
            g->values[v].shape.rank = -1; /* empty: no element shape */
        }
    }
    dla_file_unmap(&m);
}

/* Forget what the model declares about node outputs, in subgraphs too:
 * inference must find it. A subgraph's outputs keep their types: like its
 * inputs', they are the body's signature, which ONNX requires. */
static void forget_declared(IrGraph *g)
{
    for (int32_t v = 0; v < g->nvalues; v++)
        if (g->values[v].producer >= 0 && !(g->parent && (g->values[v].flags & IR_VAL_OUTPUT))) {
            g->values[v].dtype = DT_UNDEFINED;
            g->values[v].shape.rank = -1;
        }
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t a = 0; a < g->nodes[n].nattrs; a++)
            if (g->nodes[n].attrs[a].type == IR_ATTR_GRAPH && g->nodes[n].attrs[a].g)
                forget_declared(g->nodes[n].attrs[a].g);
}

static void run_one(const char *root, const char *name, Result *r)
{
    char path[4096];
    DlaError err;
    IrGraph *g = NULL;
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(path, sizeof path, "%.2000s/%.255s/model.onnx", root, name);
    if (onnx_load(path, NULL, &g, &err)) {
        snprintf(r->why, sizeof r->why, "load failed: %.400s", err.msg);
        return;
    }
    r->unsupported = has_unknown_op(g);
    IrDiagList cd = {0};
    ir_check_graph_support(g, &cd); /* the op table accepts every node as written */
    r->check_diags = (int)cd.n;
    if (cd.n)
        printf("  check %s: %s\n", name, cd.items[0].msg);
    ir_diag_free(&cd);
    for (int32_t i = 0; i < g->ninputs; i++) {
        OnnxTensorFile t;
        snprintf(path, sizeof path, "%.2000s/%.255s/test_data_set_0/input_%d.pb", root, name, i);
        if (!dla_path_exists(path))
            continue; /* absent optional input: keep the declared type */
        if (g->values[g->inputs[i]].flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL)) {
            bind_sequence(g, g->inputs[i], path);
            continue;
        }
        if (onnx_tensor_read(path, &t, &err))
            continue;
        bind_input(g, g->inputs[i], &t);
        onnx_tensor_file_free(&t);
    }
    forget_declared(g);
    IrDiagList diags = {0};
    DlaStatus st = ir_infer_shapes(g, &diags, &err);
    r->agree = 1;
    if (st) {
        r->agree = 0;
        snprintf(r->why, sizeof r->why, "inference: %.450s", err.msg);
    }
    for (int32_t o = 0; o < g->noutputs && r->agree; o++) {
        const IrValue *v = &g->values[g->outputs[o]];
        OnnxTensorFile t;
        snprintf(path, sizeof path, "%.2000s/%.255s/test_data_set_0/output_%d.pb", root, name, o);
        if (v->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL)) {
            r->agree = check_non_tensor(v, path, r->why, sizeof r->why);
            continue;
        }
        if (onnx_tensor_read(path, &t, &err)) {
            r->agree = 0;
            snprintf(r->why, sizeof r->why, "output %d: %.400s", o, err.msg);
            break;
        }
        char a[128], b[128];
        if (!dtype_same(v->dtype, t.dtype) || !ir_shape_equal(&v->shape, &t.shape)) {
            r->agree = 0;
            snprintf(r->why, sizeof r->why, "output %d '%s': inferred %s%s, expected %s%s", o, v->name,
                     ir_dtype_name(v->dtype), ir_shape_str(&v->shape, a, sizeof a), ir_dtype_name(t.dtype),
                     ir_shape_str(&t.shape, b, sizeof b));
        } else if ((v->flags & IR_VAL_CONST) && v->producer >= 0) {
            r->folded++;
            if (!data_equal(v, &t, r->why, sizeof r->why))
                r->agree = 0;
        }
        onnx_tensor_file_free(&t);
    }
    ir_diag_free(&diags);
    ir_graph_free(g);
}

static void test_agreement(void)
{
    const char *root = dla_test_node_dir();
    if (!root)
        return;
    size_t n;
    char **names = dla_test_list_dir(root, "test_data_set_0/output_0.pb", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    Result *res = dla_calloc(n ? n : 1, sizeof *res);
    size_t agree = 0, unsup = 0, checked_bad = 0, folded = 0;
    for (size_t i = 0; i < n; i++) {
        run_one(root, names[i], &res[i]);
        agree += res[i].agree;
        unsup += res[i].unsupported;
        checked_bad += res[i].check_diags > 0;
        folded += (size_t)res[i].folded;
    }
    printf("\nshape agreement: %zu of %zu tests agree (%zu with unsupported ops)\n", agree, n, unsup);
    printf("  %zu graph outputs got constant data from shape-level propagation, checked against the expected values\n",
           folded);
    for (size_t i = 0; i < n; i++)
        if (!res[i].agree)
            printf("  disagree %s%s: %s\n", res[i].name, res[i].unsupported ? " [unsupported op]" : "", res[i].why);
    /* the checked-in list of agreeing tests must not regress */
    char lp[4096];
    snprintf(lp, sizeof lp, "%.3000s/tests/ir/shape_agree.txt", DLA_SOURCE_DIR);
    FILE *f = fopen(lp, "r");
    CU_ASSERT_PTR_NOT_NULL(f);
    char line[512];
    size_t listed = 0, regressed = 0;
    char *in_list = dla_calloc(n ? n : 1, 1);
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        listed++;
        char *key = line;
        Result *hit = NULL;
        for (size_t i = 0; i < n; i++)
            if (!strcmp(res[i].name, key)) {
                hit = &res[i];
                in_list[i] = 1;
            }
        if (!hit || !hit->agree) {
            printf("  REGRESSION: %s is listed as agreeing but %s\n", key, hit ? hit->why : "is absent");
            regressed++;
        }
    }
    if (f)
        fclose(f);
    for (size_t i = 0; i < n; i++)
        if (res[i].agree && !in_list[i])
            printf("  newly agreeing (add to shape_agree.txt): %s\n", res[i].name);
    const char *w = getenv("DLA_SHAPE_AGREE_WRITE");
    if (w && (f = fopen(w, "w"))) {
        fprintf(f, "# node tests whose inferred output dtypes and shapes equal test_data_set_0's\n"
                   "# (checked by test_shape_agree: a listed test that stops agreeing fails it)\n");
        for (size_t i = 0; i < n; i++)
            if (res[i].agree)
                fprintf(f, "%s\n", res[i].name);
        fclose(f);
    }
    printf("  %zu listed, %zu regressed, %zu models with op-check diagnostics\n", listed, regressed, checked_bad);
    CU_ASSERT_EQUAL(checked_bad, 0);
    CU_ASSERT_EQUAL(regressed, 0);
    CU_ASSERT(listed > 0);
    dla_test_names_free(names, n);
    free(res);
    free(in_list);
}

/* Every node test with its inputs' shapes forgotten (rank unknown, no data):
 * inference must give unknown dims, never errors or crashes. */
static void test_unknown_inputs(void)
{
    const char *root = dla_test_node_dir();
    if (!root)
        return;
    size_t n;
    char **names = dla_test_list_dir(root, "model.onnx", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    size_t models = 0, failing = 0;
    for (size_t t = 0; t < n; t++) {
        char p[4096];
        snprintf(p, sizeof p, "%.2000s/%.255s/model.onnx", root, names[t]);
        IrGraph *g = NULL;
        DlaError err;
        if (onnx_load(p, NULL, &g, &err))
            continue;
        models++;
        for (int32_t i = 0; i < g->ninputs; i++)
            g->values[g->inputs[i]].shape.rank = -1;
        forget_declared(g);
        if (ir_infer_shapes(g, NULL, &err)) {
            failing++;
            printf("  unknown inputs: %s: %s\n", names[t], err.msg);
        }
        ir_graph_free(g);
    }
    dla_test_names_free(names, n);
    printf("\nunknown input shapes: %zu of %zu models infer without error\n", models - failing, models);
    CU_ASSERT_EQUAL(failing, 0);
}

/* Set every integer attribute (and integer list element) and every element of
 * small integer constants to x, in g and its subgraphs. */
static void mutate(IrGraph *g, int64_t x, float fx)
{
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t a = 0; a < g->nodes[n].nattrs; a++) {
            IrAttr *at = &g->nodes[n].attrs[a];
            if (at->type == IR_ATTR_INT)
                at->i = x;
            if (at->type == IR_ATTR_FLOAT)
                at->f = fx;
            for (int32_t k = 0; at->type == IR_ATTR_FLOATS && k < at->n; k++)
                at->floats[k] = fx;
            for (int32_t k = 0; at->type == IR_ATTR_INTS && k < at->n; k++)
                at->ints[k] = x;
            if (at->type == IR_ATTR_GRAPH && at->g)
                mutate(at->g, x, fx);
        }
    for (int32_t v = 0; v < g->nvalues; v++) {
        IrValue *val = &g->values[v];
        if ((val->flags & IR_VAL_CONST) && val->data && val->dtype == DT_INT64 && val->nbytes <= 64) {
            int64_t *copy = ir_graph_alloc_data(g, val->nbytes);
            for (size_t k = 0; k < val->nbytes / 8; k++)
                copy[k] = x;
            val->data = copy;
        }
        if ((val->flags & IR_VAL_CONST) && val->data && val->dtype == DT_FLOAT && val->nbytes <= 64) {
            float *copy = ir_graph_alloc_data(g, val->nbytes);
            for (size_t k = 0; k < val->nbytes / 4; k++)
                copy[k] = fx;
            val->data = copy;
        }
    }
}

/* Hostile attribute and constant values (extremes of int64, negatives,
 * zero) on every node test: inference may report errors but must not crash
 * or hit undefined behaviour (the sanitizer build checks the latter). */
static void test_hostile_values(void)
{
    const char *root = dla_test_node_dir();
    if (!root)
        return;
    static const int64_t vals[] = {INT64_MIN, -3, 0, (int64_t)1 << 62, INT64_MAX};
    static const float fvals[] = {-1e30f, -1.0f, 0.0f, 1e30f, NAN};
    size_t n;
    char **names = dla_test_list_dir(root, "model.onnx", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    size_t runs = 0, errors = 0;
    for (size_t i = 0; i < n; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%.2000s/%.255s/model.onnx", root, names[i]);
        for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
            IrGraph *g = NULL;
            DlaError err;
            if (onnx_load(p, NULL, &g, &err))
                break;
            mutate(g, vals[k], fvals[k]);
            forget_declared(g);
            IrDiagList dl = {0};
            errors += ir_infer_shapes(g, &dl, &err) != DLA_OK;
            ir_check_graph_support(g, &dl);
            ir_diag_free(&dl);
            ir_graph_free(g);
            runs++;
        }
    }
    dla_test_names_free(names, n);
    printf("\nhostile values: %zu inference runs, %zu reported errors, no crash\n", runs, errors);
    CU_ASSERT(runs > 0);
}

void dla_register_tests(void)
{
    DLA_SUITE("ir_shape_agree", {"node tests: inferred vs expected outputs", test_agreement},
              {"node tests with unknown input shapes", test_unknown_inputs},
              {"node tests with hostile attribute values", test_hostile_values});
}
