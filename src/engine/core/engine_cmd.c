/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_cmd.c - the control commands as the engine runs them
 * (dashboard.md §4): a FIFO of posted commands, run one at a time on the
 * control thread, each answered with an HTTP-like code and one line.
 *
 * A command's failure is its answer: a sink refusing a gc, a reindex or
 * a hold store gives 500 with the sink's reason, and the pipeline goes
 * on. Repeated commands coalesce (a reindex while one runs, a pause of a
 * paused index). After a pipeline failure (stay_on_failure) only `retry`
 * and `stop` do something; the others say why the pipeline is down.
 * Posting is safe from any thread at any time: with no control thread
 * taking commands the answer is 503 at once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

void
eng_cmd_free(struct eng_cmd *c)
{
	size_t i;

	for (i = 0; i < c->nids; i++)
		free(c->ids[i]);
	free(c->ids);
	free(c);
}

void
eng_reply(struct fl_engine *e, struct eng_cmd *c, int code, const char *fmt,
          ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->code = code;
	pthread_mutex_lock(&e->mu);
	c->done = 1;
	pthread_cond_broadcast(&e->cv);
	if (c->abandoned) {
		pthread_mutex_unlock(&e->mu);
		eng_cmd_free(c);
		return;
	}
	pthread_mutex_unlock(&e->mu);
}

static void
eng_paused_cb(void *arg, struct fl_status *st)
{
	st->paused = *(int *)arg;
}

/* The index named by a command, or -1 after replying why not. */
static int
eng_cmd_index(struct fl_engine *e, struct eng_cmd *c)
{
	size_t i;
	int ix;

	if (!c->index[0]) {
		eng_reply(e, c, 400, "missing index name");
		return -1;
	}
	ix = eng_index_no(e, c->index);
	if (ix >= 0)
		return ix;
	for (i = 0; i < e->o.cfg->nindexes; i++)
		if (strcmp(e->o.cfg->indexes[i].name, c->index) == 0) {
			eng_reply(e, c, 409, "index %s is disabled", c->index);
			return -1;
		}
	eng_reply(e, c, 404, "unknown index %s", c->index);
	return -1;
}

static int
eng_cmd_all(const struct eng_cmd *c)
{
	return !c->index[0] || strcmp(c->index, "all") == 0;
}

/* `pause all` / `resume all`: every commit waits (today's semantics). */
static void
eng_cmd_pause_all(struct fl_engine *e, struct eng_cmd *c, int on)
{
	if (atomic_exchange(&e->paused, on) == on) {
		eng_reply(e, c, 200, "already %s", on ? "paused" : "resumed");
		return;
	}
	fl_board_update(e->board, eng_paused_cb, &on);
	fl_board_event(e->board, FL_LOG_INFO, "%s",
	               on ? "paused all" : "resumed all");
	pthread_mutex_lock(&e->mu);
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	/* a pause takes effect once the commits in progress are done: answer
	 * then, so "paused" means nothing more is being committed */
	if (on && eng_hold(e))
		eng_release(e);
	eng_reply(e, c, 200, "%s",
	          on ? "paused: nothing is committed until `resume all`"
	             : "resumed");
}

