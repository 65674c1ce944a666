/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_hash_ref.c - the reference implementation's content hash
 * (schema_hash_ref.c, `--index-naming reference`): our C reproduction of
 * Rust's derived-Hash stream must give, for every fixture of
 * tests/golden/reference/hashes.txt, the value the reference itself printed
 * (README.md there). Always checked: our shop example's three schemas and
 * kitchen.schema.yml (every construct the hash walks). Checked when the
 * reference's data files are found (tests/lib/reference_data.sh, which also
 * makes one small edit of each, so a constant cannot pass): its three dev
 * schemas and the edits; skipped (TAP SKIP) otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/schema.h"
#include "config/schema_hash_ref.h"
#include "tap.h"
#include "util/diagnostics.h"

static char t_ref_dir[64];  /* the reference's dev data, made here */
static char t_ref_why[512]; /* why it is absent ("" when present) */
static int t_ref_found;

static const char *
t_src(void)
{
	const char *dir = getenv("FLUSSO_SOURCE_DIR");

	return dir ? dir : ".";
}

static void
t_skip(const char *what)
{
	tap_n++;
	printf("ok %d # SKIP %s: %s\n", tap_n, what, t_ref_why);
}

/* The reference's dev data into a scratch directory, through the shared
 * lookup (tests/lib/reference_data.sh). */
static void
t_ref_setup(void)
{
	char cmd[8192];
	FILE *p;
	size_t n;
	int rc;

	snprintf(t_ref_dir, sizeof(t_ref_dir), "/tmp/flusso-hashref.XXXXXX");
	if (!mkdtemp(t_ref_dir)) {
		snprintf(t_ref_why, sizeof(t_ref_why), "no scratch directory");
		return;
	}
	snprintf(cmd, sizeof(cmd),
	         "sh '%s/tests/lib/reference_data.sh' '%s' '%s'", t_src(),
	         t_src(), t_ref_dir);
	p = popen(cmd, "r");
	if (!p) {
		snprintf(t_ref_why, sizeof(t_ref_why),
		         "cannot run tests/lib/reference_data.sh");
		return;
	}
	n = fread(t_ref_why, 1, sizeof(t_ref_why) - 1, p);
	t_ref_why[n] = '\0';
	t_ref_why[strcspn(t_ref_why, "\n")] = '\0';
	rc = pclose(p);
	if (rc == 0) {
		printf("# reference data: %s\n", t_ref_why);
		t_ref_found = 1;
		t_ref_why[0] = '\0';
	}
}

static void
t_ref_teardown(void)
{
	char cmd[128];

	if (!t_ref_dir[0] || strncmp(t_ref_dir, "/tmp/flusso-hashref.", 20))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_ref_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", t_ref_dir);
}

/* Hash of one fixture (hashes.txt name) into out ("(error)" when it does
 * not load). */
static void
t_hash_file(const char *name, char out[9])
{
	char path[4096];
	struct fl_diags d;
	struct fl_schema *s;
	size_t i;

	if (strncmp(name, "ref/", 4) == 0)
		snprintf(path, sizeof(path), "%s/%s", t_ref_dir, name + 4);
	else
		snprintf(path, sizeof(path), "%s/%s", t_src(), name);
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
	int ours = 0, refs = 0;

	snprintf(path, sizeof(path), "%s/tests/golden/reference/hashes.txt",
	         t_src());
	f = fopen(path, "r");
	if (!ok(f != NULL, "hashes.txt readable (set FLUSSO_SOURCE_DIR)"))
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[256], want[16], got[9], what[400];

		if (line[0] == '#' ||
		    sscanf(line, "%255s %15s", name, want) != 2)
			continue;
		snprintf(what, sizeof(what), "reference hash of %s", name);
		if (strncmp(name, "ref/", 4) == 0) {
			refs++;
			if (!t_ref_found) {
				t_skip(what);
				continue;
			}
		} else {
			ours++;
		}
		t_hash_file(name, got);
		is_str(got, want, what);
	}
	fclose(f);
	ok(ours >= 4, "our fixtures (shop example, kitchen) are in hashes.txt");
	ok(refs >= 6, "the reference's fixtures are in hashes.txt");
}

/* The edited fixtures differ from their originals, so the values above are
 * not one constant; so do the three shop schemas. */
TAP_TEST(test_sensitivity)
{
	char a[9], b[9], c[9];

	t_hash_file("share/examples/shop/users.schema.yml", a);
	t_hash_file("share/examples/shop/orders.schema.yml", b);
	t_hash_file("share/examples/shop/products.schema.yml", c);
	ok(strcmp(a, b) != 0 && strcmp(b, c) != 0 && strcmp(a, c) != 0,
	   "the three shop schemas hash differently");
	if (!t_ref_found) {
		t_skip("flipping `required` changes the hash");
		t_skip("an omitted direction differs from `asc`");
		return;
	}
	t_hash_file("ref/users.schema.yml", a);
	t_hash_file("ref/users_required.schema.yml", b);
	ok(strcmp(a, b) != 0, "flipping `required` changes the hash");
	t_hash_file("ref/orders.schema.yml", a);
	t_hash_file("ref/orders_nodir.schema.yml", b);
	ok(strcmp(a, b) != 0, "an omitted direction differs from `asc`");
}

int
main(void)
{
	t_ref_setup();
	tap_run(test_golden_reference);
	tap_run(test_sensitivity);
	t_ref_teardown();
	return tap_done();
}
