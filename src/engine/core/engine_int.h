/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_int.h - the engine's private structures, shared by engine.c
 * (control thread, life cycle), engine_start.c (start-up), engine_cmd.c
 * (commands), engine_hold.c (held indexes and their drains),
 * engine_board.c (what the board shows), engine_router.c (router),
 * engine_worker.c (workers) and engine_seeder.c (seeding and drains).
 * Not for use outside the engine.
 *
 * Ownership of work items: the router (live) and the seeder (seeding and
 * drains) allocate items and push them to the owning worker's queues; the
 * worker frees them after the flush that made them durable (or when
 * stopping). A captured change lives in a refcounted eng_pending until
 * every item routed from it was flushed; then its ack is confirmed and it
 * is freed. For an index that is held (paused or stopped) "flushed" means
 * its id was written to the sink's durable pending set instead of its
 * document, in the same flush.
 *
 * Locks, in the order they may be taken: gen_mu, sink_mu, mu, a seed's
 * mu. The board has its own lock and is never held while taking these.
 */
#ifndef FL_ENGINE_INT_H
#define FL_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/engine_backend.h"
#include "util/backoff.h"
#include "util/queue.h"

#define ENG_SEED_PAGE   10000
#define ENG_BUILD_MAX   512
#define ENG_DRAIN_PAGE  1000
#define ENG_DRAIN_PAGES 2 /* drain pages in flight per index */
/* How long a command waits for OpenSearch, and for the commits in
 * flight, before it answers anyway (the poster waits 10 s) */
#define ENG_CMD_SINK_MS    8000
#define ENG_CMD_COMMITS_MS 5000

/* A captured change whose documents are being made durable. */
struct eng_pending {
	struct fl_engine *e;
	struct fl_change *ch;
	atomic_uint refs;   /* routed items not yet flushed, +1 while routing */
	atomic_int dropped; /* an item was dropped unflushed: never confirm */
};

struct eng_seed;
struct eng_drain;

/* One page of seeding keys; done when every key of it was flushed. */
struct eng_page {
	struct eng_seed *seed;
	uint64_t no;
	atomic_uint refs;
	atomic_int dropped; /* a key was dropped unflushed: never done */
	char *last_key;
	size_t nkeys;
};

/* One page of a drain: pending ids read with their versions; when every
 * id was flushed, the seeder removes them from the pending set. */
struct eng_dpage {
	struct fl_pending_page ids;
	atomic_uint refs;   /* items not yet flushed, +1 while pushing */
	atomic_int dropped; /* an item was dropped unflushed: keep the ids */
	atomic_int done;
	struct eng_dpage *next;
};

enum eng_item_kind {
	ENG_ITEM_LIVE,
	ENG_ITEM_SEED,
	ENG_ITEM_DRAIN, /* a pending id of a resumed index: like a live id */
};

struct eng_item {
	enum eng_item_kind kind;
	int ix;                 /* index number in e->ix */
	char *key;              /* root key text = document id */
	struct eng_pending *pc; /* LIVE */
	struct eng_page *page;  /* SEED */
	struct eng_dpage *dp;   /* DRAIN */
};

/* Per enabled index. */
struct eng_index {
	const struct fl_index_cfg *cfg;
	char hash[17];
	struct fl_val *body;
	struct fl_sink_index_state st;
	atomic_int ensured; /* ensure_index succeeded (st is valid) */
	atomic_int policy_skip;
	/* enum fl_hold; read by workers at every commit attempt */
	atomic_int hold;
	/* under e->mu: what the hold is (reason, since, resync), a version
	 * bumped at every change, and the version the sink has: the sink's
	 * copy must be rewritten while they differ */
	struct fl_sink_hold hold_info;
	unsigned hold_ver, hold_saved;
	/* a release is storing `none`: nobody stores the old hold over it
	 * (hold_op_save_now answers transient until it is cleared) */
	atomic_int releasing;
	long long npending;      /* last count read (e->mu), -1 unknown */
	int64_t counted_ms;      /* when it was read (control thread) */
	struct eng_seed *seed;   /* running seeding task, or NULL (e->mu) */
	struct eng_drain *drain; /* draining its pending set (e->mu) */
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
	/* a rebuild was staged while this task ran (e->mu): it stops
	 * scanning, and once its pages are flushed the seeder replaces it
	 * with a REBUILD task from the first key, so the new generation
	 * gets every row */
	int restart;
};

