/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_doc_sql.c - the document SQL of source.md §13 without a database:
 * the exact strings of §18.1 in our batch form (`= ANY($1::T[])`, keys
 * as one array, operands from $2), typed constants, the value wrappers
 * of §14.2, the key-scan statements of §16.3, errors for what the
 * catalog lacks, and a property test over random nested schemas
 * (generation never fails; parentheses balance; placeholders are
 * exactly $1..$n with n = 1 + the operand count; double quotes even).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "docs/doc_sql.h"
#include "source/pg_catalog.h"
#include "tap.h"
#include "util/buf.h"
#include "util/xmem.h"

/* ---- fixtures ----------------------------------------------------------- */

static void
t_col(struct fl_dbcat *c, const char *t, const char *col, const char *type,
      const char *base, char cat, int pk)
{
	fl_dbcat_add(c, "public", t, col, type, base, NULL, cat, pk, pk);
}

/* The catalog of the §18.1 examples. */
static void
t_catalog(struct fl_dbcat *c)
{
	fl_dbcat_init(c);
	t_col(c, "users", "id", "bigint", "int8", 'N', 1);
	t_col(c, "users", "email", "text", "text", 'S', 0);
	t_col(c, "users", "status", "text", "text", 'S', 0);
	t_col(c, "users", "org_id", "bigint", "int8", 'N', 0);
	t_col(c, "users", "deleted_at", "timestamp with time zone",
	      "timestamptz", 'D', 0);
	t_col(c, "users", "archived", "boolean", "bool", 'B', 0);
	t_col(c, "users", "mood", "mood", "", 'E', 0);
	t_col(c, "users", "price", "numeric(12,2)", "numeric", 'N', 0);
	t_col(c, "users", "score", "double precision", "float8", 'N', 0);
	t_col(c, "users", "cash", "money", "money", 'N', 0);
	t_col(c, "users", "pic", "bytea", "bytea", 'U', 0);
	t_col(c, "users", "born", "date", "date", 'D', 0);
	t_col(c, "users", "seen", "timestamp without time zone", "timestamp",
	      'D', 0);
	t_col(c, "users", "lat", "double precision", "float8", 'N', 0);
	t_col(c, "users", "lon", "double precision", "float8", 'N', 0);
	t_col(c, "users", "ilat", "integer", "int4", 'N', 0);
	t_col(c, "users", "ilon", "integer", "int4", 'N', 0);
	fl_dbcat_add(c, "public", "users", "amounts", "numeric[]", "_numeric",
	             "numeric", 'A', 0, 0);
	fl_dbcat_add(c, "public", "users", "nums", "integer[]", "_int4", "int4",
	             'A', 0, 0);
	t_col(c, "orders", "id", "bigint", "int8", 'N', 1);
	t_col(c, "orders", "user_id", "bigint", "int8", 'N', 0);
	t_col(c, "orders", "created_at", "timestamp with time zone",
	      "timestamptz", 'D', 0);
	t_col(c, "orders", "total", "numeric", "numeric", 'N', 0);
	t_col(c, "orders", "status", "character varying(16)", "varchar", 'S',
	      0);
	t_col(c, "orgs", "id", "bigint", "int8", 'N', 1);
	t_col(c, "orgs", "name", "text", "text", 'S', 0);
	t_col(c, "tags", "id", "integer", "int4", 'N', 1);
	t_col(c, "tags", "name", "text", "text", 'S', 0);
	t_col(c, "post_tags", "post_id", "bigint", "int8", 'N', 0);
	t_col(c, "post_tags", "tag_id", "integer", "int4", 'N', 0);
	t_col(c, "accounts", "id", "uuid", "uuid", 'U', 1);
	t_col(c, "accounts", "email", "text", "text", 'S', 0);
}

struct t_gen {
	struct fl_schema *s;
	struct fl_docsql q;
	int rc;
	struct fl_err err;
};

/* Load `yaml` and generate its SQL against `cat`. */
static void
t_gen(struct t_gen *g, const struct fl_dbcat *cat, const char *yaml)
{
	struct fl_diags d;
	size_t i;

	memset(g, 0, sizeof(*g));
	fl_diags_init(&d);
	g->s = fl_schema_load_mem(yaml, strlen(yaml), "t.schema.yml", &d);
	for (i = 0; i < d.n; i++) {
		char *m = fl_diag_format(&d.v[i]);

		printf("# %s\n", m);
		free(m);
	}
	fl_diags_done(&d);
	g->rc = g->s ? fl_docsql_gen(g->s, cat, &g->q, &g->err) : -1;
	if (g->rc < 0 && g->s)
		printf("# gen: %s\n", g->err.msg);
}

static void
t_gen_done(struct t_gen *g)
{
	fl_docsql_done(&g->q);
	fl_schema_free(g->s);
}

