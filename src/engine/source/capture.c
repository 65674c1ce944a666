/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * capture.c - the capture I/O thread (see capture.h for the design).
 *
 * One stream = one epoch:
 *   connect (replication=database) -> IDENTIFY_SYSTEM -> make sure the
 *   slot exists (recreated if it vanished: continuity lost) -> read its
 *   confirmed_flush_lsn -> reset the watermark there -> START_REPLICATION
 *   -> loop { poll; read frames; decode; push changes; send status }.
 * A broken stream (connection lost, walsender terminated, server
 * restarted) reconnects with capped exponential backoff and jitter;
 * everything unconfirmed is redelivered by the next stream. Decode
 * errors and setup errors end the thread in state ERROR.
 */
#include "source/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source/change_event.h"
#include "source/pg_conn.h"
#include "source/pgoutput.h"
#include "source/relation_cache.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

#define CAP_PUSH_WAIT_MS 200
#define CAP_TXN_RING     4096
#define CAP_TRACE_TABS   4
#define CAP_TRACE_MAX    1024

/* A transaction whose commit the watermark has not passed yet. */
struct cap_txn {
	fl_lsn end_lsn;
	int64_t commit_time;
};

/* At trace level: a committed transaction with tracked changes whose
 * commit no status update has confirmed yet (the "confirmed" record). */
struct cap_trace_txn {
	fl_lsn commit_lsn, end_lsn;
	uint32_t xid;
	const struct fl_track_table *tabs[CAP_TRACE_TABS];
	unsigned ntabs, more; /* tables beyond tabs[] */
};

struct fl_capture {
	struct fl_capture_opts o;
	char *conninfo, *slot, *publication;
	pthread_t thread, lag_thread;
	int started;
	atomic_int stop;
	atomic_int restart; /* fl_capture_restart() asked to drop the stream */
	int wake[2];
	struct fl_wm *wm;

	pthread_mutex_t mu; /* guards st */
	struct fl_capture_status st;

	/* capture thread only */
	struct fl_relcache rels; /* kept across streams */
	struct fl_pgo_scratch scratch;
	int in_txn;
	fl_lsn txn_lsn;
	int64_t txn_time;
	uint32_t txn_xid, txn_pos;
	struct cap_txn ring[CAP_TXN_RING];
	size_t ring_head, ring_len;
	struct cap_trace_txn trace_txn; /* the open one: tables seen */
	struct cap_trace_txn *trace;    /* committed, oldest first */
	size_t ntrace, captrace;
	fl_lsn keepalive_end;
	fl_lsn last_sent;
	int64_t last_sent_ms;
	int64_t last_rx_ms; /* last frame read (or handed on) */
	int backoff_ms;
};

/* A stream silent this long gets a status update asking for a reply; one
 * silent CAP_RX_TIMEOUT_MS is treated as stalled and reconnected (the
 * walsender answers a reply request at once, even while it decodes). */
#define CAP_PING_MS       10000
#define CAP_RX_TIMEOUT_MS 60000

static const char *const cap_state_names[] = {
	"starting",     "connecting", "streaming",
	"reconnecting", "error",      "stopped",
};

const char *
fl_capture_state_name(enum fl_capture_state s)
{
	return (size_t)s < FL_ARRAY_LEN(cap_state_names) ? cap_state_names[s]
	                                                 : "?";
}

/* ---- status ---------------------------------------------------------- */

static void
cap_set_state(struct fl_capture *c, enum fl_capture_state s, const char *err)
{
	pthread_mutex_lock(&c->mu);
	c->st.state = s;
	if (err)
		snprintf(c->st.last_error, sizeof(c->st.last_error), "%.*s",
		         (int)sizeof(c->st.last_error) - 1, err);
	pthread_mutex_unlock(&c->mu);
}

static void
cap_event(struct fl_capture *c, enum fl_capture_event ev, const char *detail)
{
	if (c->o.on_event)
		c->o.on_event(c->o.arg, ev, detail);
}

/* Seconds behind: now minus the commit time of the oldest transaction
 * the watermark has not passed (0 when nothing is outstanding). */
static double
cap_lag_seconds(struct fl_capture *c, fl_lsn confirmed)
{
	int64_t oldest = 0;

	while (c->ring_len && c->ring[c->ring_head].end_lsn <= confirmed) {
		c->ring_head = (c->ring_head + 1) % CAP_TXN_RING;
		c->ring_len--;
	}
	if (c->ring_len)
		oldest = c->ring[c->ring_head].commit_time;
	else if (c->in_txn)
		oldest = c->txn_time;
	if (!oldest)
		return 0;
	return (double)(fl_pgo_pg_time(fl_wall_us()) - oldest) / 1e6;
}

