/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_watermark.c - the ack watermark (source.md §9): the reference
 * cases, split transactions, epochs, duplicates, idle advance, a
 * randomized property test against a simple oracle, and a threaded
 * stress test.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "source/watermark.h"
#include "tap.h"

/* A small deterministic PRNG (splitmix64), one state per user. */
struct t_rng {
	uint64_t s;
};

/* The next 64 random bits. */
static uint64_t
t_rand(struct t_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A random number in [0, n), n > 0. */
static uint64_t
t_below(struct t_rng *r, uint64_t n)
{
	return t_rand(r) % n;
}

/* Register n changes (no LSN) into acks[0..n-1]. */
static void
t_register_changes(struct fl_wm *wm, struct fl_ack *acks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		acks[i] = fl_wm_register(wm, FL_LSN_NONE);
}

/* Confirm acks[from .. from+n-1]. */
static void
t_confirm_range(struct fl_wm *wm, const struct fl_ack *acks, size_t from,
                size_t n)
{
	size_t i;

	for (i = from; i < from + n; i++)
		fl_wm_confirm(wm, acks[i]);
}

TAP_TEST(test_in_order)
{
	struct fl_wm *wm = fl_wm_new(0);
	struct fl_ack a = fl_wm_register(wm, 10);
	struct fl_ack b = fl_wm_register(wm, 20);

	is_long((long)fl_wm_confirmed(wm), 0, "in-order: nothing confirmed");
	is_long((long)fl_wm_outstanding(wm), 2, "two outstanding");
	fl_wm_confirm(wm, a);
	is_long((long)fl_wm_confirmed(wm), 10, "first confirmed -> 10");
	fl_wm_confirm(wm, b);
	is_long((long)fl_wm_confirmed(wm), 20, "second confirmed -> 20");
	ok(fl_wm_idle(wm), "idle after both");
	fl_wm_free(wm);
}

TAP_TEST(test_out_of_order)
{
	struct fl_wm *wm = fl_wm_new(0);
	struct fl_ack a = fl_wm_register(wm, 10);
	struct fl_ack b = fl_wm_register(wm, 20);
	struct fl_ack c = fl_wm_register(wm, 30);

	fl_wm_confirm(wm, c);
	is_long((long)fl_wm_confirmed(wm), 0, "out-of-order: third -> 0");
	fl_wm_confirm(wm, b);
	is_long((long)fl_wm_confirmed(wm), 0, "second -> 0");
	is_long((long)fl_wm_outstanding(wm), 1, "one outstanding");
	ok(!fl_wm_idle(wm), "not idle with a gap");
	fl_wm_confirm(wm, a);
	is_long((long)fl_wm_confirmed(wm), 30, "first -> 30");
	ok(fl_wm_idle(wm), "idle");
	fl_wm_free(wm);
}

TAP_TEST(test_never_below_start)
{
	struct fl_wm *wm = fl_wm_new(100);
	struct fl_ack a = fl_wm_register(wm, 50);

	is_long((long)fl_wm_confirmed(wm), 100, "starts at start");
	fl_wm_confirm(wm, a);
	is_long((long)fl_wm_confirmed(wm), 100, "lsn 50 does not lower 100");
	fl_wm_free(NULL);
	fl_wm_free(wm);
}

/* Commit a one-change transaction ending at end, fully confirmed. */
static void
t_commit_small(struct fl_wm *wm, fl_lsn end)
{
	struct fl_ack c = fl_wm_register(wm, FL_LSN_NONE);

	fl_wm_confirm(wm, fl_wm_register(wm, end));
	fl_wm_confirm(wm, c);
}

TAP_TEST(test_split_transaction)
{
	enum { N = 1000, BATCH = 250 };
	static struct fl_ack acks[N];
	static const int order[] = { 3, 0, 2, 1 };
	struct fl_wm *wm = fl_wm_new(0x1000);
	int i, held = 1;

	t_commit_small(wm, 0x1100);
	is_long((long)fl_wm_confirmed(wm), 0x1100, "previous transaction");
	t_register_changes(wm, acks, N);
	/* Commit: the marker is registered and confirmed at once (§8). */
	fl_wm_confirm(wm, fl_wm_register(wm, 0x2000));
	is_long((long)fl_wm_outstanding(wm), N, "1000 changes outstanding");
	for (i = 0; i < 3; i++) {
		t_confirm_range(wm, acks, (size_t)i * BATCH, BATCH);
		held = held && fl_wm_confirmed(wm) == 0x1100;
	}
	ok(held, "batches 1-3 confirmed: still at the previous commit");
	is_long((long)fl_wm_outstanding(wm), BATCH, "one batch outstanding");
	t_confirm_range(wm, acks, 3 * BATCH, BATCH);
	is_long((long)fl_wm_confirmed(wm), 0x2000, "batch 4 -> commit passed");
	ok(fl_wm_idle(wm), "idle");

	/* The same, with batches confirmed out of order. */
	t_register_changes(wm, acks, N);
	fl_wm_confirm(wm, fl_wm_register(wm, 0x3000));
	held = 1;
	for (i = 0; i < 3; i++) {
		t_confirm_range(wm, acks, (size_t)order[i] * BATCH, BATCH);
		held = held && fl_wm_confirmed(wm) == 0x2000;
	}
	ok(held, "batches 4,1,3 confirmed: held");
	t_confirm_range(wm, acks, (size_t)order[3] * BATCH, BATCH);
	is_long((long)fl_wm_confirmed(wm), 0x3000, "batch 2 -> passed");
	fl_wm_free(wm);
}

TAP_TEST(test_crash_redelivers)
{
	enum { N = 1000, BATCH = 250 };
	static struct fl_ack acks[N];
	struct fl_wm *wm = fl_wm_new(0x1000);
	fl_lsn flushed;
	int i, held = 1;

	t_commit_small(wm, 0x1100);
	t_register_changes(wm, acks, N);
	fl_wm_confirm(wm, fl_wm_register(wm, 0x2000));
	t_confirm_range(wm, acks, 0, 2 * BATCH);
	/* Crash: the server resumes from what was reported. */
	flushed = fl_wm_confirmed(wm);
	is_long((long)flushed, 0x1100, "after batch two: previous commit");
	ok(flushed < 0x2000, "the transaction's end was never passed: "
	                     "the server resends all of it");
	fl_wm_reset(wm, flushed);
	is_long((long)fl_wm_epoch(wm), 2, "new stream, new epoch");
	is_long((long)fl_wm_confirmed(wm), 0x1100, "starts at the slot");
	is_long((long)fl_wm_outstanding(wm), 0, "nothing outstanding");
	/* Late acks of batches three and four from the old stream. */
	t_confirm_range(wm, acks, 2 * BATCH, 2 * BATCH);
	is_long((long)fl_wm_confirmed(wm), 0x1100, "old-epoch acks: no-op");

	/* Redelivery of the whole transaction; batches in reverse. */
	t_register_changes(wm, acks, N);
	fl_wm_confirm(wm, fl_wm_register(wm, 0x2000));
	is_long((long)fl_wm_outstanding(wm), N, "all 1000 redelivered");
	for (i = 3; i > 0; i--) {
		t_confirm_range(wm, acks, (size_t)i * BATCH, BATCH);
		held = held && fl_wm_confirmed(wm) == 0x1100;
	}
	ok(held, "redelivered batches 4,3,2: held");
	t_confirm_range(wm, acks, 0, BATCH);
	is_long((long)fl_wm_confirmed(wm), 0x2000, "all confirmed -> passed");
	fl_wm_free(wm);
}

TAP_TEST(test_epochs)
{
	struct fl_wm *wm = fl_wm_new(10);
	struct fl_ack old0, old1, new0, zero = { 0, 0 };

	is_long((long)fl_wm_epoch(wm), 1, "first epoch is 1");
	old0 = fl_wm_register(wm, FL_LSN_NONE);
	old1 = fl_wm_register(wm, 40);
	is_long((long)old0.epoch, 1, "ack carries the epoch");
	fl_wm_reset(wm, 30);
	is_long((long)fl_wm_epoch(wm), 2, "reset -> epoch 2");
	is_long((long)fl_wm_confirmed(wm), 30, "reset sets the start");
	ok(fl_wm_idle(wm), "reset forgets old entries");
	new0 = fl_wm_register(wm, 35);
	is_long((long)new0.seq, 0, "sequence restarts");
	fl_wm_confirm(wm, old0);
	fl_wm_confirm(wm, old1);
	is_long((long)fl_wm_outstanding(wm), 1, "old acks do not confirm new");
	is_long((long)fl_wm_confirmed(wm), 30, "old acks do not move it");
	fl_wm_confirm(wm, zero);
	is_long((long)fl_wm_outstanding(wm), 1, "a zeroed ack is a no-op");
	fl_wm_confirm(wm, new0);
	is_long((long)fl_wm_confirmed(wm), 35, "new ack confirms");
	fl_wm_reset(wm, 20);
	is_long((long)fl_wm_confirmed(wm), 20, "reset takes the slot's LSN");
	fl_wm_free(wm);
}

TAP_TEST(test_duplicates)
{
	struct fl_wm *wm = fl_wm_new(0);
	struct fl_ack a = fl_wm_register(wm, FL_LSN_NONE);
	struct fl_ack b = fl_wm_register(wm, FL_LSN_NONE);
	struct fl_ack m = fl_wm_register(wm, 50);
	struct fl_ack c = fl_wm_register(wm, 60);

	fl_wm_confirm(wm, b);
	fl_wm_confirm(wm, b);
	is_long((long)fl_wm_outstanding(wm), 3, "ahead duplicate counted once");
	fl_wm_confirm(wm, m);
	fl_wm_confirm(wm, a);
	is_long((long)fl_wm_confirmed(wm), 50, "prefix passed");
	fl_wm_confirm(wm, a);
	fl_wm_confirm(wm, m);
	is_long((long)fl_wm_outstanding(wm), 1, "passed duplicates ignored");
	is_long((long)fl_wm_confirmed(wm), 50, "unchanged");
	fl_wm_confirm(wm, c);
	fl_wm_confirm(wm, c);
	is_long((long)fl_wm_confirmed(wm), 60, "last");
	is_long((long)fl_wm_outstanding(wm), 0, "none outstanding");
	fl_wm_free(wm);
}

TAP_TEST(test_advance_idle)
{
	struct fl_wm *wm = fl_wm_new(100);
	struct fl_ack a;

	ok(fl_wm_idle(wm), "a new watermark is idle");
	is_long(fl_wm_advance_idle(wm, 150), 1, "idle: advances");
	is_long((long)fl_wm_confirmed(wm), 150, "to the keepalive end");
	is_long(fl_wm_advance_idle(wm, 120), 0, "never backwards");
	is_long(fl_wm_advance_idle(wm, 150), 0, "same LSN: no move");
	is_long((long)fl_wm_confirmed(wm), 150, "unchanged");
	a = fl_wm_register(wm, FL_LSN_NONE);
	ok(!fl_wm_idle(wm), "not idle with an outstanding change");
	is_long(fl_wm_advance_idle(wm, 200), 0, "busy: no advance");
	is_long((long)fl_wm_confirmed(wm), 150, "unchanged while busy");
	fl_wm_confirm(wm, fl_wm_register(wm, 180));
	is_long((long)fl_wm_confirmed(wm), 150, "marker held by the change");
	is_long(fl_wm_advance_idle(wm, 200), 0, "still busy");
	fl_wm_confirm(wm, a);
	is_long((long)fl_wm_confirmed(wm), 180, "commit passed");
	is_long(fl_wm_advance_idle(wm, 200), 1, "idle again: advances");
	is_long((long)fl_wm_confirmed(wm), 200, "to 200");
	a = fl_wm_register(wm, 190);
	fl_wm_confirm(wm, a);
	is_long((long)fl_wm_confirmed(wm), 200, "an older commit never lowers");
	fl_wm_free(wm);
}

TAP_TEST(test_large_window)
{
	enum { N = 100000 };
	struct fl_ack *acks = calloc(N, sizeof(*acks));
	struct fl_wm *wm = fl_wm_new(0);
	size_t i;
	int held = 1;

	for (i = 0; i < N; i++)
		acks[i] = fl_wm_register(wm, (fl_lsn)(i + 1));
	for (i = N - 1; i > 0; i--) {
		fl_wm_confirm(wm, acks[i]);
		if (i % 997 == 0)
			held = held && fl_wm_confirmed(wm) == 0;
	}
	ok(held, "a gap at the front holds 100000 entries back");
	is_long((long)fl_wm_outstanding(wm), 1, "one outstanding");
	fl_wm_confirm(wm, acks[0]);
	is_long((long)fl_wm_confirmed(wm), N, "closing the gap passes all");
	/* The ring shrank and still wraps correctly. */
	for (i = 0; i < N; i++) {
		acks[i] = fl_wm_register(wm, (fl_lsn)(N + i + 1));
		if (i >= 3)
			fl_wm_confirm(wm, acks[i - 3]);
	}
	is_long((long)fl_wm_confirmed(wm), 2 * N - 3, "sliding window of 3");
	is_long((long)fl_wm_outstanding(wm), 3, "three outstanding");
	fl_wm_free(wm);
	free(acks);
}

/*
 * The property test. A stream of transactions (changes then a commit
 * marker) is registered lazily; acks are confirmed in a locally shuffled
 * order with duplicates. After every confirm the watermark must equal
 * the oracle: the start raised to the end LSN of each transaction in the
 * longest prefix whose every entry is confirmed.
 */
struct t_prop {
	struct t_rng rng;
	struct fl_wm *wm;
	fl_lsn start;
	size_t ntx, n;    /* transactions; entries (changes + markers) */
	size_t *tx_first; /* first seq of each transaction */
	size_t *tx_len;   /* changes + marker */
	fl_lsn *lsn;      /* per seq: FL_LSN_NONE or the end LSN */
	unsigned char *conf;
	size_t registered, nconf;
	int markers_now; /* confirm markers on registration, as capture does */
	size_t done_tx;  /* oracle: transactions in the complete prefix */
	fl_lsn want;     /* oracle: the watermark they give */
	int failed;
};

/* The expected watermark. Entries are never unconfirmed, so the
 * complete-transaction prefix only grows: resume where it ended. */
static fl_lsn
t_prop_oracle(struct t_prop *p)
{
	size_t s;

	while (p->done_tx < p->ntx) {
		size_t first = p->tx_first[p->done_tx];
		size_t end = first + p->tx_len[p->done_tx];

		for (s = first; s < end; s++)
			if (s >= p->registered || !p->conf[s])
				return p->want;
		if (p->lsn[end - 1] > p->want)
			p->want = p->lsn[end - 1];
		p->done_tx++;
	}
	return p->want;
}

/* Compare the watermark with the oracle; report the first mismatch. */
static void
t_prop_check(struct t_prop *p, uint64_t seed, const char *when)
{
	fl_lsn got = fl_wm_confirmed(p->wm), want = t_prop_oracle(p);
	uint64_t out = fl_wm_outstanding(p->wm);

	if (p->failed || (got == want && out == p->registered - p->nconf))
		return;
	p->failed = 1;
	printf("# seed %llu, %s after %zu confirms: got %llu want %llu, "
	       "outstanding %llu want %zu\n",
	       (unsigned long long)seed, when, p->nconf,
	       (unsigned long long)got, (unsigned long long)want,
	       (unsigned long long)out, p->registered - p->nconf);
}

/* Confirm seq (maybe again) and check. */
static void
t_prop_confirm(struct t_prop *p, uint64_t seed, size_t seq)
{
	struct fl_ack a = { fl_wm_epoch(p->wm), seq };

	fl_wm_confirm(p->wm, a);
	if (!p->conf[seq]) {
		p->conf[seq] = 1;
		p->nconf++;
	}
	t_prop_check(p, seed, "confirm");
}

/* Register every entry up to and including seq. */
static void
t_prop_register_upto(struct t_prop *p, uint64_t seed, size_t seq)
{
	while (p->registered <= seq) {
		size_t s = p->registered;
		struct fl_ack a = fl_wm_register(p->wm, p->lsn[s]);

		if (a.seq != s && !p->failed) {
			p->failed = 1;
			printf("# seed %llu: seq %llu, want %zu\n",
			       (unsigned long long)seed,
			       (unsigned long long)a.seq, s);
		}
		p->registered++;
		if (p->markers_now && p->lsn[s] != FL_LSN_NONE)
			t_prop_confirm(p, seed, s);
	}
}

/* Build the transactions of one seed. */
static void
t_prop_build(struct t_prop *p)
{
	size_t t, s = 0;
	fl_lsn end;

	p->start = t_below(&p->rng, 1000);
	/* Sometimes the first commits end below the start, which the
	 * watermark must then ignore. */
	end = p->start - (t_below(&p->rng, 8) == 0 ? p->start / 2 : 0);
	p->ntx = 1 + t_below(&p->rng, 12);
	p->tx_first = calloc(p->ntx, sizeof(*p->tx_first));
	p->tx_len = calloc(p->ntx, sizeof(*p->tx_len));
	for (t = 0; t < p->ntx; t++) {
		p->tx_first[t] = s;
		p->tx_len[t] = 1 + t_below(&p->rng, 300) + 1;
		s += p->tx_len[t];
	}
	p->n = s;
	p->lsn = calloc(p->n, sizeof(*p->lsn));
	p->conf = calloc(p->n, 1);
	for (t = 0; t < p->ntx; t++) {
		end += 1 + t_below(&p->rng, 1u << 20);
		p->lsn[p->tx_first[t] + p->tx_len[t] - 1] = end;
	}
	p->markers_now = (int)t_below(&p->rng, 2);
}

struct t_key {
	uint64_t key;
	size_t seq;
};

/* Order t_key by key, then seq. */
static int
t_key_cmp(const void *a, const void *b)
{
	const struct t_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A confirm order: each seq displaced by up to a random window. */
static struct t_key *
t_prop_order(struct t_prop *p)
{
	static const size_t windows[] = { 1, 2, 8, 64, 500 };
	struct t_key *k = calloc(p->n, sizeof(*k));
	uint64_t w;
	size_t i;

	i = (size_t)t_below(&p->rng, FL_ARRAY_LEN(windows) + 1);
	w = i < FL_ARRAY_LEN(windows) ? windows[i] : p->n;
	for (i = 0; i < p->n; i++) {
		k[i].seq = i;
		k[i].key = i + t_below(&p->rng, w);
	}
	qsort(k, p->n, sizeof(*k), t_key_cmp);
	return k;
}

/* Run one seed; returns 0 when every check held. */
static int
t_prop_run(uint64_t seed)
{
	struct t_prop p = { .rng = { seed } };
	struct t_key *order;
	fl_lsn last;
	size_t i;

	t_prop_build(&p);
	p.want = p.start;
	p.wm = fl_wm_new(p.start);
	order = t_prop_order(&p);
	t_prop_check(&p, seed, "start");
	for (i = 0; i < p.n && !p.failed; i++) {
		size_t s = order[i].seq;

		if (p.markers_now && p.lsn[s] != FL_LSN_NONE)
			continue;
		t_prop_register_upto(&p, seed, s);
		t_prop_confirm(&p, seed, s);
		s = (size_t)t_below(&p.rng, p.registered);
		if (p.conf[s] && t_below(&p.rng, 4) == 0) /* a duplicate */
			t_prop_confirm(&p, seed, s);
	}
	t_prop_register_upto(&p, seed, p.n - 1);
	t_prop_check(&p, seed, "end");
	last = p.lsn[p.n - 1] > p.start ? p.lsn[p.n - 1] : p.start;
	if (!p.failed && fl_wm_confirmed(p.wm) != last) {
		p.failed = 1;
		printf("# seed %llu: did not reach the last commit\n",
		       (unsigned long long)seed);
	}
	if (!p.failed && !fl_wm_idle(p.wm)) {
		p.failed = 1;
		printf("# seed %llu: not idle at the end\n",
		       (unsigned long long)seed);
	}
	fl_wm_free(p.wm);
	free(order);
	free(p.tx_first);
	free(p.tx_len);
	free(p.lsn);
	free(p.conf);
	return p.failed;
}

TAP_TEST(test_property)
{
	enum { SEEDS = 300 };
	uint64_t seed;
	int failed = 0;

	for (seed = 1; seed <= SEEDS; seed++)
		failed += t_prop_run(seed);
	is_long(failed, 0, "300 random streams match the oracle");
}

/*
 * The stress test: one registering thread (changes, then a marker
 * confirmed at once, as capture does), four confirming threads taking
 * acks from a shared list in random order, and a sampler checking the
 * watermark never decreases, is always a commit's end (or the start),
 * and never passes a commit with an unconfirmed change.
 */
enum { T_STRESS_TX = 3000, T_STRESS_MAX = 40, T_STRESS_WORKERS = 4 };

#define T_STRESS_START ((fl_lsn)1000)

struct t_stress {
	struct fl_wm *wm;
	pthread_mutex_t mu; /* guards acks, len, done */
	pthread_cond_t cv;
	struct fl_ack *acks;
	size_t len, cap;
	int done;
	size_t first[T_STRESS_TX]; /* per transaction: first seq */
	size_t size[T_STRESS_TX];  /* per transaction: changes */
	fl_lsn end[T_STRESS_TX];
	atomic_uchar *confirmed; /* per seq: confirm was called */
	atomic_int finished;     /* confirmers are done */
	atomic_int bad_seq;
	int sampler_failed;
	unsigned long samples;
};

/* The registering thread. */
static void *
t_stress_register(void *arg)
{
	struct t_stress *st = arg;
	size_t t, i;

	for (t = 0; t < T_STRESS_TX; t++) {
		for (i = 0; i < st->size[t]; i++) {
			struct fl_ack a = fl_wm_register(st->wm, FL_LSN_NONE);

			if (a.seq != st->first[t] + i)
				atomic_store(&st->bad_seq, 1);
			pthread_mutex_lock(&st->mu);
			st->acks[st->len++] = a;
			pthread_cond_signal(&st->cv);
			pthread_mutex_unlock(&st->mu);
		}
		/* The marker: its confirm flag is set before confirming. */
		atomic_store(&st->confirmed[st->first[t] + st->size[t]], 1);
		fl_wm_confirm(st->wm, fl_wm_register(st->wm, st->end[t]));
	}
	pthread_mutex_lock(&st->mu);
	st->done = 1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

struct t_worker {
	struct t_stress *st;
	struct t_rng rng;
};

/* A confirming thread: take a random ack from the list and confirm it. */
static void *
t_stress_confirm(void *arg)
{
	struct t_worker *w = arg;
	struct t_stress *st = w->st;

	for (;;) {
		struct fl_ack a;
		size_t i;

		pthread_mutex_lock(&st->mu);
		while (st->len == 0 && !st->done)
			pthread_cond_wait(&st->cv, &st->mu);
		if (st->len == 0) {
			pthread_mutex_unlock(&st->mu);
			return NULL;
		}
		i = (size_t)t_below(&w->rng, st->len);
		a = st->acks[i];
		st->acks[i] = st->acks[--st->len];
		pthread_mutex_unlock(&st->mu);
		atomic_store(&st->confirmed[a.seq], 1);
		fl_wm_confirm(st->wm, a);
		if (t_below(&w->rng, 16) == 0)
			fl_wm_confirm(st->wm, a);
	}
}

/* The index of the transaction ending at lsn, or -1. */
static long
t_stress_find(const struct t_stress *st, fl_lsn lsn)
{
	size_t lo = 0, hi = T_STRESS_TX;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->end[mid] < lsn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < T_STRESS_TX && st->end[lo] == lsn ? (long)lo : -1;
}

/* Is every entry up to and including transaction t's marker confirmed?
 * *upto is the first seq not yet seen confirmed; flags never clear and
 * the watermark never goes back, so each seq is checked once. */
static int
t_stress_all_confirmed(struct t_stress *st, long t, size_t *upto)
{
	size_t last = st->first[t] + st->size[t];

	for (; *upto <= last; (*upto)++)
		if (!atomic_load(&st->confirmed[*upto]))
			return 0;
	return 1;
}

/* The sampler thread. */
static void *
t_stress_sample(void *arg)
{
	struct t_stress *st = arg;
	fl_lsn prev = T_STRESS_START;
	size_t upto = 0;

	while (!atomic_load(&st->finished) && !st->sampler_failed) {
		fl_lsn v = fl_wm_confirmed(st->wm);
		long t = t_stress_find(st, v);

		st->samples++;
		if (v < prev) {
			printf("# went back from %llu to %llu\n",
			       (unsigned long long)prev, (unsigned long long)v);
			st->sampler_failed = 1;
		} else if (v != T_STRESS_START && t < 0) {
			printf("# %llu is not a commit\n",
			       (unsigned long long)v);
			st->sampler_failed = 1;
		} else if (t >= 0 && !t_stress_all_confirmed(st, t, &upto)) {
			printf(
			    "# passed commit %ld with a change unconfirmed\n",
			    t);
			st->sampler_failed = 1;
		}
		prev = v;
	}
	return NULL;
}

/* Lay out the transactions and allocate the shared state. */
static void
t_stress_init(struct t_stress *st)
{
	struct t_rng rng = { 42 };
	size_t t, s = 0;
	fl_lsn end = T_STRESS_START;

	for (t = 0; t < T_STRESS_TX; t++) {
		st->first[t] = s;
		st->size[t] = 1 + (size_t)t_below(&rng, T_STRESS_MAX);
		end += 1 + t_below(&rng, 4096);
		st->end[t] = end;
		s += st->size[t] + 1;
	}
	st->cap = s;
	st->acks = calloc(s, sizeof(*st->acks));
	st->confirmed = calloc(s, sizeof(*st->confirmed));
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	st->wm = fl_wm_new(T_STRESS_START);
}

TAP_TEST(test_stress)
{
	static struct t_stress st;
	struct t_worker w[T_STRESS_WORKERS];
	pthread_t reg, sampler, th[T_STRESS_WORKERS];
	int i;

	t_stress_init(&st);
	pthread_create(&sampler, NULL, t_stress_sample, &st);
	for (i = 0; i < T_STRESS_WORKERS; i++) {
		w[i].st = &st;
		w[i].rng.s = 100 + (uint64_t)i;
		pthread_create(&th[i], NULL, t_stress_confirm, &w[i]);
	}
	pthread_create(&reg, NULL, t_stress_register, &st);
	pthread_join(reg, NULL);
	for (i = 0; i < T_STRESS_WORKERS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&st.finished, 1);
	pthread_join(sampler, NULL);

	ok(!atomic_load(&st.bad_seq), "stress: dense sequence numbers");
	ok(!st.sampler_failed, "stress: monotonic, only commits, none early");
	ok(st.samples > 0, "stress: the sampler ran");
	is_long((long)fl_wm_confirmed(st.wm), (long)st.end[T_STRESS_TX - 1],
	        "stress: reaches the last commit");
	is_long((long)fl_wm_outstanding(st.wm), 0, "stress: none outstanding");
	fl_wm_free(st.wm);
	free(st.acks);
	free(st.confirmed);
	pthread_cond_destroy(&st.cv);
	pthread_mutex_destroy(&st.mu);
}

int
main(void)
{
	tap_run(test_in_order);
	tap_run(test_out_of_order);
	tap_run(test_never_below_start);
	tap_run(test_split_transaction);
	tap_run(test_crash_redelivers);
	tap_run(test_epochs);
	tap_run(test_duplicates);
	tap_run(test_advance_idle);
	tap_run(test_large_window);
	tap_run(test_property);
	tap_run(test_stress);
	return tap_done();
}
