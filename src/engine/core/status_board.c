/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * status_board.c - the status board and its two renderings: /status JSON and
 * the Prometheus text of /metrics.
 *
 * DESIGN
 *   One pthread mutex guards struct fl_status. Writers are the engine's
 *   threads (control, capture bridge, workers); readers copy the struct
 *   out under the lock and render without it. The wake pipe is written
 *   at most every 100 ms so a busy engine does not flood readers.
 */
#include "core/status_board.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "source/pgoutput.h"
#include "util/json_write.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

const double fl_status_flush_bounds[FL_STATUS_FLUSH_BUCKETS] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static const char *const phase_names[] = {
	"starting", "waiting", "backfilling", "live",    "paused",
	"stopping", "stopped", "error",       "standby",
};

static const char *const ixstate_names[] = {
	"disabled", "pending", "skipped", "backfilling", "rebuilding",
	"live",     "paused",  "stopped", "drift",
};

const char *
fl_phase_name(enum fl_phase p)
{
	return (size_t)p < FL_ARRAY_LEN(phase_names) ? phase_names[p] : "?";
}

const char *
fl_ixstate_name(enum fl_ixstate s)
{
	return (size_t)s < FL_ARRAY_LEN(ixstate_names) ? ixstate_names[s] : "?";
}

struct fl_board {
	pthread_mutex_t mu;
	struct fl_status st;
	int wake[2];
	int64_t last_poke_us;
};

/* Set while this thread holds a board's lock: a log record written then
 * (a setter's callback logging) is not put on the board (fl_board_log). */
static _Thread_local int board_held;

static void
board_lock(struct fl_board *b)
{
	pthread_mutex_lock(&b->mu);
	board_held = 1;
}

static void
board_unlock(struct fl_board *b)
{
	board_held = 0;
	pthread_mutex_unlock(&b->mu);
}

int64_t
fl_status_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct fl_board *
fl_board_new(void)
{
	struct fl_board *b = fl_xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->mu, NULL);
	b->st.phase = FL_PHASE_STARTING;
	b->st.started_us = fl_status_now_us();
	fl_str_copy(b->st.version, sizeof(b->st.version), FLUSSO_VERSION);
	snprintf(b->st.repl_state, sizeof(b->st.repl_state), "connecting");
	if (pipe(b->wake) == 0) {
		fcntl(b->wake[0], F_SETFL, O_NONBLOCK);
		fcntl(b->wake[1], F_SETFL, O_NONBLOCK);
	} else {
		b->wake[0] = b->wake[1] = -1;
	}
	return b;
}

void
fl_board_free(struct fl_board *b)
{
	if (!b)
		return;
	if (b->wake[0] >= 0) {
		close(b->wake[0]);
		close(b->wake[1]);
	}
	pthread_mutex_destroy(&b->mu);
	free(b);
}

void
fl_board_snapshot(struct fl_board *b, struct fl_status *out)
{
	board_lock(b);
	memcpy(out, &b->st, sizeof(*out));
	board_unlock(b);
}

int
fl_board_wake_fd(struct fl_board *b)
{
	return b->wake[0];
}

/* Called with the lock held: bump seq, maybe poke readers. */
static void
board_changed(struct fl_board *b)
{
	int64_t now = fl_status_now_us();

	b->st.seq++;
	if (b->wake[1] >= 0 && now - b->last_poke_us >= 100000) {
		b->last_poke_us = now;
		if (write(b->wake[1], "s", 1) < 0) {
			/* full pipe: readers are already woken */
		}
	}
}

void
fl_board_update(struct fl_board *b, void (*fn)(void *, struct fl_status *),
                void *arg)
{
	board_lock(b);
	fn(arg, &b->st);
	board_changed(b);
	board_unlock(b);
}

void
fl_board_set_phase(struct fl_board *b, enum fl_phase p)
{
	board_lock(b);
	b->st.phase = p;
	board_changed(b);
	board_unlock(b);
}

