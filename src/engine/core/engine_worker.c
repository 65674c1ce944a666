/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_worker.c - a worker: the only writer of the documents it owns.
 *
 * Loop (engine-sink.md §5.5, per worker): take a live batch (up to
 * batch_max_changes changes, the window starting after the first), commit
 * it; then, if seeding work (seeding keys, drained pending ids) is
 * waiting, one such batch (up to 512 keys); when there is no live work,
 * those batches back to back.
 *
 * Commit (§5.7): dedup ids (index, key text); for each index that is not
 * held, build its documents in PostgreSQL and write them; for each held
 * index (paused or stopped, engine_hold.c), write its ids to the pending
 * set instead; flush; apply the failure policy to rejections (skip:
 * quarantine; stop: that index stops, its rejected ids become pending);
 * and only then release the items - which confirms a change once all of
 * its items are durable.
 * A permanent build error stops that index alone (its ids become
 * pending). Transient failures keep the batch and retry with capped
 * backoff: a PostgreSQL one on this worker's session (a new session when
 * it was lost), an OpenSearch one at the sink. Nothing is confirmed until
 * a flush succeeds; never after a cancelled flush (abort_now).
 *
 * At trace level each attempt writes one "batched" record per index it
 * touches: the worker's batch number, its ids and the commit LSNs of the
 * changes they came from (log.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine_int.h"
#include "source/pgoutput.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmem.h"

/* A deduplicated id of the batch. */
struct wk_id {
	int ix;
	const char *key;
	int live;   /* some item for it is live or drained: every target */
	int forced; /* some item for it is drained or repaired: always sent */
};

struct wk_batch {
	struct eng_item **items;
	size_t n, cap;
	struct wk_id *ids;
	size_t nids;
	size_t *slots; /* open addressing over ids, 0 = empty */
	size_t nslots;
};

/* What one commit attempt did. */
struct wk_try {
	uint64_t *ix_docs; /* documents written per index */
	int *held;         /* enum fl_hold per index, read at the start */
	size_t npended;    /* ids written to pending sets */
	struct fl_err err;
};

static uint64_t
wk_hash(int ix, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)ix;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3ULL;
	return h;
}

/* Add an id unless present; a live or drained item makes the id live. */
static void
wk_dedup_add(struct wk_batch *b, const struct eng_item *it)
{
	size_t mask = b->nslots - 1;
	size_t i = (size_t)wk_hash(it->ix, it->key) & mask;
	int live = it->kind != ENG_ITEM_SEED;
	int forced = it->kind == ENG_ITEM_DRAIN;

	for (;; i = (i + 1) & mask) {
		size_t s = b->slots[i];
		struct wk_id *id;

		if (s == 0) {
			id = &b->ids[b->nids++];
			id->ix = it->ix;
			id->key = it->key;
			id->live = live;
			id->forced = forced;
			b->slots[i] = b->nids;
			return;
		}
		id = &b->ids[s - 1];
		if (id->ix == it->ix && strcmp(id->key, it->key) == 0) {
			id->live |= live;
			id->forced |= forced;
			return;
		}
	}
}

static void
wk_dedup(struct wk_batch *b)
{
	size_t want = 16, i;

	while (want < b->n * 2)
		want *= 2;
	if (want > b->nslots) {
		free(b->slots);
		b->slots = fl_xcalloc(want, sizeof(*b->slots));
		b->nslots = want;
	} else {
		memset(b->slots, 0, b->nslots * sizeof(*b->slots));
	}
	b->ids = fl_xrealloc(b->ids, (b->n ? b->n : 1) * sizeof(*b->ids));
	b->nids = 0;
	for (i = 0; i < b->n; i++)
		wk_dedup_add(b, b->items[i]);
}

/* How the document of (ix, key) is written: 1 seeding, 0 live, or
 * FL_SINK_WRITE_FORCED (drained or repaired: sent even when the sink
 * remembers storing it). Documents come back in any order. */
