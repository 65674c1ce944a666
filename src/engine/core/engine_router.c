/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_router.c - the router thread: takes captured changes off the
 * capture queue, resolves each to the document ids it affects (resolve.c,
 * on the router's own connection), and hands every id to the worker that
 * owns it (hash of index and key), so one worker writes each document.
 *
 * A change is confirmed when the last item routed from it was flushed
 * (refcount in eng_pending; +1 held while routing so a change with no
 * ids, or whose ids flush fast, is confirmed exactly once, after
 * routing). Changes of an older stream epoch are dropped: the new stream
 * redelivers them. A TRUNCATE stages a rebuild of every affected index
 * before its ack is confirmed (source.md §8). A transient PostgreSQL
 * error while resolving is retried on the router's own connection (a new
 * one when it was lost); the replication stream is not touched.
 *
 * At trace level the router writes a change's "resolved" records (one
 * per id) and its "durable" one (all its documents flushed, its ack
 * confirmed to the watermark); see log.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine_int.h"
#include "util/log.h"
#include "util/xmem.h"

int
eng_owner(const struct fl_engine *e, int ix, const char *key)
{
	const char *name = e->ix[ix].cfg->name;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	h = (h ^ 0) * 0x100000001b3ULL;
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3ULL;
	return (int)(h % e->nw);
}

struct eng_item *
eng_item_new(enum eng_item_kind kind, int ix, const char *key)
{
	struct eng_item *it = fl_xcalloc(1, sizeof(*it));

	it->kind = kind;
	it->ix = ix;
	it->key = fl_xstrdup(key);
	return it;
}

/* "schema.table" of a change, for the log filter. */
static void
route_table_name(const struct fl_change *ch, char *out, size_t n)
{
	if (ch->table)
		snprintf(out, n, "%s.%s", ch->table->schema, ch->table->table);
	else
		snprintf(out, n, "?");
}

/* Trace: the change is durable (every id flushed), its ack confirmed. */
static void
route_trace_durable(const struct fl_change *ch)
{
	char id[640];

	if (!fl_track_trace_wants(ch->table))
		return;
	fl_change_trace_id(ch, id, sizeof(id));
	fl_log_trace("engine", "durable %s", id);
}

/* Drop one reference; the last one frees, confirming only if `durable`. */
static void
eng_pending_unref(struct eng_pending *pc, int durable)
{
	struct fl_engine *e = pc->e;

	if (atomic_fetch_sub(&pc->refs, 1) != 1)
		return;
	if (durable && !atomic_load(&e->abort_now) && !pc->dropped) {
		if (fl_log_enabled(FL_LOG_TRACE))
			route_trace_durable(pc->ch);
		e->be->capture_confirm(e->cap, pc->ch->ack);
		atomic_fetch_add(&e->committed, 1);
	}
	atomic_fetch_sub(&e->pending_changes, 1);
	fl_change_free(pc->ch);
	free(pc);
}

void
eng_pending_release(struct eng_pending *pc)
{
	eng_pending_unref(pc, 1);
}

void
eng_item_free(struct eng_item *it)
{
	if (!it)
		return;
	if (it->pc) { /* never flushed: the change must not be confirmed */
		it->pc->dropped = 1;
		eng_pending_unref(it->pc, 0);
	}
	if (it->page)
		eng_page_drop(it->page);
	if (it->dp)
		eng_dpage_drop(it->dp);
	free(it->key);
	free(it);
}

void
eng_item_done(struct eng_item *it)
{
	if (it->pc)
		eng_pending_release(it->pc);
	if (it->page)
		eng_page_release(it->page);
	if (it->dp)
		eng_dpage_release(it->dp);
	it->pc = NULL;
	it->page = NULL;
	it->dp = NULL;
	free(it->key);
	free(it);
}

int
eng_push(struct fl_engine *e, struct fl_queue *q, struct eng_item *it)
{
	for (;;) {
		int r = fl_queue_push(q, it, 200);

		if (r == 0)
			return 0;
		if (r < 0 || atomic_load(&e->stop))
			return -1;
	}
}

struct route_ctx {
	struct fl_engine *e;
	struct eng_pending *pc;
	unsigned char lost[FL_MAX_INDEXES]; /* ids that cannot be found */
	size_t nemitted;                    /* ids emitted by this attempt */
};

