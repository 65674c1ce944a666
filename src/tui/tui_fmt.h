/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_fmt.h - the dashboard's number, size, duration and sparkline
 * formatting, and the small statistics behind the derived values
 * (dashboard.md §3.1). No curses here, so all of it is unit-tested.
 *
 * Every formatter writes a NUL-terminated string into out[n] (n > 0),
 * cut to fit.
 */
#ifndef FL_TUI_FMT_H
#define FL_TUI_FMT_H

#include <stddef.h>
#include <stdint.h>

/* 950 -> "950", 3120 -> "3.1k", 2.5e6 -> "2.5M" (rates, counts). */
void fl_tui_fmt_count(double v, char *out, size_t n);
/* 201877 -> "201,877". */
void fl_tui_fmt_grouped(uint64_t v, char *out, size_t n);
/* Bytes, decimal units: "512 B", "1.0 MB", "3.8 GB". */
void fl_tui_fmt_bytes(double b, char *out, size_t n);
/* Seconds: "42s", "4m", "4m12s" under 10 min, "2h15m", "3d4h"; "—" or
 * "-" (ascii) for a negative value. */
void fl_tui_fmt_duration(double secs, int ascii, char *out, size_t n);
/* "12:01:07" in local time for a Unix µs. */
void fl_tui_fmt_clock(int64_t unix_us, char *out, size_t n);

/*
 * A sparkline of the last `width` values (fewer when there are fewer),
 * scaled to the largest of them: "▁▂▃▄▅▆▇█" in UTF-8, "_.-=+*#@" in
 * ASCII. Zero is the lowest glyph. Returns the number of glyphs.
 */
int fl_tui_fmt_spark(const double *v, size_t nv, size_t width, int ascii,
                     char *out, size_t n);

/* Least-squares slope dy/dx over n points; 0 with fewer than 2. */
double fl_tui_slope(const double *x, const double *y, size_t n);

enum fl_tui_trend {
	FL_TUI_FLAT,
	FL_TUI_UP,   /* slope > +5000 B/s: falling behind */
	FL_TUI_DOWN, /* slope < -5000 B/s: draining */
};

enum fl_tui_trend fl_tui_trend_of(double slope);
/* "▲" / "▼" / "▬", or "^" / "v" / "=". */
const char *fl_tui_trend_glyph(enum fl_tui_trend t, int ascii);
/* Drain ETA in seconds: lag / -slope when lag > 4 MiB and slope < 0;
 * -1 otherwise. */
double fl_tui_drain_eta(double lag_bytes, double slope);

/* Display width of a UTF-8 string (columns). */
int fl_tui_width(const char *s);
/* Copy at most `cols` display columns of s into out (UTF-8 safe). */
void fl_tui_fit(const char *s, int cols, char *out, size_t n);

#endif
