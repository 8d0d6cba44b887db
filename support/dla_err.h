/* dla_err.h - the user-error channel shared by every library in dlacc.
 *
 * Libraries never print and never exit: a function that can fail on user input
 * returns a DlaStatus and fills a DlaError with one human-readable message
 * (model file, node name, op type, shapes...). Internal invariant violations are
 * assertions instead (DLA_ASSERT), which abort with file:line: they are bugs,
 * not input problems, and must never be reachable from bad input. */
#ifndef DLA_ERR_H
#define DLA_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* DlaStatus, DlaError and DLA_ERR_MSG_MAX are public (include/dla_types.h). */
#include "dla_types.h"

/* Record an error (first one wins unless the previous was cleared) and return code,
 * so call sites read `return dla_errorf(err, DLA_ERR_FORMAT, "...", ...);`.
 * err may be NULL. */
DlaStatus dla_errorf(DlaError *err, DlaStatus code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
DlaStatus dla_verrorf(DlaError *err, DlaStatus code, const char *fmt, va_list ap);
/* Prepend context ("model.onnx: ") to an existing message. */
void dla_error_prefix(DlaError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dla_error_clear(DlaError *err);
const char *dla_status_name(DlaStatus s);

/* Internal errors: a bug in dlacc, never a user's fault. */
void dla_internal_error(const char *file, int line, const char *expr) __attribute__((noreturn));
#define DLA_ASSERT(e) ((e) ? (void)0 : dla_internal_error(__FILE__, __LINE__, #e))

#endif
