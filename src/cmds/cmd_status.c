/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_status.c - `flusso status`: one-shot (or --watch) view of a running
 * daemon's /status. Not built yet (needs the daemon): options are parsed
 * and validated, then the command says so and exits 1.
 */
#include "cmd.h"

static const struct fl_opt status_opts[] = {
	{ .name = "public-address",
	  .kind = FL_OPT_STR,
	  .metavar = "IP:PORT",
	  .help = "the daemon's public address",
	  .def = "127.0.0.1:9464" },
	{ .name = "json",
	  .kind = FL_OPT_FLAG,
	  .help = "print the /status document verbatim" },
	{ .name = "watch",
	  .kind = FL_OPT_DOUBLE,
	  .metavar = "SECS",
	  .help = "repeat every SECS seconds",
	  .dmin = 0.5,
	  .dmax = 3600 },
	FL_OPTS_LOG,
};

static int
status_exec(struct fl_cmd_ctx *ctx)
{
	return fl_cmd_not_built(ctx);
}

const struct fl_cmd_entry fl_cmd_status_entry = {
	.name = "status",
	.usage = "[options]",
	.summary = "Print a running daemon's status (table or --json)",
	.help = "Asks the daemon's public address for /status and prints a "
	        "compact table:\nphase, lag, in-flight changes, rates, one row "
	        "per index. Exit 1 when the\ndaemon cannot be reached.",
	.opts = status_opts,
	.nopts = FL_ARRAY_LEN(status_opts),
	.exec = status_exec,
};
