/* dla_mem.h - allocation. Allocation failure is fatal in exactly one place
 * (dla_oom): every other function may assume dla_malloc & co. succeed.
 * The arena gives objects one shared lifetime (e.g. a graph): freed in one call. */
#ifndef DLA_MEM_H
#define DLA_MEM_H

#include <stddef.h>
#include <stdint.h>

void *dla_malloc(size_t n);
void *dla_calloc(size_t n, size_t size);
void *dla_realloc(void *p, size_t n);
char *dla_strdup(const char *s);
/* Grow a dynamic array so that index `need-1` is valid; *cap is in elements. */
void *dla_grow(void *p, size_t elem, size_t need, size_t *cap);
/* Overflow-checked size arithmetic: returns 0 on overflow (caller reports). */
int dla_mul_ok(size_t a, size_t b, size_t *out);

typedef struct DlaArenaChunk DlaArenaChunk;
typedef struct DlaArena {
    DlaArenaChunk *head;
    size_t total; /* bytes handed out, for statistics */
} DlaArena;

void dla_arena_init(DlaArena *a);
void dla_arena_free(DlaArena *a);
void *dla_arena_alloc(DlaArena *a, size_t n); /* zeroed, 16-byte aligned */
char *dla_arena_strdup(DlaArena *a, const char *s);
char *dla_arena_strndup(DlaArena *a, const char *s, size_t n);
void *dla_arena_memdup(DlaArena *a, const void *p, size_t n);

#endif
