/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * json_diff.h - field-level differences between two JSON documents (what
 * PostgreSQL builds and what OpenSearch stores), named by paths such as
 * `orders[2].items[0].quantity`.
 *
 * Owns: walking two parsed documents in step (objects by key, arrays by
 * position) and naming each leaf where they differ. Does not own:
 * fetching or printing the documents (inspect.c, verify.c).
 */
#ifndef FL_JSON_DIFF_H
#define FL_JSON_DIFF_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum fl_jdiff_kind {
	FL_JDIFF_CHANGED, /* both have it, values differ */
	FL_JDIFF_MISSING, /* expected, not stored */
	FL_JDIFF_EXTRA,   /* stored, not expected */
};

/* One difference: its path and the two values (either may be NULL). */
struct fl_jdiff {
	const char *path; /* "customer.email", "tags[1]", "" for the root */
	enum fl_jdiff_kind kind;
	const cJSON *want; /* expected (NULL for EXTRA) */
	const cJSON *have; /* stored (NULL for MISSING) */
};

/* Called once per difference, in document order; return nonzero to
 * stop the walk. */
typedef int (*fl_jdiff_fn)(void *arg, const struct fl_jdiff *d);

/*
 * Walk `want` and `have` and report every leaf that differs (an object
 * or array present on one side only is one difference, not one per
 * leaf). Returns the number of differences reported (0: equal). Numbers
 * compare as doubles, like cJSON_Compare; key order does not matter.
 */
size_t fl_jdiff(const cJSON *want, const cJSON *have, fl_jdiff_fn fn,
                void *arg);

/* The path of the first difference into out ("" and 0 when equal). */
int fl_jdiff_first(const cJSON *want, const cJSON *have, char *out, size_t n);

/* A value as one line of compact JSON into out (truncated with "..."). */
void fl_jdiff_value(const cJSON *v, char *out, size_t n);

#endif
