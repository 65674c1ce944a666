/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_mapping.c - the derived index body (config.md §5): the unit tests
 * listed at the end of §5.5 (with our exact-match enum sort), typed
 * constants, json/map dynamic objects, custom types, options overrides,
 * and golden bodies for the worked example, Appendix A, the shop example
 * and the all-kinds fixture (tests/golden/).
 *
 * FLUSSO_UPDATE_GOLDEN=1 rewrites the golden bodies from the current
 * output (then review the diff).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/mapping.h"
#include "config/schema.h"
#include "config/value.h"
#include "tap.h"
#include "util/buf.h"
#include "util/diagnostics.h"

/* ---- helpers ------------------------------------------------------------ */

/* Load a schema from text; prints the diagnostics when it fails. */
static struct fl_schema *
t_load(const char *yaml, const char *name)
{
	struct fl_diags d;
	struct fl_schema *s;
	size_t i;

	fl_diags_init(&d);
	s = fl_schema_load_mem(yaml, strlen(yaml), name, &d);
	for (i = 0; !s && i < d.n; i++) {
		char *m = fl_diag_format(&d.v[i]);

		printf("#   %s\n", m);
		free(m);
	}
	fl_diags_done(&d);
	return s;
}

/* The body of `yaml` with opts `o` (default opts when NULL). */
static struct fl_val *
t_body(const char *yaml, const struct fl_mapping_opts *o)
{
	struct fl_mapping_opts def;
	struct fl_schema *s = t_load(yaml, "test.schema.yml");
	struct fl_val *b;

	if (!s)
		return NULL;
	fl_mapping_opts_default(&def);
	b = fl_mapping_body(s, o ? o : &def);
	fl_schema_free(s);
	return b;
}