static int
wk_write_mode(const struct wk_batch *b, int ix, const char *key)
{
	size_t mask = b->nslots - 1;
	size_t i = (size_t)wk_hash(ix, key) & mask;

	for (;; i = (i + 1) & mask) {
		size_t s = b->slots[i];

		if (s == 0)
			return 0;
		if (b->ids[s - 1].ix == ix && !strcmp(b->ids[s - 1].key, key))
			return !b->ids[s - 1].live    ? 1
			       : b->ids[s - 1].forced ? FL_SINK_WRITE_FORCED
			                              : 0;
	}
}

/* ---- session ----------------------------------------------------------- */

/* A session with the document statements prepared; 0, or -1 when
 * stopping or after a permanent failure (then the pipeline fails: the
 * statements of every index are prepared together). */
static int
wk_connect(struct eng_worker *w)
{
	struct fl_engine *e = w->e;
	struct fl_backoff b = FL_BACKOFF_INIT;
	char app[32];

	snprintf(app, sizeof(app), "flusso-worker-%d", w->no);
	while (!atomic_load(&e->stop)) {
		struct fl_err err;

		unsigned epoch = atomic_load(&e->schema_epoch);

		if (!w->conn && !(w->conn = eng_connect(e, app)))
			return -1;
		if (e->be->builder_prepare(w->db, w->conn, &err) == 0) {
			w->schema_epoch = epoch;
			return 0;
		}
		e->be->session_close(w->conn);
		w->conn = NULL;
		if (err.code != FL_ERR_PG) {
			eng_fatal(e, "preparing document SQL: %s", err.msg);
			return -1;
		}
		eng_waiting(e, "postgres", err.msg);
		if (eng_retry_wait(e, &b))
			break;
	}
	return -1;
}

/* ---- commit ---------------------------------------------------------------- */

/* The ids of index ix in the batch (borrowed keys); caller frees. */
static const char **
wk_keys(const struct wk_batch *b, int ix, size_t *n)
{
	const char **keys =
	    fl_xmalloc((b->nids ? b->nids : 1) * sizeof(char *));
	size_t i, k = 0;

	for (i = 0; i < b->nids; i++)
		if (b->ids[i].ix == ix)
			keys[k++] = b->ids[i].key;
	*n = k;
	return keys;
}

/* Write the ids of a held index to its pending set. */
static void
wk_pend_index(struct eng_worker *w, const struct wk_batch *b, int ix,
              struct wk_try *t)
{
	const char *name = w->e->ix[ix].cfg->name;
	size_t i;

	for (i = 0; i < b->nids; i++)
		if (b->ids[i].ix == ix) {
			w->writer->ops->pend(w->writer, name, b->ids[i].key);
			t->npended++;
		}
}

/* Build and write the documents of one index: 0; -1 transient (retry
 * the batch); 1 when the index was stopped by a permanent build error
 * (its ids are pended instead). */
static int
wk_build_index(struct eng_worker *w, struct wk_batch *b, int ix,
               struct fl_docs *docs, struct wk_try *t)
{
	struct fl_engine *e = w->e;
	const char *name = e->ix[ix].cfg->name;
	size_t n, i;
	const char **keys = wk_keys(b, ix, &n);
	int rc;

	fl_docs_reset(docs);
	rc = n ? e->be->build(w->db, w->conn, name, keys, n, docs, &t->err) : 0;
	free(keys);
	if (rc < 0 &&
	    (t->err.code == FL_ERR_PG || t->err.code == FL_ERR_CANCELLED))
		return -1;
	if (rc < 0 && !e->can_hold)
		return fl_err_prefix(&t->err, "building documents of %s", name);
	if (rc < 0) {
		char why[640];

		snprintf(why, sizeof(why), "building documents: %s",
		         t->err.msg);
		eng_index_broken(e, ix, w->conn, why, t->err.sqlstate);
		wk_pend_index(w, b, ix, t);
		fl_err_clear(&t->err);
		return 1;
	}
	for (i = 0; i < docs->n; i++) {
		const struct fl_doc *d = &docs->v[i];
		int seeding = wk_write_mode(b, ix, d->id);

		if (d->tombstone)
			w->writer->ops->del(w->writer, name, d->id, seeding);
		else
			w->writer->ops->upsert(w->writer, name, d->id, d->json,
			                       d->len, seeding);
	}
	t->ix_docs[ix] = docs->n;
	return 0;
}

