/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_run.c - `flusso run`: the headless daemon. Loads the configuration,
 * binds the HTTP surfaces, runs the engine until SIGINT/SIGTERM or a
 * permanent error.
 *
 * Signals: blocked in every thread and taken here with sigtimedwait, so
 * a signal at any phase is seen. The first asks for a graceful stop (the
 * current commit finishes within --shutdown-grace-secs, only what was
 * flushed is confirmed); a second exits at once with status 1.
 *
 * Under systemd (NOTIFY_SOCKET, a Type=notify unit) it tells the truth
 * (notify.c): READY once the engine is ready or waiting for a service,
 * its phase and lag as STATUS, WATCHDOG while the engine's control
 * thread moves, STOPPING on the way out.
 */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon.h"
#include "notify.h"
#include "util/log.h"

static const struct fl_opt run_opts[] = {
	FL_OPTS_CONFIG,
	FL_OPTS_ENGINE,
	FL_OPTS_LOG,
};

/* Wait for the engine to end, turning signals into stop requests. */
static void
run_wait(struct fl_daemon *d, const sigset_t *set, struct fl_notify *sd)
{
	struct timespec tick = { 0, 200000000 };
	int signals = 0;

	while (!fl_engine_finished(d->engine)) {
		int sig;

		fl_notify_tick(sd, d->engine, d->board);
		sig = sigtimedwait(set, NULL, &tick);
		if (sig <= 0)
			continue;
		if (sig == SIGHUP) {
			char msg[512];
			int code =
			    fl_engine_command(d->engine, FL_ECMD_RELOAD, NULL,
			                      NULL, msg, sizeof(msg), 0);

			if (code >= 300 && code != 409)
				fl_log_warn("run", "SIGHUP: %s", msg);
			else
				fl_log_info("run", "SIGHUP: reloading");
			continue;
		}
		if (++signals == 1) {
			fl_log_info("run",
			            "%s: stopping (finishing the current "
			            "commit; a second signal forces exit)",
			            sig == SIGINT ? "SIGINT" : "SIGTERM");
			fl_notify_stopping(sd,
			                   "stopping (finishing the current "
			                   "commit)");
			fl_engine_request_stop(d->engine);
		} else {
			fprintf(stderr, "flusso: forced exit; unconfirmed "
			                "changes will be redelivered\n");
			_exit(FL_EXIT_FAIL);
		}
	}
}

static int
run_exec(struct fl_cmd_ctx *ctx)
{
	struct fl_daemon d;
	struct fl_notify sd;
	sigset_t set;
	int code;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);                /* reload */
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it */
	code = fl_daemon_open(ctx, &d, 1);
	if (code == FL_EXIT_OK)
		code = fl_daemon_start(&d);
	if (code != FL_EXIT_OK) {
		fl_daemon_close(&d);
		return code;
	}
	fl_log_info("run", "flusso %s running (config %s)", FLUSSO_VERSION,
	            d.cfg->path);
	fl_notify_init(&sd);
	run_wait(&d, &set, &sd);
	fl_notify_tick(&sd, d.engine, d.board); /* stopped, or the error */
	fl_notify_stopping(&sd, NULL);
	code = fl_daemon_close(&d);
	fl_notify_done(&sd);
	if (code != FL_EXIT_OK)
		fprintf(stderr, "Error: the pipeline stopped on an error (see "
		                "above)\n");
	return code;
}

const struct fl_cmd_entry fl_cmd_run_entry = {
	.name = "run",
	.usage = "[options]",
	.summary = "Headless daemon: seed indexes, follow the WAL, serve HTTP",
	.help = "Loads the deployment file, seeds every index that is not "
	        "seeded yet, then\nfollows PostgreSQL logical replication and "
	        "keeps OpenSearch current.\nServes /healthz, /readyz, /status "
	        "and /metrics on the public address and\nthe admin API on the "
	        "private address. SIGINT/SIGTERM stop it cleanly; SIGHUP "
	        "reloads flusso.yml and the schemas (`flusso reload`).",
	.opts = run_opts,
	.nopts = FL_ARRAY_LEN(run_opts),
	.exec = run_exec,
};
