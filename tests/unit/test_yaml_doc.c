/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_yaml_doc.c - the YAML document loader: core-schema resolution,
 * positions, anchors and aliases, the alias-bomb and depth caps, and every
 * structural and syntax error with its exact position.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/yaml_doc.h"
#include "tap.h"
#include "util/err.h"

/* Load a C string as "t.yml"; NULL on error (err filled). */
static struct fl_ydoc *
load(const char *src, struct fl_err *err)
{
	return fl_ydoc_load_mem(src, strlen(src), "t.yml", err);
}

/* Load "v: <text>" and return the value node (doc kept in *docp). */
static const struct fl_ynode *
value_of(const char *text, struct fl_ydoc **docp)
{
	char src[256];
	struct fl_err err;

	snprintf(src, sizeof(src), "v: %s\n", text);
	*docp = load(src, &err);
	if (!*docp) {
		printf("# load failed: %s\n", err.msg);
		return NULL;
	}
	return fl_ynode_get(fl_ydoc_root(*docp), "v");
}

/* Make a test description printable on one TAP line. */
static void
one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n')
			*s = ' ';
}

/* Check that the value `text` resolves to type `want` (plain). */
static void
check_type(const char *text, enum fl_yscalar want)
{
	struct fl_ydoc *doc;
	const struct fl_ynode *v = value_of(text, &doc);
	char what[160];

	snprintf(what, sizeof(what), "`%s` resolves to type %d", text,
	         (int)want);
	ok(v && v->kind == FL_YNODE_SCALAR && v->u.s.type == want, what);
	fl_ydoc_free(doc);
}

/* Check that the value `text` is an integer equal to want. */
static void
check_int(const char *text, long long want, int overflow)
{
	struct fl_ydoc *doc;
	const struct fl_ynode *v = value_of(text, &doc);
	char what[160];

	snprintf(what, sizeof(what), "`%s` is the integer %lld%s", text, want,
	         overflow ? " (overflow)" : "");
	ok(v && v->kind == FL_YNODE_SCALAR && v->u.s.type == FL_YSCALAR_INT &&
	       v->u.s.ival == want && v->u.s.int_overflow == overflow &&
	       !v->u.s.quoted,
	   what);
	fl_ydoc_free(doc);
}

/* Check that the value `text` is a float equal to want (NaN: isnan). */
static void
check_float(const char *text, double want)
{
	struct fl_ydoc *doc;
	const struct fl_ynode *v = value_of(text, &doc);
	char what[160];
	int same = 0;

	if (v && v->kind == FL_YNODE_SCALAR && v->u.s.type == FL_YSCALAR_FLOAT)
		same = isnan(want) ? isnan(v->u.s.fval) : v->u.s.fval == want;
	snprintf(what, sizeof(what), "`%s` is the float %g", text, want);
	ok(same, what);
	fl_ydoc_free(doc);
}

/* Check that the value `text` is a string whose content is want. */
static void
check_str(const char *text, const char *want, int quoted)
{
	struct fl_ydoc *doc;
	const struct fl_ynode *v = value_of(text, &doc);
	char what[160];

	snprintf(what, sizeof(what), "`%s` is the string \"%s\"", text, want);
	one_line(what);
	ok(v && v->kind == FL_YNODE_SCALAR && v->u.s.type == FL_YSCALAR_STR &&
	       v->u.s.quoted == quoted && v->u.s.len == strlen(want) &&
	       strcmp(v->u.s.text, want) == 0,
	   what);
	fl_ydoc_free(doc);
}

/* Loading src must fail with exactly the message want. */
static void
check_err(const char *src, const char *want)
{
	struct fl_err err;
	struct fl_ydoc *doc = load(src, &err);

	ok(doc == NULL, "load fails");
	is_str(err.msg, want, "error message and position");
	is_long(err.code, FL_ERR_CONFIG, "error code is config");
	fl_ydoc_free(doc);
}

