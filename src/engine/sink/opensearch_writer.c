/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_writer.c - the OpenSearch sink's writers: buffering upserts
 * and deletes, and flush (engine-sink.md §2.6-2.7, ours).
 *
 * DESIGN
 *   Threads. One writer per worker thread, with its own buffers and
 *   HTTP client (made at the first flush). Shared with the control face
 *   only: the routing table, read once per flush (opensearch_sink.c DESIGN).
 *
 *   Buffering. upsert/del copy the index name (interned), the id and the
 *   document into one arena (raw CR/LF of the document made spaces) and
 *   record offsets: no I/O, no failure. Documents are never parsed.
 *
 *   Flush. (1) Snapshot the routing. (2) Expand each buffered operation
 *   into one action per target generation (live: serving, plus the
 *   building one while a rebuild is staged; seeding: the active one),
 *   rendering its action line. (3) Plan chunks by batch_size and
 *   max_bytes. (4) Send in rounds: every unit of a round is submitted,
 *   up to `parallel` requests in flight (curl multi; default 2: while
 *   OpenSearch indexes one chunk the next is already on the wire, and
 *   two writers' worth of work is about what one node's write pool
 *   absorbs without queueing); the results decide the next round:
 *   transient failures of whole chunks (a 2xx whose body leaves the
 *   outcome unknown is one: fl_bulk_parse) and of single items (resent
 *   alone) go back with attempt + 1 after a backoff (200 ms x 2^(k-1)
 *   plus jitter, or Retry-After), 413 halves go back at once, item
 *   rejections are recorded, permanent errors stop the flush. A unit past
 *   max_retries ends the flush as FL_SINK_TRANSIENT. All chunks of one
 *   flush carry distinct (index, _id) pairs (one per flush, §5.7), so
 *   sending them concurrently cannot reorder two writes of a document.
 *   (5) Visibility: the live generations written are noted with the
 *   sink's shared refresher (opensearch_refresh.c), which refreshes
 *   them off this path, at most once per period, and within a period
 *   when the flush was caught up. Durability needs no refresh (the bulk
 *   response is after the translog write), so the flush returns, and
 *   its positions confirm, without waiting for one. With the period at
 *   0, a caught-up flush sends one POST /<touched generations>/_refresh
 *   itself before returning (the old way).
 *   The buffer is emptied whatever the outcome; nothing is known
 *   durable unless the flush returns FL_SINK_OK.
 *
 *   Identical documents. Each writer remembers, per index and id, a
 *   hash of the document it last stored and of the generations it went
 *   to (opensearch_seen.c, bounded; it starts empty). A live upsert
 *   whose hash matches is not sent: step (2) drops it, it counts as
 *   done (its position confirms like the others) and, once the flush
 *   succeeds, as skipped (ops->skipped). Seeding writes and forced ones
 *   (repairs) are always sent. After the flush, an applied upsert is
 *   remembered; a delete, a rejected or stale item, or any operation of
 *   a failed flush is forgotten. Why the skipped version may be lost:
 *   opensearch_seen.c DESIGN.
 *   Versions. Each document action carries the version set by
 *   set_version when it was buffered (the WAL position read before its
 *   document was built) as an external_gte version. A 409 version
 *   conflict means a newer build is stored: the item is done (counted,
 *   one warning per flush). Pending-set documents carry none.
 *   Pending ids (held indexes). pend buffers an index action of a
 *   pending-set document (opensearch_pending.c) like an upsert, marked
 *   `pend`: it goes to the pending index whatever the routing, in the
 *   same chunks as the documents, and a flush carrying one first makes
 *   sure the pending index exists. Its item failures never become
 *   rejections: transient ones are retried like any item, any other
 *   fails the flush permanently ("pending set: ..."). The same id
 *   pended twice in one flush is two writes of one document, maybe in
 *   concurrent chunks: harmless, they differ only in `since`.
 *   Abort. The writer's client is registered with the sink
 *   (opensearch_abort.c), so set_abort reaches it whenever it is called.
 *   Once the flag is set, requests in flight come back cancelled within
 *   about 100 ms, new ones are refused, the backoff is cut short and no
 *   round follows: the flush returns FL_SINK_TRANSIENT with
 *   FL_ERR_CANCELLED, whatever else the round saw, and its buffer is
 *   dropped like that of any failed flush.
 *   Trace. At trace level every item of a 2xx bulk response is logged
 *   ("item": logical index, id, generation, status, result, version or
 *   error), read a second time from the body (fl_bulk_each).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/opensearch_names.h"
#include "sink/opensearch_seen.h"
#include "sink/opensearch_sink.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmem.h"

#define OW_LOG "opensearch"

