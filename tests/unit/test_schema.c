/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_schema.c - loading schema files: every schema-level bad input of
 * config.md §8 (and ours) gives its message at its file:line:column and
 * key path; good schemas load into the expected normalised model.
 */
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "tap.h"
#include "unit/t_diags.h"

/* Load `yaml`; returns the schema (or NULL) and fills diags. */
static struct fl_schema *
t_load(const char *yaml, struct fl_diags *d)
{
	fl_diags_init(d);
	return fl_schema_load_mem(yaml, strlen(yaml), "t.schema.yml", d);
}

/* The formatted diagnostics, joined by newlines (caller frees). */
/*
 * Expect loading to fail with an error whose formatted text contains
 * `want` (which should include the "file:line:col: path" part).
 */
static void
t_bad(const char *what, const char *yaml, const char *want)
{
	struct fl_diags d;
	struct fl_schema *s = t_load(yaml, &d);
	char *all = t_all(&d);

	ok(s == NULL && d.nerrors > 0, what);
	has_str(all, want, what);
	free(all);
	fl_schema_free(s);
	fl_diags_done(&d);
}

/* Expect success with a warning containing `want`. */
static void
t_warn(const char *what, const char *yaml, const char *want)
{
	struct fl_diags d;
	struct fl_schema *s = t_load(yaml, &d);
	char *all = t_all(&d);

	ok(s != NULL && d.nerrors == 0, what);
	has_str(all, want, what);
	free(all);
	fl_schema_free(s);
	fl_diags_done(&d);
}

#define HDR "version: 1\ntable: users\nprimary_key: id\nfields:\n"

TAP_TEST(test_root_keys)
{
	t_bad("16 version 2", "version: 2\ntable: t\nfields: []\n",
	      "t.schema.yml:1:10: version: unsupported schema version 2; "
	      "supported versions: 1");
	t_bad("missing version", "table: t\nfields: []\n",
	      "t.schema.yml:1:1: missing key `version`");
	t_bad("missing fields", "version: 1\ntable: t\n",
	      "t.schema.yml:1:1: missing key `fields`\n");
	t_bad("unknown root key with hint",
	      "version: 1\ntable: t\nfeilds: []\n",
	      "t.schema.yml:3:1: unknown key `feilds` — did you mean "
	      "`fields`?");
	t_bad("29 doc_id", "version: 1\ntable: t\ndoc_id: x\nfields: []\n",
	      "t.schema.yml:3:9: doc_id: `doc_id` is not supported");
	t_bad("empty file", "", "empty schema file");
	t_bad("not a mapping", "- a\n- b\n",
	      "t.schema.yml:1:1: expected a mapping (the schema), found a "
	      "sequence");
}

TAP_TEST(test_identifiers)
{
	struct fl_diags d;
	struct fl_schema *s;

	t_bad("30 table with dash",
	      "version: 1\ntable: order-items\nfields: []\n",
	      "t.schema.yml:2:8: table: invalid table name `order-items`");
	t_bad("30 64-char column",
	      HDR "  - text: x\n    required: true\n    column: "
	          "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
	          "abcd\n",
	      "t.schema.yml:7:13: fields[0].text x.column: invalid column "
	      "name");
	t_bad("30 field name with dash",
	      HDR "  - long: order-count\n    required: true\n",
	      "t.schema.yml:5:11: fields[0]: invalid field name "
	      "`order-count`");
	t_bad("30 bad db schema",
	      "version: 1\ntable: t\nschema: 9x\nfields: "
	      "[]\n",
	      "t.schema.yml:3:9: schema: invalid database schema name `9x`");
	s = t_load(
	    "version: 1\ntable: '  Users '\nfields:\n  - text: fullName\n"
	    "    required: false\n",
	    &d);
	ok(s != NULL, "30 uppercase table folded and accepted");
	if (s) {
		is_str(s->table, "users", "table folded to lowercase");
		is_str(s->db_schema, "public", "schema defaults to public");
		is_str(s->fields.v[0].name, "fullName",
		       "field name keeps case");
		is_str(s->fields.v[0].col.column, "fullname",
		       "column defaults to the lowercased field name");
	}
	fl_schema_free(s);
	fl_diags_done(&d);
}

