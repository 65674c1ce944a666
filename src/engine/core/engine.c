/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine.c - the engine's control thread: the start-up sequence, the
 * supervision loop, the control commands, the status board's replication
 * and queue fields, and shutdown.
 *
 * DESIGN
 *   Threads: control (this file) -> capture (capture.c) -> router
 *   (engine_router.c) -> N workers (engine_worker.c); seeding
 *   (engine_seeder.c) feeds the workers too. Every id is owned by one
 *   worker (hash of index and key), so one writer per document.
 *   Start-up (engine-sink.md §5.2): prerequisites, schemas, publication
 *   and slot (pg_setup.c); ensure every index at the sinks; continuity;
 *   capture; workers; router; seeding. A transient failure (PostgreSQL
 *   or OpenSearch unreachable) is "waiting" with capped backoff, never an
 *   exit; a permanent one stops the pipeline with the reason.
 *   Sink control calls (ensure, stage, mark seeded, cursors, gc) are
 *   serialised by sink_mu. Anything that changes where writers write
 *   (staging, swapping) runs under eng_hold(): no worker is inside a
 *   commit while routing changes.
 */
#include "core/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/mapping.h"
#include "config/schema_hash.h"
#include "core/engine_int.h"
#include "source/pg_conn.h"
#include "source/pgoutput.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

void
fl_engine_opts_default(struct fl_engine_opts *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->slot = "flusso";
	o->publication = "flusso";
	o->manage_publication = 1;
	o->workers = cores > 0 ? cores : 1;
	o->queue_capacity = 1024;
	o->batch_max_changes = 256;
	o->batch_max_delay_ms = 50;
	o->lag_poll_secs = 15;
	o->shutdown_grace_secs = 10;
}

/* ---- small shared helpers --------------------------------------------- */

int
eng_backoff_ms(int attempt)
{
	int ms = 1000;
	struct timespec ts;

	while (attempt-- > 0 && ms < 30000)
		ms *= 2;
	if (ms > 30000)
		ms = 30000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ms - ms / 4 + (int)(ts.tv_nsec % (ms / 2 + 1));
}

int
eng_sleep(struct fl_engine *e, int ms)
{
	while (ms > 0 && !atomic_load(&e->stop)) {
		int step = ms > 100 ? 100 : ms;

		poll(NULL, 0, step);
		ms -= step;
	}
	return atomic_load(&e->stop) != 0;
}

int
eng_index_no(const struct fl_engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nix; i++)
		if (strcmp(e->ix[i].cfg->name, name) == 0)
			return (int)i;
	return -1;
}

static void
eng_poke(struct fl_engine *e)
{
	if (write(e->wake[1], "x", 1) < 0) {
		/* non-blocking pipe already full: the thread will wake */
	}
}

struct eng_err_arg {
	const char *msg;
};

static void
eng_set_error_cb(void *arg, struct fl_status *st)
{
	struct eng_err_arg *a = arg;

	st->phase = FL_PHASE_ERROR;
	st->waiting_for[0] = '\0';
	(void)a;
}

void
eng_fatal(struct fl_engine *e, const char *fmt, ...)
{
	struct eng_err_arg a;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (atomic_exchange(&e->failed, 1))
		return; /* the first error is the one reported */
	fl_log_error("engine", "%s", msg);
	fl_board_error(e->board, "%s", msg);
	a.msg = msg;
	fl_board_update(e->board, eng_set_error_cb, &a);
	eng_poke(e);
}

struct eng_wait_arg {
	const char *what;
};

static void
eng_waiting_cb(void *arg, struct fl_status *st)
{
	struct eng_wait_arg *a = arg;

	fl_str_copy(st->waiting_for, sizeof(st->waiting_for),
	            a->what ? a->what : "");
	if (a->what)
		st->phase = FL_PHASE_WAITING;
}

void
eng_waiting(struct fl_engine *e, const char *what, const char *err)
{
	struct eng_wait_arg a = { what };
	struct fl_status snap;

	fl_board_snapshot(e->board, &snap);
	if (strcmp(snap.waiting_for, what) != 0) {
		fl_log_warn("engine", "waiting for %s: %s",
		            strcmp(what, "postgres") == 0 ? "PostgreSQL"
		                                          : "OpenSearch",
		            err);
		fl_board_event(e->board, FL_LOG_WARN, "waiting for %s: %s",
		               what, err);
	}
	fl_board_update(e->board, eng_waiting_cb, &a);
	/* Our queries cannot reach PostgreSQL, so nothing gets confirmed:
	 * let go of the replication stream too, or a fast shutdown of the
	 * server waits for us forever (its walsender waits until all it
	 * sent is confirmed). */
	if (e->cap && strcmp(what, "postgres") == 0)
		fl_capture_restart(e->cap);
}

static void
eng_recovered_cb(void *arg, struct fl_status *st)
{
	const char *what = arg;

	if (strcmp(st->waiting_for, what) == 0)
		st->waiting_for[0] = '\0';
}

void
eng_recovered(struct fl_engine *e, const char *what)
{
	struct fl_status snap;
	union {
		const char *c;
		void *v;
	} u;

	fl_board_snapshot(e->board, &snap);
	if (strcmp(snap.waiting_for, what) != 0)
		return;
	fl_log_info("engine", "%s is back", what);
	fl_board_event(e->board, FL_LOG_INFO, "%s is back", what);
	u.c = what;
	fl_board_update(e->board, eng_recovered_cb, u.v);
}

