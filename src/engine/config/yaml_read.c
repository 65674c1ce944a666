/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yaml_read.c - typed YAML getters with positioned diagnostics.
 */
#include "config/yaml_read.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strutil.h"
#include "util/xmem.h"

void
fl_yread_init(struct fl_yread *r, struct fl_diags *diags, const char *file)
{
	r->diags = diags;
	r->file = file;
	r->path[0] = '\0';
	r->plen = 0;
}

size_t
fl_yread_push(struct fl_yread *r, const char *fmt, ...)
{
	size_t mark = r->plen;
	char seg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(seg, sizeof(seg), fmt, ap);
	va_end(ap);
	n = snprintf(r->path + r->plen, sizeof(r->path) - r->plen, "%s%s",
	             (r->plen && seg[0] != '[') ? "." : "", seg);
	if (n > 0)
		r->plen += (size_t)n;
	if (r->plen >= sizeof(r->path))
		r->plen = sizeof(r->path) - 1;
	return mark;
}

void
fl_yread_pop(struct fl_yread *r, size_t mark)
{
	r->plen = mark;
	r->path[mark] = '\0';
}

static int yread_vreport(struct fl_yread *r, enum fl_diag_sev sev,
                         const struct fl_ynode *at, const char *fmt, va_list ap)
    FL_VPRINTF(4);

static int
yread_vreport(struct fl_yread *r, enum fl_diag_sev sev,
              const struct fl_ynode *at, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fl_diags_add(r->diags, sev, r->file, at ? at->line : 0,
	             at ? at->col : 0, r->path, "%s", msg);
	return sev == FL_DIAG_ERROR ? -1 : 0;
}

int
fl_yread_error(struct fl_yread *r, const struct fl_ynode *at, const char *fmt,
               ...)
{
	va_list ap;

	va_start(ap, fmt);
	yread_vreport(r, FL_DIAG_ERROR, at, fmt, ap);
	va_end(ap);
	return -1;
}

int
fl_yread_warn(struct fl_yread *r, const struct fl_ynode *at, const char *fmt,
              ...)
{
	va_list ap;

	va_start(ap, fmt);
	yread_vreport(r, FL_DIAG_WARNING, at, fmt, ap);
	va_end(ap);
	return 0;
}

int
fl_yread_key_error(struct fl_yread *r, const struct fl_ynode *at,
                   const char *key, const char *fmt, ...)
{
	size_t mark = fl_yread_push(r, "%s", key);
	va_list ap;

	va_start(ap, fmt);
	yread_vreport(r, FL_DIAG_ERROR, at, fmt, ap);
	va_end(ap);
	fl_yread_pop(r, mark);
	return -1;
}

void
fl_yread_found(const struct fl_ynode *n, char *out, size_t len)
{
	if (!n) {
		snprintf(out, len, "nothing");
	} else if (n->kind == FL_YNODE_SCALAR &&
	           n->u.s.type == FL_YSCALAR_STR) {
		if (n->u.s.len > 40)
			snprintf(out, len, "the string `%.37s...`",
			         n->u.s.text);
		else
			snprintf(out, len, "the string `%s`", n->u.s.text);
	} else if (n->kind == FL_YNODE_MAP && n->u.map.n == 0) {
		snprintf(out, len, "an empty mapping");
	} else {
		snprintf(out, len, "%s", fl_ynode_describe(n));
	}
}

int
fl_yread_check_keys(struct fl_yread *r, const struct fl_ynode *map,
                    const char *const *allowed, size_t n)
{
	struct fl_buf list;
	int unknown = 0;
	size_t i, j;

	if (!map || map->kind != FL_YNODE_MAP)
		return 0;
	fl_buf_init(&list, 4096);
	for (j = 0; j < n; j++)
		if (allowed[j])
			fl_buf_printf(&list, "%s`%s`", list.len ? ", " : "",
			              allowed[j]);
	for (i = 0; i < map->u.map.n; i++) {
		const struct fl_ynode *k = map->u.map.pairs[i].key;
		const char *hint;
		int found = 0;

		for (j = 0; j < n && !found; j++)
			found =
			    allowed[j] && strcmp(allowed[j], k->u.s.text) == 0;
		if (found)
			continue;
		unknown++;
		hint = fl_str_suggest(k->u.s.text, allowed, n, 2);
		if (hint)
			fl_yread_error(r, k,
			               "unknown key `%s` — did you mean `%s`? "
			               "(accepted: %s)",
			               k->u.s.text, hint, fl_buf_str(&list));
		else
			fl_yread_error(r, k, "unknown key `%s` (accepted: %s)",
			               k->u.s.text, fl_buf_str(&list));
	}
	fl_buf_done(&list);
	return unknown;
}

int
fl_yread_is_map(struct fl_yread *r, const struct fl_ynode *n, const char *what)
{
	char found[96];

	if (n && n->kind == FL_YNODE_MAP)
		return 1;
	fl_yread_found(n, found, sizeof(found));
	fl_yread_error(r, n, "expected %s, found %s", what, found);
	return 0;
}

int
fl_yread_is_seq(struct fl_yread *r, const struct fl_ynode *n, const char *what)
{
	char found[96];

	if (n && n->kind == FL_YNODE_SEQ)
		return 1;
	fl_yread_found(n, found, sizeof(found));
	fl_yread_error(r, n, "expected %s, found %s", what, found);
	return 0;
}

