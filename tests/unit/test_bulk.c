/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_bulk.c - the OpenSearch bulk protocol (engine-sink.md §2.7,
 * §11.2) in two parts:
 *
 *   pure helpers: the chunk plans of §2.7, NDJSON action rendering,
 *   bulk paths, CR/LF scrubbing, whole-response classification,
 *   reading canned bulk responses into classified items, and refusing
 *   bodies whose outcome is unknown (no boolean errors, item count not
 *   the action count, an item without an action object and status);
 *
 *   the writer against a canned-reply stub (a tiny HTTP server on a
 *   loopback port in a thread; no OpenSearch): item 429 resent alone,
 *   a 2xx with a truncated body or an unknown outcome resent (never
 *   applied, never rejections), 401 failing fast, 503 with
 *   Retry-After, retries exhausted -> FL_SINK_TRANSIENT, 413 split and
 *   single-document 413 rejection, item 400 mapped to logical index
 *   and id, delete 404 as success, index_not_found as permanent, one
 *   refresh of the touched generations when caught up, dual write
 *   while a rebuild is staged, the pipeline parameter, gzip bodies.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "config/config.h"
#include "config/value.h"
#include "sink/opensearch_sink.h"
#include "sink/sink.h"
#include "tap.h"
#include "util/buf.h"

/* ---- pure helpers --------------------------------------------------------- */

/* The plan of sizes as "[a, b, ...]". */
static void
t_plan(const size_t *sizes, size_t n, long bs, long mb, char *out, size_t outn)
{
	size_t counts[16], k, i, o = 0;

	k = fl_bulk_plan(sizes, n, bs, mb, counts);
	o += (size_t)snprintf(out + o, outn - o, "[");
	for (i = 0; i < k; i++)
		o += (size_t)snprintf(out + o, outn - o, "%s%zu", i ? ", " : "",
		                      counts[i]);
	snprintf(out + o, outn - o, "]");
}

TAP_TEST(test_plan)
{
	size_t a[] = { 10, 10, 10, 10, 10 };
	size_t b[] = { 12, 12, 12, 12 };
	size_t c[] = { 10, 50, 10, 10 };
	size_t d[] = { 40, 40, 40, 5, 5 };
	char got[64];

	t_plan(a, 5, 2, 1000, got, sizeof(got));
	is_str(got, "[2, 2, 1]", "[10x5] bs 2 mb 1000");
	t_plan(b, 4, 100, 30, got, sizeof(got));
	is_str(got, "[2, 2]", "[12x4] bs 100 mb 30");
	t_plan(c, 4, 100, 30, got, sizeof(got));
	is_str(got, "[1, 1, 2]", "[10, 50, 10, 10] bs 100 mb 30");
	t_plan(d, 5, 3, 100, got, sizeof(got));
	is_str(got, "[2, 3]", "[40, 40, 40, 5, 5] bs 3 mb 100");
	t_plan(NULL, 0, 7, 7, got, sizeof(got));
	is_str(got, "[]", "[] -> []");
}

/* Number of '\n' in s. */
static int
t_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

TAP_TEST(test_actions)
{
	struct fl_buf b;

	fl_buf_init(&b, 1 << 20);
	fl_bulk_put_action(&b, 0, "users_h_1", "42", "{\"email\":\"a\"}", 13,
	                   0);
	is_str(fl_buf_str(&b),
	       "{\"index\":{\"_id\":\"42\",\"_index\":\"users_h_1\"}}\n"
	       "{\"email\":\"a\"}\n",
	       "index action: meta line then the source");
	is_long(t_lines(fl_buf_str(&b)), 2, "index action is two lines");
	fl_bulk_put_action(&b, 1, "users_h_1", "7", NULL, 0, 0);
	is_long(t_lines(fl_buf_str(&b)), 3,
	        "index (2 lines) + delete (1 line) = 3 lines, in order");
	has_str(fl_buf_str(&b),
	        "\n{\"delete\":{\"_id\":\"7\",\"_index\":\"users_h_1\"}}\n",
	        "delete action line last");
	fl_buf_reset(&b);
	fl_bulk_put_action(&b, 1, "i", "a\"b\\c\n", NULL, 0, 0);
	is_str(
	    fl_buf_str(&b),
	    "{\"delete\":{\"_id\":\"a\\\"b\\\\c\\u000a\",\"_index\":\"i\"}}\n",
	    "ids are JSON-escaped");
	fl_buf_reset(&b);
	fl_bulk_put_action(&b, 1, "i", "5", NULL, 0, 23456789);
	is_str(fl_buf_str(&b),
	       "{\"delete\":{\"_id\":\"5\",\"_index\":\"i\",\"version\":"
	       "23456789,\"version_type\":\"external_gte\"}}\n",
	       "a version makes the action external_gte versioned");
	fl_buf_reset(&b);
	is_str(fl_buf_str(&b), "", "an empty action list is an empty body");
	fl_buf_done(&b);
}

TAP_TEST(test_paths)
{
	char *p;

	p = fl_bulk_path(NULL, 0);
	is_str(p, "/_bulk", "no pipeline, no refresh");
	free(p);
	p = fl_bulk_path(NULL, 1);
	is_str(p, "/_bulk?refresh=true", "refresh only");
	free(p);
	p = fl_bulk_path("my-pipeline", 1);
	is_str(p, "/_bulk?pipeline=my-pipeline&refresh=true", "both");
	free(p);
	p = fl_bulk_path("a b/c&d", 0);
	is_str(p, "/_bulk?pipeline=a%20b%2Fc%26d", "pipeline is URL-encoded");
	free(p);
}

