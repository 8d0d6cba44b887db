/* fuzz_ir_text.c - harness 2: the IR text parser (`dlacc ir`), then the
 * verifier and, for a graph that verifies, printing it back and parsing the
 * print again (the text form must round-trip whatever the parser accepted). */
#include "fuzz.h"

#include <stdlib.h>

#include "ir/text.h"
#include "ir/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    IrGraph *g = NULL;
    DlaError err = {0};
    if (ir_parse((const char *)data, size, "fuzz.ir", &g, &err) != DLA_OK)
        return 0;
    if (ir_verify(g, &err) == DLA_OK) {
        char *text = NULL;
        size_t len = 0;
        if (ir_print_string(g, NULL, &text, &len, &err) == DLA_OK) {
            IrGraph *g2 = NULL;
            if (ir_parse(text, len, "fuzz-print.ir", &g2, &err) != DLA_OK)
                abort(); /* the printer wrote what the parser refuses */
            ir_graph_free(g2);
        }
        free(text);
    }
    ir_graph_free(g);
    return 0;
}
