/* dla_lower_vec.c - the Q-ops that run on the vector unit: QMaxPool,
 * QAvgPool, QGlobalAvgPool, QLut, QConcat (docs/quant.md semantics, docs/isa.md
 * recipes; QAdd and its family: dla_lower_eltwise.c). Loop extents and DMA boxes are bounded by the DLA_MAX_* of
 * isa/isa.h (the encoding's field widths). int8 inputs are loaded into acc sign-extended (`load mem=acc i8`,
 * on the compute engine), processed in place, and stored as int8. acc is used
 * as two halves that alternate between tiles, so that the store of one tile
 * overlaps the computation of the next (dla_emit adds the tokens). */
#include "dla_lower_int.h"

#include <string.h>

#include "isa/isa.h"
#include "ops.h"

/* ------------------------------------------------------------ QMaxPool, QAvgPool
 * Per (image, output-row tile, channel block of Cb): the input rows with halo
 * into acc as [rows][Wp][Cb] (padding: -128 for max, which never wins since
 * every window holds a real element; the zero point for average, which the
 * subtraction of zx turns into 0), the output tile [OHt][OW][Cb] initialised
 * to -128 / 0, then one ALU max/add per kernel row over (kw; rows; pixels;
 * channels); average pooling then requantizes with scale[0]. The tiles are
 * the tile pass's (dla_pool_tile), the acc halves sram-alloc's. */
DlaStatus dla_lower_pool(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    DlaEmit *e = c->em;
    const DlaPool *pl = &c->layer->pool; /* the tile pass's choice */
    const DlaWin k = pl->k;
    int avg = pl->avg;
    int32_t zx = pl->zx, zy = pl->zy;
    int64_t Cc = pl->C, H = pl->H, W = pl->W, OH = pl->OH, OW = pl->OW;
    int64_t owt = pl->owt, ncols = pl->ncols, Cb = pl->Cb, ncb = pl->ncb, oht = pl->oht, nrows = pl->nrows;
    DlaStatus st;
    *macs = 0;
    uint64_t xa = c->addr[ir_in(c->g, node, 0)], ya = c->addr[c->g->nodes[node].outputs[0]];
    uint64_t param = 0;
    /* one scale for the whole window, or one per window count (ceil_mode,
     * count_include_pad = 0): requantized by regions (dla_pool_requant_regions) */
    const IrAttr *sa = avg ? ir_attr_find(c->g, node, "scale") : NULL;
    int64_t nsc = sa ? sa->n : 0;
    int incl = avg && ir_node_attr_i(c->g, node, "count_include_pad");
    if (avg) {
        uint64_t so = dla_em_const(e, sa->floats, (uint64_t)nsc * 4, 4);
        dla_em_load_flat(e, DLA_MEM_PARAM, so, 0, 0, nsc, 0);
    }
    for (int64_t n = 0; n < pl->N; n++)
        for (int64_t t = 0; t < nrows * ncols; t++) {
            int64_t oh0 = t / ncols * oht, ohn = OH - oh0 < oht ? OH - oh0 : oht;
            int64_t ow0 = t % ncols * owt, own = OW - ow0 < owt ? OW - ow0 : owt;
            DlaSpan rw, cl;
            if ((st = dla_lower_span(c, node, H, k.kh, k.sh, k.dh, k.pt, oh0, ohn, &rw)) ||
                (st = dla_lower_span(c, node, W, k.kw, k.sw, k.dw, k.pl, ow0, own, &cl)))
                return st;
            int64_t rowp = cl.total * Cb; /* acc elements per input tile row */
            for (int64_t cb = 0; cb < ncb; cb++) {
                int64_t c0 = cb * Cb, cn = Cc - c0 < Cb ? Cc - c0 : Cb;
                uint64_t in = c->layer->acc_at[e->acc_half], out = in + (uint64_t)(rw.total * rowp);
                e->acc_half ^= 1;
                DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1,
                            .dram = xa + (uint64_t)(((n * H + rw.i0) * W + cl.i0) * Cc + c0), .act = 1, .sram = in,
                            .x = cn, .xpitch = Cb, .y = cl.n, .ys = Cc, .ypad0 = cl.pad0, .ypad1 = cl.pad1,
                            .z = rw.n, .zs = W * Cc, .zpad0 = rw.pad0, .zpad1 = rw.pad1, .pad = avg ? zx : -128};
                dla_em_load(e, &d);
                if (avg && zx)
                    dla_em_alu_flat(e, DLA_ALU_SUB, in, rw.total * rowp, (uint32_t)zx);
                dla_em_alu_flat(e, DLA_ALU_MOV, out, ohn * own * Cb, avg ? 0u : (uint32_t)-128);
                for (int64_t kh = 0; kh < k.kh; kh++) {
                    DlaNest an = {{k.kw, ohn, own, Cb},
                                  {0, own * Cb, Cb, 1},
                                  {0, own * Cb, Cb, 1},
                                  {k.dw * Cb, k.sh * rowp, k.sw * Cb, 1}};
                    dla_em_alu(e, &an, avg ? DLA_ALU_ADD : DLA_ALU_MAX, out, out,
                               (uint32_t)(in + (uint64_t)(kh * k.dh * rowp)), 0);
                }
                if (avg && nsc == 1)
                    dla_em_requant_flat(e, out, ohn * own * Cb, param, zy, 0);
                else if (avg)
                    dla_pool_requant_regions(e, pl, incl, out, oh0, ohn, ow0, own);
                DlaDma s = {.dram = ya + (uint64_t)(((n * OH + oh0) * OW + ow0) * Cc + c0), .act = 1, .sram = out,
                            .x = cn, .xpitch = Cb, .y = own, .ys = Cc, .z = ohn, .zs = OW * Cc};
                dla_em_store(e, &s);
            }
        }
    return DLA_OK;
}