TAP_TEST(test_tags)
{
	t_bad("17 no type tag", HDR "  - column: c\n    required: true\n",
	      "t.schema.yml:5:5: fields[0]: field is missing a type tag (this "
	      "field has keys: column, required)");
	t_bad("17 misspelled tag",
	      HDR "  - keywrd: email\n    required: true\n",
	      "t.schema.yml:5:5: fields[0]: field is missing a type tag: "
	      "unknown key `keywrd` — did you mean `keyword`?");
	t_bad("18 two tags", HDR "  - keyword: a\n    text: a\n",
	      "t.schema.yml:6:5: fields[0]: field has more than one type tag: "
	      "`keyword` and `text`");
	t_bad("19 missing required", HDR "  - keyword: email\n",
	      "t.schema.yml:5:5: fields[0].keyword email: missing key "
	      "`required`");
	t_bad("20 typo sibling", HDR "  - keyword: email\n    requierd: true\n",
	      "t.schema.yml:6:5: fields[0].keyword email: unknown key "
	      "`requierd` — did you mean `required`?");
	t_bad("20 transforms on geo",
	      HDR "  - geo: p\n    required: false\n    transforms: [trim]\n",
	      "t.schema.yml:7:5: fields[0].geo p: unknown key `transforms`");
	t_bad("20 variants on keyword",
	      HDR "  - keyword: k\n    required: true\n    variants: [a]\n",
	      "t.schema.yml:7:5: fields[0].keyword k: unknown key `variants`");
	t_bad("20 required on object",
	      HDR "  - object: o\n    required: true\n    fields: []\n",
	      "t.schema.yml:6:5: fields[0].object o: unknown key `required`");
	t_bad("20 required on aggregate",
	      HDR
	      "  - count: n\n    table: o\n    foreign_key: u\n    required: "
	      "true\n",
	      "t.schema.yml:8:5: fields[0].count n: unknown key `required`");
	t_bad("20 options on constant",
	      HDR "  - constant: k\n    value: 1\n    options: {a: 1}\n",
	      "t.schema.yml:7:5: fields[0].constant k: unknown key `options`");
	t_bad("32 required: on", HDR "  - keyword: email\n    required: on\n",
	      "t.schema.yml:6:15: fields[0].keyword email.required: expected a "
	      "boolean (`true`/`false`), found the string `on`");
	t_bad("field item not a mapping", HDR "  - email\n",
	      "t.schema.yml:5:5: fields[0]: expected a field mapping with one "
	      "type tag, found the string `email`");
	t_bad("field name not a string",
	      HDR "  - keyword: [a]\n    required: "
	          "true\n",
	      "fields[0]: `keyword` names the field");
}

