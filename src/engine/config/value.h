/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * value.h - a typed scalar-or-structure value taken from YAML: constants,
 * defaults, `options` mappings.
 *
 * Owns: keeping integers and floats distinct (cJSON would make every
 * number a double), mapping keys sorted by unsigned byte order, and the
 * canonical JSON rendering of config.md §6.1 (used by the schema hash and
 * to splice options into index bodies).
 */
#ifndef FL_VALUE_H
#define FL_VALUE_H

#include <stddef.h>

#include "config/yaml_doc.h"
#include "util/buf.h"

enum fl_val_kind {
	FL_VAL_NULL,
	FL_VAL_BOOL,
	FL_VAL_INT,
	FL_VAL_FLOAT,
	FL_VAL_STR,
	FL_VAL_LIST,
	FL_VAL_MAP,
};

struct fl_val {
	enum fl_val_kind kind;
	int b;       /* BOOL */
	long long i; /* INT */
	double f;    /* FLOAT */
	char *s;     /* STR; also the integer's text when it overflowed */
	struct fl_val **items; /* LIST items, MAP values */
	char **keys;           /* MAP keys, sorted bytewise, unique */
	size_t n;
};

/*
 * Convert a YAML node (scalars resolved by ydoc) into a value. Integers
 * too large for 64 bits become FL_VAL_INT with s holding the digits. Map
 * keys are the scalar texts. Returns NULL only for a NULL node.
 */
struct fl_val *fl_val_from_ynode(const struct fl_ynode *n);
struct fl_val *fl_val_new(enum fl_val_kind kind);
struct fl_val *fl_val_new_str(const char *s);
struct fl_val *fl_val_copy(const struct fl_val *v);
void fl_val_free(struct fl_val *v);

/* Map lookup; NULL when absent or not a map. */
const struct fl_val *fl_val_get(const struct fl_val *map, const char *key);
/* Set key (replacing); the map takes ownership of v. */
void fl_val_map_set(struct fl_val *map, const char *key, struct fl_val *v);
void fl_val_list_push(struct fl_val *list, struct fl_val *v);

/* Canonical JSON (config.md §6.1); -1 when the buffer cap is hit. */
int fl_val_to_json(const struct fl_val *v, struct fl_buf *out);
/* Shortest %.{p}g that round-trips, ".0" appended when integral-looking. */
void fl_val_format_double(double d, char *out, size_t n);
/* The value as filter/default text: numbers by their text, bools
 * true/false, strings as is. NULL for lists, maps and null. Borrowed or
 * written into buf (size n). */
const char *fl_val_scalar_text(const struct fl_val *v, char *buf, size_t n);

/* Indented JSON for humans and golden files: two spaces per level, one
 * member or item per line, `"key": value`, empty containers as {} and
 * [], scalars exactly as fl_val_to_json, no trailing newline. -1 when
 * the buffer cap is hit. */
int fl_val_to_json_pretty(const struct fl_val *v, struct fl_buf *out);

#endif
