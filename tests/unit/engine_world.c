/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_world.c - the scripted world of the engine core tests (see
 * engine_world.h). One mutex guards all of it; every backend entry takes
 * it briefly, except where a script blocks (a hanging flush, a gated gc)
 * and then waits on the world's condition variable.
 */
#include "unit/engine_world.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/watermark.h"
#include "util/clock.h"
#include "util/queue.h"
#include "util/strutil.h"
#include "util/xmem.h"

#define W_TXN_MAX 8

struct w_txn {
	uint64_t lsn;
	int n;
	int ix[W_TXN_MAX];
	int key[W_TXN_MAX];
	long ver[W_TXN_MAX];
};

struct w_index {
	int created;
	long active, serving, maxgen;
	int seeded;
	char *cursor;
	long *docs[WORLD_MAXGEN + 1]; /* [gen][key]: version, -1 absent */
};

struct world {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *names[WORLD_NIX];
	int nkeys;
	long *db[WORLD_NIX];
	long gver;
	/* the WAL and the slot */
	struct w_txn *log;
	size_t nlog, caplog;
	uint64_t lsn, slot_lsn;
	size_t checked; /* log entries checked (all with lsn <= slot) */
	int started_once;
	/* the sink */
	struct w_index ix[WORLD_NIX];
	long *pend[WORLD_NIX]; /* seq_no per key, 0 = not pending */
	long pseq;
	struct fl_sink_hold hold[WORLD_NIX];
	const atomic_int *abort;
	/* scripts */
	struct world_flush_script fs;
	unsigned rng;
	unsigned char *poison[WORLD_NIX];
	long *rejected[WORLD_NIX]; /* highest version the sink refused */
	int broken[WORLD_NIX];
	int lose_ids[WORLD_NIX];
	int unsynced[WORLD_NIX]; /* not in the engine's configuration */
	int transient_builds, transient_lose;
	int fail_gc, fail_stage, fail_ensure[WORLD_NIX];
	int gate_gc, gate_open;
	int fail_capture;
	/* observations */
	long violations;
	char first[512];
	long restarts;
	char gc_order[256];
	long docs_written;
	int hanging;
	struct fl_engine_backend be;
};

static unsigned
w_rand(struct world *w)
{
	w->rng = w->rng * 1103515245u + 12345u;
	return (w->rng >> 8) & 0xffffff;
}

static int
w_ix(const struct world *w, const char *name)
{
	int i;

	for (i = 0; i < WORLD_NIX; i++)
		if (strcmp(w->names[i], name) == 0)
			return i;
	return -1;
}

static void w_violation(struct world *w, const char *fmt, ...) FL_PRINTF(2, 3);

static void
w_violation(struct world *w, const char *fmt, ...)
{
	va_list ap;

	if (w->violations++ == 0) {
		va_start(ap, fmt);
		vsnprintf(w->first, sizeof(w->first), fmt, ap);
		va_end(ap);
	}
}

/* ---- the invariant (lock held) ---------------------------------------- */

static void
w_check_upto(struct world *w, uint64_t conf)
{
	if (conf > w->slot_lsn)
		w->slot_lsn = conf;
	while (w->checked < w->nlog && w->log[w->checked].lsn <= conf) {
		const struct w_txn *t = &w->log[w->checked++];
		int i;

		for (i = 0; i < t->n; i++) {
			const struct w_index *x = &w->ix[t->ix[i]];
			long have = x->created && x->serving
			                ? x->docs[x->serving][t->key[i]]
			                : -1;

			/* durable, durably pending, refused by the sink
			 * (then quarantined under skip; under stop the test
			 * sees it pending and drained), or owed by a stored
			 * hold that rebuilds every document on release */
			if (have >= t->ver[i] || w->unsynced[t->ix[i]] ||
			    w->pend[t->ix[i]][t->key[i]] ||
			    w->rejected[t->ix[i]][t->key[i]] >= t->ver[i] ||
			    (w->hold[t->ix[i]].state != FL_HOLD_NONE &&
			     w->hold[t->ix[i]].resync))
				continue;
			w_violation(
			    w,
			    "LSN %llu confirmed but %s/%d is at version "
			    "%ld (< %ld) in generation %ld and not "
			    "pending",
			    (unsigned long long)t->lsn, w->names[t->ix[i]],
			    t->key[i], have, t->ver[i], x->serving);
		}
	}
}

/* ---- world ---------------------------------------------------------------- */

uint64_t
world_commit(struct world *w, int n, int only)
{
	struct w_txn t;
	int i;

	if (n > W_TXN_MAX)
		n = W_TXN_MAX;
	memset(&t, 0, sizeof(t));
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < n; i++) {
		t.ix[i] = only >= 0 ? only : (int)(w_rand(w) % WORLD_NIX);
		t.key[i] = 1 + (int)(w_rand(w) % (unsigned)w->nkeys);
		t.ver[i] = ++w->gver;
		w->db[t.ix[i]][t.key[i]] = t.ver[i];
	}
	t.n = n;
	w->lsn += 0x100;
	t.lsn = w->lsn;
	w->log = fl_xgrow(w->log, &w->caplog, w->nlog + 1, sizeof(*w->log));
	w->log[w->nlog++] = t;
	pthread_mutex_unlock(&w->mu);
	return t.lsn;
}

