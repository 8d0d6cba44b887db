/* dla_file.h - reading whole files and mapping large ones read-only. */
#ifndef DLA_FILE_H
#define DLA_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "dla_err.h"

typedef struct DlaMapped {
    void *data;
    size_t size;
    int is_mmap; /* 1: munmap on release, 0: free() */
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
/* Directory part of a path ("a/b/c.onnx" -> "a/b", "c.onnx" -> "."), malloc'd. */
char *dla_path_dirname(const char *path);
/* Join dir and name, malloc'd. */
char *dla_path_join(const char *dir, const char *name);

#endif
