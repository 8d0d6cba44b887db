/* bench_sim.c - the simulator's int8 MAC throughput on one core, on a
 * GEMM-shaped program (a matrix product with a long contiguous reduction) and
 * a convolution-shaped one (3x3 conv tile, stride 1, pad 1, implicit GEMM over
 * output pixels x kernel taps x input-channel blocks). Prints G MAC/s and the
 * ratio to the 10 G MAC/s goal (acceptance: 5 G MAC/s).
 *
 * usage: bench_sim [TARGET...]   (default: dla-edge dla-server) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isa/isa.h"
#include "isa/sim.h"
#include "isa/target.h"

typedef struct Prog {
    uint32_t *w;
    uint32_t n, cap;
} Prog;

static void emit(Prog *p, const DlaInsn *in)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->w = realloc(p->w, sizeof(uint32_t) * DLA_INSN_WORDS * p->cap);
    }
    DlaError e = {0};
    if (dla_insn_encode(in, p->w + (size_t)p->n * DLA_INSN_WORDS, &e)) {
        fprintf(stderr, "bench_sim: %s\n", e.msg);
        exit(1);
    }
    p->n++;
}

static void loopcfg(Prog *p, int level, uint64_t sdst, uint64_t ssrc, uint64_t ssrc2)
{
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_LOOPCFG);
    in.level = level;
    in.sdst = (int64_t)sdst;
    in.ssrc = (int64_t)ssrc;
    in.ssrc2 = (int64_t)ssrc2;
    emit(p, &in);
}

static void load(Prog *p, DlaMem m, uint64_t dram, uint64_t sram, uint64_t x, int push)
{
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_LOAD);
    in.mem = m;
    in.dram = (int64_t)dram;
    in.sram = (int64_t)sram;
    in.xsize = (int64_t)x;
    in.push_next = push;
    emit(p, &in);
}

/* Load n bytes as rows of 4096 (the x field's maximum). */
static void load_flat(Prog *p, DlaMem m, uint64_t dram, uint64_t sram, uint64_t n, int push)
{
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_DMACFG);
    in.eng = DLA_ENG_LOAD;
    in.ystride = 4096;
    emit(p, &in);
    while (n >= 4096) {
        uint64_t rows = n / 4096 > 1024 ? 1024 : n / 4096;
        dla_insn_init(&in, DLA_OP_LOAD);
        in.mem = m;
        in.dram = (int64_t)dram;
        in.sram = (int64_t)sram;
        in.xsize = 4096;
        in.ysize = (int64_t)rows;
        emit(p, &in);
        dram += rows * 4096;
        sram += rows * 4096;
        n -= rows * 4096;
    }
    if (n)
        load(p, m, dram, sram, n, 0);
    (void)push;
}

static void end(Prog *p, int pop)
{
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_SYNC);
    emit(p, &in);
    dla_insn_init(&in, DLA_OP_END);
    emit(p, &in);
    (void)pop;
}

/* C[M][N] += A[M][K] * B[N][K]^T. */
static void build_gemm(Prog *p, const DlaTarget *t, uint32_t M, uint32_t K, uint32_t N)
{
    uint32_t R = t->gemm_rows, C = t->gemm_cols;
    load_flat(p, DLA_MEM_INP, 0, 0, (uint64_t)M * K, 0);
    load_flat(p, DLA_MEM_WGT, 1 << 24, 0, (uint64_t)N * K, 0);
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_SYNC);
    emit(p, &in);
    loopcfg(p, 0, 0, 0, 0);
    loopcfg(p, 1, 0, 0, 0);
    loopcfg(p, 2, N, K, 0); /* rows of A */
    loopcfg(p, 3, 0, R, R); /* reduction */
    for (uint32_t nb = 0; nb < N / C; nb++) {
        dla_insn_init(&in, DLA_OP_GEMM);
        in.dst = nb * C;
        in.src = 0;
        in.src2 = (int64_t)nb * C * K;
        in.wpitch = K / R;
        in.e2 = M;
        in.e3 = K / R;
        emit(p, &in);
    }
    end(p, 0);
}

