/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_draw_table.c - the index table: one row per index (filtered,
 * sorted by the chosen column), name, state with backfill % and ETA,
 * generation (serving -> building), documents STORED (the alias's
 * count) and WRITTEN (since start), docs/s, quarantined, policy, notes
 * and last error; the selected row in reverse video, the sort column
 * marked in the header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "tui_fmt.h"
#include "tui_int.h"

/* Where each column is: x, width, right-aligned, and the direction it
 * sorts in first (trouble and big numbers on top, names A-Z). */
struct tui_colspec {
	const char *title;
	int x, w, right, desc;
};

static const struct tui_colspec tui_cols[TUI_NCOLS] = {
	[TUI_COL_NAME] = { "INDEX", 0, 13, 0, 0 },
	[TUI_COL_STATE] = { "STATE", 14, 18, 0, 1 },
	[TUI_COL_GEN] = { "GEN", 33, 5, 0, 1 },
	[TUI_COL_STORED] = { "STORED", 39, 10, 1, 1 },
	[TUI_COL_WRITTEN] = { "WRITTEN", 50, 10, 1, 1 },
	[TUI_COL_RATE] = { "DOCS/S", 61, 6, 1, 1 },
	[TUI_COL_QUAR] = { "QUAR", 68, 4, 1, 1 },
	[TUI_COL_POLICY] = { "POLICY", 73, 6, 0, 0 },
};

#define COL_NOTES 80

/* The fleet view: the same columns narrower, after INDEX the INSTANCE
 * the row comes from (not a sort column); POLICY and NOTES from 81
 * columns on. */
static const struct tui_colspec tui_fleet_cols[TUI_NCOLS] = {
	[TUI_COL_NAME] = { "INDEX", 0, 12, 0, 0 },
	[TUI_COL_STATE] = { "STATE", 29, 14, 0, 1 },
	[TUI_COL_GEN] = { "GEN", 44, 4, 0, 1 },
	[TUI_COL_STORED] = { "STORED", 49, 9, 1, 1 },
	[TUI_COL_WRITTEN] = { "WRITTEN", 59, 9, 1, 1 },
	[TUI_COL_RATE] = { "DOCS/S", 69, 6, 1, 1 },
	[TUI_COL_QUAR] = { "QUAR", 76, 4, 1, 1 },
	[TUI_COL_POLICY] = { "POLICY", 81, 6, 0, 0 },
};

#define COL_FLEET_INSTANCE 13 /* 15 wide */
#define COL_FLEET_NOTES    88

static const struct tui_colspec *
tui_layout(const struct tui *t)
{
	return t->fleet ? tui_fleet_cols : tui_cols;
}

static int
tui_notes_x(const struct tui *t)
{
	return t->fleet ? COL_FLEET_NOTES : COL_NOTES;
}

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
tui_cell(const struct tui *t, int y, enum tui_col c, const char *s)
{
	const struct tui_colspec *cols = tui_layout(t);
	char v[64];

	if (cols[c].right) {
		snprintf(v, sizeof(v), "%*.*s", cols[c].w, 63, s);
		s = v;
	}
	tui_put(y, cols[c].x, cols[c].w, s);
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
	tui_cell(t, y, TUI_COL_NAME, x->name);
	if (t->fleet)
		tui_put(y, COL_FLEET_INSTANCE, 15,
		        t->fleet->inst[t->fleet->owner[i]].addr);
	tui_ix_state(t, i, s, sizeof(s), &sem);
	attron(tui_attr(t, sem));
	tui_cell(t, y, TUI_COL_STATE, s);
	attroff(tui_attr(t, sem));
	if (sel)
		attron(A_REVERSE);
	if (x->building_generation &&
	    x->building_generation != x->serving_generation)
		snprintf(s, sizeof(s), "%ld%s%ld", x->serving_generation,
		         t->ascii ? ">" : "\u2192", x->building_generation);
	else
		snprintf(s, sizeof(s), "%ld", x->serving_generation);
	tui_cell(t, y, TUI_COL_GEN, s);
	if (x->stored >= 0)
		fl_tui_fmt_grouped((uint64_t)x->stored, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "%s", t->ascii ? "-" : "\u2014");
	tui_cell(t, y, TUI_COL_STORED, v);
	fl_tui_fmt_grouped(x->documents_built, v, sizeof(v));
	tui_cell(t, y, TUI_COL_WRITTEN, v);
	fl_tui_fmt_count(t->m->ix_docs_ps[i], v, sizeof(v));
	tui_cell(t, y, TUI_COL_RATE, v);
	snprintf(s, sizeof(s), "%llu", (unsigned long long)x->quarantined);
	if (x->quarantined && !sel)
		attron(tui_attr(t, TUI_WARN));
	tui_cell(t, y, TUI_COL_QUAR, s);
	if (x->quarantined && !sel)
		attroff(tui_attr(t, TUI_WARN));
	tui_cell(t, y, TUI_COL_POLICY, x->policy_skip ? "skip" : "stop");
	tui_ix_notes(x, s, sizeof(s));
	tui_put(y, tui_notes_x(t), COLS - tui_notes_x(t), s);
	attroff(A_REVERSE);
}

/* The header bar: each title in its column (right-aligned over
 * numbers), the sort column's with an arrow, then the filter. */
