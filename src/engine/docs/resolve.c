/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * resolve.c - reverse resolution (source.md §12.3): which root documents
 * a captured change affects, through every relation path of every
 * enabled index.
 *
 * DESIGN
 *   Levels: every join and aggregate is a relation under a parent level
 *   (the root or the enclosing join); a level's rows are named by its
 *   key (root key; the join's primary_key; a through aggregate's far
 *   table catalog key).
 *   Roles, per tracked table: the root row; a Direct child (its FK names
 *   parent-level keys); a belongs_to target or a far row (its key names
 *   keys of the relation's own level); a junction row (its left key
 *   names parent-level keys). The root role does not end the search
 *   (self-references).
 *   First hop: the change's own values, old AND new (a moved child
 *   rebuilds both parents, a deleted one its old parent); no query but
 *   a read-back of a TOAST-unchanged value by the row's primary key.
 *   Further hops: one statement per level climbed, all keys as one
 *   `= ANY($1::<type>[])` cast to the compared column's type (texts
 *   compare whatever the width: int4 FK, int8 PK). Filters, order_by and
 *   limit are ignored: over-approximation is correct.
 *   Fan-out: a hop runs with LIMIT chunk + 1; a larger result is re-run
 *   through a server-side cursor (in the caller's transaction, or one
 *   opened here and ended before returning), FETCH by FETCH, each chunk
 *   climbing on before the next is read: at most one chunk per level is
 *   held, and `emit` may run statements on the connection between
 *   calls (but not end its transaction).
 *   Old values: the catalog's replica identity says which columns an
 *   old image must carry; a change missing one it needs (untracked
 *   child) resolves from what it has and is counted as untracked.
 *
 * Threads: one resolver per thread, used with that thread's connection;
 * the configuration and the track are read-only and shared.
 */
#include "docs/resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/pg_catalog.h"
#include "source/pg_conn.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xmem.h"

#define RS_CHUNK   10000
#define RS_MAX_SQL ((size_t)1 << 20)

enum rs_kind {
	RS_DIRECT,     /* has_one, has_many, aggregate by foreign_key */
	RS_BELONGS_TO, /* the parent row holds the target's key */
	RS_THROUGH,    /* many_to_many, aggregate through a junction */
};

struct rs_rel {
	enum rs_kind kind;
	const char *field; /* the document field it fills */
	int parent;        /* level of the parent: a rel number, or -1 */
	const char *table; /* child / target / far table */
	const char *key;   /* rows of this level are named by this column */
	const char *fk;    /* RS_DIRECT: the child's column to the parent */
	const char *pcol;  /* RS_BELONGS_TO: the parent row's column */
	const struct fl_through *th; /* RS_THROUGH */
	int far_unread;              /* ids through without filters */
	int cat_key;                 /* key is the far table's catalog PK */
	char *up_sql;                /* this level's keys -> parent's */
	char *up_probe;              /* the same, LIMIT RS_CHUNK + 1 */
};

struct rs_index {
	const struct fl_index_cfg *cfg;
	const char *db, *root, *root_key;
	struct rs_rel *rels;
	size_t nrels, cap;
	int broken; /* its hop statements could not be made (prepare) */
	int failed; /* per call: this change's ids for it are unknown */
};

enum rs_what {
	RS_ROLE_ROOT,   /* the root key names the document */
	RS_ROLE_PARENT, /* the column names parent-level keys */
	RS_ROLE_SELF,   /* the column names keys of the rel's level */
};

struct rs_role {
	size_t ix;
	int rel; /* -1 for the root role */
	enum rs_what what;
	int col; /* needed column in the tracked table */
};

struct rs_roles {
	struct rs_role *v;
	size_t n, cap;
};

