/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_draw_events.c - the events pane: the snapshot's recent events
 * (every logged warning and error with its component, quarantines,
 * lifecycle) merged with the dashboard's own notes (command results),
 * newest first, timestamped, the level coloured (bold / reverse video
 * without colour). It fills every row it is given.
 */
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "tui_fmt.h"
#include "tui_int.h"
#include "util/log.h"

static const struct fl_status_event *
tui_ev_board(const struct fl_status *st, size_t k) /* k = 0: newest */
{
	return &st->events[(st->ev_head + st->ev_n - 1 - k) % FL_STATUS_EVENTS];
}

static const struct fl_status_event *
tui_ev_local(const struct tui *t, size_t k)
{
	return &t->local_ev[(t->lev_head + t->lev_n - 1 - k) %
	                    TUI_LOCAL_EVENTS];
}

static void
tui_event_line(const struct tui *t, int y, const struct fl_status_event *e)
{
	char ts[16], lvl[8], msg[300];
	enum tui_sem sem = tui_level_sem(e->level);
	int i;

	fl_tui_fmt_clock(e->ts_us, ts, sizeof(ts));
	for (i = 0; i < 5 && fl_log_level_name(e->level)[i]; i++)
		lvl[i] = (char)(fl_log_level_name(e->level)[i] - 32);
	lvl[i] = '\0';
	tui_put(y, 0, 9, ts);
	attron(tui_attr(t, sem));
	tui_put(y, 9, 6, lvl);
	attroff(tui_attr(t, sem));
	snprintf(msg, sizeof(msg), "%s%s%s", e->component,
	         e->component[0] ? ": " : "", e->msg);
	tui_put(y, 15, COLS - 15, msg);
}

/* Draw the pane in `rows` rows from y (a title bar, then events). */
void
tui_draw_events(struct tui *t, int y, int rows)
{
	size_t bi = 0, li = 0;
	int r;

	if (rows < 2)
		return;
	tui_bar(t, y, "EVENTS");
	for (r = 1; r < rows; r++) {
		const struct fl_status_event *b =
		    bi < t->st->ev_n ? tui_ev_board(t->st, bi) : NULL;
		const struct fl_status_event *l =
		    li < t->lev_n ? tui_ev_local(t, li) : NULL;

		if (!b && !l)
			break;
		if (b && (!l || b->ts_us >= l->ts_us)) {
			tui_event_line(t, y + r, b);
			bi++;
		} else {
			tui_event_line(t, y + r, l);
			li++;
		}
	}
	if (r == 1)
		tui_put(y + 1, 1, COLS - 1, "(no events yet)");
}
