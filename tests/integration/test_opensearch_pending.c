/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_opensearch_pending.c - held indexes in the OpenSearch sink
 * against the shared test node (sink.h "Held indexes", engine-sink.md
 * §5.9): the pending index `P flusso_pending`, pend through a writer,
 * pending_page / pending_remove / pending_count, hold_load / hold_save.
 *
 * Each case under its own prefix, removed at the end:
 *   - nothing stored yet: empty page, count 0, no hold, removes and
 *     hold deletes succeed, and none of it creates the pending index;
 *   - pends mixed with upserts in one flush: documents written, no
 *     rejection, the pending index created (hidden, 1 shard, strict);
 *     each id once (twice pended in one flush and again in a later
 *     one), in key order, paged with `after`; counts per index; a
 *     remove with the versions read removes, one with a stale version
 *     (the id pended again since) keeps it;
 *   - keys with '/', '#', '?', '%', '+', ':', spaces, unicode and a
 *     600-byte one (stored under its hashed id) round-trip;
 *   - holds: paused, stopped with a reason, NONE deletes, per index;
 *   - a pend the pending index refuses fails the flush permanently
 *     ("pending set: ...") and is never a rejection.
 *
 * Needs FLUSSO_TEST_OS_URL (tests/services.sh env); fails with the
 * reason when it is missing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "config/mapping.h"
#include "config/schema.h"
#include "config/schema_hash.h"
#include "config/value.h"
#include "sink/opensearch_names.h"
#include "sink/opensearch_sink.h"
#include "sink/sink.h"
#include "tap.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/diagnostics.h"
#include "util/http_client.h"

static char t_base[256];

/* ---- plain HTTP for checks ----------------------------------------------- */