int
eng_hold(struct fl_engine *e)
{
	size_t i;
	int busy;

	pthread_mutex_lock(&e->mu);
	e->hold++;
	for (;;) {
		for (busy = 0, i = 0; i < e->nw; i++)
			busy |= e->w[i].busy;
		if (!busy || atomic_load(&e->abort_now))
			break;
		pthread_cond_wait(&e->cv, &e->mu);
	}
	pthread_mutex_unlock(&e->mu);
	return !busy;
}

void
eng_release(struct fl_engine *e)
{
	pthread_mutex_lock(&e->mu);
	e->hold--;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

PGconn *
eng_connect(struct fl_engine *e, const char *app)
{
	int attempt = 0;

	while (!atomic_load(&e->stop)) {
		struct fl_err err;
		PGconn *c = fl_pgconn_open(e->conninfo, app, 0, &err);

		if (c) {
			eng_recovered(e, "postgres");
			return c;
		}
		eng_waiting(e, "postgres", err.msg);
		eng_sleep(e, eng_backoff_ms(attempt++));
	}
	return NULL;
}

/* ---- index rows on the board ---------------------------------------------- */

struct eng_ixrow_arg {
	struct fl_engine *e;
	int ix;
};

static void
eng_ixrow_cb(void *arg, struct fl_status *st)
{
	struct eng_ixrow_arg *a = arg;
	struct eng_index *x = &a->e->ix[a->ix];
	struct fl_status_index *r = fl_status_index_find(st, x->cfg->name);
	struct eng_seed *s;
	int mode = -1;
	size_t i;

	if (!r)
		return;
	pthread_mutex_lock(&a->e->mu); /* the seeder replaces x->seed */
	s = x->seed;
	if (s)
		mode = s->restart ? ENG_SEED_REBUILD : (int)s->mode;
	pthread_mutex_unlock(&a->e->mu);
	r->seeded = x->st.seeded;
	r->policy_skip = atomic_load(&x->policy_skip);
	r->serving_generation = x->st.serving_generation;
	r->building_generation =
	    x->st.active_generation != x->st.serving_generation
	        ? x->st.active_generation
	        : 0;
	r->norphans = x->st.norphans;
	r->nsuperseded = x->st.nsuperseded;
	for (i = 0; i < x->st.nsuperseded && i < FL_STATUS_LIST; i++)
		fl_str_copy(r->superseded[i], sizeof(r->superseded[i]),
		            x->st.superseded[i]);
	if (s) {
		r->backfill_active = 1;
		r->state = mode == ENG_SEED_REBUILD ? FL_IX_REBUILDING
		                                    : FL_IX_BACKFILLING;
	} else if (!x->st.seeded && x->st.tracks_seeding) {
		r->state =
		    a->e->o.skip_backfill ? FL_IX_SKIPPED : FL_IX_PENDING;
		r->backfill_active = 0;
	} else {
		r->state = FL_IX_LIVE;
		r->backfill_active = 0;
	}
}

void
eng_set_index_state(struct fl_engine *e, int ix)
{
	struct eng_ixrow_arg a = { e, ix };

	fl_board_update(e->board, eng_ixrow_cb, &a);
}

/* The board's rows for every configured index, enabled or not. */
static void
eng_board_init_cb(void *arg, struct fl_status *st)
{
	struct fl_engine *e = arg;
	const struct fl_config *c = e->o.cfg;
	size_t i;

	st->nindexes = 0;
	for (i = 0; i < c->nindexes && i < FL_MAX_INDEXES; i++) {
		const struct fl_index_cfg *x = &c->indexes[i];
		struct fl_status_index *r = &st->indexes[st->nindexes++];

		memset(r, 0, sizeof(*r));
		fl_str_copy(r->name, sizeof(r->name), x->name);
		r->enabled = x->enabled;
		r->state = x->enabled ? FL_IX_PENDING : FL_IX_DISABLED;
		r->policy_skip = fl_config_policy(c, x) == FL_POLICY_SKIP;
		r->covered = 1;
		r->rows_estimate = -1;
		if (x->enabled && x->schema) {
			char hash[17];

			fl_hash_schema(x->schema, hash);
			memcpy(r->hash, hash, sizeof(hash));
			snprintf(r->hash_alias, sizeof(r->hash_alias),
			         "%s%s_%s", c->prefix, x->name, hash);
		}
	}
	st->queue_capacity = (uint64_t)e->o.queue_capacity;
	st->cfg_queue_capacity = e->o.queue_capacity;
	st->cfg_batch_max_changes = e->o.batch_max_changes;
	st->cfg_batch_max_delay_ms = e->o.batch_max_delay_ms;
	st->cfg_lag_poll_secs = e->o.lag_poll_secs;
	st->cfg_workers = e->o.workers;
	st->cfg_manage_publication = e->o.manage_publication;
	fl_str_copy(st->cfg_prefix, sizeof(st->cfg_prefix), c->prefix);
	fl_str_copy(st->slot, sizeof(st->slot), e->o.slot);
	fl_str_copy(st->publication, sizeof(st->publication), e->o.publication);
	st->nsinks = 0;
	for (i = 0; i < c->nsinks && i < FL_MAX_SINKS; i++) {
		struct fl_status_sink *s = &st->sinks[st->nsinks++];

		fl_str_copy(s->name, sizeof(s->name), c->sinks[i].name);
		fl_str_copy(s->type, sizeof(s->type),
		            c->sinks[i].type == FL_SINK_OPENSEARCH
		                ? "opensearch"
		                : "stdout");
		fl_str_copy(s->state, sizeof(s->state), "ok");
	}
	if (c->nsinks == 0) {
		st->nsinks = 1;
		fl_str_copy(st->sinks[0].name, sizeof(st->sinks[0].name),
		            "stdout");
		fl_str_copy(st->sinks[0].type, sizeof(st->sinks[0].type),
		            "stdout");
		fl_str_copy(st->sinks[0].state, sizeof(st->sinks[0].state),
		            "ok");
	}
}

/* ---- start-up ------------------------------------------------------------------ */

/* Steps 1-4 of source.md §3.1, waiting while PostgreSQL is away. */
static int
eng_prepare_source(struct fl_engine *e)
{
	struct fl_source_opts so = { 0 };
	int attempt = 0;

	so.slot = e->o.slot;
	so.publication = e->o.publication;
	so.manage_publication = e->o.manage_publication;
	so.allow_untracked = e->o.allow_untracked;
	while (!atomic_load(&e->stop)) {
		struct fl_diags d;
		struct fl_err err;
		size_t i;
		int rc;

		fl_diags_init(&d);
		rc = fl_source_prepare(e->conninfo, e->o.cfg, &so, &e->prep, &d,
		                       &err);
		for (i = 0; i < d.n; i++) {
			char *line = fl_diag_format(&d.v[i]);

			if (d.v[i].sev == FL_DIAG_ERROR)
				fl_log_error("check", "%s", line);
			else
				fl_log_warn("check", "%s", line);
			free(line);
		}
		fl_diags_done(&d);
		if (rc == 0) {
			eng_recovered(e, "postgres");
			return 0;
		}
		if (err.code != FL_ERR_PG && err.code != FL_ERR_BUSY) {
			eng_fatal(e, "%s", err.msg);
			return -1;
		}
		eng_waiting(e, "postgres", err.msg);
		eng_sleep(e, eng_backoff_ms(attempt++));
	}
	return -1;
}

static int
eng_load_track(struct fl_engine *e)
{
	int attempt = 0;

	fl_track_build(e->o.cfg, &e->track);
	e->track_ready = 1;
	while (!atomic_load(&e->stop)) {
		struct fl_err err;
		PGconn *c = eng_connect(e, "flusso");
		int rc;

		if (!c)
			return -1;
		rc = fl_track_load_catalog(c, &e->track, &err);
		PQfinish(c);
		if (rc == 0)
			return 0;
		if (err.code != FL_ERR_PG) {
			eng_fatal(e, "%s", err.msg);
			return -1;
		}
		eng_waiting(e, "postgres", err.msg);
		eng_sleep(e, eng_backoff_ms(attempt++));
	}
	return -1;
}

/* Call a sink control operation, waiting while OpenSearch is away. The
 * op is retried until it succeeds, fails permanently or we stop. */
static int
eng_sink_call(struct fl_engine *e,
              int (*op)(struct fl_engine *, int, void *, struct fl_err *),
              int ix, void *arg, const char *what)
{
	int attempt = 0;

	while (!atomic_load(&e->stop)) {
		struct fl_err err;
		int rc;

		fl_err_clear(&err);
		pthread_mutex_lock(&e->sink_mu);
		rc = op(e, ix, arg, &err);
		pthread_mutex_unlock(&e->sink_mu);
		if (rc == FL_SINK_OK) {
			eng_recovered(e, "opensearch");
			return 0;
		}
		if (rc == FL_SINK_PERMANENT) {
			eng_fatal(e, "%s: %s", what, err.msg);
			return -1;
		}
		eng_waiting(e, "opensearch", err.msg);
		eng_sleep(e, eng_backoff_ms(attempt++));
	}
	return -1;
}

static int
eng_op_ensure(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	struct eng_index *x = &e->ix[ix];
	struct fl_sink_index_def def;

	(void)arg;
	def.name = x->cfg->name;
	def.hash = x->hash;
	def.body = x->body;
	fl_sink_index_state_done(&x->st);
	memset(&x->st, 0, sizeof(x->st));
	return e->sink->ops->ensure_index(e->sink, &def, &x->st, err);
}

static int
eng_ensure_indexes(struct fl_engine *e)
{
	struct fl_mapping_opts mo;
	size_t i, n = 0;

	fl_mapping_opts_from_config(e->o.cfg, &mo);
	for (i = 0; i < e->o.cfg->nindexes; i++)
		n += e->o.cfg->indexes[i].enabled ? 1 : 0;
	e->ix = fl_xcalloc(n ? n : 1, sizeof(*e->ix));
	for (i = 0; i < e->o.cfg->nindexes; i++) {
		const struct fl_index_cfg *c = &e->o.cfg->indexes[i];
		struct eng_index *x;

		if (!c->enabled)
			continue;
		x = &e->ix[e->nix++];
		x->cfg = c;
		fl_hash_schema(c->schema, x->hash);
		x->body = fl_mapping_body(c->schema, &mo);
		atomic_store(&x->policy_skip,
		             fl_config_policy(e->o.cfg, c) == FL_POLICY_SKIP);
	}
	for (i = 0; i < e->nix; i++) {
		if (eng_sink_call(e, eng_op_ensure, (int)i, NULL,
		                  "index create failed") < 0)
			return -1;
		eng_set_index_state(e, (int)i);
	}
	return 0;
}

static int
eng_op_stage(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	return e->sink->ops->stage_rebuild(e->sink, e->ix[ix].cfg->name, arg,
	                                   err);
}

/* Stage a rebuild of index ix (generation N+1, dual write) and queue its
 * seeding; workers are held while the routing changes. */
static int
stage_rebuild_locked(struct fl_engine *e, int ix, const char *why,
                     int may_coalesce, long *gen)
{
	struct eng_index *x = &e->ix[ix];
	int rc, coalesce;

	pthread_mutex_lock(&e->mu);
	coalesce = may_coalesce && x->seed &&
	           x->seed->mode == ENG_SEED_REBUILD && !x->seed->restart;
	pthread_mutex_unlock(&e->mu);
	if (coalesce) {
		*gen = x->st.active_generation;
		return 1; /* coalesced */
	}
	if (!eng_hold(e))
		return -1;
	rc = eng_sink_call(e, eng_op_stage, ix, gen, "staging a rebuild");
	if (rc == 0) {
		x->st.active_generation = *gen;
		x->st.seeded = 0;
	}
	eng_release(e);
	if (rc < 0)
		return -1;
	if (strncmp(why, "continuity", 10) == 0) {
		/* changes may have been missed: an error (source.md §11.3) */
		fl_log_error("engine",
		             "rebuilding index %s into generation %ld (%s)",
		             x->cfg->name, *gen, why);
		fl_board_error(e->board,
		               "rebuild of %s staged: generation %ld (%s)",
		               x->cfg->name, *gen, why);
	} else {
		fl_log_warn("engine",
		            "rebuilding index %s into generation %ld (%s)",
		            x->cfg->name, *gen, why);
		fl_board_event(e->board, FL_LOG_WARN,
		               "rebuild of %s staged: generation %ld (%s)",
		               x->cfg->name, *gen, why);
	}
	pthread_mutex_lock(&e->mu);
	if (x->seed)
		x->seed->restart = 1; /* rows already scanned went to the
		                       * old generation: scan them again */
	else
		x->seed = eng_seed_new(e, ix, ENG_SEED_REBUILD, NULL);
	pthread_mutex_unlock(&e->mu);
	eng_set_index_state(e, ix);
	return 0;
}

int
eng_stage_rebuild(struct fl_engine *e, int ix, const char *why,
                  int may_coalesce, long *gen)
{
	int rc;

	pthread_mutex_lock(&e->gen_mu); /* not while a seeding task ends */
	rc = stage_rebuild_locked(e, ix, why, may_coalesce, gen);
	pthread_mutex_unlock(&e->gen_mu);
	return rc;
}

/* Continuity (source.md §11.3) and the seed plan. */
static int
eng_plan(struct fl_engine *e)
{
	size_t i;

	for (i = 0; i < e->nix; i++) {
		struct eng_index *x = &e->ix[i];
		enum fl_continuity c = FL_CONTINUITY_OK;
		long gen;

		if (!x->st.tracks_seeding) {
			if (!e->o.skip_backfill)
				x->seed = eng_seed_new(e, (int)i,
				                       ENG_SEED_FRESH, NULL);
			continue;
		}
		if (x->st.seeded && x->st.has_source)
			c = fl_source_continuity(&x->st.source, &e->prep);
		if (c == FL_CONTINUITY_CHANGED &&
		    !e->o.rebuild_on_source_change) {
			eng_fatal(e,
			          "index %s was seeded from another source "
			          "(system %s, database %s, slot %s; now %s, "
			          "%s, %s): if another deployment uses these "
			          "names, set a distinct prefix; if this "
			          "database replaced that one, start once with "
			          "--rebuild-on-source-change",
			          x->cfg->name, x->st.source.sysid,
			          x->st.source.database, x->st.source.slot,
			          e->prep.id.sysid, e->prep.id.database,
			          e->prep.id.slot);
			return -1;
		}
		if (c == FL_CONTINUITY_LOST || c == FL_CONTINUITY_CHANGED) {
			if (eng_stage_rebuild(e, (int)i,
			                      c == FL_CONTINUITY_LOST
			                          ? "continuity lost: the "
			                            "slot was recreated"
			                          : "source changed",
			                      0, &gen) < 0)
				return -1;
			continue;
		}
		if (!x->st.seeded && !e->o.skip_backfill)
			x->seed = eng_seed_new(
			    e, (int)i,
			    x->st.active_generation !=
			                x->st.serving_generation &&
			            x->st.serving_generation
			        ? ENG_SEED_REBUILD
			        : ENG_SEED_FRESH,
			    e->prep.slot_created ? NULL
			                         : x->st.backfill_cursor);
		eng_set_index_state(e, (int)i);
	}
	return 0;
}

/* Capture events arrive on the capture thread: note and poke. */
static atomic_int eng_slot_recreated_flag_unused;

static void
eng_capture_event(void *arg, enum fl_capture_event ev, const char *detail)
{
	struct fl_engine *e = arg;

	switch (ev) {
	case FL_CAPTURE_EV_CONNECTED:
		fl_board_event(e->board, FL_LOG_INFO, "streaming from %s",
		               detail);
		break;
	case FL_CAPTURE_EV_DISCONNECTED:
		fl_board_event(e->board, FL_LOG_WARN,
		               "replication stream lost: %s", detail);
		break;
	case FL_CAPTURE_EV_SLOT_CREATED:
		fl_board_error(e->board, "%s", detail);
		pthread_mutex_lock(&e->mu);
		e->prep.slot_created = 1; /* control stages rebuilds */
		pthread_mutex_unlock(&e->mu);
		eng_poke(e);
		break;
	case FL_CAPTURE_EV_FAILED:
		eng_fatal(e, "replication failed: %s", detail);
		break;
	}
	(void)eng_slot_recreated_flag_unused;
}

static int
eng_start_capture(struct fl_engine *e)
{
	struct fl_capture_opts co = { 0 };
	struct fl_err err;

	e->capq = fl_queue_new((size_t)e->o.queue_capacity);
	co.conninfo = e->conninfo;
	co.slot = e->o.slot;
	co.publication = e->o.publication;
	co.track = &e->track;
	co.queue = e->capq;
	co.lag_poll_secs = (int)e->o.lag_poll_secs;
	co.on_event = eng_capture_event;
	co.arg = e;
	e->prep.slot_created = 0; /* handled by the plan */
	e->cap = fl_capture_new(&co);
	if (fl_capture_start(e->cap, &err) < 0) {
		eng_fatal(e, "%s", err.msg);
		return -1;
	}
	return 0;
}

static int
eng_start_workers(struct fl_engine *e)
{
	size_t i;

	e->nw = (size_t)e->o.workers;
	e->w = fl_xcalloc(e->nw, sizeof(*e->w));
	for (i = 0; i < e->nw; i++) {
		struct eng_worker *w = &e->w[i];

		w->e = e;
		w->no = (int)i;
		w->live = fl_queue_new((size_t)e->o.queue_capacity);
		w->seed = fl_queue_new(2 * ENG_BUILD_MAX);
		w->db = fl_docbuild_new(e->o.cfg);
		w->writer = e->sink->ops->writer_new(e->sink);
	}
	for (i = 0; i < e->nw; i++)
		if (pthread_create(&e->w[i].thread, NULL, eng_worker_main,
		                   &e->w[i]) != 0) {
			eng_fatal(e, "cannot start worker threads");
			e->nw = i;
			return -1;
		}
	if (pthread_create(&e->router, NULL, eng_router_main, e) != 0) {
		eng_fatal(e, "cannot start the router thread");
		return -1;
	}
	e->router_started = 1;
	if (pthread_create(&e->seeder, NULL, eng_seeder_main, e) != 0) {
		eng_fatal(e, "cannot start the seeding thread");
		return -1;
	}
	e->seeder_started = 1;
	return 0;
}

/* ---- the running pipeline ---------------------------------------------------- */

struct eng_repl_arg {
	struct fl_capture_status cs;
	uint64_t committed;
	uint64_t depth, seed_depth, in_flight;
	int any_seed;
};

static void
eng_repl_cb(void *arg, struct fl_status *st)
{
	struct eng_repl_arg *a = arg;

	fl_str_copy(st->repl_state, sizeof(st->repl_state),
	            a->cs.state == FL_CAPTURE_STREAMING      ? "streaming"
	            : a->cs.state == FL_CAPTURE_RECONNECTING ? "waiting"
	            : a->cs.state == FL_CAPTURE_ERROR        ? "stopped"
	                                                     : "connecting");
	st->changes_captured = a->cs.captured;
	st->changes_committed = a->committed;
	st->confirmed_lsn = a->cs.confirmed;
	st->server_lsn = a->cs.server_wal_end > a->cs.received
	                     ? a->cs.server_wal_end
	                     : a->cs.received;
	st->lag_known = a->cs.lag_known;
	st->lag_bytes = a->cs.lag_bytes;
	st->lag_seconds = a->cs.lag_seconds;
	fl_str_copy(st->wal_status, sizeof(st->wal_status), a->cs.wal_status);
	st->reconnects = a->cs.reconnects;
	st->queue_depth = a->depth;
	st->seeding_depth = a->seed_depth;
	st->in_flight = a->in_flight;
	if (st->phase == FL_PHASE_ERROR || st->phase == FL_PHASE_STOPPING ||
	    st->phase == FL_PHASE_STOPPED)
		return;
	if (st->waiting_for[0])
		st->phase = FL_PHASE_WAITING;
	else if (st->paused)
		st->phase = FL_PHASE_PAUSED;
	else if (a->cs.state != FL_CAPTURE_STREAMING)
		st->phase = a->cs.state == FL_CAPTURE_RECONNECTING
		                ? FL_PHASE_WAITING
		                : FL_PHASE_STARTING;
	else
		st->phase = a->any_seed ? FL_PHASE_BACKFILLING : FL_PHASE_LIVE;
	if (a->cs.state == FL_CAPTURE_RECONNECTING && !st->waiting_for[0])
		fl_str_copy(st->waiting_for, sizeof(st->waiting_for), "");
}

static void
eng_publish(struct fl_engine *e)
{
	struct eng_repl_arg a;
	size_t i;

	memset(&a, 0, sizeof(a));
	fl_capture_status(e->cap, &a.cs);
	a.committed = atomic_load(&e->committed);
	a.depth = fl_queue_len(e->capq);
	for (i = 0; i < e->nw; i++) {
		a.depth += fl_queue_len(e->w[i].live);
		a.seed_depth += fl_queue_len(e->w[i].seed);
	}
	a.in_flight = fl_queue_len(e->capq) + atomic_load(&e->pending_changes);
	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->nix; i++)
		a.any_seed |= e->ix[i].seed != NULL;
	pthread_mutex_unlock(&e->mu);
	fl_board_update(e->board, eng_repl_cb, &a);
}