static size_t
t_count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while (p && (p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

#define HEAD "version: 1\ntable: users\nprimary_key: id\n"

/* ---- §18.1 exact strings, our form -------------------------------------- */

TAP_TEST(test_columns_only)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD "fields:\n  - long: id\n    required: true\n"
	           "  - keyword: email\n    required: true\n");
	is_str(g.q.sql,
	       "SELECT \"root\".\"id\"::text AS \"doc_key\", "
	       "json_build_object('id', \"root\".\"id\", 'email', "
	       "\"root\".\"email\") AS \"document\" FROM \"public\".\"users\" "
	       "AS \"root\" WHERE \"root\".\"id\" = ANY($1::bigint[])",
	       "columns only: the batch statement, keys as one array");
	is_long((long)g.q.nparams, 0, "no operands beyond the key array");
	is_str(g.q.key, "id", "root key");
	is_str(g.q.key_type, "bigint", "root key type");
	is_str(g.q.scan_first,
	       "SELECT \"id\"::text AS \"key\" FROM \"public\".\"users\" ORDER "
	       "BY \"id\" LIMIT $1",
	       "key scan: first page (aliased: ORDER BY the column, not its "
	       "text)");
	is_str(g.q.scan_next,
	       "SELECT \"id\"::text AS \"key\" FROM \"public\".\"users\" WHERE "
	       "\"id\" > $2::bigint ORDER BY \"id\" LIMIT $1",
	       "key scan: next page casts the last key");
	is_str(g.q.regclass, "\"public\".\"users\"", "regclass text");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_uuid_key)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      "version: 1\ntable: accounts\nfields:\n  - uuid: id\n"
	      "    required: true\n");
	has_str(g.q.sql, "WHERE \"root\".\"id\" = ANY($1::uuid[])",
	        "a uuid key casts the array to uuid[]");
	has_str(g.q.sql, "SELECT \"root\".\"id\"::text AS \"doc_key\"",
	        "catalog primary key used when none is declared");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_root_filters)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD "filters:\n  - { column: status, op: eq, value: active }\n"
	           "  - { raw: \"email <> ''\" }\n"
	           "fields:\n  - long: id\n    required: true\n");
	is_str(g.q.sql,
	       "SELECT \"root\".\"id\"::text AS \"doc_key\", "
	       "json_build_object('id', \"root\".\"id\") AS \"document\" FROM "
	       "\"public\".\"users\" AS \"root\" WHERE \"root\".\"id\" = "
	       "ANY($1::bigint[]) AND (\"root\".\"status\" = $2::text) AND "
	       "(email <> '')",
	       "root filters fold into the WHERE after the key");
	is_long((long)g.q.nparams, 1, "one operand");
	is_str(g.q.nparams ? g.q.params[0] : NULL, "active", "$2 = active");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_has_many_order_limit)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD "fields:\n  - long: id\n    required: true\n"
	           "  - has_many: orders\n    table: orders\n"
	           "    foreign_key: user_id\n    primary_key: id\n"
	           "    order_by: [{ column: created_at, direction: desc }]\n"
	           "    limit: 5\n    fields:\n      - long: id\n"
	           "        required: true\n");
	has_str(
	    g.q.sql,
	    "'orders', (SELECT coalesce(json_agg(json_build_object('id', "
	    "\"rel1\".\"id\") ORDER BY \"rel1\".\"created_at\" DESC, "
	    "\"rel1\".\"id\" ASC), "
	    "'[]'::json) FROM (SELECT \"rel2\".* FROM \"public\".\"orders\" "
	    "AS \"rel2\" WHERE \"rel2\".\"user_id\" = \"root\".\"id\" ORDER "
	    "BY \"rel2\".\"created_at\" DESC, \"rel2\".\"id\" ASC LIMIT 5) AS "
	    "\"rel1\")",
	    "derived alias rel1, inner alias rel2, order inside and in the "
	    "aggregate");
	t_gen_done(&g);
	t_gen(&g, &cat,
	      HEAD "fields:\n  - has_many: orders\n    table: orders\n"
	           "    foreign_key: user_id\n    primary_key: id\n"
	           "    order_by: [{ column: id }]\n    fields: []\n");
	has_str(
	    g.q.sql,
	    "json_build_object('orders', (SELECT coalesce(json_agg("
	    "json_build_object() ORDER BY \"rel1\".\"id\" ASC), '[]'::json) "
	    "FROM \"public\".\"orders\" AS \"rel1\" WHERE "
	    "\"rel1\".\"user_id\" = \"root\".\"id\"))",
	    "without a limit the aggregate reads the table directly");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_belongs_to_has_one)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD "fields:\n  - belongs_to: org\n    table: orgs\n"
	           "    column: org_id\n    primary_key: id\n"
	           "    filters: [{ column: name, op: like, value: 'A%' }]\n"
	           "    fields:\n      - text: name\n        required: true\n"
	           "  - has_one: last\n    table: orders\n"
	           "    foreign_key: user_id\n    primary_key: id\n"
	           "    order_by: [{ column: created_at, direction: desc }]\n"
	           "    fields: []\n");
	has_str(g.q.sql,
	        "'org', (SELECT json_build_object('name', \"rel1\".\"name\") "
	        "FROM \"public\".\"orgs\" AS \"rel1\" WHERE \"rel1\".\"id\" = "
	        "\"root\".\"org_id\" AND (\"rel1\".\"name\" LIKE $2::text) "
	        "LIMIT 1)",
	        "belongs_to correlates on the parent column");
	has_str(
	    g.q.sql,
	    "'last', (SELECT json_build_object() FROM "
	    "\"public\".\"orders\" AS \"rel2\" WHERE \"rel2\".\"user_id\" = "
	    "\"root\".\"id\" ORDER BY \"rel2\".\"created_at\" DESC, "
	    "\"rel2\".\"id\" ASC LIMIT 1)",
	    "has_one: ordered, one row");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_aggregates)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD "fields:\n"
	           "  - count: n\n    table: orders\n    foreign_key: user_id\n"
	           "  - ids: orderIds\n    table: orders\n"
	           "    foreign_key: user_id\n    element_type: long\n"
	           "  - ids: tagIds\n    table: tags\n"
	           "    through: { table: post_tags, left_key: post_id, "
	           "right_key: tag_id }\n    element_type: long\n"
	           "  - ids: redTags\n    table: tags\n"
	           "    through: { table: post_tags, left_key: post_id, "
	           "right_key: tag_id }\n    element_type: long\n"
	           "    filters: [{ column: name, op: eq, value: red }]\n"
	           "  - count: nTags\n    table: tags\n"
	           "    through: { table: post_tags, left_key: post_id, "
	           "right_key: tag_id }\n"
	           "  - sum: spent\n    table: orders\n    column: total\n"
	           "    value_type: decimal\n    foreign_key: user_id\n"
	           "  - max: last\n    table: orders\n    column: created_at\n"
	           "    value_type: timestamp\n    foreign_key: user_id\n");
	has_str(g.q.sql,
	        "'n', (SELECT count(*) FROM \"public\".\"orders\" AS \"rel1\" "
	        "WHERE \"rel1\".\"user_id\" = \"root\".\"id\")",
	        "count");
	has_str(g.q.sql,
	        "'orderIds', (SELECT coalesce(json_agg(\"rel2\".\"id\" ORDER "
	        "BY \"rel2\".\"id\"), "
	        "'[]'::json) FROM \"public\".\"orders\" AS \"rel2\" WHERE "
	        "\"rel2\".\"user_id\" = \"root\".\"id\")",
	        "ids direct collects the catalog key");
	has_str(g.q.sql,
	        "'tagIds', (SELECT coalesce(json_agg(\"rel3\".\"tag_id\" ORDER "
	        "BY \"rel3\".\"tag_id\"), "
	        "'[]'::json) FROM \"public\".\"post_tags\" AS \"rel3\" WHERE "
	        "\"rel3\".\"post_id\" = \"root\".\"id\")",
	        "ids through without filters: the junction only");
	has_str(g.q.sql,
	        "'redTags', (SELECT coalesce(json_agg(\"rel4\".\"tag_id\" "
	        "ORDER BY \"rel4\".\"tag_id\"), "
	        "'[]'::json) FROM \"public\".\"post_tags\" AS \"rel4\" JOIN "
	        "\"public\".\"tags\" AS \"rel5\" ON \"rel5\".\"id\" = "
	        "\"rel4\".\"tag_id\" WHERE \"rel4\".\"post_id\" = "
	        "\"root\".\"id\" AND (\"rel5\".\"name\" = $2::text))",
	        "ids through with filters joins the far table (ours)");
	has_str(
	    g.q.sql,
	    "'nTags', (SELECT count(*) FROM \"public\".\"tags\" AS \"rel6\" "
	    "JOIN \"public\".\"post_tags\" AS \"rel7\" ON "
	    "\"rel7\".\"tag_id\" = \"rel6\".\"id\" WHERE "
	    "\"rel7\".\"post_id\" = \"root\".\"id\")",
	    "count through joins the far table");
	has_str(
	    g.q.sql,
	    "'spent', (SELECT nullif(nullif(nullif(sum(\"rel8\".\"total\"), "
	    "'NaN'), 'Infinity'), '-Infinity') FROM",
	    "sum of a numeric: NaN and infinities become null");
	has_str(
	    g.q.sql,
	    "'last', (SELECT CASE WHEN isfinite(max(\"rel9\".\"created_at\")"
	    ") THEN max(\"rel9\".\"created_at\") END FROM",
	    "max of a timestamp: infinity becomes null");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_many_to_many)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD "fields:\n  - many_to_many: tags\n    table: tags\n"
	           "    through: { table: post_tags, left_key: post_id, "
	           "right_key: tag_id }\n    primary_key: id\n"
	           "    order_by: [{ column: name }]\n    limit: 3\n"
	           "    filters: [{ column: name, op: in, value: [a, b] }]\n"
	           "    fields:\n      - keyword: name\n"
	           "        required: true\n");
	has_str(g.q.sql,
	        "'tags', (SELECT coalesce(json_agg(json_build_object('name', "
	        "\"rel1\".\"name\") ORDER BY \"rel1\".\"name\" ASC, "
	        "\"rel1\".\"id\" ASC), "
	        "'[]'::json) FROM (SELECT \"rel2\".* FROM \"public\".\"tags\" "
	        "AS \"rel2\" JOIN \"public\".\"post_tags\" AS \"rel3\" ON "
	        "\"rel3\".\"tag_id\" = \"rel2\".\"id\" WHERE "
	        "\"rel3\".\"post_id\" = \"root\".\"id\" AND (\"rel2\".\"name\" "
	        "IN ($2::text, $3::text)) ORDER BY \"rel2\".\"name\" ASC, "
	        "\"rel2\".\"id\" ASC LIMIT "
	        "3) AS \"rel1\")",
	        "many_to_many: far rows through the junction");
	is_long((long)g.q.nparams, 2, "two operands");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_soft_delete)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD "soft_delete:\n  column: deleted_at\n"
	           "fields:\n  - long: id\n    required: true\n");
	has_str(
	    g.q.sql,
	    " AND NOT ((CASE WHEN \"root\".\"deleted_at\" IS NULL THEN "
	    "false WHEN pg_typeof(\"root\".\"deleted_at\") = "
	    "'boolean'::regtype THEN \"root\".\"deleted_at\"::text::boolean "
	    "ELSE true END))",
	    "soft delete folds in as AND NOT (truthy)");
	t_gen_done(&g);
	t_gen(&g, &cat,
	      HEAD "soft_delete:\n  column: archived\n"
	           "  when: [{ column: status, op: eq, value: banned }]\n"
	           "filters: [{ column: org_id, op: between, value: [1, 9] }]\n"
	           "fields:\n  - belongs_to: org\n    table: orgs\n"
	           "    column: org_id\n    primary_key: id\n"
	           "    filters: [{ column: name, op: neq, value: x }]\n"
	           "    fields: []\n");
	has_str(g.q.sql,
	        "\"rel1\".\"name\" <> $2::text) LIMIT 1)) AS \"document\"",
	        "relation operands come first ($2)");
	has_str(g.q.sql,
	        "THEN \"root\".\"archived\"::text::boolean ELSE true END) AND "
	        "(\"root\".\"status\" = $3::text)) AND (\"root\".\"org_id\" "
	        "BETWEEN $4::bigint AND $5::bigint)",
	        "then the soft-delete `when`, then the root filters");
	is_long((long)g.q.nparams, 4, "four operands");
	if (g.q.nparams == 4) {
		is_str(g.q.params[0], "x", "$2");
		is_str(g.q.params[1], "banned", "$3");
		is_str(g.q.params[2], "1", "$4");
		is_str(g.q.params[3], "9", "$5");
	}
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

