/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * http_server.c - libmicrohttpd servers for the public and private surfaces.
 *
 * Each listener runs MHD's thread-per-connection mode with a connection
 * cap, a per-connection memory cap and an idle timeout, so slow or
 * hostile clients cannot starve the process. Request bodies are never
 * read (every parameter is in the query string); answers are sent as
 * soon as the headers are in.
 */
#include "core/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "core/status_board.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

struct fl_httpd {
	struct fl_httpd_opts o;
	char *user, *password, *address;
	struct MHD_Daemon *d;
};

/* ---- address ------------------------------------------------------------- */

static int
httpd_addr(const char *s, struct sockaddr_storage *ss, struct fl_err *err)
{
	char host[64];
	const char *colon;
	long port;
	char *end;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		hl = colon ? (size_t)(colon - s - 1) : 0;
		if (colon)
			colon++;
	} else {
		colon = strrchr(s, ':');
		hl = colon ? (size_t)(colon - s) : 0;
	}
	if (!colon || hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, s[0] == '[' ? s + 1 : s, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || !colon[1])
		goto bad;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
	}
	return 0;
bad:
	return fl_err_set(err, FL_ERR_INVALID,
	                  "invalid socket address `%s`; use an IP address such "
	                  "as 127.0.0.1:9464",
	                  s);
}

/* ---- auth --------------------------------------------------------------------- */

static int
httpd_b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 (padding required); -1 when invalid. */
static int
httpd_b64decode(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in), i, o = 0;

	if (n == 0 || n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		int v[4], k, pad = 0;

		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad ||
			           (v[k] = httpd_b64val(in[i + k])) < 0) {
				return -1;
			}
		}
		if (o + 3 >= cap)
			return -1;
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	out[o] = '\0';
	return (int)o;
}

/* Compare in time independent of where they differ and of their
 * lengths (up to 256 bytes, more only reveals "too long"). */
static int
httpd_ct_equal(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned diff = (unsigned)(la ^ lb) | (la > 256) | (lb > 256);
	size_t i;

	for (i = 0; i < 256; i++) {
		unsigned char x = i < la ? (unsigned char)a[i] : 0;
		unsigned char y = i < lb ? (unsigned char)b[i] : 0;

		diff |= (unsigned)(x ^ y);
	}
	return diff == 0;
}

int
fl_httpd_check_basic(const char *header, const char *user, const char *password)
{
	char token[1024], dec[800];
	const char *colon;
	size_t n;
	int len, ok_user, ok_pass;

	if (!header || strncmp(header, "Basic ", 6) != 0)
		return 0;
	header += 6;
	while (*header == ' ')
		header++;
	fl_str_copy(token, sizeof(token), header);
	n = strlen(token);
	while (n && (token[n - 1] == ' ' || token[n - 1] == '\t'))
		token[--n] = '\0';
	len = httpd_b64decode(token, dec, sizeof(dec));
	if (len < 0 || memchr(dec, '\0', (size_t)len))
		return 0;
	colon = strchr(dec, ':');
	if (!colon)
		return 0;
	ok_user =
	    httpd_ct_equal(dec, (size_t)(colon - dec), user, strlen(user));
	ok_pass = httpd_ct_equal(colon + 1, strlen(colon + 1), password,
	                         strlen(password));
	return ok_user & ok_pass;
}

/* ---- responses -------------------------------------------------------------------- */

#define HTTPD_CHALLENGE 1 /* ask for Basic auth */
#define HTTPD_DIFFERS   2 /* X-Flusso-Differs: the answer shows one */

static enum MHD_Result
httpd_send(struct MHD_Connection *c, unsigned code, const char *type,
           const char *body, size_t len, int flags)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	if (type)
		MHD_add_response_header(r, "Content-Type", type);
	if (flags & HTTPD_DIFFERS)
		MHD_add_response_header(r, "X-Flusso-Differs", "1");
	if (flags & HTTPD_CHALLENGE)
		MHD_add_response_header(r, "WWW-Authenticate",
		                        "Basic realm=\"flusso\", "
		                        "charset=\"UTF-8\"");
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
httpd_text(struct MHD_Connection *c, unsigned code, const char *text)
{
	return httpd_send(c, code, "text/plain; charset=utf-8", text,
	                  strlen(text), 0);
}

