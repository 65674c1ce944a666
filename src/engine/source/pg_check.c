/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_check.c - `flusso check` against the live database (source.md §15).
 *
 * DESIGN
 *   1. Server: version, wal_level, role attributes, slot capacity (one
 *      query), then the slot row (§3.2).
 *   2. Catalog: the required set of every enabled index (publication.c)
 *      is loaded in two batched queries, whatever the schema size: every
 *      column of every required table (type as format_type, NOT NULL,
 *      native enum, a domain's base type), and every unique or identity
 *      index with its key columns. Tables missing from the result do not
 *      exist; that is a diagnostic, never an abort.
 *   3. Rules: each enabled index is walked with a table context (root
 *      table, the join's table inside a join) and a context key (root
 *      key, the join's primary_key); every element is checked against
 *      the loaded catalog. The key path of each diagnostic is the one
 *      the schema loader uses ("fields[3].has_many orders.foreign_key"),
 *      the position is the field's (top-level keys: re-read from the
 *      schema file, since the model does not keep their positions).
 *   4. Literals (filter values, defaults) are collected during the walk
 *      and cast-checked afterwards with `SELECT $1::<type>, ...`, one
 *      statement per chunk; only a failing chunk is re-run per literal
 *      to say which one failed.
 *   5. Publication coverage (publication.c); its §4.4 problems become
 *      Errors at the first element that uses the table concerned.
 *
 * Severity decisions beyond the spec's table: a slot held by another
 * process (`active`) is a Warning, not an Error: a running flusso holds
 * its own slot, and `run` waits for it anyway (§3.2); a lost or
 * unreserved slot is a Warning (`run` recreates a lost one).
 *
 * Single-threaded; uses only the caller's connection.
 */
#include "source/pg_check.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/value.h"
#include "config/yaml_doc.h"
#include "source/pg_conn.h"
#include "util/buf.h"
#include "util/xmem.h"

#define CHK_CAST_CHUNK 50

struct chk_col {
	char *name;
	char *type; /* format_type() */
	char *base; /* a domain's base type, else NULL */
	int notnull;
	int is_enum;
};

struct chk_idx {
	char *name;
	int primary, replident;
	int usable; /* unique, immediate, valid, not partial, no expression */
	char **cols;
	size_t ncols;
};

/* The catalog of one required table, and where it is first used. */
struct chk_table {
	int found;
	char relkind, replident;
	struct chk_col *cols;
	size_t ncols, ccap;
	struct chk_idx *idx;
	size_t nidx, icap;
	int has_site;
	char *site_file, *site_path;
	struct fl_pos site_at;
	/* for the fix plan (borrowed from the configuration) */
	int noident;        /* no replica identity: reported after the walk */
	const char *key;    /* the context key it is used under, if any */
	const char **track; /* columns the identity must include */
	size_t ntrack;
};

/* A literal to cast-check after the walk. */
struct chk_cast {
	char *literal, *type, *file, *path, *what;
	struct fl_pos at;
};

struct chk {
	PGconn *conn;
	const struct fl_config *cfg;
	struct fl_diags *diags;
	struct fl_check_db *out;
	struct fl_qtables req;
	struct chk_table *tabs; /* parallel to req */
	struct chk_cast *casts;
	size_t ncasts, castcap;
	char **reported; /* "s.t.c" already reported untracked */
	size_t nreported;
	struct fl_check_db_opts opts;
};

/* Walking one schema: the file and the current key path. */
struct chk_scope {
	struct chk *k;
	const struct fl_schema *s;
	const char *file;
	char path[1024];
	size_t plen;
};

/* Positions of the schema's top-level keys. */
struct chk_rootpos {
	struct fl_pos table, pk, sd;
};

/* The table context of a field list. */
struct chk_ctx {
	const char *name;            /* table name (schema is the index's) */
	const struct chk_table *tab; /* NULL: unknown table, skip checks */
	const char *key;             /* context key column, or NULL */
};

/* ---- small helpers ---------------------------------------------------- */

/* Append a path segment ("key", or "[3]" glued on); returns a mark. */
static size_t chk_push(struct chk_scope *sc, const char *fmt, ...)
    FL_PRINTF(2, 3);

static size_t
chk_push(struct chk_scope *sc, const char *fmt, ...)
{
	size_t mark = sc->plen;
	va_list ap;
	int n;

	if (sc->plen && fmt[0] != '[' && sc->plen < sizeof(sc->path) - 1)
		sc->path[sc->plen++] = '.';
	va_start(ap, fmt);
	n = vsnprintf(sc->path + sc->plen, sizeof(sc->path) - sc->plen, fmt,
	              ap);
	va_end(ap);
	if (n > 0)
		sc->plen += (size_t)n;
	if (sc->plen >= sizeof(sc->path))
		sc->plen = sizeof(sc->path) - 1;
	sc->path[sc->plen] = '\0';
	return mark;
}

static void
chk_pop(struct chk_scope *sc, size_t mark)
{
	sc->plen = mark;
	sc->path[mark] = '\0';
}

/* Report under the scope's file and path (plus `sub`, when given). */
static void chk_diag(struct chk_scope *sc, enum fl_diag_sev sev,
                     const struct fl_pos *at, const char *sub, const char *fmt,
                     ...) FL_PRINTF(5, 6);

static void
chk_diag(struct chk_scope *sc, enum fl_diag_sev sev, const struct fl_pos *at,
         const char *sub, const char *fmt, ...)
{
	char msg[1024];
	size_t mark = sc->plen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sub)
		chk_push(sc, "%s", sub);
	fl_diags_add(sc->k->diags, sev, sc->file, at ? at->line : 0,
	             at ? at->col : 0, sc->path, "%s", msg);
	chk_pop(sc, mark);
}

/* Report against the deployment file's `source` (server, slot, role). */
static void chk_global(struct chk *k, enum fl_diag_sev sev, const char *fmt,
                       ...) FL_PRINTF(3, 4);

static void
chk_global(struct chk *k, enum fl_diag_sev sev, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fl_diags_add(k->diags, sev, k->cfg->path, 0, 0, "source", "%s", msg);
}

static struct chk_table *
chk_table_get(struct chk *k, const char *schema, const char *table)
{
	long i = fl_publication_tables_find(&k->req, schema, table);

	return i < 0 ? NULL : &k->tabs[i];
}

