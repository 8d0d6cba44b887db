/* dlart_stats.c - execution statistics of a loaded program, accumulated over
 * segment runs, and the roofline model:
 *
 *   roofline_cycles(layer) = max(macs / peak_macs_per_cycle,
 *                                compulsory_bytes / dram_bytes_per_cycle)
 *
 * where compulsory bytes are the layer's weights + inputs + outputs moved
 * once (supplied by the compiler, dlart_set_compulsory_bytes). It is the
 * lower bound on the layer's cycles that neither compute nor DRAM bandwidth
 * can beat; utilization is useful MACs over cycles * peak. */
#include "dlart_int.h"

#include <inttypes.h>
#include <string.h>

static double roofline(const DlaTarget *t, uint64_t macs, uint64_t bytes)
{
    double peak = (double)t->gemm_rows * (double)t->gemm_cols;
    double c = (double)macs / peak, m = (double)bytes / (double)t->dram_bytes_per_cycle;
    return c > m ? c : m;
}

void dlart_stats_init(DlartProgram *p)
{
    const DlaProgram *img = p->img;
    DlartStats *s = &p->stats;
    uint32_t nl = s->nlayers;
    const DlartLayerStats *keep = s->layers;
    memset(s, 0, sizeof *s);
    s->nlayers = nl;
    s->layers = keep;
    s->peak_macs_per_cycle = (uint64_t)img->target.gemm_rows * img->target.gemm_cols;
    for (uint32_t i = 0; i < img->nlayers; i++) {
        uint32_t j = p->stat_of_layer[i];
        if (j == UINT32_MAX)
            continue;
        uint32_t seg = p->lstats[j].segment;
        memset(&p->lstats[j], 0, sizeof p->lstats[j]);
        p->lstats[j].segment = seg;
        p->lstats[j].name = img->layers[i].name;
        p->lstats[j].op_type = img->layers[i].op_type;
        p->lstats[j].compulsory_bytes = p->compulsory[i];
    }
}

void dlart_stats_reset(DlartProgram *p)
{
    dlart_stats_init(p);
}

void dlart_set_compulsory_bytes(DlartProgram *p, const uint64_t *bytes, uint32_t n)
{
    for (uint32_t i = 0; i < p->img->nlayers; i++) {
        p->compulsory[i] = i < n ? bytes[i] : 0;
        uint32_t j = p->stat_of_layer[i];
        if (j != UINT32_MAX)
            p->lstats[j].compulsory_bytes = p->compulsory[i];
    }
}

void dlart_stats_add_run(DlartProgram *p, uint32_t seg, double wall)
{
    DlartDevice *d = p->dev;
    const DlaSimStats *r = d->ops->stats(d->impl);
    DlartStats *s = &p->stats;
    const DlartSegment *sg = &p->segs[seg];
    s->runs++;
    s->wall_seconds += wall;
    s->cycles += r->total_cycles;
    s->dram_bytes_read += r->dram_read_bytes;
    s->dram_bytes_written += r->dram_write_bytes;
    for (uint32_t j = 0; j < sg->view.nlayers; j++) {
        const DlaSimLayerStats *ls = d->ops->layer_stats(d->impl, j);
        DlartLayerStats *o = &p->lstats[sg->layer_ids[j]];
        if (ls) {
            o->cycles += ls->end_cycle - ls->start_cycle;
            o->dram_bytes_read += ls->dram_read_bytes;
            o->dram_bytes_written += ls->dram_write_bytes;
        }
        o->macs += sg->view.layers[j].macs;
        s->macs += sg->view.layers[j].macs;
        o->roofline_cycles += roofline(&p->img->target, sg->view.layers[j].macs, o->compulsory_bytes);
    }
    /* derived figures */
    double peak = (double)s->peak_macs_per_cycle;
    s->roofline_cycles = 0;
    for (uint32_t j = 0; j < s->nlayers; j++) {
        DlartLayerStats *o = &p->lstats[j];
        o->utilization = o->cycles ? (double)o->macs / ((double)o->cycles * peak) : 0.0;
        s->roofline_cycles += o->roofline_cycles;
    }
    s->utilization = s->cycles ? (double)s->macs / ((double)s->cycles * peak) : 0.0;
    s->device_seconds = (double)s->cycles / (double)p->img->target.clock_hz;
}

const DlartStats *dlart_stats(DlartProgram *p)
{
    return &p->stats;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

void dlart_stats_write_json(const DlartStats *s, FILE *f, int indent)
{
    int in = indent;
    fprintf(f, "%*s\"cycles\": %" PRIu64 ",\n", in, "", s->cycles);
    fprintf(f, "%*s\"macs\": %" PRIu64 ",\n", in, "", s->macs);
    fprintf(f, "%*s\"peak_macs_per_cycle\": %" PRIu64 ",\n", in, "", s->peak_macs_per_cycle);
    fprintf(f, "%*s\"dram_bytes_read\": %" PRIu64 ",\n", in, "", s->dram_bytes_read);
    fprintf(f, "%*s\"dram_bytes_written\": %" PRIu64 ",\n", in, "", s->dram_bytes_written);
    fprintf(f, "%*s\"roofline_cycles\": %.1f,\n", in, "", s->roofline_cycles);
    fprintf(f, "%*s\"utilization\": %.6f,\n", in, "", s->utilization);
    fprintf(f, "%*s\"device_seconds\": %.9f,\n", in, "", s->device_seconds);
    fprintf(f, "%*s\"runs\": %" PRIu64 ",\n", in, "", s->runs);
    fprintf(f, "%*s\"layers\": [", in, "");
    for (uint32_t j = 0; j < s->nlayers; j++) {
        const DlartLayerStats *l = &s->layers[j];
        fprintf(f, "%s\n%*s{\"name\": ", j ? "," : "", in + 2, "");
        json_str(f, l->name);
        fprintf(f, ", \"op_type\": ");
        json_str(f, l->op_type);
        fprintf(f,
                ", \"segment\": %u, \"cycles\": %" PRIu64 ", \"macs\": %" PRIu64 ", \"dram_bytes_read\": %" PRIu64
                ", \"dram_bytes_written\": %" PRIu64 ", \"compulsory_bytes\": %" PRIu64
                ", \"roofline_cycles\": %.1f, \"utilization\": %.6f}",
                l->segment, l->cycles, l->macs, l->dram_bytes_read, l->dram_bytes_written, l->compulsory_bytes,
                l->roofline_cycles, l->utilization);
    }
    if (s->nlayers)
        fprintf(f, "\n%*s", in, "");
    fprintf(f, "]\n");
}
