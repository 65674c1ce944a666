/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yaml_doc.c - a YAML file as a tree of positioned nodes (libyaml event API).
 *
 * Owns: driving libyaml's event parser over one buffer, building mapping,
 * sequence and scalar nodes in a per-document arena, YAML 1.2 core-schema
 * resolution of plain scalars (config.md §1.2), anchors and aliases, and
 * the errors that belong to YAML itself (syntax, duplicate keys, merge
 * keys, non-scalar keys, several documents, alias bombs, deep nesting).
 * Does not own: what any key means (config.c, schema.c, yaml_read.c).
 *
 * DESIGN
 *   - The builder keeps an explicit stack of open collections ("frames");
 *     children are collected in heap arrays and copied into the arena when
 *     the collection ends, so finished nodes never move.
 *   - An alias shares the anchored node. The anchor is registered when its
 *     node starts and resolved when it ends, so an alias inside its own
 *     anchored node (a cycle) is recognised and rejected.
 *   - Expanded size: every node event counts 1 and every alias counts the
 *     expanded size of its target, so the running total is the expanded
 *     size of the document read so far; it is checked at each event, so an
 *     alias bomb stops at the alias that crosses the cap. A node's own size
 *     is the total at its end minus the total before its start.
 *   - Duplicate keys and anchors are found through small open-addressing
 *     hash tables, so a large mapping costs O(n), not O(n^2).
 *   - No global state: any thread may load documents; a document is
 *     read-only after loading and may be shared.
 */
#include "config/yaml_doc.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/buf.h"
#include "util/strutil.h"
#include "util/xmem.h"

#define YDOC_MAX_NODES     100000 /* expanded nodes per document */
#define YDOC_MAX_DEPTH     256    /* open collections */
#define YDOC_MAX_FILE      ((size_t)16 * 1024 * 1024)
#define YDOC_CHUNK_FIRST   4096
#define YDOC_CHUNK_LARGEST ((size_t)1024 * 1024)
#define YDOC_HASH_AT       8 /* mappings with this many keys get a table */

/* One arena chunk; allocations are carved from data[]. */
struct ydoc_chunk {
	struct ydoc_chunk *next;
	size_t cap, used;
	max_align_t data[];
};

struct fl_ydoc {
	struct ydoc_chunk *chunks; /* newest first */
	size_t chunk_next;         /* size of the next chunk */
	const struct fl_ynode *root;
	const char *name; /* in the arena */
};

/* A hash table slot: the key bytes (borrowed) and an entry index + 1. */
struct ydoc_hslot {
	const char *s;
	size_t len;
	size_t idx1; /* 0: empty */
};

