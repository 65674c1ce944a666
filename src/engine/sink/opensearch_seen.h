/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_seen.h - one writer's bounded memory of the documents it
 * last wrote durably, per logical index (see opensearch_seen.c DESIGN).
 */
#ifndef FL_OPENSEARCH_SEEN_H
#define FL_OPENSEARCH_SEEN_H

#include <stddef.h>
#include <stdint.h>

struct fl_os_seen;

/* A cache of at most about `max` entries per index; 0 = off (every
 * call answers "not seen"). */
struct fl_os_seen *fl_os_seen_new(size_t max);
void fl_os_seen_free(struct fl_os_seen *c);
int fl_os_seen_on(const struct fl_os_seen *c);

/* The key of an id (within one index's table). */
uint64_t fl_os_seen_key(const char *id, size_t idlen);
/* The value: start with the document's bytes, add each generation it
 * goes to, in order, then end. */
uint64_t fl_os_seen_val_start(const char *doc, size_t len);
uint64_t fl_os_seen_val_add(uint64_t h, const char *gen);
uint64_t fl_os_seen_val_end(uint64_t h);

/* 1 when (index, key) was last durably written with val, else 0. */
int fl_os_seen_has(struct fl_os_seen *c, const char *index, uint64_t key,
                   uint64_t val);
/* Count one write of index skipped (its flush succeeded). */
void fl_os_seen_skipped(struct fl_os_seen *c, const char *index);
/* (index, key) is now durably stored with val. */
void fl_os_seen_put(struct fl_os_seen *c, const char *index, uint64_t key,
                    uint64_t val);
/* What is stored for (index, key) is no longer known. */
void fl_os_seen_forget(struct fl_os_seen *c, const char *index, uint64_t key);
/* Skips of index since the last call. */
uint64_t fl_os_seen_take_skipped(struct fl_os_seen *c, const char *index);
/* Ids with a slot in index's table, and its slot count (tests). */
size_t fl_os_seen_size(const struct fl_os_seen *c, const char *index,
                       size_t *slots);

#endif
