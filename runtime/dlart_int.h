/* dlart_int.h - libdlart internals shared by runtime/dlart_*.c: the device
 * interface (a table of functions, so that devices other than the simulator
 * can be added without touching the program logic) and the loaded program. */
#ifndef DLART_INT_H
#define DLART_INT_H

#include "dlart.h"
#include "dla_mem.h"
#include "isa/sim.h"

/* What a device reports about its last run, in the simulator's terms: a
 * hardware device fills what it can measure and leaves the rest 0. */
typedef struct DlartDeviceOps {
    const char *name;
    /* Make p resident: code, constants at DRAM 0, layer map. */
    DlaStatus (*load)(void *impl, const DlaProgram *p, DlaError *err);
    DlaStatus (*write)(void *impl, uint64_t addr, const void *src, uint64_t n, DlaError *err);
    DlaStatus (*read)(void *impl, uint64_t addr, void *dst, uint64_t n, DlaError *err);
    DlaStatus (*run)(void *impl, DlaError *err);
    const DlaSimStats *(*stats)(void *impl);
    const DlaSimLayerStats *(*layer_stats)(void *impl, uint32_t i);
    void (*set_trace)(void *impl, int on);
    DlaStatus (*write_trace)(void *impl, FILE *f, DlaError *err); /* the last run's timeline */
    void (*free)(void *impl);
} DlartDeviceOps;

struct DlartDevice {
    const DlartDeviceOps *ops;
    void *impl;
    DlaTarget target;
    const void *resident; /* the segment view loaded last (identity only) */
};

/* One DLA segment: a view of the program's code range, with its layers
 * renumbered relative to the range (the device sees a whole program), and the
 * indices of the tensors it exchanges with the host. */
typedef struct DlartSegment {
    DlaProgram view;          /* code points into the image; layers and tensors (copies) owned */
    uint32_t first_insn;
    uint32_t *tensors, ntensors; /* indices into the image's tensor table */
    uint32_t *layer_ids;      /* view layer j -> DlartStats.layers index */
} DlartSegment;

typedef struct DlartStaged {
    uint8_t *dev;             /* nbytes, in the descriptor's DRAM layout */
    int valid;                /* written by the host, or produced by a run */
} DlartStaged;

struct DlartProgram {
    DlartDevice *dev;
    const DlaProgram *img;
    DlaProgram owned;         /* for load_file: img == &owned */
    int owns;
    DlartSegment *segs;
    uint32_t nsegs;
    DlartStaged *staged;      /* one per tensor */
    uint64_t *compulsory;     /* per image layer */
    uint32_t *stat_of_layer;  /* image layer -> stats index */
    DlartLayerStats *lstats;
    DlartStats stats;
    uint64_t aot_hash;        /* model hash of the image when loaded by dlart_aot_load* (dlart_aot.c), else 0 */
};

void dlart_stats_init(DlartProgram *p);
void dlart_stats_add_run(DlartProgram *p, uint32_t seg, double wall);
double dlart_now(void);

#endif
