/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_sink.c - the OpenSearch sink's control face (engine-sink.md §2):
 * construction from a sink config, the routing table, ensure_index
 * (§2.4 "Ours" steps 1-9; orphans listed, deleted only by gc),
 * mark_seeded (§2.8), staged rebuilds, cursors, orphan garbage
 * collection.
 *
 * Does not own: the HTTP calls and the meta document (opensearch_api.c),
 * aborting (opensearch_abort.c), bulk writes (opensearch_writer.c), the
 * bulk byte layout (opensearch_bulk.c), names (opensearch_names.c), the
 * creation body (mapping.c), held indexes (opensearch_pending.c).
 *
 * DESIGN
 *   Threads. The control face (ensure_index, save_cursor, mark_seeded,
 *   stage_rebuild, gc, free) is called by one thread at a time and uses
 *   the sink's own HTTP client (s->ctl). Writers run on worker threads,
 *   each with its own client.
 *
 *   Routing. routes[] (grow-only array of route pointers) is the table
 *   logical index -> hash alias, active generation, serving generation.
 *   Every read by a writer and every change is made under s->mu. A
 *   flush takes a snapshot at its start (flushing++) and gives it back at
 *   its end (flushing--). A change raises `changing`, waits until no
 *   flush holds a snapshot, applies, lowers `changing` and broadcasts;
 *   new flushes wait while a change is pending. So a routing change never
 *   splits a flush and, once mark_seeded has switched the routing, no
 *   flush can still write to the generation it is about to drop.
 *
 *   Targets. Live writes go to the serving generation and, while a
 *   rebuild is staged (active != serving), also to the active one (dual
 *   write); seeding writes go to the active generation only.
 *
 *   Ordering. mark_seeded: refresh, settings, compute superseded, swap
 *   the hash alias, the convenience alias (best effort), switch routing,
 *   drop superseded generations, write meta last. A failure at any step
 *   leaves meta unseeded, so seeding is redone (idempotent).
 */
#include "sink/opensearch_sink.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config/value.h"
#include "sink/opensearch_names.h"
#include "sink/opensearch_seen.h"
#include "util/json_write.h"
#include "util/log.h"
#include "util/xmem.h"

#define OS_LOG "opensearch"

/* Create generation `gen` of route rt from its creation body. */
static int
os_create_generation(struct fl_sink_os *s, const struct os_route *rt, long gen,
                     struct fl_err *err)
{
	char *name = fl_osnames_generation(rt->hash_alias, gen);
	struct fl_buf b;
	int rc;

	fl_buf_init(&b, SIZE_MAX);
	fl_val_to_json(rt->body, &b);
	rc = fl_sink_os_create(s, name, fl_buf_str(&b), "index create failed",
	                       err);
	if (rc == FL_SINK_OK)
		fl_log_info(OS_LOG, "created index %s", name);
	fl_buf_done(&b);
	free(name);
	return rc;
}

/* ---- routing ---------------------------------------------------------- */

/* The route of a logical index, or NULL (control thread). */
static struct os_route *
os_route_find(struct fl_sink_os *s, const char *logical)
{
	size_t i;

	for (i = 0; i < s->nroutes; i++)
		if (strcmp(s->routes[i]->logical, logical) == 0)
			return s->routes[i];
	return NULL;
}

/* Free a route that no snapshot can reference any more. */
static void
os_route_free(struct os_route *rt)
{
	if (!rt)
		return;
	free(rt->logical);
	free(rt->hash);
	free(rt->hash_alias);
	free(rt->conv_alias);
	fl_val_free(rt->body);
	free(rt->seeded_at);
	free(rt->cursor);
	free(rt);
}

/* Wait until no flush holds a routing snapshot; returns locked. */
static void
os_change_begin(struct fl_sink_os *s)
{
	pthread_mutex_lock(&s->mu);
	s->changing++;
	while (s->flushing > 0)
		pthread_cond_wait(&s->cv, &s->mu);
}

