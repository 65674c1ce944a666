/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sink_conn.c - one OpenSearch sink's connection settings, resolved at
 * runtime (sink_conn.h). The AWS secret is copied into the struct and
 * into the HTTP client only; it is never logged or shown.
 */
#include "config/sink_conn.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

/* A non-empty environment variable, copied; NULL when unset. */
static char *
conn_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? fl_xstrdup(v) : NULL;
}

/* The SigV4 identity of sink s from the AWS environment variables. */
static int
conn_sigv4(struct fl_sink_conn *c, const struct fl_sink_cfg *s,
           struct fl_err *err)
{
	c->aws_key = conn_env("AWS_ACCESS_KEY_ID");
	c->aws_secret = conn_env("AWS_SECRET_ACCESS_KEY");
	c->aws_token = conn_env("AWS_SESSION_TOKEN");
	if (!c->aws_key || !c->aws_secret)
		return fl_err_set(
		    err, FL_ERR_CONFIG,
		    "sink %s uses auth: aws_sigv4 but %s is not "
		    "set (set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY, and "
		    "AWS_SESSION_TOKEN for temporary credentials)",
		    s->name,
		    !c->aws_key ? "AWS_ACCESS_KEY_ID"
		                : "AWS_SECRET_ACCESS_KEY");
	c->region = fl_xstrdup(s->region ? s->region : "");
	c->service = fl_xstrdup(s->service ? s->service : "es");
	c->sigv4.region = c->region;
	c->sigv4.service = c->service;
	c->sigv4.access_key = c->aws_key;
	c->sigv4.secret_key = c->aws_secret;
	c->sigv4.session_token = c->aws_token;
	c->http.sigv4 = &c->sigv4;
	return 0;
}

int
fl_sink_conn_init(struct fl_sink_conn *c, const struct fl_sink_cfg *s,
                  struct fl_err *err)
{
	size_t n;

	memset(c, 0, sizeof(*c));
	if (fl_config_sink_secret(s, "URL", &c->url, err) < 0 ||
	    fl_config_sink_secret(s, "USERNAME", &c->username, err) < 0 ||
	    fl_config_sink_secret(s, "PASSWORD", &c->password, err) < 0)
		goto fail;
	if (!c->url) {
		fl_err_set(err, FL_ERR_CONFIG, "sink %s has no url", s->name);
		goto fail;
	}
	n = strlen(c->url);
	while (n && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	if (!c->username || s->auth == FL_AUTH_SIGV4) {
		/* a password alone: no auth (config.md §2.1); SigV4
		 * never sends Basic credentials */
		free(c->username);
		fl_wipe_free(c->password);
		c->username = c->password = NULL;
	}
	if (!(c->pool = fl_node_pool_new(c->url, err))) {
		fl_err_prefix(err, "sink %s", s->name);
		goto fail;
	}
	c->http.url = fl_node_pool_url(c->pool, 0);
	c->http.pool = c->pool;
	c->http.username = c->username;
	c->http.password = c->password;
	c->http.tls_verify = s->tls_verify;
	c->http.timeout_secs = s->timeout_secs > 0 ? s->timeout_secs : 30;
	c->http.parallel = 1;
	c->ca_file = s->ca_file ? fl_xstrdup(s->ca_file) : NULL;
	c->client_cert = s->client_cert ? fl_xstrdup(s->client_cert) : NULL;
	c->client_key = s->client_key ? fl_xstrdup(s->client_key) : NULL;
	c->http.ca_file = c->ca_file;
	c->http.client_cert = c->client_cert;
	c->http.client_key = c->client_key;
	if (s->auth == FL_AUTH_SIGV4 && conn_sigv4(c, s, err) < 0)
		goto fail;
	return 0;
fail:
	fl_sink_conn_done(c);
	return -1;
}

void
fl_sink_conn_done(struct fl_sink_conn *c)
{
	fl_node_pool_free(c->pool);
	free(c->url);
	free(c->username);
	free(c->password);
	free(c->ca_file);
	free(c->client_cert);
	free(c->client_key);
	free(c->region);
	free(c->service);
	free(c->aws_key);
	fl_wipe_free(c->aws_secret);
	fl_wipe_free(c->aws_token);
	memset(c, 0, sizeof(*c));
}
