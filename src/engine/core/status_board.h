/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * status_board.h - the status board: one mutex-protected plain struct that the
 * engine writes through setters and every reader (the TUI, /status,
 * /metrics, `flusso status`) copies out whole.
 *
 * Owns: the snapshot layout (no pointers, fixed arrays, so a memcpy is a
 * consistent picture), the recent-events and quarantine rings, the flush
 * histogram, and the /status JSON (engine-sink.md §6.4: the reference's
 * fields in their order, then ours).
 * Does not own: rates and trends (readers compute them from two
 * snapshots), deciding anything.
 *
 * Every setter locks, changes, bumps `seq`, unlocks, and pokes the wake
 * fd (rate-limited to one byte per 100 ms) so a reader blocked in poll()
 * redraws soon after a change.
 */
#ifndef FL_STATUS_BOARD_H
#define FL_STATUS_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/fl.h"
#include "util/node_pool.h"

#define FL_MAX_INDEXES          32
#define FL_MAX_SINKS            8
#define FL_STATUS_EVENTS        50
#define FL_STATUS_QUARANTINE    100
#define FL_STATUS_LIST          4 /* untracked / superseded names kept */
#define FL_STATUS_FLUSH_BUCKETS 12
#define FL_STATUS_NODES         8 /* OpenSearch nodes shown per sink */

enum fl_phase {
	FL_PHASE_STARTING,
	FL_PHASE_WAITING,
	FL_PHASE_BACKFILLING,
	FL_PHASE_LIVE,
	FL_PHASE_PAUSED,
	FL_PHASE_STOPPING,
	FL_PHASE_STOPPED,
	FL_PHASE_ERROR,
	FL_PHASE_STANDBY, /* another instance is active on the slot */
};

const char *fl_phase_name(enum fl_phase p);

/* Per-index state shown in index_details. */
enum fl_ixstate {
	FL_IX_DISABLED,
	FL_IX_PENDING,
	FL_IX_SKIPPED,
	FL_IX_BACKFILLING,
	FL_IX_REBUILDING,
	FL_IX_LIVE,
	FL_IX_PAUSED,  /* `pause INDEX`: its ids go to the pending set */
	FL_IX_STOPPED, /* failed permanently: its ids go to the pending set */
	FL_IX_DRIFT,   /* the database no longer matches its schema: ditto */
};

#define FL_IX_NSTATES 9

const char *fl_ixstate_name(enum fl_ixstate s);

struct fl_status_index {
	char name[64];
	int enabled;
	enum fl_ixstate state;
	int seeded;
	int policy_skip; /* effective on_error is skip */
	int covered;     /* every table it reads is in the publication */
	int settings_drift;
	char hash[17];
	char hash_alias[128];
	long serving_generation;
	long building_generation;
	uint64_t documents_built;
	uint64_t skipped_identical; /* built, identical to the stored one */
	uint64_t quarantined;
	int backfill_active;
	int64_t rows_done;
	int64_t rows_estimate; /* -1 unknown */
	size_t nuntracked;
	char untracked[FL_STATUS_LIST][128];
	size_t nsuperseded;
	char superseded[FL_STATUS_LIST][128];
	size_t norphans;
	char last_error[256];
	int paused;            /* held by `pause INDEX` (state paused) */
	long long pending;     /* ids in its pending set, -1 unknown */
	int draining;          /* its pending set is being applied */
	char hold_reason[256]; /* why it is stopped or in drift */
	int resync; /* its release rebuilds every document (ids were lost) */
	/* documents its alias holds (OpenSearch _count, read every few
	 * seconds; lags writes by the refresh interval); -1 unknown */
	int64_t stored;
};

struct fl_status_sink {
	char name[64];
	char type[16];
	char state[16]; /* ok, waiting, error */
	char last_error[256];
	uint64_t bulk_retries;
	/* OpenSearch: its nodes (the url list), up or down */
	size_t nnodes;
	struct fl_node_state nodes[FL_STATUS_NODES];
};

struct fl_status_event {
	int64_t ts_us;      /* Unix µs */
	int level;          /* enum fl_log_level */
	char component[16]; /* a log record's component; "" for the board's */
	char msg[256];
};

struct fl_status_quarantine {
	int64_t ts_us;
	char index[64];
	char id[128];
	char reason[256];
};

