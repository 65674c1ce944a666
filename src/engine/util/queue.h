/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * queue.h - a bounded, closable FIFO of pointers between threads.
 *
 * Owns: blocking with deadlines (the capture thread must wake up to send
 * status updates while the queue is full), close semantics (pushers fail,
 * poppers drain what is left and then see "closed"), and an optional
 * wake fd written when an item arrives (for poll()-based consumers).
 * Does not own the items: the queue holds a pointer until it is popped,
 * then the popper owns it; fl_queue_free() hands leftovers to a callback.
 */
#ifndef FL_QUEUE_H
#define FL_QUEUE_H

#include <stddef.h>

struct fl_queue;

/* capacity > 0 (asserted). */
struct fl_queue *fl_queue_new(size_t capacity);
/* Free the queue; `drop` (may be NULL) receives every item still inside. */
void fl_queue_free(struct fl_queue *q, void (*drop)(void *item));

/*
 * Push, waiting at most timeout_ms (negative: forever, 0: not at all).
 * Returns 0 on success, 1 on timeout, -1 when the queue is closed.
 */
int fl_queue_push(struct fl_queue *q, void *item, int timeout_ms);
/*
 * Pop, waiting at most timeout_ms for an item. Returns 0 with *item set,
 * 1 on timeout, -1 when the queue is closed and empty.
 */
int fl_queue_pop(struct fl_queue *q, void **item, int timeout_ms);
/* Pop up to n items, waiting (timeout_ms) only for the first; returns the
 * number popped (0 on timeout), or -1 when closed and empty. */
int fl_queue_pop_many(struct fl_queue *q, void **items, size_t n,
                      int timeout_ms);

/* No more pushes; wakes every waiter. */
void fl_queue_close(struct fl_queue *q);
size_t fl_queue_len(struct fl_queue *q);
size_t fl_queue_capacity(struct fl_queue *q);

#endif
