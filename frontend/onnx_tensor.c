/* onnx_tensor.c - onnx.TensorProto -> row-major little-endian tensor data.
 *
 * Where the bytes come from (onnx.proto, TensorProto):
 *  - data_location EXTERNAL: a file named by external_data["location"],
 *    relative to the model's directory, at "offset" for "length" bytes. The
 *    file is mapped read-only once per load and tensors borrow pointers into
 *    the mapping (the root graph keeps it alive), so ResNet-50's 100 MB of
 *    weights are never copied.
 *  - raw_data: fixed-width little-endian elements; the buffer protobuf-c
 *    allocated is taken over, not copied.
 *  - typed fields: float_data (FLOAT, COMPLEX64 as pairs), double_data (DOUBLE,
 *    COMPLEX128), int64_data (INT64), uint64_data (UINT32, UINT64), string_data
 *    (STRING), and int32_data for INT32 and for every narrower type, one
 *    element per int32 (INT8, UINT8, INT16, UINT16, BOOL, FLOAT16 and BFLOAT16
 *    as their bit patterns, FLOAT8*): narrowed here to the element size.
 * Every size is checked before anything is allocated from it: dims are
 * non-negative, rank <= IR_MAX_RANK, numel * element size does not overflow and
 * equals the number of bytes (or elements) actually present. */
#include "onnx_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* protobuf-c allocates through plain malloc/free so buffers it created can be
 * adopted by a graph; a failed allocation makes unpack fail cleanly instead of
 * aborting (hostile length fields cannot kill the process). */
static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return malloc(size ? size : 1);
}
static void pb_free(void *data, void *p)
{
    (void)data;
    free(p);
}
ProtobufCAllocator onnx_pb_allocator = {pb_alloc, pb_free, NULL};

void onnx_ctx_init(OnnxCtx *cx, const char *path, const char *base_dir, DlaError *err)
{
    memset(cx, 0, sizeof *cx);
    cx->path = path ? path : "<memory>";
    cx->base_dir = base_dir;
    cx->err = err;
}

void onnx_ctx_fini(OnnxCtx *cx)
{
    for (size_t i = 0; i < cx->nmaps; i++) {
        if (!cx->maps[i].given)
            dla_file_unmap(&cx->maps[i].m);
        free(cx->maps[i].path);
    }
    free(cx->maps);
    cx->maps = NULL;
    cx->nmaps = cx->maps_cap = 0;
}

DlaStatus onnx_dims_to_shape(OnnxCtx *cx, const int64_t *dims, size_t ndims, const char *what,
                             IrShape *out, int64_t *numel)
{
    memset(out, 0, sizeof *out);
    if (ndims > IR_MAX_RANK)
        return dla_errorf(cx->err, DLA_ERR_LIMIT, "%s: %s has rank %zu, more than the %d dlacc supports",
                          cx->path, what, ndims, IR_MAX_RANK);
    out->rank = (int32_t)ndims;
    int64_t n = 1;
    for (size_t i = 0; i < ndims; i++) {
        if (dims[i] < 0)
            return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s has negative dimension %lld (dim %zu)",
                              cx->path, what, (long long)dims[i], i);
        out->dims[i] = dims[i];
        if (dims[i] && n > INT64_MAX / dims[i])
            return dla_errorf(cx->err, DLA_ERR_LIMIT, "%s: %s: element count overflows (dims too large)",
                              cx->path, what);
        n *= dims[i];
    }
    *numel = n;
    return DLA_OK;
}

void onnx_tdata_free(OnnxTData *td)
{
    if (td->owned && td->data) {
        if (td->dtype == DT_STRING) {
            char **s = td->data;
            for (int64_t i = 0; i < td->numel; i++)
                free(s[i]);
        }
        free(td->data);
    }
    td->data = NULL;
    td->nbytes = 0;
    td->owned = 0;
}

/* Copy strings into g's arena: IR string tensors are arrays of arena pointers. */
static const char **strings_to_arena(IrGraph *g, OnnxTData *td)
{
    const char **a = dla_arena_alloc(&g->arena, (size_t)(td->numel ? td->numel : 1) * sizeof *a);
    char **s = td->data;
    for (int64_t i = 0; i < td->numel; i++)
        a[i] = dla_arena_strdup(&g->arena, s[i]);
    return a;
}

