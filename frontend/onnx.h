/* onnx.h - the ONNX frontend: ONNX protobuf (via protobuf-c) -> IrGraph.
 *
 * Loading does not run shape inference (ir_infer_shapes does); it records the
 * declared input/output/value_info types, binds --input-shape values to graph
 * inputs (symbolic or not), converts initializers (raw_data or typed fields,
 * external data through a read-only file mapping kept alive by the graph) and
 * Constant nodes into constant values. Every failure returns a DlaError whose
 * message names the file and, where relevant, the node and op type.
 *
 * The IrGraph produced (exact semantics):
 *  - Initializers become values with IR_VAL_CONST and data, named as in ONNX.
 *    Their data is graph-owned (raw_data taken over from the parser, or for
 *    main-graph tensors >= 4 KiB copied once straight from the file; typed
 *    fields converted), or borrowed from a read-only mapping of the external
 *    data file (kept alive by the root graph): never write into constant data.
 *    Sparse initializers are densified. Data is little-endian, row-major.
 *  - A graph input that is also an initializer is a constant, NOT a graph
 *    input: it is absent from g->inputs and has IR_VAL_CONST (the initializer
 *    is its value; dlacc does not let it be overridden at run time).
 *  - Constant nodes (every value form: value, value_float(s), value_int(s),
 *    value_string(s), sparse_value) emit no node: their output becomes a
 *    constant value (IR_VAL_CONST, producer -1). value_int(s) are int64,
 *    value_float(s) float32, scalars have rank 0.
 *  - Graph inputs/outputs and value_info give declared types: dtype, shape with
 *    dims[i] = -1 and sym[i] = "N" for symbolic dims (-1 and sym NULL for
 *    unknown ones; negative declared dim_values count as unknown). Sequence,
 *    optional and map types set IR_VAL_SEQUENCE/OPTIONAL/MAP and describe the
 *    innermost tensor type. Untyped values: DT_UNDEFINED, rank -1.
 *  - Node inputs "" become -1; outputs "" become -1. Nodes without a name are
 *    named "<op_type>_<node index>" (made unique). Domain "ai.onnx" is "".
 *  - Attributes keep their ONNX types; SPARSE_TENSOR(S) are densified into
 *    TENSOR(S); TYPE_PROTO(S) become STRING(S) in type notation such as
 *    "seq(tensor(float32))" or "optional(tensor(int64))" (IR dtype names).
 *  - GRAPH(S) attributes become child graphs (parent set). A name a subgraph
 *    uses without defining becomes a value with IR_VAL_OUTER, carrying the
 *    type known in the enclosing graph; a name defined nowhere is an error
 *    (in the main graph too, naming the node).
 *  - Calls of model-local functions (ModelProto.functions) are inlined: body
 *    values are renamed "<call node name>/<name>", formal inputs/outputs map to
 *    the call's, ref_attr_name attributes take the call's attribute (omitted
 *    when the call does not set it). Subgraphs inside function bodies are
 *    reported as unsupported.
 *  - opset_import entries become ir_graph_set_opset (per domain).
 *  - --input-shape (OnnxLoadOptions): the named graph input's shape is
 *    replaced; rank and every fixed dim must agree, unknown names are errors
 *    listing the inputs; each symbolic dim bound this way is substituted in
 *    every value of the graph and its subgraphs that uses the same symbol. */
#ifndef DLA_FRONTEND_ONNX_H
#define DLA_FRONTEND_ONNX_H

#include "ir.h"

/* --input-shape NAME=D0,D1,... */
typedef struct OnnxInputShape {
    const char *name;
    int32_t rank;
    int64_t dims[IR_MAX_RANK];
    /* Length of name; 0: name is NUL-terminated. onnx_parse_input_shape sets it
     * because its name points into the argument, where "=D0,..." follows. */
    size_t name_len;
} OnnxInputShape;

typedef struct OnnxLoadOptions {
    const OnnxInputShape *shapes;
    int32_t nshapes;
} OnnxLoadOptions;

/* Load a model file. opt may be NULL. */
DlaStatus onnx_load(const char *path, const OnnxLoadOptions *opt, IrGraph **out, DlaError *err);
/* Load from memory. base_dir resolves external data locations (NULL: no external data). */
DlaStatus onnx_load_buffer(const void *data, size_t len, const char *path_for_errors,
                           const char *base_dir, const OnnxLoadOptions *opt, IrGraph **out,
                           DlaError *err);

/* A standalone serialized onnx.TensorProto (test data .pb files, dlacc run I/O). */
typedef struct OnnxTensorFile {
    char *name;     /* malloc'd, "" if the proto has none */
    IrDtype dtype;
    IrShape shape;  /* fully known */
    void *data;     /* malloc'd, row-major little-endian; DT_STRING: array of malloc'd char* */
    size_t nbytes;
} OnnxTensorFile;

DlaStatus onnx_tensor_read(const char *path, OnnxTensorFile *out, DlaError *err);
/* The same from memory; path names the data in errors, base_dir resolves
 * external data (NULL: a tensor with external data is an error). */
DlaStatus onnx_tensor_read_buffer(const void *data, size_t len, const char *path, const char *base_dir,
                                  OnnxTensorFile *out, DlaError *err);
void onnx_tensor_file_free(OnnxTensorFile *t);
DlaStatus onnx_tensor_write(const char *path, const char *name, IrDtype dt, const IrShape *shape,
                            const void *data, size_t nbytes, DlaError *err);

/* Parse "NAME=D0,D1,..." (the --input-shape argument; 'x' also separates dims,
 * "NAME=" is a scalar). name points into arg, name_len is set. The last '='
 * splits name and dims. */
DlaStatus onnx_parse_input_shape(const char *arg, OnnxInputShape *out, DlaError *err);

/* Input shapes bound from the tensors that will be fed (dlacc run, the host
 * session): opt's explicit shapes first, then, for every graph input i < nfed
 * of g whose shape is not fully known and that opt does not name, the shape of
 * fed[i] (fed is in graph-input order). There is no limit on the number of
 * inputs. A fed tensor whose rank differs from the declared rank is an error
 * naming the input and both shapes. nbound == 0: nothing was bound, g needs no
 * reload. Free with onnx_fed_shapes_free. */
typedef struct OnnxFedShapes {
    OnnxInputShape *shapes; /* malloc'd, nshapes entries */
    char **names;           /* malloc'd copies of the bound inputs' names (nbound), so g may be freed */
    int32_t nshapes, nbound;
} OnnxFedShapes;
DlaStatus onnx_fed_shapes(const IrGraph *g, const OnnxLoadOptions *opt, const OnnxTensorFile *fed, int32_t nfed,
                          OnnxFedShapes *out, DlaError *err);
void onnx_fed_shapes_free(OnnxFedShapes *s);
/* onnx_load, then, when some input takes its shape from a fed tensor
 * (onnx_fed_shapes), load again with those shapes bound. fed may be NULL. */
DlaStatus onnx_load_fed(const char *path, const OnnxLoadOptions *opt, const OnnxTensorFile *fed, int32_t nfed,
                        IrGraph **out, DlaError *err);

#endif