/* 3x3 conv, stride 1, pad 1: out[H][W][OC] from in[H][W][IC]; weights [OC][3][3][IC].
 * One GEMM per output-channel block, in the shape the DLA lowering emits:
 * kernel rows outermost (a reduction, acc stride 0), then output rows and
 * pixels, then the contiguous (kw, input channel) reduction. */
static void build_conv(Prog *p, const DlaTarget *t, uint32_t H, uint32_t W, uint32_t IC, uint32_t OC)
{
    uint32_t R = t->gemm_rows, C = t->gemm_cols;
    uint32_t Wp = W + 2;
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_DMACFG);
    in.eng = DLA_ENG_LOAD;
    in.ystride = IC;
    in.zstride = (int64_t)W * IC;
    emit(p, &in);
    /* Input tile with its zero padding made on the fly: z = rows, y = pixels, x = channels. */
    dla_insn_init(&in, DLA_OP_LOAD);
    in.mem = DLA_MEM_INP;
    in.xsize = IC;
    in.ysize = W;
    in.zsize = H;
    in.ypad0 = in.ypad1 = in.zpad0 = in.zpad1 = 1;
    emit(p, &in);
    load_flat(p, DLA_MEM_WGT, 1 << 24, 0, (uint64_t)OC * 9 * IC, 0);
    dla_insn_init(&in, DLA_OP_SYNC);
    emit(p, &in);
    loopcfg(p, 0, 0, (uint64_t)Wp * IC, 3 * IC);         /* kernel rows */
    loopcfg(p, 1, (uint64_t)W * OC, (uint64_t)Wp * IC, 0); /* output rows */
    loopcfg(p, 2, OC, IC, 0);                              /* output pixels in a row */
    loopcfg(p, 3, 0, R, R);                                /* kw taps x input-channel blocks: contiguous */
    for (uint32_t ob = 0; ob < OC / C; ob++) {
        dla_insn_init(&in, DLA_OP_GEMM);
        in.dst = ob * C;
        in.src2 = (int64_t)ob * C * 9 * IC;
        in.wpitch = 9 * IC / R;
        in.e0 = 3;
        in.e1 = H;
        in.e2 = W;
        in.e3 = 3 * IC / R;
        emit(p, &in);
    }
    end(p, 0);
}

/* 3x3 depthwise conv, stride 1, pad 1, over [H][W][CH]; repeated `passes`
 * times so that the compute dominates the per-run set-up. */
static void build_dw(Prog *p, const DlaTarget *t, uint32_t H, uint32_t W, uint32_t CH, int passes)
{
    uint32_t C = t->gemm_cols, Wp = W + 2;
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_DMACFG);
    in.eng = DLA_ENG_LOAD;
    in.ystride = CH;
    in.zstride = (int64_t)W * CH;
    emit(p, &in);
    dla_insn_init(&in, DLA_OP_LOAD);
    in.mem = DLA_MEM_INP;
    in.xsize = CH;
    in.ysize = W;
    in.zsize = H;
    in.ypad0 = in.ypad1 = in.zpad0 = in.zpad1 = 1;
    emit(p, &in);
    load_flat(p, DLA_MEM_WGT, 1 << 24, 0, (uint64_t)9 * CH, 0);
    dla_insn_init(&in, DLA_OP_SYNC);
    emit(p, &in);
    loopcfg(p, 0, 0, 0, 0);
    loopcfg(p, 1, (uint64_t)W * CH, (uint64_t)Wp * CH, 0); /* output rows */
    loopcfg(p, 2, 0, 0, 0);
    loopcfg(p, 3, CH, CH, 0);                              /* output pixels: R at a time */
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t cb = 0; cb < CH / C; cb++)
            for (uint32_t kh = 0; kh < 3; kh++)
                for (uint32_t kw = 0; kw < 3; kw++) {
                    dla_insn_init(&in, DLA_OP_GEMM);
                    in.dw = 1;
                    in.dst = cb * C;
                    in.src = (int64_t)(kh * Wp + kw) * CH + cb * C;
                    in.src2 = (int64_t)(kh * 3 + kw) * CH + cb * C;
                    in.e1 = H;
                    in.e3 = W;
                    emit(p, &in);
                }
    end(p, 0);
}