/* Field lists of n integer columns on a table with c0..c(n-1). */
static char *
t_wide_yaml(struct fl_dbcat *cat, int n)
{
	struct fl_buf b;
	int i;

	fl_buf_init(&b, 1 << 20);
	fl_buf_puts(&b, "version: 1\ntable: wide\nprimary_key: c0\nfields:\n");
	for (i = 0; i < n; i++) {
		char col[16];

		snprintf(col, sizeof(col), "c%d", i);
		fl_dbcat_add(cat, "public", "wide", col, "integer", "int4",
		             NULL, 'N', i == 0, i == 0);
		fl_buf_printf(&b, "  - integer: %s\n    required: true\n", col);
	}
	return fl_buf_steal(&b);
}

TAP_TEST(test_wide)
{
	struct fl_dbcat cat;
	struct t_gen g;
	char *y;

	fl_dbcat_init(&cat);
	y = t_wide_yaml(&cat, 120);
	t_gen(&g, &cat, y);
	is_long((long)t_count(g.q.sql, "jsonb_build_object("), 3,
	        "120 fields: three jsonb_build_object calls");
	is_long((long)t_count(g.q.sql, " || "), 2, "joined by two ||");
	is_long((long)t_count(g.q.sql, "json_build_object("), 0,
	        "no json_build_object");
	has_str(g.q.sql, "'c49', \"root\".\"c49\") || jsonb_build_object('c50'",
	        "cut after 50 pairs");
	t_gen_done(&g);
	free(y);
	fl_dbcat_done(&cat);
	fl_dbcat_init(&cat);
	y = t_wide_yaml(&cat, 50);
	t_gen(&g, &cat, y);
	is_long((long)t_count(g.q.sql, "json_build_object("), 1,
	        "50 fields: one json_build_object");
	is_long((long)t_count(g.q.sql, "jsonb_build_object("), 0,
	        "and no jsonb");
	t_gen_done(&g);
	free(y);
	fl_dbcat_done(&cat);
}

