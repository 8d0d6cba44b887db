/* dla_file.c - see dla_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "dla_file.h"
#include "dla_mem.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Open path for reading, refusing what is not a regular file: a character
 * device (/dev/zero) would be read until memory runs out, and a FIFO without a
 * writer would block forever (opened non-blocking, so that the check itself
 * cannot hang). On success *fd is open and *size is the file's size. */
static DlaStatus open_regular(const char *path, int *fd, size_t *size, struct stat *out_st, DlaError *err)
{
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return dla_errorf(err, DLA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    DlaStatus s = DLA_OK;
    if (fstat(*fd, &st) != 0)
        s = dla_errorf(err, DLA_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = dla_errorf(err, DLA_ERR_IO, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
    else if ((uint64_t)st.st_size > DLA_FILE_MAX_BYTES)
        s = dla_errorf(err, DLA_ERR_LIMIT, "%s: %llu bytes, more than dlacc reads (%llu)", path,
                       (unsigned long long)st.st_size, (unsigned long long)DLA_FILE_MAX_BYTES);
    if (s) {
        close(*fd);
        *fd = -1;
        return s;
    }
    int fl = fcntl(*fd, F_GETFL);
    if (fl >= 0)
        fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK);
    *size = (size_t)st.st_size;
    if (out_st)
        *out_st = st;
    return DLA_OK;
}

DlaStatus dla_file_read(const char *path, char **data, size_t *size, DlaError *err)
{
    size_t want;
    int fd;
    DlaStatus s = open_regular(path, &fd, &want, NULL, err);
    if (s)
        return s;
    /* The size can change while we read (a file being written): read what is
     * there, but never more than the limit. */
    size_t cap = want + 2 > ((size_t)1 << 16) ? want + 2 : (size_t)1 << 16, n = 0; /* +2: room to see EOF */
    char *buf = dla_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > DLA_FILE_MAX_BYTES) {
                free(buf);
                close(fd);
                return dla_errorf(err, DLA_ERR_LIMIT, "%s: grew past %llu bytes while being read", path,
                                  (unsigned long long)DLA_FILE_MAX_BYTES);
            }
            cap *= 2;
            buf = dla_realloc(buf, cap);
        }
        ssize_t got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return dla_errorf(err, DLA_ERR_IO, "%s: read error: %s", path, strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = 0;
    *data = buf;
    *size = n;
    return DLA_OK;
}

DlaStatus dla_file_map(const char *path, DlaMapped *out, DlaError *err)
{
    out->data = NULL;
    out->size = 0;
    out->is_mmap = 0;
    size_t size;
    int fd;
    struct stat st;
    DlaStatus s = open_regular(path, &fd, &size, &st, err);
    if (s)
        return s;
    out->dev = (uint64_t)st.st_dev;
    out->ino = (uint64_t)st.st_ino;
    if (size == 0) { /* mmap refuses length 0: an empty, NUL-terminated buffer */
        close(fd);
        out->data = dla_calloc(1, 1);
        return DLA_OK;
    }
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return dla_errorf(err, DLA_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    out->data = p;
    out->size = size;
    out->is_mmap = 1;
    return DLA_OK;
}

void dla_file_unmap(DlaMapped *m)
{
    if (!m->data)
        return;
    if (m->is_mmap)
        munmap(m->data, m->size);
    else
        free(m->data);
    m->data = NULL;
    m->size = 0;
}

/* A temporary file beside path (".NAME.XXXXXX" in its folder), opened for
 * writing with the permissions fopen(path, "w") would give. */
static DlaStatus make_temp(const char *path, char **tmp, int *fd, DlaError *err)
{
    char *dir = dla_path_dirname(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    *tmp = dla_malloc(strlen(dir) + strlen(base) + 16);
    sprintf(*tmp, "%s/.%s.XXXXXX", dir, base);
    free(dir);
    *fd = mkstemp(*tmp);
    if (*fd < 0) {
        DlaStatus st = dla_errorf(err, DLA_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return st;
    }
    mode_t um = umask(0);
    umask(um);
    fchmod(*fd, 0666 & ~um);
    return DLA_OK;
}

/* Rename the finished temporary over path, or remove it when e (an errno) is
 * set; frees tmp. */
static DlaStatus finish_temp(const char *path, char *tmp, int e, DlaError *err)
{
    if (!e && rename(tmp, path) != 0)
        e = errno;
    DlaStatus st = DLA_OK;
    if (e) {
        unlink(tmp);
        st = dla_errorf(err, DLA_ERR_IO, "%s: write error: %s (the previous file, if any, is unchanged)", path,
                        strerror(e));
    }
    free(tmp);
    return st;
}

DlaStatus dla_file_write(const char *path, const void *data, size_t size, DlaError *err)
{
    /* Write a temporary file beside the target, then rename it over the
     * target: a failed or interrupted write never leaves a truncated file and
     * never destroys the previous one, and an input that is mapped (weights
     * read through dla_file_map) keeps its old contents even when the output
     * names the same file. */
    char *tmp;
    int fd;
    DlaStatus st = make_temp(path, &tmp, &fd, err);
    if (st)
        return st;
    const char *p = data;
    size_t left = size;
    int e = 0;
    while (left > 0) {
        ssize_t put = write(fd, p, left);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0) {
            e = put < 0 ? errno : EIO;
            break;
        }
        p += put;
        left -= (size_t)put;
    }
    if (close(fd) != 0 && !e)
        e = errno;
    return finish_temp(path, tmp, e, err);
}

DlaStatus dla_out_open(DlaOutFile *o, const char *path, DlaError *err)
{
    memset(o, 0, sizeof *o);
    if (!path || !strcmp(path, "-")) {
        o->f = stdout;
        return DLA_OK;
    }
    int fd;
    DlaStatus st = make_temp(path, &o->tmp, &fd, err);
    if (st)
        return st;
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        st = finish_temp(path, o->tmp, e, err);
        o->tmp = NULL;
        return st;
    }
    o->path = dla_strdup(path);
    return DLA_OK;
}

DlaStatus dla_out_close(DlaOutFile *o, int commit, DlaError *err)
{
    DlaStatus st = DLA_OK;
    if (!o->f)
        return DLA_OK;
    if (!o->tmp) { /* stdout */
        if (fflush(o->f) != 0 && commit)
            st = dla_errorf(err, DLA_ERR_IO, "stdout: write error: %s", strerror(errno));
    } else {
        int e = ferror(o->f) ? EIO : 0;
        if (fclose(o->f) != 0 && !e)
            e = errno;
        if (!commit && !e)
            e = ECANCELED;
        st = finish_temp(o->path, o->tmp, e, commit ? err : NULL);
        if (!commit)
            st = DLA_OK;
        free(o->path);
    }
    memset(o, 0, sizeof *o);
    return st;
}

int dla_path_is_file(const char *path, uint64_t dev, uint64_t ino)
{
    struct stat st;
    return path && stat(path, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

int dla_path_same_file(const char *a, const char *b)
{
    struct stat st;
    return a && b && stat(a, &st) == 0 && dla_path_is_file(b, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
}

char *dla_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return dla_strdup(".");
    if (slash == path)
        return dla_strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = dla_malloc(n + 1);
    memcpy(d, path, n);
    d[n] = 0;
    return d;
}

char *dla_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = dla_malloc(a + b + 2);
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}