/* Nulls and booleans in every core spelling. */
TAP_TEST(test_null_bool)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	struct fl_ydoc *doc;
	const struct fl_ynode *v;
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(nulls); i++)
		check_type(nulls[i], FL_YSCALAR_NULL);
	for (i = 0; i < FL_ARRAY_LEN(trues); i++) {
		v = value_of(trues[i], &doc);
		ok(v && v->u.s.type == FL_YSCALAR_BOOL && v->u.s.boolean == 1,
		   trues[i]);
		fl_ydoc_free(doc);
	}
	for (i = 0; i < FL_ARRAY_LEN(falses); i++) {
		v = value_of(falses[i], &doc);
		ok(v && v->u.s.type == FL_YSCALAR_BOOL && v->u.s.boolean == 0,
		   falses[i]);
		fl_ydoc_free(doc);
	}
	/* Not in the core schema: strings. */
	check_type("tRUE", FL_YSCALAR_STR);
	check_type("nULL", FL_YSCALAR_STR);
	check_type("~~", FL_YSCALAR_STR);
	v = value_of("", &doc);
	ok(v && v->u.s.len == 0 && strcmp(v->u.s.text, "") == 0,
	   "empty value has empty text");
	fl_ydoc_free(doc);
}

/* Decimal, hex and octal integers, and overflow. */
TAP_TEST(test_int)
{
	check_int("0", 0, 0);
	check_int("42", 42, 0);
	check_int("-17", -17, 0);
	check_int("+5", 5, 0);
	check_int("-0", 0, 0);
	check_int("007", 7, 0);
	check_int("0x1F", 31, 0);
	check_int("0xff", 255, 0);
	check_int("0x7FFFFFFFFFFFFFFF", LLONG_MAX, 0);
	check_int("0o17", 15, 0);
	check_int("0o0", 0, 0);
	check_int("9223372036854775807", LLONG_MAX, 0);
	check_int("-9223372036854775808", LLONG_MIN, 0);
	check_int("9223372036854775808", LLONG_MAX, 1);
	check_int("-9223372036854775809", LLONG_MIN, 1);
	check_int("123456789012345678901234567890", LLONG_MAX, 1);
	check_int("-123456789012345678901234567890", LLONG_MIN, 1);
	check_int("0xFFFFFFFFFFFFFFFF", LLONG_MAX, 1);
	check_int("0o7777777777777777777777", LLONG_MAX, 1);
	/* Near misses are strings (or floats). */
	check_type("0x", FL_YSCALAR_STR);
	check_type("0xG1", FL_YSCALAR_STR);
	check_type("0X1F", FL_YSCALAR_STR);
	check_type("0o8", FL_YSCALAR_STR);
	check_type("0o", FL_YSCALAR_STR);
	check_type("-0x10", FL_YSCALAR_STR);
	check_type("+0o7", FL_YSCALAR_STR);
	check_type("0b101", FL_YSCALAR_STR);
	check_type("1_000", FL_YSCALAR_STR);
	check_type("+-1", FL_YSCALAR_STR);
	check_type("+", FL_YSCALAR_STR);
	check_type("12abc", FL_YSCALAR_STR);
}

/* Decimal floats, infinities and NaN in their spellings. */
TAP_TEST(test_float)
{
	check_float("1.5", 1.5);
	check_float("-1.5", -1.5);
	check_float("+.5", 0.5);
	check_float(".5", 0.5);
	check_float("1.", 1.0);
	check_float("1e3", 1000.0);
	check_float("1E-3", 0.001);
	check_float("-2.5e+2", -250.0);
	check_float("0.0", 0.0);
	check_float(".inf", INFINITY);
	check_float(".Inf", INFINITY);
	check_float(".INF", INFINITY);
	check_float("+.inf", INFINITY);
	check_float("-.inf", -INFINITY);
	check_float("-.Inf", -INFINITY);
	check_float("-.INF", -INFINITY);
	check_float(".nan", NAN);
	check_float(".NaN", NAN);
	check_float(".NAN", NAN);
	check_type(".", FL_YSCALAR_STR);
	check_type("1e", FL_YSCALAR_STR);
	check_type("e3", FL_YSCALAR_STR);
	check_type("1.2.3", FL_YSCALAR_STR);
	check_type(".e3", FL_YSCALAR_STR);
	check_type("1e3.5", FL_YSCALAR_STR);
	check_type(".iNf", FL_YSCALAR_STR);
	check_type("inf", FL_YSCALAR_STR);
	check_type("nan", FL_YSCALAR_STR);
	check_type("-.nan", FL_YSCALAR_STR);
	check_type(".infinity", FL_YSCALAR_STR);
}

