/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_draw.c - the screen layout and the drawing helpers every pane
 * uses: semantic attributes (colour, or bold/reverse/underline without
 * it), clipped UTF-8 text, titled separator bars, the row filter, the
 * "terminal too small" notice, the message row and the key legend.
 * Reads only the UI thread's snapshot copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "tui_fmt.h"
#include "tui_int.h"

enum { PAIR_GREEN = 1, PAIR_YELLOW, PAIR_RED, PAIR_BLUE };

void
tui_colors_init(struct tui *t)
{
	const char *term = getenv("TERM");

	t->color =
	    t->o->color && has_colors() && !(term && strcmp(term, "dumb") == 0);
	if (!t->color)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_GREEN, COLOR_GREEN, -1);
	init_pair(PAIR_YELLOW, COLOR_YELLOW, -1);
	init_pair(PAIR_RED, COLOR_RED, -1);
	init_pair(PAIR_BLUE, COLOR_BLUE, -1);
}

int
tui_attr(const struct tui *t, enum tui_sem sem)
{
	switch (sem) {
	case TUI_OK:
		return t->color ? (int)COLOR_PAIR(PAIR_GREEN) : A_NORMAL;
	case TUI_WARN:
		return t->color ? (int)COLOR_PAIR(PAIR_YELLOW) : A_BOLD;
	case TUI_ERROR:
		return t->color ? (int)(COLOR_PAIR(PAIR_RED) | A_BOLD)
		                : A_REVERSE;
	case TUI_PAUSED:
		return t->color ? (int)COLOR_PAIR(PAIR_BLUE) : A_UNDERLINE;
	case TUI_DIM:
		return A_DIM;
	case TUI_TITLE:
	case TUI_SELECT:
		return A_REVERSE;
	default:
		return A_NORMAL;
	}
}

enum tui_sem
tui_level_sem(int level)
{
	switch (level) {
	case 0:
		return TUI_ERROR;
	case 1:
		return TUI_WARN;
	case 3:
		return TUI_DIM;
	default:
		return TUI_NORMAL;
	}
}

/* Text at (y, x), at most maxw columns, control characters as spaces. */
void
tui_put(int y, int x, int maxw, const char *s)
{
	char fitted[1024], *p;

	if (maxw <= 0 || x >= COLS)
		return;
	if (x + maxw > COLS)
		maxw = COLS - x;
	fl_tui_fit(s, maxw, fitted, sizeof(fitted));
	for (p = fitted; *p; p++)
		if ((unsigned char)*p < 32)
			*p = ' ';
	mvaddstr(y, x, fitted);
}

/* A separator across the screen with a title: "── INDEX ─────". */
void
tui_bar(const struct tui *t, int y, const char *title)
{
	const char *h = t->ascii ? "-" : "\u2500";
	int x;

	move(y, 0);
	for (x = 0; x < COLS; x++)
		addstr(h);
	if (title && *title) {
		attron(A_BOLD);
		mvaddstr(y, 2, " ");
		tui_put(y, 3, COLS - 6, title);
		addstr(" ");
		attroff(A_BOLD);
	}
}

int
tui_row_visible(const struct tui *t, const struct fl_status_index *x)
{
	int hit;

	if (!t->filter_ok)
		return 1;
	hit = regexec(&t->filter_re, x->name, 0, NULL, 0) == 0;
	return t->filter_invert ? !hit : hit;
}

/* Sort the rows again and keep the selection on the same index name,
 * on a visible row (else the first one shown). */
void
tui_clamp_selection(struct tui *t)
{
	size_t i, k;

	tui_sort_rows(t);
	t->sel = -1;
	for (i = 0; i < t->st->nindexes; i++)
		if (t->sel_name[0] &&
		    strcmp(t->st->indexes[i].name, t->sel_name) == 0 &&
		    tui_row_visible(t, &t->st->indexes[i]))
			t->sel = (int)i;
	for (k = 0; t->sel < 0 && k < t->st->nindexes; k++)
		if (tui_row_visible(t, &t->st->indexes[t->order[k]])) {
			i = t->order[k];
			t->sel = (int)i;
			snprintf(t->sel_name, sizeof(t->sel_name), "%s",
			         t->st->indexes[i].name);
		}
}

