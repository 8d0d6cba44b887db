/* compile_aot.c - a plan's ahead-of-time bundle (compile_aot.h, docs/aot.md).
 *
 * The object (through the host backend's host_aot.c) holds one host graph per
 * HOST segment, one per BOUNDARY segment (its single Quantize/DequantizeLinear
 * extracted as a graph, so the host backend emits the same binary32 steps as
 * quant/quant.h), and one Transpose graph per DLA tensor whose DRAM layout is
 * NHWC (pack before writing, unpack after reading), and the generated
 * NAME_run: the plan's segments in order, DLA segments as calls of
 * dlart_tensor_write_dev / dlart_run_segment / dlart_tensor_read_dev.
 *
 * Memory. NAME_run gets the caller's inputs and outputs and one scratch
 * arena laid out at compile time:
 *   [0, H)       the arena of whichever host graph runs (H = the largest);
 *   [H, H + P)   the layout buffer (P = the largest NHWC tensor), if any;
 *   then         the values passed between segments that are not graph
 *                inputs or outputs, 64-byte aligned, placed by liveness over
 *                the segments (first fit; place_values).
 * The arena's size is the end of the highest block: each block is written in
 * full by the run, so the declared size is the peak the run touches
 * (tests/aot checks it). */
#include "compile_aot.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_file.h"
#include "isa/dla_format.h"

#define AOT_ALIGN 64

enum { LOC_NONE, LOC_IN, LOC_OUT, LOC_SCRATCH };

typedef struct Aot {
    const DlaPlan *p;
    const DlaAotOptions *o;
    HostAot *ha;
    uint8_t *kind;          /* per value: LOC_* */
    uint64_t *off;          /* input/output index or scratch offset */
    HostAotStep *steps;
    int32_t nsteps;
    size_t cap;
    HostAotArg **argbufs;   /* every args array, freed at the end */
    size_t nargbufs, argcap;
} Aot;

int dla_aot_name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 63 || (!isalpha((unsigned char)name[0]) && name[0] != '_'))
        return 0;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            return 0;
    return 1;
}

static size_t value_bytes(const IrGraph *g, int32_t v)
{
    int64_t n = ir_shape_numel(&g->values[v].shape);
    return (size_t)(n > 0 ? n : 0) * ir_dtype_size(g->values[v].dtype);
}

static size_t round_up(size_t x) { return (x + AOT_ALIGN - 1) / AOT_ALIGN * AOT_ALIGN; }

static HostAotArg arg_of(const Aot *a, int32_t v)
{
    HostAotArg r = {HOST_AOT_SCRATCH, a->off[v], NULL};
    if (a->kind[v] == LOC_IN)
        r.kind = HOST_AOT_INPUT;
    else if (a->kind[v] == LOC_OUT)
        r.kind = HOST_AOT_OUTPUT;
    return r;
}

static HostAotArg *new_args(Aot *a, int32_t n)
{
    HostAotArg *x = dla_calloc((size_t)(n ? n : 1), sizeof *x);
    a->argbufs = dla_grow(a->argbufs, sizeof *a->argbufs, a->nargbufs + 1, &a->argcap);
    a->argbufs[a->nargbufs++] = x;
    return x;
}

static void add_step(Aot *a, int32_t graph, int32_t nin, int32_t nout, const char *callee, HostAotArg *args,
                     int32_t nargs)
{
    a->steps = dla_grow(a->steps, sizeof *a->steps, (size_t)a->nsteps + 1, &a->cap);
    a->steps[a->nsteps++] = (HostAotStep){graph, nin, nout, callee, args, nargs};
}

/* A graph call: ins, outs by value location, arena at scratch 0. */
static void call_graph(Aot *a, int32_t graph, const HostAotArg *ins, int32_t nin, const HostAotArg *outs,
                       int32_t nout)
{
    HostAotArg *x = new_args(a, nin + nout + 1);
    memcpy(x, ins, (size_t)nin * sizeof *x);
    memcpy(x + nin, outs, (size_t)nout * sizeof *x);
    x[nin + nout] = (HostAotArg){HOST_AOT_SCRATCH, 0, NULL};
    add_step(a, graph, nin, nout, NULL, x, nin + nout + 1);
}

