/* test_quant_arith.c - the one definition of the integer arithmetic
 * (quant/quant.h) and the implementations of it that are not calls into it:
 *  - quant.h itself against hand-computed values (ties, saturation, NaN, inf,
 *    the fp32-not-double witness);
 *  - the simulator's REQUANT (mode=fp32 and mode=fixed) and FTOI, bit for bit
 *    against quant_requant / quant_requant_fixed / quant_rne on random values
 *    (isa/ links nothing of the compiler, so this is how they stay equal);
 *  - the host backend's JIT-compiled QuantizeLinear and DequantizeLinear
 *    against quant_quantize / quant_dequantize (the driver's boundary code),
 *    and the fp32 requantization witness through QLinearMatMul.
 * test_quant_host_dla.c compares the host's QLinear ops with the DLA path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "isa/sim.h"
#include "quant/quant.h"
#include "quant_test_util.h"

/* ------------------------------------------------------------ quant.h by hand */

static void test_rne_sat(void)
{
    CU_ASSERT_EQUAL(quant_rne(0.5f), 0);
    CU_ASSERT_EQUAL(quant_rne(1.5f), 2);
    CU_ASSERT_EQUAL(quant_rne(2.5f), 2);
    CU_ASSERT_EQUAL(quant_rne(-0.5f), 0);
    CU_ASSERT_EQUAL(quant_rne(-1.5f), -2);
    CU_ASSERT_EQUAL(quant_rne(-2.5f), -2);
    CU_ASSERT_EQUAL(quant_rne(0.49999997f), 0); /* the float below 0.5: no double rounding */
    CU_ASSERT_EQUAL(quant_rne(-0.0f), 0);
    CU_ASSERT_EQUAL(quant_rne(4194304.5f), 4194304);
    CU_ASSERT_EQUAL(quant_rne(4194305.5f), 4194306);
    CU_ASSERT_EQUAL(quant_rne(8388607.5f), 8388608);
    CU_ASSERT_EQUAL(quant_rne(16777217.0f), 16777216); /* not a float: rounds on conversion */
    CU_ASSERT_EQUAL(quant_rne(1e30f), (int64_t)1 << 62);
    CU_ASSERT_EQUAL(quant_rne(-1e30f), -((int64_t)1 << 62));
    CU_ASSERT_EQUAL(quant_rne(INFINITY), (int64_t)1 << 62);
    CU_ASSERT_EQUAL(quant_rne(-INFINITY), -((int64_t)1 << 62));
    CU_ASSERT_EQUAL(quant_rne(NAN), 0);
    CU_ASSERT_EQUAL(quant_sat(200, -128, 127), 127);
    CU_ASSERT_EQUAL(quant_sat(-200, -128, 127), -128);
    CU_ASSERT_EQUAL(quant_sat(5, -128, 127), 5);
    CU_ASSERT_EQUAL(quant_sat((int64_t)1 << 62, INT32_MIN, INT32_MAX), INT32_MAX);
    CU_ASSERT_EQUAL(quant_round_half_even(2.5), 2);
    CU_ASSERT_EQUAL(quant_round_half_even(-3.5), -4);
}

