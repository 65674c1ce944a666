/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_prompt.c - the `:` command prompt: GNU readline in callback mode
 * inside curses (dashboard.md §6). Curses reads every key; while the
 * prompt is open each one is handed to readline through rl_getc_function
 * and rl_callback_read_char(), and readline draws through
 * rl_redisplay_function into the prompt row. Readline never touches the
 * terminal: no signal handlers, no terminal preparation, output to
 * /dev/null. Completion offers command names, then index names (and the
 * words a command takes); history persists in
 * $XDG_STATE_HOME/flusso/history (~/.local/state/flusso/history).
 * The same row asks questions (tui_prompt_ask): the answer completes a
 * command line, which is run as if typed (and kept in the history).
 *
 * Readline's interface is global, so this module keeps the one `struct
 * tui` it serves in a file-level pointer (the only such state in src/tui;
 * there is one prompt per process).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curses.h>
#include <readline/history.h>
#include <readline/readline.h>

#include "tui_fmt.h"
#include "tui_int.h"
#include "util/strutil.h"
#include "util/xmem.h"

#define PROMPT_HISTORY_MAX 500

static struct tui *prompt_tui; /* the dashboard readline serves */
static int prompt_ch;          /* the key being handed to readline */
static int prompt_have;
static char prompt_hist[1024];
static FILE *prompt_null;
static char prompt_cmd[256]; /* tui_prompt_ask: the line's start, or "" */

static int
prompt_getc(FILE *f)
{
	(void)f;
	prompt_have = 0;
	return prompt_ch;
}

static int
prompt_input_available(void)
{
	return prompt_have;
}

static void
prompt_noop_prep(int meta)
{
	(void)meta;
}

static void
prompt_noop_deprep(void)
{
}

/* Display columns of the first `bytes` bytes of s. */
static int
prompt_cols(const char *s, size_t bytes)
{
	char tmp[1024];

	if (bytes >= sizeof(tmp))
		bytes = sizeof(tmp) - 1;
	memcpy(tmp, s, bytes);
	tmp[bytes] = '\0';
	return fl_tui_width(tmp);
}

/* Draw the prompt and the line into the prompt row; place the cursor. */
void
tui_prompt_redraw(struct tui *t)
{
	const char *p = rl_display_prompt ? rl_display_prompt : ":";
	const char *line = rl_line_buffer ? rl_line_buffer : "";
	int y = LINES - 2, pw = fl_tui_width(p), cur, off = 0;
	char full[1200], skip[1200];

	if (!t->prompt_open || COLS < TUI_MIN_COLS || LINES < TUI_MIN_ROWS)
		return;
	cur = pw + prompt_cols(line, (size_t)rl_point);
	if (cur >= COLS - 1) /* scroll so the cursor stays visible */
		off = cur - (COLS - 2);
	snprintf(full, sizeof(full), "%s%s", p, line);
	fl_tui_fit(full, off, skip, sizeof(skip)); /* the scrolled-off part */
	move(y, 0);
	clrtoeol();
	tui_put(y, 0, COLS - 1, full + strlen(skip));
	move(y, cur - off);
	curs_set(1);
	refresh();
}

static void
prompt_redisplay(void)
{
	if (prompt_tui)
		tui_prompt_redraw(prompt_tui);
}

/* readline's accept-line: run it, remember it, close the prompt. */
static void
prompt_line(char *line)
{
	struct tui *t = prompt_tui;

	char full[512];
	int ask = prompt_cmd[0] != '\0';

	tui_prompt_close(t);
	if (line && *line && ask) {
		snprintf(full, sizeof(full), "%s %s", prompt_cmd, line);
		add_history(full);
		if (prompt_hist[0])
			write_history(prompt_hist);
		tui_cmd_pane(t, full);
	} else if (line && *line) {
		add_history(line);
		if (prompt_hist[0])
			write_history(prompt_hist); /* bounded by stifling */
		tui_cmd_line(t, line);
	}
	free(line);
}

/* Completion candidates: commands, then index names or fixed words. */
static char *
prompt_gen(const char *text, int state)
{
	static size_t i, j; /* readline's generator protocol */
	size_t len = strlen(text);
	int word = rl_point > 0 && strchr(rl_line_buffer, ' ') != NULL &&
	           (size_t)(strchr(rl_line_buffer, ' ') - rl_line_buffer) <
	               (size_t)rl_point;
	static const char *const words[] = { "stop", "skip", "all",   "error",
		                             "warn", "info", "debug", "trace" };

	if (!state)
		i = j = 0;
	if (!word) {
		for (; fl_ctl_table[i].name; i++)
			if ((fl_ctl_table[i].flags & FL_CTL_PROMPT) &&
			    strncmp(fl_ctl_table[i].name, text, len) == 0)
				return fl_xstrdup(fl_ctl_table[i++].name);
		return NULL;
	}
	for (; i < prompt_tui->st->nindexes; i++)
		if (strncmp(prompt_tui->st->indexes[i].name, text, len) == 0)
			return fl_xstrdup(prompt_tui->st->indexes[i++].name);
	for (; j < FL_ARRAY_LEN(words); j++)
		if (strncmp(words[j], text, len) == 0)
			return fl_xstrdup(words[j++]);
	return NULL;
}

static char **
prompt_complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1; /* no file names */
	if (prompt_cmd[0])
		return NULL; /* an answer: ids and keys are not completed */
	return rl_completion_matches(text, prompt_gen);
}

/* Several matches: list them on the message row, not on the terminal. */
static void
prompt_show_matches(char **matches, int n, int maxlen)
{
	char list[512] = "";
	size_t len = 0;
	int i;

	(void)maxlen;
	for (i = 1; i <= n && len < sizeof(list) - 1; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		                        i > 1 ? "  " : "", matches[i]);
	tui_message(prompt_tui, TUI_NORMAL, "%s", list);
	tui_draw(prompt_tui);
}

static void
prompt_history_path(const struct tui *t)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char dir[900];

	if (t->o->history_path) {
		fl_str_copy(prompt_hist, sizeof(prompt_hist),
		            t->o->history_path);
		return;
	}
	if (xdg && *xdg)
		snprintf(dir, sizeof(dir), "%s/flusso", xdg);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.local/state/flusso", home);
	else
		return;
	if (!(xdg && *xdg)) { /* create ~/.local/state as XDG says */
		char parent[1024];

		snprintf(parent, sizeof(parent), "%s/.local", home);
		mkdir(parent, 0700);
		snprintf(parent, sizeof(parent), "%s/.local/state", home);
		mkdir(parent, 0700);
	} else {
		mkdir(xdg, 0700);
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	snprintf(prompt_hist, sizeof(prompt_hist), "%s/history", dir);
}

int
tui_prompt_init(struct tui *t, struct fl_err *err)
{
	prompt_tui = t;
	if (!(prompt_null = fopen("/dev/null", "w")))
		return fl_err_sys(err, FL_ERR_IO, "/dev/null");
	rl_readline_name = "flusso";
	rl_instream = stdin;
	rl_outstream = prompt_null;
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = prompt_noop_prep;
	rl_deprep_term_function = prompt_noop_deprep;
	rl_getc_function = prompt_getc;
	rl_input_available_hook = prompt_input_available;
	rl_redisplay_function = prompt_redisplay;
	rl_attempted_completion_function = prompt_complete;
	rl_completion_display_matches_hook = prompt_show_matches;
	rl_variable_bind("bell-style", "none");
	rl_variable_bind("enable-bracketed-paste", "off");
	using_history();
	stifle_history(PROMPT_HISTORY_MAX);
	prompt_history_path(t);
	if (prompt_hist[0])
		read_history(prompt_hist);
	return 0;
}

void
tui_prompt_done(void)
{
	if (prompt_tui && prompt_tui->prompt_open)
		rl_callback_handler_remove();
	clear_history();
	if (prompt_null)
		fclose(prompt_null);
	prompt_null = NULL;
	prompt_tui = NULL;
}

void
tui_prompt_open(struct tui *t)
{
	prompt_cmd[0] = '\0';
	t->prompt_open = 1;
	t->msg[0] = '\0';
	rl_callback_handler_install(":", prompt_line);
	tui_draw(t);
}

void
tui_prompt_ask(struct tui *t, const char *label, const char *cmd)
{
	fl_str_copy(prompt_cmd, sizeof(prompt_cmd), cmd);
	t->prompt_open = 1;
	t->msg[0] = '\0';
	rl_callback_handler_install(label, prompt_line);
	tui_draw(t);
}

void
tui_prompt_close(struct tui *t)
{
	if (!t->prompt_open)
		return;
	t->prompt_open = 0;
	rl_callback_handler_remove();
	curs_set(0);
}

/* Curses key codes as the bytes readline understands. */
static int
prompt_translate(int ch)
{
	switch (ch) {
	case KEY_UP:
		return 'P' & 0x1f;
	case KEY_DOWN:
		return 'N' & 0x1f;
	case KEY_LEFT:
		return 'B' & 0x1f;
	case KEY_RIGHT:
		return 'F' & 0x1f;
	case KEY_HOME:
		return 'A' & 0x1f;
	case KEY_END:
		return 'E' & 0x1f;
	case KEY_BACKSPACE:
		return 127;
	case KEY_DC:
		return 'D' & 0x1f;
	case KEY_ENTER:
		return '\n';
	default:
		return ch >= 0 && ch < 256 ? ch : -1;
	}
}

void
tui_prompt_key(struct tui *t, int ch)
{
	int c;

	if (ch == 27) { /* Esc cancels, also an incremental search */
		rl_callback_sigcleanup();
		rl_replace_line("", 0);
		tui_prompt_close(t);
		tui_draw(t);
		return;
	}
	if ((c = prompt_translate(ch)) < 0)
		return;
	if (c == ('D' & 0x1f) && rl_end == 0)
		return; /* Ctrl-D on an empty line would send EOF */
	prompt_ch = c;
	prompt_have = 1;
	rl_callback_read_char();
}