static void
tui_table_head(struct tui *t, int y)
{
	const struct tui_colspec *cols = tui_layout(t);
	int c, end = 0;

	tui_bar(t, y, NULL);
	attron(A_BOLD);
	if (t->fleet)
		mvaddstr(y, COL_FLEET_INSTANCE - 1, " INSTANCE ");
	for (c = 0; c < TUI_NCOLS; c++) {
		char lab[32];
		int w, x;

		snprintf(lab, sizeof(lab), "%s%s", cols[c].title,
		         c != t->sort_col ? ""
		         : t->ascii       ? (t->sort_desc ? "v" : "^")
		         : t->sort_desc   ? "\u25bc"
		                          : "\u25b2");
		w = fl_tui_width(lab);
		x = cols[c].right ? cols[c].x + cols[c].w - w
		                  : cols[c].x + (c == 0 ? 2 : 0);
		if (x - 1 >= end)
			mvaddstr(y, x - 1, " ");
		tui_put(y, x, w, lab);
		if (x + w < COLS)
			addstr(" ");
		end = x + w + 1;
	}
	if (tui_notes_x(t) + 8 < COLS)
		mvaddstr(y, tui_notes_x(t), " NOTES ");
	if (t->filter[0]) {
		char f[160];

		snprintf(f, sizeof(f), " filter /%s ", t->filter);
		tui_put(y, COLS - fl_tui_width(f) - 2, COLS, f);
	}
	attroff(A_BOLD);
}

/* ---- sorting ----------------------------------------------------------- */

/* Trouble first when sorting by state, largest first. */
static int
tui_state_rank(const struct tui *t, const struct fl_status_index *x)
{
	if (x->state == FL_IX_STOPPED || x->state == FL_IX_DRIFT ||
	    (x->last_error[0] && t->st->phase == FL_PHASE_ERROR))
		return 6;
	if (x->paused || (t->st->paused && x->enabled))
		return 5;
	switch (x->state) {
	case FL_IX_REBUILDING:
		return 4;
	case FL_IX_BACKFILLING:
		return 3;
	case FL_IX_PENDING:
		return 2;
	case FL_IX_LIVE:
		return 1;
	default:
		return 0;
	}
}

static int
tui_num_cmp(double a, double b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

/* Row i against row j in the sort column, ascending. */
static int
tui_row_cmp(const struct tui *t, size_t i, size_t j)
{
	const struct fl_status_index *a = &t->st->indexes[i],
	                             *b = &t->st->indexes[j];

	switch ((enum tui_col)t->sort_col) {
	case TUI_COL_NAME:
		return strcmp(a->name, b->name);
	case TUI_COL_STATE:
		return tui_state_rank(t, a) - tui_state_rank(t, b);
	case TUI_COL_GEN:
		return tui_num_cmp((double)a->serving_generation,
		                   (double)b->serving_generation);
	case TUI_COL_STORED:
		return tui_num_cmp((double)a->stored, (double)b->stored);
	case TUI_COL_WRITTEN:
		return tui_num_cmp((double)a->documents_built,
		                   (double)b->documents_built);
	case TUI_COL_RATE:
		return tui_num_cmp(t->m->ix_docs_ps[i], t->m->ix_docs_ps[j]);
	case TUI_COL_QUAR:
		return tui_num_cmp((double)a->quarantined,
		                   (double)b->quarantined);
	case TUI_COL_POLICY:
		return a->policy_skip - b->policy_skip;
	default:
		return 0;
	}
}

void
tui_sort_rows(struct tui *t)
{
	size_t n = t->st->nindexes, i, j;

	for (i = 0; i < n; i++)
		t->order[i] = i;
	if (t->sort_col < 0)
		return;
	for (i = 1; i < n; i++) { /* insertion sort: stable, n <= 32 */
		size_t v = t->order[i];

		for (j = i; j > 0; j--) {
			int c = tui_row_cmp(t, t->order[j - 1], v);

			if ((t->sort_desc ? -c : c) <= 0)
				break;
			t->order[j] = t->order[j - 1];
		}
		t->order[j] = v;
	}
}

void
tui_sort_key(struct tui *t, int dir, int reverse)
{
	if (reverse) {
		if (t->sort_col < 0)
			t->sort_col = TUI_COL_NAME;
		else
			t->sort_desc = !t->sort_desc;
	} else {
		/* -1 (the file's order), then each column, around */
		t->sort_col =
		    (t->sort_col + 1 + dir + TUI_NCOLS + 1) % (TUI_NCOLS + 1) -
		    1;
		if (t->sort_col >= 0)
			t->sort_desc = tui_cols[t->sort_col].desc;
	}
	tui_sort_rows(t);
	if (t->sort_col < 0)
		tui_message(t, TUI_NORMAL, "rows in the configuration's order");
	else
		tui_message(t, TUI_NORMAL, "sorted by %s, %s first",
		            tui_cols[t->sort_col].title,
		            t->sort_desc ? "largest" : "smallest");
}

/* Draw the table in at most `rows` rows; returns the rows used. */
int
tui_draw_table(struct tui *t, int y, int rows)
{
	size_t k, nvis = 0;
	int r = 0, pos = 0, selpos = 0, body;

	tui_table_head(t, y);
	for (k = 0; k < t->st->nindexes; k++) {
		size_t i = t->order[k];

		if (tui_row_visible(t, &t->st->indexes[i])) {
			if ((int)i == t->sel)
				selpos = (int)nvis;
			nvis++;
		}
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
	for (k = 0; k < t->st->nindexes && r < body; k++) {
		size_t i = t->order[k];

		if (!tui_row_visible(t, &t->st->indexes[i]))
			continue;
		if (pos++ < t->table_top)
			continue;
		tui_table_row(t, y + 1 + r++, i);
	}
	return 1 + body;
}
