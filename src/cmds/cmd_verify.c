/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_verify.c - `flusso verify INDEX...`: the consistency checker. Reads
 * every document of the index from OpenSearch and compares it with the
 * document PostgreSQL builds now (engine verify.c). Exit 0 when they
 * agree, 1 on any missing, extra or different document.
 */
#include <stdio.h>
#include <string.h>

#include "check_report.h"
#include "cmd.h"
#include "config/config.h"
#include "core/verify.h"

static const struct fl_opt verify_opts[] = {
	FL_OPTS_CONFIG,
	{ .name = "recheck",
	  .kind = FL_OPT_INT,
	  .metavar = "N",
	  .help = "re-read differences N times, 1 s apart, before counting "
	          "them",
	  .def_num = 3,
	  .min = 0,
	  .max = 100 },
	FL_OPTS_LOG,
};

static int
verify_one(struct fl_cmd_ctx *ctx, const struct fl_config *cfg,
           const char *name)
{
	struct fl_verify_report r;
	struct fl_err err;
	size_t i;

	if (fl_verify_index(cfg, name, (int)fl_args_long(&ctx->args, "recheck"),
	                    &r, &err) < 0) {
		fprintf(stderr, "flusso: verify %s: %s\n", name, err.msg);
		return FL_EXIT_FAIL;
	}
	printf("%s: %zu rows, %zu documents stored: %zu missing, %zu extra, "
	       "%zu different\n",
	       name, r.checked, r.stored, r.missing, r.extra, r.different);
	for (i = 0; i < r.nexamples; i++)
		printf("  %s\n", r.examples[i]);
	return r.missing || r.extra || r.different ? FL_EXIT_FAIL : FL_EXIT_OK;
}

static int
verify_exec(struct fl_cmd_ctx *ctx)
{
	struct fl_diags diags;
	struct fl_config *cfg;
	size_t i;
	int code = FL_EXIT_OK;

	fl_diags_init(&diags);
	cfg = fl_config_load(fl_args_str(&ctx->args, "config"),
	                     fl_args_str(&ctx->args, "index-prefix"), &diags);
	fl_check_print_diags(&diags, stderr, ctx->color);
	fl_diags_done(&diags);
	if (!cfg)
		return FL_EXIT_FAIL;
	if (ctx->args.npos == 0) {
		for (i = 0; i < cfg->nindexes; i++)
			if (cfg->indexes[i].enabled &&
			    verify_one(ctx, cfg, cfg->indexes[i].name))
				code = FL_EXIT_FAIL;
	}
	for (i = 0; i < ctx->args.npos; i++)
		if (verify_one(ctx, cfg, ctx->args.pos[i]))
			code = FL_EXIT_FAIL;
	fl_config_free(cfg);
	return code;
}

const struct fl_cmd_entry fl_cmd_verify_entry = {
	.name = "verify",
	.usage = "[options] [INDEX...]",
	.summary = "Compare OpenSearch with what PostgreSQL says now",
	.help = "For each index (all enabled ones by default), reads every "
	        "stored document\nand every root row, builds the expected "
	        "documents in PostgreSQL and reports\nmissing, extra and "
	        "different documents. Run it when writes are quiet;\n"
	        "differences are re-read --recheck times before they count.",
	.opts = verify_opts,
	.nopts = FL_ARRAY_LEN(verify_opts),
	.max_pos = 16,
	.exec = verify_exec,
};