/* Drop what was buffered (the retry rebuilds everything). */
static void
wk_discard(struct eng_worker *w)
{
	struct fl_sink_report junk = { NULL, 0 };
	struct fl_err e2;

	w->writer->ops->flush(w->writer, 0, &junk, &e2);
	fl_sink_report_done(&junk);
}

/* Trace: the ids of index ix this attempt builds (or pends, `held`),
 * with the commit positions of the changes they came from. */
static void
wk_trace_batch(const struct eng_worker *w, const struct wk_batch *b, int ix,
               int held)
{
	const char *name = w->e->ix[ix].cfg->name;
	char ids[512], lsns[256], one[32];
	fl_lsn seen[8];
	size_t i, k, nids = 0, nseen = 0, nseed = 0, ndrain = 0, len = 0;
	size_t llen = 0;
	int more = 0, cut = 0;

	if (!fl_log_trace_wants(name, NULL))
		return;
	ids[0] = lsns[0] = '\0';
	for (i = 0; i < b->nids; i++) {
		int wr;

		if (b->ids[i].ix != ix)
			continue;
		nids++;
		if (cut)
			continue;
		wr = snprintf(ids + len, sizeof(ids) - 8 - len, "%s%s",
		              len ? "," : "", b->ids[i].key);
		if (wr < 0 || (size_t)wr >= sizeof(ids) - 8 - len) {
			snprintf(ids + len, sizeof(ids) - len, ",...");
			cut = 1;
		} else {
			len += (size_t)wr;
		}
	}
	if (nids == 0)
		return;
	for (i = 0; i < b->n; i++) {
		const struct eng_item *it = b->items[i];

		if (it->ix != ix)
			continue;
		if (!it->pc) { /* a drained pending id or a repair: no LSN */
			if (it->kind == ENG_ITEM_SEED)
				nseed++;
			else
				ndrain++;
			continue;
		}
		for (k = 0; k < nseen && seen[k] != it->pc->ch->commit_lsn; k++)
			;
		if (k < nseen)
			continue;
		if (nseen == FL_ARRAY_LEN(seen)) {
			more = 1;
			continue;
		}
		seen[nseen++] = it->pc->ch->commit_lsn;
		fl_lsn_format(it->pc->ch->commit_lsn, one, sizeof(one));
		llen += (size_t)snprintf(lsns + llen, sizeof(lsns) - llen,
		                         "%s%s", llen ? "," : "", one);
	}
	fl_log_trace("worker",
	             "batched index=%s batch=w%d.%llu ids=%zu lsn=%s%s%s%s%s "
	             "id=%s",
	             name, w->no, (unsigned long long)w->commits + 1, nids,
	             nseen ? lsns : "none", more ? ",..." : "",
	             nseed ? " seeding" : "", ndrain ? " drained/repaired" : "",
	             held ? " held" : "", ids);
}

/* One attempt: build or pend, write, flush. FL_SINK_*, or -3 for a
 * transient PostgreSQL error. */
static int
wk_attempt(struct eng_worker *w, struct wk_batch *b, int caught_up,
           struct wk_try *t, struct fl_sink_report *rep)
{
	struct fl_engine *e = w->e;
	struct fl_docs docs;
	size_t i;
	int rc = 0;