static const struct chk_col *
chk_col_get(const struct chk_table *t, const char *name)
{
	size_t i;

	for (i = 0; t && name && i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

/* The catalog primary key, or NULL. */
static const struct chk_idx *
chk_pk(const struct chk_table *t)
{
	size_t i;

	for (i = 0; t && i < t->nidx; i++)
		if (t->idx[i].primary)
			return &t->idx[i];
	return NULL;
}

static int
chk_idx_has(const struct chk_idx *x, const char *col)
{
	size_t i;

	for (i = 0; x && i < x->ncols; i++)
		if (x->cols[i] && strcmp(x->cols[i], col) == 0)
			return 1;
	return 0;
}

/* The index behind REPLICA IDENTITY USING INDEX, or NULL. */
static const struct chk_idx *
chk_replident_idx(const struct chk_table *t)
{
	size_t i;

	for (i = 0; i < t->nidx; i++)
		if (t->idx[i].replident)
			return &t->idx[i];
	return NULL;
}

/* Does the table have a usable replica identity at all? */
static int
chk_identity_exists(const struct chk_table *t)
{
	switch (t->replident) {
	case 'f':
		return 1;
	case 'd':
		return chk_pk(t) != NULL;
	case 'i':
		return chk_replident_idx(t) != NULL;
	default:
		return 0;
	}
}

/* Is `col` part of the table's replica identity? */
static int
chk_identity_has(const struct chk_table *t, const char *col)
{
	switch (t->replident) {
	case 'f':
		return chk_col_get(t, col) != NULL;
	case 'd':
		return chk_idx_has(chk_pk(t), col);
	case 'i':
		return chk_idx_has(chk_replident_idx(t), col);
	default:
		return 0;
	}
}

/* "(a, b)" into b. */
static void
chk_put_cols(struct fl_buf *b, const struct chk_idx *x)
{
	size_t i;

	fl_buf_putc(b, '(');
	for (i = 0; i < x->ncols; i++)
		fl_buf_printf(b, "%s%s", i ? ", " : "",
		              x->cols[i] ? x->cols[i] : "<expression>");
	fl_buf_putc(b, ')');
}

/* A description of the identity: "DEFAULT: primary key (id)". */
static char *
chk_identity_text(const struct chk_table *t)
{
	const struct chk_idx *x;
	struct fl_buf b;

	fl_buf_init(&b, 4096);
	switch (t->replident) {
	case 'f':
		fl_buf_puts(&b, "FULL");
		break;
	case 'n':
		fl_buf_puts(&b, "NOTHING");
		break;
	case 'd':
		fl_buf_puts(&b, "DEFAULT: ");
		if ((x = chk_pk(t))) {
			fl_buf_puts(&b, "primary key ");
			chk_put_cols(&b, x);
		} else {
			fl_buf_puts(&b, "no primary key");
		}
		break;
	default:
		if ((x = chk_replident_idx(t))) {
			fl_buf_printf(&b, "USING INDEX %s ", x->name);
			chk_put_cols(&b, x);
		} else {
			fl_buf_puts(&b, "USING INDEX of a dropped index");
		}
		break;
	}
	return fl_buf_steal(&b);
}

/* A single-column unique index on a NOT NULL column `col`? */
static int
chk_unique_notnull(const struct chk_table *t, const char *col)
{
	const struct chk_col *c = chk_col_get(t, col);
	size_t i;

	if (!c || !c->notnull)
		return 0;
	for (i = 0; i < t->nidx; i++)
		if (t->idx[i].usable && t->idx[i].ncols == 1 &&
		    t->idx[i].cols[0] && strcmp(t->idx[i].cols[0], col) == 0)
			return 1;
	return 0;
}

/* ---- type acceptance (§15.3) ------------------------------------------ */

static const char *const chk_t_text[] = { "text",    "character varying",
	                                  "varchar", "character",
	                                  "char",    "bpchar",
	                                  "citext",  "name",
	                                  NULL };
static const char *const chk_t_uuid[] = { "uuid", NULL };
static const char *const chk_t_bool[] = { "boolean", "bool", NULL };
static const char *const chk_t_short[] = { "smallint", "int2", "smallserial",
	                                   NULL };
static const char *const chk_t_int[] = { "integer", "int", "int4", "serial",
	                                 NULL };
static const char *const chk_t_long[] = { "bigint", "int8", "bigserial", NULL };
static const char *const chk_t_float[] = { "real", "float4", NULL };
static const char *const chk_t_double[] = { "double precision", "float8",
	                                    NULL };
static const char *const chk_t_decimal[] = { "numeric", "decimal", "money",
	                                     NULL };
static const char *const chk_t_date[] = { "date", NULL };
static const char *const chk_t_ts[] = { "timestamp with time zone",
	                                "timestamp without time zone",
	                                "timestamp",
	                                "timestamptz",
	                                "time with time zone",
	                                "time without time zone",
	                                "time",
	                                "timetz",
	                                NULL };
static const char *const chk_t_time[] = { "time with time zone",
	                                  "time without time zone", "time",
	                                  "timetz", NULL };
static const char *const chk_t_binary[] = { "bytea", NULL };
static const char *const chk_t_json[] = { "json", "jsonb", NULL };

/* Normalise: trim, drop a trailing [], cut at '(', lowercase. Also
 * drops a schema qualification outside quotes ("public.citext"). */
static void
chk_type_norm(const char *in, char *out, size_t n)
{
	size_t len, i;
	char *p;

	while (*in == ' ' || *in == '\t')
		in++;
	snprintf(out, n, "%s", in);
	len = strlen(out);
	while (len && (out[len - 1] == ' ' || out[len - 1] == '\t'))
		out[--len] = '\0';
	if (len >= 2 && strcmp(out + len - 2, "[]") == 0)
		out[len -= 2] = '\0';
	if ((p = strchr(out, '(')))
		*p = '\0';
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] + 32);
	len = strlen(out);
	while (len && out[len - 1] == ' ')
		out[--len] = '\0';
	if (out[0] != '"' && (p = strrchr(out, '.')) && !strchr(out, ' '))
		memmove(out, p + 1, strlen(p + 1) + 1);
}

static int
chk_in(const char *norm, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(norm, *list) == 0)
			return 1;
	return 0;
}

static const char *const *
chk_type_list(enum fl_ftype t)
{
	switch (t) {
	case FL_T_TEXT:
	case FL_T_IDENTIFIER:
	case FL_T_KEYWORD:
	case FL_T_ENUM:
		return chk_t_text;
	case FL_T_UUID:
		return chk_t_uuid;
	case FL_T_BOOLEAN:
		return chk_t_bool;
	case FL_T_SHORT:
		return chk_t_short;
	case FL_T_INTEGER:
		return chk_t_int;
	case FL_T_LONG:
		return chk_t_long;
	case FL_T_FLOAT:
		return chk_t_float;
	case FL_T_DOUBLE:
		return chk_t_double;
	case FL_T_DECIMAL:
		return chk_t_decimal;
	case FL_T_DATE:
		return chk_t_date;
	case FL_T_TIMESTAMP:
		return chk_t_ts;
	case FL_T_BINARY:
		return chk_t_binary;
	case FL_T_JSON:
	case FL_T_MAP:
		return chk_t_json;
	default:
		return NULL;
	}
}

int
fl_check_db_type_ok(enum fl_ftype t, const char *sql_type, int is_enum,
                    char *const *custom, size_t ncustom)
{
	const char *const *list;
	char norm[256], want[256];
	size_t i;

	chk_type_norm(sql_type, norm, sizeof(norm));
	if (t == FL_T_ENUM && is_enum)
		return 1;
	if (t == FL_T_CUSTOM) {
		for (i = 0; i < ncustom; i++) {
			chk_type_norm(custom[i], want, sizeof(want));
			if (strcmp(norm, want) == 0)
				return 1;
		}
		return 0;
	}
	if (t == FL_T_GEO_POINT)
		return chk_in(norm, chk_t_json) || chk_in(norm, chk_t_text);
	list = chk_type_list(t);
	return list && chk_in(norm, list);
}

/* The column's type, or its domain's base type, is accepted. */
static int
chk_col_type_ok(enum fl_ftype t, const struct chk_col *c, char *const *custom,
                size_t ncustom)
{
	return fl_check_db_type_ok(t, c->type, c->is_enum, custom, ncustom) ||
	       (c->base &&
	        fl_check_db_type_ok(t, c->base, c->is_enum, custom, ncustom));
}

/* A wider integer than the declared one (int4 -> int8 under `integer`):
 * a widening migration, accepted with a Warning - a value beyond the
 * field's range is one rejected document, not a broken index. */
static int
chk_col_widened(enum fl_ftype t, const struct chk_col *c)
{
	if (t == FL_T_SHORT)
		return chk_col_type_ok(FL_T_INTEGER, c, NULL, 0) ||
		       chk_col_type_ok(FL_T_LONG, c, NULL, 0);
	if (t == FL_T_INTEGER)
		return chk_col_type_ok(FL_T_LONG, c, NULL, 0);
	return 0;
}

static void
chk_widened_warn(struct chk_scope *sc, const struct fl_pos *at, const char *sub,
                 enum fl_ftype t, const struct chk_col *c)
{
	chk_diag(sc, FL_DIAG_WARNING, at, sub,
	         "column `%s` is `%s`, wider than the declared `%s`: a value "
	         "beyond its range is rejected by OpenSearch (declare `long` "
	         "and reindex)",
	         c->name, c->type, fl_ftype_name(t));
}

/* Numeric for a geo coordinate: accepted by double, float, decimal,
 * integer, long or short. */
static int
chk_col_numeric(const struct chk_col *c)
{
	static const enum fl_ftype num[] = { FL_T_DOUBLE,  FL_T_FLOAT,
		                             FL_T_DECIMAL, FL_T_INTEGER,
		                             FL_T_LONG,    FL_T_SHORT };
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(num); i++)
		if (chk_col_type_ok(num[i], c, NULL, 0))
			return 1;
	return 0;
}

static int
chk_col_is_time(const struct chk_col *c)
{
	char norm[256];

	chk_type_norm(c->base ? c->base : c->type, norm, sizeof(norm));
	return chk_in(norm, chk_t_time);
}

/* ---- catalog loading --------------------------------------------------- */

/* The two text[] parameters (schemas, tables) of the required set. */
static void
chk_req_params(const struct fl_qtables *req, struct fl_buf *sa,
               struct fl_buf *ta)
{
	const char **v = fl_xcalloc(req->n + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < req->n; i++)
		v[i] = req->v[i].schema;
	fl_pgconn_put_array(sa, v, req->n);
	for (i = 0; i < req->n; i++)
		v[i] = req->v[i].table;
	fl_pgconn_put_array(ta, v, req->n);
	free(v);
}

/* Run one query over the required set ($1 schemas, $2 tables). */
static PGresult *
chk_req_query(struct chk *k, const char *sql, struct fl_err *err)
{
	struct fl_buf sa, ta;
	const char *params[2];
	PGresult *r;

	fl_buf_init(&sa, 1 << 26);
	fl_buf_init(&ta, 1 << 26);
	chk_req_params(&k->req, &sa, &ta);
	params[0] = fl_buf_str(&sa);
	params[1] = fl_buf_str(&ta);
	r = fl_pgconn_query(k->conn, sql, 2, params, NULL, err);
	fl_buf_done(&sa);
	fl_buf_done(&ta);
	return r;
}

static const char chk_q_columns[] =
    "SELECT r.ord, c.relkind, c.relreplident, a.attname, "
    "format_type(a.atttypid, a.atttypmod), a.attnotnull, "
    "COALESCE(et.typtype, ty.typtype) = 'e', "
    "CASE WHEN ty.typtype = 'd' THEN format_type(ty.typbasetype, "
    "ty.typtypmod) END "
    "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(s, t, ord) "
    "JOIN pg_namespace n ON n.nspname = r.s "
    "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.t "
    "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "AND NOT a.attisdropped "
    "LEFT JOIN pg_type ty ON ty.oid = a.atttypid "
    "LEFT JOIN pg_type et ON et.oid = ty.typelem AND ty.typcategory = 'A' "
    "ORDER BY r.ord, a.attnum";

