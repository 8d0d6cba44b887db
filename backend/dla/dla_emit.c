/* dla_emit.c - the instruction builder (dla_emit.h): appends selected
 * instructions with the memory ranges they touch; no tokens (those are the
 * schedule pass's, dla_pass_schedule.c). */
#include "dla_emit.h"

#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"

typedef DlaAccess Access;

void dla_em_init(DlaEmit *e, const DlaTarget *t)
{
    memset(e, 0, sizeof *e);
    e->t = t;
    e->R = t->gemm_rows;
    e->C = t->gemm_cols;
    e->L = t->vector_lanes;
    e->msize[DLA_MEM_INP] = (int64_t)t->inp_sram_bytes;
    e->msize[DLA_MEM_WGT] = (int64_t)t->wgt_sram_bytes;
    e->msize[DLA_MEM_ACC] = (int64_t)(t->acc_sram_bytes / 4);
    e->msize[DLA_MEM_PARAM] = (int64_t)(t->param_bytes / 4);
    e->msize[DLA_MEM_LUT] = (int64_t)t->lut_bytes;
}

void dla_em_free(DlaEmit *e)
{
    free(e->pend);
    free(e->insn);
    free(e->reloc);
    free(e->consts);
    for (uint32_t i = 0; i < e->nlayers; i++) {
        free(e->layers[i].name);
        free(e->layers[i].op_type);
    }
    free(e->layers);
    memset(e, 0, sizeof *e);
}

uint64_t dla_em_const(DlaEmit *e, const void *data, uint64_t n, uint64_t align)
{
    uint64_t off = (uint64_t)dla_round_up((int64_t)e->nconsts, (int64_t)(align ? align : 1));
    e->consts = dla_grow(e->consts, 1, off + n + 1, &e->consts_cap);
    memset(e->consts + e->nconsts, 0, off - e->nconsts);
    if (n)
        memcpy(e->consts + off, data, n);
    e->nconsts = off + n;
    return off;
}

/* ------------------------------------------------------------ the list */

/* Append `in`; tracked instructions carry their accesses on engine eng. A
 * tracked instruction may need a relay in front of it (schedule), so it
 * reserves room for two. */
static void append(DlaEmit *e, const DlaInsn *in, int eng, const Access *acc, int nacc, int tracked, int reloc)
{
    if (e->npend + (tracked ? 2u : 1u) > DLA_EM_MAX_INSNS) {
        e->overflow = 1;
        return;
    }
    e->pend = dla_grow(e->pend, sizeof *e->pend, (size_t)e->npend + 1, &e->pcap);
    DlaPending *p = &e->pend[e->npend++];
    memset(p, 0, sizeof *p);
    p->in = *in;
    for (int k = 0; k < nacc; k++)
        p->acc[k] = acc[k];
    p->nacc = (uint8_t)nacc;
    p->eng = (uint8_t)(eng < 0 ? 0 : eng);
    p->tracked = (uint8_t)tracked;
    p->reloc = (uint8_t)reloc;
}

static void push_insn(DlaEmit *e, const DlaInsn *in, int reloc) { append(e, in, -1, NULL, 0, 0, reloc); }

static void emit(DlaEmit *e, DlaInsn *in, int eng, const Access *acc, int nacc, int reloc)
{
    append(e, in, eng, acc, nacc, 1, reloc);
}

void dla_em_sync(DlaEmit *e)
{
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_SYNC);
    push_insn(e, &in, 0);
}

void dla_em_end(DlaEmit *e)
{
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_END);
    push_insn(e, &in, 0);
}

/* ------------------------------------------------------------ DMA */

/* DRAM bytes a box spans: from its first byte to its last (a superset when strided). */
static uint64_t dram_extent(const DlaDma *d, int64_t esize)
{
    return (uint64_t)((d->z - 1) * (d->z > 1 ? d->zs : 0) + (d->y - 1) * (d->y > 1 ? d->ys : 0) + d->x * esize);
}

static int64_t esize_dram(const DlaDma *d)
{
    return (d->mem == DLA_MEM_ACC || d->mem == DLA_MEM_PARAM) && !d->i8 ? 4 : 1;
}

static int mem_engine(int mem) { return mem == DLA_MEM_INP || mem == DLA_MEM_WGT ? DLA_ENG_LOAD : DLA_ENG_COMPUTE; }

