/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * toml_doc.c - a strict reader for the TOML subset of `flusso.toml`,
 * producing the positioned document tree of yaml_doc.h.
 *
 * Owns: scanning one buffer (UTF-8 checked up front, positions tracked
 * per character), keys, values, table headers, the TOML rules about
 * which table may be defined or extended where, and the conversion of
 * the finished tables into fl_ynode mappings and sequences. Does not
 * own: what keys mean (config.c), the YAML syntax (yaml_doc.c).
 *
 * DESIGN
 *   - Pass 1 builds mutable "t-nodes" in the document's arena: a table
 *     is a linked list of entries (so nodes never move while headers
 *     later in the file extend earlier tables), an array a linked list
 *     of items. One open-addressing hash table keyed by (table, key)
 *     finds duplicates in O(1), so a large table costs O(n).
 *   - Every table remembers how it came to be: IMPLICIT (a prefix of a
 *     header path; a later header may define it once), HEADER (defined
 *     by [x] or an [[x]] element), DOTTED (defined by dotted keys; only
 *     dotted keys of the same table may extend it, headers may add
 *     subtables below it). Inline tables and static arrays are frozen
 *     once closed.
 *   - Pass 2 copies the t-nodes into fl_ynode mappings / sequences in
 *     file order. Caps: 100000 nodes, nesting depth 256, 16 MiB.
 *   - No global state.
 */
#include "config/toml_doc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmem.h"

#define TOML_MAX_NODES 100000
#define TOML_MAX_DEPTH 256
#define TOML_MAX_KEYS  TOML_MAX_DEPTH /* parts of one dotted key */
#define TOML_MAX_FILE  ((size_t)16 * 1024 * 1024)

enum toml_kind { TOML_TABLE, TOML_ARRAY, TOML_STR, TOML_INT, TOML_BOOL };

enum toml_origin {
	TOML_IMPLICIT, /* created as a prefix of a header path */
	TOML_HEADER,   /* [x], or an element of [[x]] */
	TOML_DOTTED,   /* created by a dotted key */
	TOML_INLINE,   /* { ... } */
};

struct toml_node;

/* A table entry (key set) or an array item (key NULL). */
struct toml_entry {
	const char *key; /* arena */
	size_t klen;
	int kline, kcol, kquoted;
	struct toml_node *val;
	struct toml_entry *next;
};

struct toml_node {
	enum toml_kind kind;
	int line, col;
	int depth;
	enum toml_origin origin; /* tables */
	int frozen;              /* inline table, static array */
	int aot;                 /* array made by [[x]] */
	struct toml_entry *first, *last;
	size_t n;
	const char *text; /* scalars: arena, NUL-terminated */
	size_t len;
	long long ival;
	int bval;
};

/* One part of a (dotted) key. */
struct toml_key {
	const char *s; /* arena */
	size_t len;
	int line, col, quoted;
};

struct toml_hslot {
	const struct toml_node *table;
	struct toml_entry *e; /* NULL: empty */
};

struct toml_parser {
	const char *s;
	size_t len, i;
	int line, col;
	struct fl_ydoc *doc;
	struct fl_err *err;
	struct toml_node *root, *cur;
	size_t nnodes;
	struct toml_hslot *slots;
	size_t cap, nslots;
};

static int toml_error(struct toml_parser *p, int line, int col, const char *fmt,
                      ...) FL_PRINTF(4, 5);

