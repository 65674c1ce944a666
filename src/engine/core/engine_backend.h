/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_backend.h - everything the engine's threads ask of the world
 * below them, as one table of functions: PostgreSQL sessions, source
 * preparation, capture, change resolution, document building and the
 * sinks.
 *
 * The real table (fl_engine_backend_real(), engine_backend.c) forwards to
 * pg_setup.c, capture.c, resolve.c, doc_build.c and sink.c. Tests hand
 * the engine a scripted table instead (tests/unit/test_engine.c: a fake
 * capture with LSNs and transaction boundaries, a fake database, a fake
 * sink) and drive the real router, workers, seeder and commands.
 *
 * Handles are opaque to the engine: a session is one PostgreSQL
 * connection (used by one thread), a capture, resolver or builder is
 * whatever the backend made. Error conventions are those of the
 * functions the real table forwards to: 0 / -1 with err; err->code
 * FL_ERR_PG marks a transient PostgreSQL failure, FL_ERR_CANCELLED an
 * aborted call, anything else is permanent.
 */
#ifndef FL_ENGINE_BACKEND_H
#define FL_ENGINE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "docs/doc_build.h"
#include "docs/resolve.h"
#include "sink/sink.h"
#include "source/capture.h"
#include "source/change_event.h"
#include "source/pg_lock.h"
#include "source/pg_setup.h"
#include "source/tracked_tables.h"
#include "util/diagnostics.h"
#include "util/err.h"

struct fl_engine_backend {
	void *ctx; /* passed to the constructors below */

	/* ---- PostgreSQL sessions (one thread each) ---- */
	void *(*session_open)(void *ctx, const char *conninfo, const char *app,
	                      struct fl_err *err);
	/* Is the session still connected? (0 after a lost connection) */
	int (*session_ok)(void *session);
	void (*session_close)(void *session);

	/* ---- start-up ---- */
	int (*prepare)(void *ctx, const char *conninfo,
	               const struct fl_config *cfg,
	               const struct fl_source_opts *o,
	               struct fl_source_prep *prep, struct fl_diags *d,
	               struct fl_err *err);
	int (*track_load)(void *session, struct fl_track *t,
	                  struct fl_err *err);
	struct fl_sink *(*sink_new)(void *ctx, const struct fl_config *cfg,
	                            int pretty, struct fl_err *err);

	/* ---- capture (capture.h) ---- */
	void *(*capture_new)(void *ctx, const struct fl_capture_opts *o);
	int (*capture_start)(void *cap, struct fl_err *err);
	void (*capture_stop)(void *cap);
	void (*capture_free)(void *cap);
	void (*capture_confirm)(void *cap, struct fl_ack ack);
	void (*capture_restart)(void *cap);
	uint64_t (*capture_epoch)(void *cap);
	void (*capture_status)(void *cap, struct fl_capture_status *out);

	/* ---- resolution (resolve.h) ---- */
	void *(*resolver_new)(void *ctx, const struct fl_config *cfg,
	                      const struct fl_track *track);
	void (*resolver_free)(void *r);
	int (*resolver_prepare)(void *r, void *session, struct fl_err *err);
	int (*resolve)(void *r, void *session, const struct fl_change *c,
	               fl_resolve_emit emit, void *arg, struct fl_err *err);
	unsigned long (*resolver_untracked)(void *r);
	size_t (*resolve_truncate)(void *r, const struct fl_track_table *t,
	                           const char **names, size_t max);

	/* ---- documents (doc_build.h) ---- */
	void *(*builder_new)(void *ctx, const struct fl_config *cfg);
	void (*builder_free)(void *b);
	int (*builder_prepare)(void *b, void *session, struct fl_err *err);
	int (*build)(void *b, void *session, const char *index,
	             const char *const *keys, size_t n, struct fl_docs *out,
	             struct fl_err *err);
	int (*key_page)(void *b, void *session, const char *index,
	                const char *after, long limit, char ***keys, size_t *n,
	                struct fl_err *err);
	long long (*estimate)(void *b, void *session, const char *index,
	                      struct fl_err *err);
	/* The version of documents built next (WAL position); NULL: the
	 * documents are written without one. */
	int (*wal_position)(void *session, uint64_t *out, struct fl_err *err);

	/* ---- schema drift (pg_check.h) ---- */
	/* Does the database still match the schema of `index`? 1 with the
	 * first mismatch in why[0..n), 0, or -1 with err. NULL: never
	 * checked (a failure is then classified by its SQLSTATE alone). */
	int (*drift_check)(void *session, const struct fl_config *cfg,
	                   const char *index, int untracked_warning, char *why,
	                   size_t n, struct fl_err *err);
	/* ---- the active/standby lock of a slot (pg_lock.h) ---- */
	/* NULL: no coordination, the engine is always active (doubles).
	 * They run on a session of their own, opened by session_open. */
	int (*lock_try)(void *session, const char *slot, const char *tag,
	                int *got, struct fl_err *err);
	int (*lock_ping)(void *session, struct fl_err *err);
	int (*lock_holder)(void *session, const char *slot,
	                   struct fl_pglock_holder *h, struct fl_err *err);
	int (*lock_depose)(void *session, const struct fl_pglock_holder *h,
	                   struct fl_err *err);
};

/* The table that talks to PostgreSQL and the configured sinks. */
const struct fl_engine_backend *fl_engine_backend_real(void);

#endif
