/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * json_diff.c - field-level differences between two JSON documents (see
 * json_diff.h). The path grows in one buffer as the walk descends.
 */
#include "util/json_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strutil.h"

struct jd_walk {
	struct fl_buf path;
	fl_jdiff_fn fn;
	void *arg;
	size_t n;
	int stop;
};

static void
jd_report(struct jd_walk *w, enum fl_jdiff_kind kind, const cJSON *want,
          const cJSON *have)
{
	struct fl_jdiff d = { fl_buf_str(&w->path), kind, want, have };

	w->n++;
	if (w->fn && w->fn(w->arg, &d))
		w->stop = 1;
}

static void jd_walk(struct jd_walk *w, const cJSON *a, const cJSON *b);

/* Cut the path back to len bytes. */
static void
jd_cut(struct jd_walk *w, size_t len)
{
	w->path.len = len;
	if (w->path.data)
		w->path.data[len] = '\0';
}

/* The path was extended past len: report or descend, then cut back. */
static void
jd_step(struct jd_walk *w, size_t len, const cJSON *a, const cJSON *b)
{
	if (!a)
		jd_report(w, FL_JDIFF_EXTRA, NULL, b);
	else if (!b)
		jd_report(w, FL_JDIFF_MISSING, a, NULL);
	else
		jd_walk(w, a, b);
	jd_cut(w, len);
}

/* Member `key` of an object. */
static void
jd_member(struct jd_walk *w, const char *key, const cJSON *a, const cJSON *b)
{
	size_t len = w->path.len;

	if (len)
		fl_buf_putc(&w->path, '.');
	fl_buf_puts(&w->path, key);
	jd_step(w, len, a, b);
}

/* Element i of an array. */
static void
jd_element(struct jd_walk *w, int i, const cJSON *a, const cJSON *b)
{
	size_t len = w->path.len;

	fl_buf_printf(&w->path, "[%d]", i);
	jd_step(w, len, a, b);
}

static void
jd_walk(struct jd_walk *w, const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;
	int i;

	if (w->stop)
		return;
	if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
		cJSON_ArrayForEach(x, a)
		{
			if (w->stop)
				return;
			y = cJSON_GetObjectItemCaseSensitive(b, x->string);
			if (!y || !cJSON_Compare(x, y, 1))
				jd_member(w, x->string, x, y);
		}
		cJSON_ArrayForEach(y, b)
		{
			if (w->stop)
				return;
			if (!cJSON_GetObjectItemCaseSensitive(a, y->string))
				jd_member(w, y->string, NULL, y);
		}
		return;
	}
	if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
		x = a->child;
		y = b->child;
		for (i = 0; (x || y) && !w->stop; i++) {
			if (!x || !y || !cJSON_Compare(x, y, 1))
				jd_element(w, i, x, y);
			x = x ? x->next : NULL;
			y = y ? y->next : NULL;
		}
		return;
	}
	if (!cJSON_Compare(a, b, 1))
		jd_report(w, FL_JDIFF_CHANGED, a, b);
}

size_t
fl_jdiff(const cJSON *want, const cJSON *have, fl_jdiff_fn fn, void *arg)
{
	struct jd_walk w;

	memset(&w, 0, sizeof(w));
	fl_buf_init(&w.path, (size_t)1 << 16);
	w.fn = fn;
	w.arg = arg;
	if (!want && !have)
		;
	else if (!want)
		jd_report(&w, FL_JDIFF_EXTRA, NULL, have);
	else if (!have)
		jd_report(&w, FL_JDIFF_MISSING, want, NULL);
	else
		jd_walk(&w, want, have);
	fl_buf_done(&w.path);
	return w.n;
}

struct jd_first {
	char *out;
	size_t n;
};

static int
jd_first_fn(void *arg, const struct fl_jdiff *d)
{
	struct jd_first *f = arg;

	fl_str_copy(f->out, f->n, d->path);
	return 1;
}

int
fl_jdiff_first(const cJSON *want, const cJSON *have, char *out, size_t n)
{
	struct jd_first f = { out, n };

	if (n)
		out[0] = '\0';
	return fl_jdiff(want, have, jd_first_fn, &f) ? 1 : 0;
}

void
fl_jdiff_value(const cJSON *v, char *out, size_t n)
{
	char *s;

	if (!n)
		return;
	if (!v) {
		fl_str_copy(out, n, "(absent)");
		return;
	}
	s = cJSON_PrintUnformatted(v);
	if (!s) {
		fl_str_copy(out, n, "?");
		return;
	}
	if (strlen(s) >= n && n > 4)
		snprintf(out, n, "%.*s...", (int)(n - 4), s);
	else
		fl_str_copy(out, n, s);
	free(s);
}
