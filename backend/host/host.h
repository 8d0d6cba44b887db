/* host.h - the host code generator: an IrGraph (all shapes known) compiled to
 * native code through the LLVM-C API, either in-process (ORC LLJIT) or to an
 * object file for any LLVM target triple.
 *
 * The compiled model has one entry point
 *
 *     void <name>(void **inputs, void **outputs, void *arena);
 *
 * inputs[i] / outputs[i] point at the graph's i-th input / output tensor
 * (row-major, dtype-sized little-endian elements); arena points at
 * HostModel.arena_size (or host_object_info's) bytes of 64-byte-aligned
 * scratch memory that holds every intermediate tensor (see host_plan.c).
 * Constants are read from the IrGraph's own memory when JIT-compiled (so the
 * graph must outlive the HostModel) and embedded as globals in object files. */
#ifndef DLA_BACKEND_HOST_H
#define DLA_BACKEND_HOST_H

#include "ir.h"
#include "ir/exec.h"

typedef struct HostOptions {
    int opt_level;          /* 0..3: LLVM pipeline default<On>; 2 when the struct is NULL (O3 costs
                             * ~5x the compile time for no measured speed-up on the zoo) */
    const char *triple;     /* object emission: target triple; NULL = host */
    const char *cpu;        /* NULL: host CPU (JIT / native triple) or "generic" */
    const char *features;   /* NULL: host features (JIT / native triple) or none */
    const char *entry;      /* entry symbol name; NULL = "dla_model" */
    int pic;                /* object emission: position-independent code */
} HostOptions;

typedef struct HostModel HostModel;

/* Compile g for this machine and load it. Fails (DLA_ERR_UNSUPPORTED) listing
 * every node the host backend cannot lower. */
DlaStatus host_jit_compile(IrGraph *g, const HostOptions *opt, HostModel **out, DlaError *err);
/* The same; want_const (g->nvalues entries, may be NULL) receives 1 for each
 * graph input whose values a lowering needed at compile time (Slice starts,
 * Resize scales fed as inputs...): a caller that knows those inputs may fold
 * them into constants and compile again (host_session.c does). */
DlaStatus host_jit_compile_want(IrGraph *g, const HostOptions *opt, uint8_t *want_const, HostModel **out,
                                DlaError *err);
/* Run once with the caller's arena (host_model_arena_size bytes, 64-byte
 * aligned; NULL if the size is 0). inputs/outputs in graph order. The model
 * is not modified: several threads may run one HostModel at the same time,
 * each with its own arena. Fails (DLA_ERR_INVALID) on a missing or misaligned arena. */
DlaStatus host_model_run_arena(const HostModel *m, void *arena, void **inputs, void **outputs, DlaError *err);
/* The same with the model's own arena, allocated on first use (so not
 * thread-safe); DLA_ERR_LIMIT (no message) if it cannot be allocated. */
DlaStatus host_model_run(HostModel *m, void **inputs, void **outputs);
size_t host_model_arena_size(const HostModel *m);
/* The host JIT as a graph executor (ir/exec.h): what the driver hands to
 * calibration. Static; never freed. */
const IrExecutor *host_executor(void);
void host_model_free(HostModel *m);

/* Compile g to an object file (ELF/Mach-O/COFF per triple). *arena_size (may be
 * NULL) receives the arena size the entry point needs. */
DlaStatus host_emit_object(IrGraph *g, const HostOptions *opt, const char *path, size_t *arena_size,
                           DlaError *err);

/* Initialize LLVM's targets once (host_jit_compile does it on first use; a
 * process that forks workers calls it first so they inherit it). */
void host_llvm_init(void);

/* 1 if the host backend has a lowering for op (IrNode.op; attributes and
 * dtypes are checked only when compiling). */
int host_supports_op(IrOp op);

/* ---- ahead-of-time objects (host_aot.c) ----
 * One object file (any LLVM triple) holding several graphs, each compiled as an
 * internal function like the entry point above, plus exported functions
 *
 *     int NAME(params...)
 *
 * that run a straight-line list of steps: calls of those graphs, and calls of
 * external `int callee(args...)` functions (a non-zero result is returned at
 * once). The generated code allocates nothing: memory comes from parameters. */
typedef struct HostAot HostAot;

typedef enum HostAotArgKind {
    HOST_AOT_PARAM,   /* the function's parameter v, as is */
    HOST_AOT_U32,     /* constant v: uint32_t */
    HOST_AOT_U64,     /* constant v: uint64_t */
    HOST_AOT_SIZE,    /* constant v: size_t of the target */
    HOST_AOT_STR,     /* constant string s (const char *) */
    HOST_AOT_INPUT,   /* ((void **)parameter in_param)[v] */
    HOST_AOT_OUTPUT,  /* ((void **)parameter out_param)[v] */
    HOST_AOT_SCRATCH, /* (char *)parameter scratch_param + v */
} HostAotArgKind;

typedef struct HostAotArg {
    HostAotArgKind kind;
    uint64_t v;
    const char *s;
} HostAotArg;

typedef struct HostAotStep {
    int32_t graph;          /* >= 0: run graph `graph`: args = nin inputs, nout outputs, then the arena */
    int32_t nin, nout;
    const char *callee;     /* graph < 0: int callee(args...) */
    const HostAotArg *args;
    int32_t nargs;
} HostAotStep;

typedef struct HostAotFunc {
    const char *name;       /* exported symbol */
    const char *params;     /* one letter per parameter: p pointer, q uint64_t, z size_t, u uint32_t */
    int in_param, out_param, scratch_param; /* parameters that INPUT/OUTPUT/SCRATCH args use; -1: none */
    const HostAotStep *steps;
    int32_t nsteps;
} HostAotFunc;

typedef struct HostAotOutputs {
    const char *obj, *asm_path, *ir; /* paths, each written atomically; NULL: not written */
} HostAotOutputs;

/* o: triple, cpu, features, opt level, pic (entry is unused). */
DlaStatus host_aot_new(const HostOptions *o, const char *module_name, HostAot **out, DlaError *err);
/* Compile g (constants embedded) as graph *index; *arena_size: the arena it needs. */
DlaStatus host_aot_add_graph(HostAot *a, IrGraph *g, int32_t *index, size_t *arena_size, DlaError *err);
DlaStatus host_aot_add_func(HostAot *a, const HostAotFunc *f, DlaError *err);
/* Optimize once, then write what out asks for. */
DlaStatus host_aot_emit(HostAot *a, const HostAotOutputs *out, DlaError *err);
void host_aot_free(HostAot *a);

#endif
