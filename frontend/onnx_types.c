/* onnx_types.c - ONNX TypeProto -> IR dtype, shape and value flags. */
#include "onnx_internal.h"

#include <stdio.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

DlaStatus onnx_type_convert(OnnxCtx *cx, IrGraph *g, const Onnx__TypeProto *tp, const char *vname,
                            IrDtype *dt, IrShape *sh, uint32_t *flags, int depth)
{
    if (!tp)
        return DLA_OK;
    if (depth > 16)
        return dla_errorf(cx->err, DLA_ERR_LIMIT, "%s: type of '%s' is nested too deeply", cx->path, vname);
    switch (tp->value_case) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE: {
        const Onnx__TypeProto__Tensor *t = tp->tensor_type;
        if (t->has_elem_type && t->elem_type != 0) {
            if (!ir_dtype_valid(t->elem_type))
                return dla_errorf(cx->err, DLA_ERR_FORMAT, "%s: '%s' has unknown element type code %d",
                                  cx->path, vname, (int)t->elem_type);
            *dt = (IrDtype)t->elem_type;
        }
        if (!t->shape)
            return DLA_OK; /* rank unknown */
        if (t->shape->n_dim > IR_MAX_RANK)
            return dla_errorf(cx->err, DLA_ERR_LIMIT, "%s: '%s' has rank %zu, more than the %d dlacc supports",
                              cx->path, vname, t->shape->n_dim, IR_MAX_RANK);
        memset(sh, 0, sizeof *sh);
        sh->rank = (int32_t)t->shape->n_dim;
        for (size_t i = 0; i < t->shape->n_dim; i++) {
            const Onnx__TensorShapeProto__Dimension *d = t->shape->dim[i];
            sh->dims[i] = -1;
            if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value >= 0)
                sh->dims[i] = d->dim_value; /* negative declared dims mean "unknown" to some exporters */
            else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param &&
                     d->dim_param[0])
                sh->sym[i] = dla_arena_strdup(&g->arena, d->dim_param);
        }
        return DLA_OK;
    }
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
        *flags |= IR_VAL_SEQUENCE;
        return onnx_type_convert(cx, g, tp->sequence_type->elem_type, vname, dt, sh, flags, depth + 1);
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
        *flags |= IR_VAL_OPTIONAL;
        return onnx_type_convert(cx, g, tp->optional_type->elem_type, vname, dt, sh, flags, depth + 1);
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
        *flags |= IR_VAL_MAP;
        return onnx_type_convert(cx, g, tp->map_type->value_type, vname, dt, sh, flags, depth + 1);
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
        return dla_errorf(cx->err, DLA_ERR_UNSUPPORTED, "%s: '%s' is a sparse tensor (unsupported)",
                          cx->path, vname);
    default:
        return DLA_OK; /* no type given */
    }
}

/* The ONNX type notation for TYPE_PROTO attributes ("seq(tensor(float32))"). */
void onnx_type_str(const Onnx__TypeProto *tp, char *buf, size_t n, int depth)
{
    if (!tp || depth > 16) {
        snprintf(buf, n, "?");
        return;
    }
    char inner[256];
    switch (tp->value_case) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: {
        int sparse = tp->value_case == ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE;
        int code = sparse ? tp->sparse_tensor_type->elem_type : tp->tensor_type->elem_type;
        snprintf(buf, n, "%s(%s)", sparse ? "sparse_tensor" : "tensor", ir_dtype_name((IrDtype)code));
        return;
    }
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
        onnx_type_str(tp->sequence_type->elem_type, inner, sizeof inner, depth + 1);
        snprintf(buf, n, "seq(%s)", inner);
        return;
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
        onnx_type_str(tp->optional_type->elem_type, inner, sizeof inner, depth + 1);
        snprintf(buf, n, "optional(%s)", inner);
        return;
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
        onnx_type_str(tp->map_type->value_type, inner, sizeof inner, depth + 1);
        snprintf(buf, n, "map(%s,%s)", ir_dtype_name((IrDtype)tp->map_type->key_type), inner);
        return;
    default:
        snprintf(buf, n, "?");
    }
}

/* Attach a declared type (graph input/output, value_info) to value v. Only
 * what is still unknown is filled: constants keep the type of their data. */
DlaStatus onnx_declare_type(OnnxCtx *cx, IrGraph *g, int32_t v, const Onnx__ValueInfoProto *vi)
{
    IrDtype dt = DT_UNDEFINED;
    IrShape sh;
    memset(&sh, 0, sizeof sh);
    sh.rank = -1;
    uint32_t flags = 0;
    DlaStatus s = onnx_type_convert(cx, g, vi->type, S(vi->name), &dt, &sh, &flags, 0);
    if (s)
        return s;
    IrValue *val = &g->values[v];
    if (val->flags & IR_VAL_CONST)
        return DLA_OK;
    if (val->dtype == DT_UNDEFINED)
        val->dtype = dt;
    if (val->shape.rank < 0)
        val->shape = sh;
    val->flags |= flags;
    return DLA_OK;
}
