/* dla_file.c - see dla_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "dla_file.h"
#include "dla_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

DlaStatus dla_file_read(const char *path, char **data, size_t *size, DlaError *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dla_errorf(err, DLA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = dla_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = dla_realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return dla_errorf(err, DLA_ERR_IO, "%s: read error", path);
    }
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
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return dla_errorf(err, DLA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED)
            return dla_errorf(err, DLA_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        out->data = p;
        out->size = (size_t)st.st_size;
        out->is_mmap = 1;
        return DLA_OK;
    }
    close(fd);
    if (S_ISDIR(st.st_mode))
        return dla_errorf(err, DLA_ERR_IO, "%s: is a directory", path);
    char *d;
    size_t n;
    DlaStatus s = dla_file_read(path, &d, &n, err);
    if (s)
        return s;
    out->data = d;
    out->size = n;
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

DlaStatus dla_file_write(const char *path, const void *data, size_t size, DlaError *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return dla_errorf(err, DLA_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    int bad = put != size;
    if (fclose(f) != 0)
        bad = 1;
    if (bad)
        return dla_errorf(err, DLA_ERR_IO, "%s: write error", path);
    return DLA_OK;
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
