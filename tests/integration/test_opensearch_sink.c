/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_opensearch_sink.c - the OpenSearch sink against real nodes
 * (engine-sink.md §2, §11.4, edge cases E3, E5, E8, E13, E14, E18, E22).
 *
 * On the shared test node (FLUSSO_TEST_OS_URL), each case under its own
 * prefix: the creation body applied and strict, the meta index and doc;
 * an unknown field rejected as an item with index, id, status and
 * reason; partial bulk failure mapped back to logical index and id; a
 * delete of a missing id is a success; a reindex swapping generations
 * while a reader thread polls the hash alias (never empty, never mixed);
 * the meta recovery cases (seeded but generation gone; staged rebuild
 * reused; orphan listed and gc'd; superseded hash listed, convenience
 * alias kept on the old seeded generation).
 *
 * On a private node this test starts itself (tests/opensearch/start.sh
 * in a temp dir, http.max_content_length=16kb): 413 split and a single
 * document too large rejected; the node stopped mid-flush (transient
 * failure) and restarted with its data kept (the retry succeeds).
 *
 * Needs FLUSSO_TEST_OS_URL (tests/services.sh env) and, for the private
 * node, FLUSSO_SOURCE_DIR (set by ctest) and java/mvn as for the
 * services. Missing either fails with the reason.
 */
#include <pthread.h>
#include <stdatomic.h>
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
#include "sink/opensearch_sink.h"
#include "sink/sink.h"
#include "tap.h"
#include "util/buf.h"
#include "util/diagnostics.h"

static char t_base[256];

static const char *
t_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		printf("# %s is not set: start the services with "
		       "tests/services.sh start os and eval \"$(tests/"
		       "services.sh env)\"\n",
		       name);
		return NULL;
	}
	return v;
}

/* ---- plain HTTP for checks -------------------------------------------------- */