struct ydoc_htab {
	struct ydoc_hslot *slots;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

/* An open sequence or mapping. */
struct ydoc_frame {
	struct fl_ynode *node;
	size_t anchor1;      /* index + 1 into the builder's anchors, or 0 */
	size_t total_before; /* builder total before this node */
	const struct fl_ynode **items; /* sequence items */
	struct fl_ypair *pairs;        /* mapping pairs; key set before value */
	size_t n, cap;                 /* complete items or pairs */
	int have_key;                  /* mapping: pairs[n].key is pending */
	struct ydoc_htab keys;         /* mapping key -> pair index */
};

struct ydoc_anchor {
	const char *name;            /* in the arena */
	const struct fl_ynode *node; /* NULL while the node is still open */
	size_t size;                 /* expanded size of node */
};

struct ydoc_build {
	struct fl_ydoc *doc;
	const char *data; /* the input, for positions of reader errors */
	size_t len;
	struct fl_err *err;
	struct ydoc_frame *frames;
	size_t nframes, capframes;
	struct ydoc_anchor *anchors;
	size_t nanchors, capanchors;
	struct ydoc_htab anchor_tab;
	size_t total;    /* expanded nodes so far */
	size_t naliases; /* alias events so far */
	int ndocs;
	locale_t c_numeric; /* for strtod; created on the first float */
};

/* Allocate n bytes (max_align_t aligned) from the document's arena. */
static void *
ydoc_alloc(struct fl_ydoc *doc, size_t n)
{
	const size_t a = alignof(max_align_t);
	struct ydoc_chunk *c = doc->chunks;
	void *p;

	FL_ASSERT(n <= SIZE_MAX / 2);
	n = n ? (n + a - 1) / a * a : a;
	if (!c || c->cap - c->used < n) {
		size_t cap = doc->chunk_next > n ? doc->chunk_next : n;

		c = fl_xmalloc(sizeof(*c) + cap);
		c->cap = cap;
		c->used = 0;
		c->next = doc->chunks;
		doc->chunks = c;
		if (doc->chunk_next < YDOC_CHUNK_LARGEST)
			doc->chunk_next *= 2;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/* Copy len bytes into the arena as a NUL-terminated string. */
static char *
ydoc_strndup(struct fl_ydoc *doc, const char *s, size_t len)
{
	char *p = ydoc_alloc(doc, len + 1);

	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* FNV-1a over the key bytes. */
static size_t
ydoc_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return (size_t)h;
}

/* The slot holding key s, or the empty slot where it would go (cap > 0). */
static struct ydoc_hslot *
ydoc_htab_find(const struct ydoc_htab *h, const char *s, size_t len)
{
	size_t mask = h->cap - 1;
	size_t i = ydoc_hash(s, len) & mask;

	for (;;) {
		struct ydoc_hslot *sl = &h->slots[i];

		if (!sl->idx1 ||
		    (sl->len == len && (!len || memcmp(sl->s, s, len) == 0)))
			return sl;
		i = (i + 1) & mask;
	}
}

/* Map key s to entry idx, replacing an existing mapping of s. */
static void
ydoc_htab_put(struct ydoc_htab *h, const char *s, size_t len, size_t idx)
{
	struct ydoc_hslot *sl;

	if ((h->n + 1) * 2 > h->cap) {
		struct ydoc_htab big;
		size_t i;

		big.cap = h->cap ? h->cap * 2 : 16;
		big.n = 0;
		big.slots = fl_xcalloc(big.cap, sizeof(*big.slots));
		for (i = 0; i < h->cap; i++)
			if (h->slots[i].idx1)
				*ydoc_htab_find(&big, h->slots[i].s,
				                h->slots[i].len) = h->slots[i];
		big.n = h->n;
		free(h->slots);
		*h = big;
	}
	sl = ydoc_htab_find(h, s, len);
	if (!sl->idx1)
		h->n++;
	sl->s = s;
	sl->len = len;
	sl->idx1 = idx + 1;
}

/* Release a table's slots. */
static void
ydoc_htab_done(struct ydoc_htab *h)
{
	free(h->slots);
	h->slots = NULL;
	h->cap = h->n = 0;
}

/* Clamp a 0-based libyaml mark coordinate to a 1-based int. */
static int
ydoc_pos(size_t zero_based)
{
	return zero_based >= (size_t)INT_MAX ? INT_MAX : (int)zero_based + 1;
}

static int ydoc_error(struct ydoc_build *b, int line, int col, const char *fmt,
                      ...) FL_PRINTF(4, 5);

/* Fill b->err with "<name>:<line>:<col>: <message>"; returns -1. */
static int
ydoc_error(struct ydoc_build *b, int line, int col, const char *fmt, ...)
{
	char msg[FL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		snprintf(msg, sizeof(msg), "(unformattable error)");
	va_end(ap);
	return fl_err_set(b->err, FL_ERR_CONFIG, "%s:%d:%d: %s", b->doc->name,
	                  line, col, msg);
}

/* Line and column (1-based, in characters) of byte offset off. */
static void
ydoc_offset_pos(const char *data, size_t len, size_t off, int *line, int *col)
{
	size_t i;
	int l = 1, c = 1;

	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\n' ||
		    (ch == '\r' && (i + 1 >= len || data[i + 1] != '\n'))) {
			if (l < INT_MAX)
				l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80 && ch != '\r' && c < INT_MAX) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* Report the parser's error with its position; returns -1. */
static int
ydoc_syntax_error(struct ydoc_build *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return ydoc_error(b, 1, 1, "out of memory while parsing YAML");
	case YAML_READER_ERROR:
		ydoc_offset_pos(b->data, b->len, p->problem_offset, &line,
		                &col);
		if (p->problem_value >= 0)
			return ydoc_error(b, line, col,
			                  "YAML syntax error: %s (0x%02X)",
			                  problem, (unsigned)p->problem_value);
		return ydoc_error(b, line, col, "YAML syntax error: %s",
		                  problem);
	default:
		line = ydoc_pos(p->problem_mark.line);
		col = ydoc_pos(p->problem_mark.column);
		if (p->context)
			return ydoc_error(
			    b, line, col,
			    "YAML syntax error: %s (%s at line %d)", problem,
			    p->context, ydoc_pos(p->context_mark.line));
		return ydoc_error(b, line, col, "YAML syntax error: %s",
		                  problem);
	}
}

/* Does s[0..len) equal one of the NULL-terminated words? */
static int
ydoc_is_one_of(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && memcmp(*words, s, len) == 0)
			return 1;
	return 0;
}

/*
 * If s matches the core-schema int rule, set the node's ival (saturated,
 * with int_overflow, when it does not fit) and return 1; else 0.
 */
static int
ydoc_resolve_int(struct fl_ynode *n, const char *s, size_t len)
{
	unsigned long long acc = 0, limit = (unsigned long long)LLONG_MAX;
	size_t i = 0;
	int base = 10, neg = 0, ovf = 0;

	if (len > 2 && s[0] == '0' && s[1] == 'x') {
		base = 16;
		i = 2;
	} else if (len > 2 && s[0] == '0' && s[1] == 'o') {
		base = 8;
		i = 2;
	} else if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i >= len)
		return 0;
	if (neg)
		limit += 1; /* |LLONG_MIN| */
	for (; i < len; i++) {
		int d = fl_hex_digit(s[i]);

		if (d < 0 || d >= base)
			return 0;
		if (acc > (limit - (unsigned)d) / (unsigned)base)
			ovf = 1;
		else
			acc = acc * (unsigned)base + (unsigned)d;
	}
	n->u.s.type = FL_YSCALAR_INT;
	n->u.s.int_overflow = ovf;
	if (ovf)
		n->u.s.ival = neg ? LLONG_MIN : LLONG_MAX;
	else if (neg)
		n->u.s.ival = acc > (unsigned long long)LLONG_MAX
		                  ? LLONG_MIN
		                  : -(long long)acc;
	else
		n->u.s.ival = (long long)acc;
	return 1;
}

/* Skip ASCII digits from s[*i]; returns how many. */
static size_t
ydoc_skip_digits(const char *s, size_t len, size_t *i)
{
	size_t start = *i;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	return *i - start;
}

/* Does s match [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? ? */
static int
ydoc_is_decimal_float(const char *s, size_t len)
{
	size_t i = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i < len && s[i] == '.') {
		i++;
		if (!ydoc_skip_digits(s, len, &i))
			return 0;
	} else {
		if (!ydoc_skip_digits(s, len, &i))
			return 0;
		if (i < len && s[i] == '.') {
			i++;
			ydoc_skip_digits(s, len, &i);
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		if (!ydoc_skip_digits(s, len, &i))
			return 0;
	}
	return i == len;
}

/* strtod in the C locale, whatever LC_NUMERIC the process uses. */
static double
ydoc_strtod(struct ydoc_build *b, const char *s)
{
	locale_t old;
	double v;

	if (!b->c_numeric)
		b->c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!b->c_numeric)
		return strtod(s, NULL);
	old = uselocale(b->c_numeric);
	v = strtod(s, NULL);
	uselocale(old);
	return v;
}

