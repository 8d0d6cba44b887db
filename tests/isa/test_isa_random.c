/* test_isa_random.c - random testing of the decoder and the simulator:
 *  - 100k random 128-bit words through the decoder (and the disassembler);
 *  - random *encodable* instructions (every field random in its range, so
 *    every opcode and operand combination occurs) in short programs, until
 *    100k of them have started executing on dla-edge (10k on dla-server): errors are expected and fine, crashes, hangs and out-of-bounds
 *    accesses are not (this is run under ASan+UBSan in the sanitizer build);
 *  - random VALID programs (in-bounds operands, balanced tokens) must run to
 *    completion, deterministically, and give the same DRAM results as the
 *    same program executed strictly sequentially (a SYNC after every
 *    instruction, no tokens): the tokens alone order the engines correctly. */
#include "isa_test_util.h"
#include "isa/isa_internal.h"

#include <inttypes.h>

#include "dla_mem.h"

static void test_random_words_decode(void)
{
    uint64_t seed = 1;
    int valid = 0;
    for (int i = 0; i < 100000; i++) {
        uint32_t w[4];
        for (int k = 0; k < 4; k++)
            w[k] = (uint32_t)tu_rand(&seed);
        if (i & 1) /* keep the opcode in range half the time */
            w[0] = (w[0] & ~0xfu) | (uint32_t)(tu_rand(&seed) % DLA_OP_COUNT);
        if (i % 4 == 1) /* and sparse words, which pass the reserved-bit checks more often */
            for (int k = 0; k < 4; k++)
                w[k] &= (uint32_t)tu_rand(&seed) & (uint32_t)tu_rand(&seed) & (uint32_t)tu_rand(&seed);
        DlaInsn in;
        DlaError e = {0};
        if (dla_insn_decode(w, &in, &e) == DLA_OK) {
            valid++;
            /* A decoded instruction re-encodes to the same words. */
            uint32_t w2[4];
            CU_ASSERT_EQUAL(dla_insn_encode(&in, w2, &e), DLA_OK);
            CU_ASSERT(memcmp(w, w2, sizeof w) == 0);
        } else {
            CU_ASSERT(e.msg[0] != 0);
        }
        char text[512];
        CU_ASSERT(dla_disasm_insn(w, text, sizeof text) > 0);
    }
    CU_ASSERT(valid > 100); /* the sparse words must reach the valid space */
}

/* A random encodable instruction: every field uniform in its range. */
static void random_insn(uint64_t *seed, DlaInsn *in)
{
    for (;;) {
        int op = (int)(tu_rand(seed) % DLA_OP_COUNT);
        DlaFormat fmt = dla_opcode_format((DlaOpcode)op);
        dla_insn_init(in, (DlaOpcode)op);
        for (int i = 0; i < dla_nformat_fields; i++) {
            const DlaFieldDesc *f = &dla_format_fields[i];
            if (f->fmt != fmt)
                continue;
            int64_t lo, hi;
            dla_field_range(f, &lo, &hi);
            uint64_t r = tu_rand(seed);
            int64_t v;
            /* Favour small values (and extremes) so that some accesses are in bounds. */
            switch (r % 4) {
            case 0: v = lo; break;
            case 1: v = hi; break;
            case 2: v = lo + (int64_t)((r >> 8) % 17 < (uint64_t)(hi - lo + 1) ? (r >> 8) % 17 : 0); break;
            default: v = lo + (int64_t)((r >> 8) % (uint64_t)(hi - lo + 1)); break;
            }
            *dla_insn_field(in, f->fld) = v;
        }
        uint32_t w[4];
        DlaInsn chk;
        DlaError e = {0};
        if (dla_insn_encode(in, w, &e) == DLA_OK && dla_insn_decode(w, &chk, &e) == DLA_OK)
            return;
    }
}

