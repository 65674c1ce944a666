/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config_env.c - runtime resolution of the configuration against the
 * environment (config.md §2.8), and redaction of secrets for display.
 *
 * Precedence for the source: connection_url {env: X} (the reserved
 * DATABASE_URL is then ignored) > DATABASE_URL > literal URL or parts.
 * For a sink's url/username/password: {env: X} > <SINK>_OPENSEARCH_<WHAT>
 * > literal. Secret values never reach a log line or an error message.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/xmem.h"

const char *
fl_secret_redacted(const struct fl_secret *s, char *buf, size_t n)
{
	switch (s->kind) {
	case FL_SECRET_NONE:
		return "";
	case FL_SECRET_LITERAL:
		return "***";
	case FL_SECRET_ENV:
		snprintf(buf, n, "${%s}", s->value);
		return buf;
	}
	return "";
}

static const char *
env_get(const char *name, struct fl_err *err)
{
	const char *v = getenv(name);

	if (!v)
		fl_err_set(err, FL_ERR_CONFIG,
		           "environment variable '%s' is not set", name);
	return v;
}

/* Append keyword='value' to a conninfo string, quoting per libpq. */
static void
env_conninfo_kv(struct fl_buf *b, const char *key, const char *val)
{
	const char *p;

	fl_buf_printf(b, "%s%s='", b->len ? " " : "", key);
	for (p = val; *p; p++) {
		if (*p == '\'' || *p == '\\')
			fl_buf_putc(b, '\\');
		fl_buf_putc(b, *p);
	}
	fl_buf_putc(b, '\'');
}

static int
env_url_ok(const char *url)
{
	return (strncmp(url, "postgresql://", 13) == 0 ||
	        strncmp(url, "postgres://", 11) == 0) &&
	       !strpbrk(url, " \t\r\n");
}

/* The URL, trimmed and checked; caller frees. */
static char *
env_check_url(const char *url, const char *origin, struct fl_err *err)
{
	size_t n;
	char *u;

	while (isspace((unsigned char)*url))
		url++;
	u = fl_xstrdup(url);
	n = strlen(u);
	while (n && isspace((unsigned char)u[n - 1]))
		u[--n] = '\0';
	if (!env_url_ok(u)) {
		free(u);
		fl_err_set(err, FL_ERR_CONFIG,
		           "invalid connection URL from %s: expected "
		           "postgresql://USER@HOST:PORT/DATABASE",
		           origin);
		return NULL;
	}
	return u;
}

char *
fl_config_source_conninfo(const struct fl_config *c, struct fl_err *err)
{
	const struct fl_source *s = &c->source;
	const char *v, *pw = NULL;
	struct fl_buf b;
	char port[16];

	if (s->conn == FL_CONN_ENV) {
		if (!(v = env_get(s->url_env, err)))
			return NULL;
		return env_check_url(v, s->url_env, err);
	}
	if ((v = getenv("DATABASE_URL")) && *v)
		return env_check_url(v, "DATABASE_URL", err);
	if (s->conn == FL_CONN_URL)
		return env_check_url(s->url, "connection_url", err);
	if (s->conn == FL_CONN_NONE) {
		fl_err_set(err, FL_ERR_CONFIG,
		           "source has no connection_url and DATABASE_URL is "
		           "not set");
		return NULL;
	}
	if (s->password.kind == FL_SECRET_ENV &&
	    !(pw = env_get(s->password.value, err)))
		return NULL;
	if (s->password.kind == FL_SECRET_LITERAL)
		pw = s->password.value;
	fl_buf_init(&b, 1 << 16);
	env_conninfo_kv(&b, "host", s->host);
	snprintf(port, sizeof(port), "%ld", s->port);
	env_conninfo_kv(&b, "port", port);
	env_conninfo_kv(&b, "user", s->user);
	if (pw)
		env_conninfo_kv(&b, "password", pw);
	env_conninfo_kv(&b, "dbname", s->database);
	return fl_buf_steal(&b);
}

int
fl_config_sink_secret(const struct fl_sink_cfg *s, const char *what, char **out,
                      struct fl_err *err)
{
	const struct fl_secret *sec = strcmp(what, "URL") == 0 ? &s->url
	                              : strcmp(what, "USERNAME") == 0
	                                  ? &s->username
	                                  : &s->password;
	char name[128];
	const char *v;
	size_t i;

	*out = NULL;
	if (sec->kind == FL_SECRET_ENV) {
		if (!(v = env_get(sec->value, err)))
			return -1;
		*out = fl_xstrdup(v);
		return 0;
	}
	snprintf(name, sizeof(name), "%s_OPENSEARCH_%s", s->name, what);
	for (i = 0; name[i]; i++)
		name[i] = (char)toupper((unsigned char)name[i]);
	if ((v = getenv(name)) && *v) {
		*out = fl_xstrdup(v);
		return 0;
	}
	if (sec->kind == FL_SECRET_LITERAL)
		*out = fl_xstrdup(sec->value);
	return 0;
}
