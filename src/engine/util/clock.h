/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * clock.h - the two clocks the engine reads: monotonic milliseconds for
 * durations and deadlines, wall-clock microseconds for ages against
 * timestamps from outside (PostgreSQL commit times), and the absolute
 * deadlines timed waits on condition variables take (the waits stay with
 * their owners).
 */
#ifndef FL_CLOCK_H
#define FL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t fl_mono_ms(void);

/* CLOCK_REALTIME in microseconds since the Unix epoch. */
int64_t fl_wall_us(void);

/* *ts = the time on `clock` ms (>= 0) milliseconds from now: the
 * deadline of a pthread_cond_timedwait on a condition of that clock. */
void fl_clock_deadline(struct timespec *ts, clockid_t clock, int64_t ms);

#endif
