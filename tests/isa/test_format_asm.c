/* test_format_asm.c - `dlacc objdump`, `dlacc as` and `dlacc target`
 * (tools/cmd_objdump.c, cmd_as.c, cmd_target.c, linked in): objdump's text assembles back to the identical
 * .dla file - code, tensors, layer map (with awkward names) and DRAM use - for
 * thousands of random valid instructions of every opcode; --raw output gives
 * the identical code; errors in directives name file:line. */
#include "dla_test.h"
#include "isa/dla_format.h"
#include "isa/isa.h"
#include "../../tools/cli.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dla_file.h"
#include "dla_mem.h"

/* The CLI's shared helpers live in tools/dlacc.c (with main): the test's own. */
void cli_report(const DlaError *err) { fprintf(stderr, "dlacc: %s\n", err->msg); }
int cli_exit_code(DlaStatus s) { return s == DLA_OK ? 0 : (s == DLA_ERR_IO || s == DLA_ERR_FORMAT) ? 2 : 1; }

static char dir[64];

static char *tmp(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* Run a subcommand with stdout and/or stderr sent to files. */
static int run(int (*fn)(int, char **), const char *out, const char *errf, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    if (out) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        close(fd);
    }
    if (errf) {
        int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        close(fd);
    }
    int rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    return rc;
}

static uint32_t rnd(void) { return (uint32_t)rand() << 16 ^ (uint32_t)rand(); }

/* For each opcode, the bits that can be set alone without breaking decoding:
 * random words restricted to them decode often, covering every field's range. */
static void opcode_masks(uint32_t mask[][DLA_INSN_WORDS])
{
    for (int op = 0; op < DLA_OP_COUNT; op++) {
        DlaInsn in;
        uint32_t base[DLA_INSN_WORDS];
        DlaError e = {0};
        dla_insn_init(&in, (DlaOpcode)op);
        CU_ASSERT_EQUAL_FATAL(dla_insn_encode(&in, base, &e), DLA_OK);
        for (int w = 0; w < DLA_INSN_WORDS; w++) {
            mask[op][w] = 0;
            for (int b = 0; b < 32; b++) {
                uint32_t t[DLA_INSN_WORDS];
                memcpy(t, base, sizeof t);
                t[w] ^= 1u << b;
                if (dla_insn_decode(t, &in, &e) == DLA_OK && (t[0] & 0xf) == (base[0] & 0xf))
                    mask[op][w] |= 1u << b;
                dla_error_clear(&e);
            }
        }
    }
}

static uint8_t *slurp(const char *path, size_t *n)
{
    char *d;
    DlaError e = {0};
    if (dla_file_read(path, &d, n, &e))
        return NULL;
    return (uint8_t *)d;
}

static int file_has(const char *path, const char *needle)
{
    size_t n;
    uint8_t *d = slurp(path, &n);
    int ok = d && strstr((char *)d, needle);
    if (!ok)
        fprintf(stderr, "%s lacks \"%s\": %s\n", path, needle, d ? (char *)d : "(unreadable)");
    free(d);
    return ok;
}

static void write_text(const char *path, const char *text)
{
    DlaError e = {0};
    CU_ASSERT_EQUAL(dla_file_write(path, text, strlen(text), &e), DLA_OK);
}

