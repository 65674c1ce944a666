/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * watermark.h - the ack watermark (source.md §9): which WAL position may
 * be reported to PostgreSQL as flushed.
 *
 * Every change leaving the decoder is registered and gets a sequence
 * number; a transaction's Commit registers a commit marker carrying its
 * end LSN after all of its changes. Acks are confirmed from any thread in
 * any order. The confirmed LSN advances only over the contiguous prefix
 * of confirmed sequence numbers, and only commit markers carry an LSN,
 * so a transaction is passed only when every one of its changes is
 * confirmed - however many batches it was split into.
 *
 * Each replication stream is an epoch: fl_wm_reset() starts a new one,
 * and confirming an ack from an older epoch does nothing.
 *
 * Thread-safe (one mutex). Memory is proportional to the number of
 * registered-but-unconfirmed entries plus the confirmed-ahead gap, which
 * the bounded queue keeps bounded.
 */
#ifndef FL_WATERMARK_H
#define FL_WATERMARK_H

#include <stdint.h>

#include "util/fl.h"

/* A handle attached to a change: confirming it says "durable". Epochs
 * start at 1, so a zeroed ack (FL_ACK_NONE, for seeding rows) is a no-op;
 * confirming a never-registered seq of the current epoch is a bug. */
struct fl_ack {
	uint64_t epoch;
	uint64_t seq;
};

#define FL_ACK_NONE ((struct fl_ack){ 0, 0 })

/* The LSN of a change that must not advance the watermark by itself. */
#define FL_LSN_NONE ((fl_lsn)0)

struct fl_wm;

struct fl_wm *fl_wm_new(fl_lsn start);
void fl_wm_free(struct fl_wm *wm);

/* Start a new epoch at `start` (the slot's confirmed position): forget
 * everything registered before. "Never decreases" holds per epoch. */
void fl_wm_reset(struct fl_wm *wm, fl_lsn start);
uint64_t fl_wm_epoch(struct fl_wm *wm);

/* Register a change (lsn = FL_LSN_NONE) or a commit marker (its end
 * LSN); returns its ack. */
struct fl_ack fl_wm_register(struct fl_wm *wm, fl_lsn lsn);
/* Confirm an ack; duplicates and other epochs are ignored. */
void fl_wm_confirm(struct fl_wm *wm, struct fl_ack ack);

/* The highest LSN every change at or before which is confirmed. */
fl_lsn fl_wm_confirmed(struct fl_wm *wm);
/* Is every registered entry of the current epoch confirmed? */
int fl_wm_idle(struct fl_wm *wm);
/* Raise the confirmed LSN to lsn when idle (keepalive wal_end, §9);
 * returns 1 if it moved. Never moves it backwards. */
int fl_wm_advance_idle(struct fl_wm *wm, fl_lsn lsn);
/* Registered but unconfirmed entries of the current epoch. */
uint64_t fl_wm_outstanding(struct fl_wm *wm);

#endif
