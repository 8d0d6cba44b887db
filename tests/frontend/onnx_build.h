/* onnx_build.h - build small ONNX protos in memory for the frontend tests, with the
 * protobuf-c generated structs, and serialize them. Everything allocated here
 * is recorded and released by ob_free_all(). */
#ifndef DLA_TEST_ONNX_BUILD_H
#define DLA_TEST_ONNX_BUILD_H

#include "frontend/onnx.h"
#include "onnx/onnx.pb-c.h"

#include <stdlib.h>
#include <string.h>

static void **ob_blocks;
static size_t ob_nblocks;

static inline void *ob_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    ob_blocks = realloc(ob_blocks, (ob_nblocks + 1) * sizeof *ob_blocks);
    ob_blocks[ob_nblocks++] = p;
    return p;
}

static inline void ob_free_all(void)
{
    for (size_t i = 0; i < ob_nblocks; i++)
        free(ob_blocks[i]);
    free(ob_blocks);
    ob_blocks = NULL;
    ob_nblocks = 0;
}

static inline char *ob_str(const char *s)
{
    char *p = ob_alloc(strlen(s) + 1);
    strcpy(p, s);
    return p;
}

/* Append p to a protobuf-c repeated pointer field (arr, n). */
#define OB_PUSH(arr, n, p) do { \
    void *grown_ = ob_alloc(((n) + 1) * sizeof *(arr)); \
    if (n) memcpy(grown_, (arr), (n) * sizeof *(arr)); \
    (arr) = grown_; (arr)[(n)++] = (p); } while (0)

static inline Onnx__ModelProto *ob_model(int64_t opset)
{
    Onnx__ModelProto *m = ob_alloc(sizeof *m);
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = 8;
    Onnx__GraphProto *g = ob_alloc(sizeof *g);
    onnx__graph_proto__init(g);
    g->name = ob_str("test");
    m->graph = g;
    Onnx__OperatorSetIdProto *op = ob_alloc(sizeof *op);
    onnx__operator_set_id_proto__init(op);
    op->domain = ob_str("");
    op->has_version = 1;
    op->version = opset;
    OB_PUSH(m->opset_import, m->n_opset_import, op);
    return m;
}

static inline Onnx__TensorProto *ob_tensor(const char *name, int dtype, int rank, const int64_t *dims)
{
    Onnx__TensorProto *t = ob_alloc(sizeof *t);
    onnx__tensor_proto__init(t);
    if (name)
        t->name = ob_str(name);
    t->has_data_type = 1;
    t->data_type = dtype;
    t->n_dims = (size_t)rank;
    t->dims = ob_alloc((size_t)(rank ? rank : 1) * sizeof(int64_t));
    if (rank)
        memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
    return t;
}

static inline void ob_raw(Onnx__TensorProto *t, const void *data, size_t n)
{
    t->has_raw_data = 1;
    t->raw_data.len = n;
    t->raw_data.data = ob_alloc(n);
    if (n)
        memcpy(t->raw_data.data, data, n);
}

/* A tensor-typed ValueInfo; dims < 0 are symbolic "S<i>" when sym is set, else unknown. */
static inline Onnx__ValueInfoProto *ob_vinfo(const char *name, int dtype, int rank, const int64_t *dims,
                                             const char *const *sym)
{
    Onnx__ValueInfoProto *vi = ob_alloc(sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = ob_str(name);
    Onnx__TypeProto *tp = ob_alloc(sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = ob_alloc(sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = dtype;
    if (rank >= 0) {
        Onnx__TensorShapeProto *sh = ob_alloc(sizeof *sh);
        onnx__tensor_shape_proto__init(sh);
        for (int i = 0; i < rank; i++) {
            Onnx__TensorShapeProto__Dimension *d = ob_alloc(sizeof *d);
            onnx__tensor_shape_proto__dimension__init(d);
            if (dims[i] >= 0) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                d->dim_value = dims[i];
            } else if (sym && sym[i]) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                d->dim_param = ob_str(sym[i]);
            }
            OB_PUSH(sh->dim, sh->n_dim, d);
        }
        tt->shape = sh;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    return vi;
}

/* A node; inputs/outputs are NULL-terminated lists of names ("" = absent). */
static inline Onnx__NodeProto *ob_node(Onnx__GraphProto *g, const char *name, const char *op,
                                       const char *const *ins, const char *const *outs)
{
    Onnx__NodeProto *n = ob_alloc(sizeof *n);
    onnx__node_proto__init(n);
    if (name)
        n->name = ob_str(name);
    n->op_type = ob_str(op);
    for (int i = 0; ins && ins[i]; i++)
        OB_PUSH(n->input, n->n_input, ob_str(ins[i]));
    for (int i = 0; outs && outs[i]; i++)
        OB_PUSH(n->output, n->n_output, ob_str(outs[i]));
    if (g)
        OB_PUSH(g->node, g->n_node, n);
    return n;
}

static inline Onnx__AttributeProto *ob_attr(Onnx__NodeProto *n, const char *name,
                                            Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = ob_alloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = ob_str(name);
    a->has_type = 1;
    a->type = type;
    OB_PUSH(n->attribute, n->n_attribute, a);
    return a;
}

static inline uint8_t *ob_pack_model(const Onnx__ModelProto *m, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(m);
    uint8_t *buf = ob_alloc(*len);
    onnx__model_proto__pack(m, buf);
    return buf;
}

/* Serialize m and load it as "test.onnx" (external data relative to base_dir,
 * load options opt; both may be NULL). Returns the graph, or NULL with err set. */
static inline IrGraph *ob_load(const Onnx__ModelProto *m, const char *base_dir, const OnnxLoadOptions *opt,
                               DlaError *err)
{
    size_t len;
    uint8_t *buf = ob_pack_model(m, &len);
    IrGraph *g = NULL;
    dla_error_clear(err);
    onnx_load_buffer(buf, len, "test.onnx", base_dir, opt, &g, err);
    return g;
}

#endif
