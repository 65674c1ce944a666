/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine.c - the engine's life cycle and its control thread: start-up
 * (engine_start.c), the supervision loop, commands (engine_cmd.c),
 * shutdown within the grace period, and the public API.
 *
 * DESIGN
 *   Threads: control (this file) -> capture (capture.c) -> router
 *   (engine_router.c) -> N workers (engine_worker.c); seeding and drains
 *   (engine_seeder.c) feed the workers too. Every id is owned by one
 *   worker (hash of index and key), so one writer per document.
 *   Everything below the engine is reached through the backend table
 *   (engine_backend.h), so tests drive these threads with doubles.
 *   Isolation: one index's trouble never stops the others. A paused
 *   index, or one that failed permanently under on_error: stop, is held
 *   (engine_hold.c): its ids go to the sink's durable pending set and its
 *   changes are confirmed, so the slot keeps advancing; resume or retry
 *   drains the set through the normal commit path. A failed command is
 *   the command's answer, never the pipeline's end. Only what concerns
 *   every index (the source, the replication stream, a sink refusing all
 *   writes) stops the pipeline; in-process dashboards then wait for
 *   `retry` (stay_on_failure), `flusso run` ends for its supervisor.
 *   Shutdown: stop, then wait for the threads until the grace period
 *   ends; then abort_now cancels commits, sink requests and backoffs, so
 *   the engine ends within the grace plus a moment. Nothing that was
 *   not durable is confirmed. A PostgreSQL statement in progress (a
 *   build, a resolution, a key page) is not cancelled: it ends with the
 *   statement or its connection.
 */
#include "core/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/engine_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

void
fl_engine_opts_default(struct fl_engine_opts *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->slot = "flusso";
	o->publication = "flusso";
	o->manage_publication = 1;
	o->workers = cores > 0 ? cores : 1;
	o->queue_capacity = 1024;
	o->batch_max_changes = 256;
	o->batch_max_delay_ms = 50;
	o->lag_poll_secs = 15;
	o->shutdown_grace_secs = 10;
	o->failover_after_secs = 15;
}

/* ---- small shared helpers --------------------------------------------- */

/* Set on the control thread: its waits keep the heartbeat moving. */
static _Thread_local int eng_on_control;

void
eng_alive(struct fl_engine *e)
{
	if (eng_on_control)
		atomic_fetch_add(&e->heartbeat, 1);
}

int
eng_retry_wait(struct fl_engine *e, struct fl_backoff *b)
{
	int ms;

	if (atomic_load(&e->stop))
		return 1;
	ms = fl_backoff_next_ms(b);
	if (!eng_on_control)
		return fl_sleep_unless(ms, &e->stop);
	for (; ms > 0; ms -= 250) { /* a backoff of 30 s is no wedge */
		eng_alive(e);
		if (fl_sleep_unless(ms > 250 ? 250 : ms, &e->stop))
			return 1;
	}
	return 0;
}

int
eng_index_no(const struct fl_engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nix; i++)
		if (strcmp(e->ix[i].cfg->name, name) == 0)
			return (int)i;
	return -1;
}

void
eng_poke(struct fl_engine *e)
{
	if (e->wake[1] >= 0 && write(e->wake[1], "x", 1) < 0) {
		/* non-blocking pipe already full: the thread will wake */
	}
}

void
eng_failpoint(struct fl_engine *e, const char *where)
{
	if (e->o.failpoint)
		e->o.failpoint(e->o.failpoint_arg, where);
}

static void
eng_set_error_cb(void *arg, struct fl_status *st)
{
	(void)arg;
	st->phase = FL_PHASE_ERROR;
	st->waiting_for[0] = '\0';
}

void
eng_fatal(struct fl_engine *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (atomic_exchange(&e->failed, 1))
		return; /* the first error is the one reported */
	pthread_mutex_lock(&e->mu);
	fl_str_copy(e->fail_msg, sizeof(e->fail_msg), msg);
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	fl_log_error("engine", "%s", msg);
	fl_board_error(e->board, "%s", msg);
	fl_board_update(e->board, eng_set_error_cb, NULL);
	eng_poke(e);
}

