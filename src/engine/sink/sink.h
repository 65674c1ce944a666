/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sink.h - where documents go: the sink interface (engine-sink.md §1)
 * shared by the OpenSearch sink (opensearch_sink.c), the stdout sink
 * (stdout_sink.c) and fan-out over several sinks (fanout_sink.c).
 *
 * A sink has two faces:
 *   - control (struct fl_sink): index lifecycle - ensure, seeded state,
 *     marking seeded (alias swap), staging a rebuild, cursors, garbage -
 *     called by the engine's control thread only (one thread at a time);
 *   - writers (struct fl_sink_writer): one per worker thread, each with
 *     its own buffer and connection: upsert / delete / flush. Writers
 *     read the routing (logical index -> physical targets) that the
 *     control face publishes, taking a consistent copy at the start of
 *     each flush, so a routing change never splits a flush.
 *
 * Error classes: a flush or control call returns FL_SINK_OK, or
 * FL_SINK_TRANSIENT (unreachable, 429, 5xx, timeouts: wait and retry,
 * nothing was confirmed) or FL_SINK_PERMANENT (401/403, other 4xx,
 * index missing: stop) with a message in err. Item rejections of a
 * successful flush come back in a report, mapped to logical index + id.
 */
#ifndef FL_SINK_H
#define FL_SINK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "config/value.h"
#include "source/pg_setup.h"
#include "util/err.h"
#include "util/node_pool.h"

enum fl_sink_rc {
	FL_SINK_OK = 0,
	FL_SINK_TRANSIENT = -1,
	FL_SINK_PERMANENT = -2,
};

/* What ensure_index needs about one enabled index. */
struct fl_sink_index_def {
	const char *name;          /* logical index name */
	const char *hash;          /* 16 hex digits (schema_hash.h) */
	const struct fl_val *body; /* creation body (mapping.h) */
};

/* What the sink knows about an index after ensure_index. */
struct fl_sink_index_state {
	int tracks_seeding; /* 0 for stdout: "not applicable" */
	int seeded;         /* the active generation is seeded */
	long active_generation;
	long serving_generation; /* holder of the hash alias, 0 = none */
	struct fl_source_identity source; /* recorded at seed time */
	int has_source;
	char *backfill_cursor; /* last flushed root key, or NULL */
	char **superseded;     /* hash aliases of other hashes, sorted */
	size_t nsuperseded;
	char **orphans; /* generations of this hash that nothing uses */
	size_t norphans;
};

void fl_sink_index_state_done(struct fl_sink_index_state *s);

/* A document refused by the sink (the failure policy decides). */
struct fl_sink_rejection {
	char *index; /* logical */
	char *id;
	int status; /* HTTP status of the item, 0 if none */
	char *reason;
};

struct fl_sink_report {
	struct fl_sink_rejection *v;
	size_t n;
};

void fl_sink_report_done(struct fl_sink_report *r);

/*
 * Held indexes (engine-sink.md "Ours: isolation"). A paused or stopped
 * index writes no documents; the ids its changes affect go to a durable
 * pending set instead, and its hold survives a restart. The first
 * OpenSearch sink keeps both in `P flusso_pending` (documents with
 * `kind` "id" or "hold"); sinks without the notion leave these ops NULL,
 * and fan-out forwards them to the first inner sink that has them.
 */
enum fl_hold {
	FL_HOLD_NONE = 0, /* syncing */
	FL_HOLD_PAUSED,   /* `pause INDEX` */
	FL_HOLD_STOPPED,  /* a permanent failure under on_error: stop */
	FL_HOLD_DRIFT,    /* the database no longer matches its schema */
};

struct fl_sink_hold {
	enum fl_hold state;
	int64_t since_us; /* Unix µs when it began */
	char reason[256]; /* why (stopped, drift); may be empty */
	/* some change's ids could not be resolved while it was held: the
	 * release rebuilds every document of the index in place */
	int resync;
};