/* yes/no/on/off and friends stay strings; quoting always means string. */
TAP_TEST(test_strings)
{
	check_str("yes", "yes", 0);
	check_str("no", "no", 0);
	check_str("on", "on", 0);
	check_str("off", "off", 0);
	check_str("Yes", "Yes", 0);
	check_str("y", "y", 0);
	check_str("5s", "5s", 0);
	check_str("-1s", "-1s", 0);
	check_str("0.0.0.0:9464", "0.0.0.0:9464", 0);
	check_str("hello world", "hello world", 0);
	check_str("\"true\"", "true", 1);
	check_str("'42'", "42", 1);
	check_str("'null'", "null", 1);
	check_str("\"\"", "", 1);
	check_str("'~'", "~", 1);
	check_str("\"1.5\"", "1.5", 1);
	check_str("|\n  7\n", "7\n", 1);
	check_str(">-\n  a\n  b\n", "a b", 1);
}

/* Explicit tags are ignored: the value resolves as if untagged. */
TAP_TEST(test_tags_ignored)
{
	check_int("!!str 5", 5, 0);
	check_type("!!str true", FL_YSCALAR_BOOL);
	check_type("!!str", FL_YSCALAR_NULL);
	check_str("!!int \"5\"", "5", 1);
	check_str("!!bool yes", "yes", 0);
	check_str("!custom x", "x", 0);
}

/* Text is kept as written, with its length, even with a NUL inside. */
TAP_TEST(test_text)
{
	struct fl_ydoc *doc;
	struct fl_err err;
	const struct fl_ynode *v;
	static const char src[] = "\"a\\0b\": 1\nhex: 0x1F\n";

	v = value_of("\"a\\0b\"", &doc);
	ok(v && v->u.s.len == 3 && memcmp(v->u.s.text, "a\0b", 4) == 0,
	   "escaped NUL kept, length 3, still NUL-terminated");
	fl_ydoc_free(doc);
	doc = load(src, &err);
	ok(doc != NULL, "NUL in a key loads");
	ok(fl_ynode_get(fl_ydoc_root(doc), "a") == NULL,
	   "get compares all bytes, not up to the NUL");
	v = fl_ynode_get(fl_ydoc_root(doc), "hex");
	is_str(v ? v->u.s.text : NULL, "0x1F", "int text as written");
	fl_ydoc_free(doc);
}