static void dmacfg(DlaEmit *e, int eng, int64_t ys, int64_t zs, int64_t xpitch)
{
    if (e->dma_valid[eng] && e->dma_cfg[eng][0] == ys && e->dma_cfg[eng][1] == zs && e->dma_cfg[eng][2] == xpitch)
        return;
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_DMACFG);
    in.eng = eng;
    in.ystride = ys;
    in.zstride = zs;
    in.xpitch = xpitch;
    push_insn(e, &in, 0);
    e->dma_cfg[eng][0] = ys, e->dma_cfg[eng][1] = zs, e->dma_cfg[eng][2] = xpitch;
    e->dma_valid[eng] = 1;
}

void dla_em_load(DlaEmit *e, const DlaDma *d)
{
    int eng = mem_engine(d->mem);
    /* Registers of a level that does not repeat do not matter: keep the cache. */
    int64_t ys = d->y > 1 ? d->ys : (e->dma_valid[eng] ? e->dma_cfg[eng][0] : 0);
    int64_t zs = d->z > 1 ? d->zs : (e->dma_valid[eng] ? e->dma_cfg[eng][1] : 0);
    int64_t xp = d->xpitch == d->x ? 0 : d->xpitch;
    dmacfg(e, eng, ys, zs, xp);
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_LOAD);
    in.mem = d->mem;
    in.dram = (int64_t)d->dram;
    in.sram = (int64_t)d->sram;
    in.xsize = d->x, in.ysize = d->y, in.zsize = d->z;
    in.ypad0 = d->ypad0, in.ypad1 = d->ypad1, in.zpad0 = d->zpad0, in.zpad1 = d->zpad1;
    in.pad = d->pad;
    in.i8 = d->i8;
    int64_t p = d->xpitch ? d->xpitch : d->x;
    Access a[2] = {{d->mem, d->sram,
                    d->sram + (uint64_t)((d->zpad0 + d->z + d->zpad1) * (d->ypad0 + d->y + d->ypad1) * p), 1},
                   {DLA_HAZ_DRAM, d->dram, d->dram + dram_extent(d, esize_dram(d)), 0}};
    emit(e, &in, eng, a, d->act ? 2 : 1, d->act);
}

void dla_em_store(DlaEmit *e, const DlaDma *d)
{
    int64_t ys = d->y > 1 ? d->ys : (e->dma_valid[DLA_ENG_STORE] ? e->dma_cfg[DLA_ENG_STORE][0] : 0);
    int64_t zs = d->z > 1 ? d->zs : (e->dma_valid[DLA_ENG_STORE] ? e->dma_cfg[DLA_ENG_STORE][1] : 0);
    int64_t xp = d->xpitch == d->x ? 0 : d->xpitch;
    dmacfg(e, DLA_ENG_STORE, ys, zs, xp);
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_STORE);
    in.dram = (int64_t)d->dram;
    in.sram = (int64_t)d->sram;
    in.xsize = d->x, in.ysize = d->y, in.zsize = d->z;
    in.i8 = 1;
    int64_t p = d->xpitch ? d->xpitch : d->x;
    Access a[2] = {{DLA_MEM_ACC, d->sram, d->sram + (uint64_t)(d->z * d->y * p), 0},
                   {DLA_HAZ_DRAM, d->dram, d->dram + dram_extent(d, 1), 1}};
    emit(e, &in, DLA_ENG_STORE, a, d->act ? 2 : 1, d->act);
}

/* Rows of FLAT_X elements (a loop extent, and within a DMA row), at most
 * DLA_MAX_DMA_Y rows (DMA) / DLA_MAX_EXTENT rows (compute) per instruction,
 * then the tail. */
#define FLAT_X DLA_MAX_EXTENT

void dla_em_load_flat(DlaEmit *e, int mem, uint64_t dram, int act, uint64_t sram, int64_t n, int i8)
{
    int64_t esz = (mem == DLA_MEM_ACC || mem == DLA_MEM_PARAM) && !i8 ? 4 : 1;
    /* Bulk copies on the load engine go in pieces: one huge transfer would
     * hold the shared DRAM channel for long and stall the compute engine's
     * own small loads queued behind it, and consumers of the first piece can
     * start early. Pieces of about 10x (latency x bandwidth) bytes keep the
     * latency paid per piece near 10% of the transfer. */
    int64_t piece = 10 * (int64_t)e->t->dram_latency_cycles * (int64_t)e->t->dram_bytes_per_cycle / FLAT_X;
    int64_t maxy = mem_engine(mem) != DLA_ENG_LOAD ? DLA_MAX_DMA_Y : piece < 1 ? 1 : piece > DLA_MAX_DMA_Y ? DLA_MAX_DMA_Y : piece;
    while (n > 0) {
        int64_t x = n < FLAT_X ? n : FLAT_X, y = n / x > maxy ? maxy : n / x;
        DlaDma d = {.mem = mem, .dram = dram, .act = act, .sram = sram, .x = x, .y = y, .z = 1, .xpitch = x,
                    .ys = x * esz, .i8 = i8};
        dla_em_load(e, &d);
        dram += (uint64_t)(x * y * esz);
        sram += (uint64_t)(x * y);
        n -= x * y;
    }
}