TAP_TEST(test_scrub)
{
	char doc[] = "{\"a\":\r\n 1,\n\"b\":\"x\"}\n";

	fl_bulk_scrub(doc, strlen(doc));
	is_str(doc, "{\"a\":   1, \"b\":\"x\"} ", "CR and LF become spaces");
}

TAP_TEST(test_classify)
{
	ok(fl_bulk_classify_status(200, 3) == FL_BULK_OK, "200 ok");
	ok(fl_bulk_classify_status(0, 3) == FL_BULK_RETRY, "transport: retry");
	ok(fl_bulk_classify_status(429, 3) == FL_BULK_RETRY, "429 retry");
	ok(fl_bulk_classify_status(500, 3) == FL_BULK_RETRY, "500 retry");
	ok(fl_bulk_classify_status(502, 3) == FL_BULK_RETRY, "502 retry");
	ok(fl_bulk_classify_status(503, 3) == FL_BULK_RETRY, "503 retry");
	ok(fl_bulk_classify_status(504, 3) == FL_BULK_RETRY, "504 retry");
	ok(fl_bulk_classify_status(413, 3) == FL_BULK_SPLIT, "413 on 3: split");
	ok(fl_bulk_classify_status(413, 1) == FL_BULK_REJECT,
	   "413 on 1: rejection");
	ok(fl_bulk_classify_status(401, 3) == FL_BULK_FATAL, "401 fatal");
	ok(fl_bulk_classify_status(403, 3) == FL_BULK_FATAL, "403 fatal");
	ok(fl_bulk_classify_status(400, 3) == FL_BULK_FATAL, "400 fatal");
	ok(fl_bulk_classify_status(404, 3) == FL_BULK_FATAL, "404 fatal");
}

/* Parse body for nactions actions (refs: NULL or nactions entries);
 * returns the item count (-1: unknown outcome). */
static long
t_parse(const char *body, const struct fl_bulk_ref *refs, size_t nactions,
        struct fl_bulk_item **items)
{
	const char *why;
	size_t n;

	if (fl_bulk_parse(body, strlen(body), refs, nactions, items, &n, &why) <
	    0)
		return -1;
	return (long)n;
}

TAP_TEST(test_parse)
{
	struct fl_bulk_ref refs[] = { { "i_1", "a" }, { "i_1", "b" } };
	struct fl_bulk_item *it;
	const char *why;

	is_long(t_parse("{\"took\":1,\"items\":[]}", NULL, 0, &it), -1,
	        "errors absent: unknown outcome (not \"none\")");
	is_long(t_parse("{\"took\":1,\"errors\":false,\"items\":[{\"index\":"
	                "{\"status\":400}}]}",
	                NULL, 1, &it),
	        0, "errors false: none");
	fl_bulk_items_free(it, 0);
	if (is_long(t_parse("{\"errors\":true,\"items\":[{\"index\":{\"_"
	                    "index\":\"x_1\",\"_id\":\"9\",\"status\":400,"
	                    "\"error\":{\"type\":\"mapper_parsing_exception\","
	                    "\"reason\":\"failed to parse\"}}}]}",
	                    NULL, 1, &it),
	            1, "a 4xx item is reported")) {
		is_str(it[0].reason, "failed to parse", "with error.reason");
		is_str(it[0].index, "x_1", "index from the item (no actions)");
		is_str(it[0].id, "9", "id from the item (no actions)");
		ok(it[0].cls == FL_BULK_REJECT && it[0].status == 400,
		   "class reject, status 400");
		fl_bulk_items_free(it, 1);
	}
	if (is_long(t_parse("{\"errors\":true,\"items\":[{\"index\":{\"_id\":"
	                    "\"zz\",\"status\":409,\"error\":{\"reason\":"
	                    "\"r1\"}}},{\"index\":{\"_id\":\"zz\",\"status\":"
	                    "400}}]}",
	                    refs, 2, &it),
	            2, "two items rejected")) {
		is_str(it[1].id, "b", "the second takes its id by position");
		is_str(it[1].reason, "rejected with status 400",
		       "no error.reason: rejected with status");
		is_long((long)it[1].pos, 1, "position 1");
		fl_bulk_items_free(it, 2);
	}
	is_long(t_parse("{\"errors\":true,\"items\":[{\"index\":{\"status\":"
	                "200}},{\"delete\":{\"status\":200}}]}",
	                NULL, 2, &it),
	        0, "errors true with every item 200: none");
	fl_bulk_items_free(it, 0);
	is_long(t_parse("{\"errors\":true,\"items\":[{\"delete\":{\"status\":"
	                "404,\"result\":\"not_found\"}},{\"index\":{"
	                "\"status\":400}}]}",
	                refs, 2, &it),
	        1, "delete 404 not_found is not a rejection (E3)");
	fl_bulk_items_free(it, 1);
	if (is_long(
	        t_parse("{\"errors\":true,\"items\":[{\"index\":{\"status\":"
	                "429,\"error\":{\"type\":\"x\"}}},{\"index\":{"
	                "\"status\":400,\"error\":{\"type\":\"es_rejected_"
	                "execution_exception\"}}},{\"index\":{\"status\":"
	                "503}},{\"delete\":{\"status\":404,\"error\":{"
	                "\"type\":\"index_not_found_exception\","
	                "\"reason\":\"no such index [g]\"}}}]}",
	                NULL, 4, &it),
	        4, "four failing items")) {
		ok(it[0].cls == FL_BULK_RETRY, "item 429 is retried (E2)");
		ok(it[1].cls == FL_BULK_RETRY,
		   "es_rejected_execution_exception is retried");
		ok(it[2].cls == FL_BULK_RETRY, "item 5xx is retried");
		ok(it[3].cls == FL_BULK_FATAL,
		   "index_not_found_exception is permanent");
		fl_bulk_items_free(it, 4);
	}
	{
		const char *f = "{\"errors\":false,\"items\":[]}";
		const char *t = "{\"errors\":true,\"items\":[]}";
		size_t n;

		is_long(fl_bulk_parse(f, strlen(f), NULL, 0, &it, &n, &why), 0,
		        "errors false: 0 (nothing read)");
		ok(why == NULL, "a known outcome has no why");
		is_long(fl_bulk_parse(t, strlen(t), NULL, 0, &it, &n, &why), 1,
		        "errors true: 1 (items read)");
		is_long((long)n, 0, "no items");
		is_long(fl_bulk_parse(t, strlen(t), NULL, 1, &it, &n, &why), -1,
		        "no items for one action: unknown outcome");
		is_str(why, "the item count differs from the action count",
		       "why says so");
	}
	if (is_long(t_parse("{\"errors\":true,\"items\":[{\"index\":{"
	                    "\"status\":409,\"error\":{\"type\":"
	                    "\"version_conflict_engine_exception\"}}},{"
	                    "\"delete\":{\"status\":409,\"error\":{\"type\":"
	                    "\"version_conflict_engine_exception\"}}}]}",
	                    NULL, 2, &it),
	            2, "version conflicts are reported")) {
		ok(it[0].cls == FL_BULK_STALE && it[1].cls == FL_BULK_STALE,
		   "a version conflict is stale (a newer write is stored)");
		fl_bulk_items_free(it, 2);
	}
	is_long(t_parse("{\"took\":1,\"errors\":tr", NULL, 1, &it), -1,
	        "truncated body: unreadable");
	is_long(t_parse("<html>oops</html>", NULL, 1, &it), -1,
	        "not JSON: unreadable");
	is_long(t_parse("{\"errors\":true}", NULL, 1, &it), -1,
	        "errors true without items: unreadable");
}

