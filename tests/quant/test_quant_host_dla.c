/* test_quant_host_dla.c - the host backend's QLinearConv / QLinearMatMul
 * against the DLA path, byte for byte: the same integer inputs and scales as
 * dlacc QConv / QGemm (docs/quant.md), lowered for dla-edge / dla-server, run
 * on the simulator, and through the integer reference (qref), which must
 * agree too. On the ONNX node tests of those ops and on a few hundred random
 * layers (fixed seeds), and QuantizeLinear / DequantizeLinear node tests
 * against quant.h (the driver's boundary arithmetic).
 *
 * ONNX QOperator models cannot be imported onto the DLA yet, so the DLA side
 * is built here from the ONNX operands, exactly: uint8 tensors become int8 by
 * subtracting 128 from values and zero points (x - zx is unchanged; an uint8
 * output is the int8 one plus 128), and weights w - w_zp that do not fit int8
 * (uint8 weights, or int8 weights with a zero point; up to +-255) are split
 * into ns int8 parts summing to them, with the input channels repeated ns
 * times, so that the int32 accumulator is the same sum. The bias folds the
 * input zero point in, as the quantize pass does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/dla/dla_lower.h"
#include "backend/qref/qref.h"
#include "dla_mem.h"
#include "driver/host_session.h"
#include "frontend/onnx.h"
#include "ir_build_test.h"
#include "isa/sim.h"
#include "quant/quant.h"
#include "quant_test_util.h"

/* ------------------------------------------------------------ QLinear layers, host vs DLA */

/* One QLinearConv (NCHW, OIHW weights, optional int32 bias) or 2-D
 * QLinearMatMul (x [M,K], w [K,N]) with its ONNX operands. */
typedef struct QLayer {
    int conv;
    int64_t xd[4], wd[4], yd[4];
    int64_t strides[2], dil[2], pads[4], group;
    IrDtype xdt, wdt, ydt; /* DT_INT8 or DT_UINT8 each */
    float xs, ys, ws[256];
    int nws;               /* 1 or the output channels */
    int32_t xzp, yzp, wzp[256];
    int nwz;               /* 1 or the output channels (conv: M, matmul: N) */
    const void *x, *w;
    const int32_t *bias;   /* conv only; NULL: none */
} QLayer;

static int32_t elem(IrDtype dt, const void *p, int64_t i)
{
    return dt == DT_UINT8 ? ((const uint8_t *)p)[i] : ((const int8_t *)p)[i];
}
static int32_t u8shift(IrDtype dt) { return dt == DT_UINT8 ? 128 : 0; }

static int64_t numel(const int64_t *d, int r)
{
    int64_t n = 1;
    for (int i = 0; i < r; i++)
        n *= d[i];
    return n;
}

/* Output channels (conv: M; matmul: N) and the per-channel weight reduction
 * size (conv: ICg*KH*KW; matmul: K). */
static int64_t l_oc(const QLayer *L) { return L->conv ? L->wd[0] : L->wd[1]; }
static int64_t l_red(const QLayer *L) { return L->conv ? L->wd[1] * L->wd[2] * L->wd[3] : L->wd[0]; }
/* w - w_zp of output channel c, reduction element k. */
static int32_t l_wv(const QLayer *L, int64_t c, int64_t k)
{
    int64_t i = L->conv ? c * l_red(L) + k : k * L->wd[1] + c;
    return elem(L->wdt, L->w, i) - L->wzp[L->nwz > 1 ? c : 0];
}

typedef struct DlaCount {
    uint64_t cases, same_cases, bytes, same_bytes, qref_same_bytes, split_cases;
} DlaCount;

/* The DLA path of L on target tname: the equivalent dlacc QConv / QGemm, lowered,
 * simulated, and run through qref; y receives the output in L->ydt's bytes
 * (numel(yd) of them). The simulator must match qref byte for byte. */
