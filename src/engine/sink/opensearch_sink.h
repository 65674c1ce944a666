/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_sink.h - the OpenSearch sink's parts shared by its three files, its
 * tuning knobs, and the pure bulk helpers the unit tests pin.
 *
 *   opensearch_sink.c         control face: constructor, ensure_index, meta,
 *                     aliases, mark_seeded, stage_rebuild, gc
 *   opensearch_writer.c  writers: buffering, routing snapshot, flush
 *   opensearch_bulk.c    pure bulk helpers: NDJSON, chunk plan, response
 *                     parsing and classification (engine-sink.md §2.7)
 *
 *   opensearch_api.c   control calls with retries and error prefixes
 *                     (§2.10): indices, aliases, meta
 *   opensearch_pending.c  held indexes: the pending index, holds and
 *                     pending ids (the control ops; writers' pend is in
 *                     opensearch_writer.c)
 *   opensearch_refresh.c the shared refresher: writes made searchable
 *                     off the flush path, once per period
 *   opensearch_abort.c set_abort: the flag reaches every HTTP client of
 *                     the sink; the cancelled error
 *
 * The routing table (struct os_route, one per ensured logical index) is
 * shared by the control face and every writer of the sink; see the
 * DESIGN block of opensearch_sink.c for its lock protocol.
 */
#ifndef FL_OPENSEARCH_SINK_H
#define FL_OPENSEARCH_SINK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config/sink_conn.h"
#include "sink/sink.h"
#include "util/buf.h"
#include "util/http_client.h"

/* Default number of bulk requests one writer keeps in flight. */
#define FL_SINK_OS_PARALLEL 2

/* ---- tuning (API addition: no config key yet) ------------------------ */

struct fl_sink_os_tuning {
	int parallel;           /* bulk requests in flight per writer, 1..16 */
	int gzip;               /* gzip bulk request bodies */
	long long max_send_bps; /* writers' upload cap, 0 = none (benchmarks
	                           simulate a slow link with it) */
};

/* Change the tuning of an OpenSearch sink (before writer_new; no-op
 * on another kind of sink). */
void fl_sink_os_tune(struct fl_sink *s, const struct fl_sink_os_tuning *t);

/* The shared refresher's period in ms (before writer_new): at most one
 * refresh of the sink's written generations per period, off the flush
 * path; 0 = each caught-up flush refreshes before it returns (the old
 * way). Clamped to 0..60000. No-op on another kind of sink. */
void fl_sink_os_set_refresh(struct fl_sink *s, long period_ms);

/* Bound of each writer's cache of stored documents, ids per index
 * (before writer_new; opensearch_seen.c): live documents identical to
 * the one last stored are not sent again. 0 turns it off. Clamped to
 * 0..10,000,000. No-op on another kind of sink. */
void fl_sink_os_set_skip(struct fl_sink *s, long max_ids);

/* Ids in an OpenSearch writer's cache for index, and its slots (0 for
 * another kind of writer). For tests and memory measurements. */
size_t fl_sink_os_writer_seen(struct fl_sink_writer *w, const char *index,
                              size_t *slots);

/* Refreshes the shared refresher sent and failed so far (0, 0 on
 * another kind of sink). */
void fl_sink_os_refresh_count(struct fl_sink *s, uint64_t *refreshes,
                              uint64_t *failures);

/* ---- pure bulk helpers (opensearch_bulk.c) ------------------------------ */

/*
 * Chunk plan over action sizes, in order: before adding an action to a
 * non-empty chunk, close the chunk if it already holds batch_size
 * actions or adding the action would exceed max_bytes (so an oversized
 * action travels alone). Writes the action count of each chunk into
 * counts (room for n) and returns the number of chunks.
 */
size_t fl_bulk_plan(const size_t *sizes, size_t n, long batch_size,
                    long max_bytes, size_t *counts);

/* The action line: {"index"|"delete":{"_id":ID,"_index":INDEX}}\n;
 * with a version (not 0) also "version":V,"version_type":"external_gte":
 * OpenSearch keeps a stored document of a higher version (409). */
int fl_bulk_put_meta(struct fl_buf *b, int del, const char *index,
                     const char *id, size_t idlen, uint64_t version);

/* A whole action: the action line, then for an index action the
 * document verbatim and a newline. */
