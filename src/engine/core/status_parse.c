/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * status_parse.c - a /status document back into struct fl_status (the
 * attached dashboard's source). Unknown fields are ignored and missing
 * ones stay zero, so a newer or older daemon still shows what it has.
 */
#include "core/status_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "source/pgoutput.h"
#include "util/log.h"
#include "util/strutil.h"

static const cJSON *
sp_get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double
sp_num(const cJSON *o, const char *k)
{
	const cJSON *v = sp_get(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static uint64_t
sp_u64(const cJSON *o, const char *k)
{
	double d = sp_num(o, k);

	return d > 0 ? (uint64_t)d : 0;
}

static int
sp_bool(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(sp_get(o, k));
}

/* Copy a string field ("" when null or missing). */
static void
sp_str(const cJSON *o, const char *k, char *out, size_t n)
{
	const cJSON *v = sp_get(o, k);

	fl_str_copy(out, n, cJSON_IsString(v) ? v->valuestring : "");
}

static int
sp_enum(const char *s, const char *(*name)(int), int n, int def)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, name(i)) == 0)
			return i;
	return def;
}

static const char *
sp_phase_name(int i)
{
	return fl_phase_name((enum fl_phase)i);
}

static const char *
sp_ixstate_name(int i)
{
	return fl_ixstate_name((enum fl_ixstate)i);
}

int64_t
fl_status_parse_ts(const char *s)
{
	struct tm tm;
	int ms = 0, n = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	if (s[n] == '.' && sscanf(s + n + 1, "%3d", &ms) != 1)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return (int64_t)t * 1000000 + (int64_t)ms * 1000;
}

/* The names of a JSON array of strings into a fixed list. */
static size_t
sp_list(const cJSON *arr, char (*out)[128], size_t max)
{
	const cJSON *v;
	size_t n = 0;

	cJSON_ArrayForEach(v, arr)
	{
		if (n < max && cJSON_IsString(v))
			fl_str_copy(out[n++], 128, v->valuestring);
	}
	return n;
}

static void
sp_index(const cJSON *x, const cJSON *enabled, struct fl_status_index *ix)
{
	const cJSON *bf = sp_get(x, "backfill");
	char s[32];

	fl_str_copy(ix->name, sizeof(ix->name), x->string);
	ix->enabled = sp_get(enabled, x->string) != NULL;
	sp_str(x, "state", s, sizeof(s));
	ix->state =
	    (enum fl_ixstate)sp_enum(s, sp_ixstate_name, FL_IX_NSTATES, 0);
	sp_str(x, "policy", s, sizeof(s));
	ix->policy_skip = strcmp(s, "skip") == 0;
	sp_str(x, "hash", ix->hash, sizeof(ix->hash));
	sp_str(x, "hash_alias", ix->hash_alias, sizeof(ix->hash_alias));
	ix->serving_generation = (long)sp_num(x, "serving_generation");
	ix->building_generation = (long)sp_num(x, "building_generation");
	ix->documents_built = sp_u64(x, "documents_built");
	ix->skipped_identical = sp_u64(x, "skipped_identical");
	ix->quarantined = sp_u64(x, "quarantined");
	ix->backfill_active = cJSON_IsObject(bf);
	ix->rows_done = (int64_t)sp_num(bf, "rows_done");
	ix->rows_estimate =
	    ix->backfill_active ? (int64_t)sp_num(bf, "rows_estimate") : 0;
	ix->covered = sp_bool(x, "covered");
	ix->seeded = sp_bool(x, "seeded");
	ix->settings_drift = sp_bool(x, "settings_drift");
	ix->nuntracked = sp_list(sp_get(x, "untracked_tables"), ix->untracked,
	                         FL_STATUS_LIST);
	ix->nsuperseded =
	    sp_list(sp_get(x, "superseded"), ix->superseded, FL_STATUS_LIST);
	ix->norphans = (size_t)sp_num(x, "orphans");
	sp_str(x, "last_error", ix->last_error, sizeof(ix->last_error));
	ix->paused = sp_bool(x, "paused");
	ix->draining = sp_bool(x, "draining");
	ix->resync = sp_bool(x, "resync");
	ix->pending = cJSON_IsNumber(sp_get(x, "pending"))
	                  ? (long long)sp_num(x, "pending")
	                  : -1;
	sp_str(x, "hold_reason", ix->hold_reason, sizeof(ix->hold_reason));
	ix->stored = cJSON_IsNumber(sp_get(x, "stored"))
	                 ? (int64_t)sp_num(x, "stored")
	                 : -1;
}

