/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema.h - the normalised model of one `*.schema.yml` (config.md §3, §4):
 * a root table, its fields (columns, objects, joins, aggregates, constants),
 * root filters and soft delete, with every default applied and every
 * identifier lowercased.
 *
 * Owns: the model types, loading one schema file (parse + convert with
 * every load-time rule of config.md §3 and §3.18), and the type
 * vocabulary of §3.4. Does not own: the OpenSearch body (mapping.c), the
 * hash (schema_hash.c), database checks (pg_check.c).
 */
#ifndef FL_SCHEMA_H
#define FL_SCHEMA_H

#include <stddef.h>

#include "config/value.h"
#include "util/diagnostics.h"

/* The 16 scalar type names, then the special leaf types. */
enum fl_ftype {
	FL_T_TEXT,
	FL_T_IDENTIFIER,
	FL_T_KEYWORD,
	FL_T_ENUM,
	FL_T_UUID,
	FL_T_BOOLEAN,
	FL_T_SHORT,
	FL_T_INTEGER,
	FL_T_LONG,
	FL_T_FLOAT,
	FL_T_DOUBLE,
	FL_T_DECIMAL,
	FL_T_DATE,
	FL_T_TIMESTAMP,
	FL_T_BINARY,
	FL_T_JSON,
	FL_T_NSCALAR, /* count of the scalar names above */
	FL_T_CUSTOM = FL_T_NSCALAR,
	FL_T_GEO_POINT,
	FL_T_MAP,
};

/* "text", ..., "json", "custom", "geo_point", "map". */
const char *fl_ftype_name(enum fl_ftype t);
/* One of the 16 scalar names; -1 if not one. */
int fl_ftype_parse(const char *name, enum fl_ftype *out);
/* OpenSearch type of a scalar/geo/map type (custom: caller's os name). */
const char *fl_ftype_os_type(enum fl_ftype t);
/* Is it a string tag (transforms allowed)? text identifier keyword enum */
int fl_ftype_is_string(enum fl_ftype t);

enum fl_field_kind {
	FL_FIELD_COLUMN, /* scalar, enum, custom, single-column geo, map */
	FL_FIELD_GEO,    /* two-column geo (lat + lon) */
	FL_FIELD_OBJECT, /* same-row sub-object */
	FL_FIELD_JOIN,
	FL_FIELD_AGG,
	FL_FIELD_CONST,
};

enum fl_join_kind {
	FL_JOIN_BELONGS_TO,
	FL_JOIN_HAS_ONE,
	FL_JOIN_HAS_MANY,
	FL_JOIN_MANY_TO_MANY,
};

enum fl_agg_op {
	FL_AGG_COUNT,
	FL_AGG_SUM,
	FL_AGG_AVG,
	FL_AGG_MIN,
	FL_AGG_MAX,
	FL_AGG_IDS,
};

enum fl_transform {
	FL_TR_LOWERCASE,
	FL_TR_TRIM,
};

enum fl_filter_kind {
	FL_FILTER_RAW,
	FL_FILTER_NULL_CHECK,
	FL_FILTER_VALUE,
};

enum fl_filter_op {
	FL_OP_EQ,
	FL_OP_NEQ,
	FL_OP_LT,
	FL_OP_LTE,
	FL_OP_GT,
	FL_OP_GTE,
	FL_OP_LIKE,
	FL_OP_ILIKE,
	FL_OP_IN,
	FL_OP_NOT_IN,
	FL_OP_BETWEEN,
	FL_OP_IS_NULL,
	FL_OP_IS_NOT_NULL,
};

/* "eq", "=" ... */
const char *fl_filter_op_name(enum fl_filter_op op);
const char *fl_filter_op_sql(enum fl_filter_op op);

