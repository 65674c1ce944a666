/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_fix.c - one remediation statement at a time for `check --fix`.
 *
 * Each statement goes through PQexec as a single statement on an idle
 * connection, so it runs in its own implicit transaction: CREATE UNIQUE
 * INDEX CONCURRENTLY works, and a failure rolls back only that
 * statement (a failed concurrent build still leaves an INVALID index
 * behind, which fl_pgfix_index_state lets the caller find).
 *
 * Single-threaded; uses only the caller's connection. Never decides
 * what to run.
 */
#include "source/pg_fix.h"

#include <stdlib.h>
#include <string.h>

#include "source/pg_conn.h"
#include "util/buf.h"
#include "util/xmem.h"

/* Newlines and tabs of a server message become spaces. */
static void
pgfix_one_line(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (; *s; s++)
		if (*s == '\n' || *s == '\t' || *s == '\r')
			*s = ' ';
}

int
fl_pgfix_exec(PGconn *conn, const char *sql, struct fl_err *err)
{
	const char *msg, *detail, *code;
	PGresult *res;
	ExecStatusType st;

	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		return fl_err_set(err, FL_ERR_PG,
		                  "the connection is not idle; not running %s",
		                  sql);
	res = PQexec(conn, sql);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(res);
		return 0;
	}
	msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	code = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	fl_err_set(err, FL_ERR_PG, "%s%s%s", msg ? msg : PQerrorMessage(conn),
	           detail ? ": " : "", detail ? detail : "");
	fl_err_sqlstate(err, code);
	if (err)
		pgfix_one_line(err->msg);
	PQclear(res);
	return -1;
}

int
fl_pgfix_index_state(PGconn *conn, const char *schema, const char *name,
                     int *valid, struct fl_err *err)
{
	const char *params[2] = { schema, name };
	PGresult *r;
	int found;

	r = fl_pgconn_query(conn,
	                    "SELECT i.indisvalid FROM pg_index i "
	                    "JOIN pg_class c ON c.oid = i.indexrelid "
	                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
	                    "WHERE n.nspname = $1 AND c.relname = $2",
	                    2, params, NULL, err);
	if (!r)
		return fl_err_prefix(err, "reading index %s.%s", schema, name);
	found = PQntuples(r) > 0;
	*valid = found && fl_pgconn_get_bool(r, 0, 0);
	PQclear(r);
	return found;
}

char *
fl_pgfix_sql_drop_index(const char *schema, const char *name)
{
	struct fl_buf b;

	fl_buf_init(&b, 4096);
	fl_buf_puts(&b, "DROP INDEX CONCURRENTLY IF EXISTS ");
	fl_pgconn_put_qualified(&b, schema, name);
	fl_buf_putc(&b, ';');
	return fl_buf_steal(&b);
}
