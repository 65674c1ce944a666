/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yaml_emit.c - a document tree written as block YAML (see yaml_emit.h).
 *
 * Owns: layout and quoting only. Does not own: reading YAML or TOML,
 * what keys mean, comments (the tree has none).
 */
#include "config/yaml_emit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The output and whether an append did not fit. */
struct yemit {
	struct fl_buf *out;
	int failed;
};

static void
yemit_put(struct yemit *e, const char *s, size_t n)
{
	if (!e->failed && fl_buf_append(e->out, s, n) < 0)
		e->failed = 1;
}

static void
yemit_puts(struct yemit *e, const char *s)
{
	yemit_put(e, s, strlen(s));
}

static void yemit_printf(struct yemit *e, const char *fmt, ...) FL_PRINTF(2, 3);

static void
yemit_printf(struct yemit *e, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(tmp))
		yemit_put(e, tmp, (size_t)n);
	else
		e->failed = 1;
}

/* Words that a plain scalar would resolve to something else than a
 * string (config.md §1.2); strings starting with a letter can only hit
 * these. */
static const char *const yemit_reserved[] = {
	"null", "Null",  "NULL",  "true",  "True",
	"TRUE", "false", "False", "FALSE",
};

/* May s[0..len) be written plain and read back as this string? */
static int
yemit_plain_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 200)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      s[0] == '_' || s[0] == '/'))
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("_./:@+-", c)) ||
		    c == '\0')
			return 0;
	}
	if (s[len - 1] == ':')
		return 0;
	for (i = 0; i < sizeof(yemit_reserved) / sizeof(*yemit_reserved); i++)
		if (strlen(yemit_reserved[i]) == len &&
		    memcmp(yemit_reserved[i], s, len) == 0)
			return 0;
	return 1;
}

/* A string scalar, plain when safe, else double-quoted. */
static void
yemit_string(const char *s, size_t len, struct yemit *b)
{
	size_t i;

	if (yemit_plain_ok(s, len)) {
		yemit_put(b, s, len);
		return;
	}
	yemit_puts(b, "\"");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			yemit_puts(b, "\\\"");
			break;
		case '\\':
			yemit_puts(b, "\\\\");
			break;
		case '\n':
			yemit_puts(b, "\\n");
			break;
		case '\t':
			yemit_puts(b, "\\t");
			break;
		case '\r':
			yemit_puts(b, "\\r");
			break;
		default:
			/* YAML's stream forbids C1 controls and U+FFFE/
			 * U+FFFF, even quoted, and folds its line breaks
			 * U+0085, U+2028, U+2029: escape them */
			if (c == 0xE2 && i + 2 < len &&
			    (unsigned char)s[i + 1] == 0x80 &&
			    ((unsigned char)s[i + 2] == 0xA8 ||
			     (unsigned char)s[i + 2] == 0xA9)) {
				yemit_printf(b, "\\u20%02X",
				             (unsigned char)s[i + 2] - 0x80);
				i += 2;
			} else if (c == 0xC2 && i + 1 < len &&
			           (unsigned char)s[i + 1] < 0xA0) {
				yemit_printf(b, "\\u00%02X",
				             (unsigned char)s[i + 1]);
				i++;
			} else if (c == 0xEF && i + 2 < len &&
			           (unsigned char)s[i + 1] == 0xBF &&
			           (unsigned char)s[i + 2] >= 0xBE) {
				yemit_printf(b, "\\uFF%02X",
				             (unsigned char)s[i + 2] - 0x80 +
				                 0xC0);
				i += 2;
			} else if (c < 0x20 || c == 0x7F)
				yemit_printf(b, "\\x%02X", c);
			else
				yemit_put(b, &s[i], 1);
		}
	}
	yemit_puts(b, "\"");
}

static void
yemit_scalar(const struct fl_ynode *n, struct yemit *b)
{
	switch (n->u.s.type) {
	case FL_YSCALAR_STR:
		yemit_string(n->u.s.text, n->u.s.len, b);
		return;
	case FL_YSCALAR_INT:
		if (n->u.s.int_overflow)
			yemit_put(b, n->u.s.text, n->u.s.len);
		else
			yemit_printf(b, "%lld", n->u.s.ival);
		return;
	case FL_YSCALAR_BOOL:
		yemit_puts(b, n->u.s.boolean ? "true" : "false");
		return;
	case FL_YSCALAR_NULL:
		yemit_puts(b, "null");
		return;
	case FL_YSCALAR_FLOAT:
		yemit_put(b, n->u.s.text, n->u.s.len);
		return;
	}
}

