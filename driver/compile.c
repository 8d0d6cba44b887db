/* compile.c - the compile driver (compile.h): model -> quantized graph ->
 * segments -> merged DLA program + JIT-compiled host segments. */
#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/dla/dla_lower.h"
#include "isa/dla_format.h"
#include "compile_int.h"

double dla_compile_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* weights + activation inputs + outputs + requantization scales, bytes: what a
 * layer must move between DRAM and the chip at least once. */
static uint64_t node_compulsory_bytes(const IrGraph *g, int32_t n)
{
    const IrNode *nd = &g->nodes[n];
    uint64_t b = 0;
    /* data movement (docs/lowering.md, "Data movement") need move nothing:
     * producers and consumers can address the data in place (views and
     * in-place concatenation do; a copy is extra traffic, not compulsory) */
    if (nd->op == OP_QCONCAT || nd->op == OP_QSLICE || nd->op == OP_QTRANSPOSE || nd->op == OP_QRESHAPE ||
        nd->op == OP_QCHANNEL_SHUFFLE)
        return 0;
    for (int32_t i = 0; i < nd->ninputs; i++) {
        int32_t v = nd->inputs[i];
        if (v < 0)
            continue;
        const IrValue *x = &g->values[v];
        int64_t ne = ir_shape_numel(&x->shape);
        b += (x->flags & IR_VAL_CONST) ? x->nbytes : (uint64_t)(ne > 0 ? ne : 0) * ir_dtype_size(x->dtype);
    }
    for (int32_t o = 0; o < nd->noutputs; o++) {
        int32_t v = nd->outputs[o];
        if (v < 0)
            continue;
        int64_t ne = ir_shape_numel(&g->values[v].shape);
        b += (uint64_t)(ne > 0 ? ne : 0) * ir_dtype_size(g->values[v].dtype);
    }
    const IrAttr *s = ir_attr_find(g, n, "scale");
    if (s && s->type == IR_ATTR_FLOATS)
        b += 4u * (uint64_t)s->n;
    const IrAttr *t = ir_attr_find(g, n, "table");
    if (t && t->type == IR_ATTR_INTS)
        b += (uint64_t)t->n;
    return b;
}

/* Per-layer compulsory bytes and the merged tensor index of every DLA
 * segment's input and output values. Part k is DLA segment k of p->prog:
 * its layers follow the layers of the parts before it, its tensors are
 * p->prog.segments[k].tensors in part order. dla_lower names each descriptor
 * after its IR value, unique within the part, so a value's descriptor is
 * found by exact name in its own part and referred to by index from then on. */
static DlaStatus map_parts(DlaPlan *p, const DlaProgram *parts, DlaError *err)
{
    p->compulsory = dla_calloc(p->prog.nlayers ? p->prog.nlayers : 1, sizeof *p->compulsory);
    uint32_t lbase = 0;
    for (int32_t s = 0; s < p->nsegs; s++) {
        DlaSegment *sg = &p->segs[s];
        if (sg->kind != DLA_SEG_DLA)
            continue;
        uint32_t k = sg->dla_index;
        const DlaProgram *part = &parts[k];
        DLA_ASSERT(k < p->prog.nsegments && p->prog.segments[k].ntensors == part->ntensors);
        for (uint32_t l = 0; l < part->nlayers; l++)
            for (int32_t i = 0; i < sg->nnodes; i++)
                if (!strcmp(p->g->nodes[sg->nodes[i]].name, part->layers[l].name)) {
                    p->compulsory[lbase + l] = node_compulsory_bytes(p->g, sg->nodes[i]);
                    break;
                }
        lbase += part->nlayers;
        sg->in_tensor = dla_malloc((size_t)(sg->nin ? sg->nin : 1) * sizeof *sg->in_tensor);
        sg->out_tensor = dla_malloc((size_t)(sg->nout ? sg->nout : 1) * sizeof *sg->out_tensor);
        for (int32_t io = 0; io < 2; io++) {
            int32_t nv = io ? sg->nout : sg->nin;
            const int32_t *vals = io ? sg->out_vals : sg->in_vals;
            int32_t *tix = io ? sg->out_tensor : sg->in_tensor;
            for (int32_t i = 0; i < nv; i++) {
                const char *vn = p->g->values[vals[i]].name;
                tix[i] = -1;
                for (uint32_t t = 0; t < part->ntensors; t++)
                    if (!strcmp(part->tensors[t].name, vn)) {
                        tix[i] = (int32_t)p->prog.segments[k].tensors[t];
                        break;
                    }
                if (tix[i] < 0)
                    return dla_errorf(err, DLA_ERR_INVALID,
                                      "internal: DLA segment %u has no tensor descriptor for value '%s'", k, vn);
            }
        }
    }
    return DLA_OK;
}