/* The rt call f(prog, u32 idx, data, size nbytes, err). */
static void call_xfer(Aot *a, const char *f, uint32_t idx, HostAotArg data, size_t nbytes)
{
    HostAotArg *x = new_args(a, 5);
    x[0] = (HostAotArg){HOST_AOT_PARAM, 0, NULL};
    x[1] = (HostAotArg){HOST_AOT_U32, idx, NULL};
    x[2] = data;
    x[3] = (HostAotArg){HOST_AOT_SIZE, nbytes, NULL};
    x[4] = (HostAotArg){HOST_AOT_PARAM, 4, NULL};
    add_step(a, -1, 0, 0, f, x, 5);
}

/* A Transpose graph converting a rank-4 tensor of d between NCHW (logical)
 * and NHWC (its DRAM layout). */
static IrGraph *layout_graph(const DlaTensorDesc *d, int to_dev)
{
    IrGraph *g = ir_graph_new();
    ir_graph_set_opset(g, "", 13);
    int64_t nchw[4] = {d->dims[0], d->dims[1], d->dims[2], d->dims[3]};
    int64_t nhwc[4] = {d->dims[0], d->dims[2], d->dims[3], d->dims[1]};
    IrShape s_nchw = ir_shape_make(4, nchw), s_nhwc = ir_shape_make(4, nhwc);
    int32_t x = ir_value_add(g, "x", (IrDtype)d->dtype, to_dev ? &s_nchw : &s_nhwc);
    int32_t y = ir_value_add(g, "y", (IrDtype)d->dtype, to_dev ? &s_nhwc : &s_nchw);
    int32_t n = ir_node_add(g, to_dev ? "to_nhwc" : "to_nchw", "Transpose", "", &x, 1, &y, 1);
    static const int64_t perm_dev[4] = {0, 2, 3, 1}, perm_host[4] = {0, 3, 1, 2};
    IrAttr *at = ir_node_add_attr(g, n, "perm", IR_ATTR_INTS);
    at->n = 4;
    at->ints = dla_arena_memdup(&g->arena, to_dev ? perm_dev : perm_host, sizeof perm_dev);
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, y);
    return g;
}

static int needs_layout(const DlaTensorDesc *d) { return d->layout == IR_LAYOUT_NHWC && d->rank == 4; }

/* The (scale, zero point) of the int8 side of a graph input or output, where
 * quantization applies: its own parameters, or those of the boundary that
 * quantizes it (input) or dequantizes into it (output). 0 if none. */
static int io_quant(const DlaPlan *p, int32_t v, int is_out, float *scale, int32_t *zp)
{
    const IrGraph *g = p->g;
    if (g->values[v].quant.count == 1) {
        *scale = g->values[v].quant.scale[0];
        *zp = g->values[v].quant.zero_point[0];
        return 1;
    }
    for (int32_t s = 0; s < p->nsegs; s++) {
        const DlaSegment *sg = &p->segs[s];
        if (sg->kind != DLA_SEG_BOUNDARY)
            continue;
        const IrNode *nd = &g->nodes[sg->nodes[0]];
        int32_t q = is_out ? nd->inputs[0] : nd->outputs[0];
        if ((is_out ? nd->outputs[0] : nd->inputs[0]) == v && g->values[q].quant.count == 1) {
            *scale = g->values[q].quant.scale[0];
            *zp = g->values[q].quant.zero_point[0];
            return 1;
        }
        if ((is_out ? nd->outputs[0] : nd->inputs[0]) == v) {
            const IrValue *sv = &g->values[nd->inputs[1]];
            int32_t zv = nd->ninputs > 2 ? nd->inputs[2] : -1;
            if (sv->data && sv->dtype == DT_FLOAT) {
                *scale = *(const float *)sv->data;
                *zp = zv >= 0 && g->values[zv].data ? (g->values[zv].dtype == DT_UINT8
                                                          ? *(const uint8_t *)g->values[zv].data
                                                          : *(const int8_t *)g->values[zv].data)
                                                    : 0;
                return 1;
            }
        }
    }
    return 0;
}