void
fl_board_add_captured(struct fl_board *b, uint64_t n)
{
	board_lock(b);
	b->st.changes_captured += n;
	board_changed(b);
	board_unlock(b);
}

struct fl_status_index *
fl_status_index_find(struct fl_status *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nindexes; i++)
		if (strcmp(st->indexes[i].name, name) == 0)
			return &st->indexes[i];
	return NULL;
}

void
fl_board_batch(struct fl_board *b, uint64_t changes, uint64_t docs,
               const char *const *ix, const uint64_t *ix_docs, size_t nix,
               int64_t flush_us)
{
	double secs = (double)flush_us / 1e6;
	size_t i;

	board_lock(b);
	b->st.changes_committed += changes;
	b->st.documents_built += docs;
	b->st.batches++;
	b->st.last_flush_us = flush_us;
	for (i = 0; i < FL_STATUS_FLUSH_BUCKETS; i++)
		if (secs <= fl_status_flush_bounds[i])
			b->st.flush_buckets[i]++;
	b->st.flush_count++;
	b->st.flush_sum += secs;
	for (i = 0; i < nix; i++) {
		struct fl_status_index *x = fl_status_index_find(&b->st, ix[i]);

		if (x)
			x->documents_built += ix_docs[i];
	}
	board_changed(b);
	board_unlock(b);
}

void
fl_board_skipped(struct fl_board *b, const char *const *ix,
                 const uint64_t *skipped, size_t nix)
{
	size_t i;

	board_lock(b);
	for (i = 0; i < nix; i++) {
		struct fl_status_index *x = fl_status_index_find(&b->st, ix[i]);

		b->st.documents_skipped_identical += skipped[i];
		if (x)
			x->skipped_identical += skipped[i];
	}
	board_changed(b);
	board_unlock(b);
}

#define BOARD_DEDUP_US   2000000
#define BOARD_DEDUP_LAST 8

/* Is msg at level among the last events of the last 2 s? With
 * from_log, only log records count (lock held). */
static int
board_event_recent(const struct fl_status *st, int level, const char *msg,
                   int from_log)
{
	int64_t now = fl_status_now_us();
	size_t k;

	for (k = 0; k < st->ev_n && k < BOARD_DEDUP_LAST; k++) {
		const struct fl_status_event *e =
		    &st->events[(st->ev_head + st->ev_n - 1 - k) %
		                FL_STATUS_EVENTS];

		if (now - e->ts_us > BOARD_DEDUP_US)
			break;
		if (e->level == level && (!from_log || e->component[0]) &&
		    strcmp(e->msg, msg) == 0)
			return 1;
	}
	return 0;
}

/* Append to the events ring (lock held); component "" for the board's
 * own events, which replace nothing but are not repeated after the same
 * log record. */
static void
board_event_locked(struct fl_board *b, int level, const char *component,
                   const char *msg)
{
	struct fl_status *st = &b->st;
	struct fl_status_event *e;
	char text[sizeof(e->msg)];

	fl_str_copy(text, sizeof(text), msg);
	if (board_event_recent(st, level, text, !component[0]))
		return;
	if (st->ev_n == FL_STATUS_EVENTS) {
		st->ev_head = (st->ev_head + 1) % FL_STATUS_EVENTS;
		st->ev_n--;
	}
	e = &st->events[(st->ev_head + st->ev_n) % FL_STATUS_EVENTS];
	st->ev_n++;
	e->ts_us = fl_status_now_us();
	e->level = level;
	fl_str_copy(e->component, sizeof(e->component), component);
	fl_str_copy(e->msg, sizeof(e->msg), text);
}

void
fl_board_log(struct fl_board *b, int level, const char *component,
             const char *msg)
{
	if (board_held)
		return;
	board_lock(b);
	board_event_locked(b, level, component ? component : "?", msg);
	board_changed(b);
	board_unlock(b);
}

void
fl_board_event(struct fl_board *b, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	board_lock(b);
	board_event_locked(b, level, "", msg);
	board_changed(b);
	board_unlock(b);
}