uint64_t
world_slot_lsn(struct world *w)
{
	uint64_t v;

	pthread_mutex_lock(&w->mu);
	v = w->slot_lsn;
	pthread_mutex_unlock(&w->mu);
	return v;
}

uint64_t
world_last_lsn(struct world *w)
{
	uint64_t v;

	pthread_mutex_lock(&w->mu);
	v = w->lsn;
	pthread_mutex_unlock(&w->mu);
	return v;
}

/* ---- sessions and start-up ---------------------------------------------------- */

struct w_session {
	int ok;
	struct world *w;
};

static void *
w_session_open(void *ctx, const char *conninfo, const char *app,
               struct fl_err *err)
{
	struct w_session *s = fl_xcalloc(1, sizeof(*s));

	(void)conninfo;
	(void)app;
	(void)err;
	s->ok = 1;
	s->w = ctx;
	return s;
}

static int
w_session_ok(void *s)
{
	return s && ((struct w_session *)s)->ok;
}

static void
w_session_close(void *s)
{
	free(s);
}

static int
w_prepare(void *ctx, const char *conninfo, const struct fl_config *cfg,
          const struct fl_source_opts *o, struct fl_source_prep *prep,
          struct fl_diags *d, struct fl_err *err)
{
	struct world *w = ctx;