/* Reply to a command (control thread). */
static void eng_reply(struct fl_engine *e, struct eng_cmd *c, int code,
                      const char *fmt, ...) FL_PRINTF(4, 5);

static void
eng_reply(struct fl_engine *e, struct eng_cmd *c, int code, const char *fmt,
          ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->code = code;
	pthread_mutex_lock(&e->mu);
	c->done = 1;
	pthread_cond_broadcast(&e->cv);
	if (c->abandoned) {
		pthread_mutex_unlock(&e->mu);
		free(c);
		return;
	}
	pthread_mutex_unlock(&e->mu);
}

static void
eng_paused_cb(void *arg, struct fl_status *st)
{
	st->paused = *(int *)arg;
}

struct eng_ix_paused {
	const char *index;
	int on;
};

/* Show a per-index pause on the board (lock held). */
static void
eng_ix_paused_cb(void *arg, struct fl_status *st)
{
	const struct eng_ix_paused *p = arg;
	struct fl_status_index *x = fl_status_index_find(st, p->index);

	if (x)
		x->paused = p->on;
}

static void
eng_cmd_pause(struct fl_engine *e, struct eng_cmd *c, int on)
{
	int ix = c->index[0] && strcmp(c->index, "all")
	             ? eng_index_no(e, c->index)
	             : -2;

	if (ix == -1) {
		eng_reply(e, c, 404, "unknown index %s", c->index);
		return;
	}
	if (ix >= 0) {
		int was = atomic_exchange(&e->ix[ix].paused, on);
		struct eng_ix_paused p = { c->index, on };

		fl_board_update(e->board, eng_ix_paused_cb, &p);
		if (was != on)
			fl_board_event(e->board, FL_LOG_INFO, "%s %s",
			               on ? "paused" : "resumed", c->index);
		eng_reply(e, c, 200, "%s%s %s", was == on ? "already " : "",
		          on ? "paused" : "resumed", c->index);
		return;
	}
	if (atomic_exchange(&e->paused, on) == on) {
		eng_reply(e, c, 200, "already %s", on ? "paused" : "resumed");
		return;
	}
	fl_board_update(e->board, eng_paused_cb, &on);
	fl_board_event(e->board, FL_LOG_INFO, "%s", on ? "paused" : "resumed");
	pthread_mutex_lock(&e->mu);
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	/* a pause takes effect once the commits in progress are done: answer
	 * then, so "paused" means nothing more is being committed */
	if (on && eng_hold(e))
		eng_release(e);
	eng_reply(e, c, 200, "%s", on ? "paused" : "resumed");
}