static void
cap_publish(struct fl_capture *c)
{
	fl_lsn conf = fl_wm_confirmed(c->wm);
	double secs = cap_lag_seconds(c, conf);

	pthread_mutex_lock(&c->mu);
	c->st.confirmed = c->last_sent;
	c->st.lag_seconds = secs < 0 ? 0 : secs;
	c->st.epoch = fl_wm_epoch(c->wm);
	pthread_mutex_unlock(&c->mu);
}

/* ---- changes ------------------------------------------------------------- */

static const struct fl_pgo_cell *
cap_cell(const struct fl_pgo_tuple *t, int pos)
{
	return pos >= 0 && pos < (int)t->ncols ? &t->cells[pos] : NULL;
}

/* Bytes needed for the text of one image. */
static size_t
cap_image_size(const struct fl_relcache_entry *r, const struct fl_pgo_tuple *t)
{
	size_t i, n = 0;

	for (i = 0; i < r->tt->ncols; i++) {
		const struct fl_pgo_cell *cell = cap_cell(t, r->colmap[i]);

		if (cell && (cell->kind == 't' || cell->kind == 'b'))
			n += cell->len + 1; /* cap_image copies both */
	}
	return n;
}

/* Fill one image; text copied to *pool. `fallback` supplies values for
 * unchanged-TOAST cells (the old tuple), may be NULL. */
static void
cap_image(const struct fl_relcache_entry *r, const struct fl_pgo_tuple *t,
          struct fl_cval *out, char **pool)
{
	size_t i;

	for (i = 0; i < r->tt->ncols; i++) {
		const struct fl_pgo_cell *cell = cap_cell(t, r->colmap[i]);

		if (!cell) {
			out[i].state = FL_CV_ABSENT;
		} else if (cell->kind == 'n') {
			out[i].state = FL_CV_NULL;
		} else if (cell->kind == 'u') {
			out[i].state = FL_CV_TOAST;
		} else {
			memcpy(*pool, cell->data, cell->len);
			(*pool)[cell->len] = '\0';
			out[i].state = FL_CV_VALUE;
			out[i].text = *pool;
			*pool += cell->len + 1;
		}
	}
}

static struct fl_change *
cap_build(struct fl_capture *c, const struct fl_relcache_entry *r,
          const struct fl_pgo_msg *m)
{
	size_t n = r->tt->ncols, i;
	int has_new = m->kind != FL_PGO_DELETE, has_old = m->old_kind != 0;
	size_t size = sizeof(struct fl_change) + 2 * n * sizeof(struct fl_cval);
	struct fl_change *ch;
	char *pool;

	if (has_new)
		size += cap_image_size(r, &m->new_tuple);
	if (has_old)
		size += cap_image_size(r, &m->old_tuple);
	ch = fl_xcalloc(1, size);
	ch->op = m->kind == FL_PGO_INSERT   ? FL_CHANGE_INSERT
	         : m->kind == FL_PGO_UPDATE ? FL_CHANGE_UPDATE
	                                    : FL_CHANGE_DELETE;
	ch->table = r->tt;
	ch->newv = (struct fl_cval *)(ch + 1);
	ch->oldv = ch->newv + n;
	pool = (char *)(ch->oldv + n);
	if (has_new)
		cap_image(r, &m->new_tuple, ch->newv, &pool);
	if (has_old) {
		cap_image(r, &m->old_tuple, ch->oldv, &pool);
		ch->old_kind = m->old_kind;
	}
	/* an unchanged TOASTed value: the old tuple may carry it */
	for (i = 0; has_new && has_old && i < n; i++)
		if (ch->newv[i].state == FL_CV_TOAST &&
		    ch->oldv[i].state == FL_CV_VALUE)
			ch->newv[i] = ch->oldv[i];
	ch->commit_lsn = c->txn_lsn;
	ch->commit_time = c->txn_time;
	ch->xid = c->txn_xid;
	ch->pos = c->txn_pos++;
	return ch;
}

static struct fl_change *
cap_build_truncate(struct fl_capture *c, const struct fl_pgo_msg *m)
{
	const struct fl_track_table **tabs;
	struct fl_change *ch;
	size_t i, n = 0;

	ch = fl_xcalloc(1, sizeof(*ch) + (m->nrels + 1) * sizeof(*tabs));
	tabs = (const struct fl_track_table **)(ch + 1);
	for (i = 0; i < m->nrels; i++) {
		const struct fl_relcache_entry *r =
		    fl_relcache_find(&c->rels, m->rel_oids[i]);

		if (r && r->tt)
			tabs[n++] = r->tt;
	}
	if (n == 0) {
		free(ch);
		return NULL;
	}
	ch->op = FL_CHANGE_TRUNCATE;
	ch->trunc = tabs;
	ch->ntrunc = n;
	ch->commit_lsn = c->txn_lsn;
	ch->commit_time = c->txn_time;
	ch->xid = c->txn_xid;
	ch->pos = c->txn_pos++;
	for (i = 0; i < n; i++)
		fl_log_warn("capture", "TRUNCATE of %s.%s in transaction %u",
		            tabs[i]->schema, tabs[i]->table, c->txn_xid);
	return ch;
}

