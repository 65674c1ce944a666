/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_check_fix.c - the `check --fix` dialogue (src/cmds/check_fix.c)
 * with scripted answers and a recording executor: answers, declining
 * skips the rest of a finding and runs nothing, q and end of input stop,
 * --yes runs every statement in order, a privilege failure prints the
 * statement for a DBA and goes on, a failed concurrent build drops the
 * INVALID index it left (never one that existed before).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_fix.h"
#include "tap.h"
#include "util/xmem.h"

/* The recording executor. */
struct t_db {
	char log[4096];   /* every statement run, one a line */
	const char *fail; /* a statement starting so fails ... */
	const char *fail_state;
	int index_before, index_after; /* index_state: 0 none, 1 valid,
	                                * 2 invalid; before/after the fail */
	int failed;
};

static int
t_exec(void *arg, const char *sql, struct fl_err *err)
{
	struct t_db *db = arg;

	size_t n = strlen(db->log);

	snprintf(db->log + n, sizeof(db->log) - n, "%s\n", sql);
	if (db->fail && strncmp(sql, db->fail, strlen(db->fail)) == 0) {
		db->failed = 1;
		fl_err_set(err, FL_ERR_PG, "scripted failure");
		fl_err_sqlstate(err, db->fail_state);
		return -1;
	}
	return 0;
}

static int
t_index(void *arg, const char *schema, const char *name, int *valid,
        struct fl_err *err)
{
	struct t_db *db = arg;
	int st = db->failed ? db->index_after : db->index_before;

	(void)schema;
	(void)name;
	(void)err;
	*valid = st == 1;
	return st != 0;
}

/* A plan: a publication fix (1 statement), an identity fix (3). */
static void
t_plan(struct fl_check_fixes *p)
{
	struct fl_check_fix *f;

	p->n = 2;
	p->v = fl_xcalloc(2, sizeof(*p->v));
	f = &p->v[0];
	f->kind = FL_CHECK_FIX_PUBLICATION;
	f->finding = fl_xstrdup("publication p does not publish public.b");
	f->stmts[f->nstmts++] = fl_xstrdup("ALTER PUBLICATION p ADD TABLE b;");
	f = &p->v[1];
	f->kind = FL_CHECK_FIX_IDENTITY;
	f->schema = fl_xstrdup("public");
	f->table = fl_xstrdup("a");
	f->finding = fl_xstrdup("table public.a has no replica identity");
	f->stmts[f->nstmts++] = fl_xstrdup("CREATE UNIQUE INDEX CONCURRENTLY "
	                                   "a_id_key ON a (id);");
	f->stmts[f->nstmts++] = fl_xstrdup("ALTER TABLE a REPLICA IDENTITY "
	                                   "USING INDEX a_id_key;");
	f->stmts[f->nstmts++] = fl_xstrdup("ALTER PUBLICATION p ADD TABLE a;");
	f->index_schema = fl_xstrdup("public");
	f->index_name = fl_xstrdup("a_id_key");
}

/* Run the plan with `answers` (NULL: --yes); output in *out, *err. */
static void
t_run(struct t_db *db, const char *answers, struct fl_check_fix_run *run,
      char **out, char **errs)
{
	struct fl_check_fixes plan;
	struct fl_check_fix_ops ops = { t_exec, t_index, db };
	size_t on, en;
	char *text = fl_xstrdup(answers ? answers : "");
	FILE *in = fmemopen(text, strlen(text) + 1, "r");
	FILE *o = open_memstream(out, &on), *e = open_memstream(errs, &en);

	t_plan(&plan);
	memset(run, 0, sizeof(*run));
	run->in = in;
	run->out = o;
	run->errf = e;
	run->yes = answers == NULL;
	fl_check_fix_apply(&plan, &ops, run);
	fclose(in);
	free(text);
	fclose(o);
	fclose(e);
	fl_check_fixes_done(&plan);
}

TAP_TEST(test_answers)
{
	ok(fl_check_fix_answer("y\n") == FL_CHECK_FIX_YES, "y applies");
	ok(fl_check_fix_answer(" YES \r\n") == FL_CHECK_FIX_YES, "YES too");
	ok(fl_check_fix_answer("\n") == FL_CHECK_FIX_NO, "empty is no");
	ok(fl_check_fix_answer("n\n") == FL_CHECK_FIX_NO, "n is no");
	ok(fl_check_fix_answer("yep\n") == FL_CHECK_FIX_NO,
	   "anything else is no");
	ok(fl_check_fix_answer("q\n") == FL_CHECK_FIX_QUIT, "q stops");
	ok(fl_check_fix_answer("Quit\n") == FL_CHECK_FIX_QUIT, "quit too");
	ok(fl_check_fix_answer(NULL) == FL_CHECK_FIX_QUIT,
	   "end of input stops");
}

