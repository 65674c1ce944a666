/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_catalog.h - the catalog facts the document SQL and the resolver need
 * about the tables of the enabled indexes: each column's type (as
 * format_type spells it, for `$n::<type>` casts), its base type after
 * domains (to pick the value wrappers of source.md §14.2), whether it is
 * the table's single-column primary key, and whether it is part of the
 * replica identity (to know when an old tuple must carry it, §10.4).
 *
 * Owns: loading those facts for a list of tables in one query, and
 * looking them up. Unit tests fill a catalog by hand (fl_dbcat_add), so
 * SQL generation needs no database.
 * Does not own: validating the schema against the catalog (pg_check.c).
 */
#ifndef FL_PG_CATALOG_H
#define FL_PG_CATALOG_H

#include <stddef.h>

#include <libpq-fe.h>

#include "util/err.h"

struct fl_dbcat_col {
	char *schema, *table, *column;
	char *type;    /* format_type(): "bigint", "character varying(64)" */
	char *base;    /* pg_catalog base type after domains ("int8"), or "" */
	char *elem;    /* arrays: the element's base type name, else NULL */
	char category; /* pg_type.typcategory of the base type */
	int pk;        /* the table's primary key is exactly this column */
	int ident;     /* part of the table's replica identity */
};

struct fl_dbcat {
	struct fl_dbcat_col *v; /* sorted by (schema, table, column) */
	size_t n, cap;
	int sorted;
	int server_version; /* server_version_num; 0 = unknown (assume new) */
};

void fl_dbcat_init(struct fl_dbcat *c);
void fl_dbcat_done(struct fl_dbcat *c);

/* Add one column (tests; the loader). `elem` may be NULL. */
void fl_dbcat_add(struct fl_dbcat *c, const char *schema, const char *table,
                  const char *column, const char *type, const char *base,
                  const char *elem, char category, int pk, int ident);

/*
 * Load every column of the `n` tables (schemas[i], tables[i]) on
 * `conn`, replacing the contents. Tables that do not exist simply have
 * no columns (callers report what they miss). Returns 0 or -1 with err
 * (FL_ERR_PG transient, FL_ERR_CONFIG otherwise; see fl_dbcat_errcode).
 */
int fl_dbcat_load(struct fl_dbcat *c, PGconn *conn, const char *const *schemas,
                  const char *const *tables, size_t n, struct fl_err *err);

/* A column, or NULL. */
const struct fl_dbcat_col *fl_dbcat_find(const struct fl_dbcat *c,
                                         const char *schema, const char *table,
                                         const char *column);
/* Does the catalog know any column of the table? */
int fl_dbcat_has_table(const struct fl_dbcat *c, const char *schema,
                       const char *table);
/* The table's single-column primary key, or NULL (none or composite). */
const char *fl_dbcat_pk(const struct fl_dbcat *c, const char *schema,
                        const char *table);

/* The error code a failed statement deserves from its SQLSTATE (""
 * when the server sent none): FL_ERR_PG for transient failures
 * (class 08, 57P01-03, 40001, 40P01, 53300, no SQLSTATE), else
 * FL_ERR_CONFIG. */
enum fl_err_code fl_dbcat_errcode(const char *sqlstate);

#endif
