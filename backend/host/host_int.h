/* host_int.h - internals shared by the host code generator's files (host_*.c).
 *
 * Structure:
 *   host_types.c      dtype -> LLVM type, scalar load/store/convert/arithmetic/math
 *   host_emit_loops.c THE generic emitter: affine loop nests over an N-d index
 *                     space, strided/broadcast operand access, element-wise maps,
 *                     accumulating reductions, fills and copies
 *   host_plan.c       liveness memory plan of intermediates in one arena
 *   host_compile.c    graph -> LLVM module (one function per node + the entry)
 *   host_jit.c        target set-up, the optimization pipeline, ORC JIT, object files
 *   host_ops.def      the table IrOp -> lowering function
 *   host_ops_*.c      lowerings grouped by op family; each only builds loop nests
 *                     through host_emit_loops.c
 *
 * A lowering is `DlaStatus fn(HostCtx *c, int32_t node)`. It runs with the
 * builder positioned in the node's own function, whose parameters are the
 * data pointers of the node's inputs then outputs (host_in/host_out) plus a
 * scratch pointer (host_scratch). Shapes are all known and static. It returns
 * DLA_ERR_UNSUPPORTED (with a reason) for attribute values or dtypes it does
 * not handle; the driver prefixes node name and op type. */
#ifndef DLA_BACKEND_HOST_INT_H
#define DLA_BACKEND_HOST_INT_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "host.h"

#define HOST_MAX_LOOPS 16

typedef struct HostPlan {
    int64_t *offset;    /* per value: byte offset in the arena, -1 if not arena-resident */
    size_t arena_size;  /* bytes of intermediates (scratch of lowerings comes after) */
} HostPlan;

typedef struct HostCtx {
    IrGraph *g;
    DlaError *err;
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    int embed_consts; /* 1: constants become module globals; 0: their addresses (JIT) */
    uint8_t *want_const; /* HostOptions.want_const */
    LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_i64, t_f16, t_f32, t_f64, t_ptr;
    /* The node function being emitted. */
    int32_t node;
    LLVMValueRef fn;
    LLVMValueRef *params;  /* ninputs + noutputs data pointers (NULL constant if absent) */
    LLVMValueRef scratch;
    size_t scratch_used;   /* bytes handed out in this node */
    size_t scratch_max;    /* max over nodes: the arena tail the entry reserves */
} HostCtx;

typedef DlaStatus (*HostLowerFn)(HostCtx *c, int32_t node);

/* ---- host_plan.c ---- */
DlaStatus host_plan_build(const IrGraph *g, HostPlan *p, DlaError *err);
void host_plan_free(HostPlan *p);
/* 1 if the value lives in the arena (produced by a node, not a graph output). */
int host_plan_in_arena(const HostPlan *p, int32_t v);
/* 1 if shape inference gave every output of node n constant data: the node is
 * not emitted, its outputs are read as constants. */
int host_node_folded(const IrGraph *g, int32_t n);

/* ---- host_jit.c: shared with host_aot.c ---- */
/* A target machine for o->triple (NULL: this machine, host CPU and features);
 * jit: PIC and the JIT code model. */
DlaStatus host_make_tm(const HostOptions *o, int jit, LLVMTargetMachineRef *tm, DlaError *err);
/* The default<On> pipeline (and the target's data layout and triple). */
DlaStatus host_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int lvl, DlaError *err);

/* ---- host_compile.c ---- */
/* Build the module for g in ctx (entry symbol `entry`). *arena_size receives
 * the total arena size (intermediates + scratch). */
DlaStatus host_build_module(IrGraph *g, LLVMContextRef ctx, int embed_consts, const char *entry,
                            uint8_t *want_const, LLVMModuleRef *out, size_t *arena_size, DlaError *err);
HostLowerFn host_find_lowering(IrOp op); /* NULL if the op has no lowering */

