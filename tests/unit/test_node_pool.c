/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_node_pool.c - the OpenSearch node pool (util/node_pool.c): list
 * parsing, round robin over the nodes that are up, down/backoff/probe/up
 * transitions, every node down, credentials kept out of the status; the
 * HTTP client going through a pool (a refused node is skipped, the other
 * serves); and the sink's `url` as a YAML list in flusso.yml.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "config/sink_conn.h"
#include "tap.h"
#include "util/http_client.h"
#include "util/node_pool.h"

TAP_TEST(test_parse)
{
	struct fl_err err;
	struct fl_node_pool *p;
	char many[2048] = "";
	int i;

	p = fl_node_pool_new(" http://a:9200/ , https://u:pw@b:9201//", &err);
	ok(p != NULL, "two nodes parse");
	is_long((long)fl_node_pool_count(p), 2, "two nodes");
	is_str(fl_node_pool_url(p, 0), "http://a:9200", "trimmed, no slash");
	is_str(fl_node_pool_url(p, 1), "https://u:pw@b:9201",
	       "credentials kept for requests");
	{
		struct fl_node_state v[4];

		is_long((long)fl_node_pool_snapshot(p, v, 4), 2, "snapshot");
		is_str(v[1].url, "https://b:9201",
		       "status url without "
		       "credentials");
		ok(v[0].up && v[1].up && v[0].since_us == 0, "all up at start");
	}
	ok(fl_node_pool_ref(p) == p, "a second owner");
	fl_node_pool_free(p);
	is_str(fl_node_pool_url(p, 0), "http://a:9200",
	       "alive while an owner is left");
	fl_node_pool_free(p);
	p = fl_node_pool_new("http://a:9200", &err);
	is_long((long)fl_node_pool_count(p), 1, "a single url is one node");
	fl_node_pool_free(p);
	ok(fl_node_pool_new("http://u:pw@a,,http://b", &err) == NULL &&
	       strstr(err.msg, "node 2 of the OpenSearch url list is empty") &&
	       !strstr(err.msg, "pw@"),
	   "empty item rejected, by position (no credentials in the message)");
	for (i = 0; i <= FL_NODE_POOL_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		         "%shttp://n%d:9200", i ? "," : "", i);
	ok(fl_node_pool_new(many, &err) == NULL && strstr(err.msg, "too many"),
	   "more than FL_NODE_POOL_MAX rejected");
	fl_node_pool_free(NULL);
}

TAP_TEST(test_round_robin)
{
	struct fl_err err;
	struct fl_node_pool *p =
	    fl_node_pool_new("http://a,http://b,http://c", &err);
	int seen[3] = { 0, 0, 0 }, i;

	for (i = 0; i < 9; i++)
		seen[fl_node_pool_pick(p, 1000)]++;
	ok(seen[0] == 3 && seen[1] == 3 && seen[2] == 3,
	   "round robin: each node 3 of 9");
	is_long((long)fl_node_pool_up(p), 3, "3 up");
	fl_node_pool_free(p);
}

