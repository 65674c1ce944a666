/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_hold.c - held indexes: one index paused, stopped by a
 * permanent failure, or in drift from its schema (engine_drift.c), while
 * every other index keeps syncing.
 *
 * DESIGN
 *   A held index writes no documents. Workers read its hold at every
 *   commit attempt and write its ids to the sink's pending set instead
 *   (writer pend, same flush as the other documents), so its changes are
 *   confirmed like any other and the slot keeps advancing: a hold
 *   retains no WAL and no memory. The pending set and the hold itself
 *   live in OpenSearch next to the meta index (sink.h "Held indexes"):
 *   they survive kill -9 and a move to another machine, and they are
 *   exactly as durable as the documents they stand for.
 *   Releasing (resume, retry) clears and stores the hold, waits until no
 *   commit that may still write pending ids is in flight, then drains:
 *   the seeder reads the set in key order, pages of ENG_DRAIN_PAGE ids
 *   (at most ENG_DRAIN_PAGES in flight), hands each id to its owning
 *   worker like a live id, and once a page is durable removes its ids -
 *   each only if unchanged since it was read, so an id written again by
 *   a new hold in between is kept. A drain stops reading while its index
 *   is held again and starts over on the next release. At start-up
 *   stored holds are restored and leftover ids drained.
 *   Ids that could not be found while an index was held (its resolution
 *   failed), and any drift (DDL can change values without a row change),
 *   mark the hold `resync`: its release first stages a rebuild (a new
 *   generation seeded alongside live sync, durable across a restart),
 *   and the router stores that mark before confirming the change.
 *   Threads: eng_hold_index from any thread (workers on a failure, the
 *   control thread on `pause`); release and load on the control thread;
 *   the tick (storing holds, counting pending ids) and drain steps on
 *   the seeder thread, where waiting on OpenSearch stalls nothing else.
 *   x->hold is atomic; the hold's details, dirty flag and the drain
 *   pointer are under e->mu.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

#define ENG_COUNT_EVERY_MS 3000

static const char *
hold_name(enum fl_hold h)
{
	return h == FL_HOLD_PAUSED    ? "paused"
	       : h == FL_HOLD_STOPPED ? "stopped"
	       : h == FL_HOLD_DRIFT   ? "in drift"
	                              : "syncing";
}

int
eng_hold_index(struct fl_engine *e, int ix, enum fl_hold h, const char *reason)
{
	struct eng_index *x = &e->ix[ix];
	enum fl_hold cur;

	pthread_mutex_lock(&e->mu);
	cur = (enum fl_hold)atomic_load(&x->hold);
	if (cur != FL_HOLD_NONE) {
		/* a pause stays a pause (a failure meanwhile is pending
		 * anyway), a stop keeps its reason */
		pthread_mutex_unlock(&e->mu);
		return 0;
	}
	atomic_store(&x->hold, (int)h);
	x->hold_info.state = h;
	x->hold_info.since_us = fl_wall_us();
	fl_str_copy(x->hold_info.reason, sizeof(x->hold_info.reason),
	            reason ? reason : "");
	/* DDL changes values without row changes (a column dropped and
	 * added back, a retype USING ...): its release rebuilds them all */
	x->hold_info.resync = h == FL_HOLD_DRIFT;
	x->hold_ver++;
	pthread_mutex_unlock(&e->mu);
	if (h == FL_HOLD_STOPPED || h == FL_HOLD_DRIFT) {
		fl_log_error("engine",
		             "index %s %s: %s; its changes are kept as "
		             "pending ids, the other indexes go on (`retry "
		             "%s` once %s)",
		             x->cfg->name, hold_name(h), reason ? reason : "",
		             x->cfg->name,
		             h == FL_HOLD_DRIFT ? "the database matches the "
		                                  "schema again"
		                                : "fixed");
		fl_board_error(e->board, "index %s %s: %s", x->cfg->name,
		               hold_name(h), reason ? reason : "");
	} else {
		fl_log_info("engine", "index %s paused", x->cfg->name);
		fl_board_event(e->board, FL_LOG_INFO, "paused %s",
		               x->cfg->name);
	}
	eng_set_index_state(e, ix);
	eng_poke(e);
	return 1;
}

