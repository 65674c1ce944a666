/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_conn.c - opening libpq connections the one way flusso does
 * (source.md §2.3), and small query helpers.
 *
 * Every connection is built from one conninfo, URL or keyword form,
 * parsed by libpq itself (so percent-escapes, sslmode, sslrootcert and
 * socket directories all work), then re-assembled as keyword/value
 * arrays with:
 *   options          the user's (conninfo, else PGOPTIONS) + FL_PGCONN_OPTIONS
 *   client_encoding  UTF8, always
 *   application_name the user's (conninfo, else PGAPPNAME), else ours
 *   replication      database, only when asked (a user value is dropped)
 *   connect_timeout  FL_PGCONN_CONNECT_TIMEOUT unless set or PGCONNECT_TIMEOUT
 *   keepalives_idle 30, keepalives_interval 10, keepalives_count 3,
 *   tcp_user_timeout 60000 (ms)   unless set
 * The password never appears in a message: messages name the target as
 * user@host:port/dbname, and any text taken from libpq is scrubbed of
 * the password before it is stored.
 */
#include "source/pg_conn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

#define PGCONN_MAX_KW 64

/* Replace every occurrence of `secret` in `msg` (in place, cut to
 * `n` bytes) with "***". */
static void
pgconn_scrub(char *msg, size_t n, const char *secret)
{
	struct fl_buf b;
	const char *p, *hit;
	size_t slen;

	if (!secret || !*secret || !strstr(msg, secret))
		return;
	slen = strlen(secret);
	fl_buf_init(&b, n);
	for (p = msg; (hit = strstr(p, secret)) != NULL; p = hit + slen) {
		fl_buf_append(&b, p, (size_t)(hit - p));
		fl_buf_puts(&b, "***");
	}
	fl_buf_puts(&b, p);
	snprintf(msg, n, "%s", fl_buf_str(&b));
	fl_buf_done(&b);
}

/* Best effort: the password as written in an unparsable conninfo (URL
 * userinfo after ':', or the value of `password=`); caller frees. */
static char *
pgconn_raw_password(const char *ci)
{
	const char *p = strstr(ci, "://"), *at, *colon, *end;

	if (p) {
		at = strchr(p + 3, '@');
		colon = at ? memchr(p + 3, ':', (size_t)(at - p - 3)) : NULL;
		return colon ? fl_xstrndup(colon + 1, (size_t)(at - colon - 1))
		             : NULL;
	}
	if (!(p = strstr(ci, "password")))
		return NULL;
	p += 8;
	while (isspace((unsigned char)*p))
		p++;
	if (*p++ != '=')
		return NULL;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\'')
		p++;
	for (end = p; *end && *end != '\'' && !isspace((unsigned char)*end);
	     end++)
		;
	return end > p ? fl_xstrndup(p, (size_t)(end - p)) : NULL;
}

/* libpq's multi-line message as one line, in place (cut to `n`
 * bytes): each line break with the indentation after it becomes "; ",
 * trailing whitespace is cut. */
