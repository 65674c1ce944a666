/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * diagnostics.h - a list of diagnostics (errors and warnings) with positions.
 *
 * Owns: collecting every problem found while loading or checking, so a
 * user sees all of them at once, each as
 *   file:line:column: key.path: message
 * Does not print anything itself; callers render the list.
 */
#ifndef FL_DIAGNOSTICS_H
#define FL_DIAGNOSTICS_H

#include <stddef.h>

#include "util/fl.h"

/* A 1-based source position (0 = unknown). */
struct fl_pos {
	int line, col;
};

enum fl_diag_sev {
	FL_DIAG_ERROR,
	FL_DIAG_WARNING,
};

struct fl_diag {
	enum fl_diag_sev sev;
	char *file;    /* may be NULL */
	int line, col; /* 0 when unknown */
	char *path;    /* key path, may be NULL */
	char *msg;
};

struct fl_diags {
	struct fl_diag *v;
	size_t n, cap;
	size_t nerrors, nwarnings;
};

void fl_diags_init(struct fl_diags *d);
void fl_diags_done(struct fl_diags *d);
/* Add a diagnostic; returns -1 for an error, 0 for a warning. */
int fl_diags_add(struct fl_diags *d, enum fl_diag_sev sev, const char *file,
                 int line, int col, const char *path, const char *fmt, ...)
    FL_PRINTF(7, 8);
/* "file:line:col: path: msg" (parts omitted when absent); caller frees. */
char *fl_diag_format(const struct fl_diag *g);

#endif
