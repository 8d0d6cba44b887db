/* json_leaves.h - a strict little JSON reader for tests: parses a whole
 * document (RFC 8259: objects, arrays, strings with escapes, numbers, true,
 * false, null; nothing after the value but white space) and flattens it into
 * its leaves, each with a dotted path ("segments.dla", "host_nodes.0.name").
 * Enough to check what dlacc writes with --json / --stats-json without a JSON
 * library. */
#ifndef DLA_TEST_JSON_LEAVES_H
#define DLA_TEST_JSON_LEAVES_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_mem.h"

typedef struct JsonLeaf {
    char *path;  /* dotted; array elements by index */
    char *value; /* strings decoded (\uXXXX below 0x80 only, else '?'); numbers and literals as written */
    int is_string;
} JsonLeaf;

typedef struct JsonDoc {
    JsonLeaf *leaves;
    size_t n, cap;
    const char *p; /* parse position */
    char err[128];
} JsonDoc;

static void json_ws(JsonDoc *d)
{
    while (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r')
        d->p++;
}

static int json_fail(JsonDoc *d, const char *what)
{
    if (!d->err[0])
        snprintf(d->err, sizeof d->err, "%s at '%.20s'", what, d->p);
    return 0;
}

/* A string at d->p into a malloc'd buffer. */
static char *json_string(JsonDoc *d)
{
    if (*d->p != '"')
        return json_fail(d, "expected a string"), NULL;
    d->p++;
    size_t cap = 16, n = 0;
    char *s = dla_malloc(cap);
    while (*d->p != '"') {
        unsigned char c = (unsigned char)*d->p;
        if (!c || c < 0x20) {
            free(s);
            return json_fail(d, "bad string"), NULL;
        }
        char out = (char)c;
        d->p++;
        if (c == '\\') {
            char e = *d->p++;
            const char *esc = strchr("\"\\/bfnrtu", e);
            if (!e || !esc) {
                free(s);
                return json_fail(d, "bad escape"), NULL;
            }
            static const char map[] = "\"\\/\b\f\n\r\t";
            if (e == 'u') {
                unsigned v = 0;
                for (int i = 0; i < 4; i++, d->p++) {
                    if (!isxdigit((unsigned char)*d->p)) {
                        free(s);
                        return json_fail(d, "bad \\u escape"), NULL;
                    }
                    v = v * 16 + (unsigned)(isdigit((unsigned char)*d->p) ? *d->p - '0' : (tolower(*d->p) - 'a' + 10));
                }
                out = v < 0x80 ? (char)v : '?';
            } else {
                out = map[esc - "\"\\/bfnrtu"];
            }
        }
        if (n + 2 > cap)
            s = dla_realloc(s, cap *= 2);
        s[n++] = out;
    }
    d->p++;
    s[n] = 0;
    return s;
}

static void json_add(JsonDoc *d, const char *path, char *value, int is_string)
{
    d->leaves = dla_grow(d->leaves, sizeof *d->leaves, d->n + 1, &d->cap);
    d->leaves[d->n++] = (JsonLeaf){dla_strdup(path), value, is_string};
}

static int json_value(JsonDoc *d, const char *path, int depth)
{
    char sub[1024];
    json_ws(d);
    if (depth > 64)
        return json_fail(d, "nested too deeply");
    if (*d->p == '{' || *d->p == '[') {
        int obj = *d->p == '{';
        d->p++;
        json_ws(d);
        if (*d->p == (obj ? '}' : ']')) {
            d->p++;
            return 1;
        }
        for (int i = 0;; i++) {
            json_ws(d);
            if (obj) {
                char *key = json_string(d);
                if (!key)
                    return 0;
                snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", key);
                free(key);
                json_ws(d);
                if (*d->p++ != ':')
                    return json_fail(d, "expected ':'");
            } else {
                snprintf(sub, sizeof sub, "%s%s%d", path, path[0] ? "." : "", i);
            }
            if (!json_value(d, sub, depth + 1))
                return 0;
            json_ws(d);
            if (*d->p == ',') {
                d->p++;
                continue;
            }
            if (*d->p++ != (obj ? '}' : ']'))
                return json_fail(d, obj ? "expected ',' or '}'" : "expected ',' or ']'");
            return 1;
        }
    }
    if (*d->p == '"') {
        char *s = json_string(d);
        if (!s)
            return 0;
        json_add(d, path, s, 1);
        return 1;
    }
    static const char *const lits[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++)
        if (!strncmp(d->p, lits[i], strlen(lits[i]))) {
            d->p += strlen(lits[i]);
            json_add(d, path, dla_strdup(lits[i]), 0);
            return 1;
        }
    /* number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    const char *s = d->p;
    if (*d->p == '-')
        d->p++;
    if (*d->p == '0')
        d->p++;
    else if (*d->p >= '1' && *d->p <= '9')
        while (isdigit((unsigned char)*d->p))
            d->p++;
    else
        return json_fail(d, "expected a value");
    if (*d->p == '.') {
        d->p++;
        if (!isdigit((unsigned char)*d->p))
            return json_fail(d, "bad number");
        while (isdigit((unsigned char)*d->p))
            d->p++;
    }
    if (*d->p == 'e' || *d->p == 'E') {
        d->p++;
        if (*d->p == '+' || *d->p == '-')
            d->p++;
        if (!isdigit((unsigned char)*d->p))
            return json_fail(d, "bad exponent");
        while (isdigit((unsigned char)*d->p))
            d->p++;
    }
    char *v = dla_malloc((size_t)(d->p - s) + 1);
    memcpy(v, s, (size_t)(d->p - s));
    v[d->p - s] = 0;
    json_add(d, path, v, 0);
    return 1;
}

/* Parse text; 1 if it is one valid JSON document (d->err says why not). */
static inline int json_parse(const char *text, JsonDoc *d)
{
    memset(d, 0, sizeof *d);
    d->p = text;
    if (!json_value(d, "", 0))
        return 0;
    json_ws(d);
    return *d->p ? json_fail(d, "text after the value") : 1;
}

static inline void json_free(JsonDoc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->leaves[i].path);
        free(d->leaves[i].value);
    }
    free(d->leaves);
    memset(d, 0, sizeof *d);
}

/* The leaf at path, or NULL. */
static inline const JsonLeaf *json_get(const JsonDoc *d, const char *path)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->leaves[i].path, path))
            return &d->leaves[i];
    return NULL;
}

/* The number at path as an unsigned integer; -1 if absent or not a whole number. */
static inline long long json_uint(const JsonDoc *d, const char *path)
{
    const JsonLeaf *l = json_get(d, path);
    if (!l || l->is_string || !isdigit((unsigned char)l->value[0]) || strpbrk(l->value, ".eE"))
        return -1;
    return strtoll(l->value, NULL, 10);
}

#endif
