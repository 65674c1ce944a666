/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * json_write.h - small JSON writing helpers over struct fl_buf.
 *
 * Owns string escaping for JSON text we write ourselves (log lines, the
 * canonical schema form). Does not parse JSON (cJSON does that).
 */
#ifndef FL_JSON_WRITE_H
#define FL_JSON_WRITE_H

#include "util/buf.h"

/*
 * Append `s` as a quoted JSON string: `"` and `\` escaped, bytes below 0x20
 * as \u00xx, everything else raw (UTF-8 passes through). Returns -1 when the
 * buffer cap is hit.
 */
int fl_json_put_string(struct fl_buf *b, const char *s);
int fl_json_put_stringn(struct fl_buf *b, const char *s, size_t n);

/*
 * Re-indent compact JSON text with two spaces per level and ": " after
 * keys (strings are copied untouched). The input must be valid JSON.
 */
int fl_json_pretty(const char *json, struct fl_buf *out);

#endif
