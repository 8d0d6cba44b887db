/* dla_format.c - writing and reading .dla files (docs/dla-format.md); the
 * invariants both rely on are dla_validate.c's.
 *
 * Reading is written for hostile input: every offset and count is checked
 * against the bytes actually present before it is used, sizes are compared in
 * 64-bit arithmetic that cannot overflow (a - b with a >= b, divisions instead
 * of products), and nothing is allocated before the count that sizes it has
 * been checked against the file size. Checksums are verified before the
 * contents are interpreted, so a random corruption is reported as such; the
 * structural checks after them are what stands between a crafted file (with
 * correct checksums) and the simulator. */
#include "dla_format_int.h"

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
    DlaStatus st = dla_program_validate_at(p, NULL, err);
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
    DlaFormatLoc loc = {sec[DLA_SEC_CODE].off, sec[DLA_SEC_TENSORS].off, sec[DLA_SEC_LAYERS].off, sg->off};
    if ((st = dla_program_validate_at(p, &loc, err)))
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
