/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_hash.c - the schema content hash (config.md §6.1): FNV-1a 64
 * vectors, the canonical JSON layout of schema_hash.h, golden hashes and
 * canonical forms of the Appendix A schemas, the shop example and the
 * all-kinds fixture, and what does and does not change the hash.
 *
 * Golden files live next to the fixtures (tests/golden/<dir>/<name>.hash and
 * <name>.canonical.json) so a deliberate change is a visible diff.
 * FLUSSO_UPDATE_GOLDEN=1 rewrites them from the current output; a real
 * change of the canonical form also needs FL_HASH_SCHEME_VERSION bumped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "config/schema_hash.h"
#include "tap.h"
#include "util/buf.h"
#include "util/diagnostics.h"

/* ---- helpers ------------------------------------------------------------ */

static void
t_print_diags(const struct fl_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		char *m = fl_diag_format(&d->v[i]);

		printf("#   %s\n", m);
		free(m);
	}
}

static struct fl_schema *
t_load(const char *yaml)
{
	struct fl_diags d;
	struct fl_schema *s;

	fl_diags_init(&d);
	s = fl_schema_load_mem(yaml, strlen(yaml), "test.schema.yml", &d);
	if (!s)
		t_print_diags(&d);
	fl_diags_done(&d);
	return s;
}

/* Hash of a schema text into out ("(load error)" when it does not load). */
static void
t_hash(const char *yaml, char out[17])
{
	struct fl_schema *s = t_load(yaml);

	if (!s) {
		snprintf(out, 17, "(load error)");
		return;
	}
	fl_hash_schema(s, out);
	fl_schema_free(s);
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
		printf("#   (FLUSSO_UPDATE_GOLDEN=1 rewrites it; a real change "
		       "of the canonical form needs FL_HASH_SCHEME_VERSION "
		       "bumped)\n");
	free(want);
}

/* ---- the function --------------------------------------------------------- */

TAP_TEST(test_fnv_vectors)
{
	char hex[17];

	snprintf(hex, sizeof(hex), "%016llx",
	         (unsigned long long)fl_hash_fnv1a64(FL_HASH_FNV_BASIS, "", 0));
	is_str(hex, "cbf29ce484222325", "FNV-1a 64 of \"\"");
	snprintf(
	    hex, sizeof(hex), "%016llx",
	    (unsigned long long)fl_hash_fnv1a64(FL_HASH_FNV_BASIS, "a", 1));
	is_str(hex, "af63dc4c8601ec8c", "FNV-1a 64 of \"a\"");
	snprintf(hex, sizeof(hex), "%016llx",
	         (unsigned long long)fl_hash_fnv1a64(
	             fl_hash_fnv1a64(FL_HASH_FNV_BASIS, "foo", 3), "bar", 3));
	is_str(hex, "85944171f73967e8", "FNV-1a 64 of \"foobar\", chained");
	is_long(FL_HASH_SCHEME_VERSION, 1, "scheme version 1");
}

TAP_TEST(test_minimal_canonical)
{
	struct fl_schema *s = t_load("version: 1\ntable: t\nfields: []\n");
	char hex[17];
	char *c;

	if (!ok(s != NULL, "loads"))
		return;
	c = fl_hash_canonical(s);
	is_str(c,
	       "{\"db_schema\":\"public\",\"fields\":[],\"table\":\"t\","
	       "\"version\":1}",
	       "minimal canonical form: absent optionals omitted");
	fl_hash_schema(s, hex);
	/* Computed independently: FNV-1a 64 of
	 * "flusso-schema-hash/1\n" + the canonical text above. */
	is_str(hex, "05df56293ff914c3", "hash of the minimal schema");
	free(c);
	fl_schema_free(s);
}