/* {env: VAR}: a mapping with the single key `env` and a string value. */
static int
yemit_is_env_ref(const struct fl_ynode *n)
{
	return n->kind == FL_YNODE_MAP && n->u.map.n == 1 &&
	       n->u.map.pairs[0].key->u.s.len == 3 &&
	       memcmp(n->u.map.pairs[0].key->u.s.text, "env", 3) == 0 &&
	       n->u.map.pairs[0].value->kind == FL_YNODE_SCALAR &&
	       n->u.map.pairs[0].value->u.s.type == FL_YSCALAR_STR;
}

static void
yemit_indent(int indent, struct yemit *b)
{
	static const char spaces[] = "                                ";
	int k;

	for (k = indent; k > 0; k -= 32)
		yemit_put(b, spaces, (size_t)(k > 32 ? 32 : k));
}

static void yemit_map(const struct fl_ynode *n, int indent, int inline_first,
                      struct yemit *b);
static void yemit_seq(const struct fl_ynode *n, int indent, struct yemit *b);

/* A value after "key:" or "-": on the line, or on the next ones. */
static void
yemit_value(const struct fl_ynode *v, int indent, int after_dash,
            struct yemit *b)
{
	if (v->kind == FL_YNODE_SCALAR) {
		yemit_puts(b, " ");
		yemit_scalar(v, b);
		yemit_puts(b, "\n");
	} else if (v->kind == FL_YNODE_MAP && v->u.map.n == 0) {
		yemit_puts(b, " {}\n");
	} else if (v->kind == FL_YNODE_SEQ && v->u.seq.n == 0) {
		yemit_puts(b, " []\n");
	} else if (yemit_is_env_ref(v)) {
		yemit_puts(b, " {env: ");
		yemit_string(v->u.map.pairs[0].value->u.s.text,
		             v->u.map.pairs[0].value->u.s.len, b);
		yemit_puts(b, "}\n");
	} else if (v->kind == FL_YNODE_MAP && after_dash) {
		yemit_puts(b, " ");
		yemit_map(v, indent, 1, b);
	} else if (v->kind == FL_YNODE_MAP) {
		yemit_puts(b, "\n");
		yemit_map(v, indent, 0, b);
	} else {
		yemit_puts(b, "\n");
		yemit_seq(v, indent, b);
	}
}

static void
yemit_map(const struct fl_ynode *n, int indent, int inline_first,
          struct yemit *b)
{
	size_t i;

	for (i = 0; i < n->u.map.n; i++) {
		const struct fl_ynode *k = n->u.map.pairs[i].key;

		if (i > 0 || !inline_first)
			yemit_indent(indent, b);
		yemit_string(k->u.s.text, k->u.s.len, b);
		yemit_puts(b, ":");
		yemit_value(n->u.map.pairs[i].value, indent + 2, 0, b);
	}
}

static void
yemit_seq(const struct fl_ynode *n, int indent, struct yemit *b)
{
	size_t i;

	for (i = 0; i < n->u.seq.n; i++) {
		yemit_indent(indent, b);
		yemit_puts(b, "-");
		yemit_value(n->u.seq.items[i], indent + 2, 1, b);
	}
}

int
fl_yemit_doc(const struct fl_ynode *root, struct fl_buf *out)
{
	struct yemit e = { out, 0 };

	if (!root)
		return 0;
	if (root->kind == FL_YNODE_MAP && root->u.map.n)
		yemit_map(root, 0, 0, &e);
	else if (root->kind == FL_YNODE_SEQ && root->u.seq.n)
		yemit_seq(root, 0, &e);
	else if (root->kind == FL_YNODE_MAP)
		yemit_puts(&e, "{}\n");
	else if (root->kind == FL_YNODE_SEQ)
		yemit_puts(&e, "[]\n");
	else {
		yemit_scalar(root, &e);
		yemit_puts(&e, "\n");
	}
	return e.failed ? -1 : 0;
}