/* End a routing change: wake waiting flushes. */
static void
os_change_end(struct fl_sink_os *s)
{
	s->changing--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Publish rt in place of the route of the same name (if any). */
static void
os_route_publish(struct fl_sink_os *s, struct os_route *rt)
{
	struct os_route *old = NULL;
	size_t i;

	os_change_begin(s);
	for (i = 0; i < s->nroutes && !old; i++)
		if (strcmp(s->routes[i]->logical, rt->logical) == 0) {
			old = s->routes[i];
			s->routes[i] = rt;
		}
	if (!old) {
		s->routes = fl_xgrow(s->routes, &s->caproutes, s->nroutes + 1,
		                     sizeof(*s->routes));
		s->routes[s->nroutes++] = rt;
	}
	os_change_end(s);
	os_route_free(old);
}

/* Set the generations of rt under the change protocol. */
static void
os_route_set(struct fl_sink_os *s, struct os_route *rt, long active,
             long serving, int seeded)
{
	os_change_begin(s);
	rt->active = active;
	rt->serving = serving;
	rt->seeded = seeded;
	os_change_end(s);
}

/* ---- ensure_index ----------------------------------------------------- */

/* Fill st from rt and the listing of P L _*. */
static void
os_fill_state(struct fl_sink_os *s, const struct os_route *rt,
              const struct fl_sink_os_names *all,
              const struct fl_sink_os_names *orphans,
              struct fl_sink_index_state *st)
{
	struct fl_sink_os_names sup = { 0 };
	char h[FL_OSNAMES_HASH_LEN + 1];
	size_t i;

	st->tracks_seeding = 1;
	st->seeded = rt->seeded;
	st->active_generation = rt->active;
	st->serving_generation = rt->serving;
	st->has_source = rt->has_source;
	st->source = rt->source;
	st->backfill_cursor = rt->cursor ? fl_xstrdup(rt->cursor) : NULL;
	for (i = 0; i < all->n; i++) {
		char *ha = fl_osnames_hash_alias_of(all->v[i]);

		if (ha &&
		    fl_osnames_parse_hash_alias_len(s->prefix, rt->logical, ha,
		                                    strlen(rt->hash), h) &&
		    strcmp(h, rt->hash) != 0 && !fl_sink_os_names_has(&sup, ha))
			fl_sink_os_names_add(&sup, ha);
		free(ha);
	}
	fl_sink_os_names_sort(&sup);
	st->superseded = sup.v;
	st->nsuperseded = sup.n;
	st->orphans = fl_xcalloc(orphans->n + 1, sizeof(char *));
	for (i = 0; i < orphans->n; i++)
		st->orphans[i] = fl_xstrdup(orphans->v[i]);
	st->norphans = orphans->n;
}

/* Generations of rt in `all` that are neither active nor aliased. */
static int
os_orphans(struct fl_sink_os *s, const struct os_route *rt,
           const struct fl_sink_os_names *all, struct fl_sink_os_names *out,
           struct fl_err *err)
{
	struct fl_sink_os_names hold = { 0 }, conv = { 0 };
	size_t i;
	long n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fl_sink_os_alias_holders(s, rt->hash_alias, &hold, err)) !=
	        0 ||
	    (rc = fl_sink_os_alias_holders(s, rt->conv_alias, &conv, err)) !=
	        0) {
		fl_sink_os_names_done(&hold);
		return rc;
	}
	for (i = 0; i < all->n; i++)
		if (fl_osnames_parse_generation(rt->hash_alias, all->v[i],
		                                &n) &&
		    n != rt->active &&
		    !fl_sink_os_names_has(&hold, all->v[i]) &&
		    !fl_sink_os_names_has(&conv, all->v[i]))
			fl_sink_os_names_add(out, all->v[i]);
	fl_sink_os_names_done(&hold);
	fl_sink_os_names_done(&conv);
	return FL_SINK_OK;
}

