/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_pending.c - held indexes in the OpenSearch sink (sink.h
 * "Held indexes", engine-sink.md §5.9): the pending index `P
 * flusso_pending`, the hold of an index (load, save) and its pending
 * ids (page, remove, count).
 *
 * Does not own: the writers' pend, which buffers a pending id next to
 * the writer's documents (opensearch_writer.c); the names and document
 * ids (opensearch_names.c); retries and error classes of a call
 * (fl_sink_os_call in opensearch_api.c); when an index is held or
 * drained (the engine).
 *
 * DESIGN
 *   Where (engine-sink.md §5.9 asks for the choice and its reasons).
 *   One OpenSearch index per deployment, next to the meta index:
 *     - a pend travels in the same _bulk requests as the documents of
 *       its flush, so "these ids are pending" is durable exactly when
 *       the flush is, with no second store to keep in step (a local
 *       state directory would need its own fsync protocol, and would
 *       be lost with the host while OpenSearch keeps the indexes whose
 *       state it describes);
 *     - the document id is a function of (index, key), so pending the
 *       same id twice leaves one document: the set dedups itself;
 *     - `key` is a keyword: sorting on it with search_after pages the
 *       set in byte order of the key without a cursor to keep;
 *     - _seq_no/_primary_term make removal conditional, so an id pended
 *       again while it was being rebuilt survives the drain.
 *   Not the meta index: that one is read by id only, `dynamic: false`,
 *   and may be the reference's (auto-created, dynamic mapping), where
 *   `key` would be text and could not be sorted.
 *
 *   Documents. kind "id": {index, key, kind, since}, id
 *   fl_osnames_pending_id(); kind "hold": {index, kind, reason,
 *   [resync], since, state}, id fl_osnames_hold_id(). `since` is epoch milliseconds (a
 *   hold's since_us loses its microseconds). The mapping is strict.
 *
 *   Creation. Lazily and idempotently (HEAD, then PUT treating
 *   resource_already_exists as success, like the meta index), by the
 *   first call that writes: hold_save of a hold, or a writer's flush
 *   carrying a pend (on that writer's thread and client). Reads of a
 *   missing index answer "nothing" (empty page, count 0, no hold) and
 *   create nothing; neither do deletes. Once seen, existence is cached
 *   in s->pending_ready (atomic): an index deleted behind a running
 *   sink is auto-created by the next pend with a dynamic mapping (then
 *   pending_page fails permanently: delete it and restart).
 *
 *   Threads. The ops here run on the control thread (one at a time) on
 *   the control client; fl_sink_os_pending_ensure and
 *   fl_sink_os_pending_doc on any thread, with the caller's client.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sink/opensearch_names.h"
#include "sink/opensearch_sink.h"
#include "util/json_write.h"
#include "util/log.h"
#include "util/xmem.h"

#define OP_LOG "opensearch"

/* The largest page a search may return (index.max_result_window). */
#define OP_PAGE_MAX 10000

/* Created hidden like the meta index, with its shard and replica
 * settings; strict so that only flusso's fields ever exist. */
static const char op_index_body[] =
    "{\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
    "\"index\":{\"type\":\"keyword\"},"
    "\"key\":{\"type\":\"keyword\"},"
    "\"kind\":{\"type\":\"keyword\"},"
    "\"reason\":{\"type\":\"keyword\",\"index\":false},"
    "\"resync\":{\"type\":\"boolean\",\"index\":false},"
    "\"since\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
    "\"state\":{\"type\":\"keyword\"}}},"
    "\"settings\":{\"index\":{\"auto_expand_replicas\":\"0-1\","
    "\"hidden\":true,\"number_of_shards\":1}}}";

/* Fields added since the first version of the index. */
static const char op_mapping_add[] =
    "{\"properties\":{\"resync\":{\"type\":\"boolean\",\"index\":false}}}";

static int
op_2xx(const struct fl_http_req *r)
{
	return r->status >= 200 && r->status < 300;
}

/* ---- creation ---------------------------------------------------------- */

int
fl_sink_os_pending_ensure(struct fl_sink_os *s, struct fl_http *h,
                          struct fl_err *err)
{
	const char *what = "pending index create failed";
	char *path;
	struct fl_http_req r;
	int rc;

	if (atomic_load(&s->pending_ready))
		return FL_SINK_OK;
	path = fl_xasprintf("/%s", s->pending_index);
	fl_http_req_init(&r);
	rc = fl_sink_os_call(s, h, "HEAD", path, NULL, &r, what, err);
	if (rc == FL_SINK_OK && r.status == 404) {
		fl_http_req_done(&r);
		fl_http_req_init(&r);
		rc = fl_sink_os_call(s, h, "PUT", path, op_index_body, &r, what,
		                     err);
		if (rc == FL_SINK_OK && op_2xx(&r))
			fl_log_info(OP_LOG, "created index %s",
			            s->pending_index);
		else if (rc == FL_SINK_OK &&
		         !strstr(fl_buf_str(&r.resp),
		                 "resource_already_exists_exception"))
			rc = fl_sink_os_status_error(&r, what, err);
	} else if (rc == FL_SINK_OK && !op_2xx(&r)) {
		rc = fl_sink_os_status_error(&r, what, err);
	} else if (rc == FL_SINK_OK) {
		/* made by an older flusso: add the fields it lacks */
		char *mp = fl_xasprintf("/%s/_mapping", s->pending_index);

		fl_http_req_done(&r);
		fl_http_req_init(&r);
		rc = fl_sink_os_call(s, h, "PUT", mp, op_mapping_add, &r, what,
		                     err);
		if (rc == FL_SINK_OK && !op_2xx(&r))
			rc = fl_sink_os_status_error(&r, what, err);
		free(mp);
	}
	if (rc == FL_SINK_OK)
		atomic_store(&s->pending_ready, 1);
	fl_http_req_done(&r);
	free(path);
	return rc;
}

void
fl_sink_os_pending_doc(struct fl_buf *b, const char *index, const char *key,
                       long long since_ms)
{
	fl_buf_puts(b, "{\"index\":");
	fl_json_put_string(b, index);
	fl_buf_puts(b, ",\"key\":");
	fl_json_put_string(b, key);
	fl_buf_printf(b, ",\"kind\":\"id\",\"since\":%lld}", since_ms);
}

/* ---- helpers ----------------------------------------------------------- */

/* One call on the control client: FL_SINK_OK with r filled, or an error
 * class (fl_sink_os_call). */
static int
op_do(struct fl_sink_os *s, const char *method, const char *path,
      const char *body, struct fl_http_req *r, const char *what,
      struct fl_err *err)
{
	struct fl_http *h = fl_sink_os_ctl(s, err);

	if (!h)
		return FL_SINK_PERMANENT;
	return fl_sink_os_call(s, h, method, path, body, r, what, err);
}

/* "/<pending index>/_doc/<id, percent-encoded>"; caller frees. */
static char *
op_doc_path(const struct fl_sink_os *s, const char *id)
{
	char *esc = fl_http_escape(id);
	char *path = fl_xasprintf("/%s/_doc/%s", s->pending_index, esc);

	free(esc);
	return path;
}

/* The query selecting the pending ids of one index. */
static void
op_put_query(struct fl_buf *b, const char *index)
{
	fl_buf_puts(b, "\"query\":{\"bool\":{\"filter\":["
	               "{\"term\":{\"kind\":\"id\"}},"
	               "{\"term\":{\"index\":");
	fl_json_put_string(b, index);
	fl_buf_puts(b, "}}]}}");
}

/* A 2xx body that did not parse as expected (nothing was learned). */
static int
op_unreadable(const char *what, struct fl_err *err)
{
	fl_err_set(err, FL_ERR_SINK, "%s: unreadable response", what);
	return FL_SINK_TRANSIENT;
}

/* ---- holds ------------------------------------------------------------- */

/* Fill out from the _source of a hold document. */
static int
op_hold_read(const cJSON *src, const char *index, struct fl_sink_hold *out,
             struct fl_err *err)
{
	const char *st = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(src, "state"));
	const char *why = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(src, "reason"));
	const cJSON *since = cJSON_GetObjectItemCaseSensitive(src, "since");

	if (st && strcmp(st, "paused") == 0) {
		out->state = FL_HOLD_PAUSED;
	} else if (st && strcmp(st, "stopped") == 0) {
		out->state = FL_HOLD_STOPPED;
	} else if (st && strcmp(st, "drift") == 0) {
		out->state = FL_HOLD_DRIFT;
	} else {
		fl_err_set(err, FL_ERR_SINK,
		           "hold get failed: index %s has an unknown hold "
		           "state `%s`",
		           index, st ? st : "(none)");
		return FL_SINK_PERMANENT;
	}
	if (cJSON_IsNumber(since))
		out->since_us = (int64_t)since->valuedouble * 1000;
	snprintf(out->reason, sizeof(out->reason), "%s", why ? why : "");
	out->resync =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src, "resync"));
	return FL_SINK_OK;
}