/* Walk a dotted path of map keys ("mappings.properties.x"). */
static const struct fl_val *
t_at(const struct fl_val *v, const char *path)
{
	char key[256];

	while (v && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = fl_val_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

/* Canonical JSON of the value at path ("(absent)" when missing), in a
 * static buffer so assertions stay one-liners. */
static const char *
t_json(const struct fl_val *v, const char *path)
{
	static char out[8192];
	const struct fl_val *x = t_at(v, path);
	struct fl_buf b;

	if (!x)
		return "(absent)";
	fl_buf_init(&b, sizeof(out) - 1);
	if (fl_val_to_json(x, &b) < 0) {
		fl_buf_done(&b);
		return "(too long)";
	}
	snprintf(out, sizeof(out), "%s", fl_buf_str(&b));
	fl_buf_done(&b);
	return out;
}

/* Property of root field `name`, as canonical JSON. */
static const char *
t_prop(const struct fl_val *body, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "mappings.properties.%s", name);
	return t_json(body, path);
}

static char *
t_slurp(const char *path)
{
	char chunk[4096];
	struct fl_buf b;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	fl_buf_init(&b, 1 << 24);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_append(&b, chunk, n);
	fclose(f);
	return fl_buf_steal(&b);
}

/* Source-tree path of `rel` (FLUSSO_SOURCE_DIR, set by ctest). */
static void
t_src_path(const char *rel, char *out, size_t n)
{
	const char *dir = getenv("FLUSSO_SOURCE_DIR");

	snprintf(out, n, "%s/%s", dir ? dir : ".", rel);
}

/* Compare `got` with golden file `rel`, or rewrite it in update mode. */
static void
t_golden(const char *rel, const char *got)
{
	const char *upd = getenv("FLUSSO_UPDATE_GOLDEN");
	char path[4096], what[4200];
	char *want;

	t_src_path(rel, path, sizeof(path));
	snprintf(what, sizeof(what), "golden %s", rel);
	if (upd && *upd == '1') {
		FILE *f = fopen(path, "wb");

		ok(f && fputs(got, f) >= 0 && fclose(f) == 0, what);
		return;
	}
	want = t_slurp(path);
	if (!want)
		printf("#   cannot read %s (set FLUSSO_SOURCE_DIR)\n", path);
	if (!is_str(got, want, what))
		printf("#   (FLUSSO_UPDATE_GOLDEN=1 rewrites it; review the "
		       "diff)\n");
	free(want);
}

/* Golden body of schema file `schema_rel` with default opts. */
static void
t_golden_body(const char *schema_rel, const char *golden_rel)
{
	struct fl_mapping_opts o;
	struct fl_diags d;
	struct fl_schema *s;
	struct fl_val *body;
	struct fl_buf b;
	char path[4096];

	t_src_path(schema_rel, path, sizeof(path));
	fl_diags_init(&d);
	s = fl_schema_load(path, schema_rel, &d);
	fl_diags_done(&d);
	if (!ok(s != NULL, schema_rel))
		return;
	fl_mapping_opts_default(&o);
	body = fl_mapping_body(s, &o);
	fl_buf_init(&b, 1 << 24);
	fl_val_to_json_pretty(body, &b);
	fl_buf_putc(&b, '\n');
	t_golden(golden_rel, fl_buf_str(&b));
	fl_buf_done(&b);
	fl_val_free(body);
	fl_schema_free(s);
}

#define T_HEAD "version: 1\ntable: t\nprimary_key: id\nfields:\n"

/* ---- §5.5 unit tests --------------------------------------------------- */

TAP_TEST(test_enum_sort)
{
	struct fl_val *b = t_body(T_HEAD "  - enum: priority\n"
	                                 "    required: true\n"
	                                 "    variants: [low, medium, high]\n",
	                          NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_json(b, "mappings.properties.priority.fields.sort"),
	       "{\"ignore_above\":256,\"normalizer\":\"flusso_enumsort__"
	       "priority\",\"type\":\"keyword\"}",
	       ".sort subfield with the rank normalizer");
	is_str(t_json(b, "settings.analysis.normalizer.flusso_enumsort__"
	                 "priority"),
	       "{\"char_filter\":[\"flusso_enumsort__priority__0\","
	       "\"flusso_enumsort__priority__1\",\"flusso_enumsort__priority__"
	       "2\"],\"filter\":[],\"type\":\"custom\"}",
	       "normalizer chains one char filter per variant, in rank order");
	is_str(t_json(b, "settings.analysis.char_filter.flusso_enumsort__"
	                 "priority__0"),
	       "{\"pattern\":\"^low\\\\z\",\"replacement\":\"\\u00010\","
	       "\"type\":\"pattern_replace\"}",
	       "low => \\u00010, exact match");
	is_str(t_json(b, "settings.analysis.char_filter.flusso_enumsort__"
	                 "priority__1.replacement"),
	       "\"\\u00011\"", "medium => \\u00011");
	is_str(t_json(b, "settings.analysis.char_filter.flusso_enumsort__"
	                 "priority__2.pattern"),
	       "\"^high\\\\z\"", "high pattern anchored");
	is_long((long)t_at(b, "settings.analysis.char_filter")->n, 3,
	        "three char filters");
	has_str(t_prop(b, "priority"), "\"keyword_lowercase\"",
	        "auto subfields kept next to .sort");
	fl_val_free(b);
}

TAP_TEST(test_enum_sort_without_auto_subfields)
{
	struct fl_mapping_opts o;
	struct fl_val *b;

	fl_mapping_opts_default(&o);
	o.auto_subfields = 0;
	b = t_body(T_HEAD "  - enum: priority\n    required: true\n"
	                  "    variants: [low, high]\n",
	           &o);
	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_prop(b, "priority"),
	       "{\"fields\":{\"sort\":{\"ignore_above\":256,\"normalizer\":"
	       "\"flusso_enumsort__priority\",\"type\":\"keyword\"}},\"type\":"
	       "\"keyword\"}",
	       ".sort survives auto_subfields: false");
	fl_val_free(b);
}

TAP_TEST(test_bare_keyword_no_sort)
{
	struct fl_val *b = t_body(T_HEAD "  - keyword: k\n    required: true\n"
	                                 "  - enum: e\n    required: true\n"
	                                 "  - enum: e2\n    required: true\n"
	                                 "    variants: []\n",
	                          NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_json(b, "mappings.properties.k.fields.sort"), "(absent)",
	       "keyword has no .sort");
	is_str(t_json(b, "mappings.properties.e.fields.sort"), "(absent)",
	       "enum without variants has no .sort");
	is_str(t_json(b, "mappings.properties.e2.fields.sort"), "(absent)",
	       "enum with empty variants has no .sort");
	is_str(t_json(b, "settings.analysis.char_filter"), "(absent)",
	       "no char_filter key without an ordered enum");
	is_str(t_json(b, "settings.analysis.normalizer"),
	       "{\"flusso_lowercase\":{\"filter\":[\"lowercase\","
	       "\"asciifolding\"],\"type\":\"custom\"}}",
	       "only the lowercase normalizer");
	fl_val_free(b);
}