/* A tracked table's definition changed, at this position of the stream. */
static struct fl_change *
cap_build_relation(struct fl_capture *c, const struct fl_track_table *tt,
                   const char *why)
{
	size_t n = strlen(why) + 1;
	struct fl_change *ch = fl_xcalloc(1, sizeof(*ch) + n);

	ch->op = FL_CHANGE_RELATION;
	ch->table = tt;
	ch->what = memcpy((char *)(ch + 1), why, n);
	ch->commit_lsn = c->txn_lsn;
	ch->commit_time = c->txn_time;
	ch->xid = c->txn_xid;
	ch->pos = c->txn_pos; /* before the next change; not one itself */
	return ch;
}

/* ---- trace records ------------------------------------------------------- */

/* "received": one record per change (per table of a TRUNCATE), and its
 * table remembered for the transaction's "confirmed" record. */
static void
cap_trace_received(struct fl_capture *c, const struct fl_change *ch)
{
	struct cap_trace_txn *t = &c->trace_txn;
	const struct fl_track_table *const *tabs =
	    ch->op == FL_CHANGE_TRUNCATE ? ch->trunc : &ch->table;
	size_t n = ch->op == FL_CHANGE_TRUNCATE ? ch->ntrunc : 1, i, j;
	char id[640];

	for (i = 0; i < n; i++) {
		for (j = 0; j < t->ntabs && t->tabs[j] != tabs[i]; j++)
			;
		if (j == t->ntabs && t->ntabs < CAP_TRACE_TABS)
			t->tabs[t->ntabs++] = tabs[i];
		else if (j == t->ntabs)
			t->more = 1;
		if (!fl_track_trace_wants(tabs[i]))
			continue;
		if (ch->op == FL_CHANGE_TRUNCATE) {
			char lsn[32];

			fl_lsn_format(ch->commit_lsn, lsn, sizeof(lsn));
			fl_log_trace(
			    "capture",
			    "received lsn=%s xid=%u pos=%u table=%s.%s "
			    "op=truncate",
			    lsn, ch->xid, ch->pos, tabs[i]->schema,
			    tabs[i]->table);
		} else {
			fl_change_trace_id(ch, id, sizeof(id));
			fl_log_trace("capture", "received %s", id);
		}
	}
}

/* At a Commit: keep the transaction for its "confirmed" record. */
static void
cap_trace_commit(struct fl_capture *c, const struct fl_pgo_msg *m)
{
	struct cap_trace_txn *t = &c->trace_txn;

	if (t->ntabs == 0)
		return;
	if (c->ntrace == CAP_TRACE_MAX) { /* keep the newest */
		memmove(c->trace, c->trace + 1,
		        (c->ntrace - 1) * sizeof(*c->trace));
		c->ntrace--;
	}
	c->trace =
	    fl_xgrow(c->trace, &c->captrace, c->ntrace + 1, sizeof(*c->trace));
	t->commit_lsn = c->txn_lsn; /* what "received" said */
	t->end_lsn = m->end_lsn;
	t->xid = c->txn_xid;
	c->trace[c->ntrace++] = *t;
	memset(t, 0, sizeof(*t));
}

/* "confirmed": the transactions a status update reporting `pos` as
 * flushed covers (kept only while trace was on). */
static void
cap_trace_confirmed(struct fl_capture *c, fl_lsn pos)
{
	char lsn[32], flush[32], tabs[512];
	size_t i, k, len;

	for (i = 0; i < c->ntrace && c->trace[i].end_lsn <= pos; i++) {
		const struct cap_trace_txn *t = &c->trace[i];
		int want = 0;

		if (!fl_log_enabled(FL_LOG_TRACE))
			continue;
		tabs[0] = '\0';
		for (k = 0, len = 0; k < t->ntabs; k++) {
			int w;

			want |= fl_track_trace_wants(t->tabs[k]);
			w = snprintf(tabs + len, sizeof(tabs) - len, "%s%s.%s",
			             k ? "," : "", t->tabs[k]->schema,
			             t->tabs[k]->table);
			if (w < 0 || (size_t)w >= sizeof(tabs) - len)
				break;
			len += (size_t)w;
		}
		if (!want)
			continue;
		fl_lsn_format(t->commit_lsn, lsn, sizeof(lsn));
		fl_lsn_format(pos, flush, sizeof(flush));
		fl_log_trace("capture",
		             "confirmed lsn=%s xid=%u flush=%s tables=%s%s",
		             lsn, t->xid, flush, tabs, t->more ? ",..." : "");
	}
	if (i) {
		memmove(c->trace, c->trace + i,
		        (c->ntrace - i) * sizeof(*c->trace));
		c->ntrace -= i;
	}
}

