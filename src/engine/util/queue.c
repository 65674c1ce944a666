/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * queue.c - a bounded, closable FIFO of pointers between threads.
 *
 * Owns: a fixed ring of item pointers, blocking with deadlines, and close
 * semantics. Does not own the items (the popper does once it has one;
 * fl_queue_free() hands leftovers to a callback).
 *
 * DESIGN
 *   - Threads: any number of pushers and poppers. One mutex guards the
 *     ring and the closed flag; `not_empty` wakes poppers, `not_full`
 *     wakes pushers. Every wait re-checks its condition in a loop, so
 *     spurious wake-ups and stolen items are harmless.
 *   - Deadlines are absolute CLOCK_MONOTONIC times (the condition
 *     variables are created with that clock), so wall-clock jumps neither
 *     shorten nor stretch a timeout. timeout_ms < 0 waits forever, 0 does
 *     not wait; a timed wait that expires re-checks its condition once,
 *     so an item that arrived just at the deadline is still taken.
 *   - Close: pushers fail at once (-1) even when there is room, including
 *     those already waiting; poppers keep taking what is left and see -1
 *     only when the queue is closed and empty.
 *   - fl_queue_pop_many() waits (up to timeout_ms) for the first item
 *     only, then takes whatever is there, up to n, without waiting more.
 */
#include "util/queue.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"
#include "util/fl.h"
#include "util/xmem.h"

struct fl_queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty; /* an item arrived, or closed */
	pthread_cond_t not_full;  /* room appeared, or closed */
	void **items;
	size_t cap;
	size_t head; /* index of the oldest item */
	size_t len;
	int closed;
};

/* Initialise a condition variable that measures time on CLOCK_MONOTONIC. */
static void
queue_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int rc;

	rc = pthread_condattr_init(&attr);
	FL_ASSERT(rc == 0);
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	FL_ASSERT(rc == 0);
	rc = pthread_cond_init(c, &attr);
	FL_ASSERT(rc == 0);
	pthread_condattr_destroy(&attr);
}

/*
 * Wait on c (q->mu held) until the caller's condition may have changed.
 * Returns 0 to re-check, 1 when the deadline has passed (or timeout_ms
 * is 0). The deadline is computed on the first call (*armed == 0).
 */
static int
queue_wait(struct fl_queue *q, pthread_cond_t *c, int timeout_ms,
           struct timespec *deadline, int *armed)
{
	if (timeout_ms == 0)
		return 1;
	if (timeout_ms < 0) {
		pthread_cond_wait(c, &q->mu);
		return 0;
	}
	if (!*armed) {
		fl_clock_deadline(deadline, CLOCK_MONOTONIC, timeout_ms);
		*armed = 1;
	}
	return pthread_cond_timedwait(c, &q->mu, deadline) == ETIMEDOUT;
}

/*
 * Wait (q->mu held) until there is an item or the queue is closed.
 * Returns 0 with an item present, 1 on timeout, -1 when closed and empty.
 */
static int
queue_wait_item(struct fl_queue *q, int timeout_ms)
{
	struct timespec deadline;
	int armed = 0, expired = 0;

	while (q->len == 0 && !q->closed) {
		if (expired)
			return 1;
		expired =
		    queue_wait(q, &q->not_empty, timeout_ms, &deadline, &armed);
	}
	return q->len ? 0 : -1;
}

/* Take the oldest item (q->mu held, q->len > 0). */
static void *
queue_take(struct fl_queue *q)
{
	void *item = q->items[q->head];

	q->items[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return item;
}

/* An empty open queue of `capacity` (> 0) items. Never NULL. */
struct fl_queue *
fl_queue_new(size_t capacity)
{
	struct fl_queue *q;
	int rc;

	FL_ASSERT(capacity > 0);
	q = fl_xcalloc(1, sizeof(*q));
	rc = pthread_mutex_init(&q->mu, NULL);
	FL_ASSERT(rc == 0);
	queue_cond_init(&q->not_empty);
	queue_cond_init(&q->not_full);
	q->items = fl_xcalloc(capacity, sizeof(*q->items));
	q->cap = capacity;
	return q;
}

/* Free (NULL is fine); drop, if not NULL, gets each leftover in order.
 * No other thread may still use the queue. */
void
fl_queue_free(struct fl_queue *q, void (*drop)(void *item))
{
	if (!q)
		return;
	while (q->len) {
		void *item = queue_take(q);

		if (drop)
			drop(item);
	}
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->mu);
	free(q->items);
	free(q);
}

/* Append item, waiting up to timeout_ms for room: 0, 1 timeout, -1 closed. */
int
fl_queue_push(struct fl_queue *q, void *item, int timeout_ms)
{
	struct timespec deadline;
	int armed = 0, expired = 0, rc = 0;

	pthread_mutex_lock(&q->mu);
	while (q->len == q->cap && !q->closed) {
		if (expired) {
			rc = 1;
			goto out;
		}
		expired =
		    queue_wait(q, &q->not_full, timeout_ms, &deadline, &armed);
	}
	if (q->closed) {
		rc = -1;
		goto out;
	}
	q->items[(q->head + q->len) % q->cap] = item;
	q->len++;
	pthread_cond_signal(&q->not_empty);
out:
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* Take the oldest item, waiting up to timeout_ms: 0, 1 timeout, -1 closed
 * and empty. The caller owns *item on 0. */
int
fl_queue_pop(struct fl_queue *q, void **item, int timeout_ms)
{
	int rc;

	pthread_mutex_lock(&q->mu);
	rc = queue_wait_item(q, timeout_ms);
	if (rc == 0) {
		*item = queue_take(q);
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* Take up to n items, waiting up to timeout_ms for the first only.
 * Returns the count (0 on timeout or n == 0), -1 when closed and empty. */
int
fl_queue_pop_many(struct fl_queue *q, void **items, size_t n, int timeout_ms)
{
	size_t got = 0;
	int rc;

	if (n > INT_MAX)
		n = INT_MAX;
	pthread_mutex_lock(&q->mu);
	if (n == 0) {
		rc = q->len == 0 && q->closed ? -1 : 0;
		goto out;
	}
	rc = queue_wait_item(q, timeout_ms);
	if (rc != 0) {
		rc = rc == 1 ? 0 : -1;
		goto out;
	}
	while (got < n && q->len)
		items[got++] = queue_take(q);
	if (got == 1)
		pthread_cond_signal(&q->not_full);
	else
		pthread_cond_broadcast(&q->not_full);
	rc = (int)got;
out:
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* Refuse further pushes and wake every waiter. Idempotent. */
void
fl_queue_close(struct fl_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

/* Items currently inside (a snapshot). */
size_t
fl_queue_len(struct fl_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->len;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* The capacity given to fl_queue_new(). */
size_t
fl_queue_capacity(struct fl_queue *q)
{
	return q->cap;
}
