/* dla_format.c - writing and reading .dla files (docs/dla-format.md).
 *
 * Reading is written for hostile input: every offset and count is checked
 * against the bytes actually present before it is used, sizes are compared in
 * 64-bit arithmetic that cannot overflow (a - b with a >= b, divisions instead
 * of products), and nothing is allocated before the count that sizes it has
 * been checked against the file size. Checksums are verified before the
 * contents are interpreted, so a random corruption is reported as such; the
 * structural checks after them are what stands between a crafted file (with
 * correct checksums) and the simulator. */
#include "dla_format.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_file.h"
#include "dla_mem.h"
#include "isa.h"

/* ---- CRC-32, slicing-by-8 (8 table look-ups per 8 bytes) ---- */

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_tab[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

uint32_t dla_crc32(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    uint32_t c = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^ crc_tab[5][(lo >> 16) & 0xff] ^
            crc_tab[4][lo >> 24] ^ crc_tab[3][p[4]] ^ crc_tab[2][p[5]] ^ crc_tab[1][p[6]] ^ crc_tab[0][p[7]];
    }
    while (n--)
        c = crc_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

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

/* ---- little-endian access ---- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}
static uint64_t align8(uint64_t v) { return (v + 7) & ~(uint64_t)7; }

/* ---- validation of the in-memory program ---- */

/* Where the records came from, for messages; NULL for in-memory programs. */
typedef struct Loc {
    uint64_t code_off, tensors_off, layers_off, segments_off;
} Loc;

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

static DlaStatus validate(const DlaProgram *p, const Loc *loc, DlaError *err)
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
    return validate(p, NULL, err);
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

/* ---- writer ---- */

typedef struct SecPlan {
    uint32_t kind, count;
    uint64_t off, size;
} SecPlan;

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

DlaStatus dla_program_write_mem(const DlaProgram *p, uint8_t **data, size_t *size, DlaError *err)
{
    *data = NULL;
    *size = 0;
    DlaStatus st = validate(p, NULL, err);
    if (st) {
        dla_error_prefix(err, "cannot write an invalid program: ");
        return st;
    }
    uint64_t strbytes = 0;
    for (uint32_t i = 0; i < p->ntensors; i++)
        strbytes += slen(p->tensors[i].name) + 1;
    for (uint32_t i = 0; i < p->nlayers; i++)
        strbytes += slen(p->layers[i].name) + 1 + slen(p->layers[i].op_type) + 1;
    if (strbytes > UINT32_MAX)
        return dla_errorf(err, DLA_ERR_LIMIT, "cannot write: names take %llu bytes (limit 4 GiB)",
                          (unsigned long long)strbytes);
    uint64_t nrefs = 0; /* tensor indices of all segments; <= nsegments * ntensors (unique per segment) */
    for (uint32_t i = 0; i < p->nsegments; i++)
        nrefs += p->segments[i].ntensors;
    /* Canonical order; the reader accepts any order. */
    SecPlan sec[DLA_FORMAT_NSECTIONS] = {
        {DLA_SEC_TARGET, DLA_TARGET_NFIELDS, 0, 64 + 8 * (uint64_t)DLA_TARGET_NFIELDS},
        {DLA_SEC_CODE, p->ninsns, 0, (uint64_t)p->ninsns * DLA_INSN_WORDS * 4},
        {DLA_SEC_TENSORS, p->ntensors, 0, (uint64_t)p->ntensors * DLA_FORMAT_TENSOR_BYTES},
        {DLA_SEC_LAYERS, p->nlayers, 0, (uint64_t)p->nlayers * DLA_FORMAT_LAYER_BYTES},
        {DLA_SEC_SEGMENTS, p->nsegments, 0, (uint64_t)p->nsegments * DLA_FORMAT_SEGMENT_BYTES + 4 * nrefs},
        {DLA_SEC_STRINGS, 0, 0, strbytes},
        {DLA_SEC_CONSTS, 0, 0, p->const_bytes},
    };
    uint64_t pos = DLA_FORMAT_HEADER_BYTES + DLA_FORMAT_NSECTIONS * DLA_FORMAT_SECTION_BYTES;
    for (int i = 0; i < DLA_FORMAT_NSECTIONS; i++) {
        sec[i].off = align8(pos);
        pos = sec[i].off + sec[i].size;
    }
    if (pos > SIZE_MAX)
        return dla_errorf(err, DLA_ERR_LIMIT, "cannot write: %llu bytes do not fit in memory", (unsigned long long)pos);
    uint8_t *b = dla_calloc(1, (size_t)pos);
    uint8_t *base[DLA_FORMAT_NSECTIONS + 8];
    for (int i = 0; i < DLA_FORMAT_NSECTIONS; i++)
        base[sec[i].kind] = b + sec[i].off;

    /* TARGET: name[64], then one u64 per row of isa/target.def. */
    uint8_t *q = base[DLA_SEC_TARGET];
    memcpy(q, p->target.name, strnlen(p->target.name, sizeof p->target.name));
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++)
        wr64(q + 64 + 8 * i, dla_target_field_get(&p->target, i));
    q = base[DLA_SEC_CODE];
    for (uint64_t i = 0; i < (uint64_t)p->ninsns * DLA_INSN_WORDS; i++)
        wr32(q + 4 * i, p->code[i]);
    if (p->const_bytes)
        memcpy(base[DLA_SEC_CONSTS], p->consts, (size_t)p->const_bytes);
    uint8_t *strs = base[DLA_SEC_STRINGS];
    uint32_t so = 0;
#define PUT_STR(s, rec) do { \
        size_t l_ = slen(s); \
        wr32((rec), so); \
        wr32((rec) + 4, (uint32_t)l_); \
        if (l_) memcpy(strs + so, (s), l_); \
        so += (uint32_t)l_ + 1; /* each string is followed by a NUL (not required by readers) */ \
    } while (0)
    for (uint32_t i = 0; i < p->ntensors; i++) {
        const DlaTensorDesc *t = &p->tensors[i];
        uint8_t *r = base[DLA_SEC_TENSORS] + (size_t)i * DLA_FORMAT_TENSOR_BYTES;
        PUT_STR(t->name, r);
        wr32(r + 8, t->role);
        wr32(r + 12, t->dtype);
        wr32(r + 16, t->layout);
        wr32(r + 20, t->rank);
        for (int d = 0; d < 8; d++)
            wr64(r + 24 + 8 * d, (uint64_t)t->dims[d]);
        uint32_t sb;
        memcpy(&sb, &t->scale, 4);
        wr32(r + 88, sb);
        wr32(r + 92, (uint32_t)t->zero_point);
        wr64(r + 96, t->dram_offset);
        wr64(r + 104, t->nbytes);
    }
    for (uint32_t i = 0; i < p->nlayers; i++) {
        const DlaLayerMap *l = &p->layers[i];
        uint8_t *r = base[DLA_SEC_LAYERS] + (size_t)i * DLA_FORMAT_LAYER_BYTES;
        PUT_STR(l->name, r);
        PUT_STR(l->op_type, r + 8);
        wr32(r + 16, l->first_insn);
        wr32(r + 20, l->ninsns);
        wr64(r + 24, l->macs);
    }
