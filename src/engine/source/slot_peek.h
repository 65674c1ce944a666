/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * slot_peek.h - what is waiting in a logical replication slot, read
 * without consuming it (`flusso slot`, issue 17).
 *
 * Owns: refusing a slot that cannot be peeked (missing, physical, another
 * plugin or database, held by a walsender), reading the pending pgoutput
 * messages with pg_logical_slot_peek_binary_changes() on a normal
 * (non-replication) connection, one row at a time, and summing them up:
 * totals, per table, per transaction (the largest N kept), the oldest
 * pending commit; and writing that summary as JSON or as a table.
 * Does not own: connecting (pg_conn.c), decoding a message (pgoutput.c),
 * what the daemon does with the changes (capture.c), argv (cmd_slot.c).
 *
 * Never advances the slot: no pg_logical_slot_get_*, no
 * START_REPLICATION. PostgreSQL itself may move restart_lsn forward while
 * it decodes WAL the slot already confirmed (never past
 * confirmed_flush_lsn); confirmed_flush_lsn does not move. While the peek
 * runs it holds the slot: a daemon starting then waits and retries.
 *
 * The peek sees WAL the server has flushed: a commit made with
 * synchronous_commit off shows up within wal_writer_delay.
 *
 * Cost: the server decodes everything up to the bound before the first
 * row arrives (spilling to disk past logical_decoding_work_mem), so a
 * large backlog takes a while; the client keeps one row at a time plus
 * one entry per table and the `top` largest transactions.
 */
#ifndef FL_SLOT_PEEK_H
#define FL_SLOT_PEEK_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fl.h"

#define FL_SLOT_MAX_CHANGES_DEFAULT 1000000L
#define FL_SLOT_TOP_DEFAULT         10

struct fl_slot_opts {
	const char *slot;        /* required */
	const char *publication; /* required: the publication the slot reads */
	/* Bound on the messages read (upto_nchanges: every BEGIN, COMMIT,
	 * Relation and row change counts one; PostgreSQL never cuts a
	 * transaction, so a few more may come). <= 0: the default. */
	long max_changes;
	size_t top; /* largest transactions kept; 0: the default */
};

/* One table's pending changes, keyed by the Relation OID. */
struct fl_slot_table {
	uint32_t oid;
	/* From the last Relation message; both NULL when none named it
	 * (shown as "(relation OID)"). */
	char *schema, *table;
	uint64_t inserts, updates, deletes;
	uint64_t truncates; /* TRUNCATE messages naming the table */
	/* Insert/Update/Delete message bytes; a TRUNCATE's bytes are shared
	 * among the tables it names. */
	uint64_t bytes;
};

/* One pending transaction. */
struct fl_slot_txn {
	uint32_t xid;
	fl_lsn commit_lsn;
	fl_lsn end_lsn;
	int64_t commit_time; /* µs since 2000-01-01 UTC, as pgoutput sends */
	uint64_t changes; /* inserts + updates + deletes + truncated tables */
	uint64_t bytes;   /* every message from BEGIN to COMMIT */
};

/* The summary; owns its memory (fl_slot_backlog_done). Not named
 * fl_slot_report: that is pg_check.h's slot row. */
struct fl_slot_backlog {
	char *slot, *publication, *database;
	fl_lsn confirmed_flush_lsn, restart_lsn; /* before the peek */
	long max_changes;                        /* the bound used */
	int truncated;     /* the bound was reached: more may be pending */
	uint64_t messages; /* rows read (what max_changes bounds) */
	uint64_t changes;  /* sum of the tables' changes */
	uint64_t bytes;    /* every message's data */
	uint64_t transactions;
	struct fl_slot_txn oldest;    /* the earliest commit; if transactions */
	struct fl_slot_txn newest;    /* the latest commit; if transactions */
	struct fl_slot_table *tables; /* by bytes, descending, then name */
	size_t ntables;
	struct fl_slot_txn *top; /* by changes, then bytes, descending */
	size_t ntop;
	size_t top_max;    /* the `top` asked for */
	int64_t peeked_at; /* wall clock when the peek ended, µs (Unix) */
	int64_t elapsed_ms;
	long holder_pid; /* the slot was in use by this walsender ... */
	char *copy;      /* ... and was read through this temporary copy */
};

/*
 * Check that the slot can be peeked, then read what it holds. `conn` is a
 * normal connection to the slot's database (replication rights needed).
 * A slot in use (a running daemon streams from it, paused or not) cannot
 * be peeked: it is copied into a temporary slot
 * (pg_copy_logical_replication_slot: same position, nothing of the
 * original changes), the copy is peeked and dropped.
 * Returns 0 with *out filled (release with fl_slot_backlog_done), or -1
 * with err: FL_ERR_NOTFOUND (no such slot), FL_ERR_INVALID (physical,
 * not pgoutput, another database), FL_ERR_BUSY (in use and it could not
 * be copied, e.g. max_replication_slots reached: "slot X is in use by PID
 * N ..."), FL_ERR_PG (anything else, with the SQLSTATE).
 * *out is always safe to pass to fl_slot_backlog_done.
 */
int fl_slot_peek(PGconn *conn, const struct fl_slot_opts *o,
                 struct fl_slot_backlog *out, struct fl_err *err);

/* One JSON object (no trailing newline). Times as ISO 8601 UTC. */
void fl_slot_backlog_json(const struct fl_slot_backlog *r, struct fl_buf *out);
/* An operator-readable summary and tables, ending with a newline. */
void fl_slot_backlog_text(const struct fl_slot_backlog *r, struct fl_buf *out);
void fl_slot_backlog_done(struct fl_slot_backlog *r);

#endif
