/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * watermark.c - the ack watermark (source.md §9): sequence numbers for
 * changes and commit markers, confirmation in any order from any thread,
 * and the confirmed LSN over the contiguous confirmed prefix.
 *
 * Owns: the window of registered entries from the lowest unconfirmed
 * sequence number to the next one to hand out, the epoch, and the
 * confirmed LSN. Does not own: what an ack stands for, when to confirm
 * it (workers), or reporting the LSN to the server (capture.c).
 *
 * DESIGN
 *   - Threads: the capture thread registers, resets and advances when
 *     idle; any thread confirms and reads. One mutex guards everything;
 *     no call blocks while holding it beyond a memcpy of the window.
 *   - Sequence numbers are dense per epoch, so the window is a ring
 *     (power-of-two capacity) indexed by seq - base, each slot holding
 *     {lsn, confirmed}. base is the lowest unconfirmed seq (or next when
 *     every entry is confirmed): confirming base walks the front forward
 *     over confirmed slots, raising the confirmed LSN to each slot's LSN
 *     unless it is FL_LSN_NONE. A slot confirmed ahead of base just sets
 *     its flag and waits for the gap to close. No per-entry allocation;
 *     the ring doubles when full and halves when a quarter full, so its
 *     memory follows the window (unconfirmed entries plus the
 *     confirmed-ahead gap).
 *   - Epochs start at 1, so a zeroed struct fl_ack (epoch 0) is a no-op
 *     ack, usable for snapshot changes. fl_wm_reset() begins a new epoch
 *     with an empty window and seq 0; acks of any other epoch are ignored.
 *   - Invariants: within an epoch the confirmed LSN never decreases and
 *     never drops below the epoch's start (it starts there and is only
 *     raised); fl_wm_reset() sets it to the new start, which is the
 *     slot's confirmed_flush_lsn the new stream resumes from.
 *     unconfirmed == 0 exactly when base == next (the window is empty).
 *   - Confirming a seq of the current epoch that was never registered is
 *     a programming error (FL_ASSERT).
 */
#include "source/watermark.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

/* Smallest ring capacity; a power of two. */
#define WM_MIN_CAP 64

struct wm_entry {
	fl_lsn lsn;
	unsigned char confirmed;
};

struct fl_wm {
	pthread_mutex_t mu;
	uint64_t epoch;
	uint64_t base;        /* seq of the ring's front: lowest unconfirmed */
	uint64_t next;        /* the next seq to hand out */
	uint64_t unconfirmed; /* registered entries not yet confirmed */
	fl_lsn confirmed;
	struct wm_entry *ring;
	size_t cap;  /* ring capacity, a power of two */
	size_t head; /* ring index of base */
};

/* The number of entries in the window (base .. next - 1). */
static size_t
wm_len(const struct fl_wm *wm)
{
	return (size_t)(wm->next - wm->base);
}

/* The ring slot of seq, which must lie inside the window. */
static struct wm_entry *
wm_slot(struct fl_wm *wm, uint64_t seq)
{
	return &wm->ring[(wm->head + (size_t)(seq - wm->base)) & (wm->cap - 1)];
}

/* Move the window into a ring of ncap slots (>= its length), unwrapped. */
static void
wm_resize(struct fl_wm *wm, size_t ncap)
{
	struct wm_entry *n;
	size_t len = wm_len(wm), first;

	FL_ASSERT(ncap >= len && ncap <= SIZE_MAX / sizeof(*n));
	n = fl_xmalloc(ncap * sizeof(*n));
	first = wm->cap - wm->head;
	if (first > len)
		first = len;
	memcpy(n, wm->ring + wm->head, first * sizeof(*n));
	memcpy(n + first, wm->ring, (len - first) * sizeof(*n));
	free(wm->ring);
	wm->ring = n;
	wm->cap = ncap;
	wm->head = 0;
}

/* Give memory back once the window is down to a quarter of the ring. */
static void
wm_maybe_shrink(struct fl_wm *wm)
{
	size_t len = wm_len(wm), ncap = wm->cap;

	while (ncap > WM_MIN_CAP && len <= ncap / 4)
		ncap /= 2;
	if (ncap != wm->cap)
		wm_resize(wm, ncap);
}

/* Walk base forward over confirmed entries, raising the confirmed LSN. */
static void
wm_advance(struct fl_wm *wm)
{
	while (wm->base < wm->next) {
		struct wm_entry *e = &wm->ring[wm->head];

		if (!e->confirmed)
			break;
		if (e->lsn != FL_LSN_NONE && e->lsn > wm->confirmed)
			wm->confirmed = e->lsn;
		wm->head = (wm->head + 1) & (wm->cap - 1);
		wm->base++;
	}
	wm_maybe_shrink(wm);
}