/* ------------------------------------------------------------ QGlobalAvgPool
 * Per (image, channel block): sum the rows of the image chunk by chunk into
 * a [Cb] accumulator with ALU adds (stride 0 on rows and pixels), subtract
 * H*W*zx once (the same sum modulo 2^32 as subtracting zx per element), then
 * requantize with scale[0]. */
DlaStatus dla_lower_gpool(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    int32_t xv = ir_in(g, node, 0), yv = g->nodes[node].outputs[0];
    DlaDims xd, yd;
    float sx, sy;
    int32_t zx, zy;
    DlaStatus st;
    int max = g->nodes[node].op == OP_QGLOBAL_MAX_POOL;
    const IrShape *ys = &g->values[yv].shape;
    if (g->values[xv].shape.rank != 4 || (ys->rank != 4 && ys->rank != 2))
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "only 2-D pooling (rank-4 tensors) is supported");
    if ((st = dla_lower_dims(c, node, xv, &xd)) || (st = dla_lower_dims(c, node, yv, &yd)) ||
        (st = dla_lower_quant(c, node, xv, &sx, &zx)) || (st = dla_lower_quant(c, node, yv, &sy, &zy)))
        return st;
    if (ys->rank == 2) /* keepdims = 0: [N,C] row-major is [N,C,1,1] NHWC, byte for byte */
        yd = (DlaDims){ys->dims[0], ys->dims[1], 1, 1};
    const IrAttr *sc = ir_attr_find(g, node, "scale");
    if (!max && (!sc || sc->type != IR_ATTR_FLOATS || sc->n != 1))
        return dla_lower_err(c, node, DLA_ERR_INVALID, "attribute 'scale' must have 1 float");
    if (max && (zx != zy || sx != sy))
        return dla_lower_err(c, node, DLA_ERR_INVALID, "QGlobalMaxPool output must have the input's scale and zero point");
    if (yd.n != xd.n || yd.c != xd.c || yd.h != 1 || yd.w != 1)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "output must be [N,C,1,1] or [N,C]");
    *macs = 0;
    int64_t Cc = xd.c, H = xd.h, W = xd.w, WC = W < DLA_MAX_EXTENT ? W : DLA_MAX_EXTENT; /* columns per chunk */
    uint64_t xa = c->addr[xv], ya = c->addr[yv];
    if (!max) {
        uint64_t so = dla_em_const(e, &sc->floats[0], 4, 4);
        dla_em_load_flat(e, DLA_MEM_PARAM, so, 0, 0, 1, 0);
    }
    /* max: the same reduction with alu max from -128, no correction, no
     * requantization (the output keeps the input's parameters) */
    int rop = max ? DLA_ALU_MAX : DLA_ALU_ADD;
    uint32_t init = max ? (uint32_t)-128 : 0u;
    /* acc: [0, 2*Cb) two output slots, then the chunk buffer [rows][WC][Cb]. */
    int64_t acc = e->msize[DLA_MEM_ACC];
    int64_t Cb = Cc < DLA_MAX_EXTENT ? Cc : DLA_MAX_EXTENT;
    while (Cb > 1 && 2 * Cb + WC * Cb > acc)
        Cb /= 2;
    if (2 * Cb + WC * Cb > acc)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "one image row does not fit the accumulator SRAM");
    int64_t rows = (acc - 2 * Cb) / (WC * Cb);
    if (rows > DLA_MAX_EXTENT)
        rows = DLA_MAX_EXTENT;
    if (rows > H)
        rows = H;
    int64_t ncb = dla_ceil_div(Cc, Cb);
    uint32_t corr = max ? 0u : (uint32_t)((uint64_t)(H * W) * (uint64_t)(int64_t)zx);
    int slot = 0;
    /* Small images: nb whole images per step, one DMA (z = images), one ALU
     * add with a loop level over the images. */
    int64_t nb = H * W <= DLA_MAX_EXTENT ? acc / (H * W * Cb + 2 * Cb) : 0;
    if (nb > xd.n)
        nb = xd.n;
    if (nb > DLA_MAX_EXTENT)
        nb = DLA_MAX_EXTENT;
    if (nb >= 2) {
        for (int64_t cb = 0; cb < ncb; cb++)
            for (int64_t n0 = 0; n0 < xd.n; n0 += nb) {
                int64_t c0 = cb * Cb, cn = Cc - c0 < Cb ? Cc - c0 : Cb, m = xd.n - n0 < nb ? xd.n - n0 : nb;
                uint64_t out = (uint64_t)(slot * nb * Cb), buf = (uint64_t)(2 * nb * Cb);
                slot ^= 1;
                dla_em_alu_flat(e, DLA_ALU_MOV, out, m * Cb, init);
                DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1, .dram = xa + (uint64_t)(n0 * H * W * Cc + c0), .act = 1,
                            .sram = buf, .x = cn, .xpitch = Cb, .y = H * W, .ys = Cc, .z = m, .zs = H * W * Cc};
                dla_em_load(e, &d);
                DlaNest an = {{1, m, H * W, Cb}, {0, Cb, 0, 1}, {0, Cb, 0, 1}, {0, H * W * Cb, Cb, 1}};
                dla_em_alu(e, &an, rop, out, out, (uint32_t)buf, 0);
                if (corr)
                    dla_em_alu_flat(e, DLA_ALU_SUB, out, m * Cb, corr);
                if (!max)
                    dla_em_requant_flat(e, out, m * Cb, 0, zy, 0);
                DlaDma s = {.dram = ya + (uint64_t)(n0 * Cc + c0), .act = 1, .sram = out, .x = cn, .xpitch = Cb,
                            .y = m, .ys = Cc, .z = 1};
                dla_em_store(e, &s);
            }
        return DLA_OK;
    }
    for (int64_t n = 0; n < xd.n; n++)
        for (int64_t cb = 0; cb < ncb; cb++) {
            int64_t c0 = cb * Cb, cn = Cc - c0 < Cb ? Cc - c0 : Cb;
            uint64_t out = (uint64_t)(slot * Cb), buf = (uint64_t)(2 * Cb);
            slot ^= 1;
            dla_em_alu_flat(e, DLA_ALU_MOV, out, Cb, init);
            for (int64_t r0 = 0; r0 < H; r0 += rows)
                for (int64_t w0 = 0; w0 < W; w0 += WC) {
                    int64_t nr = H - r0 < rows ? H - r0 : rows, nw = W - w0 < WC ? W - w0 : WC;
                    DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1,
                                .dram = xa + (uint64_t)(((n * H + r0) * W + w0) * Cc + c0), .act = 1, .sram = buf,
                                .x = cn, .xpitch = Cb, .y = nw, .ys = Cc, .z = nr, .zs = W * Cc};
                    dla_em_load(e, &d);
                    DlaNest an = {{1, nr, nw, Cb}, {0, 0, 0, 1}, {0, 0, 0, 1}, {0, nw * Cb, Cb, 1}};
                    dla_em_alu(e, &an, rop, out, out, (uint32_t)buf, 0);
                }
            if (corr)
                dla_em_alu_flat(e, DLA_ALU_SUB, out, Cb, corr);
            if (!max)
                dla_em_requant_flat(e, out, Cb, 0, zy, 0);
            DlaDma s = {.dram = ya + (uint64_t)(n * Cc + c0), .act = 1, .sram = out, .x = cn, .y = 1, .z = 1};
            dla_em_store(e, &s);
        }
    return DLA_OK;
}

