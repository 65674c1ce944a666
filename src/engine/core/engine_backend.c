/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_backend.c - the real engine backend: each entry forwards to the
 * module that does the work (pg_conn.c, pg_setup.c, tracked_tables.c,
 * capture.c, resolve.c, doc_build.c, sink.c). No logic of its own.
 */
#include "core/engine_backend.h"

#include <libpq-fe.h>

#include "source/pg_check.h"
#include "source/pg_conn.h"

static void *
be_session_open(void *ctx, const char *conninfo, const char *app,
                struct fl_err *err)
{
	(void)ctx;
	return fl_pgconn_open(conninfo, app, 0, err);
}

static int
be_session_ok(void *session)
{
	return session && PQstatus(session) == CONNECTION_OK;
}

static void
be_session_close(void *session)
{
	PQfinish(session);
}

static int
be_prepare(void *ctx, const char *conninfo, const struct fl_config *cfg,
           const struct fl_source_opts *o, struct fl_source_prep *prep,
           struct fl_diags *d, struct fl_err *err)
{
	(void)ctx;
	return fl_source_prepare(conninfo, cfg, o, prep, d, err);
}

static int
be_track_load(void *session, struct fl_track *t, struct fl_err *err)
{
	return fl_track_load_catalog(session, t, err);
}

static struct fl_sink *
be_sink_new(void *ctx, const struct fl_config *cfg, int pretty,
            struct fl_err *err)
{
	(void)ctx;
	return fl_sink_from_config(cfg, pretty, err);
}

static void *
be_capture_new(void *ctx, const struct fl_capture_opts *o)
{
	(void)ctx;
	return fl_capture_new(o);
}

static int
be_capture_start(void *cap, struct fl_err *err)
{
	return fl_capture_start(cap, err);
}

static void
be_capture_stop(void *cap)
{
	fl_capture_stop(cap);
}

static void
be_capture_free(void *cap)
{
	fl_capture_free(cap);
}

static void
be_capture_confirm(void *cap, struct fl_ack ack)
{
	fl_capture_confirm(cap, ack);
}

static void
be_capture_restart(void *cap)
{
	fl_capture_restart(cap);
}

static uint64_t
be_capture_epoch(void *cap)
{
	return fl_capture_epoch(cap);
}

static void
be_capture_status(void *cap, struct fl_capture_status *out)
{
	fl_capture_status(cap, out);
}

static void *
be_resolver_new(void *ctx, const struct fl_config *cfg,
                const struct fl_track *track)
{
	(void)ctx;
	return fl_resolver_new(cfg, track);
}

static void
be_resolver_free(void *r)
{
	fl_resolver_free(r);
}

static int
be_resolver_prepare(void *r, void *session, struct fl_err *err)
{
	return fl_resolver_prepare(r, session, err);
}

static int
be_resolve(void *r, void *session, const struct fl_change *c,
           fl_resolve_emit emit, void *arg, struct fl_err *err)
{
	return fl_resolve(r, session, c, emit, arg, err);
}

static unsigned long
be_resolver_untracked(void *r)
{
	return fl_resolver_untracked(r);
}

static size_t
be_resolve_truncate(void *r, const struct fl_track_table *t, const char **names,
                    size_t max)
{
	return fl_resolve_truncate(r, t, names, max);
}

static void *
be_builder_new(void *ctx, const struct fl_config *cfg)
{
	(void)ctx;
	return fl_docbuild_new(cfg);
}

static void
be_builder_free(void *b)
{
	fl_docbuild_free(b);
}

static int
be_builder_prepare(void *b, void *session, struct fl_err *err)
{
	return fl_docbuild_prepare(b, session, err);
}

static int
be_build(void *b, void *session, const char *index, const char *const *keys,
         size_t n, struct fl_docs *out, struct fl_err *err)
{
	return fl_docbuild_build(b, session, index, keys, n, out, err);
}

static int
be_key_page(void *b, void *session, const char *index, const char *after,
            long limit, char ***keys, size_t *n, struct fl_err *err)
{
	return fl_docbuild_key_page(b, session, index, after, limit, keys, n,
	                            err);
}

static long long
be_estimate(void *b, void *session, const char *index, struct fl_err *err)
{
	return fl_docbuild_estimate(b, session, index, err);
}

static int
be_wal_position(void *session, uint64_t *out, struct fl_err *err)
{
	return fl_docbuild_wal_position(session, out, err);
}

static int
be_drift_check(void *session, const struct fl_config *cfg, const char *index,
               int untracked_warning, char *why, size_t n, struct fl_err *err)
{
	return fl_check_db_index(session, cfg, index, untracked_warning, why, n,
	                         err);
}

static int
be_lock_try(void *session, const char *slot, const char *tag, int *got,
            struct fl_err *err)
{
	return fl_pglock_try(session, slot, tag, got, err);
}

static int
be_lock_ping(void *session, struct fl_err *err)
{
	return fl_pglock_ping(session, err);
}

static int
be_lock_holder(void *session, const char *slot, struct fl_pglock_holder *h,
               struct fl_err *err)
{
	return fl_pglock_holder(session, slot, h, err);
}

static int
be_lock_depose(void *session, const struct fl_pglock_holder *h,
               struct fl_err *err)
{
	return fl_pglock_depose(session, h, err);
}

static const struct fl_engine_backend be_real = {
	.ctx = NULL,
	.session_open = be_session_open,
	.session_ok = be_session_ok,
	.session_close = be_session_close,
	.prepare = be_prepare,
	.track_load = be_track_load,
	.sink_new = be_sink_new,
	.capture_new = be_capture_new,
	.capture_start = be_capture_start,
	.capture_stop = be_capture_stop,
	.capture_free = be_capture_free,
	.capture_confirm = be_capture_confirm,
	.capture_restart = be_capture_restart,
	.capture_epoch = be_capture_epoch,
	.capture_status = be_capture_status,
	.resolver_new = be_resolver_new,
	.resolver_free = be_resolver_free,
	.resolver_prepare = be_resolver_prepare,
	.resolve = be_resolve,
	.resolver_untracked = be_resolver_untracked,
	.resolve_truncate = be_resolve_truncate,
	.builder_new = be_builder_new,
	.builder_free = be_builder_free,
	.builder_prepare = be_builder_prepare,
	.build = be_build,
	.key_page = be_key_page,
	.estimate = be_estimate,
	.wal_position = be_wal_position,
	.drift_check = be_drift_check,
	.lock_try = be_lock_try,
	.lock_ping = be_lock_ping,
	.lock_holder = be_lock_holder,
	.lock_depose = be_lock_depose,
};

const struct fl_engine_backend *
fl_engine_backend_real(void)
{
	return &be_real;
}