static size_t
t_collect(char *p, size_t size, size_t n, void *arg)
{
	return fl_buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

/* One call to base + path; returns the status (0 on transport error). */
static long
t_http(const char *base, const char *method, const char *path, const char *body,
       struct fl_buf *out)
{
	struct curl_slist *hdr =
	    curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = curl_easy_init();
	char url[1024];
	long status = 0;

	fl_buf_reset(out);
	snprintf(url, sizeof(url), "%s%s", base, path);
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

/* GET base+path as JSON (caller deletes), NULL unless 2xx. */
static cJSON *
t_json(const char *base, const char *path)
{
	struct fl_buf b;
	cJSON *j = NULL;

	fl_buf_init(&b, 1 << 26);
	if (t_http(base, "GET", path, NULL, &b) / 100 == 2)
		j = cJSON_Parse(fl_buf_str(&b));
	fl_buf_done(&b);
	return j;
}

/* Document count of an index or alias (-1 on error). */
static long
t_count(const char *base, const char *index)
{
	char path[512];
	cJSON *j;
	long n = -1;

	snprintf(path, sizeof(path), "/%s/_count", index);
	if ((j = t_json(base, path)) &&
	    cJSON_IsNumber(cJSON_GetObjectItem(j, "count")))
		n = (long)cJSON_GetObjectItem(j, "count")->valuedouble;
	cJSON_Delete(j);
	return n;
}

/* The count of index once it equals want, polling for up to 5 s: a
 * caught-up flush makes its documents searchable within the shared
 * refresher's period (opensearch_refresh.c), not before it returns.
 * Returns the last count seen. */
static long
t_count_soon(const char *base, const char *index, long want)
{
	long n = -1;
	int i;

	for (i = 0; i < 100; i++) {
		if ((n = t_count(base, index)) == want)
			break;
		usleep(50000);
	}
	return n;
}

static int
t_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Holders of an alias, comma-joined in sorted order ("" for none). */
static void
t_holders(const char *base, const char *alias, char *out, size_t n)
{
	char path[512], *names[8];
	size_t k = 0, i, at = 0;
	cJSON *j, *it;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/_alias/%s", alias);
	if (!(j = t_json(base, path)))
		return;
	cJSON_ArrayForEach(it, j) if (k < 8) names[k++] = it->string;
	qsort(names, k, sizeof(*names), t_strcmp);
	for (i = 0; i < k; i++)
		at += (size_t)snprintf(out + at, n - at, "%s%s", i ? "," : "",
		                       names[i]);
	cJSON_Delete(j);
}

/* ---- sink fixtures --------------------------------------------------------- */

#define T_SCHEMA                                               \
	"version: 1\ntable: users\nprimary_key: id\nfields:\n" \
	"  - keyword: email\n    required: true\n"             \
	"  - integer: age\n    required: false\n"              \
	"  - text: note\n    required: false\n"

struct t_index {
	struct fl_val *body;
	char hash[17];
};

/* Body and hash of T_SCHEMA (plus `extra` fields), replicas 0. */
static int
t_index_load(struct t_index *ix, const char *extra)
{
	struct fl_mapping_opts o;
	struct fl_diags d;
	struct fl_schema *s;
	char yaml[1024];

	snprintf(yaml, sizeof(yaml), "%s%s", T_SCHEMA, extra ? extra : "");
	fl_diags_init(&d);
	s = fl_schema_load_mem(yaml, strlen(yaml), "users.schema.yml", &d);
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

/* An OpenSearch sink on base with test settings. */
static struct fl_sink *
t_sink(const char *base, const char *prefix, long batch_size, long max_bytes,
       long max_retries)
{
	struct fl_sink_cfg c;
	struct fl_err err;
	struct fl_sink *s;

	memset(&c, 0, sizeof(c));
	c.name = t_name;
	c.type = FL_SINK_OPENSEARCH;
	c.url.kind = FL_SECRET_LITERAL;
	c.url.value = (char *)(uintptr_t)base;
	c.tls_verify = 1;
	c.batch_size = batch_size;
	c.max_bytes = max_bytes;
	c.timeout_secs = 30;
	c.max_retries = max_retries;
	c.refresh_period_ms = -1; /* the built-in defaults */
	c.skip_identical_ids = -1;
	c.refresh_interval = t_interval;
	c.number_of_replicas = 0;
	s = fl_sink_os_new(&c, prefix, &err);
	if (!s)
		printf("# fl_sink_os_new: %s\n", err.msg);
	return s;
}

/* ensure_index of `users` with ix; prints the error. */
static int
t_ensure(struct fl_sink *s, const struct t_index *ix,
         struct fl_sink_index_state *st)
{
	struct fl_sink_index_def def = { "users", ix->hash, ix->body };
	struct fl_err err;
	int rc = s->ops->ensure_index(s, &def, st, &err);

	if (rc != FL_SINK_OK)
		printf("# ensure_index: %s\n", err.msg);
	return rc;
}

/* Flush w; report into rep (caller frees); prints the error. */
static int
t_flush(struct fl_sink_writer *w, int caught_up, struct fl_sink_report *rep)
{
	struct fl_err err;
	int rc;

	rep->v = NULL;
	rep->n = 0;
	rc = w->ops->flush(w, caught_up, rep, &err);
	if (rc != FL_SINK_OK)
		printf("# flush: %s\n", err.msg);
	return rc;
}

/* Upsert ids lo..hi with a small valid document. */
static void
t_upsert_range(struct fl_sink_writer *w, int lo, int hi, int seeding)
{
	char id[16], doc[128];
	int i;

	for (i = lo; i <= hi; i++) {
		snprintf(id, sizeof(id), "%d", i);
		snprintf(doc, sizeof(doc),
		         "{\"email\":\"u%d@x.io\",\"age\":%d,\n\"note\":null}",
		         i, i);
		w->ops->upsert(w, "users", id, doc, strlen(doc), seeding);
	}
}

static void
t_prefix(char *out, size_t n, const char *what)
{
	snprintf(out, n, "t%ld%lx%s_", (long)getpid(), (long)time(NULL) & 0xfff,
	         what);
}

/* Delete everything under a prefix (best effort). */
static void
t_cleanup(const char *base, const char *prefix)
{
	struct fl_buf b;
	char path[256];

	fl_buf_init(&b, 1 << 20);
	snprintf(path, sizeof(path), "/%s*?expand_wildcards=all", prefix);
	t_http(base, "DELETE", path, NULL, &b);
	fl_buf_done(&b);
}

/* ---- creation, strictness, partial failure --------------------------------- */

TAP_TEST(test_create_and_write)
{
	struct fl_sink_index_state st;
	struct fl_sink_report rep;
	struct fl_sink *s;
	struct fl_sink_writer *w;
	struct t_index ix;
	char p[64], ha[128], gen[160], path[512], hold[512];
	cJSON *j, *src;
	const char *bad = "{\"email\":\"x@x.io\",\"nope\":1}";

	t_prefix(p, sizeof(p), "c");
	if (!ok(t_index_load(&ix, NULL) == 0, "schema loads"))
		return;
	s = t_sink(t_base, p, 1000, 10485760, 3);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure_index"))
		goto out;
	snprintf(ha, sizeof(ha), "%susers_%s", p, ix.hash);
	snprintf(gen, sizeof(gen), "%s_1", ha);
	is_long(st.tracks_seeding, 1, "tracks seeding");
	is_long(st.seeded, 0, "fresh index unseeded");
	is_long(st.active_generation, 1, "generation 1");
	is_long(st.serving_generation, 1, "the hash alias serves it");
	is_long((long)st.norphans + (long)st.nsuperseded, 0,
	        "no orphans, nothing superseded");
	fl_sink_index_state_done(&st);
	t_holders(t_base, ha, hold, sizeof(hold));
	is_str(hold, gen, "hash alias on generation 1");
	snprintf(path, sizeof(path), "%susers", p);
	t_holders(t_base, path, hold, sizeof(hold));
	is_str(hold, gen,
	       "convenience alias on generation 1 (nothing held it)");
	snprintf(path, sizeof(path), "/%s/_mapping", gen);
	j = t_json(t_base, path);
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
	           cJSON_GetObjectItem(cJSON_GetObjectItem(j, gen), "mappings"),
	           "dynamic")),
	       "strict", "creation body applied: dynamic strict");
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/%s/_settings?flat_settings=true", gen);
	j = t_json(t_base, path);
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
	           cJSON_GetObjectItem(cJSON_GetObjectItem(j, gen), "settings"),
	           "index.refresh_interval")),
	       "-1", "created with refresh_interval -1");
	cJSON_Delete(j);
	snprintf(path, sizeof(path),
	         "/%sflusso_meta/_settings?flat_settings=true", p);
	j = t_json(t_base, path);
	snprintf(hold, sizeof(hold), "%sflusso_meta", p);
	src = cJSON_GetObjectItem(cJSON_GetObjectItem(j, hold), "settings");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(src, "index.hidden")),
	       "true", "meta index hidden");
	is_str(cJSON_GetStringValue(
	           cJSON_GetObjectItem(src, "index.auto_expand_replicas")),
	       "0-1", "meta index auto_expand_replicas 0-1");
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/%sflusso_meta/_doc/%s", p, ha);
	j = t_json(t_base, path);
	src = cJSON_GetObjectItem(j, "_source");
	ok(cJSON_GetObjectItem(src, "active_generation") &&
	       cJSON_GetObjectItem(src, "active_generation")->valueint == 1 &&
	       cJSON_IsFalse(cJSON_GetObjectItem(src, "seeded")),
	   "meta: generation 1, unseeded");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(src, "index")), "users",
	       "meta: index");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(src, "schema_hash")),
	       ix.hash, "meta: schema_hash");
	ok(cJSON_GetObjectItem(src, "hash_scheme") &&
	       cJSON_GetObjectItem(src, "flusso_version"),
	   "meta: hash_scheme, flusso_version");
	cJSON_Delete(j);

	w = s->ops->writer_new(s);
	t_upsert_range(w, 1, 2, 1);
	w->ops->upsert(w, "users", "3", bad, strlen(bad), 1);
	t_upsert_range(w, 4, 4, 1);
	w->ops->del(w, "users", "999", 1);
	is_long(t_flush(w, 1, &rep), FL_SINK_OK, "partial failure: flush ok");
	if (is_long((long)rep.n, 1, "exactly one rejection")) {
		is_str(rep.v[0].index, "users", "mapped to the logical index");
		is_str(rep.v[0].id, "3", "and the id");
		is_long(rep.v[0].status, 400, "status 400");
		has_str(rep.v[0].reason, "strict", "reason names strictness");
	}
	fl_sink_report_done(&rep);
	is_long(t_count_soon(t_base, ha, 3), 3,
	        "the accepted documents are visible");
	w->ops->del(w, "users", "1", 0);
	w->ops->del(w, "users", "12345", 0);
	is_long(t_flush(w, 1, &rep), FL_SINK_OK,
	        "delete of a missing id: success (E3)");
	is_long((long)rep.n, 0, "no rejection for it");
	is_long(t_count_soon(t_base, ha, 2), 2, "the other delete applied");
	w->ops->free(w);
