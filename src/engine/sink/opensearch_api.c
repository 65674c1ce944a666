/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_api.c - the OpenSearch sink's control calls (engine-sink.md
 * §2.10): each one retried on transient failures and given its error
 * prefix ("index create failed: ..."): listing indices, index existence
 * and creation, alias lookup and atomic alias moves, the meta index and
 * the meta document (§2.3), plus the backoff shared with the writers.
 * Once the client's abort flag is set (set_abort), a call stops at once:
 * no further attempt, the backoff cut short, FL_SINK_TRANSIENT with
 * FL_ERR_CANCELLED.
 *
 * Threads: every function here runs on the thread that owns the
 * struct fl_http it uses (the control client s->ctl, made on first use,
 * or a writer's own client for fl_sink_os_call).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config/schema_hash.h"
#include "sink/opensearch_names.h"
#include "sink/opensearch_sink.h"
#include "util/clock.h"
#include "util/json_write.h"
#include "util/log.h"
#include "util/xmem.h"

#define OS_LOG "opensearch"

void
fl_sink_os_names_done(struct fl_sink_os_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
fl_sink_os_names_has(const struct fl_sink_os_names *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 1;
	return 0;
}

void
fl_sink_os_names_add(struct fl_sink_os_names *l, const char *name)
{
	l->v = fl_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = fl_xstrdup(name);
}

/* qsort comparator for name strings. */
static int
os_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
fl_sink_os_names_sort(struct fl_sink_os_names *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), os_names_cmp);
}

/* ---- calls ----------------------------------------------------------- */

/* Longest slice of a backoff sleep: the abort flag is read between. */
#define OS_SLEEP_SLICE_MS 100

int
fl_sink_os_backoff(int attempt, long retry_after_ms, const struct fl_http *h)
{
	long ms = 200L << (attempt > 8 ? 7 : attempt - 1);
	struct timespec ts;
	unsigned seed;
	int64_t end, left;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed = (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)&ts;
	ms +=
	    (long)((unsigned long)rand_r(&seed) % (unsigned long)(ms / 2 + 1));
	if (retry_after_ms > ms)
		ms = retry_after_ms > 60000 ? 60000 : retry_after_ms;
	end = fl_mono_ms() + ms;
	while (!fl_http_aborted(h)) {
		if ((left = end - fl_mono_ms()) <= 0)
			return 0;
		if (left > OS_SLEEP_SLICE_MS)
			left = OS_SLEEP_SLICE_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL); /* EINTR: the loop re-reads the clock */
	}
	return -1;
}

/* A short excerpt of a response body for messages. */
static const char *
os_excerpt(const struct fl_http_req *r, char *buf, size_t n)
{
	const char *b = fl_buf_str(&r->resp);
	size_t k = strlen(b);

	if (k >= n)
		k = n - 1;
	memcpy(buf, b, k);
	buf[k] = '\0';
	return buf;
}

int
fl_sink_os_status_error(const struct fl_http_req *r, const char *what,
                        struct fl_err *err)
{
	char ex[300];

	if (r->status == 401 || r->status == 403)
		fl_err_set(err, FL_ERR_SINK,
		           "%s: OpenSearch refused the credentials (HTTP %ld)",
		           what, r->status);
	else
		fl_err_set(err, FL_ERR_SINK, "%s: HTTP %ld: %s", what,
		           r->status, os_excerpt(r, ex, sizeof(ex)));
	return FL_SINK_PERMANENT;
}

int
fl_sink_os_call(struct fl_sink_os *s, struct fl_http *h, const char *method,
                const char *path, const char *body, struct fl_http_req *r,
                const char *what, struct fl_err *err)
{
	char ex[300];
	int attempt;

	r->method = method;
	r->path = path;
	r->body = body;
	r->len = body ? strlen(body) : 0;
	r->ctype = body ? "application/json" : NULL;
	for (attempt = 0;; attempt++) {
		if (attempt > 0) {
			fl_log_warn(OS_LOG, "retrying OpenSearch request (%s)",
			            what);
			if (fl_sink_os_backoff(attempt, r->retry_after_ms, h) <
			    0)
				return fl_sink_os_cancelled(what, err);
		}
		fl_http_do(h, r);
		if (r->cancelled)
			return fl_sink_os_cancelled(what, err);
		if (fl_bulk_classify_status(r->status, 1) != FL_BULK_RETRY)
			return FL_SINK_OK;
		if (attempt >= s->max_retries)
			break;
	}
	if (r->status == 0)
		fl_err_set(err, FL_ERR_SINK, "%s: %s", what, r->error);
	else
		fl_err_set(err, FL_ERR_SINK, "%s: HTTP %ld: %s", what,
		           r->status, os_excerpt(r, ex, sizeof(ex)));
	return FL_SINK_TRANSIENT;
}