/* The table of result row `i` (column 0 = 1-based ordinal), or NULL. */
static struct chk_table *
chk_row_table(struct chk *k, const PGresult *r, int i)
{
	long long ord = fl_pgconn_get_ll(r, i, 0, 0);

	if (ord < 1 || (size_t)ord > k->req.n)
		return NULL;
	return &k->tabs[ord - 1];
}

static int
chk_load_columns(struct chk *k, struct fl_err *err)
{
	PGresult *r = chk_req_query(k, chk_q_columns, err);
	struct chk_table *t;
	struct chk_col *c;
	int i;

	if (!r)
		return fl_err_prefix(err, "reading table columns");
	for (i = 0; i < PQntuples(r); i++) {
		if (!(t = chk_row_table(k, r, i)))
			continue;
		t->found = 1;
		t->relkind = PQgetvalue(r, i, 1)[0];
		t->replident = PQgetvalue(r, i, 2)[0];
		if (PQgetisnull(r, i, 3))
			continue;
		t->cols =
		    fl_xgrow(t->cols, &t->ccap, t->ncols + 1, sizeof(*t->cols));
		c = &t->cols[t->ncols++];
		c->name = fl_xstrdup(PQgetvalue(r, i, 3));
		c->type = fl_xstrdup(PQgetvalue(r, i, 4));
		c->notnull = fl_pgconn_get_bool(r, i, 5);
		c->is_enum = fl_pgconn_get_bool(r, i, 6);
		c->base = PQgetisnull(r, i, 7)
		              ? NULL
		              : fl_xstrdup(PQgetvalue(r, i, 7));
	}
	PQclear(r);
	return 0;
}

static const char chk_q_indexes[] =
    "SELECT r.ord, ic.relname, i.indisprimary, i.indisreplident, "
    "i.indisunique AND i.indimmediate AND i.indisvalid AND i.indpred IS "
    "NULL AND i.indexprs IS NULL, a.attname "
    "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(s, t, ord) "
    "JOIN pg_namespace n ON n.nspname = r.s "
    "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.t "
    "JOIN pg_index i ON i.indrelid = c.oid "
    "JOIN pg_class ic ON ic.oid = i.indexrelid "
    "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS "
    "k(attnum, pos) "
    "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = "
    "k.attnum "
    "WHERE (i.indisunique OR i.indisreplident) AND k.pos <= "
    "i.indnkeyatts "
    "ORDER BY r.ord, ic.relname, k.pos";

/* Add a key column (NULL: an expression) to the table's index `name`,
 * creating the index entry when it is new. */
static void
chk_idx_add(struct chk_table *t, const PGresult *r, int i)
{
	const char *name = PQgetvalue(r, i, 1);
	struct chk_idx *x = t->nidx ? &t->idx[t->nidx - 1] : NULL;

	if (!x || strcmp(x->name, name) != 0) {
		t->idx =
		    fl_xgrow(t->idx, &t->icap, t->nidx + 1, sizeof(*t->idx));
		x = &t->idx[t->nidx++];
		memset(x, 0, sizeof(*x));
		x->name = fl_xstrdup(name);
		x->primary = fl_pgconn_get_bool(r, i, 2);
		x->replident = fl_pgconn_get_bool(r, i, 3);
		x->usable = fl_pgconn_get_bool(r, i, 4);
	}
	x->cols = fl_xrealloc(x->cols, (x->ncols + 1) * sizeof(*x->cols));
	x->cols[x->ncols] =
	    PQgetisnull(r, i, 5) ? NULL : fl_xstrdup(PQgetvalue(r, i, 5));
	if (!x->cols[x->ncols])
		x->usable = 0;
	x->ncols++;
}

static int
chk_load_indexes(struct chk *k, struct fl_err *err)
{
	PGresult *r = chk_req_query(k, chk_q_indexes, err);
	struct chk_table *t;
	int i;

	if (!r)
		return fl_err_prefix(err, "reading table indexes");
	for (i = 0; i < PQntuples(r); i++)
		if ((t = chk_row_table(k, r, i)))
			chk_idx_add(t, r, i);
	PQclear(r);
	return 0;
}

static void
chk_tables_free(struct chk *k)
{
	size_t i, j, m;

	for (i = 0; i < k->req.n; i++) {
		struct chk_table *t = &k->tabs[i];

		for (j = 0; j < t->ncols; j++) {
			free(t->cols[j].name);
			free(t->cols[j].type);
			free(t->cols[j].base);
		}
		free(t->cols);
		for (j = 0; j < t->nidx; j++) {
			for (m = 0; m < t->idx[j].ncols; m++)
				free(t->idx[j].cols[m]);
			free(t->idx[j].cols);
			free(t->idx[j].name);
		}
		free(t->idx);
		free(t->site_file);
		free(t->site_path);
		free(t->track);
	}
	free(k->tabs);
}

/* ---- element checks ---------------------------------------------------- */

/*
 * A table used by an element: the table's catalog, or NULL (after an
 * Error) when it does not exist. Records the first use site, and reports
 * a table that is not a table, or has no replica identity, there.
 */
static const struct chk_table *
chk_use(struct chk_scope *sc, const char *table, const struct fl_pos *at,
        const char *sub, const char *what)
{
	const char *db = sc->s->db_schema;
	struct chk_table *t = chk_table_get(sc->k, db, table);
	size_t mark = sc->plen;

	if (!t || !t->found) {
		chk_diag(sc, FL_DIAG_ERROR, at, sub,
		         "%s `%s.%s` does not exist", what, db, table);
		return NULL;
	}
	if (t->has_site)
		return t;
	t->has_site = 1;
	t->site_file = fl_xstrdup(sc->file);
	t->site_at = at ? *at : (struct fl_pos){ 0, 0 };
	if (sub)
		chk_push(sc, "%s", sub);
	t->site_path = fl_xstrdup(sc->path);
	chk_pop(sc, mark);
	if (t->relkind != 'r' && t->relkind != 'p')
		chk_diag(sc, FL_DIAG_ERROR, at, sub,
		         "`%s.%s` is not a table (relkind '%c'); logical "
		         "replication publishes tables only",
		         db, table, t->relkind);
	else if (!chk_identity_exists(t))
		t->noident = 1; /* reported with its fix after the walk */
	return t;
}

/* A column named by an element; NULL (after an Error) when unknown, or
 * silently when the table itself is unknown. */
static const struct chk_col *
chk_colref(struct chk_scope *sc, const struct chk_ctx *cx, const char *col,
           const struct fl_pos *at, const char *sub, const char *what)
{
	const struct chk_col *c;

	if (!cx->tab || !col)
		return NULL;
	if ((c = chk_col_get(cx->tab, col)))
		return c;
	chk_diag(sc, FL_DIAG_ERROR, at, sub,
	         "%s references unknown column `%s.%s.%s`", what,
	         sc->s->db_schema, cx->name, col);
	return NULL;
}

/* Queue a literal for the cast check. */
static void
chk_cast_add(struct chk_scope *sc, const struct fl_pos *at, const char *sub,
             const char *literal, const char *type, const char *what)
{
	struct chk *k = sc->k;
	struct chk_cast *c;
	size_t mark = sc->plen;

	k->casts =
	    fl_xgrow(k->casts, &k->castcap, k->ncasts + 1, sizeof(*k->casts));
	c = &k->casts[k->ncasts++];
	c->literal = fl_xstrdup(literal);
	c->type = fl_xstrdup(type);
	c->file = fl_xstrdup(sc->file);
	if (sub)
		chk_push(sc, "%s", sub);
	c->path = fl_xstrdup(sc->path);
	chk_pop(sc, mark);
	c->what = fl_xstrdup(what);
	c->at = at ? *at : (struct fl_pos){ 0, 0 };
}

/* Filters on `cx` (columns exist; value literals cast). */
static void
chk_filters(struct chk_scope *sc, const struct fl_filters *fs, const char *key,
            const struct chk_ctx *cx)
{
	size_t i, j, mark;

	for (i = 0; i < fs->n; i++) {
		const struct fl_filter *f = &fs->v[i];
		const struct chk_col *c;

		if (f->kind == FL_FILTER_RAW)
			continue;
		mark = chk_push(sc, "%s", key);
		chk_push(sc, "[%zu]", i);
		c = chk_colref(sc, cx, f->column, &f->at, NULL,
		               "filter column");
		for (j = 0; c && f->kind == FL_FILTER_VALUE && j < f->nvalues;
		     j++)
			chk_cast_add(sc, &f->at, NULL, f->values[j], c->type,
			             "filter value");
		chk_pop(sc, mark);
	}
}

/* Where the SQL relies on a declared key: it must be the catalog
 * primary key, a single column. */
