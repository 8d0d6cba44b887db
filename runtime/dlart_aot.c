/* dlart_aot.c - what the generated code of an ahead-of-time bundle (`dlacc
 * MODEL -o PREFIX`: PREFIX.o, PREFIX.h, PREFIX.dla; docs/aot.md) calls in
 * libdlart: loading the bundle's .dla with the checks that it is the program
 * the object was compiled with, and tensor transfers in the device layout (the
 * bundle's own code converts NCHW <-> NHWC).
 *
 * Identity. A bundle's object stores the model hash and the target
 * fingerprint of the .dla written by the same compile. The model hash is
 * 64-bit FNV-1a over the .dla's header and section table: they hold the file
 * size and the CRC-32 of every section (docs/dla-format.md), so the hash
 * changes with any byte of the program, yet costs nothing to compute. The
 * reader has checked every CRC before the hash is taken, so a corrupt file is
 * reported as corrupt and a well-formed file of another compile as a
 * mismatch. */
#include "dlart_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dla_file.h"
#include "isa/dla_format.h"

#define AOT_HEADER_BYTES 64u
#define AOT_SECTION_BYTES 32u

uint64_t dlart_aot_model_hash(const void *dla, size_t n)
{
    const uint8_t *b = dla;
    if (n < AOT_HEADER_BYTES)
        return 0;
    uint32_t nsec = (uint32_t)b[16] | (uint32_t)b[17] << 8 | (uint32_t)b[18] << 16 | (uint32_t)b[19] << 24;
    size_t len = AOT_HEADER_BYTES + (size_t)AOT_SECTION_BYTES * (nsec < 64 ? nsec : 64);
    if (len > n)
        len = n;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* The identity checks, after the reader accepted the bytes: target first (a
 * .dla for another target is named as such), then the model hash. */
static DlaStatus check_identity(const DlaProgram *img, uint64_t hash, const char *bundle, const char *target,
                                uint64_t want_hash, uint64_t want_fp, DlaError *err)
{
    if (img->target.fingerprint != want_fp)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "the program was compiled for target '%s' (fingerprint %016" PRIx64
                          "), bundle '%s' for target '%s' (fingerprint %016" PRIx64
                          "): use the .dla written with the bundle's object",
                          img->target.name, img->target.fingerprint, bundle, target, want_fp);
    if (hash != want_hash)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "the program (model hash %016" PRIx64 ") is not the one bundle '%s' was compiled with "
                          "(model hash %016" PRIx64 "): the .dla and the object come from different compiles; "
                          "rebuild both with one dlacc command",
                          hash, bundle, want_hash);
    return DLA_OK;
}

/* Read and check; *img filled on success. */
static DlaStatus read_checked(const void *dla, size_t n, const char *bundle, const char *target, uint64_t want_hash,
                              uint64_t want_fp, DlaProgram *img, uint64_t *hash, DlaError *err)
{
    memset(img, 0, sizeof *img);
    DlaStatus st = dla_program_read_mem(dla, n, img, err);
    if (st)
        return st;
    *hash = dlart_aot_model_hash(dla, n);
    if ((st = check_identity(img, *hash, bundle, target, want_hash, want_fp, err)))
        dla_program_free(img);
    return st;
}

/* dlart_program_load borrows its image; move the image into the program so
 * that it owns it (the segment views point into the image's arrays, which do
 * not move with the struct). */
static DlaStatus load_owned(DlartDevice *d, DlaProgram *img, uint64_t hash, DlartProgram **out, DlaError *err)
{
    DlaProgram *tmp = dla_malloc(sizeof *tmp);
    *tmp = *img;
    DlartProgram *p;
    DlaStatus st = dlart_program_load(d, tmp, &p, err);
    if (st) {
        dla_program_free(tmp);
        free(tmp);
        return st;
    }
    p->owned = *tmp;
    p->img = &p->owned;
    p->owns = 1;
    p->aot_hash = hash;
    free(tmp);
    *out = p;
    return DLA_OK;
}

DlaStatus dlart_aot_load(DlartDevice *d, const void *dla, size_t n, const char *bundle, const char *target,
                         uint64_t model_hash, uint64_t target_fp, DlartProgram **out, DlaError *err)
{
    *out = NULL;
    DlaProgram img;
    uint64_t hash;
    DlaStatus st = read_checked(dla, n, bundle, target, model_hash, target_fp, &img, &hash, err);
    if (st)
        return st;
    return load_owned(d, &img, hash, out, err);
}