/* The index of a command, or a reply explaining why not (-1). */
static int
eng_cmd_index(struct fl_engine *e, struct eng_cmd *c)
{
	size_t i;
	int ix;

	if (!c->index[0]) {
		eng_reply(e, c, 400, "missing index name");
		return -1;
	}
	ix = eng_index_no(e, c->index);
	if (ix >= 0)
		return ix;
	for (i = 0; i < e->o.cfg->nindexes; i++)
		if (strcmp(e->o.cfg->indexes[i].name, c->index) == 0) {
			eng_reply(e, c, 409, "index %s is disabled", c->index);
			return -1;
		}
	eng_reply(e, c, 404, "unknown index %s", c->index);
	return -1;
}

static int
eng_op_gc(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	return e->sink->ops->gc(e->sink, e->ix[ix].cfg->name, arg, err);
}

static void
eng_command(struct fl_engine *e, struct eng_cmd *c)
{
	struct eng_index *x;
	long gen = 0;
	int ix, n = 0, rc;

	switch (c->cmd) {
	case FL_ECMD_PAUSE:
	case FL_ECMD_RESUME:
		eng_cmd_pause(e, c, c->cmd == FL_ECMD_PAUSE);
		return;
	case FL_ECMD_STOP:
		fl_engine_request_stop(e);
		eng_reply(e, c, 202, "stopping");
		return;
	case FL_ECMD_RETRY:
		eng_reply(e, c, 409,
		          "the pipeline is running; nothing to retry");
		return;
	default:
		break;
	}
	if ((ix = eng_cmd_index(e, c)) < 0)
		return;
	x = &e->ix[ix];
	switch (c->cmd) {
	case FL_ECMD_REINDEX:
		if (!x->st.tracks_seeding) {
			eng_reply(e, c, 409,
			          "index %s has no sink that keeps "
			          "generations",
			          c->index);
			return;
		}
		rc = eng_stage_rebuild(e, ix, "reindex requested", 1, &gen);
		if (rc < 0)
			eng_reply(e, c, 500, "failed to stage reindex of %s",
			          c->index);
		else if (rc == 1)
			eng_reply(e, c, 200,
			          "reindex of %s already in progress "
			          "(generation %ld)",
			          c->index, gen);
		else
			eng_reply(e, c, 202,
			          "reindex of %s started: building generation "
			          "%ld",
			          c->index, gen);
		return;
	case FL_ECMD_BACKFILL:
		pthread_mutex_lock(&e->mu);
		if (x->seed) {
			pthread_mutex_unlock(&e->mu);
			eng_reply(e, c, 409, "index %s is already seeding",
			          c->index);
			return;
		}
		x->seed = eng_seed_new(e, ix, ENG_SEED_INPLACE, NULL);
		pthread_mutex_unlock(&e->mu);
		eng_set_index_state(e, ix);
		fl_board_event(e->board, FL_LOG_INFO,
		               "backfill of %s started (in place, generation "
		               "%ld)",
		               c->index, x->st.serving_generation);
		eng_reply(e, c, 202,
		          "backfill of %s started (in place, generation %ld)",
		          c->index, x->st.serving_generation);
		return;
	case FL_ECMD_POLICY:
		if (strcmp(c->arg, "stop") && strcmp(c->arg, "skip")) {
			eng_reply(e, c, 400, "policy must be stop or skip");
			return;
		}
		atomic_store(&x->policy_skip, strcmp(c->arg, "skip") == 0);
		eng_set_index_state(e, ix);
		eng_reply(e, c, 200, "policy of %s is now %s", c->index,
		          c->arg);
		return;
	case FL_ECMD_GC:
		if (eng_sink_call(e, eng_op_gc, ix, &n, "gc") < 0) {
			eng_reply(e, c, 500, "gc of %s failed", c->index);
			return;
		}
		eng_reply(e, c, 200, "deleted %d orphan generation%s of %s", n,
		          n == 1 ? "" : "s", c->index);
		return;
	default:
		eng_reply(e, c, 400, "unknown command");
	}
}