void dla_em_store_flat(DlaEmit *e, uint64_t dram, uint64_t sram, int64_t n)
{
    while (n > 0) {
        int64_t x = n < FLAT_X ? n : FLAT_X, y = n / x > DLA_MAX_DMA_Y ? DLA_MAX_DMA_Y : n / x;
        DlaDma d = {.dram = dram, .act = 1, .sram = sram, .x = x, .y = y, .z = 1, .xpitch = x, .ys = x};
        dla_em_store(e, &d);
        dram += (uint64_t)(x * y);
        sram += (uint64_t)(x * y);
        n -= x * y;
    }
}

/* ------------------------------------------------------------ compute */

static void loopcfg(DlaEmit *e, const DlaNest *n)
{
    for (int l = 0; l < 4; l++) {
        if (n->e[l] <= 1)
            continue; /* strides of a single-iteration level never matter */
        if (e->loop_valid[l] && e->loop_cfg[l][0] == n->sd[l] && e->loop_cfg[l][1] == n->ss[l] &&
            e->loop_cfg[l][2] == n->s2[l])
            continue;
        DlaInsn in;
        dla_insn_init(&in, DLA_OP_LOOPCFG);
        in.level = l;
        in.sdst = n->sd[l], in.ssrc = n->ss[l], in.ssrc2 = n->s2[l];
        push_insn(e, &in, 0);
        e->loop_cfg[l][0] = n->sd[l], e->loop_cfg[l][1] = n->ss[l], e->loop_cfg[l][2] = n->s2[l];
        e->loop_valid[l] = 1;
    }
}

/* [base, base + sum (e-1)*stride + span) of one stream. */
static Access stream(const DlaNest *n, const int64_t *s, int mem, uint64_t base, int64_t span, int write)
{
    uint64_t ext = 0;
    for (int l = 0; l < 4; l++)
        ext += (uint64_t)((n->e[l] - 1) * s[l]);
    return (Access){mem, base, base + ext + (uint64_t)span, write};
}

static void nest_fields(DlaInsn *in, const DlaNest *n)
{
    in->e0 = n->e[0], in->e1 = n->e[1], in->e2 = n->e[2], in->e3 = n->e[3];
}

void dla_em_gemm(DlaEmit *e, const DlaNest *nest, uint64_t acc, uint64_t inp, uint64_t wgt, int64_t wpitch, int dw)
{
    loopcfg(e, nest);
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_GEMM);
    nest_fields(&in, nest);
    in.dst = (int64_t)acc, in.src = (int64_t)inp, in.src2 = (int64_t)wgt;
    in.wpitch = wpitch;
    in.dw = dw;
    Access a[3] = {stream(nest, nest->sd, DLA_MEM_ACC, acc, e->C, 1),
                   stream(nest, nest->ss, DLA_MEM_INP, inp, dw ? e->C : e->R, 0),
                   stream(nest, nest->s2, DLA_MEM_WGT, wgt, dw ? e->C : (e->C - 1) * wpitch * e->R + e->R, 0)};
    emit(e, &in, DLA_ENG_COMPUTE, a, 3, 0);
}

void dla_em_alu(DlaEmit *e, const DlaNest *nest, int op, uint64_t dst, uint64_t src, uint32_t src2, int imm)
{
    loopcfg(e, nest);
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_ALU);
    nest_fields(&in, nest);
    in.aluop = op;
    in.dst = (int64_t)dst, in.src = (int64_t)src, in.src2 = src2;
    in.imm = imm;
    Access a[3];
    int na = 0;
    a[na++] = stream(nest, nest->sd, DLA_MEM_ACC, dst, 1, 1);
    if (op != DLA_ALU_MOV)
        a[na++] = stream(nest, nest->ss, DLA_MEM_ACC, src, 1, 0);
    if (!imm && op != DLA_ALU_ITOF && op != DLA_ALU_FTOI && op != DLA_ALU_ABS)
        a[na++] = stream(nest, nest->s2, DLA_MEM_ACC, src2, 1, 0);
    emit(e, &in, DLA_ENG_COMPUTE, a, na, 0);
}

