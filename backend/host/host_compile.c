/* host_compile.c - IrGraph -> LLVM module.
 *
 * Each node becomes one internal, non-inlined function
 *     void nodeK(T *in0, ..., T *out0, ..., i8 *scratch)
 * whose pointer parameters are all `noalias` (the memory plan never overlaps a
 * node's output with anything it reads, so this is true, and it lets LLVM
 * vectorize without run-time alias checks). One function per node keeps the
 * optimizer's work linear in the graph size. The entry point
 *     void entry(i8 **inputs, i8 **outputs, i8 *arena)
 * computes every value's address (graph input/output pointers, arena offsets
 * from host_plan.c, constants) and calls the node functions in order; graph
 * outputs that no node writes (an input or a constant passed through, or a
 * value listed twice) are copied at the end. */
#include "host_int.h"

#include <llvm-c/Analysis.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by IrOp; NULL where the host backend has no lowering (always for
 * OP_UNKNOWN: an op the table does not know cannot be lowered). */
static const HostLowerFn lower_table[OP__COUNT] = {
#define HOST_OP(op, fn) [OP_##op] = fn,
#include "host_ops.def"
#undef HOST_OP
};

HostLowerFn host_find_lowering(IrOp op)
{
    return (unsigned)op < OP__COUNT ? lower_table[op] : NULL;
}

int host_supports_op(IrOp op)
{
    return host_find_lowering(op) != NULL;
}

DlaStatus host_unsupported(HostCtx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dla_verrorf(c->err, DLA_ERR_UNSUPPORTED, fmt, ap);
    va_end(ap);
    return DLA_ERR_UNSUPPORTED;
}

LLVMValueRef host_scratch(HostCtx *c, size_t nbytes)
{
    size_t off = (c->scratch_used + 63) & ~(size_t)63;
    c->scratch_used = off + nbytes;
    if (c->scratch_used > c->scratch_max)
        c->scratch_max = c->scratch_used;
    return host_gep(c, c->scratch, (int64_t)off);
}

LLVMValueRef host_const_data(HostCtx *c, const void *data, size_t nbytes)
{
    if (!nbytes)
        return LLVMConstNull(c->t_ptr);
    if (!c->embed_consts) {
        /* graph-owned: lives as long as the graph the JIT-compiled model reads from */
        void *p = ir_graph_alloc_data(c->g, nbytes);
        memcpy(p, data, nbytes);
        return LLVMConstIntToPtr(LLVMConstInt(c->t_i64, (unsigned long long)(uintptr_t)p, 0), c->t_ptr);
    }
    LLVMValueRef init = LLVMConstStringInContext(c->ctx, data, (unsigned)nbytes, 1);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "cdata");
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetAlignment(gv, 64);
    return LLVMConstBitCast(gv, c->t_ptr);
}

/* record that input i (a graph input) was needed at compile time */
static void want(HostCtx *c, int i)
{
    if (c->want_const && host_has_in(c, i) && (host_inv(c, i)->flags & IR_VAL_INPUT))
        c->want_const[host_nd(c)->inputs[i]] = 1;
}

static int64_t read_int(const void *data, IrDtype dt, int64_t i)
{
    switch (dt) {
    case DT_INT8: return ((const int8_t *)data)[i];
    case DT_UINT8: return ((const uint8_t *)data)[i];
    case DT_BOOL: return ((const uint8_t *)data)[i] != 0;
    case DT_INT16: return ((const int16_t *)data)[i];
    case DT_UINT16: return ((const uint16_t *)data)[i];
    case DT_INT32: return ((const int32_t *)data)[i];
    case DT_UINT32: return ((const uint32_t *)data)[i];
    case DT_INT64: return ((const int64_t *)data)[i];
    case DT_UINT64: return (int64_t)((const uint64_t *)data)[i];
    case DT_FLOAT: return (int64_t)((const float *)data)[i];
    case DT_DOUBLE: return (int64_t)((const double *)data)[i];
    default: return 0;
    }
}

/* A buffer for the *n elements (of es bytes) of input i, a constant (*v)
 * with data for all of them; NULL and *n = -1 (reported as unsupported,
 * `kind` naming the data wanted) otherwise. */
