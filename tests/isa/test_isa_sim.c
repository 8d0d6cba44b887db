/* test_isa_sim.c - the simulator, instruction by instruction against
 * hand-computed results, and hand-written assembly programs against plain C
 * references: matmul, a convolution tile with padding and stride, depthwise
 * convolution, requantization, residual add, max/avg pooling, a lookup-table
 * activation. Also timing, tokens (deadlock, imbalance), bounds errors,
 * statistics and the trace. All on targets built in code (isa_test_util.h). */
#include "isa_test_util.h"

#include <math.h>
#include <stdarg.h>

static DlaSim *new_sim(DlaTarget t)
{
    DlaError e = {0};
    DlaSim *s = dla_sim_new(&t, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static int32_t *acc_of(DlaSim *s)
{
    uint64_t n;
    return dla_sim_mem(s, DLA_MEM_ACC, &n);
}

static void dram_put(DlaSim *s, uint64_t addr, const void *p, uint64_t n)
{
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_sim_dram_write(s, addr, p, n, &e), DLA_OK);
}

static void dram_get(DlaSim *s, uint64_t addr, void *p, uint64_t n)
{
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_sim_dram_read(s, addr, p, n, &e), DLA_OK);
}

/* printf into a static program buffer. */
static const char *prog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *prog(const char *fmt, ...)
{
    static char buf[1 << 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

static void expect_fail(DlaSim *s, const char *text, DlaStatus code, const char *needle)
{
    DlaError e = {0};
    DlaStatus st = tu_run_asm(s, text, &e);
    CU_ASSERT_EQUAL(st, code);
    if (!strstr(e.msg, needle))
        fprintf(stderr, "expected '%s' in: %s\n", needle, e.msg);
    CU_ASSERT(strstr(e.msg, needle) != NULL);
}

static void fill_rand(int8_t *p, size_t n, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (int8_t)(tu_rand(seed) >> 56);
}

/* ------------------------------------------------------------ per instruction */

static void test_load_pad(void)
{
    DlaSim *s = new_sim(tu_edge());
    uint8_t img[4 * 5 * 3]; /* 4 rows x 5 pixels x 3 channels, value = index */
    for (int i = 0; i < (int)sizeof img; i++)
        img[i] = (uint8_t)i;
    dram_put(s, 1000, img, sizeof img);
    /* Rows 1..2, pixels 1..3, all 3 channels padded to 4, one pixel/row of padding around. */
    TU_RUN_OK(s, "dmacfg eng=load ystride=3 zstride=15 xpitch=4\n"
                 "load mem=inp dram=1018 sram=100 x=3 y=3 z=2 ypad0=1 ypad1=1 zpad0=1 zpad1=1 pad=-7\n"
                 "end\n");
    uint64_t n;
    int8_t *inp = dla_sim_mem(s, DLA_MEM_INP, &n);
    CU_ASSERT_EQUAL(n, 128 << 10);
    for (int zz = 0; zz < 4; zz++)
        for (int yy = 0; yy < 5; yy++)
            for (int xx = 0; xx < 4; xx++) {
                int8_t want = -7;
                if (zz >= 1 && zz < 3 && yy >= 1 && yy < 4 && xx < 3)
                    want = (int8_t)img[(zz - 1 + 1) * 15 + (yy - 1 + 1) * 3 + xx];
                CU_ASSERT_EQUAL(inp[100 + (zz * 5 + yy) * 4 + xx], want);
            }
    CU_ASSERT_EQUAL(inp[99], 0);
    CU_ASSERT_EQUAL(inp[100 + 80], 0);
    const DlaSimStats *st = dla_sim_stats(s);
    CU_ASSERT_EQUAL(st->dram_read_bytes, 3 * 3 * 2);
    dla_sim_free(s);
}

static void test_load_kinds(void)
{
    DlaSim *s = new_sim(tu_edge());
    uint8_t b[8] = {0x00, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x30, 0x40};
    int32_t words[2] = {-5, 0x12345678};
    dram_put(s, 0, b, 8);
    dram_put(s, 64, words, 8);
    TU_RUN_OK(s, "load mem=acc dram=0 sram=0 x=4 i8\n"         /* sign-extend */
                 "load mem=acc dram=0 sram=4 x=4 i8 flip\n"    /* uint8 -> int8 */
                 "load mem=acc dram=64 sram=8 x=2\n"           /* int32 */
                 "load mem=param dram=64 sram=3 x=2\n"
                 "load mem=lut dram=0 sram=256 x=8 flip\n"
                 "load mem=wgt dram=4 sram=1 x=4\n"
                 "end\n");
    int32_t *acc = acc_of(s);
    int32_t want[10] = {0, 127, -128, -1, -128, -1, 0, 127, -5, 0x12345678};
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(acc[i], want[i]);
    uint64_t n;
    uint32_t *par = dla_sim_mem(s, DLA_MEM_PARAM, &n);
    CU_ASSERT_EQUAL(par[3], (uint32_t)-5);
    CU_ASSERT_EQUAL(par[4], 0x12345678u);
    int8_t *lut = dla_sim_mem(s, DLA_MEM_LUT, &n);
    CU_ASSERT_EQUAL(lut[256], -128);
    CU_ASSERT_EQUAL(lut[259], 127);
    int8_t *wgt = dla_sim_mem(s, DLA_MEM_WGT, &n);
    CU_ASSERT_EQUAL(wgt[1], 0x10);
    CU_ASSERT_EQUAL(wgt[4], 0x40);
    /* Broadcast: ystride 0 repeats one row (a bias over pixels). */
    TU_RUN_OK(s, "dmacfg eng=compute ystride=0\n"
                 "load mem=acc dram=64 sram=0 x=2 y=3\n"
                 "end\n");
    acc = acc_of(s);
    for (int p = 0; p < 3; p++) {
        CU_ASSERT_EQUAL(acc[2 * p], -5);
        CU_ASSERT_EQUAL(acc[2 * p + 1], 0x12345678);
    }
    dla_sim_free(s);
}

static void test_store(void)
{
    DlaSim *s = new_sim(tu_edge());
    int32_t v[8] = {-300, -128, -1, 0, 5, 127, 128, 1 << 30};
    dram_put(s, 0, v, sizeof v);
    TU_RUN_OK(s, "load mem=acc dram=0 sram=0 x=8 push_next\n"
                 "dmacfg eng=store ystride=100 xpitch=4\n"
                 "store dram=0x1000 sram=0 x=3 y=2 i8 pop_prev\n" /* acc[0..2], acc[4..6] */
                 "store dram=0x2000 sram=0 x=3 y=2 i8 flip\n"
                 "store dram=0x3000 sram=0 x=2\n"
                 "end\n");
    int8_t o[103];
    dram_get(s, 0x1000, o, 103);
    int8_t want0[3] = {-128, -128, -1}, want1[3] = {5, 127, 127};
    CU_ASSERT(memcmp(o, want0, 3) == 0);
    CU_ASSERT(memcmp(o + 100, want1, 3) == 0);
    uint8_t u[3];
    dram_get(s, 0x2000, u, 3);
    CU_ASSERT_EQUAL(u[0], 0);
    CU_ASSERT_EQUAL(u[2], 127);
    int32_t w[2];
    dram_get(s, 0x3000, w, 8);
    CU_ASSERT_EQUAL(w[0], -300);
    CU_ASSERT_EQUAL(w[1], -128);
    dla_sim_free(s);
}

static void test_gemm_hand(void)
{
    DlaSim *s = new_sim(tu_edge());
    int8_t x[16], W[256];
    for (int r = 0; r < 16; r++)
        x[r] = (int8_t)(r - 8);
    for (int c = 0; c < 16; c++)
        for (int r = 0; r < 16; r++)
            W[c * 16 + r] = (int8_t)(c == r ? 1 : c == 15 ? -128 : 0); /* identity; column 15: -128 each */
    dram_put(s, 0, x, 16);
    dram_put(s, 64, W, 256);
    TU_RUN_OK(s, "load mem=inp dram=0 x=16\n"
                 "load mem=wgt dram=64 x=256 push_next\n"
                 "gemm acc=16 reset\n"
                 "gemm acc=16 pop_prev\n"
                 "gemm acc=16 e0=3\n" /* strides 0: three more times */
                 "end\n");
    int32_t *acc = acc_of(s);
    for (int c = 0; c < 15; c++)
        CU_ASSERT_EQUAL(acc[16 + c], 4 * (c - 8));
    /* column 15: -128 * (x[0] + .. + x[14]) + x[15] = -128 * -15 + 7 = 1927 */
    CU_ASSERT_EQUAL(acc[31], 4 * 1927);
    const DlaSimStats *st = dla_sim_stats(s);
    CU_ASSERT_EQUAL(st->macs_issued, 4 * 256);
    dla_sim_free(s);
}

/* ------------------------------------------------------------ vector unit */

static int32_t f2b(float f)
{
    int32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static float b2f(int32_t b)
{
    float f;
    memcpy(&f, &b, 4);
    return f;
}

/* Run one ALU op over n elements of acc (src at 0, src2 at 64, dst at 128). */
static void alu_case(DlaSim *s, const char *op, const int32_t *a, const int32_t *b, int n, const int32_t *want,
                     int imm, int32_t immv)
{
    int32_t *acc = acc_of(s);
    (void)acc;
    int32_t buf[128] = {0};
    memcpy(buf, a, sizeof(int32_t) * (size_t)n);
    if (b)
        memcpy(buf + 64, b, sizeof(int32_t) * (size_t)n);
    dram_put(s, 0, buf, sizeof buf);
    const char *text = imm ? prog("load mem=acc dram=0 x=128\n"
                                  "loopcfg level=3 sdst=1 ssrc=1 ssrc2=1\n"
                                  "alu op=%s dst=128 src=0 imm src2=%d e3=%d\nend\n",
                                  op, immv, n)
                           : prog("load mem=acc dram=0 x=128\n"
                                  "loopcfg level=3 sdst=1 ssrc=1 ssrc2=1\n"
                                  "alu op=%s dst=128 src=0 src2=%d e3=%d\nend\n",
                                  op, b ? 64 : 0, n); /* unary ops: no src2 */
    TU_RUN_OK(s, text);
    acc = acc_of(s);
    for (int i = 0; i < n; i++) {
        if (acc[128 + i] != want[i])
            fprintf(stderr, "alu %s[%d]: got %d (0x%08x) want %d (0x%08x)\n", op, i, acc[128 + i],
                    (unsigned)acc[128 + i], want[i], (unsigned)want[i]);
        CU_ASSERT_EQUAL(acc[128 + i], want[i]);
    }
}

static void test_alu(void)
{
    DlaSim *s = new_sim(tu_edge());
    int32_t a[6] = {INT32_MAX, INT32_MIN, -7, 7, 0, -1};
    int32_t b[6] = {1, 1, 2, -3, 5, INT32_MIN};
    alu_case(s, "add", a, b, 6, (int32_t[]){INT32_MIN, INT32_MIN + 1, -5, 4, 5, INT32_MAX}, 0, 0);
    alu_case(s, "sub", a, b, 6, (int32_t[]){INT32_MAX - 1, INT32_MAX, -9, 10, -5, INT32_MAX}, 0, 0);
    alu_case(s, "mul", a, b, 6, (int32_t[]){INT32_MAX, INT32_MIN, -14, -21, 0, INT32_MIN}, 0, 0);
    alu_case(s, "min", a, b, 6, (int32_t[]){1, INT32_MIN, -7, -3, 0, INT32_MIN}, 0, 0);
    alu_case(s, "max", a, b, 6, (int32_t[]){INT32_MAX, 1, 2, 7, 5, -1}, 0, 0);
    alu_case(s, "mov", a, b, 6, b, 0, 0);
    alu_case(s, "mov", a, NULL, 3, (int32_t[]){-9, -9, -9}, 1, -9);
    alu_case(s, "add", a, NULL, 3, (int32_t[]){INT32_MAX - 3, INT32_MAX - 2, -10}, 1, -3);
    int32_t sh[6] = {-7, 7, 5, 6, -5, -6};
    alu_case(s, "shr", sh, NULL, 6, (int32_t[]){-4, 3, 2, 3, -3, -3}, 1, 1);
    /* rshr by 1: -3.5 -> -4, 3.5 -> 4, 2.5 -> 2, 3 -> 3, -2.5 -> -2, -3 -> -3 (ties to even) */
    alu_case(s, "rshr", sh, NULL, 6, (int32_t[]){-4, 4, 2, 3, -2, -3}, 1, 1);
    alu_case(s, "shl", sh, NULL, 2, (int32_t[]){-7 * 16, 7 * 16}, 1, 36); /* 36 & 31 = 4 */
    alu_case(s, "abs", a, NULL, 6, (int32_t[]){INT32_MAX, INT32_MIN, 7, 7, 0, 1}, 0, 0);
    /* Floats. */
    int32_t fa[4] = {f2b(1.5f), f2b(-2.0f), f2b(1e30f), f2b(0.1f)};
    int32_t fb[4] = {f2b(0.25f), f2b(3.0f), f2b(1e30f), f2b(0.2f)};
    alu_case(s, "fadd", fa, fb, 4, (int32_t[]){f2b(1.75f), f2b(1.0f), f2b(2e30f), f2b(0.1f + 0.2f)}, 0, 0);
    alu_case(s, "fmul", fa, fb, 4, (int32_t[]){f2b(0.375f), f2b(-6.0f), f2b(INFINITY), f2b(0.1f * 0.2f)}, 0, 0);
    alu_case(s, "fdiv", fa, fb, 4, (int32_t[]){f2b(6.0f), f2b(-2.0f / 3.0f), f2b(1.0f), f2b(0.1f / 0.2f)}, 0, 0);
    alu_case(s, "fsub", fa, NULL, 2, (int32_t[]){f2b(1.0f), f2b(-2.5f)}, 1, f2b(0.5f));
    int32_t zero[2] = {0, f2b(-0.0f)};
    alu_case(s, "fdiv", zero, NULL, 1, (int32_t[]){0x7fc00000}, 1, f2b(0.0f)); /* 0/0: canonical NaN */
    int32_t ints[4] = {16777217, -3, INT32_MAX, 0};
    alu_case(s, "itof", ints, NULL, 4, (int32_t[]){f2b(16777216.0f), f2b(-3.0f), f2b(2147483648.0f), 0}, 0, 0);
    int32_t fl[7] = {f2b(2.5f), f2b(3.5f), f2b(-2.5f), f2b(1e20f), f2b(-1e20f), 0x7fc00000, f2b(-0.4f)};
    alu_case(s, "ftoi", fl, NULL, 7, (int32_t[]){2, 4, -2, INT32_MAX, INT32_MIN, 0, 0}, 0, 0);
    /* ftoi rounds like nearbyintf everywhere, in particular around 2^22 and 2^23
     * where floats have halves and then stop having fractions. */
    int32_t many[64], want[64];
    uint64_t seed = 8;
    float edges[] = {4194303.5f, 4194304.5f, 4194305.5f, 8388607.5f, 8388606.5f, 8388608.0f, -8388607.5f,
                     -4194304.5f, 0.5f, -0.5f, 1.5f, -1.5f, 0.49999997f, 1e-30f, -0.0f, 16777217.0f};
    for (int i = 0; i < 64; i++) {
        float f;
        if (i < (int)(sizeof edges / sizeof edges[0])) {
            f = edges[i];
        } else {
            uint32_t bits = (uint32_t)tu_rand(&seed);
            memcpy(&f, &bits, 4);
            if (!isfinite(f) || fabsf(f) > 1e9f)
                f = (float)((int64_t)(tu_rand(&seed) % 33554432) - 16777216) / 2.0f;
        }
        many[i] = f2b(f);
        want[i] = (int32_t)nearbyintf(f);
    }
    alu_case(s, "ftoi", many, NULL, 64, want, 0, 0);
    (void)b2f;
    dla_sim_free(s);
}

static void test_clip_lut(void)
{
    DlaSim *s = new_sim(tu_edge());
    int32_t v[6] = {-1000, -5, 0, 6, 7, 1000};
    int8_t tab[256];
    for (int i = 0; i < 256; i++)
        tab[i] = (int8_t)(255 - i); /* index i = value + 128 -> 127 - value */
    dram_put(s, 0, v, sizeof v);
    dram_put(s, 512, tab, 256);
    TU_RUN_OK(s, "load mem=acc dram=0 x=6\n"
                 "load mem=lut dram=512 sram=1024 x=256\n"
                 "loopcfg level=3 sdst=1 ssrc=1\n"
                 "clip dst=16 src=0 lo=-3 hi=6 e3=6\n"
                 "lut dst=32 src=0 table=1024 e3=6\n"
                 "end\n");
    int32_t *acc = acc_of(s);
    int32_t wc[6] = {-3, -3, 0, 6, 6, 6};
    int32_t wl[6] = {(int8_t)(255 - 0), (int8_t)(255 - 123), (int8_t)(255 - 128), (int8_t)(255 - 134),
                     (int8_t)(255 - 135), (int8_t)(255 - 255)};
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(acc[16 + i], wc[i]);
        CU_ASSERT_EQUAL(acc[32 + i], wl[i]);
    }
    dla_sim_free(s);
}

/* ONNX Runtime's requantization in float: saturate(round_half_even(float(acc) * scale) + zp). */
static int32_t ref_requant(int32_t x, float scale, int32_t zp, int relu)
{
    float f = (float)x * scale;
    float r = nearbyintf(f);
    double v = (double)r + zp;
    double lo = relu ? zp : -128;
    return (int32_t)(v < lo ? lo : v > 127 ? 127 : v);
}

static void test_requant(void)
{
    DlaSim *s = new_sim(tu_edge());
    /* Per-channel fp32 scales for 16 channels; 3 pixels; values chosen to hit ties. */
    float sc[16];
    for (int c = 0; c < 16; c++)
        sc[c] = c == 0 ? 0.5f : c == 1 ? 0.25f : 0.001f * (float)(c * c + 1);
    int32_t x[48];
    for (int p = 0; p < 3; p++)
        for (int c = 0; c < 16; c++)
            x[p * 16 + c] = (p == 0) ? 5 : (p == 1) ? -7 + c * 1000 : (c % 2 ? 100000 : -100000);
    dram_put(s, 0, x, sizeof x);
    dram_put(s, 1024, sc, sizeof sc);
    TU_RUN_OK(s, "load mem=acc dram=0 x=48\n"
                 "load mem=param dram=1024 sram=32 x=16\n"
                 "loopcfg level=2 sdst=16 ssrc=16 ssrc2=0\n"
                 "loopcfg level=3 sdst=1 ssrc=1 ssrc2=1\n"
                 "requant dst=100 src=0 param=32 zp=3 e2=3 e3=16\n"
                 "requant dst=200 src=0 param=32 zp=3 relu e2=3 e3=16\n"
                 "end\n");
    int32_t *acc = acc_of(s);
    CU_ASSERT_EQUAL(acc[100], 2 + 3);  /* 5 * 0.5 = 2.5 -> 2 (ties to even) */
    CU_ASSERT_EQUAL(acc[101], 1 + 3);  /* 5 * 0.25 = 1.25 -> 1 */
    CU_ASSERT_EQUAL(acc[116], -4 + 3); /* -7 * 0.5 = -3.5 -> -4 */
    for (int p = 0; p < 3; p++)
        for (int c = 0; c < 16; c++) {
            CU_ASSERT_EQUAL(acc[100 + p * 16 + c], ref_requant(x[p * 16 + c], sc[c], 3, 0));
            CU_ASSERT_EQUAL(acc[200 + p * 16 + c], ref_requant(x[p * 16 + c], sc[c], 3, 1));
        }
    /* Fixed point: M = 3 << 29 (0.75 * 2^31), n = 31 -> x * 0.75 rounded half to even. */
    uint32_t par[2] = {3u << 29, 31};
    int32_t xs[5] = {2, 6, -2, 1000, -1000};
    dram_put(s, 0, xs, sizeof xs);
    dram_put(s, 1024, par, sizeof par);
    TU_RUN_OK(s, "load mem=acc dram=0 x=5\n"
                 "load mem=param dram=1024 sram=0 x=2\n"
                 "loopcfg level=3 sdst=1 ssrc=1 ssrc2=0\n"
                 "requant mode=fixed dst=10 src=0 param=0 zp=-1 e3=5\n"
                 "end\n");
    acc = acc_of(s);
    int32_t wf[5] = {2 - 1 /* 1.5 -> 2 */, 4 - 1 /* 4.5 -> 4 */, -2 - 1 /* -1.5 -> -2 */, 127, -128};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(acc[10 + i], wf[i]);
    /* A shift beyond 62 faults before writing anything. */
    par[1] = 63;
    dram_put(s, 1024, par, sizeof par);
    expect_fail(s,
                "load mem=acc dram=0 x=5\nload mem=param dram=1024 sram=0 x=2\n"
                "requant mode=fixed dst=10 src=0 param=0\nend\n",
                DLA_ERR_RUNTIME, "instruction 2 (compute engine): requant: fixed-point shift 63");
    dla_sim_free(s);
}

/* ------------------------------------------------------------ programs vs C references */

/* out[M][N] = A[M][K] * B[N][K]^T, on both targets, K and N multiples of R and C. */
static void run_matmul(DlaTarget t, int M, int K, int N)
{
    DlaSim *s = new_sim(t);
    int R = (int)t.gemm_rows, C = (int)t.gemm_cols;
    uint64_t seed = (uint64_t)(M * 131 + K * 7 + N);
    int8_t *A = malloc((size_t)M * K), *B = malloc((size_t)N * K);
    fill_rand(A, (size_t)M * K, &seed);
    fill_rand(B, (size_t)N * K, &seed);
    dram_put(s, 0, A, (uint64_t)M * K);
    dram_put(s, 1 << 20, B, (uint64_t)N * K);
    char *text = malloc(1 << 16);
    int len = snprintf(text, 1 << 16,
                       "dmacfg eng=load ystride=%d\n"
                       "load mem=inp dram=0 x=%d y=%d\n"
                       "load mem=wgt dram=%d x=%d y=%d push_next\n"
                       "loopcfg level=2 sdst=%d ssrc=%d\n"
                       "loopcfg level=3 ssrc=%d ssrc2=%d\n"
                       "dmacfg eng=store ystride=%d zstride=0\n",
                       K, K, M, 1 << 20, K, N, N, K, R, R, N * 4);
    for (int nb = 0; nb < N / C; nb++)
        len += snprintf(text + len, (size_t)(1 << 16) - (size_t)len,
                        "gemm acc=%d wgt=%d wpitch=%d e2=%d e3=%d %s\n", nb * C, nb * C * K, K / R, M, K / R,
                        nb == 0 ? "pop_prev" : "");
    snprintf(text + len, (size_t)(1 << 16) - (size_t)len, "sync\ndmacfg eng=store ystride=%d\n"
             "store dram=%d x=%d y=%d\nend\n", N * 4, 2 << 20, N, M);
    TU_RUN_OK(s, text);
    int32_t *out = malloc(sizeof(int32_t) * (size_t)M * N);
    dram_get(s, 2 << 20, out, sizeof(int32_t) * (uint64_t)M * N);
    int bad = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int32_t r = 0;
            for (int k = 0; k < K; k++)
                r += A[m * K + k] * B[n * K + k];
            bad += out[m * N + n] != r;
        }
    CU_ASSERT_EQUAL(bad, 0);
    const DlaSimStats *st = dla_sim_stats(s);
    CU_ASSERT_EQUAL(st->macs_issued, (uint64_t)M * K * N);
    free(A);
    free(B);
    free(out);
    free(text);
    dla_sim_free(s);
}

static void test_matmul(void)
{
    run_matmul(tu_edge(), 7, 64, 32);
    run_matmul(tu_edge(), 1, 16, 16);
    run_matmul(tu_server(), 5, 128, 128);
}

/* Reference conv, NHWC int8 with zero point zx for padding, weights [OC][KH][KW][IC], int32 out [OH][OW][OC]. */
static void ref_conv(const int8_t *x, int H, int W, int IC, const int8_t *w, int OC, int KH, int KW, int S, int P,
                     int8_t zx, int32_t *out, int OH, int OW)
{
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++)
            for (int oc = 0; oc < OC; oc++) {
                int32_t acc = 0;
                for (int kh = 0; kh < KH; kh++)
                    for (int kw = 0; kw < KW; kw++)
                        for (int ic = 0; ic < IC; ic++) {
                            int ih = oh * S + kh - P, iw = ow * S + kw - P;
                            int8_t v = (ih < 0 || ih >= H || iw < 0 || iw >= W) ? zx : x[(ih * W + iw) * IC + ic];
                            acc += v * w[((oc * KH + kh) * KW + kw) * IC + ic];
                        }
                out[(oh * OW + ow) * OC + oc] = acc;
            }
}

