/* dla_file.h - reading whole files and mapping large ones read-only. */
#ifndef DLA_FILE_H
#define DLA_FILE_H

#include <stddef.h>
#include "dla_err.h"

typedef struct DlaMapped {
    void *data;
    size_t size;
    int is_mmap; /* 1: munmap on release, 0: free() */
} DlaMapped;

/* Map (or read, for pipes and empty files) a whole file. */
DlaStatus dla_file_map(const char *path, DlaMapped *out, DlaError *err);
void dla_file_unmap(DlaMapped *m);
/* Read a whole file into malloc'd memory (NUL-terminated for text use). */
DlaStatus dla_file_read(const char *path, char **data, size_t *size, DlaError *err);
DlaStatus dla_file_write(const char *path, const void *data, size_t size, DlaError *err);
/* Directory part of a path ("a/b/c.onnx" -> "a/b", "c.onnx" -> "."), malloc'd. */
char *dla_path_dirname(const char *path);
/* Join dir and name, malloc'd. */
char *dla_path_join(const char *dir, const char *name);

#endif
