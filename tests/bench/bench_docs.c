/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_docs.c - documents built per second for the shop `users` index
 * (profile, addresses, orders with items and their products, three
 * aggregates, soft delete): flusso's builder with 1 and 2 workers
 * (threads, each with its own connection and prepared statement,
 * disjoint key sets), against the floor of the same statement run by
 * psql over the same 512-key chunks (PREPARE + EXECUTE, output
 * discarded).
 *
 *   bench_docs [SCALE]      (default 100: 100,000 users; needs
 *                            FLUSSO_TEST_PG_URL and FLUSSO_TEST_PG_BIN)
 *
 * Not a test: it prints numbers. The database flusso_bench_docs_<SCALE>
 * is seeded from share/examples/shop once and reused while it exists.
 * Every run first builds all documents once to warm the cache.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "docs/doc_build.h"
#include "docs/doc_sql.h"
#include "source/pg_catalog.h"
#include "source/pg_conn.h"
#include "source/tracked_tables.h"
#include "util/buf.h"
#include "util/xmem.h"

#define BENCH_CHUNK 512

static const char *b_base; /* FLUSSO_TEST_PG_URL */
static char b_db[64];

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
bench_url(const char *db)
{
	const char *slash = strrchr(b_base, '/');
	const char *q = strchr(slash, '?');

	return fl_xasprintf("%.*s/%s%s", (int)(slash - b_base), b_base, db,
	                    q ? q : "");
}

static PGconn *
bench_connect(const char *db)
{
	char *url = bench_url(db);
	struct fl_err err;
	PGconn *c = fl_pgconn_open(url, "flusso-bench", 0, &err);

	free(url);
	if (!c) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(1);
	}
	return c;
}

/* CPU seconds this process has used (user + system). */
static double
bench_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long long
bench_count(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	long long n = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r)
	                  ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
	                  : -1;

	PQclear(r);
	return n;
}

/* Create and seed the database unless it already holds this scale. */
static void
bench_seed(const char *src, const char *bin, long scale)
{
	PGconn *admin = bench_connect("flusso_test");
	char sql[256], *url, *cmd;
	long long have;

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM pg_database WHERE datname = '%s'", b_db);
	if (bench_count(admin, sql) == 1) {
		PGconn *c = bench_connect(b_db);

		have = bench_count(c, "SELECT count(*) FROM users");
		PQfinish(c);
		if (have == 1000 * scale) {
			PQfinish(admin);
			return;
		}
		snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)",
		         b_db);
		PQclear(PQexec(admin, sql));
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", b_db);
	PQclear(PQexec(admin, sql));
	PQfinish(admin);
	url = bench_url(b_db);
	fprintf(stderr, "bench: seeding %s at scale %ld...\n", b_db, scale);
	cmd = fl_xasprintf("'%s/psql' -X -q -v ON_ERROR_STOP=1 -d '%s' -f "
	                   "'%s/share/examples/shop/schema.sql' && '%s/psql' "
	                   "-X -q -v ON_ERROR_STOP=1 -v scale=%ld -d '%s' -f "
	                   "'%s/share/examples/shop/seed.sql' >/dev/null",
	                   bin, url, src, bin, scale, url, src);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: seeding failed: %s\n", cmd);
		exit(1);
	}
	free(cmd);
	free(url);
}

/* Every users key, by the builder's own key scan. */
static char **
bench_keys(struct fl_docbuild *b, PGconn *c, size_t *n)
{
	char **all = NULL, **page, *after = NULL;
	size_t cap = 0, got, i;
	struct fl_err err;

	*n = 0;
	do {
		if (fl_docbuild_key_page(b, c, "users", after, 10000, &page,
		                         &got, &err) < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			exit(1);
		}
		all = fl_xgrow(all, &cap, *n + got + 1, sizeof(*all));
		for (i = 0; i < got; i++)
			all[(*n)++] = page[i];
		after = got ? page[got - 1] : after;
		free(page);
	} while (got == 10000);
	return all;
}

struct bench_worker {
	const struct fl_config *cfg;
	char **keys;
	size_t nkeys;
	int no, nworkers;
	size_t docs, tombstones, bytes;
	pthread_t thread;
};

