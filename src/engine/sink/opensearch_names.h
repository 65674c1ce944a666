/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_names.h - the OpenSearch names flusso owns (engine-sink.md §2.2,
 * config.md §6.2) and the pure helpers over them.
 *
 *   hash alias         P L _ H        (H = 16 lowercase hex digits)
 *   generation         P L _ H _ N    (N = 1, 2, ...)
 *   convenience alias  P L
 *   meta index         P flusso_meta  (doc id = the hash alias)
 *   pending index      P flusso_pending (doc ids below: held indexes)
 *
 * Owns: building and parsing those names, the next generation number,
 * and the body of one atomic alias move. Pure functions: no I/O, no
 * state. Returned `char *` are the caller's.
 */
#ifndef FL_OPENSEARCH_NAMES_H
#define FL_OPENSEARCH_NAMES_H

#include <stddef.h>

#include "util/buf.h"

#define FL_OSNAMES_HASH_LEN 16

/* "P L _ H". */
char *fl_osnames_hash_alias(const char *prefix, const char *logical,
                            const char *hash);
/* "<hash alias>_<n>". */
char *fl_osnames_generation(const char *hash_alias, long n);
/* "P L". */
char *fl_osnames_convenience(const char *prefix, const char *logical);
/* "P flusso_meta". */
char *fl_osnames_meta_index(const char *prefix);
/* "P flusso_pending". */
char *fl_osnames_pending_index(const char *prefix);

/* Longest document id OpenSearch accepts, in bytes. */
#define FL_OSNAMES_ID_MAX 512

/*
 * Id of the pending-set document of (logical index, key):
 * "id:<index>:<key>" when that is at most FL_OSNAMES_ID_MAX bytes, else
 * "id:<index>:#<16 lowercase hex of FNV-1a 64 of key>" (the key itself
 * is in the document's source). A function of (index, key) only, so
 * writing the same id twice makes one document. Logical names cannot
 * contain ':' (config.md: identifiers), so the form is unambiguous.
 */
char *fl_osnames_pending_id(const char *index, const char *key);
/* Id of the hold document of a logical index: "hold:<index>". */
char *fl_osnames_hold_id(const char *index);

/*
 * Is `name` exactly `alias + "_" + decimal digits`? Returns 1 and sets
 * *n, else 0 (the alias alone, `alias_x`, `aliasX_1`, a shorter alias
 * that prefixes a longer name, a number that does not fit a long).
 */
int fl_osnames_parse_generation(const char *alias, const char *name, long *n);

/* Strip one trailing `_digits`; NULL when there is no numeric suffix. */
char *fl_osnames_hash_alias_of(const char *generation);

/* 1 + the highest generation of `alias` among names, or 1; unrelated
 * names are ignored. */
long fl_osnames_next_generation(const char *alias, char *const *names,
                                size_t n);

/*
 * Is `name` exactly `P L _ <16 lowercase hex>`? Returns 1 and copies the
 * hash into hash (when not NULL), else 0. Keeps `users` apart from
 * `users_archive`.
 */
int fl_osnames_parse_hash_alias(const char *prefix, const char *logical,
                                const char *name,
                                char hash[FL_OSNAMES_HASH_LEN + 1]);

/* The same for a hash of `len` digits (16 ours, 8 the reference's). */
int fl_osnames_parse_hash_alias_len(const char *prefix, const char *logical,
                                    const char *name, size_t len,
                                    char hash[FL_OSNAMES_HASH_LEN + 1]);

/*
 * The `POST /_aliases` body that points `alias` at `target` given its
 * current holders (in holder order): a remove for every holder other
 * than target, then one add for target. Returns 0 when nothing is to be
 * done (holders are exactly [target]; out untouched), 1 when a body was
 * appended to out, -1 when out's cap was hit.
 */
int fl_osnames_alias_actions(const char *alias, char *const *holders,
                             size_t nholders, const char *target,
                             struct fl_buf *out);

#endif