struct ow_op {
	size_t index_off; /* NUL-terminated strings in the arena */
	size_t id_off, id_len;
	size_t doc_off, doc_len;
	unsigned del : 1;
	unsigned seeding : 1;
	unsigned pend : 1;   /* a pending-set document (id = its _id) */
	unsigned forced : 1; /* never skipped (FL_SINK_WRITE_FORCED) */
	unsigned skip : 1;   /* identical to the stored one: not sent */
	unsigned bad : 1;    /* an item of it was not applied */
	uint64_t version;    /* external version, 0 none (set_version) */
	uint64_t key, val;   /* its entry in the seen cache (val 0: none) */
};

/* One route as seen by this flush. */
struct ow_route {
	const char *logical;
	char *serving; /* generation names, NULL when none */
	char *active;
};

struct ow_frag {
	size_t op;
	const char *gen;
	size_t meta_off, meta_len;
	size_t size;
};

/* A run of frags (pool[off .. off+n)) sent as one request. */
struct ow_unit {
	size_t off, n;
	int attempt;
};

struct ow_slot {
	struct fl_http_req req;
	struct fl_buf body;
	struct ow_unit unit;
};

struct ow_rejection {
	int status;
	char *reason;
};

struct os_writer {
	struct fl_sink_writer base;
	struct fl_sink_os *s;
	struct fl_http *http;
	struct fl_os_seen *seen; /* what this writer stored last */
	size_t nskip;            /* operations of this flush skipped */
	int parallel, gzip;
	/* buffered operations */
	struct ow_op *ops;
	size_t nops, capops, npend;
	uint64_t version; /* of the operations buffered next */
	size_t nstale;    /* items superseded by a newer stored version */
	struct fl_buf arena;
	size_t last_index; /* arena offset of the last interned name */
	int has_last;
	/* flush scratch, kept for its capacity */
	struct ow_route *snap;
	size_t nsnap, capsnap;
	struct ow_frag *frags;
	size_t nfrags, capfrags;
	struct fl_buf metas;
	size_t *pool, *sizes, *counts;
	size_t npool, cappool, capsizes, capcounts;
	struct ow_unit *units, *next;
	size_t nunits, capunits, nnext, capnext;
	struct ow_rejection *rej; /* per op, reason NULL when none */
	size_t nrej, caprej;
	struct ow_slot *slots;
	/* the round being sent */
	int stop, rc, max_attempt;
	int cancelled; /* a request came back cancelled (abort flag) */
	long retry_after_ms;
	char last_error[FL_ERR_MSG_MAX]; /* latest transient cause */
	char stop_msg[FL_ERR_MSG_MAX];   /* why the flush stopped */
};

/* ---- buffering -------------------------------------------------------- */

/* Arena offset of index's name, interning consecutive repeats. */
static size_t
ow_intern(struct os_writer *w, const char *index)
{
	if (w->has_last && strcmp(w->arena.data + w->last_index, index) == 0)
		return w->last_index;
	w->last_index = w->arena.len;
	w->has_last = 1;
	fl_buf_append(&w->arena, index, strlen(index) + 1);
	return w->last_index;
}

/* Record one operation (never fails; OOM aborts). */
static void
ow_add(struct os_writer *w, int del, const char *index, const char *id,
       const char *doc, size_t len, int seeding)
{
	struct ow_op *op;

	w->ops = fl_xgrow(w->ops, &w->capops, w->nops + 1, sizeof(*w->ops));
	op = &w->ops[w->nops++];
	memset(op, 0, sizeof(*op));
	op->del = del ? 1u : 0u;
	op->seeding = seeding == 1 ? 1u : 0u;
	op->forced = seeding == FL_SINK_WRITE_FORCED ? 1u : 0u;
	op->version = w->version;
	op->index_off = ow_intern(w, index);
	op->id_len = strlen(id);
	op->id_off = w->arena.len;
	fl_buf_append(&w->arena, id, op->id_len + 1);
	if (!del) {
		op->doc_off = w->arena.len;
		op->doc_len = len;
		fl_buf_append(&w->arena, doc, len);
		fl_bulk_scrub(w->arena.data + op->doc_off, len);
	}
}

/* upsert: buffer an index action. */
static void
ow_upsert(struct fl_sink_writer *base, const char *index, const char *id,
          const char *doc, size_t len, int seeding)
{
	ow_add((struct os_writer *)base, 0, index, id, doc, len, seeding);
}

/* del: buffer a delete action. */
static void
ow_del(struct fl_sink_writer *base, const char *index, const char *id,
       int seeding)
{
	ow_add((struct os_writer *)base, 1, index, id, NULL, 0, seeding);
}

/* pend: buffer the pending-set document of (index, key). */
static void
ow_pend(struct fl_sink_writer *base, const char *index, const char *key)
{
	struct os_writer *w = (struct os_writer *)base;
	char *id = fl_osnames_pending_id(index, key);
	struct fl_buf doc;

	fl_buf_init(&doc, SIZE_MAX);
	fl_sink_os_pending_doc(&doc, index, key, fl_wall_us() / 1000);
	ow_add(w, 0, index, id, doc.data, doc.len, 0);
	w->ops[w->nops - 1].pend = 1;
	w->ops[w->nops - 1].version = 0;
	w->npend++;
	fl_buf_done(&doc);
	free(id);
}

