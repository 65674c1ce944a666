/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_pg_check.c - `flusso check`'s database rules against the real
 * PostgreSQL (source.md §15, §4, §3.2, §10.4):
 *   (a) the shop example passes with no diagnostics; coverage says what
 *       to create, then is satisfied once the publication exists; slot
 *       states (missing, ok, other plugin, other database, physical);
 *   (b) a deliberately broken database reports each problem with its
 *       file, position and key path: unknown column, wrong type, missing
 *       tables (diagnostics, not an abort), untracked child with both
 *       fixes, no replica identity, root key that is not the catalog key,
 *       bad filter and default literals, a time column as timestamp,
 *       required-but-nullable; a native enum is accepted; no publication
 *       gives the CREATE PUBLICATION remediation;
 *   (c) publications with publish = 'insert', a row filter, a column
 *       list, and a partitioned table without publish_via_partition_root
 *       are Errors.
 *
 * Needs FLUSSO_TEST_PG_URL (tests/services.sh env); fails with the
 * reason without it. Creates its own databases, publications and slots,
 * all named flusso_it_chk_<pid>_..., and drops them at the end.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "source/pg_check.h"
#include "source/pg_conn.h"
#include "tap.h"
#include "util/xmem.h"

static char t_prefix[64];   /* flusso_it_chk_<pid> */
static const char *t_admin; /* FLUSSO_TEST_PG_URL */
static char t_dir[256];     /* scratch directory for config files */

/* ---- helpers ----------------------------------------------------------- */

/* The admin URL with its database replaced by `db` (caller frees). */
static char *
t_url(const char *db)
{
	const char *slash = strrchr(t_admin, '/');
	const char *q = strchr(slash, '?');

	return fl_xasprintf("%.*s/%s%s", (int)(slash - t_admin), t_admin, db,
	                    q ? q : "");
}

static PGconn *
t_connect(const char *db)
{
	char *url = t_url(db);
	struct fl_err err;
	PGconn *c = fl_pgconn_open(url, "flusso-test", 0, &err);

	if (!c)
		printf("# %s\n", err.msg);
	free(url);
	return c;
}

/* Run SQL; 0 or -1 (the error printed as a TAP comment). */
static int
t_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;

	if (rc < 0)
		printf("# SQL failed: %s# in: %.200s\n", PQerrorMessage(c),
		       sql);
	PQclear(r);
	return rc;
}

static int t_execf(PGconn *c, const char *fmt, ...) FL_PRINTF(2, 3);

static int
t_execf(PGconn *c, const char *fmt, ...)
{
	char sql[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return t_exec(c, sql);
}

static char *
t_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct fl_buf b;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	fl_buf_init(&b, 1 << 24);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_append(&b, chunk, n);
	fclose(f);
	return fl_buf_steal(&b);
}

static void
t_write(const char *name, const char *text)
{
	char *path = fl_xasprintf("%s/%s", t_dir, name);
	FILE *f = fopen(path, "wb");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

/* One check run: config, diagnostics and the database report. */
struct t_run {
	struct fl_config *cfg;
	struct fl_diags diags;
	struct fl_check_db db;
	int rc;
};

static void
t_dump(const struct fl_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		char *m = fl_diag_format(&d->v[i]);

		printf("#   %s %s\n",
		       d->v[i].sev == FL_DIAG_ERROR ? "error:" : "warning:", m);
		free(m);
	}
}

/* Load `config` and check it against database `db`. */
static int
t_check(struct t_run *r, const char *config, const char *db, const char *pub,
        const char *slot)
{
	struct fl_check_db_opts o = { .slot = slot, .publication = pub };
	struct fl_err err;
	PGconn *c;

	memset(r, 0, sizeof(*r));
	fl_diags_init(&r->diags);
	r->rc = -1;
	r->cfg = fl_config_load(config, NULL, &r->diags);
	if (!r->cfg) {
		t_dump(&r->diags);
		return -1;
	}
	if (!(c = t_connect(db)))
		return -1;
	r->rc = fl_check_db_run(c, r->cfg, &o, &r->db, &r->diags, &err);
	if (r->rc < 0)
		printf("# check failed: %s\n", err.msg);
	PQfinish(c);
	return r->rc;
}