/* GET the hold document (realtime); 404 of the doc or the index: none. */
int
fl_sink_os_hold_load(struct fl_sink *base, const char *index,
                     struct fl_sink_hold *out, struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	const char *what = "hold get failed";
	char *id = fl_osnames_hold_id(index), *path = op_doc_path(s, id);
	struct fl_http_req r;
	const cJSON *src;
	cJSON *doc = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->state = FL_HOLD_NONE;
	fl_http_req_init(&r);
	rc = op_do(s, "GET", path, NULL, &r, what, err);
	if (rc != FL_SINK_OK || r.status == 404)
		goto out;
	if (!op_2xx(&r)) {
		rc = fl_sink_os_status_error(&r, what, err);
		goto out;
	}
	doc = cJSON_ParseWithLength(r.resp.data, r.resp.len);
	if (!cJSON_IsObject(doc)) {
		rc = op_unreadable(what, err);
		goto out;
	}
	src = cJSON_GetObjectItemCaseSensitive(doc, "_source");
	if (cJSON_IsObject(src)) /* else found: false */
		rc = op_hold_read(src, index, out, err);
out:
	if (rc != FL_SINK_OK)
		memset(out, 0, sizeof(*out));
	cJSON_Delete(doc);
	fl_http_req_done(&r);
	free(path);
	free(id);
	return rc;
}

