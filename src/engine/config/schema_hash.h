/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema_hash.h - the content hash of a normalised schema (config.md §6.1) and
 * the canonical JSON it is computed over.
 *
 * Owns: the canonical JSON layout below and the hash function. Does not
 * own: names built from the hash (§6.2), the index body (mapping.c).
 *
 * COMPATIBILITY CONTRACT. The hash names every hash alias and generation
 * index. Changing anything below (the function, the input prefix, the
 * layout, a member name, a spelling, what is omitted) renames every index
 * and forces a full reseed everywhere. Do it only deliberately, bump
 * FL_HASH_SCHEME_VERSION, and update the golden files in tests/golden/.
 *
 * Function: 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3) over the bytes of
 *     "flusso-schema-hash/1\n" <canonical JSON>
 * rendered as 16 lowercase hex digits (most significant first). Defined
 * on bytes only, so it is the same on every compiler, architecture and
 * endianness.
 *
 * Canonical JSON (§6.1): UTF-8; no whitespace; object members sorted by
 * unsigned byte order of their keys; arrays in schema order; absent
 * optional members omitted (never null); strings escape `"`, `\` and
 * bytes below 0x20 as \u00xx, nothing else; integers in decimal; floats
 * as the shortest round-tripping %.{p}g with ".0" appended when it has
 * no '.', 'e' or 'n' (fl_val_format_double). "Empty" lists below (no
 * filters, no transforms, ...) are omitted, so `filters: []` hashes like
 * no `filters`. Members, shown in sorted order:
 *
 * schema     {"db_schema": S, "fields": [field...], "filters": [filter...]?,
 *             "primary_key": S?, "soft_delete": soft_delete?,
 *             "table": S, "version": 1}
 *            db_schema is defaulted ("public" when `schema:` is omitted).
 *
 * field      common members: "kind": K, "name": S (as written, case
 *            kept), "options": V? (the merged options mapping including
 *            the injected `analyzer: flusso_code` of identifier and
 *            `dynamic: true` of json/map; omitted when there are none).
 *            Plus, by K:
 *  "column"   {"column": S (defaulted), "default": V?, "kind", "name",
 *             "opensearch": S? (custom), "options"?, "postgres": [S]?
 *             (custom, normalised names), "required": B,
 *             "transforms": ["lowercase"|"trim"...]?, "type": T,
 *             "values": T? (map), "variants": [S...]? (enum)}
 *             T is the type tag for the 16 scalars, "custom", or
 *             "geo_point" (single-column geo) or "map". `default` is the
 *             typed YAML scalar (0 and "0" differ).
 *  "geo"      {"kind", "lat": S, "lon": S, "name", "options"?,
 *             "required": B}                       (two-column geo)
 *  "object"   {"fields": [field...], "kind", "name", "options"?}
 *  "join"     {"column": S (belongs_to, defaulted) | "foreign_key": S
 *             (has_one, has_many) | "through": through (many_to_many),
 *             "fields": [field...], "filters": [filter...]?,
 *             "join": "belongs_to"|"has_one"|"has_many"|"many_to_many",
 *             "kind", "limit": N?, "name", "options"?,
 *             "order_by": [{"column": S, "direction": "asc"|"desc"}...]?
 *             (direction always present, defaulted to "asc"),
 *             "primary_key": S, "required": B? (only when written),
 *             "table": S}
 *  "aggregate" {"column": S? (sum avg min max), "element_type": T? (ids),
 *             "filters": [filter...]?, "foreign_key": S | "through":
 *             through, "kind", "name", "op": "count"|"sum"|"avg"|"min"|
 *             "max"|"ids", "options"?, "table": S, "value_type": T?
 *             (sum min max)}
 *  "constant" {"kind", "name", "value": V} (typed scalar; null kept)
 *
 * through    {"left_key": S, "right_key": S, "table": S}
 * filter     {"raw": S}                                   (raw SQL, trimmed)
 *            {"column": S, "op": "is_null"|"is_not_null"}
 *            {"column": S, "op": O, "value": S}           (scalar ops)
 *            {"column": S, "op": "in"|"not_in"|"between", "value": [S...]}
 *            values are the texts the converter keeps (numbers as written,
 *            booleans true/false), so 10 and "10" hash alike.
 * soft_delete {"column": S (resolved), "field": S? (when written as
 *            `field:`), "when": [filter...]?}
 *
 * Not included (§6.1): the file name and positions, the index name,
 * prefix, sink settings, `enabled`, `on_error`, comments, formatting, YAML
 * key order, anchors (they are expanded), warned-and-dropped siblings.
 */
#ifndef FL_SCHEMA_HASH_H
#define FL_SCHEMA_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "config/schema.h"

#define FL_HASH_SCHEME_VERSION 1

/* Canonical JSON of the normalised schema (layout above); caller frees. */
char *fl_hash_canonical(const struct fl_schema *s);

/* 16 lowercase hex digits and a NUL: FNV-1a 64 of
 * "flusso-schema-hash/1\n" + canonical JSON. */
void fl_hash_schema(const struct fl_schema *s, char out[17]);

/* FNV-1a 64 of n bytes, continuing from `h` (start with
 * FL_HASH_FNV_BASIS). */
#define FL_HASH_FNV_BASIS UINT64_C(0xcbf29ce484222325)
uint64_t fl_hash_fnv1a64(uint64_t h, const void *p, size_t n);

#endif
