/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_standby.c - hot standby: one instance per slot is active, the
 * others wait as standbys (share/STANDBY.md).
 *
 * Owns: the lock session (a PostgreSQL session-level advisory lock keyed
 * by the slot name, pg_lock.h), the standby loop (poll the lock, show
 * the holder, depose it past the lease), the beat thread of the active
 * instance (pings its lock session; on loss deposes this instance), and
 * the write fence the workers and sink calls consult.
 * Does not own: the pipeline's start and stop (engine.c restarts it as
 * a standby when deposed), the versions that make stale writes lose
 * (engine_worker.c, the OpenSearch writer).
 *
 * Being deposed: abort_now and stop are raised at once, so commits in
 * flight are abandoned and nothing they carried is confirmed; the
 * control thread then tears the pipeline down and waits as a standby.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/engine_int.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strutil.h"

#define ENG_STANDBY_POLL_MS 1000 /* a standby tries the lock this often */
#define ENG_BEAT_MS         500  /* the active pings its lock session */
#define ENG_FENCE_FRESH_MS  5000 /* writes need a ping this recent */
#define ENG_FENCE_WAIT_MS   2000 /* how long a write waits for a ping */

struct eng_role_arg {
	const char *role;
	const struct fl_pglock_holder *h;
	long pid;
	const char *host;
	int64_t since_us;
	long lease;
	int standby;
};

static void
eng_role_cb(void *arg, struct fl_status *st)
{
	const struct eng_role_arg *a = arg;

	fl_str_copy(st->role, sizeof(st->role), a->role);
	st->failover_after_secs = a->lease;
	if (a->h) {
		st->active_pid = a->h->found ? a->h->pid : 0;
		fl_str_copy(st->active_host, sizeof(st->active_host),
		            a->h->found ? a->h->host : "");
		fl_str_copy(st->active_client, sizeof(st->active_client),
		            a->h->found ? a->h->client : "");
		st->active_since_us = a->h->found ? a->h->since * 1000000 : 0;
	} else {
		st->active_pid = a->pid;
		fl_str_copy(st->active_host, sizeof(st->active_host),
		            a->host ? a->host : "");
		fl_str_copy(st->active_client, sizeof(st->active_client), "");
		st->active_since_us = a->since_us;
	}
	if (a->standby) {
		st->phase = FL_PHASE_STANDBY;
		st->waiting_for[0] = '\0';
	}
}

static void *
eng_beat_main(void *arg)
{
	struct fl_engine *e = arg;

	while (!atomic_load(&e->beat_stop)) {
		struct fl_err err;

		if (e->be->lock_ping(e->lock, &err) < 0) {
			if (atomic_load(&e->beat_stop))
				break;
			fl_log_error("standby",
			             "lost the lock of slot \"%s\" (%s): "
			             "stopping writes, rejoining as a standby",
			             e->o.slot, err.msg);
			fl_board_error(e->board,
			               "deposed: lost the lock of slot %s (%s)",
			               e->o.slot, err.msg);
			atomic_store(&e->deposed, 1);
			atomic_store(&e->abort_now, 1);
			atomic_store(&e->stop, 1);
			pthread_mutex_lock(&e->mu);
			pthread_cond_broadcast(&e->cv);
			pthread_mutex_unlock(&e->mu);
			eng_poke(e);
			break;
		}
		atomic_store(&e->lease_ok_ms, fl_mono_ms());
		fl_sleep_unless(ENG_BEAT_MS, &e->beat_stop);
	}
	return NULL;
}

int
eng_standby_deposed(struct fl_engine *e)
{
	return atomic_load(&e->deposed);
}

void
eng_standby_release(struct fl_engine *e)
{
	if (e->beat_started) {
		atomic_store(&e->beat_stop, 1);
		pthread_join(e->beat, NULL);
		e->beat_started = 0;
	}
	if (e->lock)
		e->be->session_close(e->lock); /* lets go of the lock */
	e->lock = NULL;
	atomic_store(&e->beat_stop, 0);
	atomic_store(&e->deposed, 0);
}

int
eng_fence_ok(struct fl_engine *e)
{
	int64_t fresh = ENG_FENCE_FRESH_MS, end;

	if (!e->be->lock_try)
		return 1;
	if (e->o.failover_after_secs > 0 &&
	    e->o.failover_after_secs * 500 < fresh)
		fresh = e->o.failover_after_secs * 500; /* half the lease */
	end = fl_mono_ms() + ENG_FENCE_WAIT_MS;
	for (;;) {
		int64_t now = fl_mono_ms();

		if (atomic_load(&e->deposed) || atomic_load(&e->abort_now))
			return 0;
		if (now - atomic_load(&e->lease_ok_ms) <= fresh)
			return 1;
		if (now >= end) /* no ping for a while: not now */
			return 0;
		poll(NULL, 0, 20);
	}
}

