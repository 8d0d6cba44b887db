/* cunit_main.c - the shared main() of every CUnit test executable.
 * A test file defines `void dla_register_tests(void)` that adds its suites.
 * Exit status is non-zero if any assertion or suite set-up failed. */
#include <CUnit/Basic.h>
#include <stdio.h>

void dla_register_tests(void);

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    dla_register_tests();
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (run == 0) {
        fprintf(stderr, "no test ran\n");
        return 3;
    }
    return failed ? 1 : 0;
}
