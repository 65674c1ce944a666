/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_tui_fleet.c - the fleet view's model (tui_fleet.c): address lists,
 * merging instances into one index table with an owner per row,
 * reachability with since when, and routing an index to an instance
 * (the active one first, unreachable ones refused with the reason).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tui_fleet.h"
#include "util/xmem.h"

static void
add_ix(struct fl_status *st, const char *name)
{
	struct fl_status_index *x = &st->indexes[st->nindexes++];

	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->enabled = 1;
}

static void
add_ev(struct fl_status *st, int64_t ts, const char *msg)
{
	struct fl_status_event *e = &st->events[st->ev_n++];

	e->ts_us = ts;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

int
main(void)
{
	const char *addrs[] = { "a:1", "b:2", "c:3" };
	struct fl_tui_fleet f;
	struct fl_status *a = fl_xcalloc(1, sizeof(*a));
	struct fl_status *b = fl_xcalloc(1, sizeof(*b));
	struct fl_status *c = fl_xcalloc(1, sizeof(*c));
	struct fl_status *m = fl_xcalloc(1, sizeof(*m));
	char list[] = " a:1, b:2 ,,c:3 ", *w[4], msg[300];
	char many[] = "1,2,3";

	ok(fl_tui_fleet_split(list, w, 4) == 3 && !strcmp(w[0], "a:1") &&
	       !strcmp(w[1], "b:2") && !strcmp(w[2], "c:3"),
	   "split trims and skips empty words");
	ok(fl_tui_fleet_split(many, w, 2) == -1, "split: too many");

	fl_tui_fleet_init(&f, addrs, 3);
	ok(f.n == 3 && !strcmp(f.inst[1].why, "connecting") &&
	       !f.inst[1].reachable,
	   "instances start connecting");

	a->phase = FL_PHASE_LIVE;
	a->seq = 1;
	a->changes_committed = 10;
	a->errors = 1;
	add_ix(a, "users");
	add_ix(a, "products");
	add_ev(a, 100, "a first");
	add_ev(a, 300, "a third");
	b->phase = FL_PHASE_LIVE;
	b->seq = 1;
	b->paused = 1; /* globally: its rows show paused */
	b->changes_committed = 5;
	b->errors = 2;
	add_ix(b, "orders");
	add_ev(b, 200, "b second");
	c->phase = FL_PHASE_LIVE;
	c->seq = 1;
	add_ix(c, "orders"); /* a standby listing the same index */
	fl_tui_fleet_update(&f, 0, 1, "", a, NULL, NULL, 1.0, 1000);
	fl_tui_fleet_update(&f, 1, 1, "", b, "", "", 1.0, 1000);
	fl_tui_fleet_update(&f, 2, 1, "", c, "standby", "g1", 1.0, 1000);
	ok(!strcmp(f.inst[0].role, "active") &&
	       !strcmp(f.inst[2].role, "standby") &&
	       !strcmp(f.inst[2].group, "g1") && f.inst[0].group[0] == 0,
	   "a missing role is active, a missing group empty");

	ok(fl_tui_fleet_merge(&f, m) == 3, "merge: three reachable");
	ok(m->nindexes == 4, "merge: every instance's rows");
	ok(!strcmp(m->indexes[2].name, "orders") && f.owner[0] == 0 &&
	       f.owner[1] == 0 && f.owner[2] == 1 && f.owner[3] == 2,
	   "merge: each row's owner");
	ok(m->indexes[2].paused && !m->indexes[0].paused,
	   "merge: a paused instance's rows are paused");
	ok(m->changes_committed == 15 && m->errors == 3,
	   "merge: counters summed");
	ok(m->ev_n == 3 && !strcmp(m->events[0].msg, "[a:1] a first") &&
	       !strcmp(m->events[1].msg, "[b:2] b second") &&
	       !strcmp(m->events[2].msg, "[a:1] a third"),
	   "merge: events by time, named by instance");

	ok(fl_tui_fleet_route(&f, "users", msg, sizeof(msg)) == 0,
	   "route: users to A");
	ok(fl_tui_fleet_route(&f, "orders", msg, sizeof(msg)) == 1,
	   "route: orders to the active B, not the standby C");
	ok(fl_tui_fleet_route(&f, "nosuch", msg, sizeof(msg)) == -1 &&
	       strstr(msg, "no instance lists index `nosuch`"),
	   "route: an index nobody lists");

	/* B goes down: its rows leave the table, orders goes to C */
	fl_tui_fleet_update(&f, 1, 0, "connection refused", NULL, NULL, NULL,
	                    2.0, 5000);
	ok(!f.inst[1].reachable && f.inst[1].down_since_us == 5000 &&
	       !strcmp(f.inst[1].why, "connection refused"),
	   "down: the reason and since when");
	fl_tui_fleet_update(&f, 1, 0, "still refused", NULL, NULL, NULL, 3.0,
	                    9000);
	ok(f.inst[1].down_since_us == 5000, "down: since the first failure");
	ok(fl_tui_fleet_down(&f) == 1, "one down");
	ok(fl_tui_fleet_merge(&f, m) == 2 && m->nindexes == 3 &&
	       f.owner[2] == 2,
	   "merge: a down instance's rows are left out");
	ok(fl_tui_fleet_route(&f, "orders", msg, sizeof(msg)) == 2,
	   "route: the reachable standby when the active one is down");
	fl_tui_fleet_update(&f, 2, 0, "timeout", NULL, NULL, NULL, 3.0, 9000);
	ok(fl_tui_fleet_route(&f, "orders", msg, sizeof(msg)) == -1 &&
	       strstr(msg, "`orders` is on b:2, which is unreachable"),
	   "route: every instance listing it down is an error");
	ok(fl_tui_fleet_route(&f, "users", msg, sizeof(msg)) == 0,
	   "route: the others still route");

	/* back up */
	b->paused = 0;
	b->seq = 2;
	fl_tui_fleet_update(&f, 1, 1, "", b, "active", NULL, 4.0, 10000);
	ok(f.inst[1].reachable && f.inst[1].down_since_us == 0 &&
	       f.inst[1].why[0] == 0,
	   "up again: reason and since cleared");
	ok(fl_tui_fleet_merge(&f, m) == 2 && !m->indexes[2].paused,
	   "merge: resumed rows");

	/* nobody reachable */
	fl_tui_fleet_update(&f, 0, 0, "x", NULL, NULL, NULL, 5.0, 11000);
	fl_tui_fleet_update(&f, 1, 0, "x", NULL, NULL, NULL, 5.0, 11000);
	ok(fl_tui_fleet_merge(&f, m) == 0 && m->nindexes == 0,
	   "merge: nothing reachable, no rows");
	ok(fl_tui_fleet_down(&f) == 3, "three down");

	fl_tui_fleet_done(&f);
	free(a);
	free(b);
	free(c);
	free(m);
	return tap_done();
}
