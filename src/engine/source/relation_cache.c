/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relation_cache.c - the Relation messages of one replication session
 * (see relation_cache.h).
 */
#include "source/relation_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmem.h"

static struct fl_relcache_entry *
rc_find(const struct fl_relcache *c, uint32_t oid)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid].oid == oid)
			return &c->v[mid];
		if (c->v[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct fl_relcache_entry *
fl_relcache_find(const struct fl_relcache *c, uint32_t oid)
{
	return rc_find(c, oid);
}

static void
rc_entry_free(struct fl_relcache_entry *r)
{
	size_t i;

	free(r->colmap);
	free(r->coltype);
	free(r->colmod);
	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
}

void
fl_relcache_done(struct fl_relcache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		rc_entry_free(&c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void
fl_relcache_new_stream(struct fl_relcache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		c->v[i].resent = 1;
}

/* Is `name` a column of message m / of the cached definition? */
static int
rc_has(const struct fl_pgo_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncols; i++)
		if (!strcmp(m->cols[i].name, name))
			return 1;
	return 0;
}

static int
rc_had(const struct fl_relcache_entry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nnames; i++)
		if (!strcmp(r->names[i], name))
			return 1;
	return 0;
}

/* FNV-1a over a Relation message's definition. */
static uint64_t
rc_sig(const struct fl_pgo_msg *m)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

#define RC_MIX(p, n)                                                  \
	do {                                                          \
		const unsigned char *b_ = (const unsigned char *)(p); \
		size_t k_;                                            \
		for (k_ = 0; k_ < (n); k_++)                          \
			h = (h ^ b_[k_]) * 0x100000001b3ULL;          \
	} while (0)
	RC_MIX(m->nspname, strlen(m->nspname) + 1);
	RC_MIX(m->relname, strlen(m->relname) + 1);
	RC_MIX(&m->replident, 1);
	for (i = 0; i < m->ncols; i++) {
		RC_MIX(&m->cols[i].flags, 1);
		RC_MIX(m->cols[i].name, strlen(m->cols[i].name) + 1);
		RC_MIX(&m->cols[i].type_oid, sizeof(m->cols[i].type_oid));
		RC_MIX(&m->cols[i].typmod, sizeof(m->cols[i].typmod));
	}
#undef RC_MIX
	return h;
}

/* What changed between the cached definition `was` (tracked table
 * `tt`) and message m, for the engine and the log. */
static void
rc_describe(const struct fl_relcache_entry *was, const struct fl_pgo_msg *m,
            const struct fl_track_table *now, char *out, size_t n)
{
	const struct fl_track_table *tt = was->tt;
	size_t i, j, len = 0;

	out[0] = '\0';
	if (tt && !now) {
		snprintf(out, n, "table %s.%s is now %s.%s", tt->schema,
		         tt->table, m->nspname[0] ? m->nspname : "pg_catalog",
		         m->relname);
		return;
	}
	for (i = 0; tt && i < tt->ncols && len + 1 < n; i++) {
		const struct fl_pgo_column *col = NULL;

		for (j = 0; j < m->ncols; j++)
			if (!strcmp(m->cols[j].name, tt->cols[i]))
				col = &m->cols[j];
		if (!col && was->colmap[i] >= 0)
			len += (size_t)snprintf(out + len, n - len,
			                        "%scolumn %s is gone",
			                        len ? "; " : "", tt->cols[i]);
		else if (col && was->colmap[i] >= 0 &&
		         (col->type_oid != was->coltype[i] ||
		          col->typmod != was->colmod[i]))
			len += (size_t)snprintf(out + len, n - len,
			                        "%scolumn %s changed type",
			                        len ? "; " : "", tt->cols[i]);
		else if (col && was->colmap[i] < 0)
			len += (size_t)snprintf(out + len, n - len,
			                        "%scolumn %s is back",
			                        len ? "; " : "", tt->cols[i]);
	}
	if (!out[0]) /* none that a change is resolved by */
		snprintf(out, n, "its definition changed");
}

/* Cache a Relation message, replacing an earlier one for the OID. When
 * it differs from the earlier one and a tracked table is concerned,
 * *changed is that table and why[] says what changed; the first one of
 * a tracked table sets *changed and *first. */
/* Did a column that stays keep its place among the others? One that
 * moved was dropped and added back (its values are new); say which. */
static int
rc_moved(const struct fl_relcache_entry *was, const struct fl_pgo_msg *m,
         char *why, size_t n)
{
	size_t i = 0, j = 0;

	for (;;) { /* both lists restricted to the names they share */
		while (i < was->nnames && !rc_has(m, was->names[i]))
			i++;
		while (j < m->ncols && !rc_had(was, m->cols[j].name))
			j++;
		if (i == was->nnames || j == m->ncols)
			return 0;
		if (strcmp(was->names[i], m->cols[j].name)) {
			size_t len = strlen(why);

			snprintf(why + len, len < n ? n - len : 0,
			         "; column %s was dropped and added back "
			         "(its values are new)",
			         was->names[i]);
			return 1;
		}
		i++;
		j++;
	}
}

void
fl_relcache_put(struct fl_relcache *c, const struct fl_track *track,
                const struct fl_pgo_msg *m,
                const struct fl_track_table **changed, int *first, int *rewrite,
                char *why, size_t nwhy)
{
	const char *nsp = m->nspname[0] ? m->nspname : "pg_catalog";
	struct fl_relcache_entry *r = rc_find(c, m->rel_oid);
	uint64_t sig = rc_sig(m);
	size_t i, j;

	*changed = NULL;
	*first = 0;
	*rewrite = 0;
	if ((!r || (r->resent && r->sig == sig)) &&
	    (*changed = fl_track_find(track, nsp, m->relname))) {
		/* first seen by this process: DDL since the start-up check
		 * shows only here; the same again on a new stream: an event
		 * about it may have been lost with the old one */
		*first = 1;
		snprintf(why, nwhy, "first definition seen");
	} else if (r && r->sig != sig) {
		const struct fl_track_table *now =
		    fl_track_find(track, nsp, m->relname);

		if (r->tt || now) {
			*changed = r->tt ? r->tt : now;
			if (r->tt)
				rc_describe(r, m, now, why, nwhy);
			else
				snprintf(why, nwhy, "a table is now %s.%s", nsp,
				         m->relname);
			*rewrite = r->tt && rc_moved(r, m, why, nwhy);
		}
	}
	if (!r) {
		c->v = fl_xgrow(c->v, &c->cap, c->n + 1, sizeof(*c->v));
		for (i = c->n; i > 0 && c->v[i - 1].oid > m->rel_oid; i--)
			c->v[i] = c->v[i - 1];
		r = &c->v[i];
		c->n++;
	} else {
		rc_entry_free(r);
	}
	memset(r, 0, sizeof(*r));
	r->oid = m->rel_oid;
	r->sig = sig;
	r->tt = fl_track_find(track, nsp, m->relname);
	if (!r->tt)
		return;
	r->names = fl_xcalloc(m->ncols ? m->ncols : 1, sizeof(char *));
	for (i = 0; i < m->ncols; i++)
		r->names[i] = fl_xstrdup(m->cols[i].name);
	r->nnames = m->ncols;
	r->colmap = fl_xcalloc(r->tt->ncols ? r->tt->ncols : 1, sizeof(int));
	r->coltype =
	    fl_xcalloc(r->tt->ncols ? r->tt->ncols : 1, sizeof(uint32_t));
	r->colmod =
	    fl_xcalloc(r->tt->ncols ? r->tt->ncols : 1, sizeof(int32_t));
	for (i = 0; i < r->tt->ncols; i++) {
		r->colmap[i] = -1;
		for (j = 0; j < m->ncols; j++)
			if (strcmp(m->cols[j].name, r->tt->cols[i]) == 0) {
				r->colmap[i] = (int)j;
				r->coltype[i] = m->cols[j].type_oid;
				r->colmod[i] = m->cols[j].typmod;
			}
		if (r->colmap[i] < 0)
			fl_log_warn("capture",
			            "table %s.%s has no column %s in the "
			            "stream",
			            nsp, m->relname, r->tt->cols[i]);
	}
}