void dla_em_clip(DlaEmit *e, const DlaNest *nest, uint64_t dst, uint64_t src, int lo, int hi)
{
    loopcfg(e, nest);
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_CLIP);
    nest_fields(&in, nest);
    in.dst = (int64_t)dst, in.src = (int64_t)src, in.lo = lo, in.hi = hi;
    Access a[2] = {stream(nest, nest->sd, DLA_MEM_ACC, dst, 1, 1), stream(nest, nest->ss, DLA_MEM_ACC, src, 1, 0)};
    emit(e, &in, DLA_ENG_COMPUTE, a, 2, 0);
}

void dla_em_lut(DlaEmit *e, const DlaNest *nest, uint64_t dst, uint64_t src, uint64_t table)
{
    loopcfg(e, nest);
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_LUT);
    nest_fields(&in, nest);
    in.dst = (int64_t)dst, in.src = (int64_t)src, in.table = (int64_t)table;
    Access a[2] = {stream(nest, nest->sd, DLA_MEM_ACC, dst, 1, 1), stream(nest, nest->ss, DLA_MEM_ACC, src, 1, 0)};
    emit(e, &in, DLA_ENG_COMPUTE, a, 2, 0);
}

void dla_em_requant(DlaEmit *e, const DlaNest *nest, uint64_t dst, uint64_t src, uint64_t param, int zp, int relu)
{
    loopcfg(e, nest);
    DlaInsn in;
    dla_insn_init(&in, DLA_OP_REQUANT);
    nest_fields(&in, nest);
    in.dst = (int64_t)dst, in.src = (int64_t)src, in.param = (int64_t)param;
    in.zp = zp, in.relu = relu, in.mode = DLA_REQ_FP32;
    Access a[2] = {stream(nest, nest->sd, DLA_MEM_ACC, dst, 1, 1), stream(nest, nest->ss, DLA_MEM_ACC, src, 1, 0)};
    emit(e, &in, DLA_ENG_COMPUTE, a, 2, 0);
}

/* n contiguous elements as rows of FLAT_X: (rows, FLAT_X) then the tail.
 * The src2 stream has stride 0 (immediate or one param word). */
#define FLAT_LOOP(e, a, n, CALL) \
    do { \
        uint64_t a_ = (a); \
        int64_t n_ = (n); \
        while (n_ > 0) { \
            int64_t x_ = n_ < FLAT_X ? n_ : FLAT_X, y_ = n_ / x_ > DLA_MAX_EXTENT ? DLA_MAX_EXTENT : n_ / x_; \
            DlaNest nest_ = {{1, 1, y_, x_}, {0, 0, x_, 1}, {0, 0, x_, 1}, {0, 0, 0, 0}}; \
            const DlaNest *np_ = &nest_; \
            CALL; \
            a_ += (uint64_t)(x_ * y_); \
            n_ -= x_ * y_; \
        } \
    } while (0)

void dla_em_alu_flat(DlaEmit *e, int op, uint64_t a, int64_t n, uint32_t imm)
{
    int unary = op == DLA_ALU_ITOF || op == DLA_ALU_FTOI || op == DLA_ALU_ABS;
    FLAT_LOOP(e, a, n, dla_em_alu(e, np_, op, a_, a_, unary ? 0 : imm, !unary));
}

void dla_em_clip_flat(DlaEmit *e, uint64_t a, int64_t n, int lo, int hi)
{
    FLAT_LOOP(e, a, n, dla_em_clip(e, np_, a_, a_, lo, hi));
}

void dla_em_lut_flat(DlaEmit *e, uint64_t a, int64_t n, uint64_t table)
{
    FLAT_LOOP(e, a, n, dla_em_lut(e, np_, a_, a_, table));
}

void dla_em_requant_flat(DlaEmit *e, uint64_t a, int64_t n, uint64_t param, int zp, int relu)
{
    FLAT_LOOP(e, a, n, dla_em_requant(e, np_, a_, a_, param, zp, relu));
}

/* ------------------------------------------------------------ layers, finish */

void dla_em_layer_begin(DlaEmit *e, const char *name, const char *op_type, uint64_t macs)
{
    e->layers = dla_grow(e->layers, sizeof *e->layers, e->nlayers + 1, &e->layers_cap);
    DlaLayerMap *l = &e->layers[e->nlayers++];
    l->name = dla_strdup(name ? name : "");
    l->op_type = dla_strdup(op_type);
    l->first_insn = e->npend;
    l->ninsns = 0;
    l->macs = macs;
}

void dla_em_layer_end(DlaEmit *e)
{
    DlaLayerMap *l = &e->layers[e->nlayers - 1];
    l->ninsns = e->npend - l->first_insn;
}
