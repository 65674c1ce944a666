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

#include "check_report.h"
#include "cmd.h"
#include "config/config.h"
#include "core/commands.h"
#include "util/json_write.h"
#include "util/xmem.h"

static const struct fl_opt ctl_admin_opts[] = { FL_OPTS_ADMIN };
static const struct fl_opt offline_config_opts[] = { FL_OPTS_CONFIG };
static const struct fl_opt offline_log_opts[] = { FL_OPTS_LOG };

static const struct fl_opt ctl_opts[] = {
	FL_OPTS_ADMIN,
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
	int differs = 0;
	struct fl_ctl_remote r = { base, fl_args_str(&ctx->args, "admin-user"),
		                   NULL, 120, &differs };
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
	code = fl_ctl_remote_call(&r, call, &out, &err);
	if (code < 0) {
		fprintf(stderr, "flusso: %s\n", err.msg);
		rc = FL_EXIT_FAIL;
	} else if (code / 100 != 2) {
		fprintf(stderr, "flusso: server returned %d: %s", code,
		        fl_buf_str(&out));
		rc = FL_EXIT_FAIL;
	} else {
		ctl_print(call->cmd, &out);
		if (differs)
			rc = FL_EXIT_DIFFERS; /* as `flusso inspect` */
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

/* A shortcut's words rebuilt from what the CLI parsed: the command's
 * options (flag, then environment twin) as --name[=value], then "--" and
 * the positional words (data: "--x" is an id, not an option). Returns
 * the count; owned[0..*no) are freed by the caller. */
static int
ctl_words(struct fl_cmd_ctx *ctx, const char **words, char **owned, int *no)
{
	const struct fl_ctl_cmd *c = ctx->entry->ctl;
	int n = 0, i;

	*no = 0;
	for (i = 0; i < fl_ctl_nopts(c); i++) {
		const char *name = c->opts[i].name;

		if (!fl_args_is_set(&ctx->args, name))
			continue;
		if (!c->opts[i].metavar) {
			if (!fl_args_flag(&ctx->args, name))
				continue;
			owned[*no] = fl_xasprintf("--%s", name);
		} else {
			owned[*no] = fl_xasprintf(
			    "--%s=%s", name, fl_args_str(&ctx->args, name));
		}
		words[n++] = owned[(*no)++];
	}
	words[n++] = "--";
	for (i = 0; i < (int)ctx->args.npos && n < FL_CTL_MAX_WORDS; i++)
		words[n++] = ctx->args.pos[i];
	return n;
}

static void
ctl_words_free(char **owned, int no)
{
	int i;

	for (i = 0; i < no; i++)
		free(owned[i]);
}

/* A shortcut: `flusso reindex INDEX` is `flusso ctl reindex INDEX`. */
static int
ctl_shortcut(struct fl_cmd_ctx *ctx)
{
	const char *words[FL_CTL_MAX_WORDS];
	char *owned[FL_CTL_MAX_OPTS], msg[256];
	struct fl_ctl_call call;
	int n, no, code, rc;

	n = ctl_words(ctx, words, owned, &no);
	code = fl_ctl_check(FL_CTL_CLI, ctx->entry->ctl, n, words, 0, &call,
	                    msg, sizeof(msg));
	rc = ctl_run(ctx, code, &call, msg);
	ctl_words_free(owned, no);
	return rc;
}

/* ---- offline shortcuts: run here, against the database and OpenSearch ---- */

/* `flusso inspect ...`: the command's words rebuilt from the parsed
 * options (flag, then environment twin), checked and run in-process. */
static int
ctl_offline(struct fl_cmd_ctx *ctx)
{
	const struct fl_ctl_cmd *c = ctx->entry->ctl;
	const char *words[FL_CTL_MAX_WORDS];
	char *owned[FL_CTL_MAX_OPTS], msg[256];
	struct fl_ctl_call call;
	struct fl_ctl_local l;
	struct fl_config *cfg;
	struct fl_buf out;
	int n, no, code, differs = 0, rc;

	n = ctl_words(ctx, words, owned, &no);
	/* usage first: a bad call needs no configuration */
	code =
	    fl_ctl_check(FL_CTL_CLI, c, n, words, 0, &call, msg, sizeof(msg));
	if (code != 200 || call.help) {
		ctl_words_free(owned, no);
		return ctl_run(ctx, code, &call, msg);
	}
	cfg = fl_cmd_load_config(ctx);
	if (!cfg) {
		ctl_words_free(owned, no);
		return FL_EXIT_FAIL;
	}
	memset(&l, 0, sizeof(l));
	l.cfg = cfg;
	l.color = ctx->color;
	l.differs = &differs;
	fl_buf_init(&out, (size_t)1 << 30);
	code = fl_ctl_exec(&l, FL_CTL_CLI, c, n, words, &out);
	if (code / 100 == 2) {
		fputs(fl_buf_str(&out), stdout);
		rc = differs ? FL_EXIT_DIFFERS : FL_EXIT_OK;
	} else {
		fprintf(stderr, "flusso: %s: %s", c->name, fl_buf_str(&out));
		rc = code == 400 ? FL_EXIT_USAGE : FL_EXIT_FAIL;
	}
	fl_buf_done(&out);
	fl_config_free(cfg);
	ctl_words_free(owned, no);
	return rc;
}

/* The options of a shortcut: its base ones (the config pair offline,
 * the admin ones otherwise), the command's, logging. */
static void
ctl_shortcut_opts(const struct fl_ctl_cmd *c, const struct fl_opt *base,
                  size_t nbase, struct fl_cmd_entry *e)
{
	size_t n = 0, i;

	FL_ASSERT(nbase + (size_t)fl_ctl_nopts(c) +
	              FL_ARRAY_LEN(offline_log_opts) <=
	          FL_ARRAY_LEN(e->own_opts));
	for (i = 0; i < nbase; i++)
		e->own_opts[n++] = base[i];
	for (i = 0; i < (size_t)fl_ctl_nopts(c); i++) {
		struct fl_opt *o = &e->own_opts[n++];

		memset(o, 0, sizeof(*o));
		o->name = c->opts[i].name;
		o->kind = c->opts[i].metavar ? FL_OPT_STR : FL_OPT_FLAG;
		o->metavar = c->opts[i].metavar;
		o->help = c->opts[i].help;
	}
	for (i = 0; i < FL_ARRAY_LEN(offline_log_opts); i++)
		e->own_opts[n++] = offline_log_opts[i];
	e->opts = e->own_opts;
	e->nopts = n;
}

const struct fl_cmd_entry fl_cmd_ctl_entry = {
	.name = "ctl",
	.usage = "[options] COMMAND [ARGS]",
	.summary = "Send a control command to a running daemon",
	.opts = ctl_opts,
	.nopts = FL_ARRAY_LEN(ctl_opts),
	.max_pos = FL_MAX_POS,
	.opts_head = 1,
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
	ctl_shortcut_opts(c, ctl_admin_opts, FL_ARRAY_LEN(ctl_admin_opts), e);
	e->max_pos = (size_t)fl_ctl_max_args(c);
	e->exec = ctl_shortcut;
	e->ctl = c;
	if (fl_ctl_max_args(c) > 0 &&
	    (c->args[fl_ctl_max_args(c) - 1].flags & FL_CTL_ARG_REST))
		e->max_pos = FL_MAX_POS;
	if (c->flags & FL_CTL_OFFLINE) {
		e->help = c->help
		              ? c->help
		              : "Runs here, against the database and "
		                "OpenSearch of the configuration\n(no "
		                "daemon needed); the same command is at the "
		                "`flusso tui` prompt\nand in the admin API.";
		ctl_shortcut_opts(c, offline_config_opts,
		                  FL_ARRAY_LEN(offline_config_opts), e);
		e->exec = ctl_offline;
	}
}
