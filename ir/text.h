/* text.h - the textual form of the IR: a printer and a parser that reads back
 * exactly what the printer writes (docs/ir.md has the grammar).
 *
 * Round trip: for every graph g that passes ir_verify,
 *   ir_print(ir_parse(ir_print(g))) == ir_print(g)   byte for byte,
 * and in full mode (elide_bytes == 0) the parsed graph equals g structurally,
 * constant data included. Value indices are not part of the text: the parser
 * numbers values in order of declaration.
 *
 * Elided constants: with elide_bytes > 0, a constant whose data is larger than
 * elide_bytes bytes prints as `elided(nbytes=N, checksum=0x...)` instead of its
 * data. The parser turns that into a value flagged IR_VAL_ELIDED *instead of*
 * IR_VAL_CONST (so no pass mistakes it for usable data); such a value keeps
 * nbytes = N and its `data` points to one graph-owned uint64_t holding the
 * checksum, so that printing it again reproduces the same line. */
#ifndef DLA_IR_TEXT_H
#define DLA_IR_TEXT_H

#include <stdio.h>

#include "ir.h"

typedef struct IrPrintOptions {
    /* Constants with more than this many bytes of data are elided (0: print all).
     * Strings and tensor-valued attributes are never elided. */
    size_t elide_bytes;
    /* Optional: a note for node n of the printed graph (not of its subgraphs),
     * written after the node as a '#' comment (so that the text still parses),
     * e.g. why the partition pass left the node on the host. NULL: no note.
     * The note must not contain a newline. */
    const char *(*node_note)(const IrGraph *g, int32_t n, void *arg);
    void *note_arg;
} IrPrintOptions;

/* Write g as text to f. opt may be NULL (full mode). Fails only on a write error
 * (DLA_ERR_IO). Invalid graphs (see ir_verify) still print, as far as possible, to
 * help debugging; such text need not parse back. */
DlaStatus ir_print(const IrGraph *g, FILE *f, const IrPrintOptions *opt);
/* The same into a malloc'd NUL-terminated string (*len without the NUL). */
DlaStatus ir_print_string(const IrGraph *g, const IrPrintOptions *opt, char **out, size_t *len,
                          DlaError *err);

/* Parse text (len bytes, need not be NUL-terminated). Errors are DLA_ERR_FORMAT with
 * "path:line:col: message". The result is not verified: call ir_verify. */
DlaStatus ir_parse(const char *text, size_t len, const char *path_for_errors, IrGraph **out,
                   DlaError *err);

/* ir_parse of a whole file; errors name path_for_errors (NULL: path), so that
 * a file read as /dev/stdin can say "<stdin>". */
DlaStatus ir_parse_file(const char *path, const char *path_for_errors, IrGraph **out, DlaError *err);

/* The 64-bit checksum of elided constants (definition in docs/ir.md). */
uint64_t ir_text_checksum(const void *data, size_t n);

#endif
