/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_bulk.c - the pure parts of the OpenSearch bulk protocol
 * (engine-sink.md §2.7): NDJSON actions, the chunk plan, the request
 * path, and reading a bulk response into classified items (and, for
 * trace records, into every item's outcome).
 *
 * Owns: the byte layout of a bulk body and the classification table of
 * §2.7 "Ours" for whole responses and items. Does not own: sending,
 * retrying, mapping to logical names (opensearch_writer.c). Documents are
 * never parsed here: their bytes are copied (CR/LF made spaces) and
 * passed through; only OpenSearch's responses are parsed (cJSON).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sink/opensearch_sink.h"
#include "util/http_client.h"
#include "util/json_write.h"
#include "util/xmem.h"

size_t
fl_bulk_plan(const size_t *sizes, size_t n, long batch_size, long max_bytes,
             size_t *counts)
{
	size_t i, nchunks = 0, cur = 0, bytes = 0;
	size_t bs = batch_size > 0 ? (size_t)batch_size : 1;
	size_t mb = max_bytes > 0 ? (size_t)max_bytes : 1;

	for (i = 0; i < n; i++) {
		if (cur > 0 && (cur >= bs || bytes + sizes[i] > mb)) {
			counts[nchunks++] = cur;
			cur = 0;
			bytes = 0;
		}
		cur++;
		bytes += sizes[i];
	}
	if (cur > 0)
		counts[nchunks++] = cur;
	return nchunks;
}

int
fl_bulk_put_meta(struct fl_buf *b, int del, const char *index, const char *id,
                 size_t idlen, uint64_t version)
{
	int r = fl_buf_puts(b, del ? "{\"delete\":{\"_id\":"
	                           : "{\"index\":{\"_id\":");

	r |= fl_json_put_stringn(b, id, idlen);
	r |= fl_buf_puts(b, ",\"_index\":");
	r |= fl_json_put_string(b, index);
	if (version)
		r |= fl_buf_printf(
		    b, ",\"version\":%llu,\"version_type\":\"external_gte\"",
		    (unsigned long long)version);
	r |= fl_buf_puts(b, "}}\n");
	return r < 0 ? -1 : 0;
}

int
fl_bulk_put_action(struct fl_buf *b, int del, const char *index, const char *id,
                   const char *doc, size_t len, uint64_t version)
{
	if (fl_bulk_put_meta(b, del, index, id, strlen(id), version) < 0)
		return -1;
	if (del)
		return 0;
	if (fl_buf_append(b, doc, len) < 0 || fl_buf_putc(b, '\n') < 0)
		return -1;
	return 0;
}

char *
fl_bulk_path(const char *pipeline, int refresh)
{
	char *p, *esc;

	if (!pipeline || !*pipeline)
		return fl_xstrdup(refresh ? "/_bulk?refresh=true" : "/_bulk");
	esc = fl_http_escape(pipeline);
	p = fl_xasprintf("/_bulk?pipeline=%s%s", esc,
	                 refresh ? "&refresh=true" : "");
	free(esc);
	return p;
}

void
fl_bulk_scrub(char *doc, size_t n)
{
	char *p = doc, *end = doc + n;

	while (p < end) {
		char *cr = memchr(p, '\r', (size_t)(end - p));
		char *lf = memchr(p, '\n', (size_t)(end - p));
		char *hit = !cr ? lf : !lf ? cr : cr < lf ? cr : lf;

		if (!hit)
			break;
		*hit = ' ';
		p = hit + 1;
	}
}

enum fl_bulk_class
fl_bulk_classify_status(long status, size_t nactions)
{
	if (status >= 200 && status < 300)
		return FL_BULK_OK;
	if (status == 0 || status == 429 || status == 500 || status == 502 ||
	    status == 503 || status == 504)
		return FL_BULK_RETRY;
	if (status == 413)
		return nactions > 1 ? FL_BULK_SPLIT : FL_BULK_REJECT;
	return FL_BULK_FATAL;
}

/* The string member `key` of o, or NULL. */
static const char *
bulk_str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Class of one item: op name, status, error type and result. */
static enum fl_bulk_class
bulk_item_class(const char *op, int status, const char *type,
                const char *result)
{
	if (type && strcmp(type, "index_not_found_exception") == 0)
		return FL_BULK_FATAL;
	if (status >= 200 && status < 300)
		return FL_BULK_OK;
	if (status == 409 && type &&
	    strcmp(type, "version_conflict_engine_exception") == 0)
		return FL_BULK_STALE;
	if (strcmp(op, "delete") == 0 &&
	    (status == 404 || (result && strcmp(result, "not_found") == 0)))
		return FL_BULK_OK;
	if (status == 429 || status >= 500 ||
	    (type && (strcmp(type, "es_rejected_execution_exception") == 0 ||
	              strcmp(type, "rejected_execution_exception") == 0)))
		return FL_BULK_RETRY;
	return FL_BULK_REJECT;
}

/* Record item i of the response (not OK) into the growing array. */
static void
bulk_item_add(struct fl_bulk_item **items, size_t *n, size_t *cap, size_t pos,
              enum fl_bulk_class cls, int status, const cJSON *res,
              const struct fl_bulk_ref *ref)
{
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(res, "error");
	const char *reason = bulk_str(error, "reason");
	const char *index = ref ? ref->index : bulk_str(res, "_index");
	const char *id = ref ? ref->id : bulk_str(res, "_id");
	struct fl_bulk_item *it;

	*items = fl_xgrow(*items, cap, *n + 1, sizeof(**items));
	it = &(*items)[(*n)++];
	it->pos = pos;
	it->cls = cls;
	it->status = status;
	it->index = fl_xstrdup(index ? index : "");
	it->id = fl_xstrdup(id ? id : "");
	if (reason)
		it->reason = fl_xstrdup(reason);
	else if (cJSON_IsString(error))
		it->reason = fl_xstrdup(error->valuestring);
	else
		it->reason = fl_xasprintf("rejected with status %d", status);
}

/*
 * The action object of one response item, {"<op>": {..., "status": N}}:
 * an object with exactly one member, itself an object whose `status`
 * is an integer HTTP status (100..599), stored in *status. NULL when
 * the item is anything else (its outcome is unknown).
 */
static const cJSON *
bulk_item_result(const cJSON *it, int *status)
{
	const cJSON *res = cJSON_IsObject(it) ? it->child : NULL;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(res, "status");

	if (!res || res->next || !res->string || !cJSON_IsObject(res) ||
	    !cJSON_IsNumber(st) || st->valuedouble < 100 ||
	    st->valuedouble > 599 || st->valuedouble != (double)st->valueint)
		return NULL;
	*status = st->valueint;
	return res;
}

/*
 * Check every item of arr and, when `classify`, record those that are
 * not OK into *items. -1 when an item is malformed (*items then
 * freed).
 */
static int
bulk_items_read(const cJSON *arr, const struct fl_bulk_ref *refs, int classify,
                struct fl_bulk_item **items, size_t *nitems)
{
	const cJSON *it;
	size_t cap = 0, pos = 0;

	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *res, *error;
		const char *type = NULL;
		enum fl_bulk_class cls;
		int status;

		if (!(res = bulk_item_result(it, &status))) {
			fl_bulk_items_free(*items, *nitems);
			*items = NULL;
			*nitems = 0;
			return -1;
		}
		error = cJSON_GetObjectItemCaseSensitive(res, "error");
		if (cJSON_IsObject(error))
			type = bulk_str(error, "type");
		cls = bulk_item_class(res->string, status, type,
		                      bulk_str(res, "result"));
		if (classify && cls != FL_BULK_OK)
			bulk_item_add(items, nitems, &cap, pos, cls, status,
			              res, refs ? &refs[pos] : NULL);
		pos++;
	}
	return 0;
}

