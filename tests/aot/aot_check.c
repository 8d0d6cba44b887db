/* aot_check.c - runs one AOT bundle (dlacc MODEL -o PREFIX) the way an
 * application does, and checks that the scratch size its header declares is
 * the memory a run actually uses: the arena is filled with a pattern, the
 * model runs, and the highest byte that changed must be the last declared
 * one (two runs with complementary patterns, so a byte that happens to equal
 * the pattern is still seen). The arena ends where a PROT_NONE page begins
 * (give or take the 64-byte alignment, whose bytes are checked as well), so
 * an overrun faults instead of going unnoticed.
 *
 * Built per bundle: cc -DAOT_H='"x.h"' -DAOT_N=x -DAOT_U=X aot_check.c x.o ...
 *     aot_check X.dla [INPUT.pb ...]   (inputs in graph order; default zeros)
 * prints `scratch declared D used U`, the cycles, and exits 0 iff D == U. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tensor_pb.h"
#include AOT_H

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define U(x) CAT(AOT_U, x)
#define F(x) CAT(AOT_N, x)

static size_t used_bytes(const unsigned char *s, size_t span, unsigned char pat)
{
    size_t hi = span;
    while (hi > 0 && s[hi - 1] == pat)
        hi--;
    return hi;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s BUNDLE.dla [INPUT.pb ...]\n", argv[0]);
        return 2;
    }
    static const size_t inb[] = U(_INPUT_BYTES_LIST), outb[] = U(_OUTPUT_BYTES_LIST);
    const void *in[U(_NUM_INPUTS)];
    void *out[U(_NUM_OUTPUTS)];
    for (int i = 0; i < U(_NUM_INPUTS); i++) {
        void *b = calloc(1, inb[i] ? inb[i] : 1);
        PbTensor t;
        if (i + 2 < argc) {
            if (!pb_read_tensor(argv[i + 2], &t) || t.nbytes != inb[i]) {
                fprintf(stderr, "%s: unreadable, or not %zu bytes\n", argv[i + 2], inb[i]);
                return 1;
            }
            memcpy(b, t.data, inb[i]);
            free(t.data);
        }
        in[i] = b;
    }
    for (int k = 0; k < U(_NUM_OUTPUTS); k++)
        out[k] = calloc(1, outb[k] ? outb[k] : 1);

    long pg = sysconf(_SC_PAGESIZE);
    size_t declared = U(_SCRATCH_BYTES);
    size_t body = (declared + U(_SCRATCH_ALIGN) + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
    unsigned char *m = mmap(NULL, body + (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m + body, (size_t)pg, PROT_NONE)) {
        perror("mmap");
        return 1;
    }
    uintptr_t at = ((uintptr_t)(m + body) - declared) & ~(uintptr_t)(U(_SCRATCH_ALIGN) - 1);
    unsigned char *scratch = (unsigned char *)at;
    size_t span = (size_t)(m + body - scratch); /* declared + alignment slack, up to the guard page */

    DlartDevice *dev;
    DlartProgram *prog;
    DlaError err = {0};
    if (F(_open_sim)(argv[1], 0, &dev, &prog, &err)) {
        fprintf(stderr, "aot_check: %s\n", err.msg);
        return 1;
    }
    size_t used = 0;
    static const unsigned char pats[2] = {0xa5, 0x5a};
    for (int r = 0; r < 2; r++) {
        memset(scratch, pats[r], span);
        if (F(_run)(prog, in, out, scratch, &err)) {
            fprintf(stderr, "aot_check: run: %s\n", err.msg);
            return 1;
        }
        size_t u = used_bytes(scratch, span, pats[r]);
        used = u > used ? u : used;
    }
    const DlartStats *s = dlart_stats(prog);
    printf("scratch declared %zu used %zu\n", declared, used);
    printf("cycles %llu per run\n", (unsigned long long)(s->cycles / 2));
    dlart_program_free(prog);
    dlart_device_free(dev);
    for (int i = 0; i < U(_NUM_INPUTS); i++)
        free((void *)in[i]);
    for (int k = 0; k < U(_NUM_OUTPUTS); k++)
        free(out[k]);
    munmap(m, body + (size_t)pg);
    return used == declared ? 0 : 1;
}