/* PUT the hold document, or DELETE it for FL_HOLD_NONE (404 is fine). */
int
fl_sink_os_hold_save(struct fl_sink *base, const char *index,
                     const struct fl_sink_hold *h, struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	char *id, *path;
	const char *state;
	struct fl_http *ctl;
	struct fl_buf b;
	int rc;

	switch (h->state) {
	case FL_HOLD_NONE:
		state = NULL;
		break;
	case FL_HOLD_PAUSED:
		state = "paused";
		break;
	case FL_HOLD_STOPPED:
		state = "stopped";
		break;
	case FL_HOLD_DRIFT:
		state = "drift";
		break;
	default:
		fl_err_set(err, FL_ERR_INVALID, "hold put failed: bad state %d",
		           (int)h->state);
		return FL_SINK_PERMANENT;
	}
	id = fl_osnames_hold_id(index);
	path = op_doc_path(s, id);
	free(id);
	if (!state) {
		rc = fl_sink_os_simple(s, "DELETE", path, NULL, 1,
		                       "hold delete failed", err);
		free(path);
		return rc;
	}
	ctl = fl_sink_os_ctl(s, err);
	rc = ctl ? fl_sink_os_pending_ensure(s, ctl, err) : FL_SINK_PERMANENT;
	if (rc != FL_SINK_OK) {
		free(path);
		return rc;
	}
	fl_buf_init(&b, SIZE_MAX);
	fl_buf_puts(&b, "{\"index\":");
	fl_json_put_string(&b, index);
	fl_buf_puts(&b, ",\"kind\":\"hold\",\"reason\":");
	fl_json_put_string(&b, h->reason);
	if (h->resync)
		fl_buf_puts(&b, ",\"resync\":true");
	fl_buf_printf(&b, ",\"since\":%lld,\"state\":\"%s\"}",
	              (long long)(h->since_us / 1000), state);
	rc = fl_sink_os_simple(s, "PUT", path, fl_buf_str(&b), 0,
	                       "hold put failed", err);
	fl_buf_done(&b);
	free(path);
	return rc;
}

/* ---- pending ids: page ------------------------------------------------- */