/* ---- sending status ------------------------------------------------------ */

/* Send a standby status update with the watermark; -1 on I/O failure. */
static int
cap_send_status(struct fl_capture *c, PGconn *conn, struct fl_err *err)
{
	uint8_t msg[34];
	fl_lsn pos;

	if (!c->in_txn && c->keepalive_end)
		fl_wm_advance_idle(c->wm, c->keepalive_end);
	pos = fl_wm_confirmed(c->wm);
	if (pos < c->last_sent)
		pos = c->last_sent;
	fl_pgo_status_update(msg, pos, pos, pos, fl_pgo_pg_time(fl_wall_us()),
	                     fl_mono_ms() - c->last_rx_ms >= CAP_PING_MS);
	if (PQputCopyData(conn, (const char *)msg, sizeof(msg)) != 1 ||
	    PQflush(conn) < 0)
		return fl_err_set(err, FL_ERR_PG, "sending status update: %s",
		                  PQerrorMessage(conn));
	c->last_sent = pos;
	c->last_sent_ms = fl_mono_ms();
	if (c->ntrace)
		cap_trace_confirmed(c, pos);
	pthread_mutex_lock(&c->mu);
	c->st.last_status_us = fl_wall_us();
	pthread_mutex_unlock(&c->mu);
	cap_publish(c);
	return 0;
}

/* Send if the interval elapsed, or the watermark moved (<= 1/s). */
static int
cap_maybe_status(struct fl_capture *c, PGconn *conn, struct fl_err *err)
{
	int64_t since = fl_mono_ms() - c->last_sent_ms;
	fl_lsn pos = fl_wm_confirmed(c->wm);

	if (since >= c->o.status_interval_ms ||
	    (since >= 1000 && (pos > c->last_sent ||
	                       (!c->in_txn && c->keepalive_end > c->last_sent &&
	                        fl_wm_idle(c->wm)))))
		return cap_send_status(c, conn, err);
	return 0;
}

/* ---- the stream ------------------------------------------------------------ */

/* The (transient) error that ends a stream on fl_capture_restart(). */
static int
cap_restart_err(struct fl_err *err)
{
	return fl_err_set(err, FL_ERR_PG,
	                  "the engine lost PostgreSQL: letting go of the "
	                  "stream, unconfirmed changes will be resent");
}

/* Put a change on the queue, waiting while it is full (status still
 * goes out). -1: stopping (asked to, or the queue was closed). */
static int
cap_push(struct fl_capture *c, PGconn *conn, struct fl_change *ch,
         struct fl_err *err)
{
	ch->ack = fl_wm_register(c->wm, FL_LSN_NONE);
	for (;;) {
		int r = fl_queue_push(c->o.queue, ch, CAP_PUSH_WAIT_MS);

		if (r == 0) {
			pthread_mutex_lock(&c->mu);
			c->st.captured++;
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
		if (r < 0 || atomic_load(&c->stop)) {
			/* A closed queue means the consumer is gone (the
			 * engine closes it first at shutdown): stop quietly,
			 * as fl_capture_stop() would, not as a failure. */
			atomic_store(&c->stop, 1);
			fl_change_free(ch);
			return fl_err_set(err, FL_ERR_CANCELLED, "stopping");
		}
		if (atomic_exchange(&c->restart, 0)) {
			fl_change_free(ch);
			return cap_restart_err(err);
		}
		if (cap_maybe_status(c, conn, err) < 0) {
			fl_change_free(ch);
			return -1;
		}
	}
}

static void
cap_commit(struct fl_capture *c, const struct fl_pgo_msg *m)
{
	struct fl_ack marker = fl_wm_register(c->wm, m->end_lsn);

	fl_wm_confirm(c->wm, marker);
	cap_trace_commit(c, m);
	if (c->txn_pos > 0) {
		if (c->ring_len == CAP_TXN_RING) { /* keep the newest */
			c->ring_head = (c->ring_head + 1) % CAP_TXN_RING;
			c->ring_len--;
		}
		c->ring[(c->ring_head + c->ring_len) % CAP_TXN_RING] =
		    (struct cap_txn){ m->end_lsn, m->commit_time };
		c->ring_len++;
	}
	c->in_txn = 0;
}

/* Handle one decoded pgoutput message. */
static int
cap_message(struct fl_capture *c, PGconn *conn, const struct fl_pgo_msg *m,
            struct fl_err *err)
{
	struct fl_change *ch = NULL;
	const struct fl_relcache_entry *r;

