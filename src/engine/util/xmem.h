/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xmem.h - allocation wrappers that abort on out-of-memory.
 *
 * OOM is the one failure we do not propagate (see style guide §6.3): every
 * caller would only be able to give up anyway, and propagating it doubles
 * the error paths. Returned memory belongs to the caller.
 */
#ifndef FL_XMEM_H
#define FL_XMEM_H

#include <stddef.h>

#include "util/fl.h"

void *fl_xmalloc(size_t n);
void *fl_xcalloc(size_t count, size_t size);
void *fl_xrealloc(void *p, size_t n);
/* Grow an array to hold at least `need` items of `size`; updates *cap. */
void *fl_xgrow(void *p, size_t *cap, size_t need, size_t size);
char *fl_xstrdup(const char *s);
char *fl_xstrndup(const char *s, size_t n);
char *fl_xasprintf(const char *fmt, ...) FL_PRINTF(1, 2);
/* Zero n bytes at p in a way the compiler cannot drop (secrets). */
void fl_wipe(void *p, size_t n);
/* fl_wipe the string s (NULL is fine), then free it. */
void fl_wipe_free(char *s);

#endif