/* If s matches the core-schema float rule, set fval and return 1. */
static int
ydoc_resolve_float(struct ydoc_build *b, struct fl_ynode *n, const char *s,
                   size_t len)
{
	static const char *const infs[] = { ".inf", ".Inf", ".INF", NULL };
	static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
	size_t sign = len > 0 && (s[0] == '-' || s[0] == '+');

	if (ydoc_is_one_of(s + sign, len - sign, infs))
		n->u.s.fval = s[0] == '-' ? -INFINITY : INFINITY;
	else if (ydoc_is_one_of(s, len, nans))
		n->u.s.fval = NAN;
	else if (ydoc_is_decimal_float(s, len))
		n->u.s.fval = ydoc_strtod(b, s);
	else
		return 0;
	n->u.s.type = FL_YSCALAR_FLOAT;
	return 1;
}

/* Resolve a plain scalar's type (config.md §1.2). */
static void
ydoc_resolve(struct ydoc_build *b, struct fl_ynode *n)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL",
		                             NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	const char *s = n->u.s.text;
	size_t len = n->u.s.len;

	if (len == 0 || ydoc_is_one_of(s, len, nulls)) {
		n->u.s.type = FL_YSCALAR_NULL;
	} else if (ydoc_is_one_of(s, len, trues)) {
		n->u.s.type = FL_YSCALAR_BOOL;
		n->u.s.boolean = 1;
	} else if (ydoc_is_one_of(s, len, falses)) {
		n->u.s.type = FL_YSCALAR_BOOL;
		n->u.s.boolean = 0;
	} else if (!ydoc_resolve_int(n, s, len) &&
	           !ydoc_resolve_float(b, n, s, len)) {
		n->u.s.type = FL_YSCALAR_STR;
	}
}

