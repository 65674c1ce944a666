/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema_field.c - the "type-first" field grammar of config.md §3.2-3.12:
 * one type tag per field, the sibling matrix of §3.3, leaves, objects,
 * joins, aggregates and constants, with our load-time rules (§3.18).
 *
 * Each field reports every problem it has (with position and key path
 * "fields[3].has_many orders.limit") and conversion goes on with the next
 * field, so a user sees all problems of a file at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema_int.h"
#include "util/strutil.h"
#include "util/xmem.h"

enum fam {
	FAM_SCALAR,
	FAM_ENUM,
	FAM_CUSTOM,
	FAM_GEO,
	FAM_MAP,
	FAM_OBJECT,
	FAM_JOIN,
	FAM_AGG,
	FAM_CONST,
};

/* Known siblings per family. Keys the grammar knows but the tag does not
 * take (the ✗ cells of §3.3) are listed too and rejected with a hint. */
static const char *const sib_scalar[] = { "required", "column", "options",
	                                  "transforms", "default" };
static const char *const sib_enum[] = { "required",   "column",  "options",
	                                "transforms", "default", "variants" };
static const char *const sib_custom[] = {
	"required", "column", "options", "default", "postgres", "opensearch"
};
static const char *const sib_geo[] = { "required", "column", "options", "lat",
	                               "lon" };
static const char *const sib_map[] = { "required", "column", "options",
	                               "values" };
static const char *const sib_object[] = { "options", "fields" };
static const char *const sib_join[] = {
	"required",    "column",  "options", "fields",   "table", "primary_key",
	"foreign_key", "through", "filters", "order_by", "limit",
};
static const char *const sib_agg[] = {
	"column",  "options", "table",      "foreign_key",
	"through", "filters", "value_type", "element_type",
};
static const char *const sib_const[] = { "value" };

struct tag {
	const char *name;
	enum fam fam;
	int sub; /* ftype, join kind or agg op */
};

static const struct tag tags[] = {
	{ "text", FAM_SCALAR, FL_T_TEXT },
	{ "identifier", FAM_SCALAR, FL_T_IDENTIFIER },
	{ "keyword", FAM_SCALAR, FL_T_KEYWORD },
	{ "enum", FAM_ENUM, FL_T_ENUM },
	{ "uuid", FAM_SCALAR, FL_T_UUID },
	{ "boolean", FAM_SCALAR, FL_T_BOOLEAN },
	{ "short", FAM_SCALAR, FL_T_SHORT },
	{ "integer", FAM_SCALAR, FL_T_INTEGER },
	{ "long", FAM_SCALAR, FL_T_LONG },
	{ "float", FAM_SCALAR, FL_T_FLOAT },
	{ "double", FAM_SCALAR, FL_T_DOUBLE },
	{ "decimal", FAM_SCALAR, FL_T_DECIMAL },
	{ "date", FAM_SCALAR, FL_T_DATE },
	{ "timestamp", FAM_SCALAR, FL_T_TIMESTAMP },
	{ "binary", FAM_SCALAR, FL_T_BINARY },
	{ "json", FAM_SCALAR, FL_T_JSON },
	{ "custom", FAM_CUSTOM, FL_T_CUSTOM },
	{ "geo", FAM_GEO, FL_T_GEO_POINT },
	{ "map", FAM_MAP, FL_T_MAP },
	{ "object", FAM_OBJECT, 0 },
	{ "belongs_to", FAM_JOIN, FL_JOIN_BELONGS_TO },
	{ "has_one", FAM_JOIN, FL_JOIN_HAS_ONE },
	{ "has_many", FAM_JOIN, FL_JOIN_HAS_MANY },
	{ "many_to_many", FAM_JOIN, FL_JOIN_MANY_TO_MANY },
	{ "count", FAM_AGG, FL_AGG_COUNT },
	{ "sum", FAM_AGG, FL_AGG_SUM },
	{ "avg", FAM_AGG, FL_AGG_AVG },
	{ "min", FAM_AGG, FL_AGG_MIN },
	{ "max", FAM_AGG, FL_AGG_MAX },
	{ "ids", FAM_AGG, FL_AGG_IDS },
	{ "constant", FAM_CONST, 0 },
};

