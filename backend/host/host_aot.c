/* host_aot.c - ahead-of-time objects (host.h, "ahead-of-time objects"): several
 * graphs compiled into one LLVM module, each as an internal function
 *
 *     void (void **inputs, void **outputs, void *arena)      (host_compile.c)
 *
 * plus exported functions that run a straight-line list of steps: calls of
 * those graphs, and calls of external `int f(...)` functions whose non-zero
 * result is returned at once (the error code of the generated function). The
 * driver (compile_aot.c) uses it for a model's bundle: host segments,
 * boundary conversions and layout conversions are graphs, the DLA segments
 * are calls into libdlart. Nothing here allocates at run time: graph pointer
 * arrays live on the stack, memory comes from the function's parameters.
 *
 * Linking: each graph's module is linked into the bundle's module
 * (LLVMLinkModules2); internal symbols of different graphs (node0, const...)
 * are renamed by the linker, graph entries are made internal once linked, so
 * the only external definitions are the functions added here: several
 * bundles link into one program if their names differ. */
#include "host_int.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Linker.h>
#include <llvm-c/TargetMachine.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_file.h"

struct HostAot {
    HostOptions opt;
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMTargetMachineRef tm;
    int lp64d;              /* riscv64 with the lp64d ABI (module flag target-abi) */
    LLVMTypeRef t_i8p, t_i8pp, t_i32, t_i64, t_size;
    LLVMValueRef *graphs;
    int32_t ngraphs;
    size_t cap;
};

DlaStatus host_aot_new(const HostOptions *o, const char *module_name, HostAot **out, DlaError *err)
{
    *out = NULL;
    HostAot *a = dla_calloc(1, sizeof *a);
    a->opt = *o;
    DlaStatus st = host_make_tm(&a->opt, 0, &a->tm, err);
    if (st) {
        free(a);
        return st;
    }
    a->ctx = LLVMContextCreate();
    a->mod = LLVMModuleCreateWithNameInContext(module_name, a->ctx);
    a->lp64d = o->triple && !strncmp(o->triple, "riscv64", 7) && !o->features;
    if (a->lp64d) /* the Linux ABI: hard double float */
        LLVMAddModuleFlag(a->mod, LLVMModuleFlagBehaviorError, "target-abi", 10,
                          LLVMMDStringInContext2(a->ctx, "lp64d", 5));
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(a->tm);
    a->t_size = LLVMIntPtrTypeInContext(a->ctx, td);
    LLVMDisposeTargetData(td);
    a->t_i32 = LLVMInt32TypeInContext(a->ctx);
    a->t_i64 = LLVMInt64TypeInContext(a->ctx);
    a->t_i8p = LLVMPointerType(LLVMInt8TypeInContext(a->ctx), 0);
    a->t_i8pp = LLVMPointerType(a->t_i8p, 0);
    *out = a;
    return DLA_OK;
}

void host_aot_free(HostAot *a)
{
    if (!a)
        return;
    if (a->mod)
        LLVMDisposeModule(a->mod);
    if (a->ctx)
        LLVMContextDispose(a->ctx);
    if (a->tm)
        LLVMDisposeTargetMachine(a->tm);
    free(a->graphs);
    free(a);
}

DlaStatus host_aot_add_graph(HostAot *a, IrGraph *g, int32_t *index, size_t *arena_size, DlaError *err)
{
    char entry[64];
    snprintf(entry, sizeof entry, "__dla_aot_graph%d", (int)a->ngraphs);
    LLVMModuleRef m;
    DlaStatus st = host_build_module(g, a->ctx, 1, entry, NULL, &m, arena_size, err);
    if (st)
        return st;
    if (LLVMLinkModules2(a->mod, m)) /* consumes m */
        return dla_errorf(err, DLA_ERR_RUNTIME, "internal error: LLVM cannot link graph %d into the bundle",
                          (int)a->ngraphs);
    LLVMValueRef fn = LLVMGetNamedFunction(a->mod, entry);
    DLA_ASSERT(fn);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    a->graphs = dla_grow(a->graphs, sizeof *a->graphs, (size_t)a->ngraphs + 1, &a->cap);
    a->graphs[a->ngraphs] = fn;
    *index = a->ngraphs++;
    return DLA_OK;
}

static LLVMTypeRef param_type(const HostAot *a, char c)
{
    return c == 'q' ? a->t_i64 : c == 'z' ? a->t_size : c == 'u' ? a->t_i32 : a->t_i8p;
}

