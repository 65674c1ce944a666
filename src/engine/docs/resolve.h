/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * resolve.h - reverse resolution (source.md §12): a captured change to
 * the root document ids of every enabled index it affects, through every
 * relation path, old and new foreign-key values included.
 *
 * Owns: the relation paths of each index (precomputed), the first hop
 * from tuple values (no query), further hops as batched `= ANY` queries
 * on the worker's connection, and streaming large fan-outs in bounded
 * chunks (a category renamed under 100,000 products never holds all ids
 * in memory at once).
 * Does not own: building documents (doc_build.c), routing ids to workers.
 */
#ifndef FL_RESOLVE_H
#define FL_RESOLVE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "source/change_event.h"
#include "source/tracked_tables.h"
#include "util/err.h"

struct fl_resolver;

/* Called for every affected document id; may be called for the same id
 * more than once (the caller deduplicates). Return -1 to abort. `key`
 * NULL: the change's ids in `index` cannot be found (a permanent
 * failure of that index alone: its table or a column is gone; logged). */
typedef int (*fl_resolve_emit)(void *arg, const char *index, const char *key);

struct fl_resolver *fl_resolver_new(const struct fl_config *cfg,
                                    const struct fl_track *track);
void fl_resolver_free(struct fl_resolver *r);

/* Read catalog types for hop queries on `conn` (again after reconnect). */
int fl_resolver_prepare(struct fl_resolver *r, PGconn *conn,
                        struct fl_err *err);

/*
 * Emit the ids `c` affects. TRUNCATE changes are not resolved (the
 * engine rebuilds the affected indexes). Errors: FL_ERR_PG transient,
 * FL_ERR_CONFIG permanent; FL_ERR_CANCELLED when emit aborted.
 * Changes whose needed old values are missing (default replica identity
 * on a child table) resolve from what is there and are counted in
 * fl_resolver_untracked().
 */
int fl_resolve(struct fl_resolver *r, PGconn *conn, const struct fl_change *c,
               fl_resolve_emit emit, void *arg, struct fl_err *err);

/* `flusso explain`: told how a change climbs. `path` once per relation
 * path (before the ids it reaches are emitted): the index, the path from
 * the root ("users <- orders.user_id <- order_items.order_id"), the
 * changed table's column and the values the first hop took from the
 * row. `hop` before each statement climbing one level, with its $1. */
struct fl_resolve_explain {
	void (*path)(void *arg, const char *index, const char *path,
	             const char *col, const char *const *vals, size_t nvals);
	void (*hop)(void *arg, const char *index, const char *sql,
	            const char *param);
	void *arg;
};

/* Set (NULL: clear) the explain hooks; borrowed until cleared. */
void fl_resolver_set_explain(struct fl_resolver *r,
                             const struct fl_resolve_explain *x);

/* `flusso sql`: each statement that climbs one level of index `index`
 * (after prepare), with the path of the rows it starts from and the
 * table a change of which starts there. Returns how many. */
typedef void (*fl_resolve_stmt_fn)(void *arg, const char *path,
                                   const char *sql);
size_t fl_resolver_statements(const struct fl_resolver *r, const char *index,
                              fl_resolve_stmt_fn fn, void *arg);

/* Changes resolved without the old values they needed, per resolver. */
unsigned long fl_resolver_untracked(const struct fl_resolver *r);

/* The enabled indexes a TRUNCATE of `t` affects (root or embedded);
 * returns the count written to names (borrowed, at most max). */
size_t fl_resolve_truncate(const struct fl_resolver *r,
                           const struct fl_track_table *t, const char **names,
                           size_t max);

#endif
