/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_world.h - a scripted world for the engine core (test double of
 * everything below it, core/engine_backend.h): a fake database of
 * versioned rows, a WAL of committed transactions, a fake capture that
 * streams that WAL with LSNs and transaction boundaries into the real
 * queue and watermark, and a fake sink with generations, aliases, a
 * pending set and holds, whose flushes can succeed, fail transiently,
 * lose part of a batch, reject documents, or hang until aborted.
 *
 * The world outlives engines, like PostgreSQL and OpenSearch outlive a
 * flusso process: a test can stop or abort an engine and start another
 * on the same world (the slot position and everything durable stay).
 *
 * The invariant is checked where it matters, inside capture_confirm:
 * whenever the confirmed LSN passes a transaction, each row it changed
 * must already be durable in the index's serving generation at that
 * version or newer, or durably in that index's pending set. A violation
 * is recorded (world_violations) with its first description.
 *
 * Rows: index i (0..WORLD_NIX-1, the shop example's enabled indexes in
 * engine order) has keys "1".."nkeys"; a row's version is a counter.
 * A transaction changes a few rows; each change resolves to exactly the
 * (index, key) it changed.
 */
#ifndef FL_TEST_ENGINE_WORLD_H
#define FL_TEST_ENGINE_WORLD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine_backend.h"

#define WORLD_NIX    3
#define WORLD_MAXGEN 64

/* How flushes behave (probabilities in per mille, 0 = never). */
struct world_flush_script {
	int transient; /* fail, after applying a random part of the batch */
	int unknown;   /* "unknown outcome": all applied, reported failed */
	int hang;      /* block until the sink is aborted */
	int delay_ms;  /* every flush takes this long (a slow node) */
};

struct world;

/* names: the engine's index names in engine order (WORLD_NIX). */
struct world *world_new(const char *const *names, int nkeys);
void world_free(struct world *w);
/* The backend table for fl_engine_opts.backend (ctx = w). */
const struct fl_engine_backend *world_backend(struct world *w);

/* Commit a transaction changing n random rows (of random indexes, or
 * of index `only` when >= 0); returns its LSN. */
uint64_t world_commit(struct world *w, int n, int only);
/* The LSN the slot has confirmed. */
uint64_t world_slot_lsn(struct world *w);
/* The last committed LSN. */
uint64_t world_last_lsn(struct world *w);

/* Scripts. */
void world_set_flush(struct world *w, const struct world_flush_script *s);
/* Reject every document of (index, key) while poisoned. */
void world_poison(struct world *w, int ix, int key, int on);
/* Building documents of index ix fails permanently while broken, and
 * its schema check (drift_check) reports the mismatch. */
void world_break_index(struct world *w, int ix, int on);
/* The invariant leaves index ix out while on (disabled by a reload). */
void world_unsynced(struct world *w, int ix, int on);
/* The changes of index ix resolve to "ids unknown" while on. */
void world_lose_ids(struct world *w, int ix, int on);
/* The next n builds fail with a transient error (40001); with lose=1
 * they also lose the session. */
void world_transient_builds(struct world *w, int n, int lose);
/* The next gc / stage_rebuild / ensure of index ix fails permanently. */
void world_fail_gc(struct world *w, int on);
void world_fail_stage(struct world *w, int on);
void world_fail_ensure(struct world *w, int ix, int on);
/* The capture stream fails for good (a decode error): the pipeline
 * fails. */
void world_fail_capture(struct world *w, int on);
/* gc blocks until world_gate_open (commands in order). */
void world_gate_gc(struct world *w, int on);
void world_gate_open(struct world *w);

/* Observations. */
long world_violations(struct world *w, char *first, size_t n);
long world_capture_restarts(struct world *w);
long world_pending(struct world *w, int ix);
int world_hold(struct world *w, int ix); /* enum fl_hold stored */
int world_seeded(struct world *w, int ix);
long world_generation(struct world *w, int ix); /* serving */
/* Every row of index ix at its current version in the serving
 * generation (and nothing else there)? Returns the count of rows that
 * differ; first describes one. */
long world_diff(struct world *w, int ix, char *first, size_t n);
/* The order gc was asked for indexes, as "users,orders,..." */
void world_gc_order(struct world *w, char *out, size_t n);
/* Documents written (durably) so far, all indexes. */
long world_docs_written(struct world *w);
/* Flushes currently hanging. */
int world_hanging(struct world *w);

#endif
