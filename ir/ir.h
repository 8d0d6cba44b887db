/* ir.h - the dlacc tensor IR.
 *
 * A graph is a list of nodes (ops) over values (tensors). Everything refers to
 * values and nodes by int32 index into the graph's arrays, never by pointer, so
 * passes may grow the arrays freely. Names, attribute payloads and other small
 * data live in the graph's arena and are freed together with the graph
 * (ir_graph_free). Constant tensor data is either owned by the graph (malloc'd,
 * freed with it) or borrows a read-only file mapping that the graph keeps alive.
 *
 * Invariants (checked by ir_verify):
 *  - every node input is -1 (absent optional) or a valid value index;
 *  - every value has at most one producer (node output), or is a graph input or
 *    a constant, and producer indices agree with node outputs;
 *  - nodes are in topological order.
 *
 * Shapes: rank -1 means unknown rank. A dim < 0 is unknown; if sym[i] is
 * non-NULL it is a named symbolic dim ("N"), bound by --input-shape. */
#ifndef DLA_IR_H
#define DLA_IR_H

#include <stdint.h>
#include <stddef.h>

#include "dla_err.h"
#include "dla_mem.h"

#define IR_MAX_RANK 8

typedef enum IrDtype {
#define DT(e, code, name, size) DT_##e = code,
#include "dtypes.def"
#undef DT
    DT__COUNT
} IrDtype;

const char *ir_dtype_name(IrDtype t);
size_t ir_dtype_size(IrDtype t); /* 0 for strings and unknown codes */
int ir_dtype_valid(int code);
int ir_dtype_from_name(const char *name, IrDtype *out); /* 0 if unknown */

typedef struct IrShape {
    int32_t rank;                 /* -1: unknown rank */
    int64_t dims[IR_MAX_RANK];    /* < 0: unknown dim */
    const char *sym[IR_MAX_RANK]; /* arena string for symbolic dims, else NULL */
} IrShape;

/* The largest tensor dlacc accepts (bytes): shape inference reports a value
 * above it (or whose byte size overflows) as DLA_ERR_LIMIT, naming the node. */
#define IR_MAX_TENSOR_BYTES ((uint64_t)16 << 30)
/* Number of elements, or -1 if any dim (or the rank) is unknown, or -2 on overflow. */
int64_t ir_shape_numel(const IrShape *s);
int ir_shape_known(const IrShape *s);
int ir_shape_equal(const IrShape *a, const IrShape *b);
IrShape ir_shape_make(int rank, const int64_t *dims);
/* "[1,3,224,224]" / "[N,3,?,?]" into buf; returns buf. */
char *ir_shape_str(const IrShape *s, char *buf, size_t n);

/* Quantization of a value: real = scale * (q - zero_point). Per-tensor when
 * axis < 0 (count 1), per-channel along `axis` otherwise (count = dim). */
typedef struct IrQuant {
    int32_t count;      /* 0: not quantized */
    int32_t axis;
    float *scale;       /* arena, count entries */
    int32_t *zero_point;/* arena, count entries */
} IrQuant;

/* Storage layout of a value (later passes; the frontend produces IR_LAYOUT_ROWMAJOR). */
typedef enum IrLayout {
    IR_LAYOUT_ROWMAJOR = 0, /* the ONNX logical order (NCHW for images) */
    IR_LAYOUT_NHWC = 1,
    IR_LAYOUT_NCHWc = 2,    /* channel-blocked, block size in IrValue.layout_block */
} IrLayout;

enum {
    IR_VAL_INPUT = 1u << 0,  /* graph input (fed at run time) */
    IR_VAL_OUTPUT = 1u << 1, /* graph output */
    IR_VAL_CONST = 1u << 2,  /* has data: initializer or folded constant */
    IR_VAL_OUTER = 1u << 3,  /* subgraph: refers to an outer-scope value by name */
    /* Non-tensor ONNX types: dtype/shape then describe the element tensor. */
    IR_VAL_SEQUENCE = 1u << 4,
    IR_VAL_OPTIONAL = 1u << 5,
    IR_VAL_MAP = 1u << 6,
    IR_VAL_ELIDED = 1u << 7, /* constant whose data was elided from a text dump */
};

