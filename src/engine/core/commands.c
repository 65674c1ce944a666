/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands.c - the control command table and its two executors: in-process
 * (engine + board) and remote (the daemon's admin API over HTTP, the
 * very routes http_server.c serves from this same table).
 */
#include "core/commands.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "config/yaml_read.h"
#include "util/json_write.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

const struct fl_ctl_cmd fl_ctl_table[] = {
	{ "status",
	  "",
	  "the status document",
	  FL_CTL_PROMPT | FL_CTL_HTTP,
	  "GET",
	  "/status",
	  { NULL, NULL },
	  0,
	  0,
	  -1 },
	{ "indexes",
	  "",
	  "each index and its state",
	  FL_CTL_PROMPT | FL_CTL_HTTP,
	  "GET",
	  "/indexes",
	  { NULL, NULL },
	  0,
	  0,
	  -1 },
	{ "reindex",
	  "INDEX",
	  "build a new generation alongside live sync, then swap to it",
	  FL_CTL_MUTATING | FL_CTL_PROMPT | FL_CTL_HTTP,
	  "POST",
	  "/reindex",
	  { "index", NULL },
	  1,
	  1,
	  FL_ECMD_REINDEX },
	{ "backfill",
	  "INDEX",
	  "re-seed in place (documents of vanished rows stay; use reindex)",
	  FL_CTL_MUTATING | FL_CTL_PROMPT | FL_CTL_HTTP,
	  "POST",
	  "/backfill",
	  { "index", NULL },
	  1,
	  1,
	  FL_ECMD_BACKFILL },
	{ "pause",
	  "[INDEX|all]",
	  "stop committing after the current flush (capture keeps up to the "
	  "queue)",
	  FL_CTL_MUTATING | FL_CTL_PROMPT | FL_CTL_HTTP,
	  "POST",
	  "/pause",
	  { "index", NULL },
	  0,
	  1,
	  FL_ECMD_PAUSE },
	{ "resume",
	  "[INDEX|all]",
	  "undo pause",
	  FL_CTL_MUTATING | FL_CTL_PROMPT | FL_CTL_HTTP,
	  "POST",
	  "/resume",
	  { "index", NULL },
	  0,
	  1,
	  FL_ECMD_RESUME },
	{ "policy",
	  "INDEX stop|skip",
	  "change an index's failure policy until restart",
	  FL_CTL_MUTATING | FL_CTL_PROMPT | FL_CTL_HTTP,
	  "POST",
	  "/policy",
	  { "index", "value" },
	  2,
	  2,
	  FL_ECMD_POLICY },
	{ "quarantine",
	  "[INDEX]",
	  "recently quarantined documents",
	  FL_CTL_PROMPT | FL_CTL_HTTP,
	  "GET",
	  "/quarantine",
	  { "index", NULL },
	  0,
	  1,
	  -1 },
	{ "errors",
	  "",
	  "recent errors with their times",
	  FL_CTL_PROMPT | FL_CTL_HTTP,
	  "GET",
	  "/errors",
	  { NULL, NULL },
	  0,
	  0,
	  -1 },
	{ "gc",
	  "INDEX",
	  "delete orphan generations of an index",
	  FL_CTL_MUTATING | FL_CTL_PROMPT | FL_CTL_HTTP,
	  "POST",
	  "/gc",
	  { "index", NULL },
	  1,
	  1,
	  FL_ECMD_GC },
	{ "loglevel",
	  "LEVEL",
	  "change the log level (error .. trace)",
	  FL_CTL_MUTATING | FL_CTL_PROMPT | FL_CTL_HTTP,
	  "POST",
	  "/loglevel",
	  { "level", NULL },
	  1,
	  1,
	  -1 },
	{ "retry",
	  "",
	  "restart the pipeline after a permanent error",
	  FL_CTL_MUTATING | FL_CTL_PROMPT | FL_CTL_HTTP,
	  "POST",
	  "/retry",
	  { NULL, NULL },
	  0,
	  0,
	  FL_ECMD_RETRY },
	{ "stop",
	  "",
	  "stop the daemon gracefully",
	  FL_CTL_MUTATING | FL_CTL_HTTP,
	  "POST",
	  "/stop",
	  { NULL, NULL },
	  0,
	  0,
	  FL_ECMD_STOP },
	{ "help",
	  "[COMMAND]",
	  "list commands, or one command's help",
	  FL_CTL_PROMPT | FL_CTL_LOCAL,
	  NULL,
	  NULL,
	  { NULL, NULL },
	  0,
	  1,
	  -1 },
	{ "quit",
	  "",
	  "leave the dashboard",
	  FL_CTL_PROMPT | FL_CTL_LOCAL,
	  NULL,
	  NULL,
	  { NULL, NULL },
	  0,
	  0,
	  -1 },
	{ NULL, NULL, NULL, 0, NULL, NULL, { NULL, NULL }, 0, 0, -1 },
};

