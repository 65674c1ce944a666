/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_bulk.c - documents per second into OpenSearch: flusso's writer
 * (opensearch_writer.c) against the ingest ceiling, curl posting the same
 * NDJSON in the same chunks sequentially over one kept-alive connection
 * (`curl -K` with one `data-binary = @chunk` per request), in the same
 * run.
 *
 *   bench_bulk [DOCS] [--rounds R] [--slice S] [--flush N] [--batch B]
 *              [--parallel P] [--gzip] [--gzip-ab] [--slow BYTES_PER_SEC]
 *
 * Needs FLUSSO_TEST_OS_URL. Documents are generated deterministically
 * in C, shaped like the shop `users` documents (profile with address,
 * tags, 1-5 orders of 1-4 items each; about 1.4 KB). Each round writes
 * all DOCS (default 100,000) into fresh indices with the same settings
 * (1 shard, 0 replicas, refresh_interval -1, dynamic mapping), deleted
 * afterwards. The two contenders take turns slice by slice (S = 10,000
 * documents, which goes first alternates), so both see the same index
 * sizes and the same background load on a shared machine: curl is timed
 * per slice from start to exit, the writer from the slice's first upsert
 * to the return of its last flush (a flush every N = S documents: 10
 * chunks of B = 1000, not caught up). A 10,000-document warm-up round
 * comes first. Printed: each round, then all rounds together and the
 * ratio. --slow caps the upload rate of both (CURLOPT_MAX_SEND_SPEED_LARGE;
 * curl --limit-rate) per connection to simulate a slow link; --gzip compresses the
 * writer's request bodies; --gzip-ab races the writer without gzip
 * against the writer with gzip instead of curl.
 *
 * Not a test: it prints numbers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config/value.h"
#include "sink/opensearch_sink.h"
#include "sink/sink.h"
#include "util/buf.h"

struct bench {
	const char *url;
	long docs, flush, batch, max_bytes, slice;
	int rounds, parallel, gzip, gzip_ab;
	double ta, tb; /* seconds of each contender over all rounds */
	long long slow;
	char **ids, **docv;
	size_t *lens;
	size_t bytes;
	char dir[256];
	char prefix[64];
};

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- documents ------------------------------------------------------------ */

static uint32_t
bench_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/* One shop-like users document for id i (deterministic). */
static void
bench_doc(long i, struct fl_buf *b)
{
	static const char *tiers[] = { "bronze", "silver", "gold", "platinum" };
	static const char *cities[] = { "Milano", "Torino", "Roma", "Napoli",
		                        "Bologna" };
	static const char *status[] = { "pending", "paid", "shipped",
		                        "delivered", "cancelled" };
	static const char *tags[] = { "blue", "green", "red", "vip", "new" };
	uint64_t s = (uint64_t)i * 2654435761ULL + 7;
	int norders = 1 + (int)(bench_rand(&s) % 5), o, k, nitems;
	double ltv = 0;

	fl_buf_reset(b);
	fl_buf_printf(b,
	              "{\"id\":%ld,\"email\":\"user%ld@example.com\",\"name\":"
	              "\"User %ld Surname%u\",\"tier\":\"%s\",\"created_at\":"
	              "\"2023-%02u-%02uT%02u:%02u:%02u+00:00\",\"profile\":{"
	              "\"bio\":\"Bio of user %ld, who likes item %u and "
	              "reading about topic %u\",\"address\":{\"street\":"
	              "\"Via Roma %u\",\"zip\":\"%05u\",\"city\":\"%s\","
	              "\"country\":\"IT\"},\"newsletter\":%s},\"tags\":"
	              "[\"%s\",\"%s\"],\"orders\":[",
	              i, i, i, bench_rand(&s) % 1000, tiers[bench_rand(&s) % 4],
	              1 + bench_rand(&s) % 12, 1 + bench_rand(&s) % 28,
	              bench_rand(&s) % 24, bench_rand(&s) % 60,
	              bench_rand(&s) % 60, i, bench_rand(&s) % 500,
	              bench_rand(&s) % 90, 1 + bench_rand(&s) % 200,
	              bench_rand(&s) % 100000, cities[bench_rand(&s) % 5],
	              bench_rand(&s) % 2 ? "true" : "false",
	              tags[bench_rand(&s) % 5], tags[bench_rand(&s) % 5]);
	for (o = 0; o < norders; o++) {
		double total = 0;

		nitems = 1 + (int)(bench_rand(&s) % 4);
		fl_buf_printf(
		    b,
		    "%s{\"id\":%ld,\"status\":\"%s\",\"placed_at\":"
		    "\"2024-%02u-%02uT%02u:%02u:00+00:00\",\"items\":[",
		    o ? "," : "", i * 10 + o, status[bench_rand(&s) % 5],
		    1 + bench_rand(&s) % 12, 1 + bench_rand(&s) % 28,
		    bench_rand(&s) % 24, bench_rand(&s) % 60);
		for (k = 0; k < nitems; k++) {
			unsigned cents = 100 + bench_rand(&s) % 20000;
			unsigned qty = 1 + bench_rand(&s) % 5;

			total += qty * cents / 100.0;
			fl_buf_printf(
			    b,
			    "%s{\"sku\":\"sku-%05u\",\"name\":\"Product "
			    "%u\",\"category\":\"Category %u\",\"qty\":"
			    "%u,\"price\":%u.%02u}",
			    k ? "," : "", bench_rand(&s) % 50000,
			    bench_rand(&s) % 50000, bench_rand(&s) % 40, qty,
			    cents / 100, cents % 100);
		}
		ltv += total;
		fl_buf_printf(b, "],\"total\":%.2f}", total);
	}
	fl_buf_printf(b, "],\"order_count\":%d,\"lifetime_value\":%.2f}",
	              norders, ltv);
}