static void
eng_cmd_pause(struct fl_engine *e, struct eng_cmd *c)
{
	struct fl_err err;
	int ix;

	if (eng_cmd_all(c)) {
		eng_cmd_pause_all(e, c, 1);
		return;
	}
	if ((ix = eng_cmd_index(e, c)) < 0)
		return;
	if (!e->can_hold) {
		eng_reply(e, c, 409,
		          "index %s cannot be paused alone: no OpenSearch "
		          "sink keeps its pending ids (use `pause all`)",
		          c->index);
		return;
	}
	if (!eng_hold_index(e, ix, FL_HOLD_PAUSED, "")) {
		eng_reply(e, c, 200, "%s is already %s", c->index,
		          atomic_load(&e->ix[ix].hold) == FL_HOLD_PAUSED
		              ? "paused"
		              : "stopped");
		return;
	}
	/* commits in flight may still write its documents: answer once
	 * they are done (bounded), so "paused" means nothing more of it is
	 * written; and once the pause is stored, so it holds across a
	 * restart (when OpenSearch does not answer, the next tick stores
	 * it) */
	eng_wait_commits(e, ENG_CMD_COMMITS_MS);
	if (eng_hold_store(e, ix, &err) < 0) {
		eng_reply(e, c, err.code == FL_ERR_CANCELLED ? 503 : 202,
		          "paused %s; storing the pause failed for now (%s): "
		          "it is stored once OpenSearch answers",
		          c->index, err.msg);
		return;
	}
	eng_reply(e, c, 200,
	          "paused %s: its changes are kept as pending ids until "
	          "`resume %s`",
	          c->index, c->index);
}

/* Release one held index (resume or retry); replies. */
static void
eng_cmd_release_one(struct fl_engine *e, struct eng_cmd *c, int ix,
                    enum fl_hold want)
{
	enum fl_hold h = (enum fl_hold)atomic_load(&e->ix[ix].hold);
	struct fl_err err;

	if (h == FL_HOLD_NONE) {
		eng_reply(e, c, want == FL_HOLD_STOPPED ? 409 : 200,
		          "%s is not %s", c->index,
		          want == FL_HOLD_STOPPED ? "stopped or in drift"
		                                  : "paused");
		return;
	}
	if (want == FL_HOLD_STOPPED && h == FL_HOLD_PAUSED) {
		eng_reply(e, c, 409, "%s is paused, not stopped: `resume %s`",
		          c->index, c->index);
		return;
	}
	if (eng_release_index(e, ix, &err) < 0) {
		if (err.code == FL_ERR_CANCELLED)
			eng_reply(e, c, 503, "stopping");
		else
			eng_reply(e, c, err.code == FL_ERR_CONFIG ? 409 : 500,
			          "%s stays %s: %s", c->index,
			          h == FL_HOLD_PAUSED  ? "paused"
			          : h == FL_HOLD_DRIFT ? "in drift"
			                               : "stopped",
			          err.msg);
		return;
	}
	eng_reply(e, c, 200, "%s %s: applying its pending ids", c->index,
	          h == FL_HOLD_PAUSED ? "resumed" : "restarted");
}

/* `resume all`: the global pause, and every paused index. */
static void
eng_cmd_resume(struct fl_engine *e, struct eng_cmd *c)
{
	size_t i, n = 0;
	int ix, failed = 0;

	if (!eng_cmd_all(c)) {
		if ((ix = eng_cmd_index(e, c)) >= 0)
			eng_cmd_release_one(e, c, ix, FL_HOLD_PAUSED);
		return;
	}
	if (atomic_exchange(&e->paused, 0)) {
		int off = 0;

		fl_board_update(e->board, eng_paused_cb, &off);
		pthread_mutex_lock(&e->mu);
		pthread_cond_broadcast(&e->cv);
		pthread_mutex_unlock(&e->mu);
		n++;
	}
	for (i = 0; i < e->nix; i++) {
		struct fl_err err;

		if (atomic_load(&e->ix[i].hold) != FL_HOLD_PAUSED)
			continue;
		if (eng_release_index(e, (int)i, &err) < 0)
			failed++;
		else
			n++;
	}
	fl_board_event(e->board, FL_LOG_INFO, "resumed all");
	if (failed)
		eng_reply(e, c, 500, "resumed %zu, %d could not be resumed", n,
		          failed);
	else
		eng_reply(e, c, 200, "resumed%s",
		          n ? "" : " (nothing was paused)");
}

/* `retry [INDEX|all]`: stopped indexes (and, after a pipeline failure,
 * the pipeline). */
