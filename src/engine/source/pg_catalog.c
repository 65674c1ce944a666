/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_catalog.c - column types, primary keys and replica identities of the
 * tables the enabled indexes read, loaded in one catalog query whatever
 * the number of tables (the table list is bound as two text arrays).
 *
 * Used by doc_build.c (casts and value wrappers) and resolve.c (hop
 * casts, identity coverage). One catalog per user; read-only once
 * loaded, so it may be shared by threads after loading.
 */
#include "source/pg_catalog.h"

#include <stdlib.h>
#include <string.h>

#include "source/pg_conn.h"
#include "util/buf.h"
#include "util/xmem.h"

/* Base types: domains resolved one level (a domain over a domain is
 * rare; its base then reads as "" and gets no wrapper). Names only for
 * pg_catalog types so a user type called "numeric" is not mistaken. */
static const char dbcat_sql[] =
    "SELECT r.s, r.t, a.attname, format_type(a.atttypid, a.atttypmod), "
    "CASE WHEN bt.typnamespace = 'pg_catalog'::regnamespace "
    "THEN bt.typname::text ELSE '' END, "
    "CASE WHEN et.typnamespace = 'pg_catalog'::regnamespace "
    "THEN et.typname::text ELSE '' END, "
    "bt.typcategory, "
    "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND "
    "i.indisprimary AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum), "
    "CASE c.relreplident WHEN 'f' THEN true "
    "WHEN 'd' THEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = "
    "c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) "
    "WHEN 'i' THEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = "
    "c.oid AND i.indisreplident AND a.attnum = ANY (i.indkey)) "
    "ELSE false END "
    "FROM unnest($1::text[], $2::text[]) AS r(s, t) "
    "JOIN pg_namespace n ON n.nspname = r.s "
    "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.t "
    "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "AND NOT a.attisdropped "
    "JOIN pg_type t ON t.oid = a.atttypid "
    "JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' "
    "THEN t.typbasetype ELSE t.oid END "
    "LEFT JOIN pg_type e0 ON e0.oid = bt.typelem AND bt.typcategory = 'A' "
    "LEFT JOIN pg_type et ON et.oid = CASE WHEN e0.typtype = 'd' "
    "THEN e0.typbasetype ELSE e0.oid END";

/* An empty catalog. */
void
fl_dbcat_init(struct fl_dbcat *c)
{
	memset(c, 0, sizeof(*c));
}

/* Free every column, keep the array. */
static void
dbcat_clear(struct fl_dbcat *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct fl_dbcat_col *x = &c->v[i];

		free(x->schema);
		free(x->table);
		free(x->column);
		free(x->type);
		free(x->base);
		free(x->elem);
	}
	c->n = 0;
	c->sorted = 0;
}