static void
t_run_done(struct t_run *r)
{
	fl_check_db_done(&r->db);
	fl_config_free(r->cfg);
	fl_diags_done(&r->diags);
}

/* The first diagnostic of severity `sev` whose message has `needle`. */
static const struct fl_diag *
t_find(const struct t_run *r, enum fl_diag_sev sev, const char *needle)
{
	size_t i;

	for (i = 0; i < r->diags.n; i++)
		if (r->diags.v[i].sev == sev &&
		    strstr(r->diags.v[i].msg, needle))
			return &r->diags.v[i];
	return NULL;
}

/* Expect a diagnostic with `needle`, in a file ending with `file`, at
 * `line` (0: any line > 0; -1: no position) and with key path `path`. */
static const struct fl_diag *
t_expect(const struct t_run *r, enum fl_diag_sev sev, const char *needle,
         const char *file, int line, const char *path)
{
	const struct fl_diag *g = t_find(r, sev, needle);
	char what[512];
	size_t fl, nl;

	snprintf(what, sizeof(what), "%s: %s",
	         sev == FL_DIAG_ERROR ? "error" : "warning", needle);
	if (!ok(g != NULL, what)) {
		t_dump(&r->diags);
		return NULL;
	}
	fl = g->file ? strlen(g->file) : 0;
	nl = strlen(file);
	snprintf(what, sizeof(what), "  ... in %s", file);
	ok(g->file && fl >= nl && strcmp(g->file + fl - nl, file) == 0, what);
	if (line > 0)
		is_long(g->line, line, "  ... at its line");
	else if (line == 0)
		ok(g->line > 0 && g->col > 0, "  ... with a position");
	is_str(g->path, path, "  ... with its key path");
	return g;
}

/* ---- fixtures ---------------------------------------------------------- */

static const char shop_seed[] =
    "INSERT INTO categories VALUES (1, NULL, 'home', 'Home');"
    "INSERT INTO tags VALUES (1, 'eco');"
    "INSERT INTO products (id, sku, name, price, category_id) VALUES "
    "(1, 'SKU-1', 'Kettle', 20.00, 1);"
    "INSERT INTO product_tags VALUES (1, 1);"
    "INSERT INTO users (id, email, full_name) VALUES (1, 'ada@x.io', "
    "'Ada');"
    "INSERT INTO profiles (user_id, bio) VALUES (1, 'hi');"
    "INSERT INTO addresses VALUES (1, 1, 'home', 'Main St 1', 'Rome', "
    "'it', NULL);"
    "INSERT INTO orders VALUES (1, 1, 'paid', now(), 20.00, NULL);"
    "INSERT INTO order_items VALUES (1, 1, 1, 1, 20.00);"
    "INSERT INTO reviews VALUES (1, 1, 1, 5, 'ok', 'approved', now());";

/* Create the shop database from share/examples/shop/schema.sql. */
static int
t_make_shop(const char *db)
{
	const char *src = getenv("FLUSSO_SOURCE_DIR");
	char *path =
	    fl_xasprintf("%s/share/examples/shop/schema.sql", src ? src : ".");
	char *sql = t_read(path);
	PGconn *c;
	int rc = -1;

	if (!sql)
		printf("# cannot read %s\n", path);
	free(path);
	if (sql && (c = t_connect(db))) {
		rc = t_exec(c, sql) < 0 || t_exec(c, shop_seed) < 0 ? -1 : 0;
		PQfinish(c);
	}
	free(sql);
	return rc;
}