/* ---- ours: values, constants, transforms ------------------------------- */

TAP_TEST(test_values)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD
	      "fields:\n"
	      "  - decimal: price\n    required: true\n"
	      "  - double: score\n    required: true\n"
	      "  - decimal: cash\n    required: true\n"
	      "  - binary: pic\n    required: true\n"
	      "  - date: born\n    required: true\n"
	      "  - timestamp: seen\n    required: true\n"
	      "  - decimal: amounts\n    required: true\n"
	      "  - integer: nums\n    required: true\n"
	      "  - geo: home\n    lat: lat\n    lon: lon\n"
	      "    required: false\n"
	      "  - geo: grid\n    lat: ilat\n    lon: ilon\n"
	      "    required: false\n"
	      "  - keyword: mood\n    required: true\n"
	      "    transforms: [lowercase]\n"
	      "  - keyword: email\n    required: true\n"
	      "    transforms: [trim, lowercase]\n    default: \"it's\\\\\"\n"
	      "  - long: org_id\n    required: true\n    default: 7\n"
	      "  - constant: n\n    value: 42\n"
	      "  - constant: b\n    value: true\n"
	      "  - constant: s\n    value: \"it's\"\n"
	      "  - constant: f\n    value: 1.5\n"
	      "  - constant: z\n    value: null\n");
	has_str(g.q.sql,
	        "'price', nullif(nullif(nullif(\"root\".\"price\", 'NaN'), "
	        "'Infinity'), '-Infinity')",
	        "numeric: NaN and infinities to null");
	has_str(g.q.sql,
	        "'score', nullif(nullif(nullif(\"root\".\"score\", 'NaN'), "
	        "'Infinity'), '-Infinity')",
	        "float: the same");
	has_str(g.q.sql, "'cash', (\"root\".\"cash\")::numeric",
	        "money as numeric");
	has_str(g.q.sql,
	        "'pic', translate(encode(\"root\".\"pic\", 'base64'), E'\\n', "
	        "'')",
	        "bytea as one-line base64");
	has_str(g.q.sql,
	        "'born', CASE WHEN isfinite(\"root\".\"born\") THEN "
	        "\"root\".\"born\" END",
	        "infinite dates to null");
	has_str(g.q.sql,
	        "'seen', CASE WHEN isfinite(\"root\".\"seen\") THEN "
	        "\"root\".\"seen\" END",
	        "infinite timestamps to null");
	has_str(g.q.sql,
	        "'amounts', CASE WHEN \"root\".\"amounts\" IS NULL THEN NULL "
	        "ELSE ARRAY(SELECT nullif(nullif(nullif(\"e\", 'NaN'), "
	        "'Infinity'), '-Infinity') FROM unnest(\"root\".\"amounts\") "
	        "WITH ORDINALITY AS \"u\"(\"e\", \"o\") ORDER BY \"o\") END",
	        "arrays element-wise");
	has_str(g.q.sql, "'nums', \"root\".\"nums\", ",
	        "an int array needs no wrapper");
	has_str(g.q.sql,
	        "'grid', CASE WHEN \"root\".\"ilat\" IS NULL OR "
	        "\"root\".\"ilon\" IS NULL THEN NULL ELSE "
	        "json_build_object('lat', \"root\".\"ilat\", 'lon', "
	        "\"root\".\"ilon\") END",
	        "two-column geo");
	has_str(g.q.sql,
	        "'home', CASE WHEN nullif(nullif(nullif(\"root\".\"lat\", "
	        "'NaN'), 'Infinity'), '-Infinity') IS NULL OR",
	        "float geo columns wrapped");
	has_str(g.q.sql, "'mood', lower(\"root\".\"mood\"::text)",
	        "a transform on a native enum reads its text");
	has_str(g.q.sql,
	        "'email', coalesce(lower(trim(\"root\".\"email\")), "
	        "E'it''s\\\\')",
	        "transforms in order, then the default (quoted, escaped)");
	has_str(g.q.sql, "'org_id', coalesce(\"root\".\"org_id\", '7')",
	        "numeric default as an untyped literal");
	has_str(g.q.sql, "'n', '42'::json", "integer constant: a number");
	has_str(g.q.sql, "'b', 'true'::json", "boolean constant");
	has_str(g.q.sql, "'s', '\"it''s\"'::json", "string constant");
	has_str(g.q.sql, "'f', '1.5'::json", "float constant");
	has_str(g.q.sql, "'z', NULL", "null constant");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_old_server)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	cat.server_version = 130011;
	t_gen(&g, &cat,
	      HEAD "fields:\n  - decimal: price\n    required: true\n"
	           "  - double: score\n    required: true\n");
	has_str(g.q.sql, "'price', nullif(\"root\".\"price\", 'NaN')",
	        "numeric has no infinity before PostgreSQL 14");
	has_str(g.q.sql, "'score', nullif(nullif(nullif(\"root\".\"score\"",
	        "floats always do");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

