/* test_target.c - target descriptions: the shipped targets' exact figures, the
 * fingerprint, name lookup, and one error (with file:line) per way a target
 * file can be wrong. */
#include "dla_test.h"
#include "isa/target.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_shipped_edge(void)
{
    DlaTarget t;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &t, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(t.name, "dla-edge");
    CU_ASSERT_EQUAL(t.gemm_rows, 16);
    CU_ASSERT_EQUAL(t.gemm_cols, 16);
    CU_ASSERT_EQUAL(t.vector_lanes, 16);
    CU_ASSERT_EQUAL(t.inp_sram_bytes, 128 * 1024);
    CU_ASSERT_EQUAL(t.wgt_sram_bytes, 128 * 1024);
    CU_ASSERT_EQUAL(t.acc_sram_bytes, 64 * 1024);
    CU_ASSERT_EQUAL(t.uop_bytes, 0); /* the ISA encodes loop nests in instructions: no micro-op memory */
    CU_ASSERT_EQUAL(t.param_bytes, 16 * 1024);
    CU_ASSERT_EQUAL(t.lut_bytes, 4 * 1024);
    CU_ASSERT_EQUAL(t.dram_bytes, 256ull << 20);
    CU_ASSERT_EQUAL(t.dram_bytes_per_cycle, 16);
    CU_ASSERT_EQUAL(t.dram_latency_cycles, 100);
    CU_ASSERT_EQUAL(t.clock_hz, 1000000000ull);
    CU_ASSERT_EQUAL(t.fingerprint, dla_target_fingerprint(&t));
    CU_ASSERT_EQUAL(dla_target_validate(&t, &err), DLA_OK);
}

static void test_shipped_server(void)
{
    DlaTarget t;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-server", &t, &err), DLA_OK);
    CU_ASSERT_STRING_EQUAL(t.name, "dla-server");
    CU_ASSERT_EQUAL(t.gemm_rows, 64);
    CU_ASSERT_EQUAL(t.gemm_cols, 64);
    CU_ASSERT_EQUAL(t.vector_lanes, 64);
    CU_ASSERT_EQUAL(t.inp_sram_bytes, 2ull << 20);
    CU_ASSERT_EQUAL(t.wgt_sram_bytes, 4ull << 20);
    CU_ASSERT_EQUAL(t.acc_sram_bytes, 1ull << 20);
    CU_ASSERT(t.uop_bytes == 0 && t.param_bytes == 64 * 1024 && t.lut_bytes == 4096);
    CU_ASSERT_EQUAL(t.dram_bytes, 4ull << 30);
    CU_ASSERT_EQUAL(t.dram_bytes_per_cycle, 128);
    CU_ASSERT_EQUAL(t.dram_latency_cycles, 200);
    CU_ASSERT_EQUAL(t.clock_hz, 1000000000ull);
    CU_ASSERT_EQUAL(t.fingerprint, dla_target_fingerprint(&t));
}

/* The fingerprint is stored in .dla files: it must be deterministic, and every
 * figure (and the name) must change it. */
static void test_fingerprint(void)
{
    DlaTarget a, b;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &a, &err), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_target_load(DLA_SOURCE_DIR "/targets/dla-edge.xml", &b, &err), DLA_OK);
    CU_ASSERT_EQUAL(a.fingerprint, b.fingerprint);
    CU_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    /* Pinned (also reproduced from docs/dla-format.md's definition by an
     * independent script): a change here makes existing .dla files unloadable,
     * so it must come with new target figures or a new format version. */
    CU_ASSERT_EQUAL(a.fingerprint, 0x2a796d906fc42985ull);
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++) {
        b = a;
        dla_target_field_set(&b, i, dla_target_field_get(&a, i) ^ 1);
        CU_ASSERT_NOT_EQUAL(dla_target_fingerprint(&b), a.fingerprint);
        CU_ASSERT_EQUAL(dla_target_field_get(&b, i), dla_target_field_get(&a, i) ^ 1);
    }
    b = a;
    b.name[0] = 'X';
    CU_ASSERT_NOT_EQUAL(dla_target_fingerprint(&b), a.fingerprint);
    b = a;
    b.fingerprint = 42; /* the stored fingerprint is not an input of itself */
    CU_ASSERT_EQUAL(dla_target_fingerprint(&b), a.fingerprint);
    DlaTarget s;
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-server", &s, &err), DLA_OK);
    CU_ASSERT_NOT_EQUAL(s.fingerprint, a.fingerprint);
}

