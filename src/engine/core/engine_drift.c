/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_drift.c - does the database still match an index's schema?
 *
 * An index whose schema the database no longer matches (DDL: a column
 * or table it reads renamed, dropped, retyped; an identity that no
 * longer covers a foreign key) is held in state drift, alone: its ids go
 * to its pending set like a paused index's (engine_hold.c). The answer is
 * `flusso check`'s (pg_check.c, the schema rules of that one index, so
 * the reason names the schema's file:line:col); without that check (the
 * test world) a failure is drift when its SQLSTATE says a column, table,
 * type or function is missing (42703, 42P01, 42804, 42883).
 * Asked: after a permanent failure of a build, a resolution or a
 * seeding scan (any thread, on the caller's session), when a tracked
 * table's definition changes in the stream (the router,
 * engine_router.c), and before `retry` releases an index in drift (the
 * control thread, on a session of its own).
 * Does not own: holding and releasing (engine_hold.c).
 */
#include <stdio.h>
#include <string.h>

#include "core/engine_int.h"
#include "util/log.h"
#include "util/strutil.h"

/* Is a failure's SQLSTATE one of a schema that no longer matches
 * (undefined column or table, datatype mismatch, undefined function)? */
static int
drift_sqlstate(const char *code)
{
	static const char *const codes[] = { "42703", "42P01", "42804",
		                             "42883" };
	size_t i;

	for (i = 0; code && i < FL_ARRAY_LEN(codes); i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return 0;
}

void
eng_index_broken(struct fl_engine *e, int ix, void *session, const char *what,
                 const char *sqlstate)
{
	const char *name = e->ix[ix].cfg->name;
	char why[sizeof(((struct fl_sink_hold *)0)->reason)];
	int drift = 0;

	if (!e->can_hold) {
		eng_fatal(e, "index %s: %s", name, what);
		return;
	}
	if (e->be->drift_check && session) {
		struct fl_err err;
		int rc = e->be->drift_check(session, e->o.cfg, name,
		                            e->o.allow_untracked, why,
		                            sizeof(why), &err);

		if (rc < 0)
			fl_log_warn(
			    "engine",
			    "checking index %s against the database: %s", name,
			    err.msg);
		drift = rc > 0;
		if (drift)
			fl_log_error("engine", "index %s: %s", name, what);
	}
	if (!drift) {
		drift = drift_sqlstate(sqlstate);
		fl_str_copy(why, sizeof(why), what);
	}
	eng_hold_index(e, ix, drift ? FL_HOLD_DRIFT : FL_HOLD_STOPPED, why);
}

int
eng_drift_persists(struct fl_engine *e, int ix, struct fl_err *err)
{
	char why[sizeof(((struct fl_sink_hold *)0)->reason)];
	void *s;
	int rc;

	if (!e->be->drift_check)
		return 0;
	s = e->be->session_open(e->be->ctx, e->conninfo, "flusso-check", err);
	rc = s ? e->be->drift_check(s, e->o.cfg, e->ix[ix].cfg->name,
	                            e->o.allow_untracked, why, sizeof(why), err)
	       : -1;
	if (s)
		e->be->session_close(s);
	if (rc < 0)
		fl_err_prefix(err, "checking the database");
	else if (rc > 0)
		fl_err_set(err, FL_ERR_CONFIG,
		           "the database still differs from the schema: %s",
		           why);
	return rc != 0;
}
