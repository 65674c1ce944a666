/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_feed.h - where the dashboard's data comes from and where its
 * commands go: the in-process board and control table, or an attached
 * daemon's GET /status and admin API.
 *
 * Owns: one feed thread that runs commands (an engine command may wait
 * seconds; the screen must not) and, when attached, polls /status every
 * refresh interval into a local board, so the UI thread always reads a
 * board snapshot the same way. Does not own the engine, the daemon's
 * board, or anything drawn.
 *
 * Threads: the UI thread calls everything here; the feed thread only
 * touches the local board, the two queues and the wake pipe. Results
 * come back through a queue; the wake pipe says one is ready.
 */
#ifndef FL_TUI_FEED_H
#define FL_TUI_FEED_H

#include "core/commands.h"
#include "core/status_board.h"
#include "util/err.h"

struct fl_tui_feed_opts {
	struct fl_board *board;              /* in-process; NULL: attach */
	const struct fl_ctl_local *local;    /* in-process commands */
	const struct fl_ctl_remote *status;  /* attach: GET /status here */
	const struct fl_ctl_remote *command; /* attach: the admin API */
	double refresh;                      /* attach poll interval, s */
	int meta; /* attach: also read `role` and `group` (fleet view) */
};

/* A finished command. */
struct fl_tui_result {
	char line[256]; /* what was asked, "pause users" */
	int code;       /* HTTP-like status; -1 unreachable */
	char *text;     /* the answer; owned by the receiver */
};

struct fl_tui_feed;

/* Start the feed thread. NULL with err on failure. */
struct fl_tui_feed *fl_tui_feed_new(const struct fl_tui_feed_opts *o,
                                    struct fl_err *err);
/* Stop the thread (a running command finishes first) and free. */
void fl_tui_feed_free(struct fl_tui_feed *f);

/* File descriptors to poll for "new data or a result" (read them empty
 * with fl_tui_feed_drain). Returns how many (at most 2). */
int fl_tui_feed_fds(struct fl_tui_feed *f, int *fds);
void fl_tui_feed_drain(struct fl_tui_feed *f);

/*
 * Copy the latest snapshot. Returns 1 when the data is current (always
 * in-process; attached: the last poll succeeded), else 0 with the reason
 * in why.
 */
int fl_tui_feed_snapshot(struct fl_tui_feed *f, struct fl_status *out,
                         char *why, size_t n);
/* With opts.meta: the `role` and `group` of the last good /status
 * ("" when it has none). */
void fl_tui_feed_meta(struct fl_tui_feed *f, char *role, size_t rn, char *group,
                      size_t gn);
/* Attached: poll now, and from now on every `secs`. */
void fl_tui_feed_set_refresh(struct fl_tui_feed *f, double secs);

/* Queue a command (arguments are copied). -1 when too many are pending. */
int fl_tui_feed_submit(struct fl_tui_feed *f, const struct fl_ctl_cmd *c,
                       int argc, const char *const *argv);
/* Take a finished command; 1 when there was one. */
int fl_tui_feed_result(struct fl_tui_feed *f, struct fl_tui_result *out);

#endif