/* Read the hits of a search into out (keys copied). */
static int
op_page_read(const cJSON *doc, struct fl_pending_page *out, const char *what,
             struct fl_err *err)
{
	const cJSON *hits = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(doc, "hits"), "hits");
	const cJSON *hit;
	int n;

	if (!cJSON_IsArray(hits))
		return op_unreadable(what, err);
	n = cJSON_GetArraySize(hits);
	out->v = fl_xcalloc((size_t)n + 1, sizeof(*out->v));
	cJSON_ArrayForEach(hit, hits)
	{
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(hit, "_source"), "key");
		const cJSON *seq =
		    cJSON_GetObjectItemCaseSensitive(hit, "_seq_no");
		const cJSON *term =
		    cJSON_GetObjectItemCaseSensitive(hit, "_primary_term");
		struct fl_pending_id *p;

		if (!cJSON_IsString(key) || !cJSON_IsNumber(seq) ||
		    !cJSON_IsNumber(term)) {
			fl_err_set(err, FL_ERR_SINK,
			           "%s: a pending document without key or "
			           "version",
			           what);
			return FL_SINK_PERMANENT;
		}
		p = &out->v[out->n++];
		p->key = fl_xstrdup(key->valuestring);
		p->seq_no = (long long)seq->valuedouble;
		p->primary_term = (long long)term->valuedouble;
	}
	return FL_SINK_OK;
}

/* The search body of one page. */
static void
op_page_body(struct fl_buf *b, const char *index, const char *after, size_t max)
{
	fl_buf_puts(b, "{\"_source\":[\"key\"],");
	op_put_query(b, index);
	if (after) {
		fl_buf_puts(b, ",\"search_after\":[");
		fl_json_put_string(b, after);
		fl_buf_putc(b, ']');
	}
	fl_buf_printf(
	    b,
	    ",\"seq_no_primary_term\":true,\"size\":%zu,"
	    "\"sort\":[{\"key\":\"asc\"}],\"track_total_hits\":false}",
	    max);
}

/* Refresh (first page only), then one search sorted by key. */
int
fl_sink_os_pending_page(struct fl_sink *base, const char *index,
                        const char *after, size_t max,
                        struct fl_pending_page *out, struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	const char *what = "pending search failed";
	char *path;
	struct fl_http_req r;
	struct fl_buf b;
	cJSON *doc = NULL;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (max == 0)
		return FL_SINK_OK;
	if (max > OP_PAGE_MAX)
		max = OP_PAGE_MAX;
	if (!after) {
		path = fl_xasprintf("/%s/_refresh", s->pending_index);
		rc = fl_sink_os_simple(s, "POST", path, NULL, 1,
		                       "pending refresh failed", err);
		free(path);
		if (rc != FL_SINK_OK)
			return rc;
	}
	fl_buf_init(&b, SIZE_MAX);
	op_page_body(&b, index, after, max);
	path = fl_xasprintf("/%s/_search", s->pending_index);
	fl_http_req_init(&r);
	rc = op_do(s, "POST", path, fl_buf_str(&b), &r, what, err);
	if (rc == FL_SINK_OK && r.status != 404) {
		if (!op_2xx(&r))
			rc = fl_sink_os_status_error(&r, what, err);
		else if (!(doc =
		               cJSON_ParseWithLength(r.resp.data, r.resp.len)))
			rc = op_unreadable(what, err);
		else
			rc = op_page_read(doc, out, what, err);
	}
	if (rc != FL_SINK_OK)
		fl_pending_page_done(out);
	cJSON_Delete(doc);
	fl_http_req_done(&r);
	free(path);
	fl_buf_done(&b);
	return rc;
}

/* ---- pending ids: remove ----------------------------------------------- */

/* The _bulk body deleting v[0..n) at the versions they were read at. */
static void
op_remove_body(const struct fl_sink_os *s, struct fl_buf *b, const char *index,
               const struct fl_pending_id *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *id = fl_osnames_pending_id(index, v[i].key);

		fl_buf_puts(b, "{\"delete\":{\"_id\":");
		fl_json_put_string(b, id);
		fl_buf_puts(b, ",\"_index\":");
		fl_json_put_string(b, s->pending_index);
		fl_buf_printf(
		    b, ",\"if_primary_term\":%lld,\"if_seq_no\":%lld}}\n",
		    v[i].primary_term, v[i].seq_no);
		free(id);
	}
}

/*
 * Judge the items of a 2xx bulk response: FL_SINK_OK when every delete
 * applied or may be ignored (404: gone, also the whole index; 409:
 * rewritten since, kept), FL_SINK_TRANSIENT (*retry set) when some item
 * may succeed if resent, FL_SINK_PERMANENT for any other refusal.
 */
