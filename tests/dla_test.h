/* dla_test.h - helpers shared by the CUnit tests. */
#ifndef DLA_TEST_H
#define DLA_TEST_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <sys/stat.h>

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

static inline int dla_path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* The shared model zoo, or NULL after saying clearly on stderr that it is absent. */
static inline const char *dla_test_models_dir(void)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/models", DLA_SHARED_DIR);
    if (!dla_path_exists(buf)) {
        fprintf(stderr, "NOTE: %s is absent: model-zoo tests are skipped "
                        "(put the shared/ folder beside the checkout)\n", buf);
        return NULL;
    }
    return buf;
}

static inline const char *dla_test_node_dir(void)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/node", DLA_ONNX_TESTDATA);
    if (!dla_path_exists(buf)) {
        fprintf(stderr, "NOTE: %s is absent: ONNX node tests are skipped "
                        "(apt-get install libonnx-testdata)\n", buf);
        return NULL;
    }
    return buf;
}

#endif
