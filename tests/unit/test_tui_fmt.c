/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_tui_fmt.c - the dashboard's formatting (numbers, sizes, durations,
 * sparklines, display widths) and derived values (rates over 5 s, lag
 * trend and drain ETA, backfill ETA, status words, reset on a restarted
 * daemon), all without curses.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tui_fmt.h"
#include "tui_model.h"

TAP_TEST(test_numbers)
{
	char s[64];

	fl_tui_fmt_count(950, s, sizeof(s));
	is_str(s, "950", "count below 1000");
	fl_tui_fmt_count(3120, s, sizeof(s));
	is_str(s, "3.1k", "count in k");
	fl_tui_fmt_count(2.5e6, s, sizeof(s));
	is_str(s, "2.5M", "count in M");
	fl_tui_fmt_count(0.5, s, sizeof(s));
	is_str(s, "0.5", "small fractions keep one decimal");
	fl_tui_fmt_grouped(201877, s, sizeof(s));
	is_str(s, "201,877", "grouped thousands");
	fl_tui_fmt_grouped(12, s, sizeof(s));
	is_str(s, "12", "grouped small");
	fl_tui_fmt_grouped(1000000, s, sizeof(s));
	is_str(s, "1,000,000", "grouped million");
	fl_tui_fmt_bytes(512, s, sizeof(s));
	is_str(s, "512 B", "bytes");
	fl_tui_fmt_bytes(1.0e6, s, sizeof(s));
	is_str(s, "1.0 MB", "megabytes");
	fl_tui_fmt_bytes(3.8e9, s, sizeof(s));
	is_str(s, "3.8 GB", "gigabytes");
}

TAP_TEST(test_durations)
{
	char s[64];

	fl_tui_fmt_duration(42, 0, s, sizeof(s));
	is_str(s, "42s", "seconds");
	fl_tui_fmt_duration(240, 0, s, sizeof(s));
	is_str(s, "4m", "whole minutes");
	fl_tui_fmt_duration(252, 0, s, sizeof(s));
	is_str(s, "4m12s", "minutes and seconds under 10 min");
	fl_tui_fmt_duration(8100, 0, s, sizeof(s));
	is_str(s, "2h15m", "hours");
	fl_tui_fmt_duration(3 * 86400 + 4 * 3600, 0, s, sizeof(s));
	is_str(s, "3d4h", "days");
	fl_tui_fmt_duration(-1, 0, s, sizeof(s));
	is_str(s, "\u2014", "unknown: em dash");
	fl_tui_fmt_duration(-1, 1, s, sizeof(s));
	is_str(s, "-", "unknown, ascii");
}

