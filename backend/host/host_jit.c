/* host_jit.c - LLVM targets, the optimization pipeline, the in-process ORC
 * LLJIT, and object-file emission for any triple.
 *
 * Optimization uses the new pass manager through LLVMRunPasses with
 * "default<On>" (LLVM-C has it from LLVM 13 on; the legacy
 * PassManagerBuilder is gone in LLVM 17), with loop and SLP vectorization on,
 * on a module whose data layout and triple are those of the target machine,
 * so the vectorizer uses the real vector width (AVX2/AVX-512/NEON). */
#include "host_int.h"

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct HostModel {
    LLVMOrcLLJITRef jit;
    void (*entry)(void **, void **, void *);
    size_t arena_size;
    void *arena;
};

/* Once per process, whichever thread compiles first (libdlacc may compile
 * from several threads). */
static pthread_once_t targets_once = PTHREAD_ONCE_INIT;

static void init_targets_once(void)
{
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
    LLVMInitializeAllAsmParsers();
}

static void init_targets(void)
{
    pthread_once(&targets_once, init_targets_once);
}

void host_llvm_init(void) { init_targets(); }

static DlaStatus llvm_error(LLVMErrorRef e, const char *what, DlaError *err)
{
    char *m = LLVMGetErrorMessage(e);
    DlaStatus st = dla_errorf(err, DLA_ERR_RUNTIME, "LLVM %s: %s", what, m);
    LLVMDisposeErrorMessage(m);
    return st;
}

/* A target machine for triple (NULL = host, with the host CPU and features). */
DlaStatus host_make_tm(const HostOptions *o, int jit, LLVMTargetMachineRef *tm, DlaError *err)
{
    init_targets();
    char *def = LLVMGetDefaultTargetTriple();
    char *triple = o->triple ? LLVMNormalizeTargetTriple(o->triple) : LLVMNormalizeTargetTriple(def);
    char *hostn = LLVMNormalizeTargetTriple(def);
    int native = !strcmp(triple, hostn);
    LLVMDisposeMessage(def);
    LLVMDisposeMessage(hostn);
    LLVMTargetRef t;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &t, &msg)) {
        DlaStatus st = dla_errorf(err, DLA_ERR_UNSUPPORTED, "target triple '%s': %s", triple, msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return st;
    }
    char *cpu = native && !o->cpu ? LLVMGetHostCPUName() : NULL;
    char *feat = native && !o->features ? LLVMGetHostCPUFeatures() : NULL;
    int lvl = o->opt_level;
    LLVMCodeGenOptLevel cg = lvl <= 0 ? LLVMCodeGenLevelNone : lvl == 1 ? LLVMCodeGenLevelLess
                           : lvl == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
    /* Another machine: its default CPU ("" - some targets, RISC-V, have no
     * "generic"), and for riscv64 the RV64GC features of the Linux ABI (lp64d,
     * host_aot.c sets the module's target-abi). */
    const char *dflt_feat = !native && !strncmp(triple, "riscv64", 7) ? "+m,+a,+f,+d,+c" : "";
    *tm = LLVMCreateTargetMachine(t, triple, cpu ? cpu : o->cpu ? o->cpu : native ? "generic" : "",
                                  feat ? feat : o->features ? o->features : dflt_feat, cg,
                                  o->pic || jit ? LLVMRelocPIC : LLVMRelocDefault,
                                  jit ? LLVMCodeModelJITDefault : LLVMCodeModelDefault);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(feat);
    LLVMDisposeMessage(triple);
    if (!*tm)
        return dla_errorf(err, DLA_ERR_UNSUPPORTED, "cannot create an LLVM target machine for '%s'",
                          o->triple ? o->triple : "the host");
    return DLA_OK;
}

DlaStatus host_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int lvl, DlaError *err)
{
    char *trip = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(mod, trip);
    LLVMDisposeMessage(trip);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(mod, td);
    LLVMDisposeTargetData(td);
    if (lvl <= 0)
        return DLA_OK;
    char pipe[32];
    snprintf(pipe, sizeof pipe, "default<O%d>", lvl > 3 ? 3 : lvl);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMPassBuilderOptionsSetLoopVectorization(po, lvl >= 2);
    LLVMPassBuilderOptionsSetSLPVectorization(po, lvl >= 2);
    LLVMPassBuilderOptionsSetLoopInterleaving(po, lvl >= 2);
    LLVMPassBuilderOptionsSetLoopUnrolling(po, lvl >= 2);
    LLVMErrorRef e = LLVMRunPasses(mod, pipe, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e)
        return llvm_error(e, "optimization", err);
    return DLA_OK;
}

static const HostOptions default_opts = {2, NULL, NULL, NULL, NULL, 0};

DlaStatus host_jit_compile(IrGraph *g, const HostOptions *opt, HostModel **out, DlaError *err)
{
    return host_jit_compile_want(g, opt, NULL, out, err);
}