struct fl_status {
	uint64_t seq; /* bumped by every change */
	enum fl_phase phase;
	int64_t started_us;
	int paused;
	char waiting_for[16]; /* "", "postgres", "opensearch" */
	char version[32];
	/* counters (reference names) */
	uint64_t changes_captured;
	uint64_t changes_committed;
	uint64_t documents_built;
	uint64_t documents_skipped_identical;
	uint64_t documents_quarantined;
	uint64_t batches;
	uint64_t errors;
	uint64_t indexes_ensured;
	uint64_t untracked_changes;
	int64_t last_flush_us;
	/* flush duration histogram (seconds buckets of engine-sink §9) */
	uint64_t flush_buckets[FL_STATUS_FLUSH_BUCKETS];
	uint64_t flush_count;
	double flush_sum;
	/* queues */
	uint64_t in_flight;
	uint64_t queue_depth;
	uint64_t queue_capacity;
	uint64_t batch_changes;
	uint64_t seeding_depth;
	/* replication */
	char repl_state[16];
	char slot[64];
	char publication[64];
	char group[64]; /* the instance's group (--group), "" when none */
	fl_lsn confirmed_lsn;
	fl_lsn server_lsn;
	int lag_known;
	int64_t lag_bytes;
	double lag_seconds;
	char wal_status[16];
	uint64_t reconnects;
	/* sinks and indexes */
	size_t nsinks;
	struct fl_status_sink sinks[FL_MAX_SINKS];
	size_t nindexes;
	struct fl_status_index indexes[FL_MAX_INDEXES];
	char last_error[512];
	/* rings: newest at (head + n - 1) % size */
	size_t ev_head, ev_n;
	struct fl_status_event events[FL_STATUS_EVENTS];
	size_t q_head, q_n;
	struct fl_status_quarantine quarantine[FL_STATUS_QUARANTINE];
	/* knobs in effect */
	long cfg_queue_capacity, cfg_batch_max_changes, cfg_batch_max_delay_ms;
	long cfg_lag_poll_secs, cfg_workers;
	char cfg_prefix[64];
	int cfg_manage_publication;
	/* hot standby: "active", "standby", or "" (no coordination); the
	 * active instance as PostgreSQL shows it (standby: the other one;
	 * active: this one) */
	char role[16];
	long active_pid;
	char active_host[64];
	char active_client[64];
	int64_t active_since_us;
	long failover_after_secs;
};

/* Upper bounds of the histogram buckets, seconds (then +Inf). */
extern const double fl_status_flush_bounds[FL_STATUS_FLUSH_BUCKETS];

struct fl_board;

struct fl_board *fl_board_new(void);
void fl_board_free(struct fl_board *b);

/* A consistent copy of everything. */
void fl_board_snapshot(struct fl_board *b, struct fl_status *out);
/* The fd a reader can poll for "something changed" (read it empty). */
int fl_board_wake_fd(struct fl_board *b);

/*
 * Change the board under its lock: fn(arg, status) runs with the lock
 * held and must be short (no I/O). The generic setter; the named ones
 * below are convenience wrappers for frequent updates.
 */
void fl_board_update(struct fl_board *b,
                     void (*fn)(void *arg, struct fl_status *st), void *arg);

void fl_board_set_phase(struct fl_board *b, enum fl_phase p);
void fl_board_add_captured(struct fl_board *b, uint64_t n);
/* A committed batch: changes, documents per index (parallel arrays). */
void fl_board_batch(struct fl_board *b, uint64_t changes, uint64_t docs,
                    const char *const *ix, const uint64_t *ix_docs, size_t nix,
                    int64_t flush_us);
/* Documents of index ix[i] a successful commit did not send, being
 * identical to the stored ones (skipped[i]); any thread. */
void fl_board_skipped(struct fl_board *b, const char *const *ix,
                      const uint64_t *skipped, size_t nix);
void fl_board_event(struct fl_board *b, int level, const char *fmt, ...)
    FL_PRINTF(3, 4);
/*
 * A log record (a warning or an error, fl_log_set_tap) as an event with
 * its component. One that repeats an event of the last 2 s (same level
 * and text, as when the engine both logs and reports a failure) is
 * dropped; so is one logged while this thread holds the board's lock.
 */
void fl_board_log(struct fl_board *b, int level, const char *component,
                  const char *msg);
/* An error: counted, last_error set, and an event. */
void fl_board_error(struct fl_board *b, const char *fmt, ...) FL_PRINTF(2, 3);
void fl_board_quarantine(struct fl_board *b, const char *index, const char *id,
                         const char *reason);
/* Find an index row by name (under the lock, inside fl_board_update). */
struct fl_status_index *fl_status_index_find(struct fl_status *st,
                                             const char *name);

/*
 * 1 when the pipeline is ready (what /readyz answers 200 to and the
 * flusso_ready gauge shows): backfilling, live or paused, and waiting
 * for no dependency.
 */
int fl_status_ready(const struct fl_status *st);
/* The /status JSON document of a snapshot (engine-sink.md §6.4). */
int fl_status_to_json(const struct fl_status *st, int64_t now_us,
                      struct fl_buf *out);
/* The Prometheus text exposition (engine-sink.md §9). */
int fl_status_to_metrics(const struct fl_status *st, struct fl_buf *out);

/* Unix time in µs. */
int64_t fl_status_now_us(void);

#endif
