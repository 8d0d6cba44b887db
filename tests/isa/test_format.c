/* test_format.c - the .dla container: write/read round trip of a program with
 * every field set, the in-memory invariants, and corrupt files: truncation at
 * every offset, every bit of the header and section table flipped, random
 * damage elsewhere, and crafted files with valid checksums (hostile counts,
 * offsets, names and figures). A crafted file may be accepted only if it is
 * valid; nothing may crash (this also runs under ASan + UBSan). */
#include "dla_test.h"
#include "isa/dla_format.h"
#include "isa/isa.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dla_mem.h"

static char *xstrdup(const char *s) { return s ? dla_strdup(s) : NULL; }

/* A program for dla-edge with every field of every record set. */
static void make_program(DlaProgram *p)
{
    memset(p, 0, sizeof *p);
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &p->target, &err), DLA_OK);
    p->ninsns = 10;
    p->code = dla_malloc(p->ninsns * DLA_INSN_WORDS * 4);
    for (uint32_t i = 0; i < p->ninsns; i++) { /* every opcode, fields at defaults, END last */
        DlaInsn in;
        dla_insn_init(&in, i + 1 == p->ninsns ? DLA_OP_END : (DlaOpcode)(i % DLA_OP_COUNT));
        CU_ASSERT_EQUAL_FATAL(dla_insn_encode(&in, p->code + i * DLA_INSN_WORDS, &err), DLA_OK);
    }
    p->code[2 * DLA_INSN_WORDS] |= 0x55u << 16; /* insn 2 is a LOAD: a distinctive pad value */
    p->const_bytes = 1001; /* not a multiple of 8: the next section needs padding */
    p->consts = dla_malloc(p->const_bytes);
    for (uint64_t i = 0; i < p->const_bytes; i++)
        p->consts[i] = (uint8_t)(i * 7 + 3);
    p->dram_bytes_used = 65536;
    p->ntensors = 3;
    p->tensors = dla_calloc(3, sizeof *p->tensors);
    DlaTensorDesc *t = p->tensors;
    t[0] = (DlaTensorDesc){xstrdup("input.1"), DLA_TENSOR_INPUT, 3, 2, 4, {1, 3, 32, 32}, 0.0078125f, -5, 4096, 3072};
    t[1] = (DlaTensorDesc){xstrdup("logits"), DLA_TENSOR_OUTPUT, 2, 0, 2, {1, 10}, 0.25f, 128, 8192, 16};
    t[2] = (DlaTensorDesc){xstrdup("host/mid"), DLA_TENSOR_INTERMEDIATE, 1, 1, 8, {1, 2, 3, 4, 5, 6, 7, 8}, 0.0f, 0,
                           16384, 161280};
    p->dram_bytes_used = 16384 + 161280;
    p->nlayers = 3;
    p->layers = dla_calloc(3, sizeof *p->layers);
    p->layers[0] = (DlaLayerMap){xstrdup("conv1"), xstrdup("Conv"), 0, 4, 123456789012ull};
    p->layers[1] = (DlaLayerMap){xstrdup(""), xstrdup("Relu"), 4, 0, 0};
    p->layers[2] = (DlaLayerMap){xstrdup("fc"), xstrdup("Gemm"), 5, 5, 640};
    /* host, then the code as one DLA segment, then a boundary and an empty host segment */
    static const uint32_t kinds[4] = {DLA_SEG_HOST, DLA_SEG_DLA, DLA_SEG_BOUNDARY, DLA_SEG_HOST};
    static const uint32_t first[4] = {0, 0, 10, 10}, n[4] = {0, 10, 0, 0};
    static const uint32_t refs[4][3] = {{0}, {2, 0, 1}, {1}, {0}}, nrefs[4] = {1, 3, 1, 0};
    p->nsegments = 4;
    p->segments = dla_calloc(4, sizeof *p->segments);
    for (int k = 0; k < 4; k++) {
        DlaSegmentDesc *g = &p->segments[k];
        *g = (DlaSegmentDesc){kinds[k], first[k], n[k], NULL, nrefs[k]};
        g->tensors = nrefs[k] ? dla_malloc(nrefs[k] * sizeof *g->tensors) : NULL;
        if (nrefs[k])
            memcpy(g->tensors, refs[k], nrefs[k] * sizeof *g->tensors);
    }
}

