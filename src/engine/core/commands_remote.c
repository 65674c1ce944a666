/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands_remote.c - the control commands sent to a running daemon: its
 * admin API over HTTP (libcurl), the very routes http_server.c serves
 * from the same table. The daemon checks every call again
 * (fl_ctl_check), so a client never needs to be trusted.
 *
 * One CURL handle per call, on the calling thread; every call has a
 * timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/commands.h"
#include "util/xmem.h"

char *
fl_ctl_base_url(const char *addr)
{
	size_t n;
	char *u = strstr(addr, "://") ? fl_xstrdup(addr)
	                              : fl_xasprintf("http://%s", addr);

	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';
	return u;
}

static size_t
remote_collect(char *p, size_t size, size_t n, void *arg)
{
	return fl_buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

/* The X-Flusso-Differs header of an answer. */
static size_t
remote_header(char *p, size_t size, size_t n, void *arg)
{
	static const char h[] = "x-flusso-differs:";
	int *differs = arg;

	if (size * n >= sizeof(h) - 1 && strncasecmp(p, h, sizeof(h) - 1) == 0)
		*differs = 1;
	return size * n;
}

/* One request; the HTTP status, or -1 with err. */
static int
remote_http(const struct fl_ctl_remote *r, const char *method, const char *url,
            struct fl_buf *out, struct fl_err *err)
{
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	if (!c)
		return fl_err_set(err, FL_ERR_IO,
		                  "cannot create an HTTP handle");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, remote_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (r->differs) {
		*r->differs = 0;
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, remote_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, r->differs);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT,
	                 r->timeout_secs > 0 ? r->timeout_secs : 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (r->password) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME,
		                 r->user ? r->user : "admin");
		curl_easy_setopt(c, CURLOPT_PASSWORD, r->password);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		fl_err_set(err, FL_ERR_IO, "cannot reach %s: %s", r->base,
		           curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? (int)status : -1;
}

int
fl_ctl_remote_get(const struct fl_ctl_remote *r, const char *path,
                  struct fl_buf *out, struct fl_err *err)
{
	char *url = fl_xasprintf("%s%s", r->base, path);
	int code = remote_http(r, "GET", url, out, err);

	free(url);
	return code;
}

int
fl_ctl_remote_call(const struct fl_ctl_remote *r, const struct fl_ctl_call *k,
                   struct fl_buf *out, struct fl_err *err)
{
	const struct fl_ctl_cmd *c = k->cmd;
	int i, a, max = fl_ctl_max_args(c), code;
	struct fl_buf url;
	char sep = '?';

	if (!(c->flags & FL_CTL_HTTP))
		return fl_err_set(err, FL_ERR_INVALID,
		                  "`%s` is not available remotely", c->name);
	fl_buf_init(&url, (size_t)1 << 20);
	fl_buf_printf(&url, "%s%s", r->base, c->path);
	for (i = 0; i < k->argc && max > 0; i++) {
		char *v = curl_easy_escape(NULL, k->argv[i], 0);

		a = i < max ? i : max - 1; /* the REST argument repeats */
		fl_buf_printf(&url, "%c%s=%s", sep, c->args[a].param,
		              v ? v : "");
		sep = '&';
		curl_free(v);
	}
	for (i = 0; i < fl_ctl_nopts(c); i++) {
		char *v;

		if (!k->optv[i])
			continue;
		v = curl_easy_escape(NULL,
		                     c->opts[i].metavar ? k->optv[i] : "1", 0);
		fl_buf_printf(&url, "%c%s=%s", sep, c->opts[i].name,
		              v ? v : "");
		sep = '&';
		curl_free(v);
	}
	code = remote_http(r, c->method, fl_buf_str(&url), out, err);
	fl_buf_done(&url);
	return code;
}

int
fl_ctl_remote_exec(const struct fl_ctl_remote *r, const struct fl_ctl_cmd *c,
                   int argc, const char *const *argv, struct fl_buf *out,
                   struct fl_err *err)
{
	struct fl_ctl_call call;
	char msg[256];

	if (fl_ctl_check(0, c, argc, argv, 0, &call, msg, sizeof(msg)) != 200)
		return fl_err_set(err, FL_ERR_INVALID, "%s", msg);
	return fl_ctl_remote_call(r, &call, out, err);
}
