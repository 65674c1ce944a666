/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify.c - compare an index's OpenSearch contents with what
 * PostgreSQL says now (see verify.h).
 *
 * Memory: every stored document of the index is held (parsed) while the
 * root keys are paged and built; fine for the sizes tests and operators
 * check at once (documents of 1-2 KB: ~1 GB per 500k). A streaming merge
 * over sorted ids would lift that limit.
 */
#include "core/verify.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "config/schema_hash.h"
#include "docs/doc_build.h"
#include "source/pg_conn.h"
#include "util/buf.h"
#include "util/json_write.h"
#include "util/strutil.h"
#include "util/xmem.h"

/* ---- OpenSearch ------------------------------------------------------- */

struct vf_os {
	CURL *c;
	char *base;
	char *user, *password;
	struct fl_buf body;
};

static size_t
vf_collect(char *p, size_t size, size_t n, void *arg)
{
	return fl_buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

/* One JSON request; returns the parsed answer or NULL with err. */
static cJSON *
vf_request(struct vf_os *os, const char *method, const char *path,
           const char *json, long *status, struct fl_err *err)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: "
	                                               "application/json");
	char *url = fl_xasprintf("%s%s", os->base, path);
	CURLcode rc;
	cJSON *doc = NULL;

	fl_buf_reset(&os->body);
	curl_easy_reset(os->c);
	curl_easy_setopt(os->c, CURLOPT_URL, url);
	curl_easy_setopt(os->c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(os->c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(os->c, CURLOPT_WRITEFUNCTION, vf_collect);
	curl_easy_setopt(os->c, CURLOPT_WRITEDATA, &os->body);
	curl_easy_setopt(os->c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(os->c, CURLOPT_NOSIGNAL, 1L);
	if (json)
		curl_easy_setopt(os->c, CURLOPT_POSTFIELDS, json);
	if (os->user) {
		curl_easy_setopt(os->c, CURLOPT_USERNAME, os->user);
		curl_easy_setopt(os->c, CURLOPT_PASSWORD,
		                 os->password ? os->password : "");
	}
	rc = curl_easy_perform(os->c);
	*status = 0;
	if (rc != CURLE_OK)
		fl_err_set(err, FL_ERR_SINK, "OpenSearch: %s",
		           curl_easy_strerror(rc));
	else
		curl_easy_getinfo(os->c, CURLINFO_RESPONSE_CODE, status);
	if (rc == CURLE_OK && !(doc = cJSON_Parse(fl_buf_str(&os->body))))
		fl_err_set(err, FL_ERR_SINK,
		           "OpenSearch answered HTTP %ld with an unreadable "
		           "body",
		           *status);
	curl_slist_free_all(h);
	free(url);
	return doc;
}

/* id -> stored _source, for every document of the alias. */
struct vf_entry {
	char *id;
	cJSON *doc;
	int seen; /* matched by a root row */
};

struct vf_store {
	struct vf_entry *v;
	size_t n, cap;
};

static int
vf_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vf_entry *)a)->id,
	              ((const struct vf_entry *)b)->id);
}

static void
vf_store_add(struct vf_store *s, const char *id, cJSON *src)
{
	s->v = fl_xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n].id = fl_xstrdup(id);
	s->v[s->n].doc = src;
	s->v[s->n].seen = 0;
	s->n++;
}

static void
vf_store_done(struct vf_store *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].id);
		cJSON_Delete(s->v[i].doc);
	}
	free(s->v);
}

/* Scroll through the alias; sorts by id at the end. */
static int
vf_scroll(struct vf_os *os, const char *alias, struct vf_store *s,
          struct fl_err *err)
{
	char *path = fl_xasprintf("/%s/_search?scroll=2m", alias);
	cJSON *page;
	long st;

