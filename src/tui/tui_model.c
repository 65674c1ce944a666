/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_model.c - derived values from successive snapshots: rates, trend,
 * ETAs, sparklines, the status word. A counter that goes backwards (a
 * restarted daemon) clears the history.
 */
#include "tui_model.h"

#include <string.h>

#define MODEL_RATE_WINDOW 5.0  /* seconds */
#define MODEL_LAG_WINDOW  120. /* seconds */
#define MODEL_ETA_WINDOW  60.0 /* seconds */

void
fl_tui_model_init(struct fl_tui_model *m)
{
	memset(m, 0, sizeof(*m));
	m->eta = -1;
	m->p95_ms = -1;
}

static const struct fl_tui_point *
model_pt(const struct fl_tui_model *m, size_t i)
{
	return &m->pts[(m->head + i) % FL_TUI_POINTS];
}

/* The oldest point no older than `window` before the newest. */
static const struct fl_tui_point *
model_since(const struct fl_tui_model *m, double window)
{
	const struct fl_tui_point *last = model_pt(m, m->n - 1);
	size_t i;

	for (i = 0; i + 1 < m->n; i++)
		if (last->t - model_pt(m, i)->t <= window + 1e-9)
			return model_pt(m, i);
	return last;
}

static int
model_names_changed(const struct fl_tui_model *m, const struct fl_status *st)
{
	size_t i;

	if (m->nnames != st->nindexes)
		return 1;
	for (i = 0; i < st->nindexes; i++)
		if (strcmp(m->names[i], st->indexes[i].name))
			return 1;
	return 0;
}

/* Reset when the index list changed or a counter went backwards. */
static void
model_maybe_reset(struct fl_tui_model *m, const struct fl_status *st)
{
	const struct fl_tui_point *last;
	size_t i;

	if (m->n == 0)
		goto names;
	last = model_pt(m, m->n - 1);
	if (!model_names_changed(m, st) &&
	    st->changes_captured >= last->captured &&
	    st->changes_committed >= last->committed)
		return;
	fl_tui_model_init(m);
names:
	m->nnames = st->nindexes;
	for (i = 0; i < st->nindexes; i++)
		memcpy(m->names[i], st->indexes[i].name, sizeof(m->names[i]));
}

static void
model_push(struct fl_tui_model *m, const struct fl_status *st, double t)
{
	struct fl_tui_point *p;
	size_t i;

	if (m->n == FL_TUI_POINTS) {
		m->head = (m->head + 1) % FL_TUI_POINTS;
		m->n--;
	}
	p = &m->pts[(m->head + m->n) % FL_TUI_POINTS];
	m->n++;
	memset(p, 0, sizeof(*p));
	p->t = t;
	p->captured = st->changes_captured;
	p->committed = st->changes_committed;
	p->lag_known = st->lag_known;
	p->lag_bytes = (double)st->lag_bytes;
	for (i = 0; i < st->nindexes; i++) {
		p->ix_docs[i] = st->indexes[i].documents_built;
		p->ix_rows[i] = st->indexes[i].rows_done;
	}
}

static double
model_rate(double now_v, double then_v, double dt)
{
	return dt > 0 && now_v >= then_v ? (now_v - then_v) / dt : 0;
}

static void
model_spark_push(double *ring, size_t nspark, double v)
{
	if (nspark == FL_TUI_SPARK)
		memmove(ring, ring + 1, (FL_TUI_SPARK - 1) * sizeof(*ring));
	ring[nspark == FL_TUI_SPARK ? FL_TUI_SPARK - 1 : nspark] = v;
}

static void
model_lag(struct fl_tui_model *m)
{
	double x[FL_TUI_POINTS], y[FL_TUI_POINTS];
	const struct fl_tui_point *last = model_pt(m, m->n - 1);
	size_t i, k = 0;

	for (i = 0; i < m->n; i++) {
		const struct fl_tui_point *p = model_pt(m, i);

		if (p->lag_known && last->t - p->t <= MODEL_LAG_WINDOW) {
			x[k] = p->t - last->t;
			y[k++] = p->lag_bytes;
		}
	}
	m->lag_slope = fl_tui_slope(x, y, k);
	m->trend = fl_tui_trend_of(m->lag_slope);
	m->eta = last->lag_known
	             ? fl_tui_drain_eta(last->lag_bytes, m->lag_slope)
	             : -1;
}