	(void)conninfo;
	(void)cfg;
	(void)d;
	(void)err;
	memset(prep, 0, sizeof(*prep));
	fl_str_copy(prep->id.sysid, sizeof(prep->id.sysid), "7000000001");
	fl_str_copy(prep->id.database, sizeof(prep->id.database), "shop");
	fl_str_copy(prep->id.slot, sizeof(prep->id.slot), o->slot);
	pthread_mutex_lock(&w->mu);
	prep->slot_created = !w->started_once;
	w->started_once = 1;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static int
w_track_load(void *session, struct fl_track *t, struct fl_err *err)
{
	(void)session;
	(void)t;
	(void)err;
	return 0;
}

/* ---- capture ---------------------------------------------------------------- */

/* A change as the fake capture makes it: one allocation (fl_change_free
 * frees it), the (index, key) it changed after the engine's struct. */
struct w_change {
	struct fl_change ch;
	int ix, key;
};

struct w_cap {
	struct world *w;
	struct fl_queue *q;
	void (*on_event)(void *arg, enum fl_capture_event ev,
	                 const char *detail);
	void *arg;
	struct fl_wm *wm;
	pthread_t th;
	int started;
	atomic_int stop, restart;
	atomic_uint_least64_t captured;
	size_t pos;
};

static void
w_cap_confirmed(struct w_cap *c)
{
	uint64_t conf = fl_wm_confirmed(c->wm);

	pthread_mutex_lock(&c->w->mu);
	w_check_upto(c->w, conf);
	pthread_mutex_unlock(&c->w->mu);
}

/* Start a stream at the slot's position (a new epoch). */
static void
w_cap_rewind(struct w_cap *c)
{
	struct world *w = c->w;
	uint64_t slot;

	pthread_mutex_lock(&w->mu);
	slot = w->slot_lsn;
	for (c->pos = 0; c->pos < w->nlog && w->log[c->pos].lsn <= slot;
	     c->pos++) {
	}
	pthread_mutex_unlock(&w->mu);
	fl_wm_reset(c->wm, slot);
}

/* Stream one transaction; 0 done, -1 interrupted (stop or restart). */
static int
w_cap_txn(struct w_cap *c, const struct w_txn *t)
{
	int i;

	for (i = 0; i < t->n; i++) {
		struct w_change *ch = fl_xcalloc(1, sizeof(*ch));
		int r;

		ch->ch.op = FL_CHANGE_UPDATE;
		ch->ch.commit_lsn = t->lsn;
		ch->ch.pos = (uint32_t)i;
		ch->ix = t->ix[i];
		ch->key = t->key[i];
		ch->ch.ack = fl_wm_register(c->wm, FL_LSN_NONE);
		do {
			r = fl_queue_push(c->q, ch, 50);
		} while (r == 1 && !atomic_load(&c->stop) &&
		         !atomic_load(&c->restart));
		if (r != 0) {
			free(ch);
			return -1;
		}
		atomic_fetch_add(&c->captured, 1);
	}
	fl_wm_confirm(c->wm, fl_wm_register(c->wm, t->lsn));
	w_cap_confirmed(c);
	return 0;
}

static void *
w_cap_main(void *arg)
{
	struct w_cap *c = arg;
	struct world *w = c->w;

	w_cap_rewind(c);
	while (!atomic_load(&c->stop)) {
		struct w_txn t;
		int have, fail;

		pthread_mutex_lock(&w->mu);
		fail = w->fail_capture;
		w->fail_capture = 0;
		pthread_mutex_unlock(&w->mu);
		if (fail) { /* a decode error: the stream ends for good */
			if (c->on_event)
				c->on_event(c->arg, FL_CAPTURE_EV_FAILED,
				            "fake: invalid message");
			break;
		}
		if (atomic_exchange(&c->restart, 0))
			w_cap_rewind(c);
		pthread_mutex_lock(&w->mu);
		have = c->pos < w->nlog;
		if (have)
			t = w->log[c->pos];
		pthread_mutex_unlock(&w->mu);
		if (!have) {
			poll(NULL, 0, 2);
			continue;
		}
		if (w_cap_txn(c, &t) == 0)
			c->pos++;
	}
	return NULL;
}

static void *
w_capture_new(void *ctx, const struct fl_capture_opts *o)
{
	struct w_cap *c = fl_xcalloc(1, sizeof(*c));

	c->w = ctx;
	c->q = o->queue;
	c->on_event = o->on_event;
	c->arg = o->arg;
	c->wm = fl_wm_new(0);
	return c;
}

static int
w_capture_start(void *cap, struct fl_err *err)
{
	struct w_cap *c = cap;

	if (pthread_create(&c->th, NULL, w_cap_main, c) != 0)
		return fl_err_set(err, FL_ERR_IO, "fake capture thread");
	c->started = 1;
	return 0;
}

static void
w_capture_stop(void *cap)
{
	struct w_cap *c = cap;

	atomic_store(&c->stop, 1);
	if (c->started)
		pthread_join(c->th, NULL);
	c->started = 0;
}

static void
w_capture_free(void *cap)
{
	struct w_cap *c = cap;

	if (!c)
		return;
	w_capture_stop(c);
	fl_wm_free(c->wm);
	free(c);
}

static void
w_capture_confirm(void *cap, struct fl_ack ack)
{
	struct w_cap *c = cap;

	fl_wm_confirm(c->wm, ack);
	w_cap_confirmed(c);
}

static void
w_capture_restart(void *cap)
{
	struct w_cap *c = cap;

	pthread_mutex_lock(&c->w->mu);
	c->w->restarts++;
	pthread_mutex_unlock(&c->w->mu);
	atomic_store(&c->restart, 1);
}

static uint64_t
w_capture_epoch(void *cap)
{
	return fl_wm_epoch(((struct w_cap *)cap)->wm);
}

static void
w_capture_status(void *cap, struct fl_capture_status *out)
{
	struct w_cap *c = cap;

	memset(out, 0, sizeof(*out));
	out->state = FL_CAPTURE_STREAMING;
	out->epoch = fl_wm_epoch(c->wm);
	out->captured = atomic_load(&c->captured);
	out->confirmed = fl_wm_confirmed(c->wm);
	out->received = out->confirmed;
}

/* ---- resolution and documents ------------------------------------------------- */

static void *
w_resolver_new(void *ctx, const struct fl_config *cfg,
               const struct fl_track *track)
{
	(void)cfg;
	(void)track;
	return ctx;
}

static void
w_nothing(void *p)
{
	(void)p;
}

static int
w_prepare_ok(void *x, void *session, struct fl_err *err)
{
	(void)x;
	(void)session;
	(void)err;
	return 0;
}

static int
w_resolve(void *r, void *session, const struct fl_change *c,
          fl_resolve_emit emit, void *arg, struct fl_err *err)
{
	struct world *w = r;
	const struct w_change *wc = (const struct w_change *)c;
	char key[16];

	int lose;

	(void)session;
	snprintf(key, sizeof(key), "%d", wc->key);
	pthread_mutex_lock(&w->mu);
	lose = w->lose_ids[wc->ix];
	pthread_mutex_unlock(&w->mu);
	if (emit(arg, w->names[wc->ix], lose ? NULL : key) < 0)
		return fl_err_set(err, FL_ERR_CANCELLED, "emit aborted");
	return 0;
}

/* The schema check of a broken index fails like `check` would. */
static int
w_drift_check(void *session, const struct fl_config *cfg, const char *index,
              int untracked_warning, char *why, size_t n, struct fl_err *err)
{
	struct world *w = ((struct w_session *)session)->w;
	int ix = w_ix(w, index), broken;

	(void)cfg;
	(void)untracked_warning;
	(void)err;
	pthread_mutex_lock(&w->mu);
	broken = ix >= 0 && w->broken[ix];
	pthread_mutex_unlock(&w->mu);
	if (broken)
		snprintf(why, n,
		         "%s.schema.yml:7:5: fields[1].title: column `title` "
		         "does not exist in table public.%s",
		         index, index);
	return broken;
}

static unsigned long
w_untracked(void *r)
{
	(void)r;
	return 0;
}

static size_t
w_truncate(void *r, const struct fl_track_table *t, const char **names,
           size_t max)
{
	(void)r;
	(void)t;
	(void)names;
	(void)max;
	return 0;
}

static void *
w_builder_new(void *ctx, const struct fl_config *cfg)
{
	(void)cfg;
	return ctx;
}

static int
w_build(void *b, void *session, const char *index, const char *const *keys,
        size_t n, struct fl_docs *out, struct fl_err *err)
{
	struct world *w = b;
	int ix = w_ix(w, index);
	size_t i;

	pthread_mutex_lock(&w->mu);
	if (w->transient_builds > 0) {
		w->transient_builds--;
		if (w->transient_lose)
			((struct w_session *)session)->ok = 0;
		pthread_mutex_unlock(&w->mu);
		return fl_err_set(err, FL_ERR_PG,
		                  "could not serialize access due to "
		                  "concurrent update (SQLSTATE 40001)");
	}
	if (ix < 0 || w->broken[ix]) {
		pthread_mutex_unlock(&w->mu);
		fl_err_set(err, FL_ERR_CONFIG,
		           "column root.title does not exist (SQLSTATE 42703)");
		fl_err_sqlstate(err, "42703");
		return -1;
	}
	for (i = 0; i < n; i++) {
		long k = strtol(keys[i], NULL, 10);
		struct fl_doc *d;

		out->v =
		    fl_xgrow(out->v, &out->cap, out->n + 1, sizeof(*out->v));
		d = &out->v[out->n++];
		memset(d, 0, sizeof(*d));
		d->id = fl_xstrdup(keys[i]);
		d->json = fl_xasprintf(
		    "{\"v\":%ld}", k >= 1 && k <= w->nkeys ? w->db[ix][k] : 0L);
		d->len = strlen(d->json);
	}
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static int
w_key_page(void *b, void *session, const char *index, const char *after,
           long limit, char ***keys, size_t *n, struct fl_err *err)
{
	struct world *w = b;
	long from = after ? strtol(after, NULL, 10) + 1 : 1, k;

	(void)session;
	(void)index;
	(void)err;
	*keys = fl_xcalloc((size_t)limit, sizeof(char *));
	*n = 0;
	for (k = from; k <= w->nkeys && (long)*n < limit; k++)
		(*keys)[(*n)++] = fl_xasprintf("%ld", k);
	return 0;
}

static long long
w_estimate(void *b, void *session, const char *index, struct fl_err *err)
{
	(void)session;
	(void)index;
	(void)err;
	return ((struct world *)b)->nkeys;
}

/* ---- the sink: control face ------------------------------------------------- */

struct w_sink {
	struct fl_sink base;
	struct world *w;
};

static struct world *
w_of(struct fl_sink *s)
{
	return ((struct w_sink *)s)->w;
}

static void
w_new_gen(struct world *w, struct w_index *x, long g)
{
	int k;

	x->docs[g] = fl_xmalloc(((size_t)w->nkeys + 1) * sizeof(long));
	for (k = 0; k <= w->nkeys; k++)
		x->docs[g][k] = -1;
	if (g > x->maxgen)
		x->maxgen = g;
}

static int
w_ensure(struct fl_sink *s, const struct fl_sink_index_def *def,
         struct fl_sink_index_state *st, struct fl_err *err)
{
	struct world *w = w_of(s);
	int ix = w_ix(w, def->name);
	struct w_index *x;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&w->mu);
	if (ix < 0 || w->fail_ensure[ix]) {
		pthread_mutex_unlock(&w->mu);
		fl_err_set(err, FL_ERR_SINK,
		           "creating the index of %s: 400 "
		           "illegal_argument_exception (fake)",
		           def->name);
		return FL_SINK_PERMANENT;
	}
	x = &w->ix[ix];
	if (!x->created) {
		x->created = 1;
		x->active = x->serving = 1;
		w_new_gen(w, x, 1);
	}
	st->tracks_seeding = 1;
	st->seeded = x->seeded;
	st->active_generation = x->active;
	st->serving_generation = x->serving;
	st->has_source = x->seeded;
	if (x->seeded) {
		fl_str_copy(st->source.sysid, sizeof(st->source.sysid),
		            "7000000001");
		fl_str_copy(st->source.database, sizeof(st->source.database),
		            "shop");
		fl_str_copy(st->source.slot, sizeof(st->source.slot), "flusso");
	}
	st->backfill_cursor = x->cursor ? fl_xstrdup(x->cursor) : NULL;
	pthread_mutex_unlock(&w->mu);
	return FL_SINK_OK;
}

static int
w_save_cursor(struct fl_sink *s, const char *index, const char *cursor,
              struct fl_err *err)
{
	struct world *w = w_of(s);
	int ix = w_ix(w, index);

