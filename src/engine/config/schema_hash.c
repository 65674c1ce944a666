/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema_hash.c - the canonical JSON of a normalised schema and its FNV-1a 64
 * content hash (config.md §6.1). The layout is a compatibility contract
 * documented in schema_hash.h.
 *
 * The canonical form is built as an fl_val tree (maps keep their keys
 * sorted bytewise) and rendered by fl_val_to_json, which implements the
 * canonical JSON rules.
 */
#include "config/schema_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

/* Canonical JSON of a schema stays far below this; hitting it is a bug. */
#define HASH_JSON_MAX ((size_t)1 << 30)

static const char *const hash_join_kinds[] = { "belongs_to", "has_one",
	                                       "has_many", "many_to_many" };
static const char *const hash_agg_ops[] = { "count", "sum", "avg",
	                                    "min",   "max", "ids" };

static void
hash_set_str(struct fl_val *m, const char *key, const char *s)
{
	fl_val_map_set(m, key, fl_val_new_str(s));
}

static void
hash_set_bool(struct fl_val *m, const char *key, int b)
{
	struct fl_val *v = fl_val_new(FL_VAL_BOOL);

	v->b = !!b;
	fl_val_map_set(m, key, v);
}

static void
hash_set_int(struct fl_val *m, const char *key, long long i)
{
	struct fl_val *v = fl_val_new(FL_VAL_INT);

	v->i = i;
	fl_val_map_set(m, key, v);
}

/* m[key] = [s...], omitted when n == 0. */
static void
hash_set_strs(struct fl_val *m, const char *key, char *const *s, size_t n)
{
	struct fl_val *l;
	size_t i;

	if (n == 0)
		return;
	l = fl_val_new(FL_VAL_LIST);
	for (i = 0; i < n; i++)
		fl_val_list_push(l, fl_val_new_str(s[i]));
	fl_val_map_set(m, key, l);
}

static struct fl_val *
hash_filter(const struct fl_filter *f)
{
	struct fl_val *m = fl_val_new(FL_VAL_MAP);

	if (f->kind == FL_FILTER_RAW) {
		hash_set_str(m, "raw", f->raw);
		return m;
	}
	hash_set_str(m, "column", f->column);
	hash_set_str(m, "op", fl_filter_op_name(f->op));
	if (f->kind == FL_FILTER_NULL_CHECK)
		return m;
	if (f->op == FL_OP_IN || f->op == FL_OP_NOT_IN ||
	    f->op == FL_OP_BETWEEN) {
		struct fl_val *l = fl_val_new(FL_VAL_LIST);
		size_t i;

		for (i = 0; i < f->nvalues; i++)
			fl_val_list_push(l, fl_val_new_str(f->values[i]));
		fl_val_map_set(m, "value", l);
	} else if (f->nvalues > 0) {
		hash_set_str(m, "value", f->values[0]);
	}
	return m;
}

/* m[key] = [filter...], omitted when empty. */
static void
hash_set_filters(struct fl_val *m, const char *key, const struct fl_filters *fs)
{
	struct fl_val *l;
	size_t i;

	if (fs->n == 0)
		return;
	l = fl_val_new(FL_VAL_LIST);
	for (i = 0; i < fs->n; i++)
		fl_val_list_push(l, hash_filter(&fs->v[i]));
	fl_val_map_set(m, key, l);
}

static void
hash_set_through(struct fl_val *m, const struct fl_through *t)
{
	struct fl_val *v = fl_val_new(FL_VAL_MAP);

	hash_set_str(v, "table", t->table);
	hash_set_str(v, "left_key", t->left_key);
	hash_set_str(v, "right_key", t->right_key);
	fl_val_map_set(m, "through", v);
}

static struct fl_val *hash_fields(const struct fl_fields *fs);

static void
hash_column(struct fl_val *m, const struct fl_field *f)
{
	static const char *const tr[] = { "lowercase", "trim" };
	size_t i;

	hash_set_str(m, "column", f->col.column);
	hash_set_str(m, "type", fl_ftype_name(f->col.type));
	hash_set_bool(m, "required", f->col.required);
	if (f->col.ntransforms) {
		struct fl_val *l = fl_val_new(FL_VAL_LIST);

		for (i = 0; i < f->col.ntransforms; i++)
			fl_val_list_push(
			    l, fl_val_new_str(tr[f->col.transforms[i]]));
		fl_val_map_set(m, "transforms", l);
	}
	if (f->col.def)
		fl_val_map_set(m, "default", fl_val_copy(f->col.def));
	hash_set_strs(m, "variants", f->col.variants, f->col.nvariants);
	if (f->col.type == FL_T_CUSTOM) {
		hash_set_strs(m, "postgres", f->col.pg_types, f->col.npg_types);
		hash_set_str(m, "opensearch", f->col.os_type);
	}
	if (f->col.type == FL_T_MAP)
		hash_set_str(m, "values", fl_ftype_name(f->col.map_values));
}

