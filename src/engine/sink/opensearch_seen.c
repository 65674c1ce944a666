/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_seen.c - one writer's memory of what it last wrote durably:
 * per logical index, (id) -> 64-bit hash of the document and its target
 * generations, bounded; so a rebuilt document identical to the stored
 * one is not sent again (issue 22, "fewer writes").
 *
 * Owns: the tables, their bound, their skip counters. Does not own:
 * deciding what is durable (opensearch_writer.c puts an entry only for
 * an item the bulk response applied, and forgets it otherwise).
 *
 * DESIGN
 *   Why it is correct. An entry says "the last write of this id that
 *   OpenSearch acknowledged had this content in these generations".
 *   Only this writer writes the id (the engine routes each (index, key)
 *   to one worker), so nothing else can change it behind the entry,
 *   except: a delete (forgotten), a failed or unknown item or flush
 *   (forgotten), a new generation (its name is in the hash, so the
 *   entry no longer matches; a name can come back after an aborted
 *   build is deleted, but a generation is filled by seeding, and a
 *   seeding write only forgets its id, so nothing from the earlier
 *   attempt survives the seed pass), a restart (the tables start
 *   empty), and
 *   an operator writing to the index by hand (not supported; repairs
 *   and drained pending ids are always sent, FL_SINK_WRITE_FORCED).
 *   Versions. A skipped write's external_gte version is not stored: the
 *   stored document keeps the older version of the identical content.
 *   That is safe: every later build of the id reads a higher WAL
 *   position, so it still wins over the stored one; and a write older
 *   than the skipped one was flushed before it by this same writer (a
 *   writer's flushes are sequential), or, after a crash, replays with
 *   an empty table and is sent.
 *   Collisions. Keys are FNV-1a 64 of (index, id), values of (document,
 *   generations), both finalised. Two ids with one key: the second
 *   replaces the first's entry (a miss, never a wrong skip, unless the
 *   values collide too). A wrong skip needs a 64-bit value collision of
 *   two contents of one id: ~2^-64 per write for non-adversarial data.
 *   Bound. Open addressing (linear probing, no tombstones: a forgotten
 *   entry keeps its key with value 0, "unknown"), grown by doubling up
 *   to the largest power of two whose 3/4 is at most `max` entries (at
 *   least 16 slots); a table at its bound that fills up is emptied and
 *   starts over (a burst of misses, never a wrong answer). 16 bytes a
 *   slot: the default max 16,384 is 16,384 slots holding 12,288 ids,
 *   256 KB per index and writer (100,000 was 2 MB: at scale 1000 a
 *   live churn fills it, and steady RSS must not grow with the tables),
 *   reached only when that many distinct ids were written since the
 *   start.
 */
#include "sink/opensearch_seen.h"

#include <stdlib.h>
#include <string.h>

#include "config/schema_hash.h"
#include "util/xmem.h"

struct seen_slot {
	uint64_t key; /* 0 = empty */
	uint64_t val; /* 0 = unknown */
};

struct seen_table {
	char *index;
	struct seen_slot *v;
	size_t cap, n; /* n: slots with a key */
	uint64_t skipped;
};

struct fl_os_seen {
	size_t max;     /* entries per index, 0 = off */
	size_t max_cap; /* slots at the bound */
	struct seen_table *t;
	size_t nt, capt;
};

/* splitmix64's finaliser: spreads FNV's low bits. */
static uint64_t
seen_mix(uint64_t h)
{
	h ^= h >> 30;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return h ? h : 1;
}

struct fl_os_seen *
fl_os_seen_new(size_t max)
{
	struct fl_os_seen *c = fl_xcalloc(1, sizeof(*c));

	c->max = max;
	c->max_cap = 16;
	while ((c->max_cap * 2) / 4 * 3 <= max)
		c->max_cap *= 2;
	return c;
}

void
fl_os_seen_free(struct fl_os_seen *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nt; i++) {
		free(c->t[i].index);
		free(c->t[i].v);
	}
	free(c->t);
	free(c);
}

int
fl_os_seen_on(const struct fl_os_seen *c)
{
	return c && c->max > 0;
}

uint64_t
fl_os_seen_key(const char *id, size_t idlen)
{
	return seen_mix(fl_hash_fnv1a64(FL_HASH_FNV_BASIS, id, idlen));
}