TAP_TEST(test_errors)
{
	struct fl_dbcat cat;
	struct t_gen g;

	t_catalog(&cat);
	t_gen(&g, &cat,
	      HEAD "fields:\n  - keyword: nope\n    required: true\n");
	ok(g.rc < 0, "unknown column fails");
	is_long(g.err.code, FL_ERR_CONFIG, "as a configuration error");
	has_str(g.err.msg, "column public.users.nope does not exist",
	        "naming the column");
	ok(g.q.sql == NULL, "nothing generated");
	t_gen_done(&g);
	t_gen(&g, &cat,
	      HEAD "fields:\n  - has_many: x\n    table: ghosts\n"
	           "    foreign_key: user_id\n    primary_key: id\n"
	           "    fields: []\n");
	has_str(g.err.msg, "table public.ghosts does not exist",
	        "unknown table");
	t_gen_done(&g);
	t_gen(&g, &cat,
	      HEAD "fields:\n  - ids: x\n    table: post_tags\n"
	           "    foreign_key: post_id\n    element_type: long\n");
	has_str(g.err.msg,
	        "table public.post_tags needs a single-column primary key",
	        "ids over a table without a single-column key");
	t_gen_done(&g);
	t_gen(&g, &cat, "version: 1\ntable: post_tags\nfields: []\n");
	ok(g.rc < 0, "a root table without a usable key fails");
	t_gen_done(&g);
	fl_dbcat_done(&cat);
}