/* fl_bulk_parse of body for nactions actions (refs a0, a1, ...). */
static int
t_parse_n(const char *body, size_t nactions)
{
	static const struct fl_bulk_ref refs[] = { { "i_1", "a0" },
		                                   { "i_1", "a1" },
		                                   { "i_1", "a2" },
		                                   { "i_1", "a3" } };
	struct fl_bulk_item *it;
	const char *why;
	size_t n;
	int rc =
	    fl_bulk_parse(body, strlen(body), refs, nactions, &it, &n, &why);

	fl_bulk_items_free(it, rc < 0 ? 0 : n);
	return rc;
}

TAP_TEST(test_parse_unknown)
{
	is_long(t_parse_n("{\"took\":1,\"items\":[{\"index\":{\"status\":"
	                  "201}}]}",
	                  1),
	        -1, "errors absent: unknown outcome");
	is_long(t_parse_n("{\"errors\":\"false\",\"items\":[{\"index\":{"
	                  "\"status\":201}}]}",
	                  1),
	        -1, "errors a string: unknown outcome");
	is_long(t_parse_n("{\"errors\":null,\"items\":[{\"index\":{"
	                  "\"status\":201}}]}",
	                  1),
	        -1, "errors null: unknown outcome");
	is_long(t_parse_n("{\"errors\":false}", 1), -1,
	        "errors false without items: unknown outcome");
	is_long(t_parse_n("{\"errors\":false,\"items\":{}}", 1), -1,
	        "items not an array: unknown outcome");
	is_long(t_parse_n("{\"errors\":false,\"items\":[{\"index\":{"
	                  "\"status\":201}}]}",
	                  2),
	        -1, "errors false, 1 item for 2 actions: unknown outcome");
	is_long(t_parse_n("{\"errors\":false,\"items\":[{\"index\":{"
	                  "\"status\":201}},{\"index\":{\"status\":201}},"
	                  "{\"index\":{\"status\":201}}]}",
	                  2),
	        -1, "errors false, 3 items for 2 actions: unknown outcome");
	is_long(t_parse_n("{\"errors\":true,\"items\":[{\"index\":{"
	                  "\"status\":201}},{\"index\":{\"status\":400}}]}",
	                  3),
	        -1, "errors true, 2 items for 3 actions: unknown outcome");
	is_long(t_parse_n("{\"errors\":false,\"items\":[1]}", 1), -1,
	        "an item that is not an object: unknown outcome");
	is_long(t_parse_n("{\"errors\":false,\"items\":[{\"index\":5}]}", 1),
	        -1, "an action key not holding an object: unknown outcome");
	is_long(t_parse_n("{\"errors\":true,\"items\":[{\"index\":{"
	                  "\"status\":201},\"delete\":{\"status\":200}}]}",
	                  1),
	        -1, "an item with two action keys: unknown outcome");
	is_long(t_parse_n("{\"errors\":true,\"items\":[{\"index\":{"
	                  "\"status\":201}},{\"index\":{}}]}",
	                  2),
	        -1, "an item without status: unknown outcome");
	is_long(t_parse_n("{\"errors\":true,\"items\":[{\"index\":{"
	                  "\"status\":\"400\"}}]}",
	                  1),
	        -1, "a string status: unknown outcome");
	is_long(t_parse_n("{\"errors\":false,\"items\":[{\"index\":{"
	                  "\"_id\":\"a0\"}}]}",
	                  1),
	        -1, "errors false, an item without status: unknown outcome");
	is_long(t_parse_n("{\"errors\":true,\"items\":[{\"index\":{"
	                  "\"status\":0}}]}",
	                  1),
	        -1, "status 0: unknown outcome");
	is_long(t_parse_n("{\"errors\":false,\"items\":[{\"index\":{"
	                  "\"status\":201}},{\"delete\":{\"status\":200}}]}",
	                  2),
	        0, "well-formed, errors false: 0 (all applied)");
	is_long(t_parse_n("{\"errors\":true,\"items\":[{\"index\":{"
	                  "\"status\":201}},{\"index\":{\"status\":400}}]}",
	                  2),
	        1, "well-formed, errors true: 1 (items read)");
}

