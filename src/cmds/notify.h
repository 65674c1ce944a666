/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * notify.h - `flusso run` under systemd: the notify protocol
 * (sd_notify(3)) for a Type=notify unit. READY=1 once the engine is
 * ready or waiting for a service, STATUS= with the phase and the lag,
 * WATCHDOG=1 while the engine's control thread proves it is alive (its
 * heartbeat moved), STOPPING=1 on shutdown.
 *
 * Owns: the only use of libsystemd, the status line, when to send what.
 * Does not own: the engine (read through its board and its heartbeat),
 * signals (cmd_run.c). Without NOTIFY_SOCKET every call does nothing.
 */
#ifndef FL_NOTIFY_H
#define FL_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/status_board.h"

struct fl_notify {
	int on;           /* NOTIFY_SOCKET is set */
	int ready;        /* READY=1 sent */
	int stopping;     /* STOPPING=1 sent */
	int64_t wd_ms;    /* the watchdog interval / 2, 0: no watchdog */
	int64_t wd_last;  /* monotonic ms of the last WATCHDOG=1 (or start) */
	uint64_t wd_beat; /* the heartbeat at the last WATCHDOG=1 */
	int wd_warned;    /* the heartbeat stood still: said once */
	int64_t st_next;  /* monotonic ms before which STATUS waits */
	int st_phase;     /* the phase of the last STATUS= */
	char status[256]; /* the last STATUS= */
	struct fl_status *snap;
};

/* Read NOTIFY_SOCKET and the watchdog (WATCHDOG_USEC, WATCHDOG_PID). */
void fl_notify_init(struct fl_notify *n);
/*
 * Every few hundred ms from the thread that waits on the engine: READY
 * once, STATUS when it changed (a new phase at once, else at most every
 * 2 s), WATCHDOG at half the interval when the heartbeat moved.
 */
void fl_notify_tick(struct fl_notify *n, struct fl_engine *e,
                    struct fl_board *b);
/* STOPPING=1 (once), with a new status unless it is NULL. */
void fl_notify_stopping(struct fl_notify *n, const char *status);
void fl_notify_done(struct fl_notify *n);

/*
 * The status line of a snapshot ("live, lag 0 B / 0.0 s, 3 indexes",
 * "backfilling users 40%, ...", "waiting for postgres"). Returns 1 when
 * the phase counts as ready (waiting, backfilling, live, paused).
 */
int fl_notify_status_line(const struct fl_status *st, char *out, size_t n);

#endif