/* Trace: one id (NULL: cannot be found) a change resolved to. */
static void
route_trace_resolved(const struct fl_change *ch, const char *index,
                     const char *key)
{
	char id[640], table[256];

	route_table_name(ch, table, sizeof(table));
	if (!fl_log_trace_wants(index, table))
		return;
	fl_change_trace_id(ch, id, sizeof(id));
	fl_log_trace("engine", "resolved %s index=%s id=%s", id, index,
	             key ? key : "? (cannot be found)");
}

static int
route_emit(void *arg, const char *index, const char *key)
{
	struct route_ctx *rc = arg;
	struct fl_engine *e = rc->e;
	int ix = eng_index_no(e, index);
	struct eng_item *it;

	if (ix < 0)
		return 0;
	rc->nemitted++;
	if (fl_log_enabled(FL_LOG_TRACE))
		route_trace_resolved(rc->pc->ch, index, key);
	if (!key) {
		rc->lost[ix] = 1;
		return 0;
	}
	it = eng_item_new(ENG_ITEM_LIVE, ix, key);
	it->pc = rc->pc;
	atomic_fetch_add(&rc->pc->refs, 1);
	if (eng_push(e, e->w[eng_owner(e, ix, key)].live, it) < 0) {
		eng_item_free(it);
		return -1;
	}
	return 0;
}

/* (Re)connect the router's session and prepare the resolver. */
static int
route_connect(struct fl_engine *e, void **conn, void *res)
{
	struct fl_backoff b = FL_BACKOFF_INIT;

	while (!atomic_load(&e->stop)) {
		unsigned epoch = atomic_load(&e->schema_epoch);
		struct fl_err err;

		if (!*conn && !(*conn = eng_connect(e, "flusso-router")))
			return -1;
		if (e->be->resolver_prepare(res, *conn, &err) == 0) {
			e->router_epoch = epoch;
			return 0;
		}
		if (err.code != FL_ERR_PG) {
			eng_fatal(e, "resolver: %s", err.msg);
			return -1;
		}
		eng_waiting(e, "postgres", err.msg);
		e->be->session_close(*conn);
		*conn = NULL;
		if (eng_retry_wait(e, &b))
			break;
	}
	return -1;
}

static void
route_truncate(struct fl_engine *e, void *res, struct fl_change *ch)
{
	const char *names[FL_MAX_INDEXES];
	struct fl_err err;
	size_t i, j, n;
	long gen;

	for (i = 0; i < ch->ntrunc; i++) {
		n = e->be->resolve_truncate(res, ch->trunc[i], names,
		                            FL_ARRAY_LEN(names));
		for (j = 0; j < n; j++) {
			int ix = eng_index_no(e, names[j]);

			if (ix < 0 || !atomic_load(&e->ix[ix].ensured))
				continue; /* never created: `retry` seeds it */
			fl_log_warn("engine",
			            "TRUNCATE of %s.%s: rebuilding "
			            "index %s",
			            ch->trunc[i]->schema, ch->trunc[i]->table,
			            names[j]);
			if (e->ix[ix].st.tracks_seeding) {
				if (eng_stage_rebuild(e, ix, "truncate", 0,
				                      &gen, &err, -1) < 0) {
					/* every document must go and the
					 * pending set cannot say "all" */
					if (!atomic_load(&e->stop))
						eng_fatal(e,
						          "TRUNCATE: staging a "
						          "rebuild of %s: %s",
						          names[j], err.msg);
					goto out; /* not confirmed */
				}
			} else {
				pthread_mutex_lock(&e->mu);
				if (!e->ix[ix].seed)
					e->ix[ix].seed = eng_seed_new(
					    e, ix, ENG_SEED_INPLACE, NULL);
				pthread_mutex_unlock(&e->mu);
			}
		}
	}
	e->be->capture_confirm(e->cap, ch->ack);
out:
	fl_change_free(ch);
}

/* Store index ix's hold, waiting out OpenSearch: 0, or -1 when
 * stopping (the change must not be confirmed). */
static int
route_store_hold(struct fl_engine *e, int ix)
{
	struct fl_backoff b = FL_BACKOFF_INIT;

	for (;;) {
		struct fl_err err;

		if (eng_hold_store(e, ix, &err) == 0)
			return 0;
		fl_log_warn("engine",
		            "storing the hold of index %s (will retry): %s",
		            e->ix[ix].cfg->name, err.msg);
		if (eng_retry_wait(e, &b))
			return -1;
	}
}

