/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_seeder.c - seeding alongside live capture (engine-sink.md §5.3,
 * source.md §16.3).
 *
 * The seeding thread pages the root keys of every index being seeded in
 * key order (keyset pages of 10,000 in short statements: nothing stays
 * idle in transaction) and hands each key to the worker that owns it,
 * like a live id, so a seeding build and a live build of one document
 * never race. A page is done when every key of it was flushed; the
 * cursor saved to the sink advances over the contiguous prefix of done
 * pages, so a restart with continuity resumes after it. When the last
 * page is done, the index is marked seeded (refresh, settings, alias
 * swap, meta last) with workers held, or - for an in-place `backfill` -
 * the cursor is cleared.
 *
 * The scan starts only after the slot exists (the engine starts seeding
 * after capture): every row is either seen by the scan or changed after
 * the slot's consistent point and delivered by the stream.
 *
 * A held index (engine_hold.c) is not scanned and not marked seeded
 * until it is released; keys already handed out become pending ids. The
 * same thread runs the drains of released indexes (eng_drains_step).
 * Tasks are only freed here, before the next one is picked, so a task
 * being paged is never freed under it.
 */
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>

#include "core/engine_int.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

struct eng_seed *
eng_seed_new(struct fl_engine *e, int ix, enum eng_seed_mode mode,
             const char *cursor)
{
	struct eng_seed *s = fl_xcalloc(1, sizeof(*s));

	s->e = e;
	s->ix = ix;
	s->mode = mode;
	s->cursor = cursor ? fl_xstrdup(cursor) : NULL;
	s->scan_after = cursor ? fl_xstrdup(cursor) : NULL;
	s->rows_estimate = -1;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void
eng_seed_free(struct eng_seed *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->cursor);
	free(s->scan_after);
	free(s->saved_key);
	free(s->flushed_key);
	free(s->done);
	free(s);
}

struct seed_prog_arg {
	const char *name;
	int64_t done, estimate;
	int active;
};

static void
seed_prog_cb(void *arg, struct fl_status *st)
{
	struct seed_prog_arg *a = arg;
	struct fl_status_index *r = fl_status_index_find(st, a->name);

	if (!r)
		return;
	r->rows_done = a->done;
	r->rows_estimate = a->estimate;
	r->backfill_active = a->active;
}

static void
seed_progress(struct eng_seed *s)
{
	struct fl_engine *e = s->e;
	struct seed_prog_arg a;

	pthread_mutex_lock(&s->mu);
	a.name = e->ix[s->ix].cfg->name;
	a.done = s->rows_done;
	a.estimate = s->rows_estimate;
	a.active = 1;
	pthread_mutex_unlock(&s->mu);
	fl_board_update(e->board, seed_prog_cb, &a);
}

/* Mark page p done; advance the contiguous prefix (lock held). */
static void
seed_page_done_locked(struct eng_seed *s, struct eng_page *p)
{
	uint64_t off = p->no - s->pages_done_prefix;

	if (off >= s->done_cap) {
		size_t cap = s->done_cap ? s->done_cap : 16;

		while (cap <= off)
			cap *= 2;
		s->done = fl_xrealloc(s->done, cap);
		memset(s->done + s->done_cap, 0, cap - s->done_cap);
		s->done_cap = cap;
	}
	s->done[off] = 1;
	s->rows_done += (int64_t)p->nkeys;
	if (off == 0) {
		free(s->flushed_key);
		s->flushed_key = p->last_key;
		p->last_key = NULL;
	}
	while (s->done_cap && s->done[0]) {
		memmove(s->done, s->done + 1, s->done_cap - 1);
		s->done[s->done_cap - 1] = 0;
		s->pages_done_prefix++;
	}
}

