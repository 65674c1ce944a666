/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * doc_sql.c - generating the document SQL of one index (source.md §13):
 * the statement, objects (wide ones as jsonb concatenation), joins,
 * aggregates, soft delete and root filters, and the key-scan statements
 * (§16.3). Leaves and filters are in doc_sql_value.c.
 *
 * DESIGN
 *   Shape: one statement per index; every relation is a correlated
 *   scalar sub-select (the reference's shape), except that a to-many
 *   relation without a limit aggregates its table directly instead of
 *   through a derived table (one sort instead of two). A LATERAL-join
 *   variant was measured and was not faster (numbers in doc_build.c).
 *   Aliases: the root row is "root"; relations get "rel1", "rel2", ...
 *   from one counter in generation order; a to-many relation takes its
 *   derived alias before its child object and its inner aliases after.
 *   Parameters: $1 is the key array; relation-filter operands follow in
 *   generation order (depth-first, field order), then soft-delete
 *   `when` operands, then root-filter operands. Each operand is cast to
 *   its column's catalog type; nothing else is a parameter (defaults and
 *   constants are literals, raw filters are SQL text).
 *   Values: every column goes through the wrapper of its catalog base
 *   type (doc_sql_value.c); the C side never re-renders a document.
 *   Errors: generation continues after the first problem (so the text
 *   is always balanced) and reports that first problem.
 */
#include "docs/doc_sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs/doc_sql_int.h"
#include "util/xmem.h"

static void ds_obj(struct fl_docsql_gen *g, const struct fl_fields *fs,
                   const char *table, const char *alias, const char *key);

