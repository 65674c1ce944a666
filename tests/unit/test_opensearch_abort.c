/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_opensearch_abort.c - aborting the OpenSearch sink (sink.h
 * set_abort) against a tiny HTTP server on a loopback port in a thread
 * (no OpenSearch): it answers the control calls of ensure_index, and
 * then, depending on its mode, never answers a bulk request, answers it
 * 429 with Retry-After: 60, or never answers anything.
 *
 * Each case runs the call on a thread, sets the flag once the server has
 * seen the request, and measures (monotonic clock) how long the call
 * takes to return after that: the un-aborted path would take 60 s (the
 * request timeout or the Retry-After), the bound is 2 s (about 100 ms
 * expected), generous for a loaded machine.
 *
 * Covered: a writer flush in flight and in a Retry-After backoff, a
 * control call in flight and in a Retry-After backoff, a flag installed
 * while a flush is in flight, a flag set before the flush, and that an
 * aborted flush confirms nothing and drops its buffer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "config/value.h"
#include "sink/opensearch_sink.h"
#include "sink/sink.h"
#include "tap.h"
#include "util/buf.h"
#include "util/clock.h"

/* ---- the server ---------------------------------------------------------- */

enum t_mode {
	T_BULK_SILENT, /* control calls answered, bulk never */
	T_BULK_429,    /* control calls answered, bulk 429 Retry-After: 60 */
	T_BULK_OK,     /* everything answered, every bulk item 201 */
	T_ALL_429,     /* everything 429 Retry-After: 60 */
	T_ALL_SILENT,  /* connections accepted, nothing answered */
};

#define T_MAXHELD 16

struct t_srv {
	int fd, port;
	pthread_t th;
	atomic_int stop, mode;
	atomic_int nconns;   /* connections accepted */
	atomic_int nbulk;    /* bulk requests read */
	atomic_int actions;  /* actions in the last bulk request */
	int held[T_MAXHELD]; /* connections left unanswered (server only) */
	int nheld;
};

/* Keep fd open unanswered until the server stops (or close it). */
static void
t_hold(struct t_srv *sv, int fd)
{
	if (sv->nheld < T_MAXHELD)
		sv->held[sv->nheld++] = fd;
	else
		close(fd);
}

/* Read one request on fd: "METHOD PATH" into line, the body's action
 * count into *nact. -1 when the client went away. */
static int
t_read(int fd, char *line, size_t linen, int *nact)
{
	char head[8192], *p, *body;
	size_t n = 0, clen = 0, got = 0;
	ssize_t r;

	while (n < sizeof(head) - 1) {
		if (read(fd, head + n, 1) != 1)
			return -1;
		head[++n] = '\0';
		if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	for (p = head; (p = strchr(p, '\n')); p++)
		if (strncasecmp(p + 1, "content-length:", 15) == 0)
			clen = strtoul(p + 16, NULL, 10);
	p = strchr(head, ' ');
	snprintf(line, linen, "%.*s",
	         p ? (int)(p - head) + 1 + (int)strcspn(p + 1, " ") : 0, head);
	body = calloc(1, clen + 1);
	while (got < clen && (r = read(fd, body + got, clen - got)) > 0)
		got += (size_t)r;
	*nact = 0;
	for (p = body; (p = strstr(p, "{\"index\":{\"_id\"")); p++)
		(*nact)++;
	free(body);
	return got == clen ? 0 : -1;
}

/* Write one response with an empty or JSON body. */
static void
t_reply(int fd, const char *status, const char *hdrs, const char *body)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
	         "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
	         "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
	         status, strlen(body), hdrs, body);
	if (write(fd, buf, strlen(buf)) < 0)
		printf("# server: write failed\n");
}

/* The answer to a control call ("METHOD PATH"), as a stub OpenSearch
 * with nothing in it gives (what ensure_index needs). */
static void
t_control(int fd, const char *line)
{
	const char *path = strchr(line, ' ') + 1;

	if (strncmp(line, "HEAD ", 5) == 0)
		t_reply(fd, "200 OK", "", "");
	else if (strncmp(path, "/_cat/", 6) == 0)
		t_reply(fd, "200 OK", "", "[]");
	else if (strncmp(line, "GET ", 4) == 0 &&
	         (strncmp(path, "/_alias/", 8) == 0 || strstr(path, "/_doc/")))
		t_reply(fd, "404 Not Found", "", "{\"found\":false}");
	else
		t_reply(fd, "200 OK", "", "{}");
}

