/* two_bundles.c - two AOT bundles of the digits model linked into one program,
 * each under its own name (digits_edge for dla-edge, digits_server for
 * dla-server): both classify the test images with the same accuracy bound,
 * and a program loaded for one bundle is refused by the other's entry point.
 *
 *     two_bundles EDGE.dla SERVER.dla TEST_IMAGES.pb TEST_LABELS.pb */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits_edge.h"
#include "digits_server.h"
#include "tensor_pb.h"

static _Alignas(64) unsigned char scratch_e[DIGITS_EDGE_SCRATCH_BYTES], scratch_s[DIGITS_SERVER_SCRATCH_BYTES];

static int argmax(const float *x, int n)
{
    int b = 0;
    for (int k = 1; k < n; k++)
        if (x[k] > x[b])
            b = k;
    return b;
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    PbTensor img, lab;
    if (!pb_read_tensor(argv[3], &img) || !pb_read_tensor(argv[4], &lab))
        return 1;
    DlartDevice *de, *ds;
    DlartProgram *pe, *ps;
    DlaError err = {0};
    if (digits_edge_open_sim(argv[1], 0, &de, &pe, &err) || digits_server_open_sim(argv[2], 0, &ds, &ps, &err)) {
        fprintf(stderr, "two_bundles: %s\n", err.msg);
        return 1;
    }
    int64_t n = lab.dims[0], right_e = 0, right_s = 0;
    for (int64_t i = 0; i < n; i++) {
        float ye[10], ys[10];
        const void *in[1] = {img.data + (size_t)i * DIGITS_EDGE_INPUT0_BYTES};
        void *oe[1] = {ye}, *os[1] = {ys};
        if (digits_edge_run(pe, in, oe, scratch_e, &err) || digits_server_run(ps, in, os, scratch_s, &err)) {
            fprintf(stderr, "two_bundles: %s\n", err.msg);
            return 1;
        }
        int64_t l;
        memcpy(&l, lab.data + (size_t)i * 8, 8);
        right_e += argmax(ye, 10) == l;
        right_s += argmax(ys, 10) == l;
    }
    printf("digits_edge accuracy %.4f cycles %llu; digits_server accuracy %.4f cycles %llu\n",
           (double)right_e / (double)n, (unsigned long long)dlart_stats(pe)->cycles, (double)right_s / (double)n,
           (unsigned long long)dlart_stats(ps)->cycles);
    /* the server bundle's entry point refuses the edge bundle's program */
    float y[10];
    const void *in[1] = {img.data};
    void *out[1] = {y};
    int rc = digits_server_run(pe, in, out, scratch_s, &err);
    printf("cross use: %d %s\n", rc, err.msg);
    int ok = rc != 0 && strstr(err.msg, "not loaded for this bundle") && right_e * 1000 >= n * 995 &&
             right_s * 1000 >= n * 995;
    dlart_program_free(pe);
    dlart_program_free(ps);
    dlart_device_free(de);
    dlart_device_free(ds);
    free(img.data);
    free(lab.data);
    return ok ? 0 : 1;
}
