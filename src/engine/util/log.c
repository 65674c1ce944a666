/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log.c - the log sink. One mutex serialises records so lines from
 * different threads never interleave. Text records look like
 *   2026-11-26T12:00:05.123Z INFO  capture: connected
 * JSON records are one object per line: {"ts","level","component","msg"}.
 *
 * The level is an atomic, so fl_log_enabled() takes no lock: a guarded
 * trace record costs one load when trace is off. The filter is guarded
 * by log_mu; filter_on says without the lock whether one is set.
 */
#include "util/log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/json_write.h"

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int log_level = FL_LOG_INFO;
static enum fl_log_format log_format = FL_LOG_TEXT;
static int log_color;
static fl_log_hook log_hook;
static void *log_hook_arg;
/* the tap is called under tap_rw's read lock, so removing it (write
 * lock) waits for calls in progress */
static pthread_rwlock_t tap_rw = PTHREAD_RWLOCK_INITIALIZER;
static fl_log_hook log_tap;
static void *log_tap_arg;

#define LOG_NAME_MAX 128

/* One term of the filter. */
struct log_term {
	int table; /* table=NAME, else index=NAME */
	char name[LOG_NAME_MAX];
};

static struct log_term log_terms[FL_LOG_FILTER_MAX];
static size_t log_nterms;
static atomic_int filter_on;

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
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

enum fl_log_level
fl_log_get_level(void)
{
	return (enum fl_log_level)atomic_load_explicit(&log_level,
	                                               memory_order_relaxed);
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
	return (int)level <=
	       atomic_load_explicit(&log_level, memory_order_relaxed);
}

/* ---- the filter ---------------------------------------------------------- */

/* Is name[0..n) an identifier (letters, digits, '_'; not a digit first)? */
static int
log_ident(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || isdigit((unsigned char)name[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return 0;
	return 1;
}

/* Parse one "kind=name" term of length n at p into t. */
static int
log_parse_term(const char *p, size_t n, struct log_term *t, struct fl_err *err)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n, nlen, i;
	const char *name = eq ? eq + 1 : NULL;
	const char *dot;

	if (!eq)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "'%.*s': expected index=NAME or table=NAME",
		                  (int)n, p);
	if (klen == 5 && strncasecmp(p, "index", 5) == 0)
		t->table = 0;
	else if (klen == 5 && strncasecmp(p, "table", 5) == 0)
		t->table = 1;
	else
		return fl_err_set(err, FL_ERR_INVALID,
		                  "'%.*s': unknown kind '%.*s' "
		                  "(expected index or table)",
		                  (int)n, p, (int)klen, p);
	nlen = n - klen - 1;
	if (nlen == 0)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "'%.*s': the name is empty", (int)n, p);
	if (nlen >= sizeof(t->name))
		return fl_err_set(err, FL_ERR_INVALID,
		                  "'%.*s': the name is longer than "
		                  "%d characters",
		                  (int)n, p, LOG_NAME_MAX - 1);
	dot = t->table ? memchr(name, '.', nlen) : NULL;
	if (dot ? !log_ident(name, (size_t)(dot - name)) ||
	              !log_ident(dot + 1, nlen - (size_t)(dot - name) - 1)
	        : !log_ident(name, nlen))
		return fl_err_set(
		    err, FL_ERR_INVALID, "'%.*s': '%.*s' is not %s", (int)n, p,
		    (int)nlen, name,
		    t->table ? "a table name (NAME or SCHEMA.NAME)"
		             : "an index name");
	for (i = 0; i < nlen; i++) /* names are lower case in flusso.yml */
		t->name[i] = (char)tolower((unsigned char)name[i]);
	t->name[nlen] = '\0';
	return 0;
}

int
fl_log_set_filter(const char *spec, struct fl_err *err)
{
	struct log_term terms[FL_LOG_FILTER_MAX];
	size_t n = 0;
	const char *p = spec ? spec : "";

	while (*p) {
		size_t len = strcspn(p, ",");
		size_t a = 0, b = len;

		while (a < b && isspace((unsigned char)p[a]))
			a++;
		while (b > a && isspace((unsigned char)p[b - 1]))
			b--;
		if (a == b)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "an empty term (expected index=NAME "
			                  "or table=NAME)");
		if (n == FL_LOG_FILTER_MAX)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "more than %d terms",
			                  FL_LOG_FILTER_MAX);
		if (log_parse_term(p + a, b - a, &terms[n], err) < 0)
			return -1;
		n++;
		p += len;
		if (*p == ',' && !*++p)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "an empty term (expected index=NAME "
			                  "or table=NAME)");
	}
	pthread_mutex_lock(&log_mu);
	memcpy(log_terms, terms, n * sizeof(*terms));
	log_nterms = n;
	atomic_store(&filter_on, n > 0);
	pthread_mutex_unlock(&log_mu);
	return 0;
}

void
fl_log_get_filter(char *out, size_t n)
{
	size_t i, len = 0;

	if (n)
		out[0] = '\0';
	pthread_mutex_lock(&log_mu);
	for (i = 0; i < log_nterms && len < n; i++) {
		int w = snprintf(out + len, n - len, "%s%s=%s", i ? "," : "",
		                 log_terms[i].table ? "table" : "index",
		                 log_terms[i].name);

		if (w < 0)
			break;
		len += (size_t)w;
	}
	pthread_mutex_unlock(&log_mu);
}

/* Does table term `term` name `table` ("schema.table" or "table")? */
static int
log_table_match(const char *term, const char *table)
{
	const char *dot;

	if (strcmp(term, table) == 0)
		return 1;
	if (strchr(term, '.')) /* schema.table against an unqualified one */
		return (dot = strchr(term, '.')) && !strchr(table, '.') &&
		       strcmp(dot + 1, table) == 0;
	dot = strrchr(table, '.');
	return dot && strcmp(dot + 1, term) == 0;
}

int
fl_log_trace_wants(const char *index, const char *table)
{
	size_t i;
	int yes = 0;

	if (!atomic_load(&filter_on))
		return 1;
	pthread_mutex_lock(&log_mu);
	for (i = 0; i < log_nterms && !yes; i++) {
		const struct log_term *t = &log_terms[i];

		if (t->table)
			yes = table && log_table_match(t->name, table);
		else
			yes = index && strcmp(t->name, index) == 0;
	}
	pthread_mutex_unlock(&log_mu);
	return yes;
}

/* Is c part of a word (a name in a message)? */
static int
log_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does msg name word w, not as part of a longer word? */
static int
log_mentions(const char *msg, const char *w)
{
	size_t n = strlen(w);
	const char *p = msg;

	while ((p = strstr(p, w)) != NULL) {
		if ((p == msg || !log_word_char(p[-1])) && !log_word_char(p[n]))
			return 1;
		p++;
	}
	return 0;
}

/* A debug record passes the filter (log_mu held) when it names a term. */
static int
log_debug_passes(const char *msg)
{
	size_t i;

	for (i = 0; i < log_nterms; i++) {
		const char *dot = strrchr(log_terms[i].name, '.');

		if (log_mentions(msg, log_terms[i].name) ||
		    (dot && log_mentions(msg, dot + 1)))
			return 1;
	}
	return log_nterms == 0;
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
	if (level == FL_LOG_DEBUG && !log_debug_passes(msg))
		; /* narrowed by the filter */
	else if (log_hook)
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
