/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui.c - the dashboard's main loop: curses set-up and tear-down, then
 * poll() on the terminal, the feed's wake fds, a signalfd and the refresh
 * deadline; keys go to tui_keys.c, drawing to tui_draw*.c.
 *
 * DESIGN
 *   Single UI thread. On each refresh tick it copies one snapshot (no
 *   engine lock is held while drawing), feeds the model (rates, trend)
 *   and redraws, unless frozen. Wake-ups between ticks (a command result,
 *   a board change) redraw at most every 250 ms without sampling, so
 *   rates stay evenly spaced. Idle, it sleeps in poll() until the next
 *   tick: one snapshot and one redraw per refresh interval.
 *   The terminal is written only here (curses batches output; a slow
 *   terminal slows this thread only, never the engine's).
 */
#include "tui.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <readline/readline.h>

#include "tui_int.h"
#include "util/xmem.h"

void
fl_tui_lib_versions(char *out, size_t n)
{
	snprintf(out, n, "  %s\n  readline %s\n", curses_version(),
	         rl_library_version ? rl_library_version : "?");
}

double
tui_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
tui_set_refresh(struct tui *t, double secs)
{
	size_t k;

	t->refresh = secs < 0.5 ? 0.5 : secs > 10 ? 10 : secs;
	for (k = 0; k < t->nfeeds; k++)
		fl_tui_feed_set_refresh(t->feeds[k], t->refresh);
	t->next_tick = tui_now() + t->refresh;
}

/* The fleet view: each instance's snapshot into the fleet, then the
 * merged one into t->st. */
static void
tui_fleet_snapshot(struct tui *t)
{
	struct fl_status *tmp = fl_xmalloc(sizeof(*tmp));
	size_t k, up;

	for (k = 0; k < t->nfeeds; k++) {
		char why[256], role[16], group[64];
		int ok =
		    fl_tui_feed_snapshot(t->feeds[k], tmp, why, sizeof(why));

		fl_tui_feed_meta(t->feeds[k], role, sizeof(role), group,
		                 sizeof(group));
		fl_tui_fleet_update(t->fleet, k, ok, why, tmp, role, group,
		                    tui_now(), fl_status_now_us());
	}
	free(tmp);
	up = fl_tui_fleet_merge(t->fleet, t->st);
	t->reachable = up > 0;
	snprintf(t->why, sizeof(t->why), "%zu of %zu instances unreachable",
	         t->nfeeds - up, t->nfeeds);
}

/* Copy the current snapshot; with sample, feed the model too. */
void
tui_take_snapshot(struct tui *t, int sample)
{
	if (t->fleet)
		tui_fleet_snapshot(t);
	else
		t->reachable = fl_tui_feed_snapshot(t->feed, t->st, t->why,
		                                    sizeof(t->why));
	if (t->reachable)
		t->have_data = 1;
	/* attached: sample only new documents, so rates see real deltas */
	if (sample && t->reachable &&
	    (t->o->board || t->st->seq != t->last_seq))
		fl_tui_model_add(t->m, t->st, tui_now());
	t->last_seq = t->st->seq;
	tui_clamp_selection(t);
}

static int
tui_curses_start(struct tui *t, struct fl_err *err)
{
	const char *term = getenv("TERM");

	if (!term || !*term)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "TERM is not set; cannot draw the dashboard");
	if (!newterm(NULL, stdout, stdin))
		return fl_err_set(err, FL_ERR_INVALID,
		                  "cannot use terminal type `%s`", term);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	tui_colors_init(t);
	return 0;
}

static void
tui_curses_stop(void)
{
	curs_set(1);
	endwin();
	delscreen(set_term(NULL));
}

/* Read every pending key; returns how many. */
static int
tui_keys(struct tui *t)
{
	int ch, n = 0;

	while (!t->quit && (ch = getch()) != ERR) {
		tui_key(t, ch);
		n++;
	}
	return n;
}

static void
tui_signals(struct tui *t, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP ||
		    t->confirm == TUI_CONFIRM_QUIT)
			t->quit = 1;
		else
			tui_ask_quit(t);
	}
}