/* Count size expanded nodes; fails past the cap. Returns 0 or -1. */
static int
ydoc_count(struct ydoc_build *b, size_t size, int line, int col)
{
	b->total += size;
	if (b->total <= YDOC_MAX_NODES)
		return 0;
	if (!b->naliases)
		return ydoc_error(b, line, col,
		                  "document too large (more than %d nodes)",
		                  YDOC_MAX_NODES);
	return ydoc_error(b, line, col,
	                  "document too large after expanding aliases "
	                  "(more than %d nodes)",
	                  YDOC_MAX_NODES);
}

/* Start an anchor named name (its node still open); returns its index. */
static size_t
ydoc_anchor_open(struct ydoc_build *b, const yaml_char_t *name)
{
	const char *s = (const char *)name;
	size_t len = strlen(s);
	struct ydoc_anchor *a;

	b->anchors = fl_xgrow(b->anchors, &b->capanchors, b->nanchors + 1,
	                      sizeof(*b->anchors));
	a = &b->anchors[b->nanchors];
	a->name = ydoc_strndup(b->doc, s, len);
	a->node = NULL;
	a->size = 0;
	ydoc_htab_put(&b->anchor_tab, a->name, len, b->nanchors);
	return b->nanchors++;
}

/* The pair in frame f whose key is s, or NULL. */
static const struct fl_ypair *
ydoc_map_find(struct ydoc_frame *f, const char *s, size_t len)
{
	const struct ydoc_hslot *sl;
	size_t i;

	if (f->n < YDOC_HASH_AT && !f->keys.cap) {
		for (i = 0; i < f->n; i++) {
			const struct fl_ynode *k = f->pairs[i].key;

			if (k->u.s.len == len &&
			    (!len || memcmp(k->u.s.text, s, len) == 0))
				return &f->pairs[i];
		}
		return NULL;
	}
	if (!f->keys.cap)
		for (i = 0; i < f->n; i++)
			ydoc_htab_put(&f->keys, f->pairs[i].key->u.s.text,
			              f->pairs[i].key->u.s.len, i);
	sl = ydoc_htab_find(&f->keys, s, len);
	return sl->idx1 ? &f->pairs[sl->idx1 - 1] : NULL;
}

/* Take node n as the next key of mapping frame f; returns 0 or -1. */
static int
ydoc_map_key(struct ydoc_build *b, struct ydoc_frame *f,
             const struct fl_ynode *n, int line, int col)
{
	const struct fl_ypair *prev;

	if (n->kind != FL_YNODE_SCALAR)
		return ydoc_error(b, line, col, "mapping keys must be strings");
	if (!n->u.s.quoted && n->u.s.len == 2 &&
	    memcmp(n->u.s.text, "<<", 2) == 0)
		return ydoc_error(b, line, col,
		                  "merge keys (`<<`) are not supported; repeat "
		                  "the keys or use an anchor for the whole "
		                  "mapping");
	prev = ydoc_map_find(f, n->u.s.text, n->u.s.len);
	if (prev)
		return ydoc_error(b, line, col,
		                  "duplicate key `%s` (first at line %d)",
		                  n->u.s.text, prev->key->line);
	f->pairs = fl_xgrow(f->pairs, &f->cap, f->n + 1, sizeof(*f->pairs));
	f->pairs[f->n].key = n;
	f->pairs[f->n].value = NULL;
	f->have_key = 1;
	if (f->keys.cap)
		ydoc_htab_put(&f->keys, n->u.s.text, n->u.s.len, f->n);
	return 0;
}

