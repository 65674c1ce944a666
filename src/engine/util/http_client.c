/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * http_client.c - libcurl client of the OpenSearch sink: one multi handle and
 * a few easy handles per thread, keep-alive, Basic auth or AWS SigV4
 * (util/sigv4.c), TLS checks on by default (own CA, client certificate),
 * whole-request timeout, optional gzip request bodies.
 *
 * DESIGN
 *   Threads: a struct fl_http belongs to the thread that made it (the
 *   control thread, or one writer). Nothing here is shared except
 *   curl's global state, initialised once (pthread_once) before the
 *   first handle, and the abort flag pointer (see Abort).
 *   Connections: every request, synchronous or not, runs through the
 *   multi handle, whose connection cache keeps connections to the node
 *   open between requests; the `parallel` easy handles are reused, and
 *   curl_easy_reset() between requests keeps nothing but what it must.
 *   "Expect: 100-continue" is turned off (it would cost a round trip per
 *   bulk request with a body over 1 KiB).
 *   Bodies: the response body is kept in a capped fl_buf (256 MiB; a
 *   larger one is a transport error). A gzip body is compressed into the
 *   slot's own buffer at level 1 (fast: the point is fewer bytes on a
 *   slow link, not the best ratio).
 *   Abort: the caller's flag (fl_http_set_abort) is read between
 *   curl_multi_poll calls, which wait at most 100 ms while a flag is
 *   installed (1 s otherwise); once it is non-zero, transfers in flight are
 *   removed from the multi handle (their connections closed) and
 *   reported cancelled, and new requests are refused. The flag pointer
 *   is atomic because another thread may install it; installing it
 *   wakes the owner's curl_multi_poll (curl_multi_wakeup).
 */
#include "util/http_client.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#define ZLIB_CONST
#include <zlib.h>

#include "util/clock.h"
#include "util/node_pool.h"
#include "util/xmem.h"

#define HTTP_RESP_MAX ((size_t)256 << 20)
#define HTTP_BODY_MAX ((size_t)1 << 30)
/* Longest curl_multi_poll wait, without and with an abort flag. */
#define HTTP_POLL_MS       1000
#define HTTP_ABORT_POLL_MS 100

struct http_slot {
	CURL *easy;
	struct curl_slist *hdrs;
	struct fl_http_req *req; /* in flight, or NULL */
	z_stream z;
	int zinit;
	char *zdata; /* the compressed body */
	size_t zcap, zlen;
	double t0;
	int node; /* the pool's node of the request, -1 without a pool */
	char errbuf[CURL_ERROR_SIZE];
};

struct fl_http {
	CURLM *multi;
	char *url;
	char *username;
	char *password;
	char *cainfo;
	char *client_cert;
	char *client_key;
	struct fl_sigv4 sigv4; /* owned copies; region NULL: no signing */
	int tls_verify;
	long timeout_secs;
	long long max_send_bps;
	int nslots;
	int inflight;
	struct http_slot *slots;
	struct fl_node_pool *pool;              /* a reference, or NULL */
	_Atomic(const atomic_int *) abort_flag; /* the caller's flag, or NULL */
};

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc;

/* curl_global_init, once per process (never cleaned up). */
static void
http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Monotonic seconds. */
static double
http_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
fl_http_req_init(struct fl_http_req *r)
{
	memset(r, 0, sizeof(*r));
	fl_buf_init(&r->resp, HTTP_RESP_MAX);
	r->retry_after_ms = -1;
	r->slot = -1;
	r->node = -1;
}

void
fl_http_req_done(struct fl_http_req *r)
{
	fl_buf_done(&r->resp);
}

/* Owned copies of the signing identity. */
static void
http_sigv4_copy(struct fl_sigv4 *d, const struct fl_sigv4 *k)
{
	d->region = fl_xstrdup(k->region);
	d->service = fl_xstrdup(k->service);
	d->access_key = fl_xstrdup(k->access_key);
	d->secret_key = fl_xstrdup(k->secret_key);
	d->session_token =
	    k->session_token ? fl_xstrdup(k->session_token) : NULL;
}

static void
http_sigv4_free(struct fl_sigv4 *k)
{
	free((char *)(uintptr_t)k->region);
	free((char *)(uintptr_t)k->service);
	free((char *)(uintptr_t)k->access_key);
	fl_wipe_free((char *)(uintptr_t)k->secret_key);
	fl_wipe_free((char *)(uintptr_t)k->session_token);
}

