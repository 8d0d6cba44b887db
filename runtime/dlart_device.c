/* dlart_device.c - the device interface and the default device: the ISA
 * simulator (isa/sim.h), in-process. */
#include "dlart_int.h"

#include <stdlib.h>

static DlaStatus sim_load(void *impl, const DlaProgram *p, DlaError *err)
{
    return dla_sim_load(impl, p, err);
}

static DlaStatus sim_write(void *impl, uint64_t addr, const void *src, uint64_t n, DlaError *err)
{
    return dla_sim_dram_write(impl, addr, src, n, err);
}

static DlaStatus sim_read(void *impl, uint64_t addr, void *dst, uint64_t n, DlaError *err)
{
    return dla_sim_dram_read(impl, addr, dst, n, err);
}

static DlaStatus sim_run(void *impl, DlaError *err)
{
    return dla_sim_run(impl, err);
}

static const DlaSimStats *sim_stats(void *impl)
{
    return dla_sim_stats(impl);
}

static const DlaSimLayerStats *sim_layer_stats(void *impl, uint32_t i)
{
    return i < dla_sim_nlayers(impl) ? dla_sim_layer_stats(impl, i) : NULL;
}

static void sim_set_trace(void *impl, int on)
{
    dla_sim_set_trace(impl, on);
}

static DlaStatus sim_write_trace(void *impl, FILE *f, DlaError *err)
{
    return dla_sim_write_trace_json(impl, f, err);
}

static void sim_free(void *impl)
{
    dla_sim_free(impl);
}

static const DlartDeviceOps sim_ops = {
    "sim", sim_load, sim_write, sim_read, sim_run, sim_stats, sim_layer_stats, sim_set_trace, sim_write_trace, sim_free,
};

DlaStatus dlart_device_open_sim(const DlaTarget *t, uint64_t max_cycles, DlartDevice **out, DlaError *err)
{
    *out = NULL;
    DlaSim *s = dla_sim_new(t, err);
    if (!s)
        return err && err->code ? err->code : DLA_ERR_INVALID;
    dla_sim_set_cycle_limit(s, max_cycles);
    DlartDevice *d = dla_calloc(1, sizeof *d);
    d->ops = &sim_ops;
    d->impl = s;
    d->target = *t;
    *out = d;
    return DLA_OK;
}

void dlart_device_free(DlartDevice *d)
{
    if (!d)
        return;
    d->ops->free(d->impl);
    free(d);
}

const DlaTarget *dlart_device_target(const DlartDevice *d)
{
    return &d->target;
}

const char *dlart_device_name(const DlartDevice *d)
{
    return d->ops->name;
}

void dlart_device_set_trace(DlartDevice *d, int on)
{
    d->ops->set_trace(d->impl, on);
}

DlaStatus dlart_device_write_trace(DlartDevice *d, FILE *f, DlaError *err)
{
    return d->ops->write_trace(d->impl, f, err);
}
