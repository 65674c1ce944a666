/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_draw_header.c - the four header rows: phase (coloured), uptime,
 * replication and sink state, errors and badges; slot lag with trend and
 * drain ETA, in-flight; the captured/s and committed/s sparklines, flush
 * times; the status word.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "tui_fmt.h"
#include "tui_int.h"

/* Print at *x on row y with an attribute; advance *x. */
static void tui_seg(const struct tui *t, int y, int *x, enum tui_sem sem,
                    const char *fmt, ...) FL_PRINTF(5, 6);

static void
tui_seg(const struct tui *t, int y, int *x, enum tui_sem sem, const char *fmt,
        ...)
{
	char s[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (*x >= COLS)
		return;
	attron(tui_attr(t, sem));
	tui_put(y, *x, COLS - *x, s);
	attroff(tui_attr(t, sem));
	*x += fl_tui_width(s);
}

enum tui_sem
tui_phase_sem(enum fl_phase p)
{
	switch (p) {
	case FL_PHASE_LIVE:
		return TUI_OK;
	case FL_PHASE_BACKFILLING:
	case FL_PHASE_WAITING:
		return TUI_WARN;
	case FL_PHASE_PAUSED:
		return TUI_PAUSED;
	case FL_PHASE_ERROR:
	case FL_PHASE_STOPPED:
		return TUI_ERROR;
	default:
		return TUI_DIM;
	}
}

static enum tui_sem
tui_state_sem(const char *s)
{
	if (strcmp(s, "ok") == 0 || strcmp(s, "streaming") == 0)
		return TUI_OK;
	if (strcmp(s, "error") == 0)
		return TUI_ERROR;
	return TUI_WARN;
}

static void
tui_upper(const char *in, char *out, size_t n)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < n; i++)
		out[i] =
		    (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]);
	out[i] = '\0';
}

/* " nodes 1/2 up" after a sink with several nodes, or with one down. */
static void
tui_nodes(struct tui *t, int y, int *x, const struct fl_status_sink *s)
{
	size_t j, up = 0;

	for (j = 0; j < s->nnodes; j++)
		up += s->nodes[j].up != 0;
	if (s->nnodes > 1 || up < s->nnodes)
		tui_seg(t, y, x, up < s->nnodes ? TUI_WARN : TUI_NORMAL,
		        " nodes %zu/%zu up", up, s->nnodes);
}

static void
tui_row_title(struct tui *t, int y)
{
	const struct fl_status *st = t->st;
	const char *sep = t->ascii ? " - " : " \u2500 ";
	char up[32], ph[32];
	int x = 0;
	size_t i;

	fl_tui_fmt_duration((double)(fl_status_now_us() - st->started_us) / 1e6,
	                    t->ascii, up, sizeof(up));
	tui_upper(t->have_data ? fl_phase_name(st->phase) : "connecting", ph,
	          sizeof(ph));
	tui_seg(t, y, &x, TUI_NORMAL, "flusso %s%s",
	        st->version[0] ? st->version : FLUSSO_VERSION, sep);
	tui_seg(t, y, &x, t->have_data ? tui_phase_sem(st->phase) : TUI_DIM,
	        "%s", ph);
	if (!t->have_data) {
		tui_seg(t, y, &x, TUI_NORMAL, "%s%s", sep, t->o->source_name);
		return;
	}
	if (strcmp(st->role, "active") == 0 && st->phase != FL_PHASE_STANDBY)
		tui_seg(t, y, &x, TUI_OK, " ACTIVE");
	else if (st->phase == FL_PHASE_STANDBY && st->active_pid)
		tui_seg(t, y, &x, TUI_DIM, " (active: pid %ld on %s)",
		        st->active_pid,
		        st->active_host[0] ? st->active_host : "?");
	if (st->paused && st->phase != FL_PHASE_PAUSED)
		tui_seg(t, y, &x, TUI_PAUSED, " PAUSED");
	if (t->o->readonly)
		tui_seg(t, y, &x, TUI_WARN, " READONLY");
	if (t->frozen)
		tui_seg(t, y, &x, TUI_WARN, " FROZEN");
	if (!t->reachable)
		tui_seg(t, y, &x, TUI_ERROR, " STALE");
	tui_seg(t, y, &x, TUI_NORMAL, "%sup %s%s", sep, up, sep);
	tui_seg(t, y, &x, st->errors ? TUI_ERROR : TUI_NORMAL, "errors %llu",
	        (unsigned long long)st->errors);
	tui_seg(t, y, &x, TUI_NORMAL, "%sslot %s (", sep,
	        st->slot[0] ? st->slot : "?");
	tui_seg(t, y, &x, tui_state_sem(st->repl_state), "%s", st->repl_state);
	tui_seg(t, y, &x, TUI_NORMAL, ")");
	for (i = 0; i < st->nsinks; i++) {
		tui_seg(t, y, &x, TUI_NORMAL, "%s%s ", i ? ", " : sep,
		        st->sinks[i].name);
		tui_seg(t, y, &x, tui_state_sem(st->sinks[i].state), "%s",
		        st->sinks[i].state);
		tui_nodes(t, y, &x, &st->sinks[i]);
	}
}

