/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * doc_sql_value.c - the leaves of the document SQL (source.md §13.4,
 * §13.5, §14.2): columns with transforms and defaults, two-column geo,
 * typed constants, filter conditions with their operands bound and
 * cast, and the rendering wrapper each catalog type needs so PostgreSQL
 * emits the final JSON value (NaN and infinities to null, money as a
 * number, infinite timestamps to null, bytea as one-line base64, arrays
 * element-wise). Used by doc_sql.c only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/value.h"
#include "docs/doc_sql_int.h"

enum dv_render {
	DV_R_NONE,
	DV_R_FLOAT,   /* NaN, ±Infinity -> null */
	DV_R_NUMERIC, /* same (Infinity only exists from PostgreSQL 14) */
	DV_R_MONEY,   /* -> numeric */
	DV_R_TIME,    /* infinite -> null */
	DV_R_BYTEA,   /* -> base64 without newlines */
};

/* A string literal: '...' with ' doubled; E'...' when it holds a
 * backslash, so the text means the same whatever
 * standard_conforming_strings says. */
void
fl_docsql_val_literal(struct fl_buf *b, const char *s)
{
	int esc = strchr(s, '\\') != NULL;

	if (esc)
		fl_buf_putc(b, 'E');
	fl_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || (esc && *s == '\\'))
			fl_buf_putc(b, *s);
		fl_buf_putc(b, *s);
	}
	fl_buf_putc(b, '\'');
}

/* The wrapper a pg_catalog base type needs. */
static enum dv_render
dv_render_of(const char *base)
{
	static const struct {
		const char *name;
		enum dv_render r;
	} map[] = {
		{ "float4", DV_R_FLOAT },    { "float8", DV_R_FLOAT },
		{ "numeric", DV_R_NUMERIC }, { "money", DV_R_MONEY },
		{ "timestamp", DV_R_TIME },  { "timestamptz", DV_R_TIME },
		{ "date", DV_R_TIME },       { "bytea", DV_R_BYTEA },
	};
	size_t i;

	for (i = 0; base && i < FL_ARRAY_LEN(map); i++)
		if (!strcmp(base, map[i].name))
			return map[i].r;
	return DV_R_NONE;
}

/* Append expression x wrapped for rendering r. */
static void
dv_wrap(struct fl_docsql_gen *g, enum dv_render r, const char *x)
{
	int inf = !g->cat->server_version || g->cat->server_version >= 140000;

	switch (r) {
	case DV_R_NONE:
		fl_docsql_puts(g, x);
		break;
	case DV_R_NUMERIC:
		if (!inf) {
			fl_buf_printf(g->q, "nullif(%s, 'NaN')", x);
			break;
		}
		/* fall through */
	case DV_R_FLOAT:
		fl_buf_printf(g->q,
		              "nullif(nullif(nullif(%s, 'NaN'), 'Infinity'), "
		              "'-Infinity')",
		              x);
		break;
	case DV_R_MONEY:
		fl_buf_printf(g->q, "(%s)::numeric", x);
		break;
	case DV_R_TIME:
		fl_buf_printf(g->q, "CASE WHEN isfinite(%s) THEN %s END", x, x);
		break;
	case DV_R_BYTEA:
		fl_buf_printf(g->q,
		              "translate(encode(%s, 'base64'), E'\\n', '')", x);
		break;
	}
}

/* Append the value of expression x of column type c, rendered. */
static void
dv_value(struct fl_docsql_gen *g, const struct fl_dbcat_col *c, const char *x)
{
	enum dv_render er;

	if (!c) {
		fl_docsql_puts(g, x);
		return;
	}
	if (c->category != 'A') {
		dv_wrap(g, dv_render_of(c->base), x);
		return;
	}
	er = dv_render_of(c->elem);
	if (er == DV_R_NONE) {
		fl_docsql_puts(g, x);
		return;
	}
	fl_buf_printf(g->q, "CASE WHEN %s IS NULL THEN NULL ELSE ARRAY(SELECT ",
	              x);
	dv_wrap(g, er, "\"e\"");
	fl_buf_printf(g->q,
	              " FROM unnest(%s) WITH ORDINALITY AS \"u\"(\"e\", "
	              "\"o\") ORDER BY \"o\") END",
	              x);
}

/* A column leaf: transforms, default, then the rendering wrapper. */
static void
dv_column(struct fl_docsql_gen *g, const struct fl_field *f, const char *table,
          const char *alias)
{
	const struct fl_dbcat_col *c = fl_docsql_col(g, table, f->col.column);
	struct fl_buf x, y;
	char num[64];
	const char *lit;
	size_t i;

	fl_buf_init(&x, FL_DOCSQL_MAX_SQL);
	fl_buf_init(&y, FL_DOCSQL_MAX_SQL);
	fl_pgconn_put_ident(&x, alias);
	fl_buf_putc(&x, '.');
	fl_pgconn_put_ident(&x, f->col.column);
	if (f->col.ntransforms && c && c->category != 'S')
		fl_buf_puts(&x, "::text");
	for (i = 0; i < f->col.ntransforms; i++) {
		fl_buf_reset(&y);
		fl_buf_printf(&y, "%s(%s)",
		              f->col.transforms[i] == FL_TR_LOWERCASE ? "lower"
		                                                      : "trim",
		              fl_buf_str(&x));
		fl_buf_reset(&x);
		fl_buf_puts(&x, fl_buf_str(&y));
	}
	lit = f->col.def ? fl_val_scalar_text(f->col.def, num, sizeof(num))
	                 : NULL;
	if (lit) {
		fl_buf_reset(&y);
		fl_buf_printf(&y, "coalesce(%s, ", fl_buf_str(&x));
		fl_docsql_val_literal(&y, lit);
		fl_buf_putc(&y, ')');
		fl_buf_reset(&x);
		fl_buf_puts(&x, fl_buf_str(&y));
	}
	dv_value(g, f->col.ntransforms ? NULL : c, fl_buf_str(&x));
	fl_buf_done(&x);
	fl_buf_done(&y);
}

