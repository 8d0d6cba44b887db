/* test_isa_encode.c - encoder, decoder, assembler and disassembler: round
 * trips for every instruction at the minimum and maximum of every field,
 * random valid instructions, reserved-bit and range rejection, and the
 * assembler's error messages. */
#include "isa_test_util.h"
#include "isa/isa_internal.h"

#include <inttypes.h>

/* The library keeps the first error in a DlaError: clear it before each call. */
static DlaStatus enc(const DlaInsn *in, uint32_t *w, DlaError *e)
{
    dla_error_clear(e);
    return dla_insn_encode(in, w, e);
}
static DlaStatus dec(const uint32_t *w, DlaInsn *d, DlaError *e)
{
    dla_error_clear(e);
    return dla_insn_decode(w, d, e);
}
static DlaStatus asmp(const char *t, size_t n, const char *p, uint32_t **w, uint32_t *ni, DlaError *e)
{
    dla_error_clear(e);
    return dla_asm_parse(t, n, p, w, ni, e);
}

/* Encode -> decode -> compare; disasm -> asm -> same words. */
static void check_roundtrip(const DlaInsn *in)
{
    uint32_t w[4], w2[4];
    DlaError e = {0};
    DlaStatus st = enc(in, w, &e);
    if (st)
        fprintf(stderr, "encode: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    DlaInsn d;
    st = dec(w, &d, &e);
    if (st)
        fprintf(stderr, "decode: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT(memcmp(&d, in, sizeof d) == 0);
    char text[512];
    int len = dla_disasm_insn(w, text, sizeof text);
    CU_ASSERT(len > 0 && (size_t)len < sizeof text);
    uint32_t *words = NULL, n = 0;
    st = asmp(text, strlen(text), "rt.s", &words, &n, &e);
    if (st)
        fprintf(stderr, "asm of '%s': %s\n", text, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    memcpy(w2, words, sizeof w2);
    free(words);
    if (memcmp(w, w2, sizeof w))
        fprintf(stderr, "round trip differs: %s\n", text);
    CU_ASSERT(memcmp(w, w2, sizeof w) == 0);
}

/* Every field of every opcode at its min and max (others default). Fields
 * whose extremes are not legal alone (unary ALU ops with src2) are skipped by
 * the decoder check: encode must accept, decode may reject, as documented. */
static void test_field_extremes(void)
{
    int checked = 0;
    for (int op = 0; op < DLA_OP_COUNT; op++) {
        DlaFormat fmt = dla_opcode_format((DlaOpcode)op);
        for (int i = 0; i < dla_nformat_fields; i++) {
            const DlaFieldDesc *f = &dla_format_fields[i];
            if (f->fmt != fmt)
                continue;
            int64_t lo, hi;
            dla_field_range(f, &lo, &hi);
            int64_t vals[2] = {lo, hi};
            for (int k = 0; k < 2; k++) {
                DlaInsn in;
                dla_insn_init(&in, (DlaOpcode)op);
                *dla_insn_field(&in, f->fld) = vals[k];
                /* Make the combination legal where the decoder has rules. */
                if (op == DLA_OP_LOAD && f->fld == DLA_FLD_i8 && vals[k])
                    in.mem = DLA_MEM_ACC;
                if (op == DLA_OP_STORE && f->fld == DLA_FLD_flip && vals[k])
                    in.i8 = 1;
                if (op == DLA_OP_ALU && (f->fld == DLA_FLD_src2 || f->fld == DLA_FLD_imm))
                    in.aluop = DLA_ALU_ADD;
                if (f->fld == DLA_FLD_pop_prev || f->fld == DLA_FLD_push_prev) {
                    if (op == DLA_OP_LOAD)
                        in.mem = DLA_MEM_ACC; /* compute engine has a prev */
                    if (op == DLA_OP_DMACFG)
                        in.eng = DLA_ENG_COMPUTE;
                }
                if ((f->fld == DLA_FLD_pop_next || f->fld == DLA_FLD_push_next) && op == DLA_OP_DMACFG)
                    in.eng = DLA_ENG_LOAD;
                if (op == DLA_OP_STORE && (in.pop_next || in.push_next)) {
                    /* The store engine has no next engine: encodable, rejected by the decoder. */
                    uint32_t w[4];
                    DlaInsn d;
                    DlaError e = {0};
                    CU_ASSERT_EQUAL(enc(&in, w, &e), DLA_OK);
                    CU_ASSERT_EQUAL(dec(w, &d, &e), DLA_ERR_FORMAT);
                    continue;
                }
                check_roundtrip(&in);
                checked++;
            }
            /* One beyond the range must be rejected by the encoder. */
            DlaInsn bad;
            dla_insn_init(&bad, (DlaOpcode)op);
            *dla_insn_field(&bad, f->fld) = hi + 1;
            uint32_t w[4];
            DlaError e = {0};
            CU_ASSERT_EQUAL(enc(&bad, w, &e), DLA_ERR_INVALID);
            CU_ASSERT(strstr(e.msg, f->name) != NULL);
            if (lo > INT32_MIN) {
                *dla_insn_field(&bad, f->fld) = lo - 1;
                CU_ASSERT_EQUAL(enc(&bad, w, &e), DLA_ERR_INVALID);
            }
        }
    }
    CU_ASSERT(checked > 150);
}

/* Every enum value of every enum field round-trips through its name. */
static void test_enums(void)
{
    for (int m = 0; m < DLA_MEM_COUNT; m++) {
        DlaInsn in;
        dla_insn_init(&in, DLA_OP_LOAD);
        in.mem = m;
        check_roundtrip(&in);
    }
    for (int a = 0; a < DLA_ALU_COUNT; a++) {
        DlaInsn in;
        dla_insn_init(&in, DLA_OP_ALU);
        in.aluop = a;
        in.dst = 5;
        in.src = 7;
        if (dla_aluop_kind((DlaAluOp)a) != 'u') {
            in.imm = 1;
            in.src2 = dla_aluop_kind((DlaAluOp)a) == 'f' ? 0x3e000000 /* 0.125f */ : 0xfffffffb /* -5 */;
        }
        check_roundtrip(&in);
    }
    for (int g = 0; g < DLA_ENG_COUNT; g++) {
        DlaInsn in;
        dla_insn_init(&in, DLA_OP_DMACFG);
        in.eng = g;
        in.ystride = 0xffffffff;
        check_roundtrip(&in);
    }
    for (int mode = 0; mode < 2; mode++) {
        DlaInsn in;
        dla_insn_init(&in, DLA_OP_REQUANT);
        in.mode = mode;
        in.zp = -128;
        in.relu = 1;
        check_roundtrip(&in);
    }
}

/* Random legal instructions: pick each field uniformly in its range. */
static void test_random_valid(void)
{
    uint64_t seed = 12345;
    int ok = 0;
    for (int it = 0; it < 20000; it++) {
        int op = (int)(tu_rand(&seed) % DLA_OP_COUNT);
        DlaFormat fmt = dla_opcode_format((DlaOpcode)op);
        DlaInsn in;
        dla_insn_init(&in, (DlaOpcode)op);
        for (int i = 0; i < dla_nformat_fields; i++) {
            const DlaFieldDesc *f = &dla_format_fields[i];
            if (f->fmt != fmt)
                continue;
            int64_t lo, hi;
            dla_field_range(f, &lo, &hi);
            *dla_insn_field(&in, f->fld) = lo + (int64_t)(tu_rand(&seed) % (uint64_t)(hi - lo + 1));
        }
        uint32_t w[4];
        DlaError e = {0};
        CU_ASSERT_EQUAL_FATAL(enc(&in, w, &e), DLA_OK);
        DlaInsn d;
        if (dec(w, &d, &e) != DLA_OK)
            continue; /* a combination rule (e.g. i8 on inp): rejected, fine */
        CU_ASSERT(memcmp(&d, &in, sizeof d) == 0);
        check_roundtrip(&in);
        ok++;
    }
    CU_ASSERT(ok > 5000);
}

static void test_reject(void)
{
    DlaError e = {0};
    DlaInsn d;
    /* Opcodes 11..15 do not exist. */
    for (uint32_t op = DLA_OP_COUNT; op < 16; op++) {
        uint32_t w[4] = {op, 0, 0, 0};
        CU_ASSERT_EQUAL(dec(w, &d, &e), DLA_ERR_FORMAT);
        CU_ASSERT(strstr(e.msg, "opcode") != NULL);
    }
    /* Every reserved bit of every format is rejected; every used bit accepted. */
    for (int op = 0; op < DLA_OP_COUNT; op++) {
        DlaFormat fmt = dla_opcode_format((DlaOpcode)op);
        for (int bit = 4; bit < 128; bit++) {
            int used = 0;
            for (int i = 0; i < dla_nformat_fields; i++) {
                const DlaFieldDesc *f = &dla_format_fields[i];
                if (f->fmt == fmt && bit >= f->word * 32 + f->lo && bit < f->word * 32 + f->lo + f->width)
                    used = 1;
            }
            uint32_t w[4] = {(uint32_t)op, 0, 0, 0};
            w[bit / 32] |= 1u << (bit % 32);
            DlaStatus st = dec(w, &d, &e);
            if (!used) {
                CU_ASSERT_EQUAL(st, DLA_ERR_FORMAT);
                CU_ASSERT(strstr(e.msg, "reserved") != NULL);
            }
        }
    }
    /* Enum fields beyond their value sets. */
    uint32_t w[4] = {DLA_OP_LOAD | (7u << 8), 0, 0, 0};
    CU_ASSERT_EQUAL(dec(w, &d, &e), DLA_ERR_FORMAT);
    uint32_t w2[4] = {DLA_OP_DMACFG | (3u << 8), 0, 0, 0};
    CU_ASSERT_EQUAL(dec(w2, &d, &e), DLA_ERR_FORMAT);
    /* Combination rules. */
    uint32_t w3[4] = {DLA_OP_LOAD | (1u << 11), 0, 0, 0}; /* i8 on inp */
    CU_ASSERT_EQUAL(dec(w3, &d, &e), DLA_ERR_FORMAT);
    uint32_t w4[4] = {DLA_OP_LOAD | (1u << 4), 0, 0, 0}; /* pop_prev on the load engine */
    CU_ASSERT_EQUAL(dec(w4, &d, &e), DLA_ERR_FORMAT);
    CU_ASSERT(strstr(e.msg, "no previous engine") != NULL);
    uint32_t w5[4] = {DLA_OP_STORE | (1u << 7), 0, 0, 0}; /* push_next on the store engine */
    CU_ASSERT_EQUAL(dec(w5, &d, &e), DLA_ERR_FORMAT);
    uint32_t w6[4] = {DLA_OP_ALU | ((uint32_t)DLA_ALU_ITOF << 8), 1u << 30, 0, 0}; /* unary with imm */
    CU_ASSERT_EQUAL(dec(w6, &d, &e), DLA_ERR_FORMAT);
    /* Whole-code decoding names the instruction. */
    uint32_t code[8] = {DLA_OP_SYNC, 0, 0, 0, 15, 0, 0, 0};
    DlaInsn two[2];
    CU_ASSERT_EQUAL(dla_code_decode(code, 2, two, &e), DLA_ERR_FORMAT);
    CU_ASSERT(strstr(e.msg, "instruction 1") != NULL);
}

/* Any 128-bit pattern disassembles and re-assembles to itself. */
static void test_random_words_roundtrip(void)
{
    uint64_t seed = 777;
    for (int it = 0; it < 20000; it++) {
        uint32_t w[4];
        for (int k = 0; k < 4; k++)
            w[k] = (uint32_t)tu_rand(&seed);
        /* Half of them with a plausible opcode and sparse bits, to hit valid ones. */
        if (it & 1) {
            w[0] = (w[0] & 0xfff000f0u) | (uint32_t)(tu_rand(&seed) % DLA_OP_COUNT);
            w[1] &= 0x3fffffffu;
        }
        char text[512];
        dla_disasm_insn(w, text, sizeof text);
        uint32_t *words = NULL, n = 0;
        DlaError e = {0};
        DlaStatus st = asmp(text, strlen(text), "r.s", &words, &n, &e);
        if (st)
            fprintf(stderr, "'%s': %s\n", text, e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        CU_ASSERT_EQUAL(n, 1);
        CU_ASSERT(memcmp(words, w, sizeof w) == 0);
        free(words);
    }
}

static void expect_asm_error(const char *text, const char *needle)
{
    uint32_t *w = NULL, n = 0;
    DlaError e = {0};
    DlaStatus st = asmp(text, strlen(text), "bad.s", &w, &n, &e);
    CU_ASSERT_EQUAL(st, DLA_ERR_FORMAT);
    if (!strstr(e.msg, needle))
        fprintf(stderr, "expected '%s' in: %s\n", needle, e.msg);
    CU_ASSERT(strstr(e.msg, needle) != NULL);
    CU_ASSERT(w == NULL);
}

static void test_asm(void)
{
    const char *prog = "# a comment\n"
                       "  LOAD mem=inp, dram=0x10 x=16 ; trailing comment\n"
                       "\n"
                       "alu op=fmul dst=1 src=2 imm src2=-1.5e-3f\n"
                       "alu op=add dst=1 src=2 imm src2=-7\n"
                       "requant mode=fixed zp=-3 relu param=9 e3=64\n"
                       ".insn 0xffffffff 0 0 0\n"
                       "end\n";
    uint32_t *w = NULL, n = 0;
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(asmp(prog, strlen(prog), "p.s", &w, &n, &e), DLA_OK);
    CU_ASSERT_EQUAL(n, 6);
    DlaInsn d;
    CU_ASSERT_EQUAL(dec(w, &d, &e), DLA_OK);
    CU_ASSERT_EQUAL(d.op, DLA_OP_LOAD);
    CU_ASSERT_EQUAL(d.dram, 16);
    CU_ASSERT_EQUAL(d.xsize, 16);
    CU_ASSERT_EQUAL(dec(w + 4, &d, &e), DLA_OK);
    float f;
    uint32_t b = (uint32_t)d.src2;
    memcpy(&f, &b, 4);
    CU_ASSERT_EQUAL(f, -1.5e-3f);
    CU_ASSERT_EQUAL(dec(w + 8, &d, &e), DLA_OK);
    CU_ASSERT_EQUAL(d.src2, 0xfffffff9);
    CU_ASSERT_EQUAL(dec(w + 12, &d, &e), DLA_OK);
    CU_ASSERT_EQUAL(d.mode, DLA_REQ_FIXED);
    CU_ASSERT_EQUAL(d.zp, -3);
    CU_ASSERT_EQUAL(d.e3, 64);
    CU_ASSERT_EQUAL(w[16], 0xffffffffu);
    CU_ASSERT_EQUAL(dec(w + 16, &d, &e), DLA_ERR_FORMAT);
    free(w);
    /* Empty text: zero instructions. */
    CU_ASSERT_EQUAL(asmp("", 0, "e.s", &w, &n, &e), DLA_OK);
    CU_ASSERT_EQUAL(n, 0);
    free(w);

    expect_asm_error("end\nfrobnicate x=1\n", "bad.s:2: unknown instruction 'frobnicate'");
    expect_asm_error("load mem=inp bogus=3\n", "has no field 'bogus'");
    expect_asm_error("load mem=inp x=0\n", "out of range [1, 4096]");
    expect_asm_error("load mem=inp x=4097\n", "out of range");
    expect_asm_error("load mem=nowhere\n", "bad value 'nowhere'");
    expect_asm_error("load mem=inp x=1 x=2\n", "given twice");
    expect_asm_error("gemm e0\n", "needs a value");
    expect_asm_error("load mem=inp i8\n", "i8 is only for mem=acc");
    expect_asm_error("load pop_prev\n", "no previous engine");
    expect_asm_error(".insn 1 2 3\n", ".insn needs 4");
    expect_asm_error("requant zp=128\n", "out of range [-128, 127]");
    expect_asm_error("sync pop_prev\n", "has no field 'pop_prev'");
    CU_ASSERT_EQUAL(asmp("load\0x\n", 7, "nul.s", &w, &n, &e), DLA_ERR_FORMAT);
    CU_ASSERT(strstr(e.msg, "NUL") != NULL);
}

/* Disassembly is readable: mnemonics, enum names, flags. */
static void test_disasm_text(void)
{
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_GEMM);
    in.reset = 1;
    in.dst = 32;
    in.e3 = 4;
    in.pop_prev = 1;
    uint32_t w[4];
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(enc(&in, w, &e), DLA_OK);
    char text[256];
    dla_disasm_insn(w, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "gemm pop_prev acc=32 e3=4 reset");
    /* snprintf semantics: a short buffer gets a prefix and the full length back. */
    char small[6];
    int len = dla_disasm_insn(w, small, sizeof small);
    CU_ASSERT_EQUAL(len, (int)strlen("gemm pop_prev acc=32 e3=4 reset"));
    CU_ASSERT_STRING_EQUAL(small, "gemm ");
    uint32_t badw[4] = {15, 0, 0, 0};
    dla_disasm_insn(badw, text, sizeof text);
    CU_ASSERT(strncmp(text, ".insn 0x0000000f", 16) == 0);
    CU_ASSERT(strstr(text, "invalid") != NULL);
}

static void test_target_limits(void)
{
    DlaError e = {0};
    DlaTarget t = tu_edge();
    CU_ASSERT_EQUAL(dla_isa_check_target(&t, &e), DLA_OK);
    t = tu_server();
    CU_ASSERT_EQUAL(dla_isa_check_target(&t, &e), DLA_OK);
    t.wgt_sram_bytes = 8 << 20;
    CU_ASSERT_EQUAL(dla_isa_check_target(&t, &e), DLA_ERR_UNSUPPORTED);
    CU_ASSERT(strstr(e.msg, "weight SRAM") != NULL);
    t = tu_server();
    t.dram_bytes = 8ull << 30;
    CU_ASSERT_EQUAL(dla_isa_check_target(&t, &e), DLA_ERR_UNSUPPORTED);
    CU_ASSERT(dla_sim_new(&t, &e) == NULL);
}

void dla_register_tests(void)
{
    DLA_SUITE("isa_encode", {"field_extremes", test_field_extremes}, {"enums", test_enums},
              {"random_valid", test_random_valid}, {"reject", test_reject},
              {"random_words_roundtrip", test_random_words_roundtrip}, {"asm", test_asm},
              {"disasm_text", test_disasm_text}, {"target_limits", test_target_limits});
}
