/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * explain.c - which documents a row feeds, and the statements of an
 * index (see explain.h).
 *
 * The row becomes the change capture would deliver for it (an INSERT
 * with its needed columns; with old values an UPDATE or, when the row
 * is gone, a DELETE) and goes through the engine's resolver with the
 * explain hooks set: the ids are exactly the ones a live change of that
 * row would rebuild, over-approximation included (resolution ignores
 * filters), and each id says whether it has a document now.
 */
#include "core/explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/debug_session.h"
#include "docs/doc_sql.h"
#include "docs/resolve.h"
#include "source/pg_conn.h"
#include "util/json_write.h"
#include "util/strutil.h"
#include "util/xmem.h"

#define EX_MAX_HOPS 32

/* ---- the row ------------------------------------------------------------- */

/* "col=val,..." (or one bare value for a one-column key) into pairs. */
static int
ex_pairs(const char *spec, const struct fl_track_table *tt, char ***cols,
         char ***vals, size_t *n, struct fl_err *err)
{
	char *copy = fl_xstrdup(spec), *save = NULL, *part;
	int rc = 0;

	*cols = *vals = NULL;
	*n = 0;
	if (!strchr(spec, '=')) {
		free(copy);
		if (tt->npk != 1)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "%s.%s has a %s primary key: give "
			                  "the key as col=val,...",
			                  tt->schema, tt->table,
			                  tt->npk ? "composite" : "no");
		*cols = fl_xcalloc(1, sizeof(char *));
		*vals = fl_xcalloc(1, sizeof(char *));
		(*cols)[0] = fl_xstrdup(tt->pk[0]);
		(*vals)[0] = fl_xstrdup(spec);
		*n = 1;
		return 0;
	}
	for (part = strtok_r(copy, ",", &save); part && !rc;
	     part = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(part, '=');

		if (!eq || eq == part) {
			rc = fl_err_set(err, FL_ERR_INVALID,
			                "`%s`: expected col=val", part);
			break;
		}
		*eq = '\0';
		*cols = fl_xrealloc(*cols, (*n + 1) * sizeof(char *));
		*vals = fl_xrealloc(*vals, (*n + 1) * sizeof(char *));
		while (*part == ' ')
			part++;
		(*cols)[*n] = fl_xstrdup(part);
		(*vals)[*n] = fl_xstrdup(eq + 1);
		(*n)++;
	}
	free(copy);
	return rc;
}

static void
ex_pairs_free(char **cols, char **vals, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(cols[i]);
		free(vals[i]);
	}
	free(cols);
	free(vals);
}

/* The tracked table named `name` ("t" or "schema.t"). */
static const struct fl_track_table *
ex_table(const struct fl_track *t, const char *name, struct fl_err *err)
{
	const char *dot = strchr(name, '.');
	const struct fl_track_table *hit = NULL;
	size_t i;
	int n = 0;

	for (i = 0; i < t->n; i++) {
		const struct fl_track_table *x = &t->v[i];

		if (dot ? (strlen(x->schema) == (size_t)(dot - name) &&
		           !strncmp(x->schema, name, (size_t)(dot - name)) &&
		           !strcmp(x->table, dot + 1))
		        : !strcmp(x->table, name)) {
			hit = x;
			n++;
		}
	}
	if (n == 1)
		return hit;
	fl_err_set(err, FL_ERR_NOTFOUND,
	           n ? "table %s is in several schemas: name it schema.table"
	             : "no enabled index reads a table %s",
	           name);
	return NULL;
}

/* The row's needed columns as text (one row or none). */
static PGresult *
ex_read_row(struct fl_dbg *d, const struct fl_track_table *tt, char **cols,
            char **vals, size_t n, struct fl_err *err)
{
	char sqlstate[6] = "";
	struct fl_buf q;
	PGresult *res;
	size_t i;

	fl_buf_init(&q, (size_t)1 << 20);
	fl_buf_puts(&q, "SELECT ");
	for (i = 0; i < tt->ncols; i++) {
		if (i)
			fl_buf_puts(&q, ", ");
		fl_pgconn_put_ident(&q, tt->cols[i]);
		fl_buf_puts(&q, "::text");
	}
	fl_buf_puts(&q, " FROM ");
	fl_pgconn_put_qualified(&q, tt->schema, tt->table);
	for (i = 0; i < n; i++) {
		fl_buf_puts(&q, i ? " AND " : " WHERE ");
		fl_pgconn_put_ident(&q, cols[i]);
		fl_buf_printf(&q, "::text = $%zu", i + 1);
	}
	fl_buf_puts(&q, " LIMIT 2");
	res = fl_pgconn_query(d->pg, fl_buf_str(&q), (int)n,
	                      (const char *const *)vals, sqlstate, err);
	fl_buf_done(&q);
	if (!res && !strcmp(sqlstate, "42703")) { /* a column of the KEY */
		err->code = FL_ERR_INVALID;
		fl_err_prefix(err, "KEY names a column %s.%s does not have",
		              tt->schema, tt->table);
	}
	if (res && PQntuples(res) > 1) {
		PQclear(res);
		fl_err_set(err, FL_ERR_INVALID,
		           "the key matches several rows of %s.%s: give every "
		           "primary key column",
		           tt->schema, tt->table);
		return NULL;
	}
	return res;
}