/* The control client, made (and registered for set_abort) on first
 * use. */
static struct fl_http *
os_ctl(struct fl_sink_os *s, struct fl_err *err)
{
	if (!s->ctl) {
		struct fl_http_cfg c = s->http;

		c.parallel = 1;
		if ((s->ctl = fl_http_new(&c, err)))
			fl_sink_os_client_add(s, s->ctl);
	}
	return s->ctl;
}

/* One control call; FL_SINK_OK with r filled, or an error class. */
static int
os_do(struct fl_sink_os *s, const char *method, const char *path,
      const char *body, struct fl_http_req *r, const char *what,
      struct fl_err *err)
{
	struct fl_http *h = os_ctl(s, err);

	if (!h)
		return FL_SINK_PERMANENT;
	return fl_sink_os_call(s, h, method, path, body, r, what, err);
}

/* The control client, for control calls made in other files. */
struct fl_http *
fl_sink_os_ctl(struct fl_sink_os *s, struct fl_err *err)
{
	return os_ctl(s, err);
}

/* ---- indices and aliases --------------------------------------------- */

/* Concrete indices matching pattern (hidden ones too), sorted. */
int
fl_sink_os_list(struct fl_sink_os *s, const char *pattern,
                struct fl_sink_os_names *out, struct fl_err *err)
{
	const char *what = "listing indices failed";
	char *path = fl_xasprintf("/_cat/indices/%s?h=index&format=json"
	                          "&expand_wildcards=all",
	                          pattern);
	struct fl_http_req r;
	cJSON *arr = NULL, *it;
	int rc;

	memset(out, 0, sizeof(*out));
	fl_http_req_init(&r);
	rc = os_do(s, "GET", path, NULL, &r, what, err);
	free(path);
	if (rc == FL_SINK_OK && r.status != 404) {
		if (r.status < 200 || r.status >= 300) {
			rc = fl_sink_os_status_error(&r, what, err);
		} else if (!cJSON_IsArray(arr = cJSON_ParseWithLength(
		                              r.resp.data, r.resp.len))) {
			fl_err_set(err, FL_ERR_SINK, "%s: unreadable response",
			           what);
			rc = FL_SINK_TRANSIENT;
		} else {
			cJSON_ArrayForEach(it, arr)
			{
				const char *n = cJSON_GetStringValue(
				    cJSON_GetObjectItemCaseSensitive(it,
				                                     "index"));
				if (n && !fl_sink_os_names_has(out, n))
					fl_sink_os_names_add(out, n);
			}
			fl_sink_os_names_sort(out);
		}
	}
	cJSON_Delete(arr);
	fl_http_req_done(&r);
	return rc;
}

/* HEAD /<index>: *exists set on FL_SINK_OK. */
int
fl_sink_os_exists(struct fl_sink_os *s, const char *index, int *exists,
                  struct fl_err *err)
{
	const char *what = "index check failed";
	char *path = fl_xasprintf("/%s", index);
	struct fl_http_req r;
	int rc;

	fl_http_req_init(&r);
	rc = os_do(s, "HEAD", path, NULL, &r, what, err);
	free(path);
	if (rc == FL_SINK_OK) {
		if (r.status >= 200 && r.status < 300)
			*exists = 1;
		else if (r.status == 404)
			*exists = 0;
		else
			rc = fl_sink_os_status_error(&r, what, err);
	}
	fl_http_req_done(&r);
	return rc;
}

/* PUT /<index> with body; "already exists" counts as success. */
int
fl_sink_os_create(struct fl_sink_os *s, const char *index, const char *body,
                  const char *what, struct fl_err *err)
{
	char *path = fl_xasprintf("/%s", index);
	struct fl_http_req r;
	int rc;

	fl_http_req_init(&r);
	rc = os_do(s, "PUT", path, body, &r, what, err);
	free(path);
	if (rc == FL_SINK_OK && (r.status < 200 || r.status >= 300) &&
	    !strstr(fl_buf_str(&r.resp), "resource_already_exists_exception"))
		rc = fl_sink_os_status_error(&r, what, err);
	fl_http_req_done(&r);
	return rc;
}