static void test_lookup(void)
{
    DlaTarget t;
    DlaError err = {0};
    CU_ASSERT_EQUAL(dla_target_load("dla-nonesuch", &t, &err), DLA_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown target 'dla-nonesuch'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "dla-edge, dla-server"));
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(dla_target_load("../etc", &t, &err), DLA_ERR_IO); /* has '/': a path */
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(dla_target_load("a b", &t, &err), DLA_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a target name"));

    /* $DLACC_TARGETS redirects name lookup. */
    char dir[] = "/tmp/dlatgtXXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/tiny.xml", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("<dla-target name=\"tiny\" version=\"1\"><gemm rows=\"4\" cols=\"8\"/><vector lanes=\"4\"/>"
          "<sram name=\"input\" bytes=\"1KiB\"/><sram name=\"weight\" bytes=\"1024\"/>"
          "<sram name=\"accumulator\" bytes=\"1KiB\"/><dram bytes=\"1MiB\" bytes-per-cycle=\"3\" "
          "latency-cycles=\"0\"/><clock hz=\"1000000\"/></dla-target>\n", f);
    fclose(f);
    setenv("DLACC_TARGETS", dir, 1);
    CU_ASSERT_STRING_EQUAL(dla_target_dir(), dir);
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(dla_target_load("tiny", &t, &err), DLA_OK);
    CU_ASSERT_EQUAL(t.gemm_cols, 8);
    CU_ASSERT_EQUAL(t.uop_bytes, 0); /* optional memories default to 0 */
    CU_ASSERT_EQUAL(t.dram_bytes_per_cycle, 3);
    CU_ASSERT_EQUAL(dla_target_load("dla-edge", &t, &err), DLA_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "shipped targets: tiny"));
    unsetenv("DLACC_TARGETS");
    unlink(path);
    rmdir(dir);
}

/* ---- malformed descriptions ---- */

#define L1 "<?xml version=\"1.0\"?>\n"
#define L2 "<dla-target name=\"t\" version=\"1\">\n"
#define L3 "  <gemm rows=\"16\" cols=\"16\"/>\n"
#define L4 "  <vector lanes=\"16\"/>\n"
#define L5 "  <sram name=\"input\" bytes=\"128KiB\"/>\n"
#define L6 "  <sram name=\"weight\" bytes=\"128KiB\"/>\n"
#define L7 "  <sram name=\"accumulator\" bytes=\"64KiB\"/>\n"
#define L8 "  <dram bytes=\"256MiB\" bytes-per-cycle=\"16\" latency-cycles=\"100\"/>\n"
#define L9 "  <clock hz=\"1000000000\"/>\n"
#define L10 "</dla-target>\n"

