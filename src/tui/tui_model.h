/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_model.h - the values the dashboard derives from a sequence of status
 * snapshots (dashboard.md §3.1): rates over a 5 s window, 60-sample
 * sparklines, the lag trend over 2 minutes with its drain ETA, per-index
 * docs/s and backfill ETA, and the status word.
 *
 * Owns: the sample history. Does not own the snapshots (the caller's) or
 * drawing. No curses, so it is unit-tested; used by the UI thread only.
 */
#ifndef FL_TUI_MODEL_H
#define FL_TUI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/status_board.h"
#include "tui_fmt.h"

#define FL_TUI_SPARK  60  /* sparkline samples */
#define FL_TUI_POINTS 256 /* counter history (covers 2 min at 0.5 s) */

struct fl_tui_point {
	double t; /* monotonic seconds */
	uint64_t captured, committed;
	int lag_known;
	double lag_bytes;
	uint64_t ix_docs[FL_MAX_INDEXES];
	int64_t ix_rows[FL_MAX_INDEXES];
};

struct fl_tui_model {
	/* input history, oldest first in a ring */
	struct fl_tui_point pts[FL_TUI_POINTS];
	size_t head, n;
	char names[FL_MAX_INDEXES][64];
	size_t nnames;
	/* sparklines, oldest first */
	double cap_rate[FL_TUI_SPARK], com_rate[FL_TUI_SPARK];
	double ix_rate[FL_MAX_INDEXES][FL_TUI_SPARK];
	size_t nspark;
	/* derived, valid after fl_tui_model_add */
	double captured_ps, committed_ps;
	double ix_docs_ps[FL_MAX_INDEXES];
	double ix_eta[FL_MAX_INDEXES]; /* backfill ETA seconds, -1 unknown */
	double lag_slope;              /* bytes per second */
	enum fl_tui_trend trend;
	double eta;    /* drain ETA seconds, -1 when not shown */
	double p95_ms; /* in-process: from the flush histogram; -1 unknown */
	uint64_t prev_buckets[FL_STATUS_FLUSH_BUCKETS + 1];
};

void fl_tui_model_init(struct fl_tui_model *m);
/* Add a snapshot taken at monotonic time t (seconds). */
void fl_tui_model_add(struct fl_tui_model *m, const struct fl_status *st,
                      double t);

/*
 * The status word, first match of dashboard.md §3.1: "connecting…" when
 * the status is unreachable, then waiting for OpenSearch/PostgreSQL,
 * paused, falling behind, draining, busy, keeping up. Returns a static
 * string; *level gets 0 ok, 1 warning, 2 error, 3 paused, 4 dim.
 */
const char *fl_tui_status_word(const struct fl_tui_model *m,
                               const struct fl_status *st, int reachable,
                               int ascii, int *level);

/* Backfill percent of an index row, -1 when unknown. */
double fl_tui_backfill_pct(const struct fl_status_index *x);

#endif