out:
	if (s)
		s->ops->free(s);
	fl_val_free(ix.body);
	t_cleanup(t_base, p);
}

/* ---- versions: a late write of a killed process changes nothing ---------- */

/* email and _version of users/1 through the hash alias ha ("" and 0 when
 * absent). */
static void
t_doc1(const char *ha, char *email, size_t n, long *version)
{
	char path[512];
	cJSON *j;

	snprintf(path, sizeof(path), "/%s/_doc/1", ha);
	j = t_json(t_base, path);
	snprintf(email, n, "%s",
	         j ? cJSON_GetStringValue(cJSON_GetObjectItem(
	                 cJSON_GetObjectItem(j, "_source"), "email"))
	           : "");
	*version = j && cJSON_IsNumber(cJSON_GetObjectItem(j, "_version"))
	               ? (long)cJSON_GetObjectItem(j, "_version")->valuedouble
	               : 0;
	cJSON_Delete(j);
}

/* Upsert users/1 with email at version v and flush. */
static int
t_put1(struct fl_sink_writer *w, uint64_t v, const char *email,
       struct fl_sink_report *rep)
{
	char doc[128];

	snprintf(doc, sizeof(doc), "{\"email\":\"%s\",\"age\":1}", email);
	w->ops->set_version(w, v);
	w->ops->upsert(w, "users", "1", doc, strlen(doc), 0);
	return t_flush(w, 0, rep);
}

TAP_TEST(test_versions)
{
	struct fl_sink_index_state st;
	struct fl_sink_report rep;
	struct fl_sink *s;
	struct fl_sink_writer *w = NULL;
	struct t_index ix;
	char p[64], ha[128], email[64];
	long v;

	t_prefix(p, sizeof(p), "v");
	if (!ok(t_index_load(&ix, NULL) == 0, "schema loads"))
		return;
	s = t_sink(t_base, p, 1000, 10485760, 3);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure_index"))
		goto out;
	fl_sink_index_state_done(&st);
	snprintf(ha, sizeof(ha), "%susers_%s", p, ix.hash);
	w = s->ops->writer_new(s);
	ok(w->ops->set_version != NULL, "the OpenSearch writer keeps versions");
	t_upsert_range(w, 1, 1, 0);
	is_long(t_flush(w, 0, &rep), FL_SINK_OK, "an unversioned write");
	fl_sink_report_done(&rep);
	is_long(t_put1(w, 5000, "new@x.io", &rep), FL_SINK_OK,
	        "a versioned write over an unversioned document");
	fl_sink_report_done(&rep);
	t_doc1(ha, email, sizeof(email), &v);
	is_str(email, "new@x.io", "stored");
	is_long(v, 5000, "with version 5000");
	is_long(t_put1(w, 4000, "old@x.io", &rep), FL_SINK_OK,
	        "an older build arriving late: flush ok");
	is_long((long)rep.n, 0, "not a rejection");
	fl_sink_report_done(&rep);
	t_doc1(ha, email, sizeof(email), &v);
	is_str(email, "new@x.io", "the newer document stays");
	is_long(v, 5000, "with its version");
	is_long(t_put1(w, 5000, "same@x.io", &rep), FL_SINK_OK,
	        "a rebuild at the same position");
	fl_sink_report_done(&rep);
	t_doc1(ha, email, sizeof(email), &v);
	is_str(email, "same@x.io", "is written (external_gte)");
	w->ops->set_version(w, 4500);
	w->ops->del(w, "users", "1", 0);
	is_long(t_flush(w, 0, &rep), FL_SINK_OK, "an older delete: flush ok");
	fl_sink_report_done(&rep);
	t_doc1(ha, email, sizeof(email), &v);
	is_str(email, "same@x.io", "and the document stays");
	w->ops->set_version(w, 6000);
	w->ops->del(w, "users", "1", 0);
	is_long(t_flush(w, 0, &rep), FL_SINK_OK, "a newer delete");
	fl_sink_report_done(&rep);
	t_doc1(ha, email, sizeof(email), &v);
	is_long(v, 0, "removes it");
	is_long(t_put1(w, 5500, "zombie@x.io", &rep), FL_SINK_OK,
	        "an older upsert after the delete: flush ok");
	fl_sink_report_done(&rep);
	t_doc1(ha, email, sizeof(email), &v);
	is_long(v, 0, "does not bring it back");
out:
	if (w)
		w->ops->free(w);
	if (s)
		s->ops->free(s);
	fl_val_free(ix.body);
	t_cleanup(t_base, p);
}

/* ---- reindex with a reader ------------------------------------------------- */

struct t_reader {
	const char *alias;
	atomic_int stop, polls; /* shared with the test thread */
	int bad, seen1, seen2, order_ok, last;
	char why[256];
};