/* ---- property test ------------------------------------------------------ */

struct t_rng {
	unsigned long long s;
};

static unsigned
t_rand(struct t_rng *r, unsigned n)
{
	r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((r->s >> 33) % n);
}

static const char *const t_filters[] = {
	"{ column: c_text, op: eq, value: \"v'1\" }",
	"{ column: c_int, op: in, value: [1, 2, 3] }",
	"{ column: c_num, op: between, value: [1, 5] }",
	"{ column: c_text, op: is_null }",
	"{ column: c_ts, op: gte, value: \"2024-01-01T00:00:00Z\" }",
	"{ raw: \"c_int > 0\" }",
};

static void
t_rand_filters(struct t_rng *r, struct fl_buf *b, const char *key)
{
	unsigned i, n = t_rand(r, 3);

	if (!n)
		return;
	fl_buf_printf(b, ", %s: [", key);
	for (i = 0; i < n; i++)
		fl_buf_printf(b, "%s%s", i ? ", " : "",
		              t_filters[t_rand(r, FL_ARRAY_LEN(t_filters))]);
	fl_buf_puts(b, "]");
}

static void t_rand_fields(struct t_rng *r, struct fl_buf *b, int depth,
                          int *id);

/* One random field in flow style. */
static void
t_rand_field(struct t_rng *r, struct fl_buf *b, int depth, int *id)
{
	static const char *const rel[] = { "belongs_to", "has_one", "has_many",
		                           "many_to_many" };
	unsigned k = t_rand(r, depth > 3 ? 4 : depth > 2 ? 6 : 9);
	int n = (*id)++;

	switch (k) {
	case 0:
		fl_buf_printf(
		    b,
		    "{ keyword: f%d, column: c_text, required: "
		    "false%s%s }",
		    n, t_rand(r, 2) ? ", transforms: [trim, lowercase]" : "",
		    t_rand(r, 2) ? ", default: \"d'(\"" : "");
		break;
	case 1:
		fl_buf_printf(b, "{ %s: f%d, column: %s, required: true }",
		              t_rand(r, 2) ? "decimal" : "timestamp", n,
		              t_rand(r, 2) ? "c_num" : "c_ts");
		break;
	case 2:
		fl_buf_printf(b,
		              "{ geo: f%d, lat: c_num, lon: c_num, required: "
		              "false }",
		              n);
		break;
	case 3:
		fl_buf_printf(b, "{ constant: f%d, value: %s }", n,
		              t_rand(r, 2) ? "\"x)\"" : "42");
		break;
	case 4:
		fl_buf_printf(b, "{ object: f%d, fields: ", n);
		t_rand_fields(r, b, depth + 1, id);
		fl_buf_puts(b, " }");
		break;
	case 5: {
		static const char *const op[] = { "count", "sum", "avg",
			                          "min",   "max", "ids" };
		unsigned o = t_rand(r, 6);

		fl_buf_printf(b, "{ %s: f%d, table: t%u", op[o], n,
		              t_rand(r, 4));
		if (o == 1 || o == 3 || o == 4)
			fl_buf_puts(b, ", column: c_num, value_type: decimal");
		else if (o == 2)
			fl_buf_puts(b, ", column: c_int");
		else if (o == 5)
			fl_buf_puts(b, ", element_type: long");
		if (t_rand(r, 2))
			fl_buf_printf(b,
			              ", through: { table: t%u, left_key: l, "
			              "right_key: r }",
			              t_rand(r, 4));
		else
			fl_buf_puts(b, ", foreign_key: pid");
		t_rand_filters(r, b, "filters");
		fl_buf_puts(b, " }");
		break;
	}
	default: {
		unsigned j = t_rand(r, 4);

		fl_buf_printf(b, "{ %s: f%d, table: t%u, primary_key: id",
		              rel[j], n, t_rand(r, 4));
		if (j == 0)
			fl_buf_puts(b, ", column: pid");
		else if (j == 3)
			fl_buf_printf(b,
			              ", through: { table: t%u, left_key: l, "
			              "right_key: r }",
			              t_rand(r, 4));
		else
			fl_buf_puts(b, ", foreign_key: pid");
		if (j && t_rand(r, 2))
			fl_buf_puts(b, ", order_by: [{ column: c_ts, "
			               "direction: desc }, { column: id }]");
		if (j >= 2 && t_rand(r, 2))
			fl_buf_printf(b, ", limit: %u", 1 + t_rand(r, 9));
		t_rand_filters(r, b, "filters");
		fl_buf_puts(b, ", fields: ");
		t_rand_fields(r, b, depth + 1, id);
		fl_buf_puts(b, " }");
		break;
	}
	}
}