/* Serve one accepted connection by the current mode. */
static void
t_serve(struct t_srv *sv, int fd)
{
	static const char ra[] = "Retry-After: 60\r\n";
	int mode = atomic_load(&sv->mode), nact, bulk, i;
	char line[300], ok[64];
	struct fl_buf b;

	if (mode == T_ALL_SILENT) {
		t_hold(sv, fd);
		return;
	}
	if (t_read(fd, line, sizeof(line), &nact) < 0 || !strchr(line, ' ')) {
		close(fd);
		return;
	}
	bulk = strncmp(line, "POST /_bulk", 11) == 0;
	if (bulk) {
		atomic_store(&sv->actions, nact);
		atomic_fetch_add(&sv->nbulk, 1);
	}
	if (mode == T_ALL_429 || (bulk && mode == T_BULK_429)) {
		t_reply(fd, "429 Too Many Requests", ra, "{}");
	} else if (bulk && mode == T_BULK_SILENT) {
		t_hold(sv, fd);
		return;
	} else if (bulk) {
		fl_buf_init(&b, 1 << 20);
		fl_buf_puts(&b, "{\"took\":1,\"errors\":false,\"items\":[");
		for (i = 0; i < nact; i++) {
			snprintf(ok, sizeof(ok),
			         "%s{\"index\":{\"status\":201}}",
			         i ? "," : "");
			fl_buf_puts(&b, ok);
		}
		fl_buf_puts(&b, "]}");
		t_reply(fd, "200 OK", "", fl_buf_str(&b));
		fl_buf_done(&b);
	} else {
		t_control(fd, line);
	}
	close(fd);
}

/* The server thread: accept and serve until stopped. */
static void *
t_srv_main(void *arg)
{
	struct t_srv *sv = arg;
	struct pollfd p;
	int fd;

	while (!atomic_load(&sv->stop)) {
		p.fd = sv->fd;
		p.events = POLLIN;
		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((fd = accept(sv->fd, NULL, NULL)) < 0)
			continue;
		atomic_fetch_add(&sv->nconns, 1);
		t_serve(sv, fd);
	}
	return NULL;
}

/* Listen on 127.0.0.1, port 0, and serve in a thread; -1 on failure. */
static int
t_srv_start(struct t_srv *sv, enum t_mode mode)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	atomic_init(&sv->stop, 0);
	atomic_init(&sv->mode, (int)mode);
	atomic_init(&sv->nconns, 0);
	atomic_init(&sv->nbulk, 0);
	atomic_init(&sv->actions, 0);
	sv->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sv->fd < 0 || bind(sv->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(sv->fd, 16) < 0 ||
	    getsockname(sv->fd, (struct sockaddr *)&a, &al) < 0) {
		if (sv->fd >= 0)
			close(sv->fd);
		return -1;
	}
	sv->port = ntohs(a.sin_port);
	if (pthread_create(&sv->th, NULL, t_srv_main, sv) != 0) {
		close(sv->fd);
		return -1;
	}
	return 0;
}

/* Stop the server thread and close every connection it kept. */
static void
t_srv_stop(struct t_srv *sv)
{
	int i;

	atomic_store(&sv->stop, 1);
	pthread_join(sv->th, NULL);
	for (i = 0; i < sv->nheld; i++)
		close(sv->held[i]);
	close(sv->fd);
}

/* ---- the sink on the server ---------------------------------------------- */

#define T_HASH "00112233aabbccdd"
#define T_DOC  "{\"email\":\"ada@x.io\"}"

struct t_env {
	struct t_srv srv;
	struct fl_sink_cfg cfg;
	char url[64];
	struct fl_sink *sink;
	struct fl_sink_writer *w;
};

static void t_env_stop(struct t_env *e);

/* A sink on a new server in `mode` (60 s request timeout, 3 retries),
 * with `flag` installed first when not NULL; when `ensure`, index users
 * is ensured (in T_BULK_SILENT mode) and a writer made. -1 (everything
 * stopped) on failure. */
static int
t_env_start(struct t_env *e, enum t_mode mode, const atomic_int *flag,
            int ensure)
{
	static char name[] = "t", interval[] = "1s";
	struct fl_sink_index_def def = { "users", T_HASH, NULL };
	struct fl_sink_index_state st;
	struct fl_err err;
	int rc;

	memset(e, 0, sizeof(*e));
	if (t_srv_start(&e->srv, ensure ? T_BULK_SILENT : mode) < 0) {
		printf("# cannot start the server\n");
		return -1;
	}
	snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->srv.port);
	e->cfg.name = name;
	e->cfg.type = FL_SINK_OPENSEARCH;
	e->cfg.url.kind = FL_SECRET_LITERAL;
	e->cfg.url.value = e->url;
	e->cfg.tls_verify = 1;
	e->cfg.batch_size = 100;
	e->cfg.max_bytes = 10485760;
	e->cfg.timeout_secs = 60;
	e->cfg.max_retries = 3;
	e->cfg.refresh_period_ms = -1; /* the built-in defaults */
	e->cfg.skip_identical_ids = -1;
	e->cfg.refresh_interval = interval;
	if (!(e->sink = fl_sink_os_new(&e->cfg, "t_", &err))) {
		printf("# fl_sink_os_new: %s\n", err.msg);
		t_env_stop(e);
		return -1;
	}
	if (flag)
		e->sink->ops->set_abort(e->sink, flag);
	if (!ensure)
		return 0;
	def.body = fl_val_new(FL_VAL_MAP);
	rc = e->sink->ops->ensure_index(e->sink, &def, &st, &err);
	fl_val_free((struct fl_val *)(uintptr_t)def.body);
	if (rc != FL_SINK_OK) {
		printf("# ensure_index: %s\n", err.msg);
		t_env_stop(e);
		return -1;
	}
	fl_sink_index_state_done(&st);
	e->w = e->sink->ops->writer_new(e->sink);
	atomic_store(&e->srv.mode, (int)mode);
	return 0;
}

