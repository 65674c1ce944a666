/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_doc_build.c - documents built by PostgreSQL (source.md §13, §14,
 * §16.3) against the real server:
 *   (a) golden documents of every shop index (share/examples/shop
 *       schema.sql + seed.sql at scale 1), compared as parsed JSON, with
 *       a soft-deleted user, an unlisted product and missing keys as
 *       tombstones (FLUSSO_UPDATE_GOLDEN=1 rewrites tests/golden/docs/);
 *   (b) value conversion for every type of §14.2 "Ours", checked on the
 *       document text itself (exact numerics, ISO timestamps, base64,
 *       NDJSON safety);
 *   (c) one outcome per distinct key over several chunks, root filter
 *       and soft delete flipping both ways, the keyset key scan and the
 *       estimate, re-preparing, and error codes (bad key: permanent;
 *       killed backend: transient).
 *
 * Needs FLUSSO_TEST_PG_URL and the PostgreSQL binaries (psql loads the
 * seed); creates and drops flusso_it_db_<pid>.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "config/config.h"
#include "docs/doc_build.h"
#include "source/pg_conn.h"
#include "tap.h"
#include "util/buf.h"
#include "util/xmem.h"

static const char *t_admin; /* FLUSSO_TEST_PG_URL */
static const char *t_src;   /* the source tree */
static char t_db[64];       /* flusso_it_db_<pid> */
static char t_dir[256];     /* scratch directory */

/* ---- helpers ------------------------------------------------------------ */

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
		printf("# SQL failed: %s# in: %.200s\n", PQerrorMessage(c),
		       sql);
	PQclear(r);
	return rc;
}

/* Run psql on a file of the source tree with extra arguments. */
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

static char *
t_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct fl_buf b;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	fl_buf_init(&b, 1 << 26);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_append(&b, chunk, n);
	fclose(f);
	return fl_buf_steal(&b);
}

static void
t_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
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

/* The outcome of `key` in docs, or NULL. */
static const struct fl_doc *
t_find(const struct fl_docs *docs, const char *key)
{
	size_t i;

	for (i = 0; i < docs->n; i++)
		if (!strcmp(docs->v[i].id, key))
			return &docs->v[i];
	return NULL;
}

/* Build keys of index; 0 or -1 (error printed). */
static int
t_build(struct fl_docbuild *b, PGconn *c, const char *index,
        const char *const *keys, size_t n, struct fl_docs *out)
{
	struct fl_err err;

	fl_docs_reset(out);
	if (fl_docbuild_build(b, c, index, keys, n, out, &err) < 0) {
		printf("# build %s: %s\n", index, err.msg);
		return -1;
	}
	return 0;
}

/* ---- (a) golden documents of the shop ----------------------------------- */

/* {"key": document-or-null, ...} of the outcomes. */
static cJSON *
t_outcomes(const struct fl_docs *docs)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	for (i = 0; i < docs->n; i++) {
		const struct fl_doc *d = &docs->v[i];
		cJSON *v = d->tombstone
		               ? cJSON_CreateNull()
		               : cJSON_ParseWithLength(d->json, d->len);

		if (!v) {
			printf("# document %s does not parse\n", d->id);
			v = cJSON_CreateString("unparsable");
		}
		cJSON_AddItemToObject(o, d->id, v);
	}
	return o;
}

static int
t_num_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sort every array of numbers (`ids` aggregates have no order). */
static void
t_normalize(cJSON *j)
{
	cJSON *it;
	double *v;
	int n = 0, all = 1, i;

	if (!j)
		return;
	cJSON_ArrayForEach(it, j)
	{
		t_normalize(it);
		all &= cJSON_IsNumber(it);
		n++;
	}
	if (!cJSON_IsArray(j) || !all || n < 2)
		return;
	v = fl_xcalloc((size_t)n, sizeof(*v));
	i = 0;
	cJSON_ArrayForEach(it, j) v[i++] = it->valuedouble;
	qsort(v, (size_t)n, sizeof(*v), t_num_cmp);
	i = 0;
	cJSON_ArrayForEach(it, j) cJSON_SetNumberValue(it, v[i++]);
	free(v);
}