static void
bench_make_docs(struct bench *bn)
{
	struct fl_buf b;
	char id[32];
	long i;

	fl_buf_init(&b, 1 << 20);
	bn->ids = calloc((size_t)bn->docs, sizeof(char *));
	bn->docv = calloc((size_t)bn->docs, sizeof(char *));
	bn->lens = calloc((size_t)bn->docs, sizeof(size_t));
	for (i = 0; i < bn->docs; i++) {
		bench_doc(i + 1, &b);
		snprintf(id, sizeof(id), "%ld", i + 1);
		bn->ids[i] = strdup(id);
		bn->docv[i] = strdup(fl_buf_str(&b));
		bn->lens[i] = b.len;
		bn->bytes += b.len;
	}
	fl_buf_done(&b);
}

/* ---- plain HTTP ------------------------------------------------------------ */

static size_t
bench_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static long
bench_http(const char *url, const char *method, const char *body)
{
	struct curl_slist *h =
	    curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = curl_easy_init();
	long st = 0;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return st;
}

#define BENCH_BODY                                          \
	"{\"settings\":{\"index\":{\"number_of_shards\":1," \
	"\"number_of_replicas\":0,\"refresh_interval\":\"-1\"}}}"

static size_t
bench_collect(char *p, size_t size, size_t n, void *arg)
{
	return fl_buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

/* Refresh then count an index (-1 on error). */
static long
bench_count(const char *base, const char *index)
{
	CURL *c = curl_easy_init();
	struct fl_buf b;
	char url[512];
	const char *p;
	long n = -1;

	snprintf(url, sizeof(url), "%s/%s/_refresh", base, index);
	bench_http(url, "POST", NULL);
	snprintf(url, sizeof(url), "%s/%s/_count", base, index);
	fl_buf_init(&b, 1 << 16);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK &&
	    (p = strstr(fl_buf_str(&b), "\"count\":")))
		n = strtol(p + 8, NULL, 10);
	curl_easy_cleanup(c);
	fl_buf_done(&b);
	return n;
}

/* ---- the two contenders ------------------------------------------------------ */

/*
 * curl: create `index`, write the NDJSON chunks of every slice (chunks
 * never cross a slice) and one curl config per slice. Returns the
 * number of slices, 0 on failure.
 */
