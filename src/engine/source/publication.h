/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * publication.h - the tables flusso reads and whether the publication
 * covers them (source.md §4): the required set, read-only coverage
 * inspection, and the remediation SQL a human (or, later, the managed
 * start) would run.
 *
 * Owns: computing the required set from the enabled indexes, the §4.2
 * inspection queries with our §4.4 additions (publish flags, row filters,
 * column lists, partitioned tables through pg_partition_root and
 * publish_via_partition_root), the manageable/blockers verdict, and the
 * exact text of CREATE/ALTER PUBLICATION statements.
 * Does not own: running any DDL (never done here), turning problems into
 * diagnostics (pg_check.c), replica identity rules (pg_check.c).
 */
#ifndef FL_PUBLICATION_H
#define FL_PUBLICATION_H

#include <stddef.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "config/schema.h"
#include "util/err.h"

/* A qualified table (schema, table). */
struct fl_qtable {
	char *schema;
	char *table;
};

/* A set of qualified tables; sorted and unique after
 * fl_publication_tables_sort(). */
struct fl_qtables {
	struct fl_qtable *v;
	size_t n, cap;
};

void fl_publication_tables_init(struct fl_qtables *t);
void fl_publication_tables_done(struct fl_qtables *t);
/* Append a copy of (schema, table). */
void fl_publication_tables_add(struct fl_qtables *t, const char *schema,
                               const char *table);
/* Sort by schema then table (bytewise) and drop duplicates. */
void fl_publication_tables_sort(struct fl_qtables *t);
/* Index of (schema, table) in a sorted set, or -1. */
long fl_publication_tables_find(const struct fl_qtables *t, const char *schema,
                                const char *table);

/*
 * Add the tables one schema reads (unsorted): the root, the target of
 * every join and aggregate at any depth, and every `through` junction,
 * all qualified with the schema's db_schema (source.md §4.1).
 */
void fl_publication_required_schema(const struct fl_schema *s,
                                    struct fl_qtables *out);
/* The required set of every enabled index of `c`, sorted and unique.
 * `out` must be initialised. */
void fl_publication_required(const struct fl_config *c, struct fl_qtables *out);

/*
 * The one statement that covers `tables` (in the given order):
 *   CREATE PUBLICATION "<p>" FOR TABLE "<s>"."<t>", ...;
 * when the publication does not exist (with
 * " WITH (publish_via_partition_root = true)" before the ';' when
 * `via_root`), else
 *   ALTER PUBLICATION "<p>" ADD TABLE "<s>"."<t>", ...;
 * Identifiers are double-quoted with embedded '"' doubled. NULL when
 * `tables` is empty. Caller frees.
 */
char *fl_publication_sql_cover(const char *name, int exists,
                               const struct fl_qtables *tables, int via_root);
/* ALTER PUBLICATION "<p>" SET (publish = 'insert, update, delete,
 * truncate'); caller frees. */
char *fl_publication_sql_publish(const char *name);
/* ALTER PUBLICATION "<p>" SET (publish_via_partition_root = true);
 * caller frees. */
char *fl_publication_sql_via_root(const char *name);

/* What is wrong with an existing publication beyond missing tables
 * (source.md §4.4); each is a `check` Error. */
enum fl_pubprob_kind {
	FL_PUBPROB_PUBLISH,   /* a publish flag is off */
	FL_PUBPROB_ROWFILTER, /* a required table has a row filter */
	FL_PUBPROB_COLUMNS,   /* a required table has a column list */
	FL_PUBPROB_VIA_ROOT,  /* partitioned table, no via-root option */
};

struct fl_pubprob {
	enum fl_pubprob_kind kind;
	char *schema, *table; /* NULL for PUBLISH */
	char *msg;            /* the whole message */
	char *fix;            /* SQL, or NULL when only a human can decide */
};

/* Per required table, what the catalog says (for the verdict). */
struct fl_pubtable {
	int exists;      /* a table (relkind r or p) */
	int owned;       /* the role owns it (through membership) */
	int partitioned; /* relkind p */
	int identity;    /* has a usable replica identity */
};

struct fl_coverage {
	char *name;
	int exists; /* the publication exists */
	int owns;   /* the role owns it (through membership) */
	int pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot;
	int superuser, can_create;
	struct fl_qtables required; /* sorted */
	struct fl_pubtable *info;   /* parallel to required */
	struct fl_qtables present;  /* sorted, partition the required set */
	struct fl_qtables missing;
	int satisfied;  /* nothing missing */
	int manageable; /* flusso could provision the gap */
	char **blockers;
	size_t nblockers;
	/* CREATE or ALTER ... ADD for the missing tables that exist and have
	 * a replica identity (others would fail or break the application);
	 * NULL when there is nothing to add. */
	char *remediation;
	struct fl_pubprob *problems;
	size_t nproblems;
};

/*
 * Inspect coverage of `required` (sorted, unique) by publication `name`
 * on `conn`. Read-only. Fills `out` (initialised here; release with
 * fl_publication_coverage_done even on failure). Returns -1 with err
 * only when a catalog query fails.
 */
int fl_publication_inspect(PGconn *conn, const char *name,
                           const struct fl_qtables *required,
                           struct fl_coverage *out, struct fl_err *err);
void fl_publication_coverage_done(struct fl_coverage *c);

#endif
