/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_queue.c - the bounded queue: order, capacity, timeouts (lower
 * bounds only), close, pop_many, freeing leftovers, and a
 * multi-producer multi-consumer stress test.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tap.h"
#include "util/queue.h"

/* Milliseconds on CLOCK_MONOTONIC. */
static double
t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Sleep for ms milliseconds. */
static void
t_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

TAP_TEST(test_fifo)
{
	static int v[10];
	struct fl_queue *q = fl_queue_new(4);
	void *item = NULL;
	int i, in_order = 1, pushed = 1;

	is_long((long)fl_queue_capacity(q), 4, "capacity");
	is_long((long)fl_queue_len(q), 0, "empty");
	/* Interleave so the ring wraps several times. */
	for (i = 0; i < 10; i++) {
		pushed = pushed && fl_queue_push(q, &v[i], 0) == 0;
		if (i >= 2) {
			in_order = in_order && fl_queue_pop(q, &item, 0) == 0 &&
			           item == &v[i - 2];
		}
	}
	ok(pushed, "pushes with room succeed");
	is_long((long)fl_queue_len(q), 2, "two left");
	in_order = in_order && fl_queue_pop(q, &item, 0) == 0 && item == &v[8];
	in_order = in_order && fl_queue_pop(q, &item, 0) == 0 && item == &v[9];
	ok(in_order, "items come out in push order");
	is_long(fl_queue_pop(q, &item, 0), 1,
	        "empty: non-blocking pop times out");
	fl_queue_free(q, NULL);
	fl_queue_free(NULL, NULL);
}

struct t_pusher {
	struct fl_queue *q;
	void *item;
	int timeout_ms;
	int delay_ms; /* sleep this long first */
	int rc;
	double elapsed_ms;
};

/* Push one item with a timeout; record the result and the time taken. */
static void *
t_push_thread(void *arg)
{
	struct t_pusher *p = arg;
	double t0;

	if (p->delay_ms)
		t_sleep_ms(p->delay_ms);
	t0 = t_now_ms();
	p->rc = fl_queue_push(p->q, p->item, p->timeout_ms);
	p->elapsed_ms = t_now_ms() - t0;
	return NULL;
}

TAP_TEST(test_capacity)
{
	static int v[4];
	struct fl_queue *q = fl_queue_new(2);
	struct t_pusher p = { q, &v[3], -1, 0, 99, 0 };
	pthread_t th;
	void *item = NULL;
	double t0;

	is_long(fl_queue_push(q, &v[0], 0), 0, "push 1 of 2");
	is_long(fl_queue_push(q, &v[1], 0), 0, "push 2 of 2");
	is_long(fl_queue_push(q, &v[2], 0), 1, "full: non-blocking push fails");
	t0 = t_now_ms();
	is_long(fl_queue_push(q, &v[2], 50), 1, "full: push times out");
	ok(t_now_ms() - t0 >= 49.0, "after waiting at least the timeout");
	is_long((long)fl_queue_len(q), 2, "still two");
	is_long(fl_queue_pop(q, &item, 0), 0, "pop makes room");
	is_long(fl_queue_push(q, &v[2], 0), 0, "then push succeeds");

	/* A pusher blocked forever is woken by a pop. */
	pthread_create(&th, NULL, t_push_thread, &p);
	t_sleep_ms(20);
	is_long(fl_queue_pop(q, &item, -1), 0, "pop while a pusher waits");
	ok(item == &v[1], "oldest first");
	pthread_join(th, NULL);
	is_long(p.rc, 0, "the blocked push went through");
	is_long(fl_queue_pop(q, &item, 0), 0, "pop");
	ok(item == &v[2], "order kept");
	is_long(fl_queue_pop(q, &item, 0), 0, "pop");
	ok(item == &v[3], "the blocked pusher's item last");
	fl_queue_free(q, NULL);
}

TAP_TEST(test_timeouts)
{
	struct fl_queue *q = fl_queue_new(1);
	void *items[4];
	void *item = &item;
	double t0;

	t0 = t_now_ms();
	is_long(fl_queue_pop(q, &item, 30), 1, "pop times out");
	ok(t_now_ms() - t0 >= 29.0, "not before 30 ms");
	ok(item == &item, "item untouched on timeout");
	t0 = t_now_ms();
	is_long(fl_queue_pop_many(q, items, 4, 30), 0, "pop_many times out: 0");
	ok(t_now_ms() - t0 >= 29.0, "not before 30 ms");
	t0 = t_now_ms();
	is_long(fl_queue_pop(q, &item, 1100), 1, "a timeout over a second");
	ok(t_now_ms() - t0 >= 1099.0, "carries into seconds");
	fl_queue_free(q, NULL);
}