static void *const_input(HostCtx *c, int i, const char *kind, size_t es, const IrValue **v, int64_t *n)
{
    *v = NULL;
    *n = -1;
    if (!host_has_in(c, i) || !(host_inv(c, i)->flags & IR_VAL_CONST)) {
        want(c, i);
        host_unsupported(c, "input %d must be a constant for the host backend", i);
        return NULL;
    }
    const IrValue *x = host_inv(c, i);
    int64_t cnt = ir_shape_numel(&x->shape);
    size_t xs = ir_dtype_size(x->dtype);
    if (cnt < 0 || !xs || (size_t)cnt * xs > x->nbytes) {
        host_unsupported(c, "input %d: constant of dtype %s has no %s data", i, ir_dtype_name(x->dtype), kind);
        return NULL;
    }
    *v = x;
    *n = cnt;
    return dla_malloc((size_t)(cnt ? cnt : 1) * es);
}

int64_t host_const_ints(HostCtx *c, int i, int64_t **vals)
{
    const IrValue *v;
    int64_t n;
    *vals = const_input(c, i, "integer", sizeof **vals, &v, &n);
    for (int64_t k = 0; k < n; k++)
        (*vals)[k] = read_int(v->data, v->dtype, k);
    return n;
}

int64_t host_const_doubles(HostCtx *c, int i, double **vals)
{
    const IrValue *v;
    int64_t n;
    *vals = const_input(c, i, "numeric", sizeof **vals, &v, &n);
    for (int64_t k = 0; k < n; k++) {
        if (v->dtype == DT_FLOAT)
            (*vals)[k] = ((const float *)v->data)[k];
        else if (v->dtype == DT_DOUBLE)
            (*vals)[k] = ((const double *)v->data)[k];
        else
            (*vals)[k] = (double)read_int(v->data, v->dtype, k);
    }
    return n;
}

static int storable(IrDtype dt)
{
    return host_is_float(dt) || host_is_int(dt) || dt == DT_BOOL;
}

/* Everything the host cannot take, listed at once. */
static DlaStatus precheck(IrGraph *g, DlaError *err)
{
    char msg[DLA_ERR_MSG_MAX];
    size_t k = 0;
    int bad = 0;
    DlaStatus code = DLA_ERR_UNSUPPORTED;
    for (int32_t n = 0; n < g->nnodes; n++) {
        const IrNode *nd = &g->nodes[n];
        const char *why = NULL;
        char buf[256];
        if (host_node_folded(g, n))
            continue;
        if (!host_find_lowering(nd->op)) {
            why = "op type not supported by the host backend";
        } else {
            for (int32_t i = 0; i < nd->ninputs + nd->noutputs && !why; i++) {
                int32_t v = i < nd->ninputs ? nd->inputs[i] : nd->outputs[i - nd->ninputs];
                if (v < 0)
                    continue;
                const IrValue *val = &g->values[v];
                char sb[128];
                if (val->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) {
                    snprintf(buf, sizeof buf, "value '%s' is not a plain tensor", val->name);
                    why = buf;
                } else if (!storable(val->dtype)) {
                    snprintf(buf, sizeof buf, "value '%s' has dtype %s", val->name, ir_dtype_name(val->dtype));
                    why = buf;
                } else if (!ir_shape_known(&val->shape) || val->shape.rank > HOST_MAX_LOOPS / 2) {
                    snprintf(buf, sizeof buf, "value '%s' has shape %s (static shapes needed)", val->name,
                             ir_shape_str(&val->shape, sb, sizeof sb));
                    why = buf;
                    code = DLA_ERR_INVALID;
                }
            }
        }
        if (why) {
            if (!bad)
                k += (size_t)snprintf(msg + k, k < sizeof msg ? sizeof msg - k : 0, "host backend cannot compile:");
            bad++;
            if (k < sizeof msg - 1)
                k += (size_t)snprintf(msg + k, sizeof msg - k, "\n  node '%s' (%s): %s", nd->name, nd->op_type, why);
        }
    }
    if (bad)
        return dla_errorf(err, bad > 1 ? DLA_ERR_UNSUPPORTED : code, "%s", msg);
    for (int32_t i = 0; i < g->ninputs + g->noutputs; i++) {
        int32_t v = i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs];
        const IrValue *val = &g->values[v];
        char sb[128];
        if (!storable(val->dtype) || !ir_shape_known(&val->shape))
            return dla_errorf(err, DLA_ERR_UNSUPPORTED, "graph %s '%s' has dtype %s shape %s: not supported",
                              i < g->ninputs ? "input" : "output", val->name, ir_dtype_name(val->dtype),
                              ir_shape_str(&val->shape, sb, sizeof sb));
    }
    return DLA_OK;
}

static void add_attr(HostCtx *c, LLVMValueRef fn, unsigned idx, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(c->ctx, kind, 0));
}

