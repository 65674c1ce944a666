/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_board.c - what the engine shows on the status board: the rows
 * of every configured index (state, hold, pending set, generations), the
 * replication and queue fields, "waiting for" PostgreSQL or
 * OpenSearch, and the documents each index's alias holds (count_docs,
 * read by the seeder thread every few seconds). Decides nothing; reads engine state under e->mu and writes
 * the board under its own lock, which is taken last (inside e->mu for an
 * index row; never the other way round).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema_hash.h"
#include "core/engine_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

/* ---- waiting ----------------------------------------------------------- */

struct eng_wait_arg {
	const char *what;
};

static void
eng_waiting_cb(void *arg, struct fl_status *st)
{
	struct eng_wait_arg *a = arg;

	fl_str_copy(st->waiting_for, sizeof(st->waiting_for),
	            a->what ? a->what : "");
	if (a->what && st->phase != FL_PHASE_ERROR &&
	    st->phase != FL_PHASE_STOPPING)
		st->phase = FL_PHASE_WAITING;
}

void
eng_waiting(struct fl_engine *e, const char *what, const char *err)
{
	struct eng_wait_arg a = { what };
	struct fl_status *snap = fl_xmalloc(sizeof(*snap));

	fl_board_snapshot(e->board, snap);
	if (strcmp(snap->waiting_for, what) != 0) {
		fl_log_warn("engine", "waiting for %s: %s",
		            strcmp(what, "postgres") == 0 ? "PostgreSQL"
		                                          : "OpenSearch",
		            err);
		fl_board_event(e->board, FL_LOG_WARN, "waiting for %s: %s",
		               what, err);
	}
	free(snap);
	fl_board_update(e->board, eng_waiting_cb, &a);
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
	struct fl_status *snap = fl_xmalloc(sizeof(*snap));
	int was;
	union {
		const char *c;
		void *v;
	} u;

	fl_board_snapshot(e->board, snap);
	was = strcmp(snap->waiting_for, what) == 0;
	free(snap);
	if (!was)
		return;
	fl_log_info("engine", "%s is back", what);
	fl_board_event(e->board, FL_LOG_INFO, "%s is back", what);
	u.c = what;
	fl_board_update(e->board, eng_recovered_cb, u.v);
}

/* ---- stored documents ---------------------------------------------------- */

#define ENG_STORED_EVERY_MS 3000

struct eng_stored_arg {
	const char *name;
	long long n;
};

static void
eng_stored_cb(void *arg, struct fl_status *st)
{
	const struct eng_stored_arg *a = arg;
	struct fl_status_index *r = fl_status_index_find(st, a->name);

	if (r)
		r->stored = a->n;
}

void
eng_stored_tick(struct fl_engine *e)
{
	int64_t now = fl_mono_ms();
	size_t i;

	if (!e->sink || !e->sink->ops->count_docs ||
	    now - e->stored_ms < ENG_STORED_EVERY_MS)
		return;
	e->stored_ms = now;
	for (i = 0; i < e->nix && !atomic_load(&e->stop); i++) {
		struct eng_stored_arg a = { e->ix[i].cfg->name, -1 };
		struct fl_err err;
		int rc;

		if (!e->ix[i].cfg->enabled || !atomic_load(&e->ix[i].ensured))
			continue;
		fl_err_clear(&err);
		rc = e->sink->ops->count_docs(e->sink, a.name, &a.n, &err);
		if (rc == FL_SINK_TRANSIENT)
			break; /* keep the last counts while it is away: the
			        * seeder thread must not wait on each index */
		fl_board_update(e->board, eng_stored_cb, &a);
	}
}

/* ---- index rows ---------------------------------------------------------- */

/* What one index row shows, read under e->mu. */
struct eng_ixrow {
	const char *name;
	struct fl_sink_index_state *st;
	int ensured, policy_skip, seed_mode, skip_backfill, draining;
	enum fl_hold hold;
	struct fl_sink_hold info;
	long long npending;
};

