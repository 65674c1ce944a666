/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * version.h - versions of the libraries the engine links (for `flusso
 * version` and bug reports).
 */
#ifndef FL_VERSION_H
#define FL_VERSION_H

#include <stddef.h>

/* Write "  libpq 15.18\n  libcurl ...\n" lines into out (always terminated). */
void fl_version_libs(char *out, size_t n);

#endif
