/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_int.h - the engine's private structures, shared by engine.c
 * (control thread, start-up, commands), engine_router.c (router),
 * engine_worker.c (workers) and engine_seeder.c (seeding). Not for use
 * outside the engine.
 *
 * Ownership of work items: the router (live) and the seeder (seeding)
 * allocate items and push them to the owning worker's queues; the worker
 * frees them after the flush that made them durable (or when stopping).
 * A captured change lives in a refcounted eng_pending until every item
 * routed from it was flushed; then its ack is confirmed and it is freed.
 */
#ifndef FL_ENGINE_INT_H
#define FL_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "core/engine.h"
#include "docs/doc_build.h"
#include "docs/resolve.h"
#include "sink/sink.h"
#include "source/capture.h"
#include "source/change_event.h"
#include "source/pg_setup.h"
#include "source/tracked_tables.h"
#include "util/queue.h"

#define ENG_SEED_PAGE 10000
#define ENG_BUILD_MAX 512

/* A captured change whose documents are being made durable. */
struct eng_pending {
	struct fl_engine *e;
	struct fl_change *ch;
	atomic_uint refs;   /* routed items not yet flushed, +1 while routing */
	atomic_int dropped; /* an item was dropped unflushed: never confirm */
};

struct eng_seed;

/* One page of seeding keys; done when every key of it was flushed. */
struct eng_page {
	struct eng_seed *seed;
	uint64_t no;
	atomic_uint refs;
	char *last_key;
	size_t nkeys;
};

enum eng_item_kind {
	ENG_ITEM_LIVE,
	ENG_ITEM_SEED,
};

struct eng_item {
	enum eng_item_kind kind;
	int ix;                 /* index number in e->ix */
	char *key;              /* root key text = document id */
	struct eng_pending *pc; /* LIVE */
	struct eng_page *page;  /* SEED */
};

/* Per enabled index. */
struct eng_index {
	const struct fl_index_cfg *cfg;
	char hash[17];
	struct fl_val *body;
	struct fl_sink_index_state st;
	atomic_int policy_skip;
	atomic_int paused;
	struct eng_seed *seed; /* running seeding task, or NULL */
};

enum eng_seed_mode {
	ENG_SEED_FRESH,   /* an unseeded generation: mark seeded at the end */
	ENG_SEED_REBUILD, /* a staged generation N+1: swap at the end */
	ENG_SEED_INPLACE, /* `backfill`: over the serving generation */
};

/* A seeding task of one index (engine_seeder.c). */
struct eng_seed {
	struct fl_engine *e;
	int ix;
	enum eng_seed_mode mode;
	char *cursor;     /* resume after this key (NULL: from the start) */
	char *scan_after; /* the scan's position (seeder thread only) */
	char *saved_key;  /* the cursor last saved to the sink */
	pthread_mutex_t mu;
	uint64_t pages_sent, pages_done_prefix;
	uint8_t *done; /* completion flags, window from pages_done_prefix */
	size_t done_cap;
	char *flushed_key; /* last key of the completed prefix */
	int64_t rows_done;
	int64_t rows_estimate;
	int scan_finished;
	int finished;
	/* a rebuild was staged while this task ran (e->mu): it stops
	 * scanning, and once its pages are flushed the seeder replaces it
	 * with a REBUILD task from the first key, so the new generation
	 * gets every row */
	int restart;
	struct eng_seed *next;
};

struct eng_worker {
	struct fl_engine *e;
	int no;
	pthread_t thread;
	struct fl_queue *live;
	struct fl_queue *seed;
	PGconn *conn;
	struct fl_docbuild *db;
	struct fl_sink_writer *writer;
	int busy;                 /* inside a commit (under e->mu) */
	struct eng_item **parked; /* items of paused indexes, in order */
	size_t nparked, parkcap;
};

/* A command posted to the control thread. */
struct eng_cmd {
	enum fl_engine_cmd cmd;
	char index[64];
	char arg[64];
	int done;
	int code;
	char msg[256];
	int abandoned; /* the poster gave up waiting; control frees it */
	struct eng_cmd *next;
};