static void assert_same(const DlaProgram *a, const DlaProgram *b)
{
    CU_ASSERT(memcmp(&a->target, &b->target, sizeof a->target) == 0);
    CU_ASSERT_EQUAL_FATAL(a->ninsns, b->ninsns);
    CU_ASSERT(memcmp(a->code, b->code, a->ninsns * DLA_INSN_WORDS * 4) == 0);
    CU_ASSERT_EQUAL_FATAL(a->const_bytes, b->const_bytes);
    CU_ASSERT(memcmp(a->consts, b->consts, a->const_bytes) == 0);
    CU_ASSERT_EQUAL(a->dram_bytes_used, b->dram_bytes_used);
    CU_ASSERT_EQUAL_FATAL(a->ntensors, b->ntensors);
    for (uint32_t i = 0; i < a->ntensors; i++) {
        const DlaTensorDesc *x = &a->tensors[i], *y = &b->tensors[i];
        CU_ASSERT_STRING_EQUAL(x->name, y->name);
        CU_ASSERT(x->role == y->role && x->dtype == y->dtype && x->layout == y->layout && x->rank == y->rank);
        CU_ASSERT(memcmp(x->dims, y->dims, sizeof x->dims) == 0);
        CU_ASSERT(memcmp(&x->scale, &y->scale, 4) == 0);
        CU_ASSERT(x->zero_point == y->zero_point && x->dram_offset == y->dram_offset && x->nbytes == y->nbytes);
    }
    CU_ASSERT_EQUAL_FATAL(a->nlayers, b->nlayers);
    for (uint32_t i = 0; i < a->nlayers; i++) {
        const DlaLayerMap *x = &a->layers[i], *y = &b->layers[i];
        CU_ASSERT_STRING_EQUAL(x->name, y->name);
        CU_ASSERT_STRING_EQUAL(x->op_type, y->op_type);
        CU_ASSERT(x->first_insn == y->first_insn && x->ninsns == y->ninsns && x->macs == y->macs);
    }
    CU_ASSERT_EQUAL_FATAL(a->nsegments, b->nsegments);
    for (uint32_t i = 0; i < a->nsegments; i++) {
        const DlaSegmentDesc *x = &a->segments[i], *y = &b->segments[i];
        CU_ASSERT(x->kind == y->kind && x->first_insn == y->first_insn && x->ninsns == y->ninsns);
        CU_ASSERT_EQUAL_FATAL(x->ntensors, y->ntensors);
        for (uint32_t j = 0; j < x->ntensors; j++)
            CU_ASSERT_EQUAL(x->tensors[j], y->tensors[j]);
    }
}

static void test_round_trip(void)
{
    DlaProgram p, q;
    DlaError err = {0};
    make_program(&p);
    uint8_t *b, *b2;
    size_t n, n2;
    CU_ASSERT_EQUAL_FATAL(dla_program_write_mem(&p, &b, &n, &err), DLA_OK);
    CU_ASSERT_EQUAL(n % 1, 0);
    CU_ASSERT(memcmp(b, DLA_FORMAT_MAGIC, 8) == 0);
    CU_ASSERT_EQUAL_FATAL(dla_program_read_mem(b, n, &q, &err), DLA_OK);
    assert_same(&p, &q);
    /* Writing what was read gives the same bytes: the encoding is canonical. */
    CU_ASSERT_EQUAL_FATAL(dla_program_write_mem(&q, &b2, &n2, &err), DLA_OK);
    CU_ASSERT(n == n2 && memcmp(b, b2, n) == 0);
    free(b2);
    dla_program_free(&q);
    CU_ASSERT_PTR_NULL(q.code); /* freed and cleared */

    /* Through a file. */
    char path[] = "/tmp/dlafmtXXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    CU_ASSERT_EQUAL_FATAL(dla_program_write(&p, path, &err), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_program_read(path, &q, &err), DLA_OK);
    assert_same(&p, &q);
    dla_program_free(&q);
    unlink(path);
    CU_ASSERT_EQUAL(dla_program_read(path, &q, &err), DLA_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));

    /* The empty program (no code, constants, tensors or layers) is valid too. */
    DlaProgram e = {0};
    e.target = p.target;
    CU_ASSERT_EQUAL(dla_program_write_mem(&e, &b2, &n2, &err), DLA_OK);
    CU_ASSERT_EQUAL(n2, 64 + 7 * 32 + 64 + 8 * DLA_TARGET_NFIELDS); /* 7 sections since version 2 */
    CU_ASSERT_EQUAL(dla_program_read_mem(b2, n2, &q, &err), DLA_OK);
    CU_ASSERT_EQUAL(q.ninsns + q.ntensors + q.nlayers + q.const_bytes + q.nsegments, 0);
    dla_program_free(&q);
    free(b2);
    free(b);
    dla_program_free(&p);
}

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* The byte layout, field by field, as docs/dla-format.md states it: an
 * independent reading of the writer's output that pins the format. */
