/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log.h - leveled, thread-safe logging to stderr (text or JSON lines).
 *
 * Owns the process-wide log settings (one of the globals fl.h allows):
 * the level (read with one atomic load, so a disabled record costs no
 * lock), the format, the hook and the trace filter. Any thread may log,
 * and change the settings at any time. A hook can divert records (the
 * TUI puts them in its events pane while curses owns the terminal).
 *
 * Trace records follow one change through the pipeline (received,
 * resolved, batched, item, confirmed; README "Logging"). Their call
 * sites ask fl_log_enabled(FL_LOG_TRACE) first, so nothing is formatted
 * when trace is off, then fl_log_trace_wants() with the index and/or
 * table the record is about. Does not own what those records say.
 *
 * A tap sees warnings and errors as well, wherever they go (the daemon
 * puts them on its status board, so /status and the dashboard's events
 * pane show them).
 */
#ifndef FL_LOG_H
#define FL_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/fl.h"

enum fl_log_level {
	FL_LOG_ERROR = 0,
	FL_LOG_WARN,
	FL_LOG_INFO,
	FL_LOG_DEBUG,
	FL_LOG_TRACE,
};

enum fl_log_format {
	FL_LOG_TEXT = 0,
	FL_LOG_JSON,
};

/* Receives every record at or above the level when installed. */
typedef void (*fl_log_hook)(void *arg, enum fl_log_level level,
                            const char *component, const char *msg);

/* Parse "error", "warn", ... (case-insensitive); -1 if unknown. */
int fl_log_level_parse(const char *s, enum fl_log_level *out);
const char *fl_log_level_name(enum fl_log_level level);
/* Parse "text" or "json" (case-insensitive); -1 if unknown. */
int fl_log_format_parse(const char *s, enum fl_log_format *out);

void fl_log_set_level(enum fl_log_level level);
enum fl_log_level fl_log_get_level(void);
void fl_log_set_format(enum fl_log_format format);
/* Colour text records (only takes effect when stderr is a terminal). */
void fl_log_set_color(int on);
/* Install or remove (NULL) a hook; while installed, stderr is not used. */
void fl_log_set_hook(fl_log_hook hook, void *arg);
/* Install or remove (NULL) a tap: it receives every warning and error
 * written, in addition to stderr or the hook, in the logging thread
 * and outside the log's lock (it may take its own). Once this returns
 * with NULL, no call of the previous tap is in progress. */
void fl_log_set_tap(fl_log_hook tap, void *arg);

/* "2026-11-26T12:00:05.123Z" for a Unix time in µs (out >= 32 bytes). */
void fl_log_iso8601(int64_t unix_us, char *out, size_t n);

/* Is a record of this level written? One relaxed atomic load. */
int fl_log_enabled(enum fl_log_level level);

/*
 * The log filter: a comma-separated list of index=NAME and table=NAME
 * (NAME or SCHEMA.NAME) terms, at most FL_LOG_FILTER_MAX. While one is
 * set, trace records pass only when fl_log_trace_wants() says so, and
 * debug records only when their text names a term's NAME as a word;
 * info, warnings and errors are never filtered. NULL or "" clears it.
 * -1 (FL_ERR_INVALID, the bad part named) leaves the filter unchanged.
 */
#define FL_LOG_FILTER_MAX 32
int fl_log_set_filter(const char *spec, struct fl_err *err);
/* The filter in its canonical form ("index=users,table=orders"), "" none. */
void fl_log_get_filter(char *out, size_t n);
/*
 * Should a trace record about `index` and/or `table` ("schema.table" or
 * "table"; either may be NULL) be written? 1 when no filter is set, or
 * an index term names index, or a table term names table (a term
 * without a schema matches the table in any schema).
 */
int fl_log_trace_wants(const char *index, const char *table);

void fl_log(enum fl_log_level level, const char *component, const char *fmt,
            ...) FL_PRINTF(3, 4);

#define fl_log_error(c, ...) fl_log(FL_LOG_ERROR, c, __VA_ARGS__)
#define fl_log_warn(c, ...)  fl_log(FL_LOG_WARN, c, __VA_ARGS__)
#define fl_log_info(c, ...)  fl_log(FL_LOG_INFO, c, __VA_ARGS__)
#define fl_log_debug(c, ...) fl_log(FL_LOG_DEBUG, c, __VA_ARGS__)
#define fl_log_trace(c, ...) fl_log(FL_LOG_TRACE, c, __VA_ARGS__)

#endif