int fl_bulk_put_action(struct fl_buf *b, int del, const char *index,
                       const char *id, const char *doc, size_t len,
                       uint64_t version);

/* "/_bulk[?pipeline=P][&refresh=true]", P percent-encoded; caller
 * frees. */
char *fl_bulk_path(const char *pipeline, int refresh);

/* Replace raw CR and LF bytes of a document by spaces, in place
 * (source.md §14.2: insignificant whitespace in JSON, fatal in NDJSON). */
void fl_bulk_scrub(char *doc, size_t n);

/* How one request or item is handled (engine-sink.md §2.7, ours). */
enum fl_bulk_class {
	FL_BULK_OK,     /* applied (or a delete of a missing id) */
	FL_BULK_RETRY,  /* transient: resend with backoff */
	FL_BULK_SPLIT,  /* 413 on several actions: split in halves */
	FL_BULK_REJECT, /* the document is refused: failure policy */
	FL_BULK_FATAL,  /* permanent: the flush fails, pipeline stops */
	FL_BULK_STALE,  /* a versioned write found a newer version stored
	                   (409 version conflict): superseded, not applied */
};

/* Class of a whole bulk response by HTTP status (0: transport error)
 * and the number of actions it carried. 2xx is FL_BULK_OK (the body
 * still has to be read). */
enum fl_bulk_class fl_bulk_classify_status(long status, size_t nactions);

/* What action position i of a chunk was (for mapping items back). */
struct fl_bulk_ref {
	const char *index;
	const char *id;
};

/* One item of a bulk response that was not plainly applied. */
struct fl_bulk_item {
	size_t pos; /* position in the chunk */
	enum fl_bulk_class cls;
	int status;  /* the item's status, 0 when missing */
	char *index; /* of the action at pos, else the item's _index */
	char *id;
	char *reason; /* error.reason, else "rejected with status <s>" */
};

/*
 * Read a 2xx bulk response to nactions actions (refs: NULL, or the
 * chunk's nactions actions in order, naming the items by position).
 * The outcome is known only when the body is an object with a boolean
 * `errors` and an `items` array of exactly nactions entries, each
 * {"<action>": {..., "status": <integer 100..599>}}; anything else
 * returns -1 with *why saying what is wrong (a static string): unknown
 * outcome, nothing in it may count as applied or as rejected. Otherwise
 * *why is NULL and: `errors` false returns 0 (all applied, no items);
 * `errors` true returns 1 with every item that is not OK, in order (a
 * delete answered 404 `not_found` is OK; 429,
 * es_rejected_execution_exception and 5xx are RETRY;
 * index_not_found_exception is FATAL; anything else is REJECT).
 */
int fl_bulk_parse(const char *body, size_t len, const struct fl_bulk_ref *refs,
                  size_t nactions, struct fl_bulk_item **items, size_t *nitems,
                  const char **why);
void fl_bulk_items_free(struct fl_bulk_item *items, size_t n);

/* Every item of a bulk response as it came, for trace records. Strings
 * are borrowed for the call only; NULL when absent. */
struct fl_bulk_outcome {
	size_t pos;         /* position in the chunk */
	const char *action; /* "index", "delete" */
	int status;         /* 0 when missing */
	long long version;  /* _version, -1 when missing */
	const char *result; /* "created", "updated", "deleted", "not_found" */
	const char *error;  /* error.type */
	const char *reason; /* error.reason */
};

/* Call fn for each item of a bulk response body, in order; -1 (and no
 * call) when there is no `items` array. */
int fl_bulk_each(const char *body, size_t len,
                 void (*fn)(void *arg, const struct fl_bulk_outcome *o),
                 void *arg);

/* ---- shared by opensearch_sink.c and opensearch_writer.c ------------------------ */

/* One ensured logical index. Strings never change once set; the
 * numbers are read and written under fl_sink_os.mu. */
struct os_route {
	char *logical;
	char *hash;
	char *hash_alias;
	char *conv_alias;
	struct fl_val *body; /* creation body, for staged rebuilds */
	long active;         /* meta active_generation */
	long serving;        /* holder of the hash alias, 0 = none */
	int seeded;
	/* meta fields kept for rewrites (control thread only) */
	int has_source;
	struct fl_source_identity source;
	char *seeded_at;
	char *cursor;
};