TAP_TEST(test_rank_padding)
{
	struct fl_val *b = t_body(
	    T_HEAD "  - enum: e\n    required: true\n"
	           "    variants: [v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, "
	           "v10, v11]\n",
	    NULL);
	const char *cf = "settings.analysis.char_filter.flusso_enumsort__e__";
	char path[256];

	if (!ok(b != NULL, "loads"))
		return;
	snprintf(path, sizeof(path), "%s0", cf);
	is_str(t_json(b, path),
	       "{\"pattern\":\"^v0\\\\z\",\"replacement\":\"\\u000100\","
	       "\"type\":\"pattern_replace\"}",
	       "v0 => 00");
	snprintf(path, sizeof(path), "%s11", cf);
	is_str(t_json(b, path),
	       "{\"pattern\":\"^v11\\\\z\",\"replacement\":\"\\u000111\","
	       "\"type\":\"pattern_replace\"}",
	       "v11 => 11");
	snprintf(path, sizeof(path), "%s9.replacement", cf);
	is_str(t_json(b, path), "\"\\u000109\"", "v9 => 09");
	is_long((long)t_at(b, "settings.analysis.normalizer.flusso_enumsort__"
	                      "e.char_filter")
	            ->n,
	        12, "normalizer lists all twelve");
	fl_val_free(b);
}

TAP_TEST(test_enum_exact_escaped)
{
	struct fl_val *b = t_body(T_HEAD "  - enum: e\n    required: true\n"
	                                 "    variants: [a.b, \"c++\", "
	                                 "\"x y\", \"caf\xc3\xa9\", "
	                                 "\"$1\\\\\", \"^[z]?\"]\n",
	                          NULL);
	const char *cf = "settings.analysis.char_filter.flusso_enumsort__e__";
	char path[256];

	if (!ok(b != NULL, "loads"))
		return;
	snprintf(path, sizeof(path), "%s0.pattern", cf);
	is_str(t_json(b, path), "\"^a\\\\.b\\\\z\"", "dot escaped");
	snprintf(path, sizeof(path), "%s1.pattern", cf);
	is_str(t_json(b, path), "\"^c\\\\+\\\\+\\\\z\"", "plus escaped");
	snprintf(path, sizeof(path), "%s2.pattern", cf);
	is_str(t_json(b, path), "\"^x\\\\ y\\\\z\"", "space escaped");
	snprintf(path, sizeof(path), "%s3.pattern", cf);
	is_str(t_json(b, path), "\"^caf\xc3\xa9\\\\z\"", "UTF-8 passes");
	snprintf(path, sizeof(path), "%s4.pattern", cf);
	is_str(t_json(b, path), "\"^\\\\$1\\\\\\\\\\\\z\"",
	       "dollar and backslash escaped");
	snprintf(path, sizeof(path), "%s5.pattern", cf);
	is_str(t_json(b, path), "\"^\\\\^\\\\[z\\\\]\\\\?\\\\z\"",
	       "regex metacharacters escaped");
	snprintf(path, sizeof(path), "%s5.replacement", cf);
	is_str(t_json(b, path), "\"\\u00015\"", "rank 5");
	fl_val_free(b);
}

TAP_TEST(test_enum_paths)
{
	struct fl_val *b = t_body(
	    T_HEAD "  - enum: a_b\n    required: true\n    variants: [x]\n"
	           "  - object: a\n    fields:\n"
	           "      - enum: b\n        required: true\n"
	           "        variants: [y]\n"
	           "  - has_many: orders\n    table: orders\n"
	           "    foreign_key: t_id\n    primary_key: id\n"
	           "    fields:\n"
	           "      - enum: status\n        required: true\n"
	           "        variants: [pending, paid]\n",
	    NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_json(b, "mappings.properties.orders.properties.status.fields."
	                 "sort.normalizer"),
	       "\"flusso_enumsort__orders_status\"",
	       "nested path orders.status -> orders_status");
	is_str(t_json(b, "mappings.properties.a_b.fields.sort.normalizer"),
	       "\"flusso_enumsort__a_b\"", "first a_b keeps the plain name");
	is_str(t_json(b, "mappings.properties.a.properties.b.fields.sort."
	                 "normalizer"),
	       "\"flusso_enumsort__a_b_2\"", "colliding a.b gets a suffix");
	is_str(t_json(b, "settings.analysis.char_filter.flusso_enumsort__a_b_"
	                 "2__0.pattern"),
	       "\"^y\\\\z\"", "and its own char filter");
	is_str(t_json(b, "settings.analysis.char_filter.flusso_enumsort__a_b__"
	                 "0.pattern"),
	       "\"^x\\\\z\"", "the first keeps its char filter");
	fl_val_free(b);
}