static void test_layout(void)
{
    DlaProgram p;
    DlaError err = {0};
    make_program(&p);
    uint8_t *b;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(dla_program_write_mem(&p, &b, &n, &err), DLA_OK);
    static const uint8_t magic[8] = {0x89, 'D', 'L', 'A', 0x0d, 0x0a, 0x1a, 0x0a};
    CU_ASSERT(memcmp(b, magic, 8) == 0);
    CU_ASSERT_EQUAL(get32(b + 8), 2);
    CU_ASSERT_EQUAL(get32(b + 12), 64);
    CU_ASSERT_EQUAL(get32(b + 16), 7);
    CU_ASSERT_EQUAL(get32(b + 20), 0);
    CU_ASSERT_EQUAL(get64(b + 24), n);
    CU_ASSERT_EQUAL(get64(b + 32), p.target.fingerprint);
    CU_ASSERT_EQUAL(get64(b + 40), p.dram_bytes_used);
    uint8_t h[64 + 7 * 32];
    memcpy(h, b, sizeof h);
    memset(h + 48, 0, 4);
    CU_ASSERT_EQUAL(get32(b + 48), dla_crc32(0, h, sizeof h));
    for (int i = 52; i < 64; i++)
        CU_ASSERT_EQUAL(b[i], 0);
    /* Writer order TARGET, CODE, TENSORS, LAYERS, SEGMENTS, STRINGS, CONSTS; contiguous, 8-aligned. */
    static const uint32_t kinds[7] = {1, 2, 4, 5, 7, 6, 3};
    uint64_t pos = 64 + 7 * 32, off[8], size[8];
    for (int i = 0; i < 7; i++) {
        const uint8_t *e = b + 64 + 32 * i;
        uint64_t o = get64(e + 8), sz = get64(e + 16);
        CU_ASSERT_EQUAL(get32(e), kinds[i]);
        CU_ASSERT_EQUAL(o, (pos + 7) & ~7ull);
        CU_ASSERT_EQUAL(get32(e + 24), dla_crc32(0, b + o, sz));
        CU_ASSERT_EQUAL(get32(e + 28), 0);
        off[kinds[i]] = o;
        size[kinds[i]] = sz;
        pos = o + sz;
    }
    CU_ASSERT_EQUAL(pos, n);
    CU_ASSERT_EQUAL(get32(b + 64 + 4), DLA_TARGET_NFIELDS);
    CU_ASSERT_EQUAL(get32(b + 64 + 32 + 4), p.ninsns);
    CU_ASSERT_EQUAL(get32(b + 64 + 64 + 4), p.ntensors);
    /* TARGET: name[64], then u64 figures in target.def order. */
    CU_ASSERT_STRING_EQUAL((const char *)b + off[1], "dla-edge");
    CU_ASSERT_EQUAL(get64(b + off[1] + 64), 16);                 /* gemm_rows */
    CU_ASSERT_EQUAL(get64(b + off[1] + 64 + 8 * 3), 128 * 1024); /* inp_sram_bytes */
    CU_ASSERT_EQUAL(get64(b + off[1] + 64 + 8 * 12), 1000000000ull);
    /* CODE: little-endian words. */
    CU_ASSERT_EQUAL(get32(b + off[2] + 4 * 8), p.code[8]);
    /* CONSTS: verbatim. */
    CU_ASSERT(memcmp(b + off[3], p.consts, p.const_bytes) == 0);
    /* TENSORS record 0. */
    const uint8_t *t = b + off[4];
    CU_ASSERT(memcmp(b + off[6] + get32(t), "input.1", 7) == 0);
    CU_ASSERT_EQUAL(get32(t + 4), 7);
    CU_ASSERT_EQUAL(get32(t + 8), DLA_TENSOR_INPUT);
    CU_ASSERT_EQUAL(get32(t + 12), 3);
    CU_ASSERT_EQUAL(get32(t + 16), 2);
    CU_ASSERT_EQUAL(get32(t + 20), 4);
    CU_ASSERT_EQUAL(get64(t + 24 + 8 * 2), 32);
    CU_ASSERT_EQUAL(get64(t + 24 + 8 * 4), 0);
    float sc;
    uint32_t sb = get32(t + 88);
    memcpy(&sc, &sb, 4);
    CU_ASSERT_EQUAL(sc, 0.0078125f);
    CU_ASSERT_EQUAL((int32_t)get32(t + 92), -5);
    CU_ASSERT_EQUAL(get64(t + 96), 4096);
    CU_ASSERT_EQUAL(get64(t + 104), 3072);
    /* LAYERS record 2. */
    const uint8_t *l = b + off[5] + 2 * 32;
    CU_ASSERT(memcmp(b + off[6] + get32(l), "fc", 2) == 0 && get32(l + 4) == 2);
    CU_ASSERT(memcmp(b + off[6] + get32(l + 8), "Gemm", 4) == 0 && get32(l + 12) == 4);
    CU_ASSERT_EQUAL(get32(l + 16), 5);
    CU_ASSERT_EQUAL(get32(l + 20), 5);
    CU_ASSERT_EQUAL(get64(l + 24), 640);
    /* SEGMENTS: 4 records of 16 bytes (kind, first, n, ntensors), then the 5 indices. */
    CU_ASSERT_EQUAL(get32(b + 64 + 4 * 32 + 4), 4);
    CU_ASSERT_EQUAL(size[7], 4 * 16 + 5 * 4);
    const uint8_t *g = b + off[7] + 16;
    CU_ASSERT(get32(g) == DLA_SEG_DLA && get32(g + 4) == 0 && get32(g + 8) == 10 && get32(g + 12) == 3);
    g = b + off[7] + 2 * 16;
    CU_ASSERT(get32(g) == DLA_SEG_BOUNDARY && get32(g + 4) == 10 && get32(g + 8) == 0 && get32(g + 12) == 1);
    const uint8_t *ix = b + off[7] + 4 * 16;
    CU_ASSERT(get32(ix) == 0 && get32(ix + 4) == 2 && get32(ix + 8) == 0 && get32(ix + 12) == 1 && get32(ix + 16) == 1);
    free(b);
    dla_program_free(&p);
}