static void
t_rand_fields(struct t_rng *r, struct fl_buf *b, int depth, int *id)
{
	unsigned i, n = t_rand(r, depth ? 4 : 7);

	if (!depth && !t_rand(r, 20))
		n = 55 + t_rand(r, 10); /* wide objects now and then */
	fl_buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		if (i)
			fl_buf_puts(b, ", ");
		t_rand_field(r, b, n > 10 ? 3 : depth, id);
	}
	fl_buf_puts(b, "]");
}

/* Check the properties; 1 when all hold. */
static int
t_props(const char *sql, size_t nparams, char *why, size_t whylen)
{
	unsigned char seen[256] = { 0 };
	long depth = 0;
	size_t dq = 0, maxp = 0, i;
	const char *p;

	for (p = sql; *p; p++) {
		if (*p == '\'') { /* a literal: skip, '' doubles */
			for (p++; *p && !(*p == '\'' && p[1] != '\''); p++)
				if (*p == '\'')
					p++;
			if (!*p)
				break;
			continue;
		}
		if (*p == '"') {
			dq++;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			break;
		else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			size_t v = strtoul(p + 1, NULL, 10);

			if (v > maxp)
				maxp = v;
			if (v < sizeof(seen))
				seen[v] = 1;
		}
	}
	if (depth) {
		snprintf(why, whylen, "parentheses unbalanced (%ld)", depth);
		return 0;
	}
	if (dq % 2) {
		snprintf(why, whylen, "odd double quotes outside literals");
		return 0;
	}
	if (maxp != nparams + 1) {
		snprintf(why, whylen, "highest placeholder $%zu, want $%zu",
		         maxp, nparams + 1);
		return 0;
	}
	for (i = 1; i <= maxp && i < sizeof(seen); i++)
		if (!seen[i]) {
			snprintf(why, whylen, "placeholder $%zu unused", i);
			return 0;
		}
	for (i = dq = 0; sql[i]; i++)
		dq += sql[i] == '"';
	if (dq % 2) {
		snprintf(why, whylen, "odd number of double quotes");
		return 0;
	}
	return 1;
}