	(void)err;
	pthread_mutex_lock(&w->mu);
	free(w->ix[ix].cursor);
	w->ix[ix].cursor = cursor ? fl_xstrdup(cursor) : NULL;
	pthread_mutex_unlock(&w->mu);
	return FL_SINK_OK;
}

static int
w_mark_seeded(struct fl_sink *s, const char *index,
              const struct fl_source_identity *id, struct fl_err *err)
{
	struct world *w = w_of(s);
	int ix = w_ix(w, index), k, one = 0;
	struct w_index *x = &w->ix[ix];
	long missing = 0;

	(void)id;
	(void)err;
	pthread_mutex_lock(&w->mu);
	/* an alias moves only to a generation holding every row (but
	 * those the sink refused once: a quarantined document stays out
	 * until its row changes and the change is built) */
	for (k = 1; k <= w->nkeys; k++)
		if (x->docs[x->active][k] < 0 && !w->rejected[ix][k]) {
			missing++;
			one = k;
		}
	if (missing)
		w_violation(w,
		            "%s marked seeded with %ld of %d documents missing "
		            "from generation %ld (e.g. key %d: version %ld, "
		            "refused version %ld, pending %ld)",
		            index, missing, w->nkeys, x->active, one,
		            w->db[ix][one], w->rejected[ix][one],
		            w->pend[ix][one]);
	x->serving = x->active;
	x->seeded = 1;
	free(x->cursor);
	x->cursor = NULL;
	pthread_mutex_unlock(&w->mu);
	return FL_SINK_OK;
}

static int
w_stage(struct fl_sink *s, const char *index, long *gen, struct fl_err *err)
{
	struct world *w = w_of(s);
	struct w_index *x = &w->ix[w_ix(w, index)];

	pthread_mutex_lock(&w->mu);
	if (w->fail_stage) {
		pthread_mutex_unlock(&w->mu);
		fl_err_set(err, FL_ERR_SINK,
		           "creating generation: 403 forbidden (fake)");
		return FL_SINK_PERMANENT;
	}
	if (x->active == x->serving) {
		if (x->maxgen >= WORLD_MAXGEN) {
			pthread_mutex_unlock(&w->mu);
			fl_err_set(err, FL_ERR_SINK, "too many generations");
			return FL_SINK_PERMANENT;
		}
		x->active = x->maxgen + 1;
		w_new_gen(w, x, x->active);
	}
	x->seeded = 0;
	free(x->cursor); /* like meta: the new generation seeds from the
	                  * first key */
	x->cursor = NULL;
	*gen = x->active;
	pthread_mutex_unlock(&w->mu);
	return FL_SINK_OK;
}

static int
w_gc(struct fl_sink *s, const char *index, int *deleted, struct fl_err *err)
{
	struct world *w = w_of(s);
	size_t n;
	int fail;

	*deleted = 0;
	pthread_mutex_lock(&w->mu);
	while (w->gate_gc && !w->gate_open)
		pthread_cond_wait(&w->cv, &w->mu);
	n = strlen(w->gc_order);
	snprintf(w->gc_order + n, sizeof(w->gc_order) - n, "%s%s", n ? "," : "",
	         index);
	fail = w->fail_gc;
	pthread_mutex_unlock(&w->mu);
	if (fail) {
		fl_err_set(err, FL_ERR_SINK,
		           "deleting generations: 403 "
		           "security_exception: no permissions (fake)");
		return FL_SINK_PERMANENT;
	}
	return FL_SINK_OK;
}

static int
w_hold_load(struct fl_sink *s, const char *index, struct fl_sink_hold *out,
            struct fl_err *err)
{
	struct world *w = w_of(s);