TAP_TEST(test_leaves)
{
	t_bad("36 transforms on a non-string tag",
	      HDR "  - long: n\n    required: true\n    transforms: [trim]\n",
	      "t.schema.yml:7:17: fields[0].long n.transforms: `transforms` "
	      "apply to string fields only");
	t_bad("unknown transform",
	      HDR
	      "  - keyword: k\n    required: true\n    transforms: [upper]\n",
	      "t.schema.yml:7:18: fields[0].keyword k.transforms: unknown "
	      "transform `upper`; expected `lowercase` or `trim`");
	t_bad("28 default list",
	      HDR "  - long: n\n    required: true\n    default: [1, 2]\n",
	      "t.schema.yml:7:14: fields[0].long n.default: a `default` must "
	      "be a scalar value (string, number, bool, or date) — a `list` "
	      "default is not supported");
	t_bad("28 map values boolean",
	      HDR "  - map: m\n    required: false\n    values: boolean\n",
	      "t.schema.yml:7:13: fields[0].map m.values: a `map` field's "
	      "`values` must be a leaf type");
	t_bad("28 map values json",
	      HDR "  - map: m\n    required: false\n    values: json\n",
	      "`json` is not one");
	t_bad("28 map values binary",
	      HDR "  - map: m\n    required: false\n    values: binary\n",
	      "`binary` is not one");
	t_bad("28 enum duplicate variant",
	      HDR "  - enum: e\n    required: true\n    variants: [a, b, a]\n",
	      "t.schema.yml:7:22: fields[0].enum e.variants: an `enum` field "
	      "lists the variant `a` more than once");
	t_bad("28 enum blank variant",
	      HDR "  - enum: e\n    required: true\n    variants: [a, ' ']\n",
	      "the `enum` variant ` ` is not allowed");
	t_bad("28 enum variant with =>",
	      HDR "  - enum: e\n    required: true\n    variants: ['a => b']\n",
	      "the `enum` variant `a => b` is not allowed");
	t_bad("27 geo with only lat",
	      HDR "  - geo: p\n    required: false\n    lat: la\n",
	      "t.schema.yml:5:5: fields[0].geo p: a `geo` field needs either "
	      "both `lat` and `lon` (two columns) or a single `column`");
	t_bad("27 geo lat lon column",
	      HDR
	      "  - geo: p\n    required: false\n    lat: a\n    lon: b\n    "
	      "column: c\n",
	      "not a mix");
	t_bad("custom without postgres",
	      HDR "  - custom: c\n    required: true\n    opensearch: x\n",
	      "fields[0].custom c: missing key `postgres`");
	t_bad("constant without value", HDR "  - constant: k\n",
	      "t.schema.yml:5:5: fields[0].constant k: missing key `value`");
	t_bad("constant list", HDR "  - constant: k\n    value: [1]\n",
	      "t.schema.yml:6:12: fields[0].constant k.value: a `constant` "
	      "must be a scalar");
	t_bad("options not a mapping",
	      HDR "  - long: n\n    required: true\n    options: 5\n",
	      "t.schema.yml:7:14: fields[0].long n.options: expected a mapping "
	      "of OpenSearch property options, found an integer");
}

TAP_TEST(test_names)
{
	t_bad("36 duplicate sibling names",
	      HDR "  - long: id\n    required: true\n  - text: id\n    "
	          "required: true\n",
	      "t.schema.yml:7:5: fields[1]: duplicate field name `id`");
	t_bad("36 _id as a top-level field",
	      HDR "  - keyword: _id\n    required: true\n",
	      "t.schema.yml:5:5: fields[0]: `_id` is an OpenSearch metadata "
	      "field");
	t_bad("duplicate names inside an object",
	      HDR
	      "  - object: o\n    fields:\n      - long: a\n        required: "
	      "true\n      - long: a\n        required: true\n",
	      "t.schema.yml:9:9: fields[0].object o.fields[1]: duplicate field "
	      "name `a`");
}

