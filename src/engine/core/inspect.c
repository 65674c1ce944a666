/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * inspect.c - one document on both sides (see inspect.h).
 *
 * The built document comes from the same statement the workers run
 * (fl_docbuild_build of one key); the stored one from GET _doc on the
 * index's hash alias of each sink, so a document in a generation the
 * alias does not point at is not what searches see and is not shown.
 */
#include "core/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/debug_session.h"
#include "sink/opensearch_sink.h"
#include "source/pg_conn.h"
#include "util/http_client.h"
#include "util/json_diff.h"
#include "util/json_write.h"
#include "util/xmem.h"

/* Why the root row yields no document. */
static int
in_row_state(struct fl_dbg *d, const struct fl_index_cfg *ix,
             struct fl_inspect *r, struct fl_err *err)
{
	const struct fl_schema *s = ix->schema;
	const char *p[1] = { r->id };
	struct fl_buf q;
	PGresult *res;

	fl_buf_init(&q, (size_t)1 << 16);
	fl_buf_puts(&q, "SELECT ");
	if (s->soft_delete && s->soft_delete->column) {
		fl_pgconn_put_ident(&q, s->soft_delete->column);
		fl_buf_puts(&q, "::text");
	} else {
		fl_buf_puts(&q, "NULL::text");
	}
	fl_buf_puts(&q, " FROM ");
	fl_pgconn_put_qualified(&q, s->db_schema, s->table);
	fl_buf_puts(&q, " WHERE ");
	fl_pgconn_put_ident(&q, r->key);
	fl_buf_puts(&q, "::text = $1 LIMIT 1");
	res = fl_pgconn_query(d->pg, fl_buf_str(&q), 1, p, NULL, err);
	fl_buf_done(&q);
	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		r->row = FL_ROW_MISSING;
	} else if (!PQgetisnull(res, 0, 0)) {
		r->row = FL_ROW_SOFT_DELETED;
		r->soft_value = fl_xstrdup(PQgetvalue(res, 0, 0));
	} else {
		r->row = FL_ROW_FILTERED;
	}
	PQclear(res);
	return 0;
}

/* Build the document of the id; decide the row state. */
static int
in_build(struct fl_dbg *d, const struct fl_index_cfg *ix, struct fl_inspect *r,
         struct fl_err *err)
{
	const struct fl_track_table *tt =
	    fl_track_find(&d->track, ix->schema->db_schema, ix->schema->table);
	const char *keys[1] = { r->id };
	struct fl_docs docs;
	int rc = 0;

	r->table =
	    fl_xasprintf("%s.%s", ix->schema->db_schema, ix->schema->table);
	r->key = fl_xstrdup(ix->schema->primary_key ? ix->schema->primary_key
	                    : tt && tt->root_key    ? tt->root_key
	                                            : "id");
	fl_docs_init(&docs);
	if (fl_docbuild_build(d->db, d->pg, ix->name, keys, 1, &docs, err) <
	    0) {
		fl_docs_done(&docs);
		/* not a value of the key's type: no row can have it */
		if (strcmp(err->sqlstate, "22P02") != 0 &&
		    strcmp(err->sqlstate, "22003") != 0)
			return -1;
		fl_err_clear(err);
		r->row = FL_ROW_MISSING;
		return 0;
	}
	if (docs.n && !docs.v[0].tombstone) {
		r->row = FL_ROW_PRESENT;
		r->built = cJSON_ParseWithLength(docs.v[0].json, docs.v[0].len);
	} else {
		rc = in_row_state(d, ix, r, err);
	}
	fl_docs_done(&docs);
	return rc;
}

/* Read the stored document from one sink and compare. */
static void
in_sink(struct fl_dbg_os *o, const char *alias, struct fl_inspect *r,
        struct fl_inspect_sink *out)
{
	char *id = fl_http_escape(r->id);
	char *path = fl_xasprintf("/%s/_doc/%s", alias, id);
	const cJSON *x;
	cJSON *ans = NULL;
	struct fl_err err;
	long st;