	t->npended = 0;
	for (i = 0; i < e->nix; i++) {
		t->ix_docs[i] = 0;
		t->held[i] = atomic_load(&e->ix[i].hold);
	}
	if (w->conn && w->schema_epoch != atomic_load(&e->schema_epoch)) {
		/* a table's definition changed, or an index was released:
		 * derive the statements again (a new session if that fails) */
		unsigned epoch = atomic_load(&e->schema_epoch);

		if (e->be->builder_prepare(w->db, w->conn, &t->err) == 0) {
			w->schema_epoch = epoch;
		} else {
			e->be->session_close(w->conn);
			w->conn = NULL;
		}
	}
	if (!w->conn && wk_connect(w) < 0)
		return FL_SINK_PERMANENT;
	eng_failpoint(e, "worker.attempt");
	if (b->nids && e->be->wal_position && w->writer->ops->set_version) {
		uint64_t v;

		if (e->be->wal_position(w->conn, &v, &t->err) < 0)
			return t->err.code == FL_ERR_PG ? -3
			                                : FL_SINK_PERMANENT;
		w->writer->ops->set_version(w->writer, v);
	}
	fl_docs_init(&docs);
	for (i = 0; i < e->nix && rc >= 0; i++) {
		if (fl_log_enabled(FL_LOG_TRACE))
			wk_trace_batch(w, b, (int)i,
			               t->held[i] != FL_HOLD_NONE &&
			                   e->can_hold);
		if (t->held[i] != FL_HOLD_NONE && e->can_hold)
			wk_pend_index(w, b, (int)i, t);
		else
			rc = wk_build_index(w, b, (int)i, &docs, t);
	}
	fl_docs_done(&docs);
	if (rc < 0) {
		wk_discard(w);
		return t->err.code == FL_ERR_PG ? -3 : FL_SINK_PERMANENT;
	}
	if (!eng_fence_ok(e)) { /* not (or no longer surely) active */
		wk_discard(w);
		fl_err_set(&t->err, FL_ERR_CANCELLED,
		           "not the active instance");
		return FL_SINK_TRANSIENT;
	}
	return w->writer->ops->flush(w->writer, caught_up, rep, &t->err);
}

/* Flush pending ids alone (rejected documents of a stopping index),
 * waiting out transient failures: 0, or -1 (stopping, or failed). */
static int
wk_flush_pended(struct eng_worker *w)
{
	struct fl_engine *e = w->e;
	struct fl_backoff b = FL_BACKOFF_INIT;

	while (!atomic_load(&e->abort_now)) {
		struct fl_sink_report rep = { NULL, 0 };
		struct fl_err err;
		int rc = w->writer->ops->flush(w->writer, 0, &rep, &err);

		fl_sink_report_done(&rep);
		if (rc == FL_SINK_OK)
			return 0;
		if (rc == FL_SINK_PERMANENT) {
			eng_fatal(e, "recording pending ids: %s", err.msg);
			return -1;
		}
		if (eng_retry_wait(e, &b))
			return -1;
	}
	return -1;
}

/* Apply the failure policy: skip quarantines; stop stops that index and
 * makes its rejected ids pending. 0, or -1 (nothing may be confirmed). */
static int
wk_policy(struct eng_worker *w, const struct fl_sink_report *rep)
{
	struct fl_engine *e = w->e;
	size_t i, npend = 0;

	for (i = 0; i < rep->n; i++) {
		const struct fl_sink_rejection *r = &rep->v[i];
		int ix = eng_index_no(e, r->index);

		if (ix >= 0 && atomic_load(&e->ix[ix].policy_skip)) {
			fl_log_warn("engine",
			            "document rejected by sink; quarantining "
			            "and continuing: %s/%s: %s",
			            r->index, r->id, r->reason);
			fl_board_quarantine(e->board, r->index, r->id,
			                    r->reason);
			continue;
		}
		if (ix < 0 || !e->can_hold || !w->writer->ops->pend) {
			eng_fatal(e,
			          "sink rejected %s/%s: %s; stopping. set "
			          "on_error: skip to quarantine rejected "
			          "documents and continue",
			          r->index, r->id, r->reason);
			return -1;
		}
		if (atomic_load(&e->ix[ix].hold) == FL_HOLD_NONE) {
			char why[640];

			snprintf(why, sizeof(why),
			         "the sink rejected document %s: %s", r->id,
			         r->reason);
			eng_hold_index(e, ix, FL_HOLD_STOPPED, why);
		}
		w->writer->ops->pend(w->writer, r->index, r->id);
		npend++;
	}
	return npend ? wk_flush_pended(w) : 0;
}

