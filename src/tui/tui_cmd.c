/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_cmd.c - prompt lines to commands of the control table (commands.h), the
 * only command list there is: lookup by name or unique prefix, the
 * prompt-only `help` and `quit`, --readonly refusal (all checked by
 * fl_ctl_parse, as on every surface), y/N confirmation of mutating
 * commands, and the answers (message row, events pane, or the
 * scrollable text view for multi-line answers and for every answer of
 * a command run with tui_cmd_pane).
 * Does not run anything itself: commands go to the feed thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tui_int.h"
#include "util/json_write.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

void
tui_message(struct tui *t, enum tui_sem sem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_sem = sem;
}

/* An entry in the dashboard's own part of the events pane. */
void
tui_note(struct tui *t, int level, const char *fmt, ...)
{
	struct fl_status_event *e;
	va_list ap;

	if (t->lev_n == TUI_LOCAL_EVENTS) {
		t->lev_head = (t->lev_head + 1) % TUI_LOCAL_EVENTS;
		t->lev_n--;
	}
	e = &t->local_ev[(t->lev_head + t->lev_n) % TUI_LOCAL_EVENTS];
	t->lev_n++;
	e->ts_us = fl_status_now_us();
	e->level = level;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

int
tui_engine_running(const struct tui *t)
{
	return t->o->board && t->st->phase != FL_PHASE_STOPPED &&
	       t->st->phase != FL_PHASE_ERROR;
}

void
tui_ask_quit(struct tui *t)
{
	if (!tui_engine_running(t)) {
		t->quit = 1;
		return;
	}
	t->confirm = TUI_CONFIRM_QUIT;
	tui_message(t, TUI_WARN,
	            "quit and stop the sync (the current commit finishes)? "
	            "(y/N)");
}

void
tui_show_text(struct tui *t, const char *title, const char *text)
{
	free(t->text);
	t->text = fl_xstrdup(text);
	fl_str_copy(t->text_title, sizeof(t->text_title), title);
	t->text_top = 0;
	if (t->view != TUI_VIEW_TEXT && t->view != TUI_VIEW_HELP)
		t->back = t->view;
	t->view = TUI_VIEW_TEXT;
}

/* Queue a command for the feed thread; with pane, its answer opens the
 * text view (remembered by the line the feed will name it with). In
 * the fleet view it goes to instance `target`, or to every instance
 * (-1). */
static void
tui_submit(struct tui *t, const struct fl_ctl_cmd *c, int argc,
           const char *const *argv, int pane, int target)
{
	size_t len, k, lo = 0, hi = t->nfeeds, sent = 0;
	int i;

	if (t->fleet && target >= 0 && (size_t)target < t->nfeeds) {
		lo = (size_t)target;
		hi = lo + 1;
	}
	for (k = lo; k < hi; k++)
		if (fl_tui_feed_submit(t->feeds[k], c, argc, argv) == 0) {
			t->pending_cmds++;
			sent++;
		}
	if (sent == 0) {
		tui_message(t, TUI_WARN, "too many commands pending; wait");
		return;
	}
	if (!t->fleet)
		tui_message(t, TUI_NORMAL, "%s: running...", c->name);
	else if (hi - lo == 1)
		tui_message(t, TUI_NORMAL, "%s: running on %s...", c->name,
		            t->fleet->inst[lo].addr);
	else
		tui_message(t, TUI_NORMAL, "%s: running on %zu instances...",
		            c->name, sent);
	if (!pane)
		return;
	len =
	    (size_t)snprintf(t->pane_line, sizeof(t->pane_line), "%s", c->name);
	for (i = 0; i < argc && len < sizeof(t->pane_line); i++)
		len += (size_t)snprintf(t->pane_line + len,
		                        sizeof(t->pane_line) - len, " %s",
		                        argv[i]);
}

/* The fleet view: the instance a checked call goes to (the one that
 * lists its INDEX), -1 for every instance (no INDEX, or `all`), -2
 * with the reason on the message row when no reachable instance lists
 * the index. */
static int
tui_cmd_target(struct tui *t, const struct fl_ctl_call *call)
{
	char msg[400];
	int k;

	if (!t->fleet || !call->index[0] || strcmp(call->index, "all") == 0)
		return -1;
	k = fl_tui_fleet_route(t->fleet, call->index, msg, sizeof(msg));
	if (k < 0) {
		tui_message(t, TUI_ERROR, "%s", msg);
		return -2;
	}
	return k;
}

/* Help asked for (`help`, `help NAME`, `NAME --help`): the overlay, or
 * one command's usage and summary on the message row. */
static void
tui_help(struct tui *t, const struct fl_ctl_cmd *topic)
{
	char usage[160];

	if (!topic) {
		if (t->view != TUI_VIEW_HELP && t->view != TUI_VIEW_TEXT)
			t->back = t->view;
		t->view = TUI_VIEW_HELP;
		t->help_top = 0;
		return;
	}
	fl_ctl_usage(topic, FL_CTL_PROMPT, usage, sizeof(usage));
	tui_message(t, TUI_NORMAL, "%s: %s", usage, topic->summary);
}

/*
 * A prompt line: checked by fl_ctl_parse (the validation every surface
 * shares), then help, quit, a read command at once, or a mutating one
 * after y/N. With pane, a read command's answer opens the text view.
 */
static void
tui_cmd_run(struct tui *t, const char *line, int pane)
{
	char buf[2048], *w[FL_CTL_MAX_WORDS + 1], msg[256];
	struct fl_ctl_call call;
	int n, code, i, target;

	if (strlen(line) >= sizeof(buf)) {
		tui_message(t, TUI_ERROR,
		            "the line is too long (at most %zu "
		            "characters)",
		            sizeof(buf) - 1);
		return;
	}
	fl_str_copy(buf, sizeof(buf), line);
	if ((n = fl_ctl_split(buf, w, FL_CTL_MAX_WORDS + 1)) == 0)
		return;
	if (n < 0) {
		tui_message(t, TUI_ERROR, "too many words (at most %d)",
		            FL_CTL_MAX_WORDS);
		return;
	}
	for (i = 1; i < n; i++)
		if (strlen(w[i]) >= sizeof(t->confirm_args[0])) {
			tui_message(t, TUI_ERROR,
			            "a word is too long (at most %zu "
			            "characters)",
			            sizeof(t->confirm_args[0]) - 1);
			return;
		}
	code = fl_ctl_parse(FL_CTL_PROMPT, n, (const char *const *)w,
	                    t->o->readonly, &call, msg, sizeof(msg));
	if (code != 200) {
		tui_message(t, TUI_ERROR, "%s", msg);
		if (code == 403)
			tui_note(t, FL_LOG_WARN, "refused %s (read-only mode)",
			         line);
		return;
	}
	if (call.help) {
		tui_help(t, call.topic);
		return;
	}
	if (call.cmd->flags & FL_CTL_LOCAL) { /* quit: help is above */
		tui_ask_quit(t);
		return;
	}
	if ((target = tui_cmd_target(t, &call)) == -2)
		return;
	/* the words as typed (options too): checked again where it runs */
	if (!(call.cmd->flags & FL_CTL_MUTATING)) {
		tui_submit(t, call.cmd, n - 1, (const char *const *)w + 1, pane,
		           target);
		return;
	}
	t->confirm = TUI_CONFIRM_CMD;
	t->confirm_cmd = call.cmd;
	t->confirm_target = target;
	t->confirm_argc = n - 1;
	for (i = 0; i < n - 1; i++)
		fl_str_copy(t->confirm_args[i], sizeof(t->confirm_args[0]),
		            w[i + 1]);
	if (!t->fleet)
		tui_message(t, TUI_WARN, "%s? (y/N)", line);
	else if (target >= 0)
		tui_message(t, TUI_WARN, "%s on %s? (y/N)", line,
		            t->fleet->inst[target].addr);
	else
		tui_message(t, TUI_WARN, "%s on every instance (%zu)? (y/N)",
		            line, t->nfeeds);
}

void
tui_cmd_line(struct tui *t, const char *line)
{
	tui_cmd_run(t, line, 0);
}

void
tui_cmd_pane(struct tui *t, const char *line)
{
	tui_cmd_run(t, line, 1);
}

void
tui_cmd_confirmed(struct tui *t)
{
	const char *argv[FL_CTL_MAX_WORDS];
	int i;

	for (i = 0; i < FL_CTL_MAX_WORDS; i++)
		argv[i] = t->confirm_args[i];
	if (t->confirm == TUI_CONFIRM_QUIT) {
		t->quit = 1;
		return;
	}
	t->confirm = TUI_CONFIRM_NONE;
	tui_submit(t, t->confirm_cmd, t->confirm_argc, argv, 0,
	           t->confirm_target);
}

/* A JSON answer as indented text for the text view. */
static char *
tui_pretty(const char *text)
{
	struct fl_buf b;
	cJSON *doc = cJSON_Parse(text);

	fl_buf_init(&b, (size_t)1 << 24);
	if (doc && fl_json_pretty(text, &b) == 0) {
		char *s = fl_buf_steal(&b);

		cJSON_Delete(doc);
		return s ? s : fl_xstrdup(text);
	}
	cJSON_Delete(doc);
	fl_buf_done(&b);
	return fl_xstrdup(text);
}

/* A finished command; label (the fleet view) names its instance. */
static void
tui_result(struct tui *t, struct fl_tui_result *r, const char *label)
{
	size_t len = strlen(r->text);
	int ok = r->code >= 200 && r->code < 300;
	int pane = t->pane_line[0] && strcmp(r->line, t->pane_line) == 0;
	char name[400];

	if (pane)
		t->pane_line[0] = '\0';
	if (label)
		snprintf(name, sizeof(name), "[%s] %s", label, r->line);
	else
		snprintf(name, sizeof(name), "%s", r->line);
	while (len && r->text[len - 1] == '\n')
		r->text[--len] = '\0';
	if (pane || strchr(r->text, '\n') || r->text[0] == '{' ||
	    r->text[0] == '[') {
		char *p = tui_pretty(r->text);

		tui_show_text(t, name, p);
		free(p);
		tui_message(t, ok ? TUI_OK : TUI_ERROR, "%s: %d", name,
		            r->code);
	} else {
		tui_message(t, ok ? TUI_OK : TUI_ERROR, "%s: %s", name,
		            r->text);
	}
	tui_note(t, ok ? FL_LOG_INFO : FL_LOG_ERROR, ":%s -> %d %.180s", name,
	         r->code, strchr(r->text, '\n') ? "" : r->text);
}

int
tui_cmd_results(struct tui *t)
{
	struct fl_tui_result r;
	size_t k;
	int n = 0;

	for (k = 0; k < t->nfeeds; k++)
		while (fl_tui_feed_result(t->feeds[k], &r)) {
			if (t->pending_cmds > 0)
				t->pending_cmds--;
			tui_result(t, &r,
			           t->fleet ? t->fleet->inst[k].addr : NULL);
			free(r.text);
			n++;
		}
	return n;
}
