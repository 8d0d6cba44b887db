/* main.c - classify the 397 labelled test images of the digits CNN (8x8
 * grey-level handwritten digits, 10 classes) through its ahead-of-time bundle
 * digits.o + digits.h + digits.dla, on the accelerator simulator.
 *
 *     digits DIGITS.dla TEST_IMAGES.pb TEST_LABELS.pb
 *
 * prints the accuracy and the accelerator cycles. The images and labels are
 * ONNX TensorProto files (float [397,1,8,8] and int64 [397]); read_tensor
 * below is a minimal reader of the fields they use. Every error exits with
 * status 1 and a message: a corrupt .dla, one that is not the program
 * digits.o was compiled with, or a digits.h from another compile included. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

/* The scratch memory of digits_run: static, sized and aligned by the header. */
static _Alignas(DIGITS_SCRATCH_ALIGN) unsigned char scratch[DIGITS_SCRATCH_BYTES ? DIGITS_SCRATCH_BYTES : 1];

typedef struct Tensor {
    int64_t dims[8];
    int rank;
    int dtype;            /* ONNX TensorProto.DataType */
    unsigned char *data;  /* raw_data: little-endian elements */
    size_t nbytes;
} Tensor;

static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
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

/* TensorProto fields: 1 dims (int64, packed or not), 2 data_type, 9 raw_data;
 * others skipped. */
static int read_tensor(const char *path, Tensor *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 0;
    }
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const unsigned char *p = buf, *end = buf + n;
    while (p < end) {
        uint64_t key, v;
        if (!varint(&p, end, &key))
            goto bad;
        unsigned field = (unsigned)(key >> 3), wire = (unsigned)(key & 7);
        if (wire == 0) {
            if (!varint(&p, end, &v))
                goto bad;
            if (field == 1 && t->rank < 8)
                t->dims[t->rank++] = (int64_t)v;
            else if (field == 2)
                t->dtype = (int)v;
        } else if (wire == 2) {
            if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
                goto bad;
            const unsigned char *q = p, *qe = p + v;
            if (field == 1)
                while (q < qe && t->rank < 8 && varint(&q, qe, &v))
                    t->dims[t->rank++] = (int64_t)v;
            else if (field == 9) {
                t->data = (unsigned char *)p;
                t->nbytes = (size_t)v;
            }
            p = qe;
        } else if (wire == 5 || wire == 1) {
            p += wire == 5 ? 4 : 8;
        } else {
            goto bad;
        }
    }
    if (t->data) {
        unsigned char *copy = malloc(t->nbytes ? t->nbytes : 1);
        memcpy(copy, t->data, t->nbytes);
        t->data = copy;
        return 1;
    }
bad:
    t->data = NULL; /* pointed into buf */
    fprintf(stderr, "%s: not a TensorProto with raw_data\n", path);
    return 0;
}

/* Classify every image; 0, or 1 after printing why. */
static int classify(const char *dla, const Tensor *img, const Tensor *lab)
{
    int64_t n = lab->rank == 1 ? lab->dims[0] : 0;
    if (img->dtype != DIGITS_INPUT0_DTYPE || lab->dtype != 7 /* int64 */ ||
        img->nbytes != (size_t)n * DIGITS_INPUT0_BYTES || lab->nbytes != (size_t)n * 8) {
        fprintf(stderr, "digits: the images must be %s [N,%d,%d,%d], the labels int64 [N]\n",
                DIGITS_INPUT0_DTYPE_NAME, DIGITS_INPUT0_DIM1, DIGITS_INPUT0_DIM2, DIGITS_INPUT0_DIM3);
        return 1;
    }
    /* the simulator, for the target the .dla was compiled for, with the checks
     * that the .dla is intact and is the program digits.o belongs to */
    DlartDevice *dev;
    DlartProgram *prog;
    DlaError err = {0};
    if (digits_check_header(&err) || digits_open_sim(dla, 0, &dev, &prog, &err)) {
        fprintf(stderr, "digits: %s\n", err.msg);
        return 1;
    }
    int64_t right = 0;
    int rc = 0;
    for (int64_t i = 0; i < n && !rc; i++) {
        float scores[DIGITS_OUTPUT0_NUMEL];
        const void *in[1] = {img->data + (size_t)i * DIGITS_INPUT0_BYTES};
        void *out[1] = {scores};
        if (digits_run(prog, in, out, scratch, &err)) {
            fprintf(stderr, "digits: image %lld: %s\n", (long long)i, err.msg);
            rc = 1;
            break;
        }
        int best = 0;
        for (int k = 1; k < DIGITS_OUTPUT0_NUMEL; k++)
            if (scores[k] > scores[best])
                best = k;
        int64_t label;
        memcpy(&label, lab->data + (size_t)i * 8, 8);
        right += best == label;
    }
    if (!rc) {
        const DlartStats *s = dlart_stats(prog);
        printf("accuracy: %.4f (%lld of %lld images)\n", n ? (double)right / (double)n : 0.0, (long long)right,
               (long long)n);
        printf("cycles: %llu (%llu per image on %s, %.1f us at its clock)\n", (unsigned long long)s->cycles,
               (unsigned long long)(n ? s->cycles / (uint64_t)n : 0), DIGITS_TARGET,
               n ? 1e6 * s->device_seconds / (double)n : 0.0);
    }
    dlart_program_free(prog);
    dlart_device_free(dev);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DIGITS.dla TEST_IMAGES.pb TEST_LABELS.pb\n", argv[0]);
        return 2;
    }
    Tensor img = {0}, lab = {0};
    int rc = 1;
    if (read_tensor(argv[2], &img) && read_tensor(argv[3], &lab))
        rc = classify(argv[1], &img, &lab);
    free(img.data);
    free(lab.data);
    return rc;
}