static void
chk_catalog_key(struct chk_scope *sc, const struct chk_ctx *cx, const char *key,
                const struct fl_pos *at, const char *sub, const char *why)
{
	const struct chk_idx *pk = chk_pk(cx->tab);
	struct fl_buf b;

	if (!cx->tab || !chk_col_get(cx->tab, key))
		return;
	if (pk && pk->ncols == 1 && pk->cols[0] &&
	    strcmp(pk->cols[0], key) == 0)
		return;
	fl_buf_init(&b, 1024);
	if (!pk) {
		fl_buf_puts(&b, "it has no primary key");
	} else {
		fl_buf_printf(&b, "its primary key is %s",
		              pk->ncols > 1 ? "composite " : "");
		chk_put_cols(&b, pk);
	}
	chk_diag(sc, FL_DIAG_ERROR, at, sub,
	         "`primary_key` `%s` must be the primary key of %s.%s (%s), "
	         "but %s",
	         key, sc->s->db_schema, cx->name, why, fl_buf_str(&b));
	fl_buf_done(&b);
}

/* Remember that s.t.c was reported untracked; 1 if it already was. */
static int
chk_reported(struct chk *k, const char *schema, const char *table,
             const char *col)
{
	char *key = fl_xasprintf("%s.%s.%s", schema, table, col);
	size_t i;

	for (i = 0; i < k->nreported; i++)
		if (strcmp(k->reported[i], key) == 0) {
			free(key);
			return 1;
		}
	k->reported =
	    fl_xrealloc(k->reported, (k->nreported + 1) * sizeof(*k->reported));
	k->reported[k->nreported++] = key;
	return 0;
}

#define CHK_FIX_COLS 32

/* Add `col` to cols[0..*n) unless there or full. */
static void
chk_cols_add(const char **cols, size_t *n, const char *col)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(cols[i], col) == 0)
			return;
	if (*n < CHK_FIX_COLS)
		cols[(*n)++] = col;
}

/*
 * The columns of the unique index that gives `t` a replica identity
 * covering `extra`: the current identity's columns (primary key or
 * USING INDEX), else the key the table is used under, else its primary
 * key; then `extra`. 0 when nothing known unique starts it, or when a
 * column is unknown, an expression, or nullable (USING INDEX needs NOT
 * NULL columns).
 */
static size_t
chk_fix_cols(const struct chk_table *t, const char *const *extra, size_t nextra,
             const char **cols)
{
	const struct chk_idx *x = NULL;
	const struct chk_col *c;
	size_t i, n = 0;

	if (t->replident == 'i')
		x = chk_replident_idx(t);
	if (!x && (t->replident == 'd' || !t->key))
		x = chk_pk(t);
	if (x && chk_identity_exists(t)) {
		for (i = 0; i < x->ncols; i++) {
			if (!x->cols[i])
				return 0;
			chk_cols_add(cols, &n, x->cols[i]);
		}
	} else if (t->key) {
		chk_cols_add(cols, &n, t->key);
	} else if (x) {
		for (i = 0; i < x->ncols; i++) {
			if (!x->cols[i])
				return 0;
			chk_cols_add(cols, &n, x->cols[i]);
		}
	}
	if (!n)
		return 0;
	for (i = 0; i < nextra; i++)
		chk_cols_add(cols, &n, extra[i]);
	for (i = 0; i < n; i++)
		if (!(c = chk_col_get(t, cols[i])) || !c->notnull)
			return 0;
	return n;
}

/* A usable unique index on exactly the columns `cols`, or NULL. */
static const struct chk_idx *
chk_idx_exact(const struct chk_table *t, const char *const *cols, size_t n)
{
	size_t i, j;

	for (i = 0; i < t->nidx; i++) {
		if (!t->idx[i].usable || t->idx[i].ncols != n)
			continue;
		for (j = 0; j < n && chk_idx_has(&t->idx[i], cols[j]); j++)
			;
		if (j == n)
			return &t->idx[i];
	}
	return NULL;
}

/* The name of an index built for a fix: full (PostgreSQL's limit is 63
 * bytes), else cut at a character boundary with a hash of the full name,
 * so two long names sharing a prefix do not collide. */
static void
chk_index_name(const char *full, char out[64])
{
	size_t n = strlen(full);
	uint32_t h = 2166136261u;
	size_t i;

	if (n <= 63) {
		memcpy(out, full, n + 1);
		return;
	}
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)full[i]) * 16777619u;
	n = 54;
	while (n && ((unsigned char)full[n] & 0xC0) == 0x80)
		n--; /* not inside a UTF-8 sequence */
	memcpy(out, full, n);
	snprintf(out + n, 64 - n, "_%08x", (unsigned)h);
}

/*
 * The statements that make the unique index on `cols` the replica
 * identity of db.table, into f (stmts, index_schema, index_name): an
 * existing usable index with exactly those columns is used as it is,
 * else one is built CONCURRENTLY, named "<table>_<cols>_key".
 */
static void
chk_fix_identity(struct fl_check_fix *f, const char *db, const char *table,
                 const struct chk_table *t, const char *const *cols, size_t n)
{
	const struct chk_idx *x = chk_idx_exact(t, cols, n);
	char name[64];
	struct fl_buf b, nb;
	size_t i;

	fl_buf_init(&nb, 4096);
	fl_buf_puts(&nb, table);
	for (i = 0; i < n; i++)
		fl_buf_printf(&nb, "_%s", cols[i]);
	fl_buf_puts(&nb, "_key");
	if (x)
		snprintf(name, sizeof(name), "%s", x->name);
	else
		chk_index_name(fl_buf_str(&nb), name);
	fl_buf_done(&nb);
	if (!x) {
		fl_buf_init(&b, 4096);
		fl_buf_puts(&b, "CREATE UNIQUE INDEX CONCURRENTLY ");
		fl_pgconn_put_ident(&b, name);
		fl_buf_puts(&b, " ON ");
		fl_pgconn_put_qualified(&b, db, table);
		fl_buf_puts(&b, " (");
		for (i = 0; i < n; i++) {
			fl_buf_puts(&b, i ? ", " : "");
			fl_pgconn_put_ident(&b, cols[i]);
		}
		fl_buf_puts(&b, ");");
		f->stmts[f->nstmts++] = fl_buf_steal(&b);
		f->index_schema = fl_xstrdup(db);
		f->index_name = fl_xstrdup(name);
	}
	fl_buf_init(&b, 4096);
	fl_buf_puts(&b, "ALTER TABLE ");
	fl_pgconn_put_qualified(&b, db, table);
	fl_buf_puts(&b, " REPLICA IDENTITY USING INDEX ");
	fl_pgconn_put_ident(&b, name);
	fl_buf_putc(&b, ';');
	f->stmts[f->nstmts++] = fl_buf_steal(&b);
}

/* The statements of f, space-separated, into b. */
static void
chk_put_stmts(struct fl_buf *b, const struct fl_check_fix *f)
{
	size_t i;

	for (i = 0; i < f->nstmts; i++)
		fl_buf_printf(b, "%s%s", i ? " " : "", f->stmts[i]);
}

static void
chk_fix_done(struct fl_check_fix *f)
{
	size_t i;

	free(f->finding);
	free(f->schema);
	free(f->table);
	for (i = 0; i < f->nstmts; i++)
		free(f->stmts[i]);
	free(f->index_schema);
	free(f->index_name);
	memset(f, 0, sizeof(*f));
}

/* Remember that the identity of `t` must include `col`. */
static void
chk_track(struct chk_table *t, const char *col)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->ntrack; i++)
		if (strcmp(t->track[i], col) == 0)
			return;
	t->track = fl_xrealloc(t->track, (t->ntrack + 1) * sizeof(*t->track));
	t->track[t->ntrack++] = col;
}

/*
 * Tracking adequacy (§10.4): `col` of `cx` (a Direct target's foreign
 * key, a junction's left_key) must be in the replica identity, or the
 * old parent cannot be rebuilt when a row is deleted or re-parented.
 */
static void
chk_tracked(struct chk_scope *sc, const struct chk_ctx *cx, const char *col,
            const struct fl_pos *at, const char *sub)
{
	const char *db = sc->s->db_schema;
	const struct chk_col *c = cx->tab ? chk_col_get(cx->tab, col) : NULL;
	const char *cols[CHK_FIX_COLS];
	struct fl_check_fix f;
	char *ident;
	struct fl_buf b;
	size_t n;

	if (c && !chk_identity_has(cx->tab, col))
		chk_track(chk_table_get(sc->k, db, cx->name), col);
	if (!c || !chk_identity_exists(cx->tab) ||
	    chk_identity_has(cx->tab, col) ||
	    chk_reported(sc->k, db, cx->name, col))
		return;
	fl_publication_tables_add(&sc->k->out->untracked, db, cx->name);
	ident = chk_identity_text(cx->tab);
	fl_buf_init(&b, 4096);
	fl_buf_puts(&b, "ALTER TABLE ");
	fl_pgconn_put_qualified(&b, db, cx->name);
	fl_buf_puts(&b, " REPLICA IDENTITY FULL; (logs the whole old row on "
	                "every update and delete) or ");
	memset(&f, 0, sizeof(f));
	if ((n = chk_fix_cols(cx->tab, &col, 1, cols))) {
		chk_fix_identity(&f, db, cx->name, cx->tab, cols, n);
		chk_put_stmts(&b, &f);
		chk_fix_done(&f);
	} else {
		fl_buf_printf(&b,
		              "a unique index including `%s` plus ALTER "
		              "TABLE ... REPLICA IDENTITY USING INDEX "
		              "(needs `%s` NOT NULL first)",
		              col, col);
	}
	chk_diag(
	    sc, sc->k->opts.untracked_warning ? FL_DIAG_WARNING : FL_DIAG_ERROR,
	    at, sub,
	    "table %s.%s is untracked: its replica identity (%s) does not "
	    "include `%s`, so deleting a row or moving it to another "
	    "parent cannot update the old parent's document; fix with %s",
	    db, cx->name, ident, col, fl_buf_str(&b));
	fl_buf_done(&b);
	free(ident);
}

