/* dlart_program.c - loading a DLA program onto a device, its segments, the
 * host-side staging of its tensors, and running a segment (dlart.h). */
#include "dlart_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isa/dla_format.h"

double dlart_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t dlart_tensor_numel(const DlaTensorDesc *d)
{
    uint64_t n = 1;
    for (uint32_t i = 0; i < d->rank && i < 8; i++)
        n *= (uint64_t)d->dims[i];
    return n;
}

/* The runtime's segments are the image's DLA segments in order (its SEGMENTS
 * table, docs/dla-format.md; HOST and BOUNDARY entries are the caller's to
 * run); an image without the table is one segment exchanging every tensor.
 * The reader validated the table (ranges inside the code, ending in `end`, in
 * order; tensor indices in range; no layer straddling a boundary). Fills
 * p->segs and the layer numbering. */
static DlaStatus make_segments(DlartProgram *p, DlaError *err)
{
    const DlaProgram *img = p->img;
    uint32_t nd = 0;
    for (uint32_t i = 0; i < img->nsegments; i++)
        nd += img->segments[i].kind == DLA_SEG_DLA;
    if (img->nsegments && !nd)
        return dla_errorf(err, DLA_ERR_INVALID, "the program's %u segments include no dla segment", img->nsegments);
    p->nsegs = nd ? nd : 1;
    p->segs = dla_calloc(p->nsegs, sizeof *p->segs);
    p->stat_of_layer = dla_malloc((size_t)(img->nlayers ? img->nlayers : 1) * sizeof *p->stat_of_layer);
    uint32_t *start = dla_malloc((size_t)p->nsegs * sizeof *start);
    uint32_t *stop = dla_malloc((size_t)p->nsegs * sizeof *stop);
    if (!nd) {
        DlartSegment *s = &p->segs[0];
        start[0] = 0;
        stop[0] = img->ninsns;
        s->ntensors = img->ntensors;
        s->tensors = dla_malloc((img->ntensors ? img->ntensors : 1) * sizeof *s->tensors);
        for (uint32_t i = 0; i < img->ntensors; i++)
            s->tensors[i] = i;
    } else {
        uint32_t k = 0;
        for (uint32_t i = 0; i < img->nsegments; i++) {
            const DlaSegmentDesc *g = &img->segments[i];
            if (g->kind != DLA_SEG_DLA)
                continue;
            DlartSegment *s = &p->segs[k];
            start[k] = g->first_insn;
            stop[k] = g->first_insn + g->ninsns;
            s->ntensors = g->ntensors;
            s->tensors = dla_malloc((g->ntensors ? g->ntensors : 1) * sizeof *s->tensors);
            if (g->ntensors)
                memcpy(s->tensors, g->tensors, g->ntensors * sizeof *s->tensors);
            k++;
        }
    }
    /* every layer is numbered; a layer belongs to the segment whose code
     * contains its first instruction (an empty layer at a segment's end: to
     * the segment starting there, else to the one ending there) */
    uint32_t nl = img->nlayers;
    for (uint32_t i = 0; i < img->nlayers; i++)
        p->stat_of_layer[i] = i;
    p->lstats = dla_calloc(nl ? nl : 1, sizeof *p->lstats);
    p->stats.nlayers = nl;
    p->stats.layers = p->lstats;
    uint32_t *owner = dla_malloc((size_t)(nl ? nl : 1) * sizeof *owner);
    for (uint32_t i = 0; i < nl; i++) { /* starts ascend strictly (DLA segments are non-empty, in order) */
        const DlaLayerMap *l = &img->layers[i];
        uint32_t lo = 0, hi = p->nsegs; /* first segment starting after the layer */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (start[mid] <= l->first_insn)
                lo = mid + 1;
            else
                hi = mid;
        }
        uint32_t k = lo - 1; /* the last one starting at or before it, if lo > 0 */
        owner[i] = lo && (l->first_insn < stop[k] || (!l->ninsns && l->first_insn == stop[k])) ? k : UINT32_MAX;
    }
    for (uint32_t k = 0; k < p->nsegs; k++) {
        DlartSegment *s = &p->segs[k];
        uint32_t a = start[k], b = stop[k];
        s->first_insn = a;
        s->view.target = img->target;
        s->view.code = img->code + (size_t)a * DLA_INSN_WORDS;
        s->view.ninsns = b - a;
        s->view.consts = img->consts;
        s->view.const_bytes = img->const_bytes;
        s->view.dram_bytes_used = img->dram_bytes_used;
        s->view.tensors = dla_malloc((s->ntensors ? s->ntensors : 1) * sizeof *s->view.tensors);
        for (uint32_t j = 0; j < s->ntensors; j++)
            s->view.tensors[j] = img->tensors[s->tensors[j]]; /* names shared with the image */
        s->view.ntensors = s->ntensors;
        uint32_t cnt = 0;
        for (uint32_t i = 0; i < nl; i++)
            cnt += owner[i] == k;
        s->view.layers = dla_calloc(cnt ? cnt : 1, sizeof *s->view.layers);
        s->layer_ids = dla_calloc(cnt ? cnt : 1, sizeof *s->layer_ids);
        for (uint32_t i = 0; i < nl; i++) {
            if (owner[i] != k)
                continue;
            const DlaLayerMap *l = &img->layers[i];
            DlaLayerMap *v = &s->view.layers[s->view.nlayers];
            *v = *l; /* names shared with the image */
            v->first_insn = l->first_insn - a;
            s->layer_ids[s->view.nlayers++] = p->stat_of_layer[i];
            p->lstats[p->stat_of_layer[i]].segment = k;
        }
    }
    free(owner);
    free(start);
    free(stop);
    return DLA_OK;
}