DlaStatus dlart_aot_load_file(DlartDevice *d, const char *path, const char *bundle, const char *target,
                              uint64_t model_hash, uint64_t target_fp, DlartProgram **out, DlaError *err)
{
    *out = NULL;
    char *buf = NULL;
    size_t n;
    DlaStatus st = dla_file_read(path, &buf, &n, err);
    if (st)
        return st;
    if ((st = dlart_aot_load(d, buf, n, bundle, target, model_hash, target_fp, out, err)))
        dla_error_prefix(err, "%s: ", path);
    free(buf);
    return st;
}

DlaStatus dlart_aot_open_sim(const char *path, const char *bundle, const char *target, uint64_t model_hash,
                             uint64_t target_fp, uint64_t max_cycles, DlartDevice **dev, DlartProgram **out,
                             DlaError *err)
{
    *dev = NULL;
    *out = NULL;
    char *buf = NULL;
    size_t n;
    DlaProgram img;
    uint64_t hash;
    DlaStatus st = dla_file_read(path, &buf, &n, err);
    if (st)
        return st;
    if (!(st = read_checked(buf, n, bundle, target, model_hash, target_fp, &img, &hash, err))) {
        if ((st = dlart_device_open_sim(&img.target, max_cycles, dev, err)))
            dla_program_free(&img);
        else if ((st = load_owned(*dev, &img, hash, out, err))) {
            dlart_device_free(*dev);
            *dev = NULL;
        }
    }
    if (st)
        dla_error_prefix(err, "%s: ", path);
    free(buf);
    return st;
}

DlaStatus dlart_aot_check(const DlartProgram *p, const char *bundle, uint64_t model_hash, uint64_t target_fp,
                          DlaError *err)
{
    if (!p)
        return dla_errorf(err, DLA_ERR_INVALID, "bundle '%s': no program (load it with %s_load first)", bundle,
                          bundle);
    if (p->img->target.fingerprint != target_fp || p->aot_hash != model_hash)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "bundle '%s': the program was not loaded for this bundle (model hash %016" PRIx64
                          ", expected %016" PRIx64 "; load it with %s_load)",
                          bundle, p->aot_hash, model_hash, bundle);
    return DLA_OK;
}

DlaStatus dlart_aot_check_header(const char *bundle, uint64_t object_hash, uint64_t header_hash, DlaError *err)
{
    if (object_hash != header_hash)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "bundle '%s': the header (model hash %016" PRIx64 ") and the object (model hash %016" PRIx64
                          ") come from different compiles: rebuild both with one dlacc command",
                          bundle, header_hash, object_hash);
    return DLA_OK;
}

/* Device-layout transfers: nbytes must be the tensor's logical size (the
 * layouts the compiler emits permute elements, they do not pad). */
static DlaStatus check_dev(const DlartProgram *p, uint32_t i, size_t nbytes, DlaError *err)
{
    if (i >= p->img->ntensors)
        return dla_errorf(err, DLA_ERR_INVALID, "tensor %u out of range (%u tensors)", i, p->img->ntensors);
    const DlaTensorDesc *d = &p->img->tensors[i];
    uint64_t want = dlart_tensor_numel(d) * dlart_dtype_size(d->dtype);
    if (nbytes != want || want > d->nbytes)
        return dla_errorf(err, DLA_ERR_INVALID, "tensor '%s' holds %" PRIu64 " bytes, %zu given", d->name, want,
                          nbytes);
    return DLA_OK;
}

DlaStatus dlart_tensor_write_dev(DlartProgram *p, uint32_t i, const void *data, size_t nbytes, DlaError *err)
{
    DlaStatus st = check_dev(p, i, nbytes, err);
    if (st)
        return st;
    memcpy(p->staged[i].dev, data, nbytes);
    p->staged[i].valid = 1;
    return DLA_OK;
}

DlaStatus dlart_tensor_read_dev(DlartProgram *p, uint32_t i, void *data, size_t nbytes, DlaError *err)
{
    DlaStatus st = check_dev(p, i, nbytes, err);
    if (st)
        return st;
    if (!p->staged[i].valid)
        return dla_errorf(err, DLA_ERR_INVALID, "tensor '%s' has not been written or computed yet",
                          p->img->tensors[i].name);
    memcpy(data, p->staged[i].dev, nbytes);
    return DLA_OK;
}
