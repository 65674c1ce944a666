/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * explain_render.c - `explain` as text and JSON, and `flusso sql` (see
 * explain.h): the statements of an index laid out for a DBA to run
 * under EXPLAIN ANALYZE.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/debug_session.h"
#include "core/explain.h"
#include "docs/doc_sql.h"
#include "docs/resolve.h"
#include "util/json_write.h"
#include "util/xmem.h"

/* ---- formatting SQL ---------------------------------------------------- */

static const char *const fmt_breaks[] = {
	" FROM ",     " WHERE ", " LEFT JOIN ", " JOIN ", " ORDER BY ",
	" GROUP BY ", " LIMIT ", " UNION ALL ", NULL,
};

static void
fmt_newline(struct fl_buf *out, int depth)
{
	int i;

	fl_buf_putc(out, '\n');
	for (i = 0; i < depth; i++)
		fl_buf_puts(out, "  ");
}

/* Append text with every line indented by `ind`. */
static void
fmt_indent(struct fl_buf *out, const char *text, const char *ind)
{
	const char *p;

	fl_buf_puts(out, ind);
	for (p = text; *p; p++) {
		fl_buf_putc(out, *p);
		if (*p == '\n' && p[1])
			fl_buf_puts(out, ind);
	}
}

void
fl_explain_format_sql(const char *sql, struct fl_buf *out)
{
	int depth = 0, quote = 0, i;
	const char *p;

	for (p = sql; *p; p++) {
		if (quote) {
			fl_buf_putc(out, *p);
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			fl_buf_putc(out, *p);
			continue;
		}
		if (*p == '(' && strncmp(p + 1, "SELECT ", 7) == 0) {
			fl_buf_putc(out, '(');
			depth++;
			fmt_newline(out, depth);
			continue;
		}
		if (*p == '(')
			depth++;
		if (*p == ')' && depth > 0)
			depth--;
		for (i = 0; fmt_breaks[i]; i++)
			if (strncmp(p, fmt_breaks[i], strlen(fmt_breaks[i])) ==
			    0)
				break;
		if (fmt_breaks[i]) {
			fmt_newline(out, depth);
			continue; /* the keyword follows without the space */
		}
		fl_buf_putc(out, *p);
	}
}

/* ---- explain ---------------------------------------------------------------- */

void
fl_explain_text(const struct fl_explain *r, struct fl_buf *out)
{
	size_t i, j, docs = 0, ndocs = 0;

	fl_buf_printf(out, "explain %s %s: the row %s%s\n", r->table, r->key,
	              r->exists ? "exists" : "is gone",
	              r->used_old ? " (old values given)" : "");
	for (i = 0; i < r->nhits; i++) {
		int first = !i ||
		            strcmp(r->hits[i - 1].index, r->hits[i].index) ||
		            strcmp(r->hits[i - 1].id, r->hits[i].id);

		ndocs += first;
		docs += first && r->hits[i].document;
	}
	fl_buf_printf(out,
	              "documents it feeds: %zu (%zu with a document now)\n",
	              ndocs, docs);
	if (r->old_missing)
		fl_buf_printf(out,
		              "note: --old leaves out %s: taken as NULL, so "
		              "documents reached only through them are not "
		              "listed\n",
		              r->old_missing);
	for (i = 0; i < r->nhits; i++) {
		const struct fl_explain_hit *h = &r->hits[i];

		fl_buf_printf(out, "  %-12s %-16s %s%s\n", h->index, h->id,
		              r->paths[h->path].path,
		              h->document ? ""
		                          : "  (no document: filtered, "
		                            "soft-deleted or gone)");
	}
	for (i = 0; i < r->npaths; i++) {
		const struct fl_explain_path *p = &r->paths[i];

		fl_buf_printf(out, "\npath %s: %s\n  first hop: %s =", p->index,
		              p->path, p->col);
		for (j = 0; j < p->nvals; j++)
			fl_buf_printf(out, "%s %s", j ? "," : "", p->vals[j]);
		fl_buf_printf(out, "%s (from the row, no query); %zu id%s\n",
		              p->nvals ? "" : " (null)", p->nids,
		              p->nids == 1 ? "" : "s");
		for (j = 0; j < p->nhops; j++) {
			struct fl_buf f;

			fl_buf_init(&f, (size_t)1 << 24);
			fl_explain_format_sql(p->hops[j].sql, &f);
			fl_buf_printf(out, "  -- $1 = '%s'\n",
			              p->hops[j].param);
			fmt_indent(out, fl_buf_str(&f), "  ");
			fl_buf_puts(out, ";\n");
			fl_buf_done(&f);
		}
	}
}