/* Poll the hash alias: each search must hit exactly one generation. */
static void *
t_reader_main(void *arg)
{
	struct t_reader *r = arg;
	struct fl_buf b;
	char path[512];

	fl_buf_init(&b, 1 << 22);
	snprintf(path, sizeof(path), "/%s/_search", r->alias);
	r->order_ok = 1;
	while (!r->stop) {
		long st = t_http(t_base, "POST", path,
		                 "{\"size\":0,\"track_total_hits\":true,"
		                 "\"aggs\":{\"g\":{\"terms\":{\"field\":"
		                 "\"_index\"}}}}",
		                 &b);
		cJSON *j = cJSON_Parse(fl_buf_str(&b));
		const cJSON *bk = cJSON_GetObjectItem(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "aggregations"),
		                        "g"),
		    "buckets");
		int n = cJSON_GetArraySize(bk);
		const char *g = n == 1
		                    ? cJSON_GetStringValue(cJSON_GetObjectItem(
		                          cJSON_GetArrayItem(bk, 0), "key"))
		                    : NULL;

		r->polls++;
		if (st != 200 || n != 1 || !g) {
			r->bad++;
			snprintf(r->why, sizeof(r->why), "HTTP %ld, %d gens",
			         st, n);
		} else {
			int gen = g[strlen(g) - 1] - '0';

			r->seen1 += gen == 1;
			r->seen2 += gen == 2;
			if (gen < r->last)
				r->order_ok = 0;
			r->last = gen;
		}
		cJSON_Delete(j);
	}
	fl_buf_done(&b);
	return NULL;
}

TAP_TEST(test_reindex_swap)
{
	struct fl_sink_index_state st;
	struct fl_sink_report rep;
	struct fl_sink *s, *s2;
	struct fl_sink_writer *w;
	struct t_index ix;
	struct t_reader rd;
	struct fl_source_identity id;
	struct fl_err err;
	struct fl_buf b;
	pthread_t th;
	char p[64], ha[128], gen1[160], gen2[160], hold[512], path[512];
	long g = 0;

	t_prefix(p, sizeof(p), "r");
	if (!ok(t_index_load(&ix, NULL) == 0, "schema loads"))
		return;
	snprintf(ha, sizeof(ha), "%susers_%s", p, ix.hash);
	snprintf(gen1, sizeof(gen1), "%s_1", ha);
	snprintf(gen2, sizeof(gen2), "%s_2", ha);
	s = t_sink(t_base, p, 1000, 10485760, 3);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "run 1: ensure"))
		goto out;
	fl_sink_index_state_done(&st);
	w = s->ops->writer_new(s);
	t_upsert_range(w, 1, 3, 1);
	is_long(t_flush(w, 0, &rep), FL_SINK_OK, "seed ids 1-3");
	memset(&id, 0, sizeof(id));
	snprintf(id.sysid, sizeof(id.sysid), "7000000000000000001");
	snprintf(id.database, sizeof(id.database), "shop");
	snprintf(id.slot, sizeof(id.slot), "flusso_slot");
	is_long(s->ops->mark_seeded(s, "users", &id, &err), FL_SINK_OK,
	        "mark_seeded");
	t_holders(t_base, ha, hold, sizeof(hold));
	is_str(hold, gen1, "hash alias on _1");
	is_long(t_count(t_base, ha), 3, "id 3 visible through the alias");
	snprintf(path, sizeof(path), "/%s/_settings?flat_settings=true", gen1);
	{
		cJSON *j = t_json(t_base, path);

		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
		           cJSON_GetObjectItem(cJSON_GetObjectItem(j, gen1),
		                               "settings"),
		           "index.refresh_interval")),
		       "1s", "mark_seeded applied the configured interval");
		cJSON_Delete(j);
	}

	is_long(s->ops->stage_rebuild(s, "users", &g, &err), FL_SINK_OK,
	        "stage a reindex");
	is_long(g, 2, "generation 2");
	t_holders(t_base, ha, hold, sizeof(hold));
	is_str(hold, gen1, "the alias stays on _1 during the build");
	t_upsert_range(w, 1, 2, 1);
	w->ops->upsert(w, "users", "2", "{\"email\":\"live@x.io\"}", 21, 0);
	is_long(t_flush(w, 1, &rep), FL_SINK_OK, "seed ids 1-2, live id 2");
	is_long(t_count_soon(t_base, gen2, 2), 2, "generation 2 holds ids 1-2");
	is_long(t_count(t_base, gen1), 3, "generation 1 still holds 1-3");
	{
		char q[256];
		cJSON *j;

		snprintf(q, sizeof(q), "/%s/_doc/2", gen1);
		j = t_json(t_base, q);
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(
		           cJSON_GetObjectItem(j, "_source"), "email")),
		       "live@x.io", "the live write reached _1 (dual write)");
		cJSON_Delete(j);
	}

	memset(&rd, 0, sizeof(rd));
	rd.alias = ha;
	pthread_create(&th, NULL, t_reader_main, &rd);
	while (rd.polls < 5)
		usleep(10000);
	is_long(s->ops->mark_seeded(s, "users", &id, &err), FL_SINK_OK,
	        "mark_seeded swaps");
	{
		int at = rd.polls;

		while (rd.polls < at + 5)
			usleep(10000);
	}
	rd.stop = 1;
	pthread_join(th, NULL);
	if (!is_long(rd.bad, 0, "reader: never empty, never mixed"))
		printf("#   %s\n", rd.why);
	ok(rd.seen1 > 0 && rd.seen2 > 0 && rd.order_ok,
	   "reader saw _1, then _2 only");
	printf("# reader polls: %d (%d on _1, %d on _2)\n", rd.polls, rd.seen1,
	       rd.seen2);
	t_holders(t_base, ha, hold, sizeof(hold));
	is_str(hold, gen2, "alias on _2");
	snprintf(path, sizeof(path), "/%s", gen1);
	fl_buf_init(&b, 1 << 20);
	is_long(t_http(t_base, "HEAD", path, NULL, &b), 404, "_1 deleted");
	fl_buf_done(&b);
	is_long(t_count_soon(t_base, ha, 2), 2, "id 1 visible, id 3 gone");
	w->ops->free(w);
	s2 = t_sink(t_base, p, 1000, 10485760, 3);
	if (ok(s2 && t_ensure(s2, &ix, &st) == FL_SINK_OK, "restart: ensure")) {
		is_long(st.seeded, 1, "seeded state read back from meta");
		is_long(st.active_generation, 2, "generation 2");
		ok(st.has_source && strcmp(st.source.database, "shop") == 0 &&
		       strcmp(st.source.sysid, "7000000000000000001") == 0,
		   "source identity recorded at seed time");
		fl_sink_index_state_done(&st);
	}
	if (s2)
		s2->ops->free(s2);