	switch (m->kind) {
	case FL_PGO_BEGIN:
		c->in_txn = 1;
		c->txn_lsn = m->final_lsn;
		c->txn_time = m->commit_time;
		c->txn_xid = m->xid;
		c->txn_pos = 0;
		memset(&c->trace_txn, 0, sizeof(c->trace_txn));
		return 0;
	case FL_PGO_COMMIT:
		cap_commit(c, m);
		return 0;
	case FL_PGO_RELATION: {
		const struct fl_track_table *tt;
		char why[512];
		int first, rewrite;

		fl_relcache_put(&c->rels, c->o.track, m, &tt, &first, &rewrite,
		                why, sizeof(why));
		if (!tt)
			return 0;
		if (!first)
			fl_log_warn("capture", "table %s.%s: %s", tt->schema,
			            tt->table, why);
		ch = cap_build_relation(c, tt, why);
		ch->rel_first = first;
		ch->rel_rewrite = rewrite;
		break;
	}
	case FL_PGO_INSERT:
	case FL_PGO_UPDATE:
	case FL_PGO_DELETE:
		r = fl_relcache_find(&c->rels, m->rel_oid);
		if (!r)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "change for unknown relation oid %u",
			                  m->rel_oid);
		if (!r->tt)
			return 0;
		ch = cap_build(c, r, m);
		break;
	case FL_PGO_TRUNCATE:
		if (!(ch = cap_build_truncate(c, m)))
			return 0;
		break;
	default:
		return 0;
	}
	if (ch->op != FL_CHANGE_RELATION && fl_log_enabled(FL_LOG_TRACE))
		cap_trace_received(c, ch);
	return cap_push(c, conn, ch, err);
}

/* Handle one CopyData payload. */
static int
cap_frame(struct fl_capture *c, PGconn *conn, const uint8_t *buf, size_t len,
          struct fl_err *err)
{
	struct fl_pgo_frame f;
	struct fl_pgo_msg m;

	if (fl_pgo_frame(buf, len, &f, err) < 0)
		return -1;
	if (f.kind == FL_PGO_FRAME_KEEPALIVE) {
		if (f.wal_end > c->keepalive_end)
			c->keepalive_end = f.wal_end;
		pthread_mutex_lock(&c->mu);
		c->st.server_wal_end = f.wal_end;
		pthread_mutex_unlock(&c->mu);
		return f.reply_requested ? cap_send_status(c, conn, err) : 0;
	}
	pthread_mutex_lock(&c->mu);
	c->st.received = f.wal_end;
	pthread_mutex_unlock(&c->mu);
	if (fl_pgo_decode(f.data, f.len, &c->scratch, &m, err) < 0)
		return -1;
	return cap_message(c, conn, &m, err);
}

/* Read and handle everything available. 1: the stream ended. */
static int
cap_drain(struct fl_capture *c, PGconn *conn, struct fl_err *err)
{
	if (!PQconsumeInput(conn))
		return fl_err_set(err, FL_ERR_PG, "reading the stream: %s",
		                  PQerrorMessage(conn));
	for (;;) {
		char *buf = NULL;
		int n = PQgetCopyData(conn, &buf, 1);
		int rc;

		if (n == 0)
			return 0;
		if (n == -1)
			return 1;
		if (n < 0)
			return fl_err_set(err, FL_ERR_PG,
			                  "reading the stream: %s",
			                  PQerrorMessage(conn));
		rc = cap_frame(c, conn, (const uint8_t *)buf, (size_t)n, err);
		PQfreemem(buf);
		/* after the frame: a full queue may have held us (not the
		 * server's silence) */
		c->last_rx_ms = fl_mono_ms();
		if (rc < 0)
			return -1;
		if (atomic_load(&c->stop))
			return 0;
	}
}

/* The error that ended a CopyBoth stream, with its SQLSTATE. */
static int
cap_stream_end(PGconn *conn, struct fl_err *err)
{
	PGresult *r;
	int rc = 0;

	while ((r = PQgetResult(conn))) {
		if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
			const char *st =
			    PQresultErrorField(r, PG_DIAG_SQLSTATE);

			rc = fl_err_set(
			    err, FL_ERR_PG, "stream ended: %s%s%s%s",
			    PQresultErrorMessage(r), st ? " (SQLSTATE " : "",
			    st ? st : "", st ? ")" : "");
		}
		PQclear(r);
	}
	return rc < 0
	           ? -1
	           : fl_err_set(err, FL_ERR_PG, "the server ended the stream");
}