/* A 3x3 conv tile, stride S, pad 1 (pad value = zero point), IC=32, OC=32 on dla-edge. */
static void run_conv(int S)
{
    DlaTarget t = tu_edge();
    DlaSim *s = new_sim(t);
    const int H = 9, W = 7, IC = 32, OC = 32, K = 3, P = 1, R = 16, C = 16;
    int OH = (H + 2 * P - K) / S + 1, OW = (W + 2 * P - K) / S + 1;
    int Hp = H + 2 * P, Wp = W + 2 * P;
    int8_t zx = -3;
    uint64_t seed = 99 + (uint64_t)S;
    int8_t x[H * W * IC], w[OC * K * K * IC];
    fill_rand(x, sizeof x, &seed);
    fill_rand(w, sizeof w, &seed);
    dram_put(s, 0, x, sizeof x);
    dram_put(s, 65536, w, sizeof w);
    char text[8192];
    int len = snprintf(text, sizeof text,
                       "dmacfg eng=load ystride=%d zstride=%d\n"
                       "load mem=inp dram=0 x=%d y=%d z=%d ypad0=1 ypad1=1 zpad0=1 zpad1=1 pad=%d\n"
                       "dmacfg eng=load ystride=%d zstride=0\n"
                       "load mem=wgt dram=65536 x=%d y=%d push_next\n"
                       "loopcfg level=1 sdst=%d ssrc=%d\n"
                       "loopcfg level=2 sdst=%d ssrc=%d\n"
                       "loopcfg level=3 ssrc=%d ssrc2=%d\n",
                       IC, W * IC, IC, W, H, zx, K * K * IC, K * K * IC, OC, OW * OC, S * Wp * IC, OC, S * IC, R, R);
    int first = 1;
    for (int ob = 0; ob < OC / C; ob++)
        for (int kh = 0; kh < K; kh++) {
            len += snprintf(text + len, sizeof text - (size_t)len,
                            "gemm acc=%d inp=%d wgt=%d wpitch=%d e1=%d e2=%d e3=%d %s\n", ob * C, kh * Wp * IC,
                            ob * C * K * K * IC + kh * K * IC, K * K * IC / R, OH, OW, K * IC / R,
                            first ? "pop_prev" : "");
            first = 0;
        }
    snprintf(text + len, sizeof text - (size_t)len, "sync\ndmacfg eng=store ystride=%d\nstore dram=%d x=%d y=%d\nend\n",
             OC * 4, 1 << 20, OC, OH * OW);
    TU_RUN_OK(s, text);
    int32_t out[OH * OW * OC], ref[OH * OW * OC];
    dram_get(s, 1 << 20, out, sizeof out);
    ref_conv(x, H, W, IC, w, OC, K, K, S, P, zx, ref, OH, OW);
    CU_ASSERT(memcmp(out, ref, sizeof out) == 0);
    (void)Hp;
    dla_sim_free(s);
}

