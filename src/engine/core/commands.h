/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands.h - the control commands, declared once (dashboard.md §4) and
 * served identically by the CLI (`flusso ctl ...` and its shortcuts), the
 * TUI prompt and the HTTP admin API.
 *
 * Owns: the command table (one designated-initialiser entry per command:
 * name, arguments, summary, flags, HTTP method and path, handler), the
 * one validation path every surface uses (fl_ctl_check: argument count,
 * index names, `all`, read-only mode, --help and `help NAME`), running a
 * command against an in-process engine and board (commands.c), and
 * sending it to a remote daemon over HTTP (commands_remote.c, the same
 * routes the daemon serves). Does not own: what commands do (engine.c),
 * HTTP serving (http_server.c), argv parsing of flusso itself (src/cmds).
 *
 * Adding a command: one entry in fl_ctl_table[] (commands.c) with a short
 * handler; document it in README.md and share/flusso.1 (test_ctl_table
 * walks the table against both and against `flusso ctl --help`).
 */
#ifndef FL_COMMANDS_H
#define FL_COMMANDS_H

#include <stddef.h>

#include "core/engine.h"
#include "core/status_board.h"
#include "util/buf.h"

/* Where a command is offered, and how it behaves. */
enum fl_ctl_flag {
	FL_CTL_MUTATING = 1 << 0, /* refused in --readonly; the TUI confirms */
	FL_CTL_PROMPT = 1 << 1,   /* offered at the TUI prompt */
	FL_CTL_HTTP = 1 << 2,     /* served by the admin API */
	FL_CTL_CLI = 1 << 3,      /* offered by `flusso ctl` */
	FL_CTL_JSON = 1 << 4,     /* answers JSON (the CLI pretty-prints) */
	FL_CTL_LOCAL = 1 << 5,    /* answered by the surface (help, quit) */
	FL_CTL_SHORTCUT = 1 << 6, /* also `flusso <name>` */
	/* Needs no daemon: `flusso <name>` runs it in its own process
	 * against the database and OpenSearch (the prompt and the admin API
	 * run it in theirs); implies a shortcut. Answers may say that
	 * something differs (fl_ctl_local.differs; the CLI exits 3). */
	FL_CTL_OFFLINE = 1 << 7,
};

/* The surfaces are the flags that offer a command there. */
#define FL_CTL_SURFACES (FL_CTL_PROMPT | FL_CTL_HTTP | FL_CTL_CLI)

enum fl_ctl_arg_flag {
	FL_CTL_ARG_OPTIONAL = 1 << 0, /* may be left out (trailing only) */
	FL_CTL_ARG_INDEX = 1 << 1,    /* an index name: trimmed, lowercased */
	FL_CTL_ARG_ALL = 1 << 2,      /* or the word `all` */
	FL_CTL_ARG_REST = 1 << 3,     /* the last one: one or more words
	                               * (HTTP: the parameter repeated) */
};

/* One positional argument; usage shows "NAME", "[NAME]", "NAME|all". */
struct fl_ctl_arg {
	const char *name;  /* "INDEX", "LEVEL", "stop|skip" */
	const char *param; /* its HTTP query parameter ("index") */
	unsigned flags;    /* enum fl_ctl_arg_flag */
};

/* An option of a command: `--name VALUE`, `--name=VALUE`, or a switch
 * `--name` (metavar NULL); HTTP: the query parameter `name`. */
struct fl_ctl_opt {
	const char *name;    /* "sink" */
	const char *metavar; /* "NAME"; NULL: a switch */
	const char *help;    /* one line */
};

#define FL_CTL_MAX_ARGS  2
#define FL_CTL_MAX_OPTS  6
#define FL_CTL_MAX_WORDS 64 /* arguments and options of one call */
#define FL_CTL_MAX_IDS   50 /* ids of one `repair` (every surface) */
#define FL_CTL_INDEX_MAX 64

struct fl_ctl_cmd;

/* A validated command with its arguments (fl_ctl_check). */
struct fl_ctl_call {
	const struct fl_ctl_cmd *cmd;
	int argc;                           /* positional words */
	const char *argv[FL_CTL_MAX_WORDS]; /* as given (borrowed) */
	/* Each option of the command, in table order: its value, "" for a
	 * switch given, NULL when not given (borrowed). */
	const char *optv[FL_CTL_MAX_OPTS];
	char index[FL_CTL_INDEX_MAX];   /* INDEX normalised, "all" or "" */
	int help;                       /* show help instead of running */
	const struct fl_ctl_cmd *topic; /* help: of this command; NULL all */
};

/* The in-process side: a running engine (may be NULL: not running) and
 * its board; for FL_CTL_OFFLINE commands a configuration (NULL: the
 * engine's). */
struct fl_ctl_local {
	struct fl_engine *engine;
	struct fl_board *board;
	int readonly;
	const struct fl_config *cfg;
	int color; /* answers may use ANSI colour (a terminal, no NO_COLOR) */
	int *differs; /* set to 1 when an answer shows a difference (or NULL) */
};

/* A handler: writes the answer (text ending in '\n', or JSON) to out
 * and returns an HTTP status. Runs on the calling surface's thread. */
typedef int fl_ctl_exec_fn(const struct fl_ctl_local *l,
                           const struct fl_ctl_call *call, struct fl_buf *out);

struct fl_ctl_cmd {
	const char *name;
	struct fl_ctl_arg args[FL_CTL_MAX_ARGS]; /* ends at .name == NULL */
	const char *summary;                     /* one line, lower case */
	unsigned flags;                          /* enum fl_ctl_flag */
	const char *method;                      /* HTTP: "GET" or "POST" */
	const char *path;                        /* HTTP: "/reindex" */
	fl_ctl_exec_fn *exec;                    /* NULL for FL_CTL_LOCAL */
	const struct fl_ctl_opt *opts;           /* ends at .name == NULL */
	const char *help;                        /* more than the summary */
};

