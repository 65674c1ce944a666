/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema.c - loading one `*.schema.yml`: the root keys, filters, order_by,
 * soft delete, and the type vocabulary (config.md §3.1, §3.4, §3.13-3.16).
 * The field grammar is in schema_field.c.
 *
 * Every problem is reported with its position and key path; conversion
 * continues after an error so one run shows all of a file's problems.
 */
#include "config/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema_int.h"
#include "util/xmem.h"

static const char *const ftype_names[] = {
	"text",    "identifier", "keyword",   "enum",      "uuid",
	"boolean", "short",      "integer",   "long",      "float",
	"double",  "decimal",    "date",      "timestamp", "binary",
	"json",    "custom",     "geo_point", "map",
};

static const char *const ftype_os[] = {
	"text",    "text",   "keyword",   "keyword", "keyword",
	"boolean", "short",  "integer",   "long",    "float",
	"double",  "double", "date",      "date",    "binary",
	"object",  NULL,     "geo_point", "object",
};

const char *
fl_ftype_name(enum fl_ftype t)
{
	return (size_t)t < FL_ARRAY_LEN(ftype_names) ? ftype_names[t] : "?";
}

int
fl_ftype_parse(const char *name, enum fl_ftype *out)
{
	int i;

	for (i = 0; i < FL_T_NSCALAR; i++) {
		if (strcmp(ftype_names[i], name) == 0) {
			*out = (enum fl_ftype)i;
			return 0;
		}
	}
	return -1;
}

const char *
fl_ftype_os_type(enum fl_ftype t)
{
	return (size_t)t < FL_ARRAY_LEN(ftype_os) ? ftype_os[t] : NULL;
}

int
fl_ftype_is_string(enum fl_ftype t)
{
	return t == FL_T_TEXT || t == FL_T_IDENTIFIER || t == FL_T_KEYWORD ||
	       t == FL_T_ENUM;
}

static const char *const op_names[] = {
	"eq",    "neq", "lt",     "lte",     "gt",      "gte",         "like",
	"ilike", "in",  "not_in", "between", "is_null", "is_not_null",
};

static const char *const op_sql[] = {
	"=",     "<>", "<",      "<=",      ">",       ">=",          "LIKE",
	"ILIKE", "IN", "NOT IN", "BETWEEN", "IS NULL", "IS NOT NULL",
};

const char *
fl_filter_op_name(enum fl_filter_op op)
{
	return (size_t)op < FL_ARRAY_LEN(op_names) ? op_names[op] : "?";
}

const char *
fl_filter_op_sql(enum fl_filter_op op)
{
	return (size_t)op < FL_ARRAY_LEN(op_sql) ? op_sql[op] : "?";
}

/* ---- filters ---------------------------------------------------------- */

static const char *const filter_keys[] = { "raw", "column", "op", "value" };

/* Text of one filter value; NULL after reporting why it is unusable. */
static char *
filter_value_text(struct fl_yread *r, const struct fl_ynode *v,
                  const char *inside)
{
	char found[96];

	if (v->kind != FL_YNODE_SCALAR) {
		fl_yread_found(v, found, sizeof(found));
		fl_yread_error(r, v,
		               "filter values must be scalars (found %s inside "
		               "`%s`)",
		               found, inside);
		return NULL;
	}
	if (v->u.s.type == FL_YSCALAR_NULL) {
		fl_yread_error(r, v,
		               "filter value must not be null; use op is_null");
		return NULL;
	}
	if (v->u.s.type == FL_YSCALAR_BOOL)
		return fl_xstrdup(v->u.s.boolean ? "true" : "false");
	return fl_xstrndup(v->u.s.text, v->u.s.len);
}

static int
filter_value_list(struct fl_yread *r, const struct fl_ynode *v,
                  struct fl_filter *f)
{
	const char *opn = fl_filter_op_name(f->op);
	size_t i;
	int rc = 0;

	if (v->kind != FL_YNODE_SEQ)
		return fl_yread_key_error(r, v, "value",
		                          "filter op '%s' requires a sequence "
		                          "value",
		                          opn);
	if (f->op == FL_OP_BETWEEN && v->u.seq.n != 2)
		return fl_yread_key_error(r, v, "value",
		                          "filter op 'between' requires "
		                          "exactly 2 values, got %zu",
		                          v->u.seq.n);
	if (v->u.seq.n == 0)
		return fl_yread_key_error(
		    r, v, "value",
		    "filter op '%s' requires at least one "
		    "value",
		    opn);
	f->values = fl_xcalloc(v->u.seq.n, sizeof(*f->values));
	for (i = 0; i < v->u.seq.n; i++) {
		char *t = filter_value_text(r, v->u.seq.items[i], opn);

		if (!t) {
			rc = -1;
			continue;
		}
		f->values[f->nvalues++] = t;
	}
	return rc;
}