#undef PUT_STR
    DLA_ASSERT(so == strbytes);
    /* SEGMENTS: the records, then every segment's tensor indices in order. */
    q = base[DLA_SEC_SEGMENTS];
    uint8_t *refs = q + (size_t)p->nsegments * DLA_FORMAT_SEGMENT_BYTES;
    for (uint32_t i = 0; i < p->nsegments; i++) {
        const DlaSegmentDesc *g = &p->segments[i];
        uint8_t *r = q + (size_t)i * DLA_FORMAT_SEGMENT_BYTES;
        wr32(r, g->kind);
        wr32(r + 4, g->first_insn);
        wr32(r + 8, g->ninsns);
        wr32(r + 12, g->ntensors);
        for (uint32_t j = 0; j < g->ntensors; j++, refs += 4)
            wr32(refs, g->tensors[j]);
    }
    /* Section table, then the header whose CRC covers header + table. */
    for (int i = 0; i < DLA_FORMAT_NSECTIONS; i++) {
        uint8_t *e = b + DLA_FORMAT_HEADER_BYTES + i * DLA_FORMAT_SECTION_BYTES;
        wr32(e, sec[i].kind);
        wr32(e + 4, sec[i].count);
        wr64(e + 8, sec[i].off);
        wr64(e + 16, sec[i].size);
        wr32(e + 24, dla_crc32(0, b + sec[i].off, (size_t)sec[i].size));
    }
    memcpy(b, DLA_FORMAT_MAGIC, 8);
    wr32(b + 8, DLA_FORMAT_VERSION);
    wr32(b + 12, DLA_FORMAT_HEADER_BYTES);
    wr32(b + 16, DLA_FORMAT_NSECTIONS);
    wr64(b + 24, pos);
    wr64(b + 32, p->target.fingerprint);
    wr64(b + 40, p->dram_bytes_used);
    wr32(b + 48, dla_crc32(0, b, DLA_FORMAT_HEADER_BYTES + DLA_FORMAT_NSECTIONS * DLA_FORMAT_SECTION_BYTES));
    *data = b;
    *size = (size_t)pos;
    return DLA_OK;
}

