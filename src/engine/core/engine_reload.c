/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_reload.c - `reload`: the configuration and the schemas read
 * again without ending the process.
 *
 * DESIGN
 *   The command (control thread) asks the caller's loader for a new
 *   configuration (the same file and overrides); an invalid one is
 *   refused as a whole and the running one stays. The new one is
 *   compared with the running one index by index (schema hash, enabled,
 *   failure policy) and for the settings that cannot change while
 *   running (the source connection, the prefix, the listener addresses:
 *   named in the answer, the running values stay; slot and publication
 *   come from flags, never from the file). Nothing changed: answered,
 *   nothing restarts. Otherwise the answer lists what changes, and the
 *   pipeline restarts in-process on the new configuration (stop at a
 *   batch boundary, teardown, start: engine.c): the HTTP surfaces, the
 *   board and the process stay; unconfirmed changes are redelivered by
 *   the new stream (at-least-once, as after any restart). What the
 *   start-up sequence then does is what makes each case right:
 *     - an unchanged index keeps its generation, its hold and its
 *       pending set (stored in OpenSearch); its board row keeps its
 *       counters;
 *     - a new index is created and seeded alongside live sync; one
 *       that was seeded before (enabled again, added back) missed the
 *       changes made while it was off: rebuilt into a new generation;
 *     - a changed schema has a new hash: a new hash alias whose first
 *       generation is seeded alongside live sync, the convenience alias
 *       swapped when seeded (the old hash alias is then superseded);
 *     - a removed or disabled index is no longer synced; its
 *       generations stay until `gc`.
 *   Ownership: the loader's configurations belong to the engine and
 *   are all kept until the engine is freed (a replaced one may still be
 *   borrowed: the caller's own, a command in flight); a reload is rare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema_hash.h"
#include "core/engine_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

static int
rl_streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int
rl_secret_eq(const struct fl_secret *a, const struct fl_secret *b)
{
	return a->kind == b->kind && rl_streq(a->value, b->value);
}

static int
rl_source_eq(const struct fl_source *a, const struct fl_source *b)
{
	return a->conn == b->conn && rl_streq(a->url, b->url) &&
	       rl_streq(a->url_env, b->url_env) && rl_streq(a->host, b->host) &&
	       a->port == b->port && rl_streq(a->user, b->user) &&
	       rl_secret_eq(&a->password, &b->password) &&
	       rl_streq(a->database, b->database) &&
	       a->manage_publication == b->manage_publication;
}

static int
rl_sink_eq(const struct fl_sink_cfg *a, const struct fl_sink_cfg *b)
{
	return rl_streq(a->name, b->name) && a->type == b->type &&
	       rl_secret_eq(&a->url, &b->url) &&
	       rl_secret_eq(&a->username, &b->username) &&
	       rl_secret_eq(&a->password, &b->password) &&
	       a->tls_verify == b->tls_verify &&
	       a->batch_size == b->batch_size && a->max_bytes == b->max_bytes &&
	       a->timeout_secs == b->timeout_secs &&
	       a->max_retries == b->max_retries &&
	       rl_streq(a->pipeline, b->pipeline) &&
	       a->number_of_shards == b->number_of_shards &&
	       a->number_of_replicas == b->number_of_replicas &&
	       rl_streq(a->refresh_interval, b->refresh_interval) &&
	       a->text_analysis == b->text_analysis &&
	       a->auto_subfields == b->auto_subfields &&
	       a->refresh_period_ms == b->refresh_period_ms &&
	       a->skip_identical_ids == b->skip_identical_ids &&
	       a->pretty == b->pretty && rl_streq(a->ca_file, b->ca_file) &&
	       rl_streq(a->client_cert, b->client_cert) &&
	       rl_streq(a->client_key, b->client_key) && a->auth == b->auth &&
	       rl_streq(a->region, b->region) &&
	       rl_streq(a->service, b->service);
}

static int
rl_sinks_eq(const struct fl_config *a, const struct fl_config *b)
{
	size_t i;

	if (a->nsinks != b->nsinks)
		return 0;
	for (i = 0; i < a->nsinks; i++)
		if (!rl_sink_eq(&a->sinks[i], &b->sinks[i]))
			return 0;
	return 1;
}

/* The schema hash of an enabled index, "" when disabled. */
static void
rl_hash(const struct fl_config *c, const struct fl_index_cfg *x, char out[17])
{
	out[0] = '\0';
	if (x && x->enabled && x->schema)
		fl_config_index_hash(c, x, out);
}

/* "a; b; c": one more part of an answer. */
static void
rl_say(struct fl_buf *b, int *n, const char *what, const char *name)
{
	fl_buf_puts(b, (*n)++ ? "; " : "");
	fl_buf_puts(b, name);
	fl_buf_puts(b, what);
}

/* The indexes a reload turns on (see eng_reload_fresh). */
struct rl_on {
	char name[FL_MAX_INDEXES][64];
	size_t n;
};

/* What changes from `old` to `cfg`, as a sentence; the number of index
 * changes in *nix, the indexes turned on in *on. Settings that cannot
 * change live (against `run`, the configuration the engine started
 * with) go to `fixed`. */
static void
rl_diff(const struct fl_config *old, const struct fl_config *run,
        const struct fl_config *cfg, struct fl_buf *b, int *nix,
        struct fl_buf *fixed, struct rl_on *on)
{
	int n = 0, nf = 0;
	size_t i;

	on->n = 0;

	for (i = 0; i < cfg->nindexes; i++) {
		const struct fl_index_cfg *x = &cfg->indexes[i];
		const struct fl_index_cfg *was = fl_config_index(old, x->name);
		char h0[17], h1[17];

		rl_hash(old, was, h0);
		rl_hash(cfg, x, h1);
		if (((!was && x->enabled) || (h1[0] && !h0[0])) &&
		    on->n < FL_MAX_INDEXES)
			fl_str_copy(on->name[on->n++], sizeof(on->name[0]),
			            x->name);
		if (!was && x->enabled)
			rl_say(b, &n, " added: seeding", x->name);
		else if (!was || !strcmp(h0, h1)) {
			if (was && fl_config_policy(old, was) !=
			               fl_config_policy(cfg, x))
				rl_say(b, &n, ": new on_error", x->name);
		} else if (!x->enabled)
			rl_say(b, &n,
			       " disabled: no longer synced, its "
			       "generations stay until `gc`",
			       x->name);
		else if (!h0[0])
			rl_say(b, &n, " enabled: seeding", x->name);
		else
			rl_say(b, &n,
			       " changed: a new generation is built "
			       "alongside live sync",
			       x->name);
	}
	for (i = 0; i < old->nindexes; i++)
		if (!fl_config_index(cfg, old->indexes[i].name) &&
		    old->indexes[i].enabled)
			rl_say(b, &n,
			       " removed: no longer synced, its generations "
			       "stay until `gc`",
			       old->indexes[i].name);
	if (!rl_sinks_eq(old, cfg))
		rl_say(b, &n, " changed: applied", "sinks");
	*nix = n;
	if (!rl_source_eq(&run->source, &cfg->source))
		rl_say(fixed, &nf, "", "source");
	if (!rl_streq(run->prefix, cfg->prefix))
		rl_say(fixed, &nf, "", "prefix");
	if (!rl_streq(run->public_address, cfg->public_address))
		rl_say(fixed, &nf, "", "public_address");
	if (!rl_streq(run->private_address, cfg->private_address))
		rl_say(fixed, &nf, "", "private_address");
}

static int
rl_listed(const struct fl_engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nreload_on; i++)
		if (!strcmp(e->reload_on[i], name))
			return 1;
	return 0;
}