/* Free the writer and the sink, stop the server. */
static void
t_env_stop(struct t_env *e)
{
	if (e->w)
		e->w->ops->free(e->w);
	if (e->sink)
		e->sink->ops->free(e->sink);
	t_srv_stop(&e->srv);
}

/* Upsert ids 1..n of users. */
static void
t_upserts(struct t_env *e, int n)
{
	char id[16];
	int i;

	for (i = 1; i <= n; i++) {
		snprintf(id, sizeof(id), "%d", i);
		e->w->ops->upsert(e->w, "users", id, T_DOC, strlen(T_DOC), 0);
	}
}

/* ---- a call on a thread, aborted from the test's thread ----------------- */

struct t_call {
	struct t_env *e;
	int flush; /* 1: the writer's flush; 0: ensure_index of users */
	int rc;
	struct fl_err err;
	struct fl_sink_report rep;
	atomic_int done;
	int64_t end_ms;
};

/* The thread: run the call, note when it returned. */
static void *
t_call_main(void *arg)
{
	struct t_call *c = arg;
	struct fl_sink_index_def def = { "users", T_HASH, NULL };
	struct fl_sink_index_state st;

	fl_err_clear(&c->err);
	if (c->flush) {
		c->rc = c->e->w->ops->flush(c->e->w, 0, &c->rep, &c->err);
	} else {
		def.body = fl_val_new(FL_VAL_MAP);
		c->rc = c->e->sink->ops->ensure_index(c->e->sink, &def, &st,
		                                      &c->err);
		fl_val_free((struct fl_val *)(uintptr_t)def.body);
		if (c->rc == FL_SINK_OK)
			fl_sink_index_state_done(&st);
	}
	c->end_ms = fl_mono_ms();
	atomic_store(&c->done, 1);
	return NULL;
}

/* Sleep ms milliseconds. */
static void
t_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Start the call, wait (up to 10 s) until *seen is non-zero (the server
 * got the request), give the call 200 ms more to reach its wait, then
 * set *flag (or install it, already set, with set_abort when `late`),
 * join, and return the milliseconds from then to the call's return
 * (-1 when the call returned before the flag was set).
 */
static long
t_abort_call(struct t_call *c, struct t_env *e, int flush, atomic_int *seen,
             atomic_int *flag, int late)
{
	pthread_t th;
	int64_t t0;
	int i;

	memset(c, 0, sizeof(*c));
	c->e = e;
	c->flush = flush;
	atomic_init(&c->done, 0);
	if (pthread_create(&th, NULL, t_call_main, c) != 0)
		return -1;
	for (i = 0; i < 1000 && !atomic_load(seen); i++)
		t_sleep_ms(10);
	t_sleep_ms(200);
	t0 = fl_mono_ms();
	if (atomic_load(&c->done)) {
		pthread_join(th, NULL);
		return -1;
	}
	if (late) {
		atomic_store(flag, 1);
		e->sink->ops->set_abort(e->sink, flag);
	} else {
		atomic_store(flag, 1);
	}
	pthread_join(th, NULL);
	printf("# returned %lld ms after the abort\n",
	       (long long)(c->end_ms - t0));
	return (long)(c->end_ms - t0);
}

/* The checks every aborted call must pass. */
static void
t_is_cancelled(const struct t_call *c, long ms, long bound_ms, const char *what)
{
	char m[160];

	snprintf(m, sizeof(m), "%s: still running when aborted", what);
	ok(ms >= 0, m);
	snprintf(m, sizeof(m), "%s: returns within %ld ms of the abort", what,
	         bound_ms);
	ok(ms >= 0 && ms < bound_ms, m);
	snprintf(m, sizeof(m), "%s: FL_SINK_TRANSIENT", what);
	is_long(c->rc, FL_SINK_TRANSIENT, m);
	snprintf(m, sizeof(m), "%s: FL_ERR_CANCELLED", what);
	is_long(c->err.code, FL_ERR_CANCELLED, m);
	snprintf(m, sizeof(m), "%s: the message says cancelled", what);
	has_str(c->err.msg, "cancelled", m);
}

