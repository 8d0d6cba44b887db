/* dlart_layout.c - converting tensors between the host's logical row-major
 * order (ONNX: NCHW for images) and the DRAM layout of a descriptor.
 * IR_LAYOUT_NHWC (1) applies to rank-4 tensors: element (n,c,h,w) lives at
 * ((n*H + h)*W + w)*C + c. Every other case is a plain copy. */
#include "dlart_int.h"

#include <string.h>

static void convert(const DlaTensorDesc *d, const uint8_t *src, uint8_t *dst, int to_dev)
{
    size_t es = dlart_dtype_size(d->dtype);
    uint64_t n = dlart_tensor_numel(d);
    if (d->layout != 1 || d->rank != 4) {
        memcpy(dst, src, (size_t)(n * es));
        return;
    }
    uint64_t N = (uint64_t)d->dims[0], C = (uint64_t)d->dims[1], HW = (uint64_t)d->dims[2] * (uint64_t)d->dims[3];
    for (uint64_t b = 0; b < N; b++)
        for (uint64_t c = 0; c < C; c++)
            for (uint64_t p = 0; p < HW; p++) {
                uint64_t nchw = (b * C + c) * HW + p, nhwc = (b * HW + p) * C + c;
                if (to_dev)
                    memcpy(dst + nhwc * es, src + nchw * es, es);
                else
                    memcpy(dst + nchw * es, src + nhwc * es, es);
            }
}

void dlart_pack(const DlaTensorDesc *d, const void *rowmajor, void *dev)
{
    convert(d, rowmajor, dev, 1);
}

void dlart_unpack(const DlaTensorDesc *d, const void *dev, void *rowmajor)
{
    convert(d, dev, rowmajor, 0);
}