TAP_TEST(test_body_settings)
{
	struct fl_mapping_opts o;
	struct fl_val *b;

	fl_mapping_opts_default(&o);
	is_long(o.number_of_shards, 1, "default shards");
	is_long(o.number_of_replicas, 1, "default replicas");
	is_long(o.text_analysis, FL_ANALYSIS_BUILTIN, "default builtin");
	is_long(o.auto_subfields, 1, "default auto_subfields");
	o.number_of_shards = 3;
	o.number_of_replicas = 0;
	b = t_body(T_HEAD "  - long: id\n    required: true\n", &o);
	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_json(b, "settings.index"),
	       "{\"number_of_replicas\":0,\"number_of_shards\":3,"
	       "\"refresh_interval\":\"-1\"}",
	       "refresh -1 and the sink's shard counts (integers)");
	is_str(t_json(b, "mappings.dynamic"), "\"strict\"", "dynamic strict");
	is_str(t_json(b, "mappings.properties"), "{\"id\":{\"type\":\"long\"}}",
	       "one property");
	is_long((long)b->n, 2, "body is {mappings, settings}");
	is_long((long)t_at(b, "settings")->n, 2, "settings {analysis, index}");
	fl_val_free(b);
}

TAP_TEST(test_analysis_builtin)
{
	struct fl_val *b =
	    t_body(T_HEAD "  - long: id\n    required: true\n", NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(
	    t_json(b, "settings.analysis"),
	    "{\"analyzer\":{\"flusso_code\":{\"filter\":["
	    "\"flusso_word_delimiter\",\"flatten_graph\",\"lowercase\","
	    "\"asciifolding\"],\"tokenizer\":\"whitespace\",\"type\":"
	    "\"custom\"},\"flusso_text\":{\"filter\":[\"lowercase\","
	    "\"asciifolding\"],\"tokenizer\":\"standard\",\"type\":"
	    "\"custom\"}},\"filter\":{\"flusso_word_delimiter\":{"
	    "\"catenate_all\":true,\"preserve_original\":true,\"type\":"
	    "\"word_delimiter_graph\"}},\"normalizer\":{\"flusso_lowercase\":"
	    "{\"filter\":[\"lowercase\",\"asciifolding\"],\"type\":"
	    "\"custom\"}}}",
	    "builtin analysis block, emitted without any string field");
	fl_val_free(b);
}

TAP_TEST(test_analysis_icu)
{
	struct fl_mapping_opts o;
	struct fl_val *b;

	fl_mapping_opts_default(&o);
	o.text_analysis = FL_ANALYSIS_ICU;
	b = t_body(T_HEAD "  - enum: e\n    required: true\n"
	                  "    variants: [a]\n",
	           &o);
	if (!ok(b != NULL, "loads"))
		return;
	is_str(
	    t_json(b, "settings.analysis.analyzer"),
	    "{\"flusso_code\":{\"filter\":[\"flusso_word_delimiter\","
	    "\"flatten_graph\",\"lowercase\",\"icu_folding\"],\"tokenizer\":"
	    "\"whitespace\",\"type\":\"custom\"},\"flusso_text\":{\"filter\":"
	    "[\"icu_normalizer\",\"icu_folding\"],\"tokenizer\":"
	    "\"icu_tokenizer\",\"type\":\"custom\"}}",
	    "icu analyzers");
	is_str(t_json(b, "settings.analysis.normalizer.flusso_lowercase"),
	       "{\"filter\":[\"icu_normalizer\"],\"type\":\"custom\"}",
	       "icu lowercase normalizer");
	is_str(t_json(b, "settings.analysis.filter"),
	       "{\"flusso_word_delimiter\":{\"catenate_all\":true,"
	       "\"preserve_original\":true,\"type\":\"word_delimiter_graph\"}}",
	       "word delimiter unchanged");
	is_str(t_json(b, "settings.analysis.char_filter.flusso_enumsort__e__0."
	                 "type"),
	       "\"pattern_replace\"", "enum sort unchanged in icu mode");
	fl_val_free(b);
}

TAP_TEST(test_text_and_keyword_subfields)
{
	struct fl_val *b = t_body(T_HEAD "  - text: t\n    required: true\n"
	                                 "  - keyword: k\n    required: true\n"
	                                 "  - uuid: u\n    required: true\n",
	                          NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_prop(b, "t"),
	       "{\"analyzer\":\"flusso_text\",\"fields\":{\"keyword\":{"
	       "\"ignore_above\":256,\"type\":\"keyword\"},"
	       "\"keyword_lowercase\":{\"ignore_above\":256,\"normalizer\":"
	       "\"flusso_lowercase\",\"type\":\"keyword\"}},\"type\":\"text\"}",
	       "text: flusso_text + keyword + keyword_lowercase");
	is_str(t_prop(b, "k"),
	       "{\"fields\":{\"keyword_lowercase\":{\"ignore_above\":256,"
	       "\"normalizer\":\"flusso_lowercase\",\"type\":\"keyword\"},"
	       "\"text\":{\"analyzer\":\"flusso_code\",\"type\":\"text\"}},"
	       "\"type\":\"keyword\"}",
	       "keyword: .text (flusso_code) + .keyword_lowercase");
	is_str(t_prop(b, "u"), t_prop(b, "k"), "uuid like keyword");
	fl_val_free(b);
}

TAP_TEST(test_no_auto_subfields)
{
	struct fl_mapping_opts o;
	struct fl_val *b;

	fl_mapping_opts_default(&o);
	o.auto_subfields = 0;
	b = t_body(T_HEAD "  - text: t\n    required: true\n"
	                  "  - keyword: k\n    required: true\n"
	                  "  - identifier: i\n    required: true\n"
	                  "  - constant: c\n    value: x\n",
	           &o);
	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_prop(b, "t"), "{\"type\":\"text\"}", "text bare");
	is_str(t_prop(b, "k"), "{\"type\":\"keyword\"}", "keyword bare");
	is_str(t_prop(b, "c"), "{\"type\":\"keyword\"}", "constant bare");
	is_str(t_prop(b, "i"),
	       "{\"analyzer\":\"flusso_code\",\"type\":\"text\"}",
	       "identifier keeps its injected analyzer");
	fl_val_free(b);
}

