/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine.h - the sync engine: capture -> route -> workers -> sinks ->
 * confirm, seeding alongside, and the control commands (engine-sink.md
 * §5; dashboard.md §4).
 *
 * Owns: the threads (control, router, N workers, seeding; capture and
 * lag live in capture.c), batching, dedup, the commit order (build,
 * write, flush, policy, then confirm), failure policies, waiting and
 * retrying on transient failures, pausing, staging rebuilds, and the
 * status board's content.
 * Does not own: decoding (capture.c), SQL (doc_build.c, resolve.c), HTTP
 * (sinks, http_server.c), argv.
 *
 * Usage: fl_engine_new() -> fl_engine_start() -> (commands) ->
 * fl_engine_request_stop() -> fl_engine_wait() -> fl_engine_free().
 */
#ifndef FL_ENGINE_H
#define FL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/status_board.h"
#include "util/err.h"

struct fl_engine_backend;

struct fl_engine_opts {
	const struct fl_config *cfg; /* borrowed; outlives the engine
	                              * (after a reload, the engine's) */
	struct fl_board *board;      /* borrowed */
	const char *slot;
	const char *publication;
	int manage_publication;
	int skip_backfill;
	int pretty; /* stdout fallback sink */
	long workers;
	long queue_capacity;
	long batch_max_changes;
	long batch_max_delay_ms;
	long lag_poll_secs;
	long shutdown_grace_secs;
	/* Hot standby (engine_standby.c): a standby deposes an active
	 * instance that stopped answering for this long; 0 never. */
	long failover_after_secs;
	int allow_untracked;
	int rebuild_on_source_change;
	/* After a permanent pipeline failure, wait for `retry` or `stop`
	 * instead of ending (the in-process dashboard); `flusso run` ends
	 * so its supervisor sees the failure. */
	int stay_on_failure;
	/* What the engine talks to; NULL: PostgreSQL and the configured
	 * sinks (fl_engine_backend_real()). Tests pass doubles. */
	const struct fl_engine_backend *backend;
	/* `reload`: the configuration loaded again (the same file and
	 * overrides), owned by the engine from then on; NULL with why[]
	 * (every problem is logged) when it is invalid. NULL: reload is
	 * not offered. */
	struct fl_config *(*reload)(void *arg, char *why, size_t n);
	void *reload_arg;
	/* Tests only: called at named points of the engine's threads. */
	void (*failpoint)(void *arg, const char *where);
	void *failpoint_arg;
};

/* Defaults of engine-sink.md §5.1 (workers = number of cores). */
void fl_engine_opts_default(struct fl_engine_opts *o);

struct fl_engine;

struct fl_engine *fl_engine_new(const struct fl_engine_opts *o);
/* Start the control thread, which runs the start-up sequence. */
int fl_engine_start(struct fl_engine *e, struct fl_err *err);
/* Ask for a graceful stop (safe from a signal-handling thread). */
void fl_engine_request_stop(struct fl_engine *e);
/* The configuration the engine runs now (changes on reload; stays
 * valid until fl_engine_free). Any thread. */
const struct fl_config *fl_engine_config(struct fl_engine *e);
/* The slot and publication it streams from (borrowed, fixed). */
void fl_engine_source_names(const struct fl_engine *e, const char **slot,
                            const char **publication);
/* Stop now: like request_stop, and cancel commits, sink requests and
 * backoffs in progress (nothing unconfirmed is confirmed). For a
 * shutdown whose grace period passed. */
void fl_engine_abort(struct fl_engine *e);
/* The control thread's heartbeat: a counter it bumps at every turn of
 * its loops (at least every 250 ms while it supervises, waits for a
 * service or backs off, stops). A supervisor (the systemd watchdog)
 * reads it from any thread: one that stops moving is a wedged engine.
 * Long start-up steps (connecting, creating the slot, ensuring the
 * indexes) do not bump it. */
uint64_t fl_engine_heartbeat(struct fl_engine *e);
/* Has the engine ended (stopped or failed)? Never blocks. */
int fl_engine_finished(struct fl_engine *e);
/* Wait for the engine to end: 0 stopped on request, 1 permanent error
 * (the message is in the board's last_error). */
int fl_engine_wait(struct fl_engine *e);
void fl_engine_free(struct fl_engine *e);

/* Control commands (dashboard.md §4); run on the control thread. */
enum fl_engine_cmd {
	FL_ECMD_PAUSE,
	FL_ECMD_RESUME,
	FL_ECMD_REINDEX,
	FL_ECMD_BACKFILL,
	FL_ECMD_POLICY,
	FL_ECMD_GC,
	FL_ECMD_RETRY,
	FL_ECMD_STOP,
	FL_ECMD_RELOAD,
	FL_ECMD_REPAIR, /* use fl_engine_repair */
};

/*
 * Post a command and wait (at most wait_ms) for its result. Commands run
 * one at a time on the control thread, in arrival order. Returns an
 * HTTP-like status: 200 done, 202 accepted/started (or still running
 * when wait_ms passed), 400 bad argument, 404 unknown index, 409
 * conflict (disabled, already running, nothing to retry), 500 failed
 * (the message carries the sink's or database's reason), 503 the engine
 * is not running. `msg` receives a one-line human answer. Safe from any
 * thread, before start and after the end (503).
 */
int fl_engine_command(struct fl_engine *e, enum fl_engine_cmd cmd,
                      const char *index, const char *arg, char *msg,
                      size_t msglen, int wait_ms);

/*
 * `repair INDEX ID...`: rebuild the documents of these ids through the
 * live path (built by the workers, written with their version, like a
 * change of the root row). Answers 200 once they are durable (within
 * wait_ms; else 202), 404/409 for the index as fl_engine_command. A
 * paused index keeps them as pending ids until resume (the answer says
 * so).
 */
int fl_engine_repair(struct fl_engine *e, const char *index,
                     const char *const *ids, size_t n, char *msg, size_t msglen,
                     int wait_ms);

#endif