int
eng_hold(struct fl_engine *e)
{
	size_t i;
	int busy;

	pthread_mutex_lock(&e->mu);
	e->hold++;
	for (;;) {
		for (busy = 0, i = 0; i < e->nw; i++)
			busy |= e->w[i].busy;
		if (!busy || atomic_load(&e->abort_now))
			break;
		pthread_cond_wait(&e->cv, &e->mu);
	}
	if (busy) { /* gave up: the caller will not release */
		e->hold--;
		pthread_cond_broadcast(&e->cv);
	}
	pthread_mutex_unlock(&e->mu);
	return !busy;
}

int
eng_wait_commits(struct fl_engine *e, int timeout_ms)
{
	uint64_t *seen = fl_xcalloc(e->nw ? e->nw : 1, sizeof(*seen));
	int64_t end = fl_mono_ms() + timeout_ms;
	size_t i;
	int left;

	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->nw; i++)
		seen[i] = e->w[i].busy ? e->w[i].commits : UINT64_MAX;
	for (;;) {
		struct timespec dl;

		for (left = 0, i = 0; i < e->nw; i++)
			left |= seen[i] != UINT64_MAX && e->w[i].busy &&
			        e->w[i].commits == seen[i];
		if (!left || atomic_load(&e->abort_now) || fl_mono_ms() >= end)
			break;
		fl_clock_deadline(&dl, CLOCK_REALTIME, 50);
		pthread_cond_timedwait(&e->cv, &e->mu, &dl);
	}
	pthread_mutex_unlock(&e->mu);
	free(seen);
	return !left;
}

