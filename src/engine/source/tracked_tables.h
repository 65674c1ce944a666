/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tracked_tables.h - the tables the enabled indexes read, and, for each, the
 * columns a captured change must carry (source.md §10.2): the root key
 * of a root table, the foreign key of a Direct relation target, the key
 * of a belongs_to target, a junction's left and right keys, and every
 * table's catalog primary key (loaded at start).
 *
 * Owns: building that set from the configuration, looking a table up by
 * (schema, name), and completing it from the catalog. Built once at
 * start; read-only and shared by every thread afterwards.
 */
#ifndef FL_TRACKED_TABLES_H
#define FL_TRACKED_TABLES_H

#include <stddef.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "util/err.h"

struct fl_track_table {
	char *schema;
	char *table;
	char **cols; /* needed columns, sorted, unique */
	size_t ncols;
	int is_root;    /* the root table of some enabled index */
	char *root_key; /* is_root: the root key column */
	char **pk;      /* catalog primary key columns (after load) */
	size_t npk;
	char **indexes; /* the enabled indexes reading it, in config order */
	size_t nindexes;
};

struct fl_track {
	struct fl_track_table *v; /* sorted by (schema, table) */
	size_t n;
};

/* Every table of every enabled index with its needed columns. */
void fl_track_build(const struct fl_config *c, struct fl_track *out);
/*
 * Add each table's catalog primary key to its needed columns, and set
 * the root key of root tables without a declared primary_key. Fails when
 * a table is missing or a root table has no usable single-column key.
 */
int fl_track_load_catalog(PGconn *conn, struct fl_track *t, struct fl_err *err);
void fl_track_done(struct fl_track *t);

/* Lookup; NULL when no enabled index reads the table. */
const struct fl_track_table *
fl_track_find(const struct fl_track *t, const char *schema, const char *table);
/* Index of a needed column, or -1. */
int fl_track_col(const struct fl_track_table *t, const char *col);
/* Does the log filter want trace records about the table: it names the
 * table, or an index reading it (fl_log_trace_wants)? */
int fl_track_trace_wants(const struct fl_track_table *t);

#endif