int
fl_bulk_parse(const char *body, size_t len, const struct fl_bulk_ref *refs,
              size_t nactions, struct fl_bulk_item **items, size_t *nitems,
              const char **why)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "items");
	int rc = -1;

	*items = NULL;
	*nitems = 0;
	if (!cJSON_IsObject(root))
		*why = "not a JSON object";
	else if (!cJSON_IsBool(errors))
		*why = "no boolean \"errors\"";
	else if (!cJSON_IsArray(arr))
		*why = "no \"items\" array";
	else if ((size_t)cJSON_GetArraySize(arr) != nactions)
		*why = "the item count differs from the action count";
	else if (bulk_items_read(arr, refs, cJSON_IsTrue(errors), items,
	                         nitems) < 0)
		*why = "an item is not {\"<action>\":{\"status\":<HTTP "
		       "status>}}";
	else
		rc = cJSON_IsTrue(errors) ? 1 : 0;
	if (rc >= 0)
		*why = NULL;
	cJSON_Delete(root);
	return rc;
}

void
fl_bulk_items_free(struct fl_bulk_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].index);
		free(items[i].id);
		free(items[i].reason);
	}
	free(items);
}

int
fl_bulk_each(const char *body, size_t len,
             void (*fn)(void *arg, const struct fl_bulk_outcome *o), void *arg)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "items");
	const cJSON *it;
	size_t pos = 0;

	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(root);
		return -1;
	}
	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *res = cJSON_IsObject(it) ? it->child : NULL;
		const cJSON *st =
		    cJSON_GetObjectItemCaseSensitive(res, "status");
		const cJSON *ver =
		    cJSON_GetObjectItemCaseSensitive(res, "_version");
		const cJSON *error =
		    cJSON_GetObjectItemCaseSensitive(res, "error");
		struct fl_bulk_outcome o;

		memset(&o, 0, sizeof(o));
		o.pos = pos++;
		o.action = res && res->string ? res->string : "?";
		o.status = cJSON_IsNumber(st) ? st->valueint : 0;
		o.version =
		    cJSON_IsNumber(ver) ? (long long)ver->valuedouble : -1;
		o.result = bulk_str(res, "result");
		if (cJSON_IsObject(error)) {
			o.error = bulk_str(error, "type");
			o.reason = bulk_str(error, "reason");
		} else if (cJSON_IsString(error)) {
			o.reason = error->valuestring;
		}
		fn(arg, &o);
	}
	cJSON_Delete(root);
	return 0;
}
