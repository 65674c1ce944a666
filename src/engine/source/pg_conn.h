/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_conn.h - libpq connections with pinned session settings, and the few
 * query helpers every PostgreSQL-facing module shares (source.md §2).
 *
 * Owns: building a connection from one conninfo (URL or keyword form)
 * with the output settings pinned on every session, a password-free
 * description of the target for messages, running a parameterised query
 * and reporting the SQLSTATE, and SQL text helpers (quoted identifiers,
 * text-array literals).
 * Does not own: which queries run (publication.c, pg_check.c, later the
 * capture and builder modules), reconnect policy, threads (a PGconn
 * belongs to the thread that opened it).
 */
#ifndef FL_PG_CONN_H
#define FL_PG_CONN_H

#include <stddef.h>

#include <libpq-fe.h>

#include "util/buf.h"
#include "util/err.h"

/* The session settings pinned on every connection through `options`. */
#define FL_PGCONN_OPTIONS                                              \
	"-c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=3 -c " \
	"bytea_output=hex -c IntervalStyle=postgres"

/* connect_timeout (seconds) when neither the conninfo nor
 * PGCONNECT_TIMEOUT sets one. */
#define FL_PGCONN_CONNECT_TIMEOUT "10"

/*
 * Open a connection. `conninfo` is a URL or a keyword/value string;
 * `app_name` is used unless the conninfo (or PGAPPNAME) names one;
 * `replication` adds replication=database. Our `options` are appended
 * to any the user gave (conninfo, else PGOPTIONS); client_encoding is
 * always UTF8. Returns an open connection, or NULL with err (FL_ERR_PG,
 * FL_ERR_CONFIG for an unparsable conninfo) naming the target without
 * its password. The caller closes it with PQfinish().
 */
PGconn *fl_pgconn_open(const char *conninfo, const char *app_name,
                       int replication, struct fl_err *err);

/*
 * The target of a conninfo for messages: "user@host:port/dbname" (parts
 * that are absent are left out), never the password. Caller frees;
 * an unparsable conninfo gives "(invalid connection string)".
 */
char *fl_pgconn_describe(const char *conninfo);

/*
 * Run `sql` with `nparams` text parameters (NULL entries are SQL NULL);
 * results in text format. Returns the result when the command succeeded
 * (tuples or command OK), else NULL with err (FL_ERR_PG) holding
 * "<primary message> (SQLSTATE xxxxx)". `sqlstate`, when not NULL,
 * receives the 5-character code ("" on success or when the server sent
 * none, e.g. a lost connection). The caller PQclear()s the result.
 */
PGresult *fl_pgconn_query(PGconn *conn, const char *sql, int nparams,
                          const char *const *params, char sqlstate[6],
                          struct fl_err *err);

/* Value of row/col as a C string; NULL for SQL NULL. Borrowed. */
const char *fl_pgconn_get(const PGresult *res, int row, int col);
/* "t" -> 1; anything else (incl. NULL) -> 0. */
int fl_pgconn_get_bool(const PGresult *res, int row, int col);
/* Integer value; `def` for NULL or non-numeric text. */
long long fl_pgconn_get_ll(const PGresult *res, int row, int col,
                           long long def);

/* Append `s` as a double-quoted identifier, embedded `"` doubled. */
int fl_pgconn_put_ident(struct fl_buf *b, const char *s);
/* Append "schema"."table". */
int fl_pgconn_put_qualified(struct fl_buf *b, const char *schema,
                            const char *table);
/* Append a text-array literal {"a","b"} (`\` and `"` escaped) for
 * binding as one $n::text[] parameter. */
int fl_pgconn_put_array(struct fl_buf *b, const char *const *items, size_t n);

#endif