/* Index ix owes a rebuild of every document: a held one on its release
 * (stored before the change is confirmed), else a new generation now.
 * 0, or -1 when stopping. */
static int
route_owe_rebuild(struct fl_engine *e, int ix, const char *why)
{
	if (atomic_load(&e->ix[ix].hold) == FL_HOLD_NONE &&
	    e->ix[ix].st.tracks_seeding) {
		struct fl_err err;
		long gen;

		if (eng_stage_rebuild(e, ix, why, 0, &gen, &err, -1) == 0)
			return 0;
		if (atomic_load(&e->stop))
			return -1;
		fl_log_warn("engine", "staging a rebuild of %s: %s",
		            e->ix[ix].cfg->name, err.msg);
	}
	return eng_hold_resync(e, ix, why) ? route_store_hold(e, ix) : 0;
}

/* A tracked table's definition changed: the statements are derived
 * again (workers at their next attempt, the resolver at the next
 * change), and every index reading the table is checked against the
 * database: one that no longer matches goes to drift before its next
 * change is built. A column dropped and added back changed values
 * without row changes: the indexes reading the table are rebuilt. */
static void
route_relation(struct fl_engine *e, void **conn, void *res,
               struct fl_change *ch)
{
	const char *names[FL_MAX_INDEXES];
	size_t j, n;
	int failed = 0;

	if (!ch->rel_first) {
		atomic_fetch_add(&e->schema_epoch, 1);
		fl_board_event(e->board, FL_LOG_WARN, "table %s.%s: %s",
		               ch->table->schema, ch->table->table, ch->what);
	}
	n = e->be->resolve_truncate(res, ch->table, names, FL_ARRAY_LEN(names));
	for (j = 0; j < n && e->be->drift_check && !failed; j++) {
		int ix = eng_index_no(e, names[j]);
		char why[sizeof(((struct fl_sink_hold *)0)->reason)];
		struct fl_err err;
		int rc;

		if (ix < 0 || !e->can_hold ||
		    (atomic_load(&e->ix[ix].hold) == FL_HOLD_DRIFT &&
		     !ch->rel_rewrite))
			continue;
		if (!*conn && route_connect(e, conn, res) < 0) {
			failed = 1;
			break;
		}
		rc = e->be->drift_check(*conn, e->o.cfg, names[j],
		                        e->o.allow_untracked, why, sizeof(why),
		                        &err);
		if (rc > 0 && !eng_hold_index(e, ix, FL_HOLD_DRIFT, why))
			failed = route_owe_rebuild(e, ix, why) < 0; /* held */
		else if (rc == 0 && ch->rel_rewrite)
			failed = route_owe_rebuild(e, ix, ch->what) < 0;
		else if (rc == 0 && !ch->rel_first)
			fl_log_info("engine",
			            "index %s still matches the database",
			            names[j]);
		else if (rc < 0)
			fl_log_warn(
			    "engine",
			    "checking index %s against the database: %s "
			    "(a failing build will tell)",
			    names[j], err.msg);
	}
	if (!failed) /* else the new stream sends it again */
		e->be->capture_confirm(e->cap, ch->ack);
	fl_change_free(ch);
}

/* Indexes whose ids for this change could not be found: held (drift or
 * stopped), and marked to rebuild every document on release - stored
 * before the change is confirmed. 0, or -1 when stopping. */
static int
route_lost(struct fl_engine *e, void *conn, const struct route_ctx *rc,
           const struct fl_change *ch)
{
	size_t ix;

	for (ix = 0; ix < e->nix; ix++) {
		char what[256];

		if (!rc->lost[ix])
			continue;
		snprintf(what, sizeof(what),
		         "the documents a change of %s.%s touches cannot be "
		         "found",
		         ch->table ? ch->table->schema : "?",
		         ch->table ? ch->table->table : "?");
		if (atomic_load(&e->ix[ix].hold) == FL_HOLD_NONE)
			eng_index_broken(e, (int)ix, conn, what, NULL);
		if (atomic_load(&e->failed))
			return -1;
		if (eng_hold_resync(e, (int)ix, what) &&
		    route_store_hold(e, (int)ix) < 0)
			return -1;
	}
	return 0;
}