/* One id of a pending set, with the version it was read at: removing it
 * succeeds only while that version is current (a newer write of the same
 * id, by a pause that came back during a drain, is kept). */
struct fl_pending_id {
	char *key;
	long long seq_no, primary_term;
};

struct fl_pending_page {
	struct fl_pending_id *v;
	size_t n;
};

void fl_pending_page_done(struct fl_pending_page *p);

struct fl_sink;
struct fl_sink_writer;

/* Receives the node states of one OpenSearch sink (ops->nodes). */
typedef void (*fl_sink_nodes_fn)(void *arg, const char *sink,
                                 const struct fl_node_state *v, size_t n);

struct fl_sink_ops {
	/* Create the destination of one index if absent (meta, generation,
	 * aliases per engine-sink.md §2.4); fill *st. */
	int (*ensure_index)(struct fl_sink *s,
	                    const struct fl_sink_index_def *def,
	                    struct fl_sink_index_state *st, struct fl_err *err);
	/* Record progress of an in-progress seeding (NULL: clear). */
	int (*save_cursor)(struct fl_sink *s, const char *index,
	                   const char *cursor, struct fl_err *err);
	/* The seeding of the active generation is complete and flushed:
	 * refresh, set the refresh interval, swap aliases, drop the
	 * superseded generation, write meta last (§2.8). */
	int (*mark_seeded)(struct fl_sink *s, const char *index,
	                   const struct fl_source_identity *id,
	                   struct fl_err *err);
	/* Stage generation N+1 of an index (create it, meta unseeded) and
	 * start dual writes to it; reuses an already staged one. */
	int (*stage_rebuild)(struct fl_sink *s, const char *index,
	                     long *generation, struct fl_err *err);
	/* Delete orphan generations of an index; returns how many. */
	int (*gc)(struct fl_sink *s, const char *index, int *deleted,
	          struct fl_err *err);
	struct fl_sink_writer *(*writer_new)(struct fl_sink *s);
	void (*free)(struct fl_sink *s);

	/* ---- held indexes (NULL: this sink cannot keep them) ---- */
	/* The stored hold of an index (FL_HOLD_NONE when none is stored). */
	int (*hold_load)(struct fl_sink *s, const char *index,
	                 struct fl_sink_hold *out, struct fl_err *err);
	/* Store the hold of an index; FL_HOLD_NONE deletes it. Durable when
	 * it returns FL_SINK_OK. */
	int (*hold_save)(struct fl_sink *s, const char *index,
	                 const struct fl_sink_hold *h, struct fl_err *err);
	/* Up to max pending ids of an index in key order (byte order of the
	 * key text), after `after` (NULL: from the first). Sees every id
	 * whose write was flushed before the call (refreshes first when
	 * after is NULL). *out is overwritten: free a previous page with
	 * fl_pending_page_done first. */
	int (*pending_page)(struct fl_sink *s, const char *index,
	                    const char *after, size_t max,
	                    struct fl_pending_page *out, struct fl_err *err);
	/* Remove ids whose documents were made durable since they were read;
	 * an id rewritten since (version conflict) or already gone is kept
	 * or ignored, never an error. */
	int (*pending_remove)(struct fl_sink *s, const char *index,
	                      const struct fl_pending_id *v, size_t n,
	                      struct fl_err *err);
	/* How many ids of an index are pending (may lag writes by the
	 * sink's refresh interval). */
	int (*pending_count)(struct fl_sink *s, const char *index, long long *n,
	                     struct fl_err *err);
	/* How many documents the index's convenience alias holds (what a
	 * search sees; lags writes by the refresh interval): one attempt,
	 * no retry, no log; 404 (not created yet) is FL_SINK_PERMANENT.
	 * Its own connection: one thread at a time, not under the control
	 * face's lock. May be NULL (stdout: nothing is stored). */
	int (*count_docs)(struct fl_sink *s, const char *index, long long *n,
	                  struct fl_err *err);
	/* Abort in-flight requests and backoff sleeps of the control face
	 * and every writer once *flag is set (shutdown grace exceeded). The
	 * flag outlives the sink. An aborted call returns FL_SINK_TRANSIENT
	 * with err->code FL_ERR_CANCELLED and confirms nothing. May be NULL
	 * (nothing to abort). */
	void (*set_abort)(struct fl_sink *s, const atomic_int *flag);
	/* The nodes of every OpenSearch sink inside (its `url` list) and
	 * whether each is up: fn(arg, sink name, states, n) once per such
	 * sink. Any thread; reads the sink's node pool only. May be NULL
	 * (no nodes). */
	void (*nodes)(struct fl_sink *s, fl_sink_nodes_fn fn, void *arg);
};

