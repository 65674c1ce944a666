/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * backoff.c - capped exponential backoff with jitter and an
 * interruptible sleep (see backoff.h).
 */
#include "util/backoff.h"

#include <poll.h>
#include <time.h>

int
fl_backoff_next_ms(struct fl_backoff *b)
{
	int base = b->base_ms > 0 ? b->base_ms : 1000;
	int max = b->max_ms >= base ? b->max_ms : base;
	int ms = base, k = b->attempt++;
	struct timespec ts;

	while (k-- > 0 && ms < max)
		ms = ms > max / 2 ? max : ms * 2;
	if (ms > max)
		ms = max;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ms - ms / 4 + (int)(ts.tv_nsec % (ms / 2 + 1));
}

void
fl_backoff_reset(struct fl_backoff *b)
{
	b->attempt = 0;
}

int
fl_sleep_unless(int ms, const atomic_int *stop)
{
	while (ms > 0) {
		int step = ms > 100 ? 100 : ms;

		if (stop && atomic_load(stop))
			return 1;
		poll(NULL, 0, step);
		ms -= step;
	}
	return stop && atomic_load(stop) ? 1 : 0;
}
