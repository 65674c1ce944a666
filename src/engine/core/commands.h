/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands.h - the control commands, declared once (dashboard.md §4) and
 * served identically by the CLI (`flusso ctl ...` and its shortcuts), the
 * TUI prompt and the HTTP admin API.
 *
 * Owns: the command table (name, arguments, help, HTTP method/path and
 * query parameters, whether it changes anything), argument validation,
 * running a command against an in-process engine and board, and running
 * it against a remote daemon over HTTP (the same routes the daemon
 * serves). Does not own: what commands do (engine.c), HTTP serving
 * (http_server.c), argv parsing of flusso itself (src/cmds).
 */
#ifndef FL_COMMANDS_H
#define FL_COMMANDS_H

#include <stddef.h>

#include "core/engine.h"
#include "core/status_board.h"
#include "util/buf.h"

enum {
	FL_CTL_MUTATING = 1, /* refused in --readonly; the TUI confirms */
	FL_CTL_PROMPT = 2,   /* offered at the TUI prompt */
	FL_CTL_HTTP = 4,     /* served by the admin API */
	FL_CTL_LOCAL = 8,    /* prompt-only (help, quit) */
};

struct fl_ctl_cmd {
	const char *name;
	const char *args;    /* "INDEX", "[INDEX|all]", "INDEX stop|skip" */
	const char *summary; /* one line */
	unsigned flags;
	const char *method;    /* "GET" or "POST" */
	const char *path;      /* "/reindex" */
	const char *params[2]; /* query parameter of each argument */
	int min_args, max_args;
	int ecmd; /* enum fl_engine_cmd, or -1 for read-only commands */
};

/* NULL-terminated by name == NULL. */
extern const struct fl_ctl_cmd fl_ctl_table[];

/* Exact name, else a unique prefix; NULL (and *ambiguous set when
 * several match) otherwise. */
const struct fl_ctl_cmd *fl_ctl_find(const char *name, int *ambiguous);
/* The command served at METHOD PATH; *wrong_method when only the
 * method differs. */
const struct fl_ctl_cmd *fl_ctl_route(const char *method, const char *path,
                                      int *wrong_method);

/* The in-process side: a running engine (may be NULL: not running) and
 * its board. */
struct fl_ctl_local {
	struct fl_engine *engine;
	struct fl_board *board;
	int readonly;
};

/*
 * Run a command with its arguments. Writes the answer (text ending in
 * '\n', or JSON for read commands) to out and returns an HTTP status.
 */
int fl_ctl_exec(const struct fl_ctl_local *l, const struct fl_ctl_cmd *c,
                int argc, const char *const *argv, struct fl_buf *out);

/* Split a prompt line into words (whitespace; no quoting). Returns the
 * count (<= max); the words point into `line`, which is modified. */
int fl_ctl_split(char *line, char **words, int max);

/* The remote side: a daemon's admin base URL and credentials. */
struct fl_ctl_remote {
	const char *base; /* "http://127.0.0.1:9465" (see fl_ctl_base_url) */
	const char *user;
	const char *password; /* NULL: no auth header */
	long timeout_secs;
};

/* "127.0.0.1:9465" -> "http://127.0.0.1:9465"; trailing '/' trimmed.
 * Caller frees. */
char *fl_ctl_base_url(const char *addr);

/* Send a command to a daemon; the body goes to out. Returns the HTTP
 * status, or -1 with err when the daemon cannot be reached. */
int fl_ctl_remote_exec(const struct fl_ctl_remote *r,
                       const struct fl_ctl_cmd *c, int argc,
                       const char *const *argv, struct fl_buf *out,
                       struct fl_err *err);
/* GET a path (e.g. "/status") of a daemon. */
int fl_ctl_remote_get(const struct fl_ctl_remote *r, const char *path,
                      struct fl_buf *out, struct fl_err *err);

#endif