static void
eng_run_commands(struct fl_engine *e)
{
	for (;;) {
		struct eng_cmd *c;

		pthread_mutex_lock(&e->mu);
		c = e->cmds;
		if (c)
			e->cmds = c->next;
		pthread_mutex_unlock(&e->mu);
		if (!c)
			return;
		if (atomic_load(&e->failed) && c->cmd != FL_ECMD_STOP)
			eng_reply(e, c, 503, "pipeline is not running");
		else
			eng_command(e, c);
	}
}

/* The slot was recreated while running: rebuild every seeded index. */
static void
eng_check_continuity(struct fl_engine *e)
{
	size_t i;
	int lost;
	long gen;

	pthread_mutex_lock(&e->mu);
	lost = e->prep.slot_created;
	e->prep.slot_created = 0;
	pthread_mutex_unlock(&e->mu);
	if (!lost)
		return;
	for (i = 0; i < e->nix; i++)
		if (e->ix[i].st.tracks_seeding)
			eng_stage_rebuild(e, (int)i,
			                  "continuity lost: the slot was "
			                  "recreated",
			                  0, &gen);
}

static void
eng_supervise(struct fl_engine *e)
{
	struct pollfd p;
	char buf[64];

	p.fd = e->wake[0];
	p.events = POLLIN;
	while (!atomic_load(&e->stop) && !atomic_load(&e->failed)) {
		poll(&p, 1, 250);
		while (read(e->wake[0], buf, sizeof(buf)) > 0) {
		}
		eng_run_commands(e);
		eng_check_continuity(e);
		eng_publish(e);
	}
}