static void
wk_set_busy(struct eng_worker *w, int busy)
{
	struct fl_engine *e = w->e;

	pthread_mutex_lock(&e->mu);
	if (busy) /* paused or held: no new commit starts */
		while ((e->hold > 0 || atomic_load(&e->paused)) &&
		       !atomic_load(&e->stop))
			pthread_cond_wait(&e->cv, &e->mu);
	if (!busy && w->busy)
		w->commits++;
	w->busy = busy;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

static void
wk_report_batch(struct eng_worker *w, const uint64_t *ix_docs, int64_t flush_us)
{
	struct fl_engine *e = w->e;
	const char *names[FL_MAX_INDEXES];
	uint64_t docs = 0;
	size_t i, n = 0;

	for (i = 0; i < e->nix && n < FL_MAX_INDEXES; i++) {
		names[n] = e->ix[i].cfg->name;
		docs += ix_docs[i];
		n++;
	}
	fl_board_batch(e->board, 0, docs, names, ix_docs, n, flush_us);
	if (w->writer->ops->skipped) {
		uint64_t skipped[FL_MAX_INDEXES];

		for (i = 0; i < n; i++)
			skipped[i] =
			    w->writer->ops->skipped(w->writer, names[i]);
		fl_board_skipped(e->board, names, skipped, n);
	}
}

/* At debug level, one line per commit attempt: size, outcome, time, and
 * the age of its oldest change (commit time to now): where latency goes. */
static void
wk_debug_commit(const struct eng_worker *w, const struct wk_batch *b,
                int seeding, int caught_up, int rc, int64_t t0, size_t npended)
{
	int64_t oldest = INT64_MAX, now_us;
	size_t k;

	if (fl_log_get_level() > FL_LOG_DEBUG)
		return;
	/* commit_time counts from 2000-01-01 UTC */
	now_us = fl_wall_us() - (int64_t)946684800 * 1000000;
	for (k = 0; k < b->n; k++)
		if (b->items[k]->pc &&
		    b->items[k]->pc->ch->commit_time < oldest)
			oldest = b->items[k]->pc->ch->commit_time;
	fl_log_debug(
	    "worker",
	    "worker %d: %s batch of %zu items (%zu documents, %zu pending "
	    "ids), caught up %d: %s in %lld ms; oldest change %lld ms old",
	    w->no, seeding ? "seeding" : "live", b->n, b->nids, npended,
	    caught_up, rc == FL_SINK_OK ? "flushed" : "failed",
	    (long long)(fl_mono_ms() - t0),
	    oldest == INT64_MAX ? -1LL : (long long)((now_us - oldest) / 1000));
}

/* Make a batch durable, waiting out transient failures. 0 done, -1 not
 * (stopping or a permanent error): the items stay unconfirmed. */
static int
wk_commit(struct eng_worker *w, struct wk_batch *b, int seeding)
{
	struct fl_engine *e = w->e;
	size_t nix = e->nix ? e->nix : 1;
	struct wk_try t;
	struct fl_backoff bo = FL_BACKOFF_INIT;
	int ok = -1, stopping_tries = 0;

	t.ix_docs = fl_xcalloc(nix, sizeof(uint64_t));
	t.held = fl_xcalloc(nix, sizeof(int));
	wk_dedup(b);
	wk_set_busy(w, 1);
	while (!atomic_load(&e->abort_now) && !atomic_load(&e->failed)) {
		struct fl_sink_report rep = { NULL, 0 };
		int caught_up = !seeding && fl_queue_len(w->live) == 0 &&
		                fl_queue_len(e->capq) == 0;
		int64_t t0 = fl_mono_ms();
		int rc;

		fl_err_clear(&t.err);
		rc = wk_attempt(w, b, caught_up, &t, &rep);
		wk_debug_commit(w, b, seeding, caught_up, rc, t0, t.npended);
		if (rc == FL_SINK_OK) {
			eng_recovered(e, "opensearch");
			if (wk_policy(w, &rep) == 0) {
				wk_report_batch(w, t.ix_docs,
				                (fl_mono_ms() - t0) * 1000);
				ok = 0;
			}
			fl_sink_report_done(&rep);
			break;
		}
		fl_sink_report_done(&rep);
		if (rc == FL_SINK_PERMANENT) {
			if (!atomic_load(&e->stop))
				eng_fatal(e, "%s", t.err.msg);
			break;
		}
		if (rc == -3) {
			fl_log_warn("worker",
			            "worker %d: building documents (will "
			            "retry): %s",
			            w->no, t.err.msg);
			if (!e->be->session_ok(w->conn)) {
				e->be->session_close(w->conn);
				w->conn = NULL;
			}
		} else if (t.err.code != FL_ERR_CANCELLED) {
			eng_waiting(e, "opensearch", t.err.msg);
		}
		if (atomic_load(&e->stop)) {
			/* stopping: one more try at once, then give up (it
			 * will be redelivered) */
			if (stopping_tries++ > 0)
				break;
			continue;
		}
		eng_retry_wait(e, &bo);
	}
	wk_set_busy(w, 0);
	free(t.ix_docs);
	free(t.held);
	return ok;
}

/* ---- batches ------------------------------------------------------------------ */

static void
wk_add(struct wk_batch *b, struct eng_item *it)
{
	b->items = fl_xgrow(b->items, &b->cap, b->n + 1, sizeof(*b->items));
	b->items[b->n++] = it;
}

/* Collect a batch: wait for the first item, then take more until the
 * window after it closes or the batch holds `max` changes. The limit
 * counts changes, not routed ids (§5.5): the router queues a change's
 * ids one after another (old and new values of a moved row name the same
 * root twice, about 2.3 ids per change in the bench's mix), so a run of
 * items with one pending change is one change; a seeding key is one. */
static void
wk_collect(struct fl_queue *q, struct wk_batch *b, size_t max,
           int first_wait_ms, int window_ms)
{
	const struct eng_pending *last = NULL;
	int64_t deadline = 0;
	size_t changes = 0;

	while (changes < max) {
		void *got[64];
		size_t want = max - changes > 64 ? 64 : max - changes;
		int wait = first_wait_ms, k, i;

		if (deadline) {
			int64_t left = deadline - fl_mono_ms();

			wait = left > 0 ? (int)left : 0;
		}
		k = fl_queue_pop_many(q, got, want,
		                      b->n ? wait : first_wait_ms);
		if (k <= 0)
			break;
		for (i = 0; i < k; i++) {
			struct eng_item *it = got[i];

			if (!it->pc || it->pc != last)
				changes++;
			last = it->pc;
			wk_add(b, it);
		}
		if (!deadline)
			deadline = fl_mono_ms() + window_ms;
	}
}

static void
wk_finish(struct wk_batch *b, int done)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (done)
			eng_item_done(b->items[i]);
		else
			eng_item_free(b->items[i]);
	}
	b->n = 0;
}