static const char *const metadata_names[] = {
	"_id",          "_index",   "_source",    "_routing",
	"_field_names", "_ignored", "_seq_no",    "_primary_term",
	"_version",     "_type",    "_doc_count", "_size",
};

static const struct tag *
field_tag_find(const char *name)
{
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(tags); i++)
		if (strcmp(tags[i].name, name) == 0)
			return &tags[i];
	return NULL;
}

static void
field_siblings(enum fam fam, const char *const **keys, size_t *n)
{
#define SIB(a)                        \
	do {                          \
		*keys = a;            \
		*n = FL_ARRAY_LEN(a); \
	} while (0)
	switch (fam) {
	case FAM_SCALAR:
		SIB(sib_scalar);
		break;
	case FAM_ENUM:
		SIB(sib_enum);
		break;
	case FAM_CUSTOM:
		SIB(sib_custom);
		break;
	case FAM_GEO:
		SIB(sib_geo);
		break;
	case FAM_MAP:
		SIB(sib_map);
		break;
	case FAM_OBJECT:
		SIB(sib_object);
		break;
	case FAM_JOIN:
		SIB(sib_join);
		break;
	case FAM_AGG:
		SIB(sib_agg);
		break;
	case FAM_CONST:
		SIB(sib_const);
		break;
	}
#undef SIB
}

/* Reject any key of `m` that is neither the tag nor a known sibling. */
static int
field_check_siblings(struct fl_yread *r, const struct fl_ynode *m,
                     const struct tag *t)
{
	const char *allowed[16];
	const char *const *sib = NULL;
	size_t n = 0, i;

	field_siblings(t->fam, &sib, &n);
	allowed[0] = t->name;
	for (i = 0; i < n; i++)
		allowed[i + 1] = sib[i];
	return fl_yread_check_keys(r, m, allowed, n + 1) ? -1 : 0;
}

/* Find the single type tag of field mapping `m`. */
static const struct tag *
field_find_tag(struct fl_yread *r, const struct fl_ynode *m)
{
	const struct tag *found = NULL, *t;
	const char *names[FL_ARRAY_LEN(tags)];
	char keys[256] = "";
	size_t i, len = 0;

	for (i = 0; i < FL_ARRAY_LEN(tags); i++)
		names[i] = tags[i].name;
	for (i = 0; i < m->u.map.n; i++) {
		const char *k = m->u.map.pairs[i].key->u.s.text;

		t = field_tag_find(k);
		if (!t) {
			int w = snprintf(keys + len, sizeof(keys) - len, "%s%s",
			                 len ? ", " : "", k);

			if (w > 0 && (size_t)w < sizeof(keys) - len)
				len += (size_t)w;
			continue;
		}
		if (found) {
			fl_yread_error(r, m->u.map.pairs[i].key,
			               "field has more than one type tag: `%s` "
			               "and `%s`",
			               found->name, t->name);
			return NULL;
		}
		found = t;
	}
	if (found)
		return found;
	for (i = 0; i < m->u.map.n; i++) {
		const char *k = m->u.map.pairs[i].key->u.s.text;
		const char *hint =
		    fl_str_suggest(k, names, FL_ARRAY_LEN(names), 2);

		if (hint) {
			fl_yread_error(
			    r, m->u.map.pairs[i].key,
			    "field is missing a type tag: unknown key "
			    "`%s` — did you mean `%s`?",
			    k, hint);
			return NULL;
		}
	}
	fl_yread_error(r, m,
	               "field is missing a type tag (this field has keys: %s); "
	               "expected one of: a scalar type like `keyword` or "
	               "`long`, a join (`belongs_to`, `has_one`, `has_many`, "
	               "`many_to_many`), an aggregate (`count`, `sum`, `avg`, "
	               "`min`, `max`, `ids`), `object`, `geo`, `map`, `custom` "
	               "or `constant`",
	               len ? keys : "none");
	return NULL;
}

