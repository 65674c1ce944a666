/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * clock.h - the two clocks the engine reads: monotonic milliseconds for
 * durations and deadlines, wall-clock microseconds for ages against
 * timestamps from outside (PostgreSQL commit times). Timed waits on
 * condition variables stay with their owners (queue.c).
 */
#ifndef FL_CLOCK_H
#define FL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t fl_mono_ms(void);

/* CLOCK_REALTIME in microseconds since the Unix epoch. */
int64_t fl_wall_us(void);

#endif