/*
 * Attach a finished node to the open collection (or make it the root).
 * line/col is where the node appears (an alias's own position).
 */
static int
ydoc_add(struct ydoc_build *b, const struct fl_ynode *n, int line, int col)
{
	struct ydoc_frame *f;

	if (!b->nframes) {
		b->doc->root = n;
		return 0;
	}
	f = &b->frames[b->nframes - 1];
	if (f->node->kind == FL_YNODE_SEQ) {
		f->items =
		    fl_xgrow(f->items, &f->cap, f->n + 1, sizeof(*f->items));
		f->items[f->n++] = n;
		return 0;
	}
	if (!f->have_key)
		return ydoc_map_key(b, f, n, line, col);
	f->pairs[f->n++].value = n;
	f->have_key = 0;
	return 0;
}

/* A new node of the given kind at the event's start, zeroed. */
static struct fl_ynode *
ydoc_node(struct ydoc_build *b, enum fl_ynode_kind kind, const yaml_event_t *ev)
{
	struct fl_ynode *n = ydoc_alloc(b->doc, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = ydoc_pos(ev->start_mark.line);
	n->col = ydoc_pos(ev->start_mark.column);
	return n;
}

/* Handle a SCALAR event. */
static int
ydoc_scalar(struct ydoc_build *b, const yaml_event_t *ev)
{
	struct fl_ynode *n = ydoc_node(b, FL_YNODE_SCALAR, ev);
	size_t a;

	n->u.s.text = ydoc_strndup(b->doc, (const char *)ev->data.scalar.value,
	                           ev->data.scalar.length);
	n->u.s.len = ev->data.scalar.length;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	    ev->data.scalar.style != YAML_ANY_SCALAR_STYLE) {
		n->u.s.quoted = 1;
		n->u.s.type = FL_YSCALAR_STR;
	} else {
		ydoc_resolve(b, n);
	}
	if (ydoc_count(b, 1, n->line, n->col))
		return -1;
	if (ev->data.scalar.anchor) {
		a = ydoc_anchor_open(b, ev->data.scalar.anchor);
		b->anchors[a].node = n;
		b->anchors[a].size = 1;
	}
	return ydoc_add(b, n, n->line, n->col);
}

/* Handle an ALIAS event: share the anchored node. */
static int
ydoc_alias(struct ydoc_build *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int line = ydoc_pos(ev->start_mark.line);
	int col = ydoc_pos(ev->start_mark.column);
	const struct ydoc_hslot *sl = NULL;
	const struct ydoc_anchor *a;

	if (b->anchor_tab.cap)
		sl = ydoc_htab_find(&b->anchor_tab, name, strlen(name));
	if (!sl || !sl->idx1)
		return ydoc_error(b, line, col,
		                  "unknown alias `*%s` (no anchor `&%s` before "
		                  "it)",
		                  name, name);
	a = &b->anchors[sl->idx1 - 1];
	if (!a->node)
		return ydoc_error(b, line, col,
		                  "alias `*%s` is inside the node it refers to "
		                  "(recursive aliases are not supported)",
		                  name);
	b->naliases++;
	if (ydoc_count(b, a->size, line, col))
		return -1;
	return ydoc_add(b, a->node, line, col);
}

/* Handle a SEQUENCE_START or MAPPING_START event. */
static int
ydoc_open(struct ydoc_build *b, const yaml_event_t *ev, enum fl_ynode_kind kind,
          const yaml_char_t *anchor)
{
	int line = ydoc_pos(ev->start_mark.line);
	int col = ydoc_pos(ev->start_mark.column);
	struct ydoc_frame *f;
	size_t before = b->total;

	if (b->nframes) {
		f = &b->frames[b->nframes - 1];
		if (f->node->kind == FL_YNODE_MAP && !f->have_key)
			return ydoc_error(b, line, col,
			                  "mapping keys must be strings");
	}
	if (b->nframes >= YDOC_MAX_DEPTH)
		return ydoc_error(b, line, col,
		                  "nesting too deep (more than %d levels)",
		                  YDOC_MAX_DEPTH);
	if (ydoc_count(b, 1, line, col))
		return -1;
	b->frames = fl_xgrow(b->frames, &b->capframes, b->nframes + 1,
	                     sizeof(*b->frames));
	f = &b->frames[b->nframes++];
	memset(f, 0, sizeof(*f));
	f->node = ydoc_node(b, kind, ev);
	f->total_before = before;
	if (anchor)
		f->anchor1 = ydoc_anchor_open(b, anchor) + 1;
	return 0;
}

