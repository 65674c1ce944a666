/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * migrate.c - `flusso migrate` (see migrate.h): per index, read the
 * reference's meta document, compare its generation's mapping with ours
 * and hand the index over to the engine's own seeding: --apply writes our
 * meta document only, never a document of the index.
 *
 * adopt: meta names the reference's generation, unseeded; `flusso run`
 * seeds that generation in place (ENG_SEED_FRESH) from its slot's snapshot
 * while the aliases keep serving it; its writes carry external versions
 * (WAL positions) that beat the reference's internal ones.
 * rebuild: meta names the next generation, unseeded, the aliases left on
 * the reference's; `flusso run` creates it, seeds it alongside
 * (ENG_SEED_REBUILD, or a fresh seed under another hash alias) and moves
 * the hash alias and <prefix><index> in one _aliases call when seeded.
 * Documents of rows deleted while nothing followed the database survive an
 * adopt: the report asks for `flusso verify --repair` after the first seed.
 *
 * "Ours" mapping is compared as OpenSearch stores it: a scratch index
 * <prefix>flusso_migrate_probe is created with our body, its mapping read
 * and the index deleted, so defaults and normalisations OpenSearch applies
 * count the same on both sides.
 */
#include "core/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/mapping.h"
#include "config/schema_hash.h"
#include "config/schema_hash_ref.h"
#include "core/commands.h"
#include "core/debug_session.h"
#include "sink/opensearch_names.h"
#include "util/json_write.h"
#include "util/xmem.h"

enum mig_verdict {
	MIG_NONE,    /* nothing of the reference's: flusso seeds as usual */
	MIG_DONE,    /* already taken over */
	MIG_ADOPT,   /* same names, same mapping: seed it in place */
	MIG_REBUILD, /* the engine seeds a new generation and swaps */
};

static const char *const mig_words[] = { "none", "done", "adopt", "rebuild" };

/* One request that must answer 2xx; its parsed answer in *answer. */
static int
mig_req(struct fl_dbg_os *o, const char *method, const char *path,
        const char *body, cJSON **answer, struct fl_err *err)
{
	long status;
	cJSON *a = NULL;

	if (fl_dbg_os_request(o, method, path, body, &status, &a, err) < 0)
		return -1;
	if (status < 200 || status > 299) {
		char *txt = a ? cJSON_PrintUnformatted(a) : NULL;

		fl_err_set(err, FL_ERR_SINK, "%s %s: HTTP %ld %.300s", method,
		           path, status, txt ? txt : "");
		free(txt);
		cJSON_Delete(a);
		return -1;
	}
	if (answer)
		*answer = a;
	else
		cJSON_Delete(a);
	return 0;
}

/* GET that may 404: 1 found (*answer set), 0 not found, -1 error. */
static int
mig_get(struct fl_dbg_os *o, const char *path, cJSON **answer,
        struct fl_err *err)
{
	long status;

	*answer = NULL;
	if (fl_dbg_os_request(o, "GET", path, NULL, &status, answer, err) < 0)
		return -1;
	if (status == 404) {
		cJSON_Delete(*answer);
		*answer = NULL;
		return 0;
	}
	if (status < 200 || status > 299) {
		cJSON_Delete(*answer);
		*answer = NULL;
		return fl_err_set(err, FL_ERR_SINK, "GET %s: HTTP %ld", path,
		                  status);
	}
	return 1;
}

/* The stored mapping of index name (a detached copy), NULL when absent. */
static int
mig_mapping(struct fl_dbg_os *o, const char *index, cJSON **out,
            struct fl_err *err)
{
	char *path = fl_xasprintf("/%s/_mapping", index);
	cJSON *a, *m;
	int rc = mig_get(o, path, &a, err);

	free(path);
	*out = NULL;
	if (rc <= 0)
		return rc;
	m = cJSON_GetObjectItemCaseSensitive(a, index);
	m = cJSON_GetObjectItemCaseSensitive(m, "mappings");
	if (m)
		*out = cJSON_Duplicate(m, 1);
	cJSON_Delete(a);
	return 0;
}

