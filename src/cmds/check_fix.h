/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_fix.h - the dialogue of `flusso check --fix`: print each finding
 * of the plan and each of its statements, ask `Apply? [y/N/q]` (or take
 * --yes), run the statement, and say what happened.
 *
 * Owns: walking the plan in order, the answers (y runs, anything else
 * skips, q or end of input stops), skipping the rest of a finding after
 * a declined or failed statement, the advice after a failure (the
 * statement for a DBA on insufficient privilege; the INVALID index a
 * failed CREATE INDEX CONCURRENTLY left, dropped again).
 * Does not own: the plan (pg_check.c), running SQL (pg_fix.c, behind
 * fl_check_fix_ops so unit tests can script it), the re-check.
 */
#ifndef FL_CHECK_FIX_H
#define FL_CHECK_FIX_H

#include <stdio.h>

#include "source/pg_check.h"
#include "util/err.h"

/* How statements run; fl_check_fix_pg_ops() runs them on a PGconn. */
struct fl_check_fix_ops {
	/* 0, or -1 with err (err->sqlstate set by the server) */
	int (*exec)(void *arg, const char *sql, struct fl_err *err);
	/* 1 when schema.name exists (*valid: usable), 0 when not, -1 */
	int (*index_state)(void *arg, const char *schema, const char *name,
	                   int *valid, struct fl_err *err);
	void *arg;
};

/* One --fix session; in/out/errf borrowed. */
struct fl_check_fix_run {
	FILE *in;   /* the answers (a terminal); unused with yes */
	FILE *out;  /* the dialogue */
	FILE *errf; /* failures */
	int yes;    /* --yes: apply without asking */
	/* results */
	size_t applied, skipped, failed;
	int stopped; /* q or end of input */
};

enum fl_check_fix_answer {
	FL_CHECK_FIX_NO,
	FL_CHECK_FIX_YES,
	FL_CHECK_FIX_QUIT,
};

/* An answer line: y/yes applies, q/quit stops, anything else (the
 * empty line included) is no. NULL (end of input) is quit. */
enum fl_check_fix_answer fl_check_fix_answer(const char *line);

/* Ops running statements on `conn` (arg is the PGconn). */
struct fl_check_fix_ops fl_check_fix_pg_ops(void *conn);

/* Walk the plan; fills the results of `run`. Never fails as a whole:
 * a failed statement is counted and the others go on. */
void fl_check_fix_apply(const struct fl_check_fixes *plan,
                        const struct fl_check_fix_ops *ops,
                        struct fl_check_fix_run *run);

#endif