static const char broken_sql[] =
    "CREATE TYPE mood AS ENUM ('happy', 'sad');"
    "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, "
    "mood mood NOT NULL, wake_at time NOT NULL, bio text, age integer, "
    "score integer);"
    /* default identity: the FK is not in it (untracked) */
    "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, "
    "total numeric(10,2) NOT NULL);"
    /* no primary key: no replica identity at all */
    "CREATE TABLE notes (id bigint, user_id bigint, body text);"
    /* declared key `email` is neither the PK nor unique */
    "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);"
    "CREATE TABLE events (id bigint PRIMARY KEY, kind text) PARTITION BY "
    "RANGE (id);"
    "CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (0) TO "
    "(1000);";

static const char broken_yml[] = "source:\n"
                                 "  type: postgres\n"
                                 "index:\n"
                                 "  - name: accounts\n"
                                 "    schema: accounts.schema.yml\n"
                                 "    enabled: true\n"
                                 "  - name: ghosts\n"
                                 "    schema: ghosts.schema.yml\n"
                                 "    enabled: true\n"
                                 "  - name: users\n"
                                 "    schema: users.schema.yml\n"
                                 "    enabled: true\n";

/* Line numbers are asserted below: keep them in sync. */
static const char users_yml[] =
    "version: 1\n"                            /* 1 */
    "table: users\n"                          /* 2 */
    "primary_key: id\n"                       /* 3 */
    "filters:\n"                              /* 4 */
    "  - {column: age, op: gt, value: abc}\n" /* 5 */
    "fields:\n"                               /* 6 */
    "  - long: id\n"                          /* 7 */
    "    required: true\n"                    /* 8 */
    "  - keyword: nickname\n"                 /* 9 */
    "    required: false\n"                   /* 10 */
    "  - long: email\n"                       /* 11 */
    "    required: true\n"                    /* 12 */
    "  - enum: mood\n"                        /* 13 */
    "    required: true\n"                    /* 14 */
    "  - timestamp: wakeAt\n"                 /* 15 */
    "    column: wake_at\n"                   /* 16 */
    "    required: true\n"                    /* 17 */
    "  - text: bio\n"                         /* 18 */
    "    required: true\n"                    /* 19 */
    "  - integer: score\n"                    /* 20 */
    "    required: false\n"                   /* 21 */
    "    default: lots\n"                     /* 22 */
    "  - has_many: orders\n"                  /* 23 */
    "    table: orders\n"                     /* 24 */
    "    foreign_key: user_id\n"              /* 25 */
    "    primary_key: id\n"                   /* 26 */
    "    order_by: [{column: placed_at}]\n"   /* 27 */
    "    fields:\n"                           /* 28 */
    "      - decimal: total\n"                /* 29 */
    "        required: true\n"                /* 30 */
    "      - keyword: status\n"               /* 31 */
    "        required: true\n"                /* 32 */
    "  - count: reviewCount\n"                /* 33 */
    "    table: reviews\n"                    /* 34 */
    "    foreign_key: user_id\n"              /* 35 */
    "  - has_many: notes\n"                   /* 36 */
    "    table: notes\n"                      /* 37 */
    "    foreign_key: user_id\n"              /* 38 */
    "    primary_key: id\n"                   /* 39 */
    "    fields: []\n";                       /* 40 */

static const char accounts_yml[] = "version: 1\n"
                                   "table: accounts\n"
                                   "primary_key: email\n"
                                   "fields:\n"
                                   "  - keyword: email\n"
                                   "    required: true\n";

static const char ghosts_yml[] = "version: 1\n"
                                 "table: ghosts\n"
                                 "fields:\n"
                                 "  - keyword: name\n"
                                 "    required: true\n";

static const char events_cfg[] = "source:\n"
                                 "  type: postgres\n"
                                 "index:\n"
                                 "  - name: events\n"
                                 "    schema: events.schema.yml\n"
                                 "    enabled: true\n";

static const char events_yml[] = "version: 1\n"
                                 "table: events\n"
                                 "primary_key: id\n"
                                 "fields:\n"
                                 "  - keyword: kind\n"
                                 "    required: false\n";

/* ---- (a) the shop example ---------------------------------------------- */

static char *
t_shop_config(void)
{
	const char *src = getenv("FLUSSO_SOURCE_DIR");

	return fl_xasprintf("%s/share/examples/shop/flusso.yml",
	                    src ? src : ".");
}