/* Our body as JSON text; caller frees. */
static char *
mig_body(const struct fl_config *cfg, const struct fl_index_cfg *ix)
{
	struct fl_mapping_opts mo;
	struct fl_val *b;
	struct fl_buf buf;

	fl_mapping_opts_from_config(cfg, &mo);
	b = fl_mapping_body(ix->schema, &mo);
	fl_buf_init(&buf, SIZE_MAX);
	fl_val_to_json(b, &buf);
	fl_val_free(b);
	return fl_buf_steal(&buf);
}

/* Our mapping as OpenSearch stores it, through the probe index. */
static int
mig_our_mapping(struct fl_dbg_os *o, const struct fl_config *cfg,
                const char *body, cJSON **out, struct fl_err *err)
{
	char *probe = fl_xasprintf("%sflusso_migrate_probe", cfg->prefix);
	char *path = fl_xasprintf("/%s", probe);
	struct fl_err cleanup; /* a cleanup failure never hides the error */
	long status;
	cJSON *a = NULL;
	int rc;

	*out = NULL;
	fl_dbg_os_request(o, "DELETE", path, NULL, &status, &a, &cleanup);
	cJSON_Delete(a);
	rc = mig_req(o, "PUT", path, body, NULL, err);
	if (rc == 0)
		rc = mig_mapping(o, probe, out, err);
	a = NULL;
	fl_dbg_os_request(o, "DELETE", path, NULL, &status, &a, &cleanup);
	cJSON_Delete(a);
	free(path);
	free(probe);
	return rc;
}

/* Our meta document for alias: generation gen, not seeded, no source, no
 * cursor, so `flusso run` seeds gen from its own slot's snapshot. */
static int
mig_meta_put(struct fl_dbg_os *o, const struct fl_config *cfg,
             const struct fl_index_cfg *ix, const char *alias, const char *hash,
             long gen, struct fl_err *err)
{
	char *meta = fl_osnames_meta_index(cfg->prefix);
	char *path = fl_xasprintf("/%s/_doc/%s?refresh=true", meta, alias);
	struct fl_buf b;
	int rc;

	fl_buf_init(&b, SIZE_MAX);
	fl_buf_printf(&b,
	              "{\"active_generation\":%ld,\"backfill_cursor\":null,"
	              "\"flusso_version\":",
	              gen);
	fl_json_put_string(&b, FLUSSO_VERSION);
	fl_buf_printf(&b,
	              ",\"hash_scheme\":%d,\"index\":", FL_HASH_SCHEME_VERSION);
	fl_json_put_string(&b, ix->name);
	fl_buf_puts(&b, ",\"migrated_from\":\"reference\",\"schema_hash\":");
	fl_json_put_string(&b, hash);
	fl_buf_puts(&b,
	            ",\"seeded\":false,\"seeded_at\":null,\"source\":null}");
	rc = mig_req(o, "PUT", path, fl_buf_str(&b), NULL, err);
	fl_buf_done(&b);
	free(path);
	free(meta);
	return rc;
}

/* What the report's closing notes name. */
struct mig_todo {
	size_t n;              /* indexes to adopt or rebuild */
	struct fl_buf adopted; /* " name" per adopted index */
};

/* Next generation of alias among the existing indexes. */
static int
mig_next(struct fl_dbg_os *o, const char *alias, long *next, struct fl_err *err)
{
	char *path = fl_xasprintf(
	    "/_cat/indices/%s_*?h=index&format=json&expand_wildcards=all",
	    alias);
	cJSON *a, *it;
	char **names;
	size_t n = 0;
	int rc = mig_get(o, path, &a, err);

	free(path);
	if (rc < 0)
		return -1;
	names = fl_xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(char *));
	cJSON_ArrayForEach(it, a)
	{
		const cJSON *ixn =
		    cJSON_GetObjectItemCaseSensitive(it, "index");

		if (cJSON_IsString(ixn))
			names[n++] = ixn->valuestring;
	}
	*next = fl_osnames_next_generation(alias, names, n);
	free(names);
	cJSON_Delete(a);
	return 0;
}