/* Two-column geo: {lat, lon}, or NULL when either is NULL. */
static void
dv_geo(struct fl_docsql_gen *g, const struct fl_field *f, const char *table,
       const char *alias)
{
	const struct fl_dbcat_col *lat = fl_docsql_col(g, table, f->geo.lat);
	const struct fl_dbcat_col *lon = fl_docsql_col(g, table, f->geo.lon);
	struct fl_buf la, lo, *save = g->q;

	fl_buf_init(&la, FL_DOCSQL_MAX_SQL);
	fl_buf_init(&lo, FL_DOCSQL_MAX_SQL);
	g->q = &la;
	fl_docsql_qcol(g, alias, f->geo.lat);
	g->q = &lo;
	fl_docsql_qcol(g, alias, f->geo.lon);
	g->q = save;
	if ((lat && dv_render_of(lat->base) != DV_R_NONE) ||
	    (lon && dv_render_of(lon->base) != DV_R_NONE)) {
		char *a = fl_buf_steal(&la), *o = fl_buf_steal(&lo);

		g->q = &la;
		dv_value(g, lat, a);
		g->q = &lo;
		dv_value(g, lon, o);
		g->q = save;
		free(a);
		free(o);
	}
	fl_buf_printf(g->q,
	              "CASE WHEN %s IS NULL OR %s IS NULL THEN NULL ELSE "
	              "json_build_object('lat', %s, 'lon', %s) END",
	              fl_buf_str(&la), fl_buf_str(&lo), fl_buf_str(&la),
	              fl_buf_str(&lo));
	fl_buf_done(&la);
	fl_buf_done(&lo);
}

/* A constant as a typed JSON literal ('42'::json), or NULL. */
static void
dv_const(struct fl_docsql_gen *g, const struct fl_field *f)
{
	struct fl_buf j;

	if (!f->value || f->value->kind == FL_VAL_NULL) {
		fl_docsql_puts(g, "NULL");
		return;
	}
	fl_buf_init(&j, FL_DOCSQL_MAX_SQL);
	fl_val_to_json(f->value, &j);
	fl_docsql_val_literal(g->q, fl_buf_str(&j));
	fl_docsql_puts(g, "::json");
	fl_buf_done(&j);
}

/* One filter condition on "alias" (columns of `table`). */
static void
dv_cond(struct fl_docsql_gen *g, const struct fl_filter *f, const char *table,
        const char *alias)
{
	const struct fl_dbcat_col *c;
	const char *type;
	size_t i;

	if (f->kind == FL_FILTER_RAW) {
		fl_docsql_puts(g, f->raw);
		return;
	}
	c = fl_docsql_col(g, table, f->column);
	type = c ? c->type : "text";
	fl_docsql_qcol(g, alias, f->column);
	fl_buf_printf(g->q, " %s", fl_filter_op_sql(f->op));
	if (f->kind == FL_FILTER_NULL_CHECK)
		return;
	if (f->op == FL_OP_BETWEEN && f->nvalues == 2) {
		fl_buf_printf(g->q, " $%zu::%s",
		              fl_docsql_param(g, f->values[0]), type);
		fl_buf_printf(g->q, " AND $%zu::%s",
		              fl_docsql_param(g, f->values[1]), type);
	} else if (f->op == FL_OP_IN || f->op == FL_OP_NOT_IN) {
		fl_docsql_puts(g, " (");
		for (i = 0; i < f->nvalues; i++)
			fl_buf_printf(g->q, "%s$%zu::%s", i ? ", " : "",
			              fl_docsql_param(g, f->values[i]), type);
		fl_docsql_puts(g, ")");
	} else if (f->nvalues >= 1) {
		fl_buf_printf(g->q, " $%zu::%s",
		              fl_docsql_param(g, f->values[0]), type);
	}
}

/* " AND (<cond>)" per filter. */
void
fl_docsql_val_filters(struct fl_docsql_gen *g, const struct fl_filters *fs,
                      const char *table, const char *alias)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		fl_docsql_puts(g, " AND (");
		dv_cond(g, &fs->v[i], table, alias);
		fl_docsql_puts(g, ")");
	}
}

/* A column, two-column geo or constant leaf. */
void
fl_docsql_val_leaf(struct fl_docsql_gen *g, const struct fl_field *f,
                   const char *table, const char *alias)
{
	if (f->kind == FL_FIELD_GEO)
		dv_geo(g, f, table, alias);
	else if (f->kind == FL_FIELD_CONST)
		dv_const(g, f);
	else
		dv_column(g, f, table, alias);
}

/* An aggregate's result x over a column of type c, rendered. */
void
fl_docsql_val_agg(struct fl_docsql_gen *g, const struct fl_dbcat_col *c,
                  const char *x)
{
	dv_wrap(g, c && c->category != 'A' ? dv_render_of(c->base) : DV_R_NONE,
	        x);
}