static void upper(const char *s, char *out, size_t n)
{
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++)
        out[i] = (char)toupper((unsigned char)s[i]);
    out[i] = 0;
}

static void c_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\%03o", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void header_io(FILE *f, const DlaPlan *p, const char *N, int is_out, int32_t i, int32_t v)
{
    const IrValue *x = &p->g->values[v];
    const char *io = is_out ? "OUTPUT" : "INPUT";
    char sb[160];
    fprintf(f, "\n/* %s %d '%s': %s %s */\n", is_out ? "output" : "input", (int)i, x->name, ir_dtype_name(x->dtype),
            ir_shape_str(&x->shape, sb, sizeof sb));
    fprintf(f, "#define %s_%s%d_NAME ", N, io, (int)i);
    c_string(f, x->name);
    fprintf(f, "\n#define %s_%s%d_DTYPE %d /* ONNX TensorProto.DataType */\n", N, io, (int)i, (int)x->dtype);
    fprintf(f, "#define %s_%s%d_DTYPE_NAME \"%s\"\n", N, io, (int)i, ir_dtype_name(x->dtype));
    fprintf(f, "#define %s_%s%d_RANK %d\n", N, io, (int)i, (int)x->shape.rank);
    fprintf(f, "#define %s_%s%d_SHAPE {", N, io, (int)i);
    for (int d = 0; d < x->shape.rank; d++)
        fprintf(f, "%s%" PRId64, d ? ", " : "", x->shape.dims[d]);
    fprintf(f, "}\n");
    for (int d = 0; d < x->shape.rank; d++)
        fprintf(f, "#define %s_%s%d_DIM%d %" PRId64 "\n", N, io, (int)i, d, x->shape.dims[d]);
    fprintf(f, "#define %s_%s%d_NUMEL %" PRId64 "\n", N, io, (int)i, ir_shape_numel(&x->shape));
    fprintf(f, "#define %s_%s%d_BYTES %zu\n", N, io, (int)i, value_bytes(p->g, v));
    fprintf(f, "#define %s_%s%d_ALIGN %zu /* minimum alignment of the buffer */\n", N, io, (int)i,
            ir_dtype_size(x->dtype) ? ir_dtype_size(x->dtype) : 1);
    float s;
    int32_t zp;
    if (io_quant(p, v, is_out, &s, &zp)) {
        fprintf(f, "/* int8 quantization %s: q = saturate(round_half_even(x / scale) + zero_point) */\n",
                x->dtype == DT_FLOAT ? (is_out ? "it is dequantized from" : "applied to it inside")
                                     : "of the tensor");
        fprintf(f, "#define %s_%s%d_SCALE %.9gf\n", N, io, (int)i, (double)s);
        fprintf(f, "#define %s_%s%d_ZERO_POINT %d\n", N, io, (int)i, (int)zp);
    }
}