/* Fill err with "<name>:<line>:<col>: <message>"; returns -1. */
static int
toml_error(struct toml_parser *p, int line, int col, const char *fmt, ...)
{
	char msg[FL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		snprintf(msg, sizeof(msg), "(unformattable error)");
	va_end(ap);
	return fl_err_set(p->err, FL_ERR_CONFIG, "%s:%d:%d: %s",
	                  fl_ydoc_name(p->doc), line, col, msg);
}

/* ---- scanning ---------------------------------------------------------- */

static int
toml_peek(const struct toml_parser *p, size_t ahead)
{
	return p->i + ahead < p->len ? (unsigned char)p->s[p->i + ahead] : -1;
}

/* Step over one byte, keeping line and column (in characters). */
static void
toml_adv(struct toml_parser *p)
{
	unsigned char c = (unsigned char)p->s[p->i++];

	if (c == '\n') {
		if (p->line < INT_MAX)
			p->line++;
		p->col = 1;
	} else if ((c & 0xC0) != 0x80 && p->col < INT_MAX) {
		p->col++;
	}
}

static void
toml_skip_ws(struct toml_parser *p)
{
	while (toml_peek(p, 0) == ' ' || toml_peek(p, 0) == '\t')
		toml_adv(p);
}

/* A control character TOML forbids in comments and strings. */
static int
toml_is_control(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7F;
}

/* At a newline ("\n" or "\r\n")? Returns its length (0: no). */
static int
toml_at_newline(const struct toml_parser *p)
{
	if (toml_peek(p, 0) == '\n')
		return 1;
	if (toml_peek(p, 0) == '\r' && toml_peek(p, 1) == '\n')
		return 2;
	return 0;
}

/* Skip "# ..." up to (not over) the end of the line. */
static int
toml_skip_comment(struct toml_parser *p)
{
	int c;

	if (toml_peek(p, 0) != '#')
		return 0;
	while ((c = toml_peek(p, 0)) >= 0 && !toml_at_newline(p)) {
		if (toml_is_control(c))
			return toml_error(p, p->line, p->col,
			                  "control character 0x%02X in a "
			                  "comment",
			                  (unsigned)c);
		toml_adv(p);
	}
	return 0;
}

/* Whitespace, then optional comment, then a newline or the end. */
static int
toml_end_of_line(struct toml_parser *p, const char *after)
{
	int nl;

	toml_skip_ws(p);
	if (toml_skip_comment(p) < 0)
		return -1;
	if (toml_peek(p, 0) < 0)
		return 0;
	if ((nl = toml_at_newline(p))) {
		while (nl--)
			toml_adv(p);
		return 0;
	}
	if (toml_peek(p, 0) == '\r')
		return toml_error(p, p->line, p->col,
		                  "a carriage return must be followed by a "
		                  "line feed");
	return toml_error(p, p->line, p->col,
	                  "expected the end of the line after %s, found `%c`",
	                  after, toml_peek(p, 0));
}

/* Whitespace, comments and newlines (inside arrays). */
static int
toml_skip_blank(struct toml_parser *p)
{
	int nl;

	for (;;) {
		toml_skip_ws(p);
		if (toml_skip_comment(p) < 0)
			return -1;
		if (!(nl = toml_at_newline(p)))
			break;
		while (nl--)
			toml_adv(p);
	}
	if (toml_peek(p, 0) == '\r')
		return toml_error(p, p->line, p->col,
		                  "a carriage return must be followed by a "
		                  "line feed");
	return 0;
}

/* Length of a valid UTF-8 sequence at s[0..len), 0 if invalid. */
static size_t
toml_utf8_len(const unsigned char *s, size_t len)
{
	unsigned c = s[0], cp;
	size_t n, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* The whole input must be UTF-8; report the first bad byte. */
static int
toml_check_utf8(struct toml_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = 0, n;

	while (i < p->len) {
		if (!(n = toml_utf8_len(s + i, p->len - i))) {
			while (p->i < i)
				toml_adv(p);
			return toml_error(p, p->line, p->col,
			                  "invalid UTF-8 (byte 0x%02X)", s[i]);
		}
		i += n;
	}
	return 0;
}

/* ---- nodes, tables, the (table, key) hash -------------------------------- */

static struct toml_node *
toml_node_new(struct toml_parser *p, enum toml_kind kind, int depth, int line,
              int col)
{
	struct toml_node *n;

	if (++p->nnodes > TOML_MAX_NODES) {
		toml_error(p, line, col,
		           "document too large (more than %d values)",
		           TOML_MAX_NODES);
		return NULL;
	}
	if (depth > TOML_MAX_DEPTH) {
		toml_error(p, line, col,
		           "nesting too deep (more than %d levels)",
		           TOML_MAX_DEPTH);
		return NULL;
	}
	n = fl_ydoc_alloc(p->doc, sizeof(*n));
	n->kind = kind;
	n->depth = depth;
	n->line = line;
	n->col = col;
	return n;
}

static size_t
toml_hash(const struct toml_node *t, const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u ^ (uint64_t)(uintptr_t)t;
	size_t i;

	h *= 1099511628211u;
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return (size_t)(h ^ (h >> 29));
}

static struct toml_hslot *
toml_slot(const struct toml_parser *p, const struct toml_node *t, const char *s,
          size_t len)
{
	size_t mask = p->cap - 1, i = toml_hash(t, s, len) & mask;

	for (;;) {
		struct toml_hslot *sl = &p->slots[i];

		if (!sl->e || (sl->table == t && sl->e->klen == len &&
		               (!len || memcmp(sl->e->key, s, len) == 0)))
			return sl;
		i = (i + 1) & mask;
	}
}

/* The entry of table t named s, or NULL. */
static struct toml_entry *
toml_find(const struct toml_parser *p, const struct toml_node *t,
          const struct toml_key *k)
{
	return p->cap ? toml_slot(p, t, k->s, k->len)->e : NULL;
}

static void
toml_link(struct toml_node *parent, struct toml_entry *e)
{
	if (parent->last)
		parent->last->next = e;
	else
		parent->first = e;
	parent->last = e;
	parent->n++;
}

/* Add key k = v to table t (k not there yet). */
static void
toml_put(struct toml_parser *p, struct toml_node *t, const struct toml_key *k,
         struct toml_node *v)
{
	struct toml_entry *e = fl_ydoc_alloc(p->doc, sizeof(*e));

	if ((p->nslots + 1) * 2 > p->cap) {
		struct toml_hslot *old = p->slots;
		size_t oldcap = p->cap, i;

		p->cap = p->cap ? p->cap * 2 : 64;
		p->slots = fl_xcalloc(p->cap, sizeof(*p->slots));
		for (i = 0; i < oldcap; i++)
			if (old[i].e)
				*toml_slot(p, old[i].table, old[i].e->key,
				           old[i].e->klen) = old[i];
		free(old);
	}
	e->key = k->s;
	e->klen = k->len;
	e->kline = k->line;
	e->kcol = k->col;
	e->kquoted = k->quoted;
	e->val = v;
	*toml_slot(p, t, k->s, k->len) = (struct toml_hslot){ t, e };
	p->nslots++;
	toml_link(t, e);
}

/* Append item v to array a. */
static void
toml_push(struct toml_parser *p, struct toml_node *a, struct toml_node *v)
{
	struct toml_entry *e = fl_ydoc_alloc(p->doc, sizeof(*e));

	e->val = v;
	toml_link(a, e);
}

/* "a table", "an array", ... for messages. */
static const char *
toml_describe(const struct toml_node *n)
{
	switch (n->kind) {
	case TOML_TABLE:
		return n->origin == TOML_INLINE ? "an inline table" : "a table";
	case TOML_ARRAY:
		return n->aot ? "an array of tables" : "an array";
	case TOML_STR:
		return "a string";
	case TOML_INT:
		return "an integer";
	case TOML_BOOL:
		return "a boolean";
	}
	return "a value";
}

/* "a.b.c" of keys[0..n) for messages (truncated to fit). */
static const char *
toml_path(const struct toml_key *keys, size_t n, char *buf, size_t cap)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used + 1 < cap; i++) {
		int w = snprintf(buf + used, cap - used, "%s%.*s", i ? "." : "",
		                 (int)(keys[i].len > 200 ? 200 : keys[i].len),
		                 keys[i].s);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* ---- keys ---------------------------------------------------------------- */

static int
toml_is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int toml_string(struct toml_parser *p, const char **out, size_t *len);

/* One simple key (bare or quoted). */
static int
toml_simple_key(struct toml_parser *p, struct toml_key *k)
{
	size_t start = p->i;
	int c = toml_peek(p, 0);

	k->line = p->line;
	k->col = p->col;
	k->quoted = 0;
	if (c == '"' || c == '\'') {
		k->quoted = 1;
		return toml_string(p, &k->s, &k->len);
	}
	while (toml_is_bare(toml_peek(p, 0)))
		toml_adv(p);
	if (p->i == start) {
		if (c < 0 || c == '\n' || c == '\r')
			return toml_error(
			    p, k->line, k->col,
			    "expected a key, found the end of the "
			    "line");
		return toml_error(p, k->line, k->col,
		                  "expected a key (letters, digits, `_`, `-`, "
		                  "or a quoted string), found `%c`",
		                  c);
	}
	k->s = fl_ydoc_strndup(p->doc, p->s + start, p->i - start);
	k->len = p->i - start;
	return 0;
}

/* A dotted key into keys[]; *n parts. */
static int
toml_key(struct toml_parser *p, struct toml_key *keys, size_t *n)
{
	*n = 0;
	for (;;) {
		if (*n >= TOML_MAX_KEYS)
			return toml_error(p, p->line, p->col,
			                  "dotted key too long (more than %d "
			                  "parts)",
			                  TOML_MAX_KEYS);
		if (toml_simple_key(p, &keys[(*n)++]) < 0)
			return -1;
		toml_skip_ws(p);
		if (toml_peek(p, 0) != '.')
			return 0;
		toml_adv(p);
		toml_skip_ws(p);
	}
}

/* ---- strings --------------------------------------------------------------- */

/* Append code point cp as UTF-8. */
static void
toml_put_utf8(struct fl_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	fl_buf_append(b, u, n);
}

/* \uXXXX or \UXXXXXXXX after the backslash and letter (digits next). */
static int
toml_unicode_escape(struct toml_parser *p, int digits, int line, int col,
                    struct fl_buf *b)
{
	unsigned long cp = 0;
	int k, c;

	for (k = 0; k < digits; k++) {
		c = toml_peek(p, 0);
		if (c >= '0' && c <= '9')
			cp = cp * 16 + (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			cp = cp * 16 + (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			cp = cp * 16 + (unsigned long)(c - 'A' + 10);
		else
			return toml_error(p, line, col,
			                  "invalid escape: \\%c needs %d hex "
			                  "digits",
			                  digits == 4 ? 'u' : 'U', digits);
		toml_adv(p);
	}
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return toml_error(p, line, col,
		                  "invalid escape: U+%04lX is not a Unicode "
		                  "scalar value",
		                  cp);
	if (cp == 0)
		return toml_error(p, line, col,
		                  "unsupported TOML: NUL characters (\\u0000) "
		                  "in strings");
	toml_put_utf8(b, cp);
	return 0;
}

/* One escape after a backslash in a basic string. */
static int
toml_escape(struct toml_parser *p, struct fl_buf *b)
{
	static const char from[] = "btnfr\"\\";
	static const char to[] = "\b\t\n\f\r\"\\";
	int line = p->line, col = p->col, c;
	const char *hit;

	toml_adv(p); /* the backslash */
	c = toml_peek(p, 0);
	if (c == 'u' || c == 'U') {
		toml_adv(p);
		return toml_unicode_escape(p, c == 'u' ? 4 : 8, line, col, b);
	}
	if (c > 0 && (hit = strchr(from, c)) != NULL) {
		toml_adv(p);
		fl_buf_append(b, &to[hit - from], 1);
		return 0;
	}
	if (c < 0x20 || c >= 0x7F)
		return toml_error(p, line, col, "invalid escape in a string");
	return toml_error(p, line, col, "invalid escape `\\%c` in a string", c);
}

/* A basic "..." or literal '...' string at p; *out in the arena. */
static int
toml_string(struct toml_parser *p, const char **out, size_t *len)
{
	int q = toml_peek(p, 0), line = p->line, col = p->col, c, rc = 0;
	struct fl_buf b;

	if (toml_peek(p, 1) == q && toml_peek(p, 2) == q)
		return toml_error(p, line, col,
		                  "unsupported TOML: multi-line strings (%s); "
		                  "write the value on one line",
		                  q == '"' ? "\"\"\"" : "'''");
	toml_adv(p);
	fl_buf_init(&b, TOML_MAX_FILE);
	for (;;) {
		c = toml_peek(p, 0);
		if (c == q) {
			toml_adv(p);
			break;
		}
		if (c < 0 || c == '\n' ||
		    (c == '\r' && toml_peek(p, 1) == '\n')) {
			rc = toml_error(p, line, col,
			                "unterminated string (a %s string ends "
			                "on its line)",
			                q == '"' ? "basic" : "literal");
			break;
		}
		if (toml_is_control(c)) {
			rc = toml_error(p, p->line, p->col,
			                "control character 0x%02X in a string "
			                "(escape it)",
			                (unsigned)c);
			break;
		}
		if (c == '\\' && q == '"') {
			if ((rc = toml_escape(p, &b)) < 0)
				break;
			continue;
		}
		fl_buf_append(&b, p->s + p->i, 1);
		toml_adv(p);
	}
	if (rc == 0) {
		*out = fl_ydoc_strndup(p->doc, fl_buf_str(&b), b.len);
		*len = b.len;
	}
	fl_buf_done(&b);
	return rc;
}

/* ---- values ---------------------------------------------------------------- */

static int
toml_is_numchar(int c)
{
	return toml_is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* Why a number-like token is outside the subset, or NULL if it is a
 * candidate decimal integer. */
static const char *
toml_number_unsupported(const char *s, size_t n)
{
	size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;

	if (n - i == 3 &&
	    (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0))
		return "floats";
	if (n >= i + 2 && s[i] == '0' &&
	    (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b'))
		return s[i + 1] == 'x'   ? "hexadecimal integers"
		       : s[i + 1] == 'o' ? "octal integers"
		                         : "binary integers";
	if (memchr(s, ':', n) || (n > 4 && s[4] == '-' && i == 0))
		return "dates and times";
	if (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n))
		return "floats";
	return NULL;
}

/* A decimal integer token s[0..n); 0, or -1 with the message in why. */
static int
toml_decimal(const char *s, size_t n, long long *out, const char **why)
{
	unsigned long long acc = 0, limit = (unsigned long long)LLONG_MAX;
	size_t i = 0;
	int neg = 0, prev_digit = 0;

	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	if (neg)
		limit += 1;
	if (i >= n || !(s[i] >= '0' && s[i] <= '9')) {
		*why = "invalid integer";
		return -1;
	}
	if (s[i] == '0' && i + 1 < n) {
		*why = "invalid integer: leading zeros are not allowed";
		return -1;
	}
	for (; i < n; i++) {
		unsigned d;

		if (s[i] == '_') {
			if (!prev_digit || i + 1 >= n || s[i + 1] < '0' ||
			    s[i + 1] > '9') {
				*why =
				    "invalid integer: `_` must stand between "
				    "two digits";
				return -1;
			}
			prev_digit = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9') {
			*why = "invalid integer";
			return -1;
		}
		d = (unsigned)(s[i] - '0');
		if (acc > (limit - d) / 10) {
			*why = "integer out of range (64-bit signed)";
			return -1;
		}
		acc = acc * 10 + d;
		prev_digit = 1;
	}
	if (neg)
		*out = acc > (unsigned long long)LLONG_MAX ? LLONG_MIN
		                                           : -(long long)acc;
	else
		*out = (long long)acc;
	return 0;
}

static struct toml_node *toml_value(struct toml_parser *p, int depth);

/* A number or a boolean or a bare word at p. */
static struct toml_node *
toml_word(struct toml_parser *p, int depth)
{
	int line = p->line, col = p->col;
	size_t start = p->i, n;
	const char *s = p->s + start, *why;
	struct toml_node *v;
	long long iv;

	while (toml_is_numchar(toml_peek(p, 0)))
		toml_adv(p);
	n = p->i - start;
	if (n == 0) {
		int c = toml_peek(p, 0);

		if (c < 0 || c == '\n' || c == '\r' || c == '#')
			toml_error(p, line, col,
			           "expected a value, found the end of the "
			           "line");
		else
			toml_error(p, line, col,
			           "expected a value (a string, integer, "
			           "boolean, array or inline table), found "
			           "`%c`",
			           c);
		return NULL;
	}
	if ((n == 4 && memcmp(s, "true", 4) == 0) ||
	    (n == 5 && memcmp(s, "false", 5) == 0)) {
		if (!(v = toml_node_new(p, TOML_BOOL, depth, line, col)))
			return NULL;
		v->bval = n == 4;
		v->text = n == 4 ? "true" : "false";
		v->len = n;
		return v;
	}
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' ||
	      (n == 3 && (!memcmp(s, "inf", 3) || !memcmp(s, "nan", 3))))) {
		toml_error(p, line, col,
		           "expected a value, found the bare word `%.*s` "
		           "(quote strings: \"...\")",
		           (int)(n > 64 ? 64 : n), s);
		return NULL;
	}
	if ((why = toml_number_unsupported(s, n)) != NULL) {
		toml_error(p, line, col, "unsupported TOML: %s (`%.*s`)", why,
		           (int)(n > 64 ? 64 : n), s);
		return NULL;
	}
	if (toml_decimal(s, n, &iv, &why) < 0) {
		toml_error(p, line, col, "%s (`%.*s`)", why,
		           (int)(n > 64 ? 64 : n), s);
		return NULL;
	}
	if (!(v = toml_node_new(p, TOML_INT, depth, line, col)))
		return NULL;
	v->ival = iv;
	v->text = fl_ydoc_strndup(p->doc, s, n);
	v->len = n;
	return v;
}

/* [ v, v, ... ] over several lines, trailing comma allowed. */
static struct toml_node *
toml_array(struct toml_parser *p, int depth)
{
	struct toml_node *a =
	    toml_node_new(p, TOML_ARRAY, depth, p->line, p->col);
	struct toml_node *v;

	if (!a)
		return NULL;
	toml_adv(p); /* [ */
	for (;;) {
		if (toml_skip_blank(p) < 0)
			return NULL;
		if (toml_peek(p, 0) == ']')
			break;
		if (toml_peek(p, 0) < 0) {
			toml_error(p, a->line, a->col,
			           "unterminated array (no closing `]`)");
			return NULL;
		}
		if (!(v = toml_value(p, depth + 1)))
			return NULL;
		toml_push(p, a, v);
		if (toml_skip_blank(p) < 0)
			return NULL;
		if (toml_peek(p, 0) == ',') {
			toml_adv(p);
			continue;
		}
		if (toml_peek(p, 0) == ']')
			break;
		if (toml_peek(p, 0) < 0)
			toml_error(p, a->line, a->col,
			           "unterminated array (no closing `]`)");
		else
			toml_error(p, p->line, p->col,
			           "expected `,` or `]` in an array, found "
			           "`%c`",
			           toml_peek(p, 0));
		return NULL;
	}
	toml_adv(p); /* ] */
	a->frozen = 1;
	return a;
}

static int toml_assign(struct toml_parser *p, struct toml_node *t,
                       int in_inline);

/* Freeze an inline table and every dotted table inside it. */
static void
toml_freeze(struct toml_node *t)
{
	struct toml_entry *e;

	t->frozen = 1;
	for (e = t->first; e; e = e->next)
		if (e->val->kind == TOML_TABLE && !e->val->frozen)
			toml_freeze(e->val);
}

/* { k = v, k.x = v } on one line, no trailing comma (TOML 1.0). */
static struct toml_node *
toml_inline(struct toml_parser *p, int depth)
{
	struct toml_node *t =
	    toml_node_new(p, TOML_TABLE, depth, p->line, p->col);

	if (!t)
		return NULL;
	t->origin = TOML_INLINE;
	toml_adv(p); /* { */
	toml_skip_ws(p);
	if (toml_peek(p, 0) == '}') {
		toml_adv(p);
		t->frozen = 1;
		return t;
	}
	for (;;) {
		toml_skip_ws(p);
		if (toml_at_newline(p) || toml_peek(p, 0) == '#' ||
		    toml_peek(p, 0) < 0) {
			toml_error(p, p->line, p->col,
			           "an inline table must stay on one line "
			           "(TOML 1.0)");
			return NULL;
		}
		if (toml_peek(p, 0) == '}') {
			toml_error(p, p->line, p->col,
			           "trailing comma in an inline table");
			return NULL;
		}
		if (toml_assign(p, t, 1) < 0)
			return NULL;
		toml_skip_ws(p);
		if (toml_peek(p, 0) == ',') {
			toml_adv(p);
			continue;
		}
		if (toml_peek(p, 0) == '}')
			break;
		if (toml_at_newline(p) || toml_peek(p, 0) < 0 ||
		    toml_peek(p, 0) == '#')
			toml_error(p, p->line, p->col,
			           "an inline table must stay on one line "
			           "(TOML 1.0)");
		else
			toml_error(p, p->line, p->col,
			           "expected `,` or `}` in an inline table, "
			           "found `%c`",
			           toml_peek(p, 0));
		return NULL;
	}
	toml_adv(p); /* } */
	toml_freeze(t);
	return t;
}

/* Any value at p. */
static struct toml_node *
toml_value(struct toml_parser *p, int depth)
{
	int c = toml_peek(p, 0), line = p->line, col = p->col;
	struct toml_node *v;

	if (depth > TOML_MAX_DEPTH) {
		toml_error(p, line, col,
		           "nesting too deep (more than %d levels)",
		           TOML_MAX_DEPTH);
		return NULL;
	}
	if (c == '"' || c == '\'') {
		if (!(v = toml_node_new(p, TOML_STR, depth, line, col)))
			return NULL;
		if (toml_string(p, &v->text, &v->len) < 0)
			return NULL;
		return v;
	}
	if (c == '[')
		return toml_array(p, depth);
	if (c == '{')
		return toml_inline(p, depth);
	return toml_word(p, depth);
}

/* ---- key/value pairs and headers -------------------------------------------- */

/* Walk the dotted prefix keys[0..n-1) from t for an assignment,
 * creating DOTTED tables; the table to put the last key into. */
static struct toml_node *
toml_dotted(struct toml_parser *p, struct toml_node *t,
            const struct toml_key *keys, size_t n)
{
	char path[512];
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		struct toml_entry *e = toml_find(p, t, &keys[i]);
		struct toml_node *sub;

		if (!e) {
			sub = toml_node_new(p, TOML_TABLE, t->depth + 1,
			                    keys[i].line, keys[i].col);
			if (!sub)
				return NULL;
			sub->origin = TOML_DOTTED;
			toml_put(p, t, &keys[i], sub);
			t = sub;
			continue;
		}
		sub = e->val;
		if (sub->kind == TOML_TABLE && sub->origin == TOML_DOTTED &&
		    !sub->frozen) {
			t = sub;
			continue;
		}
		toml_path(keys, i + 1, path, sizeof(path));
		if (sub->kind == TOML_TABLE)
			toml_error(
			    p, keys[i].line, keys[i].col,
			    "cannot add keys to %s `%s` with a dotted key: "
			    "it is defined at line %d",
			    toml_describe(sub), path, sub->line);
		else
			toml_error(p, keys[i].line, keys[i].col,
			           "`%s` is already %s (line %d), not a table",
			           path, toml_describe(sub), e->kline);
		return NULL;
	}
	return t;
}

/* key = value into table t (the current table, or an inline table). */
static int
toml_assign(struct toml_parser *p, struct toml_node *t, int in_inline)
{
	struct toml_key keys[TOML_MAX_KEYS];
	struct toml_entry *e;
	struct toml_node *v;
	char path[512];
	size_t n;

	(void)in_inline;
	if (toml_key(p, keys, &n) < 0)
		return -1;
	if (toml_peek(p, 0) != '=') {
		if (toml_peek(p, 0) < 0 || toml_at_newline(p))
			return toml_error(
			    p, p->line, p->col,
			    "expected `=` after the key `%s`",
			    toml_path(keys, n, path, sizeof(path)));
		return toml_error(p, p->line, p->col,
		                  "expected `=` after the key `%s`, found `%c`",
		                  toml_path(keys, n, path, sizeof(path)),
		                  toml_peek(p, 0));
	}
	toml_adv(p);
	toml_skip_ws(p);
	if (!(t = toml_dotted(p, t, keys, n)))
		return -1;
	if ((e = toml_find(p, t, &keys[n - 1])) != NULL)
		return toml_error(p, keys[n - 1].line, keys[n - 1].col,
		                  "duplicate key `%s` (first at line %d)",
		                  toml_path(keys, n, path, sizeof(path)),
		                  e->kline);
	if (!(v = toml_value(p, t->depth + 1)))
		return -1;
	toml_put(p, t, &keys[n - 1], v);
	return 0;
}

/* Walk a header's prefix keys[0..n-1) from the root, creating IMPLICIT
 * tables and entering the last element of arrays of tables. */
static struct toml_node *
toml_header_walk(struct toml_parser *p, const struct toml_key *keys, size_t n)
{
	struct toml_node *t = p->root;
	char path[512];
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		struct toml_entry *e = toml_find(p, t, &keys[i]);
		struct toml_node *sub;

		if (!e) {
			sub = toml_node_new(p, TOML_TABLE, t->depth + 1,
			                    keys[i].line, keys[i].col);
			if (!sub)
				return NULL;
			sub->origin = TOML_IMPLICIT;
			toml_put(p, t, &keys[i], sub);
			t = sub;
			continue;
		}
		sub = e->val;
		if (sub->kind == TOML_TABLE && !sub->frozen) {
			t = sub;
			continue;
		}
		if (sub->kind == TOML_ARRAY && sub->aot) {
			t = sub->last->val;
			continue;
		}
		toml_path(keys, i + 1, path, sizeof(path));
		toml_error(p, keys[i].line, keys[i].col,
		           "`%s` is already %s (line %d); a header cannot "
		           "extend it",
		           path, toml_describe(sub), e->kline);
		return NULL;
	}
	return t;
}

/* [a.b] or [[a.b]] at p (the first `[`). */
static int
toml_header(struct toml_parser *p)
{
	struct toml_key keys[TOML_MAX_KEYS];
	int line = p->line, col = p->col, aot = toml_peek(p, 1) == '[';
	struct toml_entry *e;
	struct toml_node *t, *sub;
	char path[512];
	size_t n;

	toml_adv(p);
	if (aot)
		toml_adv(p);
	toml_skip_ws(p);
	if (toml_key(p, keys, &n) < 0)
		return -1;
	if (toml_peek(p, 0) != ']' || (aot && toml_peek(p, 1) != ']'))
		return toml_error(p, p->line, p->col,
		                  "expected `%s` to close "
		                  "the table header",
		                  aot ? "]]" : "]");
	toml_adv(p);
	if (aot)
		toml_adv(p);
	toml_path(keys, n, path, sizeof(path));
	if (!(t = toml_header_walk(p, keys, n)))
		return -1;
	e = toml_find(p, t, &keys[n - 1]);
	if (aot) {
		if (!e) {
			sub = toml_node_new(p, TOML_ARRAY, t->depth + 1, line,
			                    col);
			if (!sub)
				return -1;
			sub->aot = 1;
			toml_put(p, t, &keys[n - 1], sub);
		} else if (e->val->kind == TOML_ARRAY && e->val->aot) {
			sub = e->val;
		} else {
			return toml_error(p, line, col,
			                  "`%s` is already %s (line %d); "
			                  "[[%s]] needs an array of tables",
			                  path, toml_describe(e->val), e->kline,
			                  path);
		}
		if (!(p->cur = toml_node_new(p, TOML_TABLE, sub->depth + 1,
		                             line, col)))
			return -1;
		p->cur->origin = TOML_HEADER;
		toml_push(p, sub, p->cur);
		return toml_end_of_line(p, "the table header");
	}
	if (!e) {
		if (!(sub = toml_node_new(p, TOML_TABLE, t->depth + 1, line,
		                          col)))
			return -1;
		sub->origin = TOML_HEADER;
		toml_put(p, t, &keys[n - 1], sub);
	} else if (e->val->kind == TOML_TABLE &&
	           e->val->origin == TOML_IMPLICIT) {
		sub = e->val;
		sub->origin = TOML_HEADER;
		sub->line = line;
		sub->col = col;
	} else if (e->val->kind == TOML_TABLE &&
	           e->val->origin == TOML_HEADER) {
		return toml_error(p, line, col,
		                  "duplicate table [%s] (first at line %d)",
		                  path, e->val->line);
	} else if (e->val->kind == TOML_TABLE) {
		return toml_error(p, line, col,
		                  "table [%s] is already defined at line %d "
		                  "(by %s)",
		                  path, e->val->line,
		                  e->val->origin == TOML_INLINE
		                      ? "an inline table"
		                      : "dotted keys");
	} else {
		return toml_error(p, line, col,
		                  "`%s` is already %s (line %d), not a table",
		                  path, toml_describe(e->val), e->kline);
	}
	p->cur = sub;
	return toml_end_of_line(p, "the table header");
}

/* The whole input. */
static int
toml_parse(struct toml_parser *p)
{
	int nl;

	if (p->len >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
		p->i = 3; /* a BOM is not a character */
	if (toml_check_utf8(p) < 0)
		return -1;
	while (toml_peek(p, 0) >= 0) {
		toml_skip_ws(p);
		if (toml_skip_comment(p) < 0)
			return -1;
		if ((nl = toml_at_newline(p))) {
			while (nl--)
				toml_adv(p);
			continue;
		}
		if (toml_peek(p, 0) < 0)
			break;
		if (toml_peek(p, 0) == '[') {
			if (toml_header(p) < 0)
				return -1;
			continue;
		}
		if (toml_assign(p, p->cur, 0) < 0 ||
		    toml_end_of_line(p, "the value") < 0)
			return -1;
	}
	return 0;
}

/* ---- conversion to the document tree ---------------------------------------- */

static const struct fl_ynode *
toml_convert(struct fl_ydoc *doc, const struct toml_node *t)
{
	struct fl_ynode *n = fl_ydoc_alloc(doc, sizeof(*n));
	const struct toml_entry *e;
	size_t i = 0;

	n->line = t->line;
	n->col = t->col;
	switch (t->kind) {
	case TOML_TABLE: {
		struct fl_ypair *pairs =
		    fl_ydoc_alloc(doc, t->n * sizeof(*pairs));

		n->kind = FL_YNODE_MAP;
		for (e = t->first; e; e = e->next, i++) {
			struct fl_ynode *k = fl_ydoc_alloc(doc, sizeof(*k));

			k->kind = FL_YNODE_SCALAR;
			k->line = e->kline;
			k->col = e->kcol;
			k->u.s.text = e->key;
			k->u.s.len = e->klen;
			k->u.s.type = FL_YSCALAR_STR;
			k->u.s.quoted = e->kquoted;
			pairs[i].key = k;
			pairs[i].value = toml_convert(doc, e->val);
		}
		n->u.map.pairs = pairs;
		n->u.map.n = t->n;
		break;
	}
	case TOML_ARRAY: {
		const struct fl_ynode **items =
		    fl_ydoc_alloc(doc, t->n * sizeof(*items));

		n->kind = FL_YNODE_SEQ;
		for (e = t->first; e; e = e->next)
			items[i++] = toml_convert(doc, e->val);
		n->u.seq.items = items;
		n->u.seq.n = t->n;
		break;
	}
	case TOML_STR:
	case TOML_INT:
	case TOML_BOOL:
		n->kind = FL_YNODE_SCALAR;
		n->u.s.text = t->text;
		n->u.s.len = t->len;
		n->u.s.type = t->kind == TOML_STR   ? FL_YSCALAR_STR
		              : t->kind == TOML_INT ? FL_YSCALAR_INT
		                                    : FL_YSCALAR_BOOL;
		n->u.s.quoted = t->kind == TOML_STR;
		n->u.s.ival = t->ival;
		n->u.s.boolean = t->bval;
		break;
	}
	return n;
}

struct fl_ydoc *
fl_toml_load_mem(const char *data, size_t len, const char *display_name,
                 struct fl_err *err)
{
	struct toml_parser p;
	int rc;

	fl_err_clear(err);
	if (data && len > TOML_MAX_FILE) {
		/* the string buffers are capped at this size too */
		fl_err_set(err, FL_ERR_CONFIG,
		           "%s: file too large (more than %zu MiB)",
		           display_name ? display_name : "TOML",
		           TOML_MAX_FILE / (1024 * 1024));
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.s = data ? data : "";
	p.len = data ? len : 0;
	p.line = p.col = 1;
	p.err = err;
	p.doc = fl_ydoc_new(display_name);
	p.root = fl_ydoc_alloc(p.doc, sizeof(*p.root)); /* a table at 1:1 */
	p.root->kind = TOML_TABLE;
	p.root->line = p.root->col = 1;
	p.root->origin = TOML_HEADER;
	p.cur = p.root;
	rc = toml_parse(&p);
	free(p.slots);
	if (rc < 0) {
		fl_ydoc_free(p.doc);
		return NULL;
	}
	fl_ydoc_set_root(p.doc, toml_convert(p.doc, p.root));
	return p.doc;
}

struct fl_ydoc *
fl_toml_load_file(const char *path, const char *display_name,
                  struct fl_err *err)
{
	const char *display = display_name ? display_name : path;
	struct fl_ydoc *doc = NULL;
	struct fl_buf buf;
	char chunk[16384];
	FILE *fp;
	size_t n;

	if (!(fp = fopen(path, "rb"))) {
		fl_err_sys(err, FL_ERR_IO, "%s: cannot read", display);
		return NULL;
	}
	fl_buf_init(&buf, TOML_MAX_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (fl_buf_append(&buf, chunk, n)) {
			fl_err_set(err, FL_ERR_CONFIG,
			           "%s: file too large (more than %zu MiB)",
			           display, TOML_MAX_FILE / (1024 * 1024));
			goto out;
		}
	}
	if (ferror(fp)) {
		fl_err_sys(err, FL_ERR_IO, "%s: cannot read", display);
		goto out;
	}
	doc = fl_toml_load_mem(fl_buf_str(&buf), buf.len, display, err);
out:
	fclose(fp);
	fl_buf_done(&buf);
	return doc;
}

int
fl_toml_is_toml_path(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return n >= 5 && strcmp(path + n - 5, ".toml") == 0;
}