static size_t
t_collect(char *p, size_t size, size_t n, void *arg)
{
	return fl_buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

/* One call to t_base + path; returns the status (0 on transport error). */
static long
t_http(const char *method, const char *path, const char *body,
       struct fl_buf *out)
{
	struct curl_slist *hdr =
	    curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = curl_easy_init();
	char url[2048];
	long status = 0;

	fl_buf_reset(out);
	snprintf(url, sizeof(url), "%s%s", t_base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return status;
}

/* GET t_base + path as JSON (caller deletes), NULL unless 2xx. */
static cJSON *
t_json(const char *path)
{
	struct fl_buf b;
	cJSON *j = NULL;

	fl_buf_init(&b, 1 << 24);
	if (t_http("GET", path, NULL, &b) / 100 == 2)
		j = cJSON_Parse(fl_buf_str(&b));
	fl_buf_done(&b);
	return j;
}

/* Status of HEAD t_base + path. */
static long
t_head(const char *path)
{
	struct fl_buf b;
	long st;

	fl_buf_init(&b, 1 << 20);
	st = t_http("HEAD", path, NULL, &b);
	fl_buf_done(&b);
	return st;
}

/* Document count of an index or alias (-1 on error). */
static long
t_count(const char *index)
{
	char path[512];
	cJSON *j;
	long n = -1;

	snprintf(path, sizeof(path), "/%s/_count", index);
	if ((j = t_json(path)) &&
	    cJSON_IsNumber(cJSON_GetObjectItem(j, "count")))
		n = (long)cJSON_GetObjectItem(j, "count")->valuedouble;
	cJSON_Delete(j);
	return n;
}

/* The count of index once it equals want, polling for up to 5 s (a
 * caught-up flush is searchable within the sink's refresher period,
 * opensearch_refresh.c); the last count seen. */
static long
t_count_soon(const char *index, long want)
{
	long n = -1;
	int i;

	for (i = 0; i < 100 && (n = t_count(index)) != want; i++)
		usleep(50000);
	return n;
}

/* ---- sink fixtures --------------------------------------------------------- */

#define T_SCHEMA                                               \
	"version: 1\ntable: users\nprimary_key: id\nfields:\n" \
	"  - keyword: email\n    required: true\n"             \
	"  - integer: age\n    required: false\n"

struct t_index {
	struct fl_val *body;
	char hash[17];
};

/* Body and hash of T_SCHEMA, replicas 0. */
static int
t_index_load(struct t_index *ix)
{
	struct fl_mapping_opts o;
	struct fl_diags d;
	struct fl_schema *s;

	fl_diags_init(&d);
	s = fl_schema_load_mem(T_SCHEMA, strlen(T_SCHEMA), "users.schema.yml",
	                       &d);
	fl_diags_done(&d);
	if (!s)
		return -1;
	fl_mapping_opts_default(&o);
	o.number_of_replicas = 0;
	ix->body = fl_mapping_body(s, &o);
	fl_hash_schema(s, ix->hash);
	fl_schema_free(s);
	return 0;
}

static char t_name[] = "test", t_interval[] = "1s";

/* An OpenSearch sink on t_base under prefix. */
static struct fl_sink *
t_sink(const char *prefix, long batch_size)
{
	struct fl_sink_cfg c;
	struct fl_err err;
	struct fl_sink *s;

	memset(&c, 0, sizeof(c));
	c.name = t_name;
	c.type = FL_SINK_OPENSEARCH;
	c.url.kind = FL_SECRET_LITERAL;
	c.url.value = (char *)(uintptr_t)t_base;
	c.tls_verify = 1;
	c.batch_size = batch_size;
	c.max_bytes = 10485760;
	c.timeout_secs = 30;
	c.max_retries = 2;
	c.refresh_period_ms = -1; /* the built-in defaults */
	c.skip_identical_ids = -1;
	c.refresh_interval = t_interval;
	c.number_of_replicas = 0;
	s = fl_sink_os_new(&c, prefix, &err);
	if (!s)
		printf("# fl_sink_os_new: %s\n", err.msg);
	return s;
}

/* ensure_index of `users`; prints the error. */
static int
t_ensure(struct fl_sink *s, const struct t_index *ix)
{
	struct fl_sink_index_def def = { "users", ix->hash, ix->body };
	struct fl_sink_index_state st;
	struct fl_err err;
	int rc = s->ops->ensure_index(s, &def, &st, &err);

	if (rc != FL_SINK_OK)
		printf("# ensure_index: %s\n", err.msg);
	else
		fl_sink_index_state_done(&st);
	return rc;
}

/* Flush w; report into rep (caller frees), error into err. */
static int
t_flush(struct fl_sink_writer *w, int caught_up, struct fl_sink_report *rep,
        struct fl_err *err)
{
	int rc;

	rep->v = NULL;
	rep->n = 0;
	err->msg[0] = '\0';
	rc = w->ops->flush(w, caught_up, rep, err);
	if (rc != FL_SINK_OK)
		printf("# flush: %s\n", err->msg);
	return rc;
}

/* Upsert ids lo..hi with a small valid document. */
static void
t_upsert_range(struct fl_sink_writer *w, int lo, int hi)
{
	char id[16], doc[128];
	int i;

	for (i = lo; i <= hi; i++) {
		snprintf(id, sizeof(id), "%d", i);
		snprintf(doc, sizeof(doc),
		         "{\"email\":\"u%d@x.io\",\"age\":%d}", i, i);
		w->ops->upsert(w, "users", id, doc, strlen(doc), 0);
	}
}

/* One page into p (its previous page freed first); prints the error. */
static int
t_page(struct fl_sink *s, const char *index, const char *after, size_t max,
       struct fl_pending_page *p)
{
	struct fl_err err;
	int rc;

	fl_pending_page_done(p);
	rc = s->ops->pending_page(s, index, after, max, p, &err);

	if (rc != FL_SINK_OK)
		printf("# pending_page: %s\n", err.msg);
	return rc;
}

/* The keys of a page joined by ',' into out. */
static const char *
t_keys(const struct fl_pending_page *p, char *out, size_t n)
{
	size_t i, at = 0;

	out[0] = '\0';
	for (i = 0; i < p->n && at < n; i++)
		at += (size_t)snprintf(out + at, n - at, "%s%s", i ? "," : "",
		                       p->v[i].key);
	return out;
}

/* pending_count, or -1 (error printed). */
static long long
t_pcount(struct fl_sink *s, const char *index)
{
	struct fl_err err;
	long long n = -7;

	if (s->ops->pending_count(s, index, &n, &err) != FL_SINK_OK) {
		printf("# pending_count: %s\n", err.msg);
		return -1;
	}
	return n;
}

/* pending_count once it equals want, polling for up to 5 s (it lags
 * writes by the refresh: sink.h); the last count seen. */
static long long
t_pcount_soon(struct fl_sink *s, const char *index, long long want)
{
	long long n = -1;
	int i;

	for (i = 0; i < 100 && (n = t_pcount(s, index)) != want; i++)
		usleep(50000);
	return n;
}

/* pending_remove; prints the error. */
static int
t_remove(struct fl_sink *s, const char *index, const struct fl_pending_page *p)
{
	struct fl_err err;
	int rc = s->ops->pending_remove(s, index, p->v, p->n, &err);

	if (rc != FL_SINK_OK)
		printf("# pending_remove: %s\n", err.msg);
	return rc;
}

static void
t_prefix(char *out, size_t n, const char *what)
{
	snprintf(out, n, "tpend%ld%lx%s_", (long)getpid(),
	         (long)time(NULL) & 0xfff, what);
}

/* Delete everything under a prefix (best effort). */
static void
t_cleanup(const char *prefix)
{
	struct fl_buf b;
	char path[256];

	fl_buf_init(&b, 1 << 20);
	snprintf(path, sizeof(path), "/%s*?expand_wildcards=all", prefix);
	t_http("DELETE", path, NULL, &b);
	fl_buf_done(&b);
}

/* ---- nothing stored -------------------------------------------------------- */

TAP_TEST(test_missing_index)
{
	struct fl_pending_page p = { 0 };
	struct fl_pending_id gone = { (char *)(uintptr_t) "k", 0, 1 };
	struct fl_sink_hold h;
	struct fl_err err;
	struct fl_sink *s;
	char pfx[64], path[128];

	t_prefix(pfx, sizeof(pfx), "m");
	if (!ok((s = t_sink(pfx, 1000)) != NULL, "sink"))
		return;
	is_long(fl_sink_can_hold(s), 1, "the OpenSearch sink can hold");
	is_long(t_page(s, "users", NULL, 10, &p), FL_SINK_OK,
	        "missing pending index: page ok");
	is_long((long)p.n, 0, "and empty");
	is_long(t_page(s, "users", "k", 10, &p), FL_SINK_OK,
	        "a later page too");
	is_long((long)p.n, 0, "empty");
	is_long((long)t_pcount(s, "users"), 0, "count 0");
	memset(&h, 0xff, sizeof(h));
	is_long(s->ops->hold_load(s, "users", &h, &err), FL_SINK_OK,
	        "hold_load ok");
	is_long(h.state, FL_HOLD_NONE, "no hold");
	is_long(s->ops->pending_remove(s, "users", &gone, 1, &err), FL_SINK_OK,
	        "removing from a missing index is fine");
	h.state = FL_HOLD_NONE;
	is_long(s->ops->hold_save(s, "users", &h, &err), FL_SINK_OK,
	        "deleting a missing hold is fine");
	snprintf(path, sizeof(path), "/%sflusso_pending", pfx);
	is_long(t_head(path), 404, "none of that created the pending index");
	s->ops->free(s);
	t_cleanup(pfx);
}

/* ---- pend, page, count, remove --------------------------------------------- */

/* The pending index's settings and mapping as created. */
static void
t_check_created(const char *pfx)
{
	char name[128], path[256];
	cJSON *j, *o;

	snprintf(name, sizeof(name), "%sflusso_pending", pfx);
	snprintf(path, sizeof(path), "/%s/_settings?flat_settings=true", name);
	j = t_json(path);
	o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, name), "settings");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "index.hidden")),
	       "true", "pending index hidden");
	is_str(cJSON_GetStringValue(
	           cJSON_GetObjectItem(o, "index.number_of_shards")),
	       "1", "one shard");
	is_str(cJSON_GetStringValue(
	           cJSON_GetObjectItem(o, "index.auto_expand_replicas")),
	       "0-1", "replicas as the meta index");
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/%s/_mapping", name);
	j = t_json(path);
	o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, name), "mappings");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "dynamic")),
	       "strict", "mapping strict");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
	           cJSON_GetObjectItem(cJSON_GetObjectItem(o, "properties"),
	                               "key"),
	           "type")),
	       "keyword", "key is a keyword");
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/%s/_doc/id%%3Ausers%%3Ak1", name);
	j = t_json(path);
	o = cJSON_GetObjectItem(j, "_source");
	ok(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "kind")), "id") ==
	           0 &&
	       strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "index")),
	              "users") == 0 &&
	       strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "key")),
	              "k1") == 0,
	   "the document id:users:k1 holds kind, index and key");
	ok(cJSON_IsNumber(cJSON_GetObjectItem(o, "since")) &&
	       cJSON_GetObjectItem(o, "since")->valuedouble >
	           (double)(fl_wall_us() / 1000 - 600000),
	   "and since, in epoch milliseconds");
	cJSON_Delete(j);
}