static void test_conv_tile(void)
{
    run_conv(1);
    run_conv(2);
}

/* Depthwise 3x3, stride 1, pad 1, 32 channels: dw mode, pixels innermost. */
static void test_depthwise(void)
{
    DlaSim *s = new_sim(tu_edge());
    const int H = 6, W = 20, CH = 32, K = 3, C = 16;
    const int Wp = W + 2;
    int8_t zx = 5;
    uint64_t seed = 4242;
    int8_t x[H * W * CH], w[K * K * CH]; /* weights [KH][KW][CH] */
    fill_rand(x, sizeof x, &seed);
    fill_rand(w, sizeof w, &seed);
    dram_put(s, 0, x, sizeof x);
    dram_put(s, 65536, w, sizeof w);
    /* acc layout [oh][ow][ch]; per (channel block, kh, kw): loops e1 = oh, e3 = ow (R-way parallel). */
    char text[16384];
    int len = snprintf(text, sizeof text,
                       "dmacfg eng=load ystride=%d zstride=%d\n"
                       "load mem=inp dram=0 x=%d y=%d z=%d ypad0=1 ypad1=1 zpad0=1 zpad1=1 pad=%d\n"
                       "load mem=wgt dram=65536 x=%d push_next\n"
                       "loopcfg level=1 sdst=%d ssrc=%d\n"
                       "loopcfg level=3 sdst=%d ssrc=%d\n",
                       CH, W * CH, CH, W, H, zx, (int)sizeof w, W * CH, Wp * CH, CH, CH);
    int first = 1;
    for (int cb = 0; cb < CH / C; cb++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                len += snprintf(text + len, sizeof text - (size_t)len, "gemm dw acc=%d inp=%d wgt=%d e1=%d e3=%d %s\n",
                                cb * C, (kh * Wp + kw) * CH + cb * C, (kh * K + kw) * CH + cb * C, H, W,
                                first ? "pop_prev" : "");
                first = 0;
            }
    snprintf(text + len, sizeof text - (size_t)len, "sync\ndmacfg eng=store ystride=%d\nstore dram=%d x=%d y=%d\nend\n",
             CH * 4, 1 << 20, CH, H * W);
    TU_RUN_OK(s, text);
    int32_t out[H * W * CH];
    dram_get(s, 1 << 20, out, sizeof out);
    int bad = 0;
    for (int oh = 0; oh < H; oh++)
        for (int ow = 0; ow < W; ow++)
            for (int c = 0; c < CH; c++) {
                int32_t r = 0;
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++) {
                        int ih = oh + kh - 1, iw = ow + kw - 1;
                        int8_t v = (ih < 0 || ih >= H || iw < 0 || iw >= W) ? zx : x[(ih * W + iw) * CH + c];
                        r += v * w[(kh * K + kw) * CH + c];
                    }
                bad += out[(oh * W + ow) * CH + c] != r;
            }
    CU_ASSERT_EQUAL(bad, 0);
    /* Timing: each dw instruction is e1 * ceil(e3 / R) = 6 * 2 array cycles. */
    const DlaSimStats *st = dla_sim_stats(s);
    CU_ASSERT_EQUAL(st->array_steps, (uint64_t)(CH / C) * 9 * H * 2);
    CU_ASSERT_EQUAL(st->macs_issued, (uint64_t)H * W * CH * 9);
    dla_sim_free(s);
}