static void test_crc32(void)
{
    /* The standard check value of CRC-32/ISO-HDLC (zlib's crc32). */
    CU_ASSERT_EQUAL(dla_crc32(0, "123456789", 9), 0xcbf43926u);
    CU_ASSERT_EQUAL(dla_crc32(0, "", 0), 0);
    /* Incremental == one shot, across the 8-byte fast path. */
    char buf[100];
    for (int i = 0; i < 100; i++)
        buf[i] = (char)(i * 31);
    CU_ASSERT_EQUAL(dla_crc32(dla_crc32(0, buf, 37), buf + 37, 63), dla_crc32(0, buf, 100));
}

/* In-memory invariants: each broken program is refused by the writer with the expected message. */
static void test_validate(void)
{
    struct { int what; const char *expect; } cases[] = {
        {0, "two tensors are named 'input.1'"},
        {1, "overlaps layer"},
        {2, "exceeds the program's DRAM use"},
        {3, "fingerprint"},
        {4, "zero point 300 is out of range [-128, 127]"},
        {5, "scale nan is not a finite"},
        {6, "dims[5] = 7 beyond rank 4 must be 0"},
        {7, "exceeds target 'dla-edge' DRAM"},
        {8, "lies inside the constants"},
        {9, "exceed the code (10 instructions)"},
        {10, "op type is empty"},
        {11, "dtype 8 is not a fixed-size"},
        {12, "role 3 is not"},
        {13, "name contains a control character"},
        {14, "nbytes 3071 is less than the 3072 bytes"},
        {15, "target: "},
        {16, "zero point 1 is out of range [0, 0] for dtype 1 without a scale"},
        {17, "layout 3 is unknown"},
        {18, "code: instruction 9: "},
        {19, "target: target big: DRAM beyond 4 GiB is not addressable"},
        {20, "segments: segment 1: kind 3 is not host (0), dla (1) or boundary (2)"},
        {21, "segments: segment 1: instructions [0, +11) exceed the code (10 instructions)"},
        {22, "segments: segment 1: tensor reference 2 is 3, out of range (3 tensors)"},
        {23, "segments: segment 1: lists tensor 0 'input.1' twice"},
        {24, "segments: segment 0: a host segment has 1 instructions"},
        {25, "segments: segment 1: its last instruction (8) is not `end`"},
        {26, "segments: segment 2: starts at instruction 5, before the end of the segment before it (10)"},
        {27, "segments: layer 0 'conv1' (instructions [0, +4)) straddles the boundary of segment 1"},
        {28, "segments: segment 1: a dla segment has no instructions"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        DlaProgram p;
        DlaError err = {0};
        make_program(&p);
        switch (cases[c].what) {
        case 0: free(p.tensors[2].name); p.tensors[2].name = xstrdup("input.1"); break;
        case 1: p.layers[2].first_insn = 3; p.layers[2].ninsns = 2; break;
        case 2: p.tensors[1].nbytes = p.dram_bytes_used; break;
        case 3: p.target.dram_latency_cycles++; break;
        case 4: p.tensors[0].zero_point = 300; break;
        case 5: p.tensors[0].scale = NAN; break;
        case 6: p.tensors[0].dims[5] = 7; break;
        case 7: p.dram_bytes_used = p.target.dram_bytes + 1; break;
        case 8: p.tensors[0].dram_offset = 1000; break;
        case 9: p.layers[2].ninsns = 6; break;
        case 10: p.layers[0].op_type[0] = 0; break;
        case 11: p.tensors[1].dtype = 8; break;
        case 12: p.tensors[1].role = 3; break;
        case 13: p.tensors[1].name[1] = '\n'; break;
        case 14: p.tensors[0].nbytes = 3071; break;
        case 15: p.target.gemm_rows = 3; p.target.fingerprint = dla_target_fingerprint(&p.target); break;
        case 16: p.tensors[2].zero_point = 1; break;
        case 17: p.tensors[2].layout = 3; break;
        case 18: p.code[9 * DLA_INSN_WORDS + 3] = 1; break; /* END's reserved bits */
        case 19: /* a valid target that the ISA cannot address */
            strcpy(p.target.name, "big");
            p.target.dram_bytes = 1ull << 33;
            p.target.fingerprint = dla_target_fingerprint(&p.target);
            break;
        case 20: p.segments[1].kind = 3; break;
        case 21: p.segments[1].ninsns = 11; break;
        case 22: p.segments[1].tensors[2] = 3; break;
        case 23: p.segments[1].tensors[2] = 0; break;
        case 24: p.segments[0].ninsns = 1; break;
        case 25: p.segments[1].ninsns = 9; p.segments[2].first_insn = p.segments[3].first_insn = 9; break;
        case 26: p.segments[2].first_insn = 5; break;
        case 27: p.segments[1].ninsns = 1; p.segments[2].first_insn = p.segments[3].first_insn = 1; break;
        case 28: p.segments[1].ninsns = 0; break;
        }
        uint8_t *b = NULL;
        size_t n = 0;
        DlaStatus st = dla_program_write_mem(&p, &b, &n, &err);
        CU_ASSERT_NOT_EQUAL(st, DLA_OK);
        CU_ASSERT_PTR_NULL(b);
        if (!strstr(err.msg, cases[c].expect))
            fprintf(stderr, "case %d: got \"%s\", want \"%s\"\n", cases[c].what, err.msg, cases[c].expect);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[c].expect));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot write an invalid program"));
        dla_program_free(&p);
    }
}