static void
t_golden(struct fl_docbuild *b, PGconn *c, const char *index,
         const char *const *keys, size_t n)
{
	struct fl_docs docs;
	char *path, *want_text;
	cJSON *got, *want;
	char what[128];

	fl_docs_init(&docs);
	snprintf(what, sizeof(what), "%s: %zu outcomes", index, n);
	if (t_build(b, c, index, keys, n, &docs) < 0 ||
	    !is_long((long)docs.n, (long)n, what)) {
		fl_docs_done(&docs);
		return;
	}
	got = t_outcomes(&docs);
	t_normalize(got);
	path = fl_xasprintf("%s/tests/golden/docs/%s.json", t_src, index);
	if (getenv("FLUSSO_UPDATE_GOLDEN")) {
		char *text = cJSON_Print(got);
		char *dir = fl_xasprintf("%s/tests/golden/docs", t_src);

		mkdir(dir, 0755);
		t_write(path, text);
		free(text);
		free(dir);
		printf("# wrote %s\n", path);
	}
	want_text = t_read(path);
	want = want_text ? cJSON_Parse(want_text) : NULL;
	t_normalize(want);
	snprintf(what, sizeof(what), "%s: documents equal %s.json (as JSON)",
	         index, index);
	if (!ok(want && cJSON_Compare(got, want, 1), what)) {
		char *text = cJSON_Print(got);

		printf("# got: %s\n", text);
		free(text);
	}
	cJSON_Delete(got);
	cJSON_Delete(want);
	free(want_text);
	free(path);
	fl_docs_done(&docs);
}

TAP_TEST(test_shop_golden)
{
	/* 17: no name, odd email, no profile; 96: no orders; 135:
	 * soft-deleted; 999999: no such row */
	static const char *const users[] = { "1",  "2",   "17",
		                             "96", "135", "999999" };
	/* 1: no tags; 2: unlisted; 13: no description; 4: no approved
	 * review */
	static const char *const products[] = { "1",  "2",  "4",
		                                "13", "57", "999999" };
	/* 2, 8: coupon codes */
	static const char *const orders[] = { "1", "2", "8", "3000", "999999" };
	char *path = fl_xasprintf("%s/share/examples/shop/flusso.yml", t_src);
	struct fl_config *cfg = t_config(path);
	PGconn *c = t_connect(t_db);
	struct fl_docbuild *b;
	struct fl_docs docs;
	struct fl_err err;
	const struct fl_doc *d;
	cJSON *j;

	free(path);
	if (!ok(cfg && c, "shop config and connection")) {
		fl_config_free(cfg);
		PQfinish(c);
		return;
	}
	b = fl_docbuild_new(cfg);
	if (!ok(fl_docbuild_prepare(b, c, &err) == 0, "prepare the shop"))
		printf("# %s\n", err.msg);
	t_golden(b, c, "users", users, FL_ARRAY_LEN(users));
	t_golden(b, c, "products", products, FL_ARRAY_LEN(products));
	t_golden(b, c, "orders", orders, FL_ARRAY_LEN(orders));
	fl_docs_init(&docs);
	if (t_build(b, c, "users", users, FL_ARRAY_LEN(users), &docs) == 0) {
		ok((d = t_find(&docs, "135")) && d->tombstone,
		   "soft-deleted user: tombstone");
		ok((d = t_find(&docs, "999999")) && d->tombstone,
		   "missing user: tombstone");
		d = t_find(&docs, "17");
		j = d && d->json ? cJSON_Parse(d->json) : NULL;
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "email")),
		       "user17@example.com", "email trimmed and lowercased");
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "fullName")),
		       "(anonymous)", "NULL name takes the default");
		ok(cJSON_IsNull(cJSON_GetObjectItem(j, "profile")),
		   "no profile: null");
		cJSON_Delete(j);
	}
	if (t_build(b, c, "products", products, 2, &docs) == 0)
		ok((d = t_find(&docs, "2")) && d->tombstone,
		   "unlisted product: tombstone");
	fl_docs_done(&docs);
	fl_docbuild_free(b);
	fl_config_free(cfg);
	PQfinish(c);
}