TAP_TEST(test_pend_page_remove)
{
	struct fl_pending_page p = { 0 }, first = { 0 };
	struct fl_sink_report rep;
	struct fl_err err;
	struct fl_sink_writer *w;
	struct fl_sink *s;
	struct t_index ix;
	char pfx[64], ha[128], keys[256];

	t_prefix(pfx, sizeof(pfx), "p");
	if (!ok(t_index_load(&ix) == 0, "schema loads"))
		return;
	/* batch_size 3: the flush takes several chunks */
	s = t_sink(pfx, 3);
	if (!ok(s && t_ensure(s, &ix) == FL_SINK_OK, "ensure users"))
		goto out;
	snprintf(ha, sizeof(ha), "%susers_%s", pfx, ix.hash);
	w = s->ops->writer_new(s);
	if (!ok(w->ops->pend != NULL, "writers have pend"))
		goto out_w;
	t_upsert_range(w, 1, 2);
	w->ops->pend(w, "users", "k3");
	w->ops->pend(w, "users", "k1");
	t_upsert_range(w, 3, 3);
	w->ops->pend(w, "orders", "o1"); /* an index never ensured */
	w->ops->pend(w, "users", "k2");
	w->ops->pend(w, "users", "k1"); /* twice in one flush */
	is_long(t_flush(w, 1, &rep, &err), FL_SINK_OK,
	        "pends mixed with upserts: flush ok");
	is_long((long)rep.n, 0, "no rejection");
	fl_sink_report_done(&rep);
	is_long(t_count_soon(ha, 3), 3, "the documents are written");
	t_check_created(pfx);

	is_long((long)t_pcount_soon(s, "users", 3), 3, "count: 3 ids of users");
	is_long((long)t_pcount_soon(s, "orders", 1), 1, "1 of orders");
	is_long(t_page(s, "users", NULL, 2, &p), FL_SINK_OK, "first page");
	is_str(t_keys(&p, keys, sizeof(keys)), "k1,k2",
	       "in key order, k1 once");
	ok(p.n == 2 && p.v[0].primary_term >= 1 && p.v[0].seq_no >= 0,
	   "with versions");
	is_long(t_page(s, "users", "k2", 2, &p), FL_SINK_OK, "after k2");
	is_str(t_keys(&p, keys, sizeof(keys)), "k3", "the rest");
	is_long(t_page(s, "users", "k3", 2, &p), FL_SINK_OK, "after k3");
	is_long((long)p.n, 0, "the end");
	fl_pending_page_done(&p);

	/* an id pended again after it was read keeps the new version */
	is_long(t_page(s, "users", NULL, 10, &first), FL_SINK_OK,
	        "read all three");
	w->ops->pend(w, "users", "k2");
	is_long(t_flush(w, 0, &rep, &err), FL_SINK_OK, "k2 pended again");
	fl_sink_report_done(&rep);
	is_long(t_page(s, "users", NULL, 10, &p), FL_SINK_OK, "page again");
	is_str(t_keys(&p, keys, sizeof(keys)), "k1,k2,k3",
	       "still one k2 (same id: one document)");
	fl_pending_page_done(&p);
	is_long(t_remove(s, "users", &first), FL_SINK_OK,
	        "remove with the versions read first");
	is_long(t_page(s, "users", NULL, 10, &p), FL_SINK_OK, "page after");
	is_str(t_keys(&p, keys, sizeof(keys)), "k2",
	       "k2 kept: its version changed since");
	is_long((long)t_pcount(s, "users"), 1, "count 1");
	is_long(t_remove(s, "users", &first), FL_SINK_OK,
	        "removing again (404 and 409 items) is fine");
	is_long(t_remove(s, "users", &p), FL_SINK_OK,
	        "remove k2 at its current version");
	fl_pending_page_done(&p);
	is_long(t_page(s, "users", NULL, 10, &p), FL_SINK_OK, "page");
	is_long((long)p.n, 0, "users' set is empty");
	fl_pending_page_done(&p);
	is_long((long)t_pcount(s, "users"), 0, "count 0");
	is_long((long)t_pcount(s, "orders"), 1, "orders' id untouched");
out_w:
	fl_pending_page_done(&first);
	w->ops->free(w);
out:
	if (s)
		s->ops->free(s);
	fl_val_free(ix.body);
	t_cleanup(pfx);
}