/* NULL-terminated by name == NULL; in help order. */
extern const struct fl_ctl_cmd fl_ctl_table[];

/* ---- lookup and validation (commands_check.c) ---- */

/* Exact name, else a unique prefix, among the commands offered on
 * `surface` (FL_CTL_PROMPT, FL_CTL_HTTP, FL_CTL_CLI; 0: any). NULL (and
 * *ambiguous set when several match) otherwise. */
const struct fl_ctl_cmd *fl_ctl_find(unsigned surface, const char *name,
                                     int *ambiguous);
/* The command served at METHOD PATH; *wrong_method when only the
 * method differs. */
const struct fl_ctl_cmd *fl_ctl_route(const char *method, const char *path,
                                      int *wrong_method);
/* Argument counts the command accepts (a REST argument counts as one
 * here; fl_ctl_check accepts up to FL_CTL_MAX_WORDS words for it). */
int fl_ctl_min_args(const struct fl_ctl_cmd *c);
int fl_ctl_max_args(const struct fl_ctl_cmd *c);
/* Options the command has; the value of option `name` in a checked call
 * (NULL when not given). */
int fl_ctl_nopts(const struct fl_ctl_cmd *c);
const char *fl_ctl_opt(const struct fl_ctl_call *call, const char *name);
/* The arguments as usage shows them: "[INDEX|all]", "INDEX stop|skip". */
void fl_ctl_args_usage(const struct fl_ctl_cmd *c, char *out, size_t n);
/* The usage on a surface: "pause [INDEX|all]" (prompt), "flusso ctl
 * pause [INDEX|all]" (CLI), "POST /pause[?index=INDEX|all]" (HTTP). */
void fl_ctl_usage(const struct fl_ctl_cmd *c, unsigned surface, char *out,
                  size_t n);

/*
 * The one validation path of every surface. Checks `c` (offered on
 * `surface`) with its arguments: --help (CLI and prompt) and `help
 * [COMMAND]` ask for help; then the argument count ("usage: ..."), the
 * INDEX argument (normalised into call->index; `all` where the argument
 * allows it), and read-only mode for mutating commands. Returns 200 with
 * *call filled (run it, or show help when call->help), or 400 (bad
 * arguments), 403 (read-only), 404 (not offered here) with a one-line
 * message in msg.
 */
int fl_ctl_check(unsigned surface, const struct fl_ctl_cmd *c, int argc,
                 const char *const *argv, int readonly,
                 struct fl_ctl_call *call, char *msg, size_t msglen);
/* fl_ctl_check of words[0] looked up with fl_ctl_find: an unknown or
 * ambiguous name is 404 ("unknown command `x`", "ambiguous command `x`,
 * could be: a, b"). */
int fl_ctl_parse(unsigned surface, int nwords, const char *const *words,
                 int readonly, struct fl_ctl_call *call, char *msg,
                 size_t msglen);
/* Help text: one command's usage and summary, or (topic NULL) every
 * command offered on the surface. */
void fl_ctl_help(unsigned surface, const struct fl_ctl_cmd *topic,
                 struct fl_buf *out);

/* Split a prompt line into words (whitespace; no quoting). Returns the
 * count (<= max), or -1 when there are more than max words; the words
 * point into `line`, which is modified. */
int fl_ctl_split(char *line, char **words, int max);

/* ---- the debugging commands' handlers (commands_debug.c) ---- */
fl_ctl_exec_fn fl_ctl_inspect, fl_ctl_explain, fl_ctl_sql, fl_ctl_repair,
    fl_ctl_slot;
/* `migrate` (migrate.c). */
fl_ctl_exec_fn fl_ctl_migrate;

/* ---- in-process (commands.c) ---- */

/*
 * Check (fl_ctl_check on `surface`) and run a command against the
 * in-process engine and board. Writes the answer (text ending in '\n',
 * or JSON for FL_CTL_JSON commands) to out and returns an HTTP status
 * (503 when the pipeline is not running).
 */
int fl_ctl_exec(const struct fl_ctl_local *l, unsigned surface,
                const struct fl_ctl_cmd *c, int argc, const char *const *argv,
                struct fl_buf *out);

/* ---- remote (commands_remote.c) ---- */

/* A daemon's admin base URL and credentials. */
struct fl_ctl_remote {
	const char *base; /* "http://127.0.0.1:9465" (see fl_ctl_base_url) */
	const char *user;
	const char *password; /* NULL: no auth header */
	long timeout_secs;
	int *differs; /* set to 1 when the answer says something differs
	               * (X-Flusso-Differs); may be NULL */
};

/* "127.0.0.1:9465" -> "http://127.0.0.1:9465"; trailing '/' trimmed.
 * Caller frees. */
char *fl_ctl_base_url(const char *addr);

/* Send a command to a daemon (the daemon validates it again); the body
 * goes to out. Returns the HTTP status, or -1 with err when the daemon
 * cannot be reached. */
int fl_ctl_remote_exec(const struct fl_ctl_remote *r,
                       const struct fl_ctl_cmd *c, int argc,
                       const char *const *argv, struct fl_buf *out,
                       struct fl_err *err);
/* The same for a call already checked (fl_ctl_check): positional
 * arguments and options become query parameters. */
int fl_ctl_remote_call(const struct fl_ctl_remote *r,
                       const struct fl_ctl_call *call, struct fl_buf *out,
                       struct fl_err *err);
/* GET a path (e.g. "/status") of a daemon. */
int fl_ctl_remote_get(const struct fl_ctl_remote *r, const char *path,
                      struct fl_buf *out, struct fl_err *err);

#endif
