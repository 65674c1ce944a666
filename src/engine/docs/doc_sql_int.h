/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * doc_sql_int.h - what doc_sql.c (statements, relations) and doc_sql_value.c
 * (leaf values, filters) share while generating one index's SQL. Not
 * for other modules: they use doc_sql.h.
 */
#ifndef FL_DOC_SQL_INT_H
#define FL_DOC_SQL_INT_H

#include <stddef.h>

#include "config/schema.h"
#include "source/pg_catalog.h"
#include "source/pg_conn.h"
#include "util/buf.h"
#include "util/err.h"

#define FL_DOCSQL_MAX_SQL ((size_t)1 << 26)

/* One generation in progress. */
struct fl_docsql_gen {
	struct fl_buf *q; /* where the text goes */
	const struct fl_schema *s;
	const struct fl_dbcat *cat;
	const char *db;      /* the index's database schema */
	int alias;           /* relN counter */
	const char **params; /* $2.. operand texts */
	size_t nparams, pcap;
	struct fl_err *err;
	int failed; /* problems so far (the first is in err) */
};

static inline void
fl_docsql_puts(struct fl_docsql_gen *g, const char *s)
{
	fl_buf_puts(g->q, s);
}

/* "alias"."column" */
static inline void
fl_docsql_qcol(struct fl_docsql_gen *g, const char *alias, const char *col)
{
	fl_pgconn_put_ident(g->q, alias);
	fl_buf_putc(g->q, '.');
	fl_pgconn_put_ident(g->q, col);
}

/* doc_sql.c: record the first problem (generation goes on); a column of
 * a table in the index's schema, NULL after reporting; a bound operand,
 * returning its placeholder number. */
void fl_docsql_fail(struct fl_docsql_gen *g, const char *fmt, ...)
    FL_PRINTF(2, 3);
const struct fl_dbcat_col *fl_docsql_col(struct fl_docsql_gen *g,
                                         const char *table, const char *col);
size_t fl_docsql_param(struct fl_docsql_gen *g, const char *text);

/* doc_sql_value.c: a string literal; a column, two-column geo or constant
 * leaf on row "alias" of `table`; an aggregate result of column type c
 * (may be NULL) wrapped for rendering; " AND (<cond>)" per filter. */
void fl_docsql_val_literal(struct fl_buf *b, const char *s);
void fl_docsql_val_leaf(struct fl_docsql_gen *g, const struct fl_field *f,
                        const char *table, const char *alias);
void fl_docsql_val_agg(struct fl_docsql_gen *g, const struct fl_dbcat_col *c,
                       const char *x);
void fl_docsql_val_filters(struct fl_docsql_gen *g, const struct fl_filters *fs,
                           const char *table, const char *alias);

#endif