static void
pgconn_one_line(char *s, size_t n)
{
	struct fl_buf b;
	const char *r = s;

	fl_buf_init(&b, n);
	while (*r) {
		if (*r != '\n' && *r != '\r') {
			fl_buf_putc(&b, *r++);
			continue;
		}
		while (*r == '\n' || *r == '\r' || *r == '\t' || *r == ' ')
			r++;
		if (*r && b.len)
			fl_buf_puts(&b, "; ");
	}
	while (b.len && isspace((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	snprintf(s, n, "%s", fl_buf_str(&b));
	fl_buf_done(&b);
}

/* The value of `kw` in a parsed option array, or NULL when unset. */
static const char *
pgconn_opt(const PQconninfoOption *o, const char *kw)
{
	for (; o && o->keyword; o++)
		if (strcmp(o->keyword, kw) == 0)
			return o->val && *o->val ? o->val : NULL;
	return NULL;
}

/* Describe parsed options as user@host:port/dbname. */
static char *
pgconn_describe_opts(const PQconninfoOption *o)
{
	const char *user = pgconn_opt(o, "user");
	const char *host = pgconn_opt(o, "host");
	const char *port = pgconn_opt(o, "port");
	const char *db = pgconn_opt(o, "dbname");
	struct fl_buf b;

	if (!host)
		host = pgconn_opt(o, "hostaddr");
	fl_buf_init(&b, 4096);
	if (user)
		fl_buf_printf(&b, "%s@", user);
	fl_buf_puts(&b, host ? host : "(default host)");
	if (port)
		fl_buf_printf(&b, ":%s", port);
	if (db)
		fl_buf_printf(&b, "/%s", db);
	return fl_buf_steal(&b);
}

char *
fl_pgconn_describe(const char *conninfo)
{
	PQconninfoOption *o;
	char *errmsg = NULL, *s;

	o = PQconninfoParse(conninfo ? conninfo : "", &errmsg);
	PQfreemem(errmsg);
	if (!o)
		return fl_xstrdup("(invalid connection string)");
	s = pgconn_describe_opts(o);
	PQconninfoFree(o);
	return s;
}

/* The keyword/value arrays handed to PQconnectdbParams. */
struct pgconn_kv {
	const char *kw[PGCONN_MAX_KW + 1];
	const char *val[PGCONN_MAX_KW + 1];
	size_t n;
	char *options; /* owned */
};

static void
pgconn_kv_add(struct pgconn_kv *kv, const char *kw, const char *val)
{
	if (kv->n < PGCONN_MAX_KW) {
		kv->kw[kv->n] = kw;
		kv->val[kv->n] = val;
		kv->n++;
	}
	kv->kw[kv->n] = NULL;
	kv->val[kv->n] = NULL;
}

/* Is this keyword one we set ourselves (the user's value is merged or
 * replaced)? */
static int
pgconn_ours(const char *kw)
{
	return strcmp(kw, "options") == 0 ||
	       strcmp(kw, "client_encoding") == 0 ||
	       strcmp(kw, "application_name") == 0 ||
	       strcmp(kw, "replication") == 0 ||
	       strcmp(kw, "connect_timeout") == 0;
}

/* Fill kv from the parsed user options plus ours. */
static void
pgconn_build(struct pgconn_kv *kv, const PQconninfoOption *o,
             const char *app_name, int replication)
{
	const char *user_opts = pgconn_opt(o, "options");
	const char *app = pgconn_opt(o, "application_name");
	const char *timeout = pgconn_opt(o, "connect_timeout");
	const PQconninfoOption *p;

	kv->n = 0;
	for (p = o; p->keyword; p++)
		if (p->val && !pgconn_ours(p->keyword))
			pgconn_kv_add(kv, p->keyword, p->val);
	if (!user_opts)
		user_opts = getenv("PGOPTIONS");
	kv->options = user_opts && *user_opts
	                  ? fl_xasprintf("%s %s", user_opts, FL_PGCONN_OPTIONS)
	                  : fl_xstrdup(FL_PGCONN_OPTIONS);
	pgconn_kv_add(kv, "options", kv->options);
	pgconn_kv_add(kv, "client_encoding", "UTF8");
	if (!app && !(getenv("PGAPPNAME") && *getenv("PGAPPNAME")))
		app = app_name ? app_name : "flusso";
	if (app)
		pgconn_kv_add(kv, "application_name", app);
	if (!timeout && !getenv("PGCONNECT_TIMEOUT"))
		timeout = FL_PGCONN_CONNECT_TIMEOUT;
	if (timeout)
		pgconn_kv_add(kv, "connect_timeout", timeout);
	/* a dead peer or a black-holed path ends the connection (libpq
	 * keeps keepalives on; these bound how long it takes) */
	if (!pgconn_opt(o, "keepalives_idle"))
		pgconn_kv_add(kv, "keepalives_idle", "30");
	if (!pgconn_opt(o, "keepalives_interval"))
		pgconn_kv_add(kv, "keepalives_interval", "10");
	if (!pgconn_opt(o, "keepalives_count"))
		pgconn_kv_add(kv, "keepalives_count", "3");
	if (!pgconn_opt(o, "tcp_user_timeout"))
		pgconn_kv_add(kv, "tcp_user_timeout", "60000");
	if (replication)
		pgconn_kv_add(kv, "replication", "database");
}

PGconn *
fl_pgconn_open(const char *conninfo, const char *app_name, int replication,
               struct fl_err *err)
{
	PQconninfoOption *o;
	struct pgconn_kv kv;
	char *errmsg = NULL, *desc, *pw;
	PGconn *conn;

	o = PQconninfoParse(conninfo ? conninfo : "", &errmsg);
	if (!o) {
		fl_err_set(err, FL_ERR_CONFIG, "invalid connection string: %s",
		           errmsg ? errmsg : "out of memory");
		PQfreemem(errmsg);
		if (err) {
			pgconn_one_line(err->msg, sizeof(err->msg));
			pw = pgconn_raw_password(conninfo ? conninfo : "");
			pgconn_scrub(err->msg, sizeof(err->msg), pw);
			free(pw);
		}
		return NULL;
	}
	pgconn_build(&kv, o, app_name, replication);
	conn = PQconnectdbParams(kv.kw, kv.val, 0);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		desc = pgconn_describe_opts(o);
		fl_err_set(err, FL_ERR_PG, "could not connect to %s: %s", desc,
		           conn ? PQerrorMessage(conn) : "out of memory");
		free(desc);
		if (err) {
			pgconn_one_line(err->msg, sizeof(err->msg));
			pgconn_scrub(err->msg, sizeof(err->msg),
			             pgconn_opt(o, "password"));
		}
		PQfinish(conn);
		conn = NULL;
	}
	free(kv.options);
	PQconninfoFree(o);
	return conn;
}

PGresult *
fl_pgconn_query(PGconn *conn, const char *sql, int nparams,
                const char *const *params, char sqlstate[6], struct fl_err *err)
{
	PGresult *res;
	ExecStatusType st;
	const char *code, *msg;

	if (sqlstate)
		sqlstate[0] = '\0';
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	code = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = PQerrorMessage(conn);
	if (sqlstate && code)
		snprintf(sqlstate, 6, "%s", code);
	fl_err_set(err, FL_ERR_PG, "%s%s%s%s", msg, code ? " (SQLSTATE " : "",
	           code ? code : "", code ? ")" : "");
	fl_err_sqlstate(err, code);
	if (err)
		pgconn_one_line(err->msg, sizeof(err->msg));
	PQclear(res);
	return NULL;
}

const char *
fl_pgconn_get(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

int
fl_pgconn_get_bool(const PGresult *res, int row, int col)
{
	const char *v = fl_pgconn_get(res, row, col);

	return v && strcmp(v, "t") == 0;
}

long long
fl_pgconn_get_ll(const PGresult *res, int row, int col, long long def)
{
	const char *v = fl_pgconn_get(res, row, col);
	char *end;
	long long n;

	if (!v || !*v)
		return def;
	n = strtoll(v, &end, 10);
	return *end ? def : n;
}

int
fl_pgconn_put_ident(struct fl_buf *b, const char *s)
{
	const char *p;

	if (fl_buf_putc(b, '"') < 0)
		return -1;
	for (p = s; *p; p++) {
		if (*p == '"' && fl_buf_putc(b, '"') < 0)
			return -1;
		if (fl_buf_putc(b, *p) < 0)
			return -1;
	}
	return fl_buf_putc(b, '"');
}

int
fl_pgconn_put_qualified(struct fl_buf *b, const char *schema, const char *table)
{
	if (fl_pgconn_put_ident(b, schema) < 0 || fl_buf_putc(b, '.') < 0)
		return -1;
	return fl_pgconn_put_ident(b, table);
}

int
fl_pgconn_put_array(struct fl_buf *b, const char *const *items, size_t n)
{
	const char *p;
	size_t i;

	if (fl_buf_putc(b, '{') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (i && fl_buf_putc(b, ',') < 0)
			return -1;
		if (fl_buf_putc(b, '"') < 0)
			return -1;
		for (p = items[i]; *p; p++) {
			if ((*p == '"' || *p == '\\') &&
			    fl_buf_putc(b, '\\') < 0)
				return -1;
			if (fl_buf_putc(b, *p) < 0)
				return -1;
		}
		if (fl_buf_putc(b, '"') < 0)
			return -1;
	}
	return fl_buf_putc(b, '}');
}
