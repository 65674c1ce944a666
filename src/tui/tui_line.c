/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_line.c - line mode (dashboard.md §8.2): one status line, or one
 * /status JSON document, per refresh interval; no curses, no escapes.
 * For scripts, CI and terminals that are not terminals.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "tui_feed.h"
#include "tui_fmt.h"
#include "tui_model.h"
#include "util/log.h"
#include "util/xmem.h"

static double
line_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
line_text(FILE *f, const struct fl_status *st, const struct fl_tui_model *m,
          int reachable)
{
	char ts[40], eta[32];
	int level;
	const char *word = fl_tui_status_word(m, st, reachable, 1, &level);

	fl_log_iso8601(fl_status_now_us(), ts, sizeof(ts));
	fl_tui_fmt_duration(m->eta, 1, eta, sizeof(eta));
	fprintf(f,
	        "%s phase=%s captured/s=%.0f committed/s=%.0f in_flight=%llu "
	        "lag_mb=%.1f trend=%s eta=%s status=\"%s\" errors=%llu\n",
	        ts, reachable ? fl_phase_name(st->phase) : "unreachable",
	        m->captured_ps, m->committed_ps,
	        (unsigned long long)st->in_flight,
	        st->lag_known ? (double)st->lag_bytes / 1e6 : 0.0,
	        m->trend == FL_TUI_UP     ? "up"
	        : m->trend == FL_TUI_DOWN ? "down"
	                                  : "flat",
	        eta, word, (unsigned long long)st->errors);
}

static void
line_json(FILE *f, const struct fl_status *st, int reachable)
{
	struct fl_buf b;

	if (!reachable) {
		fprintf(f, "null\n");
		return;
	}
	fl_buf_init(&b, (size_t)1 << 26);
	fl_status_to_json(st, fl_status_now_us(), &b);
	fprintf(f, "%s\n", fl_buf_str(&b));
	fl_buf_done(&b);
}

/* Sleep until the next line, or a signal; 1 when a signal came. */
static int
line_sleep(const sigset_t *sigs, double secs)
{
	struct timespec ts = { (time_t)secs,
		               (long)((secs - (double)(time_t)secs) * 1e9) };

	if (sigs)
		return sigtimedwait(sigs, NULL, &ts) > 0;
	nanosleep(&ts, NULL);
	return 0;
}

int
fl_tui_lines(const struct fl_tui_opts *o, int json, void *out,
             struct fl_err *err)
{
	struct fl_tui_feed_opts fo = { o->board,   o->local,   o->status,
		                       o->command, o->refresh, 0 };
	struct fl_tui_feed *feed = fl_tui_feed_new(&fo, err);
	struct fl_status *st = fl_xmalloc(sizeof(*st));
	struct fl_tui_model *m = fl_xmalloc(sizeof(*m));
	uint64_t last_seq = (uint64_t)-1;
	long lines = 0;
	char why[256];

	if (!feed) {
		free(st);
		free(m);
		return -1;
	}
	fl_tui_model_init(m);
	/* attached: give the first poll a moment */
	line_sleep(NULL, o->board ? 0 : 0.3);
	for (;;) {
		int ok = fl_tui_feed_snapshot(feed, st, why, sizeof(why));

		if (ok && (o->board || st->seq != last_seq))
			fl_tui_model_add(m, st, line_now());
		last_seq = st->seq;
		if (json)
			line_json(out, st, ok);
		else
			line_text(out, st, m, ok);
		fflush(out);
		if (ferror((FILE *)out))
			break;
		if (o->iterations > 0 && ++lines >= o->iterations)
			break;
		if (o->board && (st->phase == FL_PHASE_STOPPED ||
		                 st->phase == FL_PHASE_ERROR))
			break; /* the in-process engine has ended */
		if (line_sleep(o->signals, o->refresh))
			break;
	}
	fl_tui_feed_free(feed);
	free(st);
	free(m);
	return 0;
}
