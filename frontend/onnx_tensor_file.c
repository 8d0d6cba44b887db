/* onnx_tensor_file.c - standalone serialized TensorProto files (test_data_set_N/input_K.pb,
 * dlacc run inputs and outputs). Reading accepts every form a model initializer
 * may use (typed fields, raw_data, external data next to the file); writing
 * always uses raw_data (strings: string_data). */
#include "onnx_internal.h"

#include <stdlib.h>
#include <string.h>

DlaStatus onnx_tensor_read_buffer(const void *data, size_t len, const char *path, const char *base_dir,
                                  OnnxTensorFile *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    DlaStatus s = onnx_wire_check(data, len, &onnx__tensor_proto__descriptor, path, err);
    if (s)
        return s;
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(&onnx_pb_allocator, len, data);
    if (!t)
        return dla_errorf(err, DLA_ERR_FORMAT, "%s: not a valid serialized ONNX TensorProto "
                          "(protobuf parsing failed)", path);
    OnnxCtx cx;
    onnx_ctx_init(&cx, path, base_dir, err);
    OnnxTData td;
    s = onnx_tensor_convert(&cx, t, "tensor", &td);
    if (!s && !td.owned && td.data) {
        /* external data: copy out of the mapping, which goes away with the context */
        void *copy = dla_malloc(td.nbytes ? td.nbytes : 1);
        memcpy(copy, td.data, td.nbytes);
        td.data = copy;
        td.owned = 1;
    }
    if (!s) {
        out->name = dla_strdup(t->name ? t->name : "");
        out->dtype = td.dtype;
        out->shape = td.shape;
        out->data = td.data ? td.data : dla_malloc(1);
        out->nbytes = td.nbytes;
    }
    onnx_ctx_fini(&cx);
    onnx__tensor_proto__free_unpacked(t, &onnx_pb_allocator);
    return s;
}

DlaStatus onnx_tensor_read(const char *path, OnnxTensorFile *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    DlaMapped m;
    DlaStatus s = dla_file_map(path, &m, err);
    if (s)
        return s;
    char *dir = dla_path_dirname(path);
    s = onnx_tensor_read_buffer(m.data, m.size, path, dir, out, err);
    free(dir);
    dla_file_unmap(&m);
    return s;
}

void onnx_tensor_file_free(OnnxTensorFile *t)
{
    if (!t)
        return;
    if (t->dtype == DT_STRING && t->data) {
        char **s = t->data;
        int64_t n = ir_shape_numel(&t->shape);
        for (int64_t i = 0; i < n; i++)
            free(s[i]);
    }
    free(t->data);
    free(t->name);
    memset(t, 0, sizeof *t);
}

DlaStatus onnx_tensor_write(const char *path, const char *name, IrDtype dt, const IrShape *shape,
                            const void *data, size_t nbytes, DlaError *err)
{
    int64_t numel = ir_shape_numel(shape);
    if (!ir_dtype_valid((int)dt) || dt == DT_UNDEFINED)
        return dla_errorf(err, DLA_ERR_INVALID, "%s: cannot write a tensor of data type %d", path, (int)dt);
    if (numel < 0)
        return dla_errorf(err, DLA_ERR_INVALID, "%s: cannot write a tensor of unknown shape", path);
    size_t want = 0;
    if (dt != DT_STRING && (!dla_mul_ok((size_t)numel, ir_dtype_size(dt), &want) || want != nbytes))
        return dla_errorf(err, DLA_ERR_INVALID, "%s: tensor data has %zu bytes, shape and type need %zu",
                          path, nbytes, want);
    if (dt == DT_STRING && nbytes != (size_t)numel * sizeof(char *))
        return dla_errorf(err, DLA_ERR_INVALID, "%s: string tensor needs %lld string pointers", path,
                          (long long)numel);
    Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
    t.n_dims = (size_t)shape->rank;
    t.dims = (int64_t *)shape->dims;
    t.has_data_type = 1;
    t.data_type = (int32_t)dt;
    t.name = (char *)(name ? name : "");
    ProtobufCBinaryData *strs = NULL;
    if (dt == DT_STRING) {
        const char *const *s = data;
        strs = dla_malloc(((size_t)numel + 1) * sizeof *strs);
        for (int64_t i = 0; i < numel; i++) {
            strs[i].data = (uint8_t *)s[i];
            strs[i].len = strlen(s[i]);
        }
        t.n_string_data = (size_t)numel;
        t.string_data = strs;
    } else {
        t.has_raw_data = 1;
        t.raw_data.data = (uint8_t *)data;
        t.raw_data.len = nbytes;
    }
    size_t sz = onnx__tensor_proto__get_packed_size(&t);
    uint8_t *buf = dla_malloc(sz ? sz : 1);
    onnx__tensor_proto__pack(&t, buf);
    DlaStatus st = dla_file_write(path, buf, sz, err);
    free(buf);
    free(strs);
    return st;
}