/* Residual add of two int8 tensors with their own scales, as a QDQ graph
 * (DequantizeLinear, Add in float, QuantizeLinear) computes it, bit-exact. */
static void test_residual_add(void)
{
    DlaSim *s = new_sim(tu_edge());
    const int N = 100;
    const float sa = 0.037f, sb = 0.051f, sy = 0.061f;
    const int za = 3, zb = -9, zy = 1;
    int8_t a[N], b[N];
    uint64_t seed = 5;
    fill_rand(a, N, &seed);
    fill_rand(b, N, &seed);
    dram_put(s, 0, a, N);
    dram_put(s, 256, b, N);
    const char *text = prog("load mem=acc dram=0 sram=0 x=%d i8\n"
                            "load mem=acc dram=256 sram=128 x=%d i8\n"
                            "loopcfg level=3 sdst=1 ssrc=1 ssrc2=1\n"
                            "alu op=sub dst=0 src=0 imm src2=%d e3=%d\n"
                            "alu op=sub dst=128 src=128 imm src2=%d e3=%d\n"
                            "alu op=itof dst=0 src=0 e3=%d\n"
                            "alu op=itof dst=128 src=128 e3=%d\n"
                            "alu op=fmul dst=0 src=0 imm src2=%.9gf e3=%d\n"
                            "alu op=fmul dst=128 src=128 imm src2=%.9gf e3=%d\n"
                            "alu op=fadd dst=0 src=0 src2=128 e3=%d\n"
                            "alu op=fdiv dst=0 src=0 imm src2=%.9gf e3=%d\n"
                            "alu op=ftoi dst=0 src=0 e3=%d\n"
                            "alu op=add dst=0 src=0 imm src2=%d e3=%d\n"
                            "clip dst=0 src=0 lo=-128 hi=127 e3=%d push_next\n"
                            "store dram=1024 x=%d i8 pop_prev\n"
                            "end\n",
                            N, N, za, N, zb, N, N, N, (double)sa, N, (double)sb, N, N, (double)sy, N, N, zy, N, N, N);
    TU_RUN_OK(s, text);
    int8_t out[N];
    dram_get(s, 1024, out, N);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        float fa = (float)(a[i] - za) * sa, fb = (float)(b[i] - zb) * sb;
        float q = nearbyintf((fa + fb) / sy);
        int v = (int)q + zy;
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        bad += out[i] != v;
    }
    CU_ASSERT_EQUAL(bad, 0);
    dla_sim_free(s);
}

