/* isa_test_util.h - helpers for the ISA and simulator tests: the two shipped
 * targets built in code (so these tests do not depend on the XML loader), and
 * assembling + running a program in one call. */
#ifndef DLA_ISA_TEST_UTIL_H
#define DLA_ISA_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "dla_test.h"
#include "isa/isa.h"
#include "isa/sim.h"

/* dla-edge: 16x16, 16 lanes, 128 KiB inp/wgt, 64 KiB acc, 256 MiB DRAM at 16 B/cycle, 100 cycles, 1 GHz. */
static inline DlaTarget tu_edge(void)
{
    DlaTarget t;
    memset(&t, 0, sizeof t);
    strcpy(t.name, "dla-edge");
    t.gemm_rows = 16;
    t.gemm_cols = 16;
    t.vector_lanes = 16;
    t.inp_sram_bytes = 128 << 10;
    t.wgt_sram_bytes = 128 << 10;
    t.acc_sram_bytes = 64 << 10;
    t.uop_bytes = 0; /* unused by the ISA: not in the shipped XML */
    t.param_bytes = 16 << 10;
    t.lut_bytes = 4 << 10;
    t.dram_bytes = 256ull << 20;
    t.dram_bytes_per_cycle = 16;
    t.dram_latency_cycles = 100;
    t.clock_hz = 1000000000ull;
    t.fingerprint = dla_target_fingerprint(&t);
    return t;
}

/* dla-server: 64x64, 64 lanes, 2 MiB inp, 4 MiB wgt, 1 MiB acc, 4 GiB DRAM at 128 B/cycle, 200 cycles, 1 GHz. */
static inline DlaTarget tu_server(void)
{
    DlaTarget t = tu_edge();
    strcpy(t.name, "dla-server");
    t.gemm_rows = 64;
    t.gemm_cols = 64;
    t.vector_lanes = 64;
    t.inp_sram_bytes = 2 << 20;
    t.wgt_sram_bytes = 4 << 20;
    t.acc_sram_bytes = 1 << 20;
    t.param_bytes = 64 << 10;
    t.lut_bytes = 4 << 10;
    t.dram_bytes = 4ull << 30;
    t.dram_bytes_per_cycle = 128;
    t.dram_latency_cycles = 200;
    t.fingerprint = dla_target_fingerprint(&t);
    return t;
}

/* Assemble `text` and load it into s. Returns the status; err has the message. */
static inline DlaStatus tu_load_asm(DlaSim *s, const char *text, DlaError *err)
{
    uint32_t *w = NULL, n = 0;
    DlaStatus st = dla_asm_parse(text, strlen(text), "test.s", &w, &n, err);
    if (st == DLA_OK)
        st = dla_sim_load_code(s, w, n, err);
    free(w);
    return st;
}

/* Assemble, load and run; prints the error when it is not the expected status. */
static inline DlaStatus tu_run_asm(DlaSim *s, const char *text, DlaError *err)
{
    DlaStatus st = tu_load_asm(s, text, err);
    if (st == DLA_OK)
        st = dla_sim_run(s, err);
    return st;
}

#define TU_RUN_OK(s, text) do { \
    DlaError e_ = {0}; \
    DlaStatus st_ = tu_run_asm((s), (text), &e_); \
    if (st_ != DLA_OK) fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, e_.msg); \
    CU_ASSERT_EQUAL_FATAL(st_, DLA_OK); } while (0)

/* Deterministic PRNG (xorshift64*). */
static inline uint64_t tu_rand(uint64_t *st)
{
    uint64_t x = *st;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *st = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif
