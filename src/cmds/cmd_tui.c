/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_tui.c - `flusso tui`: the engine in-process with the live dashboard,
 * or the dashboard attached to a running daemon. Not built yet: options
 * are parsed and validated, then the command says so and exits 1.
 */
#include "cmd.h"

static const struct fl_opt tui_opts[] = {
	FL_OPTS_CONFIG,
	FL_OPTS_ENGINE,
	{ .name = "attach",
	  .kind = FL_OPT_FLAG,
	  .help = "show a running `flusso run` instead of running the engine" },
	{ .name = "server",
	  .kind = FL_OPT_STR,
	  .metavar = "ADDR",
	  .help = "attach: the daemon's admin address",
	  .def = "127.0.0.1:9465" },
	{ .name = "refresh",
	  .kind = FL_OPT_DOUBLE,
	  .metavar = "SECS",
	  .help = "refresh interval",
	  .def = "1",
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

static int
tui_exec(struct fl_cmd_ctx *ctx)
{
	return fl_cmd_not_built(ctx);
}

const struct fl_cmd_entry fl_cmd_tui_entry = {
	.name = "tui",
	.usage = "[options]",
	.summary = "Live terminal dashboard (in-process engine, or --attach)",
	.help = "Runs the engine in this process and shows it: phase, lag, "
	        "rates, one row per\nindex, recent events, and a command "
	        "prompt (':'). With --attach, shows a\nrunning `flusso run` "
	        "instead.",
	.opts = tui_opts,
	.nopts = FL_ARRAY_LEN(tui_opts),
	.exec = tui_exec,
};
