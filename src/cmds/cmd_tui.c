/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_tui.c - `flusso tui`: the engine in-process with the live dashboard
 * (the same runtime as `flusso run`, daemon.c), or the dashboard attached
 * to a running daemon (--attach: GET /status, commands over the admin
 * API). Line mode (--batch, --json) prints status lines instead.
 *
 * Owns: choosing the mode, refusing a non-terminal stdout, keeping log
 * records off the screen (--log-file, or dropped while it is up),
 * signals (blocked everywhere, taken by the dashboard through a
 * signalfd), and the graceful stop after the dashboard quits. Does not
 * own drawing (src/tui) or the engine.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "core/commands.h"
#include "daemon.h"
#include "tui.h"
#include "tui_fleet.h"
#include "util/log.h"
#include "util/xmem.h"

static const struct fl_opt tui_opts[] = {
	FL_OPTS_CONFIG,
	FL_OPTS_ENGINE,
	{ .name = "attach",
	  .kind = FL_OPT_FLAG,
	  .help = "show a running `flusso run` instead of running the engine" },
	{ .name = "server",
	  .kind = FL_OPT_STR,
	  .metavar = "ADDR",
	  .help = "attach: the daemon's admin address (A,B,...: the fleet "
	          "view of several)",
	  .def = "127.0.0.1:9465" },
	{ .name = "refresh",
	  .kind = FL_OPT_DOUBLE,
	  .metavar = "SECS",
	  .help = "refresh interval",
	  .def_dnum = 1,
	  .dmin = 0.5,
	  .dmax = 10 },
	{ .name = "readonly",
	  .kind = FL_OPT_FLAG,
	  .help = "refuse commands that change anything" },
	{ .name = "no-http",
	  .kind = FL_OPT_FLAG,
	  .help = "in-process: do not bind the HTTP listeners" },
	{ .name = "log-file",
	  .kind = FL_OPT_STR,
	  .metavar = "PATH",
	  .help = "write log records here while the screen is active" },
	{ .name = "ascii",
	  .letter = 'U',
	  .kind = FL_OPT_FLAG,
	  .help = "ASCII only: no Unicode sparklines or box drawing" },
	{ .name = "batch",
	  .kind = FL_OPT_FLAG,
	  .help = "line mode: one status line per refresh, no screen" },
	{ .name = "json",
	  .kind = FL_OPT_FLAG,
	  .help = "line mode with one /status JSON document per line" },
	{ .name = "iterations",
	  .kind = FL_OPT_INT,
	  .metavar = "N",
	  .help = "exit after N frames or lines",
	  .min = 1,
	  .max = 1000000000 },
	FL_OPTS_LOG,
};

/* Log records while the screen is up: to --log-file, or nowhere (the
 * warnings and errors reach the events pane through the board: the
 * daemon's log tap, daemon.c). */
static void
tui_log_hook(void *arg, enum fl_log_level level, const char *component,
             const char *msg)
{
	FILE *f = arg;
	char ts[40];

	if (!f)
		return;
	fl_log_iso8601(fl_status_now_us(), ts, sizeof(ts));
	fprintf(f, "%s %-5s %s: %s\n", ts, fl_log_level_name(level), component,
	        msg);
	fflush(f);
}

static void
tui_common_opts(struct fl_cmd_ctx *ctx, struct fl_tui_opts *o,
                const sigset_t *set)
{
	memset(o, 0, sizeof(*o));
	o->refresh = fl_args_double(&ctx->args, "refresh");
	o->readonly = fl_args_flag(&ctx->args, "readonly");
	o->color = ctx->color;
	o->ascii = fl_args_flag(&ctx->args, "ascii");
	o->iterations = fl_args_long(&ctx->args, "iterations");
	o->signals = set;
}

/* Run the dashboard or line mode; prints why on failure. */
static int
tui_show(struct fl_cmd_ctx *ctx, const struct fl_tui_opts *o)
{
	int batch = fl_args_flag(&ctx->args, "batch");
	int json = fl_args_flag(&ctx->args, "json");
	struct fl_err err;
	int rc;

	fl_err_clear(&err);
	if (batch || json)
		rc = fl_tui_lines(o, json, stdout, &err);
	else
		rc = fl_tui_run(o, &err);
	if (rc < 0)
		fprintf(stderr, "flusso: %s\n", err.msg);
	return rc < 0 ? FL_EXIT_FAIL : FL_EXIT_OK;
}

/* Split an address list into words (copied into buf); prints why and
 * returns -1 when there are none or too many. */
static int
tui_split(const char *opt, const char *list, char *buf, size_t n, char **words)
{
	int k;

	snprintf(buf, n, "%s", list);
	k = fl_tui_fleet_split(buf, words, FL_TUI_FLEET_MAX);
	if (k <= 0)
		fprintf(stderr, "flusso tui: --%s: %s\n", opt,
		        k < 0 ? "at most 16 addresses" : "no address");
	return k > 0 ? k : -1;
}