/* Max pooling 3x3 stride 2 and average pooling 2x2 stride 2 over an int8 HWC tensor. */
static void test_pooling(void)
{
    DlaSim *s = new_sim(tu_edge());
    const int H = 9, W = 9, CH = 8;
    int8_t x[H * W * CH];
    uint64_t seed = 77;
    fill_rand(x, sizeof x, &seed);
    dram_put(s, 0, x, sizeof x);
    /* Max 3x3/2, no padding: OH = OW = 4. acc: x at 0 (H*W*CH = 648), out at 1024 [oh][ow][c].
     * Streams: dst = src = out (window loops stride 0), src2 = input.
     * Levels: 0 = oh, 1 = ow, 2 = kh*3+kw is not affine, so one instruction per kh:
     *         level 1 = ow, level 2 = kw, level 3 = c. */
    int OH = 4, OW = 4;
    char text[8192];
    int len = snprintf(text, sizeof text,
                       "load mem=acc dram=0 sram=0 x=%d i8\n"
                       "loopcfg level=0 sdst=%d ssrc=%d ssrc2=%d\n"
                       "loopcfg level=1 sdst=%d ssrc=%d ssrc2=%d\n"
                       "loopcfg level=2 sdst=0 ssrc=0 ssrc2=%d\n"
                       "loopcfg level=3 sdst=1 ssrc=1 ssrc2=1\n"
                       "alu op=mov dst=1024 imm src2=-128 e0=%d e1=%d e3=%d\n",
                       H * W * CH, OW * CH, OW * CH, 2 * W * CH, CH, CH, 2 * CH, CH, OH, OW, CH);
    for (int kh = 0; kh < 3; kh++)
        len += snprintf(text + len, sizeof text - (size_t)len,
                        "alu op=max dst=1024 src=1024 src2=%d e0=%d e1=%d e2=3 e3=%d\n", kh * W * CH, OH, OW, CH);
    /* Average 2x2/2: OH = OW = 4 (floor), sum then requant with scale 1/4 (fp32). */
    float quarter = 0.25f;
    dram_put(s, 4096, &quarter, 4);
    len += snprintf(text + len, sizeof text - (size_t)len,
                    "load mem=param dram=4096 sram=0 x=1\n"
                    "loopcfg level=2 sdst=0 ssrc=0 ssrc2=%d\n"
                    "alu op=mov dst=2048 imm src2=0 e0=%d e1=%d e3=%d\n",
                    CH, OH, OW, CH);
    for (int kh = 0; kh < 2; kh++)
        len += snprintf(text + len, sizeof text - (size_t)len,
                        "alu op=add dst=2048 src=2048 src2=%d e0=%d e1=%d e2=2 e3=%d\n", kh * W * CH, OH, OW, CH);
    snprintf(text + len, sizeof text - (size_t)len,
             "loopcfg level=0 sdst=0 ssrc=0 ssrc2=0\n"
             "loopcfg level=1 sdst=0 ssrc=0 ssrc2=0\n"
             "loopcfg level=2 sdst=0 ssrc=0 ssrc2=0\n"
             "loopcfg level=3 sdst=1 ssrc=1 ssrc2=0\n"
             "requant dst=2048 src=2048 param=0 e3=%d\n"
             "end\n",
             OH * OW * CH);
    TU_RUN_OK(s, text);
    int32_t *acc = acc_of(s);
    int bad = 0;
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++)
            for (int c = 0; c < CH; c++) {
                int m = -128, sum = 0;
                for (int kh = 0; kh < 3; kh++)
                    for (int kw = 0; kw < 3; kw++) {
                        int v = x[((oh * 2 + kh) * W + ow * 2 + kw) * CH + c];
                        m = v > m ? v : m;
                    }
                for (int kh = 0; kh < 2; kh++)
                    for (int kw = 0; kw < 2; kw++)
                        sum += x[((oh * 2 + kh) * W + ow * 2 + kw) * CH + c];
                bad += acc[1024 + (oh * OW + ow) * CH + c] != m;
                bad += acc[2048 + (oh * OW + ow) * CH + c] != (int32_t)nearbyintf((float)sum * 0.25f);
            }
    CU_ASSERT_EQUAL(bad, 0);
    dla_sim_free(s);
}

/* A lookup-table activation: quantized sigmoid, input scale 0.1 zp 0, output scale 1/256 zp -128. */
static void test_lut_activation(void)
{
    DlaSim *s = new_sim(tu_edge());
    int8_t tab[256], x[200];
    for (int i = 0; i < 256; i++) {
        double v = 1.0 / (1.0 + exp(-(double)(i - 128) * 0.1));
        long q = lrint(v * 256.0) - 128;
        tab[i] = (int8_t)(q > 127 ? 127 : q);
    }
    for (int i = 0; i < 200; i++)
        x[i] = (int8_t)(i - 100);
    dram_put(s, 0, tab, 256);
    dram_put(s, 512, x, 200);
    TU_RUN_OK(s, "load mem=lut dram=0 sram=512 x=256\n"
                 "load mem=acc dram=512 x=200 i8\n"
                 "loopcfg level=3 sdst=1 ssrc=1\n"
                 "lut dst=0 src=0 table=512 e3=200 push_next\n"
                 "store dram=4096 x=200 i8 pop_prev\n"
                 "end\n");
    int8_t out[200];
    dram_get(s, 4096, out, 200);
    int bad = 0;
    for (int i = 0; i < 200; i++)
        bad += out[i] != tab[x[i] + 128];
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(out[100], 0); /* sigmoid(0) = 0.5 -> 128 - 128 */
    dla_sim_free(s);
}

/* ------------------------------------------------------------ timing */

static void test_timing(void)
{
    DlaSim *s = new_sim(tu_edge()); /* 100 cycles latency, 16 B/cycle */
    TU_RUN_OK(s, "load mem=inp x=1000\nend\n");
    const DlaSimStats *st = dla_sim_stats(s);
    CU_ASSERT_EQUAL(st->total_cycles, 100 + 63); /* ceil(1000/16) */
    CU_ASSERT_EQUAL(st->engine[DLA_ENG_LOAD].busy_cycles, 163);
    /* Two loads on one engine: sequential. */
    TU_RUN_OK(s, "load mem=inp x=1600\nload mem=wgt x=1600\nend\n");
    CU_ASSERT_EQUAL(dla_sim_stats(s)->total_cycles, 2 * (100 + 100));
    /* A load and an independent GEMM overlap: total = max, not sum. */
    TU_RUN_OK(s, "load mem=inp x=1600\ngemm inp=2048 e3=150\nend\n");
    CU_ASSERT_EQUAL(dla_sim_stats(s)->total_cycles, 200);
    CU_ASSERT_EQUAL(dla_sim_stats(s)->engine[DLA_ENG_COMPUTE].busy_cycles, 150);
    /* With a token the GEMM waits for the load. */
    TU_RUN_OK(s, "load mem=inp x=1600 push_next\ngemm e3=150 pop_prev\nend\n");
    CU_ASSERT_EQUAL(dla_sim_stats(s)->total_cycles, 350);
    CU_ASSERT_EQUAL(dla_sim_stats(s)->engine[DLA_ENG_COMPUTE].wait_cycles, 200);
    /* The DRAM channel is shared: a load (load engine) and a store (store engine)
     * at the same time serialize their transfers, latencies overlap. */
    TU_RUN_OK(s, "load mem=inp x=1600\nstore dram=4096 x=400\nend\n"); /* 1600 bytes each */
    CU_ASSERT_EQUAL(dla_sim_stats(s)->total_cycles, 100 + 100 + 100);
    CU_ASSERT_EQUAL(dla_sim_stats(s)->engine[DLA_ENG_STORE].dram_wait_cycles, 100);
    CU_ASSERT_EQUAL(dla_sim_stats(s)->engine[DLA_ENG_STORE].wait_cycles, 100);
    CU_ASSERT_EQUAL(dla_sim_stats(s)->engine[DLA_ENG_STORE].busy_cycles, 200);
    /* Vector op: ceil(e3 / lanes) per outer iteration. */
    TU_RUN_OK(s, "alu op=mov e2=10 e3=17 imm src2=1\nend\n");
    CU_ASSERT_EQUAL(dla_sim_stats(s)->total_cycles, 10 * 2);
    /* SYNC: everything after waits for everything before. */
    TU_RUN_OK(s, "load mem=inp x=1600\nsync\ngemm e3=5\nend\n");
    CU_ASSERT_EQUAL(dla_sim_stats(s)->total_cycles, 205);
    /* Depthwise: R iterations of the innermost loop per cycle. */
    TU_RUN_OK(s, "gemm dw e2=3 e3=33\nend\n");
    CU_ASSERT_EQUAL(dla_sim_stats(s)->total_cycles, 3 * 3);
    /* MAC utilization: a GEMM-only program uses the whole array. */
    TU_RUN_OK(s, "gemm e3=1000\nend\n");
    CU_ASSERT_DOUBLE_EQUAL(dla_sim_stats(s)->mac_utilization, 1.0, 1e-9);
    /* Cycle limit. */
    dla_sim_set_cycle_limit(s, 1000);
    expect_fail(s, "gemm e0=1024 e1=1024 e2=1024 e3=1024\nend\n", DLA_ERR_LIMIT, "cycle limit");
    dla_sim_set_cycle_limit(s, 0);
    dla_sim_free(s);
}

/* Double buffering through tokens: loads run ahead of the GEMMs by one buffer. */
static void test_pipeline(void)
{
    DlaSim *s = new_sim(tu_edge());
    char text[8192];
    int len = 0;
    const int T = 6;
    /* Two input buffers: load i waits (pop_next) until gemm i-2 released buffer i%2 (push_prev). */
    for (int i = 0; i < T; i++) {
        len += snprintf(text + len, sizeof text - (size_t)len, "load mem=inp sram=%d x=1600 push_next%s\n",
                        (i % 2) * 2048, i >= 2 ? " pop_next" : "");
        len += snprintf(text + len, sizeof text - (size_t)len, "gemm inp=%d e3=100 pop_prev%s\n", (i % 2) * 2048,
                        i < T - 2 ? " push_prev" : "");
    }
    snprintf(text + len, sizeof text - (size_t)len, "end\n");
    TU_RUN_OK(s, text);
    const DlaSimStats *st = dla_sim_stats(s);
    /* Loads are the bottleneck (200 cycles each, back to back), GEMMs overlap. */
    CU_ASSERT_EQUAL(st->total_cycles, (uint64_t)T * 200 + 100);
    CU_ASSERT_EQUAL(st->engine[DLA_ENG_COMPUTE].busy_cycles, (uint64_t)T * 100);
    dla_sim_free(s);
}

