/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_http_server.c - the HTTP surfaces under bad clients: malformed request
 * lines and headers, a 64 MB body, a client that stops mid-request, more
 * idle connections than the limit, wrong or absent credentials. Both
 * listeners run in-process over a board with no engine; after every abuse
 * the server must still answer, and the process RSS stays bounded.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/commands.h"
#include "core/http_server.h"
#include "core/status_board.h"
#include "tap.h"

static char t_msg[256];
#define okf(c, ...) (snprintf(t_msg, sizeof(t_msg), __VA_ARGS__), ok(c, t_msg))

static int
t_connect(int port)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	struct timeval tv = { .tv_sec = 5 };

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0) /* a server that stops reading must not hang us */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 0 when everything was sent; -1 when the peer stopped reading (5 s). */
static int
t_send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until EOF or timeout_ms of silence; the status code, or 0. */
static int
t_read_status(int fd, int timeout_ms, char *body, size_t nbody)
{
	char buf[65536];
	size_t have = 0;
	int code = 0;

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pf, 1, timeout_ms) <= 0)
			break;
		r = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		if (have >= sizeof(buf) - 1)
			have = 0; /* keep reading, keep the tail */
	}
	buf[have] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1)
		code = 0;
	if (body && nbody) {
		size_t m = have < nbody - 1 ? have : nbody - 1;

		memcpy(body, buf, m);
		body[m] = '\0';
	}
	return code;
}

/* One request; the status code (0: no answer). */
static int
t_request(int port, const char *raw, char *body, size_t nbody)
{
	int fd = t_connect(port), code;

	if (fd < 0)
		return -1;
	t_send_all(fd, raw, strlen(raw));
	shutdown(fd, SHUT_WR);
	code = t_read_status(fd, 5000, body, nbody);
	close(fd);
	return code;
}

static long
t_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int
t_healthy(int pub)
{
	return t_request(pub, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", NULL,
	                 0) == 200;
}

static const char *const malformed[] = {
	"\r\n\r\n",
	"GARBAGE\r\n\r\n",
	"GET\r\n\r\n",
	"GET / HTTP/9.9\r\n\r\n",
	"GET /status HTTP/1.1\r\nHost x\r\n\r\n",
	"GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
	"GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: "
	"99999999999999999999999\r\n\r\n",
	"POST /status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	"chunked\r\n\r\nzz\r\n",
	"GET /st\0atus HTTP/1.1\r\n\r\n",
	"GET /%zz%00 HTTP/1.1\r\nHost: x\r\n\r\n",
	"\x80\xff\xfe\r\n\r\n",
};