struct fl_sink_os {
	struct fl_sink base;
	struct fl_http_cfg http;  /* conn.http with the checked url */
	struct fl_sink_conn conn; /* url, auth, TLS (config/sink_conn.h) */
	char *url;
	char *prefix;
	char *meta_index;
	char *pending_index;      /* P flusso_pending */
	atomic_int pending_ready; /* it exists (any thread may set it) */
	char *bulk_path;
	char *refresh_interval;
	long batch_size;
	long max_bytes;
	long max_retries;
	struct fl_sink_os_tuning tune;
	struct fl_http *ctl;   /* the control thread's client */
	struct fl_http *count; /* count_docs' client (its one caller) */
	int meta_ready;
	/* routing: routes[] grows only; see opensearch_sink.c DESIGN */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int flushing; /* flushes holding a routing snapshot */
	int changing; /* routing changes waiting for them */
	struct os_route **routes;
	size_t nroutes, caproutes;
	size_t seen_max; /* each writer's seen cache, ids per index */
	/* the shared refresher (opensearch_refresh.c), its own lock */
	struct os_refresher *refresher;
	/* abort (opensearch_abort.c), under mu */
	const atomic_int *abort_flag; /* set_abort's flag, NULL = none */
	struct fl_http **clients;     /* ctl and every writer's client */
	size_t nclients, capclients;
};

/* ---- control calls (opensearch_api.c) --------------------------------
 * All return FL_SINK_OK, FL_SINK_TRANSIENT (after max_retries) or
 * FL_SINK_PERMANENT, with the §2.10 prefix in err; once the sink is
 * aborted, FL_SINK_TRANSIENT with FL_ERR_CANCELLED (no retry). */

/* A list of index or alias names (owned strings). */
struct fl_sink_os_names {
	char **v;
	size_t n;
};

void fl_sink_os_names_done(struct fl_sink_os_names *l);
int fl_sink_os_names_has(const struct fl_sink_os_names *l, const char *name);
void fl_sink_os_names_add(struct fl_sink_os_names *l, const char *name);
void fl_sink_os_names_sort(struct fl_sink_os_names *l);

/* Concrete indices matching pattern, hidden ones too, sorted (404 ->
 * none). */
int fl_sink_os_list(struct fl_sink_os *s, const char *pattern,
                    struct fl_sink_os_names *out, struct fl_err *err);
/* HEAD /<index>: *exists set on FL_SINK_OK. */
int fl_sink_os_exists(struct fl_sink_os *s, const char *index, int *exists,
                      struct fl_err *err);
/* PUT /<index> with body; "already exists" counts as success. */
int fl_sink_os_create(struct fl_sink_os *s, const char *index, const char *body,
                      const char *what, struct fl_err *err);
/* Indices holding alias, in response order (404 -> none). */
int fl_sink_os_alias_holders(struct fl_sink_os *s, const char *alias,
                             struct fl_sink_os_names *out, struct fl_err *err);
/* Point alias at target with one atomic POST /_aliases (§2.4). */
int fl_sink_os_point_alias(struct fl_sink_os *s, const char *alias,
                           const char *target, struct fl_err *err);
/* A call whose success is any 2xx (and 404 when ok404). */
int fl_sink_os_simple(struct fl_sink_os *s, const char *method,
                      const char *path, const char *body, int ok404,
                      const char *what, struct fl_err *err);
/* Create the meta index when missing (hidden, 1 shard, auto-expanded
 * replicas, dynamic false). */
int fl_sink_os_meta_index(struct fl_sink_os *s, struct fl_err *err);
/* Read rt's meta doc into rt (active 0 when there is none). */
int fl_sink_os_meta_get(struct fl_sink_os *s, struct os_route *rt,
                        struct fl_err *err);
/* Write rt's meta doc with the given generation and seeded flag. */
int fl_sink_os_meta_put(struct fl_sink_os *s, const struct os_route *rt,
                        long active, int seeded, struct fl_err *err);

/* Retry a call on transient failures (transport, 429, 5xx listed in
 * §2.7) up to max_retries with backoff, until h is aborted (then
 * fl_sink_os_cancelled). FL_SINK_OK: r holds a non-transient response
 * for the caller to judge. */