/* ---- a canned-reply stub ------------------------------------------------- */

#define T_MAXREQ 64

struct t_req {
	char method[8];
	char path[256];
	int gzip;
	char auth[64]; /* the Authorization header's value */
	char *body;    /* decompressed */
	size_t len;
};

struct t_stub {
	int fd;
	int port;
	pthread_t th;
	atomic_int stop; /* set by the test thread, read by the stub */
	pthread_mutex_t mu;
	/* bulk replies, consumed in order; then 200 with all items ok */
	const char *bulk_status[16];
	const char *bulk_body[16];
	const char *bulk_headers[16];
	int nbulk, next_bulk;
	int fail_items_once; /* reply item 429 for this action index once */
	struct t_req reqs[T_MAXREQ];
	int nreqs;
};

/* Read exactly n bytes; -1 on EOF or error. */
static int
t_readn(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Gunzip into a new NUL-terminated buffer. */
static char *
t_gunzip(const char *p, size_t n, size_t *out)
{
	size_t cap = n * 20 + 1024;
	char *buf = malloc(cap);
	z_stream z;

	memset(&z, 0, sizeof(z));
	inflateInit2(&z, 15 + 16);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)(cap - 1);
	inflate(&z, Z_FINISH);
	*out = cap - 1 - z.avail_out;
	buf[*out] = '\0';
	inflateEnd(&z);
	return buf;
}

/* Count the actions of an NDJSON bulk body. */
static int
t_nactions(const char *body)
{
	const char *p;
	int n = 0;

	for (p = body; (p = strstr(p, "{\"index\":{\"_id\"")); p++)
		n++;
	for (p = body; (p = strstr(p, "{\"delete\":{\"_id\"")); p++)
		n++;
	return n;
}

/* The default bulk reply: every action ok (status 201 / 200). */
static char *
t_all_ok(int n)
{
	struct fl_buf b;
	int i;

	fl_buf_init(&b, 1 << 24);
	fl_buf_puts(&b, "{\"took\":1,\"errors\":false,\"items\":[");
	for (i = 0; i < n; i++)
		fl_buf_printf(&b, "%s{\"index\":{\"status\":201}}",
		              i ? "," : "");
	fl_buf_puts(&b, "]}");
	return fl_buf_steal(&b);
}

/* Answer one request on fd. */
static void
t_answer(struct t_stub *st, int fd, const char *m, const char *path,
         const char *body)
{
	const char *status = "200 OK", *hdrs = "";
	char *dyn = NULL;
	const char *rb = "{}";
	char head[512];

	if (strcmp(m, "HEAD") == 0) {
		rb = "";
	} else if (strncmp(path, "/_cat/", 6) == 0) {
		rb = "[]";
	} else if (strncmp(path, "/_alias/", 8) == 0 ||
	           strstr(path, "/_doc/")) {
		if (strcmp(m, "GET") == 0) {
			status = "404 Not Found";
			rb = "{\"found\":false}";
		}
	} else if (strncmp(path, "/_bulk", 6) == 0) {
		pthread_mutex_lock(&st->mu);
		if (st->next_bulk < st->nbulk) {
			status = st->bulk_status[st->next_bulk];
			rb = st->bulk_body[st->next_bulk];
			hdrs = st->bulk_headers[st->next_bulk]
			           ? st->bulk_headers[st->next_bulk]
			           : "";
			st->next_bulk++;
		} else {
			rb = dyn = t_all_ok(t_nactions(body));
		}
		pthread_mutex_unlock(&st->mu);
	}
	snprintf(head, sizeof(head),
	         "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
	         "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
	         status, strlen(rb), hdrs);
	if (write(fd, head, strlen(head)) < 0 ||
	    (strcmp(m, "HEAD") != 0 && write(fd, rb, strlen(rb)) < 0))
		printf("# stub: write failed\n");
	free(dyn);
}

/* Read one request from fd, record it, answer it. */
static void
t_serve(struct t_stub *st, int fd)
{
	char head[8192], *e, *p;
	size_t n = 0, clen = 0;
	struct t_req *rq;
	int gzip;

	while (n < sizeof(head) - 1) {
		if (read(fd, head + n, 1) != 1)
			return;
		n++;
		head[n] = '\0';
		if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	for (p = head; (p = strchr(p, '\n')); p++)
		if (strncasecmp(p + 1, "content-length:", 15) == 0)
			clen = strtoul(p + 16, NULL, 10);
	gzip = strstr(head, "Content-Encoding: gzip") != NULL;
	pthread_mutex_lock(&st->mu);
	rq = st->nreqs < T_MAXREQ ? &st->reqs[st->nreqs++] : NULL;
	pthread_mutex_unlock(&st->mu);
	if (!rq)
		return;
	e = strchr(head, ' ');
	snprintf(rq->method, sizeof(rq->method), "%.*s", (int)(e - head), head);
	p = strchr(e + 1, ' ');
	snprintf(rq->path, sizeof(rq->path), "%.*s", (int)(p - e - 1), e + 1);
	rq->body = malloc(clen + 1);
	if (t_readn(fd, rq->body, clen) < 0)
		clen = 0;
	rq->body[clen] = '\0';
	rq->len = clen;
	rq->gzip = gzip;
	rq->auth[0] = '\0';
	if ((p = strstr(head, "\r\nAuthorization: ")))
		snprintf(rq->auth, sizeof(rq->auth), "%.*s",
		         (int)strcspn(p + 17, "\r"), p + 17);
	if (gzip) {
		char *z = t_gunzip(rq->body, clen, &rq->len);

		free(rq->body);
		rq->body = z;
	}
	t_answer(st, fd, rq->method, rq->path, rq->body);
}

static void *
t_stub_main(void *arg)
{
	struct t_stub *st = arg;

	while (!st->stop) {
		int fd = accept(st->fd, NULL, NULL);

		if (fd < 0)
			continue;
		if (!st->stop)
			t_serve(st, fd);
		close(fd);
	}
	return NULL;
}

static void
t_stub_start(struct t_stub *st)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int one = 1;

	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->mu, NULL);
	st->fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(st->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(st->fd, (struct sockaddr *)&a, sizeof(a));
	listen(st->fd, 16);
	getsockname(st->fd, (struct sockaddr *)&a, &al);
	st->port = ntohs(a.sin_port);
	pthread_create(&st->th, NULL, t_stub_main, st);
}

