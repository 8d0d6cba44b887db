/* tensor_pb.h - a minimal reader of ONNX TensorProto files (dims, data_type,
 * raw_data) for the AOT test programs, which link libdlart only (as an
 * application would) and so have no protobuf library. Header-only. */
#ifndef DLA_TESTS_AOT_TENSOR_PB_H
#define DLA_TESTS_AOT_TENSOR_PB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct PbTensor {
    int64_t dims[8];
    int rank, dtype;
    unsigned char *data; /* malloc'd raw_data */
    size_t nbytes;
} PbTensor;

static int pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 1;
    }
    return 0;
}

/* 1 on success; raw_data is required (what the zoo's files use). */
static int pb_read_tensor(const char *path, PbTensor *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = fread(buf, 1, n > 0 ? (size_t)n : 0, f);
    fclose(f);
    const unsigned char *p = buf, *end = buf + got;
    int ok = 1;
    while (ok && p < end) {
        uint64_t key, v;
        if (!pb_varint(&p, end, &key))
            break;
        unsigned field = (unsigned)(key >> 3), wire = (unsigned)(key & 7);
        if (wire == 0) {
            ok = pb_varint(&p, end, &v);
            if (field == 1 && t->rank < 8)
                t->dims[t->rank++] = (int64_t)v;
            else if (field == 2)
                t->dtype = (int)v;
        } else if (wire == 2) {
            ok = pb_varint(&p, end, &v) && v <= (uint64_t)(end - p);
            if (!ok)
                break;
            const unsigned char *q = p, *qe = p + v;
            if (field == 1)
                while (q < qe && t->rank < 8 && pb_varint(&q, qe, &v))
                    t->dims[t->rank++] = (int64_t)v;
            else if (field == 9) {
                t->data = malloc(v ? (size_t)v : 1);
                memcpy(t->data, p, (size_t)v);
                t->nbytes = (size_t)v;
            }
            p = qe;
        } else if (wire == 5 || wire == 1) {
            p += wire == 5 ? 4 : 8;
        } else {
            ok = 0;
        }
    }
    free(buf);
    return ok && t->data;
}

#endif