static void test_quantize(void)
{
    CU_ASSERT_EQUAL(quant_quantize_int8(2.5f, 1.0f, 0), 2);
    CU_ASSERT_EQUAL(quant_quantize_int8(3.5f, 1.0f, 0), 4);
    CU_ASSERT_EQUAL(quant_quantize_int8(-2.5f, 1.0f, 0), -2);
    CU_ASSERT_EQUAL(quant_quantize_int8(0.3f, 0.2f, 0), 2);  /* 0.3f / 0.2f rounds to 1.5f: a tie, to even */
    CU_ASSERT_EQUAL(quant_quantize_int8(1.0f, 0.5f, -3), -1);
    CU_ASSERT_EQUAL(quant_quantize_int8(60.0f, 0.5f, 10), 127); /* 120 + 10 saturates */
    CU_ASSERT_EQUAL(quant_quantize_int8(-1000.0f, 1.0f, 0), -128);
    CU_ASSERT_EQUAL(quant_quantize_int8(NAN, 1.0f, 7), 7);      /* NaN: the zero point */
    CU_ASSERT_EQUAL(quant_quantize_int8(INFINITY, 1.0f, 7), 127);
    CU_ASSERT_EQUAL(quant_quantize_int8(-INFINITY, 1.0f, 7), -128);
    CU_ASSERT_EQUAL(quant_quantize_int8(1.0f, 0.0f, 7), 127);   /* x / 0 = inf */
    CU_ASSERT_EQUAL(quant_quantize_int8(0.0f, 0.0f, 7), 7);     /* 0 / 0 = NaN */
    CU_ASSERT_EQUAL(quant_quantize_int8(1e-40f, 1e-45f, 0), 127); /* denormals divide exactly enough */
    CU_ASSERT_EQUAL(quant_quantize_uint8(-1.0f, 1.0f, 0), 0);
    CU_ASSERT_EQUAL(quant_quantize_uint8(300.0f, 1.0f, 0), 255);
    CU_ASSERT_EQUAL(quant_quantize_uint8(2.5f, 1.0f, 128), 130);
    CU_ASSERT_EQUAL(quant_quantize_uint8(NAN, 1.0f, 128), 128);
    CU_ASSERT_EQUAL(quant_quantize(40000.0f, 1.0f, 0, QUANT_INT16_MIN, QUANT_INT16_MAX), 32767);
    CU_ASSERT_EQUAL(quant_quantize(-12.5f, 0.5f, 100, QUANT_INT16_MIN, QUANT_INT16_MAX), 75);
    /* dequantize: f32(q - zp) * scale */
    CU_ASSERT_EQUAL(quant_dequantize(-128, 0.5f, 3), -65.5f);
    CU_ASSERT_EQUAL(quant_dequantize(255, 0.1f, 0), 255.0f * 0.1f);
    CU_ASSERT_EQUAL(quant_dequantize(INT32_MAX, 1.0f, -1), 2147483648.0f); /* q - zp in 64 bits */
}