DlaStatus host_jit_compile_want(IrGraph *g, const HostOptions *opt, uint8_t *want_const, HostModel **out,
                                DlaError *err)
{
    const HostOptions *o = opt ? opt : &default_opts;
    const char *entry = o->entry ? o->entry : "dla_model";
    *out = NULL;
    init_targets();
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMContextRef ctx = LLVMOrcThreadSafeContextGetContext(tsc);
    LLVMModuleRef mod;
    size_t arena = 0;
    DlaStatus st = host_build_module(g, ctx, 0, entry, want_const, &mod, &arena, err);
    if (st) {
        LLVMOrcDisposeThreadSafeContext(tsc);
        return st;
    }
    LLVMTargetMachineRef tm;
    HostOptions ho = *o;
    ho.triple = NULL;
    if (!(st = host_make_tm(&ho, 1, &tm, err)) && (st = host_optimize(mod, tm, o->opt_level, err)))
        LLVMDisposeTargetMachine(tm);
    if (st) {
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        return st;
    }
    /* The JIT takes ownership of this target machine (through its builder). */
    LLVMOrcLLJITBuilderRef jb = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(jb, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
    LLVMOrcLLJITRef jit;
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&jit, jb);
    if (e) {
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        return llvm_error(e, "JIT creation", err);
    }
    /* libm (tanhf, erff...) and memcpy come from this process. */
    LLVMOrcDefinitionGeneratorRef gen;
    e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(jit), NULL, NULL);
    if (e) {
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        LLVMOrcDisposeLLJIT(jit);
        return llvm_error(e, "JIT symbol generator", err);
    }
    LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(jit);
    LLVMOrcJITDylibAddGenerator(jd, gen);
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc);
    if ((e = LLVMOrcLLJITAddLLVMIRModule(jit, jd, tsm))) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        LLVMOrcDisposeLLJIT(jit);
        return llvm_error(e, "JIT add module", err);
    }
    LLVMOrcExecutorAddress addr = 0;
    if ((e = LLVMOrcLLJITLookup(jit, &addr, entry))) {
        LLVMOrcDisposeLLJIT(jit);
        return llvm_error(e, "JIT lookup (code generation)", err);
    }
    HostModel *m = dla_calloc(1, sizeof *m);
    m->jit = jit;
    m->entry = (void (*)(void **, void **, void *))(uintptr_t)addr;
    m->arena_size = arena;
    *out = m;
    return DLA_OK;
}

DlaStatus host_model_run_arena(const HostModel *m, void *arena, void **inputs, void **outputs, DlaError *err)
{
    if (m->arena_size && (!arena || ((uintptr_t)arena & 63)))
        return dla_errorf(err, DLA_ERR_INVALID, "host code: the arena must be %zu bytes, 64-byte aligned (got %p)",
                          m->arena_size, arena);
    m->entry(inputs, outputs, arena);
    return DLA_OK;
}

DlaStatus host_model_run(HostModel *m, void **inputs, void **outputs)
{
    if (!m->arena && m->arena_size && posix_memalign(&m->arena, 64, m->arena_size))
        return DLA_ERR_LIMIT;
    return host_model_run_arena(m, m->arena, inputs, outputs, NULL);
}

size_t host_model_arena_size(const HostModel *m) { return m->arena_size; }

/* ---- the host JIT as an IrExecutor (ir/exec.h), for calibration ---- */

static DlaStatus exec_compile(const IrExecutor *ex, IrGraph *g, void **handle, DlaError *err)
{
    (void)ex;
    return host_jit_compile(g, NULL, (HostModel **)handle, err);
}

static DlaStatus exec_run(const IrExecutor *ex, void *handle, void **inputs, void **outputs, DlaError *err)
{
    (void)ex;
    HostModel *m = handle;
    if (!m->arena && m->arena_size && posix_memalign(&m->arena, 64, m->arena_size))
        return dla_errorf(err, DLA_ERR_LIMIT, "host code: cannot allocate its %zu-byte arena", m->arena_size);
    return host_model_run_arena(m, m->arena, inputs, outputs, err);
}

static void exec_release(const IrExecutor *ex, void *handle)
{
    (void)ex;
    host_model_free(handle);
}

const IrExecutor *host_executor(void)
{
    static const IrExecutor ex = {"host JIT", exec_compile, exec_run, exec_release, NULL};
    return &ex;
}

void host_model_free(HostModel *m)
{
    if (!m)
        return;
    if (m->jit) {
        LLVMErrorRef e = LLVMOrcDisposeLLJIT(m->jit);
        if (e)
            LLVMConsumeError(e);
    }
    free(m->arena);
    free(m);
}

DlaStatus host_emit_object(IrGraph *g, const HostOptions *opt, const char *path, size_t *arena_size,
                           DlaError *err)
{
    const HostOptions *o = opt ? opt : &default_opts;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod;
    size_t arena = 0;
    DlaStatus st = host_build_module(g, ctx, 1, o->entry ? o->entry : "dla_model", NULL, &mod, &arena, err);
    if (st) {
        LLVMContextDispose(ctx);
        return st;
    }
    LLVMTargetMachineRef tm;
    if ((st = host_make_tm(o, 0, &tm, err))) {
        LLVMDisposeModule(mod);
        LLVMContextDispose(ctx);
        return st;
    }
    st = host_optimize(mod, tm, o->opt_level, err);
    char *msg = NULL;
    if (!st && LLVMTargetMachineEmitToFile(tm, mod, (char *)path, LLVMObjectFile, &msg))
        st = dla_errorf(err, DLA_ERR_IO, "%s: cannot emit object file: %s", path, msg ? msg : "");
    LLVMDisposeMessage(msg);
    LLVMDisposeTargetMachine(tm);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    if (!st && arena_size)
        *arena_size = arena;
    return st;
}