typedef struct IrValue {
    const char *name;  /* arena; unique within a graph; "" never */
    IrDtype dtype;
    IrShape shape;
    uint32_t flags;
    int32_t producer;  /* node index, -1 for inputs/constants */
    /* constant data (IR_VAL_CONST): row-major, little-endian, dtype-sized elements;
     * for DT_STRING, an array of `numel` arena char* pointers. */
    void *data;
    size_t nbytes;
    IrQuant quant;
    IrLayout layout;
    int32_t layout_block;
} IrValue;

typedef enum IrAttrType {
    IR_ATTR_UNDEF = 0,
    IR_ATTR_FLOAT = 1,
    IR_ATTR_INT = 2,
    IR_ATTR_STRING = 3,
    IR_ATTR_TENSOR = 4,
    IR_ATTR_GRAPH = 5,
    IR_ATTR_FLOATS = 6,
    IR_ATTR_INTS = 7,
    IR_ATTR_STRINGS = 8,
    IR_ATTR_TENSORS = 9, /* numbering follows onnx AttributeProto.AttributeType */
    IR_ATTR_GRAPHS = 10,
} IrAttrType;

struct IrGraph;

/* A tensor carried by an attribute (Constant's value, ConstantOfShape's value...). */
typedef struct IrTensor {
    IrDtype dtype;
    IrShape shape;
    void *data; /* arena or graph-owned, row-major */
    size_t nbytes;
} IrTensor;

typedef struct IrAttr {
    const char *name;
    IrAttrType type;
    int64_t i;
    float f;
    const char *s;       /* STRING: arena, NUL-terminated (slen gives the true length) */
    size_t slen;
    IrTensor *t;         /* TENSOR */
    struct IrGraph *g;   /* GRAPH (owned by the enclosing graph) */
    int32_t n;           /* element count of the list forms */
    int64_t *ints;
    float *floats;
    const char **strings;
    IrTensor *tensors;
    struct IrGraph **graphs;
} IrAttr;

typedef enum IrOp {
#define OP(e, name, ...) OP_##e,
#include "ops.def"
#undef OP
    OP__COUNT
} IrOp;

typedef struct IrNode {
    IrOp op;             /* OP_UNKNOWN when op_type is not in the op table */
    const char *name;    /* arena; may be "" in ONNX, the frontend names such nodes */
    const char *op_type; /* the ONNX op type as written */
    const char *domain;  /* "" for ai.onnx */
    int32_t ninputs, noutputs, nattrs;
    int32_t *inputs;     /* value indices; -1 = absent optional input */
    int32_t *outputs;
    IrAttr *attrs;
    int32_t dead;        /* set by passes; compacted by ir_graph_compact */
    int32_t device;      /* 0: host, 1: accelerator (set by the partition pass, passes/quant.h) */
    int32_t act_group;   /* > 0: member of element-wise group K, one lookup table when quantized
                          * (set by the act-group pass, passes/act_group.h); 0: none */
} IrNode;

typedef struct IrOpset {
    const char *domain;
    int64_t version;
} IrOpset;

typedef struct IrGraph {
    DlaArena arena;
    const char *name;
    const char *source_path; /* model file, for diagnostics */
    IrValue *values;
    int32_t nvalues;
    size_t values_cap;
    IrNode *nodes;
    int32_t nnodes;
    size_t nodes_cap;
    int32_t *inputs, *outputs; /* graph inputs/outputs in order (value indices) */
    int32_t ninputs, noutputs;
    size_t inputs_cap, outputs_cap;
    IrOpset *opsets;
    int32_t nopsets;
    struct IrGraph *parent;  /* enclosing graph for subgraphs (If/Loop/Scan bodies) */
    /* Owned resources freed with the graph. */
    void **owned;            /* malloc'd blocks (constant data) */
    size_t nowned, owned_cap;
    void *mappings;          /* file mappings kept alive (external data) */
    /* name -> value index hash (open addressing over values) */
    int32_t *hash;
    size_t hash_cap;
} IrGraph;