int
eng_hold_resync(struct fl_engine *e, int ix, const char *what)
{
	struct eng_index *x = &e->ix[ix];
	int was, held, dirty;

	pthread_mutex_lock(&e->mu);
	was = x->hold_info.resync;
	held = atomic_load(&x->hold) != FL_HOLD_NONE;
	if (!held) { /* released meanwhile: held again */
		atomic_store(&x->hold, FL_HOLD_STOPPED);
		memset(&x->hold_info, 0, sizeof(x->hold_info));
		x->hold_info.state = FL_HOLD_STOPPED;
		x->hold_info.since_us = fl_wall_us();
		fl_str_copy(x->hold_info.reason, sizeof(x->hold_info.reason),
		            what);
	}
	if (!was || !held) {
		x->hold_info.resync = 1;
		x->hold_ver++;
	}
	dirty = x->hold_ver != x->hold_saved;
	pthread_mutex_unlock(&e->mu);
	if (!held)
		fl_board_error(e->board, "index %s stopped: %s", x->cfg->name,
		               what);
	if (!was) {
		fl_log_warn("engine",
		            "index %s: %s; its release rebuilds every "
		            "document",
		            x->cfg->name, what);
		eng_set_index_state(e, ix);
		eng_poke(e);
	}
	return dirty;
}

/* ---- sink calls (sink_mu held by eng_sink_call) ---------------------- */

/* Store the hold as it is now (copied under sink_mu, so saves land in
 * the order of their copies); *ver gets the version stored. */
static int
hold_op_save_now(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	struct eng_index *x = &e->ix[ix];
	struct fl_sink_hold h;

	if (atomic_load(&x->releasing)) { /* its `none` wins; store later */
		fl_err_set(err, FL_ERR_BUSY, "index %s is being released",
		           x->cfg->name);
		return FL_SINK_TRANSIENT;
	}
	pthread_mutex_lock(&e->mu);
	h = x->hold_info;
	*(unsigned *)arg = x->hold_ver;
	pthread_mutex_unlock(&e->mu);
	return e->sink->ops->hold_save(e->sink, x->cfg->name, &h, err);
}

/* A stored version: no longer dirty unless changed since. */
static void
hold_stored(struct fl_engine *e, int ix, unsigned ver)
{
	pthread_mutex_lock(&e->mu);
	if ((int)(ver - e->ix[ix].hold_saved) > 0) /* newer */
		e->ix[ix].hold_saved = ver;
	pthread_mutex_unlock(&e->mu);
}

static int
hold_op_save(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	return e->sink->ops->hold_save(e->sink, e->ix[ix].cfg->name, arg, err);
}

static int
hold_op_load(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	return e->sink->ops->hold_load(e->sink, e->ix[ix].cfg->name, arg, err);
}

static int
hold_op_count(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	return e->sink->ops->pending_count(e->sink, e->ix[ix].cfg->name, arg,
	                                   err);
}

/* Ask the seeder to drain index ix (from its first pending id). */
static void
hold_start_drain_locked(struct fl_engine *e, int ix)
{
	struct eng_index *x = &e->ix[ix];

	if (x->drain) {
		x->drain->restart = 1;
	} else {
		x->drain = fl_xcalloc(1, sizeof(*x->drain));
		x->drain->ix = ix;
	}
}

static void
hold_start_drain(struct fl_engine *e, int ix)
{
	pthread_mutex_lock(&e->mu);
	hold_start_drain_locked(e, ix);
	pthread_mutex_unlock(&e->mu);
	eng_set_index_state(e, ix);
}