/* One pass: wait for input, a wake-up or the tick. Returns 1 to redraw. */
static int
tui_wait(struct tui *t, int sfd, double last_draw)
{
	struct pollfd p[2 + 2 * FL_TUI_FLEET_MAX];
	int nf = 0, fds[2], nfeed = 0, i, ms, redraw = 0;
	size_t k;

	p[nf++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
	for (k = 0; k < t->nfeeds; k++) {
		int nk = fl_tui_feed_fds(t->feeds[k], fds);

		for (i = 0; i < nk; i++)
			p[nf++] = (struct pollfd){ fds[i], POLLIN, 0 };
		nfeed += nk;
	}
	if (sfd >= 0)
		p[nf++] = (struct pollfd){ sfd, POLLIN, 0 };
	ms = (int)((t->next_tick - tui_now()) * 1000) + 1;
	if (poll(p, (nfds_t)nf, ms < 0 ? 0 : ms) < 0 && errno != EINTR)
		return 0;
	if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
		t->quit = 1; /* the terminal is gone */
		return 0;
	}
	if (sfd >= 0 && (p[nf - 1].revents & POLLIN)) {
		tui_signals(t, sfd);
		redraw = 1;
	}
	if (tui_keys(t) > 0) /* also KEY_RESIZE after SIGWINCH */
		redraw = 1;
	for (i = 1; i <= nfeed; i++)
		if (p[i].revents & POLLIN) {
			for (k = 0; k < t->nfeeds; k++)
				fl_tui_feed_drain(t->feeds[k]);
			if (tui_cmd_results(t) > 0)
				redraw = 1;
			if (!t->frozen && tui_now() - last_draw >= 0.25) {
				tui_take_snapshot(t, 0);
				redraw = 1;
			}
			break;
		}
	if (tui_now() >= t->next_tick) {
		t->next_tick = tui_now() + t->refresh;
		if (!t->frozen)
			tui_take_snapshot(t, 1);
		t->frames++;
		redraw = 1;
	}
	return redraw;
}

static int
tui_signalfd(const struct fl_tui_opts *o)
{
	return o->signals ? signalfd(-1, o->signals, SFD_NONBLOCK | SFD_CLOEXEC)
	                  : -1;
}

static void
tui_loop(struct tui *t)
{
	int sfd = tui_signalfd(t->o);
	double last_draw = 0;

	tui_take_snapshot(t, 1);
	t->next_tick = tui_now() + t->refresh;
	tui_draw(t);
	while (!t->quit) {
		if (tui_wait(t, sfd, last_draw)) {
			tui_draw(t);
			last_draw = tui_now();
		}
		if (t->o->iterations > 0 && t->frames >= t->o->iterations)
			break;
	}
	if (sfd >= 0)
		close(sfd);
}

static void
tui_free(struct tui *t)
{
	size_t k;

	for (k = 0; k < t->nfeeds; k++)
		fl_tui_feed_free(t->feeds[k]);
	if (t->fleet) {
		fl_tui_fleet_done(t->fleet);
		free(t->fleet);
	}
	if (t->filter_ok)
		regfree(&t->filter_re);
	free(t->text);
	free(t->st);
	free(t->m);
}

/* One feed, or (fleet) one per instance. */
static int
tui_feeds_start(struct tui *t, struct fl_err *err)
{
	const struct fl_tui_opts *o = t->o;
	struct fl_tui_feed_opts fo = { o->board,   o->local,   o->status,
		                       o->command, o->refresh, 0 };
	size_t k;

	if (o->ninstances <= 1 || o->board) {
		if (!(t->feeds[0] = fl_tui_feed_new(&fo, err)))
			return -1;
		t->feed = t->feeds[0];
		t->nfeeds = 1;
		return 0;
	}
	if (o->ninstances > FL_TUI_FLEET_MAX)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "at most %d instances in one view",
		                  FL_TUI_FLEET_MAX);
	t->fleet = fl_xmalloc(sizeof(*t->fleet));
	fl_tui_fleet_init(t->fleet, o->names, o->ninstances);
	for (k = 0; k < o->ninstances; k++) {
		fo.status = &o->status[k];
		fo.command = &o->command[k];
		fo.meta = 1;
		if (!(t->feeds[k] = fl_tui_feed_new(&fo, err)))
			return -1;
		t->nfeeds++;
	}
	t->feed = t->feeds[0];
	return 0;
}

int
fl_tui_run(const struct fl_tui_opts *o, struct fl_err *err)
{
	struct tui t;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	t.o = o;
	t.refresh = o->refresh;
	t.sel = -1;
	t.sort_col = -1; /* the configuration's order */
	t.st = fl_xcalloc(1, sizeof(*t.st));
	t.m = fl_xmalloc(sizeof(*t.m));
	fl_tui_model_init(t.m);
	setlocale(LC_ALL, "");
	t.ascii = o->ascii || strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	if (tui_feeds_start(&t, err) < 0) {
		tui_free(&t);
		return -1;
	}
	if (tui_curses_start(&t, err) < 0) {
		tui_free(&t);
		return -1;
	}
	if ((rc = tui_prompt_init(&t, err)) == 0) {
		tui_loop(&t);
		tui_prompt_done();
	}
	tui_curses_stop();
	tui_free(&t);
	return rc;
}
