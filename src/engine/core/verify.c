/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify.c - compare an index's documents in every OpenSearch sink with
 * what PostgreSQL builds now (see verify.h).
 *
 * DESIGN
 *   Pass 1 pages the root keys in key order (VF_PAGE per page), builds
 *   the page's documents once, and for each sink reads the stored ones
 *   with _mget (realtime): absent -> missing, not equal -> different
 *   (json_diff names the first differing path). Nothing of a page is
 *   kept but its differences.
 *   Pass 2 (full mode only) looks for extra documents: stored, but no
 *   root row produces them (a tombstone outcome). Pass 1 counted the
 *   stored documents it accounted for (found_live); when the sink's
 *   _count (after a _refresh) equals it, there is nothing else stored
 *   and the pass is skipped. Otherwise every stored id is scrolled
 *   (ids only) and each page is built: a tombstone outcome is an extra.
 *   A deletion racing the check can hide an extra until the next run.
 *   Ids that cannot be keys of the root table (text in an integer key)
 *   are built one by one and count as extras.
 *   Recheck: a difference is first pending (at most VF_PENDING_MAX per
 *   sink); a full list, and the end of the run, re-read the pending ids
 *   on both sides `recheck` times, 1 s apart, and what still differs
 *   after the last round counts. So memory is bounded by VF_PAGE,
 *   VF_PENDING_MAX and the item limit, whatever the index size.
 *   Counts are exact; the item list stops at the limit (truncated).
 */
#include "core/verify.h"

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "config/schema_hash.h"
#include "core/verify_int.h"
#include "docs/doc_build.h"
#include "sink/opensearch_names.h"
#include "source/pg_conn.h"
#include "util/clock.h"
#include "util/json_diff.h"
#include "util/xmem.h"

#define VF_PAGE        1000  /* root keys (or stored ids) per page */
#define VF_PENDING_MAX 20000 /* differences waiting for a recheck, per sink */
#define VF_PATH_MAX    256

struct vf_sinkrun {
	struct vf_os os;
	size_t k;          /* index into report->sinks */
	size_t found_live; /* stored documents pass 1 accounted for */
	char **pend;       /* ids waiting for a recheck */
	size_t npend, cap;
};

struct vf_run {
	const struct fl_verify_opts *o;
	struct fl_verify_report *r;
	const char *index;
	PGconn *pg;
	struct fl_docbuild *db;
	struct vf_sinkrun *s;
	size_t ns;
	size_t limit;
	size_t icap;
};

/* ---- results ------------------------------------------------------------ */

/* A difference that counts: the sink's counter and (up to the limit) the
 * item list. */
static void
vf_record(struct vf_run *run, struct vf_sinkrun *s, const char *id,
          enum fl_verify_kind kind, const char *path)
{
	struct fl_verify_report *r = run->r;
	struct fl_verify_sink *out = &r->sinks[s->k];
	struct fl_verify_item *it;

	if (kind == FL_VERIFY_MISSING)
		out->missing++;
	else if (kind == FL_VERIFY_EXTRA)
		out->extra++;
	else
		out->different++;
	if (r->nitems >= run->limit) {
		r->truncated = 1;
		return;
	}
	r->items =
	    fl_xgrow(r->items, &run->icap, r->nitems + 1, sizeof(*r->items));
	it = &r->items[r->nitems++];
	it->sink = out->name;
	it->id = fl_xstrdup(id);
	it->kind = kind;
	it->path =
	    kind == FL_VERIFY_DIFFERENT ? fl_xstrdup(path ? path : "") : NULL;
}

/*
 * Do an expected outcome and a stored document (NULL: absent) disagree?
 * 1 with the kind (and for a different one the first path), else 0.
 */
static int
vf_classify(const struct fl_doc *want, const cJSON *have,
            enum fl_verify_kind *kind, char *path, size_t npath)
{
	cJSON *w;
	int differs;