/* The program's SEGMENTS table: every segment of the plan in run order. DLA
 * segments keep their code ranges and tensors; a HOST or BOUNDARY segment sits
 * (without code) where the code stands when it runs, and lists the program
 * tensors it consumes (DLA outputs of its inputs) or produces (DLA inputs of
 * its outputs). */
static void plan_segments(DlaPlan *p)
{
    DlaSegmentDesc *all = dla_calloc((size_t)p->nsegs, sizeof *all);
    uint32_t *buf = dla_malloc((p->prog.ntensors ? p->prog.ntensors : 1) * sizeof *buf);
    uint8_t *seen = dla_calloc(p->prog.ntensors ? p->prog.ntensors : 1, 1);
    uint32_t pos = 0;
    for (int32_t s = 0; s < p->nsegs; s++) {
        DlaSegment *sg = &p->segs[s];
        DlaSegmentDesc *d = &all[s];
        if (sg->kind == DLA_SEG_DLA) {
            *d = p->prog.segments[sg->dla_index];
            p->prog.segments[sg->dla_index].tensors = NULL; /* moved */
            pos = d->first_insn + d->ninsns;
            continue;
        }
        d->kind = sg->kind;
        d->first_insn = pos;
        uint32_t n = 0;
        for (int32_t o = 0; o < p->nsegs; o++) {
            const DlaSegment *x = &p->segs[o];
            if (x->kind != DLA_SEG_DLA)
                continue;
            for (int32_t io = 0; io < 2; io++) { /* x's inputs vs sg's outputs, x's outputs vs sg's inputs */
                int32_t nx = io ? x->nout : x->nin, nm = io ? sg->nin : sg->nout;
                const int32_t *xv = io ? x->out_vals : x->in_vals, *mv = io ? sg->in_vals : sg->out_vals;
                const int32_t *xt = io ? x->out_tensor : x->in_tensor;
                for (int32_t i = 0; i < nx; i++)
                    for (int32_t j = 0; j < nm; j++)
                        if (xv[i] == mv[j] && !seen[xt[i]]) {
                            seen[xt[i]] = 1;
                            buf[n++] = (uint32_t)xt[i];
                        }
            }
        }
        d->ntensors = n;
        d->tensors = dla_malloc((n ? n : 1) * sizeof *d->tensors);
        for (uint32_t i = 0; i < n; i++) {
            d->tensors[i] = buf[i];
            seen[buf[i]] = 0;
        }
    }
    for (uint32_t k = 0; k < p->prog.nsegments; k++)
        free(p->prog.segments[k].tensors);
    free(p->prog.segments);
    p->prog.segments = all;
    p->prog.nsegments = (uint32_t)p->nsegs;
    free(buf);
    free(seen);
}

static DlaStatus lower_all(DlaPlan *p, DlaError *err)
{
    if (!p->ndla)
        return DLA_OK;
    DlaProgram *parts = dla_calloc((size_t)p->ndla, sizeof *parts);
    DlaStatus st = DLA_OK;
    uint32_t k = 0;
    for (int32_t s = 0; s < p->nsegs && !st; s++) {
        DlaSegment *sg = &p->segs[s];
        if (sg->kind != DLA_SEG_DLA)
            continue;
        st = dla_lower(p->g, sg->nodes, sg->nnodes, &p->target, &parts[k++], err);
    }
    if (!st)
        st = dla_programs_merge(parts, (uint32_t)p->ndla, &p->prog, err);
    if (!st)
        st = map_parts(p, parts, err);
    for (int32_t i = 0; i < p->ndla; i++)
        dla_program_free(&parts[i]);
    free(parts);
    if (st)
        return st;
    plan_segments(p);
    return dla_program_validate(&p->prog, err);
}

