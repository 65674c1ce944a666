/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * buf.h - a growable byte buffer with a hard size cap (curl's dynbuf idea).
 *
 * Every buffer has a `max`: appends that would exceed it fail with -1 and
 * leave the buffer unchanged, so untrusted input cannot grow memory without
 * bound. The data is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef FL_BUF_H
#define FL_BUF_H

#include <stddef.h>

#include "util/fl.h"

struct fl_buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* largest allowed len */
};

void fl_buf_init(struct fl_buf *b, size_t max);
void fl_buf_done(struct fl_buf *b);
void fl_buf_reset(struct fl_buf *b);
/* Append n bytes; -1 (buffer unchanged) if len would exceed max. */
int fl_buf_append(struct fl_buf *b, const void *p, size_t n);
int fl_buf_puts(struct fl_buf *b, const char *s);
int fl_buf_putc(struct fl_buf *b, char c);
int fl_buf_printf(struct fl_buf *b, const char *fmt, ...) FL_PRINTF(2, 3);
/* Hand the contents to the caller (who frees them); the buffer is reset. */
char *fl_buf_steal(struct fl_buf *b);
/* The contents as a C string ("" when empty); borrowed. */
const char *fl_buf_str(const struct fl_buf *b);

#endif