static const struct { const char *xml, *expect; } bad[] = {
    {L1 L2 L3 L4 L5 L6 L7 L8 L9 "</dla-targt>\n", "t.xml:10: malformed XML"},
    {L1 L2 "  <gemm rows=\"16\" cols=\"16\">\n" L4 L5 L6 L7 L8 L9 L10, "t.xml:10: malformed XML"},
    {"", "t.xml:1: malformed XML"},
    {L1 L2 L3 "  <vector lanes=16/>\n" L5 L6 L7 L8 L9 L10, "t.xml:4: malformed XML"},
    {L1 L2 L3 "  <cache bytes=\"1\"/>\n" L4 L5 L6 L7 L8 L9 L10, "t.xml:4: unknown element <cache>"},
    {L1 L2 "  <gemm rows=\"16\" cols=\"16\" depth=\"2\"/>\n" L4 L5 L6 L7 L8 L9 L10,
     "t.xml:3: unknown attribute 'depth' on <gemm> (expected rows, cols)"},
    {L1 L2 "  <gemm rows=\"16\"/>\n" L4 L5 L6 L7 L8 L9 L10, "t.xml:3: <gemm> lacks attribute 'cols'"},
    {L1 L2 L3 L4 L5 L6 L7 L8 L10, "t.xml:2: <dla-target> lacks element <clock>"},
    {L1 L2 L3 L4 L5 L7 L8 L9 L10, "t.xml:2: <dla-target> lacks element <sram name=\"weight\">"},
    {L1 L2 "  <gemm rows=\"2048\" cols=\"16\"/>\n" L4 L5 L6 L7 L8 L9 L10,
     "t.xml:3: <gemm rows> (GEMM array rows (reduction block, int8 MACs)) = 2048 is out of range [1, 1024]"},
    {L1 L2 "  <gemm rows=\"12\" cols=\"16\"/>\n" L4 L5 L6 L7 L8 L9 L10, "t.xml:3: <gemm rows> (GEMM array rows "},
    {L1 L2 "  <gemm rows=\"12\" cols=\"16\"/>\n" L4 L5 L6 L7 L8 L9 L10, "= 12 must be a power of two"},
    {L1 L2 L3 L4 "  <sram name=\"input\" bytes=\"100000\"/>\n" L6 L7 L8 L9 L10,
     "t.xml:5: <sram name=\"input\" bytes> (input SRAM bytes (int8)) = 100000 must be a power of two"},
    {L1 L2 L3 L4 L4 L5 L6 L7 L8 L9 L10, "t.xml:5: duplicate <vector> (first at line 4)"},
    {L1 L2 L3 L4 L5 L6 L7 L8 L9 L5 L10, "t.xml:10: duplicate <sram name=\"input\"> (first at line 5)"},
    {L1 L2 L3 "  <vector lanes=\"sixteen\"/>\n" L5 L6 L7 L8 L9 L10,
     "t.xml:4: <vector lanes> value \"sixteen\" is not a number"},
    {L1 L2 L3 "  <vector lanes=\"-16\"/>\n" L5 L6 L7 L8 L9 L10, "t.xml:4: <vector lanes> value \"-16\" is not a number"},
    {L1 L2 L3 "  <vector lanes=\"\"/>\n" L5 L6 L7 L8 L9 L10, "t.xml:4: <vector lanes> value \"\" is empty"},
    {L1 L2 L3 "  <vector lanes=\"16 lanes\"/>\n" L5 L6 L7 L8 L9 L10, "is not a plain decimal number"},
    {L1 L2 L3 L4 L5 L6 L7 "  <dram bytes=\"99999999999999999999999\" bytes-per-cycle=\"16\" latency-cycles=\"100\"/>\n"
     L9 L10, "t.xml:8: <dram bytes> value \"99999999999999999999999\" overflows 64 bits"},
    {L1 L2 L3 L4 L5 L6 L7 "  <dram bytes=\"17179869184TiB\" bytes-per-cycle=\"16\" latency-cycles=\"100\"/>\n"
     L9 L10, "t.xml:8: <dram bytes> value \"17179869184TiB\" overflows 64 bits"},
    /* 2^32 + 16 must not wrap to 16 in a uint32 member. */
    {L1 L2 L3 "  <vector lanes=\"4294967312\"/>\n" L5 L6 L7 L8 L9 L10, "t.xml:4: <vector lanes> (vector unit lanes"},
    {L1 L2 L3 L4 "  <sram name=\"input\" bytes=\"128KB\"/>\n" L6 L7 L8 L9 L10, "t.xml:5: <sram name=\"input\" bytes> "
     "value \"128KB\" has an unknown unit"},
    {L1 L2 L3 L4 L5 L6 L7 L8 "  <clock hz=\"1GHz\"/>\n" L10, "t.xml:9: <clock hz> value \"1GHz\" is not a plain decimal number"},
    {L1 L2 L3 L4 L5 L6 L7 "  <dram bytes=\"256MiB\" bytes-per-cycle=\"0\" latency-cycles=\"100\"/>\n" L9 L10,
     "t.xml:8: <dram bytes-per-cycle> (DRAM bandwidth (bytes/cycle)) = 0 is out of range [1, 4096]"},
    {L1 L2 L3 L4 L5 L6 L7 "  <dram bytes=\"256MiB\" bytes-per-cycle=\"16\" latency-cycles=\"2000000\"/>\n" L9 L10,
     "t.xml:8: <dram latency-cycles> (DRAM latency (cycles)) = 2000000 is out of range"},
    {L1 L2 L3 L4 L5 L6 L7 L8 "  <clock hz=\"1000\"/>\n" L10, "t.xml:9: <clock hz> (clock (Hz)) = 1000 is out of range"},
    {L1 "<target name=\"t\" version=\"1\">\n" L3 "</target>\n", "t.xml:2: root element is <target>, expected <dla-target>"},
    {L1 "<dla-target name=\"t\" version=\"2\">\n" L3 L10, "t.xml:2: target description version \"2\" is not supported"},
    {L1 "<dla-target version=\"1\">\n" L3 L10, "t.xml:2: <dla-target> lacks attribute 'name'"},
    {L1 "<dla-target name=\"t\">\n" L3 L10, "t.xml:2: <dla-target> lacks attribute 'version'"},
    {L1 "<dla-target name=\"t\" version=\"1\" vendor=\"x\">\n" L3 L10, "t.xml:2: unknown attribute 'vendor' on <dla-target>"},
    {L1 "<dla-target name=\"a b\" version=\"1\">\n" L3 L10, "t.xml:2: target name \"a b\" must be"},
    {L1 L2 L3 L4 L5 L6 L7 "  <sram name=\"l2\" bytes=\"1MiB\"/>\n" L8 L9 L10,
     "t.xml:8: unknown <sram name=\"l2\"> (expected input, weight, accumulator, uop, param, lut)"},
    {L1 L2 L3 L4 L5 L6 L7 "  <sram bytes=\"1MiB\"/>\n" L8 L9 L10, "t.xml:8: <sram> lacks attribute 'name'"},
    {L1 L2 "  <gemm rows=\"16\" cols=\"16\">\n    16\n  </gemm>\n" L4 L5 L6 L7 L8 L9 L10,
     "t.xml:4: <gemm> must be empty"},
    {L1 L2 L3 "  oops\n" L4 L5 L6 L7 L8 L9 L10, "t.xml:4: unexpected text in <dla-target>"},
    {L1 L2 "  <gemm rows=\"64\" cols=\"64\"/>\n" L4 L5 "  <sram name=\"weight\" bytes=\"1KiB\"/>\n" L7 L8 L9 L10,
     "t.xml:6: weight SRAM (1024 bytes) cannot hold one 64x64 int8 weight tile"},
    {L1 L2 "  <gemm rows=\"64\" cols=\"64\"/>\n" L4 L5 L6 "  <sram name=\"accumulator\" bytes=\"8KiB\"/>\n" L8 L9 L10,
     "t.xml:7: accumulator SRAM (8192 bytes) cannot hold one 64x64 int32 tile"},
    {L1 L2 L3 L4 L5 L6 L7 "  <sram name=\"lut\" bytes=\"128\"/>\n" L8 L9 L10,
     "t.xml:8: lookup-table memory (128 bytes) cannot hold one 256-entry table"},
    /* An external entity is never fetched: the file is data, not a program. */
    {L1 "<!DOCTYPE dla-target [<!ENTITY e SYSTEM \"file:///etc/hostname\">]>\n"
        "<dla-target name=\"&e;\" version=\"1\">\n" L3 L10, "t.xml:2: a target description may not have a DTD"},
    {L1 L2 L3 "  <vector xmlns:x=\"urn:x\" x:lanes=\"16\" lanes=\"16\"/>\n" L5 L6 L7 L8 L9 L10,
     "t.xml:4: unknown attribute 'lanes' on <vector>"},
};