/* Remember the first key a table is used under (for the fix plan). */
static void
chk_note_key(struct chk_scope *sc, const struct chk_ctx *cx)
{
	struct chk_table *t;

	if (!cx->tab || !cx->key || !chk_col_get(cx->tab, cx->key))
		return;
	t = chk_table_get(sc->k, sc->s->db_schema, cx->name);
	if (t && !t->key)
		t->key = cx->key;
}

/* ---- fields ------------------------------------------------------------ */

static void chk_fields(struct chk_scope *sc, const struct fl_fields *fs,
                       const struct chk_ctx *cx);

/* Does a field list hold a join or aggregate (through objects)? */
static int
chk_has_relations(const struct fl_fields *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		if (fs->v[i].kind == FL_FIELD_JOIN ||
		    fs->v[i].kind == FL_FIELD_AGG)
			return 1;
		if (fs->v[i].kind == FL_FIELD_OBJECT &&
		    chk_has_relations(&fs->v[i].children))
			return 1;
	}
	return 0;
}

/* A column-backed leaf. */
static void
chk_column(struct chk_scope *sc, const struct fl_field *x,
           const struct chk_ctx *cx)
{
	const struct chk_col *c;
	char buf[128];
	const char *lit;

	c = chk_colref(sc, cx, x->col.column, &x->at, NULL, "field");
	if (!c)
		return;
	if (chk_col_widened(x->col.type, c)) {
		chk_widened_warn(sc, &x->at, NULL, x->col.type, c);
	} else if (!chk_col_type_ok(x->col.type, c, x->col.pg_types,
	                            x->col.npg_types)) {
		chk_diag(sc, FL_DIAG_ERROR, &x->at, NULL,
		         "declared type `%s` does not accept the column's "
		         "database type `%s`",
		         x->tag, c->type);
		return;
	}
	if (x->col.type == FL_T_TIMESTAMP && chk_col_is_time(c) &&
	    !fl_val_get(x->options, "format"))
		chk_diag(sc, FL_DIAG_WARNING, &x->at, NULL,
		         "column `%s` is `%s`: OpenSearch's default date "
		         "format rejects a bare time such as \"10:00:00\"; "
		         "set options: {format: "
		         "\"hour_minute_second_fraction||hour_minute_second\"}",
		         c->name, c->type);
	if (x->col.required && !c->notnull && !x->col.def &&
	    !(cx->key && strcmp(cx->key, c->name) == 0))
		chk_diag(sc, FL_DIAG_WARNING, &x->at, NULL,
		         "declared non-null (`required`) but the database "
		         "column allows null");
	if (x->col.def &&
	    (lit = fl_val_scalar_text(x->col.def, buf, sizeof(buf))))
		chk_cast_add(sc, &x->at, "default", lit, c->type, "default");
}

/* A two-column geo point: both columns exist and are numeric. */
static void
chk_geo(struct chk_scope *sc, const struct fl_field *x,
        const struct chk_ctx *cx)
{
	const char *cols[2] = { x->geo.lat, x->geo.lon };
	const char *keys[2] = { "lat", "lon" };
	const struct chk_col *c;
	int i;

	for (i = 0; i < 2; i++) {
		c = chk_colref(sc, cx, cols[i], &x->at, keys[i], "`geo`");
		if (c && !chk_col_numeric(c))
			chk_diag(sc, FL_DIAG_ERROR, &x->at, keys[i],
			         "geo_point coordinate column `%s` must be "
			         "numeric, found `%s`",
			         c->name, c->type);
	}
}

/* order_by columns of a join. */
static void
chk_order_by(struct chk_scope *sc, const struct fl_field *x,
             const struct chk_ctx *cx)
{
	char sub[48];
	size_t i;

	for (i = 0; i < x->join.norder_by; i++) {
		snprintf(sub, sizeof(sub), "order_by[%zu]", i);
		chk_colref(sc, cx, x->join.order_by[i].column, &x->at, sub,
		           "`order_by`");
	}
}

/* The junction of a many_to_many join or through aggregate. */
static void
chk_through(struct chk_scope *sc, const struct fl_through *th,
            const struct fl_pos *at)
{
	struct chk_ctx jx;

	jx.name = th->table;
	jx.key = NULL;
	jx.tab = chk_use(sc, th->table, at, "through.table", "junction table");
	chk_colref(sc, &jx, th->left_key, at, "through.left_key",
	           "`through.left_key`");
	chk_colref(sc, &jx, th->right_key, at, "through.right_key",
	           "`through.right_key`");
	chk_tracked(sc, &jx, th->left_key, at, "through");
}

static void
chk_join(struct chk_scope *sc, const struct fl_field *x,
         const struct chk_ctx *parent)
{
	const struct fl_pos *at = &x->at;
	int m2m = x->join.kind == FL_JOIN_MANY_TO_MANY;
	int btm = x->join.kind == FL_JOIN_BELONGS_TO;
	struct chk_ctx cx;
	size_t mark;

	cx.name = x->join.table;
	cx.key = x->join.primary_key;
	cx.tab = chk_use(sc, x->join.table, at, NULL, "join table");
	chk_note_key(sc, &cx);
	if (btm)
		chk_colref(sc, parent, x->join.key, at, "column",
		           "`belongs_to` key `column`");
	else if (m2m)
		chk_through(sc, &x->join.through, at);
	else if (chk_colref(sc, &cx, x->join.key, at, "foreign_key",
	                    "`foreign_key`"))
		chk_tracked(sc, &cx, x->join.key, at, "foreign_key");
	if (chk_colref(sc, &cx, x->join.primary_key, at, "primary_key",
	               "`primary_key`") &&
	    (btm || m2m || chk_has_relations(&x->children)))
		chk_catalog_key(sc, &cx, x->join.primary_key, at, "primary_key",
		                btm   ? "a `belongs_to` target is matched on it"
		                : m2m ? "the junction's right_key points at it"
		                      : "relations nested under this join "
		                        "correlate on it");
	chk_order_by(sc, x, &cx);
	chk_filters(sc, &x->join.filters, "filters", &cx);
	mark = chk_push(sc, "fields");
	chk_fields(sc, &x->children, &cx);
	chk_pop(sc, mark);
}

static void
chk_agg(struct chk_scope *sc, const struct fl_field *x)
{
	const struct fl_pos *at = &x->at;
	int through = x->agg.through.table != NULL;
	const struct chk_idx *pk;
	const struct chk_col *c;
	struct chk_ctx cx;

	cx.name = x->agg.table;
	cx.key = NULL;
	cx.tab = chk_use(sc, x->agg.table, at, NULL, "aggregate table");
	if (through)
		chk_through(sc, &x->agg.through, at);
	else if (chk_colref(sc, &cx, x->agg.foreign_key, at, "foreign_key",
	                    "`foreign_key`"))
		chk_tracked(sc, &cx, x->agg.foreign_key, at, "foreign_key");
	c = chk_colref(sc, &cx, x->agg.column, at, "column", "aggregate");
	if (c && x->agg.has_value_type && x->agg.op != FL_AGG_AVG &&
	    chk_col_widened(x->agg.value_type, c))
		chk_widened_warn(sc, at, "value_type", x->agg.value_type, c);
	else if (c && x->agg.has_value_type && x->agg.op != FL_AGG_AVG &&
	         !chk_col_type_ok(x->agg.value_type, c, NULL, 0))
		chk_diag(sc, FL_DIAG_ERROR, at, "value_type",
		         "declared aggregate type `%s` does not accept the "
		         "column's database type `%s`",
		         fl_ftype_name(x->agg.value_type), c->type);
	pk = chk_pk(cx.tab);
	if (cx.tab &&
	    ((through && !(x->agg.op == FL_AGG_IDS && x->agg.filters.n == 0)) ||
	     (!through && x->agg.op == FL_AGG_IDS)) &&
	    !(pk && pk->ncols == 1 && pk->cols[0]))
		chk_diag(sc, FL_DIAG_ERROR, at, NULL,
		         "%s needs the primary key of %s.%s, which %s",
		         through ? "an aggregate through a junction joins the "
		                   "aggregated table on"
		                 : "`ids` collects",
		         sc->s->db_schema, x->agg.table,
		         pk ? "is composite; a single-column key is required"
		            : "does not exist");
	chk_filters(sc, &x->agg.filters, "filters", &cx);
}

