/* onnx_internal.h - shared between the frontend's files; not part of the API.
 *
 * The load context carries what every conversion step needs: the file name for
 * diagnostics, the directory that external data is resolved against, the
 * external-data file mappings opened so far (each file is mapped once), and
 * the protobuf-c allocator. Protobuf-c allocates with plain malloc (through
 * onnx_pb_allocator) so that a tensor's raw_data buffer can be taken over by
 * the graph (ir_value_adopt_data frees with free()) instead of being copied:
 * a 46 MB inline-weights model is then held once, not twice. */
#ifndef DLA_FRONTEND_ONNX_INTERNAL_H
#define DLA_FRONTEND_ONNX_INTERNAL_H

#include "onnx.h"
#include "dla_file.h"
#include "onnx/onnx.pb-c.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the frontend stores tensor data in host order and assumes it is little-endian like ONNX"
#endif

/* Nesting limits against hostile files: protobuf message nesting (checked on
 * the wire before protobuf-c's recursive unpacker sees the bytes), and graph
 * nesting through If/Loop/Scan bodies and function calls. */
#define ONNX_MAX_MSG_DEPTH 100
#define ONNX_MAX_GRAPH_DEPTH 24
/* Inline raw_data at least this large is kept out of protobuf-c (onnx_strip.c). */
#define ONNX_STRIP_MIN 4096
/* Densifying a sparse tensor allocates its dense size, which a tiny hostile file
 * can make huge: the total per load is capped. */
#define ONNX_MAX_DENSE_BYTES ((size_t)1 << 31)
/* Nodes per model, over the main graph, every subgraph and every inlined
 * function call. The depth limit alone does not bound inlining: a 2 KB model of
 * nested function calls inlines to millions of nodes (each level multiplies).
 * The largest real networks have tens of thousands of nodes. */
#define ONNX_MAX_NODES (1 << 20)
/* The newest version of the default ONNX domain dlacc accepts (ONNX 1.18);
 * older versions down to 1 load (the node tests use opsets 1 and 6 too). */
#define ONNX_MAX_OPSET 23

typedef struct OnnxMapping {
    char *path;        /* resolved path, malloc'd */
    const uint8_t *data;
    size_t size;
    DlaMapped m;       /* owned here unless handed to a graph */
    int given;         /* 1: ownership passed to the root graph */
} OnnxMapping;

/* Where a stripped initializer's raw_data is in the original buffer (len 0: not stripped). */
typedef struct OnnxStripped {
    size_t offset, len;
} OnnxStripped;

typedef struct OnnxCtx {
    const char *path;      /* model file, for messages */
    const char *base_dir;  /* external data directory; NULL: external data refused */
    IrGraph *root;         /* keeps the mappings alive; NULL for standalone tensors */
    OnnxMapping *maps;
    size_t nmaps, maps_cap;
    const Onnx__ModelProto *model; /* model-local functions */
    int graph_depth;
    int32_t open_node[ONNX_MAX_GRAPH_DEPTH + 1]; /* per depth: the node whose subgraph is being converted */
    int inline_depth;      /* function-call inlining depth */
    int copy_raw;          /* > 0: copy raw_data instead of taking it over (function bodies
                            * are converted once per call, so their protos must stay intact) */
    /* Stripped main-graph initializers (onnx_strip.c): the original buffer, one
     * record per initializer, and the record of the initializer being converted. */
    const uint8_t *strip_base;
    const OnnxStripped *strip_rec;
    size_t nstrip;
    const OnnxStripped *pending;
    int strip_release;     /* the original buffer is our file mapping: drop copied pages */
    size_t dense_bytes;    /* densified sparse tensors so far (ONNX_MAX_DENSE_BYTES) */
    size_t nodes;          /* nodes converted so far, all graphs (ONNX_MAX_NODES) */
    DlaError *err;
} OnnxCtx;

extern ProtobufCAllocator onnx_pb_allocator;

void onnx_ctx_init(OnnxCtx *cx, const char *path, const char *base_dir, DlaError *err);
/* Unmap what was not handed to a graph, free the cache. */
void onnx_ctx_fini(OnnxCtx *cx);