static void test_malformed(void)
{
    /* libxml2 must not print anything itself: capture stderr meanwhile. */
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cap);
    dup2(fileno(cap), 2);
    int nbad = (int)(sizeof bad / sizeof bad[0]);
    int failed = 0;
    char report[8192] = "";
    for (int i = 0; i < nbad; i++) {
        DlaTarget t;
        DlaError err = {0};
        DlaStatus st = dla_target_parse_xml(bad[i].xml, strlen(bad[i].xml), "t.xml", &t, &err);
        if (st == DLA_OK || !strstr(err.msg, bad[i].expect)) {
            failed++;
            size_t k = strlen(report);
            snprintf(report + k, sizeof report - k, "case %d: status %d, got \"%s\", want \"%s\"\n", i, st,
                     err.msg, bad[i].expect);
        }
        CU_ASSERT_EQUAL(t.gemm_rows, 0); /* no half-filled target on error */
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long printed = ftell(cap);
    fclose(cap);
    if (failed)
        fprintf(stderr, "%s", report);
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(printed, 0);
    CU_ASSERT(nbad >= 15);
}

/* Line numbers stay right beyond 65535 lines (libxml2 needs XML_PARSE_BIG_LINES). */
static void test_big_lines(void)
{
    size_t n = 70000;
    const char *head = L1 L2, *tail = "  <bogus/>\n" L10;
    size_t len = strlen(head) + n + strlen(tail);
    char *x = malloc(len + 1);
    strcpy(x, head);
    memset(x + strlen(head), '\n', n);
    strcpy(x + strlen(head) + n, tail);
    DlaTarget t;
    DlaError err = {0};
    CU_ASSERT_EQUAL(dla_target_parse_xml(x, len, "big.xml", &t, &err), DLA_ERR_FORMAT);
    /* The element is on line 70003; libxml2 2.9 locates empty elements past
     * line 65535 by the following text node, one line later: accept 7000x,
     * what matters is that the number did not saturate at 65535. */
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "big.xml:7000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ": unknown element <bogus>"));
    free(x);
}

