/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fanout_sink.c - several sinks behind one (engine-sink.md §4, ours).
 *
 * Every operation goes to the inner sinks in sink-name order; the first
 * error short-circuits the rest. Flush reports are concatenated (the
 * same document may appear once per sink) and handed over only when
 * every inner flush succeeded. save_cursor, mark_seeded, stage_rebuild
 * and gc reach every sink (those without the notion answer with a
 * no-op). ensure_index: tracks_seeding is the OR over the inner sinks,
 * seeded the AND over those that track seeding (stdout is ignored); the
 * rest of the state comes from the first sink that tracks seeding.
 * Held indexes: the hold ops and pend go to the keeper, the first inner
 * sink that can hold (fl_sink_can_hold); without one, fan-out cannot
 * hold either. set_abort reaches every sink that has it.
 * Threads: as the inner sinks (control face on one thread, one writer
 * per worker).
 */
#include <stdlib.h>
#include <string.h>

#include "sink/sink.h"
#include "util/xmem.h"

struct fo_sink {
	struct fl_sink base;
	struct fl_sink **kids;
	size_t n;
	size_t keeper; /* kid that keeps holds, or n when none */
};

struct fo_writer {
	struct fl_sink_writer base;
	struct fo_sink *s;
	struct fl_sink_writer **kids;
};

/* ensure_index on every sink; states combined (header comment). */
static int
fo_ensure_index(struct fl_sink *base, const struct fl_sink_index_def *def,
                struct fl_sink_index_state *st, struct fl_err *err)
{
	struct fo_sink *s = (struct fo_sink *)base;
	struct fl_sink_index_state one;
	int have = 0, rc;
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < s->n; i++) {
		rc = s->kids[i]->ops->ensure_index(s->kids[i], def, &one, err);
		if (rc != FL_SINK_OK) {
			fl_sink_index_state_done(st);
			memset(st, 0, sizeof(*st));
			return rc;
		}
		if (!one.tracks_seeding) {
			fl_sink_index_state_done(&one);
		} else if (!have) {
			*st = one;
			have = 1;
		} else {
			st->seeded = st->seeded && one.seeded;
			fl_sink_index_state_done(&one);
		}
	}
	return FL_SINK_OK;
}

/* save_cursor on every sink. */
static int
fo_save_cursor(struct fl_sink *base, const char *index, const char *cursor,
               struct fl_err *err)
{
	struct fo_sink *s = (struct fo_sink *)base;
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++)
		if ((rc = s->kids[i]->ops->save_cursor(
		         s->kids[i], index, cursor, err)) != FL_SINK_OK)
			return rc;
	return FL_SINK_OK;
}

/* mark_seeded on every sink. */
static int
fo_mark_seeded(struct fl_sink *base, const char *index,
               const struct fl_source_identity *id, struct fl_err *err)
{
	struct fo_sink *s = (struct fo_sink *)base;
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++)
		if ((rc = s->kids[i]->ops->mark_seeded(s->kids[i], index, id,
		                                       err)) != FL_SINK_OK)
			return rc;
	return FL_SINK_OK;
}

/* stage_rebuild on every sink; the first non-zero generation. */
static int
fo_stage_rebuild(struct fl_sink *base, const char *index, long *generation,
                 struct fl_err *err)
{
	struct fo_sink *s = (struct fo_sink *)base;
	long g;
	size_t i;
	int rc;

	*generation = 0;
	for (i = 0; i < s->n; i++) {
		g = 0;
		if ((rc = s->kids[i]->ops->stage_rebuild(s->kids[i], index, &g,
		                                         err)) != FL_SINK_OK)
			return rc;
		if (!*generation)
			*generation = g;
	}
	return FL_SINK_OK;
}

/* gc on every sink; deletions summed. */
static int
fo_gc(struct fl_sink *base, const char *index, int *deleted, struct fl_err *err)
{
	struct fo_sink *s = (struct fo_sink *)base;
	size_t i;
	int d, rc;

	*deleted = 0;
	for (i = 0; i < s->n; i++) {
		d = 0;
		rc = s->kids[i]->ops->gc(s->kids[i], index, &d, err);
		*deleted += d;
		if (rc != FL_SINK_OK)
			return rc;
	}
	return FL_SINK_OK;
}

/* ---- held indexes: forwarded to the keeper ------------------------------ */

static struct fl_sink *
fo_keeper(struct fl_sink *base)
{
	struct fo_sink *s = (struct fo_sink *)base;

	return s->kids[s->keeper];
}