static void run_random_exec(DlaTarget t, int ninsns)
{
    uint64_t seed = t.gemm_rows * 1000003ull;
    DlaError e = {0};
    DlaSim *s = NULL;
    int ok = 0, failed = 0;
    uint32_t code[(4 + 1) * 4];
    uint64_t executed = 0, attempted = 0;
    int per = 0;
    int done = 0;
    /* Until ninsns random instructions have actually started executing. */
    for (int prog = 0; attempted < (uint64_t)ninsns; done += per, prog++) {
        if (prog % 1000 == 0) { /* a fresh simulator now and then frees the DRAM pages random stores touched */
            dla_sim_free(s);
            s = dla_sim_new(&t, &e);
            CU_ASSERT_PTR_NOT_NULL_FATAL(s);
            dla_sim_set_cycle_limit(s, 20000);
            uint8_t junk[4096];
            for (size_t i = 0; i < sizeof junk; i++)
                junk[i] = (uint8_t)tu_rand(&seed);
            for (uint64_t a = 0; a < (1 << 20); a += sizeof junk)
                dla_sim_dram_write(s, a, junk, sizeof junk, &e);
        }
        /* Short programs, so that a fault (which ends a run) leaves few instructions unexecuted. */
        per = 1 + (int)(tu_rand(&seed) % 4);
        for (int i = 0; i < per; i++) {
            DlaInsn in;
            random_insn(&seed, &in);
            if (in.op == DLA_OP_END && tu_rand(&seed) % 4)
                in.op = DLA_OP_SYNC; /* let most programs run past their first instructions */
            if (tu_rand(&seed) % 8) /* random tokens mostly deadlock: keep them in one of 8 */
                in.pop_prev = in.pop_next = in.push_prev = in.push_next = 0;
            CU_ASSERT_EQUAL_FATAL(dla_insn_encode(&in, code + 4 * i, &e), DLA_OK);
        }
        DlaInsn end;
        dla_insn_init(&end, DLA_OP_END);
        dla_insn_encode(&end, code + 4 * per, &e);
        dla_error_clear(&e);
        CU_ASSERT_EQUAL_FATAL(dla_sim_load_code(s, code, per + 1, &e), DLA_OK);
        dla_error_clear(&e);
        DlaStatus st = dla_sim_run(s, &e);
        executed += dla_sim_stats(s)->insns;
        attempted += dla_sim_stats(s)->insns + (st != DLA_OK);
        if (st == DLA_OK) {
            ok++;
        } else {
            failed++;
            CU_ASSERT(st == DLA_ERR_RUNTIME || st == DLA_ERR_LIMIT);
            CU_ASSERT(strstr(e.msg, "instruction") != NULL || strstr(e.msg, "deadlock") != NULL);
        }
    }
    dla_sim_free(s);
    fprintf(stderr, "random execution on %s: %d random instructions in %d programs: %d ran, %d faulted; "
                    "%" PRIu64 " instructions started, %" PRIu64 " completed\n", t.name, done, ok + failed, ok,
            failed, attempted, executed);
    CU_ASSERT(failed > 0);
    CU_ASSERT(ok > 0);
}

static void test_random_exec_edge(void)
{
    run_random_exec(tu_edge(), 100000);
}

static void test_random_exec_server(void)
{
    run_random_exec(tu_server(), 10000);
}

/* ---------------------------------------------------------------- random valid programs */

typedef struct Gen {
    DlaTarget t;
    uint64_t seed;
    DlaInsn *code;
    size_t n, cap;
    uint64_t n_inp, n_wgt, n_acc, n_param, n_lut;
} Gen;

static uint64_t rnd(Gen *g, uint64_t n) /* [0, n) */
{
    return n ? tu_rand(&g->seed) % n : 0;
}

static DlaInsn *add(Gen *g, DlaOpcode op)
{
    g->code = dla_grow(g->code, sizeof *g->code, g->n + 1, &g->cap);
    DlaInsn *in = &g->code[g->n++];
    dla_insn_init(in, op);
    return in;
}

/* A base for a stream of `span` elements plus `extent` inside n elements. */
static int64_t base_for(Gen *g, uint64_t extent, uint64_t span, uint64_t n)
{
    DLA_ASSERT(extent + span <= n);
    return (int64_t)rnd(g, n - extent - span + 1);
}