/* ---- keys ---------------------------------------------------------------- */

static int
t_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

TAP_TEST(test_odd_keys)
{
	static char long_key[601];
	const char *keys[] = {
		"a/b",          "x#y",       "with space", "ünicöde",
		"日本",         "q?x=1&y=2", "100%",       "plus+sign",
		"colon:in:key", "..",        long_key,
	};
	const char *sorted[sizeof(keys) / sizeof(keys[0])];
	size_t nk = sizeof(keys) / sizeof(keys[0]), i;
	struct fl_pending_page p = { 0 };
	struct fl_sink_report rep;
	struct fl_err err;
	struct fl_sink_writer *w;
	struct fl_sink *s;
	char pfx[64], path[256], *id, *esc;
	int same = 1;

	memset(long_key, 'z', 600);
	memcpy(long_key, "long/", 5);
	t_prefix(pfx, sizeof(pfx), "k");
	if (!ok((s = t_sink(pfx, 1000)) != NULL, "sink"))
		return;
	w = s->ops->writer_new(s);
	for (i = 0; i < nk; i++)
		w->ops->pend(w, "users", keys[i]);
	is_long(t_flush(w, 0, &rep, &err), FL_SINK_OK,
	        "pends alone (no index ensured): flush ok");
	fl_sink_report_done(&rep);
	is_long(t_page(s, "users", NULL, 100, &p), FL_SINK_OK, "page");
	memcpy(sorted, keys, sizeof(keys));
	qsort(sorted, nk, sizeof(*sorted), t_strcmp);
	if (is_long((long)p.n, (long)nk, "every key once")) {
		for (i = 0; i < nk; i++)
			if (strcmp(p.v[i].key, sorted[i]) != 0) {
				printf("# at %zu: %s, want %s\n", i, p.v[i].key,
				       sorted[i]);
				same = 0;
			}
		ok(same, "keys round-trip, in byte order");
	}
	id = fl_osnames_pending_id("users", long_key);
	ok(strncmp(id, "id:users:#", 10) == 0, "the 600-byte key is hashed");
	esc = fl_http_escape(id);
	snprintf(path, sizeof(path), "/%sflusso_pending/_doc/%s", pfx, esc);
	is_long(t_head(path), 200, "stored under that id");
	free(esc);
	free(id);
	is_long(t_remove(s, "users", &p), FL_SINK_OK,
	        "remove them by the versions read");
	fl_pending_page_done(&p);
	is_long(t_page(s, "users", NULL, 100, &p), FL_SINK_OK, "page");
	is_long((long)p.n, 0, "all gone (ids escaped alike both ways)");
	fl_pending_page_done(&p);
	w->ops->free(w);
	s->ops->free(s);
	t_cleanup(pfx);
}