static void
chk_field(struct chk_scope *sc, const struct fl_field *x,
          const struct chk_ctx *cx)
{
	size_t mark;

	switch (x->kind) {
	case FL_FIELD_COLUMN:
		chk_column(sc, x, cx);
		break;
	case FL_FIELD_GEO:
		chk_geo(sc, x, cx);
		break;
	case FL_FIELD_OBJECT:
		mark = chk_push(sc, "fields");
		chk_fields(sc, &x->children, cx);
		chk_pop(sc, mark);
		break;
	case FL_FIELD_JOIN:
		chk_join(sc, x, cx);
		break;
	case FL_FIELD_AGG:
		chk_agg(sc, x);
		break;
	case FL_FIELD_CONST:
		break;
	}
}

static void
chk_fields(struct chk_scope *sc, const struct fl_fields *fs,
           const struct chk_ctx *cx)
{
	size_t i, mark;

	for (i = 0; i < fs->n; i++) {
		mark = chk_push(sc, "[%zu]", i);
		chk_push(sc, "%s %s", fs->v[i].tag, fs->v[i].name);
		chk_field(sc, &fs->v[i], cx);
		chk_pop(sc, mark);
	}
}

/* ---- the root ---------------------------------------------------------- */

static void
chk_pos_of(const struct fl_ynode *n, struct fl_pos *out)
{
	if (n) {
		out->line = n->line;
		out->col = n->col;
	}
}

/* Positions of `table`, `primary_key` and the soft-delete marker, read
 * again from the schema file (zero when it cannot be read). */
static void
chk_root_positions(const char *file, struct chk_rootpos *rp)
{
	const struct fl_ynode *root, *sd;
	struct fl_ydoc *doc;
	struct fl_err err;

	memset(rp, 0, sizeof(*rp));
	if (!file || access(file, R_OK) != 0)
		return;
	if (!(doc = fl_ydoc_load_file(file, NULL, &err)))
		return;
	root = fl_ydoc_root(doc);
	chk_pos_of(fl_ynode_get(root, "table"), &rp->table);
	chk_pos_of(fl_ynode_get(root, "primary_key"), &rp->pk);
	if ((sd = fl_ynode_get(root, "soft_delete"))) {
		chk_pos_of(sd, &rp->sd);
		chk_pos_of(fl_ynode_get(sd, "column"), &rp->sd);
		chk_pos_of(fl_ynode_get(sd, "field"), &rp->sd);
	}
	fl_ydoc_free(doc);
	if (!rp->pk.line)
		rp->pk = rp->table;
}

/* The root key (declared, else the catalog's single-column key) after
 * checking it is unique and in the replica identity. */
static const char *
chk_root_key(struct chk_scope *sc, const struct chk_ctx *cx,
             const struct chk_rootpos *rp)
{
	const struct fl_schema *s = sc->s;
	const struct chk_idx *pk = chk_pk(cx->tab);
	const char *key = s->primary_key;
	char *ident;

	if (!cx->tab)
		return key;
	if (!key && (!pk || pk->ncols != 1 || !pk->cols[0])) {
		chk_diag(sc, FL_DIAG_ERROR, &rp->table, "table",
		         "table %s.%s has %s primary key; declare a "
		         "single-column `primary_key`",
		         s->db_schema, s->table, pk ? "a composite" : "no");
		return NULL;
	}
	if (!key)
		key = pk->cols[0];
	else if (!chk_colref(sc, cx, key, &rp->pk, "primary_key",
	                     "`primary_key`"))
		return key;
	else if (!(pk && pk->ncols == 1 && pk->cols[0] &&
	           strcmp(pk->cols[0], key) == 0) &&
	         !chk_unique_notnull(cx->tab, key))
		chk_catalog_key(sc, cx, key, &rp->pk, "primary_key",
		                "or a NOT NULL column with a unique index: "
		                "document ids must be unique");
	if (chk_identity_exists(cx->tab) && !chk_identity_has(cx->tab, key)) {
		ident = chk_identity_text(cx->tab);
		chk_diag(sc, FL_DIAG_ERROR, &rp->pk, "primary_key",
		         "root key `%s` is not in the replica identity of "
		         "%s.%s (%s): changes could not be matched to their "
		         "documents; make it the primary key or run ALTER "
		         "TABLE \"%s\".\"%s\" REPLICA IDENTITY FULL;",
		         key, s->db_schema, s->table, ident, s->db_schema,
		         s->table);
		free(ident);
	}
	return key;
}

/* Root filters and soft delete live on the root table. */
static void
chk_root_rows(struct chk_scope *sc, const struct chk_ctx *cx,
              const struct chk_rootpos *rp)
{
	const struct fl_soft_delete *sd = sc->s->soft_delete;
	size_t mark;

	chk_filters(sc, &sc->s->filters, "filters", cx);
	if (!sd)
		return;
	mark = chk_push(sc, "soft_delete");
	chk_colref(sc, cx, sd->column, &rp->sd,
	           sd->by_field ? "field" : "column", "`soft_delete` marker");
	chk_filters(sc, &sd->when, "when", cx);
	chk_pop(sc, mark);
}

static void
chk_index(struct chk *k, const struct fl_index_cfg *ix)
{
	struct chk_scope sc;
	struct chk_rootpos rp;
	struct chk_ctx cx;

	memset(&sc, 0, sizeof(sc));
	sc.k = k;
	sc.s = ix->schema;
	sc.file = ix->schema->file ? ix->schema->file : ix->schema_file;
	chk_root_positions(ix->schema_file ? ix->schema_file : sc.file, &rp);
	cx.name = sc.s->table;
	cx.tab = chk_use(&sc, sc.s->table, &rp.table, "table", "table");
	cx.key = chk_root_key(&sc, &cx, &rp);
	chk_note_key(&sc, &cx);
	chk_root_rows(&sc, &cx, &rp);
	chk_push(&sc, "fields");
	chk_fields(&sc, &sc.s->fields, &cx);
}

/* ---- literals ---------------------------------------------------------- */

static void
chk_casts_free(struct chk *k)
{
	size_t i;

	for (i = 0; i < k->ncasts; i++) {
		free(k->casts[i].literal);
		free(k->casts[i].type);
		free(k->casts[i].file);
		free(k->casts[i].path);
		free(k->casts[i].what);
	}
	free(k->casts);
}

/* SELECT $1::T1, $2::T2, ... over casts [from, from + n). */
static int
chk_cast_batch(struct chk *k, size_t from, size_t n, struct fl_err *err,
               char sqlstate[6])
{
	const char **params = fl_xcalloc(n + 1, sizeof(char *));
	struct fl_buf sql;
	PGresult *r;
	size_t i;

	fl_buf_init(&sql, 1 << 20);
	fl_buf_puts(&sql, "SELECT ");
	for (i = 0; i < n; i++) {
		fl_buf_printf(&sql, "%s$%zu::%s", i ? ", " : "", i + 1,
		              k->casts[from + i].type);
		params[i] = k->casts[from + i].literal;
	}
	r = fl_pgconn_query(k->conn, fl_buf_str(&sql), (int)n, params, sqlstate,
	                    err);
	fl_buf_done(&sql);
	free(params);
	PQclear(r);
	return r ? 0 : -1;
}

/* Is this SQLSTATE about the literal (data exception, class 22, or an
 * invalid text representation) rather than the connection? */
static int
chk_literal_state(const char *st)
{
	return st[0] && st[0] != '0' && !(st[0] == '5' && st[1] == '7');
}

static int
chk_casts_run(struct chk *k, struct fl_err *err)
{
	char st[6];
	size_t from, n, i;

	for (from = 0; from < k->ncasts; from += n) {
		n = k->ncasts - from < CHK_CAST_CHUNK ? k->ncasts - from
		                                      : CHK_CAST_CHUNK;
		if (chk_cast_batch(k, from, n, err, st) == 0)
			continue;
		if (!chk_literal_state(st))
			return fl_err_prefix(err, "checking literals");
		for (i = from; i < from + n; i++) {
			const struct chk_cast *c = &k->casts[i];

			if (chk_cast_batch(k, i, 1, err, st) == 0)
				continue;
			if (!chk_literal_state(st))
				return fl_err_prefix(err, "checking literals");
			fl_diags_add(k->diags, FL_DIAG_ERROR, c->file,
			             c->at.line, c->at.col, c->path,
			             "%s `%s` is not a valid `%s`: %s", c->what,
			             c->literal, c->type, err->msg);
		}
		fl_err_clear(err);
	}
	return 0;
}

/* ---- server, slot, publication ---------------------------------------- */

static const char chk_q_server[] =
    "SELECT current_setting('server_version_num')::int, "
    "current_setting('wal_level'), current_database(), current_user, "
    "COALESCE(r.rolsuper, false), COALESCE(r.rolreplication, false), "
    "current_setting('max_replication_slots')::int, "
    "(SELECT count(*) FROM pg_replication_slots) "
    "FROM (SELECT 1) AS one LEFT JOIN pg_roles r ON r.rolname = "
    "current_user";

