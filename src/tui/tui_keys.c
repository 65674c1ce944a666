/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_keys.c - what each key does (dashboard.md §5), per view: the open
 * prompt and the filter editor take every key; a pending y/N question
 * takes the next one; then the help, text, detail and main views.
 * Every key's action is also a prompt command or a display change
 * (`i` and `x` in the detail view build a prompt command from what the
 * operator types: tui_prompt_ask).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "tui_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xmem.h"

#define KEY_ESC   27
#define KEY_CTL_L ('L' & 0x1f)

static const double tui_steps[] = { 0.5, 1, 2, 3, 5, 10 };

static void
tui_step_refresh(struct tui *t, int dir)
{
	size_t i, n = FL_ARRAY_LEN(tui_steps), k = 0;

	for (i = 0; i < n; i++)
		if (tui_steps[i] <= t->refresh + 1e-9)
			k = i;
	if (dir > 0 && k + 1 < n)
		k++;
	else if (dir < 0 && tui_steps[k] >= t->refresh - 1e-9 && k > 0)
		k--;
	tui_set_refresh(t, tui_steps[k]);
	tui_message(t, TUI_NORMAL, "refresh every %gs", t->refresh);
}

static void
tui_filter_apply(struct tui *t)
{
	const char *re = t->filter_edit;

	if (t->filter_ok)
		regfree(&t->filter_re);
	t->filter_ok = 0;
	t->filter_invert = re[0] == '!';
	if (t->filter_invert)
		re++;
	snprintf(t->filter, sizeof(t->filter), "%s", t->filter_edit);
	if (!*re) {
		t->filter[0] = '\0';
		return;
	}
	if (regcomp(&t->filter_re, re, REG_EXTENDED | REG_NOSUB | REG_ICASE)) {
		tui_message(t, TUI_ERROR, "bad regular expression: %s", re);
		t->filter[0] = '\0';
		return;
	}
	t->filter_ok = 1;
	tui_clamp_selection(t);
}

static void
tui_filter_key(struct tui *t, int ch)
{
	size_t len = strlen(t->filter_edit);

	if (ch == KEY_ESC) {
		t->filter_edit[0] = '\0';
		t->filter_editing = 0;
		tui_filter_apply(t);
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		t->filter_editing = 0;
		tui_filter_apply(t);
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len)
			t->filter_edit[len - 1] = '\0';
		tui_filter_apply(t);
	} else if (ch >= 32 && ch < 256 && len + 1 < sizeof(t->filter_edit)) {
		t->filter_edit[len] = (char)ch;
		t->filter_edit[len + 1] = '\0';
		tui_filter_apply(t);
	}
}

/* Move the selection by d visible rows, in the order shown. */
static void
tui_move(struct tui *t, int d)
{
	int k = -1, last = t->sel;
	size_t n = t->st->nindexes, p;

	for (p = 0; p < n; p++)
		if ((int)t->order[p] == t->sel)
			k = (int)p;
	while (d && k >= -1) {
		k += d > 0 ? 1 : -1;
		if (k < 0 || (size_t)k >= n)
			break;
		if (!tui_row_visible(t, &t->st->indexes[t->order[k]]))
			continue;
		last = (int)t->order[k];
		d += d > 0 ? -1 : 1;
	}
	t->sel = last;
	if (last >= 0)
		snprintf(t->sel_name, sizeof(t->sel_name), "%s",
		         t->st->indexes[last].name);
}

/* R, B, P on the selected index: the same commands, confirmed. */
static void
tui_act(struct tui *t, int ch)
{
	char line[160];

	if (ch == 'P') {
		snprintf(line, sizeof(line), "%s",
		         t->st->paused ? "resume" : "pause");
	} else {
		if (t->sel < 0) {
			tui_message(t, TUI_WARN, "no index selected");
			return;
		}
		snprintf(line, sizeof(line), "%s %s",
		         ch == 'R' ? "reindex" : "backfill", t->sel_name);
	}
	tui_cmd_line(t, line);
}

static void
tui_last_error(struct tui *t)
{
	if (!t->st->last_error[0]) {
		tui_message(t, TUI_NORMAL, "no error so far");
		return;
	}
	tui_show_text(t, "last error", t->st->last_error);
}

/* `e`: the events pane full screen (board events and our notes). */
static void
tui_events_full(struct tui *t)
{
	const struct fl_status *st = t->st;
	struct fl_buf b;
	size_t i;

	fl_buf_init(&b, (size_t)1 << 20);
	for (i = st->ev_n; i-- > 0;) {
		const struct fl_status_event *e =
		    &st->events[(st->ev_head + i) % FL_STATUS_EVENTS];
		char ts[40];

		fl_log_iso8601(e->ts_us, ts, sizeof(ts));
		fl_buf_printf(&b, "%s %-5s %s%s%s\n", ts,
		              fl_log_level_name(e->level), e->component,
		              e->component[0] ? ": " : "", e->msg);
	}
	fl_buf_puts(&b, "\ncommand results:\n");
	for (i = t->lev_n; i-- > 0;) {
		const struct fl_status_event *e =
		    &t->local_ev[(t->lev_head + i) % TUI_LOCAL_EVENTS];
		char ts[40];

		fl_log_iso8601(e->ts_us, ts, sizeof(ts));
		fl_buf_printf(&b, "%s %-5s %s\n", ts,
		              fl_log_level_name(e->level), e->msg);
	}
	tui_show_text(t, "EVENTS", fl_buf_str(&b));
	fl_buf_done(&b);
}

