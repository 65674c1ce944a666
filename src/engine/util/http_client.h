/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * http_client.h - the HTTP client of the OpenSearch sink (libcurl).
 *
 * One struct fl_http per thread (curl handles are never shared): a
 * multi handle whose connection cache keeps connections alive across
 * requests, and `parallel` easy handles ("slots"), so up to `parallel`
 * requests run at once (bulk chunks). Every request carries Basic auth
 * when a username is configured, or an AWS SigV4 signature when signing
 * keys are given, uses the whole-request timeout, and verifies TLS
 * (against ca_file when given) unless told not to; a client certificate
 * and key are presented for mutual TLS when given.
 *
 * Owns: transport, auth, TLS options, gzip request bodies, reading the
 * status, the body and Retry-After, aborting requests when the caller's
 * abort flag is set, and telling the node pool (when there is one) how
 * each request to a node ended. Does not own: what a status means (the
 * sink classifies), retries, which node is next (util/node_pool.c).
 */
#ifndef FL_HTTP_CLIENT_H
#define FL_HTTP_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/sigv4.h"

struct fl_http_cfg {
	const char *url;         /* base URL, no trailing '/' */
	const char *username;    /* NULL: no auth */
	const char *password;    /* NULL with a username: empty password */
	int tls_verify;          /* 0: no chain and no hostname checks */
	long timeout_secs;       /* whole request: connect, send, receive */
	int parallel;            /* requests in flight at most (>= 1) */
	long long max_send_bps;  /* upload cap in bytes/s, 0 = none (used by
	                           benchmarks to simulate a slow link) */
	const char *ca_file;     /* PEM CA bundle; NULL: the system store */
	const char *client_cert; /* PEM client certificate (mutual TLS) */
	const char *client_key;  /* its PEM private key */
	const struct fl_sigv4 *sigv4; /* sign every request (AWS); NULL: no */
	/* Several nodes (util/node_pool.h): each request goes to the node
	 * the pool picks, and its outcome is reported back (a refused
	 * connection, a timeout or 502/503 marks the node down). The
	 * client keeps a reference (fl_node_pool_ref). NULL: always url. */
	struct fl_node_pool *pool;
};

/* One request and, once done, its response. */
struct fl_http_req {
	/* in */
	const char *method; /* GET HEAD PUT POST DELETE */
	const char *path;   /* appended to the base URL, starts with '/' */
	const char *ctype;  /* Content-Type of body, NULL when no body */
	const char *body;
	size_t len;
	int gzip;   /* send the body with Content-Encoding: gzip */
	void *user; /* the caller's tag */
	/* out */
	long status;         /* HTTP status, 0 on a transport error */
	long retry_after_ms; /* Retry-After in ms, -1 when absent */
	struct fl_buf resp;  /* response body */
	char error[256];     /* transport error text when status is 0 */
	int cancelled;       /* aborted by the abort flag (status 0) */
	double secs;         /* time taken */
	int node;            /* the pool's node it went to, -1 without one */
	/* private */
	int slot;
};

void fl_http_req_init(struct fl_http_req *r);
void fl_http_req_done(struct fl_http_req *r);

/* A client for one thread; NULL with err on a libcurl setup failure. */
struct fl_http *fl_http_new(const struct fl_http_cfg *cfg, struct fl_err *err);
void fl_http_free(struct fl_http *h);

/*
 * Run one request to completion (nothing else may be in flight).
 * Returns 0 when a response arrived (any status), -1 on a transport
 * error (r->status 0, r->error set).
 */
int fl_http_do(struct fl_http *h, struct fl_http_req *r);

/*
 * Abort h's requests once *flag is non-zero (NULL: never; the default).
 * The flag is the caller's and must outlive h. Any thread may call this
 * while h is in use (the owner's wait is woken to read the new flag).
 * Once the flag is set, a request in flight completes within about
 * 100 ms and a new one at once, as a transport error with `cancelled`
 * set and error "request cancelled".
 */
void fl_http_set_abort(struct fl_http *h, const atomic_int *flag);

/* Non-zero when h's abort flag is set; any thread. */
int fl_http_aborted(const struct fl_http *h);

/* Requests that may still be submitted before one completes. */
size_t fl_http_free_slots(const struct fl_http *h);

/*
 * Start r on a free slot: 0, or -1 when none is free, or -2 when it
 * could not start (r is then complete: status 0, error set; cancelled
 * when h is aborted). r must stay valid until fl_http_wait() returns it.
 */
int fl_http_submit(struct fl_http *h, struct fl_http_req *r);

/* Drive transfers until one completes and return it (status, body and
 * error filled); NULL when nothing is in flight. Once h is aborted,
 * each call returns one request in flight, cancelled. */
struct fl_http_req *fl_http_wait(struct fl_http *h);

/* 1 when a request that ended with curl code `curl_rc` (0 = a
 * response) and HTTP status `status` says its node is unavailable:
 * connection refused or reset, no answer, a timeout, 502 or 503. */
int fl_http_node_failed(int curl_rc, long status);

/* Percent-encode s for a URL query or path (caller frees). */
char *fl_http_escape(const char *s);

#endif