	(void)err;
	pthread_mutex_lock(&w->mu);
	*out = w->hold[w_ix(w, index)];
	pthread_mutex_unlock(&w->mu);
	return FL_SINK_OK;
}

static int
w_hold_save(struct fl_sink *s, const char *index, const struct fl_sink_hold *h,
            struct fl_err *err)
{
	struct world *w = w_of(s);

	(void)err;
	pthread_mutex_lock(&w->mu);
	w->hold[w_ix(w, index)] = *h;
	pthread_mutex_unlock(&w->mu);
	return FL_SINK_OK;
}

static int
w_pending_page(struct fl_sink *s, const char *index, const char *after,
               size_t max, struct fl_pending_page *out, struct fl_err *err)
{
	struct world *w = w_of(s);
	int ix = w_ix(w, index), k;
	char **keys;
	size_t n = 0, i, cap = 0;

	(void)err;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&w->mu);
	keys = fl_xcalloc((size_t)w->nkeys + 1, sizeof(char *));
	for (k = 1; k <= w->nkeys; k++)
		if (w->pend[ix][k])
			keys[n++] = fl_xasprintf("%d", k);
	/* byte order of the key text, like the real pending set */
	for (i = 1; i < n; i++) {
		char *t = keys[i];
		size_t j = i;

		while (j > 0 && strcmp(keys[j - 1], t) > 0) {
			keys[j] = keys[j - 1];
			j--;
		}
		keys[j] = t;
	}
	for (i = 0; i < n; i++) {
		if ((!after || strcmp(keys[i], after) > 0) && out->n < max) {
			out->v =
			    fl_xgrow(out->v, &cap, out->n + 1, sizeof(*out->v));
			out->v[out->n].key = keys[i];
			out->v[out->n].seq_no =
			    w->pend[ix][strtol(keys[i], NULL, 10)];
			out->v[out->n].primary_term = 1;
			out->n++;
			keys[i] = NULL;
		}
		free(keys[i]);
	}
	free(keys);
	pthread_mutex_unlock(&w->mu);
	return FL_SINK_OK;
}

static int
w_pending_remove(struct fl_sink *s, const char *index,
                 const struct fl_pending_id *v, size_t n, struct fl_err *err)
{
	struct world *w = w_of(s);
	int ix = w_ix(w, index);
	size_t i;

	(void)err;
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < n; i++) {
		long k = strtol(v[i].key, NULL, 10);

		if (k >= 1 && k <= w->nkeys && w->pend[ix][k] == v[i].seq_no)
			w->pend[ix][k] = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return FL_SINK_OK;
}

