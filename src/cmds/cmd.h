/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd.h - the subcommand table: every `flusso <command>` is one entry
 * (name, usage, one-line summary, options, handler), declared once in its
 * own cmd_<name>.c file and listed in fl_cmd_table[] (cmd.c). The
 * shortcuts (`flusso pause` ...) are not listed: they are the control
 * commands flagged FL_CTL_SHORTCUT (core/commands.h), each turned into
 * an entry by fl_cmd_ctl_shortcut() when looked up.
 *
 * Owns: dispatch, help text, exit codes, logging setup from the shared
 * flags. Handlers return an exit code; nothing below src/cmds exits.
 */
#ifndef FL_CMD_H
#define FL_CMD_H

#include <stdio.h>

#include "opts.h"

enum fl_exit {
	FL_EXIT_OK = 0,      /* success */
	FL_EXIT_FAIL = 1,    /* runtime or configuration error */
	FL_EXIT_USAGE = 2,   /* bad command line */
	FL_EXIT_DIFFERS = 3, /* inspect, verify: something differs */
};

struct fl_cmd_ctx;
struct fl_ctl_cmd;

struct fl_cmd_entry {
	const char *name;
	const char *usage;   /* after "flusso <name> ", e.g. "[options]" */
	const char *summary; /* one line, for `flusso --help` */
	const char *help;    /* a paragraph for `flusso <name> --help` */
	const struct fl_opt *opts;
	size_t nopts;
	size_t max_pos; /* positional arguments accepted */
	int (*exec)(struct fl_cmd_ctx *ctx);
	/* Help text that is not fixed (ctl lists the control table). */
	void (*print_help)(FILE *f);
	/* A shortcut: this control command (usage and summary from it). */
	const struct fl_ctl_cmd *ctl;
	/* Options only before the first positional word (ctl: the words
	 * after COMMAND are the command's, options included). */
	int opts_head;
	/* A shortcut's options (opts points here): the config pair or the
	 * admin ones, the command's, the log ones (checked when built). */
	struct fl_opt own_opts[16];
};

struct fl_cmd_ctx {
	const struct fl_cmd_entry *entry;
	struct fl_cmd_entry shortcut; /* entry points here for a shortcut */
	struct fl_args args;
	int color; /* colour allowed on stdout (TTY, no NO_COLOR/--no-color) */
};

extern const struct fl_cmd_entry fl_cmd_run_entry;
extern const struct fl_cmd_entry fl_cmd_tui_entry;
extern const struct fl_cmd_entry fl_cmd_status_entry;
extern const struct fl_cmd_entry fl_cmd_check_entry;
extern const struct fl_cmd_entry fl_cmd_config_entry;
extern const struct fl_cmd_entry fl_cmd_verify_entry;
extern const struct fl_cmd_entry fl_cmd_slot_entry;
extern const struct fl_cmd_entry fl_cmd_ctl_entry;
extern const struct fl_cmd_entry fl_cmd_completion_entry;
extern const struct fl_cmd_entry fl_cmd_version_entry;
extern const struct fl_cmd_entry fl_cmd_help_entry;

/* NULL-terminated, in help order; the shortcuts are not in it. */
extern const struct fl_cmd_entry *const fl_cmd_table[];

/* The i-th command in help order, the shortcuts right after ctl (built
 * in *tmp); NULL past the end. */
const struct fl_cmd_entry *fl_cmd_at(size_t i, struct fl_cmd_entry *tmp);
/* Exact name lookup, shortcuts included (built in *tmp); NULL if
 * unknown. */
const struct fl_cmd_entry *fl_cmd_find(const char *name,
                                       struct fl_cmd_entry *tmp);
/* Every command name in help order into names (at most max); the
 * count. For did-you-mean hints. */
size_t fl_cmd_names(const char **names, size_t max);
/* cmd_ctl.c: *e becomes `flusso <name>` for control command c. */
void fl_cmd_ctl_shortcut(const struct fl_ctl_cmd *c, struct fl_cmd_entry *e);

/* The whole CLI: returns the process exit code. */
int fl_cmd_main(int argc, char **argv);

void fl_cmd_print_overview(FILE *f);
void fl_cmd_print_help(const struct fl_cmd_entry *e, FILE *f);

/* For commands whose implementation has not landed: one line, exit 1. */
int fl_cmd_not_built(const struct fl_cmd_ctx *ctx);
/* The configuration of --config and --index-prefix, its diagnostics
 * printed to stderr (file:line:col); NULL when it cannot be used. */
struct fl_config;
struct fl_config *fl_cmd_load_config(const struct fl_cmd_ctx *ctx);
/* The instance's selection (--group / --indexes, the base --slot and
 * --publication when the command has them) applied to cfg
 * (fl_config_select); -1 with the error in diags. */
struct fl_diags;
struct fl_config_sel;
void fl_cmd_selection(const struct fl_cmd_ctx *ctx, struct fl_config_sel *out);
int fl_cmd_select(const struct fl_cmd_ctx *ctx, struct fl_config *cfg,
                  struct fl_diags *diags);

/* The admin password: the first line of --admin-password-file, else
 * --admin-password, else (neither given, as flag or env twin) the first
 * line of $CREDENTIALS_DIRECTORY/admin-password when it exists (systemd's
 * LoadCredential=); *out is NULL when none is set (or it is empty).
 * Returns FL_EXIT_OK, or FL_EXIT_FAIL after saying the file cannot be
 * read. Used by run, tui and ctl alike. Caller frees *out. */
int fl_cmd_admin_password(const struct fl_cmd_ctx *ctx, char **out);

#endif