/* ---- recording ------------------------------------------------------------ */

struct ex_rec {
	struct fl_explain *r;
	long cur; /* the path being climbed */
};

static void
ex_on_path(void *arg, const char *index, const char *path, const char *col,
           const char *const *vals, size_t nvals)
{
	struct ex_rec *x = arg;
	struct fl_explain *r = x->r;
	struct fl_explain_path *p;
	size_t i;

	r->paths = fl_xrealloc(r->paths, (r->npaths + 1) * sizeof(*r->paths));
	p = &r->paths[r->npaths];
	memset(p, 0, sizeof(*p));
	p->index = fl_xstrdup(index);
	p->path = fl_xstrdup(path);
	p->col = fl_xstrdup(col);
	p->vals = fl_xcalloc(nvals ? nvals : 1, sizeof(char *));
	for (i = 0; i < nvals; i++)
		p->vals[i] = fl_xstrdup(vals[i]);
	p->nvals = nvals;
	x->cur = (long)r->npaths++;
}

static void
ex_on_hop(void *arg, const char *index, const char *sql, const char *param)
{
	struct ex_rec *x = arg;
	struct fl_explain_path *p;

	(void)index;
	if (x->cur < 0)
		return;
	p = &x->r->paths[x->cur];
	if (p->nhops >= EX_MAX_HOPS)
		return;
	p->hops = fl_xrealloc(p->hops, (p->nhops + 1) * sizeof(*p->hops));
	p->hops[p->nhops].sql = fl_xstrdup(sql);
	p->hops[p->nhops].param = fl_xstrdup(param);
	p->nhops++;
}

static int
ex_emit(void *arg, const char *index, const char *key)
{
	struct ex_rec *x = arg;
	struct fl_explain *r = x->r;
	struct fl_explain_hit *h;

	if (!key || x->cur < 0)
		return 0;
	r->hits = fl_xrealloc(r->hits, (r->nhits + 1) * sizeof(*r->hits));
	h = &r->hits[r->nhits++];
	h->index = fl_xstrdup(index);
	h->id = fl_xstrdup(key);
	h->path = (size_t)x->cur;
	h->document = 0;
	r->paths[x->cur].nids++;
	return 0;
}

static int
ex_hit_cmp(const void *a, const void *b)
{
	const struct fl_explain_hit *x = a, *y = b;
	int c = strcmp(x->index, y->index);

	if (!c)
		c = strcmp(x->id, y->id);
	if (!c)
		c = x->path < y->path ? -1 : x->path > y->path;
	return c;
}

/* Sort, drop repeats, and ask which ids have a document now. */
static int
ex_finish_hits(struct fl_dbg *d, struct fl_explain *r, struct fl_err *err)
{
	size_t i, j, k, n = 0, nk;

	if (r->nhits)
		qsort(r->hits, r->nhits, sizeof(*r->hits), ex_hit_cmp);
	for (i = 0; i < r->nhits; i++) {
		if (n && !strcmp(r->hits[n - 1].index, r->hits[i].index) &&
		    !strcmp(r->hits[n - 1].id, r->hits[i].id) &&
		    r->hits[n - 1].path == r->hits[i].path) {
			free(r->hits[i].index);
			free(r->hits[i].id);
			continue;
		}
		r->hits[n++] = r->hits[i];
	}
	r->nhits = n;
	for (i = 0; i < n; i = j) {
		const char **keys;
		struct fl_docs docs;

		for (j = i;
		     j < n && !strcmp(r->hits[j].index, r->hits[i].index); j++)
			;
		keys = fl_xcalloc(j - i, sizeof(*keys));
		for (k = i, nk = 0; k < j; k++)
			if (!nk || strcmp(keys[nk - 1], r->hits[k].id))
				keys[nk++] = r->hits[k].id;
		fl_docs_init(&docs);
		if (fl_docbuild_build(d->db, d->pg, r->hits[i].index, keys, nk,
		                      &docs, err) < 0) {
			fl_docs_done(&docs);
			free(keys);
			return -1;
		}
		for (k = 0; k < docs.n; k++) {
			size_t m;

			/* every path that reached the id */
			for (m = i; m < j; m++)
				if (!strcmp(r->hits[m].id, docs.v[k].id))
					r->hits[m].document =
					    !docs.v[k].tombstone;
		}
		fl_docs_done(&docs);
		free(keys);
	}
	return 0;
}

/* ---- running ---------------------------------------------------------------- */