	out->sink = fl_xstrdup(o->cfg->name);
	out->alias = fl_xstrdup(alias);
	if (fl_dbg_os_request(o, "GET", path, NULL, &st, &ans, &err) < 0) {
		out->error = fl_xstrdup(err.msg);
	} else if (st == 200 && cJSON_IsObject(ans)) {
		out->stored = 1;
		x = cJSON_GetObjectItemCaseSensitive(ans, "_index");
		out->generation =
		    fl_xstrdup(cJSON_IsString(x) ? x->valuestring : "?");
		x = cJSON_GetObjectItemCaseSensitive(ans, "_seq_no");
		out->seq_no =
		    cJSON_IsNumber(x) ? (long long)x->valuedouble : -1;
		x = cJSON_GetObjectItemCaseSensitive(ans, "_primary_term");
		out->primary_term =
		    cJSON_IsNumber(x) ? (long long)x->valuedouble : -1;
		x = cJSON_GetObjectItemCaseSensitive(ans, "_version");
		out->version =
		    cJSON_IsNumber(x) ? (long long)x->valuedouble : -1;
		out->doc =
		    cJSON_DetachItemFromObjectCaseSensitive(ans, "_source");
	} else if (st == 404 && cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(
	                            ans, "found"))) {
		out->stored = 0;
	} else {
		out->error = fl_xasprintf("reading %s: HTTP %ld", alias, st);
	}
	if (!out->error) {
		if (r->built && out->stored)
			out->ndiffs = fl_jdiff(r->built, out->doc, NULL, NULL);
		out->differs = out->ndiffs || (!r->built != !out->stored);
	}
	cJSON_Delete(ans);
	free(path);
	free(id);
}

int
fl_inspect_run(const struct fl_config *cfg, const char *index, const char *id,
               const char *sink, struct fl_inspect *out, struct fl_err *err)
{
	const struct fl_index_cfg *ix;
	struct fl_dbg_os *os = NULL;
	struct fl_dbg d;
	size_t n = 0, i;
	char *alias = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	out->index = fl_xstrdup(index);
	out->id = fl_xstrdup(id);
	if (!(ix = fl_dbg_index(cfg, index, err)))
		return -1;
	if (fl_dbg_os_open_all(cfg, sink, &os, &n, err) < 0)
		return -1;
	if (fl_dbg_open(&d, cfg, "flusso-inspect", err) < 0 ||
	    in_build(&d, ix, out, err) < 0)
		goto done;
	alias = fl_dbg_alias(cfg, ix);
	out->sinks = fl_xcalloc(n, sizeof(*out->sinks));
	for (i = 0; i < n; i++) {
		in_sink(&os[i], alias, out, &out->sinks[out->nsinks++]);
		if (out->sinks[i].error)
			out->errors = 1;
		else if (out->sinks[i].differs)
			out->differs = 1;
	}
	rc = 0;
done:
	free(alias);
	fl_dbg_close(&d);
	fl_dbg_os_close_all(os, n);
	return rc;
}

void
fl_inspect_done(struct fl_inspect *r)
{
	size_t i;

	for (i = 0; i < r->nsinks; i++) {
		struct fl_inspect_sink *s = &r->sinks[i];

		free(s->sink);
		free(s->alias);
		free(s->error);
		free(s->generation);
		cJSON_Delete(s->doc);
	}
	free(r->sinks);
	free(r->index);
	free(r->id);
	free(r->table);
	free(r->key);
	free(r->soft_value);
	cJSON_Delete(r->built);
	memset(r, 0, sizeof(*r));
}

/* ---- rendering -------------------------------------------------------- */

static const char *const in_row_names[] = { "present", "missing",
	                                    "soft_deleted", "filtered" };

/* A document indented by two spaces. */
static void
in_put_doc(struct fl_buf *out, const cJSON *doc)
{
	char *s = cJSON_Print(doc);
	const char *p;

	if (!s)
		return;
	fl_buf_puts(out, "    ");
	for (p = s; *p; p++) {
		if (*p == '\t' && p > s && p[-1] == ':')
			fl_buf_putc(out, ' ');
		else if (*p == '\t')
			fl_buf_puts(out, "  ");
		else
			fl_buf_putc(out, *p);
		if (*p == '\n')
			fl_buf_puts(out, "    ");
	}
	fl_buf_putc(out, '\n');
	free(s);
}

struct in_text {
	struct fl_buf *out;
	int color;
};

static int
in_diff_line(void *arg, const struct fl_jdiff *d)
{
	struct in_text *t = arg;
	char a[120], b[120];

	fl_jdiff_value(d->want, a, sizeof(a));
	fl_jdiff_value(d->have, b, sizeof(b));
	fl_buf_printf(t->out, "    %s%c %s%s: built %s, stored %s\n",
	              t->color ? (d->kind == FL_JDIFF_CHANGED   ? "\033[33m"
	                          : d->kind == FL_JDIFF_MISSING ? "\033[31m"
	                                                        : "\033[32m")
	                       : "",
	              d->kind == FL_JDIFF_CHANGED   ? '~'
	              : d->kind == FL_JDIFF_MISSING ? '-'
	                                            : '+',
	              d->path[0] ? d->path : "(document)",
	              t->color ? "\033[0m" : "", a, b);
	return 0;
}