/* Build the worker's chunks (every nworkers-th chunk of 512). */
static void *
bench_worker_main(void *arg)
{
	struct bench_worker *w = arg;
	PGconn *c = bench_connect(b_db);
	struct fl_docbuild *b = fl_docbuild_new(w->cfg);
	struct fl_docs docs;
	struct fl_err err;
	size_t i, j;

	fl_docs_init(&docs);
	if (fl_docbuild_prepare(b, c, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(1);
	}
	for (i = (size_t)w->no * BENCH_CHUNK; i < w->nkeys;
	     i += (size_t)w->nworkers * BENCH_CHUNK) {
		size_t n =
		    w->nkeys - i < BENCH_CHUNK ? w->nkeys - i : BENCH_CHUNK;
		union {
			char **m;
			const char *const *c;
		} k;

		k.m = w->keys + i;
		fl_docs_reset(&docs);
		if (fl_docbuild_build(b, c, "users", k.c, n, &docs, &err) < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			exit(1);
		}
		for (j = 0; j < docs.n; j++) {
			w->docs++;
			w->tombstones += (size_t)docs.v[j].tombstone;
			w->bytes += docs.v[j].len;
		}
	}
	fl_docs_done(&docs);
	fl_docbuild_free(b);
	PQfinish(c);
	return NULL;
}

/* Run `nworkers` threads over all keys; seconds taken. */
static double
bench_run(const struct fl_config *cfg, char **keys, size_t n, int nworkers,
          size_t *docs, size_t *bytes)
{
	struct bench_worker w[8];
	double t0 = bench_now();
	int i;

	*docs = *bytes = 0;
	for (i = 0; i < nworkers; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].cfg = cfg;
		w[i].keys = keys;
		w[i].nkeys = n;
		w[i].no = i;
		w[i].nworkers = nworkers;
		pthread_create(&w[i].thread, NULL, bench_worker_main, &w[i]);
	}
	for (i = 0; i < nworkers; i++) {
		pthread_join(w[i].thread, NULL);
		*docs += w[i].docs;
		*bytes += w[i].bytes;
	}
	return bench_now() - t0;
}

/* A single-quoted SQL literal. */
static void
bench_literal(struct fl_buf *b, const char *s)
{
	fl_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			fl_buf_putc(b, '\'');
		fl_buf_putc(b, *s);
	}
	fl_buf_putc(b, '\'');
}

/* The same statement through psql: PREPARE, then one EXECUTE per 512
 * keys, output discarded. Seconds taken (psql start included). */
static double
bench_psql(const struct fl_config *cfg, const char *bin, char **keys, size_t n)
{
	const struct fl_schema *s = cfg->indexes[0].schema;
	char path[] = "/tmp/flusso-bench-docs-XXXXXX";
	struct fl_dbcat cat;
	struct fl_track tr;
	struct fl_docsql q;
	struct fl_err err;
	struct fl_buf f;
	const char *tabs[64], *schemas[64];
	size_t i, j, ntabs = 0;
	PGconn *c = bench_connect(b_db);
	char *url, *cmd;
	double t0, t;
	int fd;
	FILE *out;

	for (i = 0; i < cfg->nindexes; i++)
		if (!strcmp(cfg->indexes[i].name, "users"))
			s = cfg->indexes[i].schema;
	fl_track_build(cfg, &tr);
	for (i = 0; i < tr.n && ntabs < FL_ARRAY_LEN(tabs); i++) {
		schemas[ntabs] = tr.v[i].schema;
		tabs[ntabs++] = tr.v[i].table;
	}
	fl_dbcat_init(&cat);
	if (fl_dbcat_load(&cat, c, schemas, tabs, ntabs, &err) < 0 ||
	    fl_docsql_gen(s, &cat, &q, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(1);
	}
	PQfinish(c);
	fl_buf_init(&f, (size_t)1 << 30);
	fl_buf_printf(&f, "PREPARE s AS %s;\n", q.sql);
	for (i = 0; i < n; i += BENCH_CHUNK) {
		fl_buf_puts(&f, "EXECUTE s('{");
		for (j = i; j < n && j < i + BENCH_CHUNK; j++)
			fl_buf_printf(&f, "%s%s", j > i ? "," : "", keys[j]);
		fl_buf_puts(&f, "}'");
		for (j = 0; j < q.nparams; j++) {
			fl_buf_puts(&f, ", ");
			bench_literal(&f, q.params[j]);
		}
		fl_buf_puts(&f, ");\n");
	}
	fd = mkstemp(path);
	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		fprintf(stderr, "bench: cannot write %s\n", path);
		exit(1);
	}
	fwrite(f.data, 1, f.len, out);
	fclose(out);
	fl_buf_done(&f);
	url = bench_url(b_db);
	cmd = fl_xasprintf("PGOPTIONS='-c TimeZone=UTC -c DateStyle=ISO -c "
	                   "extra_float_digits=3' '%s/psql' -X -q -A -t -d "
	                   "'%s' -f '%s' -o /dev/null",
	                   bin, url, path);
	t0 = bench_now();
	if (system(cmd) != 0)
		fprintf(stderr, "bench: psql failed: %s\n", cmd);
	t = bench_now() - t0;
	unlink(path);
	free(cmd);
	free(url);
	fl_docsql_done(&q);
	fl_dbcat_done(&cat);
	fl_track_done(&tr);
	return t;
}