static void
t_stub_stop(struct t_stub *st)
{
	struct sockaddr_in a;
	int fd, i;

	st->stop = 1;
	/* wake accept() */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)st->port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		printf("# stub: wake failed\n");
	close(fd);
	pthread_join(st->th, NULL);
	close(st->fd);
	for (i = 0; i < st->nreqs; i++)
		free(st->reqs[i].body);
	pthread_mutex_destroy(&st->mu);
}

/* Forget recorded requests and queued replies. */
static void
t_stub_reset(struct t_stub *st)
{
	int i;

	pthread_mutex_lock(&st->mu);
	for (i = 0; i < st->nreqs; i++)
		free(st->reqs[i].body);
	st->nreqs = 0;
	st->nbulk = 0;
	st->next_bulk = 0;
	pthread_mutex_unlock(&st->mu);
}

static void
t_stub_reply(struct t_stub *st, const char *status, const char *headers,
             const char *body)
{
	st->bulk_status[st->nbulk] = status;
	st->bulk_headers[st->nbulk] = headers;
	st->bulk_body[st->nbulk] = body;
	st->nbulk++;
}

/* Recorded requests whose path starts with prefix. */
static int
t_count(struct t_stub *st, const char *prefix)
{
	int i, n = 0;

	for (i = 0; i < st->nreqs; i++)
		n += strncmp(st->reqs[i].path, prefix, strlen(prefix)) == 0;
	return n;
}

/* The k-th recorded bulk request (0-based), or NULL. */
static const struct t_req *
t_bulk(struct t_stub *st, int k)
{
	int i;

	for (i = 0; i < st->nreqs; i++)
		if (strncmp(st->reqs[i].path, "/_bulk", 6) == 0 && k-- == 0)
			return &st->reqs[i];
	return NULL;
}

/* ---- the writer against the stub ----------------------------------------- */

#define T_HASH "00112233aabbccdd"
#define T_GEN1 "t_users_" T_HASH "_1"
#define T_GEN2 "t_users_" T_HASH "_2"

struct t_env {
	struct t_stub stub;
	struct fl_sink_cfg cfg;
	char url[64];
	struct fl_sink *sink;
	struct fl_sink_writer *w;
};

/* A sink on the stub with one ensured index `users`. */
static int
t_env_start(struct t_env *e, long batch_size, long max_retries,
            const char *pipeline, int gzip)
{
	struct fl_sink_os_tuning tune = { 1, gzip, 0 };
	struct fl_sink_index_def def;
	struct fl_sink_index_state st;
	struct fl_val *body = fl_val_new(FL_VAL_MAP);
	static char name[] = "t", interval[] = "1s";
	struct fl_err err;

	memset(e, 0, sizeof(*e));
	t_stub_start(&e->stub);
	snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d/", e->stub.port);
	e->cfg.name = name;
	e->cfg.type = FL_SINK_OPENSEARCH;
	e->cfg.url.kind = FL_SECRET_LITERAL;
	e->cfg.url.value = e->url;
	e->cfg.tls_verify = 1;
	e->cfg.batch_size = batch_size;
	e->cfg.max_bytes = 10485760;
	e->cfg.timeout_secs = 10;
	e->cfg.max_retries = max_retries;
	e->cfg.refresh_period_ms = -1; /* the built-in defaults */
	e->cfg.skip_identical_ids = -1;
	e->cfg.pipeline = (char *)(uintptr_t)pipeline;
	e->cfg.refresh_interval = interval;
	fl_err_clear(&err);
	e->sink = fl_sink_os_new(&e->cfg, "t_", &err);
	if (!e->sink) {
		printf("# %s\n", err.msg);
		fl_val_free(body);
		return -1;
	}
	fl_sink_os_tune(e->sink, &tune);
	/* these tests pin the writer's own request sequence: the refresh
	 * of a caught-up flush on its path (period 0) and every write sent
	 * (no seen cache); test_opensearch_sink covers both features */
	fl_sink_os_set_refresh(e->sink, 0);
	fl_sink_os_set_skip(e->sink, 0);
	def.name = "users";
	def.hash = T_HASH;
	def.body = body;
	if (e->sink->ops->ensure_index(e->sink, &def, &st, &err) != 0) {
		printf("# ensure_index: %s\n", err.msg);
		fl_val_free(body);
		return -1;
	}
	fl_val_free(body);
	fl_sink_index_state_done(&st);
	e->w = e->sink->ops->writer_new(e->sink);
	t_stub_reset(&e->stub);
	return 0;
}

