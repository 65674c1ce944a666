/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_check.h - the database rules of `flusso check` (source.md §15.2,
 * §10.4, §3.2, §4.4): every enabled index's schema is confirmed against
 * the live catalog, and the server, role, publication and slot are
 * inspected. Read-only: never any DDL.
 *
 * Owns: loading the catalog of every required table in a few batched
 * queries, the validation rules (tables, columns, types, keys, replica
 * identity and tracking adequacy, filter and default literals), the
 * server prerequisites, the slot report, and turning publication
 * problems into diagnostics. Every problem is a diagnostic with the
 * schema file, position and key path of the element concerned (server,
 * publication and slot problems name the deployment file and `source`).
 * Does not own: printing (cmd_check.c, check_report.c), connecting
 * (pg_conn.c), the coverage computation itself (publication.c).
 */
#ifndef FL_PG_CHECK_H
#define FL_PG_CHECK_H

#include <libpq-fe.h>

#include "config/config.h"
#include "source/publication.h"
#include "util/diagnostics.h"
#include "util/err.h"

struct fl_check_db_opts {
	const char *slot;        /* NULL: "flusso" */
	const char *publication; /* NULL: "flusso" */
	/* `run --allow-untracked-deletes`: untracked tables are Warnings */
	int untracked_warning;
	/* skip publication coverage and its problems (the caller, `run`,
	 * provisions the publication itself) */
	int skip_publication;
	/* the schemas only: no server, role or slot checks */
	int schemas_only;
};

/* The slot's state (source.md §3.2), for the report. */
struct fl_slot_report {
	char *name;
	int exists;
	/* "missing", "ok", "physical", "other_plugin", "other_database",
	 * "active", "lost", "unreserved" (first that applies) */
	const char *state;
	char *slot_type, *plugin, *database, *wal_status;
	char *confirmed_flush_lsn, *restart_lsn, *invalidation_reason;
	int active;
	long active_pid;
	int has_safe_wal_size;
	long long safe_wal_size;
	long max_slots, used_slots; /* max_replication_slots, slots in use */
};

/*
 * One finding that `flusso check --fix` can remedy, with the statements
 * that remedy it. The report prints this list and --fix runs exactly
 * this list, so --fix never runs anything check did not print. Each
 * statement runs alone (autocommit, one statement per call): a CREATE
 * INDEX CONCURRENTLY cannot run inside a transaction block. A statement
 * declined or failed skips the rest of its finding (they depend on it).
 */
enum fl_check_fix_kind {
	FL_CHECK_FIX_PUBLICATION, /* CREATE/ALTER PUBLICATION */
	FL_CHECK_FIX_IDENTITY,    /* REPLICA IDENTITY USING INDEX (the index
	                           * built first, then ADD TABLE if missing) */
};

#define FL_CHECK_FIX_MAX_STMTS 3

struct fl_check_fix {
	enum fl_check_fix_kind kind;
	char *schema, *table; /* the table concerned, NULL for a
	                       * publication-wide finding */
	char *finding;        /* what check found, one line */
	char *stmts[FL_CHECK_FIX_MAX_STMTS];
	size_t nstmts;
	/* stmts[0] builds this index CONCURRENTLY (schema, name), or NULL:
	 * a failed build leaves an INVALID index to detect */
	char *index_schema, *index_name;
};

struct fl_check_fixes {
	struct fl_check_fix *v;
	size_t n;
};

struct fl_check_db {
	int server_version; /* server_version_num */
	char *wal_level;
	char *database; /* current_database() */
	char *role;     /* current_user */
	int superuser, replication;
	struct fl_coverage coverage;
	struct fl_slot_report slot;
	struct fl_qtables untracked; /* tables reported untracked, sorted */
	/* the remediation plan, in the order to run it: publication first,
	 * then replica identity (empty with schemas_only) */
	struct fl_check_fixes fixes;
};

/*
 * Run every database rule for the enabled indexes of `cfg` on `conn`,
 * appending diagnostics to `diags` (Errors and Warnings) and filling
 * `out` (release with fl_check_db_done, also after a failure). Unknown
 * tables and columns are diagnostics, never a failure. Returns -1 with
 * err only when a catalog query itself fails (e.g. the connection is
 * lost).
 */
int fl_check_db_run(PGconn *conn, const struct fl_config *cfg,
                    const struct fl_check_db_opts *opts,
                    struct fl_check_db *out, struct fl_diags *diags,
                    struct fl_err *err);
void fl_check_db_done(struct fl_check_db *r);
/* Release a plan (fl_check_db_done does it for `fixes`). */
void fl_check_fixes_done(struct fl_check_fixes *f);

/*
 * Does the database still match the schema of one index (the check's
 * schema rules alone, the index taken as enabled)? 1 with the first
 * Error, formatted "file:line:col: key: message", in why[0..n); 0 when
 * it matches; -1 with err when a catalog query failed.
 */
int fl_check_db_index(PGconn *conn, const struct fl_config *cfg,
                      const char *index, int untracked_warning, char *why,
                      size_t n, struct fl_err *err);

/*
 * Does a catalog type (format_type spelling) satisfy a declared scalar
 * type (source.md §15.3)? `is_enum`: the column's type is a native enum
 * (accepted for FL_T_ENUM). Custom types use the field's own list; pass
 * it as `custom`/`ncustom` (ignored otherwise).
 */
int fl_check_db_type_ok(enum fl_ftype t, const char *sql_type, int is_enum,
                        char *const *custom, size_t ncustom);

#endif
