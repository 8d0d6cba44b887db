/* onnx.h - the ONNX frontend: ONNX protobuf (via protobuf-c) -> IrGraph.
 *
 * Loading does not run shape inference (ir_infer_shapes does); it records the
 * declared input/output/value_info types, binds --input-shape values to graph
 * inputs (symbolic or not), converts initializers (raw_data or typed fields,
 * external data through a read-only file mapping kept alive by the graph) and
 * Constant nodes into constant values. Every failure returns a DlaError whose
 * message names the file and, where relevant, the node and op type. */
#ifndef DLA_FRONTEND_ONNX_H
#define DLA_FRONTEND_ONNX_H

#include "ir.h"

/* --input-shape NAME=D0,D1,... */
typedef struct OnnxInputShape {
    const char *name;
    int32_t rank;
    int64_t dims[IR_MAX_RANK];
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
void onnx_tensor_file_free(OnnxTensorFile *t);
DlaStatus onnx_tensor_write(const char *path, const char *name, IrDtype dt, const IrShape *shape,
                            const void *data, size_t nbytes, DlaError *err);

/* Parse "NAME=D0,D1,..." (the --input-shape argument). name points into arg. */
DlaStatus onnx_parse_input_shape(const char *arg, OnnxInputShape *out, DlaError *err);

#endif