struct fl_sink {
	const struct fl_sink_ops *ops;
	char *name;       /* config name ("stdout" for the fallback) */
	const char *type; /* "opensearch", "stdout", "fanout" */
};

struct fl_sink_writer_ops {
	/* Buffer an upsert / a delete; never does I/O, never fails. When
	 * `seeding` is 1 the write goes to the building generation only
	 * (seeding writes), else to every current target (dual write); 0
	 * or FL_SINK_WRITE_FORCED (a live write that is always sent, even
	 * when identical to the one last written: repairs). */
	void (*upsert)(struct fl_sink_writer *w, const char *index,
	               const char *id, const char *doc, size_t len,
	               int seeding);
	void (*del)(struct fl_sink_writer *w, const char *index, const char *id,
	            int seeding);
	/* Make everything buffered durable (buffer emptied either way).
	 * caught_up: make it searchable now. Rejections go to *rep. */
	int (*flush)(struct fl_sink_writer *w, int caught_up,
	             struct fl_sink_report *rep, struct fl_err *err);
	void (*free)(struct fl_sink_writer *w);
	/* Buffer "id of index is pending" (held indexes); durable with the
	 * next successful flush, like a document write, and never reported
	 * as a rejection: a pending write that fails fails the flush. NULL
	 * when the sink has no pending set (see hold_load). */
	void (*pend)(struct fl_sink_writer *w, const char *index,
	             const char *id);
	/* The version of the documents buffered from now on (0: none): the
	 * source's WAL position read before they were built, so a document
	 * built later never has a lower one. A sink that keeps versions
	 * keeps a stored document of a higher version: a write sent by a
	 * process killed meanwhile, which lands after its successor's,
	 * changes nothing. NULL when the sink keeps no versions. */
	void (*set_version)(struct fl_sink_writer *w, uint64_t version);
	/* Live documents of index that successful flushes did not send
	 * since the last call, being identical to what the sink last
	 * stored for their id. NULL when the sink never skips. */
	uint64_t (*skipped)(struct fl_sink_writer *w, const char *index);
};

/* The `seeding` argument of upsert/del for a live write that must be
 * sent whatever the sink remembers (a repair, a drained pending id). */
#define FL_SINK_WRITE_FORCED 2

struct fl_sink_writer {
	const struct fl_sink_writer_ops *ops;
	struct fl_sink *sink;
};

/* Can this sink keep held indexes (a pending set and holds)? */
int fl_sink_can_hold(const struct fl_sink *s);

/* Constructors (runtime: secrets resolved from the environment). */
struct fl_sink *fl_sink_os_new(const struct fl_sink_cfg *cfg,
                               const char *prefix, struct fl_err *err);
struct fl_sink *fl_sink_stdout_new(const char *name, int pretty);
/* Takes ownership of the sinks (n >= 2, in sink-name order). */
struct fl_sink *fl_sink_fanout_new(struct fl_sink **sinks, size_t n);

/* All sinks of a configuration: fan-out for 2+, the one sink, or the
 * stdout fallback when none is configured. */
struct fl_sink *fl_sink_from_config(const struct fl_config *c, int pretty,
                                    struct fl_err *err);

#endif