/* ---- (b) value conversion ----------------------------------------------- */

static const char vals_sql[] =
    "CREATE TABLE vals (id integer PRIMARY KEY, ts timestamp, tstz "
    "timestamptz, d date, t time, n numeric, n_nan numeric, n_inf numeric, "
    "f8 float8, f8_nan float8, f4 real, m money, b bytea, j json, jb jsonb, "
    "arr integer[], narr numeric[], tsarr timestamptz[], u uuid, tinf "
    "timestamptz, tninf timestamp, dinf date, lat float8, lon float8, pt "
    "json, pt_text text, txt text, iv interval, ok boolean);"
    "INSERT INTO vals VALUES (1, '2024-01-02 03:04:05.123', "
    "'2024-01-02 04:04:05+01', '2024-01-02', '03:04:05', "
    "123456789012345678901234567890.123, 'NaN', '-Infinity', 'Infinity', "
    "'NaN', 1.5, '1234.56', "
    "decode(repeat('00ff10', 40), 'hex'), "
    "E'{\"a\":\\n 1,\\r\\n \"s\": \"x\\\\ny\"}', '{\"b\": 2, \"a\": "
    "1.10}', '{1,2,3}', '{1.5,NaN,Infinity}', "
    "'{2024-01-02 03:04:05+00,infinity}', "
    "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'infinity', '-infinity', "
    "'infinity', 45.5, 9.25, '{\"lat\": 1, \"lon\": 2}', '41.1,12.5', "
    "E'line1\\nline2\\r\\t\"q\"', '1 day 02:00:00', true);"
    "INSERT INTO vals (id) VALUES (2);";

static const char vals_schema[] =
    "version: 1\ntable: vals\nprimary_key: id\nfields:\n"
    "  - integer: id\n    required: true\n"
    "  - timestamp: ts\n    required: false\n"
    "  - timestamp: tstz\n    required: false\n"
    "  - date: d\n    required: false\n"
    "  - timestamp: t\n    required: false\n"
    "  - decimal: n\n    required: false\n"
    "  - decimal: n_nan\n    required: false\n"
    "  - decimal: n_inf\n    required: false\n"
    "  - double: f8\n    required: false\n"
    "  - double: f8_nan\n    required: false\n"
    "  - float: f4\n    required: false\n"
    "  - decimal: m\n    required: false\n"
    "  - binary: b\n    required: false\n"
    "  - json: j\n    required: false\n"
    "  - json: jb\n    required: false\n"
    "  - integer: arr\n    required: false\n"
    "  - decimal: narr\n    required: false\n"
    "  - timestamp: tsarr\n    required: false\n"
    "  - uuid: u\n    required: false\n"
    "  - timestamp: tinf\n    required: false\n"
    "  - timestamp: tninf\n    required: false\n"
    "  - date: dinf\n    required: false\n"
    "  - geo: home\n    lat: lat\n    lon: lon\n    required: false\n"
    "  - geo: pt\n    required: false\n"
    "  - geo: pt_text\n    required: false\n"
    "  - text: txt\n    required: false\n"
    "  - keyword: iv\n    required: false\n"
    "  - boolean: ok\n    required: false\n"
    "  - constant: cn\n    value: 42\n"
    "  - constant: cb\n    value: true\n"
    "  - constant: cs\n    value: account\n"
    "  - constant: cf\n    value: 1.5\n"
    "  - constant: cz\n    value: null\n"
    "  - constant: cq\n    value: \"it's \\\"q\\\"\"\n";