static void
t_env_stop(struct t_env *e)
{
	if (e->w)
		e->w->ops->free(e->w);
	if (e->sink)
		e->sink->ops->free(e->sink);
	t_stub_stop(&e->stub);
}

/* Flush; returns the class, report in rep, message in err. */
static int
t_flush(struct t_env *e, int caught_up, struct fl_sink_report *rep,
        struct fl_err *err)
{
	fl_err_clear(err);
	rep->v = NULL;
	rep->n = 0;
	return e->w->ops->flush(e->w, caught_up, rep, err);
}

#define T_DOC "{\"email\":\"ada@x.io\"}"

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

TAP_TEST(test_writer_basics)
{
	struct t_env e;
	struct fl_sink_report rep;
	struct fl_err err;
	const struct t_req *b;

	if (!ok(t_env_start(&e, 2, 3, "my pipe", 0) == 0, "stub sink"))
		return;
	is_long(t_flush(&e, 1, &rep, &err), FL_SINK_OK, "empty flush ok");
	is_long(e.stub.nreqs, 0, "an empty flush makes no HTTP call");
	t_upserts(&e, 4);
	e.w->ops->del(e.w, "users", "5", 0);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_OK, "flush ok");
	is_long(t_count(&e.stub, "/_bulk"), 3, "5 actions, batch 2: 3 chunks");
	is_long(t_count(&e.stub, "/" T_GEN1 "/_refresh"), 0,
	        "not caught up: no refresh");
	b = t_bulk(&e.stub, 0);
	if (ok(b != NULL, "first chunk recorded")) {
		is_str(b->path, "/_bulk?pipeline=my%20pipe",
		       "pipeline URL-encoded on every bulk");
		has_str(b->body,
		        "{\"index\":{\"_id\":\"1\",\"_index\":\"" T_GEN1
		        "\"}}\n" T_DOC "\n",
		        "actions name the physical generation");
	}
	t_stub_reset(&e.stub);
	t_upserts(&e, 3);
	is_long(t_flush(&e, 1, &rep, &err), FL_SINK_OK, "caught-up flush ok");
	is_long(t_count(&e.stub, "/_bulk"), 2, "two chunks");
	is_long(t_count(&e.stub, "/" T_GEN1 "/_refresh"), 1,
	        "caught up: one refresh of the touched generation");
	ok(e.stub.nreqs == 3 &&
	       strcmp(e.stub.reqs[2].path, "/" T_GEN1 "/_refresh") == 0,
	   "the refresh comes after the last chunk");
	t_env_stop(&e);
}

TAP_TEST(test_writer_items)
{
	struct t_env e;
	struct fl_sink_report rep;
	struct fl_err err;
	const struct t_req *b;

	if (!ok(t_env_start(&e, 100, 3, NULL, 0) == 0, "stub sink"))
		return;
	t_stub_reply(
	    &e.stub, "200 OK", NULL,
	    "{\"took\":1,\"errors\":true,\"items\":["
	    "{\"index\":{\"status\":201}},"
	    "{\"index\":{\"status\":429,\"error\":{\"type\":"
	    "\"es_rejected_execution_exception\",\"reason\":\"q\"}}},"
	    "{\"index\":{\"status\":400,\"error\":{\"type\":"
	    "\"strict_dynamic_mapping_exception\",\"reason\":"
	    "\"strict\"}}},"
	    "{\"delete\":{\"status\":404,\"result\":\"not_found\"}}]}");
	t_upserts(&e, 3);
	e.w->ops->del(e.w, "users", "4", 0);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_OK,
	        "flush ok despite item failures");
	is_long(t_count(&e.stub, "/_bulk"), 2, "one resend");
	b = t_bulk(&e.stub, 1);
	if (ok(b != NULL, "resend recorded")) {
		is_long(t_nactions(b->body), 1, "only the 429 item is resent");
		has_str(b->body, "\"_id\":\"2\"", "item 2 resent");
	}
	if (is_long((long)rep.n, 1, "one rejection")) {
		is_str(rep.v[0].index, "users", "mapped to the logical index");
		is_str(rep.v[0].id, "3", "and id");
		is_long(rep.v[0].status, 400, "status 400");
		is_str(rep.v[0].reason, "strict", "reason");
	}
	fl_sink_report_done(&rep);

	t_stub_reset(&e.stub);
	t_stub_reply(&e.stub, "200 OK", NULL,
	             "{\"took\":1,\"errors\":true,\"items\":["
	             "{\"index\":{\"status\":201}},"
	             "{\"index\":{\"status\":409,\"error\":{\"type\":"
	             "\"version_conflict_engine_exception\",\"reason\":"
	             "\"v\"}}}]}");
	e.w->ops->set_version(e.w, 77);
	t_upserts(&e, 2);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_OK,
	        "a version conflict is no failure");
	is_long(t_count(&e.stub, "/_bulk"), 1, "and is not resent");
	is_long((long)rep.n, 0, "nor rejected");
	b = t_bulk(&e.stub, 0);
	if (ok(b != NULL, "bulk recorded"))
		has_str(b->body,
		        "\"version\":77,\"version_type\":\"external_gte\"",
		        "the writer's version goes on each action");
	e.w->ops->set_version(e.w, 0);
	fl_sink_report_done(&rep);

	t_stub_reset(&e.stub);
	t_stub_reply(&e.stub, "200 OK", NULL, "{\"took\":1,\"errors\":tr");
	t_upserts(&e, 2);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_OK,
	        "2xx unreadable body: resent, then ok");
	is_long(t_count(&e.stub, "/_bulk"), 2, "the chunk was resent (E7)");
	is_long((long)rep.n, 0, "no rejection");

	t_stub_reset(&e.stub);
	t_stub_reply(&e.stub, "200 OK", NULL,
	             "{\"took\":1,\"errors\":true,\"items\":[]}");
	t_upserts(&e, 2);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_OK,
	        "errors true without the items: resent, then ok");
	is_long(t_count(&e.stub, "/_bulk"), 2, "the chunk was resent");

	t_stub_reset(&e.stub);
	t_stub_reply(&e.stub, "200 OK", NULL,
	             "{\"took\":1,\"errors\":true,\"items\":[{\"index\":{"
	             "\"status\":404,\"error\":{\"type\":"
	             "\"index_not_found_exception\",\"reason\":\"no such "
	             "index\"}}}]}");
	t_upserts(&e, 1);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_PERMANENT,
	        "item index_not_found: permanent");
	has_str(err.msg, "no such index", "the message says why");
	t_env_stop(&e);
}

