/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_help.c - `flusso help [COMMAND]`: the command list, or one command's
 * help (the same text as `flusso COMMAND --help`).
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util/strutil.h"

static int
help_exec(struct fl_cmd_ctx *ctx)
{
	struct fl_cmd_entry tmp;
	const struct fl_cmd_entry *e;

	if (ctx->args.npos == 0) {
		fl_cmd_print_overview(stdout);
		return FL_EXIT_OK;
	}
	e = fl_cmd_find(ctx->args.pos[0], &tmp);
	if (!e) {
		const char *names[32];
		const char *hint;
		size_t n = fl_cmd_names(names, FL_ARRAY_LEN(names));

		hint = fl_str_suggest(ctx->args.pos[0], names, n, 2);
		fprintf(stderr,
		        "flusso: no help for unknown command '%s'%s%s%s\n",
		        ctx->args.pos[0], hint ? "; did you mean '" : "",
		        hint ? hint : "", hint ? "'?" : "");
		return FL_EXIT_USAGE;
	}
	fl_cmd_print_help(e, stdout);
	return FL_EXIT_OK;
}

const struct fl_cmd_entry fl_cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "Show the command list, or one command's help",
	.max_pos = 1,
	.exec = help_exec,
};