/* Slot states on the shop database. */
static void
t_shop_slots(const char *cfg, const char *shop)
{
	char ok_slot[96], td[96], phys[96], other[96];
	struct t_run r;
	PGconn *c = t_connect(shop), *a = t_connect("flusso_test");

	snprintf(ok_slot, sizeof(ok_slot), "%s_ok", t_prefix);
	snprintf(td, sizeof(td), "%s_td", t_prefix);
	snprintf(phys, sizeof(phys), "%s_phys", t_prefix);
	snprintf(other, sizeof(other), "%s_other", t_prefix);
	if (!ok(c && a, "connect for slots"))
		goto out;
	ok(t_execf(
	       c,
	       "SELECT pg_create_logical_replication_slot('%s', "
	       "'pgoutput'), pg_create_logical_replication_slot('%s', "
	       "'test_decoding'), pg_create_physical_replication_slot('%s')",
	       ok_slot, td, phys) == 0 &&
	       t_execf(a,
	               "SELECT pg_create_logical_replication_slot('%s', "
	               "'pgoutput')",
	               other) == 0,
	   "slots created");
	t_check(&r, cfg, shop, "flusso", ok_slot);
	is_str(r.db.slot.state, "ok", "a pgoutput slot here is ok");
	is_long((long)r.diags.nerrors, 0, "  ... without errors");
	t_run_done(&r);
	t_check(&r, cfg, shop, "flusso", td);
	is_str(r.db.slot.state, "other_plugin", "another plugin");
	t_expect(&r, FL_DIAG_ERROR,
	         "exists but uses plugin 'test_decoding', expected 'pgoutput'",
	         "flusso.yml", -1, "source");
	t_run_done(&r);
	t_check(&r, cfg, shop, "flusso", phys);
	is_str(r.db.slot.state, "physical", "a physical slot");
	t_expect(&r, FL_DIAG_ERROR, "is a physical slot; choose another --slot",
	         "flusso.yml", -1, "source");
	t_run_done(&r);
	t_check(&r, cfg, shop, "flusso", other);
	is_str(r.db.slot.state, "other_database", "another database's slot");
	t_expect(&r, FL_DIAG_ERROR, "belongs to database flusso_test",
	         "flusso.yml", -1, "source");
	t_run_done(&r);
out:
	if (a)
		t_execf(a,
		        "SELECT pg_drop_replication_slot(slot_name) FROM "
		        "pg_replication_slots WHERE slot_name LIKE '%s%%'",
		        t_prefix);
	PQfinish(c);
	PQfinish(a);
}

TAP_TEST(test_shop)
{
	char *shop = fl_xasprintf("%s_shop", t_prefix), *cfg = t_shop_config();
	char *url = t_url(shop), *want;
	char pub[96];
	struct t_run r;
	PGconn *c;

	snprintf(pub, sizeof(pub), "%s_pub", t_prefix);
	setenv("SHOP_DATABASE_URL", url, 1);
	setenv("SHOP_OPENSEARCH_URL", "http://127.0.0.1:9", 1);
	if (!ok(t_make_shop(shop) == 0, "shop database loaded"))
		goto out;
	ok(t_check(&r, cfg, shop, pub, pub) == 0, "check runs");
	is_long((long)r.diags.nerrors, 0, "the shop example has no errors");
	is_long((long)r.diags.nwarnings, 0, "... and no warnings");
	t_dump(&r.diags);
	is_long((long)r.db.coverage.required.n, 10, "10 required tables");
	ok(!r.db.coverage.exists && !r.db.coverage.satisfied,
	   "no publication yet");
	is_long((long)r.db.coverage.missing.n, 10, "all 10 missing");
	ok(r.db.coverage.manageable, "superuser: manageable");
	want =
	    fl_xasprintf("CREATE PUBLICATION \"%s\" FOR TABLE "
	                 "\"public\".\"addresses\", \"public\".\"categories\"",
	                 pub);
	ok(r.db.coverage.remediation &&
	       strncmp(r.db.coverage.remediation, want, strlen(want)) == 0,
	   "CREATE PUBLICATION remediation");
	free(want);
	is_str(r.db.slot.state, "missing", "the slot does not exist");
	ok(r.db.untracked.n == 0, "every child table is tracked");
	if ((c = t_connect(shop)) && r.db.coverage.remediation) {
		ok(t_exec(c, r.db.coverage.remediation) == 0,
		   "the remediation runs as is");
		t_run_done(&r);
		t_check(&r, cfg, shop, pub, pub);
		ok(r.db.coverage.exists && r.db.coverage.satisfied,
		   "now covered");
		is_long((long)r.db.coverage.present.n, 10, "10 present");
		ok(r.db.coverage.remediation == NULL, "nothing to run");
		is_long((long)r.diags.nerrors, 0, "still no errors");
	}
	PQfinish(c);
	t_run_done(&r);
	t_shop_slots(cfg, shop);
out:
	free(url);
	free(shop);
	free(cfg);
}