int fl_sink_os_call(struct fl_sink_os *s, struct fl_http *h, const char *method,
                    const char *path, const char *body, struct fl_http_req *r,
                    const char *what, struct fl_err *err);

/* Turn an unexpected status into FL_SINK_PERMANENT with "<what>: ...". */
int fl_sink_os_status_error(const struct fl_http_req *r, const char *what,
                            struct fl_err *err);

/* Sleep before retry attempt k >= 1: 200 ms x 2^(k-1) plus jitter, or
 * Retry-After when longer (capped at 60 s), in slices of at most 100 ms.
 * Returns 0 after the whole sleep, -1 at once when h is aborted
 * (fl_http_aborted), before or during it. */
int fl_sink_os_backoff(int attempt, long retry_after_ms,
                       const struct fl_http *h);

/* ---- abort (opensearch_abort.c) ---------------------------------------- */

/* set_abort of the OpenSearch sink (sink.h): any thread, any time. */
void fl_sink_os_set_abort(struct fl_sink *s, const atomic_int *flag);

/* Register a client the sink just made (its owner thread): it gets the
 * sink's abort flag now and on every later set_abort. */
void fl_sink_os_client_add(struct fl_sink_os *s, struct fl_http *h);

/* Unregister h before freeing it (its owner thread). */
void fl_sink_os_client_remove(struct fl_sink_os *s, struct fl_http *h);

/* Set err to "<what>: cancelled (the sink was aborted)" with code
 * FL_ERR_CANCELLED; returns FL_SINK_TRANSIENT. */
int fl_sink_os_cancelled(const char *what, struct fl_err *err);

/* The control face's HTTP client (made on first use; control thread). */
struct fl_http *fl_sink_os_ctl(struct fl_sink_os *s, struct fl_err *err);

/* ---- held indexes (opensearch_pending.c) ------------------------------
 * The sink ops of sink.h "Held indexes" (control thread), and what the
 * writers need for pend (any writer thread, with its own client). */

int fl_sink_os_hold_load(struct fl_sink *s, const char *index,
                         struct fl_sink_hold *out, struct fl_err *err);
int fl_sink_os_hold_save(struct fl_sink *s, const char *index,
                         const struct fl_sink_hold *h, struct fl_err *err);
int fl_sink_os_pending_page(struct fl_sink *s, const char *index,
                            const char *after, size_t max,
                            struct fl_pending_page *out, struct fl_err *err);
int fl_sink_os_pending_remove(struct fl_sink *s, const char *index,
                              const struct fl_pending_id *v, size_t n,
                              struct fl_err *err);
int fl_sink_os_pending_count(struct fl_sink *s, const char *index, long long *n,
                             struct fl_err *err);

/* Create the pending index when missing, through client h (the calling
 * thread's own); cached in s->pending_ready once it exists. */
int fl_sink_os_pending_ensure(struct fl_sink_os *s, struct fl_http *h,
                              struct fl_err *err);

/* The source of a pending id: {"index":I,"key":K,"kind":"id","since":MS}. */
void fl_sink_os_pending_doc(struct fl_buf *b, const char *index,
                            const char *key, long long since_ms);

/* ---- the shared refresher (opensearch_refresh.c) ---------------------- */

struct os_refresher;

/* Make s->refresher with the given period (constructor). */
void fl_sink_os_refresh_init(struct fl_sink_os *s, long period_ms);
/* Stop its thread (a refresh still wanted is sent first) and free it. */
void fl_sink_os_refresh_done(struct fl_sink_os *s);
/* 1 when refreshes are shared (period > 0), 0 when writers refresh. */
int fl_sink_os_refresh_shared(const struct fl_sink_os *s);
/* A writer wrote to these generations; caught_up: make them searchable
 * within a period. Any writer thread; starts the thread on first use. */
void fl_sink_os_refresh_note(struct fl_sink_os *s, const char *const *gens,
                             size_t n, int caught_up);
void fl_sink_os_refresh_stats(const struct fl_sink_os *s, uint64_t *refreshes,
                              uint64_t *failures);

/* Writers (opensearch_writer.c). */
struct fl_sink_writer *fl_sink_os_writer_new(struct fl_sink *s);

#endif
