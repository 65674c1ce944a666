/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_yaml_doc.c - libFuzzer entry point for the YAML loader: load the input
 * as a document and walk the whole tree (aliases included, which the
 * expanded-size cap keeps bounded), checking the invariants yaml_doc.h
 * promises. Built only with clang -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/yaml_doc.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visit every node below n; returns the number of nodes visited. */
static size_t
fuzz_ydoc_walk(const struct fl_ynode *n, int depth)
{
	size_t count = 1, i;

	FL_ASSERT(n != NULL);
	FL_ASSERT(depth <= 257); /* 256 collections, then a scalar */
	FL_ASSERT(n->line >= 1 && n->col >= 1);
	FL_ASSERT(fl_ynode_describe(n)[0] != '\0');
	switch (n->kind) {
	case FL_YNODE_SCALAR:
		FL_ASSERT(n->u.s.text[n->u.s.len] == '\0');
		FL_ASSERT(!n->u.s.quoted || n->u.s.type == FL_YSCALAR_STR);
		break;
	case FL_YNODE_SEQ:
		for (i = 0; i < n->u.seq.n; i++)
			count += fuzz_ydoc_walk(n->u.seq.items[i], depth + 1);
		break;
	case FL_YNODE_MAP:
		for (i = 0; i < n->u.map.n; i++) {
			const struct fl_ynode *k = n->u.map.pairs[i].key;

			FL_ASSERT(k->kind == FL_YNODE_SCALAR);
			count += fuzz_ydoc_walk(k, depth + 1);
			count +=
			    fuzz_ydoc_walk(n->u.map.pairs[i].value, depth + 1);
			/* get is a linear scan: check small maps only. */
			if (n->u.map.n <= 64 &&
			    strlen(k->u.s.text) == k->u.s.len)
				FL_ASSERT(fl_ynode_get(n, k->u.s.text) ==
				          n->u.map.pairs[i].value);
		}
		break;
	}
	return count;
}

/* libFuzzer entry: load, walk, free; errors must carry a message. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_err err;
	struct fl_ydoc *doc;

	doc = fl_ydoc_load_mem((const char *)data, size, "fuzz.yml", &err);
	if (!doc) {
		FL_ASSERT(strncmp(err.msg, "fuzz.yml:", 9) == 0);
		return 0;
	}
	if (fl_ydoc_root(doc))
		FL_ASSERT(fuzz_ydoc_walk(fl_ydoc_root(doc), 1) <= 100000);
	fl_ydoc_free(doc);
	return 0;
}