out:
	if (s)
		s->ops->free(s);
	fl_val_free(ix.body);
	t_cleanup(t_base, p);
}

/* ---- meta recovery ---------------------------------------------------------- */

/* A seeded index `users` (ids 1-3) under prefix p. */
static struct fl_sink *
t_seeded(const char *p, const struct t_index *ix)
{
	struct fl_sink_index_state st;
	struct fl_sink_report rep;
	struct fl_sink *s = t_sink(t_base, p, 1000, 10485760, 3);
	struct fl_sink_writer *w;
	struct fl_err err;

	if (!s || t_ensure(s, ix, &st) != FL_SINK_OK)
		return s;
	fl_sink_index_state_done(&st);
	w = s->ops->writer_new(s);
	t_upsert_range(w, 1, 3, 1);
	t_flush(w, 0, &rep);
	w->ops->free(w);
	if (s->ops->mark_seeded(s, "users", NULL, &err) != FL_SINK_OK)
		printf("# mark_seeded: %s\n", err.msg);
	return s;
}

TAP_TEST(test_meta_recovery)
{
	struct fl_sink_index_state st;
	struct fl_sink *s, *s2;
	struct t_index ix, ix2;
	struct fl_buf b;
	struct fl_err err;
	char p[64], ha[128], path[512], hold[512], want[512];
	long g = 0;
	int del = 0;

	if (!ok(t_index_load(&ix, NULL) == 0 &&
	            t_index_load(&ix2, "  - long: score\n"
	                               "    required: false\n") == 0,
	        "schemas load"))
		return;
	fl_buf_init(&b, 1 << 20);

	/* E14: meta says seeded but the generation is gone */
	t_prefix(p, sizeof(p), "g");
	snprintf(ha, sizeof(ha), "%susers_%s", p, ix.hash);
	s = t_seeded(p, &ix);
	snprintf(path, sizeof(path), "/%s_1", ha);
	is_long(t_http(t_base, "DELETE", path, NULL, &b), 200,
	        "generation 1 deleted behind flusso's back");
	s2 = t_sink(t_base, p, 1000, 10485760, 3);
	if (ok(t_ensure(s2, &ix, &st) == FL_SINK_OK, "ensure after the loss")) {
		is_long(st.seeded, 0, "unseeded (E14)");
		is_long(st.active_generation, 2, "with the next generation");
		is_long(st.serving_generation, 2, "which the alias serves");
		fl_sink_index_state_done(&st);
	}
	s->ops->free(s);
	s2->ops->free(s2);
	t_cleanup(t_base, p);

	/* staged rebuild reused after a restart; orphan listed and gc'd */
	t_prefix(p, sizeof(p), "s");
	snprintf(ha, sizeof(ha), "%susers_%s", p, ix.hash);
	s = t_seeded(p, &ix);
	is_long(s->ops->stage_rebuild(s, "users", &g, &err), FL_SINK_OK,
	        "stage generation 2");
	snprintf(path, sizeof(path), "/%s_7", ha);
	is_long(t_http(t_base, "PUT", path, NULL, &b), 200,
	        "an orphan generation 7 (abandoned staging)");
	s2 = t_sink(t_base, p, 1000, 10485760, 3);
	if (ok(t_ensure(s2, &ix, &st) == FL_SINK_OK, "restart: ensure")) {
		is_long(st.seeded, 0, "the staged generation is unseeded");
		is_long(st.active_generation, 2, "and active");
		is_long(st.serving_generation, 1, "while _1 serves");
		snprintf(want, sizeof(want), "%s_7", ha);
		ok(st.norphans == 1 && strcmp(st.orphans[0], want) == 0,
		   "orphan _7 listed (not _1: aliased, not _2: active)");
		fl_sink_index_state_done(&st);
	}
	t_holders(t_base, ha, hold, sizeof(hold));
	snprintf(want, sizeof(want), "%s_1", ha);
	is_str(hold, want, "the alias was left on _1");
	g = 0;
	is_long(s2->ops->stage_rebuild(s2, "users", &g, &err), FL_SINK_OK,
	        "stage again");
	is_long(g, 2, "the staged generation is reused (E22)");
	is_long(s2->ops->gc(s2, "users", &del, &err), FL_SINK_OK, "gc");
	is_long(del, 1, "one orphan deleted");
	snprintf(path, sizeof(path), "/%s_7", ha);
	is_long(t_http(t_base, "HEAD", path, NULL, &b), 404, "_7 is gone");
	snprintf(path, sizeof(path), "/%s_2", ha);
	is_long(t_http(t_base, "HEAD", path, NULL, &b), 200, "_2 is kept");
	s->ops->free(s);
	s2->ops->free(s2);
	t_cleanup(t_base, p);

	/* schema change: superseded hash listed, convenience alias kept */
	t_prefix(p, sizeof(p), "h");
	snprintf(ha, sizeof(ha), "%susers_%s", p, ix.hash);
	s = t_seeded(p, &ix);
	s->ops->free(s);
	s2 = t_sink(t_base, p, 1000, 10485760, 3);
	if (ok(t_ensure(s2, &ix2, &st) == FL_SINK_OK, "ensure the new hash")) {
		is_long(st.seeded, 0, "new hash unseeded");
		is_long(st.active_generation, 1, "its generation 1");
		ok(st.nsuperseded == 1 && strcmp(st.superseded[0], ha) == 0,
		   "the old hash alias is listed as superseded");
		fl_sink_index_state_done(&st);
	}
	snprintf(path, sizeof(path), "%susers", p);
	t_holders(t_base, path, hold, sizeof(hold));
	snprintf(want, sizeof(want), "%s_1", ha);
	is_str(hold, want,
	       "convenience alias stays on the old seeded generation (E18)");
	is_long(s2->ops->mark_seeded(s2, "users", NULL, &err), FL_SINK_OK,
	        "seed the new hash");
	t_holders(t_base, path, hold, sizeof(hold));
	snprintf(want, sizeof(want), "%susers_%s_1", p, ix2.hash);
	is_str(hold, want, "now it moves to the new hash's generation");
	is_long(t_count(t_base, ha), 3, "the superseded hash is not deleted");
	s2->ops->free(s2);
	t_cleanup(t_base, p);
	fl_buf_done(&b);
	fl_val_free(ix.body);
	fl_val_free(ix2.body);
}