static DlaStatus write_header(const Aot *a, const DlaAotInfo *info, DlaError *err)
{
    const DlaPlan *p = a->p;
    const char *n = a->o->name;
    char N[80];
    upper(n, N, sizeof N);
    DlaOutFile of;
    DlaStatus st = dla_out_open(&of, a->o->header, err);
    if (st)
        return st;
    FILE *f = of.f;
    fprintf(f, "/* Generated by dlacc from %s for target %s: the ahead-of-time bundle '%s'\n"
               " * (the object file and the .dla written with this header; docs/aot.md). Do not edit. */\n",
            a->o->model ? a->o->model : "a model", p->target.name, n);
    fprintf(f, "#ifndef %s_BUNDLE_H\n#define %s_BUNDLE_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n"
               "#include \"dlart.h\"\n\n",
            N, N);
    fprintf(f, "#define %s_MODEL_HASH UINT64_C(0x%016" PRIx64 ") /* of the .dla (dlart_aot_model_hash) */\n", N,
            info->model_hash);
    fprintf(f, "#define %s_TARGET \"%s\"\n", N, p->target.name);
    fprintf(f, "#define %s_TARGET_FINGERPRINT UINT64_C(0x%016" PRIx64 ")\n", N, info->target_fp);
    fprintf(f, "#define %s_DLA_BYTES %zu /* size of the .dla */\n", N, info->dla_bytes);
    fprintf(f, "/* The scratch arena %s_run needs (every intermediate value, host arena, layout buffer). */\n", n);
    fprintf(f, "#define %s_SCRATCH_BYTES %zu\n#define %s_SCRATCH_ALIGN %d\n", N, info->scratch_bytes, N, AOT_ALIGN);
    fprintf(f, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n", N, (int)p->g->ninputs, N,
            (int)p->g->noutputs);
    /* the byte sizes as initializer lists, for code that loops over inputs/outputs */
    for (int io = 0; io < 2; io++) {
        int32_t nv = io ? p->g->noutputs : p->g->ninputs;
        const int32_t *vs = io ? p->g->outputs : p->g->inputs;
        fprintf(f, "#define %s_%s_BYTES_LIST {", N, io ? "OUTPUT" : "INPUT");
        for (int32_t i = 0; i < nv; i++)
            fprintf(f, "%s%zu", i ? ", " : "", value_bytes(p->g, vs[i]));
        fprintf(f, "}\n");
    }
    for (int32_t i = 0; i < p->g->ninputs; i++)
        header_io(f, p, N, 0, i, p->g->inputs[i]);
    for (int32_t i = 0; i < p->g->noutputs; i++)
        header_io(f, p, N, 1, i, p->g->outputs[i]);
    fprintf(f,
            "\n/* Entry points (in the object). Each returns 0 or a DlaStatus code with a message in *err.\n"
            " * %s_load / %s_load_file / %s_open_sim read the .dla, validate it (checksums, ranges) and check that\n"
            " * it is the program this object was compiled with (model hash, target fingerprint).\n"
            " * %s_open_sim opens a simulator device for the .dla's target; free with dlart_program_free(*prog),\n"
            " * then dlart_device_free(*dev). */\n",
            n, n, n, n);
    fprintf(f,
            "/* 0 if this header and the linked object come from one compile (call it once, before the others). */\n"
            "int %s_check_hash(uint64_t header_model_hash, DlaError *err);\n"
            "#define %s_check_header(err) %s_check_hash(%s_MODEL_HASH, (err))\n",
            n, n, n, N);
    fprintf(f, "int %s_load(DlartDevice *dev, const void *dla, size_t nbytes, DlartProgram **prog, DlaError *err);\n",
            n);
    fprintf(f, "int %s_load_file(DlartDevice *dev, const char *path, DlartProgram **prog, DlaError *err);\n", n);
    fprintf(f,
            "int %s_open_sim(const char *path, uint64_t max_cycles, DlartDevice **dev, DlartProgram **prog, "
            "DlaError *err);\n",
            n);
    fprintf(f,
            "/* Run the model once: inputs[i] holds %s_INPUT<i>_BYTES bytes (row-major, the model's dtype),\n"
            " * outputs[k] has room for %s_OUTPUT<k>_BYTES; scratch: %s_SCRATCH_BYTES bytes aligned to\n"
            " * %s_SCRATCH_ALIGN, not shared with a concurrent run. Allocates nothing. A program is used by one\n"
            " * run at a time. */\n",
            N, N, N, N);
    fprintf(f,
            "int %s_run(DlartProgram *prog, const void *const inputs[], void *const outputs[], void *scratch, "
            "DlaError *err);\n",
            n);
    fprintf(f, "\n#endif\n");
    return dla_out_close(&of, 1, err);
}