struct t_popper {
	struct fl_queue *q;
	int many; /* use pop_many */
	int rc;
	void *item;
};

/* Pop one item (or pop_many) waiting forever; record the result. */
static void *
t_pop_thread(void *arg)
{
	struct t_popper *p = arg;

	if (p->many)
		p->rc = fl_queue_pop_many(p->q, &p->item, 1, -1);
	else
		p->rc = fl_queue_pop(p->q, &p->item, -1);
	return NULL;
}

TAP_TEST(test_close)
{
	static int v[3];
	struct fl_queue *q = fl_queue_new(2);
	struct t_pusher pu = { q, &v[2], -1, 0, 99, 0 };
	struct t_popper po = { NULL, 0, 99, NULL }, pm = { NULL, 1, 99, NULL };
	pthread_t th, th2;
	void *items[4];
	void *item = NULL;

	/* A pusher blocked on a full queue fails when it is closed. */
	fl_queue_push(q, &v[0], 0);
	fl_queue_push(q, &v[1], 0);
	pthread_create(&th, NULL, t_push_thread, &pu);
	t_sleep_ms(20);
	fl_queue_close(q);
	pthread_join(th, NULL);
	is_long(pu.rc, -1, "close wakes a blocked pusher with -1");
	is_long(fl_queue_push(q, &v[2], 0), -1, "push after close fails");
	is_long(fl_queue_push(q, &v[2], -1), -1, "even with -1: at once");
	is_long(fl_queue_pop(q, &item, 0), 0, "poppers drain after close");
	ok(item == &v[0], "in order");
	is_long(fl_queue_push(q, &v[2], 0), -1, "push fails with room too");
	is_long(fl_queue_pop_many(q, items, 4, -1), 1, "pop_many drains");
	ok(items[0] == &v[1], "the last item");
	is_long(fl_queue_pop(q, &item, -1), -1, "closed and empty: -1");
	is_long(fl_queue_pop_many(q, items, 4, -1), -1, "pop_many: -1");
	is_long(fl_queue_pop_many(q, items, 0, 0), -1, "n = 0: still -1");
	fl_queue_close(q);
	fl_queue_free(q, NULL);

	/* Poppers blocked on an empty queue get -1 when it is closed. */
	q = fl_queue_new(2);
	po.q = q;
	pm.q = q;
	pthread_create(&th, NULL, t_pop_thread, &po);
	pthread_create(&th2, NULL, t_pop_thread, &pm);
	t_sleep_ms(20);
	fl_queue_close(q);
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	is_long(po.rc, -1, "close wakes a blocked pop with -1");
	is_long(pm.rc, -1, "close wakes a blocked pop_many with -1");
	fl_queue_free(q, NULL);
}

TAP_TEST(test_pop_many)
{
	static int v[6];
	struct fl_queue *q = fl_queue_new(8);
	struct t_pusher pu = { q, &v[5], -1, 20, 99, 0 };
	void *items[10];
	pthread_t th;
	double t0;
	int i, in_order = 1;

	for (i = 0; i < 5; i++)
		fl_queue_push(q, &v[i], 0);
	is_long(fl_queue_pop_many(q, items, 3, 0), 3, "up to n");
	for (i = 0; i < 3; i++)
		in_order = in_order && items[i] == &v[i];
	is_long(fl_queue_pop_many(q, items, 10, 0), 2, "whatever is there");
	in_order = in_order && items[0] == &v[3] && items[1] == &v[4];
	ok(in_order, "in order");
	is_long(fl_queue_pop_many(q, items, 10, 0), 0, "empty: 0");
	is_long(fl_queue_pop_many(q, items, 0, 0), 0, "n = 0: 0");

	/* Waits for the first item only (pushed after 20 ms). */
	t0 = t_now_ms();
	pthread_create(&th, NULL, t_push_thread, &pu);
	is_long(fl_queue_pop_many(q, items, 10, -1), 1, "waits for the first");
	ok(t_now_ms() - t0 >= 19.0, "it did wait");
	ok(items[0] == &v[5], "the pushed item");
	pthread_join(th, NULL);
	fl_queue_free(q, NULL);
}

/* A drop callback: the item points at a counter; count it and free. */
static void
t_drop(void *item)
{
	int **p = item;

	(**p)++;
	free(p);
}

