/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relation_cache.h - the Relation messages capture has seen, by OID: for
 * each tracked table, where each needed column sits in a tuple, and the
 * definition's signature (names, types, typmods, identity).
 *
 * pgoutput sends a table's Relation message before its first change in
 * a session and again after its definition changed (also in the middle
 * of a transaction), so a change is always decoded against the columns
 * in force at its position. Kept across streams: a new stream resends
 * each Relation, and one that differs from the cached one is a change
 * of definition too (DDL while the stream was down).
 *
 * Owns: the cache, the signature, and saying what changed between two
 * definitions of a tracked table ("column title is gone", "... changed
 * type", "... is back", "table a.b is now a.c"). Does not own: deciding
 * whether an index still matches (the engine, with check's rules).
 * Capture thread only.
 */
#ifndef FL_RELATION_CACHE_H
#define FL_RELATION_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "source/pgoutput.h"
#include "source/tracked_tables.h"

struct fl_relcache_entry {
	uint32_t oid;
	const struct fl_track_table *tt; /* NULL: no enabled index uses it */
	int *colmap;  /* [tt->ncols]: tuple position of each needed column */
	uint64_t sig; /* of the definition: names, types, identity */
	uint32_t *coltype; /* [tt->ncols]: type OID of each needed column */
	int32_t *colmod;   /* [tt->ncols]: its typmod */
	char **names;      /* every column, in order (tracked tables) */
	size_t nnames;
	int resent; /* a new stream began: its next Relation is expected */
};

struct fl_relcache {
	struct fl_relcache_entry *v; /* sorted by oid */
	size_t n, cap;
};

/* An entry, or NULL when no Relation message named the OID yet. */
const struct fl_relcache_entry *fl_relcache_find(const struct fl_relcache *c,
                                                 uint32_t oid);
/*
 * Cache a Relation message, replacing an earlier one for the OID. When
 * a tracked table is concerned and it is the first definition seen, or
 * the first of a new stream (*first = 1), or differs from the cached
 * one, *changed is that table (the earlier one's when it was renamed
 * away) and why[0..n) says what changed; else *changed is NULL.
 * *rewrite: a column kept its name but lost its place among the others
 * (dropped and added back): its values changed without row changes.
 */
void fl_relcache_put(struct fl_relcache *c, const struct fl_track *track,
                     const struct fl_pgo_msg *m,
                     const struct fl_track_table **changed, int *first,
                     int *rewrite, char *why, size_t nwhy);
/* A new stream begins: each table's next Relation message is reported
 * as a first one (unless it differs: then as a change). */
void fl_relcache_new_stream(struct fl_relcache *c);
/* Free everything (an all-zero cache is empty). */
void fl_relcache_done(struct fl_relcache *c);

#endif
