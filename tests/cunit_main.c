/* cunit_main.c - the shared main() of every CUnit test executable.
 * A test file defines `void dla_register_tests(void)` that adds its suites.
 * Exit status: 1 if any assertion or suite set-up failed; DLA_TEST_SKIP_CODE
 * (CTest's SKIP_RETURN_CODE, tests/CMakeLists.txt) if nothing failed and every
 * test skipped (dla_test_skip, tests/dla_test.h) without asserting anything,
 * so that CTest reports "Skipped", never "Passed", for a test that ran nothing;
 * 0 otherwise. A test that checked part of its work before skipping the rest
 * (e.g. some zoo models absent) counts as run. */
#include <CUnit/Basic.h>
#include <stdarg.h>
#include <stdio.h>

void dla_register_tests(void);
void dla_test_skip(const char *fmt, ...); /* declared for the tests in dla_test.h */

/* Per-test bookkeeping through each suite's set-up / tear-down hooks. */
static int skip_called;          /* dla_test_skip() ran in the current test */
static unsigned asserts_at_start; /* CU_get_number_of_asserts() when it began */
static unsigned tests_skipped;   /* tests that skipped having asserted nothing */

void dla_test_skip(const char *fmt, ...)
{
    CU_pTest t = CU_get_current_test();
    CU_pSuite s = CU_get_current_suite();
    fprintf(stderr, "SKIPPED %s/%s: ", s ? s->pName : "?", t ? t->pName : "?");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    skip_called = 1;
}

static void test_setup(void)
{
    skip_called = 0;
    asserts_at_start = CU_get_number_of_asserts();
}

static void test_teardown(void)
{
    if (skip_called && CU_get_number_of_asserts() == asserts_at_start)
        tests_skipped++;
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    dla_register_tests();
    /* every suite gets the hooks (no test file sets per-test hooks itself) */
    for (CU_pSuite s = CU_get_registry()->pSuite; s; s = s->pNext) {
        if (s->pSetUpFunc || s->pTearDownFunc) {
            fprintf(stderr, "suite %s: per-test set-up/tear-down are reserved for skip accounting\n", s->pName);
            return 2;
        }
        s->pSetUpFunc = test_setup;
        s->pTearDownFunc = test_teardown;
    }
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (run == 0) {
        fprintf(stderr, "no test ran\n");
        return 3;
    }
    if (failed)
        return 1;
    if (tests_skipped == run) {
        fprintf(stderr, "all %u tests skipped (reasons above)\n", run);
        return DLA_TEST_SKIP_CODE;
    }
    if (tests_skipped)
        fprintf(stderr, "%u of %u tests skipped (reasons above)\n", tests_skipped, run);
    return 0;
}