TAP_TEST(test_canonical_members)
{
	struct fl_schema *s =
	    t_load("version: 1\ntable: t\nprimary_key: id\n"
	           "soft_delete: { column: gone }\n"
	           "fields:\n"
	           "  - keyword: Name\n    required: false\n"
	           "    transforms: [lowercase, trim]\n    default: 0\n"
	           "  - has_many: xs\n    table: x\n    foreign_key: t_id\n"
	           "    primary_key: id\n    order_by: [{ column: n }]\n"
	           "    fields: []\n"
	           "  - constant: c\n    value: 1.0\n"
	           "  - count: n\n    table: x\n    foreign_key: t_id\n"
	           "    filters: [{ column: v, op: in, value: [1, b] }]\n");
	char *c;

	if (!ok(s != NULL, "loads"))
		return;
	c = fl_hash_canonical(s);
	is_str(c,
	       "{\"db_schema\":\"public\",\"fields\":["
	       "{\"column\":\"name\",\"default\":0,\"kind\":\"column\","
	       "\"name\":\"Name\",\"required\":false,\"transforms\":["
	       "\"lowercase\",\"trim\"],\"type\":\"keyword\"},"
	       "{\"fields\":[],\"foreign_key\":\"t_id\",\"join\":\"has_many\","
	       "\"kind\":\"join\",\"name\":\"xs\",\"order_by\":[{\"column\":"
	       "\"n\",\"direction\":\"asc\"}],\"primary_key\":\"id\","
	       "\"table\":\"x\"},"
	       "{\"kind\":\"constant\",\"name\":\"c\",\"value\":1.0},"
	       "{\"filters\":[{\"column\":\"v\",\"op\":\"in\",\"value\":[\"1\","
	       "\"b\"]}],\"foreign_key\":\"t_id\",\"kind\":\"aggregate\","
	       "\"name\":\"n\",\"op\":\"count\",\"table\":\"x\"}],"
	       "\"primary_key\":\"id\",\"soft_delete\":{\"column\":\"gone\"},"
	       "\"table\":\"t\",\"version\":1}",
	       "layout of schema_hash.h");
	free(c);
	fl_schema_free(s);
}

/* ---- golden hashes ------------------------------------------------------- */

TAP_TEST(test_golden_hashes)
{
	static const char *const g[][2] = {
		{ "tests/golden/appendix_a/accounts.schema.yml",
		  "tests/golden/appendix_a/accounts" },
		{ "tests/golden/appendix_a/products.schema.yml",
		  "tests/golden/appendix_a/products" },
		{ "tests/golden/appendix_a/orders.schema.yml",
		  "tests/golden/appendix_a/orders" },
		{ "share/examples/shop/users.schema.yml",
		  "tests/golden/shop/users" },
		{ "share/examples/shop/products.schema.yml",
		  "tests/golden/shop/products" },
		{ "share/examples/shop/orders.schema.yml",
		  "tests/golden/shop/orders" },
		{ "tests/golden/mapping/worked_example.schema.yml",
		  "tests/golden/mapping/worked_example" },
		{ "tests/golden/hash/all_kinds.schema.yml",
		  "tests/golden/hash/all_kinds" },
	};
	char path[4096], rel[4096], line[32], hex[17];
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(g); i++) {
		struct fl_diags d;
		struct fl_schema *s;
		struct fl_buf b;
		char *c;

		t_src_path(g[i][0], path, sizeof(path));
		fl_diags_init(&d);
		s = fl_schema_load(path, g[i][0], &d);
		if (!s)
			t_print_diags(&d);
		fl_diags_done(&d);
		if (!ok(s != NULL, g[i][0]))
			continue;
		fl_hash_schema(s, hex);
		printf("# %s %s\n", hex, g[i][0]);
		snprintf(line, sizeof(line), "%s\n", hex);
		snprintf(rel, sizeof(rel), "%s.hash", g[i][1]);
		t_golden(rel, line);
		c = fl_hash_canonical(s);
		fl_buf_init(&b, 1 << 24);
		fl_buf_puts(&b, c);
		fl_buf_putc(&b, '\n');
		snprintf(rel, sizeof(rel), "%s.canonical.json", g[i][1]);
		t_golden(rel, fl_buf_str(&b));
		fl_buf_done(&b);
		free(c);
		fl_schema_free(s);
	}
}

/* ---- invariance and sensitivity ----------------------------------------- */