void
fl_board_error(struct fl_board *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	board_lock(b);
	b->st.errors++;
	fl_str_copy(b->st.last_error, sizeof(b->st.last_error), msg);
	board_event_locked(b, FL_LOG_ERROR, "", msg);
	board_changed(b);
	board_unlock(b);
}

void
fl_board_quarantine(struct fl_board *b, const char *index, const char *id,
                    const char *reason)
{
	struct fl_status *st;
	struct fl_status_quarantine *q;
	struct fl_status_index *x;
	char msg[256];

	board_lock(b);
	st = &b->st;
	if (st->q_n == FL_STATUS_QUARANTINE) {
		st->q_head = (st->q_head + 1) % FL_STATUS_QUARANTINE;
		st->q_n--;
	}
	q = &st->quarantine[(st->q_head + st->q_n) % FL_STATUS_QUARANTINE];
	st->q_n++;
	q->ts_us = fl_status_now_us();
	fl_str_copy(q->index, sizeof(q->index), index);
	fl_str_copy(q->id, sizeof(q->id), id);
	fl_str_copy(q->reason, sizeof(q->reason), reason);
	st->documents_quarantined++;
	if ((x = fl_status_index_find(st, index)))
		x->quarantined++;
	snprintf(msg, sizeof(msg), "quarantined %s/%s: %s", index, id, reason);
	board_event_locked(b, FL_LOG_WARN, "", msg);
	board_changed(b);
	board_unlock(b);
}

/* ---- /status JSON ------------------------------------------------------- */

static void
json_kv_str(struct fl_buf *o, const char *key, const char *v, int comma)
{
	if (comma)
		fl_buf_putc(o, ',');
	fl_json_put_string(o, key);
	fl_buf_putc(o, ':');
	if (v)
		fl_json_put_string(o, v);
	else
		fl_buf_puts(o, "null");
}

