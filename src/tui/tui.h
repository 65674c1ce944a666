/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui.h - the terminal dashboard. src/tui is the only code that links
 * ncurses and readline.
 *
 * fl_tui_run() owns the terminal from start to finish (curses on the
 * calling thread, readline in callback mode, one feed thread); the
 * caller owns the engine, its board and the HTTP listeners. Logging is
 * the caller's to divert before calling (nothing may reach the screen).
 */
#ifndef FL_TUI_H
#define FL_TUI_H

#include <signal.h>
#include <stddef.h>

#include "core/commands.h"
#include "core/status_board.h"
#include "util/err.h"

struct fl_tui_opts {
	/* in-process: the engine's board and the control executor */
	struct fl_board *board;
	const struct fl_ctl_local *local;
	/* attached: where /status is and where commands go; with
	 * ninstances > 1 (the fleet view) arrays of that many, one per
	 * instance, shown by names[i] */
	const struct fl_ctl_remote *status;
	const struct fl_ctl_remote *command;
	size_t ninstances;
	const char *const *names;
	const char *source_name; /* "config flusso.yml" / "attached to X" */
	double refresh;          /* seconds, 0.5 .. 10 */
	int readonly;
	int color;       /* colour allowed (no NO_COLOR/--no-color) */
	int ascii;       /* -U */
	long iterations; /* exit after this many frames; 0 unlimited */
	/* signals blocked in every thread that the UI takes (SIGINT:
	 * ask to quit; SIGTERM, SIGHUP: quit) */
	const sigset_t *signals;
	const char *history_path; /* NULL: $XDG_STATE_HOME/flusso/history */
};

/*
 * Show the dashboard until the operator quits (or --iterations frames,
 * or SIGTERM). Returns 0, or -1 with err when the terminal cannot be
 * used. In-process, the caller stops the engine afterwards.
 */
int fl_tui_run(const struct fl_tui_opts *o, struct fl_err *err);

/*
 * Line mode (dashboard.md §8.2): one status line (or one /status JSON
 * document with json) per refresh on `out` (a FILE *), no escape
 * sequences; an unreachable daemon is a line too. Returns 0 after
 * --iterations lines, a signal, or the in-process engine's end; -1 with
 * err when the feed cannot start.
 */
int fl_tui_lines(const struct fl_tui_opts *o, int json, void *out,
                 struct fl_err *err);

/* Write "  ncurses ...\n  readline ...\n" into out (always terminated). */
void fl_tui_lib_versions(char *out, size_t n);

#endif