/* Wait while everything is paused or held (not while stopping). */
static void
wk_wait_paused(struct eng_worker *w)
{
	struct fl_engine *e = w->e;

	pthread_mutex_lock(&e->mu);
	while ((atomic_load(&e->paused) || e->hold > 0) &&
	       !atomic_load(&e->stop)) {
		struct timespec dl;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		pthread_cond_timedwait(&e->cv, &e->mu, &dl);
	}
	pthread_mutex_unlock(&e->mu);
}

void *
eng_worker_main(void *arg)
{
	struct eng_worker *w = arg;
	struct fl_engine *e = w->e;
	size_t max = (size_t)e->o.batch_max_changes;
	struct wk_batch b;

	memset(&b, 0, sizeof(b));
	wk_connect(w);
	while (!atomic_load(&e->stop) && !atomic_load(&e->failed)) {
		int live_work;

		wk_wait_paused(w);
		if (atomic_load(&e->stop))
			break;
		/* seeding work waiting: take only live work already there */
		wk_collect(w->live, &b, max, fl_queue_len(w->seed) ? 0 : 100,
		           (int)e->o.batch_max_delay_ms);
		live_work = b.n > 0;
		if (live_work)
			wk_finish(&b, wk_commit(w, &b, 0) == 0);
		if (atomic_load(&e->stop) || atomic_load(&e->failed))
			break;
		/* one seeding batch after a live batch; back to back when
		 * there is no live work */
		wk_collect(w->seed, &b, ENG_BUILD_MAX, live_work ? 0 : 100, 0);
		if (b.n)
			wk_finish(&b, wk_commit(w, &b, 1) == 0);
	}
	wk_finish(&b, 0);
	free(b.items);
	free(b.ids);
	free(b.slots);
	atomic_store(&w->exited, 1);
	return NULL;
}
