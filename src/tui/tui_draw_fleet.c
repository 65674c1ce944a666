/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_draw_fleet.c - the fleet view's top pane (instead of the header):
 * a title row (instances, how many unreachable, errors, badges), then
 * one row per instance: address, role, phase, slot lag, committed
 * changes/s, errors and the status word (with its group), or
 * `unreachable` with since when and why. Reads the fleet model only
 * (tui_fleet.h); the merged index table is tui_draw_table.c's.
 */
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "tui_fmt.h"
#include "tui_int.h"

/* Columns of the instances table (fits 80 columns). */
#define FC_ADDR   1
#define FC_ROLE   20
#define FC_PHASE  28
#define FC_LAG    40 /* right-aligned, 9 wide */
#define FC_RATE   50 /* right-aligned, 7 wide */
#define FC_ERRORS 58 /* right-aligned, 6 wide */
#define FC_STATUS 66

static void
tui_fleet_put(const struct tui *t, int y, int x, int w, enum tui_sem sem,
              const char *s)
{
	attron(tui_attr(t, sem));
	tui_put(y, x, w, s);
	attroff(tui_attr(t, sem));
}

static void
tui_fleet_right(const struct tui *t, int y, int x, int w, enum tui_sem sem,
                const char *s)
{
	char v[64];

	snprintf(v, sizeof(v), "%*.*s", w, 60, s);
	tui_fleet_put(t, y, x, w, sem, v);
}

static void
tui_fleet_title(struct tui *t, int y)
{
	const struct fl_tui_fleet *f = t->fleet;
	size_t down = fl_tui_fleet_down(f);
	const char *sep = t->ascii ? " - " : " \u2500 ";
	char s[256];
	int x;

	snprintf(s, sizeof(s), "flusso %s%sFLEET %zu instances%s",
	         t->st->version[0] ? t->st->version : FLUSSO_VERSION, sep, f->n,
	         sep);
	tui_put(y, 0, COLS, s);
	x = fl_tui_width(s);
	snprintf(s, sizeof(s), "%zu unreachable", down);
	tui_fleet_put(t, y, x, COLS - x, down ? TUI_ERROR : TUI_OK, s);
	x += fl_tui_width(s);
	snprintf(s, sizeof(s), "%serrors %llu", sep,
	         (unsigned long long)t->st->errors);
	tui_fleet_put(t, y, x, COLS - x, t->st->errors ? TUI_ERROR : TUI_NORMAL,
	              s);
	x += fl_tui_width(s);
	snprintf(s, sizeof(s), "%s%s%s", t->o->readonly ? " READONLY" : "",
	         t->frozen ? " FROZEN" : "", t->pending_cmds ? " RUNNING" : "");
	tui_fleet_put(t, y, x, COLS - x, TUI_WARN, s);
}

static void
tui_fleet_head(struct tui *t, int y)
{
	tui_bar(t, y, NULL);
	attron(A_BOLD);
	mvaddstr(y, FC_ADDR, " INSTANCE ");
	mvaddstr(y, FC_ROLE - 1, " ROLE ");
	mvaddstr(y, FC_PHASE - 1, " PHASE ");
	mvaddstr(y, FC_LAG + 9 - 4, " LAG ");
	mvaddstr(y, FC_RATE + 7 - 6, " CHG/S ");
	mvaddstr(y, FC_ERRORS + 6 - 6, " ERRORS ");
	if (FC_STATUS + 8 < COLS)
		mvaddstr(y, FC_STATUS, " STATUS ");
	attroff(A_BOLD);
}

static void
tui_fleet_row(struct tui *t, int y, const struct fl_tui_fleet_inst *in)
{
	const struct fl_status *st = in->st;
	char s[400], v[64];
	int level;
	const char *word;
	static const enum tui_sem sems[] = { TUI_OK, TUI_WARN, TUI_ERROR,
		                             TUI_PAUSED, TUI_DIM };

	tui_put(y, FC_ADDR, FC_ROLE - FC_ADDR - 1, in->addr);
	if (!in->reachable) {
		int connecting =
		    !in->have_data && strcmp(in->why, "connecting") == 0;

		tui_fleet_put(t, y, FC_PHASE, 12,
		              connecting ? TUI_DIM : TUI_ERROR,
		              connecting ? "connecting" : "unreachable");
		if (connecting)
			return;
		fl_tui_fmt_clock(in->down_since_us, v, sizeof(v));
		snprintf(s, sizeof(s), "since %s: %s", v, in->why);
		tui_fleet_put(t, y, FC_LAG, COLS - FC_LAG, TUI_DIM, s);
		return;
	}
	tui_fleet_put(t, y, FC_ROLE, FC_PHASE - FC_ROLE - 1,
	              strcmp(in->role, "active") == 0 ? TUI_NORMAL : TUI_DIM,
	              in->role);
	tui_fleet_put(t, y, FC_PHASE, FC_LAG - FC_PHASE - 1,
	              tui_phase_sem(st->phase), fl_phase_name(st->phase));
	if (st->lag_known)
		fl_tui_fmt_bytes((double)st->lag_bytes, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "?");
	tui_fleet_right(t, y, FC_LAG, 9, TUI_NORMAL, v);
	fl_tui_fmt_count(in->m->committed_ps, v, sizeof(v));
	tui_fleet_right(t, y, FC_RATE, 7, TUI_NORMAL, v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)st->errors);
	tui_fleet_right(t, y, FC_ERRORS, 6, st->errors ? TUI_ERROR : TUI_NORMAL,
	                v);
	word = fl_tui_status_word(in->m, st, 1, t->ascii, &level);
	if (in->group[0])
		snprintf(s, sizeof(s), "%s: %s", in->group, word);
	else
		snprintf(s, sizeof(s), "%s", word);
	tui_fleet_put(t, y, FC_STATUS, COLS - FC_STATUS, sems[level], s);
}

/* Draw the title and the instances from row y; returns the row after. */
int
tui_draw_fleet(struct tui *t, int y)
{
	size_t k;

	tui_fleet_title(t, y++);
	tui_fleet_head(t, y++);
	for (k = 0; k < t->fleet->n; k++)
		tui_fleet_row(t, y++, &t->fleet->inst[k]);
	return y;
}
