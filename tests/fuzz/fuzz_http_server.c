/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_http_server.c - libFuzzer entry point for the HTTP surfaces. The first
 * input byte picks the target: 0 feeds the rest to the Basic-auth
 * decoder directly (fast); odd values send the rest, as raw bytes over
 * a loopback TCP connection, to the admin listener, even values to the
 * public one. Both listeners run in this process over a status board
 * with no engine (commands answer "not running"), so request parsing,
 * authentication, routing and argument handling all see the input.
 * Seeds and a dictionary live in tests/fuzz/httpd/. Built only with
 * clang -fsanitize=fuzzer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/commands.h"
#include "core/http_server.h"
#include "core/status_board.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Started once, on the first input; kept for the process lifetime. */
static struct fuzz_http {
	struct fl_board *board;
	struct fl_ctl_local local;
	struct fl_httpd *pub, *adm;
	int pub_port, adm_port;
} fz;

static void
fuzz_http_start(void)
{
	struct fl_httpd_opts o = { 0 };
	struct fl_err err = { 0 };

	fz.board = fl_board_new();
	fz.local.board = fz.board;
	o.address = "127.0.0.1:0";
	o.local = &fz.local;
	fz.pub = fl_httpd_start(&o, &err);
	o.admin = 1;
	o.user = "admin";
	o.password = "f";
	fz.adm = fl_httpd_start(&o, &err);
	FL_ASSERT(fz.pub && fz.adm);
	fz.pub_port = fl_httpd_port(fz.pub);
	fz.adm_port = fl_httpd_port(fz.adm);
	FL_ASSERT(fz.pub_port > 0 && fz.adm_port > 0);
}

/* Send the bytes, half-close, read the answer until EOF or 2 s. */
static void
fuzz_http_send(int port, const uint8_t *p, size_t n)
{
	struct sockaddr_in a = { 0 };
	char buf[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	FL_ASSERT(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return;
	}
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		if (poll(&pf, 1, 2000) <= 0 || read(fd, buf, sizeof(buf)) <= 0)
			break;
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz.board)
		fuzz_http_start();
	if (size < 1)
		return 0;
	if (data[0] == 0) {
		char *s = malloc(size);

		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		(void)fl_httpd_check_basic(s, "admin", "f");
		free(s);
		return 0;
	}
	fuzz_http_send(data[0] & 1 ? fz.adm_port : fz.pub_port, data + 1,
	               size - 1);
	return 0;
}
