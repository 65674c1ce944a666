/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_hash_ref.c - the reference implementation's content hash
 * (schema_hash_ref.c, `--index-naming reference`): our C reproduction of
 * Rust's derived-Hash stream must give, for every fixture of
 * tests/golden/reference/, the value the reference itself printed
 * (hashes.txt; how it was produced: README.md there). The fixtures are the
 * reference's three dev schemas, a small edit of each (so a constant cannot
 * pass) and one schema using every construct the hash walks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "config/schema_hash_ref.h"
#include "tap.h"
#include "util/diagnostics.h"

static void
t_src_path(const char *rel, char *out, size_t n)
{
	const char *dir = getenv("FLUSSO_SOURCE_DIR");

	snprintf(out, n, "%s/%s", dir ? dir : ".", rel);
}

/* Hash of one fixture into out ("(load error)" when it does not load). */
static void
t_hash_file(const char *name, char out[9])
{
	char rel[512], path[4096];
	struct fl_diags d;
	struct fl_schema *s;
	size_t i;

	snprintf(rel, sizeof(rel), "tests/golden/reference/%s", name);
	t_src_path(rel, path, sizeof(path));
	fl_diags_init(&d);
	s = fl_schema_load(path, name, &d);
	for (i = 0; i < d.n; i++) {
		char *m = fl_diag_format(&d.v[i]);

		printf("#   %s\n", m);
		free(m);
	}
	fl_diags_done(&d);
	if (!s) {
		snprintf(out, 9, "(error)");
		return;
	}
	fl_hash_ref_schema(s, out);
	fl_schema_free(s);
}

TAP_TEST(test_golden_reference)
{
	char path[4096], line[512];
	FILE *f;
	int n = 0;

	t_src_path("tests/golden/reference/hashes.txt", path, sizeof(path));
	f = fopen(path, "r");
	if (!ok(f != NULL, "hashes.txt readable (set FLUSSO_SOURCE_DIR)"))
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[256], want[16], got[9], what[400];

		if (line[0] == '#' ||
		    sscanf(line, "%255s %15s", name, want) != 2)
			continue;
		t_hash_file(name, got);
		snprintf(what, sizeof(what), "reference hash of %s", name);
		is_str(got, want, what);
		n++;
	}
	fclose(f);
	ok(n >= 7, "every golden line was checked");
}

/* The edited fixtures differ from their originals, so the values above are
 * not one constant. */
TAP_TEST(test_sensitivity)
{
	char a[9], b[9];

	t_hash_file("users.schema.yml", a);
	t_hash_file("users_required.schema.yml", b);
	ok(strcmp(a, b) != 0, "flipping `required` changes the hash");
	t_hash_file("orders.schema.yml", a);
	t_hash_file("orders_nodir.schema.yml", b);
	ok(strcmp(a, b) != 0, "an omitted direction differs from `asc`");
	is_str(a, "07c42120", "orders (reference value, repeated)");
}

int
main(void)
{
	tap_run(test_golden_reference);
	tap_run(test_sensitivity);
	return tap_done();
}
