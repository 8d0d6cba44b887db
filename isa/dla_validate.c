/* dla_validate.c - the invariants of a DlaProgram (docs/dla-format.md,
 * "Validation", rules 4-10), which the .dla reader enforces on every file and
 * the writer requires, and the names of the container's enumerations.
 *
 * The checks assume nothing about the program beyond its counts matching its
 * arrays: every index, range and size is compared in arithmetic that cannot
 * overflow, and every allocation is bounded by a count the program holds. */
#include "dla_format_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"
#include "isa.h"

/* ---- names ---- */

const char *dla_section_name(uint32_t kind)
{
    switch (kind) {
#define SEC(e, code, name) case code: return name;
        DLA_SECTIONS(SEC)
#undef SEC
    }
    return NULL;
}

const char *dla_tensor_role_name(uint32_t role)
{
    switch (role) {
    case DLA_TENSOR_INPUT: return "input";
    case DLA_TENSOR_OUTPUT: return "output";
    case DLA_TENSOR_INTERMEDIATE: return "intermediate";
    }
    return NULL;
}

/* Element sizes by ONNX dtype code, from the IR's single dtype table (header
 * only: the container does not link the IR). 0: not allowed in DRAM. */
static size_t dtype_size(uint32_t code)
{
    switch (code) {
#define DT(e, c, name, size) case c: return size;
#include "dtypes.def"
#undef DT
    }
    return 0;
}

const char *dla_seg_kind_name(uint32_t kind)
{
    switch (kind) {
    case DLA_SEG_HOST: return "host";
    case DLA_SEG_DLA: return "dla";
    case DLA_SEG_BOUNDARY: return "boundary";
    }
    return NULL;
}

int dla_seg_kind_from_name(const char *name, uint32_t *kind)
{
    for (uint32_t k = 0; dla_seg_kind_name(k); k++)
        if (!strcmp(name, dla_seg_kind_name(k))) {
            *kind = k;
            return 1;
        }
    return 0;
}

int dla_tensor_role_from_name(const char *name, uint32_t *role)
{
    for (uint32_t r = 0; dla_tensor_role_name(r); r++)
        if (!strcmp(name, dla_tensor_role_name(r))) {
            *role = r;
            return 1;
        }
    return 0;
}

/* Layouts: the numbering of IrLayout in ir/ir.h. */
static const char *const layout_names[] = {"rowmajor", "nhwc", "nchwc"};
#define DLA_FORMAT_NLAYOUTS (sizeof layout_names / sizeof layout_names[0])

const char *dla_layout_name(uint32_t layout)
{
    return layout < DLA_FORMAT_NLAYOUTS ? layout_names[layout] : NULL;
}

int dla_layout_from_name(const char *name, uint32_t *layout)
{
    for (uint32_t i = 0; i < DLA_FORMAT_NLAYOUTS; i++)
        if (!strcmp(name, layout_names[i])) {
            *layout = i;
            return 1;
        }
    return 0;
}

/* ---- validation of the in-memory program ---- */

typedef DlaFormatLoc Loc;

static void at(char *buf, size_t n, const Loc *loc, uint64_t base, uint64_t rec, uint64_t recsize)
{
    if (loc)
        snprintf(buf, n, " (record at file offset 0x%llx)", (unsigned long long)(base + rec * recsize));
    else
        buf[0] = 0;
}