struct fl_http *
fl_http_new(const struct fl_http_cfg *cfg, struct fl_err *err)
{
	struct fl_http *h;
	const char *ca;
	int i;

	pthread_once(&http_once, http_global_init);
	if (http_global_rc != CURLE_OK) {
		fl_err_set(err, FL_ERR_SINK,
		           "libcurl initialisation failed: %s",
		           curl_easy_strerror(http_global_rc));
		return NULL;
	}
	h = fl_xcalloc(1, sizeof(*h));
	atomic_init(&h->abort_flag, NULL);
	h->url = fl_xstrdup(cfg->url);
	h->username = cfg->username ? fl_xstrdup(cfg->username) : NULL;
	h->password = cfg->username
	                  ? fl_xstrdup(cfg->password ? cfg->password : "")
	                  : NULL;
	/* The system CA store is libcurl's default; honour the usual
	 * overrides like the curl tool does. */
	ca = getenv("CURL_CA_BUNDLE");
	if (!ca || !*ca)
		ca = getenv("SSL_CERT_FILE");
	if (cfg->ca_file)
		ca = cfg->ca_file;
	h->cainfo = ca && *ca ? fl_xstrdup(ca) : NULL;
	h->client_cert = cfg->client_cert ? fl_xstrdup(cfg->client_cert) : NULL;
	h->client_key = cfg->client_key ? fl_xstrdup(cfg->client_key) : NULL;
	if (cfg->sigv4)
		http_sigv4_copy(&h->sigv4, cfg->sigv4);
	h->tls_verify = cfg->tls_verify;
	h->timeout_secs = cfg->timeout_secs > 0 ? cfg->timeout_secs : 30;
	h->max_send_bps = cfg->max_send_bps > 0 ? cfg->max_send_bps : 0;
	h->nslots = cfg->parallel > 0 ? cfg->parallel : 1;
	h->pool = fl_node_pool_ref(cfg->pool);
	h->slots = fl_xcalloc((size_t)h->nslots, sizeof(*h->slots));
	h->multi = curl_multi_init();
	if (!h->multi)
		goto fail;
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->nslots + 1);
	for (i = 0; i < h->nslots; i++) {
		h->slots[i].easy = curl_easy_init();
		if (!h->slots[i].easy)
			goto fail;
	}
	return h;
fail:
	fl_http_free(h);
	fl_err_set(err, FL_ERR_SINK, "libcurl handle creation failed");
	return NULL;
}

void
fl_http_free(struct fl_http *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; i < h->nslots; i++) {
		struct http_slot *s = &h->slots[i];

		if (s->easy) {
			if (s->req && h->multi)
				curl_multi_remove_handle(h->multi, s->easy);
			curl_easy_cleanup(s->easy);
		}
		curl_slist_free_all(s->hdrs);
		if (s->zinit)
			deflateEnd(&s->z);
		free(s->zdata);
	}
	if (h->multi)
		curl_multi_cleanup(h->multi);
	free(h->slots);
	fl_node_pool_free(h->pool);
	free(h->url);
	free(h->username);
	fl_wipe_free(h->password);
	free(h->cainfo);
	free(h->client_cert);
	free(h->client_key);
	http_sigv4_free(&h->sigv4);
	free(h);
}

/* Response body sink: append to the request's capped buffer. */
static size_t
http_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct fl_http_req *r = arg;

	return fl_buf_append(&r->resp, p, size * n) == 0 ? size * n : 0;
}

/* Header sink: pick up Retry-After (seconds or an HTTP date). */
static size_t
http_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct fl_http_req *r = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	char val[64];
	size_t k;

	if (len > sizeof(name) - 1 &&
	    strncasecmp(p, name, sizeof(name) - 1) == 0) {
		const char *v = p + sizeof(name) - 1;
		size_t vl = len - (sizeof(name) - 1);
		char *end;
		long secs;

		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
		              v[vl - 1] == ' '))
			vl--;
		k = vl < sizeof(val) - 1 ? vl : sizeof(val) - 1;
		memcpy(val, v, k);
		val[k] = '\0';
		secs = strtol(val, &end, 10);
		if (end != val && *end == '\0' && secs >= 0) {
			r->retry_after_ms = secs * 1000;
		} else {
			time_t t = curl_getdate(val, NULL);
			time_t now = time(NULL);

			if (t != (time_t)-1)
				r->retry_after_ms =
				    t > now ? (long)(t - now) * 1000 : 0;
		}
	}
	return len;
}

/* Gzip r's body into the slot's buffer; -1 on a zlib failure. */
static int
http_gzip(struct http_slot *s, const struct fl_http_req *r)
{
	uLong bound;
	int rc;

	if (!s->zinit) {
		memset(&s->z, 0, sizeof(s->z));
		if (deflateInit2(&s->z, 1, Z_DEFLATED, 15 + 16, 8,
		                 Z_DEFAULT_STRATEGY) != Z_OK)
			return -1;
		s->zinit = 1;
	} else if (deflateReset(&s->z) != Z_OK) {
		return -1;
	}
	if (r->len > HTTP_BODY_MAX)
		return -1;
	bound = deflateBound(&s->z, (uLong)r->len) + 32;
	s->zdata = fl_xgrow(s->zdata, &s->zcap, bound, 1);
	s->z.next_in = (const Bytef *)r->body;
	s->z.avail_in = (uInt)r->len;
	s->z.next_out = (Bytef *)s->zdata;
	s->z.avail_out = (uInt)bound;
	rc = deflate(&s->z, Z_FINISH);
	if (rc != Z_STREAM_END)
		return -1;
	s->zlen = bound - s->z.avail_out;
	return 0;
}