static int
chk_server(struct chk *k, struct fl_err *err)
{
	struct fl_check_db *o = k->out;
	PGresult *r;

	r = fl_pgconn_query(k->conn, chk_q_server, 0, NULL, NULL, err);
	if (!r)
		return fl_err_prefix(err, "reading server settings");
	o->server_version = (int)fl_pgconn_get_ll(r, 0, 0, 0);
	o->wal_level = fl_xstrdup(PQgetvalue(r, 0, 1));
	o->database = fl_xstrdup(PQgetvalue(r, 0, 2));
	o->role = fl_xstrdup(PQgetvalue(r, 0, 3));
	o->superuser = fl_pgconn_get_bool(r, 0, 4);
	o->replication = fl_pgconn_get_bool(r, 0, 5);
	o->slot.max_slots = (long)fl_pgconn_get_ll(r, 0, 6, 0);
	o->slot.used_slots = (long)fl_pgconn_get_ll(r, 0, 7, 0);
	PQclear(r);
	if (o->server_version < 140000)
		chk_global(k, FL_DIAG_ERROR,
		           "PostgreSQL %d.%d is not supported; flusso needs "
		           "14 or later",
		           o->server_version / 10000, o->server_version % 100);
	if (strcmp(o->wal_level, "logical") != 0)
		chk_global(
		    k, FL_DIAG_ERROR,
		    "wal_level is `%s`; logical replication needs "
		    "wal_level = logical (postgresql.conf, then restart)",
		    o->wal_level);
	if (!o->superuser && !o->replication)
		chk_global(k, FL_DIAG_ERROR,
		           "role `%s` has neither REPLICATION nor superuser; "
		           "run ALTER ROLE \"%s\" REPLICATION;",
		           o->role, o->role);
	return 0;
}

static char *
chk_dup(const PGresult *r, int col)
{
	const char *v = fl_pgconn_get(r, 0, col);

	return v ? fl_xstrdup(v) : NULL;
}

/* The slot's state name and its diagnostic (§3.2). */
static void
chk_slot_verdict(struct chk *k, struct fl_slot_report *s)
{
	const char *n = s->name;

	s->state = "ok";
	if (strcmp(s->slot_type ? s->slot_type : "", "physical") == 0) {
		s->state = "physical";
		chk_global(k, FL_DIAG_ERROR,
		           "slot %s is a physical slot; choose another --slot",
		           n);
	} else if (!s->plugin || strcmp(s->plugin, "pgoutput") != 0) {
		s->state = "other_plugin";
		chk_global(k, FL_DIAG_ERROR,
		           "replication slot '%s' exists but uses plugin '%s', "
		           "expected 'pgoutput'",
		           n, s->plugin ? s->plugin : "");
	} else if (!s->database || strcmp(s->database, k->out->database)) {
		s->state = "other_database";
		chk_global(k, FL_DIAG_ERROR, "slot %s belongs to database %s",
		           n, s->database ? s->database : "(none)");
	} else if ((s->wal_status && strcmp(s->wal_status, "lost") == 0) ||
	           s->invalidation_reason) {
		s->state = "lost";
		chk_global(k, FL_DIAG_WARNING,
		           "slot %s can never stream again (wal_status lost); "
		           "`flusso run` will drop and recreate it and rebuild "
		           "every index",
		           n);
	} else if (s->active) {
		s->state = "active";
		chk_global(k, FL_DIAG_WARNING, "slot %s is in use by pid %ld",
		           n, s->active_pid);
	} else if (s->wal_status && strcmp(s->wal_status, "unreserved") == 0) {
		s->state = "unreserved";
		chk_global(k, FL_DIAG_WARNING,
		           "slot %s is about to be invalidated "
		           "(max_slot_wal_keep_size)",
		           n);
	}
}

static int
chk_slot(struct chk *k, const char *name, struct fl_err *err)
{
	struct fl_slot_report *s = &k->out->slot;
	const char *params[1] = { name };
	PGresult *r;

	r = fl_pgconn_query(
	    k->conn,
	    k->out->server_version >= 170000
	        ? "SELECT slot_type, plugin, database, active, "
	          "active_pid, wal_status, safe_wal_size, "
	          "confirmed_flush_lsn, restart_lsn, invalidation_reason "
	          "FROM pg_replication_slots WHERE slot_name = $1"
	        : "SELECT slot_type, plugin, database, active, "
	          "active_pid, wal_status, safe_wal_size, "
	          "confirmed_flush_lsn, restart_lsn, NULL::text "
	          "FROM pg_replication_slots WHERE slot_name = $1",
	    1, params, NULL, err);
	if (!r)
		return fl_err_prefix(err, "reading slot %s", name);
	s->name = fl_xstrdup(name);
	s->exists = PQntuples(r) > 0;
	if (!s->exists) {
		PQclear(r);
		s->state = "missing";
		if (s->used_slots >= s->max_slots)
			chk_global(k, FL_DIAG_ERROR,
			           "no free replication slot to create %s: all "
			           "%ld of max_replication_slots are in use; "
			           "raise it (restart) or drop an unused slot",
			           name, s->max_slots);
		return 0;
	}
	s->slot_type = chk_dup(r, 0);
	s->plugin = chk_dup(r, 1);
	s->database = chk_dup(r, 2);
	s->active = fl_pgconn_get_bool(r, 0, 3);
	s->active_pid = (long)fl_pgconn_get_ll(r, 0, 4, 0);
	s->wal_status = chk_dup(r, 5);
	s->has_safe_wal_size = !PQgetisnull(r, 0, 6);
	s->safe_wal_size = fl_pgconn_get_ll(r, 0, 6, 0);
	s->confirmed_flush_lsn = chk_dup(r, 7);
	s->restart_lsn = chk_dup(r, 8);
	s->invalidation_reason = chk_dup(r, 9);
	PQclear(r);
	chk_slot_verdict(k, s);
	return 0;
}

/* Coverage, and its §4.4 problems as Errors at the table's first use. */
static int
chk_publication(struct chk *k, const char *name, struct fl_err *err)
{
	struct fl_coverage *c = &k->out->coverage;
	size_t i;

	if (fl_publication_inspect(k->conn, name, &k->req, c, err) < 0)
		return -1;
	for (i = 0; i < c->nproblems; i++) {
		const struct fl_pubprob *p = &c->problems[i];
		const struct chk_table *t =
		    p->table ? chk_table_get(k, p->schema, p->table) : NULL;

		if (t && t->has_site)
			fl_diags_add(k->diags, FL_DIAG_ERROR, t->site_file,
			             t->site_at.line, t->site_at.col,
			             t->site_path, "%s%s%s", p->msg,
			             p->fix ? "; fix: " : "",
			             p->fix ? p->fix : "");
		else
			chk_global(k, FL_DIAG_ERROR, "%s%s%s", p->msg,
			           p->fix ? "; fix: " : "",
			           p->fix ? p->fix : "");
	}
	return 0;
}

/* ---- the fix plan ------------------------------------------------------ */