TAP_TEST(test_identifier)
{
	struct fl_val *b = t_body(T_HEAD "  - identifier: sku\n"
	                                 "    required: true\n"
	                                 "  - identifier: code\n"
	                                 "    required: true\n"
	                                 "    options: { analyzer: english }\n",
	                          NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_json(b, "mappings.properties.sku.analyzer"), "\"flusso_code\"",
	       "identifier: flusso_code overrides flusso_text");
	has_str(t_prop(b, "sku"), "\"keyword_lowercase\"", "with subfields");
	is_str(t_json(b, "mappings.properties.code.analyzer"), "\"english\"",
	       "explicit analyzer wins over the injected one");
	fl_val_free(b);
}

TAP_TEST(test_options_analyzer_wins)
{
	struct fl_val *b = t_body(T_HEAD "  - text: t\n    required: true\n"
	                                 "    options: { analyzer: english }\n",
	                          NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_json(b, "mappings.properties.t.analyzer"), "\"english\"",
	       "options.analyzer: english wins");
	is_str(t_json(b, "mappings.properties.t.fields.keyword.type"),
	       "\"keyword\"", "auto subfields stay");
	is_str(t_json(b, "mappings.properties.t.fields.keyword_lowercase."
	                 "normalizer"),
	       "\"flusso_lowercase\"", "all of them");
	fl_val_free(b);
}