/* Add the SigV4 headers of r (the body as sent) to the slot's list. */
static int
http_sign(struct fl_http *h, struct http_slot *s, struct fl_http_req *r,
          const char *url, const char *body, size_t len)
{
	struct fl_sigv4_out o;
	char *line;

	if (fl_sigv4_sign(&h->sigv4, r->method, url, body, body ? len : 0,
	                  time(NULL), &o) < 0) {
		snprintf(r->error, sizeof(r->error),
		         "cannot sign the request (SigV4): bad URL");
		return -1;
	}
	line = fl_xasprintf("Host: %s", o.host);
	s->hdrs = curl_slist_append(s->hdrs, line);
	free(line);
	line = fl_xasprintf("x-amz-date: %s", o.amz_date);
	s->hdrs = curl_slist_append(s->hdrs, line);
	free(line);
	line = fl_xasprintf("x-amz-content-sha256: %s", o.content_sha);
	s->hdrs = curl_slist_append(s->hdrs, line);
	free(line);
	if (h->sigv4.session_token) {
		line = fl_xasprintf("x-amz-security-token: %s",
		                    h->sigv4.session_token);
		s->hdrs = curl_slist_append(s->hdrs, line);
		free(line);
	}
	line = fl_xasprintf("Authorization: %s", o.authorization);
	s->hdrs = curl_slist_append(s->hdrs, line);
	free(line);
	return 0;
}

/* Set up slot s's easy handle for r. -1 (r->error set) on failure. */
static int
http_prepare(struct fl_http *h, struct http_slot *s, struct fl_http_req *r)
{
	CURL *e = s->easy;
	const char *base = h->url;
	char *url;
	const char *body = r->body;
	size_t len = r->len;

	s->node = -1;
	if (h->pool) {
		size_t i = fl_node_pool_pick(h->pool, fl_mono_ms());

		s->node = (int)i;
		base = fl_node_pool_url(h->pool, i);
	}
	r->node = s->node;
	url = fl_xasprintf("%s%s", base, r->path);

	curl_easy_reset(e);
	curl_slist_free_all(s->hdrs);
	s->hdrs = curl_slist_append(NULL, "Expect:");
	if (r->ctype) {
		char ct[128];

		snprintf(ct, sizeof(ct), "Content-Type: %s", r->ctype);
		s->hdrs = curl_slist_append(s->hdrs, ct);
	} else {
		/* no body: no form content type either */
		s->hdrs = curl_slist_append(s->hdrs, "Content-Type:");
	}
	if (r->gzip && r->body) {
		if (http_gzip(s, r) < 0) {
			snprintf(r->error, sizeof(r->error),
			         "gzip compression failed");
			free(url);
			return -1;
		}
		body = s->zdata;
		len = s->zlen;
		s->hdrs = curl_slist_append(s->hdrs, "Content-Encoding: gzip");
	}
	if (h->sigv4.region &&
	    http_sign(h, s, r, url,
	              strcmp(r->method, "HEAD") == 0 ? NULL : body, len) < 0) {
		free(url);
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, h->timeout_secs);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	if (r->gzip)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (h->username) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, h->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, h->password);
	}
	if (h->cainfo) {
		/* instead of the system store: Debian's libcurl also has a
		 * built-in CA path (/etc/ssl/certs) that CAINFO alone keeps */
		curl_easy_setopt(e, CURLOPT_CAINFO, h->cainfo);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	if (h->client_cert) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, h->client_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, h->client_key);
	}
	if (h->max_send_bps)
		curl_easy_setopt(e, CURLOPT_MAX_SEND_SPEED_LARGE,
		                 (curl_off_t)h->max_send_bps);
	if (!h->tls_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "GET") != 0 || body) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)(body ? len : 0));
	}
	return 0;
}

void
fl_http_set_abort(struct fl_http *h, const atomic_int *flag)
{
	atomic_store(&h->abort_flag, flag);
	/* a wait in curl_multi_poll (up to 1 s without a flag) re-reads it
	 * now; curl_multi_wakeup may be called from any thread */
	curl_multi_wakeup(h->multi);
}

int
fl_http_aborted(const struct fl_http *h)
{
	const atomic_int *flag = atomic_load(&h->abort_flag);

	return flag && atomic_load(flag) != 0;
}