static void
eng_ixrow_cb(void *arg, struct fl_status *st)
{
	const struct eng_ixrow *a = arg;
	struct fl_status_index *r = fl_status_index_find(st, a->name);
	const struct fl_sink_index_state *x = a->st;
	size_t i;

	if (!r)
		return;
	r->policy_skip = a->policy_skip;
	r->paused = a->hold == FL_HOLD_PAUSED;
	r->draining = a->draining;
	r->pending = a->npending;
	r->resync = a->hold != FL_HOLD_NONE && a->info.resync;
	fl_str_copy(r->hold_reason, sizeof(r->hold_reason),
	            a->hold == FL_HOLD_STOPPED || a->hold == FL_HOLD_DRIFT
	                ? a->info.reason
	                : "");
	if ((a->hold == FL_HOLD_STOPPED || a->hold == FL_HOLD_DRIFT) &&
	    a->info.reason[0])
		fl_str_copy(r->last_error, sizeof(r->last_error),
		            a->info.reason);
	if (a->ensured) {
		r->seeded = x->seeded;
		r->serving_generation = x->serving_generation;
		r->building_generation =
		    x->active_generation != x->serving_generation
		        ? x->active_generation
		        : 0;
		r->norphans = x->norphans;
		r->nsuperseded = x->nsuperseded;
		for (i = 0; i < x->nsuperseded && i < FL_STATUS_LIST; i++)
			fl_str_copy(r->superseded[i], sizeof(r->superseded[i]),
			            x->superseded[i]);
	}
	r->backfill_active = a->seed_mode >= 0;
	if (a->hold == FL_HOLD_PAUSED)
		r->state = FL_IX_PAUSED;
	else if (a->hold == FL_HOLD_STOPPED)
		r->state = FL_IX_STOPPED;
	else if (a->hold == FL_HOLD_DRIFT)
		r->state = FL_IX_DRIFT;
	else if (a->seed_mode >= 0)
		r->state = a->seed_mode == ENG_SEED_REBUILD ? FL_IX_REBUILDING
		                                            : FL_IX_BACKFILLING;
	else if (!a->ensured || (!x->seeded && x->tracks_seeding))
		r->state = a->skip_backfill && a->ensured ? FL_IX_SKIPPED
		                                          : FL_IX_PENDING;
	else
		r->state = FL_IX_LIVE;
}

void
eng_set_index_state(struct fl_engine *e, int ix)
{
	struct eng_index *x = &e->ix[ix];
	struct eng_ixrow a;

	memset(&a, 0, sizeof(a));
	a.name = x->cfg->name;
	a.st = &x->st;
	a.skip_backfill = e->o.skip_backfill;
	a.policy_skip = atomic_load(&x->policy_skip);
	a.hold = (enum fl_hold)atomic_load(&x->hold);
	pthread_mutex_lock(&e->mu); /* the seeder replaces x->seed */
	a.ensured = x->ensured;
	a.seed_mode =
	    x->seed ? (x->seed->restart ? ENG_SEED_REBUILD : (int)x->seed->mode)
	            : -1;
	a.draining = x->drain != NULL;
	a.info = x->hold_info;
	a.npending = x->npending;
	fl_board_update(e->board, eng_ixrow_cb, &a);
	pthread_mutex_unlock(&e->mu);
}