TAP_TEST(test_down_backoff_up)
{
	struct fl_err err;
	struct fl_node_pool *p = fl_node_pool_new("http://a,http://b", &err);
	struct fl_node_state v[2];
	int64_t t = 100000;
	int i, only_b = 1;

	/* base 1000 ms: the delay is 750..1250 ms with jitter */
	fl_node_pool_set_backoff(p, 1000, 8000);
	fl_node_pool_report(p, 0, 0, "connection refused", t);
	fl_node_pool_snapshot(p, v, 2);
	ok(!v[0].up && v[0].failures == 1 && v[0].since_us > 0,
	   "a refused node is down, counted, with since");
	is_str(v[0].last_error, "connection refused", "its last error");
	is_long((long)fl_node_pool_up(p), 1, "1 up");
	for (i = 0; i < 6; i++)
		only_b &= fl_node_pool_pick(p, t + 10 * i) == 1;
	ok(only_b, "picks skip the down node");
	/* after the backoff: one probe, the next picks skip it again */
	is_long((long)fl_node_pool_pick(p, t + 1300), 0,
	        "after its backoff the down node is probed");
	is_long((long)fl_node_pool_pick(p, t + 1301), 1, "one probe at a time");
	is_long((long)fl_node_pool_pick(p, t + 1302), 1, "still the other");
	/* the probe fails: a longer backoff (1500..2500 ms) */
	fl_node_pool_report(p, 0, 0, "connection refused", t + 1400);
	ok(fl_node_pool_pick(p, t + 1400 + 1400) == 1,
	   "a failed probe doubles the backoff");
	ok(fl_node_pool_pick(p, t + 1400 + 2600) == 0, "probed again after it");
	fl_node_pool_report(p, 0, 1, NULL, t + 4000);
	fl_node_pool_snapshot(p, v, 2);
	ok(v[0].up && v[0].failures == 2, "a good answer brings it back up");
	is_long((long)fl_node_pool_up(p), 2, "2 up");
	{
		int seen[2] = { 0, 0 };

		for (i = 0; i < 4; i++)
			seen[fl_node_pool_pick(p, t + 5000)]++;
		ok(seen[0] == 2 && seen[1] == 2, "round robin again");
	}
	/* backoff was reset by the success: 750..1250 again */
	fl_node_pool_report(p, 1, 0, "HTTP 503", t + 6000);
	ok(fl_node_pool_pick(p, t + 6000 + 1300) == 1 ||
	       fl_node_pool_pick(p, t + 6000 + 1301) == 1,
	   "503 marks down; the first backoff is short again");
	fl_node_pool_free(p);
}

TAP_TEST(test_all_down)
{
	struct fl_err err;
	struct fl_node_pool *p = fl_node_pool_new("http://a,http://b", &err);
	int64_t t = 50000;

	fl_node_pool_set_backoff(p, 1000, 1000);
	fl_node_pool_report(p, 0, 0, "timeout", t);
	fl_node_pool_report(p, 1, 0, "timeout", t + 500);
	is_long((long)fl_node_pool_up(p), 0, "no node up");
	is_long((long)fl_node_pool_pick(p, t + 600), 0,
	        "all down: the node due first");
	is_long((long)fl_node_pool_pick(p, t + 601), 0,
	        "all down: still the node due first");
	fl_node_pool_report(p, 1, 1, NULL, t + 700);
	is_long((long)fl_node_pool_pick(p, t + 701), 1,
	        "the one that came back serves");
	fl_node_pool_free(p);
}

TAP_TEST(test_redact)
{
	char b[64];

	fl_node_pool_redact("https://user:pw@h:1/x", b, sizeof(b));
	is_str(b, "https://h:1/x", "userinfo removed");
	fl_node_pool_redact("http://h:1/a@b", b, sizeof(b));
	is_str(b, "http://h:1/a@b", "an @ in the path stays");
	fl_node_pool_redact("http://u:p@h", b, 5);
	is_str(b, "http", "truncated, terminated");
}

/* ---- through the HTTP client ------------------------------------------ */

struct t_srv {
	int fd;
	int port;
	int served;
};