TAP_TEST(test_joins)
{
	t_bad("21 belongs_to with foreign_key",
	      HDR "  - belongs_to: org\n    table: orgs\n    primary_key: id\n "
	          "   foreign_key: org_id\n    fields: []\n",
	      "t.schema.yml:8:18: fields[0].belongs_to org.foreign_key: "
	      "`belongs_to` join does not take `foreign_key`; it takes "
	      "`column` — this table's column pointing at the related row "
	      "(defaults to the field name)");
	t_bad("21 has_many without key",
	      HDR "  - has_many: orders\n    table: orders\n    primary_key: "
	          "id\n    fields: []\n",
	      "t.schema.yml:5:5: fields[0].has_many orders: `has_many` join is "
	      "missing its key: it takes `foreign_key` — the related table's "
	      "column pointing back at this row");
	t_bad("21 many_to_many without through",
	      HDR "  - many_to_many: tags\n    table: tags\n    primary_key: "
	          "id\n    fields: []\n",
	      "`many_to_many` join is missing its key: it takes `through` — "
	      "the junction table and its two keys");
	t_bad("21 has_one with column",
	      HDR "  - has_one: p\n    table: p\n    primary_key: id\n    "
	          "foreign_key: u\n    column: x\n    fields: []\n",
	      "`has_one` join does not take `column`; it takes `foreign_key`");
	t_bad("22 order_by on belongs_to",
	      HDR "  - belongs_to: org\n    table: orgs\n    primary_key: id\n "
	          "   order_by: [{column: id}]\n    fields: []\n",
	      "t.schema.yml:8:15: fields[0].belongs_to org.order_by: "
	      "`belongs_to` join does not take `order_by` (a to-one join picks "
	      "a single row)");
	t_bad("22 limit on has_one",
	      HDR "  - has_one: p\n    table: p\n    primary_key: id\n    "
	          "foreign_key: u\n    limit: 1\n    fields: []\n",
	      "`has_one` join does not take `limit`");
	t_bad("22 required on has_many",
	      HDR "  - has_many: o\n    table: o\n    primary_key: id\n    "
	          "foreign_key: u\n    required: true\n    fields: []\n",
	      "t.schema.yml:9:15: fields[0].has_many o.required: `has_many` "
	      "join does not take `required`");
	t_bad("12 limit 0",
	      HDR "  - has_many: o\n    table: o\n    primary_key: id\n    "
	          "foreign_key: u\n    limit: 0\n    fields: []\n",
	      "t.schema.yml:9:12: fields[0].has_many o.limit: must be at least "
	      "1, found 0");
	t_bad("join without fields",
	      HDR "  - has_many: o\n    table: o\n    primary_key: id\n    "
	          "foreign_key: u\n",
	      "fields[0].has_many o: missing key `fields`");
	t_bad("through with unknown key",
	      HDR
	      "  - many_to_many: tags\n    table: tags\n    primary_key: "
	      "id\n    through: {table: j, left_key: a, right_key: b, x: 1}\n"
	      "    fields: []\n",
	      "fields[0].many_to_many tags.through: unknown key `x`");
	t_bad(
	    "nested error path",
	    HDR
	    "  - has_many: orders\n    table: orders\n    primary_key: "
	    "id\n    foreign_key: user_id\n    fields:\n      - has_many: "
	    "items\n        table: items\n        primary_key: id\n       "
	    " foreign_key: order_id\n        limit: 0\n        fields: []\n",
	    "t.schema.yml:14:16: fields[0].has_many orders.fields[0].has_many "
	    "items.limit: must be at least 1, found 0");
	t_bad("order_by direction",
	      HDR
	      "  - has_many: o\n    table: o\n    primary_key: id\n    "
	      "foreign_key: u\n    order_by: [{column: a, direction: down}]\n"
	      "    fields: []\n",
	      "unknown direction `down`; expected `asc` or `desc`");
}

