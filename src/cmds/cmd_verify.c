/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_verify.c - `flusso verify [INDEX...]`: the consistency checker.
 * Compares the documents of every OpenSearch sink with the documents
 * PostgreSQL builds now (engine verify.c), prints the differences as
 * text or one JSON document, draws a progress bar on a terminal.
 *
 * Owns: the options, the usage checks (index and sink names), the
 * progress bar, the output and the exit code: 0 when nothing differs,
 * 3 when a difference is found, 1 on an error, 2 on bad usage.
 * Does not own: finding differences, the report's forms (verify.c,
 * verify_report.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check_report.h"
#include "cmd.h"
#include "config/config.h"
#include "core/commands.h"
#include "core/inspect.h"
#include "core/verify.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json_write.h"
#include "util/xmem.h"

static const struct fl_opt verify_opts[] = {
	FL_OPTS_CONFIG,
	{ .name = "json",
	  .kind = FL_OPT_FLAG,
	  .help = "print one JSON document for every index" },
	{ .name = "sink",
	  .kind = FL_OPT_STR,
	  .metavar = "NAME",
	  .help = "check only this OpenSearch sink (default: every one)" },
	{ .name = "ids",
	  .kind = FL_OPT_STR,
	  .metavar = "ID,...",
	  .help = "check only these document ids (comma-separated; may be "
	          "repeated)",
	  .repeat = 1 },
	{ .name = "sample",
	  .kind = FL_OPT_INT,
	  .metavar = "N",
	  .help = "check N random root rows (extra documents are not "
	          "looked for)",
	  .min = 1,
	  .max = 100000000 },
	{ .name = "limit",
	  .kind = FL_OPT_INT,
	  .metavar = "N",
	  .help = "list at most N differences per index, 0 for all (the "
	          "counts stay exact)",
	  .def_num = FL_VERIFY_LIMIT,
	  .min = 0,
	  .max = 100000000 },
	{ .name = "repair",
	  .kind = FL_OPT_FLAG,
	  .help = "rebuild every differing id (through the running daemon "
	          "when --server answers, else directly), then check them "
	          "again" },
	FL_OPTS_ADMIN,
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

/* The progress bar on stderr (a terminal only). */
struct verify_bar {
	int on;
	int64_t t0, last;
	size_t shown; /* characters of the line drawn */
};

static void
verify_bar_draw(void *arg, const struct fl_verify_progress *p)
{
	struct verify_bar *b = arg;
	int64_t now = fl_mono_ms();
	double secs;
	char line[200];
	int w;

	if (!b->on || (now - b->last < 200 && p->done))
		return;
	if (!p->done || !b->t0)
		b->t0 = now;
	b->last = now;
	secs = (double)(now - b->t0) / 1000.0;
	if (strcmp(p->stage, "rows") == 0)
		w = snprintf(line, sizeof(line),
		             "verify %s: %zu / ~%lld rows (%lld%%), %.0f "
		             "rows/s",
		             p->index, p->done, p->total > 0 ? p->total : 0,
		             p->total > 0 ? (long long)p->done * 100 / p->total
		                          : 0,
		             secs > 0.2 ? (double)p->done / secs : 0.0);
	else if (strcmp(p->stage, "extra") == 0)
		w = snprintf(line, sizeof(line),
		             "verify %s: looking for extra documents in %s: "
		             "%zu / %lld",
		             p->index, p->sink, p->done, p->total);
	else
		w = snprintf(line, sizeof(line),
		             "verify %s: re-reading %lld differences in %s",
		             p->index, p->total, p->sink);
	if (w < 0)
		return;
	fprintf(stderr, "\r%s%*s", line,
	        b->shown > (size_t)w ? (int)(b->shown - (size_t)w) : 0, "");
	b->shown = (size_t)w;
	fflush(stderr);
}

static void
verify_bar_clear(struct verify_bar *b)
{
	if (!b->on || !b->shown)
		return;
	fprintf(stderr, "\r%*s\r", (int)b->shown, "");
	fflush(stderr);
	b->shown = 0;
}

/* --ids values split at commas into ids (strings in *store). */
static size_t
verify_ids(struct fl_cmd_ctx *ctx, char **store, const char ***ids)
{
	const char *v[FL_MAX_REPEAT];
	size_t nv = fl_args_strs(&ctx->args, "ids", v, FL_MAX_REPEAT), i, n = 0,
	       cap = 0;
	struct fl_buf all;
	char *p, *save = NULL;

	*ids = NULL;
	fl_buf_init(&all, (size_t)1 << 30);
	for (i = 0; i < nv; i++) {
		fl_buf_puts(&all, v[i]);
		fl_buf_putc(&all, ',');
	}
	*store = fl_buf_steal(&all);
	if (!*store)
		return 0;
	for (p = strtok_r(*store, ",", &save); p;
	     p = strtok_r(NULL, ",", &save)) {
		*ids = fl_xgrow(*ids, &cap, n + 1, sizeof(**ids));
		(*ids)[n++] = p;
	}
	return n;
}

/* Unknown index or sink names on the command line: usage errors. */
static int
verify_check_names(struct fl_cmd_ctx *ctx, const struct fl_config *cfg)
{
	const char *sink = fl_args_str(&ctx->args, "sink");
	size_t i;

	for (i = 0; i < ctx->args.npos; i++) {
		const struct fl_index_cfg *ix =
		    fl_config_index(cfg, ctx->args.pos[i]);

		if (!ix || !ix->enabled) {
			fprintf(stderr,
			        "flusso: verify: no enabled index named "
			        "%s\n",
			        ctx->args.pos[i]);
			return FL_EXIT_USAGE;
		}
	}
	if (!sink)
		return FL_EXIT_OK;
	for (i = 0; i < cfg->nsinks; i++)
		if (cfg->sinks[i].type == FL_SINK_OPENSEARCH &&
		    strcasecmp(cfg->sinks[i].name, sink) == 0)
			return FL_EXIT_OK;
	fprintf(stderr, "flusso: verify: no OpenSearch sink named %s\n", sink);
	return FL_EXIT_USAGE;
}

/* ---- --repair ------------------------------------------------------------ */

#define VERIFY_REPAIR_BATCH 50 /* ids per `repair` call */

/* The distinct ids of the report (any sink), sorted. */
static int
verify_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t
verify_diff_ids(const struct fl_verify_report *r, const char ***out)
{
	const char **v = fl_xcalloc(r->nitems ? r->nitems : 1, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < r->nitems; i++)
		v[i] = r->items[i].id;
	if (r->nitems)
		qsort(v, r->nitems, sizeof(*v), verify_str_cmp);
	for (i = 0; i < r->nitems; i++)
		if (!n || strcmp(v[n - 1], v[i]))
			v[n++] = v[i];
	*out = v;
	return n;
}

/* Send ids to the daemon's `repair`: 1 done (or kept pending), 0 no
 * daemon answered, -1 it refused (the message printed). */
static int
verify_repair_daemon(struct fl_cmd_ctx *ctx, const char *index,
                     const char **ids, size_t n)
{
	const struct fl_ctl_cmd *c = fl_ctl_find(FL_CTL_HTTP, "repair", NULL);
	char *base = fl_ctl_base_url(fl_args_str(&ctx->args, "server"));
	struct fl_ctl_remote rm = { base, fl_args_str(&ctx->args, "admin-user"),
		                    NULL, 120, NULL };
	const char *words[VERIFY_REPAIR_BATCH + 2];
	struct fl_buf out;
	struct fl_err err;
	char *pw = NULL;
	size_t i, k;
	int rc = 1, code;

	if (fl_cmd_admin_password(ctx, &pw) != FL_EXIT_OK) {
		free(base);
		return -1;
	}
	rm.password = pw;
	fl_buf_init(&out, (size_t)1 << 20);
	for (i = 0; i < n && rc == 1; i += k) {
		words[0] = index;
		for (k = 0; k < VERIFY_REPAIR_BATCH && i + k < n; k++)
			words[k + 1] = ids[i + k];
		fl_buf_reset(&out);
		code =
		    fl_ctl_remote_exec(&rm, c, (int)k + 1, words, &out, &err);
		if (code < 0 && i == 0) {
			rc = 0; /* nobody there: repair directly */
		} else if (code < 0) {
			fprintf(stderr, "flusso: verify: repair: %s\n",
			        err.msg);
			rc = -1;
		} else if (code / 100 != 2) {
			fprintf(stderr,
			        "flusso: verify: the daemon refused the repair "
			        "(%d): %s",
			        code, fl_buf_str(&out));
			rc = -1;
		} else if (i == 0) {
			fprintf(stderr, "flusso: verify: %s: %s", index,
			        fl_buf_str(&out));
		}
	}
	fl_buf_done(&out);
	free(base);
	free(pw);
	return rc;
}

/* Repair every differing id of the report, then check them again. */
static int
verify_repair(struct fl_cmd_ctx *ctx, const struct fl_config *cfg,
              const char *name, const struct fl_verify_opts *o,
              const struct fl_verify_report *r)
{
	struct fl_verify_opts again = *o;
	struct fl_verify_report r2;
	const char **ids;
	size_t n = verify_diff_ids(r, &ids), written = 0, left;
	struct fl_err err;
	int via;

	via = verify_repair_daemon(ctx, name, ids, n);
	if (via == 0) {
		if (fl_inspect_repair(cfg, name, ids, n, o->sink, &written,
		                      &err) < 0) {
			fprintf(stderr, "flusso: verify: repair of %s: %s\n",
			        name, err.msg);
			via = -1;
		} else {
			fprintf(stderr,
			        "flusso: verify: no daemon at %s: repaired %zu "
			        "document%s of %s directly\n",
			        fl_args_str(&ctx->args, "server"), written,
			        written == 1 ? "" : "s", name);
		}
	}
	if (via < 0) {
		free(ids);
		return FL_EXIT_FAIL;
	}
	again.ids = ids;
	again.nids = n;
	again.sample = 0;
	again.limit = -1;
	if (fl_verify_run(cfg, name, &again, &r2, &err) < 0) {
		fprintf(stderr, "flusso: verify: checking the repair: %s\n",
		        err.msg);
		fl_verify_report_done(&r2);
		free(ids);
		return FL_EXIT_FAIL;
	}
	verify_bar_clear(o->progress_arg);
	left = fl_verify_report_differences(&r2);
	fprintf(stderr,
	        "flusso: verify: %s: %zu id%s repaired, checked again: %zu "
	        "still differ%s\n",
	        name, n, n == 1 ? "" : "s", left, left == 1 ? "s" : "");
	if (r->truncated)
		fprintf(stderr,
		        "flusso: verify: %s: more ids differ than the list "
		        "holds (--limit %ld): run it again, or reindex\n",
		        name, o->limit);
	fl_verify_report_done(&r2);
	free(ids);
	return left || r->truncated ? FL_EXIT_DIFFERS : FL_EXIT_OK;
}

/* One index: run, print (text) or append to json; an exit code. */
static int
verify_one(struct fl_cmd_ctx *ctx, const struct fl_config *cfg,
           const char *name, const struct fl_verify_opts *o,
           struct fl_buf *json, int *first)
{
	struct fl_verify_report r;
	struct fl_err err;
	int code;

	fl_err_clear(&err);
	if (fl_verify_run(cfg, name, o, &r, &err) < 0) {
		verify_bar_clear(o->progress_arg);
		fprintf(stderr, "flusso: %s\n", err.msg);
		if (json) {
			fl_buf_puts(json,
			            *first ? "{\"index\":" : ",{\"index\":");
			fl_json_put_string(json, name);
			fl_buf_puts(json, ",\"error\":");
			fl_json_put_string(json, err.msg);
			fl_buf_putc(json, '}');
			*first = 0;
		}
		fl_verify_report_done(&r);
		return FL_EXIT_FAIL;
	}
	verify_bar_clear(o->progress_arg);
	if (json) {
		if (!*first)
			fl_buf_putc(json, ',');
		fl_verify_report_json(&r, json);
		*first = 0;
	} else {
		fl_verify_report_text(&r, stdout);
	}
	code = fl_verify_report_differences(&r) ? FL_EXIT_DIFFERS : FL_EXIT_OK;
	if (code == FL_EXIT_DIFFERS && fl_args_flag(&ctx->args, "repair"))
		code = verify_repair(ctx, cfg, name, o, &r);
	fl_verify_report_done(&r);
	return code;
}

static int
verify_exec(struct fl_cmd_ctx *ctx)
{
	struct fl_verify_opts o;
	struct verify_bar bar;
	struct fl_config *cfg;
	struct fl_buf json;
	int use_json = fl_args_flag(&ctx->args, "json"), first = 1;
	char *idstore = NULL;
	const char **ids = NULL;
	size_t i, nidx = 0;
	int code = FL_EXIT_OK, one;

	memset(&o, 0, sizeof(o));
	memset(&bar, 0, sizeof(bar));
	o.nids = verify_ids(ctx, &idstore, &ids);
	o.ids = ids;
	if (fl_args_is_set(&ctx->args, "ids") && !o.nids) {
		fprintf(stderr, "flusso: verify: --ids names no id\n");
		code = FL_EXIT_USAGE;
	} else if (o.nids && fl_args_is_set(&ctx->args, "sample")) {
		fprintf(stderr, "flusso: verify: --ids and --sample exclude "
		                "each other\n");
		code = FL_EXIT_USAGE;
	}
	if (code) {
		free(ids);
		free(idstore);
		return code;
	}
	o.sink = fl_args_str(&ctx->args, "sink");
	o.sample = fl_args_is_set(&ctx->args, "sample")
	               ? fl_args_long(&ctx->args, "sample")
	               : 0;
	o.limit = fl_args_long(&ctx->args, "limit");
	if (o.limit == 0)
		o.limit = -1; /* 0 on the command line: all */
	o.recheck = (int)fl_args_long(&ctx->args, "recheck");
	bar.on = !use_json && isatty(STDERR_FILENO);
	o.progress = verify_bar_draw;
	o.progress_arg = &bar;

	cfg = fl_cmd_load_config(ctx);
	if (!cfg || (code = verify_check_names(ctx, cfg)) != FL_EXIT_OK) {
		fl_config_free(cfg);
		free(ids);
		free(idstore);
		return cfg ? code : FL_EXIT_FAIL;
	}
	fl_buf_init(&json, (size_t)1 << 30);
	if (use_json)
		fl_buf_puts(&json, "{\"indexes\":[");
	for (i = 0; i < (ctx->args.npos ? ctx->args.npos : cfg->nindexes);
	     i++) {
		const char *name =
		    ctx->args.npos ? ctx->args.pos[i] : cfg->indexes[i].name;

		if (!ctx->args.npos && !cfg->indexes[i].enabled)
			continue;
		nidx++;
		one = verify_one(ctx, cfg, name, &o, use_json ? &json : NULL,
		                 &first);
		if (one == FL_EXIT_FAIL || (one && code == FL_EXIT_OK))
			code = one; /* an error beats a difference */
	}
	if (use_json) {
		fl_buf_printf(&json, "],\"result\":\"%s\"}\n",
		              code == FL_EXIT_OK        ? "same"
		              : code == FL_EXIT_DIFFERS ? "different"
		                                        : "error");
		fputs(fl_buf_str(&json), stdout);
	} else if (!nidx) {
		printf("no enabled index to verify\n");
	}
	fl_buf_done(&json);
	fl_config_free(cfg);
	free(ids);
	free(idstore);
	return code;
}

const struct fl_cmd_entry fl_cmd_verify_entry = {
	.name = "verify",
	.usage = "[options] [INDEX...]",
	.summary = "Compare OpenSearch with what PostgreSQL says now",
	.help =
	    "For each index (all enabled ones by default) and each OpenSearch "
	    "sink,\nbuilds the expected document of every root row in "
	    "PostgreSQL, reads the\nstored one, and reports missing, extra "
	    "and different documents (with the\nfirst differing path, such as "
	    "orders[2].items[0].quantity). Memory stays\nthe same whatever the "
	    "index size. Run it when writes are quiet; differences\nare "
	    "re-read --recheck times before they count.\n\nExit status: 0 "
	    "nothing differs, 3 a difference was found, 1 an error\n(it beats "
	    "a difference), 2 bad usage (also an unknown index or sink).",
	.opts = verify_opts,
	.nopts = FL_ARRAY_LEN(verify_opts),
	.max_pos = 16,
	.exec = verify_exec,
};