/* ---- a private node: 413 and a restart mid-flush ----------------------------- */

struct t_node {
	char dir[128];
	char url[64];
	const char *src;
};

/* Run start.sh (keep: OS_KEEP_DATA=1) for the private node. */
static int
t_node_start(struct t_node *n, int keep)
{
	char cmd[1024];
	FILE *f;
	int port = 0;

	snprintf(cmd, sizeof(cmd),
	         "OS_KEEP_DATA=%d OS_HEAP=512m "
	         "OS_SETTINGS='http.max_content_length=16kb' "
	         "'%s/tests/opensearch/start.sh' '%s' >'%s.log' 2>&1",
	         keep, n->src, n->dir, n->dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "tail -n 20 '%s.log'", n->dir);
		if (system(cmd) != 0)
			printf("# no log\n");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "%s/port", n->dir);
	if ((f = fopen(cmd, "r"))) {
		if (fscanf(f, "%d", &port) != 1)
			port = 0;
		fclose(f);
	}
	snprintf(n->url, sizeof(n->url), "http://127.0.0.1:%d", port);
	return port > 0 ? 0 : -1;
}

static void
t_node_stop(struct t_node *n)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	         "'%s/tests/opensearch/stop.sh' '%s' >>'%s.log' 2>&1", n->src,
	         n->dir, n->dir);
	if (system(cmd) != 0)
		printf("# stop.sh failed\n");
}

static void *
t_stopper(void *arg)
{
	usleep(700000);
	t_node_stop(arg);
	return NULL;
}

/* Upsert n documents of about `size` bytes each. */
static void
t_upsert_big(struct fl_sink_writer *w, int lo, int hi, size_t size)
{
	char id[16], *doc = malloc(size + 64);
	int i;

	for (i = lo; i <= hi; i++) {
		size_t k;

		snprintf(id, sizeof(id), "%d", i);
		k = (size_t)snprintf(doc, size + 64,
		                     "{\"email\":\"u%d@x.io\",\"note\":\"", i);
		memset(doc + k, 'a' + i % 26, size);
		memcpy(doc + k + size, "\"}", 3);
		w->ops->upsert(w, "users", id, doc, strlen(doc), 1);
	}
	free(doc);
}

TAP_TEST(test_private_node)
{
	struct fl_sink_index_state st;
	struct fl_sink_report rep;
	struct fl_sink *s = NULL;
	struct fl_sink_writer *w;
	struct fl_sink_os_tuning tune = { 2, 0, 0 };
	struct t_index ix;
	struct t_node node;
	pthread_t th;
	char p[64], ha[128], cmd[300];
	int rc;

	memset(&node, 0, sizeof(node));
	node.src = getenv("FLUSSO_SOURCE_DIR");
	if (!ok(node.src != NULL, "FLUSSO_SOURCE_DIR is set (ctest sets it)"))
		return;
	snprintf(node.dir, sizeof(node.dir), "%s/flusso-it-os-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!ok(mkdtemp(node.dir) != NULL, "temp dir") ||
	    !ok(t_index_load(&ix, NULL) == 0, "schema loads"))
		return;
	if (!ok(t_node_start(&node, 0) == 0,
	        "private node with http.max_content_length=16kb starts"))
		goto out;
	printf("# private node %s in %s\n", node.url, node.dir);
	t_prefix(p, sizeof(p), "p");
	snprintf(ha, sizeof(ha), "%susers_%s", p, ix.hash);

	/* 413: a 30 KB chunk is split; a 20 KB document is rejected */
	s = t_sink(node.url, p, 1000, 10485760, 1);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure"))
		goto out;
	fl_sink_index_state_done(&st);
	w = s->ops->writer_new(s);
	t_upsert_big(w, 1, 30, 900);
	t_upsert_big(w, 31, 31, 20000);
	is_long(t_flush(w, 1, &rep), FL_SINK_OK, "413: split until it fits");
	if (is_long((long)rep.n, 1, "one document too large"))
		ok(strcmp(rep.v[0].id, "31") == 0 && rep.v[0].status == 413,
		   "it is a rejection with status 413 (E8)");
	fl_sink_report_done(&rep);
	is_long(t_count_soon(node.url, ha, 30), 30, "the other 30 are indexed");
	w->ops->free(w);
	s->ops->free(s);

	/* E5: the node stops mid-flush, then comes back with its data */
	s = t_sink(node.url, p, 10, 12000, 1);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure again"))
		goto out;
	fl_sink_index_state_done(&st);
	fl_sink_os_tune(s, &tune);
	w = s->ops->writer_new(s);
	t_upsert_big(w, 1, 20000, 900);
	pthread_create(&th, NULL, t_stopper, &node);
	rc = t_flush(w, 1, &rep);
	pthread_join(th, NULL);
	is_long(rc, FL_SINK_TRANSIENT, "node stopped mid-flush: transient");
	fl_sink_report_done(&rep);
	if (!ok(t_node_start(&node, 1) == 0, "restart with the data kept")) {
		w->ops->free(w);
		goto out;
	}
	t_upsert_big(w, 1, 20000, 900);
	{
		struct timespec a, z;

		clock_gettime(CLOCK_MONOTONIC, &a);
		is_long(t_flush(w, 1, &rep), FL_SINK_OK,
		        "the retried flush succeeds");
		clock_gettime(CLOCK_MONOTONIC, &z);
		printf("# 20000 documents in %.1f s\n",
		       (double)(z.tv_sec - a.tv_sec) +
		           (double)(z.tv_nsec - a.tv_nsec) / 1e9);
	}
	fl_sink_report_done(&rep);
	is_long(t_count_soon(node.url, ha, 20000), 20000,
	        "every document is there");
	w->ops->free(w);
out:
	if (s)
		s->ops->free(s);
	t_node_stop(&node);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.log'", node.dir, node.dir);
	if (node.dir[0] && system(cmd) != 0)
		printf("# could not remove %s\n", node.dir);
	fl_val_free(ix.body);
}