/* DMA into/out of on-chip memory with random shape, padding and pitch. */
static void gen_dma(Gen *g, DlaOpcode op, DlaMem m, DlaEngine eng)
{
    uint64_t x = 1 + rnd(g, 64), y = 1 + rnd(g, 4), z = 1 + rnd(g, 3);
    uint64_t pitch = rnd(g, 2) ? x + rnd(g, 5) : 0;
    uint64_t ys = x * (m == DLA_MEM_ACC || m == DLA_MEM_PARAM ? 4 : 1) + rnd(g, 64), zs = ys * y + rnd(g, 64);
    DlaInsn *c = add(g, DLA_OP_DMACFG);
    c->eng = eng;
    c->ystride = (int64_t)ys;
    c->zstride = (int64_t)zs;
    c->xpitch = (int64_t)pitch;
    DlaInsn *in = add(g, op);
    in->xsize = (int64_t)x;
    in->ysize = (int64_t)y;
    in->zsize = (int64_t)z;
    uint64_t P = pitch ? pitch : x, n;
    if (op == DLA_OP_LOAD) {
        in->mem = m;
        in->ypad0 = (int64_t)rnd(g, 3);
        in->ypad1 = (int64_t)rnd(g, 3);
        in->zpad0 = (int64_t)rnd(g, 2);
        in->zpad1 = (int64_t)rnd(g, 2);
        in->pad = (int64_t)rnd(g, 256) - 128;
        if (m == DLA_MEM_ACC)
            in->i8 = (int64_t)rnd(g, 2);
        if (dla_mem_elem_bytes(m) == 1 || in->i8)
            in->flip = (int64_t)rnd(g, 2);
        n = m == DLA_MEM_INP ? g->n_inp : m == DLA_MEM_WGT ? g->n_wgt : m == DLA_MEM_ACC ? g->n_acc
            : m == DLA_MEM_PARAM ? g->n_param : g->n_lut;
        uint64_t span = (uint64_t)(in->zpad0 + in->zsize + in->zpad1) * (uint64_t)(in->ypad0 + in->ysize + in->ypad1) * P;
        in->sram = base_for(g, 0, span, n);
        in->dram = (int64_t)rnd(g, 1 << 19); /* inputs in [0, 1 MiB) */
    } else {
        in->i8 = (int64_t)rnd(g, 2);
        in->flip = in->i8 ? (int64_t)rnd(g, 2) : 0;
        in->sram = base_for(g, 0, z * y * P, g->n_acc);
        in->dram = (int64_t)((2u << 20) + rnd(g, 1 << 19)); /* outputs in [2 MiB, 3 MiB) */
    }
}

/* Random loop extents and strides for the last instruction added: LOOPCFGs
 * are inserted before it. ext[] = the last offset of the dst, src, src2 streams. */
static void gen_loops(Gen *g, uint64_t ext[3])
{
    DlaInsn saved = g->code[--g->n];
    int64_t *e[4] = {&saved.e0, &saved.e1, &saved.e2, &saved.e3};
    uint64_t sd[4], ss[4], s2[4];
    ext[0] = ext[1] = ext[2] = 0;
    for (int l = 0; l < 4; l++) {
        *e[l] = (int64_t)(1 + rnd(g, l == 3 ? 8 : 3));
        sd[l] = rnd(g, 3) ? rnd(g, 40) : 0;
        ss[l] = rnd(g, 40);
        s2[l] = rnd(g, 40);
        DlaInsn *c = add(g, DLA_OP_LOOPCFG);
        c->level = l;
        c->sdst = (int64_t)sd[l];
        c->ssrc = (int64_t)ss[l];
        c->ssrc2 = (int64_t)s2[l];
        ext[0] += ((uint64_t)*e[l] - 1) * sd[l];
        ext[1] += ((uint64_t)*e[l] - 1) * ss[l];
        ext[2] += ((uint64_t)*e[l] - 1) * s2[l];
    }
    *add(g, saved.op) = saved;
}