/* ---- (b) a broken database --------------------------------------------- */

static void
t_broken_checks(const struct t_run *r)
{
	const struct fl_diag *g;

	t_expect(r, FL_DIAG_ERROR,
	         "field references unknown column `public.users.nickname`",
	         "users.schema.yml", 9, "fields[1].keyword nickname");
	t_expect(r, FL_DIAG_ERROR,
	         "declared type `long` does not accept the column's database "
	         "type `text`",
	         "users.schema.yml", 11, "fields[2].long email");
	ok(t_find(r, FL_DIAG_ERROR, "mood") == NULL,
	   "a native enum column declared `enum` is accepted");
	t_expect(r, FL_DIAG_WARNING, "OpenSearch's default date format",
	         "users.schema.yml", 15, "fields[4].timestamp wakeAt");
	t_expect(r, FL_DIAG_WARNING,
	         "declared non-null (`required`) but the database column "
	         "allows null",
	         "users.schema.yml", 18, "fields[5].text bio");
	t_expect(r, FL_DIAG_ERROR, "default `lots` is not a valid `integer`",
	         "users.schema.yml", 20, "fields[6].integer score.default");
	t_expect(r, FL_DIAG_ERROR,
	         "filter value `abc` is not a valid `integer`",
	         "users.schema.yml", 5, "filters[0]");
	g = t_expect(r, FL_DIAG_ERROR, "table public.orders is untracked",
	             "users.schema.yml", 23,
	             "fields[7].has_many orders.foreign_key");
	if (g) {
		has_str(g->msg,
		        "ALTER TABLE \"public\".\"orders\" REPLICA "
		        "IDENTITY FULL;",
		        "  ... offers REPLICA IDENTITY FULL");
		has_str(g->msg,
		        "CREATE UNIQUE INDEX CONCURRENTLY "
		        "\"orders_id_user_id_key\" "
		        "ON \"public\".\"orders\" (\"id\", "
		        "\"user_id\"); ALTER TABLE \"public\".\"orders\" "
		        "REPLICA IDENTITY USING INDEX "
		        "\"orders_id_user_id_key\";",
		        "  ... and a unique index with USING INDEX");
	}
	t_expect(
	    r, FL_DIAG_ERROR,
	    "`order_by` references unknown column `public.orders.placed_at`",
	    "users.schema.yml", 23, "fields[7].has_many orders.order_by[0]");
	t_expect(r, FL_DIAG_ERROR,
	         "field references unknown column `public.orders.status`",
	         "users.schema.yml", 31,
	         "fields[7].has_many orders.fields[1].keyword status");
	t_expect(r, FL_DIAG_ERROR,
	         "aggregate table `public.reviews` does not exist",
	         "users.schema.yml", 33, "fields[8].count reviewCount");
	t_expect(r, FL_DIAG_ERROR, "table public.notes has no replica identity",
	         "users.schema.yml", 36, "fields[9].has_many notes");
	t_expect(r, FL_DIAG_ERROR, "table `public.ghosts` does not exist",
	         "ghosts.schema.yml", 2, "table");
	t_expect(r, FL_DIAG_ERROR,
	         "`primary_key` `email` must be the primary key of "
	         "public.accounts",
	         "accounts.schema.yml", 3, "primary_key");
	t_expect(r, FL_DIAG_ERROR,
	         "root key `email` is not in the replica identity of "
	         "public.accounts",
	         "accounts.schema.yml", 3, "primary_key");
}