/* Indices holding alias (response order); 404 -> none. */
int
fl_sink_os_alias_holders(struct fl_sink_os *s, const char *alias,
                         struct fl_sink_os_names *out, struct fl_err *err)
{
	const char *what = "alias lookup failed";
	char *path = fl_xasprintf("/_alias/%s", alias);
	struct fl_http_req r;
	cJSON *obj = NULL, *it;
	int rc;

	memset(out, 0, sizeof(*out));
	fl_http_req_init(&r);
	rc = os_do(s, "GET", path, NULL, &r, what, err);
	free(path);
	if (rc == FL_SINK_OK && r.status != 404) {
		if (r.status < 200 || r.status >= 300) {
			rc = fl_sink_os_status_error(&r, what, err);
		} else if (!cJSON_IsObject(obj = cJSON_ParseWithLength(
		                               r.resp.data, r.resp.len))) {
			fl_err_set(err, FL_ERR_SINK, "%s: unreadable response",
			           what);
			rc = FL_SINK_TRANSIENT;
		} else {
			cJSON_ArrayForEach(it, obj)
			    fl_sink_os_names_add(out, it->string);
		}
	}
	cJSON_Delete(obj);
	fl_http_req_done(&r);
	return rc;
}

/* Point alias at target in one atomic POST /_aliases (§2.4). */
int
fl_sink_os_point_alias(struct fl_sink_os *s, const char *alias,
                       const char *target, struct fl_err *err)
{
	const char *what = "alias update failed";
	struct fl_sink_os_names holders;
	struct fl_http_req r;
	struct fl_buf b;
	int rc;

	if ((rc = fl_sink_os_alias_holders(s, alias, &holders, err)) !=
	    FL_SINK_OK)
		return rc;
	fl_buf_init(&b, SIZE_MAX);
	if (fl_osnames_alias_actions(alias, holders.v, holders.n, target, &b) ==
	    1) {
		fl_http_req_init(&r);
		rc = os_do(s, "POST", "/_aliases", fl_buf_str(&b), &r, what,
		           err);
		if (rc == FL_SINK_OK && (r.status < 200 || r.status >= 300))
			rc = fl_sink_os_status_error(&r, what, err);
		fl_http_req_done(&r);
	}
	fl_buf_done(&b);
	fl_sink_os_names_done(&holders);
	return rc;
}

/* A POST/PUT/DELETE whose success is any 2xx (404 too when ok404). */
int
fl_sink_os_simple(struct fl_sink_os *s, const char *method, const char *path,
                  const char *body, int ok404, const char *what,
                  struct fl_err *err)
{
	struct fl_http_req r;
	int rc;

	fl_http_req_init(&r);
	rc = os_do(s, method, path, body, &r, what, err);
	if (rc == FL_SINK_OK && (r.status < 200 || r.status >= 300) &&
	    !(ok404 && r.status == 404))
		rc = fl_sink_os_status_error(&r, what, err);
	fl_http_req_done(&r);
	return rc;
}

/* ---- meta ------------------------------------------------------------ */

/* Create the meta index when missing (hidden, 1 shard, no mapping). */
int
fl_sink_os_meta_index(struct fl_sink_os *s, struct fl_err *err)
{
	static const char body[] =
	    "{\"mappings\":{\"dynamic\":false},\"settings\":{\"index\":{"
	    "\"auto_expand_replicas\":\"0-1\",\"hidden\":true,"
	    "\"number_of_shards\":1}}}";
	int exists = 0, rc;

	if (s->meta_ready)
		return FL_SINK_OK;
	if ((rc = fl_sink_os_exists(s, s->meta_index, &exists, err)) !=
	    FL_SINK_OK)
		return rc;
	if (!exists && (rc = fl_sink_os_create(s, s->meta_index, body,
	                                       "meta index create failed",
	                                       err)) != FL_SINK_OK)
		return rc;
	s->meta_ready = 1;
	return FL_SINK_OK;
}

/* Copy a string member of o into dst (size n); "" when absent. */
static void
os_meta_str(const cJSON *o, const char *key, char *dst, size_t n)
{
	const char *v =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

	snprintf(dst, n, "%s", v ? v : "");
}

/* Read the meta doc of rt into rt (active 0 when there is none). */
int
fl_sink_os_meta_get(struct fl_sink_os *s, struct os_route *rt,
                    struct fl_err *err)
{
	const char *what = "meta get failed";
	char *path = fl_xasprintf("/%s/_doc/%s", s->meta_index, rt->hash_alias);
	struct fl_http_req r;
	const cJSON *src, *v, *so;
	cJSON *doc = NULL;
	int rc;

