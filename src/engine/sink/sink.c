/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sink.c - what all sinks share: freeing index states and flush
 * reports, and building the sinks of a configuration (fan-out for two
 * or more, the one sink, or the stdout fallback when none is
 * configured). The sinks themselves live in sink_os*.c,
 * stdout_sink.c and fanout_sink.c.
 */
#include "sink/sink.h"

#include <stdlib.h>

#include "util/xmem.h"

void
fl_sink_index_state_done(struct fl_sink_index_state *s)
{
	size_t i;

	if (!s)
		return;
	free(s->backfill_cursor);
	for (i = 0; i < s->nsuperseded; i++)
		free(s->superseded[i]);
	free(s->superseded);
	for (i = 0; i < s->norphans; i++)
		free(s->orphans[i]);
	free(s->orphans);
	s->backfill_cursor = NULL;
	s->superseded = NULL;
	s->orphans = NULL;
	s->nsuperseded = 0;
	s->norphans = 0;
}

void
fl_sink_report_done(struct fl_sink_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].index);
		free(r->v[i].id);
		free(r->v[i].reason);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

void
fl_pending_page_done(struct fl_pending_page *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->v[i].key);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

int
fl_sink_can_hold(const struct fl_sink *s)
{
	return s && s->ops->hold_load && s->ops->hold_save &&
	       s->ops->pending_page && s->ops->pending_remove &&
	       s->ops->pending_count;
}

struct fl_sink *
fl_sink_from_config(const struct fl_config *c, int pretty, struct fl_err *err)
{
	struct fl_sink **v;
	struct fl_sink *one;
	size_t i, j;

	if (c->nsinks == 0)
		return fl_sink_stdout_new("stdout", pretty);
	v = fl_xcalloc(c->nsinks, sizeof(*v));
	for (i = 0; i < c->nsinks; i++) {
		const struct fl_sink_cfg *sc = &c->sinks[i];

		if (sc->type == FL_SINK_STDOUT)
			v[i] = fl_sink_stdout_new(sc->name, sc->pretty);
		else
			v[i] = fl_sink_os_new(sc, c->prefix, err);
		if (!v[i]) {
			fl_err_prefix(err, "sink %s", sc->name);
			for (j = 0; j < i; j++)
				v[j]->ops->free(v[j]);
			free(v);
			return NULL;
		}
	}
	if (c->nsinks == 1) {
		one = v[0];
		free(v);
		return one;
	}
	one = fl_sink_fanout_new(v, c->nsinks);
	free(v);
	return one;
}