/* ------------------------------------------------------------ protocol and bounds errors */

static void test_errors(void)
{
    DlaSim *s = new_sim(tu_edge());
    expect_fail(s, "gemm pop_prev\nend\n", DLA_ERR_RUNTIME,
                "deadlock before the end at instruction 1: compute engine at instruction 0 (gemm) waits for a token "
                "from load (pop_prev)");
    /* Cyclic wait: each waits for the other. */
    expect_fail(s, "load mem=inp pop_next push_next\ngemm pop_prev push_prev\nend\n", DLA_ERR_RUNTIME,
                "load engine at instruction 0 (load) waits for a token from compute (pop_next)");
    /* A token pushed into a phase that ends is not lost, but one nobody pops is an imbalance. */
    expect_fail(s, "load mem=inp push_next\nend\n", DLA_ERR_RUNTIME,
                "token imbalance at END (instruction 1): unconsumed tokens: 1 load->compute");
    expect_fail(s, "gemm push_next\ngemm push_prev\nend\n", DLA_ERR_RUNTIME, "1 compute->load, 1 compute->store");
    TU_RUN_OK(s, "load mem=inp push_next\nsync\ngemm pop_prev\nend\n");
    expect_fail(s, "gemm\n", DLA_ERR_RUNTIME, "program ends without END");
    expect_fail(s, "", DLA_ERR_RUNTIME, "without END");
    /* Execution stops at END: what follows is never run. */
    TU_RUN_OK(s, "end\ngemm pop_prev\n");
    /* Bounds: every memory, named with the instruction index. */
    expect_fail(s, "sync\ngemm acc=16377\nend\n", DLA_ERR_RUNTIME, "instruction 1 (compute engine): gemm: acc access");
    expect_fail(s, "loopcfg level=0 sdst=17\ngemm acc=0 e0=1024\nend\n", DLA_ERR_RUNTIME, "gemm: acc access");
    expect_fail(s, "gemm inp=131060\nend\n", DLA_ERR_RUNTIME, "gemm: inp access");
    expect_fail(s, "gemm wgt=0 wpitch=1024\nend\n", DLA_ERR_RUNTIME, "gemm: wgt access");
    expect_fail(s, "load mem=inp sram=131000 x=1000\nend\n", DLA_ERR_RUNTIME,
                "instruction 0 (load engine): load: inp access [131000, 131999] outside its 131072");
    expect_fail(s, "load mem=inp dram=0xfffffff0 x=100\nend\n", DLA_ERR_RUNTIME, "beyond DRAM size 268435456");
    expect_fail(s, "dmacfg eng=load zstride=0xffffffff\nload mem=inp dram=0 x=1 z=1024\nend\n", DLA_ERR_RUNTIME,
                "beyond DRAM");
    expect_fail(s, "dmacfg eng=load xpitch=3\nload mem=inp x=4\nend\n", DLA_ERR_RUNTIME, "xpitch 3 < x 4");
    expect_fail(s, "store sram=16383 x=2\nend\n", DLA_ERR_RUNTIME, "store: acc access");
    expect_fail(s, "store dram=0xfffffff0 x=2\nend\n", DLA_ERR_RUNTIME, "store: DRAM write");
    expect_fail(s, "load mem=param sram=4095 x=2\nend\n", DLA_ERR_RUNTIME, "param access");
    expect_fail(s, "lut table=3841\nend\n", DLA_ERR_RUNTIME, "lut: lut access");
    expect_fail(s, "requant param=4096\nend\n", DLA_ERR_RUNTIME, "requant: param access");
    expect_fail(s, "alu op=add src2=16384\nend\n", DLA_ERR_RUNTIME, "alu: acc (src2) access");
    expect_fail(s, "clip src=99999\nend\n", DLA_ERR_RUNTIME, "clip: acc (src) access");
    /* In bounds at the limit. */
    TU_RUN_OK(s, "gemm acc=16368\nlut table=3840\nload mem=inp sram=131071\nstore sram=100 dram=0xffffffc x=1\nend\n");
    /* Host DRAM access is checked too. */
    DlaError e = {0};
    char b[4];
    CU_ASSERT_EQUAL(dla_sim_dram_read(s, (256u << 20) - 2, b, 4, &e), DLA_ERR_INVALID);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dla_sim_dram_write(s, UINT64_MAX - 1, b, 4, &e), DLA_ERR_INVALID);
    dla_sim_free(s);
}

/* dla-server has 4 GiB of DRAM: pages are allocated only when written. */
static void test_server_dram(void)
{
    DlaSim *s = new_sim(tu_server());
    int32_t v[4] = {1, -2, 3, -4};
    uint64_t top = (4ull << 30) - 16;
    dram_put(s, top, v, 16);
    TU_RUN_OK(s, prog("load mem=acc dram=%llu x=4\nalu op=add dst=0 src=0 imm src2=10 e3=1\n"
                      "loopcfg level=3 sdst=1 ssrc=1\nalu op=mul dst=0 src=0 imm src2=2 e3=4 push_next\n"
                      "store dram=%llu x=4 pop_prev\nend\n",
                      (unsigned long long)top, (unsigned long long)(top - 1024)));
    int32_t o[4];
    dram_get(s, top - 1024, o, 16);
    CU_ASSERT_EQUAL(o[0], 22);
    CU_ASSERT_EQUAL(o[1], -4);
    CU_ASSERT_EQUAL(o[3], -8);
    char z[8] = {1};
    dram_get(s, 1ull << 31, z, 8); /* never written: zero */
    CU_ASSERT_EQUAL(z[0], 0);
    dla_sim_free(s);
}

/* ------------------------------------------------------------ program loading, stats, trace */

static void test_program_stats_trace(void)
{
    DlaTarget t = tu_edge();
    DlaSim *s = new_sim(t);
    const char *text = "load mem=inp x=256\n"                /* 0  layer a */
                       "load mem=wgt x=256 push_next\n"      /* 1  layer a */
                       "gemm e3=10 pop_prev push_next\n"     /* 2  layer a */
                       "store dram=4096 x=16 pop_prev\n"     /* 3  layer b */
                       "end\n";
    uint32_t *w = NULL, n = 0;
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_asm_parse(text, strlen(text), "p.s", &w, &n, &e), DLA_OK);
    uint8_t consts[64];
    for (int i = 0; i < 64; i++)
        consts[i] = (uint8_t)i;
    DlaLayerMap layers[2] = {{"conv \"a\"", "Conv", 0, 3, 2000}, {"b", "Store", 3, 1, 0}};
    DlaProgram p;
    memset(&p, 0, sizeof p);
    p.target = t;
    p.code = w;
    p.ninsns = n;
    p.consts = consts;
    p.const_bytes = 64;
    p.dram_bytes_used = 8192;
    p.layers = layers;
    p.nlayers = 2;
    CU_ASSERT_EQUAL_FATAL(dla_sim_load(s, &p, &e), DLA_OK);
    uint8_t back[64];
    dram_get(s, 0, back, 64);
    CU_ASSERT(memcmp(back, consts, 64) == 0);
    dla_sim_set_trace(s, 1);
    CU_ASSERT_EQUAL_FATAL(dla_sim_run(s, &e), DLA_OK);
    const DlaSimStats *st = dla_sim_stats(s);
    CU_ASSERT_EQUAL(st->macs_issued, 10 * 256);
    CU_ASSERT_EQUAL(st->macs_useful, 2000);
    CU_ASSERT_EQUAL(st->dram_read_bytes, 512);
    CU_ASSERT_EQUAL(st->dram_write_bytes, 64);
    CU_ASSERT_EQUAL(st->insns, 5);
    /* load 0..116, load 116..232, gemm 232..242, store 242..346 */
    CU_ASSERT_EQUAL(st->total_cycles, 346);
    CU_ASSERT_EQUAL(dla_sim_nlayers(s), 2);
    const DlaSimLayerStats *la = dla_sim_layer_stats(s, 0), *lb = dla_sim_layer_stats(s, 1);
    CU_ASSERT_STRING_EQUAL(la->name, "conv \"a\"");
    CU_ASSERT_EQUAL(la->start_cycle, 0);
    CU_ASSERT_EQUAL(la->end_cycle, 242);
    CU_ASSERT_EQUAL(la->macs_issued, 2560);
    CU_ASSERT_EQUAL(la->busy_cycles[DLA_ENG_COMPUTE], 10);
    CU_ASSERT_EQUAL(lb->start_cycle, 242);
    CU_ASSERT_EQUAL(lb->dram_write_bytes, 64);
    CU_ASSERT_DOUBLE_EQUAL(st->mac_utilization, 2000.0 / (346.0 * 256.0), 1e-12);
    CU_ASSERT_PTR_NULL(dla_sim_layer_stats(s, 2));
    /* Trace: valid-looking JSON with one event per instruction and the layer slices. */
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    CU_ASSERT_EQUAL(dla_sim_write_trace_json(s, f, &e), DLA_OK);
    fclose(f);
    CU_ASSERT(strncmp(buf, "{\"displayTimeUnit\"", 18) == 0);
    CU_ASSERT(strstr(buf, "\"name\":\"compute\"") != NULL);
    CU_ASSERT(strstr(buf, "\"name\":\"gemm\",\"cat\":\"compute\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":0.232000,"
                          "\"dur\":0.010000") != NULL);
    CU_ASSERT(strstr(buf, "\"name\":\"conv \\\"a\\\"\",\"cat\":\"layer\"") != NULL);
    /* Layers a (0..242) and b (242..346) do not overlap: one layer track. */
    CU_ASSERT(strstr(buf, "\"name\":\"b\",\"cat\":\"layer\",\"ph\":\"X\",\"pid\":1,\"tid\":3,") != NULL);
    CU_ASSERT(strstr(buf, "\"args\":{\"name\":\"layers 2\"}") == NULL);
    int events = 0;
    for (char *q = buf; (q = strstr(q, "\"ph\":\"X\"")); q++)
        events++;
    CU_ASSERT_EQUAL(events, 4 + 2);
    size_t opens = 0, closes = 0;
    for (char *q = buf; *q; q++) {
        opens += *q == '{';
        closes += *q == '}';
    }
    CU_ASSERT_EQUAL(opens, closes);
    free(buf);
    /* Text statistics. */
    f = open_memstream(&buf, &blen);
    dla_sim_write_stats(s, f);
    fclose(f);
    CU_ASSERT(strstr(buf, "total cycles      346") != NULL);
    CU_ASSERT(strstr(buf, "conv \"a\"") != NULL);
    free(buf);
    /* A program for another target is refused; a bad layer range too. */
    p.target = tu_server();
    CU_ASSERT_EQUAL(dla_sim_load(s, &p, &e), DLA_ERR_INVALID);
    p.target = t;
    layers[1].first_insn = 4;
    layers[1].ninsns = 2;
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dla_sim_load(s, &p, &e), DLA_ERR_FORMAT);
    CU_ASSERT(strstr(e.msg, "layer 1") != NULL);
    /* ... and a code word that does not decode. */
    layers[1].first_insn = 3;
    layers[1].ninsns = 1;
    w[8] = 0xf;
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dla_sim_load(s, &p, &e), DLA_ERR_FORMAT);
    CU_ASSERT(strstr(e.msg, "instruction 2") != NULL);
    free(w);
    dla_sim_free(s);
}