static int
tui_scroll_key(int ch, int *top, int page)
{
	switch (ch) {
	case KEY_UP:
	case 'k':
		*top -= 1;
		break;
	case KEY_DOWN:
	case 'j':
		*top += 1;
		break;
	case KEY_PPAGE:
		*top -= page;
		break;
	case KEY_NPAGE:
	case ' ':
		*top += page;
		break;
	case KEY_HOME:
		*top = 0;
		break;
	case KEY_END:
		*top = 1 << 24; /* clamped when drawn */
		break;
	default:
		return 0;
	}
	if (*top < 0)
		*top = 0;
	return 1;
}

/* Help and text views: scroll, or leave with q / Esc. */
static void
tui_overlay_key(struct tui *t, int ch)
{
	int *top = t->view == TUI_VIEW_HELP ? &t->help_top : &t->text_top;

	if (ch == KEY_ESC || ch == 'q' || ch == '?' || ch == KEY_F(1) ||
	    ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		t->view = t->back == TUI_VIEW_DETAIL && t->sel >= 0
		              ? TUI_VIEW_DETAIL
		              : TUI_VIEW_MAIN;
		return;
	}
	tui_scroll_key(ch, top, LINES - 4);
}

static int
tui_common_key(struct tui *t, int ch)
{
	switch (ch) {
	case ':':
		tui_prompt_open(t);
		return 1;
	case '?':
	case 'h':
	case KEY_F(1):
		t->back = t->view;
		t->view = TUI_VIEW_HELP;
		t->help_top = 0;
		return 1;
	case ' ':
		t->frozen = !t->frozen;
		tui_message(t, TUI_NORMAL, "%s",
		            t->frozen ? "display frozen (the sync goes on); "
		                        "Space resumes"
		                      : "display live");
		if (!t->frozen)
			tui_take_snapshot(t, 0);
		return 1;
	case '+':
	case '-':
		tui_step_refresh(t, ch == '+' ? 1 : -1);
		return 1;
	case 'q':
	case KEY_F(10):
		tui_ask_quit(t);
		return 1;
	case 'R':
	case 'B':
	case 'P':
		tui_act(t, ch);
		return 1;
	case 'y':
		tui_last_error(t);
		return 1;
	case 'e':
		tui_events_full(t);
		return 1;
	}
	return 0;
}

/* The detail view's questions: `i` a document id of the selected
 * index, `x` a table and a key; the answer goes to the text view. */
static void
tui_detail_ask(struct tui *t, int ch)
{
	char label[128], cmd[128];

	if (t->sel < 0)
		return;
	if (ch == 'i') {
		snprintf(label, sizeof(label),
		         "inspect %s, document id: ", t->sel_name);
		snprintf(cmd, sizeof(cmd), "inspect %s", t->sel_name);
	} else {
		snprintf(label, sizeof(label), "explain TABLE KEY: ");
		snprintf(cmd, sizeof(cmd), "explain");
	}
	tui_prompt_ask(t, label, cmd);
}

static void
tui_detail_key(struct tui *t, int ch)
{
	if (ch == KEY_ESC || ch == KEY_LEFT || ch == KEY_BACKSPACE)
		t->view = TUI_VIEW_MAIN;
	else if (ch == 'i' || ch == 'x')
		tui_detail_ask(t, ch);
	else
		tui_common_key(t, ch);
}

static void
tui_main_key(struct tui *t, int ch)
{
	if (tui_common_key(t, ch))
		return;
	switch (ch) {
	case '<':
	case '>':
	case KEY_LEFT:
	case KEY_RIGHT:
		tui_sort_key(t, ch == '<' || ch == KEY_LEFT ? -1 : 1, 0);
		break;
	case 'r':
		tui_sort_key(t, 0, 1);
		break;
	case KEY_UP:
	case 'k':
		tui_move(t, -1);
		break;
	case KEY_DOWN:
	case 'j':
		tui_move(t, 1);
		break;
	case KEY_PPAGE:
		tui_move(t, -10);
		break;
	case KEY_NPAGE:
		tui_move(t, 10);
		break;
	case KEY_HOME:
		tui_move(t, -FL_MAX_INDEXES);
		break;
	case KEY_END:
		tui_move(t, FL_MAX_INDEXES);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (t->sel >= 0)
			t->view = TUI_VIEW_DETAIL;
		break;
	case '/':
		t->filter_editing = 1;
		snprintf(t->filter_edit, sizeof(t->filter_edit), "%s",
		         t->filter);
		break;
	case KEY_ESC:
		t->filter_edit[0] = '\0';
		tui_filter_apply(t);
		t->msg[0] = '\0';
		break;
	}
}

void
tui_key(struct tui *t, int ch)
{
	if (ch == KEY_RESIZE || ch == KEY_CTL_L) {
		clearok(curscr, TRUE);
		return;
	}
	if (t->prompt_open) {
		tui_prompt_key(t, ch);
		return;
	}
	if (t->filter_editing) {
		tui_filter_key(t, ch);
		return;
	}
	if (t->confirm != TUI_CONFIRM_NONE) {
		if (ch == 'y' || ch == 'Y') {
			tui_cmd_confirmed(t);
			return;
		}
		t->confirm = TUI_CONFIRM_NONE;
		tui_message(t, TUI_NORMAL, "cancelled");
		return;
	}
	if (t->view == TUI_VIEW_HELP || t->view == TUI_VIEW_TEXT)
		tui_overlay_key(t, ch);
	else if (t->view == TUI_VIEW_DETAIL)
		tui_detail_key(t, ch);
	else
		tui_main_key(t, ch);
}
