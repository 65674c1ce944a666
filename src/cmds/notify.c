/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * notify.c - the systemd notify protocol for `flusso run` (see
 * notify.h). The engine never sees libsystemd: this file reads its
 * status board and its heartbeat from the thread that waits on it.
 */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/xmem.h"

#define NOTIFY_STATUS_MS 2000 /* STATUS= at most this often in a phase */

/* Append to out (length *len, size n), truncating silently. */
static void FL_PRINTF(4, 5)
    notify_add(char *out, size_t n, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*len + 1 >= n)
		return;
	va_start(ap, fmt);
	w = vsnprintf(out + *len, n - *len, fmt, ap);
	va_end(ap);
	if (w > 0)
		*len = *len + (size_t)w < n ? *len + (size_t)w : n - 1;
}

static void
notify_bytes(char *out, size_t n, size_t *len, int64_t b)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB" };
	double v = (double)b;
	size_t u = 0;

	if (b < 1000) {
		notify_add(out, n, len, "%lld B", (long long)b);
		return;
	}
	v /= 1000;
	while (v >= 1000 && u + 1 < FL_ARRAY_LEN(units)) {
		v /= 1000;
		u++;
	}
	notify_add(out, n, len, "%.1f %s", v, units[u]);
}

/* The indexes being seeded, with their progress when it is known. */
static void
notify_backfills(const struct fl_status *st, char *out, size_t n, size_t *len)
{
	size_t i, k = 0;

	for (i = 0; i < st->nindexes; i++) {
		const struct fl_status_index *x = &st->indexes[i];

		if (!x->backfill_active)
			continue;
		notify_add(out, n, len, "%s%s", k++ ? ", " : " ", x->name);
		if (x->rows_estimate > 0) {
			int64_t pct = x->rows_done * 100 / x->rows_estimate;

			notify_add(out, n, len, " %lld%%",
			           (long long)(pct > 100 ? 100 : pct));
		}
	}
}

int
fl_notify_status_line(const struct fl_status *st, char *out, size_t n)
{
	size_t len = 0, i, nix = 0, held = 0;
	int ready = 0;

	out[0] = '\0';
	switch (st->phase) {
	case FL_PHASE_WAITING:
		notify_add(out, n, &len, "waiting for %s",
		           st->waiting_for[0] ? st->waiting_for : "a service");
		ready = 1;
		break;
	case FL_PHASE_BACKFILLING:
		notify_add(out, n, &len, "backfilling");
		notify_backfills(st, out, n, &len);
		ready = 1;
		break;
	case FL_PHASE_LIVE:
	case FL_PHASE_PAUSED:
		notify_add(out, n, &len, "%s", fl_phase_name(st->phase));
		ready = 1;
		break;
	case FL_PHASE_STANDBY: /* healthy, waiting to take over */
		notify_add(out, n, &len, "standby");
		if (st->active_pid)
			notify_add(out, n, &len, ", active: pid %ld on %s",
			           st->active_pid,
			           st->active_host[0] ? st->active_host : "?");
		return 1;
	case FL_PHASE_ERROR:
		notify_add(out, n, &len, "error%s%s",
		           st->last_error[0] ? ": " : "", st->last_error);
		return 0;
	default:
		notify_add(out, n, &len, "%s", fl_phase_name(st->phase));
		return 0;
	}
	if (st->lag_known) {
		notify_add(out, n, &len, ", lag ");
		notify_bytes(out, n, &len, st->lag_bytes);
		notify_add(out, n, &len, " / %.1f s", st->lag_seconds);
	}
	for (i = 0; i < st->nindexes; i++) {
		if (!st->indexes[i].enabled)
			continue;
		nix++;
		if (st->indexes[i].state == FL_IX_PAUSED ||
		    st->indexes[i].state == FL_IX_STOPPED ||
		    st->indexes[i].state == FL_IX_DRIFT)
			held++;
	}
	notify_add(out, n, &len, ", %zu index%s", nix, nix == 1 ? "" : "es");
	if (held)
		notify_add(out, n, &len, " (%zu held)", held);
	return ready;
}

static void
notify_send(const char *msg)
{
	int rc = sd_notify(0, msg);

	if (rc < 0)
		fl_log_debug("systemd", "sd_notify: %s", strerror(-rc));
}

void
fl_notify_init(struct fl_notify *n)
{
	uint64_t usec = 0;

	memset(n, 0, sizeof(*n));
	n->st_phase = -1;
	if (!getenv("NOTIFY_SOCKET"))
		return;
	n->on = 1;
	n->snap = fl_xmalloc(sizeof(*n->snap));
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->wd_ms = (int64_t)(usec / 2000);
		if (n->wd_ms < 1)
			n->wd_ms = 1;
		n->wd_last = fl_mono_ms();
		fl_log_info("systemd", "watchdog every %lld ms",
		            (long long)n->wd_ms);
	}
}

static void
notify_status(struct fl_notify *n, const char *prefix, const char *line,
              int64_t now)
{
	char msg[320];

	snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, line);
	notify_send(msg);
	snprintf(n->status, sizeof(n->status), "%s", line);
	n->st_phase = (int)n->snap->phase;
	n->st_next = now + NOTIFY_STATUS_MS;
}

/* WATCHDOG=1 at half the interval, only when the control thread moved. */
static void
notify_watchdog(struct fl_notify *n, struct fl_engine *e, int64_t now)
{
	uint64_t beat;

	if (!n->wd_ms || now - n->wd_last < n->wd_ms)
		return;
	beat = fl_engine_heartbeat(e);
	if (beat == n->wd_beat) {
		/* a whole interval without a ping: systemd is about to
		 * restart us (before READY the watchdog is not armed) */
		if (n->ready && !n->wd_warned &&
		    now - n->wd_last >= 2 * n->wd_ms) {
			fl_log_warn("systemd",
			            "the engine's control thread has not moved "
			            "for %lld ms: no watchdog ping",
			            (long long)(now - n->wd_last));
			n->wd_warned = 1;
		}
		return;
	}
	notify_send("WATCHDOG=1");
	n->wd_beat = beat;
	n->wd_warned = 0;
	n->wd_last = now;
}

void
fl_notify_tick(struct fl_notify *n, struct fl_engine *e, struct fl_board *b)
{
	char line[256];
	int64_t now;
	int ready;

	if (!n->on)
		return;
	now = fl_mono_ms();
	fl_board_snapshot(b, n->snap);
	ready = fl_notify_status_line(n->snap, line, sizeof(line));
	if (ready && !n->ready && !n->stopping) {
		notify_status(n, "READY=1\n", line, now);
		n->ready = 1;
	} else if (strcmp(line, n->status) != 0 &&
	           ((int)n->snap->phase != n->st_phase || now >= n->st_next)) {
		notify_status(n, "", line, now);
	}
	notify_watchdog(n, e, now);
}

void
fl_notify_stopping(struct fl_notify *n, const char *status)
{
	char msg[320];

	if (!n->on || n->stopping)
		return;
	n->stopping = 1;
	if (!status) {
		notify_send("STOPPING=1");
		return;
	}
	snprintf(msg, sizeof(msg), "STOPPING=1\nSTATUS=%s", status);
	notify_send(msg);
	snprintf(n->status, sizeof(n->status), "%s", status);
	n->st_next = fl_mono_ms() + NOTIFY_STATUS_MS;
}

void
fl_notify_done(struct fl_notify *n)
{
	free(n->snap);
	n->snap = NULL;
	n->on = 0;
}