void
eng_page_release(struct eng_page *p)
{
	struct eng_seed *s = p->seed;

	if (atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	if (!atomic_load(&p->dropped)) { /* every key flushed */
		pthread_mutex_lock(&s->mu);
		seed_page_done_locked(s, p);
		pthread_mutex_unlock(&s->mu);
	}
	free(p->last_key);
	free(p);
}

void
eng_page_drop(struct eng_page *p)
{
	atomic_store(&p->dropped, 1); /* never done: the cursor stays */
	eng_page_release(p);
}

/* ---- the scan ------------------------------------------------------------------ */

/* Page one batch of keys of task s to the owners. 1: scan finished. */
static int
seed_page(struct fl_engine *e, struct eng_seed *s, void *db, void *conn,
          struct fl_err *err)
{
	const char *name = e->ix[s->ix].cfg->name;
	struct eng_page *p;
	char **keys = NULL;
	size_t n = 0, i;

	if (s->rows_estimate < 0 && s->pages_sent == 0) {
		long long est = e->be->estimate(db, conn, name, err);

		pthread_mutex_lock(&s->mu);
		s->rows_estimate = est;
		pthread_mutex_unlock(&s->mu);
	}
	if (e->be->key_page(db, conn, name, s->scan_after, ENG_SEED_PAGE, &keys,
	                    &n, err) < 0)
		return -1;
	p = fl_xcalloc(1, sizeof(*p));
	p->seed = s;
	p->no = s->pages_sent++;
	p->nkeys = n;
	p->last_key = n ? fl_xstrdup(keys[n - 1]) : NULL;
	atomic_init(&p->refs, (unsigned)n + 1);
	for (i = 0; i < n; i++) {
		struct eng_item *it =
		    eng_item_new(ENG_ITEM_SEED, s->ix, keys[i]);

		it->page = p;
		if (eng_push(e, e->w[eng_owner(e, s->ix, keys[i])].seed, it) <
		    0) {
			eng_item_free(it);
			for (i++; i < n; i++)
				eng_page_drop(p);
			break;
		}
	}
	if (n) {
		free(s->scan_after);
		s->scan_after = fl_xstrdup(keys[n - 1]);
	}
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	if (atomic_load(&e->stop)) {
		eng_page_drop(p);
		return -1;
	}
	eng_page_release(p);
	return n < ENG_SEED_PAGE;
}

static int
seed_op_cursor(struct fl_engine *e, struct eng_seed *s, const char *key,
               struct fl_err *err)
{
	int rc;

	pthread_mutex_lock(&e->sink_mu);
	rc = e->sink->ops->save_cursor(e->sink, e->ix[s->ix].cfg->name, key,
	                               err);
	pthread_mutex_unlock(&e->sink_mu);
	return rc;
}

/* Save the cursor when the flushed prefix moved (best effort). */
static void
seed_save_cursor(struct fl_engine *e, struct eng_seed *s)
{
	struct fl_err err;
	char *key = NULL;

	if (s->mode == ENG_SEED_INPLACE || !e->ix[s->ix].st.tracks_seeding)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->flushed_key &&
	    (!s->saved_key || strcmp(s->saved_key, s->flushed_key) != 0))
		key = fl_xstrdup(s->flushed_key);
	pthread_mutex_unlock(&s->mu);
	if (!key)
		return;
	if (seed_op_cursor(e, s, key, &err) == FL_SINK_OK) {
		free(s->saved_key);
		s->saved_key = key;
	} else {
		fl_log_warn("engine", "saving the seeding cursor of %s: %s",
		            e->ix[s->ix].cfg->name, err.msg);
		free(key);
	}
}

/* Every page sent was flushed? */
static int
seed_all_done(struct eng_seed *s)
{
	int done;

	pthread_mutex_lock(&s->mu);
	done = s->pages_done_prefix == s->pages_sent;
	pthread_mutex_unlock(&s->mu);
	return done;
}

struct seed_done_arg {
	struct fl_engine *e;
	int ix;
};

/* The index's seeding is complete: make it so at the sink. 0 done, -1
 * not now (stopping, or the index was stopped: its task stays and is
 * finished once it is retried). */