/* Steps 2-3: the target generation from meta, created if missing. */
static int
os_ensure_generation(struct fl_sink_os *s, struct os_route *rt,
                     const struct fl_sink_os_names *all, struct fl_err *err)
{
	long next = fl_osnames_next_generation(rt->hash_alias, all->v, all->n);
	char *gen;
	int exists = 0, rc;

	if ((rc = fl_sink_os_meta_get(s, rt, err)) != FL_SINK_OK)
		return rc;
	if (rt->active < 1) {
		rt->active = next;
		rt->seeded = 0;
	}
	gen = fl_osnames_generation(rt->hash_alias, rt->active);
	rc = fl_sink_os_exists(s, gen, &exists, err);
	if (rc == FL_SINK_OK && !exists && rt->seeded) {
		fl_log_warn(OS_LOG,
		            "meta says %s is seeded but the index is gone; "
		            "seeding a new generation",
		            gen);
		rt->active = next > rt->active ? next : rt->active + 1;
		rt->seeded = 0;
		free(rt->cursor);
		rt->cursor = NULL;
	}
	free(gen);
	if (rc == FL_SINK_OK && !exists)
		rc = os_create_generation(s, rt, rt->active, err);
	return rc;
}

/* Steps 6-7: aliases to the active generation when allowed. */
static int
os_ensure_aliases(struct fl_sink_os *s, struct os_route *rt, struct fl_err *err)
{
	char *gen = fl_osnames_generation(rt->hash_alias, rt->active);
	struct fl_sink_os_names hold = { 0 };
	struct fl_err werr;
	size_t i;
	int rc;

	rc = fl_sink_os_alias_holders(s, rt->hash_alias, &hold, err);
	if (rc == FL_SINK_OK && (rt->seeded || hold.n == 0)) {
		rc = fl_sink_os_point_alias(s, rt->hash_alias, gen, err);
		rt->serving = rt->active;
	} else if (rc == FL_SINK_OK) {
		for (i = 0; i < hold.n && !rt->serving; i++)
			fl_osnames_parse_generation(rt->hash_alias, hold.v[i],
			                            &rt->serving);
	}
	fl_sink_os_names_done(&hold);
	if (rc == FL_SINK_OK &&
	    fl_sink_os_alias_holders(s, rt->conv_alias, &hold, &werr) ==
	        FL_SINK_OK &&
	    (rt->seeded || hold.n == 0) &&
	    fl_sink_os_point_alias(s, rt->conv_alias, gen, &werr) != FL_SINK_OK)
		fl_log_warn(OS_LOG, "convenience alias %s not moved: %s",
		            rt->conv_alias, werr.msg);
	fl_sink_os_names_done(&hold);
	free(gen);
	return rc;
}

/* ensure_index: §2.4 "Ours" steps 1-9 (orphans listed only). */
static int
os_ensure_index(struct fl_sink *base, const struct fl_sink_index_def *def,
                struct fl_sink_index_state *st, struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	struct os_route *rt = fl_xcalloc(1, sizeof(*rt));
	struct fl_sink_os_names all = { 0 }, orphans = { 0 };
	char *pattern;
	int rc;

	memset(st, 0, sizeof(*st));
	st->tracks_seeding = 1;
	rt->logical = fl_xstrdup(def->name);
	rt->hash = fl_xstrdup(def->hash);
	rt->hash_alias = fl_osnames_hash_alias(s->prefix, def->name, def->hash);
	rt->conv_alias = fl_osnames_convenience(s->prefix, def->name);
	rt->body = fl_val_copy(def->body);
	pattern = fl_xasprintf("%s_*", rt->conv_alias);
	if ((rc = fl_sink_os_meta_index(s, err)) == FL_SINK_OK &&
	    (rc = fl_sink_os_list(s, pattern, &all, err)) == FL_SINK_OK &&
	    (rc = os_ensure_generation(s, rt, &all, err)) == FL_SINK_OK &&
	    (rt->seeded || (rc = fl_sink_os_meta_put(s, rt, rt->active, 0,
	                                             err)) == FL_SINK_OK) &&
	    (rc = os_ensure_aliases(s, rt, err)) == FL_SINK_OK)
		rc = os_orphans(s, rt, &all, &orphans, err);
	free(pattern);
	if (rc == FL_SINK_OK) {
		os_fill_state(s, rt, &all, &orphans, st);
		os_route_publish(s, rt);
	} else {
		os_route_free(rt);
	}
	fl_sink_os_names_done(&all);
	fl_sink_os_names_done(&orphans);
	return rc;
}

/* ---- seeding, rebuilds, garbage -------------------------------------- */

/* The route of index for a control call, or an error. */
static struct os_route *
os_route_need(struct fl_sink_os *s, const char *index, const char *what,
              struct fl_err *err)
{
	struct os_route *rt = os_route_find(s, index);

