/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * change_event.c - accessors for captured changes. Changes are built by
 * capture.c in one allocation; freeing is one free().
 */
#include "source/change_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/pgoutput.h"

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

const char *
fl_change_op_name(enum fl_change_op op)
{
	static const char *const names[] = { "insert", "update", "delete",
		                             "truncate", "relation" };

	return (size_t)op < FL_ARRAY_LEN(names) ? names[op] : "?";
}

/* The key values of one image ("42", "1,2"; "?" when not there). */
static void
change_key(const struct fl_change *c, const struct fl_cval *v, char *out,
           size_t n)
{
	const struct fl_track_table *t = c->table;
	size_t i, len = 0, nk = t->npk ? t->npk : t->root_key ? 1 : 0;

	out[0] = '\0';
	for (i = 0; i < nk && len < n; i++) {
		const char *col = t->npk ? t->pk[i] : t->root_key;
		const char *val = change_get(c, v, col);
		int w = snprintf(out + len, n - len, "%s%s", i ? "," : "",
		                 val ? val : "?");

		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (!out[0])
		snprintf(out, n, "?");
}

void
fl_change_trace_id(const struct fl_change *c, char *out, size_t n)
{
	char lsn[32], key[256], old[256];
	int has_new = c->op == FL_CHANGE_INSERT || c->op == FL_CHANGE_UPDATE;

	fl_lsn_format(c->commit_lsn, lsn, sizeof(lsn));
	if (!c->table) {
		snprintf(out, n, "lsn=%s xid=%u pos=%u op=%s", lsn, c->xid,
		         c->pos, fl_change_op_name(c->op));
		return;
	}
	key[0] = old[0] = '\0';
	if (c->op != FL_CHANGE_RELATION)
		change_key(c, has_new ? c->newv : c->oldv, key, sizeof(key));
	if (c->op == FL_CHANGE_UPDATE && c->old_kind)
		change_key(c, c->oldv, old, sizeof(old));
	snprintf(out, n, "lsn=%s xid=%u pos=%u table=%s.%s op=%s%s%s%s%s", lsn,
	         c->xid, c->pos, c->table->schema, c->table->table,
	         fl_change_op_name(c->op), key[0] ? " key=" : "", key,
	         old[0] && strcmp(old, key) ? " old_key=" : "",
	         old[0] && strcmp(old, key) ? old : "");
}
