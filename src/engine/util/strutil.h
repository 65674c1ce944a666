/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * strutil.h - small string helpers shared by the CLI and the config loader:
 * edit distance for "did you mean" hints, and case-insensitive words.
 */
#ifndef FL_STRUTIL_H
#define FL_STRUTIL_H

#include <stddef.h>

/* Copy src into dst[n] (n > 0), cut at n - 1 bytes; always terminated. */
void fl_str_copy(char *dst, size_t n, const char *src);

/* Levenshtein distance between a and b (byte-wise); capped at 255. */
unsigned fl_str_distance(const char *a, const char *b);

/*
 * The candidate closest to `word` with a distance of 1..max_dist, or NULL
 * if there is none. Ties go to the first candidate. `cands` may contain
 * NULL entries, which are skipped.
 */
const char *fl_str_suggest(const char *word, const char *const *cands, size_t n,
                           unsigned max_dist);

/* Parse a boolean word: true/false/1/0 (case-insensitive); -1 if not one. */
int fl_str_parse_bool(const char *s, int *out);

/*
 * Parse a decimal integer in [min, max] with nothing after it; -1 if it is
 * not a number (*out untouched), -2 if it is out of range.
 */
int fl_str_parse_long(const char *s, long min, long max, long *out);

/* Value of the hex digit c (either case), -1 if c is not one. */
int fl_hex_digit(int c);

#endif