/* Reruns are deterministic: on-chip state is reset, DRAM results identical. */
static void test_rerun(void)
{
    DlaSim *s = new_sim(tu_edge());
    int8_t x[16] = {1, 2, 3};
    dram_put(s, 0, x, 16);
    const char *text = "load mem=acc x=16 i8\nloopcfg level=3 sdst=1 ssrc=1 ssrc2=1\n"
                       "alu op=add dst=16 src=16 src2=0 e3=16 push_next\nstore dram=64 x=16 pop_prev\nend\n";
    TU_RUN_OK(s, text);
    TU_RUN_OK(s, text);
    int32_t o[16];
    dram_get(s, 64, o, 64);
    CU_ASSERT_EQUAL(o[0], 1); /* acc[16..] starts at 0 each run: not 2 */
    CU_ASSERT_EQUAL(o[2], 3);
    dla_sim_free(s);
}

/* Races: accesses of different engines to overlapping ranges, one writing,
 * need a token chain or a SYNC between them. */
static void test_races(void)
{
    DlaSim *s = new_sim(tu_edge());
    /* RAW on inp: the GEMM may run before the load has written its input. */
    expect_fail(s, "load mem=inp x=64\ngemm\nend\n", DLA_ERR_RUNTIME,
                "instruction 1 (compute engine): race: reads inp [0, 16) that instruction 0 (load engine) writes");
    TU_RUN_OK(s, "load mem=inp x=64 push_next\ngemm pop_prev\nend\n");
    TU_RUN_OK(s, "load mem=inp x=64\nsync\ngemm\nend\n");
    /* A token orders everything before it on the pushing engine, not after. */
    expect_fail(s, "load mem=inp x=64 push_next\nload mem=wgt x=256\ngemm pop_prev\nend\n", DLA_ERR_RUNTIME,
                "reads wgt [0, 256) that instruction 1 (load engine) writes");
    /* WAR on inp: reloading a buffer the GEMM still reads needs the GEMM's token back. */
    expect_fail(s, "load mem=inp x=64 push_next\ngemm pop_prev e0=100\nload mem=inp x=64\nend\n", DLA_ERR_RUNTIME,
                "writes inp [0, 16) that instruction 1 (compute engine) reads");
    TU_RUN_OK(s, "load mem=inp x=64 push_next\ngemm pop_prev push_prev e0=100\nload mem=inp x=64 pop_next\nend\n");
    /* acc: compute writes, store reads. */
    expect_fail(s, "gemm reset\nstore x=16\nend\n", DLA_ERR_RUNTIME, "race: reads acc [0, 16)");
    expect_fail(s, "store x=16\ngemm reset\nend\n", DLA_ERR_RUNTIME, "race: writes acc [0, 16)");
    TU_RUN_OK(s, "gemm reset push_next\nstore x=16 pop_prev\nend\n");
    /* DRAM: a store's output read back by a load (the next layer's input). */
    expect_fail(s, "gemm reset push_next\nstore dram=4096 x=16 pop_prev\nload mem=inp dram=4100 x=8\nend\n",
                DLA_ERR_RUNTIME, "writes DRAM [4100, 4108) that instruction 2 (load engine) reads");
    TU_RUN_OK(s, "gemm reset push_next\nstore dram=4096 x=16 pop_prev\nsync\nload mem=inp dram=4100 x=8\nend\n");
    /* Orders are transitive: load -> compute -> store. */
    TU_RUN_OK(s, "load mem=inp dram=0 x=64 push_next\ngemm pop_prev push_next\nstore dram=0 x=16 pop_prev\nend\n");
    /* Disjoint ranges never race; param and lut are compute-only. */
    TU_RUN_OK(s, "load mem=inp x=64\ngemm inp=64\nload mem=param x=4\nload mem=lut x=256\nend\n");
    /* It can be switched off. */
    dla_sim_set_race_check(s, 0);
    TU_RUN_OK(s, "load mem=inp x=64\ngemm\nend\n");
    dla_sim_free(s);
}

/* Pipelined layers overlap in time: the trace puts them on separate layer tracks. */
static void test_trace_overlap(void)
{
    DlaTarget t = tu_edge();
    DlaSim *s = new_sim(t);
    const char *text = "load mem=inp x=1600\n"  /* 0 layer a: 0..200 */
                       "gemm inp=2048 e3=50\n"  /* 1 layer b: 0..50 */
                       "end\n";
    uint32_t *w = NULL, n = 0;
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_asm_parse(text, strlen(text), "p.s", &w, &n, &e), DLA_OK);
    DlaLayerMap layers[2] = {{"a", "Load", 0, 1, 0}, {"b", "Gemm", 1, 1, 0}};
    DlaProgram p;
    memset(&p, 0, sizeof p);
    p.target = t;
    p.code = w;
    p.ninsns = n;
    p.layers = layers;
    p.nlayers = 2;
    CU_ASSERT_EQUAL_FATAL(dla_sim_load(s, &p, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_sim_run(s, &e), DLA_OK);
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    CU_ASSERT_EQUAL(dla_sim_write_trace_json(s, f, &e), DLA_OK);
    fclose(f);
    CU_ASSERT(strstr(buf, "\"name\":\"a\",\"cat\":\"layer\",\"ph\":\"X\",\"pid\":1,\"tid\":3,") != NULL);
    CU_ASSERT(strstr(buf, "\"name\":\"b\",\"cat\":\"layer\",\"ph\":\"X\",\"pid\":1,\"tid\":4,") != NULL);
    CU_ASSERT(strstr(buf, "\"args\":{\"name\":\"layers 2\"}") != NULL);
    free(buf);
    free(w);
    dla_sim_free(s);
}

/* The GEMM fast paths (merged contiguous reductions, 4-column dot products,
 * int16-transposed weights, depthwise rows) against a direct transcription of
 * docs/isa.md's per-iteration semantics, on random loop nests whose strides
 * are drawn to hit every path: contiguous runs, zero strides, extent-1
 * levels, overlapping accumulators. */
