/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * node_pool.h - the nodes of one OpenSearch sink (a `url` list) and which
 * of them are up: the one place that picks the node of the next request.
 *
 * Requests go round robin over the nodes that are up. A node that
 * refuses a connection, times out or answers 502/503 is marked down with
 * a backoff (util/backoff.c: 1 s doubling to 15 s); once that delay has
 * passed, the next pick probes it with one request (the others keep
 * skipping it until that request reports). A success marks it up again.
 * With every node down, a pick still returns the node that is due first,
 * so the caller's request fails quickly and the caller's own "waiting
 * for OpenSearch" handling applies.
 *
 * Threads: one pool is shared by every HTTP client of a sink (its control
 * thread and each writer); every call takes the pool's mutex. It is
 * reference counted: each client made from it holds a reference, so a
 * client outlives the settings it was made from. Times are
 * CLOCK_MONOTONIC milliseconds passed in by the caller (tests pass their
 * own); `since` in a snapshot is wall-clock microseconds.
 *
 * Owns: the node list, the up/down state, the backoff per node and the
 * round-robin cursor. Does not own: HTTP (util/http_client.c reports
 * outcomes here), what a failure means for the data (the sink), the
 * status board (readers copy a snapshot).
 */
#ifndef FL_NODE_POOL_H
#define FL_NODE_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Nodes a pool holds at most (a longer list is a config error). */
#define FL_NODE_POOL_MAX 16

/* One node as shown on the status board. */
struct fl_node_state {
	char url[128];     /* without credentials */
	int up;            /* 1 up, 0 down */
	int64_t since_us;  /* wall clock of the last up/down change, 0 never */
	uint64_t failures; /* failures counted since the process started */
	char last_error[128];
};

struct fl_node_pool;

/*
 * A pool over a comma-separated list of base URLs ("http://a:9200,
 * http://b:9200"; blanks around items and trailing '/' trimmed). NULL
 * with err (FL_ERR_CONFIG) when an item is empty or there are more than
 * FL_NODE_POOL_MAX. Every node starts up.
 */
struct fl_node_pool *fl_node_pool_new(const char *list, struct fl_err *err);
/* One more owner of p (an HTTP client made from it); returns p. */
struct fl_node_pool *fl_node_pool_ref(struct fl_node_pool *p);
/* Drop one owner; the last one frees the pool. NULL is a no-op. */
void fl_node_pool_free(struct fl_node_pool *p);

size_t fl_node_pool_count(const struct fl_node_pool *p);
/* Base URL of node i, as given (credentials included); borrowed for the
 * pool's life. */
const char *fl_node_pool_url(const struct fl_node_pool *p, size_t i);

/* The node of the next request at now_ms (see above); any thread. */
size_t fl_node_pool_pick(struct fl_node_pool *p, int64_t now_ms);

/* Outcome of a request sent to node i: ok, or a node failure (why: a
 * short text for the status). Requests that failed for other reasons
 * (cancelled, 4xx, ...) report ok: the node answered. Any thread. */
void fl_node_pool_report(struct fl_node_pool *p, size_t i, int ok,
                         const char *why, int64_t now_ms);

/* Nodes up now. */
size_t fl_node_pool_up(struct fl_node_pool *p);

/* Copy up to max node states into out; returns how many. */
size_t fl_node_pool_snapshot(struct fl_node_pool *p, struct fl_node_state *out,
                             size_t max);

/* Set the backoff of every node (tests; defaults 1000 and 15000 ms). */
void fl_node_pool_set_backoff(struct fl_node_pool *p, int base_ms, int max_ms);

/* url without "user:password@", into out (always terminated). */
void fl_node_pool_redact(const char *url, char *out, size_t n);

#endif
