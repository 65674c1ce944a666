/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands.c - the control command table and its in-process handlers.
 *
 * Every command is one designated-initialiser entry (the tmux cmd_entry
 * idea) with a short handler: read commands render a board snapshot,
 * engine commands post to the engine with fl_engine_command(). Checking
 * the arguments is not a handler's business: fl_ctl_exec() runs
 * fl_ctl_check() (commands_check.c) first, for every surface.
 */
#include "core/commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_write.h"
#include "util/log.h"
#include "util/xmem.h"

/* ---- answers --------------------------------------------------------------- */

static int ctl_answer(struct fl_buf *out, int code, const char *fmt, ...)
    FL_PRINTF(3, 4);

/* One line of text; returns code. */
static int
ctl_answer(struct fl_buf *out, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fl_buf_printf(out, "%s\n", msg);
	return code;
}

/* A board snapshot for a read command; NULL (and a 503 answer in out)
 * without a board. Caller frees. */
static struct fl_status *
ctl_snapshot(const struct fl_ctl_local *l, struct fl_buf *out)
{
	struct fl_status *st;

	if (!l->board) {
		ctl_answer(out, 503, "pipeline is not running");
		return NULL;
	}
	st = fl_xmalloc(sizeof(*st));
	fl_board_snapshot(l->board, st);
	return st;
}

/* Post an engine command with the call's INDEX and second argument. */
static int
ctl_engine(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
           enum fl_engine_cmd ec, struct fl_buf *out)
{
	char msg[512];
	int code;

	if (!l->engine)
		return ctl_answer(out, 503, "pipeline is not running");
	code = fl_engine_command(l->engine, ec, k->index[0] ? k->index : NULL,
	                         k->argc > 1 ? k->argv[1] : NULL, msg,
	                         sizeof(msg), 10000);
	return ctl_answer(out, code, "%s", msg);
}

/* ---- read commands -------------------------------------------------------- */

static int
ctl_status(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
           struct fl_buf *out)
{
	struct fl_status *st = ctl_snapshot(l, out);

	(void)k;
	if (!st)
		return 503;
	fl_status_to_json(st, fl_status_now_us(), out);
	fl_buf_putc(out, '\n');
	free(st);
	return 200;
}

static int
ctl_indexes(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
            struct fl_buf *out)
{
	struct fl_status *st = ctl_snapshot(l, out);
	size_t i;
	int first = 1;

	(void)k;
	if (!st)
		return 503;
	fl_buf_putc(out, '{');
	for (i = 0; i < st->nindexes; i++) {
		const struct fl_status_index *x = &st->indexes[i];

		if (!x->enabled)
			continue;
		if (!first)
			fl_buf_putc(out, ',');
		first = 0;
		fl_json_put_string(out, x->name);
		fl_buf_putc(out, ':');
		fl_json_put_string(out, x->state == FL_IX_BACKFILLING
		                            ? "backfilling"
		                        : x->seeded ? "seeded"
		                                    : "pending");
	}
	fl_buf_puts(out, "}\n");
	free(st);
	return 200;
}

static int
ctl_quarantine(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
               struct fl_buf *out)
{
	struct fl_status *st = ctl_snapshot(l, out);
	size_t i;
	int first = 1;

	if (!st)
		return 503;
	fl_buf_putc(out, '[');
	for (i = 0; i < st->q_n; i++) {
		const struct fl_status_quarantine *q =
		    &st->quarantine[(st->q_head + i) % FL_STATUS_QUARANTINE];
		char ts[40];

		if (k->index[0] && strcmp(k->index, q->index) != 0)
			continue;
		fl_log_iso8601(q->ts_us, ts, sizeof(ts));
		fl_buf_puts(out, first ? "{\"ts\":" : ",{\"ts\":");
		first = 0;
		fl_json_put_string(out, ts);
		fl_buf_puts(out, ",\"index\":");
		fl_json_put_string(out, q->index);
		fl_buf_puts(out, ",\"id\":");
		fl_json_put_string(out, q->id);
		fl_buf_puts(out, ",\"reason\":");
		fl_json_put_string(out, q->reason);
		fl_buf_putc(out, '}');
	}
	fl_buf_puts(out, "]\n");
	free(st);
	return 200;
}

static int
ctl_errors(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
           struct fl_buf *out)
{
	struct fl_status *st = ctl_snapshot(l, out);
	size_t i;
	int first = 1;