static DlaStatus add_entry_points(Aot *a, const DlaAotInfo *info, DlaError *err)
{
    const char *n = a->o->name, *tname = a->p->target.name;
    char fn[4][96];
    snprintf(fn[0], sizeof fn[0], "%s_load", n);
    snprintf(fn[1], sizeof fn[1], "%s_load_file", n);
    snprintf(fn[2], sizeof fn[2], "%s_open_sim", n);
    snprintf(fn[3], sizeof fn[3], "%s_run", n);
#define P(i) {HOST_AOT_PARAM, i, NULL}
#define ID {HOST_AOT_STR, 0, n}, {HOST_AOT_STR, 0, tname}, {HOST_AOT_U64, info->model_hash, NULL}, \
           {HOST_AOT_U64, info->target_fp, NULL}
    HostAotArg load[] = {P(0), P(1), P(2), ID, P(3), P(4)};
    HostAotArg loadf[] = {P(0), P(1), ID, P(2), P(3)};
    HostAotArg sim[] = {P(0), ID, P(1), P(2), P(3), P(4)};
    HostAotArg chk[] = {P(0), {HOST_AOT_STR, 0, n}, {HOST_AOT_U64, info->model_hash, NULL},
                        {HOST_AOT_U64, info->target_fp, NULL}, P(4)};
#undef P
#undef ID
    HostAotStep s_load = {-1, 0, 0, "dlart_aot_load", load, 9};
    HostAotStep s_loadf = {-1, 0, 0, "dlart_aot_load_file", loadf, 8};
    HostAotStep s_sim = {-1, 0, 0, "dlart_aot_open_sim", sim, 9};
    HostAotFunc f_load = {fn[0], "ppzpp", -1, -1, -1, &s_load, 1};
    HostAotFunc f_loadf = {fn[1], "pppp", -1, -1, -1, &s_loadf, 1};
    HostAotFunc f_sim = {fn[2], "pqppp", -1, -1, -1, &s_sim, 1};
    char fn_chk[96];
    snprintf(fn_chk, sizeof fn_chk, "%s_check_hash", n);
    HostAotArg hdr[] = {{HOST_AOT_STR, 0, n}, {HOST_AOT_U64, info->model_hash, NULL}, {HOST_AOT_PARAM, 0, NULL},
                        {HOST_AOT_PARAM, 1, NULL}};
    HostAotStep s_hdr = {-1, 0, 0, "dlart_aot_check_header", hdr, 4};
    HostAotFunc f_hdr = {fn_chk, "qp", -1, -1, -1, &s_hdr, 1};
    DlaStatus st;
    if ((st = host_aot_add_func(a->ha, &f_load, err)) || (st = host_aot_add_func(a->ha, &f_loadf, err)) ||
        (st = host_aot_add_func(a->ha, &f_sim, err)) || (st = host_aot_add_func(a->ha, &f_hdr, err)))
        return st;
    /* NAME_run: the identity check first, then the plan's steps */
    a->steps = dla_grow(a->steps, sizeof *a->steps, (size_t)a->nsteps + 1, &a->cap);
    memmove(a->steps + 1, a->steps, (size_t)a->nsteps * sizeof *a->steps);
    a->steps[0] = (HostAotStep){-1, 0, 0, "dlart_aot_check", chk, 5};
    a->nsteps++;
    HostAotFunc f_run = {fn[3], "ppppp", 1, 2, 3, a->steps, a->nsteps};
    return host_aot_add_func(a->ha, &f_run, err);
}

/* ---- the value region: first fit over a free list sorted by offset ---- */

typedef struct Span {
    size_t off, size;
} Span;

static size_t span_alloc(Span *fl, size_t *n, size_t *top, size_t size)
{
    for (size_t i = 0; i < *n; i++)
        if (fl[i].size >= size) {
            size_t off = fl[i].off;
            fl[i].off += size;
            fl[i].size -= size;
            if (!fl[i].size)
                memmove(&fl[i], &fl[i + 1], (--*n - i) * sizeof *fl);
            return off;
        }
    if (*n && fl[*n - 1].off + fl[*n - 1].size == *top) { /* grow the free block at the top */
        size_t off = fl[--*n].off;
        *top = off + size;
        return off;
    }
    size_t off = *top;
    *top += size;
    return off;
}