static int
filter_value(struct fl_yread *r, const struct fl_ynode *m, struct fl_filter *f)
{
	const struct fl_ynode *v = fl_ynode_get(m, "value");
	const char *opn = fl_filter_op_name(f->op);
	char found[96];

	if (f->op == FL_OP_IS_NULL || f->op == FL_OP_IS_NOT_NULL) {
		if (v)
			return fl_yread_key_error(
			    r, v, "value",
			    "filter op '%s' does not take "
			    "a value",
			    opn);
		f->kind = FL_FILTER_NULL_CHECK;
		return 0;
	}
	f->kind = FL_FILTER_VALUE;
	if (!v)
		return fl_yread_error(r, m, "filter op '%s' requires a value",
		                      opn);
	if (f->op == FL_OP_IN || f->op == FL_OP_NOT_IN ||
	    f->op == FL_OP_BETWEEN)
		return filter_value_list(r, v, f);
	if (v->kind != FL_YNODE_SCALAR) {
		fl_yread_found(v, found, sizeof(found));
		return fl_yread_key_error(r, v, "value",
		                          "filter op '%s' requires a scalar "
		                          "value, found %s",
		                          opn, found);
	}
	f->values = fl_xcalloc(1, sizeof(*f->values));
	f->values[0] = filter_value_text(r, v, opn);
	if (!f->values[0])
		return -1;
	f->nvalues = 1;
	return 0;
}

static int
filter_convert(struct fl_yread *r, const struct fl_ynode *m,
               struct fl_filter *f)
{
	char *opname = NULL, *raw;
	int rc = 0, i;

	f->at.line = m->line;
	f->at.col = m->col;
	if (!fl_yread_is_map(r, m, "a filter mapping"))
		return -1;
	if (fl_yread_check_keys(r, m, filter_keys, 4))
		rc = -1;
	if (fl_ynode_get(m, "raw")) {
		if (fl_ynode_get(m, "column") || fl_ynode_get(m, "op") ||
		    fl_ynode_get(m, "value"))
			return fl_yread_error(r, m,
			                      "a raw filter takes only `raw` "
			                      "(the whole condition as SQL)");
		f->kind = FL_FILTER_RAW;
		if (fl_yread_str(r, m, "raw", 1, &f->raw) < 0)
			return -1;
		raw = f->raw;
		f->raw = fl_trim_dup(raw, strlen(raw));
		free(raw);
		if (!*f->raw)
			return fl_yread_key_error(r, fl_ynode_get(m, "raw"),
			                          "raw",
			                          "a raw filter must not be "
			                          "empty");
		return rc;
	}
	if (fl_yread_ident(r, m, "column", 1, "column name", &f->column) < 0)
		rc = -1;
	if (fl_yread_str(r, m, "op", 1, &opname) < 0)
		return -1;
	for (i = 0; i < (int)FL_ARRAY_LEN(op_names); i++)
		if (strcmp(op_names[i], opname) == 0)
			break;
	if (i == (int)FL_ARRAY_LEN(op_names)) {
		fl_yread_key_error(
		    r, fl_ynode_get(m, "op"), "op",
		    "unknown filter op `%s`; expected one of: "
		    "eq, neq, lt, lte, gt, gte, like, ilike, in, "
		    "not_in, between, is_null, is_not_null",
		    opname);
		free(opname);
		return -1;
	}
	free(opname);
	f->op = (enum fl_filter_op)i;
	if (filter_value(r, m, f) < 0)
		rc = -1;
	return rc;
}

int
fl_schema_conv_filters(struct fl_yread *r, const struct fl_ynode *seq,
                       struct fl_filters *out)
{
	size_t i;
	int rc = 0;

	if (!fl_yread_is_seq(r, seq, "a list of filters"))
		return -1;
	out->written = 1;
	out->v = fl_xcalloc(seq->u.seq.n, sizeof(*out->v));
	out->n = seq->u.seq.n;
	for (i = 0; i < seq->u.seq.n; i++) {
		size_t mark = fl_yread_push(r, "[%zu]", i);

		if (filter_convert(r, seq->u.seq.items[i], &out->v[i]) < 0)
			rc = -1;
		fl_yread_pop(r, mark);
	}
	return rc;
}

void
fl_schema_filters_done(struct fl_filters *f)
{
	size_t i, j;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].raw);
		free(f->v[i].column);
		for (j = 0; j < f->v[i].nvalues; j++)
			free(f->v[i].values[j]);
		free(f->v[i].values);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
	f->written = 0;
}

/* ---- order_by ---------------------------------------------------------- */

static const char *const order_keys[] = { "column", "direction" };

int
fl_schema_conv_order_by(struct fl_yread *r, const struct fl_ynode *seq,
                        struct fl_order **out, size_t *n)
{
	size_t i;
	int rc = 0;