static void
hold_clear_error_cb(void *arg, struct fl_status *st)
{
	struct fl_status_index *r = fl_status_index_find(st, arg);

	if (r)
		r->last_error[0] = '\0';
}

int
eng_release_index(struct fl_engine *e, int ix, struct fl_err *err)
{
	struct eng_index *x = &e->ix[ix];
	struct fl_sink_hold none;
	enum fl_hold was = (enum fl_hold)atomic_load(&x->hold);
	char reason[256];
	int resync, staged = 0, late;
	long gen;
	union {
		const char *c;
		void *v;
	} name;

	fl_err_clear(err);
	if (!atomic_load(&x->ensured)) { /* its index could not be created */
		if (eng_sink_call_for(e, eng_op_ensure, ix, NULL, err,
		                      ENG_CMD_SINK_MS) != FL_SINK_OK ||
		    eng_plan_index(e, ix) < 0)
			return -1;
	}
	if (was == FL_HOLD_DRIFT && eng_drift_persists(e, ix, err))
		return -1;
	pthread_mutex_lock(&e->mu);
	resync = x->hold_info.resync;
	pthread_mutex_unlock(&e->mu);
	if (resync && x->st.tracks_seeding) {
		/* ids were lost while it was held (or DDL changed values): a
		 * new generation, built alongside live sync, durable across a
		 * restart; never joined to one already scanning */
		if (eng_stage_rebuild(e, ix, "changes lost while held", 0, &gen,
		                      err, ENG_CMD_SINK_MS) < 0)
			return -1;
		staged = 1;
		resync = 0;
	}
	memset(&none, 0, sizeof(none));
	/* from here until the memory says `none` too, a tick or the router
	 * must not store the old hold over this one */
	atomic_store(&x->releasing, 1);
	if (eng_sink_call_for(e, hold_op_save, ix, &none, err,
	                      ENG_CMD_SINK_MS) != FL_SINK_OK) {
		atomic_store(&x->releasing, 0);
		return -1;
	}
	/* the drain exists from the moment the hold is gone, so nothing
	 * (a seeding task about to be marked seeded) sees "not held, no
	 * drain" while ids are pending */
	if (was != FL_HOLD_PAUSED) /* the database may have changed: */
		atomic_fetch_add(&e->schema_epoch, 1); /* prepare again */
	pthread_mutex_lock(&e->mu);
	fl_str_copy(reason, sizeof(reason), x->hold_info.reason);
	/* ids lost after the resync was read (the router marks it, then
	 * confirms): rebuilt below */
	late = x->hold_info.resync && !staged;
	atomic_store(&x->hold, FL_HOLD_NONE);
	memset(&x->hold_info, 0, sizeof(x->hold_info));
	x->hold_saved = ++x->hold_ver; /* stored: none */
	atomic_store(&x->releasing, 0);
	x->npending = -1;
	hold_start_drain_locked(e, ix);
	x->drain->waiting = 1;
	pthread_mutex_unlock(&e->mu);
	name.c = x->cfg->name;
	fl_board_update(e->board, hold_clear_error_cb, name.v);
	/* commits that began while it was held may still write its pending
	 * ids: the drain reads once they ended (bounded wait); ids written
	 * later still are found by the next count (eng_holds_tick) */
	eng_wait_commits(e, ENG_CMD_COMMITS_MS);
	pthread_mutex_lock(&e->mu);
	if (x->drain)
		x->drain->waiting = 0;
	/* a sink that does not track seeding: every document, in place */
	if ((resync || (late && !x->st.tracks_seeding)) && !x->seed)
		x->seed = eng_seed_new(e, ix, ENG_SEED_INPLACE, NULL);
	pthread_mutex_unlock(&e->mu);
	if (late && x->st.tracks_seeding) {
		struct fl_err e2;

		if (eng_stage_rebuild(e, ix, "changes lost while releasing", 0,
		                      &gen, &e2, ENG_CMD_SINK_MS) < 0 &&
		    eng_hold_resync(e, ix, "changes lost while releasing"))
			eng_hold_store(e, ix, &e2); /* else the tick does */
		staged = 1;
	}
	eng_set_index_state(e, ix);
	fl_log_info("engine", "index %s %s: draining its pending ids%s",
	            x->cfg->name, was == FL_HOLD_PAUSED ? "resumed" : "retried",
	            resync || staged ? " and rebuilding every document" : "");
	fl_board_event(e->board, FL_LOG_INFO, "%s %s%s%s%s", x->cfg->name,
	               was == FL_HOLD_PAUSED ? "resumed" : "retried",
	               was != FL_HOLD_PAUSED && reason[0] ? " after: " : "",
	               was != FL_HOLD_PAUSED ? reason : "",
	               resync || staged ? " (rebuilding every document)" : "");
	return 0;
}