static void
in_row_text(const struct fl_inspect *r, struct fl_buf *out)
{
	switch (r->row) {
	case FL_ROW_PRESENT:
		fl_buf_printf(out, "row: present in %s (%s = %s)\n", r->table,
		              r->key, r->id);
		break;
	case FL_ROW_MISSING:
		fl_buf_printf(out, "row: missing: no row of %s has %s = %s\n",
		              r->table, r->key, r->id);
		break;
	case FL_ROW_SOFT_DELETED:
		fl_buf_printf(out,
		              "row: soft-deleted in %s (%s = %s; deleted: "
		              "%s)\n",
		              r->table, r->key, r->id, r->soft_value);
		break;
	case FL_ROW_FILTERED:
		fl_buf_printf(out,
		              "row: present in %s but left out by the "
		              "schema's filters\n",
		              r->table);
		break;
	}
}

void
fl_inspect_text(const struct fl_inspect *r, int color, struct fl_buf *out)
{
	struct in_text t = { out, color };
	size_t i;

	fl_buf_printf(out, "inspect %s %s\n", r->index, r->id);
	in_row_text(r, out);
	if (r->built) {
		fl_buf_puts(out, "built by PostgreSQL now:\n");
		in_put_doc(out, r->built);
	}
	for (i = 0; i < r->nsinks; i++) {
		const struct fl_inspect_sink *s = &r->sinks[i];

		if (s->error) {
			fl_buf_printf(out, "sink %s: %s\n", s->sink, s->error);
			continue;
		}
		if (!s->stored) {
			fl_buf_printf(out, "sink %s: not stored (alias %s)%s\n",
			              s->sink, s->alias,
			              r->built ? ": the document is MISSING"
			                       : ", as expected");
			continue;
		}
		fl_buf_printf(out,
		              "sink %s: stored in %s (alias %s), _seq_no "
		              "%lld, _primary_term %lld, version %lld\n",
		              s->sink, s->generation, s->alias, s->seq_no,
		              s->primary_term, s->version);
		if (!r->built) {
			fl_buf_puts(out, "  a delete is due: the row yields no "
			                 "document, but it is stored:\n");
			in_put_doc(out, s->doc);
			continue;
		}
		if (!s->ndiffs) {
			fl_buf_puts(out, "  same as built\n");
			continue;
		}
		fl_buf_puts(out, "  stored:\n");
		in_put_doc(out, s->doc);
		fl_buf_printf(out,
		              "  %zu difference%s (~ changed, - missing, "
		              "+ extra):\n",
		              s->ndiffs, s->ndiffs == 1 ? "" : "s");
		fl_jdiff(r->built, s->doc, in_diff_line, &t);
	}
	fl_buf_printf(out, "%s\n",
	              r->errors    ? "error: a sink could not be read"
	              : r->differs ? "differs"
	                           : "same");
}

struct in_json {
	struct fl_buf *out;
	int first;
};

static void
in_put_value(struct fl_buf *out, const cJSON *v)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;

	fl_buf_puts(out, s ? s : "null");
	free(s);
}

static int
in_diff_json(void *arg, const struct fl_jdiff *d)
{
	struct in_json *j = arg;

	fl_buf_puts(j->out, j->first ? "{\"path\":" : ",{\"path\":");
	j->first = 0;
	fl_json_put_string(j->out, d->path);
	fl_buf_puts(j->out, ",\"kind\":");
	fl_json_put_string(j->out, d->kind == FL_JDIFF_CHANGED   ? "changed"
	                           : d->kind == FL_JDIFF_MISSING ? "missing"
	                                                         : "extra");
	fl_buf_puts(j->out, ",\"built\":");
	in_put_value(j->out, d->want);
	fl_buf_puts(j->out, ",\"stored\":");
	in_put_value(j->out, d->have);
	fl_buf_putc(j->out, '}');
	return 0;
}

void
fl_inspect_json(const struct fl_inspect *r, struct fl_buf *out)
{
	size_t i;

	fl_buf_puts(out, "{\"index\":");
	fl_json_put_string(out, r->index);
	fl_buf_puts(out, ",\"id\":");
	fl_json_put_string(out, r->id);
	fl_buf_puts(out, ",\"table\":");
	fl_json_put_string(out, r->table ? r->table : "");
	fl_buf_puts(out, ",\"row\":");
	fl_json_put_string(out, in_row_names[r->row]);
	fl_buf_puts(out, ",\"built\":");
	in_put_value(out, r->built);
	fl_buf_puts(out, ",\"sinks\":[");
	for (i = 0; i < r->nsinks; i++) {
		const struct fl_inspect_sink *s = &r->sinks[i];
		struct in_json j = { out, 1 };

		fl_buf_puts(out, i ? ",{\"sink\":" : "{\"sink\":");
		fl_json_put_string(out, s->sink);
		fl_buf_puts(out, ",\"alias\":");
		fl_json_put_string(out, s->alias);
		if (s->error) {
			fl_buf_puts(out, ",\"error\":");
			fl_json_put_string(out, s->error);
		}
		fl_buf_printf(out, ",\"stored\":%s",
		              s->stored ? "true" : "false");
		if (s->stored) {
			fl_buf_puts(out, ",\"generation\":");
			fl_json_put_string(out, s->generation);
			fl_buf_printf(out,
			              ",\"seq_no\":%lld,\"primary_term\":%lld,"
			              "\"version\":%lld,\"document\":",
			              s->seq_no, s->primary_term, s->version);
			in_put_value(out, s->doc);
		}
		fl_buf_printf(out, ",\"delete_due\":%s,\"differences\":[",
		              !r->built && s->stored ? "true" : "false");
		if (r->built && s->stored)
			fl_jdiff(r->built, s->doc, in_diff_json, &j);
		fl_buf_printf(out, "],\"differs\":%s}",
		              s->differs ? "true" : "false");
	}
	fl_buf_printf(out, "],\"differs\":%s,\"errors\":%s}\n",
	              r->differs ? "true" : "false",
	              r->errors ? "true" : "false");
}