static int
seed_finish(struct fl_engine *e, struct eng_seed *s)
{
	struct eng_index *x = &e->ix[s->ix];
	const char *name = x->cfg->name;
	struct fl_backoff b = FL_BACKOFF_INIT;
	struct fl_err err;
	int rc = FL_SINK_OK;

	while (x->st.tracks_seeding && s->mode != ENG_SEED_INPLACE) {
		if (!eng_hold(e))
			return -1;
		pthread_mutex_lock(&e->sink_mu);
		rc =
		    e->sink->ops->mark_seeded(e->sink, name, &e->prep.id, &err);
		pthread_mutex_unlock(&e->sink_mu);
		if (rc == FL_SINK_OK) {
			pthread_mutex_lock(&e->mu);
			x->st.seeded = 1;
			x->st.serving_generation = x->st.active_generation;
			x->st.source = e->prep.id;
			x->st.has_source = 1;
			pthread_mutex_unlock(&e->mu);
		}
		eng_release(e);
		if (rc == FL_SINK_OK)
			break;
		if (rc == FL_SINK_PERMANENT) {
			char why[640];

			snprintf(why, sizeof(why), "marking it seeded: %s",
			         err.msg);
			if (!e->can_hold) {
				eng_fatal(e, "%s: %s", name, why);
				return -1;
			}
			eng_hold_index(e, s->ix, FL_HOLD_STOPPED, why);
			return -1;
		}
		if (err.code != FL_ERR_CANCELLED)
			eng_waiting(e, "opensearch", err.msg);
		if (eng_retry_wait(e, &b))
			return -1;
	}
	if (s->mode == ENG_SEED_INPLACE && x->st.tracks_seeding)
		seed_op_cursor(e, s, NULL, &err);
	fl_log_info("engine", "index %s seeded (%lld rows)", name,
	            (long long)s->rows_done);
	fl_board_event(e->board, FL_LOG_INFO, "index %s seeded (%lld rows)",
	               name, (long long)s->rows_done);
	return 0;
}

/* The next task with scanning left, round robin; NULL if none. */
static struct eng_seed *
seed_next(struct fl_engine *e, size_t *rr)
{
	struct eng_seed *s = NULL;
	size_t k;

	pthread_mutex_lock(&e->mu);
	for (k = 0; k < e->nix && !s; k++) {
		size_t i = (*rr + k) % e->nix;

		if (e->ix[i].seed && !e->ix[i].seed->scan_finished &&
		    !e->ix[i].seed->restart &&
		    atomic_load(&e->ix[i].hold) == FL_HOLD_NONE)
			s = e->ix[i].seed;
	}
	*rr = *rr + 1;
	pthread_mutex_unlock(&e->mu);
	return s;
}