static void span_release(Span *fl, size_t *n, size_t off, size_t size)
{
    size_t i = 0;
    while (i < *n && fl[i].off < off)
        i++;
    memmove(&fl[i + 1], &fl[i], (*n - i) * sizeof *fl);
    fl[i] = (Span){off, size};
    (*n)++;
    if (i + 1 < *n && fl[i].off + fl[i].size == fl[i + 1].off) {
        fl[i].size += fl[i + 1].size;
        memmove(&fl[i + 1], &fl[i + 2], (--*n - i - 1) * sizeof *fl);
    }
    if (i > 0 && fl[i - 1].off + fl[i - 1].size == fl[i].off) {
        fl[i - 1].size += fl[i].size;
        memmove(&fl[i], &fl[i + 1], (--*n - i) * sizeof *fl);
    }
}

/* Offsets (from base, 64-byte aligned) of the values passed between segments
 * that are neither graph inputs nor outputs. A value lives from the segment
 * that produces it to the last one that reads it; a segment's outputs are
 * placed before the values it reads last are released, so a segment never
 * writes over its own inputs. Returns the end of the arena: the largest
 * offset + exact size of a value (each is written in full by its producer),
 * or end if there are none; *total: the sum of their sizes. */
static size_t place_values(Aot *a, size_t base, size_t end, size_t *total)
{
    const DlaPlan *p = a->p;
    const IrGraph *g = p->g;
    int32_t *last = dla_malloc((size_t)g->nvalues * sizeof *last);
    for (int32_t v = 0; v < g->nvalues; v++)
        last[v] = -1;
    for (int32_t s = 0; s < p->nsegs; s++) {
        for (int32_t i = 0; i < p->segs[s].nin; i++)
            last[p->segs[s].in_vals[i]] = s;
        for (int32_t i = 0; i < p->segs[s].nout; i++)
            if (last[p->segs[s].out_vals[i]] < s)
                last[p->segs[s].out_vals[i]] = s;
    }
    Span *fl = dla_malloc((size_t)(g->nvalues + 1) * sizeof *fl);
    size_t nfl = 0, top = 0;
    *total = 0;
    for (int32_t s = 0; s < p->nsegs; s++) {
        const DlaSegment *sg = &p->segs[s];
        for (int32_t i = 0; i < sg->nout; i++) {
            int32_t v = sg->out_vals[i];
            if (a->kind[v] != LOC_NONE)
                continue;
            size_t nb = value_bytes(g, v), off = span_alloc(fl, &nfl, &top, round_up(nb ? nb : 1));
            a->kind[v] = LOC_SCRATCH;
            a->off[v] = base + off;
            *total += nb;
            end = end > base + off + nb ? end : base + off + nb;
        }
        for (int32_t io = 0; io < 2; io++)
            for (int32_t i = 0; i < (io ? sg->nout : sg->nin); i++) {
                int32_t v = io ? sg->out_vals[i] : sg->in_vals[i];
                if (a->kind[v] == LOC_SCRATCH && last[v] == s) {
                    size_t nb = value_bytes(g, v);
                    span_release(fl, &nfl, a->off[v] - base, round_up(nb ? nb : 1));
                    last[v] = -2; /* released once */
                }
            }
    }
    free(fl);
    free(last);
    return end;
}