static const char *name_problem(const char *s, int may_be_empty)
{
    if (!s)
        return may_be_empty ? NULL : "is missing";
    size_t n = strnlen(s, DLA_FORMAT_NAME_MAX + 1);
    if (n > DLA_FORMAT_NAME_MAX)
        return "is longer than 4096 bytes";
    if (n == 0 && !may_be_empty)
        return "is empty";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return "contains a control character";
    return NULL;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct Range {
    uint32_t first, n, idx;
} Range;

static int cmp_range(const void *a, const void *b)
{
    const Range *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static DlaStatus validate_tensor(const DlaProgram *p, uint32_t i, const Loc *loc, DlaError *err)
{
    const DlaTensorDesc *t = &p->tensors[i];
    char w[80];
    at(w, sizeof w, loc, loc ? loc->tensors_off : 0, i, DLA_FORMAT_TENSOR_BYTES);
    const char *why = name_problem(t->name, 0);
    if (why)
        return dla_errorf(err, DLA_ERR_FORMAT, "tensors: tensor %u%s: name %s", i, w, why);
#define TFAIL(...) do { \
        char m_[512]; \
        snprintf(m_, sizeof m_, __VA_ARGS__); \
        return dla_errorf(err, DLA_ERR_FORMAT, "tensors: tensor %u '%.200s'%s: %s", i, t->name, w, m_); \
    } while (0)
    if (!dla_tensor_role_name(t->role))
        TFAIL("role %u is not input (0), output (1) or intermediate (2)", t->role);
    size_t es = dtype_size(t->dtype);
    if (!es)
        TFAIL("dtype %u is not a fixed-size ONNX element type", t->dtype);
    if (t->layout >= DLA_FORMAT_NLAYOUTS)
        TFAIL("layout %u is unknown (0 row-major, 1 NHWC, 2 NCHWc)", t->layout);
    if (t->rank > 8)
        TFAIL("rank %u exceeds 8", t->rank);
    uint64_t numel = 1;
    int ovf = 0;
    for (uint32_t d = 0; d < 8; d++) {
        if (d >= t->rank) {
            if (t->dims[d] != 0)
                TFAIL("dims[%u] = %lld beyond rank %u must be 0", d, (long long)t->dims[d], t->rank);
            continue;
        }
        if (t->dims[d] < 0)
            TFAIL("dims[%u] = %lld is negative", d, (long long)t->dims[d]);
        uint64_t dv = (uint64_t)t->dims[d];
        if (dv && numel > UINT64_MAX / dv)
            ovf = 1;
        else
            numel *= dv;
    }
    if (ovf || numel > UINT64_MAX / es)
        TFAIL("element count overflows");
    if (t->nbytes < numel * es)
        TFAIL("nbytes %llu is less than the %llu bytes of its shape and dtype", (unsigned long long)t->nbytes,
              (unsigned long long)(numel * es));
    if (!isfinite(t->scale) || t->scale < 0)
        TFAIL("scale %g is not a finite non-negative number", (double)t->scale);
    int64_t zlo = 0, zhi = 0;
    if (t->scale != 0) {
        switch (t->dtype) {
        case 3: zlo = -128, zhi = 127; break;      /* int8 */
        case 2: zlo = 0, zhi = 255; break;         /* uint8 */
        case 5: zlo = -32768, zhi = 32767; break;  /* int16 */
        case 4: zlo = 0, zhi = 65535; break;       /* uint16 */
        default: break;
        }
    }
    if (t->zero_point < zlo || t->zero_point > zhi)
        TFAIL("zero point %d is out of range [%lld, %lld] for dtype %u%s", t->zero_point, (long long)zlo,
              (long long)zhi, t->dtype, t->scale == 0 ? " without a scale" : "");
    if (t->dram_offset < p->const_bytes)
        TFAIL("DRAM offset 0x%llx lies inside the constants [0, 0x%llx)", (unsigned long long)t->dram_offset,
              (unsigned long long)p->const_bytes);
    if (t->dram_offset > p->dram_bytes_used || t->nbytes > p->dram_bytes_used - t->dram_offset)
        TFAIL("DRAM range [0x%llx, +%llu) exceeds the program's DRAM use (%llu bytes)",
              (unsigned long long)t->dram_offset, (unsigned long long)t->nbytes,
              (unsigned long long)p->dram_bytes_used);
#undef TFAIL
    return DLA_OK;
}

static const char *lname(const DlaLayerMap *l) { return l->name ? l->name : ""; }

/* SEGMENTS: known kinds in code order (each starts at or after the end of the
 * one before); a DLA segment is a non-empty code range ending in `end`, the
 * others are empty; tensor indices in range, each at most once per segment;
 * no non-empty layer straddles a DLA segment's boundary. */
static DlaStatus validate_segments(const DlaProgram *p, const Loc *loc, DlaError *err)
{
    if (!p->nsegments)
        return DLA_OK;
    uint8_t *seen = dla_calloc(p->ntensors ? p->ntensors : 1, 1);
    uint32_t *dla = dla_malloc(sizeof *dla * p->nsegments); /* DLA segment indices, in code order */
    uint32_t ndla = 0;
    uint64_t prev_end = 0;
    DlaStatus st = DLA_OK;
    char w[80];
#define SFAIL(...) do { \
        char m_[512]; \
        snprintf(m_, sizeof m_, __VA_ARGS__); \
        st = dla_errorf(err, DLA_ERR_FORMAT, "segments: segment %u%s: %s", i, w, m_); \
        goto done; \
    } while (0)
    for (uint32_t i = 0; i < p->nsegments; i++) {
        const DlaSegmentDesc *g = &p->segments[i];
        at(w, sizeof w, loc, loc ? loc->segments_off : 0, i, DLA_FORMAT_SEGMENT_BYTES);
        if (!dla_seg_kind_name(g->kind))
            SFAIL("kind %u is not host (0), dla (1) or boundary (2)", g->kind);
        if (g->first_insn > p->ninsns || g->ninsns > p->ninsns - g->first_insn)
            SFAIL("instructions [%u, +%u) exceed the code (%u instructions)", g->first_insn, g->ninsns, p->ninsns);
        if (g->first_insn < prev_end)
            SFAIL("starts at instruction %u, before the end of the segment before it (%llu)", g->first_insn,
                  (unsigned long long)prev_end);
        if (g->kind == DLA_SEG_DLA) {
            if (!g->ninsns)
                SFAIL("a dla segment has no instructions");
            DlaInsn in;
            DlaError e = {0};
            if (dla_insn_decode(p->code + (size_t)(g->first_insn + g->ninsns - 1) * DLA_INSN_WORDS, &in, &e) ||
                in.op != DLA_OP_END)
                SFAIL("its last instruction (%u) is not `end`", g->first_insn + g->ninsns - 1);
            dla[ndla++] = i;
        } else if (g->ninsns) {
            SFAIL("a %s segment has %u instructions (only dla segments have code)", dla_seg_kind_name(g->kind),
                  g->ninsns);
        }
        prev_end = (uint64_t)g->first_insn + g->ninsns;
        if (g->ntensors && !g->tensors) {
            st = dla_errorf(err, DLA_ERR_INVALID, "segments: segment %u: %u tensors but no array", i, g->ntensors);
            goto done;
        }
        uint32_t j = 0;
        for (; j < g->ntensors; j++) {
            uint32_t t = g->tensors[j];
            if (t >= p->ntensors)
                SFAIL("tensor reference %u is %u, out of range (%u tensors)", j, t, p->ntensors);
            if (seen[t])
                SFAIL("lists tensor %u '%.200s' twice", t, p->tensors[t].name);
            seen[t] = 1;
        }
        for (uint32_t k = 0; k < g->ntensors; k++)
            seen[g->tensors[k]] = 0;
    }
#undef SFAIL
    /* Layers vs DLA segments (code order: binary search for the last one
     * starting at or before the layer). */
    for (uint32_t l = 0; l < p->nlayers && ndla; l++) {
        const DlaLayerMap *ly = &p->layers[l];
        if (!ly->ninsns)
            continue;
        uint32_t lo = 0, hi = ndla; /* first DLA segment starting after the layer's first instruction */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (p->segments[dla[mid]].first_insn <= ly->first_insn)
                lo = mid + 1;
            else
                hi = mid;
        }
        uint64_t a = ly->first_insn, b = a + ly->ninsns;
        for (uint32_t k = lo ? lo - 1 : 0; k < ndla && k <= lo; k++) {
            const DlaSegmentDesc *g = &p->segments[dla[k]];
            uint64_t sa = g->first_insn, sb = sa + g->ninsns;
            if (a < sb && b > sa && (a < sa || b > sb)) {
                st = dla_errorf(err, DLA_ERR_FORMAT,
                                "segments: layer %u '%.200s' (instructions [%u, +%u)) straddles the boundary of "
                                "segment %u (instructions [%u, +%u))", l, lname(ly), ly->first_insn, ly->ninsns,
                                dla[k], g->first_insn, g->ninsns);
                goto done;
            }
        }
    }