int
eng_hold_store(struct fl_engine *e, int ix, struct fl_err *err)
{
	unsigned ver = 0;
	int rc = eng_sink_call_for(e, hold_op_save_now, ix, &ver, err,
	                           ENG_CMD_SINK_MS);

	if (rc == FL_SINK_OK)
		hold_stored(e, ix, ver);
	return rc == FL_SINK_OK ? 0 : -1;
}

int
eng_holds_load(struct fl_engine *e)
{
	size_t i;

	if (!e->can_hold)
		return 0;
	for (i = 0; i < e->nix; i++) {
		struct eng_index *x = &e->ix[i];
		struct fl_sink_hold h;
		struct fl_err err;
		int rc;

		memset(&h, 0, sizeof(h));
		rc = eng_sink_call(e, hold_op_load, (int)i, &h, &err);
		if (rc == FL_SINK_TRANSIENT)
			return -1; /* stopping */
		if (rc == FL_SINK_PERMANENT) {
			eng_fatal(e, "reading the hold of index %s: %s",
			          x->cfg->name, err.msg);
			return -1;
		}
		if (h.state != FL_HOLD_NONE) {
			pthread_mutex_lock(&e->mu);
			/* an operator's pause wins over a failure found at
			 * start (its index could not be created) */
			if (atomic_load(&x->hold) == FL_HOLD_NONE ||
			    h.state == FL_HOLD_PAUSED) {
				h.resync |= x->hold_info.resync;
				atomic_store(&x->hold, (int)h.state);
				x->hold_info = h;
				x->hold_saved = ++x->hold_ver; /* as stored */
			} else if (h.resync && !x->hold_info.resync) {
				/* found at start (drift): keep what the
				 * stored hold owes */
				x->hold_info.resync = 1;
				x->hold_ver++;
			}
			pthread_mutex_unlock(&e->mu);
			fl_log_warn("engine", "index %s is %s%s%s (`%s %s`)",
			            x->cfg->name, hold_name(h.state),
			            h.reason[0] ? ": " : "", h.reason,
			            h.state == FL_HOLD_PAUSED ? "resume"
			                                      : "retry",
			            x->cfg->name);
			fl_board_event(e->board, FL_LOG_WARN, "index %s is %s",
			               x->cfg->name, hold_name(h.state));
		} else if (atomic_load(&x->hold) == FL_HOLD_NONE) {
			/* ids left by a crash after a release: the drain's
			 * first read refreshes, so none is missed */
			hold_start_drain(e, (int)i);
		}
		eng_set_index_state(e, (int)i);
	}
	return 0;
}

/* One sink call without waiting out an outage (the sink's own retries
 * still apply): the tick tries again next time. */
static int
hold_try(struct fl_engine *e,
         int (*op)(struct fl_engine *, int, void *, struct fl_err *), int ix,
         void *arg, struct fl_err *err)
{
	int rc;

	fl_err_clear(err);
	pthread_mutex_lock(&e->sink_mu);
	rc = op(e, ix, arg, err);
	pthread_mutex_unlock(&e->sink_mu);
	return rc;
}