static int
w_pending_count(struct fl_sink *s, const char *index, long long *n,
                struct fl_err *err)
{
	(void)err;
	*n = world_pending(w_of(s), w_ix(w_of(s), index));
	return FL_SINK_OK;
}

static void
w_set_abort(struct fl_sink *s, const atomic_int *flag)
{
	struct world *w = w_of(s);

	pthread_mutex_lock(&w->mu);
	w->abort = flag;
	pthread_mutex_unlock(&w->mu);
}

/* ---- the sink: writers ---------------------------------------------------------- */

enum w_op_kind { W_UPSERT, W_DEL, W_PEND };

struct w_op {
	enum w_op_kind kind;
	int ix, key, seeding;
	long ver;
};

struct w_writer {
	struct fl_sink_writer base;
	struct world *w;
	struct w_op *ops;
	size_t n, cap;
};

static void
w_buffer(struct fl_sink_writer *base, enum w_op_kind kind, const char *index,
         const char *id, long ver, int seeding)
{
	struct w_writer *wr = (struct w_writer *)base;
	struct w_op *o;

	wr->ops = fl_xgrow(wr->ops, &wr->cap, wr->n + 1, sizeof(*wr->ops));
	o = &wr->ops[wr->n++];
	o->kind = kind;
	o->ix = w_ix(wr->w, index);
	o->key = (int)strtol(id, NULL, 10);
	o->ver = ver;
	o->seeding = seeding;
}

static void
w_upsert(struct fl_sink_writer *base, const char *index, const char *id,
         const char *doc, size_t len, int seeding)
{
	long ver = -1;

	(void)len;
	sscanf(doc, "{\"v\":%ld}", &ver);
	w_buffer(base, W_UPSERT, index, id, ver, seeding);
}

static void
w_del(struct fl_sink_writer *base, const char *index, const char *id,
      int seeding)
{
	w_buffer(base, W_DEL, index, id, -1, seeding);
}

static void
w_pend(struct fl_sink_writer *base, const char *index, const char *id)
{
	w_buffer(base, W_PEND, index, id, 0, 0);
}

/* Apply one buffered op (lock held). */
static void
w_apply(struct world *w, const struct w_op *o)
{
	struct w_index *x = &w->ix[o->ix];

	if (o->kind == W_PEND) {
		w->pend[o->ix][o->key] = ++w->pseq;
		return;
	}
	if (!x->created)
		return; /* no such index: nothing lands */
	if (!o->seeding && x->serving)
		x->docs[x->serving][o->key] = o->ver;
	if (x->active != x->serving || o->seeding)
		x->docs[x->active][o->key] = o->ver;
	w->docs_written++;
}

static void
w_reject(struct fl_sink_report *rep, struct world *w, const struct w_op *o)
{
	struct fl_sink_rejection *r;

	if (o->ver > w->rejected[o->ix][o->key])
		w->rejected[o->ix][o->key] = o->ver;
	rep->v = fl_xrealloc(rep->v, (rep->n + 1) * sizeof(*rep->v));
	r = &rep->v[rep->n++];
	r->index = fl_xstrdup(w->names[o->ix]);
	r->id = fl_xasprintf("%d", o->key);
	r->status = 400;
	r->reason = fl_xstrdup("mapper_parsing_exception: failed to parse "
	                       "field [v] (fake)");
}

/* A hanging flush: wait until the sink is aborted (lock held). */
static int
w_hang(struct world *w, struct fl_err *err)
{
	w->hanging++;
	while (!(w->abort && atomic_load(w->abort))) {
		struct timespec dl;

		fl_clock_deadline(&dl, CLOCK_REALTIME, 20);
		pthread_cond_timedwait(&w->cv, &w->mu, &dl);
	}
	w->hanging--;
	fl_err_set(err, FL_ERR_CANCELLED, "request cancelled: shutting down");
	return FL_SINK_TRANSIENT;
}

static int
w_flush(struct fl_sink_writer *base, int caught_up, struct fl_sink_report *rep,
        struct fl_err *err)
{
	struct w_writer *wr = (struct w_writer *)base;
	struct world *w = wr->w;
	unsigned roll;
	size_t i;
	int rc = FL_SINK_OK;