	(void)k;
	if (!st)
		return 503;
	fl_buf_putc(out, '[');
	for (i = 0; i < st->ev_n; i++) {
		const struct fl_status_event *ev =
		    &st->events[(st->ev_head + i) % FL_STATUS_EVENTS];
		char ts[40];

		if (ev->level > FL_LOG_WARN)
			continue;
		fl_log_iso8601(ev->ts_us, ts, sizeof(ts));
		fl_buf_puts(out, first ? "{\"ts\":" : ",{\"ts\":");
		first = 0;
		fl_json_put_string(out, ts);
		fl_buf_puts(out, ",\"level\":");
		fl_json_put_string(out, fl_log_level_name(ev->level));
		fl_buf_puts(out, ",\"message\":");
		fl_json_put_string(out, ev->msg);
		fl_buf_putc(out, '}');
	}
	fl_buf_puts(out, "]\n");
	free(st);
	return 200;
}

/* ---- commands that change something ---------------------------------------- */

static int
ctl_loglevel(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
             struct fl_buf *out)
{
	enum fl_log_level lvl;

	(void)l;
	if (fl_log_level_parse(k->argv[0], &lvl) < 0)
		return ctl_answer(out, 400,
		                  "unknown log level %s (error, warn, info, "
		                  "debug, trace)",
		                  k->argv[0]);
	fl_log_set_level(lvl);
	return ctl_answer(out, 200, "log level is now %s",
	                  fl_log_level_name(lvl));
}

/* The engine commands: one call each. */
static int
ctl_reindex(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
            struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_REINDEX, out);
}

static int
ctl_backfill(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
             struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_BACKFILL, out);
}

static int
ctl_pause(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
          struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_PAUSE, out);
}

static int
ctl_resume(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
           struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_RESUME, out);
}

static int
ctl_retry(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
          struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_RETRY, out);
}

static int
ctl_reload(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
           struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_RELOAD, out);
}

static int
ctl_policy(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
           struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_POLICY, out);
}

static int
ctl_gc(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
       struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_GC, out);
}

static int
ctl_stop(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
         struct fl_buf *out)
{
	return ctl_engine(l, k, FL_ECMD_STOP, out);
}

/* ---- the table ------------------------------------------------------------------ */

/* The argument kinds most commands take. */
#define CTL_INDEX                                                            \
	{                                                                    \
		.name = "INDEX", .param = "index", .flags = FL_CTL_ARG_INDEX \
	}
#define CTL_INDEX_OR_ALL                                                    \
	{                                                                   \
		.name = "INDEX", .param = "index",                          \
		.flags =                                                    \
		    FL_CTL_ARG_OPTIONAL | FL_CTL_ARG_INDEX | FL_CTL_ARG_ALL \
	}
/* Options of the debugging commands. */
#define CTL_OPT_JSON                                                        \
	{                                                                   \
		.name = "json", .help = "answer one JSON document instead " \
		                        "of text"                           \
	}
static const struct fl_ctl_opt ctl_opts_json[] = { CTL_OPT_JSON, { 0 } };
static const struct fl_ctl_opt ctl_opts_migrate[] = {
	{ .name = "apply",
	  .help = "write our meta for adopt or rebuild, as reported; "
	          "flusso run seeds" },
	{ .name = "sink",
	  .metavar = "NAME",
	  .help = "this OpenSearch sink only" },
	{ 0 },
};
static const struct fl_ctl_opt ctl_opts_inspect[] = {
	CTL_OPT_JSON,
	{ .name = "sink",
	  .metavar = "NAME",
	  .help = "check this OpenSearch sink only" },
	{ 0 },
};
static const struct fl_ctl_opt ctl_opts_explain[] = {
	CTL_OPT_JSON,
	{ .name = "old",
	  .metavar = "COL=VAL,...",
	  .help = "the row's old values (a row that is gone, or moved)" },
	{ 0 },
};

static const struct fl_ctl_opt ctl_opts_slot[] = {
	CTL_OPT_JSON,
	{ .name = "top",
	  .metavar = "N",
	  .help = "list the N largest transactions (default 10)" },
	{ 0 },
};

/* Offered on every surface: `flusso ctl`, the prompt, the admin API. */
#define CTL_EVERYWHERE (FL_CTL_PROMPT | FL_CTL_HTTP | FL_CTL_CLI)