/* ------------------------------------------------------------ QLut */
DlaStatus dla_lower_lut(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    int32_t xv = ir_in(g, node, 0), yv = g->nodes[node].outputs[0];
    const int64_t *t;
    if (ir_attr_ints(g, node, "table", &t) != 256)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "attribute 'table' must have 256 values");
    if (e->msize[DLA_MEM_LUT] < 256)
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "the target has no lookup-table memory");
    int64_t n = ir_shape_numel(&g->values[yv].shape);
    if (n < 0 || ir_shape_numel(&g->values[xv].shape) != n)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "input and output must have the same known size");
    int8_t tab[256];
    for (int i = 0; i < 256; i++) {
        if (t[i] < -128 || t[i] > 127)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "table[%d] = %lld is not int8", i, (long long)t[i]);
        tab[i] = (int8_t)t[i];
    }
    *macs = 0;
    uint64_t to = dla_em_const(e, tab, 256, 1);
    dla_em_load_flat(e, DLA_MEM_LUT, to, 0, 0, 256, 0);
    int64_t P = e->msize[DLA_MEM_ACC] / 2;
    for (int64_t off = 0; off < n; off += P) {
        int64_t m = n - off < P ? n - off : P;
        uint64_t a = (uint64_t)(e->acc_half * P);
        e->acc_half ^= 1;
        dla_em_load_flat(e, DLA_MEM_ACC, c->addr[xv] + (uint64_t)off, 1, a, m, 1);
        dla_em_lut_flat(e, a, m, 0);
        dla_em_store_flat(e, c->addr[yv] + (uint64_t)off, a, m);
    }
    return DLA_OK;
}

