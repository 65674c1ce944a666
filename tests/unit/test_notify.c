/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_notify.c - the systemd status line of `flusso run` (notify.c,
 * issue 19): each phase, the lag in bytes and seconds, the indexes and
 * those held, backfill progress, which phases count as ready; and that
 * without NOTIFY_SOCKET nothing is set up.
 */
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "tap.h"

static struct fl_status t_st;

static void
t_index(const char *name, enum fl_ixstate state, int backfill, long done,
        long estimate)
{
	struct fl_status_index *x = &t_st.indexes[t_st.nindexes++];

	snprintf(x->name, sizeof(x->name), "%s", name);
	x->enabled = 1;
	x->state = state;
	x->backfill_active = backfill;
	x->rows_done = done;
	x->rows_estimate = estimate;
}

TAP_TEST(test_phases)
{
	char line[256];

	memset(&t_st, 0, sizeof(t_st));
	t_st.phase = FL_PHASE_STARTING;
	ok(!fl_notify_status_line(&t_st, line, sizeof(line)),
	   "starting is not ready");
	is_str(line, "starting", "starting");
	t_index("users", FL_IX_LIVE, 0, 0, -1);
	t_index("orders", FL_IX_LIVE, 0, 0, -1);
	t_index("products", FL_IX_LIVE, 0, 0, -1);
	t_st.phase = FL_PHASE_LIVE;
	t_st.lag_known = 1;
	ok(fl_notify_status_line(&t_st, line, sizeof(line)), "live is ready");
	is_str(line, "live, lag 0 B / 0.0 s, 3 indexes", "live");
	t_st.lag_bytes = 1234567;
	t_st.lag_seconds = 2.25;
	t_st.indexes[1].state = FL_IX_STOPPED;
	fl_notify_status_line(&t_st, line, sizeof(line));
	is_str(line, "live, lag 1.2 MB / 2.2 s, 3 indexes (1 held)",
	       "lag in MB, a held index");
	t_st.phase = FL_PHASE_BACKFILLING;
	t_st.lag_known = 0;
	t_st.indexes[1].state = FL_IX_BACKFILLING;
	t_st.indexes[1].backfill_active = 1;
	t_st.indexes[1].rows_done = 40;
	t_st.indexes[1].rows_estimate = 100;
	t_st.indexes[2].backfill_active = 1;
	ok(fl_notify_status_line(&t_st, line, sizeof(line)),
	   "backfilling is ready");
	is_str(line, "backfilling orders 40%, products, 3 indexes",
	       "backfilling with progress where it is known");
	t_st.phase = FL_PHASE_WAITING;
	snprintf(t_st.waiting_for, sizeof(t_st.waiting_for), "postgres");
	ok(fl_notify_status_line(&t_st, line, sizeof(line)),
	   "waiting for a service counts as ready");
	is_str(line, "waiting for postgres, 3 indexes", "waiting");
	t_st.phase = FL_PHASE_ERROR;
	snprintf(t_st.last_error, sizeof(t_st.last_error), "slot dropped");
	ok(!fl_notify_status_line(&t_st, line, sizeof(line)),
	   "error is not ready");
	is_str(line, "error: slot dropped", "error");
	t_st.phase = FL_PHASE_STOPPING;
	ok(!fl_notify_status_line(&t_st, line, sizeof(line)),
	   "stopping is not ready");
	is_str(line, "stopping", "stopping");
	memset(t_st.last_error, 'x', sizeof(t_st.last_error) - 1);
	t_st.phase = FL_PHASE_ERROR;
	fl_notify_status_line(&t_st, line, 32);
	is_long((long)strlen(line), 31, "truncated to the buffer");
}

TAP_TEST(test_standby)
{
	char line[256];

	memset(&t_st, 0, sizeof(t_st));
	t_st.phase = FL_PHASE_STANDBY;
	ok(fl_notify_status_line(&t_st, line, sizeof(line)),
	   "a standby is healthy: READY=1");
	is_str(line, "standby", "standby, active unknown");
	t_st.active_pid = 4242;
	snprintf(t_st.active_host, sizeof(t_st.active_host), "db-1");
	fl_notify_status_line(&t_st, line, sizeof(line));
	is_str(line, "standby, active: pid 4242 on db-1",
	       "standby names the active instance");
}

TAP_TEST(test_off)
{
	struct fl_notify n;

	unsetenv("NOTIFY_SOCKET");
	fl_notify_init(&n);
	ok(!n.on && !n.snap && !n.wd_ms, "without NOTIFY_SOCKET: off");
	fl_notify_stopping(&n, "stopping");
	ok(!n.stopping, "stopping does nothing");
	fl_notify_done(&n);
}

int
main(void)
{
	tap_run(test_phases);
	tap_run(test_standby);
	tap_run(test_off);
	return tap_done();
}
