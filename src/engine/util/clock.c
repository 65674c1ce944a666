/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * clock.c - monotonic and wall-clock readings (see clock.h).
 */
#include "util/clock.h"

#include <time.h>

int64_t
fl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
fl_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