static void
tui_too_small(void)
{
	char msg[96];
	int w;

	snprintf(msg, sizeof(msg),
	         "terminal too small (need %dx%d, have %dx%d)", TUI_MIN_COLS,
	         TUI_MIN_ROWS, COLS, LINES);
	w = (int)strlen(msg);
	attron(A_BOLD);
	tui_put(LINES / 2, w < COLS ? (COLS - w) / 2 : 0, COLS, msg);
	attroff(A_BOLD);
	if (LINES > 2)
		tui_put(LINES / 2 + 1, 0, COLS, "q quits");
}

static void
tui_legend(const struct tui *t)
{
	static const char main_keys[] =
	    " ? help  : cmd  / filter  < > sort  Enter detail  Space freeze  "
	    "+/- refresh  q quit";
	static const char detail_keys[] =
	    " Esc back  i inspect  x explain  R reindex  B backfill  "
	    ": command  ? help  q quit";
	static const char over_keys[] =
	    " q/Esc back  Up/Down/PgUp/PgDn/Home/End scroll";
	char right[48];

	attron(tui_attr(t, TUI_TITLE));
	move(LINES - 1, 0);
	clrtoeol();
	mvhline(LINES - 1, 0, ' ', COLS);
	tui_put(LINES - 1, 0, COLS,
	        t->view == TUI_VIEW_MAIN     ? main_keys
	        : t->view == TUI_VIEW_DETAIL ? detail_keys
	                                     : over_keys);
	snprintf(right, sizeof(right), " %s%s%gs ",
	         t->o->readonly ? "READONLY  " : "",
	         t->frozen ? "FROZEN  " : "", t->refresh);
	tui_put(LINES - 1, COLS - fl_tui_width(right), COLS, right);
	attroff(tui_attr(t, TUI_TITLE));
}

/* The row above the legend: filter editor, question, or last message. */
static void
tui_message_row(struct tui *t)
{
	char line[300];
	int y = LINES - 2;

	move(y, 0);
	clrtoeol();
	if (t->filter_editing) {
		snprintf(line, sizeof(line), "/%s", t->filter_edit);
		tui_put(y, 0, COLS, line);
		return;
	}
	attron(tui_attr(t, t->msg_sem));
	tui_put(y, 0, COLS, t->msg);
	attroff(tui_attr(t, t->msg_sem));
}

/* The table takes the rows it needs, leaving the events pane at least
 * a third of the screen; the events pane takes every row left down to
 * the message row. */
static void
tui_draw_main(struct tui *t, int y, int rows)
{
	int keep = rows / 3 > 6 ? rows / 3 : 6;
	int table = tui_draw_table(t, y, rows - keep);

	tui_draw_events(t, y + table, rows - table);
}

void
tui_draw(struct tui *t)
{
	int y, rows;

	erase();
	if (COLS < TUI_MIN_COLS || LINES < TUI_MIN_ROWS) {
		tui_too_small();
		refresh();
		return;
	}
	if (t->view == TUI_VIEW_HELP || t->view == TUI_VIEW_TEXT) {
		if (t->view == TUI_VIEW_HELP)
			tui_draw_help(t, 0, LINES - 2);
		else
			tui_draw_text(t, 0, LINES - 2);
	} else {
		y = t->fleet ? tui_draw_fleet(t, 0) : tui_draw_header(t, 0);
		rows = LINES - 2 - y;
		if (t->view == TUI_VIEW_DETAIL)
			tui_draw_detail(t, y, rows);
		else
			tui_draw_main(t, y, rows);
	}
	tui_message_row(t);
	tui_legend(t);
	if (t->prompt_open) {
		tui_prompt_redraw(t); /* refreshes, cursor on the prompt */
		return;
	}
	refresh();
}
