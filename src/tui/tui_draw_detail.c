/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_draw_detail.c - one index in full (Enter on a row, Esc back):
 * state and backfill progress, generations, hash and alias, documents
 * stored and written, docs/s over time, untracked tables, superseded
 * aliases, orphans, its recent errors and its quarantine list.
 * Everything comes from the snapshot. (Its keys `i` and `x` ask on the
 * prompt row: tui_keys.c.)
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "tui_fmt.h"
#include "tui_int.h"
#include "util/log.h"

struct tui_lines {
	struct tui *t;
	int y, end;
};

static void tui_line(struct tui_lines *l, enum tui_sem sem, const char *fmt,
                     ...) FL_PRINTF(3, 4);

static void
tui_line(struct tui_lines *l, enum tui_sem sem, const char *fmt, ...)
{
	char s[512];
	va_list ap;

	if (l->y >= l->end)
		return;
	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	attron(tui_attr(l->t, sem));
	tui_put(l->y++, 1, COLS - 2, s);
	attroff(tui_attr(l->t, sem));
}

static void
tui_detail_lists(struct tui_lines *l, const struct fl_status_index *x)
{
	size_t i;

	for (i = 0; i < x->nuntracked && i < FL_STATUS_LIST; i++)
		tui_line(l, TUI_WARN, "untracked table  %s", x->untracked[i]);
	for (i = 0; i < x->nsuperseded && i < FL_STATUS_LIST; i++)
		tui_line(l, TUI_NORMAL, "superseded       %s (gc %s)",
		         x->superseded[i], x->name);
	tui_line(l, TUI_NORMAL, "orphans          %zu generation%s",
	         x->norphans, x->norphans == 1 ? "" : "s");
	if (x->last_error[0])
		tui_line(l, TUI_ERROR, "last error       %s", x->last_error);
}

static void
tui_detail_events(struct tui_lines *l, const struct fl_status *st,
                  const char *name)
{
	char ts[16];
	size_t i, k;

	tui_line(l, TUI_NORMAL, "%s", "");
	tui_line(l, TUI_NORMAL, "recent errors and warnings:");
	for (k = 0; k < st->ev_n; k++) {
		const struct fl_status_event *e =
		    &st->events[(st->ev_head + st->ev_n - 1 - k) %
		                FL_STATUS_EVENTS];

		if (e->level > FL_LOG_WARN || !strstr(e->msg, name))
			continue;
		fl_tui_fmt_clock(e->ts_us, ts, sizeof(ts));
		tui_line(l, tui_level_sem(e->level), "  %s %s", ts, e->msg);
	}
	tui_line(l, TUI_NORMAL, "quarantined documents:");
	for (i = st->q_n; i-- > 0;) {
		const struct fl_status_quarantine *q =
		    &st->quarantine[(st->q_head + i) % FL_STATUS_QUARANTINE];

		if (strcmp(q->index, name) != 0)
			continue;
		fl_tui_fmt_clock(q->ts_us, ts, sizeof(ts));
		tui_line(l, TUI_WARN, "  %s %s: %s", ts, q->id, q->reason);
	}
}

void
tui_draw_detail(struct tui *t, int y, int rows)
{
	struct tui_lines l = { t, y + 1, y + rows };
	const struct fl_status_index *x;
	char state[96], docs[32], stored[32], rate[16], spark[256], title[96];
	enum tui_sem sem;

	if (t->sel < 0 || (size_t)t->sel >= t->st->nindexes) {
		t->view = TUI_VIEW_MAIN;
		return;
	}
	x = &t->st->indexes[t->sel];
	snprintf(title, sizeof(title), "INDEX %s", x->name);
	tui_bar(t, y, title);
	tui_ix_state(t, (size_t)t->sel, state, sizeof(state), &sem);
	tui_line(&l, sem, "state            %s%s", state,
	         x->enabled ? "" : " (disabled in flusso.yml)");
	if (x->backfill_active)
		tui_line(&l, TUI_NORMAL, "backfill         %lld of %lld rows",
		         (long long)x->rows_done, (long long)x->rows_estimate);
	tui_line(&l, TUI_NORMAL, "generation       serving %ld, building %ld",
	         x->serving_generation, x->building_generation);
	tui_line(&l, TUI_NORMAL, "hash             %s   alias %s",
	         x->hash[0] ? x->hash : "?",
	         x->hash_alias[0] ? x->hash_alias : "?");
	if (x->stored >= 0)
		fl_tui_fmt_grouped((uint64_t)x->stored, stored, sizeof(stored));
	else
		snprintf(stored, sizeof(stored), "unknown");
	fl_tui_fmt_grouped(x->documents_built, docs, sizeof(docs));
	fl_tui_fmt_count(t->m->ix_docs_ps[t->sel], rate, sizeof(rate));
	fl_tui_fmt_spark(t->m->ix_rate[t->sel], t->m->nspark, 60, t->ascii,
	                 spark, sizeof(spark));
	tui_line(&l, TUI_NORMAL,
	         "documents        stored %s   written %s since start", stored,
	         docs);
	tui_line(&l, TUI_NORMAL, "docs/s           %s %s", rate, spark);
	tui_line(&l, x->quarantined ? TUI_WARN : TUI_NORMAL,
	         "quarantined      %llu   policy on_error=%s",
	         (unsigned long long)x->quarantined,
	         x->policy_skip ? "skip" : "stop");
	tui_line(&l, x->covered ? TUI_NORMAL : TUI_WARN,
	         "publication      %s%s",
	         x->covered ? "covers every table" : "NOT covering every table",
	         x->settings_drift ? "   settings drift" : "");
	tui_detail_lists(&l, x);
	tui_detail_events(&l, t->st, x->name);
}
