/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * doc_sql.h - the SQL text of one index (source.md §13, §14.2, §16.3),
 * generated from the normalised schema and the catalog facts of
 * pg_catalog.h, without touching a database (unit tests call it directly).
 *
 * Owns: the documents statement (many root keys per execution, bound as
 * ONE text array `$1` cast to the root key's type; relation-filter,
 * soft-delete and root-filter operands follow as `$2..$n`, each cast to
 * its column's type), the keyset statements of the seeding key scan,
 * and the estimate statement's regclass text.
 * Does not own: running anything (doc_build.c).
 */
#ifndef FL_DOC_SQL_H
#define FL_DOC_SQL_H

#include <stddef.h>

#include "config/schema.h"
#include "source/pg_catalog.h"
#include "util/err.h"

/* More than this many fields in one object: jsonb concatenation. */
#define FL_DOCSQL_MAX_PAIRS 50

struct fl_docsql {
	/* SELECT "root"."<pk>"::text AS "doc_key", <OBJ> AS "document"
	 * FROM ... WHERE "root"."<pk>" = ANY($1::<T>[]) ... */
	char *sql;
	/* Texts of $2 .. $(nparams + 1), borrowed from the schema. */
	const char **params;
	size_t nparams;
	char *key;      /* the root key column */
	char *key_type; /* its format_type() */
	/* Key scan: first page ($1 = limit), next page ($1 = limit,
	 * $2 = the last key of the previous page). */
	char *scan_first, *scan_next;
	char *regclass; /* "schema"."table", for $1::regclass */
};

/*
 * Generate the SQL of schema `s` in database schema s->db_schema using
 * the catalog `cat`. The root key is s->primary_key, else the catalog's
 * single-column primary key. Fails (FL_ERR_CONFIG) when a table or a
 * column the SQL needs is not in the catalog, or a key the SQL needs is
 * missing or composite. `out` is filled on success only.
 */
int fl_docsql_gen(const struct fl_schema *s, const struct fl_dbcat *cat,
                  struct fl_docsql *out, struct fl_err *err);
void fl_docsql_done(struct fl_docsql *q);

#endif
