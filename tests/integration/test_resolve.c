/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_resolve.c - reverse resolution (source.md §12.3, §19 cases 1, 2,
 * 10-12, 16-18) against the real PostgreSQL, each case asserting the
 * exact set of (index, id) produced, the expectation computed by plain
 * SQL:
 *   shop (schema.sql + seed.sql, scale 1): root change and key change,
 *   child insert / delete (old FK) / move (old and new parent) over one
 *   and two hops, belongs_to target changed and deleted (all referrers),
 *   junction insert / delete, many_to_many far row, a product embedded
 *   three levels deep, TRUNCATE scope, unrelated schema;
 *   fixtures: a self-referencing belongs_to, int4 FK to int8 PK both
 *   ways, key types int4 / int8 / uuid / text / date / timestamptz /
 *   numeric through a query hop and a belongs_to hop, untracked child
 *   tables (counted; new values used), a TOAST-unchanged FK read back;
 *   fan-out: a category renamed under 100,000 products yields exactly
 *   those 100,000 ids, streamed through a cursor in chunks (seen open
 *   mid-stream from inside emit), in bounded memory; cancelling from
 *   emit leaves the connection usable.
 *
 * Needs FLUSSO_TEST_PG_URL and the PostgreSQL binaries (psql loads the
 * seed); creates and drops flusso_it_rs_<pid>.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "docs/resolve.h"
#include "source/change_event.h"
#include "source/pg_conn.h"
#include "source/tracked_tables.h"
#include "tap.h"
#include "util/buf.h"
#include "util/xmem.h"

static const char *t_admin;
static const char *t_src;
static char t_db[64];
static char t_dir[256];

/* ---- helpers ------------------------------------------------------------ */

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

static int t_exec(PGconn *c, const char *fmt, ...) FL_PRINTF(2, 3);

static int
t_exec(PGconn *c, const char *fmt, ...)
{
	char sql[16384];
	va_list ap;
	PGresult *r;
	int rc;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	r = PQexec(c, sql);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ||
	             PQresultStatus(r) == PGRES_TUPLES_OK
	         ? 0
	         : -1;
	if (rc < 0)
		printf("# SQL failed: %s# in: %.300s\n", PQerrorMessage(c),
		       sql);
	PQclear(r);
	return rc;
}

static int
t_psql(const char *file, const char *vars)
{
	const char *bin = getenv("FLUSSO_TEST_PG_BIN");
	char *url = t_url(t_db);
	char *cmd = fl_xasprintf("'%s/psql' -X -q -v ON_ERROR_STOP=1 %s -d "
	                         "'%s' -f '%s/%s' >/dev/null",
	                         bin ? bin : "/usr/lib/postgresql/15/bin", vars,
	                         url, t_src, file);
	int rc = system(cmd);

	if (rc)
		printf("# failed: %s\n", cmd);
	free(cmd);
	free(url);
	return rc ? -1 : 0;
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

static struct fl_config *
t_config(const char *path)
{
	struct fl_diags d;
	struct fl_config *c;
	size_t i;

	fl_diags_init(&d);
	c = fl_config_load(path, NULL, &d);
	for (i = 0; i < d.n; i++) {
		char *m = fl_diag_format(&d.v[i]);

		printf("# %s\n", m);
		free(m);
	}
	fl_diags_done(&d);
	return c;
}

/* A sorted, unique set of "index/key" strings. */
struct t_set {
	char **v;
	size_t n, cap;
};

static void
t_set_add(struct t_set *s, const char *index, const char *key)
{
	s->v = fl_xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = fl_xasprintf("%s/%s", index, key);
}

static int
t_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort, drop duplicates, and join with spaces (caller frees). */
static char *
t_set_text(struct t_set *s)
{
	struct fl_buf b;
	size_t i, m = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), t_strcmp);
	for (i = 0; i < s->n; i++) {
		if (m && !strcmp(s->v[m - 1], s->v[i])) {
			free(s->v[i]);
			continue;
		}
		s->v[m++] = s->v[i];
	}
	s->n = m;
	fl_buf_init(&b, 1 << 26);
	for (i = 0; i < s->n; i++)
		fl_buf_printf(&b, "%s%s", i ? " " : "", s->v[i]);
	return fl_buf_steal(&b);
}

