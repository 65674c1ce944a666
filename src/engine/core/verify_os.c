/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify_os.c - reading one OpenSearch sink for the consistency checker
 * (verify_int.h): _refresh, _count, _mget of a page of ids, and a scroll
 * over the stored ids without their sources.
 *
 * Owns: the requests and parsing their answers. Does not own: deciding
 * what a difference is (verify.c), the sink's writing side (sink/).
 * One struct per sink, used by one thread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/sink_conn.h"
#include "core/verify_int.h"
#include "util/buf.h"
#include "util/json_write.h"
#include "util/xmem.h"

int
vf_os_open(struct vf_os *s, const struct fl_sink_cfg *cfg, const char *alias,
           struct fl_err *err)
{
	struct fl_sink_conn conn;

	memset(s, 0, sizeof(*s));
	s->name = fl_xstrdup(cfg->name);
	s->alias = fl_xstrdup(alias);
	if (fl_sink_conn_init(&conn, cfg, err) < 0)
		return fl_err_prefix(err, "sink %s", cfg->name);
	if (conn.http.timeout_secs < 60)
		conn.http.timeout_secs = 60;
	s->http = fl_http_new(&conn.http, err);
	fl_sink_conn_done(&conn);
	if (!s->http)
		return fl_err_prefix(err, "sink %s", cfg->name);
	return 0;
}

void
vf_os_close(struct vf_os *s)
{
	vf_os_scan_end(s);
	if (s->http)
		fl_http_free(s->http);
	free(s->name);
	free(s->alias);
	memset(s, 0, sizeof(*s));
}

/* One request; the parsed answer of a 2xx, else NULL with err. */
static cJSON *
vf_os_call(struct vf_os *s, const char *method, const char *path,
           const char *body, size_t len, struct fl_err *err)
{
	struct fl_http_req r;
	cJSON *doc = NULL;

	fl_http_req_init(&r);
	r.method = method;
	r.path = path;
	if (body) {
		r.ctype = "application/json";
		r.body = body;
		r.len = len;
	}
	if (fl_http_do(s->http, &r) < 0)
		fl_err_set(err, FL_ERR_SINK, "sink %s: %s %s: %s", s->name,
		           method, path, r.error);
	else if (r.status == 404 &&
	         strstr(fl_buf_str(&r.resp), "index_not_found"))
		fl_err_set(err, FL_ERR_NOTFOUND,
		           "sink %s: alias %s does not exist (not seeded "
		           "yet?)",
		           s->name, s->alias);
	else if (r.status < 200 || r.status > 299)
		fl_err_set(err, FL_ERR_SINK, "sink %s: %s %s: HTTP %ld: %.200s",
		           s->name, method, path, r.status,
		           fl_buf_str(&r.resp));
	else if (!(doc =
	               cJSON_ParseWithLength(fl_buf_str(&r.resp), r.resp.len)))
		fl_err_set(err, FL_ERR_SINK,
		           "sink %s: %s %s: unreadable answer", s->name, method,
		           path);
	fl_http_req_done(&r);
	return doc;
}

int
vf_os_refresh(struct vf_os *s, struct fl_err *err)
{
	char *path = fl_xasprintf("/%s/_refresh", s->alias);
	cJSON *a = vf_os_call(s, "POST", path, NULL, 0, err);

	free(path);
	cJSON_Delete(a);
	return a ? 0 : -1;
}

int
vf_os_count(struct vf_os *s, long long *n, struct fl_err *err)
{
	char *path = fl_xasprintf("/%s/_count", s->alias);
	cJSON *a = vf_os_call(s, "GET", path, NULL, 0, err);
	const cJSON *c;

	free(path);
	if (!a)
		return -1;
	c = cJSON_GetObjectItemCaseSensitive(a, "count");
	*n = cJSON_IsNumber(c) ? (long long)c->valuedouble : 0;
	cJSON_Delete(a);
	return 0;
}

