/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_status_parse.c - fl_status_to_json -> fl_status_parse round trip:
 * every field the document carries comes back equal (timestamps at the
 * document's millisecond precision); malformed input is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status_board.h"
#include "core/status_parse.h"
#include "tap.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define T_NOW 1795000000000000LL /* a whole second, in µs */

static void
t_fill(struct fl_status *st)
{
	struct fl_status_index *x = &st->indexes[0];

	memset(st, 0, sizeof(*st));
	st->phase = FL_PHASE_LIVE;
	st->started_us = T_NOW - 3600 * 1000000LL;
	st->paused = 1;
	snprintf(st->waiting_for, sizeof(st->waiting_for), "opensearch");
	snprintf(st->version, sizeof(st->version), "0.1.0");
	st->changes_captured = 123456789;
	st->changes_committed = 123456000;
	st->documents_built = 4242;
	st->documents_skipped_identical = 421;
	st->documents_quarantined = 3;
	st->batches = 77;
	st->errors = 2;
	st->last_flush_us = 18000;
	st->in_flight = 93;
	st->queue_depth = 12;
	st->queue_capacity = 1024;
	st->batch_changes = 256;
	st->seeding_depth = 4;
	snprintf(st->repl_state, sizeof(st->repl_state), "streaming");
	snprintf(st->slot, sizeof(st->slot), "flusso");
	snprintf(st->publication, sizeof(st->publication), "flusso_pub");
	st->confirmed_lsn = ((fl_lsn)1 << 32) | 0x2345;
	st->server_lsn = ((fl_lsn)1 << 32) | 0x9999;
	st->lag_known = 1;
	st->lag_bytes = 1048576;
	st->lag_seconds = 0.5;
	snprintf(st->wal_status, sizeof(st->wal_status), "reserved");
	st->reconnects = 1;
	st->nsinks = 1;
	snprintf(st->sinks[0].name, sizeof(st->sinks[0].name), "search");
	snprintf(st->sinks[0].type, sizeof(st->sinks[0].type), "opensearch");
	snprintf(st->sinks[0].state, sizeof(st->sinks[0].state), "ok");
	st->sinks[0].bulk_retries = 5;
	st->nindexes = 2;
	snprintf(x->name, sizeof(x->name), "users");
	x->enabled = 1;
	x->state = FL_IX_BACKFILLING;
	x->policy_skip = 1;
	x->covered = 1;
	x->settings_drift = 1;
	snprintf(x->hash, sizeof(x->hash), "0123456789abcdef");
	snprintf(x->hash_alias, sizeof(x->hash_alias), "shop_users_0123");
	x->serving_generation = 3;
	x->building_generation = 4;
	x->documents_built = 4000;
	x->skipped_identical = 400;
	x->quarantined = 2;
	x->stored = 3990;
	x->backfill_active = 1;
	x->rows_done = 620;
	x->rows_estimate = 1000;
	x->nuntracked = 1;
	snprintf(x->untracked[0], sizeof(x->untracked[0]), "addresses");
	x->nsuperseded = 1;
	snprintf(x->superseded[0], sizeof(x->superseded[0]), "shop_users_9");
	x->norphans = 2;
	snprintf(x->last_error, sizeof(x->last_error), "boom \"quoted\"");
	x->paused = 1;
	x->resync = 1;
	snprintf(x->hold_reason, sizeof(x->hold_reason),
	         "users.schema.yml:7:5: fields[1]: drift");
	snprintf(st->indexes[1].name, sizeof(st->indexes[1].name), "old");
	st->indexes[1].state = FL_IX_DISABLED;
	st->indexes[1].stored = -1; /* unknown: null */
	snprintf(st->last_error, sizeof(st->last_error), "last\nerror");
	st->ev_n = 2;
	st->events[0].ts_us = T_NOW - 5000000 + 123000;
	st->events[0].level = FL_LOG_WARN;
	snprintf(st->events[0].msg, sizeof(st->events[0].msg), "a warning");
	snprintf(st->events[0].component, sizeof(st->events[0].component),
	         "opensearch");
	st->events[1].ts_us = T_NOW - 1000000;
	st->events[1].level = FL_LOG_ERROR;
	snprintf(st->events[1].msg, sizeof(st->events[1].msg), "an error");
	st->q_n = 1;
	st->quarantine[0].ts_us = T_NOW - 2000000;
	snprintf(st->quarantine[0].index, sizeof(st->quarantine[0].index),
	         "users");
	snprintf(st->quarantine[0].id, sizeof(st->quarantine[0].id), "42");
	snprintf(st->quarantine[0].reason, sizeof(st->quarantine[0].reason),
	         "mapper_parsing_exception");
	st->cfg_queue_capacity = 1024;
	st->cfg_batch_max_changes = 256;
	st->cfg_batch_max_delay_ms = 50;
	st->cfg_lag_poll_secs = 15;
	st->cfg_workers = 4;
	snprintf(st->cfg_prefix, sizeof(st->cfg_prefix), "shop_");
	st->cfg_manage_publication = 1;
}

TAP_TEST(test_round_trip)
{
	struct fl_status *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct fl_buf js;
	struct fl_err err;

	t_fill(a);
	fl_buf_init(&js, (size_t)1 << 24);
	fl_status_to_json(a, T_NOW, &js);
	ok(fl_status_parse(fl_buf_str(&js), T_NOW, b, &err) == 0, "parses");
	/* what the document does not carry */
	ok(b->seq == 0 && b->flush_count == 0, "no seq, no histogram");
	b->seq = a->seq;
	/* normalise fields the document carries differently */
	ok(b->started_us == a->started_us, "uptime back to started_us");
	ok(memcmp(a, b, sizeof(*a)) == 0, "every field survives the trip");
	if (memcmp(a, b, sizeof(*a)) != 0) {
		printf("# phase %d/%d lag %lld/%lld idx %s/%s paused %d/%d\n",
		       a->phase, b->phase, (long long)a->lag_bytes,
		       (long long)b->lag_bytes, a->indexes[0].name,
		       b->indexes[0].name, a->indexes[0].paused,
		       b->indexes[0].paused);
		printf("# ev0 %lld/%lld q0 %lld/%lld lsn %llx/%llx\n",
		       (long long)a->events[0].ts_us,
		       (long long)b->events[0].ts_us,
		       (long long)a->quarantine[0].ts_us,
		       (long long)b->quarantine[0].ts_us,
		       (unsigned long long)a->confirmed_lsn,
		       (unsigned long long)b->confirmed_lsn);
	}
	is_str(b->indexes[0].untracked[0], "addresses", "lists");
	is_str(b->indexes[0].last_error, "boom \"quoted\"", "escapes");
	is_long(b->indexes[1].enabled, 0, "disabled index not in `indexes`");
	ok(strstr(fl_buf_str(&js), "\"stored\":3990,") != NULL &&
	       strstr(fl_buf_str(&js), "\"stored\":null,") != NULL,
	   "stored: a count, or null when unknown");
	ok(strstr(fl_buf_str(&js), "\"component\":\"opensearch\"") != NULL &&
	       strstr(fl_buf_str(&js), "\"component\":\"\"") == NULL,
	   "component only on log records");
	a->indexes[0].state = FL_IX_DRIFT;
	fl_buf_reset(&js);
	fl_status_to_json(a, T_NOW, &js);
	ok(strstr(fl_buf_str(&js), "\"state\":\"drift\"") != NULL,
	   "state drift in the document");
	ok(fl_status_parse(fl_buf_str(&js), T_NOW, b, &err) == 0 &&
	       b->indexes[0].state == FL_IX_DRIFT && b->indexes[0].resync,
	   "drift and resync parse back");
	fl_buf_done(&js);
	free(a);
	free(b);
}

/* A document of a daemon without `stored` (older): unknown, not 0. */
TAP_TEST(test_older_document)
{
	struct fl_status *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct fl_buf js, old;
	struct fl_err err;
	const char *p, *q;

	t_fill(a);
	fl_buf_init(&js, (size_t)1 << 24);
	fl_buf_init(&old, (size_t)1 << 24);
	fl_status_to_json(a, T_NOW, &js);
	p = fl_buf_str(&js);
	while ((q = strstr(p, ",\"stored\":"))) {
		fl_buf_append(&old, p, (size_t)(q - p));
		p = strchr(q + 1, ',');
	}
	fl_buf_puts(&old, p);
	ok(strstr(fl_buf_str(&old), "stored") == NULL, "no stored field");
	ok(fl_status_parse(fl_buf_str(&old), T_NOW, b, &err) == 0, "parses");
	is_long((long)b->indexes[0].stored, -1, "stored unknown");
	is_long((long)b->indexes[0].documents_built, 4000, "the rest stays");
	fl_buf_done(&js);
	fl_buf_done(&old);
	free(a);
	free(b);
}

TAP_TEST(test_unknown_lag)
{
	struct fl_status *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct fl_buf js;
	struct fl_err err;

	a->phase = FL_PHASE_STARTING;
	a->started_us = T_NOW;
	fl_buf_init(&js, (size_t)1 << 24);
	fl_status_to_json(a, T_NOW, &js);
	ok(fl_status_parse(fl_buf_str(&js), T_NOW, b, &err) == 0,
	   "empty status parses");
	is_long(b->lag_known, 0, "null slot_lag_bytes: unknown lag");
	is_long(b->phase, FL_PHASE_STARTING, "phase");
	fl_buf_done(&js);
	free(a);
	free(b);
}

TAP_TEST(test_bad_input)
{
	struct fl_status *b = calloc(1, sizeof(*b));
	struct fl_err err;

	ok(fl_status_parse("not json", T_NOW, b, &err) < 0, "not JSON");
	ok(fl_status_parse("[1]", T_NOW, b, &err) < 0, "not an object");
	ok(fl_status_parse("{\"x\":1}", T_NOW, b, &err) < 0, "no phase");
	has_str(err.msg, "not a /status document", "says why");
	is_long((long)fl_status_parse_ts("2026-11-26T12:00:05.123Z") % 1000000,
	        123000, "timestamp milliseconds");
	ok(fl_status_parse_ts("yesterday") < 0, "bad timestamp");
	free(b);
}

int
main(void)
{
	tap_run(test_round_trip);
	tap_run(test_older_document);
	tap_run(test_unknown_lag);
	tap_run(test_bad_input);
	return tap_done();
}
