/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_draw_help.c - the full-screen overlays: help (every key, and every
 * prompt command straight from the control table) and the text view
 * used for command answers (multi-line ones, and every answer of `i`
 * and `x`). Both scroll; the title bar says which lines show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "tui_int.h"
#include "util/buf.h"

static const char *const tui_keys_help[][2] = {
	{ ":", "open the command prompt (Tab completes, Ctrl-R searches)" },
	{ "? h F1", "this help" },
	{ "Up Down j k", "select an index (PgUp PgDn Home End)" },
	{ "< > Left Right", "sort the indexes by the column left / right "
	                    "(the header's arrow; then the file's order)" },
	{ "r", "reverse the sort order" },
	{ "Enter", "details of the selected index" },
	{ "i", "(details) inspect a document: asks for its id, runs "
	       "`inspect INDEX ID`" },
	{ "x", "(details) explain a row: asks for TABLE KEY, runs "
	       "`explain TABLE KEY`" },
	{ "Esc", "back / close / cancel / clear the filter" },
	{ "/", "filter indexes by regex; /!re inverts" },
	{ "Space", "freeze the display (the sync goes on)" },
	{ "+ -", "refresh interval up / down (0.5 .. 10 s)" },
	{ "R", "reindex the selected index (asks first)" },
	{ "B", "backfill the selected index (asks first)" },
	{ "P", "pause or resume the sync (asks first)" },
	{ "y", "show the last error in full" },
	{ "e", "the events in full (with dates)" },
	{ "(answers)", "long command answers open a scrollable view: "
	               "Up Down PgUp PgDn Home End, q or Esc goes back" },
	{ "Ctrl-L", "redraw" },
	{ "q F10", "quit (asks first when this process runs the engine)" },
};

char *
tui_help_text(void)
{
	struct fl_buf b;
	size_t i;

	fl_buf_init(&b, 1 << 20);
	fl_buf_puts(&b, "Keys\n");
	for (i = 0; i < FL_ARRAY_LEN(tui_keys_help); i++)
		fl_buf_printf(&b, "  %-15s %s\n", tui_keys_help[i][0],
		              tui_keys_help[i][1]);
	fl_buf_puts(&b, "\nCommands (type : then the command; mutating "
	                "ones ask y/N)\n");
	for (i = 0; fl_ctl_table[i].name; i++) {
		const struct fl_ctl_cmd *c = &fl_ctl_table[i];
		char name[64];

		if (!(c->flags & FL_CTL_PROMPT))
			continue;
		fl_ctl_usage(c, FL_CTL_PROMPT, name, sizeof(name));
		fl_buf_printf(&b, "  %-24s %s%s\n", name, c->summary,
		              c->flags & FL_CTL_MUTATING ? " *" : "");
	}
	fl_buf_puts(&b, "\n* changes something: asks first, refused with "
	                "--readonly\n\nPress q or Esc to continue.\n");
	return fl_buf_steal(&b);
}

/* Draw text lines from `top` (clamped) in rows [y, y + rows). */
static void
tui_draw_lines(struct tui *t, int y, int rows, const char *title,
               const char *text, int *top)
{
	const char *p = text;
	int line = 0, r = 1, total = 0;
	const char *q;
	char bar[160];

	for (q = text; *q; q++)
		total += *q == '\n';
	if (q > text && q[-1] != '\n')
		total++; /* the last line has no newline */
	if (*top > total - (rows - 1))
		*top = total - (rows - 1) > 0 ? total - (rows - 1) : 0;
	if (total > rows - 1)
		snprintf(bar, sizeof(bar), "%s  (lines %d-%d of %d)", title,
		         *top + 1,
		         *top + rows - 1 < total ? *top + rows - 1 : total,
		         total);
	else
		snprintf(bar, sizeof(bar), "%s", title);
	tui_bar(t, y, bar);
	while (*p && r < rows) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char s[1024];

		if (line++ >= *top) {
			snprintf(s, sizeof(s), "%.*s",
			         (int)(len < sizeof(s) ? len : sizeof(s) - 1),
			         p);
			tui_put(y + r++, 1, COLS - 2, s);
		}
		p += len + (nl ? 1 : 0);
	}
}

void
tui_draw_help(struct tui *t, int y, int rows)
{
	char *text = tui_help_text();

	tui_draw_lines(t, y, rows, "HELP", text ? text : "", &t->help_top);
	free(text);
}

void
tui_draw_text(struct tui *t, int y, int rows)
{
	tui_draw_lines(t, y, rows, t->text_title, t->text ? t->text : "",
	               &t->text_top);
}
