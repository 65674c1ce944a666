/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * backoff.h - capped exponential backoff with jitter, and a sleep that
 * ends early when a flag is set: the one wait-and-retry rhythm of every
 * retry loop in the engine (start-up, connections, commits, seeding,
 * sink control calls).
 *
 * Owns: the delay of attempt k (base * 2^k, capped, minus up to a quarter
 * plus up to a half of jitter so a fleet does not retry in step) and the
 * interruptible sleep. Does not own: what is retried, or when to give
 * up (callers decide; the flag is their "stop").
 */
#ifndef FL_BACKOFF_H
#define FL_BACKOFF_H

#include <stdatomic.h>

struct fl_backoff {
	int base_ms; /* first delay (default 1000) */
	int max_ms;  /* cap (default 30000) */
	int attempt; /* failures so far */
};

/* base 1 s, cap 30 s, no failure yet. */
#define FL_BACKOFF_INIT        \
	{                      \
		1000, 30000, 0 \
	}

/* The delay before the next attempt, counting one more failure. */
int fl_backoff_next_ms(struct fl_backoff *b);
/* A success: the next failure waits base_ms again. */
void fl_backoff_reset(struct fl_backoff *b);
/* Sleep ms in slices of at most 100 ms; returns 1 as soon as *stop is
 * set (stop may be NULL), else 0 after the whole time. */
int fl_sleep_unless(int ms, const atomic_int *stop);

#endif