const struct fl_ctl_cmd *
fl_ctl_find(const char *name, int *ambiguous)
{
	const struct fl_ctl_cmd *hit = NULL;
	size_t i, len = strlen(name);
	int n = 0;

	if (ambiguous)
		*ambiguous = 0;
	for (i = 0; fl_ctl_table[i].name; i++)
		if (strcmp(fl_ctl_table[i].name, name) == 0)
			return &fl_ctl_table[i];
	for (i = 0; len && fl_ctl_table[i].name; i++)
		if (strncmp(fl_ctl_table[i].name, name, len) == 0) {
			hit = &fl_ctl_table[i];
			n++;
		}
	if (n > 1) {
		if (ambiguous)
			*ambiguous = 1;
		return NULL;
	}
	return hit;
}

const struct fl_ctl_cmd *
fl_ctl_route(const char *method, const char *path, int *wrong_method)
{
	size_t i;

	*wrong_method = 0;
	for (i = 0; fl_ctl_table[i].name; i++) {
		const struct fl_ctl_cmd *c = &fl_ctl_table[i];

		if (!(c->flags & FL_CTL_HTTP) || strcmp(c->path, path) != 0)
			continue;
		if (strcmp(c->method, method) == 0)
			return c;
		*wrong_method = 1;
	}
	return NULL;
}

