/* dla_err.c - see dla_err.h. */
#include "dla_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DlaStatus dla_verrorf(DlaError *err, DlaStatus code, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    if (err->code != DLA_OK)
        return code; /* keep the first, most specific, message */
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

DlaStatus dla_errorf(DlaError *err, DlaStatus code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dla_verrorf(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void dla_error_prefix(DlaError *err, const char *fmt, ...)
{
    if (!err || err->code == DLA_OK)
        return;
    char pre[512], old[DLA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t k = strlen(pre);
    if (k >= sizeof err->msg)
        k = sizeof err->msg - 1;
    memcpy(err->msg, pre, k);
    size_t rest = strlen(old);
    if (rest > sizeof err->msg - 1 - k)
        rest = sizeof err->msg - 1 - k;
    memcpy(err->msg + k, old, rest);
    err->msg[k + rest] = 0;
}

void dla_error_clear(DlaError *err)
{
    if (err) {
        err->code = DLA_OK;
        err->msg[0] = 0;
    }
}

const char *dla_status_name(DlaStatus s)
{
    switch (s) {
    case DLA_OK: return "ok";
    case DLA_ERR_IO: return "I/O error";
    case DLA_ERR_FORMAT: return "format error";
    case DLA_ERR_UNSUPPORTED: return "unsupported";
    case DLA_ERR_INVALID: return "invalid";
    case DLA_ERR_LIMIT: return "limit exceeded";
    case DLA_ERR_RUNTIME: return "runtime error";
    }
    return "unknown error";
}

void dla_internal_error(const char *file, int line, const char *expr)
{
    fprintf(stderr, "dlacc: internal error at %s:%d: assertion '%s' failed\n", file, line, expr);
    abort();
}