int
vf_os_mget(struct vf_os *s, const char *const *ids, size_t n, cJSON **docs,
           struct fl_err *err)
{
	char *path = fl_xasprintf("/%s/_mget", s->alias);
	struct fl_buf q;
	const cJSON *d;
	cJSON *a;
	size_t i;

	memset(docs, 0, n * sizeof(*docs));
	if (!n) {
		free(path);
		return 0;
	}
	fl_buf_init(&q, (size_t)1 << 30);
	fl_buf_puts(&q, "{\"ids\":[");
	for (i = 0; i < n; i++) {
		if (i)
			fl_buf_putc(&q, ',');
		fl_json_put_string(&q, ids[i]);
	}
	fl_buf_puts(&q, "]}");
	a = vf_os_call(s, "POST", path, fl_buf_str(&q), q.len, err);
	fl_buf_done(&q);
	free(path);
	if (!a)
		return -1;
	/* answers come in request order; match by id anyway */
	i = 0;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(a, "docs"))
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "_id");
		size_t k = i;

		if (!cJSON_IsString(id))
			break;
		if (k >= n || strcmp(ids[k], id->valuestring))
			for (k = 0; k < n && strcmp(ids[k], id->valuestring);
			     k++)
				;
		i++;
		if (k >= n || docs[k] ||
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "found")))
			continue;
		docs[k] = cJSON_DetachItemFromObjectCaseSensitive(
		    (cJSON *)(uintptr_t)d, "_source");
	}
	cJSON_Delete(a);
	return 0;
}

int
vf_os_scan_next(struct vf_os *s, long size, char ***ids, size_t *n,
                struct fl_err *err)
{
	const cJSON *hits, *h, *sid;
	struct fl_buf q;
	cJSON *a;

	*ids = NULL;
	*n = 0;
	fl_buf_init(&q, 1 << 20);
	if (!s->scroll_id) {
		char *path = fl_xasprintf("/%s/_search?scroll=5m", s->alias);

		fl_buf_printf(&q,
		              "{\"size\":%ld,\"_source\":false,\"sort\":"
		              "[\"_doc\"]}",
		              size);
		a = vf_os_call(s, "POST", path, fl_buf_str(&q), q.len, err);
		free(path);
	} else {
		fl_buf_puts(&q, "{\"scroll\":\"5m\",\"scroll_id\":");
		fl_json_put_string(&q, s->scroll_id);
		fl_buf_puts(&q, "}");
		a = vf_os_call(s, "POST", "/_search/scroll", fl_buf_str(&q),
		               q.len, err);
	}
	fl_buf_done(&q);
	if (!a)
		return -1;
	sid = cJSON_GetObjectItemCaseSensitive(a, "_scroll_id");
	if (cJSON_IsString(sid) &&
	    (!s->scroll_id || strcmp(s->scroll_id, sid->valuestring))) {
		free(s->scroll_id);
		s->scroll_id = fl_xstrdup(sid->valuestring);
	}
	hits = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(a, "hits"), "hits");
	*ids = fl_xcalloc((size_t)cJSON_GetArraySize(hits) + 1, sizeof(**ids));
	cJSON_ArrayForEach(h, hits)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(h, "_id");

		if (cJSON_IsString(id))
			(*ids)[(*n)++] = fl_xstrdup(id->valuestring);
	}
	cJSON_Delete(a);
	return 0;
}

void
vf_os_scan_end(struct vf_os *s)
{
	struct fl_buf q;
	cJSON *a;

	if (!s->scroll_id)
		return;
	fl_buf_init(&q, 1 << 20);
	fl_buf_puts(&q, "{\"scroll_id\":");
	fl_json_put_string(&q, s->scroll_id);
	fl_buf_puts(&q, "}");
	a = vf_os_call(s, "DELETE", "/_search/scroll", fl_buf_str(&q), q.len,
	               NULL);
	cJSON_Delete(a);
	fl_buf_done(&q);
	free(s->scroll_id);
	s->scroll_id = NULL;
}
