/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_fleet.c - several daemons as one view: per-instance state, the
 * merged snapshot with an owner per index row, and index -> instance
 * routing (tui_fleet.h). Pure data: no curses, no I/O, one thread.
 */
#include "tui_fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"
#include "util/xmem.h"

int
fl_tui_fleet_split(char *list, char **out, size_t max)
{
	size_t n = 0;
	char *p = list;

	for (;;) {
		char *end = strchr(p, ','), *w = p, *e;

		if (end)
			*end = '\0';
		while (*w == ' ' || *w == '\t')
			w++;
		e = w + strlen(w);
		while (e > w && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*w) {
			if (n == max)
				return -1;
			out[n++] = w;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return (int)n;
}

void
fl_tui_fleet_init(struct fl_tui_fleet *f, const char *const *addrs, size_t n)
{
	size_t k;

	memset(f, 0, sizeof(*f));
	f->n = n > FL_TUI_FLEET_MAX ? FL_TUI_FLEET_MAX : n;
	for (k = 0; k < f->n; k++) {
		struct fl_tui_fleet_inst *in = &f->inst[k];

		fl_str_copy(in->addr, sizeof(in->addr), addrs[k]);
		fl_str_copy(in->why, sizeof(in->why), "connecting");
		fl_str_copy(in->role, sizeof(in->role), "active");
		in->st = fl_xcalloc(1, sizeof(*in->st));
		in->m = fl_xmalloc(sizeof(*in->m));
		fl_tui_model_init(in->m);
	}
}

void
fl_tui_fleet_done(struct fl_tui_fleet *f)
{
	size_t k;

	for (k = 0; k < f->n; k++) {
		free(f->inst[k].st);
		free(f->inst[k].m);
	}
	f->n = 0;
}

void
fl_tui_fleet_update(struct fl_tui_fleet *f, size_t k, int reachable,
                    const char *why, const struct fl_status *st,
                    const char *role, const char *group, double t,
                    int64_t now_us)
{
	struct fl_tui_fleet_inst *in;

	if (k >= f->n)
		return;
	in = &f->inst[k];
	in->reachable = reachable;
	if (!reachable) {
		fl_str_copy(in->why, sizeof(in->why),
		            why && *why ? why : "unreachable");
		if (!in->down_since_us)
			in->down_since_us = now_us;
		return;
	}
	in->why[0] = '\0';
	in->down_since_us = 0;
	fl_str_copy(in->role, sizeof(in->role),
	            role && *role ? role : "active");
	fl_str_copy(in->group, sizeof(in->group), group ? group : "");
	memcpy(in->st, st, sizeof(*in->st));
	/* sample only new documents, so rates see real deltas */
	if (!in->have_data || st->seq != in->last_seq)
		fl_tui_model_add(in->m, in->st, t);
	in->last_seq = st->seq;
	in->have_data = 1;
}

/* "[addr] text" into out[n], cut to fit. */
static void
fleet_label(char *out, size_t n, const char *addr, const char *text)
{
	const char *parts[4] = { "[", addr, "] ", text };
	size_t len = 0, i, k;

	for (i = 0; i < 4; i++)
		for (k = 0; parts[i][k] && len + 1 < n; k++)
			out[len++] = parts[i][k];
	out[len] = '\0';
}

/* Larger is worse: what the merged phase shows. */
static int
fleet_phase_rank(enum fl_phase p)
{
	switch (p) {
	case FL_PHASE_ERROR:
		return 7;
	case FL_PHASE_STOPPED:
		return 6;
	case FL_PHASE_STOPPING:
		return 5;
	case FL_PHASE_WAITING:
		return 4;
	case FL_PHASE_STARTING:
		return 3;
	case FL_PHASE_BACKFILLING:
		return 2;
	case FL_PHASE_PAUSED:
		return 1;
	default:
		return 0;
	}
}

/* Each instance's events, newest last, into one ring by time. */
static void
fleet_merge_events(const struct fl_tui_fleet *f, struct fl_status *out)
{
	size_t pos[FL_TUI_FLEET_MAX] = { 0 }, k;

	out->ev_head = 0;
	out->ev_n = 0;
	for (;;) {
		const struct fl_status_event *best = NULL;
		size_t bk = 0;
		struct fl_status_event *e;

		for (k = 0; k < f->n; k++) {
			const struct fl_status *s = f->inst[k].st;
			const struct fl_status_event *c;

			if (!f->inst[k].reachable || pos[k] >= s->ev_n)
				continue;
			c = &s->events[(s->ev_head + pos[k]) %
			               FL_STATUS_EVENTS];
			if (!best || c->ts_us < best->ts_us) {
				best = c;
				bk = k;
			}
		}
		if (!best)
			break;
		pos[bk]++;
		if (out->ev_n == FL_STATUS_EVENTS) { /* drop the oldest */
			out->ev_head = (out->ev_head + 1) % FL_STATUS_EVENTS;
			out->ev_n--;
		}
		e = &out->events[(out->ev_head + out->ev_n) % FL_STATUS_EVENTS];
		out->ev_n++;
		*e = *best;
		fleet_label(e->msg, sizeof(e->msg), f->inst[bk].addr,
		            best->msg);
	}
}

static void
fleet_merge_quarantine(const struct fl_tui_fleet *f, struct fl_status *out)
{
	size_t k, i;

	out->q_head = 0;
	out->q_n = 0;
	for (k = 0; k < f->n; k++) {
		const struct fl_status *s = f->inst[k].st;

		if (!f->inst[k].reachable)
			continue;
		for (i = 0; i < s->q_n && out->q_n < FL_STATUS_QUARANTINE; i++)
			out->quarantine[out->q_n++] =
			    s->quarantine[(s->q_head + i) %
			                  FL_STATUS_QUARANTINE];
	}
}

/* Add instance s's counters and index rows into out. */
static void
fleet_merge_one(struct fl_tui_fleet *f, int k, const struct fl_status *s,
                struct fl_status *out)
{
	size_t i;

	out->seq += s->seq;
	out->changes_captured += s->changes_captured;
	out->changes_committed += s->changes_committed;
	out->documents_built += s->documents_built;
	out->documents_quarantined += s->documents_quarantined;
	out->batches += s->batches;
	out->errors += s->errors;
	out->untracked_changes += s->untracked_changes;
	out->in_flight += s->in_flight;
	out->queue_depth += s->queue_depth;
	out->queue_capacity += s->queue_capacity;
	if (s->lag_known && (!out->lag_known || s->lag_bytes > out->lag_bytes))
		out->lag_bytes = s->lag_bytes;
	if (s->lag_known && s->lag_seconds > out->lag_seconds)
		out->lag_seconds = s->lag_seconds;
	out->lag_known |= s->lag_known;
	if (fleet_phase_rank(s->phase) > fleet_phase_rank(out->phase))
		out->phase = s->phase;
	if (!out->started_us ||
	    (s->started_us && s->started_us < out->started_us))
		out->started_us = s->started_us;
	if (!out->waiting_for[0])
		memcpy(out->waiting_for, s->waiting_for,
		       sizeof(out->waiting_for));
	if (!out->last_error[0] && s->last_error[0])
		fleet_label(out->last_error, sizeof(out->last_error),
		            f->inst[k].addr, s->last_error);
	for (i = 0; i < s->nindexes; i++) {
		struct fl_status_index *x;

		if (out->nindexes == FL_MAX_INDEXES) {
			f->dropped++;
			continue;
		}
		f->owner[out->nindexes] = k;
		x = &out->indexes[out->nindexes++];
		*x = s->indexes[i];
		if (s->paused && x->enabled)
			x->paused = 1; /* the instance is paused as a whole */
	}
}

size_t
fl_tui_fleet_merge(struct fl_tui_fleet *f, struct fl_status *out)
{
	size_t k, up = 0;
	int first = -1;

	memset(out, 0, sizeof(*out));
	f->dropped = 0;
	out->phase = FL_PHASE_LIVE;
	for (k = 0; k < f->n; k++) {
		if (!f->inst[k].reachable)
			continue;
		if (first < 0)
			first = (int)k;
		fleet_merge_one(f, (int)k, f->inst[k].st, out);
		up++;
	}
	if (first >= 0) {
		const struct fl_status *s = f->inst[first].st;

		memcpy(out->version, s->version, sizeof(out->version));
		memcpy(out->repl_state, s->repl_state, sizeof(out->repl_state));
		memcpy(out->cfg_prefix, s->cfg_prefix, sizeof(out->cfg_prefix));
	} else {
		out->phase = FL_PHASE_STARTING;
	}
	fleet_merge_events(f, out);
	fleet_merge_quarantine(f, out);
	return up;
}

static int
fleet_lists(const struct fl_status *s, const char *index)
{
	size_t i;

	for (i = 0; i < s->nindexes; i++)
		if (strcmp(s->indexes[i].name, index) == 0)
			return 1;
	return 0;
}

int
fl_tui_fleet_route(const struct fl_tui_fleet *f, const char *index, char *msg,
                   size_t n)
{
	int best = -1, best_rank = -1, down = -1;
	size_t k;

	for (k = 0; k < f->n; k++) {
		const struct fl_tui_fleet_inst *in = &f->inst[k];
		int rank;

		if (!in->have_data || !fleet_lists(in->st, index))
			continue;
		if (!in->reachable) {
			if (down < 0)
				down = (int)k;
			continue;
		}
		rank = strcmp(in->role, "active") == 0 ? 1 : 0;
		if (rank > best_rank) {
			best = (int)k;
			best_rank = rank;
		}
	}
	if (best >= 0)
		return best;
	if (down >= 0)
		snprintf(msg, n,
		         "index `%s` is on %s, which is unreachable: %s", index,
		         f->inst[down].addr, f->inst[down].why);
	else
		snprintf(msg, n, "no instance lists index `%s`", index);
	return -1;
}

size_t
fl_tui_fleet_down(const struct fl_tui_fleet *f)
{
	size_t k, d = 0;

	for (k = 0; k < f->n; k++)
		d += !f->inst[k].reachable;
	return d;
}
