/* cmd_target.c - `dlacc target [NAME|FILE.xml]`: validate a target description
 * and print its figures, or list the shipped targets. */
#include "cli.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/target.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc target [NAME|FILE.xml]\n\n"
               "Without an argument, list the shipped targets (in $DLACC_TARGETS, else the\n"
               "source tree's targets/). With one, load and validate it and print every\n"
               "figure and its fingerprint (schema: docs/dla-format.md).\n");
}

static void human(uint64_t v, char *buf, size_t n)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    int u = -1;
    while (u < 3 && v >= 1024 && v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, n, "%llu", (unsigned long long)v);
    else
        snprintf(buf, n, "%llu %s", (unsigned long long)v, unit[u]);
}

static void print_target(const DlaTarget *t)
{
    printf("target %s (fingerprint 0x%016llx)\n", t->name, (unsigned long long)t->fingerprint);
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++) {
        uint64_t v = dla_target_field_get(t, i);
        char h[32] = "", x[96];
        if (strstr(dla_target_field_name(i), "bytes") && !strstr(dla_target_field_name(i), "per_cycle"))
            human(v, h, sizeof h);
        printf("  %-38s %14llu  %-8s %s\n", dla_target_field_xml(i, x, sizeof x), (unsigned long long)v,
               strcmp(h, "") && strchr(h, ' ') ? h : "", dla_target_field_desc(i));
    }
    printf("  peak: %llu MAC/cycle, %.1f GMAC/s; DRAM %.1f GB/s\n",
           (unsigned long long)t->gemm_rows * t->gemm_cols,
           (double)t->gemm_rows * t->gemm_cols * (double)t->clock_hz / 1e9,
           (double)t->dram_bytes_per_cycle * (double)t->clock_hz / 1e9);
}

static int list_targets(void)
{
    const char *dir = dla_target_dir();
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "dlacc: cannot read the targets directory %s\n", dir);
        return 2;
    }
    char names[64][64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l < 64 && !strcmp(e->d_name + l - 4, ".xml")) {
            memcpy(names[n], e->d_name, l - 4);
            names[n++][l - 4] = 0;
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    printf("targets in %s:\n", dir);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        DlaTarget t;
        DlaError err = {0};
        if (dla_target_load(names[i], &t, &err)) {
            printf("  %-16s INVALID: %s\n", names[i], err.msg);
            bad = 1;
            continue;
        }
        char inp[32], wgt[32], acc[32], dram[32];
        human(t.inp_sram_bytes, inp, sizeof inp);
        human(t.wgt_sram_bytes, wgt, sizeof wgt);
        human(t.acc_sram_bytes, acc, sizeof acc);
        human(t.dram_bytes, dram, sizeof dram);
        printf("  %-16s %ux%u GEMM, %u lanes, SRAM %s + %s + %s acc, DRAM %s @ %u B/cycle\n", names[i], t.gemm_rows,
               t.gemm_cols, t.vector_lanes, inp, wgt, acc, dram, t.dram_bytes_per_cycle);
    }
    return bad;
}

int cmd_target(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        usage(stderr);
        return 2;
    }
    if (argc == 1)
        return list_targets();
    DlaTarget t;
    DlaError err = {0};
    DlaStatus st = dla_target_load(argv[1], &t, &err);
    if (st) {
        cli_report(&err);
        return cli_exit_code(st);
    }
    print_target(&t);
    return 0;
}
