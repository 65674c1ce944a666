/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * http_server.h - the two HTTP surfaces (engine-sink.md §8) over libmicrohttpd:
 * public (/healthz, /readyz, /status, /metrics; no auth) and private (the
 * control command table, HTTP Basic auth on every route).
 *
 * Owns: transport only - binding, bounded connections and timeouts,
 * auth, mapping requests to commands.c commands and status renderings. The
 * trust boundary is the port: admin routes exist only on the private
 * listener. Handlers never block the pipeline: they read the board and
 * post commands (waiting at most 10 s).
 */
#ifndef FL_HTTP_SERVER_H
#define FL_HTTP_SERVER_H

#include "core/commands.h"
#include "util/err.h"

struct fl_httpd_opts {
	const char *address; /* "127.0.0.1:9464", "[::1]:9465" */
	int admin;           /* the private surface */
	const char *user;    /* admin: required credentials */
	const char *password;
	const struct fl_ctl_local *local; /* borrowed, outlives the server */
};

struct fl_httpd;

/* Bind and serve; a busy or invalid address fails at once. */
struct fl_httpd *fl_httpd_start(const struct fl_httpd_opts *o,
                                struct fl_err *err);
void fl_httpd_stop(struct fl_httpd *h);
/* The bound port (useful after binding port 0); 0 if unknown. */
int fl_httpd_port(const struct fl_httpd *h);

/* Is "user:password" (decoded from an Authorization header value) the
 * expected pair? Constant time in both; exposed for tests. */
int fl_httpd_check_basic(const char *header, const char *user,
                         const char *password);

#endif