struct fl_resolver {
	const struct fl_config *cfg;
	const struct fl_track *track;
	struct rs_index *ix;
	size_t nix;
	struct rs_roles *roles; /* per tracked table */
	struct fl_dbcat cat;
	int prepared;
	unsigned long untracked;
	/* per call */
	PGconn *conn;
	fl_resolve_emit emit;
	void *arg;
	int depth;
	int own_txn;
	const struct fl_resolve_explain *explain;
};

/* ---- relation paths --------------------------------------------------- */

/* Append a relation level to the index. */
static struct rs_rel *
rs_add(struct rs_index *x, enum rs_kind kind, int parent, const char *table)
{
	struct rs_rel *r;

	x->rels = fl_xgrow(x->rels, &x->cap, x->nrels + 1, sizeof(*x->rels));
	r = &x->rels[x->nrels++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->parent = parent;
	r->table = table;
	return r;
}

/* Collect the relations of a field list under level `parent`. */
static void
rs_walk(struct rs_index *x, const struct fl_fields *fs, int parent)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct fl_field *f = &fs->v[i];
		struct rs_rel *r;

		if (f->kind == FL_FIELD_OBJECT) {
			rs_walk(x, &f->children, parent);
		} else if (f->kind == FL_FIELD_JOIN) {
			enum fl_join_kind k = f->join.kind;

			r = rs_add(x,
			           k == FL_JOIN_BELONGS_TO     ? RS_BELONGS_TO
			           : k == FL_JOIN_MANY_TO_MANY ? RS_THROUGH
			                                       : RS_DIRECT,
			           parent, f->join.table);
			r->key = f->join.primary_key;
			r->fk = f->join.key;
			r->pcol = f->join.key;
			r->th = &f->join.through;
			r->field = f->name;
			rs_walk(x, &f->children, (int)(x->nrels - 1));
		} else if (f->kind == FL_FIELD_AGG) {
			r = rs_add(
			    x, f->agg.through.table ? RS_THROUGH : RS_DIRECT,
			    parent, f->agg.table);
			r->fk = f->agg.foreign_key;
			r->th = &f->agg.through;
			r->field = f->name;
			r->far_unread =
			    f->agg.op == FL_AGG_IDS && !f->agg.filters.n;
			r->cat_key = f->agg.through.table != NULL;
		}
	}
}

/* The relation levels of every enabled index; no database yet. */
struct fl_resolver *
fl_resolver_new(const struct fl_config *cfg, const struct fl_track *track)
{
	struct fl_resolver *r = fl_xcalloc(1, sizeof(*r));
	size_t i;

	r->cfg = cfg;
	r->track = track;
	fl_dbcat_init(&r->cat);
	r->ix = fl_xcalloc(cfg->nindexes ? cfg->nindexes : 1, sizeof(*r->ix));
	for (i = 0; i < cfg->nindexes; i++) {
		const struct fl_index_cfg *ic = &cfg->indexes[i];
		struct rs_index *x;

		if (!ic->enabled || !ic->schema)
			continue;
		x = &r->ix[r->nix++];
		x->cfg = ic;
		x->db = ic->schema->db_schema;
		x->root = ic->schema->table;
		x->root_key = ic->schema->primary_key;
		rs_walk(x, &ic->schema->fields, -1);
	}
	return r;
}

/* Drop the hop statements (re-made by prepare). */
static void
rs_free_sql(struct fl_resolver *r)
{
	size_t i, j;

	for (i = 0; i < r->nix; i++)
		for (j = 0; j < r->ix[i].nrels; j++) {
			free(r->ix[i].rels[j].up_sql);
			free(r->ix[i].rels[j].up_probe);
			r->ix[i].rels[j].up_sql = NULL;
			r->ix[i].rels[j].up_probe = NULL;
		}
}

/* Drop the per-table roles (re-made by prepare). */
static void
rs_free_roles(struct fl_resolver *r)
{
	size_t i;

	if (r->roles)
		for (i = 0; i < r->track->n; i++)
			free(r->roles[i].v);
	free(r->roles);
	r->roles = NULL;
}