void
eng_holds_tick(struct fl_engine *e)
{
	int64_t now = fl_mono_ms();
	size_t i;

	if (!e->can_hold)
		return;
	for (i = 0; i < e->nix; i++) {
		struct eng_index *x = &e->ix[i];
		struct fl_err err;
		int dirty, busy, restart;
		long long n;

		pthread_mutex_lock(&e->mu);
		dirty = x->hold_ver != x->hold_saved;
		busy = atomic_load(&x->hold) != FL_HOLD_NONE || x->drain ||
		       x->npending != 0;
		pthread_mutex_unlock(&e->mu);
		if (dirty) {
			unsigned ver = 0;
			int rc =
			    hold_try(e, hold_op_save_now, (int)i, &ver, &err);

			if (rc == FL_SINK_PERMANENT)
				fl_log_error("engine",
				             "storing the hold of index %s: %s "
				             "(it holds until restart)",
				             x->cfg->name, err.msg);
			if (rc != FL_SINK_TRANSIENT)
				hold_stored(e, (int)i, ver);
		}
		if (!busy || now - x->counted_ms < ENG_COUNT_EVERY_MS)
			continue;
		x->counted_ms = now;
		if (hold_try(e, hold_op_count, (int)i, &n, &err) != FL_SINK_OK)
			continue;
		pthread_mutex_lock(&e->mu);
		x->npending = n;
		/* ids left behind (written after a drain's first read, a
		 * page dropped, a removal refused): drain again */
		restart =
		    n > 0 && !x->drain && atomic_load(&x->hold) == FL_HOLD_NONE;
		pthread_mutex_unlock(&e->mu);
		if (restart)
			hold_start_drain(e, (int)i);
		eng_set_index_state(e, (int)i);
	}
}

/* ---- drains (seeder thread) ------------------------------------------------ */

void
eng_dpage_release(struct eng_dpage *p)
{
	if (atomic_fetch_sub(&p->refs, 1) == 1)
		atomic_store(&p->done, 1);
}

void
eng_dpage_drop(struct eng_dpage *p)
{
	atomic_store(&p->dropped, 1);
	eng_dpage_release(p);
}

static void
dpage_free(struct eng_dpage *p)
{
	fl_pending_page_done(&p->ids);
	free(p);
}

void
eng_drain_free(struct eng_drain *d)
{
	/* pages still in flight are freed by nobody else: only called when
	 * the workers are gone (teardown) or none is in flight */
	while (d && d->head) {
		struct eng_dpage *p = d->head;

		d->head = p->next;
		dpage_free(p);
	}
	if (d) {
		free(d->after);
		free(d);
	}
}

struct drain_read_arg {
	const char *after;
	struct fl_pending_page *out;
};

static int
drain_op_page(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	struct drain_read_arg *a = arg;

	return e->sink->ops->pending_page(e->sink, e->ix[ix].cfg->name,
	                                  a->after, ENG_DRAIN_PAGE, a->out,
	                                  err);
}

static int
drain_op_remove(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	const struct fl_pending_page *pg = arg;

	return e->sink->ops->pending_remove(e->sink, e->ix[ix].cfg->name, pg->v,
	                                    pg->n, err);
}

/* Remove the ids of the pages at the head that are durable. */
static int
drain_reap(struct fl_engine *e, struct eng_drain *d)
{
	int worked = 0;

	while (d->head && atomic_load(&d->head->done)) {
		struct eng_dpage *p = d->head;
		struct fl_err err;

		if (atomic_load(&p->dropped)) {
			d->incomplete = 1;
		} else if (eng_sink_call(e, drain_op_remove, d->ix, &p->ids,
		                         &err) != FL_SINK_OK) {
			d->incomplete = 1;
			fl_log_warn("engine",
			            "removing drained ids of %s: %s (they "
			            "will be drained again)",
			            e->ix[d->ix].cfg->name, err.msg);
		}
		d->ids_done += (int64_t)p->ids.n;
		d->head = p->next;
		if (!d->head)
			d->tail = NULL;
		d->ninflight--;
		dpage_free(p);
		worked = 1;
	}
	return worked;
}

