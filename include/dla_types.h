/* dla_types.h - what libdlacc (dlacc.h) and libdlart (dlart.h) share in their
 * public API: the status codes, the error record, element types, the typed
 * tensor descriptor and the export macro. Self-contained (C standard headers
 * only); part of the installed API. docs/api.md. */
#ifndef DLA_TYPES_H
#define DLA_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* The shared libraries are built with -fvisibility=hidden: only what carries
 * this macro is exported (dlacc_* and dlart_* functions). */
#if defined(__GNUC__) || defined(__clang__)
#define DLA_EXPORT __attribute__((visibility("default")))
#else
#define DLA_EXPORT
#endif

/* Every fallible call returns one of these (DLA_OK = 0) and, when given a
 * DlaError, fills it with one human-readable message. The libraries never
 * print and never exit. */
typedef enum DlaStatus {
    DLA_OK = 0,
    DLA_ERR_IO = 1,          /* file cannot be opened/read/written */
    DLA_ERR_FORMAT = 2,      /* malformed input: ONNX, XML, .dla, text IR */
    DLA_ERR_UNSUPPORTED = 3, /* well-formed but outside what dlacc handles */
    DLA_ERR_INVALID = 4,     /* semantically invalid: bad shapes, attributes, operands, arguments */
    DLA_ERR_LIMIT = 5,       /* exceeds a resource limit (memory, rank, size, cycles) */
    DLA_ERR_RUNTIME = 6,     /* a program faulted while running (simulator, host) */
} DlaStatus;

#define DLA_ERR_MSG_MAX 2048

typedef struct DlaError {
    DlaStatus code;
    char msg[DLA_ERR_MSG_MAX];
} DlaError;

/* Element types: ONNX TensorProto.DataType codes (the ones dlacc computes with). */
typedef enum DlaDtype {
    DLA_DTYPE_UNDEFINED = 0,
    DLA_DTYPE_FLOAT = 1,     /* float32 */
    DLA_DTYPE_UINT8 = 2,
    DLA_DTYPE_INT8 = 3,
    DLA_DTYPE_UINT16 = 4,
    DLA_DTYPE_INT16 = 5,
    DLA_DTYPE_INT32 = 6,
    DLA_DTYPE_INT64 = 7,
    DLA_DTYPE_BOOL = 9,
    DLA_DTYPE_FLOAT16 = 10,
    DLA_DTYPE_DOUBLE = 11,
    DLA_DTYPE_UINT32 = 12,
    DLA_DTYPE_UINT64 = 13,
    DLA_DTYPE_BFLOAT16 = 16,
} DlaDtype;

#define DLA_MAX_RANK 8

/* A typed tensor: dense, row-major (ONNX order: NCHW for images),
 * little-endian elements. For a run, the descriptor must match the model's
 * (dtype, rank and dims exactly) and bytes must be at least
 * numel * element size; the library checks and says which tensor differs and
 * how. data is read for inputs and written for outputs; the caller owns it. */
typedef struct DlaTensor {
    DlaDtype dtype;
    int32_t rank;
    int64_t dims[DLA_MAX_RANK];
    void *data;
    size_t bytes;            /* size of the buffer at data */
} DlaTensor;

#endif
