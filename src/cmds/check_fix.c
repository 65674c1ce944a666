/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_fix.c - the `flusso check --fix` dialogue (see check_fix.h).
 *
 * Statements of one finding depend on each other (the index before the
 * REPLICA IDENTITY that names it, the identity before the table is
 * published), so a statement declined or failed skips the rest of its
 * finding; the next finding is asked as usual. Only the plan's own
 * statements are run, plus one DROP INDEX CONCURRENTLY of an index this
 * session's failed CREATE INDEX CONCURRENTLY left INVALID (an index
 * that existed before the statement is never touched).
 */
#include "check_fix.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source/pg_fix.h"

/* A case-insensitive whole-word match of `line` (no newline). */
static int
check_fix_is(const char *line, const char *a, const char *b)
{
	return strcasecmp(line, a) == 0 || strcasecmp(line, b) == 0;
}

enum fl_check_fix_answer
fl_check_fix_answer(const char *line)
{
	char w[16];
	size_t n;

	if (!line)
		return FL_CHECK_FIX_QUIT;
	while (*line == ' ' || *line == '\t')
		line++;
	snprintf(w, sizeof(w), "%s", line);
	n = strlen(w);
	while (n && (w[n - 1] == '\n' || w[n - 1] == '\r' || w[n - 1] == ' ' ||
	             w[n - 1] == '\t'))
		w[--n] = '\0';
	if (check_fix_is(w, "y", "yes"))
		return FL_CHECK_FIX_YES;
	if (check_fix_is(w, "q", "quit"))
		return FL_CHECK_FIX_QUIT;
	return FL_CHECK_FIX_NO;
}

static int
check_fix_pg_exec(void *arg, const char *sql, struct fl_err *err)
{
	return fl_pgfix_exec(arg, sql, err);
}

static int
check_fix_pg_index(void *arg, const char *schema, const char *name, int *valid,
                   struct fl_err *err)
{
	return fl_pgfix_index_state(arg, schema, name, valid, err);
}

struct fl_check_fix_ops
fl_check_fix_pg_ops(void *conn)
{
	struct fl_check_fix_ops o = { check_fix_pg_exec, check_fix_pg_index,
		                      conn };

	return o;
}

/* Ask about one statement (or take --yes). */
static enum fl_check_fix_answer
check_fix_ask(struct fl_check_fix_run *run)
{
	char line[256];

	if (run->yes) {
		fprintf(run->out, "Apply? [y/N/q] y (--yes)\n");
		return FL_CHECK_FIX_YES;
	}
	fprintf(run->out, "Apply? [y/N/q] ");
	fflush(run->out);
	if (!fgets(line, sizeof(line), run->in)) {
		fputc('\n', run->out); /* end of input: the line is open */
		return FL_CHECK_FIX_QUIT;
	}
	return fl_check_fix_answer(line);
}

/* After a failed CREATE INDEX CONCURRENTLY of an index that did not
 * exist before: drop the INVALID index it left, or say how to. */
static void
check_fix_invalid_index(const struct fl_check_fix *f,
                        const struct fl_check_fix_ops *ops,
                        struct fl_check_fix_run *run)
{
	char *drop = fl_pgfix_sql_drop_index(f->index_schema, f->index_name);
	struct fl_err err;
	int valid = 0;

	if (ops->index_state(ops->arg, f->index_schema, f->index_name, &valid,
	                     &err) == 1 &&
	    !valid) {
		if (ops->exec(ops->arg, drop, &err) == 0)
			fprintf(run->errf,
			        "  the failed build left the INVALID index "
			        "%s.%s; dropped it again: %s\n",
			        f->index_schema, f->index_name, drop);
		else
			fprintf(run->errf,
			        "  the failed build left the INVALID index "
			        "%s.%s and dropping it failed (%s); drop it "
			        "with: %s\n",
			        f->index_schema, f->index_name, err.msg, drop);
	}
	free(drop);
}

/* Run statement i of f; 0 when it succeeded. */
static int
check_fix_run_one(const struct fl_check_fix *f, size_t i,
                  const struct fl_check_fix_ops *ops,
                  struct fl_check_fix_run *run)
{
	int builds = i == 0 && f->index_name;
	int existed = 0, valid = 0;
	struct fl_err err;

	memset(&err, 0, sizeof(err));
	if (builds)
		existed = ops->index_state(ops->arg, f->index_schema,
		                           f->index_name, &valid, &err) != 0;
	if (ops->exec(ops->arg, f->stmts[i], &err) == 0) {
		fprintf(run->out, "  done\n");
		run->applied++;
		return 0;
	}
	run->failed++;
	fflush(run->out);
	fprintf(run->errf, "  failed: %s%s%s%s\n", err.msg,
	        err.sqlstate[0] ? " (SQLSTATE " : "", err.sqlstate,
	        err.sqlstate[0] ? ")" : "");
	if (strcmp(err.sqlstate, "42501") == 0)
		fprintf(run->errf,
		        "  this role lacks the privilege; ask the table's "
		        "owner or a superuser to run:\n    %s\n",
		        f->stmts[i]);
	if (builds && !existed)
		check_fix_invalid_index(f, ops, run);
	fflush(run->errf);
	return -1;
}

/* One finding; returns -1 when the session stops. */
static int
check_fix_one(const struct fl_check_fix *f, size_t nth, size_t n,
              const struct fl_check_fix_ops *ops, struct fl_check_fix_run *run)
{
	size_t i;

	fprintf(run->out, "\n[%zu/%zu] %s\n", nth, n, f->finding);
	for (i = 0; i < f->nstmts; i++) {
		enum fl_check_fix_answer a;

		fprintf(run->out, "  %s\n", f->stmts[i]);
		a = check_fix_ask(run);
		if (a == FL_CHECK_FIX_YES &&
		    check_fix_run_one(f, i, ops, run) == 0)
			continue;
		if (a == FL_CHECK_FIX_NO)
			fprintf(run->out, "  skipped\n");
		run->skipped += f->nstmts - i - (a == FL_CHECK_FIX_YES);
		if (i + 1 < f->nstmts)
			fprintf(run->out,
			        "  not running the rest of this fix: it "
			        "depends on that statement\n");
		if (a == FL_CHECK_FIX_QUIT) {
			fprintf(run->out, "  stopped\n");
			run->stopped = 1;
			return -1;
		}
		return 0;
	}
	return 0;
}

void
fl_check_fix_apply(const struct fl_check_fixes *plan,
                   const struct fl_check_fix_ops *ops,
                   struct fl_check_fix_run *run)
{
	size_t i, j;

	for (i = 0; i < plan->n; i++)
		if (check_fix_one(&plan->v[i], i + 1, plan->n, ops, run) < 0)
			break;
	/* the findings never reached count as skipped */
	for (j = i + 1; j < plan->n; j++)
		run->skipped += plan->v[j].nstmts;
	fflush(run->out);
}
