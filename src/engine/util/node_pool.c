/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * node_pool.c - round robin over the OpenSearch nodes that are up, with
 * a backoff per node that is down (see node_pool.h).
 *
 * DESIGN
 *   State per node: up, or down until retry_at (monotonic ms). A pick
 *   walks the ring once from the cursor and takes the first node that is
 *   up or whose retry_at has passed; taking a down node pushes its
 *   retry_at by its current delay, so one probe goes out and the other
 *   callers keep skipping it until that probe reports. No node eligible:
 *   the down node due first is returned (all down: the request fails
 *   fast and the caller waits as it does for a single node).
 *   Lock: one mutex, held for a few comparisons, never across I/O.
 */
#include "util/node_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/backoff.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/xmem.h"

/* The longest a down node waits for its next probe: a restarted node
 * serves again within this of answering. */
#define NP_MAX_BACKOFF_MS 15000

struct np_node {
	char *url;
	int up;
	int64_t retry_at; /* down: the next probe, monotonic ms */
	int delay_ms;     /* down: the backoff it waits now */
	struct fl_backoff backoff;
	struct fl_node_state st;
};

struct fl_node_pool {
	atomic_int refs;
	pthread_mutex_t mu;
	size_t n, cursor;
	struct np_node nodes[FL_NODE_POOL_MAX];
};

void
fl_node_pool_redact(const char *url, char *out, size_t n)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *at = strchr(host, '@');
	const char *slash = strchr(host, '/');
	size_t k;

	if (!n)
		return;
	if (!at || (slash && slash < at)) {
		fl_str_copy(out, n, url);
		return;
	}
	k = (size_t)(host - url);
	if (k >= n)
		k = n - 1;
	memcpy(out, url, k);
	out[k] = '\0';
	fl_str_copy(out + k, n - k, at + 1);
}

/* Add item [b, e) of the list as a node; -1 when it is empty. */
static int
np_add(struct fl_node_pool *p, const char *b, const char *e)
{
	struct np_node *nd;

	while (b < e && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	                 e[-1] == '\r'))
		e--;
	while (e > b && e[-1] == '/')
		e--;
	if (e == b)
		return -1;
	nd = &p->nodes[p->n++];
	nd->url = fl_xstrndup(b, (size_t)(e - b));
	nd->up = 1;
	nd->backoff = (struct fl_backoff)FL_BACKOFF_INIT;
	nd->backoff.max_ms = NP_MAX_BACKOFF_MS;
	nd->st.up = 1;
	fl_node_pool_redact(nd->url, nd->st.url, sizeof(nd->st.url));
	return 0;
}

struct fl_node_pool *
fl_node_pool_new(const char *list, struct fl_err *err)
{
	struct fl_node_pool *p = fl_xcalloc(1, sizeof(*p));
	const char *b = list, *c;

	atomic_init(&p->refs, 1);
	pthread_mutex_init(&p->mu, NULL);
	for (;;) {
		c = strchr(b, ',');
		if (p->n == FL_NODE_POOL_MAX) {
			fl_err_set(
			    err, FL_ERR_CONFIG,
			    "too many OpenSearch nodes in url (at most %d)",
			    FL_NODE_POOL_MAX);
			goto fail;
		}
		if (np_add(p, b, c ? c : b + strlen(b)) < 0) {
			/* (not the list itself: it may hold credentials) */
			fl_err_set(
			    err, FL_ERR_CONFIG,
			    "node %zu of the OpenSearch url list is empty",
			    p->n + 1);
			goto fail;
		}
		if (!c)
			break;
		b = c + 1;
	}
	return p;
fail:
	fl_node_pool_free(p);
	return NULL;
}

struct fl_node_pool *
fl_node_pool_ref(struct fl_node_pool *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

void
fl_node_pool_free(struct fl_node_pool *p)
{
	size_t i;

	if (!p || atomic_fetch_sub(&p->refs, 1) > 1)
		return;
	for (i = 0; i < p->n; i++)
		fl_wipe_free(p->nodes[i].url); /* may hold user:password@ */
	pthread_mutex_destroy(&p->mu);
	free(p);
}

size_t
fl_node_pool_count(const struct fl_node_pool *p)
{
	return p->n;
}

const char *
fl_node_pool_url(const struct fl_node_pool *p, size_t i)
{
	return i < p->n ? p->nodes[i].url : p->nodes[0].url;
}

size_t
fl_node_pool_pick(struct fl_node_pool *p, int64_t now_ms)
{
	size_t k, i, best = 0;
	int found = 0;

	pthread_mutex_lock(&p->mu);
	for (k = 0; k < p->n; k++) {
		struct np_node *nd;

		i = (p->cursor + k) % p->n;
		nd = &p->nodes[i];
		if (nd->up)
			break;
		if (nd->retry_at <= now_ms) {
			/* one probe; the others wait for its report
			 * (a failed probe then sets the next backoff) */
			nd->retry_at = now_ms + nd->delay_ms;
			break;
		}
		if (!found || nd->retry_at < p->nodes[best].retry_at)
			best = i;
		found = 1;
	}
	if (k < p->n) {
		best = (p->cursor + k) % p->n;
		p->cursor = best + 1;
	}
	pthread_mutex_unlock(&p->mu);
	return best;
}

void
fl_node_pool_report(struct fl_node_pool *p, size_t i, int ok, const char *why,
                    int64_t now_ms)
{
	struct np_node *nd;

	if (i >= p->n)
		return;
	nd = &p->nodes[i];
	pthread_mutex_lock(&p->mu);
	if (ok) {
		if (!nd->up) {
			nd->up = 1;
			nd->st.up = 1;
			nd->st.since_us = fl_wall_us();
		}
		fl_backoff_reset(&nd->backoff);
	} else {
		nd->st.failures++;
		fl_str_copy(nd->st.last_error, sizeof(nd->st.last_error),
		            why ? why : "");
		if (nd->up) {
			nd->up = 0;
			nd->st.up = 0;
			nd->st.since_us = fl_wall_us();
		}
		nd->delay_ms = fl_backoff_next_ms(&nd->backoff);
		nd->retry_at = now_ms + nd->delay_ms;
	}
	pthread_mutex_unlock(&p->mu);
}

size_t
fl_node_pool_up(struct fl_node_pool *p)
{
	size_t i, up = 0;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++)
		up += p->nodes[i].up != 0;
	pthread_mutex_unlock(&p->mu);
	return up;
}

size_t
fl_node_pool_snapshot(struct fl_node_pool *p, struct fl_node_state *out,
                      size_t max)
{
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n && i < max; i++)
		out[i] = p->nodes[i].st;
	pthread_mutex_unlock(&p->mu);
	return i;
}

void
fl_node_pool_set_backoff(struct fl_node_pool *p, int base_ms, int max_ms)
{
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++) {
		p->nodes[i].backoff.base_ms = base_ms;
		p->nodes[i].backoff.max_ms = max_ms;
	}
	pthread_mutex_unlock(&p->mu);
}