/* Draining the pending set of one index (engine_hold.c; seeder thread). */
struct eng_drain {
	int ix;
	int restart;      /* e->mu: read again from the first id */
	int waiting;      /* e->mu: not before the commits in flight end */
	char *after;      /* last key read */
	int read_all;     /* the last page read was short */
	size_t ninflight; /* pages pushed, not yet removed */
	struct eng_dpage *head, *tail; /* in read order */
	int64_t ids_done;
	int incomplete; /* an id may be left: count again when done */
};

struct eng_worker {
	struct fl_engine *e;
	int no;
	pthread_t thread;
	struct fl_queue *live;
	struct fl_queue *seed; /* seeding keys and drained ids */
	void *conn;
	void *db;
	struct fl_sink_writer *writer;
	unsigned schema_epoch; /* of its prepared statements */
	int busy;              /* inside a commit (under e->mu) */
	uint64_t commits;      /* commits ended (under e->mu) */
	atomic_int exited;
};

/* A command posted to the control thread. */
struct eng_cmd {
	enum fl_engine_cmd cmd;
	char index[64];
	char arg[64];
	char **ids; /* FL_ECMD_REPAIR */
	size_t nids;
	int done;
	int code;
	char msg[512];
	int abandoned; /* the poster gave up waiting; control frees it */
	struct eng_cmd *next;
};

struct fl_engine {
	struct fl_engine_opts o;
	const struct fl_engine_backend *be;
	struct fl_board *board;
	char *conninfo;

	struct fl_track track;
	int track_ready;
	struct fl_sink *sink;
	int can_hold;            /* the sink keeps a pending set */
	pthread_mutex_t sink_mu; /* the sink's control face, one caller */
	int64_t stored_ms;       /* last count_docs round (seeder thread) */
	/* staging a rebuild and finishing a seeding task exclude each other
	 * (taken before mu and before any hold) */
	pthread_mutex_t gen_mu;
	void *cap;
	struct fl_queue *capq;
	struct fl_source_prep prep;

	struct eng_index *ix;
	size_t nix;
	struct eng_worker *w;
	size_t nw;

	pthread_t control, router, seeder;
	int router_started, seeder_started;
	atomic_int router_exited, seeder_exited;

	atomic_int stop;                 /* the pipeline's threads end */
	atomic_int stop_requested;       /* fl_engine_request_stop(): the engine
	                              ends (not just this run) */
	int started;                     /* the control thread was created */
	atomic_int_least64_t stop_at_ms; /* when a stop was requested */
	atomic_int abort_now; /* grace exceeded: abandon commits and I/O */
	atomic_int failed;    /* a permanent error ended the pipeline */
	atomic_int paused;    /* `pause all` */
	atomic_uint_least64_t pending_changes; /* routed, not confirmed */
	atomic_uint_least64_t committed;       /* changes confirmed */
	/* a tracked table's definition changed (a Relation message): the
	 * workers and the router derive their statements again */
	atomic_uint schema_epoch;
	unsigned router_epoch; /* of the router's resolver (router only) */

	pthread_mutex_t mu; /* hold, busy flags, commands, seeds, drains */
	pthread_cond_t cv;
	int hold;                         /* workers must not start a commit */
	struct eng_cmd *cmds, *cmds_tail; /* FIFO */
	struct eng_repair *repairs;       /* control thread only */
	int running;       /* the control thread takes commands */
	int ready;         /* ... and runs them soon (not while starting) */
	int waiting_retry; /* control thread: the failed pipeline is down */
	int wake[2];       /* pokes the control thread */
	int exit_code;
	atomic_int finished;
	/* bumped by the control thread at every turn of its loops (the
	 * supervision loop, waits and backoffs): fl_engine_heartbeat */
	atomic_uint_least64_t heartbeat;
	char fail_msg[512]; /* why the pipeline failed (first error) */
	/* `reload` (engine_reload.c): the configuration the pipeline
	 * restarts on (under mu), and every loaded one (control thread) */
	const struct fl_config *cfg0; /* the one it started with */
	/* indexes a reload turned on (control thread) */
	char reload_on[FL_MAX_INDEXES][64];
	size_t nreload_on;
	struct fl_config *reload_next;
	struct fl_config **owned_cfgs;
	size_t nowned_cfgs;
	/* hot standby (engine_standby.c): the lock session while active
	 * (the beat thread pings it), and whether it was lost */
	void *lock;
	pthread_t beat;
	int beat_started;
	atomic_int beat_stop;
	atomic_int deposed;
	atomic_int_least64_t lease_ok_ms; /* last answered ping (mono) */
};

