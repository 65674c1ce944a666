/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_start.c - the start-up sequence (engine-sink.md §5.2): sinks,
 * PostgreSQL prerequisites, publication and slot (pg_setup.c), the
 * tracked tables, every index ensured at the sinks, the stored holds,
 * continuity and the seeding plan, then capture, workers, router and
 * seeder. Also the two sink control calls others share: waiting out a
 * transient sink failure, and staging a rebuild.
 *
 * A transient failure (PostgreSQL or OpenSearch unreachable) is
 * "waiting" with capped backoff, never an exit. A permanent failure that
 * concerns one index (its generation cannot be created) stops that index
 * only; one that concerns them all stops the pipeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/mapping.h"
#include "config/schema_hash.h"
#include "core/engine_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmem.h"

int
eng_sink_call(struct fl_engine *e,
              int (*op)(struct fl_engine *, int, void *, struct fl_err *),
              int ix, void *arg, struct fl_err *err)
{
	return eng_sink_call_for(e, op, ix, arg, err, -1);
}

int
eng_sink_call_for(struct fl_engine *e,
                  int (*op)(struct fl_engine *, int, void *, struct fl_err *),
                  int ix, void *arg, struct fl_err *err, int timeout_ms)
{
	struct fl_backoff b = FL_BACKOFF_INIT;
	int64_t end = timeout_ms < 0 ? INT64_MAX : fl_mono_ms() + timeout_ms;

	for (;;) {
		int rc;

		fl_err_clear(err);
		if (!eng_fence_ok(e)) { /* deposed: nothing more is written */
			fl_err_set(err, FL_ERR_CANCELLED,
			           "not the active instance");
			return FL_SINK_TRANSIENT;
		}
		pthread_mutex_lock(&e->sink_mu);
		rc = op(e, ix, arg, err);
		pthread_mutex_unlock(&e->sink_mu);
		if (rc == FL_SINK_OK) {
			eng_recovered(e, "opensearch");
			return FL_SINK_OK;
		}
		if (rc == FL_SINK_PERMANENT)
			return FL_SINK_PERMANENT;
		if (err->code != FL_ERR_CANCELLED)
			eng_waiting(e, "opensearch", err->msg);
		if (fl_mono_ms() >= end || eng_retry_wait(e, &b) ||
		    atomic_load(&e->abort_now)) {
			if (!err->msg[0])
				fl_err_set(err, FL_ERR_CANCELLED, "stopping");
			return FL_SINK_TRANSIENT;
		}
	}
}

/* Steps 1-4 of source.md §3.1, waiting while PostgreSQL is away. */
static int
eng_prepare_source(struct fl_engine *e)
{
	struct fl_source_opts so = { 0 };
	struct fl_backoff b = FL_BACKOFF_INIT;

	so.slot = e->o.slot;
	so.publication = e->o.publication;
	so.manage_publication = e->o.manage_publication;
	so.allow_untracked = e->o.allow_untracked;
	so.tolerate_drift = e->can_hold;
	while (!atomic_load(&e->stop)) {
		struct fl_diags d;
		struct fl_err err;
		size_t i;
		int rc;

		fl_diags_init(&d);
		fl_err_clear(&err);
		rc = e->be->prepare(e->be->ctx, e->conninfo, e->o.cfg, &so,
		                    &e->prep, &d, &err);
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
		if (eng_retry_wait(e, &b))
			break;
	}
	return -1;
}

static int
eng_load_track(struct fl_engine *e)
{
	struct fl_backoff b = FL_BACKOFF_INIT;

	fl_track_build(e->o.cfg, &e->track);
	e->track_ready = 1;
	while (!atomic_load(&e->stop)) {
		struct fl_err err;
		void *c = eng_connect(e, "flusso");
		int rc;

		if (!c)
			return -1;
		rc = e->be->track_load(c, &e->track, &err);
		e->be->session_close(c);
		if (rc == 0)
			return 0;
		if (err.code != FL_ERR_PG) {
			eng_fatal(e, "%s", err.msg);
			return -1;
		}
		eng_waiting(e, "postgres", err.msg);
		if (eng_retry_wait(e, &b))
			break;
	}
	return -1;
}

