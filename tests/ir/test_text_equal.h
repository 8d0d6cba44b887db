/* test_text_equal.h - structural equality of two IrGraphs, for round-trip tests.
 * Values are matched by name (the text form does not keep value indices), nodes
 * by position. With `b_elided`, constants of `a` may appear in `b` as elided
 * values carrying the checksum of a's data. */
#ifndef DLA_TEST_TEXT_EQUAL_H
#define DLA_TEST_TEXT_EQUAL_H

#include <stddef.h>

#include "ir.h"

/* 1 if equal; else 0 with the first difference described in why. */
int ir_test_graph_equal(const IrGraph *a, const IrGraph *b, int b_elided, char *why, size_t n);

#endif