TAP_TEST(test_free_leftovers)
{
	struct fl_queue *q = fl_queue_new(8);
	int dropped = 0, i;
	void *item = NULL;

	for (i = 0; i < 5; i++) {
		int **p = malloc(sizeof(*p));

		*p = &dropped;
		fl_queue_push(q, p, 0);
	}
	fl_queue_pop(q, &item, 0);
	free(item);
	fl_queue_free(q, t_drop);
	is_long(dropped, 4, "drop gets every leftover");
}

/* The stress test: producers push numbered items, consumers mark them. */
enum { T_PRODUCERS = 4, T_CONSUMERS = 4, T_PER_PRODUCER = 20000 };

struct t_mpmc {
	struct fl_queue *q;
	unsigned *items; /* the numbers; pointers into this array */
	unsigned char *seen[T_CONSUMERS];
	int push_failed;
};

struct t_role {
	struct t_mpmc *m;
	int id;
	long count;
};

/* A producer: push its share, sometimes with a timeout to retry. */
static void *
t_producer(void *arg)
{
	struct t_role *r = arg;
	unsigned *base = r->m->items + (size_t)r->id * T_PER_PRODUCER;
	int i, rc;

	for (i = 0; i < T_PER_PRODUCER; i++) {
		do
			rc = fl_queue_push(r->m->q, &base[i], i % 3 ? -1 : 1);
		while (rc == 1);
		if (rc != 0)
			r->m->push_failed = 1;
	}
	return NULL;
}

/* A consumer: pop until closed and empty. Odd ids use pop_many; ids
 * 2 and 3 wait with a short timeout, 0 and 1 forever. */
static void *
t_consumer(void *arg)
{
	struct t_role *r = arg;
	unsigned char *seen = r->m->seen[r->id];
	int timeout_ms = r->id >= 2 ? 5 : -1;
	void *items[16];
	int n, i;

	for (;;) {
		if (r->id % 2) {
			n = fl_queue_pop_many(r->m->q, items, 16, timeout_ms);
		} else {
			n = fl_queue_pop(r->m->q, items, timeout_ms);
			n = n == 0 ? 1 : n == 1 ? 0 : -1;
		}
		if (n < 0)
			return NULL;
		for (i = 0; i < n; i++) {
			seen[*(unsigned *)items[i]]++;
			r->count++;
		}
	}
}

TAP_TEST(test_mpmc)
{
	enum { TOTAL = T_PRODUCERS * T_PER_PRODUCER };
	struct t_mpmc m = { 0 };
	struct t_role prod[T_PRODUCERS], cons[T_CONSUMERS];
	pthread_t pt[T_PRODUCERS], ct[T_CONSUMERS];
	long total = 0;
	int i, c, once = 1;

	m.q = fl_queue_new(64);
	m.items = malloc(TOTAL * sizeof(*m.items));
	for (i = 0; i < TOTAL; i++)
		m.items[i] = (unsigned)i;
	for (c = 0; c < T_CONSUMERS; c++) {
		m.seen[c] = calloc(TOTAL, 1);
		cons[c] = (struct t_role){ &m, c, 0 };
		pthread_create(&ct[c], NULL, t_consumer, &cons[c]);
	}
	for (i = 0; i < T_PRODUCERS; i++) {
		prod[i] = (struct t_role){ &m, i, 0 };
		pthread_create(&pt[i], NULL, t_producer, &prod[i]);
	}
	for (i = 0; i < T_PRODUCERS; i++)
		pthread_join(pt[i], NULL);
	fl_queue_close(m.q);
	for (c = 0; c < T_CONSUMERS; c++) {
		pthread_join(ct[c], NULL);
		total += cons[c].count;
	}
	for (i = 0; i < TOTAL; i++) {
		int n = 0;

		for (c = 0; c < T_CONSUMERS; c++)
			n += m.seen[c][i];
		once = once && n == 1;
	}
	ok(!m.push_failed, "mpmc: every push succeeded");
	is_long(total, TOTAL, "mpmc: every item popped");
	ok(once, "mpmc: each exactly once");
	is_long((long)fl_queue_len(m.q), 0, "mpmc: drained");
	for (c = 0; c < T_CONSUMERS; c++)
		free(m.seen[c]);
	free(m.items);
	fl_queue_free(m.q, NULL);
}

int
main(void)
{
	tap_run(test_fifo);
	tap_run(test_capacity);
	tap_run(test_timeouts);
	tap_run(test_close);
	tap_run(test_pop_many);
	tap_run(test_free_leftovers);
	tap_run(test_mpmc);
	return tap_done();
}