static void test_requant(void)
{
    CU_ASSERT_EQUAL(quant_requant(5, 0.5f, 0, -128, 127), 2); /* 2.5 -> 2 */
    CU_ASSERT_EQUAL(quant_requant(7, 0.5f, 0, -128, 127), 4); /* 3.5 -> 4 */
    CU_ASSERT_EQUAL(quant_requant(-5, 0.5f, 0, -128, 127), -2);
    CU_ASSERT_EQUAL(quant_requant(-7, 0.5f, 0, -128, 127), -4);
    CU_ASSERT_EQUAL(quant_requant(1000, 0.01f, 3, -128, 127), 13);
    CU_ASSERT_EQUAL(quant_requant(100000, 0.01f, 3, -128, 127), 127);
    CU_ASSERT_EQUAL(quant_requant(-100000, 0.01f, 3, -128, 127), -128);
    CU_ASSERT_EQUAL(quant_requant(-1000, 0.01f, 3, 3, 127), 3); /* relu: lo = zp */
    CU_ASSERT_EQUAL(quant_requant(INT32_MAX, 1e30f, 100, -128, 127), 127);
    CU_ASSERT_EQUAL(quant_requant(10, NAN, -9, -128, 127), -9);
    CU_ASSERT_EQUAL(quant_requant(0, INFINITY, -9, -128, 127), -9); /* 0 * inf = NaN */
    CU_ASSERT_EQUAL(quant_requant(-1, INFINITY, 0, -128, 127), -128);
    CU_ASSERT_EQUAL(quant_requant(300, 1.0f, 0, 0, 255), 255);    /* uint8 range */
    /* fp32, not double: f32(3) * f32(1/6) is 0.5 exactly in binary32 (-> 0), while
     * the double product 0.50000001490116 would round to 1. */
    float sixth = (float)(1.0 / 6.0);
    CU_ASSERT_EQUAL(quant_requant(3, sixth, 0, -128, 127), 0);
    CU_ASSERT_NOT_EQUAL(nearbyint(3.0 * (double)sixth), 0);
    /* the scale: (sx * sw) / sy, multiply first */
    volatile float sx = 0.1f, sw = 0.3f, sy = 0.7f;
    float t = sx * sw;
    CU_ASSERT_EQUAL(f2b(quant_requant_scale(sx, sw, sy)), f2b(t / sy));
    CU_ASSERT_EQUAL(quant_requant_scale(0.5f, 0.25f, 0.125f), 1.0f);
    /* fixed point: M = 3 << 29 (0.75 * 2^31), n = 31: x * 0.75 rounded half to even */
    CU_ASSERT_EQUAL(quant_requant_fixed(2, 3 << 29, 31, -1, -128, 127), 2 - 1);  /* 1.5 -> 2 */
    CU_ASSERT_EQUAL(quant_requant_fixed(6, 3 << 29, 31, -1, -128, 127), 4 - 1);  /* 4.5 -> 4 */
    CU_ASSERT_EQUAL(quant_requant_fixed(-2, 3 << 29, 31, -1, -128, 127), -2 - 1); /* -1.5 -> -2 */
    CU_ASSERT_EQUAL(quant_requant_fixed(-6, 3 << 29, 31, 0, -128, 127), -4);      /* -4.5 -> -4 */
    CU_ASSERT_EQUAL(quant_requant_fixed(-7, 1, 1, 0, -128, 127), -4);             /* -3.5 -> -4 */
    CU_ASSERT_EQUAL(quant_requant_fixed(1000, 3 << 29, 31, -1, -128, 127), 127);
    CU_ASSERT_EQUAL(quant_requant_fixed(-1000, 3 << 29, 31, -1, -128, 127), -128);
    CU_ASSERT_EQUAL(quant_requant_fixed(5, 7, 0, 0, -128, 127), 35);
    CU_ASSERT_EQUAL(quant_requant_fixed(INT32_MIN, INT32_MIN, 62, 0, -128, 127), 1); /* 2^62 / 2^62 */
}

/* ------------------------------------------------------------ the simulator */