static void
tui_row_lag(struct tui *t, int y)
{
	const struct fl_status *st = t->st;
	const struct fl_tui_model *m = t->m;
	char lag[32], eta[32], spark[256], rate[16];
	uint64_t cap = st->queue_capacity ? st->queue_capacity
	                                  : (uint64_t)st->cfg_queue_capacity;
	int x = 0;

	if (st->lag_known)
		fl_tui_fmt_bytes((double)st->lag_bytes, lag, sizeof(lag));
	else
		snprintf(lag, sizeof(lag), "?");
	fl_tui_fmt_duration(m->eta, t->ascii, eta, sizeof(eta));
	tui_seg(t, y, &x, TUI_NORMAL, "lag %s ", lag);
	tui_seg(t, y, &x,
	        m->trend == FL_TUI_UP     ? TUI_ERROR
	        : m->trend == FL_TUI_DOWN ? TUI_OK
	                                  : TUI_NORMAL,
	        "%s", fl_tui_trend_glyph(m->trend, t->ascii));
	tui_seg(t, y, &x, TUI_NORMAL, " %.1f s   ETA %s   in-flight ",
	        st->lag_seconds, eta);
	tui_seg(t, y, &x,
	        cap && st->in_flight >= cap ? TUI_ERROR
	        : st->in_flight >= 512      ? TUI_WARN
	                                    : TUI_NORMAL,
	        "%llu/%llu", (unsigned long long)st->in_flight,
	        (unsigned long long)cap);
	fl_tui_fmt_spark(m->cap_rate, m->nspark, 20, t->ascii, spark,
	                 sizeof(spark));
	fl_tui_fmt_count(m->captured_ps, rate, sizeof(rate));
	x = x < 50 ? 50 : x + 3;
	tui_seg(t, y, &x, TUI_NORMAL, "captured/s  %-*s %s", t->ascii ? 20 : 0,
	        spark, rate);
}

static void
tui_row_rates(struct tui *t, int y)
{
	const struct fl_status *st = t->st;
	const struct fl_tui_model *m = t->m;
	char spark[256], rate[16], p95[32] = "";
	int x = 0;

	if (m->p95_ms >= 0)
		snprintf(p95, sizeof(p95), " (p95 %.0f ms)", m->p95_ms);
	tui_seg(t, y, &x, TUI_NORMAL, "wal %s   queue %llu   flush %.0f ms%s",
	        st->wal_status[0] ? st->wal_status : "?",
	        (unsigned long long)st->queue_depth,
	        (double)st->last_flush_us / 1000.0, p95);
	fl_tui_fmt_spark(m->com_rate, m->nspark, 20, t->ascii, spark,
	                 sizeof(spark));
	fl_tui_fmt_count(m->committed_ps, rate, sizeof(rate));
	x = x < 50 ? 50 : x + 3;
	tui_seg(t, y, &x, TUI_NORMAL, "committed/s %-*s %s", t->ascii ? 20 : 0,
	        spark, rate);
}

static void
tui_row_status(struct tui *t, int y)
{
	int level, x = 0;
	const char *w =
	    fl_tui_status_word(t->m, t->st, t->reachable, t->ascii, &level);
	static const enum tui_sem sems[] = { TUI_OK, TUI_WARN, TUI_ERROR,
		                             TUI_PAUSED, TUI_DIM };

	tui_seg(t, y, &x, TUI_NORMAL, "status: ");
	tui_seg(t, y, &x, sems[level], "%s", w);
	if (!t->reachable && t->why[0])
		tui_seg(t, y, &x, TUI_DIM, "  (%s)", t->why);
	else if (t->st->waiting_for[0] && t->st->last_error[0])
		tui_seg(t, y, &x, TUI_DIM, "  (%s)", t->st->last_error);
	if (t->pending_cmds)
		tui_seg(t, y, &x, TUI_DIM, "   %d command%s running",
		        t->pending_cmds, t->pending_cmds > 1 ? "s" : "");
}

/* Draw the header from row y; returns the first row after it. */
int
tui_draw_header(struct tui *t, int y)
{
	tui_row_title(t, y);
	tui_row_lag(t, y + 1);
	tui_row_rates(t, y + 2);
	tui_row_status(t, y + 3);
	return y + 4;
}
