/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_draw_table.c - the index table: one row per index (filtered),
 * name, state with backfill % and ETA, generation (serving -> building),
 * documents, docs/s, quarantined, policy, notes and last error; the
 * selected row in reverse video.
 */
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "tui_fmt.h"
#include "tui_int.h"

#define COL_NAME   0
#define COL_STATE  15
#define COL_GEN    34
#define COL_DOCS   41
#define COL_RATE   52
#define COL_QUAR   60
#define COL_POLICY 66
#define COL_NOTES  73

void
tui_ix_state(const struct tui *t, size_t i, char *out, size_t n,
             enum tui_sem *sem)
{
	const struct fl_status_index *x = &t->st->indexes[i];
	double pct = fl_tui_backfill_pct(x);
	char eta[32];

	*sem = TUI_NORMAL;
	if (x->paused || (t->st->paused && x->enabled)) {
		*sem = TUI_PAUSED;
		snprintf(out, n, "paused");
		return;
	}
	if (x->state == FL_IX_STOPPED || x->state == FL_IX_DRIFT) {
		*sem = TUI_ERROR;
		snprintf(out, n, "%s", fl_ixstate_name(x->state));
		return;
	}
	if (x->last_error[0] && t->st->phase == FL_PHASE_ERROR) {
		*sem = TUI_ERROR;
		snprintf(out, n, "error");
		return;
	}
	switch (x->state) {
	case FL_IX_BACKFILLING:
	case FL_IX_REBUILDING:
		*sem = TUI_WARN;
		fl_tui_fmt_duration(t->m->ix_eta[i], t->ascii, eta,
		                    sizeof(eta));
		if (pct >= 0)
			snprintf(out, n, "%s %.0f%% %s",
			         fl_ixstate_name(x->state), pct, eta);
		else
			snprintf(out, n, "%s ?", fl_ixstate_name(x->state));
		return;
	case FL_IX_LIVE:
		*sem = TUI_OK;
		break;
	case FL_IX_DISABLED:
	case FL_IX_SKIPPED:
		*sem = TUI_DIM;
		break;
	default:
		break;
	}
	snprintf(out, n, "%s", fl_ixstate_name(x->state));
}

static void
tui_ix_notes(const struct fl_status_index *x, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
#define NOTE(...)                                                              \
	do {                                                                   \
		if (len < n)                                                   \
			len +=                                                 \
			    (size_t)snprintf(out + len, n - len, __VA_ARGS__); \
	} while (0)
	if (x->pending > 0)
		NOTE("%s:%lld ", x->draining ? "draining" : "pending",
		     x->pending);
	if (x->nuntracked)
		NOTE("untracked:%zu ", x->nuntracked);
	if (!x->covered && x->enabled)
		NOTE("not covered ");
	if (x->settings_drift)
		NOTE("drift ");
	if (x->nsuperseded)
		NOTE("superseded:%zu ", x->nsuperseded);
	if (x->norphans)
		NOTE("orphans:%zu ", x->norphans);
	if (x->last_error[0])
		NOTE("%s", x->last_error);
#undef NOTE
}

static void
tui_table_row(struct tui *t, int y, size_t i)
{
	const struct fl_status_index *x = &t->st->indexes[i];
	char s[256], v[64];
	enum tui_sem sem;
	int sel = (int)i == t->sel && t->view == TUI_VIEW_MAIN;

	if (sel) {
		attron(A_REVERSE);
		mvhline(y, 0, ' ', COLS);
	}
	tui_put(y, COL_NAME, COL_STATE - 1, x->name);
	tui_ix_state(t, i, s, sizeof(s), &sem);
	attron(tui_attr(t, sem));
	tui_put(y, COL_STATE, COL_GEN - COL_STATE - 1, s);
	attroff(tui_attr(t, sem));
	if (sel)
		attron(A_REVERSE);
	if (x->building_generation &&
	    x->building_generation != x->serving_generation)
		snprintf(s, sizeof(s), "%ld%s%ld", x->serving_generation,
		         t->ascii ? ">" : "\u2192", x->building_generation);
	else
		snprintf(s, sizeof(s), "%ld", x->serving_generation);
	tui_put(y, COL_GEN, COL_DOCS - COL_GEN - 1, s);
	fl_tui_fmt_grouped(x->documents_built, v, sizeof(v));
	snprintf(s, sizeof(s), "%10s", v);
	tui_put(y, COL_DOCS, COL_RATE - COL_DOCS - 1, s);
	fl_tui_fmt_count(t->m->ix_docs_ps[i], v, sizeof(v));
	snprintf(s, sizeof(s), "%7s", v);
	tui_put(y, COL_RATE, COL_QUAR - COL_RATE - 1, s);
	snprintf(s, sizeof(s), "%5llu", (unsigned long long)x->quarantined);
	if (x->quarantined && !sel)
		attron(tui_attr(t, TUI_WARN));
	tui_put(y, COL_QUAR, COL_POLICY - COL_QUAR - 1, s);
	if (x->quarantined && !sel)
		attroff(tui_attr(t, TUI_WARN));
	tui_put(y, COL_POLICY, COL_NOTES - COL_POLICY - 1,
	        x->policy_skip ? "skip" : "stop");
	tui_ix_notes(x, s, sizeof(s));
	tui_put(y, COL_NOTES, COLS - COL_NOTES, s);
	attroff(A_REVERSE);
}

static void
tui_table_head(struct tui *t, int y)
{
	tui_bar(t, y, NULL);
	attron(A_BOLD);
	mvaddstr(y, COL_NAME + 1, " INDEX ");
	mvaddstr(y, COL_STATE, " STATE ");
	mvaddstr(y, COL_GEN, " GEN ");
	mvaddstr(y, COL_DOCS + 5, " DOCS ");
	mvaddstr(y, COL_RATE + 1, " DOCS/S");
	mvaddstr(y, COL_QUAR, " QUAR ");
	mvaddstr(y, COL_POLICY, " POLICY");
	mvaddstr(y, COL_NOTES, " NOTES ");
	if (t->filter[0]) {
		char f[160];

		snprintf(f, sizeof(f), " filter /%s ", t->filter);
		tui_put(y, COLS - fl_tui_width(f) - 2, COLS, f);
	}
	attroff(A_BOLD);
}

/* Draw the table in at most `rows` rows; returns the rows used. */
int
tui_draw_table(struct tui *t, int y, int rows)
{
	size_t i, nvis = 0;
	int r = 0, pos = 0, selpos = 0, body;

	tui_table_head(t, y);
	for (i = 0; i < t->st->nindexes; i++)
		if (tui_row_visible(t, &t->st->indexes[i])) {
			if ((int)i == t->sel)
				selpos = (int)nvis;
			nvis++;
		}
	body = (int)nvis < rows - 1 ? (int)nvis : rows - 1;
	body = body < 1 ? 1 : body;
	if (selpos < t->table_top)
		t->table_top = selpos;
	if (selpos >= t->table_top + body)
		t->table_top = selpos - body + 1;
	if (nvis == 0)
		tui_put(y + 1, 1, COLS - 1,
		        t->have_data ? "(no index matches the filter)"
		                     : "(waiting for the first status)");
	for (i = 0; i < t->st->nindexes && r < body; i++) {
		if (!tui_row_visible(t, &t->st->indexes[i]))
			continue;
		if (pos++ < t->table_top)
			continue;
		tui_table_row(t, y + 1 + r++, i);
	}
	return 1 + body;
}
