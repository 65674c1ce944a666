/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * status_parse.h - the inverse of fl_status_to_json(): a /status document
 * read back into a struct fl_status, so an attached dashboard draws a
 * remote daemon exactly like an in-process board.
 *
 * Owns: reading the document's fields (the reference's and ours) into the
 * snapshot layout. Does not own: fetching the document (commands.c), fields the
 * document does not carry (the flush histogram, `seq`, quarantines beyond
 * the last 20), which are left zero.
 */
#ifndef FL_STATUS_PARSE_H
#define FL_STATUS_PARSE_H

#include <stdint.h>

#include "core/status_board.h"
#include "util/err.h"

/*
 * Parse `json` into *out (fully overwritten). now_us turns uptime_seconds
 * back into started_us. Returns 0, or -1 with err (FL_ERR_INVALID) when
 * the text is not a JSON object with a "phase".
 */
int fl_status_parse(const char *json, int64_t now_us, struct fl_status *out,
                    struct fl_err *err);

/* "2026-11-26T12:00:05.123Z" -> Unix µs; -1 when malformed. */
int64_t fl_status_parse_ts(const char *s);

#endif
