/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_ctl.c - `flusso ctl COMMAND [ARGS]`: any command of the control
 * table (engine commands.c) sent to a running daemon's admin API; and the
 * reference's client shortcuts `flusso reindex|backfill|pause|resume|
 * indexes`, which are the same table entries.
 *
 * Prints the answer body; a non-2xx answer is "server returned <status>:
 * <body>" and exit 1; an unreachable daemon exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "core/commands.h"
#include "util/json_write.h"
#include "util/xmem.h"

#define CTL_OPTS                                                               \
	{ .name = "server",                                                    \
	  .kind = FL_OPT_STR,                                                  \
	  .metavar = "ADDR",                                                   \
	  .help = "the daemon's admin address",                                \
	  .def = "127.0.0.1:9465" },                                           \
	    { .name = "admin-user",                                            \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "USER",                                               \
	      .help = "admin API user",                                        \
	      .def = "admin" },                                                \
	    { .name = "admin-password",                                        \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "PASSWORD",                                           \
	      .help = "admin API password" },                                  \
	    { .name = "admin-password-file",                                   \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "PATH",                                               \
	      .help = "read the admin password from the first line of PATH" }, \
	    FL_OPTS_LOG

static const struct fl_opt ctl_opts[] = { CTL_OPTS };

/* Send one table command; prints the answer. */
static int
ctl_send(struct fl_cmd_ctx *ctx, const struct fl_ctl_cmd *c, int argc,
         const char *const *argv)
{
	char *base = fl_ctl_base_url(fl_args_str(&ctx->args, "server"));
	char *pw = NULL;
	struct fl_ctl_remote r = { base, fl_args_str(&ctx->args, "admin-user"),
		                   NULL, 30 };
	struct fl_buf out;
	struct fl_err err;
	int code, rc = FL_EXIT_OK;

	if (argc < c->min_args || argc > c->max_args) {
		fprintf(stderr, "flusso: usage: flusso ctl %s %s\n", c->name,
		        c->args);
		free(base);
		return FL_EXIT_USAGE;
	}
	if (fl_cmd_admin_password(ctx, &pw) != FL_EXIT_OK) {
		free(base);
		return FL_EXIT_FAIL;
	}
	r.password = pw;
	if (!pw)
		fprintf(stderr, "flusso: no admin password given "
		                "(--admin-password, FLUSSO_ADMIN_PASSWORD or "
		                "--admin-password-file); trying without\n");
	fl_buf_init(&out, (size_t)1 << 26);
	code = fl_ctl_remote_exec(&r, c, argc, argv, &out, &err);
	if (code < 0) {
		fprintf(stderr, "flusso: %s\n", err.msg);
		rc = FL_EXIT_FAIL;
	} else if (code / 100 != 2) {
		fprintf(stderr, "flusso: server returned %d: %s", code,
		        fl_buf_str(&out));
		rc = FL_EXIT_FAIL;
	} else if (strcmp(c->name, "indexes") == 0 ||
	           strcmp(c->name, "quarantine") == 0 ||
	           strcmp(c->name, "errors") == 0) {
		struct fl_buf pretty;
		cJSON *doc = cJSON_Parse(fl_buf_str(&out));

		fl_buf_init(&pretty, (size_t)1 << 26);
		if (doc)
			fl_json_pretty(fl_buf_str(&out), &pretty);
		printf("%s\n", doc ? fl_buf_str(&pretty) : fl_buf_str(&out));
		fl_buf_done(&pretty);
		cJSON_Delete(doc);
	} else {
		fputs(fl_buf_str(&out), stdout);
	}
	fl_buf_done(&out);
	free(base);
	free(pw);
	return rc;
}

static int
ctl_exec(struct fl_cmd_ctx *ctx)
{
	const struct fl_ctl_cmd *c;
	int amb;

	if (ctx->args.npos == 0) {
		size_t i;

		fprintf(stderr, "flusso: usage: flusso ctl COMMAND [ARGS]; "
		                "commands:\n");
		for (i = 0; fl_ctl_table[i].name; i++)
			if (fl_ctl_table[i].flags & FL_CTL_HTTP)
				fprintf(stderr, "  %-10s %-16s %s\n",
				        fl_ctl_table[i].name,
				        fl_ctl_table[i].args,
				        fl_ctl_table[i].summary);
		return FL_EXIT_USAGE;
	}
	c = fl_ctl_find(ctx->args.pos[0], &amb);
	if (!c || !(c->flags & FL_CTL_HTTP)) {
		fprintf(stderr, "flusso: %s command `%s` (see `flusso ctl`)\n",
		        amb ? "ambiguous" : "unknown", ctx->args.pos[0]);
		return FL_EXIT_USAGE;
	}
	return ctl_send(ctx, c, (int)ctx->args.npos - 1, ctx->args.pos + 1);
}

/* The shortcuts: `flusso reindex INDEX` is `flusso ctl reindex INDEX`. */
static int
ctl_shortcut(struct fl_cmd_ctx *ctx)
{
	return ctl_send(ctx, fl_ctl_find(ctx->entry->name, NULL),
	                (int)ctx->args.npos, ctx->args.pos);
}

const struct fl_cmd_entry fl_cmd_ctl_entry = {
	.name = "ctl",
	.usage = "[options] COMMAND [ARGS]",
	.summary = "Send a control command to a running daemon",
	.help =
	    "Commands: status, indexes, reindex INDEX, backfill INDEX, "
	    "pause [INDEX|all],\nresume [INDEX|all], policy INDEX stop|skip, "
	    "quarantine [INDEX], errors,\ngc INDEX, loglevel LEVEL, retry, "
	    "stop. They go to the admin API with HTTP\nBasic auth; the same "
	    "commands are at the `flusso tui` prompt.",
	.opts = ctl_opts,
	.nopts = FL_ARRAY_LEN(ctl_opts),
	.max_pos = 3,
	.exec = ctl_exec,
};

#define CTL_SHORTCUT(n, u, s, p)                         \
	const struct fl_cmd_entry fl_cmd_##n##_entry = { \
		.name = #n,                              \
		.usage = u,                              \
		.summary = s,                            \
		.opts = ctl_opts,                        \
		.nopts = FL_ARRAY_LEN(ctl_opts),         \
		.max_pos = p,                            \
		.exec = ctl_shortcut,                    \
	}

CTL_SHORTCUT(reindex, "[options] INDEX",
             "Rebuild an index into a new generation, then swap (daemon)", 1);
CTL_SHORTCUT(backfill, "[options] INDEX", "Re-seed an index in place (daemon)",
             1);
CTL_SHORTCUT(pause, "[options] [INDEX|all]", "Pause committing (daemon)", 1);
CTL_SHORTCUT(resume, "[options] [INDEX|all]", "Undo pause (daemon)", 1);
CTL_SHORTCUT(indexes, "[options]", "Each index and its state (daemon)", 0);
