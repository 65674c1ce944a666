/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_run.c - `flusso run`: the headless daemon (backfill, follow the WAL,
 * serve HTTP). The engine has not landed yet: the command parses and
 * validates its options, then says so and exits 1.
 */
#include "cmd.h"

static const struct fl_opt run_opts[] = {
	FL_OPTS_CONFIG,
	FL_OPTS_ENGINE,
	FL_OPTS_LOG,
};

static int
run_exec(struct fl_cmd_ctx *ctx)
{
	return fl_cmd_not_built(ctx);
}

const struct fl_cmd_entry fl_cmd_run_entry = {
	.name = "run",
	.usage = "[options]",
	.summary = "Headless daemon: seed indexes, follow the WAL, serve HTTP",
	.help = "Loads the deployment file, seeds every index that is not "
	        "seeded yet, then\nfollows PostgreSQL logical replication and "
	        "keeps OpenSearch current.\nServes /healthz, /readyz, /status "
	        "and /metrics on the public address and\nthe admin API on the "
	        "private address. SIGINT/SIGTERM stop it cleanly.",
	.opts = run_opts,
	.nopts = FL_ARRAY_LEN(run_opts),
	.exec = run_exec,
};
