/* onnx_shape_arg.c - the --input-shape NAME=D0,D1,... argument. */
#include "onnx.h"

#include <string.h>

DlaStatus onnx_parse_input_shape(const char *arg, OnnxInputShape *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    /* The last '=' splits: input names may themselves contain '=' (ONNX allows any string). */
    const char *eq = strrchr(arg, '=');
    if (!eq || eq == arg)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "--input-shape '%s': expected NAME=D0,D1,... (e.g. input=1,3,224,224)", arg);
    out->name = arg; /* NOT terminated at '=': see name_len below */
    const char *p = eq + 1;
    int rank = 0;
    if (*p == 0) { /* "x=" : a scalar (rank 0) */
        out->rank = 0;
    } else {
        for (;;) {
            if (*p < '0' || *p > '9')
                return dla_errorf(err, DLA_ERR_INVALID,
                                  "--input-shape '%s': dimension %d is not a non-negative integer", arg, rank);
            if (rank >= IR_MAX_RANK)
                return dla_errorf(err, DLA_ERR_LIMIT, "--input-shape '%s': more than %d dimensions", arg,
                                  IR_MAX_RANK);
            int64_t v = 0;
            while (*p >= '0' && *p <= '9') {
                int d = *p++ - '0';
                if (v > (INT64_MAX - d) / 10)
                    return dla_errorf(err, DLA_ERR_INVALID, "--input-shape '%s': dimension %d is too large",
                                      arg, rank);
                v = v * 10 + d;
            }
            out->dims[rank++] = v;
            if (*p == 0)
                break;
            if (*p != ',' && *p != 'x')
                return dla_errorf(err, DLA_ERR_INVALID,
                                  "--input-shape '%s': unexpected '%c' after dimension %d", arg, *p, rank - 1);
            p++;
        }
        out->rank = rank;
    }
    out->name_len = (size_t)(eq - arg);
    return DLA_OK;
}
