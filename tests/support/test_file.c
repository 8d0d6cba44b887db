/* test_file.c - support/dla_file.c: readers refuse what is not a regular file
 * (devices, FIFOs, directories) without hanging, and writes are atomic (a
 * failed write leaves the previous file as it was and no temporary behind). */
#include "dla_test.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "%s/test_support_file.XXXXXX", "/tmp");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

/* Number of entries in dir (the temporaries a write may leave). */
static int count_entries(void)
{
    size_t n = 0;
    char **names = dla_test_list_dir(dir, NULL, &n);
    dla_test_names_free(names, n);
    return (int)n;
}

/* The file at p holds exactly the string want. */
static void expect_contents(const char *p, const char *want)
{
    DlaError e = {0};
    char *d;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(dla_file_read(p, &d, &n, &e), DLA_OK);
    CU_ASSERT_EQUAL(n, strlen(want));
    CU_ASSERT(n == strlen(want) && memcmp(d, want, n) == 0);
    free(d);
}

static void test_read_regular(void)
{
    make_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/a.bin", dir);
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_file_write(p, "hello", 5, &e), DLA_OK);
    expect_contents(p, "hello");
    DlaMapped m;
    CU_ASSERT_EQUAL_FATAL(dla_file_map(p, &m, &e), DLA_OK);
    CU_ASSERT_EQUAL(m.size, 5);
    CU_ASSERT(memcmp(m.data, "hello", 5) == 0);
    dla_file_unmap(&m);
    /* empty files map to an empty buffer */
    CU_ASSERT_EQUAL_FATAL(dla_file_write(p, "", 0, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_file_map(p, &m, &e), DLA_OK);
    CU_ASSERT_EQUAL(m.size, 0);
    dla_file_unmap(&m);
    CU_ASSERT_EQUAL(count_entries(), 1);
    unlink(p);
    rmdir(dir);
}

static void expect_refused(const char *path, const char *what)
{
    DlaError e = {0};
    char *d = NULL;
    size_t n;
    CU_ASSERT_NOT_EQUAL(dla_file_read(path, &d, &n, &e), DLA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, what));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, path));
    DlaMapped m;
    dla_error_clear(&e);
    CU_ASSERT_NOT_EQUAL(dla_file_map(path, &m, &e), DLA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, what));
}

/* /dev/zero would be read until memory runs out, a FIFO with no writer would
 * block forever: both are refused at once (the test has a CTest timeout). */
static void test_refuse_special(void)
{
    expect_refused("/dev/zero", "not a regular file");
    expect_refused("/tmp", "is a directory");
    make_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/fifo", dir);
    CU_ASSERT_EQUAL_FATAL(mkfifo(p, 0600), 0);
    expect_refused(p, "not a regular file");
    unlink(p);
    snprintf(p, sizeof p, "%s/absent", dir);
    expect_refused(p, "cannot open");
    rmdir(dir);
}

/* A write that fails midway (the file-size limit, as `ulimit -f` sets it)
 * must leave the previous file intact and no temporary behind. Run in a child
 * so that the limit does not outlive the test. */
static void test_atomic_write(void)
{
    make_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/out.dla", dir);
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_file_write(p, "previous good file", 18, &e), DLA_OK);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG instead of killing us */
        struct rlimit rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        size_t big = 1 << 20;
        char *b = calloc(big, 1);
        DlaError ce = {0};
        DlaStatus st = dla_file_write(p, b, big, &ce);
        free(b);
        _exit(st == DLA_ERR_IO && strstr(ce.msg, "unchanged") ? 0 : 1);
    }
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    expect_contents(p, "previous good file");
    CU_ASSERT_EQUAL(count_entries(), 1); /* no temporary left */
    /* a folder that does not exist: an error naming the path, nothing created */
    char q[600];
    snprintf(q, sizeof q, "%s/no/such/dir/x.dla", dir);
    dla_error_clear(&e);
    CU_ASSERT_EQUAL(dla_file_write(q, "x", 1, &e), DLA_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, q));
    unlink(p);
    rmdir(dir);
}

/* A write over a file that is mapped (an output naming its own input) keeps
 * the mapping's contents: the new file is a new inode. */
static void test_write_over_mapped(void)
{
    make_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/w.bin", dir);
    DlaError e = {0};
    char big[8192];
    memset(big, 'w', sizeof big);
    CU_ASSERT_EQUAL_FATAL(dla_file_write(p, big, sizeof big, &e), DLA_OK);
    DlaMapped m;
    CU_ASSERT_EQUAL_FATAL(dla_file_map(p, &m, &e), DLA_OK);
    CU_ASSERT_EQUAL_FATAL(dla_file_write(p, "", 0, &e), DLA_OK);
    const char *c = m.data;
    CU_ASSERT(m.size == sizeof big && c[0] == 'w' && c[sizeof big - 1] == 'w'); /* no SIGBUS, same bytes */
    dla_file_unmap(&m);
    unlink(p);
    rmdir(dir);
}

/* DlaOutFile: the old file stays until a committed close replaces it; an
 * aborted one leaves nothing behind. */
static void test_out_file(void)
{
    make_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/o.json", dir);
    DlaError e = {0};
    CU_ASSERT_EQUAL_FATAL(dla_file_write(p, "old", 3, &e), DLA_OK);
    DlaOutFile o;
    CU_ASSERT_EQUAL_FATAL(dla_out_open(&o, p, &e), DLA_OK);
    fputs("new contents", o.f);
    expect_contents(p, "old"); /* not replaced before the close */
    CU_ASSERT_EQUAL(dla_out_close(&o, 0, &e), DLA_OK); /* aborted */
    expect_contents(p, "old");
    CU_ASSERT_EQUAL(count_entries(), 1);
    CU_ASSERT_EQUAL_FATAL(dla_out_open(&o, p, &e), DLA_OK);
    fputs("new contents", o.f);
    CU_ASSERT_EQUAL(dla_out_close(&o, 1, &e), DLA_OK);
    expect_contents(p, "new contents");
    CU_ASSERT_EQUAL(count_entries(), 1);
    CU_ASSERT(dla_path_same_file(p, p));
    CU_ASSERT(!dla_path_same_file(p, dir));
    /* stdout: nothing to create or rename */
    CU_ASSERT_EQUAL(dla_out_open(&o, NULL, &e), DLA_OK);
    CU_ASSERT_PTR_EQUAL(o.f, stdout);
    CU_ASSERT_EQUAL(dla_out_close(&o, 1, &e), DLA_OK);
    unlink(p);
    rmdir(dir);
}

void dla_register_tests(void)
{
    DLA_SUITE("support_file", {"read_regular", test_read_regular}, {"refuse_special", test_refuse_special},
              {"atomic_write", test_atomic_write}, {"write_over_mapped", test_write_over_mapped},
              {"out_file", test_out_file});
}