	page = vf_request(os, "POST", path,
	                  "{\"size\":1000,\"sort\":[\"_doc\"]}", &st, err);
	free(path);
	for (;;) {
		const cJSON *hits, *h, *sid;
		struct fl_buf q;

		if (!page)
			return -1;
		if (st != 200) {
			fl_err_set(err, FL_ERR_SINK,
			           "reading %s: HTTP %ld: %.200s", alias, st,
			           fl_buf_str(&os->body));
			cJSON_Delete(page);
			return -1;
		}
		hits = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(page, "hits"), "hits");
		if (cJSON_GetArraySize(hits) == 0) {
			cJSON_Delete(page);
			break;
		}
		cJSON_ArrayForEach(h, hits)
		{
			const cJSON *id =
			    cJSON_GetObjectItemCaseSensitive(h, "_id");
			cJSON *src = cJSON_DetachItemFromObjectCaseSensitive(
			    (cJSON *)(uintptr_t)h, "_source");

			if (cJSON_IsString(id))
				vf_store_add(s, id->valuestring, src);
			else
				cJSON_Delete(src);
		}
		sid = cJSON_GetObjectItemCaseSensitive(page, "_scroll_id");
		fl_buf_init(&q, 1 << 16);
		fl_buf_puts(&q, "{\"scroll\":\"2m\",\"scroll_id\":");
		fl_json_put_string(&q,
		                   cJSON_IsString(sid) ? sid->valuestring : "");
		fl_buf_puts(&q, "}");
		cJSON_Delete(page);
		page = vf_request(os, "POST", "/_search/scroll", fl_buf_str(&q),
		                  &st, err);
		fl_buf_done(&q);
	}
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), vf_entry_cmp);
	return 0;
}

static struct vf_entry *
vf_find(const struct vf_store *s, const char *id)
{
	struct vf_entry key;
	union {
		const char *c;
		char *m;
	} u;

	if (!s->n)
		return NULL;
	u.c = id;
	key.id = u.m;
	return bsearch(&key, s->v, s->n, sizeof(*s->v), vf_entry_cmp);
}

/* ---- comparing ---------------------------------------------------------- */

enum vf_kind {
	VF_MISSING,
	VF_EXTRA,
	VF_DIFFERENT,
};

struct vf_diffs {
	char **ids;
	char **fields; /* first differing field, or NULL */
	enum vf_kind *kinds;
	size_t n, cap;
};

static void
vf_diff_add(struct vf_diffs *d, const char *id, enum vf_kind k,
            const char *field)
{
	size_t cap = d->cap, cap2 = d->cap;

	d->ids = fl_xgrow(d->ids, &cap, d->n + 1, sizeof(*d->ids));
	d->fields = fl_xgrow(d->fields, &cap2, d->n + 1, sizeof(*d->fields));
	d->kinds = fl_xgrow(d->kinds, &d->cap, d->n + 1, sizeof(*d->kinds));
	d->ids[d->n] = fl_xstrdup(id);
	d->fields[d->n] = field ? fl_xstrdup(field) : NULL;
	d->kinds[d->n] = k;
	d->n++;
}

static void
vf_diffs_done(struct vf_diffs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->ids[i]);
		free(d->fields[i]);
	}
	free(d->ids);
	free(d->fields);
	free(d->kinds);
	memset(d, 0, sizeof(*d));
}

/* The first top-level field where two documents differ (into out). */
static void
vf_first_diff(const cJSON *w, const cJSON *have, char *out, size_t n)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, w)
	{
		const cJSON *b =
		    cJSON_GetObjectItemCaseSensitive(have, a->string);

		if (!b || !cJSON_Compare(a, b, 1)) {
			snprintf(out, n, "%s", a->string);
			return;
		}
	}
	cJSON_ArrayForEach(a, have)
	{
		if (!cJSON_GetObjectItemCaseSensitive(w, a->string)) {
			snprintf(out, n, "%s", a->string);
			return;
		}
	}
}

/* Compare one expected outcome with what is stored (may be NULL); on a
 * difference, field names the first differing field. */
static int
vf_compare(const struct fl_doc *want, const cJSON *have, enum vf_kind *k,
           char *field, size_t nfield)
{
	cJSON *w;
	int same;

	if (want->tombstone) {
		*k = VF_EXTRA;
		return have == NULL;
	}
	if (!have) {
		*k = VF_MISSING;
		return 0;
	}
	*k = VF_DIFFERENT;
	w = cJSON_ParseWithLength(want->json, want->len);
	same = w && cJSON_Compare(w, have, 1);
	if (w && !same)
		vf_first_diff(w, have, field, nfield);
	cJSON_Delete(w);
	return same;
}