/* NULL is fine. */
void
fl_resolver_free(struct fl_resolver *r)
{
	size_t i;

	if (!r)
		return;
	rs_free_sql(r);
	rs_free_roles(r);
	for (i = 0; i < r->nix; i++)
		free(r->ix[i].rels);
	free(r->ix);
	fl_dbcat_done(&r->cat);
	free(r);
}

/* Changes resolved without an old value they needed. */
unsigned long
fl_resolver_untracked(const struct fl_resolver *r)
{
	return r->untracked;
}

/* ---- prepare: roles and hop statements -------------------------------- */

/* The tracked table (schema, table), or NULL. */
static const struct fl_track_table *
rs_tt(const struct fl_resolver *r, const char *schema, const char *table)
{
	return fl_track_find(r->track, schema, table);
}

/* Record that (schema, table) plays a role through column col. */
static void
rs_role(struct fl_resolver *r, const char *schema, const char *table, size_t ix,
        int rel, enum rs_what what, const char *col)
{
	const struct fl_track_table *tt = rs_tt(r, schema, table);
	struct rs_roles *rl;
	int ci;

	if (!tt || !col || (ci = fl_track_col(tt, col)) < 0)
		return;
	rl = &r->roles[tt - r->track->v];
	rl->v = fl_xgrow(rl->v, &rl->cap, rl->n + 1, sizeof(*rl->v));
	rl->v[rl->n].ix = ix;
	rl->v[rl->n].rel = rel;
	rl->v[rl->n].what = what;
	rl->v[rl->n].col = ci;
	rl->n++;
}

/* Every role every tracked table plays. */
static void
rs_build_roles(struct fl_resolver *r)
{
	size_t i, j;

	rs_free_roles(r);
	r->roles = fl_xcalloc(r->track->n + 1, sizeof(*r->roles));
	for (i = 0; i < r->nix; i++) {
		struct rs_index *x = &r->ix[i];

		if (!x->root_key) {
			const struct fl_track_table *tt =
			    rs_tt(r, x->db, x->root);

			x->root_key = tt ? tt->root_key : NULL;
		}
		rs_role(r, x->db, x->root, i, -1, RS_ROLE_ROOT, x->root_key);
		for (j = 0; j < x->nrels; j++) {
			struct rs_rel *l = &x->rels[j];

			if (l->cat_key)
				l->key = fl_dbcat_pk(&r->cat, x->db, l->table);
			if (l->kind == RS_DIRECT)
				rs_role(r, x->db, l->table, i, (int)j,
				        RS_ROLE_PARENT, l->fk);
			else if (l->kind == RS_BELONGS_TO ||
			         (l->kind == RS_THROUGH && !l->far_unread))
				rs_role(r, x->db, l->table, i, (int)j,
				        RS_ROLE_SELF, l->key);
			if (l->kind == RS_THROUGH)
				rs_role(r, x->db, l->th->table, i, (int)j,
				        RS_ROLE_PARENT, l->th->left_key);
		}
	}
}

/* The catalog type of a column, or NULL after setting err. */
static const char *
rs_type(struct fl_resolver *r, const char *db, const char *t, const char *c,
        struct fl_err *err)
{
	const struct fl_dbcat_col *x = fl_dbcat_find(&r->cat, db, t, c);

	if (!x) {
		fl_err_set(err, FL_ERR_CONFIG, "column %s.%s.%s does not exist",
		           db, t, c ? c : "?");
		return NULL;
	}
	return x->type;
}

/* SELECT [DISTINCT] "sel"::text FROM "db"."t" WHERE "w" = ANY($1::T[]) */
static int
rs_hop_sql(struct fl_resolver *r, struct rs_rel *l, const char *db,
           const char *t, const char *sel, const char *w, int distinct,
           struct fl_err *err)
{
	const char *type = rs_type(r, db, t, w, err);
	struct fl_buf b;