TAP_TEST(test_spark)
{
	double v[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	char s[256];

	is_long(fl_tui_fmt_spark(v, 8, 60, 1, s, sizeof(s)), 8, "8 glyphs");
	is_str(s, "_.-=+*#@", "ascii ramp");
	fl_tui_fmt_spark(v, 8, 60, 0, s, sizeof(s));
	is_str(s, "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588",
	       "unicode ramp");
	is_long(fl_tui_fmt_spark(v, 8, 3, 1, s, sizeof(s)), 3,
	        "width keeps the newest");
	is_str(s, "*#@", "newest three, scaled to their max");
	fl_tui_fmt_spark(v, 1, 10, 1, s, sizeof(s));
	is_str(s, "_", "all zero is flat");
	is_long(fl_tui_fmt_spark(v, 0, 10, 1, s, sizeof(s)), 0, "empty");
	is_str(s, "", "empty string");
}

TAP_TEST(test_trend)
{
	double x[] = { 0, 1, 2, 3 }, up[] = { 0, 10000, 20000, 30000 };
	double down[] = { 3e7, 2e7, 1e7, 0 };

	ok(fl_tui_slope(x, up, 4) > 9999 && fl_tui_slope(x, up, 4) < 10001,
	   "slope of a line");
	ok(fl_tui_slope(x, up, 1) == 0, "one point: no slope");
	is_long(fl_tui_trend_of(6000), FL_TUI_UP, "> +5000 B/s is up");
	is_long(fl_tui_trend_of(-6000), FL_TUI_DOWN, "< -5000 B/s is down");
	is_long(fl_tui_trend_of(4000), FL_TUI_FLAT, "else flat");
	is_str(fl_tui_trend_glyph(FL_TUI_UP, 1), "^", "ascii up");
	is_str(fl_tui_trend_glyph(FL_TUI_DOWN, 0), "\u25bc", "unicode down");
	ok(fl_tui_drain_eta(8e6, fl_tui_slope(x, down, 4)) > 0.79 &&
	       fl_tui_drain_eta(8e6, fl_tui_slope(x, down, 4)) < 0.81,
	   "ETA = lag / -slope");
	ok(fl_tui_drain_eta(1e6, -1e7) < 0, "no ETA under 4 MiB");
	ok(fl_tui_drain_eta(1e8, 10) < 0, "no ETA when growing");
}

TAP_TEST(test_width)
{
	char s[64];

	is_long(fl_tui_width("abc"), 3, "ascii width");
	is_long(fl_tui_width("\u2581\u2582"), 2, "block glyphs are 1 column");
	fl_tui_fit("\u2581\u2582\u2583", 2, s, sizeof(s));
	is_str(s, "\u2581\u2582", "fit cuts at a column, not a byte");
	fl_tui_fit("hello", 10, s, sizeof(s));
	is_str(s, "hello", "fit keeps short text");
}

static void
t_status(struct fl_status *st, uint64_t cap, uint64_t com, int64_t lag)
{
	memset(st, 0, sizeof(*st));
	st->phase = FL_PHASE_LIVE;
	st->changes_captured = cap;
	st->changes_committed = com;
	st->lag_known = 1;
	st->lag_bytes = lag;
	st->nindexes = 1;
	snprintf(st->indexes[0].name, sizeof(st->indexes[0].name), "users");
	st->indexes[0].documents_built = com * 2;
}

TAP_TEST(test_model_rates)
{
	struct fl_tui_model *m = malloc(sizeof(*m));
	struct fl_status *st = malloc(sizeof(*st));
	int level, i;

	fl_tui_model_init(m);
	for (i = 0; i <= 10; i++) {
		t_status(st, (uint64_t)i * 100, (uint64_t)i * 50, 1000);
		fl_tui_model_add(m, st, (double)i);
	}
	ok(m->captured_ps > 99.9 && m->captured_ps < 100.1,
	   "captured/s over the 5 s window");
	ok(m->committed_ps > 49.9 && m->committed_ps < 50.1, "committed/s");
	ok(m->ix_docs_ps[0] > 99.9 && m->ix_docs_ps[0] < 100.1,
	   "docs/s per index");
	is_long((long)m->nspark, 11, "one sparkline sample per snapshot");
	is_str(fl_tui_status_word(m, st, 1, 1, &level), "keeping up",
	       "keeping up");
	is_str(fl_tui_status_word(m, st, 0, 1, &level), "connecting...",
	       "unreachable: connecting");
	st->in_flight = 600;
	is_str(fl_tui_status_word(m, st, 1, 1, &level), "busy",
	       "in-flight >= 512: busy");
	st->paused = 1;
	is_str(fl_tui_status_word(m, st, 1, 1, &level), "paused", "paused");
	snprintf(st->waiting_for, sizeof(st->waiting_for), "opensearch");
	is_str(fl_tui_status_word(m, st, 1, 1, &level),
	       "waiting for OpenSearch", "waiting comes first");
	/* a restarted daemon: counters go backwards, history resets */
	t_status(st, 5, 5, 1000);
	fl_tui_model_add(m, st, 11);
	is_long((long)m->n, 1, "counter going backwards resets the window");
	ok(m->captured_ps == 0, "no rate from a single point");
	free(m);
	free(st);
}

TAP_TEST(test_model_lag)
{
	struct fl_tui_model *m = malloc(sizeof(*m));
	struct fl_status *st = malloc(sizeof(*st));
	int level, i;

	fl_tui_model_init(m);
	for (i = 0; i < 10; i++) {
		t_status(st, 0, 0, 1000 + (int64_t)i * 10000);
		fl_tui_model_add(m, st, (double)i);
	}
	is_long(m->trend, FL_TUI_UP, "growing lag: up");
	is_str(fl_tui_status_word(m, st, 1, 1, &level), "falling behind",
	       "falling behind");
	fl_tui_model_init(m);
	for (i = 0; i < 10; i++) {
		t_status(st, 0, 0, 100000000 - (int64_t)i * 1000000);
		fl_tui_model_add(m, st, (double)i);
	}
	is_long(m->trend, FL_TUI_DOWN, "shrinking lag: down");
	ok(m->eta > 90 && m->eta < 92, "drain ETA from the slope");
	is_str(fl_tui_status_word(m, st, 1, 1, &level), "draining", "draining");
	free(m);
	free(st);
}

TAP_TEST(test_model_backfill)
{
	struct fl_tui_model *m = malloc(sizeof(*m));
	struct fl_status *st = malloc(sizeof(*st));
	int i;

	fl_tui_model_init(m);
	for (i = 0; i < 5; i++) {
		t_status(st, 0, 0, 0);
		st->indexes[0].state = FL_IX_BACKFILLING;
		st->indexes[0].backfill_active = 1;
		st->indexes[0].rows_estimate = 1000;
		st->indexes[0].rows_done = (int64_t)i * 100;
		fl_tui_model_add(m, st, (double)i);
	}
	ok(fl_tui_backfill_pct(&st->indexes[0]) > 39.9 &&
	       fl_tui_backfill_pct(&st->indexes[0]) < 40.1,
	   "backfill percent");
	ok(m->ix_eta[0] > 5.9 && m->ix_eta[0] < 6.1,
	   "backfill ETA from rows/s");
	st->indexes[0].rows_estimate = -1;
	ok(fl_tui_backfill_pct(&st->indexes[0]) < 0, "unknown estimate");
	free(m);
	free(st);
}

int
main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	tap_run(test_numbers);
	tap_run(test_durations);
	tap_run(test_spark);
	tap_run(test_trend);
	tap_run(test_width);
	tap_run(test_model_rates);
	tap_run(test_model_lag);
	tap_run(test_model_backfill);
	return tap_done();
}