/* A pointer-typed value of arg (HOST_AOT_INPUT/OUTPUT/SCRATCH/STR/PARAM 'p'). */
static LLVMValueRef arg_value(HostAot *a, LLVMBuilderRef b, LLVMValueRef fn, const HostAotFunc *f,
                              const HostAotArg *x, LLVMTypeRef *type)
{
    LLVMValueRef v;
    switch (x->kind) {
    case HOST_AOT_PARAM:
        *type = param_type(a, f->params[x->v]);
        return LLVMGetParam(fn, (unsigned)x->v);
    case HOST_AOT_U32:
        *type = a->t_i32;
        return LLVMConstInt(a->t_i32, x->v, 0);
    case HOST_AOT_U64:
        *type = a->t_i64;
        return LLVMConstInt(a->t_i64, x->v, 0);
    case HOST_AOT_SIZE:
        *type = a->t_size;
        return LLVMConstInt(a->t_size, x->v, 0);
    case HOST_AOT_STR:
        *type = a->t_i8p;
        return LLVMBuildGlobalStringPtr(b, x->s, "str");
    case HOST_AOT_INPUT:
    case HOST_AOT_OUTPUT: {
        int pi = x->kind == HOST_AOT_INPUT ? f->in_param : f->out_param;
        DLA_ASSERT(pi >= 0);
        LLVMValueRef arr = LLVMBuildBitCast(b, LLVMGetParam(fn, (unsigned)pi), a->t_i8pp, "");
        LLVMValueRef ix = LLVMConstInt(a->t_i64, x->v, 0);
        v = LLVMBuildLoad2(b, a->t_i8p, LLVMBuildGEP2(b, a->t_i8p, arr, &ix, 1, ""), "");
        *type = a->t_i8p;
        return v;
    }
    case HOST_AOT_SCRATCH: {
        DLA_ASSERT(f->scratch_param >= 0);
        LLVMValueRef ix = LLVMConstInt(a->t_i64, x->v, 0);
        *type = a->t_i8p;
        return LLVMBuildGEP2(b, LLVMInt8TypeInContext(a->ctx), LLVMGetParam(fn, (unsigned)f->scratch_param), &ix,
                             1, "");
    }
    }
    DLA_ASSERT(0);
    return NULL;
}

static void add_enum_attr(HostAot *a, LLVMValueRef fn, unsigned idx, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(a->ctx, kind, 0));
}

DlaStatus host_aot_add_func(HostAot *a, const HostAotFunc *f, DlaError *err)
{
    int np = (int)strlen(f->params);
    if (np > 16)
        return dla_errorf(err, DLA_ERR_LIMIT, "internal: %s: too many parameters", f->name);
    if (LLVMGetNamedFunction(a->mod, f->name) || LLVMGetNamedGlobal(a->mod, f->name))
        return dla_errorf(err, DLA_ERR_INVALID, "symbol '%s' is defined twice in the bundle", f->name);
    LLVMTypeRef pt[16];
    for (int i = 0; i < np; i++)
        pt[i] = param_type(a, f->params[i]);
    LLVMValueRef fn = LLVMAddFunction(a->mod, f->name, LLVMFunctionType(a->t_i32, pt, (unsigned)np, 0));
    add_enum_attr(a, fn, LLVMAttributeFunctionIndex, "nounwind");
    LLVMBuilderRef b = LLVMCreateBuilderInContext(a->ctx);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(a->ctx, fn, "entry"));
    LLVMValueRef zero = LLVMConstInt(a->t_i32, 0, 0);
    DlaStatus st = DLA_OK;
    for (int32_t s = 0; s < f->nsteps && !st; s++) {
        const HostAotStep *step = &f->steps[s];
        if (step->graph >= 0) {
            /* graph call: args = inputs, then outputs, then the arena */
            DLA_ASSERT(step->graph < a->ngraphs && step->nin + step->nout + 1 == step->nargs);
            LLVMValueRef arr[2];
            for (int io = 0; io < 2; io++) {
                int n = io ? step->nout : step->nin;
                LLVMTypeRef at = LLVMArrayType(a->t_i8p, (unsigned)(n ? n : 1));
                LLVMValueRef slot = LLVMBuildAlloca(b, at, io ? "outs" : "ins");
                for (int i = 0; i < n; i++) {
                    LLVMTypeRef ty;
                    LLVMValueRef v = arg_value(a, b, fn, f, &step->args[(io ? step->nin : 0) + i], &ty);
                    LLVMValueRef ix[2] = {LLVMConstInt(a->t_i64, 0, 0), LLVMConstInt(a->t_i64, (unsigned)i, 0)};
                    LLVMBuildStore(b, v, LLVMBuildGEP2(b, at, slot, ix, 2, ""));
                }
                arr[io] = LLVMBuildBitCast(b, slot, a->t_i8pp, "");
            }
            LLVMTypeRef ty;
            LLVMValueRef arena = arg_value(a, b, fn, f, &step->args[step->nargs - 1], &ty);
            LLVMValueRef g = a->graphs[step->graph];
            LLVMValueRef args[3] = {arr[0], arr[1], arena};
            LLVMBuildCall2(b, LLVMGlobalGetValueType(g), g, args, 3, "");
            continue;
        }
        /* external int callee(args...); non-zero: return it */
        LLVMValueRef args[16];
        LLVMTypeRef tys[16];
        if (step->nargs > 16) {
            st = dla_errorf(err, DLA_ERR_LIMIT, "internal: %s: too many arguments", step->callee);
            break;
        }
        for (int32_t i = 0; i < step->nargs; i++)
            args[i] = arg_value(a, b, fn, f, &step->args[i], &tys[i]);
        LLVMValueRef callee = LLVMGetNamedFunction(a->mod, step->callee);
        if (!callee) {
            callee = LLVMAddFunction(a->mod, step->callee,
                                     LLVMFunctionType(a->t_i32, tys, (unsigned)step->nargs, 0));
            /* C ABIs that widen 32-bit arguments (RISC-V LP64: sign extension
             * of int and unsigned alike) get what a C compiler would pass. */
            add_enum_attr(a, callee, LLVMAttributeReturnIndex, "signext");
            for (int32_t i = 0; i < step->nargs; i++)
                if (tys[i] == a->t_i32)
                    add_enum_attr(a, callee, (unsigned)i + 1, "signext");
        }
        LLVMValueRef r = LLVMBuildCall2(b, LLVMGlobalGetValueType(callee), callee, args, (unsigned)step->nargs, "rc");
        LLVMValueRef bad = LLVMBuildICmp(b, LLVMIntNE, r, zero, "");
        LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(a->ctx, fn, "fail");
        LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(a->ctx, fn, "next");
        LLVMBuildCondBr(b, bad, fail, next);
        LLVMPositionBuilderAtEnd(b, fail);
        LLVMBuildRet(b, r);
        LLVMPositionBuilderAtEnd(b, next);
    }
    LLVMBuildRet(b, zero);
    LLVMDisposeBuilder(b);
    return st;
}

