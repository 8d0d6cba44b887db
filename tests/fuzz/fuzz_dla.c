/* fuzz_dla.c - harness 4: the .dla reader and validator, then the program on
 * the simulator of its own target under a cycle bound. The simulator must
 * never touch memory outside the target's memories: ASan reports any access
 * outside the buffers it allocated for them. The bound keeps a valid but
 * endless program (2^40 in-bounds loop iterations) from hanging the run.
 * Device DRAM is paged on demand (isa/sim.c), so even a 4 GiB target costs
 * only what the program touches. */
#include "fuzz.h"

#include "isa/dla_format.h"
#include "isa/program.h"
#include "isa/sim.h"

#define FUZZ_DLA_MAX_CYCLES 200000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    DlaProgram p;
    DlaError err = {0};
    if (dla_program_read_mem(data, size, &p, &err) != DLA_OK)
        return 0;
    if (dla_program_validate(&p, &err) == DLA_OK) {
        DlaSim *s = dla_sim_new(&p.target, &err);
        if (s) {
            dla_sim_set_cycle_limit(s, FUZZ_DLA_MAX_CYCLES);
            if (dla_sim_load(s, &p, &err) == DLA_OK)
                (void)dla_sim_run(s, &err);
            dla_sim_free(s);
        }
    }
    dla_program_free(&p);
    return 0;
}