	if (!rt)
		fl_err_set(err, FL_ERR_SINK,
		           "cannot %s %s: it has no active generation "
		           "(ensure_index not run?)",
		           what, index);
	return rt;
}

/* save_cursor: record the seeding cursor in meta. */
static int
os_save_cursor(struct fl_sink *base, const char *index, const char *cursor,
               struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	struct os_route *rt =
	    os_route_need(s, index, "save the cursor of", err);

	if (!rt)
		return FL_SINK_PERMANENT;
	free(rt->cursor);
	rt->cursor = cursor ? fl_xstrdup(cursor) : NULL;
	return fl_sink_os_meta_put(s, rt, rt->active, rt->seeded, err);
}

/* Step 4 of mark_seeded: holders of the hash alias other than gen. */
static int
os_superseded_gens(struct fl_sink_os *s, const struct os_route *rt,
                   const char *gen, struct fl_sink_os_names *out,
                   struct fl_err *err)
{
	struct fl_sink_os_names hold;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fl_sink_os_alias_holders(s, rt->hash_alias, &hold, err)) != 0)
		return rc;
	for (i = 0; i < hold.n; i++)
		if (strcmp(hold.v[i], gen) != 0 &&
		    fl_osnames_parse_generation(rt->hash_alias, hold.v[i],
		                                NULL))
			fl_sink_os_names_add(out, hold.v[i]);
	fl_sink_os_names_done(&hold);
	return FL_SINK_OK;
}

/* Steps 2-3 of mark_seeded: refresh, then the configured interval. */
static int
os_seal(struct fl_sink_os *s, const char *gen, struct fl_err *err)
{
	char *path = fl_xasprintf("/%s/_refresh", gen);
	struct fl_buf b;
	int rc;

	rc = fl_sink_os_simple(s, "POST", path, NULL, 0, "refresh failed", err);
	free(path);
	if (rc != FL_SINK_OK)
		return rc;
	fl_buf_init(&b, SIZE_MAX);
	fl_buf_puts(&b, "{\"index\":{\"refresh_interval\":");
	fl_json_put_string(&b, s->refresh_interval);
	fl_buf_puts(&b, "}}");
	path = fl_xasprintf("/%s/_settings", gen);
	rc = fl_sink_os_simple(s, "PUT", path, fl_buf_str(&b), 0,
	                       "restore refresh failed", err);
	free(path);
	fl_buf_done(&b);
	return rc;
}

