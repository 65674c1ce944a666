/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_os_seen.c - sink/opensearch_seen.c: the writers' bounded memory of
 * stored documents (put, has, forget, skip counts, bound, off). */
#include <stdio.h>
#include <string.h>

#include "sink/opensearch_seen.h"
#include "tap.h"

/* The value of doc written to generation gen. */
static uint64_t
t_val(const char *doc, const char *gen)
{
	return fl_os_seen_val_end(
	    fl_os_seen_val_add(fl_os_seen_val_start(doc, strlen(doc)), gen));
}

static uint64_t
t_key(const char *id)
{
	return fl_os_seen_key(id, strlen(id));
}

TAP_TEST(test_put_has_forget)
{
	struct fl_os_seen *c = fl_os_seen_new(1000);
	uint64_t k = t_key("42"), v = t_val("{\"a\":1}", "ix_1");
	size_t slots;

	ok(fl_os_seen_on(c), "on with a bound");
	ok(!fl_os_seen_has(c, "users", k, v), "empty at first");
	fl_os_seen_put(c, "users", k, v);
	ok(fl_os_seen_has(c, "users", k, v), "remembered");
	ok(!fl_os_seen_has(c, "orders", k, v), "per index");
	ok(!fl_os_seen_has(c, "users", k, t_val("{\"a\":2}", "ix_1")),
	   "another content is not the same");
	ok(!fl_os_seen_has(c, "users", k, t_val("{\"a\":1}", "ix_2")),
	   "nor the same content in another generation");
	ok(t_val("{\"a\":1}", "ix_1") != t_val("{\"a\":1}", "ix_1x"),
	   "generation names are delimited");
	ok(!fl_os_seen_has(c, "users", t_key("43"), v), "another id is not");
	fl_os_seen_put(c, "users", k, t_val("{\"a\":2}", "ix_1"));
	ok(fl_os_seen_has(c, "users", k, t_val("{\"a\":2}", "ix_1")) &&
	       !fl_os_seen_has(c, "users", k, v),
	   "a later write replaces the entry");
	fl_os_seen_forget(c, "users", k);
	ok(!fl_os_seen_has(c, "users", k, t_val("{\"a\":2}", "ix_1")),
	   "forgotten");
	is_long((long)fl_os_seen_size(c, "users", &slots), 1, "one id");
	is_long((long)slots, 16, "in the smallest table");
	is_long((long)fl_os_seen_take_skipped(c, "users"), 0, "no skips yet");
	fl_os_seen_skipped(c, "users");
	fl_os_seen_skipped(c, "users");
	fl_os_seen_skipped(c, "orders");
	is_long((long)fl_os_seen_take_skipped(c, "users"), 2, "two skips");
	is_long((long)fl_os_seen_take_skipped(c, "users"), 0, "taken: reset");
	is_long((long)fl_os_seen_take_skipped(c, "orders"), 1, "per index");
	is_long((long)fl_os_seen_take_skipped(c, "nope"), 0, "unknown index");
	fl_os_seen_free(c);
}

TAP_TEST(test_bound)
{
	struct fl_os_seen *c = fl_os_seen_new(100);
	char id[16];
	size_t slots, n, most = 0;
	int i, kept = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "%d", i);
		fl_os_seen_put(c, "users", t_key(id), t_val(id, "g_1"));
		n = fl_os_seen_size(c, "users", &slots);
		if (n > most)
			most = n;
	}
	is_long((long)slots, 128, "bound 100: 128 slots at most");
	ok(most <= 96, "never more than 3/4 of them in use");
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "%d", i);
		kept += fl_os_seen_has(c, "users", t_key(id), t_val(id, "g_1"));
	}
	ok(kept > 0 && kept <= 96, "the latest ids are remembered");
	snprintf(id, sizeof(id), "%d", 999);
	ok(fl_os_seen_has(c, "users", t_key(id), t_val(id, "g_1")),
	   "the last one surely");
	fl_os_seen_free(c);

	c = fl_os_seen_new(100000);
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "u%d", i);
		fl_os_seen_put(c, "users", t_key(id), t_val(id, "g_1"));
	}
	for (i = 0, kept = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "u%d", i);
		kept += fl_os_seen_has(c, "users", t_key(id), t_val(id, "g_1"));
	}
	is_long(kept, 5000, "under the bound every id is remembered");
	is_long((long)fl_os_seen_size(c, "users", &slots), 5000, "5000 ids");
	is_long((long)slots, 8192, "the table grows only as needed");
	fl_os_seen_free(c);
}

TAP_TEST(test_off)
{
	struct fl_os_seen *c = fl_os_seen_new(0);
	uint64_t k = t_key("1"), v = t_val("{}", "g_1");

	ok(!fl_os_seen_on(c), "bound 0: off");
	fl_os_seen_put(c, "users", k, v);
	ok(!fl_os_seen_has(c, "users", k, v), "remembers nothing");
	fl_os_seen_skipped(c, "users");
	is_long((long)fl_os_seen_take_skipped(c, "users"), 0, "counts none");
	fl_os_seen_free(c);
	fl_os_seen_free(NULL);
}

int
main(void)
{
	tap_run(test_put_has_forget);
	tap_run(test_bound);
	tap_run(test_off);
	return tap_done();
}