TAP_TEST(test_values)
{
	static const char *const keys[] = { "1", "2" };
	char *cfgp = fl_xasprintf("%s/flusso.yml", t_dir);
	char *schp = fl_xasprintf("%s/vals.schema.yml", t_dir);
	PGconn *c = t_connect(t_db);
	struct fl_config *cfg;
	struct fl_docbuild *b = NULL;
	struct fl_docs docs;
	struct fl_err err;
	const struct fl_doc *d;
	char b64[256];
	int i;

	t_write(cfgp, "source: {type: postgres}\nindex:\n  - {name: vals, "
	              "schema: vals.schema.yml, enabled: true}\n");
	t_write(schp, vals_schema);
	cfg = t_config(cfgp);
	fl_docs_init(&docs);
	if (!ok(c && cfg && t_exec(c, "%s", vals_sql) == 0,
	        "value table created"))
		goto out;
	b = fl_docbuild_new(cfg);
	if (!ok(fl_docbuild_prepare(b, c, &err) == 0, "prepared")) {
		printf("# %s\n", err.msg);
		goto out;
	}
	if (t_build(b, c, "vals", keys, 2, &docs) < 0 ||
	    !ok((d = t_find(&docs, "1")) && !d->tombstone, "row 1 built"))
		goto out;
	printf("# %s\n", d->json);
	ok(!strchr(d->json, '\n') && !strchr(d->json, '\r'),
	   "no raw CR/LF: NDJSON-safe");
	ok(d->len == strlen(d->json), "len is the text length");
	has_str(d->json, "\"ts\" : \"2024-01-02T03:04:05.123\"",
	        "timestamp without time zone: ISO with T");
	has_str(d->json, "\"tstz\" : \"2024-01-02T03:04:05+00:00\"",
	        "timestamptz in UTC with +00:00");
	has_str(d->json, "\"d\" : \"2024-01-02\"", "date");
	has_str(d->json, "\"t\" : \"03:04:05\"", "time as PostgreSQL text");
	has_str(d->json, "\"n\" : 123456789012345678901234567890.123",
	        "numeric exact, 33 digits");
	has_str(d->json, "\"n_nan\" : null", "numeric NaN: null");
	has_str(d->json, "\"n_inf\" : null", "numeric -Infinity: null");
	has_str(d->json, "\"f8\" : null", "float8 Infinity: null");
	has_str(d->json, "\"f8_nan\" : null", "float8 NaN: null");
	has_str(d->json, "\"f4\" : 1.5", "real");
	has_str(d->json, "\"m\" : 1234.56", "money as a number");
	for (i = 0; i < 40; i++)
		memcpy(b64 + 4 * i, "AP8Q", 4);
	b64[160] = '\0';
	{
		char *want = fl_xasprintf("\"b\" : \"%s\"", b64);

		has_str(d->json, want, "bytea: base64 on one line");
		free(want);
	}
	has_str(d->json, "\"j\" : {\"a\":  1,   \"s\": \"x\\ny\"}",
	        "json embedded verbatim, its newlines now spaces");
	has_str(d->json, "\"jb\" : {\"a\": 1.10, \"b\": 2}",
	        "jsonb embedded, numbers exact");
	has_str(d->json, "\"arr\" : [1,2,3]", "integer array");
	has_str(d->json, "\"narr\" : [1.5,null,null]",
	        "numeric array element-wise");
	has_str(d->json, "\"tsarr\" : [\"2024-01-02T03:04:05+00:00\",null]",
	        "timestamp array element-wise");
	has_str(d->json, "\"u\" : \"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"",
	        "uuid canonical");
	has_str(d->json, "\"tinf\" : null", "infinite timestamptz: null");
	has_str(d->json, "\"tninf\" : null", "-infinity timestamp: null");
	has_str(d->json, "\"dinf\" : null", "infinite date: null");
	has_str(d->json, "\"home\" : {\"lat\" : 45.5, \"lon\" : 9.25}",
	        "two-column geo");
	has_str(d->json, "\"pt\" : {\"lat\": 1, \"lon\": 2}",
	        "single-column json geo verbatim");
	has_str(d->json, "\"pt_text\" : \"41.1,12.5\"",
	        "single-column text geo verbatim");
	has_str(d->json, "\"txt\" : \"line1\\nline2\\r\\t\\\"q\\\"\"",
	        "text escaped by PostgreSQL");
	has_str(d->json, "\"iv\" : \"1 day 02:00:00\"", "interval as text");
	has_str(d->json, "\"ok\" : true", "boolean");
	has_str(d->json, "\"cn\" : 42", "integer constant is a number");
	has_str(d->json, "\"cb\" : true", "boolean constant");
	has_str(d->json, "\"cs\" : \"account\"", "string constant");
	has_str(d->json, "\"cf\" : 1.5", "float constant");
	has_str(d->json, "\"cz\" : null", "null constant");
	has_str(d->json, "\"cq\" : \"it's \\\"q\\\"\"", "quotes survive");
	{
		cJSON *j = cJSON_ParseWithLength(d->json, d->len);

		ok(j != NULL, "the document parses as JSON");
		cJSON_Delete(j);
	}
	if (ok((d = t_find(&docs, "2")) && !d->tombstone, "row 2 built")) {
		has_str(d->json, "\"home\" : null", "geo of NULLs: null");
		has_str(d->json, "\"arr\" : null", "NULL array: null");
		has_str(d->json, "\"narr\" : null", "NULL wrapped array: null");
		has_str(d->json, "\"b\" : null", "NULL bytea: null");
		has_str(d->json, "\"m\" : null", "NULL money: null");
	}
out:
	fl_docs_done(&docs);
	fl_docbuild_free(b);
	fl_config_free(cfg);
	PQfinish(c);
	free(cfgp);
	free(schp);
}