/* ---- cases --------------------------------------------------------------- */

TAP_TEST(test_flush_in_flight)
{
	struct t_env e;
	struct t_call c;
	struct fl_err err;
	atomic_int flag;
	long ms;
	int rc;

	atomic_init(&flag, 0);
	if (!ok(t_env_start(&e, T_BULK_SILENT, &flag, 1) == 0, "server, sink"))
		return;
	t_upserts(&e, 3);
	ms = t_abort_call(&c, &e, 1, &e.srv.nbulk, &flag, 0);
	t_is_cancelled(&c, ms, 2000, "flush against a silent node");
	has_str(c.err.msg, "bulk request failed: cancelled",
	        "with the bulk prefix");
	is_long((long)c.rep.n, 0, "no report from an aborted flush");
	is_long(atomic_load(&e.srv.nbulk), 1, "no retry after the abort");

	/* the flag stays set: a new flush is refused before any request */
	t_upserts(&e, 1);
	rc = e.w->ops->flush(e.w, 0, &c.rep, &err);
	ok(rc == FL_SINK_TRANSIENT && err.code == FL_ERR_CANCELLED,
	   "flag already set: the flush is cancelled");
	is_long(atomic_load(&e.srv.nbulk), 1, "and sends nothing");

	/* the aborted buffers were dropped: cleared flag, nothing left */
	atomic_store(&flag, 0);
	atomic_store(&e.srv.mode, T_BULK_OK);
	is_long(e.w->ops->flush(e.w, 0, &c.rep, &err), FL_SINK_OK,
	        "flag cleared: an empty flush is ok");
	is_long(atomic_load(&e.srv.nbulk), 1,
	        "the aborted flushes left nothing buffered");
	t_upserts(&e, 1);
	is_long(e.w->ops->flush(e.w, 0, &c.rep, &err), FL_SINK_OK,
	        "the next flush works");
	is_long(atomic_load(&e.srv.actions), 1, "with its own action only");
	t_env_stop(&e);
}

TAP_TEST(test_flush_backoff)
{
	struct t_env e;
	struct t_call c;
	atomic_int flag;
	long ms;

	atomic_init(&flag, 0);
	if (!ok(t_env_start(&e, T_BULK_429, &flag, 1) == 0, "server, sink"))
		return;
	t_upserts(&e, 2);
	ms = t_abort_call(&c, &e, 1, &e.srv.nbulk, &flag, 0);
	t_is_cancelled(&c, ms, 2000, "flush in a Retry-After: 60 backoff");
	is_long(atomic_load(&e.srv.nbulk), 1, "no retry after the abort");
	t_env_stop(&e);
}

TAP_TEST(test_control_backoff)
{
	struct t_env e;
	struct t_call c;
	atomic_int flag;
	long ms;

	atomic_init(&flag, 0);
	if (!ok(t_env_start(&e, T_ALL_429, &flag, 0) == 0, "server, sink"))
		return;
	ms = t_abort_call(&c, &e, 0, &e.srv.nconns, &flag, 0);
	t_is_cancelled(&c, ms, 2000,
	               "ensure_index in a Retry-After: 60 backoff");
	is_long(atomic_load(&e.srv.nconns), 1, "no retry after the abort");
	t_env_stop(&e);
}

TAP_TEST(test_control_in_flight)
{
	struct t_env e;
	struct t_call c;
	atomic_int flag;
	long ms;

	atomic_init(&flag, 0);
	if (!ok(t_env_start(&e, T_ALL_SILENT, &flag, 0) == 0, "server, sink"))
		return;
	ms = t_abort_call(&c, &e, 0, &e.srv.nconns, &flag, 0);
	t_is_cancelled(&c, ms, 2000, "ensure_index against a silent node");
	t_env_stop(&e);
}

TAP_TEST(test_late_set_abort)
{
	struct t_env e;
	struct t_call c;
	atomic_int flag;
	long ms;

	atomic_init(&flag, 0);
	if (!ok(t_env_start(&e, T_BULK_SILENT, NULL, 1) == 0, "server, sink"))
		return;
	t_upserts(&e, 2);
	ms = t_abort_call(&c, &e, 1, &e.srv.nbulk, &flag, 1);
	t_is_cancelled(&c, ms, 2000, "flag installed during a flush");
	t_env_stop(&e);
}

int
main(void)
{
	tap_run(test_flush_in_flight);
	tap_run(test_flush_backoff);
	tap_run(test_control_backoff);
	tap_run(test_control_in_flight);
	tap_run(test_late_set_abort);
	return tap_done();
}