static int
bench_curl_prepare(struct bench *bn, const char *index)
{
	size_t *sizes = calloc((size_t)bn->slice, sizeof(size_t));
	size_t *counts = calloc((size_t)bn->slice, sizeof(size_t));
	struct fl_buf b;
	char path[600], url[512];
	long lo, i;
	size_t k, c, chunk = 0;
	int sl = 0;

	snprintf(url, sizeof(url), "%s/%s", bn->url, index);
	if (bench_http(url, "PUT", BENCH_BODY) != 200)
		return 0;
	fl_buf_init(&b, SIZE_MAX);
	for (lo = 0; lo < bn->docs; lo += bn->slice, sl++) {
		long hi = lo + bn->slice < bn->docs ? lo + bn->slice : bn->docs;
		FILE *cfg;

		for (i = lo; i < hi; i++) {
			fl_buf_reset(&b);
			fl_bulk_put_action(&b, 0, index, bn->ids[i],
			                   bn->docv[i], bn->lens[i], 0);
			sizes[i - lo] = b.len;
		}
		k = fl_bulk_plan(sizes, (size_t)(hi - lo), bn->batch,
		                 bn->max_bytes, counts);
		snprintf(path, sizeof(path), "%s/slice%d.cfg", bn->dir, sl);
		cfg = fopen(path, "w");
		for (c = 0, i = lo; c < k; c++, chunk++) {
			long end = i + (long)counts[c];
			FILE *f;

			fl_buf_reset(&b);
			for (; i < end; i++)
				fl_bulk_put_action(&b, 0, index, bn->ids[i],
				                   bn->docv[i], bn->lens[i], 0);
			snprintf(path, sizeof(path), "%s/chunk%zu.ndjson",
			         bn->dir, chunk);
			f = fopen(path, "w");
			fwrite(b.data, 1, b.len, f);
			fclose(f);
			fprintf(
			    cfg,
			    "%surl = \"%s/_bulk\"\ndata-binary = \"@%s\"\n"
			    "header = \"Content-Type: application/x-ndjson\"\n"
			    "header = \"Expect:\"\noutput = \"/dev/null\"\n",
			    c ? "next\n" : "", bn->url, path);
			/* per transfer: `next` resets it */
			if (bn->slow)
				fprintf(cfg, "limit-rate = \"%lld\"\n",
				        bn->slow);
		}
		fclose(cfg);
	}
	fl_buf_done(&b);
	free(sizes);
	free(counts);
	return sl;
}

/* Post slice sl with one curl process; seconds, or -1. */
static double
bench_curl_slice(struct bench *bn, int sl)
{
	char cmd[1200];
	double t0 = bench_now();

	snprintf(cmd, sizeof(cmd), "curl -sS -K '%s/slice%d.cfg'", bn->dir, sl);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: curl failed\n");
		return -1;
	}
	return bench_now() - t0;
}

static void
bench_curl_cleanup(struct bench *bn)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -f '%s'/chunk*.ndjson '%s'/slice*.cfg",
	         bn->dir, bn->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: cleanup failed\n");
}

struct bench_w {
	struct fl_sink *s;
	struct fl_sink_writer *w;
	char logical[64];
	char gen[256];
};

/* The index body: 1 shard, 0 replicas, refresh -1, dynamic mapping. */
static struct fl_val *
bench_body(void)
{
	struct fl_val *body = fl_val_new(FL_VAL_MAP);
	struct fl_val *settings = fl_val_new(FL_VAL_MAP);
	struct fl_val *index = fl_val_new(FL_VAL_MAP);
	struct fl_val *v;

	v = fl_val_new(FL_VAL_INT);
	v->i = 1;
	fl_val_map_set(index, "number_of_shards", v);
	v = fl_val_new(FL_VAL_INT);
	v->i = 0;
	fl_val_map_set(index, "number_of_replicas", v);
	fl_val_map_set(index, "refresh_interval", fl_val_new_str("-1"));
	fl_val_map_set(settings, "index", index);
	fl_val_map_set(body, "settings", settings);
	return body;
}

/* flusso's OpenSearch sink and one writer on a fresh `logical`. */
static int
bench_writer_open(struct bench *bn, const char *logical, int gzip,
                  struct bench_w *bw)
{
	static char name[] = "bench", interval[] = "1s";
	struct fl_sink_os_tuning tune = { bn->parallel, gzip, bn->slow };
	struct fl_sink_index_state st;
	struct fl_sink_index_def def;
	struct fl_sink_cfg c;
	struct fl_val *body = bench_body();
	struct fl_err err;
	int rc;

