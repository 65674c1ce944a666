/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yaml_read.h - typed reading of YAML nodes with diagnostics: the shared layer
 * under config.c and schema*.c.
 *
 * Owns: the current key path ("fields[3].has_many orders.limit"), strict
 * key sets with "did you mean" hints, typed getters (string, boolean,
 * integer with range, Postgres identifier) that report
 *   file:line:column: path: expected X, found Y
 * into a diagnostics list. Does not own any meaning of the keys.
 *
 * Getters return 0 on success, 1 when an optional key is absent (output
 * untouched), and -1 after reporting an error.
 */
#ifndef FL_YAML_READ_H
#define FL_YAML_READ_H

#include <stddef.h>

#include "config/yaml_doc.h"
#include "util/diagnostics.h"

struct fl_yread {
	struct fl_diags *diags;
	const char *file;
	char path[512];
	size_t plen;
};

void fl_yread_init(struct fl_yread *r, struct fl_diags *diags,
                   const char *file);

/* Append a path segment: "key" (joined with '.') or "[3]" (fmt starting
 * with '['); returns a mark for fl_yread_pop. */
size_t fl_yread_push(struct fl_yread *r, const char *fmt, ...) FL_PRINTF(2, 3);
void fl_yread_pop(struct fl_yread *r, size_t mark);

/* Report at `at` (its position; none when NULL) under the current path. */
int fl_yread_error(struct fl_yread *r, const struct fl_ynode *at,
                   const char *fmt, ...) FL_PRINTF(3, 4);
int fl_yread_warn(struct fl_yread *r, const struct fl_ynode *at,
                  const char *fmt, ...) FL_PRINTF(3, 4);
/* Same, with `key` appended to the path for this one message. */
int fl_yread_key_error(struct fl_yread *r, const struct fl_ynode *at,
                       const char *key, const char *fmt, ...) FL_PRINTF(4, 5);

/* "the string `yes`", "an integer", "a mapping", ... */
void fl_yread_found(const struct fl_ynode *n, char *out, size_t len);

/*
 * Every key of `map` must be in `allowed` (n entries; NULL entries are
 * skipped). Unknown keys are reported at the key with the accepted list
 * and the closest accepted key. Returns the number of unknown keys.
 */
int fl_yread_check_keys(struct fl_yread *r, const struct fl_ynode *map,
                        const char *const *allowed, size_t n);

/* Is `n` a mapping? Otherwise report "expected <what>, found ...". */
int fl_yread_is_map(struct fl_yread *r, const struct fl_ynode *n,
                    const char *what);
int fl_yread_is_seq(struct fl_yread *r, const struct fl_ynode *n,
                    const char *what);

/* Getters on map[key]; "missing key `key`" (at the map) when required. */
int fl_yread_str(struct fl_yread *r, const struct fl_ynode *map,
                 const char *key, int required, char **out);
int fl_yread_bool(struct fl_yread *r, const struct fl_ynode *map,
                  const char *key, int required, int *out);
int fl_yread_long(struct fl_yread *r, const struct fl_ynode *map,
                  const char *key, int required, long min, long max, long *out);
/* A Postgres identifier: trimmed, lowercased, ^[a-z_][a-z0-9_]*$, <= 63.
 * `what` names it in messages ("table name"). */
int fl_yread_ident(struct fl_yread *r, const struct fl_ynode *map,
                   const char *key, int required, const char *what, char **out);

/* The scalar node as a string, for value checks (NULL if not a scalar). */
const char *fl_yread_text(const struct fl_ynode *n);

/* Normalise a Postgres identifier in place-copy; NULL when invalid. */
char *fl_ident_normalize(const char *text, size_t len);
/* Is it a valid field name (^[a-zA-Z_][a-zA-Z0-9_]*$, <= 63)? */
int fl_field_name_ok(const char *s);
/* Copy of s with Unicode-ish whitespace (ASCII space, tab, CR, LF, VT,
 * FF, NBSP, U+2000..U+200B, U+3000, U+FEFF) trimmed at both ends. */
char *fl_trim_dup(const char *s, size_t len);

#endif