/* ------------------------------------------------------------ QConcat
 * In the DRAM layout (NHWC for rank 4, row-major otherwise) a concatenation
 * is, for every "outer" index (the physical dims before the axis), the
 * blocks of the inputs side by side: Y[outer][sum of blocks], X_i[outer][block_i].
 * Each input is copied through acc in boxes of (rows x block columns),
 * requantized to the output's scale when it has its own (sub zx; requant
 * fp32 with scale[i], zp = zy), else copied as is. */
static void phys_view(const IrShape *s, int axis, int64_t *outer, int64_t *block)
{
    int order[IR_MAX_RANK];
    for (int i = 0; i < s->rank; i++)
        order[i] = i;
    if (s->rank == 4) { /* NHWC: physical order N, H, W, C */
        order[1] = 2, order[2] = 3, order[3] = 1;
    }
    int pa = 0;
    for (int i = 0; i < s->rank; i++)
        if (order[i] == axis)
            pa = i;
    *outer = 1;
    *block = 1;
    for (int i = 0; i < s->rank; i++) {
        if (i < pa)
            *outer *= s->dims[order[i]];
        else
            *block *= s->dims[order[i]];
    }
}

DlaStatus dla_lower_concat(DlaLowerCtx *c, int32_t node, uint64_t *macs)
{
    const IrGraph *g = c->g;
    DlaEmit *e = c->em;
    const IrNode *nd = &g->nodes[node];
    int32_t yv = nd->outputs[0];
    float sy, sx;
    int32_t zy, zx;
    DlaStatus st;
    if ((st = dla_lower_quant(c, node, yv, &sy, &zy)))
        return st;
    const IrShape *ys = &g->values[yv].shape;
    int64_t axis = ir_node_attr_i(g, node, "axis");
    if (axis < 0)
        axis += ys->rank;
    const IrAttr *sc = ir_attr_find(g, node, "scale");
    if (axis < 0 || axis >= ys->rank || !sc || sc->type != IR_ATTR_FLOATS || sc->n != nd->ninputs)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "needs a valid axis and one scale per input");
    if (nd->ninputs > e->msize[DLA_MEM_PARAM])
        return dla_lower_err(c, node, DLA_ERR_UNSUPPORTED, "more inputs than the param memory holds scales");
    *macs = 0;
    int64_t outer, ytot;
    phys_view(ys, (int)axis, &outer, &ytot);
    /* the scales only when an input is requantized (not in place, not a plain copy) */
    int need_scales = 0;
    for (int k = 0; k < nd->ninputs; k++) {
        const IrQuant *xq = &g->values[nd->inputs[k]].quant;
        need_scales |= !(c->pitch && c->pitch[nd->inputs[k]]) &&
                        !(sc->floats[k] == 1.0f && xq->count == 1 && xq->zero_point[0] == zy);
    }
    /* A concatenation joins branches: a barrier here keeps the next layers'
     * prefetches from competing on the one DRAM channel with the branches'
     * last stores, as the segment boundary around a host Concat used to
     * (measured on squeezenet1_1: dla-edge 2369145 -> 2347142 cycles,
     * dla-server 336760 -> 334231). */
    dla_em_sync(e);
    if (need_scales) {
        uint64_t so = dla_em_const(e, sc->floats, (uint64_t)sc->n * 4, 4);
        dla_em_load_flat(e, DLA_MEM_PARAM, so, 0, 0, sc->n, 0);
    }
    int64_t half = e->msize[DLA_MEM_ACC] / 2, off = 0;
    for (int k = 0; k < nd->ninputs; k++) {
        int32_t xv = nd->inputs[k];
        if ((st = dla_lower_quant(c, node, xv, &sx, &zx)))
            return st;
        const IrShape *xs = &g->values[xv].shape;
        int64_t xo, blk;
        if (xs->rank != ys->rank)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "input %d has another rank", k);
        phys_view(xs, (int)axis, &xo, &blk);
        if (xo != outer || off + blk > ytot)
            return dla_lower_err(c, node, DLA_ERR_INVALID, "input %d does not fit the output", k);
        int ident = sc->floats[k] == 1.0f && zx == zy;
        if (c->pitch && c->pitch[xv]) { /* its producer wrote it in place (dla_move_views) */
            off += blk;
            continue;
        }
        int64_t xwmax = blk < DLA_MAX_EXTENT ? blk : DLA_MAX_EXTENT;
        for (int64_t xb = 0; xb < blk; xb += xwmax) {
            int64_t xw = blk - xb < xwmax ? blk - xb : xwmax;
            int64_t nrmax = half / xw < DLA_MAX_EXTENT ? half / xw : DLA_MAX_EXTENT;
            for (int64_t r0 = 0; r0 < outer; r0 += nrmax) {
                int64_t nr = outer - r0 < nrmax ? outer - r0 : nrmax;
                uint64_t buf = (uint64_t)(e->acc_half * half);
                e->acc_half ^= 1;
                DlaDma d = {.mem = DLA_MEM_ACC, .i8 = 1, .dram = c->addr[xv] + (uint64_t)(r0 * blk + xb), .act = 1,
                            .sram = buf, .x = xw, .y = nr, .ys = blk, .z = 1};
                dla_em_load(e, &d);
                if (!ident) {
                    if (zx)
                        dla_em_alu_flat(e, DLA_ALU_SUB, buf, nr * xw, (uint32_t)zx);
                    dla_em_requant_flat(e, buf, nr * xw, (uint64_t)k, zy, 0);
                }
                DlaDma s = {.dram = c->addr[yv] + (uint64_t)(r0 * ytot + off + xb), .act = 1, .sram = buf, .x = xw,
                            .y = nr, .ys = ytot, .z = 1};
                dla_em_store(e, &s);
            }
        }
        off += blk;
    }
    if (off != ytot)
        return dla_lower_err(c, node, DLA_ERR_INVALID, "inputs do not fill the output");
    return DLA_OK;
}