TAP_TEST(test_options_fields_replace)
{
	struct fl_val *b = t_body(
	    T_HEAD "  - enum: e\n    required: true\n    variants: [a, b]\n"
	           "    options:\n      fields: { raw: { type: keyword } }\n"
	           "      type: keyword\n      ignore_above: 64\n"
	           "  - keyword: k\n    required: true\n"
	           "    options: { type: wildcard }\n",
	    NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(
	    t_prop(b, "e"),
	    "{\"fields\":{\"raw\":{\"type\":\"keyword\"}},\"ignore_above\":64,"
	    "\"type\":\"keyword\"}",
	    "explicit fields replace the auto set, .sort included");
	ok(t_at(b, "settings.analysis.normalizer.flusso_enumsort__e") != NULL,
	   "the (now unused) normalizer is still defined");
	is_str(t_json(b, "mappings.properties.k.type"), "\"wildcard\"",
	       "options override the type");
	is_str(t_json(b, "mappings.properties.k.fields.text.analyzer"),
	       "\"flusso_code\"",
	       "subfields come from the type before options");
	fl_val_free(b);
}

TAP_TEST(test_nested_recursion)
{
	struct fl_val *b = t_body(
	    T_HEAD "  - has_many: orders\n    table: orders\n"
	           "    foreign_key: t_id\n    primary_key: id\n"
	           "    fields:\n"
	           "      - decimal: total\n        required: true\n"
	           "      - integer: qty\n        required: true\n"
	           "      - keyword: code\n        required: true\n"
	           "      - many_to_many: tags\n        table: tags\n"
	           "        through: { table: ot, left_key: o, right_key: t }\n"
	           "        primary_key: id\n        fields:\n"
	           "          - long: n\n            required: true\n"
	           "          - belongs_to: owner\n            table: u\n"
	           "            primary_key: id\n            fields:\n"
	           "              - text: name\n"
	           "                required: true\n"
	           "  - has_one: img\n    table: images\n"
	           "    foreign_key: t_id\n    primary_key: id\n"
	           "    fields: []\n"
	           "  - object: o\n    fields:\n"
	           "      - short: s\n        required: false\n",
	    NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_json(b, "mappings.properties.orders.type"), "\"nested\"",
	       "has_many is nested");
	is_str(t_json(b, "mappings.properties.orders.properties.total"),
	       "{\"type\":\"double\"}", "decimal child: no subfields");
	is_str(t_json(b, "mappings.properties.orders.properties.qty"),
	       "{\"type\":\"integer\"}", "integer child: no subfields");
	has_str(t_json(b, "mappings.properties.orders.properties.code"),
	        "\"keyword_lowercase\"", "keyword child gets subfields");
	is_str(t_json(b, "mappings.properties.orders.properties.tags.type"),
	       "\"nested\"", "many_to_many is nested");
	is_str(t_json(b, "mappings.properties.orders.properties.tags."
	                 "properties.n"),
	       "{\"type\":\"long\"}", "two levels down");
	is_str(t_json(b, "mappings.properties.orders.properties.tags."
	                 "properties.owner.type"),
	       "\"object\"", "belongs_to is object");
	is_str(t_json(b, "mappings.properties.orders.properties.tags."
	                 "properties.owner.properties.name.analyzer"),
	       "\"flusso_text\"", "three levels down");
	is_str(t_prop(b, "img"), "{\"properties\":{},\"type\":\"object\"}",
	       "has_one is object; no fields gives empty properties");
	is_str(t_prop(b, "o"),
	       "{\"properties\":{\"s\":{\"type\":\"short\"}},\"type\":"
	       "\"object\"}",
	       "object with properties, no subfields on the parent");
	fl_val_free(b);
}

TAP_TEST(test_custom)
{
	struct fl_val *b =
	    t_body(T_HEAD "  - custom: price\n"
	                  "    postgres: [numeric]\n"
	                  "    opensearch: scaled_float\n"
	                  "    options: { scaling_factor: 100 }\n"
	                  "    required: true\n"
	                  "  - custom: tag\n"
	                  "    postgres: [text]\n"
	                  "    opensearch: keyword\n"
	                  "    required: true\n"
	                  "  - custom: body\n"
	                  "    postgres: [text]\n"
	                  "    opensearch: text\n"
	                  "    required: true\n"
	                  "  - custom: ip\n"
	                  "    postgres: [inet]\n"
	                  "    opensearch: ip\n"
	                  "    required: true\n",
	           NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_prop(b, "price"),
	       "{\"scaling_factor\":100,\"type\":\"scaled_float\"}",
	       "scaled_float with scaling_factor 100 (an integer)");
	has_str(t_prop(b, "tag"), "\"text\":{\"analyzer\":\"flusso_code\"",
	        "custom keyword gets keyword subfields");
	has_str(t_prop(b, "body"), "\"analyzer\":\"flusso_text\"",
	        "custom text gets text subfields");
	is_str(t_prop(b, "ip"), "{\"type\":\"ip\"}", "other custom bare");
	fl_val_free(b);
}

TAP_TEST(test_map_json_binary_geo)
{
	struct fl_val *b =
	    t_body(T_HEAD "  - map: names\n    values: text\n"
	                  "    required: false\n"
	                  "  - json: attrs\n    required: false\n"
	                  "  - json: off\n    required: false\n"
	                  "    options: { enabled: false }\n"
	                  "  - json: fixed\n    required: false\n"
	                  "    options: { dynamic: strict }\n"
	                  "  - binary: blob\n    required: false\n"
	                  "  - geo: here\n    required: false\n"
	                  "  - geo: there\n    lat: la\n"
	                  "    lon: lo\n    required: false\n",
	           NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_prop(b, "names"), "{\"dynamic\":true,\"type\":\"object\"}",
	       "map: dynamic object, no properties");
	is_str(t_prop(b, "attrs"), "{\"dynamic\":true,\"type\":\"object\"}",
	       "json: dynamic object (ours)");
	is_str(t_prop(b, "off"), "{\"enabled\":false,\"type\":\"object\"}",
	       "json with enabled: false is not made dynamic");
	is_str(t_prop(b, "fixed"),
	       "{\"dynamic\":\"strict\",\"type\":\"object\"}",
	       "explicit dynamic wins");
	is_str(t_prop(b, "blob"), "{\"type\":\"binary\"}",
	       "binary passes through");
	is_str(t_prop(b, "here"), "{\"type\":\"geo_point\"}",
	       "single-column geo");
	is_str(t_prop(b, "there"), "{\"type\":\"geo_point\"}",
	       "two-column geo");
	fl_val_free(b);
}

TAP_TEST(test_constants_typed)
{
	struct fl_val *b = t_body(T_HEAD "  - constant: i\n    value: 42\n"
	                                 "  - constant: f\n    value: 2.5\n"
	                                 "  - constant: b\n    value: false\n"
	                                 "  - constant: s\n    value: account\n"
	                                 "  - constant: q\n    value: \"42\"\n"
	                                 "  - constant: n\n    value: null\n",
	                          NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_prop(b, "i"), "{\"type\":\"long\"}", "int -> long");
	is_str(t_prop(b, "f"), "{\"type\":\"double\"}", "float -> double");
	is_str(t_prop(b, "b"), "{\"type\":\"boolean\"}", "bool -> boolean");
	is_str(t_json(b, "mappings.properties.s.type"), "\"keyword\"",
	       "string -> keyword");
	has_str(t_prop(b, "s"), "\"keyword_lowercase\"",
	        "string constant gets auto subfields");
	is_str(t_json(b, "mappings.properties.q.type"), "\"keyword\"",
	       "quoted number is a string");
	is_str(t_json(b, "mappings.properties.n.type"), "\"keyword\"",
	       "null -> keyword");
	fl_val_free(b);
}

TAP_TEST(test_aggregates)
{
	struct fl_val *b =
	    t_body(T_HEAD "  - count: c\n    table: x\n    foreign_key: t_id\n"
	                  "  - avg: a\n    table: x\n    column: v\n"
	                  "    foreign_key: t_id\n"
	                  "  - sum: s\n    table: x\n    column: v\n"
	                  "    value_type: decimal\n    foreign_key: t_id\n"
	                  "  - min: mi\n    table: x\n    column: v\n"
	                  "    value_type: keyword\n    foreign_key: t_id\n"
	                  "  - max: ma\n    table: x\n    column: v\n"
	                  "    value_type: timestamp\n    foreign_key: t_id\n"
	                  "  - ids: il\n    table: x\n    foreign_key: t_id\n"
	                  "    element_type: long\n"
	                  "  - ids: ik\n    table: x\n    foreign_key: t_id\n"
	                  "    element_type: keyword\n"
	                  "    options: { ignore_above: 10 }\n",
	           NULL);

	if (!ok(b != NULL, "loads"))
		return;
	is_str(t_prop(b, "c"), "{\"type\":\"long\"}", "count long");
	is_str(t_prop(b, "a"), "{\"type\":\"double\"}", "avg double");
	is_str(t_prop(b, "s"), "{\"type\":\"double\"}", "sum of decimal");
	has_str(t_prop(b, "mi"), "\"keyword_lowercase\"",
	        "min of keyword gets subfields");
	is_str(t_prop(b, "ma"), "{\"type\":\"date\"}", "max of timestamp");
	is_str(t_prop(b, "il"), "{\"type\":\"long\"}", "ids of long");
	is_str(t_json(b, "mappings.properties.ik.ignore_above"), "10",
	       "options on an aggregate");
	has_str(t_prop(b, "ik"), "\"text\":{", "ids of keyword subfields");
	fl_val_free(b);
}

/* ---- golden bodies ------------------------------------------------------- */

TAP_TEST(test_golden_bodies)
{
	static const char *const g[][2] = {
		{ "tests/golden/mapping/worked_example.schema.yml",
		  "tests/golden/mapping/worked_example.body.json" },
		{ "tests/golden/appendix_a/accounts.schema.yml",
		  "tests/golden/appendix_a/accounts.body.json" },
		{ "tests/golden/appendix_a/products.schema.yml",
		  "tests/golden/appendix_a/products.body.json" },
		{ "tests/golden/appendix_a/orders.schema.yml",
		  "tests/golden/appendix_a/orders.body.json" },
		{ "share/examples/shop/users.schema.yml",
		  "tests/golden/shop/users.body.json" },
		{ "share/examples/shop/products.schema.yml",
		  "tests/golden/shop/products.body.json" },
		{ "share/examples/shop/orders.schema.yml",
		  "tests/golden/shop/orders.body.json" },
		{ "tests/golden/hash/all_kinds.schema.yml",
		  "tests/golden/mapping/all_kinds.body.json" },
	};
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(g); i++)
		t_golden_body(g[i][0], g[i][1]);
}