	if (!type || !rs_type(r, db, t, sel, err))
		return -1;
	fl_buf_init(&b, RS_MAX_SQL);
	fl_buf_puts(&b, distinct ? "SELECT DISTINCT " : "SELECT ");
	fl_pgconn_put_ident(&b, sel);
	fl_buf_puts(&b, "::text FROM ");
	fl_pgconn_put_qualified(&b, db, t);
	fl_buf_puts(&b, " WHERE ");
	fl_pgconn_put_ident(&b, w);
	fl_buf_printf(&b, " = ANY($1::%s[])", type);
	l->up_sql = fl_xstrdup(fl_buf_str(&b));
	fl_buf_printf(&b, " LIMIT %d", RS_CHUNK + 1);
	l->up_probe = fl_buf_steal(&b);
	return 0;
}

/* The statement climbing from level l to its parent. Aggregates by
 * foreign key are never a level (nothing is below them). */
static int
rs_level_sql(struct fl_resolver *r, struct rs_index *x, struct rs_rel *l,
             struct fl_err *err)
{
	const char *ptab = l->parent < 0 ? x->root : x->rels[l->parent].table;
	const char *pkey = l->parent < 0 ? x->root_key : x->rels[l->parent].key;

	switch (l->kind) {
	case RS_DIRECT:
		if (!l->key)
			return 0;
		return rs_hop_sql(r, l, x->db, l->table, l->fk, l->key, 1, err);
	case RS_BELONGS_TO:
		if (!pkey)
			return fl_err_set(err, FL_ERR_CONFIG,
			                  "table %s.%s has no usable key",
			                  x->db, ptab);
		return rs_hop_sql(r, l, x->db, ptab, pkey, l->pcol, 0, err);
	case RS_THROUGH:
		return rs_hop_sql(r, l, x->db, l->th->table, l->th->left_key,
		                  l->th->right_key, 1, err);
	}
	return 0;
}

/* Catalog, roles and hop statements; again after reconnecting. */
int
fl_resolver_prepare(struct fl_resolver *r, PGconn *conn, struct fl_err *err)
{
	const char **s, **t;
	size_t i, j;
	int rc;

	r->prepared = 0; /* the hop texts point into the old catalog */
	s = fl_xcalloc(r->track->n + 1, sizeof(*s));
	t = fl_xcalloc(r->track->n + 1, sizeof(*t));
	for (i = 0; i < r->track->n; i++) {
		s[i] = r->track->v[i].schema;
		t[i] = r->track->v[i].table;
	}
	rc = fl_dbcat_load(&r->cat, conn, s, t, r->track->n, err);
	free(s);
	free(t);
	if (rc < 0)
		return fl_err_prefix(err, "resolver");
	rs_free_sql(r);
	rs_build_roles(r);
	for (i = 0; i < r->nix; i++) {
		struct rs_index *x = &r->ix[i];

		x->broken = 0;
		for (j = 0; j < x->nrels && !x->broken; j++)
			if (rs_level_sql(r, x, &x->rels[j], err) < 0) {
				/* its table or a column is gone: every change
				 * it reads reports it (fl_resolve) */
				fl_log_warn("resolve", "index %s: %s",
				            x->cfg->name, err->msg);
				x->broken = 1;
			}
	}
	fl_err_clear(err);
	r->prepared = 1;
	return 0;
}

/* ---- climbing ----------------------------------------------------------- */

static int rs_up(struct fl_resolver *r, const struct rs_index *x, int level,
                 const char *const *keys, size_t n, struct fl_err *err);

/* A failed statement: message and code from the result. */
static int
rs_fail(struct fl_resolver *r, PGresult *res, const char *what,
        struct fl_err *err)
{
	const char *code =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
	    res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (!msg)
		msg = PQerrorMessage(r->conn);
	fl_err_set(err, fl_dbcat_errcode(code), "%s: %.*s%s%s%s", what,
	           (int)strcspn(msg, "\n"), msg, code ? " (SQLSTATE " : "",
	           code ? code : "", code ? ")" : "");
	fl_err_sqlstate(err, code);
	PQclear(res);
	return -1;
}