void onnx_tdata_to_value(IrGraph *g, int32_t v, OnnxTData *td)
{
    if (td->dtype == DT_STRING) {
        const char **a = strings_to_arena(g, td);
        ir_value_borrow_data(g, v, (void *)a, (size_t)td->numel * sizeof *a);
        onnx_tdata_free(td);
    } else if (td->owned && td->data) {
        ir_value_adopt_data(g, v, td->data, td->nbytes);
    } else if (td->data) {
        ir_value_borrow_data(g, v, td->data, td->nbytes);
    } else {
        ir_value_set_data(g, v, NULL, 0);
    }
    td->data = NULL;
    td->owned = 0;
}

void onnx_tdata_to_irtensor(IrGraph *g, IrTensor *dst, OnnxTData *td)
{
    dst->dtype = td->dtype;
    dst->shape = td->shape;
    if (td->dtype == DT_STRING) {
        dst->data = (void *)strings_to_arena(g, td);
        dst->nbytes = (size_t)td->numel * sizeof(char *);
    } else {
        dst->data = ir_graph_alloc_data(g, td->nbytes);
        if (td->nbytes)
            memcpy(dst->data, td->data, td->nbytes);
        dst->nbytes = td->nbytes;
    }
    onnx_tdata_free(td);
}

/* ---- external data ---- */

/* A location must stay inside the model's directory: relative, and no ".."
 * that climbs above it. */
static int location_safe(const char *loc)
{
    if (!loc[0] || loc[0] == '/')
        return 0;
    int depth = 0;
    const char *p = loc;
    while (*p) {
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return 0;
        } else if (n && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return depth > 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return 0;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static DlaStatus map_external(OnnxCtx *cx, const char *loc, const char *what, OnnxMapping **out)
{
    if (!cx->base_dir)
        return dla_errorf(cx->err, DLA_ERR_UNSUPPORTED,
                          "%s: %s: external data ('%s') but the model was loaded from memory "
                          "without a base directory", cx->path, what, loc);
    if (!location_safe(loc))
        return dla_errorf(cx->err, DLA_ERR_FORMAT,
                          "%s: %s: external data location '%s' is not a relative path inside the "
                          "model's directory", cx->path, what, loc);
    char *full = dla_path_join(cx->base_dir, loc);
    for (size_t i = 0; i < cx->nmaps; i++)
        if (strcmp(cx->maps[i].path, full) == 0) {
            free(full);
            *out = &cx->maps[i];
            return DLA_OK;
        }
    DlaMapped m;
    DlaError e2;
    dla_error_clear(&e2);
    if (dla_file_map(full, &m, &e2) != DLA_OK) {
        DlaStatus s = dla_errorf(cx->err, DLA_ERR_IO, "%s: %s: external data: %s", cx->path, what, e2.msg);
        free(full);
        return s;
    }
    cx->maps = dla_grow(cx->maps, sizeof *cx->maps, cx->nmaps + 1, &cx->maps_cap);
    OnnxMapping *mp = &cx->maps[cx->nmaps++];
    mp->path = full;
    mp->m = m;
    mp->data = m.data;
    mp->size = m.size;
    mp->given = 0;
    if (cx->root) {
        ir_graph_keep_mapping(cx->root, &m);
        mp->given = 1;
    }
    *out = mp;
    return DLA_OK;
}

static DlaStatus convert_external(OnnxCtx *cx, const Onnx__TensorProto *t, const char *what,
                                  size_t esize, OnnxTData *out)
{
    const char *loc = NULL, *off_s = NULL, *len_s = NULL;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = t->external_data[i];
        if (!e->key || !e->value)
            continue;
        if (strcmp(e->key, "location") == 0)
            loc = e->value;
        else if (strcmp(e->key, "offset") == 0)
            off_s = e->value;
        else if (strcmp(e->key, "length") == 0)
            len_s = e->value;
    }
    if (!loc)
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: external data without a 'location'",
                          cx->path, what);
    if (out->dtype == DT_STRING)
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: string tensors cannot use external data",
                          cx->path, what);
    uint64_t off = 0, len = 0;
    if (off_s && !parse_u64(off_s, &off))
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: external data offset '%s' is not a number",
                          cx->path, what, off_s);
    if (len_s && !parse_u64(len_s, &len))
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: external data length '%s' is not a number",
                          cx->path, what, len_s);
    OnnxMapping *mp;
    DlaStatus s = map_external(cx, loc, what, &mp);
    if (s)
        return s;
    if (off > mp->size)
        return dla_errorf(cx->err, DLA_ERR_FORMAT,
                          "%s: %s: external data offset %llu is beyond the end of '%s' (%zu bytes)",
                          cx->path, what, (unsigned long long)off, loc, mp->size);
    if (!len_s)
        len = mp->size - off;
    if (len > mp->size - off)
        return dla_errorf(cx->err, DLA_ERR_FORMAT,
                          "%s: %s: external data [%llu, +%llu) extends beyond the end of '%s' (%zu bytes)",
                          cx->path, what, (unsigned long long)off, (unsigned long long)len, loc, mp->size);
    size_t want = (size_t)out->numel * esize;
    if (len != want)
        return dla_errorf(cx->err, DLA_ERR_FORMAT,
                          "%s: %s: external data has %llu bytes, but %lld elements of %s need %zu",
                          cx->path, what, (unsigned long long)len, (long long)out->numel,
                          ir_dtype_name(out->dtype), want);
    const uint8_t *p = mp->data + off;
    /* Borrow when the pointer is aligned for the element type (mappings are
     * page-aligned, offsets usually are); otherwise copy so that later passes
     * can load elements without unaligned accesses. */
    if (cx->root && ((uintptr_t)p % esize) == 0) {
        out->data = (void *)p;
        out->owned = 0;
    } else {
        out->data = dla_malloc(want);
        if (want)
            memcpy(out->data, p, want);
        out->owned = 1;
    }
    out->nbytes = want;
    return DLA_OK;
}

