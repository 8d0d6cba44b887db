/* embed.c - dlacc embedded in a C program through libdlacc: read an ONNX
 * model into memory, compile it for a DLA target (quantized with the
 * calibration images in CALIB_DIR), run it on a batch of images through a run
 * context with typed tensors, and print the outputs and the statistics.
 *
 *   embed [--target dla-edge|dla-server] [--min-accuracy A] MODEL.onnx CALIB_DIR IMAGES.f32 LABELS.u8
 *
 * IMAGES.f32: N images of 1x8x8 float32 (little-endian, as the model takes
 * them); LABELS.u8: N labels, one byte each. Exit status 0 on success, 1 on
 * any error (the library's message on stderr) or an accuracy below A (default
 * 0). Uses only dlacc.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlacc.h>

static void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void print_tensor(const char *what, const char *name, const DlaTensor *t)
{
    printf("%s '%s': %s [", what, name, dlart_dtype_name(t->dtype));
    for (int i = 0; i < t->rank; i++)
        printf("%s%lld", i ? "," : "", (long long)t->dims[i]);
    printf("], %zu bytes\n", t->bytes);
}

static int fail(const char *what, const DlaError *e)
{
    fprintf(stderr, "embed: %s: %s (%s)\n", what, e->msg, dlart_status_name(e->code));
    return 1;
}

int main(int argc, char **argv)
{
    const char *target = "dla-edge";
    double min_accuracy = 0;
    int a = 1;
    for (; a + 1 < argc && argv[a][0] == '-'; a += 2)
        if (!strcmp(argv[a], "--target"))
            target = argv[a + 1];
        else if (!strcmp(argv[a], "--min-accuracy"))
            min_accuracy = atof(argv[a + 1]);
        else
            break;
    if (argc - a != 4) {
        fprintf(stderr, "usage: embed [--target T] [--min-accuracy A] MODEL.onnx CALIB_DIR IMAGES.f32 LABELS.u8\n");
        return 2;
    }
    printf("libdlacc %s (headers %s)\n", dlacc_version(), DLA_VERSION_STRING);
    size_t model_size, images_size, nlabels;
    void *model = read_file(argv[a], &model_size);
    float *images = read_file(argv[a + 2], &images_size);
    unsigned char *labels = read_file(argv[a + 3], &nlabels);
    if (!model || !images || !labels)
        return 1;

    /* compile from the buffer: one image per run (the model's batch dim is symbolic) */
    const char *shapes[] = {"input=1,1,8,8"};
    DlaccOptions o;
    dlacc_options_init(&o);
    o.target = target;
    o.calib_dir = argv[a + 1];
    o.input_shapes = shapes;
    o.ninput_shapes = 1;
    o.host_opt_level = 2;
    DlaccModel *m;
    DlaError err;
    if (dlacc_compile_buffer(model, model_size, argv[a], &o, &m, &err))
        return fail("compile", &err);
    free(model);

    DlaTensor in, out;
    const char *in_name, *out_name;
    if (dlacc_describe_input(m, 0, &in, &in_name, &err) || dlacc_describe_output(m, 0, &out, &out_name, &err))
        return fail("describe", &err);
    print_tensor("input ", in_name, &in);
    print_tensor("output", out_name, &out);
    size_t nimages = images_size / in.bytes;
    if (nimages != nlabels) {
        fprintf(stderr, "embed: %zu images of %zu bytes but %zu labels\n", nimages, in.bytes, nlabels);
        return 1;
    }

    DlaccContext *c;
    if (dlacc_context_create(m, &c, &err))
        return fail("context", &err);
    float scores[10];
    if (out.bytes != sizeof scores) {
        fprintf(stderr, "embed: expected 10 scores, the model gives %zu bytes\n", out.bytes);
        return 1;
    }
    out.data = scores;
    size_t correct = 0;
    for (size_t i = 0; i < nimages; i++) {
        in.data = (char *)images + i * in.bytes;
        if (dlacc_context_run(c, &in, 1, &out, 1, &err))
            return fail("run", &err);
        int best = 0;
        for (int k = 1; k < 10; k++)
            if (scores[k] > scores[best])
                best = k;
        correct += best == labels[i];
        if (i < 3) {
            printf("image %zu: label %d, predicted %d, scores", i, labels[i], best);
            for (int k = 0; k < 10; k++)
                printf(" %.2f", scores[k]);
            printf("\n");
        }
    }
    double accuracy = (double)correct / (double)nimages;
    printf("accuracy: %.4f (%zu/%zu) on %s\n", accuracy, correct, nimages, target);
    const DlartStats *s = dlacc_context_stats(c);
    if (s)
        printf("accelerator: %llu segment runs, %llu cycles, %llu MACs, utilization %.3f, "
               "DRAM read %llu B, written %llu B\n",
               (unsigned long long)s->runs, (unsigned long long)s->cycles, (unsigned long long)s->macs,
               s->utilization, (unsigned long long)s->dram_bytes_read, (unsigned long long)s->dram_bytes_written);
    DlaccTimes t = dlacc_context_times(c);
    printf("wall: compile %.3f s, calibrate %.3f s; last run: simulate %.6f s, host %.6f s\n", t.compile,
           t.calibrate, t.simulate, t.host);
    dlacc_context_free(c);
    dlacc_free(m);
    free(images);
    free(labels);
    if (accuracy < min_accuracy) {
        fprintf(stderr, "embed: accuracy %.4f is below %.4f\n", accuracy, min_accuracy);
        return 1;
    }
    return 0;
}
