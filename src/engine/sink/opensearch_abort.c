/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_abort.c - aborting an OpenSearch sink (sink.h set_abort):
 * the caller's flag reaches every HTTP client of the sink, the control
 * face's and each writer's, made before or after the call; an aborted
 * call reports itself cancelled.
 *
 * Owns: the registry of the sink's clients, set_abort, the cancelled
 * error. Does not own: acting on the flag (util/http_client.c aborts
 * requests; fl_sink_os_backoff and the retry loops of opensearch_api.c
 * and opensearch_writer.c stop on it, reading it through their client
 * with fl_http_aborted).
 *
 * DESIGN
 *   Threads: set_abort may run on any thread at any time. The flag
 *   pointer and the registry are under the sink's mutex (s->mu). A client
 *   is registered by its owner thread right after it is made and removed
 *   before it is freed, so set_abort never touches a freed client.
 *   fl_http_set_abort is an atomic store that wakes the client's wait,
 *   so a request in flight when the flag is installed sees it at once,
 *   and from then on a set flag within 100 ms.
 *   Invariant: every registered client has the sink's current flag.
 */
#include <stdlib.h>

#include "sink/opensearch_sink.h"
#include "util/xmem.h"

void
fl_sink_os_set_abort(struct fl_sink *base, const atomic_int *flag)
{
	struct fl_sink_os *s = (struct fl_sink_os *)base;
	size_t i;

	pthread_mutex_lock(&s->mu);
	s->abort_flag = flag;
	for (i = 0; i < s->nclients; i++)
		fl_http_set_abort(s->clients[i], flag);
	pthread_mutex_unlock(&s->mu);
}

void
fl_sink_os_client_add(struct fl_sink_os *s, struct fl_http *h)
{
	pthread_mutex_lock(&s->mu);
	fl_http_set_abort(h, s->abort_flag);
	s->clients = fl_xgrow(s->clients, &s->capclients, s->nclients + 1,
	                      sizeof(*s->clients));
	s->clients[s->nclients++] = h;
	pthread_mutex_unlock(&s->mu);
}

void
fl_sink_os_client_remove(struct fl_sink_os *s, struct fl_http *h)
{
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nclients; i++)
		if (s->clients[i] == h) {
			s->clients[i] = s->clients[--s->nclients];
			break;
		}
	pthread_mutex_unlock(&s->mu);
}

int
fl_sink_os_cancelled(const char *what, struct fl_err *err)
{
	fl_err_set(err, FL_ERR_CANCELLED,
	           "%s: cancelled (the sink was aborted)", what);
	return FL_SINK_TRANSIENT;
}