/* Node operand access inside a lowering. */
static inline IrNode *host_nd(HostCtx *c) { return &c->g->nodes[c->node]; }
static inline int32_t host_nin(HostCtx *c) { return c->g->nodes[c->node].ninputs; }
static inline int host_has_in(HostCtx *c, int i)
{
    return i < host_nd(c)->ninputs && host_nd(c)->inputs[i] >= 0;
}
static inline IrValue *host_inv(HostCtx *c, int i) { return &c->g->values[host_nd(c)->inputs[i]]; }
static inline IrValue *host_outv(HostCtx *c, int i) { return &c->g->values[host_nd(c)->outputs[i]]; }
static inline LLVMValueRef host_in(HostCtx *c, int i) { return c->params[i]; }
static inline LLVMValueRef host_out(HostCtx *c, int i) { return c->params[host_nd(c)->ninputs + i]; }
/* Scratch memory for this node only (64-byte aligned), as an i8 pointer. */
LLVMValueRef host_scratch(HostCtx *c, size_t nbytes);
/* Compile-time integer values of a constant input (any integer dtype).
 * Returns the element count, or -1 (with an error) if not a constant.
 * *vals is malloc'd. */
int64_t host_const_ints(HostCtx *c, int i, int64_t **vals);
/* Constant float input as doubles (any float/int dtype); -1 if not constant. */
int64_t host_const_doubles(HostCtx *c, int i, double **vals);
/* Compile-time data (copied) usable by the generated code, as an i8 pointer. */
LLVMValueRef host_const_data(HostCtx *c, const void *data, size_t nbytes);
DlaStatus host_unsupported(HostCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- host_types.c: scalars ---- */
typedef enum HostBin {
    HB_ADD, HB_SUB, HB_MUL, HB_DIV, HB_MIN, HB_MAX, HB_POW, HB_MOD, HB_FMOD,
    HB_AND, HB_OR, HB_XOR, HB_BITAND, HB_BITOR, HB_BITXOR, HB_SHL, HB_SHR,
    HB_EQ, HB_NE, HB_LT, HB_LE, HB_GT, HB_GE,
} HostBin;

int host_is_float(IrDtype dt);
int host_is_signed(IrDtype dt);
int host_is_int(IrDtype dt); /* integer, not bool */
LLVMTypeRef host_stype(HostCtx *c, IrDtype dt); /* storage type */
LLVMTypeRef host_ctype(HostCtx *c, IrDtype dt); /* compute type: f16/bf16 compute in f32, bool in i1 */
/* Load/store element `idx` (i64) of an array of dt at base (i8 pointer). */
LLVMValueRef host_load(HostCtx *c, LLVMValueRef base, IrDtype dt, LLVMValueRef idx);
void host_store(HostCtx *c, LLVMValueRef base, IrDtype dt, LLVMValueRef idx, LLVMValueRef v);
/* Convert a compute-type value between dtypes (ONNX Cast semantics). */
LLVMValueRef host_convert(HostCtx *c, LLVMValueRef v, IrDtype from, IrDtype to);
LLVMValueRef host_constf(HostCtx *c, IrDtype dt, double x); /* compute-type constant */
LLVMValueRef host_consti(HostCtx *c, IrDtype dt, int64_t x);
LLVMValueRef host_i64(HostCtx *c, int64_t x);
/* The dtype's largest/smallest value (+-inf for floats) as a compute constant. */
LLVMValueRef host_maxval(HostCtx *c, IrDtype dt);
LLVMValueRef host_minval(HostCtx *c, IrDtype dt);
/* a (op) b in dtype dt. Comparisons and logic return i1. */
LLVMValueRef host_bin(HostCtx *c, HostBin op, IrDtype dt, LLVMValueRef a, LLVMValueRef b);
/* Call a float math function by C name ("exp", "tanh", "erf", "pow"...): an
 * LLVM intrinsic where one exists, otherwise libm (f32: name with 'f'). */
LLVMValueRef host_math(HostCtx *c, const char *name, IrDtype dt, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef host_select(HostCtx *c, LLVMValueRef cond, LLVMValueRef a, LLVMValueRef b);
/* Declare (once) a function in the module. */
LLVMValueRef host_decl(HostCtx *c, const char *name, LLVMTypeRef ret, LLVMTypeRef *args, unsigned n);
LLVMValueRef host_call(HostCtx *c, LLVMValueRef fn, LLVMValueRef *args, unsigned n);

/* ---- host_emit_loops.c: THE generic loop-nest emitter ---- */

/* An index space: n nested loops, ext[0] outermost. */
typedef struct HostNest {
    int n;
    int64_t ext[HOST_MAX_LOOPS];
} HostNest;

/* An affine operand access: element base[off + sum_d st[d] * i[d]] of dtype dt.
 * Broadcasting is st[d] = 0; transposes/slices are other strides. */
typedef struct HostAcc {
    LLVMValueRef base; /* i8 pointer */
    IrDtype dt;
    int64_t off;
    int64_t st[HOST_MAX_LOOPS];
} HostAcc;

typedef void (*HostBodyFn)(HostCtx *c, const LLVMValueRef *idx, void *user);
/* Emit the loops of nest and call body once in the innermost block with the
 * loop indices (i64). Extent 0 anywhere: nothing is emitted. */
void host_nest_emit(HostCtx *c, const HostNest *nest, HostBodyFn body, void *user);
LLVMValueRef host_acc_index(HostCtx *c, const HostAcc *a, const LLVMValueRef *idx);
LLVMValueRef host_acc_load(HostCtx *c, const HostAcc *a, const LLVMValueRef *idx);
void host_acc_store(HostCtx *c, const HostAcc *a, const LLVMValueRef *idx, LLVMValueRef v);

/* Row-major strides (elements) of a shape; st has IR_MAX_RANK entries, those
 * past the rank are set to 0. */
void host_strides(const IrShape *s, int64_t *st);
/* Nest over a shape. */
HostNest host_nest_shape(const IrShape *s);
/* Contiguous access to a tensor of shape s laid over the nest of the same shape. */
HostAcc host_acc_contig(LLVMValueRef base, IrDtype dt, const IrShape *s);
/* Access to tensor v (shape vs) broadcast (numpy rules, right-aligned) over a
 * nest of shape out; loops beyond out->rank get stride 0. */
HostAcc host_acc_bcast(LLVMValueRef base, IrDtype dt, const IrShape *vs, const IrShape *out);

/* Scalar function of the loaded operands (compute types). */
typedef LLVMValueRef (*HostScalarFn)(HostCtx *c, const LLVMValueRef *args, void *user);

typedef enum HostRed { HR_STORE, HR_SUM, HR_PROD, HR_MAX, HR_MIN } HostRed;

/* For every point of nest: out = f(ins...)          (red == HR_STORE)
 *                      or  out = out (red) f(ins...) (accumulate in place).
 * f NULL means the single operand itself (a copy/convert to out's dtype).
 * Dims where every access is contiguous with the next are merged first. */
void host_map(HostCtx *c, const HostNest *nest, const HostAcc *out, const HostAcc *ins, int nin,
              HostRed red, HostScalarFn f, void *user);
/* Fill out (nest/access) with a compute-type constant. */
void host_fill(HostCtx *c, const HostNest *nest, const HostAcc *out, LLVMValueRef v);
/* Reduction into registers: for each point of the outer nest, combine f(ins)
 * over the inner nest (accesses span outer dims then inner dims), starting
 * from init, then out = fin(acc) (fin NULL: acc). */
void host_reduce(HostCtx *c, const HostNest *outer, const HostNest *inner, const HostAcc *out,
                 const HostAcc *ins, int nin, HostRed red, LLVMValueRef init, IrDtype acc_dt,
                 HostScalarFn f, void *fuser, HostScalarFn fin, void *finuser);
/* memcpy of nbytes between i8 pointers. */
void host_memcpy(HostCtx *c, LLVMValueRef dst, LLVMValueRef src, int64_t nbytes);
/* Pointer arithmetic: base + bytes. */
LLVMValueRef host_gep(HostCtx *c, LLVMValueRef base, int64_t bytes);
LLVMValueRef host_gepv(HostCtx *c, LLVMValueRef base, LLVMValueRef bytes);

/* Structured control flow inside a body: if (cond) { then } */
typedef struct HostIf { LLVMBasicBlockRef then_bb, merge_bb; } HostIf;
HostIf host_if_begin(HostCtx *c, LLVMValueRef cond);
void host_if_end(HostCtx *c, HostIf *h);
/* A runtime loop with a dynamic trip count: for (i = 0; i < n; i++) body(i). */
void host_loop_dyn(HostCtx *c, LLVMValueRef n, HostBodyFn body, void *user);
/* Stack slot in the function's entry block. */
LLVMValueRef host_alloca(HostCtx *c, LLVMTypeRef t, const char *name);

/* ---- convolution/pooling window geometry (host_ops_linalg.c) ---- */
typedef struct HostConvGeom {
    int nsp;                       /* spatial dims */
    int64_t in[IR_MAX_RANK];       /* input spatial extents */
    int64_t out[IR_MAX_RANK];      /* output spatial extents (from the IR) */
    int64_t k[IR_MAX_RANK], stride[IR_MAX_RANK], dil[IR_MAX_RANK];
    int64_t pb[IR_MAX_RANK], pe[IR_MAX_RANK]; /* pads at begin/end (auto_pad resolved) */
    int64_t padded[IR_MAX_RANK];   /* padded extent covering every window */
} HostConvGeom;
DlaStatus host_conv_geometry(HostCtx *c, int32_t node, int nsp, const int64_t *in_sp, const int64_t *kernel,
                             HostConvGeom *geo);
/* x padded on its trailing geo->nsp dims with padval into scratch (or x itself
 * when no padding is needed); *pshape receives the padded shape. */
LLVMValueRef host_pad_input(HostCtx *c, const IrValue *x, LLVMValueRef xp, const HostConvGeom *geo,
                            LLVMValueRef padval, IrShape *pshape);
/* The direct (grouped) convolution as one accumulating loop nest over
 * n, g, m, c, k[nsp], o[nsp]: sets the nest's extents and the element strides of
 * the output (shape y), the padded input (shape xpad) and the weights (shape w,
 * [M, C/G, k...]). Bases and dtypes are left to the caller, which zeroes the
 * three accessors first. Shared by float Conv and the integer convolutions. */
void host_conv_direct_nest(const HostConvGeom *geo, int64_t N, int64_t G, int64_t Mg, int64_t Cg, const IrShape *y,
                           const IrShape *xpad, const IrShape *w, HostNest *nest, HostAcc *out, HostAcc *x,
                           HostAcc *wt);

/* (Log)softmax of x over the dims in mask into yp (host_ops_reduce.c). */
void host_softmax_core(HostCtx *c, const IrValue *x, LLVMValueRef xp, const int *mask, LLVMValueRef yp, IrDtype ydt,
                       int log);

/* ---- host_emit_gemm.c: register-blocked out[i,j] += sum_k A[i,k] B[k,j] ----
 * Access strides are laid out over [outer dims] ++ [i, j] ++ [red dims].
 * Requires out and B contiguous in j; otherwise (or for other dtypes) it
 * emits the generic accumulating nest. out must be initialised. */
typedef struct HostGemm {
    HostNest outer;   /* batch-like loops */
    int64_t M, N;     /* rows i, columns j */
    HostNest red;     /* reduction loops */
    HostAcc out, a, b;
} HostGemm;
void host_gemm(HostCtx *c, const HostGemm *g);
/* out[i,j] += sum_k A[i,k] B[j,k] for float/double with A and B contiguous in k:
 * accesses use st[0] (i for out/A, j for B) and out->st[1] (j); vectorized along k. */
void host_gemm_nt(HostCtx *c, int64_t M, int64_t N, int64_t K, const HostAcc *out, const HostAcc *a, const HostAcc *b);

/* Lowerings are declared from the table. */
#define HOST_OP(op, fn) DlaStatus fn(HostCtx *c, int32_t node);
#include "host_ops.def"
#undef HOST_OP

#endif