/* ---- shutdown -------------------------------------------------------------------- */

static void
eng_shutdown(struct fl_engine *e)
{
	int64_t deadline;
	size_t i;

	fl_board_set_phase(e->board, FL_PHASE_STOPPING);
	atomic_store(&e->stop, 1);
	pthread_mutex_lock(&e->mu);
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	if (e->capq)
		fl_queue_close(e->capq);
	if (e->router_started)
		pthread_join(e->router, NULL);
	if (e->seeder_started)
		pthread_join(e->seeder, NULL);
	e->router_started = e->seeder_started = 0;
	for (i = 0; i < e->nw; i++) {
		fl_queue_close(e->w[i].live);
		fl_queue_close(e->w[i].seed);
	}
	/* workers finish their commit within the grace period */
	deadline = fl_status_now_us() + e->o.shutdown_grace_secs * 1000000;
	for (;;) {
		int busy = 0;

		pthread_mutex_lock(&e->mu);
		for (i = 0; i < e->nw; i++)
			busy |= e->w[i].busy;
		pthread_mutex_unlock(&e->mu);
		if (!busy)
			break;
		if (fl_status_now_us() > deadline) {
			fl_log_warn("engine",
			            "shutdown grace exceeded: abandoning the "
			            "current commit (it will be redelivered)");
			atomic_store(&e->abort_now, 1);
			break;
		}
		poll(NULL, 0, 50);
	}
	for (i = 0; i < e->nw; i++)
		pthread_join(e->w[i].thread, NULL);
	if (e->cap)
		fl_capture_stop(e->cap); /* sends the final status update */
	fl_board_set_phase(e->board, atomic_load(&e->failed)
	                                 ? FL_PHASE_ERROR
	                                 : FL_PHASE_STOPPED);
}

