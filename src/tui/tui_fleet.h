/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_fleet.h - the fleet view's model: several attached daemons
 * (`flusso tui --attach --server A,B`, `flusso status --server A,B`) as
 * one instances table and one merged index table, and which instance a
 * command about an index goes to.
 *
 * Owns: each instance's last snapshot, reachability (with the error and
 * since when), role and group, its own rate model; the merged snapshot
 * (the index rows of every reachable instance, with the instance each
 * row came from); routing an index name to an instance. Does not own
 * fetching (one tui_feed per instance does that), drawing, or running
 * commands. No curses, so it is unit-tested; used by one thread.
 */
#ifndef FL_TUI_FLEET_H
#define FL_TUI_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "core/status_board.h"
#include "tui_model.h"

#define FL_TUI_FLEET_MAX 16 /* instances of one view */

struct fl_tui_fleet_inst {
	char addr[128]; /* as given: "host:9465" */
	int reachable;  /* the last poll succeeded */
	int have_data;  /* some poll succeeded once */
	char why[256];  /* why not reachable ("connecting" before the first) */
	int64_t down_since_us;  /* Unix µs first seen down; 0 while up */
	char role[16];          /* "active" when /status has none */
	char group[64];         /* "" when /status has none */
	struct fl_status *st;   /* the last good snapshot (owned) */
	struct fl_tui_model *m; /* its rates (owned) */
	uint64_t last_seq;
};

struct fl_tui_fleet {
	size_t n;
	struct fl_tui_fleet_inst inst[FL_TUI_FLEET_MAX];
	/* after fl_tui_fleet_merge: merged row i came from inst[owner[i]] */
	int owner[FL_MAX_INDEXES];
	size_t dropped; /* index rows beyond FL_MAX_INDEXES, left out */
};

/* Split "a,b , c" in place into at most max trimmed, non-empty words.
 * Returns how many, or -1 when there are more than max. */
int fl_tui_fleet_split(char *list, char **out, size_t max);

/* n addresses (n <= FL_TUI_FLEET_MAX, copied). */
void fl_tui_fleet_init(struct fl_tui_fleet *f, const char *const *addrs,
                       size_t n);
void fl_tui_fleet_done(struct fl_tui_fleet *f);

/*
 * One poll's outcome for instance k: reachable with its snapshot st
 * (copied; role and group may be NULL or "": active, no group), or not
 * with why. t is monotonic seconds (rates), now_us Unix µs (since when).
 */
void fl_tui_fleet_update(struct fl_tui_fleet *f, size_t k, int reachable,
                         const char *why, const struct fl_status *st,
                         const char *role, const char *group, double t,
                         int64_t now_us);

/*
 * The merged snapshot *out (overwritten): the index rows of every
 * reachable instance in instance order (owner[] says whose; a row of a
 * globally paused instance is marked paused), counters summed, the
 * worst phase, the events of all instances by time ("[addr] msg").
 * Returns how many instances are reachable.
 */
size_t fl_tui_fleet_merge(struct fl_tui_fleet *f, struct fl_status *out);

/*
 * The instance a command about `index` goes to: one whose last snapshot
 * lists it, reachable first, then the active one (role "active") before
 * a standby, then the first given. -1 with a message in msg when no
 * instance lists it or every instance listing it is unreachable.
 */
int fl_tui_fleet_route(const struct fl_tui_fleet *f, const char *index,
                       char *msg, size_t n);

/* How many instances are unreachable now. */
size_t fl_tui_fleet_down(const struct fl_tui_fleet *f);

#endif