void
eng_release(struct fl_engine *e)
{
	pthread_mutex_lock(&e->mu);
	e->hold--;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

void *
eng_connect(struct fl_engine *e, const char *app)
{
	struct fl_backoff b = FL_BACKOFF_INIT;

	while (!atomic_load(&e->stop)) {
		struct fl_err err;
		void *c =
		    e->be->session_open(e->be->ctx, e->conninfo, app, &err);

		if (c) {
			eng_recovered(e, "postgres");
			return c;
		}
		/* PostgreSQL is unreachable for our queries, so nothing gets
		 * confirmed: let go of the replication stream too, or a fast
		 * shutdown of the server waits for us forever (its walsender
		 * waits until all it sent is confirmed) */
		eng_waiting(e, "postgres", err.msg);
		if (e->cap)
			e->be->capture_restart(e->cap);
		if (eng_retry_wait(e, &b))
			break;
	}
	return NULL;
}

/* ---- the running pipeline ---------------------------------------------- */

/* The slot was recreated while running: rebuild every seeded index. */
static void
eng_check_continuity(struct fl_engine *e)
{
	size_t i;
	int lost;
	long gen;

	pthread_mutex_lock(&e->mu);
	lost = e->prep.slot_created;
	e->prep.slot_created = 0;
	pthread_mutex_unlock(&e->mu);
	if (!lost)
		return;
	for (i = 0; i < e->nix; i++) {
		struct fl_err err;

		if (!e->ix[i].ensured || !e->ix[i].st.tracks_seeding)
			continue;
		if (eng_stage_rebuild(e, (int)i,
		                      "continuity lost: the slot was recreated",
		                      0, &gen, &err, -1) < 0 &&
		    !atomic_load(&e->stop))
			eng_fatal(e, "staging a rebuild of %s: %s",
			          e->ix[i].cfg->name, err.msg);
	}
}

static void
eng_set_ready(struct fl_engine *e, int ready)
{
	pthread_mutex_lock(&e->mu);
	e->ready = ready;
	pthread_mutex_unlock(&e->mu);
}

static void
eng_supervise(struct fl_engine *e)
{
	struct pollfd p;
	char buf[64];

	p.fd = e->wake[0];
	p.events = POLLIN;
	eng_set_ready(e, 1);
	while (!atomic_load(&e->stop) && !atomic_load(&e->failed)) {
		eng_alive(e);
		poll(&p, 1, 250);
		while (read(e->wake[0], buf, sizeof(buf)) > 0) {
		}
		eng_run_commands(e);
		eng_repairs_reap(e);
		eng_check_continuity(e);
		eng_publish(e);
	}
	eng_set_ready(e, 0);
}

/* ---- shutdown ------------------------------------------------------------ */

static int
eng_threads_exited(struct fl_engine *e)
{
	size_t i;

	if (e->router_started && !atomic_load(&e->router_exited))
		return 0;
	if (e->seeder_started && !atomic_load(&e->seeder_exited))
		return 0;
	for (i = 0; i < e->nw; i++)
		if (e->w[i].thread && !atomic_load(&e->w[i].exited))
			return 0;
	return 1;
}

/* Stop the pipeline's threads: they finish what they do within the grace
 * period, then abort_now cancels the rest (never confirmed). */
static void
eng_shutdown(struct fl_engine *e)
{
	int64_t deadline = fl_mono_ms() + e->o.shutdown_grace_secs * 1000;
	size_t i;

	fl_board_set_phase(e->board, FL_PHASE_STOPPING);
	atomic_store(&e->stop, 1);
	pthread_mutex_lock(&e->mu);
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	if (e->capq)
		fl_queue_close(e->capq);
	for (i = 0; i < e->nw; i++) {
		fl_queue_close(e->w[i].live);
		fl_queue_close(e->w[i].seed);
	}
	while (!eng_threads_exited(e)) {
		if (fl_mono_ms() > deadline && !atomic_load(&e->abort_now)) {
			fl_log_warn("engine",
			            "shutdown grace exceeded: abandoning the "
			            "current commit (it will be redelivered)");
			atomic_store(&e->abort_now, 1);
			pthread_mutex_lock(&e->mu);
			pthread_cond_broadcast(&e->cv);
			pthread_mutex_unlock(&e->mu);
		}
		eng_alive(e);
		poll(NULL, 0, 20);
	}
	if (e->router_started)
		pthread_join(e->router, NULL);
	if (e->seeder_started)
		pthread_join(e->seeder, NULL);
	e->router_started = e->seeder_started = 0;
	for (i = 0; i < e->nw; i++)
		if (e->w[i].thread)
			pthread_join(e->w[i].thread, NULL);
	if (e->cap)
		e->be->capture_stop(e->cap); /* sends the final status */
}

/* Free what one run of the pipeline built (the engine can start again). */
static void
eng_teardown(struct fl_engine *e)
{
	size_t i;

	for (i = 0; i < e->nw; i++) {
		struct eng_worker *w = &e->w[i];

		fl_queue_free(w->live, (void (*)(void *))eng_item_free);
		fl_queue_free(w->seed, (void (*)(void *))eng_item_free);
		if (w->db)
			e->be->builder_free(w->db);
		if (w->writer)
			w->writer->ops->free(w->writer);
		if (w->conn)
			e->be->session_close(w->conn);
	}
	free(e->w);
	e->w = NULL;
	e->nw = 0;
	if (e->cap)
		e->be->capture_free(e->cap);
	e->cap = NULL;
	if (e->capq)
		fl_queue_free(e->capq, (void (*)(void *))fl_change_free);
	e->capq = NULL;
	eng_repairs_end(e); /* after the workers: nothing flushes now */
	for (i = 0; i < e->nix; i++) {
		fl_val_free(e->ix[i].body);
		fl_sink_index_state_done(&e->ix[i].st);
		eng_seed_free(e->ix[i].seed);
		eng_drain_free(e->ix[i].drain);
	}
	free(e->ix);
	e->ix = NULL;
	e->nix = 0;
	if (e->sink)
		e->sink->ops->free(e->sink);
	e->sink = NULL;
	if (e->track_ready)
		fl_track_done(&e->track);
	e->track_ready = 0;
	atomic_store(&e->router_exited, 0);
	atomic_store(&e->seeder_exited, 0);
	e->hold = 0; /* nobody holds the workers of the next run */
}

/* After a permanent failure (stay_on_failure): wait for `retry` (1) or
 * `stop` (0). Other commands are answered by eng_run_commands. */
static int
eng_wait_retry(struct fl_engine *e)
{
	struct pollfd p;
	char buf[64];

	p.fd = e->wake[0];
	p.events = POLLIN;
	e->waiting_retry = 1;
	eng_set_ready(e, 1);
	while (!atomic_load(&e->stop)) {
		if (!atomic_load(&e->failed) || eng_reload_pending(e)) {
			e->waiting_retry = 0;
			eng_set_ready(e, 0);
			atomic_store(&e->failed, 0);
			return 1; /* `retry` cleared it, or `reload` */
		}
		eng_alive(e);
		poll(&p, 1, 250);
		while (read(e->wake[0], buf, sizeof(buf)) > 0) {
		}
		eng_run_commands(e);
	}
	e->waiting_retry = 0;
	eng_set_ready(e, 0);
	return 0;
}

static void *
eng_control_main(void *arg)
{
	struct fl_engine *e = arg;

	eng_on_control = 1;
	eng_board_init(e);
	for (;;) {
		if (eng_standby_wait(e) < 0) { /* stopping as a standby */
			fl_board_set_phase(e->board, FL_PHASE_STOPPED);
			break;
		}
		fl_board_set_phase(e->board, FL_PHASE_STARTING);
		if (eng_start_pipeline(e) == 0) {
			fl_log_info("engine",
			            "following live changes (%zu "
			            "workers)",
			            e->nw);
			fl_board_event(e->board, FL_LOG_INFO,
			               "following live changes with %zu "
			               "workers",
			               e->nw);
			eng_supervise(e);
		}
		eng_shutdown(e);
		if (eng_standby_deposed(e) &&
		    !atomic_load(&e->stop_requested)) {
			/* lost the lock: what was in flight is dropped, never
			 * confirmed; wait as a standby */
			atomic_store(&e->stop, 0);
			atomic_store(&e->abort_now, 0);
			atomic_store(&e->failed, 0);
			pthread_mutex_lock(&e->mu);
			e->fail_msg[0] = '\0';
			pthread_mutex_unlock(&e->mu);
			eng_teardown(e);
			continue;
		}
		if (eng_reload_pending(e) && !atomic_load(&e->failed) &&
		    !atomic_load(&e->stop_requested)) {
			/* `reload`: the same process, a new pipeline */
			atomic_store(&e->stop, 0);
			atomic_store(&e->abort_now, 0);
			eng_teardown(e);
			eng_reload_apply(e);
			continue;
		}
		if (!atomic_load(&e->failed) || !e->o.stay_on_failure ||
		    atomic_load(&e->stop_requested)) {
			fl_board_set_phase(e->board, atomic_load(&e->failed)
			                                 ? FL_PHASE_ERROR
			                                 : FL_PHASE_STOPPED);
			break;
		}
		fl_board_set_phase(e->board, FL_PHASE_ERROR);
		atomic_store(&e->stop, 0);
		atomic_store(&e->abort_now, 0);
		if (!eng_wait_retry(e)) {
			fl_board_set_phase(e->board, FL_PHASE_ERROR);
			break;
		}
		eng_teardown(e);
		eng_reload_apply(e);
		fl_log_info("engine", "retrying: starting the pipeline again");
		fl_board_event(e->board, FL_LOG_INFO,
		               "retrying: starting the pipeline again");
	}
	e->exit_code = atomic_load(&e->failed) ? 1 : 0;
	eng_standby_release(e);
	eng_close_commands(e, "the engine has stopped");
	atomic_store(&e->finished, 1);
	return NULL;
}

/* ---- public API ------------------------------------------------------------ */

struct fl_engine *
fl_engine_new(const struct fl_engine_opts *o)
{
	struct fl_engine *e = fl_xcalloc(1, sizeof(*e));

	e->o = *o;
	e->cfg0 = o->cfg;
	if (e->o.workers < 1)
		e->o.workers = 1;
	e->be = o->backend ? o->backend : fl_engine_backend_real();
	e->board = o->board;
	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->sink_mu, NULL);
	pthread_mutex_init(&e->gen_mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	e->wake[0] = e->wake[1] = -1;
	return e;
}

int
fl_engine_start(struct fl_engine *e, struct fl_err *err)
{
	if (!(e->conninfo = fl_config_source_conninfo(e->o.cfg, err)))
		return -1;
	if (pipe(e->wake) < 0)
		return fl_err_sys(err, FL_ERR_IO, "pipe");
	fcntl(e->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(e->wake[1], F_SETFL, O_NONBLOCK);
	pthread_mutex_lock(&e->mu);
	e->running = 1;
	pthread_mutex_unlock(&e->mu);
	if (pthread_create(&e->control, NULL, eng_control_main, e) != 0) {
		pthread_mutex_lock(&e->mu);
		e->running = 0;
		pthread_mutex_unlock(&e->mu);
		return fl_err_set(err, FL_ERR_IO, "cannot start the engine");
	}
	e->started = 1;
	return 0;
}

const struct fl_config *
fl_engine_config(struct fl_engine *e)
{
	const struct fl_config *c;

	pthread_mutex_lock(&e->mu);
	c = e->o.cfg;
	pthread_mutex_unlock(&e->mu);
	return c;
}

void
fl_engine_source_names(const struct fl_engine *e, const char **slot,
                       const char **publication)
{
	*slot = e->o.slot;
	*publication = e->o.publication;
}

void
fl_engine_request_stop(struct fl_engine *e)
{
	int64_t none = 0;

	atomic_compare_exchange_strong(&e->stop_at_ms, &none, fl_mono_ms());
	atomic_store(&e->stop_requested, 1);
	atomic_store(&e->stop, 1);
	pthread_mutex_lock(&e->mu);
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	eng_poke(e);
}

void
fl_engine_abort(struct fl_engine *e)
{
	fl_engine_request_stop(e);
	atomic_store(&e->abort_now, 1);
	pthread_mutex_lock(&e->mu);
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

/* The grace period of a requested stop is over: cancel what still runs
 * (a control thread stuck in a command's sink call included). */
static void
eng_enforce_grace(struct fl_engine *e)
{
	int64_t at = atomic_load(&e->stop_at_ms);

	if (at && !atomic_load(&e->abort_now) &&
	    fl_mono_ms() > at + e->o.shutdown_grace_secs * 1000 + 500) {
		fl_log_warn("engine", "shutdown grace exceeded: cancelling");
		fl_engine_abort(e);
	}
}

uint64_t
fl_engine_heartbeat(struct fl_engine *e)
{
	return atomic_load(&e->heartbeat);
}

int
fl_engine_finished(struct fl_engine *e)
{
	if (atomic_load(&e->finished))
		return 1;
	eng_enforce_grace(e);
	return 0;
}

int
fl_engine_wait(struct fl_engine *e)
{
	if (!e->started)
		return e->exit_code;
	while (!atomic_load(&e->finished)) {
		eng_enforce_grace(e);
		poll(NULL, 0, 50);
	}
	pthread_join(e->control, NULL);
	e->started = 0;
	return e->exit_code;
}

void
fl_engine_free(struct fl_engine *e)
{
	if (!e)
		return;
	eng_teardown(e);
	eng_reload_free(e);
	if (e->wake[0] >= 0) {
		close(e->wake[0]);
		close(e->wake[1]);
	}
	pthread_mutex_destroy(&e->mu);
	pthread_mutex_destroy(&e->sink_mu);
	pthread_mutex_destroy(&e->gen_mu);
	pthread_cond_destroy(&e->cv);
	free(e->conninfo);
	free(e);
}