/* ---- holds --------------------------------------------------------------- */

TAP_TEST(test_holds)
{
	struct fl_sink_hold h, got;
	struct fl_err err;
	struct fl_sink *s;
	char pfx[64];
	int64_t now = fl_wall_us();

	t_prefix(pfx, sizeof(pfx), "h");
	if (!ok((s = t_sink(pfx, 1000)) != NULL, "sink"))
		return;
	memset(&h, 0, sizeof(h));
	h.state = FL_HOLD_PAUSED;
	h.since_us = now;
	is_long(s->ops->hold_save(s, "users", &h, &err), FL_SINK_OK,
	        "save paused (creates the pending index)");
	is_long(s->ops->hold_load(s, "users", &got, &err), FL_SINK_OK, "load");
	is_long(got.state, FL_HOLD_PAUSED, "paused");
	is_long((long)(got.since_us / 1000), (long)(now / 1000),
	        "since, to the millisecond");
	is_str(got.reason, "", "no reason");
	h.state = FL_HOLD_STOPPED;
	snprintf(h.reason, sizeof(h.reason),
	         "document 7 rejected: mapper_parsing_exception \"x\"");
	is_long(s->ops->hold_save(s, "users", &h, &err), FL_SINK_OK,
	        "save stopped");
	is_long(s->ops->hold_load(s, "users", &got, &err), FL_SINK_OK, "load");
	is_long(got.state, FL_HOLD_STOPPED, "stopped");
	is_str(got.reason, h.reason, "with its reason");
	ok(!got.resync, "not marked to rebuild");
	h.state = FL_HOLD_DRIFT;
	h.resync = 1;
	snprintf(h.reason, sizeof(h.reason),
	         "users.schema.yml:7:5: fields[1].text title: field "
	         "references unknown column `public.users.title`");
	is_long(s->ops->hold_save(s, "users", &h, &err), FL_SINK_OK,
	        "save drift");
	is_long(s->ops->hold_load(s, "users", &got, &err), FL_SINK_OK, "load");
	is_long(got.state, FL_HOLD_DRIFT, "drift");
	is_str(got.reason, h.reason, "with its reason");
	ok(got.resync, "marked to rebuild every document");
	h.resync = 0;
	is_long(s->ops->hold_load(s, "orders", &got, &err), FL_SINK_OK,
	        "another index");
	is_long(got.state, FL_HOLD_NONE, "has no hold");
	is_long((long)t_pcount(s, "users"), 0,
	        "a hold is not a pending id (count)");
	h.state = FL_HOLD_NONE;
	is_long(s->ops->hold_save(s, "users", &h, &err), FL_SINK_OK,
	        "save NONE");
	is_long(s->ops->hold_load(s, "users", &got, &err), FL_SINK_OK, "load");
	is_long(got.state, FL_HOLD_NONE, "NONE deleted it");
	is_long(s->ops->hold_save(s, "users", &h, &err), FL_SINK_OK,
	        "NONE again (404) is fine");
	s->ops->free(s);
	t_cleanup(pfx);
}

