/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * value.c - typed values from YAML, and their canonical JSON.
 *
 * Canonical JSON (config.md §6.1): no whitespace; map members sorted by
 * unsigned byte order of their keys (kept sorted on insertion); strings
 * escaped by fl_json_put_string; integers in decimal; floats as the
 * shortest %.{p}g that parses back to the same double, with ".0"
 * appended when the text has no '.', 'e' or 'n'. Non-finite floats have
 * no JSON form and render as null.
 */
#include "config/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_write.h"
#include "util/xmem.h"

struct fl_val *
fl_val_new(enum fl_val_kind kind)
{
	struct fl_val *v = fl_xcalloc(1, sizeof(*v));

	v->kind = kind;
	return v;
}

struct fl_val *
fl_val_new_str(const char *s)
{
	struct fl_val *v = fl_val_new(FL_VAL_STR);

	v->s = fl_xstrdup(s);
	return v;
}

void
fl_val_free(struct fl_val *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		fl_val_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

/* Index of key in a sorted map, or the insertion point (found = 0). */
static size_t
val_map_find(const struct fl_val *map, const char *key, int *found)
{
	size_t lo = 0, hi = map->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(map->keys[mid], key);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

const struct fl_val *
fl_val_get(const struct fl_val *map, const char *key)
{
	int found;
	size_t i;

	if (!map || map->kind != FL_VAL_MAP)
		return NULL;
	i = val_map_find(map, key, &found);
	return found ? map->items[i] : NULL;
}

void
fl_val_map_set(struct fl_val *map, const char *key, struct fl_val *v)
{
	int found;
	size_t i = val_map_find(map, key, &found);

	if (found) {
		fl_val_free(map->items[i]);
		map->items[i] = v;
		return;
	}
	map->items =
	    fl_xrealloc(map->items, (map->n + 1) * sizeof(*map->items));
	map->keys = fl_xrealloc(map->keys, (map->n + 1) * sizeof(*map->keys));
	memmove(map->items + i + 1, map->items + i,
	        (map->n - i) * sizeof(*map->items));
	memmove(map->keys + i + 1, map->keys + i,
	        (map->n - i) * sizeof(*map->keys));
	map->items[i] = v;
	map->keys[i] = fl_xstrdup(key);
	map->n++;
}

void
fl_val_list_push(struct fl_val *list, struct fl_val *v)
{
	list->items =
	    fl_xrealloc(list->items, (list->n + 1) * sizeof(*list->items));
	list->items[list->n++] = v;
}

struct fl_val *
fl_val_copy(const struct fl_val *v)
{
	struct fl_val *c;
	size_t i;

	if (!v)
		return NULL;
	c = fl_val_new(v->kind);
	c->b = v->b;
	c->i = v->i;
	c->f = v->f;
	if (v->s)
		c->s = fl_xstrdup(v->s);
	for (i = 0; i < v->n; i++) {
		if (v->kind == FL_VAL_MAP)
			fl_val_map_set(c, v->keys[i], fl_val_copy(v->items[i]));
		else
			fl_val_list_push(c, fl_val_copy(v->items[i]));
	}
	return c;
}

/*
 * Decimal digits of an integer too large for 64 bits, written in YAML as
 * decimal, 0x hex or 0o octal (sign and leading zeros normalised), so the
 * canonical JSON is always a valid JSON number.
 */
static char *
val_big_decimal(const char *text, size_t len)
{
	size_t i = 0, nd = 1, k, cap = len * 2 + 4;
	unsigned base = 10;
	char *dig = fl_xcalloc(cap, 1); /* little-endian decimal digits */
	char *out, *p;
	int neg = 0;

	if (i < len && (text[i] == '-' || text[i] == '+'))
		neg = text[i++] == '-';
	if (i + 1 < len && text[i] == '0' &&
	    (text[i + 1] == 'x' || text[i + 1] == 'o')) {
		base = text[i + 1] == 'x' ? 16 : 8;
		i += 2;
	}
	for (; i < len; i++) {
		unsigned c = (unsigned char)text[i], d, carry;

		d = c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
		carry = d;
		for (k = 0; k < nd || carry; k++) {
			unsigned v = (unsigned)dig[k] * base + carry;

			if (k >= nd)
				nd = k + 1;
			dig[k] = (char)(v % 10);
			carry = v / 10;
		}
	}
	while (nd > 1 && dig[nd - 1] == 0)
		nd--;
	out = p = fl_xmalloc(nd + 2);
	if (neg && !(nd == 1 && dig[0] == 0))
		*p++ = '-';
	for (k = nd; k > 0; k--)
		*p++ = (char)('0' + dig[k - 1]);
	*p = '\0';
	free(dig);
	return out;
}

static struct fl_val *
val_from_scalar(const struct fl_ynode *n)
{
	struct fl_val *v;

	switch (n->u.s.type) {
	case FL_YSCALAR_NULL:
		return fl_val_new(FL_VAL_NULL);
	case FL_YSCALAR_BOOL:
		v = fl_val_new(FL_VAL_BOOL);
		v->b = n->u.s.boolean;
		return v;
	case FL_YSCALAR_INT:
		v = fl_val_new(FL_VAL_INT);
		v->i = n->u.s.ival;
		if (n->u.s.int_overflow)
			v->s = val_big_decimal(n->u.s.text, n->u.s.len);
		return v;
	case FL_YSCALAR_FLOAT:
		v = fl_val_new(FL_VAL_FLOAT);
		v->f = n->u.s.fval;
		return v;
	case FL_YSCALAR_STR:
		break;
	}
	v = fl_val_new(FL_VAL_STR);
	v->s = fl_xstrndup(n->u.s.text, n->u.s.len);
	return v;
}

struct fl_val *
fl_val_from_ynode(const struct fl_ynode *n)
{
	struct fl_val *v;
	size_t i;

	if (!n)
		return NULL;
	switch (n->kind) {
	case FL_YNODE_SCALAR:
		return val_from_scalar(n);
	case FL_YNODE_SEQ:
		v = fl_val_new(FL_VAL_LIST);
		for (i = 0; i < n->u.seq.n; i++)
			fl_val_list_push(v,
			                 fl_val_from_ynode(n->u.seq.items[i]));
		return v;
	case FL_YNODE_MAP:
		v = fl_val_new(FL_VAL_MAP);
		for (i = 0; i < n->u.map.n; i++) {
			const struct fl_ynode *k = n->u.map.pairs[i].key;

			fl_val_map_set(
			    v, k->u.s.text,
			    fl_val_from_ynode(n->u.map.pairs[i].value));
		}
		return v;
	}
	return NULL;
}

void
fl_val_format_double(double d, char *out, size_t n)
{
	int p;

	if (!isfinite(d)) {
		snprintf(out, n, "null");
		return;
	}
	if (d == 0)
		d = 0; /* -0.0 renders as 0.0 */
	for (p = 1; p <= 17; p++) {
		snprintf(out, n, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			break;
	}
	if (!strpbrk(out, ".en"))
		snprintf(out + strlen(out), n - strlen(out), ".0");
}

int
fl_val_to_json(const struct fl_val *v, struct fl_buf *out)
{
	char num[64];
	size_t i;
	int r = 0;

	switch (v->kind) {
	case FL_VAL_NULL:
		return fl_buf_puts(out, "null");
	case FL_VAL_BOOL:
		return fl_buf_puts(out, v->b ? "true" : "false");
	case FL_VAL_INT:
		if (v->s)
			return fl_buf_puts(out, v->s);
		return fl_buf_printf(out, "%lld", v->i);
	case FL_VAL_FLOAT:
		fl_val_format_double(v->f, num, sizeof(num));
		return fl_buf_puts(out, num);
	case FL_VAL_STR:
		return fl_json_put_string(out, v->s);
	case FL_VAL_LIST:
		r |= fl_buf_putc(out, '[');
		for (i = 0; i < v->n; i++) {
			if (i)
				r |= fl_buf_putc(out, ',');
			r |= fl_val_to_json(v->items[i], out);
		}
		return r | fl_buf_putc(out, ']');
	case FL_VAL_MAP:
		r |= fl_buf_putc(out, '{');
		for (i = 0; i < v->n; i++) {
			if (i)
				r |= fl_buf_putc(out, ',');
			r |= fl_json_put_string(out, v->keys[i]);
			r |= fl_buf_putc(out, ':');
			r |= fl_val_to_json(v->items[i], out);
		}
		return r | fl_buf_putc(out, '}');
	}
	return -1;
}

const char *
fl_val_scalar_text(const struct fl_val *v, char *buf, size_t n)
{
	switch (v->kind) {
	case FL_VAL_BOOL:
		return v->b ? "true" : "false";
	case FL_VAL_INT:
		if (v->s)
			return v->s;
		snprintf(buf, n, "%lld", v->i);
		return buf;
	case FL_VAL_FLOAT:
		fl_val_format_double(v->f, buf, n);
		return buf;
	case FL_VAL_STR:
		return v->s;
	default:
		return NULL;
	}
}

/* Newline plus two spaces per level. */
static int
val_pretty_indent(struct fl_buf *out, int level)
{
	int r = fl_buf_putc(out, '\n');

	while (level-- > 0)
		r |= fl_buf_puts(out, "  ");
	return r;
}

static int
val_pretty(const struct fl_val *v, struct fl_buf *out, int level)
{
	int map = v->kind == FL_VAL_MAP;
	size_t i;
	int r = 0;

	if ((v->kind != FL_VAL_LIST && !map) || v->n == 0)
		return fl_val_to_json(v, out);
	r |= fl_buf_putc(out, map ? '{' : '[');
	for (i = 0; i < v->n; i++) {
		if (i)
			r |= fl_buf_putc(out, ',');
		r |= val_pretty_indent(out, level + 1);
		if (map) {
			r |= fl_json_put_string(out, v->keys[i]);
			r |= fl_buf_puts(out, ": ");
		}
		r |= val_pretty(v->items[i], out, level + 1);
	}
	r |= val_pretty_indent(out, level);
	return r | fl_buf_putc(out, map ? '}' : ']');
}

int
fl_val_to_json_pretty(const struct fl_val *v, struct fl_buf *out)
{
	return val_pretty(v, out, 0) ? -1 : 0;
}
