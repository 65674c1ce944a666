/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_pg_lock.c - the pieces of the hot standby that need no server
 * (issue 18): the lock key derived from the slot name (stable, pinned),
 * the active instance's tag and its parsing, the lease decision, and the
 * role as /status, /metrics and the status parser show it.
 */
#include <stdio.h>
#include <string.h>

#include "core/status_board.h"
#include "core/status_parse.h"
#include "source/pg_lock.h"
#include "tap.h"

TAP_TEST(test_key)
{
	/* FNV-1a 64 of "flusso:flusso": the documented derivation; a
	 * change here would let two versions both be active */
	ok(fl_pglock_key("flusso") == -2573473616560969683LL,
	   "key of slot flusso is pinned");
	ok(fl_pglock_key("flusso") == fl_pglock_key("flusso"), "stable");
	ok(fl_pglock_key("a") != fl_pglock_key("b"), "slots differ");
	ok(fl_pglock_key("") != 0, "an empty name still has a key");
}

TAP_TEST(test_tag)
{
	char tag[64], host[64];
	long pid = 0;
	long long since = 0;

	fl_pglock_tag(tag, sizeof(tag), 4242, 1790000000LL, "db-1.example");
	is_str(tag, "flusso active 4242 1790000000 db-1.example", "tag");
	ok(fl_pglock_tag_parse(tag, &pid, &since, host, sizeof(host)) == 0,
	   "parsed");
	is_long(pid, 4242, "pid");
	ok(since == 1790000000LL, "since");
	is_str(host, "db-1.example", "host");
	ok(fl_pglock_tag_parse("flusso", &pid, &since, host, sizeof(host)) < 0,
	   "an untagged session is not parsed");
	ok(fl_pglock_tag_parse(NULL, &pid, &since, host, sizeof(host)) < 0,
	   "NULL application_name");
	fl_pglock_tag(tag, sizeof(tag), 1, 2,
	              "a-very-long-host-name-that-goes-on-and-on-forever");
	ok(strlen(tag) == 63, "the tag fits application_name (63 bytes)");
}

TAP_TEST(test_lease)
{
	struct fl_pglock_holder h;

	memset(&h, 0, sizeof(h));
	h.idle_secs = h.reply_age_secs = -1;
	ok(!fl_pglock_lease_expired(&h, 15), "nobody holds it: no depose");
	h.found = 1;
	ok(!fl_pglock_lease_expired(&h, 15), "idle time unknown: no");
	h.idle_secs = 3;
	ok(!fl_pglock_lease_expired(&h, 15), "lock session pinged 3 s ago");
	h.idle_secs = 20;
	ok(fl_pglock_lease_expired(&h, 15),
	   "silent 20 s and no walsender: expired");
	h.wal_pid = 99;
	h.reply_age_secs = -1;
	ok(fl_pglock_lease_expired(&h, 15),
	   "walsender without reply_time: the lock session decides");
	h.reply_age_secs = 2;
	ok(!fl_pglock_lease_expired(&h, 15),
	   "its stream still replies: not expired");
	h.reply_age_secs = 16;
	ok(fl_pglock_lease_expired(&h, 15), "both silent past the lease");
	ok(!fl_pglock_lease_expired(&h, 0), "lease 0: never");
	h.idle_secs = 14.9;
	ok(!fl_pglock_lease_expired(&h, 15), "just under the lease");
}

TAP_TEST(test_role_surfaces)
{
	static struct fl_status st, back;
	struct fl_buf b;
	struct fl_err err;
	int64_t now = 1790000100LL * 1000000;

	memset(&st, 0, sizeof(st));
	st.phase = FL_PHASE_STANDBY;
	st.started_us = now;
	snprintf(st.role, sizeof(st.role), "standby");
	st.active_pid = 4242;
	snprintf(st.active_host, sizeof(st.active_host), "db-1");
	snprintf(st.active_client, sizeof(st.active_client), "10.0.0.7");
	st.active_since_us = now - 100 * 1000000LL;
	st.failover_after_secs = 15;
	ok(!fl_status_ready(&st), "a standby is not ready (/readyz 503)");
	fl_buf_init(&b, 1 << 20);
	fl_status_to_json(&st, now, &b);
	has_str(fl_buf_str(&b), "\"phase\":\"standby\"", "phase standby");
	has_str(fl_buf_str(&b),
	        "\"role\":\"standby\",\"active\":{\"host\":\"db-1\","
	        "\"pid\":4242,\"client\":\"10.0.0.7\"",
	        "/status names the active instance");
	has_str(fl_buf_str(&b), "\"since_seconds\":100", "for how long");
	ok(fl_status_parse(fl_buf_str(&b), now, &back, &err) == 0, "parsed");
	ok(back.phase == FL_PHASE_STANDBY, "phase parsed back");
	is_str(back.role, "standby", "role parsed back");
	is_long(back.active_pid, 4242, "active pid parsed back");
	is_str(back.active_host, "db-1", "active host parsed back");
	fl_buf_done(&b);
	fl_buf_init(&b, 1 << 20);
	fl_status_to_metrics(&st, &b);
	has_str(fl_buf_str(&b), "flusso_role{role=\"standby\"} 1\n",
	        "flusso_role standby");
	has_str(fl_buf_str(&b), "flusso_role{role=\"active\"} 0\n",
	        "flusso_role active 0");
	has_str(fl_buf_str(&b), "flusso_phase{phase=\"standby\"} 1\n",
	        "flusso_phase standby");
	fl_buf_done(&b);
}

int
main(void)
{
	tap_run(test_key);
	tap_run(test_tag);
	tap_run(test_lease);
	tap_run(test_role_surfaces);
	return tap_done();
}
