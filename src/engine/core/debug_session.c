/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * debug_session.c - sessions of the debugging commands (see
 * debug_session.h).
 */
#include "core/debug_session.h"

#include <stdlib.h>
#include <string.h>

#include "config/schema_hash.h"
#include "config/sink_conn.h"
#include "sink/opensearch_names.h"
#include "source/pg_conn.h"
#include "util/http_client.h"
#include "util/xmem.h"

int
fl_dbg_open(struct fl_dbg *d, const struct fl_config *cfg, const char *app,
            struct fl_err *err)
{
	char *conninfo;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	fl_track_build(cfg, &d->track);
	if (!(conninfo = fl_config_source_conninfo(cfg, err)))
		return -1;
	d->pg = fl_pgconn_open(conninfo, app, 0, err);
	free(conninfo);
	if (!d->pg)
		return -1;
	if (fl_track_load_catalog(d->pg, &d->track, err) < 0)
		return -1;
	d->db = fl_docbuild_new(cfg);
	return fl_docbuild_prepare(d->db, d->pg, err);
}

void
fl_dbg_close(struct fl_dbg *d)
{
	if (d->pg)
		PQfinish(d->pg);
	fl_docbuild_free(d->db);
	fl_track_done(&d->track);
	memset(d, 0, sizeof(*d));
}

const struct fl_index_cfg *
fl_dbg_index(const struct fl_config *cfg, const char *name, struct fl_err *err)
{
	const struct fl_index_cfg *ix = fl_config_index(cfg, name);

	if (!ix) {
		fl_err_set(err, FL_ERR_NOTFOUND, "unknown index %s", name);
		return NULL;
	}
	if (!ix->enabled || !ix->schema) {
		fl_err_set(err, FL_ERR_NOTFOUND, "index %s is disabled", name);
		return NULL;
	}
	return ix;
}

char *
fl_dbg_alias(const struct fl_config *cfg, const struct fl_index_cfg *ix)
{
	char hash[17];

	fl_config_index_hash(cfg, ix, hash);
	return fl_osnames_hash_alias(cfg->prefix, ix->name, hash);
}

/* A client for one sink. */
static int
dbg_os_open(const struct fl_sink_cfg *s, struct fl_dbg_os *o,
            struct fl_err *err)
{
	struct fl_sink_conn conn;

	o->cfg = s;
	if (fl_sink_conn_init(&conn, s, err) < 0)
		return -1;
	o->h = fl_http_new(&conn.http, err);
	fl_sink_conn_done(&conn);
	return o->h ? 0 : -1;
}

int
fl_dbg_os_open_all(const struct fl_config *cfg, const char *only,
                   struct fl_dbg_os **out, size_t *n, struct fl_err *err)
{
	size_t i;

	*out = fl_xcalloc(cfg->nsinks ? cfg->nsinks : 1, sizeof(**out));
	*n = 0;
	for (i = 0; i < cfg->nsinks; i++) {
		const struct fl_sink_cfg *s = &cfg->sinks[i];

		if (s->type != FL_SINK_OPENSEARCH ||
		    (only && strcmp(only, s->name) != 0))
			continue;
		if (dbg_os_open(s, &(*out)[*n], err) < 0) {
			fl_dbg_os_close_all(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	if (*n)
		return 0;
	fl_dbg_os_close_all(*out, 0);
	*out = NULL;
	if (only)
		return fl_err_set(err, FL_ERR_NOTFOUND,
		                  "no OpenSearch sink named %s", only);
	return fl_err_set(err, FL_ERR_CONFIG, "no OpenSearch sink");
}

void
fl_dbg_os_close_all(struct fl_dbg_os *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fl_http_free(v[i].h);
	free(v);
}

int
fl_dbg_os_request(struct fl_dbg_os *o, const char *method, const char *path,
                  const char *body, long *status, cJSON **answer,
                  struct fl_err *err)
{
	struct fl_http_req r;
	int rc;

	*answer = NULL;
	*status = 0;
	fl_http_req_init(&r);
	r.method = method;
	r.path = path;
	if (body) {
		r.ctype = "application/json";
		r.body = body;
		r.len = strlen(body);
	}
	rc = fl_http_do(o->h, &r);
	if (rc < 0) {
		fl_err_set(err, FL_ERR_SINK, "sink %s: %s", o->cfg->name,
		           r.error);
	} else {
		*status = r.status;
		*answer = cJSON_Parse(fl_buf_str(&r.resp));
	}
	fl_http_req_done(&r);
	return rc < 0 ? -1 : 0;
}