static void
eng_cmd_retry(struct fl_engine *e, struct eng_cmd *c)
{
	size_t i, n = 0;
	int ix, failed = 0;

	if (!eng_cmd_all(c)) {
		if ((ix = eng_cmd_index(e, c)) >= 0)
			eng_cmd_release_one(e, c, ix, FL_HOLD_STOPPED);
		return;
	}
	for (i = 0; i < e->nix; i++) {
		struct fl_err err;
		int h = atomic_load(&e->ix[i].hold);

		if (h != FL_HOLD_STOPPED && h != FL_HOLD_DRIFT)
			continue;
		if (eng_release_index(e, (int)i, &err) < 0)
			failed++;
		else
			n++;
	}
	if (failed)
		eng_reply(e, c, 500,
		          "retried %zu index%s, %d still stopped or in drift",
		          n, n == 1 ? "" : "es", failed);
	else if (n)
		eng_reply(e, c, 200, "retried %zu index%s", n,
		          n == 1 ? "" : "es");
	else
		eng_reply(e, c, 409,
		          "nothing to retry: no index is stopped or in "
		          "drift, and the pipeline runs");
}

static void
eng_cmd_reindex(struct fl_engine *e, struct eng_cmd *c, int ix)
{
	struct eng_index *x = &e->ix[ix];
	struct fl_err err;
	long gen = 0;
	int rc;

	if (!x->ensured) {
		eng_reply(e, c, 409, "index %s is stopped: `retry %s` first",
		          c->index, c->index);
		return;
	}
	if (!x->st.tracks_seeding) {
		eng_reply(e, c, 409,
		          "index %s has no sink that keeps generations",
		          c->index);
		return;
	}
	rc = eng_stage_rebuild(e, ix, "reindex requested", 1, &gen, &err,
	                       ENG_CMD_SINK_MS);
	if (rc < 0)
		eng_reply(e, c, err.code == FL_ERR_CANCELLED ? 503 : 500,
		          "reindex of %s failed: %s", c->index, err.msg);
	else if (rc == 1)
		eng_reply(e, c, 200,
		          "reindex of %s already in progress (generation %ld)",
		          c->index, gen);
	else
		eng_reply(e, c, 202,
		          "reindex of %s started: building generation %ld",
		          c->index, gen);
}

static void
eng_cmd_backfill(struct fl_engine *e, struct eng_cmd *c, int ix)
{
	struct eng_index *x = &e->ix[ix];

	pthread_mutex_lock(&e->mu);
	if (x->seed || !x->ensured) {
		pthread_mutex_unlock(&e->mu);
		eng_reply(e, c, 409,
		          x->ensured ? "index %s is already seeding"
		                     : "index %s is stopped: `retry` it first",
		          c->index);
		return;
	}
	x->seed = eng_seed_new(e, ix, ENG_SEED_INPLACE, NULL);
	pthread_mutex_unlock(&e->mu);
	eng_set_index_state(e, ix);
	fl_board_event(e->board, FL_LOG_INFO,
	               "backfill of %s started (in place, generation %ld)",
	               c->index, x->st.serving_generation);
	eng_reply(e, c, 202,
	          "backfill of %s started (in place, generation %ld)", c->index,
	          x->st.serving_generation);
}

static int
eng_op_gc(struct fl_engine *e, int ix, void *arg, struct fl_err *err)
{
	return e->sink->ops->gc(e->sink, e->ix[ix].cfg->name, arg, err);
}

static void
eng_cmd_gc(struct fl_engine *e, struct eng_cmd *c, int ix)
{
	struct fl_err err;
	int n = 0, rc;

	if (!e->ix[ix].ensured) {
		eng_reply(e, c, 409, "index %s is stopped: `retry %s` first",
		          c->index, c->index);
		return;
	}
	rc = eng_sink_call_for(e, eng_op_gc, ix, &n, &err, ENG_CMD_SINK_MS);
	if (rc != FL_SINK_OK) {
		eng_reply(e, c, rc == FL_SINK_TRANSIENT ? 503 : 500,
		          "gc of %s failed: %s", c->index, err.msg);
		return;
	}
	eng_reply(e, c, 200, "deleted %d orphan generation%s of %s", n,
	          n == 1 ? "" : "s", c->index);
}

