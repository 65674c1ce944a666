/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_toml_doc.c - libFuzzer entry point for the flusso.toml reader:
 * load the input, walk the tree checking the invariants toml_doc.h and
 * yaml_doc.h promise, then write it out as YAML (`config convert`) and
 * read that back: the two trees must be equal. Built only with clang
 * -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/toml_doc.h"
#include "config/yaml_doc.h"
#include "config/yaml_emit.h"
#include "util/buf.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visit every node; *longkey set when a key is too long for libyaml's
 * implicit keys (1024 characters), where the round trip is skipped. */
static size_t
fuzz_toml_walk(const struct fl_ynode *n, int depth, int *longkey)
{
	size_t count = 1, i;

	FL_ASSERT(n != NULL);
	FL_ASSERT(depth <= 258);
	FL_ASSERT(n->line >= 1 && n->col >= 1);
	switch (n->kind) {
	case FL_YNODE_SCALAR:
		FL_ASSERT(n->u.s.text[n->u.s.len] == '\0');
		FL_ASSERT(strlen(n->u.s.text) == n->u.s.len); /* no NUL */
		FL_ASSERT(n->u.s.type == FL_YSCALAR_STR ||
		          n->u.s.type == FL_YSCALAR_INT ||
		          n->u.s.type == FL_YSCALAR_BOOL);
		FL_ASSERT(!n->u.s.int_overflow);
		break;
	case FL_YNODE_SEQ:
		for (i = 0; i < n->u.seq.n; i++)
			count += fuzz_toml_walk(n->u.seq.items[i], depth + 1,
			                        longkey);
		break;
	case FL_YNODE_MAP:
		for (i = 0; i < n->u.map.n; i++) {
			const struct fl_ynode *k = n->u.map.pairs[i].key;

			FL_ASSERT(k->kind == FL_YNODE_SCALAR &&
			          k->u.s.type == FL_YSCALAR_STR);
			if (k->u.s.len > 200)
				*longkey = 1;
			count += fuzz_toml_walk(n->u.map.pairs[i].value,
			                        depth + 1, longkey);
			if (n->u.map.n <= 64)
				FL_ASSERT(fl_ynode_get(n, k->u.s.text) ==
				          n->u.map.pairs[i].value);
		}
		break;
	}
	return count;
}

/* Same kinds, keys, scalar types and values (positions aside). */
static void
fuzz_same(const struct fl_ynode *a, const struct fl_ynode *b)
{
	size_t i;

	FL_ASSERT(a->kind == b->kind);
	switch (a->kind) {
	case FL_YNODE_SCALAR:
		FL_ASSERT(a->u.s.type == b->u.s.type);
		if (a->u.s.type == FL_YSCALAR_STR)
			FL_ASSERT(
			    a->u.s.len == b->u.s.len &&
			    memcmp(a->u.s.text, b->u.s.text, a->u.s.len) == 0);
		else if (a->u.s.type == FL_YSCALAR_INT)
			FL_ASSERT(a->u.s.ival == b->u.s.ival);
		else
			FL_ASSERT(a->u.s.boolean == b->u.s.boolean);
		break;
	case FL_YNODE_SEQ:
		FL_ASSERT(a->u.seq.n == b->u.seq.n);
		for (i = 0; i < a->u.seq.n; i++)
			fuzz_same(a->u.seq.items[i], b->u.seq.items[i]);
		break;
	case FL_YNODE_MAP:
		FL_ASSERT(a->u.map.n == b->u.map.n);
		for (i = 0; i < a->u.map.n; i++) {
			fuzz_same(a->u.map.pairs[i].key, b->u.map.pairs[i].key);
			fuzz_same(a->u.map.pairs[i].value,
			          b->u.map.pairs[i].value);
		}
		break;
	}
}

/* libFuzzer entry: load, walk, convert, reload, compare, free. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_err err;
	struct fl_ydoc *doc, *back;
	struct fl_buf out;
	int longkey = 0;

	doc = fl_toml_load_mem((const char *)data, size, "fuzz.toml", &err);
	if (!doc) {
		FL_ASSERT(strncmp(err.msg, "fuzz.toml:", 10) == 0);
		return 0;
	}
	FL_ASSERT(fl_ydoc_root(doc) && fl_ydoc_root(doc)->kind == FL_YNODE_MAP);
	FL_ASSERT(fuzz_toml_walk(fl_ydoc_root(doc), 1, &longkey) <=
	          2 * 100000 + 1);
	fl_buf_init(&out, (size_t)256 << 20);
	if (!longkey && fl_yemit_doc(fl_ydoc_root(doc), &out) == 0) {
		back = fl_ydoc_load_mem(fl_buf_str(&out), out.len, "back.yml",
		                        &err);
		/* The YAML reader's own caps may stop a huge or deep tree. */
		FL_ASSERT(back || strstr(err.msg, "too large") ||
		          strstr(err.msg, "too deep"));
		if (back && fl_ydoc_root(back))
			fuzz_same(fl_ydoc_root(doc), fl_ydoc_root(back));
		else if (back)
			FL_ASSERT(fl_ydoc_root(doc)->u.map.n == 0);
		fl_ydoc_free(back);
	}
	fl_buf_done(&out);
	fl_ydoc_free(doc);
	return 0;
}