struct fl_engine {
	struct fl_engine_opts o;
	struct fl_board *board;
	char *conninfo;

	struct fl_track track;
	int track_ready;
	struct fl_sink *sink;
	pthread_mutex_t sink_mu; /* the sink's control face, one caller */
	/* staging a rebuild and finishing a seeding task exclude each other
	 * (taken before mu and before any hold) */
	pthread_mutex_t gen_mu;
	struct fl_capture *cap;
	struct fl_queue *capq;
	struct fl_source_prep prep;

	struct eng_index *ix;
	size_t nix;
	struct eng_worker *w;
	size_t nw;

	pthread_t control, router, seeder;
	int router_started, seeder_started;

	atomic_int stop;      /* graceful stop requested */
	atomic_int abort_now; /* grace exceeded: abandon commits */
	atomic_int failed;    /* a permanent error ended the pipeline */
	atomic_int paused;
	atomic_uint_least64_t pending_changes; /* routed, not confirmed */
	atomic_uint_least64_t committed;       /* changes confirmed */

	pthread_mutex_t mu; /* hold, busy flags, commands, seeds */
	pthread_cond_t cv;
	int hold; /* workers must not start a commit */
	struct eng_cmd *cmds;
	struct eng_seed *seeds; /* tasks waiting for the seeder */
	int wake[2];            /* pokes the control thread */
	int exit_code;
	atomic_int finished;
};

/* engine.c */
void eng_fatal(struct fl_engine *e, const char *fmt, ...) FL_PRINTF(2, 3);
void eng_waiting(struct fl_engine *e, const char *what, const char *err);
void eng_recovered(struct fl_engine *e, const char *what);
/* Stop workers at their next batch boundary and wait until none is in a
 * commit (1), or give up because the engine stops (0). */
int eng_hold(struct fl_engine *e);
void eng_release(struct fl_engine *e);
int eng_index_no(const struct fl_engine *e, const char *name);
/* Sleep up to ms, returning early when stopping; 1 if stopping. */
int eng_sleep(struct fl_engine *e, int ms);
/* Capped exponential backoff with jitter for attempt k (0-based). */
int eng_backoff_ms(int attempt);
void eng_set_index_state(struct fl_engine *e, int ix);
/* Stage a rebuild of index ix (N+1, dual write, seeding queued);
 * 0 staged, 1 already staged (coalesced), -1 failed or stopping.
 * may_coalesce: a rebuild already seeding serves this request (a
 * reindex); a TRUNCATE or a continuity loss invalidates what a running
 * rebuild already wrote, so they never coalesce. */
int eng_stage_rebuild(struct fl_engine *e, int ix, const char *why,
                      int may_coalesce, long *gen);
/* Open a worker-style connection (retrying on transient errors). */
PGconn *eng_connect(struct fl_engine *e, const char *app);

/* engine_router.c */
void *eng_router_main(void *arg);
int eng_owner(const struct fl_engine *e, int ix, const char *key);
void eng_pending_release(struct eng_pending *pc);
struct eng_item *eng_item_new(enum eng_item_kind kind, int ix, const char *key);
/* Free an item that was NOT flushed (its change is never confirmed). */
void eng_item_free(struct eng_item *it);
/* Free an item whose document was flushed (confirms when last). */
void eng_item_done(struct eng_item *it);
/* Push to a worker queue, waiting; -1 when stopping. */
int eng_push(struct fl_engine *e, struct fl_queue *q, struct eng_item *it);

/* engine_worker.c */
void *eng_worker_main(void *arg);

/* engine_seeder.c */
void *eng_seeder_main(void *arg);
struct eng_seed *eng_seed_new(struct fl_engine *e, int ix,
                              enum eng_seed_mode mode, const char *cursor);
void eng_seed_free(struct eng_seed *s);
/* One key of a page was flushed / dropped unflushed (workers). */
void eng_page_release(struct eng_page *p);
void eng_page_drop(struct eng_page *p);

#endif