static void
eng_command(struct fl_engine *e, struct eng_cmd *c)
{
	int ix;

	switch (c->cmd) {
	case FL_ECMD_PAUSE:
		eng_cmd_pause(e, c);
		return;
	case FL_ECMD_RESUME:
		eng_cmd_resume(e, c);
		return;
	case FL_ECMD_RETRY:
		eng_cmd_retry(e, c);
		return;
	case FL_ECMD_STOP:
		fl_engine_request_stop(e);
		eng_reply(e, c, 202, "stopping");
		return;
	case FL_ECMD_RELOAD:
		eng_cmd_reload(e, c);
		return;
	default:
		break;
	}
	if ((ix = eng_cmd_index(e, c)) < 0)
		return;
	switch (c->cmd) {
	case FL_ECMD_REINDEX:
		eng_cmd_reindex(e, c, ix);
		return;
	case FL_ECMD_BACKFILL:
		eng_cmd_backfill(e, c, ix);
		return;
	case FL_ECMD_POLICY:
		if (strcmp(c->arg, "stop") && strcmp(c->arg, "skip")) {
			eng_reply(e, c, 400, "policy must be stop or skip");
			return;
		}
		atomic_store(&e->ix[ix].policy_skip,
		             strcmp(c->arg, "skip") == 0);
		eng_set_index_state(e, ix);
		eng_reply(e, c, 200, "policy of %s is now %s", c->index,
		          c->arg);
		return;
	case FL_ECMD_GC:
		eng_cmd_gc(e, c, ix);
		return;
	case FL_ECMD_REPAIR:
		eng_cmd_repair(e, c, ix);
		return;
	default:
		eng_reply(e, c, 400, "unknown command");
	}
}

/* After a pipeline failure: retry restarts it, stop ends, others wait. */
static void
eng_command_failed(struct fl_engine *e, struct eng_cmd *c)
{
	char why[512];

	pthread_mutex_lock(&e->mu);
	fl_str_copy(why, sizeof(why), e->fail_msg);
	pthread_mutex_unlock(&e->mu);
	if (c->cmd == FL_ECMD_STOP) {
		fl_engine_request_stop(e);
		eng_reply(e, c, 202, "stopping");
	} else if (c->cmd == FL_ECMD_RELOAD && e->waiting_retry &&
	           !atomic_load(&e->stop_requested)) {
		eng_cmd_reload(e, c); /* a new configuration may be the fix */
	} else if (c->cmd == FL_ECMD_RETRY && e->waiting_retry &&
	           !atomic_load(&e->stop_requested)) {
		atomic_store(&e->failed, 0);
		eng_reply(e, c, 202, "restarting the pipeline (it failed: %s)",
		          why);
	} else if (c->cmd == FL_ECMD_RETRY && e->o.stay_on_failure) {
		eng_reply(e, c, 503,
		          "the pipeline is stopping after: %s; "
		          "retry once it has stopped",
		          why);
	} else {
		eng_reply(e, c, 503, "the pipeline failed: %s%s", why,
		          e->o.stay_on_failure ? " (`retry` restarts it)" : "");
	}
}

void
eng_run_commands(struct fl_engine *e)
{
	for (;;) {
		struct eng_cmd *c;

		pthread_mutex_lock(&e->mu);
		c = e->cmds;
		if (c) {
			e->cmds = c->next;
			if (!e->cmds)
				e->cmds_tail = NULL;
		}
		pthread_mutex_unlock(&e->mu);
		if (!c)
			return;
		eng_failpoint(e, "command.run");
		if (atomic_load(&e->failed)) {
			eng_command_failed(e, c);
			if (!atomic_load(&e->failed))
				return; /* retried: the rest waits for the
				         * new pipeline */
		} else {
			eng_command(e, c);
		}
	}
}

