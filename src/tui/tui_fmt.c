/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_fmt.c - formatting and statistics for the dashboard: numbers,
 * sizes, durations, sparklines, lag trend and drain ETA. Pure functions,
 * no curses, no state.
 */
#include "tui_fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

void
fl_tui_fmt_count(double v, char *out, size_t n)
{
	double a = v < 0 ? -v : v;

	if (a >= 1e9)
		snprintf(out, n, "%.1fG", v / 1e9);
	else if (a >= 1e6)
		snprintf(out, n, "%.1fM", v / 1e6);
	else if (a >= 1e3)
		snprintf(out, n, "%.1fk", v / 1e3);
	else if (a > 0 && a < 10 && v != (double)(long)v)
		snprintf(out, n, "%.1f", v);
	else
		snprintf(out, n, "%.0f", v);
}

void
fl_tui_fmt_grouped(uint64_t v, char *out, size_t n)
{
	char digits[32], tmp[48];
	size_t len, i, j = 0;

	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	len = strlen(digits);
	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			tmp[j++] = ',';
		tmp[j++] = digits[i];
	}
	tmp[j] = '\0';
	snprintf(out, n, "%s", tmp);
}

void
fl_tui_fmt_bytes(double b, char *out, size_t n)
{
	if (b >= 1e12)
		snprintf(out, n, "%.1f TB", b / 1e12);
	else if (b >= 1e9)
		snprintf(out, n, "%.1f GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(out, n, "%.1f MB", b / 1e6);
	else if (b >= 1e3)
		snprintf(out, n, "%.1f kB", b / 1e3);
	else
		snprintf(out, n, "%.0f B", b < 0 ? 0 : b);
}

void
fl_tui_fmt_duration(double secs, int ascii, char *out, size_t n)
{
	long t = (long)(secs + 0.5);

	if (secs < 0)
		snprintf(out, n, "%s", ascii ? "-" : "\u2014");
	else if (t < 60)
		snprintf(out, n, "%lds", t);
	else if (t < 600)
		snprintf(out, n, t % 60 ? "%ldm%lds" : "%ldm", t / 60, t % 60);
	else if (t < 3600)
		snprintf(out, n, "%ldm", t / 60);
	else if (t < 86400)
		snprintf(out, n, "%ldh%ldm", t / 3600, t % 3600 / 60);
	else
		snprintf(out, n, "%ldd%ldh", t / 86400, t % 86400 / 3600);
}

void
fl_tui_fmt_clock(int64_t unix_us, char *out, size_t n)
{
	time_t t = (time_t)(unix_us / 1000000);
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(out, n, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
fl_tui_fmt_spark(const double *v, size_t nv, size_t width, int ascii, char *out,
                 size_t n)
{
	static const char *const uni[] = { "\u2581", "\u2582", "\u2583",
		                           "\u2584", "\u2585", "\u2586",
		                           "\u2587", "\u2588" };
	static const char asc[] = "_.-=+*#@";
	size_t first = nv > width ? nv - width : 0, i, len = 0;
	double max = 0;
	int count = 0;

	out[0] = '\0';
	for (i = first; i < nv; i++)
		if (v[i] > max)
			max = v[i];
	for (i = first; i < nv; i++) {
		int level = max > 0 ? (int)(v[i] / max * 7.0 + 0.5) : 0;
		const char *g;
		char one[2] = { 0, 0 };
		size_t gl;

		level = level < 0 ? 0 : level > 7 ? 7 : level;
		if (ascii) {
			one[0] = asc[level];
			g = one;
		} else {
			g = uni[level];
		}
		gl = strlen(g);
		if (len + gl + 1 > n)
			break;
		memcpy(out + len, g, gl + 1);
		len += gl;
		count++;
	}
	return count;
}

double
fl_tui_slope(const double *x, const double *y, size_t n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, d;
	size_t i;

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		sx += x[i];
		sy += y[i];
		sxx += x[i] * x[i];
		sxy += x[i] * y[i];
	}
	d = (double)n * sxx - sx * sx;
	if (d == 0)
		return 0;
	return ((double)n * sxy - sx * sy) / d;
}

enum fl_tui_trend
fl_tui_trend_of(double slope)
{
	if (slope > 5000)
		return FL_TUI_UP;
	if (slope < -5000)
		return FL_TUI_DOWN;
	return FL_TUI_FLAT;
}

const char *
fl_tui_trend_glyph(enum fl_tui_trend t, int ascii)
{
	switch (t) {
	case FL_TUI_UP:
		return ascii ? "^" : "\u25b2";
	case FL_TUI_DOWN:
		return ascii ? "v" : "\u25bc";
	default:
		return ascii ? "=" : "\u25ac";
	}
}

double
fl_tui_drain_eta(double lag_bytes, double slope)
{
	if (lag_bytes > 4.0 * 1024 * 1024 && slope < 0)
		return lag_bytes / -slope;
	return -1;
}

int
fl_tui_width(const char *s)
{
	mbstate_t ms;
	int w = 0;

	memset(&ms, 0, sizeof(ms));
	while (*s) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, strlen(s), &ms);
		int cw;

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ms, 0, sizeof(ms));
			k = 1;
			cw = 1;
		} else {
			cw = wcwidth(wc);
			cw = cw < 0 ? 1 : cw;
		}
		w += cw;
		s += k;
	}
	return w;
}

void
fl_tui_fit(const char *s, int cols, char *out, size_t n)
{
	mbstate_t ms;
	size_t len = 0;
	int w = 0;

	memset(&ms, 0, sizeof(ms));
	while (*s) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, strlen(s), &ms);
		int cw;

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ms, 0, sizeof(ms));
			k = 1;
			cw = 1;
		} else {
			cw = wcwidth(wc);
			cw = cw < 0 ? 1 : cw;
		}
		if (w + cw > cols || len + k + 1 > n)
			break;
		memcpy(out + len, s, k);
		len += k;
		w += cw;
		s += k;
	}
	out[len] = '\0';
}
