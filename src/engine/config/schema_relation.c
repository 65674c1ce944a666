/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema_relation.c - joins (belongs_to, has_one, has_many, many_to_many) and
 * aggregates (count, sum, avg, min, max, ids): their key siblings and the
 * rules of config.md §3.3, §3.10 and §3.11.
 *
 * Join sibling errors come in the order the spec fixes: the key sibling,
 * then order_by/limit, then required.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema_int.h"
#include "util/xmem.h"

static const char *const join_verbs[] = { "belongs_to", "has_one", "has_many",
	                                  "many_to_many" };
static const char *const agg_ops[] = { "count", "sum", "avg",
	                               "min",   "max", "ids" };

/* What each verb's key sibling is, for hints. */
static const char *
rel_key_hint(enum fl_join_kind k)
{
	switch (k) {
	case FL_JOIN_BELONGS_TO:
		return "`column` — this table's column pointing at the related "
		       "row (defaults to the field name)";
	case FL_JOIN_HAS_ONE:
	case FL_JOIN_HAS_MANY:
		return "`foreign_key` — the related table's column pointing "
		       "back at this row";
	case FL_JOIN_MANY_TO_MANY:
		return "`through` — the junction table and its two keys";
	}
	return "";
}

static const char *const through_keys[] = { "table", "left_key", "right_key" };