/* Graphs and steps of every segment; fills the scratch layout in info. */
static DlaStatus build(Aot *a, DlaAotInfo *info, DlaError *err)
{
    const DlaPlan *p = a->p;
    const IrGraph *g = p->g;
    const DlaProgram *prog = &p->prog;
    DlaStatus st = DLA_OK;
    for (int32_t i = 0; i < g->ninputs; i++) {
        a->kind[g->inputs[i]] = LOC_IN;
        a->off[g->inputs[i]] = (uint64_t)i;
    }
    for (int32_t k = 0; k < g->noutputs; k++) {
        int32_t v = g->outputs[k];
        if (a->kind[v] != LOC_NONE)
            return dla_errorf(err, DLA_ERR_UNSUPPORTED,
                              "output '%s' is also a graph input or an earlier output: not supported by bundles",
                              g->values[v].name);
        a->kind[v] = LOC_OUT;
        a->off[v] = (uint64_t)k;
    }
    /* graphs: per segment, and the layout conversions of DLA tensors */
    int32_t *seg_graph = dla_malloc((size_t)p->nsegs * sizeof *seg_graph);
    int32_t *pack_in = dla_malloc((size_t)(prog->ntensors ? prog->ntensors : 1) * sizeof *pack_in);
    int32_t *pack_out = dla_malloc((size_t)(prog->ntensors ? prog->ntensors : 1) * sizeof *pack_out);
    size_t arena_max = 0, pack_max = 0;
    for (uint32_t t = 0; t < prog->ntensors; t++)
        pack_in[t] = pack_out[t] = -1;
    for (int32_t s = 0; s < p->nsegs && !st; s++) {
        const DlaSegment *sg = &p->segs[s];
        size_t arena = 0;
        seg_graph[s] = -1;
        if (sg->kind == DLA_SEG_HOST) {
            st = host_aot_add_graph(a->ha, sg->sub, &seg_graph[s], &arena, err);
        } else if (sg->kind == DLA_SEG_BOUNDARY) {
            IrGraph *bg = NULL;
            if (!(st = dla_graph_extract(g, sg->nodes, sg->nnodes, sg->in_vals, sg->nin, sg->out_vals, sg->nout, &bg,
                                         err)))
                st = host_aot_add_graph(a->ha, bg, &seg_graph[s], &arena, err);
            ir_graph_free(bg);
        } else {
            for (int io = 0; io < 2 && !st; io++) {
                int32_t nv = io ? sg->nout : sg->nin;
                const int32_t *tix = io ? sg->out_tensor : sg->in_tensor;
                int32_t *pk = io ? pack_out : pack_in;
                for (int32_t i = 0; i < nv && !st; i++) {
                    const DlaTensorDesc *d = &prog->tensors[tix[i]];
                    if (!needs_layout(d) || pk[tix[i]] >= 0)
                        continue;
                    IrGraph *lg = layout_graph(d, !io);
                    size_t la = 0;
                    st = host_aot_add_graph(a->ha, lg, &pk[tix[i]], &la, err);
                    ir_graph_free(lg);
                    arena = arena > la ? arena : la;
                    size_t nb = (size_t)dlart_tensor_numel(d) * ir_dtype_size((IrDtype)d->dtype);
                    pack_max = pack_max > nb ? pack_max : nb;
                }
            }
        }
        if (st)
            dla_error_prefix(err, "segment %d: ", (int)s);
        arena_max = arena_max > arena ? arena_max : arena;
    }
    /* scratch layout (see the top of the file) */
    size_t pack_off = round_up(arena_max), end = pack_max ? pack_off + pack_max : arena_max;
    size_t values = 0;
    if (!st)
        end = place_values(a, round_up(end), end, &values);
    for (int32_t k = 0; k < g->noutputs && !st; k++) {
        int32_t v = g->outputs[k], made = 0;
        for (int32_t s = 0; s < p->nsegs && !made; s++)
            for (int32_t i = 0; i < p->segs[s].nout; i++)
                made |= p->segs[s].out_vals[i] == v;
        if (!made)
            st = dla_errorf(err, DLA_ERR_UNSUPPORTED,
                            "output '%s' is not computed by the model (a constant): not supported by bundles",
                            g->values[v].name);
    }
    info->host_arena_bytes = arena_max;
    info->pack_bytes = pack_max;
    info->value_bytes = values;
    info->scratch_bytes = end;
    /* the steps of NAME_run */
    HostAotArg packbuf = {HOST_AOT_SCRATCH, pack_off, NULL};
    for (int32_t s = 0; s < p->nsegs && !st; s++) {
        const DlaSegment *sg = &p->segs[s];
        for (int32_t i = 0; i < sg->nin && !st; i++)
            if (a->kind[sg->in_vals[i]] == LOC_NONE)
                st = dla_errorf(err, DLA_ERR_INVALID, "internal: segment %d reads '%s', which nothing produced",
                                (int)s, g->values[sg->in_vals[i]].name);
        if (st)
            break;
        if (sg->kind != DLA_SEG_DLA) {
            HostAotArg *ins = new_args(a, sg->nin), *outs = new_args(a, sg->nout);
            for (int32_t i = 0; i < sg->nin; i++)
                ins[i] = arg_of(a, sg->in_vals[i]);
            for (int32_t i = 0; i < sg->nout; i++)
                outs[i] = arg_of(a, sg->out_vals[i]);
            call_graph(a, seg_graph[s], ins, sg->nin, outs, sg->nout);
            continue;
        }
        for (int32_t i = 0; i < sg->nin; i++) {
            uint32_t t = (uint32_t)sg->in_tensor[i];
            HostAotArg src = arg_of(a, sg->in_vals[i]);
            size_t nb = value_bytes(g, sg->in_vals[i]);
            if (pack_in[t] >= 0) {
                call_graph(a, pack_in[t], &src, 1, &packbuf, 1);
                src = packbuf;
            }
            call_xfer(a, "dlart_tensor_write_dev", t, src, nb);
        }
        HostAotArg *rx = new_args(a, 3);
        rx[0] = (HostAotArg){HOST_AOT_PARAM, 0, NULL};
        rx[1] = (HostAotArg){HOST_AOT_U32, sg->dla_index, NULL};
        rx[2] = (HostAotArg){HOST_AOT_PARAM, 4, NULL};
        add_step(a, -1, 0, 0, "dlart_run_segment", rx, 3);
        for (int32_t i = 0; i < sg->nout; i++) {
            uint32_t t = (uint32_t)sg->out_tensor[i];
            HostAotArg dst = arg_of(a, sg->out_vals[i]);
            size_t nb = value_bytes(g, sg->out_vals[i]);
            call_xfer(a, "dlart_tensor_read_dev", t, pack_out[t] >= 0 ? packbuf : dst, nb);
            if (pack_out[t] >= 0)
                call_graph(a, pack_out[t], &packbuf, 1, &dst, 1);
        }
    }
    free(seg_graph);
    free(pack_in);
    free(pack_out);
    return st;
}

