/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_check.c - `flusso check`: validate the deployment file and schemas,
 * print the derived mappings; online, confirm them against PostgreSQL.
 * Errors and warnings go to stderr, the report to stdout; exit 1 when
 * any error was found.
 *
 * Online (the default): resolve the source conninfo, connect (the
 * password never reaches a message), run the database rules
 * (pg_check.c, read-only) and add the server, publication coverage and
 * slot sections (human) or the `coverage` and `slot` members (JSON).
 * A connection failure is an error (exit 1); coverage gaps and warnings
 * alone are not.
 *
 * --fix: after the report, the plan it printed (fl_check_db.fixes, the
 * same list) is walked by check_fix.c, asking before each statement
 * unless --yes; then the database rules run again and their result is
 * printed. Exit 0 only when that re-check is clean (no error, nothing
 * left to fix) and no statement failed. --dry-run prints the plan and
 * changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_fix.h"
#include "check_report.h"
#include "cmd.h"
#include "config/config.h"
#include "config/config_group.h"
#include "source/pg_check.h"
#include "source/pg_conn.h"
#include "util/json_write.h"
#include "util/xmem.h"

static const char *const check_formats[] = { "human", "json", NULL };

static const struct fl_opt check_opts[] = {
	FL_OPTS_CONFIG,
	{ .name = "offline",
	  .kind = FL_OPT_FLAG,
	  .help = "validate files only; do not connect to PostgreSQL" },
	{ .name = "slot",
	  .kind = FL_OPT_STR,
	  .metavar = "NAME",
	  .help = "replication slot to report on",
	  .def = "flusso" },
	{ .name = "publication",
	  .kind = FL_OPT_STR,
	  .metavar = "NAME",
	  .help = "publication to check coverage of",
	  .def = "flusso" },
	{ .name = "manage-publication",
	  .kind = FL_OPT_BOOL,
	  .metavar = "BOOL",
	  .help = "wording of the coverage report",
	  .def_help = "file, then true" },
	{ .name = "format",
	  .kind = FL_OPT_STR,
	  .metavar = "FORMAT",
	  .help = "human or json",
	  .def = "human",
	  .choices = check_formats },
	{ .name = "json",
	  .kind = FL_OPT_FLAG,
	  .help = "same as --format json: the exact creation bodies" },
	{ .name = "fix",
	  .kind = FL_OPT_FLAG,
	  .help = "apply the fixes the report lists, asking before each "
	          "statement" },
	{ .name = "yes",
	  .letter = 'y',
	  .kind = FL_OPT_FLAG,
	  .help = "with --fix: apply without asking (needed when stdin is "
	          "not a terminal)" },
	{ .name = "dry-run",
	  .kind = FL_OPT_FLAG,
	  .help = "with --fix: print the fixes, change nothing" },
	FL_OPTS_LOG,
};

/* The database part of one `check` run. */
struct check_online {
	int ran;    /* the database checks completed */
	int failed; /* connecting or a catalog query failed: err */
	struct fl_err err;
	struct fl_check_db db;
	char *target; /* user@host:port/dbname, no password */
	int will_manage;
	char *manage_from; /* where will_manage came from */
	PGconn *conn;      /* kept open for --fix */
	struct fl_check_db_opts o;
};

/* Effective --manage-publication (flag > env > file) and its origin. */
static void
check_will_manage(struct fl_cmd_ctx *ctx, const struct fl_config *cfg,
                  struct check_online *on)
{
	const struct fl_optval *v =
	    fl_args_get(&ctx->args, "manage-publication");

	if (v && v->src == FL_OPT_FROM_ARGV) {
		on->will_manage = v->on;
		on->manage_from = fl_xstrdup("--manage-publication");
	} else if (v && v->src == FL_OPT_FROM_ENV) {
		on->will_manage = v->on;
		on->manage_from = fl_xstrdup("FLUSSO_MANAGE_PUBLICATION");
	} else {
		on->will_manage = cfg->source.manage_publication;
		on->manage_from = fl_xasprintf("source.manage_publication in "
		                               "%s, default true",
		                               cfg->path);
	}
}

/* Connect and run the database rules; fills `on` (failed + err when the
 * database could not be checked). */
static void
check_online_run(struct fl_cmd_ctx *ctx, const struct fl_config *cfg,
                 struct fl_diags *diags, struct check_online *on)
{
	struct fl_check_db_opts *o = &on->o;
	char *conninfo;
	PGconn *conn;

	check_will_manage(ctx, cfg, on);
	o->slot = cfg->slot; /* the selection's (--group, --indexes) */
	o->publication = cfg->publication;
	if (!(conninfo = fl_config_source_conninfo(cfg, &on->err))) {
		on->failed = 1;
		return;
	}
	on->target = fl_pgconn_describe(conninfo);
	conn = fl_pgconn_open(conninfo, "flusso", 0, &on->err);
	free(conninfo);
	if (!conn) {
		on->failed = 1;
		return;
	}
	if (fl_check_db_run(conn, cfg, o, &on->db, diags, &on->err) < 0) {
		fl_err_prefix(&on->err, "checking database %s", on->target);
		on->failed = 1;
	} else {
		on->ran = 1;
	}
	on->conn = conn;
}