/* Line and column of nested keys and items, block and flow style. */
TAP_TEST(test_positions)
{
	static const char src[] = "# comment\n"
	                          "root:\n"
	                          "  name: x\n"
	                          "  list:\n"
	                          "    - a\n"
	                          "    - b: 1\n"
	                          "      c: 'q'\n"
	                          "  flow: {k: [1, 22], m: \"s\"}\n";
	const struct fl_ynode *root, *r, *list, *item, *flow, *seq;
	struct fl_err err;
	struct fl_ydoc *doc = load(src, &err);

	if (!ok(doc != NULL, "positions document loads")) {
		printf("# %s\n", err.msg);
		return;
	}
	root = fl_ydoc_root(doc);
	is_long(root->line, 2, "root mapping line");
	is_long(root->col, 1, "root mapping col");
	is_long(root->u.map.pairs[0].key->line, 2, "key root line");
	r = fl_ynode_get(root, "root");
	is_long(r->u.map.pairs[0].key->line, 3, "key name line");
	is_long(r->u.map.pairs[0].key->col, 3, "key name col");
	is_long(fl_ynode_get(r, "name")->col, 9, "value x col");
	list = fl_ynode_get(r, "list");
	is_long(list->kind, FL_YNODE_SEQ, "list is a sequence");
	is_long(list->u.seq.n, 2, "two items");
	is_long(list->u.seq.items[0]->line, 5, "item a line");
	is_long(list->u.seq.items[0]->col, 7, "item a col");
	item = list->u.seq.items[1];
	is_long(item->kind, FL_YNODE_MAP, "item 2 is a mapping");
	is_long(item->line, 6, "item mapping line");
	is_long(item->col, 7, "item mapping col");
	is_long(item->u.map.pairs[1].key->line, 7, "key c line");
	is_long(item->u.map.pairs[1].key->col, 7, "key c col");
	is_long(fl_ynode_get(item, "c")->col, 10, "quoted value col");
	flow = fl_ynode_get(r, "flow");
	is_long(flow->line, 8, "flow mapping line");
	is_long(flow->col, 9, "flow mapping col");
	is_long(flow->u.map.pairs[0].key->col, 10, "flow key k col");
	seq = fl_ynode_get(flow, "k");
	is_long(seq->col, 13, "flow sequence col");
	is_long(seq->u.seq.items[0]->col, 14, "flow item 1 col");
	is_long(seq->u.seq.items[1]->col, 17, "flow item 22 col");
	is_long(seq->u.seq.items[1]->u.s.ival, 22, "flow item value");
	is_long(flow->u.map.pairs[1].key->col, 22, "flow key m col");
	fl_ydoc_free(doc);
}

/* Anchors and aliases share the anchored node. */
TAP_TEST(test_alias)
{
	static const char src[] = "base: &b\n"
	                          "  host: h\n"
	                          "  port: 1\n"
	                          "a: *b\n"
	                          "c: &s hello\n"
	                          "d: *s\n"
	                          "e: &n 1\n"
	                          "f: &n 2\n"
	                          "g: *n\n"
	                          "list: &l [x, *s]\n"
	                          "h: [*l, *l]\n"
	                          "k: &k name\n"
	                          "*k : 7\n";
	const struct fl_ynode *root, *a, *h;
	struct fl_err err;
	struct fl_ydoc *doc = load(src, &err);

	if (!ok(doc != NULL, "aliases load")) {
		printf("# %s\n", err.msg);
		return;
	}
	root = fl_ydoc_root(doc);
	a = fl_ynode_get(root, "a");
	ok(a == fl_ynode_get(root, "base"), "mapping alias shares the node");
	is_str(fl_ynode_describe(a), "a mapping", "describe an alias");
	is_long(fl_ynode_get(a, "port")->u.s.ival, 1, "aliased content");
	ok(fl_ynode_get(root, "d") == fl_ynode_get(root, "c"),
	   "scalar alias shares the node");
	is_str(fl_ynode_describe(fl_ynode_get(root, "d")), "a string",
	       "describe a scalar alias");
	is_long(fl_ynode_get(root, "g")->u.s.ival, 2,
	        "a redefined anchor refers to the latest node");
	h = fl_ynode_get(root, "h");
	ok(h->u.seq.n == 2 && h->u.seq.items[0] == h->u.seq.items[1] &&
	       h->u.seq.items[0] == fl_ynode_get(root, "list"),
	   "aliases inside a sequence");
	is_long(fl_ynode_get(root, "name")
	            ? fl_ynode_get(root, "name")->u.s.ival
	            : -1,
	        7, "an alias to a scalar can be a key");
	fl_ydoc_free(doc);

	check_err("a: *nope\n",
	          "t.yml:1:4: unknown alias `*nope` (no anchor `&nope` "
	          "before it)");
	check_err("a: *x\nb: &x 1\n",
	          "t.yml:1:4: unknown alias `*x` (no anchor `&x` before it)");
	check_err("a: &r [1, *r]\n",
	          "t.yml:1:11: alias `*r` is inside the node it refers to "
	          "(recursive aliases are not supported)");
	check_err("m: &m {x: 1}\n*m : 2\n",
	          "t.yml:2:1: mapping keys must be strings");
}