/* Free everything. */
void
fl_dbcat_done(struct fl_dbcat *c)
{
	dbcat_clear(c);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Copy one column in; the catalog is re-sorted on the next lookup. */
void
fl_dbcat_add(struct fl_dbcat *c, const char *schema, const char *table,
             const char *column, const char *type, const char *base,
             const char *elem, char category, int pk, int ident)
{
	struct fl_dbcat_col *x;

	c->v = fl_xgrow(c->v, &c->cap, c->n + 1, sizeof(*c->v));
	x = &c->v[c->n++];
	x->schema = fl_xstrdup(schema);
	x->table = fl_xstrdup(table);
	x->column = fl_xstrdup(column);
	x->type = fl_xstrdup(type);
	x->base = fl_xstrdup(base ? base : "");
	x->elem = elem && *elem ? fl_xstrdup(elem) : NULL;
	x->category = category;
	x->pk = pk;
	x->ident = ident;
	c->sorted = 0;
}

static int
dbcat_cmp3(const char *s1, const char *t1, const char *c1, const char *s2,
           const char *t2, const char *c2)
{
	int r = strcmp(s1, s2);

	if (!r)
		r = strcmp(t1, t2);
	if (!r && c1 && c2)
		r = strcmp(c1, c2);
	return r;
}

/* qsort order: schema, table, column. */
static int
dbcat_cmp(const void *a, const void *b)
{
	const struct fl_dbcat_col *x = a, *y = b;

	return dbcat_cmp3(x->schema, x->table, x->column, y->schema, y->table,
	                  y->column);
}

/* Sort once after additions. */
static void
dbcat_sort(struct fl_dbcat *c)
{
	if (!c->sorted && c->n)
		qsort(c->v, c->n, sizeof(*c->v), dbcat_cmp);
	c->sorted = 1;
}

/* First entry >= (schema, table, column); column NULL: the table's
 * first. Sorts on first use (single-threaded until loaded). */
static size_t
dbcat_lower(const struct fl_dbcat *c, const char *schema, const char *table,
            const char *column)
{
	size_t lo = 0, hi = c->n;

	if (!c->sorted) {
		union {
			const struct fl_dbcat *c;
			struct fl_dbcat *m;
		} u;

		u.c = c;
		dbcat_sort(u.m);
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct fl_dbcat_col *x = &c->v[mid];
		int r = dbcat_cmp3(x->schema, x->table, column ? x->column : "",
		                   schema, table, column ? column : "");

		if (!column && !r)
			r = 1; /* any column of the table is >= (s, t) */
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Binary search for one column; NULL when unknown. */
const struct fl_dbcat_col *
fl_dbcat_find(const struct fl_dbcat *c, const char *schema, const char *table,
              const char *column)
{
	size_t i;

	if (!c->n || !column)
		return NULL;
	i = dbcat_lower(c, schema, table, column);
	if (i < c->n && !dbcat_cmp3(c->v[i].schema, c->v[i].table,
	                            c->v[i].column, schema, table, column))
		return &c->v[i];
	return NULL;
}

/* Does any column of (schema, table) exist? */
int
fl_dbcat_has_table(const struct fl_dbcat *c, const char *schema,
                   const char *table)
{
	size_t i;

	if (!c->n)
		return 0;
	i = dbcat_lower(c, schema, table, NULL);
	return i < c->n && !dbcat_cmp3(c->v[i].schema, c->v[i].table, NULL,
	                               schema, table, NULL);
}

/* The column flagged as the single-column primary key. */
const char *
fl_dbcat_pk(const struct fl_dbcat *c, const char *schema, const char *table)
{
	size_t i;

	if (!c->n)
		return NULL;
	for (i = dbcat_lower(c, schema, table, NULL);
	     i < c->n && !strcmp(c->v[i].schema, schema) &&
	     !strcmp(c->v[i].table, table);
	     i++)
		if (c->v[i].pk)
			return c->v[i].column;
	return NULL;
}

/* Transient SQLSTATEs (source.md §1.7) give FL_ERR_PG. */
enum fl_err_code
fl_dbcat_errcode(const char *sqlstate)
{
	static const char *const transient[] = { "57P01", "57P02", "57P03",
		                                 "40001", "40P01", "53300" };
	size_t i;

	if (!sqlstate || !*sqlstate || !strncmp(sqlstate, "08", 2))
		return FL_ERR_PG;
	for (i = 0; i < FL_ARRAY_LEN(transient); i++)
		if (!strcmp(sqlstate, transient[i]))
			return FL_ERR_PG;
	return FL_ERR_CONFIG;
}

/* One catalog query for all tables, bound as two text arrays. */
int
fl_dbcat_load(struct fl_dbcat *c, PGconn *conn, const char *const *schemas,
              const char *const *tables, size_t n, struct fl_err *err)
{
	struct fl_buf s, t;
	const char *params[2];
	char state[6];
	PGresult *r;
	int i;

	dbcat_clear(c);
	fl_buf_init(&s, (size_t)1 << 26);
	fl_buf_init(&t, (size_t)1 << 26);
	fl_pgconn_put_array(&s, schemas, n);
	fl_pgconn_put_array(&t, tables, n);
	params[0] = fl_buf_str(&s);
	params[1] = fl_buf_str(&t);
	r = fl_pgconn_query(conn, dbcat_sql, 2, params, state, err);
	fl_buf_done(&s);
	fl_buf_done(&t);
	if (!r) {
		if (err)
			err->code = fl_dbcat_errcode(state);
		return fl_err_prefix(err, "reading column types");
	}
	c->server_version = PQserverVersion(conn);
	for (i = 0; i < PQntuples(r); i++) {
		fl_dbcat_add(c, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		             PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		             PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
		             PQgetvalue(r, i, 6)[0],
		             fl_pgconn_get_bool(r, i, 7),
		             fl_pgconn_get_bool(r, i, 8));
	}
	PQclear(r);
	dbcat_sort(c);
	return 0;
}