int
fl_ctl_split(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		words[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* ---- in-process ---------------------------------------------------------------- */

static int ctl_answer(struct fl_buf *out, int code, const char *fmt, ...)
    FL_PRINTF(3, 4);

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

static int
ctl_indexes(const struct fl_status *st, struct fl_buf *out)
{
	size_t i;
	int first = 1;

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
	return 200;
}

static int
ctl_quarantine(const struct fl_status *st, const char *index,
               struct fl_buf *out)
{
	size_t i;
	int first = 1;

	fl_buf_putc(out, '[');
	for (i = 0; i < st->q_n; i++) {
		const struct fl_status_quarantine *q =
		    &st->quarantine[(st->q_head + i) % FL_STATUS_QUARANTINE];
		char ts[40];

		if (index && strcmp(index, q->index) != 0)
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
	return 200;
}

static int
ctl_errors(const struct fl_status *st, struct fl_buf *out)
{
	size_t i;
	int first = 1;

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
	return 200;
}

static int
ctl_help(const char *which, struct fl_buf *out)
{
	const struct fl_ctl_cmd *c;
	size_t i;

	if (which) {
		if (!(c = fl_ctl_find(which, NULL)))
			return ctl_answer(out, 404, "unknown command %s",
			                  which);
		return ctl_answer(out, 200, "%s %s: %s", c->name, c->args,
		                  c->summary);
	}
	for (i = 0; fl_ctl_table[i].name; i++) {
		c = &fl_ctl_table[i];
		if (c->flags & FL_CTL_PROMPT)
			fl_buf_printf(out, "%-10s %-16s %s\n", c->name, c->args,
			              c->summary);
	}
	return 200;
}

/* Validate an index name argument (trim, lowercase, identifier). */
static int
ctl_index_arg(const char *in, char *out, size_t n)
{
	char *norm = fl_ident_normalize(in, strlen(in));

	if (!norm)
		return -1;
	fl_str_copy(out, n, norm);
	free(norm);
	return 0;
}

int
fl_ctl_exec(const struct fl_ctl_local *l, const struct fl_ctl_cmd *c, int argc,
            const char *const *argv, struct fl_buf *out)
{
	char index[64] = "", msg[256];
	struct fl_status *st;
	enum fl_log_level lvl;
	int code;

	if (argc < c->min_args || argc > c->max_args)
		return ctl_answer(out, 400, "usage: %s %s", c->name, c->args);
	if (c->params[0] && argc > 0 && strcmp(c->params[0], "index") == 0 &&
	    strcmp(argv[0], "all") != 0 &&
	    ctl_index_arg(argv[0], index, sizeof(index)) < 0)
		return ctl_answer(out, 400, "invalid index name \"%s\"",
		                  argv[0]);
	if (argc > 0 && strcmp(argv[0], "all") == 0)
		fl_str_copy(index, sizeof(index), "all");
	if ((c->flags & FL_CTL_MUTATING) && l->readonly)
		return ctl_answer(out, 403, "read-only mode: `%s` is disabled",
		                  c->name);
	if (strcmp(c->name, "help") == 0)
		return ctl_help(argc ? argv[0] : NULL, out);
	if (strcmp(c->name, "loglevel") == 0) {
		if (fl_log_level_parse(argv[0], &lvl) < 0)
			return ctl_answer(out, 400,
			                  "unknown log level %s (error, warn, "
			                  "info, debug, trace)",
			                  argv[0]);
		fl_log_set_level(lvl);
		return ctl_answer(out, 200, "log level is now %s",
		                  fl_log_level_name(lvl));
	}
	if (c->ecmd < 0) {
		if (!l->board)
			return ctl_answer(out, 503, "pipeline is not running");
		st = fl_xmalloc(sizeof(*st));
		fl_board_snapshot(l->board, st);
		if (strcmp(c->name, "status") == 0) {
			fl_status_to_json(st, fl_status_now_us(), out);
			fl_buf_putc(out, '\n');
			code = 200;
		} else if (strcmp(c->name, "indexes") == 0) {
			code = ctl_indexes(st, out);
		} else if (strcmp(c->name, "quarantine") == 0) {
			code = ctl_quarantine(st, argc ? index : NULL, out);
		} else if (strcmp(c->name, "errors") == 0) {
			code = ctl_errors(st, out);
		} else {
			code = ctl_answer(out, 400, "%s is not available here",
			                  c->name);
		}
		free(st);
		return code;
	}
	if (!l->engine)
		return ctl_answer(out, 503, "pipeline is not running");
	code = fl_engine_command(
	    l->engine, (enum fl_engine_cmd)c->ecmd, index[0] ? index : NULL,
	    argc > 1 ? argv[1] : NULL, msg, sizeof(msg), 10000);
	return ctl_answer(out, code, "%s", msg);
}

/* ---- remote ---------------------------------------------------------------------- */

char *
fl_ctl_base_url(const char *addr)
{
	size_t n;
	char *u = strstr(addr, "://") ? fl_xstrdup(addr)
	                              : fl_xasprintf("http://%s", addr);

	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';
	return u;
}

static size_t
ctl_collect(char *p, size_t size, size_t n, void *arg)
{
	return fl_buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

static int
ctl_http(const struct fl_ctl_remote *r, const char *method, const char *url,
         struct fl_buf *out, struct fl_err *err)
{
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	if (!c)
		return fl_err_set(err, FL_ERR_IO,
		                  "cannot create an HTTP handle");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT,
	                 r->timeout_secs > 0 ? r->timeout_secs : 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (r->password) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME,
		                 r->user ? r->user : "admin");
		curl_easy_setopt(c, CURLOPT_PASSWORD, r->password);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		fl_err_set(err, FL_ERR_IO, "cannot reach %s: %s", r->base,
		           curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? (int)status : -1;
}

int
fl_ctl_remote_get(const struct fl_ctl_remote *r, const char *path,
                  struct fl_buf *out, struct fl_err *err)
{
	char *url = fl_xasprintf("%s%s", r->base, path);
	int code = ctl_http(r, "GET", url, out, err);

	free(url);
	return code;
}

int
fl_ctl_remote_exec(const struct fl_ctl_remote *r, const struct fl_ctl_cmd *c,
                   int argc, const char *const *argv, struct fl_buf *out,
                   struct fl_err *err)
{
	struct fl_buf url;
	int i, code;

	if (!(c->flags & FL_CTL_HTTP))
		return fl_err_set(err, FL_ERR_INVALID,
		                  "`%s` is not available remotely", c->name);
	fl_buf_init(&url, 8192);
	fl_buf_printf(&url, "%s%s", r->base, c->path);
	for (i = 0; i < argc && i < 2 && c->params[i]; i++) {
		char *v = curl_easy_escape(NULL, argv[i], 0);

		fl_buf_printf(&url, "%c%s=%s", i ? '&' : '?', c->params[i],
		              v ? v : "");
		curl_free(v);
	}
	code = ctl_http(r, c->method, fl_buf_str(&url), out, err);
	fl_buf_done(&url);
	return code;
}