static int
rel_through(struct fl_yread *r, const struct fl_ynode *m, struct fl_through *t)
{
	const struct fl_ynode *v = fl_ynode_get(m, "through");
	size_t mark = fl_yread_push(r, "through");
	int rc = 0;

	if (!fl_yread_is_map(r, v, "a mapping {table, left_key, right_key}")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	if (fl_yread_check_keys(r, v, through_keys, 3))
		rc = -1;
	if (fl_yread_ident(r, v, "table", 1, "table name", &t->table) < 0)
		rc = -1;
	if (fl_yread_ident(r, v, "left_key", 1, "column name", &t->left_key) <
	    0)
		rc = -1;
	if (fl_yread_ident(r, v, "right_key", 1, "column name", &t->right_key) <
	    0)
		rc = -1;
	fl_yread_pop(r, mark);
	return rc;
}

/* A key the verb does not take: name the one it does. */
static int
rel_wrong_key(struct fl_yread *r, const struct fl_ynode *m, const char *key,
              enum fl_join_kind k)
{
	return fl_yread_key_error(r, fl_ynode_get(m, key), key,
	                          "`%s` join does not take `%s`; it takes %s",
	                          join_verbs[k], key, rel_key_hint(k));
}

static int
rel_join_key(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	enum fl_join_kind k = f->join.kind;
	static const char *const keys[] = { "column", "foreign_key",
		                            "through" };
	const char *takes = k == FL_JOIN_BELONGS_TO     ? "column"
	                    : k == FL_JOIN_MANY_TO_MANY ? "through"
	                                                : "foreign_key";
	size_t i;
	int rc = 0;

	for (i = 0; i < FL_ARRAY_LEN(keys); i++)
		if (strcmp(keys[i], takes) != 0 && fl_ynode_get(m, keys[i]))
			rc = rel_wrong_key(r, m, keys[i], k);
	if (!fl_ynode_get(m, takes) && k != FL_JOIN_BELONGS_TO)
		return fl_yread_error(r, m,
		                      "`%s` join is missing its key: it takes "
		                      "%s",
		                      join_verbs[k], rel_key_hint(k));
	if (k == FL_JOIN_MANY_TO_MANY)
		return rel_through(r, m, &f->join.through) < 0 ? -1 : rc;
	if (fl_yread_ident(r, m, takes, 0, "column name", &f->join.key) < 0)
		return -1;
	if (!f->join.key)
		f->join.key = fl_ident_normalize(f->name, strlen(f->name));
	return rc;
}

static int
rel_join_shape(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	enum fl_join_kind k = f->join.kind;
	int to_one = k == FL_JOIN_BELONGS_TO || k == FL_JOIN_HAS_ONE;
	const struct fl_ynode *v;
	size_t mark;
	int rc = 0;

	if ((v = fl_ynode_get(m, "order_by"))) {
		if (k == FL_JOIN_BELONGS_TO) {
			rc = fl_yread_key_error(
			    r, v, "order_by",
			    "`belongs_to` join does not take "
			    "`order_by` (a to-one join picks "
			    "a single row)");
		} else {
			mark = fl_yread_push(r, "order_by");
			f->join.order_by_written = 1;
			if (fl_schema_conv_order_by(r, v, &f->join.order_by,
			                            &f->join.norder_by) < 0)
				rc = -1;
			fl_yread_pop(r, mark);
		}
	}
	if ((v = fl_ynode_get(m, "limit"))) {
		if (to_one)
			rc =
			    fl_yread_key_error(r, v, "limit",
			                       "`%s` join does not take "
			                       "`limit` (a to-one join picks a "
			                       "single row)",
			                       join_verbs[k]);
		else if (fl_yread_long(r, m, "limit", 0, 1, LONG_MAX,
		                       &f->join.limit) < 0)
			rc = -1;
	}
	if ((v = fl_ynode_get(m, "required"))) {
		if (!to_one)
			rc = fl_yread_key_error(
			    r, v, "required",
			    "`%s` join does not take "
			    "`required` (a to-many join is "
			    "never null, it is an empty list)",
			    join_verbs[k]);
		else if (fl_yread_bool(r, m, "required", 0, &f->join.required) <
		         0)
			rc = -1;
		else
			f->join.has_required = 1;
	}
	return rc;
}

int
fl_schema_conv_join(struct fl_yread *r, const struct fl_ynode *m,
                    enum fl_join_kind kind, struct fl_field *f)
{
	const struct fl_ynode *v;
	size_t mark;
	int rc = 0;

	f->kind = FL_FIELD_JOIN;
	f->join.kind = kind;
	if (rel_join_key(r, m, f) < 0)
		rc = -1;
	if (rel_join_shape(r, m, f) < 0)
		rc = -1;
	if (fl_yread_ident(r, m, "table", 1, "table name", &f->join.table) < 0)
		rc = -1;
	if (fl_yread_ident(r, m, "primary_key", 1, "column name",
	                   &f->join.primary_key) < 0)
		rc = -1;
	if (fl_schema_conv_options(r, m, f) < 0)
		rc = -1;
	if ((v = fl_ynode_get(m, "filters"))) {
		mark = fl_yread_push(r, "filters");
		if (fl_schema_conv_filters(r, v, &f->join.filters) < 0)
			rc = -1;
		fl_yread_pop(r, mark);
	}
	v = fl_ynode_get(m, "fields");
	if (!v)
		return fl_yread_error(r, m, "missing key `fields`");
	mark = fl_yread_push(r, "fields");
	if (fl_schema_conv_fields(r, v, &f->children, 0) < 0)
		rc = -1;
	fl_yread_pop(r, mark);
	return rc;
}

/* value_type / element_type: one of the 16 scalar names. */
static int
rel_type_name(struct fl_yread *r, const struct fl_ynode *m, const char *key,
              enum fl_agg_op op, enum fl_ftype *out)
{
	char *name = NULL;
	int rc = fl_yread_str(r, m, key, 1, &name);

	if (rc < 0)
		return -1;
	if (strcmp(name, "geo_point") == 0 || strcmp(name, "geo") == 0 ||
	    strcmp(name, "custom") == 0)
		rc = fl_yread_key_error(
		    r, fl_ynode_get(m, key), key,
		    "aggregate op '%s' `%s` must be a scalar "
		    "type — `geo_point` and `custom` are not "
		    "valid",
		    agg_ops[op], key);
	else if (fl_ftype_parse(name, out) < 0)
		rc = fl_yread_key_error(
		    r, fl_ynode_get(m, key), key,
		    "`%s` must be one of: text, identifier, keyword, enum, "
		    "uuid, boolean, short, integer, long, float, double, "
		    "decimal, date, timestamp, binary, json (found `%s`)",
		    key, name);
	free(name);
	return rc;
}

static int
rel_agg_column(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	enum fl_agg_op op = f->agg.op;
	const struct fl_ynode *v = fl_ynode_get(m, "column");

	if (op == FL_AGG_COUNT) {
		if (v)
			fl_yread_warn(r, v,
			              "`count` ignores `column`; remove it");
		return 0;
	}
	if (op == FL_AGG_IDS)
		return v ? fl_yread_key_error(
		               r, v, "column",
		               "aggregate op 'ids' does not take "
		               "`column` (it collects the "
		               "aggregated table's keys)")
		         : 0;
	if (!v)
		return fl_yread_error(
		    r, m, "aggregate op '%s' requires a `column`", agg_ops[op]);
	return fl_yread_ident(r, m, "column", 1, "column name", &f->agg.column);
}

static int
rel_agg_types(struct fl_yread *r, const struct fl_ynode *m, struct fl_field *f)
{
	enum fl_agg_op op = f->agg.op;
	const struct fl_ynode *vt = fl_ynode_get(m, "value_type");
	const struct fl_ynode *et = fl_ynode_get(m, "element_type");
	int rc = 0;

	if (et && op != FL_AGG_IDS)
		rc =
		    fl_yread_key_error(r, et, "element_type",
		                       "aggregate does not take `element_type` "
		                       "(only `ids` does)");
	if (op == FL_AGG_IDS) {
		if (vt)
			rc = fl_yread_key_error(r, vt, "value_type",
			                        "aggregate op 'ids' does not "
			                        "take `value_type`; use "
			                        "`element_type`");
		if (!et)
			return fl_yread_error(r, m,
			                      "aggregate op 'ids' requires an "
			                      "`element_type` (`long` or "
			                      "`keyword`)");
		if (rel_type_name(r, m, "element_type", op,
		                  &f->agg.element_type) < 0)
			return -1;
		f->agg.has_element_type = 1;
		return rc;
	}
	if (op == FL_AGG_COUNT || op == FL_AGG_AVG) {
		if (vt)
			fl_yread_warn(
			    r, vt,
			    "`%s` ignores `value_type` (its result is "
			    "a %s); remove it",
			    agg_ops[op],
			    op == FL_AGG_COUNT ? "long" : "double");
		return rc;
	}
	if (!vt)
		return fl_yread_error(
		    r, m,
		    "aggregate op '%s' requires a `value_type` "
		    "(its result mirrors the column)",
		    agg_ops[op]);
	if (rel_type_name(r, m, "value_type", op, &f->agg.value_type) < 0)
		return -1;
	f->agg.has_value_type = 1;
	return rc;
}

int
fl_schema_conv_agg(struct fl_yread *r, const struct fl_ynode *m,
                   enum fl_agg_op op, struct fl_field *f)
{
	const struct fl_ynode *v;
	size_t mark;
	int rc = 0;

	f->kind = FL_FIELD_AGG;
	f->agg.op = op;
	if (fl_yread_ident(r, m, "table", 1, "table name", &f->agg.table) < 0)
		rc = -1;
	if (!fl_ynode_get(m, "foreign_key") == !fl_ynode_get(m, "through"))
		rc = fl_yread_error(
		    r, m,
		    "aggregate must specify either `foreign_key` "
		    "or `through`, not both or neither");
	else if (fl_ynode_get(m, "through"))
		rc |= rel_through(r, m, &f->agg.through);
	else if (fl_yread_ident(r, m, "foreign_key", 1, "column name",
	                        &f->agg.foreign_key) < 0)
		rc = -1;
	if (rel_agg_column(r, m, f) < 0)
		rc = -1;
	if (rel_agg_types(r, m, f) < 0)
		rc = -1;
	if (fl_schema_conv_options(r, m, f) < 0)
		rc = -1;
	if ((v = fl_ynode_get(m, "filters"))) {
		mark = fl_yread_push(r, "filters");
		if (fl_schema_conv_filters(r, v, &f->agg.filters) < 0)
			rc = -1;
		fl_yread_pop(r, mark);
	}
	return rc < 0 ? -1 : 0;
}