/* The field name: the tag's value, trimmed, ^[a-zA-Z_][a-zA-Z0-9_]*$. */
static char *
field_name(struct fl_yread *r, const struct fl_ynode *m, const struct tag *t)
{
	const struct fl_ynode *v = fl_ynode_get(m, t->name);
	char found[96];
	char *name;

	if (v->kind != FL_YNODE_SCALAR || v->u.s.type != FL_YSCALAR_STR) {
		fl_yread_found(v, found, sizeof(found));
		fl_yread_error(r, v,
		               "`%s` names the field: expected a field name, "
		               "found %s",
		               t->name, found);
		return NULL;
	}
	name = fl_trim_dup(v->u.s.text, v->u.s.len);
	if (!fl_field_name_ok(name)) {
		fl_yread_error(r, v,
		               "invalid field name `%s`: use letters, digits "
		               "and `_`, starting with a letter or `_`, at "
		               "most 63 characters",
		               name);
		free(name);
		return NULL;
	}
	return name;
}

/* ---- leaves ------------------------------------------------------------ */

int
fl_schema_conv_options(struct fl_yread *r, const struct fl_ynode *m,
                       struct fl_field *f)
{
	const struct fl_ynode *o = fl_ynode_get(m, "options");
	size_t mark;
	int ok;

	if (!o)
		return 0;
	mark = fl_yread_push(r, "options");
	ok = fl_yread_is_map(r, o, "a mapping of OpenSearch property options");
	fl_yread_pop(r, mark);
	if (!ok)
		return -1;
	f->options = fl_val_from_ynode(o);
	return 0;
}

/* Set options[key] = value unless one of `unless` keys is present. */
static void
field_inject(struct fl_field *f, const char *key, struct fl_val *v,
             const char *unless1, const char *unless2)
{
	if (!f->options)
		f->options = fl_val_new(FL_VAL_MAP);
	if ((unless1 && fl_val_get(f->options, unless1)) ||
	    (unless2 && fl_val_get(f->options, unless2))) {
		fl_val_free(v);
		return;
	}
	fl_val_map_set(f->options, key, v);
}

static int
field_transforms(struct fl_yread *r, const struct fl_ynode *m,
                 struct fl_field *f)
{
	const struct fl_ynode *v = fl_ynode_get(m, "transforms");
	size_t mark, i;
	int rc = 0;

	if (!v)
		return 0;
	mark = fl_yread_push(r, "transforms");
	if (!fl_ftype_is_string(f->col.type)) {
		rc = fl_yread_error(r, v,
		                    "`transforms` apply to string fields only "
		                    "(text, identifier, keyword, enum), not "
		                    "`%s`",
		                    f->tag);
	} else if (fl_yread_is_seq(r, v, "a list of transforms") &&
	           v->u.seq.n <= FL_ARRAY_LEN(f->col.transforms)) {
		for (i = 0; i < v->u.seq.n; i++) {
			const char *t = fl_yread_text(v->u.seq.items[i]);

			if (t && strcmp(t, "lowercase") == 0)
				f->col.transforms[f->col.ntransforms++] =
				    FL_TR_LOWERCASE;
			else if (t && strcmp(t, "trim") == 0)
				f->col.transforms[f->col.ntransforms++] =
				    FL_TR_TRIM;
			else
				rc = fl_yread_error(r, v->u.seq.items[i],
				                    "unknown transform `%s`; "
				                    "expected `lowercase` or "
				                    "`trim`",
				                    t ? t : "(not a string)");
		}
	} else {
		rc = -1;
		if (v->kind == FL_YNODE_SEQ)
			fl_yread_error(r, v, "too many transforms");
	}
	fl_yread_pop(r, mark);
	return rc;
}

static int
field_default(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	const struct fl_ynode *v = fl_ynode_get(m, "default");

	if (!v)
		return 0;
	if (v->kind != FL_YNODE_SCALAR)
		return fl_yread_key_error(r, v, "default",
		                          "a `default` must be a scalar value "
		                          "(string, number, bool, or date) — a "
		                          "`%s` default is not supported",
		                          v->kind == FL_YNODE_SEQ ? "list"
		                                                  : "mapping");
	if (v->u.s.type == FL_YSCALAR_NULL)
		return 0;
	f->col.def = fl_val_from_ynode(v);
	return 0;
}

/* Does s contain a control character (line breaks included) or a NUL? */
static int
field_has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