void
eng_cmd_reload(struct fl_engine *e, struct eng_cmd *c)
{
	const struct fl_config *old;
	struct fl_config *cfg;
	struct fl_buf what, fixed;
	struct rl_on on;
	char why[512];
	size_t i;
	int nix;

	if (!e->o.reload) {
		eng_reply(e, c, 409, "reload is not available here");
		return;
	}
	why[0] = '\0';
	if (!(cfg = e->o.reload(e->o.reload_arg, why, sizeof(why)))) {
		fl_log_error("engine",
		             "reload refused: %s; the running configuration "
		             "stays",
		             why);
		eng_reply(e, c, 400,
		          "reload refused: %s; the running configuration "
		          "stays",
		          why);
		return;
	}
	fl_buf_init(&what, 4096);
	fl_buf_init(&fixed, 1024);
	pthread_mutex_lock(&e->mu); /* a reload not applied yet is the base */
	old = e->reload_next ? e->reload_next : e->o.cfg;
	rl_diff(old, e->cfg0, cfg, &what, &nix, &fixed, &on);
	pthread_mutex_unlock(&e->mu);
	if (fixed.len) { /* the running values stay (the prefix is used) */
		free(cfg->prefix);
		cfg->prefix = fl_xstrdup(e->cfg0->prefix);
	}
	if (!nix) {
		fl_log_info("engine", "reload: nothing to change%s%s",
		            fixed.len ? "; needs a restart to apply: " : "",
		            fl_buf_str(&fixed));
		eng_reply(e, c, 200, "reloaded: nothing to change%s%s",
		          fixed.len ? "; needs a restart to apply: " : "",
		          fl_buf_str(&fixed));
		fl_config_free(cfg);
	} else {
		fl_log_info("engine", "reload: %s%s%s", fl_buf_str(&what),
		            fixed.len ? "; needs a restart to apply: " : "",
		            fl_buf_str(&fixed));
		fl_board_event(e->board, FL_LOG_INFO, "reload: %s",
		               fl_buf_str(&what));
		pthread_mutex_lock(&e->mu);
		fl_config_free(e->reload_next); /* a reload not applied yet */
		e->reload_next = cfg;
		pthread_mutex_unlock(&e->mu);
		/* against the one not applied yet: keep what it turned on */
		for (i = 0; i < on.n && e->nreload_on < FL_MAX_INDEXES; i++)
			if (!rl_listed(e, on.name[i]))
				memcpy(e->reload_on[e->nreload_on++],
				       on.name[i], sizeof(on.name[0]));
		eng_reply(e, c, 202, "reloading: %s%s%s", fl_buf_str(&what),
		          fixed.len ? "; needs a restart to apply: " : "",
		          fl_buf_str(&fixed));
		/* the pipeline restarts on it (engine.c); a failed one
		 * waiting for `retry` sees it pending */
		if (!e->waiting_retry)
			atomic_store(&e->stop, 1);
		eng_poke(e);
	}
	fl_buf_done(&what);
	fl_buf_done(&fixed);
}

