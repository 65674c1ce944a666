/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log.h - leveled, thread-safe logging to stderr (text or JSON lines).
 *
 * Owns the process-wide log settings (one of the globals fl.h allows). Any
 * thread may log. A hook can divert records (the TUI sends them to
 * --log-file while curses owns the terminal); a tap sees warnings and
 * errors as well, wherever they go (the daemon puts them on its status
 * board, so /status and the dashboard's events pane show them).
 */
#ifndef FL_LOG_H
#define FL_LOG_H

#include <stddef.h>
#include <stdint.h>

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

int fl_log_enabled(enum fl_log_level level);
void fl_log(enum fl_log_level level, const char *component, const char *fmt,
            ...) FL_PRINTF(3, 4);

#define fl_log_error(c, ...) fl_log(FL_LOG_ERROR, c, __VA_ARGS__)
#define fl_log_warn(c, ...)  fl_log(FL_LOG_WARN, c, __VA_ARGS__)
#define fl_log_info(c, ...)  fl_log(FL_LOG_INFO, c, __VA_ARGS__)
#define fl_log_debug(c, ...) fl_log(FL_LOG_DEBUG, c, __VA_ARGS__)

#endif