/* ---- corrupt files ---- */

static uint8_t *good_file(size_t *n)
{
    DlaProgram p;
    DlaError err = {0};
    uint8_t *b = NULL;
    make_program(&p);
    CU_ASSERT_EQUAL(dla_program_write_mem(&p, &b, n, &err), DLA_OK);
    dla_program_free(&p);
    return b;
}

static int nread_ok, nread_err;

/* Read a damaged image: must fail cleanly (message, empty program) unless `may_pass`. */
static void expect_reject(const uint8_t *b, size_t n, int may_pass, const char *what, long k)
{
    DlaProgram q;
    DlaError err = {0};
    DlaStatus st = dla_program_read_mem(b, n, &q, &err);
    if (st == DLA_OK) {
        nread_ok++;
        if (!may_pass) {
            fprintf(stderr, "%s %ld: accepted a corrupt file\n", what, k);
            CU_FAIL("corrupt file accepted");
        }
        /* Accepted => valid: the writer must agree, and its (canonical) encoding
         * must read back as the same program. */
        uint8_t *b2;
        size_t n2;
        CU_ASSERT_EQUAL(dla_program_write_mem(&q, &b2, &n2, &err), DLA_OK);
        if (!err.code) {
            DlaProgram r;
            CU_ASSERT_EQUAL(dla_program_read_mem(b2, n2, &r, &err), DLA_OK);
            if (!err.code) {
                assert_same(&q, &r);
                dla_program_free(&r);
            }
            free(b2);
        }
        dla_program_free(&q);
        return;
    }
    nread_err++;
    CU_ASSERT(err.msg[0] != 0);
    CU_ASSERT(q.code == NULL && q.tensors == NULL && q.layers == NULL && q.consts == NULL && q.ntensors == 0 &&
              q.segments == NULL && q.nsegments == 0);
}

