/* dla_format_int.h - what the .dla reader (dla_format.c) and the program
 * validator (dla_validate.c) share. */
#ifndef DLA_ISA_DLA_FORMAT_INT_H
#define DLA_ISA_DLA_FORMAT_INT_H

#include "dla_format.h"

/* File offsets of the record arrays a program was read from, so that errors
 * name the record's file offset. */
typedef struct DlaFormatLoc {
    uint64_t code_off, tensors_off, layers_off, segments_off;
} DlaFormatLoc;

/* dla_program_validate, with file offsets in the messages (loc may be NULL). */
DlaStatus dla_program_validate_at(const DlaProgram *p, const DlaFormatLoc *loc, DlaError *err);

#endif