static double now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench(const char *what, const DlaTarget *t, Prog *p)
{
    DlaError e = {0};
    DlaSim *s = dla_sim_new(t, &e);
    if (!s || dla_sim_load_code(s, p->w, p->n, &e)) {
        fprintf(stderr, "bench_sim: %s\n", e.msg);
        return 1;
    }
    /* Random data: the kernels' speed must not depend on zeros. */
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    uint8_t buf[4096];
    for (uint64_t base = 0; base < (2u << 24); base += sizeof buf) {
        for (size_t i = 0; i < sizeof buf; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = (uint8_t)(seed >> 56);
        }
        dla_sim_dram_write(s, base, buf, sizeof buf, &e);
    }
    /* CPU time of this process is the figure: on a shared machine, wall time
     * also counts the time other processes had the core. Both are printed. */
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID), c1, w1;
    int runs = 0;
    do {
        if (dla_sim_run(s, &e)) {
            fprintf(stderr, "bench_sim: %s\n", e.msg);
            return 1;
        }
        runs++;
        c1 = now(CLOCK_PROCESS_CPUTIME_ID);
    } while (c1 - c0 < 1.0);
    w1 = now(CLOCK_MONOTONIC);
    const DlaSimStats *st = dla_sim_stats(s);
    double macs = (double)st->macs_issued * runs;
    double gmacs = macs / (c1 - c0) / 1e9, gwall = macs / (w1 - w0) / 1e9;
    printf("%-10s %-6s %6.3f G MAC/run %7.2f ms/run  %6.2f G MAC/s (%.2fx the 10 G goal; wall clock %.2f G MAC/s)  "
           "simulated %" PRIu64 " cycles, util %.1f%%\n",
           t->name, what, (double)st->macs_issued / 1e9, 1e3 * (c1 - c0) / runs, gmacs, gmacs / 10.0, gwall,
           st->total_cycles, 100.0 * st->mac_utilization);
    dla_sim_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    const char *defaults[] = {"dla-edge", "dla-server"};
    const char **names = argc > 1 ? (const char **)argv + 1 : defaults;
    int n = argc > 1 ? argc - 1 : 2, rc = 0;
    for (int i = 0; i < n; i++) {
        DlaTarget t;
        DlaError e = {0};
        if (dla_target_load(names[i], &t, &e)) {
            fprintf(stderr, "bench_sim: %s\n", e.msg);
            return 2;
        }
        Prog g = {0}, c = {0}, c1 = {0}, d = {0};
        if (t.gemm_rows >= 64) {
            build_gemm(&g, &t, 512, 2048, 512);
            build_conv(&c, &t, 28, 28, 256, 256);
            build_conv(&c1, &t, 28, 28, 64, 128); /* few input channels: short reductions */
            build_dw(&d, &t, 28, 28, 256, 8);
        } else {
            build_gemm(&g, &t, 64, 1024, 64);
            build_conv(&c, &t, 14, 14, 64, 64);
            build_conv(&c1, &t, 14, 14, 16, 64);
            build_dw(&d, &t, 14, 14, 64, 32);
        }
        rc |= bench("gemm", &t, &g);
        rc |= bench("conv", &t, &c);
        rc |= bench("conv-s", &t, &c1);
        rc |= bench("dwconv", &t, &d);
        free(g.w);
        free(c.w);
        free(c1.w);
        free(d.w);
    }
    return rc;
}