static void
check_online_done(struct check_online *on)
{
	fl_check_db_done(&on->db);
	if (on->conn)
		PQfinish(on->conn);
	free(on->target);
	free(on->manage_from);
}

/* Print the report in the chosen format; returns the exit code. */
static int
check_report(struct fl_cmd_ctx *ctx, const struct fl_config *cfg,
             const struct fl_diags *diags, const struct check_online *on)
{
	int json = fl_args_flag(&ctx->args, "json") ||
	           strcmp(fl_args_str(&ctx->args, "format"), "json") == 0;
	struct fl_buf pretty;
	cJSON *doc;
	char *text;

	if (!json) {
		if (cfg)
			fl_check_print_human(cfg, stdout);
		if (on->ran)
			fl_check_print_online(&on->db, on->target,
			                      on->will_manage, on->manage_from,
			                      stdout);
		/* problems last, after the report, where they are seen */
		fflush(stdout);
		fl_check_print_diags(diags, stderr, ctx->color);
		if (on->failed)
			fprintf(stderr, "Error: %s\n", on->err.msg);
		fprintf(stderr, "%s: %s%zu error%s, %zu warning%s\n",
		        diags->nerrors || on->failed ? "check failed"
		                                     : "check passed",
		        on->failed ? "the database was not checked; " : "",
		        diags->nerrors, diags->nerrors == 1 ? "" : "s",
		        diags->nwarnings, diags->nwarnings == 1 ? "" : "s");
		return diags->nerrors || on->failed ? FL_EXIT_FAIL : FL_EXIT_OK;
	}
	doc = fl_check_json(cfg, diags);
	cJSON_AddItemToObject(
	    doc, "coverage",
	    on->ran ? fl_check_json_coverage(&on->db.coverage, on->will_manage)
	            : cJSON_CreateNull());
	cJSON_AddItemToObject(doc, "slot",
	                      on->ran ? fl_check_json_slot(&on->db.slot)
	                              : cJSON_CreateNull());
	cJSON_AddItemToObject(doc, "fixes",
	                      on->ran ? fl_check_json_fixes(&on->db.fixes)
	                              : cJSON_CreateNull());
	text = cJSON_PrintUnformatted(doc);
	fl_buf_init(&pretty, (size_t)1 << 30);
	fl_json_pretty(text, &pretty);
	puts(fl_buf_str(&pretty));
	fl_buf_done(&pretty);
	free(text);
	cJSON_Delete(doc);
	if (on->failed)
		fprintf(stderr, "Error: %s\n", on->err.msg);
	return diags->nerrors || on->failed ? FL_EXIT_FAIL : FL_EXIT_OK;
}

/* --fix, --yes and --dry-run together make sense? Else a usage
 * message and FL_EXIT_USAGE; 0 when fine. */
static int
check_fix_usage(struct fl_cmd_ctx *ctx)
{
	int fix = fl_args_flag(&ctx->args, "fix");
	int yes = fl_args_flag(&ctx->args, "yes");
	int dry = fl_args_flag(&ctx->args, "dry-run");
	const char *why = NULL;

	if (!fix && (yes || dry))
		why = yes ? "--yes needs --fix" : "--dry-run needs --fix";
	else if (fix && fl_args_flag(&ctx->args, "offline"))
		why = "--fix needs the database; drop --offline";
	else if (fix &&
	         (fl_args_flag(&ctx->args, "json") ||
	          strcmp(fl_args_str(&ctx->args, "format"), "json") == 0))
		why = "--fix talks to a person; drop --json (the plan is the "
		      "`fixes` member of `check --json`)";
	else if (fix && !yes && !dry && !isatty(STDIN_FILENO))
		why = "--fix needs --yes when stdin is not a terminal";
	if (!why)
		return 0;
	fprintf(stderr, "flusso: %s\n", why);
	return FL_EXIT_USAGE;
}

/* Re-run the database rules after --fix and print the result; 1 when it
 * is clean. */
static int
check_fix_recheck(struct fl_cmd_ctx *ctx, const struct fl_config *cfg,
                  struct check_online *on)
{
	struct fl_check_db db;
	struct fl_diags diags;
	struct fl_err err;
	int clean = 0;

	printf("\nre-checking database %s\n", on->target);
	fflush(stdout);
	fl_diags_init(&diags);
	if (fl_check_db_run(on->conn, cfg, &on->o, &db, &diags, &err) < 0) {
		fprintf(stderr, "Error: checking database %s: %s\n", on->target,
		        err.msg);
	} else {
		fl_check_print_fixes(&db.fixes, stdout);
		fflush(stdout);
		fl_check_print_diags(&diags, stderr, ctx->color);
		clean = !diags.nerrors && !db.fixes.n;
		fprintf(stderr,
		        "check after --fix: %s%zu error%s, %zu warning%s, "
		        "%zu fix%s left\n",
		        clean ? "clean: " : "", diags.nerrors,
		        diags.nerrors == 1 ? "" : "s", diags.nwarnings,
		        diags.nwarnings == 1 ? "" : "s", db.fixes.n,
		        db.fixes.n == 1 ? "" : "es");
	}
	fl_check_db_done(&db);
	fl_diags_done(&diags);
	return clean;
}

