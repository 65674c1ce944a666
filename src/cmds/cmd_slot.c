/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_slot.c - `flusso slot`: what is waiting in the replication slot,
 * read without consuming it (engine source/slot_peek.c does the work).
 * Loads the deployment file for the source connection, peeks, prints a
 * table or one JSON object. Exit 0 on success, 1 on any error (the slot
 * missing or in use included).
 */
#include <stdio.h>
#include <stdlib.h>

#include "check_report.h"
#include "cmd.h"
#include "config/config.h"
#include "source/pg_conn.h"
#include "source/slot_peek.h"

static const struct fl_opt slot_opts[] = {
	FL_OPTS_CONFIG,
	{ .name = "slot",
	  .kind = FL_OPT_STR,
	  .metavar = "NAME",
	  .help = "logical replication slot to peek at",
	  .def = "flusso" },
	{ .name = "publication",
	  .kind = FL_OPT_STR,
	  .metavar = "NAME",
	  .help = "publication the slot reads",
	  .def = "flusso" },
	{ .name = "max-changes",
	  .kind = FL_OPT_INT,
	  .metavar = "N",
	  .help = "stop after about N messages (a transaction is never cut)",
	  .def_num = FL_SLOT_MAX_CHANGES_DEFAULT,
	  .min = 1,
	  .max = 2147483647 },
	{ .name = "top",
	  .kind = FL_OPT_INT,
	  .metavar = "N",
	  .help = "largest transactions to list",
	  .def_num = FL_SLOT_TOP_DEFAULT,
	  .min = 1,
	  .max = 1000 },
	{ .name = "json", .kind = FL_OPT_FLAG, .help = "one JSON object" },
	FL_OPTS_LOG,
};

/* Connect to the configured source and peek; 0 or -1 with err. */
static int
slot_run(const struct fl_config *cfg, const struct fl_slot_opts *o,
         struct fl_slot_backlog *r, struct fl_err *err)
{
	char *conninfo, *target;
	PGconn *conn;
	int rc;

	if (!(conninfo = fl_config_source_conninfo(cfg, err)))
		return -1;
	target = fl_pgconn_describe(conninfo);
	conn = fl_pgconn_open(conninfo, "flusso", 0, err);
	free(conninfo);
	rc = conn ? fl_slot_peek(conn, o, r, err) : -1;
	if (rc < 0 && conn)
		fl_err_prefix(err, "%s", target);
	PQfinish(conn);
	free(target);
	return rc;
}

static int
slot_exec(struct fl_cmd_ctx *ctx)
{
	struct fl_slot_opts o = { 0 };
	struct fl_slot_backlog r;
	struct fl_config *cfg;
	struct fl_buf out;
	struct fl_err err;
	int rc;

	o.slot = fl_args_str(&ctx->args, "slot");
	o.publication = fl_args_str(&ctx->args, "publication");
	o.max_changes = fl_args_long(&ctx->args, "max-changes");
	o.top = (size_t)fl_args_long(&ctx->args, "top");
	if (fl_config_check_slot_name(o.slot) < 0 ||
	    fl_config_check_slot_name(o.publication) < 0) {
		int bad_slot = fl_config_check_slot_name(o.slot) < 0;

		fprintf(stderr,
		        "flusso: invalid %s name `%s` (lowercase letters, "
		        "digits and `_`, starting with a letter or `_`, at "
		        "most 63)\n",
		        bad_slot ? "slot" : "publication",
		        bad_slot ? o.slot : o.publication);
		return FL_EXIT_USAGE;
	}
	cfg = fl_cmd_load_config(ctx);
	if (!cfg)
		return FL_EXIT_FAIL;
	o.slot = cfg->slot; /* the selection's (--group, --indexes) */
	o.publication = cfg->publication;
	fl_err_clear(&err);
	rc = slot_run(cfg, &o, &r, &err);
	fl_config_free(cfg);
	if (rc < 0) {
		fprintf(stderr, "flusso: %s\n", err.msg);
		fl_slot_backlog_done(&r);
		return FL_EXIT_FAIL;
	}
	fl_buf_init(&out, (size_t)1 << 30);
	if (fl_args_flag(&ctx->args, "json")) {
		fl_slot_backlog_json(&r, &out);
		fl_buf_putc(&out, '\n');
	} else {
		fl_slot_backlog_text(&r, &out);
	}
	fputs(fl_buf_str(&out), stdout);
	fl_buf_done(&out);
	fl_slot_backlog_done(&r);
	return FL_EXIT_OK;
}

const struct fl_cmd_entry fl_cmd_slot_entry = {
	.name = "slot",
	.usage = "[options]",
	.summary = "Show what is waiting in the replication slot",
	.help = "Peeks at the slot without consuming it "
	        "(pg_logical_slot_peek_binary_changes)\nand reports the "
	        "pending changes and bytes per table, the oldest pending\n"
	        "commit and the largest transactions. A slot a running daemon "
	        "streams from\nis read through a temporary copy (one free "
	        "replication slot needed).\nThe server decodes up to "
	        "--max-changes messages before\nanswering, so a large "
	        "backlog takes a while.",
	.opts = slot_opts,
	.nopts = FL_ARRAY_LEN(slot_opts),
	.exec = slot_exec,
};