static void
sp_rings(const cJSON *doc, struct fl_status *st)
{
	const cJSON *v;
	char lvl[16];

	cJSON_ArrayForEach(v, sp_get(doc, "recent_events"))
	{
		struct fl_status_event *e;
		enum fl_log_level l = FL_LOG_INFO;

		if (st->ev_n == FL_STATUS_EVENTS)
			break;
		e = &st->events[st->ev_n++];
		e->ts_us =
		    fl_status_parse_ts(cJSON_GetStringValue(sp_get(v, "ts")));
		sp_str(v, "level", lvl, sizeof(lvl));
		fl_log_level_parse(lvl, &l);
		e->level = (int)l;
		sp_str(v, "component", e->component, sizeof(e->component));
		sp_str(v, "message", e->msg, sizeof(e->msg));
	}
	cJSON_ArrayForEach(v, sp_get(doc, "recent_quarantines"))
	{
		struct fl_status_quarantine *q;

		if (st->q_n == FL_STATUS_QUARANTINE)
			break;
		q = &st->quarantine[st->q_n++];
		q->ts_us =
		    fl_status_parse_ts(cJSON_GetStringValue(sp_get(v, "ts")));
		sp_str(v, "index", q->index, sizeof(q->index));
		sp_str(v, "id", q->id, sizeof(q->id));
		sp_str(v, "reason", q->reason, sizeof(q->reason));
	}
}

static void
sp_replication(const cJSON *doc, struct fl_status *st)
{
	const cJSON *r = sp_get(doc, "replication");
	const cJSON *lag = sp_get(doc, "slot_lag_bytes");
	char lsn[32];

	sp_str(r, "state", st->repl_state, sizeof(st->repl_state));
	sp_str(r, "slot", st->slot, sizeof(st->slot));
	sp_str(r, "publication", st->publication, sizeof(st->publication));
	sp_str(r, "group", st->group, sizeof(st->group));
	sp_str(r, "confirmed_lsn", lsn, sizeof(lsn));
	fl_lsn_parse(lsn, &st->confirmed_lsn);
	sp_str(r, "server_lsn", lsn, sizeof(lsn));
	fl_lsn_parse(lsn, &st->server_lsn);
	st->lag_seconds = sp_num(r, "lag_seconds");
	sp_str(r, "wal_status", st->wal_status, sizeof(st->wal_status));
	st->reconnects = sp_u64(r, "reconnects");
	st->lag_known = cJSON_IsNumber(lag);
	st->lag_bytes = st->lag_known ? (int64_t)lag->valuedouble : 0;
}

/* A sink's "nodes" array. */
static void
sp_nodes(const cJSON *arr, struct fl_status_sink *s)
{
	const cJSON *v;
	char state[16];

	cJSON_ArrayForEach(v, arr)
	{
		struct fl_node_state *nd;

		if (s->nnodes == FL_STATUS_NODES)
			break;
		nd = &s->nodes[s->nnodes++];
		sp_str(v, "url", nd->url, sizeof(nd->url));
		sp_str(v, "state", state, sizeof(state));
		nd->up = strcmp(state, "up") == 0;
		nd->since_us = fl_status_parse_ts(
		    cJSON_GetStringValue(sp_get(v, "since")));
		if (nd->since_us < 0)
			nd->since_us = 0;
		nd->failures = sp_u64(v, "failures");
		sp_str(v, "last_error", nd->last_error, sizeof(nd->last_error));
	}
}

