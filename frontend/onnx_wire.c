/* onnx_wire.c - the protobuf wire format reader (onnx_wire_field, also used by
 * the raw_data stripper, onnx_strip.c) and a pre-scan that bounds message nesting.
 *
 * protobuf-c's unpacker recurses once per nested message and keeps a few
 * hundred bytes of stack per level, with no depth limit: a hostile file of a
 * few MB that nests GraphProto -> NodeProto -> AttributeProto -> GraphProto ...
 * would overflow the stack. This walker follows the same schema (the
 * generated descriptors) and refuses nesting deeper than ONNX_MAX_MSG_DEPTH
 * before protobuf-c sees the bytes. It does not validate anything else:
 * malformed framing is left for protobuf-c to report. It recurses at most
 * ONNX_MAX_MSG_DEPTH deep itself, with a small frame. Wire format reference:
 * https://protobuf.dev/programming-guides/encoding/ */
#include "onnx_internal.h"

enum { WALK_OK = 0, WALK_MALFORMED = 1, WALK_TOO_DEEP = 2 };

static int read_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*i >= n)
            return 0;
        uint8_t b = p[(*i)++];
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 1;
        }
    }
    return 0;
}

int onnx_wire_field(const uint8_t *p, size_t n, size_t *i, OnnxWireField *f)
{
    uint64_t v;
    if (!read_varint(p, n, i, &f->key))
        return 0;
    switch (f->key & 7) {
    case ONNX_WIRE_VARINT:
        return read_varint(p, n, i, &v);
    case ONNX_WIRE_I64:
        if (n - *i < 8)
            return 0;
        *i += 8;
        return 1;
    case ONNX_WIRE_I32:
        if (n - *i < 4)
            return 0;
        *i += 4;
        return 1;
    case ONNX_WIRE_LEN:
        if (!read_varint(p, n, i, &v) || v > n - *i)
            return 0;
        f->body = *i;
        f->len = (size_t)v;
        *i += f->len;
        return 1;
    default:
        return 0; /* groups and invalid wire types: protobuf-c rejects them */
    }
}

static int walk(const uint8_t *p, size_t n, const ProtobufCMessageDescriptor *d, int depth)
{
    if (depth > ONNX_MAX_MSG_DEPTH)
        return WALK_TOO_DEEP;
    size_t i = 0;
    while (i < n) {
        OnnxWireField wf;
        if (!onnx_wire_field(p, n, &i, &wf))
            return WALK_MALFORMED;
        if ((wf.key & 7) == ONNX_WIRE_LEN) {
            uint64_t id = wf.key >> 3;
            const ProtobufCFieldDescriptor *f =
                id <= 0xffffffffu ? protobuf_c_message_descriptor_get_field(d, (unsigned)id) : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                int r = walk(p + wf.body, wf.len, f->descriptor, depth + 1);
                if (r != WALK_OK)
                    return r;
            }
        }
    }
    return WALK_OK;
}

DlaStatus onnx_wire_check(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *d,
                          const char *path, DlaError *err)
{
    if (walk(data, len, d, 0) == WALK_TOO_DEEP)
        return dla_errorf(err, DLA_ERR_LIMIT,
                          "%s: not a usable ONNX file: messages nested more than %d deep", path,
                          ONNX_MAX_MSG_DEPTH);
    return DLA_OK;
}