/*
 * The fleet view: --server A,B,... (and --public-address the same
 * length, or not at all), one admin client and one /status client per
 * instance. Line mode shows one instance only.
 */
static int
tui_attach_fleet(struct fl_cmd_ctx *ctx, const sigset_t *set, char **addrs,
                 int n)
{
	int public_set = fl_args_is_set(&ctx->args, "public-address");
	const char *user = fl_args_str(&ctx->args, "admin-user");
	struct fl_ctl_remote cmd[FL_TUI_FLEET_MAX], status[FL_TUI_FLEET_MAX];
	char *bases[2 * FL_TUI_FLEET_MAX] = { 0 };
	char pbuf[2048], *pubs[FL_TUI_FLEET_MAX], *pw = NULL;
	struct fl_tui_opts o;
	char source[300];
	int k, code = FL_EXIT_USAGE;

	if (fl_args_flag(&ctx->args, "batch") ||
	    fl_args_flag(&ctx->args, "json")) {
		fprintf(stderr, "flusso tui: line mode shows one instance; "
		                "for several use `flusso status --server "
		                "A,B` (--json)\n");
		return FL_EXIT_USAGE;
	}
	if (public_set && tui_split("public-address",
	                            fl_args_str(&ctx->args, "public-address"),
	                            pbuf, sizeof(pbuf), pubs) != n) {
		fprintf(stderr, "flusso tui: --public-address needs one "
		                "address per --server address\n");
		return FL_EXIT_USAGE;
	}
	if (fl_cmd_admin_password(ctx, &pw) != FL_EXIT_OK)
		return FL_EXIT_FAIL;
	for (k = 0; k < n; k++) {
		bases[2 * k] = fl_ctl_base_url(addrs[k]);
		bases[2 * k + 1] =
		    fl_ctl_base_url(public_set ? pubs[k] : addrs[k]);
		cmd[k] =
		    (struct fl_ctl_remote){ bases[2 * k], user, pw, 30, NULL };
		/* a short timeout: a stalled instance must not look current */
		status[k] =
		    (struct fl_ctl_remote){ bases[2 * k + 1],
			                    public_set ? NULL : user,
			                    public_set ? NULL : pw, 3, NULL };
	}
	tui_common_opts(ctx, &o, set);
	o.status = status;
	o.command = cmd;
	o.ninstances = (size_t)n;
	o.names = (const char *const *)addrs;
	snprintf(source, sizeof(source), "fleet of %d", n);
	o.source_name = source;
	code = tui_show(ctx, &o);
	for (k = 0; k < 2 * n; k++)
		free(bases[k]);
	free(pw);
	return code;
}

static int
tui_attach(struct fl_cmd_ctx *ctx, const sigset_t *set)
{
	const char *server = fl_args_str(&ctx->args, "server");
	int public_set = fl_args_is_set(&ctx->args, "public-address");
	char *cmd_base = fl_ctl_base_url(server);
	char *pub_base = fl_ctl_base_url(
	    public_set ? fl_args_str(&ctx->args, "public-address") : server);
	char *pw = NULL;
	const char *user = fl_args_str(&ctx->args, "admin-user");
	struct fl_ctl_remote cmd = { cmd_base, user, NULL, 30, NULL };
	struct fl_ctl_remote status = { pub_base, public_set ? NULL : user,
		                        NULL, 5, NULL };
	struct fl_tui_opts o;
	char source[300], sbuf[2048], *addrs[FL_TUI_FLEET_MAX];
	int code, n;

	if (strchr(server, ',')) {
		free(cmd_base);
		free(pub_base);
		n = tui_split("server", server, sbuf, sizeof(sbuf), addrs);
		if (n < 0)
			return FL_EXIT_USAGE;
		if (n > 1)
			return tui_attach_fleet(ctx, set, addrs, n);
		server = addrs[0]; /* "A," is A */
		cmd_base = fl_ctl_base_url(server);
		pub_base = fl_ctl_base_url(
		    public_set ? fl_args_str(&ctx->args, "public-address")
		               : server);
		cmd.base = cmd_base;
		status.base = pub_base;
	}
	if (fl_cmd_admin_password(ctx, &pw) != FL_EXIT_OK) {
		free(cmd_base);
		free(pub_base);
		return FL_EXIT_FAIL;
	}
	cmd.password = pw;
	status.password = public_set ? NULL : pw;
	tui_common_opts(ctx, &o, set);
	o.status = &status;
	o.command = &cmd;
	snprintf(source, sizeof(source), "attached to %s", pub_base);
	o.source_name = source;
	code = tui_show(ctx, &o);
	free(cmd_base);
	free(pub_base);
	free(pw);
	return code;
}