/* Read one page of pending ids and hand them to their owners. */
static int
drain_read(struct fl_engine *e, struct eng_drain *d)
{
	struct eng_dpage *p = fl_xcalloc(1, sizeof(*p));
	struct drain_read_arg a = { d->after, &p->ids };
	struct fl_err err;
	size_t i;
	int rc;

	rc = eng_sink_call(e, drain_op_page, d->ix, &a, &err);
	if (rc != FL_SINK_OK) {
		if (rc == FL_SINK_PERMANENT) {
			/* give up this drain; the next count starts another */
			fl_log_warn("engine",
			            "reading the pending ids of %s: %s",
			            e->ix[d->ix].cfg->name, err.msg);
			d->read_all = 1;
			d->incomplete = 1;
		}
		dpage_free(p);
		return 0;
	}
	if (p->ids.n < ENG_DRAIN_PAGE)
		d->read_all = 1;
	if (p->ids.n == 0) {
		dpage_free(p);
		return 1;
	}
	free(d->after);
	d->after = fl_xstrdup(p->ids.v[p->ids.n - 1].key);
	atomic_init(&p->refs, (unsigned)p->ids.n + 1);
	if (d->tail)
		d->tail->next = p;
	else
		d->head = p;
	d->tail = p;
	d->ninflight++;
	for (i = 0; i < p->ids.n; i++) {
		const char *key = p->ids.v[i].key;
		struct eng_item *it = eng_item_new(ENG_ITEM_DRAIN, d->ix, key);

		it->dp = p;
		if (eng_push(e, e->w[eng_owner(e, d->ix, key)].seed, it) < 0) {
			eng_item_free(it);
			for (i++; i < p->ids.n; i++)
				eng_dpage_drop(p);
			break;
		}
	}
	eng_dpage_release(p);
	return 1;
}

/* One step of index ix's drain; frees it when it is over. */
static int
drain_step(struct fl_engine *e, int ix)
{
	struct eng_index *x = &e->ix[ix];
	struct eng_drain *d;
	int worked, held, over, waiting;

	pthread_mutex_lock(&e->mu);
	d = x->drain;
	if (d && d->restart && d->ninflight == 0) {
		d->restart = 0;
		d->read_all = 0;
		free(d->after);
		d->after = NULL;
	}
	waiting = d && d->waiting;
	pthread_mutex_unlock(&e->mu);
	if (!d || waiting)
		return 0;
	held = atomic_load(&x->hold) != FL_HOLD_NONE;
	worked = drain_reap(e, d);
	if (!held && !d->read_all && !d->restart &&
	    d->ninflight < ENG_DRAIN_PAGES && !atomic_load(&e->stop))
		worked |= drain_read(e, d);
	pthread_mutex_lock(&e->mu);
	over = d->ninflight == 0 && !d->restart && (held || d->read_all);
	if (over)
		x->drain = NULL;
	pthread_mutex_unlock(&e->mu);
	if (!over)
		return worked;
	if (!held && d->ids_done > 0) {
		fl_log_info("engine", "index %s: %lld pending ids applied",
		            x->cfg->name, (long long)d->ids_done);
		fl_board_event(e->board, FL_LOG_INFO,
		               "%s: %lld pending ids applied", x->cfg->name,
		               (long long)d->ids_done);
	}
	if (!held) {
		pthread_mutex_lock(&e->mu);
		x->npending = d->incomplete ? -1 : 0;
		pthread_mutex_unlock(&e->mu);
	}
	eng_drain_free(d);
	eng_set_index_state(e, ix);
	return 1;
}

int
eng_drains_step(struct fl_engine *e)
{
	size_t i;
	int worked = 0;

	for (i = 0; i < e->nix && !atomic_load(&e->stop); i++)
		worked |= drain_step(e, (int)i);
	return worked;
}
