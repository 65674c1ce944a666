/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yaml_emit.h - writing a document tree (yaml_doc.h) back out as block
 * YAML, for `flusso config convert` (a flusso.toml read by toml_doc.c
 * printed as the equivalent flusso.yml).
 *
 * Owns: the layout (block mappings and sequences, two-space indent, keys
 * in tree order, `{}` / `[]` for empty collections, an env reference
 * `{env: VAR}` kept on one line) and scalar quoting: a string is written
 * plain only when YAML would read it back as the same string, otherwise
 * double-quoted with escapes; integers in decimal, booleans as
 * true/false. Reading the output with yaml_doc.c gives the same tree
 * (kinds, scalar types and values; positions differ). Comments are not
 * kept (the tree has none). Does not own: reading either syntax, or what
 * keys mean.
 */
#ifndef FL_YAML_EMIT_H
#define FL_YAML_EMIT_H

#include "config/yaml_doc.h"
#include "util/buf.h"

/* Append root (NULL: an empty document, nothing written) to out.
 * Returns 0, or -1 when out's cap was reached. */
int fl_yemit_doc(const struct fl_ynode *root, struct fl_buf *out);

#endif