TAP_TEST(test_aggregates)
{
	t_bad("23 neither fk nor through", HDR "  - count: n\n    table: o\n",
	      "t.schema.yml:5:5: fields[0].count n: aggregate must specify "
	      "either `foreign_key` or `through`, not both or neither");
	t_bad("23 both fk and through",
	      HDR
	      "  - count: n\n    table: o\n    foreign_key: u\n    through: "
	      "{table: j, left_key: a, right_key: b}\n",
	      "not both or neither");
	t_bad("24 sum without column",
	      HDR "  - sum: s\n    table: o\n    foreign_key: u\n    "
	          "value_type: decimal\n",
	      "fields[0].sum s: aggregate op 'sum' requires a `column`");
	t_bad("24 sum without value_type",
	      HDR
	      "  - sum: s\n    table: o\n    foreign_key: u\n    column: t\n",
	      "aggregate op 'sum' requires a `value_type` (its result mirrors "
	      "the column)");
	t_bad("24 avg without column",
	      HDR "  - avg: a\n    table: o\n    foreign_key: u\n",
	      "aggregate op 'avg' requires a `column`");
	t_bad("24 value_type geo_point",
	      HDR
	      "  - max: m\n    table: o\n    foreign_key: u\n    column: c\n"
	      "    value_type: geo_point\n",
	      "t.schema.yml:9:17: fields[0].max m.value_type: aggregate op "
	      "'max' `value_type` must be a scalar type — `geo_point` and "
	      "`custom` are not valid");
	t_bad("value_type not a type",
	      HDR
	      "  - min: m\n    table: o\n    foreign_key: u\n    column: c\n"
	      "    value_type: money\n",
	      "`value_type` must be one of: text, identifier");
	t_bad("25 ids without element_type",
	      HDR "  - ids: i\n    table: o\n    foreign_key: u\n",
	      "aggregate op 'ids' requires an `element_type` (`long` or "
	      "`keyword`)");
	t_bad("25 ids with column",
	      HDR
	      "  - ids: i\n    table: o\n    foreign_key: u\n    column: c\n"
	      "    element_type: long\n",
	      "t.schema.yml:8:13: fields[0].ids i.column: aggregate op 'ids' "
	      "does not take `column`");
	t_bad("25 ids with value_type",
	      HDR "  - ids: i\n    table: o\n    foreign_key: u\n    "
	          "value_type: long\n    element_type: long\n",
	      "aggregate op 'ids' does not take `value_type`");
	t_bad("25 element_type on count",
	      HDR "  - count: n\n    table: o\n    foreign_key: u\n    "
	          "element_type: long\n",
	      "aggregate does not take `element_type` (only `ids` does)");
	t_warn("25 count with column warns",
	       HDR
	       "  - count: n\n    table: o\n    foreign_key: u\n    column: "
	       "c\n",
	       "t.schema.yml:8:13: fields[0].count n: `count` ignores "
	       "`column`; remove it");
	t_warn("25 avg with value_type warns",
	       HDR
	       "  - avg: a\n    table: o\n    foreign_key: u\n    column: c\n"
	       "    value_type: double\n",
	       "`avg` ignores `value_type`");
	t_warn("count with value_type warns",
	       HDR "  - count: n\n    table: o\n    foreign_key: u\n    "
	           "value_type: long\n",
	       "`count` ignores `value_type`");
}

TAP_TEST(test_filters)
{
	t_bad("26 in with a scalar",
	      HDR "  - long: id\n    required: true\nfilters:\n  - {column: s, "
	          "op: in, value: a}\n",
	      "t.schema.yml:8:32: filters[0].value: filter op 'in' requires a "
	      "sequence value");
	t_bad("26 between with 3 values",
	      HDR "  - long: id\n    required: true\nfilters:\n  - {column: s, "
	          "op: between, value: [1, 2, 3]}\n",
	      "filter op 'between' requires exactly 2 values, got 3");
	t_bad("26 eq without value",
	      HDR "  - long: id\n    required: true\nfilters:\n  - {column: s, "
	          "op: eq}\n",
	      "t.schema.yml:8:5: filters[0]: filter op 'eq' requires a value");
	t_bad("26 is_null with value",
	      HDR "  - long: id\n    required: true\nfilters:\n  - {column: s, "
	          "op: is_null, value: 1}\n",
	      "filter op 'is_null' does not take a value");
	t_bad("26 eq with a list",
	      HDR "  - long: id\n    required: true\nfilters:\n  - {column: s, "
	          "op: eq, value: [1]}\n",
	      "filter op 'eq' requires a scalar value, found a sequence");
	t_bad("mapping inside in",
	      HDR "  - long: id\n    required: true\nfilters:\n  - {column: s, "
	          "op: in, value: [a, {b: 1}]}\n",
	      "filter values must be scalars (found a mapping inside `in`)");
	t_bad("null value",
	      HDR "  - long: id\n    required: true\nfilters:\n  - {column: s, "
	          "op: eq, value: null}\n",
	      "filter value must not be null; use op is_null");
	t_bad("unknown op",
	      HDR "  - long: id\n    required: true\nfilters:\n  - {column: s, "
	          "op: equals, value: 1}\n",
	      "unknown filter op `equals`");
	t_bad("raw with column",
	      HDR
	      "  - long: id\n    required: true\nfilters:\n  - {raw: 'a > 1', "
	      "column: a}\n",
	      "a raw filter takes only `raw`");
	t_bad(
	    "join filter path",
	    HDR "  - has_many: o\n    table: o\n    primary_key: id\n    "
	        "foreign_key: u\n    filters:\n      - {column: s, op: in, "
	        "value: x}\n    fields: []\n",
	    "fields[0].has_many o.filters[0].value: filter op 'in' requires a "
	    "sequence value");
}