	path[0] = '\0';
	if (want->tombstone) {
		*kind = FL_VERIFY_EXTRA;
		return have != NULL;
	}
	if (!have) {
		*kind = FL_VERIFY_MISSING;
		return 1;
	}
	*kind = FL_VERIFY_DIFFERENT;
	if (!(w = cJSON_ParseWithLength(want->json, want->len)))
		return 1; /* cannot happen: PostgreSQL rendered it */
	differs = fl_jdiff_first(w, have, path, npath) != 0;
	cJSON_Delete(w);
	return differs;
}

static void
vf_progress(struct vf_run *run, const char *stage, const char *sink,
            size_t done, long long total)
{
	struct fl_verify_progress p;

	if (!run->o->progress)
		return;
	p.index = run->index;
	p.stage = stage;
	p.sink = sink;
	p.done = done;
	p.total = total;
	run->o->progress(run->o->progress_arg, &p);
}

/* ---- building ------------------------------------------------------------ */

static void
vf_docs_tombstone(struct fl_docs *d, const char *id)
{
	d->v = fl_xgrow(d->v, &d->cap, d->n + 1, sizeof(*d->v));
	memset(&d->v[d->n], 0, sizeof(d->v[d->n]));
	d->v[d->n].id = fl_xstrdup(id);
	d->v[d->n].tombstone = 1;
	d->n++;
}

/* Build ids; an id that is no valid key (SQLSTATE class 22) is a
 * tombstone: no row can produce it. */
static int
vf_build(struct vf_run *run, const char *const *ids, size_t n,
         struct fl_docs *out, struct fl_err *err)
{
	size_t i;

	if (fl_docbuild_build(run->db, run->pg, run->index, ids, n, out, err) ==
	    0)
		return 0;
	if (strncmp(err->sqlstate, "22", 2) != 0)
		return -1;
	fl_docs_reset(out);
	for (i = 0; i < n; i++) {
		if (fl_docbuild_build(run->db, run->pg, run->index, ids + i, 1,
		                      out, err) == 0)
			continue;
		if (strncmp(err->sqlstate, "22", 2) != 0)
			return -1;
		vf_docs_tombstone(out, ids[i]);
	}
	fl_err_clear(err);
	return 0;
}

/* ---- recheck ------------------------------------------------------------- */

static int
vf_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Re-read ids[0..n) on both sides; survivors are appended to s->pend
 * (on the last round they count instead). */
static int
vf_recheck_chunk(struct vf_run *run, struct vf_sinkrun *s,
                 const char *const *in, size_t n, int last, struct fl_err *err)
{
	struct fl_docs docs;
	const char **ids;
	cJSON **have;
	size_t i;
	int rc = 0;

	fl_docs_init(&docs);
	if (vf_build(run, in, n, &docs, err) < 0) {
		fl_docs_done(&docs);
		return -1;
	}
	ids = fl_xcalloc(docs.n + 1, sizeof(*ids));
	have = fl_xcalloc(docs.n + 1, sizeof(*have));
	for (i = 0; i < docs.n; i++)
		ids[i] = docs.v[i].id;
	if (vf_os_mget(&s->os, ids, docs.n, have, err) < 0)
		rc = -1;
	for (i = 0; i < docs.n && rc == 0; i++) {
		enum fl_verify_kind kind;
		char path[VF_PATH_MAX];

		if (!vf_classify(&docs.v[i], have[i], &kind, path,
		                 sizeof(path)))
			continue;
		if (last) {
			vf_record(run, s, docs.v[i].id, kind, path);
		} else {
			s->pend = fl_xgrow(s->pend, &s->cap, s->npend + 1,
			                   sizeof(*s->pend));
			s->pend[s->npend++] = fl_xstrdup(docs.v[i].id);
		}
	}
	for (i = 0; i < docs.n; i++)
		cJSON_Delete(have[i]);
	free(have);
	free(ids);
	fl_docs_done(&docs);
	return rc;
}