/* map[key], or report it missing when required. 1 = absent. */
static int
yread_lookup(struct fl_yread *r, const struct fl_ynode *map, const char *key,
             int required, const struct fl_ynode **out)
{
	*out = fl_ynode_get(map, key);
	if (*out)
		return 0;
	if (required)
		return fl_yread_error(r, map, "missing key `%s`", key);
	return 1;
}

int
fl_yread_str(struct fl_yread *r, const struct fl_ynode *map, const char *key,
             int required, char **out)
{
	const struct fl_ynode *v;
	char found[96];
	int rc = yread_lookup(r, map, key, required, &v);

	if (rc)
		return rc;
	if (v->kind != FL_YNODE_SCALAR || v->u.s.type != FL_YSCALAR_STR) {
		fl_yread_found(v, found, sizeof(found));
		return fl_yread_key_error(r, v, key,
		                          "expected a string, found %s", found);
	}
	*out = fl_xstrndup(v->u.s.text, v->u.s.len);
	return 0;
}

int
fl_yread_bool(struct fl_yread *r, const struct fl_ynode *map, const char *key,
              int required, int *out)
{
	const struct fl_ynode *v;
	char found[96];
	int rc = yread_lookup(r, map, key, required, &v);

	if (rc)
		return rc;
	if (v->kind != FL_YNODE_SCALAR || v->u.s.type != FL_YSCALAR_BOOL) {
		fl_yread_found(v, found, sizeof(found));
		return fl_yread_key_error(
		    r, v, key, "expected a boolean (`true`/`false`), found %s",
		    found);
	}
	*out = v->u.s.boolean;
	return 0;
}

int
fl_yread_long(struct fl_yread *r, const struct fl_ynode *map, const char *key,
              int required, long min, long max, long *out)
{
	const struct fl_ynode *v;
	char found[96];
	int rc = yread_lookup(r, map, key, required, &v);

	if (rc)
		return rc;
	if (v->kind != FL_YNODE_SCALAR || v->u.s.type != FL_YSCALAR_INT) {
		fl_yread_found(v, found, sizeof(found));
		return fl_yread_key_error(
		    r, v, key, "expected an integer, found %s", found);
	}
	if (v->u.s.int_overflow || v->u.s.ival < min || v->u.s.ival > max) {
		if (min == 1 && max == 1)
			return fl_yread_key_error(
			    r, v, key, "must be 1, found %s", v->u.s.text);
		if (v->u.s.ival < min && max >= 2147483647L)
			return fl_yread_key_error(
			    r, v, key, "must be at least %ld, found %s", min,
			    v->u.s.text);
		return fl_yread_key_error(
		    r, v, key, "must be between %ld and %ld, found %s", min,
		    max, v->u.s.text);
	}
	*out = (long)v->u.s.ival;
	return 0;
}

static int
yread_is_ws_at(const unsigned char *p, size_t left, size_t *w)
{
	if (left >= 1 && (*p == ' ' || (*p >= '\t' && *p <= '\r'))) {
		*w = 1;
		return 1;
	}
	if (left >= 2 && p[0] == 0xc2 && p[1] == 0xa0) {
		*w = 2;
		return 1;
	}
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 && p[2] <= 0x8b) {
		*w = 3;
		return 1;
	}
	if (left >= 3 && ((p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) ||
	                  (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))) {
		*w = 3;
		return 1;
	}
	return 0;
}

/* Length of a whitespace sequence ending exactly at p+len. */
static size_t
yread_trailing_ws(const unsigned char *p, size_t len)
{
	size_t w;

	if (len >= 1 && yread_is_ws_at(p + len - 1, 1, &w))
		return 1;
	if (len >= 2 && yread_is_ws_at(p + len - 2, 2, &w) && w == 2)
		return 2;
	if (len >= 3 && yread_is_ws_at(p + len - 3, 3, &w) && w == 3)
		return 3;
	return 0;
}

char *
fl_trim_dup(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w, t;

	while (len && yread_is_ws_at(p, len, &w)) {
		p += w;
		len -= w;
	}
	while (len && (t = yread_trailing_ws(p, len)) > 0)
		len -= t;
	return fl_xstrndup((const char *)p, len);
}

char *
fl_ident_normalize(const char *text, size_t len)
{
	char *s = fl_trim_dup(text, len);
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (n == 0 || n > 63 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		goto bad;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '_'))
			goto bad;
	}
	return s;
bad:
	free(s);
	return NULL;
}

int
fl_field_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c < 0x80 && (isalnum(c) || c == '_')))
			return 0;
	}
	return 1;
}

int
fl_yread_ident(struct fl_yread *r, const struct fl_ynode *map, const char *key,
               int required, const char *what, char **out)
{
	const struct fl_ynode *v;
	char found[96];
	char *s;
	int rc = yread_lookup(r, map, key, required, &v);

	if (rc)
		return rc;
	if (v->kind != FL_YNODE_SCALAR || v->u.s.type != FL_YSCALAR_STR) {
		fl_yread_found(v, found, sizeof(found));
		return fl_yread_key_error(r, v, key, "expected a %s, found %s",
		                          what, found);
	}
	s = fl_ident_normalize(v->u.s.text, v->u.s.len);
	if (!s)
		return fl_yread_key_error(
		    r, v, key,
		    "invalid %s `%s`: use letters, digits and `_`, "
		    "starting with a letter or `_`, at most 63 characters "
		    "(quoted, case-sensitive identifiers are not supported)",
		    what, v->u.s.text);
	*out = s;
	return 0;
}

const char *
fl_yread_text(const struct fl_ynode *n)
{
	return n && n->kind == FL_YNODE_SCALAR ? n->u.s.text : NULL;
}