	memset(bw, 0, sizeof(*bw));
	snprintf(bw->logical, sizeof(bw->logical), "%s", logical);
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.type = FL_SINK_OPENSEARCH;
	c.url.kind = FL_SECRET_LITERAL;
	c.url.value = (char *)(uintptr_t)bn->url;
	c.tls_verify = 1;
	c.batch_size = bn->batch;
	c.max_bytes = bn->max_bytes;
	c.timeout_secs = 120;
	c.max_retries = 3;
	c.refresh_period_ms = -1; /* the built-in defaults */
	c.skip_identical_ids = -1;
	c.refresh_interval = interval;
	if (!(bw->s = fl_sink_os_new(&c, bn->prefix, &err))) {
		fprintf(stderr, "bench: %s\n", err.msg);
		fl_val_free(body);
		return -1;
	}
	fl_sink_os_tune(bw->s, &tune);
	def.name = bw->logical;
	def.hash = "0123456789abcdef";
	def.body = body;
	rc = bw->s->ops->ensure_index(bw->s, &def, &st, &err);
	fl_val_free(body);
	if (rc != FL_SINK_OK) {
		fprintf(stderr, "bench: ensure_index: %s\n", err.msg);
		return -1;
	}
	snprintf(bw->gen, sizeof(bw->gen), "%s%s_0123456789abcdef_%ld",
	         bn->prefix, logical, st.active_generation);
	fl_sink_index_state_done(&st);
	bw->w = bw->s->ops->writer_new(bw->s);
	return 0;
}

/* Upsert documents [lo, hi) and flush every bn->flush; seconds, or -1. */
static double
bench_writer_slice(struct bench *bn, struct bench_w *bw, long lo, long hi)
{
	struct fl_sink_report rep = { NULL, 0 };
	struct fl_sink_writer *w = bw->w;
	struct fl_err err;
	double t0 = bench_now();
	long i;

	for (i = lo; i < hi; i++) {
		w->ops->upsert(w, bw->logical, bn->ids[i], bn->docv[i],
		               bn->lens[i], 1);
		if ((i + 1 - lo) % bn->flush == 0 || i + 1 == hi) {
			if (w->ops->flush(w, 0, &rep, &err) != FL_SINK_OK) {
				fprintf(stderr, "bench: flush: %s\n", err.msg);
				return -1;
			}
			if (rep.n)
				fprintf(stderr, "bench: %zu rejections (%s)\n",
				        rep.n, rep.v[0].reason);
			fl_sink_report_done(&rep);
		}
	}
	return bench_now() - t0;
}

static void
bench_writer_close(struct bench_w *bw)
{
	if (bw->w)
		bw->w->ops->free(bw->w);
	if (bw->s)
		bw->s->ops->free(bw->s);
}

/*
 * One round over all documents, slice by slice, alternating which
 * contender goes first. Curl vs the writer, or (gzip_ab) the writer
 * without vs with gzip. Docs/s of each into *a and *b.
 */
static int
bench_round(struct bench *bn, int round, double *a, double *b)
{
	struct bench_w wa, wb;
	char name[128], cidx[128];
	double ta = 0, tb = 0, t;
	long lo;
	int sl = 0, rc = 0, k;

	memset(&wa, 0, sizeof(wa));
	snprintf(name, sizeof(name), "users%d", round);
	if (bench_writer_open(bn, name, bn->gzip_ab ? 1 : bn->gzip, &wb) < 0)
		return -1;
	if (bn->gzip_ab) {
		snprintf(name, sizeof(name), "plain%d", round);
		rc = bench_writer_open(bn, name, 0, &wa);
	} else {
		snprintf(cidx, sizeof(cidx), "%scurl%d", bn->prefix, round);
		rc = bench_curl_prepare(bn, cidx) > 0 ? 0 : -1;
	}
	for (lo = 0; rc == 0 && lo < bn->docs; lo += bn->slice, sl++) {
		long hi = lo + bn->slice < bn->docs ? lo + bn->slice : bn->docs;

		for (k = 0; k < 2 && rc == 0; k++) {
			if ((k == 0) == (sl % 2 == 0)) {
				t = bn->gzip_ab
				        ? bench_writer_slice(bn, &wa, lo, hi)
				        : bench_curl_slice(bn, sl);
				ta += t;
			} else {
				t = bench_writer_slice(bn, &wb, lo, hi);
				tb += t;
			}
			rc = t < 0 ? -1 : 0;
		}
	}
	if (rc == 0 && bench_count(bn->url, wb.gen) != bn->docs)
		fprintf(stderr, "bench: writer index count mismatch\n");
	if (rc == 0 &&
	    bench_count(bn->url, bn->gzip_ab ? wa.gen : cidx) != bn->docs)
		fprintf(stderr, "bench: reference index count mismatch\n");
	if (!bn->gzip_ab)
		bench_curl_cleanup(bn);
	bench_writer_close(&wa);
	bench_writer_close(&wb);
	*a = rc == 0 ? (double)bn->docs / ta : 0;
	*b = rc == 0 ? (double)bn->docs / tb : 0;
	bn->ta += ta;
	bn->tb += tb;
	return rc;
}