static DlaSim *edge_sim(void)
{
    DlaError e = {0};
    DlaTarget t;
    CU_ASSERT_EQUAL_FATAL(dla_target_load("dla-edge", &t, &e), DLA_OK);
    DlaSim *s = dla_sim_new(&t, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static void sim_asm(DlaSim *s, const char *text)
{
    DlaError e = {0};
    uint32_t *w = NULL, n = 0;
    DlaStatus st = dla_asm_parse(text, strlen(text), "test.s", &w, &n, &e);
    if (st == DLA_OK)
        st = dla_sim_load_code(s, w, n, &e);
    free(w);
    if (st == DLA_OK)
        st = dla_sim_run(s, &e);
    if (st)
        fprintf(stderr, "sim: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
}

/* An accumulator value: small, mid, large, extreme. */
static int32_t rnd_acc(void)
{
    switch (rnd() % 4) {
    case 0: return rnd_in(-300, 300);
    case 1: return rnd_in(-100000, 100000);
    case 2: return (int32_t)(rnd() ^ (rnd() << 16));
    default: {
        static const int32_t ex[] = {0, 1, -1, INT32_MAX, INT32_MIN, 16777217, -16777217, 3, 5, 7};
        return ex[rnd() % 10];
    }
    }
}

/* A scale: mostly ordinary, some powers of two (ties), some specials. */
static float rnd_scale(void)
{
    switch (rnd() % 8) {
    case 0: return ldexpf(1.0f, -rnd_in(0, 12));
    case 1: {
        static const float sp[] = {0.0f, -0.5f, 1e30f, 1e-30f, INFINITY, -INFINITY, NAN, 1.0f / 6.0f};
        return sp[rnd() % 8];
    }
    default: return rnd_log(1e-6f, 4.0f);
    }
}

enum { SIM_N = 1024 };
static const int sim_zps[] = {-128, -3, 0, 5, 127};

/* The program both requant tests run: SIM_N accumulators at DRAM 0 and their
 * parameters (`words` per channel) at 8192, then one requant per zero point of
 * sim_zps, with and without relu, each into its own block of SIM_N results
 * (block 1 + 2 * zp index + relu). mode: "" (fp32) or " mode=fixed". */
static void requant_program(char *text, size_t n, const char *mode, int words)
{
    int len = snprintf(text, n,
                       "load mem=acc dram=0 x=%d\nload mem=param dram=8192 sram=0 x=%d\n"
                       "loopcfg level=3 sdst=1 ssrc=1 ssrc2=%d\n", SIM_N, words * SIM_N, words);
    for (int z = 0; z < 5; z++)
        for (int relu = 0; relu < 2; relu++)
            len += snprintf(text + len, n - (size_t)len, "requant%s dst=%d src=0 param=0 zp=%d%s e3=%d\n", mode,
                            SIM_N * (1 + z * 2 + relu), sim_zps[z], relu ? " relu" : "", SIM_N);
    snprintf(text + len, n - (size_t)len, "end\n");
}

static void test_sim_requant_fp32(void)
{
    rng_state = 101;
    DlaSim *s = edge_sim();
    uint64_t same = 0, total = 0;
    char text[4096];
    requant_program(text, sizeof text, "", 1);
    static int32_t acc[SIM_N];
    static float sc[SIM_N];
    for (int run = 0; run < 64; run++) {
        for (int i = 0; i < SIM_N; i++) {
            acc[i] = rnd_acc();
            sc[i] = rnd_scale();
        }
        DlaError e = {0};
        CU_ASSERT_EQUAL(dla_sim_dram_write(s, 0, acc, sizeof acc, &e), DLA_OK);
        CU_ASSERT_EQUAL(dla_sim_dram_write(s, 8192, sc, sizeof sc, &e), DLA_OK);
        sim_asm(s, text);
        uint64_t nb;
        const int32_t *m = dla_sim_mem(s, DLA_MEM_ACC, &nb);
        for (int z = 0; z < 5; z++)
            for (int relu = 0; relu < 2; relu++)
                for (int i = 0; i < SIM_N; i++) {
                    int32_t want = quant_requant(acc[i], sc[i], sim_zps[z], relu ? sim_zps[z] : -128, 127);
                    int32_t got = m[SIM_N * (1 + z * 2 + relu) + i];
                    total++;
                    if (got == want)
                        same++;
                    else if (total - same < 5)
                        fprintf(stderr, "REQUANT fp32 acc %d scale %a zp %d relu %d: sim %d, quant.h %d\n", acc[i],
                                (double)sc[i], sim_zps[z], relu, got, want);
                }
    }
    fprintf(stderr, "QUANT-SAME sim REQUANT fp32 vs quant_requant: %llu of %llu identical\n",
            (unsigned long long)same, (unsigned long long)total);
    CU_ASSERT_EQUAL(same, total);
    dla_sim_free(s);
}

static void test_sim_requant_fixed(void)
{
    rng_state = 102;
    DlaSim *s = edge_sim();
    uint64_t same = 0, total = 0;
    char text[4096];
    requant_program(text, sizeof text, " mode=fixed", 2);
    static int32_t acc[SIM_N];
    static uint32_t par[2 * SIM_N];
    for (int run = 0; run < 32; run++) {
        for (int i = 0; i < SIM_N; i++) {
            acc[i] = rnd_acc();
            par[2 * i] = rnd() % 3 ? (uint32_t)rnd_in(-(1 << 20), 1 << 20) : rnd() ^ (rnd() << 16);
            par[2 * i + 1] = (uint32_t)rnd_in(0, 62);
        }
        DlaError e = {0};
        CU_ASSERT_EQUAL(dla_sim_dram_write(s, 0, acc, sizeof acc, &e), DLA_OK);
        CU_ASSERT_EQUAL(dla_sim_dram_write(s, 8192, par, sizeof par, &e), DLA_OK);
        sim_asm(s, text);
        uint64_t nb;
        const int32_t *m = dla_sim_mem(s, DLA_MEM_ACC, &nb);
        for (int z = 0; z < 5; z++)
            for (int relu = 0; relu < 2; relu++)
                for (int i = 0; i < SIM_N; i++) {
                    int32_t want = quant_requant_fixed(acc[i], (int32_t)par[2 * i], par[2 * i + 1], sim_zps[z],
                                                       relu ? sim_zps[z] : -128, 127);
                    total++;
                    same += m[SIM_N * (1 + z * 2 + relu) + i] == want;
                }
    }
    fprintf(stderr, "QUANT-SAME sim REQUANT fixed vs quant_requant_fixed: %llu of %llu identical\n",
            (unsigned long long)same, (unsigned long long)total);
    CU_ASSERT_EQUAL(same, total);
    dla_sim_free(s);
}

/* ALU FTOI is rne saturated to int32 (the residual add's rounding). */
static void test_sim_ftoi(void)
{
    rng_state = 103;
    DlaSim *s = edge_sim();
    uint64_t same = 0, total = 0;
    static uint32_t bits[SIM_N];
    char text[512];
    snprintf(text, sizeof text,
             "load mem=acc dram=0 x=%d\nloopcfg level=3 sdst=1 ssrc=1\nalu op=ftoi dst=%d src=0 e3=%d\nend\n", SIM_N,
             SIM_N, SIM_N);
    for (int run = 0; run < 32; run++) {
        for (int i = 0; i < SIM_N; i++) {
            if (rnd() % 2)
                bits[i] = rnd() ^ (rnd() << 16); /* any float, NaNs and infinities included */
            else
                bits[i] = f2b((float)rnd_in(-(1 << 24), 1 << 24) / (float)(1 << rnd_in(0, 3)));
        }
        DlaError e = {0};
        CU_ASSERT_EQUAL(dla_sim_dram_write(s, 0, bits, sizeof bits, &e), DLA_OK);
        sim_asm(s, text);
        uint64_t nb;
        const int32_t *m = dla_sim_mem(s, DLA_MEM_ACC, &nb);
        for (int i = 0; i < SIM_N; i++) {
            total++;
            same += m[SIM_N + i] == quant_sat(quant_rne(b2f(bits[i])), INT32_MIN, INT32_MAX);
        }
    }
    fprintf(stderr, "QUANT-SAME sim ALU ftoi vs quant_rne: %llu of %llu identical\n", (unsigned long long)same,
            (unsigned long long)total);
    CU_ASSERT_EQUAL(same, total);
    dla_sim_free(s);
}

/* ------------------------------------------------------------ host quantize / dequantize */

static float rnd_float_for(float scale)
{
    switch (rnd() % 8) {
    case 0: return scale * ((float)rnd_in(-300, 300) + 0.5f); /* ties (when exact) */
    case 1: {
        static const float sp[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e38f, -1e38f, 1e-42f};
        return sp[rnd() % 8];
    }
    default: return scale * (float)rnd_in(-400000, 400000) / 1000.0f;
    }
}

enum { QN = 4096 };

static void test_host_quantize(void)
{
    static const IrDtype dts[3] = {DT_INT8, DT_UINT8, DT_INT16};
    static const int32_t lo[3] = {QUANT_INT8_MIN, QUANT_UINT8_MIN, QUANT_INT16_MIN};
    static const int32_t hi[3] = {QUANT_INT8_MAX, QUANT_UINT8_MAX, QUANT_INT16_MAX};
    rng_state = 201;
    uint64_t same = 0, total = 0;
    for (int round = 0; round < 8; round++) {
        HostG h = {ir_graph_new(), {0}, 0};
        static float x[3][QN];
        float sc[3];
        int32_t zp[3];
        int8_t z8[3];
        uint8_t zu8[3];
        int16_t z16[3];
        void *zpp[3] = {&z8[0], &zu8[1], &z16[2]};
        static uint8_t ybuf[3][QN * 2];
        void *out[3];
        for (int k = 0; k < 3; k++) {
            sc[k] = rnd() % 3 ? rnd_log(1e-4f, 2.0f) : ldexpf(1.0f, -rnd_in(0, 8));
            zp[k] = rnd_in(lo[k] == QUANT_INT16_MIN ? -1000 : lo[k], hi[k] == QUANT_INT16_MAX ? 1000 : hi[k]);
            z8[k] = (int8_t)zp[k];
            zu8[k] = (uint8_t)zp[k];
            z16[k] = (int16_t)zp[k];
            for (int i = 0; i < QN; i++)
                x[k][i] = rnd_float_for(sc[k]);
            char nm[32];
            int64_t n = QN;
            snprintf(nm, sizeof nm, "x%d", k);
            int32_t xv = hg_input(&h, nm, DT_FLOAT, 1, &n, x[k]);
            snprintf(nm, sizeof nm, "s%d", k);
            int32_t sv = hg_input(&h, nm, DT_FLOAT, 0, NULL, &sc[k]);
            snprintf(nm, sizeof nm, "z%d", k);
            int32_t zv = hg_input(&h, nm, dts[k], 0, NULL, zpp[k]);
            snprintf(nm, sizeof nm, "y%d", k);
            int32_t yv = hg_value(&h, nm, dts[k], 1, &n);
            int32_t ins[3] = {xv, sv, zv};
            ir_node_add(h.g, nm, "QuantizeLinear", "", ins, 3, &yv, 1);
            ir_graph_add_output(h.g, yv);
            out[k] = ybuf[k];
        }
        hg_run(&h, out);
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < QN; i++) {
                int32_t want = quant_quantize(x[k][i], sc[k], zp[k], lo[k], hi[k]);
                int32_t got = dts[k] == DT_INT8 ? ((int8_t *)ybuf[k])[i]
                            : dts[k] == DT_UINT8 ? ((uint8_t *)ybuf[k])[i] : ((int16_t *)ybuf[k])[i];
                total++;
                if (got == want)
                    same++;
                else if (total - same < 5)
                    fprintf(stderr, "QuantizeLinear %s x %a scale %a zp %d: host %d, quant.h %d\n",
                            ir_dtype_name(dts[k]), (double)x[k][i], (double)sc[k], zp[k], got, want);
            }
        ir_graph_free(h.g);
    }
    fprintf(stderr, "QUANT-SAME host QuantizeLinear (int8/uint8/int16) vs quant_quantize: %llu of %llu identical\n",
            (unsigned long long)same, (unsigned long long)total);
    CU_ASSERT_EQUAL(same, total);
}

static void test_host_dequantize(void)
{
    static const IrDtype dts[3] = {DT_INT8, DT_UINT8, DT_INT32};
    rng_state = 202;
    uint64_t same = 0, total = 0;
    for (int round = 0; round < 4; round++) {
        HostG h = {ir_graph_new(), {0}, 0};
        static int32_t qv[3][QN];
        static int8_t q8[QN];
        static uint8_t qu8[QN];
        float sc[3];
        int32_t zp[3];
        int8_t z8;
        uint8_t zu8;
        int32_t z32;
        static float y[3][QN];
        void *out[3] = {y[0], y[1], y[2]};
        for (int k = 0; k < 3; k++) {
            sc[k] = rnd() % 3 ? rnd_log(1e-4f, 2.0f) : ldexpf(1.0f, -rnd_in(0, 8));
            for (int i = 0; i < QN; i++)
                qv[k][i] = k == 0 ? rnd_in(-128, 127) : k == 1 ? rnd_in(0, 255) : (int32_t)(rnd() ^ (rnd() << 16));
        }
        zp[0] = rnd_in(-128, 127), zp[1] = rnd_in(0, 255), zp[2] = (int32_t)(rnd() ^ (rnd() << 16));
        z8 = (int8_t)zp[0], zu8 = (uint8_t)zp[1], z32 = zp[2];
        for (int i = 0; i < QN; i++)
            q8[i] = (int8_t)qv[0][i], qu8[i] = (uint8_t)qv[1][i];
        const void *qd[3] = {q8, qu8, qv[2]}, *zd[3] = {&z8, &zu8, &z32};
        for (int k = 0; k < 3; k++) {
            char nm[32];
            int64_t n = QN;
            snprintf(nm, sizeof nm, "q%d", k);
            int32_t xv = hg_input(&h, nm, dts[k], 1, &n, qd[k]);
            snprintf(nm, sizeof nm, "s%d", k);
            int32_t sv = hg_input(&h, nm, DT_FLOAT, 0, NULL, &sc[k]);
            snprintf(nm, sizeof nm, "z%d", k);
            int32_t zv = hg_input(&h, nm, dts[k], 0, NULL, zd[k]);
            snprintf(nm, sizeof nm, "y%d", k);
            int32_t yv = hg_value(&h, nm, DT_FLOAT, 1, &n);
            int32_t ins[3] = {xv, sv, zv};
            ir_node_add(h.g, nm, "DequantizeLinear", "", ins, 3, &yv, 1);
            ir_graph_add_output(h.g, yv);
        }
        hg_run(&h, out);
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < QN; i++) {
                total++;
                same += f2b(y[k][i]) == f2b(quant_dequantize(qv[k][i], sc[k], zp[k]));
            }
        ir_graph_free(h.g);
    }
    fprintf(stderr, "QUANT-SAME host DequantizeLinear (int8/uint8/int32) vs quant_dequantize: %llu of %llu identical\n",
            (unsigned long long)same, (unsigned long long)total);
    CU_ASSERT_EQUAL(same, total);
}

/* The fp32-not-double witness through the JIT: QLinearMatMul of [3] x [1] with
 * a_scale = f32(1/6), b_scale = y_scale = 1 gives 0 (f32(3) * f32(1/6) = 0.5). */
static void test_host_fp32_witness(void)
{
    HostG h = {ir_graph_new(), {0}, 0};
    int64_t d[2] = {1, 1};
    static const int8_t a = 3, b = 1, z = 0;
    static const float sa = (float)(1.0 / 6.0), one = 1.0f;
    int32_t ins[8] = {hg_input(&h, "a", DT_INT8, 2, d, &a), hg_const(&h, "sa", DT_FLOAT, 0, NULL, &sa),
                      hg_const(&h, "za", DT_INT8, 0, NULL, &z), hg_input(&h, "b", DT_INT8, 2, d, &b),
                      hg_const(&h, "sb", DT_FLOAT, 0, NULL, &one), hg_const(&h, "zb", DT_INT8, 0, NULL, &z),
                      hg_const(&h, "sy", DT_FLOAT, 0, NULL, &one), hg_const(&h, "zy", DT_INT8, 0, NULL, &z)};
    int32_t y = hg_value(&h, "y", DT_INT8, 2, d);
    ir_node_add(h.g, "mm", "QLinearMatMul", "", ins, 8, &y, 1);
    ir_graph_add_output(h.g, y);
    int8_t out = 99;
    void *o[1] = {&out};
    hg_run(&h, o);
    CU_ASSERT_EQUAL(out, 0);
    CU_ASSERT_EQUAL(out, quant_requant(3, quant_requant_scale(sa, 1.0f, 1.0f), 0, -128, 127));
    ir_graph_free(h.g);
}

void dla_register_tests(void)
{
    DLA_SUITE("quant.h", {"rne and saturation", test_rne_sat}, {"quantize/dequantize", test_quantize},
              {"requantize", test_requant});
    DLA_SUITE("simulator vs quant.h", {"REQUANT fp32", test_sim_requant_fp32},
              {"REQUANT fixed", test_sim_requant_fixed}, {"ALU ftoi", test_sim_ftoi});
    DLA_SUITE("host vs quant.h", {"QuantizeLinear", test_host_quantize}, {"DequantizeLinear", test_host_dequantize},
              {"fp32 requantization witness", test_host_fp32_witness});
}