/* Took the lock: note it, start the beat. */
static int
eng_became_active(struct fl_engine *e, int64_t since_us, const char *host,
                  int was_standby)
{
	struct eng_role_arg a = { 0 };

	atomic_store(&e->lease_ok_ms, fl_mono_ms());
	atomic_store(&e->beat_stop, 0);
	if (pthread_create(&e->beat, NULL, eng_beat_main, e) != 0) {
		eng_fatal(e, "cannot start the lock beat thread");
		return -1;
	}
	e->beat_started = 1;
	a.role = "active";
	a.pid = (long)getpid();
	a.host = host;
	a.since_us = since_us;
	a.lease = e->o.failover_after_secs;
	fl_board_update(e->board, eng_role_cb, &a);
	fl_log_info("standby", "active on slot \"%s\"%s", e->o.slot,
	            was_standby ? " (took over)" : "");
	fl_board_event(e->board, FL_LOG_INFO, "active on slot %s%s", e->o.slot,
	               was_standby ? " (took over)" : "");
	return 0;
}

/* Show the holder; depose it past the lease. 1 when deposed. */
static int
eng_standby_watch(struct fl_engine *e, int *noted, int64_t *depose_ms)
{
	struct fl_pglock_holder h;
	struct eng_role_arg a = { 0 };
	struct fl_err err;

	if (e->be->lock_holder(e->lock, e->o.slot, &h, &err) < 0) {
		fl_log_warn("standby", "%s", err.msg);
		return 0;
	}
	a.role = "standby";
	a.h = &h;
	a.lease = e->o.failover_after_secs;
	a.standby = 1;
	fl_board_update(e->board, eng_role_cb, &a);
	if (!*noted && h.found) {
		fl_log_info("standby",
		            "standby: slot \"%s\" is held by pid %ld on %s "
		            "(%s)",
		            e->o.slot, h.pid, h.host[0] ? h.host : "?",
		            h.client);
		fl_board_event(e->board, FL_LOG_INFO,
		               "standby: slot %s is held by pid %ld on %s",
		               e->o.slot, h.pid, h.host[0] ? h.host : "?");
		*noted = 1;
	}
	if (!fl_pglock_lease_expired(&h, e->o.failover_after_secs))
		return 0;
	if (fl_mono_ms() < *depose_ms) /* deposed already: let it go */
		return 0;
	fl_log_warn("standby",
	            "the active instance (pid %ld on %s) did not answer "
	            "for %.0f s (lease %ld s): terminating its sessions "
	            "and taking over",
	            h.pid, h.host[0] ? h.host : "?", h.idle_secs,
	            e->o.failover_after_secs);
	fl_board_event(e->board, FL_LOG_WARN,
	               "deposing the active instance (pid %ld on %s): no "
	               "answer for %.0f s",
	               h.pid, h.host[0] ? h.host : "?", h.idle_secs);
	if (e->be->lock_depose(e->lock, &h, &err) < 0) {
		fl_log_warn("standby", "%s", err.msg);
		return 0;
	}
	*depose_ms = fl_mono_ms() + 5000;
	return 1;
}

int
eng_standby_wait(struct fl_engine *e)
{
	char host[64] = "", tag[64];
	int noted = 0, was_standby = 0;
	int64_t depose_ms = 0;

	if (!e->be->lock_try)
		return 0; /* no coordination */
	if (e->lock && !atomic_load(&e->deposed))
		return 0; /* still active (a reload, a retry) */
	eng_standby_release(e);
	if (gethostname(host, sizeof(host) - 1) < 0)
		fl_str_copy(host, sizeof(host), "?");
	while (!atomic_load(&e->stop)) {
		struct fl_err err;
		int got = 0;
		int64_t since_us = fl_wall_us();

		eng_alive(e);
		if (!e->lock && !(e->lock = eng_connect(e, "flusso-lock")))
			return -1;
		fl_pglock_tag(tag, sizeof(tag), (long)getpid(),
		              (long long)(since_us / 1000000), host);
		if (e->be->lock_try(e->lock, e->o.slot, tag, &got, &err) < 0) {
			eng_waiting(e, "postgres", err.msg);
			e->be->session_close(e->lock);
			e->lock = NULL;
		} else if (got) {
			eng_recovered(e, "postgres");
			return eng_became_active(e, since_us, host,
			                         was_standby);
		} else {
			eng_recovered(e, "postgres");
			was_standby = 1;
			if (eng_standby_watch(e, &noted, &depose_ms))
				continue; /* try the lock again at once */
		}
		for (int ms = 0; ms < ENG_STANDBY_POLL_MS; ms += 250) {
			eng_alive(e);
			if (fl_sleep_unless(250, &e->stop))
				return -1;
		}
	}
	return -1;
}