/* Drop everything this run created. */
static void
bench_drop(struct bench *bn)
{
	char url[512];

	snprintf(url, sizeof(url), "%s/%s*?expand_wildcards=all", bn->url,
	         bn->prefix);
	bench_http(url, "DELETE", NULL);
}

static void
bench_args(struct bench *bn, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

		if (strcmp(a, "--rounds") == 0)
			bn->rounds = (int)strtol(v, NULL, 10), i++;
		else if (strcmp(a, "--flush") == 0)
			bn->flush = strtol(v, NULL, 10), i++;
		else if (strcmp(a, "--batch") == 0)
			bn->batch = strtol(v, NULL, 10), i++;
		else if (strcmp(a, "--parallel") == 0)
			bn->parallel = (int)strtol(v, NULL, 10), i++;
		else if (strcmp(a, "--slow") == 0)
			bn->slow = strtoll(v, NULL, 10), i++;
		else if (strcmp(a, "--gzip") == 0)
			bn->gzip = 1;
		else if (strcmp(a, "--slice") == 0)
			bn->slice = strtol(v, NULL, 10), i++;
		else if (strcmp(a, "--gzip-ab") == 0)
			bn->gzip_ab = 1;
		else
			bn->docs = strtol(a, NULL, 10);
	}
	if (bn->docs < 1)
		bn->docs = 100000;
	if (bn->slice < 1)
		bn->slice = 10000;
	if (bn->flush < 1)
		bn->flush = bn->slice;
	if (bn->rounds < 1)
		bn->rounds = 3;
}

int
main(int argc, char **argv)
{
	struct bench bn;
	const char *la, *lb;
	double a = 0, b = 0;
	int round;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&bn, 0, sizeof(bn));
	bn.batch = 1000;
	bn.max_bytes = 10485760;
	bn.parallel = FL_SINK_OS_PARALLEL;
	bench_args(&bn, argc, argv);
	la = bn.gzip_ab ? "writer plain" : "curl sequential";
	lb = bn.gzip_ab ? "writer gzip" : "flusso writer";
	bn.url = getenv("FLUSSO_TEST_OS_URL");
	if (!bn.url || !*bn.url) {
		fprintf(stderr, "bench: set FLUSSO_TEST_OS_URL "
		                "(tests/services.sh start os)\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(bn.prefix, sizeof(bn.prefix), "bench%ld_", (long)getpid());
	snprintf(bn.dir, sizeof(bn.dir), "%s/flusso-bench-bulk-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(bn.dir)) {
		perror("mkdtemp");
		return 1;
	}
	bench_make_docs(&bn);
	printf("documents: %ld, %.0f bytes on average; chunks of %ld; "
	       "slices of %ld; writer flush every %ld, %d in flight, gzip "
	       "%s; link %s\n",
	       bn.docs, (double)bn.bytes / (double)bn.docs, bn.batch, bn.slice,
	       bn.flush, bn.parallel,
	       bn.gzip_ab ? "off vs on"
	       : bn.gzip  ? "on"
	                  : "off",
	       bn.slow ? "capped" : "loopback");
	if (bn.slow)
		printf("upload capped at %lld bytes/s\n", bn.slow);
	/* warm-up: JIT and caches of the node */
	{
		long docs = bn.docs;

		bn.docs = docs < 10000 ? docs : 10000;
		bench_round(&bn, 0, &a, &b);
		bn.docs = docs;
		bn.ta = bn.tb = 0;
		bench_drop(&bn);
	}
	for (round = 1; round <= bn.rounds; round++) {
		if (bench_round(&bn, round, &a, &b) < 0)
			break;
		printf("round %d: %s %.0f docs/s, %s %.0f docs/s (%.1f %%)\n",
		       round, la, a, lb, b, a > 0 ? 100.0 * b / a : 0);
		bench_drop(&bn);
	}
	if (bn.ta > 0 && bn.tb > 0) {
		a = (double)bn.docs * (round - 1) / bn.ta;
		b = (double)bn.docs * (round - 1) / bn.tb;
		printf("all rounds: %s %.0f docs/s, %s %.0f docs/s, "
		       "ratio %.1f %%\n",
		       la, a, lb, b, 100.0 * b / a);
	}
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bn.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: cannot remove %s\n", bn.dir);
	}
	curl_global_cleanup();
	return 0;
}
