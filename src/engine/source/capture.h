/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * capture.h - the capture I/O thread: one replication connection, the
 * pgoutput stream turned into thin changes on a bounded queue, and the
 * confirmed position reported back to PostgreSQL (source.md §5-§11).
 *
 * Owns: START_REPLICATION, the CopyBoth loop (non-blocking, poll), the
 * relation cache, change building, keepalive replies and standby status
 * updates (write = flush = apply = the watermark), reconnecting with
 * capped exponential backoff and a new epoch per stream, recreating a
 * slot that vanished (continuity lost), and lag sampling.
 * Does not own: what a change affects or building documents (workers),
 * publication management at start (pg_setup.c).
 *
 * DESIGN
 *   Threads: the capture thread (fl_capture_start .. _stop) and a lag
 *   thread; consumers call fl_capture_confirm() from any thread.
 *   The watermark (watermark.c) is the only state consumers touch; the
 *   status snapshot is one mutex-protected struct copied out.
 *   Back-pressure: when the queue is full the thread stops reading the
 *   socket but keeps sending status updates (at least every 10 s), so
 *   wal_sender_timeout never fires while workers are slow or paused.
 *   Invariant: the position sent to the server is the watermark, which
 *   passes a commit only when every change of that transaction was
 *   confirmed; when nothing is outstanding it follows the server's WAL
 *   end from keepalives so an idle slot does not pin WAL.
 */
#ifndef FL_CAPTURE_H
#define FL_CAPTURE_H

#include <stdint.h>

#include "source/pg_setup.h"
#include "source/tracked_tables.h"
#include "source/watermark.h"
#include "util/err.h"
#include "util/fl.h"
#include "util/queue.h"

enum fl_capture_state {
	FL_CAPTURE_STARTING,
	FL_CAPTURE_CONNECTING,
	FL_CAPTURE_STREAMING,
	FL_CAPTURE_RECONNECTING,
	FL_CAPTURE_ERROR, /* stopped for good: decode or setup error */
	FL_CAPTURE_STOPPED,
};

const char *fl_capture_state_name(enum fl_capture_state s);

enum fl_capture_event {
	FL_CAPTURE_EV_CONNECTED,    /* a stream started (new epoch) */
	FL_CAPTURE_EV_DISCONNECTED, /* the stream broke; reconnecting */
	FL_CAPTURE_EV_SLOT_CREATED, /* the slot vanished and was recreated:
				       continuity lost, re-seed */
	FL_CAPTURE_EV_FAILED,       /* a permanent error; the thread ended */
};

struct fl_capture_opts {
	const char *conninfo; /* copied */
	const char *slot;
	const char *publication;
	const struct fl_track *track; /* borrowed; outlives the capture */
	struct fl_queue *queue;       /* borrowed; changes go here */
	int status_interval_ms;       /* standby status at least this often
					 (default 10000) */
	int lag_poll_secs;            /* default 15 */
	int backoff_max_ms;           /* reconnect backoff cap (30000) */
	/* Called on the capture thread; may be NULL. */
	void (*on_event)(void *arg, enum fl_capture_event ev,
	                 const char *detail);
	void *arg;
};

/* A copy of the capture's state (no pointers). */
struct fl_capture_status {
	enum fl_capture_state state;
	char last_error[256];
	uint64_t epoch;
	uint64_t captured;   /* changes put on the queue, all epochs */
	uint64_t reconnects; /* streams started after the first */
	uint64_t slot_recreations;
	fl_lsn confirmed;       /* the watermark sent to the server */
	fl_lsn received;        /* last XLogData wal_end */
	fl_lsn server_wal_end;  /* last keepalive wal_end */
	int64_t last_status_us; /* when the last status update was sent */
	int lag_known;
	int64_t lag_bytes;
	double lag_seconds;
	char wal_status[16];
	char sysid[32];
};

struct fl_capture;

struct fl_capture *fl_capture_new(const struct fl_capture_opts *o);
/* Start the threads; the first connection happens on the thread. */
int fl_capture_start(struct fl_capture *c, struct fl_err *err);
/* Ask the threads to stop and wait for them. Safe to call twice. */
void fl_capture_stop(struct fl_capture *c);
void fl_capture_free(struct fl_capture *c);

/* A change's documents are durable: confirm its ack (any thread). */
void fl_capture_confirm(struct fl_capture *c, struct fl_ack ack);
/* Drop the current stream and reconnect (any thread): the engine cannot
 * reach PostgreSQL for its own queries, so holding the stream open only
 * holds up the server (a fast shutdown waits for this walsender until
 * everything sent is confirmed). Unconfirmed changes are redelivered. */
void fl_capture_restart(struct fl_capture *c);
/* The current stream's epoch: changes of older epochs may be dropped. */
uint64_t fl_capture_epoch(struct fl_capture *c);
void fl_capture_status(struct fl_capture *c, struct fl_capture_status *out);

#endif