/* ---- identical documents are not sent again ------------------------------ */

/* Upsert users/1 (mode: 0 live, 1 seeding, FL_SINK_WRITE_FORCED) with
 * email at version v, flush; the skips it reported. */
static long
t_put1_skips(struct fl_sink_writer *w, uint64_t v, const char *email, int mode)
{
	struct fl_sink_report rep;
	char doc[128];

	snprintf(doc, sizeof(doc), "{\"email\":\"%s\",\"age\":1}", email);
	w->ops->set_version(w, v);
	w->ops->upsert(w, "users", "1", doc, strlen(doc), mode);
	if (t_flush(w, 0, &rep) != FL_SINK_OK)
		return -1;
	fl_sink_report_done(&rep);
	return (long)w->ops->skipped(w, "users");
}

TAP_TEST(test_skip_identical)
{
	struct fl_sink_index_state st;
	struct fl_sink_report rep;
	struct fl_sink *s;
	struct fl_sink_writer *w = NULL;
	struct t_index ix;
	char p[64], ha[128], email[64];
	const char *bad = "{\"email\":\"x@x.io\",\"nope\":1}";
	size_t slots;
	long v, g;
	struct fl_err err;

	t_prefix(p, sizeof(p), "k");
	if (!ok(t_index_load(&ix, NULL) == 0, "schema loads"))
		return;
	s = t_sink(t_base, p, 1000, 10485760, 3);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure_index"))
		goto out;
	fl_sink_index_state_done(&st);
	snprintf(ha, sizeof(ha), "%susers_%s", p, ix.hash);
	w = s->ops->writer_new(s);
	if (!ok(w->ops->skipped != NULL, "the OpenSearch writer skips"))
		goto out;
	is_long(t_put1_skips(w, 100, "a@x.io", 0), 0, "a first write is sent");
	is_long(t_put1_skips(w, 200, "a@x.io", 0), 1,
	        "the same document again is skipped");
	t_doc1(ha, email, sizeof(email), &v);
	is_long(v, 100, "so the stored version stays 100");
	is_long(t_put1_skips(w, 300, "b@x.io", 0), 0, "a change is sent");
	t_doc1(ha, email, sizeof(email), &v);
	ok(v == 300 && strcmp(email, "b@x.io") == 0, "and stored");
	is_long(t_put1_skips(w, 400, "b@x.io", FL_SINK_WRITE_FORCED), 0,
	        "a forced write (repair) is sent");
	t_doc1(ha, email, sizeof(email), &v);
	is_long(v, 400, "stored at 400");
	is_long(t_put1_skips(w, 500, "b@x.io", 1), 0,
	        "a seeding write is sent");
	t_doc1(ha, email, sizeof(email), &v);
	is_long(v, 500, "stored at 500");
	/* seeding is not remembered (a backfill would evict the live
	 * entries, and a seed pass must leave nothing from an earlier
	 * attempt at the same generation name): it only forgets the id */
	is_long(t_put1_skips(w, 550, "b@x.io", 0), 0,
	        "after which the same live document is sent once");
	t_doc1(ha, email, sizeof(email), &v);
	is_long(v, 550, "stored at 550");
	is_long(t_put1_skips(w, 560, "b@x.io", 0), 1, "and then skipped");
	w->ops->set_version(w, 600);
	w->ops->del(w, "users", "1", 0);
	is_long(t_flush(w, 0, &rep), FL_SINK_OK, "a delete");
	fl_sink_report_done(&rep);
	is_long(t_put1_skips(w, 700, "b@x.io", 0), 0,
	        "the same document after a delete is sent");
	t_doc1(ha, email, sizeof(email), &v);
	is_long(v, 700, "stored again");
	is_long(t_put1_skips(w, 650, "c@x.io", 0), 0,
	        "an older build (409, not applied)");
	is_long(t_put1_skips(w, 800, "c@x.io", 0), 0,
	        "is not remembered: the same document is sent");
	t_doc1(ha, email, sizeof(email), &v);
	ok(v == 800 && strcmp(email, "c@x.io") == 0, "and stored");
	w->ops->upsert(w, "users", "2", bad, strlen(bad), 0);
	t_flush(w, 0, &rep);
	is_long((long)rep.n, 1, "a rejected document");
	fl_sink_report_done(&rep);
	w->ops->upsert(w, "users", "2", bad, strlen(bad), 0);
	t_flush(w, 0, &rep);
	is_long((long)rep.n, 1, "is not remembered: rejected again");
	fl_sink_report_done(&rep);
	is_long((long)fl_sink_os_writer_seen(w, "users", &slots), 1,
	        "one id has an entry (the rejected one none)");
	is_long((long)slots, 16, "in a 16-slot table");
	is_long(s->ops->stage_rebuild(s, "users", &g, &err), FL_SINK_OK,
	        "stage a reindex");
	is_long(t_put1_skips(w, 900, "c@x.io", 0), 0,
	        "a new generation: the same document is sent to both");
	is_long(t_put1_skips(w, 950, "c@x.io", 0), 1, "then skipped again");
	w->ops->free(w);
	w = s->ops->writer_new(s);
	is_long(t_put1_skips(w, 1000, "c@x.io", 0), 0,
	        "a new writer starts empty: sent");
	w->ops->free(w);
	w = NULL;
	s->ops->free(s);

	s = t_sink(t_base, p, 1000, 10485760, 3);
	fl_sink_os_set_skip(s, 0);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure again"))
		goto out;
	fl_sink_index_state_done(&st);
	w = s->ops->writer_new(s);
	is_long(t_put1_skips(w, 1100, "c@x.io", 0), 0, "bound 0: sent");
	is_long(t_put1_skips(w, 1200, "c@x.io", 0), 0, "and sent again");
	t_doc1(ha, email, sizeof(email), &v);
	is_long(v, 1200, "stored at 1200");
out:
	if (w)
		w->ops->free(w);
	if (s)
		s->ops->free(s);
	t_cleanup(t_base, p);
	fl_val_free(ix.body);
}

