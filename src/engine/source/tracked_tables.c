/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tracked_tables.c - which tables and columns the capture keeps (source.md §10.2).
 * Everything else in a WAL tuple is dropped as soon as it is decoded.
 */
#include "source/tracked_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/pg_conn.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xmem.h"

static int
track_cmp(const void *a, const void *b)
{
	const struct fl_track_table *x = a, *y = b;
	int c = strcmp(x->schema, y->schema);

	return c ? c : strcmp(x->table, y->table);
}

static int
track_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry for schema.table, created when missing (unsorted phase). */
static struct fl_track_table *
track_get(struct fl_track *t, size_t *cap, const char *schema,
          const char *table)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].schema, schema) &&
		    !strcmp(t->v[i].table, table))
			return &t->v[i];
	t->v = fl_xgrow(t->v, cap, t->n + 1, sizeof(*t->v));
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	t->v[t->n].schema = fl_xstrdup(schema);
	t->v[t->n].table = fl_xstrdup(table);
	return &t->v[t->n++];
}

static void
track_add_col(struct fl_track_table *tt, const char *col)
{
	size_t i;

	if (!col)
		return;
	for (i = 0; i < tt->ncols; i++)
		if (!strcmp(tt->cols[i], col))
			return;
	tt->cols = fl_xrealloc(tt->cols, (tt->ncols + 1) * sizeof(char *));
	tt->cols[tt->ncols++] = fl_xstrdup(col);
}

struct track_ctx {
	struct fl_track *t;
	size_t cap;
	const char *schema;
	const char *index; /* the index being walked */
};

/* The entry of a table the walked index reads (recorded there). */
static struct fl_track_table *
track_read(struct track_ctx *x, const char *table)
{
	struct fl_track_table *tt = track_get(x->t, &x->cap, x->schema, table);
	size_t i;

	for (i = 0; i < tt->nindexes; i++)
		if (!strcmp(tt->indexes[i], x->index))
			return tt;
	tt->indexes =
	    fl_xrealloc(tt->indexes, (tt->nindexes + 1) * sizeof(char *));
	tt->indexes[tt->nindexes++] = fl_xstrdup(x->index);
	return tt;
}

static void
track_fields(struct track_ctx *x, const struct fl_fields *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct fl_field *f = &fs->v[i];
		struct fl_track_table *tt;

		if (f->kind == FL_FIELD_OBJECT) {
			track_fields(x, &f->children);
		} else if (f->kind == FL_FIELD_JOIN) {
			tt = track_read(x, f->join.table);
			if (f->join.kind == FL_JOIN_BELONGS_TO ||
			    f->join.kind == FL_JOIN_MANY_TO_MANY)
				track_add_col(tt, f->join.primary_key);
			else
				track_add_col(tt, f->join.key);
			if (f->join.kind == FL_JOIN_MANY_TO_MANY) {
				tt = track_read(x, f->join.through.table);
				track_add_col(tt, f->join.through.left_key);
				track_add_col(tt, f->join.through.right_key);
			}
			track_fields(x, &f->children);
		} else if (f->kind == FL_FIELD_AGG) {
			tt = track_read(x, f->agg.table);
			track_add_col(tt, f->agg.foreign_key);
			if (f->agg.through.table) {
				tt = track_read(x, f->agg.through.table);
				track_add_col(tt, f->agg.through.left_key);
				track_add_col(tt, f->agg.through.right_key);
			}
		}
	}
}

void
fl_track_build(const struct fl_config *c, struct fl_track *out)
{
	struct track_ctx x = { out, 0, NULL, NULL };
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < c->nindexes; i++) {
		const struct fl_index_cfg *ix = &c->indexes[i];
		struct fl_track_table *root;

		if (!ix->enabled || !ix->schema)
			continue;
		x.schema = ix->schema->db_schema;
		x.index = ix->name;
		root = track_read(&x, ix->schema->table);
		root->is_root = 1;
		if (ix->schema->primary_key && !root->root_key)
			root->root_key = fl_xstrdup(ix->schema->primary_key);
		track_add_col(root, ix->schema->primary_key);
		track_fields(&x, &ix->schema->fields);
	}
	for (i = 0; i < out->n; i++)
		if (out->v[i].ncols)
			qsort(out->v[i].cols, out->v[i].ncols, sizeof(char *),
			      track_cmp_str);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), track_cmp);
}

