/* onnx_strip.c - keep large inline weights out of protobuf-c's hands.
 *
 * protobuf-c copies every bytes field while unpacking, so a model with its
 * weights inline (resnet18: 46 MB of raw_data) would be held twice: once in the
 * file mapping, once in the unpacked message. Before unpacking, this rewrites
 * the (small) structure of the model into a new buffer in which every main-graph
 * initializer's raw_data of at least ONNX_STRIP_MIN bytes is replaced by an empty
 * raw_data, and records where the real bytes are in the original buffer
 * (ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.raw_data = 9;
 * onnx.proto). The loader then copies each tensor straight from the original
 * buffer and, when that buffer is its own file mapping, releases the pages it
 * has copied, so the weights are resident about once.
 *
 * Any framing error makes the rewrite give up (returns 0): protobuf-c then
 * parses the original bytes and reports the error as usual. Because the
 * output only shrinks (a length prefix never grows when its payload shrinks),
 * it fits in a buffer of the input's size. The fields are read by
 * onnx_wire_field (onnx_wire.c). */
#include "onnx_internal.h"

#include <stdlib.h>
#include <string.h>

enum { F_MODEL_GRAPH = 7, F_GRAPH_INITIALIZER = 5, F_TENSOR_RAW_DATA = 9 };
enum { LEVEL_MODEL, LEVEL_GRAPH, LEVEL_TENSOR };

typedef struct Strip {
    const uint8_t *in;
    uint8_t *out;      /* NULL in the sizing pass */
    size_t pos;        /* write position */
    OnnxStripped *rec; /* one per initializer seen (sizing pass: NULL) */
    size_t ninit;      /* initializers seen so far */
} Strip;

static void put_bytes(Strip *st, const uint8_t *p, size_t n)
{
    if (st->out)
        memcpy(st->out + st->pos, p, n);
    st->pos += n;
}

static void put_varint(Strip *st, uint64_t v)
{
    uint8_t b[10];
    size_t k = 0;
    do {
        b[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[k] |= 0x80;
        k++;
    } while (v);
    put_bytes(st, b, k);
}

/* New size of the message at p[0..n) of the given level, or SIZE_MAX on a framing error. */
static size_t new_size(const uint8_t *p, size_t n, int level);

/* Rewrite (or, with st->out == NULL, size) the message p[0..n). base is p's offset in st->in. */
static int rewrite(Strip *st, size_t base, size_t n, int level)
{
    const uint8_t *p = st->in + base;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        OnnxWireField wf;
        if (!onnx_wire_field(p, n, &i, &wf))
            return 0;
        if ((wf.key & 7) == ONNX_WIRE_LEN) {
            unsigned field = (unsigned)(wf.key >> 3);
            size_t len = wf.len, body = wf.body;
            int descend = (level == LEVEL_MODEL && field == F_MODEL_GRAPH) ||
                          (level == LEVEL_GRAPH && field == F_GRAPH_INITIALIZER);
            if (level == LEVEL_GRAPH && field == F_GRAPH_INITIALIZER)
                st->ninit++;
            if (descend) {
                int sub = level == LEVEL_MODEL ? LEVEL_GRAPH : LEVEL_TENSOR;
                size_t sz = new_size(p + body, len, sub);
                if (sz == SIZE_MAX)
                    return 0;
                put_varint(st, wf.key);
                put_varint(st, sz);
                if (!rewrite(st, base + body, len, sub))
                    return 0;
                continue;
            }
            if (level == LEVEL_TENSOR && field == F_TENSOR_RAW_DATA && len >= ONNX_STRIP_MIN) {
                put_varint(st, wf.key);
                put_varint(st, 0);
                if (st->rec) { /* the last raw_data of a tensor wins, as in protobuf */
                    st->rec[st->ninit - 1].offset = base + body;
                    st->rec[st->ninit - 1].len = len;
                }
                continue;
            }
            if (level == LEVEL_TENSOR && field == F_TENSOR_RAW_DATA && st->rec)
                st->rec[st->ninit - 1].len = 0; /* a later small raw_data replaces a stripped one */
        }
        put_bytes(st, p + start, i - start);
    }
    return 1;
}

static size_t new_size(const uint8_t *p, size_t n, int level)
{
    /* A sizing pass over a sub-message: same walk, nothing written or recorded. */
    Strip st = {p, NULL, 0, NULL, 1};
    return rewrite(&st, 0, n, level) ? st.pos : SIZE_MAX;
}

int onnx_strip_raw(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len, OnnxStripped **rec,
                   size_t *nrec)
{
    *out = NULL;
    *rec = NULL;
    *nrec = 0;
    /* Sizing pass over the whole model: counts initializers and finds whether
     * anything would be stripped at all. */
    Strip sz = {data, NULL, 0, NULL, 0};
    if (!rewrite(&sz, 0, len, LEVEL_MODEL) || sz.pos == len)
        return 0;
    Strip st = {data, dla_malloc(sz.pos ? sz.pos : 1), 0, dla_calloc(sz.ninit + 1, sizeof(OnnxStripped)), 0};
    if (!rewrite(&st, 0, len, LEVEL_MODEL) || st.pos != sz.pos) {
        free(st.out);
        free(st.rec);
        return 0;
    }
    *out = st.out;
    *out_len = st.pos;
    *rec = st.rec;
    *nrec = st.ninit;
    return 1;
}
