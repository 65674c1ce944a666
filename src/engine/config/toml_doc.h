/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * toml_doc.h - a `flusso.toml` (the reference implementation's deployment
 * file) read into the same positioned document tree as yaml_doc.h, so the
 * one config reader (config.c) and its messages serve both syntaxes.
 *
 * Owns: a strict reader for the TOML 1.0 subset a deployment file uses:
 * comments, bare / quoted / dotted keys, [tables], [[arrays.of.tables]],
 * inline tables, basic strings (all TOML 1.0 escapes, \uXXXX and
 * \UXXXXXXXX) and literal strings, decimal integers (with `_` separators,
 * overflow rejected), booleans, arrays (several lines, comments, trailing
 * comma). The TOML table rules: a duplicate key or table, a table defined
 * twice (by a header or by dotted keys), extending an inline table or a
 * static array are errors. Everything else TOML has (floats, dates and
 * times, multi-line strings, hexadecimal/octal/binary integers) is
 * rejected with "unsupported TOML: ...". Every error is
 * "<file>:<line>:<col>: <message>" (1-based; columns count characters).
 *
 * The tree: tables become mappings (keys in file order), arrays and
 * arrays of tables sequences, strings quoted string scalars, integers
 * and booleans resolved scalars. The deployment keys are the same in
 * both syntaxes (config.md §2.0), so no key is renamed here.
 *
 * Does not own: what the keys mean (config.c), YAML (yaml_doc.c).
 */
#ifndef FL_TOML_DOC_H
#define FL_TOML_DOC_H

#include <stddef.h>

#include "config/yaml_doc.h"
#include "util/err.h"

/*
 * Parse `path` (at most 16 MiB). Returns a document whose root is a
 * mapping (possibly empty), freed with fl_ydoc_free(); NULL with err
 * filled on failure. display_name names the file in messages (path if
 * NULL). Thread-safe: no global state.
 */
struct fl_ydoc *fl_toml_load_file(const char *path, const char *display_name,
                                  struct fl_err *err);
/* Same, from a buffer (tests, fuzzing); data need not be NUL-terminated. */
struct fl_ydoc *fl_toml_load_mem(const char *data, size_t len,
                                 const char *display_name, struct fl_err *err);

/* Does the path name a TOML file (ends in ".toml")? */
int fl_toml_is_toml_path(const char *path);

#endif