DlaStatus dla_program_write(const DlaProgram *p, const char *path, DlaError *err)
{
    uint8_t *b;
    size_t n;
    DlaStatus st = dla_program_write_mem(p, &b, &n, err);
    if (st == DLA_OK)
        st = dla_file_write(path, b, n, err);
    else
        dla_error_prefix(err, "%s: ", path);
    free(b);
    return st;
}

/* ---- reader ---- */

typedef struct Sec {
    uint32_t kind, count, crc;
    uint64_t off, size;
    uint64_t entry; /* file offset of its table entry */
} Sec;

/* A string reference (offset, length) into STRINGS at file offset `at`. */
static DlaStatus get_str(const uint8_t *file, const Sec *strs, uint64_t at, const char *what, uint32_t rec,
                         int may_be_empty, char **out, DlaError *err)
{
    uint32_t off = rd32(file + at), len = rd32(file + at + 4);
    *out = NULL;
    if (len > DLA_FORMAT_NAME_MAX)
        return dla_errorf(err, DLA_ERR_FORMAT, "%s %u (file offset 0x%llx): name length %u exceeds %u", what, rec,
                          (unsigned long long)at, len, DLA_FORMAT_NAME_MAX);
    if (off > strs->size || len > strs->size - off)
        return dla_errorf(err, DLA_ERR_FORMAT,
                          "%s %u (file offset 0x%llx): name [%u, +%u) lies outside the strings section (%llu bytes)",
                          what, rec, (unsigned long long)at, off, len, (unsigned long long)strs->size);
    const uint8_t *s = file + strs->off + off;
    for (uint32_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return dla_errorf(err, DLA_ERR_FORMAT,
                              "%s %u (file offset 0x%llx): name has a control byte 0x%02x at strings offset %u",
                              what, rec, (unsigned long long)at, s[i], off + i);
    if (!len && !may_be_empty)
        return dla_errorf(err, DLA_ERR_FORMAT, "%s %u (file offset 0x%llx): empty name", what, rec,
                          (unsigned long long)at);
    char *c = dla_malloc((size_t)len + 1);
    memcpy(c, s, len);
    c[len] = 0;
    *out = c;
    return DLA_OK;
}

static DlaStatus read_sections(const uint8_t *b, size_t n, Sec *by_kind, DlaError *err)
{
    if (n < DLA_FORMAT_HEADER_BYTES)
        return dla_errorf(err, DLA_ERR_FORMAT, "header: truncated: the file has %zu bytes, a .dla header has %d", n,
                          DLA_FORMAT_HEADER_BYTES);
    if (memcmp(b, DLA_FORMAT_MAGIC, 8))
        return dla_errorf(err, DLA_ERR_FORMAT, "header: not a .dla file (bad magic at offset 0)");
    uint32_t ver = rd32(b + 8);
    if (ver != DLA_FORMAT_VERSION)
        return dla_errorf(err, DLA_ERR_UNSUPPORTED,
                          "header: format version %u at offset 0x8 is not supported: the file was written by %s "
                          "dlacc (this one reads version %d only; %s)", ver, ver < DLA_FORMAT_VERSION ? "an older" : "a newer",
                          DLA_FORMAT_VERSION, ver < DLA_FORMAT_VERSION ? "compile the model again" : "use a newer dlacc");
    if (rd32(b + 12) != DLA_FORMAT_HEADER_BYTES)
        return dla_errorf(err, DLA_ERR_FORMAT, "header: header size %u at offset 0xc is not %d", rd32(b + 12),
                          DLA_FORMAT_HEADER_BYTES);
    uint32_t nsec = rd32(b + 16);
    if (nsec != DLA_FORMAT_NSECTIONS)
        return dla_errorf(err, DLA_ERR_FORMAT, "header: section count %u at offset 0x10 is not %d", nsec,
                          DLA_FORMAT_NSECTIONS);
    if (rd32(b + 20))
        return dla_errorf(err, DLA_ERR_FORMAT, "header: unknown flags 0x%x at offset 0x14", rd32(b + 20));
    for (int i = 52; i < 64; i++)
        if (b[i])
            return dla_errorf(err, DLA_ERR_FORMAT, "header: reserved byte at offset 0x%x is not zero", i);
    uint64_t fbytes = rd64(b + 24);
    if (fbytes != n)
        return dla_errorf(err, DLA_ERR_FORMAT, "header: the file has %zu bytes but its header (offset 0x18) says %llu%s",
                          n, (unsigned long long)fbytes, n < fbytes ? " (truncated)" : "");
    uint64_t tab_end = DLA_FORMAT_HEADER_BYTES + (uint64_t)nsec * DLA_FORMAT_SECTION_BYTES;
    if (n < tab_end)
        return dla_errorf(err, DLA_ERR_FORMAT, "header: truncated section table (%zu of %llu bytes)", n,
                          (unsigned long long)tab_end);
    uint8_t hdr[DLA_FORMAT_HEADER_BYTES];
    memcpy(hdr, b, sizeof hdr);
    memset(hdr + 48, 0, 4);
    uint32_t crc = dla_crc32(dla_crc32(0, hdr, sizeof hdr), b + sizeof hdr, (size_t)(tab_end - sizeof hdr));
    if (crc != rd32(b + 48))
        return dla_errorf(err, DLA_ERR_FORMAT,
                          "header: checksum mismatch over header and section table (stored 0x%08x at offset 0x30, "
                          "computed 0x%08x): the file is corrupt", rd32(b + 48), crc);
    /* Sections: each kind once, contiguous in table order, 8-aligned, zero
     * padding, the last one ending exactly at the end of the file. */
    memset(by_kind, 0, sizeof *by_kind * (DLA_FORMAT_NSECTIONS + 1));
    uint64_t pos = tab_end;
    for (uint32_t i = 0; i < nsec; i++) {
        const uint8_t *e = b + DLA_FORMAT_HEADER_BYTES + (uint64_t)i * DLA_FORMAT_SECTION_BYTES;
        Sec s = {rd32(e), rd32(e + 4), rd32(e + 24), rd64(e + 8), rd64(e + 16), (uint64_t)(e - b)};
        const char *nm = dla_section_name(s.kind);
        if (!nm)
            return dla_errorf(err, DLA_ERR_FORMAT, "section table entry %u (offset 0x%llx): unknown section kind %u", i,
                              (unsigned long long)s.entry, s.kind);
        if (by_kind[s.kind].kind)
            return dla_errorf(err, DLA_ERR_FORMAT, "section table entry %u (offset 0x%llx): second %s section", i,
                              (unsigned long long)s.entry, nm);
        if (rd32(e + 28))
            return dla_errorf(err, DLA_ERR_FORMAT, "%s section table entry (offset 0x%llx): reserved field is not zero",
                              nm, (unsigned long long)s.entry);
        if (s.off != align8(pos))
            return dla_errorf(err, DLA_ERR_FORMAT,
                              "%s section: offset 0x%llx (entry at 0x%llx) is not 0x%llx, the 8-aligned end of "
                              "what precedes it", nm, (unsigned long long)s.off, (unsigned long long)s.entry,
                              (unsigned long long)align8(pos));
        if (s.off > n || s.size > n - s.off)
            return dla_errorf(err, DLA_ERR_FORMAT, "%s section: [0x%llx, +%llu) extends past the end of the file (%zu bytes)",
                              nm, (unsigned long long)s.off, (unsigned long long)s.size, n);
        for (uint64_t k = pos; k < s.off; k++)
            if (b[k])
                return dla_errorf(err, DLA_ERR_FORMAT, "%s section: padding byte at offset 0x%llx is not zero", nm,
                                  (unsigned long long)k);
        uint32_t c = dla_crc32(0, b + s.off, (size_t)s.size);
        if (c != s.crc)
            return dla_errorf(err, DLA_ERR_FORMAT,
                              "%s section at offset 0x%llx: checksum mismatch (stored 0x%08x, computed 0x%08x): "
                              "the file is corrupt", nm, (unsigned long long)s.off, s.crc, c);
        by_kind[s.kind] = s;
        pos = s.off + s.size;
    }
    if (pos != n)
        return dla_errorf(err, DLA_ERR_FORMAT, "%zu bytes after the last section (offset 0x%llx)", n - (size_t)pos,
                          (unsigned long long)pos);
    /* Counts against sizes, before anything is allocated from them. */
    struct { uint32_t kind; uint64_t recsize, fixed; } shape[] = {
        {DLA_SEC_TARGET, 8, 64}, {DLA_SEC_CODE, DLA_INSN_WORDS * 4, 0},
        {DLA_SEC_TENSORS, DLA_FORMAT_TENSOR_BYTES, 0}, {DLA_SEC_LAYERS, DLA_FORMAT_LAYER_BYTES, 0},
        {DLA_SEC_CONSTS, 0, 0}, {DLA_SEC_STRINGS, 0, 0}, {DLA_SEC_SEGMENTS, 0, 0}};
    for (size_t i = 0; i < sizeof shape / sizeof shape[0]; i++) {
        const Sec *s = &by_kind[shape[i].kind];
        const char *nm = dla_section_name(s->kind);
        if (s->kind == DLA_SEC_SEGMENTS) { /* records, then u32 tensor indices (their sum is checked on reading) */
            if (s->size / DLA_FORMAT_SEGMENT_BYTES < s->count ||
                (s->size - (uint64_t)s->count * DLA_FORMAT_SEGMENT_BYTES) % 4)
                return dla_errorf(err, DLA_ERR_FORMAT,
                                  "%s section (entry at 0x%llx): count %u does not fit its size of %llu bytes "
                                  "(%d per record, then 4 per tensor index)", nm, (unsigned long long)s->entry,
                                  s->count, (unsigned long long)s->size, DLA_FORMAT_SEGMENT_BYTES);
            continue;
        }
        if (!shape[i].recsize) {
            if (s->count)
                return dla_errorf(err, DLA_ERR_FORMAT, "%s section (entry at 0x%llx): count %u must be 0", nm,
                                  (unsigned long long)s->entry, s->count);
            continue;
        }
        if (s->size < shape[i].fixed || (s->size - shape[i].fixed) % shape[i].recsize ||
            (s->size - shape[i].fixed) / shape[i].recsize != s->count)
            return dla_errorf(err, DLA_ERR_FORMAT,
                              "%s section (entry at 0x%llx): count %u does not match its size of %llu bytes "
                              "(%llu + %llu per record)", nm, (unsigned long long)s->entry, s->count,
                              (unsigned long long)s->size, (unsigned long long)shape[i].fixed,
                              (unsigned long long)shape[i].recsize);
    }
    if (by_kind[DLA_SEC_TARGET].count != DLA_TARGET_NFIELDS)
        return dla_errorf(err, DLA_ERR_UNSUPPORTED,
                          "target section: %u target figures, this dlacc knows %d (isa/target.def)",
                          by_kind[DLA_SEC_TARGET].count, DLA_TARGET_NFIELDS);
    return DLA_OK;
}

DlaStatus dla_program_read_mem(const void *data, size_t n, DlaProgram *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    const uint8_t *b = data;
    Sec sec[DLA_FORMAT_NSECTIONS + 1];
    DlaStatus st = read_sections(b, n, sec, err);
    if (st)
        return st;
    DlaProgram *p = out;

    /* Target. */
    const uint8_t *t = b + sec[DLA_SEC_TARGET].off;
    size_t nl = strnlen((const char *)t, sizeof p->target.name);
    if (nl == sizeof p->target.name)
        return dla_errorf(err, DLA_ERR_FORMAT, "target section (offset 0x%llx): name is not NUL-terminated",
                          (unsigned long long)sec[DLA_SEC_TARGET].off);
    for (size_t i = nl; i < sizeof p->target.name; i++)
        if (t[i])
            return dla_errorf(err, DLA_ERR_FORMAT, "target section: name padding byte at offset 0x%llx is not zero",
                              (unsigned long long)(sec[DLA_SEC_TARGET].off + i));
    memcpy(p->target.name, t, nl);
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++) {
        uint64_t v = rd64(t + 64 + 8 * i);
        dla_target_field_set(&p->target, i, v);
        if (dla_target_field_get(&p->target, i) != v) {
            memset(p, 0, sizeof *p);
            return dla_errorf(err, DLA_ERR_FORMAT, "target section (offset 0x%llx): %s = %llu does not fit its field",
                              (unsigned long long)(sec[DLA_SEC_TARGET].off + 64 + 8 * i), dla_target_field_name(i),
                              (unsigned long long)v);
        }
    }
    if ((st = dla_target_validate(&p->target, err))) {
        memset(p, 0, sizeof *p);
        dla_error_prefix(err, "target section (offset 0x%llx): ", (unsigned long long)sec[DLA_SEC_TARGET].off);
        return st;
    }
    p->target.fingerprint = dla_target_fingerprint(&p->target);
    if (p->target.fingerprint != rd64(b + 32)) {
        st = dla_errorf(err, DLA_ERR_FORMAT,
                        "header: target fingerprint 0x%016llx (offset 0x20) does not match the embedded figures of "
                        "target '%s' (0x%016llx)", (unsigned long long)rd64(b + 32), p->target.name,
                        (unsigned long long)p->target.fingerprint);
        memset(p, 0, sizeof *p);
        return st;
    }
    p->dram_bytes_used = rd64(b + 40);

    /* Code and constants (sizes were checked against the file). */
    p->ninsns = sec[DLA_SEC_CODE].count;
    if (p->ninsns) {
        const uint8_t *c = b + sec[DLA_SEC_CODE].off;
        size_t nw = (size_t)p->ninsns * DLA_INSN_WORDS;
        p->code = dla_malloc(nw * 4);
        for (size_t i = 0; i < nw; i++)
            p->code[i] = rd32(c + 4 * i);
    }
    p->const_bytes = sec[DLA_SEC_CONSTS].size;
    if (p->const_bytes) {
        p->consts = dla_malloc((size_t)p->const_bytes);
        memcpy(p->consts, b + sec[DLA_SEC_CONSTS].off, (size_t)p->const_bytes);
    }

    /* Tensors and layers; counts are set as entries are filled, so that
     * dla_program_free releases exactly what exists on an early error. */
    const Sec *strs = &sec[DLA_SEC_STRINGS];
    uint32_t nt = sec[DLA_SEC_TENSORS].count;
    p->tensors = nt ? dla_calloc(nt, sizeof *p->tensors) : NULL;
    for (uint32_t i = 0; i < nt; i++) {
        uint64_t at = sec[DLA_SEC_TENSORS].off + (uint64_t)i * DLA_FORMAT_TENSOR_BYTES;
        const uint8_t *r = b + at;
        DlaTensorDesc *d = &p->tensors[i];
        p->ntensors = i + 1;
        if ((st = get_str(b, strs, at, "tensor", i, 0, &d->name, err)))
            goto fail;
        d->role = rd32(r + 8);
        d->dtype = rd32(r + 12);
        d->layout = rd32(r + 16);
        d->rank = rd32(r + 20);
        for (int k = 0; k < 8; k++)
            d->dims[k] = (int64_t)rd64(r + 24 + 8 * k);
        uint32_t sb = rd32(r + 88);
        memcpy(&d->scale, &sb, 4);
        d->zero_point = (int32_t)rd32(r + 92);
        d->dram_offset = rd64(r + 96);
        d->nbytes = rd64(r + 104);
    }
    uint32_t nly = sec[DLA_SEC_LAYERS].count;
    p->layers = nly ? dla_calloc(nly, sizeof *p->layers) : NULL;
    for (uint32_t i = 0; i < nly; i++) {
        uint64_t at = sec[DLA_SEC_LAYERS].off + (uint64_t)i * DLA_FORMAT_LAYER_BYTES;
        const uint8_t *r = b + at;
        DlaLayerMap *l = &p->layers[i];
        p->nlayers = i + 1;
        if ((st = get_str(b, strs, at, "layer", i, 1, &l->name, err)) ||
            (st = get_str(b, strs, at + 8, "layer", i, 0, &l->op_type, err)))
            goto fail;
        l->first_insn = rd32(r + 16);
        l->ninsns = rd32(r + 20);
        l->macs = rd64(r + 24);
    }
    /* Segments: the indices after the records must be exactly the ones the
     * records count, before any list is allocated. */
    const Sec *sg = &sec[DLA_SEC_SEGMENTS];
    uint32_t nsg = sg->count;
    uint64_t nrefs = (sg->size - (uint64_t)nsg * DLA_FORMAT_SEGMENT_BYTES) / 4, sum = 0;
    for (uint32_t i = 0; i < nsg; i++)
        sum += rd32(b + sg->off + (uint64_t)i * DLA_FORMAT_SEGMENT_BYTES + 12);
    if (sum != nrefs) {
        st = dla_errorf(err, DLA_ERR_FORMAT,
                        "segments section (offset 0x%llx): the records list %llu tensor indices, the section holds "
                        "%llu", (unsigned long long)sg->off, (unsigned long long)sum, (unsigned long long)nrefs);
        goto fail;
    }
    p->segments = nsg ? dla_calloc(nsg, sizeof *p->segments) : NULL;
    const uint8_t *ref = b + sg->off + (uint64_t)nsg * DLA_FORMAT_SEGMENT_BYTES;
    for (uint32_t i = 0; i < nsg; i++) {
        const uint8_t *r = b + sg->off + (uint64_t)i * DLA_FORMAT_SEGMENT_BYTES;
        DlaSegmentDesc *g = &p->segments[i];
        p->nsegments = i + 1;
        g->kind = rd32(r);
        g->first_insn = rd32(r + 4);
        g->ninsns = rd32(r + 8);
        g->ntensors = rd32(r + 12);
        if (g->ntensors) {
            g->tensors = dla_malloc(sizeof *g->tensors * g->ntensors);
            for (uint32_t j = 0; j < g->ntensors; j++, ref += 4)
                g->tensors[j] = rd32(ref);
        }
    }
    Loc loc = {sec[DLA_SEC_CODE].off, sec[DLA_SEC_TENSORS].off, sec[DLA_SEC_LAYERS].off, sg->off};
    if ((st = validate(p, &loc, err)))
        goto fail;
    return DLA_OK;
fail:
    dla_program_free(p);
    return st;
}

DlaStatus dla_program_read(const char *path, DlaProgram *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    DlaMapped m;
    DlaStatus st = dla_file_map(path, &m, err);
    if (st)
        return st;
    st = dla_program_read_mem(m.data, m.size, out, err);
    dla_file_unmap(&m);
    if (st)
        dla_error_prefix(err, "%s: ", path);
    return st;
}