/* The --fix part, after the report; returns the exit code. */
static int
check_fix(struct fl_cmd_ctx *ctx, const struct fl_config *cfg,
          struct check_online *on, int code)
{
	struct fl_check_fix_run run = { 0 };
	struct fl_check_fix_ops ops;
	int clean;

	if (!on->ran)
		return code;
	if (!on->db.fixes.n) {
		printf("\nnothing to fix\n");
		return code;
	}
	if (fl_args_flag(&ctx->args, "dry-run")) {
		printf("\ndry run: nothing was changed\n");
		return FL_EXIT_FAIL;
	}
	run.in = stdin;
	run.out = stdout;
	run.errf = stderr;
	run.yes = fl_args_flag(&ctx->args, "yes");
	ops = fl_check_fix_pg_ops(on->conn);
	fl_check_fix_apply(&on->db.fixes, &ops, &run);
	printf("\n%zu statement%s applied, %zu skipped, %zu failed%s\n",
	       run.applied, run.applied == 1 ? "" : "s", run.skipped,
	       run.failed, run.stopped ? " (stopped)" : "");
	clean = check_fix_recheck(ctx, cfg, on);
	return clean && !run.failed ? FL_EXIT_OK : FL_EXIT_FAIL;
}

/* The groups' names from the base slot and publication, the warnings
 * about the groups on the whole configuration, then the selection
 * (--group, --indexes) that the rest of the check sees. */
static int
check_select(struct fl_cmd_ctx *ctx, struct fl_config *cfg,
             struct fl_diags *diags)
{
	struct fl_config_sel sel, all;

	fl_cmd_selection(ctx, &sel);
	all = sel;
	all.group = all.indexes = NULL;
	if (fl_config_select(cfg, &all, diags) < 0)
		return -1;
	fl_config_groups_check(cfg, diags);
	return fl_config_select(cfg, &sel, diags);
}

static int
check_exec(struct fl_cmd_ctx *ctx)
{
	const char *path = fl_args_str(&ctx->args, "config");
	const char *prefix = fl_args_str(&ctx->args, "index-prefix");
	const char *slot = fl_args_str(&ctx->args, "slot");
	const char *publ = fl_args_str(&ctx->args, "publication");
	struct check_online on;
	struct fl_config *cfg;
	struct fl_diags diags;
	int code;

	if (fl_config_check_slot_name(slot) < 0 ||
	    fl_config_check_slot_name(publ) < 0) {
		fprintf(stderr,
		        "flusso: invalid %s name `%s` (lowercase letters, "
		        "digits and `_`, starting with a letter or `_`, at "
		        "most 63)\n",
		        fl_config_check_slot_name(slot) < 0 ? "slot"
		                                            : "publication",
		        fl_config_check_slot_name(slot) < 0 ? slot : publ);
		return FL_EXIT_USAGE;
	}
	if ((code = check_fix_usage(ctx)) != 0)
		return code;
	fl_diags_init(&diags);
	memset(&on, 0, sizeof(on));
	cfg = fl_config_load(path, prefix, &diags);
	if (cfg && (fl_config_override_naming(
	                cfg, fl_args_str(&ctx->args, "index-naming"), &diags) ||
	            check_select(ctx, cfg, &diags))) {
		fl_config_free(cfg);
		cfg = NULL;
	}
	if (cfg && !fl_args_flag(&ctx->args, "offline"))
		check_online_run(ctx, cfg, &diags, &on);
	code = check_report(ctx, cfg, &diags, &on);
	if (fl_args_flag(&ctx->args, "fix"))
		code = check_fix(ctx, cfg, &on, code);
	check_online_done(&on);
	fl_config_free(cfg);
	fl_diags_done(&diags);
	return code;
}

const struct fl_cmd_entry fl_cmd_check_entry = {
	.name = "check",
	.usage = "[options]",
	.summary = "Validate config and schemas; print the derived mappings",
	.help = "Loads flusso.yml and every schema, reports each problem with "
	        "file:line:column,\nand prints each index's mapping. Unless "
	        "--offline, also checks the live\ndatabase: tables, columns, "
	        "types, keys, replica identity, publication,\nand lists the "
	        "fixes it can apply. --fix applies them: each statement is\n"
	        "printed and asked about (y applies, n skips, q stops; --yes "
	        "applies all,\n--dry-run only prints): publication changes, "
	        "and replica identity through\na unique index built "
	        "CONCURRENTLY. It never runs anything the report did not\n"
	        "list, then checks again. Exit 1 when any error is found "
	        "(with --fix: when\nthe re-check is not clean or a statement "
	        "failed), 2 on usage errors.",
	.opts = check_opts,
	.nopts = FL_ARRAY_LEN(check_opts),
	.exec = check_exec,
};