int
main(int argc, char **argv)
{
	const char *bin = getenv("FLUSSO_TEST_PG_BIN");
	const char *src = getenv("FLUSSO_SOURCE_DIR");
	long scale = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	struct fl_diags d;
	struct fl_config *cfg;
	struct fl_docbuild *b;
	char *path, **keys;
	size_t n, docs, bytes, i;
	double t1, t2, tp, cpu;
	PGconn *c;

	b_base = getenv("FLUSSO_TEST_PG_URL");
	if (!b_base || scale < 1) {
		fprintf(stderr, "usage: bench_docs [SCALE] (with "
		                "FLUSSO_TEST_PG_URL set)\n");
		return 2;
	}
	if (!bin)
		bin = "/usr/lib/postgresql/15/bin";
	if (!src)
		src = ".";
	snprintf(b_db, sizeof(b_db), "flusso_bench_docs_%ld", scale);
	bench_seed(src, bin, scale);
	path = fl_xasprintf("%s/share/examples/shop/flusso.yml", src);
	fl_diags_init(&d);
	cfg = fl_config_load(path, NULL, &d);
	fl_diags_done(&d);
	free(path);
	if (!cfg) {
		fprintf(stderr, "bench: cannot load the shop config\n");
		return 1;
	}
	c = bench_connect(b_db);
	b = fl_docbuild_new(cfg);
	keys = bench_keys(b, c, &n);
	fl_docbuild_free(b);
	PQfinish(c);
	printf("shop `users` index: %zu roots (scale %ld), %d keys per "
	       "statement\n",
	       n, scale, BENCH_CHUNK);
	bench_run(cfg, keys, n, 2, &docs, &bytes); /* warm the cache */
	cpu = bench_cpu();
	t1 = bench_run(cfg, keys, n, 1, &docs, &bytes);
	cpu = bench_cpu() - cpu;
	printf("  flusso, 1 worker:  %8.0f docs/s  (%.2f s, %zu outcomes, "
	       "%.1f MB of JSON, client CPU %.2f s)\n",
	       (double)n / t1, t1, docs, (double)bytes / 1e6, cpu);
	t2 = bench_run(cfg, keys, n, 2, &docs, &bytes);
	printf("  flusso, 2 workers: %8.0f docs/s  (%.2f s, %zu outcomes)\n",
	       (double)n / t2, t2, docs);
	tp = bench_psql(cfg, bin, keys, n);
	printf("  psql floor, 1 session, same SQL and chunks: %8.0f docs/s  "
	       "(%.2f s)\n",
	       (double)n / tp, tp);
	printf("  flusso 1 worker / psql: %.2fx the time\n", t1 / tp);
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	fl_config_free(cfg);
	return 0;
}