static enum MHD_Result
httpd_public(struct fl_httpd *h, struct MHD_Connection *c, const char *url,
             const char *method)
{
	struct fl_status *st;
	struct fl_buf out;
	enum MHD_Result rc;

	if (strcmp(url, "/healthz") && strcmp(url, "/readyz") &&
	    strcmp(url, "/status") && strcmp(url, "/metrics"))
		return httpd_text(c, 404, "not found\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return httpd_text(c, 405, "method not allowed\n");
	if (strcmp(url, "/healthz") == 0)
		return httpd_send(c, 200, NULL, "", 0, 0);
	st = fl_xmalloc(sizeof(*st));
	fl_board_snapshot(h->o.local->board, st);
	fl_buf_init(&out, (size_t)1 << 24);
	if (strcmp(url, "/readyz") == 0) {
		rc = httpd_send(c, fl_status_ready(st) ? 200 : 503, NULL, "", 0,
		                0);
	} else if (strcmp(url, "/status") == 0) {
		fl_status_to_json(st, fl_status_now_us(), &out);
		rc = httpd_send(c, 200, "application/json", fl_buf_str(&out),
		                out.len, 0);
	} else {
		fl_status_to_metrics(st, &out);
		rc = httpd_send(c, 200,
		                "text/plain; version=0.0.4; charset=utf-8",
		                fl_buf_str(&out), out.len, 0);
	}
	fl_buf_done(&out);
	free(st);
	return rc;
}

/* Query parameters collected as command words: positional arguments
 * by their parameter name (a REST one repeated), options as --name=V. */
struct httpd_words {
	const struct fl_ctl_cmd *cmd;
	const char *arg[FL_CTL_MAX_ARGS][FL_CTL_MAX_WORDS];
	int narg[FL_CTL_MAX_ARGS];
	char *own[FL_CTL_MAX_OPTS]; /* per option of the command: the last */
	int too_many;
};

static enum MHD_Result
httpd_collect(void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
	struct httpd_words *w = cls;
	const struct fl_ctl_cmd *c = w->cmd;
	int i;

	(void)kind;
	if (!key)
		return MHD_YES;
	for (i = 0; i < FL_CTL_MAX_ARGS && c->args[i].name; i++) {
		if (!c->args[i].param || strcmp(c->args[i].param, key) != 0)
			continue;
		if (w->narg[i] && !(c->args[i].flags & FL_CTL_ARG_REST))
			return MHD_YES; /* a repeated single argument */
		if (w->narg[i] >= FL_CTL_MAX_WORDS - FL_CTL_MAX_OPTS - 4) {
			w->too_many = 1;
			return MHD_NO;
		}
		w->arg[i][w->narg[i]++] = value ? value : "";
		return MHD_YES;
	}
	for (i = 0; i < fl_ctl_nopts(c); i++)
		if (!strcmp(c->opts[i].name, key)) {
			int off =
			    !c->opts[i].metavar && value &&
			    (!strcmp(value, "0") || !strcmp(value, "false"));

			free(w->own[i]); /* the last value wins */
			w->own[i] = off ? NULL
			            : c->opts[i].metavar
			                ? fl_xasprintf("--%s=%s", key,
			                               value ? value : "")
			                : fl_xasprintf("--%s", key);
			return MHD_YES;
		}
	return MHD_YES; /* unknown parameters are ignored, as before */
}

/* The admin API: a route of the command table, its query parameters
 * as the arguments, checked and run by fl_ctl_exec like any surface. */
static enum MHD_Result
httpd_admin(struct fl_httpd *h, struct MHD_Connection *c, const char *url,
            const char *method)
{
	const char *auth =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const struct fl_ctl_cmd *cmd;
	const char *argv[FL_CTL_MAX_WORDS];
	struct fl_ctl_local local = *h->o.local;
	struct httpd_words w;
	struct fl_buf out;
	enum MHD_Result rc;
	int wrong, argc = 0, code, i, json, differs = 0;

	if (!fl_httpd_check_basic(auth, h->user, h->password))
		return httpd_send(c, 401, "text/plain; charset=utf-8",
		                  "unauthorized\n", 13, HTTPD_CHALLENGE);
	cmd = fl_ctl_route(method, url, &wrong);
	if (!cmd)
		return wrong ? httpd_text(c, 405, "method not allowed\n")
		             : httpd_text(c, 404, "not found\n");
	memset(&w, 0, sizeof(w));
	w.cmd = cmd;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, httpd_collect, &w);
	for (i = 0; i < FL_CTL_MAX_OPTS; i++)
		if (w.own[i])
			argv[argc++] = w.own[i];
	argv[argc++] = "--"; /* values are data, not options */
	for (i = 0; i < FL_CTL_MAX_ARGS && !w.too_many; i++) {
		int j;

		if (w.narg[i] == 0)
			break; /* a missing argument ends them (usage) */
		for (j = 0; j < w.narg[i] && argc < FL_CTL_MAX_WORDS; j++)
			argv[argc++] = w.arg[i][j];
	}
	fl_buf_init(&out, (size_t)64 << 20);
	if (w.too_many) {
		fl_buf_printf(&out, "too many parameters (at most %d)\n",
		              FL_CTL_MAX_WORDS - FL_CTL_MAX_OPTS - 4);
		code = 400;
	} else {
		local.differs = &differs; /* this request's own */
		local.color = 0;
		code = fl_ctl_exec(&local, FL_CTL_HTTP, cmd, argc, argv, &out);
	}
	/* JSON: the command always answers it, or its --json was given */
	json = code == 200 && (cmd->flags & FL_CTL_JSON);
	for (i = 0; i < fl_ctl_nopts(cmd) && code == 200; i++)
		if (w.own[i] && !strcmp(cmd->opts[i].name, "json"))
			json = 1;
	rc = httpd_send(c, (unsigned)code,
	                json ? "application/json" : "text/plain; charset=utf-8",
	                fl_buf_str(&out), out.len, differs ? HTTPD_DIFFERS : 0);
	fl_buf_done(&out);
	for (i = 0; i < FL_CTL_MAX_OPTS; i++)
		free(w.own[i]);
	return rc;
}

