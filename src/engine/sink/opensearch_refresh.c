/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_refresh.c - the OpenSearch sink's shared refresher: makes
 * what the writers made durable searchable, off their flush path.
 *
 * Owns: the set of generations written since their last refresh, the
 * refresher thread and its HTTP client, its counters. Does not own: the
 * refresh of mark_seeded (opensearch_sink.c, on the control thread, in
 * the §2.8 order) nor the pending index's (opensearch_pending.c).
 *
 * DESIGN
 *   Why. Durability comes from the bulk response (the translog), not
 *   from a refresh, so a position may be confirmed as soon as its bulk
 *   succeeded. A refresh after every caught-up flush sat on that path
 *   (at 1,000 changes/s it took 261 ms on average, 3.6x the bulk) and
 *   was sent by each worker for the same index. Here the writers only
 *   note what they wrote; one thread per sink refreshes.
 *   Contract (engine-sink.md §2.7, ours, as changed here): after a
 *   caught-up flush returns, every document it wrote is searchable
 *   within one period (plus the refresh's own time). While a backlog
 *   drains (no caught-up flush) nothing is forced, as before: the
 *   index's refresh_interval is the staleness ceiling.
 *   Rate. At most one POST /<generations>/_refresh per period for the
 *   whole sink (each generation written since the last one, in one
 *   request), and none when nothing was written. A caught-up flush that
 *   comes less than a period after the last refresh waits for the
 *   period's end; the first one after a quiet spell goes at once.
 *   Threads. fl_sink_os_refresh_note runs on writer threads; it takes
 *   the refresher's own mutex (never the routing lock) and starts the
 *   thread on first use. The thread owns its client (registered with
 *   the sink, so set_abort reaches it). Generations dropped between the
 *   note and the refresh are ignored (ignore_unavailable). A failed
 *   refresh is logged and not retried: the next write notes the index
 *   again, and the index's own refresh_interval still applies.
 *   Stopping (the sink is freed) sends a refresh still wanted at once.
 *   Period 0 turns this off: the writer refreshes the generations of a
 *   caught-up flush itself before returning (the old way, kept for
 *   A/B measurements and for callers who need read-your-writes).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink/opensearch_sink.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmem.h"

#define OR_LOG "opensearch"

struct os_refresher {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int started, stop;
	long period_ms;
	char **dirty; /* generations written since their last refresh */
	size_t ndirty, capdirty;
	int want;        /* a caught-up flush is waiting to be visible */
	int64_t last_ms; /* monotonic start of the last refresh, 0 none */
	uint64_t refreshes, failures;
};

void
fl_sink_os_refresh_init(struct fl_sink_os *s, long period_ms)
{
	struct os_refresher *r = fl_xcalloc(1, sizeof(*r));
	pthread_condattr_t ca;

	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	r->period_ms = period_ms;
	s->refresher = r;
}

/* Wait on r->cv until the monotonic time `ms` (r->mu held). */
static void
or_wait_until(struct os_refresher *r, int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

/* One POST /<names>/_refresh through h; 0, or -1 (logged). */
static int
or_send(struct fl_sink_os *s, struct fl_http *h, char **names, size_t n)
{
	struct fl_buf path;
	struct fl_http_req q;
	struct fl_err err;
	size_t i;
	int rc;

	fl_buf_init(&path, SIZE_MAX);
	fl_buf_putc(&path, '/');
	for (i = 0; i < n; i++) {
		if (i)
			fl_buf_putc(&path, ',');
		fl_buf_puts(&path, names[i]);
	}
	fl_buf_puts(&path, "/_refresh?ignore_unavailable=true");
	fl_http_req_init(&q);
	fl_err_clear(&err);
	rc = fl_sink_os_call(s, h, "POST", fl_buf_str(&path), NULL, &q,
	                     "refresh failed", &err);
	if (rc == FL_SINK_OK && (q.status < 200 || q.status >= 300))
		rc = fl_sink_os_status_error(&q, "refresh failed", &err);
	if (rc != FL_SINK_OK && err.code != FL_ERR_CANCELLED)
		fl_log_warn(OR_LOG,
		            "%s (the documents are durable; they become "
		            "searchable at the next refresh)",
		            err.msg);
	fl_http_req_done(&q);
	fl_buf_done(&path);
	return rc == FL_SINK_OK ? 0 : -1;
}

/* The refresher thread. */
static void *
or_main(void *arg)
{
	struct fl_sink_os *s = arg;
	struct os_refresher *r = s->refresher;
	struct fl_http *h = NULL;
	struct fl_err err;
	char **names = NULL;
	size_t n, cap = 0, i;

	fl_err_clear(&err);
	if (!(h = fl_http_new(&s->http, &err)))
		fl_log_warn(OR_LOG, "refresher: %s", err.msg);
	else
		fl_sink_os_client_add(s, h);
	pthread_mutex_lock(&r->mu);
	for (;;) {
		int64_t now, due;
		int ok;

		if (!r->want || r->ndirty == 0) {
			if (r->stop)
				break;
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		now = fl_mono_ms();
		due = r->last_ms ? r->last_ms + r->period_ms : now;
		if (now < due && !r->stop) { /* stopping: the last one now */
			or_wait_until(r, due);
			continue;
		}
		/* take the set: notes made meanwhile start the next one */
		names = fl_xgrow(names, &cap, r->ndirty, sizeof(*names));
		memcpy(names, r->dirty, r->ndirty * sizeof(*names));
		n = r->ndirty;
		r->ndirty = 0;
		r->want = 0;
		r->last_ms = now;
		pthread_mutex_unlock(&r->mu);
		ok = h && or_send(s, h, names, n) == 0;
		fl_log_debug(
		    OR_LOG, "refresh of %zu generation(s): %s in %lld ms", n,
		    ok ? "done" : "failed", (long long)(fl_mono_ms() - now));
		pthread_mutex_lock(&r->mu);
		if (ok)
			r->refreshes++;
		else
			r->failures++;
		for (i = 0; i < n; i++)
			free(names[i]);
	}
	pthread_mutex_unlock(&r->mu);
	free(names);
	if (h) {
		fl_sink_os_client_remove(s, h);
		fl_http_free(h);
	}
	return NULL;
}

int
fl_sink_os_refresh_shared(const struct fl_sink_os *s)
{
	return s->refresher && s->refresher->period_ms > 0;
}

void
fl_sink_os_refresh_note(struct fl_sink_os *s, const char *const *gens, size_t n,
                        int caught_up)
{
	struct os_refresher *r = s->refresher;
	size_t i, j;

	if (!r || n == 0)
		return;
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < n; i++) {
		for (j = 0; j < r->ndirty && strcmp(r->dirty[j], gens[i]); j++)
			;
		if (j < r->ndirty)
			continue;
		r->dirty = fl_xgrow(r->dirty, &r->capdirty, r->ndirty + 1,
		                    sizeof(*r->dirty));
		r->dirty[r->ndirty++] = fl_xstrdup(gens[i]);
	}
	if (caught_up)
		r->want = 1;
	if (!r->started && !r->stop) {
		if (pthread_create(&r->th, NULL, or_main, s) == 0)
			r->started = 1;
		else
			fl_log_warn(OR_LOG, "could not start the refresher: "
			                    "searches see writes at the "
			                    "index's refresh_interval");
	}
	if (r->want)
		pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void
fl_sink_os_refresh_stats(const struct fl_sink_os *s, uint64_t *refreshes,
                         uint64_t *failures)
{
	struct os_refresher *r = s->refresher;

	*refreshes = *failures = 0;
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	*refreshes = r->refreshes;
	*failures = r->failures;
	pthread_mutex_unlock(&r->mu);
}

void
fl_sink_os_refresh_done(struct fl_sink_os *s)
{
	struct os_refresher *r = s->refresher;
	size_t i;
	int started;

	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	started = r->started;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (started)
		pthread_join(r->th, NULL);
	for (i = 0; i < r->ndirty; i++)
		free(r->dirty[i]);
	free(r->dirty);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
	s->refresher = NULL;
}