/* ---- (c) batches, flips, key scan, errors ------------------------------- */

TAP_TEST(test_batches)
{
	char *path = fl_xasprintf("%s/share/examples/shop/flusso.yml", t_src);
	struct fl_config *cfg = t_config(path);
	PGconn *c = t_connect(t_db);
	struct fl_docbuild *b;
	struct fl_docs docs;
	struct fl_err err;
	const char **keys;
	char **page, **owned;
	size_t n, i, total = 0, ntomb = 0;
	char *after = NULL;
	int sorted = 1, rc;
	long long est;

	free(path);
	if (!ok(cfg && c, "config and connection")) {
		fl_config_free(cfg);
		PQfinish(c);
		return;
	}
	b = fl_docbuild_new(cfg);
	fl_docs_init(&docs);
	/* the key scan works before prepare (the seeder never prepares) */
	do {
		rc = fl_docbuild_key_page(b, c, "users", after, 300, &page, &n,
		                          &err);
		if (rc < 0) {
			printf("# %s\n", err.msg);
			break;
		}
		for (i = 0; i < n; i++) {
			if (after && strtol(page[i], NULL, 10) <=
			                 strtol(after, NULL, 10))
				sorted = 0;
			free(after);
			after = page[i];
		}
		free(page);
		total += n;
	} while (n == 300);
	free(after);
	is_long((long)total, 1000, "key scan: 1,000 users in pages of 300");
	ok(sorted, "keys come in key order");
	est = fl_docbuild_estimate(b, c, "users", &err);
	ok(est >= 900 && est <= 1100, "estimate from reltuples (analysed)");
	ok(fl_docbuild_build(b, c, "users", NULL, 0, &docs, &err) < 0,
	   "build before prepare fails");
	if (!ok(fl_docbuild_prepare(b, c, &err) == 0 &&
	            fl_docbuild_prepare(b, c, &err) == 0,
	        "prepare twice on one connection"))
		printf("# %s\n", err.msg);
	/* 1,000 users, each requested twice, plus 5 unknown: 3 chunks */
	keys = fl_xcalloc(2010, sizeof(*keys));
	owned = fl_xcalloc(1005, sizeof(*owned));
	for (i = 0; i < 1005; i++) {
		owned[i] = fl_xasprintf("%zu", i + 1);
		keys[i] = keys[2009 - i] = owned[i];
	}
	if (t_build(b, c, "users", keys, 2010, &docs) == 0) {
		is_long((long)docs.n, 1005, "one outcome per distinct key");
		for (i = 0; i < docs.n; i++)
			ntomb += docs.v[i].tombstone;
		ok(ntomb >= 5 && ntomb < 100,
		   "tombstones: the 5 unknown keys and the soft-deleted users");
	}
	for (i = 0; i < 1005; i++)
		free(owned[i]);
	free(owned);
	free(keys);
	/* flips, both ways */
	{
		static const char *const p2[] = { "2" };
		static const char *const u5[] = { "5" };
		const char *s1, *s2, *s3;

		t_exec(c, "UPDATE products SET is_listed = true WHERE id = 2");
		t_build(b, c, "products", p2, 1, &docs);
		s1 = docs.n == 1 && !docs.v[0].tombstone ? "doc" : "tomb";
		t_exec(c, "UPDATE products SET is_listed = false WHERE id = 2");
		t_build(b, c, "products", p2, 1, &docs);
		s2 = docs.n == 1 && docs.v[0].tombstone ? "tomb" : "doc";
		is_str(s1, "doc", "root filter: listed again, a document");
		is_str(s2, "tomb", "root filter: unlisted, a tombstone");
		t_exec(c, "UPDATE users SET deleted_at = now() WHERE id = 5");
		t_build(b, c, "users", u5, 1, &docs);
		s1 = docs.n == 1 && docs.v[0].tombstone ? "tomb" : "doc";
		t_exec(c, "UPDATE users SET deleted_at = NULL WHERE id = 5");
		t_build(b, c, "users", u5, 1, &docs);
		s3 = docs.n == 1 && !docs.v[0].tombstone ? "doc" : "tomb";
		is_str(s1, "tomb", "soft delete set: a tombstone");
		is_str(s3, "doc", "soft delete cleared: a document again");
	}
	/* errors */
	{
		static const char *const bad[] = { "abc" };
		PGconn *killer = t_connect(t_db);

		rc = fl_docbuild_build(b, c, "users", bad, 1, &docs, &err);
		ok(rc < 0 && err.code == FL_ERR_CONFIG,
		   "a key that is no bigint: permanent error");
		has_str(err.msg, "22P02", "with its SQLSTATE");
		ok(fl_docbuild_build(b, c, "nope", bad, 1, &docs, &err) < 0,
		   "unknown index");
		if (killer) {
			char sql[128];

			snprintf(sql, sizeof(sql),
			         "SELECT pg_terminate_backend(%d)",
			         PQbackendPID(c));
			t_exec(killer, "%s", sql);
			usleep(100000);
			rc = fl_docbuild_build(b, c, "users", bad, 1, &docs,
			                       &err);
			ok(rc < 0 && err.code == FL_ERR_PG,
			   "a killed backend: transient error");
			printf("# %s\n", err.msg);
			PQfinish(killer);
		}
	}
	fl_docs_done(&docs);
	fl_docbuild_free(b);
	fl_config_free(cfg);
	PQfinish(c);
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
	snprintf(t_db, sizeof(t_db), "flusso_it_db_%ld", (long)getpid());
	snprintf(t_dir, sizeof(t_dir), "%s/flusso-it-db-%ld",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	mkdir(t_dir, 0700);
	if (ok(t_setup() == 0, "shop database loaded (scale 1)")) {
		tap_run(test_shop_golden);
		tap_run(test_values);
		tap_run(test_batches);
	}
	t_teardown();
	return tap_done();
}