static void
json_kv_u(struct fl_buf *o, const char *key, uint64_t v)
{
	fl_buf_printf(o, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void
json_kv_i(struct fl_buf *o, const char *key, int64_t v)
{
	fl_buf_printf(o, ",\"%s\":%lld", key, (long long)v);
}

static void
json_ts(struct fl_buf *o, int64_t us)
{
	char s[40];

	fl_log_iso8601(us, s, sizeof(s));
	fl_json_put_string(o, s);
}

/* The reference's "pending|backfilling|seeded" for the indexes map. */
static const char *
json_ref_state(const struct fl_status_index *x)
{
	if (x->state == FL_IX_BACKFILLING)
		return "backfilling";
	return x->seeded ? "seeded" : "pending";
}

static void
json_index(struct fl_buf *o, const struct fl_status_index *x, int64_t now)
{
	size_t i;

	(void)now;
	fl_json_put_string(o, x->name);
	fl_buf_puts(o, ":{");
	json_kv_str(o, "state", fl_ixstate_name(x->state), 0);
	json_kv_str(o, "policy", x->policy_skip ? "skip" : "stop", 1);
	json_kv_str(o, "hash", x->hash[0] ? x->hash : NULL, 1);
	json_kv_str(o, "hash_alias", x->hash_alias[0] ? x->hash_alias : NULL,
	            1);
	json_kv_i(o, "serving_generation", x->serving_generation);
	json_kv_i(o, "building_generation", x->building_generation);
	json_kv_u(o, "documents_built", x->documents_built);
	json_kv_u(o, "skipped_identical", x->skipped_identical);
	json_kv_u(o, "quarantined", x->quarantined);
	if (x->stored >= 0)
		json_kv_i(o, "stored", x->stored);
	else
		fl_buf_puts(o, ",\"stored\":null");
	fl_buf_puts(o, ",\"backfill\":");
	if (x->backfill_active)
		fl_buf_printf(o, "{\"rows_done\":%lld,\"rows_estimate\":%lld}",
		              (long long)x->rows_done,
		              (long long)x->rows_estimate);
	else
		fl_buf_puts(o, "null");
	fl_buf_printf(o, ",\"covered\":%s,\"seeded\":%s,\"settings_drift\":%s",
	              x->covered ? "true" : "false",
	              x->seeded ? "true" : "false",
	              x->settings_drift ? "true" : "false");
	fl_buf_puts(o, ",\"untracked_tables\":[");
	for (i = 0; i < x->nuntracked && i < FL_STATUS_LIST; i++) {
		if (i)
			fl_buf_putc(o, ',');
		fl_json_put_string(o, x->untracked[i]);
	}
	fl_buf_puts(o, "],\"superseded\":[");
	for (i = 0; i < x->nsuperseded && i < FL_STATUS_LIST; i++) {
		if (i)
			fl_buf_putc(o, ',');
		fl_json_put_string(o, x->superseded[i]);
	}
	fl_buf_printf(o, "],\"orphans\":%zu,\"paused\":%s", x->norphans,
	              x->paused ? "true" : "false");
	if (x->pending >= 0)
		json_kv_i(o, "pending", x->pending);
	else
		fl_buf_puts(o, ",\"pending\":null");
	fl_buf_printf(o, ",\"draining\":%s,\"resync\":%s",
	              x->draining ? "true" : "false",
	              x->resync ? "true" : "false");
	json_kv_str(o, "hold_reason", x->hold_reason[0] ? x->hold_reason : NULL,
	            1);
	json_kv_str(o, "last_error", x->last_error[0] ? x->last_error : NULL,
	            1);
	fl_buf_putc(o, '}');
}

static void
json_rings(struct fl_buf *o, const struct fl_status *st)
{
	size_t i;

	fl_buf_puts(o, ",\"recent_events\":[");
	for (i = 0; i < st->ev_n; i++) {
		const struct fl_status_event *e =
		    &st->events[(st->ev_head + i) % FL_STATUS_EVENTS];

		fl_buf_puts(o, i ? ",{\"ts\":" : "{\"ts\":");
		json_ts(o, e->ts_us);
		json_kv_str(o, "level", fl_log_level_name(e->level), 1);
		if (e->component[0])
			json_kv_str(o, "component", e->component, 1);
		json_kv_str(o, "message", e->msg, 1);
		fl_buf_putc(o, '}');
	}
	fl_buf_puts(o, "],\"recent_quarantines\":[");
	for (i = st->q_n > 20 ? st->q_n - 20 : 0; i < st->q_n; i++) {
		const struct fl_status_quarantine *q =
		    &st->quarantine[(st->q_head + i) % FL_STATUS_QUARANTINE];

		fl_buf_puts(o, i && i != (st->q_n > 20 ? st->q_n - 20 : 0)
		                   ? ",{\"ts\":"
		                   : "{\"ts\":");
		json_ts(o, q->ts_us);
		json_kv_str(o, "index", q->index, 1);
		json_kv_str(o, "id", q->id, 1);
		json_kv_str(o, "reason", q->reason, 1);
		fl_buf_putc(o, '}');
	}
	fl_buf_putc(o, ']');
}

static void
json_replication(struct fl_buf *o, const struct fl_status *st)
{
	char a[32], b[32];

	fl_lsn_format(st->confirmed_lsn, a, sizeof(a));
	fl_lsn_format(st->server_lsn, b, sizeof(b));
	fl_buf_puts(o, ",\"replication\":{");
	json_kv_str(o, "state", st->repl_state, 0);
	json_kv_str(o, "slot", st->slot, 1);
	json_kv_str(o, "publication", st->publication, 1);
	json_kv_str(o, "group", st->group[0] ? st->group : NULL, 1);
	json_kv_str(o, "confirmed_lsn", a, 1);
	json_kv_str(o, "server_lsn", b, 1);
	fl_buf_printf(o, ",\"lag_seconds\":%.3f", st->lag_seconds);
	json_kv_str(o, "wal_status", st->wal_status[0] ? st->wal_status : NULL,
	            1);
	json_kv_u(o, "reconnects", st->reconnects);
	fl_buf_putc(o, '}');
}

/* ,"nodes":[{"url","state","since","failures","last_error"},...] */
static void
json_nodes(struct fl_buf *o, const struct fl_status_sink *s)
{
	size_t j;

	fl_buf_puts(o, ",\"nodes\":[");
	for (j = 0; j < s->nnodes; j++) {
		const struct fl_node_state *nd = &s->nodes[j];

		fl_buf_puts(o, j ? ",{" : "{");
		json_kv_str(o, "url", nd->url, 0);
		json_kv_str(o, "state", nd->up ? "up" : "down", 1);
		fl_buf_puts(o, ",\"since\":");
		if (nd->since_us)
			json_ts(o, nd->since_us);
		else
			fl_buf_puts(o, "null");
		json_kv_u(o, "failures", nd->failures);
		json_kv_str(o, "last_error",
		            nd->last_error[0] ? nd->last_error : NULL, 1);
		fl_buf_putc(o, '}');
	}
	fl_buf_putc(o, ']');
}

/* Hot standby: this instance's role and the active one (null when
 * there is no coordination, or nobody is active). */
static void
json_role(struct fl_buf *o, const struct fl_status *st, int64_t now_us)
{
	json_kv_str(o, "role", st->role[0] ? st->role : NULL, 1);
	if (!st->role[0] || !st->active_pid) {
		fl_buf_puts(o, ",\"active\":null");
		return;
	}
	fl_buf_puts(o, ",\"active\":{");
	json_kv_str(o, "host", st->active_host, 0);
	fl_buf_printf(o, ",\"pid\":%ld", st->active_pid);
	json_kv_str(o, "client",
	            st->active_client[0] ? st->active_client : NULL, 1);
	json_kv_i(o, "since_unix", st->active_since_us / 1000000);
	json_kv_i(o, "since_seconds",
	          st->active_since_us ? (now_us - st->active_since_us) / 1000000
	                              : 0);
	fl_buf_printf(o, ",\"failover_after_secs\":%ld}",
	              st->failover_after_secs);
}

static void
json_sinks(struct fl_buf *o, const struct fl_status *st)
{
	size_t i;

	fl_buf_puts(o, ",\"sinks\":{");
	for (i = 0; i < st->nsinks; i++) {
		const struct fl_status_sink *s = &st->sinks[i];

		if (i)
			fl_buf_putc(o, ',');
		fl_json_put_string(o, s->name);
		fl_buf_puts(o, ":{");
		json_kv_str(o, "type", s->type, 0);
		json_kv_str(o, "state", s->state, 1);
		json_kv_str(o, "last_error",
		            s->last_error[0] ? s->last_error : NULL, 1);
		json_kv_u(o, "bulk_retries", s->bulk_retries);
		if (s->nnodes)
			json_nodes(o, s);
		fl_buf_putc(o, '}');
	}
	fl_buf_putc(o, '}');
}

int
fl_status_to_json(const struct fl_status *st, int64_t now_us, struct fl_buf *o)
{
	size_t i;
	int first = 1;

	fl_buf_puts(o, "{");
	json_kv_str(o, "phase", fl_phase_name(st->phase), 0);
	json_kv_i(o, "uptime_seconds", (now_us - st->started_us) / 1000000);
	fl_buf_puts(o, ",\"indexes\":{");
	for (i = 0; i < st->nindexes; i++) {
		if (!st->indexes[i].enabled)
			continue;
		json_kv_str(o, st->indexes[i].name,
		            json_ref_state(&st->indexes[i]), !first);
		first = 0;
	}
	fl_buf_putc(o, '}');
	json_kv_u(o, "changes_captured", st->changes_captured);
	json_kv_u(o, "changes_committed", st->changes_committed);
	json_kv_u(o, "changes_in_flight", st->in_flight);
	json_kv_u(o, "documents_built", st->documents_built);
	json_kv_u(o, "documents_quarantined", st->documents_quarantined);
	json_kv_u(o, "batches", st->batches);
	json_kv_i(o, "last_flush_micros", st->last_flush_us);
	if (st->lag_known)
		json_kv_i(o, "slot_lag_bytes", st->lag_bytes);
	else
		fl_buf_puts(o, ",\"slot_lag_bytes\":null");
	json_kv_u(o, "errors", st->errors);
	json_kv_str(o, "last_error", st->last_error[0] ? st->last_error : NULL,
	            1);
	/* ours, after the reference's fields */
	json_kv_str(o, "version", st->version, 1);
	json_kv_u(o, "documents_skipped_identical",
	          st->documents_skipped_identical);
	fl_buf_printf(o, ",\"paused\":%s", st->paused ? "true" : "false");
	json_kv_str(o, "waiting_for",
	            st->waiting_for[0] ? st->waiting_for : NULL, 1);
	fl_buf_printf(o,
	              ",\"queue\":{\"depth\":%llu,\"capacity\":%llu,"
	              "\"batch_changes\":%llu,\"seeding_depth\":%llu}",
	              (unsigned long long)st->queue_depth,
	              (unsigned long long)st->queue_capacity,
	              (unsigned long long)st->batch_changes,
	              (unsigned long long)st->seeding_depth);
	json_replication(o, st);
	json_role(o, st, now_us);
	json_sinks(o, st);
	fl_buf_puts(o, ",\"index_details\":{");
	for (i = 0; i < st->nindexes; i++) {
		if (i)
			fl_buf_putc(o, ',');
		json_index(o, &st->indexes[i], now_us);
	}
	fl_buf_putc(o, '}');
	json_rings(o, st);
	fl_buf_printf(o,
	              ",\"config\":{\"queue_capacity\":%ld,"
	              "\"batch_max_changes\":%ld,\"batch_max_delay_ms\":%ld,"
	              "\"lag_poll_secs\":%ld,\"workers\":%ld",
	              st->cfg_queue_capacity, st->cfg_batch_max_changes,
	              st->cfg_batch_max_delay_ms, st->cfg_lag_poll_secs,
	              st->cfg_workers);
	json_kv_str(o, "prefix", st->cfg_prefix, 1);
	fl_buf_printf(o, ",\"manage_publication\":%s}}",
	              st->cfg_manage_publication ? "true" : "false");
	return 0;
}

/* ---- /metrics -------------------------------------------------------------- */

int
fl_status_ready(const struct fl_status *st)
{
	return (st->phase == FL_PHASE_BACKFILLING ||
	        st->phase == FL_PHASE_LIVE || st->phase == FL_PHASE_PAUSED) &&
	       !st->waiting_for[0];
}

static void
metric(struct fl_buf *o, const char *name, const char *type, const char *help)
{
	fl_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	              type);
}

int
fl_status_to_metrics(const struct fl_status *st, struct fl_buf *o)
{
	uint64_t cum = 0;
	size_t i;

	metric(o, "flusso_changes_captured_total", "counter",
	       "Changes read from the replication stream.");
	fl_buf_printf(o, "flusso_changes_captured_total %llu\n",
	              (unsigned long long)st->changes_captured);
	metric(o, "flusso_changes_committed_total", "counter",
	       "Changes whose documents are durable and whose position was "
	       "confirmed.");
	fl_buf_printf(o, "flusso_changes_committed_total %llu\n",
	              (unsigned long long)st->changes_committed);
	metric(o, "flusso_documents_built_total", "counter",
	       "Documents built and written, per index.");
	for (i = 0; i < st->nindexes; i++)
		fl_buf_printf(
		    o, "flusso_documents_built_total{index=\"%s\"} %llu\n",
		    st->indexes[i].name,
		    (unsigned long long)st->indexes[i].documents_built);
	metric(o, "flusso_documents_skipped_identical_total", "counter",
	       "Documents built but not written, being identical to the one "
	       "last stored for their id, per index.");
	for (i = 0; i < st->nindexes; i++)
		fl_buf_printf(
		    o,
		    "flusso_documents_skipped_identical_total{index="
		    "\"%s\"} %llu\n",
		    st->indexes[i].name,
		    (unsigned long long)st->indexes[i].skipped_identical);
	metric(o, "flusso_batches_total", "counter", "Committed batches.");
	fl_buf_printf(o, "flusso_batches_total %llu\n",
	              (unsigned long long)st->batches);
	metric(o, "flusso_indexes_seeded_total", "counter",
	       "Indexes whose seeding completed.");
	for (i = 0; i < st->nindexes; i++)
		fl_buf_printf(o,
		              "flusso_indexes_seeded_total{index=\"%s\"} %d\n",
		              st->indexes[i].name, st->indexes[i].seeded);
	metric(o, "flusso_documents_quarantined_total", "counter",
	       "Documents refused by a sink and skipped; a non-zero value "
	       "means data is being dropped - alert on it.");
	for (i = 0; i < st->nindexes; i++)
		fl_buf_printf(
		    o,
		    "flusso_documents_quarantined_total{index=\"%s\"} %llu\n",
		    st->indexes[i].name,
		    (unsigned long long)st->indexes[i].quarantined);
	metric(o, "flusso_errors_total", "counter", "Errors.");
	fl_buf_printf(o, "flusso_errors_total %llu\n",
	              (unsigned long long)st->errors);
	metric(o, "flusso_flush_duration_seconds", "histogram",
	       "Time to make one batch durable.");
	for (i = 0; i < FL_STATUS_FLUSH_BUCKETS; i++) {
		cum = st->flush_buckets[i];
		fl_buf_printf(o,
		              "flusso_flush_duration_seconds_bucket{le=\"%g\"} "
		              "%llu\n",
		              fl_status_flush_bounds[i],
		              (unsigned long long)cum);
	}
	fl_buf_printf(o,
	              "flusso_flush_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	              "flusso_flush_duration_seconds_sum %.6f\n"
	              "flusso_flush_duration_seconds_count %llu\n",
	              (unsigned long long)st->flush_count, st->flush_sum,
	              (unsigned long long)st->flush_count);
	metric(o, "flusso_replication_slot_lag_bytes", "gauge",
	       "WAL bytes between the server and the slot's confirmed "
	       "position.");
	if (st->lag_known)
		fl_buf_printf(o, "flusso_replication_slot_lag_bytes %lld\n",
		              (long long)st->lag_bytes);
	metric(o, "flusso_indexes", "gauge", "Indexes ensured at the sinks.");
	fl_buf_printf(o, "flusso_indexes %llu\n",
	              (unsigned long long)st->indexes_ensured);
	metric(o, "flusso_changes_in_flight", "gauge",
	       "Changes captured and not yet committed.");
	fl_buf_printf(o, "flusso_changes_in_flight %llu\n",
	              (unsigned long long)st->in_flight);
	/* ours */
	metric(o, "flusso_queue_depth", "gauge", "Changes waiting in queues.");
	fl_buf_printf(o, "flusso_queue_depth %llu\n",
	              (unsigned long long)st->queue_depth);
	metric(o, "flusso_replication_slot_lag_seconds", "gauge",
	       "Age of the oldest unconfirmed transaction.");
	fl_buf_printf(o, "flusso_replication_slot_lag_seconds %.3f\n",
	              st->lag_seconds);
	metric(o, "flusso_reconnects_total", "counter",
	       "Replication stream reconnects.");
	fl_buf_printf(o, "flusso_reconnects_total{target=\"postgres\"} %llu\n",
	              (unsigned long long)st->reconnects);
	metric(o, "flusso_waiting", "gauge",
	       "1 while waiting for a dependency.");
	fl_buf_printf(o,
	              "flusso_waiting{target=\"postgres\"} %d\n"
	              "flusso_waiting{target=\"opensearch\"} %d\n",
	              strcmp(st->waiting_for, "postgres") == 0,
	              strcmp(st->waiting_for, "opensearch") == 0);
	metric(o, "flusso_opensearch_node_up", "gauge",
	       "1 while an OpenSearch node of a sink answers, 0 while it is "
	       "skipped as down.");
	for (i = 0; i < st->nsinks; i++) {
		size_t j;

		for (j = 0; j < st->sinks[i].nnodes; j++)
			fl_buf_printf(o,
			              "flusso_opensearch_node_up{sink=\"%s\","
			              "node=\"%s\"} %d\n",
			              st->sinks[i].name,
			              st->sinks[i].nodes[j].url,
			              st->sinks[i].nodes[j].up);
	}
	metric(o, "flusso_paused", "gauge", "1 while paused.");
	fl_buf_printf(o, "flusso_paused %d\n", st->paused);
	metric(o, "flusso_phase", "gauge",
	       "1 for the pipeline's current phase, 0 for the others.");
	for (i = 0; i < FL_ARRAY_LEN(phase_names); i++)
		fl_buf_printf(o, "flusso_phase{phase=\"%s\"} %d\n",
		              phase_names[i], (size_t)st->phase == i);
	metric(o, "flusso_role", "gauge",
	       "1 for this instance's role on its slot (hot standby): the "
	       "active one writes, standbys wait.");
	fl_buf_printf(o,
	              "flusso_role{role=\"active\"} %d\n"
	              "flusso_role{role=\"standby\"} %d\n",
	              strcmp(st->role, "active") == 0,
	              strcmp(st->role, "standby") == 0);
	metric(o, "flusso_ready", "gauge",
	       "1 while ready (what /readyz answers 200 to): backfilling, "
	       "live or paused, waiting for nothing.");
	fl_buf_printf(o, "flusso_ready %d\n", fl_status_ready(st));
	metric(o, "flusso_index_held", "gauge",
	       "1 while an index is held: paused, stopped by a failure, or in "
	       "drift from its schema.");
	for (i = 0; i < st->nindexes; i++)
		if (st->indexes[i].enabled)
			fl_buf_printf(
			    o,
			    "flusso_index_held{index=\"%s\",state=\"paused\"} "
			    "%d\n"
			    "flusso_index_held{index=\"%s\",state=\"stopped\"} "
			    "%d\n"
			    "flusso_index_held{index=\"%s\",state=\"drift\"} "
			    "%d\n",
			    st->indexes[i].name,
			    st->indexes[i].state == FL_IX_PAUSED,
			    st->indexes[i].name,
			    st->indexes[i].state == FL_IX_STOPPED,
			    st->indexes[i].name,
			    st->indexes[i].state == FL_IX_DRIFT);
	metric(o, "flusso_index_pending_ids", "gauge",
	       "Ids in an index's pending set (applied on resume or retry).");
	for (i = 0; i < st->nindexes; i++)
		if (st->indexes[i].enabled && st->indexes[i].pending >= 0)
			fl_buf_printf(
			    o, "flusso_index_pending_ids{index=\"%s\"} %lld\n",
			    st->indexes[i].name, st->indexes[i].pending);
	metric(o, "flusso_backfill_rows_total", "counter",
	       "Root rows seeded, per index.");
	for (i = 0; i < st->nindexes; i++)
		fl_buf_printf(
		    o, "flusso_backfill_rows_total{index=\"%s\"} %lld\n",
		    st->indexes[i].name, (long long)st->indexes[i].rows_done);
	metric(o, "flusso_untracked_changes_total", "counter",
	       "Deletes or re-parentings that could not update the old "
	       "parent.");
	fl_buf_printf(o, "flusso_untracked_changes_total %llu\n",
	              (unsigned long long)st->untracked_changes);
	metric(o, "flusso_info", "gauge",
	       "The instance: its group, slot and publication.");
	fl_buf_printf(o,
	              "flusso_info{group=\"%s\",slot=\"%s\","
	              "publication=\"%s\"} 1\n",
	              st->group, st->slot, st->publication);
	metric(o, "target_info", "gauge", "Target metadata.");
	fl_buf_puts(o, "target_info{service_name=\"flusso\"} 1\n");
	return 0;
}