void
fl_explain_json(const struct fl_explain *r, struct fl_buf *out)
{
	size_t i, j;

	fl_buf_puts(out, "{\"table\":");
	fl_json_put_string(out, r->table);
	fl_buf_puts(out, ",\"key\":");
	fl_json_put_string(out, r->key);
	fl_buf_printf(out, ",\"exists\":%s,\"old_missing\":",
	              r->exists ? "true" : "false");
	if (r->old_missing)
		fl_json_put_string(out, r->old_missing);
	else
		fl_buf_puts(out, "null");
	fl_buf_puts(out, ",\"documents\":[");
	for (i = 0; i < r->nhits; i++) {
		fl_buf_puts(out, i ? ",{\"index\":" : "{\"index\":");
		fl_json_put_string(out, r->hits[i].index);
		fl_buf_puts(out, ",\"id\":");
		fl_json_put_string(out, r->hits[i].id);
		fl_buf_puts(out, ",\"path\":");
		fl_json_put_string(out, r->paths[r->hits[i].path].path);
		fl_buf_printf(out, ",\"document\":%s}",
		              r->hits[i].document ? "true" : "false");
	}
	fl_buf_puts(out, "],\"paths\":[");
	for (i = 0; i < r->npaths; i++) {
		const struct fl_explain_path *p = &r->paths[i];

		fl_buf_puts(out, i ? ",{\"index\":" : "{\"index\":");
		fl_json_put_string(out, p->index);
		fl_buf_puts(out, ",\"path\":");
		fl_json_put_string(out, p->path);
		fl_buf_puts(out, ",\"column\":");
		fl_json_put_string(out, p->col);
		fl_buf_puts(out, ",\"values\":[");
		for (j = 0; j < p->nvals; j++) {
			if (j)
				fl_buf_putc(out, ',');
			fl_json_put_string(out, p->vals[j]);
		}
		fl_buf_printf(out, "],\"ids\":%zu,\"statements\":[", p->nids);
		for (j = 0; j < p->nhops; j++) {
			fl_buf_puts(out, j ? ",{\"sql\":" : "{\"sql\":");
			fl_json_put_string(out, p->hops[j].sql);
			fl_buf_puts(out, ",\"param\":");
			fl_json_put_string(out, p->hops[j].param);
			fl_buf_putc(out, '}');
		}
		fl_buf_puts(out, "]}");
	}
	fl_buf_puts(out, "]}\n");
}

/* ---- sql --------------------------------------------------------------------- */

struct sq_out {
	struct fl_buf *out;
	int json, n;
};

static void
sq_statement(struct sq_out *o, const char *what, const char *params,
             const char *sql)
{
	if (o->json) {
		fl_buf_puts(o->out, o->n++ ? ",{\"what\":" : "{\"what\":");
		fl_json_put_string(o->out, what);
		fl_buf_puts(o->out, ",\"parameters\":");
		fl_json_put_string(o->out, params);
		fl_buf_puts(o->out, ",\"sql\":");
		fl_json_put_string(o->out, sql);
		fl_buf_putc(o->out, '}');
		return;
	}
	fl_buf_printf(o->out, "-- %s\n-- %s\n", what, params);
	fl_explain_format_sql(sql, o->out);
	fl_buf_puts(o->out, ";\n\n");
}

static void
sq_hop(void *arg, const char *path, const char *sql)
{
	struct sq_out *o = arg;
	char what[512];

	snprintf(what, sizeof(what),
	         "change resolution: from rows at %s to their parents", path);
	sq_statement(o, what,
	             "$1: the keys of those rows (a text array of the "
	             "changed rows' values, or of the level below)",
	             sql);
}

int
fl_explain_sql(const struct fl_config *cfg, const char *index, int json,
               struct fl_buf *out, struct fl_err *err)
{
	const struct fl_index_cfg *ix;
	const struct fl_docsql *q;
	struct fl_resolver *rs = NULL;
	struct sq_out o = { out, json, 0 };
	struct fl_buf p;
	struct fl_dbg d;
	size_t i;
	int rc = -1;

	if (!(ix = fl_dbg_index(cfg, index, err)))
		return -1;
	fl_buf_init(&p, (size_t)1 << 20);
	if (fl_dbg_open(&d, cfg, "flusso-sql", err) < 0)
		goto done;
	if (!(q = fl_docbuild_query(d.db, index))) {
		fl_err_set(err, FL_ERR_CONFIG,
		           "the statements of %s could not be made (see "
		           "`flusso check --online`)",
		           index);
		goto done;
	}
	if (json) {
		fl_buf_puts(out, "{\"index\":");
		fl_json_put_string(out, index);
		fl_buf_puts(out, ",\"statements\":[");
	}
	fl_buf_printf(&p, "$1: the root keys (%s[] of %s)", q->key_type,
	              q->key);
	for (i = 0; i < q->nparams; i++) {
		fl_buf_printf(&p, "; $%zu = ", i + 2);
		fl_json_put_string(&p, q->params[i]);
	}
	sq_statement(&o,
	             "the documents statement: seeding pages and every change "
	             "build documents with it",
	             fl_buf_str(&p), q->sql);
	sq_statement(&o, "the key scan (seeding): first page",
	             "$1: the page size", q->scan_first);
	sq_statement(&o, "the key scan (seeding): next pages",
	             "$1: the page size; $2: the last key of the previous "
	             "page",
	             q->scan_next);
	rs = fl_resolver_new(cfg, &d.track);
	if (fl_resolver_prepare(rs, d.pg, err) < 0)
		goto done;
	fl_resolver_statements(rs, index, sq_hop, &o);
	if (json)
		fl_buf_puts(out, "]}\n");
	rc = 0;
done:
	fl_resolver_free(rs);
	fl_buf_done(&p);
	fl_dbg_close(&d);
	return rc;
}
