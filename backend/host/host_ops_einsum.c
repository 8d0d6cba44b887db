/* host_ops_einsum.c - Einsum as one accumulating loop nest.
 *
 * Every distinct subscript letter is a loop; the output's letters come first
 * (in output order), the summed letters after. An operand's stride for a letter
 * is the sum of its strides at every position carrying that letter, which
 * makes repeated letters (diagonals, "ii->i") plain affine accesses; "..."
 * expands to extra letters, right-aligned and broadcast (stride 0 where an
 * operand's dim is 1). out is zeroed, then out += prod(operands). */
#include "host_int.h"

#include <ctype.h>
#include <string.h>

#define EIN_MAX 52

typedef struct Term {
    int n;            /* subscripts after ellipsis expansion */
    int let[IR_MAX_RANK + 4];
} Term;

static LLVMValueRef prod_fn(HostCtx *c, const LLVMValueRef *a, void *user)
{
    int *p = user; /* p[0] = count, p[1] = dtype */
    LLVMValueRef r = a[0];
    for (int i = 1; i < p[0]; i++)
        r = host_bin(c, HB_MUL, (IrDtype)p[1], r, a[i]);
    return r;
}

static int letter_id(char ch)
{
    return islower((unsigned char)ch) ? ch - 'a' : isupper((unsigned char)ch) ? 26 + ch - 'A' : -1;
}

/* parse one term; ellipsis letters get ids 52.. (right-aligned over `ell` dims) */
static int parse_term(const char *s, size_t len, int rank, int *ell_rank, Term *t)
{
    int explicit_n = 0, has_ell = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.' || has_ell)
                return 0;
            has_ell = 1;
            i += 2;
        } else if (s[i] != ' ') {
            if (letter_id(s[i]) < 0)
                return 0;
            explicit_n++;
        }
    }
    int ne = has_ell ? rank - explicit_n : 0;
    if (ne < 0 || (!has_ell && rank >= 0 && explicit_n != rank))
        return 0;
    if (has_ell && ne > *ell_rank)
        *ell_rank = ne;
    t->n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            for (int k = 0; k < ne; k++)
                t->let[t->n++] = EIN_MAX + (IR_MAX_RANK - ne + k); /* right-aligned */
            i += 2;
        } else if (s[i] != ' ') {
            t->let[t->n++] = letter_id(s[i]);
        }
    }
    return 1;
}

DlaStatus host_lower_einsum(HostCtx *c, int32_t node)
{
    const char *eq = ir_attr_string(c->g, node, "equation", NULL);
    int nin = host_nin(c);
    IrValue *y = host_outv(c, 0);
    IrDtype dt = y->dtype;
    if (!eq || nin < 1 || nin > 8 || dt == DT_BOOL)
        return host_unsupported(c, "equation/operands");
    Term in[8], out;
    int ell = 0;
    const char *arrow = strstr(eq, "->");
    const char *p = eq;
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : strlen(eq);
    for (int i = 0; i < nin; i++) {
        const char *comma = memchr(p, ',', lhs_len - (size_t)(p - eq));
        size_t len = comma ? (size_t)(comma - p) : lhs_len - (size_t)(p - eq);
        if ((i < nin - 1) != (comma != NULL) || !parse_term(p, len, host_inv(c, i)->shape.rank, &ell, &in[i]))
            return host_unsupported(c, "equation '%s'", eq);
        p = comma ? comma + 1 : p + len;
    }
    /* extents per letter, and the letters' first appearance */
    int64_t ext[EIN_MAX + IR_MAX_RANK];
    int seen[EIN_MAX + IR_MAX_RANK], count[EIN_MAX + IR_MAX_RANK];
    for (int l = 0; l < EIN_MAX + IR_MAX_RANK; l++)
        ext[l] = 1, seen[l] = 0, count[l] = 0;
    for (int i = 0; i < nin; i++) {
        IrValue *v = host_inv(c, i);
        if (v->dtype != dt)
            return host_unsupported(c, "operand dtypes differ");
        for (int k = 0; k < in[i].n; k++) {
            int l = in[i].let[k];
            int64_t d = v->shape.dims[k];
            if (seen[l] && ext[l] != d && d != 1 && ext[l] != 1)
                return host_unsupported(c, "subscript extents disagree");
            if (!seen[l] || ext[l] == 1)
                ext[l] = d;
            seen[l] = 1;
            count[l]++;
        }
    }
    if (arrow) {
        if (!parse_term(arrow + 2, strlen(arrow + 2), y->shape.rank, &ell, &out))
            return host_unsupported(c, "equation '%s'", eq);
    } else {
        /* implicit output: ellipsis dims, then letters used once, alphabetically */
        out.n = 0;
        for (int l = EIN_MAX; l < EIN_MAX + IR_MAX_RANK; l++)
            if (seen[l])
                out.let[out.n++] = l;
        for (int l = 0; l < EIN_MAX; l++)
            if (seen[l] && count[l] == 1)
                out.let[out.n++] = l;
    }
    if (out.n != y->shape.rank)
        return host_unsupported(c, "output rank");
    /* loops: output letters, then the others */
    int loop_of[EIN_MAX + IR_MAX_RANK], nl = 0;
    HostNest nest;
    memset(&nest, 0, sizeof nest);
    for (int l = 0; l < EIN_MAX + IR_MAX_RANK; l++)
        loop_of[l] = -1;
    for (int k = 0; k < out.n; k++) {
        int l = out.let[k];
        if (loop_of[l] >= 0)
            return host_unsupported(c, "repeated output subscript");
        if (ext[l] != y->shape.dims[k] && seen[l])
            return host_unsupported(c, "output extent");
        loop_of[l] = nl;
        nest.ext[nl++] = y->shape.dims[k];
    }
    for (int l = 0; l < EIN_MAX + IR_MAX_RANK; l++)
        if (seen[l] && loop_of[l] < 0) {
            if (nl >= HOST_MAX_LOOPS)
                return host_unsupported(c, "too many subscripts");
            loop_of[l] = nl;
            nest.ext[nl++] = ext[l];
        }
    nest.n = nl;
    HostAcc o, ins[8];
    memset(&o, 0, sizeof o);
    o.base = host_out(c, 0);
    o.dt = dt;
    int64_t yst[IR_MAX_RANK];
    host_strides(&y->shape, yst);
    for (int k = 0; k < out.n; k++)
        o.st[k] = yst[k];
    for (int i = 0; i < nin; i++) {
        IrValue *v = host_inv(c, i);
        int64_t st[IR_MAX_RANK];
        host_strides(&v->shape, st);
        memset(&ins[i], 0, sizeof ins[i]);
        ins[i].base = host_in(c, i);
        ins[i].dt = dt;
        for (int k = 0; k < in[i].n; k++)
            if (v->shape.dims[k] != 1)
                ins[i].st[loop_of[in[i].let[k]]] += st[k];
    }
    HostNest yn = host_nest_shape(&y->shape);
    HostAcc ya = host_acc_contig(host_out(c, 0), dt, &y->shape);
    host_fill(c, &yn, &ya, host_consti(c, dt, 0));
    int pu[2] = {nin, (int)dt};
    host_map(c, &nest, &o, ins, nin, HR_SUM, prod_fn, pu);
    return DLA_OK;
}
