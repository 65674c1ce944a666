/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_ctl.c - `flusso ctl COMMAND [ARGS]`: any command of the control
 * table (engine commands.c) sent to a running daemon's admin API; and the
 * shortcuts `flusso indexes|reindex|backfill|pause|resume|retry|reload`, built
 * here from the table entries flagged FL_CTL_SHORTCUT.
 *
 * Both check the call with fl_ctl_check (the validation every surface
 * shares) before sending it; the daemon checks it again. Prints the
 * answer body (JSON answers pretty-printed); a non-2xx answer is "server
 * returned <status>: <body>" and exit 1; an unreachable daemon exits 1;
 * bad arguments exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "core/commands.h"
#include "util/json_write.h"
#include "util/xmem.h"

static const struct fl_opt ctl_opts[] = {
	{ .name = "server",
	  .kind = FL_OPT_STR,
	  .metavar = "ADDR",
	  .help = "the daemon's admin address",
	  .def = "127.0.0.1:9465" },
	{ .name = "admin-user",
	  .kind = FL_OPT_STR,
	  .metavar = "USER",
	  .help = "admin API user",
	  .def = "admin" },
	{ .name = "admin-password",
	  .kind = FL_OPT_STR,
	  .metavar = "PASSWORD",
	  .help = "admin API password" },
	{ .name = "admin-password-file",
	  .kind = FL_OPT_STR,
	  .metavar = "PATH",
	  .help = "read the admin password from the first line of PATH" },
	FL_OPTS_LOG,
};

/* Print an answer: JSON indented, anything else as it came. */
static void
ctl_print(const struct fl_ctl_cmd *c, const struct fl_buf *out)
{
	struct fl_buf pretty;
	cJSON *doc;

	if (!(c->flags & FL_CTL_JSON) ||
	    !(doc = cJSON_Parse(fl_buf_str(out)))) {
		fputs(fl_buf_str(out), stdout);
		return;
	}
	fl_buf_init(&pretty, (size_t)1 << 26);
	if (fl_json_pretty(fl_buf_str(out), &pretty) == 0)
		printf("%s\n", fl_buf_str(&pretty));
	else
		fputs(fl_buf_str(out), stdout);
	fl_buf_done(&pretty);
	cJSON_Delete(doc);
}

/* Send a checked call to the daemon; prints the answer. */
static int
ctl_send(struct fl_cmd_ctx *ctx, const struct fl_ctl_call *call)
{
	char *base = fl_ctl_base_url(fl_args_str(&ctx->args, "server"));
	char *pw = NULL;
	struct fl_ctl_remote r = { base, fl_args_str(&ctx->args, "admin-user"),
		                   NULL, 30 };
	struct fl_buf out;
	struct fl_err err;
	int code, rc = FL_EXIT_OK;

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
	code = fl_ctl_remote_exec(&r, call->cmd, call->argc, call->argv, &out,
	                          &err);
	if (code < 0) {
		fprintf(stderr, "flusso: %s\n", err.msg);
		rc = FL_EXIT_FAIL;
	} else if (code / 100 != 2) {
		fprintf(stderr, "flusso: server returned %d: %s", code,
		        fl_buf_str(&out));
		rc = FL_EXIT_FAIL;
	} else {
		ctl_print(call->cmd, &out);
	}
	fl_buf_done(&out);
	free(base);
	free(pw);
	return rc;
}

/* After fl_ctl_check: refuse (exit 2), show help, or send. */
static int
ctl_run(struct fl_cmd_ctx *ctx, int code, const struct fl_ctl_call *call,
        const char *msg)
{
	struct fl_buf help;

	if (code != 200) {
		fprintf(stderr, "flusso: %s\n", msg);
		return FL_EXIT_USAGE;
	}
	if (!call->help)
		return ctl_send(ctx, call);
	fl_buf_init(&help, (size_t)1 << 20);
	fl_ctl_help(FL_CTL_CLI, call->topic, &help);
	fputs(fl_buf_str(&help), stdout);
	fl_buf_done(&help);
	return FL_EXIT_OK;
}

/* The command list of `flusso ctl --help`, from the table. */
static void
ctl_print_commands(FILE *f)
{
	struct fl_buf b;

	fl_buf_init(&b, (size_t)1 << 20);
	fl_ctl_help(FL_CTL_CLI, NULL, &b);
	fprintf(f,
	        "Commands (sent to the admin API with HTTP Basic auth; the "
	        "same commands are\nat the `flusso tui` prompt):\n%s",
	        fl_buf_str(&b));
	fl_buf_done(&b);
}

static int
ctl_exec(struct fl_cmd_ctx *ctx)
{
	struct fl_ctl_call call;
	char msg[256];
	int code;

	if (ctx->args.npos == 0) {
		fprintf(stderr, "flusso: usage: flusso ctl COMMAND [ARGS]\n");
		ctl_print_commands(stderr);
		return FL_EXIT_USAGE;
	}
	code = fl_ctl_parse(FL_CTL_CLI, (int)ctx->args.npos, ctx->args.pos, 0,
	                    &call, msg, sizeof(msg));
	return ctl_run(ctx, code, &call, msg);
}

/* A shortcut: `flusso reindex INDEX` is `flusso ctl reindex INDEX`. */
static int
ctl_shortcut(struct fl_cmd_ctx *ctx)
{
	struct fl_ctl_call call;
	char msg[256];
	int code;

	code = fl_ctl_check(FL_CTL_CLI, ctx->entry->ctl, (int)ctx->args.npos,
	                    ctx->args.pos, 0, &call, msg, sizeof(msg));
	return ctl_run(ctx, code, &call, msg);
}

const struct fl_cmd_entry fl_cmd_ctl_entry = {
	.name = "ctl",
	.usage = "[options] COMMAND [ARGS]",
	.summary = "Send a control command to a running daemon",
	.opts = ctl_opts,
	.nopts = FL_ARRAY_LEN(ctl_opts),
	.max_pos = 1 + FL_CTL_MAX_ARGS,
	.exec = ctl_exec,
	.print_help = ctl_print_commands,
};

void
fl_cmd_ctl_shortcut(const struct fl_ctl_cmd *c, struct fl_cmd_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->name = c->name;
	e->summary = c->summary;
	e->help = "A shortcut for the `flusso ctl` command of the same name, "
	          "sent to a running\ndaemon's admin API.";
	e->opts = ctl_opts;
	e->nopts = FL_ARRAY_LEN(ctl_opts);
	e->max_pos = (size_t)fl_ctl_max_args(c);
	e->exec = ctl_shortcut;
	e->ctl = c;
}