TAP_TEST(test_broken)
{
	char *db = fl_xasprintf("%s_broken", t_prefix);
	char *cfg = fl_xasprintf("%s/broken.yml", t_dir), *want;
	char pub[96];
	struct t_run r;
	PGconn *c;

	snprintf(pub, sizeof(pub), "%s_none", t_prefix);
	t_write("broken.yml", broken_yml);
	t_write("users.schema.yml", users_yml);
	t_write("accounts.schema.yml", accounts_yml);
	t_write("ghosts.schema.yml", ghosts_yml);
	if (!ok((c = t_connect(db)) != NULL && t_exec(c, broken_sql) == 0,
	        "broken database loaded")) {
		PQfinish(c);
		goto out;
	}
	PQfinish(c);
	ok(t_check(&r, cfg, db, pub, pub) == 0,
	   "check completes despite missing tables");
	t_broken_checks(&r);
	ok(!r.db.coverage.exists && r.db.coverage.missing.n == 6,
	   "no publication: every table missing");
	want = fl_xasprintf("CREATE PUBLICATION \"%s\" FOR TABLE "
	                    "\"public\".\"accounts\", \"public\".\"orders\", "
	                    "\"public\".\"users\";",
	                    pub);
	is_str(r.db.coverage.remediation, want,
	       "remediation: existing tables with an identity only");
	free(want);
	is_long((long)r.db.untracked.n, 1, "one untracked table");
	t_run_done(&r);
out:
	free(db);
	free(cfg);
}

/* ---- (c) publication problems ------------------------------------------ */

static const char shop_tables[] =
    "addresses, categories, order_items, orders, product_tags, "
    "products, profiles, reviews, tags";

TAP_TEST(test_publications)
{
	char *shop = fl_xasprintf("%s_shop", t_prefix), *cfg = t_shop_config();
	char ins[96], rf[96];
	const struct fl_diag *g;
	struct t_run r;
	PGconn *c = t_connect(shop);

	snprintf(ins, sizeof(ins), "%s_ins", t_prefix);
	snprintf(rf, sizeof(rf), "%s_rf", t_prefix);
	if (!ok(c &&
	            t_execf(c,
	                    "CREATE PUBLICATION %s FOR TABLE users, %s WITH "
	                    "(publish = 'insert')",
	                    ins, shop_tables) == 0 &&
	            t_execf(c,
	                    "CREATE PUBLICATION %s FOR TABLE users WHERE "
	                    "(id > 0), addresses, categories, order_items, "
	                    "orders, product_tags, products, profiles, "
	                    "reviews, tags (id)",
	                    rf) == 0,
	        "publications created"))
		goto out;
	t_check(&r, cfg, shop, ins, ins);
	ok(r.db.coverage.satisfied, "insert-only: tables covered");
	g = t_expect(&r, FL_DIAG_ERROR,
	             "does not publish updates deletes truncates", "flusso.yml",
	             -1, "source");
	if (g)
		has_str(g->msg,
		        "SET (publish = 'insert, update, delete, truncate');",
		        "  ... with the fix");
	t_run_done(&r);
	t_check(&r, cfg, shop, rf, rf);
	t_expect(&r, FL_DIAG_ERROR, "has a row filter on public.users",
	         "schema.yml", 0, "fields[5].belongs_to customer");
	t_expect(&r, FL_DIAG_ERROR, "has a column list on public.tags",
	         "products.schema.yml", 0, "fields[10].many_to_many tags");
	t_run_done(&r);
out:
	PQfinish(c);
	free(shop);
	free(cfg);
}