/* The worked example of §5.5 against the reference body, member by
 * member, except for the enum sort (ours: exact match). */
TAP_TEST(test_worked_example)
{
	struct fl_mapping_opts o;
	struct fl_diags d;
	struct fl_schema *s;
	struct fl_val *b;
	char path[4096];

	t_src_path("tests/golden/mapping/worked_example.schema.yml", path,
	           sizeof(path));
	fl_diags_init(&d);
	s = fl_schema_load(path, "worked_example.schema.yml", &d);
	fl_diags_done(&d);
	if (!ok(s != NULL, "worked example loads"))
		return;
	fl_mapping_opts_default(&o);
	b = fl_mapping_body(s, &o);
	is_str(t_json(b, "settings.index"),
	       "{\"number_of_replicas\":1,\"number_of_shards\":1,"
	       "\"refresh_interval\":\"-1\"}",
	       "index settings");
	is_str(
	    t_json(b, "settings.analysis.normalizer.flusso_enumsort__"
	              "status.char_filter"),
	    "[\"flusso_enumsort__status__0\",\"flusso_enumsort__status__1\"]",
	    "status normalizer");
	is_str(t_json(b, "settings.analysis.char_filter.flusso_enumsort__"
	                 "status__1"),
	       "{\"pattern\":\"^paid\\\\z\",\"replacement\":\"\\u00011\","
	       "\"type\":\"pattern_replace\"}",
	       "paid => \\u00011");
	is_str(t_prop(b, "email"),
	       "{\"fields\":{\"keyword_lowercase\":{\"ignore_above\":256,"
	       "\"normalizer\":\"flusso_lowercase\",\"type\":\"keyword\"},"
	       "\"text\":{\"analyzer\":\"flusso_code\",\"type\":\"text\"}},"
	       "\"type\":\"keyword\"}",
	       "email");
	is_str(t_prop(b, "sku"),
	       "{\"analyzer\":\"flusso_code\",\"fields\":{\"keyword\":{"
	       "\"ignore_above\":256,\"type\":\"keyword\"},"
	       "\"keyword_lowercase\":{\"ignore_above\":256,\"normalizer\":"
	       "\"flusso_lowercase\",\"type\":\"keyword\"}},\"type\":\"text\"}",
	       "sku");
	is_str(t_json(b, "mappings.properties.status.fields.sort"),
	       "{\"ignore_above\":256,\"normalizer\":\"flusso_enumsort__"
	       "status\",\"type\":\"keyword\"}",
	       "status.sort");
	is_str(t_prop(b, "orders"),
	       "{\"properties\":{\"total\":{\"type\":\"double\"}},\"type\":"
	       "\"nested\"}",
	       "orders");
	fl_val_free(b);
	fl_schema_free(s);
}