/* Trace: the change touches no document of any index. */
static void
route_trace_nothing(const struct fl_change *ch)
{
	char id[640];

	fl_change_trace_id(ch, id, sizeof(id));
	fl_log_trace("engine", "resolved %s to no document", id);
}

static void
route_untracked_cb(void *arg, struct fl_status *st)
{
	st->untracked_changes = *(unsigned long *)arg;
}

/* Resolve one change and route its ids; retries transient failures on
 * the router's session (a new one when it was lost). */
static int
route_change(struct fl_engine *e, void **conn, void *res, struct fl_change *ch)
{
	struct eng_pending *pc = fl_xcalloc(1, sizeof(*pc));
	struct route_ctx rc;
	unsigned long untracked = e->be->resolver_untracked(res);
	struct fl_backoff b = FL_BACKOFF_INIT;
	int unconfirmed = 0;

	memset(&rc, 0, sizeof(rc));
	rc.e = e;
	rc.pc = pc;
	pc->e = e;
	pc->ch = ch;
	atomic_init(&pc->refs, 1);
	atomic_fetch_add(&e->pending_changes, 1);
	for (;;) {
		struct fl_err err;

		rc.nemitted = 0;
		if (*conn && e->router_epoch != atomic_load(&e->schema_epoch)) {
			/* a table's definition changed, or an index was
			 * released: prepare again (a new session if that
			 * fails) */
			unsigned epoch = atomic_load(&e->schema_epoch);

			if (e->be->resolver_prepare(res, *conn, &err) == 0) {
				e->router_epoch = epoch;
			} else {
				e->be->session_close(*conn);
				*conn = NULL;
			}
		}
		if (!*conn && route_connect(e, conn, res) < 0)
			break;
		if (e->be->resolve(res, *conn, ch, route_emit, &rc, &err) ==
		    0) {
			if (rc.nemitted == 0 && fl_log_enabled(FL_LOG_TRACE) &&
			    fl_track_trace_wants(ch->table))
				route_trace_nothing(ch);
			break;
		}
		if (err.code == FL_ERR_CANCELLED || atomic_load(&e->stop))
			break;
		if (err.code != FL_ERR_PG) {
			eng_fatal(e, "resolving a change of %s.%s: %s",
			          ch->table ? ch->table->schema : "?",
			          ch->table ? ch->table->table : "?", err.msg);
			break;
		}
		fl_log_warn("engine", "resolving a change (will retry): %s",
		            err.msg);
		if (!e->be->session_ok(*conn)) {
			e->be->session_close(*conn);
			*conn = NULL;
		}
		if (eng_retry_wait(e, &b))
			break;
	}
	if (!atomic_load(&e->stop) && !atomic_load(&e->failed) &&
	    route_lost(e, *conn, &rc, ch) < 0)
		unconfirmed = 1;
	if (e->be->resolver_untracked(res) != untracked) {
		unsigned long n = e->be->resolver_untracked(res);

		fl_board_update(e->board, route_untracked_cb, &n);
	}
	if (unconfirmed || atomic_load(&e->stop) || atomic_load(&e->failed)) {
		/* never confirm a change that was not completely routed */
		pc->dropped = 1;
		eng_pending_unref(pc, 0);
		return -1;
	}
	eng_pending_release(pc);
	return 0;
}

void *
eng_router_main(void *arg)
{
	struct fl_engine *e = arg;
	void *res = e->be->resolver_new(e->be->ctx, e->o.cfg, &e->track);
	void *conn = NULL;

	route_connect(e, &conn, res);
	while (!atomic_load(&e->stop) && !atomic_load(&e->failed)) {
		void *item;
		struct fl_change *ch;
		int r = fl_queue_pop(e->capq, &item, 200);

		if (r == 1)
			continue;
		if (r < 0)
			break;
		ch = item;
		if (ch->ack.epoch != e->be->capture_epoch(e->cap)) {
			fl_change_free(ch); /* the new stream redelivers it */
			continue;
		}
		if (ch->op == FL_CHANGE_TRUNCATE)
			route_truncate(e, res, ch);
		else if (ch->op == FL_CHANGE_RELATION)
			route_relation(e, &conn, res, ch);
		else
			route_change(e, &conn, res, ch);
	}
	if (conn)
		e->be->session_close(conn);
	e->be->resolver_free(res);
	atomic_store(&e->router_exited, 1);
	return NULL;
}