/* ---- a refused pend -------------------------------------------------------- */

TAP_TEST(test_pend_refused)
{
	struct fl_sink_report rep;
	struct fl_err err;
	struct fl_sink_writer *w;
	struct fl_sink *s;
	struct t_index ix;
	struct fl_buf b;
	char pfx[64], path[128];
	int rc;

	t_prefix(pfx, sizeof(pfx), "r");
	if (!ok(t_index_load(&ix) == 0, "schema loads"))
		return;
	s = t_sink(pfx, 1000);
	if (!ok(s && t_ensure(s, &ix) == FL_SINK_OK, "ensure users"))
		goto out;
	/* a pending index whose strict mapping has no `key` */
	fl_buf_init(&b, 1 << 20);
	snprintf(path, sizeof(path), "/%sflusso_pending", pfx);
	is_long(t_http("PUT", path,
	               "{\"mappings\":{\"dynamic\":\"strict\",\"properties\":"
	               "{\"kind\":{\"type\":\"keyword\"}}}}",
	               &b),
	        200, "a pending index that refuses pends");
	fl_buf_done(&b);
	w = s->ops->writer_new(s);
	t_upsert_range(w, 1, 2);
	w->ops->pend(w, "users", "k1");
	rc = t_flush(w, 1, &rep, &err);
	is_long(rc, FL_SINK_PERMANENT, "the flush fails permanently");
	ok(strncmp(err.msg, "pending set:", 12) == 0,
	   "with a message starting \"pending set:\"");
	has_str(err.msg, "id:users:k1", "naming the id");
	is_long((long)rep.n, 0, "never a rejection");
	fl_sink_report_done(&rep);
	w->ops->free(w);
out:
	if (s)
		s->ops->free(s);
	fl_val_free(ix.body);
	t_cleanup(pfx);
}

int
main(void)
{
	const char *base = getenv("FLUSSO_TEST_OS_URL");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (ok(base && *base, "FLUSSO_TEST_OS_URL is set (tests/services.sh "
	                      "env)")) {
		snprintf(t_base, sizeof(t_base), "%s", base);
		tap_run(test_missing_index);
		tap_run(test_pend_page_remove);
		tap_run(test_odd_keys);
		tap_run(test_holds);
		tap_run(test_pend_refused);
	}
	curl_global_cleanup();
	return tap_done();
}