TAP_TEST(test_soft_delete)
{
	t_bad("29 both column and field",
	      HDR
	      "  - long: id\n    required: true\nsoft_delete:\n  column: a\n"
	      "  field: b\n",
	      "t.schema.yml:8:3: soft_delete: `soft_delete` takes exactly one "
	      "of `column` or `field`");
	t_bad("29 neither",
	      HDR "  - long: id\n    required: true\nsoft_delete: {}\n",
	      "`soft_delete` takes exactly one of `column` or `field`");
	t_bad(
	    "29 field naming nothing",
	    HDR
	    "  - long: id\n    required: true\nsoft_delete:\n  field: gone\n",
	    "t.schema.yml:8:10: soft_delete.field: `soft_delete.field` `gone` "
	    "does not name a column field of the root row");
	t_bad("29 field inside a join is not the root row",
	      HDR "  - has_many: o\n    table: o\n    primary_key: id\n    "
	          "foreign_key: u\n    fields:\n      - boolean: gone\n        "
	          "required: true\nsoft_delete:\n  field: gone\n",
	      "does not name a column field of the root row");
}

TAP_TEST(test_relations_need_pk)
{
	t_bad("35 relations without root primary_key",
	      "version: 1\ntable: u\nfields:\n  - count: n\n    table: o\n    "
	      "foreign_key: u\n",
	      "t.schema.yml:1:1: this schema has joins or aggregates, so the "
	      "root table needs a `primary_key`");
}

TAP_TEST(test_yaml_structure)
{
	t_bad("34 duplicate key",
	      "version: 1\ntable: a\ntable: b\nfields: []\n",
	      "t.schema.yml:3:1: duplicate key `table`");
	t_bad("34 second document",
	      "version: 1\ntable: a\nfields: []\n---\na: 1\n",
	      "more than one YAML document");
	t_bad("34 merge key",
	      "base: &b {version: 1}\n<<: *b\ntable: a\nfields: []\n",
	      "merge keys (`<<`) are not supported");
}

TAP_TEST(test_all_errors_reported)
{
	struct fl_diags d;
	struct fl_schema *s = t_load(
	    HDR "  - keyword: a\n  - long: b\n    required: yes\n  - text: c\n"
	        "    required: true\n    requierd: true\n",
	    &d);

	ok(s == NULL, "fails");
	is_long((long)d.nerrors, 3, "three errors, all reported");
	fl_diags_done(&d);
}