/* ---- typed fields ---- */

/* What a dtype's elements are stored in when not in raw_data. */
typedef enum { F_NONE, F_FLOAT, F_DOUBLE, F_INT32, F_INT64, F_UINT64, F_STRING } Field;

static Field field_of(IrDtype dt, int *per_elem)
{
    *per_elem = 1;
    switch (dt) {
    case DT_FLOAT: return F_FLOAT;
    case DT_COMPLEX64: *per_elem = 2; return F_FLOAT;
    case DT_DOUBLE: return F_DOUBLE;
    case DT_COMPLEX128: *per_elem = 2; return F_DOUBLE;
    case DT_INT64: return F_INT64;
    case DT_UINT32: case DT_UINT64: return F_UINT64;
    case DT_STRING: return F_STRING;
    case DT_INT32: case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: case DT_BOOL:
    case DT_FLOAT16: case DT_BFLOAT16: case DT_FLOAT8E4M3FN: case DT_FLOAT8E4M3FNUZ:
    case DT_FLOAT8E5M2: case DT_FLOAT8E5M2FNUZ:
        return F_INT32;
    default: return F_NONE;
    }
}

static size_t field_count(const Onnx__TensorProto *t, Field f)
{
    switch (f) {
    case F_FLOAT: return t->n_float_data;
    case F_DOUBLE: return t->n_double_data;
    case F_INT32: return t->n_int32_data;
    case F_INT64: return t->n_int64_data;
    case F_UINT64: return t->n_uint64_data;
    case F_STRING: return t->n_string_data;
    default: return 0;
    }
}

static const char *field_name(Field f)
{
    static const char *names[] = {"(none)", "float_data", "double_data", "int32_data",
                                  "int64_data", "uint64_data", "string_data"};
    return names[f];
}