/* Run a parameterless command (BEGIN, CLOSE, ...). */
static int
rs_cmd(struct fl_resolver *r, const char *sql, struct fl_err *err)
{
	PGresult *res = PQexec(r->conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return rs_fail(r, res, sql, err);
	PQclear(res);
	return 0;
}

/* Climb the rows of `res` (one text column) from `level`. */
static int
rs_climb_result(struct fl_resolver *r, const struct rs_index *x, int level,
                PGresult *res, struct fl_err *err)
{
	int i, n = PQntuples(res), rc;
	const char **v = fl_xmalloc(((size_t)n + 1) * sizeof(*v));
	size_t m = 0;

	for (i = 0; i < n; i++)
		if (!PQgetisnull(res, i, 0))
			v[m++] = PQgetvalue(res, i, 0);
	rc = m ? rs_up(r, x, level, v, m, err) : 0;
	free(v);
	return rc;
}

/* A fan-out larger than a chunk: the same statement through a cursor,
 * one FETCH of RS_CHUNK rows at a time. */
static int
rs_stream(struct fl_resolver *r, const struct rs_index *x,
          const struct rs_rel *l, const char *arr, struct fl_err *err)
{
	char name[32], sql[96];
	struct fl_buf q;
	PGresult *res;
	int rc = 0, n;

	if (PQtransactionStatus(r->conn) == PQTRANS_IDLE) {
		if (rs_cmd(r, "BEGIN READ ONLY", err) < 0)
			return -1;
		r->own_txn = 1;
	}
	snprintf(name, sizeof(name), "fl_resolve_%d", r->depth);
	fl_buf_init(&q, RS_MAX_SQL);
	fl_buf_printf(&q, "DECLARE \"%s\" NO SCROLL CURSOR FOR %s", name,
	              l->up_sql);
	res =
	    PQexecParams(r->conn, fl_buf_str(&q), 1, NULL, &arr, NULL, NULL, 0);
	fl_buf_done(&q);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return rs_fail(r, res, "declaring a resolution cursor", err);
	PQclear(res);
	snprintf(sql, sizeof(sql), "FETCH FORWARD %d FROM \"%s\"", RS_CHUNK,
	         name);
	do {
		res = PQexec(r->conn, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			return rs_fail(r, res, "fetching referrers", err);
		n = PQntuples(res);
		r->depth++;
		rc = rs_climb_result(r, x, l->parent, res, err);
		r->depth--;
		PQclear(res);
	} while (!rc && n == RS_CHUNK);
	snprintf(sql, sizeof(sql), "CLOSE \"%s\"", name);
	if (rc) {
		/* cancelled or failed deeper: close it if still possible */
		if (PQtransactionStatus(r->conn) == PQTRANS_INTRANS)
			PQclear(PQexec(r->conn, sql));
		return rc;
	}
	return rs_cmd(r, sql, err);
}

/* keys[0..n) name rows of `level`; emit the root keys they reach. */
static int
rs_up(struct fl_resolver *r, const struct rs_index *x, int level,
      const char *const *keys, size_t n, struct fl_err *err)
{
	const struct rs_rel *l;
	struct fl_buf arr;
	const char *param;
	PGresult *res;
	size_t i;
	int rc;

	if (level < 0) {
		for (i = 0; i < n; i++)
			if (r->emit(r->arg, x->cfg->name, keys[i]) < 0)
				return fl_err_set(err, FL_ERR_CANCELLED,
				                  "resolution cancelled");
		return 0;
	}
	l = &x->rels[level];
	if (!l->up_sql)
		return 0;
	fl_buf_init(&arr, (size_t)1 << 30);
	fl_pgconn_put_array(&arr, keys, n);
	param = fl_buf_str(&arr);
	if (r->explain && r->explain->hop)
		r->explain->hop(r->explain->arg, x->cfg->name, l->up_sql,
		                param);
	res =
	    PQexecParams(r->conn, l->up_probe, 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fl_buf_done(&arr);
		return rs_fail(r, res, "finding referrers", err);
	}
	if (PQntuples(res) <= RS_CHUNK) {
		rc = rs_climb_result(r, x, l->parent, res, err);
		PQclear(res);
	} else {
		PQclear(res);
		rc = rs_stream(r, x, l, param, err);
	}
	fl_buf_done(&arr);
	return rc;
}

/* ---- the first hop: values from the change ------------------------------ */

struct rs_vals {
	const char *v[2];
	size_t n;
	char *owned; /* a value read back by the row's key */
};

/* Is needed column ci always in an old image of this change? */
static int
rs_in_identity(const struct fl_resolver *r, const struct fl_change *c, int ci)
{
	const struct fl_dbcat_col *x;

	if (c->old_kind == 'O')
		return 1;
	x = fl_dbcat_find(&r->cat, c->table->schema, c->table->table,
	                  c->table->cols[ci]);
	return x && x->ident;
}

/* Read an unchanged TOASTed value by the row's primary key (new image).
 * NULL when the key is not in the change or the row is gone. */
static char *
rs_lookup(struct fl_resolver *r, const struct fl_change *c, int ci,
          struct fl_err *err, int *failed)
{
	const struct fl_track_table *tt = c->table;
	const char **params;
	struct fl_buf q;
	PGresult *res;
	char *out = NULL;
	size_t i;

	if (!tt->npk)
		return NULL;
	params = fl_xcalloc(tt->npk, sizeof(*params));
	fl_buf_init(&q, RS_MAX_SQL);
	fl_buf_puts(&q, "SELECT ");
	fl_pgconn_put_ident(&q, tt->cols[ci]);
	fl_buf_puts(&q, "::text FROM ");
	fl_pgconn_put_qualified(&q, tt->schema, tt->table);
	for (i = 0; i < tt->npk; i++) {
		const char *type =
		    rs_type(r, tt->schema, tt->table, tt->pk[i], NULL);

		params[i] = fl_change_new(c, tt->pk[i]);
		if (!params[i] || !type)
			break;
		fl_buf_puts(&q, i ? " AND " : " WHERE ");
		fl_pgconn_put_ident(&q, tt->pk[i]);
		fl_buf_printf(&q, " = $%zu::%s", i + 1, type);
	}
	if (i == tt->npk) {
		res = PQexecParams(r->conn, fl_buf_str(&q), (int)tt->npk, NULL,
		                   params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rs_fail(r, res, "reading an unchanged value", err);
			*failed = 1;
		} else {
			if (PQntuples(res) && !PQgetisnull(res, 0, 0))
				out = fl_xstrdup(PQgetvalue(res, 0, 0));
			PQclear(res);
		}
	}
	fl_buf_done(&q);
	free(params);
	return out;
}

/*
 * The new and old values of needed column ci (distinct, non-NULL).
 * *missing is set when the old value was needed and is not in the
 * change. -1 only when a lookup query failed.
 */
static int
rs_values(struct fl_resolver *r, const struct fl_change *c, int ci,
          struct rs_vals *out, int *missing, struct fl_err *err)
{
	const struct fl_cval *nv = c->newv ? &c->newv[ci] : NULL;
	const struct fl_cval *ov = c->oldv ? &c->oldv[ci] : NULL;
	int failed = 0;

	memset(out, 0, sizeof(*out));
	if (c->op != FL_CHANGE_DELETE && nv) {
		if (nv->state == FL_CV_VALUE)
			out->v[out->n++] = nv->text;
		else if (nv->state == FL_CV_TOAST || nv->state == FL_CV_ABSENT)
			if ((out->owned = rs_lookup(r, c, ci, err, &failed)))
				out->v[out->n++] = out->owned;
	}
	if (failed)
		return -1;
	if (c->op == FL_CHANGE_INSERT)
		return 0;
	if (ov && ov->state == FL_CV_VALUE) {
		if (!out->n || strcmp(out->v[0], ov->text))
			out->v[out->n++] = ov->text;
	} else if (!rs_in_identity(r, c, ci)) {
		*missing = 1; /* unknown: absent or sent as NULL */
	} else if (c->op == FL_CHANGE_DELETE && !c->old_kind) {
		*missing = 1;
	}
	return 0;
}

/* How rows of level l are named in a path: "orders.user_id" (a child
 * by its foreign key), "users via orders.user_id" (a belongs_to
 * target), "tags via product_tags(product_id, tag_id)" (a far row). */
static void
rs_segment(const struct rs_index *x, const struct rs_rel *l, struct fl_buf *b)
{
	const char *ptab = l->parent < 0 ? x->root : x->rels[l->parent].table;

	if (l->kind == RS_DIRECT)
		fl_buf_printf(b, "%s.%s", l->table, l->fk ? l->fk : "?");
	else if (l->kind == RS_BELONGS_TO)
		fl_buf_printf(b, "%s via %s.%s", l->table, ptab, l->pcol);
	else
		fl_buf_printf(b, "%s via %s(%s, %s)", l->table, l->th->table,
		              l->th->left_key, l->th->right_key);
	if (l->field)
		fl_buf_printf(b, " [%s]", l->field);
}

/* The path from the root down to level `lv` into b; junction: the
 * last level is entered from its junction row (its left key). */
static void
rs_path(const struct rs_index *x, int lv, int junction, struct fl_buf *b)
{
	int chain[64], n = 0;

	fl_buf_puts(b, x->root);
	for (; lv >= 0 && n < 64; lv = x->rels[lv].parent)
		chain[n++] = lv;
	while (n-- > 0) {
		const struct rs_rel *l = &x->rels[chain[n]];

		fl_buf_puts(b, " <- ");
		if (n == 0 && junction && l->kind == RS_THROUGH)
			fl_buf_printf(b, "%s.%s [%s]", l->th->table,
			              l->th->left_key,
			              l->field ? l->field : "?");
		else
			rs_segment(x, l, b);
	}
}

/* Tell the explain hook the path of a role and its first-hop values. */
static void
rs_explain_path(struct fl_resolver *r, const struct fl_change *c,
                const struct rs_role *ro, const struct rs_vals *vals)
{
	const struct rs_index *x = &r->ix[ro->ix];
	struct fl_buf b;

	if (!r->explain || !r->explain->path)
		return;
	fl_buf_init(&b, (size_t)1 << 16);
	rs_path(x, ro->rel, ro->what == RS_ROLE_PARENT, &b);
	r->explain->path(r->explain->arg, x->cfg->name, fl_buf_str(&b),
	                 c->table->cols[ro->col], vals->v, vals->n);
	fl_buf_done(&b);
}

size_t
fl_resolver_statements(const struct fl_resolver *r, const char *index,
                       fl_resolve_stmt_fn fn, void *arg)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->nix; i++) {
		const struct rs_index *x = &r->ix[i];

		if (strcmp(x->cfg->name, index) != 0)
			continue;
		for (j = 0; j < x->nrels; j++) {
			struct fl_buf b;

			if (!x->rels[j].up_sql)
				continue;
			fl_buf_init(&b, (size_t)1 << 16);
			rs_path(x, (int)j, 0, &b);
			fn(arg, fl_buf_str(&b), x->rels[j].up_sql);
			fl_buf_done(&b);
			n++;
		}
	}
	return n;
}