/* Exponential entity expansion ("billion laughs") is refused quickly, not
 * expanded: any DTD is refused before libxml2 sees the text (libxml2 expands
 * internal entities in attribute values whatever the options say). */
static void test_entity_bomb(void)
{
    char x[8192];
    size_t k = (size_t)snprintf(x, sizeof x, "<?xml version=\"1.0\"?>\n<!DOCTYPE dla-target [\n"
                                             "<!ENTITY e0 \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\">\n");
    for (int i = 1; i < 12; i++) {
        k += (size_t)snprintf(x + k, sizeof x - k, "<!ENTITY e%d \"", i);
        for (int j = 0; j < 10; j++)
            k += (size_t)snprintf(x + k, sizeof x - k, "&e%d;", i - 1);
        k += (size_t)snprintf(x + k, sizeof x - k, "\">\n");
    }
    k += (size_t)snprintf(x + k, sizeof x - k, "]>\n<dla-target name=\"&e11;\" version=\"1\"/>\n");
    CU_ASSERT_FATAL(k < sizeof x);
    DlaTarget t;
    DlaError err = {0};
    CU_ASSERT_EQUAL(dla_target_parse_xml(x, k, "bomb.xml", &t, &err), DLA_ERR_FORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bomb.xml:2: a target description may not have a DTD"));
    /* a harmless-looking DTD whose entity sits in an attribute value: refused too */
    const char *small = "<?xml version=\"1.0\"?>\n<!DOCTYPE dla-target [<!ENTITY n \"edge\">]>\n"
                        "<dla-target name=\"&n;\" version=\"1\"/>\n";
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(dla_target_parse_xml(small, strlen(small), "ent.xml", &t, &err), DLA_ERR_FORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ent.xml:2: a target description may not have a DTD"));
    /* oversized: refused by size before parsing */
    size_t big = DLA_TARGET_MAX_XML_BYTES + 1;
    char *b = calloc(big, 1);
    memset(b, ' ', big);
    dla_error_clear(&err);
    CU_ASSERT_EQUAL(dla_target_parse_xml(b, big, "big.xml", &t, &err), DLA_ERR_LIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "big.xml: target description too large"));
    free(b);
}

/* Random damage to a shipped target file: always a clean result (a valid
 * target, or an error with file:line), never a crash, never libxml2 output. */
static void test_fuzz(void)
{
    char *x;
    size_t n;
    DlaError err = {0};
    FILE *f = fopen(DLA_SOURCE_DIR "/targets/dla-server.xml", "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    x = malloc(1 << 16);
    n = fread(x, 1, (1 << 16) - 64, f);
    fclose(f);
    char *y = malloc(n + 64);
    static const char alphabet[] = "<>/=\"' \n-0123456789aKMGiB&;![]?x";
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cap);
    dup2(fileno(cap), 2);
    srand(99);
    int ok = 0, bad = 0, located = 0;
    for (int k = 0; k < 3000; k++) {
        size_t m = n;
        memcpy(y, x, n);
        for (int j = 1 + rand() % 3; j > 0; j--) {
            size_t pos = (size_t)rand() % m;
            char c = alphabet[rand() % (int)(sizeof alphabet - 1)];
            switch (rand() % 3) {
            case 0: y[pos] = c; break;                                   /* replace */
            case 1: memmove(y + pos, y + pos + 1, m - pos - 1); m--; break; /* delete */
            default: memmove(y + pos + 1, y + pos, m - pos); y[pos] = c; m++; /* insert */
            }
        }
        DlaTarget t;
        dla_error_clear(&err);
        if (dla_target_parse_xml(y, m, "f.xml", &t, &err) == DLA_OK) {
            ok++;
            CU_ASSERT_EQUAL(dla_target_validate(&t, &err), DLA_OK);
            CU_ASSERT_EQUAL(t.fingerprint, dla_target_fingerprint(&t));
        } else {
            bad++;
            located += !strncmp(err.msg, "f.xml:", 6) && err.msg[6] >= '1' && err.msg[6] <= '9'; /* line >= 1 */
        }
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long printed = ftell(cap);
    fclose(cap);
    fprintf(stderr, "target fuzz: %d accepted, %d rejected (%d with file:line)\n", ok, bad, located);
    CU_ASSERT_EQUAL(printed, 0);
    CU_ASSERT_EQUAL(located, bad); /* every error is located */
    CU_ASSERT(bad > 1000);
    free(x);
    free(y);
}

/* Whitespace, comments and units are accepted; units scale exactly. */
static void test_units(void)
{
    const char *x = L1 "<!-- c -->\n" L2 " <gemm cols=\"16\" rows=\" 8 \"/><!-- c -->\n" L4
                    "<sram name=\"input\" bytes=\"1 MiB\"/><sram name=\"weight\" bytes=\"1GiB\"/>"
                    "<sram name=\"accumulator\" bytes=\"4096\"/><sram name=\"lut\" bytes=\"256\"/>"
                    "<dram bytes=\"1TiB\" bytes-per-cycle=\"4096\" latency-cycles=\"0\"/>\n" L9 L10;
    DlaTarget t;
    DlaError err = {0};
    CU_ASSERT_EQUAL_FATAL(dla_target_parse_xml(x, strlen(x), "u.xml", &t, &err), DLA_OK);
    CU_ASSERT_EQUAL(t.gemm_rows, 8);
    CU_ASSERT_EQUAL(t.inp_sram_bytes, 1ull << 20);
    CU_ASSERT_EQUAL(t.wgt_sram_bytes, 1ull << 30);
    CU_ASSERT_EQUAL(t.dram_bytes, 1ull << 40);
    CU_ASSERT_EQUAL(t.lut_bytes, 256);
    CU_ASSERT_EQUAL(t.param_bytes, 0);
}

void dla_register_tests(void)
{
    DLA_SUITE("isa_target", {"shipped_edge", test_shipped_edge}, {"shipped_server", test_shipped_server},
              {"fingerprint", test_fingerprint}, {"lookup", test_lookup}, {"malformed", test_malformed},
              {"big_lines", test_big_lines}, {"units", test_units},
              {"entity_bomb", test_entity_bomb}, {"fuzz", test_fuzz});
}
