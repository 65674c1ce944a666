/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_fix.h - running the remediation statements of `flusso check --fix`
 * on PostgreSQL: one statement at a time, outside any transaction block,
 * and the state of an index a CREATE INDEX CONCURRENTLY was building.
 *
 * Owns: executing one statement with its full error (primary message,
 * detail, SQLSTATE), reading whether an index exists and is valid.
 * Does not own: which statements to run (pg_check.c builds the plan),
 * asking the operator (src/cmds/check_fix.c).
 */
#ifndef FL_PG_FIX_H
#define FL_PG_FIX_H

#include <libpq-fe.h>

#include "util/err.h"

/*
 * Run one statement alone in autocommit (the simple query protocol, no
 * BEGIN): CREATE INDEX CONCURRENTLY refuses a transaction block. The
 * connection must be idle (no open transaction), else -1 without
 * running it. Returns 0, or -1 with err: FL_ERR_PG, err->sqlstate set,
 * the message "<primary>[: <detail>]" on one line.
 */
int fl_pgfix_exec(PGconn *conn, const char *sql, struct fl_err *err);

/*
 * Does index schema.name exist (1, *valid = pg_index.indisvalid) or not
 * (0)? -1 with err when the query fails.
 */
int fl_pgfix_index_state(PGconn *conn, const char *schema, const char *name,
                         int *valid, struct fl_err *err);

/* "DROP INDEX CONCURRENTLY IF EXISTS "schema"."name";"; caller frees. */
char *fl_pgfix_sql_drop_index(const char *schema, const char *name);

#endif