static const char t_base[] = "version: 1\n"
                             "table: orders\n"
                             "primary_key: id\n"
                             "filters:\n"
                             "  - { column: channel, op: eq, value: web }\n"
                             "  - { column: total, op: gt, value: 10 }\n"
                             "fields:\n"
                             "  - long: id\n"
                             "    required: true\n"
                             "  - enum: status\n"
                             "    required: true\n"
                             "    variants: [pending, paid]\n"
                             "  - has_many: lines\n"
                             "    table: order_lines\n"
                             "    foreign_key: order_id\n"
                             "    primary_key: id\n"
                             "    order_by:\n"
                             "      - { column: line_no }\n"
                             "    fields:\n"
                             "      - integer: qty\n"
                             "        required: true\n"
                             "      - keyword: sku\n"
                             "        required: true\n"
                             "        transforms: [trim]\n"
                             "  - has_many: returns\n"
                             "    table: order_returns\n"
                             "    foreign_key: order_id\n"
                             "    primary_key: id\n"
                             "    fields:\n"
                             "      - integer: qty\n"
                             "        required: true\n"
                             "      - keyword: sku\n"
                             "        required: true\n"
                             "        transforms: [trim]\n";

/* Same schema: keys reordered everywhere. */
static const char t_reordered[] =
    "fields:\n"
    "  - required: true\n"
    "    long: id\n"
    "  - variants: [pending, paid]\n"
    "    required: true\n"
    "    enum: status\n"
    "  - fields:\n"
    "      - required: true\n"
    "        integer: qty\n"
    "      - transforms: [trim]\n"
    "        keyword: sku\n"
    "        required: true\n"
    "    order_by:\n"
    "      - { column: line_no }\n"
    "    primary_key: id\n"
    "    foreign_key: order_id\n"
    "    has_many: lines\n"
    "    table: order_lines\n"
    "  - primary_key: id\n"
    "    table: order_returns\n"
    "    has_many: returns\n"
    "    foreign_key: order_id\n"
    "    fields:\n"
    "      - integer: qty\n"
    "        required: true\n"
    "      - keyword: sku\n"
    "        required: true\n"
    "        transforms: [trim]\n"
    "filters:\n"
    "  - { value: web, op: eq, column: channel }\n"
    "  - { op: gt, column: total, value: 10 }\n"
    "primary_key: id\n"
    "table: orders\n"
    "version: 1\n";

/* Same schema: comments, flow/block style, quoting, blank lines, case
 * of identifiers, defaults written out. */
static const char t_formatted[] =
    "# a comment\n"
    "version: 1   # trailing comment\n"
    "\n"
    "schema: public\n"
    "table: \"Orders\"\n"
    "primary_key: ID\n"
    "filters: [{column: channel, op: eq, value: \"web\"},\n"
    "          {column: total, op: gt, value: \"10\"}]\n"
    "fields:\n"
    "  - {long: id, required: true}\n"
    "  - enum: status\n"
    "    required: true\n"
    "    variants:\n"
    "      - pending\n"
    "      - 'paid'\n"
    "  - has_many: lines\n"
    "    table: ORDER_LINES\n"
    "    foreign_key: order_id\n"
    "    primary_key: id\n"
    "    filters: []\n"
    "    order_by:\n"
    "      - column: line_no\n"
    "        direction: asc\n"
    "    fields:\n"
    "      - integer: qty\n"
    "        required: true\n"
    "      - keyword: sku\n"
    "        required: true\n"
    "        transforms:\n"
    "          - trim\n"
    "  - has_many: returns\n"
    "    table: order_returns\n"
    "    foreign_key: order_id\n"
    "    primary_key: id\n"
    "    fields: [{integer: qty, required: true},\n"
    "             {keyword: sku, required: true, transforms: [trim]}]\n";

