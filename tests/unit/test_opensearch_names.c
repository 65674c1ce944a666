/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_opensearch_names.c - OpenSearch names (engine-sink.md §2.2, §11.3): hash
 * alias, generation and convenience names under several prefixes,
 * parse_generation, hash_alias_of, next_generation, parse_hash_alias,
 * the alias move actions, and the pending index with its document ids
 * (short keys verbatim, keys past 512 bytes hashed).
 */
#include <stdlib.h>
#include <string.h>

#include "sink/opensearch_names.h"
#include "tap.h"
#include "util/buf.h"

#define H "0123456789abcdef"

TAP_TEST(test_names)
{
	static const char *prefixes[] = { "", "dev_", "staging-", "env1_" };
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(prefixes); i++) {
		const char *p = prefixes[i];
		char *ha = fl_osnames_hash_alias(p, "users", H);
		char *gen = fl_osnames_generation(ha, 3);
		char *conv = fl_osnames_convenience(p, "users");
		char *meta = fl_osnames_meta_index(p);
		char *pend = fl_osnames_pending_index(p);
		char *back = fl_osnames_hash_alias_of(gen);
		char want[128], hash[17];
		long n = 0;

		snprintf(want, sizeof(want), "%susers_%s", p, H);
		is_str(ha, want, "hash alias is P L _ H");
		snprintf(want, sizeof(want), "%susers_%s_3", p, H);
		is_str(gen, want, "generation appends the number");
		snprintf(want, sizeof(want), "%susers", p);
		is_str(conv, want, "convenience alias is P L");
		snprintf(want, sizeof(want), "%sflusso_meta", p);
		is_str(meta, want, "meta index is P flusso_meta");
		snprintf(want, sizeof(want), "%sflusso_pending", p);
		is_str(pend, want, "pending index is P flusso_pending");
		is_str(back, ha, "hash_alias_of round-trips");
		ok(fl_osnames_parse_generation(ha, gen, &n) && n == 3,
		   "parse_generation round-trips");
		ok(fl_osnames_parse_hash_alias(p, "users", ha, hash) &&
		       strcmp(hash, H) == 0,
		   "parse_hash_alias round-trips");
		free(ha);
		free(gen);
		free(conv);
		free(meta);
		free(pend);
		free(back);
	}
}

TAP_TEST(test_parse_generation)
{
	const char *a = "dev_users_" H;
	long n = -1;

	ok(fl_osnames_parse_generation(a, "dev_users_" H "_12", &n) && n == 12,
	   "numeric suffix");
	ok(!fl_osnames_parse_generation(a, a, &n), "the alias alone is not");
	ok(!fl_osnames_parse_generation(a, "dev_users_" H "_x", &n),
	   "alias_x is not");
	ok(!fl_osnames_parse_generation(a, "dev_users_" H "_", &n),
	   "alias_ is not");
	ok(!fl_osnames_parse_generation(a, "dev_users_" H "X_1", &n),
	   "aliasX_1 is not");
	ok(!fl_osnames_parse_generation("dev_users", "dev_users_" H "_1", &n),
	   "a shorter alias prefixing a longer name is not");
	ok(!fl_osnames_parse_generation(a, "dev_users_" H "_1_2", &n),
	   "two suffixes are not");
	ok(!fl_osnames_parse_generation(
	       a, "dev_users_" H "_99999999999999999999", &n),
	   "a number beyond long is not");
}

TAP_TEST(test_hash_alias_of)
{
	char *s;

	s = fl_osnames_hash_alias_of("order_items_" H "_7");
	is_str(s, "order_items_" H, "logical name with underscores");
	free(s);
	s = fl_osnames_hash_alias_of("order_items_" H);
	ok(s == NULL, "no numeric suffix: nothing");
	free(s);
	s = fl_osnames_hash_alias_of("users");
	ok(s == NULL, "a plain name: nothing");
	free(s);
	s = fl_osnames_hash_alias_of("_1");
	ok(s == NULL, "nothing before the suffix: nothing");
	free(s);
}

TAP_TEST(test_next_generation)
{
	const char *a = "users_" H;
	char g1[] = "users_" H "_1", g2[] = "users_" H "_2";
	char g5[] = "users_" H "_5", g3[] = "users_" H "_3";
	char x1[] = "users_" H "_x", x2[] = "users_" H;
	char x3[] = "users_archive_1", x4[] = "users_fedcba9876543210_9";
	char *none[1] = { NULL };
	char *two[] = { g1, g2 };
	char *orphan[] = { g5, g2 };
	char *unrelated[] = { x1, x2, x3, x4, g3 };

	is_long(fl_osnames_next_generation(a, none, 0), 1, "empty -> 1");
	is_long(fl_osnames_next_generation(a, two, 2), 3, "{1, 2} -> 3");
	is_long(fl_osnames_next_generation(a, orphan, 2), 6, "orphan 5 -> 6");
	is_long(fl_osnames_next_generation(a, unrelated, 5), 4,
	        "unrelated names ignored");
}