	if (!fl_yread_is_seq(r, seq, "a list of {column, direction}"))
		return -1;
	*out = fl_xcalloc(seq->u.seq.n, sizeof(**out));
	*n = seq->u.seq.n;
	for (i = 0; i < seq->u.seq.n; i++) {
		const struct fl_ynode *m = seq->u.seq.items[i];
		size_t mark = fl_yread_push(r, "[%zu]", i);
		char *dir = NULL;

		if (!fl_yread_is_map(r, m, "a mapping {column, direction}")) {
			rc = -1;
		} else {
			if (fl_yread_check_keys(r, m, order_keys, 2))
				rc = -1;
			if (fl_yread_ident(r, m, "column", 1, "column name",
			                   &(*out)[i].column) < 0)
				rc = -1;
			if (fl_yread_str(r, m, "direction", 0, &dir) < 0)
				rc = -1;
			(*out)[i].dir_written = dir != NULL;
			if (dir && strcmp(dir, "desc") == 0)
				(*out)[i].desc = 1;
			else if (dir && strcmp(dir, "asc") != 0)
				rc = fl_yread_key_error(
				    r, fl_ynode_get(m, "direction"),
				    "direction",
				    "unknown direction `%s`; expected "
				    "`asc` or `desc`",
				    dir);
			free(dir);
		}
		fl_yread_pop(r, mark);
	}
	return rc;
}

/* ---- soft delete --------------------------------------------------------- */

static const char *const soft_keys[] = { "column", "field", "when" };

/* The root column behind field `name` (top level or inside objects). */
static const char *
schema_find_column_field(const struct fl_fields *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct fl_field *f = &fs->v[i];
		const char *c;

		if (!f->name) /* a field that failed conversion */
			continue;
		if (f->kind == FL_FIELD_COLUMN && f->col.column &&
		    strcmp(f->name, name) == 0)
			return f->col.column;
		if (f->kind == FL_FIELD_OBJECT &&
		    (c = schema_find_column_field(&f->children, name)))
			return c;
	}
	return NULL;
}

static int
schema_soft_delete(struct fl_yread *r, const struct fl_ynode *m,
                   struct fl_schema *s)
{
	struct fl_soft_delete *sd;
	const struct fl_ynode *when;
	size_t mark;
	int rc = 0;

	if (!fl_yread_is_map(r, m, "a mapping with `column` or `field`"))
		return -1;
	sd = s->soft_delete = fl_xcalloc(1, sizeof(*sd));
	if (fl_yread_check_keys(r, m, soft_keys, 3))
		rc = -1;
	if (!fl_ynode_get(m, "column") == !fl_ynode_get(m, "field"))
		return fl_yread_error(r, m,
		                      "`soft_delete` takes exactly one of "
		                      "`column` or `field`");
	if (fl_ynode_get(m, "column")) {
		if (fl_yread_ident(r, m, "column", 1, "column name",
		                   &sd->column) < 0)
			rc = -1;
	} else {
		sd->by_field = 1;
		if (fl_yread_str(r, m, "field", 1, &sd->field) < 0) {
			rc = -1;
		} else {
			const char *c =
			    schema_find_column_field(&s->fields, sd->field);

			if (!c)
				rc = fl_yread_key_error(
				    r, fl_ynode_get(m, "field"), "field",
				    "`soft_delete.field` `%s` does not "
				    "name a column field of the root row "
				    "(top level or inside an `object`)",
				    sd->field);
			else
				sd->column = fl_xstrdup(c);
		}
	}
	when = fl_ynode_get(m, "when");
	if (when) {
		mark = fl_yread_push(r, "when");
		if (fl_schema_conv_filters(r, when, &sd->when) < 0)
			rc = -1;
		fl_yread_pop(r, mark);
	}
	return rc;
}

/* ---- root -------------------------------------------------------------- */

static const char *const root_keys[] = {
	"version", "table",       "schema",  "primary_key",
	"doc_id",  "soft_delete", "filters", "fields",
};

static int
schema_root(struct fl_yread *r, const struct fl_ynode *root,
            struct fl_schema *s)
{
	const struct fl_ynode *n;
	size_t mark;
	long version = 0;
	int rc = 0;