/* One index on one sink. */
static int
mig_index(struct fl_dbg_os *o, const struct fl_config *cfg,
          const struct fl_index_cfg *ix, int apply, struct fl_buf *out,
          int *work, struct mig_todo *todo, struct fl_err *err)
{
	char rhash[9], hash[17], *ralias, *alias, *meta, *path, *old = NULL;
	char *body = NULL, *reason = NULL;
	cJSON *doc = NULL, *theirs = NULL, *ours = NULL;
	const cJSON *src, *g, *sd;
	enum mig_verdict v = MIG_NONE;
	long gen = 0, next = 0;
	int rc;

	fl_hash_ref_schema(ix->schema, rhash);
	ralias = fl_osnames_hash_alias(cfg->prefix, ix->name, rhash);
	fl_config_index_hash(cfg, ix, hash);
	alias = fl_osnames_hash_alias(cfg->prefix, ix->name, hash);
	meta = fl_osnames_meta_index(cfg->prefix);
	path = fl_xasprintf("/%s/_doc/%s", meta, alias);
	rc = mig_get(o, path, &doc, err);
	free(path);
	if (rc < 0)
		goto done;
	src = cJSON_GetObjectItemCaseSensitive(doc, "_source");
	if (rc == 1 && cJSON_GetObjectItemCaseSensitive(src, "hash_scheme")) {
		v = MIG_DONE;
		reason = fl_xasprintf(
		    "%s is flusso's%s", alias,
		    cJSON_IsTrue(
		        cJSON_GetObjectItemCaseSensitive(src, "seeded"))
		        ? ""
		        : " (not seeded yet: flusso run seeds it)");
		goto report;
	}
	if (strcmp(alias, ralias) != 0) {
		cJSON_Delete(doc);
		doc = NULL;
		path = fl_xasprintf("/%s/_doc/%s", meta, ralias);
		rc = mig_get(o, path, &doc, err);
		free(path);
		if (rc < 0)
			goto done;
		src = cJSON_GetObjectItemCaseSensitive(doc, "_source");
	}
	g = cJSON_GetObjectItemCaseSensitive(src, "active_generation");
	sd = cJSON_GetObjectItemCaseSensitive(src, "seeded");
	if (rc == 0 || !cJSON_IsNumber(g)) {
		reason = fl_xasprintf("no reference meta for %s", ralias);
		goto report;
	}
	/* a generation is a whole number from 1; anything else is not
	 * converted (out of range would be undefined) */
	if (!(g->valuedouble >= 1 && g->valuedouble <= 1e9) ||
	    g->valuedouble != (double)(long)g->valuedouble) {
		rc = fl_err_set(err, FL_ERR_SINK,
		                "%s: active_generation %g in the reference's "
		                "meta is not a generation number",
		                ralias, g->valuedouble);
		goto done;
	}
	gen = (long)g->valuedouble;
	old = fl_osnames_generation(ralias, gen);
	if (!cJSON_IsTrue(sd)) {
		reason =
		    fl_xasprintf("%s was never seeded: flusso seeds it", old);
		goto report;
	}
	if (mig_mapping(o, old, &theirs, err) < 0)
		goto done;
	if (!theirs) {
		reason = fl_xasprintf("%s is missing: flusso seeds it", old);
		goto report;
	}
	body = mig_body(cfg, ix);
	if (mig_our_mapping(o, cfg, body, &ours, err) < 0)
		goto done;
	if (mig_next(o, alias, &next, err) < 0)
		goto done;
	if (strcmp(alias, ralias) == 0 && cJSON_Compare(theirs, ours, 1)) {
		v = MIG_ADOPT;
		reason = fl_xasprintf("%s: mapping equal to ours", old);
	} else {
		char *ng = fl_osnames_generation(alias, next);

		v = MIG_REBUILD;
		reason = fl_xasprintf("%s -> %s: %s", old, ng,
		                      strcmp(alias, ralias)
		                          ? "our naming uses another hash alias"
		                          : "mapping differs from ours");
		free(ng);
	}
report:
	rc = 0;
	if (apply && v == MIG_ADOPT)
		rc = mig_meta_put(o, cfg, ix, alias, hash, gen, err);
	else if (apply && v == MIG_REBUILD)
		rc = mig_meta_put(o, cfg, ix, alias, hash, next, err);
	if (rc < 0)
		goto done;
	fl_buf_printf(
	    out, "%-12s %-8s %-8s %s%s\n", ix->name, o->cfg->name, mig_words[v],
	    reason ? reason : "",
	    apply && (v == MIG_ADOPT || v == MIG_REBUILD) ? " (applied)" : "");
	if (!apply && (v == MIG_ADOPT || v == MIG_REBUILD))
		*work = 1;
	if (v == MIG_ADOPT || v == MIG_REBUILD)
		todo->n++;
	if (v == MIG_ADOPT)
		fl_buf_printf(&todo->adopted, " %s", ix->name);
done:
	cJSON_Delete(doc);
	cJSON_Delete(theirs);
	cJSON_Delete(ours);
	free(body);
	free(reason);
	free(old);
	free(meta);
	free(alias);
	free(ralias);
	return rc;
}