TAP_TEST(test_declined)
{
	struct fl_check_fix_run run;
	struct t_db db = { 0 };
	char *out, *errs;

	t_run(&db, "n\nn\n", &run, &out, &errs);
	ok(db.log[0] == '\0', "n to everything runs nothing");
	ok(run.applied == 0 && run.skipped == 4 && run.failed == 0 &&
	       !run.stopped,
	   "4 skipped, none applied");
	ok(strstr(out, "not running the rest of this fix") != NULL,
	   "declining the index skips what depends on it");
	ok(strstr(out, "Apply? [y/N/q] ") != NULL, "the prompt is shown");
	free(out);
	free(errs);

	memset(&db, 0, sizeof(db));
	t_run(&db, "q\n", &run, &out, &errs);
	ok(db.log[0] == '\0' && run.stopped && run.skipped == 4,
	   "q stops before anything runs");
	free(out);
	free(errs);

	memset(&db, 0, sizeof(db));
	t_run(&db, "", &run, &out, &errs);
	ok(db.log[0] == '\0' && run.stopped, "end of input stops");
	free(out);
	free(errs);

	memset(&db, 0, sizeof(db));
	t_run(&db, "n\ny\ny\nn\n", &run, &out, &errs);
	is_str(db.log,
	       "CREATE UNIQUE INDEX CONCURRENTLY a_id_key ON a (id);\n"
	       "ALTER TABLE a REPLICA IDENTITY USING INDEX a_id_key;\n",
	       "n, y, y, n: exactly the two statements answered y");
	ok(run.applied == 2 && run.skipped == 2, "2 applied, 2 skipped");
	free(out);
	free(errs);
}

TAP_TEST(test_yes)
{
	struct fl_check_fix_run run;
	struct t_db db = { 0 };
	char *out, *errs;

	t_run(&db, NULL, &run, &out, &errs);
	is_str(db.log,
	       "ALTER PUBLICATION p ADD TABLE b;\n"
	       "CREATE UNIQUE INDEX CONCURRENTLY a_id_key ON a (id);\n"
	       "ALTER TABLE a REPLICA IDENTITY USING INDEX a_id_key;\n"
	       "ALTER PUBLICATION p ADD TABLE a;\n",
	       "--yes runs every statement, in order");
	ok(run.applied == 4 && !run.failed, "4 applied");
	ok(strstr(out, "y (--yes)") != NULL, "--yes is said at each prompt");
	free(out);
	free(errs);
}

TAP_TEST(test_failures)
{
	struct fl_check_fix_run run;
	struct t_db db = { 0 };
	char *out, *errs;

	db.fail = "ALTER PUBLICATION p ADD TABLE b";
	db.fail_state = "42501";
	t_run(&db, NULL, &run, &out, &errs);
	ok(run.failed == 1 && run.applied == 3,
	   "a privilege failure: counted, the other findings go on");
	ok(strstr(errs, "failed: scripted failure (SQLSTATE 42501)") &&
	       strstr(errs, "owner or a superuser to run:\n    ALTER "
	                    "PUBLICATION p ADD TABLE b;"),
	   "PostgreSQL's message and the statement for a DBA");
	free(out);
	free(errs);

	memset(&db, 0, sizeof(db));
	db.fail = "CREATE UNIQUE INDEX";
	db.fail_state = "23505";
	db.index_after = 2;
	t_run(&db, NULL, &run, &out, &errs);
	is_str(db.log,
	       "ALTER PUBLICATION p ADD TABLE b;\n"
	       "CREATE UNIQUE INDEX CONCURRENTLY a_id_key ON a (id);\n"
	       "DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"a_id_key\";\n",
	       "a failed build: its INVALID index dropped, the rest of the "
	       "fix skipped");
	ok(run.failed == 1 && run.skipped == 2, "1 failed, 2 skipped");
	ok(strstr(errs, "INVALID index public.a_id_key; dropped it") != NULL,
	   "  ... and said");
	free(out);
	free(errs);

	memset(&db, 0, sizeof(db));
	db.fail = "CREATE UNIQUE INDEX";
	db.fail_state = "42P07";
	db.index_before = 2;
	db.index_after = 2;
	t_run(&db, NULL, &run, &out, &errs);
	ok(strstr(db.log, "DROP INDEX") == NULL,
	   "an INVALID index that existed before is never dropped");
	free(out);
	free(errs);
}

int
main(void)
{
	tap_run(test_answers);
	tap_run(test_declined);
	tap_run(test_yes);
	tap_run(test_failures);
	return tap_done();
}