static int
cap_loop(struct fl_capture *c, PGconn *conn, struct fl_err *err)
{
	struct pollfd pfd[2];

	pfd[0].fd = PQsocket(conn);
	pfd[1].fd = c->wake[0];
	while (!atomic_load(&c->stop)) {
		int64_t wait =
		    c->o.status_interval_ms - (fl_mono_ms() - c->last_sent_ms);
		int rc;

		if (wait > 1000)
			wait = 1000;
		if (wait < 0)
			wait = 0;
		pfd[0].events = POLLIN;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)wait) < 0 && errno != EINTR)
			return fl_err_sys(err, FL_ERR_IO, "poll");
		if (atomic_exchange(&c->restart, 0))
			return cap_restart_err(err);
		rc = cap_drain(c, conn, err);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return cap_stream_end(conn, err);
		if (fl_mono_ms() - c->last_rx_ms >= CAP_RX_TIMEOUT_MS)
			return fl_err_set(
			    err, FL_ERR_PG,
			    "no message from the server for %d s "
			    "(a stalled connection?): reconnecting",
			    CAP_RX_TIMEOUT_MS / 1000);
		if (fl_mono_ms() - c->last_rx_ms >= CAP_PING_MS &&
		    fl_mono_ms() - c->last_sent_ms >= CAP_PING_MS &&
		    cap_send_status(c, conn, err) < 0)
			return -1;
		if (cap_maybe_status(c, conn, err) < 0)
			return -1;
		cap_publish(c);
	}
	return 0;
}

/* ---- connecting ----------------------------------------------------------- */

/* Make sure the slot is there (recreate it if it vanished) and read the
 * position to start from. */
static int
cap_slot(struct fl_capture *c, fl_lsn *start, struct fl_err *err)
{
	struct fl_source_opts so = { 0 };
	struct fl_source_prep prep;
	PGconn *ctl = fl_pgconn_open(c->conninfo, "flusso", 0, err);
	int rc;

	if (!ctl)
		return -1;
	so.slot = c->slot;
	so.publication = c->publication;
	memset(&prep, 0, sizeof(prep));
	rc = fl_source_ensure_slot(ctl, &so, &prep, err);
	PQfinish(ctl);
	if (rc < 0)
		return -1;
	/* fl_source_prepare() made sure the slot existed before the
	 * capture started, so creating it here, on the first stream too,
	 * means it vanished in between. */
	if (prep.slot_created) {
		char msg[160];

		snprintf(msg, sizeof(msg),
		         "slot %s was gone and has been recreated at %s: "
		         "changes in between were never seen; re-seed",
		         c->slot, prep.id.slot_created_lsn);
		fl_log_error("capture", "%s", msg);
		pthread_mutex_lock(&c->mu);
		c->st.slot_recreations++;
		pthread_mutex_unlock(&c->mu);
		cap_event(c, FL_CAPTURE_EV_SLOT_CREATED, msg);
	}
	if (fl_lsn_parse(prep.confirmed_flush_lsn, start) < 0)
		*start = 0;
	return 0;
}