int
fl_migrate_run(const struct fl_config *cfg, const char *only, int apply,
               struct fl_buf *out, int *work, struct fl_err *err)
{
	struct fl_dbg_os *os = NULL;
	struct mig_todo todo = { 0 };
	size_t nos = 0, i, j;
	int rc = 0;

	*work = 0;
	if (fl_dbg_os_open_all(cfg, only, &os, &nos, err) < 0)
		return -1;
	fl_buf_init(&todo.adopted, SIZE_MAX);
	for (j = 0; j < nos && rc == 0; j++)
		for (i = 0; i < cfg->nindexes && rc == 0; i++) {
			if (!cfg->indexes[i].enabled || !cfg->indexes[i].schema)
				continue;
			rc = mig_index(&os[j], cfg, &cfg->indexes[i], apply,
			               out, work, &todo, err);
		}
	fl_dbg_os_close_all(os, nos);
	if (rc == 0 && todo.n)
		fl_buf_printf(out,
		              "# %s `flusso run` seeds these indexes from its "
		              "slot's snapshot: an adopted generation keeps "
		              "serving while it is rewritten, a rebuilt one "
		              "replaces the reference's when seeded (one "
		              "_aliases call)\n",
		              apply ? "now" : "after --apply,");
	if (rc == 0 && todo.adopted.len)
		fl_buf_printf(out,
		              "# once seeded, run `flusso verify --repair%s`: "
		              "an in-place seed keeps the documents of rows "
		              "deleted while nothing followed the database\n",
		              fl_buf_str(&todo.adopted));
	fl_buf_done(&todo.adopted);
	return rc;
}

/* The control-table handler: `flusso migrate [--sink NAME] [--apply]`.
 * 200 (the CLI exits 3 when the report shows work to do), 500 on an
 * error. */
int
fl_ctl_migrate(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
               struct fl_buf *out)
{
	const struct fl_config *cfg = l->cfg      ? l->cfg
	                              : l->engine ? fl_engine_config(l->engine)
	                                          : NULL;
	struct fl_err err;
	int work = 0;

	if (!cfg) {
		fl_buf_puts(out, "no configuration\n");
		return 503;
	}
	if (fl_migrate_run(cfg, fl_ctl_opt(k, "sink"),
	                   fl_ctl_opt(k, "apply") != NULL, out, &work,
	                   &err) < 0) {
		fl_buf_printf(out, "%s\n", err.msg);
		return err.code == FL_ERR_NOTFOUND ? 404 : 500;
	}
	if (work && l->differs)
		*l->differs = 1;
	return 200;
}