static void gen_compute(Gen *g)
{
    uint64_t ext[3];
    uint32_t R = g->t.gemm_rows, C = g->t.gemm_cols;
    int kind = (int)rnd(g, 6);
    DlaInsn *in;
    switch (kind) {
    case 0:
    case 1: {
        in = add(g, DLA_OP_GEMM);
        in->dw = kind == 1 && rnd(g, 2);
        in->reset = rnd(g, 8) == 0;
        in->wpitch = (int64_t)(1 + rnd(g, 3));
        gen_loops(g, ext);
        in = &g->code[g->n - 1];
        uint64_t Wp = (uint64_t)in->wpitch * R;
        in->dst = base_for(g, ext[0], C, g->n_acc);
        in->src = base_for(g, ext[1], in->dw ? C : R, g->n_inp);
        in->src2 = base_for(g, ext[2], in->dw ? C : (C - 1) * Wp + R, g->n_wgt);
        break;
    }
    case 2: {
        in = add(g, DLA_OP_ALU);
        in->aluop = (int64_t)rnd(g, DLA_ALU_COUNT);
        char k = dla_aluop_kind((DlaAluOp)in->aluop);
        gen_loops(g, ext);
        in = &g->code[g->n - 1];
        in->dst = base_for(g, ext[0], 1, g->n_acc);
        in->src = base_for(g, ext[1], 1, g->n_acc);
        if (k != 'u') {
            in->imm = (int64_t)rnd(g, 2);
            in->src2 = in->imm ? (int64_t)(uint32_t)tu_rand(&g->seed) : base_for(g, ext[2], 1, g->n_acc);
        }
        break;
    }
    case 3:
        in = add(g, DLA_OP_CLIP);
        gen_loops(g, ext);
        in = &g->code[g->n - 1];
        in->dst = base_for(g, ext[0], 1, g->n_acc);
        in->src = base_for(g, ext[1], 1, g->n_acc);
        in->lo = (int64_t)rnd(g, 65536) - 32768;
        in->hi = (int64_t)rnd(g, 65536) - 32768;
        break;
    case 4:
        in = add(g, DLA_OP_LUT);
        gen_loops(g, ext);
        in = &g->code[g->n - 1];
        in->dst = base_for(g, ext[0], 1, g->n_acc);
        in->src = base_for(g, ext[1], 1, g->n_acc);
        in->table = base_for(g, 0, 256, g->n_lut);
        break;
    default:
        in = add(g, DLA_OP_REQUANT);
        gen_loops(g, ext);
        in = &g->code[g->n - 1];
        in->dst = base_for(g, ext[0], 1, g->n_acc);
        in->src = base_for(g, ext[1], 1, g->n_acc);
        in->param = base_for(g, ext[2], 1, g->n_param);
        in->zp = (int64_t)rnd(g, 256) - 128;
        in->relu = (int64_t)rnd(g, 2);
        break;
    }
}

/* A program of tiles: loads (load engine) -> compute -> stores, chained by
 * tokens, tiles separated by SYNC. `seq`: the same program with no tokens and
 * a SYNC after every instruction. */
static void gen_program(Gen *g, int ntiles)
{
    for (int t = 0; t < ntiles; t++) {
        int nl = 1 + (int)rnd(g, 3), nc = 1 + (int)rnd(g, 5), ns = 1 + (int)rnd(g, 2);
        for (int i = 0; i < nl; i++)
            gen_dma(g, DLA_OP_LOAD, rnd(g, 2) ? DLA_MEM_INP : DLA_MEM_WGT, DLA_ENG_LOAD);
        g->code[g->n - 1].push_next = 1;
        size_t first_c = g->n;
        for (int i = 0; i < nc; i++) {
            if (rnd(g, 4) == 0) {
                DlaMem m = (DlaMem)(DLA_MEM_ACC + rnd(g, 3));
                gen_dma(g, DLA_OP_LOAD, m, DLA_ENG_COMPUTE);
            } else {
                gen_compute(g);
            }
        }
        g->code[first_c].pop_prev = 1;
        g->code[g->n - 1].push_next = 1;
        size_t first_s = g->n;
        for (int i = 0; i < ns; i++)
            gen_dma(g, DLA_OP_STORE, DLA_MEM_ACC, DLA_ENG_STORE);
        g->code[first_s].pop_prev = 1;
        add(g, DLA_OP_SYNC);
    }
    add(g, DLA_OP_END);
}

/* sequential: 1 = no tokens and a SYNC after every instruction;
 * 2 = no tokens at all (only the SYNCs between tiles): racy. */
static uint32_t *encode_all(const DlaInsn *code, size_t n, int sequential, uint32_t *nout)
{
    uint32_t *w = malloc(sizeof(uint32_t) * 4 * (2 * n + 1));
    uint32_t k = 0;
    DlaError e = {0};
    for (size_t i = 0; i < n; i++) {
        DlaInsn in = code[i];
        if (sequential)
            in.pop_prev = in.pop_next = in.push_prev = in.push_next = 0;
        CU_ASSERT_EQUAL_FATAL(dla_insn_encode(&in, w + 4 * k++, &e), DLA_OK);
        if (sequential == 1 && in.op != DLA_OP_END && in.op != DLA_OP_SYNC) {
            DlaInsn sync;
            dla_insn_init(&sync, DLA_OP_SYNC);
            dla_insn_encode(&sync, w + 4 * k++, &e);
        }
    }
    *nout = k;
    return w;
}

