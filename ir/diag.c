/* diag.c - see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ir_diag_add(IrDiagList *l, int32_t node, DlaStatus code, const char *fmt, ...)
{
    char buf[DLA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    l->items = dla_grow(l->items, sizeof *l->items, l->n + 1, &l->cap);
    l->items[l->n].node = node;
    l->items[l->n].code = code;
    l->items[l->n].msg = dla_strdup(buf);
    l->n++;
}

void ir_diag_free(IrDiagList *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].msg);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}
