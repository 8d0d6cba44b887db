/* fuzz_target_xml.c - harness 3: the target XML reader (libxml2, no DTD, no
 * entities, 1 MiB cap), then the target's validation and the ISA's check of
 * it, as `dlacc target FILE.xml` and every --target FILE.xml run them. */
#include "fuzz.h"

#include "isa/isa.h"
#include "isa/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    DlaTarget t;
    DlaError err = {0};
    if (dla_target_parse_xml((const char *)data, size, "fuzz.xml", &t, &err) == DLA_OK) {
        (void)dla_target_validate(&t, &err);
        (void)dla_isa_check_target(&t, &err);
        (void)dla_target_fingerprint(&t);
    }
    return 0;
}