int
eng_reload_pending(struct fl_engine *e)
{
	int r;

	pthread_mutex_lock(&e->mu);
	r = e->reload_next != NULL;
	pthread_mutex_unlock(&e->mu);
	return r;
}

void
eng_reload_apply(struct fl_engine *e)
{
	struct fl_config *cfg;

	pthread_mutex_lock(&e->mu);
	cfg = e->reload_next;
	e->reload_next = NULL;
	pthread_mutex_unlock(&e->mu);
	if (!cfg)
		return;
	e->owned_cfgs = fl_xrealloc(e->owned_cfgs, (e->nowned_cfgs + 1) *
	                                               sizeof(*e->owned_cfgs));
	e->owned_cfgs[e->nowned_cfgs++] = cfg;
	pthread_mutex_lock(&e->mu); /* fl_engine_config reads it */
	e->o.cfg = cfg;
	pthread_mutex_unlock(&e->mu);
	eng_board_init(e);
	fl_log_info("engine", "reload: starting the pipeline on %s", cfg->path);
}

void
eng_reload_fresh(struct fl_engine *e)
{
	size_t i;

	for (i = 0; i < e->nreload_on && !atomic_load(&e->stop); i++) {
		int ix = eng_index_no(e, e->reload_on[i]);
		struct eng_index *x = ix >= 0 ? &e->ix[ix] : NULL;
		struct fl_err err;
		long gen;

		/* an index off in the running configuration and seeded
		 * before (enabled again, added back) missed the changes made
		 * meanwhile: a new generation alongside live sync */
		if (!x || !atomic_load(&x->ensured) || !x->st.seeded ||
		    !x->st.tracks_seeding)
			continue;
		if (eng_stage_rebuild(e, ix,
		                      "enabled by a reload: it missed the "
		                      "changes made while it was off",
		                      0, &gen, &err, -1) < 0 &&
		    !atomic_load(&e->stop))
			fl_log_error("engine", "staging a rebuild of %s: %s",
			             e->reload_on[i], err.msg);
	}
	e->nreload_on = 0;
}

void
eng_reload_free(struct fl_engine *e)
{
	size_t i;

	for (i = 0; i < e->nowned_cfgs; i++)
		fl_config_free(e->owned_cfgs[i]);
	free(e->owned_cfgs);
	e->owned_cfgs = NULL;
	e->nowned_cfgs = 0;
	fl_config_free(e->reload_next);
	e->reload_next = NULL;
}