/* Flush 2 upserts against one queued 200 reply; count the bulks. */
static int
t_flush_unknown(struct t_env *e, const char *body, struct fl_sink_report *rep,
                struct fl_err *err)
{
	t_stub_reset(&e->stub);
	t_stub_reply(&e->stub, "200 OK", NULL, body);
	t_upserts(e, 2);
	return t_flush(e, 0, rep, err);
}

TAP_TEST(test_writer_unknown)
{
	static const char *const bodies[] = {
		"{\"took\":1,\"items\":[{\"index\":{\"status\":201}},"
		"{\"index\":{\"status\":201}}]}",
		"{\"took\":1,\"errors\":\"false\",\"items\":[{\"index\":{"
		"\"status\":201}},{\"index\":{\"status\":201}}]}",
		"{\"took\":1,\"errors\":false,\"items\":[{\"index\":{"
		"\"status\":201}}]}",
		"{\"took\":1,\"errors\":false}",
		"{\"took\":1,\"errors\":true,\"items\":[{\"index\":{"
		"\"status\":201}},{\"index\":{}}]}",
		"{\"took\":1,\"errors\":true,\"items\":[{\"index\":{"
		"\"status\":400,\"error\":{\"reason\":\"bad\"}}},{\"index\":{"
		"\"status\":\"201\"}}]}",
	};
	static const char *const what[] = {
		"errors absent",          "errors not a boolean",
		"errors false, 1 item",   "errors false, no items",
		"an item without status", "a 400 item next to a malformed one",
	};
	struct t_env e;
	struct fl_sink_report rep;
	struct fl_err err;
	char msg[160];
	size_t i;

	if (!ok(t_env_start(&e, 100, 3, NULL, 0) == 0, "stub sink"))
		return;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(msg, sizeof(msg), "%s: resent, then ok", what[i]);
		is_long(t_flush_unknown(&e, bodies[i], &rep, &err), FL_SINK_OK,
		        msg);
		snprintf(msg, sizeof(msg), "%s: the chunk was resent", what[i]);
		is_long(t_count(&e.stub, "/_bulk"), 2, msg);
		snprintf(msg, sizeof(msg), "%s: no rejection", what[i]);
		is_long((long)rep.n, 0, msg);
		fl_sink_report_done(&rep);
	}

	t_stub_reset(&e.stub);
	for (i = 0; i < 4; i++)
		t_stub_reply(&e.stub, "200 OK", NULL, bodies[5]);
	t_upserts(&e, 2);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_TRANSIENT,
	        "unknown outcome on every attempt: transient");
	is_long(err.code, FL_ERR_SINK, "a sink error");
	has_str(err.msg, "bulk response", "the message says why");
	is_long(t_count(&e.stub, "/_bulk"), 4, "1 + max_retries attempts");
	is_long((long)rep.n, 0, "never reported as rejections");
	fl_sink_report_done(&rep);
	t_env_stop(&e);
}

TAP_TEST(test_writer_requests)
{
	struct t_env e;
	struct fl_sink_report rep;
	struct fl_err err;
	struct timespec t0, t1;
	const struct t_req *b;
	double secs;

	if (!ok(t_env_start(&e, 100, 2, NULL, 0) == 0, "stub sink"))
		return;
	t_stub_reply(&e.stub, "401 Unauthorized", NULL, "{}");
	t_upserts(&e, 2);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_PERMANENT,
	        "401: permanent");
	is_str(err.msg, "OpenSearch refused the credentials (HTTP 401)",
	       "credentials message");
	is_long(t_count(&e.stub, "/_bulk"), 1, "401 is not retried");

	t_stub_reset(&e.stub);
	t_stub_reply(&e.stub, "503 Service Unavailable", "Retry-After: 1\r\n",
	             "{}");
	t_upserts(&e, 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_OK, "503 then ok");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(secs >= 0.95, "Retry-After: 1 honoured");
	is_long(t_count(&e.stub, "/_bulk"), 2, "one retry");

	t_stub_reset(&e.stub);
	t_stub_reply(&e.stub, "429 Too Many Requests", NULL, "{}");
	t_stub_reply(&e.stub, "502 Bad Gateway", NULL, "{}");
	t_stub_reply(&e.stub, "500 Internal Server Error", NULL, "boom");
	t_upserts(&e, 2);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_TRANSIENT,
	        "retries exhausted: transient");
	has_str(err.msg, "bulk request failed: HTTP 500", "last cause kept");
	is_long(t_count(&e.stub, "/_bulk"), 3, "1 + max_retries attempts");

	t_stub_reset(&e.stub);
	t_stub_reply(&e.stub, "413 Request Entity Too Large", NULL, "");
	t_stub_reply(&e.stub, "413 Request Entity Too Large", NULL, "");
	t_upserts(&e, 3);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_OK, "413: split, ok");
	/* [1,2,3] 413 -> [1] 413 (rejected), [2,3] ok */
	is_long(t_count(&e.stub, "/_bulk"), 3, "split into halves");
	b = t_bulk(&e.stub, 2);
	ok(b && t_nactions(b->body) == 2, "the second half went whole");
	if (is_long((long)rep.n, 1, "one document too large"))
		ok(rep.v[0].status == 413 && strcmp(rep.v[0].id, "1") == 0,
		   "413 on a single action is a rejection of it");
	fl_sink_report_done(&rep);
	t_env_stop(&e);
}