static LLVMValueRef const_ptr(HostCtx *c, int32_t v)
{
    IrValue *val = &c->g->values[v];
    if (!val->data || !val->nbytes)
        return LLVMConstNull(c->t_ptr);
    if (!c->embed_consts)
        return LLVMConstIntToPtr(LLVMConstInt(c->t_i64, (unsigned long long)(uintptr_t)val->data, 0), c->t_ptr);
    LLVMValueRef init = LLVMConstStringInContext(c->ctx, val->data, (unsigned)val->nbytes, 1);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "const");
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(gv, 64);
    return LLVMConstBitCast(gv, c->t_ptr);
}

DlaStatus host_build_module(IrGraph *g, LLVMContextRef ctx, int embed_consts, const char *entry,
                            uint8_t *want_const, LLVMModuleRef *out, size_t *arena_size, DlaError *err)
{
    *out = NULL;
    DlaStatus st = precheck(g, err);
    if (st)
        return st;
    for (int32_t n = 0; n < g->nnodes; n++)
        for (int32_t o = 0; o < g->nodes[n].noutputs; o++) {
            int32_t v = g->nodes[n].outputs[o];
            if (v >= 0 && (g->values[v].flags & IR_VAL_INPUT))
                return dla_errorf(err, DLA_ERR_INVALID, "node '%s' writes graph input or constant '%s'",
                                  g->nodes[n].name, g->values[v].name);
        }
    HostPlan plan;
    if ((st = host_plan_build(g, &plan, err)))
        return st;

    HostCtx c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.err = err;
    c.ctx = ctx;
    c.mod = LLVMModuleCreateWithNameInContext(g->name && *g->name ? g->name : "model", ctx);
    c.b = LLVMCreateBuilderInContext(ctx);
    c.embed_consts = embed_consts;
    c.want_const = want_const;
    c.t_void = LLVMVoidTypeInContext(ctx);
    c.t_i1 = LLVMInt1TypeInContext(ctx);
    c.t_i8 = LLVMInt8TypeInContext(ctx);
    c.t_i16 = LLVMInt16TypeInContext(ctx);
    c.t_i32 = LLVMInt32TypeInContext(ctx);
    c.t_i64 = LLVMInt64TypeInContext(ctx);
    c.t_f16 = LLVMHalfTypeInContext(ctx);
    c.t_f32 = LLVMFloatTypeInContext(ctx);
    c.t_f64 = LLVMDoubleTypeInContext(ctx);
    c.t_ptr = LLVMPointerType(c.t_i8, 0);

    LLVMValueRef *node_fns = dla_calloc((size_t)(g->nnodes ? g->nnodes : 1), sizeof *node_fns);
    LLVMTypeRef params[2 * 256 + 1];
    for (int32_t n = 0; n < g->nnodes && !st; n++) {
        IrNode *nd = &g->nodes[n];
        int np = nd->ninputs + nd->noutputs;
        if (host_node_folded(g, n))
            continue;
        if (np > 2 * 256) {
            st = dla_errorf(err, DLA_ERR_LIMIT, "node '%s' (%s): too many operands", nd->name, nd->op_type);
            break;
        }
        for (int i = 0; i <= np; i++)
            params[i] = c.t_ptr;
        char fname[64];
        snprintf(fname, sizeof fname, "node%d", (int)n);
        LLVMValueRef fn = LLVMAddFunction(c.mod, fname, LLVMFunctionType(c.t_void, params, (unsigned)np + 1, 0));
        LLVMSetLinkage(fn, LLVMInternalLinkage);
        add_attr(&c, fn, LLVMAttributeFunctionIndex, "noinline");
        add_attr(&c, fn, LLVMAttributeFunctionIndex, "nounwind");
        for (int i = 0; i <= np; i++)
            add_attr(&c, fn, (unsigned)i + 1, "noalias");
        node_fns[n] = fn;
        LLVMValueRef pv[2 * 256 + 1];
        for (int i = 0; i <= np; i++)
            pv[i] = LLVMGetParam(fn, (unsigned)i);
        c.node = n;
        c.fn = fn;
        c.params = pv;
        c.scratch = pv[np];
        c.scratch_used = 0;
        LLVMPositionBuilderAtEnd(c.b, LLVMAppendBasicBlockInContext(ctx, fn, "entry"));
        st = host_find_lowering(nd->op)(&c, n);
        if (st) {
            char sb[256] = "";
            size_t k = 0;
            for (int i = 0; i < nd->ninputs && k < sizeof sb; i++) {
                char s1[96];
                int32_t v = nd->inputs[i];
                k += (size_t)snprintf(sb + k, sizeof sb - k, "%s%s", i ? " " : "",
                                      v < 0 ? "-" : ir_shape_str(&g->values[v].shape, s1, sizeof s1));
            }
            dla_error_prefix(err, "node '%s' (%s, inputs %s): ", nd->name, nd->op_type, sb);
            break;
        }
        LLVMBuildRetVoid(c.b);
    }

    if (!st) {
        /* the entry point */
        LLVMTypeRef pp = LLVMPointerType(c.t_ptr, 0);
        LLVMTypeRef eargs[3] = {pp, pp, c.t_ptr};
        LLVMValueRef fn = LLVMAddFunction(c.mod, entry, LLVMFunctionType(c.t_void, eargs, 3, 0));
        add_attr(&c, fn, LLVMAttributeFunctionIndex, "nounwind");
        c.fn = fn;
        LLVMPositionBuilderAtEnd(c.b, LLVMAppendBasicBlockInContext(ctx, fn, "entry"));
        LLVMValueRef a_in = LLVMGetParam(fn, 0), a_out = LLVMGetParam(fn, 1), a_arena = LLVMGetParam(fn, 2);
        LLVMValueRef *vp = dla_calloc((size_t)(g->nvalues ? g->nvalues : 1), sizeof *vp);
        int32_t *home = dla_malloc((size_t)(g->noutputs ? g->noutputs : 1) * sizeof *home);
        for (int32_t i = 0; i < g->ninputs; i++) {
            LLVMValueRef ix = host_i64(&c, i);
            LLVMValueRef p = LLVMBuildGEP2(c.b, c.t_ptr, a_in, &ix, 1, "");
            vp[g->inputs[i]] = LLVMBuildLoad2(c.b, c.t_ptr, p, g->values[g->inputs[i]].name);
        }
        for (int32_t k = 0; k < g->noutputs; k++) {
            int32_t v = g->outputs[k];
            LLVMValueRef ix = host_i64(&c, k);
            LLVMValueRef p = LLVMBuildLoad2(c.b, c.t_ptr, LLVMBuildGEP2(c.b, c.t_ptr, a_out, &ix, 1, ""), "");
            home[k] = 0;
            if (!vp[v] && g->values[v].producer >= 0 && !host_node_folded(g, g->values[v].producer)) {
                vp[v] = p;
                home[k] = 1;
            }
        }
        for (int32_t v = 0; v < g->nvalues; v++) {
            if (vp[v])
                continue;
            if (plan.offset[v] >= 0)
                vp[v] = host_gep(&c, a_arena, plan.offset[v]);
            else if (g->values[v].flags & IR_VAL_CONST)
                vp[v] = const_ptr(&c, v);
        }
        size_t scratch_off = (plan.arena_size + 63) & ~(size_t)63;
        LLVMValueRef scratch = host_gep(&c, a_arena, (int64_t)scratch_off);
        for (int32_t n = 0; n < g->nnodes; n++) {
            IrNode *nd = &g->nodes[n];
            int np = nd->ninputs + nd->noutputs;
            if (!node_fns[n])
                continue;
            LLVMValueRef args[2 * 256 + 1];
            for (int i = 0; i < np; i++) {
                int32_t v = i < nd->ninputs ? nd->inputs[i] : nd->outputs[i - nd->ninputs];
                args[i] = v >= 0 && vp[v] ? vp[v] : LLVMConstNull(c.t_ptr);
            }
            args[np] = scratch;
            host_call(&c, node_fns[n], args, (unsigned)np + 1);
        }
        for (int32_t k = 0; k < g->noutputs; k++) {
            if (home[k])
                continue;
            int32_t v = g->outputs[k];
            LLVMValueRef ix = host_i64(&c, k);
            LLVMValueRef p = LLVMBuildLoad2(c.b, c.t_ptr, LLVMBuildGEP2(c.b, c.t_ptr, a_out, &ix, 1, ""), "");
            int64_t bytes = ir_shape_numel(&g->values[v].shape) * (int64_t)ir_dtype_size(g->values[v].dtype);
            if (vp[v])
                host_memcpy(&c, p, vp[v], bytes);
        }
        LLVMBuildRetVoid(c.b);
        free(vp);
        free(home);
        *arena_size = scratch_off + ((c.scratch_max + 63) & ~(size_t)63);
    }
    free(node_fns);
    LLVMDisposeBuilder(c.b);
    host_plan_free(&plan);
    if (st) {
        LLVMDisposeModule(c.mod);
        return st;
    }
    char *msg = NULL;
    if (LLVMVerifyModule(c.mod, LLVMReturnStatusAction, &msg)) {
        st = dla_errorf(err, DLA_ERR_RUNTIME, "internal error: generated LLVM IR does not verify: %.1500s",
                        msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(c.mod);
        return st;
    }
    LLVMDisposeMessage(msg);
    *out = c.mod;
    return DLA_OK;
}