static int
cap_start_replication(struct fl_capture *c, PGconn *conn, struct fl_err *err)
{
	char sql[512];
	PGresult *r;

	snprintf(sql, sizeof(sql),
	         "START_REPLICATION SLOT %s LOGICAL 0/0 (proto_version '1', "
	         "publication_names '%s')",
	         c->slot, c->publication);
	r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_BOTH) {
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		/* a bad option (22023, 42601) or privilege (42501) needs an
		 * operator; connection trouble, and a slot or publication
		 * dropped under us (42704, re-ensured next time), is retried */
		int setup =
		    st && (!strcmp(st, "22023") || !strcmp(st, "42601") ||
		           !strcmp(st, "42501"));

		fl_err_set(err, setup ? FL_ERR_CONFIG : FL_ERR_PG,
		           "START_REPLICATION failed: %s",
		           PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (PQsetnonblocking(conn, 1) != 0)
		return fl_err_set(err, FL_ERR_PG, "non-blocking mode: %s",
		                  PQerrorMessage(conn));
	return 0;
}

/* One stream from connect to its end. */
static int
cap_stream(struct fl_capture *c, struct fl_err *err)
{
	char sysid[32], pos[32], from[32];
	fl_lsn start = 0;
	PGconn *conn;
	int rc = -1;

	cap_set_state(
	    c, c->st.epoch ? FL_CAPTURE_RECONNECTING : FL_CAPTURE_CONNECTING,
	    NULL);
	if (cap_slot(c, &start, err) < 0)
		return -1;
	conn = fl_pgconn_open(c->conninfo, "flusso-replication", 1, err);
	if (!conn)
		return -1;
	if (fl_source_identify(conn, sysid, pos, err) < 0 ||
	    cap_start_replication(c, conn, err) < 0)
		goto out;
	atomic_store(&c->restart, 0); /* asked of an older stream */
	fl_wm_reset(c->wm, start);
	/* the relation cache is kept: a new stream sends each Relation
	 * again before its first change, and one that differs from the
	 * cached one (DDL while the stream was down) is a change too */
	fl_relcache_new_stream(&c->rels);
	c->in_txn = 0;
	c->ring_len = 0;
	c->ntrace = 0; /* unconfirmed ones come again */
	c->keepalive_end = 0;
	c->last_sent = start;
	c->last_sent_ms = fl_mono_ms();
	c->last_rx_ms = fl_mono_ms();
	pthread_mutex_lock(&c->mu);
	if (c->st.epoch)
		c->st.reconnects++;
	c->st.epoch = fl_wm_epoch(c->wm);
	c->st.confirmed = start;
	c->st.state = FL_CAPTURE_STREAMING;
	fl_str_copy(c->st.sysid, sizeof(c->st.sysid), sysid);
	pthread_mutex_unlock(&c->mu);
	c->backoff_ms = 0;
	fl_lsn_format(start, from, sizeof(from));
	fl_log_info("capture",
	            "streaming slot %s from %s (server at %s, epoch %llu)",
	            c->slot, from, pos, (unsigned long long)fl_wm_epoch(c->wm));
	cap_event(c, FL_CAPTURE_EV_CONNECTED, from);
	rc = cap_loop(c, conn, err);
	if (atomic_load(&c->stop))
		rc = 0; /* stopped, possibly while blocked on the queue */
	if (rc == 0 && PQstatus(conn) == CONNECTION_OK)
		cap_send_status(c, conn, err); /* last word on a clean stop */
out:
	PQfinish(conn);
	return rc;
}

/* Is this failure worth retrying (the connection, not our input)? */
static int
cap_transient(const struct fl_err *err)
{
	return err->code == FL_ERR_PG || err->code == FL_ERR_BUSY ||
	       err->code == FL_ERR_IO;
}

/* libpq's messages span lines ("server closed the connection
 * unexpectedly\n\tThis probably means..."): make one line of it, in
 * place, for the log, the status and the events. */
static void
cap_one_line(char *s)
{
	char *w = s, *r = s;

	while (*r) {
		if (*r != '\n' && *r != '\r') {
			*w++ = *r++;
			continue;
		}
		while (*r == '\n' || *r == '\r' || *r == '\t' || *r == ' ')
			r++;
		if (*r && w > s)
			*w++ = ' ';
	}
	while (w > s && (w[-1] == ' ' || w[-1] == '\t'))
		w--;
	*w = '\0';
}

/* Sleep for the backoff (interruptible by stop). */
static void
cap_backoff(struct fl_capture *c)
{
	struct pollfd p = { c->wake[0], POLLIN, 0 };
	int ms, jitter;

	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : 500;
	if (c->backoff_ms > c->o.backoff_max_ms)
		c->backoff_ms = c->o.backoff_max_ms;
	jitter = c->backoff_ms / 4;
	ms = c->backoff_ms - jitter +
	     (jitter ? (int)(fl_mono_ms() % (2 * jitter + 1)) : 0);
	poll(&p, 1, ms);
}

static void *
cap_main(void *arg)
{
	struct fl_capture *c = arg;
	struct fl_err err;

	while (!atomic_load(&c->stop)) {
		fl_err_clear(&err);
		if (cap_stream(c, &err) == 0)
			continue;
		if (atomic_load(&c->stop))
			break;
		cap_one_line(err.msg);
		if (!cap_transient(&err)) {
			fl_log_error("capture", "%s", err.msg);
			cap_set_state(c, FL_CAPTURE_ERROR, err.msg);
			cap_event(c, FL_CAPTURE_EV_FAILED, err.msg);
			return NULL;
		}
		fl_log_warn("capture", "%s; reconnecting", err.msg);
		cap_set_state(c, FL_CAPTURE_RECONNECTING, err.msg);
		cap_event(c, FL_CAPTURE_EV_DISCONNECTED, err.msg);
		cap_backoff(c);
	}
	cap_set_state(c, FL_CAPTURE_STOPPED, NULL);
	return NULL;
}

/* ---- lag ----------------------------------------------------------------- */

static void
cap_lag_sample(struct fl_capture *c, PGconn **conn)
{
	const char *p[1] = { c->slot };
	struct fl_err err;
	PGresult *r;

	if (!*conn &&
	    !(*conn = fl_pgconn_open(c->conninfo, "flusso-lag", 0, &err))) {
		fl_log_warn("capture", "lag probe: %s", err.msg);
		return;
	}
	r = fl_pgconn_query(
	    *conn,
	    "SELECT greatest(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() "
	    "THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END, "
	    "confirmed_flush_lsn), 0)::bigint, coalesce(wal_status, '') "
	    "FROM pg_replication_slots WHERE slot_name = $1",
	    1, p, NULL, &err);
	if (!r) {
		fl_log_warn("capture", "lag probe: %s", err.msg);
		PQfinish(*conn);
		*conn = NULL;
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->st.lag_known = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0);
	c->st.lag_bytes = c->st.lag_known ? fl_pgconn_get_ll(r, 0, 0, 0) : 0;
	fl_str_copy(c->st.wal_status, sizeof(c->st.wal_status),
	            PQntuples(r) == 1 ? PQgetvalue(r, 0, 1) : "");
	pthread_mutex_unlock(&c->mu);
	PQclear(r);
}

static void *
cap_lag_main(void *arg)
{
	struct fl_capture *c = arg;
	PGconn *conn = NULL;
	int64_t next = 0;

	while (!atomic_load(&c->stop)) {
		struct pollfd p = { c->wake[0], POLLIN, 0 };

		if (fl_mono_ms() >= next) {
			cap_lag_sample(c, &conn);
			next =
			    fl_mono_ms() + (int64_t)c->o.lag_poll_secs * 1000;
		}
		poll(&p, 1, 500);
	}
	PQfinish(conn);
	return NULL;
}

/* ---- lifecycle ------------------------------------------------------------ */

struct fl_capture *
fl_capture_new(const struct fl_capture_opts *o)
{
	struct fl_capture *c = fl_xcalloc(1, sizeof(*c));

	c->o = *o;
	c->conninfo = fl_xstrdup(o->conninfo);
	c->slot = fl_xstrdup(o->slot);
	c->publication = fl_xstrdup(o->publication);
	if (c->o.status_interval_ms <= 0)
		c->o.status_interval_ms = 10000;
	if (c->o.lag_poll_secs <= 0)
		c->o.lag_poll_secs = 15;
	if (c->o.backoff_max_ms <= 0)
		c->o.backoff_max_ms = 30000;
	c->wake[0] = c->wake[1] = -1;
	c->wm = fl_wm_new(0);
	pthread_mutex_init(&c->mu, NULL);
	fl_pgo_scratch_init(&c->scratch);
	c->st.state = FL_CAPTURE_STARTING;
	return c;
}

int
fl_capture_start(struct fl_capture *c, struct fl_err *err)
{
	if (pipe(c->wake) < 0)
		return fl_err_sys(err, FL_ERR_IO, "pipe");
	fcntl(c->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(c->wake[1], F_SETFL, O_NONBLOCK);
	if (pthread_create(&c->thread, NULL, cap_main, c) != 0)
		return fl_err_set(err, FL_ERR_IO,
		                  "cannot start capture thread");
	c->started = 1;
	if (pthread_create(&c->lag_thread, NULL, cap_lag_main, c) != 0) {
		fl_capture_stop(c);
		return fl_err_set(err, FL_ERR_IO, "cannot start lag thread");
	}
	c->started = 2;
	return 0;
}

void
fl_capture_stop(struct fl_capture *c)
{
	if (!c || !c->started)
		return;
	atomic_store(&c->stop, 1);
	if (write(c->wake[1], "x", 1) < 0) {
		/* the pipe is non-blocking; a full pipe already wakes */
	}
	pthread_join(c->thread, NULL);
	if (c->started == 2)
		pthread_join(c->lag_thread, NULL);
	c->started = 0;
}

void
fl_capture_restart(struct fl_capture *c)
{
	if (c)
		atomic_store(&c->restart, 1);
}

void
fl_capture_free(struct fl_capture *c)
{
	if (!c)
		return;
	fl_capture_stop(c);
	fl_relcache_done(&c->rels);
	fl_pgo_scratch_done(&c->scratch);
	fl_wm_free(c->wm);
	pthread_mutex_destroy(&c->mu);
	if (c->wake[0] >= 0) {
		close(c->wake[0]);
		close(c->wake[1]);
	}
	free(c->trace);
	free(c->conninfo);
	free(c->slot);
	free(c->publication);
	free(c);
}

void
fl_capture_confirm(struct fl_capture *c, struct fl_ack ack)
{
	fl_wm_confirm(c->wm, ack);
}

uint64_t
fl_capture_epoch(struct fl_capture *c)
{
	return fl_wm_epoch(c->wm);
}

void
fl_capture_status(struct fl_capture *c, struct fl_capture_status *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->st;
	pthread_mutex_unlock(&c->mu);
}
