/* dla_test.h - helpers shared by the CUnit tests. */
#ifndef DLA_TEST_H
#define DLA_TEST_H

#include <CUnit/Basic.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dla_file.h"
#include "dla_mem.h"

/* Add a suite with the given tests: DLA_SUITE("name", {"t1", fn1}, {"t2", fn2}) */
typedef struct { const char *name; void (*fn)(void); } DlaTestCase;
static inline void dla_add_suite(const char *name, const DlaTestCase *tc, int n)
{
    CU_pSuite s = CU_add_suite(name, NULL, NULL);
    for (int i = 0; i < n; i++)
        CU_add_test(s, tc[i].name, tc[i].fn);
}
#define DLA_SUITE(name, ...) do { \
    static const DlaTestCase tc_[] = {__VA_ARGS__}; \
    dla_add_suite(name, tc_, (int)(sizeof tc_ / sizeof tc_[0])); } while (0)

/* A test that cannot run here (the zoo or the ONNX test data absent, or left
 * out of the sanitizer build) calls dla_test_skip("why", ...) and returns:
 * the reason goes to stderr, and an executable whose tests all skipped
 * without asserting anything exits with DLA_TEST_SKIP_CODE, which CTest
 * reports as "Skipped" (cunit_main.c; the code is set in tests/CMakeLists.txt). */
void dla_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline int dla_path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* The shared model zoo, or NULL after skipping the calling test (it then returns). */
static inline const char *dla_test_models_dir(void)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/models", DLA_SHARED_DIR);
    if (!dla_path_exists(buf)) {
        dla_test_skip("%s is absent (the model zoo: put shared/ beside the checkout, or set -DDLA_SHARED_DIR)", buf);
        return NULL;
    }
    return buf;
}

/* The ONNX backend node tests, or NULL after skipping the calling test. */
static inline const char *dla_test_node_dir(void)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/node", DLA_ONNX_TESTDATA);
    if (!dla_path_exists(buf)) {
        dla_test_skip("%s is absent (ONNX node tests: apt-get install libonnx-testdata, or set -DDLA_ONNX_TESTDATA)",
                      buf);
        return NULL;
    }
    return buf;
}

static inline int dla_test_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir (dot files left out) that contain the file must_have
 * (a path relative to the entry; NULL: every entry), sorted by name, so that
 * tests walk e.g. the ONNX node tests in a reproducible order. Returns a
 * malloc'd list (free with dla_test_names_free), or NULL if dir cannot be
 * opened. */
static inline char **dla_test_list_dir(const char *dir, const char *must_have, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = dla_malloc(sizeof *names);
    size_t cap = 1;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (must_have) {
            char p[4096];
            snprintf(p, sizeof p, "%.2000s/%.255s/%.1000s", dir, e->d_name, must_have);
            if (!dla_path_exists(p))
                continue;
        }
        names = dla_grow(names, sizeof *names, *n + 1, &cap);
        names[(*n)++] = dla_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, dla_test_cmp_str);
    return names;
}

static inline void dla_test_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* The contents of a file the test produced (NUL-terminated, malloc'd; *n
 * its length if n is not NULL), or "" when it is missing or unreadable, so
 * that the test's own checks on the text report the problem. */
static inline char *dla_test_read_text(const char *path, size_t *n)
{
    char *s = NULL;
    size_t len = 0;
    DlaError e = {0};
    if (dla_file_read(path, &s, &len, &e) != DLA_OK) {
        len = 0;
        s = dla_strdup("");
    }
    if (n)
        *n = len;
    return s;
}

#endif