/* A block sequence of n integers: n + 1 nodes, no aliases (malloc'd). */
static char *
big_seq(int n)
{
	size_t cap = (size_t)n * 10 + 1, off = 0;
	char *src = malloc(cap);
	int i;

	src[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(src + off, cap - off, "- %d\n", i);
	return src;
}

/* Nine levels of nine aliases each: rejected, not expanded. */
TAP_TEST(test_alias_bomb)
{
	static const char bomb[] = "a: &a [x, x, x, x, x, x, x, x, x]\n"
	                           "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                           "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	                           "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	                           "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	                           "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	                           "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	                           "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	                           "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
	                           "j: &j [*i,*i,*i,*i,*i,*i,*i,*i,*i]\n";
	/* Expanded: 1 + 12 + 92 + 821 + 7382 + 66431 = 74739 nodes. */
	static const char fits[] = "a: &a [x, x, x, x, x, x, x, x, x]\n"
	                           "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                           "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	                           "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	                           "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n";
	struct fl_err err;
	struct fl_ydoc *doc;
	const struct fl_ynode *e;
	char *big;

	/* f's first *e takes the total from 74740 to 141170. */
	check_err(bomb, "t.yml:6:8: document too large after expanding "
	                "aliases (more than 100000 nodes)");
	doc = load(fits, &err);
	ok(doc != NULL, "74739 expanded nodes are allowed");
	e = fl_ynode_get(fl_ydoc_root(doc), "e");
	ok(e && e->u.seq.n == 9 && e->u.seq.items[8]->u.seq.n == 9,
	   "expansion by sharing");
	fl_ydoc_free(doc);
	big = big_seq(100000);
	check_err(big, "t.yml:100000:3: document too large (more than 100000 "
	               "nodes)");
	free(big);
	big = big_seq(99999);
	doc = load(big, &err);
	ok(doc != NULL, "exactly 100000 nodes are allowed");
	fl_ydoc_free(doc);
	free(big);
}

/* Build n nested flow sequences and load them. */
static struct fl_ydoc *
load_nested(size_t n, struct fl_err *err)
{
	char *src = malloc(2 * n + 2);
	struct fl_ydoc *doc;

	memset(src, '[', n);
	memset(src + n, ']', n);
	src[2 * n] = '\n';
	src[2 * n + 1] = '\0';
	doc = load(src, err);
	free(src);
	return doc;
}

/* 256 levels of nesting load; 257 do not. */
TAP_TEST(test_depth)
{
	struct fl_err err;
	struct fl_ydoc *doc = load_nested(256, &err);
	const struct fl_ynode *n;
	size_t depth = 0;

	ok(doc != NULL, "256 levels load");
	for (n = fl_ydoc_root(doc); n && n->kind == FL_YNODE_SEQ;
	     n = n->u.seq.n ? n->u.seq.items[0] : NULL)
		depth++;
	is_long((long)depth, 256, "all 256 levels built");
	fl_ydoc_free(doc);
	doc = load_nested(257, &err);
	ok(doc == NULL, "257 levels fail");
	is_str(err.msg, "t.yml:1:257: nesting too deep (more than 256 levels)",
	       "depth error at the 257th bracket");
	doc = load_nested(100000, &err);
	ok(doc == NULL, "100000 levels fail without a crash");
	fl_ydoc_free(doc);
}

/* Duplicate keys, with the position of the second occurrence. */
TAP_TEST(test_duplicate_keys)
{
	char big[1024];
	size_t off = 0;
	struct fl_err err;
	struct fl_ydoc *doc;
	int i;

	check_err("a: 1\nname: x\nb: 2\nname: y\n",
	          "t.yml:4:1: duplicate key `name` (first at line 2)");
	check_err("top:\n  k: 1\n  j: 2\n  k: 3\n",
	          "t.yml:4:3: duplicate key `k` (first at line 2)");
	check_err("{a: 1, b: 2, a: 3}\n",
	          "t.yml:1:14: duplicate key `a` (first at line 1)");
	check_err("\"a\": 1\na: 2\n",
	          "t.yml:2:1: duplicate key `a` (first at line 1)");
	check_err("x: &k a\na: 1\n*k : 2\n",
	          "t.yml:3:1: duplicate key `a` (first at line 2)");
	/* A large mapping (hash table path). */
	for (i = 0; i < 20; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off,
		                        "k%d: %d\n", i, i);
	snprintf(big + off, sizeof(big) - off, "k7: again\n");
	check_err(big, "t.yml:21:1: duplicate key `k7` (first at line 8)");
	big[off] = '\0';
	doc = load(big, &err);
	ok(doc && fl_ynode_get(fl_ydoc_root(doc), "k19")->u.s.ival == 19,
	   "20 distinct keys load");
	fl_ydoc_free(doc);
	/* Same key in different mappings, or different bytes: fine. */
	doc = load("a: {k: 1}\nb: {k: 2}\n1: x\n01: y\nK: z\n", &err);
	ok(doc != NULL, "no false duplicates");
	fl_ydoc_free(doc);
}

/* Merge keys, non-scalar keys and a second document. */
TAP_TEST(test_structure_errors)
{
	struct fl_err err;
	struct fl_ydoc *doc;
	const struct fl_ynode *root;

	check_err("base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
	          "t.yml:3:3: merge keys (`<<`) are not supported; repeat "
	          "the keys or use an anchor for the whole mapping");
	doc = load("'<<': 1\n", &err);
	ok(doc != NULL, "a quoted << is an ordinary key");
	fl_ydoc_free(doc);
	check_err("? [a, b]\n: 1\n", "t.yml:1:3: mapping keys must be strings");
	check_err("? {a: 1}\n: 1\n", "t.yml:1:3: mapping keys must be strings");
	check_err("x: 1\n[a]: 1\n", "t.yml:2:1: mapping keys must be strings");
	check_err("{x: 1, [a]: 1}\n",
	          "t.yml:1:8: mapping keys must be strings");
	check_err("a: 1\n---\nb: 2\n",
	          "t.yml:2:1: more than one YAML document in the file");
	check_err("--- 1\n--- 2\n",
	          "t.yml:2:1: more than one YAML document in the file");
	doc = load("a: 1\n...\n", &err);
	ok(doc != NULL, "an explicit document end is one document");
	fl_ydoc_free(doc);
	/* Keys that are scalars of other types are allowed here. */
	doc = load("1: a\ntrue: b\n~: c\n", &err);
	root = fl_ydoc_root(doc);
	ok(root && root->u.map.n == 3 &&
	       root->u.map.pairs[0].key->u.s.type == FL_YSCALAR_INT &&
	       root->u.map.pairs[2].key->u.s.type == FL_YSCALAR_NULL,
	   "non-string scalar keys are kept with their type");
	fl_ydoc_free(doc);
}

/* libyaml syntax errors keep libyaml's problem and position. */
TAP_TEST(test_syntax_errors)
{
	check_err("a: 1\nb:\n  c: d: e\n",
	          "t.yml:3:7: YAML syntax error: mapping values are not "
	          "allowed in this context");
	check_err("a: [1, 2\n",
	          "t.yml:2:1: YAML syntax error: did not find expected ',' "
	          "or ']' (while parsing a flow sequence at line 1)");
	check_err("a: \"open\n",
	          "t.yml:2:1: YAML syntax error: found unexpected end of "
	          "stream (while scanning a quoted scalar at line 1)");
	check_err("a:\n\tb: 1\n",
	          "t.yml:2:1: YAML syntax error: found character that cannot "
	          "start any token (while scanning for the next token at "
	          "line 2)");
	check_err("a: 1\n b: 2\n",
	          "t.yml:2:3: YAML syntax error: mapping values are not "
	          "allowed in this context");
	check_err("- a\nb: 1\n",
	          "t.yml:2:1: YAML syntax error: did not find expected '-' "
	          "indicator (while parsing a block collection at line 1)");
}

/* Bytes that are not UTF-8, and control characters, are errors. */
TAP_TEST(test_invalid_utf8)
{
	static const char nul[] = "a: 1\nb: x\0y\n";
	struct fl_err err;
	struct fl_ydoc *doc;

	check_err("a: \xff\n",
	          "t.yml:1:4: YAML syntax error: invalid leading UTF-8 octet "
	          "(0xFF)");
	check_err("a: b\nc: d\xc3\n",
	          "t.yml:2:6: YAML syntax error: invalid trailing UTF-8 octet "
	          "(0x0A)");
	check_err("a: \xc3\xa9\xe2\x82\n",
	          "t.yml:1:6: YAML syntax error: invalid trailing UTF-8 octet "
	          "(0x0A)");
	check_err("a: x\xc3",
	          "t.yml:1:5: YAML syntax error: incomplete UTF-8 octet "
	          "sequence");
	check_err("a: \x01\n", "t.yml:1:4: YAML syntax error: control "
	                       "characters are not allowed (0x01)");
	doc = fl_ydoc_load_mem(nul, sizeof(nul) - 1, "t.yml", &err);
	ok(doc == NULL, "a NUL byte is an error");
	is_str(err.msg,
	       "t.yml:2:5: YAML syntax error: control characters are not "
	       "allowed (0x00)",
	       "NUL byte position");
	/* Valid multi-byte UTF-8 is fine and counts as one column. */
	doc = load("\xc3\xa9t\xc3\xa9: \xe2\x82\xac\n", &err);
	ok(doc &&
	       fl_ynode_get(fl_ydoc_root(doc), "\xc3\xa9t\xc3\xa9")->col == 6,
	   "UTF-8 key and value, column in characters");
	fl_ydoc_free(doc);
}

/* Empty input and comments only: success with no root. */
TAP_TEST(test_empty)
{
	struct fl_err err;
	struct fl_ydoc *doc;
	const struct fl_ynode *root;

	doc = load("", &err);
	ok(doc && fl_ydoc_root(doc) == NULL, "empty buffer: no root");
	is_str(fl_ydoc_name(doc), "t.yml", "name kept");
	fl_ydoc_free(doc);
	doc = load("# just a comment\n\n   \n# another\n", &err);
	ok(doc && fl_ydoc_root(doc) == NULL, "comments only: no root");
	fl_ydoc_free(doc);
	doc = fl_ydoc_load_mem(NULL, 0, NULL, &err);
	ok(doc && fl_ydoc_root(doc) == NULL, "NULL buffer: no root");
	is_str(fl_ydoc_name(doc), "<memory>", "default name");
	fl_ydoc_free(doc);
	doc = load("---\n", &err);
	root = fl_ydoc_root(doc);
	ok(root && root->kind == FL_YNODE_SCALAR &&
	       root->u.s.type == FL_YSCALAR_NULL,
	   "an empty explicit document is null");
	fl_ydoc_free(doc);
	doc = load("a: []\nb: {}\n", &err);
	root = fl_ydoc_root(doc);
	ok(root && fl_ynode_get(root, "a")->u.seq.n == 0 &&
	       fl_ynode_get(root, "b")->u.map.n == 0,
	   "empty collections");
	is_str(fl_ynode_describe(fl_ynode_get(root, "b")), "a mapping",
	       "empty mapping is a mapping");
	fl_ydoc_free(doc);
	fl_ydoc_free(NULL);
}

/* describe names every kind; get tolerates non-mappings. */
TAP_TEST(test_describe_get)
{
	static const char src[] = "m: {}\ns: []\nn: ~\nb: true\ni: 1\n"
	                          "f: 1.5\nt: x\nq: '1'\n";
	static const struct {
		const char *key, *want;
	} rows[] = {
		{ "m", "a mapping" }, { "s", "a sequence" }, { "n", "null" },
		{ "b", "a boolean" }, { "i", "an integer" }, { "f", "a float" },
		{ "t", "a string" },  { "q", "a string" },
	};
	struct fl_err err;
	struct fl_ydoc *doc = load(src, &err);
	const struct fl_ynode *root = fl_ydoc_root(doc);
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(rows); i++)
		is_str(fl_ynode_describe(fl_ynode_get(root, rows[i].key)),
		       rows[i].want, rows[i].key);
	is_str(fl_ynode_describe(NULL), "nothing", "describe NULL");
	ok(fl_ynode_get(root, "missing") == NULL, "missing key");
	ok(fl_ynode_get(fl_ynode_get(root, "s"), "x") == NULL,
	   "get on a sequence");
	ok(fl_ynode_get(fl_ynode_get(root, "t"), "x") == NULL,
	   "get on a scalar");
	ok(fl_ynode_get(NULL, "x") == NULL, "get on NULL");
	ok(fl_ynode_get(root, NULL) == NULL, "get with a NULL key");
	fl_ydoc_free(doc);
}

