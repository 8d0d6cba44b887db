/* dla_version.h - the version of dlacc's libraries and headers: the single
 * source of the version number (the top-level CMakeLists.txt reads these
 * three lines into project(VERSION), hence SONAMEs, pkg-config and the CMake
 * package). dlacc_version() / dlart_version() return the version of the
 * library actually linked; compare them with these macros to detect a
 * header/library mismatch. */
#ifndef DLA_VERSION_H
#define DLA_VERSION_H

#define DLA_VERSION_MAJOR 0
#define DLA_VERSION_MINOR 1
#define DLA_VERSION_PATCH 0
#define DLA_VERSION_STRING "0.1.0"
/* One number that grows with every release: 10000 * major + 100 * minor + patch. */
#define DLA_VERSION_NUMBER (10000 * DLA_VERSION_MAJOR + 100 * DLA_VERSION_MINOR + DLA_VERSION_PATCH)

#endif