const struct fl_ctl_cmd fl_ctl_table[] = {
	{
	    .name = "status",
	    .summary = "the status document",
	    .flags = CTL_EVERYWHERE | FL_CTL_JSON,
	    .method = "GET",
	    .path = "/status",
	    .exec = ctl_status,
	},
	{
	    .name = "indexes",
	    .summary = "each index and its state",
	    .flags = CTL_EVERYWHERE | FL_CTL_JSON | FL_CTL_SHORTCUT,
	    .method = "GET",
	    .path = "/indexes",
	    .exec = ctl_indexes,
	},
	{
	    .name = "reindex",
	    .args = { CTL_INDEX },
	    .summary = "build a new generation alongside live sync, then swap "
	               "to it",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING | FL_CTL_SHORTCUT,
	    .method = "POST",
	    .path = "/reindex",
	    .exec = ctl_reindex,
	},
	{
	    .name = "backfill",
	    .args = { CTL_INDEX },
	    .summary = "re-seed in place (documents of vanished rows stay; use "
	               "reindex)",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING | FL_CTL_SHORTCUT,
	    .method = "POST",
	    .path = "/backfill",
	    .exec = ctl_backfill,
	},
	{
	    .name = "pause",
	    .args = { CTL_INDEX_OR_ALL },
	    .summary = "hold an index: its changes are recorded as pending ids "
	               "and applied on resume (all: stop committing "
	               "everything)",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING | FL_CTL_SHORTCUT,
	    .method = "POST",
	    .path = "/pause",
	    .exec = ctl_pause,
	},
	{
	    .name = "resume",
	    .args = { CTL_INDEX_OR_ALL },
	    .summary = "undo pause: drain the index's pending ids",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING | FL_CTL_SHORTCUT,
	    .method = "POST",
	    .path = "/resume",
	    .exec = ctl_resume,
	},
	{
	    .name = "retry",
	    .args = { CTL_INDEX_OR_ALL },
	    .summary = "restart a stopped index (or one in drift, once the "
	               "database matches it) from its pending set; without "
	               "INDEX, every such index and a failed pipeline",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING | FL_CTL_SHORTCUT,
	    .method = "POST",
	    .path = "/retry",
	    .exec = ctl_retry,
	},
	{
	    .name = "reload",
	    .summary = "read flusso.yml and the schemas again and apply them "
	               "without a restart (SIGHUP does the same)",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING | FL_CTL_SHORTCUT,
	    .method = "POST",
	    .path = "/reload",
	    .exec = ctl_reload,
	},
	{
	    .name = "policy",
	    .args = { CTL_INDEX, { .name = "stop|skip", .param = "value" } },
	    .summary = "change an index's failure policy until restart",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING,
	    .method = "POST",
	    .path = "/policy",
	    .exec = ctl_policy,
	},
	{
	    .name = "quarantine",
	    .args = { { .name = "INDEX",
	                .param = "index",
	                .flags = FL_CTL_ARG_OPTIONAL | FL_CTL_ARG_INDEX } },
	    .summary = "recently quarantined documents",
	    .flags = CTL_EVERYWHERE | FL_CTL_JSON,
	    .method = "GET",
	    .path = "/quarantine",
	    .exec = ctl_quarantine,
	},
	{
	    .name = "errors",
	    .summary = "recent errors with their times",
	    .flags = CTL_EVERYWHERE | FL_CTL_JSON,
	    .method = "GET",
	    .path = "/errors",
	    .exec = ctl_errors,
	},
	{
	    .name = "gc",
	    .args = { CTL_INDEX },
	    .summary = "delete orphan generations of an index",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING,
	    .method = "POST",
	    .path = "/gc",
	    .exec = ctl_gc,
	},
	{
	    .name = "loglevel",
	    .args = { { .name = "LEVEL", .param = "level" } },
	    .summary = "change the log level (error .. trace)",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING,
	    .method = "POST",
	    .path = "/loglevel",
	    .exec = ctl_loglevel,
	},
	{
	    .name = "stop",
	    .summary = "stop the daemon gracefully",
	    .flags = FL_CTL_HTTP | FL_CTL_CLI | FL_CTL_MUTATING,
	    .method = "POST",
	    .path = "/stop",
	    .exec = ctl_stop,
	},
	{
	    .name = "inspect",
	    .args = { CTL_INDEX, { .name = "ID", .param = "id" } },
	    .summary = "one document as PostgreSQL builds it next to what "
	               "OpenSearch stores, with a field-level diff",
	    .help = "Checks every OpenSearch sink (--sink picks one). Says "
	            "when the root row is missing,\nsoft-deleted or "
	            "filtered, and whether a delete is due. Exit status "
	            "(CLI): 0 same,\n1 error, 3 the document differs.",
	    .flags = CTL_EVERYWHERE | FL_CTL_OFFLINE,
	    .method = "GET",
	    .path = "/inspect",
	    .exec = fl_ctl_inspect,
	    .opts = ctl_opts_inspect,
	},
	{
	    .name = "explain",
	    .args = { { .name = "TABLE", .param = "table" },
	              { .name = "KEY", .param = "key" } },
	    .summary = "every document a row feeds, the relation path and the "
	               "SQL that found it",
	    .help = "KEY is the primary key value, or col=val,... for a "
	            "composite key. For a row that\nno longer exists, give "
	            "its old values with --old col=val,...",
	    .flags = CTL_EVERYWHERE | FL_CTL_OFFLINE,
	    .method = "GET",
	    .path = "/explain",
	    .exec = fl_ctl_explain,
	    .opts = ctl_opts_explain,
	},
	{
	    .name = "sql",
	    .args = { CTL_INDEX },
	    .summary = "the seeding and change-resolution statements of an "
	               "index, formatted",
	    .flags = CTL_EVERYWHERE | FL_CTL_OFFLINE,
	    .method = "GET",
	    .path = "/sql",
	    .exec = fl_ctl_sql,
	    .opts = ctl_opts_json,
	},
	{
	    .name = "repair",
	    .args = { CTL_INDEX,
	              { .name = "ID",
	                .param = "id",
	                .flags = FL_CTL_ARG_REST } },
	    .summary = "rebuild these documents now (at most 50 ids), through "
	               "the same path as live changes",
	    .flags = CTL_EVERYWHERE | FL_CTL_MUTATING | FL_CTL_SHORTCUT,
	    .method = "POST",
	    .path = "/repair",
	    .exec = fl_ctl_repair,
	    .opts = ctl_opts_json,
	},
	{
	    .name = "slot",
	    .summary = "what is waiting in the replication slot, peeked "
	               "without consuming it",
	    .help = "The slot the pipeline streams from is read through a "
	            "temporary copy\n(pg_copy_logical_replication_slot), "
	            "dropped afterwards.",
	    .flags = CTL_EVERYWHERE,
	    .method = "GET",
	    .path = "/slot",
	    .exec = fl_ctl_slot,
	    .opts = ctl_opts_slot,
	},
	{
	    .name = "migrate",
	    .summary = "take over the indexes the reference implementation "
	               "(Rust flusso) left in OpenSearch",
	    .help = "Reads its meta index and says, per index, `adopt` (the "
	            "generation's mapping\nequals ours and the names match: "
	            "--index-naming reference) or `rebuild`\n(a new generation "
	            "seeded alongside, then one atomic alias swap).\n"
	            "--apply writes our meta document only; `flusso run` then "
	            "seeds every index\nfrom its slot's snapshot (an adopted "
	            "generation in place). After that first\nseed, run "
	            "`flusso verify --repair` on the adopted indexes. Run it "
	            "with the\nreference stopped. Exit status (CLI): 0 nothing "
	            "to do or applied, 1 error,\n3 work to do.",
	    .flags = FL_CTL_CLI | FL_CTL_OFFLINE | FL_CTL_MUTATING,
	    .method = "POST",
	    .path = "/migrate",
	    .exec = fl_ctl_migrate,
	    .opts = ctl_opts_migrate,
	},
	{
	    .name = "help",
	    .args = { { .name = "COMMAND", .flags = FL_CTL_ARG_OPTIONAL } },
	    .summary = "list commands, or one command's help",
	    .flags = FL_CTL_PROMPT | FL_CTL_CLI | FL_CTL_LOCAL,
	},
	{
	    .name = "quit",
	    .summary = "leave the dashboard",
	    .flags = FL_CTL_PROMPT | FL_CTL_LOCAL,
	},
	{ .name = NULL },
};

/* ---- running ------------------------------------------------------------------ */

int
fl_ctl_exec(const struct fl_ctl_local *l, unsigned surface,
            const struct fl_ctl_cmd *c, int argc, const char *const *argv,
            struct fl_buf *out)
{
	struct fl_ctl_call call;
	char msg[256];
	int code;

	code = fl_ctl_check(surface, c, argc, argv, l->readonly, &call, msg,
	                    sizeof(msg));
	if (code != 200)
		return ctl_answer(out, code, "%s", msg);
	if (call.help) {
		fl_ctl_help(surface, call.topic, out);
		return 200;
	}
	if (!c->exec)
		return ctl_answer(out, 400, "`%s` is not available here",
		                  c->name);
	return c->exec(l, &call, out);
}