/* Finish tasks whose scan ended and whose pages are all flushed. */
static void
seed_reap(struct fl_engine *e)
{
	size_t i;

	for (i = 0; i < e->nix; i++) {
		struct eng_seed *s;
		int restart, draining;

		pthread_mutex_lock(&e->mu);
		s = e->ix[i].seed;
		restart = s && s->restart;
		pthread_mutex_unlock(&e->mu);
		if (!s)
			continue;
		seed_progress(s);
		if (restart) {
			/* superseded by a staged rebuild: once its pages
			 * are flushed, scan again from the first key */
			if (!seed_all_done(s))
				continue;
			pthread_mutex_lock(&e->mu);
			e->ix[i].seed =
			    eng_seed_new(e, (int)i, ENG_SEED_REBUILD, NULL);
			pthread_mutex_unlock(&e->mu);
			eng_seed_free(s);
			eng_set_index_state(e, (int)i);
			continue;
		}
		/* not while a rebuild is staged: staging clears the cursor
		 * for the new generation, which this task's keys (scanned
		 * into the old one) must not set again */
		pthread_mutex_lock(&e->gen_mu);
		pthread_mutex_lock(&e->mu);
		restart = s->restart;
		pthread_mutex_unlock(&e->mu);
		if (!restart)
			seed_save_cursor(e, s);
		pthread_mutex_unlock(&e->gen_mu);
		if (restart)
			continue; /* replaced on the next round */
		/* with a pending set, only once it is known empty */
		pthread_mutex_lock(&e->mu);
		draining = e->ix[i].drain != NULL ||
		           (e->can_hold && e->ix[i].npending != 0);
		pthread_mutex_unlock(&e->mu);
		/* a held index is marked seeded once released, and once the
		 * keys it pended meanwhile are written (its drain) */
		if (!s->scan_finished || !seed_all_done(s) || draining ||
		    atomic_load(&e->ix[i].hold) != FL_HOLD_NONE)
			continue;
		/* no rebuild is staged while this task ends (gen_mu): one
		 * staged just before is seen here, so this task neither marks
		 * the new generation seeded nor drops its rebuild */
		pthread_mutex_lock(&e->gen_mu);
		pthread_mutex_lock(&e->mu);
		restart = s->restart;
		pthread_mutex_unlock(&e->mu);
		if (!restart && seed_finish(e, s) < 0) {
			pthread_mutex_unlock(&e->gen_mu);
			return;
		}
		pthread_mutex_lock(&e->mu);
		e->ix[i].seed =
		    restart ? eng_seed_new(e, (int)i, ENG_SEED_REBUILD, NULL)
		            : NULL;
		pthread_mutex_unlock(&e->mu);
		pthread_mutex_unlock(&e->gen_mu);
		eng_seed_free(s);
		eng_set_index_state(e, (int)i);
#ifdef __GLIBC__
		malloc_trim(0); /* hand the seeding high-water mark back */
#endif
	}
}

void *
eng_seeder_main(void *arg)
{
	struct fl_engine *e = arg;
	void *db = e->be->builder_new(e->be->ctx, e->o.cfg);
	void *conn = NULL;
	struct fl_backoff b = FL_BACKOFF_INIT;
	unsigned epoch = atomic_load(&e->schema_epoch);
	size_t rr = 0;

	while (!atomic_load(&e->stop) && !atomic_load(&e->failed)) {
		struct eng_seed *s;
		struct fl_err err;
		int rc, drained;

		if (epoch != atomic_load(&e->schema_epoch)) {
			/* a table's definition changed, or an index was
			 * released: the key scan's SQL is derived again */
			epoch = atomic_load(&e->schema_epoch);
			e->be->builder_free(db);
			db = e->be->builder_new(e->be->ctx, e->o.cfg);
		}

		/* finish and replace tasks first: the task picked next is
		 * not freed before it is paged */
		seed_reap(e);
		eng_holds_tick(e);
		eng_stored_tick(e);
		drained = eng_drains_step(e);
		s = seed_next(e, &rr);
		if (!s) {
			if (!drained)
				fl_sleep_unless(200, &e->stop);
			continue;
		}
		eng_failpoint(e, "seeder.picked");
		if (!conn && !(conn = eng_connect(e, "flusso-seeding")))
			break;
		rc = seed_page(e, s, db, conn, &err);
		if (rc == 1)
			s->scan_finished = 1;
		if (rc >= 0) {
			fl_backoff_reset(&b);
			continue;
		}
		if (atomic_load(&e->stop))
			break;
		if (err.code != FL_ERR_PG) {
			char why[640];

			snprintf(why, sizeof(why), "seeding: %s", err.msg);
			if (!e->can_hold) {
				eng_fatal(e, "seeding %s: %s",
				          e->ix[s->ix].cfg->name, err.msg);
				break;
			}
			eng_index_broken(e, s->ix, conn, why, err.sqlstate);
			continue;
		}
		fl_log_warn("engine", "seeding %s (will retry): %s",
		            e->ix[s->ix].cfg->name, err.msg);
		if (!e->be->session_ok(conn)) {
			e->be->session_close(conn);
			conn = NULL;
		}
		eng_retry_wait(e, &b);
	}
	if (conn)
		e->be->session_close(conn);
	e->be->builder_free(db);
	atomic_store(&e->seeder_exited, 1);
	return NULL;
}