static void
t_set_done(struct t_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Add "index/<value>" for every row of `sql` (first column). */
static void
t_expect(PGconn *c, struct t_set *s, const char *index, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int i;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("# expectation failed: %s", PQerrorMessage(c));
	for (i = 0; i < PQntuples(r); i++)
		t_set_add(s, index, PQgetvalue(r, i, 0));
	PQclear(r);
}

/* A change built by hand, as capture would. */
struct t_change {
	struct fl_change c;
	struct fl_cval nv[32], ov[32];
	char *owned[64];
	size_t nowned;
};

static const struct fl_track_table *
t_change(struct t_change *tc, const struct fl_track *tr, const char *table,
         enum fl_change_op op, char old_kind)
{
	memset(tc, 0, sizeof(*tc));
	tc->c.op = op;
	tc->c.table = fl_track_find(tr, "public", table);
	tc->c.newv = tc->nv;
	tc->c.oldv = tc->ov;
	tc->c.old_kind = old_kind;
	if (!tc->c.table)
		printf("# table %s is not tracked\n", table);
	return tc->c.table;
}

/* Set a column in the new ('n') or old ('o') image; NULL text = SQL
 * NULL, "\1" = TOAST-unchanged. */
static void
t_set(struct t_change *tc, char img, const char *col, const char *text)
{
	struct fl_cval *v = img == 'n' ? tc->nv : tc->ov;
	int i = tc->c.table ? fl_track_col(tc->c.table, col) : -1;

	if (i < 0) {
		printf("# column %s is not needed\n", col);
		return;
	}
	if (!text) {
		v[i].state = FL_CV_NULL;
	} else if (!strcmp(text, "\1")) {
		v[i].state = FL_CV_TOAST;
	} else {
		v[i].state = FL_CV_VALUE;
		v[i].text = tc->owned[tc->nowned++] = fl_xstrdup(text);
	}
}

static void
t_change_done(struct t_change *tc)
{
	size_t i;

	for (i = 0; i < tc->nowned; i++)
		free(tc->owned[i]);
}

struct t_emit {
	struct t_set got;
	unsigned long calls;
	PGconn *conn;
	unsigned long probe_at; /* query pg_cursors at this call */
	long cursors_seen;
	unsigned long abort_at;
};

static int
t_emit_cb(void *arg, const char *index, const char *key)
{
	struct t_emit *e = arg;

	e->calls++;
	if (e->abort_at && e->calls == e->abort_at)
		return -1;
	if (e->probe_at && e->calls == e->probe_at) {
		PGresult *r = PQexec(e->conn, "SELECT count(*) FROM pg_cursors "
		                              "WHERE name LIKE 'fl_resolve_%'");

		e->cursors_seen = PQresultStatus(r) == PGRES_TUPLES_OK
		                      ? strtol(PQgetvalue(r, 0, 0), NULL, 10)
		                      : -1;
		PQclear(r);
	}
	t_set_add(&e->got, index, key ? key : "<unresolved>");
	return 0;
}

/* Resolve tc and compare the ids with `want` (built by the caller). */
static void
t_check(struct fl_resolver *r, PGconn *c, struct t_change *tc,
        struct t_set *want, const char *what)
{
	struct t_emit e;
	struct fl_err err;
	char *g, *w;

	memset(&e, 0, sizeof(e));
	e.conn = c;
	if (!tc->c.table) {
		ok(0, what);
		return;
	}
	if (fl_resolve(r, c, &tc->c, t_emit_cb, &e, &err) < 0) {
		printf("# resolve: %s\n", err.msg);
		ok(0, what);
	} else {
		g = t_set_text(&e.got);
		w = t_set_text(want);
		is_str(g, w, what);
		free(g);
		free(w);
	}
	t_set_done(&e.got);
	t_set_done(want);
	t_change_done(tc);
}

/* ---- the shop ----------------------------------------------------------- */

struct t_env {
	struct fl_config *cfg;
	struct fl_track track;
	struct fl_resolver *r;
	PGconn *c;
};

static int
t_env_open(struct t_env *x, const char *config)
{
	struct fl_err err;

	memset(x, 0, sizeof(*x));
	x->cfg = t_config(config);
	x->c = t_connect(t_db);
	if (!x->cfg || !x->c)
		return -1;
	fl_track_build(x->cfg, &x->track);
	if (fl_track_load_catalog(x->c, &x->track, &err) < 0) {
		printf("# track: %s\n", err.msg);
		return -1;
	}
	x->r = fl_resolver_new(x->cfg, &x->track);
	if (fl_resolver_prepare(x->r, x->c, &err) < 0) {
		printf("# prepare: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void
t_env_close(struct t_env *x)
{
	fl_resolver_free(x->r);
	if (x->track.v)
		fl_track_done(&x->track);
	fl_config_free(x->cfg);
	PQfinish(x->c);
}

TAP_TEST(test_shop)
{
	char *path = fl_xasprintf("%s/share/examples/shop/flusso.yml", t_src);
	struct t_env x;
	struct t_change tc;
	struct t_set w = { 0 };
	const char *names[8];
	size_t n;

	if (!ok(t_env_open(&x, path) == 0, "shop resolver prepared")) {
		free(path);
		t_env_close(&x);
		return;
	}
	free(path);
	/* a root row: itself, and the orders embedding it (belongs_to) */
	t_change(&tc, &x.track, "users", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "5");
	t_set_add(&w, "users", "5");
	t_expect(x.c, &w, "orders", "SELECT id FROM orders WHERE user_id = 5");
	t_check(x.r, x.c, &tc, &w,
	        "users row: its document and the orders embedding it");
	/* soft-deleted root row: still its own id (the tombstone) */
	t_change(&tc, &x.track, "users", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "135");
	t_set_add(&w, "users", "135");
	t_expect(x.c, &w, "orders",
	         "SELECT id FROM orders WHERE user_id = 135");
	t_check(x.r, x.c, &tc, &w, "soft-deleted users row: still resolved");
	/* root key changed: old and new */
	t_change(&tc, &x.track, "users", FL_CHANGE_UPDATE, 'K');
	t_set(&tc, 'n', "id", "100001");
	t_set(&tc, 'o', "id", "6");
	t_set_add(&w, "users", "6");
	t_set_add(&w, "users", "100001");
	t_expect(x.c, &w, "orders",
	         "SELECT id FROM orders WHERE user_id IN (6, 100001)");
	t_check(x.r, x.c, &tc, &w, "root key changed: old and new ids");
	/* child insert, two hops to the user */
	t_change(&tc, &x.track, "order_items", FL_CHANGE_INSERT, 0);
	t_set(&tc, 'n', "id", "900001");
	t_set(&tc, 'n', "order_id", "10");
	t_set_add(&w, "orders", "10");
	t_expect(x.c, &w, "users", "SELECT user_id FROM orders WHERE id = 10");
	t_check(x.r, x.c, &tc, &w, "item insert: its order and the user");
	/* child delete: the old FK (identity (id, order_id)) */
	t_change(&tc, &x.track, "order_items", FL_CHANGE_DELETE, 'K');
	t_set(&tc, 'o', "id", "1");
	t_set(&tc, 'o', "order_id", "11");
	t_set_add(&w, "orders", "11");
	t_expect(x.c, &w, "users", "SELECT user_id FROM orders WHERE id = 11");
	t_check(x.r, x.c, &tc, &w, "item delete: the old parent (case 2)");
	/* child moved: old and new parents */
	t_change(&tc, &x.track, "orders", FL_CHANGE_UPDATE, 'K');
	t_set(&tc, 'n', "id", "12");
	t_set(&tc, 'n', "user_id", "2");
	t_set(&tc, 'o', "id", "12");
	t_set(&tc, 'o', "user_id", "1");
	t_set_add(&w, "orders", "12");
	t_set_add(&w, "users", "1");
	t_set_add(&w, "users", "2");
	t_check(x.r, x.c, &tc, &w, "order moved: both users (case 1)");
	t_change(&tc, &x.track, "addresses", FL_CHANGE_DELETE, 'O');
	t_set(&tc, 'o', "id", "3");
	t_set(&tc, 'o', "user_id", "8");
	t_set_add(&w, "users", "8");
	t_check(x.r, x.c, &tc, &w, "address delete under FULL identity");
	/* belongs_to target changed / deleted: every referrer */
	t_change(&tc, &x.track, "categories", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "4");
	t_expect(x.c, &w, "products",
	         "SELECT id FROM products WHERE category_id = 4");
	ok(w.n > 5, "category 4 has products");
	t_check(x.r, x.c, &tc, &w, "category renamed: all its products");
	t_change(&tc, &x.track, "categories", FL_CHANGE_DELETE, 'K');
	t_set(&tc, 'o', "id", "5");
	t_expect(x.c, &w, "products",
	         "SELECT id FROM products WHERE category_id = 5");
	t_check(x.r, x.c, &tc, &w,
	        "category deleted: its products (object null)");
	/* a product: its document, and users through items -> orders */
	t_change(&tc, &x.track, "products", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "7");
	t_set_add(&w, "products", "7");
	t_expect(x.c, &w, "users",
	         "SELECT DISTINCT o.user_id FROM order_items i JOIN orders o "
	         "ON o.id = i.order_id WHERE i.product_id = 7");
	t_check(x.r, x.c, &tc, &w,
	        "product three levels deep: every user who bought it");
	/* junction insert / delete; far row */
	t_change(&tc, &x.track, "product_tags", FL_CHANGE_INSERT, 0);
	t_set(&tc, 'n', "product_id", "3");
	t_set(&tc, 'n', "tag_id", "9");
	t_set_add(&w, "products", "3");
	t_check(x.r, x.c, &tc, &w, "junction insert: the product");
	t_change(&tc, &x.track, "product_tags", FL_CHANGE_DELETE, 'K');
	t_set(&tc, 'o', "product_id", "4");
	t_set(&tc, 'o', "tag_id", "12");
	t_set_add(&w, "products", "4");
	t_check(x.r, x.c, &tc, &w,
	        "junction delete: the product, no query (case 18)");
	t_change(&tc, &x.track, "tags", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "3");
	t_expect(x.c, &w, "products",
	         "SELECT product_id FROM product_tags WHERE tag_id = 3");
	t_check(x.r, x.c, &tc, &w, "tag renamed: every tagged product");
	t_change(&tc, &x.track, "reviews", FL_CHANGE_UPDATE, 'O');
	t_set(&tc, 'n', "id", "1");
	t_set(&tc, 'n', "product_id", "20");
	t_set(&tc, 'o', "id", "1");
	t_set(&tc, 'o', "product_id", "21");
	t_set_add(&w, "products", "20");
	t_set_add(&w, "products", "21");
	t_check(x.r, x.c, &tc, &w, "review moved: both products' roll-ups");
	/* truncate */
	t_change(&tc, &x.track, "order_items", FL_CHANGE_TRUNCATE, 0);
	t_check(x.r, x.c, &tc, &w, "TRUNCATE resolves to nothing");
	n = fl_resolve_truncate(
	    x.r, fl_track_find(&x.track, "public", "order_items"), names, 8);
	ok(n == 2 && !strcmp(names[0], "orders") && !strcmp(names[1], "users"),
	   "TRUNCATE order_items: orders and users");
	n = fl_resolve_truncate(x.r, fl_track_find(&x.track, "public", "tags"),
	                        names, 8);
	ok(n == 1 && !strcmp(names[0], "products"), "TRUNCATE tags: products");
	{
		struct fl_track_table audit = { 0 };
		union {
			const char *c;
			char *m;
		} s = { "audit" }, t = { "users" };

		audit.schema = s.m;
		audit.table = t.m;
		is_long((long)fl_resolve_truncate(x.r, &audit, names, 8), 0,
		        "audit.users is not public.users");
		memset(&tc, 0, sizeof(tc));
		tc.c.op = FL_CHANGE_UPDATE;
		tc.c.table = &audit;
		tc.c.newv = tc.nv;
		tc.c.oldv = tc.ov;
		t_check(x.r, x.c, &tc, &w,
		        "a change to audit.users resolves to nothing");
	}
	is_long((long)fl_resolver_untracked(x.r), 0,
	        "the shop's identities track everything");
	t_env_close(&x);
}

/* ---- fixtures: self reference, widths, key types, untracked ------------- */

static const char *const t_types[][3] = {
	/* name, SQL type, key value text as PostgreSQL prints it */
	{ "int4", "integer", "7" },
	{ "int8", "bigint", "9000000000" },
	{ "uuid", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" },
	{ "text", "text", "k-1 \"q\"" },
	{ "date", "date", "2024-01-02" },
	{ "tstz", "timestamptz", "2024-01-02 03:04:05+00" },
	{ "num", "numeric(10,2)", "12.50" },
};

static void
t_fixture_files(void)
{
	struct fl_buf cfg, sch;
	size_t i;

	fl_buf_init(&cfg, 1 << 20);
	fl_buf_init(&sch, 1 << 20);
	fl_buf_puts(&cfg, "source: {type: postgres}\nindex:\n"
	                  "  - {name: employees, schema: emp.schema.yml, "
	                  "enabled: true}\n"
	                  "  - {name: big, schema: big.schema.yml, enabled: "
	                  "true}\n"
	                  "  - {name: small, schema: small.schema.yml, "
	                  "enabled: true}\n"
	                  "  - {name: people, schema: people.schema.yml, "
	                  "enabled: true}\n");
	t_write("emp.schema.yml",
	        "version: 1\ntable: employees\nprimary_key: id\nfields:\n"
	        "  - belongs_to: manager\n    table: employees\n"
	        "    column: manager_id\n    primary_key: id\n    fields:\n"
	        "      - text: name\n        required: true\n");
	t_write("big.schema.yml",
	        "version: 1\ntable: big\nprimary_key: id\nfields:\n"
	        "  - has_many: smalls\n    table: small\n"
	        "    foreign_key: big_id\n    primary_key: id\n    fields:\n"
	        "      - count: tinies\n        table: tiny\n"
	        "        foreign_key: small_id\n");
	t_write("small.schema.yml",
	        "version: 1\ntable: small\nprimary_key: id\nfields:\n"
	        "  - belongs_to: big\n    table: big\n    column: big_id\n"
	        "    primary_key: id\n    fields: []\n");
	t_write("people.schema.yml",
	        "version: 1\ntable: people\nprimary_key: id\nfields:\n"
	        "  - count: notes\n    table: notes\n    foreign_key: user_id\n"
	        "  - count: memos\n    table: memos\n    foreign_key: user_id\n"
	        "  - many_to_many: groups\n    table: groups\n"
	        "    through: { table: people_groups, left_key: person_id, "
	        "right_key: group_id }\n    primary_key: id\n    fields: []\n");
	for (i = 0; i < FL_ARRAY_LEN(t_types); i++) {
		const char *n = t_types[i][0];
		char file[64];

		fl_buf_printf(&cfg,
		              "  - {name: p_%s, schema: p_%s.schema.yml, "
		              "enabled: true}\n"
		              "  - {name: c_%s, schema: c_%s.schema.yml, "
		              "enabled: true}\n",
		              n, n, n, n);
		fl_buf_reset(&sch);
		fl_buf_printf(&sch,
		              "version: 1\ntable: p_%s\nprimary_key: id\n"
		              "fields:\n  - has_many: kids\n    table: c_%s\n"
		              "    foreign_key: pid\n    primary_key: id\n"
		              "    fields:\n      - has_many: grand\n"
		              "        table: g_%s\n        foreign_key: cid\n"
		              "        primary_key: id\n        fields: []\n",
		              n, n, n);
		snprintf(file, sizeof(file), "p_%s.schema.yml", n);
		t_write(file, fl_buf_str(&sch));
		fl_buf_reset(&sch);
		fl_buf_printf(&sch,
		              "version: 1\ntable: c_%s\nprimary_key: id\n"
		              "fields:\n  - belongs_to: parent\n"
		              "    table: p_%s\n    column: pid\n"
		              "    primary_key: id\n    fields: []\n",
		              n, n);
		snprintf(file, sizeof(file), "c_%s.schema.yml", n);
		t_write(file, fl_buf_str(&sch));
	}
	t_write("flusso.yml", fl_buf_str(&cfg));
	fl_buf_done(&cfg);
	fl_buf_done(&sch);
}

static int
t_fixture_tables(PGconn *c)
{
	size_t i;
	int rc = 0;

	rc |= t_exec(
	    c, "CREATE TABLE employees (id bigint PRIMARY KEY, manager_id "
	       "bigint, name text);"
	       "INSERT INTO employees VALUES (1, NULL, 'boss'), (2, 1, 'a'), "
	       "(3, 1, 'b'), (4, 2, 'c');"
	       "CREATE TABLE big (id bigint PRIMARY KEY);"
	       "CREATE TABLE small (id integer PRIMARY KEY, big_id integer);"
	       "ALTER TABLE small REPLICA IDENTITY FULL;"
	       "CREATE TABLE tiny (id integer PRIMARY KEY, small_id integer);"
	       "ALTER TABLE tiny REPLICA IDENTITY FULL;"
	       "INSERT INTO big VALUES (7), (8);"
	       "INSERT INTO small VALUES (70, 7), (71, 7), (80, 8);"
	       "INSERT INTO tiny VALUES (700, 70);"
	       "CREATE TABLE people (id bigint PRIMARY KEY);"
	       "CREATE TABLE notes (id bigint PRIMARY KEY, user_id bigint);"
	       "CREATE TABLE memos (id bigint PRIMARY KEY, user_id bigint);"
	       "ALTER TABLE memos REPLICA IDENTITY FULL;"
	       "CREATE TABLE groups (id bigint PRIMARY KEY);"
	       "CREATE TABLE people_groups (id bigserial PRIMARY KEY, "
	       "person_id bigint, group_id bigint);"
	       "INSERT INTO notes VALUES (1, 3);");
	for (i = 0; i < FL_ARRAY_LEN(t_types); i++) {
		const char *n = t_types[i][0], *ty = t_types[i][1],
		           *v = t_types[i][2];

		rc |= t_exec(c,
		             "CREATE TABLE p_%s (id %s PRIMARY KEY);"
		             "CREATE TABLE c_%s (id integer PRIMARY KEY, pid "
		             "%s);"
		             "ALTER TABLE c_%s REPLICA IDENTITY FULL;"
		             "CREATE TABLE g_%s (id integer PRIMARY KEY, cid "
		             "integer);"
		             "ALTER TABLE g_%s REPLICA IDENTITY FULL;"
		             "INSERT INTO p_%s VALUES ($v$%s$v$);"
		             "INSERT INTO c_%s VALUES (1, $v$%s$v$), (2, "
		             "$v$%s$v$);"
		             "INSERT INTO g_%s VALUES (10, 1);",
		             n, ty, n, ty, n, n, n, n, v, n, v, v, n);
	}
	return rc;
}

TAP_TEST(test_fixtures)
{
	char *path;
	struct t_env x;
	struct t_change tc;
	struct t_set w = { 0 };
	size_t i;

	t_fixture_files();
	path = fl_xasprintf("%s/flusso.yml", t_dir);
	{
		PGconn *c = t_connect(t_db);

		if (!ok(c && t_fixture_tables(c) == 0, "fixture tables")) {
			PQfinish(c);
			free(path);
			return;
		}
		PQfinish(c);
	}
	if (!ok(t_env_open(&x, path) == 0, "fixture resolver prepared")) {
		free(path);
		t_env_close(&x);
		return;
	}
	free(path);
	/* self reference (case 17): the row, and who embeds it */
	t_change(&tc, &x.track, "employees", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "1");
	t_set_add(&w, "employees", "1");
	t_set_add(&w, "employees", "2");
	t_set_add(&w, "employees", "3");
	t_check(x.r, x.c, &tc, &w,
	        "self-reference: the manager and the reports embedding it");
	t_change(&tc, &x.track, "employees", FL_CHANGE_DELETE, 'K');
	t_set(&tc, 'o', "id", "2");
	t_set_add(&w, "employees", "2");
	t_set_add(&w, "employees", "4");
	t_check(x.r, x.c, &tc, &w, "self-reference: a deleted manager");
	/* int4 FK -> int8 PK (case 11), both directions */
	t_change(&tc, &x.track, "tiny", FL_CHANGE_INSERT, 0);
	t_set(&tc, 'n', "id", "701");
	t_set(&tc, 'n', "small_id", "70");
	t_set_add(&w, "big", "7");
	t_check(x.r, x.c, &tc, &w, "int4 hop to an int8 key");
	t_change(&tc, &x.track, "big", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "7");
	t_set_add(&w, "big", "7");
	t_set_add(&w, "small", "70");
	t_set_add(&w, "small", "71");
	t_check(x.r, x.c, &tc, &w, "int8 key to int4 referrers");
	/* key types (cases 10, 12) */
	for (i = 0; i < FL_ARRAY_LEN(t_types); i++) {
		const char *n = t_types[i][0], *v = t_types[i][2];
		char p[32], cc[32], g[32], what[128];

		snprintf(p, sizeof(p), "p_%s", n);
		snprintf(cc, sizeof(cc), "c_%s", n);
		snprintf(g, sizeof(g), "g_%s", n);
		t_change(&tc, &x.track, g, FL_CHANGE_DELETE, 'O');
		t_set(&tc, 'o', "id", "10");
		t_set(&tc, 'o', "cid", "1");
		t_set_add(&w, p, v);
		snprintf(what, sizeof(what), "%s key: a query hop", n);
		t_check(x.r, x.c, &tc, &w, what);
		t_change(&tc, &x.track, p, FL_CHANGE_UPDATE, 0);
		t_set(&tc, 'n', "id", v);
		t_set_add(&w, p, v);
		t_set_add(&w, cc, "1");
		t_set_add(&w, cc, "2");
		snprintf(what, sizeof(what), "%s key: belongs_to referrers", n);
		t_check(x.r, x.c, &tc, &w, what);
	}
	/* untracked children: counted, best effort */
	t_change(&tc, &x.track, "notes", FL_CHANGE_DELETE, 'K');
	t_set(&tc, 'o', "id", "1");
	t_set(&tc, 'o', "user_id", NULL); /* not in the identity */
	t_check(x.r, x.c, &tc, &w, "untracked delete: nothing to go on");
	is_long((long)fl_resolver_untracked(x.r), 1, "counted");
	t_change(&tc, &x.track, "notes", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "1");
	t_set(&tc, 'n', "user_id", "3");
	t_set_add(&w, "people", "3");
	t_check(x.r, x.c, &tc, &w, "untracked update: the new parent");
	is_long((long)fl_resolver_untracked(x.r), 2, "counted");
	t_change(&tc, &x.track, "notes", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "1");
	t_set(&tc, 'n', "user_id", "\1");
	t_set_add(&w, "people", "3");
	t_check(x.r, x.c, &tc, &w, "TOAST-unchanged FK read by the row's key");
	t_change(&tc, &x.track, "notes", FL_CHANGE_INSERT, 0);
	t_set(&tc, 'n', "id", "2");
	t_set(&tc, 'n', "user_id", "4");
	t_set_add(&w, "people", "4");
	t_check(x.r, x.c, &tc, &w, "insert into an untracked table");
	is_long((long)fl_resolver_untracked(x.r), 3,
	        "inserts need no old values (the TOAST update counted)");
	t_change(&tc, &x.track, "memos", FL_CHANGE_DELETE, 'O');
	t_set(&tc, 'o', "id", "1");
	t_set(&tc, 'o', "user_id", "5");
	t_set_add(&w, "people", "5");
	t_check(x.r, x.c, &tc, &w, "FULL identity delete: the old parent");
	t_change(&tc, &x.track, "people_groups", FL_CHANGE_DELETE, 'K');
	t_set(&tc, 'o', "id", "1");
	t_set(&tc, 'o', "person_id", NULL);
	t_check(x.r, x.c, &tc, &w, "surrogate-key junction delete: untracked");
	is_long((long)fl_resolver_untracked(x.r), 4, "counted");
	t_env_close(&x);
}

/* ---- fan-out ------------------------------------------------------------ */

TAP_TEST(test_fanout)
{
	char *path = fl_xasprintf("%s/share/examples/shop/flusso.yml", t_src);
	struct t_env x;
	struct t_change tc;
	struct t_emit e;
	struct fl_err err;
	struct rusage ru0, ru1;
	int rc;
	char *got;

	if (!ok(t_env_open(&x, path) == 0, "shop resolver prepared")) {
		free(path);
		t_env_close(&x);
		return;
	}
	free(path);
	if (!ok(t_exec(x.c,
	               "INSERT INTO categories VALUES (99, NULL, 'bulk', "
	               "'Bulk');"
	               "INSERT INTO products (id, sku, name, price, "
	               "category_id) SELECT 1000000 + i, 'B' || i, 'b', 1, "
	               "99 FROM generate_series(1, 100000) AS i") == 0,
	        "100,000 products in category 99")) {
		t_env_close(&x);
		return;
	}
	t_change(&tc, &x.track, "categories", FL_CHANGE_UPDATE, 0);
	t_set(&tc, 'n', "id", "99");
	memset(&e, 0, sizeof(e));
	e.conn = x.c;
	e.probe_at = 50000;
	getrusage(RUSAGE_SELF, &ru0);
	rc = fl_resolve(x.r, x.c, &tc.c, t_emit_cb, &e, &err);
	getrusage(RUSAGE_SELF, &ru1);
	if (rc < 0)
		printf("# %s\n", err.msg);
	ok(rc == 0, "resolved");
	is_long((long)e.calls, 100000, "exactly 100,000 ids emitted");
	got = t_set_text(&e.got);
	is_long((long)e.got.n, 100000, "100,000 distinct products");
	ok(strstr(got, "products/1000001 ") && strstr(got, "products/1100000"),
	   "first and last among them");
	free(got);
	is_long(e.cursors_seen, 1,
	        "mid-stream, the rest is still behind a server-side cursor");
	printf("# peak RSS %ld kB before, %ld kB after\n", ru0.ru_maxrss,
	       ru1.ru_maxrss);
	is_long((long)PQtransactionStatus(x.c), PQTRANS_IDLE,
	        "its transaction is closed afterwards");
	t_set_done(&e.got);
	/* cancel from emit, mid-stream: connection still usable */
	memset(&e, 0, sizeof(e));
	e.abort_at = 25000;
	rc = fl_resolve(x.r, x.c, &tc.c, t_emit_cb, &e, &err);
	ok(rc < 0 && err.code == FL_ERR_CANCELLED, "emit cancels: CANCELLED");
	is_long((long)PQtransactionStatus(x.c), PQTRANS_IDLE,
	        "and the transaction is gone");
	t_set_done(&e.got);
	memset(&e, 0, sizeof(e));
	rc = fl_resolve(x.r, x.c, &tc.c, t_emit_cb, &e, &err);
	ok(rc == 0 && e.calls == 100000, "the next resolution works");
	t_set_done(&e.got);
	/* inside the caller's transaction: its own, left open */
	t_exec(x.c, "BEGIN");
	memset(&e, 0, sizeof(e));
	rc = fl_resolve(x.r, x.c, &tc.c, t_emit_cb, &e, &err);
	ok(rc == 0 && e.calls == 100000, "inside the caller's transaction");
	is_long((long)PQtransactionStatus(x.c), PQTRANS_INTRANS,
	        "which stays open");
	t_exec(x.c, "COMMIT");
	t_set_done(&e.got);
	t_change_done(&tc);
	t_env_close(&x);
}

/* ---- main ---------------------------------------------------------------- */

static int
t_setup(void)
{
	PGconn *admin = t_connect("flusso_test");
	int rc;

	if (!admin)
		return -1;
	t_exec(admin, "DROP DATABASE IF EXISTS %s", t_db);
	rc = t_exec(admin, "CREATE DATABASE %s", t_db);
	PQfinish(admin);
	if (rc < 0 || t_psql("share/examples/shop/schema.sql", "") < 0 ||
	    t_psql("share/examples/shop/seed.sql", "-v scale=1") < 0)
		return -1;
	return 0;
}

static void
t_teardown(void)
{
	PGconn *admin = t_connect("flusso_test");
	char *cmd = fl_xasprintf("rm -rf '%s'", t_dir);

	if (admin) {
		t_exec(admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t_db);
		PQfinish(admin);
	}
	if (system(cmd) != 0)
		printf("# could not remove %s\n", t_dir);
	free(cmd);
}

int
main(void)
{
	t_admin = getenv("FLUSSO_TEST_PG_URL");
	t_src = getenv("FLUSSO_SOURCE_DIR");
	if (!t_src)
		t_src = ".";
	if (!ok(t_admin && *t_admin, "FLUSSO_TEST_PG_URL is set")) {
		printf("# start the services with tests/services.sh start pg "
		       "and eval \"$(tests/services.sh env)\"\n");
		return tap_done();
	}
	snprintf(t_db, sizeof(t_db), "flusso_it_rs_%ld", (long)getpid());
	snprintf(t_dir, sizeof(t_dir), "%s/flusso-it-rs-%ld",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	mkdir(t_dir, 0700);
	if (ok(t_setup() == 0, "shop database loaded (scale 1)")) {
		tap_run(test_shop);
		tap_run(test_fixtures);
		tap_run(test_fanout);
	}
	t_teardown();
	return tap_done();
}