void
fl_resolver_set_explain(struct fl_resolver *r,
                        const struct fl_resolve_explain *x)
{
	r->explain = x;
}

/* Apply one role of the changed table. */
static int
rs_apply(struct fl_resolver *r, const struct fl_change *c,
         const struct rs_role *ro, int *missing, struct fl_err *err)
{
	const struct rs_index *x = &r->ix[ro->ix];
	struct rs_vals vals;
	int rc, level;

	if (rs_values(r, c, ro->col, &vals, missing, err) < 0)
		return -1;
	rs_explain_path(r, c, ro, &vals);
	if (ro->what == RS_ROLE_ROOT)
		level = -1;
	else if (ro->what == RS_ROLE_SELF)
		level = ro->rel;
	else
		level = x->rels[ro->rel].parent;
	rc = vals.n ? rs_up(r, x, level, vals.v, vals.n, err) : 0;
	free(vals.owned);
	return rc;
}

/* A failure that concerns one index's schema (SQLSTATE class 42:
 * undefined column or table, datatype mismatch...), not the server (a
 * timeout, out of memory: those fail the whole change as before). */
static int
rs_schema_error(const struct fl_err *err)
{
	return strncmp(err->sqlstate, "42", 2) == 0;
}

/* Every role of the changed table; our transaction (if any) ends here. */
int
fl_resolve(struct fl_resolver *r, PGconn *conn, const struct fl_change *c,
           fl_resolve_emit emit, void *arg, struct fl_err *err)
{
	const struct fl_track_table *tt = c->table;
	const struct rs_roles *rl;
	int missing = 0, rc = 0;
	size_t i;

	if (c->op == FL_CHANGE_TRUNCATE || !tt)
		return 0;
	if (!r->prepared)
		return fl_err_set(err, FL_ERR_INVALID, "resolver not prepared");
	if (tt < r->track->v || tt >= r->track->v + r->track->n)
		tt = fl_track_find(r->track, tt->schema, tt->table);
	if (!tt)
		return 0;
	rl = &r->roles[tt - r->track->v];
	r->conn = conn;
	r->emit = emit;
	r->arg = arg;
	r->depth = 0;
	r->own_txn = 0;
	for (i = 0; i < r->nix; i++)
		r->ix[i].failed = 0;
	for (i = 0; i < rl->n && !rc; i++) {
		struct rs_index *x = &r->ix[rl->v[i].ix];

		if (x->failed)
			continue;
		if (!x->broken)
			rc = rs_apply(r, c, &rl->v[i], &missing, err);
		if (!x->broken &&
		    (!rc || err->code == FL_ERR_PG ||
		     err->code == FL_ERR_CANCELLED || !rs_schema_error(err)))
			continue;
		/* permanent, and about this index alone (its table or a
		 * column is gone): say so, go on with the others */
		if (rc)
			fl_log_warn(
			    "resolve", "a change of %s.%s, index %s: %s",
			    tt->schema, tt->table, x->cfg->name, err->msg);
		if (r->own_txn) {
			PQclear(PQexec(conn, "ROLLBACK"));
			r->own_txn = 0;
		}
		x->failed = 1;
		fl_err_clear(err);
		rc = 0;
		if (emit(arg, x->cfg->name, NULL) < 0)
			rc = fl_err_set(err, FL_ERR_CANCELLED,
			                "resolution cancelled");
	}
	if (r->own_txn) {
		PQclear(PQexec(conn, rc ? "ROLLBACK" : "COMMIT"));
		r->own_txn = 0;
	}
	if (missing)
		r->untracked++;
	return rc;
}

/* Indexes reading the table as root, relation or junction. */
size_t
fl_resolve_truncate(const struct fl_resolver *r, const struct fl_track_table *t,
                    const char **names, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->nix && n < max; i++) {
		const struct rs_index *x = &r->ix[i];
		int hit = 0;

		if (strcmp(x->db, t->schema))
			continue;
		hit = !strcmp(x->root, t->table);
		for (j = 0; j < x->nrels && !hit; j++)
			hit = !strcmp(x->rels[j].table, t->table) ||
			      (x->rels[j].kind == RS_THROUGH &&
			       !strcmp(x->rels[j].th->table, t->table));
		if (hit)
			names[n++] = x->cfg->name;
	}
	return n;
}