/* Write data to a fresh temporary file; returns its path (malloc'd). */
static char *
write_temp(const char *data, size_t len)
{
	char *path = malloc(64);
	int fd;

	snprintf(path, 64, "/tmp/test_ydoc_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* Loading from files: success, missing, directory, too large. */
TAP_TEST(test_file)
{
	static const char src[] = "a:\n  b: 1\n";
	struct fl_err err;
	struct fl_ydoc *doc;
	char *path;
	FILE *fp;

	doc = fl_ydoc_load_file("/nonexistent/dir/x.yml", "x.yml", &err);
	ok(doc == NULL, "missing file fails");
	is_str(err.msg, "x.yml: cannot read: No such file or directory",
	       "missing file message");
	is_long(err.sys_errno, ENOENT, "errno kept");
	is_long(err.code, FL_ERR_IO, "missing file is an I/O error");

	doc = fl_ydoc_load_file("/", NULL, &err);
	ok(doc == NULL, "a directory fails");
	is_str(err.msg, "/: cannot read: Is a directory", "directory message");

	path = write_temp(src, sizeof(src) - 1);
	if (!ok(path != NULL, "temporary file written"))
		return;
	doc = fl_ydoc_load_file(path, NULL, &err);
	ok(doc != NULL, "file loads");
	is_str(fl_ydoc_name(doc), path, "name defaults to the path");
	is_long(
	    fl_ynode_get(fl_ynode_get(fl_ydoc_root(doc), "a"), "b")->u.s.ival,
	    1, "file content");
	fl_ydoc_free(doc);

	fp = fopen(path, "a");
	fputs("a: 2\n", fp);
	fclose(fp);
	doc = fl_ydoc_load_file(path, "f.yml", &err);
	is_str(err.msg, "f.yml:3:1: duplicate key `a` (first at line 1)",
	       "file errors use the display name");
	fl_ydoc_free(doc);

	ok(truncate(path, 16 * 1024 * 1024 + 1) == 0, "grow to 16 MiB + 1");
	doc = fl_ydoc_load_file(path, "big.yml", &err);
	ok(doc == NULL, "a file over 16 MiB fails");
	is_str(err.msg, "big.yml: file too large (more than 16 MiB)",
	       "too large message");
	unlink(path);
	free(path);
}

/* Run every test. */
int
main(void)
{
	tap_run(test_null_bool);
	tap_run(test_int);
	tap_run(test_float);
	tap_run(test_strings);
	tap_run(test_tags_ignored);
	tap_run(test_text);
	tap_run(test_positions);
	tap_run(test_alias);
	tap_run(test_alias_bomb);
	tap_run(test_depth);
	tap_run(test_duplicate_keys);
	tap_run(test_structure_errors);
	tap_run(test_syntax_errors);
	tap_run(test_invalid_utf8);
	tap_run(test_empty);
	tap_run(test_describe_get);
	tap_run(test_file);
	return tap_done();
}
