/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * diagnostics.c - the diagnostics list: append, count, format.
 */
#include "util/diagnostics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/buf.h"
#include "util/xmem.h"

void
fl_diags_init(struct fl_diags *d)
{
	d->v = NULL;
	d->n = d->cap = 0;
	d->nerrors = d->nwarnings = 0;
}

void
fl_diags_done(struct fl_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	fl_diags_init(d);
}

int
fl_diags_add(struct fl_diags *d, enum fl_diag_sev sev, const char *file,
             int line, int col, const char *path, const char *fmt, ...)
{
	struct fl_diag *g;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->v = fl_xgrow(d->v, &d->cap, d->n + 1, sizeof(*d->v));
	g = &d->v[d->n++];
	g->sev = sev;
	g->file = file ? fl_xstrdup(file) : NULL;
	g->line = line;
	g->col = col;
	g->path = path && *path ? fl_xstrdup(path) : NULL;
	g->msg = fl_xstrdup(msg);
	if (sev == FL_DIAG_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
	return sev == FL_DIAG_ERROR ? -1 : 0;
}

char *
fl_diag_format(const struct fl_diag *g)
{
	struct fl_buf b;

	fl_buf_init(&b, 1 << 16);
	if (g->file) {
		fl_buf_puts(&b, g->file);
		if (g->line > 0)
			fl_buf_printf(&b, ":%d:%d", g->line, g->col);
		fl_buf_puts(&b, ": ");
	}
	if (g->path)
		fl_buf_printf(&b, "%s: ", g->path);
	fl_buf_puts(&b, g->msg);
	return fl_buf_steal(&b);
}