	if (!root)
		return fl_yread_error(r, NULL,
		                      "empty schema file: expected `version`, "
		                      "`table` and `fields`");
	if (!fl_yread_is_map(r, root, "a mapping (the schema)"))
		return -1;
	if (fl_yread_check_keys(r, root, root_keys, FL_ARRAY_LEN(root_keys)))
		rc = -1;
	if ((n = fl_ynode_get(root, "doc_id")))
		rc = fl_yread_key_error(r, n, "doc_id",
		                        "`doc_id` is not supported; the "
		                        "document id is the root "
		                        "`primary_key`");
	n = fl_ynode_get(root, "version");
	if (!n) {
		rc = fl_yread_error(r, root, "missing key `version`");
	} else if (n->kind == FL_YNODE_SCALAR &&
	           n->u.s.type == FL_YSCALAR_INT && n->u.s.ival != 1) {
		rc = fl_yread_key_error(r, n, "version",
		                        "unsupported schema version %s; "
		                        "supported versions: 1",
		                        n->u.s.text);
	} else if (fl_yread_long(r, root, "version", 1, 1, 1, &version) < 0) {
		rc = -1;
	}
	s->version = 1;
	if (fl_yread_ident(r, root, "table", 1, "table name", &s->table) < 0)
		rc = -1;
	if (fl_yread_ident(r, root, "schema", 0, "database schema name",
	                   &s->db_schema) < 0)
		rc = -1;
	if (!s->db_schema)
		s->db_schema = fl_xstrdup("public");
	if (fl_yread_ident(r, root, "primary_key", 0, "column name",
	                   &s->primary_key) < 0)
		rc = -1;
	n = fl_ynode_get(root, "fields");
	if (!n) {
		rc = fl_yread_error(r, root, "missing key `fields`");
	} else {
		mark = fl_yread_push(r, "fields");
		if (fl_schema_conv_fields(r, n, &s->fields, 1) < 0)
			rc = -1;
		fl_yread_pop(r, mark);
	}
	if ((n = fl_ynode_get(root, "filters"))) {
		mark = fl_yread_push(r, "filters");
		if (fl_schema_conv_filters(r, n, &s->filters) < 0)
			rc = -1;
		fl_yread_pop(r, mark);
	}
	if ((n = fl_ynode_get(root, "soft_delete"))) {
		mark = fl_yread_push(r, "soft_delete");
		if (schema_soft_delete(r, n, s) < 0)
			rc = -1;
		fl_yread_pop(r, mark);
	}
	if (!s->primary_key && fl_schema_has_relations(s))
		rc = fl_yread_error(r, root,
		                    "this schema has joins or aggregates, so "
		                    "the root table needs a `primary_key` "
		                    "(the single key column relations "
		                    "correlate on)");
	return rc;
}

static int
schema_fields_have_relations(const struct fl_fields *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		if (fs->v[i].kind == FL_FIELD_JOIN ||
		    fs->v[i].kind == FL_FIELD_AGG)
			return 1;
		if (fs->v[i].kind == FL_FIELD_OBJECT &&
		    schema_fields_have_relations(&fs->v[i].children))
			return 1;
	}
	return 0;
}

int
fl_schema_has_relations(const struct fl_schema *s)
{
	return schema_fields_have_relations(&s->fields);
}

static struct fl_schema *
schema_from_doc(struct fl_ydoc *doc, const char *display,
                struct fl_diags *diags)
{
	struct fl_schema *s = fl_xcalloc(1, sizeof(*s));
	size_t before = diags->nerrors;
	struct fl_yread r;

	s->file = fl_xstrdup(display);
	fl_yread_init(&r, diags, s->file);
	schema_root(&r, fl_ydoc_root(doc), s);
	fl_ydoc_free(doc);
	if (diags->nerrors > before) {
		fl_schema_free(s);
		return NULL;
	}
	return s;
}

/* Turn a ydoc load error ("file:line:col: msg") into a diagnostic. */
static void
schema_ydoc_error(struct fl_diags *diags, const struct fl_err *err)
{
	fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0, 0, NULL, "%s", err->msg);
}

struct fl_schema *
fl_schema_load(const char *path, const char *display, struct fl_diags *diags)
{
	struct fl_err err;
	struct fl_ydoc *doc = fl_ydoc_load_file(path, display, &err);

	if (!doc) {
		schema_ydoc_error(diags, &err);
		return NULL;
	}
	return schema_from_doc(doc, display ? display : path, diags);
}

struct fl_schema *
fl_schema_load_mem(const char *data, size_t len, const char *display,
                   struct fl_diags *diags)
{
	struct fl_err err;
	struct fl_ydoc *doc = fl_ydoc_load_mem(data, len, display, &err);

	if (!doc) {
		schema_ydoc_error(diags, &err);
		return NULL;
	}
	return schema_from_doc(doc, display, diags);
}

void
fl_schema_free(struct fl_schema *s)
{
	if (!s)
		return;
	free(s->file);
	free(s->table);
	free(s->db_schema);
	free(s->primary_key);
	if (s->soft_delete) {
		free(s->soft_delete->field);
		free(s->soft_delete->column);
		fl_schema_filters_done(&s->soft_delete->when);
		free(s->soft_delete);
	}
	fl_schema_filters_done(&s->filters);
	fl_schema_fields_done(&s->fields);
	free(s);
}