struct vf_run {
	const char *index;
	char *alias;
	struct vf_os os;
	PGconn *pg;
	struct fl_docbuild *db;
	struct vf_store store;
	struct vf_diffs diffs;
};

/* Build a chunk of keys and compare each with the store. */
static int
vf_check_keys(struct vf_run *r, const char *const *keys, size_t n,
              struct fl_err *err)
{
	struct fl_docs docs;
	size_t i;

	fl_docs_init(&docs);
	if (fl_docbuild_build(r->db, r->pg, r->index, keys, n, &docs, err) <
	    0) {
		fl_docs_done(&docs);
		return -1;
	}
	for (i = 0; i < docs.n; i++) {
		struct vf_entry *e = vf_find(&r->store, docs.v[i].id);
		enum vf_kind k;
		char field[64] = "";

		if (e)
			e->seen = 1;
		if (!vf_compare(&docs.v[i], e ? e->doc : NULL, &k, field,
		                sizeof(field)))
			vf_diff_add(&r->diffs, docs.v[i].id, k,
			            field[0] ? field : NULL);
	}
	fl_docs_done(&docs);
	return 0;
}

static int
vf_scan(struct vf_run *r, struct fl_verify_report *out, struct fl_err *err)
{
	char *after = NULL;
	size_t i;

	for (;;) {
		char **keys = NULL;
		size_t n = 0, off;
		int rc = fl_docbuild_key_page(r->db, r->pg, r->index, after,
		                              10000, &keys, &n, err);

		if (rc < 0) {
			free(after);
			return -1;
		}
		for (off = 0; off < n && rc == 0; off += 512)
			rc = vf_check_keys(r, (const char *const *)keys + off,
			                   n - off > 512 ? 512 : n - off, err);
		out->checked += n;
		free(after);
		after = n ? fl_xstrdup(keys[n - 1]) : NULL;
		for (i = 0; i < n; i++)
			free(keys[i]);
		free(keys);
		if (rc < 0) {
			free(after);
			return -1;
		}
		if (n < 10000)
			break;
	}
	free(after);
	for (i = 0; i < r->store.n; i++)
		if (!r->store.v[i].seen)
			vf_diff_add(&r->diffs, r->store.v[i].id, VF_EXTRA,
			            NULL);
	return 0;
}

/* Re-read the differing ids from both sides; keep the ones that still
 * differ. */
static int
vf_recheck(struct vf_run *r, struct fl_err *err)
{
	struct vf_diffs old = r->diffs;
	struct fl_buf q;
	cJSON *ans, *d;
	long st;
	size_t i;
	int rc;

	memset(&r->diffs, 0, sizeof(r->diffs));
	vf_store_done(&r->store);
	memset(&r->store, 0, sizeof(r->store));
	fl_buf_init(&q, (size_t)1 << 26);
	fl_buf_puts(&q, "{\"ids\":[");
	for (i = 0; i < old.n; i++) {
		if (i)
			fl_buf_putc(&q, ',');
		fl_json_put_string(&q, old.ids[i]);
	}
	fl_buf_puts(&q, "]}");
	{
		char *path = fl_xasprintf("/%s/_mget", r->alias);

		ans =
		    vf_request(&r->os, "POST", path, fl_buf_str(&q), &st, err);
		free(path);
	}
	fl_buf_done(&q);
	if (!ans) {
		vf_diffs_done(&old);
		return -1;
	}
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(ans, "docs"))
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "_id");

		if (cJSON_IsTrue(
		        cJSON_GetObjectItemCaseSensitive(d, "found")) &&
		    cJSON_IsString(id))
			vf_store_add(&r->store, id->valuestring,
			             cJSON_DetachItemFromObjectCaseSensitive(
			                 d, "_source"));
	}
	cJSON_Delete(ans);
	if (r->store.n)
		qsort(r->store.v, r->store.n, sizeof(*r->store.v),
		      vf_entry_cmp);
	rc = vf_check_keys(r, (const char *const *)old.ids, old.n, err);
	vf_diffs_done(&old);
	return rc;
}