static DlaStatus convert_typed(OnnxCtx *cx, const Onnx__TensorProto *t, const char *what,
                               size_t esize, OnnxTData *out)
{
    int per;
    Field f = field_of(out->dtype, &per);
    size_t have = field_count(t, f);
    size_t n = (size_t)out->numel;
    if (f == F_NONE)
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: %s data must be in raw_data",
                          cx->path, what, ir_dtype_name(out->dtype));
    if (have != n * (size_t)per) {
        /* Name the field that does hold data, if one does: a common producer bug. */
        static const Field all[] = {F_FLOAT, F_DOUBLE, F_INT32, F_INT64, F_UINT64, F_STRING};
        for (size_t i = 0; have == 0 && i < sizeof all / sizeof all[0]; i++)
            if (all[i] != f && field_count(t, all[i]))
                return dla_errorf(cx->err, DLA_ERR_FORMAT,
                                  "%s: %s: %s data is stored in %s (expected %s)", cx->path, what,
                                  ir_dtype_name(out->dtype), field_name(all[i]), field_name(f));
        if (have == 0)
            return dla_errorf(cx->err, DLA_ERR_FORMAT,
                              "%s: %s: no data (%lld elements of %s expected)", cx->path, what,
                              (long long)out->numel, ir_dtype_name(out->dtype));
        return dla_errorf(cx->err, DLA_ERR_FORMAT,
                          "%s: %s: %s holds %zu values, but shape %s of %s needs %zu", cx->path, what,
                          field_name(f), have, ir_shape_str(&out->shape, (char[96]){0}, 96),
                          ir_dtype_name(out->dtype), n * (size_t)per);
    }
    if (f == F_STRING) {
        char **s = dla_malloc((n ? n : 1) * sizeof *s);
        for (size_t i = 0; i < n; i++) {
            const ProtobufCBinaryData *b = &t->string_data[i];
            s[i] = dla_malloc(b->len + 1);
            if (b->len)
                memcpy(s[i], b->data, b->len);
            s[i][b->len] = 0;
        }
        out->data = s;
        out->nbytes = n * sizeof *s;
        out->owned = 1;
        return DLA_OK;
    }
    if (n == 0)
        return DLA_OK; /* empty tensor: no data */
    size_t nbytes = n * esize; /* cannot overflow: n values are in memory already */
    uint8_t *d = dla_malloc(nbytes ? nbytes : 1);
    switch (f) {
    case F_FLOAT: memcpy(d, t->float_data, nbytes); break;
    case F_DOUBLE: memcpy(d, t->double_data, nbytes); break;
    case F_INT64: memcpy(d, t->int64_data, nbytes); break;
    case F_UINT64:
        if (esize == 8) {
            memcpy(d, t->uint64_data, nbytes);
        } else {
            for (size_t i = 0; i < n; i++) {
                uint32_t v = (uint32_t)t->uint64_data[i];
                memcpy(d + 4 * i, &v, 4);
            }
        }
        break;
    case F_INT32:
        for (size_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)t->int32_data[i];
            if (out->dtype == DT_BOOL)
                v = v != 0;
            if (esize == 4)
                memcpy(d + 4 * i, &v, 4);
            else if (esize == 2) {
                uint16_t h = (uint16_t)v;
                memcpy(d + 2 * i, &h, 2);
            } else {
                d[i] = (uint8_t)v;
            }
        }
        break;
    default: DLA_ASSERT(0);
    }
    out->data = d;
    out->nbytes = nbytes;
    out->owned = 1;
    return DLA_OK;
}

/* Copy n bytes of a stripped payload; when the source is the loader's own
 * read-only file mapping, hand the fully covered pages back to the kernel so the
 * weights are not resident twice (they re-read from the file if touched again). */
static void copy_and_release(OnnxCtx *cx, const uint8_t *src, size_t n, OnnxTData *out)
{
    out->data = dla_malloc(n);
    memcpy(out->data, src, n);
    out->nbytes = n;
    out->owned = 1;
    if (cx->strip_release) {
        uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t lo = ((uintptr_t)src + pg - 1) / pg * pg, hi = ((uintptr_t)src + n) / pg * pg;
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
}

DlaStatus onnx_tensor_convert(OnnxCtx *cx, Onnx__TensorProto *t, const char *what, OnnxTData *out)
{
    memset(out, 0, sizeof *out);
    if (!t->has_data_type || t->data_type == 0)
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s has no data type", cx->path, what);
    if (!ir_dtype_valid(t->data_type))
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s has unknown data type code %d",
                          cx->path, what, (int)t->data_type);
    out->dtype = (IrDtype)t->data_type;
    DlaStatus s = onnx_dims_to_shape(cx, t->dims, t->n_dims, what, &out->shape, &out->numel);
    if (s)
        return s;
    if (t->segment)
        return dla_errorf(cx->err, DLA_ERR_UNSUPPORTED, "%s: %s is stored in segments (unsupported)",
                          cx->path, what);
    size_t esize = ir_dtype_size(out->dtype);
    size_t want = 0;
    if (out->dtype != DT_STRING && !dla_mul_ok((size_t)out->numel, esize, &want))
        return dla_errorf(cx->err, DLA_ERR_LIMIT, "%s: %s: byte size overflows", cx->path, what);
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return convert_external(cx, t, what, esize, out);
    if (t->has_raw_data) {
        if (out->dtype == DT_STRING)
            return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: string tensors cannot use raw_data",
                              cx->path, what);
        const OnnxStripped *sp = t->raw_data.len == 0 && cx->pending && cx->pending->len ? cx->pending : NULL;
        size_t have = sp ? sp->len : t->raw_data.len;
        if (have != want)
            return dla_errorf(cx->err, DLA_ERR_FORMAT,
                              "%s: %s: raw_data has %zu bytes, but shape %s of %s needs %zu",
                              cx->path, what, have,
                              ir_shape_str(&out->shape, (char[96]){0}, 96), ir_dtype_name(out->dtype),
                              want);
        if (want == 0) {
            out->data = NULL;
            out->owned = 0;
            return DLA_OK;
        }
        if (sp) {
            /* Stripped before unpacking (onnx_strip.c): copy from the original buffer. */
            copy_and_release(cx, cx->strip_base + sp->offset, want, out);
            return DLA_OK;
        }
        if (cx->copy_raw) {
            out->data = dla_malloc(want);
            memcpy(out->data, t->raw_data.data, want);
            out->nbytes = want;
            out->owned = 1;
            return DLA_OK;
        }
        /* Take over protobuf-c's buffer (malloc'd by onnx_pb_allocator). */
        out->data = t->raw_data.data;
        out->nbytes = want;
        out->owned = 1;
        t->raw_data.data = NULL;
        t->raw_data.len = 0;
        t->has_raw_data = 0;
        return DLA_OK;
    }
    return convert_typed(cx, t, what, esize, out);
}