TAP_TEST(test_property)
{
	static const char *const cols[][4] = {
		{ "id", "bigint", "int8", "N" },
		{ "pid", "bigint", "int8", "N" },
		{ "l", "bigint", "int8", "N" },
		{ "r", "bigint", "int8", "N" },
		{ "c_text", "text", "text", "S" },
		{ "c_int", "integer", "int4", "N" },
		{ "c_num", "numeric(10,2)", "numeric", "N" },
		{ "c_ts", "timestamp with time zone", "timestamptz", "D" },
	};
	struct t_rng rng = { 20240601 };
	struct fl_dbcat cat;
	int it, bad = 0, loaded = 0;
	char why[128] = "";

	fl_dbcat_init(&cat);
	for (it = 0; it < 4; it++) {
		char t[8];
		size_t c;

		snprintf(t, sizeof(t), "t%d", it);
		for (c = 0; c < FL_ARRAY_LEN(cols); c++)
			fl_dbcat_add(&cat, "public", t, cols[c][0], cols[c][1],
			             cols[c][2], NULL, cols[c][3][0], c == 0,
			             c == 0);
	}
	for (it = 0; it < 400 && !bad; it++) {
		struct fl_buf b;
		struct t_gen g;
		int id = 0;

		fl_buf_init(&b, 1 << 22);
		fl_buf_puts(&b, "version: 1\ntable: t0\nprimary_key: id\n");
		if (t_rand(&rng, 2))
			fl_buf_printf(&b,
			              "soft_delete: { column: c_ts, when: "
			              "[%s] }\n",
			              t_filters[t_rand(&rng, 5)]);
		if (t_rand(&rng, 2))
			fl_buf_printf(&b, "filters: [%s]\n",
			              t_filters[t_rand(&rng, 6)]);
		fl_buf_puts(&b, "fields: ");
		t_rand_fields(&rng, &b, 0, &id);
		fl_buf_puts(&b, "\n");
		t_gen(&g, &cat, fl_buf_str(&b));
		if (!g.s) {
			printf("# schema did not load:\n# %s\n",
			       fl_buf_str(&b));
			bad = 1;
		} else if (g.rc < 0) {
			printf("# generation failed: %s\n", g.err.msg);
			bad = 1;
		} else {
			loaded++;
			if (!t_props(g.q.sql, g.q.nparams, why, sizeof(why))) {
				printf("# %s\n# schema: %s\n# sql: %s\n", why,
				       fl_buf_str(&b), g.q.sql);
				bad = 1;
			}
		}
		t_gen_done(&g);
		fl_buf_done(&b);
	}
	ok(!bad, "400 random schemas: generated, balanced, $1..$n exact");
	is_long(loaded, 400, "every random schema loaded and generated");
	fl_dbcat_done(&cat);
}

TAP_TEST(test_catalog_lookup)
{
	struct fl_dbcat cat;

	t_catalog(&cat);
	ok(fl_dbcat_find(&cat, "public", "orders", "total") != NULL,
	   "find a column");
	ok(fl_dbcat_find(&cat, "public", "orders", "nope") == NULL,
	   "unknown column");
	ok(fl_dbcat_find(&cat, "audit", "orders", "total") == NULL,
	   "same table name, other schema");
	is_str(fl_dbcat_pk(&cat, "public", "tags"), "id", "single-column pk");
	ok(fl_dbcat_pk(&cat, "public", "post_tags") == NULL, "no pk1");
	ok(fl_dbcat_has_table(&cat, "public", "orgs"), "has table");
	ok(!fl_dbcat_has_table(&cat, "public", "org"), "prefix is no table");
	is_long(fl_dbcat_errcode("08006"), FL_ERR_PG, "08xxx transient");
	is_long(fl_dbcat_errcode("57P01"), FL_ERR_PG, "admin shutdown");
	is_long(fl_dbcat_errcode("40001"), FL_ERR_PG, "serialization");
	is_long(fl_dbcat_errcode("40P01"), FL_ERR_PG, "deadlock");
	is_long(fl_dbcat_errcode("53300"), FL_ERR_PG, "too many connections");
	is_long(fl_dbcat_errcode(""), FL_ERR_PG, "no SQLSTATE: connection");
	is_long(fl_dbcat_errcode("42703"), FL_ERR_CONFIG, "undefined column");
	is_long(fl_dbcat_errcode("22P02"), FL_ERR_CONFIG, "bad input");
	fl_dbcat_done(&cat);
}

int
main(void)
{
	tap_run(test_columns_only);
	tap_run(test_uuid_key);
	tap_run(test_root_filters);
	tap_run(test_has_many_order_limit);
	tap_run(test_belongs_to_has_one);
	tap_run(test_aggregates);
	tap_run(test_many_to_many);
	tap_run(test_soft_delete);
	tap_run(test_wide);
	tap_run(test_values);
	tap_run(test_old_server);
	tap_run(test_errors);
	tap_run(test_property);
	tap_run(test_catalog_lookup);
	return tap_done();
}