static struct fl_check_fix *
chk_fix_new(struct fl_check_fixes *p, enum fl_check_fix_kind kind,
            const char *schema, const char *table, char *finding)
{
	struct fl_check_fix *f;

	p->v = fl_xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	f = &p->v[p->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->schema = schema ? fl_xstrdup(schema) : NULL;
	f->table = table ? fl_xstrdup(table) : NULL;
	f->finding = finding;
	return f;
}

/* The deferred "no replica identity" Error at the table's first use,
 * naming the fix when there is one (fix_text NULL: none). */
static void
chk_noident_diag(struct chk *k, const char *db, const char *table,
                 const struct chk_table *t, const char *fix_text)
{
	char *full = fl_xasprintf("ALTER TABLE \"%s\".\"%s\" REPLICA "
	                          "IDENTITY FULL;",
	                          db, table);
	char *how = fix_text
	                ? fl_xasprintf("fix with %s (or %s)", fix_text, full)
	                : fl_xasprintf("add a primary key or run %s", full);

	fl_diags_add(k->diags, FL_DIAG_ERROR, t->site_file, t->site_at.line,
	             t->site_at.col, t->site_path,
	             "table %s.%s has no replica identity (%s): PostgreSQL "
	             "refuses UPDATE and DELETE on a published table without "
	             "one, so flusso will not publish it; %s",
	             db, table,
	             t->replident == 'n'   ? "REPLICA IDENTITY NOTHING"
	             : t->replident == 'd' ? "DEFAULT without a primary key"
	                                   : "USING INDEX of a dropped index",
	             how);
	free(how);
	free(full);
}

/*
 * After the walk: every table without a replica identity gets its
 * Error, and each such table or untracked table whose identity columns
 * are known and NOT NULL gets a fix in k->out->fixes: a unique index
 * (built CONCURRENTLY unless one with exactly those columns exists)
 * made the replica identity. Partitioned tables get none (an index
 * cannot be built CONCURRENTLY on them).
 */
static void
chk_identity_plan(struct chk *k)
{
	const char *cols[CHK_FIX_COLS];
	struct fl_check_fix *f;
	struct fl_buf b;
	size_t i, j, n;

	for (i = 0; i < k->req.n; i++) {
		const struct fl_qtable *q = &k->req.v[i];
		struct chk_table *t = &k->tabs[i];

		if (!t->found || !t->has_site ||
		    (t->relkind != 'r' && t->relkind != 'p') ||
		    (!t->noident && !t->ntrack))
			continue;
		n = t->relkind == 'r'
		        ? chk_fix_cols(t, t->track, t->ntrack, cols)
		        : 0;
		if (!n) {
			if (t->noident)
				chk_noident_diag(k, q->schema, q->table, t,
				                 NULL);
			continue;
		}
		fl_buf_init(&b, 1 << 16);
		if (t->noident) {
			fl_buf_printf(&b, "table %s.%s has no replica identity",
			              q->schema, q->table);
		} else {
			fl_buf_printf(&b,
			              "table %s.%s is untracked: its replica "
			              "identity lacks ",
			              q->schema, q->table);
			for (j = 0; j < t->ntrack; j++)
				fl_buf_printf(&b, "%s`%s`", j ? ", " : "",
				              t->track[j]);
		}
		f = chk_fix_new(&k->out->fixes, FL_CHECK_FIX_IDENTITY,
		                q->schema, q->table, fl_buf_steal(&b));
		chk_fix_identity(f, q->schema, q->table, t, cols, n);
		if (t->noident) {
			fl_buf_init(&b, 1 << 16);
			chk_put_stmts(&b, f);
			chk_noident_diag(k, q->schema, q->table, t,
			                 fl_buf_str(&b));
			fl_buf_done(&b);
		}
	}
}

/* The finding of the publication's CREATE/ALTER ... ADD statement. */
static char *
chk_cover_finding(const struct fl_coverage *c)
{
	struct fl_buf b;
	size_t i, n = 0;

	fl_buf_init(&b, 1 << 16);
	if (!c->exists)
		fl_buf_printf(&b,
		              "publication \"%s\" does not exist; it must "
		              "publish ",
		              c->name);
	else
		fl_buf_printf(&b, "publication \"%s\" does not publish ",
		              c->name);
	for (i = 0; i < c->required.n; i++)
		if (c->info[i].exists && c->info[i].identity &&
		    fl_publication_tables_find(&c->missing,
		                               c->required.v[i].schema,
		                               c->required.v[i].table) >= 0)
			fl_buf_printf(&b, "%s%s.%s", n++ ? ", " : "",
			              c->required.v[i].schema,
			              c->required.v[i].table);
	return fl_buf_steal(&b);
}

/*
 * The publication part of the plan, in front of the identity fixes:
 * the coverage remediation (the statement the report prints), then each
 * distinct problem fix. A table that had no replica identity is left
 * out of that remediation; its identity fix ends by adding it (creating
 * the publication when nothing before does), so the table is published
 * only once it has an identity.
 */
static void
chk_publication_plan(struct chk *k)
{
	const struct fl_coverage *c = &k->out->coverage;
	struct fl_check_fixes p = { 0 };
	struct fl_check_fix *f;
	struct fl_qtables one;
	int created = c->exists || c->remediation;
	size_t i, j;

	if (c->remediation) {
		f = chk_fix_new(&p, FL_CHECK_FIX_PUBLICATION, NULL, NULL,
		                chk_cover_finding(c));
		f->stmts[f->nstmts++] = fl_xstrdup(c->remediation);
	}
	for (i = 0; i < c->nproblems; i++) {
		for (j = 0; c->problems[i].fix && j < i; j++)
			if (c->problems[j].fix &&
			    strcmp(c->problems[j].fix, c->problems[i].fix) == 0)
				break;
		if (!c->problems[i].fix || j < i)
			continue;
		f = chk_fix_new(&p, FL_CHECK_FIX_PUBLICATION,
		                c->problems[i].schema, c->problems[i].table,
		                fl_xstrdup(c->problems[i].msg));
		f->stmts[f->nstmts++] = fl_xstrdup(c->problems[i].fix);
	}
	for (i = 0; i < k->out->fixes.n; i++) {
		const struct chk_table *t;
		long at;

		f = &k->out->fixes.v[i];
		t = chk_table_get(k, f->schema, f->table);
		at = fl_publication_tables_find(&c->required, f->schema,
		                                f->table);
		if (!t || !t->noident || at < 0 ||
		    fl_publication_tables_find(&c->missing, f->schema,
		                               f->table) < 0 ||
		    f->nstmts >= FL_CHECK_FIX_MAX_STMTS)
			continue;
		j = (size_t)at;
		fl_publication_tables_init(&one);
		fl_publication_tables_add(&one, f->schema, f->table);
		f->stmts[f->nstmts++] = fl_publication_sql_cover(
		    c->name, created, &one, c->info[j].partitioned);
		fl_publication_tables_done(&one);
		created = 1;
	}
	p.v = fl_xrealloc(p.v, (p.n + k->out->fixes.n + 1) * sizeof(*p.v));
	if (k->out->fixes.n)
		memcpy(p.v + p.n, k->out->fixes.v,
		       k->out->fixes.n * sizeof(*p.v));
	p.n += k->out->fixes.n;
	free(k->out->fixes.v);
	k->out->fixes = p;
}

void
fl_check_fixes_done(struct fl_check_fixes *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		chk_fix_done(&p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* ---- entry ------------------------------------------------------------- */

int
fl_check_db_run(PGconn *conn, const struct fl_config *cfg,
                const struct fl_check_db_opts *opts, struct fl_check_db *out,
                struct fl_diags *diags, struct fl_err *err)
{
	const char *slot = opts && opts->slot ? opts->slot : "flusso";
	const char *pub =
	    opts && opts->publication ? opts->publication : "flusso";
	struct chk k;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&k, 0, sizeof(k));
	k.conn = conn;
	k.cfg = cfg;
	k.diags = diags;
	if (opts)
		k.opts = *opts;
	k.out = out;
	fl_publication_tables_init(&k.req);
	fl_publication_required(cfg, &k.req);
	k.tabs = fl_xcalloc(k.req.n + 1, sizeof(*k.tabs));
	if ((!k.opts.schemas_only &&
	     (chk_server(&k, err) < 0 || chk_slot(&k, slot, err) < 0)) ||
	    chk_load_columns(&k, err) < 0 || chk_load_indexes(&k, err) < 0)
		goto done;
	for (i = 0; i < cfg->nindexes; i++)
		if (cfg->indexes[i].enabled && cfg->indexes[i].schema)
			chk_index(&k, &cfg->indexes[i]);
	chk_identity_plan(&k);
	if (chk_casts_run(&k, err) < 0)
		goto done;
	if (!k.opts.skip_publication && chk_publication(&k, pub, err) < 0)
		goto done;
	if (!k.opts.skip_publication)
		chk_publication_plan(&k);
	fl_publication_tables_sort(&out->untracked);
	rc = 0;
done:
	for (i = 0; i < k.nreported; i++)
		free(k.reported[i]);
	free(k.reported);
	chk_casts_free(&k);
	chk_tables_free(&k);
	fl_publication_tables_done(&k.req);
	return rc;
}

int
fl_check_db_index(PGconn *conn, const struct fl_config *cfg, const char *index,
                  int untracked_warning, char *why, size_t n,
                  struct fl_err *err)
{
	struct fl_check_db_opts o = { 0 };
	const struct fl_index_cfg *found = fl_config_index(cfg, index);
	struct fl_config one = *cfg;
	struct fl_index_cfg ix;
	struct fl_check_db r;
	struct fl_diags d;
	size_t i;
	int rc;

	if (!found || !found->schema)
		return fl_err_set(err, FL_ERR_NOTFOUND, "no index `%s`", index);
	ix = *found;
	ix.enabled = 1;
	one.indexes = &ix;
	one.nindexes = 1;
	o.untracked_warning = untracked_warning;
	o.skip_publication = 1;
	o.schemas_only = 1;
	fl_diags_init(&d);
	rc = fl_check_db_run(conn, &one, &o, &r, &d, err);
	fl_check_db_done(&r);
	for (i = 0; rc == 0 && i < d.n; i++) {
		char *line;

		if (d.v[i].sev != FL_DIAG_ERROR)
			continue;
		line = fl_diag_format(&d.v[i]);
		snprintf(why, n, "%s", line);
		free(line);
		rc = 1;
	}
	fl_diags_done(&d);
	return rc;
}

void
fl_check_db_done(struct fl_check_db *r)
{
	struct fl_slot_report *s = &r->slot;

	free(r->wal_level);
	free(r->database);
	free(r->role);
	fl_publication_coverage_done(&r->coverage);
	free(s->name);
	free(s->slot_type);
	free(s->plugin);
	free(s->database);
	free(s->wal_status);
	free(s->confirmed_flush_lsn);
	free(s->restart_lsn);
	free(s->invalidation_reason);
	fl_publication_tables_done(&r->untracked);
	fl_check_fixes_done(&r->fixes);
	memset(r, 0, sizeof(*r));
}
