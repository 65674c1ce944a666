/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * change_event.c - accessors for captured changes. Changes are built by
 * capture.c in one allocation; freeing is one free().
 */
#include "source/change_event.h"

#include <stdlib.h>

static const char *
change_get(const struct fl_change *c, const struct fl_cval *v, const char *col)
{
	int i;

	if (!v || !c->table)
		return NULL;
	i = fl_track_col(c->table, col);
	if (i < 0 || v[i].state != FL_CV_VALUE)
		return NULL;
	return v[i].text;
}

const char *
fl_change_new(const struct fl_change *c, const char *col)
{
	return change_get(c, c->newv, col);
}

const char *
fl_change_old(const struct fl_change *c, const char *col)
{
	return change_get(c, c->oldv, col);
}

void
fl_change_free(struct fl_change *c)
{
	free(c);
}