	(void)caught_up;
	pthread_mutex_lock(&w->mu);
	if (w->fs.delay_ms > 0) {
		int ms = w->fs.delay_ms;

		pthread_mutex_unlock(&w->mu);
		poll(NULL, 0, ms);
		pthread_mutex_lock(&w->mu);
	}
	roll = w_rand(w) % 1000;
	if (roll < (unsigned)w->fs.hang) {
		rc = w_hang(w, err);
	} else if (roll < (unsigned)(w->fs.hang + w->fs.transient)) {
		for (i = 0; i < wr->n; i++)
			if (w_rand(w) % 2)
				w_apply(w, &wr->ops[i]);
		rc = FL_SINK_TRANSIENT;
		fl_err_set(err, FL_ERR_SINK, "503 service unavailable (fake)");
	} else if (roll <
	           (unsigned)(w->fs.hang + w->fs.transient + w->fs.unknown)) {
		for (i = 0; i < wr->n; i++)
			w_apply(w, &wr->ops[i]);
		rc = FL_SINK_TRANSIENT;
		fl_err_set(
		    err, FL_ERR_SINK,
		    "bulk answer without errors (unknown outcome, fake)");
	} else {
		for (i = 0; i < wr->n; i++) {
			const struct w_op *o = &wr->ops[i];

			if (o->kind == W_UPSERT && w->poison[o->ix][o->key])
				w_reject(rep, w, o);
			else
				w_apply(w, o);
		}
	}
	wr->n = 0;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static void
w_writer_free(struct fl_sink_writer *base)
{
	struct w_writer *wr = (struct w_writer *)base;

	if (!wr)
		return;
	free(wr->ops);
	free(wr);
}

static const struct fl_sink_writer_ops w_writer_ops = {
	.upsert = w_upsert,
	.del = w_del,
	.flush = w_flush,
	.free = w_writer_free,
	.pend = w_pend,
};

static struct fl_sink_writer *
w_writer_new(struct fl_sink *s)
{
	struct w_writer *wr = fl_xcalloc(1, sizeof(*wr));

	wr->base.ops = &w_writer_ops;
	wr->base.sink = s;
	wr->w = w_of(s);
	return &wr->base;
}

static void
w_sink_free(struct fl_sink *s)
{
	struct world *w = w_of(s);

	pthread_mutex_lock(&w->mu);
	w->abort = NULL;
	pthread_mutex_unlock(&w->mu);
	free(s->name);
	free(s);
}

static const struct fl_sink_ops w_sink_ops = {
	.ensure_index = w_ensure,
	.save_cursor = w_save_cursor,
	.mark_seeded = w_mark_seeded,
	.stage_rebuild = w_stage,
	.gc = w_gc,
	.writer_new = w_writer_new,
	.free = w_sink_free,
	.hold_load = w_hold_load,
	.hold_save = w_hold_save,
	.pending_page = w_pending_page,
	.pending_remove = w_pending_remove,
	.pending_count = w_pending_count,
	.set_abort = w_set_abort,
};

static struct fl_sink *
w_sink_new(void *ctx, const struct fl_config *cfg, int pretty,
           struct fl_err *err)
{
	struct w_sink *s = fl_xcalloc(1, sizeof(*s));