/* Mark r cancelled (a transport error: status 0). */
static void
http_cancelled(struct fl_http_req *r)
{
	r->status = 0;
	r->cancelled = 1;
	snprintf(r->error, sizeof(r->error), "request cancelled");
}

size_t
fl_http_free_slots(const struct fl_http *h)
{
	return (size_t)(h->nslots - h->inflight);
}

int
fl_http_submit(struct fl_http *h, struct fl_http_req *r)
{
	struct http_slot *s = NULL;
	int i;

	for (i = 0; i < h->nslots && !s; i++)
		if (!h->slots[i].req)
			s = &h->slots[i];
	if (!s)
		return -1;
	r->status = 0;
	r->retry_after_ms = -1;
	r->error[0] = '\0';
	r->cancelled = 0;
	s->errbuf[0] = '\0';
	fl_buf_reset(&r->resp);
	if (fl_http_aborted(h)) {
		http_cancelled(r);
		return -2;
	}
	r->slot = (int)(s - h->slots);
	s->req = r;
	s->t0 = http_now();
	h->inflight++;
	if (http_prepare(h, s, r) < 0 ||
	    curl_multi_add_handle(h->multi, s->easy) != CURLM_OK) {
		/* report it as a completed transport failure */
		if (!r->error[0])
			snprintf(r->error, sizeof(r->error),
			         "cannot start the request");
		curl_easy_setopt(s->easy, CURLOPT_URL, "");
		s->req = NULL;
		h->inflight--;
		return -2;
	}
	return 0;
}

/* Finish the transfer of slot s with curl result rc. */
static struct fl_http_req *
http_finish(struct fl_http *h, struct http_slot *s, CURLcode rc)
{
	struct fl_http_req *r = s->req;

	curl_multi_remove_handle(h->multi, s->easy);
	s->req = NULL;
	h->inflight--;
	r->secs = http_now() - s->t0;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &r->status);
	} else {
		r->status = 0;
		snprintf(r->error, sizeof(r->error), "%.80s%s%.160s",
		         curl_easy_strerror(rc), s->errbuf[0] ? ": " : "",
		         s->errbuf);
	}
	if (h->pool && s->node >= 0 && rc != CURLE_ABORTED_BY_CALLBACK) {
		int down = fl_http_node_failed((int)rc, r->status);
		char why[64];

		if (r->status)
			snprintf(why, sizeof(why), "HTTP %ld", r->status);
		else
			snprintf(why, sizeof(why), "%.60s",
			         curl_easy_strerror(rc));
		fl_node_pool_report(h->pool, (size_t)s->node, !down, why,
		                    fl_mono_ms());
	}
	s->node = -1;
	return r;
}

int
fl_http_node_failed(int curl_rc, long status)
{
	switch ((CURLcode)curl_rc) {
	case CURLE_OK:
		return status == 502 || status == 503;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return 1;
	default:
		return 0;
	}
}

/* Abort the transfer of one slot in flight and return its request,
 * cancelled (h is aborted and inflight > 0). */
static struct fl_http_req *
http_cancel_one(struct fl_http *h)
{
	struct fl_http_req *r;
	int i;

	for (i = 0; !h->slots[i].req; i++)
		;
	r = http_finish(h, &h->slots[i], CURLE_ABORTED_BY_CALLBACK);
	http_cancelled(r);
	return r;
}

struct fl_http_req *
fl_http_wait(struct fl_http *h)
{
	int running, left;
	CURLMsg *m;

	while (h->inflight > 0) {
		if (fl_http_aborted(h))
			return http_cancel_one(h);
		if (curl_multi_perform(h->multi, &running) != CURLM_OK)
			running = 0;
		while ((m = curl_multi_info_read(h->multi, &left))) {
			struct http_slot *s = NULL;
			char *priv = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			                  &priv);
			s = (struct http_slot *)(void *)priv;
			if (s && s->req)
				return http_finish(h, s, m->data.result);
		}
		curl_multi_poll(h->multi, NULL, 0,
		                atomic_load(&h->abort_flag) ? HTTP_ABORT_POLL_MS
		                                            : HTTP_POLL_MS,
		                NULL);
	}
	return NULL;
}

int
fl_http_do(struct fl_http *h, struct fl_http_req *r)
{
	struct fl_http_req *done;
	int rc = fl_http_submit(h, r);

	if (rc == -2)
		return -1;
	if (rc < 0) {
		snprintf(r->error, sizeof(r->error), "no free HTTP slot");
		return -1;
	}
	do {
		done = fl_http_wait(h);
	} while (done && done != r);
	return r->status ? 0 : -1;
}

char *
fl_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, o = 0;
	char *out = fl_xmalloc(n * 3 + 1);

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