static int
fo_hold_load(struct fl_sink *base, const char *index, struct fl_sink_hold *out,
             struct fl_err *err)
{
	struct fl_sink *k = fo_keeper(base);

	return k->ops->hold_load(k, index, out, err);
}

static int
fo_hold_save(struct fl_sink *base, const char *index,
             const struct fl_sink_hold *h, struct fl_err *err)
{
	struct fl_sink *k = fo_keeper(base);

	return k->ops->hold_save(k, index, h, err);
}

static int
fo_pending_page(struct fl_sink *base, const char *index, const char *after,
                size_t max, struct fl_pending_page *out, struct fl_err *err)
{
	struct fl_sink *k = fo_keeper(base);

	return k->ops->pending_page(k, index, after, max, out, err);
}

static int
fo_pending_remove(struct fl_sink *base, const char *index,
                  const struct fl_pending_id *v, size_t n, struct fl_err *err)
{
	struct fl_sink *k = fo_keeper(base);

	return k->ops->pending_remove(k, index, v, n, err);
}

static int
fo_pending_count(struct fl_sink *base, const char *index, long long *n,
                 struct fl_err *err)
{
	struct fl_sink *k = fo_keeper(base);

	return k->ops->pending_count(k, index, n, err);
}

/* count_docs: the first inner sink that stores documents. */
static int
fo_count_docs(struct fl_sink *base, const char *index, long long *n,
              struct fl_err *err)
{
	struct fo_sink *s = (struct fo_sink *)base;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->kids[i]->ops->count_docs)
			return s->kids[i]->ops->count_docs(s->kids[i], index, n,
			                                   err);
	*n = -1;
	fl_err_set(err, FL_ERR_SINK, "no sink stores documents");
	return FL_SINK_PERMANENT;
}

static void
fo_set_abort(struct fl_sink *base, const atomic_int *flag)
{
	struct fo_sink *s = (struct fo_sink *)base;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->kids[i]->ops->set_abort)
			s->kids[i]->ops->set_abort(s->kids[i], flag);
}

/* nodes: every inner sink that has nodes. */
static void
fo_nodes(struct fl_sink *base, fl_sink_nodes_fn fn, void *arg)
{
	struct fo_sink *s = (struct fo_sink *)base;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->kids[i]->ops->nodes)
			s->kids[i]->ops->nodes(s->kids[i], fn, arg);
}

/* ---- writers ------------------------------------------------------------ */

/* upsert into every inner writer. */
static void
fo_upsert(struct fl_sink_writer *base, const char *index, const char *id,
          const char *doc, size_t len, int seeding)
{
	struct fo_writer *w = (struct fo_writer *)base;
	size_t i;

	for (i = 0; i < w->s->n; i++)
		w->kids[i]->ops->upsert(w->kids[i], index, id, doc, len,
		                        seeding);
}

/* del into every inner writer. */
static void
fo_del(struct fl_sink_writer *base, const char *index, const char *id,
       int seeding)
{
	struct fo_writer *w = (struct fo_writer *)base;
	size_t i;

	for (i = 0; i < w->s->n; i++)
		w->kids[i]->ops->del(w->kids[i], index, id, seeding);
}

/* pend into the keeper's writer only. */
static void
fo_pend(struct fl_sink_writer *base, const char *index, const char *id)
{
	struct fo_writer *w = (struct fo_writer *)base;
	struct fl_sink_writer *k = w->kids[w->s->keeper];

	k->ops->pend(k, index, id);
}

/* set_version of every inner writer that keeps versions. */
static void
fo_set_version(struct fl_sink_writer *base, uint64_t version)
{
	struct fo_writer *w = (struct fo_writer *)base;
	size_t i;

	for (i = 0; i < w->s->n; i++)
		if (w->kids[i]->ops->set_version)
			w->kids[i]->ops->set_version(w->kids[i], version);
}

/* Flush inner writers in order; first error wins, rest dropped. */
static int
fo_flush(struct fl_sink_writer *base, int caught_up, struct fl_sink_report *rep,
         struct fl_err *err)
{
	struct fo_writer *w = (struct fo_writer *)base;
	struct fl_sink_report all = { NULL, 0 };
	size_t i, j;
	int rc = FL_SINK_OK;

