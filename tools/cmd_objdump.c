/* cmd_objdump.c - `dlacc objdump FILE.dla`: print a program's header, target,
 * tensors, layer map and disassembly.
 *
 * The output is itself valid input for `dlacc as`: everything descriptive is a
 * `#` comment, and the tensors, layers, segments and DRAM use are printed as the
 * assembler's directives (docs/dla-format.md, "Assembly directives"), so
 * `dlacc objdump a.dla > a.s && dlacc as a.s -o b.dla` rebuilds the same code,
 * tensors and layer map; with --consts FILE the constant image goes to FILE
 * and a `.consts` directive refers to it, and the rebuilt file is identical. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_file.h"
#include "dla_mem.h"
#include "ir.h"
#include "isa/dla_format.h"
#include "isa/isa.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc objdump [--raw] [--consts FILE.bin] FILE.dla\n\n"
               "Print a DLA program: header, target figures, tensor descriptors, the segments, the layer map\n"
               "and the disassembly, each instruction with its index, its words and the IR\n"
               "layer it implements. The output assembles again with `dlacc as`.\n\n"
               "  --raw      only the instructions, one per line, no comments or directives\n"
               "  --consts F write the constant DRAM image to F and refer to it (.consts \"F\"),\n"
               "             so that the output assembles to the identical .dla\n"
               "  -h, --help this text\n");
}

/* A name as a double-quoted string with \\ and \" escaped (names are free of
 * control characters: the reader guarantees it). */
static void cli_put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void print_header(const DlaProgram *p, const char *path, size_t fbytes, const char *consts)
{
    const DlaTarget *t = &p->target;
    printf("# %s: DLA program, .dla format version %d, %zu bytes\n", path, DLA_FORMAT_VERSION, fbytes);
    printf("# target %s (fingerprint 0x%016llx):\n", t->name, (unsigned long long)t->fingerprint);
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++)
        printf("#   %-22s %-14llu %s\n", dla_target_field_name(i), (unsigned long long)dla_target_field_get(t, i),
               dla_target_field_desc(i));
    printf("# code: %u instructions (%llu bytes)\n", p->ninsns,
           (unsigned long long)p->ninsns * DLA_INSN_WORDS * 4);
    printf("# constants: %llu bytes at DRAM [0, 0x%llx)%s\n", (unsigned long long)p->const_bytes,
           (unsigned long long)p->const_bytes, consts || !p->const_bytes ? "" : " (not shown; see --consts)");
    printf("# DRAM use: %llu bytes of %llu\n", (unsigned long long)p->dram_bytes_used,
           (unsigned long long)t->dram_bytes);
    printf(".dram %llu\n", (unsigned long long)p->dram_bytes_used);
    if (consts) {
        printf(".consts ");
        cli_put_quoted(stdout, consts);
        printf("\n");
    }
}

static void print_tensors(const DlaProgram *p)
{
    printf("\n# tensors: %u\n", p->ntensors);
    for (uint32_t i = 0; i < p->ntensors; i++) {
        const DlaTensorDesc *d = &p->tensors[i];
        printf(".tensor ");
        cli_put_quoted(stdout, d->name);
        printf(" role=%s dtype=%s layout=%s shape=[", dla_tensor_role_name(d->role),
               ir_dtype_name((IrDtype)d->dtype), dla_layout_name(d->layout));
        for (uint32_t k = 0; k < d->rank; k++)
            printf("%s%lld", k ? "," : "", (long long)d->dims[k]);
        printf("] scale=%.9g zp=%d offset=0x%llx bytes=%llu\n", (double)d->scale, d->zero_point,
               (unsigned long long)d->dram_offset, (unsigned long long)d->nbytes);
    }
}

typedef struct LayerAt {
    uint32_t first, nonempty, idx;
} LayerAt;

/* Instruction order; at one index, empty layers first (a `.layer` line ends the
 * layer before it, so the non-empty one must come last). */