IrGraph *ir_graph_new(void);
void ir_graph_free(IrGraph *g); /* frees subgraphs, owned data and mappings */

/* Values. ir_value_add fails (returns -1) only if the name is already used. */
int32_t ir_value_add(IrGraph *g, const char *name, IrDtype dt, const IrShape *shape);
int32_t ir_value_find(const IrGraph *g, const char *name); /* -1 if absent */
/* A fresh unique name derived from base ("conv1_out" -> "conv1_out_1"). */
const char *ir_unique_name(IrGraph *g, const char *base);
/* Attach constant data: copies into graph-owned memory. */
void ir_value_set_data(IrGraph *g, int32_t v, const void *data, size_t nbytes);
/* Attach data the caller allocated with dla_malloc; the graph takes ownership. */
void ir_value_adopt_data(IrGraph *g, int32_t v, void *data, size_t nbytes);
/* Attach data that lives in memory kept alive by the graph (e.g. a mapping). */
void ir_value_borrow_data(IrGraph *g, int32_t v, void *data, size_t nbytes);
/* Keep a file mapping alive until the graph is freed (takes ownership). */
struct DlaMapped;
void ir_graph_keep_mapping(IrGraph *g, const struct DlaMapped *m);
/* 1 if path is one of the files the graph keeps mapped (external data): an
 * output must not replace what the graph still reads. */
int ir_graph_maps_file(const IrGraph *g, const char *path);
/* Allocate graph-owned memory for tensor data (freed with the graph). */
void *ir_graph_alloc_data(IrGraph *g, size_t nbytes);

/* Nodes. op_type looked up in the op table (OP_UNKNOWN if absent). */
int32_t ir_node_add(IrGraph *g, const char *name, const char *op_type, const char *domain,
                    const int32_t *inputs, int32_t nin, const int32_t *outputs, int32_t nout);
IrAttr *ir_node_add_attr(IrGraph *g, int32_t node, const char *name, IrAttrType t);
void ir_graph_add_input(IrGraph *g, int32_t v);
void ir_graph_add_output(IrGraph *g, int32_t v);
void ir_graph_set_opset(IrGraph *g, const char *domain, int64_t version);
int64_t ir_graph_opset(const IrGraph *g, const char *domain); /* 0 if not imported */
/* Remove dead nodes, renumber nothing else (values stay). */
void ir_graph_compact(IrGraph *g);

/* Attribute access with defaults (NULL if absent / wrong type). */
const IrAttr *ir_attr_find(const IrGraph *g, int32_t node, const char *name);
int64_t ir_attr_int(const IrGraph *g, int32_t node, const char *name, int64_t dflt);
float ir_attr_float(const IrGraph *g, int32_t node, const char *name, float dflt);
const char *ir_attr_string(const IrGraph *g, int32_t node, const char *name, const char *dflt);
/* INTS attribute: returns count (or -1 if absent) and sets *vals. */
int32_t ir_attr_ints(const IrGraph *g, int32_t node, const char *name, const int64_t **vals);

/* Op table queries (generated from ops.def). */
const char *ir_op_name(IrOp op);
IrOp ir_op_lookup(const char *op_type, const char *domain);

/* Convenience accessors. */
static inline IrValue *ir_val(IrGraph *g, int32_t v) { return &g->values[v]; }
static inline IrNode *ir_node(IrGraph *g, int32_t n) { return &g->nodes[n]; }
/* Input i of node n as a value index, -1 if absent or i >= ninputs. */
static inline int32_t ir_in(const IrGraph *g, int32_t n, int32_t i)
{
    return i < g->nodes[n].ninputs ? g->nodes[n].inputs[i] : -1;
}

#endif