TAP_TEST(test_pretty)
{
	struct fl_val *m = fl_val_new(FL_VAL_MAP);
	struct fl_val *l = fl_val_new(FL_VAL_LIST);
	struct fl_buf b;

	fl_val_list_push(l, fl_val_new_str("x"));
	fl_val_list_push(l, fl_val_new(FL_VAL_MAP));
	fl_val_map_set(m, "b", l);
	fl_val_map_set(m, "a", fl_val_new(FL_VAL_LIST));
	fl_buf_init(&b, 1024);
	is_long(fl_val_to_json_pretty(m, &b), 0, "pretty ok");
	is_str(fl_buf_str(&b),
	       "{\n  \"a\": [],\n  \"b\": [\n    \"x\",\n    {}\n  ]\n}",
	       "pretty layout");
	fl_buf_reset(&b);
	b.max = 4;
	is_long(fl_val_to_json_pretty(m, &b), -1, "cap reported");
	fl_buf_done(&b);
	fl_val_free(m);
}

int
main(void)
{
	tap_run(test_enum_sort);
	tap_run(test_enum_sort_without_auto_subfields);
	tap_run(test_bare_keyword_no_sort);
	tap_run(test_rank_padding);
	tap_run(test_enum_exact_escaped);
	tap_run(test_enum_paths);
	tap_run(test_body_settings);
	tap_run(test_analysis_builtin);
	tap_run(test_analysis_icu);
	tap_run(test_text_and_keyword_subfields);
	tap_run(test_no_auto_subfields);
	tap_run(test_identifier);
	tap_run(test_options_analyzer_wins);
	tap_run(test_options_fields_replace);
	tap_run(test_nested_recursion);
	tap_run(test_custom);
	tap_run(test_map_json_binary_geo);
	tap_run(test_constants_typed);
	tap_run(test_aggregates);
	tap_run(test_worked_example);
	tap_run(test_golden_bodies);
	tap_run(test_pretty);
	return tap_done();
}