/* Re-sort a table's needed columns after additions. */
static void
track_resort(struct fl_track_table *tt)
{
	if (tt->ncols)
		qsort(tt->cols, tt->ncols, sizeof(char *), track_cmp_str);
}

int
fl_track_load_catalog(PGconn *conn, struct fl_track *t, struct fl_err *err)
{
	static const char sql[] =
	    "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
	    "a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
	    "WHERE i.indrelid = to_regclass($1) AND i.indisprimary "
	    "ORDER BY array_position(i.indkey, a.attnum)";
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct fl_track_table *tt = &t->v[i];
		struct fl_buf q;
		const char *param;
		char sqlstate[6];
		PGresult *r;
		int row;

		fl_buf_init(&q, 1024);
		fl_pgconn_put_qualified(&q, tt->schema, tt->table);
		param = fl_buf_str(&q);
		r = fl_pgconn_query(conn, sql, 1, &param, sqlstate, err);
		fl_buf_done(&q);
		if (!r)
			return fl_err_prefix(err,
			                     "reading the primary key of "
			                     "%s.%s",
			                     tt->schema, tt->table);
		for (row = 0; row < PQntuples(r); row++) {
			tt->pk =
			    fl_xrealloc(tt->pk, (tt->npk + 1) * sizeof(char *));
			tt->pk[tt->npk++] = fl_xstrdup(PQgetvalue(r, row, 0));
			track_add_col(tt, PQgetvalue(r, row, 0));
		}
		PQclear(r);
		track_resort(tt);
		if (tt->is_root && !tt->root_key) {
			if (tt->npk != 1)
				return fl_err_set(
				    err, FL_ERR_CONFIG,
				    "table %s.%s has %s; declare a "
				    "single-column `primary_key`",
				    tt->schema, tt->table,
				    tt->npk ? "a composite primary key"
				            : "no primary key");
			tt->root_key = fl_xstrdup(tt->pk[0]);
		}
	}
	return 0;
}

void
fl_track_done(struct fl_track *t)
{
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		struct fl_track_table *tt = &t->v[i];

		for (j = 0; j < tt->ncols; j++)
			free(tt->cols[j]);
		for (j = 0; j < tt->npk; j++)
			free(tt->pk[j]);
		free(tt->cols);
		free(tt->pk);
		free(tt->schema);
		free(tt->table);
		free(tt->root_key);
		for (j = 0; j < tt->nindexes; j++)
			free(tt->indexes[j]);
		free(tt->indexes);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

const struct fl_track_table *
fl_track_find(const struct fl_track *t, const char *schema, const char *table)
{
	struct fl_track_table key;
	union {
		const char *c;
		char *m;
	} s, n;

	s.c = schema;
	n.c = table;
	key.schema = s.m;
	key.table = n.m;
	if (!t->n)
		return NULL;
	return bsearch(&key, t->v, t->n, sizeof(*t->v), track_cmp);
}

int
fl_track_col(const struct fl_track_table *t, const char *col)
{
	size_t lo = 0, hi = t->ncols;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->cols[mid], col);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
fl_track_trace_wants(const struct fl_track_table *t)
{
	char name[256];
	size_t i;

	if (!t)
		return fl_log_trace_wants(NULL, NULL);
	snprintf(name, sizeof(name), "%s.%s", t->schema, t->table);
	if (fl_log_trace_wants(NULL, name))
		return 1;
	for (i = 0; i < t->nindexes; i++)
		if (fl_log_trace_wants(t->indexes[i], NULL))
			return 1;
	return 0;
}