static void *
eng_control_main(void *arg)
{
	struct fl_engine *e = arg;
	struct fl_err err;

	fl_board_update(e->board, eng_board_init_cb, e);
	fl_board_set_phase(e->board, FL_PHASE_STARTING);
	if (!(e->sink = fl_sink_from_config(e->o.cfg, e->o.pretty, &err))) {
		eng_fatal(e, "%s", err.msg);
		goto out;
	}
	if (eng_prepare_source(e) < 0 || eng_load_track(e) < 0 ||
	    eng_ensure_indexes(e) < 0 || eng_plan(e) < 0 ||
	    eng_start_capture(e) < 0 || eng_start_workers(e) < 0)
		goto out;
	fl_log_info("engine", "following live changes (%zu workers)", e->nw);
	fl_board_event(e->board, FL_LOG_INFO,
	               "following live changes with %zu workers", e->nw);
	eng_supervise(e);
out:
	eng_shutdown(e);
	e->exit_code = atomic_load(&e->failed) ? 1 : 0;
	pthread_mutex_lock(&e->mu);
	while (e->cmds) { /* nobody will run them now */
		struct eng_cmd *c = e->cmds;

		e->cmds = c->next;
		pthread_mutex_unlock(&e->mu);
		eng_reply(e, c, 503, "pipeline is not running");
		pthread_mutex_lock(&e->mu);
	}
	pthread_mutex_unlock(&e->mu);
	atomic_store(&e->finished, 1);
	return NULL;
}