TAP_TEST(test_writer_routing)
{
	struct t_env e;
	struct fl_sink_report rep;
	struct fl_err err;
	const struct t_req *b;
	long gen = 0;

	if (!ok(t_env_start(&e, 100, 1, NULL, 1) == 0, "stub sink (gzip)"))
		return;
	e.w->ops->upsert(e.w, "nope", "1", T_DOC, strlen(T_DOC), 0);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_PERMANENT,
	        "an index that was not ensured: flush error");
	is_long(e.sink->ops->stage_rebuild(e.sink, "users", &gen, &err),
	        FL_SINK_OK, "stage a rebuild");
	is_long(gen, 2, "generation 2 staged");
	t_stub_reset(&e.stub);
	e.w->ops->upsert(e.w, "users", "1", T_DOC, strlen(T_DOC), 0);
	e.w->ops->upsert(e.w, "users", "2", T_DOC, strlen(T_DOC), 1);
	is_long(t_flush(&e, 1, &rep, &err), FL_SINK_OK, "flush ok");
	b = t_bulk(&e.stub, 0);
	if (ok(b != NULL, "bulk recorded")) {
		ok(b->gzip, "the body was gzip-encoded");
		is_str(b->body,
		       "{\"index\":{\"_id\":\"1\",\"_index\":\"" T_GEN1
		       "\"}}\n" T_DOC "\n"
		       "{\"index\":{\"_id\":\"1\",\"_index\":\"" T_GEN2
		       "\"}}\n" T_DOC "\n"
		       "{\"index\":{\"_id\":\"2\",\"_index\":\"" T_GEN2
		       "\"}}\n" T_DOC "\n",
		       "live write to both generations, seeding to the new");
	}
	is_long(t_count(&e.stub, "/" T_GEN1 "," T_GEN2 "/_refresh"), 1,
	        "one refresh of both touched generations");
	is_long(e.sink->ops->stage_rebuild(e.sink, "users", &gen, &err),
	        FL_SINK_OK, "stage again");
	is_long(gen, 2, "the staged generation is reused");
	is_long(e.sink->ops->mark_seeded(e.sink, "users", NULL, &err),
	        FL_SINK_OK, "mark seeded");
	t_stub_reset(&e.stub);
	e.w->ops->upsert(e.w, "users", "1", T_DOC, strlen(T_DOC), 0);
	is_long(t_flush(&e, 0, &rep, &err), FL_SINK_OK, "flush ok");
	b = t_bulk(&e.stub, 0);
	if (ok(b != NULL, "bulk recorded"))
		is_str(b->body,
		       "{\"index\":{\"_id\":\"1\",\"_index\":\"" T_GEN2
		       "\"}}\n" T_DOC "\n",
		       "after the swap: the new generation only");
	t_env_stop(&e);
}

/* The Authorization header sent with user/pass (NULL: not set). */
static void
t_auth(const char *user, const char *pass, char *out, size_t n)
{
	static char name[] = "t";
	struct fl_sink_index_def def = { "users", T_HASH, NULL };
	struct fl_sink_index_state st;
	struct fl_sink_cfg c;
	struct t_stub stub;
	struct fl_sink *s;
	struct fl_err err;
	char url[64];

	t_stub_start(&stub);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", stub.port);
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.url.kind = FL_SECRET_LITERAL;
	c.url.value = url;
	c.username.kind = user ? FL_SECRET_LITERAL : FL_SECRET_NONE;
	c.username.value = (char *)(uintptr_t)user;
	c.password.kind = pass ? FL_SECRET_LITERAL : FL_SECRET_NONE;
	c.password.value = (char *)(uintptr_t)pass;
	c.tls_verify = 1;
	c.timeout_secs = 5;
	c.refresh_period_ms = -1; /* the built-in defaults */
	c.skip_identical_ids = -1;
	s = fl_sink_os_new(&c, "t_", &err);
	def.body = fl_val_new(FL_VAL_MAP);
	if (s->ops->ensure_index(s, &def, &st, &err) == 0)
		fl_sink_index_state_done(&st);
	fl_val_free((struct fl_val *)(uintptr_t)def.body);
	snprintf(out, n, "%s", stub.nreqs ? stub.reqs[0].auth : "(none)");
	s->ops->free(s);
	t_stub_stop(&stub);
}

TAP_TEST(test_auth)
{
	char a[64];

	t_auth("u", "p", a, sizeof(a));
	is_str(a, "Basic dTpw", "username + password: Basic");
	t_auth("u", NULL, a, sizeof(a));
	is_str(a, "Basic dTo=", "username alone: Basic, empty password");
	t_auth(NULL, "p", a, sizeof(a));
	is_str(a, "", "password alone: no auth");
}

int
main(void)
{
	tap_run(test_plan);
	tap_run(test_actions);
	tap_run(test_paths);
	tap_run(test_scrub);
	tap_run(test_classify);
	tap_run(test_parse);
	tap_run(test_parse_unknown);
	tap_run(test_writer_basics);
	tap_run(test_writer_items);
	tap_run(test_writer_unknown);
	tap_run(test_writer_requests);
	tap_run(test_writer_routing);
	tap_run(test_auth);
	return tap_done();
}