/* Same schema: the repeated field list as an anchor and an alias. */
static const char t_anchored[] = "version: 1\n"
                                 "table: orders\n"
                                 "primary_key: id\n"
                                 "filters:\n"
                                 "  - { column: channel, op: eq, value: web }\n"
                                 "  - { column: total, op: gt, value: 10 }\n"
                                 "fields:\n"
                                 "  - long: id\n"
                                 "    required: &yes true\n"
                                 "  - enum: status\n"
                                 "    required: *yes\n"
                                 "    variants: [pending, paid]\n"
                                 "  - has_many: lines\n"
                                 "    table: order_lines\n"
                                 "    foreign_key: order_id\n"
                                 "    primary_key: id\n"
                                 "    order_by:\n"
                                 "      - { column: line_no }\n"
                                 "    fields: &items\n"
                                 "      - integer: qty\n"
                                 "        required: true\n"
                                 "      - keyword: sku\n"
                                 "        required: true\n"
                                 "        transforms: [trim]\n"
                                 "  - has_many: returns\n"
                                 "    table: order_returns\n"
                                 "    foreign_key: order_id\n"
                                 "    primary_key: id\n"
                                 "    fields: *items\n";

/* t_base with the first occurrence of `from` replaced by `to`. */
static void
t_edit(const char *from, const char *to, char *out, size_t n)
{
	const char *p = strstr(t_base, from);

	if (!p) {
		snprintf(out, n, "(no %s)", from);
		return;
	}
	snprintf(out, n, "%.*s%s%s", (int)(p - t_base), t_base, to,
	         p + strlen(from));
}

TAP_TEST(test_invariance)
{
	char base[17], h[17];

	t_hash(t_base, base);
	ok(strlen(base) == 16 && strspn(base, "0123456789abcdef") == 16,
	   "16 lowercase hex digits");
	t_hash(t_reordered, h);
	is_str(h, base, "YAML key order does not matter");
	t_hash(t_formatted, h);
	is_str(h, base,
	       "comments, formatting, quoting, identifier case, "
	       "`schema: public`, `direction: asc`, `filters: []` do not "
	       "matter");
	t_hash(t_anchored, h);
	is_str(h, base, "anchors and aliases hash like expanded copies");
}

TAP_TEST(test_sensitivity)
{
	static const char *const edits[][3] = {
		{ "    required: true\n  - enum",
		  "    required: false\n  - enum",
		  "flipping required changes the hash" },
		{ "  - long: id\n    required: true\n  - enum: status\n"
		  "    required: true\n    variants: [pending, paid]\n",
		  "  - enum: status\n    required: true\n"
		  "    variants: [pending, paid]\n  - long: id\n"
		  "    required: true\n",
		  "reordering fields changes the hash" },
		{ "value: web", "value: app",
		  "editing a filter value changes the hash" },
		{ "[pending, paid]", "[pending, paid, shipped]",
		  "adding a variant changes the hash" },
		{ "[pending, paid]", "[paid, pending]",
		  "reordering variants changes the hash" },
		{ "[pending, paid]", "[pending, payed]",
		  "renaming a variant changes the hash" },
		{ "{ column: line_no }", "{ column: line_no, direction: desc }",
		  "order_by direction changes the hash" },
		{ "table: orders\n", "table: orders\nschema: billing\n",
		  "the database schema changes the hash" },
		{ "transforms: [trim]", "transforms: [trim, lowercase]",
		  "transforms change the hash" },
		{ "  - long: id\n    required: true\n",
		  "  - long: id\n    required: true\n"
		  "    options: { ignore_malformed: true }\n",
		  "options change the hash" },
		{ "foreign_key: order_id\n    primary_key: id\n    order_by",
		  "foreign_key: order_id\n    primary_key: id\n    limit: 3\n"
		  "    order_by",
		  "a limit changes the hash" },
		{ "  - long: id\n", "  - integer: id\n",
		  "a type change changes the hash" },
	};
	char base[17], h[17], text[4096];
	size_t i;

	t_hash(t_base, base);
	for (i = 0; i < FL_ARRAY_LEN(edits); i++) {
		t_edit(edits[i][0], edits[i][1], text, sizeof(text));
		t_hash(text, h);
		ok(strcmp(h, base) != 0 && strcmp(h, "(load error)") != 0,
		   edits[i][2]);
	}
}

int
main(void)
{
	tap_run(test_fnv_vectors);
	tap_run(test_minimal_canonical);
	tap_run(test_canonical_members);
	tap_run(test_golden_hashes);
	tap_run(test_invariance);
	tap_run(test_sensitivity);
	return tap_done();
}