/* Free a frame's temporary arrays. */
static void
ydoc_frame_done(struct ydoc_frame *f)
{
	free(f->items);
	free(f->pairs);
	ydoc_htab_done(&f->keys);
	f->items = NULL;
	f->pairs = NULL;
}

/* Handle a SEQUENCE_END or MAPPING_END event. */
static int
ydoc_close(struct ydoc_build *b)
{
	struct ydoc_frame *f;
	struct fl_ynode *n;

	FL_ASSERT(b->nframes > 0);
	f = &b->frames[b->nframes - 1];
	n = f->node;
	if (n->kind == FL_YNODE_SEQ && f->n) {
		const struct fl_ynode **items =
		    ydoc_alloc(b->doc, f->n * sizeof(*items));

		memcpy(items, f->items, f->n * sizeof(*items));
		n->u.seq.items = items;
		n->u.seq.n = f->n;
	} else if (n->kind == FL_YNODE_MAP && f->n) {
		struct fl_ypair *pairs =
		    ydoc_alloc(b->doc, f->n * sizeof(*pairs));

		memcpy(pairs, f->pairs, f->n * sizeof(*pairs));
		n->u.map.pairs = pairs;
		n->u.map.n = f->n;
	}
	if (f->anchor1) {
		b->anchors[f->anchor1 - 1].node = n;
		b->anchors[f->anchor1 - 1].size = b->total - f->total_before;
	}
	ydoc_frame_done(f);
	b->nframes--;
	return ydoc_add(b, n, n->line, n->col);
}

/* Dispatch one parser event; returns 0 or -1. */
static int
ydoc_event(struct ydoc_build *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->ndocs++)
			return ydoc_error(b, ydoc_pos(ev->start_mark.line),
			                  ydoc_pos(ev->start_mark.column),
			                  "more than one YAML document in the "
			                  "file");
		return 0;
	case YAML_SCALAR_EVENT:
		return ydoc_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return ydoc_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return ydoc_open(b, ev, FL_YNODE_SEQ,
		                 ev->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return ydoc_open(b, ev, FL_YNODE_MAP,
		                 ev->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return ydoc_close(b);
	default:
		return 0;
	}
}

/* Free everything the builder holds outside the arena. */
static void
ydoc_build_done(struct ydoc_build *b)
{
	size_t i;

	for (i = 0; i < b->nframes; i++)
		ydoc_frame_done(&b->frames[i]);
	free(b->frames);
	free(b->anchors);
	ydoc_htab_done(&b->anchor_tab);
	if (b->c_numeric)
		freelocale(b->c_numeric);
}

/* Parse a buffer into a new document; NULL with err filled on failure. */
struct fl_ydoc *
fl_ydoc_load_mem(const char *data, size_t len, const char *display_name,
                 struct fl_err *err)
{
	struct fl_ydoc *doc = fl_xcalloc(1, sizeof(*doc));
	struct ydoc_build b;
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0, done = 0;

	fl_err_clear(err);
	doc->chunk_next = YDOC_CHUNK_FIRST;
	doc->name =
	    ydoc_strndup(doc, display_name ? display_name : "<memory>",
	                 strlen(display_name ? display_name : "<memory>"));
	memset(&b, 0, sizeof(b));
	b.doc = doc;
	b.data = data ? data : "";
	b.len = data ? len : 0;
	b.err = err;
	if (!yaml_parser_initialize(&p)) {
		/* Only fails when malloc does: OOM aborts (style §6.3). */
		fprintf(stderr, "flusso: out of memory (yaml parser)\n");
		abort();
	}
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)b.data, b.len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = ydoc_syntax_error(&b, &p);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = ydoc_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	ydoc_build_done(&b);
	if (rc) {
		fl_ydoc_free(doc);
		return NULL;
	}
	return doc;
}

