/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * buf.c - capped growable buffers. Allocation failure aborts (xmem); only
 * the cap can make an append fail.
 */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

void
fl_buf_init(struct fl_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
fl_buf_done(struct fl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
fl_buf_reset(struct fl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int
fl_buf_append(struct fl_buf *b, const void *p, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -1;
	b->data = fl_xgrow(b->data, &b->cap, b->len + n + 1, 1);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
fl_buf_puts(struct fl_buf *b, const char *s)
{
	return fl_buf_append(b, s, strlen(s));
}

int
fl_buf_putc(struct fl_buf *b, char c)
{
	return fl_buf_append(b, &c, 1);
}

int
fl_buf_printf(struct fl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > b->max || b->len > b->max - (size_t)n)
		return -1;
	b->data = fl_xgrow(b->data, &b->cap, b->len + (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
fl_buf_steal(struct fl_buf *b)
{
	char *p = b->data ? b->data : fl_xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *
fl_buf_str(const struct fl_buf *b)
{
	return b->data ? b->data : "";
}
