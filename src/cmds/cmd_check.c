/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_check.c - `flusso check`: validate the deployment file and schemas,
 * print the derived mappings; online, confirm them against PostgreSQL.
 * The configuration loader has not landed yet: options are parsed and
 * validated, then the command says so and exits 1.
 */
#include "cmd.h"

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
	  .def = "file, then true" },
	{ .name = "format",
	  .kind = FL_OPT_STR,
	  .metavar = "FORMAT",
	  .help = "human or json",
	  .def = "human",
	  .choices = check_formats },
	FL_OPTS_LOG,
};

static int
check_exec(struct fl_cmd_ctx *ctx)
{
	return fl_cmd_not_built(ctx);
}

const struct fl_cmd_entry fl_cmd_check_entry = {
	.name = "check",
	.usage = "[options]",
	.summary = "Validate config and schemas; print the derived mappings",
	.help = "Loads flusso.yml and every schema, reports each problem with "
	        "file:line:column,\nand prints each index's mapping. Unless "
	        "--offline, also checks the live\ndatabase: tables, columns, "
	        "types, keys, replica identity, publication.\nExit 1 when any "
	        "error is found.",
	.opts = check_opts,
	.nopts = FL_ARRAY_LEN(check_opts),
	.exec = check_exec,
};