static void
model_indexes(struct fl_tui_model *m, const struct fl_status *st)
{
	const struct fl_tui_point *last = model_pt(m, m->n - 1);
	const struct fl_tui_point *w5 = model_since(m, MODEL_RATE_WINDOW);
	const struct fl_tui_point *w60 = model_since(m, MODEL_ETA_WINDOW);
	size_t i;

	for (i = 0; i < st->nindexes && i < FL_MAX_INDEXES; i++) {
		const struct fl_status_index *x = &st->indexes[i];
		double rows_ps =
		    model_rate((double)last->ix_rows[i],
		               (double)w60->ix_rows[i], last->t - w60->t);

		m->ix_docs_ps[i] =
		    model_rate((double)last->ix_docs[i], (double)w5->ix_docs[i],
		               last->t - w5->t);
		model_spark_push(m->ix_rate[i], m->nspark, m->ix_docs_ps[i]);
		m->ix_eta[i] = -1;
		if (x->backfill_active && x->rows_estimate > 0 && rows_ps > 0 &&
		    x->rows_estimate > x->rows_done)
			m->ix_eta[i] =
			    (double)(x->rows_estimate - x->rows_done) / rows_ps;
	}
}

/* p95 flush from the histogram deltas (the in-process board has it). */
static void
model_p95(struct fl_tui_model *m, const struct fl_status *st)
{
	uint64_t d[FL_STATUS_FLUSH_BUCKETS], total;
	size_t i;

	total = st->flush_count - m->prev_buckets[FL_STATUS_FLUSH_BUCKETS];
	for (i = 0; i < FL_STATUS_FLUSH_BUCKETS; i++) {
		d[i] = st->flush_buckets[i] - m->prev_buckets[i];
		m->prev_buckets[i] = st->flush_buckets[i];
	}
	m->prev_buckets[FL_STATUS_FLUSH_BUCKETS] = st->flush_count;
	if (st->flush_count == 0 || total == 0 || total > st->flush_count)
		return; /* keep the last value while idle */
	m->p95_ms = -1;
	for (i = 0; i < FL_STATUS_FLUSH_BUCKETS; i++)
		if ((double)d[i] >= 0.95 * (double)total) {
			m->p95_ms = fl_status_flush_bounds[i] * 1000;
			return;
		}
}

void
fl_tui_model_add(struct fl_tui_model *m, const struct fl_status *st, double t)
{
	const struct fl_tui_point *last, *w5;

	model_maybe_reset(m, st);
	model_push(m, st, t);
	last = model_pt(m, m->n - 1);
	w5 = model_since(m, MODEL_RATE_WINDOW);
	m->captured_ps = model_rate((double)last->captured,
	                            (double)w5->captured, last->t - w5->t);
	m->committed_ps = model_rate((double)last->committed,
	                             (double)w5->committed, last->t - w5->t);
	model_spark_push(m->cap_rate, m->nspark, m->captured_ps);
	model_spark_push(m->com_rate, m->nspark, m->committed_ps);
	model_indexes(m, st);
	if (m->nspark < FL_TUI_SPARK)
		m->nspark++;
	model_lag(m);
	model_p95(m, st);
}

const char *
fl_tui_status_word(const struct fl_tui_model *m, const struct fl_status *st,
                   int reachable, int ascii, int *level)
{
	*level = 0;
	if (!reachable) {
		*level = 4;
		return ascii ? "connecting..." : "connecting\u2026";
	}
	if (st->phase == FL_PHASE_ERROR || st->phase == FL_PHASE_STOPPED) {
		*level = 2;
		return st->phase == FL_PHASE_ERROR ? "stopped on an error"
		                                   : "stopped";
	}
	if (strcmp(st->waiting_for, "opensearch") == 0 ||
	    strcmp(st->waiting_for, "postgres") == 0) {
		*level = 1;
		return st->waiting_for[0] == 'o' ? "waiting for OpenSearch"
		                                 : "waiting for PostgreSQL";
	}
	if (st->paused) {
		*level = 3;
		return "paused";
	}
	if (m->trend == FL_TUI_UP) {
		*level = 2;
		return "falling behind";
	}
	if (m->eta >= 0) {
		*level = 1;
		return "draining";
	}
	if (st->in_flight >= 512) {
		*level = 1;
		return "busy";
	}
	return "keeping up";
}

double
fl_tui_backfill_pct(const struct fl_status_index *x)
{
	double p;

	if (!x->backfill_active || x->rows_estimate <= 0)
		return -1;
	p = 100.0 * (double)x->rows_done / (double)x->rows_estimate;
	return p > 100 ? 100 : p;
}