	(void)cfg;
	(void)pretty;
	(void)err;
	s->base.ops = &w_sink_ops;
	s->base.name = fl_xstrdup("search");
	s->base.type = "opensearch";
	s->w = ctx;
	return &s->base;
}

/* ---- construction and observations ---------------------------------------------- */

struct world *
world_new(const char *const *names, int nkeys)
{
	struct world *w = fl_xcalloc(1, sizeof(*w));
	int i, k;

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->nkeys = nkeys;
	w->rng = 12345;
	w->lsn = 0x1000;
	w->slot_lsn = w->lsn;
	for (i = 0; i < WORLD_NIX; i++) {
		w->names[i] = names[i];
		w->db[i] = fl_xcalloc((size_t)nkeys + 1, sizeof(long));
		w->pend[i] = fl_xcalloc((size_t)nkeys + 1, sizeof(long));
		w->poison[i] = fl_xcalloc((size_t)nkeys + 1, 1);
		w->rejected[i] = fl_xcalloc((size_t)nkeys + 1, sizeof(long));
		for (k = 1; k <= nkeys; k++)
			w->db[i][k] = ++w->gver;
	}
	w->be.ctx = w;
	w->be.session_open = w_session_open;
	w->be.session_ok = w_session_ok;
	w->be.session_close = w_session_close;
	w->be.prepare = w_prepare;
	w->be.track_load = w_track_load;
	w->be.sink_new = w_sink_new;
	w->be.capture_new = w_capture_new;
	w->be.capture_start = w_capture_start;
	w->be.capture_stop = w_capture_stop;
	w->be.capture_free = w_capture_free;
	w->be.capture_confirm = w_capture_confirm;
	w->be.capture_restart = w_capture_restart;
	w->be.capture_epoch = w_capture_epoch;
	w->be.capture_status = w_capture_status;
	w->be.resolver_new = w_resolver_new;
	w->be.resolver_free = w_nothing;
	w->be.resolver_prepare = w_prepare_ok;
	w->be.resolve = w_resolve;
	w->be.resolver_untracked = w_untracked;
	w->be.resolve_truncate = w_truncate;
	w->be.builder_new = w_builder_new;
	w->be.builder_free = w_nothing;
	w->be.builder_prepare = w_prepare_ok;
	w->be.build = w_build;
	w->be.key_page = w_key_page;
	w->be.estimate = w_estimate;
	w->be.drift_check = w_drift_check;
	return w;
}

void
world_free(struct world *w)
{
	int i;
	long g;

	if (!w)
		return;
	for (i = 0; i < WORLD_NIX; i++) {
		free(w->db[i]);
		free(w->pend[i]);
		free(w->poison[i]);
		free(w->rejected[i]);
		free(w->ix[i].cursor);
		for (g = 0; g <= WORLD_MAXGEN; g++)
			free(w->ix[i].docs[g]);
	}
	free(w->log);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

const struct fl_engine_backend *
world_backend(struct world *w)
{
	return &w->be;
}

#define W_SET(fn, field)                        \
	void fn(struct world *w, int on)        \
	{                                       \
		pthread_mutex_lock(&w->mu);     \
		w->field = on;                  \
		pthread_cond_broadcast(&w->cv); \
		pthread_mutex_unlock(&w->mu);   \
	}

W_SET(world_fail_gc, fail_gc)
W_SET(world_fail_stage, fail_stage)
W_SET(world_gate_gc, gate_gc)
W_SET(world_fail_capture, fail_capture)

void
world_gate_open(struct world *w)
{
	pthread_mutex_lock(&w->mu);
	w->gate_open = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
world_fail_ensure(struct world *w, int ix, int on)
{
	pthread_mutex_lock(&w->mu);
	w->fail_ensure[ix] = on;
	pthread_mutex_unlock(&w->mu);
}

void
world_set_flush(struct world *w, const struct world_flush_script *s)
{
	pthread_mutex_lock(&w->mu);
	w->fs = *s;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
world_poison(struct world *w, int ix, int key, int on)
{
	pthread_mutex_lock(&w->mu);
	w->poison[ix][key] = (unsigned char)on;
	pthread_mutex_unlock(&w->mu);
}

void
world_break_index(struct world *w, int ix, int on)
{
	pthread_mutex_lock(&w->mu);
	w->broken[ix] = on;
	pthread_mutex_unlock(&w->mu);
}

void
world_unsynced(struct world *w, int ix, int on)
{
	pthread_mutex_lock(&w->mu);
	w->unsynced[ix] = on;
	pthread_mutex_unlock(&w->mu);
}

void
world_lose_ids(struct world *w, int ix, int on)
{
	pthread_mutex_lock(&w->mu);
	w->lose_ids[ix] = on;
	pthread_mutex_unlock(&w->mu);
}

void
world_transient_builds(struct world *w, int n, int lose)
{
	pthread_mutex_lock(&w->mu);
	w->transient_builds = n;
	w->transient_lose = lose;
	pthread_mutex_unlock(&w->mu);
}

long
world_violations(struct world *w, char *first, size_t n)
{
	long v;

	pthread_mutex_lock(&w->mu);
	v = w->violations;
	if (first)
		fl_str_copy(first, n, w->first);
	pthread_mutex_unlock(&w->mu);
	return v;
}

long
world_capture_restarts(struct world *w)
{
	long v;

	pthread_mutex_lock(&w->mu);
	v = w->restarts;
	pthread_mutex_unlock(&w->mu);
	return v;
}

long
world_pending(struct world *w, int ix)
{
	long n = 0;
	int k;

	pthread_mutex_lock(&w->mu);
	for (k = 1; k <= w->nkeys; k++)
		n += w->pend[ix][k] != 0;
	pthread_mutex_unlock(&w->mu);
	return n;
}

int
world_hold(struct world *w, int ix)
{
	int h;

	pthread_mutex_lock(&w->mu);
	h = (int)w->hold[ix].state;
	pthread_mutex_unlock(&w->mu);
	return h;
}

int
world_seeded(struct world *w, int ix)
{
	int s;

	pthread_mutex_lock(&w->mu);
	s = w->ix[ix].seeded;
	pthread_mutex_unlock(&w->mu);
	return s;
}

long
world_generation(struct world *w, int ix)
{
	long g;

	pthread_mutex_lock(&w->mu);
	g = w->ix[ix].serving;
	pthread_mutex_unlock(&w->mu);
	return g;
}

long
world_diff(struct world *w, int ix, char *first, size_t n)
{
	const struct w_index *x = &w->ix[ix];
	long bad = 0;
	int k;

	pthread_mutex_lock(&w->mu);
	for (k = 1; k <= w->nkeys; k++) {
		long have =
		    x->created && x->serving ? x->docs[x->serving][k] : -1;

		if (have == w->db[ix][k])
			continue;
		if (bad++ == 0 && first)
			snprintf(first, n,
			         "%s/%d: version %ld stored in generation %ld, "
			         "%ld in the database",
			         w->names[ix], k, have, x->serving,
			         w->db[ix][k]);
	}
	pthread_mutex_unlock(&w->mu);
	return bad;
}

void
world_gc_order(struct world *w, char *out, size_t n)
{
	pthread_mutex_lock(&w->mu);
	fl_str_copy(out, n, w->gc_order);
	pthread_mutex_unlock(&w->mu);
}

long
world_docs_written(struct world *w)
{
	long n;

	pthread_mutex_lock(&w->mu);
	n = w->docs_written;
	pthread_mutex_unlock(&w->mu);
	return n;
}

int
world_hanging(struct world *w)
{
	int n;

	pthread_mutex_lock(&w->mu);
	n = w->hanging;
	pthread_mutex_unlock(&w->mu);
	return n;
}
