/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xmem.c - malloc family wrappers; abort with a message on OOM or on a
 * size computation that overflows.
 */
#include "util/xmem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

FL_NORETURN static void
xmem_oom(size_t n)
{
	fprintf(stderr, "flusso: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *
fl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		xmem_oom(n);
	return p;
}

void *
fl_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		xmem_oom(count * size);
	return p;
}

void *
fl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		xmem_oom(n);
	return q;
}

void *
fl_xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 8;

	if (need <= *cap)
		return p;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			xmem_oom(SIZE_MAX);
		ncap *= 2;
	}
	if (size && ncap > SIZE_MAX / size)
		xmem_oom(SIZE_MAX);
	p = fl_xrealloc(p, ncap * size);
	*cap = ncap;
	return p;
}

char *
fl_xstrdup(const char *s)
{
	return fl_xstrndup(s, strlen(s));
}

char *
fl_xstrndup(const char *s, size_t n)
{
	char *p = fl_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
fl_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		xmem_oom(0);
	p = fl_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* memset through a volatile pointer: a store before free() stays */
static void *(*const volatile xmem_memset)(void *, int, size_t) = memset;

void
fl_wipe(void *p, size_t n)
{
	if (p && n)
		xmem_memset(p, 0, n);
}

void
fl_wipe_free(char *s)
{
	if (s)
		fl_wipe(s, strlen(s));
	free(s);
}