int
eng_op_ensure(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	struct eng_index *x = &e->ix[ix];
	struct fl_sink_index_def def;
	struct fl_sink_index_state st;
	int rc;

	(void)arg;
	def.name = x->cfg->name;
	def.hash = x->hash;
	def.body = x->body;
	memset(&st, 0, sizeof(st));
	rc = e->sink->ops->ensure_index(e->sink, &def, &st, err);
	pthread_mutex_lock(&e->mu); /* board readers copy x->st under mu */
	if (rc == FL_SINK_OK) {
		fl_sink_index_state_done(&x->st);
		x->st = st;
		atomic_store(&x->ensured, 1);
	} else {
		fl_sink_index_state_done(&st);
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

/* Every enabled index at the sinks. One that cannot be created is
 * stopped (when the sink can hold it), not the pipeline. */
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
		x->npending = -1;
		fl_config_index_hash(e->o.cfg, c, x->hash);
		x->body = fl_mapping_body(c->schema, &mo);
		atomic_store(&x->policy_skip,
		             fl_config_policy(e->o.cfg, c) == FL_POLICY_SKIP);
	}
	for (i = 0; i < e->nix; i++) {
		struct fl_err err;
		int rc = eng_sink_call(e, eng_op_ensure, (int)i, NULL, &err);

		if (rc == FL_SINK_TRANSIENT)
			return -1; /* stopping */
		if (rc == FL_SINK_PERMANENT) {
			if (!e->can_hold) {
				eng_fatal(e, "index create failed: %s",
				          err.msg);
				return -1;
			}
			fl_log_error("engine", "index %s: %s",
			             e->ix[i].cfg->name, err.msg);
			eng_hold_index(e, (int)i, FL_HOLD_STOPPED, err.msg);
		}
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

/* Say that a rebuild was staged (an error for a continuity loss). */
static void
eng_staged_note(struct fl_engine *e, int ix, long gen, const char *why)
{
	const char *name = e->ix[ix].cfg->name;

	if (strncmp(why, "continuity", 10) == 0) {
		/* changes may have been missed (source.md §11.3) */
		fl_log_error("engine",
		             "rebuilding index %s into generation %ld (%s)",
		             name, gen, why);
		fl_board_error(e->board,
		               "rebuild of %s staged: generation %ld (%s)",
		               name, gen, why);
	} else {
		fl_log_warn("engine",
		            "rebuilding index %s into generation %ld (%s)",
		            name, gen, why);
		fl_board_event(e->board, FL_LOG_WARN,
		               "rebuild of %s staged: generation %ld (%s)",
		               name, gen, why);
	}
}

static int
stage_rebuild_locked(struct fl_engine *e, int ix, const char *why,
                     int may_coalesce, long *gen, struct fl_err *err,
                     int timeout_ms)
{
	struct eng_index *x = &e->ix[ix];
	int rc, coalesce;

	pthread_mutex_lock(&e->mu);
	coalesce = may_coalesce && x->seed &&
	           x->seed->mode == ENG_SEED_REBUILD && !x->seed->restart;
	pthread_mutex_unlock(&e->mu);
	if (coalesce) {
		*gen = x->st.active_generation;
		return 1;
	}
	if (!eng_hold(e))
		return fl_err_set(err, FL_ERR_CANCELLED, "stopping");
	rc = eng_sink_call_for(e, eng_op_stage, ix, gen, err, timeout_ms);
	if (rc == FL_SINK_OK) {
		pthread_mutex_lock(&e->mu);
		x->st.active_generation = *gen;
		x->st.seeded = 0;
		pthread_mutex_unlock(&e->mu);
	}
	eng_release(e);
	if (rc != FL_SINK_OK)
		return -1;
	eng_staged_note(e, ix, *gen, why);
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
                  int may_coalesce, long *gen, struct fl_err *err,
                  int timeout_ms)
{
	int rc;

	fl_err_clear(err);
	pthread_mutex_lock(&e->gen_mu); /* not while a seeding task ends */
	rc = stage_rebuild_locked(e, ix, why, may_coalesce, gen, err,
	                          timeout_ms);
	pthread_mutex_unlock(&e->gen_mu);
	return rc;
}

int
eng_plan_index(struct fl_engine *e, int i)
{
	struct eng_index *x = &e->ix[i];
	enum fl_continuity c = FL_CONTINUITY_OK;
	struct fl_err err;
	long gen;

	if (!x->ensured)
		return 0; /* stopped; retry plans it */
	if (!x->st.tracks_seeding) {
		pthread_mutex_lock(&e->mu);
		if (!e->o.skip_backfill && !x->seed)
			x->seed = eng_seed_new(e, i, ENG_SEED_FRESH, NULL);
		pthread_mutex_unlock(&e->mu);
		return 0;
	}
	if (x->st.seeded && x->st.has_source)
		c = fl_source_continuity(&x->st.source, &e->prep);
	if (c == FL_CONTINUITY_CHANGED && !e->o.rebuild_on_source_change) {
		eng_fatal(e,
		          "index %s was seeded from another source (system "
		          "%s, database %s, slot %s; now %s, %s, %s): if "
		          "another deployment uses these names, set a distinct "
		          "prefix; if this database replaced that one, start "
		          "once with --rebuild-on-source-change",
		          x->cfg->name, x->st.source.sysid,
		          x->st.source.database, x->st.source.slot,
		          e->prep.id.sysid, e->prep.id.database,
		          e->prep.id.slot);
		return -1;
	}
	if (c == FL_CONTINUITY_LOST || c == FL_CONTINUITY_CHANGED) {
		if (eng_stage_rebuild(e, i,
		                      c == FL_CONTINUITY_LOST
		                          ? "continuity lost: the slot was "
		                            "recreated"
		                          : "source changed",
		                      0, &gen, &err, -1) < 0) {
			if (!atomic_load(&e->stop))
				eng_fatal(e, "staging a rebuild of %s: %s",
				          x->cfg->name, err.msg);
			return -1;
		}
		return 0;
	}
	pthread_mutex_lock(&e->mu);
	if (!x->st.seeded && !e->o.skip_backfill && !x->seed)
		x->seed = eng_seed_new(
		    e, i,
		    x->st.active_generation != x->st.serving_generation &&
		            x->st.serving_generation
		        ? ENG_SEED_REBUILD
		        : ENG_SEED_FRESH,
		    e->prep.slot_created ? NULL : x->st.backfill_cursor);
	pthread_mutex_unlock(&e->mu);
	eng_set_index_state(e, i);
	return 0;
}

/* Capture events arrive on the capture thread: note and poke. */
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
	e->cap = e->be->capture_new(e->be->ctx, &co);
	if (e->be->capture_start(e->cap, &err) < 0) {
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
		w->db = e->be->builder_new(e->be->ctx, e->o.cfg);
		w->writer = e->sink->ops->writer_new(e->sink);
	}
	for (i = 0; i < e->nw; i++)
		if (pthread_create(&e->w[i].thread, NULL, eng_worker_main,
		                   &e->w[i]) != 0) {
			eng_fatal(e, "cannot start worker threads");
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

int
eng_start_pipeline(struct fl_engine *e)
{
	struct fl_err err;
	size_t i;

	if (!(e->sink =
	          e->be->sink_new(e->be->ctx, e->o.cfg, e->o.pretty, &err))) {
		eng_fatal(e, "%s", err.msg);
		return -1;
	}
	if (e->sink->ops->set_abort)
		e->sink->ops->set_abort(e->sink, &e->abort_now);
	e->can_hold = fl_sink_can_hold(e->sink);
	if (eng_prepare_source(e) < 0 || eng_load_track(e) < 0 ||
	    eng_ensure_indexes(e) < 0)
		return -1;
	for (i = 0; i < e->prep.ndrift; i++) { /* the start-up check's */
		int ix = eng_index_no(e, e->prep.drift[i].index);

		if (ix >= 0)
			eng_hold_index(e, ix, FL_HOLD_DRIFT,
			               e->prep.drift[i].why);
	}
	if (eng_holds_load(e) < 0)
		return -1;
	for (i = 0; i < e->nix; i++)
		if (eng_plan_index(e, (int)i) < 0)
			return -1;
	eng_reload_fresh(e);
	if (eng_start_capture(e) < 0 || eng_start_workers(e) < 0)
		return -1;
	return 0;
}