static void dla_layer(const QLayer *L, const char *tname, uint8_t *y, DlaCount *cnt)
{
    int64_t oc = l_oc(L), red = l_red(L);
    /* parts per weight: w - w_zp in [-255, 255] as a sum of ns int8 values */
    int ns = 1;
    for (int64_t c = 0; c < oc; c++)
        for (int64_t k = 0; k < red; k++) {
            int32_t v = l_wv(L, c, k);
            int need = v > 0 ? (v + 126) / 127 : (-v + 127) / 128;
            ns = need > ns ? need : ns;
        }
    cnt->split_cases += ns > 1;
    IrGraph *g = ir_graph_new();
    int32_t sx = u8shift(L->xdt), sy = u8shift(L->ydt);
    int64_t xd[4], wd[4];
    int rank = L->conv ? 4 : 2;
    memcpy(xd, L->xd, sizeof xd);
    if (L->conv) {
        xd[1] *= ns;
        wd[0] = oc, wd[1] = L->wd[1] * ns, wd[2] = L->wd[2], wd[3] = L->wd[3];
    } else {
        xd[1] *= ns;
        wd[0] = oc, wd[1] = red * ns;
    }
    IrShape xs = ir_shape_make(rank, xd), wsh = ir_shape_make(rank, wd), bsh = ir_shape_make(1, &oc);
    int32_t xv = ir_value_add(g, "x", DT_INT8, &xs);
    set_quant(g, xv, L->xs, L->xzp - sx);
    /* weights: part s of w - w_zp at reduction position s*red_in + k (conv: input channel s*ICg + ic) */
    int8_t *wq = dla_malloc((size_t)numel(wd, rank));
    int32_t *bq = dla_malloc((size_t)oc * 4);
    int64_t icg = L->conv ? L->wd[1] : red, khw = L->conv ? L->wd[2] * L->wd[3] : 1;
    for (int64_t c = 0; c < oc; c++) {
        int64_t sum = 0;
        for (int64_t ic = 0; ic < icg; ic++)
            for (int64_t p = 0; p < khw; p++) {
                int32_t rem = l_wv(L, c, ic * khw + p);
                sum += rem;
                for (int s = 0; s < ns; s++) {
                    int32_t part = rem < -128 ? -128 : rem > 127 ? 127 : rem;
                    rem -= part;
                    wq[(c * icg * ns + (int64_t)s * icg + ic) * khw + p] = (int8_t)part;
                }
                CU_ASSERT_EQUAL(rem, 0);
            }
        /* docs/quant.md: the bias carries -zx * sum(W); int32 wrap-around like the accumulator */
        uint32_t b = (uint32_t)(L->bias ? L->bias[c] : 0) - (uint32_t)(L->xzp - sx) * (uint32_t)sum;
        bq[c] = (int32_t)b;
    }
    int32_t wv = ir_value_add(g, "w", DT_INT8, &wsh);
    ir_value_adopt_data(g, wv, wq, (size_t)numel(wd, rank));
    int32_t bv = ir_value_add(g, "b", DT_INT32, &bsh);
    ir_value_adopt_data(g, bv, bq, (size_t)oc * 4);
    IrShape ys = ir_shape_make(rank, L->yd);
    int32_t yv = ir_value_add(g, "y", DT_INT8, &ys);
    set_quant(g, yv, L->ys, L->yzp - sy);
    int32_t ins[3] = {xv, wv, bv};
    int32_t n = ir_node_add(g, "layer", L->conv ? "QConv" : "QGemm", "dlacc", ins, 3, &yv, 1);
    if (L->conv) {
        int64_t ks[2] = {L->wd[2], L->wd[3]};
        attr_ints(g, n, "kernel_shape", 2, ks);
        attr_ints(g, n, "strides", 2, L->strides);
        attr_ints(g, n, "dilations", 2, L->dil);
        attr_ints(g, n, "pads", 4, L->pads);
        ir_node_add_attr(g, n, "group", IR_ATTR_INT)->i = L->group;
    }
    IrAttr *a = ir_node_add_attr(g, n, "scale", IR_ATTR_FLOATS);
    a->n = (int)oc;
    a->floats = dla_arena_alloc(&g->arena, (size_t)oc * sizeof(float));
    for (int64_t c = 0; c < oc; c++)
        a->floats[c] = quant_requant_scale(L->xs, L->ws[L->nws > 1 ? c : 0], L->ys);

    /* the input, as int8 in the IR's row-major order (channels repeated ns times per group) */
    int64_t nx = numel(xd, rank), ny = numel(L->yd, rank);
    int8_t *x8 = dla_malloc((size_t)nx);
    if (L->conv) {
        int64_t N = xd[0], G = L->group, icgx = L->xd[1] / G, hw = xd[2] * xd[3];
        for (int64_t b = 0; b < N; b++)
            for (int64_t gi = 0; gi < G; gi++)
                for (int s = 0; s < ns; s++)
                    for (int64_t ic = 0; ic < icgx; ic++)
                        for (int64_t p = 0; p < hw; p++)
                            x8[((b * G + gi) * ns * icgx + (int64_t)s * icgx + ic) * hw + p] =
                                (int8_t)(elem(L->xdt, L->x, ((b * G + gi) * icgx + ic) * hw + p) - sx);
    } else {
        for (int64_t m = 0; m < xd[0]; m++)
            for (int s = 0; s < ns; s++)
                for (int64_t k = 0; k < red; k++)
                    x8[(m * ns + s) * red + k] = (int8_t)(elem(L->xdt, L->x, m * red + k) - sx);
    }
    DlaError e = {0};
    DlaTarget t;
    CU_ASSERT_EQUAL_FATAL(dla_target_load(tname, &t, &e), DLA_OK);
    DlaProgram p;
    DlaStatus st = dla_lower(g, &n, 1, &t, &p, &e);
    if (st)
        fprintf(stderr, "lower (%s): %s\n", tname, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    DlaSim *sim = dla_sim_new(&t, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sim);
    CU_ASSERT_EQUAL_FATAL(dla_sim_load(sim, &p, &e), DLA_OK);
    int8_t *dev = dla_malloc((size_t)(nx > ny ? nx : ny)), *ysim = dla_malloc((size_t)ny);
    for (uint32_t i = 0; i < p.ntensors; i++) {
        const DlaTensorDesc *d = &p.tensors[i];
        if (d->role == DLA_TENSOR_INPUT) {
            CU_ASSERT_EQUAL_FATAL(d->nbytes, (uint64_t)nx);
            dla_tensor_pack(d, x8, dev);
            CU_ASSERT_EQUAL_FATAL(dla_sim_dram_write(sim, d->dram_offset, dev, d->nbytes, &e), DLA_OK);
        }
    }
    st = dla_sim_run(sim, &e);
    if (st)
        fprintf(stderr, "sim (%s): %s\n", tname, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    for (uint32_t i = 0; i < p.ntensors; i++) {
        const DlaTensorDesc *d = &p.tensors[i];
        if (d->role == DLA_TENSOR_OUTPUT) {
            CU_ASSERT_EQUAL_FATAL(d->nbytes, (uint64_t)ny);
            CU_ASSERT_EQUAL_FATAL(dla_sim_dram_read(sim, d->dram_offset, dev, d->nbytes, &e), DLA_OK);
            dla_tensor_unpack(d, dev, ysim);
        }
    }
    /* qref on the same Q-op */
    int8_t **vals = dla_calloc((size_t)g->nvalues, sizeof *vals);
    vals[xv] = x8;
    st = qref_run(g, &n, 1, vals, &e);
    if (st)
        fprintf(stderr, "qref: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    uint64_t qsame = 0;
    for (int64_t i = 0; i < ny; i++) {
        qsame += vals[yv][i] == ysim[i];
        y[i] = (uint8_t)(ysim[i] + sy);
    }
    cnt->qref_same_bytes += qsame;
    CU_ASSERT_EQUAL(qsame, (uint64_t)ny);
    free(vals[yv]);
    free(vals);
    free(x8);
    free(dev);
    free(ysim);
    dla_sim_free(sim);
    dla_program_free(&p);
    ir_graph_free(g);
}

/* Compare the host's bytes with the DLA path's for one layer. */
static void compare_layer(const QLayer *L, const uint8_t *host, const char *tname, const char *what, DlaCount *cnt)
{
    int64_t ny = numel(L->yd, L->conv ? 4 : 2);
    uint8_t *d = dla_malloc((size_t)ny);
    dla_layer(L, tname, d, cnt);
    int64_t same = 0, first = -1;
    for (int64_t i = 0; i < ny; i++) {
        if (d[i] == host[i])
            same++;
        else if (first < 0)
            first = i;
    }
    cnt->cases++;
    cnt->same_cases += same == ny;
    cnt->bytes += (uint64_t)ny;
    cnt->same_bytes += (uint64_t)same;
    if (same != ny)
        fprintf(stderr, "%s on %s: %lld of %lld bytes differ, first at %lld: host %u, DLA %u\n", what, tname,
                (long long)(ny - same), (long long)ny, (long long)first, host[first], d[first]);
    CU_ASSERT_EQUAL(same, ny);
    free(d);
}

/* ---- the ONNX node tests ---- */

static int read_set(const char *test, int nin, OnnxTensorFile *in, OnnxTensorFile *out)
{
    const char *node = dla_test_node_dir();
    if (!node)
        return 0;
    DlaError e = {0};
    char p[4096];
    for (int i = 0; i < nin; i++) {
        snprintf(p, sizeof p, "%.2000s/%.200s/test_data_set_0/input_%d.pb", node, test, i);
        CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(p, &in[i], &e), DLA_OK);
    }
    snprintf(p, sizeof p, "%.2000s/%.200s/test_data_set_0/output_0.pb", node, test);
    CU_ASSERT_EQUAL_FATAL(onnx_tensor_read(p, out, &e), DLA_OK);
    return 1;
}

/* The host backend on the node test's model (the `dlacc conformance` path). */
static void *host_node(const char *test, const OnnxTensorFile *in, int nin)
{
    char p[4096];
    snprintf(p, sizeof p, "%.2000s/%.200s/model.onnx", dla_test_node_dir(), test);
    HostSessionOptions o;
    memset(&o, 0, sizeof o);
    o.inputs = in;
    o.ninputs = nin;
    o.opt_level = 2;
    HostSession s;
    DlaError e = {0};
    DlaStatus st = host_session_open(p, &o, &s, &e);
    if (st)
        fprintf(stderr, "%s: %s\n", test, e.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    void *out[1] = {NULL};
    CU_ASSERT_EQUAL_FATAL(host_session_run(&s, in, nin, out, &e), DLA_OK);
    host_session_close(&s);
    return out[0];
}

static float f32_at(const OnnxTensorFile *t, int64_t i) { return ((const float *)t->data)[i]; }
static int32_t zp_at(const OnnxTensorFile *t, int64_t i) { return elem(t->dtype, t->data, i); }

static DlaCount node_cnt;

static void node_qlinear(const char *test, int conv)
{
    OnnxTensorFile in[9], want;
    memset(in, 0, sizeof in);
    if (!read_set(test, 8, in, &want))
        return;
    uint8_t *host = host_node(test, in, 8);
    int64_t ny = (int64_t)want.nbytes;
    CU_ASSERT_EQUAL(memcmp(host, want.data, (size_t)ny), 0); /* the host passes the node test */
    int batch = !conv && in[0].shape.rank == 3 ? (int)in[0].shape.dims[0] : 1;
    for (int b = 0; b < batch; b++) {
        QLayer L;
        memset(&L, 0, sizeof L);
        L.conv = conv;
        int r = in[0].shape.rank, off = r - (conv ? 4 : 2);
        for (int i = 0; i < (conv ? 4 : 2); i++) {
            L.xd[i] = in[0].shape.dims[off + i];
            L.wd[i] = in[3].shape.dims[off + i];
            L.yd[i] = want.shape.dims[off + i];
        }
        L.xdt = in[0].dtype, L.wdt = in[3].dtype, L.ydt = want.dtype;
        L.xs = f32_at(&in[1], 0), L.xzp = zp_at(&in[2], 0);
        L.nws = (int)(in[4].nbytes / 4);
        for (int i = 0; i < L.nws; i++)
            L.ws[i] = f32_at(&in[4], i);
        L.nwz = (int)in[5].nbytes;
        for (int i = 0; i < L.nwz; i++)
            L.wzp[i] = zp_at(&in[5], i);
        L.ys = f32_at(&in[6], 0), L.yzp = zp_at(&in[7], 0);
        L.x = (const uint8_t *)in[0].data + b * numel(L.xd, 2);
        L.w = (const uint8_t *)in[3].data + b * numel(L.wd, 2);
        if (conv) {
            L.strides[0] = L.strides[1] = L.dil[0] = L.dil[1] = L.group = 1; /* the model's defaults */
        }
        const uint8_t *hy = host + b * numel(L.yd, 2);
        compare_layer(&L, hy, "dla-edge", test, &node_cnt);
        compare_layer(&L, hy, "dla-server", test, &node_cnt);
    }
    free(host);
    for (int i = 0; i < 8; i++)
        onnx_tensor_file_free(&in[i]);
    onnx_tensor_file_free(&want);
}

static void test_node_qlinearconv(void) { node_qlinear("test_qlinearconv", 1); }
static void test_node_qlinearmatmul(void)
{
    node_qlinear("test_qlinearmatmul_2D", 0);
    node_qlinear("test_qlinearmatmul_3D", 0);
    fprintf(stderr, "QUANT-SAME node tests QLinearConv/QLinearMatMul host vs DLA (sim and qref): %llu of %llu "
                    "layer runs identical, %llu of %llu bytes (%llu needed split weights); sim==qref %llu bytes\n",
            (unsigned long long)node_cnt.same_cases, (unsigned long long)node_cnt.cases,
            (unsigned long long)node_cnt.same_bytes, (unsigned long long)node_cnt.bytes,
            (unsigned long long)node_cnt.split_cases, (unsigned long long)node_cnt.qref_same_bytes);
}

/* QuantizeLinear / DequantizeLinear node tests: the host against the boundary
 * arithmetic the driver runs (quant_quantize / quant_dequantize), per axis. */
static void node_qdq(const char *test, int quant)
{
    OnnxTensorFile in[3], want;
    memset(in, 0, sizeof in);
    if (!read_set(test, 3, in, &want))
        return;
    uint8_t *host = host_node(test, in, 3);
    CU_ASSERT_EQUAL(memcmp(host, want.data, want.nbytes), 0);
    const OnnxTensorFile *x = &in[0];
    int64_t n = ir_shape_numel(&x->shape), nsc = ir_shape_numel(&in[1].shape), inner = 1;
    if (nsc > 1) /* axis 1 (the tests' default) */
        for (int d = 2; d < x->shape.rank; d++)
            inner *= x->shape.dims[d];
    int64_t same = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = nsc > 1 ? (i / inner) % nsc : 0;
        float s = f32_at(&in[1], c);
        if (quant) {
            IrDtype dt = in[2].dtype;
            int32_t q = quant_quantize(f32_at(x, i), s, zp_at(&in[2], c), dt == DT_UINT8 ? 0 : -128,
                                       dt == DT_UINT8 ? 255 : 127);
            same += elem(dt, host, i) == q;
        } else {
            same += f2b(((float *)host)[i]) == f2b(quant_dequantize(elem(x->dtype, x->data, i), s, zp_at(&in[2], c)));
        }
    }
    fprintf(stderr, "QUANT-SAME node test %s: host vs quant.h %lld of %lld elements identical\n", test,
            (long long)same, (long long)n);
    CU_ASSERT_EQUAL(same, n);
    free(host);
    for (int i = 0; i < 3; i++)
        onnx_tensor_file_free(&in[i]);
    onnx_tensor_file_free(&want);
}

static void test_node_qdq(void)
{
    node_qdq("test_quantizelinear", 1);
    node_qdq("test_quantizelinear_axis", 1);
    node_qdq("test_dequantizelinear", 0);
    node_qdq("test_dequantizelinear_axis", 0);
}

/* ---- random layers ---- */

typedef struct RandLayer {
    QLayer L;
    uint8_t *x, *w;
    int32_t *bias;
    uint8_t *host;
} RandLayer;

static IrDtype rnd_dt(void) { return rnd() % 2 ? DT_UINT8 : DT_INT8; }

static void rnd_bytes(uint8_t *p, int64_t n, IrDtype dt, int32_t zp, int spread)
{
    for (int64_t i = 0; i < n; i++) {
        int32_t v = zp + rnd_in(-spread, spread);
        int32_t lo = dt == DT_UINT8 ? 0 : -128, hi = dt == DT_UINT8 ? 255 : 127;
        p[i] = (uint8_t)(v < lo ? lo : v > hi ? hi : v);
    }
}

/* Scales: a quarter of the layers use powers of two, where f32(acc) * S hits
 * exact ties; a quarter use x_scale = f32(1/6) * 2^-a with power-of-two weight
 * and output scales, so that S = f32(1/6) * 2^e and f32(acc) * S rounds to a
 * tie in binary32 where the exact (double) product does not: there the old
 * double requantization of the host disagreed with the DLA. y_scale puts
 * typical outputs across the int8 range (some saturate). */
static void rnd_layer_params(QLayer *L, int64_t oc, int64_t red)
{
    int mode = (int)(rnd() % 4); /* 0: powers of two, 1: sixths, else random */
    L->xdt = rnd_dt(), L->wdt = rnd_dt(), L->ydt = rnd_dt();
    L->xzp = L->xdt == DT_UINT8 ? rnd_in(0, 255) : rnd_in(-128, 127);
    L->yzp = L->ydt == DT_UINT8 ? rnd_in(0, 255) : rnd_in(-128, 127);
    L->xs = mode == 0 ? ldexpf(1.0f, -rnd_in(2, 8)) : mode == 1 ? ldexpf((float)(1.0 / 6.0), -rnd_in(0, 4))
                      : rnd_log(0.002f, 0.1f);
    L->nws = rnd() % 2 && oc > 1 ? (int)oc : 1;
    for (int i = 0; i < L->nws; i++)
        L->ws[i] = mode < 2 ? ldexpf(1.0f, -rnd_in(4, 8)) : rnd_log(0.001f, 0.05f);
    L->nwz = rnd() % 3 == 0 && oc > 1 ? (int)oc : 1;
    for (int i = 0; i < L->nwz; i++) /* int8 weights: mostly symmetric (zp 0), as quantizers make them */
        L->wzp[i] = L->wdt == DT_UINT8 ? rnd_in(0, 255) : rnd() % 4 == 0 ? rnd_in(-40, 40) : 0;
    double acc_typ = 40.0 * 60.0 * sqrt((double)red);
    double ys = (double)L->xs * L->ws[0] * acc_typ / 60.0 * (0.5 + rnd_unit());
    L->ys = mode < 2 ? ldexpf(1.0f, (int)floor(log2(ys))) : (float)ys;
}

static void rnd_conv(RandLayer *r)
{
    QLayer *L = &r->L;
    memset(L, 0, sizeof *L);
    L->conv = 1;
    for (;;) {
        int kind = (int)(rnd() % 10);
        int64_t G = kind < 7 ? 1 : kind < 9 ? rnd_in(2, 3) : 0;
        int64_t icg = rnd_in(1, 6), mg = rnd_in(1, 6);
        if (G == 0) { /* depthwise */
            G = rnd_in(1, 12);
            icg = 1, mg = 1;
        }
        static const int64_t ks[] = {1, 1, 2, 3, 3, 5};
        int64_t kh = ks[rnd() % 6], kw = rnd() % 3 ? kh : ks[rnd() % 6];
        L->xd[0] = rnd_in(1, 2), L->xd[1] = G * icg, L->xd[2] = rnd_in(1, 12), L->xd[3] = rnd_in(1, 12);
        L->wd[0] = G * mg, L->wd[1] = icg, L->wd[2] = kh, L->wd[3] = kw;
        L->group = G;
        L->strides[0] = rnd_in(1, 2), L->strides[1] = rnd_in(1, 2);
        L->dil[0] = rnd() % 4 ? 1 : 2, L->dil[1] = rnd() % 4 ? 1 : 2;
        /* pads below the dilated kernel extent, as models have them: an output
         * row or column that reads padding only is beyond the DLA lowering
         * (dla_lower reports it UNSUPPORTED), as is padding beyond 7 */
        for (int i = 0; i < 4; i++) {
            int64_t ext = L->dil[i % 2] * ((i % 2 ? kw : kh) - 1);
            L->pads[i] = rnd() % 2 ? 0 : rnd_in(0, (int)(ext < 7 ? ext : 7));
        }
        int64_t oh = (L->xd[2] + L->pads[0] + L->pads[2] - L->dil[0] * (kh - 1) - 1) / L->strides[0] + 1;
        int64_t ow = (L->xd[3] + L->pads[1] + L->pads[3] - L->dil[1] * (kw - 1) - 1) / L->strides[1] + 1;
        if (oh < 1 || ow < 1 || L->xd[2] + L->pads[0] + L->pads[2] < L->dil[0] * (kh - 1) + 1 ||
            L->xd[3] + L->pads[1] + L->pads[3] < L->dil[1] * (kw - 1) + 1 || L->wd[0] > 256)
            continue;
        L->yd[0] = L->xd[0], L->yd[1] = L->wd[0], L->yd[2] = oh, L->yd[3] = ow;
        break;
    }
    int64_t oc = L->wd[0], red = l_red(L);
    rnd_layer_params(L, oc, red);
    r->x = dla_malloc((size_t)numel(L->xd, 4));
    r->w = dla_malloc((size_t)numel(L->wd, 4));
    rnd_bytes(r->x, numel(L->xd, 4), L->xdt, L->xzp, 80);
    for (int64_t c = 0; c < oc; c++)
        rnd_bytes(r->w + c * red, red, L->wdt, L->wzp[L->nwz > 1 ? c : 0], L->wdt == DT_UINT8 ? 255 : 100);
    r->bias = NULL;
    if (rnd() % 2) {
        r->bias = dla_malloc((size_t)oc * 4);
        for (int64_t c = 0; c < oc; c++)
            r->bias[c] = rnd_in(-20000, 20000);
    }
    L->x = r->x, L->w = r->w, L->bias = r->bias;
}

static void rnd_matmul(RandLayer *r)
{
    QLayer *L = &r->L;
    memset(L, 0, sizeof *L);
    int64_t M = rnd_in(1, 24), K = rnd_in(1, 48), N = rnd_in(1, 24);
    L->xd[0] = M, L->xd[1] = K, L->wd[0] = K, L->wd[1] = N, L->yd[0] = M, L->yd[1] = N;
    rnd_layer_params(L, N, K);
    L->nws = 1; /* QLinearMatMul: per-tensor scales (per-column zero points are allowed) */
    r->x = dla_malloc((size_t)(M * K));
    r->w = dla_malloc((size_t)(K * N));
    rnd_bytes(r->x, M * K, L->xdt, L->xzp, 80);
    for (int64_t k = 0; k < K; k++)
        for (int64_t n = 0; n < N; n++)
            rnd_bytes(r->w + k * N + n, 1, L->wdt, L->wzp[L->nwz > 1 ? n : 0], L->wdt == DT_UINT8 ? 255 : 100);
    r->bias = NULL;
    L->x = r->x, L->w = r->w;
}

enum { RAND_CONV = 160, RAND_MM = 160, CHUNK = 40 };

/* Host graph of layers [0, n): one QLinear node each; x, scales and zero points
 * are run-time inputs (as in the node tests), weights and bias constants. */
static void host_layers(RandLayer *rl, int n)
{
    HostG h = {ir_graph_new(), {0}, 0};
    void **out = dla_calloc((size_t)n, sizeof *out);
    for (int i = 0; i < n; i++) {
        QLayer *L = &rl[i].L;
        int rank = L->conv ? 4 : 2;
        int64_t oc = l_oc(L);
        char nm[64];
#define NM(s) (snprintf(nm, sizeof nm, "%s%d", s, i), nm)
        /* zero points as bytes of their dtype (kept until the run) */
        static uint8_t zb[CHUNK][2], wzb[CHUNK][256];
        CU_ASSERT_FATAL(i < CHUNK);
        zb[i][0] = (uint8_t)L->xzp, zb[i][1] = (uint8_t)L->yzp;
        for (int c = 0; c < L->nwz; c++)
            wzb[i][c] = (uint8_t)L->wzp[c];
        int64_t nws = L->nws, nwz = L->nwz;
        int32_t ins[9] = {hg_input(&h, NM("x"), L->xdt, rank, L->xd, L->x),
                          hg_input(&h, NM("xs"), DT_FLOAT, 0, NULL, &L->xs),
                          hg_input(&h, NM("xz"), L->xdt, 0, NULL, &zb[i][0]),
                          hg_const(&h, NM("w"), L->wdt, rank, L->wd, L->w),
                          hg_input(&h, NM("ws"), DT_FLOAT, 1, &nws, L->ws),
                          hg_input(&h, NM("wz"), L->wdt, 1, &nwz, wzb[i]),
                          hg_input(&h, NM("ys"), DT_FLOAT, 0, NULL, &L->ys),
                          hg_input(&h, NM("yz"), L->ydt, 0, NULL, &zb[i][1]),
                          -1};
        int nin = 8;
        if (L->bias)
            ins[nin++] = hg_const(&h, NM("b"), DT_INT32, 1, &oc, L->bias);
        int32_t y = hg_value(&h, NM("y"), L->ydt, rank, L->yd);
        int32_t nd = ir_node_add(h.g, NM("n"), L->conv ? "QLinearConv" : "QLinearMatMul", "", ins, nin, &y, 1);
#undef NM
        if (L->conv) {
            int64_t ks[2] = {L->wd[2], L->wd[3]};
            attr_ints(h.g, nd, "kernel_shape", 2, ks);
            attr_ints(h.g, nd, "strides", 2, L->strides);
            attr_ints(h.g, nd, "dilations", 2, L->dil);
            attr_ints(h.g, nd, "pads", 4, L->pads);
            ir_node_add_attr(h.g, nd, "group", IR_ATTR_INT)->i = L->group;
        }
        ir_graph_add_output(h.g, y);
        rl[i].host = dla_malloc((size_t)numel(L->yd, rank));
        out[i] = rl[i].host;
    }
    hg_run(&h, out);
    free(out);
    ir_graph_free(h.g);
}


static void random_layers(int conv, int count, uint64_t seed)
{
    rng_state = seed;
    DlaCount cnt;
    memset(&cnt, 0, sizeof cnt);
    RandLayer *rl = dla_calloc(CHUNK, sizeof *rl);
    for (int base = 0; base < count; base += CHUNK) {
        int n = count - base < CHUNK ? count - base : CHUNK;
        for (int i = 0; i < n; i++)
            conv ? rnd_conv(&rl[i]) : rnd_matmul(&rl[i]);
        host_layers(rl, n);
        for (int i = 0; i < n; i++) {
            char what[64];
            snprintf(what, sizeof what, "random %s #%d", conv ? "QLinearConv" : "QLinearMatMul", base + i);
            compare_layer(&rl[i].L, rl[i].host, (base + i) % 2 ? "dla-server" : "dla-edge", what, &cnt);
            free(rl[i].x);
            free(rl[i].w);
            free(rl[i].bias);
            free(rl[i].host);
        }
    }
    free(rl);
    fprintf(stderr, "QUANT-SAME random %s host vs DLA (sim and qref): %llu of %llu layers identical, %llu of %llu "
                    "bytes (%llu needed split weights); sim==qref %llu bytes\n",
            conv ? "QLinearConv" : "QLinearMatMul", (unsigned long long)cnt.same_cases,
            (unsigned long long)cnt.cases, (unsigned long long)cnt.same_bytes, (unsigned long long)cnt.bytes,
            (unsigned long long)cnt.split_cases, (unsigned long long)cnt.qref_same_bytes);
}

static void test_random_conv(void) { random_layers(1, RAND_CONV, 301); }
static void test_random_matmul(void) { random_layers(0, RAND_MM, 302); }

void dla_register_tests(void)
{
    DLA_SUITE("host vs DLA", {"node test QLinearConv", test_node_qlinearconv},
              {"node tests QLinearMatMul 2D/3D", test_node_qlinearmatmul},
              {"node tests QuantizeLinear/DequantizeLinear", test_node_qdq},
              {"random QLinearConv layers", test_random_conv}, {"random QLinearMatMul layers", test_random_matmul});
}