TAP_TEST(test_partitioned)
{
	char *db = fl_xasprintf("%s_broken", t_prefix);
	char *cfg = fl_xasprintf("%s/events.yml", t_dir);
	char leaf[96], none[96];
	struct t_run r;
	PGconn *c = t_connect(db);

	snprintf(leaf, sizeof(leaf), "%s_leaf", t_prefix);
	snprintf(none, sizeof(none), "%s_nopub", t_prefix);
	t_write("events.yml", events_cfg);
	t_write("events.schema.yml", events_yml);
	t_check(&r, cfg, db, none, none);
	has_str(r.db.coverage.remediation,
	        "FOR TABLE \"public\".\"events\" WITH "
	        "(publish_via_partition_root = true);",
	        "CREATE for a partitioned table adds the via-root option");
	is_long((long)r.diags.nerrors, 0, "a partitioned root is fine");
	t_run_done(&r);
	if (!ok(c && t_execf(c, "CREATE PUBLICATION %s FOR TABLE events",
	                     leaf) == 0,
	        "publication without via root"))
		goto out;
	t_check(&r, cfg, db, leaf, leaf);
	ok(r.db.coverage.satisfied,
	   "leaves map to the partitioned table (pg_partition_root)");
	t_expect(&r, FL_DIAG_ERROR,
	         "public.events is partitioned and publication",
	         "events.schema.yml", 2, "table");
	t_run_done(&r);
out:
	PQfinish(c);
	free(db);
	free(cfg);
}

/* ---- setup ------------------------------------------------------------- */

static int
t_setup(PGconn *admin)
{
	char tmpl[] = "/tmp/flusso_it_chk_XXXXXX";

	if (!mkdtemp(tmpl))
		return -1;
	snprintf(t_dir, sizeof(t_dir), "%s", tmpl);
	return t_execf(admin, "CREATE DATABASE %s_shop", t_prefix) < 0 ||
	               t_execf(admin, "CREATE DATABASE %s_broken", t_prefix) < 0
	           ? -1
	           : 0;
}

static void
t_teardown(PGconn *admin)
{
	const char *names[] = { "broken.yml",          "users.schema.yml",
		                "accounts.schema.yml", "ghosts.schema.yml",
		                "events.yml",          "events.schema.yml" };
	size_t i;

	t_execf(admin,
	        "SELECT pg_drop_replication_slot(slot_name) FROM "
	        "pg_replication_slots WHERE slot_name LIKE '%s%%'",
	        t_prefix);
	t_execf(admin, "DROP DATABASE IF EXISTS %s_shop WITH (FORCE)",
	        t_prefix);
	t_execf(admin, "DROP DATABASE IF EXISTS %s_broken WITH (FORCE)",
	        t_prefix);
	for (i = 0; t_dir[0] && i < FL_ARRAY_LEN(names); i++) {
		char *p = fl_xasprintf("%s/%s", t_dir, names[i]);

		unlink(p);
		free(p);
	}
	if (t_dir[0])
		rmdir(t_dir);
}

int
main(void)
{
	PGconn *admin;

	t_admin = getenv("FLUSSO_TEST_PG_URL");
	if (!ok(t_admin && *t_admin, "FLUSSO_TEST_PG_URL is set")) {
		printf("# start the services with tests/services.sh start pg "
		       "and eval \"$(tests/services.sh env)\"\n");
		return tap_done();
	}
	snprintf(t_prefix, sizeof(t_prefix), "flusso_it_chk_%ld",
	         (long)getpid());
	admin = t_connect("flusso_test");
	if (!ok(admin != NULL, "admin connection") ||
	    !ok(t_setup(admin) == 0, "test databases created")) {
		if (admin)
			t_teardown(admin);
		PQfinish(admin);
		return tap_done();
	}
	tap_run(test_shop);
	tap_run(test_broken);
	tap_run(test_publications);
	tap_run(test_partitioned);
	t_teardown(admin);
	PQfinish(admin);
	return tap_done();
}