/* Record the first problem; generation goes on. */
void
fl_docsql_fail(struct fl_docsql_gen *g, const char *fmt, ...)
{
	char msg[FL_ERR_MSG_MAX];
	va_list ap;

	if (g->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fl_err_set(g->err, FL_ERR_CONFIG, "%s", msg);
}

/* "db"."table" AS "alias" */
static void
ds_from(struct fl_docsql_gen *g, const char *table, const char *alias)
{
	fl_pgconn_put_qualified(g->q, g->db, table);
	fl_docsql_puts(g, " AS ");
	fl_pgconn_put_ident(g->q, alias);
}

/* The next relation alias ("rel<n>") into a (16 bytes). */
static void
ds_next_alias(struct fl_docsql_gen *g, char *a)
{
	snprintf(a, 16, "rel%d", ++g->alias);
}

/* A column of a table in the index's schema; NULL after reporting. */
const struct fl_dbcat_col *
fl_docsql_col(struct fl_docsql_gen *g, const char *table, const char *col)
{
	const struct fl_dbcat_col *c = fl_dbcat_find(g->cat, g->db, table, col);

	if (c)
		return c;
	if (!fl_dbcat_has_table(g->cat, g->db, table))
		fl_docsql_fail(g, "table %s.%s does not exist", g->db, table);
	else
		fl_docsql_fail(g, "column %s.%s.%s does not exist", g->db,
		               table, col);
	return NULL;
}

/* The table's single-column catalog primary key (ids, through). */
static const char *
ds_pk(struct fl_docsql_gen *g, const char *table)
{
	const char *pk = fl_dbcat_pk(g->cat, g->db, table);

	if (!pk) {
		if (!fl_dbcat_has_table(g->cat, g->db, table))
			fl_docsql_fail(g, "table %s.%s does not exist", g->db,
			               table);
		else
			fl_docsql_fail(
			    g,
			    "table %s.%s needs a single-column primary "
			    "key",
			    g->db, table);
		return "?";
	}
	return pk;
}

/* A bound operand: its placeholder number ($1 is the key array). */
size_t
fl_docsql_param(struct fl_docsql_gen *g, const char *text)
{
	g->params =
	    fl_xgrow(g->params, &g->pcap, g->nparams + 1, sizeof(*g->params));
	g->params[g->nparams++] = text;
	return g->nparams + 1;
}

/*
 * " ORDER BY "a"."c" ASC, ..., "a"."pk" ASC": the configured order, then
 * the related table's primary key, so an array's order never depends on
 * the plan (a generic and a custom plan of one statement may read rows
 * in different orders; `flusso verify` compares arrays in order).
 */
static void
ds_order(struct fl_docsql_gen *g, const struct fl_field *f, const char *alias)
{
	size_t i;

	for (i = 0; i < f->join.norder_by; i++) {
		fl_docsql_puts(g, i ? ", " : " ORDER BY ");
		fl_docsql_qcol(g, alias, f->join.order_by[i].column);
		fl_docsql_puts(g, f->join.order_by[i].desc ? " DESC" : " ASC");
	}
	for (i = 0; i < f->join.norder_by; i++)
		if (!strcmp(f->join.order_by[i].column, f->join.primary_key))
			return;
	fl_docsql_puts(g, i ? ", " : " ORDER BY ");
	fl_docsql_qcol(g, alias, f->join.primary_key);
	fl_docsql_puts(g, " ASC");
}

/* belongs_to / has_one: one row's object, or NULL. */
static void
ds_join_one(struct fl_docsql_gen *g, const struct fl_field *f,
            const char *alias, const char *key)
{
	const char *t = f->join.table;
	char a[16];

	ds_next_alias(g, a);
	fl_docsql_puts(g, "(SELECT ");
	ds_obj(g, &f->children, t, a, f->join.primary_key);
	fl_docsql_puts(g, " FROM ");
	ds_from(g, t, a);
	fl_docsql_puts(g, " WHERE ");
	if (f->join.kind == FL_JOIN_BELONGS_TO) {
		fl_docsql_col(g, t, f->join.primary_key);
		fl_docsql_qcol(g, a, f->join.primary_key);
		fl_docsql_puts(g, " = ");
		fl_docsql_qcol(g, alias, f->join.key);
	} else {
		fl_docsql_col(g, t, f->join.key);
		fl_docsql_qcol(g, a, f->join.key);
		fl_docsql_puts(g, " = ");
		fl_docsql_qcol(g, alias, key);
	}
	fl_docsql_val_filters(g, &f->join.filters, t, a);
	if (f->join.kind == FL_JOIN_HAS_ONE)
		ds_order(g, f, a);
	fl_docsql_puts(g, " LIMIT 1)");
}

/* FROM/WHERE of a to-many relation on row alias `in`: the child table
 * (has_many) or the far table joined to the junction (many_to_many),
 * correlated to the parent, then filters, order and limit. */
static void
ds_many_from(struct fl_docsql_gen *g, const struct fl_field *f, const char *in,
             const char *alias, const char *key)
{
	const char *t = f->join.table;
	const struct fl_through *th = &f->join.through;
	char ja[16];

	ds_from(g, t, in);
	if (f->join.kind == FL_JOIN_HAS_MANY) {
		fl_docsql_col(g, t, f->join.key);
		fl_docsql_puts(g, " WHERE ");
		fl_docsql_qcol(g, in, f->join.key);
	} else {
		ds_next_alias(g, ja);
		fl_docsql_col(g, t, f->join.primary_key);
		fl_docsql_col(g, th->table, th->left_key);
		fl_docsql_col(g, th->table, th->right_key);
		fl_docsql_puts(g, " JOIN ");
		ds_from(g, th->table, ja);
		fl_docsql_puts(g, " ON ");
		fl_docsql_qcol(g, ja, th->right_key);
		fl_docsql_puts(g, " = ");
		fl_docsql_qcol(g, in, f->join.primary_key);
		fl_docsql_puts(g, " WHERE ");
		fl_docsql_qcol(g, ja, th->left_key);
	}
	fl_docsql_puts(g, " = ");
	fl_docsql_qcol(g, alias, key);
	fl_docsql_val_filters(g, &f->join.filters, t, in);
}

/*
 * has_many / many_to_many: a JSON array, never NULL. With a limit, the
 * rows are picked in a derived table (ordered inside so LIMIT keeps the
 * right ones, and again in the aggregate so the array keeps the order);
 * without one, the aggregate reads the table directly: the derived
 * table would only add a second sort (measured ~10% of the shop
 * `users` statement).
 */
static void
ds_join_many(struct fl_docsql_gen *g, const struct fl_field *f,
             const char *alias, const char *key)
{
	char d[16], in[16];

	ds_next_alias(g, d);
	fl_docsql_puts(g, "(SELECT coalesce(json_agg(");
	ds_obj(g, &f->children, f->join.table, d, f->join.primary_key);
	ds_order(g, f, d);
	fl_docsql_puts(g, "), '[]'::json) FROM ");
	if (f->join.limit <= 0) {
		ds_many_from(g, f, d, alias, key);
		fl_docsql_puts(g, ")");
		return;
	}
	ds_next_alias(g, in);
	fl_docsql_puts(g, "(SELECT ");
	fl_pgconn_put_ident(g->q, in);
	fl_docsql_puts(g, ".* FROM ");
	ds_many_from(g, f, in, alias, key);
	ds_order(g, f, in);
	fl_buf_printf(g->q, " LIMIT %ld) AS ", f->join.limit);
	fl_pgconn_put_ident(g->q, d);
	fl_docsql_puts(g, ")");
}

/* The aggregate function over alias a (ids: the given id column). */
static void
ds_agg_fn(struct fl_docsql_gen *g, const struct fl_field *f, const char *a,
          const char *ids_alias, const char *ids_col)
{
	static const char *const fn[] = { "count", "sum", "avg", "min", "max" };
	const struct fl_dbcat_col *c;
	struct fl_buf x;

	if (f->agg.op == FL_AGG_COUNT) {
		fl_docsql_puts(g, "count(*)");
		return;
	}
	if (f->agg.op == FL_AGG_IDS) {
		/* ascending: the spec leaves the order open; a fixed one
		 * keeps rebuilt documents identical */
		fl_docsql_puts(g, "coalesce(json_agg(");
		fl_docsql_qcol(g, ids_alias, ids_col);
		fl_docsql_puts(g, " ORDER BY ");
		fl_docsql_qcol(g, ids_alias, ids_col);
		fl_docsql_puts(g, "), '[]'::json)");
		return;
	}
	c = fl_docsql_col(g, f->agg.table, f->agg.column);
	fl_buf_init(&x, FL_DOCSQL_MAX_SQL);
	fl_buf_printf(&x, "%s(", fn[f->agg.op]);
	fl_pgconn_put_ident(&x, a);
	fl_buf_putc(&x, '.');
	fl_pgconn_put_ident(&x, f->agg.column);
	fl_buf_putc(&x, ')');
	fl_docsql_val_agg(g, c, fl_buf_str(&x));
	fl_buf_done(&x);
}

/* count / sum / avg / min / max / ids, direct or through. */
static void
ds_agg(struct fl_docsql_gen *g, const struct fl_field *f, const char *alias,
       const char *key)
{
	const char *t = f->agg.table;
	const struct fl_through *th = &f->agg.through;
	char a[16] = "", ja[16] = "";
	const char *pk;

	if (!th->table) {
		ds_next_alias(g, a);
		pk = f->agg.op == FL_AGG_IDS ? ds_pk(g, t) : NULL;
		fl_docsql_col(g, t, f->agg.foreign_key);
		fl_docsql_puts(g, "(SELECT ");
		ds_agg_fn(g, f, a, a, pk);
		fl_docsql_puts(g, " FROM ");
		ds_from(g, t, a);
		fl_docsql_puts(g, " WHERE ");
		fl_docsql_qcol(g, a, f->agg.foreign_key);
	} else if (f->agg.op == FL_AGG_IDS) {
		ds_next_alias(g, ja);
		fl_docsql_col(g, th->table, th->left_key);
		fl_docsql_col(g, th->table, th->right_key);
		fl_docsql_puts(g, "(SELECT ");
		ds_agg_fn(g, f, ja, ja, th->right_key);
		fl_docsql_puts(g, " FROM ");
		ds_from(g, th->table, ja);
		if (f->agg.filters.n) {
			ds_next_alias(g, a);
			pk = ds_pk(g, t);
			fl_docsql_puts(g, " JOIN ");
			ds_from(g, t, a);
			fl_docsql_puts(g, " ON ");
			fl_docsql_qcol(g, a, pk);
			fl_docsql_puts(g, " = ");
			fl_docsql_qcol(g, ja, th->right_key);
		}
		fl_docsql_puts(g, " WHERE ");
		fl_docsql_qcol(g, ja, th->left_key);
	} else {
		ds_next_alias(g, a);
		ds_next_alias(g, ja);
		pk = ds_pk(g, t);
		fl_docsql_col(g, th->table, th->left_key);
		fl_docsql_col(g, th->table, th->right_key);
		fl_docsql_puts(g, "(SELECT ");
		ds_agg_fn(g, f, a, a, pk);
		fl_docsql_puts(g, " FROM ");
		ds_from(g, t, a);
		fl_docsql_puts(g, " JOIN ");
		ds_from(g, th->table, ja);
		fl_docsql_puts(g, " ON ");
		fl_docsql_qcol(g, ja, th->right_key);
		fl_docsql_puts(g, " = ");
		fl_docsql_qcol(g, a, pk);
		fl_docsql_puts(g, " WHERE ");
		fl_docsql_qcol(g, ja, th->left_key);
	}
	fl_docsql_puts(g, " = ");
	fl_docsql_qcol(g, alias, key);
	fl_docsql_val_filters(g, &f->agg.filters, t, a);
	fl_docsql_puts(g, ")");
}

/* The SQL expression of one field, on row "alias" of `table`. */
static void
ds_field(struct fl_docsql_gen *g, const struct fl_field *f, const char *table,
         const char *alias, const char *key)
{
	switch (f->kind) {
	case FL_FIELD_COLUMN:
	case FL_FIELD_GEO:
	case FL_FIELD_CONST:
		fl_docsql_val_leaf(g, f, table, alias);
		break;
	case FL_FIELD_OBJECT:
		ds_obj(g, &f->children, table, alias, key);
		break;
	case FL_FIELD_JOIN:
		if (f->join.kind == FL_JOIN_BELONGS_TO ||
		    f->join.kind == FL_JOIN_HAS_ONE)
			ds_join_one(g, f, alias, key);
		else
			ds_join_many(g, f, alias, key);
		break;
	case FL_FIELD_AGG:
		ds_agg(g, f, alias, key);
		break;
	}
}

/* json_build_object('k', v, ...), or with more than 50 fields
 * (jsonb_build_object(<50 pairs>) || jsonb_build_object(...) || ...):
 * PostgreSQL caps a call at 100 arguments. */
static void
ds_obj(struct fl_docsql_gen *g, const struct fl_fields *fs, const char *table,
       const char *alias, const char *key)
{
	int wide = fs->n > FL_DOCSQL_MAX_PAIRS;
	size_t i;

	fl_docsql_puts(g, wide ? "(jsonb_build_object(" : "json_build_object(");
	for (i = 0; i < fs->n; i++) {
		if (wide && i && i % FL_DOCSQL_MAX_PAIRS == 0)
			fl_docsql_puts(g, ") || jsonb_build_object(");
		else if (i)
			fl_docsql_puts(g, ", ");
		fl_docsql_val_literal(g->q, fs->v[i].name);
		fl_docsql_puts(g, ", ");
		ds_field(g, &fs->v[i], table, alias, key);
	}
	fl_docsql_puts(g, wide ? "))" : ")");
}

/* AND NOT ((<truthy marker>) AND (<when>) ...) */
static void
ds_soft_delete(struct fl_docsql_gen *g, const struct fl_soft_delete *sd)
{
	const char *t = g->s->table;
	struct fl_buf m;

	fl_docsql_col(g, t, sd->column);
	fl_buf_init(&m, FL_DOCSQL_MAX_SQL);
	fl_pgconn_put_ident(&m, "root");
	fl_buf_putc(&m, '.');
	fl_pgconn_put_ident(&m, sd->column);
	fl_buf_printf(
	    g->q,
	    " AND NOT ((CASE WHEN %s IS NULL THEN false WHEN "
	    "pg_typeof(%s) = 'boolean'::regtype THEN %s::text::boolean "
	    "ELSE true END)",
	    fl_buf_str(&m), fl_buf_str(&m), fl_buf_str(&m));
	fl_docsql_val_filters(g, &sd->when, t, "root");
	fl_docsql_puts(g, ")");
	fl_buf_done(&m);
}

/* The two key-scan statements and the regclass text. The output is
 * aliased so ORDER BY names the column, not its text (which would sort
 * 1000 before 368 and break the keyset). */
static void
ds_scan(const struct fl_schema *s, const char *key, const char *type,
        struct fl_docsql *out)
{
	struct fl_buf b;

	fl_buf_init(&b, FL_DOCSQL_MAX_SQL);
	fl_pgconn_put_qualified(&b, s->db_schema, s->table);
	out->regclass = fl_buf_steal(&b);
	fl_buf_puts(&b, "SELECT ");
	fl_pgconn_put_ident(&b, key);
	fl_buf_printf(&b, "::text AS \"key\" FROM %s ORDER BY ", out->regclass);
	fl_pgconn_put_ident(&b, key);
	fl_buf_puts(&b, " LIMIT $1");
	out->scan_first = fl_buf_steal(&b);
	fl_buf_puts(&b, "SELECT ");
	fl_pgconn_put_ident(&b, key);
	fl_buf_printf(&b, "::text AS \"key\" FROM %s WHERE ", out->regclass);
	fl_pgconn_put_ident(&b, key);
	fl_buf_printf(&b, " > $2::%s ORDER BY ", type);
	fl_pgconn_put_ident(&b, key);
	fl_buf_puts(&b, " LIMIT $1");
	out->scan_next = fl_buf_steal(&b);
}

/* The whole statement; on failure nothing is kept. */
int
fl_docsql_gen(const struct fl_schema *s, const struct fl_dbcat *cat,
              struct fl_docsql *out, struct fl_err *err)
{
	struct fl_docsql_gen g;
	struct fl_buf q;
	const struct fl_dbcat_col *kc;
	const char *key;

	memset(&g, 0, sizeof(g));
	fl_buf_init(&q, FL_DOCSQL_MAX_SQL);
	g.q = &q;
	g.s = s;
	g.cat = cat;
	g.db = s->db_schema;
	g.err = err;
	key = s->primary_key ? s->primary_key : ds_pk(&g, s->table);
	kc = fl_docsql_col(&g, s->table, key);
	fl_docsql_puts(&g, "SELECT ");
	fl_docsql_qcol(&g, "root", key);
	fl_docsql_puts(&g, "::text AS \"doc_key\", ");
	ds_obj(&g, &s->fields, s->table, "root", key);
	fl_docsql_puts(&g, " AS \"document\" FROM ");
	ds_from(&g, s->table, "root");
	fl_docsql_puts(&g, " WHERE ");
	fl_docsql_qcol(&g, "root", key);
	fl_buf_printf(&q, " = ANY($1::%s[])", kc ? kc->type : "text");
	if (s->soft_delete)
		ds_soft_delete(&g, s->soft_delete);
	fl_docsql_val_filters(&g, &s->filters, s->table, "root");
	if (!g.failed && q.len >= FL_DOCSQL_MAX_SQL - 1)
		fl_docsql_fail(&g, "the document SQL of %s.%s is too long",
		               s->db_schema, s->table);
	if (g.failed) {
		fl_buf_done(&q);
		free(g.params);
		return fl_err_prefix(err, "index table %s.%s", s->db_schema,
		                     s->table);
	}
	memset(out, 0, sizeof(*out));
	out->sql = fl_buf_steal(&q);
	out->params = g.params;
	out->nparams = g.nparams;
	out->key = fl_xstrdup(key);
	out->key_type = fl_xstrdup(kc->type);
	ds_scan(s, key, kc->type, out);
	return 0;
}

/* Free the generated texts (the operand texts are borrowed). */
void
fl_docsql_done(struct fl_docsql *q)
{
	if (!q)
		return;
	free(q->sql);
	free(q->params);
	free(q->key);
	free(q->key_type);
	free(q->scan_first);
	free(q->scan_next);
	free(q->regclass);
	memset(q, 0, sizeof(*q));
}