static DlaStatus load_common(DlartDevice *d, DlartProgram *p, DlaError *err)
{
    const DlaProgram *img = p->img;
    DlaStatus st = dla_program_validate(img, err);
    if (st)
        return st;
    if (img->target.fingerprint != d->target.fingerprint)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "the program was compiled for target '%s' (fingerprint %016" PRIx64
                          "), the device is '%s' (%016" PRIx64 ")",
                          img->target.name, img->target.fingerprint, d->target.name, d->target.fingerprint);
    for (uint32_t i = 0; i < img->ntensors; i++)
        if (!dlart_dtype_size(img->tensors[i].dtype))
            return dla_errorf(err, DLA_ERR_UNSUPPORTED, "tensor '%s': dtype %u is not a fixed-size type",
                              img->tensors[i].name, img->tensors[i].dtype);
    if ((st = make_segments(p, err)))
        return st;
    p->staged = dla_calloc(img->ntensors ? img->ntensors : 1, sizeof *p->staged);
    for (uint32_t i = 0; i < img->ntensors; i++)
        p->staged[i].dev = dla_calloc(1, img->tensors[i].nbytes ? img->tensors[i].nbytes : 1);
    p->compulsory = dla_calloc(img->nlayers ? img->nlayers : 1, sizeof *p->compulsory);
    dlart_stats_init(p);
    return DLA_OK;
}

DlaStatus dlart_program_load(DlartDevice *d, const DlaProgram *img, DlartProgram **out, DlaError *err)
{
    *out = NULL;
    DlartProgram *p = dla_calloc(1, sizeof *p);
    p->dev = d;
    p->img = img;
    DlaStatus st = load_common(d, p, err);
    if (st) {
        dlart_program_free(p);
        return st;
    }
    *out = p;
    return DLA_OK;
}

DlaStatus dlart_program_load_file(DlartDevice *d, const char *path, DlartProgram **out, DlaError *err)
{
    *out = NULL;
    DlartProgram *p = dla_calloc(1, sizeof *p);
    p->dev = d;
    DlaStatus st = dla_program_read(path, &p->owned, err);
    if (st) {
        free(p);
        return st;
    }
    p->owns = 1;
    p->img = &p->owned;
    if ((st = load_common(d, p, err))) {
        dla_error_prefix(err, "%s: ", path);
        dlart_program_free(p);
        return st;
    }
    *out = p;
    return DLA_OK;
}

DlaStatus dlart_program_load_memory(DlartDevice *d, const void *data, size_t size, DlartProgram **out, DlaError *err)
{
    *out = NULL;
    if (!data && size)
        return dla_errorf(err, DLA_ERR_INVALID, "dlart_program_load_memory: no data");
    DlartProgram *p = dla_calloc(1, sizeof *p);
    p->dev = d;
    DlaStatus st = dla_program_read_mem(data, size, &p->owned, err);
    if (st) {
        dla_error_prefix(err, "the .dla in memory (%zu bytes): ", size);
        free(p);
        return st;
    }
    p->owns = 1;
    p->img = &p->owned;
    if ((st = load_common(d, p, err))) {
        dla_error_prefix(err, "the .dla in memory: ");
        dlart_program_free(p);
        return st;
    }
    *out = p;
    return DLA_OK;
}

void dlart_program_free(DlartProgram *p)
{
    if (!p)
        return;
    if (p->dev && p->segs)
        for (uint32_t k = 0; k < p->nsegs; k++)
            if (p->dev->resident == &p->segs[k].view)
                p->dev->resident = NULL;
    for (uint32_t k = 0; p->segs && k < p->nsegs; k++) {
        free(p->segs[k].view.layers);
        free(p->segs[k].view.tensors);
        free(p->segs[k].tensors);
        free(p->segs[k].layer_ids);
    }
    free(p->segs);
    if (p->staged && p->img)
        for (uint32_t i = 0; i < p->img->ntensors; i++)
            free(p->staged[i].dev);
    free(p->staged);
    free(p->compulsory);
    free(p->stat_of_layer);
    free(p->lstats);
    if (p->owns)
        dla_program_free(&p->owned);
    free(p);
}

