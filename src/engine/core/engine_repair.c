/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_repair.c - `repair INDEX ID...`: the listed documents rebuilt
 * through the live path (issue 17).
 *
 * DESIGN
 *   Each id goes to its owning worker exactly like a drained pending id
 *   (ENG_ITEM_DRAIN on the worker's seed queue): built by the same
 *   statement, written with the WAL position read before building as
 *   its version, deduplicated with live ids of the same batch, pended
 *   instead of written while the index is held. The ids share one page
 *   (eng_dpage) whose reference count reaches zero when the last one is
 *   flushed or dropped; the control thread keeps the command and
 *   answers it then (eng_repairs_reap), so `flusso repair` returns once
 *   the documents are durable. Nothing is stored: a repair cut short
 *   by a stop answers 503 and is simply run again.
 *   The control thread never waits for a queue: ids are pushed without
 *   waiting, and those a full queue refused (a backfill fills it, a
 *   global pause stops the workers) are pushed again on the next ticks;
 *   the page's last reference is released once all are in.
 *   Threads: the command and the reaping on the control thread; the
 *   page's counters are atomic (workers release them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

struct eng_repair {
	struct eng_dpage *p;
	struct eng_cmd *c;
	int ix;
	int held;      /* the index was held: the ids went to its pending set */
	size_t pushed; /* ids handed to their workers so far */
	int released;  /* the page's own reference is given up */
	struct eng_repair *next;
};

/* Push the ids not pushed yet, without waiting; once all are in (or
 * the engine stops: the rest are dropped), release the page's own
 * reference. */
static void
repair_push(struct fl_engine *e, struct eng_repair *r)
{
	struct eng_dpage *p = r->p;

	while (r->pushed < p->ids.n) {
		const char *key = p->ids.v[r->pushed].key;
		struct eng_item *it = eng_item_new(ENG_ITEM_DRAIN, r->ix, key);
		int rc;

		it->dp = p;
		rc = atomic_load(&e->stop)
		         ? -1
		         : fl_queue_push(e->w[eng_owner(e, r->ix, key)].seed,
		                         it, 0);
		if (rc == 0) {
			r->pushed++;
			continue;
		}
		it->dp = NULL; /* not counted: dropped below, or pushed later */
		eng_item_free(it);
		if (rc > 0)
			return; /* full: the next tick */
		for (; r->pushed < p->ids.n; r->pushed++)
			eng_dpage_drop(p);
		break;
	}
	eng_dpage_release(p);
	r->released = 1;
}

static void
repair_free(struct eng_repair *r)
{
	fl_pending_page_done(&r->p->ids);
	free(r->p);
	free(r);
}

void
eng_cmd_repair(struct fl_engine *e, struct eng_cmd *c, int ix)
{
	struct eng_repair *r;
	struct eng_dpage *p;
	size_t i;

	if (c->nids == 0) {
		eng_reply(e, c, 400, "repair: no ids given");
		return;
	}
	if (!atomic_load(&e->ix[ix].ensured)) {
		eng_reply(e, c, 409,
		          "%s is not ready (its index is not set "
		          "up yet)",
		          c->index);
		return;
	}
	p = fl_xcalloc(1, sizeof(*p));
	p->ids.v = fl_xcalloc(c->nids, sizeof(*p->ids.v));
	for (i = 0; i < c->nids; i++)
		p->ids.v[i].key = fl_xstrdup(c->ids[i]);
	p->ids.n = c->nids;
	atomic_init(&p->refs, (unsigned)p->ids.n + 1);
	r = fl_xcalloc(1, sizeof(*r));
	r->p = p;
	r->c = c;
	r->ix = ix;
	r->held = atomic_load(&e->ix[ix].hold) != FL_HOLD_NONE;
	if (fl_log_enabled(FL_LOG_TRACE) && fl_log_trace_wants(c->index, NULL))
		for (i = 0; i < p->ids.n; i++)
			fl_log(FL_LOG_TRACE, "repair", "index=%s id=%s queued",
			       c->index, p->ids.v[i].key);
	repair_push(e, r);
	r->next = e->repairs;
	e->repairs = r;
	fl_log_info("engine", "repair of %zu id%s of %s queued", p->ids.n,
	            p->ids.n == 1 ? "" : "s", c->index);
}

/* Answer one finished repair. */
static void
repair_answer(struct fl_engine *e, struct eng_repair *r)
{
	size_t n = r->p->ids.n;
	char name[sizeof(r->c->index)];

	/* the command belongs to its poster once answered */
	fl_str_copy(name, sizeof(name), r->c->index);

	if (atomic_load(&r->p->dropped))
		eng_reply(
		    e, r->c, 503,
		    "repair of %s was cut short (stopping or restarting); "
		    "run it again",
		    name);
	else if (r->held)
		eng_reply(e, r->c, 202,
		          "%s is held: %zu id%s kept as pending ids, applied "
		          "when it is resumed or retried",
		          name, n, n == 1 ? "" : "s");
	else
		eng_reply(e, r->c, 200,
		          "repaired %zu document%s of %s (built and written "
		          "like a live change)",
		          n, n == 1 ? "" : "s", name);
	fl_board_event(e->board, FL_LOG_INFO, "%s: repair of %zu id%s done",
	               name, n, n == 1 ? "" : "s");
}

void
eng_repairs_reap(struct fl_engine *e)
{
	struct eng_repair **pp = &e->repairs;

	while (*pp) {
		struct eng_repair *r = *pp;

		if (!r->released)
			repair_push(e, r);
		if (!atomic_load(&r->p->done)) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		repair_answer(e, r);
		repair_free(r);
	}
}

void
eng_repairs_end(struct fl_engine *e)
{
	while (e->repairs) {
		struct eng_repair *r = e->repairs;

		e->repairs = r->next;
		if (!atomic_load(&r->p->done))
			atomic_store(&r->p->dropped, 1); /* never flushed */
		repair_answer(e, r);
		repair_free(r);
	}
}