done:
    free(seen);
    free(dla);
    return st;
}

DlaStatus dla_program_validate_at(const DlaProgram *p, const DlaFormatLoc *loc, DlaError *err)
{
    DlaStatus st = dla_target_validate(&p->target, err);
    if (st) {
        dla_error_prefix(err, "target: ");
        return st;
    }
    uint64_t fp = dla_target_fingerprint(&p->target);
    if (p->target.fingerprint != fp)
        return dla_errorf(err, DLA_ERR_FORMAT,
                          "target: fingerprint 0x%016llx does not match the figures of target '%s' (0x%016llx)",
                          (unsigned long long)p->target.fingerprint, p->target.name, (unsigned long long)fp);
    /* A program is only runnable on a target its instruction encoding can address. */
    if ((st = dla_isa_check_target(&p->target, err))) {
        dla_error_prefix(err, "target: ");
        return st;
    }
    if (p->ninsns && !p->code)
        return dla_errorf(err, DLA_ERR_INVALID, "code: %u instructions but no code", p->ninsns);
    if (p->const_bytes && !p->consts)
        return dla_errorf(err, DLA_ERR_INVALID, "consts: %llu bytes but no data", (unsigned long long)p->const_bytes);
    if (p->ntensors && !p->tensors)
        return dla_errorf(err, DLA_ERR_INVALID, "tensors: %u tensors but no array", p->ntensors);
    if (p->nlayers && !p->layers)
        return dla_errorf(err, DLA_ERR_INVALID, "layers: %u layers but no array", p->nlayers);
    if (p->const_bytes > p->dram_bytes_used)
        return dla_errorf(err, DLA_ERR_FORMAT, "header: DRAM use %llu bytes is less than the %llu bytes of constants",
                          (unsigned long long)p->dram_bytes_used, (unsigned long long)p->const_bytes);
    if (p->dram_bytes_used > p->target.dram_bytes)
        return dla_errorf(err, DLA_ERR_LIMIT, "header: DRAM use %llu bytes exceeds target '%s' DRAM (%llu bytes)",
                          (unsigned long long)p->dram_bytes_used, p->target.name,
                          (unsigned long long)p->target.dram_bytes);
    /* Every instruction decodes (opcode, reserved bits, enum fields): the
     * simulator and the disassembler may then trust the encoding. */
    for (uint32_t i = 0; i < p->ninsns; i++) {
        DlaInsn in;
        DlaError e = {0};
        if (dla_insn_decode(p->code + (size_t)i * DLA_INSN_WORDS, &in, &e)) {
            char w[80];
            at(w, sizeof w, loc, loc ? loc->code_off : 0, i, DLA_INSN_WORDS * 4);
            return dla_errorf(err, DLA_ERR_FORMAT, "code: instruction %u%s: %s", i, w, e.msg);
        }
    }
    for (uint32_t i = 0; i < p->ntensors; i++)
        if ((st = validate_tensor(p, i, loc, err)))
            return st;
    if (p->ntensors > 1) { /* names are unique: the runtime binds buffers by name */
        char **names = dla_malloc(sizeof *names * p->ntensors);
        for (uint32_t i = 0; i < p->ntensors; i++)
            names[i] = p->tensors[i].name;
        qsort(names, p->ntensors, sizeof *names, cmp_str_ptr);
        for (uint32_t i = 1; i < p->ntensors; i++)
            if (!strcmp(names[i - 1], names[i])) {
                st = dla_errorf(err, DLA_ERR_FORMAT, "tensors: two tensors are named '%.200s'", names[i]);
                break;
            }
        free(names);
        if (st)
            return st;
    }
    for (uint32_t i = 0; i < p->nlayers; i++) {
        const DlaLayerMap *l = &p->layers[i];
        char w[80];
        at(w, sizeof w, loc, loc ? loc->layers_off : 0, i, DLA_FORMAT_LAYER_BYTES);
        const char *why = name_problem(l->name, 1);
        if (why)
            return dla_errorf(err, DLA_ERR_FORMAT, "layers: layer %u%s: name %s", i, w, why);
        if ((why = name_problem(l->op_type, 0)))
            return dla_errorf(err, DLA_ERR_FORMAT, "layers: layer %u '%.200s'%s: op type %s", i, lname(l), w, why);
        if (l->first_insn > p->ninsns || l->ninsns > p->ninsns - l->first_insn)
            return dla_errorf(err, DLA_ERR_FORMAT,
                              "layers: layer %u '%.200s'%s: instructions [%u, +%u) exceed the code (%u instructions)",
                              i, lname(l), w, l->first_insn, l->ninsns, p->ninsns);
    }
    if (p->nlayers > 1) { /* each instruction belongs to at most one layer */
        Range *r = dla_malloc(sizeof *r * p->nlayers);
        uint32_t nr = 0;
        for (uint32_t i = 0; i < p->nlayers; i++)
            if (p->layers[i].ninsns)
                r[nr++] = (Range){p->layers[i].first_insn, p->layers[i].ninsns, i};
        qsort(r, nr, sizeof *r, cmp_range);
        for (uint32_t i = 1; i < nr; i++)
            if (r[i].first < r[i - 1].first + r[i - 1].n) {
                st = dla_errorf(err, DLA_ERR_FORMAT,
                                "layers: layer %u '%.200s' (instructions [%u, +%u)) overlaps layer %u '%.200s' "
                                "(instructions [%u, +%u))",
                                r[i].idx, lname(&p->layers[r[i].idx]), r[i].first, r[i].n, r[i - 1].idx,
                                lname(&p->layers[r[i - 1].idx]), r[i - 1].first, r[i - 1].n);
                break;
            }
        free(r);
        if (st)
            return st;
    }
    if (p->nsegments && !p->segments)
        return dla_errorf(err, DLA_ERR_INVALID, "segments: %u segments but no array", p->nsegments);
    return validate_segments(p, loc, err);
}

DlaStatus dla_program_validate(const DlaProgram *p, DlaError *err)
{
    return dla_program_validate_at(p, NULL, err);
}

void dla_program_free(DlaProgram *p)
{
    if (!p)
        return;
    free(p->code);
    free(p->consts);
    for (uint32_t i = 0; i < p->ntensors && p->tensors; i++)
        free(p->tensors[i].name);
    free(p->tensors);
    for (uint32_t i = 0; i < p->nlayers && p->layers; i++) {
        free(p->layers[i].name);
        free(p->layers[i].op_type);
    }
    free(p->layers);
    for (uint32_t i = 0; i < p->nsegments && p->segments; i++)
        free(p->segments[i].tensors);
    free(p->segments);
    memset(p, 0, sizeof *p);
}

