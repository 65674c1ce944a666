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
fl_ctl_remote_exec(const struct fl_ctl_remote *r, const struct fl_ctl_cmd *c,
                   int argc, const char *const *argv, struct fl_buf *out,
                   struct fl_err *err)
{
	struct fl_buf url;
	int i, code;

	if (!(c->flags & FL_CTL_HTTP))
		return fl_err_set(err, FL_ERR_INVALID,
		                  "`%s` is not available remotely", c->name);
	fl_buf_init(&url, 8192);
	fl_buf_printf(&url, "%s%s", r->base, c->path);
	for (i = 0; i < argc && i < FL_CTL_MAX_ARGS && c->args[i].param; i++) {
		char *v = curl_easy_escape(NULL, argv[i], 0);

		fl_buf_printf(&url, "%c%s=%s", i ? '&' : '?', c->args[i].param,
		              v ? v : "");
		curl_free(v);
	}
	code = remote_http(r, c->method, fl_buf_str(&url), out, err);
	fl_buf_done(&url);
	return code;
}