int
main(void)
{
	struct fl_board *board = fl_board_new();
	struct fl_ctl_local local = { .board = board };
	struct fl_httpd_opts o = { .address = "127.0.0.1:0", .local = &local };
	struct fl_err err = { 0 };
	struct fl_httpd *pub, *adm;
	char body[4096], *big;
	long rss0, rss1;
	int p, a, i, fds[40], code;
	size_t bign = (size_t)64 << 20;
	time_t t0;

	pub = fl_httpd_start(&o, &err);
	o.admin = 1;
	o.user = "admin";
	o.password = "s3cret";
	adm = fl_httpd_start(&o, &err);
	okf(pub && adm, "both listeners start on port 0");
	if (!pub || !adm)
		return tap_done();
	p = fl_httpd_port(pub);
	a = fl_httpd_port(adm);
	okf(p > 0 && a > 0 && p != a, "bound ports are reported");

	/* routes, methods, credentials */
	okf(t_healthy(p), "healthz 200");
	okf(t_request(p, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n", body,
	              sizeof(body)) == 200 &&
	        strstr(body, "\"phase\""),
	    "status 200 with a phase");
	okf(t_request(p, "DELETE /status HTTP/1.1\r\nHost: x\r\n\r\n", NULL,
	              0) == 405,
	    "public: wrong method 405");
	okf(t_request(p, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0) ==
	        404,
	    "public: unknown path 404");
	okf(t_request(a, "GET /indexes HTTP/1.1\r\nHost: x\r\n\r\n", body,
	              sizeof(body)) == 401 &&
	        strstr(body, "WWW-Authenticate"),
	    "admin without credentials: 401 with a challenge");
	okf(t_request(a,
	              "GET /indexes HTTP/1.1\r\nHost: x\r\nAuthorization: "
	              "Basic YWRtaW46czNjcmV4\r\n\r\n",
	              NULL, 0) == 401,
	    "admin with a wrong password: 401");
	okf(t_request(a,
	              "GET /indexes HTTP/1.1\r\nHost: x\r\nAuthorization: "
	              "Basic !!!!\r\n\r\n",
	              NULL, 0) == 401,
	    "admin with undecodable credentials: 401");
	code = t_request(a,
	                 "POST /pause HTTP/1.1\r\nHost: x\r\nAuthorization: "
	                 "Basic YWRtaW46czNjcmV0\r\n\r\n",
	                 body, sizeof(body));
	okf(code >= 400 && code < 600 && code != 401,
	    "admin with credentials reaches the command (no engine: %d)", code);
	okf(!fl_httpd_check_basic("Basic YWRtaW46czNjcmV0AA==", "admin",
	                          "s3cret"),
	    "a password with a trailing NUL is refused");
	okf(fl_httpd_check_basic("Basic YWRtaW46czNjcmV0", "admin", "s3cret"),
	    "the right pair is accepted");

	/* malformed requests */
	for (i = 0; i < (int)(sizeof(malformed) / sizeof(*malformed)); i++) {
		int fd = t_connect(i % 2 ? a : p);

		if (fd >= 0) {
			const char *m = malformed[i];
			size_t n = strlen(m);

			if (strcmp(m, "GET /st") == 0) /* its embedded NUL */
				n += 1 + strlen(m + n + 1);
			t_send_all(fd, m, n);
			shutdown(fd, SHUT_WR);
			(void)t_read_status(fd, 3000, NULL, 0);
			close(fd);
		}
	}
	okf(t_healthy(p), "still serving after %d malformed requests",
	    (int)(sizeof(malformed) / sizeof(*malformed)));
	{
		size_t n = 200000;
		char *u = malloc(n + 64);

		memcpy(u, "GET /", 5);
		memset(u + 5, 'a', n);
		memcpy(u + 5 + n, " HTTP/1.1\r\nHost: x\r\n\r\n",
		       23); /* with its NUL */
		code = t_request(p, u, NULL, 0);
		free(u);
		okf(code == 414 || code == 431 || code == 400 || code == 0,
		    "a 200 kB URL is refused (%d)", code);
	}

	/* a 64 MB body: ignored, memory stays bounded */
	rss0 = t_rss_kb();
	big = malloc((size_t)1 << 20); /* sent 64 times: our RSS stays put */
	memset(big, 'x', (size_t)1 << 20);
	{
		int fd = t_connect(a);
		char hdr[256];

		snprintf(
		    hdr, sizeof(hdr),
		    "POST /pause HTTP/1.1\r\nHost: x\r\nAuthorization: "
		    "Basic YWRtaW46czNjcmV0\r\nContent-Length: %zu\r\n\r\n",
		    bign);
		t_send_all(fd, hdr, strlen(hdr));
		for (i = 0; i < 64; i++) /* the server may stop reading */
			if (t_send_all(fd, big, (size_t)1 << 20) < 0)
				break;
		shutdown(fd, SHUT_WR);
		code = t_read_status(fd, 5000, NULL, 0);
		close(fd);
	}
	free(big);
	rss1 = t_rss_kb();
	okf(code != 0, "a 64 MB body gets an answer (%d)", code);
	okf(rss1 - rss0 < 16 * 1024,
	    "RSS grew %ld kB for a 64 MB body (< 16 MB)", rss1 - rss0);
	okf(t_healthy(p), "still serving after the big body");

	/* idle connections beyond the per-IP limit, then a slow client */
	for (i = 0; i < 40; i++) {
		fds[i] = t_connect(p);
		if (fds[i] >= 0)
			t_send_all(fds[i], "GET /sta", 8);
	}
	t0 = time(NULL);
	while (!t_healthy(p) && time(NULL) - t0 < 30)
		usleep(500 * 1000);
	okf(time(NULL) - t0 < 30,
	    "answers again %lds after 40 stalled clients (timeout 10 s)",
	    (long)(time(NULL) - t0));
	for (i = 0; i < 40; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	{
		int fd = t_connect(p);

		t_send_all(fd, "GET /status HTTP/1.1\r\nHo", 25);
		t0 = time(NULL);
		code = t_read_status(fd, 20000, NULL, 0);
		close(fd);
		okf(time(NULL) - t0 <= 15,
		    "a client that stops mid-request is dropped after %lds",
		    (long)(time(NULL) - t0));
	}
	okf(t_healthy(p), "still serving at the end");

	fl_httpd_stop(pub);
	fl_httpd_stop(adm);
	fl_board_free(board);
	return tap_done();
}