uint64_t
fl_os_seen_val_start(const char *doc, size_t len)
{
	return fl_hash_fnv1a64(FL_HASH_FNV_BASIS, doc, len);
}

uint64_t
fl_os_seen_val_add(uint64_t h, const char *gen)
{
	return fl_hash_fnv1a64(h, gen, strlen(gen) + 1);
}

uint64_t
fl_os_seen_val_end(uint64_t h)
{
	return seen_mix(h);
}

/* The table of index; made when `make`, else NULL when absent. */
static struct seen_table *
seen_table(struct fl_os_seen *c, const char *index, int make)
{
	size_t i;

	for (i = 0; i < c->nt; i++)
		if (strcmp(c->t[i].index, index) == 0)
			return &c->t[i];
	if (!make)
		return NULL;
	c->t = fl_xgrow(c->t, &c->capt, c->nt + 1, sizeof(*c->t));
	memset(&c->t[c->nt], 0, sizeof(c->t[c->nt]));
	c->t[c->nt].index = fl_xstrdup(index);
	return &c->t[c->nt++];
}

/* The slot of key in t: its own, or the empty one where it would go. */
static struct seen_slot *
seen_find(const struct seen_table *t, uint64_t key)
{
	size_t mask = t->cap - 1, i = (size_t)key & mask;

	for (;; i = (i + 1) & mask)
		if (t->v[i].key == key || t->v[i].key == 0)
			return &t->v[i];
}

/* Room for one more key: grow, or empty a table at its bound. */
static void
seen_room(const struct fl_os_seen *c, struct seen_table *t)
{
	struct seen_slot *old = t->v;
	size_t oldcap = t->cap, i;

	if (t->cap && (t->n + 1) <= t->cap / 4 * 3)
		return;
	if (t->cap >= c->max_cap) { /* full at the bound: start over */
		memset(t->v, 0, t->cap * sizeof(*t->v));
		t->n = 0;
		return;
	}
	t->cap = t->cap ? t->cap * 2 : 16;
	t->v = fl_xcalloc(t->cap, sizeof(*t->v));
	t->n = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].key) {
			*seen_find(t, old[i].key) = old[i];
			t->n++;
		}
	free(old);
}

int
fl_os_seen_has(struct fl_os_seen *c, const char *index, uint64_t key,
               uint64_t val)
{
	struct seen_table *t;
	struct seen_slot *sl;

	if (!fl_os_seen_on(c) || !(t = seen_table(c, index, 0)) || !t->cap)
		return 0;
	sl = seen_find(t, key);
	return sl->key == key && sl->val == val;
}

void
fl_os_seen_skipped(struct fl_os_seen *c, const char *index)
{
	if (fl_os_seen_on(c))
		seen_table(c, index, 1)->skipped++;
}

void
fl_os_seen_put(struct fl_os_seen *c, const char *index, uint64_t key,
               uint64_t val)
{
	struct seen_table *t;
	struct seen_slot *sl;

	if (!fl_os_seen_on(c))
		return;
	t = seen_table(c, index, 1);
	if (t->cap) {
		sl = seen_find(t, key);
		if (sl->key == key) {
			sl->val = val;
			return;
		}
	}
	seen_room(c, t);
	sl = seen_find(t, key);
	if (!sl->key)
		t->n++;
	sl->key = key;
	sl->val = val;
}

void
fl_os_seen_forget(struct fl_os_seen *c, const char *index, uint64_t key)
{
	struct seen_table *t;
	struct seen_slot *sl;

	if (!fl_os_seen_on(c) || !(t = seen_table(c, index, 0)) || !t->cap)
		return;
	sl = seen_find(t, key);
	if (sl->key == key)
		sl->val = 0;
}

uint64_t
fl_os_seen_take_skipped(struct fl_os_seen *c, const char *index)
{
	struct seen_table *t;
	uint64_t n;

	if (!c || !(t = seen_table(c, index, 0)))
		return 0;
	n = t->skipped;
	t->skipped = 0;
	return n;
}

size_t
fl_os_seen_size(const struct fl_os_seen *c, const char *index, size_t *slots)
{
	size_t i;

	*slots = 0;
	for (i = 0; c && i < c->nt; i++)
		if (strcmp(c->t[i].index, index) == 0) {
			*slots = c->t[i].cap;
			return c->t[i].n;
		}
	return 0;
}
