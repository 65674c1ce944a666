/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log.c - the log sink. One mutex serialises records so lines from
 * different threads never interleave. Text records look like
 *   2026-11-26T12:00:05.123Z INFO  capture: connected
 * JSON records are one object per line: {"ts","level","component","msg"}.
 */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/json_write.h"

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static enum fl_log_level log_level = FL_LOG_INFO;
static enum fl_log_format log_format = FL_LOG_TEXT;
static int log_color;
static fl_log_hook log_hook;
static void *log_hook_arg;
/* the tap is called under tap_rw's read lock, so removing it (write
 * lock) waits for calls in progress */
static pthread_rwlock_t tap_rw = PTHREAD_RWLOCK_INITIALIZER;
static fl_log_hook log_tap;
static void *log_tap_arg;

static const char *const log_names[] = { "error", "warn", "info", "debug",
	                                 "trace" };

int
fl_log_level_parse(const char *s, enum fl_log_level *out)
{
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(log_names); i++) {
		if (strcasecmp(s, log_names[i]) == 0) {
			*out = (enum fl_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = FL_LOG_WARN;
		return 0;
	}
	return -1;
}

const char *
fl_log_level_name(enum fl_log_level level)
{
	if ((size_t)level < FL_ARRAY_LEN(log_names))
		return log_names[level];
	return "?";
}

int
fl_log_format_parse(const char *s, enum fl_log_format *out)
{
	if (strcasecmp(s, "text") == 0)
		*out = FL_LOG_TEXT;
	else if (strcasecmp(s, "json") == 0)
		*out = FL_LOG_JSON;
	else
		return -1;
	return 0;
}

void
fl_log_set_level(enum fl_log_level level)
{
	pthread_mutex_lock(&log_mu);
	log_level = level;
	pthread_mutex_unlock(&log_mu);
}

enum fl_log_level
fl_log_get_level(void)
{
	enum fl_log_level l;

	pthread_mutex_lock(&log_mu);
	l = log_level;
	pthread_mutex_unlock(&log_mu);
	return l;
}

void
fl_log_set_format(enum fl_log_format format)
{
	pthread_mutex_lock(&log_mu);
	log_format = format;
	pthread_mutex_unlock(&log_mu);
}

void
fl_log_set_color(int on)
{
	pthread_mutex_lock(&log_mu);
	log_color = on && isatty(STDERR_FILENO);
	pthread_mutex_unlock(&log_mu);
}

void
fl_log_set_hook(fl_log_hook hook, void *arg)
{
	pthread_mutex_lock(&log_mu);
	log_hook = hook;
	log_hook_arg = arg;
	pthread_mutex_unlock(&log_mu);
}

void
fl_log_set_tap(fl_log_hook tap, void *arg)
{
	pthread_rwlock_wrlock(&tap_rw);
	log_tap = tap;
	log_tap_arg = arg;
	pthread_rwlock_unlock(&tap_rw);
}

int
fl_log_enabled(enum fl_log_level level)
{
	return level <= fl_log_get_level();
}

void
fl_log_iso8601(int64_t unix_us, char *out, size_t n)
{
	time_t t = (time_t)(unix_us / 1000000);
	struct tm tm;
	char tmp[96];

	gmtime_r(&t, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (int)(unix_us % 1000000 / 1000));
	snprintf(out, n, "%.31s", tmp);
}

static void
log_timestamp(char *out, size_t n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	fl_log_iso8601((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, out,
	               n);
}

static void
log_write_json(const char *ts, enum fl_log_level level, const char *component,
               const char *msg)
{
	struct fl_buf b;

	fl_buf_init(&b, 1 << 20);
	fl_buf_puts(&b, "{\"ts\":");
	fl_json_put_string(&b, ts);
	fl_buf_puts(&b, ",\"level\":");
	fl_json_put_string(&b, fl_log_level_name(level));
	fl_buf_puts(&b, ",\"component\":");
	fl_json_put_string(&b, component);
	fl_buf_puts(&b, ",\"msg\":");
	fl_json_put_string(&b, msg);
	fl_buf_puts(&b, "}\n");
	fputs(fl_buf_str(&b), stderr);
	fl_buf_done(&b);
}

static void
log_write_text(const char *ts, enum fl_log_level level, const char *component,
               const char *msg)
{
	static const char *const colors[] = { "\033[31m", "\033[33m", "",
		                              "\033[2m", "\033[2m" };
	const char *on = log_color ? colors[level] : "";
	const char *off = log_color && *on ? "\033[0m" : "";
	char lvl[8];
	int i;

	for (i = 0; log_names[level][i] && i < 7; i++)
		lvl[i] = (char)(log_names[level][i] - 32);
	lvl[i] = '\0';
	fprintf(stderr, "%s %s%-5s%s %s: %s\n", ts, on, lvl, off, component,
	        msg);
}

void
fl_log(enum fl_log_level level, const char *component, const char *fmt, ...)
{
	char ts[96];
	char msg[2048];
	va_list ap;

	if (!fl_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_timestamp(ts, sizeof(ts));
	pthread_mutex_lock(&log_mu);
	if (log_hook)
		log_hook(log_hook_arg, level, component, msg);
	else if (log_format == FL_LOG_JSON)
		log_write_json(ts, level, component, msg);
	else
		log_write_text(ts, level, component, msg);
	fflush(stderr);
	pthread_mutex_unlock(&log_mu);
	if (level > FL_LOG_WARN)
		return;
	pthread_rwlock_rdlock(&tap_rw);
	if (log_tap)
		log_tap(log_tap_arg, level, component, msg);
	pthread_rwlock_unlock(&tap_rw);
}
