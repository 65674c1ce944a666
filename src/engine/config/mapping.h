/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mapping.h - the OpenSearch index creation body derived from a
 * normalised schema and a sink's settings (config.md §5).
 *
 * Owns: the body of `PUT /<generation>`: settings.index (refresh
 * interval "-1", shard and replica counts), the analysis block in its
 * builtin or icu variant, mappings.dynamic "strict" and one property per
 * field, built in the order of §5.3 (type, auto-subfields, enum `.sort`,
 * `options` merged last, children). Does not own: talking to OpenSearch,
 * names and aliases, the content hash (schema_hash.c).
 *
 * Ordered enums (§3.6, ours: exact match). An enum field with variants
 * at dotted path P (non-ASCII-alphanumerics of P replaced by `_`) gets
 *   normalizer.flusso_enumsort__P =
 *     {type: custom, char_filter: [flusso_enumsort__P__0, ...], filter: []}
 * and ONE char filter per variant, in rank order:
 *   char_filter.flusso_enumsort__P__<rank> =
 *     {type: pattern_replace, pattern: "^<variant, regex-escaped>\z",
 *      replacement: "\u0001<rank zero-padded>"}
 * A pattern_replace filter has a single fixed replacement, so one filter
 * per variant is the only way to map each variant to its own rank. The
 * pattern is anchored at both ends (`\z`, not `$`: Java's `$` also
 * matches before a trailing line break), so only a value equal to a
 * variant is ranked (`paid` -> "\u00011", `prepaid` unchanged); the
 * \u0001 prefix sorts ranked values before every printable value and
 * cannot be matched again by a later filter of the chain (unless a
 * variant itself is "\u0001<digits>", which the loader does not
 * forbid). <rank> is
 * the decimal rank padded to the width of (count - 1). Should two
 * distinct paths flatten to the same P (`a.b` and `a_b`), the later one
 * (in depth-first field order) gets `_2`, `_3`, ... appended to P.
 */
#ifndef FL_MAPPING_H
#define FL_MAPPING_H

#include "config/config.h"
#include "config/schema.h"
#include "config/value.h"

/* The sink settings the body depends on (struct fl_sink_cfg subset). */
struct fl_mapping_opts {
	long number_of_shards;
	long number_of_replicas;
	enum fl_text_analysis text_analysis;
	int auto_subfields;
};

/* Defaults of an opensearch sink: 1 shard, 1 replica, builtin, on. */
void fl_mapping_opts_default(struct fl_mapping_opts *o);
/* The settings new generations are created with: those of the first
 * OpenSearch sink by name, else the defaults. */
void fl_mapping_opts_from_config(const struct fl_config *c,
                                 struct fl_mapping_opts *o);

/*
 * The index creation body {settings, mappings} as a value tree (integers
 * stay integers). A pure function of `s` and `o`; the caller frees it
 * with fl_val_free().
 */
struct fl_val *fl_mapping_body(const struct fl_schema *s,
                               const struct fl_mapping_opts *o);

#endif