/* Does the deployment write documents to stdout (the terminal)? */
static int
tui_stdout_sink(const struct fl_config *cfg)
{
	size_t i;

	if (cfg->nsinks == 0) /* the fallback sink is stdout */
		return 1;
	for (i = 0; i < cfg->nsinks; i++)
		if (cfg->sinks[i].type == FL_SINK_STDOUT)
			return 1;
	return 0;
}

static int
tui_in_process(struct fl_cmd_ctx *ctx, const sigset_t *set)
{
	const char *log_path = fl_args_str(&ctx->args, "log-file");
	int line_mode = fl_args_flag(&ctx->args, "batch") ||
	                fl_args_flag(&ctx->args, "json");
	struct fl_tui_opts o;
	struct fl_daemon d;
	FILE *log = NULL;
	char source[300];
	int code;

	if (log_path && !(log = fopen(log_path, "a"))) {
		fprintf(stderr, "flusso: cannot open the log file %s\n",
		        log_path);
		return FL_EXIT_FAIL;
	}
	code = fl_daemon_open(ctx, &d, !fl_args_flag(&ctx->args, "no-http"));
	if (code != FL_EXIT_OK && d.cfg) /* loaded, then could not listen */
		fprintf(stderr,
		        "flusso: to show a running daemon use `flusso "
		        "tui --attach`; --no-http runs without the HTTP "
		        "listeners\n");
	if (code == FL_EXIT_OK && !line_mode && tui_stdout_sink(d.cfg)) {
		fprintf(stderr,
		        "flusso tui: a stdout sink would write documents over "
		        "the dashboard; use `flusso run` for it\n");
		code = FL_EXIT_FAIL;
	}
	if (code == FL_EXIT_OK) {
		d.local.readonly = fl_args_flag(&ctx->args, "readonly");
		if (!line_mode || log)
			fl_log_set_hook(tui_log_hook, log);
		code = fl_daemon_start(&d);
	}
	if (code == FL_EXIT_OK) {
		tui_common_opts(ctx, &o, set);
		o.board = d.board;
		o.local = &d.local;
		snprintf(source, sizeof(source), "config %s", d.cfg->path);
		o.source_name = source;
		code = tui_show(ctx, &o);
		if (!line_mode)
			fprintf(stderr, "flusso: stopping (finishing the "
			                "current commit)\n");
		fl_engine_request_stop(d.engine);
	}
	if (fl_daemon_close(&d) != FL_EXIT_OK && code == FL_EXIT_OK) {
		fprintf(stderr, "Error: the pipeline stopped on an error%s\n",
		        log ? " (see the log file)" : "");
		code = FL_EXIT_FAIL;
	}
	fl_log_set_hook(NULL, NULL);
	if (log)
		fclose(log);
	return code;
}

static int
tui_exec(struct fl_cmd_ctx *ctx)
{
	int line_mode = fl_args_flag(&ctx->args, "batch") ||
	                fl_args_flag(&ctx->args, "json");
	sigset_t set;

	if (!line_mode && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))) {
		fprintf(stderr,
		        "flusso tui: stdout is not a terminal. Use `flusso "
		        "run` for the headless daemon and `flusso status "
		        "--watch` to follow it, or `flusso tui --batch` "
		        "(--json) for status lines.\n");
		return FL_EXIT_FAIL;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (!line_mode)
		sigaddset(&set, SIGHUP); /* the terminal went away: stop */
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it */
	if (fl_args_flag(&ctx->args, "attach"))
		return tui_attach(ctx, &set);
	return tui_in_process(ctx, &set);
}

const struct fl_cmd_entry fl_cmd_tui_entry = {
	.name = "tui",
	.usage = "[options]",
	.summary = "Live terminal dashboard (in-process engine, or --attach)",
	.help = "Runs the engine in this process and shows it: phase, lag, "
	        "rates, one row per\nindex, recent events, and a command "
	        "prompt (':'). With --attach, shows a\nrunning `flusso run` "
	        "instead (GET /status; commands over the admin API).\n"
	        "Keys: ? help, : command, / filter, < > sort, Enter detail "
	        "(i inspect, x explain),\nSpace freeze, +/- refresh, q quit. "
	        "Needs a terminal; --batch or --json print\nstatus lines "
	        "instead.\n"
	        "Fleet view: --attach --server A,B,... shows several daemons: "
	        "one row per\ninstance (unreachable ones say since when and "
	        "why), then every index with\nits INSTANCE. A command naming "
	        "an index goes to the instance listing it\n(the active one "
	        "first); one without an index goes to every instance, "
	        "after\ny/N when it changes something.",
	.opts = tui_opts,
	.nopts = FL_ARRAY_LEN(tui_opts),
	.exec = tui_exec,
};