/* mark_seeded: §2.8 steps in order; meta written last. */
static int
os_mark_seeded(struct fl_sink *base, const char *index,
               const struct fl_source_identity *id, struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	struct os_route *rt = os_route_need(s, index, "mark", err);
	struct fl_sink_os_names sup = { 0 };
	struct fl_err werr;
	char *gen, *path, stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	int rc;

	if (!rt)
		return FL_SINK_PERMANENT;
	gen = fl_osnames_generation(rt->hash_alias, rt->active);
	if ((rc = os_seal(s, gen, err)) != FL_SINK_OK ||
	    (rc = os_superseded_gens(s, rt, gen, &sup, err)) != FL_SINK_OK ||
	    (rc = fl_sink_os_point_alias(s, rt->hash_alias, gen, err)) !=
	        FL_SINK_OK)
		goto out;
	if (fl_sink_os_point_alias(s, rt->conv_alias, gen, &werr) != FL_SINK_OK)
		fl_log_warn(OS_LOG, "convenience alias %s not moved: %s",
		            rt->conv_alias, werr.msg);
	/* dual write ends here: no flush targets the dropped ones after */
	os_route_set(s, rt, rt->active, rt->active, rt->seeded);
	for (i = 0; i < sup.n && rc == FL_SINK_OK; i++) {
		path = fl_xasprintf("/%s", sup.v[i]);
		rc = fl_sink_os_simple(s, "DELETE", path, NULL, 1,
		                       "index delete failed", err);
		free(path);
		if (rc == FL_SINK_OK)
			fl_log_info(OS_LOG, "dropped superseded generation %s",
			            sup.v[i]);
	}
	if (rc != FL_SINK_OK)
		goto out;
	if (id) {
		rt->source = *id;
		rt->has_source = 1;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	free(rt->seeded_at);
	rt->seeded_at = fl_xstrdup(stamp);
	free(rt->cursor);
	rt->cursor = NULL;
	if ((rc = fl_sink_os_meta_put(s, rt, rt->active, 1, err)) == FL_SINK_OK)
		os_route_set(s, rt, rt->active, rt->active, 1);
out:
	fl_sink_os_names_done(&sup);
	free(gen);
	return rc;
}

/* stage_rebuild: reuse a staged generation or create the next one and start dual writes. */
static int
os_stage_rebuild(struct fl_sink *base, const char *index, long *generation,
                 struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	struct os_route *rt =
	    os_route_need(s, index, "stage a rebuild of", err);
	struct fl_sink_os_names all;
	char *pattern;
	long next;
	int rc;

	if (!rt)
		return FL_SINK_PERMANENT;
	if (!rt->seeded && rt->serving && rt->active != rt->serving) {
		/* coalesce: reuse the staged generation, restart seeding */
		free(rt->cursor);
		rt->cursor = NULL;
		*generation = rt->active;
		return fl_sink_os_meta_put(s, rt, rt->active, 0, err);
	}
	pattern = fl_xasprintf("%s_*", rt->hash_alias);
	rc = fl_sink_os_list(s, pattern, &all, err);
	free(pattern);
	if (rc != FL_SINK_OK)
		return rc;
	next = fl_osnames_next_generation(rt->hash_alias, all.v, all.n);
	fl_sink_os_names_done(&all);
	if (next <= rt->active)
		next = rt->active + 1;
	if (next <= rt->serving)
		next = rt->serving + 1;
	free(rt->cursor);
	rt->cursor = NULL;
	if ((rc = fl_sink_os_meta_put(s, rt, next, 0, err)) != FL_SINK_OK ||
	    (rc = os_create_generation(s, rt, next, err)) != FL_SINK_OK)
		return rc;
	os_route_set(s, rt, next, rt->serving ? rt->serving : rt->active, 0);
	*generation = next;
	fl_log_info(OS_LOG, "staged rebuild of %s into generation %ld", index,
	            next);
	return FL_SINK_OK;
}

/* gc: delete the generations of the hash that nothing uses. */
static int
os_gc(struct fl_sink *base, const char *index, int *deleted, struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	struct os_route *rt =
	    os_route_need(s, index, "collect garbage of", err);
	struct fl_sink_os_names all, orphans = { 0 };
	char *pattern, *path;
	size_t i;
	int rc;

	*deleted = 0;
	if (!rt)
		return FL_SINK_PERMANENT;
	pattern = fl_xasprintf("%s_*", rt->hash_alias);
	rc = fl_sink_os_list(s, pattern, &all, err);
	free(pattern);
	if (rc == FL_SINK_OK)
		rc = os_orphans(s, rt, &all, &orphans, err);
	for (i = 0; i < orphans.n && rc == FL_SINK_OK; i++) {
		path = fl_xasprintf("/%s", orphans.v[i]);
		rc = fl_sink_os_simple(s, "DELETE", path, NULL, 1,
		                       "index delete failed", err);
		free(path);
		if (rc == FL_SINK_OK) {
			fl_log_info(OS_LOG, "deleted orphan generation %s",
			            orphans.v[i]);
			(*deleted)++;
		}
	}
	fl_sink_os_names_done(&all);
	fl_sink_os_names_done(&orphans);
	return rc;
}

/* count_docs: _count of the convenience alias, one attempt on its own
 * client with a short timeout (informational: the status board). */
static int
os_count_docs(struct fl_sink *base, const char *index, long long *n,
              struct fl_err *err)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	char *alias = fl_osnames_convenience(s->prefix, index);
	char *esc = fl_http_escape(alias);
	char *path = fl_xasprintf("/%s/_count", esc);
	struct fl_http_req r;
	const cJSON *c;
	cJSON *doc = NULL;
	int rc = FL_SINK_OK;

	*n = -1;
	if (!s->count) {
		struct fl_http_cfg cfg = s->http;

		cfg.parallel = 1;
		if (cfg.timeout_secs <= 0 || cfg.timeout_secs > 5)
			cfg.timeout_secs = 5;
		if ((s->count = fl_http_new(&cfg, err)))
			fl_sink_os_client_add(s, s->count);
	}
	fl_http_req_init(&r);
	r.method = "GET";
	r.path = path;
	if (!s->count) {
		rc = FL_SINK_PERMANENT;
	} else if (fl_http_do(s->count, &r) < 0 || r.status == 429 ||
	           r.status >= 500) {
		fl_err_set(err, FL_ERR_SINK, "count of %s: %s", alias,
		           r.status ? "busy" : r.error);
		rc = FL_SINK_TRANSIENT;
	} else if (r.status < 200 || r.status >= 300) {
		rc = fl_sink_os_status_error(&r, "count failed", err);
	} else if (!cJSON_IsNumber(
	               c = cJSON_GetObjectItemCaseSensitive(
	                   doc = cJSON_ParseWithLength(r.resp.data, r.resp.len),
	                   "count"))) {
		fl_err_set(err, FL_ERR_SINK, "count of %s: unreadable answer",
		           alias);
		rc = FL_SINK_PERMANENT;
	} else {
		*n = (long long)c->valuedouble;
	}
	cJSON_Delete(doc);
	fl_http_req_done(&r);
	free(path);
	free(esc);
	free(alias);
	return rc;
}