static DlaStatus emit_one(HostAot *a, LLVMCodeGenFileType kind, const char *path, DlaError *err)
{
    LLVMModuleRef m = LLVMCloneModule(a->mod); /* code generation may change the module it runs on */
    LLVMMemoryBufferRef buf = NULL;
    char *msg = NULL;
    DlaStatus st = DLA_OK;
    if (LLVMTargetMachineEmitToMemoryBuffer(a->tm, m, kind, &msg, &buf))
        st = dla_errorf(err, DLA_ERR_RUNTIME, "%s: LLVM code generation failed: %s", path, msg ? msg : "");
    else if (kind == LLVMObjectFile && a->lp64d && LLVMGetBufferSize(buf) >= 64) {
        /* LLVM 14 generates lp64d code from the module's target-abi but writes
         * the ELF header's float ABI from its (unsettable through LLVM-C)
         * target options: soft-float, which linkers refuse to mix with the
         * system's lp64d objects. Say what the code is: e_flags (offset 48 of
         * an ELF64 header) gets EF_RISCV_FLOAT_ABI_DOUBLE. */
        size_t n = LLVMGetBufferSize(buf);
        unsigned char *copy = dla_malloc(n);
        memcpy(copy, LLVMGetBufferStart(buf), n);
        if (copy[4] == 2 /* ELFCLASS64 */ && copy[5] == 1 /* little-endian */)
            copy[48] = (unsigned char)((copy[48] & ~0x6u) | 0x4u);
        st = dla_file_write(path, copy, n, err);
        free(copy);
    } else
        st = dla_file_write(path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), err);
    LLVMDisposeMessage(msg);
    if (buf)
        LLVMDisposeMemoryBuffer(buf);
    LLVMDisposeModule(m);
    return st;
}

DlaStatus host_aot_emit(HostAot *a, const HostAotOutputs *out, DlaError *err)
{
    char *msg = NULL;
    if (LLVMVerifyModule(a->mod, LLVMReturnStatusAction, &msg)) {
        DlaStatus st = dla_errorf(err, DLA_ERR_RUNTIME, "internal error: the bundle's LLVM IR does not verify: %.1500s",
                                  msg ? msg : "");
        LLVMDisposeMessage(msg);
        return st;
    }
    LLVMDisposeMessage(msg);
    DlaStatus st = host_optimize(a->mod, a->tm, a->opt.opt_level, err);
    if (!st && out->ir) {
        char *text = LLVMPrintModuleToString(a->mod);
        st = dla_file_write(out->ir, text, strlen(text), err);
        LLVMDisposeMessage(text);
    }
    if (!st && out->asm_path)
        st = emit_one(a, LLVMAssemblyFile, out->asm_path, err);
    if (!st && out->obj)
        st = emit_one(a, LLVMObjectFile, out->obj, err);
    return st;
}