/* The protobuf wire format, read in one place (onnx_wire.c) for the depth
 * check and the raw_data stripper. One field of a message: its key (field
 * number << 3 | wire type) and, for a length-delimited field, where its
 * payload is. */
enum { ONNX_WIRE_VARINT = 0, ONNX_WIRE_I64 = 1, ONNX_WIRE_LEN = 2, ONNX_WIRE_I32 = 5 };
typedef struct OnnxWireField {
    uint64_t key;
    size_t body, len; /* ONNX_WIRE_LEN only: payload at p[body .. body + len) */
} OnnxWireField;
/* Read the field at p[*i] (message bytes p[0..n)) and advance *i past it.
 * Returns 0 on broken framing, groups or unknown wire types. */
int onnx_wire_field(const uint8_t *p, size_t n, size_t *i, OnnxWireField *f);

/* Check that nested messages do not go deeper than ONNX_MAX_MSG_DEPTH
 * (protobuf-c's unpacker recurses once per level and has no limit). */
DlaStatus onnx_wire_check(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *d,
                          const char *path, DlaError *err);

/* Rewrite a serialized ModelProto without the large main-graph raw_data payloads.
 * Returns 1 with a malloc'd buffer and malloc'd records (one per main-graph
 * initializer, in order), or 0 when nothing is stripped or the framing is broken. */
int onnx_strip_raw(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len, OnnxStripped **rec,
                   size_t *nrec);

/* A converted tensor. data is one of:
 *  - malloc'd (owned = 1): the caller adopts or frees it;
 *  - borrowed (owned = 0) from a mapping kept by the context (external data);
 * For DT_STRING, data is a malloc'd array of numel malloc'd NUL-terminated strings
 * (owned = 1; free with onnx_tdata_free). */
typedef struct OnnxTData {
    IrDtype dtype;
    IrShape shape;
    int64_t numel;
    void *data;
    size_t nbytes;
    int owned;
} OnnxTData;

/* Convert t; `what` names it in errors ("initializer 'w'", "attribute 'value' of node 'n'").
 * May take over t->raw_data's buffer (t is left with no raw_data then). */
DlaStatus onnx_tensor_convert(OnnxCtx *cx, Onnx__TensorProto *t, const char *what, OnnxTData *out);
/* Densify a SparseTensorProto (values + linear or coordinate indices). */
DlaStatus onnx_sparse_convert(OnnxCtx *cx, Onnx__SparseTensorProto *sp, const char *what,
                              OnnxTData *out);
void onnx_tdata_free(OnnxTData *td);
/* Give the data to value v of g (adopt, borrow, or copy strings into the arena); td is emptied. */
void onnx_tdata_to_value(IrGraph *g, int32_t v, OnnxTData *td);
/* Copy into an arena IrTensor of g (attribute payloads); td is freed. */
void onnx_tdata_to_irtensor(IrGraph *g, IrTensor *dst, OnnxTData *td);

/* Declared types (onnx_types.c). onnx_type_convert fills dt/sh/flags from tp
 * (nothing when tp is NULL); symbolic dims become arena strings of g. */
DlaStatus onnx_type_convert(OnnxCtx *cx, IrGraph *g, const Onnx__TypeProto *tp, const char *vname,
                            IrDtype *dt, IrShape *sh, uint32_t *flags, int depth);
/* The ONNX type notation for TYPE_PROTO attributes ("seq(tensor(float32))"). */
void onnx_type_str(const Onnx__TypeProto *tp, char *buf, size_t n, int depth);
/* Attach vi's declared type to value v where v's own type is still unknown. */
DlaStatus onnx_declare_type(OnnxCtx *cx, IrGraph *g, int32_t v, const Onnx__ValueInfoProto *vi);
/* Apply --input-shape bindings to the loaded main graph (onnx_shape_arg.c). */
DlaStatus onnx_bind_input_shapes(OnnxCtx *cx, IrGraph *g, const OnnxLoadOptions *opt);

/* Shape from TensorProto-style dims with validation (rank, negative, overflow). */
DlaStatus onnx_dims_to_shape(OnnxCtx *cx, const int64_t *dims, size_t ndims, const char *what,
                             IrShape *out, int64_t *numel);

#endif