static void
vf_free_ids(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Settle the pending differences of a sink: `recheck` rounds 1 s apart,
 * what still differs after the last counts (at once without rounds). */
static int
vf_settle(struct vf_run *run, struct vf_sinkrun *s, struct fl_err *err)
{
	int round, rc = 0;
	size_t i, m = 0;

	if (!s->npend)
		return 0;
	/* the same id may be pending from both passes */
	qsort(s->pend, s->npend, sizeof(*s->pend), vf_strcmp);
	for (i = 0; i < s->npend; i++) {
		if (m && strcmp(s->pend[m - 1], s->pend[i]) == 0)
			free(s->pend[i]);
		else
			s->pend[m++] = s->pend[i];
	}
	s->npend = m;
	for (round = 0; round < run->o->recheck && s->npend && rc == 0;
	     round++) {
		char **old = s->pend;
		size_t off, n = s->npend;

		vf_progress(run, "recheck", s->os.name, 0, (long long)n);
		poll(NULL, 0, 1000);
		s->pend = NULL;
		s->npend = s->cap = 0;
		for (off = 0; off < n && rc == 0; off += VF_PAGE)
			rc = vf_recheck_chunk(
			    run, s, (const char *const *)old + off,
			    n - off < VF_PAGE ? n - off : VF_PAGE,
			    round + 1 == run->o->recheck, err);
		vf_free_ids(old, n);
	}
	vf_free_ids(s->pend, s->npend);
	s->pend = NULL;
	s->npend = s->cap = 0;
	return rc;
}

/* A difference found by a pass: pending when rechecks are asked for
 * (settled when the list is full), else it counts now. */
static int
vf_found(struct vf_run *run, struct vf_sinkrun *s, const char *id,
         enum fl_verify_kind kind, const char *path, struct fl_err *err)
{
	if (run->o->recheck <= 0) {
		vf_record(run, s, id, kind, path);
		return 0;
	}
	s->pend = fl_xgrow(s->pend, &s->cap, s->npend + 1, sizeof(*s->pend));
	s->pend[s->npend++] = fl_xstrdup(id);
	return s->npend >= VF_PENDING_MAX ? vf_settle(run, s, err) : 0;
}

/* ---- the passes ------------------------------------------------------------ */

/*
 * Pass 1 over one page of keys: build once, compare with every sink. In
 * full mode a stored tombstone is left to pass 2 (it finds every extra);
 * otherwise it is an extra here.
 */
static int
vf_page(struct vf_run *run, const char *const *keys, size_t n,
        struct fl_err *err)
{
	int full = run->r->mode == FL_VERIFY_FULL;
	struct fl_docs docs;
	const char **ids;
	cJSON **have;
	size_t i, k;
	int rc = 0;

	fl_docs_init(&docs);
	if (vf_build(run, keys, n, &docs, err) < 0) {
		fl_docs_done(&docs);
		return -1;
	}
	ids = fl_xcalloc(docs.n + 1, sizeof(*ids));
	have = fl_xcalloc(docs.n + 1, sizeof(*have));
	for (i = 0; i < docs.n; i++)
		ids[i] = docs.v[i].id;
	for (k = 0; k < run->ns && rc == 0; k++) {
		struct vf_sinkrun *s = &run->s[k];

		if (vf_os_mget(&s->os, ids, docs.n, have, err) < 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < docs.n; i++) {
			enum fl_verify_kind kind;
			char path[VF_PATH_MAX];

			if (have[i] && !full)
				run->r->sinks[s->k].stored++;
			if (have[i] && !docs.v[i].tombstone)
				s->found_live++;
			if (rc == 0 && !(full && docs.v[i].tombstone) &&
			    vf_classify(&docs.v[i], have[i], &kind, path,
			                sizeof(path)))
				rc = vf_found(run, s, docs.v[i].id, kind, path,
				              err);
			cJSON_Delete(have[i]);
			have[i] = NULL;
		}
	}
	free(have);
	free(ids);
	fl_docs_done(&docs);
	run->r->checked += n;
	return rc;
}

/* Pass 1 of full mode: every root key in pages. */
static int
vf_pass_rows(struct vf_run *run, struct fl_err *err)
{
	struct fl_err werr;
	long long total =
	    fl_docbuild_estimate(run->db, run->pg, run->index, &werr);
	char *after = NULL;
	int rc = 0;

	for (;;) {
		char **keys = NULL;
		size_t n = 0;

		if (fl_docbuild_key_page(run->db, run->pg, run->index, after,
		                         VF_PAGE, &keys, &n, err) < 0) {
			rc = -1;
			break;
		}
		if (n)
			rc = vf_page(run, (const char *const *)keys, n, err);
		free(after);
		after = n ? fl_xstrdup(keys[n - 1]) : NULL;
		vf_free_ids(keys, n);
		vf_progress(run, "rows", NULL, run->r->checked, total);
		if (rc < 0 || n < VF_PAGE)
			break;
	}
	free(after);
	return rc;
}

/* Pass 2 of full mode for one sink: stored ids no row produces. */
static int
vf_pass_extra(struct vf_run *run, struct vf_sinkrun *s, struct fl_err *err)
{
	struct fl_verify_sink *out = &run->r->sinks[s->k];
	long long stored = 0;
	size_t done = 0;
	int rc = 0;

	if (vf_os_count(&s->os, &stored, err) < 0)
		return -1;
	out->stored = stored > 0 ? (size_t)stored : 0;
	if (out->stored == s->found_live)
		return 0; /* every stored document is one pass 1 compared */
	out->extra_scan = 1;
	for (;;) {
		struct fl_docs docs;
		char **ids = NULL;
		size_t n = 0, i;

		if (vf_os_scan_next(&s->os, VF_PAGE, &ids, &n, err) < 0) {
			rc = -1;
			break;
		}
		fl_docs_init(&docs);
		if (n &&
		    vf_build(run, (const char *const *)ids, n, &docs, err) < 0)
			rc = -1;
		for (i = 0; i < docs.n && rc == 0; i++)
			if (docs.v[i].tombstone)
				rc = vf_found(run, s, docs.v[i].id,
				              FL_VERIFY_EXTRA, NULL, err);
		fl_docs_done(&docs);
		vf_free_ids(ids, n);
		done += n;
		vf_progress(run, "extra", s->os.name, done, stored);
		if (rc < 0 || n == 0)
			break;
	}
	vf_os_scan_end(&s->os);
	return rc;
}

/* Ids or sample mode: the given keys in pages. */
static int
vf_pass_keys(struct vf_run *run, const char *const *keys, size_t n,
             struct fl_err *err)
{
	size_t off;

	for (off = 0; off < n; off += VF_PAGE) {
		if (vf_page(run, keys + off,
		            n - off < VF_PAGE ? n - off : VF_PAGE, err) < 0)
			return -1;
		vf_progress(run, "rows", NULL, run->r->checked, (long long)n);
	}
	return 0;
}

/* ---- setup ------------------------------------------------------------------ */

static int
vf_open(struct vf_run *run, const struct fl_config *cfg, struct fl_err *err)
{
	const struct fl_index_cfg *ix = fl_config_index(cfg, run->index);
	const char *want = run->o->sink;
	char hash[17], *alias, *conninfo;
	size_t i, n = 0;

	if (!ix || !ix->enabled)
		return fl_err_set(err, FL_ERR_NOTFOUND,
		                  "no enabled index named %s", run->index);
	for (i = 0; i < cfg->nsinks; i++)
		if (cfg->sinks[i].type == FL_SINK_OPENSEARCH &&
		    (!want || strcasecmp(cfg->sinks[i].name, want) == 0))
			n++;
	if (!n && want)
		return fl_err_set(err, FL_ERR_NOTFOUND,
		                  "no OpenSearch sink named %s", want);
	if (!n)
		return fl_err_set(err, FL_ERR_CONFIG,
		                  "no OpenSearch sink to verify against");
	fl_config_index_hash(cfg, ix, hash);
	alias = fl_osnames_hash_alias(cfg->prefix, run->index, hash);
	run->s = fl_xcalloc(n, sizeof(*run->s));
	run->r->sinks = fl_xcalloc(n, sizeof(*run->r->sinks));
	for (i = 0; i < cfg->nsinks; i++) {
		const struct fl_sink_cfg *sc = &cfg->sinks[i];
		struct vf_sinkrun *s = &run->s[run->ns];

		if (sc->type != FL_SINK_OPENSEARCH ||
		    (want && strcasecmp(sc->name, want) != 0))
			continue;
		s->k = run->ns++;
		run->r->sinks[s->k].name = fl_xstrdup(sc->name);
		run->r->sinks[s->k].alias = fl_xstrdup(alias);
		run->r->nsinks = run->ns;
		if (vf_os_open(&s->os, sc, alias, err) < 0) {
			free(alias);
			return -1;
		}
	}
	free(alias);
	if (!(conninfo = fl_config_source_conninfo(cfg, err)))
		return -1;
	run->pg = fl_pgconn_open(conninfo, "flusso-verify", 0, err);
	free(conninfo);
	if (!run->pg)
		return -1;
	run->db = fl_docbuild_new(cfg);
	return fl_docbuild_prepare(run->db, run->pg, err);
}

static void
vf_close(struct vf_run *run)
{
	size_t i;

	for (i = 0; i < run->ns; i++) {
		vf_os_close(&run->s[i].os);
		vf_free_ids(run->s[i].pend, run->s[i].npend);
	}
	free(run->s);
	if (run->pg)
		PQfinish(run->pg);
	if (run->db)
		fl_docbuild_free(run->db);
}

/* The run after setup: pass 1 (and 2), then the pending rechecks. */
static int
vf_go(struct vf_run *run, struct fl_err *err)
{
	const struct fl_verify_opts *o = run->o;
	size_t i;

	if (run->r->mode == FL_VERIFY_FULL) {
		for (i = 0; i < run->ns; i++)
			if (vf_os_refresh(&run->s[i].os, err) < 0)
				return -1;
		if (vf_pass_rows(run, err) < 0)
			return -1;
		for (i = 0; i < run->ns; i++)
			if (vf_pass_extra(run, &run->s[i], err) < 0)
				return -1;
	} else if (run->r->mode == FL_VERIFY_IDS) {
		if (vf_pass_keys(run, o->ids, o->nids, err) < 0)
			return -1;
	} else {
		char **keys = NULL;
		size_t n = 0;
		int rc;

		if (fl_docbuild_key_sample(run->db, run->pg, run->index,
		                           o->sample, &keys, &n, err) < 0)
			return -1;
		rc = vf_pass_keys(run, (const char *const *)keys, n, err);
		vf_free_ids(keys, n);
		if (rc < 0)
			return -1;
	}
	for (i = 0; i < run->ns; i++)
		if (vf_settle(run, &run->s[i], err) < 0)
			return -1;
	return 0;
}

int
fl_verify_run(const struct fl_config *cfg, const char *index,
              const struct fl_verify_opts *o, struct fl_verify_report *r,
              struct fl_err *err)
{
	int64_t t0 = fl_mono_ms();
	struct vf_run run;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&run, 0, sizeof(run));
	r->index = fl_xstrdup(index);
	r->mode = o->nids         ? FL_VERIFY_IDS
	          : o->sample > 0 ? FL_VERIFY_SAMPLE
	                          : FL_VERIFY_FULL;
	run.o = o;
	run.r = r;
	run.index = index;
	run.limit = o->limit < 0    ? SIZE_MAX
	            : o->limit == 0 ? FL_VERIFY_LIMIT
	                            : (size_t)o->limit;
	rc = vf_open(&run, cfg, err) < 0 ? -1 : vf_go(&run, err);
	vf_close(&run);
	r->secs = (double)(fl_mono_ms() - t0) / 1000.0;
	if (rc < 0)
		fl_err_prefix(err, "verify %s", index);
	return rc;
}
