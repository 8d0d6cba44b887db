/* target_dir.c - where shipped targets (NAME.xml) are found, relocatably:
 *
 *   1. $DLACC_TARGETS, when set;
 *   2. beside the binary that holds this code: the shared library (dladdr) or
 *      the executable (/proc/self/exe) it is linked into, at the install
 *      layout's relative path from bin/ or lib/ to share/dlacc/targets, so an
 *      installed tree works wherever it is copied to;
 *   3. the source tree's targets/ (a build tree, tests).
 *
 * The relative paths come from the build (GNUInstallDirs); the answer is
 * computed once per process (pthread_once), so concurrent callers agree. */
#include "target.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DLA_TARGETS_DIR
#define DLA_TARGETS_DIR "targets"
#endif
#ifndef DLA_TARGETS_REL_BIN
#define DLA_TARGETS_REL_BIN "../share/dlacc/targets"
#endif
#ifndef DLA_TARGETS_REL_LIB
#define DLA_TARGETS_REL_LIB "../share/dlacc/targets"
#endif

static char installed_dir[PATH_MAX];
static pthread_once_t installed_once = PTHREAD_ONCE_INIT;

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder of the file that holds this function, symlinks resolved. */
static int self_dir(char *out, size_t n)
{
    char raw[PATH_MAX] = "";
    Dl_info di;
    /* For the main executable glibc reports an empty or relative name: use /proc/self/exe. */
    if (dladdr((void *)(uintptr_t)&self_dir, &di) && di.dli_fname && di.dli_fname[0] == '/')
        snprintf(raw, sizeof raw, "%s", di.dli_fname);
    else {
        ssize_t k = readlink("/proc/self/exe", raw, sizeof raw - 1);
        if (k <= 0)
            return 0;
        raw[k] = 0;
    }
    char real[PATH_MAX];
    if (!realpath(raw, real))
        return 0;
    char *slash = strrchr(real, '/');
    if (!slash)
        return 0;
    *slash = 0;
    snprintf(out, n, "%s", real[0] ? real : "/");
    return 1;
}

static void find_installed(void)
{
    char dir[PATH_MAX];
    if (!self_dir(dir, sizeof dir))
        return;
    const char *rels[2] = {DLA_TARGETS_REL_BIN, DLA_TARGETS_REL_LIB};
    for (int i = 0; i < 2; i++) {
        char cand[PATH_MAX + 64];
        int k = snprintf(cand, sizeof cand, "%s/%s", dir, rels[i]);
        if (k > 0 && (size_t)k < sizeof installed_dir && is_dir(cand)) {
            memcpy(installed_dir, cand, (size_t)k + 1);
            return;
        }
    }
}

const char *dla_target_dir(void)
{
    const char *e = getenv("DLACC_TARGETS");
    if (e && e[0])
        return e;
    pthread_once(&installed_once, find_installed);
    return installed_dir[0] ? installed_dir : DLA_TARGETS_DIR;
}