/* Sparse tensors (onnx.proto SparseTensorProto): values [NNZ]; indices either
 * [NNZ] linear offsets into the dense tensor, or [NNZ, rank] coordinates. */
DlaStatus onnx_sparse_convert(OnnxCtx *cx, Onnx__SparseTensorProto *sp, const char *what,
                              OnnxTData *out)
{
    memset(out, 0, sizeof *out);
    if (!sp->values || !sp->indices)
        return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: sparse tensor without values or indices",
                          cx->path, what);
    IrShape dshape;
    int64_t dnumel;
    DlaStatus s = onnx_dims_to_shape(cx, sp->dims, sp->n_dims, what, &dshape, &dnumel);
    if (s)
        return s;
    OnnxTData vals, idx;
    if ((s = onnx_tensor_convert(cx, sp->values, what, &vals)))
        return s;
    if ((s = onnx_tensor_convert(cx, sp->indices, what, &idx))) {
        onnx_tdata_free(&vals);
        return s;
    }
    int64_t nnz = vals.numel;
    size_t esize = ir_dtype_size(vals.dtype);
    size_t dbytes = 0;
    int coord = idx.shape.rank == 2;
    if (vals.shape.rank != 1 || idx.dtype != DT_INT64 ||
        !(idx.shape.rank == 1 || coord) || idx.shape.dims[0] != nnz ||
        (coord && idx.shape.dims[1] != dshape.rank)) {
        s = dla_errorf(cx->err, DLA_ERR_FORMAT,
                       "%s: %s: sparse tensor needs values [NNZ] and int64 indices [NNZ] or "
                       "[NNZ,%d]", cx->path, what, dshape.rank);
    } else if (vals.dtype == DT_STRING) {
        s = dla_errorf(cx->err, DLA_ERR_UNSUPPORTED, "%s: %s: sparse string tensors are not supported",
                       cx->path, what);
    } else if (!dla_mul_ok((size_t)dnumel, esize, &dbytes) || dbytes > ONNX_MAX_DENSE_BYTES - cx->dense_bytes) {
        s = dla_errorf(cx->err, DLA_ERR_LIMIT,
                       "%s: %s: densified sparse tensors would take more than %zu MiB", cx->path, what,
                       ONNX_MAX_DENSE_BYTES >> 20);
    }
    if (s) {
        onnx_tdata_free(&vals);
        onnx_tdata_free(&idx);
        return s;
    }
    cx->dense_bytes += dbytes;
    uint8_t *d = dla_calloc(1, dbytes ? dbytes : 1);
    const int64_t *ix = idx.data;
    for (int64_t k = 0; k < nnz && !s; k++) {
        int64_t lin = 0;
        if (coord) {
            for (int32_t a = 0; a < dshape.rank; a++) {
                int64_t c = ix[k * dshape.rank + a];
                if (c < 0 || c >= dshape.dims[a]) {
                    lin = -1;
                    break;
                }
                lin = lin * dshape.dims[a] + c;
            }
        } else {
            lin = ix[k];
        }
        if (lin < 0 || lin >= dnumel)
            s = dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: %s: sparse index %lld out of range",
                           cx->path, what, (long long)k);
        else
            memcpy(d + (size_t)lin * esize, (const uint8_t *)vals.data + (size_t)k * esize, esize);
    }
    onnx_tdata_free(&vals);
    onnx_tdata_free(&idx);
    if (s) {
        free(d);
        return s;
    }
    out->dtype = vals.dtype;
    out->shape = dshape;
    out->numel = dnumel;
    out->data = d;
    out->nbytes = dbytes;
    out->owned = 1;
    return DLA_OK;
}