/* Answer 200 "ok" to each request until the listener is shut down. */
static void *
t_serve(void *arg)
{
	struct t_srv *s = arg;
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	                           "Connection: close\r\n\r\nok";

	for (;;) {
		char buf[4096];
		size_t got = 0;
		ssize_t n;
		int c = accept(s->fd, NULL, NULL);

		if (c < 0)
			return NULL;
		while (got < sizeof(buf) - 1 &&
		       (n = read(c, buf + got, sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		if (write(c, resp, sizeof(resp) - 1) < 0) {
		}
		s->served++;
		close(c);
	}
}

/* A loopback listener on an ephemeral port. */
static int
t_listen(int *port)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 8) < 0 || getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

TAP_TEST(test_http_through_pool)
{
	struct t_srv srv = { -1, 0, 0 };
	int dead_port, dead = t_listen(&dead_port);
	struct fl_node_state v[2];
	struct fl_http_cfg cfg;
	struct fl_node_pool *p;
	struct fl_http *h;
	struct fl_err err;
	pthread_t th;
	char list[128];
	int i, good = 1;

	/* a port nobody listens on: bound then closed */
	close(dead);
	srv.fd = t_listen(&srv.port);
	ok(srv.fd >= 0, "listener");
	pthread_create(&th, NULL, t_serve, &srv);
	snprintf(list, sizeof(list), "http://127.0.0.1:%d,http://127.0.0.1:%d",
	         dead_port, srv.port);
	p = fl_node_pool_new(list, &err);
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = fl_node_pool_url(p, 0);
	cfg.timeout_secs = 5;
	cfg.parallel = 1;
	cfg.pool = p;
	h = fl_http_new(&cfg, &err);
	for (i = 0; i < 5; i++) {
		struct fl_http_req r;

		fl_http_req_init(&r);
		r.method = "GET";
		r.path = "/";
		fl_http_do(h, &r);
		if (i == 0)
			ok(r.status == 0 && r.node == 0,
			   "first request: refused by node 1");
		else
			good &= r.status == 200 && r.node == 1;
		fl_http_req_done(&r);
	}
	ok(good, "the next four go to node 2 and succeed");
	is_long(srv.served, 4, "node 2 served 4");
	fl_node_pool_snapshot(p, v, 2);
	ok(!v[0].up && v[1].up && v[0].failures == 1, "node 1 down, 2 up");
	ok(fl_http_node_failed(0, 503) && fl_http_node_failed(0, 502) &&
	       !fl_http_node_failed(0, 500) && !fl_http_node_failed(0, 429),
	   "502/503 are node failures, 500/429 are not");
	fl_http_free(h);
	fl_node_pool_free(p);
	shutdown(srv.fd, SHUT_RDWR);
	close(srv.fd);
	pthread_join(th, NULL);
}

/* ---- flusso.yml: url as a list ----------------------------------------- */

static struct fl_config *
t_load(const char *dir, const char *yaml, struct fl_diags *d)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/flusso.yml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	fl_diags_init(d);
	return fl_config_load(path, NULL, d);
}

TAP_TEST(test_config_list)
{
	char dir[] = "/tmp/flusso-np-XXXXXX", path[512];
	struct fl_sink_conn conn;
	struct fl_config *c;
	struct fl_diags d;
	struct fl_err err;

	ok(mkdtemp(dir) != NULL, "temp dir");
	c = t_load(dir,
	           "source: {type: postgres}\nsinks:\n  search:\n"
	           "    type: opensearch\n"
	           "    url: [http://a:9200, 'http://b:9200/']\n",
	           &d);
	ok(c && d.nerrors == 0, "url list loads");
	if (c) {
		is_str(c->sinks[0].url.value, "http://a:9200,http://b:9200/",
		       "kept as a comma-separated literal");
		ok(fl_sink_conn_init(&conn, &c->sinks[0], &err) == 0,
		   "resolved");
		is_long((long)fl_node_pool_count(conn.pool), 2, "two nodes");
		is_str(conn.http.url, "http://a:9200", "http.url: node 1");
		ok(conn.http.pool == conn.pool, "clients share the pool");
		fl_sink_conn_done(&conn);
	}
	fl_config_free(c);
	fl_diags_done(&d);
	c = t_load(dir,
	           "source: {type: postgres}\nsinks:\n  search:\n"
	           "    type: opensearch\n    url: [http://a:9200, 7]\n",
	           &d);
	ok(c == NULL && d.nerrors > 0, "a bad item fails");
	if (d.n) {
		char *s = fl_diag_format(&d.v[0]);

		has_str(s,
		        ":5:26: sinks.search.url: node 2: expected an "
		        "http:// or https:// URL",
		        "file:line:column, key and node named");
		free(s);
	}
	fl_config_free(c);
	fl_diags_done(&d);
	c = t_load(dir,
	           "source: {type: postgres}\nsinks:\n  search:\n"
	           "    type: opensearch\n    url: []\n",
	           &d);
	ok(c == NULL && d.nerrors > 0, "an empty list fails");
	fl_config_free(c);
	fl_diags_done(&d);
	snprintf(path, sizeof(path), "%s/flusso.yml", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	tap_run(test_parse);
	tap_run(test_round_robin);
	tap_run(test_down_backoff_up);
	tap_run(test_all_down);
	tap_run(test_redact);
	tap_run(test_http_through_pool);
	tap_run(test_config_list);
	return tap_done();
}
