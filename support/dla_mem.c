/* dla_mem.c - see dla_mem.h. */
#include "dla_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void dla_oom(size_t n) __attribute__((noreturn));
static void dla_oom(size_t n)
{
    fprintf(stderr, "dlacc: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *dla_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        dla_oom(n);
    return p;
}

void *dla_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        dla_oom(n * size);
    return p;
}

void *dla_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        dla_oom(n);
    return q;
}

char *dla_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(dla_malloc(n), s, n);
}

int dla_mul_ok(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}

void *dla_grow(void *p, size_t elem, size_t need, size_t *cap)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    size_t bytes;
    if (!dla_mul_ok(ncap, elem, &bytes))
        dla_oom(SIZE_MAX);
    p = dla_realloc(p, bytes);
    memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
    *cap = ncap;
    return p;
}

struct DlaArenaChunk {
    DlaArenaChunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void dla_arena_init(DlaArena *a)
{
    a->head = NULL;
    a->total = 0;
}

void dla_arena_free(DlaArena *a)
{
    DlaArenaChunk *c = a->head;
    while (c) {
        DlaArenaChunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->total = 0;
}

void *dla_arena_alloc(DlaArena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    DlaArenaChunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > 64 * 1024 ? n : 64 * 1024;
        c = dla_malloc(sizeof *c + size);
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}

char *dla_arena_strndup(DlaArena *a, const char *s, size_t n)
{
    char *p = dla_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *dla_arena_strdup(DlaArena *a, const char *s)
{
    return dla_arena_strndup(a, s, strlen(s));
}

void *dla_arena_memdup(DlaArena *a, const void *p, size_t n)
{
    void *q = dla_arena_alloc(a, n);
    if (n)
        memcpy(q, p, n);
    return q;
}