/* nodes: the node pool of the sink's url list. */
static void
os_nodes(struct fl_sink *base, fl_sink_nodes_fn fn, void *arg)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	struct fl_node_state v[FL_NODE_POOL_MAX];
	size_t n = fl_node_pool_snapshot(s->conn.pool, v, FL_NODE_POOL_MAX);

	fn(arg, s->base.name, v, n);
}

/* ---- construction ----------------------------------------------------- */

/* Free the sink (its writers must be freed first). */
static void
os_free(struct fl_sink *base)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	size_t i;

	if (!s)
		return;
	fl_sink_os_refresh_done(s);
	for (i = 0; i < s->nroutes; i++)
		os_route_free(s->routes[i]);
	free(s->routes);
	fl_http_free(s->ctl);
	fl_http_free(s->count);
	free(s->clients);
	free(s->url);
	fl_sink_conn_done(&s->conn);
	free(s->prefix);
	free(s->meta_index);
	free(s->pending_index);
	free(s->bulk_path);
	free(s->refresh_interval);
	free(s->base.name);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

static const struct fl_sink_ops os_ops = {
	.ensure_index = os_ensure_index,
	.save_cursor = os_save_cursor,
	.mark_seeded = os_mark_seeded,
	.stage_rebuild = os_stage_rebuild,
	.gc = os_gc,
	.writer_new = fl_sink_os_writer_new,
	.free = os_free,
	.hold_load = fl_sink_os_hold_load,
	.hold_save = fl_sink_os_hold_save,
	.pending_page = fl_sink_os_pending_page,
	.pending_remove = fl_sink_os_pending_remove,
	.pending_count = fl_sink_os_pending_count,
	.count_docs = os_count_docs,
	.set_abort = fl_sink_os_set_abort,
	.nodes = os_nodes,
};

void
fl_sink_os_tune(struct fl_sink *base, const struct fl_sink_os_tuning *t)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;

	if (!base || base->ops != &os_ops)
		return;
	s->tune.parallel = t->parallel < 1    ? 1
	                   : t->parallel > 16 ? 16
	                                      : t->parallel;
	s->tune.gzip = t->gzip;
	s->tune.max_send_bps = t->max_send_bps;
	s->http.parallel = s->tune.parallel;
}

void
fl_sink_os_set_refresh(struct fl_sink *base, long period_ms)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;

	if (!base || base->ops != &os_ops)
		return;
	fl_sink_os_refresh_done(s);
	fl_sink_os_refresh_init(s, period_ms < 0       ? 0
	                           : period_ms > 60000 ? 60000
	                                               : period_ms);
}

void
fl_sink_os_set_skip(struct fl_sink *base, long max_ids)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;

	if (!base || base->ops != &os_ops)
		return;
	s->seen_max = max_ids < 0          ? 0
	              : max_ids > 10000000 ? 10000000
	                                   : (size_t)max_ids;
}

