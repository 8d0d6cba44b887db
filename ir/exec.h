/* exec.h - the interface through which a pass runs a graph without knowing who
 * runs it.
 *
 * Calibration (passes/calibrate.c) must execute the float graph, but passes sit
 * above the backends in the data flow (docs/architecture.md): they may not
 * include the host backend. The driver hands them an IrExecutor instead, built
 * on whatever engine it owns (today the host LLVM JIT, backend/host/host.h:
 * host_executor()). Tests can hand in an executor of their own.
 *
 * Contract: compile() takes a graph whose shapes are all known and returns an
 * opaque handle; the graph must outlive the handle. run() reads inputs[i] for
 * graph input i and writes outputs[k] for graph output k (row-major,
 * dtype-sized elements; buffers sized by the values' shapes). release() frees a
 * handle (NULL is allowed). */
#ifndef DLA_IR_EXEC_H
#define DLA_IR_EXEC_H

#include "ir.h"

typedef struct IrExecutor {
    const char *name; /* for messages: "host JIT" */
    DlaStatus (*compile)(const struct IrExecutor *ex, IrGraph *g, void **handle, DlaError *err);
    DlaStatus (*run)(const struct IrExecutor *ex, void *handle, void **inputs, void **outputs, DlaError *err);
    void (*release)(const struct IrExecutor *ex, void *handle);
    void *user;
} IrExecutor;

#endif