const DlaProgram *dlart_program_image(const DlartProgram *p)
{
    return p->img;
}

uint32_t dlart_segment_count(const DlartProgram *p)
{
    return p->nsegs;
}

const uint32_t *dlart_segment_tensors(const DlartProgram *p, uint32_t k, uint32_t *n)
{
    *n = k < p->nsegs ? p->segs[k].ntensors : 0;
    return k < p->nsegs ? p->segs[k].tensors : NULL;
}

uint32_t dlart_tensor_count(const DlartProgram *p)
{
    return p->img->ntensors;
}

const DlaTensorDesc *dlart_tensor(const DlartProgram *p, uint32_t i)
{
    return i < p->img->ntensors ? &p->img->tensors[i] : NULL;
}

int32_t dlart_tensor_find(const DlartProgram *p, const char *name)
{
    for (uint32_t i = 0; i < p->img->ntensors; i++)
        if (!strcmp(p->img->tensors[i].name, name))
            return (int32_t)i;
    return -1;
}

static DlaStatus check_size(const DlartProgram *p, uint32_t i, size_t nbytes, DlaError *err)
{
    if (i >= p->img->ntensors)
        return dla_errorf(err, DLA_ERR_INVALID, "tensor %u out of range (%u tensors)", i, p->img->ntensors);
    const DlaTensorDesc *d = &p->img->tensors[i];
    uint64_t want = dlart_tensor_numel(d) * dlart_dtype_size(d->dtype);
    if (nbytes != want)
        return dla_errorf(err, DLA_ERR_INVALID, "tensor '%s' holds %" PRIu64 " bytes, %zu given", d->name, want,
                          nbytes);
    return DLA_OK;
}

DlaStatus dlart_tensor_write(DlartProgram *p, uint32_t i, const void *data, size_t nbytes, DlaError *err)
{
    DlaStatus st = check_size(p, i, nbytes, err);
    if (st)
        return st;
    dlart_pack(&p->img->tensors[i], data, p->staged[i].dev);
    p->staged[i].valid = 1;
    return DLA_OK;
}

DlaStatus dlart_tensor_read(DlartProgram *p, uint32_t i, void *data, size_t nbytes, DlaError *err)
{
    DlaStatus st = check_size(p, i, nbytes, err);
    if (st)
        return st;
    if (!p->staged[i].valid)
        return dla_errorf(err, DLA_ERR_INVALID, "tensor '%s' has not been written or computed yet",
                          p->img->tensors[i].name);
    dlart_unpack(&p->img->tensors[i], p->staged[i].dev, data);
    return DLA_OK;
}

DlaStatus dlart_run_segment(DlartProgram *p, uint32_t k, DlaError *err)
{
    if (k >= p->nsegs)
        return dla_errorf(err, DLA_ERR_INVALID, "segment %u out of range (%u segments)", k, p->nsegs);
    DlartSegment *s = &p->segs[k];
    DlartDevice *d = p->dev;
    DlaStatus st;
    double t0 = dlart_now();
    if (d->resident != &s->view) {
        d->resident = NULL;
        if ((st = d->ops->load(d->impl, &s->view, err)))
            return st;
        d->resident = &s->view;
    }
    for (uint32_t j = 0; j < s->ntensors; j++) {
        uint32_t i = s->tensors[j];
        const DlaTensorDesc *t = &p->img->tensors[i];
        if (t->role == DLA_TENSOR_OUTPUT)
            continue;
        if (!p->staged[i].valid) {
            if (t->role == DLA_TENSOR_INPUT)
                return dla_errorf(err, DLA_ERR_INVALID, "segment %u: input tensor '%s' was not written", k,
                                  t->name);
            continue;
        }
        if ((st = d->ops->write(d->impl, t->dram_offset, p->staged[i].dev, t->nbytes, err)))
            return st;
    }
    if ((st = d->ops->run(d->impl, err))) {
        d->resident = NULL; /* a faulting program may have written anywhere: reload the constants next time */
        dla_error_prefix(err, "segment %u: ", k);
        return st;
    }
    for (uint32_t j = 0; j < s->ntensors; j++) {
        uint32_t i = s->tensors[j];
        const DlaTensorDesc *t = &p->img->tensors[i];
        if (t->role == DLA_TENSOR_INPUT)
            continue;
        if ((st = d->ops->read(d->impl, t->dram_offset, p->staged[i].dev, t->nbytes, err)))
            return st;
        p->staged[i].valid = 1;
    }
    dlart_stats_add_run(p, k, dlart_now() - t0);
    return DLA_OK;
}

DlaStatus dlart_run(DlartProgram *p, DlaError *err)
{
    for (uint32_t k = 0; k < p->nsegs; k++) {
        DlaStatus st = dlart_run_segment(p, k, err);
        if (st)
            return st;
    }
    return DLA_OK;
}
