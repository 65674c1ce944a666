/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yaml_doc.h - a YAML file as a tree of nodes with positions, resolved with
 * YAML 1.2 core-schema rules (config.md §1.2).
 *
 * Owns: reading one file with libyaml's event parser into mapping,
 * sequence and scalar nodes; plain-scalar resolution (null, bool, int,
 * float, string; `yes`/`no`/`on`/`off` stay strings; quoted scalars are
 * always strings; explicit tags are ignored); anchors and aliases
 * (expanded by sharing the anchored node, with a cap on the expanded
 * size so an alias bomb is an error, not an OOM); the structural errors
 * that belong to YAML itself: syntax errors, duplicate mapping keys, a
 * merge key `<<`, non-scalar mapping keys, more than one document.
 *
 * Does not own: what keys mean (config.c, schema.c do that).
 *
 * All nodes live in the document's arena and are freed by fl_ydoc_free().
 * Positions are 1-based line and column of the node's start.
 */
#ifndef FL_YAML_DOC_H
#define FL_YAML_DOC_H

#include <stddef.h>

#include "util/err.h"

enum fl_ynode_kind {
	FL_YNODE_SCALAR,
	FL_YNODE_SEQ,
	FL_YNODE_MAP,
};

/* Resolved type of a scalar. */
enum fl_yscalar {
	FL_YSCALAR_NULL,  /* null, Null, NULL, ~, empty (plain only) */
	FL_YSCALAR_BOOL,  /* true/false in the three core spellings */
	FL_YSCALAR_INT,   /* [-+]?[0-9]+, 0x.., 0o.. */
	FL_YSCALAR_FLOAT, /* decimal with . or exponent, .inf, .nan */
	FL_YSCALAR_STR,   /* anything else, and every quoted scalar */
};

struct fl_ynode;

struct fl_ypair {
	const struct fl_ynode *key; /* always a scalar */
	const struct fl_ynode *value;
};

struct fl_ynode {
	enum fl_ynode_kind kind;
	int line, col; /* 1-based start position */
	union {
		struct {
			const char *text; /* NUL-terminated, as written */
			size_t len;       /* bytes (text may hold a NUL) */
			enum fl_yscalar type;
			int quoted;  /* single- or double-quoted, or block */
			int boolean; /* FL_YSCALAR_BOOL */
			long long
			    ival; /* FL_YSCALAR_INT; saturated on overflow */
			int int_overflow; /* INT that does not fit ival */
			double fval;      /* FL_YSCALAR_FLOAT */
		} s;
		struct {
			const struct fl_ynode *const *items;
			size_t n;
		} seq;
		struct {
			const struct fl_ypair *pairs; /* in file order */
			size_t n;
		} map;
	} u;
};

struct fl_ydoc;

/*
 * Parse `path`. On success returns a document whose root may be NULL (an
 * empty file). On failure returns NULL and fills err with
 * "<display>:<line>:<col>: <message>", where display is `display_name`
 * (the path as the user should see it) or `path` if NULL.
 */
struct fl_ydoc *fl_ydoc_load_file(const char *path, const char *display_name,
                                  struct fl_err *err);
/* Same, from a buffer (tests, fuzzing). */
struct fl_ydoc *fl_ydoc_load_mem(const char *data, size_t len,
                                 const char *display_name, struct fl_err *err);
void fl_ydoc_free(struct fl_ydoc *doc);

/* The root node, or NULL for an empty document. */
const struct fl_ynode *fl_ydoc_root(const struct fl_ydoc *doc);
/* The name used in messages. */
const char *fl_ydoc_name(const struct fl_ydoc *doc);

/* Value of `key` in a mapping node, or NULL (also when `map` is not a map). */
const struct fl_ynode *fl_ynode_get(const struct fl_ynode *map,
                                    const char *key);

/* "a mapping", "a sequence", "a string", "an integer", "null", ... */
const char *fl_ynode_describe(const struct fl_ynode *n);

/*
 * Building a document from another syntax (toml_doc.c): an empty document
 * named `display_name`, arena allocation (zeroed, max_align_t aligned,
 * freed with the document), a NUL-terminated arena copy of n bytes, and
 * setting the root. Nodes built this way must keep the invariants above:
 * mapping keys are scalars, text is NUL-terminated at len.
 */
struct fl_ydoc *fl_ydoc_new(const char *display_name);
void *fl_ydoc_alloc(struct fl_ydoc *doc, size_t n);
char *fl_ydoc_strndup(struct fl_ydoc *doc, const char *s, size_t n);
void fl_ydoc_set_root(struct fl_ydoc *doc, const struct fl_ynode *root);

#endif