static void
sp_sinks_indexes(const cJSON *doc, struct fl_status *st)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, sp_get(doc, "sinks"))
	{
		struct fl_status_sink *s;

		if (st->nsinks == FL_MAX_SINKS)
			break;
		s = &st->sinks[st->nsinks++];
		fl_str_copy(s->name, sizeof(s->name), v->string);
		sp_str(v, "type", s->type, sizeof(s->type));
		sp_str(v, "state", s->state, sizeof(s->state));
		sp_str(v, "last_error", s->last_error, sizeof(s->last_error));
		s->bulk_retries = sp_u64(v, "bulk_retries");
		sp_nodes(sp_get(v, "nodes"), s);
	}
	cJSON_ArrayForEach(v, sp_get(doc, "index_details"))
	{
		if (st->nindexes == FL_MAX_INDEXES)
			break;
		sp_index(v, sp_get(doc, "indexes"),
		         &st->indexes[st->nindexes++]);
	}
}

static void
sp_config(const cJSON *doc, struct fl_status *st)
{
	const cJSON *c = sp_get(doc, "config");
	const cJSON *q = sp_get(doc, "queue");

	st->queue_depth = sp_u64(q, "depth");
	st->queue_capacity = sp_u64(q, "capacity");
	st->batch_changes = sp_u64(q, "batch_changes");
	st->seeding_depth = sp_u64(q, "seeding_depth");
	st->cfg_queue_capacity = (long)sp_num(c, "queue_capacity");
	st->cfg_batch_max_changes = (long)sp_num(c, "batch_max_changes");
	st->cfg_batch_max_delay_ms = (long)sp_num(c, "batch_max_delay_ms");
	st->cfg_lag_poll_secs = (long)sp_num(c, "lag_poll_secs");
	st->cfg_workers = (long)sp_num(c, "workers");
	sp_str(c, "prefix", st->cfg_prefix, sizeof(st->cfg_prefix));
	st->cfg_manage_publication = sp_bool(c, "manage_publication");
}

/* Hot standby: the role and the active instance. */
static void
sp_role(const cJSON *doc, int64_t now_us, struct fl_status *st)
{
	const cJSON *a = sp_get(doc, "active");

	sp_str(doc, "role", st->role, sizeof(st->role));
	if (!cJSON_IsObject(a))
		return;
	st->active_pid = (long)sp_num(a, "pid");
	sp_str(a, "host", st->active_host, sizeof(st->active_host));
	sp_str(a, "client", st->active_client, sizeof(st->active_client));
	st->active_since_us =
	    now_us - (int64_t)sp_num(a, "since_seconds") * 1000000;
	st->failover_after_secs = (long)sp_num(a, "failover_after_secs");
}

int
fl_status_parse(const char *json, int64_t now_us, struct fl_status *st,
                struct fl_err *err)
{
	cJSON *doc = cJSON_Parse(json);
	char s[32];

	memset(st, 0, sizeof(*st));
	if (!cJSON_IsObject(doc) || !cJSON_IsString(sp_get(doc, "phase"))) {
		cJSON_Delete(doc);
		return fl_err_set(err, FL_ERR_INVALID,
		                  "not a /status document");
	}
	sp_str(doc, "phase", s, sizeof(s));
	st->phase =
	    (enum fl_phase)sp_enum(s, sp_phase_name, FL_PHASE_STANDBY + 1, 0);
	st->started_us =
	    now_us - (int64_t)sp_num(doc, "uptime_seconds") * 1000000;
	st->changes_captured = sp_u64(doc, "changes_captured");
	st->changes_committed = sp_u64(doc, "changes_committed");
	st->in_flight = sp_u64(doc, "changes_in_flight");
	st->documents_built = sp_u64(doc, "documents_built");
	st->documents_skipped_identical =
	    sp_u64(doc, "documents_skipped_identical");
	st->documents_quarantined = sp_u64(doc, "documents_quarantined");
	st->batches = sp_u64(doc, "batches");
	st->last_flush_us = (int64_t)sp_num(doc, "last_flush_micros");
	st->errors = sp_u64(doc, "errors");
	sp_str(doc, "last_error", st->last_error, sizeof(st->last_error));
	sp_str(doc, "version", st->version, sizeof(st->version));
	st->paused = sp_bool(doc, "paused");
	sp_str(doc, "waiting_for", st->waiting_for, sizeof(st->waiting_for));
	sp_replication(doc, st);
	sp_sinks_indexes(doc, st);
	sp_rings(doc, st);
	sp_config(doc, st);
	sp_role(doc, now_us, st);
	cJSON_Delete(doc);
	return 0;
}