static void run_gemm_reference(DlaTarget t, int ncases, uint64_t seed)
{
    DlaSim *s = new_sim(t);
    const uint32_t R = t.gemm_rows, C = t.gemm_cols;
    const uint64_t NI = t.inp_sram_bytes, NW = t.wgt_sram_bytes, NA = t.acc_sram_bytes / 4;
    int8_t *inp = malloc(NI), *wgt = malloc(NW);
    int32_t *acc0 = malloc(NA * 4), *ref = malloc(NA * 4), *out = malloc(NA * 4);
    char text[4096];
    for (int tc = 0; tc < ncases; tc++) {
        fill_rand(inp, NI, &seed);
        fill_rand(wgt, NW, &seed);
        for (uint64_t i = 0; i < NA; i++)
            acc0[i] = (int32_t)(tu_rand(&seed) >> 40) - (1 << 23);
        dram_put(s, 0, inp, NI);
        dram_put(s, 8u << 20, wgt, NW);
        dram_put(s, 16u << 20, acc0, NA * 4);
        int dw = tu_rand(&seed) % 3 == 0, reset = tu_rand(&seed) % 10 == 0;
        uint64_t e[4], sd[4], ss[4], s2[4], wp = 1 + tu_rand(&seed) % 4, run = R;
        for (int l = 3; l >= 0; l--) {
            e[l] = 1 + tu_rand(&seed) % (l == 3 ? 6 : 3);
            switch (tu_rand(&seed) % 6) {
            case 4: /* a reduction that looks contiguous in one operand only: not mergeable */
                sd[l] = 0;
                ss[l] = run;
                s2[l] = run + 1 + tu_rand(&seed) % 100;
                break;
            case 5:
                sd[l] = 0;
                ss[l] = tu_rand(&seed) % 200;
                s2[l] = run;
                break;
            case 0: /* contiguous reduction: mergeable */
                sd[l] = 0;
                ss[l] = s2[l] = run;
                run *= e[l];
                break;
            case 1: /* weights fixed, pixels move (transposed-weight path) */
                sd[l] = C * (1 + tu_rand(&seed) % 3);
                ss[l] = 1 + tu_rand(&seed) % 300;
                s2[l] = 0;
                break;
            case 2: /* everything moves, accumulators may overlap */
                sd[l] = tu_rand(&seed) % (2 * C);
                ss[l] = tu_rand(&seed) % 500;
                s2[l] = tu_rand(&seed) % 500;
                break;
            default: /* zero strides: the same block again */
                sd[l] = ss[l] = s2[l] = 0;
                break;
            }
        }
        uint64_t Wp = wp * R, xd = 0, xs = 0, x2 = 0;
        for (int l = 0; l < 4; l++) {
            xd += (e[l] - 1) * sd[l];
            xs += (e[l] - 1) * ss[l];
            x2 += (e[l] - 1) * s2[l];
        }
        uint64_t ispan = dw ? C : R, wspan = dw ? C : (C - 1) * Wp + R;
        if (xd + C > NA || xs + ispan > NI || x2 + wspan > NW) {
            tc--;
            continue;
        }
        uint64_t d0 = tu_rand(&seed) % (NA - xd - C + 1), a0 = tu_rand(&seed) % (NI - xs - ispan + 1),
                 w0 = tu_rand(&seed) % (NW - x2 - wspan + 1);
        int len = snprintf(text, sizeof text,
                           "dmacfg eng=load ystride=4096\ndmacfg eng=compute ystride=16384\n"
                           "dmacfg eng=store ystride=16384\n"
                           "load mem=inp x=4096 y=%u\nload mem=wgt dram=%u x=4096 y=%u push_next\n"
                           "load mem=acc dram=%u x=4096 y=%u\n",
                           (unsigned)(NI / 4096), 8u << 20, (unsigned)(NW / 4096), 16u << 20,
                           (unsigned)(NA / 4096));
        for (int l = 0; l < 4; l++)
            len += snprintf(text + len, sizeof text - (size_t)len, "loopcfg level=%d sdst=%llu ssrc=%llu ssrc2=%llu\n",
                            l, (unsigned long long)sd[l], (unsigned long long)ss[l], (unsigned long long)s2[l]);
        snprintf(text + len, sizeof text - (size_t)len,
                 "gemm acc=%llu inp=%llu wgt=%llu wpitch=%llu e0=%llu e1=%llu e2=%llu e3=%llu%s%s pop_prev push_next\n"
                 "store dram=%u x=4096 y=%u pop_prev\nend\n",
                 (unsigned long long)d0, (unsigned long long)a0, (unsigned long long)w0, (unsigned long long)wp,
                 (unsigned long long)e[0], (unsigned long long)e[1], (unsigned long long)e[2],
                 (unsigned long long)e[3], dw ? " dw" : "", reset ? " reset" : "", 32u << 20, (unsigned)(NA / 4096));
        TU_RUN_OK(s, text);
        /* Reference: docs/isa.md, GEMM, one iteration at a time, in order. */
        memcpy(ref, acc0, NA * 4);
        for (uint64_t i0 = 0; i0 < e[0]; i0++)
            for (uint64_t i1 = 0; i1 < e[1]; i1++)
                for (uint64_t i2 = 0; i2 < e[2]; i2++)
                    for (uint64_t i3 = 0; i3 < e[3]; i3++) {
                        uint64_t d = d0 + i0 * sd[0] + i1 * sd[1] + i2 * sd[2] + i3 * sd[3];
                        uint64_t a = a0 + i0 * ss[0] + i1 * ss[1] + i2 * ss[2] + i3 * ss[3];
                        uint64_t w = w0 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2] + i3 * s2[3];
                        for (uint32_t c = 0; c < C; c++) {
                            int64_t sum = 0;
                            if (reset) {
                                ref[d + c] = 0;
                                continue;
                            }
                            if (dw)
                                sum = (int64_t)inp[a + c] * wgt[w + c];
                            else
                                for (uint32_t r = 0; r < R; r++)
                                    sum += (int64_t)inp[a + r] * wgt[w + c * Wp + r];
                            ref[d + c] = (int32_t)(uint32_t)((uint64_t)(uint32_t)ref[d + c] + (uint64_t)sum);
                        }
                    }
        dram_get(s, 32u << 20, out, NA * 4);
        uint64_t bad = 0;
        for (uint64_t i = 0; i < NA; i++)
            bad += out[i] != ref[i];
        if (bad)
            fprintf(stderr, "gemm reference case %d on %s: %llu mismatches: %s", tc, t.name, (unsigned long long)bad,
                    text + len);
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(inp);
    free(wgt);
    free(acc0);
    free(ref);
    free(out);
    dla_sim_free(s);
}

static void test_gemm_reference(void)
{
    run_gemm_reference(tu_edge(), 300, 31337);
    run_gemm_reference(tu_server(), 12, 4711);
}

/* The shipped XML targets have exactly the figures of issue 3 (which the
 * in-code targets of these tests also use) and fit the ISA's encoding. */
static void test_shipped_targets(void)
{
    const char *names[2] = {"dla-edge", "dla-server"};
    DlaTarget want[2] = {tu_edge(), tu_server()};
    for (int i = 0; i < 2; i++) {
        DlaTarget t;
        DlaError e = {0};
        DlaStatus st = dla_target_load(names[i], &t, &e);
        if (st)
            fprintf(stderr, "%s: %s\n", names[i], e.msg);
        CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
        for (int f = 0; f < DLA_TARGET_NFIELDS; f++)
            CU_ASSERT_EQUAL(dla_target_field_get(&t, f), dla_target_field_get(&want[i], f));
        CU_ASSERT_EQUAL(dla_isa_check_target(&t, &e), DLA_OK);
        DlaSim *s = dla_sim_new(&t, &e);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        TU_RUN_OK(s, "gemm e3=3\nend\n");
        CU_ASSERT_EQUAL(dla_sim_stats(s)->macs_issued, 3ull * t.gemm_rows * t.gemm_cols);
        dla_sim_free(s);
    }
}

void dla_register_tests(void)
{
    DLA_SUITE("isa_sim_insn", {"load_pad", test_load_pad}, {"load_kinds", test_load_kinds}, {"store", test_store},
              {"gemm_hand", test_gemm_hand}, {"alu", test_alu}, {"clip_lut", test_clip_lut},
              {"requant", test_requant}, {"gemm_reference", test_gemm_reference});
    DLA_SUITE("isa_sim_programs", {"matmul", test_matmul}, {"conv_tile", test_conv_tile},
              {"depthwise", test_depthwise}, {"residual_add", test_residual_add}, {"pooling", test_pooling},
              {"lut_activation", test_lut_activation});
    DLA_SUITE("isa_sim_timing", {"timing", test_timing}, {"pipeline", test_pipeline});
    DLA_SUITE("isa_sim_checks", {"errors", test_errors}, {"server_dram", test_server_dram},
              {"program_stats_trace", test_program_stats_trace}, {"rerun", test_rerun},
              {"shipped_targets", test_shipped_targets}, {"races", test_races}, {"trace_overlap", test_trace_overlap});
}
