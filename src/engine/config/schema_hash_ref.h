/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema_hash_ref.h - the reference implementation's content hash (flusso
 * 0.15.1, config.md §6.1 "Reference"), so `--index-naming reference` can
 * name hash aliases exactly as the reference (and its typed query clients,
 * which build `<prefix><index>_<hash>` at compile time) do.
 *
 * Owns: the byte stream Rust's `#[derive(Hash)]` feeds the reference's
 * FNV-1a 32 hasher for its parsed `IndexSchema`, reproduced from our
 * normalised model. Does not own: our own hash (schema_hash.c, the
 * default), names built from it (opensearch_names.c).
 *
 * The stream, as rustc 1.95 on a 64-bit little-endian target writes it:
 *   str        bytes, then 0xff
 *   bool, u8   1 byte;  i64/u64, usize lengths, enum discriminants
 *              (isize): 8 bytes little-endian; u32: 4 bytes
 *   Vec/slice  length, then the items; BTreeMap: length, then (key, value)
 *   Option     discriminant (None 0, Some 1), then the value
 *   struct     fields in declaration order; enum: discriminant, payload
 * Pinned by tests/golden/reference/hashes.txt (values printed by the
 * reference itself). Known gaps, where our model keeps less than serde_yaml does:
 * floats in options/defaults/constants outside plain decimal notation
 * (1e20, .nan) and integers beyond 64 bits; filter values are hashed as
 * the texts our converter keeps.
 */
#ifndef FL_SCHEMA_HASH_REF_H
#define FL_SCHEMA_HASH_REF_H

#include <stdint.h>

#include "config/schema.h"

#define FL_HASH_REF_LEN 8

/* The reference's FNV-1a 32 over the derived-Hash stream of s. */
uint32_t fl_hash_ref_value(const struct fl_schema *s);

/* The same as 8 lowercase hex digits and a NUL. */
void fl_hash_ref_schema(const struct fl_schema *s, char out[9]);

#endif
