/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * json_write.c - JSON string escaping (the canonical form of config.md §6.1:
 * escape `"`, `\` and every byte below 0x20 as \u00xx; nothing else).
 */
#include "util/json_write.h"

#include <stdio.h>
#include <string.h>

int
fl_json_put_stringn(struct fl_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	if (fl_buf_putc(b, '"') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (fl_buf_append(b, s + run, i - run) < 0)
			return -1;
		run = i + 1;
		if (c == '"' || c == '\\') {
			char two[2] = { '\\', (char)c };

			if (fl_buf_append(b, two, 2) < 0)
				return -1;
			continue;
		}
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		if (fl_buf_append(b, esc, 6) < 0)
			return -1;
	}
	if (fl_buf_append(b, s + run, n - run) < 0)
		return -1;
	return fl_buf_putc(b, '"');
}

int
fl_json_put_string(struct fl_buf *b, const char *s)
{
	return fl_json_put_stringn(b, s, strlen(s));
}

static int
json_newline(struct fl_buf *b, int depth)
{
	int r = fl_buf_putc(b, '\n');

	while (depth-- > 0)
		r |= fl_buf_puts(b, "  ");
	return r;
}

int
fl_json_pretty(const char *p, struct fl_buf *b)
{
	int depth = 0, r = 0;

	for (; *p; p++) {
		char c = *p;

		if (c == '"') {
			const char *q = p + 1;

			while (*q && *q != '"')
				q += (*q == '\\' && q[1]) ? 2 : 1;
			r |=
			    fl_buf_append(b, p, (size_t)(q - p) + (*q ? 1 : 0));
			p = *q ? q : q - 1;
		} else if (c == '{' || c == '[') {
			if ((c == '{' && p[1] == '}') ||
			    (c == '[' && p[1] == ']')) {
				r |= fl_buf_append(b, p, 2);
				p++;
				continue;
			}
			r |= fl_buf_putc(b, c);
			r |= json_newline(b, ++depth);
		} else if (c == '}' || c == ']') {
			r |= json_newline(b, --depth);
			r |= fl_buf_putc(b, c);
		} else if (c == ',') {
			r |= fl_buf_putc(b, c);
			r |= json_newline(b, depth);
		} else if (c == ':') {
			r |= fl_buf_puts(b, ": ");
		} else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
			r |= fl_buf_putc(b, c);
		}
	}
	return r;
}