static void
hash_join(struct fl_val *m, const struct fl_field *f)
{
	size_t i;

	hash_set_str(m, "join", hash_join_kinds[f->join.kind]);
	hash_set_str(m, "table", f->join.table);
	hash_set_str(m, "primary_key", f->join.primary_key);
	if (f->join.kind == FL_JOIN_BELONGS_TO)
		hash_set_str(m, "column", f->join.key);
	else if (f->join.kind == FL_JOIN_MANY_TO_MANY)
		hash_set_through(m, &f->join.through);
	else
		hash_set_str(m, "foreign_key", f->join.key);
	if (f->join.has_required)
		hash_set_bool(m, "required", f->join.required);
	hash_set_filters(m, "filters", &f->join.filters);
	if (f->join.norder_by) {
		struct fl_val *l = fl_val_new(FL_VAL_LIST);

		for (i = 0; i < f->join.norder_by; i++) {
			struct fl_val *o = fl_val_new(FL_VAL_MAP);

			hash_set_str(o, "column", f->join.order_by[i].column);
			hash_set_str(o, "direction",
			             f->join.order_by[i].desc ? "desc" : "asc");
			fl_val_list_push(l, o);
		}
		fl_val_map_set(m, "order_by", l);
	}
	if (f->join.limit > 0)
		hash_set_int(m, "limit", f->join.limit);
	fl_val_map_set(m, "fields", hash_fields(&f->children));
}

static void
hash_agg(struct fl_val *m, const struct fl_field *f)
{
	hash_set_str(m, "op", hash_agg_ops[f->agg.op]);
	hash_set_str(m, "table", f->agg.table);
	if (f->agg.column)
		hash_set_str(m, "column", f->agg.column);
	if (f->agg.through.table)
		hash_set_through(m, &f->agg.through);
	else
		hash_set_str(m, "foreign_key", f->agg.foreign_key);
	if (f->agg.has_value_type)
		hash_set_str(m, "value_type", fl_ftype_name(f->agg.value_type));
	if (f->agg.has_element_type)
		hash_set_str(m, "element_type",
		             fl_ftype_name(f->agg.element_type));
	hash_set_filters(m, "filters", &f->agg.filters);
}

static struct fl_val *
hash_field(const struct fl_field *f)
{
	static const char *const kinds[] = {
		"column", "geo", "object", "join", "aggregate", "constant"
	};
	struct fl_val *m = fl_val_new(FL_VAL_MAP);

	hash_set_str(m, "name", f->name);
	hash_set_str(m, "kind", kinds[f->kind]);
	if (f->options && f->options->n)
		fl_val_map_set(m, "options", fl_val_copy(f->options));
	switch (f->kind) {
	case FL_FIELD_COLUMN:
		hash_column(m, f);
		break;
	case FL_FIELD_GEO:
		hash_set_str(m, "lat", f->geo.lat);
		hash_set_str(m, "lon", f->geo.lon);
		hash_set_bool(m, "required", f->geo.required);
		break;
	case FL_FIELD_OBJECT:
		fl_val_map_set(m, "fields", hash_fields(&f->children));
		break;
	case FL_FIELD_JOIN:
		hash_join(m, f);
		break;
	case FL_FIELD_AGG:
		hash_agg(m, f);
		break;
	case FL_FIELD_CONST:
		fl_val_map_set(m, "value",
		               f->value ? fl_val_copy(f->value)
		                        : fl_val_new(FL_VAL_NULL));
		break;
	}
	return m;
}

static struct fl_val *
hash_fields(const struct fl_fields *fs)
{
	struct fl_val *l = fl_val_new(FL_VAL_LIST);
	size_t i;

	for (i = 0; i < fs->n; i++)
		fl_val_list_push(l, hash_field(&fs->v[i]));
	return l;
}

/* The canonical tree of the whole schema; caller frees. */
static struct fl_val *
hash_tree(const struct fl_schema *s)
{
	struct fl_val *m = fl_val_new(FL_VAL_MAP);

	hash_set_int(m, "version", s->version);
	hash_set_str(m, "table", s->table);
	hash_set_str(m, "db_schema", s->db_schema ? s->db_schema : "public");
	if (s->primary_key)
		hash_set_str(m, "primary_key", s->primary_key);
	if (s->soft_delete) {
		struct fl_val *sd = fl_val_new(FL_VAL_MAP);

		hash_set_str(sd, "column", s->soft_delete->column);
		if (s->soft_delete->by_field)
			hash_set_str(sd, "field", s->soft_delete->field);
		hash_set_filters(sd, "when", &s->soft_delete->when);
		fl_val_map_set(m, "soft_delete", sd);
	}
	hash_set_filters(m, "filters", &s->filters);
	fl_val_map_set(m, "fields", hash_fields(&s->fields));
	return m;
}

char *
fl_hash_canonical(const struct fl_schema *s)
{
	struct fl_val *t = hash_tree(s);
	struct fl_buf b;
	int rc;

	fl_buf_init(&b, HASH_JSON_MAX);
	rc = fl_val_to_json(t, &b);
	fl_val_free(t);
	FL_ASSERT(rc == 0);
	return fl_buf_steal(&b);
}

uint64_t
fl_hash_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

void
fl_hash_schema(const struct fl_schema *s, char out[17])
{
	char prefix[64];
	char *json = fl_hash_canonical(s);
	int n = snprintf(prefix, sizeof(prefix), "flusso-schema-hash/%d\n",
	                 FL_HASH_SCHEME_VERSION);
	uint64_t h = fl_hash_fnv1a64(FL_HASH_FNV_BASIS, prefix, (size_t)n);

	h = fl_hash_fnv1a64(h, json, strlen(json));
	free(json);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}