TAP_TEST(test_good_model)
{
	struct fl_diags d;
	struct fl_schema *s = t_load(
	    "version: 1\ntable: users\nprimary_key: id\n"
	    "soft_delete: {field: gone, when: [{column: tier, op: eq, value: "
	    "x}]}\n"
	    "filters:\n  - {column: n, op: between, value: [1, 2.50]}\n"
	    "  - {column: b, op: eq, value: True}\n  - {raw: ' a > 1 '}\n"
	    "fields:\n"
	    "  - identifier: sku\n    required: true\n"
	    "  - json: j\n    required: false\n"
	    "  - object: o\n    fields:\n      - boolean: gone\n        "
	    "required: false\n        column: is_gone\n"
	    "  - enum: tier\n    required: true\n    variants: [a, b]\n    "
	    "transforms: [trim, lowercase]\n    default: A\n"
	    "  - geo: p\n    required: false\n    lat: la\n    lon: lo\n"
	    "  - has_many: orders\n    table: orders\n    primary_key: id\n    "
	    "foreign_key: user_id\n    order_by: [{column: at, direction: "
	    "desc}, {column: id}]\n    limit: 5\n    fields:\n      - "
	    "belongs_to: product\n        table: products\n        "
	    "primary_key: id\n        fields: []\n"
	    "  - ids: tagIds\n    table: tags\n    through: {table: ut, "
	    "left_key: user_id, right_key: tag_id}\n    element_type: long\n"
	    "  - constant: kind\n    value: 42\n",
	    &d);
	const struct fl_field *f;

	if (!ok(s != NULL && d.nerrors == 0 && d.nwarnings == 0, "loads")) {
		char *all = t_all(&d);

		printf("# %s", all);
		free(all);
		fl_diags_done(&d);
		return;
	}
	is_str(s->soft_delete->column, "is_gone",
	       "soft_delete.field resolved through an object");
	is_long((long)s->filters.n, 3, "three root filters");
	is_str(s->filters.v[0].values[1], "2.50", "number kept as written");
	is_str(s->filters.v[1].values[0], "true", "bool as true");
	is_str(s->filters.v[2].raw, "a > 1", "raw trimmed");
	f = &s->fields.v[0];
	is_str(fl_val_get(f->options, "analyzer")->s, "flusso_code",
	       "identifier gets flusso_code");
	f = &s->fields.v[1];
	ok(fl_val_get(f->options, "dynamic")->b, "json gets dynamic: true");
	f = &s->fields.v[3];
	is_long((long)f->col.nvariants, 2, "variants");
	is_long(f->col.transforms[0], FL_TR_TRIM, "transforms in order");
	is_str(f->col.def->s, "A", "default kept");
	f = &s->fields.v[4];
	is_long(f->kind, FL_FIELD_GEO, "two-column geo");
	f = &s->fields.v[5];
	is_long(f->join.kind, FL_JOIN_HAS_MANY, "has_many");
	is_str(f->join.key, "user_id", "foreign key");
	ok(f->join.order_by[0].desc && !f->join.order_by[1].desc,
	   "directions (asc default)");
	is_long(f->join.limit, 5, "limit");
	is_str(f->children.v[0].join.key, "product",
	       "belongs_to column defaults to the field name");
	f = &s->fields.v[6];
	is_str(f->agg.through.right_key, "tag_id", "through");
	is_long(f->agg.element_type, FL_T_LONG, "element_type");
	f = &s->fields.v[7];
	ok(f->value->kind == FL_VAL_INT && f->value->i == 42,
	   "constant stays an integer");
	fl_schema_free(s);
	fl_diags_done(&d);
}

int
main(void)
{
	tap_run(test_root_keys);
	tap_run(test_identifiers);
	tap_run(test_tags);
	tap_run(test_leaves);
	tap_run(test_names);
	tap_run(test_joins);
	tap_run(test_aggregates);
	tap_run(test_filters);
	tap_run(test_soft_delete);
	tap_run(test_relations_need_pk);
	tap_run(test_yaml_structure);
	tap_run(test_all_errors_reported);
	tap_run(test_good_model);
	return tap_done();
}