static int
op_remove_items(const struct fl_http_req *r, size_t n, int *retry,
                struct fl_err *err)
{
	const char *what = "pending remove failed";
	struct fl_bulk_item *it;
	const char *why = NULL;
	size_t nit, i;
	int rc, res = FL_SINK_OK;

	*retry = 0;
	rc = fl_bulk_parse(r->resp.data, r->resp.len, NULL, n, &it, &nit, &why);
	if (rc < 0) {
		fl_bulk_items_free(it, nit);
		*retry = 1;
		return op_unreadable(what, err);
	}
	for (i = 0; i < nit && res != FL_SINK_PERMANENT; i++) {
		if (it[i].status == 409 || it[i].status == 404)
			continue; /* kept (newer) or already gone */
		if (it[i].cls == FL_BULK_RETRY) {
			*retry = 1;
			res = FL_SINK_TRANSIENT;
		} else {
			*retry = 0;
			res = FL_SINK_PERMANENT;
		}
		fl_err_set(err, FL_ERR_SINK, "%s: %s: HTTP %d: %s", what,
		           it[i].id, it[i].status, it[i].reason);
	}
	fl_bulk_items_free(it, nit);
	return res;
}

/* One _bulk of conditional deletes; resent whole (it is idempotent)
 * while items fail transiently, up to max_retries. */
int
fl_sink_os_pending_remove(struct fl_sink *base, const char *index,
                          const struct fl_pending_id *v, size_t n,
                          struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	const char *what = "pending remove failed";
	struct fl_http_req r;
	struct fl_buf b;
	int attempt, rc = FL_SINK_OK, retry = 0;

	if (n == 0)
		return FL_SINK_OK;
	fl_buf_init(&b, SIZE_MAX);
	op_remove_body(s, &b, index, v, n);
	fl_http_req_init(&r);
	for (attempt = 0; attempt <= s->max_retries; attempt++) {
		if (attempt > 0) {
			fl_log_warn(OP_LOG, "retrying OpenSearch request (%s)",
			            err->msg);
			struct fl_http *h = fl_sink_os_ctl(s, err);

			if (!h || fl_sink_os_backoff(attempt, r.retry_after_ms,
			                             h) < 0) {
				rc = h ? fl_sink_os_cancelled(what, err)
				       : FL_SINK_TRANSIENT;
				break;
			}
			fl_http_req_done(&r);
			fl_http_req_init(&r);
		}
		rc = op_do(s, "POST", "/_bulk", fl_buf_str(&b), &r, what, err);
		if (rc != FL_SINK_OK)
			break;
		if (!op_2xx(&r)) {
			rc = fl_sink_os_status_error(&r, what, err);
			break;
		}
		rc = op_remove_items(&r, n, &retry, err);
		if (!retry)
			break;
	}
	fl_http_req_done(&r);
	fl_buf_done(&b);
	return rc;
}

/* ---- pending ids: count ------------------------------------------------ */

/* _count with the page's filter; 404 (no pending index): 0. */
int
fl_sink_os_pending_count(struct fl_sink *base, const char *index, long long *n,
                         struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	const char *what = "pending count failed";
	char *path = fl_xasprintf("/%s/_count", s->pending_index);
	const cJSON *c;
	struct fl_http_req r;
	struct fl_buf b;
	cJSON *doc = NULL;
	int rc;

	*n = 0;
	fl_buf_init(&b, SIZE_MAX);
	fl_buf_putc(&b, '{');
	op_put_query(&b, index);
	fl_buf_putc(&b, '}');
	fl_http_req_init(&r);
	rc = op_do(s, "POST", path, fl_buf_str(&b), &r, what, err);
	if (rc == FL_SINK_OK && r.status != 404) {
		if (!op_2xx(&r))
			rc = fl_sink_os_status_error(&r, what, err);
		else if (!cJSON_IsNumber(c = cJSON_GetObjectItemCaseSensitive(
		                             doc = cJSON_ParseWithLength(
		                                 r.resp.data, r.resp.len),
		                             "count")))
			rc = op_unreadable(what, err);
		else
			*n = (long long)c->valuedouble;
	}
	cJSON_Delete(doc);
	fl_http_req_done(&r);
	fl_buf_done(&b);
	free(path);
	return rc;
}
