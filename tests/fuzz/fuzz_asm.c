/* fuzz_asm.c - harness 5: the DLA assembler (`dlacc as`), then disassembling
 * every word it produced: whatever assembles must disassemble, and the
 * disassembly must assemble again to the same words (docs/isa.md). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t *words = NULL, n = 0;
    DlaError err = {0};
    if (dla_asm_parse((const char *)data, size, "fuzz.s", &words, &n, &err) != DLA_OK)
        return 0;
    size_t cap = (size_t)n * 160 + 1, len = 0;
    char *text = malloc(cap);
    for (uint32_t i = 0; i < n && text; i++) {
        int k = dla_disasm_insn(words + (size_t)i * DLA_INSN_WORDS, text + len, cap - len);
        if (k < 0 || (size_t)k + 2 >= cap - len)
            abort(); /* a line longer than any instruction can print */
        len += (size_t)k;
        text[len++] = '\n';
        text[len] = 0;
    }
    uint32_t *w2 = NULL, n2 = 0;
    if (text && dla_asm_parse(text, len, "fuzz-disasm.s", &w2, &n2, &err) != DLA_OK)
        abort(); /* the disassembler wrote what the assembler refuses */
    if (text && (n2 != n || memcmp(w2, words, (size_t)n * DLA_INSN_WORDS * sizeof *words) != 0))
        abort(); /* no round trip */
    free(w2);
    free(text);
    free(words);
    return 0;
}
