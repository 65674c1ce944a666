/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * t_diags.h - for unit tests: every diagnostic of a list formatted
 * (fl_diag_format), one per line, in one malloc'd string. Header-only;
 * nothing else.
 */
#ifndef FLUSSO_TESTS_T_DIAGS_H
#define FLUSSO_TESTS_T_DIAGS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diagnostics.h"

static inline char *
t_all(const struct fl_diags *d)
{
	size_t i, len = 1;
	char *out, *p;

	for (i = 0; i < d->n; i++) {
		char *s = fl_diag_format(&d->v[i]);

		len += strlen(s) + 1;
		free(s);
	}
	out = p = calloc(1, len);
	for (i = 0; i < d->n; i++) {
		char *s = fl_diag_format(&d->v[i]);

		p += snprintf(p, len - (size_t)(p - out), "%s\n", s);
		free(s);
	}
	return out;
}

#endif