static void run_valid_programs(DlaTarget t, int nprog, int min_races)
{
    DlaError e = {0};
    DlaSim *s = dla_sim_new(&t, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    uint8_t *out1 = malloc(1 << 20), *out2 = malloc(1 << 20);
    Gen g = {.t = t, .seed = 0xabcdef + t.gemm_rows};
    g.n_inp = t.inp_sram_bytes;
    g.n_wgt = t.wgt_sram_bytes;
    g.n_acc = t.acc_sram_bytes / 4;
    g.n_param = t.param_bytes / 4;
    g.n_lut = t.lut_bytes;
    uint64_t total_insns = 0;
    int races = 0;
    for (int p = 0; p < nprog; p++) {
        uint8_t junk[4096];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)tu_rand(&g.seed);
        for (uint64_t a = 0; a < (1 << 20); a += sizeof junk)
            dla_sim_dram_write(s, a, junk, sizeof junk, &e);
        g.n = 0;
        gen_program(&g, 1 + (int)rnd(&g, 6));
        uint32_t n1, n2;
        uint32_t *w1 = encode_all(g.code, g.n, 0, &n1), *w2 = encode_all(g.code, g.n, 1, &n2);
        total_insns += n1;
        /* Clear the output area, run with tokens; clear, run sequentially; compare. */
        memset(out1, 0, 1 << 20);
        dla_sim_dram_write(s, 2u << 20, out1, 1 << 20, &e);
        dla_error_clear(&e);
        CU_ASSERT_EQUAL_FATAL(dla_sim_load_code(s, w1, n1, &e), DLA_OK);
        DlaStatus st = dla_sim_run(s, &e);
        if (st)
            fprintf(stderr, "valid program %d on %s: %s\n", p, t.name, e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        uint64_t cyc = dla_sim_stats(s)->total_cycles;
        dla_sim_dram_read(s, 2u << 20, out1, 1 << 20, &e);
        /* Determinism: the same run again gives the same cycles. */
        CU_ASSERT_EQUAL(dla_sim_run(s, &e), DLA_OK);
        CU_ASSERT_EQUAL(dla_sim_stats(s)->total_cycles, cyc);
        memset(out2, 0, 1 << 20);
        dla_sim_dram_write(s, 2u << 20, out2, 1 << 20, &e);
        CU_ASSERT_EQUAL_FATAL(dla_sim_load_code(s, w2, n2, &e), DLA_OK);
        CU_ASSERT_EQUAL_FATAL(dla_sim_run(s, &e), DLA_OK);
        /* Sequential is never faster than overlapped. */
        CU_ASSERT(dla_sim_stats(s)->total_cycles >= cyc);
        dla_sim_dram_read(s, 2u << 20, out2, 1 << 20, &e);
        CU_ASSERT(memcmp(out1, out2, 1 << 20) == 0);
        free(w1);
        free(w2);
        /* Without the tokens, the race checker must object whenever an engine's
         * access overlaps another's: here, whenever a tile's stores or GEMMs touch
         * what its loads wrote. Count those; any other error is a failure. */
        uint32_t n3;
        uint32_t *w3 = encode_all(g.code, g.n, 2, &n3);
        dla_error_clear(&e);
        CU_ASSERT_EQUAL_FATAL(dla_sim_load_code(s, w3, n3, &e), DLA_OK);
        st = dla_sim_run(s, &e);
        if (st) {
            CU_ASSERT(strstr(e.msg, "race:") != NULL);
            races++;
        }
        free(w3);
    }
    CU_ASSERT(races >= min_races);
    fprintf(stderr, "  the same programs without tokens: %d of %d reported as racy\n", races, nprog);
    fprintf(stderr, "random valid programs on %s: %d programs, %" PRIu64 " instructions, all completed\n", t.name,
            nprog, total_insns);
    free(g.code);
    free(out1);
    free(out2);
    dla_sim_free(s);
}

static void test_valid_programs_edge(void)
{
    run_valid_programs(tu_edge(), 300, 30); /* small memories: random ranges often overlap */
}

static void test_valid_programs_server(void)
{
    run_valid_programs(tu_server(), 60, 0); /* large ones: they rarely do */
}

void dla_register_tests(void)
{
    DLA_SUITE("isa_random", {"random_words_decode", test_random_words_decode},
              {"random_exec_edge", test_random_exec_edge}, {"random_exec_server", test_random_exec_server},
              {"valid_programs_edge", test_valid_programs_edge}, {"valid_programs_server", test_valid_programs_server});
}