static enum MHD_Result
httpd_handler(void *cls, struct MHD_Connection *c, const char *url,
              const char *method, const char *version, const char *upload,
              size_t *upload_size, void **con_cls)
{
	struct fl_httpd *h = cls;

	(void)version;
	(void)upload;
	if (*upload_size) { /* bodies are ignored: drop them */
		*upload_size = 0;
		return MHD_YES;
	}
	(void)con_cls;
	return h->o.admin ? httpd_admin(h, c, url, method)
	                  : httpd_public(h, c, url, method);
}

struct fl_httpd *
fl_httpd_start(const struct fl_httpd_opts *o, struct fl_err *err)
{
	struct sockaddr_storage ss;
	struct fl_httpd *h;

	if (httpd_addr(o->address, &ss, err) < 0)
		return NULL;
	h = fl_xcalloc(1, sizeof(*h));
	h->o = *o;
	h->user = fl_xstrdup(o->user ? o->user : "admin");
	h->password = fl_xstrdup(o->password ? o->password : "");
	h->address = fl_xstrdup(o->address);
	h->d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	        (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, httpd_handler, h, MHD_OPTION_SOCK_ADDR, &ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
	if (!h->d) {
		fl_err_set(err, FL_ERR_IO,
		           "cannot listen on %s (address in use? is `flusso "
		           "run` already running?)",
		           o->address);
		fl_httpd_stop(h);
		return NULL;
	}
	fl_log_info("http", "HTTP surface listening on %s (%s)", o->address,
	            o->admin ? "admin" : "public");
	return h;
}

int
fl_httpd_port(const struct fl_httpd *h)
{
	const union MHD_DaemonInfo *i =
	    h && h->d ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT)
	              : NULL;

	return i ? (int)i->port : 0;
}

void
fl_httpd_stop(struct fl_httpd *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	free(h->user);
	free(h->password);
	free(h->address);
	free(h);
}