static DlaStatus compile_host(DlaPlan *p, const DlaCompileOptions *o, DlaError *err)
{
    HostOptions ho = {o->host_opt_level, NULL, NULL, NULL, NULL, 0};
    for (int32_t s = 0; s < p->nsegs; s++) {
        DlaSegment *sg = &p->segs[s];
        if (sg->kind != DLA_SEG_HOST)
            continue;
        DlaStatus st = dla_graph_extract(p->g, sg->nodes, sg->nnodes, sg->in_vals, sg->nin, sg->out_vals, sg->nout,
                                         &sg->sub, err);
        if (!st)
            st = host_jit_compile(sg->sub, &ho, &sg->hm, err);
        if (st) {
            dla_error_prefix(err, "host segment %d: ", (int)s);
            return st;
        }
    }
    return DLA_OK;
}

DlaStatus dla_compile(const char *model, const DlaCompileOptions *o, DlaPlan **out, DlaError *err)
{
    *out = NULL;
    double t0 = dla_compile_now();
    DlaPlan *p = dla_calloc(1, sizeof *p);
    DlaStatus st = dla_target_load(o->target ? o->target : "dla-edge", &p->target, err);
    if (st)
        goto fail;
    /* inputs with unknown dims take the fed tensors' shapes */
    OnnxLoadOptions lo = {o->shapes, o->nshapes};
    if (o->model_data)
        st = onnx_load_buffer(o->model_data, o->model_size, model, NULL, &lo, &p->g, err);
    else
        st = onnx_load_fed(model, &lo, o->bind, o->nbind, &p->g, err);
    if (st || (st = dla_compile_check_calib(p, o, err)))
        goto fail;
    for (int32_t i = 0; i < p->g->ninputs; i++) {
        const IrValue *v = &p->g->values[p->g->inputs[i]];
        char buf[160];
        if (!ir_shape_known(&v->shape)) {
            st = dla_errorf(err, DLA_ERR_INVALID,
                            "input '%s' has shape %s: the DLA needs static shapes, pass --input-shape %s=D0,D1,...",
                            v->name, ir_shape_str(&v->shape, buf, sizeof buf), v->name);
            goto fail;
        }
    }
    p->t_load = dla_compile_now() - t0;
    if ((st = dla_compile_quantize(p, o, err)))
        goto fail;
    double t_quantized = dla_compile_now();
    if ((st = dla_plan_segment(p, err)))
        goto fail;
    if ((st = lower_all(p, err)))
        goto fail;
    double t_lowered = dla_compile_now();
    p->t_lower = t_lowered - t_quantized;
    if ((st = compile_host(p, o, err)))
        goto fail;
    p->t_host_compile = dla_compile_now() - t_lowered;
    p->t_total = dla_compile_now() - t0;
    *out = p;
    return DLA_OK;
fail:
    dla_error_prefix(err, "%s: ", model);
    dla_plan_free(p);
    return st;
}

void dla_plan_free(DlaPlan *p)
{
    if (!p)
        return;
    for (int32_t s = 0; s < p->nsegs; s++) {
        DlaSegment *sg = &p->segs[s];
        host_model_free(sg->hm);
        ir_graph_free(sg->sub);
        free(sg->nodes);
        free(sg->in_vals);
        free(sg->out_vals);
        free(sg->in_tensor);
        free(sg->out_tensor);
    }
    free(p->segs);
    dla_program_free(&p->prog);
    free(p->compulsory);
    dla_partition_free(&p->part);
    ir_graph_free(p->g);
    free(p);
}

void dla_plan_print(const DlaPlan *p, FILE *f)
{
    static const char *kinds[] = {"host", "dla", "boundary"};
    for (int32_t s = 0; s < p->nsegs; s++) {
        const DlaSegment *sg = &p->segs[s];
        fprintf(f, "segment %d: %s, %d node%s (%s", (int)s, kinds[sg->kind], (int)sg->nnodes, sg->nnodes == 1 ? "" : "s",
                sg->nnodes ? p->g->nodes[sg->nodes[0]].op_type : "");
        if (sg->nnodes > 1)
            fprintf(f, " .. %s", p->g->nodes[sg->nodes[sg->nnodes - 1]].op_type);
        fprintf(f, "), %d in, %d out\n", (int)sg->nin, (int)sg->nout);
        for (int32_t i = 0; sg->kind == DLA_SEG_HOST && i < sg->nnodes; i++) {
            const IrNode *nd = &p->g->nodes[sg->nodes[i]];
            const char *why = dla_partition_reason(&p->part, nd->name);
            if (!why)
                why = p->part.partitioned ? "inserted by quantization next to accelerator nodes"
                                          : "no partition (a model compiled without calibration runs as given)";
            fprintf(f, "    host node '%s' (%s): %s\n", nd->name, nd->op_type, why);
        }
    }
}