struct fl_filter {
	enum fl_filter_kind kind;
	char *raw;    /* RAW: trimmed SQL */
	char *column; /* NULL_CHECK, VALUE */
	enum fl_filter_op op;
	char **values; /* VALUE: texts; 1 (scalar ops), n (in), 2 (between) */
	size_t nvalues;
	struct fl_pos at;
};

struct fl_filters {
	struct fl_filter *v;
	size_t n;
	int written; /* the key was present (`filters: []` is not absent) */
};

struct fl_order {
	char *column;
	int desc;
	int dir_written; /* `direction:` was present */
};

struct fl_through {
	char *table;
	char *left_key;
	char *right_key;
};

struct fl_field;

struct fl_fields {
	struct fl_field *v;
	size_t n;
};

struct fl_field {
	enum fl_field_kind kind;
	char *name;             /* document key, case preserved */
	const char *tag;        /* the type tag as written ("keyword") */
	struct fl_val *options; /* FL_VAL_MAP with sorted keys, or NULL */
	struct fl_pos at;       /* position of the field's list item */

	/* FL_FIELD_COLUMN */
	struct {
		char *column; /* defaulted: field name lowercased */
		enum fl_ftype type;
		int required;
		enum fl_transform transforms[8];
		size_t ntransforms;
		struct fl_val *def; /* scalar default or NULL */
		char **variants;    /* enum */
		size_t nvariants;
		char **pg_types; /* custom: normalised `postgres` names */
		char **pg_raw;   /* custom: the same, as written */
		size_t npg_types;
		char *os_type;            /* custom: `opensearch` */
		enum fl_ftype map_values; /* map */
		int json_dynamic;         /* json: `dynamic: true` injected */
	} col;

	/* FL_FIELD_GEO (two columns) */
	struct {
		char *lat, *lon;
		int required;
	} geo;

	/* FL_FIELD_OBJECT and FL_FIELD_JOIN children */
	struct fl_fields children;

	/* FL_FIELD_JOIN */
	struct {
		enum fl_join_kind kind;
		char *table;
		char *primary_key; /* the related table's key */
		char *key;         /* belongs_to: column; has_*: foreign_key */
		struct fl_through through; /* many_to_many */
		int has_required, required;
		struct fl_filters filters;
		struct fl_order *order_by;
		size_t norder_by;
		int order_by_written; /* `order_by:` was present */
		long limit;           /* 0 = none */
	} join;

	/* FL_FIELD_AGG */
	struct {
		enum fl_agg_op op;
		char *table;
		char *column;              /* sum avg min max */
		char *foreign_key;         /* direct form, or NULL */
		struct fl_through through; /* through form (table != NULL) */
		int has_value_type;
		enum fl_ftype value_type;
		int has_element_type;
		enum fl_ftype element_type;
		struct fl_filters filters;
	} agg;

	/* FL_FIELD_CONST */
	struct fl_val *value;
};

struct fl_soft_delete {
	int by_field; /* written as `field:` */
	char *field;  /* by_field: the field name */
	char *column; /* resolved root column */
	struct fl_filters when;
};

struct fl_schema {
	char *file; /* path as shown in messages */
	int version;
	char *table;
	char *db_schema;   /* defaulted to "public" */
	char *primary_key; /* NULL when not declared */
	struct fl_soft_delete *soft_delete;
	struct fl_filters filters;
	struct fl_fields fields;
};

/*
 * Load and convert one schema file. `display` is the path used in
 * messages. Every problem goes into `diags` (errors and warnings, each
 * with file:line:column and key path); returns NULL when there was at
 * least one error.
 */
struct fl_schema *fl_schema_load(const char *path, const char *display,
                                 struct fl_diags *diags);
/* Same from memory (tests, fuzzing). */
struct fl_schema *fl_schema_load_mem(const char *data, size_t len,
                                     const char *display,
                                     struct fl_diags *diags);
void fl_schema_free(struct fl_schema *s);

/* Does the schema have any join or aggregate (at any depth)? */
int fl_schema_has_relations(const struct fl_schema *s);

#endif