/* ---- repairing without a daemon ------------------------------------------- */

#define IN_REPAIR_BATCH 500 /* ids per build and per bulk request */

/* One bulk request of the built outcomes to one sink. */
static int
in_repair_sink(struct fl_dbg_os *o, const char *alias,
               const struct fl_docs *docs, uint64_t version, size_t *written,
               struct fl_err *err)
{
	char *path = fl_bulk_path(o->cfg->pipeline, 1);
	const cJSON *items, *it;
	struct fl_buf b;
	cJSON *ans = NULL;
	long st;
	size_t i;
	int rc = -1;

	fl_buf_init(&b, (size_t)1 << 30);
	for (i = 0; i < docs->n; i++)
		if (fl_bulk_put_action(&b, docs->v[i].tombstone, alias,
		                       docs->v[i].id, docs->v[i].json,
		                       docs->v[i].len, version) < 0) {
			fl_err_set(err, FL_ERR_INVALID, "repair: too large");
			goto done;
		}
	if (fl_dbg_os_request(o, "POST", path, fl_buf_str(&b), &st, &ans, err) <
	    0)
		goto done;
	if (st != 200 || !cJSON_IsObject(ans)) {
		fl_err_set(err, FL_ERR_SINK, "sink %s: bulk answered HTTP %ld",
		           o->cfg->name, st);
		goto done;
	}
	items = cJSON_GetObjectItemCaseSensitive(ans, "items");
	cJSON_ArrayForEach(it, items)
	{
		const cJSON *r = it->child;
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "status");
		int code = cJSON_IsNumber(s) ? (int)s->valuedouble : 0;

		/* 409: a newer version is stored (a daemon wrote it): fine;
		 * 404: a delete of a document that is not there */
		if (code / 100 == 2 || code == 409 || code == 404) {
			*written += code / 100 == 2;
			continue;
		}
		{
			char *why = cJSON_PrintUnformatted(r);

			fl_err_set(err, FL_ERR_SINK,
			           "sink %s: a document failed: %.300s",
			           o->cfg->name, why ? why : "?");
			free(why);
		}
		goto done;
	}
	rc = 0;
done:
	cJSON_Delete(ans);
	fl_buf_done(&b);
	free(path);
	return rc;
}

int
fl_inspect_repair(const struct fl_config *cfg, const char *index,
                  const char *const *ids, size_t n, const char *sink,
                  size_t *written, struct fl_err *err)
{
	const struct fl_index_cfg *ix;
	struct fl_dbg_os *os = NULL;
	struct fl_docs docs;
	struct fl_dbg d;
	uint64_t version = 0;
	size_t nos = 0, i, k;
	char *alias = NULL;
	int rc = -1;

	*written = 0;
	memset(&d, 0, sizeof(d));
	fl_docs_init(&docs);
	if (!(ix = fl_dbg_index(cfg, index, err)))
		return -1;
	if (fl_dbg_os_open_all(cfg, sink, &os, &nos, err) < 0)
		return -1;
	if (fl_dbg_open(&d, cfg, "flusso-repair", err) < 0)
		goto done;
	alias = fl_dbg_alias(cfg, ix);
	for (k = 0; k < n; k += IN_REPAIR_BATCH) {
		size_t m = n - k < IN_REPAIR_BATCH ? n - k : IN_REPAIR_BATCH;

		fl_docs_reset(&docs);
		if (fl_docbuild_wal_position(d.pg, &version, err) < 0 ||
		    fl_docbuild_build(d.db, d.pg, index, ids + k, m, &docs,
		                      err) < 0)
			goto done;
		for (i = 0; i < nos; i++)
			if (in_repair_sink(&os[i], alias, &docs, version,
			                   written, err) < 0)
				goto done;
	}
	rc = 0;
done:
	free(alias);
	fl_docs_done(&docs);
	fl_dbg_close(&d);
	fl_dbg_os_close_all(os, nos);
	return rc;
}