/* Read path (at most 16 MiB) and parse it like fl_ydoc_load_mem(). */
struct fl_ydoc *
fl_ydoc_load_file(const char *path, const char *display_name,
                  struct fl_err *err)
{
	const char *display = display_name ? display_name : path;
	struct fl_ydoc *doc;
	struct fl_buf buf;
	char chunk[16384];
	FILE *fp;

	fp = fopen(path, "rb");
	if (!fp) {
		fl_err_sys(err, FL_ERR_IO, "%s: cannot read", display);
		return NULL;
	}
	fl_buf_init(&buf, YDOC_MAX_FILE);
	for (;;) {
		size_t n = fread(chunk, 1, sizeof(chunk), fp);

		if (n && fl_buf_append(&buf, chunk, n)) {
			fl_err_set(err, FL_ERR_CONFIG,
			           "%s: file too large (more than %zu MiB)",
			           display, YDOC_MAX_FILE / (1024 * 1024));
			goto fail;
		}
		if (n < sizeof(chunk)) {
			if (ferror(fp)) {
				fl_err_sys(err, FL_ERR_IO, "%s: cannot read",
				           display);
				goto fail;
			}
			break;
		}
	}
	fclose(fp);
	doc = fl_ydoc_load_mem(fl_buf_str(&buf), buf.len, display, err);
	fl_buf_done(&buf);
	return doc;
fail:
	fclose(fp);
	fl_buf_done(&buf);
	return NULL;
}

/* Free the document and every node in it; NULL is fine. */
void
fl_ydoc_free(struct fl_ydoc *doc)
{
	struct ydoc_chunk *c, *next;

	if (!doc)
		return;
	for (c = doc->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(doc);
}

/* An empty document for another reader to fill (fl_ydoc_alloc ...). */
struct fl_ydoc *
fl_ydoc_new(const char *display_name)
{
	struct fl_ydoc *doc = fl_xcalloc(1, sizeof(*doc));
	const char *name = display_name ? display_name : "<memory>";

	doc->chunk_next = YDOC_CHUNK_FIRST;
	doc->name = ydoc_strndup(doc, name, strlen(name));
	return doc;
}

/* n zeroed bytes from the document's arena. */
void *
fl_ydoc_alloc(struct fl_ydoc *doc, size_t n)
{
	void *p = ydoc_alloc(doc, n);

	memset(p, 0, n);
	return p;
}

/* A NUL-terminated copy of s[0..n) in the document's arena. */
char *
fl_ydoc_strndup(struct fl_ydoc *doc, const char *s, size_t n)
{
	return ydoc_strndup(doc, s, n);
}

/* Make root (built in doc's arena) the document's root. */
void
fl_ydoc_set_root(struct fl_ydoc *doc, const struct fl_ynode *root)
{
	doc->root = root;
}

/* The root node, NULL for an empty document (borrowed). */
const struct fl_ynode *
fl_ydoc_root(const struct fl_ydoc *doc)
{
	return doc ? doc->root : NULL;
}

/* The display name used in messages (borrowed). */
const char *
fl_ydoc_name(const struct fl_ydoc *doc)
{
	return doc ? doc->name : NULL;
}

/* Value of key in mapping map (exact bytes), or NULL. */
const struct fl_ynode *
fl_ynode_get(const struct fl_ynode *map, const char *key)
{
	size_t i, len;

	if (!map || !key || map->kind != FL_YNODE_MAP)
		return NULL;
	len = strlen(key);
	for (i = 0; i < map->u.map.n; i++) {
		const struct fl_ynode *k = map->u.map.pairs[i].key;

		if (k->u.s.len == len && memcmp(k->u.s.text, key, len) == 0)
			return map->u.map.pairs[i].value;
	}
	return NULL;
}

/* A noun phrase for the node's kind, for "expected X, found Y". */
const char *
fl_ynode_describe(const struct fl_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case FL_YNODE_MAP:
		return "a mapping";
	case FL_YNODE_SEQ:
		return "a sequence";
	case FL_YNODE_SCALAR:
		break;
	}
	switch (n->u.s.type) {
	case FL_YSCALAR_NULL:
		return "null";
	case FL_YSCALAR_BOOL:
		return "a boolean";
	case FL_YSCALAR_INT:
		return "an integer";
	case FL_YSCALAR_FLOAT:
		return "a float";
	case FL_YSCALAR_STR:
		break;
	}
	return "a string";
}