static void test_round_trip(void)
{
    DlaProgram p = {0};
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &p.target, &err), DLA_OK);
    uint32_t mask[DLA_OP_COUNT][DLA_INSN_WORDS];
    opcode_masks(mask);
    srand(2024);
    uint32_t cap = 3000, per_op[DLA_OP_COUNT] = {0};
    p.code = dla_malloc(sizeof(uint32_t) * DLA_INSN_WORDS * cap);
    while (p.ninsns + 1 < cap) {
        int op = rand() % DLA_OP_COUNT;
        uint32_t w[DLA_INSN_WORDS];
        DlaInsn in;
        DlaError e = {0};
        dla_insn_init(&in, (DlaOpcode)op);
        dla_insn_encode(&in, w, &e);
        for (int k = 0; k < DLA_INSN_WORDS; k++) {
            uint32_t r = rnd();
            if (rand() % 4 == 0) /* extremes: all field bits set or clear */
                r = rand() % 2 ? 0xffffffffu : 0;
            w[k] = (w[k] & ~mask[op][k]) | (r & mask[op][k]);
        }
        if (dla_insn_decode(w, &in, &e) != DLA_OK)
            continue;
        memcpy(p.code + (size_t)p.ninsns * DLA_INSN_WORDS, w, sizeof w);
        p.ninsns++;
        per_op[op]++;
    }
    DlaInsn end;
    dla_insn_init(&end, DLA_OP_END);
    CU_ASSERT_EQUAL_FATAL(dla_insn_encode(&end, p.code + (size_t)p.ninsns * DLA_INSN_WORDS, &err), DLA_OK);
    p.ninsns++;
    for (int op = 0; op < DLA_OP_COUNT; op++)
        CU_ASSERT(per_op[op] >= 50); /* every opcode well covered */

    /* Tensors and layers with names that need quoting; layers in instruction
     * order with an empty one and a gap, as objdump prints them. */
    p.ntensors = 2;
    p.tensors = dla_calloc(2, sizeof *p.tensors);
    p.tensors[0] = (DlaTensorDesc){dla_strdup("in \"put\" #1"), DLA_TENSOR_INPUT, 3, 1, 4, {1, 8, 8, 16},
                                   0.0123456789f, -7, 0x1000, 1024};
    p.tensors[1] = (DlaTensorDesc){dla_strdup("out\\;x"), DLA_TENSOR_OUTPUT, 1, 0, 0, {0}, 0, 0, 0x2000, 4};
    p.const_bytes = 777;
    p.consts = dla_malloc(p.const_bytes);
    for (uint32_t i = 0; i < p.const_bytes; i++)
        p.consts[i] = (uint8_t)(i * 13 + 1);
    p.dram_bytes_used = 0x3000;
    p.nlayers = 7;
    p.layers = dla_calloc(7, sizeof *p.layers);
    p.layers[0] = (DlaLayerMap){dla_strdup("a/b:c"), dla_strdup("Conv"), 0, 100, 123456789};
    p.layers[1] = (DlaLayerMap){dla_strdup(""), dla_strdup("Relu"), 100, 0, 0};        /* empty, at a boundary */
    p.layers[2] = (DlaLayerMap){dla_strdup("z z"), dla_strdup("Add"), 100, 50, 1};
    p.layers[3] = (DlaLayerMap){dla_strdup("mid"), dla_strdup("Y"), 150, 0, 0};         /* empty, then a gap */
    p.layers[4] = (DlaLayerMap){dla_strdup("after gap"), dla_strdup("Gemm"), 200, 2000, 64};
    p.layers[5] = (DlaLayerMap){dla_strdup("inside"), dla_strdup("Z"), 300, 0, 0};      /* empty, inside another */
    p.layers[6] = (DlaLayerMap){dla_strdup("tail"), dla_strdup("X"), p.ninsns, 0, 0};
    /* Segments: a boundary and a DLA segment at 0, a host segment followed by
     * instructions of no segment, a second DLA segment, an empty one at the end. */
    CU_ASSERT_EQUAL_FATAL(dla_insn_encode(&end, p.code + (size_t)159 * DLA_INSN_WORDS, &err), DLA_OK);
    static const uint32_t sk[5] = {DLA_SEG_BOUNDARY, DLA_SEG_DLA, DLA_SEG_HOST, DLA_SEG_DLA, DLA_SEG_BOUNDARY};
    static const uint32_t sref[5][2] = {{1}, {0, 1}, {1, 0}, {0}, {0}}, snref[5] = {1, 2, 2, 0, 1};
    uint32_t sfirst[5] = {0, 0, 160, 200, p.ninsns}, sn[5] = {0, 160, 0, p.ninsns - 200, 0};
    p.nsegments = 5;
    p.segments = dla_calloc(5, sizeof *p.segments);
    for (int k = 0; k < 5; k++) {
        p.segments[k] = (DlaSegmentDesc){sk[k], sfirst[k], sn[k], dla_malloc(2 * sizeof(uint32_t)), snref[k]};
        memcpy(p.segments[k].tensors, sref[k], sizeof sref[k]);
    }
    CU_ASSERT_EQUAL_FATAL(dla_program_write(&p, tmp("a.dla"), &err), DLA_OK);

    CU_ASSERT_EQUAL_FATAL(run(cmd_objdump, tmp("a.s"), NULL, 4, "objdump", "--consts", tmp("c.bin"), tmp("a.dla")), 0);
    CU_ASSERT_EQUAL_FATAL(run(cmd_as, NULL, NULL, 4, "as", tmp("a.s"), "-o", tmp("b.dla")), 0);
    size_t na, nb;
    uint8_t *a = slurp(tmp("a.dla"), &na), *b = slurp(tmp("b.dla"), &nb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT(na == nb && memcmp(a, b, na) == 0); /* the very same file */
    free(b);
    /* Without --consts the text lacks the constants, and says so. */
    CU_ASSERT_EQUAL_FATAL(run(cmd_objdump, tmp("n.s"), NULL, 2, "objdump", tmp("a.dla")), 0);
    CU_ASSERT(file_has(tmp("n.s"), "# constants: 777 bytes at DRAM [0, 0x309) (not shown; see --consts)"));
    CU_ASSERT(file_has(tmp("n.s"), ".layer \"\" \"Relu\" macs=0 empty"));
    CU_ASSERT(file_has(tmp("n.s"), "  after gap (Gemm)\n"));
    CU_ASSERT(file_has(tmp("n.s"), ".segment boundary tensors=[1]   # segment 0: instructions [0, 0)\n"
                                   ".segment dla tensors=[0,1]   # segment 1: instructions [0, 160)\n"));
    CU_ASSERT(file_has(tmp("n.s"), ".segment host tensors=[1,0]   # segment 2: instructions [160, 160)\n"
                                   ".endsegment\n"));
    CU_ASSERT(file_has(tmp("n.s"), ".segment dla tensors=[]   # segment 3: instructions [200, 3000)\n"));
    CU_ASSERT(file_has(tmp("n.s"), ".tensor \"in \\\"put\\\" #1\" role=input dtype=int8 layout=nhwc shape=[1,8,8,16] "
                                   "scale=0.0123456791 zp=-7 offset=0x1000 bytes=1024"));

    /* --raw: bare instructions assemble to the same code. */
    CU_ASSERT_EQUAL_FATAL(run(cmd_objdump, tmp("r.s"), NULL, 3, "objdump", "--raw", tmp("a.dla")), 0);
    CU_ASSERT_EQUAL_FATAL(run(cmd_as, NULL, NULL, 6, "as", tmp("r.s"), "--target", "dla-edge", "-o", tmp("r.dla")), 0);
    DlaProgram q;
    CU_ASSERT_EQUAL_FATAL(dla_program_read(tmp("r.dla"), &q, &err), DLA_OK);
    CU_ASSERT_EQUAL(q.ninsns, p.ninsns);
    CU_ASSERT(q.ninsns == p.ninsns && !memcmp(q.code, p.code, sizeof(uint32_t) * DLA_INSN_WORDS * p.ninsns));
    CU_ASSERT_EQUAL(q.nlayers + q.ntensors + q.dram_bytes_used + q.const_bytes + q.nsegments, 0);
    dla_program_free(&q);

    /* Another target: the file records it. */
    CU_ASSERT_EQUAL_FATAL(run(cmd_as, NULL, NULL, 5, "as", tmp("r.s"), "--target=dla-server", "-o", tmp("s.dla")), 0);
    CU_ASSERT_EQUAL_FATAL(dla_program_read(tmp("s.dla"), &q, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(q.target.name, "dla-server");
    dla_program_free(&q);
    free(a);
    dla_program_free(&p);
}

static void test_errors(void)
{
    static const struct { const char *src, *expect; } cases[] = {
        {"sync\n.tensor \"x\" role=input dtype=int8 shape=[2] offset=0\nend\n", "e.s:2: .tensor lacks bytes="},
        {"sync\n\n.tensor \"x\" role=sideways dtype=int8 shape=[2] offset=0 bytes=2\n", "e.s:3: .tensor: unknown role"},
        {".tensor \"x role=input\n", "e.s:1: .tensor needs a name (unterminated"},
        {".tensor \"x\" role=input dtype=int7 shape=[2] offset=0 bytes=2\n", "e.s:1: .tensor: unknown dtype 'int7'"},
        {".tensor \"x\" role=input dtype=int8 shape=[1,2,3,4,5,6,7,8,9] offset=0 bytes=2\n", "bad shape"},
        {".tensor \"x\" role=input dtype=int8 shape=2 offset=0 bytes=2\n", "is not [D0,D1,...]"},
        {".tensor \"x\" role=input dtype=int8 shape=[2] offset=-1 bytes=2\n", "offset '-1' is not a number"},
        {"sync\n.endlayer\n", "e.s:2: .endlayer without .layer"},
        {".layer \"x\"\nend\n", "e.s:1: .layer needs a name and an op type"},
        {".layer x Conv flops=3\nend\n", "e.s:1: .layer: expected macs=N"},
        {".dram 1\n.dram 2\n", "e.s:2: .dram given twice"},
        {".dram lots\n", "e.s:1: .dram needs one number"},
        {"sync\n.consts \"no-such.bin\"\n", "e.s:2: .consts: "},
        {".consts\n", "e.s:1: .consts needs one file name"},
        {"sync\nfrobnicate 1\n", "e.s:2:"}, /* the assembler's own error, line intact */
        {"sync\n.segment sideways\nend\n", "e.s:2: .segment needs a kind (dla, host or boundary)"},
        {".segment dla tensors=[0,x]\nend\n", "e.s:1: .segment: tensor index 'x' is not a 32-bit number"},
        {".segment dla tensor=[0]\nend\n", "e.s:1: .segment: expected tensors=[I,J,...]"},
        {"sync\n.endsegment\n", "e.s:2: .endsegment without .segment"},
        {".segment dla\n.endsegment 3\n", "e.s:2: .endsegment takes no operands"},
        /* Valid syntax, invalid segments: the container's validation. */
        {".segment host\nsync\nend\n", "segments: segment 0: a host segment has 2 instructions"},
        {".segment dla tensors=[0]\nend\n", "tensor reference 0 is 0, out of range (0 tensors)"},
        {".segment dla\nsync\n", "its last instruction (0) is not `end`"},
        /* Valid syntax, invalid program: the container's validation. */
        {".tensor \"x\" role=input dtype=int8 shape=[4] offset=0 bytes=2\nend\n", "nbytes 2 is less than the 4 bytes"},
        {".layer a A\nsync\n.layer b B\n.endlayer\n.dram 99999999999\nend\n", "exceeds target 'dla-edge' DRAM"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_text(tmp("e.s"), cases[i].src);
        unlink(tmp("e.dla"));
        int rc = run(cmd_as, NULL, tmp("err.txt"), 2, "as", tmp("e.s"));
        CU_ASSERT_NOT_EQUAL(rc, 0);
        CU_ASSERT(file_has(tmp("err.txt"), cases[i].expect));
        CU_ASSERT(access(tmp("e.dla"), F_OK) != 0); /* nothing written */
    }
    /* objdump on a damaged file: exit 2, message naming the file. */
    write_text(tmp("bad.dla"), "\x89" "DLA\r\n\x1a\n garbage");
    CU_ASSERT_EQUAL(run(cmd_objdump, tmp("o.txt"), tmp("err.txt"), 2, "objdump", tmp("bad.dla")), 2);
    CU_ASSERT(file_has(tmp("err.txt"), "bad.dla: header: truncated"));
    CU_ASSERT_EQUAL(run(cmd_objdump, tmp("o.txt"), tmp("err.txt"), 2, "objdump", tmp("nonexistent.dla")), 2);
    CU_ASSERT(file_has(tmp("err.txt"), "cannot open"));
    CU_ASSERT_EQUAL(run(cmd_objdump, tmp("o.txt"), NULL, 2, "objdump", "--help"), 0);
    CU_ASSERT(file_has(tmp("o.txt"), "usage: dlacc objdump"));
    CU_ASSERT_EQUAL(run(cmd_as, tmp("o.txt"), NULL, 2, "as", "--help"), 0);
    CU_ASSERT(file_has(tmp("o.txt"), "usage: dlacc as"));
    CU_ASSERT_EQUAL(run(cmd_as, NULL, tmp("err.txt"), 4, "as", tmp("e.s"), "--target", "dla-nope"), 2);
    CU_ASSERT(file_has(tmp("err.txt"), "unknown target 'dla-nope'"));
}

/* Randomly damaged objdump output (tensors, segments, layers, code): `as`
 * either builds a file that reads back as valid, or fails with a message; it
 * never crashes. */
static void test_as_fuzz(void)
{
    write_text(tmp("f.s"), ".dram 0x3000\n"
                           ".tensor \"in \\\"q\\\"\" role=input dtype=int8 layout=nhwc shape=[1,8,8,16] scale=0.5 zp=-7 "
                           "offset=0x1000 bytes=1024\n"
                           ".tensor \"out\" role=output dtype=float32 shape=[4] offset=0x2000 bytes=16\n"
                           ".segment boundary tensors=[0]\n"
                           ".segment dla tensors=[0,1]\n"
                           ".layer \"a\" \"Conv\" macs=99\n"
                           "load mem=inp dram=0x1000 x=16 y=4 push_next   # 0\n"
                           ".layer \"b\" \"Relu\" empty\n"
                           "gemm reset pop_prev push_next\n"
                           ".endlayer\n"
                           "store dram=0x2000 x=4 pop_prev\n"
                           "end\n"
                           ".segment host tensors=[1]\n");
    size_t n;
    uint8_t *orig = slurp(tmp("f.s"), &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
    CU_ASSERT_EQUAL_FATAL(run(cmd_as, NULL, NULL, 4, "as", tmp("f.s"), "-o", tmp("f.dla")), 0);
    static const char alphabet[] = "\"\\ =#;.,\n0123456789x[]-abefimnrt";
    char *y = dla_malloc(n + 16);
    srand(4321);
    int ok = 0, bad = 0;
    for (int k = 0; k < 1500; k++) {
        size_t m = n;
        memcpy(y, orig, n);
        for (int j = 1 + rand() % 2; j > 0; j--) {
            size_t pos = (size_t)rand() % m;
            char c = alphabet[rand() % (int)(sizeof alphabet - 1)];
            switch (rand() % 3) {
            case 0: y[pos] = c; break;
            case 1: memmove(y + pos, y + pos + 1, m - pos - 1); m--; break;
            default: memmove(y + pos + 1, y + pos, m - pos); y[pos] = c; m++;
            }
        }
        DlaError e = {0};
        CU_ASSERT_EQUAL_FATAL(dla_file_write(tmp("f.s"), y, m, &e), DLA_OK);
        unlink(tmp("f.dla"));
        if (run(cmd_as, NULL, tmp("err.txt"), 4, "as", tmp("f.s"), "-o", tmp("f.dla")) == 0) {
            DlaProgram q;
            ok++;
            CU_ASSERT_EQUAL(dla_program_read(tmp("f.dla"), &q, &e), DLA_OK);
            dla_program_free(&q);
        } else {
            size_t en;
            uint8_t *msg = slurp(tmp("err.txt"), &en);
            bad++;
            CU_ASSERT(msg && en > 8 && !strncmp((char *)msg, "dlacc: ", 7));
            free(msg);
        }
    }
    fprintf(stderr, "as fuzz: %d assembled, %d rejected\n", ok, bad);
    CU_ASSERT(ok > 20 && bad > 100); /* both outcomes are exercised */
    free(y);
    free(orig);
    unlink(tmp("f.s"));
    unlink(tmp("f.dla"));
}

/* `dlacc target`: lists, prints figures, reports a bad file with file:line. */
static void test_target_cmd(void)
{
    CU_ASSERT_EQUAL(run(cmd_target, tmp("o.txt"), NULL, 1, "target"), 0);
    CU_ASSERT(file_has(tmp("o.txt"), "dla-edge         16x16 GEMM, 16 lanes, SRAM 128 KiB + 128 KiB + 64 KiB acc"));
    CU_ASSERT(file_has(tmp("o.txt"), "dla-server       64x64 GEMM, 64 lanes, SRAM 2 MiB + 4 MiB + 1 MiB acc, "
                                     "DRAM 4 GiB @ 128 B/cycle"));
    CU_ASSERT_EQUAL(run(cmd_target, tmp("o.txt"), NULL, 2, "target", "dla-edge"), 0);
    CU_ASSERT(file_has(tmp("o.txt"), "peak: 256 MAC/cycle, 256.0 GMAC/s; DRAM 16.0 GB/s"));
    write_text(tmp("e.s"), "<dla-target name=\"x\" version=\"1\">\n<gemm rows=\"3\" cols=\"4\"/>\n</dla-target>\n");
    rename(tmp("e.s"), tmp("bad.xml"));
    CU_ASSERT_EQUAL(run(cmd_target, NULL, tmp("err.txt"), 2, "target", tmp("bad.xml")), 2);
    CU_ASSERT(file_has(tmp("err.txt"), "bad.xml:1: <dla-target> lacks element <vector>"));
    unlink(tmp("bad.xml"));
}

static int setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/dlaasmXXXXXX");
    return mkdtemp(dir) ? 0 : 1;
}

static int teardown(void)
{
    const char *names[] = {"a.dla", "a.s", "b.dla", "r.s", "r.dla", "s.dla", "e.s", "e.dla", "err.txt", "o.txt", "bad.dla", "c.bin", "n.s"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(tmp(names[i]));
    rmdir(dir);
    return 0;
}

void dla_register_tests(void)
{
    CU_pSuite s = CU_add_suite("isa_format_asm", setup, teardown);
    CU_add_test(s, "round_trip", test_round_trip);
    CU_add_test(s, "errors", test_errors);
    CU_add_test(s, "target_cmd", test_target_cmd);
    CU_add_test(s, "as_fuzz", test_as_fuzz);
}
