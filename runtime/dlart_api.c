/* dlart_api.c - the parts of libdlart's public API (dlart.h) that only
 * translate: version, names, a device opened by target name, typed tensor
 * descriptors over the byte-level staging of dlart_program.c. */
#include "dlart_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "isa/target.h"

const char *dlart_version(void)
{
    return DLA_VERSION_STRING;
}

const char *dlart_status_name(DlaStatus s)
{
    return dla_status_name(s);
}

/* The public element types and their sizes: a switch over DlaDtype, so that
 * -Wswitch names a code added to dla_types.h and forgotten here. */
const char *dlart_dtype_name(DlaDtype t)
{
    switch (t) {
    case DLA_DTYPE_FLOAT: return "float32";
    case DLA_DTYPE_UINT8: return "uint8";
    case DLA_DTYPE_INT8: return "int8";
    case DLA_DTYPE_UINT16: return "uint16";
    case DLA_DTYPE_INT16: return "int16";
    case DLA_DTYPE_INT32: return "int32";
    case DLA_DTYPE_INT64: return "int64";
    case DLA_DTYPE_BOOL: return "bool";
    case DLA_DTYPE_FLOAT16: return "float16";
    case DLA_DTYPE_DOUBLE: return "float64";
    case DLA_DTYPE_UINT32: return "uint32";
    case DLA_DTYPE_UINT64: return "uint64";
    case DLA_DTYPE_BFLOAT16: return "bfloat16";
    case DLA_DTYPE_UNDEFINED: break;
    }
    return NULL;
}

size_t dlart_dtype_size(DlaDtype t)
{
    switch (t) {
    case DLA_DTYPE_UINT8: case DLA_DTYPE_INT8: case DLA_DTYPE_BOOL: return 1;
    case DLA_DTYPE_UINT16: case DLA_DTYPE_INT16: case DLA_DTYPE_FLOAT16: case DLA_DTYPE_BFLOAT16: return 2;
    case DLA_DTYPE_FLOAT: case DLA_DTYPE_INT32: case DLA_DTYPE_UINT32: return 4;
    case DLA_DTYPE_INT64: case DLA_DTYPE_DOUBLE: case DLA_DTYPE_UINT64: return 8;
    case DLA_DTYPE_UNDEFINED: break;
    }
    return 0;
}

DlaStatus dlart_device_open(const char *target, uint64_t max_cycles, DlartDevice **out, DlaError *err)
{
    *out = NULL;
    DlaTarget t;
    DlaStatus st = dla_target_load(target ? target : "dla-edge", &t, err);
    if (st)
        return st;
    return dlart_device_open_sim(&t, max_cycles, out, err);
}

const char *dlart_device_target_name(const DlartDevice *d)
{
    return d->target.name;
}

DlaStatus dlart_tensor_info(const DlartProgram *p, uint32_t i, DlartTensorInfo *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    if (i >= p->img->ntensors)
        return dla_errorf(err, DLA_ERR_INVALID, "tensor %u out of range (the program has %u)", i, p->img->ntensors);
    const DlaTensorDesc *d = &p->img->tensors[i];
    out->name = d->name;
    out->role = (DlartTensorRole)d->role;
    out->dtype = (DlaDtype)d->dtype;
    out->rank = (int32_t)d->rank;
    for (uint32_t k = 0; k < d->rank && k < DLA_MAX_RANK; k++)
        out->dims[k] = d->dims[k];
    out->bytes = (size_t)(dlart_tensor_numel(d) * dlart_dtype_size((DlaDtype)d->dtype));
    out->scale = d->scale;
    out->zero_point = d->zero_point;
    return DLA_OK;
}

static void shape_str(DlaDtype dt, int32_t rank, const int64_t *dims, char *buf, size_t n)
{
    const char *dn = dlart_dtype_name(dt);
    int k = snprintf(buf, n, "%s [", dn ? dn : "?");
    for (int32_t i = 0; i < rank && i < DLA_MAX_RANK && k > 0 && (size_t)k < n; i++)
        k += snprintf(buf + k, n - (size_t)k, "%s%" PRId64, i ? "," : "", dims[i]);
    if (k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "]");
}

/* t matches tensor i exactly (dtype, rank, dims; bytes at least the size). */
static DlaStatus check_typed(const DlartProgram *p, uint32_t i, const DlaTensor *t, DlartTensorInfo *info,
                             DlaError *err)
{
    DlaStatus st = dlart_tensor_info(p, i, info, err);
    if (st)
        return st;
    int same = t->dtype == info->dtype && t->rank == info->rank;
    for (int32_t k = 0; same && k < t->rank; k++)
        same = t->dims[k] == info->dims[k];
    if (!same || t->bytes < info->bytes || (!t->data && info->bytes)) {
        char a[160], b[160];
        shape_str(t->dtype, t->rank < 0 ? 0 : t->rank, t->dims, a, sizeof a);
        shape_str(info->dtype, info->rank, info->dims, b, sizeof b);
        return dla_errorf(err, DLA_ERR_INVALID,
                          "tensor '%s': the descriptor gives %s, %zu bytes%s; the program's tensor is %s, %zu bytes",
                          info->name, a, t->bytes, t->data ? "" : " (no data)", b, info->bytes);
    }
    return DLA_OK;
}

DlaStatus dlart_tensor_set(DlartProgram *p, uint32_t i, const DlaTensor *t, DlaError *err)
{
    DlartTensorInfo info;
    DlaStatus st = check_typed(p, i, t, &info, err);
    return st ? st : dlart_tensor_write(p, i, t->data, info.bytes, err);
}

DlaStatus dlart_tensor_get(DlartProgram *p, uint32_t i, const DlaTensor *t, DlaError *err)
{
    DlartTensorInfo info;
    DlaStatus st = check_typed(p, i, t, &info, err);
    return st ? st : dlart_tensor_read(p, i, t->data, info.bytes, err);
}