/* The board's rows for every configured index, enabled or not. */
static void
eng_board_init_cb(void *arg, struct fl_status *st)
{
	struct fl_engine *e = arg;
	const struct fl_config *c = e->o.cfg;
	/* after a reload, an unchanged index keeps its row (counters) */
	struct fl_status_index *was = fl_xmalloc(FL_MAX_INDEXES * sizeof(*was));
	size_t nwas = st->nindexes, i, j;

	memcpy(was, st->indexes, nwas * sizeof(*was));
	st->nindexes = 0;
	for (i = 0; i < c->nindexes && i < FL_MAX_INDEXES; i++) {
		const struct fl_index_cfg *x = &c->indexes[i];
		struct fl_status_index *r = &st->indexes[st->nindexes++];
		char hash[17] = "";

		if (x->enabled && x->schema)
			fl_config_index_hash(c, x, hash);
		memset(r, 0, sizeof(*r));
		r->stored = -1;
		for (j = 0; j < nwas; j++)
			if (!strcmp(was[j].name, x->name) &&
			    !strcmp(was[j].hash, hash) &&
			    was[j].enabled == x->enabled)
				*r = was[j];
		fl_str_copy(r->name, sizeof(r->name), x->name);
		r->enabled = x->enabled;
		r->state = x->enabled ? FL_IX_PENDING : FL_IX_DISABLED;
		r->policy_skip = fl_config_policy(c, x) == FL_POLICY_SKIP;
		r->covered = 1;
		r->rows_estimate = -1;
		r->pending = -1;
		if (x->enabled && x->schema) {
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
	fl_str_copy(st->group, sizeof(st->group), c->group ? c->group : "");
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
	free(was);
}

void
eng_board_init(struct fl_engine *e)
{
	fl_board_update(e->board, eng_board_init_cb, e);
}

/* ---- replication and queues ------------------------------------------------ */

struct eng_repl_arg {
	struct fl_capture_status cs;
	uint64_t committed;
	uint64_t depth, seed_depth, in_flight;
	uint64_t ensured; /* indexes whose ensure_index succeeded */
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
	st->indexes_ensured = a->ensured;
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
}

/* ---- OpenSearch nodes ------------------------------------------------------ */

struct eng_nodes_arg {
	const char *sink;
	const struct fl_node_state *v;
	size_t n;
};

static void
eng_nodes_cb(void *arg, struct fl_status *st)
{
	const struct eng_nodes_arg *a = arg;
	size_t i;

	for (i = 0; i < st->nsinks; i++) {
		struct fl_status_sink *s = &st->sinks[i];

		if (strcmp(s->name, a->sink) != 0)
			continue;
		s->nnodes = a->n < FL_STATUS_NODES ? a->n : FL_STATUS_NODES;
		memcpy(s->nodes, a->v, s->nnodes * sizeof(*s->nodes));
	}
}

/* A sink's node states (ops->nodes): onto its row, with a log line (a
 * warning is an event through the log tap; "up" is one too) when a node
 * goes down or comes back. */
static void
eng_nodes(void *arg, const char *sink, const struct fl_node_state *v, size_t n)
{
	struct fl_engine *e = arg;
	struct eng_nodes_arg a = { sink, v, n };
	struct fl_status *snap = fl_xmalloc(sizeof(*snap));
	size_t i, j;

	fl_board_snapshot(e->board, snap);
	for (i = 0; i < snap->nsinks; i++) {
		const struct fl_status_sink *s = &snap->sinks[i];

		if (strcmp(s->name, sink) != 0)
			continue;
		for (j = 0; j < n && j < s->nnodes; j++) {
			if (v[j].up == s->nodes[j].up)
				continue;
			if (v[j].up) {
				fl_log_info("engine",
				            "sink %s: OpenSearch node %s is up",
				            sink, v[j].url);
				fl_board_event(e->board, FL_LOG_INFO,
				               "sink %s: node %s is up", sink,
				               v[j].url);
			} else {
				fl_log_warn(
				    "engine",
				    "sink %s: OpenSearch node %s is down "
				    "(%s); skipped until it answers",
				    sink, v[j].url, v[j].last_error);
			}
		}
	}
	free(snap);
	fl_board_update(e->board, eng_nodes_cb, &a);
}

void
eng_publish(struct fl_engine *e)
{
	struct eng_repl_arg a;
	size_t i;

	memset(&a, 0, sizeof(a));
	e->be->capture_status(e->cap, &a.cs);
	a.committed = atomic_load(&e->committed);
	a.depth = fl_queue_len(e->capq);
	for (i = 0; i < e->nw; i++) {
		a.depth += fl_queue_len(e->w[i].live);
		a.seed_depth += fl_queue_len(e->w[i].seed);
	}
	a.in_flight = fl_queue_len(e->capq) + atomic_load(&e->pending_changes);
	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->nix; i++) {
		a.any_seed |= e->ix[i].seed != NULL;
		a.ensured += atomic_load(&e->ix[i].ensured) != 0;
	}
	pthread_mutex_unlock(&e->mu);
	fl_board_update(e->board, eng_repl_cb, &a);
	if (e->sink && e->sink->ops->nodes)
		e->sink->ops->nodes(e->sink, eng_nodes, e);
}