TAP_TEST(test_parse_hash_alias)
{
	char h[17];

	ok(fl_osnames_parse_hash_alias("dev_", "users", "dev_users_" H, h),
	   "exact form accepted");
	ok(!fl_osnames_parse_hash_alias("dev_", "users", "dev_users_archive_" H,
	                                NULL),
	   "users_archive is not users");
	ok(!fl_osnames_parse_hash_alias("dev_", "users", "dev_users_" H "_1",
	                                NULL),
	   "a generation is not a hash alias");
	ok(!fl_osnames_parse_hash_alias("dev_", "users", "dev_users_01234567",
	                                NULL),
	   "8 hex digits (the reference's) are not ours");
	ok(!fl_osnames_parse_hash_alias("dev_", "users",
	                                "dev_users_0123456789ABCDEF", NULL),
	   "uppercase hex is not");
	ok(!fl_osnames_parse_hash_alias("dev_", "users", "stg_users_" H, NULL),
	   "another prefix is not");
	ok(fl_osnames_parse_hash_alias("", "users", "users_" H, NULL),
	   "empty prefix");
}

/* Alias actions body for holders -> target ("" when nothing to do). */
static char *
t_actions(char *const *holders, size_t n, const char *target)
{
	struct fl_buf b;
	int r;

	fl_buf_init(&b, 1 << 16);
	r = fl_osnames_alias_actions("a", holders, n, target, &b);
	if (r == 0) {
		fl_buf_done(&b);
		return strdup("");
	}
	return fl_buf_steal(&b);
}

TAP_TEST(test_alias_actions)
{
	char g0[] = "g0", g1[] = "g1", g2[] = "g2";
	char *on[] = { g2 };
	char *stale[] = { g1, g0 };
	char *strag[] = { g1, g2 };
	char *s;

	s = t_actions(on, 1, "g2");
	is_str(s, "", "nothing when already on target");
	free(s);
	s = t_actions(NULL, 0, "g2");
	is_str(s,
	       "{\"actions\":[{\"add\":{\"alias\":\"a\",\"index\":\"g2\"}}]}",
	       "a single add when absent");
	free(s);
	s = t_actions(stale, 2, "g2");
	is_str(s,
	       "{\"actions\":[{\"remove\":{\"alias\":\"a\",\"index\":\"g1\"}},"
	       "{\"remove\":{\"alias\":\"a\",\"index\":\"g0\"}},"
	       "{\"add\":{\"alias\":\"a\",\"index\":\"g2\"}}]}",
	       "two removes then the add, in holder order");
	free(s);
	s = t_actions(strag, 2, "g2");
	is_str(s,
	       "{\"actions\":[{\"remove\":{\"alias\":\"a\",\"index\":\"g1\"}},"
	       "{\"add\":{\"alias\":\"a\",\"index\":\"g2\"}}]}",
	       "remove the straggler then add when the target holds it");
	free(s);
}

TAP_TEST(test_pending_ids)
{
	char key[600], want[620];
	char *id;

	id = fl_osnames_pending_id("users", "42");
	is_str(id, "id:users:42", "short key: id:<index>:<key>");
	free(id);
	id = fl_osnames_pending_id("users", "a/b #c d:e");
	is_str(id, "id:users:a/b #c d:e", "key text kept as is");
	free(id);
	id = fl_osnames_pending_id("users", "");
	is_str(id, "id:users:", "empty key");
	free(id);
	/* "id:users:" is 9 bytes: a 503-byte key makes exactly 512 */
	memset(key, 'x', 503);
	key[503] = '\0';
	id = fl_osnames_pending_id("users", key);
	snprintf(want, sizeof(want), "id:users:%s", key);
	is_str(id, want, "512 bytes: still verbatim");
	is_long((long)strlen(id), 512, "and 512 long");
	free(id);
	key[503] = 'x';
	key[504] = '\0';
	id = fl_osnames_pending_id("users", key);
	is_str(id, "id:users:#2ab9e7f5597dc705",
	       "513 bytes: # and FNV-1a 64 of the key in lowercase hex");
	free(id);
	memset(key, 'k', 599);
	key[599] = '\0';
	id = fl_osnames_pending_id("orders", key);
	ok(strncmp(id, "id:orders:#", 11) == 0 && strlen(id) == 11 + 16,
	   "long key: fixed length");
	free(id);
	id = fl_osnames_hold_id("users");
	is_str(id, "hold:users", "hold id is hold:<index>");
	free(id);
}

int
main(void)
{
	tap_run(test_names);
	tap_run(test_parse_generation);
	tap_run(test_hash_alias_of);
	tap_run(test_next_generation);
	tap_run(test_parse_hash_alias);
	tap_run(test_alias_actions);
	tap_run(test_pending_ids);
	return tap_done();
}