/* The change capture would deliver for the row. */
static void
ex_change(const struct fl_track_table *tt, PGresult *row, char **ocols,
          char **ovals, size_t no, struct fl_change *c, struct fl_explain *out)
{
	size_t i, j;

	memset(c, 0, sizeof(*c));
	c->table = tt;
	c->op = row && PQntuples(row)
	            ? (no ? FL_CHANGE_UPDATE : FL_CHANGE_INSERT)
	            : FL_CHANGE_DELETE;
	if (c->op != FL_CHANGE_DELETE) {
		c->newv = fl_xcalloc(tt->ncols, sizeof(*c->newv));
		for (i = 0; i < tt->ncols; i++) {
			c->newv[i].state = PQgetisnull(row, 0, (int)i)
			                       ? FL_CV_NULL
			                       : FL_CV_VALUE;
			c->newv[i].text = PQgetvalue(row, 0, (int)i);
		}
	}
	if (no) {
		c->old_kind = 'O';
		c->oldv = fl_xcalloc(tt->ncols, sizeof(*c->oldv));
		for (i = 0; i < tt->ncols; i++) {
			c->oldv[i].state = FL_CV_NULL;
			for (j = 0; j < no; j++)
				if (!strcmp(ocols[j], tt->cols[i])) {
					c->oldv[i].state = FL_CV_VALUE;
					c->oldv[i].text = ovals[j];
				}
			if (c->oldv[i].state == FL_CV_NULL) {
				char *m = fl_xasprintf(
				    "%s%s%s",
				    out->old_missing ? out->old_missing : "",
				    out->old_missing ? ", " : "", tt->cols[i]);

				free(out->old_missing);
				out->old_missing = m;
			}
		}
	}
}

int
fl_explain_run(const struct fl_config *cfg, const char *table, const char *key,
               const char *old, struct fl_explain *out, struct fl_err *err)
{
	const struct fl_track_table *tt;
	struct fl_resolve_explain hooks;
	struct fl_resolver *rs = NULL;
	char **kc = NULL, **kv = NULL, **oc = NULL, **ov = NULL;
	size_t nk = 0, no = 0, i;
	struct ex_rec rec;
	struct fl_change c;
	PGresult *row = NULL;
	struct fl_dbg d;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (fl_dbg_open(&d, cfg, "flusso-explain", err) < 0)
		goto done;
	if (!(tt = ex_table(&d.track, table, err)))
		goto done;
	out->table = fl_xasprintf("%s.%s", tt->schema, tt->table);
	if (ex_pairs(key, tt, &kc, &kv, &nk, err) < 0 ||
	    (old && ex_pairs(old, tt, &oc, &ov, &no, err) < 0))
		goto done;
	out->key = fl_xstrdup("");
	for (i = 0; i < nk; i++) {
		char *k = fl_xasprintf("%s%s%s=%s", out->key, i ? "," : "",
		                       kc[i], kv[i]);

		free(out->key);
		out->key = k;
	}
	if (!(row = ex_read_row(&d, tt, kc, kv, nk, err)))
		goto done;
	out->exists = PQntuples(row) > 0;
	out->used_old = no > 0;
	if (!out->exists && !no) {
		fl_err_set(err, FL_ERR_NOTFOUND,
		           "no row of %s has %s; for a row that is gone, give "
		           "its old values with --old col=val,...",
		           out->table, out->key);
		goto done;
	}
	ex_change(tt, row, oc, ov, no, &c, out);
	rs = fl_resolver_new(cfg, &d.track);
	if (fl_resolver_prepare(rs, d.pg, err) < 0)
		goto done;
	rec.r = out;
	rec.cur = -1;
	hooks.path = ex_on_path;
	hooks.hop = ex_on_hop;
	hooks.arg = &rec;
	fl_resolver_set_explain(rs, &hooks);
	if (fl_resolve(rs, d.pg, &c, ex_emit, &rec, err) < 0)
		goto done;
	rc = ex_finish_hits(&d, out, err);
done:
	free(c.newv);
	free(c.oldv);
	PQclear(row);
	fl_resolver_free(rs);
	ex_pairs_free(kc, kv, nk);
	ex_pairs_free(oc, ov, no);
	fl_dbg_close(&d);
	return rc;
}

void
fl_explain_done(struct fl_explain *r)
{
	size_t i, j;

	for (i = 0; i < r->npaths; i++) {
		struct fl_explain_path *p = &r->paths[i];

		for (j = 0; j < p->nvals; j++)
			free(p->vals[j]);
		for (j = 0; j < p->nhops; j++) {
			free(p->hops[j].sql);
			free(p->hops[j].param);
		}
		free(p->vals);
		free(p->hops);
		free(p->index);
		free(p->path);
		free(p->col);
	}
	for (i = 0; i < r->nhits; i++) {
		free(r->hits[i].index);
		free(r->hits[i].id);
	}
	free(r->paths);
	free(r->hits);
	free(r->table);
	free(r->key);
	free(r->old_missing);
	memset(r, 0, sizeof(*r));
}