/* ---- public API --------------------------------------------------------------------- */

struct fl_engine *
fl_engine_new(const struct fl_engine_opts *o)
{
	struct fl_engine *e = fl_xcalloc(1, sizeof(*e));

	e->o = *o;
	if (e->o.workers < 1)
		e->o.workers = 1;
	e->board = o->board;
	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->sink_mu, NULL);
	pthread_mutex_init(&e->gen_mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	e->wake[0] = e->wake[1] = -1;
	return e;
}

int
fl_engine_start(struct fl_engine *e, struct fl_err *err)
{
	if (!(e->conninfo = fl_config_source_conninfo(e->o.cfg, err)))
		return -1;
	if (pipe(e->wake) < 0)
		return fl_err_sys(err, FL_ERR_IO, "pipe");
	fcntl(e->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(e->wake[1], F_SETFL, O_NONBLOCK);
	if (pthread_create(&e->control, NULL, eng_control_main, e) != 0)
		return fl_err_set(err, FL_ERR_IO, "cannot start the engine");
	return 0;
}

void
fl_engine_request_stop(struct fl_engine *e)
{
	atomic_store(&e->stop, 1);
	if (e->wake[1] >= 0)
		eng_poke(e);
}

int
fl_engine_finished(struct fl_engine *e)
{
	return atomic_load(&e->finished);
}

int
fl_engine_wait(struct fl_engine *e)
{
	pthread_join(e->control, NULL);
	return e->exit_code;
}

void
fl_engine_free(struct fl_engine *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nw; i++) {
		struct eng_worker *w = &e->w[i];

		fl_queue_free(w->live, (void (*)(void *))eng_item_free);
		fl_queue_free(w->seed, (void (*)(void *))eng_item_free);
		fl_docbuild_free(w->db);
		if (w->writer)
			w->writer->ops->free(w->writer);
		PQfinish(w->conn);
	}
	free(e->w);
	fl_capture_free(e->cap);
	if (e->capq)
		fl_queue_free(e->capq, (void (*)(void *))fl_change_free);
	for (i = 0; i < e->nix; i++) {
		fl_val_free(e->ix[i].body);
		fl_sink_index_state_done(&e->ix[i].st);
		eng_seed_free(e->ix[i].seed);
	}
	free(e->ix);
	if (e->sink)
		e->sink->ops->free(e->sink);
	if (e->track_ready)
		fl_track_done(&e->track);
	if (e->wake[0] >= 0) {
		close(e->wake[0]);
		close(e->wake[1]);
	}
	pthread_mutex_destroy(&e->mu);
	pthread_mutex_destroy(&e->sink_mu);
	pthread_mutex_destroy(&e->gen_mu);
	pthread_cond_destroy(&e->cv);
	free(e->conninfo);
	free(e);
}

int
fl_engine_command(struct fl_engine *e, enum fl_engine_cmd cmd,
                  const char *index, const char *arg, char *msg, size_t msglen,
                  int wait_ms)
{
	struct eng_cmd *c = fl_xcalloc(1, sizeof(*c));
	struct timespec dl;
	int code;

	c->cmd = cmd;
	fl_str_copy(c->index, sizeof(c->index), index ? index : "");
	fl_str_copy(c->arg, sizeof(c->arg), arg ? arg : "");
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += wait_ms / 1000;
	dl.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&e->mu);
	if (atomic_load(&e->failed) || !e->wake[1]) {
		pthread_mutex_unlock(&e->mu);
		free(c);
		fl_str_copy(msg, msglen, "pipeline is not running");
		return 503;
	}
	c->next = e->cmds;
	e->cmds = c;
	pthread_mutex_unlock(&e->mu);
	eng_poke(e);
	pthread_mutex_lock(&e->mu);
	while (!c->done)
		if (pthread_cond_timedwait(&e->cv, &e->mu, &dl) == ETIMEDOUT)
			break;
	if (!c->done) {
		c->abandoned = 1;
		pthread_mutex_unlock(&e->mu);
		fl_str_copy(msg, msglen, "accepted; still running");
		return 202;
	}
	pthread_mutex_unlock(&e->mu);
	fl_str_copy(msg, msglen, c->msg);
	code = c->code;
	free(c);
	return code;
}