/* A watermark at `start`, epoch 1. Never NULL (aborts on OOM). */
struct fl_wm *
fl_wm_new(fl_lsn start)
{
	struct fl_wm *wm = fl_xcalloc(1, sizeof(*wm));
	int rc = pthread_mutex_init(&wm->mu, NULL);

	FL_ASSERT(rc == 0);
	wm->epoch = 1;
	wm->confirmed = start;
	wm->cap = WM_MIN_CAP;
	wm->ring = fl_xmalloc(wm->cap * sizeof(*wm->ring));
	return wm;
}

/* Free; NULL is fine. No other thread may still use it. */
void
fl_wm_free(struct fl_wm *wm)
{
	if (!wm)
		return;
	pthread_mutex_destroy(&wm->mu);
	free(wm->ring);
	free(wm);
}

/* New epoch at `start`: empty window, seq 0, confirmed = start. */
void
fl_wm_reset(struct fl_wm *wm, fl_lsn start)
{
	pthread_mutex_lock(&wm->mu);
	wm->epoch++;
	wm->base = 0;
	wm->next = 0;
	wm->head = 0;
	wm->unconfirmed = 0;
	wm->confirmed = start;
	wm_maybe_shrink(wm);
	pthread_mutex_unlock(&wm->mu);
}

/* The current epoch (1 for a new watermark). */
uint64_t
fl_wm_epoch(struct fl_wm *wm)
{
	uint64_t e;

	pthread_mutex_lock(&wm->mu);
	e = wm->epoch;
	pthread_mutex_unlock(&wm->mu);
	return e;
}

/* Append an unconfirmed entry carrying lsn; returns its ack. */
struct fl_ack
fl_wm_register(struct fl_wm *wm, fl_lsn lsn)
{
	struct fl_ack ack;
	struct wm_entry *e;

	pthread_mutex_lock(&wm->mu);
	if (wm_len(wm) == wm->cap) {
		FL_ASSERT(wm->cap <= SIZE_MAX / 2);
		wm_resize(wm, wm->cap * 2);
	}
	ack.epoch = wm->epoch;
	ack.seq = wm->next++;
	e = wm_slot(wm, ack.seq);
	e->lsn = lsn;
	e->confirmed = 0;
	wm->unconfirmed++;
	pthread_mutex_unlock(&wm->mu);
	return ack;
}

/* Mark ack confirmed; other epochs and repeats do nothing. */
void
fl_wm_confirm(struct fl_wm *wm, struct fl_ack ack)
{
	struct wm_entry *e;

	pthread_mutex_lock(&wm->mu);
	if (ack.epoch != wm->epoch || ack.seq < wm->base)
		goto out;
	FL_ASSERT(ack.seq < wm->next);
	e = wm_slot(wm, ack.seq);
	if (e->confirmed)
		goto out;
	e->confirmed = 1;
	wm->unconfirmed--;
	if (ack.seq == wm->base)
		wm_advance(wm);
out:
	pthread_mutex_unlock(&wm->mu);
}

/* The confirmed LSN: what may be reported to the server as flushed. */
fl_lsn
fl_wm_confirmed(struct fl_wm *wm)
{
	fl_lsn l;

	pthread_mutex_lock(&wm->mu);
	l = wm->confirmed;
	pthread_mutex_unlock(&wm->mu);
	return l;
}

/* 1 when every registered entry of the current epoch is confirmed. */
int
fl_wm_idle(struct fl_wm *wm)
{
	int idle;

	pthread_mutex_lock(&wm->mu);
	idle = wm->unconfirmed == 0;
	pthread_mutex_unlock(&wm->mu);
	return idle;
}

/* Raise the confirmed LSN to lsn if idle and lsn is higher; 1 if moved. */
int
fl_wm_advance_idle(struct fl_wm *wm, fl_lsn lsn)
{
	int moved = 0;

	pthread_mutex_lock(&wm->mu);
	if (wm->unconfirmed == 0 && lsn > wm->confirmed) {
		wm->confirmed = lsn;
		moved = 1;
	}
	pthread_mutex_unlock(&wm->mu);
	return moved;
}

/* Registered but unconfirmed entries of the current epoch. */
uint64_t
fl_wm_outstanding(struct fl_wm *wm)
{
	uint64_t n;

	pthread_mutex_lock(&wm->mu);
	n = wm->unconfirmed;
	pthread_mutex_unlock(&wm->mu);
	return n;
}