static int
vf_open(struct vf_run *r, const struct fl_config *cfg,
        const struct fl_index_cfg **ixo, struct fl_err *err)
{
	const struct fl_sink_cfg *sink = NULL;
	char hash[17], *url = NULL, *conninfo;
	size_t i;

	for (i = 0; i < cfg->nindexes; i++)
		if (strcmp(cfg->indexes[i].name, r->index) == 0)
			*ixo = &cfg->indexes[i];
	if (!*ixo || !(*ixo)->enabled)
		return fl_err_set(err, FL_ERR_NOTFOUND,
		                  "no enabled index named %s", r->index);
	for (i = 0; i < cfg->nsinks && !sink; i++)
		if (cfg->sinks[i].type == FL_SINK_OPENSEARCH)
			sink = &cfg->sinks[i];
	if (!sink)
		return fl_err_set(err, FL_ERR_CONFIG,
		                  "no OpenSearch sink to verify against");
	if (fl_config_sink_secret(sink, "URL", &url, err) < 0 ||
	    fl_config_sink_secret(sink, "USERNAME", &r->os.user, err) < 0 ||
	    fl_config_sink_secret(sink, "PASSWORD", &r->os.password, err) < 0) {
		free(url);
		return -1;
	}
	r->os.base = url;
	while (url[0] && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	r->os.c = curl_easy_init();
	fl_buf_init(&r->os.body, (size_t)1 << 30);
	fl_hash_schema((*ixo)->schema, hash);
	r->alias = fl_xasprintf("%s%s_%s", cfg->prefix, r->index, hash);
	if (!(conninfo = fl_config_source_conninfo(cfg, err)))
		return -1;
	r->pg = fl_pgconn_open(conninfo, "flusso-verify", 0, err);
	free(conninfo);
	if (!r->pg)
		return -1;
	r->db = fl_docbuild_new(cfg);
	return fl_docbuild_prepare(r->db, r->pg, err);
}

static void
vf_close(struct vf_run *r)
{
	if (r->os.c)
		curl_easy_cleanup(r->os.c);
	fl_buf_done(&r->os.body);
	free(r->os.base);
	free(r->os.user);
	free(r->os.password);
	free(r->alias);
	PQfinish(r->pg);
	fl_docbuild_free(r->db);
	vf_store_done(&r->store);
	vf_diffs_done(&r->diffs);
}

int
fl_verify_index(const struct fl_config *cfg, const char *name, int recheck,
                struct fl_verify_report *out, struct fl_err *err)
{
	static const char *const kind_names[] = { "missing", "extra",
		                                  "different" };
	const struct fl_index_cfg *ix = NULL;
	struct vf_run r;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.index = name;
	if (vf_open(&r, cfg, &ix, err) < 0)
		goto done;
	if (vf_scroll(&r.os, r.alias, &r.store, err) < 0)
		goto done;
	out->stored = r.store.n;
	if (vf_scan(&r, out, err) < 0)
		goto done;
	while (r.diffs.n && recheck-- > 0) {
		poll(NULL, 0, 1000);
		if (vf_recheck(&r, err) < 0)
			goto done;
	}
	for (i = 0; i < r.diffs.n; i++) {
		if (r.diffs.kinds[i] == VF_MISSING)
			out->missing++;
		else if (r.diffs.kinds[i] == VF_EXTRA)
			out->extra++;
		else
			out->different++;
		if (out->nexamples < FL_VERIFY_EXAMPLES)
			snprintf(out->examples[out->nexamples++],
			         sizeof(out->examples[0]), "%s %.100s%s%.40s%s",
			         kind_names[r.diffs.kinds[i]], r.diffs.ids[i],
			         r.diffs.fields[i] ? " (field " : "",
			         r.diffs.fields[i] ? r.diffs.fields[i] : "",
			         r.diffs.fields[i] ? ")" : "");
	}
	rc = 0;
done:
	vf_close(&r);
	return rc;
}