	for (i = 0; i < w->s->n && rc == FL_SINK_OK; i++)
		rc = w->kids[i]->ops->flush(w->kids[i], caught_up, &all, err);
	if (rc != FL_SINK_OK) {
		/* short-circuited: the rest of the buffers are dropped too */
		for (j = i; j < w->s->n; j++) {
			struct fl_sink *k = w->s->kids[j];

			w->kids[j]->ops->free(w->kids[j]);
			w->kids[j] = k->ops->writer_new(k);
		}
		fl_sink_report_done(&all);
		return rc;
	}
	if (all.n) {
		rep->v =
		    fl_xrealloc(rep->v, (rep->n + all.n) * sizeof(*rep->v));
		memcpy(rep->v + rep->n, all.v, all.n * sizeof(*all.v));
		rep->n += all.n;
	}
	free(all.v);
	return FL_SINK_OK;
}

/* skipped: the sum over the inner writers that skip. */
static uint64_t
fo_skipped(struct fl_sink_writer *base, const char *index)
{
	struct fo_writer *w = (struct fo_writer *)base;
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < w->s->n; i++)
		if (w->kids[i]->ops->skipped)
			n += w->kids[i]->ops->skipped(w->kids[i], index);
	return n;
}

/* Free the inner writers and this one. */
static void
fo_writer_free(struct fl_sink_writer *base)
{
	struct fo_writer *w = (struct fo_writer *)base;
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->s->n; i++)
		if (w->kids[i])
			w->kids[i]->ops->free(w->kids[i]);
	free(w->kids);
	free(w);
}

static const struct fl_sink_writer_ops fo_writer_ops = {
	.upsert = fo_upsert,
	.del = fo_del,
	.flush = fo_flush,
	.free = fo_writer_free,
	.set_version = fo_set_version,
	.skipped = fo_skipped,
};

static const struct fl_sink_writer_ops fo_writer_hold_ops = {
	.upsert = fo_upsert,
	.del = fo_del,
	.flush = fo_flush,
	.free = fo_writer_free,
	.pend = fo_pend,
	.set_version = fo_set_version,
	.skipped = fo_skipped,
};

/* One inner writer per sink. */
static struct fl_sink_writer *
fo_writer_new(struct fl_sink *base)
{
	struct fo_sink *s = (struct fo_sink *)base;
	struct fo_writer *w = fl_xcalloc(1, sizeof(*w));
	size_t i;

	w->base.ops = s->keeper < s->n ? &fo_writer_hold_ops : &fo_writer_ops;
	w->base.sink = base;
	w->s = s;
	w->kids = fl_xcalloc(s->n, sizeof(*w->kids));
	for (i = 0; i < s->n; i++)
		w->kids[i] = s->kids[i]->ops->writer_new(s->kids[i]);
	return &w->base;
}

/* Free the inner sinks and this one. */
static void
fo_free(struct fl_sink *base)
{
	struct fo_sink *s = (struct fo_sink *)base;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		s->kids[i]->ops->free(s->kids[i]);
	free(s->kids);
	free(s->base.name);
	free(s);
}

static const struct fl_sink_ops fo_ops = {
	.ensure_index = fo_ensure_index,
	.save_cursor = fo_save_cursor,
	.mark_seeded = fo_mark_seeded,
	.stage_rebuild = fo_stage_rebuild,
	.gc = fo_gc,
	.writer_new = fo_writer_new,
	.free = fo_free,
	.count_docs = fo_count_docs,
	.set_abort = fo_set_abort,
	.nodes = fo_nodes,
};

static const struct fl_sink_ops fo_hold_ops = {
	.ensure_index = fo_ensure_index,
	.save_cursor = fo_save_cursor,
	.mark_seeded = fo_mark_seeded,
	.stage_rebuild = fo_stage_rebuild,
	.gc = fo_gc,
	.writer_new = fo_writer_new,
	.free = fo_free,
	.hold_load = fo_hold_load,
	.hold_save = fo_hold_save,
	.pending_page = fo_pending_page,
	.pending_remove = fo_pending_remove,
	.pending_count = fo_pending_count,
	.count_docs = fo_count_docs,
	.set_abort = fo_set_abort,
	.nodes = fo_nodes,
};

struct fl_sink *
fl_sink_fanout_new(struct fl_sink **sinks, size_t n)
{
	struct fo_sink *s = fl_xcalloc(1, sizeof(*s));

	s->base.name = fl_xstrdup("fanout");
	s->base.type = "fanout";
	s->kids = fl_xcalloc(n, sizeof(*s->kids));
	memcpy(s->kids, sinks, n * sizeof(*sinks));
	s->n = n;
	for (s->keeper = 0; s->keeper < n; s->keeper++)
		if (fl_sink_can_hold(sinks[s->keeper]))
			break;
	s->base.ops = s->keeper < n ? &fo_hold_ops : &fo_ops;
	return &s->base;
}