/* ---- engine.c ---- */
void eng_fatal(struct fl_engine *e, const char *fmt, ...) FL_PRINTF(2, 3);
void eng_poke(struct fl_engine *e);
/* Stop workers at their next batch boundary and wait until none is in a
 * commit (1), or give up because the engine aborts (0). */
int eng_hold(struct fl_engine *e);
void eng_release(struct fl_engine *e);
/* Wait (at most timeout_ms) until every commit in flight now has ended,
 * without stopping new ones: 1 when they all ended, 0 on timeout. */
int eng_wait_commits(struct fl_engine *e, int timeout_ms);
int eng_index_no(const struct fl_engine *e, const char *name);
/* Wait the backoff's next delay; 1 when stopping (give up). */
int eng_retry_wait(struct fl_engine *e, struct fl_backoff *b);
/* The control thread proves it is alive (a no-op on other threads). */
void eng_alive(struct fl_engine *e);
/* Open a PostgreSQL session, waiting while PostgreSQL is unreachable
 * (that also lets go of the replication stream); NULL when stopping. */
void *eng_connect(struct fl_engine *e, const char *app);
/* A failpoint (tests): no-op unless the options set one. */
void eng_failpoint(struct fl_engine *e, const char *where);

/* ---- engine_board.c ---- */
/* Waiting for "postgres" or "opensearch": board, event once, log. */
void eng_waiting(struct fl_engine *e, const char *what, const char *err);
void eng_recovered(struct fl_engine *e, const char *what);
void eng_set_index_state(struct fl_engine *e, int ix);
void eng_board_init(struct fl_engine *e);
void eng_publish(struct fl_engine *e);
/* Every few seconds (seeder thread): each ensured index's stored
 * document count (count_docs) on its row; unknown while unreadable. */
void eng_stored_tick(struct fl_engine *e);

/* ---- engine_start.c ---- */
/* The start-up sequence up to live capture; -1 when it failed (the
 * reason is on the board) or the engine stops. */
int eng_start_pipeline(struct fl_engine *e);
/* Call a sink control operation, waiting while OpenSearch is away:
 * FL_SINK_OK, or FL_SINK_PERMANENT with err (the caller decides what a
 * permanent failure means), or FL_SINK_TRANSIENT when stopping. */
int eng_sink_call(struct fl_engine *e,
                  int (*op)(struct fl_engine *, int, void *, struct fl_err *),
                  int ix, void *arg, struct fl_err *err);
/* The same, giving up after timeout_ms (< 0: never) with
 * FL_SINK_TRANSIENT and the last error: for commands, which answer. */
int eng_sink_call_for(struct fl_engine *e,
                      int (*op)(struct fl_engine *, int, void *,
                                struct fl_err *),
                      int ix, void *arg, struct fl_err *err, int timeout_ms);
/* Continuity and the seeding plan of one ensured index (start-up, and
 * a stopped index's first ensure on retry). 0, or -1 after eng_fatal. */
int eng_plan_index(struct fl_engine *e, int ix);
/* ensure_index of one index (sink_mu taken by eng_sink_call). */
int eng_op_ensure(struct fl_engine *e, int ix, void *arg, struct fl_err *err);
/* Stage a rebuild of index ix (N+1, dual write, seeding queued);
 * 0 staged, 1 already staged (coalesced), -1 failed (err) or stopping.
 * may_coalesce: a rebuild already seeding serves this request (a
 * reindex); a TRUNCATE or a continuity loss invalidates what a running
 * rebuild already wrote, so they never coalesce. */
int eng_stage_rebuild(struct fl_engine *e, int ix, const char *why,
                      int may_coalesce, long *gen, struct fl_err *err,
                      int timeout_ms);

/* ---- engine_standby.c ---- */
/* Before a run of the pipeline (control thread): be active, waiting as
 * a standby while another instance holds the slot's lock. 0 active (or
 * no coordination), -1 stopping. */
int eng_standby_wait(struct fl_engine *e);
/* The lock was lost while active: the run must end, never confirming
 * what it had in flight, and the engine rejoins as a standby. */
int eng_standby_deposed(struct fl_engine *e);
/* Let go of the lock (end of the engine, or after being deposed). */
void eng_standby_release(struct fl_engine *e);
/* May this instance write to the sinks now? 1 while it holds the lock
 * and its last ping is recent; waits up to a moment for a ping after a
 * gap (a stopped process woken up). 0: drop the write. */
int eng_fence_ok(struct fl_engine *e);

/* ---- engine_repair.c ---- */
struct eng_repair;
/* Run `repair` (control thread); answers when the ids are durable. */
void eng_cmd_repair(struct fl_engine *e, struct eng_cmd *c, int ix);
/* Answer the repairs whose ids are all written (control thread). */
void eng_repairs_reap(struct fl_engine *e);
/* Teardown, workers gone: answer every repair left. */
void eng_repairs_end(struct fl_engine *e);