void
fl_sink_os_refresh_count(struct fl_sink *base, uint64_t *refreshes,
                         uint64_t *failures)
{
	*refreshes = *failures = 0;
	if (base && base->ops == &os_ops)
		fl_sink_os_refresh_stats((struct fl_sink_os *)base, refreshes,
		                         failures);
}

/* Trim and check a runtime URL (config.md §2.3); caller frees. */
static char *
os_check_url(const char *raw, struct fl_err *err)
{
	size_t b = 0, e = strlen(raw), i;
	char *u;

	while (b < e && (raw[b] == ' ' || raw[b] == '\t' || raw[b] == '\n'))
		b++;
	while (e > b && (raw[e - 1] == ' ' || raw[e - 1] == '\t' ||
	                 raw[e - 1] == '\n' || raw[e - 1] == '\r'))
		e--;
	u = fl_xstrndup(raw + b, e - b);
	for (i = 0; u[i]; i++)
		if (u[i] == ' ' || u[i] == '\t' || u[i] == '\r' || u[i] == '\n')
			break;
	if (u[i] ||
	    (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
	    strlen(u) == (u[4] == 's' ? 8u : 7u)) {
		fl_err_set(err, FL_ERR_CONFIG, "invalid HTTP URL: %s", u);
		free(u);
		return NULL;
	}
	while (strlen(u) > 8 && u[strlen(u) - 1] == '/')
		u[strlen(u) - 1] = '\0';
	return u;
}

struct fl_sink *
fl_sink_os_new(const struct fl_sink_cfg *cfg, const char *prefix,
               struct fl_err *err)
{
	struct fl_sink_os *s;
	struct fl_sink_conn conn;
	char *url = NULL;
	size_t i;

	if (fl_sink_conn_init(&conn, cfg, err) < 0)
		return NULL;
	/* every node's URL must be valid; the first one is http.url */
	for (i = fl_node_pool_count(conn.pool); i-- > 0;) {
		if (!(url =
		          os_check_url(fl_node_pool_url(conn.pool, i), err))) {
			fl_sink_conn_done(&conn);
			return NULL;
		}
		if (i)
			free(url);
	}
	s = fl_xcalloc(1, sizeof(*s));
	s->base.ops = &os_ops;
	s->base.name = fl_xstrdup(cfg->name);
	s->base.type = "opensearch";
	s->url = url;
	s->conn = conn; /* moved: point the signing keys at the copy */
	s->conn.http.sigv4 = conn.http.sigv4 ? &s->conn.sigv4 : NULL;
	s->http = s->conn.http;
	s->http.url = s->url;
	s->http.parallel = FL_SINK_OS_PARALLEL;
	s->tune.parallel = FL_SINK_OS_PARALLEL;
	s->tune.gzip = 0;
	s->prefix = fl_xstrdup(prefix ? prefix : "");
	s->meta_index = fl_osnames_meta_index(s->prefix);
	s->pending_index = fl_osnames_pending_index(s->prefix);
	atomic_init(&s->pending_ready, 0);
	s->bulk_path = fl_bulk_path(cfg->pipeline, 0);
	s->refresh_interval =
	    fl_xstrdup(cfg->refresh_interval ? cfg->refresh_interval : "10s");
	s->batch_size = cfg->batch_size > 0 ? cfg->batch_size : 1000;
	s->max_bytes = cfg->max_bytes > 0 ? cfg->max_bytes : 10485760;
	s->max_retries = cfg->max_retries >= 0 ? cfg->max_retries : 3;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	fl_sink_os_refresh_init(s, cfg->refresh_period_ms >= 0
	                               ? cfg->refresh_period_ms
	                               : FL_CFG_REFRESH_PERIOD_MS);
	s->seen_max = cfg->skip_identical_ids >= 0
	                  ? (size_t)cfg->skip_identical_ids
	                  : FL_CFG_SKIP_IDENTICAL_IDS;
	if (!cfg->tls_verify)
		fl_log_warn(OS_LOG,
		            "sink %s: tls_verify is false: certificates and "
		            "host names are not checked",
		            cfg->name);
	return &s->base;
}