static int cmp_layer(const void *a, const void *b)
{
    const LayerAt *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    if (x->nonempty != y->nonempty)
        return x->nonempty < y->nonempty ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void print_layer(const DlaLayerMap *l, uint32_t idx)
{
    printf(".layer ");
    cli_put_quoted(stdout, l->name);
    printf(" ");
    cli_put_quoted(stdout, l->op_type);
    printf(" macs=%llu%s   # layer %u: instructions [%u, %u)\n", (unsigned long long)l->macs,
           l->ninsns ? "" : " empty", idx, l->first_insn, l->first_insn + l->ninsns);
}

static void print_segment(const DlaProgram *p, uint32_t k)
{
    const DlaSegmentDesc *g = &p->segments[k];
    printf(".segment %s tensors=[", dla_seg_kind_name(g->kind));
    for (uint32_t j = 0; j < g->ntensors; j++) /* a new token every 256 indices keeps tokens short */
        printf("%s%u", !j ? "" : j % 256 ? "," : "] tensors=[", g->tensors[j]);
    printf("]   # segment %u: instructions [%u, %u)\n", k, g->first_insn, g->first_insn + g->ninsns);
}

/* Disassembly interleaved with the layer map: a `.layer` line before the
 * first instruction of each layer, `.endlayer` after its last one when the next
 * instruction belongs to no layer. A layer without instructions is a
 * `.layer ... empty` line, which leaves the enclosing layer open. Layers are
 * printed in instruction order; each instruction's comment names its layer. */
static void print_code(const DlaProgram *p, int raw)
{
    LayerAt *order = dla_malloc(sizeof *order * (p->nlayers ? p->nlayers : 1));
    for (uint32_t i = 0; i < p->nlayers; i++)
        order[i] = (LayerAt){p->layers[i].first_insn, p->layers[i].ninsns != 0, i};
    qsort(order, p->nlayers, sizeof *order, cmp_layer);
    if (!raw)
        printf("\n# layers: %u\n# code:\n", p->nlayers);
    if (!raw)
        printf("# segments: %u\n", p->nsegments);
    uint32_t li = 0, si = 0;
    int64_t seg_end = -1;  /* end of the open segment, -1: none */
    int64_t open_end = -1; /* end of the layer the current instruction is in, -1: none */
    const DlaLayerMap *cur = NULL;
    char text[512];
    for (uint32_t i = 0; i <= p->ninsns; i++) {
        if (!raw) {
            if (open_end == (int64_t)i) { /* a non-empty .layer here would end it anyway */
                open_end = -1;
                int next = 0;
                for (uint32_t k = li; k < p->nlayers && order[k].first == i; k++)
                    next |= (int)order[k].nonempty;
                if (!next)
                    printf(".endlayer\n");
            }
            /* segments: a .segment line ends the one before; .endsegment
             * only where none starts and instructions follow */
            int starts = si < p->nsegments && p->segments[si].first_insn == i;
            if (seg_end == (int64_t)i && !starts && i < p->ninsns) {
                printf(".endsegment\n");
                seg_end = -1;
            }
            for (; si < p->nsegments && p->segments[si].first_insn == i; si++) {
                print_segment(p, si);
                seg_end = (int64_t)i + p->segments[si].ninsns;
            }
            if (seg_end == (int64_t)i && i < p->ninsns) { /* an empty (host, boundary) segment */
                printf(".endsegment\n");
                seg_end = -1;
            }
            while (li < p->nlayers && order[li].first == i) {
                const DlaLayerMap *l = &p->layers[order[li].idx];
                print_layer(l, order[li].idx);
                if (l->ninsns) {
                    open_end = (int64_t)i + l->ninsns;
                    cur = l;
                }
                li++;
            }
            if (open_end < 0)
                cur = NULL;
        }
        if (i == p->ninsns)
            break;
        const uint32_t *w = p->code + (size_t)i * DLA_INSN_WORDS;
        dla_disasm_insn(w, text, sizeof text);
        if (raw)
            printf("%s\n", text);
        else
            printf("    %-60s # %5u: %08x %08x %08x %08x%s%.200s%s%.200s%s\n", text, i, w[0], w[1], w[2], w[3],
                   cur ? "  " : "", cur ? cur->name : "", cur ? " (" : "", cur ? cur->op_type : "", cur ? ")" : "");
    }
    free(order);
}

int cmd_objdump(int argc, char **argv)
{
    const char *path = NULL;
    int raw = 0;
    const char *consts = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--raw")) {
            raw = 1;
        } else if (!strcmp(argv[i], "--consts")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "dlacc objdump: --consts needs a file name\n");
                return 2;
            }
            consts = argv[++i];
        } else if (cli_input_arg("objdump", argv[i], &path, usage)) {
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    DlaProgram p;
    DlaError err = {0};
    DlaMapped m;
    DlaStatus st = dla_file_map(path, &m, &err);
    if (st == DLA_OK) {
        st = dla_program_read_mem(m.data, m.size, &p, &err);
        if (st)
            dla_error_prefix(&err, "%s: ", path);
    }
    if (st) {
        cli_report(&err);
        return cli_exit_code(st);
    }
    size_t fbytes = m.size;
    dla_file_unmap(&m);
    if (consts && !raw) {
        st = dla_file_write(consts, p.consts, (size_t)p.const_bytes, &err);
        if (st) {
            cli_report(&err);
            dla_program_free(&p);
            return cli_exit_code(st);
        }
    }
    if (!raw) {
        print_header(&p, path, fbytes, consts);
        print_tensors(&p);
    }
    print_code(&p, raw);
    dla_program_free(&p);
    return 0;
}
