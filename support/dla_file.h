/* dla_file.h - reading whole files and mapping large ones read-only. */
#ifndef DLA_FILE_H
#define DLA_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "dla_err.h"

typedef struct DlaMapped {
    void *data;
    size_t size;
    int is_mmap; /* 1: munmap on release, 0: free() */
    uint64_t dev, ino; /* the file's identity (st_dev, st_ino), for same-file checks */
} DlaMapped;

/* The largest file dlacc reads into memory or maps (bytes): above it a read
 * fails with DLA_ERR_LIMIT instead of exhausting memory. 16 GiB leaves room
 * for a DRAM image of the largest target plus weights. */
#define DLA_FILE_MAX_BYTES ((uint64_t)16 << 30)

/* Readers accept regular files only: a device (/dev/zero) or a FIFO is refused
 * with a clear error instead of reading forever or blocking. */

/* Map a whole file read-only (an empty file gives an empty buffer). */
DlaStatus dla_file_map(const char *path, DlaMapped *out, DlaError *err);
void dla_file_unmap(DlaMapped *m);
/* Read a whole file into malloc'd memory (NUL-terminated for text use). */
DlaStatus dla_file_read(const char *path, char **data, size_t *size, DlaError *err);
/* Write a whole file atomically: a temporary file in the same folder renamed
 * over path, so that a failure leaves the previous file intact and no partial
 * file behind. */
DlaStatus dla_file_write(const char *path, const void *data, size_t size, DlaError *err);
/* An output written through a FILE* but committed atomically like
 * dla_file_write: dla_out_open creates a temporary beside path (path NULL or
 * "-": stdout, nothing to commit); dla_out_close(o, 1, err) flushes, closes and
 * renames it over path, dla_out_close(o, 0, err) throws it away. Either way the
 * previous file stays intact until a complete new one replaces it. */
typedef struct DlaOutFile {
    FILE *f;
    char *path, *tmp; /* NULL for stdout */
} DlaOutFile;
DlaStatus dla_out_open(DlaOutFile *o, const char *path, DlaError *err);
DlaStatus dla_out_close(DlaOutFile *o, int commit, DlaError *err);

/* 1 if both paths name the same existing file (device and inode). */
int dla_path_same_file(const char *a, const char *b);
/* 1 if path names the existing file (dev, ino). */
int dla_path_is_file(const char *path, uint64_t dev, uint64_t ino);

/* Directory part of a path ("a/b/c.onnx" -> "a/b", "c.onnx" -> "."), malloc'd. */
char *dla_path_dirname(const char *path);
/* Join dir and name, malloc'd. */
char *dla_path_join(const char *dir, const char *name);

#endif
