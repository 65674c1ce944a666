/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * change_event.h - a captured change: a thin record of which tracked row
 * changed and how, with the text of the few columns needed to find the
 * documents it affects (source.md §10.2). Never the row's contents.
 *
 * Values are PostgreSQL's text output under the pinned session settings,
 * never re-typed, so a key from the WAL equals the same key read by SQL.
 *
 * One allocation per change (struct, value arrays and texts together);
 * the queue owns it until popped, then the consumer, who confirms the ack
 * after the change's documents are durable and frees it.
 */
#ifndef FL_CHANGE_EVENT_H
#define FL_CHANGE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "source/tracked_tables.h"
#include "source/watermark.h"
#include "util/fl.h"

enum fl_change_op {
	FL_CHANGE_INSERT,
	FL_CHANGE_UPDATE,
	FL_CHANGE_DELETE,
	FL_CHANGE_TRUNCATE,
	/* a tracked table's definition changed (DDL): `table`, `what` */
	FL_CHANGE_RELATION,
};

/* State of one needed column in the new or old image. */
enum fl_cval_state {
	FL_CV_ABSENT = 0, /* not in this image (no old tuple, or not sent) */
	FL_CV_NULL,       /* SQL NULL */
	FL_CV_VALUE,      /* text in .text */
	FL_CV_TOAST,      /* unchanged TOASTed value, not sent */
};

struct fl_cval {
	enum fl_cval_state state;
	const char *text; /* FL_CV_VALUE: NUL-terminated */
};

struct fl_change {
	enum fl_change_op op;
	/* INSERT/UPDATE/DELETE: the table; TRUNCATE: NULL (see trunc) */
	const struct fl_track_table *table;
	struct fl_cval *newv; /* [table->ncols]; INSERT, UPDATE */
	struct fl_cval *oldv; /* [table->ncols]; UPDATE (K or O), DELETE */
	char old_kind;        /* 'K', 'O' or 0 */
	/* TRUNCATE: the tracked tables truncated */
	const struct fl_track_table **trunc;
	size_t ntrunc;
	/* RELATION: what changed ("column title is gone"), for the log;
	 * rel_first: the table's first definition this process saw (not a
	 * change, but DDL since start-up can only show here) */
	const char *what;
	int rel_first;
	int rel_rewrite; /* a column's values changed without row changes */
	/* transaction */
	fl_lsn commit_lsn;   /* the transaction's final (commit) LSN */
	int64_t commit_time; /* µs since 2000-01-01 UTC */
	uint32_t xid;
	uint32_t pos; /* position inside the transaction, from 0 */
	struct fl_ack ack;
};

/* The needed column's value in an image; NULL when not a text value. */
const char *fl_change_new(const struct fl_change *c, const char *col);
const char *fl_change_old(const struct fl_change *c, const char *col);

void fl_change_free(struct fl_change *c);

/*
 * The identifiers every trace record of a change carries, into out:
 *   lsn=0/16B3F28 xid=751 pos=0 table=public.orders op=update key=42
 * lsn is the transaction's commit LSN, pos the change's place in it, key
 * the table's primary key values (comma-separated; old_key= too when an
 * update changed it). Only called when trace is on.
 */
void fl_change_trace_id(const struct fl_change *c, char *out, size_t n);
/* "insert", "update", "delete", "truncate" or "relation". */
const char *fl_change_op_name(enum fl_change_op op);

#endif