/* ---- engine_cmd.c ---- */
void eng_cmd_free(struct eng_cmd *c);
/* Run the queued commands in arrival order (control thread). */
void eng_run_commands(struct fl_engine *e);
/* Answer every queued command with 503 and stop taking new ones. */
void eng_close_commands(struct fl_engine *e, const char *why);

/* ---- engine_reload.c ---- */
/* `reload` (control thread): load, compare, answer; restart the
 * pipeline on the new configuration when an index changes. */
void eng_cmd_reload(struct fl_engine *e, struct eng_cmd *c);
/* Is a reloaded configuration waiting for the pipeline's restart? */
int eng_reload_pending(struct fl_engine *e);
/* Between two runs of the pipeline: take the reloaded configuration. */
void eng_reload_apply(struct fl_engine *e);
/* After the start-up sequence of a reloaded pipeline: rebuild the
 * indexes it turned on that were seeded before. */
void eng_reload_fresh(struct fl_engine *e);
/* Free every configuration the engine loaded (fl_engine_free). */
void eng_reload_free(struct fl_engine *e);
/* Answer a command (engine_cmd.c). */
void eng_reply(struct fl_engine *e, struct eng_cmd *c, int code,
               const char *fmt, ...) FL_PRINTF(4, 5);

/* ---- engine_hold.c ---- */
/* Hold index ix (paused, stopped, drift) from any thread:
 * from the next commit attempt on, its ids go to the pending set. The
 * control thread stores the hold. Returns 1 if the hold changed. */
int eng_hold_index(struct fl_engine *e, int ix, enum fl_hold h,
                   const char *reason);
/* Index ix owes a rebuild of every document (`what`: a change's ids
 * could not be resolved, DDL changed values): its release stages one (a
 * new generation). Holds it (stopped, `what`) if it was not held.
 * Returns 1 when the hold must be stored (eng_hold_store) before the
 * change concerned may be confirmed. */
int eng_hold_resync(struct fl_engine *e, int ix, const char *what);
/* ---- engine_drift.c ---- */
/* A permanent failure of index ix (a build, a resolution, preparing its
 * statements): drift when the database no longer matches its schema
 * (checked on `session` when the backend can; else told by the
 * failure's `sqlstate`, may be NULL), else stopped; fatal for the
 * pipeline when the sink cannot hold. `what` says what failed. */
void eng_index_broken(struct fl_engine *e, int ix, void *session,
                      const char *what, const char *sqlstate);
/* Before releasing index ix from drift: 1 with err while the database
 * still differs from its schema (or that cannot be told), else 0. */
int eng_drift_persists(struct fl_engine *e, int ix, struct fl_err *err);
/* Store index ix's hold now (any thread; waits out OpenSearch for a
 * while): 0, or -1 with err. */
int eng_hold_store(struct fl_engine *e, int ix, struct fl_err *err);
/* Release a held index (control thread): clear and store its hold, wait
 * for commits in flight, start draining its pending set. 0, or -1 with
 * err when the hold could not be stored. */
int eng_release_index(struct fl_engine *e, int ix, struct fl_err *err);
/* Load the stored holds and start drains of leftover pending sets
 * (start-up, control thread). */
int eng_holds_load(struct fl_engine *e);
/* Store holds that changed and refresh pending counts (seeder thread,
 * every round; cheap when nothing changed). Off the control thread: a
 * sink call may wait out OpenSearch's timeouts, and commands and the
 * board must not. */
void eng_holds_tick(struct fl_engine *e);
/* One step of every drain: read, push, remove what was flushed
 * (seeder thread). Returns 1 if it did any work. */
int eng_drains_step(struct fl_engine *e);
void eng_drain_free(struct eng_drain *d);
void eng_dpage_release(struct eng_dpage *p);
void eng_dpage_drop(struct eng_dpage *p);

/* ---- engine_router.c ---- */
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

/* ---- engine_worker.c ---- */
void *eng_worker_main(void *arg);

/* ---- engine_seeder.c ---- */
void *eng_seeder_main(void *arg);
struct eng_seed *eng_seed_new(struct fl_engine *e, int ix,
                              enum eng_seed_mode mode, const char *cursor);
void eng_seed_free(struct eng_seed *s);
/* One key of a page was flushed / dropped unflushed (workers). */
void eng_page_release(struct eng_page *p);
void eng_page_drop(struct eng_page *p);

#endif