	fl_http_req_init(&r);
	rc = os_do(s, "GET", path, NULL, &r, what, err);
	free(path);
	rt->active = 0;
	rt->seeded = 0;
	if (rc != FL_SINK_OK || r.status == 404)
		goto out;
	if (r.status < 200 || r.status >= 300) {
		rc = fl_sink_os_status_error(&r, what, err);
		goto out;
	}
	doc = cJSON_ParseWithLength(r.resp.data, r.resp.len);
	src = cJSON_GetObjectItemCaseSensitive(doc, "_source");
	if (!cJSON_IsObject(src))
		goto out; /* found: false */
	v = cJSON_GetObjectItemCaseSensitive(src, "active_generation");
	if (!cJSON_IsNumber(v) || v->valuedouble < 1)
		goto out;
	rt->active = (long)v->valuedouble;
	rt->seeded =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src, "seeded"));
	v = cJSON_GetObjectItemCaseSensitive(src, "backfill_cursor");
	if (cJSON_IsString(v))
		rt->cursor = fl_xstrdup(v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(src, "seeded_at");
	if (cJSON_IsString(v))
		rt->seeded_at = fl_xstrdup(v->valuestring);
	so = cJSON_GetObjectItemCaseSensitive(src, "source");
	if (cJSON_IsObject(so)) {
		rt->has_source = 1;
		os_meta_str(so, "system_identifier", rt->source.sysid,
		            sizeof(rt->source.sysid));
		os_meta_str(so, "database", rt->source.database,
		            sizeof(rt->source.database));
		os_meta_str(so, "slot", rt->source.slot,
		            sizeof(rt->source.slot));
		os_meta_str(so, "slot_created_lsn", rt->source.slot_created_lsn,
		            sizeof(rt->source.slot_created_lsn));
	}
out:
	cJSON_Delete(doc);
	fl_http_req_done(&r);
	return rc;
}

/* Append a JSON string or null. */
static void
os_put_str_or_null(struct fl_buf *b, const char *s)
{
	if (s)
		fl_json_put_string(b, s);
	else
		fl_buf_puts(b, "null");
}

/* Write the meta doc of rt with the given generation and seeded flag. */
int
fl_sink_os_meta_put(struct fl_sink_os *s, const struct os_route *rt,
                    long active, int seeded, struct fl_err *err)
{
	char *path = fl_xasprintf("/%s/_doc/%s", s->meta_index, rt->hash_alias);
	struct fl_buf b;
	int rc;

	fl_buf_init(&b, SIZE_MAX);
	fl_buf_printf(
	    &b, "{\"active_generation\":%ld,\"backfill_cursor\":", active);
	os_put_str_or_null(&b, rt->cursor);
	fl_buf_puts(&b, ",\"flusso_version\":");
	fl_json_put_string(&b, FLUSSO_VERSION);
	fl_buf_printf(&b,
	              ",\"hash_scheme\":%d,\"index\":", FL_HASH_SCHEME_VERSION);
	fl_json_put_string(&b, rt->logical);
	fl_buf_puts(&b, ",\"schema_hash\":");
	fl_json_put_string(&b, rt->hash);
	fl_buf_printf(
	    &b, ",\"seeded\":%s,\"seeded_at\":", seeded ? "true" : "false");
	os_put_str_or_null(&b, rt->seeded_at);
	fl_buf_puts(&b, ",\"source\":");
	if (rt->has_source) {
		fl_buf_puts(&b, "{\"database\":");
		fl_json_put_string(&b, rt->source.database);
		fl_buf_puts(&b, ",\"slot\":");
		fl_json_put_string(&b, rt->source.slot);
		fl_buf_puts(&b, ",\"slot_created_lsn\":");
		fl_json_put_string(&b, rt->source.slot_created_lsn);
		fl_buf_puts(&b, ",\"system_identifier\":");
		fl_json_put_string(&b, rt->source.sysid);
		fl_buf_putc(&b, '}');
	} else {
		fl_buf_puts(&b, "null");
	}
	fl_buf_putc(&b, '}');
	rc = fl_sink_os_simple(s, "PUT", path, fl_buf_str(&b), 0,
	                       "meta put failed", err);
	fl_buf_done(&b);
	free(path);
	return rc;
}