static int
field_variants(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	const struct fl_ynode *v = fl_ynode_get(m, "variants");
	size_t mark, i, j;
	int rc = 0;

	if (!v)
		return 0;
	mark = fl_yread_push(r, "variants");
	if (!fl_yread_is_seq(r, v, "a list of strings (in rank order)")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	f->col.variants = fl_xcalloc(v->u.seq.n, sizeof(char *));
	for (i = 0; i < v->u.seq.n; i++) {
		const struct fl_ynode *it = v->u.seq.items[i];
		char found[96];
		const char *s;

		if (it->kind != FL_YNODE_SCALAR ||
		    it->u.s.type != FL_YSCALAR_STR) {
			fl_yread_found(it, found, sizeof(found));
			rc = fl_yread_error(r, it,
			                    "an `enum` variant must be a "
			                    "string, found %s",
			                    found);
			continue;
		}
		s = it->u.s.text;
		if (strspn(s, " \t") == strlen(s) || strstr(s, "=>") ||
		    field_has_control(s, it->u.s.len)) {
			rc = fl_yread_error(r, it,
			                    "the `enum` variant `%s` is not "
			                    "allowed: variants must be "
			                    "non-blank and contain neither "
			                    "`=>` nor a line break or other "
			                    "control character",
			                    s);
			continue;
		}
		for (j = 0; j < f->col.nvariants; j++)
			if (strcmp(f->col.variants[j], s) == 0)
				break;
		if (j < f->col.nvariants) {
			rc = fl_yread_error(r, it,
			                    "an `enum` field lists the variant "
			                    "`%s` more than once",
			                    s);
			continue;
		}
		f->col.variants[f->col.nvariants++] = fl_xstrdup(s);
	}
	fl_yread_pop(r, mark);
	return rc;
}

/* Normalise a PostgreSQL type name (trim, drop [], cut at '(', lower). */
static char *
field_pg_type_norm(const char *s)
{
	char *t = fl_trim_dup(s, strlen(s));
	size_t n = strlen(t), i;
	char *p;

	if (n >= 2 && strcmp(t + n - 2, "[]") == 0)
		t[n - 2] = '\0';
	if ((p = strchr(t, '(')))
		*p = '\0';
	for (i = 0; t[i]; i++)
		t[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
	p = fl_trim_dup(t, strlen(t));
	free(t);
	return p;
}

static int
field_custom(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	const struct fl_ynode *v = fl_ynode_get(m, "postgres");
	size_t i, mark;
	int rc = 0;

	if (fl_yread_str(r, m, "opensearch", 1, &f->col.os_type) < 0)
		rc = -1;
	if (!v)
		return fl_yread_error(r, m, "missing key `postgres`");
	mark = fl_yread_push(r, "postgres");
	if (fl_yread_is_seq(r, v, "a list of PostgreSQL type names")) {
		f->col.pg_types = fl_xcalloc(v->u.seq.n, sizeof(char *));
		f->col.pg_raw = fl_xcalloc(v->u.seq.n, sizeof(char *));
		for (i = 0; i < v->u.seq.n; i++) {
			const struct fl_ynode *it = v->u.seq.items[i];

			if (it->kind != FL_YNODE_SCALAR ||
			    it->u.s.type != FL_YSCALAR_STR || !*it->u.s.text) {
				rc =
				    fl_yread_error(r, it,
				                   "expected a PostgreSQL type "
				                   "name");
				continue;
			}
			f->col.pg_raw[f->col.npg_types] =
			    fl_xstrdup(it->u.s.text);
			f->col.pg_types[f->col.npg_types++] =
			    field_pg_type_norm(it->u.s.text);
		}
		if (v->u.seq.n == 0)
			rc = fl_yread_error(
			    r, v, "list at least one PostgreSQL type");
	} else {
		rc = -1;
	}
	fl_yread_pop(r, mark);
	return rc;
}

static int
field_map_values(struct fl_yread *r, const struct fl_ynode *m,
                 struct fl_field *f)
{
	char *name = NULL;
	enum fl_ftype t;
	int rc = fl_yread_str(r, m, "values", 1, &name);

	if (rc < 0)
		return -1;
	if (fl_ftype_parse(name, &t) < 0 || t == FL_T_BOOLEAN ||
	    t == FL_T_BINARY || t == FL_T_JSON) {
		rc = fl_yread_key_error(
		    r, fl_ynode_get(m, "values"), "values",
		    "a `map` field's `values` must be a leaf type (text, "
		    "identifier, keyword, enum, uuid, short, integer, "
		    "long, float, double, decimal, date, timestamp) — "
		    "`%s` is not one",
		    name);
	} else {
		f->col.map_values = t;
	}
	free(name);
	return rc;
}

static int
field_geo(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	int has_lat = fl_ynode_get(m, "lat") != NULL;
	int has_lon = fl_ynode_get(m, "lon") != NULL;
	int has_col = fl_ynode_get(m, "column") != NULL;
	int rc = 0;

	if ((has_lat || has_lon) && !(has_lat && has_lon && !has_col))
		return fl_yread_error(r, m,
		                      "a `geo` field needs either both `lat` "
		                      "and `lon` (two columns) or a single "
		                      "`column` holding the point — not a mix");
	if (!has_lat) {
		f->kind = FL_FIELD_COLUMN;
		f->col.type = FL_T_GEO_POINT;
		return 0;
	}
	f->kind = FL_FIELD_GEO;
	f->geo.required = f->col.required;
	if (fl_yread_ident(r, m, "lat", 1, "column name", &f->geo.lat) < 0)
		rc = -1;
	if (fl_yread_ident(r, m, "lon", 1, "column name", &f->geo.lon) < 0)
		rc = -1;
	return rc;
}

/* A column-backed leaf: scalar, enum, custom, geo, map. */
static int
field_leaf(struct fl_yread *r, const struct fl_ynode *m, const struct tag *t,
           struct fl_field *f)
{
	int rc = 0;

	f->kind = FL_FIELD_COLUMN;
	f->col.type = (enum fl_ftype)t->sub;
	if (fl_yread_bool(r, m, "required", 1, &f->col.required) < 0)
		rc = -1;
	if (t->fam == FAM_GEO && field_geo(r, m, f) < 0)
		return -1;
	if (f->kind == FL_FIELD_COLUMN &&
	    fl_yread_ident(r, m, "column", 0, "column name", &f->col.column) <
	        0)
		rc = -1;
	if (f->kind == FL_FIELD_COLUMN && !f->col.column)
		f->col.column = fl_ident_normalize(f->name, strlen(f->name));
	if (field_transforms(r, m, f) < 0 || field_default(r, m, f) < 0)
		rc = -1;
	if (t->fam == FAM_ENUM && field_variants(r, m, f) < 0)
		rc = -1;
	if (t->fam == FAM_CUSTOM && field_custom(r, m, f) < 0)
		rc = -1;
	if (t->fam == FAM_MAP && field_map_values(r, m, f) < 0)
		rc = -1;
	if (fl_schema_conv_options(r, m, f) < 0)
		return -1;
	if (f->col.type == FL_T_IDENTIFIER)
		field_inject(f, "analyzer", fl_val_new_str("flusso_code"),
		             "analyzer", NULL);
	if (f->col.type == FL_T_JSON || f->col.type == FL_T_MAP) {
		struct fl_val *yes = fl_val_new(FL_VAL_BOOL);

		yes->b = 1;
		f->col.json_dynamic =
		    f->col.type == FL_T_JSON &&
		    !(f->options && (fl_val_get(f->options, "dynamic") ||
		                     fl_val_get(f->options, "enabled")));
		field_inject(f, "dynamic", yes, "dynamic",
		             f->col.type == FL_T_JSON ? "enabled" : NULL);
	}
	return rc;
}

static int
field_constant(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	const struct fl_ynode *v = fl_ynode_get(m, "value");

	f->kind = FL_FIELD_CONST;
	if (!v)
		return fl_yread_error(r, m, "missing key `value`");
	if (v->kind != FL_YNODE_SCALAR)
		return fl_yread_key_error(r, v, "value",
		                          "a `constant` must be a scalar "
		                          "(string, number, boolean or null), "
		                          "found %s",
		                          fl_ynode_describe(v));
	f->value = fl_val_from_ynode(v);
	return 0;
}

static int
field_object(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	const struct fl_ynode *fs = fl_ynode_get(m, "fields");
	int rc = fl_schema_conv_options(r, m, f);
	size_t mark;

	f->kind = FL_FIELD_OBJECT;
	if (!fs)
		return fl_yread_error(r, m, "missing key `fields`");
	mark = fl_yread_push(r, "fields");
	if (fl_schema_conv_fields(r, fs, &f->children, 0) < 0)
		rc = -1;
	fl_yread_pop(r, mark);
	return rc;
}

static int
field_convert(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	const struct tag *t;
	size_t mark;
	int rc = 0;

	f->at.line = m->line;
	f->at.col = m->col;
	if (!fl_yread_is_map(r, m, "a field mapping with one type tag"))
		return -1;
	if (!(t = field_find_tag(r, m)))
		return -1;
	f->tag = t->name;
	if (!(f->name = field_name(r, m, t)))
		return -1;
	mark = fl_yread_push(r, "%s %s", t->name, f->name);
	if (field_check_siblings(r, m, t) < 0)
		rc = -1;
	switch (t->fam) {
	case FAM_SCALAR:
	case FAM_ENUM:
	case FAM_CUSTOM:
	case FAM_GEO:
	case FAM_MAP:
		if (field_leaf(r, m, t, f) < 0)
			rc = -1;
		break;
	case FAM_OBJECT:
		if (field_object(r, m, f) < 0)
			rc = -1;
		break;
	case FAM_JOIN:
		if (fl_schema_conv_join(r, m, (enum fl_join_kind)t->sub, f) < 0)
			rc = -1;
		break;
	case FAM_AGG:
		if (fl_schema_conv_agg(r, m, (enum fl_agg_op)t->sub, f) < 0)
			rc = -1;
		break;
	case FAM_CONST:
		if (field_constant(r, m, f) < 0)
			rc = -1;
		break;
	}
	fl_yread_pop(r, mark);
	return rc;
}

int
fl_schema_conv_fields(struct fl_yread *r, const struct fl_ynode *seq,
                      struct fl_fields *out, int top_level)
{
	size_t i, j;
	int rc = 0;

	if (!fl_yread_is_seq(r, seq, "a list of fields"))
		return -1;
	out->v = fl_xcalloc(seq->u.seq.n, sizeof(*out->v));
	out->n = seq->u.seq.n;
	for (i = 0; i < seq->u.seq.n; i++) {
		struct fl_field *f = &out->v[i];
		size_t mark = fl_yread_push(r, "[%zu]", i);

		if (field_convert(r, seq->u.seq.items[i], f) < 0)
			rc = -1;
		for (j = 0; f->name && j < i; j++) {
			if (out->v[j].name &&
			    strcmp(out->v[j].name, f->name) == 0) {
				rc = fl_yread_error(
				    r, seq->u.seq.items[i],
				    "duplicate field name `%s` "
				    "(also fields[%zu]); sibling "
				    "fields become keys of one "
				    "JSON object",
				    f->name, j);
				break;
			}
		}
		for (j = 0;
		     top_level && f->name && j < FL_ARRAY_LEN(metadata_names);
		     j++)
			if (strcmp(f->name, metadata_names[j]) == 0)
				rc = fl_yread_error(
				    r, seq->u.seq.items[i],
				    "`%s` is an OpenSearch metadata field "
				    "and cannot be a document key",
				    f->name);
		fl_yread_pop(r, mark);
	}
	return rc;
}

void
fl_schema_fields_done(struct fl_fields *fs)
{
	size_t i, j;

	for (i = 0; i < fs->n; i++) {
		struct fl_field *f = &fs->v[i];

		free(f->name);
		fl_val_free(f->options);
		free(f->col.column);
		fl_val_free(f->col.def);
		for (j = 0; j < f->col.nvariants; j++)
			free(f->col.variants[j]);
		free(f->col.variants);
		for (j = 0; j < f->col.npg_types; j++) {
			free(f->col.pg_types[j]);
			free(f->col.pg_raw[j]);
		}
		free(f->col.pg_types);
		free(f->col.pg_raw);
		free(f->col.os_type);
		free(f->geo.lat);
		free(f->geo.lon);
		fl_schema_fields_done(&f->children);
		free(f->join.table);
		free(f->join.primary_key);
		free(f->join.key);
		free(f->join.through.table);
		free(f->join.through.left_key);
		free(f->join.through.right_key);
		fl_schema_filters_done(&f->join.filters);
		for (j = 0; j < f->join.norder_by; j++)
			free(f->join.order_by[j].column);
		free(f->join.order_by);
		free(f->agg.table);
		free(f->agg.column);
		free(f->agg.foreign_key);
		free(f->agg.through.table);
		free(f->agg.through.left_key);
		free(f->agg.through.right_key);
		fl_schema_filters_done(&f->agg.filters);
		fl_val_free(f->value);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
}