DlaStatus dla_aot_emit(const DlaPlan *p, const DlaAotOptions *o, DlaAotInfo *info, DlaError *err)
{
    memset(info, 0, sizeof *info);
    if (!dla_aot_name_ok(o->name))
        return dla_errorf(err, DLA_ERR_INVALID, "bundle name '%s' is not a C identifier (at most 63 characters)",
                          o->name ? o->name : "");
    if (!p->ndla)
        return dla_errorf(err, DLA_ERR_UNSUPPORTED,
                          "no part of the model runs on the DLA: a bundle needs an accelerator program");
    uint8_t *bytes = NULL;
    size_t nbytes = 0;
    DlaStatus st = dla_program_write_mem(&p->prog, &bytes, &nbytes, err);
    if (st)
        return st;
    info->model_hash = dlart_aot_model_hash(bytes, nbytes);
    info->target_fp = p->target.fingerprint;
    info->dla_bytes = nbytes;
    Aot a = {0};
    a.p = p;
    a.o = o;
    a.kind = dla_calloc((size_t)p->g->nvalues, 1);
    a.off = dla_calloc((size_t)p->g->nvalues, sizeof *a.off);
    HostOptions ho = {o->opt_level, o->triple, o->cpu, NULL, NULL, 1};
    if (!(st = host_aot_new(&ho, o->name, &a.ha, err)) && !(st = build(&a, info, err)) &&
        !(st = add_entry_points(&a, info, err))) {
        HostAotOutputs out = {o->obj, o->asm_path, o->ir};
        st = host_aot_emit(a.ha, &out, err);
    }
    if (!st && o->header)
        st = write_header(&a, info, err);
    if (!st && o->dla)
        st = dla_file_write(o->dla, bytes, nbytes, err);
    host_aot_free(a.ha);
    for (size_t i = 0; i < a.nargbufs; i++)
        free(a.argbufs[i]);
    free(a.argbufs);
    free(a.steps);
    free(a.kind);
    free(a.off);
    free(bytes);
    return st;
}