static void test_truncate(void)
{
    size_t n;
    uint8_t *b = good_file(&n);
    for (size_t k = 0; k < n; k++) {
        uint8_t *c = dla_malloc(k ? k : 1); /* exact size: ASan sees any over-read */
        memcpy(c, b, k);
        expect_reject(c, k, 0, "truncated at", (long)k);
        free(c);
    }
    /* And one byte too many. */
    uint8_t *c = dla_malloc(n + 1);
    memcpy(c, b, n);
    c[n] = 0;
    expect_reject(c, n + 1, 0, "extended", 1);
    free(c);
    free(b);
}

static void test_bitflips(void)
{
    size_t n;
    uint8_t *b = good_file(&n);
    uint8_t *c = dla_malloc(n);
    /* Every bit of the header and section table. */
    size_t head = 64 + 7 * 32;
    for (size_t bit = 0; bit < head * 8; bit++) {
        memcpy(c, b, n);
        c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        expect_reject(c, n, 0, "header bit", (long)bit);
    }
    /* Random 1-4 bit flips anywhere (fixed seed: reproducible). */
    srand(12345);
    for (int k = 0; k < 4000; k++) {
        memcpy(c, b, n);
        int nb = 1 + rand() % 4;
        for (int j = 0; j < nb; j++) {
            size_t bit = (size_t)rand() % (n * 8);
            c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        expect_reject(c, n, memcmp(b, c, n) == 0, "random flips", k);
    }
    free(c);
    free(b);
}

/* Recompute every checksum so that a crafted change reaches the structural checks. */
static void reseal(uint8_t *b, size_t n)
{
    if (n < 64 + 7 * 32)
        return;
    for (int i = 0; i < 7; i++) {
        uint8_t *e = b + 64 + 32 * i;
        uint64_t off, size;
        memcpy(&off, e + 8, 8);
        memcpy(&size, e + 16, 8);
        if (off <= n && size <= n - off) {
            uint32_t c = dla_crc32(0, b + off, size);
            memcpy(e + 24, &c, 4);
        }
    }
    memset(b + 48, 0, 4);
    uint32_t c = dla_crc32(0, b, 64 + 7 * 32);
    memcpy(b + 48, &c, 4);
}

/* File offset of section `kind` and of its table entry (NULL if absent). */
static uint64_t sec_off(const uint8_t *b, uint32_t kind, uint8_t **entry)
{
    if (entry)
        *entry = NULL;
    for (int i = 0; i < 7; i++) {
        uint32_t k;
        memcpy(&k, b + 64 + 32 * i, 4);
        if (k == kind) {
            uint64_t off;
            memcpy(&off, b + 64 + 32 * i + 8, 8);
            if (entry)
                *entry = (uint8_t *)b + 64 + 32 * i;
            return off;
        }
    }
    CU_FAIL("section not found");
    return 0;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void test_crafted(void)
{
    size_t n;
    uint8_t *b = good_file(&n);
    uint8_t *c = dla_malloc(n);
    struct { int what; const char *expect; } cases[] = {
        {0, "tensors section (entry at 0x"},     /* ntensors = 2^31 */
        {1, "count 4294967295 does not match"},  /* nlayers = 2^32-1 */
        {2, "lies outside the strings section"},
        {3, "exceeds the program's DRAM use"},
        {4, "exceed the code"},
        {5, "must be a power of two"},
        {6, "does not match the embedded figures"},
        {7, "is not 0x1c8, the 8-aligned end of what precedes it"}, /* 0x1a8 + one more table entry */
        {8, "format version 3"},
        {9, "exceeds target 'dla-edge' DRAM"},
        {10, "control byte 0x01"},
        {11, "does not fit its field"},
        {12, "unknown section kind 9"},
        {13, "second code section"},
        {14, "name length 4097 exceeds 4096"},
        {15, "bad magic"},
        {16, "name is not NUL-terminated"},
        {17, "padding byte at offset"},
        {18, "count 3 must be 0"},
        {19, "extends past the end of the file"},
        {20, "code: instruction 3 (record at file offset 0x"},
        {21, "format version 1 at offset 0x8 is not supported: the file was written by an older dlacc"},
        {22, "segments section (entry at 0x"},          /* nsegments = 2^31 */
        {23, "the records list 6 tensor indices, the section holds 5"},
        {24, "segments: segment 2 (record at file offset 0x"}, /* kind 9 */
        {25, "exceed the code (10 instructions)"},
        {26, "tensor reference 0 is 4294967295, out of range"},
        {27, "is not supported: the file was written by a newer dlacc"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(c, b, n);
        uint8_t *e = NULL;
        uint64_t tens = sec_off(c, DLA_SEC_TENSORS, NULL), lay = sec_off(c, DLA_SEC_LAYERS, NULL);
        uint64_t tgt = sec_off(c, DLA_SEC_TARGET, NULL), cst = sec_off(c, DLA_SEC_CONSTS, NULL);
        uint64_t seg = sec_off(c, DLA_SEC_SEGMENTS, NULL);
        switch (cases[k].what) {
        case 0: sec_off(c, DLA_SEC_TENSORS, &e); put32(e + 4, 1u << 31); break;
        case 1: sec_off(c, DLA_SEC_LAYERS, &e); put32(e + 4, 0xffffffffu); break;
        case 2: put32(c + tens + 112, 0xfffffff0u); break;
        case 3: put64(c + tens + 96, 0xfffffffffffffff0ull); break;
        case 4: put32(c + lay + 16, 0xffffffffu); put32(c + lay + 20, 2); break;
        case 5: put64(c + tgt + 64, 3); break;
        case 6: put64(c + tgt + 64 + 8 * DLA_TF_dram_latency_cycles, 101); break;
        case 7: sec_off(c, DLA_SEC_CODE, &e); put64(e + 8, 4 + sec_off(c, DLA_SEC_CODE, NULL)); break;
        case 8: put32(c + 8, 3); break;
        case 9: put64(c + 40, (256ull << 20) + 1); break;
        case 10: c[sec_off(c, DLA_SEC_STRINGS, NULL) + 2] = 1; break;
        case 11: put64(c + tgt + 64, (1ull << 32) | 16); break;
        case 12: sec_off(c, DLA_SEC_LAYERS, &e); put32(e, 9); break;
        case 13: sec_off(c, DLA_SEC_LAYERS, &e); put32(e, DLA_SEC_CODE); break;
        case 14: put32(c + tens + 4, 4097); break;
        case 15: c[1] = 'X'; break;
        case 16: memset(c + tgt, 'a', 64); break;
        case 17: { /* the strings (49 bytes) are followed by padding up to the consts */
            uint64_t so = sec_off(c, DLA_SEC_STRINGS, &e), ssz;
            memcpy(&ssz, e + 16, 8);
            CU_ASSERT_FATAL((so + ssz) % 8 != 0 && so + ssz < cst);
            c[so + ssz] = 1;
            break;
        }
        case 18: sec_off(c, DLA_SEC_STRINGS, &e); put32(e + 4, 3); break;
        case 19: sec_off(c, DLA_SEC_CONSTS, &e); put64(e + 16, 1ull << 62); break;
        case 20: c[sec_off(c, DLA_SEC_CODE, NULL) + 3 * 16] = 0xff; break; /* opcode 15 does not exist */
        case 21: put32(c + 8, 1); break;
        case 22: sec_off(c, DLA_SEC_SEGMENTS, &e); put32(e + 4, 1u << 31); break;
        case 23: put32(c + seg + 16 + 12, 4); break; /* the DLA segment claims 4 of the 5 indices + 1 */
        case 24: put32(c + seg + 2 * 16, 9); break;
        case 25: put32(c + seg + 16 + 8, 11); break;
        case 26: put32(c + seg + 4 * 16, 0xffffffffu); break;
        case 27: put32(c + 8, 0x7fffffffu); break;
        }
        reseal(c, n);
        DlaProgram q;
        DlaError err = {0};
        CU_ASSERT_NOT_EQUAL(dla_program_read_mem(c, n, &q, &err), DLA_OK);
        if (!strstr(err.msg, cases[k].expect))
            fprintf(stderr, "crafted case %d: got \"%s\", want \"%s\"\n", cases[k].what, err.msg, cases[k].expect);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[k].expect));
    }
    free(c);
    free(b);
}

/* Random damage with valid checksums: the structural checks alone must hold. */
static void test_crafted_random(void)
{
    size_t n;
    uint8_t *b = good_file(&n);
    uint8_t *c = dla_malloc(n);
    srand(777);
    nread_ok = nread_err = 0;
    for (int k = 0; k < 20000; k++) {
        memcpy(c, b, n);
        int nb = 1 + rand() % 3;
        for (int j = 0; j < nb; j++) {
            size_t pos = (size_t)rand() % n;
            switch (rand() % 4) {
            case 0: c[pos] ^= (uint8_t)(1u << (rand() % 8)); break;
            case 1: c[pos] = (uint8_t)rand(); break;
            case 2: c[pos] = 0xff; break;
            default: /* a whole aligned u32 set to an extreme */
                pos &= ~(size_t)3;
                if (pos + 4 <= n)
                    put32(c + pos, rand() % 2 ? 0xffffffffu : 0x80000000u);
            }
        }
        reseal(c, n);
        expect_reject(c, n, 1, "crafted random", k);
    }
    fprintf(stderr, "crafted random: %d accepted (valid), %d rejected\n", nread_ok, nread_err);
    CU_ASSERT(nread_err > 1000); /* the structural checks did reject most */
    free(c);
    free(b);
}

void dla_register_tests(void)
{
    DLA_SUITE("isa_format", {"crc32", test_crc32}, {"round_trip", test_round_trip}, {"layout", test_layout}, {"validate", test_validate},
              {"truncate", test_truncate}, {"bitflips", test_bitflips}, {"crafted", test_crafted},
              {"crafted_random", test_crafted_random});
}