/* ---- the shared refresher ------------------------------------------------ */

/* Monotonic milliseconds. */
static long long
t_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint64_t
t_refreshes(struct fl_sink *s)
{
	uint64_t n, failed;

	fl_sink_os_refresh_count(s, &n, &failed);
	if (failed)
		printf("# %llu refreshes failed\n", (unsigned long long)failed);
	return n;
}

/* Caught-up flushes return before a refresh and become searchable within
 * a period; flushes while behind force none; a burst shares refreshes;
 * an idle sink sends none; period 0 refreshes before returning; freeing
 * the sink sends the refresh still owed. The generation is never seeded
 * (refresh_interval -1), so only these refreshes make anything
 * searchable. */
TAP_TEST(test_refresher)
{
	struct fl_sink_index_state st;
	struct fl_sink_report rep;
	struct fl_sink *s;
	struct fl_sink_writer *w = NULL;
	struct t_index ix;
	char p[64], gen[160];
	long long t0, burst;
	uint64_t r0, r1;
	int i;

	t_prefix(p, sizeof(p), "r");
	if (!ok(t_index_load(&ix, NULL) == 0, "schema loads"))
		return;
	s = t_sink(t_base, p, 1000, 10485760, 3);
	fl_sink_os_set_refresh(s, 300);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure_index"))
		goto out;
	snprintf(gen, sizeof(gen), "%susers_%s_%ld", p, ix.hash,
	         st.active_generation);
	fl_sink_index_state_done(&st);
	w = s->ops->writer_new(s);
	t_upsert_range(w, 1, 3, 0);
	is_long(t_flush(w, 0, &rep), FL_SINK_OK, "a flush while behind");
	fl_sink_report_done(&rep);
	usleep(700000);
	is_long((long)t_refreshes(s), 0, "forces no refresh");
	is_long(t_count(t_base, gen), 0, "so nothing is searchable yet");
	t_upsert_range(w, 4, 4, 0);
	t0 = t_ms();
	is_long(t_flush(w, 1, &rep), FL_SINK_OK, "a caught-up flush");
	fl_sink_report_done(&rep);
	is_long(t_count_soon(t_base, gen, 4), 4,
	        "it and the earlier writes become searchable");
	printf("# searchable %lld ms after the flush began\n", t_ms() - t0);
	is_long((long)t_refreshes(s), 1, "with one refresh");
	t0 = t_ms();
	for (i = 5; i <= 14; i++) {
		t_upsert_range(w, i, i, 0);
		t_flush(w, 1, &rep);
		fl_sink_report_done(&rep);
	}
	burst = t_ms() - t0;
	is_long(t_count_soon(t_base, gen, 14), 14,
	        "a burst of 10 caught-up flushes is searchable");
	r1 = t_refreshes(s);
	printf("# burst of %lld ms: %llu refreshes\n", burst,
	       (unsigned long long)(r1 - 1));
	ok(r1 - 1 >= 1 && (long long)(r1 - 1) <= burst / 300 + 2,
	   "sharing at most one refresh per 300 ms period");
	usleep(700000);
	is_long((long)t_refreshes(s), (long)r1, "an idle sink sends none");
	w->ops->free(w);
	w = NULL;
	s->ops->free(s);

	/* period 0: the flush refreshes before it returns */
	s = t_sink(t_base, p, 1000, 10485760, 3);
	fl_sink_os_set_refresh(s, 0);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure again"))
		goto out;
	fl_sink_index_state_done(&st);
	w = s->ops->writer_new(s);
	t_upsert_range(w, 15, 15, 0);
	is_long(t_flush(w, 1, &rep), FL_SINK_OK, "period 0: a caught-up flush");
	fl_sink_report_done(&rep);
	is_long(t_count(t_base, gen), 15, "is searchable when it returns");
	w->ops->free(w);
	w = NULL;
	s->ops->free(s);

	/* a long period: the refresh owed is sent when the sink is freed */
	s = t_sink(t_base, p, 1000, 10485760, 3);
	fl_sink_os_set_refresh(s, 60000);
	if (!ok(s && t_ensure(s, &ix, &st) == FL_SINK_OK, "ensure again"))
		goto out;
	fl_sink_index_state_done(&st);
	w = s->ops->writer_new(s);
	t_upsert_range(w, 16, 16, 0);
	t_flush(w, 1, &rep);
	fl_sink_report_done(&rep);
	t_count_soon(t_base, gen, 16);
	r0 = t_refreshes(s);
	t_upsert_range(w, 17, 17, 0);
	t_flush(w, 1, &rep);
	fl_sink_report_done(&rep);
	usleep(300000);
	is_long((long)t_refreshes(s), (long)r0,
	        "within the period the next refresh waits");
	w->ops->free(w);
	w = NULL;
	t0 = t_ms();
	s->ops->free(s);
	s = NULL;
	ok(t_ms() - t0 < 5000, "freeing the sink does not wait the period out");
	is_long(t_count(t_base, gen), 17, "it sends the refresh owed");
out:
	if (w)
		w->ops->free(w);
	if (s)
		s->ops->free(s);
	t_cleanup(t_base, p);
	fl_val_free(ix.body);
}

int
main(void)
{
	const char *base;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (ok((base = t_env("FLUSSO_TEST_OS_URL")) != NULL,
	       "FLUSSO_TEST_OS_URL is set")) {
		snprintf(t_base, sizeof(t_base), "%s", base);
		tap_run(test_create_and_write);
		tap_run(test_versions);
		tap_run(test_reindex_swap);
		tap_run(test_meta_recovery);
		tap_run(test_refresher);
		tap_run(test_skip_identical);
	}
	tap_run(test_private_node);
	curl_global_cleanup();
	return tap_done();
}