void
eng_close_commands(struct fl_engine *e, const char *why)
{
	pthread_mutex_lock(&e->mu);
	e->running = 0;
	while (e->cmds) { /* nobody will run them now */
		struct eng_cmd *c = e->cmds;

		e->cmds = c->next;
		pthread_mutex_unlock(&e->mu);
		eng_reply(e, c, 503, "%s", why);
		pthread_mutex_lock(&e->mu);
	}
	e->cmds_tail = NULL;
	pthread_mutex_unlock(&e->mu);
}

/* Post c (taken over) and wait for its answer. */
static int
eng_post(struct fl_engine *e, struct eng_cmd *c, char *msg, size_t msglen,
         int wait_ms)
{
	enum fl_engine_cmd cmd = c->cmd;
	struct timespec dl;
	int code;

	if (!e) {
		eng_cmd_free(c);
		fl_str_copy(msg, msglen, "the engine is not running");
		return 503;
	}
	fl_clock_deadline(&dl, CLOCK_REALTIME, wait_ms);
	pthread_mutex_lock(&e->mu);
	if (!e->running || !e->ready) {
		int starting = e->running;

		pthread_mutex_unlock(&e->mu);
		eng_cmd_free(c);
		if (cmd == FL_ECMD_STOP && starting) {
			fl_engine_request_stop(e);
			fl_str_copy(msg, msglen, "stopping");
			return 202;
		}
		fl_str_copy(msg, msglen,
		            starting ? "the engine is starting; try again in "
		                       "a moment"
		            : atomic_load(&e->finished)
		                ? "the engine has stopped"
		                : "the engine is not running");
		return 503;
	}
	if (cmd == FL_ECMD_STOP) { /* at once: not behind a slow command */
		pthread_mutex_unlock(&e->mu);
		eng_cmd_free(c);
		fl_engine_request_stop(e);
		fl_str_copy(msg, msglen, "stopping");
		return 202;
	}
	if (e->cmds_tail)
		e->cmds_tail->next = c;
	else
		e->cmds = c;
	e->cmds_tail = c;
	pthread_mutex_unlock(&e->mu);
	eng_poke(e);
	pthread_mutex_lock(&e->mu);
	while (!c->done)
		if (pthread_cond_timedwait(&e->cv, &e->mu, &dl) == ETIMEDOUT)
			break;
	if (!c->done) {
		c->abandoned = 1;
		pthread_mutex_unlock(&e->mu);
		fl_str_copy(msg, msglen, "accepted; still running");
		return 202;
	}
	pthread_mutex_unlock(&e->mu);
	fl_str_copy(msg, msglen, c->msg);
	code = c->code;
	eng_cmd_free(c);
	return code;
}

int
fl_engine_command(struct fl_engine *e, enum fl_engine_cmd cmd,
                  const char *index, const char *arg, char *msg, size_t msglen,
                  int wait_ms)
{
	struct eng_cmd *c = fl_xcalloc(1, sizeof(*c));

	c->cmd = cmd;
	fl_str_copy(c->index, sizeof(c->index), index ? index : "");
	fl_str_copy(c->arg, sizeof(c->arg), arg ? arg : "");
	return eng_post(e, c, msg, msglen, wait_ms);
}

int
fl_engine_repair(struct fl_engine *e, const char *index, const char *const *ids,
                 size_t n, char *msg, size_t msglen, int wait_ms)
{
	struct eng_cmd *c = fl_xcalloc(1, sizeof(*c));
	size_t i;

	c->cmd = FL_ECMD_REPAIR;
	fl_str_copy(c->index, sizeof(c->index), index ? index : "");
	c->ids = fl_xcalloc(n ? n : 1, sizeof(*c->ids));
	for (i = 0; i < n; i++)
		c->ids[i] = fl_xstrdup(ids[i]);
	c->nids = n;
	return eng_post(e, c, msg, msglen, wait_ms);
}