/* set_version: the version of the operations buffered next. */
static void
ow_set_version(struct fl_sink_writer *base, uint64_t version)
{
	((struct os_writer *)base)->version = version;
}

/* ---- routing snapshot ------------------------------------------------- */

/* Copy the routing under the sink's lock and hold it (flushing++). */
static void
ow_snapshot_take(struct os_writer *w)
{
	struct fl_sink_os *s = w->s;
	size_t i;

	pthread_mutex_lock(&s->mu);
	while (s->changing > 0)
		pthread_cond_wait(&s->cv, &s->mu);
	s->flushing++;
	w->snap =
	    fl_xgrow(w->snap, &w->capsnap, s->nroutes + 1, sizeof(*w->snap));
	w->nsnap = s->nroutes;
	for (i = 0; i < s->nroutes; i++) {
		const struct os_route *rt = s->routes[i];

		w->snap[i].logical = rt->logical;
		w->snap[i].active =
		    fl_osnames_generation(rt->hash_alias, rt->active);
		w->snap[i].serving =
		    rt->serving && rt->serving != rt->active
		        ? fl_osnames_generation(rt->hash_alias, rt->serving)
		        : NULL;
	}
	pthread_mutex_unlock(&s->mu);
}

/* Give the snapshot back (a pending routing change may proceed). */
static void
ow_snapshot_give(struct os_writer *w)
{
	struct fl_sink_os *s = w->s;
	size_t i;

	for (i = 0; i < w->nsnap; i++) {
		free(w->snap[i].active);
		free(w->snap[i].serving);
	}
	w->nsnap = 0;
	pthread_mutex_lock(&s->mu);
	if (--s->flushing == 0)
		pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ---- planning ---------------------------------------------------------- */

/* Add one action of op to generation gen. */
static void
ow_frag_add(struct os_writer *w, size_t opi, const char *gen)
{
	const struct ow_op *op = &w->ops[opi];
	struct ow_frag *f;

	w->frags =
	    fl_xgrow(w->frags, &w->capfrags, w->nfrags + 1, sizeof(*w->frags));
	f = &w->frags[w->nfrags++];
	f->op = opi;
	f->gen = gen;
	f->meta_off = w->metas.len;
	fl_bulk_put_meta(&w->metas, op->del, gen, w->arena.data + op->id_off,
	                 op->id_len, op->version);
	f->meta_len = w->metas.len - f->meta_off;
	f->size = f->meta_len + (op->del ? 0 : op->doc_len + 1);
	if (f->size > (size_t)w->s->max_bytes)
		fl_log_warn(OW_LOG, "a single document exceeds the bulk byte "
		                    "cap; sending it in its own request");
}

/* Units (attempt `attempt`) over pool[off .. off+n) by the chunk plan. */
static void
ow_plan_units(struct os_writer *w, size_t off, size_t n, int attempt,
              struct ow_unit **units, size_t *nunits, size_t *cap)
{
	size_t i, k, at = off;

	w->sizes = fl_xgrow(w->sizes, &w->capsizes, n + 1, sizeof(size_t));
	w->counts = fl_xgrow(w->counts, &w->capcounts, n + 1, sizeof(size_t));
	for (i = 0; i < n; i++)
		w->sizes[i] = w->frags[w->pool[off + i]].size;
	k = fl_bulk_plan(w->sizes, n, w->s->batch_size, w->s->max_bytes,
	                 w->counts);
	*units = fl_xgrow(*units, cap, *nunits + k, sizeof(**units));
	for (i = 0; i < k; i++) {
		(*units)[*nunits].off = at;
		(*units)[*nunits].n = w->counts[i];
		(*units)[*nunits].attempt = attempt;
		(*nunits)++;
		at += w->counts[i];
	}
}

/* The snapshot entry of a logical index, or NULL. */
static const struct ow_route *
ow_route(const struct os_writer *w, const char *logical)
{
	size_t i;

	for (i = 0; i < w->nsnap; i++)
		if (strcmp(w->snap[i].logical, logical) == 0)
			return &w->snap[i];
	return NULL;
}

/* Key and value of op in the seen cache; 1 when it may be skipped (a
 * live document identical, in the same generations, to the one this
 * writer last stored for its id). */
static int
ow_seen(struct os_writer *w, struct ow_op *op, const char *name,
        const struct ow_route *rt)
{
	uint64_t h;

	if (!fl_os_seen_on(w->seen))
		return 0;
	op->key = fl_os_seen_key(w->arena.data + op->id_off, op->id_len);
	/* a delete, and a seeding write, only forget the id (val stays 0):
	 * seeding is never skipped, and hashing a whole backfill would
	 * evict the live entries; after a seed pass every id has been
	 * forgotten once, whatever an earlier attempt at the same
	 * generation name left */
	if (op->del || op->seeding)
		return 0;
	h = fl_os_seen_val_start(w->arena.data + op->doc_off, op->doc_len);
	if (rt->serving)
		h = fl_os_seen_val_add(h, rt->serving);
	h = fl_os_seen_val_add(h, rt->active);
	op->val = fl_os_seen_val_end(h);
	return !op->forced && fl_os_seen_has(w->seen, name, op->key, op->val);
}

/* After the flush: remember what is now stored, forget what is not
 * known (ok: the flush succeeded; then rejected, stale and deleted
 * documents are forgotten, the others remembered). */
static void
ow_remember(struct os_writer *w, int ok)
{
	size_t i;

	if (!fl_os_seen_on(w->seen))
		return;
	for (i = 0; i < w->nops; i++) {
		const struct ow_op *op = &w->ops[i];
		const char *name = w->arena.data + op->index_off;

		if (op->pend || !op->key)
			continue;
		if (op->skip) {
			if (ok)
				fl_os_seen_skipped(w->seen, name);
		} else if (ok && op->val && !op->del && !op->bad &&
		           !w->rej[i].reason) {
			fl_os_seen_put(w->seen, name, op->key, op->val);
		} else {
			fl_os_seen_forget(w->seen, name, op->key);
		}
	}
}

/* Expand operations into actions and plan the first round. */
static int
ow_plan(struct os_writer *w, struct fl_err *err)
{
	const struct ow_route *rt = NULL;
	const char *last = NULL;
	size_t i;

	for (i = 0; i < w->nops; i++) {
		struct ow_op *op = &w->ops[i];
		const char *name = w->arena.data + op->index_off;

		if (op->pend) {
			ow_frag_add(w, i, w->s->pending_index);
			continue;
		}
		if (name != last) {
			last = name;
			if (!(rt = ow_route(w, name))) {
				fl_err_set(err, FL_ERR_SINK,
				           "write to index %s, which was not "
				           "ensured",
				           name);
				return FL_SINK_PERMANENT;
			}
		}
		if (ow_seen(w, op, name, rt)) {
			op->skip = 1;
			w->nskip++;
			continue;
		}
		if (!op->seeding && rt->serving)
			ow_frag_add(w, i, rt->serving);
		ow_frag_add(w, i, rt->active);
	}
	w->pool =
	    fl_xgrow(w->pool, &w->cappool, w->nfrags + 1, sizeof(*w->pool));
	for (i = 0; i < w->nfrags; i++)
		w->pool[i] = i;
	w->npool = w->nfrags;
	w->nunits = 0;
	ow_plan_units(w, 0, w->nfrags, 0, &w->units, &w->nunits, &w->capunits);
	return FL_SINK_OK;
}

/* ---- sending ----------------------------------------------------------- */

/* Render the body of unit u into slot sl and submit it. */
static void
ow_start(struct os_writer *w, struct ow_slot *sl, const struct ow_unit *u)
{
	size_t k;

	fl_buf_reset(&sl->body);
	for (k = 0; k < u->n; k++) {
		const struct ow_frag *f = &w->frags[w->pool[u->off + k]];
		const struct ow_op *op = &w->ops[f->op];

		fl_buf_append(&sl->body, w->metas.data + f->meta_off,
		              f->meta_len);
		if (!op->del) {
			fl_buf_append(&sl->body, w->arena.data + op->doc_off,
			              op->doc_len);
			fl_buf_putc(&sl->body, '\n');
		}
	}
	sl->unit = *u;
	sl->req.method = "POST";
	sl->req.path = w->s->bulk_path;
	sl->req.ctype = "application/x-ndjson";
	sl->req.body = sl->body.data;
	sl->req.len = sl->body.len;
	sl->req.gzip = w->gzip;
	sl->req.user = sl;
	if (fl_http_submit(w->http, &sl->req) == -2) {
		/* could not start: handled like a transport failure */
		sl->req.status = 0;
		sl->req.user = NULL;
	}
}

/* Queue unit u again with attempt + 1, or stop when out of retries. */
static void
ow_retry(struct os_writer *w, struct ow_unit u, const char *why)
{
	if (why != w->last_error)
		snprintf(w->last_error, sizeof(w->last_error), "%s", why);
	if (u.attempt + 1 > w->s->max_retries) {
		if (!w->stop) {
			w->stop = 1;
			w->rc = FL_SINK_TRANSIENT;
			snprintf(w->stop_msg, sizeof(w->stop_msg), "%s",
			         w->last_error);
		}
		return;
	}
	u.attempt++;
	if (u.attempt > w->max_attempt)
		w->max_attempt = u.attempt;
	w->next =
	    fl_xgrow(w->next, &w->capnext, w->nnext + 1, sizeof(*w->next));
	w->next[w->nnext++] = u;
}

/* Stop the flush with a permanent error. */
static void
ow_fatal(struct os_writer *w, const char *msg)
{
	if (w->stop && w->rc == FL_SINK_PERMANENT)
		return;
	snprintf(w->stop_msg, sizeof(w->stop_msg), "%s", msg);
	w->stop = 1;
	w->rc = FL_SINK_PERMANENT;
}

/* A pending-set write that was refused: the flush fails, permanently. */
static void
ow_pend_fail(struct os_writer *w, size_t fi, int status, const char *reason)
{
	char msg[FL_ERR_MSG_MAX];

	snprintf(msg, sizeof(msg), "pending set: %s: HTTP %d: %s",
	         w->arena.data + w->ops[w->frags[fi].op].id_off, status,
	         reason);
	ow_fatal(w, msg);
}

/* Record a rejection of the operation behind frag fi (first wins). */
static void
ow_reject(struct os_writer *w, size_t fi, int status, const char *reason)
{
	struct ow_rejection *r = &w->rej[w->frags[fi].op];

	w->ops[w->frags[fi].op].bad = 1;
	if (w->ops[w->frags[fi].op].pend) {
		ow_pend_fail(w, fi, status, reason);
		return;
	}
	if (r->reason)
		return;
	r->status = status;
	r->reason = fl_xstrdup(reason);
}

struct ow_trace_ctx {
	const struct os_writer *w;
	const struct ow_unit *u;
};

/* Trace one item of a bulk response. */
static void
ow_trace_item(void *arg, const struct fl_bulk_outcome *o)
{
	const struct ow_trace_ctx *x = arg;
	const struct os_writer *w = x->w;
	const struct ow_frag *f;
	const struct ow_op *op;
	const char *index;
	char outcome[400];

	if (o->pos >= x->u->n)
		return;
	f = &w->frags[w->pool[x->u->off + o->pos]];
	op = &w->ops[f->op];
	index = w->arena.data + op->index_off;
	if (!fl_log_trace_wants(index, NULL))
		return;
	if (o->error || o->reason)
		snprintf(outcome, sizeof(outcome), "error=%s reason=\"%.300s\"",
		         o->error ? o->error : "?", o->reason ? o->reason : "");
	else
		snprintf(outcome, sizeof(outcome), "result=%s version=%lld",
		         o->result ? o->result : "?", o->version);
	fl_log_trace(OW_LOG,
	             "item index=%s id=%s gen=%s action=%s status=%d %s%s%s",
	             index, w->arena.data + op->id_off, f->gen, o->action,
	             o->status, outcome, op->pend ? " pending-set" : "",
	             op->seeding ? " seeding" : "");
}

/* Handle the items of a 2xx response to unit u. A body whose outcome
 * is unknown (fl_bulk_parse) resends the whole unit like a 5xx. */
static void
ow_items(struct os_writer *w, const struct ow_slot *sl)
{
	const struct ow_unit *u = &sl->unit;
	struct fl_bulk_item *it;
	size_t n, i, start = w->npool, nretry = 0;
	char msg[FL_ERR_MSG_MAX];
	const char *why;
	int rc = fl_bulk_parse(sl->req.resp.data, sl->req.resp.len, NULL, u->n,
	                       &it, &n, &why);

	if (rc < 0) {
		snprintf(msg, sizeof(msg),
		         "bulk response of unknown outcome (HTTP %ld, %zu "
		         "bytes, %zu actions): %s",
		         sl->req.status, sl->req.resp.len, u->n, why);
		ow_retry(w, *u, msg);
		return;
	}
	if (fl_log_enabled(FL_LOG_TRACE)) {
		struct ow_trace_ctx x = { w, u };

		fl_bulk_each(sl->req.resp.data, sl->req.resp.len, ow_trace_item,
		             &x);
	}
	for (i = 0; i < n; i++) {
		size_t fi = w->pool[u->off + it[i].pos];

		if (it[i].cls == FL_BULK_REJECT ||
		    (it[i].cls == FL_BULK_FATAL &&
		     w->ops[w->frags[fi].op].pend)) {
			ow_reject(w, fi, it[i].status, it[i].reason);
		} else if (it[i].cls == FL_BULK_FATAL) {
			snprintf(msg, sizeof(msg),
			         "bulk request failed: index %s: %s",
			         w->frags[fi].gen, it[i].reason);
			ow_fatal(w, msg);
		} else if (it[i].cls == FL_BULK_STALE) {
			w->nstale++; /* a newer write is stored: done */
			w->ops[w->frags[fi].op].bad = 1;
		} else if (it[i].cls == FL_BULK_RETRY) {
			w->pool = fl_xgrow(w->pool, &w->cappool, w->npool + 1,
			                   sizeof(*w->pool));
			w->pool[w->npool++] = fi;
			nretry++;
			snprintf(w->last_error, sizeof(w->last_error),
			         "bulk item failed: HTTP %d: %s", it[i].status,
			         it[i].reason);
		}
	}
	fl_bulk_items_free(it, n);
	if (nretry) {
		struct ow_unit *tmp = NULL;
		size_t ntmp = 0, cap = 0, k;

		ow_plan_units(w, start, nretry, u->attempt, &tmp, &ntmp, &cap);
		for (k = 0; k < ntmp; k++)
			ow_retry(w, tmp[k], w->last_error);
		free(tmp);
	}
}

/* Decide what a finished request means for its unit. */
static void
ow_done(struct os_writer *w, struct ow_slot *sl)
{
	const struct fl_http_req *r = &sl->req;
	struct ow_unit u = sl->unit;
	char msg[FL_ERR_MSG_MAX], ex[300];
	size_t k;

	if (r->cancelled) {
		w->stop = 1;
		w->cancelled = 1;
		w->rc = FL_SINK_TRANSIENT;
		return;
	}
	snprintf(ex, sizeof(ex), "%.*s",
	         (int)(r->resp.len < 299 ? r->resp.len : 299),
	         fl_buf_str(&r->resp));
	switch (fl_bulk_classify_status(r->status, u.n)) {
	case FL_BULK_OK:
	case FL_BULK_STALE: /* never a whole request's class */
		ow_items(w, sl);
		break;
	case FL_BULK_RETRY:
		if (r->status)
			snprintf(msg, sizeof(msg),
			         "bulk request failed: HTTP %ld: %s", r->status,
			         ex);
		else
			snprintf(msg, sizeof(msg), "bulk request error: %s",
			         r->error);
		if (r->retry_after_ms > w->retry_after_ms)
			w->retry_after_ms = r->retry_after_ms;
		ow_retry(w, u, msg);
		break;
	case FL_BULK_SPLIT:
		w->next = fl_xgrow(w->next, &w->capnext, w->nnext + 2,
		                   sizeof(*w->next));
		w->next[w->nnext] = u;
		w->next[w->nnext].n = u.n / 2;
		w->next[w->nnext + 1] = u;
		w->next[w->nnext + 1].off = u.off + u.n / 2;
		w->next[w->nnext + 1].n = u.n - u.n / 2;
		w->nnext += 2;
		break;
	case FL_BULK_REJECT:
		for (k = 0; k < u.n; k++)
			ow_reject(w, w->pool[u.off + k], 413,
			          "document too large for one bulk request "
			          "(HTTP 413 from OpenSearch)");
		break;
	case FL_BULK_FATAL:
		if (r->status == 401 || r->status == 403)
			snprintf(
			    msg, sizeof(msg),
			    "OpenSearch refused the credentials (HTTP %ld)",
			    r->status);
		else
			snprintf(msg, sizeof(msg),
			         "bulk request failed: HTTP %ld: %s", r->status,
			         ex);
		ow_fatal(w, msg);
		break;
	}
}

/* Send one round: every unit, `parallel` at a time. */
static void
ow_round(struct os_writer *w)
{
	size_t i = 0, inflight = 0;
	int k;

	while ((i < w->nunits && !w->stop) || inflight > 0) {
		struct fl_http_req *r;

		for (k = 0; k < w->parallel && i < w->nunits && !w->stop; k++) {
			struct ow_slot *sl = &w->slots[k];

			if (sl->req.user)
				continue;
			ow_start(w, sl, &w->units[i++]);
			if (sl->req.user) {
				inflight++;
			} else {
				sl->req.user = sl;
				ow_done(w, sl);
				sl->req.user = NULL;
			}
		}
		if (inflight == 0)
			continue;
		if (!(r = fl_http_wait(w->http)))
			break;
		inflight--;
		ow_done(w, r->user);
		((struct ow_slot *)r->user)->req.user = NULL;
	}
}

/* All rounds until everything is applied, the flush fails or the
 * sink is aborted (fl_sink_os_cancelled). */
static int
ow_send(struct os_writer *w, struct fl_err *err)
{
	const char *what = "bulk request failed";

	w->stop = 0;
	w->cancelled = 0;
	w->rc = FL_SINK_OK;
	w->last_error[0] = '\0';
	while (w->nunits > 0) {
		struct ow_unit *t;
		size_t c;

		w->nnext = 0;
		w->max_attempt = 0;
		w->retry_after_ms = -1;
		ow_round(w);
		if (w->cancelled)
			return fl_sink_os_cancelled(what, err);
		if (w->stop) {
			fl_err_set(err, FL_ERR_SINK, "%s", w->stop_msg);
			return w->rc;
		}
		if (w->max_attempt > 0) {
			fl_log_warn(OW_LOG,
			            "retrying OpenSearch bulk request "
			            "(%s)",
			            w->last_error);
			if (fl_sink_os_backoff(w->max_attempt,
			                       w->retry_after_ms, w->http) < 0)
				return fl_sink_os_cancelled(what, err);
		}
		t = w->units, w->units = w->next, w->next = t;
		c = w->capunits, w->capunits = w->capnext, w->capnext = c;
		w->nunits = w->nnext;
	}
	return FL_SINK_OK;
}

/* The distinct generations of the frags (live ones only when
 * live_only: no seeding, no pending-set write); caller frees the array
 * (the names are the snapshot's). */
static const char **
ow_touched(const struct os_writer *w, int live_only, size_t *n)
{
	const char **seen = NULL;
	size_t nseen = 0, cap = 0, i, j;

	for (i = 0; i < w->nfrags; i++) {
		const struct ow_op *op = &w->ops[w->frags[i].op];

		if (live_only && (op->seeding || op->pend))
			continue;
		for (j = 0; j < nseen && seen[j] != w->frags[i].gen; j++)
			;
		if (j < nseen)
			continue;
		seen = fl_xgrow(seen, &cap, nseen + 1, sizeof(*seen));
		seen[nseen++] = w->frags[i].gen;
	}
	*n = nseen;
	return seen;
}

/* One POST /<touched generations>/_refresh (refresher period 0). */
static int
ow_refresh(struct os_writer *w, struct fl_err *err)
{
	struct fl_buf path;
	struct fl_http_req r;
	size_t nseen, i;
	const char **seen = ow_touched(w, 0, &nseen);
	int rc;

	fl_buf_init(&path, SIZE_MAX);
	fl_buf_putc(&path, '/');
	for (i = 0; i < nseen; i++) {
		if (i)
			fl_buf_putc(&path, ',');
		fl_buf_puts(&path, seen[i]);
	}
	fl_buf_puts(&path, "/_refresh");
	fl_http_req_init(&r);
	rc = fl_sink_os_call(w->s, w->http, "POST", fl_buf_str(&path), NULL, &r,
	                     "refresh failed", err);
	if (rc == FL_SINK_OK && (r.status < 200 || r.status >= 300))
		rc = fl_sink_os_status_error(&r, "refresh failed", err);
	fl_http_req_done(&r);
	fl_buf_done(&path);
	free(seen);
	return rc;
}

/* Step (5): hand the live generations written to the shared refresher,
 * or (period 0) refresh them now when caught up. */
static int
ow_visible(struct os_writer *w, int caught_up, struct fl_err *err)
{
	const char **gens;
	size_t n;

	if (!fl_sink_os_refresh_shared(w->s))
		return caught_up ? ow_refresh(w, err) : FL_SINK_OK;
	/* while behind, seeding generations are left alone (§2.9) */
	gens = ow_touched(w, !caught_up, &n);
	fl_sink_os_refresh_note(w->s, gens, n, caught_up);
	free(gens);
	return FL_SINK_OK;
}

/* ---- flush ------------------------------------------------------------- */

/* Append the recorded rejections to rep, one per operation. */
static void
ow_report(struct os_writer *w, struct fl_sink_report *rep)
{
	size_t i;

	for (i = 0; i < w->nrej; i++) {
		struct fl_sink_rejection *x;

		if (!w->rej[i].reason)
			continue;
		rep->v = fl_xrealloc(rep->v, (rep->n + 1) * sizeof(*rep->v));
		x = &rep->v[rep->n++];
		x->index = fl_xstrdup(w->arena.data + w->ops[i].index_off);
		x->id = fl_xstrdup(w->arena.data + w->ops[i].id_off);
		x->status = w->rej[i].status;
		x->reason = w->rej[i].reason;
		w->rej[i].reason = NULL;
	}
}

/* Capacity a writer always keeps between flushes. A larger buffer that
 * this flush filled to less than a quarter (a live batch after a seeding
 * batch's documents, bulk bodies and responses) is freed, so steady live
 * memory is not the seeding high-water mark; back-to-back seeding batches
 * keep theirs instead of reallocating it every flush. (tests/bench at
 * 1,000 changes/s: steady RSS 19.8 MB this way, 19.9 MB freeing every
 * large buffer after every flush.) */
#define OW_KEEP ((size_t)256 << 10)

/* Empty b; free it when oversized for what it held. */
static void
ow_shrink(struct fl_buf *b)
{
	size_t used = b->len;

	fl_buf_reset(b);
	if (b->cap > OW_KEEP && used < b->cap / 4) {
		size_t max = b->max;

		fl_buf_done(b);
		fl_buf_init(b, max);
	}
}

/* Empty the buffer and the scratch (capacity kept up to OW_KEEP). */
static void
ow_clear(struct os_writer *w)
{
	size_t i;
	int k;

	for (i = 0; i < w->nrej; i++) {
		free(w->rej[i].reason);
		w->rej[i].reason = NULL;
	}
	w->nrej = 0;
	w->nops = 0;
	w->npend = 0;
	w->nskip = 0;
	w->nfrags = 0;
	w->npool = 0;
	w->nunits = 0;
	w->nnext = 0;
	w->has_last = 0;
	ow_shrink(&w->arena);
	ow_shrink(&w->metas);
	for (k = 0; k < w->parallel; k++) {
		ow_shrink(&w->slots[k].body);
		ow_shrink(&w->slots[k].req.resp);
	}
}

/* flush: snapshot, plan, send in rounds, refresh; buffer emptied. */
static int
ow_flush(struct fl_sink_writer *base, int caught_up, struct fl_sink_report *rep,
         struct fl_err *err)
{
	struct os_writer *w = (struct os_writer *)base;
	int64_t t0, t1, t2;
	size_t i;
	int rc;

	if (w->nops == 0)
		return FL_SINK_OK;
	if (!w->http) {
		struct fl_http_cfg c = w->s->http;

		c.parallel = w->parallel;
		c.max_send_bps = w->s->tune.max_send_bps;
		if (!(w->http = fl_http_new(&c, err))) {
			ow_clear(w);
			return FL_SINK_PERMANENT;
		}
		fl_sink_os_client_add(w->s, w->http);
	}
	w->rej = fl_xgrow(w->rej, &w->caprej, w->nops, sizeof(*w->rej));
	for (i = 0; i < w->nops; i++)
		w->rej[i].reason = NULL;
	w->nrej = w->nops;
	if (w->npend > 0 && (rc = fl_sink_os_pending_ensure(
	                         w->s, w->http, err)) != FL_SINK_OK) {
		ow_clear(w);
		return rc;
	}
	ow_snapshot_take(w);
	t0 = fl_mono_ms();
	w->nstale = 0;
	rc = ow_plan(w, err);
	if (rc == FL_SINK_OK)
		rc = ow_send(w, err);
	t1 = fl_mono_ms();
	if (w->nstale)
		fl_log_warn(OW_LOG,
		            "%zu document writes found a newer version stored "
		            "(version %llu) and were dropped: expected after a "
		            "crash; if it persists, PostgreSQL's WAL position "
		            "went back (a restore?): reindex",
		            w->nstale, (unsigned long long)w->version);
	if (rc == FL_SINK_OK)
		rc = ow_visible(w, caught_up, err);
	t2 = fl_mono_ms();
	fl_log_debug(OW_LOG,
	             "flush of %zu operations (%zu identical, not sent): bulk "
	             "%lld ms, refresh %lld ms",
	             w->nops, w->nskip, (long long)(t1 - t0),
	             (long long)(t2 - t1));
	ow_remember(w, rc == FL_SINK_OK);
	ow_snapshot_give(w);
	if (rc == FL_SINK_OK)
		ow_report(w, rep);
	ow_clear(w);
	return rc;
}

/* skipped: identical documents not sent, per index, since last asked. */
static uint64_t
ow_skipped(struct fl_sink_writer *base, const char *index)
{
	return fl_os_seen_take_skipped(((struct os_writer *)base)->seen, index);
}

size_t
fl_sink_os_writer_seen(struct fl_sink_writer *base, const char *index,
                       size_t *slots)
{
	*slots = 0;
	if (!base || base->ops->skipped != ow_skipped)
		return 0;
	return fl_os_seen_size(((struct os_writer *)base)->seen, index, slots);
}

/* Free a writer and its connections (its client leaves the sink's
 * registry first). */
static void
ow_free(struct fl_sink_writer *base)
{
	struct os_writer *w = (struct os_writer *)base;
	int k;

	if (!w)
		return;
	ow_clear(w);
	if (w->http)
		fl_sink_os_client_remove(w->s, w->http);
	fl_http_free(w->http);
	for (k = 0; k < w->parallel; k++) {
		fl_http_req_done(&w->slots[k].req);
		fl_buf_done(&w->slots[k].body);
	}
	free(w->slots);
	free(w->ops);
	fl_buf_done(&w->arena);
	fl_buf_done(&w->metas);
	free(w->snap);
	free(w->frags);
	free(w->pool);
	free(w->sizes);
	free(w->counts);
	free(w->units);
	free(w->next);
	free(w->rej);
	fl_os_seen_free(w->seen);
	free(w);
}

static const struct fl_sink_writer_ops ow_ops = {
	.upsert = ow_upsert,
	.del = ow_del,
	.flush = ow_flush,
	.free = ow_free,
	.pend = ow_pend,
	.set_version = ow_set_version,
	.skipped = ow_skipped,
};

struct fl_sink_writer *
fl_sink_os_writer_new(struct fl_sink *base)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	struct os_writer *w = fl_xcalloc(1, sizeof(*w));
	int k;

	w->base.ops = &ow_ops;
	w->base.sink = base;
	w->s = s;
	w->parallel = s->tune.parallel > 0 ? s->tune.parallel : 1;
	w->gzip = s->tune.gzip;
	w->seen = fl_os_seen_new(s->seen_max);
	fl_buf_init(&w->arena, SIZE_MAX);
	fl_buf_init(&w->metas, SIZE_MAX);
	w->slots = fl_xcalloc((size_t)w->parallel, sizeof(*w->slots));
	for (k = 0; k < w->parallel; k++) {
		fl_http_req_init(&w->slots[k].req);
		fl_buf_init(&w->slots[k].body, SIZE_MAX);
	}
	return &w->base;
}
