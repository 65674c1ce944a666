/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * explain.h - `flusso explain TABLE KEY` (every document a row feeds,
 * through which relation path, found by which statements) and `flusso
 * sql INDEX` (the statements of an index, formatted, their parameters
 * described).
 *
 * Owns: reading the row (or taking its old values from the caller),
 * turning it into the change capture would deliver, resolving it with
 * the engine's own resolver while recording the paths and statements,
 * and rendering both as text or JSON. Does not own: resolution
 * (resolve.c), SQL generation (doc_sql.c).
 */
#ifndef FL_EXPLAIN_H
#define FL_EXPLAIN_H

#include <stddef.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"

struct fl_explain_hop {
	char *sql, *param;
};

struct fl_explain_path {
	char *index, *path, *col;
	char **vals; /* the first hop's values, from the row */
	size_t nvals;
	struct fl_explain_hop *hops;
	size_t nhops;
	size_t nids; /* ids reached through it */
};

struct fl_explain_hit {
	char *index, *id;
	size_t path;  /* into paths[]; one hit per (index, id, path) */
	int document; /* the id has a document now (not filtered/gone) */
};

struct fl_explain {
	char *table; /* "public.orders" */
	char *key;   /* "id=42" */
	int exists;  /* the row is there now */
	int used_old;
	char *old_missing; /* columns resolution reads that --old left out */
	struct fl_explain_path *paths;
	size_t npaths;
	struct fl_explain_hit *hits;
	size_t nhits;
};

/*
 * Explain the row of `table` ("orders" or "public.orders") with key
 * `key` ("42" for a one-column primary key, or "col=val,..."). `old`
 * ("col=val,...", may be NULL): old values, for a row that is gone (or
 * to see where an update moved it from). -1 with err.
 */
int fl_explain_run(const struct fl_config *cfg, const char *table,
                   const char *key, const char *old, struct fl_explain *out,
                   struct fl_err *err);
void fl_explain_done(struct fl_explain *r);
void fl_explain_text(const struct fl_explain *r, struct fl_buf *out);
void fl_explain_json(const struct fl_explain *r, struct fl_buf *out);

/* `flusso sql INDEX` as text or JSON. -1 with err. */
int fl_explain_sql(const struct fl_config *cfg, const char *index, int json,
                   struct fl_buf *out, struct fl_err *err);

/* SQL laid out on several lines (clauses and subqueries indented). */
void fl_explain_format_sql(const char *sql, struct fl_buf *out);

#endif
